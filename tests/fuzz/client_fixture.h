/* client_fixture.h - a client that has not authenticated, for the targets
 * that feed the response parsers; it never touches the network */
#ifndef LIFEBOAT_FUZZ_CLIENT_FIXTURE_H
#define LIFEBOAT_FUZZ_CLIENT_FIXTURE_H

#include <stdbool.h>
#include <time.h>
#include "client.h"

/* The interface and region vary with the input's length, so that seeds
 * taken as they are from real traffic still meet every choice. */
static conoha_config *fixture_config(const char *version, size_t variant)
{
	static const char *const interfaces[] = { NULL, "public", "internal", "admin",
	                                          "publicURL" };
	static const char *const regions[] = { NULL, "RegionOne", "tyo3" };
	conoha_config *cfg = conoha_config_new();
	conoha_error err;
	static const char *const kv[][2] = {
		{ "auth_url", "https://127.0.0.1:9/" }, { "username", "fuzz" },
		{ "password", "fuzz-password" },        { "project_name", "fuzz" },
		{ "user_domain_name", "Default" },      { "project_domain_name", "Default" },
	};
	if (!cfg)
		abort();
	for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
		if (conoha_config_set(cfg, kv[i][0], kv[i][1], CONOHA_SRC_CLI, &err) < 0)
			abort();
	if (conoha_config_set(cfg, "identity_api_version", version, CONOHA_SRC_CLI, &err) < 0)
		abort();
	const char *iface = interfaces[variant % 5], *region = regions[variant / 5 % 3];
	if ((iface && conoha_config_set(cfg, "interface", iface, CONOHA_SRC_CLI, &err) < 0) ||
	    (region && conoha_config_set(cfg, "region_name", region, CONOHA_SRC_CLI, &err) < 0))
		abort();
	return cfg;
}

/* A token that will not be renewed in the next few minutes: asking the
 * client for an endpoint then stays off the network. */
static bool fixture_token_fresh(const char *expires)
{
	time_t t;
	if (!expires)
		return true;
	return conoha_parse_iso8601(expires, &t) == 0 && t > time(NULL) + 3600;
}

/* Ask for every endpoint the programs use, as they do after a token. */
static void fixture_endpoints(conoha_client *c)
{
	static const char *const types[] = { "compute", "image", "block-storage", "volumev3",
	                                     "identity" };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		conoha_error err;
		conoha_error_clear(&err);
		(void)conoha_endpoint(c, types[i], &err);
	}
	struct conoha_identity id;
	conoha_error err;
	(void)conoha_identity(c, &id, &err);
}

#endif

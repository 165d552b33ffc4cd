/* cmd_auth.c - "lifeboat-snap auth": who am I, and where will requests go */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "exit.h"

static const char *const services[] = { "compute", "image", "block-storage" };
#define N_SERVICES (sizeof(services) / sizeof(services[0]))

static void format_time(time_t t, char *buf, size_t size)
{
	struct tm tm;
	if (t == 0 || !gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "unknown");
}

static json_t *auth_json(const struct conoha_identity *id, const char *endpoints[],
                         const char *token)
{
	char expires[32];
	format_time(id->expires_at, expires, sizeof(expires));
	json_t *eps = json_object();
	for (size_t i = 0; i < N_SERVICES; i++)
		json_object_set_new(eps, services[i], json_str_or_null(endpoints[i]));
	json_t *doc = json_doc("auth");
	json_object_update_new(doc, json_pack("{s:{s:s, s:s}, s:{s:s, s:s}, s:o, s:s, s:o, s:o}",
	                        "user", "id", id->user_id, "name", id->user_name,
	                        "project", "id", id->project_id, "name", id->project_name,
	                        "region", *id->region ? json_string(id->region) : json_null(),
	                        "identity_api_version", id->identity_version,
	                        "expires_at", json_str_or_null(id->expires_at ? expires : NULL),
	                        "endpoints", eps));
	if (doc && token)
		json_object_set_new(doc, "token", json_string(token));
	return doc;
}

static void auth_text(const struct conoha_identity *id, const char *endpoints[],
                      const char *token)
{
	char expires[32];
	format_time(id->expires_at, expires, sizeof(expires));
	long left = id->expires_at ? (long)(id->expires_at - time(NULL)) : 0;
	printf("user:          %s (%s)\n", id->user_name, id->user_id);
	printf("project:       %s (%s)\n", id->project_name, id->project_id);
	printf("region:        %s\n", *id->region ? id->region : "(any)");
	printf("identity:      v%s\n", id->identity_version);
	if (id->expires_at)
		printf("token expires: %s (in %ldh%02ldm)\n", expires, left / 3600,
		       (left % 3600) / 60);
	for (size_t i = 0; i < N_SERVICES; i++)
		printf("%s:%*s%s\n", services[i], (int)(14 - strlen(services[i])), "",
		       endpoints[i] ? endpoints[i] : "(none in the catalog)");
	if (token)
		printf("token:         %s\n", token);
}

int cmd_auth(struct cli *cli)
{
	conoha_error err;
	conoha_error_clear(&err);
	conoha_client *c = session_open(cli, &err);
	struct conoha_identity id;
	int rc = EXIT_OK;
	if (!c || conoha_authenticate(c, &err) < 0 || conoha_identity(c, &id, &err) < 0) {
		report(&err);
		rc = exit_code_for(&err);
		goto out;
	}
	const char *endpoints[N_SERVICES];
	for (size_t i = 0; i < N_SERVICES; i++) {
		conoha_error ignored;
		endpoints[i] = conoha_endpoint(c, services[i], &ignored);
	}
	const char *token = cli->show_token ? conoha_token(c) : NULL;
	if (cli->json) {
		json_put(auth_json(&id, endpoints, token));
	} else {
		auth_text(&id, endpoints, token);
	}
out:
	conoha_client_free(c);
	return rc;
}

/* fuzz_token_v3.c - Keystone v3's answer to POST /auth/tokens: the token,
 * its expiry, who we are and the catalog, then every endpoint chosen
 * from it as the programs choose them */
#include "fuzz.h"
#include "client_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	conoha_config *cfg = fixture_config("3", size);
	conoha_error err;
	conoha_client *c = conoha_client_new(cfg, &err);
	if (!c)
		abort();
	struct http_response resp = { .subject_token = strdup("gAAAAABfuzz-token") };
	const char *exp = json_string_value(json_object_get(json_object_get(root, "token"),
	                                                     "expires_at"));
	if (parse_v3_token(c, root, &resp, &err) == 0 && fixture_token_fresh(exp))
		fixture_endpoints(c);
	http_response_free(&resp);
	json_decref(root);
	conoha_client_free(c);
	conoha_config_free(cfg);
	return 0;
}

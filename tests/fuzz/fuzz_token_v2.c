/* fuzz_token_v2.c - Keystone v2.0's answer to POST /tokens (ConoHa's
 * legacy regions): access.token, the tenant and the serviceCatalog, then
 * every endpoint chosen from it */
#include "fuzz.h"
#include "client_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	conoha_config *cfg = fixture_config("2", size);
	conoha_error err;
	conoha_client *c = conoha_client_new(cfg, &err);
	if (!c)
		abort();
	json_t *token = json_object_get(json_object_get(root, "access"), "token");
	const char *exp = json_string_value(json_object_get(token, "expires"));
	if (parse_v2_token(c, root, &err) == 0 && fixture_token_fresh(exp))
		fixture_endpoints(c);
	json_decref(root);
	conoha_client_free(c);
	conoha_config_free(cfg);
	return 0;
}

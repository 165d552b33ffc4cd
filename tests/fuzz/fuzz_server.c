/* fuzz_server.c - Nova's server documents: {"server": {...}} as GET
 * servers/ID answers, or {"servers": [...]} as servers/detail does */
#include "fuzz.h"
#include "client.h"

static void one(const json_t *j)
{
	struct conoha_server s;
	conoha_error err;
	conoha_error_clear(&err);
	(void)server_from_json(j, &s, &err);
	conoha_server_clear(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	json_t *one_doc = json_object_get(root, "server");
	if (one_doc)
		one(one_doc);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(root, "servers"), i, v)
		one(v);
	if (!one_doc && !json_object_get(root, "servers"))
		one(root);
	json_decref(root);
	return 0;
}

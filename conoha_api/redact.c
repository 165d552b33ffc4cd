/* redact.c - what --debug may show */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "internal.h"

static const char *const secret_headers[] = {
	"x-auth-token", "x-subject-token", "authorization", "proxy-authorization",
	"cookie", "set-cookie",
};

bool header_is_secret(const char *name, size_t name_len)
{
	for (size_t i = 0; i < ARRAY_SIZE(secret_headers); i++) {
		if (strlen(secret_headers[i]) == name_len &&
		    strncasecmp(name, secret_headers[i], name_len) == 0)
			return true;
	}
	return false;
}

static bool key_is_secret(const char *key)
{
	/* "secret" covers application_credential secrets; a v2.0 token id
	 * lives in {"token":{"id":...}} and is handled by the caller. */
	return strcasestr(key, "password") || strcasestr(key, "secret") ||
	       strcasecmp(key, "adminPass") == 0 ||
	       strcasecmp(key, "token") == 0 || strcasecmp(key, "passcode") == 0;
}

static void redact_value(json_t *obj, const char *key)
{
	json_object_set_new(obj, key, json_string("***"));
}

static void redact_tree(json_t *node, bool in_token)
{
	if (json_is_array(node)) {
		size_t i;
		json_t *v;
		json_array_foreach(node, i, v)
			redact_tree(v, false);
		return;
	}
	if (!json_is_object(node))
		return;
	const char *key;
	json_t *val;
	void *tmp;
	json_object_foreach_safe(node, tmp, key, val) {
		if (in_token && strcmp(key, "id") == 0)
			redact_value(node, key);
		else if (key_is_secret(key) && !json_is_object(val))
			redact_value(node, key);
		else
			redact_tree(val, strcasecmp(key, "token") == 0);
	}
}

char *redact_json_body(const char *body, size_t len)
{
	json_t *root = json_loadb(body, len, 0, NULL);
	if (!root)
		return NULL;
	redact_tree(root, false);
	char *out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return out;
}

/* receipt_check.c - the types of a retire receipt's fields. A receipt is a
 * file anyone could edit: every field report reads must have the type
 * retire writes, or the report would print a guess (a field of the wrong
 * type read as absent) or copy into its document what the schema does not
 * allow. A receipt that breaks this is refused whole. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "receipt_check.h"
#include "safe_text.h"

enum { J_STR = 1, J_INT = 2, J_BOOL = 4, J_OBJ = 8, J_ARR = 16, J_NULL = 32 };

struct field {
	const char *key;
	unsigned types;
	bool required;
};

static const char *type_of(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static bool has_type(const json_t *v, unsigned types)
{
	return ((types & J_STR) && json_is_string(v)) || ((types & J_INT) && json_is_integer(v)) ||
	       ((types & J_BOOL) && json_is_boolean(v)) || ((types & J_OBJ) && json_is_object(v)) ||
	       ((types & J_ARR) && json_is_array(v)) || ((types & J_NULL) && json_is_null(v));
}

static void want_names(unsigned types, char *buf, size_t size)
{
	static const struct { unsigned bit; const char *name; } names[] = {
		{ J_STR, "a string" }, { J_INT, "an integer" }, { J_BOOL, "a boolean" },
		{ J_OBJ, "an object" }, { J_ARR, "an array" }, { J_NULL, "null" },
	};
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (types & names[i].bit) {
			int n = snprintf(buf + len, size - len, "%s%s", len ? " or " : "", names[i].name);
			if (n < 0 || (size_t)n >= size - len)
				return;
			len += (size_t)n;
		}
}

/* v at where must be of types; why set (where is a dotted path) if not */
static int check_type(const json_t *v, const char *where, unsigned types, char *why, size_t size)
{
	if (has_type(v, types))
		return 0;
	char want[96];
	want_names(types, want, sizeof(want));
	char *safe = safe_text(where); /* a key of the file */
	snprintf(why, size, "%s is %s, not %s", safe ? safe : "a field", type_of(v), want);
	free(safe);
	return -1;
}

/* The fields of obj (at where) that are there have their types; the
 * required ones are there. obj itself has been checked to be an object,
 * or is NULL (absent: nothing to check). */
static int check_fields(const json_t *obj, const char *where, const struct field *f, size_t n,
                        char *why, size_t size)
{
	for (size_t i = 0; obj && i < n; i++) {
		char at[256];
		snprintf(at, sizeof(at), "%s%s%s", where, *where ? "." : "", f[i].key);
		const json_t *v = json_object_get(obj, f[i].key);
		if (!v && f[i].required) {
			char *safe = safe_text(at);
			snprintf(why, size, "%s is missing", safe ? safe : "a field");
			free(safe);
			return -1;
		}
		if (v && check_type(v, at, f[i].types, why, size) < 0)
			return -1;
	}
	return 0;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))
#define OPT_STR (J_STR | J_NULL)
#define OPT_INT (J_INT | J_NULL)
#define OPT_OBJ (J_OBJ | J_NULL)

/* each element of the array at where (if any) an object whose fields are f */
static int check_list(const json_t *arr, const char *where, const struct field *f, size_t n,
                      char *why, size_t size)
{
	size_t i;
	const json_t *e;
	json_array_foreach(arr, i, e) {
		char at[256];
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		if (check_type(e, at, J_OBJ, why, size) < 0 || check_fields(e, at, f, n, why, size) < 0)
			return -1;
	}
	return 0;
}

/* check(value, "WHERE.KEY") for each member of obj (an object, or NULL) */
typedef int member_check(const json_t *v, const char *at, char *why, size_t size);
static int check_members(const json_t *obj, const char *where, member_check *check, char *why,
                         size_t size)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		char at[256];
		snprintf(at, sizeof(at), "%s.%s", where, key);
		if (check(v, at, why, size) < 0)
			return -1;
	}
	return 0;
}

/* a network's addresses: a list of objects */
static int address_list(const json_t *v, const char *at, char *why, size_t size)
{
	static const struct field addr[] = { { "addr", OPT_STR, false } };
	return check_type(v, at, J_ARR, why, size) < 0 ||
	       check_list(v, at, addr, N_OF(addr), why, size) < 0 ? -1 : 0;
}

static int hash_value(const json_t *v, const char *at, char *why, size_t size)
{
	return check_type(v, at, J_STR, why, size);
}

/* each step an object; the fields report reads, typed */
static int step(const json_t *v, const char *at, char *why, size_t size)
{
	static const struct field fields[] = {
		{ "outcome", J_STR, false }, { "started_at", OPT_STR, false },
		{ "finished_at", OPT_STR, false }, { "exit_status", OPT_INT, false },
	};
	return check_type(v, at, J_OBJ, why, size) < 0 ||
	       check_fields(v, at, fields, N_OF(fields), why, size) < 0 ? -1 : 0;
}

static int check_server(const json_t *srv, char *why, size_t size)
{
	static const struct field fields[] = {
		{ "id", OPT_STR, false }, { "name", OPT_STR, false },
		{ "display_name", OPT_STR, false }, { "flavor", OPT_STR, false },
		{ "status", OPT_STR, false }, { "boot_source", OPT_STR, false },
		{ "addresses", OPT_OBJ, false },
	};
	if (check_fields(srv, "server", fields, N_OF(fields), why, size) < 0)
		return -1;
	return check_members(json_object_get(srv, "addresses"), "server.addresses", address_list,
	                     why, size);
}

static int check_image(const json_t *img, char *why, size_t size)
{
	static const struct field fields[] = {
		{ "id", OPT_STR, false }, { "created_at", OPT_STR, false },
		{ "consistency", OPT_STR, false }, { "size", OPT_INT, false },
		{ "hashes", OPT_OBJ, false },
	};
	if (check_fields(img, "image", fields, N_OF(fields), why, size) < 0)
		return -1;
	return check_members(json_object_get(img, "hashes"), "image.hashes", hash_value, why, size);
}

static int check_runs(const json_t *runs, char *why, size_t size)
{
	static const struct field fields[] = {
		{ "started_at", J_STR, true }, { "local_user", J_STR, true },
		{ "lifeboat_version", J_STR, true }, { "uid", J_INT, true },
		{ "openstack", J_OBJ, false },
	};
	static const struct field os[] = {
		{ "user", OPT_STR, false }, { "user_id", OPT_STR, false },
		{ "project", OPT_STR, false }, { "project_id", OPT_STR, false },
	};
	if (check_list(runs, "runs", fields, N_OF(fields), why, size) < 0)
		return -1;
	size_t i;
	const json_t *run;
	json_array_foreach(runs, i, run) {
		char at[64];
		snprintf(at, sizeof(at), "runs[%zu].openstack", i);
		if (check_fields(json_object_get(run, "openstack"), at, os, N_OF(os), why, size) < 0)
			return -1;
	}
	return 0;
}

static int check_result(const json_t *r, const char *where, char *why, size_t size)
{
	static const struct field result[] = {
		{ "os", J_BOOL | J_NULL, false }, { "package_manager", OPT_STR, false },
		{ "packages", OPT_INT, false }, { "entries", OPT_INT, false },
		{ "hidden", OPT_OBJ, false }, { "unprotected", OPT_OBJ, false },
		{ "warnings", J_ARR | J_NULL, false },
	};
	static const struct field roots[] = { { "roots", OPT_INT, false }, { "size", OPT_INT, false } };
	char hidden[64], unprotected[64];
	snprintf(hidden, sizeof(hidden), "%s%shidden", where, *where ? "." : "");
	snprintf(unprotected, sizeof(unprotected), "%s%sunprotected", where, *where ? "." : "");
	if (check_fields(r, where, result, N_OF(result), why, size) < 0 ||
	    check_fields(json_object_get(r, "hidden"), hidden, roots, N_OF(roots), why, size) < 0 ||
	    check_fields(json_object_get(r, "unprotected"), unprotected, roots, N_OF(roots), why,
	                 size) < 0)
		return -1;
	return 0;
}

static int check_inventory(const json_t *inv, char *why, size_t size)
{
	static const struct field fields[] = {
		{ "file", OPT_STR, false }, { "attached_at", OPT_STR, false },
		{ "result", J_OBJ, false },
	};
	if (check_fields(inv, "inventory", fields, N_OF(fields), why, size) < 0)
		return -1;
	return check_result(json_object_get(inv, "result"), "inventory.result", why, size);
}

int receipt_check_inventory(const json_t *result, char *why, size_t size)
{
	return check_result(result, "", why, size);
}

int receipt_check(const json_t *receipt, char *why, size_t size)
{
	static const struct field top[] = {
		{ "steps", J_OBJ, true }, { "server", J_OBJ, false }, { "image", J_OBJ, false },
		{ "image_id", OPT_STR, false }, { "images", J_ARR, false }, { "local", J_OBJ, false },
		{ "file", OPT_STR, false }, { "boot_volume", OPT_STR, false },
		{ "runs", J_ARR, false }, { "inventory", OPT_OBJ, false },
	};
	static const struct field image_seen[] = {
		{ "id", OPT_STR, false }, { "accepted_at", OPT_STR, false },
	};
	static const struct field local[] = {
		{ "path", OPT_STR, false }, { "verified_at", OPT_STR, false },
		{ "hashes", J_OBJ, false },
	};
	static const struct field local_hashes[] = { { "sha512", OPT_STR, false } };
	const json_t *loc = json_object_get(receipt, "local");
	if (check_fields(receipt, "", top, N_OF(top), why, size) < 0 ||
	    check_server(json_object_get(receipt, "server"), why, size) < 0 ||
	    check_image(json_object_get(receipt, "image"), why, size) < 0 ||
	    check_list(json_object_get(receipt, "images"), "images", image_seen, N_OF(image_seen),
	               why, size) < 0 ||
	    check_fields(loc, "local", local, N_OF(local), why, size) < 0 ||
	    check_fields(json_object_get(loc, "hashes"), "local.hashes", local_hashes,
	                 N_OF(local_hashes), why, size) < 0 ||
	    check_members(json_object_get(receipt, "steps"), "steps", step, why, size) < 0 ||
	    check_runs(json_object_get(receipt, "runs"), why, size) < 0 ||
	    check_inventory(json_object_get(receipt, "inventory"), why, size) < 0)
		return -1;
	return 0;
}

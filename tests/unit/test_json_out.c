/* test_json_out.c - the shared JSON objects' readers and -f value: the
 * files of the version before read as this one's, a receipt brought to
 * schema 1, and the rows -f value prints for each document's shape */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../snap/cli.h"

void complain(const char *fmt, ...)
{
	(void)fmt;
}

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);
	if (!j)
		fail_msg("bad test JSON: %s", err.text);
	return j;
}

/* ---- the files of the version before ---------------------------------- */

static void test_sidecar_both_shapes(void **state)
{
	(void)state;
	json_t *now = parse("{\"schema\": 1, \"hashes\": {\"sha512\": \"aa\", \"md5\": \"bb\"},"
	                    " \"image\": {\"id\": \"I1\"}}");
	assert_string_equal(sidecar_sha512(now), "aa");
	assert_string_equal(sidecar_image_id(now), "I1");
	json_t *old = parse("{\"image_id\": \"I0\", \"algorithm\": \"sha512\", \"hash\": \"cc\"}");
	assert_string_equal(sidecar_sha512(old), "cc");
	assert_string_equal(sidecar_image_id(old), "I0");
	/* an old file whose hash is of another algorithm is no sha512 */
	json_t *other = parse("{\"image_id\": \"I0\", \"algorithm\": \"sha256\", \"hash\": \"dd\"}");
	assert_null(sidecar_sha512(other));
	json_t *none = parse("{}");
	assert_null(sidecar_sha512(none));
	assert_null(sidecar_image_id(none));
	json_decref(now), json_decref(old), json_decref(other), json_decref(none);
}

static void test_receipt_upgrade(void **state)
{
	(void)state;
	json_t *r = parse("{\"lifeboat_version\": \"0.1.0\", \"file\": \"f\", \"steps\": {},"
	                  " \"server\": {\"id\": \"S\", \"name\": \"vm-1\", \"display_name\": \"web\"},"
	                  " \"image_id\": \"I\", \"image\": {\"id\": \"I\", \"consistency\": \"stopped\","
	                  " \"created_at\": \"2026-01-01T00:00:00Z\", \"os_hash_algo\": \"sha512\","
	                  " \"os_hash_value\": \"aa\", \"checksum\": \"bb\", \"size\": 42},"
	                  " \"local\": {\"path\": \"/f\", \"sha512\": \"aa\"}}");
	receipt_upgrade(r);
	assert_int_equal(json_integer_value(json_object_get(r, "schema")), 1);
	assert_string_equal(json_string_value(json_object_get(r, "command")), "retire");
	json_t *img = json_object_get(r, "image");
	assert_string_equal(json_string_value(json_object_get(json_object_get(img, "hashes"),
	                                                       "sha512")), "aa");
	assert_string_equal(json_string_value(json_object_get(json_object_get(img, "hashes"),
	                                                       "md5")), "bb");
	assert_int_equal(json_integer_value(json_object_get(img, "size")), 42);
	assert_string_equal(json_string_value(json_object_get(img, "server_id")), "S");
	assert_null(json_object_get(img, "os_hash_value"));
	json_t *local = json_object_get(r, "local");
	assert_string_equal(json_string_value(json_object_get(json_object_get(local, "hashes"),
	                                                       "sha512")), "aa");
	assert_null(json_object_get(local, "sha512"));
	assert_true(json_is_null(json_object_get(json_object_get(r, "server"), "task_state")));
	/* what retire reads back is untouched */
	assert_string_equal(json_string_value(json_object_get(r, "image_id")), "I");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "server"),
	                                                       "display_name")), "web");
	/* once at schema 1, left alone */
	char *before = json_dumps(r, JSON_SORT_KEYS);
	receipt_upgrade(r);
	char *after = json_dumps(r, JSON_SORT_KEYS);
	assert_string_equal(before, after);
	free(before), free(after);
	json_decref(r);
}

/* ---- -f value ---------------------------------------------------------- */

struct value_row {
	const char *name;
	const char *doc;
	const char *columns[4];
	size_t n;
	int rc;
	const char *want; /* stdout, or a part of why when rc is -1 */
};

static const struct value_row value_rows[] = {
	{ "list: one line per image", "{\"images\": [{\"id\": \"a\", \"status\": \"active\"},"
	  " {\"id\": \"b\", \"status\": \"saving\"}]}", { "id", "status" }, 2, 0,
	  "a active\nb saving\n" },
	{ "servers, empty: nothing", "{\"servers\": []}", { "id" }, 1, 0, "" },
	{ "show: the image, a nested column, null as nothing",
	  "{\"image\": {\"id\": \"a\", \"name\": null, \"hashes\": {\"sha512\": \"ff\"}},"
	  " \"glance\": {}}", { "hashes.sha512", "name", "id" }, 3, 0, "ff  a\n" },
	{ "no column: every scalar of the row", "{\"image\": {\"id\": \"a\", \"size\": 3,"
	  " \"lifeboat\": true, \"hashes\": {}}}", { NULL }, 0, 0, "a 3 true\n" },
	{ "prune --dry-run: what it would delete", "{\"dry_run\": true, \"deleted\": [],"
	  " \"would_delete\": [{\"id\": \"x\"}], \"kept\": []}", { "id" }, 1, 0, "x\n" },
	{ "prune: what it deleted", "{\"dry_run\": false, \"deleted\": [{\"id\": \"y\"}],"
	  " \"would_delete\": [], \"kept\": []}", { "id" }, 1, 0, "y\n" },
	{ "guard: the document itself", "{\"ok\": false, \"image\": null, \"reason\": \"old\"}",
	  { "ok", "reason" }, 2, 0, "false old\n" },
	{ "an unknown column is refused", "{\"images\": [{\"id\": \"a\"}]}", { "nmae" }, 1, -1,
	  "-c nmae" },
};

static void test_value_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(value_rows) / sizeof(value_rows[0]); i++) {
		const struct value_row *r = &value_rows[i];
		json_t *doc = parse(r->doc);
		char *buf = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&buf, &len);
		char why[256] = "";
		int rc = json_print_value(out, doc, r->columns, r->n, why, sizeof(why));
		fclose(out);
		if (rc != r->rc)
			fail_msg("%s: returned %d", r->name, rc);
		if (rc == 0 && strcmp(buf, r->want) != 0)
			fail_msg("%s: printed '%s', want '%s'", r->name, buf, r->want);
		if (rc < 0 && (!strstr(why, r->want) || len != 0))
			fail_msg("%s: why '%s', printed '%s'", r->name, why, buf);
		free(buf);
		json_decref(doc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sidecar_both_shapes),
		cmocka_unit_test(test_receipt_upgrade),
		cmocka_unit_test(test_value_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

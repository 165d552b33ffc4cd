/* test_catalog.c - v3 and v2.0 catalogs, and choosing an endpoint */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

static const char v3_catalog[] = "["
	"{\"type\":\"compute\",\"endpoints\":["
	"  {\"interface\":\"public\",\"region_id\":\"c3j1\",\"url\":\"https://compute.c3j1/v2.1\"},"
	"  {\"interface\":\"internal\",\"region_id\":\"c3j1\",\"url\":\"http://10.0.0.1/v2.1\"},"
	"  {\"interface\":\"public\",\"region_id\":\"c3j2\",\"url\":\"https://compute.c3j2/v2.1\"}]},"
	"{\"type\":\"volumev2\",\"endpoints\":["
	"  {\"interface\":\"public\",\"region\":\"c3j1\",\"url\":\"https://bs/v2/t\"}]},"
	"{\"type\":\"volumev3\",\"endpoints\":["
	"  {\"interface\":\"public\",\"region\":\"c3j1\",\"url\":\"https://bs/v3/t\"}]},"
	"{\"type\":\"image\",\"endpoints\":["
	"  {\"interface\":\"public\",\"region_id\":\"c3j1\",\"url\":\"https://image\"}]},"
	"{\"type\":\"broken\"},"
	"{\"type\":\"identity\",\"endpoints\":[{\"url\":\"no interface\"}]}"
	"]";

static const char v2_catalog[] = "["
	"{\"type\":\"compute\",\"name\":\"Compute Service\",\"endpoints\":["
	"  {\"region\":\"tyo1\",\"publicURL\":\"https://compute.tyo1.conoha.io/v2/t1\"}]},"
	"{\"type\":\"image\",\"endpoints\":["
	"  {\"region\":\"tyo1\",\"publicURL\":\"https://image-service.tyo1.conoha.io\","
	"   \"internalURL\":\"http://internal-image\"}]}"
	"]";

static void load(const char *text, bool v3, struct catalog *cat)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	conoha_error err;
	assert_int_equal(v3 ? catalog_parse_v3(j, cat, &err) : catalog_parse_v2(j, cat, &err), 0);
	json_decref(j);
}

static void test_v3_selection(void **state)
{
	(void)state;
	struct catalog cat;
	load(v3_catalog, true, &cat);
	static const struct {
		const char *type, *iface, *region, *want;
		enum conoha_errkind err;
	} cases[] = {
		{ "compute", NULL, "c3j1", "https://compute.c3j1/v2.1", 0 },
		{ "compute", "public", "c3j2", "https://compute.c3j2/v2.1", 0 },
		{ "compute", "internal", "c3j1", "http://10.0.0.1/v2.1", 0 },
		{ "compute", "internalURL", NULL, "http://10.0.0.1/v2.1", 0 },
		{ "compute", NULL, NULL, NULL, CONOHA_ERR_AMBIGUOUS },
		{ "compute", "admin", "c3j1", NULL, CONOHA_ERR_NOT_FOUND },
		{ "compute", NULL, "tyo9", NULL, CONOHA_ERR_NOT_FOUND },
		{ "block-storage", NULL, "c3j1", "https://bs/v3/t", 0 },
		{ "volumev3", NULL, NULL, "https://bs/v3/t", 0 },
		{ "image", "", "", "https://image", 0 },
		{ "network", NULL, NULL, NULL, CONOHA_ERR_NOT_FOUND },
		{ "identity", NULL, NULL, NULL, CONOHA_ERR_NOT_FOUND },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		conoha_error err;
		conoha_error_clear(&err);
		const char *got = catalog_select(&cat, cases[i].type, cases[i].iface,
		                                 cases[i].region, &err);
		if (cases[i].want) {
			if (!got)
				fail_msg("case %zu: %s", i, err.message);
			assert_string_equal(got, cases[i].want);
		} else {
			assert_null(got);
			assert_int_equal(err.kind, cases[i].err);
		}
	}
	conoha_error err;
	catalog_select(&cat, "compute", NULL, NULL, &err);
	assert_non_null(strstr(err.message, "'c3j1', 'c3j2'"));
	assert_non_null(strstr(err.message, "--os-region-name"));
	catalog_free(&cat);
}

static void test_v2_selection(void **state)
{
	(void)state;
	struct catalog cat;
	load(v2_catalog, false, &cat);
	conoha_error err;
	assert_string_equal(catalog_select(&cat, "compute", NULL, NULL, &err),
	                    "https://compute.tyo1.conoha.io/v2/t1");
	assert_string_equal(catalog_select(&cat, "image", "publicURL", "tyo1", &err),
	                    "https://image-service.tyo1.conoha.io");
	assert_string_equal(catalog_select(&cat, "image", "internal", NULL, &err),
	                    "http://internal-image");
	assert_null(catalog_select(&cat, "compute", "internal", NULL, &err));
	catalog_free(&cat);
}

static void test_not_a_catalog(void **state)
{
	(void)state;
	struct catalog cat;
	conoha_error err;
	json_t *j = json_object();
	assert_int_equal(catalog_parse_v3(j, &cat, &err), -1);
	assert_int_equal(err.kind, CONOHA_ERR_PROTOCOL);
	assert_int_equal(catalog_parse_v2(NULL, &cat, &err), -1);
	json_decref(j);
	assert_string_equal(service_type_canonical("volumev2"), "block-storage");
	assert_string_equal(service_type_canonical("compute"), "compute");
	assert_string_equal(service_type_canonical("object-store"), "object-store");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v3_selection),
		cmocka_unit_test(test_v2_selection),
		cmocka_unit_test(test_not_a_catalog),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_config.c - settings: precedence, clouds.yaml, secure.yaml, env */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "internal.h"

/* A fake environment: NAME=VALUE pairs, NULL-terminated. */
static const char *const *fake_env;

static const char *fake_getenv(const char *name)
{
	size_t n = strlen(name);
	for (const char *const *e = fake_env; e && *e; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static char dir[64];

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lifeboat-unit.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char clouds_yaml[] =
	"clouds:\n"
	"  tyo1:\n"
	"    auth:\n"
	"      auth_url: https://identity.tyo1.conoha.io/v2.0\n"
	"      username: gncu12345678\n"
	"      tenant_name: gnct12345678\n"
	"    region_name: tyo1\n"
	"    identity_api_version: '2'\n"
	"  c3j1:\n"
	"    auth:\n"
	"      auth_url: https://identity.c3j1.conoha.io/v3\n"
	"      user_id: u-1\n"
	"      project_id: p-1\n"
	"      password: from-clouds\n"
	"    verify: false\n"
	"    interface: internal\n"
	"    compute_endpoint_override: https://c/v2.1\n"
	"    unknown_key: ignored\n"
	"    regions: [a, b]\n";

static const char secure_yaml[] =
	"clouds:\n"
	"  tyo1:\n"
	"    auth:\n"
	"      password: from-secure\n";

static char *path_of(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void test_clouds_yaml_and_secure_yaml(void **state)
{
	(void)state;
	write_file("clouds.yaml", clouds_yaml, 0600);
	write_file("secure.yaml", secure_yaml, 0600);
	char *path = path_of("clouds.yaml");
	conoha_config *cfg = conoha_config_new();
	conoha_error err;
	assert_int_equal(conoha_config_load_clouds(cfg, "tyo1", path, &err), 0);
	assert_string_equal(conoha_config_get(cfg, "project_name"), "gnct12345678");
	assert_string_equal(conoha_config_get(cfg, "password"), "from-secure");
	assert_string_equal(conoha_config_get(cfg, "region_name"), "tyo1");
	assert_string_equal(conoha_config_get(cfg, "_file"), path);
	assert_int_equal(conoha_config_source(cfg, "username"), CONOHA_SRC_FILE);
	assert_int_equal(conoha_config_validate(cfg, NULL, &err), 0);
	conoha_config_free(cfg);

	cfg = conoha_config_new();
	assert_int_equal(conoha_config_load_clouds(cfg, "c3j1", path, &err), 0);
	assert_string_equal(conoha_config_get(cfg, "insecure"), "true");
	assert_string_equal(conoha_config_get(cfg, "interface"), "internal");
	assert_string_equal(conoha_config_get(cfg, "compute_endpoint_override"), "https://c/v2.1");
	assert_string_equal(conoha_config_get(cfg, "password"), "from-clouds");
	conoha_config_free(cfg);
	free(path);
}

static void test_missing_cloud_and_bad_yaml(void **state)
{
	(void)state;
	write_file("clouds.yaml", clouds_yaml, 0600);
	write_file("bad.yaml", "clouds: [\n  oops: : :\n", 0600);
	char *path = path_of("clouds.yaml");
	char *bad = path_of("bad.yaml");
	conoha_config *cfg = conoha_config_new();
	conoha_error err;
	assert_int_equal(conoha_config_load_clouds(cfg, "nope", path, &err), -1);
	assert_int_equal(err.kind, CONOHA_ERR_CONFIG);
	assert_non_null(strstr(err.message, "cloud 'nope' not found"));
	assert_int_equal(conoha_config_load_clouds(cfg, "x", bad, &err), -1);
	assert_int_equal(err.kind, CONOHA_ERR_CONFIG);
	assert_non_null(strstr(err.message, "bad.yaml:"));
	assert_int_equal(conoha_config_load_clouds(cfg, "x", "/nonexistent/clouds.yaml", &err), -1);
	assert_int_equal(err.kind, CONOHA_ERR_SYSTEM);
	/* no cloud asked for: nothing to load, no error */
	assert_int_equal(conoha_config_load_clouds(cfg, NULL, NULL, &err), 0);
	conoha_config_free(cfg);
	free(path);
	free(bad);
}

static int warnings;
static char last_warning[512];
static void count_warning(void *ud, const char *msg)
{
	(void)ud;
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

static void test_exposed_secrets_warn(void **state)
{
	(void)state;
	write_file("clouds.yaml", clouds_yaml, 0644);
	write_file("secure.yaml", secure_yaml, 0600);
	char *path = path_of("clouds.yaml");
	conoha_error err;
	struct { const char *cloud; int want; } cases[] = {
		{ "tyo1", 0 }, /* its password is in secure.yaml, which is 0600 */
		{ "c3j1", 1 }, /* password in a world-readable clouds.yaml */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		conoha_config *cfg = conoha_config_new();
		conoha_config_set_warn(cfg, count_warning, NULL);
		warnings = 0;
		assert_int_equal(conoha_config_load_clouds(cfg, cases[i].cloud, path, &err), 0);
		assert_int_equal(warnings, cases[i].want);
		conoha_config_free(cfg);
	}
	assert_non_null(strstr(last_warning, "readable by others"));
	free(path);
}

static void test_precedence(void **state)
{
	(void)state;
	write_file("clouds.yaml", clouds_yaml, 0600);
	write_file("secure.yaml", secure_yaml, 0600);
	char *path = path_of("clouds.yaml");
	static const char *const env[] = {
		"OS_REGION_NAME=from-env", "OS_TENANT_NAME=legacy-tenant",
		"OS_USERNAME=env-user", "OS_ENDPOINT_TYPE=adminURL", NULL,
	};
	fake_env = env;
	conoha_config *cfg = conoha_config_new();
	conoha_error err;
	/* the command line is set first, yet must still win */
	assert_int_equal(conoha_config_set(cfg, "region_name", "from-cli", CONOHA_SRC_CLI, &err), 0);
	assert_int_equal(conoha_config_load_clouds(cfg, "tyo1", path, &err), 0);
	assert_int_equal(conoha_config_load_env(cfg, fake_getenv, &err), 0);
	assert_string_equal(conoha_config_get(cfg, "region_name"), "from-cli");
	assert_int_equal(conoha_config_source(cfg, "region_name"), CONOHA_SRC_CLI);
	assert_string_equal(conoha_config_get(cfg, "username"), "env-user");
	assert_string_equal(conoha_config_get(cfg, "tenant_name"), "legacy-tenant");
	assert_string_equal(conoha_config_get(cfg, "interface"), "admin");
	assert_string_equal(conoha_config_get(cfg, "password"), "from-secure");
	conoha_config_free(cfg);

	/* OS_PROJECT_* beats the legacy OS_TENANT_* */
	static const char *const env2[] = {
		"OS_TENANT_ID=old", "OS_PROJECT_ID=new", "OS_AUTH_URL=http://x/v3", NULL,
	};
	fake_env = env2;
	cfg = conoha_config_new();
	assert_int_equal(conoha_config_load_env(cfg, fake_getenv, &err), 0);
	assert_string_equal(conoha_config_get(cfg, "project_id"), "new");
	assert_int_equal(conoha_config_set(cfg, "no_such_key", "x", CONOHA_SRC_CLI, &err), -1);
	conoha_config_free(cfg);
	free(path);
}

static void test_validate_messages(void **state)
{
	(void)state;
	static const struct {
		const char *const env[8];
		int rc, needs_password;
		const char *mentions;
	} cases[] = {
		{ { NULL }, -1, 0, "OS_AUTH_URL" },
		{ { "OS_AUTH_URL=http://x/v3", NULL }, -1, 0, "OS_USERNAME" },
		{ { "OS_AUTH_URL=http://x/v3", "OS_USERNAME=u", NULL }, -1, 0, "OS_PROJECT_ID" },
		{ { "OS_AUTH_URL=http://x/v2.0", "OS_USERNAME=u", NULL }, -1, 0, "OS_TENANT_ID" },
		{ { "OS_AUTH_URL=http://x/v3", "OS_USERNAME=u", "OS_PROJECT_NAME=p", NULL },
		  -1, 1, "OS_PASSWORD" },
		{ { "OS_AUTH_URL=http://x/v3", "OS_USERNAME=u", "OS_PROJECT_NAME=p",
		    "OS_PASSWORD=pw", NULL }, 0, 0, NULL },
		{ { "OS_AUTH_URL=http://x/v3", "OS_APPLICATION_CREDENTIAL_ID=a", NULL },
		  -1, 0, "OS_APPLICATION_CREDENTIAL_SECRET" },
		{ { "OS_AUTH_URL=http://x/v3", "OS_APPLICATION_CREDENTIAL_ID=a",
		    "OS_APPLICATION_CREDENTIAL_SECRET=s", NULL }, 0, 0, NULL },
		{ { "OS_AUTH_URL=http://x/v2.0", "OS_APPLICATION_CREDENTIAL_ID=a",
		    "OS_APPLICATION_CREDENTIAL_SECRET=s", NULL }, -1, 0, "identity v3" },
		{ { "OS_AUTH_URL=http://x/v3", "OS_TOKEN=t", NULL }, 0, 0, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fake_env = cases[i].env;
		conoha_config *cfg = conoha_config_new();
		conoha_error err;
		conoha_error_clear(&err);
		int needs = -1;
		assert_int_equal(conoha_config_load_env(cfg, fake_getenv, &err), 0);
		assert_int_equal(conoha_config_validate(cfg, &needs, &err), cases[i].rc);
		assert_int_equal(needs, cases[i].needs_password);
		if (cases[i].mentions) {
			assert_int_equal(err.kind, CONOHA_ERR_CONFIG);
			if (!strstr(err.message, cases[i].mentions))
				fail_msg("case %zu: '%s' lacks '%s'", i, err.message, cases[i].mentions);
		}
		conoha_config_free(cfg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_clouds_yaml_and_secure_yaml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_cloud_and_bad_yaml, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exposed_secrets_warn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
		cmocka_unit_test(test_validate_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* fuzz_config.c - clouds.yaml and the secure.yaml beside it, as a user's
 * (or an attacker's) files: the input is clouds.yaml, then, after a line
 * "#secure", secure.yaml; the cloud asked for is "fuzz" */
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"
#include "conoha.h"

static char clouds[96], secure[96];

static void put(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "we");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

static void warn(void *userdata, const char *msg)
{
	(void)userdata, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!clouds[0]) {
		snprintf(clouds, sizeof(clouds), "%s/clouds.yaml", fuzz_tmpdir());
		snprintf(secure, sizeof(secure), "%s/secure.yaml", fuzz_tmpdir());
	}
	char *text = fuzz_cstr(data, size);
	size_t clouds_len = size;
	const char *sep = memmem(text, size, "\n#secure\n", 9);
	if (sep) {
		clouds_len = (size_t)(sep - text) + 1;
		put(secure, sep + 9, size - clouds_len - 8);
	} else {
		unlink(secure);
	}
	put(clouds, text, clouds_len);
	conoha_config *cfg = conoha_config_new();
	if (!cfg)
		abort();
	conoha_config_set_warn(cfg, warn, NULL);
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_config_load_clouds(cfg, "fuzz", clouds, &err) == 0) {
		int needs_password = 0;
		(void)conoha_config_validate(cfg, &needs_password, &err);
		static const char *const keys[] = { "auth_url", "password", "region_name",
		                                    "interface", "profile", "_file" };
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			const char *v = conoha_config_get(cfg, keys[i]);
			if (v)
				(void)strlen(v);
		}
	}
	conoha_config_free(cfg);
	free(text);
	return 0;
}

/* fuzz_env.c - OS_* variables as an openrc file leaves them: the input is
 * NAME=VALUE lines, looked up by the same getenv hook the tests use */
#include "fuzz.h"
#include "conoha.h"

#define MAX_VARS 64

static char *names[MAX_VARS], *values[MAX_VARS];
static size_t n_vars;

static const char *lookup(const char *name)
{
	for (size_t i = 0; i < n_vars; i++)
		if (strcmp(names[i], name) == 0)
			return values[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	n_vars = 0;
	for (char *line = text, *next; line && n_vars < MAX_VARS; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		names[n_vars] = line;
		values[n_vars++] = eq + 1;
	}
	conoha_config *cfg = conoha_config_new();
	if (!cfg)
		abort();
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_config_load_env(cfg, lookup, &err) == 0) {
		int needs_password = 0;
		if (conoha_config_validate(cfg, &needs_password, &err) == 0) {
			conoha_client *c = conoha_client_new(cfg, &err);
			conoha_client_free(c);
		}
	}
	conoha_config_free(cfg);
	free(text);
	return 0;
}

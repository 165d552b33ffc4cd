/* main.c - lifeboat-snap: option parsing and dispatch; the work lives in
 * the cmd_*.c files */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "exit.h"

static const char usage_text[] =
"usage: lifeboat-snap [options] <command> [args]\n"
"\n"
"Snapshot OpenStack and ConoHa servers safely before anything destructive.\n"
"\n"
"commands:\n"
"  auth                 authenticate; show user, project, region, endpoints\n"
"  servers              list servers (id, name, status, flavor, boot source)\n"
"\n"
"options:\n"
"  --json               print one JSON document on stdout\n"
"  --show-token         auth: also print the token (keep it secret)\n"
"  --debug              log HTTP requests to stderr (secrets redacted)\n"
"  -h, --help           this help;  --version  the version\n"
"\n"
"cloud selection (command line > OS_* environment > clouds.yaml):\n"
"  --os-cloud NAME              --os-auth-url URL\n"
"  --os-region-name NAME        --os-interface public|internal|admin\n"
"  --os-username NAME           --os-user-id ID\n"
"  --os-project-name NAME       --os-project-id ID\n"
"  --os-user-domain-name NAME   --os-project-domain-name NAME\n"
"  --os-identity-api-version 3|2.0\n"
"  --os-cacert FILE             --insecure (TLS unverified: dangerous)\n"
"  --os-compute-url URL  --os-image-url URL  --os-volume-url URL\n"
"\n"
"Passwords are never taken on the command line: set OS_PASSWORD, put them\n"
"in secure.yaml, or type them at the prompt. See lifeboat-snap(1).\n";

enum {
	OPT_JSON = 256, OPT_DEBUG, OPT_SHOW_TOKEN, OPT_VERSION, OPT_CLOUD,
	OPT_PASSWORD, OPT_SETTING,
};

/* One table drives parsing: an option either sets a flag or feeds a
 * setting of the command-line layer. */
struct option_spec {
	struct option opt;
	const char *setting; /* with OPT_SETTING: the clouds.yaml name */
};

#define SETTING(name, key) { { name, required_argument, NULL, OPT_SETTING }, key }

static const struct option_spec specs[] = {
	{ { "help", no_argument, NULL, 'h' }, NULL },
	{ { "version", no_argument, NULL, OPT_VERSION }, NULL },
	{ { "json", no_argument, NULL, OPT_JSON }, NULL },
	{ { "debug", no_argument, NULL, OPT_DEBUG }, NULL },
	{ { "show-token", no_argument, NULL, OPT_SHOW_TOKEN }, NULL },
	{ { "os-cloud", required_argument, NULL, OPT_CLOUD }, NULL },
	{ { "os-password", required_argument, NULL, OPT_PASSWORD }, NULL },
	{ { "insecure", no_argument, NULL, OPT_SETTING }, "insecure" },
	SETTING("os-auth-url", "auth_url"),
	SETTING("os-region-name", "region_name"),
	SETTING("os-interface", "interface"),
	SETTING("os-username", "username"),
	SETTING("os-user-id", "user_id"),
	SETTING("os-project-name", "project_name"),
	SETTING("os-project-id", "project_id"),
	SETTING("os-user-domain-name", "user_domain_name"),
	SETTING("os-project-domain-name", "project_domain_name"),
	SETTING("os-identity-api-version", "identity_api_version"),
	SETTING("os-cacert", "cacert"),
	SETTING("os-compute-url", "compute_endpoint_override"),
	SETTING("os-image-url", "image_endpoint_override"),
	SETTING("os-volume-url", "block_storage_endpoint_override"),
};

#define N_SPECS (sizeof(specs) / sizeof(specs[0]))

struct command {
	const char *name;
	int (*run)(struct cli *cli);
	int min_args, max_args;
};

static const struct command commands[] = {
	{ "auth", cmd_auth, 0, 0 },
	{ "servers", cmd_servers, 0, 0 },
};

void complain(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lifeboat-snap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void report(const conoha_error *err)
{
	if (err->request_id[0])
		complain("%s (request id %s)", err->message, err->request_id);
	else
		complain("%s", err->message);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lifeboat-snap: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'lifeboat-snap --help'.\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static int apply_option(struct cli *cli, const struct option_spec *spec, int code,
                        const char *arg)
{
	conoha_error err;
	switch (code) {
	case OPT_JSON: cli->json = true; return 0;
	case OPT_DEBUG: cli->debug = true; return 0;
	case OPT_SHOW_TOKEN: cli->show_token = true; return 0;
	case OPT_CLOUD: cli->cloud = arg; return 0;
	case OPT_PASSWORD:
		return usage_error("--os-password: passwords are never taken on the command "
		                   "line (they show in ps and shell history); set OS_PASSWORD, "
		                   "use secure.yaml, or type it at the prompt");
	case OPT_SETTING:
		if (conoha_config_set(cli->cfg, spec->setting, arg ? arg : "true",
		                      CONOHA_SRC_CLI, &err) < 0) {
			report(&err);
			return EXIT_FAIL;
		}
		return 0;
	}
	return EXIT_USAGE;
}

/* Options may come before or after the command, as with the openstack
 * CLI: GNU getopt permutes them, and the first operand is the command. */
static int parse_args(struct cli *cli, int argc, char **argv)
{
	struct option longopts[N_SPECS + 1];
	for (size_t i = 0; i < N_SPECS; i++)
		longopts[i] = specs[i].opt;
	memset(&longopts[N_SPECS], 0, sizeof(longopts[N_SPECS]));
	int code, index;
	opterr = 0;
	while ((code = getopt_long(argc, argv, ":h", longopts, &index)) != -1) {
		if (code == 'h') {
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		}
		if (code == OPT_VERSION) {
			puts("lifeboat-snap " LIFEBOAT_VERSION);
			exit(EXIT_OK);
		}
		if (code == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (code == ':')
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		int rc = apply_option(cli, &specs[index], code, optarg);
		if (rc)
			return rc;
	}
	if (optind >= argc)
		return usage_error("no command given");
	cli->command = argv[optind];
	cli->args = argv + optind + 1;
	cli->nargs = argc - optind - 1;
	return 0;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_global_init(&err) < 0) {
		report(&err);
		return EXIT_FAIL;
	}
	struct cli cli = { .cfg = conoha_config_new() };
	int rc = cli.cfg ? parse_args(&cli, argc, argv) : EXIT_FAIL;
	if (rc == 0) {
		const struct command *cmd = find_command(cli.command);
		if (!cmd)
			rc = usage_error("unknown command '%s'", cli.command);
		else if (cli.nargs < cmd->min_args || cli.nargs > cmd->max_args)
			rc = usage_error("wrong number of arguments for '%s'", cmd->name);
		else
			rc = cmd->run(&cli);
	}
	conoha_config_free(cli.cfg);
	conoha_global_cleanup();
	return rc;
}

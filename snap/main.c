/* main.c - lifeboat-snap: option parsing and dispatch; the work lives in
 * the cmd_*.c files */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "exit.h"
#include "logjson.h"
#include "progress.h"

static const char usage_text[] =
"usage: lifeboat-snap [options] <command> [args]\n"
"\n"
"Save OpenStack and ConoHa servers as images before anything destructive.\n"
"\n"
"commands:\n"
"  auth | servers        check credentials and endpoints | list the servers\n"
"  create SERVER         save SERVER's disk as an image; wait until active\n"
"     --stop [--force-stop] [--start-after]   stop it first, on any cloud\n"
"     --name NAME  --reason TEXT  --property K=V  --no-wait|--wait  --timeout 2h\n"
"  wait IMAGE | show IMAGE   wait until active (--timeout) | show its record\n"
"  list [SERVER]         lifeboat's images, newest first (--all: every image)\n"
"  prune SERVER --keep N [--older-than 30d] [--dry-run]\n"
"                        delete SERVER's oldest lifeboat images beyond N\n"
"  download IMAGE [FILE] stream to FILE, verified, resumable (--force,\n"
"     --all-hashes, --progress none|bar|json, --stall-timeout 60s, --tries 6);\n"
"     also: create --download FILE\n"
"  verify FILE [IMAGE]   check FILE's hashes, qcow2 header, qemu-img check\n"
"  guard SERVER --max-age 2h [--file FILE]   exit 0 only if a fresh image\n"
"                        (and FILE, verified) is safe: 'guard && delete'\n"
"  retire SERVER --download FILE --stop|--live [--yes] [--dry-run]\n"
"     [--volumes-ok] [--delete-boot-volume] [--inventory F.json]   then delete\n"
"  report FILE.retire.json   a retire receipt, as a post-mortem needs it\n"
"  create|guard|list|prune SERVER... | --all --match GLOB --server-property K=V\n"
"     --parallel 2;  guard --create-if-stale;  --metrics-file F.prom  --log-json\n"
"\n"
"options:\n"
"  --json  one JSON document on stdout;  --debug  HTTP on stderr (redacted)\n"
"  --show-token  auth: also print the token;  -h, --help;  --version\n"
"\n"
"cloud (command line > OS_* environment > clouds.yaml):\n"
"  --os-cloud NAME  --os-auth-url URL  --os-region-name NAME\n"
"  --os-interface public|internal|admin  --os-identity-api-version 3|2.0\n"
"  --os-username NAME  --os-user-id ID  --os-user-domain-name NAME\n"
"  --os-project-name NAME  --os-project-id ID  --os-project-domain-name NAME\n"
"  --os-cacert FILE  --insecure (TLS unverified: dangerous)  --allow-http\n"
"  --os-compute-url URL  --os-image-url URL  --os-volume-url URL\n"
"  --os-compute-api-version 2.X  --os-profile conoha\n"
"\n"
"Passwords are never taken on the command line: set OS_PASSWORD, use\n"
"secure.yaml, or type it at the prompt. Exit codes: see lifeboat-snap(1).\n";

enum {
	OPT_JSON = 256, OPT_DEBUG, OPT_SHOW_TOKEN, OPT_VERSION, OPT_CLOUD,
	OPT_PASSWORD, OPT_SETTING, OPT_STOP, OPT_FORCE_STOP, OPT_START_AFTER,
	OPT_NO_WAIT, OPT_WAIT, OPT_ALL, OPT_DRY_RUN, OPT_NAME, OPT_REASON,
	OPT_PROPERTY, OPT_TIMEOUT, OPT_KEEP, OPT_OLDER_THAN, OPT_FORCE, OPT_ALL_HASHES,
	OPT_PROGRESS, OPT_STALL_TIMEOUT, OPT_DOWNLOAD, OPT_FILE, OPT_MAX_AGE, OPT_YES,
	OPT_VOLUMES_OK, OPT_DELETE_BOOT_VOLUME, OPT_TRIES, OPT_LIVE,
	OPT_MATCH, OPT_SERVER_PROPERTY, OPT_PARALLEL, OPT_METRICS_FILE, OPT_LOG_JSON,
	OPT_CREATE_IF_STALE, OPT_INVENTORY,
};

/* One table drives parsing: an option either sets a flag or feeds a
 * setting of the command-line layer. */
struct option_spec {
	struct option opt;
	const char *setting; /* with OPT_SETTING: the clouds.yaml name */
};

#define FLAG(name, code) { { name, no_argument, NULL, code }, NULL }
#define VALUE(name, code) { { name, required_argument, NULL, code }, NULL }
#define SETTING(name, key) { { name, required_argument, NULL, OPT_SETTING }, key }

static const struct option_spec specs[] = {
	FLAG("help", 'h'),
	FLAG("version", OPT_VERSION),
	FLAG("json", OPT_JSON),
	FLAG("debug", OPT_DEBUG),
	FLAG("show-token", OPT_SHOW_TOKEN),
	FLAG("stop", OPT_STOP),
	FLAG("force-stop", OPT_FORCE_STOP),
	FLAG("start-after", OPT_START_AFTER),
	FLAG("no-wait", OPT_NO_WAIT),
	FLAG("wait", OPT_WAIT),
	FLAG("all", OPT_ALL),
	FLAG("dry-run", OPT_DRY_RUN),
	FLAG("force", OPT_FORCE),
	FLAG("all-hashes", OPT_ALL_HASHES),
	VALUE("progress", OPT_PROGRESS),
	VALUE("stall-timeout", OPT_STALL_TIMEOUT),
	VALUE("tries", OPT_TRIES),
	VALUE("download", OPT_DOWNLOAD),
	VALUE("file", OPT_FILE),
	VALUE("max-age", OPT_MAX_AGE),
	FLAG("yes", OPT_YES),
	FLAG("live", OPT_LIVE),
	FLAG("volumes-ok", OPT_VOLUMES_OK),
	FLAG("delete-boot-volume", OPT_DELETE_BOOT_VOLUME),
	VALUE("name", OPT_NAME),
	VALUE("reason", OPT_REASON),
	VALUE("property", OPT_PROPERTY),
	VALUE("timeout", OPT_TIMEOUT),
	VALUE("keep", OPT_KEEP),
	VALUE("older-than", OPT_OLDER_THAN),
	VALUE("match", OPT_MATCH),
	VALUE("server-property", OPT_SERVER_PROPERTY),
	VALUE("parallel", OPT_PARALLEL),
	VALUE("metrics-file", OPT_METRICS_FILE),
	FLAG("log-json", OPT_LOG_JSON),
	FLAG("create-if-stale", OPT_CREATE_IF_STALE),
	VALUE("inventory", OPT_INVENTORY),
	VALUE("os-cloud", OPT_CLOUD),
	VALUE("os-password", OPT_PASSWORD),
	{ { "insecure", no_argument, NULL, OPT_SETTING }, "insecure" },
	{ { "allow-http", no_argument, NULL, OPT_SETTING }, "allow_http" },
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
	SETTING("os-compute-api-version", "compute_api_version"),
	SETTING("os-profile", "profile"),
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
	{ "create", cmd_create, 1, 1 },
	{ "wait", cmd_wait, 1, 1 },
	{ "show", cmd_show, 1, 1 },
	{ "list", cmd_list, 0, 1 },
	{ "prune", cmd_prune, 1, 1 },
	{ "download", cmd_download, 1, 2 },
	{ "verify", cmd_verify, 1, 2 },
	{ "guard", cmd_guard, 1, 1 },
	{ "retire", cmd_retire, 1, 1 },
	{ "report", cmd_report, 1, 1 },
};

static void on_signal(int sig)
{
	(void)sig;
	snap_interrupted = 1;
}

/* No SA_RESTART: a sleeping wait wakes up and notices at once. */
static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void complain(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char msg[2048];
	int n = snprintf(msg, sizeof(msg), "lifeboat-snap: ");
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	if (log_json)
		log_event(log_priority_of(msg), NULL, msg, -1);
	else
		fprintf(stderr, "%s\n", msg);
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

static int parse_duration_option(const char *arg, const char *opt, long long *out)
{
	if (conoha_parse_duration(arg, out) < 0)
		return usage_error("%s: '%s' is not a duration (90s, 15m, 2h, 7d)", opt, arg);
	return 0;
}

static int parse_count(const char *option, const char *arg, long min, long max, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(arg, &end, 10);
	if (errno || *end || end == arg || n < min || n > max)
		return usage_error("%s: '%s' is not a count from %ld to %ld", option, arg, min, max);
	*out = n;
	return 0;
}

/* Properties under lifeboat.* are lifeboat's own bookkeeping. */
static int add_property(struct cli *cli, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg)
		return usage_error("--property: '%s' is not KEY=VALUE", arg);
	if (strncmp(arg, "lifeboat.", 9) == 0)
		return usage_error("--property: keys under 'lifeboat.' are set by lifeboat itself");
	if (cli->n_props == MAX_PROPERTIES)
		return usage_error("--property: at most %d", MAX_PROPERTIES);
	char *key = strndup(arg, (size_t)(eq - arg));
	if (!key)
		return EXIT_FAIL;
	cli->prop_keys[cli->n_props] = key;
	cli->props[cli->n_props] = (struct conoha_kv){ key, eq + 1 };
	cli->n_props++;
	return 0;
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
	case OPT_STOP: cli->stop = true; return 0;
	case OPT_FORCE_STOP: cli->stop = cli->force_stop = true; return 0;
	case OPT_START_AFTER: cli->start_after = true; return 0;
	case OPT_NO_WAIT: cli->no_wait = true; return 0;
	case OPT_WAIT: cli->no_wait = false; return 0;
	case OPT_ALL: cli->all = true; return 0;
	case OPT_DRY_RUN: cli->dry_run = true; return 0;
	case OPT_NAME: cli->name = arg; return 0;
	case OPT_REASON: cli->reason = arg; return 0;
	case OPT_PROPERTY: return add_property(cli, arg);
	case OPT_MATCH:
	case OPT_SERVER_PROPERTY: {
		bool glob = code == OPT_MATCH;
		struct fleet_opts *f = &cli->fleet;
		size_t *n = glob ? &f->n_match : &f->n_props;
		const char *eq = strchr(arg, '=');
		if (!glob && (!eq || eq == arg))
			return usage_error("--server-property: '%s' is not KEY=VALUE", arg);
		if (*n == FLEET_MAX_SELECTORS)
			return usage_error("%s: at most %d", glob ? "--match" : "--server-property",
			                   FLEET_MAX_SELECTORS);
		(glob ? f->match : f->props)[(*n)++] = arg;
		return 0;
	}
	case OPT_PARALLEL:
		return parse_count("--parallel", arg, 1, FLEET_MAX_PARALLEL, &cli->fleet.parallel);
	case OPT_METRICS_FILE: cli->metrics_file = arg; return 0;
	case OPT_LOG_JSON: cli->log_json = true; return 0;
	case OPT_CREATE_IF_STALE: cli->create_if_stale = true; return 0;
	case OPT_INVENTORY: cli->inventory = arg; return 0;
	case OPT_TIMEOUT: return parse_duration_option(arg, "--timeout", &cli->timeout_s);
	case OPT_OLDER_THAN:
		return parse_duration_option(arg, "--older-than", &cli->older_than_s);
	case OPT_KEEP: return parse_count("--keep", arg, 0, 100000, &cli->keep);
	case OPT_TRIES: return parse_count("--tries", arg, 1, 100, &cli->tries);
	case OPT_FORCE: cli->force = true; return 0;
	case OPT_ALL_HASHES: cli->all_hashes = true; return 0;
	case OPT_DOWNLOAD: cli->download = arg; return 0;
	case OPT_FILE: cli->file = arg; return 0;
	case OPT_MAX_AGE: return parse_duration_option(arg, "--max-age", &cli->max_age_s);
	case OPT_YES: cli->yes = true; return 0;
	case OPT_LIVE: cli->live = true; return 0;
	case OPT_VOLUMES_OK: cli->volumes_ok = true; return 0;
	case OPT_DELETE_BOOT_VOLUME: cli->delete_boot_volume = true; return 0;
	case OPT_STALL_TIMEOUT:
		return parse_duration_option(arg, "--stall-timeout", &cli->stall_timeout_s);
	case OPT_PROGRESS: {
		enum progress_mode mode;
		if (progress_mode_parse(arg, &mode) < 0)
			return usage_error("--progress: '%s' is not none, bar or json", arg);
		cli->progress = (int)mode;
		return 0;
	}
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
	catch_signals();
	struct cli cli = {
		.cfg = conoha_config_new(), .timeout_s = 2 * 3600, .keep = -1,
		.older_than_s = -1, .max_age_s = -1, .tries = 6,
	};
	int rc = cli.cfg ? parse_args(&cli, argc, argv) : EXIT_FAIL;
	log_json = cli.log_json || stderr_is_journal();
	if (rc == 0) {
		const struct command *cmd = find_command(cli.command);
		if (cmd && strcmp(cmd->name, "list") != 0)
			cli.fleet.all = cli.all; /* list --all: every image, as before */
		const char *misused = NULL, *takers = NULL;
		if (cmd)
			misused = fleet_misused_option(&cli, cmd->name, &takers);
		if (!cmd)
			rc = usage_error("unknown command '%s'", cli.command);
		else if (misused)
			rc = usage_error("%s: only for %s", misused, takers);
		else if (fleet_wanted(&cli, cmd->name))
			rc = fleet_run(&cli, cmd->run, cmd->name);
		else if (cli.nargs < cmd->min_args || cli.nargs > cmd->max_args)
			rc = usage_error("wrong number of arguments for '%s'", cmd->name);
		else
			rc = command_run(&cli, cmd->run, cmd->name);
	}
	for (size_t i = 0; i < cli.n_props; i++)
		free(cli.prop_keys[i]);
	conoha_config_free(cli.cfg);
	conoha_global_cleanup();
	return rc;
}

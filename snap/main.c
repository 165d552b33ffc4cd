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
#include "options.h"
#include "progress.h"

typedef int (*command_fn)(struct cli *cli);


static const command_fn runners[N_CMDS] = {
	[CMD_AUTH] = cmd_auth, [CMD_SERVERS] = cmd_servers, [CMD_CREATE] = cmd_create,
	[CMD_WAIT] = cmd_wait, [CMD_SHOW] = cmd_show, [CMD_LIST] = cmd_list,
	[CMD_PRUNE] = cmd_prune, [CMD_DOWNLOAD] = cmd_download, [CMD_VERIFY] = cmd_verify,
	[CMD_GUARD] = cmd_guard, [CMD_RETIRE] = cmd_retire, [CMD_REPORT] = cmd_report,
	[CMD_HELP] = NULL,
};

/* The command a usage error's hint points at, once it is known. */
static enum snap_cmd hint_cmd = N_CMDS;

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
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_json) {
		char line[2100];
		snprintf(line, sizeof(line), "lifeboat-snap: %s", msg);
		log_event(log_priority_of(line), NULL, line, -1);
	} else {
		fprintf(stderr, "lifeboat-snap: %s\n", msg);
	}
	json_note(msg); /* an error document repeats it */
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
	if (hint_cmd < N_CMDS && hint_cmd != CMD_HELP)
		fprintf(stderr, "; see 'lifeboat-snap help %s'\n", snap_commands[hint_cmd].name);
	else
		fputs("; see 'lifeboat-snap help'\n", stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static int parse_duration_option(const char *arg, const char *opt, long long *out)
{
	if (conoha_parse_duration(arg, out) == 0)
		return 0;
	if (*arg && strspn(arg, "0123456789") == strlen(arg))
		return usage_error("%s: '%s' has no unit: write %ss, %sm, %sh or %sd, or combine "
		                   "units, as in 1h30m", opt, arg, arg, arg, arg, arg);
	return usage_error("%s: '%s' is not a duration, such as 90s, 15m, 2h, 1h30m or 1d",
	                   opt, arg);
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

static int apply_option(struct cli *cli, const struct snap_option *spec, const char *arg)
{
	conoha_error err;
	switch (spec->code) {
	case OPT_JSON: cli->json = true; cli->format = FORMAT_JSON; return 0;
	case OPT_FORMAT:
		if (strcmp(arg, "json") != 0 && strcmp(arg, "value") != 0 && strcmp(arg, "table") != 0)
			return usage_error("-f: '%s' is not json, value or table", arg);
		cli->format = arg[0] == 'j' ? FORMAT_JSON : arg[0] == 'v' ? FORMAT_VALUE : FORMAT_TEXT;
		cli->json = cli->format != FORMAT_TEXT; /* the commands build the document */
		return 0;
	case OPT_COLUMN:
		if (cli->n_columns == MAX_COLUMNS)
			return usage_error("-c: at most %d columns", MAX_COLUMNS);
		cli->columns[cli->n_columns++] = arg;
		return 0;
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
		bool glob = spec->code == OPT_MATCH;
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
	case OPT_HELP:
	case OPT_VERSION:
		return 0; /* answered before any option is applied */
	}
	return EXIT_USAGE;
}

/* An option as it was given: which, and its value. */
struct given {
	const struct snap_option *spec;
	const char *arg;
};

#define OPT_INDEX_BASE 1000
#define MAX_OPTIONS 128

/* getopt takes a unique prefix of an option's name; several are named. */
static int unknown_option(const char *arg)
{
	char names[512] = "";
	size_t len = 0, matches = 0;
	const char *word = strncmp(arg, "--", 2) == 0 ? arg + 2 : NULL;
	size_t n = word ? strcspn(word, "=") : 0;
	for (size_t i = 0; word && n && i < snap_n_options; i++) {
		if (strncmp(snap_options[i].name, word, n) != 0)
			continue;
		int w = snprintf(names + len, sizeof(names) - len, "%s--%s", matches ? ", " : "",
		                 snap_options[i].name);
		if (w > 0 && (size_t)w < sizeof(names) - len)
			len += (size_t)w;
		matches++;
	}
	if (matches > 1)
		return usage_error("ambiguous option '%s': %s", arg, names);
	if (matches == 1 && word[n] == '=')
		return usage_error("option '%s' takes no value", names);
	return usage_error("unknown option '%s'", arg);
}

/* Options may come before or after the command, as with the openstack
 * CLI: GNU getopt permutes them, and the first operand is the command.
 * Every option is read first and applied only once the command is known
 * to take it, so that nothing is acted on for a command line that is
 * refused. */
static int read_options(int argc, char **argv, struct given *given, size_t *n_given)
{
	static struct option longopts[MAX_OPTIONS + 1];
	if (snap_n_options > MAX_OPTIONS)
		return usage_error("internal error: more than %d options", MAX_OPTIONS);
	for (size_t i = 0; i < snap_n_options; i++)
		longopts[i] = (struct option){ snap_options[i].name,
		                               snap_options[i].arg ? required_argument : no_argument,
		                               NULL, OPT_INDEX_BASE + (int)i };
	memset(&longopts[snap_n_options], 0, sizeof(longopts[snap_n_options]));
	const struct snap_option *help = NULL;
	for (size_t i = 0; i < snap_n_options; i++)
		if (snap_options[i].code == OPT_HELP)
			help = &snap_options[i];
	int code;
	opterr = 0;
	*n_given = 0;
	while ((code = getopt_long(argc, argv, ":hf:c:", longopts, NULL)) != -1) {
		if (code == '?')
			return unknown_option(argv[optind - 1]);
		if (code == ':')
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		const struct snap_option *spec = code == 'h' ? help : NULL;
		for (size_t i = 0; !spec && code < OPT_INDEX_BASE && i < snap_n_options; i++)
			if ((int)snap_options[i].code == code)
				spec = &snap_options[i]; /* -f, -c */
		if (!spec)
			spec = &snap_options[code - OPT_INDEX_BASE];
		given[(*n_given)++] = (struct given){ spec, optarg };
	}
	return 0;
}

static bool was_given(const struct given *given, size_t n, enum opt_code code)
{
	for (size_t i = 0; i < n; i++)
		if (given[i].spec->code == code)
			return true;
	return false;
}

/* What only a download uses: create takes it with --download alone. */
static bool is_download_knob(enum opt_code code)
{
	return code == OPT_FORCE || code == OPT_ALL_HASHES || code == OPT_PROGRESS ||
	       code == OPT_STALL_TIMEOUT || code == OPT_TRIES;
}

/* --help and help [COMMAND]: exit 0, or a usage error. */
static int answer_help(const char *name)
{
	if (!name) {
		snap_global_help(stdout);
		return EXIT_OK;
	}
	enum snap_cmd cmd = snap_find_command(name);
	if (cmd == N_CMDS)
		return usage_error("no command named '%s'", name);
	snap_command_help(stdout, cmd);
	return EXIT_OK;
}

/* Read the options, find the command, refuse any option it does not take,
 * and only then apply them. */
static int check_args(struct cli *cli, int argc, char **argv, struct given *given,
                      enum snap_cmd *cmd)
{
	size_t n = 0;
	int rc = read_options(argc, argv, given, &n);
	if (rc)
		return rc;
	const char *name = optind < argc ? argv[optind] : NULL;
	if (was_given(given, n, OPT_HELP))
		return answer_help(name) ? EXIT_USAGE : -1;
	if (was_given(given, n, OPT_VERSION)) {
		puts("lifeboat-snap " LIFEBOAT_VERSION);
		return -1;
	}
	if (!name)
		return usage_error("no command given");
	*cmd = snap_find_command(name);
	if (*cmd == N_CMDS)
		return usage_error("unknown command '%s'", name);
	hint_cmd = *cmd;
	const struct snap_command *c = &snap_commands[*cmd];
	unsigned bit = 1u << *cmd;
	for (size_t i = 0; i < n; i++)
		if (!(given[i].spec->cmds & bit))
			return usage_error("'%s' does not take --%s", c->name, given[i].spec->name);
	if (*cmd == CMD_CREATE && !was_given(given, n, OPT_DOWNLOAD))
		for (size_t i = 0; i < n; i++)
			if (is_download_knob(given[i].spec->code))
				return usage_error("'create' takes --%s only with --download FILE",
				                   given[i].spec->name);
	cli->command = name;
	cli->args = argv + optind + 1;
	cli->nargs = argc - optind - 1;
	/* servers chosen by selectors need no SERVER argument */
	bool selected = was_given(given, n, OPT_MATCH) || was_given(given, n, OPT_SERVER_PROPERTY) ||
	                (*cmd != CMD_LIST && was_given(given, n, OPT_ALL));
	if ((cli->nargs < c->min_args && !selected) || cli->nargs > c->max_args)
		return usage_error("wrong number of arguments: lifeboat-snap %s %s", c->name,
		                   c->synopsis);
	for (size_t i = 0; i < n; i++)
		if ((rc = apply_option(cli, given[i].spec, given[i].arg)) != 0)
			return rc;
	if (cli->n_columns && cli->format != FORMAT_VALUE)
		return usage_error("-c COLUMN needs -f value");
	if (*cmd != CMD_LIST)
		cli->fleet.all = cli->all; /* list --all: every image, as before */
	return 0;
}

/* Parse the command line into cli and find the command. Returns 0 to run
 * it, or an exit code (-1 for a help or version answered: exit 0). */
static int parse_args(struct cli *cli, int argc, char **argv, enum snap_cmd *cmd)
{
	struct given *given = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*given));
	if (!given)
		return EXIT_FAIL;
	int rc = check_args(cli, argc, argv, given, cmd);
	free(given);
	return rc;
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
	enum snap_cmd cmd = N_CMDS;
	int rc = cli.cfg ? parse_args(&cli, argc, argv, &cmd) : EXIT_FAIL;
	log_json = cli.log_json || stderr_is_journal();
	if (rc < 0)
		rc = EXIT_OK;
	else if (rc == 0 && cmd == CMD_HELP)
		rc = answer_help(cli.nargs ? cli.args[0] : NULL);
	else if (rc == 0 && fleet_wanted(&cli, cli.command))
		rc = fleet_run(&cli, runners[cmd], cli.command);
	else if (rc == 0)
		rc = command_run(&cli, runners[cmd], cli.command);
	for (size_t i = 0; i < cli.n_props; i++)
		free(cli.prop_keys[i]);
	conoha_config_free(cli.cfg);
	conoha_global_cleanup();
	return rc;
}

/* main.c - lifeboat-extract: option parsing and dispatch */
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
#include "inventory.h"
#include "native_run.h"

/* ---- the command line as data: each command, the options it takes ------ */

enum xcmd { X_FILESYSTEMS, X_LS, X_CAT, X_COPY, X_VERIFY, X_INVENTORY, X_HELP, X_NCMDS };

struct command {
	const char *name;
	const char *synopsis; /* after "lifeboat-extract NAME ", as in the man page */
	const char *summary;  /* the global help's line */
	const char *about;    /* the command's own help's line */
	int (*run)(struct xcli *cli);
	int min_args, max_args;
};

static const struct command commands[X_NCMDS] = {
	[X_FILESYSTEMS] = { "filesystems", "[options] IMAGE",
		"partitions and LVs: type, label, size, used; the OS",
		"List IMAGE's partitions and LVs: type, label, size, used; and its OS.",
		cmd_filesystems, 1, 1 },
	[X_LS] = { "ls", "[options] IMAGE [PATH]",
		"list PATH: type, mode, owner, size, mtime",
		"List PATH in IMAGE (default /): type, mode, owner, size, mtime.", cmd_ls, 1, 2 },
	[X_CAT] = { "cat", "[options] IMAGE FILE", "FILE's bytes on stdout",
		"Write FILE of IMAGE to standard output.", cmd_cat, 2, 2 },
	[X_COPY] = { "copy", "[options] IMAGE PATH ... DEST",
		"copy PATHs under DEST, faithfully and safely",
		"Copy PATHs of IMAGE under DEST, faithfully and safely.", cmd_copy, 3, 1000 },
	[X_VERIFY] = { "verify", "[options] DEST MANIFEST",
		"check a copy against its manifest",
		"Check the copy under DEST against MANIFEST.", cmd_verify, 2, 2 },
	[X_INVENTORY] = { "inventory", "[options] IMAGE",
		"what no package or backup would bring back",
		"List what in IMAGE no package or backup would bring back.", cmd_inventory, 1, 1 },
	[X_HELP] = { "help", "[COMMAND]", "this help, or a command's",
		"Show the help of COMMAND, or the global help.", NULL, 0, 1 },
};

#define XON(c) (1u << X_##c)
#define XON_EVERY ((1u << X_NCMDS) - 1)
/* the commands that open an image, and those that mount it */
#define XON_IMAGE (XON(FILESYSTEMS) | XON(LS) | XON(CAT) | XON(COPY) | XON(INVENTORY))
#define XON_MOUNT (XON(LS) | XON(CAT) | XON(COPY) | XON(INVENTORY))

enum {
	O_JSON = 256, O_VERSION, O_FORMAT, O_FILESYSTEM, O_ALLOW_BACKING, O_MANIFEST,
	O_INCLUDE, O_EXCLUDE, O_NEWER, O_PRESERVE, O_SPECIALS, O_OWNER, O_PROGRESS,
	O_NO_PROGRESS, O_BACKED_UP, O_FAIL_UNPROTECTED, O_MIN_SIZE, O_TOP, O_READER,
};

struct xoption {
	const char *name;  /* the long name */
	char short_name;   /* or 0 */
	const char *arg;   /* the value's name in help, NULL for a flag */
	int code;
	unsigned cmds;     /* the commands that take it */
	bool common;       /* shown on the "also:" line, not as the command's own */
	const char *help;
};

static const struct xoption xoptions[] = {
	{ "format", 0, "raw|qcow2", O_FORMAT, XON_IMAGE, false,
	  "the format, whatever IMAGE.json or the header say" },
	{ "filesystem", 0, "DEV", O_FILESYSTEM, XON_MOUNT, false,
	  "mount DEV at / instead of inspecting the OS" },
	{ "reader", 0, "auto|native|appliance", O_READER, XON_IMAGE, false,
	  "ext2/3/4 natively, or the appliance" },
	{ "allow-backing", 0, NULL, O_ALLOW_BACKING, XON_IMAGE, false,
	  "open a qcow2 chain whose every level lies beside it" },
	{ "long", 'l', NULL, 'l', XON(LS), false, "type, mode, owner, size and mtime" },
	{ "recursive", 'R', NULL, 'R', XON(LS), false, "list the whole tree under PATH" },
	{ "manifest", 0, "FILE", O_MANIFEST, XON(COPY), false,
	  "one line per entry, with sha256" },
	{ "include", 0, "GLOB", O_INCLUDE, XON(COPY), false, "copy only what matches" },
	{ "exclude", 0, "GLOB", O_EXCLUDE, XON(COPY), false, "leave out what matches" },
	{ "newer-than", 0, "DATE", O_NEWER, XON(COPY), false,
	  "only files modified after DATE (2026-01-31)" },
	{ "preserve-owner", 0, NULL, O_PRESERVE, XON(COPY), false,
	  "keep uid/gid, setuid bits, security.* xattrs (root)" },
	{ "specials", 0, NULL, O_SPECIALS, XON(COPY), false,
	  "make FIFOs (devices too: root, --preserve-owner)" },
	{ "owner", 0, NULL, O_OWNER, XON(VERIFY), false, "check owners and modes too" },
	{ "backed-up", 0, "FILE", O_BACKED_UP, XON(INVENTORY), false,
	  "paths and globs a backup covers" },
	{ "fail-if-unprotected", 0, NULL, O_FAIL_UNPROTECTED, XON(INVENTORY), false,
	  "exit 14 when something is unprotected" },
	{ "min-size", 0, "SIZE", O_MIN_SIZE, XON(INVENTORY), false,
	  "list only roots this big (10k, 5M, 1G)" },
	{ "top", 0, "N", O_TOP, XON(INVENTORY), false, "list only this many roots" },
	{ "progress", 0, NULL, O_PROGRESS, XON(COPY) | XON(INVENTORY), false,
	  "progress on stderr (the default on a terminal)" },
	{ "no-progress", 0, NULL, O_NO_PROGRESS, XON(COPY) | XON(INVENTORY), false,
	  "no progress" },
	{ "verbose", 'v', NULL, 'v', XON_IMAGE, false, "trace libguestfs calls" },
	{ "json", 0, NULL, O_JSON, XON_EVERY & ~XON(CAT) & ~XON(HELP), true,
	  "one JSON document on stdout" },
	{ "help", 'h', NULL, 'h', XON_EVERY, true, "this help" },
	{ "version", 0, NULL, O_VERSION, XON_EVERY, true, "the version" },
};

#define N_XOPTIONS (sizeof(xoptions) / sizeof(xoptions[0]))

static void option_line(const struct xoption *o)
{
	char head[64];
	if (o->short_name)
		snprintf(head, sizeof(head), "-%c, --%s", o->short_name, o->name);
	else
		snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "",
		         o->arg ? o->arg : "");
	printf("  %-25s  %s\n", head, o->help);
}

static void command_help(enum xcmd cmd)
{
	const struct command *c = &commands[cmd];
	printf("usage: lifeboat-extract %s %s\n%s\n\n", c->name, c->synopsis, c->about);
	size_t own = 0;
	for (size_t i = 0; i < N_XOPTIONS; i++)
		if (!xoptions[i].common && (xoptions[i].cmds & (1u << cmd))) {
			option_line(&xoptions[i]);
			own++;
		}
	if (!own)
		puts("  (no options of its own)");
	fputs("also:", stdout);
	for (size_t i = 0; i < N_XOPTIONS; i++)
		if (xoptions[i].common && xoptions[i].code != O_VERSION &&
		    (xoptions[i].cmds & (1u << cmd)))
			printf(" --%s", xoptions[i].name);
	puts(". Exit codes: lifeboat-extract(1).");
}

static void global_help(void)
{
	puts("usage: lifeboat-extract COMMAND [options] [ARGS]\n"
	     "       lifeboat-extract help [COMMAND]\n"
	     "\n"
	     "Open a qcow2 or raw disk image strictly read-only and copy data out.\n"
	     "No credentials needed; the image file is never written.\n"
	     "\n"
	     "commands:");
	for (int i = 0; i < X_NCMDS; i++)
		printf("  %-12s %s\n", commands[i].name, commands[i].summary);
	puts("\noptions (each command's own: lifeboat-extract help COMMAND):");
	for (size_t i = 0; i < N_XOPTIONS; i++)
		if (xoptions[i].common)
			option_line(&xoptions[i]);
	puts("\nSet LIBGUESTFS_BACKEND_SETTINGS=force_tcg where KVM is broken; without it a\n"
	     "failed KVM launch is retried once under TCG. Exit codes: lifeboat-extract(1).");
}

volatile sig_atomic_t extract_interrupted;

/* The first signal cancels the transfer under way (guestfs_user_cancel
 * is documented as safe here) and lets the copy end cleanly, appliance
 * shut down; SA_RESETHAND makes a second one end the program at once. */
static void on_signal(int sig)
{
	(void)sig;
	extract_interrupted = 1;
	if (running_guest)
		guestfs_user_cancel(running_guest);
}

/* The command a usage error's hint points at, once it is known. */
static enum xcmd hint_cmd = X_NCMDS;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lifeboat-extract: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (hint_cmd < X_NCMDS && hint_cmd != X_HELP)
		fprintf(stderr, "; see 'lifeboat-extract help %s'\n", commands[hint_cmd].name);
	else
		fputs("; see 'lifeboat-extract help'\n", stderr);
	va_end(ap);
	return XT_USAGE;
}

static int add_glob(const char **list, size_t *n, const char *glob)
{
	if (*n == MAX_GLOBS)
		return usage_error("at most %d --include and %d --exclude", MAX_GLOBS, MAX_GLOBS);
	list[(*n)++] = glob;
	return 0;
}

static int parse_date(const char *s, long long *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == 'T')
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z") != 0))
		return usage_error("--newer-than: '%s' is not YYYY-MM-DD[THH:MM:SS]", s);
	*out = (long long)timegm(&tm);
	return 0;
}

static int parse_top(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v == 0)
		return usage_error("--top: '%s' is not a positive number", s);
	*out = (size_t)v;
	return 0;
}

static int parse_min_size(const char *s, long long *out)
{
	int64_t v;
	if (inv_parse_size(s, &v) < 0)
		return usage_error("--min-size: '%s' is not a size (bytes, or 10k, 5M, 1G)", s);
	*out = (long long)v;
	return 0;
}

static int apply(struct xcli *cli, int code, const char *arg)
{
	switch (code) {
	case 'v': cli->guest.verbose = true; return 0;
	case 'l': cli->long_list = true; return 0;
	case 'R': cli->recursive = true; return 0;
	case O_JSON: cli->json = true; return 0;
	case O_FORMAT: cli->guest.format = arg; return 0;
	case O_FILESYSTEM: cli->guest.filesystem = arg; return 0;
	case O_ALLOW_BACKING: cli->guest.allow_backing = true; return 0;
	case O_MANIFEST: cli->manifest = arg; return 0;
	case O_INCLUDE: return add_glob(cli->include, &cli->n_include, arg);
	case O_EXCLUDE: return add_glob(cli->exclude, &cli->n_exclude, arg);
	case O_NEWER: return parse_date(arg, &cli->newer_than);
	case O_PRESERVE: cli->preserve_owner = true; return 0;
	case O_SPECIALS: cli->specials = true; return 0;
	case O_OWNER: cli->owner = true; return 0;
	case O_PROGRESS: cli->progress = 1; return 0;
	case O_NO_PROGRESS: cli->progress = 0; return 0;
	case O_BACKED_UP: cli->backed_up = arg; return 0;
	case O_FAIL_UNPROTECTED: cli->fail_if_unprotected = true; return 0;
	case O_MIN_SIZE: return parse_min_size(arg, &cli->min_size);
	case O_TOP: return parse_top(arg, &cli->top);
	case O_READER:
		if (reader_choice_parse(arg, &cli->reader) < 0)
			return usage_error("--reader: '%s' is not auto, native or appliance", arg);
		return 0;
	}
	return XT_USAGE;
}

/* An option as it was given. */
struct given {
	const struct xoption *opt;
	const char *arg;
};

static enum xcmd find_command(const char *name)
{
	for (int i = 0; i < X_NCMDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return (enum xcmd)i;
	return X_NCMDS;
}

/* --help and help [COMMAND]. */
static int answer_help(const char *name)
{
	if (!name) {
		global_help();
		return XT_OK;
	}
	enum xcmd cmd = find_command(name);
	if (cmd == X_NCMDS)
		return usage_error("no command named '%s'", name);
	command_help(cmd);
	return XT_OK;
}

static const struct xoption *option_by_code(int code)
{
	for (size_t i = 0; i < N_XOPTIONS; i++)
		if (xoptions[i].code == code)
			return &xoptions[i];
	return NULL;
}

/* Read every option, find the command, refuse any option it does not
 * take, and only then apply them. Returns 0 to run *cmd, -1 when a help
 * or the version was printed, or an exit code. */
static int check_args(struct xcli *cli, int argc, char **argv, struct given *given,
                      enum xcmd *cmd)
{
	static struct option longopts[N_XOPTIONS + 1];
	for (size_t i = 0; i < N_XOPTIONS; i++)
		longopts[i] = (struct option){ xoptions[i].name,
		                               xoptions[i].arg ? required_argument : no_argument,
		                               NULL, xoptions[i].code };
	size_t n = 0;
	int code;
	opterr = 0;
	while ((code = getopt_long(argc, argv, ":hvlR", longopts, NULL)) != -1) {
		if (code == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (code == ':')
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		given[n++] = (struct given){ option_by_code(code), optarg };
	}
	const char *name = optind < argc ? argv[optind] : NULL;
	for (size_t i = 0; i < n; i++)
		if (given[i].opt->code == 'h')
			return answer_help(name) ? XT_USAGE : -1;
	for (size_t i = 0; i < n; i++)
		if (given[i].opt->code == O_VERSION) {
			puts("lifeboat-extract " LIFEBOAT_VERSION);
			return -1;
		}
	if (!name)
		return usage_error("no command given");
	if ((*cmd = find_command(name)) == X_NCMDS)
		return usage_error("unknown command '%s'", name);
	hint_cmd = *cmd;
	const struct command *c = &commands[*cmd];
	for (size_t i = 0; i < n; i++) {
		const struct xoption *o = given[i].opt;
		if (!(o->cmds & (1u << *cmd))) {
			if (o->short_name)
				return usage_error("'%s' does not take -%c (--%s)", c->name,
				                   o->short_name, o->name);
			return usage_error("'%s' does not take --%s", c->name, o->name);
		}
	}
	cli->command = name;
	cli->args = argv + optind + 1;
	cli->nargs = argc - optind - 1;
	if (cli->nargs < c->min_args || cli->nargs > c->max_args)
		return usage_error("wrong number of arguments: lifeboat-extract %s %s", c->name,
		                   c->synopsis);
	for (size_t i = 0; i < n; i++) {
		int rc = apply(cli, given[i].opt->code, given[i].arg);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_args(struct xcli *cli, int argc, char **argv, enum xcmd *cmd)
{
	struct given *given = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*given));
	if (!given)
		return XT_FAIL;
	int rc = check_args(cli, argc, argv, given, cmd);
	free(given);
	return rc;
}

/* lifeboat-extract talks to no cloud, but an openrc may have left a
 * password or a token in OS_*: drop them, so that qemu, which the
 * appliance runs, does not show them in its /proc/PID/environ. */
static void drop_cloud_environment(void)
{
	extern char **environ;
	for (size_t i = 0; environ[i];) {
		const char *eq = strchr(environ[i], '=');
		char *name = strncmp(environ[i], "OS_", 3) == 0 && eq
		             ? strndup(environ[i], (size_t)(eq - environ[i])) : NULL;
		if (name && unsetenv(name) == 0) {
			free(name);
			continue; /* environ[i] is the next one now */
		}
		free(name);
		i++;
	}
}

int main(int argc, char **argv)
{
	drop_cloud_environment();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A file past RLIMIT_FSIZE is a write error (EFBIG) to report, not a
	 * reason to die with the copy half done. */
	signal(SIGXFSZ, SIG_IGN);
	struct xcli cli = { .newer_than = -1, .progress = -1 };
	enum xcmd cmd = X_NCMDS;
	int rc = parse_args(&cli, argc, argv, &cmd);
	if (rc < 0)
		return XT_OK;
	if (rc)
		return rc;
	if (cmd == X_HELP)
		return answer_help(cli.nargs ? cli.args[0] : NULL);
	return commands[cmd].run(&cli);
}

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

static const char usage_text[] =
"usage: lifeboat-extract [options] <command> IMAGE [args]\n"
"\n"
"Open a qcow2 or raw disk image strictly read-only and copy data out.\n"
"No credentials needed; the image file is never written.\n"
"\n"
"commands:\n"
"  filesystems IMAGE          partitions and LVs: type, label, size, used; the OS\n"
"  ls IMAGE [PATH] [-l] [-R]  list PATH: type, mode, owner, size, mtime\n"
"  cat IMAGE FILE             FILE's bytes on stdout\n"
"  copy IMAGE PATH... DEST    copy PATHs under DEST, faithfully and safely:\n"
"     --manifest FILE   one line per entry, with sha256\n"
"     --include GLOB  --exclude GLOB  --newer-than 2026-01-31\n"
"     --preserve-owner  keep uid/gid, setuid bits, security.* xattrs (root)\n"
"     --specials        recreate FIFOs (and devices: root, --preserve-owner)\n"
"  verify DEST MANIFEST       check a copy against its manifest (--owner)\n"
"  inventory IMAGE            what no package or backup would bring back:\n"
"     --backed-up FILE  paths/globs a backup covers  --fail-if-unprotected\n"
"     --min-size SIZE  --top N  (list only roots this big, this many)\n"
"\n"
"options:\n"
"  --format raw|qcow2         the format, whatever IMAGE.json or the header say\n"
"  --filesystem DEV           mount DEV at / instead of inspecting the OS\n"
"  --reader auto|native|appliance  ext2/3/4 natively, or the libguestfs\n"
"                             appliance; auto: native when it can\n"
"  --allow-backing            open a qcow2 chain whose every level lies beside it\n"
"  --json                     one JSON document on stdout (all but cat)\n"
"  --progress | --no-progress copy, inventory: progress on stderr\n"
"  -v, --verbose              trace libguestfs calls\n"
"  -h, --help | --version\n"
"\n"
"Set LIBGUESTFS_BACKEND_SETTINGS=force_tcg where KVM is broken; without it a\n"
"failed KVM launch is retried once under TCG. Exit codes: lifeboat-extract(1).\n";

enum {
	O_JSON = 256, O_VERSION, O_FORMAT, O_FILESYSTEM, O_ALLOW_BACKING, O_MANIFEST,
	O_INCLUDE, O_EXCLUDE, O_NEWER, O_PRESERVE, O_SPECIALS, O_OWNER, O_PROGRESS,
	O_NO_PROGRESS, O_BACKED_UP, O_FAIL_UNPROTECTED, O_MIN_SIZE, O_TOP, O_READER,
};

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ "verbose", no_argument, NULL, 'v' },
	{ "json", no_argument, NULL, O_JSON },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "filesystem", required_argument, NULL, O_FILESYSTEM },
	{ "allow-backing", no_argument, NULL, O_ALLOW_BACKING },
	{ "manifest", required_argument, NULL, O_MANIFEST },
	{ "include", required_argument, NULL, O_INCLUDE },
	{ "exclude", required_argument, NULL, O_EXCLUDE },
	{ "newer-than", required_argument, NULL, O_NEWER },
	{ "preserve-owner", no_argument, NULL, O_PRESERVE },
	{ "specials", no_argument, NULL, O_SPECIALS },
	{ "owner", no_argument, NULL, O_OWNER },
	{ "progress", no_argument, NULL, O_PROGRESS },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "backed-up", required_argument, NULL, O_BACKED_UP },
	{ "fail-if-unprotected", no_argument, NULL, O_FAIL_UNPROTECTED },
	{ "min-size", required_argument, NULL, O_MIN_SIZE },
	{ "top", required_argument, NULL, O_TOP },
	{ "reader", required_argument, NULL, O_READER },
	{ NULL, 0, NULL, 0 },
};

struct command {
	const char *name;
	int (*run)(struct xcli *cli);
	int min_args, max_args;
};

static const struct command commands[] = {
	{ "filesystems", cmd_filesystems, 1, 1 },
	{ "ls", cmd_ls, 1, 2 },
	{ "cat", cmd_cat, 2, 2 },
	{ "copy", cmd_copy, 3, 1000 },
	{ "verify", cmd_verify, 2, 2 },
	{ "inventory", cmd_inventory, 1, 1 },
};

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

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("lifeboat-extract: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs("\nTry 'lifeboat-extract --help'.\n", stderr);
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

static int parse_args(struct xcli *cli, int argc, char **argv)
{
	int code;
	opterr = 0;
	while ((code = getopt_long(argc, argv, ":hvlR", longopts, NULL)) != -1) {
		if (code == 'h') {
			fputs(usage_text, stdout);
			exit(XT_OK);
		}
		if (code == O_VERSION) {
			puts("lifeboat-extract " LIFEBOAT_VERSION);
			exit(XT_OK);
		}
		if (code == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
		if (code == ':')
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		int rc = apply(cli, code, optarg);
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
	int rc = parse_args(&cli, argc, argv);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *c = &commands[i];
		if (strcmp(c->name, cli.command) != 0)
			continue;
		if (cli.nargs < c->min_args || cli.nargs > c->max_args)
			return usage_error("wrong number of arguments for '%s'", c->name);
		return c->run(&cli);
	}
	return usage_error("unknown command '%s'", cli.command);
}

/* options.c - the commands and options of lifeboat-snap, and the help made
 * from them. An option taken by several commands is one line: its set of
 * commands (ON(...)) says which.
 *
 * A new option: its code in options.h, a line here, its case in main.c's
 * apply_option; then its item in man/lifeboat-snap.1 naming the same
 * commands (".Cm create , Cm retire :", checked by tests/lint-cli.py), the
 * TAKES table of tests/integration/t_cli.sh, and `make completion`
 * (checked by t_completion.sh). */
#include <string.h>
#include "fleet.h"
#include "options.h"

const struct snap_command snap_commands[N_CMDS] = {
	[CMD_AUTH] = { "auth", "[options]",
		"check credentials; show project, region, endpoints",
		"Authenticate; show the user, project, region, token expiry and endpoints.", 0, 0 },
	[CMD_SERVERS] = { "servers", "[options]",
		"list servers: id, name, status, flavor, boot source",
		"List the project's servers: id, name, status, flavor, boot source.", 0, 0 },
	[CMD_CREATE] = { "create", "[options] SERVER...",
		"save SERVER's disk as an image; wait until active",
		"Save SERVER's disk as an image, wait until it is active, print its id.", 1,
		FLEET_MAX_ARGS },
	[CMD_WAIT] = { "wait", "[options] IMAGE",
		"wait until IMAGE is active; print its id",
		"Wait until IMAGE is active, as create does, and print its id.", 1, 1 },
	[CMD_SHOW] = { "show", "[options] IMAGE",
		"show IMAGE: status, size, hashes, lifeboat properties",
		"Show IMAGE's status, size, checksums and lifeboat properties.", 1, 1 },
	[CMD_LIST] = { "list", "[options] [SERVER...]",
		"lifeboat's images (of SERVER), newest first",
		"List the images lifeboat made (of SERVER), newest first.", 0, FLEET_MAX_ARGS },
	[CMD_PRUNE] = { "prune", "[options] SERVER... --keep N",
		"delete SERVER's oldest lifeboat images beyond N",
		"Delete SERVER's oldest lifeboat images beyond the newest N.", 1, FLEET_MAX_ARGS },
	[CMD_DOWNLOAD] = { "download", "[options] IMAGE [FILE]",
		"stream IMAGE to FILE, verified, resumable",
		"Stream IMAGE to FILE (default ID.FORMAT), hashed as written, resumable.", 1, 2 },
	[CMD_VERIFY] = { "verify", "[options] FILE [IMAGE]",
		"check FILE's hashes, qcow2 header, qemu-img check",
		"Check FILE against FILE.sha512 or IMAGE's hashes, and as an image.", 1, 2 },
	[CMD_GUARD] = { "guard", "[options] SERVER... --max-age DURATION",
		"exit 0 only if a fresh image (and FILE) is safe",
		"Exit 0 only if SERVER has a fresh, hashed, active image (matching FILE).", 1,
		FLEET_MAX_ARGS },
	[CMD_RETIRE] = { "retire", "[options] SERVER --download FILE [--stop | --live]",
		"verified copy first, then delete the server",
		"Record, save, download and verify SERVER, then delete it.", 1, 1 },
	[CMD_REPORT] = { "report", "[options] FILE.retire.json",
		"a retire receipt, as a post-mortem needs it",
		"Show what a post-mortem needs from a retire receipt; no cloud needed.", 1, 1 },
	[CMD_HELP] = { "help", "[COMMAND]",
		"this help, or a command's",
		"Show the help of COMMAND, or the global help.", 0, 1 },
};

/* Every command but help; the cloud settings and --debug go everywhere, so
 * that an alias holding --os-cloud works with help too. */
#define ON_WORK (ON_EVERY & ~ON(HELP))

#define CMDOPT(name, arg, code, cmds, help) \
	{ name, arg, code, NULL, cmds, KIND_COMMAND, help }
#define CLOUD(name, arg, key) \
	{ name, arg, OPT_SETTING, key, ON_EVERY, KIND_CLOUD, NULL }

const struct snap_option snap_options[] = {
	CMDOPT("show-token", NULL, OPT_SHOW_TOKEN, ON(AUTH), "also print the token (keep it secret)"),
	CMDOPT("download", "FILE", OPT_DOWNLOAD, ON(CREATE) | ON(RETIRE),
	       "download and verify the image to FILE"),
	CMDOPT("stop", NULL, OPT_STOP, ON(CREATE) | ON(RETIRE) | ON(GUARD),
	       "stop a running server first (os-stop)"),
	CMDOPT("force-stop", NULL, OPT_FORCE_STOP, ON(CREATE) | ON(RETIRE) | ON(GUARD),
	       "as --stop, with force_shutdown"),
	CMDOPT("live", NULL, OPT_LIVE, ON(RETIRE) | ON(GUARD),
	       "a crash-consistent image of it running will do"),
	CMDOPT("start-after", NULL, OPT_START_AFTER, ON(CREATE) | ON(GUARD),
	       "start the server again once the image is saved"),
	CMDOPT("no-wait", NULL, OPT_NO_WAIT, ON(CREATE),
	       "print the image id once the save is accepted"),
	CMDOPT("wait", NULL, OPT_WAIT, ON(CREATE), "wait until the image is active (default)"),
	CMDOPT("name", "NAME", OPT_NAME, ON(CREATE) | ON(RETIRE),
	       "the image name (default lifeboat-SERVER-TIME-ID)"),
	CMDOPT("reason", "TEXT", OPT_REASON, ON(CREATE) | ON(RETIRE),
	       "why, kept as the image's lifeboat.reason"),
	CMDOPT("property", "K=V", OPT_PROPERTY, ON(CREATE) | ON(RETIRE),
	       "an extra image property; may be repeated"),
	CMDOPT("timeout", "DURATION", OPT_TIMEOUT, ON(CREATE) | ON(WAIT) | ON(RETIRE) | ON(GUARD),
	       "give up after DURATION, exit 10 (default 2h)"),
	CMDOPT("all", NULL, OPT_ALL, ON_FLEET,
	       "every server (list: every image, not just ours)"),
	CMDOPT("match", "GLOB", OPT_MATCH, ON_FLEET, "the servers whose name matches GLOB"),
	CMDOPT("server-property", "K=V", OPT_SERVER_PROPERTY, ON_FLEET,
	       "the servers whose metadata has K=V"),
	CMDOPT("parallel", "N", OPT_PARALLEL, ON_FLEET, "servers at once, 1 to 16 (default 2)"),
	CMDOPT("metrics-file", "PATH", OPT_METRICS_FILE,
	       ON(CREATE) | ON(PRUNE) | ON(GUARD) | ON(DOWNLOAD) | ON(RETIRE),
	       "write a Prometheus textfile of the outcome"),
	CMDOPT("create-if-stale", NULL, OPT_CREATE_IF_STALE, ON(GUARD),
	       "no fresh image: take one (--stop, --live as create)"),
	CMDOPT("inventory", "FILE.json", OPT_INVENTORY, ON(RETIRE),
	       "attach an inventory --json result to the receipt"),
	CMDOPT("keep", "N", OPT_KEEP, ON(PRUNE), "how many of the newest images to keep"),
	CMDOPT("older-than", "DURATION", OPT_OLDER_THAN, ON(PRUNE),
	       "delete only images older than DURATION"),
	CMDOPT("max-age", "DURATION", OPT_MAX_AGE, ON(GUARD),
	       "how old the newest image may be"),
	CMDOPT("file", "FILE", OPT_FILE, ON(GUARD), "the local copy that must match it"),
	CMDOPT("yes", NULL, OPT_YES, ON(RETIRE), "delete without asking for the server's name"),
	CMDOPT("volumes-ok", NULL, OPT_VOLUMES_OK, ON(RETIRE),
	       "go on although data volumes are attached"),
	CMDOPT("delete-boot-volume", NULL, OPT_DELETE_BOOT_VOLUME, ON(RETIRE),
	       "delete the boot volume too, once it is free"),
	CMDOPT("dry-run", NULL, OPT_DRY_RUN, ON(PRUNE) | ON(RETIRE),
	       "print what would be done; change nothing"),
	CMDOPT("force", NULL, OPT_FORCE, ON_DOWNLOADS, "replace an existing FILE"),
	CMDOPT("all-hashes", NULL, OPT_ALL_HASHES, ON_DOWNLOADS | ON(VERIFY) | ON(GUARD),
	       "check the md5 checksum as well as the multihash"),
	CMDOPT("progress", "none|bar|json", OPT_PROGRESS, ON_DOWNLOADS,
	       "progress on stderr (bar on a terminal)"),
	CMDOPT("stall-timeout", "DURATION", OPT_STALL_TIMEOUT, ON_DOWNLOADS,
	       "resume a transfer idle this long (default 60s)"),
	CMDOPT("tries", "N", OPT_TRIES, ON_DOWNLOADS,
	       "broken transfers before giving up (default 6)"),

	{ "json", NULL, OPT_JSON, NULL, ON_WORK, KIND_COMMON, "one JSON document on stdout" },
	{ "format", "FORMAT", OPT_FORMAT, NULL, ON_WORK, KIND_COMMON,
	  "json (as --json), value (with -c) or table" },
	{ "column", "COLUMN", OPT_COLUMN, NULL, ON_WORK, KIND_COMMON,
	  "-f value: print this field; repeatable" },
	{ "debug", NULL, OPT_DEBUG, NULL, ON_EVERY, KIND_COMMON,
	  "log HTTP to stderr (secrets redacted)" },
	{ "log-json", NULL, OPT_LOG_JSON, NULL, ON_WORK, KIND_COMMON,
	  "messages as JSON lines on stderr (as under systemd)" },
	{ "help", NULL, OPT_HELP, NULL, ON_EVERY, KIND_COMMON, "this help" },
	{ "version", NULL, OPT_VERSION, NULL, ON_EVERY, KIND_COMMON, "the version" },

	{ "os-cloud", "NAME", OPT_CLOUD, NULL, ON_EVERY, KIND_CLOUD, NULL },
	CLOUD("os-auth-url", "URL", "auth_url"),
	CLOUD("os-region-name", "NAME", "region_name"),
	CLOUD("os-interface", "public|internal|admin", "interface"),
	CLOUD("os-identity-api-version", "3|2.0", "identity_api_version"),
	CLOUD("os-username", "NAME", "username"),
	CLOUD("os-user-id", "ID", "user_id"),
	CLOUD("os-user-domain-name", "NAME", "user_domain_name"),
	CLOUD("os-project-name", "NAME", "project_name"),
	CLOUD("os-project-id", "ID", "project_id"),
	CLOUD("os-project-domain-name", "NAME", "project_domain_name"),
	CLOUD("os-cacert", "FILE", "cacert"),
	{ "insecure", NULL, OPT_SETTING, "insecure", ON_EVERY, KIND_CLOUD, NULL },
	{ "allow-http", NULL, OPT_SETTING, "allow_http", ON_EVERY, KIND_CLOUD, NULL },
	CLOUD("os-compute-url", "URL", "compute_endpoint_override"),
	CLOUD("os-image-url", "URL", "image_endpoint_override"),
	CLOUD("os-volume-url", "URL", "block_storage_endpoint_override"),
	CLOUD("os-compute-api-version", "2.X", "compute_api_version"),
	CLOUD("os-profile", "conoha", "profile"),
	/* refused with the reason, so that it is known, not "unknown" */
	{ "os-password", "PASSWORD", OPT_PASSWORD, NULL, ON_EVERY, KIND_CLOUD, NULL },
};

const size_t snap_n_options = sizeof(snap_options) / sizeof(snap_options[0]);

enum snap_cmd snap_find_command(const char *name)
{
	for (int i = 0; i < N_CMDS; i++)
		if (strcmp(snap_commands[i].name, name) == 0)
			return (enum snap_cmd)i;
	return N_CMDS;
}

static void option_line(FILE *out, const struct snap_option *o)
{
	char head[64];
	snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
	if (o->code == OPT_HELP)
		snprintf(head, sizeof(head), "-h, --help");
	if (o->code == OPT_FORMAT || o->code == OPT_COLUMN)
		snprintf(head, sizeof(head), "-%c, --%s %s", (char)o->code, o->name, o->arg);
	fprintf(out, "  %-25s  %s\n", head, o->help); /* two blanks at least */
}

void snap_command_help(FILE *out, enum snap_cmd cmd)
{
	const struct snap_command *c = &snap_commands[cmd];
	fprintf(out, "usage: lifeboat-snap %s %s\n%s\n\n", c->name, c->synopsis, c->about);
	unsigned bit = 1u << cmd;
	size_t own = 0;
	for (size_t i = 0; i < snap_n_options; i++) {
		const struct snap_option *o = &snap_options[i];
		if (o->kind == KIND_COMMAND && (o->cmds & bit)) {
			option_line(out, o);
			own++;
		}
	}
	if (!own)
		fputs("  (no options of its own)\n", out);
	fputs("also:", out);
	for (size_t i = 0; i < snap_n_options; i++) {
		const struct snap_option *o = &snap_options[i];
		/* --log-json is for services: the global help has it */
		if (o->kind == KIND_COMMON && (o->cmds & bit) && o->code != OPT_VERSION &&
		    o->code != OPT_LOG_JSON) {
			if (o->code == OPT_FORMAT || o->code == OPT_COLUMN)
				fprintf(out, " -%c/--%s", (char)o->code, o->name);
			else
				fprintf(out, " --%s", o->name);
		}
	}
	fputs("; cloud: lifeboat-snap help\n", out); /* within 80 columns */
}

/* The cloud settings, packed into lines of at most 78 columns. */
static void cloud_lines(FILE *out)
{
	size_t col = 0;
	for (size_t i = 0; i < snap_n_options; i++) {
		const struct snap_option *o = &snap_options[i];
		if (o->kind != KIND_CLOUD || o->code == OPT_PASSWORD)
			continue;
		char item[64];
		int n = snprintf(item, sizeof(item), "--%s%s%s", o->name, o->arg ? " " : "",
		                 o->arg ? o->arg : "");
		if (n < 0 || (size_t)n >= sizeof(item))
			continue;
		if (col && col + 2 + (size_t)n > 78) {
			fputc('\n', out);
			col = 0;
		}
		col += (size_t)fprintf(out, "%s%s", col ? "  " : "  ", item);
	}
	fputc('\n', out);
}

void snap_global_help(FILE *out)
{
	fputs("usage: lifeboat-snap COMMAND [options] [ARGS]\n"
	      "       lifeboat-snap help [COMMAND]\n"
	      "\n"
	      "Save OpenStack and ConoHa servers as images before anything destructive.\n"
	      "\n"
	      "commands:\n", out);
	for (int i = 0; i < N_CMDS; i++)
		fprintf(out, "  %-10s %s\n", snap_commands[i].name, snap_commands[i].summary);
	fputs("\noptions (each command's own: lifeboat-snap help COMMAND):\n", out);
	for (size_t i = 0; i < snap_n_options; i++)
		if (snap_options[i].kind == KIND_COMMON)
			option_line(out, &snap_options[i]);
	fputs("\ncloud (command line > OS_* environment > clouds.yaml):\n", out);
	cloud_lines(out);
	fputs("\nPasswords are never taken on the command line: set OS_PASSWORD, use\n"
	      "secure.yaml, or type it at the prompt. Durations: 90s, 15m, 2h, 1h30m, 1d.\n"
	      "Options go before or after the command. Exit codes: see lifeboat-snap(1).\n",
	      out);
}

/* options.h - lifeboat-snap's command line as data: the commands, the
 * options and which commands take each; parsing and every help text are
 * made from these tables */
#ifndef SNAP_OPTIONS_H
#define SNAP_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

enum snap_cmd {
	CMD_AUTH, CMD_SERVERS, CMD_CREATE, CMD_WAIT, CMD_SHOW, CMD_LIST, CMD_PRUNE,
	CMD_DOWNLOAD, CMD_VERIFY, CMD_GUARD, CMD_RETIRE, CMD_REPORT, CMD_HELP, N_CMDS,
};

/* Which commands take an option: a set of commands. */
#define ON(c) (1u << CMD_##c)
#define ON_EVERY ((1u << N_CMDS) - 1)
/* the downloader's knobs, for every command that downloads */
#define ON_DOWNLOADS (ON(CREATE) | ON(DOWNLOAD) | ON(RETIRE))
/* the commands that take several servers */
#define ON_FLEET (ON(CREATE) | ON(GUARD) | ON(LIST) | ON(PRUNE))

struct snap_command {
	const char *name;
	const char *synopsis; /* after "lifeboat-snap NAME ", as in the man page */
	const char *summary;  /* one line for the global help */
	const char *about;    /* one line for the command's own help */
	int min_args, max_args;
};

enum opt_code {
	OPT_HELP = 'h', OPT_JSON = 256, OPT_DEBUG, OPT_SHOW_TOKEN, OPT_VERSION, OPT_CLOUD,
	OPT_PASSWORD, OPT_SETTING, OPT_STOP, OPT_FORCE_STOP, OPT_START_AFTER,
	OPT_NO_WAIT, OPT_WAIT, OPT_ALL, OPT_DRY_RUN, OPT_NAME, OPT_REASON,
	OPT_PROPERTY, OPT_TIMEOUT, OPT_KEEP, OPT_OLDER_THAN, OPT_FORCE, OPT_ALL_HASHES,
	OPT_PROGRESS, OPT_STALL_TIMEOUT, OPT_DOWNLOAD, OPT_FILE, OPT_MAX_AGE, OPT_YES,
	OPT_VOLUMES_OK, OPT_DELETE_BOOT_VOLUME, OPT_TRIES, OPT_LIVE,
	OPT_MATCH, OPT_SERVER_PROPERTY, OPT_PARALLEL, OPT_METRICS_FILE, OPT_LOG_JSON,
	OPT_CREATE_IF_STALE, OPT_INVENTORY,
	OPT_FORMAT = 'f', OPT_COLUMN = 'c', /* the openstack client's -f and -c */
};

/* How an option shows in help: a command's own, common to all, or one of
 * the cloud settings (listed only in the global help). */
enum opt_kind { KIND_COMMAND, KIND_COMMON, KIND_CLOUD };

struct snap_option {
	const char *name;     /* without the dashes */
	const char *arg;      /* its value's name in help, NULL for a flag */
	enum opt_code code;
	const char *setting;  /* with OPT_SETTING: the clouds.yaml name */
	unsigned cmds;        /* the commands that take it */
	enum opt_kind kind;
	const char *help;     /* one line */
};

extern const struct snap_command snap_commands[N_CMDS];
extern const struct snap_option snap_options[];
extern const size_t snap_n_options;

/* The command named name, or N_CMDS. */
enum snap_cmd snap_find_command(const char *name);
/* "usage: lifeboat-snap NAME SYNOPSIS" and the command's options. */
void snap_command_help(FILE *out, enum snap_cmd cmd);
/* The commands and the options common to all. */
void snap_global_help(FILE *out);

#endif

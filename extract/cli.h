/* cli.h - lifeboat-extract's parsed command line and its commands */
#ifndef EXTRACT_CLI_H
#define EXTRACT_CLI_H

#include <signal.h>
#include <stdbool.h>
#include "guest.h"

#define MAX_GLOBS 32

struct xcli {
	const char *command;
	char **args;
	int nargs;
	struct guest_options guest;
	bool json, long_list, recursive;
	bool preserve_owner, specials, owner;
	const char *manifest;
	const char *include[MAX_GLOBS];
	size_t n_include;
	const char *exclude[MAX_GLOBS];
	size_t n_exclude;
	long long newer_than;     /* seconds since the epoch, -1 when not given */
	int progress;             /* -1 auto, 0 off, 1 on */
	const char *backed_up;    /* inventory --backed-up FILE */
	bool fail_if_unprotected;
	long long min_size;       /* inventory --min-size, bytes */
	size_t top;               /* inventory --top, 0 for all */
	int reader;               /* enum reader_choice: auto, native, appliance */
};

/* Set by SIGINT and SIGTERM. */
extern volatile sig_atomic_t extract_interrupted;

/* Open IMAGE and mount its filesystems; an exit code. */
int open_and_mount(struct xcli *cli, struct guest *gu);

int cmd_filesystems(struct xcli *cli);
int cmd_ls(struct xcli *cli);
int cmd_cat(struct xcli *cli);
int cmd_copy(struct xcli *cli);
int cmd_verify(struct xcli *cli);
int cmd_inventory(struct xcli *cli);

#endif

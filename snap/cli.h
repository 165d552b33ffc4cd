/* cli.h - the parsed command line, shared by the subcommands */
#ifndef SNAP_CLI_H
#define SNAP_CLI_H

#include <stdbool.h>
#include <jansson.h>
#include "conoha.h"

struct cli {
	const char *command;
	char **args;          /* positional arguments after the command */
	int nargs;
	const char *cloud;    /* --os-cloud, else OS_CLOUD */
	bool json;
	bool debug;
	bool show_token;
	conoha_config *cfg;   /* the command-line layer is already in it */
};

/* Report an error in git's style: "lifeboat-snap: <message>", plus the
 * request id when the cloud gave one. */
void report(const conoha_error *err);
/* "lifeboat-snap: <message>" for errors found by the program itself. */
void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Load settings (clouds.yaml, environment), prompt for a missing password
 * on a terminal, and make an authenticated-on-demand client. Caller frees
 * with conoha_client_free(). */
conoha_client *session_open(struct cli *cli, conoha_error *err);

/* Print a JSON document on stdout, indented, with a final newline. Steals
 * the reference. Returns 0, or -1 when stdout failed. */
int print_json(json_t *doc);

/* The subcommands: each returns an exit code. */
int cmd_auth(struct cli *cli);
int cmd_servers(struct cli *cli);

#endif

/* cli.h - the parsed command line, shared by the subcommands */
#ifndef SNAP_CLI_H
#define SNAP_CLI_H

#include <stdbool.h>
#include <jansson.h>
#include "conoha.h"
#include "fleet.h"
#include "poll.h"
#include "json_out.h"

#define MAX_PROPERTIES 32

struct cli {
	const char *command;
	char **args;          /* positional arguments after the command */
	int nargs;
	const char *cloud;    /* --os-cloud, else OS_CLOUD */
	bool json;            /* --json, -f json, -f value: commands build a document */
	int format;           /* enum out_format: -f */
	const char *columns[MAX_COLUMNS]; /* -c COLUMN, in order */
	size_t n_columns;
	bool debug;
	bool show_token;
	bool stop, force_stop, start_after;
	bool live;            /* retire --live: a crash-consistent image will do */
	bool no_wait;
	bool all;
	bool dry_run;
	bool force;
	bool all_hashes;
	int progress;         /* enum progress_mode */
	long long stall_timeout_s; /* --stall-timeout; 0 for the library's */
	long tries;           /* --tries: broken transfers before a download gives up */
	const char *download; /* create --download FILE */
	const char *file;     /* guard --file FILE */
	long long max_age_s;  /* guard --max-age; -1 when not given */
	bool yes;             /* retire --yes */
	bool volumes_ok;      /* retire --volumes-ok */
	bool delete_boot_volume;
	const char *name;     /* --name */
	const char *reason;   /* --reason */
	long long timeout_s;  /* --timeout; 2 h by default */
	long keep;            /* --keep; -1 when not given */
	long long older_than_s; /* --older-than; -1 when not given */
	struct conoha_kv props[MAX_PROPERTIES]; /* --property, pointing into argv */
	char *prop_keys[MAX_PROPERTIES];        /* owned copies of the keys */
	size_t n_props;
	conoha_config *cfg;   /* the command-line layer is already in it */
	struct fleet_opts fleet; /* the servers of a many-server run */
	const char *metrics_file; /* --metrics-file PATH */
	bool log_json;        /* --log-json */
	bool create_if_stale; /* guard --create-if-stale */
	const char *inventory; /* retire --inventory FILE.json */
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

/* Open the session or report why not; returns NULL with *rc set. */
conoha_client *session_or_exit(struct cli *cli, int *rc);

/* Now, as "2026-11-29T12:00:00Z". */
void utc_now(char *buf, size_t size);

/* Report err and return its exit code. */
int fail_with(const conoha_error *err);

/* Where a worker puts what went wrong, instead of printing it: the first
 * failure is kept, and the command reports it once (sink_report). */
struct sink {
	int rc;               /* EXIT_OK until something failed */
	char msg[1024];
	char request_id[128];
};
/* Record a failure (unless one is recorded already); returns rc. */
int sink_fail(struct sink *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Record a library error; returns its exit code. */
int sink_from(struct sink *s, const conoha_error *err);
/* Report the recorded failure, if any, in git's style. */
void sink_report(const struct sink *s);

/* ---- waiting (wait.c) ---- */

/* Poll IMAGE until active, until the deadline; fill *out (caller clears
 * with conoha_image_clear; cleared on failure). server_id, when not NULL,
 * is checked for ERROR too. Exit code; messages already printed. */
int wait_for_image(conoha_client *c, const struct deadline *d, const char *image_id,
                   const char *server_id, struct conoha_image *out);
/* The same, without the hint to run 'wait' when interrupted or out of
 * time: for a caller that says itself how to go on (retire). */
int wait_for_image_quietly(conoha_client *c, const struct deadline *d, const char *image_id,
                           const char *server_id, struct conoha_image *out);
/* Poll SERVER until its status is want (task_state cleared), or, with
 * want NULL, until it is gone. */
int wait_for_server(conoha_client *c, const struct deadline *d, const char *server_id,
                    const char *want);
/* Poll VOLUME until its status is want. */
int wait_for_volume(conoha_client *c, const struct deadline *d, const char *volume_id,
                    const char *want);

/* ---- images shown to people (image_out.c; scripts: json_out.h) ---- */
/* Which hashes Glance has for it, for a column: "sha512", "md5", "none". */
const char *image_hashes_label(const struct conoha_image *img);
void image_show_text(const struct conoha_image *img);
const char *human_size(long long bytes, char *buf, size_t size);

/* ---- lifeboat's images (cmd_images.c) ---- */
/* The images made by lifeboat (every image with --all), of server when
 * not NULL (matched by the images' lifeboat.server_id or _name), newest
 * first. Exit code; messages printed. Caller frees list. */
int load_images(struct cli *cli, conoha_client *c, const char *server,
                struct conoha_image_list *list);
/* The first active image of a newest-first list, or NULL. */
const struct conoha_image *find_newest_active(const struct conoha_image_list *list);
/* When the image was saved: lifeboat.created_at, else created_at. */
const char *image_time(const struct conoha_image *img);

/* ---- many servers (fleet.c) ---- */
/* Is this a run over several servers (several SERVER arguments, or
 * selectors) of a command that takes them? */
bool fleet_wanted(const struct cli *cli, const char *command);
/* Run the command once per server, in worker processes, at most
 * --parallel at a time; print one line per server; write the metrics.
 * Exit code: 0 when all succeeded, one server's own code when there was
 * one, EXIT_SOME_FAILED otherwise. */
int fleet_run(struct cli *cli, int (*run)(struct cli *cli), const char *command);
/* Run a command for one server (or none): here, or in a worker whose
 * stderr becomes JSON events when log_json is set; then write the
 * metrics file when asked. Exit code. */
int command_run(struct cli *cli, int (*run)(struct cli *cli), const char *command);

/* What create and prune found, for run_note (fleet.h). */
struct snapshot;
void note_snapshot(const struct snapshot *s, int rc);
void note_prune(const struct conoha_image_list *list, size_t deleted, size_t kept,
                bool dry_run, int rc);

/* guard --create-if-stale (guard_stale.c): the options' rules; take a new
 * image as create would and wait for it (*image_id: caller frees). */
int guard_check_stale_options(const struct cli *cli);
int guard_take_image(struct cli *cli, conoha_client *c, const char *server_id,
                     const char *why, char **image_id);
/* "fresh" or "created" when guard succeeded, else NULL. */
const char *guard_action(int rc, const char *created);
void note_guard(const struct conoha_server *srv, const struct conoha_image *img,
                const char *created, int rc);

/* ---- what a retire receipt records for a post-mortem (receipt_meta.c) ---- */
/* Append this run to receipt.runs: when, local user@host, OpenStack user
 * and project (after authentication). */
void receipt_add_run(json_t *receipt, conoha_client *c);
/* Attach the result of "lifeboat-extract inventory --json" read from
 * path as receipt.inventory. Exit code; the message printed. */
int receipt_attach_inventory(json_t *receipt, const char *path);
/* What retire found, for run_note (fleet.h). */
void note_receipt(const json_t *receipt, const char *path);

/* The subcommands: each returns an exit code. */
int cmd_auth(struct cli *cli);
int cmd_servers(struct cli *cli);
int cmd_create(struct cli *cli);
int cmd_wait(struct cli *cli);
int cmd_show(struct cli *cli);
int cmd_list(struct cli *cli);
int cmd_prune(struct cli *cli);
int cmd_download(struct cli *cli);
int cmd_verify(struct cli *cli);
int cmd_guard(struct cli *cli);
int cmd_retire(struct cli *cli);
int cmd_report(struct cli *cli);

#endif

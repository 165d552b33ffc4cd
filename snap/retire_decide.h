/* retire_decide.h - retire's decisions as data: what to do next, from the
 * receipt, what the cloud says now and what the disk holds now. A pure
 * function, tested row by row in tests/unit/test_retire.c. */
#ifndef SNAP_RETIRE_DECIDE_H
#define SNAP_RETIRE_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

enum image_state {
	IMAGE_NONE,      /* the receipt names no image yet */
	IMAGE_GONE,      /* Glance has no such image any more */
	IMAGE_FAILED,    /* killed, deleted, deactivated */
	IMAGE_PENDING,   /* queued, saving, uploading, ... */
	IMAGE_ACTIVE,
};

struct retire_facts {
	/* from the receipt: the journal, never the proof */
	const char *receipt_server_id;     /* NULL when the receipt has none */
	const char *receipt_server_name;
	bool delete_sent;                  /* a delete of that server was begun */
	bool downloaded_before;            /* this retire wrote FILE before */

	/* the command line */
	const char *server_arg;            /* SERVER as given */
	const char *arg_server_id;         /* what SERVER names now; NULL: nothing */
	const char *arg_server_name;
	bool stop, live, force;
	bool save_needs_stop;              /* the save itself needs the server
	                                    * stopped: a boot volume, or ConoHa */

	/* the cloud, now */
	bool server_exists;                /* the receipt's server, by its id */
	const char *server_name;           /* its name now */
	const char *server_status;         /* ACTIVE, SHUTOFF, ... */
	enum image_state image;
	const char *image_id;
	const char *image_server_id;       /* its lifeboat.server_id */
	const char *image_consistency;     /* lifeboat.consistency */
	const char *image_hash;            /* the multihash (or md5) Glance holds */
	int started_since_image;           /* 1, 0; 2 in the image's second;
	                                    * -1 when the cloud cannot say */
	bool image_taken_now;              /* this very run took it, the server
	                                    * stopped before and after */

	/* the disk, now */
	bool file_exists;
	bool file_regular;
	const char *file_hash;             /* FILE's bytes, in Glance's algorithm */
	const char *file_sha512;           /* FILE's bytes, sha512 */
	const char *sidecar_sha512;        /* FILE.sha512, NULL when none */
	const char *sidecar_json_sha512;   /* FILE.json's "hash", NULL when none */
	const char *sidecar_image_id;      /* FILE.json's "image_id" */
};

enum retire_action {
	RETIRE_REFUSE,       /* stop here: why says why; nothing is deleted */
	RETIRE_DONE,         /* the server is gone by this retire's delete */
	RETIRE_SNAPSHOT,     /* take a new image */
	RETIRE_WAIT,         /* the image is being saved */
	RETIRE_DOWNLOAD,     /* FILE is missing or not that image: fetch it */
	RETIRE_DELETE,       /* every proof holds: the server may go */
};

struct retire_decision {
	enum retire_action action;
	int rc;              /* with RETIRE_REFUSE: the exit code */
	bool replace_file;   /* with RETIRE_DOWNLOAD: FILE may be overwritten */
	char why[640];
};

/* The next step. Pure: reads f, writes d, nothing else. */
void retire_decide(const struct retire_facts *f, struct retire_decision *d);

/* A short name for an action, for logs and tests. */
const char *retire_action_name(enum retire_action a);

#endif

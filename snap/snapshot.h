/* snapshot.h - save a server's disk as an image, the way its boot source
 * and its cloud need */
#ifndef SNAP_SNAPSHOT_H
#define SNAP_SNAPSHOT_H

#include "cli.h"

/* What a save is asked to do; the command translates its options in. */
struct snapshot_opts {
	bool stop;                 /* stop a running server first, on any cloud */
	bool force_stop;
	bool start_after;          /* start it again once the image is complete */
	bool no_wait;
	const char *name;          /* NULL: lifeboat-SERVER-STAMP */
	const char *reason;
	const struct conoha_kv *props;
	size_t n_props;
	const struct deadline *deadline; /* the command's one deadline */
	const char *download_to;   /* FILE the image goes to next, or NULL */
	bool quiet_hints;          /* interrupted: the caller says how to go on */
	/* Called once the cloud accepted the save, before any wait, so that
	 * a journal can name the image even if the process dies waiting. */
	void (*accepted)(void *userdata, const char *image_id, const char *consistency);
	void *userdata;
};

#define CONSISTENCY_STOPPED "stopped"
#define CONSISTENCY_CRASH "crash-consistent"

struct snapshot {
	char *server_id;           /* the server saved */
	char *image_id;            /* set once the cloud accepted the save */
	const char *consistency;   /* CONSISTENCY_STOPPED or CONSISTENCY_CRASH */
	struct conoha_image img;   /* the active image, after the wait */
};

/* Stop the server where asked or needed, save it, label the image with
 * its consistency, wait until the image is active (unless no_wait),
 * start it again with start_after. Exit code; messages printed. Caller
 * frees out with snapshot_clear(). */
int snapshot_server(conoha_client *c, const char *server, const struct snapshot_opts *o,
                    struct snapshot *out);
void snapshot_clear(struct snapshot *s);

#endif

/* snapshot.h - save a server's disk as an image, the way its boot source
 * and its cloud need */
#ifndef SNAP_SNAPSHOT_H
#define SNAP_SNAPSHOT_H

#include "cli.h"

struct snapshot {
	char *image_id;            /* set once the cloud accepted the save */
	struct conoha_image img;   /* the active image, after the wait */
};

/* Stop the server where needed, save it, wait until the image is active
 * (unless --no-wait), start it again with --start-after. Exit code;
 * messages printed. Caller frees out with snapshot_clear(). */
int snapshot_server(struct cli *cli, conoha_client *c, const char *server,
                    struct snapshot *out);
void snapshot_clear(struct snapshot *s);

#endif

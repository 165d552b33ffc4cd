/* hashpipe.h - hash on a second thread, fed through a bounded ring of
 * buffers, so that hashing and the transfer overlap; memory stays at
 * HASHPIPE_SLOTS * HASHPIPE_SLOT_SIZE however large the data */
#ifndef SNAP_HASHPIPE_H
#define SNAP_HASHPIPE_H

#include <stddef.h>
#include "hashes.h"

#define HASHPIPE_SLOTS 8
#define HASHPIPE_SLOT_SIZE (1024 * 1024)

struct hashpipe;

/* Start the hashing thread on h; h must not be touched by the caller
 * until hashpipe_drain() or hashpipe_stop() returns. NULL on failure. */
struct hashpipe *hashpipe_start(struct hashes *h);
/* Copy data into the ring, waiting while it is full. */
void hashpipe_feed(struct hashpipe *p, const void *data, size_t len);
/* Wait until everything fed has been hashed; h may then be used until
 * the next feed. */
void hashpipe_drain(struct hashpipe *p);
/* Drain, stop the thread and free p. Accepts NULL. */
void hashpipe_stop(struct hashpipe *p);

#endif

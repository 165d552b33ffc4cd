/* sparse.h - files of a tree that are mostly holes, found before the tree
 * is streamed so their zeros never travel through the appliance */
#ifndef EXTRACT_SPARSE_H
#define EXTRACT_SPARSE_H

#include <guestfs.h>
#include "entry.h"

struct sparse_set;

/* Stat every file under DIR in the image and keep the regular files
 * whose holes are worth skipping. NULL when there are none, or when the
 * scan could not be done (the tree is then streamed whole, as before). */
struct sparse_set *sparse_scan(guestfs_h *g, const char *dir);

/* The same for one file, PATH, already stated: NULL when its holes are
 * not worth skipping. */
struct sparse_set *sparse_file(const char *path, const struct guestfs_statns *st);

/* tar exclude patterns naming those files; owned by the set. */
char *const *sparse_excludes(const struct sparse_set *s);

/* A reader giving every entry of INNER (may be NULL: none), then the
 * set's files, each with only its data extents read from the image.
 * Takes ownership of INNER and S; paths get PREFIX like INNER's. NULL on
 * allocation failure, and then INNER and S are released. */
struct reader *sparse_chain(struct reader *inner, struct sparse_set *s, guestfs_h *g,
                            const char *prefix);

void sparse_free(struct sparse_set *s);

#endif

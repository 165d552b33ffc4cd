/* walk.h - stat a whole tree of the image in few round trips */
#ifndef EXTRACT_WALK_H
#define EXTRACT_WALK_H

#include <guestfs.h>

/* Called once per name, in order; ST is NULL when that name could not be
 * stated (gone, or its directory's path longer than PATH_MAX). */
typedef int (*walk_fn)(void *ud, const char *name, const struct guestfs_statns *st);

/* NAMES (N of them) are relative to DIR, as find gives them: a directory
 * before its entries. One lstatnslist per run of names in one directory.
 * Returns -1 when FN did, else 0. */
/* DIR/REL as the appliance names it ("/" + "a" is "/a", "/x" + "" is
 * "/x"), of REL's first LEN bytes. NULL when out of memory; free() it. */
char *guest_join(const char *dir, const char *rel, size_t len);

int walk_stat(guestfs_h *g, const char *dir, char *const *names, size_t n, walk_fn fn,
              void *ud);

#endif

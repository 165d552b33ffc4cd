/* walk.c - lstatnslist takes plain names in one directory, so names from
 * find are stated in runs that share a parent: a few round trips for a
 * tree, not one per file */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "walk.h"

#define STAT_BATCH 2048

static size_t parent_len(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? (size_t)(slash - name) : 0;
}

static const char *base_of(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? slash + 1 : name;
}

static bool same_parent(const char *a, const char *b, size_t len)
{
	return parent_len(a) == len && strncmp(a, b, len) == 0;
}

char *guest_join(const char *dir, const char *rel, size_t len)
{
	const char *top = strcmp(dir, "/") == 0 ? "" : dir;
	char *out = NULL;
	if (len == 0)
		return strdup(*top ? top : "/");
	return asprintf(&out, "%s/%.*s", top, (int)len, rel) < 0 ? NULL : out;
}

static int stat_run(guestfs_h *g, const char *dir, char *const *names, size_t n,
                    walk_fn fn, void *ud)
{
	char *parent = guest_join(dir, names[0], parent_len(names[0]));
	if (!parent)
		return -1;
	const char *batch[STAT_BATCH + 1];
	for (size_t i = 0; i < n; i++)
		batch[i] = base_of(names[i]);
	batch[n] = NULL;
	struct guestfs_statns_list *l = guestfs_lstatnslist(g, parent, (char *const *)batch);
	free(parent);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct guestfs_statns *st = l && i < l->len ? &l->val[i] : NULL;
		rc = fn(ud, names[i], st && st->st_ino != -1 ? st : NULL);
	}
	if (l)
		guestfs_free_statns_list(l);
	return rc;
}

int walk_stat(guestfs_h *g, const char *dir, char *const *names, size_t n, walk_fn fn,
              void *ud)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t plen = parent_len(names[i]), j = i + 1;
		while (j < n && j - i < STAT_BATCH && same_parent(names[j], names[i], plen))
			j++;
		rc = stat_run(g, dir, names + i, j - i, fn, ud);
		i = j;
	}
	return rc;
}

/* inv_guest.c - the inventory's source over the libguestfs appliance:
 * one find0 per filesystem, then lstatnslist and readlinklist a directory
 * at a time (a few round trips for a tree, not one per file) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "inv_guest.h"

#define STAT_BATCH 2048
#define READ_CHUNK ((size_t)1 << 20)   /* under the protocol's message limit */

struct guest_src {
	struct guest *gu;
	char **tops;                 /* as the user names them */
};

/* The whole of a local file: find0 writes there. */
static char *slurp(int fd, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size < 0)
		return NULL;
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);
		if (n <= 0) {
			free(buf);
			return NULL;
		}
		got += (size_t)n;
	}
	if (buf)
		buf[got] = '\0';
	*len = got;
	return buf;
}

static enum inv_type type_of(int64_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return INV_FILE;
	case S_IFDIR: return INV_DIR;
	case S_IFLNK: return INV_LINK;
	}
	return INV_OTHER;
}

struct batch {
	guestfs_h *g;
	const char *top;             /* the user's name for the filesystem: "/" or "/dev/sda1" */
	const char *dir;             /* the appliance's: "/" or "/sda1" */
	inv_emit_fn emit;
	void *ud;
};

/* Names (relative to the filesystem's top, all in one directory of
 * length PLEN) stated and emitted. */
static int emit_run(struct batch *b, char **names, size_t n, size_t plen)
{
	char parent[PATH_MAX], user[PATH_MAX];
	const char *sep = strcmp(b->dir, "/") == 0 ? "" : b->dir;
	if (snprintf(parent, sizeof(parent), "%s/%.*s", sep, (int)plen, names[0]) >=
	    (int)sizeof(parent))
		return 0;  /* deeper than a path can name: skipped */
	const char *base[STAT_BATCH + 1];
	for (size_t i = 0; i < n; i++)
		base[i] = names[i] + (plen ? plen + 1 : 0);
	base[n] = NULL;
	struct guestfs_statns_list *l = guestfs_lstatnslist(b->g, parent, (char *const *)base);
	if (!l)
		return 0;  /* the directory went: nothing to say of it */
	/* the symlinks' targets, in one more round trip */
	const char *links[STAT_BATCH + 1];
	size_t nl = 0;
	for (size_t i = 0; i < n && i < l->len; i++)
		if (type_of(l->val[i].st_mode) == INV_LINK)
			links[nl++] = base[i];
	links[nl] = NULL;
	char **targets = nl ? guestfs_readlinklist(b->g, parent, (char *const *)links) : NULL;
	int rc = 0;
	size_t li = 0;
	const char *top = strcmp(b->top, "/") == 0 ? "" : b->top;
	for (size_t i = 0; i < n && i < l->len && rc == 0; i++) {
		const struct guestfs_statns *st = &l->val[i];
		if (st->st_ino == -1)
			continue;
		struct inv_entry e = {
			.path = user, .type = type_of(st->st_mode), .size = st->st_size,
			.mtime = st->st_mtime_sec, .mode = (uint32_t)(st->st_mode & 07777),
		};
		if (e.type == INV_LINK) {
			e.link = targets && targets[li] && targets[li][0] ? targets[li] : NULL;
			li++;
		}
		if (snprintf(user, sizeof(user), "%s/%s", top, names[i]) >= (int)sizeof(user))
			continue;
		rc = b->emit(b->ud, &e);
	}
	for (char **t = targets; t && *t; t++)
		free(*t);
	free(targets);
	guestfs_free_statns_list(l);
	return rc;
}

static size_t parent_len(const char *name)
{
	const char *slash = strrchr(name, '/');
	return slash ? (size_t)(slash - name) : 0;
}

static int walk_top(struct batch *b, inv_skip_fn skip, void *skip_ud, char *why, size_t size)
{
	char tmpl[] = "/tmp/lifeboat-inventory.XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		snprintf(why, size, "cannot make a temporary file: %s", strerror(errno));
		return -1;
	}
	unlink(tmpl);
	char fdpath[32];
	snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fd);
	size_t len = 0;
	char *all = NULL;
	if (guestfs_find0(b->g, b->dir, fdpath) == -1) {
		snprintf(why, size, "cannot list '%s': %s", b->top, guestfs_last_error(b->g));
		close(fd);
		return -1;
	}
	all = slurp(fd, &len);
	close(fd);
	if (!all) {
		snprintf(why, size, "cannot read the list of files: %s", strerror(errno ? errno : ENOMEM));
		return -1;
	}
	/* the names, those in skipped trees left out, in find's order */
	size_t cap = 1024, n = 0;
	char **names = malloc(cap * sizeof(*names));
	char user[PATH_MAX];
	const char *top = strcmp(b->top, "/") == 0 ? "" : b->top;
	for (char *p = all; names && p < all + len; p += strlen(p) + 1) {
		/* find0 names them relative to the directory, but for "/" without
		 * a leading slash and for "/sda1" with one */
		while (*p == '/')
			memmove(p, p + 1, strlen(p));
		if (!*p)
			continue;
		if (snprintf(user, sizeof(user), "%s/%s", top, p) >= (int)sizeof(user) ||
		    (skip && skip(skip_ud, user)))
			continue;
		if (n == cap) {
			char **nn = realloc(names, 2 * cap * sizeof(*names));
			if (!nn) {
				free(names);
				names = NULL;
				break;
			}
			names = nn;
			cap *= 2;
		}
		names[n++] = p;
	}
	int rc = names ? 0 : -1;
	for (size_t i = 0; names && i < n && rc == 0;) {
		size_t plen = parent_len(names[i]), j = i + 1;
		while (j < n && j - i < STAT_BATCH && parent_len(names[j]) == plen &&
		       strncmp(names[j], names[i], plen) == 0)
			j++;
		rc = emit_run(b, names + i, j - i, plen);
		i = j;
	}
	if (rc < 0 && !*why)
		snprintf(why, size, "%s", strerror(ENOMEM));
	free(names);
	free(all);
	return rc;
}

static int src_walk(struct inv_source *s, inv_skip_fn skip, inv_emit_fn emit, void *ud,
                    char *why, size_t size)
{
	struct guest_src *gs = s->priv;
	for (char **t = gs->tops; *t; t++) {
		struct batch b = { gs->gu->g, *t, guest_path(gs->gu, *t), emit, ud };
		/* the top itself, as find0 leaves it out */
		struct inv_entry e = { .path = *t, .type = INV_DIR };
		if (emit(ud, &e) < 0 || walk_top(&b, skip, ud, why, size) < 0)
			return -1;
	}
	return 0;
}

static int src_read(struct inv_source *s, const char *path, size_t max, char **buf,
                    size_t *len)
{
	struct guest_src *gs = s->priv;
	guestfs_h *g = gs->gu->g;
	const char *p = guest_path(gs->gu, path);
	char *out = malloc(max < READ_CHUNK ? max + 1 : READ_CHUNK + 1);
	size_t got = 0, cap = max < READ_CHUNK ? max : READ_CHUNK;
	*buf = NULL;
	*len = 0;
	while (out && got < max) {
		size_t want = max - got < READ_CHUNK ? max - got : READ_CHUNK;
		size_t n = 0;
		char *chunk = guestfs_pread(g, p, (int)want, (int64_t)got, &n);
		if (!chunk) {
			int err = guestfs_last_errno(g);
			free(out);
			return err == ENOENT || err == ENOTDIR ? 1 : -1;
		}
		if (n > want)
			n = want;
		if (got + n > cap) {
			size_t ncap = cap * 2 < max ? cap * 2 : max;
			char *no = realloc(out, ncap + 1);
			if (!no) {
				free(chunk);
				break;
			}
			out = no;
			cap = ncap;
		}
		memcpy(out + got, chunk, n);
		free(chunk);
		got += n;
		if (n < want)
			break;
	}
	if (!out)
		return -1;
	out[got] = '\0';
	*buf = out;
	*len = got;
	return 0;
}

static void free_tops(char **tops)
{
	for (char **t = tops; t && *t; t++)
		free(*t);
	free(tops);
}

/* Where each filesystem is: "/" for an OS or a single filesystem, else
 * /dev/NAME for each mounted at /NAME. */
static char **find_tops(struct guest *gu)
{
	char **tops = calloc(2, sizeof(char *));
	if (!tops)
		return NULL;
	if (!gu->dev_paths) {
		tops[0] = strdup("/");
		if (!tops[0])
			free_tops(tops), tops = NULL;
		return tops;
	}
	char **mps = guestfs_mountpoints(gu->g);
	size_t n = 0;
	for (size_t i = 0; mps && mps[i] && mps[i + 1]; i += 2) {
		char **nt = realloc(tops, (n + 2) * sizeof(char *));
		if (!nt)
			break;
		tops = nt;
		if (asprintf(&tops[n], "/dev%s", mps[i + 1]) < 0)
			break;
		tops[++n] = NULL;
	}
	for (char **m = mps; m && *m; m++)
		free(*m);
	free(mps);
	return tops;
}

struct inv_source *inv_guest_source(struct guest *gu)
{
	struct inv_source *s = calloc(1, sizeof(*s));
	struct guest_src *gs = calloc(1, sizeof(*gs));
	if (!s || !gs || !(gs->tops = find_tops(gu))) {
		free(s);
		free(gs);
		return NULL;
	}
	gs->gu = gu;
	s->name = "appliance";
	s->has_os = gu->os_root != NULL;
	s->fs_tops = (const char *const *)gs->tops;
	s->walk = src_walk;
	s->read = src_read;
	s->priv = gs;
	return s;
}

void inv_guest_source_free(struct inv_source *s)
{
	if (!s)
		return;
	struct guest_src *gs = s->priv;
	free_tops(gs->tops);
	free(gs);
	free(s);
}

/* sparse.c - a file that is mostly holes must not cost time in proportion
 * to its apparent size: tar in the appliance would read and ship every
 * zero (~45 s per GiB under TCG). Such files are found by their block
 * counts before the tree is streamed, left out of the tar, and read
 * afterwards extent by extent. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "sparse.h"
#include "walk.h"

/* Smaller holes are not worth a second pass over the file. */
#define MIN_HOLES (1 << 20)
#define READ_CHUNK (1 << 20)

struct sparse_file {
	char *rel;               /* path under the scanned directory */
	int64_t size, blocks;
	int64_t mode, uid, gid, mtime_sec, mtime_nsec;
};

struct sparse_set {
	char *dir;
	struct sparse_file *files;
	size_t n, cap;
	char **excludes;         /* "./rel", NULL-terminated */
};

void sparse_free(struct sparse_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].rel);
	for (size_t i = 0; s->excludes && s->excludes[i]; i++)
		free(s->excludes[i]);
	free(s->excludes);
	free(s->files);
	free(s->dir);
	free(s);
}

char *const *sparse_excludes(const struct sparse_set *s)
{
	return s->excludes;
}

/* ---- the scan ------------------------------------------------------------------ */

static bool worth_skipping(const struct guestfs_statns *st)
{
	if ((st->st_mode & S_IFMT) != S_IFREG)
		return false;
	int64_t holes = st->st_size - st->st_blocks * 512;
	return holes >= MIN_HOLES && holes * 2 >= st->st_size;
}

static int keep(struct sparse_set *s, const struct guestfs_statns *st, const char *rel)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sparse_file *f = realloc(s->files, cap * sizeof(*f));
		if (!f)
			return -1;
		s->files = f;
		s->cap = cap;
	}
	char *copy = strdup(rel);
	if (!copy)
		return -1;
	s->files[s->n++] = (struct sparse_file){ copy, st->st_size, st->st_blocks, st->st_mode,
	                                         st->st_uid, st->st_gid, st->st_mtime_sec,
	                                         st->st_mtime_nsec };
	return 0;
}

static int consider(void *ud, const char *rel, const struct guestfs_statns *st)
{
	/* Left out of the tar by an exclude pattern, which cannot name these
	 * exactly; and a hard link must stay one, which only tar keeps. */
	if (!st || strpbrk(rel, "*?[\\\n") || st->st_nlink != 1)
		return 0;
	return worth_skipping(st) ? keep(ud, st, rel) : 0;
}

/* find0's output: NUL-separated "/rel" names. */
static int stat_all(guestfs_h *g, struct sparse_set *s, const char *names, size_t size)
{
	size_t n = 0;
	for (size_t at = 0; at < size; at += strlen(names + at) + 1)
		n++;
	const char **list = malloc((n + 1) * sizeof(char *));
	if (!list)
		return -1;
	n = 0;
	for (size_t at = 0; at < size; at += strlen(names + at) + 1)
		list[n++] = names + at + (names[at] == '/');
	int rc = walk_stat(g, s->dir, (char *const *)list, n, consider, s);
	free(list);
	return rc;
}

static int make_excludes(struct sparse_set *s)
{
	s->excludes = calloc(s->n + 1, sizeof(char *));
	if (!s->excludes)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		if (asprintf(&s->excludes[i], "./%s", s->files[i].rel) < 0) {
			s->excludes[i] = NULL;
			return -1;
		}
	return 0;
}

static int scan_into(guestfs_h *g, struct sparse_set *s)
{
	int fd = memfd_create("lifeboat-names", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct stat st;
	int rc = -1;
	/* find stops on nothing, but fails at the end when a name could not be
	 * stated (a crafted directory entry): the names it gave are still
	 * good, and the files of holes among them must not go through tar. */
	guestfs_push_error_handler(g, NULL, NULL);
	guestfs_find0(g, s->dir, path);
	guestfs_pop_error_handler(g);
	if (fstat(fd, &st) == 0) {
		if (st.st_size == 0) {
			rc = 0;
		} else {
			char *names = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (names != MAP_FAILED) {
				/* only whole names: up to the last NUL */
				size_t n = (size_t)st.st_size;
				while (n > 0 && names[n - 1] != '\0')
					n--;
				rc = n ? stat_all(g, s, names, n) : 0;
				munmap(names, (size_t)st.st_size);
			}
		}
	}
	close(fd);
	return rc;
}

struct sparse_set *sparse_scan(guestfs_h *g, const char *dir)
{
	struct sparse_set *s = calloc(1, sizeof(*s));
	if (!s || !(s->dir = strdup(dir)))
		goto none;
	if (scan_into(g, s) < 0 || s->n == 0 || make_excludes(s) < 0)
		goto none;
	return s;
none:
	sparse_free(s);
	return NULL;
}

struct sparse_set *sparse_file(const char *path, const struct guestfs_statns *st)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || !worth_skipping(st))
		return NULL;
	struct sparse_set *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->dir = slash && slash > path ? strndup(path, (size_t)(slash - path)) : strdup("/");
	if (!s->dir || keep(s, st, base) < 0) {
		sparse_free(s);
		return NULL;
	}
	return s;
}

/* ---- extents ------------------------------------------------------------------- */

struct extent {
	int64_t start, end;      /* bytes, end exclusive */
};

/* Single quotes for the appliance's sh: 'it'\''s'. */
static char *sh_quote(const char *s)
{
	size_t n = 3;
	for (const char *p = s; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *out = malloc(n);
	if (!out)
		return NULL;
	char *o = out;
	*o++ = '\'';
	for (const char *p = s; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

static int64_t block_size_of(const char *out)
{
	const char *line = strstr(out, "File size of ");
	if (!line)
		return -1;
	const char *eol = strchr(line, '\n');
	const char *last = NULL;
	/* The last one on the line: the file's name comes first. */
	for (const char *p = line; (p = strstr(p, " blocks of ")) && (!eol || p < eol); p++)
		last = p;
	long long bs;
	if (!last || sscanf(last, " blocks of %lld bytes", &bs) != 1 || bs <= 0)
		return -1;
	return bs;
}

/* Parse filefrag -e: "  0:   256000..  256511:   8743..   9254:   512:  flags".
 * Unwritten extents read as zeros and are left out. */
static ssize_t parse_extents(const char *out, int64_t size, struct extent **ext)
{
	int64_t bs = block_size_of(out);
	if (bs < 0)
		return -1;
	size_t n = 0, cap = 0;
	*ext = NULL;
	for (const char *line = out; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		unsigned idx;
		long long first, last;
		if (sscanf(line, " %u: %lld.. %lld:", &idx, &first, &last) != 3)
			continue;
		const char *eol = strchr(line, '\n');
		int len = eol ? (int)(eol - line) : (int)strlen(line);
		if (memmem(line, (size_t)len, "inline", 6) || first < 0 || last < first)
			goto bad;
		if (memmem(line, (size_t)len, "unwritten", 9))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct extent *e = realloc(*ext, cap * sizeof(**ext));
			if (!e)
				goto bad;
			*ext = e;
		}
		int64_t end = (last + 1) * bs;
		(*ext)[n++] = (struct extent){ first * bs, end < size ? end : size };
	}
	return (ssize_t)n;
bad:
	free(*ext);
	*ext = NULL;
	return -1;
}

/* The data extents of FILE, from the kernel of the appliance (FIEMAP via
 * filefrag). When that cannot be had, the whole file is one extent: still
 * correct, only as slow as the tar would have been. */
static size_t extents_of(guestfs_h *g, const char *file, int64_t size, struct extent **ext)
{
	char *q = sh_quote(file), *cmd = NULL, *out = NULL;
	ssize_t n = -1;
	if (q && asprintf(&cmd, "filefrag -e \"$root\"%s", q) >= 0) {
		char *argv[] = { cmd, NULL };
		out = guestfs_debug(g, "sh", argv);
	}
	if (out)
		n = parse_extents(out, size, ext);
	free(out);
	free(cmd);
	free(q);
	if (n >= 0)
		return (size_t)n;
	*ext = malloc(sizeof(**ext));
	if (!*ext)
		return 0;
	**ext = (struct extent){ 0, size };
	return 1;
}

/* ---- the chained reader ---------------------------------------------------------- */

struct chain {
	struct reader ops;       /* first: the public face */
	struct reader *inner;
	bool inner_done;
	bool inner_failed;       /* its stream broke: said at the very end */
	bool inner_complained;   /* complete, but its producer failed: said at close */
	char inner_why[512];
	struct sparse_set *s;
	guestfs_h *g;
	char *prefix;
	size_t next;
	struct sparse_file *cur;
	char *path, *full;
	struct guestfs_xattr_list *xl;
	struct xattr *xattrs;
	struct extent *ext;
	size_t n_ext, at_ext;
	bool ext_loaded;
	int64_t at;
	char *buf;
	char why[512];
};

static void clear_current(struct chain *c)
{
	free(c->path);
	free(c->full);
	free(c->xattrs);
	free(c->ext);
	free(c->buf);
	if (c->xl)
		guestfs_free_xattr_list(c->xl);
	c->path = c->full = c->buf = NULL;
	c->xattrs = NULL;
	c->ext = NULL;
	c->xl = NULL;
	c->cur = NULL;
	c->n_ext = c->at_ext = 0;
	c->ext_loaded = false;
}

static int fail(struct chain *c, const char *what)
{
	snprintf(c->why, sizeof(c->why), "%s: %s", c->full ? c->full : "?", what);
	return -1;
}

static int load_xattrs(struct chain *c, struct entry *e)
{
	c->xl = guestfs_lgetxattrs(c->g, c->full);
	if (!c->xl)
		return fail(c, guestfs_last_error(c->g));
	c->xattrs = calloc(c->xl->len + 1, sizeof(*c->xattrs));
	if (!c->xattrs)
		return fail(c, "out of memory");
	for (size_t i = 0; i < c->xl->len; i++)
		c->xattrs[i] = (struct xattr){ c->xl->val[i].attrname, c->xl->val[i].attrval,
		                               c->xl->val[i].attrval_len };
	e->xattrs = c->xattrs;
	e->n_xattrs = c->xl->len;
	return 0;
}

static int give_sparse(struct chain *c, struct entry *e)
{
	clear_current(c);
	c->cur = &c->s->files[c->next++];
	if (!(c->full = guest_join(c->s->dir, c->cur->rel, strlen(c->cur->rel))))
		return fail(c, "out of memory");
	if (asprintf(&c->path, "%s%s%s", c->prefix, *c->prefix ? "/" : "", c->cur->rel) < 0) {
		c->path = NULL;
		return fail(c, "out of memory");
	}
	*e = (struct entry){ .path = c->path, .type = ENT_FILE,
	                     .perm = (mode_t)(c->cur->mode & 07777),
	                     .uid = (uint32_t)c->cur->uid, .gid = (uint32_t)c->cur->gid,
	                     .size = c->cur->size, .mtime_sec = c->cur->mtime_sec,
	                     .mtime_nsec = (long)c->cur->mtime_nsec };
	return load_xattrs(c, e) < 0 ? -1 : 1;
}

/* The tar's end: its thread is joined before the handle is used again
 * (a libguestfs handle takes one call at a time), and a broken tar does
 * not keep the files of holes from being copied. */
static void end_inner(struct chain *c, int rc)
{
	c->inner_done = true;
	if (rc < 0) {
		snprintf(c->inner_why, sizeof(c->inner_why), "%s", c->inner->error(c->inner));
		c->inner_failed = true;
	}
	char why[512] = "";
	if (c->inner->close(c->inner, why, sizeof(why)) < 0 && !c->inner_failed) {
		/* tar went on past what it could not read, and said so at the
		 * end: what it gave is good */
		snprintf(c->inner_why, sizeof(c->inner_why), "%s", why);
		c->inner_complained = true;
	}
	c->inner = NULL;
}

static int chain_next(struct reader *r, struct entry *e)
{
	struct chain *c = (struct chain *)r;
	if (!c->inner_done && c->inner) {
		int rc = c->inner->next(c->inner, e);
		if (rc == 1)
			return 1;
		end_inner(c, rc);
	}
	if (c->next == c->s->n) {
		clear_current(c);
		if (c->inner_failed) {
			snprintf(c->why, sizeof(c->why), "%s", c->inner_why);
			return -1;
		}
		return 0;
	}
	return give_sparse(c, e);
}

static int sparse_data(struct chain *c, const void **buf, size_t *len, int64_t *offset)
{
	if (!c->ext_loaded) {
		c->ext_loaded = true;
		if (c->cur->blocks > 0)
			c->n_ext = extents_of(c->g, c->full, c->cur->size, &c->ext);
		c->at = c->n_ext ? c->ext[0].start : 0;
	}
	while (c->at_ext < c->n_ext && c->at >= c->ext[c->at_ext].end)
		if (++c->at_ext < c->n_ext)
			c->at = c->ext[c->at_ext].start;
	if (c->at_ext == c->n_ext)
		return 0;
	if (extract_interrupted)
		return fail(c, "interrupted");
	int64_t want = c->ext[c->at_ext].end - c->at;
	size_t got;
	free(c->buf);
	c->buf = guestfs_pread(c->g, c->full, want < READ_CHUNK ? (int)want : READ_CHUNK, c->at,
	                       &got);
	if (!c->buf)
		return fail(c, guestfs_last_error(c->g));
	if (got == 0) /* the file ends before its extents say: nothing more to read */
		return 0;
	*buf = c->buf;
	*len = got;
	*offset = c->at;
	c->at += (int64_t)got;
	return 1;
}

static int chain_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct chain *c = (struct chain *)r;
	if (c->cur)
		return sparse_data(c, buf, len, offset);
	return c->inner ? c->inner->data(c->inner, buf, len, offset) : 0;
}

static const char *chain_error(struct reader *r)
{
	struct chain *c = (struct chain *)r;
	return c->why[0] || !c->inner ? c->why : c->inner->error(c->inner);
}

static int chain_close(struct reader *r, char *why, size_t size)
{
	struct chain *c = (struct chain *)r;
	int rc = c->inner ? c->inner->close(c->inner, why, size) : 0;
	if (!c->inner && (c->inner_complained || (c->inner_failed && c->next < c->s->n))) {
		snprintf(why, size, "%s", c->inner_why);
		rc = -1;
	}
	clear_current(c);
	sparse_free(c->s);
	free(c->prefix);
	free(c);
	return rc;
}

struct reader *sparse_chain(struct reader *inner, struct sparse_set *s, guestfs_h *g,
                            const char *prefix)
{
	struct chain *c = calloc(1, sizeof(*c));
	if (!c || !(c->prefix = strdup(prefix))) {
		free(c);
		char why[512];
		if (inner)
			inner->close(inner, why, sizeof(why));
		sparse_free(s);
		return NULL;
	}
	c->ops = (struct reader){ chain_next, chain_data, chain_error, chain_close };
	c->inner = inner;
	c->s = s;
	c->g = g;
	return &c->ops;
}

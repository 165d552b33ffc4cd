/* inv_native.c - the inventory's source over the native reader: one
 * streamed walk per filesystem, keeping as it passes the few files the
 * inventory will read (inv_prefetch), so nothing is opened twice */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exit.h"
#include "inv_native.h"
#include "native_run.h"

#define CACHE_MAX ((size_t)256 << 20)   /* bytes kept from the walk, at most */

struct kept {
	char *path;
	char *buf;
	size_t len;
	bool whole;           /* the file's every byte, not a prefix */
};

struct native_src {
	struct xcli cli;      /* a copy: the walk lists recursively */
	char **tops;
	char *dirs[8];        /* where the files the inventory reads are, as met */
	size_t n_dirs;
	struct kept *kept;
	size_t n_kept, cap_kept, kept_bytes;
	enum inv_native_fail fail;
	int fail_rc;
};

static void free_priv(struct native_src *ns);

static void free_strings(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/* The native reader for OP on PATH, started as every command starts it
 * (the image policy first, the parsing confined); its description
 * skipped. NULL when it is not used: *rc says why, as native_start. */
static struct reader *start(struct native_src *ns, enum native_op op, const char *path, int *rc)
{
	json_t *meta = NULL;
	struct reader *r = native_start(&ns->cli, op, path, "", &meta, rc);
	json_decref(meta);
	return r;
}

/* Up to MAX bytes of the current entry's data (SIZE bytes, holes as
 * zeros) into a new buffer. */
static char *pull(struct reader *r, int64_t size, size_t max, size_t *len, char *why,
                  size_t wsize)
{
	size_t want = size < 0 ? 0 : (uint64_t)size < max ? (size_t)size : max;
	char *buf = calloc(1, want + 1);
	const void *data;
	size_t n;
	int64_t off;
	int rc = 0;
	while (buf && (rc = r->data(r, &data, &n, &off)) == 1) {
		if (off < 0 || (uint64_t)off >= want)
			break;  /* the rest is not wanted: the next entry closes the file */
		size_t take = n < want - (size_t)off ? n : want - (size_t)off;
		memcpy(buf + off, data, take);
	}
	if (!buf || rc < 0) {
		snprintf(why, wsize, "%s", buf ? r->error(r) : "out of memory");
		free(buf);
		return NULL;
	}
	*len = want;
	return buf;
}

static int keep(struct native_src *ns, const char *path, char *buf, size_t len, bool whole)
{
	if (ns->n_kept == ns->cap_kept) {
		size_t cap = ns->cap_kept ? ns->cap_kept * 2 : 256;
		struct kept *k = realloc(ns->kept, cap * sizeof(*k));
		if (!k)
			return -1;
		ns->kept = k;
		ns->cap_kept = cap;
	}
	char *p = strdup(path);
	if (!p)
		return -1;
	ns->kept[ns->n_kept++] = (struct kept){ p, buf, len, whole };
	ns->kept_bytes += len;
	return 0;
}

static enum inv_type type_of(enum entry_type t)
{
	switch (t) {
	case ENT_FILE: case ENT_HARDLINK: return INV_FILE;
	case ENT_DIR: return INV_DIR;
	case ENT_SYMLINK: return INV_LINK;
	default: return INV_OTHER;
	}
}

/* The directories whose files the inventory reads: copied whole, in one
 * stream each, once the walk has shown they are there. */
static bool read_dir(const char *path)
{
	static const char *const dirs[] = {
		"/etc", "/var/lib/dpkg", "/var/lib/ucf", "/var/lib/pacman/local",
		"/usr/lib/systemd/system", "/lib/systemd/system", NULL,
	};
	for (const char *const *d = dirs; *d; d++)
		if (strcmp(path, *d) == 0)
			return true;
	return false;
}

static void failed(struct native_src *ns, int rc)
{
	ns->fail = rc == XT_OK ? INV_NATIVE_FALLBACK : INV_NATIVE_EXIT;
	ns->fail_rc = rc;
}

static int walk_top(struct native_src *ns, const char *top, inv_skip_fn skip, inv_emit_fn emit,
                    void *ud, char *why, size_t size)
{
	int rc;
	struct reader *r = start(ns, NATIVE_LIST, top, &rc);
	if (!r) {
		failed(ns, rc);
		return -1;
	}
	const char *base = strcmp(top, "/") == 0 ? "" : top;
	struct inv_entry top_e = { .path = top, .type = INV_DIR };
	rc = emit(ud, &top_e);
	struct entry e;
	char path[PATH_MAX];
	while (rc == 0 && (rc = r->next(r, &e)) == 1) {
		rc = 0;
		if (e.refused)   /* a name no kernel made: nothing there to list */
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", base, e.path) >= (int)sizeof(path) ||
		    (skip && skip(ud, path)))
			continue;
		struct inv_entry ie = {
			.path = path, .type = type_of(e.type), .size = e.size, .mtime = e.mtime_sec,
			.mode = (uint32_t)e.perm, .link = e.type == ENT_SYMLINK ? e.link : NULL,
		};
		if (e.type == ENT_DIR && read_dir(path) &&
		    ns->n_dirs < sizeof(ns->dirs) / sizeof(ns->dirs[0]) &&
		    !(ns->dirs[ns->n_dirs++] = strdup(path)))
			rc = -1;
		if (rc == 0)
			rc = emit(ud, &ie);
	}
	if (rc < 0) {
		snprintf(why, size, "%s", r->error(r));
		ns->fail = INV_NATIVE_MIDWAY;
	}
	char ignored[256];
	r->close(r, ignored, sizeof(ignored));
	return rc < 0 ? -1 : 0;
}

/* One stream of DIR with its data, keeping what the inventory will ask
 * for; a directory it cannot stream is left to reads one by one. */
static int keep_dir(struct native_src *ns, const char *dir, char *why, size_t size)
{
	int rc;
	struct reader *r = start(ns, NATIVE_TREE, dir, &rc);
	if (!r)
		return 0;
	struct entry e;
	char path[PATH_MAX];
	while ((rc = r->next(r, &e)) == 1) {
		size_t want = 0;
		if (e.type == ENT_FILE &&
		    snprintf(path, sizeof(path), "%s/%s", dir, e.path) < (int)sizeof(path))
			want = inv_prefetch(path, e.size);
		if (want && e.size >= 0 && (uint64_t)e.size < want)
			want = (size_t)e.size;
		if (!want && !(e.type == ENT_FILE && e.size == 0 && inv_prefetch(path, 0)))
			continue;
		if (ns->kept_bytes + want > CACHE_MAX)
			break;
		size_t len;
		char *buf = pull(r, e.size, want, &len, why, size);
		if (!buf || keep(ns, path, buf, len, (int64_t)len == e.size) < 0) {
			free(buf);
			rc = -1;
			break;
		}
	}
	char ignored[256];
	r->close(r, ignored, sizeof(ignored));
	return 0;  /* what was not kept is read on its own */
}

static int src_walk(struct inv_source *s, inv_skip_fn skip, inv_emit_fn emit, void *ud,
                    char *why, size_t size)
{
	struct native_src *ns = s->priv;
	for (char **t = ns->tops; *t; t++)
		if (walk_top(ns, *t, skip, emit, ud, why, size) < 0)
			return -1;
	for (size_t i = 0; i < ns->n_dirs; i++)
		keep_dir(ns, ns->dirs[i], why, size);
	why[0] = '\0';
	return 0;
}

static const struct kept *find_kept(const struct native_src *ns, const char *path)
{
	/* few, and asked for in walk order: from the last one kept backwards
	 * is quick enough and needs no index */
	for (size_t i = ns->n_kept; i-- > 0;)
		if (strcmp(ns->kept[i].path, path) == 0)
			return &ns->kept[i];
	return NULL;
}

static int src_read(struct inv_source *s, const char *path, size_t max, char **buf,
                    size_t *len)
{
	struct native_src *ns = s->priv;
	const struct kept *k = find_kept(ns, path);
	*buf = NULL;
	if (k && (k->whole || k->len >= max)) {
		size_t n = k->len < max ? k->len : max;
		if (!(*buf = malloc(n + 1)))
			return -1;
		memcpy(*buf, k->buf, n);
		(*buf)[n] = '\0';
		*len = n;
		return 0;
	}
	/* not kept as it passed: open it on its own */
	char why[512];
	int rc;
	struct reader *r = start(ns, NATIVE_FILE, path, &rc);
	if (!r)
		return rc == XT_NOT_FOUND ? 1 : -1;
	struct entry e;
	rc = r->next(r, &e) == 1 && e.type == ENT_FILE ? 0 : -1;
	if (rc == 0 && !(*buf = pull(r, e.size, max, len, why, sizeof(why))))
		rc = -1;
	char ignored[256];
	r->close(r, ignored, sizeof(ignored));
	return rc;
}

static bool native_type(const char *type)
{
	return strcmp(type, "ext2") == 0 || strcmp(type, "ext3") == 0 || strcmp(type, "ext4") == 0;
}

/* The filesystems to walk, as the native reader names them: "/" for an
 * OS or a disk with one filesystem, else each /dev/... . NULL with why. */
static char **find_tops(const json_t *meta, bool has_os, bool one_fs, char *why, size_t size)
{
	size_t i, n = 0;
	json_t *f;
	const json_t *fss = json_object_get(meta, "filesystems");
	char **tops = calloc(json_array_size(fss) + 2, sizeof(char *));
	if (!tops) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	json_array_foreach(fss, i, f) {
		const char *dev = json_string_value(json_object_get(f, "device"));
		const char *type = json_string_value(json_object_get(f, "type"));
		if (!dev || !type || strcmp(type, "swap") == 0 || strcmp(type, "unknown") == 0 ||
		    !*type)
			continue;
		if (!native_type(type) && !has_os && !one_fs) {
			snprintf(why, size, "%s holds %s", dev, type);
			free_strings(tops);
			return NULL;
		}
		if (native_type(type))
			tops[n++] = strdup(dev);
	}
	if (has_os || one_fs || n <= 1) {
		free_strings(tops);
		tops = calloc(2, sizeof(char *));
		if (tops)
			tops[0] = strdup("/");
	}
	return tops;
}

struct inv_source *inv_native_source(const struct xcli *cli, int *rc)
{
	json_t *meta = NULL;
	struct reader *r = native_start(cli, NATIVE_FILESYSTEMS, "/", NULL, &meta, rc);
	if (!r)
		return NULL;
	char ignored[256], why[512] = "";
	r->close(r, ignored, sizeof(ignored));
	struct inv_source *s = calloc(1, sizeof(*s));
	struct native_src *ns = calloc(1, sizeof(*ns));
	bool has_os = json_array_size(json_object_get(meta, "os")) > 0;
	if (s && ns) {
		ns->cli = *cli;
		ns->cli.recursive = true;
		ns->tops = find_tops(meta, has_os, cli->guest.filesystem != NULL, why, sizeof(why));
	}
	json_decref(meta);
	if (!s || !ns || !ns->tops) {
		if (cli->reader == READER_NATIVE) {
			fprintf(stderr, "lifeboat-extract: the native reader cannot read '%s': %s\n",
			        cli->args[0], why[0] ? why : "out of memory");
			*rc = XT_FAIL;
		} else {
			fprintf(stderr, "lifeboat-extract: using the appliance: %s\n",
			        why[0] ? why : "out of memory");
			*rc = XT_OK;
		}
		free(s);
		free_priv(ns);
		return NULL;
	}
	s->name = "native";
	s->has_os = has_os;
	s->fs_tops = (const char *const *)ns->tops;
	s->walk = src_walk;
	s->read = src_read;
	s->priv = ns;
	return s;
}

enum inv_native_fail inv_native_failure(const struct inv_source *s, int *rc)
{
	const struct native_src *ns = s->priv;
	*rc = ns->fail_rc;
	return ns->fail;
}

static void free_priv(struct native_src *ns)
{
	if (!ns)
		return;
	for (size_t i = 0; i < ns->n_kept; i++) {
		free(ns->kept[i].path);
		free(ns->kept[i].buf);
	}
	free(ns->kept);
	for (size_t i = 0; i < ns->n_dirs; i++)
		free(ns->dirs[i]);
	free_strings(ns->tops);
	free(ns);
}

void inv_native_source_free(struct inv_source *s)
{
	if (!s)
		return;
	free_priv(s->priv);
	free(s);
}

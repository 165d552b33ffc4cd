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
	char *image, *format, *filesystem;
	char **tops;
	struct kept *kept;
	size_t n_kept, cap_kept, kept_bytes;
	bool failed;          /* the native reader failed: the appliance may do better */
};

static void free_priv(struct native_src *ns);

static void free_strings(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

static struct reader *open_tree(struct native_src *ns, enum native_op op, const char *path,
                                char *why, size_t size)
{
	struct native_request req = {
		.image = ns->image, .format = ns->format, .filesystem = ns->filesystem, .op = op,
		.path = path, .prefix = "",
	};
	struct reader *r = native_open(&req, why, size);
	struct entry e;
	/* the first entry describes the image; the inventory has it already */
	if (r && (r->next(r, &e) != 1 || strcmp(e.path, "lifeboat-meta.json") != 0)) {
		snprintf(why, size, "the native reader's first entry is not its description");
		char ignored[64];
		r->close(r, ignored, sizeof(ignored));
		return NULL;
	}
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

static int walk_top(struct native_src *ns, const char *top, inv_skip_fn skip, inv_emit_fn emit,
                    void *ud, char *why, size_t size)
{
	struct reader *r = open_tree(ns, NATIVE_TREE, top, why, size);
	if (!r) {
		ns->failed = true;
		return -1;
	}
	const char *base = strcmp(top, "/") == 0 ? "" : top;
	struct inv_entry top_e = { .path = top, .type = INV_DIR };
	int rc = emit(ud, &top_e);
	struct entry e;
	char path[PATH_MAX], same[PATH_MAX];
	while (rc == 0 && (rc = r->next(r, &e)) == 1) {
		rc = 0;
		if (snprintf(path, sizeof(path), "%s/%s", base, e.path) >= (int)sizeof(path) ||
		    (skip && skip(ud, path)))
			continue;
		struct inv_entry ie = {
			.path = path, .type = type_of(e.type), .size = e.size, .mtime = e.mtime_sec,
			.mode = (uint32_t)e.perm, .link = e.type == ENT_SYMLINK ? e.link : NULL,
		};
		if (e.type == ENT_HARDLINK && e.link &&
		    snprintf(same, sizeof(same), "%s/%s", base, e.link) < (int)sizeof(same))
			ie.same_as = same;
		size_t want = e.type == ENT_FILE ? inv_prefetch(path, e.size) : 0;
		if (want && e.size >= 0 && (uint64_t)e.size < want)
			want = (size_t)e.size + (e.size == 0);
		if (want && ns->kept_bytes + want <= CACHE_MAX) {
			size_t len;
			char *buf = pull(r, e.size, want, &len, why, size);
			if (!buf || keep(ns, path, buf, len, (int64_t)len == e.size) < 0) {
				if (buf)
					snprintf(why, size, "out of memory");
				free(buf);
				rc = -1;
				break;
			}
		}
		rc = emit(ud, &ie);
	}
	if (rc < 0 && !*why) {
		snprintf(why, size, "%s", r->error(r));
		ns->failed = true;
	}
	char ignored[256];
	r->close(r, ignored, sizeof(ignored));
	return rc < 0 ? -1 : 0;
}

static int src_walk(struct inv_source *s, inv_skip_fn skip, inv_emit_fn emit, void *ud,
                    char *why, size_t size)
{
	struct native_src *ns = s->priv;
	for (char **t = ns->tops; *t; t++)
		if (walk_top(ns, *t, skip, emit, ud, why, size) < 0)
			return -1;
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
	struct reader *r = open_tree(ns, NATIVE_FILE, path, why, sizeof(why));
	if (!r)
		return strncmp(why, NATIVE_NOT_FOUND, strlen(NATIVE_NOT_FOUND)) == 0 ? 1 : -1;
	struct entry e;
	int rc = r->next(r, &e) == 1 && e.type == ENT_FILE ? 0 : -1;
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
	const char *format = json_string_value(json_object_get(meta, "format"));
	if (s && ns) {
		ns->image = strdup(cli->args[0]);
		ns->format = strdup(format ? format : "raw");
		ns->filesystem = cli->guest.filesystem ? strdup(cli->guest.filesystem) : NULL;
		ns->tops = find_tops(meta, has_os, cli->guest.filesystem != NULL, why, sizeof(why));
	}
	json_decref(meta);
	if (!s || !ns || !ns->image || !ns->format || !ns->tops) {
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

bool inv_native_failed(const struct inv_source *s)
{
	return s && ((const struct native_src *)s->priv)->failed;
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
	free_strings(ns->tops);
	free(ns->image);
	free(ns->format);
	free(ns->filesystem);
	free(ns);
}

void inv_native_source_free(struct inv_source *s)
{
	if (!s)
		return;
	free_priv(s->priv);
	free(s);
}

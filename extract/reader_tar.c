/* reader_tar.c - tar entries to struct entry, with libarchive: no tar
 * parsing of our own */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "reader_tar.h"

#define MAX_XATTRS 64

struct tar_reader {
	struct reader ops;       /* first: the public face */
	struct archive *a;
	int fd;
	char *prefix;
	char *path;              /* prefix + the entry's path */
	char *link;
	struct xattr xattrs[MAX_XATTRS];
	char why[512];
	int (*on_close)(void *data, char *why, size_t size);
	void *close_data;
};

static char *joined(const char *prefix, const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (strcmp(path, ".") == 0)
		path = "";
	size_t pl = strlen(prefix), n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	char *out = malloc(pl + n + 2);
	if (!out)
		return NULL;
	memcpy(out, prefix, pl);
	size_t at = pl;
	if (pl && n)
		out[at++] = '/';
	memcpy(out + at, path, n);
	out[at + n] = '\0';
	return out;
}

static enum entry_type type_of(struct archive_entry *ae)
{
	if (archive_entry_hardlink(ae))
		return ENT_HARDLINK;
	switch (archive_entry_filetype(ae)) {
	case AE_IFDIR: return ENT_DIR;
	case AE_IFLNK: return ENT_SYMLINK;
	case AE_IFCHR: return ENT_CHAR;
	case AE_IFBLK: return ENT_BLOCK;
	case AE_IFIFO: return ENT_FIFO;
	case AE_IFSOCK: return ENT_SOCKET;
	default: return ENT_FILE;
	}
}

static size_t read_xattrs(struct tar_reader *t, struct archive_entry *ae)
{
	size_t n = 0;
	archive_entry_xattr_reset(ae);
	const char *name;
	const void *value;
	size_t size;
	while (n < MAX_XATTRS && archive_entry_xattr_next(ae, &name, &value, &size) == ARCHIVE_OK)
		t->xattrs[n++] = (struct xattr){ name, value, size };
	return n;
}

static int tar_next(struct reader *r, struct entry *e)
{
	struct tar_reader *t = (struct tar_reader *)r;
	struct archive_entry *ae;
	for (;;) {
		int rc = archive_read_next_header(t->a, &ae);
		if (rc == ARCHIVE_EOF)
			return 0;
		if (rc < ARCHIVE_WARN) {
			snprintf(t->why, sizeof(t->why), "%s", archive_error_string(t->a));
			return -1;
		}
		const char *name = archive_entry_pathname(ae);
		if (!name) {
			snprintf(t->why, sizeof(t->why), "a tar entry without a readable name");
			return -1;
		}
		free(t->path);
		free(t->link);
		t->path = joined(t->prefix, name);
		const char *hl = archive_entry_hardlink(ae);
		t->link = hl ? joined(t->prefix, hl) : NULL;
		if (!t->path || (hl && !t->link))
			return -1;
		if (!*t->path)
			continue; /* the copy's root itself */
		memset(e, 0, sizeof(*e));
		e->path = t->path;
		e->type = type_of(ae);
		e->perm = archive_entry_perm(ae);
		e->uid = (uint32_t)archive_entry_uid(ae);
		e->gid = (uint32_t)archive_entry_gid(ae);
		e->size = archive_entry_size(ae);
		e->mtime_sec = archive_entry_mtime(ae);
		e->mtime_nsec = archive_entry_mtime_nsec(ae);
		e->link = e->type == ENT_HARDLINK ? t->link : archive_entry_symlink(ae);
		e->rdev = archive_entry_rdev(ae);
		e->n_xattrs = read_xattrs(t, ae);
		e->xattrs = t->xattrs;
		return 1;
	}
}

static int tar_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct tar_reader *t = (struct tar_reader *)r;
	la_int64_t off;
	int rc = archive_read_data_block(t->a, buf, len, &off);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc < ARCHIVE_WARN) {
		snprintf(t->why, sizeof(t->why), "%s", archive_error_string(t->a));
		return -1;
	}
	*offset = off;
	return 1;
}

static const char *tar_error(struct reader *r)
{
	return ((struct tar_reader *)r)->why;
}

static int tar_close(struct reader *r, char *why, size_t size)
{
	struct tar_reader *t = (struct tar_reader *)r;
	/* Drain, so a producer blocked on a full pipe can finish. */
	char sink[65536];
	while (read(t->fd, sink, sizeof(sink)) > 0)
		;
	archive_read_free(t->a);
	close(t->fd);
	int rc = 0;
	if (t->on_close)
		rc = t->on_close(t->close_data, why, size);
	free(t->prefix);
	free(t->path);
	free(t->link);
	free(t);
	return rc;
}

struct reader *reader_tar_open(int fd, const char *prefix,
                               int (*on_close)(void *data, char *why, size_t size),
                               void *data)
{
	struct tar_reader *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ops = (struct reader){ tar_next, tar_data, tar_error, tar_close };
	t->fd = fd;
	t->on_close = on_close;
	t->close_data = data;
	t->prefix = strdup(prefix);
	t->a = archive_read_new();
	if (!t->prefix || !t->a || archive_read_support_format_tar(t->a) != ARCHIVE_OK ||
	    archive_read_support_format_gnutar(t->a) != ARCHIVE_OK ||
	    archive_read_open_fd(t->a, fd, 256 * 1024) != ARCHIVE_OK) {
		archive_read_free(t->a);
		free(t->prefix);
		free(t);
		return NULL;
	}
	return &t->ops;
}

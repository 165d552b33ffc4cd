/* entry.h - the narrow interface between a reader of a filesystem tree
 * (the libguestfs appliance today, a native ext4 reader tomorrow) and the
 * writer that puts it safely on the host */
#ifndef EXTRACT_ENTRY_H
#define EXTRACT_ENTRY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum entry_type {
	ENT_FILE, ENT_DIR, ENT_SYMLINK, ENT_HARDLINK, ENT_CHAR, ENT_BLOCK, ENT_FIFO,
	ENT_SOCKET,
};

struct xattr {
	const char *name;
	const void *value;
	size_t size;
};

/* Everything borrowed from the reader, valid until its next call. */
struct entry {
	const char *path;       /* relative to the copy's root, any bytes but NUL */
	enum entry_type type;
	mode_t perm;            /* permission bits, incl. setuid/setgid/sticky */
	uint32_t uid, gid;
	int64_t size;           /* bytes of a regular file */
	int64_t mtime_sec;
	long mtime_nsec;
	const char *link;       /* symlink target, or the path a hard link names */
	dev_t rdev;
	const struct xattr *xattrs;
	size_t n_xattrs;
	/* Not NULL: nothing to write, but something in directory PATH ("" for
	 * the copy's root) the reader refused, and why (a name no kernel could
	 * have made); a copy records it as refused and ends partial. */
	const char *refused;
};

struct reader {
	/* 1 and *e filled, 0 at the end, -1 on a failure (see error). */
	int (*next)(struct reader *r, struct entry *e);
	/* The current file's data, block by block: 1 with *buf, *len and
	 * *offset (holes are skipped offsets), 0 at its end, -1 on failure. */
	int (*data)(struct reader *r, const void **buf, size_t *len, int64_t *offset);
	const char *(*error)(struct reader *r);
	/* Release; -1 when the source reported a failure at the end, and
	 * then why holds it (the reader is gone: error() cannot be asked). */
	int (*close)(struct reader *r, char *why, size_t size);
};

#endif

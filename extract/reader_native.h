/* reader_native.h - the native reader: partitions and ext2/3/4 read
 * straight from the image, no appliance, no kernel, no root */
#ifndef EXTRACT_READER_NATIVE_H
#define EXTRACT_READER_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include "entry.h"

enum native_op {
	NATIVE_FILESYSTEMS,   /* the meta entry only: partitions, types, labels, OS */
	NATIVE_LIST,          /* ls: PATH's entries (or all below it), no data, no hard links */
	NATIVE_TREE,          /* copy: PATH and everything below, with data */
	NATIVE_FILE,          /* cat: PATH, a regular file (symlinks followed by the appliance only) */
};

struct native_request {
	const char *image;       /* accepted by the image policy */
	const char *format;      /* "raw" or "qcow2", as the policy decided */
	const char *filesystem;  /* --filesystem DEV, or NULL to inspect */
	enum native_op op;
	const char *path;        /* as the user names it; unused for FILESYSTEMS */
	const char *prefix;      /* TREE: put in front of every path ("" for none) */
	bool recursive;          /* LIST */
};

/* A why that starts with this is a refusal: the native reader cannot
 * read this image (a filesystem, a feature, LVM), the appliance can. */
#define NATIVE_UNSUPPORTED "unsupported: "
/* ... and this: the path is not in the image (nor would the appliance find it). */
#define NATIVE_NOT_FOUND "not found: "

/* Open the image and everything REQ needs. The reader's first entry is
 * always the meta entry: a regular file whose data is one JSON object
 * ({"format", "filesystems", "os", "mounted"}); the tree, if any, follows.
 * NULL with why (see the prefixes above). */
struct reader *native_open(const struct native_request *req, char *why, size_t size);

/* The largest meta entry a parent accepts. */
#define NATIVE_META_MAX (1u << 20)

#endif

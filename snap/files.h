/* files.h - files that only get their final name once complete */
#ifndef SNAP_FILES_H
#define SNAP_FILES_H

#include <stddef.h>

/* fsync the directory holding path, so a rename in it is durable. */
int fsync_parent(const char *path);
/* Write data to path.tmp (mode 0600), fsync, rename to path, fsync the
 * directory. Returns 0, or -1 with errno set. */
int write_file_atomic(const char *path, const char *data, size_t len);
/* Write all of buf, retrying short writes. 0, or -1 with errno set. */
int write_all(int fd, const void *buf, size_t len);
/* Free bytes for an unprivileged writer in path's directory, or -1. */
long long free_space_for(const char *path);

#endif

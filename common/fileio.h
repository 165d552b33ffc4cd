/* fileio.h - reads that both programs share */
#ifndef LIFEBOAT_FILEIO_H
#define LIFEBOAT_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read len bytes at off into buf, through short reads and EINTR: the
 * count read (less than len only at the end of the file), or -1. */
ssize_t pread_full(int fd, void *buf, size_t len, uint64_t off);

#endif

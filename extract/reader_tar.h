/* reader_tar.h - a reader over a tar stream, parsed by libarchive */
#ifndef EXTRACT_READER_TAR_H
#define EXTRACT_READER_TAR_H

#include "entry.h"

/* Read a tar stream from fd; every path gets prefix (may be "") put in
 * front. The fd is closed by close(). NULL on allocation failure.
 * on_close, when not NULL, is called by close() and its result returned:
 * it reports how the producer of the stream ended. */
struct reader *reader_tar_open(int fd, const char *prefix,
                               int (*on_close)(void *data, char *why, size_t size),
                               void *data);

#endif

/* writer.h - puts entries under DEST and nowhere else: every path is
 * resolved component by component from directory fds, without following
 * any symlink, so neither a hostile name nor depth can escape or break it */
#ifndef EXTRACT_WRITER_H
#define EXTRACT_WRITER_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "entry.h"

struct writer_options {
	bool preserve_owner;   /* uid/gid, setuid bits, security.* and ACLs */
	bool specials;         /* recreate FIFOs and device nodes */
	FILE *manifest;        /* one line per entry written, or NULL */
	bool progress;         /* a redrawn line on stderr */
};

struct writer;

/* DEST is created when missing. NULL with why filled on failure. */
struct writer *writer_open(const char *dest, const struct writer_options *opt,
                           char *why, size_t why_size);
/* Write one entry, reading a file's data from r. A problem with this entry
 * is recorded and 0 returned, so the rest goes on; -1 only when nothing
 * more can be written (the reader failed, or the disk is full). */
int writer_put(struct writer *w, struct reader *r, const struct entry *e);
/* Give directories their modes and times, now that they are filled.
 * Returns the number of entries that had problems. */
size_t writer_finish(struct writer *w);
/* Print the problems, one a line. */
void writer_report(struct writer *w, FILE *out);
/* Visit the problems: path (escaped) and reason. */
void writer_problems(const struct writer *w, void (*fn)(void *ud, const char *path,
                                                       const char *why), void *ud);
void writer_stats(const struct writer *w, long long *files, long long *bytes);
void writer_close(struct writer *w);

/* The manifest's type letter for a file mode: f d l c b p s. */
char mode_type_letter(mode_t mode);

/* Escape a path for the manifest: bytes outside '!'..'~' and the
 * backslash become \xHH. Caller frees. */
char *manifest_escape(const char *path);
/* The inverse; NULL on a malformed escape. Caller frees. */
char *manifest_unescape(const char *text);

#endif

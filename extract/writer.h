/* writer.h - puts entries under DEST and nowhere else: every path is
 * resolved component by component from directory fds, without following
 * any symlink, so neither a hostile name nor depth can escape or break it.
 * Nothing wrong ever has a final name: each entry is made under a
 * temporary name in its own directory and renamed only once complete. */
#ifndef EXTRACT_WRITER_H
#define EXTRACT_WRITER_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include "entry.h"

/* The prefix of the temporary names; a later run removes leftovers. */
#define WRITER_TMP_PREFIX ".lifeboat-tmp."

struct writer_options {
	bool preserve_owner;   /* uid/gid, setuid bits, security.* and ACLs */
	bool specials;         /* recreate FIFOs (and, with preserve_owner as
	                          root, device nodes) */
	FILE *manifest;        /* one line per entry written, or NULL */
	bool progress;         /* a redrawn line on stderr */
	volatile sig_atomic_t *stop; /* polled in every loop; NULL: never */
};

/* Why an entry is not in the copy as it is. */
enum problem_kind {
	PROBLEM_SKIPPED,       /* by policy (FIFO, socket, device): not a failure */
	PROBLEM_REFUSED,       /* unsafe: a path or link out of the copy */
	PROBLEM_SOURCE,        /* it could not be read from the image */
	PROBLEM_DEST,          /* it could not be written under DEST */
	PROBLEM_INTERRUPTED,   /* the copy was stopped while it was written */
	PROBLEM_KINDS
};

struct writer;

/* DEST is created when missing; leftovers of an earlier run (temporary
 * names) are removed. NULL with why filled on failure. */
struct writer *writer_open(const char *dest, const struct writer_options *opt,
                           char *why, size_t why_size);
/* Write one entry, reading a file's data from r. A problem with this entry
 * is recorded and 0 returned, so the rest goes on; -1 only when nothing
 * more can be written (disk full, I/O error, interrupted). */
int writer_put(struct writer *w, struct reader *r, const struct entry *e);
/* Record an entry (or a PATH) that could not be copied at all. */
void writer_note(struct writer *w, enum problem_kind kind, const char *path, const char *why);
/* Give directories their modes and times, now that they are filled, and
 * flush DEST to disk. Returns the number of problems of each kind in
 * counts (PROBLEM_KINDS entries), and -1 when DEST could not be flushed. */
int writer_finish(struct writer *w, size_t counts[PROBLEM_KINDS]);
/* Print the problems, one a line. */
void writer_report(struct writer *w, FILE *out);
/* Visit the problems: path (escaped), kind and reason. */
void writer_problems(const struct writer *w,
                     void (*fn)(void *ud, const char *path, enum problem_kind kind,
                                const char *why), void *ud);
const char *problem_kind_name(enum problem_kind kind);
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

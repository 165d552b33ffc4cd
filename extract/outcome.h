/* outcome.h - one copy from readers to the writer, its manifest, and the
 * exit code it ends with: the decisions of "copy" as data, without the
 * appliance, so they can be tested */
#ifndef EXTRACT_OUTCOME_H
#define EXTRACT_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "writer.h"

/* What to copy: --include, --exclude, --newer-than. An exclude that
 * matches a directory keeps out everything below it. */
struct copy_filter {
	const char *const *include;
	size_t n_include;
	const char *const *exclude;
	size_t n_exclude;
	long long newer_than;      /* -1: any */
};

bool copy_wanted(struct copy_filter *f, const struct entry *e);
void copy_filter_clear(struct copy_filter *f);

enum stream_end {
	STREAM_DONE,               /* every entry given */
	STREAM_BROKEN,             /* the source failed (why filled) */
	STREAM_STOPPED,            /* the writer can write no more, or interrupted */
};

/* Every entry of r that f wants, into w. */
enum stream_end copy_entries(struct writer *w, struct reader *r, struct copy_filter *f,
                             volatile sig_atomic_t *stop, char *why, size_t size);

struct copy_outcome {
	bool interrupted;
	bool source_broke;         /* a stream ended early */
	size_t paths_missing;      /* PATHs not in the image */
	size_t counts[PROBLEM_KINDS];
	bool flush_failed;
};

/* 130 interrupted, 9 destination, 10 source, 7 entries or PATHs not
 * copied, 0 otherwise (entries skipped by policy are not failures). */
int copy_exit_code(const struct copy_outcome *o);

/* The manifest is written as PATH.partial; a manifest of an earlier run
 * at PATH is removed first, since this run changes what it describes.
 * NULL with errno on failure; *partial (caller frees) names the file. */
FILE *manifest_begin(const char *path, char **partial);
/* Flush; when complete, rename PATH.partial to PATH. 0, or -1 with errno. */
int manifest_end(FILE *f, const char *partial, const char *path, bool complete);

#endif

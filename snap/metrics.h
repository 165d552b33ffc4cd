/* metrics.h - a Prometheus textfile-collector file of each server's last
 * run, rewritten atomically, counters carried from the file before */
#ifndef SNAP_METRICS_H
#define SNAP_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* One run of one command for one server. */
struct metrics_run {
	const char *server;
	const char *command;
	bool ok;
	double finished_at;    /* Unix time */
	double duration_s;
	long long image_bytes; /* -1: none known (the old value stays) */
};

/* One series: a family, its two labels, its value. */
struct metrics_series {
	int family;            /* enum metrics_family */
	char *server, *command;
	double value;
};

struct metrics_set {
	struct metrics_series *items;
	size_t count, cap;
};

enum metrics_family {
	M_LAST_SUCCESS, M_LAST_BYTES, M_LAST_DURATION, M_FAILURES, M_FAMILIES
};

/* Parse a file written by metrics_write (other lines are skipped). 0, or
 * -1 when text is not ours to update (a line of our families that does
 * not parse). Caller frees with metrics_set_free. */
int metrics_parse(struct metrics_set *set, const char *text);
/* Fold one run in: its gauges replaced, its failure counter carried. */
int metrics_apply(struct metrics_set *set, const struct metrics_run *run);
/* The file's text, HELP and TYPE lines, label values escaped. Caller
 * frees. NULL on allocation failure. */
char *metrics_format(const struct metrics_set *set);
void metrics_set_free(struct metrics_set *set);

/* Read PATH (if any), apply the runs, write PATH.tmp, fsync, rename, fsync
 * the directory; under PATH.lock so that two runs do not lose each
 * other's series. 0, or -1 with *why set to a message (static). */
int metrics_update(const char *path, const struct metrics_run *runs, size_t n,
                   const char **why);

#endif

/* metrics.h - a Prometheus textfile-collector file of each server's last
 * run, rewritten atomically, counters carried from the file before */
#ifndef SNAP_METRICS_H
#define SNAP_METRICS_H

#include <stdbool.h>
#include <stddef.h>

/* One run of one command for one server. */
struct metrics_run {
	const char *server;    /* its name */
	const char *server_id; /* its id; NULL or "" when not known (it was not found) */
	const char *command;
	bool ok;
	double finished_at;    /* Unix time */
	double duration_s;
	long long image_bytes; /* -1: none known (the old value stays) */
};

/* One series: a family, its labels, its value. Two servers of one name
 * are two series, told apart by the id. A series without an id is of a
 * file written before the id was a label, or of a run whose server was
 * not found: server_id is "" then, and the label is not written. */
struct metrics_series {
	int family;            /* enum metrics_family */
	char *server, *server_id, *command;
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
/* Fold one run in: its gauges replaced, its failure counter carried. A
 * run of a server whose id is known first takes over the id-less series
 * of its name and command, if it has none of its own yet: what the file
 * said of that name before the id was a label goes on as this server's,
 * and no frozen copy is left behind to look stale. Other id-less series
 * stay as they are. Likewise a server renamed: its series of the command
 * under the old name go on under the new one. */
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

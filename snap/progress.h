/* progress.h - a transfer's progress on a terminal, or as JSON lines */
#ifndef SNAP_PROGRESS_H
#define SNAP_PROGRESS_H

#include <stdbool.h>

enum progress_mode { PROGRESS_AUTO, PROGRESS_NONE, PROGRESS_BAR, PROGRESS_JSON };

struct progress {
	enum progress_mode mode;
	long long total;      /* -1 when unknown */
	long long done;
	long long start_done; /* bytes already there when this run began */
	double start, last;
	bool drawn;
};

/* Parse "none", "bar", "json". */
int progress_mode_parse(const char *s, enum progress_mode *out);
/* AUTO becomes BAR when stderr is a terminal, NONE otherwise. */
void progress_start(struct progress *p, enum progress_mode mode, long long total,
                    long long already);
void progress_update(struct progress *p, long long done);
/* Draw the last state and end the line. */
void progress_finish(struct progress *p);

#endif

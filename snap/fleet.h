/* fleet.h - one command over many servers: selection, workers, summary */
#ifndef SNAP_FLEET_H
#define SNAP_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#define FLEET_MAX_SELECTORS 32
#define FLEET_DEFAULT_PARALLEL 2
#define FLEET_MAX_PARALLEL 16
#define FLEET_MAX_ARGS 4096

/* How the servers of a many-server run are chosen, and how many at once. */
struct fleet_opts {
	bool all;                                   /* every server of the project */
	const char *match[FLEET_MAX_SELECTORS];     /* --match GLOB, any of them */
	size_t n_match;
	const char *props[FLEET_MAX_SELECTORS];     /* --server-property K=V, all of them */
	size_t n_props;
	long parallel;                              /* --parallel; 0: the default */
};

/* What one run of a command for one server found, for the summary line,
 * the metrics file and the journal. One per process: each server of a
 * many-server run is its own process. */
struct run_note {
	char server[256];      /* the server's name, "" when not known */
	char server_id[64];
	char image_id[64];
	long long image_bytes; /* -1 when no image is known */
	char detail[512];      /* what the summary says after ok or failed */
	bool changed;          /* something was created or deleted */
};

extern struct run_note run_note;

void note_server(const char *name, const char *id);
void note_image(const char *id, long long bytes);
void note_detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note_changed(void);

/* Does the server of a run match the selectors? Pure: name and raw name
 * against the globs, metadata (a JSON object, may be NULL) against the
 * properties. */
bool fleet_selects(const struct fleet_opts *o, const char *name, const char *raw_name,
                   const json_t *metadata);
/* Is any selector given? */
bool fleet_has_selectors(const struct fleet_opts *o);

#endif

/* preflight.h - what can be checked on this machine is checked before
 * anything is stopped, saved or fetched */
#ifndef SNAP_PREFLIGHT_H
#define SNAP_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include "cli.h"

/* Nova's createImage takes a name and metadata values of at most 255
 * characters (code points, as JSON Schema's maxLength counts them), and
 * Glance names and property keys likewise: the limit is in characters. */
#define GLANCE_TEXT_MAX 255

/* How a destination FILE may be used. */
struct dest_opts {
	bool force;          /* an existing FILE may be replaced */
	bool may_exist;      /* an existing FILE is looked at, not refused (retire) */
	long long need;      /* bytes the file will hold; -1 when unknown */
};

/* Check FILE before any work: not a directory (not even with --force),
 * not existing without force (unless may_exist), its directory there and
 * writable, and, when need is known, room for what FILE.part still lacks.
 * EXIT_OK, or an exit code with the reason in *s. */
int preflight_destination(const char *file, const struct dest_opts *o, struct sink *s);

/* The image name, --reason and --property K=V within Glance's limits.
 * UTF-8, at most GLANCE_TEXT_MAX characters each, keys as Nova takes them.
 * EXIT_OK, or EXIT_USAGE with the reason in *s. */
int preflight_metadata(const char *name, const char *reason, const struct conoha_kv *props,
                       size_t n_props, struct sink *s);

/* Is there room for need bytes beside FILE (less what FILE.part holds)?
 * EXIT_OK, or EXIT_LOCAL_IO with the reason in *s. */
int preflight_space(const char *file, long long need, struct sink *s);

#endif

/* inventory.h - "what would be lost if this disk vanished?": the
 * inventory of an image's data that no package reproduces, as a pure
 * function of what a source (the appliance, the native reader, or a test's
 * fake) yields: one walk, and a few files read */
#ifndef EXTRACT_INVENTORY_H
#define EXTRACT_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum inv_type { INV_FILE, INV_DIR, INV_LINK, INV_OTHER };

/* Borrowed from the source for the length of one call. */
struct inv_entry {
	const char *path;     /* absolute, as the user names it: "/etc/x", "/dev/sda1/x" */
	enum inv_type type;
	int64_t size;         /* bytes of a regular file */
	int64_t mtime;        /* seconds since the epoch */
	uint32_t mode;        /* permission bits */
	const char *link;     /* a symlink's target, else NULL */
	const char *same_as;  /* a hard link to this earlier entry (its size counts), or NULL */
};

/* 0 to go on, -1 to stop the walk (out of memory). */
typedef int (*inv_emit_fn)(void *ud, const struct inv_entry *e);
/* True when nothing at or below PATH is wanted: a source may leave such
 * trees unvisited (the core drops them anyway). */
typedef bool (*inv_skip_fn)(void *ud, const char *path);

struct inv_source {
	const char *name;          /* "appliance", "native", ... for the report */
	bool has_os;               /* an operating system was found and mounted */
	/* NULL-terminated: where each mounted filesystem starts, "/" for an
	 * OS, "/dev/sda1", "/dev/vg0/lv0" on a data disk with several */
	const char *const *fs_tops;
	/* Emit every entry of every filesystem, a directory before its
	 * contents. 0, or -1 with why. */
	int (*walk)(struct inv_source *s, inv_skip_fn skip, inv_emit_fn emit, void *ud,
	            char *why, size_t size);
	/* At most MAX bytes of the regular file PATH: 0 with *buf (caller
	 * frees; a NUL follows the *len bytes), 1 when there is no such
	 * file, -1 when it cannot be read. */
	int (*read)(struct inv_source *s, const char *path, size_t max, char **buf, size_t *len);
	void *priv;
};

/* --backed-up FILE: paths or globs an existing backup covers. */
struct inv_backups;

/* Parse TEXT (one path or glob per line, # comments). NULL with why
 * (line number and reason) on a bad line. Caller frees with
 * inv_backups_free. */
struct inv_backups *inv_backups_parse(const char *text, size_t len, char *why, size_t size);
/* The pattern covering PATH (it or one of its ancestors matches), or
 * NULL. Borrowed from B. */
const char *inv_backups_match(const struct inv_backups *b, const char *path);
void inv_backups_free(struct inv_backups *b);

struct inv_options {
	const struct inv_backups *backups;   /* NULL: nothing declared */
	int64_t min_size;                    /* roots smaller are not listed */
	size_t top;                          /* list at most this many roots, 0 all */
	/* called every few thousand entries of the walk, may be NULL */
	void (*progress)(void *ud, uint64_t entries);
	void *progress_ud;
};

#define INV_MAX_DBS 8

struct inv_db {
	const char *engine;   /* "postgresql", "mysql", "sqlite", "redis", "elasticsearch" */
	char *path;           /* its data directory, or the file */
};

struct inv_root {
	char *path;
	const char *kind;     /* see inv_kind_names in inventory.c */
	int64_t size;         /* bytes of regular files */
	uint64_t files;       /* entries that are not directories */
	int64_t newest;       /* newest mtime, seconds */
	struct inv_db dbs[INV_MAX_DBS];
	size_t n_dbs;
	const char *covered_by;  /* the --backed-up pattern, NULL: unprotected */
};

struct inv_drift {
	char *path;
	const char *reason;   /* "changed", "missing", "unowned" */
	const char *kind;     /* "config", "systemd unit", "timer", "cron" */
	char *package;        /* for a conffile, else NULL */
	const char *covered_by;
};

struct inv_warning {
	char *path;
	char *message;
};

struct inv_result {
	const char *source;
	bool has_os;
	const char *package_manager;  /* "dpkg", "pacman", NULL */
	uint64_t packages;
	uint64_t entries, owned;
	struct inv_root *roots;       /* listed roots, ranked */
	size_t n_roots;
	uint64_t hidden_roots;        /* below --min-size or past --top */
	int64_t hidden_size;
	uint64_t unprotected_roots;   /* of those at least --min-size, listed or not */
	int64_t unprotected_size;
	struct inv_drift *drift;
	size_t n_drift;
	uint64_t unprotected_drift;
	struct inv_warning *warnings;
	size_t n_warnings;
	char **rescue_paths;          /* what the rescue copies: unprotected roots, /etc */
	size_t n_rescue;
	char **notes;                 /* things the reader should know: rpm unsupported, ... */
	size_t n_notes;
};

/* Walk SRC and fill *RES. 0, or -1 with why (the walk failed, out of
 * memory). Caller frees *RES with inv_result_free, also after -1. */
int inventory_run(struct inv_source *src, const struct inv_options *opt,
                  struct inv_result *res, char *why, size_t size);
void inv_result_free(struct inv_result *res);

/* The volatile and virtual trees a walk of an OS never enters:
 * /proc, /sys, /dev, /run, /tmp, /var/tmp, /var/cache, ... */
bool inv_volatile(const char *path);

/* How many bytes of the regular file PATH (SIZE bytes) the inventory
 * may ask for: a source that streams file data can keep them as it walks
 * by, rather than come back for them. 0 for none. */
size_t inv_prefetch(const char *path, int64_t size);

/* SIZE: bytes, or with k, M, G, T (powers of 1024). 0, or -1. */
int inv_parse_size(const char *s, int64_t *out);

#endif

/* outcome.c - a copy's loop, filter, manifest and exit code */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "exit.h"
#include "outcome.h"

static bool any_glob(const char *const *globs, size_t n, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], path, 0) == 0 || fnmatch(globs[i], base, 0) == 0)
			return true;
	return false;
}

/* Does an exclude glob match PATH's first LEN bytes, or their last
 * component? */
static bool excluded_prefix(const struct copy_filter *f, const char *path, size_t len)
{
	char *prefix = strndup(path, len);
	bool hit = prefix && any_glob(f->exclude, f->n_exclude, prefix);
	free(prefix);
	return hit;
}

/* An entry is left out when it, or any directory above it, matches an
 * exclude: the directory's entry itself may never come (tar may have left
 * it out already), and what lies below must not appear without it. */
bool copy_wanted(struct copy_filter *f, const struct entry *e)
{
	for (const char *slash = strchr(e->path, '/'); f->n_exclude && slash;
	     slash = strchr(slash + 1, '/'))
		if (excluded_prefix(f, e->path, (size_t)(slash - e->path)))
			return false;
	if (any_glob(f->exclude, f->n_exclude, e->path))
		return false;
	if (e->type == ENT_DIR)
		return true; /* the structure stays, filters pick the files */
	if (f->n_include && !any_glob(f->include, f->n_include, e->path))
		return false;
	return f->newer_than < 0 || e->mtime_sec > f->newer_than;
}

void copy_filter_clear(struct copy_filter *f)
{
	(void)f; /* nothing held today; kept so callers need not change */
}

enum stream_end copy_entries(struct writer *w, struct reader *r, struct copy_filter *f,
                             volatile sig_atomic_t *stop, char *why, size_t size)
{
	struct entry e;
	int more;
	while ((more = r->next(r, &e)) == 1) {
		if (stop && *stop)
			return STREAM_STOPPED;
		if (copy_wanted(f, &e) && writer_put(w, r, &e) < 0)
			return STREAM_STOPPED;
	}
	if (stop && *stop)
		return STREAM_STOPPED;
	if (more < 0) {
		snprintf(why, size, "%s", r->error(r));
		return STREAM_BROKEN;
	}
	return STREAM_DONE;
}

int copy_exit_code(const struct copy_outcome *o)
{
	if (o->interrupted || o->counts[PROBLEM_INTERRUPTED])
		return XT_INTERRUPTED;
	if (o->counts[PROBLEM_DEST] || o->flush_failed)
		return XT_LOCAL_IO;
	if (o->source_broke)
		return XT_SOURCE;
	if (o->paths_missing || o->counts[PROBLEM_SOURCE] || o->counts[PROBLEM_REFUSED])
		return XT_PARTIAL;
	return XT_OK;
}

FILE *manifest_begin(const char *path, char **partial)
{
	if (asprintf(partial, "%s.partial", path) < 0) {
		*partial = NULL;
		errno = ENOMEM;
		return NULL;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return NULL;
	int fd = open(*partial, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
	if (fd >= 0 && !f)
		close(fd);
	return f;
}

int manifest_end(FILE *f, const char *partial, const char *path, bool complete)
{
	int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	int saved = errno;
	ok = fclose(f) == 0 && ok;
	if (!ok) {
		errno = saved ? saved : EIO;
		return -1;
	}
	return complete ? rename(partial, path) : 0;
}

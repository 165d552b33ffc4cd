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

static bool below_excluded(const struct copy_filter *f, const char *path)
{
	for (size_t i = 0; i < f->n_excluded_dirs; i++) {
		size_t n = strlen(f->excluded_dirs[i]);
		if (strncmp(path, f->excluded_dirs[i], n) == 0 && path[n] == '/')
			return true;
	}
	return false;
}

bool copy_wanted(struct copy_filter *f, const struct entry *e)
{
	if (below_excluded(f, e->path))
		return false;
	if (any_glob(f->exclude, f->n_exclude, e->path)) {
		if (e->type == ENT_DIR) {
			char **d = realloc(f->excluded_dirs, (f->n_excluded_dirs + 1) * sizeof(*d));
			char *copy = strdup(e->path);
			if (d)
				f->excluded_dirs = d;
			if (d && copy)
				f->excluded_dirs[f->n_excluded_dirs++] = copy;
			else
				free(copy);
		}
		return false;
	}
	if (e->type == ENT_DIR)
		return true; /* the structure stays, filters pick the files */
	if (f->n_include && !any_glob(f->include, f->n_include, e->path))
		return false;
	return f->newer_than < 0 || e->mtime_sec > f->newer_than;
}

void copy_filter_clear(struct copy_filter *f)
{
	for (size_t i = 0; i < f->n_excluded_dirs; i++)
		free(f->excluded_dirs[i]);
	free(f->excluded_dirs);
	f->excluded_dirs = NULL;
	f->n_excluded_dirs = 0;
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

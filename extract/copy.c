/* copy.c - "copy IMAGE PATH... DEST": the appliance streams each tree as
 * one tar (tar_out, not a round trip per file), libarchive parses it,
 * and the writer puts it under DEST */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "reader_tar.h"
#include "writer.h"

/* tar_out runs on its own thread, writing into a pipe the reader drains:
 * nothing of the tree is ever held whole in memory or on disk. */
struct tar_job {
	guestfs_h *g;
	const char *dir;
	bool owner;
	int wfd;
	char fdpath[32];
	int rc;
	char err[512];
	pthread_t thread;
};

static void *tar_thread(void *arg)
{
	struct tar_job *j = arg;
	j->rc = guestfs_tar_out_opts(j->g, j->dir, j->fdpath,
	                             GUESTFS_TAR_OUT_OPTS_NUMERICOWNER, 1,
	                             GUESTFS_TAR_OUT_OPTS_XATTRS, 1,
	                             GUESTFS_TAR_OUT_OPTS_ACLS, j->owner ? 1 : 0, -1);
	if (j->rc == -1)
		snprintf(j->err, sizeof(j->err), "%s", guestfs_last_error(j->g));
	close(j->wfd);
	return NULL;
}

static int tar_job_end(void *data, char *why, size_t size)
{
	struct tar_job *j = data;
	pthread_join(j->thread, NULL);
	if (j->rc == -1)
		snprintf(why, size, "%s", j->err);
	return j->rc == -1 ? -1 : 0;
}

static struct reader *start_tar(struct tar_job *j, const char *prefix)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return NULL;
	j->wfd = fds[1];
	snprintf(j->fdpath, sizeof(j->fdpath), "/dev/fd/%d", fds[1]);
	/* The producer first: libarchive reads as soon as it is opened. */
	if (pthread_create(&j->thread, NULL, tar_thread, j) != 0) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	struct reader *r = reader_tar_open(fds[0], prefix, tar_job_end, j);
	if (!r) {
		close(fds[0]); /* the producer fails on a broken pipe */
		pthread_join(j->thread, NULL);
	}
	return r;
}

/* ---- what to copy ------------------------------------------------------------ */

static bool any_glob(const char *const *globs, size_t n, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], path, 0) == 0 || fnmatch(globs[i], base, 0) == 0)
			return true;
	return false;
}

static bool wanted(const struct xcli *cli, const struct entry *e)
{
	if (any_glob(cli->exclude, cli->n_exclude, e->path))
		return false;
	if (e->type == ENT_DIR)
		return true; /* the structure stays, filters pick the files */
	if (cli->n_include && !any_glob(cli->include, cli->n_include, e->path))
		return false;
	return cli->newer_than < 0 || e->mtime_sec > cli->newer_than;
}

/* ---- one PATH ---------------------------------------------------------------- */

static int copy_tree(struct xcli *cli, guestfs_h *g, const char *path, struct writer *w)
{
	if (guestfs_is_dir_opts(g, path, GUESTFS_IS_DIR_OPTS_FOLLOWSYMLINKS, 0, -1) != 1) {
		fprintf(stderr, "lifeboat-extract: '%s' is not a directory in the image "
		        "(use 'cat' for a file)\n", path);
		return XT_NOT_FOUND;
	}
	char *copy = strdup(path);
	const char *prefix = strcmp(path, "/") == 0 ? "" : basename(copy);
	struct tar_job job = { .g = g, .dir = path, .owner = cli->preserve_owner };
	struct reader *r = start_tar(&job, prefix);
	int rc = XT_OK;
	if (!r) {
		fprintf(stderr, "lifeboat-extract: cannot start reading '%s'\n", path);
		free(copy);
		return XT_FAIL;
	}
	struct entry e;
	int more;
	while ((more = r->next(r, &e)) == 1) {
		if (wanted(cli, &e) && writer_put(w, r, &e) < 0) {
			rc = XT_LOCAL_IO;
			break;
		}
	}
	if (more < 0) {
		fprintf(stderr, "lifeboat-extract: reading '%s' failed: %s\n", path, r->error(r));
		rc = XT_PARTIAL;
	}
	char why[512] = "";
	if (r->close(r) < 0 && rc == XT_OK) {
		/* tar in the appliance goes on past unreadable files and
		 * says so at the end: what it copied is still good. */
		snprintf(why, sizeof(why), "%s", r->error(r));
		rc = XT_PARTIAL;
	}
	free(copy);
	return rc;
}

static FILE *open_manifest(const char *path, char *tmp, size_t size)
{
	snprintf(tmp, size, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	return fd < 0 ? NULL : fdopen(fd, "w");
}

static int close_manifest(FILE *f, const char *tmp, const char *path)
{
	if (!f)
		return XT_OK;
	int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (ok && rename(tmp, path) == 0)
		return XT_OK;
	fprintf(stderr, "lifeboat-extract: cannot write the manifest '%s': %s\n", path,
	        strerror(errno));
	unlink(tmp);
	return XT_LOCAL_IO;
}

int cmd_copy(struct xcli *cli)
{
	const char *dest = cli->args[cli->nargs - 1];
	if (cli->preserve_owner && geteuid() != 0) {
		fprintf(stderr, "lifeboat-extract: --preserve-owner needs root\n");
		return XT_USAGE;
	}
	char tmp[4096];
	FILE *manifest = NULL;
	if (cli->manifest && !(manifest = open_manifest(cli->manifest, tmp, sizeof(tmp)))) {
		fprintf(stderr, "lifeboat-extract: cannot create '%s': %s\n", tmp, strerror(errno));
		return XT_LOCAL_IO;
	}
	struct writer_options wo = { .preserve_owner = cli->preserve_owner,
	                             .specials = cli->specials, .manifest = manifest,
	                             .progress = cli->progress == 1 ||
	                                         (cli->progress < 0 && isatty(2)) };
	char why[512];
	struct writer *w = writer_open(dest, &wo, why, sizeof(why));
	if (!w) {
		fprintf(stderr, "lifeboat-extract: %s\n", why);
		if (manifest)
			fclose(manifest), unlink(tmp);
		return XT_LOCAL_IO;
	}
	struct guest gu;
	int rc = open_and_mount(cli, &gu);
	for (int i = 1; rc == XT_OK && i < cli->nargs - 1; i++) {
		int one = copy_tree(cli, gu.g, cli->args[i], w);
		if (one != XT_OK && one != XT_PARTIAL)
			rc = one;
		else if (one == XT_PARTIAL)
			rc = XT_OK, cli->progress = -2; /* remember: partial */
	}
	size_t problems = writer_finish(w);
	long long files, bytes;
	writer_stats(w, &files, &bytes);
	fprintf(stderr, "lifeboat-extract: %lld files, %lld bytes copied to '%s'\n", files,
	        bytes, dest);
	if (problems) {
		fprintf(stderr, "lifeboat-extract: %zu entries not copied as they are:\n", problems);
		writer_report(w, stderr);
	}
	int mrc = close_manifest(manifest, tmp, cli->manifest);
	if (rc == XT_OK && (problems || cli->progress == -2))
		rc = XT_PARTIAL;
	if (rc == XT_OK)
		rc = mrc;
	writer_close(w);
	guest_close(&gu);
	return rc;
}

/* copy.c - "copy IMAGE PATH... DEST": the appliance streams each tree as
 * one tar (tar_out, not a round trip per file), libarchive parses it,
 * and the writer puts it under DEST */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "native_run.h"
#include "reader_tar.h"
#include "sparse.h"
#include "writer.h"

/* tar_out runs on its own thread, writing into a pipe the reader drains:
 * nothing of the tree is ever held whole in memory or on disk. */
struct tar_job {
	guestfs_h *g;
	const char *dir;         /* a directory to tar_out, or a file to download */
	bool is_file;
	bool owner;
	char *const *excludes;   /* left out of the tar, may be NULL */
	int wfd;
	char fdpath[32];
	int rc;
	char err[512];
	pthread_t thread;
};

static void *tar_thread(void *arg)
{
	struct tar_job *j = arg;
	if (j->is_file)
		j->rc = guestfs_download(j->g, j->dir, j->fdpath);
	else
		j->rc = guestfs_tar_out_opts(j->g, j->dir, j->fdpath,
		                             GUESTFS_TAR_OUT_OPTS_NUMERICOWNER, 1,
		                             GUESTFS_TAR_OUT_OPTS_XATTRS, 1,
		                             GUESTFS_TAR_OUT_OPTS_ACLS, j->owner ? 1 : 0,
		                             j->excludes ? GUESTFS_TAR_OUT_OPTS_EXCLUDES : -1,
		                             j->excludes, -1);
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

static int start_producer(struct tar_job *j, int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	j->wfd = fds[1];
	snprintf(j->fdpath, sizeof(j->fdpath), "/dev/fd/%d", fds[1]);
	if (pthread_create(&j->thread, NULL, tar_thread, j) != 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	return 0;
}

static struct reader *start_tar(struct tar_job *j, const char *prefix)
{
	int fds[2];
	/* The producer first: libarchive reads as soon as it is opened. */
	if (start_producer(j, fds) < 0)
		return NULL;
	struct reader *r = reader_tar_open(fds[0], prefix, tar_job_end, j);
	if (!r) {
		close(fds[0]); /* the producer fails on a broken pipe */
		pthread_join(j->thread, NULL);
	}
	return r;
}

/* ---- a single file: one entry, its bytes straight from the pipe ------------- */

struct file_reader {
	struct reader ops;
	struct tar_job *job;
	int fd;
	struct entry e;
	const char *name;
	bool given;
	int64_t pos;
	char buf[65536];
	char why[512];
};

static int file_next(struct reader *r, struct entry *e)
{
	struct file_reader *f = (struct file_reader *)r;
	if (f->given)
		return 0;
	f->given = true;
	*e = f->e;
	return 1;
}

static int file_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct file_reader *f = (struct file_reader *)r;
	ssize_t n;
	do
		n = read(f->fd, f->buf, sizeof(f->buf));
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(f->why, sizeof(f->why), "%s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	*buf = f->buf;
	*len = (size_t)n;
	*offset = f->pos;
	f->pos += n;
	return 1;
}

static const char *file_error(struct reader *r)
{
	return ((struct file_reader *)r)->why;
}

static int file_close(struct reader *r, char *why, size_t size)
{
	struct file_reader *f = (struct file_reader *)r;
	char sink[65536];
	while (read(f->fd, sink, sizeof(sink)) > 0)
		;
	close(f->fd);
	int rc = tar_job_end(f->job, why, size);
	free(f);
	return rc;
}

static struct reader *start_file(struct tar_job *j, const struct guestfs_statns *st,
                                 const char *name)
{
	struct file_reader *f = calloc(1, sizeof(*f));
	int fds[2];
	if (!f || start_producer(j, fds) < 0) {
		free(f);
		return NULL;
	}
	f->ops = (struct reader){ file_next, file_data, file_error, file_close };
	f->job = j;
	f->fd = fds[0];
	f->e = (struct entry){ .path = name, .type = ENT_FILE, .perm = (mode_t)(st->st_mode & 07777),
	                       .uid = (uint32_t)st->st_uid, .gid = (uint32_t)st->st_gid,
	                       .size = st->st_size, .mtime_sec = st->st_mtime_sec,
	                       .mtime_nsec = (long)st->st_mtime_nsec };
	return &f->ops;
}

/* A directory: one tar without the files that are mostly holes, then
 * those files extent by extent. */
static struct reader *start_tree(struct tar_job *j, const char *prefix)
{
	struct sparse_set *s = sparse_scan(j->g, j->dir);
	j->excludes = s ? sparse_excludes(s) : NULL;
	struct reader *r = start_tar(j, prefix);
	if (!r || !s) {
		sparse_free(s);
		return r;
	}
	return sparse_chain(r, s, j->g, prefix);
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

static struct reader *start_reader(struct xcli *cli, guestfs_h *g, const char *path,
                                   const char *prefix, struct tar_job *job)
{
	*job = (struct tar_job){ .g = g, .dir = path, .owner = cli->preserve_owner };
	struct guestfs_statns *st = guestfs_lstatns(g, path);
	if (!st) {
		fprintf(stderr, "lifeboat-extract: '%s': %s\n", path, guestfs_last_error(g));
		return NULL;
	}
	struct reader *r = NULL;
	if ((st->st_mode & S_IFMT) == S_IFDIR)
		r = start_tree(job, prefix);
	else if ((st->st_mode & S_IFMT) == S_IFREG) {
		struct sparse_set *s = sparse_file(path, st);
		job->is_file = true;
		r = s ? sparse_chain(NULL, s, g, "") : start_file(job, st, prefix);
	} else
		fprintf(stderr, "lifeboat-extract: '%s' is neither a directory nor a file\n", path);
	guestfs_free_statns(st);
	return r;
}

/* Every entry of R that is wanted goes to W; R is closed. */
static int copy_from(struct xcli *cli, struct reader *r, const char *path, struct writer *w)
{
	int rc = XT_OK;
	struct entry e;
	int more;
	while ((more = r->next(r, &e)) == 1 && !extract_interrupted) {
		if (wanted(cli, &e) && writer_put(w, r, &e) < 0) {
			rc = XT_LOCAL_IO;
			break;
		}
	}
	if (extract_interrupted) {
		rc = XT_INTERRUPTED;
	} else if (more < 0) {
		fprintf(stderr, "lifeboat-extract: reading '%s' failed: %s\n", path, r->error(r));
		rc = XT_PARTIAL;
	}
	char why[512] = "";
	if (r->close(r, why, sizeof(why)) < 0 && rc == XT_OK) {
		/* tar in the appliance goes on past unreadable files and
		 * says so at the end: what it copied is still good. */
		fprintf(stderr, "lifeboat-extract: reading '%s' in the image: %s\n", path, why);
		rc = XT_PARTIAL;
	}
	return rc;
}

static int copy_tree(struct xcli *cli, guestfs_h *g, const char *path, struct writer *w)
{
	char *copy = strdup(path);
	const char *prefix = strcmp(path, "/") == 0 ? "" : basename(copy);
	struct tar_job job;
	struct reader *r = start_reader(cli, g, path, prefix, &job);
	int rc = r ? copy_from(cli, r, path, w) : XT_NOT_FOUND;
	free(copy);
	return rc;
}

/* PATH with the native reader: NULL when it is not used, and then *rc
 * is XT_OK for the appliance to try, else the exit code. */
static struct reader *native_tree(struct xcli *cli, const char *path, bool first, int *rc)
{
	char *copy = strdup(path);
	if (!copy) {
		*rc = XT_FAIL;
		return NULL;
	}
	const char *prefix = strcmp(path, "/") == 0 ? "" : basename(copy);
	json_t *meta;
	struct reader *r = native_start(cli, NATIVE_TREE, path, prefix, &meta, rc);
	free(copy);
	if (r && first)
		native_print_mounts(meta);
	json_decref(meta);
	return r;
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

static void problem_json(void *ud, const char *path, const char *why)
{
	json_array_append_new(ud, json_pack("{s:s, s:s}", "path", path, "why", why));
}

/* The summary a script reads: what was copied, and what was not. */
static void print_summary_json(struct writer *w, const char *dest, const char *manifest,
                               int rc)
{
	long long files, bytes;
	writer_stats(w, &files, &bytes);
	json_t *problems = json_array();
	writer_problems(w, problem_json, problems);
	json_t *doc = json_pack("{s:s, s:s?, s:I, s:I, s:o, s:i}", "dest", dest, "manifest",
	                        manifest, "files", (json_int_t)files, "bytes", (json_int_t)bytes,
	                        "not_copied", problems, "exit_status", rc);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
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
	struct guest gu = { 0 };
	int rc = XT_OK;
	bool partial = false, appliance = false;
	for (int i = 1; rc == XT_OK && i < cli->nargs - 1; i++) {
		int one = XT_OK;
		struct reader *r = appliance ? NULL : native_tree(cli, cli->args[i], i == 1, &one);
		if (r)
			one = copy_from(cli, r, cli->args[i], w);
		else if (one == XT_OK && !appliance) {
			appliance = true;
			if ((rc = open_and_mount(cli, &gu)) != XT_OK)
				break;
		}
		if (!r && one == XT_OK)
			one = copy_tree(cli, gu.g, guest_path(&gu, cli->args[i]), w);
		if (one == XT_PARTIAL)
			partial = true;
		else
			rc = one;
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
	if (rc == XT_INTERRUPTED)
		fprintf(stderr, "lifeboat-extract: interrupted: '%s' holds a partial copy\n", dest);
	if (rc == XT_OK && (problems || partial))
		rc = XT_PARTIAL;
	if (rc == XT_OK)
		rc = mrc;
	if (cli->json)
		print_summary_json(w, dest, cli->manifest, rc);
	writer_close(w);
	guest_close(&gu);
	return rc;
}

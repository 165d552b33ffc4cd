/* copy.c - "copy IMAGE PATH... DEST": the appliance streams each tree as
 * one tar (tar_out, not a round trip per file), libarchive parses it,
 * and the writer puts it under DEST */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json_doc.h"
#include "cli.h"
#include "exit.h"
#include "image.h"
#include "outcome.h"
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
	char **merged;           /* owned: the excludes array, when made here */
	int wfd;
	char fdpath[32];
	int rc;
	char err[512];
	pthread_t thread;
	bool joined;
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
	if (!j->joined)
		pthread_join(j->thread, NULL);
	j->joined = true;
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
	/* Signals go to the main thread only: the handler then never runs
	 * while the handle it cancels is being closed there. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int err = pthread_create(&j->thread, NULL, tar_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err != 0) {
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
	if (n == 0) {
		/* The end of the pipe: only a finished download is the file. */
		if (tar_job_end(f->job, f->why, sizeof(f->why)) < 0)
			return -1;
		if (f->pos < f->e.size) {
			snprintf(f->why, sizeof(f->why), "%lld of %lld bytes came", (long long)f->pos,
			         (long long)f->e.size);
			return -1;
		}
		return 0;
	}
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

/* What tar itself may leave out: the files of holes, and the --exclude
 * names that are plain names (tar matches a name against every trailing
 * run of components, its '*' crossing '/': only a plain name means
 * exactly what it means to copy_wanted, which stays the judge). */
static char **tar_excludes(const struct xcli *cli, const struct sparse_set *s)
{
	size_t n = 0, k = 0;
	char *const *sp = s ? sparse_excludes(s) : NULL;
	while (sp && sp[n])
		n++;
	char **out = calloc(n + cli->n_exclude + 1, sizeof(char *));
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[k++] = sp[i];
	for (size_t i = 0; i < cli->n_exclude; i++)
		if (!strpbrk(cli->exclude[i], "*?[\\/") && *cli->exclude[i])
			out[k++] = (char *)cli->exclude[i];
	if (k == 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* A directory: one tar without the files that are mostly holes, then
 * those files extent by extent. */
static struct reader *start_tree(const struct xcli *cli, struct tar_job *j, const char *prefix)
{
	struct sparse_set *s = sparse_scan(j->g, j->dir);
	j->merged = tar_excludes(cli, s);
	j->excludes = j->merged;
	struct reader *r = start_tar(j, prefix);
	if (!r || !s) {
		sparse_free(s);
		return r;
	}
	return sparse_chain(r, s, j->g, prefix);
}

/* ---- one PATH ---------------------------------------------------------------- */

static struct reader *start_reader(struct xcli *cli, guestfs_h *g, const char *path,
                                   const char *prefix, struct tar_job *job)
{
	*job = (struct tar_job){ .g = g, .dir = path, .owner = cli->preserve_owner };
	struct guestfs_statns *st = guestfs_lstatns(g, path);
	if (!st) {
		fprintf(stderr, "lifeboat-extract: '%s': %s\n", path, guest_error_about(g, path));
		return NULL;
	}
	struct reader *r = NULL;
	if ((st->st_mode & S_IFMT) == S_IFDIR)
		r = start_tree(cli, job, prefix);
	else if ((st->st_mode & S_IFMT) == S_IFREG) {
		struct sparse_set *s = sparse_file(path, st);
		job->is_file = true;
		r = s ? sparse_chain(NULL, s, g, "") : start_file(job, st, prefix);
	} else
		fprintf(stderr, "lifeboat-extract: '%s' is neither a directory nor a file\n", path);
	guestfs_free_statns(st);
	return r;
}

static void note_missing(struct writer *w, const char *path, struct copy_outcome *out)
{
	writer_note(w, PROBLEM_SOURCE, path, "not copied: not found or not readable");
	out->paths_missing++;
}

/* Every wanted entry of R goes to W; R is closed. */
static void copy_from(struct reader *r, const char *path, struct writer *w,
                      struct copy_filter *filter, struct copy_outcome *out)
{
	char why[512] = "";
	enum stream_end end = copy_entries(w, r, filter, &extract_interrupted, why, sizeof(why));
	if (end == STREAM_BROKEN && !extract_interrupted) {
		fprintf(stderr, "lifeboat-extract: reading '%s' failed: %s\n", path, why);
		out->source_broke = true;
	}
	why[0] = '\0';
	if (r->close(r, why, sizeof(why)) < 0 && end == STREAM_DONE && !extract_interrupted) {
		/* tar in the appliance goes on past unreadable files and
		 * says so at the end: what it copied is still good. */
		writer_note(w, PROBLEM_SOURCE, path, why);
	}
	if (extract_interrupted)
		out->interrupted = true;
}

static void copy_tree(struct xcli *cli, guestfs_h *g, const char *path, struct writer *w,
                      struct copy_filter *filter, struct copy_outcome *out)
{
	char *copy = strdup(path);
	const char *prefix = !copy || strcmp(path, "/") == 0 ? "" : basename(copy);
	struct tar_job job;
	struct reader *r = start_reader(cli, g, path, prefix, &job);
	if (r) {
		copy_from(r, path, w, filter, out);
		free(job.merged);
	} else {
		note_missing(w, path, out);
	}
	free(copy);
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

static void problem_json(void *ud, const char *path, enum problem_kind kind, const char *why)
{
	json_array_append_new(ud, json_pack("{s:s, s:s, s:s}", "path", path, "kind",
	                                    problem_kind_name(kind), "why", why));
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
	print_json_doc("copy", doc);
}

static void report(struct writer *w, const char *dest, const struct copy_outcome *o)
{
	long long files, bytes;
	writer_stats(w, &files, &bytes);
	fprintf(stderr, "lifeboat-extract: %lld files, %lld bytes copied to '%s'\n", files, bytes,
	        dest);
	size_t n = 0;
	for (int k = 0; k < PROBLEM_KINDS; k++)
		n += o->counts[k];
	if (n) {
		fprintf(stderr, "lifeboat-extract: %zu entries not copied as they are (%zu skipped "
		        "by policy):\n", n, o->counts[PROBLEM_SKIPPED]);
		writer_report(w, stderr);
	}
}

int cmd_copy(struct xcli *cli)
{
	const char *dest = cli->args[cli->nargs - 1];
	if (cli->preserve_owner && geteuid() != 0) {
		fprintf(stderr, "lifeboat-extract: --preserve-owner needs root\n");
		return XT_USAGE;
	}
	/* the image first: nothing is made for one that will be refused */
	char iwhy[1400];
	int irc = image_precheck(cli->args[0], cli->guest.format, cli->guest.allow_backing, iwhy,
	                         sizeof(iwhy));
	if (irc != XT_OK) {
		fprintf(stderr, "lifeboat-extract: '%s': %s\n", cli->args[0], iwhy);
		return irc;
	}
	char *partial = NULL;
	FILE *manifest = NULL;
	if (cli->manifest && !(manifest = manifest_begin(cli->manifest, &partial))) {
		fprintf(stderr, "lifeboat-extract: cannot create '%s': %s\n",
		        partial ? partial : cli->manifest, strerror(errno));
		free(partial);
		return XT_LOCAL_IO;
	}
	struct writer_options wo = { .preserve_owner = cli->preserve_owner,
	                             .specials = cli->specials, .manifest = manifest,
	                             .stop = &extract_interrupted,
	                             .progress = cli->progress == 1 ||
	                                         (cli->progress < 0 && isatty(2)) };
	char why[512];
	struct writer *w = writer_open(dest, &wo, why, sizeof(why));
	if (!w) {
		fprintf(stderr, "lifeboat-extract: %s\n", why);
		if (manifest)
			manifest_end(manifest, partial, cli->manifest, false);
		free(partial);
		return XT_LOCAL_IO;
	}
	struct guest gu = { 0 };
	int rc = XT_OK;
	bool appliance = false;
	struct copy_filter filter = { .include = cli->include, .n_include = cli->n_include,
	                              .exclude = cli->exclude, .n_exclude = cli->n_exclude,
	                              .newer_than = cli->newer_than };
	struct copy_outcome o = { 0 };
	for (int i = 1; rc == XT_OK && i < cli->nargs - 1 && !o.interrupted; i++) {
		int one = XT_OK;
		struct reader *r = appliance ? NULL : native_tree(cli, cli->args[i], i == 1, &one);
		if (r) {
			copy_from(r, cli->args[i], w, &filter, &o);
			continue;
		}
		if (one == XT_NOT_FOUND) {
			note_missing(w, cli->args[i], &o);
			continue;
		}
		if (one != XT_OK) {
			rc = one;
			break;
		}
		if (!appliance) {
			appliance = true;
			if ((rc = open_and_mount(cli, &gu)) != XT_OK)
				break;
		}
		copy_tree(cli, gu.g, guest_path(&gu, cli->args[i]), w, &filter, &o);
	}
	copy_filter_clear(&filter);
	o.flush_failed = writer_finish(w, o.counts) < 0;
	if (extract_interrupted)
		o.interrupted = true;
	if (rc == XT_OK) {
		report(w, dest, &o);
		rc = copy_exit_code(&o);
	}
	if (manifest && manifest_end(manifest, partial, cli->manifest, rc == XT_OK) < 0) {
		fprintf(stderr, "lifeboat-extract: cannot write the manifest '%s': %s\n",
		        cli->manifest, strerror(errno));
		if (rc == XT_OK)
			rc = XT_LOCAL_IO;
	}
	if (manifest && rc != XT_OK)
		fprintf(stderr, "lifeboat-extract: the copy is not complete: the manifest is '%s', "
		        "not '%s'; run the same copy again to repair it\n", partial, cli->manifest);
	if (rc == XT_INTERRUPTED)
		fprintf(stderr, "lifeboat-extract: interrupted: '%s' holds a partial copy\n", dest);
	if (cli->json)
		print_summary_json(w, dest, cli->manifest, rc);
	free(partial);
	writer_close(w);
	guest_close(&gu);
	return rc;
}

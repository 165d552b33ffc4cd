/* download.c - stream an image to FILE.part, hashing as it is written;
 * resume after a break; give FILE its name only once verified */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "download.h"
#include "exit.h"
#include "files.h"
#include "hashes.h"
#include "hashpipe.h"
#include "image_find.h"
#include "part_record.h"
#include "preflight.h"
#include "progress.h"
#include "safe_text.h"

struct dl {
	const struct download_opts *o;
	conoha_client *c;
	const struct conoha_image *img;
	const char *file;
	char part[4096];
	char record[4096 + 8];   /* FILE.part.json: what the part is the start of */
	int fd;
	dev_t written_dev;       /* the inode written, once it has its name */
	ino_t written_ino;
	long long offset;        /* bytes in the part, all hashed */
	struct hashes hashes;
	struct hashpipe *pipe;   /* hashes on a second thread while it runs */
	long long synced;        /* bytes handed to writeback so far */
	struct progress progress;
	int write_errno;         /* why the sink gave up, 0 when it did not */
	char started_at[32];
};

/* ---- what to check against ------------------------------------------------ */

/* The image's multihash when it has one; md5 only when it has none, or with
 * --all-hashes. sha512 is always computed for the FILE.sha512 sidecar. */
static int choose_hashes(struct dl *d)
{
	const char *why;
	if (hashes_expect_image(&d->hashes, d->img, d->o->all_hashes, &why) < 0) {
		complain("image %s %s: a download could not be verified, so none is made",
		         d->img->id, why);
		return EXIT_CHECKSUM;
	}
	if (hashes_add(&d->hashes, "sha512", NULL) < 0)
		return EXIT_FAIL;
	return EXIT_OK;
}

/* ---- the part file ---------------------------------------------------- */

static int fail_errno(const char *what, const char *path)
{
	complain("%s '%s': %s", what, path, strerror(errno));
	return EXIT_LOCAL_IO;
}

static int restart_from_zero(struct dl *d)
{
	if (d->pipe)
		hashpipe_drain(d->pipe);
	d->synced = 0;
	if (ftruncate(d->fd, 0) < 0 || lseek(d->fd, 0, SEEK_SET) < 0 ||
	    hashes_reset(&d->hashes) < 0)
		return -1;
	d->offset = 0;
	d->progress.done = d->progress.start_done = 0;
	return 0;
}

/* What the record of this part says when it is the start of this image. */
static struct part_identity identity(const struct dl *d)
{
	const char *slash = strrchr(d->part, '/');
	return (struct part_identity){
		.part_name = slash ? slash + 1 : d->part, .image_id = d->img->id,
		.size = d->img->size, .checksum = d->img->checksum,
		.hash_algo = d->img->hash_algo, .hash_value = d->img->hash_value,
	};
}

static void remove_record(const struct dl *d)
{
	if (*d->record)
		unlink(d->record);
}

/* The one line that says why the bytes of a part are not resumed. */
static void tell_discarded(const struct dl *d, enum part_verdict v, const struct part_record *r,
                           long long have)
{
	char *other = safe_text(part_record_image(r) ? part_record_image(r) : "?");
	char *why = NULL;
	int n = -1;
	switch (v) {
	case PART_NO_RECORD:
		n = asprintf(&why, "it has no record '%s' (a part of an older lifeboat-snap, or "
		             "not lifeboat-snap's), so whose bytes they are is not known", d->record);
		break;
	case PART_UNTRUSTED:
		n = asprintf(&why, "its record '%s' is %s, not one lifeboat-snap wrote", d->record,
		             r->why);
		break;
	case PART_OTHER_PART:
		n = asprintf(&why, "its record '%s' is that of another part file", d->record);
		break;
	case PART_OTHER_IMAGE:
		n = asprintf(&why, "they are the start of image %s, not of image %s",
		             other ? other : "?", d->img->id);
		break;
	case PART_CHANGED:
		n = asprintf(&why, "they are the start of image %s as recorded with another size "
		             "or hash than image %s has now", other ? other : "?", d->img->id);
		break;
	case PART_TOO_LONG:
		n = asprintf(&why, "image %s has only %lld", d->img->id, d->img->size);
		break;
	case PART_FRESH:
	case PART_RESUME:
		break;
	}
	if (n >= 0)
		fprintf(stderr, "'%s' holds %lld bytes, not resumed: %s; it is discarded and "
		        "image %s is downloaded from byte 0\n", d->part, have, why, d->img->id);
	free(why);
	free(other);
}

/* Empty the part (durably: its record is about to name another image),
 * then write the record of this image, before its first byte. */
static int start_part(struct dl *d, long long have)
{
	if (have > 0 && (restart_from_zero(d) < 0 || fsync(d->fd) < 0))
		return fail_errno("cannot truncate", d->part);
	struct part_identity id = identity(d);
	char *text = part_record_text(&id, d->started_at);
	if (!text) {
		complain("image %s: cannot make the record of '%s'", d->img->id, d->part);
		return EXIT_FAIL;
	}
	int rc = write_file_atomic(d->record, text, strlen(text));
	free(text);
	if (rc < 0)
		return fail_errno("cannot write", d->record);
	d->offset = 0;
	return EXIT_OK;
}

/* A FILE.part that has a FILE.part.sha512 is a finished download of its
 * own (to FILE.part), not a part: it is never emptied. */
static bool is_finished_download(const struct dl *d)
{
	char sum[4096 + 8];
	struct stat st;
	return snprintf(sum, sizeof(sum), "%s.sha512", d->part) < (int)sizeof(sum) &&
	       lstat(sum, &st) == 0;
}

/* Open FILE.part. A part its record says is the start of this very image
 * is hashed and the download goes on from its end; any other is emptied
 * and the download starts at byte 0.
 *
 * A part without a record (left by a lifeboat-snap older than the
 * records, or put there by something else) is not resumed: its bytes may
 * be the start of any image, and resuming them would cost the whole
 * download before the hash at the end finds out, and then tell a checksum
 * mismatch rather than the truth. Starting again costs only the bytes it
 * held, and is always right. */
static int open_part(struct dl *d)
{
	if (snprintf(d->part, sizeof(d->part), "%s.part", d->file) >= (int)sizeof(d->part) ||
	    snprintf(d->record, sizeof(d->record), "%s.json", d->part) >= (int)sizeof(d->record)) {
		*d->record = '\0';
		complain("'%s': name too long", d->file);
		return EXIT_USAGE;
	}
	d->fd = open(d->part, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->fd < 0)
		return fail_errno("cannot open", d->part);
	/* it is resumed, truncated and renamed: never another name of a file */
	struct stat own;
	if (fstat(d->fd, &own) < 0)
		return fail_errno("cannot stat", d->part);
	bool finished = S_ISREG(own.st_mode) && own.st_size > 0 && is_finished_download(d);
	if (!S_ISREG(own.st_mode) || own.st_nlink > 1 || finished) {
		close(d->fd);
		d->fd = -1;
		*d->record = '\0'; /* nor is its record, if any, ours to remove */
		if (finished)
			complain("'%s' has a '.sha512' of its own: it is a finished download, no "
			         "part, and is never emptied; move it aside", d->part);
		else
			complain("'%s' has other names, or is no regular file: it is no part of "
			         "lifeboat-snap's and is never written; move it aside", d->part);
		return EXIT_LOCAL_IO;
	}
	struct part_record r;
	if (part_record_read(d->record, &r) < 0)
		return fail_errno("cannot read", d->record);
	struct part_identity id = identity(d);
	enum part_verdict v = part_judge(&r, &id, own.st_size);
	if (v != PART_RESUME && v != PART_FRESH)
		tell_discarded(d, v, &r, own.st_size);
	part_record_clear(&r);
	int rc = v == PART_RESUME ? EXIT_OK : start_part(d, own.st_size);
	if (rc)
		return rc;
	if (v == PART_RESUME) {
		long long have = hashes_file(&d->hashes, d->fd, d->img->size);
		if (have < 0)
			return fail_errno("cannot read", d->part);
		d->offset = have;
		struct stat st;
		if (fstat(d->fd, &st) < 0)
			return fail_errno("cannot stat", d->part);
		if (st.st_size > have && restart_from_zero(d) < 0)
			return fail_errno("cannot truncate", d->part); /* it grew meanwhile */
	}
	if (lseek(d->fd, d->offset, SEEK_SET) < 0)
		return fail_errno("cannot seek in", d->part);
	if (d->offset > 0)
		fprintf(stderr, "resuming '%s' at byte %lld\n", d->part, d->offset);
	return EXIT_OK;
}

/* ---- the stream ---------------------------------------------------------- */

static int sink_begin(void *userdata, long status, long long start)
{
	struct dl *d = userdata;
	if (status == 206 && start == d->offset)
		return 0;
	/* A 200 sends the whole image again: the Range was ignored. */
	if ((status == 200 || start == 0) && d->o->to_stdout) {
		if (d->offset == 0)
			return 0; /* nothing went out yet */
		d->write_errno = ESPIPE; /* what went out cannot be taken back */
		return -1;
	}
	if (status == 200 || start == 0) {
		if (d->offset > 0)
			fprintf(stderr, "the server ignored the range: starting again from byte 0\n");
		if (restart_from_zero(d) < 0) {
			d->write_errno = errno;
			return -1;
		}
		return 0;
	}
	d->write_errno = EPROTO;
	return -1;
}

/* Hand written data to the disk as it comes, so that the fsync before the
 * rename does not wait for gigabytes of dirty pages at once. */
#define WRITEBACK_STEP (32LL * 1024 * 1024)

static void start_writeback(struct dl *d)
{
	if (d->o->to_stdout || d->offset - d->synced < WRITEBACK_STEP)
		return;
	sync_file_range(d->fd, d->synced, d->offset - d->synced, SYNC_FILE_RANGE_WRITE);
	d->synced = d->offset;
}

static int sink_data(void *userdata, const void *buf, size_t len)
{
	struct dl *d = userdata;
	if (write_all(d->fd, buf, len) < 0) {
		d->write_errno = errno;
		return -1;
	}
	hashpipe_feed(d->pipe, buf, len);
	d->offset += (long long)len;
	start_writeback(d);
	progress_update(&d->progress, d->offset);
	return 0;
}

static bool refuses_downloads(long status)
{
	return status == 403 || status == 405 || status == 501;
}

/* After a failed try: 0 to try again, or the exit code. */
static int after_failure(struct dl *d, const conoha_error *err, int tries_left)
{
	if ((err->kind == CONOHA_ERR_INTERRUPTED || snap_interrupted) && d->o->to_stdout) {
		progress_finish(&d->progress);
		complain("interrupted after %lld bytes to standard output: what was written is "
		         "incomplete and unverified", d->offset);
		return EXIT_INTERRUPTED;
	}
	if (err->kind == CONOHA_ERR_INTERRUPTED || snap_interrupted) {
		progress_finish(&d->progress);
		if (d->o->quiet_resume_hint)
			return EXIT_INTERRUPTED; /* the caller says how to go on */
		complain("interrupted: '%s' keeps %lld bytes; resume with: lifeboat-snap "
		         "download %s %s", d->part, d->offset, d->img->id, d->file);
		return EXIT_INTERRUPTED;
	}
	if (d->write_errno && d->o->to_stdout) {
		progress_finish(&d->progress);
		complain("cannot write to standard output after %lld bytes: %s; what was written "
		         "is incomplete", d->offset, d->write_errno == ESPIPE
		         ? "the server ignored the range of a resumed transfer"
		         : strerror(d->write_errno));
		return d->write_errno == ESPIPE ? EXIT_REFUSED : EXIT_LOCAL_IO;
	}
	if (d->write_errno && d->offset == 0) {
		progress_finish(&d->progress);
		complain("cannot write '%s': %s; nothing is kept", d->part, strerror(d->write_errno));
		return EXIT_LOCAL_IO;
	}
	if (d->write_errno) {
		progress_finish(&d->progress);
		complain("cannot write '%s' after %lld bytes: %s; it is kept, and the same "
		         "command resumes it", d->part, d->offset, strerror(d->write_errno));
		return EXIT_LOCAL_IO;
	}
	if (err->http_status && refuses_downloads(err->http_status)) {
		report(err);
		complain("this cloud refuses image downloads (HTTP %ld)", err->http_status);
		return EXIT_NO_DOWNLOAD;
	}
	if (err->kind != CONOHA_ERR_CONNECT)
		return fail_with(err);
	if (tries_left == 0 && d->o->to_stdout) {
		int rc = fail_with(err);
		complain("gave up after %ld broken transfers (--tries); the %lld bytes written to "
		         "standard output are incomplete", d->o->tries, d->offset);
		return rc;
	}
	if (tries_left == 0) {
		int rc = fail_with(err);
		complain("gave up after %ld broken transfers (--tries); '%s' keeps %lld bytes and "
		         "the same command resumes it", d->o->tries, d->part, d->offset);
		return rc;
	}
	fprintf(stderr, "\ntransfer broke at byte %lld (%s); resuming\n", d->offset, err->message);
	return 0;
}

static int fetch(struct dl *d)
{
	struct conoha_download_sink sink = { sink_begin, sink_data, d };
	for (int tries = 1;; tries++) {
		conoha_error err;
		conoha_error_clear(&err);
		d->write_errno = 0;
		if (d->img->size >= 0 && d->offset == d->img->size)
			return EXIT_OK; /* the part is whole already */
		if (conoha_image_download(d->c, d->img->id, d->offset, &sink, &err) == 0) {
			if (d->img->size < 0 || d->offset >= d->img->size)
				return EXIT_OK;
			/* A clean end before the last byte is a break like any
			 * other: what arrived is kept, and the next try resumes. */
			conoha_error_clear(&err);
			err.kind = CONOHA_ERR_CONNECT;
			snprintf(err.message, sizeof(err.message), "the transfer of image %s ended "
			         "early, at byte %lld of %lld", d->img->id, d->offset, d->img->size);
		}
		else if (err.http_status == 416) {
			/* Nothing past our end: what we have is all there is, or
			 * it is wrong; either way the hash says. */
			if (d->img->size < 0 || d->offset >= d->img->size)
				return EXIT_OK;
			if (d->o->to_stdout) {
				complain("the server has no bytes past %lld of image %s, which "
				         "is %lld bytes: what was written is incomplete",
				         d->offset, d->img->id, d->img->size);
				return EXIT_REFUSED;
			}
			if (restart_from_zero(d) < 0)
				return fail_errno("cannot truncate", d->part);
			continue;
		}
		/* each try resumes where the last one broke */
		int rc = after_failure(d, &err, (int)d->o->tries - tries);
		if (rc)
			return rc;
		if (sleep_interruptible(500L << (tries < 5 ? tries : 5)) < 0)
			return after_failure(d, &(conoha_error){ .kind = CONOHA_ERR_INTERRUPTED }, 0);
	}
}

/* ---- verdict and final names ---------------------------------------------- */

static int verdict(struct dl *d)
{
	hashes_final(&d->hashes);
	if (d->img->size >= 0 && d->offset != d->img->size && d->o->to_stdout) {
		complain("standard output got %lld bytes, the image has %lld: what was written "
		         "is not the image", d->offset, d->img->size);
		return EXIT_CHECKSUM;
	}
	if (d->img->size >= 0 && d->offset != d->img->size) {
		complain("'%s' has %lld bytes, the image %lld: discarded", d->part, d->offset,
		         d->img->size);
		unlink(d->part);
		remove_record(d);
		return EXIT_CHECKSUM;
	}
	const struct digest *bad = hashes_mismatch(&d->hashes);
	if (!bad)
		return EXIT_OK;
	if (d->o->to_stdout) {
		complain("checksum mismatch for image %s: %s expected %s, got %s; what was "
		         "written to standard output is not the image: discard it", d->img->id,
		         bad->name, bad->expected, bad->hex);
		return EXIT_CHECKSUM;
	}
	complain("checksum mismatch for image %s: %s expected %s, got %s; the download "
	         "was discarded", d->img->id, bad->name, bad->expected, bad->hex);
	unlink(d->part);
	remove_record(d);
	return EXIT_CHECKSUM;
}

static int put_in_place(struct dl *d)
{
	struct stat written;
	if (fsync(d->fd) < 0 || fstat(d->fd, &written) < 0)
		return fail_errno("cannot fsync", d->part);
	d->written_dev = written.st_dev;
	d->written_ino = written.st_ino;
	int rc = close(d->fd);
	d->fd = -1;
	if (rc < 0)
		return fail_errno("cannot close", d->part);
	/* Never replace a file that appeared while we downloaded, unless
	 * asked to: the check at the start is not enough. */
	int moved = d->o->force ? rename(d->part, d->file)
	                        : renameat2(AT_FDCWD, d->part, AT_FDCWD, d->file, RENAME_NOREPLACE);
	if (moved < 0 && !d->o->force && errno == EINVAL) {
		/* a filesystem without RENAME_NOREPLACE: link refuses to replace too */
		moved = link(d->part, d->file);
		if (moved == 0)
			unlink(d->part);
	}
	if (moved < 0 && errno == EEXIST) {
		complain("'%s' appeared while it was downloaded: it is not replaced without "
		         "--force; the verified download is kept as '%s'", d->file, d->part);
		return EXIT_LOCAL_IO;
	}
	if (moved < 0)
		return fail_errno("cannot rename to", d->file);
	remove_record(d); /* the part is no more; kept above, when it was */
	if (fsync_parent(d->file) < 0)
		return fail_errno("cannot fsync the directory of", d->file);
	return EXIT_OK;
}

/* FILE.json, the same document download --json prints */
static json_t *record_json(struct dl *d, const char *finished_at)
{
	json_t *verified = json_array();
	json_t *hashes = json_object();
	for (size_t i = 0; i < d->hashes.n; i++) {
		json_object_set_new(hashes, d->hashes.d[i].name, json_string(d->hashes.d[i].hex));
		if (d->hashes.d[i].expected)
			json_array_append_new(verified, json_string(d->hashes.d[i].name));
	}
	conoha_error ignored;
	const char *ep = conoha_endpoint(d->c, "image", &ignored);
	char *url = NULL;
	if (ep && asprintf(&url, "%s/v2/images/%s/file", ep, d->img->id) < 0)
		url = NULL;
	json_t *j = json_doc("download");
	json_object_update_new(j, json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:s, s:s}",
	                       "file", d->file, "size", (json_int_t)d->offset, "hashes", hashes,
	                       "verified_with", verified, "image", json_image(d->img),
	                       "source_url", json_str_or_null(url), "started_at", d->started_at,
	                       "finished_at", finished_at));
	free(url);
	return j;
}

static int write_sidecars(struct dl *d, json_t *record)
{
	char path[4096 + 16];
	char *copy = strdup(d->file);
	if (!copy)
		return EXIT_FAIL;
	const struct digest *sha = hashes_get(&d->hashes, "sha512");
	char line[EVP_MAX_MD_SIZE * 2 + 4096];
	int n = snprintf(line, sizeof(line), "%s  %s\n", sha->hex, basename(copy));
	free(copy);
	if (snprintf(path, sizeof(path), "%s.sha512", d->file) >= (int)sizeof(path) ||
	    n < 0 || n >= (int)sizeof(line)) {
		complain("'%s': name too long", d->file);
		return EXIT_LOCAL_IO;
	}
	if (write_file_atomic(path, line, (size_t)n) < 0)
		return fail_errno("cannot write", path);
	char *text = json_dumps(record, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (snprintf(path, sizeof(path), "%s.json", d->file) >= (int)sizeof(path)) {
		free(text);
		complain("'%s': name too long", d->file);
		return EXIT_LOCAL_IO;
	}
	int rc = text && write_file_atomic(path, text, strlen(text)) == 0 ? EXIT_OK
	                                                                 : fail_errno("cannot write", path);
	free(text);
	return rc;
}

static void make_proof(struct dl *d, struct download_proof *proof)
{
	struct stat st;
	memset(proof, 0, sizeof(*proof));
	/* the file under the name must be the one written: not one put in
	 * its place since the rename */
	if (lstat(d->file, &st) < 0 || !S_ISREG(st.st_mode) || st.st_dev != d->written_dev ||
	    st.st_ino != d->written_ino)
		return;
	proof->dev = st.st_dev;
	proof->ino = st.st_ino;
	proof->size = st.st_size;
	proof->mtime = st.st_mtim;
	proof->ctime = st.st_ctim;
	snprintf(proof->sha512, sizeof(proof->sha512), "%s", hashes_get(&d->hashes, "sha512")->hex);
	const struct digest *checked = d->hashes.d[0].expected ? &d->hashes.d[0] : NULL;
	if (checked)
		snprintf(proof->image_hash, sizeof(proof->image_hash), "%s", checked->hex);
	proof->valid = checked != NULL;
}

bool proof_matches(const struct download_proof *p, const struct stat *st)
{
	return p->valid && S_ISREG(st->st_mode) && p->dev == st->st_dev && p->ino == st->st_ino &&
	       p->size == st->st_size && p->mtime.tv_sec == st->st_mtim.tv_sec &&
	       p->mtime.tv_nsec == st->st_mtim.tv_nsec && p->ctime.tv_sec == st->st_ctim.tv_sec &&
	       p->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static int finish(struct dl *d, struct download_proof *proof, json_t **out)
{
	char finished[32];
	utc_now(finished, sizeof(finished));
	int rc = put_in_place(d);
	json_t *record = rc == EXIT_OK ? record_json(d, finished) : NULL;
	if (rc == EXIT_OK)
		rc = write_sidecars(d, record);
	if (rc == EXIT_OK) {
		const struct digest *checked = d->hashes.d[0].expected ? &d->hashes.d[0] : NULL;
		fprintf(stderr, "'%s': %lld bytes, %s verified\n", d->file, d->offset,
		        checked ? checked->name : "sha512");
		if (proof)
			make_proof(d, proof);
		if (out)
			*out = json_incref(record);
	}
	json_decref(record);
	return rc;
}

/* ---- one download at a time per FILE ------------------------------------- */

int lock_target(const char *file, int *fd)
{
	char path[4096];
	*fd = -1;
	if (snprintf(path, sizeof(path), "%s.lock", file) >= (int)sizeof(path)) {
		complain("'%s': name too long", file);
		return EXIT_USAGE;
	}
	for (int tries = 0; tries < 10; tries++) {
		int l = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (l < 0)
			return fail_errno("cannot open", path);
		/* it is truncated and written: never another name of a file */
		struct stat ls;
		if (fstat(l, &ls) == 0 && (!S_ISREG(ls.st_mode) || ls.st_nlink > 1)) {
			close(l);
			complain("'%s' has other names, or is no regular file: it is no lock of "
			         "lifeboat-snap and is never written; move it aside", path);
			return EXIT_LOCAL_IO;
		}
		if (flock(l, LOCK_EX | LOCK_NB) < 0) {
			int saved = errno;
			char pid[32] = "";
			ssize_t n = pread(l, pid, sizeof(pid) - 1, 0);
			close(l);
			if (saved != EWOULDBLOCK) {
				errno = saved;
				return fail_errno("cannot lock", path);
			}
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			complain("'%s' is being written by another lifeboat-snap, already running "
			         "as pid %s (lock '%s')", file, *pid ? pid : "?", path);
			return EXIT_LOCAL_IO;
		}
		/* The holder before us may have removed the file it locked:
		 * only a lock on the file still at that name counts. */
		struct stat a, b;
		if (fstat(l, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			char pid[32];
			int n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
			if (ftruncate(l, 0) < 0 || pwrite(l, pid, (size_t)n, 0) != n) {
				close(l);
				return fail_errno("cannot write", path);
			}
			*fd = l;
			return EXIT_OK;
		}
		close(l);
	}
	complain("cannot take the lock '%s.lock': it keeps changing", file);
	return EXIT_LOCAL_IO;
}

void unlock_target(const char *file, int fd)
{
	if (fd < 0)
		return;
	char path[4096];
	if (snprintf(path, sizeof(path), "%s.lock", file) < (int)sizeof(path))
		unlink(path);
	close(fd);
}

/* Only an active image has data; a killed one never will. */
static int check_status(const struct conoha_image *img)
{
	const char *st = img->status ? img->status : "";
	if (strcmp(st, "active") == 0)
		return EXIT_OK;
	if (!*st || conoha_image_status_is_terminal(st)) {
		complain("image %s is '%s': its save failed and it holds nothing to download; "
		         "delete it (openstack image delete %s) and save the server again "
		         "(lifeboat-snap create SERVER)", img->id, *st ? st : "without status",
		         img->id);
		return EXIT_REFUSED;
	}
	complain("image %s is '%s', not active yet: wait for it first (lifeboat-snap wait %s)",
	         img->id, st, img->id);
	return EXIT_REFUSED;
}

/* Stream to standard output: hashed on the way, judged at the end. */
static int download_to_stdout(struct dl *d)
{
	d->fd = STDOUT_FILENO;
	int rc = choose_hashes(d);
	if (rc == EXIT_OK) {
		d->pipe = hashpipe_start(&d->hashes);
		if (!d->pipe)
			rc = fail_errno("cannot start hashing for", "-");
	}
	if (rc == EXIT_OK) {
		progress_start(&d->progress, d->o->progress, d->img->size, 0);
		rc = fetch(d);
	}
	hashpipe_stop(d->pipe);
	d->pipe = NULL;
	if (rc == EXIT_OK) {
		progress_finish(&d->progress);
		rc = verdict(d);
	}
	if (rc == EXIT_OK && fsync(STDOUT_FILENO) < 0 && errno != EINVAL && errno != EROFS)
		rc = fail_errno("cannot flush", "standard output");
	if (rc == EXIT_OK) {
		const struct digest *checked = d->hashes.d[0].expected ? &d->hashes.d[0] : NULL;
		fprintf(stderr, "standard output: %lld bytes, %s verified\n", d->offset,
		        checked ? checked->name : "sha512");
	}
	d->fd = -1;
	hashes_free(&d->hashes);
	return rc;
}

int download_image(conoha_client *c, const struct conoha_image *img, const char *file,
                   const struct download_opts *o, struct download_proof *proof,
                   json_t **record)
{
	if (proof)
		memset(proof, 0, sizeof(*proof));
	if (record)
		*record = NULL;
	int rc = check_status(img);
	if (rc)
		return rc;
	struct dl d = { .o = o, .c = c, .img = img, .file = file, .fd = -1 };
	utc_now(d.started_at, sizeof(d.started_at));
	conoha_client_set_cancel(c, &snap_interrupted);
	if (o->stall_timeout_s > 0)
		conoha_client_set_stall_timeout(c, (long)o->stall_timeout_s);
	if (o->to_stdout)
		return download_to_stdout(&d);
	/* before the lock, the part or a byte fetched */
	struct sink s = { .rc = EXIT_OK };
	struct dest_opts dest = { .force = o->force, .need = img->size };
	if ((rc = preflight_destination(file, &dest, &s))) {
		sink_report(&s);
		return rc;
	}
	int lock = -1;
	rc = o->locked ? EXIT_OK : lock_target(file, &lock);
	if (rc)
		return rc;
	rc = choose_hashes(&d);
	if (rc == EXIT_OK)
		rc = open_part(&d);
	if (rc == EXIT_OK) {
		d.pipe = hashpipe_start(&d.hashes);
		if (!d.pipe)
			rc = fail_errno("cannot start hashing for", d.part);
	}
	if (rc == EXIT_OK) {
		progress_start(&d.progress, o->progress, img->size, d.offset);
		rc = fetch(&d);
	}
	hashpipe_stop(d.pipe);
	d.pipe = NULL;
	if (rc == EXIT_OK) {
		progress_finish(&d.progress);
		rc = verdict(&d);
	}
	if (rc == EXIT_OK)
		rc = finish(&d, proof, record);
	if (d.fd >= 0) {
		/* a refusal (403) or a full disk before the first byte leaves
		 * no empty part behind: there is nothing in it to resume */
		struct stat st;
		if (rc != EXIT_OK && d.offset == 0 && fstat(d.fd, &st) == 0 && st.st_size == 0) {
			unlink(d.part);
			remove_record(&d);
		}
		close(d.fd);
	}
	hashes_free(&d.hashes);
	unlock_target(file, lock);
	return rc;
}

/* ID.qcow2, ID.raw, ...: named for Glance's disk_format when it is a
 * plain word, else ID.img. */
static int default_name(const struct conoha_image *img, char *buf, size_t size)
{
	const char *fmt = img->disk_format;
	bool word = fmt && *fmt && strlen(fmt) <= 16 &&
	            strspn(fmt, "abcdefghijklmnopqrstuvwxyz0123456789") == strlen(fmt);
	int n = snprintf(buf, size, "%s.%s", img->id, word ? fmt : "img");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* What FILE can be judged by before the cloud is asked anything. */
static int check_target(struct cli *cli, const char *file)
{
	if (!file)
		return EXIT_OK;
	if (strcmp(file, "-") == 0) {
		int fl = fcntl(STDOUT_FILENO, F_GETFL);
		if (fl < 0 || (fl & O_ACCMODE) == O_RDONLY) {
			complain("standard output is closed, or open for reading only: "
			         "redirect it (download ID - > FILE) or give a FILE");
			return EXIT_USAGE;
		}
		if (isatty(STDOUT_FILENO)) {
			complain("standard output is a terminal: redirect it (download ID - > FILE) "
			         "or give a FILE");
			return EXIT_USAGE;
		}
		if (cli->json) {
			complain("--json and '-': standard output carries the image");
			return EXIT_USAGE;
		}
		/* a reader that stops early is a write that failed, told as
		 * such, not a silent death by SIGPIPE */
		signal(SIGPIPE, SIG_IGN);
		return EXIT_OK;
	}
	struct sink s = { .rc = EXIT_OK };
	struct dest_opts dest = { .force = cli->force, .need = -1 };
	int rc = preflight_destination(file, &dest, &s);
	sink_report(&s);
	return rc;
}

int cmd_download(struct cli *cli)
{
	const char *file = cli->nargs > 1 ? cli->args[1] : NULL;
	int rc = check_target(cli, file);
	if (rc)
		return rc;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct conoha_image img = { 0 };
	char deflt[256];
	struct download_opts o = {
		.force = cli->force, .all_hashes = cli->all_hashes, .tries = cli->tries,
		.progress = cli->progress, .stall_timeout_s = cli->stall_timeout_s,
		.to_stdout = file && strcmp(file, "-") == 0,
	};
	json_t *record = NULL;
	rc = image_find(c, cli->args[0], &img);
	if (rc == EXIT_OK && !file && default_name(&img, deflt, sizeof(deflt)) < 0) {
		complain("image id '%s' is too long for a file name", img.id);
		rc = EXIT_USAGE;
	}
	if (rc == EXIT_OK) {
		file = file ? file : deflt;
		note_server(img.server_name, img.server_id);
		rc = download_image(c, &img, file, &o, NULL, &record);
		if (rc == EXIT_OK) {
			note_image(img.id, img.size);
			note_detail("%s", file);
		}
	}
	/* with '-', standard output holds the image alone */
	if (rc == EXIT_OK && !o.to_stdout && cli->json)
		json_put(json_incref(record));
	else if (rc == EXIT_OK && !o.to_stdout)
		printf("%s\n", file);
	json_decref(record);
	conoha_image_clear(&img);
	conoha_client_free(c);
	return rc;
}

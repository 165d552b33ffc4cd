/* download.h - an image to a verified local file */
#ifndef SNAP_DOWNLOAD_H
#define SNAP_DOWNLOAD_H

#include <stdbool.h>
#include <sys/stat.h>
#include "cli.h"

/* What a download is asked to do; the command translates its options in. */
struct download_opts {
	bool force;               /* FILE may be replaced */
	bool all_hashes;          /* md5 as well as the multihash */
	long tries;               /* broken transfers before giving up */
	int progress;             /* enum progress_mode */
	long long stall_timeout_s; /* 0 for the library's */
	bool locked;              /* the caller holds FILE.lock already */
	bool quiet_resume_hint;   /* interrupted: the caller says how to go on */
	bool to_stdout;           /* stream to standard output: no part, no
	                           * sidecars, no lock, no resume across runs */
};

/* What a download proved, so that a check moments later in the same run
 * can trust the file by its identity (device, inode, size, mtime and
 * ctime: a file rewritten in place can have its mtime set back, never its
 * ctime) rather than hash it again. Never written to disk. */
struct download_proof {
	bool valid;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	char sha512[129];
	char image_hash[129];     /* the image's multihash (or md5) as verified */
};

/* Does st describe the very file a proof was made of? */
bool proof_matches(const struct download_proof *p, const struct stat *st);

/* Download img (active) to file, verified, with its sidecars FILE.sha512
 * and FILE.json. Exit code, messages printed. *record (may be NULL) gets
 * the sidecar's JSON (caller frees with json_decref); *proof (may be NULL)
 * what was verified. */
int download_image(conoha_client *c, const struct conoha_image *img, const char *file,
                   const struct download_opts *o, struct download_proof *proof,
                   json_t **record);

/* Take FILE.lock (FILE plus ".lock"): 0 with *fd set, or an exit code
 * with the reason printed ("already running as pid N"). */
int lock_target(const char *file, int *fd);
/* Remove and release it. Accepts fd < 0. */
void unlock_target(const char *file, int fd);

#endif

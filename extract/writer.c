/* writer.c - the safe unpacker: openat/mkdirat/symlinkat relative to
 * directory fds, O_NOFOLLOW everywhere, holes kept as holes, every entry
 * made under a temporary name and renamed only once complete */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "digest.h"
#include "writer.h"

struct dir_meta {
	char *path;
	mode_t perm;
	struct timespec mtime;
};

struct problem {
	char *path;
	char *why;
	enum problem_kind kind;
};

struct writer {
	struct writer_options opt;
	int root;                 /* DEST */
	char *cache_path;         /* the parent directory last walked to */
	int cache_fd;
	struct dir_meta *dirs;
	size_t n_dirs, cap_dirs;
	struct problem *problems;
	size_t n_problems, cap_problems;
	long long files, bytes;
	unsigned long long seq;   /* for temporary names */
	double last_draw;
	double started;
	bool fatal;
};

static bool stopped(const struct writer *w)
{
	return w->opt.stop && *w->opt.stop;
}

/* ---- bookkeeping ---------------------------------------------------------- */

static void problem(struct writer *w, enum problem_kind kind, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(struct writer *w, enum problem_kind kind, const char *path,
                    const char *fmt, ...)
{
	if (w->n_problems == w->cap_problems) {
		size_t cap = w->cap_problems ? w->cap_problems * 2 : 16;
		struct problem *p = realloc(w->problems, cap * sizeof(*p));
		if (!p)
			return;
		w->problems = p;
		w->cap_problems = cap;
	}
	char why[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	w->problems[w->n_problems].path = manifest_escape(path);
	w->problems[w->n_problems].why = strdup(why);
	w->problems[w->n_problems].kind = kind;
	w->n_problems++;
}

void writer_note(struct writer *w, enum problem_kind kind, const char *path, const char *why)
{
	problem(w, kind, path, "%s", why);
}

const char *problem_kind_name(enum problem_kind kind)
{
	static const char *const names[] = { "skipped", "refused", "source", "destination",
	                                     "interrupted" };
	return (unsigned)kind < PROBLEM_KINDS ? names[kind] : "?";
}

/* A write that failed: is the destination unusable from now on? */
static bool dest_fatal(int err)
{
	return err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS;
}

static int dest_problem(struct writer *w, const char *path, const char *what)
{
	int err = errno;
	problem(w, PROBLEM_DEST, path, "%s: %s", what, strerror(err));
	if (dest_fatal(err))
		w->fatal = true;
	return -1;
}

static void tmp_name(struct writer *w, char *buf, size_t size)
{
	snprintf(buf, size, WRITER_TMP_PREFIX "%ld.%llu", (long)getpid(), ++w->seq);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void draw(struct writer *w, bool final)
{
	if (!w->opt.progress)
		return;
	double t = now_s();
	if (!final && t - w->last_draw < 0.2)
		return;
	w->last_draw = t;
	double secs = t - w->started;
	fprintf(stderr, "\r\033[K%lld files, %.1f MiB, %.1f MiB/s", w->files,
	        (double)w->bytes / 1048576.0,
	        secs > 0 ? (double)w->bytes / 1048576.0 / secs : 0.0);
	if (final)
		fputc('\n', stderr);
}

/* ---- paths -------------------------------------------------------------- */

/* A path is a list of names: no empty, "." or ".." component, nothing
 * absolute. Anything else is refused, never rewritten. */
static bool path_is_safe(const char *path)
{
	if (!*path || path[0] == '/')
		return false;
	const char *p = path;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (n > NAME_MAX)
			return false;
		p += n;
		if (*p == '/')
			p++;
	}
	return true;
}

/* Open one directory below dirfd without following a symlink; create it
 * (mode 0700 until finish() sets the real one) when asked. */
static int open_dir_at(int dirfd, const char *name, bool create)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST)
		return -1;
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The fd of path's parent directory (owned by the cache: do not close),
 * and in *name its last component. -1 with errno on failure: ELOOP or
 * ENOTDIR when a component is a symlink or not a directory. */
static int walk_parent(struct writer *w, const char *path, const char **name, bool create)
{
	const char *last = strrchr(path, '/');
	*name = last ? last + 1 : path;
	size_t plen = last ? (size_t)(last - path) : 0;
	if (w->cache_path && strlen(w->cache_path) == plen &&
	    memcmp(w->cache_path, path, plen) == 0)
		return w->cache_fd;
	int fd = dup(w->root);
	const char *p = path;
	while (fd >= 0 && (size_t)(p - path) < plen) {
		const char *slash = strchr(p, '/');
		char comp[NAME_MAX + 1];
		size_t n = (size_t)(slash - p);
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = open_dir_at(fd, comp, create);
		int saved = errno;
		close(fd);
		errno = saved;
		fd = next;
		p = slash + 1;
	}
	if (fd < 0)
		return -1;
	if (w->cache_path)
		close(w->cache_fd);
	free(w->cache_path);
	w->cache_path = strndup(path, plen);
	w->cache_fd = fd;
	return fd;
}

/* ---- metadata ------------------------------------------------------------- */

static mode_t safe_perm(const struct writer *w, mode_t perm)
{
	/* A setuid binary from a hostile image, owned by whoever runs the
	 * copy, would be a gift to an attacker: drop those bits unless the
	 * owner is kept too. */
	return w->opt.preserve_owner ? perm & 07777 : perm & 01777;
}

static bool xattr_allowed(const struct writer *w, const char *name)
{
	if (strncmp(name, "user.", 5) == 0)
		return true;
	return w->opt.preserve_owner && (strncmp(name, "security.", 9) == 0 ||
	                                 strncmp(name, "system.posix_acl_", 17) == 0 ||
	                                 strncmp(name, "trusted.", 8) == 0);
}

/* The owner first: fchown clears setuid bits and security.capability,
 * so the mode and the attributes come after it. */
static void set_meta_fd(struct writer *w, int fd, const struct entry *e, mode_t perm)
{
	if (w->opt.preserve_owner && fchown(fd, e->uid, e->gid) < 0)
		problem(w, PROBLEM_DEST, e->path, "cannot set owner %u:%u: %s", e->uid, e->gid,
		        strerror(errno));
	if (fchmod(fd, perm) < 0)
		problem(w, PROBLEM_DEST, e->path, "cannot set mode: %s", strerror(errno));
	for (size_t i = 0; i < e->n_xattrs; i++) {
		const struct xattr *x = &e->xattrs[i];
		if (xattr_allowed(w, x->name) && fsetxattr(fd, x->name, x->value, x->size, 0) < 0)
			problem(w, PROBLEM_DEST, e->path, "cannot set extended attribute %s: %s",
			        x->name, strerror(errno));
	}
	struct timespec times[2] = { { e->mtime_sec, e->mtime_nsec },
	                             { e->mtime_sec, e->mtime_nsec } };
	if (futimens(fd, times) < 0)
		problem(w, PROBLEM_DEST, e->path, "cannot set times: %s", strerror(errno));
}

/* ---- the manifest ---------------------------------------------------------- */

char *manifest_escape(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(n * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (*p > ' ' && *p <= '~' && *p != '\\')
			*o++ = (char)*p;
		else
			o += sprintf(o, "\\x%02x", *p);
	}
	*o = '\0';
	return out;
}

char *manifest_unescape(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = text; *p; p++) {
		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		unsigned v;
		if (p[1] != 'x' || !isxdigit((unsigned char)p[2]) || !isxdigit((unsigned char)p[3]) ||
		    sscanf(p + 2, "%2x", &v) != 1 || v == 0) {
			free(out);
			return NULL;
		}
		*o++ = (char)v;
		p += 3;
	}
	*o = '\0';
	return out;
}

char mode_type_letter(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR: return 'd';
	case S_IFLNK: return 'l';
	case S_IFCHR: return 'c';
	case S_IFBLK: return 'b';
	case S_IFIFO: return 'p';
	case S_IFSOCK: return 's';
	default: return 'f';
	}
}

static char type_letter(enum entry_type t)
{
	static const char letters[] = "fdlhcbps";
	return letters[t];
}

/* T MODE UID GID SIZE MTIME HASH PATH [TARGET]: MODE as the copy got
 * it, TARGET for a symlink or a hard link. */
static void manifest_line(struct writer *w, const struct entry *e, mode_t perm,
                          const char *hash)
{
	if (!w->opt.manifest)
		return;
	char *path = manifest_escape(e->path);
	bool linked = (e->type == ENT_SYMLINK || e->type == ENT_HARDLINK) && e->link;
	char *target = linked ? manifest_escape(e->link) : NULL;
	fprintf(w->opt.manifest, "%c %04o %u %u %lld %lld.%09ld %s %s%s%s\n", type_letter(e->type),
	        (unsigned)(perm & 07777), e->uid, e->gid,
	        e->type == ENT_FILE ? (long long)e->size : 0LL, (long long)e->mtime_sec,
	        e->mtime_nsec, hash ? hash : "-", path ? path : "?", target ? " " : "",
	        target ? target : "");
	free(path);
	free(target);
}

/* ---- regular files ---------------------------------------------------------- */

/* Data arrives in pieces at any offsets; it is written and hashed in whole
 * aligned blocks, and a block of zeros is neither written nor hashed: holes
 * stay holes, and cost nothing. */
struct blocks {
	unsigned char buf[DIGEST_BLOCK];
	int64_t index;
	bool have;
};

static int flush_block(struct blocks *b, int fd, int64_t size, struct content_hash *h)
{
	if (!b->have)
		return 0;
	b->have = false;
	int64_t at = b->index * DIGEST_BLOCK;
	size_t len = size - at < DIGEST_BLOCK ? (size_t)(size - at) : DIGEST_BLOCK;
	content_hash_block(h, b->index, b->buf, len);
	if (block_is_zero(b->buf, len))
		return 0;
	for (size_t done = 0; done < len;) {
		ssize_t k = pwrite(fd, b->buf + done, len - done, at + (int64_t)done);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static int add_piece(struct blocks *b, int fd, int64_t size, struct content_hash *h,
                     const unsigned char *p, size_t len, int64_t off)
{
	while (len > 0) {
		int64_t index = off / DIGEST_BLOCK;
		if (b->have && b->index != index && flush_block(b, fd, size, h) < 0)
			return -1;
		if (!b->have) {
			memset(b->buf, 0, sizeof(b->buf));
			b->index = index;
			b->have = true;
		}
		size_t in = (size_t)(off % DIGEST_BLOCK);
		size_t n = DIGEST_BLOCK - in < len ? DIGEST_BLOCK - in : len;
		memcpy(b->buf + in, p, n);
		p += n;
		len -= n;
		off += (int64_t)n;
	}
	return 0;
}

/* 0 with the hashes, or -1 with the problem recorded. */
static int copy_data(struct writer *w, struct reader *r, const struct entry *e, int fd,
                     char hash[DIGEST_TEXT], char sparse[DIGEST_TEXT])
{
	/* The size first: a size this filesystem cannot hold fails here,
	 * before any data is read. */
	if (ftruncate(fd, e->size) < 0)
		return dest_problem(w, e->path, "cannot set its size");
	struct content_hash h;
	static struct blocks b;
	b.have = false;
	if (content_hash_init(&h) < 0) {
		problem(w, PROBLEM_DEST, e->path, "out of memory");
		return -1;
	}
	int64_t pos = 0;
	int rc = 0;
	for (;;) {
		const void *buf;
		size_t len;
		int64_t off;
		if (stopped(w)) {
			problem(w, PROBLEM_INTERRUPTED, e->path, "interrupted");
			w->fatal = true;
			rc = -1;
			break;
		}
		int got = r->data(r, &buf, &len, &off);
		if (got == 0)
			break;
		if (got < 0 || off < pos || off > e->size || (int64_t)len > e->size - off) {
			if (stopped(w))
				continue; /* reported as an interruption above */
			problem(w, PROBLEM_SOURCE, e->path, "reading it failed: %s",
			        got < 0 ? r->error(r) : "data out of order or past its size");
			rc = -1;
			break;
		}
		if (add_piece(&b, fd, e->size, &h, buf, len, off) < 0) {
			rc = dest_problem(w, e->path, "cannot write");
			break;
		}
		pos = off + (int64_t)len;
		w->bytes += (long long)len;
		draw(w, false);
	}
	if (rc == 0 && flush_block(&b, fd, e->size, &h) < 0)
		rc = dest_problem(w, e->path, "cannot write");
	if (rc == 0)
		content_hash_final(&h, e->size, hash, sparse);
	else
		content_hash_free(&h);
	return rc;
}

/* What was written must read back as what was streamed. */
static int check_back(struct writer *w, const struct entry *e, int fd, const char *sparse)
{
	char got[DIGEST_TEXT];
	if (digest_file(fd, "sparse:", (volatile const int *)w->opt.stop, got) < 0) {
		if (errno == EINTR) {
			problem(w, PROBLEM_INTERRUPTED, e->path, "interrupted");
			w->fatal = true;
			return -1;
		}
		return dest_problem(w, e->path, "cannot read it back");
	}
	if (strcmp(got, sparse) != 0) {
		problem(w, PROBLEM_DEST, e->path, "reads back other than it was written");
		return -1;
	}
	return 0;
}

/* An existing regular file with the same content is kept: 1 when NAME is
 * one (its fd in *keep), 0 when not. */
static int same_file(struct writer *w, int dirfd, const char *name, const struct entry *e,
                     const char *sparse, int *keep)
{
	*keep = -1;
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != e->size)
		return 0;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char got[DIGEST_TEXT];
	if (fd < 0 || digest_file(fd, "sparse:", (volatile const int *)w->opt.stop, got) < 0 ||
	    strcmp(got, sparse) != 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	*keep = fd;
	return 1;
}

static int put_file(struct writer *w, struct reader *r, const struct entry *e, int dirfd,
                    const char *name)
{
	char tmp[64], hash[DIGEST_TEXT], sparse[DIGEST_TEXT];
	tmp_name(w, tmp, sizeof(tmp));
	int fd = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		dest_problem(w, e->path, "cannot create");
		return w->fatal ? -1 : 0;
	}
	mode_t perm = safe_perm(w, e->perm);
	int rc = copy_data(w, r, e, fd, hash, sparse);
	if (rc == 0)
		rc = check_back(w, e, fd, sparse);
	int keep = -1;
	if (rc == 0 && same_file(w, dirfd, name, e, sparse, &keep)) {
		set_meta_fd(w, keep, e, perm); /* identical: kept as it is */
		close(keep);
	} else if (rc == 0) {
		set_meta_fd(w, fd, e, perm);
		if (renameat(dirfd, tmp, dirfd, name) < 0)
			rc = dest_problem(w, e->path, "cannot give it its name");
		else
			tmp[0] = '\0';
	}
	if (tmp[0])
		unlinkat(dirfd, tmp, 0);
	close(fd);
	if (rc == 0) {
		manifest_line(w, e, perm, hash);
		w->files++;
	}
	return w->fatal ? -1 : 0;
}

/* ---- everything else ----------------------------------------------------------- */

static int remember_dir(struct writer *w, const struct entry *e)
{
	if (w->n_dirs == w->cap_dirs) {
		size_t cap = w->cap_dirs ? w->cap_dirs * 2 : 64;
		struct dir_meta *d = realloc(w->dirs, cap * sizeof(*d));
		if (!d)
			return -1;
		w->dirs = d;
		w->cap_dirs = cap;
	}
	w->dirs[w->n_dirs++] = (struct dir_meta){ strdup(e->path), e->perm,
	                                          { e->mtime_sec, e->mtime_nsec } };
	return 0;
}

static void put_dir(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	int fd = open_dir_at(dirfd, name, true);
	if (fd < 0) {
		dest_problem(w, e->path, "cannot make directory");
		return;
	}
	/* owner and xattrs now; mode and times once it is filled */
	set_meta_fd(w, fd, e, 0700);
	close(fd);
	remember_dir(w, e);
	manifest_line(w, e, safe_perm(w, e->perm), NULL);
}

static void link_times(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	if (w->opt.preserve_owner && fchownat(dirfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		problem(w, PROBLEM_DEST, e->path, "cannot set owner: %s", strerror(errno));
	struct timespec times[2] = { { e->mtime_sec, e->mtime_nsec },
	                             { e->mtime_sec, e->mtime_nsec } };
	utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW);
}

static bool same_symlink(int dirfd, const char *name, const char *target)
{
	size_t n = strlen(target);
	char *buf = malloc(n + 2);
	ssize_t k = buf ? readlinkat(dirfd, name, buf, n + 1) : -1;
	bool same = k >= 0 && (size_t)k == n && memcmp(buf, target, n) == 0;
	free(buf);
	return same;
}

static void put_symlink(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	/* The target is kept exactly, absolute or "../..": it is never
	 * followed here, only recreated. */
	const char *target = e->link ? e->link : "";
	char tmp[64];
	tmp_name(w, tmp, sizeof(tmp));
	if (same_symlink(dirfd, name, target)) {
		link_times(w, e, dirfd, name);
	} else if (symlinkat(target, dirfd, tmp) < 0) {
		dest_problem(w, e->path, "cannot make symlink");
		return;
	} else {
		link_times(w, e, dirfd, tmp);
		if (renameat(dirfd, tmp, dirfd, name) < 0) {
			dest_problem(w, e->path, "cannot give it its name");
			unlinkat(dirfd, tmp, 0);
			return;
		}
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char hex[65] = "";
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, target, strlen(target));
	digest_hex(ctx, hex);
	EVP_MD_CTX_free(ctx);
	manifest_line(w, e, e->perm, hex);
}

static void put_hardlink(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	if (!e->link || !path_is_safe(e->link)) {
		problem(w, PROBLEM_REFUSED, e->path, "hard link to a path outside the copy: refused");
		return;
	}
	/* Walking the target may replace the cached parent: keep our own. */
	int mine = dup(dirfd);
	const char *tname;
	char tmp[64];
	tmp_name(w, tmp, sizeof(tmp));
	int tdir = walk_parent(w, e->link, &tname, false);
	struct stat want, have;
	if (tdir < 0 || fstatat(tdir, tname, &want, AT_SYMLINK_NOFOLLOW) < 0) {
		problem(w, PROBLEM_SOURCE, e->path, "cannot link to '%s': %s", e->link,
		        strerror(errno));
	} else if (fstatat(mine, name, &have, AT_SYMLINK_NOFOLLOW) == 0 &&
	           have.st_ino == want.st_ino && have.st_dev == want.st_dev) {
		manifest_line(w, e, want.st_mode & 07777, NULL); /* already one */
	} else if (linkat(tdir, tname, mine, tmp, 0) < 0) {
		dest_problem(w, e->path, "cannot link");
	} else if (renameat(mine, tmp, mine, name) < 0) {
		dest_problem(w, e->path, "cannot give it its name");
		unlinkat(mine, tmp, 0);
	} else {
		manifest_line(w, e, want.st_mode & 07777, NULL);
	}
	close(mine);
}

/* FIFOs with --specials, never readable by others unless owners are kept;
 * device nodes only as root with --preserve-owner, owned as in the image:
 * a block device made by anyone else would hand its disk to whoever can
 * open it. */
static void put_special(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	static const char *const kinds[] = { [ENT_CHAR] = "character device",
	                                     [ENT_BLOCK] = "block device",
	                                     [ENT_FIFO] = "FIFO", [ENT_SOCKET] = "socket" };
	bool device = e->type == ENT_CHAR || e->type == ENT_BLOCK;
	if (!w->opt.specials || e->type == ENT_SOCKET) {
		problem(w, PROBLEM_SKIPPED, e->path, "%s skipped%s", kinds[e->type],
		        e->type == ENT_SOCKET ? "" : " (see --specials)");
		return;
	}
	if (device && !(w->opt.preserve_owner && geteuid() == 0)) {
		problem(w, PROBLEM_SKIPPED, e->path, "%s %u:%u skipped (made only as root with "
		        "--preserve-owner)", kinds[e->type], major(e->rdev), minor(e->rdev));
		return;
	}
	mode_t kind = e->type == ENT_CHAR ? S_IFCHR : e->type == ENT_BLOCK ? S_IFBLK : S_IFIFO;
	mode_t perm = w->opt.preserve_owner ? e->perm & 07777 : e->perm & 0600;
	char tmp[64];
	tmp_name(w, tmp, sizeof(tmp));
	if (mknodat(dirfd, tmp, kind | 0600, device ? e->rdev : 0) < 0) {
		dest_problem(w, e->path, "cannot make it");
		return;
	}
	if (w->opt.preserve_owner && fchownat(dirfd, tmp, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		dest_problem(w, e->path, "cannot set owner");
	else if (fchmodat(dirfd, tmp, perm, 0) < 0) /* exact: no umask */
		dest_problem(w, e->path, "cannot set mode");
	else if (renameat(dirfd, tmp, dirfd, name) < 0)
		dest_problem(w, e->path, "cannot give it its name");
	else {
		struct timespec times[2] = { { e->mtime_sec, e->mtime_nsec },
		                             { e->mtime_sec, e->mtime_nsec } };
		utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW);
		manifest_line(w, e, perm, NULL);
		return;
	}
	unlinkat(dirfd, tmp, 0);
}

int writer_put(struct writer *w, struct reader *r, const struct entry *e)
{
	if (w->fatal)
		return -1;
	if (e->refused) {   /* what the reader would not give: nothing to write */
		problem(w, PROBLEM_REFUSED, e->path[0] ? e->path : ".", "%s", e->refused);
		return 0;
	}
	if (!path_is_safe(e->path)) {
		problem(w, PROBLEM_REFUSED, e->path, "unsafe path: refused");
		return 0;
	}
	const char *name;
	int dirfd = walk_parent(w, e->path, &name, true);
	if (dirfd < 0) {
		int err = errno;
		problem(w, err == ELOOP || err == ENOTDIR ? PROBLEM_REFUSED : PROBLEM_DEST, e->path,
		        "cannot reach its directory: %s%s", strerror(err),
		        err == ELOOP || err == ENOTDIR ? " (a symlink is never followed)" : "");
		if (dest_fatal(err))
			w->fatal = true;
		return w->fatal ? -1 : 0;
	}
	if (strncmp(name, WRITER_TMP_PREFIX, strlen(WRITER_TMP_PREFIX)) == 0) {
		problem(w, PROBLEM_REFUSED, e->path, "a name this program keeps for itself: refused");
		return 0;
	}
	switch (e->type) {
	case ENT_FILE: return put_file(w, r, e, dirfd, name);
	case ENT_DIR: put_dir(w, e, dirfd, name); break;
	case ENT_SYMLINK: put_symlink(w, e, dirfd, name); break;
	case ENT_HARDLINK: put_hardlink(w, e, dirfd, name); break;
	default: put_special(w, e, dirfd, name); break;
	}
	draw(w, false);
	return w->fatal ? -1 : 0;
}

/* ---- leftovers of an earlier run -------------------------------------------------- */

/* Remove temporary names under dirfd (which this takes), depth first,
 * never following a symlink. */
static void clean_leftovers(int dirfd, int depth)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strncmp(de->d_name, WRITER_TMP_PREFIX, strlen(WRITER_TMP_PREFIX)) == 0) {
			unlinkat(dirfd, de->d_name, 0);
			continue;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		int sub = depth < 1000 ? openat(dirfd, de->d_name,
		                                O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		                       : -1;
		if (sub >= 0)
			clean_leftovers(sub, depth + 1);
	}
	closedir(d);
}

/* ---- life cycle --------------------------------------------------------------- */

struct writer *writer_open(const char *dest, const struct writer_options *opt,
                           char *why, size_t size)
{
	bool existed = false;
	if (mkdir(dest, 0755) < 0) {
		if (errno != EEXIST) {
			snprintf(why, size, "cannot create '%s': %s", dest, strerror(errno));
			return NULL;
		}
		existed = true;
	}
	int root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		snprintf(why, size, "cannot open '%s': %s", dest, strerror(errno));
		return NULL;
	}
	struct writer *w = calloc(1, sizeof(*w));
	if (!w) {
		close(root);
		snprintf(why, size, "out of memory");
		return NULL;
	}
	if (existed)
		clean_leftovers(dup(root), 0);
	w->opt = *opt;
	w->root = root;
	w->cache_fd = -1;
	w->started = now_s();
	return w;
}

int writer_finish(struct writer *w, size_t counts[PROBLEM_KINDS])
{
	/* Deepest first, so setting a parent's time is the last touch. */
	for (size_t i = w->n_dirs; i-- > 0;) {
		struct dir_meta *d = &w->dirs[i];
		const char *name;
		int dirfd = walk_parent(w, d->path, &name, false);
		int fd = dirfd >= 0 ? open_dir_at(dirfd, name, false) : -1;
		if (fd < 0)
			continue;
		if (fchmod(fd, safe_perm(w, d->perm)) < 0)
			problem(w, PROBLEM_DEST, d->path, "cannot set mode: %s", strerror(errno));
		struct timespec times[2] = { d->mtime, d->mtime };
		futimens(fd, times);
		close(fd);
	}
	draw(w, true);
	for (int k = 0; k < PROBLEM_KINDS; k++)
		counts[k] = 0;
	for (size_t i = 0; i < w->n_problems; i++)
		counts[w->problems[i].kind]++;
	/* Every file is renamed into place; one flush of the filesystem puts
	 * them on disk before the manifest says they are there. */
	if (syncfs(w->root) < 0) {
		problem(w, PROBLEM_DEST, ".", "cannot flush the destination: %s", strerror(errno));
		counts[PROBLEM_DEST]++;
		return -1;
	}
	return 0;
}

void writer_report(struct writer *w, FILE *out)
{
	for (size_t i = 0; i < w->n_problems; i++)
		fprintf(out, "  %s: %s\n", w->problems[i].path ? w->problems[i].path : "?",
		        w->problems[i].why ? w->problems[i].why : "?");
}

void writer_problems(const struct writer *w,
                     void (*fn)(void *ud, const char *path, enum problem_kind kind,
                                const char *why), void *ud)
{
	for (size_t i = 0; i < w->n_problems; i++)
		fn(ud, w->problems[i].path ? w->problems[i].path : "?", w->problems[i].kind,
		   w->problems[i].why ? w->problems[i].why : "?");
}

void writer_stats(const struct writer *w, long long *files, long long *bytes)
{
	*files = w->files;
	*bytes = w->bytes;
}

void writer_close(struct writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_dirs; i++)
		free(w->dirs[i].path);
	for (size_t i = 0; i < w->n_problems; i++)
		free(w->problems[i].path), free(w->problems[i].why);
	free(w->dirs);
	free(w->problems);
	if (w->cache_path)
		close(w->cache_fd);
	free(w->cache_path);
	close(w->root);
	free(w);
}

/* writer.c - the safe unpacker: openat/mkdirat/symlinkat relative to
 * directory fds, O_NOFOLLOW everywhere, holes kept as holes */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
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

#define ZERO_BLOCK 4096

struct dir_meta {
	char *path;
	mode_t perm;
	struct timespec mtime;
};

struct problem {
	char *path;
	char *why;
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
	double last_draw;
	double started;
	bool fatal;
};

/* ---- bookkeeping ---------------------------------------------------------- */

static void problem(struct writer *w, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct writer *w, const char *path, const char *fmt, ...)
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
	w->n_problems++;
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

static void set_meta_fd(struct writer *w, int fd, const struct entry *e)
{
	for (size_t i = 0; i < e->n_xattrs; i++) {
		const struct xattr *x = &e->xattrs[i];
		if (xattr_allowed(w, x->name) && fsetxattr(fd, x->name, x->value, x->size, 0) < 0)
			problem(w, e->path, "cannot set extended attribute %s: %s", x->name,
			        strerror(errno));
	}
	if (w->opt.preserve_owner && fchown(fd, e->uid, e->gid) < 0)
		problem(w, e->path, "cannot set owner %u:%u: %s", e->uid, e->gid, strerror(errno));
	if (fchmod(fd, safe_perm(w, e->perm)) < 0)
		problem(w, e->path, "cannot set mode: %s", strerror(errno));
	struct timespec times[2] = { { e->mtime_sec, e->mtime_nsec },
	                             { e->mtime_sec, e->mtime_nsec } };
	if (futimens(fd, times) < 0)
		problem(w, e->path, "cannot set times: %s", strerror(errno));
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

static void manifest_line(struct writer *w, const struct entry *e, const char *sha256)
{
	if (!w->opt.manifest)
		return;
	char *path = manifest_escape(e->path);
	fprintf(w->opt.manifest, "%c %04o %u %u %lld %lld.%09ld %s %s\n", type_letter(e->type),
	        (unsigned)(e->perm & 07777), e->uid, e->gid,
	        e->type == ENT_FILE ? (long long)e->size : 0LL, (long long)e->mtime_sec,
	        e->mtime_nsec, sha256 ? sha256 : "-", path ? path : "?");
	free(path);
}

/* ---- regular files ---------------------------------------------------------- */

static bool all_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Write a block, seeking over every all-zero 4 KiB: holes stay holes. */
static int write_sparse(int fd, const unsigned char *buf, size_t len, int64_t offset)
{
	size_t done = 0;
	while (done < len) {
		size_t n = len - done < ZERO_BLOCK ? len - done : ZERO_BLOCK;
		if (!all_zero(buf + done, n)) {
			ssize_t k = pwrite(fd, buf + done, n, offset + (int64_t)done);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return -1;
			n = (size_t)k;
		}
		done += n;
	}
	return 0;
}

static int copy_data(struct writer *w, struct reader *r, const struct entry *e, int fd,
                     EVP_MD_CTX *ctx)
{
	int64_t pos = 0;
	for (;;) {
		const void *buf;
		size_t len;
		int64_t off;
		int rc = r->data(r, &buf, &len, &off);
		if (rc == 0)
			break;
		if (rc < 0) {
			problem(w, e->path, "reading it failed: %s", r->error(r));
			w->fatal = true;
			return -1;
		}
		if (off > pos)
			digest_zeros(ctx, off - pos);
		EVP_DigestUpdate(ctx, buf, len);
		if (write_sparse(fd, buf, len, off) < 0) {
			problem(w, e->path, "cannot write: %s", strerror(errno));
			if (errno == ENOSPC || errno == EDQUOT)
				w->fatal = true;
			return -1;
		}
		pos = off + (int64_t)len;
		w->bytes += (long long)len;
		draw(w, false);
	}
	if (e->size > pos)
		digest_zeros(ctx, e->size - pos);
	if (ftruncate(fd, e->size) < 0) {
		problem(w, e->path, "cannot set its size: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int put_file(struct writer *w, struct reader *r, const struct entry *e, int dirfd,
                    const char *name)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		problem(w, e->path, "cannot create: %s", strerror(errno));
		return 0;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	if (copy_data(w, r, e, fd, ctx) == 0) {
		set_meta_fd(w, fd, e);
		char hex[65] = "";
		digest_hex(ctx, hex);
		manifest_line(w, e, hex);
		w->files++;
	}
	EVP_MD_CTX_free(ctx);
	close(fd);
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
		problem(w, e->path, "cannot make directory: %s", strerror(errno));
		return;
	}
	/* xattrs and owner now; mode and times once it is filled */
	struct entry no_times = *e;
	no_times.perm = 0700;
	set_meta_fd(w, fd, &no_times);
	close(fd);
	remember_dir(w, e);
	manifest_line(w, e, NULL);
}

static void put_symlink(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	/* The target is kept exactly, absolute or "../..": it is never
	 * followed here, only recreated. */
	if (symlinkat(e->link ? e->link : "", dirfd, name) < 0) {
		problem(w, e->path, "cannot make symlink: %s", strerror(errno));
		return;
	}
	if (w->opt.preserve_owner && fchownat(dirfd, name, e->uid, e->gid, AT_SYMLINK_NOFOLLOW) < 0)
		problem(w, e->path, "cannot set owner: %s", strerror(errno));
	struct timespec times[2] = { { e->mtime_sec, e->mtime_nsec },
	                             { e->mtime_sec, e->mtime_nsec } };
	utimensat(dirfd, name, times, AT_SYMLINK_NOFOLLOW);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char hex[65] = "";
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, e->link ? e->link : "", e->link ? strlen(e->link) : 0);
	digest_hex(ctx, hex);
	EVP_MD_CTX_free(ctx);
	manifest_line(w, e, hex);
}

static void put_hardlink(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	if (!e->link || !path_is_safe(e->link)) {
		problem(w, e->path, "hard link to a path outside the copy: refused");
		return;
	}
	/* Walking the target may replace the cached parent: keep our own. */
	int mine = dup(dirfd);
	const char *tname;
	int tdir = walk_parent(w, e->link, &tname, false);
	if (tdir < 0 || linkat(tdir, tname, mine, name, 0) < 0)
		problem(w, e->path, "cannot link to '%s': %s", e->link, strerror(errno));
	else
		manifest_line(w, e, NULL);
	close(mine);
}

static void put_special(struct writer *w, const struct entry *e, int dirfd, const char *name)
{
	static const char *const kinds[] = { [ENT_CHAR] = "character device",
	                                     [ENT_BLOCK] = "block device",
	                                     [ENT_FIFO] = "FIFO", [ENT_SOCKET] = "socket" };
	if (!w->opt.specials || e->type == ENT_SOCKET) {
		problem(w, e->path, "%s skipped%s", kinds[e->type],
		        e->type == ENT_SOCKET ? "" : " (see --specials)");
		return;
	}
	mode_t kind = e->type == ENT_CHAR ? S_IFCHR : e->type == ENT_BLOCK ? S_IFBLK : S_IFIFO;
	if (mknodat(dirfd, name, kind | (e->perm & 0777), e->rdev) < 0)
		problem(w, e->path, "cannot make %s: %s", kinds[e->type], strerror(errno));
	else
		manifest_line(w, e, NULL);
}

int writer_put(struct writer *w, struct reader *r, const struct entry *e)
{
	if (!path_is_safe(e->path)) {
		problem(w, e->path, "unsafe path: refused");
		return 0;
	}
	const char *name;
	int dirfd = walk_parent(w, e->path, &name, true);
	if (dirfd < 0) {
		problem(w, e->path, "cannot reach its directory: %s%s", strerror(errno),
		        errno == ELOOP || errno == ENOTDIR ? " (a symlink is never followed)" : "");
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
	return 0;
}

/* ---- life cycle --------------------------------------------------------------- */

struct writer *writer_open(const char *dest, const struct writer_options *opt,
                           char *why, size_t size)
{
	if (mkdir(dest, 0755) < 0 && errno != EEXIST) {
		snprintf(why, size, "cannot create '%s': %s", dest, strerror(errno));
		return NULL;
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
	w->opt = *opt;
	w->root = root;
	w->cache_fd = -1;
	w->started = now_s();
	return w;
}

size_t writer_finish(struct writer *w)
{
	/* Deepest first, so setting a parent's time is the last touch. */
	for (size_t i = w->n_dirs; i-- > 0;) {
		struct dir_meta *d = &w->dirs[i];
		const char *name;
		int dirfd = walk_parent(w, d->path, &name, false);
		int fd = dirfd >= 0 ? open_dir_at(dirfd, name, false) : -1;
		if (fd < 0)
			continue;
		fchmod(fd, safe_perm(w, d->perm));
		struct timespec times[2] = { d->mtime, d->mtime };
		futimens(fd, times);
		close(fd);
	}
	draw(w, true);
	return w->n_problems;
}

void writer_report(struct writer *w, FILE *out)
{
	for (size_t i = 0; i < w->n_problems; i++)
		fprintf(out, "  %s: %s\n", w->problems[i].path ? w->problems[i].path : "?",
		        w->problems[i].why ? w->problems[i].why : "?");
}

void writer_problems(const struct writer *w, void (*fn)(void *ud, const char *path,
                                                       const char *why), void *ud)
{
	for (size_t i = 0; i < w->n_problems; i++)
		fn(ud, w->problems[i].path ? w->problems[i].path : "?",
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

/* test_sandbox.c - readers run in the confined child: what a good one sends
 * arrives intact, what a hostile one sends is refused, a child that
 * crashes, hangs, or calls what the filter forbids ends in a plain error,
 * and nothing is left behind (no zombie, no fd) */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../extract/disk.h"
#include "../../extract/frame.h"
#include "../../extract/reader_tar.h"
#include "../../extract/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* ---- a scripted inner reader ---- */

struct tblock {
	int64_t off;
	size_t len;
};

struct tspec {
	const char *path;
	enum entry_type type;
	mode_t perm;
	int64_t size;
	const char *link;
	const struct xattr *xattrs;
	size_t n_xattrs;
	struct tblock blocks[4];    /* len 0 ends */
	uint64_t rdev;
};

static unsigned char byte_at(const char *path, int64_t off)
{
	return (unsigned char)((uint64_t)off * 7 + 13 + (unsigned char)path[0]);
}

enum behaviour {
	B_SCRIPT, B_SEGV, B_SPIN, B_OPEN, B_SOCKET, B_EXECVE, B_ALLOC, B_WRITE_FILE, B_DUP,
	B_BLOCK, B_RAW, B_MANY, B_HUGE_XATTR, B_OPEN_FAILS, B_POLL, B_READ_UNHELD, B_MMAP_EXEC,
	B_OPEN_HANGS, B_OPEN_CRASHES, B_GEN, B_TRAP_LATE,
};

struct scenario {
	enum behaviour b;
	const struct tspec *specs;
	size_t n;
	const unsigned char *raw;     /* B_RAW: bytes written as they are */
	size_t raw_len;
	int ctl_in, ctl_out;          /* B_BLOCK: the child reads ctl_in, writes its pid to ctl_out */
};

struct treader {
	struct reader ops;
	const struct scenario *sc;
	size_t i, blk;
	unsigned char *buf;
	int fd, fd2;
	void *big;
	struct xattr huge;
	char path[4096];
	struct xattr gx[3];
	char gvalue[3][5000];
	char why[128];
};

/* B_GEN: entry i, made the same way in the child and in the parent: paths,
 * xattrs and data of every length around the child's 64 KiB queue. */
#define GEN_N 3000
static size_t gen_len(size_t i, size_t mod)
{
	return 1 + (i * 2654435761u) % mod;
}

static void gen_path(size_t i, char *out)
{
	size_t n = gen_len(i, 3000);
	int at = snprintf(out, 32, "g/%zu/", i);
	memset(out + at, 'a' + (int)(i % 26), n);
	out[at + (int)n] = '\0';
}

static int t_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct treader *t = (struct treader *)r;
	if (t->sc->b == B_GEN) {
		size_t i = t->i - 1, n = gen_len(i, 70000);
		if (t->blk++)
			return 0;
		free(t->buf);
		t->buf = malloc(n);
		for (size_t k = 0; k < n; k++)
			t->buf[k] = byte_at(t->path, (int64_t)k);
		*buf = t->buf;
		*len = n;
		*offset = 0;
		return 1;
	}
	const struct tspec *s = &t->sc->specs[t->i - 1];
	if (t->blk >= 4 || s->blocks[t->blk].len == 0)
		return 0;
	const struct tblock *b = &s->blocks[t->blk++];
	free(t->buf);
	t->buf = malloc(b->len);
	if (!t->buf)
		return -1;
	for (size_t k = 0; k < b->len; k++)
		t->buf[k] = byte_at(s->path, b->off + (int64_t)k);
	*buf = t->buf;
	*len = b->len;
	*offset = b->off;
	return 1;
}

static int script_next(struct treader *t, struct entry *e)
{
	if (t->i >= t->sc->n)
		return 0;
	const struct tspec *s = &t->sc->specs[t->i++];
	t->blk = 0;
	memset(e, 0, sizeof(*e));
	e->path = s->path;
	e->type = s->type;
	e->perm = s->perm;
	e->uid = 1000;
	e->gid = 1001;
	e->size = s->size;
	e->mtime_sec = 1700000000;
	e->mtime_nsec = 123456789;
	e->link = s->link;
	e->rdev = (dev_t)s->rdev;
	e->xattrs = s->xattrs;
	e->n_xattrs = s->n_xattrs;
	return 1;
}

static int t_next(struct reader *r, struct entry *e)
{
	struct treader *t = (struct treader *)r;
	switch (t->sc->b) {
	case B_SEGV: {
		/* a wild pointer, not NULL: under UBSan a NULL store is a report */
		volatile uintptr_t wild = 16;
		*(volatile int *)wild = 1;
		return -1;
	}
	case B_SPIN:
		for (volatile unsigned long n = 0;; n++)
			;
	case B_OPEN: {
		int fd = open("/etc/passwd", O_RDONLY);
		snprintf(t->why, sizeof(t->why), "open gave %d", fd);
		return -1;
	}
	case B_SOCKET: {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		snprintf(t->why, sizeof(t->why), "socket gave %d", fd);
		return -1;
	}
	case B_EXECVE: {
		char *const argv[] = { (char *)"true", NULL };
		execve("/bin/true", argv, NULL);
		snprintf(t->why, sizeof(t->why), "execve returned");
		return -1;
	}
	case B_ALLOC: {
		/* grab and touch memory until there is none */
		for (size_t total = 0;; total += 64 << 20) {
			char *p = malloc(64 << 20);
			if (!p) {
				snprintf(t->why, sizeof(t->why), "no memory after %zu MiB", total >> 20);
				errno = ENOMEM;
				return -1;
			}
			memset(p, 1, 64 << 20);
		}
	}
	case B_WRITE_FILE: {
		ssize_t k = write(t->fd, "x", 1);
		snprintf(t->why, sizeof(t->why), "write gave %zd", k);
		return -1;
	}
	case B_DUP: {
		int fd = dup(t->fd);
		snprintf(t->why, sizeof(t->why), "dup: %s", fd < 0 ? strerror(errno) : "worked");
		return -1;
	}
	case B_BLOCK: {
		char c;
		ssize_t k = read(t->fd, &c, 1);
		(void)k;
		return 0;
	}
	case B_READ_UNHELD: {
		/* stdin is /dev/null, and not among the fds the filter lets it use */
		char c;
		ssize_t k = read(0, &c, 1);
		snprintf(t->why, sizeof(t->why), "read gave %zd", k);
		return -1;
	}
	case B_MMAP_EXEC: {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		snprintf(t->why, sizeof(t->why), "mmap gave %p", p);
		return -1;
	}
	case B_POLL: {
		/* as libnbd waits for its socket */
		struct pollfd p[2] = { { t->fd, POLLIN, 0 }, { t->fd, POLLOUT, 0 } };
		int rc = poll(p, 2, 0);
		if (rc < 0) {
			snprintf(t->why, sizeof(t->why), "poll: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	case B_RAW: {
		ssize_t k = write(t->fd, t->sc->raw, t->sc->raw_len);
		(void)k;
		return 0;
	}
	case B_GEN: {
		if (t->i >= GEN_N)
			return 0;
		size_t i = t->i++;
		t->blk = 0;
		gen_path(i, t->path);
		memset(e, 0, sizeof(*e));
		e->path = t->path;
		e->type = ENT_FILE;
		e->perm = (mode_t)(i & 07777);
		e->size = (int64_t)gen_len(i, 70000);
		e->n_xattrs = i % 4;
		for (size_t k = 0; k < e->n_xattrs; k++) {
			size_t vl = gen_len(i + k, 5000) - 1;
			memset(t->gvalue[k], (int)k, vl);
			t->gx[k] = (struct xattr){ k == 0 ? "user.a" : k == 1 ? "user.bb" : "user.ccc",
			                           t->gvalue[k], vl };
		}
		e->xattrs = t->gx;
		return 1;
	}
	case B_TRAP_LATE:
		if (t->i == 5) {
			int fd = open("/etc/passwd", O_RDONLY);
			snprintf(t->why, sizeof(t->why), "open gave %d", fd);
			return -1;
		}
		/* five entries first */
		__attribute__((fallthrough));
	case B_MANY:
		if (t->i >= 10000000)
			return 0;
		memset(e, 0, sizeof(*e));
		snprintf(t->path, sizeof(t->path), "d/f%zu", t->i++);
		e->path = t->path;
		e->type = ENT_FIFO;
		return 1;
	case B_HUGE_XATTR:
		if (t->i++)
			return 0;
		memset(e, 0, sizeof(*e));
		e->path = "big";
		e->type = ENT_DIR;
		e->xattrs = &t->huge;
		e->n_xattrs = 1;
		return 1;
	case B_SCRIPT:
	case B_OPEN_FAILS:
	case B_OPEN_HANGS:
	case B_OPEN_CRASHES:
		break;
	}
	return script_next(t, e);
}

static const char *t_error(struct reader *r)
{
	return ((struct treader *)r)->why;
}

static int t_close(struct reader *r, char *why, size_t size)
{
	(void)why;
	(void)size;
	struct treader *t = (struct treader *)r;
	free(t->buf);
	free(t);
	return 0;
}

/* The sandbox's pipe, as a compromised child would find it: the one fd
 * that is a FIFO open for writing. */
static int find_pipe(void)
{
	for (int fd = 3; fd < 256; fd++) {
		struct stat st;
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && (fl & O_ACCMODE) == O_WRONLY && fstat(fd, &st) == 0 &&
		    S_ISFIFO(st.st_mode))
			return fd;
	}
	return -1;
}

static struct reader *t_open(void *arg, char *why, size_t size)
{
	const struct scenario *sc = arg;
	if (sc->b == B_OPEN_HANGS)
		for (;;)
			pause();
	if (sc->b == B_OPEN_CRASHES)
		abort();
	if (sc->b == B_OPEN_FAILS) {
		snprintf(why, size, "cannot open 'disk.img': No such file or directory");
		return NULL;
	}
	struct treader *t = calloc(1, sizeof(*t));
	t->ops = (struct reader){ t_next, t_data, t_error, t_close };
	t->sc = sc;
	t->fd = -1;
	if (sc->b == B_WRITE_FILE || sc->b == B_DUP || sc->b == B_POLL) {
		char name[] = "/tmp/lifeboat-sandbox-XXXXXX";
		t->fd = mkstemp(name);
		unlink(name);
	}
	if (sc->b == B_BLOCK) {
		t->fd = dup(sc->ctl_in);
		t->fd2 = dup(sc->ctl_out);
		pid_t pid = getpid();
		ssize_t k = write(t->fd2, &pid, sizeof(pid));
		(void)k;
	}
	if (sc->b == B_RAW)
		t->fd = find_pipe();
	if (sc->b == B_HUGE_XATTR) {
		/* mapped before the address-space limit, as a reader could */
		size_t n = (size_t)1 << 30;
		t->big = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (t->big == MAP_FAILED)
			return NULL;
		t->huge = (struct xattr){ "user.huge", t->big, n };
	}
	return &t->ops;
}

/* ---- plumbing ---- */

static const struct sandbox_limits small = {
	.address_space = 256 << 20, .cpu_seconds = 20, .wall_seconds = 10, .want_data = 1,
};

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run a scenario to its end; the error (next, data or close), or "". */
static void run(const struct scenario *sc, const struct sandbox_limits *lim, char *err,
                size_t size, size_t *entries)
{
	int fds = count_fds();
	char why[1024] = "";
	err[0] = '\0';
	*entries = 0;
	struct reader *r = sandbox_start(t_open, (void *)sc, lim, why, sizeof(why));
	if (!r) {
		snprintf(err, size, "%s", why);
	} else {
		struct entry e;
		int rc;
		while ((rc = r->next(r, &e)) == 1) {
			(*entries)++;
			const void *buf;
			size_t len;
			int64_t off;
			int d;
			while ((d = r->data(r, &buf, &len, &off)) == 1)
				;
			if (d < 0)
				break;
		}
		if (rc < 0 || r->error(r)[0])
			snprintf(err, size, "%s", r->error(r));
		char cw[1024] = "";
		if (r->close(r, cw, sizeof(cw)) < 0 && !err[0])
			snprintf(err, size, "%s", cw);
	}
	assert_int_equal(count_fds(), fds);
	assert_no_children();
}

/* ---- round trip ---- */

static const struct xattr xa[] = {
	{ "user.a", "1", 1 },
	{ "security.selinux", "system_u:object_r:etc_t:s0", 26 },
	{ "user.binary", "\0\1\2\0", 4 },
	{ "user.empty", "", 0 },
};

static char long_path[9000];

static struct tspec good[] = {
	{ "etc", ENT_DIR, 0755, 0, NULL, xa, 1, { { 0, 0 } }, 0 },
	{ "etc/passwd", ENT_FILE, 0644, 1000, NULL, xa, 4, { { 0, 1000 } }, 0 },
	{ "etc/sparse", ENT_FILE, 0600, 10 << 20, NULL, NULL, 0,
	  { { 4096, 100 }, { 1 << 20, 4096 }, { (10 << 20) - 10, 10 } }, 0 },
	{ "etc/big", ENT_FILE, 0600, 700000, NULL, NULL, 0, { { 0, 700000 } }, 0 },
	{ "etc/empty", ENT_FILE, 04755, 0, NULL, NULL, 0, { { 0, 0 } }, 0 },
	{ "etc/hard", ENT_HARDLINK, 0644, 0, "etc/passwd", NULL, 0, { { 0, 0 } }, 0 },
	{ "etc/sym", ENT_SYMLINK, 0777, 0, "../../../../etc/shadow", NULL, 0, { { 0, 0 } }, 0 },
	{ "dev/null", ENT_CHAR, 0666, 0, NULL, NULL, 0, { { 0, 0 } }, (1 << 8) | 3 },
	{ "dev/sda", ENT_BLOCK, 0660, 0, NULL, NULL, 0, { { 0, 0 } }, 8 << 8 },
	{ "run/fifo", ENT_FIFO, 0600, 0, NULL, NULL, 0, { { 0, 0 } }, 0 },
	{ "run/sock", ENT_SOCKET, 0755, 0, NULL, NULL, 0, { { 0, 0 } }, 0 },
	{ "caf\xe9/\xff\xfe name\nwith newline", ENT_FILE, 0644, 3, NULL, NULL, 0,
	  { { 0, 3 } }, 0 },
	{ long_path, ENT_FILE, 0644, 5, NULL, xa, 2, { { 0, 5 } }, 0 },
};

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i + 1 < sizeof(long_path); i++)
		long_path[i] = i % 100 == 99 ? '/' : 'a' + (char)(i % 26);
	long_path[sizeof(long_path) - 1] = '\0';
	struct scenario sc = { B_SCRIPT, good, sizeof(good) / sizeof(good[0]), NULL, 0, -1, -1 };
	int fds = count_fds();
	char why[1024];
	struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
	if (!r)
		fail_msg("sandbox_start: %s", why);
	struct entry e;
	size_t n = 0;
	while (r->next(r, &e) == 1) {
		assert_true(n < sc.n);
		const struct tspec *s = &good[n++];
		assert_string_equal(e.path, s->path);
		assert_int_equal(e.type, s->type);
		assert_int_equal(e.perm, s->perm);
		assert_int_equal(e.uid, 1000);
		assert_int_equal(e.gid, 1001);
		assert_int_equal(e.size, s->size);
		assert_int_equal(e.mtime_sec, 1700000000);
		assert_int_equal(e.mtime_nsec, 123456789);
		assert_int_equal(e.rdev, s->rdev);
		if (s->link)
			assert_string_equal(e.link, s->link);
		else
			assert_null(e.link);
		assert_int_equal(e.n_xattrs, s->n_xattrs);
		for (size_t k = 0; k < s->n_xattrs; k++) {
			assert_string_equal(e.xattrs[k].name, s->xattrs[k].name);
			assert_int_equal(e.xattrs[k].size, s->xattrs[k].size);
			assert_memory_equal(e.xattrs[k].value, s->xattrs[k].value, s->xattrs[k].size);
		}
		/* the data: every byte of every block at its offset, holes skipped,
		 * long blocks split by the child but contiguous */
		int64_t pos = 0, bytes = 0, want = 0;
		for (int k = 0; k < 4; k++)
			want += (int64_t)s->blocks[k].len;
		const void *buf;
		size_t len;
		int64_t off;
		int d;
		while ((d = r->data(r, &buf, &len, &off)) == 1) {
			assert_true(off >= pos);
			for (size_t k = 0; k < len; k++)
				if (((const unsigned char *)buf)[k] != byte_at(s->path, off + (int64_t)k))
					fail_msg("%s: wrong byte at %lld", s->path, (long long)(off + (int64_t)k));
			pos = off + (int64_t)len;
			bytes += (int64_t)len;
		}
		assert_int_equal(d, 0);
		assert_int_equal(bytes, e.type == ENT_FILE ? want : 0);
	}
	assert_int_equal(n, sc.n);
	assert_string_equal(r->error(r), "");
	assert_int_equal(r->close(r, why, sizeof(why)), 0);
	assert_int_equal(count_fds(), fds);
	assert_no_children();
}

/* thousands of entries of every size: all arrive whole, in order */
static void test_round_trip_sizes(void **state)
{
	(void)state;
	struct scenario sc = { B_GEN, NULL, 0, NULL, 0, -1, -1 };
	char why[1024];
	struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
	assert_non_null(r);
	static char path[4096];
	struct entry e;
	size_t i = 0;
	while (r->next(r, &e) == 1) {
		gen_path(i, path);
		assert_string_equal(e.path, path);
		assert_int_equal(e.perm, i & 07777);
		assert_int_equal(e.n_xattrs, i % 4);
		for (size_t k = 0; k < e.n_xattrs; k++) {
			size_t vl = gen_len(i + k, 5000) - 1;
			assert_int_equal(e.xattrs[k].size, vl);
			for (size_t q = 0; q < vl; q++)
				if (((const unsigned char *)e.xattrs[k].value)[q] != k)
					fail_msg("entry %zu: xattr %zu byte %zu", i, k, q);
		}
		size_t got = 0;
		const void *buf;
		size_t len;
		int64_t off;
		while (r->data(r, &buf, &len, &off) == 1) {
			assert_int_equal(off, (int64_t)got);
			for (size_t q = 0; q < len; q++)
				if (((const unsigned char *)buf)[q] != byte_at(path, off + (int64_t)q))
					fail_msg("entry %zu: data byte %zu", i, got + q);
			got += len;
		}
		assert_int_equal(got, gen_len(i, 70000));
		i++;
	}
	assert_string_equal(r->error(r), "");
	assert_int_equal(i, GEN_N);
	assert_int_equal(r->close(r, why, sizeof(why)), 0);
	assert_no_children();
}

/* without want_data the child never reads data, and data() says so */
static void test_no_data(void **state)
{
	(void)state;
	struct scenario sc = { B_SCRIPT, good, 5, NULL, 0, -1, -1 };
	struct sandbox_limits lim = small;
	lim.want_data = 0;
	char why[1024];
	struct reader *r = sandbox_start(t_open, &sc, &lim, why, sizeof(why));
	assert_non_null(r);
	struct entry e;
	size_t n = 0;
	while (r->next(r, &e) == 1)
		n++;
	assert_int_equal(n, 5);
	const void *buf;
	size_t len;
	int64_t off;
	assert_int_equal(r->data(r, &buf, &len, &off), -1);
	assert_non_null(strstr(r->error(r), "without data"));
	r->close(r, why, sizeof(why));
	assert_no_children();
}

/* a caller that stops early: close kills, reaps, leaks nothing */
static void test_early_close(void **state)
{
	(void)state;
	struct scenario sc = { B_MANY, NULL, 0, NULL, 0, -1, -1 };
	int fds = count_fds();
	char why[1024];
	struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
	assert_non_null(r);
	struct entry e;
	assert_int_equal(r->next(r, &e), 1);
	assert_string_equal(e.path, "d/f0");
	double t0 = now_s();
	assert_int_equal(r->close(r, why, sizeof(why)), 0);
	assert_true(now_s() - t0 < 2);
	assert_int_equal(count_fds(), fds);
	assert_no_children();
}

/* ---- hostile children ---- */

static struct tspec bad_dotdot[] = { { "../x", ENT_FILE, 0644, 0, NULL, NULL, 0, { { 0, 0 } }, 0 } };
static struct tspec bad_abs[] = { { "/etc/passwd", ENT_FILE, 0644, 0, NULL, NULL, 0, { { 0, 0 } }, 0 } };
static struct tspec bad_empty[] = { { "a//b", ENT_FILE, 0644, 0, NULL, NULL, 0, { { 0, 0 } }, 0 } };
static struct tspec bad_dot[] = { { "a/./b", ENT_DIR, 0755, 0, NULL, NULL, 0, { { 0, 0 } }, 0 } };
static struct tspec bad_hard[] = { { "h", ENT_HARDLINK, 0644, 0, "../../etc/shadow", NULL, 0, { { 0, 0 } }, 0 } };
static struct tspec bad_size[] = {
	{ "ok", ENT_DIR, 0755, 0, NULL, NULL, 0, { { 0, 0 } }, 0 },
	{ "huge", ENT_FILE, 0644, INT64_C(1) << 60, NULL, NULL, 0, { { 0, 0 } }, 0 },
};
static struct tspec bad_back[] = {
	{ "f", ENT_FILE, 0644, 1000, NULL, NULL, 0, { { 100, 10 }, { 50, 10 } }, 0 },
};
static struct tspec bad_past[] = {
	{ "f", ENT_FILE, 0644, 1000, NULL, NULL, 0, { { 990, 20 } }, 0 },
};
static char path_9k[9001];
static struct tspec bad_long[] = { { path_9k, ENT_FILE, 0644, 0, NULL, NULL, 0, { { 0, 0 } }, 0 } };
static const struct xattr many_x[9] = {
	{ "user.0", "", 0 }, { "user.1", "", 0 }, { "user.2", "", 0 }, { "user.3", "", 0 },
	{ "user.4", "", 0 }, { "user.5", "", 0 }, { "user.6", "", 0 }, { "user.7", "", 0 },
	{ "user.8", "", 0 },
};
static struct tspec bad_xattrs[] = { { "x", ENT_DIR, 0755, 0, NULL, many_x, 9, { { 0, 0 } }, 0 } };

static unsigned char raw_nul[FRAME_HEADER_SIZE + FRAME_ENTRY_FIXED + 3];
static unsigned char raw_done[FRAME_HEADER_SIZE + 8];
static const unsigned char raw_junk[] = "hello, parent";
static unsigned char raw_cut[FRAME_HEADER_SIZE + 10];

static void make_raw(void)
{
	struct entry e = { .path = "aXb", .type = ENT_FILE };
	frame_header_put(raw_nul, FRAME_ENTRY, FRAME_ENTRY_FIXED + 3);
	frame_entry_put(raw_nul + FRAME_HEADER_SIZE, FRAME_ENTRY_FIXED + 3, &e);
	raw_nul[FRAME_HEADER_SIZE + FRAME_ENTRY_FIXED + 1] = '\0';
	frame_header_put(raw_done, FRAME_DONE, 8);
	frame_u64_put(raw_done + FRAME_HEADER_SIZE, 5);
	frame_header_put(raw_cut, FRAME_ENTRY, 1000);
	memset(path_9k, 'p', sizeof(path_9k) - 1);
}

#define SPECS(a) a, sizeof(a) / sizeof(a[0])
#define HELLO_END (FRAME_HEADER_SIZE + FRAME_HELLO_SIZE)

static const struct {
	const char *name;
	struct scenario sc;
	struct sandbox_limits lim;
	const char *says[3];          /* each must appear in the error */
	double max_seconds;
	int needs_rlimit_as;          /* not under ASan: no RLIMIT_AS there */
} hostile[] = {
	{ "../x", { B_SCRIPT, SPECS(bad_dotdot), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed frame at byte 24", "'..' component", "../x" }, 5, 0 },
	{ "/etc/passwd", { B_SCRIPT, SPECS(bad_abs), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed", "absolute path '/etc/passwd'", NULL }, 5, 0 },
	{ "a//b", { B_SCRIPT, SPECS(bad_empty), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed", "empty component in path 'a//b'", NULL }, 5, 0 },
	{ "a/./b", { B_SCRIPT, SPECS(bad_dot), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed", "'.' component", NULL }, 5, 0 },
	{ "hard link out", { B_SCRIPT, SPECS(bad_hard), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed", "hard link 'h' names a '..' component", NULL }, 5, 0 },
	{ "NUL in a name", { B_RAW, NULL, 0, raw_nul, sizeof(raw_nul), -1, -1 }, { .want_data = 1 },
	  { "malformed frame at byte 24", "NUL byte at 1 in path 'a\\x00b'", NULL }, 5, 0 },
	{ "junk", { B_RAW, NULL, 0, raw_junk, sizeof(raw_junk), -1, -1 }, { .want_data = 1 },
	  { "malformed frame at byte 24", "bad magic byte 0x68", NULL }, 5, 0 },
	{ "DONE lies", { B_RAW, NULL, 0, raw_done, sizeof(raw_done), -1, -1 }, { .want_data = 1 },
	  { "malformed frame at byte 24", "DONE after 5 entries, but 0 arrived", NULL }, 5, 0 },
	{ "cut frame", { B_RAW, NULL, 0, raw_cut, sizeof(raw_cut), -1, -1 }, { .want_data = 1 },
	  { "exited with status 0", "after 24 bytes of the stream", NULL }, 5, 0 },
	{ "2^60 size", { B_SCRIPT, SPECS(bad_size), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "exceeded a limit", "1152921504606846976 bytes on 'huge'", NULL }, 5, 0 },
	{ "offsets back", { B_SCRIPT, SPECS(bad_back), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed frame at byte", "at 50, before the end of the last one (110)", NULL }, 5, 0 },
	{ "past size", { B_SCRIPT, SPECS(bad_past), NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "malformed", "past the file's size 1000", NULL }, 5, 0 },
	{ "9 KiB path, 8 KiB limit", { B_SCRIPT, SPECS(bad_long), NULL, 0, -1, -1 },
	  { .want_data = 1, .max_path = 8192 }, { "exceeded a limit", "path of 9000 bytes", NULL }, 5, 0 },
	{ "9 xattrs, 8 allowed", { B_SCRIPT, SPECS(bad_xattrs), NULL, 0, -1, -1 },
	  { .want_data = 1, .max_xattrs = 8 }, { "exceeded a limit", "9 xattrs on 'x'", NULL }, 5, 0 },
	{ "10 million entries", { B_MANY, NULL, 0, NULL, 0, -1, -1 },
	  { .want_data = 1, .max_entries = 1000000 },
	  { "exceeded a limit", "more than 1000000 entries", NULL }, 60, 0 },
	{ "1 GiB xattr", { B_HUGE_XATTR, NULL, 0, NULL, 0, -1, -1 },
	  { .want_data = 1, .address_space = UINT64_C(2) << 30 },
	  { "exceeded a limit", "an xattr of 1073741833 bytes", NULL }, 5, 0 },
	{ "address space too small", { B_SCRIPT, SPECS(bad_dotdot), NULL, 0, -1, -1 },
	  { .want_data = 1, .address_space = 1 << 20 },
	  { "an address space limit of 1 MiB leaves no room", NULL, NULL }, 5, 1 },
	{ "open fails", { B_OPEN_FAILS, NULL, 0, NULL, 0, -1, -1 }, { .want_data = 1 },
	  { "cannot open 'disk.img': No such file or directory", NULL, NULL }, 5, 0 },
};

static void test_hostile(void **state)
{
	(void)state;
	make_raw();
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		if (UNDER_ASAN && hostile[i].needs_rlimit_as)
			continue;
		char err[1024];
		size_t n;
		struct sandbox_limits lim = hostile[i].lim;
		lim.wall_seconds = 20;
		double t0 = now_s();
		run(&hostile[i].sc, &lim, err, sizeof(err), &n);
		double took = now_s() - t0;
		printf("    %-24s %5.2f s  %s\n", hostile[i].name, took, err);
		for (int k = 0; k < 3 && hostile[i].says[k]; k++)
			if (!strstr(err, hostile[i].says[k]))
				fail_msg("%s: '%s' does not say '%s'", hostile[i].name, err,
				         hostile[i].says[k]);
		assert_true(took < hostile[i].max_seconds);
	}
}

/* A compromised child writing garbage: random bytes, and random frames
 * with good headers. The parent ends each with an error; nothing crashes,
 * leaks or stays behind. */
static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t random_stream(unsigned char *p, size_t cap, int framed)
{
	size_t n = 0;
	if (!framed) {
		n = 1 + next_random() % cap;
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)next_random();
		return n;
	}
	while (n + FRAME_HEADER_SIZE + 64 <= cap && next_random() % 8) {
		uint32_t len = (uint32_t)(next_random() % 64);
		enum frame_type type = (enum frame_type)(1 + next_random() % 8);
		if (type == FRAME_ENTRY && len < FRAME_ENTRY_FIXED)
			len = FRAME_ENTRY_FIXED + len % 8;
		frame_header_put(p + n, type, len);
		n += FRAME_HEADER_SIZE;
		for (uint32_t i = 0; i < len; i++)
			p[n + i] = (unsigned char)(next_random() % 4 ? next_random() % 8 : 'a');
		n += len;
	}
	return n;
}

static void test_garbage(void **state)
{
	(void)state;
	static unsigned char buf[4096];
	int clean = 0;   /* empty streams: a clean end is right */
	for (int i = 0; i < 300; i++) {
		size_t n = random_stream(buf, sizeof(buf), i & 1);
		struct scenario sc = { B_RAW, NULL, 0, buf, n, -1, -1 };
		char err[1024];
		size_t entries;
		run(&sc, &small, err, sizeof(err), &entries);
		if (n == 0)
			clean++;
		else if (!err[0])
			fail_msg("garbage stream #%d of %zu bytes was accepted", i, n);
	}
	printf("    300 garbage streams refused (%d were empty)\n", clean);
}

/* ---- children that break ---- */

static const struct {
	const char *name;
	enum behaviour b;
	struct sandbox_limits lim;
	const char *says[2];
	int asan_ok;                  /* meaningful under ASan too */
} broken[] = {
	{ "segfault", B_SEGV, { .wall_seconds = 10 }, { "crashed (signal 11", NULL }, 1 },
	{ "loops (wall clock)", B_SPIN, { .wall_seconds = 1, .cpu_seconds = 60 },
	  { "timed out: no frame for 1 s", NULL }, 1 },
	{ "loops (CPU limit)", B_SPIN, { .wall_seconds = 30, .cpu_seconds = 1 },
	  { "exceeded its CPU limit of 1 s", NULL }, 1 },
	{ "open() after the filter", B_OPEN, { .wall_seconds = 10 },
	  { "killed by the filter (SIGSYS) at syscall openat (257)", NULL }, 1 },
	{ "socket() after the filter", B_SOCKET, { .wall_seconds = 10 },
	  { "killed by the filter (SIGSYS) at syscall socket (41)", NULL }, 1 },
	{ "execve() after the filter", B_EXECVE, { .wall_seconds = 10 },
	  { "killed by the filter (SIGSYS) at syscall execve (59)", NULL }, 1 },
	{ "allocates past RLIMIT_AS", B_ALLOC, { .wall_seconds = 20, .address_space = 256 << 20 },
	  { "ran out of memory (limit 256 MiB)", "no memory after" }, 0 },
	{ "writes a file it holds", B_WRITE_FILE, { .wall_seconds = 10 },
	  { "tried to write a file (SIGXFSZ)", NULL }, 1 },
	{ "reads an fd it does not hold", B_READ_UNHELD, { .wall_seconds = 10 },
	  { "killed by the filter (SIGSYS) at syscall read (0)", NULL }, 1 },
	{ "maps executable memory", B_MMAP_EXEC, { .wall_seconds = 10 },
	  { "killed by the filter (SIGSYS) at syscall mmap (9)", NULL }, 1 },
	{ "open() hangs", B_OPEN_HANGS, { .wall_seconds = 1 },
	  { "timed out: no frame for 1 s", NULL }, 1 },
	{ "open() crashes", B_OPEN_CRASHES, { .wall_seconds = 10 },
	  { "crashed (signal 6, Aborted) while it opened its input", NULL }, 1 },
};

static void test_broken(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		if (UNDER_ASAN && !broken[i].asan_ok) {
			printf("    %-28s skipped: no RLIMIT_AS under ASan\n", broken[i].name);
			continue;
		}
		struct scenario sc = { broken[i].b, NULL, 0, NULL, 0, -1, -1 };
		char err[1024];
		size_t n;
		double t0 = now_s();
		run(&sc, &broken[i].lim, err, sizeof(err), &n);
		double took = now_s() - t0;
		printf("    %-28s %5.2f s  %s\n", broken[i].name, took, err);
		for (int k = 0; k < 2 && broken[i].says[k]; k++)
			if (!strstr(err, broken[i].says[k]))
				fail_msg("%s: '%s' does not say '%s'", broken[i].name, err, broken[i].says[k]);
		assert_true(took < (double)broken[i].lim.wall_seconds + 3);
	}
}

/* Entries still queued in the child when the filter stops it arrive
 * before the report of the stop. */
static void test_trap_after_entries(void **state)
{
	(void)state;
	struct scenario sc = { B_TRAP_LATE, NULL, 0, NULL, 0, -1, -1 };
	char err[1024];
	size_t n;
	run(&sc, &small, err, sizeof(err), &n);
	assert_int_equal(n, 5);
	assert_non_null(strstr(err, "killed by the filter (SIGSYS) at syscall openat"));
}

/* RLIMIT_NOFILE 0: even where the filter lets dup through, no fd is made */
static void test_no_new_fds(void **state)
{
	(void)state;
	/* extras may repeat base calls (read) and still load */
	static const char *const dup_too[] = { "dup", "read", "mmap", NULL };
	sandbox_allow_extra(dup_too);
	struct scenario sc = { B_DUP, NULL, 0, NULL, 0, -1, -1 };
	char err[1024];
	size_t n;
	run(&sc, &small, err, sizeof(err), &n);
	sandbox_allow_extra(NULL);
	assert_non_null(strstr(err, "dup: Too many open files"));
	/* the limit still lets poll() take a few fds (it refuses more than
	 * RLIMIT_NOFILE) */
	struct scenario polls = { B_POLL, NULL, 0, NULL, 0, -1, -1 };
	run(&polls, &small, err, sizeof(err), &n);
	assert_string_equal(err, "");
	static const char *const bogus[] = { "no_such_call", NULL };
	sandbox_allow_extra(bogus);
	run(&sc, &small, err, sizeof(err), &n);
	sandbox_allow_extra(NULL);
	assert_non_null(strstr(err, "unknown syscall 'no_such_call'"));
}

/* The child holds /dev/null on 0-2, the stream, and what open made: none
 * of the parent's fds, with or without O_CLOEXEC. */
static void test_child_fds(void **state)
{
	(void)state;
	int leak1 = open("/etc/hostname", O_RDONLY);
	int leak2 = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
	int ctl[2], back[2];
	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(back), 0);
	struct scenario sc = { B_BLOCK, NULL, 0, NULL, 0, ctl[0], back[1] };
	char why[1024];
	struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
	assert_non_null(r);
	pid_t pid;
	assert_int_equal(read(back[0], &pid, sizeof(pid)), sizeof(pid));
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	int fifo = 0, null = 0, other = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || (UNDER_ASAN && strcmp(de->d_name, "2") == 0))
			continue;   /* under ASan the child keeps stderr for its reports */
		char link[512], target[256] = "";
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		ssize_t k = readlink(link, target, sizeof(target) - 1);
		assert_true(k > 0);
		printf("    child fd %s -> %s\n", de->d_name, target);
		if (strcmp(target, "/dev/null") == 0)
			null++;
		else if (strncmp(target, "pipe:", 5) == 0)
			fifo++;
		else
			other++;
	}
	closedir(d);
	assert_int_equal(other, 0);
	assert_int_equal(null, UNDER_ASAN ? 2 : 3);
	assert_int_equal(fifo, 3); /* the stream, and the two control pipes open() dup'ed */
	assert_int_equal(write(ctl[1], "x", 1), 1);
	struct entry e;
	assert_int_equal(r->next(r, &e), 0);
	assert_int_equal(r->close(r, why, sizeof(why)), 0);
	assert_no_children();
	close(leak1);
	close(leak2);
	close(ctl[0]);
	close(ctl[1]);
	close(back[0]);
	close(back[1]);
}

/* A parent with more fds than the child can account for: refused, rather
 * than some left open. */
static void test_too_many_fds(void **state)
{
	(void)state;
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur < 1200)
		skip();
	static int fds[1100];
	for (int i = 0; i < 1100; i++)
		assert_true((fds[i] = open("/dev/null", O_RDONLY)) >= 0);
	struct scenario sc = { B_SCRIPT, good, 1, NULL, 0, -1, -1 };
	char err[1024];
	size_t n;
	run(&sc, &small, err, sizeof(err), &n);
	for (int i = 0; i < 1100; i++)
		close(fds[i]);
	assert_non_null(strstr(err, "the parent holds too many fds"));
}

static void on_sigint(int sig)
{
	(void)sig;
}

/* Ctrl-C: the terminal signals the whole process group. The child ignores
 * it, the parent's wait ends with "interrupted", close() kills and reaps. */
static void test_ctrl_c(void **state)
{
	(void)state;
	int ctl[2], back[2];
	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(back), 0);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		setpgid(0, 0);
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigint;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		struct scenario sc = { B_BLOCK, NULL, 0, NULL, 0, ctl[0], back[1] };
		char why[1024];
		struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
		if (!r)
			_exit(10);
		struct entry e;
		if (r->next(r, &e) != -1 || !strstr(r->error(r), "interrupted"))
			_exit(11);
		r->close(r, why, sizeof(why));
		errno = 0;
		_exit(waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD ? 0 : 12);
	}
	setpgid(mid, mid);
	pid_t child;
	assert_int_equal(read(back[0], &child, sizeof(child)), sizeof(child));
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);   /* the parent is waiting for a frame by now */
	assert_int_equal(kill(-mid, SIGINT), 0);
	int st;
	assert_int_equal(waitpid(mid, &st, 0), mid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(kill(child, 0), -1); /* reaped by its parent: gone */
	close(ctl[0]);
	close(ctl[1]);
	close(back[0]);
	close(back[1]);
}

/* Ctrl-C while the parent is busy elsewhere (here: SIGINT blocked): the
 * child is not stopped by it, the stream goes on and ends well. */
static void test_child_ignores_ctrl_c(void **state)
{
	(void)state;
	int ctl[2], back[2];
	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(back), 0);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		setpgid(0, 0);
		sigset_t intr;
		sigemptyset(&intr);
		sigaddset(&intr, SIGINT);
		sigprocmask(SIG_BLOCK, &intr, NULL);
		struct scenario sc = { B_BLOCK, NULL, 0, NULL, 0, ctl[0], back[1] };
		char why[1024];
		struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
		if (!r)
			_exit(10);
		struct entry e;
		int rc = r->next(r, &e);
		if (rc != 0)
			_exit(11);
		_exit(r->close(r, why, sizeof(why)) == 0 ? 0 : 12);
	}
	setpgid(mid, mid);
	pid_t child;
	assert_int_equal(read(back[0], &child, sizeof(child)), sizeof(child));
	assert_int_equal(kill(-mid, SIGINT), 0);
	struct timespec ts = { 0, 200 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	assert_int_equal(write(ctl[1], "x", 1), 1);   /* now let it end */
	int st;
	assert_int_equal(waitpid(mid, &st, 0), mid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	close(ctl[0]);
	close(ctl[1]);
	close(back[0]);
	close(back[1]);
}

/* The parent dies (SIGKILL, no cleanup at all): the child dies with it. */
static void test_parent_dies(void **state)
{
	(void)state;
	int ctl[2], back[2];
	assert_int_equal(pipe(ctl), 0);
	assert_int_equal(pipe(back), 0);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	pid_t mid = fork();
	assert_true(mid >= 0);
	if (mid == 0) {
		struct scenario sc = { B_BLOCK, NULL, 0, NULL, 0, ctl[0], back[1] };
		char why[1024];
		struct reader *r = sandbox_start(t_open, &sc, &small, why, sizeof(why));
		if (!r)
			_exit(10);
		struct entry e;
		r->next(r, &e);
		_exit(11);
	}
	pid_t child;
	assert_int_equal(read(back[0], &child, sizeof(child)), sizeof(child));
	assert_int_equal(kill(mid, SIGKILL), 0);
	assert_int_equal(waitpid(mid, NULL, 0), mid);
	/* orphaned, the child comes to us (the subreaper); it must be dead */
	int st = 0;
	pid_t got = 0;
	for (int i = 0; i < 500 && got == 0; i++) {
		got = waitpid(child, &st, WNOHANG);
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		if (got == 0)
			nanosleep(&ts, NULL);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	assert_int_equal(got, child);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	close(ctl[0]);
	close(ctl[1]);
	close(back[0]);
	close(back[1]);
}

/* ---- a real library inside the filter: libarchive's tar reader ---- */

static char tar_path[64];

static void make_tar(void)
{
	snprintf(tar_path, sizeof(tar_path), "/tmp/lifeboat-sandbox-tar-XXXXXX");
	int fd = mkstemp(tar_path);
	assert_true(fd >= 0);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	static const struct {
		const char *path;
		mode_t type;
		size_t size;
		const char *link;
		int hard;
	} files[] = {
		{ "root", AE_IFDIR, 0, NULL, 0 },
		{ "root/small", AE_IFREG, 11, NULL, 0 },
		{ "root/big", AE_IFREG, 600000, NULL, 0 },
		{ "root/link", AE_IFLNK, 0, "small", 0 },
		{ "root/hard", AE_IFREG, 0, "root/small", 1 },
		{ "root/fifo", AE_IFIFO, 0, NULL, 0 },
		{ "root/\xff\xfe odd", AE_IFREG, 3, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, files[i].path);
		archive_entry_set_perm(e, 0640);
		archive_entry_set_mtime(e, 1600000000, 5);
		archive_entry_set_uid(e, 7);
		if (files[i].hard) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, files[i].link);
		} else {
			archive_entry_set_filetype(e, files[i].type);
			if (files[i].link)
				archive_entry_set_symlink(e, files[i].link);
			archive_entry_set_size(e, (la_int64_t)files[i].size);
			archive_entry_xattr_add_entry(e, "user.k", "v\0w", 3);
		}
		assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
		for (size_t k = 0; k < files[i].size; k++) {
			unsigned char c = byte_at(files[i].path, (int64_t)k);
			archive_write_data(a, &c, 1);
		}
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	close(fd);
}

static struct reader *tar_open(void *arg, char *why, size_t size)
{
	int fd = open(arg, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, size, "cannot open '%s': %s", (const char *)arg, strerror(errno));
		return NULL;
	}
	return reader_tar_open(fd, "", NULL, NULL);
}

/* One line per entry (fields, xattrs and a hash of data with offsets). */
static char *summary(struct reader *r)
{
	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	struct entry e;
	while (r->next(r, &e) == 1) {
		uint64_t h = 1469598103934665603ULL;
		const void *buf;
		size_t len;
		int64_t off;
		while (r->data(r, &buf, &len, &off) == 1)
			for (size_t k = 0; k < len; k++)
				h = (h ^ (((const unsigned char *)buf)[k] + (uint64_t)off + k)) *
				    1099511628211ULL;
		fprintf(f, "%s %d %o %u %u %lld %lld.%ld %s %zu", e.path, e.type, (unsigned)e.perm,
		        e.uid, e.gid, (long long)e.size, (long long)e.mtime_sec, e.mtime_nsec,
		        e.link ? e.link : "-", e.n_xattrs);
		for (size_t k = 0; k < e.n_xattrs; k++)
			fprintf(f, " %s:%zu", e.xattrs[k].name, e.xattrs[k].size);
		fprintf(f, " %016llx\n", (unsigned long long)h);
	}
	fprintf(f, "error: %s\n", r->error(r));
	fclose(f);
	return out;
}

static void test_tar_inside(void **state)
{
	(void)state;
	make_tar();
	int fd = open(tar_path, O_RDONLY | O_CLOEXEC);
	struct reader *plain = reader_tar_open(fd, "", NULL, NULL);
	char *want = summary(plain);
	char why[1024];
	plain->close(plain, why, sizeof(why));
	/* learn what libarchive needs beyond the base set: run, and add the
	 * call the filter names, until it passes */
	static char names[16][32];
	static const char *extra[17];
	size_t n_extra = 0;
	char *got = NULL;
	for (;;) {
		extra[n_extra] = NULL;
		sandbox_allow_extra(extra);
		struct reader *r = sandbox_start(tar_open, tar_path, &small, why, sizeof(why));
		if (!r)
			fail_msg("sandbox_start: %s", why);
		free(got);
		got = summary(r);
		const char *err = r->error(r);
		const char *at = strstr(err, "at syscall ");
		char name[32] = "";
		if (at)
			sscanf(at + 11, "%31[a-z0-9_]", name);
		r->close(r, why, sizeof(why));
		if (!name[0] || n_extra == 16)
			break;
		snprintf(names[n_extra], sizeof(names[n_extra]), "%s", name);
		extra[n_extra] = names[n_extra];
		n_extra++;
	}
	sandbox_allow_extra(NULL);
	printf("    reader_tar needed beyond the base set:");
	for (size_t i = 0; i < n_extra; i++)
		printf(" %s", extra[i]);
	printf("%s\n", n_extra ? "" : " nothing");
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "root/big 0 640 7 0 600000"));
	assert_non_null(strstr(got, "error: \n"));
	free(got);
	free(want);
	unlink(tar_path);
	assert_no_children();
}

/* ---- and qemu-nbd, as the native reader reads a qcow2 (extract/disk.c) ---- */

struct nbd_reader {
	struct reader ops;
	struct disk *d;
	int64_t size, at;
	int entries;
	char buf[65536];
	char why[256];
};

static int nbd_next(struct reader *r, struct entry *e)
{
	struct nbd_reader *n = (struct nbd_reader *)r;
	if (n->entries++)
		return 0;
	memset(e, 0, sizeof(*e));
	e->path = "disk";
	e->type = ENT_FILE;
	e->perm = 0600;
	e->size = n->size;
	return 1;
}

static int nbd_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct nbd_reader *n = (struct nbd_reader *)r;
	if (n->at >= n->size)
		return 0;
	size_t k = n->size - n->at < (int64_t)sizeof(n->buf) ? (size_t)(n->size - n->at)
	                                                      : sizeof(n->buf);
	if (disk_pread(n->d, n->buf, k, (uint64_t)n->at, n->why, sizeof(n->why)) < 0)
		return -1;
	*buf = n->buf;
	*len = k;
	*offset = n->at;
	n->at += (int64_t)k;
	return 1;
}

static const char *nbd_error(struct reader *r)
{
	return ((struct nbd_reader *)r)->why;
}

static int nbd_close_reader(struct reader *r, char *why, size_t size)
{
	(void)why;
	(void)size;
	struct nbd_reader *n = (struct nbd_reader *)r;
	disk_close(n->d);
	free(n);
	return 0;
}

static struct reader *nbd_open(void *arg, char *why, size_t size)
{
	struct nbd_reader *n = calloc(1, sizeof(*n));
	n->ops = (struct reader){ nbd_next, nbd_data, nbd_error, nbd_close_reader };
	if (!(n->d = disk_open(arg, "qcow2", why, size))) {
		free(n);
		return NULL;
	}
	n->size = (int64_t)disk_size(n->d);
	return &n->ops;
}

/* qemu-img convert -O qcow2 FROM TO, waited for */
static void make_qcow2(const char *from, const char *to)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execlp("qemu-img", "qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", from, to,
		       (char *)NULL);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static size_t dir_entries(const char *dir)
{
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	if (d)
		closedir(d);
	return n;
}

static int qemu_nbd_running(const char *image)
{
	int found = 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		char path[300], cmd[4096];
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		size_t n = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		for (size_t i = 0; i + 1 < n; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		cmd[n] = '\0';
		found += strstr(cmd, "qemu-nbd") && strstr(cmd, image);
	}
	if (d)
		closedir(d);
	return found;
}

static void test_nbd_inside(void **state)
{
	(void)state;
	if (access("/usr/bin/qemu-nbd", X_OK) != 0 || access("/usr/bin/qemu-img", X_OK) != 0)
		skip();
	/* a TMPDIR of its own, which the socket's directory must leave empty */
	char tmp[] = "/tmp/lifeboat-sandbox-tmp-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	const char *old_tmp = getenv("TMPDIR");
	char *saved = old_tmp ? strdup(old_tmp) : NULL;
	setenv("TMPDIR", tmp, 1);
	char raw[] = "/tmp/lifeboat-sandbox-nbd-XXXXXX";
	int fd = mkstemp(raw);
	assert_true(fd >= 0);
	size_t size = 3 * 1024 * 1024 + 512;
	unsigned char *want = malloc(size);
	for (size_t i = 0; i < size; i++)
		want[i] = byte_at("disk", (int64_t)i);
	assert_int_equal(write(fd, want, size), (ssize_t)size);
	close(fd);
	char image[sizeof(raw) + 8];
	snprintf(image, sizeof(image), "%s.qcow2", raw);
	make_qcow2(raw, image);
	unlink(raw);
	char why[1024];
	struct reader *r = sandbox_start(nbd_open, image, &small, why, sizeof(why));
	unlink(image);   /* qemu-nbd holds it open; nothing is left behind on a failure */
	if (!r)
		fail_msg("sandbox_start: %s", why);
	struct entry e;
	assert_int_equal(r->next(r, &e), 1);
	assert_int_equal(e.size, (int64_t)size);
	size_t got = 0;
	const void *buf;
	size_t len;
	int64_t off;
	int rc;
	while ((rc = r->data(r, &buf, &len, &off)) == 1) {
		assert_int_equal(off, (int64_t)got);
		assert_memory_equal(buf, want + got, len);
		got += len;
	}
	if (rc < 0)
		fail_msg("data: %s", r->error(r));
	assert_int_equal(got, size);
	assert_int_equal(r->next(r, &e), 0);
	assert_int_equal(r->close(r, why, sizeof(why)), 0);
	assert_no_children();
	/* the child's end killed qemu-nbd (its parent-death signal) */
	int left = 1;
	for (int i = 0; i < 200 && (left = qemu_nbd_running(image)); i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(left, 0);
	/* and the socket was never left in TMPDIR */
	assert_int_equal(dir_entries(tmp), 0);
	assert_int_equal(rmdir(tmp), 0);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	free(want);
}

/* In process: disk_close stops qemu-nbd and reaps it, and nothing of its
 * socket is left in TMPDIR, whether the image could be served or not. */
static void test_disk_reaps_qemu_nbd(void **state)
{
	(void)state;
	if (access("/usr/bin/qemu-nbd", X_OK) != 0 || access("/usr/bin/qemu-img", X_OK) != 0)
		skip();
	char tmp[] = "/tmp/lifeboat-sandbox-tmp-XXXXXX";
	assert_non_null(mkdtemp(tmp));
	const char *old_tmp = getenv("TMPDIR");
	char *saved = old_tmp ? strdup(old_tmp) : NULL;
	setenv("TMPDIR", tmp, 1);
	char raw[] = "/tmp/lifeboat-sandbox-nbd-XXXXXX";
	int fd = mkstemp(raw);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	char image[sizeof(raw) + 8];
	snprintf(image, sizeof(image), "%s.qcow2", raw);
	make_qcow2(raw, image);
	char why[1024];
	struct disk *d = disk_open(image, "qcow2", why, sizeof(why));
	if (!d)
		fail_msg("disk_open: %s", why);
	assert_int_equal(disk_size(d), 1 << 20);
	disk_close(d);
	assert_no_children();
	/* a raw file named as a qcow2: qemu-nbd refuses it and is reaped too */
	assert_null(disk_open(raw, "qcow2", why, sizeof(why)));
	assert_non_null(strstr(why, "qemu-nbd cannot serve"));
	assert_no_children();
	assert_int_equal(dir_entries(tmp), 0);
	unlink(raw);
	unlink(image);
	assert_int_equal(rmdir(tmp), 0);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_sizes),
		cmocka_unit_test(test_no_data),
		cmocka_unit_test(test_early_close),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_trap_after_entries),
		cmocka_unit_test(test_no_new_fds),
		cmocka_unit_test(test_child_fds),
		cmocka_unit_test(test_too_many_fds),
		cmocka_unit_test(test_ctrl_c),
		cmocka_unit_test(test_child_ignores_ctrl_c),
		cmocka_unit_test(test_parent_dies),
		cmocka_unit_test(test_tar_inside),
		cmocka_unit_test(test_nbd_inside),
		cmocka_unit_test(test_disk_reaps_qemu_nbd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

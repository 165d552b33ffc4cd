/* sandbox.c - a struct reader run in a confined child: the child opens its
 * inputs, gives up everything else (fds, files, privileges, all but a few
 * syscalls) and streams frames; the parent believes nothing it has not
 * checked (frame.c) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "frame.h"
#include "sandbox.h"

/* AddressSanitizer reserves terabytes of address space for its shadow
 * memory, so under it RLIMIT_AS cannot be set (every allocation would
 * fail); the child keeps stderr for its reports, and its own fault
 * handlers give way to the default ones (a report would need syscalls the
 * filter refuses). Everything else is the same. */
#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN 1
#endif
#endif
#ifndef SANDBOX_ASAN
#define SANDBOX_ASAN 0
#endif

#define DEFAULT_AS (UINT64_C(1) << 30)
#define DEFAULT_CPU 600
#define DEFAULT_WALL 60
#define DEFAULT_ENTRIES 10000000
#define DEFAULT_PATH 65536
#define DEFAULT_LINK 65536
#define DEFAULT_XATTRS 256
#define DEFAULT_XATTR_SIZE 65536
#define INBUF_SIZE (256 * 1024)
#define DIRECT_MIN (64 * 1024)
#define MAX_FDS 1024
#define EXIT_FILTER 125         /* the child's status when SIGSYS did not end it */

static const char *const *extra_names;

void sandbox_allow_extra(const char *const *names)
{
	extra_names = names;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ================= the child ================= */

static int sigsys_fd = -1;

/* Small frames gather here and leave together: a tree of small files
 * then costs a write per OUT_SIZE bytes, not two per file. Nothing waits
 * in it longer than one call of the inner reader after OUT_AGE_MS. */
#define OUT_SIZE (64 * 1024)
#define OUT_AGE_MS 10
static struct {
	unsigned char b[OUT_SIZE];
	size_t len;
	int64_t since;
} outq;

static int write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t k = writev(fd, iov, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		size_t done = (size_t)k;
		while (n > 0 && done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

static int flush_out(int fd)
{
	struct iovec v = { outq.b, outq.len };
	outq.len = 0;
	return v.iov_len ? write_all(fd, &v, 1) : 0;
}

/* Before the child waits on the inner reader again. */
static int flush_if_old(int fd)
{
	return outq.len && now_ms() - outq.since >= OUT_AGE_MS ? flush_out(fd) : 0;
}

static void queue(const void *p, size_t n)
{
	if (n)
		memcpy(outq.b + outq.len, p, n);
	outq.len += n;
}

/* A frame: queued when it fits, else written at once after the queue, in
 * one writev loop. Either way the filter's signal handler, which flushes
 * the queue first, starts its frame at a frame boundary. */
static int send_frame(int fd, enum frame_type type, const void *a, size_t alen, const void *b,
                      size_t blen, const void *c, size_t clen)
{
	unsigned char head[FRAME_HEADER_SIZE];
	size_t len = alen + blen + clen;
	if (len > UINT32_MAX)
		return -1;
	frame_header_put(head, type, (uint32_t)len);
	if (outq.len + FRAME_HEADER_SIZE + len <= OUT_SIZE) {   /* len < 2^32: no overflow */
		if (outq.len == 0)
			outq.since = now_ms();
		queue(head, sizeof(head));
		queue(a, alen);
		queue(b, blen);
		queue(c, clen);
		return 0;
	}
	struct iovec iov[5] = {
		{ outq.b, outq.len }, { head, sizeof(head) }, { (void *)a, alen }, { (void *)b, blen },
		{ (void *)c, clen },
	};
	outq.len = 0;
	return write_all(fd, iov, 5);
}

static void send_error(int fd, int err, const char *text)
{
	if (!text)
		text = "";
	unsigned char e[4];
	frame_u32_put(e, (uint32_t)err);
	size_t n = strlen(text);
	send_frame(fd, FRAME_ERROR, e, 4, text, n < FRAME_TEXT_MAX ? n : FRAME_TEXT_MAX, NULL, 0);
	flush_out(fd);
}

/* SIGSYS from the filter (SCMP_ACT_TRAP): tell the parent which call it
 * was, then die by SIGSYS. SIGSYS is blocked while this runs, so the
 * kernel answers the next refused call by killing the process with it. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	/* the trap is in the inner reader, never in the queue's own code:
	 * the queue is whole */
	for (size_t at = 0; at < outq.len;) {
		ssize_t k = write(sigsys_fd, outq.b + at, outq.len - at);
		if (k <= 0)
			break;
		at += (size_t)k;
	}
	unsigned char f[FRAME_HEADER_SIZE + 8];
	frame_header_put(f, FRAME_FILTER, 8);
	frame_u32_put(f + FRAME_HEADER_SIZE, (uint32_t)si->si_syscall);
	frame_u32_put(f + FRAME_HEADER_SIZE + 4, si->si_arch);
	ssize_t k = write(sigsys_fd, f, sizeof(f)); /* <= PIPE_BUF: atomic */
	(void)k;
	syscall(SYS_getppid); /* never allowed: this kills */
	syscall(SYS_exit_group, EXIT_FILTER);
}

/* The child's way out: exit_group itself, since the sanitizers hook
 * _exit to run a leak check that needs what the filter refuses. */
static _Noreturn void child_exit(int code)
{
	syscall(SYS_exit_group, code);
	_exit(code);
}

/* Default handlers everywhere (the parent's, cmocka's or ASan's have no
 * business in the child), SIGINT and SIGQUIT ignored: the parent decides. */
static void reset_signals(void)
{
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		void (*to)(int) = sig == SIGINT || sig == SIGQUIT ? SIG_IGN : SIG_DFL;
#if SANDBOX_ASAN
		/* ASan's sigaction keeps its own SEGV handler: ask the kernel.
		 * Its struct starts with the handler; zero flags, mask and
		 * restorer are right for SIG_DFL and SIG_IGN on every arch. */
		unsigned long ksa[8] = { (unsigned long)to };
		syscall(SYS_rt_sigaction, sig, ksa, NULL, (size_t)8);
#else
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sigemptyset(&sa.sa_mask);
		sa.sa_handler = to;
		sigaction(sig, &sa, NULL);
#endif
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int stdio_to_null(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++) {
		if (fd == 2 && SANDBOX_ASAN)
			continue;
		if (dup2(null, fd) < 0)
			return -1;
	}
	if (null > 2)
		close(null);
	return 0;
}

struct fdid {
	int fd;
	dev_t dev;
	ino_t ino;
};

/* The open fds above 2, other than skip: from /proc/self/fd, or by asking
 * each number when /proc is missing. */
static size_t list_fds(struct fdid *out, size_t max, int skip)
{
	size_t n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		int self = dirfd(d);
		struct dirent *de;
		while ((de = readdir(d)) && n < max) {
			char *end;
			long fd = strtol(de->d_name, &end, 10);
			if (*end || end == de->d_name || fd <= 2 || fd == self || fd == skip)
				continue;
			out[n++].fd = (int)fd;
		}
		closedir(d);
	} else {
		for (int fd = 3; fd < 65536 && n < max; fd++)
			if (fd != skip && fcntl(fd, F_GETFD) >= 0)
				out[n++].fd = fd;
	}
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstat(out[i].fd, &st) == 0) {
			out[i].dev = st.st_dev;
			out[i].ino = st.st_ino;
		}
	}
	return n;
}

/* Close what the child inherited, unless open replaced it by something of
 * its own under the same number. */
static void close_inherited(const struct fdid *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (fstat(fds[i].fd, &st) == 0 && st.st_dev == fds[i].dev && st.st_ino == fds[i].ino)
			close(fds[i].fd);
	}
}

static int allow(scmp_filter_ctx ctx, int nr, unsigned n, const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

/* The allowlist: calls on the fds the child holds, and what malloc, the
 * clock, signals and exit need; nothing that names a path or makes an fd. */
static scmp_filter_ctx build_filter(const struct fdid *held, size_t n_held, int out,
                                    const int *extra, size_t n_extra)
{
	static const int on_fd[] = {
		SCMP_SYS(read), SCMP_SYS(readv), SCMP_SYS(pread64), SCMP_SYS(preadv),
		SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
		SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(lseek), SCMP_SYS(fstat),
		SCMP_SYS(close),
	};
	static const int any[] = {
		SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(munmap), SCMP_SYS(mremap),
		SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex), SCMP_SYS(clock_gettime),
		SCMP_SYS(gettimeofday), SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall),
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(getpid), SCMP_SYS(gettid),
		SCMP_SYS(exit), SCMP_SYS(exit_group),
	};
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return NULL;
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	int fds[MAX_FDS + 2];
	size_t nfd = 0;
	for (size_t i = 0; i < n_held; i++)
		fds[nfd++] = held[i].fd;
	fds[nfd++] = out;
	if (SANDBOX_ASAN)
		fds[nfd++] = 2;
	for (size_t i = 0; rc == 0 && i < nfd; i++) {
		for (size_t k = 0; rc == 0 && k < sizeof(on_fd) / sizeof(on_fd[0]); k++) {
			struct scmp_arg_cmp a0 = SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)fds[i]);
			rc = allow(ctx, on_fd[k], 1, &a0);
		}
		/* glibc's fstat is newfstatat(fd, "", buf, AT_EMPTY_PATH) */
		struct scmp_arg_cmp at[2] = {
			SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)fds[i]),
			SCMP_A3_32(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH),
		};
		if (rc == 0)
			rc = allow(ctx, SCMP_SYS(newfstatat), 2, at);
	}
	for (size_t k = 0; rc == 0 && k < sizeof(any) / sizeof(any[0]); k++)
		rc = allow(ctx, any[k], 0, NULL);
	/* memory, but never executable memory */
	struct scmp_arg_cmp noexec = SCMP_A2_32(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	if (rc == 0)
		rc = allow(ctx, SCMP_SYS(mmap), 1, &noexec);
	if (rc == 0)
		rc = allow(ctx, SCMP_SYS(mprotect), 1, &noexec);
	/* abort() signals itself, and only itself */
	struct scmp_arg_cmp self[2] = {
		SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)getpid()),
		SCMP_A1_32(SCMP_CMP_EQ, (uint32_t)getpid()),
	};
	if (rc == 0)
		rc = allow(ctx, SCMP_SYS(tgkill), 2, self);
#if SANDBOX_ASAN
	/* ASan asks for the signal stack (only asks) before every noreturn call */
	struct scmp_arg_cmp query = SCMP_A0_64(SCMP_CMP_EQ, 0);
	if (rc == 0)
		rc = allow(ctx, SCMP_SYS(sigaltstack), 1, &query);
#endif
	for (size_t k = 0; rc == 0 && k < n_extra; k++)
		rc = allow(ctx, extra[k], 0, NULL);
	if (rc != 0) {
		seccomp_release(ctx);
		return NULL;
	}
	return ctx;
}

static int set_limit(int res, rlim_t value)
{
	struct rlimit rl = { value, value };
	return setrlimit(res, &rl);
}

/* The lowest free fd number: RLIMIT_NOFILE set to it lets no new fd be
 * made (every free number is at or above it), yet poll() still takes that
 * many fds (it refuses more than RLIMIT_NOFILE: libnbd polls one). */
static int lowest_free_fd(void)
{
	int fd = 0;
	while (fd < MAX_FDS && fcntl(fd, F_GETFD) >= 0)
		fd++;
	return fd;
}

static int set_limits(const struct sandbox_limits *lim)
{
	struct rlimit cpu = { lim->cpu_seconds, (rlim_t)lim->cpu_seconds + 1 };
	if (setrlimit(RLIMIT_CPU, &cpu) < 0 ||
	    set_limit(RLIMIT_NOFILE, (rlim_t)lowest_free_fd()) < 0 ||
	    set_limit(RLIMIT_FSIZE, 0) < 0 || set_limit(RLIMIT_CORE, 0) < 0)
		return -1;
	if (!SANDBOX_ASAN && set_limit(RLIMIT_AS, (rlim_t)lim->address_space) < 0)
		return -1;
	return 0;
}

/* What the child maps already (it is a copy of the parent): the address
 * space limit must leave room above it. 0 when unknown. */
static uint64_t mapped_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long pages = 0;
	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int send_data(int out, struct reader *r)
{
	for (;;) {
		const void *buf;
		size_t len;
		int64_t off;
		if (flush_if_old(out) < 0)
			child_exit(1);
		int rc = r->data(r, &buf, &len, &off);
		if (rc <= 0)
			return rc;
		for (size_t at = 0; at < len;) {
			size_t n = len - at < FRAME_DATA_MAX ? len - at : FRAME_DATA_MAX;
			unsigned char head[FRAME_DATA_FIXED];
			frame_data_head_put(head, off + (int64_t)at);
			if (send_frame(out, FRAME_DATA, head, sizeof(head), (const char *)buf + at, n,
			               NULL, 0) < 0)
				child_exit(1);
			at += n;
		}
	}
}

/* Every entry, as frames; never returns. */
static void stream(int out, struct reader *r, int want_data)
{
	unsigned char *buf = NULL;
	size_t cap = 0;
	uint64_t entries = 0;
	for (;;) {
		struct entry e;
		if (flush_if_old(out) < 0)
			child_exit(1);
		errno = 0;
		int rc = r->next(r, &e);
		if (rc == 0)
			break;
		if (rc < 0) {
			int err = errno;
			send_error(out, err, r->error(r));
			child_exit(1);
		}
		if (e.refused) {
			unsigned char head[4];
			size_t pl = strlen(e.path), tl = strlen(e.refused);
			if (tl > FRAME_TEXT_MAX)
				tl = FRAME_TEXT_MAX;
			frame_u32_put(head, (uint32_t)pl);
			if (pl > UINT32_MAX || send_frame(out, FRAME_REFUSED, head, sizeof(head), e.path,
			                                  pl, e.refused, tl) < 0)
				child_exit(1);
			continue;
		}
		size_t need = frame_entry_size(&e);
		if (need == 0 || e.n_xattrs > UINT32_MAX) {
			send_error(out, 0, "an entry too large to encode");
			child_exit(1);
		}
		if (need > cap) {
			free(buf);
			buf = malloc(need);
			cap = buf ? need : 0;
			if (!buf) {
				send_error(out, ENOMEM, "cannot allocate a frame");
				child_exit(1);
			}
		}
		size_t len = frame_entry_put(buf, cap, &e);
		if (send_frame(out, FRAME_ENTRY, buf, len, NULL, 0, NULL, 0) < 0)
			child_exit(1);
		for (size_t i = 0; i < e.n_xattrs; i++) {
			unsigned char head[FRAME_XATTR_FIXED];
			const struct xattr *x = &e.xattrs[i];
			size_t nl = strlen(x->name);
			if (frame_xattr_head_put(head, nl, x->size) < 0) {
				send_error(out, 0, "an xattr too large to encode");
				child_exit(1);
			}
			if (send_frame(out, FRAME_XATTR, head, sizeof(head), x->name, nl, x->value,
			               x->size) < 0)
				child_exit(1);
		}
		entries++;
		if (want_data && e.type == ENT_FILE) {
			errno = 0;
			if (send_data(out, r) < 0) {
				int err = errno;
				send_error(out, err, r->error(r));
				child_exit(1);
			}
			if (send_frame(out, FRAME_EOD, NULL, 0, NULL, 0, NULL, 0) < 0)
				child_exit(1);
		}
	}
	unsigned char n[8];
	frame_u64_put(n, entries);
	send_frame(out, FRAME_DONE, n, sizeof(n), NULL, 0, NULL, 0);
	flush_out(out);
	child_exit(0);
}

static void child_fail(int out, int err, const char *what)
{
	char text[256];
	snprintf(text, sizeof(text), "sandbox: %s: %s", what, strerror(err));
	send_error(out, err, text);
	child_exit(1);
}

static void child_main(int out, pid_t parent, sandbox_open_fn open_fn, void *arg,
                       const struct sandbox_limits *lim, const int *extra, size_t n_extra)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		child_exit(1);
	reset_signals();
	if (stdio_to_null() < 0)
		child_fail(out, errno, "cannot open /dev/null");
	static struct fdid inherited[MAX_FDS], held[MAX_FDS];
	size_t n_inherited = list_fds(inherited, MAX_FDS, out);
	if (n_inherited == MAX_FDS)   /* some might be left open: refuse */
		child_fail(out, EMFILE, "the parent holds too many fds");
	char why[FRAME_TEXT_MAX] = "";
	errno = 0;
	struct reader *r = open_fn(arg, why, sizeof(why));
	if (!r) {
		send_error(out, errno, why[0] ? why : "cannot open the reader");
		child_exit(1);
	}
	close_inherited(inherited, n_inherited);
	size_t n_held = list_fds(held, MAX_FDS, out);
	if (n_held == MAX_FDS)
		child_fail(out, EMFILE, "the reader holds too many fds");
	scmp_filter_ctx ctx = build_filter(held, n_held, out, extra, n_extra);
	if (!ctx)
		child_fail(out, EINVAL, "cannot build the seccomp filter");
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigsys_fd = out;
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		child_fail(out, errno, "cannot catch SIGSYS");
	uint64_t mapped = mapped_bytes();
	if (!SANDBOX_ASAN && mapped + (UINT64_C(32) << 20) > lim->address_space) {
		char text[200];
		snprintf(text, sizeof(text), "sandbox: an address space limit of %llu MiB leaves "
		         "no room: the reader maps %llu MiB already",
		         (unsigned long long)(lim->address_space >> 20),
		         (unsigned long long)(mapped >> 20));
		send_error(out, 0, text);
		child_exit(1);
	}
	if (set_limits(lim) < 0)
		child_fail(out, errno, "cannot set the resource limits");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(out, errno, "cannot set no_new_privs");
	int rc = seccomp_load(ctx);
	if (rc < 0)
		child_fail(out, -rc, "cannot load the seccomp filter");
	seccomp_release(ctx);
	if (send_frame(out, FRAME_HELLO, FRAME_HELLO_TEXT, FRAME_HELLO_SIZE, NULL, 0, NULL, 0) < 0 ||
	    flush_out(out) < 0)
		child_exit(1);
	stream(out, r, lim->want_data);
}

/* ================= the parent ================= */

enum wait_result { GOT = 0, TIMEOUT = -2, INTERRUPTED = -3, GONE = -4, IOERR = -5 };

struct sandbox {
	struct reader ops;       /* first: the public face */
	pid_t pid;
	int fd;
	int reaped, status;
	struct rusage ru;
	struct sandbox_limits lim;
	struct frame_limits flim;
	struct frame_stream st;
	uint64_t at;             /* stream offset of the next byte */
	unsigned char *in;       /* read buffer */
	size_t in_len, in_off;
	unsigned char *frame;    /* the current frame's payload */
	size_t frame_cap;
	struct frame_header hdr;
	char *names;             /* the current entry's path, link, xattr names and values */
	size_t names_cap;
	struct xattr *xattrs;
	size_t xattrs_cap;
	int failed, ended;
	int filtered;
	uint32_t filter_nr, filter_arch;
	char refused_why[FRAME_TEXT_MAX + 1];
	char why[1024];
};

/* Wait (until deadline) for the pipe to be readable. */
static int wait_readable(struct sandbox *s, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return TIMEOUT;
		struct pollfd p = { s->fd, POLLIN, 0 };
		int rc = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (rc < 0 && errno == EINTR)
			return INTERRUPTED;
		if (rc < 0)
			return IOERR;
		if (rc > 0)
			return GOT;
	}
}

/* n bytes to dst. A header (exact) or a large payload is read straight to
 * its place when nothing is buffered, so that file data is copied once
 * out of the pipe and no more; small payloads fill the buffer, which then
 * holds the next frames too. */
static int read_exact(struct sandbox *s, unsigned char *dst, size_t n, int exact,
                      int64_t deadline)
{
	while (n > 0) {
		if (s->in_off < s->in_len) {
			size_t k = s->in_len - s->in_off < n ? s->in_len - s->in_off : n;
			memcpy(dst, s->in + s->in_off, k);
			s->in_off += k;
			dst += k;
			n -= k;
			continue;
		}
		int rc = wait_readable(s, deadline);
		if (rc != GOT)
			return rc;
		int direct = exact || n >= DIRECT_MIN;
		ssize_t k = read(s->fd, direct ? dst : s->in, direct ? n : INBUF_SIZE);
		if (k < 0 && errno == EINTR)
			return INTERRUPTED;
		if (k < 0 && errno == EAGAIN)
			continue;
		if (k < 0)
			return IOERR;
		if (k == 0)
			return GONE;
		if (direct) {
			dst += k;
			n -= (size_t)k;
		} else {
			s->in_len = (size_t)k;
			s->in_off = 0;
		}
	}
	return GOT;
}

/* Reap the child, giving it grace_ms to end on its own before SIGKILL. */
static void reap(struct sandbox *s, int grace_ms)
{
	if (s->reaped)
		return;
	int64_t until = now_ms() + grace_ms;
	int killed = 0;
	for (;;) {
		pid_t p = wait4(s->pid, &s->status, killed ? 0 : WNOHANG, &s->ru);
		if (p == s->pid)
			break;
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0) {        /* not ours any more: nothing to reap */
			s->status = -1;
			break;
		}
		if (!killed && now_ms() >= until) {
			kill(s->pid, SIGKILL);   /* still our unreaped child: the pid is its own */
			killed = 1;
			continue;
		}
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	s->reaped = 1;
}

static double cpu_seconds(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	       ((double)ru->ru_utime.tv_usec + (double)ru->ru_stime.tv_usec) / 1e6;
}

/* How the child ended, in words. */
static void describe_end(struct sandbox *s, char *out, size_t size)
{
	if (s->filtered) {
		char *name = seccomp_syscall_resolve_num_arch(s->filter_arch, (int)s->filter_nr);
		snprintf(out, size, "was killed by the filter (SIGSYS) at syscall %s (%lu)",
		         name ? name : "?", (unsigned long)s->filter_nr);
		free(name);
		return;
	}
	if (s->status == -1) {
		snprintf(out, size, "ended, but its status is unknown");
		return;
	}
	if (WIFSIGNALED(s->status)) {
		int sig = WTERMSIG(s->status);
		if (sig == SIGSYS)
			snprintf(out, size, "was killed by the filter (SIGSYS)");
		else if (sig == SIGXCPU || (sig == SIGKILL && cpu_seconds(&s->ru) >= s->lim.cpu_seconds))
			snprintf(out, size, "exceeded its CPU limit of %u s", s->lim.cpu_seconds);
		else if (sig == SIGXFSZ)
			snprintf(out, size, "tried to write a file (SIGXFSZ)");
		else
			snprintf(out, size, "crashed (signal %d, %s)", sig, strsignal(sig));
		return;
	}
	snprintf(out, size, "exited with status %d", WEXITSTATUS(s->status));
}

__attribute__((format(printf, 2, 3)))
static int failed(struct sandbox *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	s->failed = 1;
	return -1;
}

/* The child's end, after a failure in the stream: wait for it to die (or
 * kill it) and say why it stopped. */
static int child_ended(struct sandbox *s, int grace_ms)
{
	reap(s, grace_ms);
	char how[256];
	describe_end(s, how, sizeof(how));
	return failed(s, "the reader in the sandbox %s", how);
}

static int wait_failure(struct sandbox *s, int rc)
{
	switch (rc) {
	case TIMEOUT:
		reap(s, 0);
		return failed(s, "the reader in the sandbox timed out: no frame for %u s",
		              s->lim.wall_seconds);
	case INTERRUPTED:
		return failed(s, "interrupted");
	case GONE: {
		child_ended(s, 2000);
		char how[sizeof(s->why)];
		snprintf(how, sizeof(how), "%s", s->why);
		if (s->at == 0)
			return failed(s, "%.900s while it opened its input", how);
		return failed(s, "%.900s after %llu bytes of the stream, before its end", how,
		              (unsigned long long)s->at);
	}
	default: {
		int err = errno;
		reap(s, 0);
		return failed(s, "cannot read from the sandbox: %s", strerror(err));
	}
	}
}

/* A frame the checks refused: the child is not to be trusted further. */
static int refused(struct sandbox *s, uint64_t at, int kind, const char *why)
{
	reap(s, 0);
	if (kind == FRAME_LIMIT)
		return failed(s, "the reader in the sandbox exceeded a limit: %s", why);
	return failed(s, "the reader in the sandbox sent a malformed frame at byte %llu: %s",
	              (unsigned long long)at, why);
}

/* The terminal frames: the child failed, or the filter stopped it. */
static int terminal(struct sandbox *s, uint64_t at)
{
	char why[256];
	if (s->hdr.type == FRAME_FILTER) {
		if (frame_filter_get(s->frame, s->hdr.len, &s->filter_nr, &s->filter_arch, why,
		                     sizeof(why)) < 0)
			return refused(s, at, FRAME_MALFORMED, why);
		s->filtered = 1;
		return child_ended(s, 2000);
	}
	int err;
	char text[FRAME_TEXT_MAX + 1];
	if (frame_error_get(s->frame, s->hdr.len, &err, text, sizeof(text)) < 0)
		return refused(s, at, FRAME_MALFORMED, text);
	reap(s, 2000);
	if (!text[0])
		snprintf(text, sizeof(text), "the reader in the sandbox failed without saying why");
	if (err == ENOMEM && !SANDBOX_ASAN)
		return failed(s, "the reader in the sandbox ran out of memory (limit %llu MiB): %s",
		              (unsigned long long)(s->lim.address_space >> 20), text);
	return failed(s, "%s", text);
}

/* Read and check the next frame's header and payload. GOT, a wait
 * failure, or -1 (already reported). */
static int get_frame(struct sandbox *s)
{
	unsigned char head[FRAME_HEADER_SIZE];
	uint64_t at = s->at;
	int64_t deadline = now_ms() + (int64_t)s->lim.wall_seconds * 1000;
	int rc = read_exact(s, head, sizeof(head), 1, deadline);
	if (rc != GOT)
		return wait_failure(s, rc);
	char why[512];
	rc = frame_header_get(head, &s->flim, &s->hdr, why, sizeof(why));
	if (rc < 0)
		return refused(s, at, rc, why);
	if (frame_stream_accept(&s->st, s->hdr.type, why, sizeof(why)) < 0)
		return refused(s, at, FRAME_MALFORMED, why);
	if (s->hdr.len > s->frame_cap) {
		unsigned char *p = realloc(s->frame, s->hdr.len);
		if (!p) {
			reap(s, 0);
			return failed(s, "cannot allocate %lu bytes for a frame", (unsigned long)s->hdr.len);
		}
		s->frame = p;
		s->frame_cap = s->hdr.len;
	}
	rc = read_exact(s, s->frame, s->hdr.len, 0, deadline);
	if (rc != GOT)
		return wait_failure(s, rc);
	s->at += FRAME_HEADER_SIZE + s->hdr.len;
	if (s->hdr.type == FRAME_ERROR || s->hdr.type == FRAME_FILTER)
		return terminal(s, at);
	return GOT;
}

static int sb_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct sandbox *s = (struct sandbox *)r;
	if (s->failed)
		return -1;
	if (!s->lim.want_data)
		return failed(s, "the sandbox was started without data");
	if (s->st.state != FS_DATA)
		return 0;
	uint64_t at = s->at;
	if (get_frame(s) != GOT)
		return -1;
	if (s->hdr.type == FRAME_EOD)
		return 0;
	char why[512];
	int rc = frame_data_get(s->frame, s->hdr.len, offset, buf, len, why, sizeof(why));
	if (rc == 0)
		rc = frame_stream_data(&s->st, *offset, *len, why, sizeof(why));
	if (rc < 0)
		return refused(s, at, rc, why);
	return 1;
}

static int grow(void **p, size_t *cap, size_t need, size_t unit)
{
	if (need <= *cap)
		return 0;
	void *q = realloc(*p, need * unit);
	if (!q)
		return -1;
	*p = q;
	*cap = need;
	return 0;
}

/* Append n bytes and a NUL to the names buffer; the offset, or -1. */
static int64_t put_name(struct sandbox *s, size_t *used, const void *p, size_t n)
{
	if (grow((void **)&s->names, &s->names_cap, *used + n + 1, 1) < 0)
		return -1;
	size_t at = *used;
	memcpy(s->names + at, p, n);
	s->names[at + n] = '\0';
	*used += n + 1;
	return (int64_t)at;
}

/* The ENTRY just read, and its XATTR frames, into *e. */
static int take_entry(struct sandbox *s, struct entry *e, uint64_t at)
{
	char why[512];
	struct frame_entry fe;
	int rc = frame_entry_get(s->frame, s->hdr.len, &s->flim, &fe, why, sizeof(why));
	if (rc == 0)
		rc = frame_stream_entry(&s->st, &fe, why, sizeof(why));
	if (rc < 0)
		return refused(s, at, rc, why);
	size_t used = 0;
	int64_t path = put_name(s, &used, fe.path, fe.path_len);
	int64_t link = fe.link ? put_name(s, &used, fe.link, fe.link_len) : 0;
	if (path < 0 || link < 0 ||
	    grow((void **)&s->xattrs, &s->xattrs_cap, fe.n_xattrs, sizeof(struct xattr)) < 0) {
		reap(s, 0);
		return failed(s, "cannot allocate an entry");
	}
	for (uint32_t i = 0; i < fe.n_xattrs; i++) {
		uint64_t xat = s->at;
		if (get_frame(s) != GOT)
			return -1;
		const char *name;
		const void *value;
		size_t nl, vl;
		rc = frame_xattr_get(s->frame, s->hdr.len, &s->flim, &name, &nl, &value, &vl, why,
		                     sizeof(why));
		if (rc < 0)
			return refused(s, xat, rc, why);
		int64_t n = put_name(s, &used, name, nl);
		int64_t v = put_name(s, &used, value, vl);
		if (n < 0 || v < 0) {
			reap(s, 0);
			return failed(s, "cannot allocate an entry");
		}
		/* offsets for now: the buffer may still move */
		s->xattrs[i] = (struct xattr){ (const char *)(uintptr_t)n, (const void *)(uintptr_t)v,
		                               vl };
	}
	for (uint32_t i = 0; i < fe.n_xattrs; i++) {
		s->xattrs[i].name = s->names + (uintptr_t)s->xattrs[i].name;
		s->xattrs[i].value = s->names + (uintptr_t)s->xattrs[i].value;
	}
	memset(e, 0, sizeof(*e));
	e->path = s->names + path;
	e->type = fe.type;
	e->perm = (mode_t)fe.perm;
	e->uid = fe.uid;
	e->gid = fe.gid;
	e->size = fe.size;
	e->mtime_sec = fe.mtime_sec;
	e->mtime_nsec = (long)fe.mtime_nsec;
	e->link = fe.link ? s->names + link : NULL;
	e->rdev = (dev_t)fe.rdev;
	e->xattrs = s->xattrs;
	e->n_xattrs = fe.n_xattrs;
	return 1;
}

/* The REFUSED just read, as an entry that only says so. */
static int take_refused(struct sandbox *s, struct entry *e, uint64_t at)
{
	char why[512];
	const char *path;
	size_t pl;
	int rc = frame_refused_get(s->frame, s->hdr.len, &s->flim, &path, &pl, s->refused_why,
	                           sizeof(s->refused_why), why, sizeof(why));
	if (rc < 0)
		return refused(s, at, rc, why);
	size_t used = 0;
	int64_t p = put_name(s, &used, path, pl);
	if (p < 0) {
		reap(s, 0);
		return failed(s, "cannot allocate an entry");
	}
	memset(e, 0, sizeof(*e));
	e->path = s->names + p;
	e->type = ENT_DIR;
	e->refused = s->refused_why;
	return 1;
}

static int sb_next(struct reader *r, struct entry *e)
{
	struct sandbox *s = (struct sandbox *)r;
	if (s->failed)
		return -1;
	if (s->ended)
		return 0;
	/* data the caller did not want is still read, and still checked */
	while (s->st.state == FS_DATA) {
		const void *buf;
		size_t len;
		int64_t off;
		int rc = sb_data(r, &buf, &len, &off);
		if (rc < 0)
			return -1;
		if (rc == 0)
			break;
	}
	uint64_t at = s->at;
	if (get_frame(s) != GOT)
		return -1;
	if (s->hdr.type == FRAME_DONE) {
		uint64_t n;
		char why[256];
		if (frame_done_get(s->frame, s->hdr.len, &n, why, sizeof(why)) < 0 ||
		    frame_stream_done(&s->st, n, why, sizeof(why)) < 0)
			return refused(s, at, FRAME_MALFORMED, why);
		s->ended = 1;
		return 0;
	}
	if (s->hdr.type == FRAME_REFUSED)
		return take_refused(s, e, at);
	return take_entry(s, e, at);
}

static const char *sb_error(struct reader *r)
{
	return ((struct sandbox *)r)->why;
}

static void sb_free(struct sandbox *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->in);
	free(s->frame);
	free(s->names);
	free(s->xattrs);
	free(s);
}

static int sb_close(struct reader *r, char *why, size_t size)
{
	struct sandbox *s = (struct sandbox *)r;
	if (!s->reaped) {
		if (!s->ended)
			kill(s->pid, SIGKILL);
		reap(s, s->ended ? 2000 : 0);
	}
	int rc = 0;
	if (s->failed) {
		snprintf(why, size, "%s", s->why);
		rc = -1;
	}
	sb_free(s);
	return rc;
}

static void set_defaults(struct sandbox_limits *l)
{
	if (!l->address_space)
		l->address_space = DEFAULT_AS;
	if (!l->cpu_seconds)
		l->cpu_seconds = DEFAULT_CPU;
	if (!l->wall_seconds)
		l->wall_seconds = DEFAULT_WALL;
	if (!l->max_entries)
		l->max_entries = DEFAULT_ENTRIES;
	if (!l->max_path)
		l->max_path = DEFAULT_PATH;
	if (!l->max_link)
		l->max_link = DEFAULT_LINK;
	if (!l->max_xattrs)
		l->max_xattrs = DEFAULT_XATTRS;
	if (!l->max_xattr_size)
		l->max_xattr_size = DEFAULT_XATTR_SIZE;
}

/* The extra syscalls by number; -1 with why on an unknown name. */
static int resolve_extra(int *out, size_t max, size_t *n, char *why, size_t size)
{
	*n = 0;
	for (size_t i = 0; extra_names && extra_names[i]; i++) {
		if (*n == max) {
			snprintf(why, size, "sandbox: more than %zu extra syscalls", max);
			return -1;
		}
		int nr = seccomp_syscall_resolve_name(extra_names[i]);
		if (nr == __NR_SCMP_ERROR) {
			snprintf(why, size, "sandbox: unknown syscall '%s'", extra_names[i]);
			return -1;
		}
		out[(*n)++] = nr;
	}
	return 0;
}

struct reader *sandbox_start(sandbox_open_fn open_fn, void *arg, const struct sandbox_limits *lim,
                             char *why, size_t size)
{
	int extra[64];
	size_t n_extra;
	if (resolve_extra(extra, 64, &n_extra, why, size) < 0)
		return NULL;
	struct sandbox *s = calloc(1, sizeof(*s));
	if (!s || !(s->in = malloc(INBUF_SIZE))) {
		free(s);
		snprintf(why, size, "sandbox: cannot allocate");
		return NULL;
	}
	s->fd = -1;
	s->lim = *lim;
	set_defaults(&s->lim);
	s->flim = (struct frame_limits){ s->lim.max_entries, s->lim.max_path, s->lim.max_link,
	                                 s->lim.max_xattrs, s->lim.max_xattr_size };
	frame_stream_init(&s->st, &s->flim, s->lim.want_data);
	s->ops = (struct reader){ sb_next, sb_data, sb_error, sb_close };
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(why, size, "sandbox: cannot make a pipe: %s", strerror(errno));
		sb_free(s);
		return NULL;
	}
	fcntl(p[1], F_SETPIPE_SZ, 1024 * 1024); /* fewer wake-ups; the default is fine too */
	pid_t parent = getpid();
	/* no handler of the parent's may run in the child before it resets them */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	s->pid = fork();
	if (s->pid != 0)
		sigprocmask(SIG_SETMASK, &old, NULL);
	if (s->pid < 0) {
		snprintf(why, size, "sandbox: cannot fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		sb_free(s);
		return NULL;
	}
	if (s->pid == 0) {
		close(p[0]);
		child_main(p[1], parent, open_fn, arg, &s->lim, extra, n_extra);
		syscall(SYS_exit_group, 1);
	}
	close(p[1]);
	s->fd = p[0];
	/* the first frame: HELLO once confined, or why it could not be */
	uint64_t at = s->at;
	int rc = get_frame(s);
	if (rc == GOT) {
		char w[256];
		if (frame_hello_get(s->frame, s->hdr.len, w, sizeof(w)) == 0)
			return &s->ops;
		refused(s, at, FRAME_MALFORMED, w);
	}
	snprintf(why, size, "%s", s->why);
	sb_close(&s->ops, NULL, 0);
	return NULL;
}

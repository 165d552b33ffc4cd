/* sandbox.h - run any struct reader in a confined child process and read
 * its entries back through a validated framed stream (frame.h) */
#ifndef EXTRACT_SANDBOX_H
#define EXTRACT_SANDBOX_H

#include "entry.h"

/* A field left 0 takes its default: address_space 1 GiB, cpu_seconds 600,
 * wall_seconds 60, max_entries 10,000,000, max_path 65536, max_link 65536,
 * max_xattrs 256, max_xattr_size 65536. */
struct sandbox_limits {
	uint64_t address_space;      /* RLIMIT_AS bytes for the child */
	unsigned cpu_seconds;        /* RLIMIT_CPU */
	unsigned wall_seconds;       /* the parent kills the child after this long without a frame */
	size_t max_entries, max_path, max_link, max_xattrs, max_xattr_size;
	int want_data;               /* 0: the child never calls the inner reader's data() (ls) */
};

/* Runs in the child after fork, before the filter: opens every input it needs (files, the
 * NBD connection, which may start qemu-nbd) and returns the inner reader, or NULL with why.
 * Every fd the child inherited from the parent is closed when open returns (stdin, stdout
 * and stderr become /dev/null): to keep an fd the parent opened, open must dup() it. The
 * inner reader's close() is never called: the child exits and the kernel releases all. */
typedef struct reader *(*sandbox_open_fn)(void *arg, char *why, size_t size);

/* Fork a child that calls open(arg), then sets rlimits (address space, CPU, RLIMIT_NOFILE and
 * RLIMIT_FSIZE 0 so it opens and writes no new files), PR_SET_NO_NEW_PRIVS, a libseccomp filter
 * (default: kill; allow only what reading fds, poll, mmap/brk for malloc, clock and exit need,
 * plus sandbox_allow_extra's), and streams every entry (and, with want_data, its data blocks
 * with their offsets) over a pipe in a small framed format. In the parent, returns a struct
 * reader whose next()/data() decode and VALIDATE each frame (lengths, path bytes: no NUL, no
 * empty component, no "." or "..", not absolute; counts; offsets increasing and within size)
 * before anyone sees it. error() says plainly when the child crashed (signal), was killed by
 * the filter (SIGSYS, naming the syscall number if known), timed out, exceeded a limit, or sent
 * a malformed frame. NULL with why when the child cannot be started. close() reaps the child.
 *
 * sandbox_start returns once the child is confined (or has failed to open: then NULL, with
 * open's why). Call it, and use the reader, from one thread: the child dies with the thread
 * that forked it (PR_SET_PDEATHSIG). A signal that interrupts a wait for the child (EINTR:
 * Ctrl-C) makes next()/data() fail with "interrupted"; the child ignores SIGINT and SIGQUIT,
 * so the parent decides, and close() kills it. */
struct reader *sandbox_start(sandbox_open_fn open, void *arg, const struct sandbox_limits *lim,
                             char *why, size_t size);

/* Syscalls (by name) that the caller's inner reader needs beyond the base set; NULL-terminated.
 * Set before sandbox_start; the array is read by every later sandbox_start, so it must stay
 * alive (a static table). An unknown name makes sandbox_start fail. */
void sandbox_allow_extra(const char *const *names);

#endif

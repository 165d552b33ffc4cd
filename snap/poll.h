/* poll.h - one clock, one deadline per command, and the one
 * poll-with-deadline every wait uses; signals end every wait */
#ifndef SNAP_POLL_H
#define SNAP_POLL_H

#include <signal.h>

/* Set by SIGINT and SIGTERM; every wait checks it. */
extern volatile sig_atomic_t snap_interrupted;

/* Monotonic seconds. */
double mono_now(void);

/* A command's deadline: set once from --timeout, shared by all its waits. */
struct deadline {
	double end;
	long long seconds;   /* as given, for messages */
};

void deadline_start(struct deadline *d, long long seconds);
/* Seconds left, <= 0 once passed. */
double deadline_left(const struct deadline *d);

/* Sleep up to ms, in slices of at most 100 ms, returning early (-1) once
 * interrupted. */
int sleep_interruptible(long ms);

/* What a poll callback returns to go on; anything else ends the poll. */
#define POLL_AGAIN (-1)

struct poll_opts {
	long first_ms;   /* first pause; each next one is half as long again */
	long max_ms;     /* no pause longer */
};

/* Call fn(userdata) at once, then again after each pause, until it
 * returns something other than POLL_AGAIN (that value is returned: an
 * exit code, EXIT_OK when done), the deadline passes (EXIT_TIMEOUT), or a
 * signal arrives (EXIT_INTERRUPTED). fn is called at least once, and last
 * at the deadline. */
int poll_until(const struct deadline *d, const struct poll_opts *opts,
               int (*fn)(void *userdata), void *userdata);

#endif

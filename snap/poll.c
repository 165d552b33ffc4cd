/* poll.c - the clock, the deadline and the poll loop */
#include <time.h>
#include "exit.h"
#include "poll.h"

volatile sig_atomic_t snap_interrupted;

double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void deadline_start(struct deadline *d, long long seconds)
{
	d->seconds = seconds;
	d->end = mono_now() + (double)seconds;
}

double deadline_left(const struct deadline *d)
{
	return d->end - mono_now();
}

int sleep_interruptible(long ms)
{
	while (ms > 0 && !snap_interrupted) {
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, slice * 1000000L };
		nanosleep(&ts, NULL);
		ms -= slice;
	}
	return snap_interrupted ? -1 : 0;
}

int poll_until(const struct deadline *d, const struct poll_opts *opts,
               int (*fn)(void *userdata), void *userdata)
{
	long pause = opts->first_ms;
	for (;;) {
		if (snap_interrupted)
			return EXIT_INTERRUPTED;
		int rc = fn(userdata);
		if (rc != POLL_AGAIN)
			return rc;
		double left = deadline_left(d);
		if (left <= 0)
			return EXIT_TIMEOUT;
		long ms = pause;
		if ((double)ms / 1000.0 > left)
			ms = (long)(left * 1000.0) + 1;
		if (sleep_interruptible(ms) < 0)
			return EXIT_INTERRUPTED;
		pause = pause * 3 / 2;
		if (pause > opts->max_ms)
			pause = opts->max_ms;
	}
}

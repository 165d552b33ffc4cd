/* test_poll.c - the one poll-with-deadline: its callback's exit codes are
 * never mistaken for "done", the deadline is one for all, and a signal
 * ends the wait within a pause slice */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../snap/exit.h"
#include "../../snap/poll.h"

struct script {
	int calls;
	int answers[8];
	int n;
	int interrupt_at;   /* set snap_interrupted on this call (1-based), 0: never */
};

static int scripted(void *userdata)
{
	struct script *s = userdata;
	s->calls++;
	if (s->interrupt_at == s->calls)
		snap_interrupted = 1;
	return s->calls <= s->n ? s->answers[s->calls - 1] : POLL_AGAIN;
}

static const struct poll_opts fast = { 1, 2 };

static void test_codes_pass_through(void **state)
{
	(void)state;
	/* EXIT_FAIL is 1: it must come back as a failure, not as done */
	static const int codes[] = { EXIT_OK, EXIT_FAIL, EXIT_REFUSED, EXIT_NOT_FOUND };
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		struct deadline d;
		deadline_start(&d, 10);
		struct script s = { .answers = { POLL_AGAIN, POLL_AGAIN, codes[i] }, .n = 3 };
		snap_interrupted = 0;
		assert_int_equal(poll_until(&d, &fast, scripted, &s), codes[i]);
		assert_int_equal(s.calls, 3);
	}
}

static void test_deadline_is_shared(void **state)
{
	(void)state;
	struct deadline d;
	deadline_start(&d, 0);
	struct script s = { .n = 0 };
	snap_interrupted = 0;
	/* a spent deadline: one look, then the timeout, for every wait after */
	assert_int_equal(poll_until(&d, &fast, scripted, &s), EXIT_TIMEOUT);
	assert_int_equal(s.calls, 1);
	assert_int_equal(poll_until(&d, &fast, scripted, &s), EXIT_TIMEOUT);
	assert_int_equal(s.calls, 2);
}

static void test_signal_ends_the_wait(void **state)
{
	(void)state;
	struct deadline d;
	deadline_start(&d, 3600);
	struct script s = { .n = 0, .interrupt_at = 2 };
	const struct poll_opts slow = { 60000, 60000 };
	snap_interrupted = 0;
	double t0 = mono_now();
	struct script first = { .n = 0, .interrupt_at = 1 };
	assert_int_equal(poll_until(&d, &slow, scripted, &first), EXIT_INTERRUPTED);
	assert_true(mono_now() - t0 < 1.0);
	snap_interrupted = 0;
	(void)s;
	assert_int_equal(sleep_interruptible(50), 0);
	snap_interrupted = 1;
	t0 = mono_now();
	assert_int_equal(sleep_interruptible(60000), -1);
	assert_true(mono_now() - t0 < 0.2);
	snap_interrupted = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_pass_through),
		cmocka_unit_test(test_deadline_is_shared),
		cmocka_unit_test(test_signal_ends_the_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

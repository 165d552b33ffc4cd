/* test_parse.c - durations, Retry-After, ISO 8601, backoff, URLs */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "internal.h"

static void test_duration(void **state)
{
	(void)state;
	static const struct { const char *in; int rc; long long secs; } cases[] = {
		{ "90s", 0, 90 }, { "15m", 0, 900 }, { "2h", 0, 7200 }, { "1d", 0, 86400 },
		{ "1h30m", 0, 5400 }, { "1d12h", 0, 129600 }, { "2h30m15s", 0, 9015 },
		{ "1d1h1m1s", 0, 90061 }, { "0s", 0, 0 }, { "90m", 0, 5400 },
		/* a bare number has no unit */
		{ "45", -1, 0 }, { "0", -1, 0 }, { "5", -1, 0 }, { "1h30", -1, 0 },
		/* units largest first, each once */
		{ "30m1h", -1, 0 }, { "1h1h", -1, 0 }, { "1s1s", -1, 0 }, { "1m1d", -1, 0 },
		{ "", -1, 0 }, { "h", -1, 0 }, { "1hm", -1, 0 }, { "1h 30m", -1, 0 },
		{ "-5m", -1, 0 }, { "+5m", -1, 0 }, { "5x", -1, 0 }, { "5mm", -1, 0 }, { " 5s", -1, 0 },
		{ "5s ", -1, 0 }, { "1.5h", -1, 0 }, { "5M", -1, 0 },
		/* overflow: of a number, a product, a sum */
		{ "99999999999999999999s", -1, 0 }, { "9223372036854775807d", -1, 0 },
		{ "9223372036854775807s", 0, 9223372036854775807LL },
		{ "1s9223372036854775807s", -1, 0 }, { "1m9223372036854775807s", -1, 0 },
		{ "106751991167301d", -1, 0 }, { "106751991167300d1s", 0, 106751991167300LL * 86400 + 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		long long got = -7;
		int rc = conoha_parse_duration(cases[i].in, &got);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(got, cases[i].secs);
	}
}

static void test_retry_after(void **state)
{
	(void)state;
	time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	static const struct { const char *in; long want; } cases[] = {
		{ "0", 0 }, { "7", 7 }, { " 30", 30 }, { "120\r\n", 120 },
		{ "Sun, 06 Nov 1994 08:49:47 GMT", 10 },
		{ "Sun, 06 Nov 1994 08:49:27 GMT", 0 }, /* already past */
		{ "soon", -1 }, { "", -1 }, { "5s", -1 }, { "Sun, 06 Nov 1994", -1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(conoha_parse_retry_after(cases[i].in, now), cases[i].want);
	assert_int_equal(conoha_parse_retry_after(NULL, now), -1);
}

static void test_iso8601(void **state)
{
	(void)state;
	static const struct { const char *in; int rc; time_t want; } cases[] = {
		{ "2026-11-29T12:00:00Z", 0, 1795953600 },
		{ "2026-11-29T12:00:00.123456Z", 0, 1795953600 },
		{ "2026-11-29T21:00:00+09:00", 0, 1795953600 },
		{ "2026-11-29T07:30:00-04:30", 0, 1795953600 },
		{ "2026-11-29T12:00:00", 0, 1795953600 },
		{ "2026-11-29T17:30:00+0530", 0, 1795953600 },
		{ "2026-11-29T21:00:00+09", 0, 1795953600 },
		/* odd offsets: garbage, and never a byte read past the end */
		{ "2026-11-29T17:30:00+5:30", -1, 0 }, { "2026-11-29T12:00:00+", -1, 0 },
		{ "2026-11-29T12:00:00+0", -1, 0 }, { "2026-11-29T12:00:00+05:", -1, 0 },
		{ "2026-11-29T12:00:00+05:3", -1, 0 }, { "2026-11-29T12:00:00+24:00", -1, 0 },
		{ "2026-11-29T12:00:00+05:30x", -1, 0 },
		{ "2026-11-29", -1, 0 }, { "2026-11-29T12:00:00Zjunk", -1, 0 },
		{ "2026-11-29T12:00:00.Z", -1, 0 }, { "garbage", -1, 0 },
		{ "2026-11-29T12:00:00+ 5:30", -1, 0 }, { "2026-11-29T12:00:00+05:3x", -1, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		time_t got = 0;
		/* on the heap, exactly as long as it is: ASan sees a read past it */
		char *in = strdup(cases[i].in);
		int rc = conoha_parse_iso8601(in, &got);
		free(in);
		assert_int_equal(rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(got, cases[i].want);
	}
}

static void test_backoff_bounds(void **state)
{
	(void)state;
	struct retry_policy p = { .max_attempts = 10, .base_ms = 200, .cap_ms = 5000 };
	for (unsigned attempt = 1; attempt <= 12; attempt++) {
		long step = 200;
		for (unsigned i = 1; i < attempt && step < 5000; i++)
			step *= 2;
		if (step > 5000)
			step = 5000;
		long lo = backoff_ms(&p, attempt, 0.0);
		long hi = backoff_ms(&p, attempt, 0.999999);
		long mid = backoff_ms(&p, attempt, 0.5);
		assert_int_equal(lo, step / 2);
		assert_true(hi <= step && hi >= step - 1);
		assert_true(mid > lo && mid < hi);
	}
	/* out-of-range randomness is clamped, never beyond the cap */
	assert_true(backoff_ms(&p, 30, 7.0) <= 5000);
	assert_int_equal(backoff_ms(&p, 0, -1.0), 100);
}

static void test_retryable_statuses(void **state)
{
	(void)state;
	static const struct { long status; bool idem; bool want; } cases[] = {
		{ 429, false, true }, { 429, true, true }, { 503, true, true },
		{ 503, false, false }, { 502, true, true }, { 504, true, true },
		{ 500, true, false }, { 401, true, false }, { 404, true, false },
		{ 409, false, false }, { 200, true, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(status_is_retryable(cases[i].status, cases[i].idem),
		                 cases[i].want);
}

static void test_url_expand(void **state)
{
	(void)state;
	static const struct { const char *in, *want; } cases[] = {
		{ "https://compute.tyo1.conoha.io/v2/%(tenant_id)s", "https://compute.tyo1.conoha.io/v2/t1" },
		{ "https://x/v2/$(tenant_id)s/", "https://x/v2/t1" },
		{ "https://x/v3/{project_id}/a/{project_id}", "https://x/v3/t1/a/t1" },
		{ "https://x/v2.1///", "https://x/v2.1" },
		{ "https://x/plain", "https://x/plain" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = url_expand(cases[i].in, "t1");
		assert_string_equal(got, cases[i].want);
		free(got);
	}
	/* a project id (the cloud's word) holding a placeholder is put in once */
	char *x = url_expand("https://x/%(tenant_id)s/{project_id}", "p{project_id}%(tenant_id)s");
	assert_string_equal(x, "https://x/p{project_id}%(tenant_id)s/p{project_id}%(tenant_id)s");
	free(x);
	char *j = url_join("https://x/v2.1/", "/servers/detail");
	assert_string_equal(j, "https://x/v2.1/servers/detail");
	free(j);
	char *e = url_escape("a b/ü&=");
	assert_string_equal(e, "a%20b%2F%C3%BC%26%3D");
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_retryable_statuses),
		cmocka_unit_test(test_url_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* retry.c - how long to wait, and whether to try again at all */
#include "internal.h"

const struct retry_policy default_retry_policy = {
	.max_attempts = 5,
	.base_ms = 250,
	.cap_ms = 20000,
	.retry_after_cap_s = 120,
};

long backoff_ms(const struct retry_policy *p, unsigned attempt, double rnd)
{
	if (attempt < 1)
		attempt = 1;
	long d = p->base_ms;
	for (unsigned i = 1; i < attempt && d < p->cap_ms; i++)
		d *= 2;
	if (d > p->cap_ms)
		d = p->cap_ms;
	if (rnd < 0)
		rnd = 0;
	if (rnd >= 1)
		rnd = 0.999999;
	/* Equal jitter: never less than half the step, so a storm of clients
	 * spreads out without any of them hammering at once. */
	return d / 2 + (long)((double)(d - d / 2) * rnd);
}

bool status_is_retryable(long status, bool idempotent)
{
	/* 429 means the request was not processed at all, so even a POST
	 * can be sent again; 502/503/504 may hide a request that ran. */
	if (status == 429)
		return true;
	if (status == 502 || status == 503 || status == 504)
		return idempotent;
	return false;
}

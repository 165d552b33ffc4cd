/* global.c - process-wide set-up */
#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include "internal.h"

int conoha_global_init(conoha_error *err)
{
	/* Passwords and tokens pass through jansson when requests are built
	 * and answers parsed: wipe every block it frees. */
	json_set_alloc_funcs(malloc, secret_free);
	/* A core dump, or another process of the user reading /proc/PID/mem,
	 * would see the password and the tokens in clear: curl's and
	 * OpenSSL's buffers cannot all be wiped or left out of a dump, so
	 * the process as a whole is not dumpable. */
	if (prctl(PR_SET_DUMPABLE, 0L, 0L, 0L, 0L) < 0)
		return set_errno_error(err, errno, "cannot keep secrets out of core dumps");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return set_error(err, CONOHA_ERR_INTERNAL, "cannot initialise libcurl");
	return 0;
}

void conoha_global_cleanup(void)
{
	curl_global_cleanup();
}

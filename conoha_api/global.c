/* global.c - process-wide set-up */
#include <curl/curl.h>
#include <stdlib.h>
#include "internal.h"

int conoha_global_init(conoha_error *err)
{
	/* Passwords and tokens pass through jansson when requests are built
	 * and answers parsed: wipe every block it frees. */
	json_set_alloc_funcs(malloc, secret_free);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return set_error(err, CONOHA_ERR_INTERNAL, "cannot initialise libcurl");
	return 0;
}

void conoha_global_cleanup(void)
{
	curl_global_cleanup();
}

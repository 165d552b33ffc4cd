/* fuzz_retry_after.c - conoha_parse_retry_after (seconds or HTTP-date) */
#include <assert.h>
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	long v = conoha_parse_retry_after(s, 784111777);
	assert(v >= -1);
	free(s);
	return 0;
}

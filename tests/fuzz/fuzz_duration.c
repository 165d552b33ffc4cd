/* fuzz_duration.c - conoha_parse_duration ("90s", "15m", "2h", "1d") */
#include <assert.h>
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	long long secs = -1;
	if (conoha_parse_duration(s, &secs) == 0)
		assert(secs >= 0);
	free(s);
	return 0;
}

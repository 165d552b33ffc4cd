/* fuzz_iso8601.c - conoha_parse_iso8601 (token expiry, image times). The
 * input is copied to an allocation of exactly its length plus the NUL, so
 * a read past the end is an ASan report, not a quiet read of slack. */
#include "fuzz.h"
#include "internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	time_t t;
	(void)conoha_parse_iso8601(s, &t);
	free(s);
	return 0;
}

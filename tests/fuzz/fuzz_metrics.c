/* fuzz_metrics.c - the metrics file lifeboat-snap reads back before it
 * rewrites it (metrics_parse): whatever it accepts, formatting it and
 * parsing that again gives the same text, so a run never writes a file
 * the next run cannot read */
#include "fuzz.h"
#include "../../snap/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct metrics_set set = { 0 };
	if (metrics_parse(&set, s) == 0) {
		struct metrics_run run = { .server = "web\"1\\\n", .command = "create", .ok = false,
		                           .image_bytes = -1 };
		if (metrics_apply(&set, &run) < 0)
			abort();
		char *text = metrics_format(&set);
		struct metrics_set again = { 0 };
		if (!text || metrics_parse(&again, text) < 0)
			abort();
		char *text2 = metrics_format(&again);
		if (!text2 || strcmp(text, text2) != 0)
			abort();
		free(text);
		free(text2);
		metrics_set_free(&again);
	}
	metrics_set_free(&set);
	free(s);
	return 0;
}

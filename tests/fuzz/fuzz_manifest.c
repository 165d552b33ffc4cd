/* fuzz_manifest.c - the lines "lifeboat-extract verify" reads back from a
 * manifest, and the path escaping both ways: whatever unescapes must
 * escape and unescape to itself */
#include <signal.h>
#include <stdio.h>
#include "fuzz.h"
#include "../../extract/manifest.h"
#include "../../extract/writer.h"

/* main.c's flag, which verify polls: never set here */
volatile sig_atomic_t extract_interrupted;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	for (char *line = text, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct line l = { 0 };
		if (manifest_parse_line(line, &l) == 0) {
			char *again = manifest_escape(l.path);
			char *back = again ? manifest_unescape(again) : NULL;
			if (!back || strcmp(back, l.path) != 0)
				abort();
			free(again);
			free(back);
			free(l.path);
			free(l.target);
		}
		free(manifest_unescape(line));
	}
	free(text);
	return 0;
}

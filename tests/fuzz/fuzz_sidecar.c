/* fuzz_sidecar.c - FILE.sha512 as verify reads it: the input is the
 * sidecar; a hash is taken only when it is 128 hex digits */
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../snap/verify.h"

static char image[96], sidecar[112];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!image[0]) {
		snprintf(image, sizeof(image), "%s/img.qcow2", fuzz_tmpdir());
		snprintf(sidecar, sizeof(sidecar), "%s.sha512", image);
	}
	FILE *f = fopen(sidecar, "we");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	char *hex = read_sidecar(image);
	if (hex && (strlen(hex) != 128 || strspn(hex, "0123456789abcdefABCDEF") != 128))
		abort();
	free(hex);
	return 0;
}

/* fuzz_qcow2.c - an image's first bytes as the one image policy reads them
 * (common/image_policy.c: the whole qcow2 header, every extension, the
 * layout), for both programs, with and without a format the cloud named,
 * with and without lifeboat-extract's smallest size */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"
#include "image_policy.h"

static char path[96];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof(path), "%s/disk.img", fuzz_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	static const char *const formats[] = { NULL, "raw", "qcow2" };
	struct image_request req = {
		.path = path,
		.expected_format = formats[size % 3],
		.allow_backing = size % 2 == 1,
		.min_size = size % 5 < 2 ? IMAGE_MIN_DISK : 0,   /* lifeboat-extract's ask */
	};
	struct image_decision d;
	enum image_verdict v = image_decide(&req, &d);
	/* a refusal always says why; an acceptance names its format */
	if (v != IMAGE_OK ? !d.why[0] : !d.format[0])
		abort();
	image_decision_free(&d);
	return 0;
}

/* fuzz_qcow2.c - a qcow2 header and what it points at, as both programs
 * read it: common/qcow2.c's fields and backing name, then
 * lifeboat-extract's probe (layout, L1/L2 tables, the backing file) */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "fuzz.h"
#include "qcow2.h"
#include "../../extract/image.h"

static char path[96];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0])
		snprintf(path, sizeof(path), "%s/disk.qcow2", fuzz_tmpdir());
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	struct qcow2_header h;
	if (qcow2_read_header(fd, &h) == 1) {
		char backing[64];
		if (qcow2_read_backing(fd, &h, backing, sizeof(backing)) == 0 &&
		    !memchr(backing, '\0', sizeof(backing)))
			abort();
	}
	close(fd);
	static struct image_info info;
	char why[512];
	(void)image_probe(path, NULL, size % 2 == 1, &info, why, sizeof(why));
	return 0;
}

/* fuzz_ext4.c - the native reader's child side over a crafted image: the
 * input is a raw disk (a small valid ext4 in the seeds, which the fuzzer
 * bends), read as the sandboxed child reads it - extract/reader_native.c
 * over part.c, ext4.c (libext2fs with lifeboat's read-only io_manager)
 * and journal.c - every entry and every byte of data, as a copy asks.
 *
 * In process, not in the sandbox: libFuzzer counts coverage and the
 * sanitizers report in its own process only; a forked child's edges
 * would be lost and its faults would end as SIGSYS from the filter, not
 * as a report. The sandbox is tested on its own (tests/unit/test_sandbox.c).
 *
 * The first byte chooses the operation (copy, ls -R, or the description
 * alone); the rest is the disk, held in a memfd. Entries must be what the
 * parent can be sent: a path without NUL, a refusal with its reason,
 * blocks of data in order and inside the file. */
#include <sys/mman.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../extract/frame.h"
#include "../../extract/reader_native.h"

#define MAX_ENTRIES 2000
#define MAX_DATA (8u << 20)

static int memfd = -1;
static char image[64];

static void read_all(struct reader *r)
{
	struct entry e;
	size_t entries = 0, data = 0;
	int rc;
	while (entries++ < MAX_ENTRIES && (rc = r->next(r, &e)) == 1) {
		if (!e.path || (!e.path[0] && !e.refused))
			abort();
		if (e.refused) {
			if (!e.refused[0])
				abort();
			continue;
		}
		if (frame_entry_size(&e) == 0 && strlen(e.path) < 65536)
			abort();   /* the child could not frame it */
		if (e.type != ENT_FILE)
			continue;
		const void *buf;
		size_t len;
		int64_t off, end = 0;
		while (data < MAX_DATA && (rc = r->data(r, &buf, &len, &off)) == 1) {
			if (off < end || (e.size >= 0 && (off > e.size || (int64_t)len > e.size - off)))
				abort();   /* the parent would refuse it: the child must not send it */
			if (len)
				((volatile const char *)buf)[len - 1];
			end = off + (int64_t)len;
			data += len;
		}
		if (data >= MAX_DATA)
			break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (memfd < 0) {
		memfd = memfd_create("fuzz-ext4", MFD_CLOEXEC);
		if (memfd < 0)
			abort();
		snprintf(image, sizeof(image), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) < 0 ||
	    (size > 1 && pwrite(memfd, data + 1, size - 1, 0) != (ssize_t)(size - 1)))
		abort();
	static const enum native_op ops[4] = { NATIVE_TREE, NATIVE_LIST, NATIVE_FILESYSTEMS,
	                                       NATIVE_TREE };
	struct native_request req = {
		.image = image, .format = "raw", .op = ops[data[0] & 3],
		.path = "/", .prefix = data[0] & 4 ? "root" : "", .recursive = true,
	};
	char why[1024] = "";
	struct reader *r = native_open(&req, why, sizeof(why));
	if (!r) {
		if (!why[0])
			abort();   /* a refusal says why */
		return 0;
	}
	read_all(r);
	char ignored[256];
	r->close(r, ignored, sizeof(ignored));
	return 0;
}

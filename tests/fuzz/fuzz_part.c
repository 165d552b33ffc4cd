/* fuzz_part.c - the partition-table reader (extract/part.c) over a disk
 * that is the input: GPT with both headers and the entry array, MBR with
 * its chain of extended boot records. The first byte chooses whether the
 * disk is the input alone or the input followed by zeros up to a larger
 * size (the backup GPT header then lies beyond what the input holds). */
#include "fuzz.h"
#include "../../extract/part.h"

struct disk {
	const uint8_t *data;
	size_t size;          /* bytes the input gives */
	uint64_t disk_size;   /* bytes the disk claims */
};

static int rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct disk *d = ctx;
	if (off > d->disk_size || len > d->disk_size - off)
		return -1;    /* as disk_pread refuses it */
	memset(buf, 0, len);
	if (off < d->size) {
		size_t n = d->size - off < len ? d->size - (size_t)off : len;
		memcpy(buf, d->data + off, n);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const uint64_t pad[4] = { 0, 1u << 20, 64u << 20, UINT64_C(1) << 41 };
	struct disk d = { data + 1, size - 1, 0 };
	d.disk_size = d.size + pad[data[0] & 3];
	static struct part_table t;
	char why[512] = "";
	memset(&t, 0xa5, sizeof(t));
	int rc = part_scan(rd, &d, d.disk_size, &t, why, sizeof(why));
	if (rc < 0) {
		if (!why[0] || !memchr(why, '\0', sizeof(why)))
			abort();   /* a refusal says why */
		return 0;
	}
	if (rc != 0 || t.n > PART_MAX || !memchr(t.scheme, '\0', sizeof(t.scheme)) ||
	    !memchr(t.warning, '\0', sizeof(t.warning)))
		abort();
	if (strcmp(t.scheme, "gpt") && strcmp(t.scheme, "mbr") && strcmp(t.scheme, "none"))
		abort();
	for (size_t i = 0; i < t.n; i++) {
		const struct partition *p = &t.p[i];
		/* every partition accepted lies inside the disk, and is not empty */
		if (p->size == 0 || p->start > d.disk_size || p->size > d.disk_size - p->start)
			abort();
		if (!memchr(p->guid, '\0', sizeof(p->guid)))
			abort();
	}
	return 0;
}

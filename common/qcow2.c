/* qcow2.c - header fields at their documented offsets, big-endian */
#include <string.h>
#include <unistd.h>
#include "qcow2.h"

#define QCOW2_HEADER_V2 72

uint64_t qcow2_be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

uint32_t qcow2_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int qcow2_read_header(int fd, struct qcow2_header *h)
{
	unsigned char b[QCOW2_HEADER_V2];
	memset(h, 0, sizeof(*h));
	ssize_t n = pread(fd, b, sizeof(b), 0);
	if (n < 0)
		return -1;
	if (n < 4 || memcmp(b, "QFI\xfb", 4) != 0)
		return 0;
	if (n < QCOW2_HEADER_V2)
		return -1;
	h->version = qcow2_be32(b + 4);
	h->backing_offset = qcow2_be64(b + 8);
	h->backing_size = qcow2_be32(b + 16);
	h->cluster_bits = qcow2_be32(b + 20);
	h->virtual_size = qcow2_be64(b + 24);
	h->l1_size = qcow2_be32(b + 36);
	h->l1_offset = qcow2_be64(b + 40);
	h->refcount_offset = qcow2_be64(b + 48);
	h->refcount_clusters = qcow2_be32(b + 56);
	return 1;
}

int qcow2_read_backing(int fd, const struct qcow2_header *h, char *buf, size_t size)
{
	buf[0] = '\0';
	if (h->backing_offset == 0 || size == 0)
		return 0;
	size_t want = h->backing_size < size - 1 ? h->backing_size : size - 1;
	ssize_t n = pread(fd, buf, want, (off_t)h->backing_offset);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

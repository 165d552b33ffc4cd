/* qcow2.h - the qcow2 header, read by lifeboat itself (both programs):
 * no qemu, no library, just the bytes */
#ifndef LIFEBOAT_QCOW2_H
#define LIFEBOAT_QCOW2_H

#include <stddef.h>
#include <stdint.h>

struct qcow2_header {
	uint32_t version;
	uint64_t backing_offset;   /* 0 when there is no backing file */
	uint32_t backing_size;
	uint32_t cluster_bits;
	uint64_t virtual_size;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t refcount_offset;
	uint32_t refcount_clusters;
};

uint64_t qcow2_be64(const unsigned char *p);
uint32_t qcow2_be32(const unsigned char *p);

/* Read fd's header: 1 when it is qcow2 (h filled), 0 when it has no qcow2
 * magic, -1 when the header is cut short or unreadable. */
int qcow2_read_header(int fd, struct qcow2_header *h);

/* The backing file's name into buf (NUL-terminated, cut to size - 1);
 * "" when there is none. -1 when it cannot be read. */
int qcow2_read_backing(int fd, const struct qcow2_header *h, char *buf, size_t size);

#endif

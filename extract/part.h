/* part.h - a disk's partitions: GPT (both headers and the entry array
 * checked by their CRCs) or MBR with extended and logical partitions;
 * a small parser bounded in every length and count it reads */
#ifndef EXTRACT_PART_H
#define EXTRACT_PART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PART_MAX 128

/* Reads LEN bytes at OFF of the disk: 0, or -1. */
typedef int (*part_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);

struct partition {
	unsigned number;        /* as Linux names it: sda<number>; 0 for the whole disk */
	uint64_t start, size;   /* bytes */
	char guid[37];          /* GPT: the partition's unique GUID, "" for MBR */
	unsigned mbr_type;      /* MBR: the type byte */
};

struct part_table {
	char scheme[8];         /* "gpt", "mbr" or "none" (a filesystem on the whole disk) */
	size_t n;
	struct partition p[PART_MAX];
	char warning[160];      /* e.g. one GPT header bad, the other used; "" if none */
};

/* Fill T from the disk of DISK_SIZE bytes. A table that is present but
 * corrupt (both GPT headers bad, a partition past the disk's end, an
 * extended chain that loops) is -1 with why. */
int part_scan(part_read_fn rd, void *ctx, uint64_t disk_size, struct part_table *t,
              char *why, size_t size);

/* CRC-32 (IEEE 802.3) as GPT uses it. */
uint32_t part_crc32(const void *buf, size_t len);

#endif

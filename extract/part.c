/* part.c - GPT and MBR, read by lifeboat itself: every offset, size and
 * count from the disk is checked before it is used */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "part.h"
#include "bytes.h"

#define SECTOR 512u
#define GPT_MAX_ENTRIES 16384u
#define GPT_MAX_ARRAY (4u << 20)
#define EBR_MAX 256u

uint32_t part_crc32(const void *buf, size_t len)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	const unsigned char *p = buf;
	uint32_t c = 0xffffffffu;
	while (len--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static void guid_text(const unsigned char *g, char out[37])
{
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(g),
	         (unsigned)(g[4] | g[5] << 8), (unsigned)(g[6] | g[7] << 8), g[8], g[9], g[10],
	         g[11], g[12], g[13], g[14], g[15]);
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int add(struct part_table *t, unsigned number, uint64_t start, uint64_t size,
               char *why, size_t wsize)
{
	if (t->n == PART_MAX) {
		snprintf(why, wsize, "more than %d partitions", PART_MAX);
		return -1;
	}
	struct partition *p = &t->p[t->n++];
	memset(p, 0, sizeof(*p));
	p->number = number;
	p->start = start;
	p->size = size;
	return 0;
}

/* ---- GPT ----------------------------------------------------------------------- */

struct gpt {
	uint64_t alternate, first_usable, last_usable, entries_lba;
	uint32_t n_entries, entry_size;
	unsigned char *array;
};

/* One header at LBA with its entry array: 0 when both CRCs hold. */
static int gpt_read(part_read_fn rd, void *ctx, uint64_t sectors, uint64_t lba,
                    struct gpt *g, char *why, size_t size)
{
	unsigned char h[SECTOR];
	memset(g, 0, sizeof(*g));
	if (lba == 0 || lba >= sectors || rd(ctx, h, SECTOR, lba * SECTOR) < 0) {
		snprintf(why, size, "cannot read a GPT header at sector %llu", (unsigned long long)lba);
		return -1;
	}
	if (memcmp(h, "EFI PART", 8) != 0) {
		snprintf(why, size, "no GPT header at sector %llu", (unsigned long long)lba);
		return -1;
	}
	uint32_t hsize = le32(h + 12), crc = le32(h + 16);
	if (hsize < 92 || hsize > SECTOR) {
		snprintf(why, size, "GPT header at sector %llu: size %u", (unsigned long long)lba,
		         hsize);
		return -1;
	}
	memset(h + 16, 0, 4);
	if (part_crc32(h, hsize) != crc || le64(h + 24) != lba) {
		snprintf(why, size, "GPT header at sector %llu: bad CRC", (unsigned long long)lba);
		return -1;
	}
	g->alternate = le64(h + 32);
	g->first_usable = le64(h + 40);
	g->last_usable = le64(h + 48);
	g->entries_lba = le64(h + 72);
	g->n_entries = le32(h + 80);
	g->entry_size = le32(h + 84);
	uint64_t bytes = (uint64_t)g->n_entries * g->entry_size;
	if (g->entry_size < 128 || g->entry_size % 8 || g->n_entries > GPT_MAX_ENTRIES ||
	    bytes > GPT_MAX_ARRAY || g->first_usable > g->last_usable || g->last_usable >= sectors ||
	    g->entries_lba >= sectors || bytes > (sectors - g->entries_lba) * SECTOR) {
		snprintf(why, size, "GPT header at sector %llu: impossible layout",
		         (unsigned long long)lba);
		return -1;
	}
	g->array = malloc(bytes ? bytes : 1);
	if (!g->array || rd(ctx, g->array, bytes, g->entries_lba * SECTOR) < 0 ||
	    part_crc32(g->array, bytes) != le32(h + 88)) {
		snprintf(why, size, "GPT entries of the header at sector %llu: %s",
		         (unsigned long long)lba, g->array ? "bad CRC" : "out of memory");
		free(g->array);
		g->array = NULL;
		return -1;
	}
	return 0;
}

static int gpt_entries(const struct gpt *g, struct part_table *t, char *why, size_t size)
{
	for (uint32_t i = 0; i < g->n_entries; i++) {
		const unsigned char *e = g->array + (size_t)i * g->entry_size;
		if (all_zero(e, 16))
			continue;
		uint64_t first = le64(e + 32), last = le64(e + 40);
		if (first < g->first_usable || last > g->last_usable || first > last) {
			snprintf(why, size, "GPT partition %u lies outside the usable sectors", i + 1);
			return -1;
		}
		if (add(t, i + 1, first * SECTOR, (last - first + 1) * SECTOR, why, size) < 0)
			return -1;
		guid_text(e + 16, t->p[t->n - 1].guid);
	}
	return 0;
}

static int gpt_scan(part_read_fn rd, void *ctx, uint64_t sectors, struct part_table *t,
                    char *why, size_t size)
{
	struct gpt primary, backup;
	char pwhy[160], bwhy[160];
	int prc = gpt_read(rd, ctx, sectors, 1, &primary, pwhy, sizeof(pwhy));
	uint64_t alt = prc == 0 && primary.alternate < sectors ? primary.alternate : sectors - 1;
	int brc = gpt_read(rd, ctx, sectors, alt, &backup, bwhy, sizeof(bwhy));
	int rc = -1;
	snprintf(t->scheme, sizeof(t->scheme), "gpt");
	if (prc == 0 && brc == 0)
		rc = gpt_entries(&primary, t, why, size);
	else if (prc == 0) {
		snprintf(t->warning, sizeof(t->warning), "the backup GPT is bad (%.100s)", bwhy);
		rc = gpt_entries(&primary, t, why, size);
	} else if (brc == 0) {
		snprintf(t->warning, sizeof(t->warning), "the primary GPT is bad (%.100s): using the backup",
		         pwhy);
		rc = gpt_entries(&backup, t, why, size);
	} else
		snprintf(why, size, "both GPT headers are bad: %s; %s", pwhy, bwhy);
	free(primary.array);
	free(backup.array);
	return rc;
}

/* ---- MBR ------------------------------------------------------------------------ */

static bool is_extended(unsigned type)
{
	return type == 0x05 || type == 0x0f || type == 0x85;
}

static int mbr_check(uint64_t start, uint64_t count, uint64_t lo, uint64_t hi, unsigned n,
                     char *why, size_t size)
{
	if (count == 0 || start < lo || start > hi || count > hi - start) {
		snprintf(why, size, "MBR partition %u lies outside its disk or extended partition", n);
		return -1;
	}
	return 0;
}

/* The chain of EBRs: each names one logical partition (relative to
 * itself) and the next EBR (relative to the extended partition). */
static int mbr_logical(part_read_fn rd, void *ctx, uint64_t ext_start, uint64_t ext_end,
                       struct part_table *t, char *why, size_t size)
{
	uint64_t ebr = ext_start, last = 0;
	unsigned number = 5;
	for (unsigned hops = 0; ; hops++) {
		unsigned char s[SECTOR];
		if (hops == EBR_MAX || (hops && ebr <= last)) {
			snprintf(why, size, "the chain of logical partitions loops or runs too long");
			return -1;
		}
		last = ebr;
		if (rd(ctx, s, SECTOR, ebr * SECTOR) < 0 || s[510] != 0x55 || s[511] != 0xaa) {
			snprintf(why, size, "bad extended boot record at sector %llu",
			         (unsigned long long)ebr);
			return -1;
		}
		const unsigned char *e = s + 446;
		if (e[4]) {
			uint64_t start = ebr + le32(e + 8), count = le32(e + 12);
			if (mbr_check(start, count, ebr + 1, ext_end, number, why, size) < 0 ||
			    add(t, number, start * SECTOR, count * SECTOR, why, size) < 0)
				return -1;
			t->p[t->n - 1].mbr_type = e[4];
			number++;
		}
		const unsigned char *next = s + 446 + 16;
		if (!next[4] || !is_extended(next[4]))
			return 0;
		uint64_t rel = le32(next + 8);
		if (rel == 0 || rel >= ext_end - ext_start) {
			snprintf(why, size, "an extended boot record points outside its partition");
			return -1;
		}
		ebr = ext_start + rel;
	}
}

static int mbr_scan(part_read_fn rd, void *ctx, const unsigned char *s, uint64_t sectors,
                    struct part_table *t, char *why, size_t size)
{
	snprintf(t->scheme, sizeof(t->scheme), "mbr");
	bool extended_seen = false;
	for (unsigned i = 0; i < 4; i++) {
		const unsigned char *e = s + 446 + 16 * i;
		if (!e[4])
			continue;
		uint64_t start = le32(e + 8), count = le32(e + 12);
		if (mbr_check(start, count, 1, sectors, i + 1, why, size) < 0)
			return -1;
		if (is_extended(e[4])) {
			if (extended_seen) {
				snprintf(why, size, "two extended partitions");
				return -1;
			}
			extended_seen = true;
			if (mbr_logical(rd, ctx, start, start + count, t, why, size) < 0)
				return -1;
			continue;
		}
		if (add(t, i + 1, start * SECTOR, count * SECTOR, why, size) < 0)
			return -1;
		t->p[t->n - 1].mbr_type = e[4];
	}
	return 0;
}

/* Boot flags other than 0 and 0x80 mean the 0x55AA is a filesystem's
 * boot sector, not a partition table. */
static bool mbr_plausible(const unsigned char *s)
{
	bool any = false;
	for (unsigned i = 0; i < 4; i++) {
		const unsigned char *e = s + 446 + 16 * i;
		if (e[0] != 0 && e[0] != 0x80)
			return false;
		any = any || e[4];
	}
	return any;
}

static int compare_start(const void *a, const void *b)
{
	const struct partition *x = a, *y = b;
	return x->number < y->number ? -1 : x->number > y->number;
}

int part_scan(part_read_fn rd, void *ctx, uint64_t disk_size, struct part_table *t,
              char *why, size_t size)
{
	memset(t, 0, sizeof(*t));
	uint64_t sectors = disk_size / SECTOR;
	unsigned char s[SECTOR];
	if (sectors < 2 || rd(ctx, s, SECTOR, 0) < 0) {
		snprintf(why, size, "the disk is too small to hold anything (%llu bytes)",
		         (unsigned long long)disk_size);
		return -1;
	}
	bool mbr = s[510] == 0x55 && s[511] == 0xaa && mbr_plausible(s);
	bool protective = false;
	for (unsigned i = 0; mbr && i < 4; i++)
		protective = protective || s[446 + 16 * i + 4] == 0xee;
	unsigned char h[SECTOR];
	bool gpt_sig = rd(ctx, h, SECTOR, SECTOR) == 0 && memcmp(h, "EFI PART", 8) == 0;
	int rc;
	if (protective || gpt_sig)
		rc = gpt_scan(rd, ctx, sectors, t, why, size);
	else if (mbr)
		rc = mbr_scan(rd, ctx, s, sectors, t, why, size);
	else {
		snprintf(t->scheme, sizeof(t->scheme), "none");
		rc = add(t, 0, 0, disk_size, why, size);
	}
	if (rc == 0)
		qsort(t->p, t->n, sizeof(t->p[0]), compare_start);
	return rc;
}

/* test_part.c - the partition table parser and the ext superblock's
 * feature check, on tables and superblocks built here byte by byte: valid
 * ones, and the corruptions an image can carry */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../extract/ext4.h"
#include "../../extract/part.h"

#define SECTORS 4096u
#define DISK (SECTORS * 512u)

static unsigned char disk[DISK];

static int rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	(void)ctx;
	if (off > DISK || len > DISK - off)
		return -1;
	memcpy(buf, disk + off, len);
	return 0;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* ---- GPT --------------------------------------------------------------------- */

static void gpt_header(uint64_t lba, uint64_t alt, uint64_t entries)
{
	unsigned char *h = disk + lba * 512;
	memset(h, 0, 512);
	memcpy(h, "EFI PART", 8);
	put32(h + 8, 0x10000);
	put32(h + 12, 92);
	put64(h + 24, lba);
	put64(h + 32, alt);
	put64(h + 40, 34);
	put64(h + 48, SECTORS - 34);
	put64(h + 72, entries);
	put32(h + 80, 128);
	put32(h + 84, 128);
	put32(h + 88, part_crc32(disk + entries * 512, 128 * 128));
	put32(h + 16, part_crc32(h, 92));
}

static void gpt_entry(unsigned i, uint64_t first, uint64_t last)
{
	unsigned char *e = disk + 2 * 512 + i * 128;
	memset(e, 0x11, 16);          /* type */
	memset(e + 16, 0x20 + i, 16); /* unique GUID */
	put64(e + 32, first);
	put64(e + 40, last);
}

static void make_gpt(void)
{
	memset(disk, 0, sizeof(disk));
	disk[446 + 4] = 0xee;
	put32(disk + 446 + 8, 1);
	put32(disk + 446 + 12, SECTORS - 1);
	disk[510] = 0x55, disk[511] = 0xaa;
	gpt_entry(0, 2048, 3071);
	gpt_entry(2, 3072, 4000);
	memcpy(disk + (SECTORS - 33) * 512, disk + 2 * 512, 128 * 128);
	gpt_header(1, SECTORS - 1, 2);
	gpt_header(SECTORS - 1, 1, SECTORS - 33);
}

static void test_gpt(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_gpt();
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0);
	assert_string_equal(t.scheme, "gpt");
	assert_int_equal(t.n, 2);
	assert_int_equal(t.p[0].number, 1);
	assert_int_equal(t.p[0].start, 2048u * 512);
	assert_int_equal(t.p[0].size, 1024u * 512);
	assert_int_equal(t.p[1].number, 3); /* slot 3: Linux calls it sda3 */
	assert_string_equal(t.p[0].guid, "20202020-2020-2020-2020-202020202020");
	assert_string_equal(t.warning, "");
}

static void test_gpt_primary_bad_uses_backup(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_gpt();
	disk[512 + 60] ^= 1; /* the disk GUID: only the CRC can tell */
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0);
	assert_int_equal(t.n, 2);
	assert_non_null(strstr(t.warning, "primary GPT is bad"));
}

static void test_gpt_entries_crc(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_gpt();
	disk[2 * 512 + 40] ^= 1; /* the primary's array: the backup holds */
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0);
	assert_non_null(strstr(t.warning, "primary GPT is bad"));
	disk[(SECTORS - 33) * 512 + 40] ^= 1; /* and the backup's */
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "both GPT headers are bad"));
}

static void test_gpt_partition_outside(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_gpt();
	gpt_entry(1, 3000, SECTORS + 100);
	memcpy(disk + (SECTORS - 33) * 512, disk + 2 * 512, 128 * 128);
	gpt_header(1, SECTORS - 1, 2);
	gpt_header(SECTORS - 1, 1, SECTORS - 33);
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "outside the usable sectors"));
}

static void test_gpt_huge_array_refused(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_gpt();
	unsigned char *h = disk + 512;
	put32(h + 80, 0xffffffffu); /* entries: a count that would allocate the world */
	put32(h + 16, 0);
	put32(h + 16, part_crc32(h, 92));
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0); /* the backup */
	assert_non_null(strstr(t.warning, "impossible layout"));
}

/* ---- MBR --------------------------------------------------------------------- */

static void mbr_entry(unsigned char *sector, unsigned i, unsigned type, uint32_t start,
                      uint32_t count)
{
	unsigned char *e = sector + 446 + 16 * i;
	e[4] = (unsigned char)type;
	put32(e + 8, start);
	put32(e + 12, count);
	sector[510] = 0x55, sector[511] = 0xaa;
}

static void make_mbr(void)
{
	memset(disk, 0, sizeof(disk));
	mbr_entry(disk, 0, 0x83, 64, 512);
	mbr_entry(disk, 1, 0x05, 1024, 2048);
	/* EBR 1 at 1024: logical at +64, next EBR at ext+1024 */
	mbr_entry(disk + 1024 * 512, 0, 0x83, 64, 256);
	mbr_entry(disk + 1024 * 512, 1, 0x05, 1024, 512);
	/* EBR 2 at 2048: logical at +32, the end */
	mbr_entry(disk + 2048 * 512, 0, 0x83, 32, 128);
	mbr_entry(disk, 2, 0x83, 3200, 800);
}

static void test_mbr_logical(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_mbr();
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0);
	assert_string_equal(t.scheme, "mbr");
	assert_int_equal(t.n, 4);
	unsigned numbers[] = { 1, 3, 5, 6 };
	uint64_t starts[] = { 64, 3200, 1024 + 64, 2048 + 32 };
	for (int i = 0; i < 4; i++) {
		assert_int_equal(t.p[i].number, numbers[i]);
		assert_int_equal(t.p[i].start, starts[i] * 512);
	}
}

static void test_mbr_ebr_loop(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_mbr();
	/* EBR 2 points back at EBR 1 */
	mbr_entry(disk + 2048 * 512, 1, 0x05, 0, 512);
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), -1);
	make_mbr();
	mbr_entry(disk + 2048 * 512, 1, 0x05, 0 + 1, 512); /* next at ext+1, below itself */
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "loops"));
}

static void test_mbr_outside(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	make_mbr();
	mbr_entry(disk, 3, 0x83, 4000, 0xffffffffu);
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), -1);
	make_mbr();
	mbr_entry(disk + 1024 * 512, 0, 0x83, 64, 5000); /* a logical larger than its extended */
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), -1);
}

static void test_whole_disk(void **state)
{
	(void)state;
	struct part_table t;
	char why[256];
	memset(disk, 0, sizeof(disk));
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0);
	assert_string_equal(t.scheme, "none");
	assert_int_equal(t.n, 1);
	assert_int_equal(t.p[0].number, 0);
	assert_int_equal(t.p[0].size, DISK);
	/* a boot sector with 0x55AA but no partition table: the whole disk */
	disk[0] = 0xeb, disk[446] = 0x12, disk[510] = 0x55, disk[511] = 0xaa;
	assert_int_equal(part_scan(rd, NULL, DISK, &t, why, sizeof(why)), 0);
	assert_string_equal(t.scheme, "none");
}

/* ---- the superblock's features ---------------------------------------------------- */

static void test_features(void **state)
{
	(void)state;
	static const struct {
		uint32_t incompat, ro, journal_dev;
		bool replay;
		int rc;
		const char *why;
	} rows[] = {
		{ 0x2c2, 0, 0, false, 0, "" },                      /* ext4 defaults */
		{ 0x2c2 | 0x8000, 0, 0, false, 0, "" },             /* inline_data */
		{ 0x2c2 | 0x20000, 0, 0, true, -1, "casefold" },
		{ 0x2c2 | 0x10000, 0, 0, true, -1, "encrypt" },
		{ 0x2c2, 0x8000, 0, true, -1, "verity" },
		{ 0x2c2 | 0x800000, 0, 0, true, -1, "unknown incompatible features 0x800000" },
		{ 0x2c2 | 0x4, 0, 0, false, -1, "needs recovery" },
		{ 0x2c2 | 0x4, 0, 0, true, 0, "" },
		{ 0x2c2 | 0x4, 0, 0x801, true, -1, "another device" },
		{ 0x2c2 | 0x8, 0, 0, true, -1, "journal_dev" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned char sb[1024] = { 0 };
		char why[200] = "";
		sb[56] = 0x53, sb[57] = 0xef;
		put32(sb + 96, rows[i].incompat);
		put32(sb + 100, rows[i].ro);
		put32(sb + 0xe4, rows[i].journal_dev);
		assert_int_equal(ext4_check_features(sb, rows[i].replay, why, sizeof(why)), rows[i].rc);
		assert_non_null(strstr(why, rows[i].why));
	}
	unsigned char none[1024] = { 0 };
	char why[200];
	assert_int_equal(ext4_check_features(none, true, why, sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gpt),
		cmocka_unit_test(test_gpt_primary_bad_uses_backup),
		cmocka_unit_test(test_gpt_entries_crc),
		cmocka_unit_test(test_gpt_partition_outside),
		cmocka_unit_test(test_gpt_huge_array_refused),
		cmocka_unit_test(test_mbr_logical),
		cmocka_unit_test(test_mbr_ebr_loop),
		cmocka_unit_test(test_mbr_outside),
		cmocka_unit_test(test_whole_disk),
		cmocka_unit_test(test_features),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_journal.c - journal_replay() on journals written here, block by block, into the
 * journal inode of a small ext4 made by mke2fs: what must replay, what must not, and
 * hostile journals that must end in -1 with a reason, quickly */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../extract/journal.h"

#define BS      1024u           /* the test filesystem's block size */
#define JLEN    1024u           /* its journal's length in blocks */
#define MAGIC   0xC03B3998u

enum { T_DESC = 1, T_COMMIT = 2, T_SB1 = 3, T_SB2 = 4, T_REVOKE = 5 };
enum { F_ESCAPE = 1, F_SAME_UUID = 2, F_LAST = 8 };
enum { I_REVOKE = 1, I_64 = 2, I_ASYNC = 4, I_V2 = 8, I_V3 = 0x10, I_FAST = 0x20 };
enum { C_V1 = 1 };

static char dir[64], img[96], clean[96];
static uint64_t phys[JLEN];     /* the journal's blocks in the image */
static unsigned char jimg[JLEN][BS];
static bool omit_last_tag;      /* put_desc leaves LAST_TAG off */

/* ---- writing a journal ------------------------------------------------------ */
struct jb {
	uint32_t incompat, compat, first, maxlen, start, seq;
	uint32_t pos;           /* the next log block to write */
	uint32_t crc_v1;        /* v1: crc32 of the open transaction */
	uint32_t seed;
	unsigned sbtype;
};

static const unsigned char uuid[16] = "lifeboat-journal";

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8), p[1] = (unsigned char)v;
}

static bool has_csum(const struct jb *b)
{
	return b->incompat & (I_V2 | I_V3);
}

static size_t tag_bytes(const struct jb *b)
{
	if (b->incompat & I_V3)
		return 16;
	return 12 + ((b->incompat & I_V2) ? 2 : 0) - ((b->incompat & I_64) ? 0 : 4);
}

static void jb_begin(struct jb *b, uint32_t incompat, uint32_t compat, uint32_t start, uint32_t seq)
{
	memset(jimg, 0, sizeof(jimg));
	*b = (struct jb){ .incompat = incompat, .compat = compat, .first = 1, .maxlen = JLEN,
	                  .start = start, .seq = seq, .pos = start, .crc_v1 = ~0u,
	                  .sbtype = T_SB2 };
	b->seed = ext2fs_crc32c_le(~0u, uuid, sizeof(uuid));
}

static uint32_t advance(struct jb *b)
{
	uint32_t at = b->pos;
	b->pos = b->pos + 1 >= b->maxlen ? b->first : b->pos + 1;
	return at;
}

static void header(unsigned char *blk, uint32_t type, uint32_t seq)
{
	put32(blk, MAGIC);
	put32(blk + 4, type);
	put32(blk + 8, seq);
}

static void tail_csum(const struct jb *b, unsigned char *blk)
{
	if (has_csum(b)) {
		put32(blk + BS - 4, 0);
		put32(blk + BS - 4, ext2fs_crc32c_le(b->seed, blk, BS));
	}
}

/* what transaction seq writes to blk: a pattern no other (blk, seq) shares */
static void pattern(unsigned char *out, uint64_t blk, uint32_t seq)
{
	for (unsigned i = 0; i < BS; i++)
		out[i] = (unsigned char)(blk * 7 + seq * 13 + i);
}

/* A descriptor for transaction seq naming blks[0..n), then their data. Bit i of escape:
 * the data of tag i starts with the jbd2 magic, so it is stored escaped. */
static uint32_t put_desc(struct jb *b, uint32_t seq, const uint64_t *blks, size_t n,
                         uint32_t escape)
{
	uint32_t at = advance(b);
	unsigned char *d = jimg[at];
	header(d, T_DESC, seq);
	size_t off = 12, tb = tag_bytes(b);
	for (size_t i = 0; i < n; i++) {
		unsigned char *data = jimg[advance(b)];
		pattern(data, blks[i], seq);
		uint32_t flags = i ? F_SAME_UUID : 0;
		if (i < 32 && (escape & (1u << i))) {
			flags |= F_ESCAPE;
			memset(data, 0, 4);
		}
		if (i + 1 == n && !omit_last_tag)
			flags |= F_LAST;
		unsigned char *t = d + off;
		put32(t, (uint32_t)blks[i]);
		if (b->incompat & I_64)
			put32(t + 8, (uint32_t)(blks[i] >> 32));
		unsigned char s[4];
		put32(s, seq);
		uint32_t c = ext2fs_crc32c_le(ext2fs_crc32c_le(b->seed, s, 4), data, BS);
		if (b->incompat & I_V3) {
			put32(t + 4, flags);
			put32(t + 12, c);
		} else {
			put16(t + 6, (uint16_t)flags);
			if (b->incompat & I_V2)
				put16(t + 4, (uint16_t)c);
		}
		off += tb;
		if (!(flags & F_SAME_UUID)) {
			memcpy(d + off, uuid, 16);
			off += 16;
		}
		assert_true(off <= BS - (has_csum(b) ? 4 : 0));
	}
	tail_csum(b, d);
	if (b->compat & C_V1) {
		b->crc_v1 = ext2fs_crc32_be(b->crc_v1, d, BS);
		for (size_t i = 0; i < n; i++)
			b->crc_v1 = ext2fs_crc32_be(b->crc_v1, jimg[(at + 1 + i - b->first) % (b->maxlen - b->first) + b->first], BS);
	}
	return at;
}

static uint32_t put_commit(struct jb *b, uint32_t seq)
{
	uint32_t at = advance(b);
	unsigned char *c = jimg[at];
	header(c, T_COMMIT, seq);
	put32(c + 0x34, 1700000000u + seq);     /* h_commit_sec, low half */
	if (has_csum(b)) {
		c[12] = 4, c[13] = 4;
		put32(c + 16, ext2fs_crc32c_le(b->seed, c, BS));
	} else if (b->compat & C_V1) {
		c[12] = 1, c[13] = 4;
		put32(c + 16, b->crc_v1);
	}
	b->crc_v1 = ~0u;
	return at;
}

static uint32_t put_revoke(struct jb *b, uint32_t seq, const uint64_t *blks, size_t n)
{
	uint32_t at = advance(b);
	unsigned char *r = jimg[at];
	header(r, T_REVOKE, seq);
	size_t rec = (b->incompat & I_64) ? 8 : 4, off = 16;
	for (size_t i = 0; i < n; i++, off += rec) {
		if (rec == 8) {
			put32(r + off, (uint32_t)(blks[i] >> 32));
			put32(r + off + 4, (uint32_t)blks[i]);
		} else {
			put32(r + off, (uint32_t)blks[i]);
		}
	}
	put32(r + 12, (uint32_t)off);
	tail_csum(b, r);
	return at;
}

/* one committed transaction writing blks */
static void txn(struct jb *b, uint32_t seq, const uint64_t *blks, size_t n)
{
	put_desc(b, seq, blks, n, 0);
	put_commit(b, seq);
}

static void put_super(const struct jb *b)
{
	unsigned char *s = jimg[0];
	memset(s, 0, BS);
	header(s, b->sbtype, 0);
	put32(s + 0x0C, BS);
	put32(s + 0x10, b->maxlen);
	put32(s + 0x14, b->first);
	put32(s + 0x18, b->seq);
	put32(s + 0x1C, b->start);
	put32(s + 0x24, b->compat);
	put32(s + 0x28, b->incompat);
	memcpy(s + 0x30, uuid, 16);
	put32(s + 0x40, 1);
	if (has_csum(b)) {
		s[0x50] = 4;
		put32(s + 0xFC, ext2fs_crc32c_le(~0u, s, 1024));
	}
}

/* ---- the cases -------------------------------------------------------------- */
/* Each builds jimg (the superblock is written after, from b, unless the case wrote it). */
typedef void build_fn(struct jb *b);

#define B(...) ((const uint64_t[]){ __VA_ARGS__ })
#define N(...) (sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))
#define TXN(b, seq, ...) txn(b, seq, B(__VA_ARGS__), N(__VA_ARGS__))

static void one_v3(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000, 3001, 3002);
}

static void newest_wins(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000, 3001);
	TXN(b, 11, 3001, 3002);
	TXN(b, 12, 3000);
}

static void revoked(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000, 3001);
	put_revoke(b, 11, B(3000, 7777), 2);
	put_commit(b, 11);
}

static void revoked_then_rewritten(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_V2, 0, 1, 10);     /* csum v2, 32-bit */
	TXN(b, 10, 3000, 3001);
	put_revoke(b, 11, B(3000, 3001), 2);
	put_commit(b, 11);
	TXN(b, 12, 3000);
}

static void revoked_in_same_txn(struct jb *b)
{
	/* a revoke covers the copies of its own transaction, wherever they sit in it */
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	put_desc(b, 10, B(3000, 3001), 2, 0);
	put_revoke(b, 10, B(3001), 1);
	put_commit(b, 10);
}

static void revoke_64bit_records(struct jb *b)
{
	/* the record's high half must count: 2^32 + 3000 is not 3000 */
	jb_begin(b, I_REVOKE | I_64, 0, 1, 10);
	TXN(b, 10, 3000, 3001);
	put_revoke(b, 11, B(((uint64_t)1 << 32) + 3000, 3001), 2);
	put_commit(b, 11);
}

static void escaped(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	put_desc(b, 10, B(3000, 3001, 3002), 3, 0x5);
	put_commit(b, 10);
}

static void wraps(struct jb *b)
{
	/* the log starts 3 blocks before its end: the data runs past it, back to s_first */
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, JLEN - 3, 10);
	TXN(b, 10, 3000, 3001, 3002, 3003);
	TXN(b, 11, 3004);
}

static void tags_32bit_v1_superblock(struct jb *b)
{
	jb_begin(b, 0, 0, 1, 10);
	b->sbtype = T_SB1;
	TXN(b, 10, 3000, 3001, 3002);
	put_revoke(b, 11, B(3001), 1);
	put_commit(b, 11);
}

static void tags_v2_64bit(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V2, 0, 1, 10);
	TXN(b, 10, 3000, 3001, 3002);
}

static void crc32_v1(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64, C_V1, 1, 10);
	TXN(b, 10, 3000, 3001);
	TXN(b, 11, 3002);
}

static void crc32_v1_bad(struct jb *b)
{
	crc32_v1(b);
	jimg[3][5] ^= 1;        /* data of transaction 10 */
}

static void incomplete_last(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	put_desc(b, 11, B(3000, 3001), 2, 0);  /* no commit: the crash came first */
}

static void incomplete_revoke(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	put_revoke(b, 11, B(3000), 1);          /* never committed: does not count */
}

static void stale_after_end(struct jb *b)
{
	/* after the last commit, an old descriptor (transaction 5) from a previous lap */
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	put_desc(b, 5, B(3001), 1, 0);
	put_commit(b, 5);
}

static void seq_wraps(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 0xFFFFFFFFu);
	TXN(b, 0xFFFFFFFFu, 3000, 3001);
	put_revoke(b, 0, B(3000), 1);
	put_commit(b, 0);
	TXN(b, 1, 3002);
}

static void no_last_tag_fills_block(struct jb *b)
{
	/* the kernel always writes LAST_TAG, but a block full of tags ends at the block's end:
	 * 12 + 8 + 16 (the first tag's uuid) + 123 * 8 = 1020, no room for a 125th */
	jb_begin(b, I_REVOKE, 0, 1, 10);
	uint64_t blks[124];
	for (unsigned i = 0; i < 124; i++)
		blks[i] = 3000 + i;
	omit_last_tag = true;
	put_desc(b, 10, blks, 124, 0);
	omit_last_tag = false;
	put_commit(b, 10);
}

static void clean_journal(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	b->start = 0;
}

static void all_revoked(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	put_revoke(b, 11, B(3000), 1);
	put_commit(b, 11);
}

/* ---- hostile ---- */
static void bad_commit_csum(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	put_desc(b, 11, B(3001), 1, 0);
	uint32_t c = put_commit(b, 11);
	jimg[c][0x40] ^= 0x80;
}

static void bad_data_csum(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000, 3001);
	jimg[3][100] ^= 1;
}

static void bad_descriptor_csum(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	jimg[1][500] ^= 1;
}

static void bad_revoke_csum(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000);
	uint32_t r = put_revoke(b, 11, B(3000), 1);
	put_commit(b, 11);
	jimg[r][20] ^= 1;
}

static void bad_super_csum(struct jb *b)
{
	one_v3(b);
	put_super(b);
	jimg[0][0x18] ^= 1;
}

static void revoke_count_huge(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64, 0, 1, 10);
	TXN(b, 10, 3000);
	uint32_t r = put_revoke(b, 11, B(3000), 1);
	put32(jimg[r] + 12, 0xFFFFFFF0u);
	put_commit(b, 11);
}

static void uuid_past_block_end(struct jb *b)
{
	/* after one short tag, every tag claims a uuid of its own: the 43rd fits (at 1004),
	 * its uuid does not (1012 + 16 > 1024) */
	jb_begin(b, I_REVOKE, 0, 1, 10);
	unsigned char *d = jimg[advance(b)];
	header(d, T_DESC, 10);
	put32(d + 12, 3000);
	put16(d + 12 + 6, F_SAME_UUID);
	for (size_t off = 20; off + 8 <= BS; off += 8 + 16)
		put32(d + off, 3000);
	for (unsigned i = 0; i < 60; i++)
		pattern(jimg[advance(b)], 3000, 10);
	put_commit(b, 10);
}

static void tags_exceed_log(struct jb *b)
{
	/* one transaction whose descriptors and data fill the whole log and come back to the
	 * start without a commit: a scan that trusted it would go round forever */
	jb_begin(b, I_REVOKE, 0, 1, 10);
	uint64_t blks[120];
	for (unsigned i = 0; i < 120; i++)
		blks[i] = 3000 + i;
	uint32_t left = JLEN - 1;      /* 8 * 121 + 55 */
	while (left) {
		size_t n = left - 1 < 120 ? left - 1 : 120;
		put_desc(b, 10, blks, n, 0);
		left -= (uint32_t)n + 1;
	}
}

static void loop_one_descriptor(struct jb *b)
{
	/* 11 descriptors of 92 tags each (no uuid, no data written) chain round
	 * the 1023-block log exactly: the 12th is the 1st again, of the same transaction */
	jb_begin(b, I_REVOKE, 0, 1, 10);
	for (uint32_t at = 1; at < JLEN; at += 93) {
		unsigned char *d = jimg[at];
		header(d, T_DESC, 10);
		for (size_t off = 12, n = 0; n < 92; off += 8, n++) {
			put32(d + off, 3000);
			put16(d + off + 6, n == 91 ? F_SAME_UUID | F_LAST : F_SAME_UUID);
		}
	}
}

static void target_beyond_fs(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	TXN(b, 10, 3000, ((uint64_t)1 << 40) + 3);
}

static void target_in_journal(struct jb *b)
{
	jb_begin(b, I_REVOKE | I_64 | I_V3, 0, 1, 10);
	put_desc(b, 10, (const uint64_t[]){ 3000, phys[5] }, 2, 0);
	put_commit(b, 10);
}

static void unknown_feature(struct jb *b)
{
	one_v3(b);
	b->incompat |= 0x1000;
}

static void fast_commit(struct jb *b)
{
	one_v3(b);
	b->incompat |= I_FAST;
}

static void v2_and_v3(struct jb *b)
{
	one_v3(b);
	b->incompat |= I_V2;
}

static void start_outside_log(struct jb *b)
{
	one_v3(b);
	b->start = JLEN + 5;
}

static void maxlen_beyond_inode(struct jb *b)
{
	one_v3(b);
	b->maxlen = JLEN * 4;
}

static void wrong_block_size(struct jb *b)
{
	one_v3(b);
	put_super(b);
	put32(jimg[0] + 0x0C, 4096);
	put32(jimg[0] + 0xFC, 0);
	put32(jimg[0] + 0xFC, ext2fs_crc32c_le(~0u, jimg[0], 1024));
}

static void no_superblock(struct jb *b)
{
	one_v3(b);
	put_super(b);
	jimg[0][0] = 0;
}

struct want {
	uint64_t blk;
	uint32_t seq;           /* the transaction whose copy must be there */
	int state;              /* W_COPY, W_MAGIC (copy starting with the jbd2 magic), W_NONE */
};
enum { W_END, W_COPY, W_MAGIC, W_NONE };

static const struct jcase {
	const char *name;
	build_fn *build;
	bool super_written;     /* the case wrote the superblock itself */
	int rc;
	const char *why;        /* a substring of why, for rc -1 */
	long count;             /* overlay_count, -1: no overlay at all */
	struct want want[8];
} cases[] = {
	{ "one transaction, csum v3", one_v3, false, 0, NULL, 3,
	  { { 3000, 10, W_COPY }, { 3002, 10, W_COPY }, { 3003, 0, W_NONE } } },
	{ "the newest copy wins", newest_wins, false, 0, NULL, 3,
	  { { 3000, 12, W_COPY }, { 3001, 11, W_COPY }, { 3002, 11, W_COPY } } },
	{ "a revoke cancels older copies", revoked, false, 0, NULL, 1,
	  { { 3000, 0, W_NONE }, { 3001, 10, W_COPY }, { 7777, 0, W_NONE } } },
	{ "a copy after the revoke counts (csum v2)", revoked_then_rewritten, false, 0, NULL, 1,
	  { { 3000, 12, W_COPY }, { 3001, 0, W_NONE } } },
	{ "a revoke covers its own transaction", revoked_in_same_txn, false, 0, NULL, 1,
	  { { 3000, 10, W_COPY }, { 3001, 0, W_NONE } } },
	{ "64-bit revoke records", revoke_64bit_records, false, 0, NULL, 1,
	  { { 3000, 10, W_COPY }, { 3001, 0, W_NONE } } },
	{ "escaped blocks get their magic back", escaped, false, 0, NULL, 3,
	  { { 3000, 10, W_MAGIC }, { 3001, 10, W_COPY }, { 3002, 10, W_MAGIC } } },
	{ "the log wraps", wraps, false, 0, NULL, 5,
	  { { 3000, 10, W_COPY }, { 3002, 10, W_COPY }, { 3003, 10, W_COPY }, { 3004, 11, W_COPY } } },
	{ "v1 superblock, 32-bit tags", tags_32bit_v1_superblock, false, 0, NULL, 2,
	  { { 3000, 10, W_COPY }, { 3001, 0, W_NONE }, { 3002, 10, W_COPY } } },
	{ "csum v2 with 64-bit tags", tags_v2_64bit, false, 0, NULL, 3,
	  { { 3000, 10, W_COPY }, { 3002, 10, W_COPY } } },
	{ "crc32 commit checksums (v1)", crc32_v1, false, 0, NULL, 3,
	  { { 3000, 10, W_COPY }, { 3002, 11, W_COPY } } },
	{ "an incomplete last transaction is ignored", incomplete_last, false, 0, NULL, 1,
	  { { 3000, 10, W_COPY }, { 3001, 0, W_NONE } } },
	{ "an uncommitted revoke is ignored", incomplete_revoke, false, 0, NULL, 1,
	  { { 3000, 10, W_COPY } } },
	{ "an old transaction after the end is ignored", stale_after_end, false, 0, NULL, 1,
	  { { 3000, 10, W_COPY }, { 3001, 0, W_NONE } } },
	{ "transaction ids wrap", seq_wraps, false, 0, NULL, 2,
	  { { 3000, 0, W_NONE }, { 3001, 0xFFFFFFFFu, W_COPY }, { 3002, 1, W_COPY } } },
	{ "tags end at the block's end", no_last_tag_fills_block, false, 0, NULL, 124,
	  { { 3000, 10, W_COPY }, { 3123, 10, W_COPY }, { 3124, 0, W_NONE } } },
	{ "a clean journal replays nothing", clean_journal, false, 0, NULL, -1, { { 3000, 0, W_NONE } } },
	{ "nothing left after revokes", all_revoked, false, 0, NULL, -1, { { 3000, 0, W_NONE } } },
	{ "bad commit checksum", bad_commit_csum, false, -1, "commit block at journal block 6 (transaction 11): checksum mismatch", 0, { { 0 } } },
	{ "bad data checksum", bad_data_csum, false, -1, "journal block 3 (transaction 10, for block 3001): checksum", 0, { { 0 } } },
	{ "bad descriptor checksum", bad_descriptor_csum, false, -1, "descriptor at journal block 1 (transaction 10): checksum", 0, { { 0 } } },
	{ "bad revoke checksum", bad_revoke_csum, false, -1, "revoke block at journal block 4", 0, { { 0 } } },
	{ "bad superblock checksum", bad_super_csum, true, -1, "journal superblock checksum", 0, { { 0 } } },
	{ "bad crc32 (v1)", crc32_v1_bad, false, -1, "crc32 of the transaction", 0, { { 0 } } },
	{ "revoke count past the block", revoke_count_huge, false, -1, "claims 4294967280 bytes", 0, { { 0 } } },
	{ "a tag's uuid past the block's end", uuid_past_block_end, false, -1, "runs past the end of the block", 0, { { 0 } } },
	{ "tags that fill the whole log", tags_exceed_log, false, -1, "the log loops", 0, { { 0 } } },
	{ "a log that comes back to its start", loop_one_descriptor, false, -1, "the log loops", 0, { { 0 } } },
	{ "a block beyond the filesystem", target_beyond_fs, false, -1, "beyond the filesystem", 0, { { 0 } } },
	{ "a block of the journal itself", target_in_journal, false, -1, "part of the journal itself", 0, { { 0 } } },
	{ "an unknown incompatible feature", unknown_feature, false, -1, "unknown incompatible features 0x1000", 0, { { 0 } } },
	{ "fast commits", fast_commit, false, -1, "fast commits", 0, { { 0 } } },
	{ "csum v2 and v3 at once", v2_and_v3, false, -1, "both checksum v2 and v3", 0, { { 0 } } },
	{ "a log start outside the log", start_outside_log, false, -1, "outside 1..1023", 0, { { 0 } } },
	{ "a journal longer than its inode", maxlen_beyond_inode, false, -1, "journal length 4096 blocks is impossible", 0, { { 0 } } },
	{ "a journal block size not the filesystem's", wrong_block_size, true, -1, "journal block size 4096 differs", 0, { { 0 } } },
	{ "no journal superblock", no_superblock, true, -1, "no jbd2 superblock", 0, { { 0 } } },
};

/* ---- running them ------------------------------------------------------------ */
static void write_journal(const char *path)
{
	int fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < JLEN; i++)
		assert_int_equal(pwrite(fd, jimg[i], BS, (off_t)(phys[i] * BS)), BS);
	assert_int_equal(close(fd), 0);
}

static int replay_file(const char *path, struct block_overlay **ov, char *why, size_t size)
{
	ext2_filsys fs;
	assert_int_equal(ext2fs_open2(path, NULL, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs), 0);
	int rc = journal_replay(fs, ov, why, size);
	ext2fs_close_free(&fs);
	return rc;
}

static void check_case(const struct jcase *c)
{
	struct jb b;
	c->build(&b);
	if (!c->super_written)
		put_super(&b);
	write_journal(img);
	struct block_overlay *ov = (struct block_overlay *)&b;  /* must be overwritten */
	char why[256] = "untouched";
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = replay_file(img, &ov, why, sizeof(why));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (rc != c->rc || (c->why && !strstr(why, c->why)))
		fail_msg("%s: rc %d, why '%s'; expected %d, '%s'", c->name, rc, why, c->rc,
		         c->why ? c->why : "");
	if (s > 2.0)
		fail_msg("%s: %.1f s", c->name, s);
	if (rc) {
		assert_null(ov);
		assert_true(why[0]);
		return;
	}
	if (c->count < 0) {
		if (ov)
			fail_msg("%s: an overlay of %zu blocks, expected none", c->name, overlay_count(ov));
	} else {
		if (!ov)
			fail_msg("%s: no overlay", c->name);
		if ((long)overlay_count(ov) != c->count)
			fail_msg("%s: %zu blocks, expected %ld", c->name, overlay_count(ov), c->count);
		assert_int_equal(overlay_block_size(ov), BS);
	}
	for (const struct want *w = c->want; w->state != W_END; w++) {
		const unsigned char *got = overlay_block(ov, w->blk);
		if (w->state == W_NONE) {
			if (got)
				fail_msg("%s: block %llu replayed, expected not", c->name, (unsigned long long)w->blk);
			continue;
		}
		if (!got)
			fail_msg("%s: block %llu not replayed", c->name, (unsigned long long)w->blk);
		unsigned char want[BS];
		pattern(want, w->blk, w->seq);
		if (w->state == W_MAGIC)
			put32(want, MAGIC);
		if (memcmp(got, want, BS))
			fail_msg("%s: block %llu is not transaction %u's copy", c->name,
			         (unsigned long long)w->blk, w->seq);
	}
	overlay_free(ov);
}

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* Random damage to a valid journal (checksums v3, then none, where only the structure
 * stands guard) must end in 0 or -1 with a reason, quickly, and never crash: the sanitizer
 * build runs this too. */
static void test_random_damage(void **state)
{
	(void)state;
	static build_fn *const bases[] = { wraps, revoked, tags_32bit_v1_superblock, crc32_v1 };
	static unsigned char saved[JLEN][BS];
	unsigned seed = 12345;
	int fd = -1;
	for (size_t base = 0; base < sizeof(bases) / sizeof(bases[0]); base++) {
		struct jb b;
		bases[base](&b);
		put_super(&b);
		write_journal(img);
		memcpy(saved, jimg, sizeof(saved));
		fd = open(img, O_WRONLY);
		assert_true(fd >= 0);
		for (int round = 0; round < 60; round++) {
			unsigned blocks[4];
			for (int k = 0; k < 4; k++) {
				seed = seed * 1103515245u + 12345u;
				unsigned jb = (seed >> 8) % 12;     /* the blocks the bases use */
				if (jb >= JLEN - 3)
					jb = 0;
				if (base == 0 && (seed & 1))
					jb = JLEN - 3 + (seed >> 20) % 3;
				blocks[k] = jb;
				seed = seed * 1103515245u + 12345u;
				unsigned off = (seed >> 8) % BS;
				seed = seed * 1103515245u + 12345u;
				/* big-endian fields: hit high bytes with large values too */
				jimg[jb][off] = (unsigned char)(seed >> 16);
				assert_int_equal(pwrite(fd, jimg[jb], BS, (off_t)(phys[jb] * BS)), BS);
			}
			struct block_overlay *ov;
			char why[256] = "";
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			int rc = replay_file(img, &ov, why, sizeof(why));
			clock_gettime(CLOCK_MONOTONIC, &t1);
			assert_true(rc == 0 || rc == -1);
			if (rc)
				assert_true(why[0] != '\0');
			else if (ov)
				assert_int_equal(overlay_block_size(ov), BS);
			overlay_free(ov);
			assert_true(t1.tv_sec - t0.tv_sec < 3);
			for (int k = 0; k < 4; k++) {
				memcpy(jimg[blocks[k]], saved[blocks[k]], BS);
				assert_int_equal(pwrite(fd, jimg[blocks[k]], BS, (off_t)(phys[blocks[k]] * BS)), BS);
			}
		}
		assert_int_equal(close(fd), 0);
	}
}

/* needs_recovery clear: nothing to do, whatever the journal holds */
static void test_clean_filesystem(void **state)
{
	(void)state;
	struct jb b;
	one_v3(&b);
	put_super(&b);
	write_journal(clean);
	struct block_overlay *ov = (struct block_overlay *)&b;
	char why[64];
	assert_int_equal(replay_file(clean, &ov, why, sizeof(why)), 0);
	assert_null(ov);
}

/* with s_journal_inum cleared the journal would be on another device: refused */
static void test_external_journal(void **state)
{
	(void)state;
	char ext[128], cmd[300];
	int n = snprintf(ext, sizeof(ext), "%s/external.img", dir);
	assert_true(n > 0 && (size_t)n < sizeof(ext));
	n = snprintf(cmd, sizeof(cmd), "cp %s %s", img, ext);
	assert_true(n > 0 && (size_t)n < sizeof(cmd));
	assert_int_equal(system(cmd), 0);
	ext2_filsys fs;
	assert_int_equal(ext2fs_open2(ext, NULL, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
	                              unix_io_manager, &fs), 0);
	fs->super->s_journal_inum = 0;
	ext2fs_mark_super_dirty(fs);
	assert_int_equal(ext2fs_close_free(&fs), 0);
	struct block_overlay *ov;
	char why[128];
	assert_int_equal(replay_file(ext, &ov, why, sizeof(why)), -1);
	assert_null(ov);
	assert_non_null(strstr(why, "on another device"));
}

static void test_null_overlay(void **state)
{
	(void)state;
	assert_null(overlay_block(NULL, 1));
	assert_int_equal(overlay_count(NULL), 0);
	assert_int_equal(overlay_block_size(NULL), 0);
	overlay_free(NULL);
}

static unsigned char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	unsigned char *p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return p;
}

/* the replay leaves the image it reads as it was, byte for byte */
static void test_never_writes(void **state)
{
	(void)state;
	struct jb b;
	newest_wins(&b);
	put_super(&b);
	write_journal(img);
	size_t n1, n2;
	unsigned char *before = slurp(img, &n1);
	struct block_overlay *ov;
	char why[64];
	assert_int_equal(replay_file(img, &ov, why, sizeof(why)), 0);
	assert_int_equal(overlay_count(ov), 3);
	overlay_free(ov);
	unsigned char *after = slurp(img, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(before, after, n1);
	free(before);
	free(after);
}

static int setup(void **state)
{
	(void)state;
	char cmd[512];
	snprintf(dir, sizeof(dir), "/tmp/lifeboat-journal.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(img, sizeof(img), "%s/fs.img", dir);
	snprintf(clean, sizeof(clean), "%s/clean.img", dir);
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext4 -b %u -J size=%u %s 8M >/dev/null && cp %s %s",
	         BS, JLEN * BS >> 20, img, img, clean);
	if (system(cmd))
		return -1;
	ext2_filsys fs;
	if (ext2fs_open2(img, NULL, EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs))
		return -1;
	struct ext2_inode inode;
	if (ext2fs_read_inode(fs, fs->super->s_journal_inum, &inode) ||
	    EXT2_I_SIZE(&inode) != (uint64_t)JLEN * BS)
		return -1;
	for (unsigned i = 0; i < JLEN; i++) {
		blk64_t p;
		if (ext2fs_bmap2(fs, fs->super->s_journal_inum, &inode, NULL, 0, i, NULL, &p) || !p)
			return -1;
		phys[i] = p;
	}
	ext2fs_set_feature_journal_needs_recovery(fs->super);
	ext2fs_mark_super_dirty(fs);
	return ext2fs_close_free(&fs) ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_random_damage),
		cmocka_unit_test(test_clean_filesystem),
		cmocka_unit_test(test_external_journal),
		cmocka_unit_test(test_null_overlay),
		cmocka_unit_test(test_never_writes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

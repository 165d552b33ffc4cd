/* journal.c - replay of an ext3/ext4 internal jbd2 journal into memory.
 *
 * The on-disk format is the kernel's (Documentation/filesystems/ext4/journal.rst); every field
 * is big-endian. Recovery follows the kernel's three passes over the log:
 *   scan    from s_start/s_sequence, block by block, until a block that is not the next
 *           block of the expected transaction; only transactions whose commit block was
 *           seen count (an incomplete last one is ignored);
 *   revoke  collect the revoke records of those transactions: a record in transaction R
 *           cancels every copy of that block from transactions up to and including R;
 *   replay  in log order, every copy that is not revoked replaces the one before it, so
 *           the newest committed copy of each block wins.
 * Nothing is written: the result is a table of blocks in memory. Everything the image says
 * is checked before it is used (lengths, counts, block numbers, checksums), the scan may not
 * pass the whole log, and what is held is capped: the journal's pieces (JOURNAL_MAX_RUNS),
 * the block copies it lists (JOURNAL_MAX_TAGS) and the replayed data (JOURNAL_MAX_OVERLAY).
 * So the work is linear in the journal's length and the memory is bounded whatever it says.
 *
 * Where the kernel is lenient this is strict, because the caller can fall back to a kernel:
 * a checksum that does not match (superblock, descriptor, revoke, commit or data block) is
 * an error here, where the kernel may take it for the end of the log or skip the block. */
#include "journal.h"
#include "bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the on-disk format ------------------------------------------------- */
#define JBD2_MAGIC              0xC03B3998u
enum { JBD2_DESCRIPTOR = 1, JBD2_COMMIT = 2, JBD2_SB_V1 = 3, JBD2_SB_V2 = 4, JBD2_REVOKE = 5 };

/* journal superblock (the first 1024 bytes of journal block 0) */
#define JSB_BLOCKSIZE           0x0C
#define JSB_MAXLEN              0x10
#define JSB_FIRST               0x14
#define JSB_SEQUENCE            0x18
#define JSB_START               0x1C
#define JSB_COMPAT              0x24
#define JSB_INCOMPAT            0x28
#define JSB_UUID                0x30
#define JSB_CHECKSUM_TYPE       0x50
#define JSB_CHECKSUM            0xFC
#define JSB_SIZE                1024

#define COMPAT_CHECKSUM         0x1u    /* v1: crc32 of each transaction in its commit */
#define INCOMPAT_REVOKE         0x1u
#define INCOMPAT_64BIT          0x2u
#define INCOMPAT_ASYNC_COMMIT   0x4u
#define INCOMPAT_CSUM_V2        0x8u
#define INCOMPAT_CSUM_V3        0x10u
#define INCOMPAT_FAST_COMMIT    0x20u
#define INCOMPAT_KNOWN          (INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | \
                                 INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3 | INCOMPAT_FAST_COMMIT)

#define CSUM_TYPE_CRC32         1
#define CSUM_TYPE_CRC32C        4

/* block header */
#define JH_MAGIC                0x00
#define JH_TYPE                 0x04
#define JH_SEQUENCE             0x08
#define JH_SIZE                 12

/* descriptor tags: journal_block_tag_t {be32 blocknr; be16 checksum; be16 flags;
 * be32 blocknr_high} and, with csum v3, journal_block_tag3_t {be32 blocknr; be32 flags;
 * be32 blocknr_high; be32 checksum}. The low 16 bits of the flags sit at byte 6 in both. */
#define TAG_BLOCKNR             0
#define TAG_CSUM16              4
#define TAG_FLAGS16             6
#define TAG_BLOCKNR_HIGH        8
#define TAG3_CSUM32             12
#define TAG_UUID_SIZE           16
#define FLAG_ESCAPE             0x1u
#define FLAG_SAME_UUID          0x2u
#define FLAG_LAST_TAG           0x8u
#define TAIL_SIZE               4       /* be32 crc32c at the end of descriptor/revoke blocks */

/* commit block */
#define COMMIT_CHKSUM_TYPE      0x0C
#define COMMIT_CHKSUM_SIZE      0x0D
#define COMMIT_CHKSUM           0x10

/* revoke block: header, be32 r_count (bytes used, header included), records */
#define REVOKE_COUNT            0x0C
#define REVOKE_RECORDS          0x10

#define JBD2_MIN_BLOCKS         1024u   /* the kernel refuses shorter journals */
#define JBD2_MAX_BLOCKS         (1u << 24)  /* mke2fs stops at 10,240,000 */

/* Caps on what is held while reading a journal. mke2fs makes journals of at most 1 GiB
 * (262144 blocks of 4 KiB) in one or a few pieces; these leave room for far more. */
#define JOURNAL_MAX_RUNS        ((size_t)1 << 18)   /* 6 MiB of extents */
#define JOURNAL_MAX_TAGS        ((size_t)1 << 20)   /* 24 MiB of copies, 1 M entries */

/* At most this much replayed data is held in memory; a journal that needs more is refused
 * (the caller falls back). Real dirty journals hold a few MiB. */
#define JOURNAL_MAX_OVERLAY     ((uint64_t)256 << 20)

/* ---- the overlay -------------------------------------------------------- */
struct ov_ent {
	uint64_t blk;
	void *data;             /* the newest unrevoked copy so far, or NULL */
	uint32_t revoke_seq;    /* the newest transaction that revoked blk */
	bool used, revoked;
};

struct block_overlay {
	unsigned block_size;
	size_t count;           /* entries with data */
	size_t used;            /* entries */
	size_t mask;            /* table size - 1, a power of two minus one */
	struct ov_ent *tab;
};

static size_t ov_hash(uint64_t blk, size_t mask)
{
	blk ^= blk >> 33;
	blk *= 0xff51afd7ed558ccdULL;
	blk ^= blk >> 33;
	return (size_t)blk & mask;
}

/* The entry for blk, or NULL. The table is never more than half full, so this ends. */
static struct ov_ent *ov_find(const struct block_overlay *ov, uint64_t blk)
{
	for (size_t i = ov_hash(blk, ov->mask);; i = (i + 1) & ov->mask) {
		struct ov_ent *e = &ov->tab[i];
		if (!e->used)
			return NULL;
		if (e->blk == blk)
			return e;
	}
}

static struct ov_ent *ov_slot(struct ov_ent *tab, size_t mask, uint64_t blk)
{
	size_t i = ov_hash(blk, mask);
	while (tab[i].used && tab[i].blk != blk)
		i = (i + 1) & mask;
	return &tab[i];
}

/* The entry for blk, added empty if it is new; NULL when out of memory. */
static struct ov_ent *ov_add(struct block_overlay *ov, uint64_t blk)
{
	struct ov_ent *e = ov_find(ov, blk);
	if (e)
		return e;
	if ((ov->used + 1) * 2 > ov->mask + 1) {
		size_t size = (ov->mask + 1) * 2;
		struct ov_ent *tab = calloc(size, sizeof(*tab));
		if (!tab)
			return NULL;
		for (size_t i = 0; i <= ov->mask; i++)
			if (ov->tab[i].used)
				*ov_slot(tab, size - 1, ov->tab[i].blk) = ov->tab[i];
		free(ov->tab);
		ov->tab = tab;
		ov->mask = size - 1;
	}
	e = ov_slot(ov->tab, ov->mask, blk);
	e->used = true;
	e->blk = blk;
	ov->used++;
	return e;
}

const void *overlay_block(const struct block_overlay *ov, uint64_t blk)
{
	if (!ov)
		return NULL;
	const struct ov_ent *e = ov_find(ov, blk);
	return e ? e->data : NULL;
}

size_t overlay_count(const struct block_overlay *ov)
{
	return ov ? ov->count : 0;
}

unsigned overlay_block_size(const struct block_overlay *ov)
{
	return ov ? ov->block_size : 0;
}

void overlay_free(struct block_overlay *ov)
{
	if (!ov)
		return;
	if (ov->tab)
		for (size_t i = 0; i <= ov->mask; i++)
			free(ov->tab[i].data);
	free(ov->tab);
	free(ov);
}

/* ---- the journal being read --------------------------------------------- */
struct jrun {                   /* journal blocks lblk.. are fs blocks pblk.. */
	uint64_t lblk, pblk, len;
};

struct jtag {                   /* one copy of a block, in a committed transaction */
	uint64_t blk;
	uint32_t jblk, seq, flags, csum;
};

struct jrevoke {                /* one revoke block, in a committed transaction */
	uint32_t jblk, seq;
};

struct journal {
	ext2_filsys fs;
	unsigned bs;
	uint32_t maxlen, first, last;   /* the log is [first, last) */
	uint32_t start, sequence;
	uint32_t compat, incompat;
	int csum;                       /* 0, 2 or 3 */
	bool v1csum, is64;
	uint32_t seed;                  /* crc32c of the journal's uuid */
	size_t tag_bytes;
	struct jrun *runs, *by_phys;    /* sorted by lblk, and a copy sorted by pblk */
	size_t nruns, runs_cap;
	uint64_t mapped;                /* blocks the iteration reported */
	struct jtag *tags;
	size_t ntags, tags_cap;
	struct jrevoke *revokes;
	size_t nrevokes, revokes_cap;
	unsigned char *buf;
	char *why;
	size_t whysize;
	int failed;                     /* set by the block iteration callback */
};

static void say(struct journal *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct journal *j, const char *fmt, ...)
{
	if (!j->why || !j->whysize)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->why, j->whysize, fmt, ap);
	va_end(ap);
}

/* transaction ids wrap: a is newer than b */
static bool tid_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* crc32c over buf with the 4 bytes at skip (or none when skip >= len) counted as zero */
static uint32_t crc32c_skip(uint32_t crc, const unsigned char *buf, size_t len, size_t skip)
{
	static const unsigned char zero[4];
	if (skip >= len)
		return ext2fs_crc32c_le(crc, buf, len);
	crc = ext2fs_crc32c_le(crc, buf, skip);
	crc = ext2fs_crc32c_le(crc, zero, sizeof(zero));
	return ext2fs_crc32c_le(crc, buf + skip + 4, len - skip - 4);
}

static int grow(void **p, size_t *cap, size_t n, size_t elem, size_t limit)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 64;
	if (c > limit)
		c = limit;
	if (n >= c)
		return -1;
	void *q = realloc(*p, c * elem);
	if (!q)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

/* ---- where the journal's blocks are ------------------------------------- */
static int map_block(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref_blk,
                     int ref_offset, void *priv)
{
	(void)ref_blk;
	(void)ref_offset;
	struct journal *j = priv;
	if (blockcnt < 0)
		return 0;
	if (*blocknr < fs->super->s_first_data_block || *blocknr >= ext2fs_blocks_count(fs->super)) {
		say(j, "journal inode maps block %lld to %llu, outside the filesystem",
		    (long long)blockcnt, (unsigned long long)*blocknr);
		j->failed = 1;
		return BLOCK_ABORT;
	}
	/* a sane journal maps each of its blocks once; more callbacks than that is a loop */
	if (++j->mapped > (uint64_t)j->maxlen * 2 + 16) {
		say(j, "journal inode maps more blocks than it has");
		j->failed = 1;
		return BLOCK_ABORT;
	}
	if ((uint64_t)blockcnt >= j->maxlen)
		return 0;
	struct jrun *r = j->nruns ? &j->runs[j->nruns - 1] : NULL;
	if (r && r->lblk + r->len == (uint64_t)blockcnt && r->pblk + r->len == *blocknr) {
		r->len++;
		return 0;
	}
	if (j->nruns >= JOURNAL_MAX_RUNS) {
		say(j, "the journal inode is in more than %zu pieces", JOURNAL_MAX_RUNS);
		j->failed = 1;
		return BLOCK_ABORT;
	}
	if (grow((void **)&j->runs, &j->runs_cap, j->nruns, sizeof(*j->runs), JOURNAL_MAX_RUNS)) {
		say(j, "out of memory mapping the journal");
		j->failed = 1;
		return BLOCK_ABORT;
	}
	j->runs[j->nruns++] = (struct jrun){ (uint64_t)blockcnt, *blocknr, 1 };
	return 0;
}

static int by_lblk(const void *a, const void *b)
{
	const struct jrun *x = a, *y = b;
	return (x->lblk > y->lblk) - (x->lblk < y->lblk);
}

static int by_pblk(const void *a, const void *b)
{
	const struct jrun *x = a, *y = b;
	return (x->pblk > y->pblk) - (x->pblk < y->pblk);
}

/* Map every journal block up to maxlen; the runs must not overlap, logically or on disk. */
static int map_journal(struct journal *j, ext2_ino_t ino)
{
	errcode_t err = ext2fs_block_iterate3(j->fs, ino, BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY,
	                                      NULL, map_block, j);
	if (j->failed)
		return -1;
	if (err) {
		say(j, "cannot map the journal inode: %s", error_message(err));
		return -1;
	}
	if (!j->nruns) {
		say(j, "the journal inode has no blocks");
		return -1;
	}
	qsort(j->runs, j->nruns, sizeof(*j->runs), by_lblk);
	for (size_t i = 1; i < j->nruns; i++)
		if (j->runs[i - 1].lblk + j->runs[i - 1].len > j->runs[i].lblk) {
			say(j, "the journal inode maps block %llu twice",
			    (unsigned long long)j->runs[i].lblk);
			return -1;
		}
	j->by_phys = malloc(j->nruns * sizeof(*j->by_phys));
	if (!j->by_phys) {
		say(j, "out of memory mapping the journal");
		return -1;
	}
	memcpy(j->by_phys, j->runs, j->nruns * sizeof(*j->by_phys));
	qsort(j->by_phys, j->nruns, sizeof(*j->by_phys), by_pblk);
	for (size_t i = 1; i < j->nruns; i++)
		if (j->by_phys[i - 1].pblk + j->by_phys[i - 1].len > j->by_phys[i].pblk) {
			say(j, "two journal blocks share filesystem block %llu",
			    (unsigned long long)j->by_phys[i].pblk);
			return -1;
		}
	return 0;
}

/* the run holding key (a journal block, or with phys a filesystem block), or NULL */
static const struct jrun *find_run(const struct jrun *runs, size_t n, uint64_t key, bool phys)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t s = phys ? runs[mid].pblk : runs[mid].lblk;
		if (key < s)
			hi = mid;
		else if (key >= s + runs[mid].len)
			lo = mid + 1;
		else
			return &runs[mid];
	}
	return NULL;
}

static int jread(struct journal *j, uint32_t lblk, unsigned char *buf)
{
	const struct jrun *r = find_run(j->runs, j->nruns, lblk, false);
	if (!r) {
		say(j, "journal block %u is not mapped", lblk);
		return -1;
	}
	errcode_t err = io_channel_read_blk64(j->fs->io, r->pblk + (lblk - r->lblk), 1, buf);
	if (err) {
		say(j, "cannot read journal block %u: %s", lblk, error_message(err));
		return -1;
	}
	return 0;
}

/* ---- the journal superblock --------------------------------------------- */
static int load_superblock(struct journal *j, uint64_t inode_blocks)
{
	unsigned char *sb = j->buf;
	if (jread(j, 0, sb))
		return -1;
	uint32_t type = be32(sb + JH_TYPE);
	if (be32(sb + JH_MAGIC) != JBD2_MAGIC || (type != JBD2_SB_V1 && type != JBD2_SB_V2)) {
		say(j, "the journal has no jbd2 superblock");
		return -1;
	}
	if (be32(sb + JSB_BLOCKSIZE) != j->bs) {
		say(j, "journal block size %u differs from the filesystem's %u",
		    be32(sb + JSB_BLOCKSIZE), j->bs);
		return -1;
	}
	j->maxlen = be32(sb + JSB_MAXLEN);
	j->first = be32(sb + JSB_FIRST);
	j->sequence = be32(sb + JSB_SEQUENCE);
	j->start = be32(sb + JSB_START);
	if (j->maxlen < JBD2_MIN_BLOCKS || j->maxlen > JBD2_MAX_BLOCKS || j->maxlen > inode_blocks) {
		say(j, "journal length %u blocks is impossible (the inode holds %llu)", j->maxlen,
		    (unsigned long long)inode_blocks);
		return -1;
	}
	if (j->first == 0 || j->first >= j->maxlen) {
		say(j, "journal's first log block %u is outside 1..%u", j->first, j->maxlen - 1);
		return -1;
	}
	j->last = j->maxlen;
	if (type == JBD2_SB_V2) {
		j->compat = be32(sb + JSB_COMPAT);
		j->incompat = be32(sb + JSB_INCOMPAT);
	}
	if (j->incompat & ~INCOMPAT_KNOWN) {
		say(j, "journal has unknown incompatible features 0x%x", j->incompat & ~INCOMPAT_KNOWN);
		return -1;
	}
	if (j->incompat & INCOMPAT_FAST_COMMIT) {
		say(j, "journal uses fast commits, which are not replayed here");
		return -1;
	}
	if ((j->incompat & INCOMPAT_CSUM_V2) && (j->incompat & INCOMPAT_CSUM_V3)) {
		say(j, "journal claims both checksum v2 and v3");
		return -1;
	}
	j->csum = (j->incompat & INCOMPAT_CSUM_V3) ? 3 : (j->incompat & INCOMPAT_CSUM_V2) ? 2 : 0;
	j->v1csum = !j->csum && (j->compat & COMPAT_CHECKSUM);
	j->is64 = j->incompat & INCOMPAT_64BIT;
	if (j->csum) {
		if (sb[JSB_CHECKSUM_TYPE] != CSUM_TYPE_CRC32C) {
			say(j, "journal checksum type %u is not crc32c", sb[JSB_CHECKSUM_TYPE]);
			return -1;
		}
		uint32_t want = be32(sb + JSB_CHECKSUM);
		uint32_t got = crc32c_skip(~0u, sb, JSB_SIZE, JSB_CHECKSUM);
		if (want != got) {
			say(j, "journal superblock checksum mismatch (0x%08x, computed 0x%08x)", want, got);
			return -1;
		}
		j->seed = ext2fs_crc32c_le(~0u, sb + JSB_UUID, 16);
	}
	if (j->csum == 3)
		j->tag_bytes = 16;
	else
		j->tag_bytes = 12 + (j->csum == 2 ? 2 : 0) - (j->is64 ? 0 : 4);
	if (j->start && (j->start < j->first || j->start >= j->last)) {
		say(j, "journal log starts at block %u, outside %u..%u", j->start, j->first, j->last - 1);
		return -1;
	}
	return 0;
}

/* ---- pass 1: scan ------------------------------------------------------- */
static uint32_t next_block(const struct journal *j, uint32_t b)
{
	return b + 1 >= j->last ? j->first : b + 1;
}

/* descriptor and revoke blocks end in a crc32c of the block, the tail counted as zero */
static bool tail_ok(const struct journal *j, const unsigned char *b)
{
	if (!j->csum)
		return true;
	uint32_t got = crc32c_skip(j->seed, b, j->bs, j->bs - TAIL_SIZE);
	return be32(b + j->bs - TAIL_SIZE) == got;
}

static bool commit_ok(const struct journal *j, const unsigned char *b)
{
	if (!j->csum)
		return true;
	uint32_t got = crc32c_skip(j->seed, b, j->bs, COMMIT_CHKSUM);
	return be32(b + COMMIT_CHKSUM) == got;
}

/* The filesystem block a tag names must exist and must not be the journal's own. */
static int check_target(struct journal *j, uint64_t blk, uint32_t seq)
{
	if (blk >= ext2fs_blocks_count(j->fs->super)) {
		say(j, "transaction %u writes block %llu, beyond the filesystem's %llu blocks", seq,
		    (unsigned long long)blk, (unsigned long long)ext2fs_blocks_count(j->fs->super));
		return -1;
	}
	if (find_run(j->by_phys, j->nruns, blk, true)) {
		say(j, "transaction %u writes block %llu, which is part of the journal itself", seq,
		    (unsigned long long)blk);
		return -1;
	}
	return 0;
}

/* Parse the tags of the descriptor in j->buf (journal block at, transaction seq); each names
 * the next block of the log. *pos and *used advance past the data blocks. */
static int scan_descriptor(struct journal *j, uint32_t at, uint32_t seq, uint32_t *pos,
                           uint64_t *used, uint64_t logsize, uint32_t *crc_v1,
                           unsigned char *data)
{
	const unsigned char *d = j->buf;
	size_t limit = j->bs - (j->csum ? TAIL_SIZE : 0);
	size_t off = JH_SIZE;
	unsigned n = 0;
	while (off + j->tag_bytes <= limit) {
		const unsigned char *t = d + off;
		uint32_t flags = be16(t + TAG_FLAGS16);
		uint64_t blk = be32(t + TAG_BLOCKNR);
		if (j->is64)
			blk |= (uint64_t)be32(t + TAG_BLOCKNR_HIGH) << 32;
		uint32_t csum = j->csum == 3 ? be32(t + TAG3_CSUM32) : be16(t + TAG_CSUM16);
		off += j->tag_bytes;
		if (!(flags & FLAG_SAME_UUID)) {
			if (off + TAG_UUID_SIZE > limit) {
				say(j, "descriptor at journal block %u (transaction %u): tag %u runs past the "
				    "end of the block", at, seq, n);
				return -1;
			}
			off += TAG_UUID_SIZE;
		}
		if (*used >= logsize) {
			say(j, "transaction %u runs past the whole journal (%llu blocks): the log loops",
			    seq, (unsigned long long)logsize);
			return -1;
		}
		if (check_target(j, blk, seq))
			return -1;
		if (j->v1csum) {
			if (jread(j, *pos, data))
				return -1;
			*crc_v1 = ext2fs_crc32_be(*crc_v1, data, j->bs);
		}
		if (j->ntags >= JOURNAL_MAX_TAGS) {
			say(j, "the journal lists more than %zu block copies", JOURNAL_MAX_TAGS);
			return -1;
		}
		if (grow((void **)&j->tags, &j->tags_cap, j->ntags, sizeof(*j->tags), JOURNAL_MAX_TAGS)) {
			say(j, "out of memory scanning the journal");
			return -1;
		}
		j->tags[j->ntags++] = (struct jtag){ blk, *pos, seq, flags, csum };
		*pos = next_block(j, *pos);
		++*used;
		n++;
		if (flags & FLAG_LAST_TAG)
			break;
	}
	return 0;
}

/* Pass 1: find the committed transactions; record their tags and revoke blocks. */
static int scan(struct journal *j, uint32_t *ntrans)
{
	uint64_t logsize = (uint64_t)j->last - j->first, used = 0;
	uint32_t pos = j->start, seq = j->sequence, crc_v1 = ~0u;
	size_t tags_done = 0, revokes_done = 0;
	bool open = false;
	unsigned char *data = malloc(j->bs);
	if (!data) {
		say(j, "out of memory scanning the journal");
		return -1;
	}
	*ntrans = 0;
	int rc = -1;
	for (;;) {
		if (used >= logsize) {
			if (open) {
				say(j, "transaction %u runs past the whole journal (%llu blocks): the log loops",
				    seq, (unsigned long long)logsize);
				goto out;
			}
			break;
		}
		uint32_t at = pos;
		if (jread(j, at, j->buf))
			goto out;
		pos = next_block(j, pos);
		used++;
		const unsigned char *h = j->buf;
		if (be32(h + JH_MAGIC) != JBD2_MAGIC || be32(h + JH_SEQUENCE) != seq)
			break;
		uint32_t type = be32(h + JH_TYPE);
		if (type == JBD2_DESCRIPTOR) {
			if (!tail_ok(j, h)) {
				say(j, "descriptor at journal block %u (transaction %u): checksum mismatch", at, seq);
				goto out;
			}
			open = true;
			if (j->v1csum)
				crc_v1 = ext2fs_crc32_be(crc_v1, h, j->bs);
			if (scan_descriptor(j, at, seq, &pos, &used, logsize, &crc_v1, data))
				goto out;
		} else if (type == JBD2_REVOKE) {
			if (!tail_ok(j, h)) {
				say(j, "revoke block at journal block %u (transaction %u): checksum mismatch", at, seq);
				goto out;
			}
			uint32_t count = be32(h + REVOKE_COUNT);
			if (count > j->bs - (j->csum ? TAIL_SIZE : 0)) {
				say(j, "revoke block at journal block %u (transaction %u) claims %u bytes in a "
				    "%u-byte block", at, seq, count, j->bs);
				goto out;
			}
			open = true;
			if (j->nrevokes >= JOURNAL_MAX_TAGS) {
				say(j, "the journal holds more than %zu revoke blocks", JOURNAL_MAX_TAGS);
				goto out;
			}
			if (grow((void **)&j->revokes, &j->revokes_cap, j->nrevokes, sizeof(*j->revokes),
			         JOURNAL_MAX_TAGS)) {
				say(j, "out of memory scanning the journal");
				goto out;
			}
			j->revokes[j->nrevokes++] = (struct jrevoke){ at, seq };
		} else if (type == JBD2_COMMIT) {
			if (!commit_ok(j, h)) {
				say(j, "commit block at journal block %u (transaction %u): checksum mismatch", at, seq);
				goto out;
			}
			if (j->v1csum) {
				uint32_t found = be32(h + COMMIT_CHKSUM);
				bool match = h[COMMIT_CHKSUM_TYPE] == CSUM_TYPE_CRC32 &&
				             h[COMMIT_CHKSUM_SIZE] == 4 && found == crc_v1;
				bool unused = !h[COMMIT_CHKSUM_TYPE] && !h[COMMIT_CHKSUM_SIZE] && !found;
				if (!match && !unused) {
					say(j, "commit block at journal block %u (transaction %u): crc32 of the "
					    "transaction mismatch", at, seq);
					goto out;
				}
				crc_v1 = ~0u;
			}
			tags_done = j->ntags;
			revokes_done = j->nrevokes;
			open = false;
			seq++;
			++*ntrans;
		} else {
			break;  /* any other block ends the log, as in the kernel */
		}
	}
	j->ntags = tags_done;           /* an incomplete last transaction is ignored */
	j->nrevokes = revokes_done;
	rc = 0;
out:
	free(data);
	return rc;
}

/* ---- pass 2: revoke ----------------------------------------------------- */
static int collect_revokes(struct journal *j, struct block_overlay *ov)
{
	size_t rec = j->is64 ? 8 : 4;
	for (size_t i = 0; i < j->nrevokes; i++) {
		const struct jrevoke *r = &j->revokes[i];
		if (jread(j, r->jblk, j->buf))
			return -1;
		size_t max = be32(j->buf + REVOKE_COUNT);
		if (max > j->bs - (j->csum ? TAIL_SIZE : 0) || !tail_ok(j, j->buf)) {
			say(j, "revoke block at journal block %u changed between reads", r->jblk);
			return -1;
		}
		for (size_t off = REVOKE_RECORDS; off + rec <= max; off += rec) {
			uint64_t blk = rec == 8 ? be64(j->buf + off) : be32(j->buf + off);
			/* only blocks some transaction writes can be affected */
			struct ov_ent *e = ov_find(ov, blk);
			if (e && (!e->revoked || tid_gt(r->seq, e->revoke_seq))) {
				e->revoked = true;
				e->revoke_seq = r->seq;
			}
		}
	}
	return 0;
}

/* ---- pass 3: replay ----------------------------------------------------- */
static bool data_ok(const struct journal *j, const struct jtag *t, const unsigned char *b)
{
	if (!j->csum)
		return true;
	unsigned char seq[4] = { (unsigned char)(t->seq >> 24), (unsigned char)(t->seq >> 16),
	                         (unsigned char)(t->seq >> 8), (unsigned char)t->seq };
	uint32_t c = ext2fs_crc32c_le(j->seed, seq, sizeof(seq));
	c = ext2fs_crc32c_le(c, b, j->bs);
	return j->csum == 3 ? t->csum == c : t->csum == (c & 0xffff);
}

static int replay(struct journal *j, struct block_overlay *ov)
{
	uint64_t held = 0;
	for (size_t i = 0; i < j->ntags; i++) {
		const struct jtag *t = &j->tags[i];
		struct ov_ent *e = ov_find(ov, t->blk);
		if (e->revoked && !tid_gt(t->seq, e->revoke_seq))
			continue;
		if (jread(j, t->jblk, j->buf))
			return -1;
		if (!data_ok(j, t, j->buf)) {
			say(j, "journal block %u (transaction %u, for block %llu): checksum mismatch",
			    t->jblk, t->seq, (unsigned long long)t->blk);
			return -1;
		}
		if (!e->data) {
			held += j->bs;
			if (held > JOURNAL_MAX_OVERLAY) {
				say(j, "replaying the journal would hold more than %llu MiB",
				    (unsigned long long)(JOURNAL_MAX_OVERLAY >> 20));
				return -1;
			}
			e->data = malloc(j->bs);
			if (!e->data) {
				say(j, "out of memory replaying the journal");
				return -1;
			}
			ov->count++;
		}
		memcpy(e->data, j->buf, j->bs);
		if (t->flags & FLAG_ESCAPE) {
			unsigned char *p = e->data;
			p[0] = 0xC0, p[1] = 0x3B, p[2] = 0x39, p[3] = 0x98;
		}
	}
	return 0;
}

/* ---- the whole ---------------------------------------------------------- */
static struct block_overlay *overlay_new(unsigned bs)
{
	size_t size = 64;
	struct block_overlay *ov = calloc(1, sizeof(*ov));
	if (!ov)
		return NULL;
	ov->block_size = bs;
	ov->mask = size - 1;
	ov->tab = calloc(size, sizeof(*ov->tab));
	if (!ov->tab) {
		free(ov);
		return NULL;
	}
	return ov;
}

/* Find the journal inode and check it can be one. */
static int open_journal(struct journal *j, uint64_t *inode_blocks, ext2_ino_t *ino_out)
{
	ext2_filsys fs = j->fs;
	ext2_ino_t ino = fs->super->s_journal_inum;
	if (!ext2fs_has_feature_journal(fs->super)) {
		say(j, "the filesystem needs recovery but has no journal");
		return -1;
	}
	if (ext2fs_has_feature_journal_dev(fs->super) || ino == 0) {
		say(j, "the filesystem's journal is on another device");
		return -1;
	}
	if (ino > fs->super->s_inodes_count) {
		say(j, "journal inode %u does not exist", ino);
		return -1;
	}
	struct ext2_inode inode;
	errcode_t err = ext2fs_read_inode(fs, ino, &inode);
	if (err) {
		say(j, "cannot read journal inode %u: %s", ino, error_message(err));
		return -1;
	}
	if (!LINUX_S_ISREG(inode.i_mode)) {
		say(j, "journal inode %u is not a regular file", ino);
		return -1;
	}
	*inode_blocks = EXT2_I_SIZE(&inode) / j->bs;
	*ino_out = ino;
	return 0;
}

int journal_replay(ext2_filsys fs, struct block_overlay **out, char *why, size_t size)
{
	struct journal j = { .fs = fs, .bs = fs->blocksize, .why = why, .whysize = size };
	struct block_overlay *ov = NULL;
	int rc = -1;
	*out = NULL;
	if (why && size)
		why[0] = '\0';
	if (!ext2fs_has_feature_journal_needs_recovery(fs->super))
		return 0;
	if (j.bs < 1024 || j.bs > 65536 || (j.bs & (j.bs - 1))) {
		say(&j, "block size %u is impossible", j.bs);
		return -1;
	}
	uint64_t inode_blocks;
	ext2_ino_t ino;
	if (open_journal(&j, &inode_blocks, &ino))
		return -1;
	/* map at most what the inode's size claims, within the jbd2 maximum */
	j.maxlen = inode_blocks > JBD2_MAX_BLOCKS ? JBD2_MAX_BLOCKS : (uint32_t)inode_blocks;
	if (j.maxlen < JBD2_MIN_BLOCKS) {
		say(&j, "journal inode holds %llu blocks, fewer than a journal needs",
		    (unsigned long long)inode_blocks);
		return -1;
	}
	j.buf = malloc(j.bs);
	if (!j.buf) {
		say(&j, "out of memory");
		goto out;
	}
	if (map_journal(&j, ino) || load_superblock(&j, inode_blocks))
		goto out;
	if (j.start == 0) {             /* clean: nothing to replay */
		rc = 0;
		goto out;
	}
	uint32_t ntrans;
	if (scan(&j, &ntrans))
		goto out;
	if (j.ntags == 0) {
		rc = 0;
		goto out;
	}
	ov = overlay_new(j.bs);
	if (!ov) {
		say(&j, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < j.ntags; i++)
		if (!ov_add(ov, j.tags[i].blk)) {
			say(&j, "out of memory");
			goto out;
		}
	if (collect_revokes(&j, ov) || replay(&j, ov))
		goto out;
	if (ov->count) {
		*out = ov;
		ov = NULL;
	}
	rc = 0;
out:
	overlay_free(ov);
	free(j.buf);
	free(j.runs);
	free(j.by_phys);
	free(j.tags);
	free(j.revokes);
	return rc;
}

/* ext4.c - ext2/3/4 through libext2fs, over a read-only io_manager of our
 * own (e2fsprogs has none for NBD, and its qcow2 code knows neither
 * compression nor backing files) */
#include <errno.h>
#include <stdarg.h>
#include <et/com_err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include "ext4.h"
#include "journal.h"

#define CHUNK (64u << 10)         /* the io cache's unit */
#define CACHE_SLOTS 128u          /* 8 MiB of metadata cache */
#define DIRECT_READ (256u << 10)  /* larger reads bypass the cache */
#define DATA_BUF (1u << 20)

/* ---- the io_manager ------------------------------------------------------------- */

struct ioctx {
	struct disk *d;
	uint64_t start, size;     /* the filesystem's bytes on the disk */
	uint64_t tag[CACHE_SLOTS];
	unsigned char *slot[CACHE_SLOTS];
	/* the journal's replay: patches whatever is read, by byte range */
	void (*patch)(void *arg, void *buf, size_t len, uint64_t off);
	void *patch_arg;
	char why[256];
};

static struct ioctx *opening; /* handed from ext4_open to io_open */

static int ioctx_raw(struct ioctx *c, void *buf, size_t len, uint64_t off)
{
	if (off > c->size || len > c->size - off) {
		snprintf(c->why, sizeof(c->why), "a read at byte %llu lies past the filesystem's end",
		         (unsigned long long)off);
		return -1;
	}
	return disk_pread(c->d, buf, len, c->start + off, c->why, sizeof(c->why));
}

static const unsigned char *ioctx_chunk(struct ioctx *c, uint64_t idx)
{
	unsigned s = (unsigned)(idx % CACHE_SLOTS);
	if (c->slot[s] && c->tag[s] == idx)
		return c->slot[s];
	if (!c->slot[s] && !(c->slot[s] = malloc(CHUNK)))
		return NULL;
	uint64_t off = idx * CHUNK;
	size_t n = c->size - off < CHUNK ? (size_t)(c->size - off) : CHUNK;
	c->tag[s] = UINT64_MAX;
	if (ioctx_raw(c, c->slot[s], n, off) < 0)
		return NULL;
	memset(c->slot[s] + n, 0, CHUNK - n);
	c->tag[s] = idx;
	return c->slot[s];
}

/* LEN bytes at OFF of the filesystem, with the journal's replay over them. */
static int ioctx_read(struct ioctx *c, void *buf, size_t len, uint64_t off, bool cached)
{
	if (off > c->size || len > c->size - off) {
		snprintf(c->why, sizeof(c->why), "a read at byte %llu lies past the filesystem's end",
		         (unsigned long long)off);
		return -1;
	}
	if (!cached || len > DIRECT_READ) {
		if (ioctx_raw(c, buf, len, off) < 0)
			return -1;
	} else {
		unsigned char *p = buf;
		for (uint64_t at = off; at < off + len; ) {
			const unsigned char *chunk = ioctx_chunk(c, at / CHUNK);
			if (!chunk)
				return -1;
			size_t in = (size_t)(at % CHUNK);
			size_t n = CHUNK - in < off + len - at ? CHUNK - in : (size_t)(off + len - at);
			memcpy(p, chunk + in, n);
			p += n;
			at += n;
		}
	}
	if (c->patch)
		c->patch(c->patch_arg, buf, len, off);
	return 0;
}

static struct struct_io_manager lifeboat_io;

static errcode_t io_open(const char *name, int flags, io_channel *channel)
{
	if (flags & IO_FLAG_RW)
		return EXT2_ET_RO_FILSYS;
	if (!opening)
		return EXT2_ET_BAD_DEVICE_NAME;
	io_channel io;
	errcode_t err = ext2fs_get_memzero(sizeof(*io), &io);
	if (err)
		return err;
	size_t n = strlen(name) + 1;
	if ((err = ext2fs_get_mem(n, &io->name))) {
		ext2fs_free_mem(&io);
		return err;
	}
	memcpy(io->name, name, n);
	io->magic = EXT2_ET_MAGIC_IO_CHANNEL;
	io->manager = &lifeboat_io;
	io->block_size = 1024;
	io->refcount = 1;
	io->private_data = opening;
	*channel = io;
	return 0;
}

static errcode_t io_close(io_channel io)
{
	if (--io->refcount > 0)
		return 0;
	ext2fs_free_mem(&io->name);
	ext2fs_free_mem(&io);
	return 0;
}

static errcode_t io_set_blksize(io_channel io, int blksize)
{
	if (blksize <= 0 || blksize > (1 << 16))
		return EXT2_ET_INVALID_ARGUMENT;
	io->block_size = blksize;
	return 0;
}

static errcode_t io_read64(io_channel io, unsigned long long block, int count, void *data)
{
	struct ioctx *c = io->private_data;
	size_t len = count < 0 ? (size_t)-(long long)count : (size_t)count * (size_t)io->block_size;
	if (block > UINT64_MAX / (uint64_t)io->block_size)
		return EXT2_ET_SHORT_READ;
	return ioctx_read(c, data, len, block * (uint64_t)io->block_size, true) < 0
	       ? EXT2_ET_SHORT_READ : 0;
}

static errcode_t io_read(io_channel io, unsigned long block, int count, void *data)
{
	return io_read64(io, block, count, data);
}

/* The image is never written: every way of writing is an error. */
static errcode_t io_write(io_channel io, unsigned long block, int count, const void *data)
{
	(void)io, (void)block, (void)count, (void)data;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t io_write64(io_channel io, unsigned long long block, int count,
                            const void *data)
{
	(void)io, (void)block, (void)count, (void)data;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t io_write_byte(io_channel io, unsigned long offset, int count,
                               const void *data)
{
	(void)io, (void)offset, (void)count, (void)data;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t io_discard(io_channel io, unsigned long long block, unsigned long long count)
{
	(void)io, (void)block, (void)count;
	return EXT2_ET_RO_FILSYS;
}

static errcode_t io_zeroout(io_channel io, unsigned long long block, unsigned long long count)
{
	(void)io, (void)block, (void)count;
	return EXT2_ET_RO_FILSYS;
}

/* ext2fs_close flushes even a read-only filesystem: nothing to do. */
static errcode_t io_flush(io_channel io)
{
	(void)io;
	return 0;
}

static errcode_t io_set_option(io_channel io, const char *option, const char *arg)
{
	(void)io, (void)option, (void)arg;
	return EXT2_ET_INVALID_ARGUMENT;
}

static struct struct_io_manager lifeboat_io = {
	.magic = EXT2_ET_MAGIC_IO_MANAGER,
	.name = "lifeboat read-only",
	.open = io_open,
	.close = io_close,
	.set_blksize = io_set_blksize,
	.read_blk = io_read,
	.write_blk = io_write,
	.flush = io_flush,
	.write_byte = io_write_byte,
	.set_option = io_set_option,
	.read_blk64 = io_read64,
	.write_blk64 = io_write64,
	.discard = io_discard,
	.zeroout = io_zeroout,
};

/* ---- the filesystem ---------------------------------------------------------------- */

struct ext4 {
	ext2_filsys fs;
	struct ioctx io;
	size_t replayed;
	void (*release)(void *arg);  /* frees io.patch_arg */
};

static uint32_t sb32(const unsigned char *sb, size_t off)
{
	return (uint32_t)sb[off] | (uint32_t)sb[off + 1] << 8 | (uint32_t)sb[off + 2] << 16 |
	       (uint32_t)sb[off + 3] << 24;
}

int ext4_check_features(const unsigned char *sb, bool can_replay, char *why, size_t size)
{
	if (sb[56] != 0x53 || sb[57] != 0xef) {
		snprintf(why, size, "no ext2/3/4 superblock");
		return -1;
	}
	uint32_t incompat = sb32(sb, 96), ro = sb32(sb, 100);
	static const struct { uint32_t bit; const char *name; } refused[] = {
		{ EXT4_FEATURE_INCOMPAT_ENCRYPT, "encrypt (encryption)" },
		{ EXT4_FEATURE_INCOMPAT_CASEFOLD, "casefold" },
		{ EXT2_FEATURE_INCOMPAT_COMPRESSION, "compression" },
		{ EXT3_FEATURE_INCOMPAT_JOURNAL_DEV, "journal_dev (an external journal device)" },
		{ EXT4_FEATURE_INCOMPAT_DIRDATA, "dirdata" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (incompat & refused[i].bit) {
			snprintf(why, size, "the filesystem uses %s", refused[i].name);
			return -1;
		}
	if (ro & EXT4_FEATURE_RO_COMPAT_VERITY) {
		snprintf(why, size, "the filesystem uses verity");
		return -1;
	}
	const uint32_t known = EXT2_FEATURE_INCOMPAT_FILETYPE | EXT3_FEATURE_INCOMPAT_RECOVER |
	                       EXT2_FEATURE_INCOMPAT_META_BG | EXT3_FEATURE_INCOMPAT_EXTENTS |
	                       EXT4_FEATURE_INCOMPAT_64BIT | EXT4_FEATURE_INCOMPAT_MMP |
	                       EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_EA_INODE |
	                       EXT4_FEATURE_INCOMPAT_CSUM_SEED | EXT4_FEATURE_INCOMPAT_LARGEDIR |
	                       EXT4_FEATURE_INCOMPAT_INLINE_DATA;
	if (incompat & ~known) {
		snprintf(why, size, "the filesystem has unknown incompatible features 0x%x",
		         incompat & ~known);
		return -1;
	}
	if ((incompat & EXT3_FEATURE_INCOMPAT_RECOVER) && !can_replay) {
		snprintf(why, size, "the journal needs recovery (needs_recovery) and cannot be "
		         "replayed here");
		return -1;
	}
	if (sb32(sb, 0xe4) && (incompat & EXT3_FEATURE_INCOMPAT_RECOVER)) {
		/* s_journal_dev: an external journal, not in this image */
		snprintf(why, size, "the journal is on another device");
		return -1;
	}
	return 0;
}

static int open_fs(struct ext4 *x, char *why, size_t size)
{
	char name[64];
	snprintf(name, sizeof(name), "lifeboat@%llu", (unsigned long long)x->io.start);
	opening = &x->io;
	errcode_t err = ext2fs_open2(name, NULL, EXT2_FLAG_64BITS | EXT2_FLAG_SKIP_MMP, 0, 0,
	                             &lifeboat_io, &x->fs);
	opening = NULL;
	if (err) {
		x->fs = NULL;
		snprintf(why, size, "cannot open the ext filesystem: %s%s%s", error_message(err),
		         x->io.why[0] ? ": " : "", x->io.why);
		return -1;
	}
	return 0;
}

/* Every read is served from the disk, then patched by each replayed
 * block it overlaps: by byte range, since libext2fs reads with more than
 * one block size (the superblock with 1024). */
static void overlay_patch(void *arg, void *buf, size_t len, uint64_t off)
{
	const struct block_overlay *ov = arg;
	uint64_t bs = overlay_block_size(ov);
	if (!len || !bs)
		return;
	for (uint64_t b = off / bs; b <= (off + len - 1) / bs; b++) {
		const unsigned char *p = overlay_block(ov, b);
		if (!p)
			continue;
		uint64_t start = b * bs;
		uint64_t from = off > start ? off : start;
		uint64_t to = off + len < start + bs ? off + len : start + bs;
		memcpy((unsigned char *)buf + (from - off), p + (from - start), (size_t)(to - from));
	}
}

static void release_overlay(void *arg)
{
	overlay_free(arg);
}

/* needs_recovery: what the journal would write home goes into memory,
 * and the filesystem is opened again through it, superblock and group
 * descriptors included. */
static int replay(struct ext4 *x, char *why, size_t size)
{
	struct block_overlay *ov = NULL;
	char jwhy[300] = "";
	if (journal_replay(x->fs, &ov, jwhy, sizeof(jwhy)) < 0) {
		snprintf(why, size, "unsupported: the journal needs recovery, but does not parse: %s",
		         jwhy);
		return -1;
	}
	if (!ov)
		return 0;
	x->replayed = overlay_count(ov);
	ext2fs_close_free(&x->fs);
	x->io.patch = overlay_patch;
	x->io.patch_arg = ov;
	x->release = release_overlay;
	return open_fs(x, why, size);
}

struct ext4 *ext4_open(struct disk *d, uint64_t start, uint64_t size, char *why, size_t wsize)
{
	unsigned char sb[1024];
	char reason[200];
	static bool messages;
	if (!messages) {
		initialize_ext2_error_table();
		messages = true;
	}
	if (size < 2048 || disk_pread(d, sb, sizeof(sb), start + 1024, why, wsize) < 0) {
		if (size < 2048)
			snprintf(why, wsize, "too small for a filesystem");
		return NULL;
	}
	if (ext4_check_features(sb, true, reason, sizeof(reason)) < 0) {
		snprintf(why, wsize, "unsupported: %s", reason);
		return NULL;
	}
	struct ext4 *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(why, wsize, "out of memory");
		return NULL;
	}
	x->io.d = d;
	x->io.start = start;
	x->io.size = size;
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		x->io.tag[i] = UINT64_MAX;
	if (open_fs(x, why, wsize) < 0) {
		ext4_close(x);
		return NULL;
	}
	if (ext2fs_has_feature_journal_needs_recovery(x->fs->super) && replay(x, why, wsize) < 0) {
		ext4_close(x);
		return NULL;
	}
	return x;
}

void ext4_close(struct ext4 *x)
{
	if (!x)
		return;
	if (x->fs)
		ext2fs_close_free(&x->fs);
	if (x->release)
		x->release(x->io.patch_arg);
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		free(x->io.slot[i]);
	free(x);
}

ext2_filsys ext4_fs(struct ext4 *x)
{
	return x->fs;
}

size_t ext4_replayed_blocks(struct ext4 *x)
{
	return x->replayed;
}

void ext4_label(struct ext4 *x, char out[17])
{
	memcpy(out, x->fs->super->s_volume_name, 16);
	out[16] = '\0';
}

void ext4_uuid(struct ext4 *x, char out[37])
{
	const unsigned char *u = x->fs->super->s_uuid;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
	         u[13], u[14], u[15]);
}

const char *ext4_type(struct ext4 *x)
{
	struct ext2_super_block *s = x->fs->super;
	if (s->s_feature_incompat & (EXT3_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT |
	                             EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_INLINE_DATA |
	                             EXT4_FEATURE_INCOMPAT_MMP) ||
	    s->s_feature_ro_compat & (EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_GDT_CSUM |
	                              EXT4_FEATURE_RO_COMPAT_DIR_NLINK |
	                              EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE |
	                              EXT4_FEATURE_RO_COMPAT_METADATA_CSUM))
		return "ext4";
	return ext2fs_has_feature_journal(s) ? "ext3" : "ext2";
}

/* As the kernel's statfs: blocks minus free minus the metadata overhead
 * (superblocks, descriptors, bitmaps, inode tables, the journal). */
long long ext4_used_bytes(struct ext4 *x)
{
	ext2_filsys fs = x->fs;
	struct ext2_super_block *s = fs->super;
	uint64_t free_blocks = 0, overhead = s->s_first_data_block;
	for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
		blk_t used = 0;
		if (ext2fs_super_and_bgd_loc2(fs, g, NULL, NULL, NULL, &used) == 0)
			overhead += used;
		overhead += 2 + fs->inode_blocks_per_group;
		free_blocks += ext2fs_bg_free_blocks_count(fs, g);
	}
	if (s->s_overhead_clusters)
		overhead = s->s_overhead_clusters;
	else if (s->s_journal_inum) {
		struct ext2_inode j;
		if (ext2fs_read_inode(fs, s->s_journal_inum, &j) == 0)
			overhead += EXT2_I_SIZE(&j) / fs->blocksize;
	}
	uint64_t blocks = ext2fs_blocks_count(s);
	if (free_blocks + overhead > blocks)
		return 0;
	return (long long)((blocks - free_blocks - overhead) * fs->blocksize);
}

/* ---- inodes ---------------------------------------------------------------------------- */

static int fail(char *why, size_t size, errcode_t err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *why, size_t size, errcode_t err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	size_t n = strlen(why);
	if (err && n < size)
		snprintf(why + n, size - n, ": %s", error_message(err));
	return -1;
}

static enum entry_type type_of(uint16_t mode)
{
	switch (mode & 0170000) {
	case 0040000: return ENT_DIR;
	case 0120000: return ENT_SYMLINK;
	case 0020000: return ENT_CHAR;
	case 0060000: return ENT_BLOCK;
	case 0010000: return ENT_FIFO;
	case 0140000: return ENT_SOCKET;
	default: return ENT_FILE;
	}
}

/* Nanoseconds and the epoch bits live in i_*_extra when the inode is big
 * enough to hold them (no libext2fs helper for it). */
static void node_mtime(const struct ext2_inode_large *in, size_t inode_size, int64_t *sec,
                       long *nsec)
{
	*sec = (int32_t)in->i_mtime;
	*nsec = 0;
	size_t need = offsetof(struct ext2_inode_large, i_mtime_extra) + sizeof(in->i_mtime_extra);
	if (inode_size > EXT2_GOOD_OLD_INODE_SIZE &&
	    EXT2_GOOD_OLD_INODE_SIZE + (size_t)in->i_extra_isize >= need) {
		uint32_t extra = in->i_mtime_extra;
		*sec += (int64_t)(extra & 3) << 32;
		*nsec = (long)(extra >> 2);
		if (*nsec > 999999999)
			*nsec = 999999999;
	}
}

int ext4_read_node(struct ext4 *x, ext2_ino_t ino, struct ext4_node *n, char *why, size_t size)
{
	memset(n, 0, sizeof(*n));
	if (ino < 1 || ino > x->fs->super->s_inodes_count)
		return fail(why, size, 0, "inode %u does not exist", ino);
	errcode_t err = ext2fs_read_inode_full(x->fs, ino, (struct ext2_inode *)&n->raw,
	                                       sizeof(n->raw));
	if (err)
		return fail(why, size, err, "cannot read inode %u", ino);
	const struct ext2_inode_large *in = &n->raw;
	n->ino = ino;
	n->type = type_of(in->i_mode);
	n->perm = in->i_mode & 07777;
	n->uid = inode_uid(*in);
	n->gid = inode_gid(*in);
	n->links = in->i_links_count;
	n->size = EXT2_I_SIZE(in);
	n->flags = in->i_flags;
	node_mtime(in, EXT2_INODE_SIZE(x->fs->super), &n->mtime_sec, &n->mtime_nsec);
	if (n->type == ENT_CHAR || n->type == ENT_BLOCK) {
		uint32_t old = in->i_block[0], dev = in->i_block[1];
		n->rdev = old ? makedev((old >> 8) & 0xff, old & 0xff)
		              : makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
	}
	if (n->flags & EXT4_ENCRYPT_FL)
		return fail(why, size, 0, "inode %u is encrypted", ino);
	/* ext4 cannot hold more than 2^32 blocks in one file: anything
	 * claiming more is a lie a copy must not try to honour */
	uint64_t max = (uint64_t)x->fs->blocksize << 32;
	if (n->type == ENT_FILE && n->size > max) {
		snprintf(why, size, "inode %u claims %llu bytes, more than ext4 allows (%llu)",
		         (unsigned)ino, (unsigned long long)n->size, (unsigned long long)max);
		return -1;
	}
	return 0;
}

/* ---- directories -------------------------------------------------------------------------- */

struct dir_list {
	struct ext4 *x;
	struct ext4_dirent *d;
	size_t n, cap;
	int hash_version;
	bool hashed;
	unsigned dots, dotdots;
	char why[200];
};

/* A refused name, shown: printable ASCII as is, '\\' doubled, the rest \xHH. */
static char *shown_name(const char *name, unsigned len)
{
	char *out = malloc((size_t)len * 4 + 1);
	if (!out)
		return NULL;
	size_t at = 0;
	for (unsigned i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '\\') {
			out[at++] = '\\';
			out[at++] = '\\';
		} else if (c >= ' ' && c <= '~') {
			out[at++] = (char)c;
		} else {
			snprintf(out + at, 5, "\\x%02x", c);
			at += 4;
		}
	}
	out[at] = '\0';
	return out;
}

/* Why no kernel could have made this entry, or NULL when it could. */
static const char *impossible(struct dir_list *l, const char *name, unsigned len)
{
	if (len == 0)
		return "an empty name";
	if (len == 1 && name[0] == '.')
		return l->dots++ ? "a second '.'" : NULL;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return l->dotdots++ ? "a second '..'" : NULL;
	if (memchr(name, '/', len))
		return "a '/' inside a name";
	if (memchr(name, '\0', len))
		return "a NUL byte inside a name";
	return NULL;
}

static int dir_cb(ext2_ino_t dir, int entry, struct ext2_dir_entry *de, int offset,
                  int blocksize, char *buf, void *priv)
{
	(void)dir, (void)entry, (void)offset, (void)blocksize, (void)buf;
	struct dir_list *l = priv;
	unsigned len = ext2fs_dirent_name_len(de);
	const char *name = de->name;
	if (de->inode == 0)
		return 0;
	/* the first '.' and '..' are the directory's own; a name no kernel
	 * could have made, no path can name: kept, as refused, for the report */
	const char *refused = impossible(l, name, len);
	if (!refused && ((len == 1 && name[0] == '.') ||
	                 (len == 2 && name[0] == '.' && name[1] == '.')))
		return 0;
	if (l->n == EXT4_MAX_DIR_ENTRIES) {
		snprintf(l->why, sizeof(l->why), "more than %u entries in one directory",
		         EXT4_MAX_DIR_ENTRIES);
		return DIRENT_ABORT;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct ext4_dirent *d = realloc(l->d, cap * sizeof(*d));
		if (!d) {
			snprintf(l->why, sizeof(l->why), "out of memory");
			return DIRENT_ABORT;
		}
		l->d = d;
		l->cap = cap;
	}
	struct ext4_dirent *e = &l->d[l->n];
	e->name = refused ? shown_name(name, len) : malloc(len + 1);
	if (!e->name) {
		snprintf(l->why, sizeof(l->why), "out of memory");
		return DIRENT_ABORT;
	}
	if (!refused) {
		memcpy(e->name, name, len);
		e->name[len] = '\0';
	}
	e->refused = refused;
	e->ino = de->inode;
	e->hash = e->minor = 0;
	if (l->hashed)
		ext2fs_dirhash(l->hash_version, name, (int)len, l->x->fs->super->s_hash_seed,
		               &e->hash, &e->minor);
	l->n++;
	return 0;
}

static int by_hash(const void *a, const void *b)
{
	const struct ext4_dirent *x = a, *y = b;
	if (x->hash != y->hash)
		return x->hash < y->hash ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return x < y ? -1 : x > y;
}

int ext4_list_dir(struct ext4 *x, const struct ext4_node *n, struct ext4_dirent **out,
                  size_t *count, char *why, size_t size)
{
	struct ext2_super_block *s = x->fs->super;
	struct dir_list l = { .x = x };
	/* The kernel reads a directory in hash order when it is indexed, one
	 * block long or inline; the copy keeps that order so that the first
	 * name of a hard-linked file is the one a mounted tar would see. */
	l.hashed = ext2fs_has_feature_dir_index(s) &&
	           ((n->flags & EXT2_INDEX_FL) || n->size == x->fs->blocksize ||
	            (n->flags & EXT4_INLINE_DATA_FL));
	l.hash_version = s->s_def_hash_version;
	if (l.hash_version <= EXT2_HASH_TEA && (s->s_flags & EXT2_FLAGS_UNSIGNED_HASH))
		l.hash_version += 3;
	errcode_t err = ext2fs_dir_iterate2(x->fs, n->ino, 0, NULL,
	                                    dir_cb, &l);
	if (err || l.why[0]) {
		if (l.why[0])
			snprintf(why, size, "directory inode %u: %s", (unsigned)n->ino, l.why);
		else
			fail(why, size, err, "cannot read directory inode %u", n->ino);
		ext4_free_dirents(l.d, l.n);
		return -1;
	}
	if (l.hashed && l.n)
		qsort(l.d, l.n, sizeof(*l.d), by_hash);
	*out = l.d;
	*count = l.n;
	return 0;
}

void ext4_free_dirents(struct ext4_dirent *d, size_t count)
{
	for (size_t i = 0; d && i < count; i++)
		free(d[i].name);
	free(d);
}

int ext4_lookup(struct ext4 *x, ext2_ino_t dir, const char *name, ext2_ino_t *ino, char *why,
                size_t size)
{
	errcode_t err = ext2fs_lookup(x->fs, dir, name, (int)strlen(name), NULL, ino);
	if (err == EXT2_ET_FILE_NOT_FOUND)
		return 0;
	if (err)
		return fail(why, size, err, "cannot search directory inode %u", dir);
	return 1;
}

/* ---- file data ------------------------------------------------------------------------------ */

struct run {
	uint64_t lblk, pblk, len;  /* len in blocks */
};

struct ext4_file {
	struct ext4 *x;
	uint64_t size;
	struct run *runs;
	size_t n, cap, at;
	uint64_t done;             /* bytes of runs[at] already given */
	uint64_t next_lblk;        /* runs must come in order: a loop cannot */
	unsigned char *buf;
	size_t inline_len;         /* inline data: the whole file in buf */
	bool inline_given;
	char why[200];
};

static int add_run(struct ext4_file *f, uint64_t lblk, uint64_t pblk, uint64_t len)
{
	ext2_filsys fs = f->x->fs;
	uint64_t blocks = ext2fs_blocks_count(fs->super), bs = fs->blocksize;
	if (lblk < f->next_lblk) {
		snprintf(f->why, sizeof(f->why), "its block map goes backwards at block %llu "
		         "(it loops, or overlaps itself)", (unsigned long long)lblk);
		return -1;
	}
	if (len == 0 || pblk < fs->super->s_first_data_block || pblk >= blocks ||
	    len > blocks - pblk) {
		snprintf(f->why, sizeof(f->why), "it names blocks %llu+%llu outside the filesystem",
		         (unsigned long long)pblk, (unsigned long long)len);
		return -1;
	}
	f->next_lblk = lblk + len;
	if (lblk * bs >= f->size)
		return 0; /* past the end: never read */
	struct run *last = f->n ? &f->runs[f->n - 1] : NULL;
	if (last && last->lblk + last->len == lblk && last->pblk + last->len == pblk) {
		last->len += len;
		return 0;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct run *r = realloc(f->runs, cap * sizeof(*r));
		if (!r) {
			snprintf(f->why, sizeof(f->why), "out of memory");
			return -1;
		}
		f->runs = r;
		f->cap = cap;
	}
	f->runs[f->n++] = (struct run){ lblk, pblk, len };
	return 0;
}

/* An index entry's child must be a node one level down: libext2fs takes
 * whatever sits at the bottom level for a leaf, so a node that points
 * back up (a loop) would be read as data. The kernel refuses it; so do we. */
static int check_child(struct ext4_file *f, ext2_extent_handle_t h, const struct ext2fs_extent *e)
{
	struct ext2_extent_info info;
	unsigned char hdr[12];
	uint64_t blocks = ext2fs_blocks_count(f->x->fs->super);
	if (ext2fs_extent_get_info(h, &info) || e->e_pblk >= blocks ||
	    ioctx_read(&f->x->io, hdr, sizeof(hdr), e->e_pblk * f->x->fs->blocksize, true) < 0) {
		snprintf(f->why, sizeof(f->why), "its extent tree points outside the filesystem");
		return -1;
	}
	unsigned magic = hdr[0] | hdr[1] << 8, depth = hdr[6] | hdr[7] << 8;
	int want = info.max_depth - info.curr_level - 1;
	if (magic != 0xf30a || want < 0 || depth != (unsigned)want) {
		snprintf(f->why, sizeof(f->why), "its extent tree is malformed at block %llu "
		         "(depth %u where %d belongs: it loops, or is corrupt)",
		         (unsigned long long)e->e_pblk, depth, want);
		return -1;
	}
	return 0;
}

static int map_extents(struct ext4_file *f, const struct ext4_node *n)
{
	ext2_extent_handle_t h;
	errcode_t err = ext2fs_extent_open2(f->x->fs, n->ino, (struct ext2_inode *)&n->raw, &h);
	if (err) {
		snprintf(f->why, sizeof(f->why), "bad extent tree: %s", error_message(err));
		return -1;
	}
	struct ext2fs_extent e;
	int op = EXT2_EXTENT_ROOT, rc = 0;
	uint64_t steps = 0, limit = ext2fs_blocks_count(f->x->fs->super) + 64;
	while (rc == 0) {
		err = ext2fs_extent_get(h, op, &e);
		op = EXT2_EXTENT_NEXT;
		if (err == EXT2_ET_EXTENT_NO_NEXT)
			break;
		if (err) {
			snprintf(f->why, sizeof(f->why), "bad extent tree: %s", error_message(err));
			rc = -1;
		} else if (++steps > limit) {
			snprintf(f->why, sizeof(f->why), "its extent tree never ends");
			rc = -1;
		} else if (!(e.e_flags & (EXT2_EXTENT_FLAGS_LEAF | EXT2_EXTENT_FLAGS_SECOND_VISIT)))
			rc = check_child(f, h, &e);
		else if ((e.e_flags & EXT2_EXTENT_FLAGS_LEAF) &&
		         !(e.e_flags & EXT2_EXTENT_FLAGS_UNINIT))
			rc = add_run(f, e.e_lblk, e.e_pblk, e.e_len);
		else if ((e.e_flags & EXT2_EXTENT_FLAGS_LEAF) && e.e_lblk < f->next_lblk) {
			snprintf(f->why, sizeof(f->why), "its extent tree goes backwards (it loops)");
			rc = -1;
		} else if (e.e_flags & EXT2_EXTENT_FLAGS_LEAF)
			f->next_lblk = e.e_lblk + e.e_len; /* unwritten: reads as zeros */
	}
	ext2fs_extent_free(h);
	return rc;
}

struct map_ctx {
	struct ext4_file *f;
	uint64_t calls, limit;
	int rc;
};

static int block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt, blk64_t ref_blk,
                    int ref_offset, void *priv)
{
	(void)fs, (void)ref_blk, (void)ref_offset;
	struct map_ctx *m = priv;
	if (blockcnt < 0)
		return 0;
	if (++m->calls > m->limit) {
		snprintf(m->f->why, sizeof(m->f->why), "its block map never ends");
		m->rc = -1;
		return BLOCK_ABORT;
	}
	if ((uint64_t)blockcnt * m->f->x->fs->blocksize >= m->f->size)
		return BLOCK_ABORT; /* the rest lies past the end of the file */
	if (add_run(m->f, (uint64_t)blockcnt, *blocknr, 1) < 0) {
		m->rc = -1;
		return BLOCK_ABORT;
	}
	return 0;
}

static int map_blocks(struct ext4_file *f, const struct ext4_node *n)
{
	struct map_ctx m = { f, 0, ext2fs_blocks_count(f->x->fs->super), 0 };
	errcode_t err = ext2fs_block_iterate3(f->x->fs, n->ino,
	                                      BLOCK_FLAG_READ_ONLY | BLOCK_FLAG_DATA_ONLY, NULL,
	                                      block_cb, &m);
	if (err && m.rc == 0) {
		snprintf(f->why, sizeof(f->why), "bad block map: %s", error_message(err));
		return -1;
	}
	return m.rc;
}

static int read_inline(struct ext4_file *f, const struct ext4_node *n)
{
	size_t size = 0;
	errcode_t err = ext2fs_inline_data_size(f->x->fs, n->ino, &size);
	size_t cap = EXT2_INODE_SIZE(f->x->fs->super) + f->x->fs->blocksize;
	if (!err && size > cap)
		err = EXT2_ET_INLINE_DATA_NO_SPACE;
	if (!err && !(f->buf = malloc(cap)))
		err = EXT2_ET_NO_MEMORY;
	if (!err)
		err = ext2fs_inline_data_get(f->x->fs, n->ino, (struct ext2_inode *)&n->raw, f->buf,
		                             &size);
	if (err) {
		snprintf(f->why, sizeof(f->why), "bad inline data: %s", error_message(err));
		return -1;
	}
	f->inline_len = size < f->size ? size : (size_t)f->size;
	return 0;
}

static struct ext4_file *file_fail(struct ext4_file *f, const struct ext4_node *n, char *why,
                                   size_t size)
{
	snprintf(why, size, "inode %u: %s", (unsigned)n->ino, f->why);
	ext4_file_close(f);
	return NULL;
}

struct ext4_file *ext4_file_open(struct ext4 *x, const struct ext4_node *n, char *why,
                                 size_t size)
{
	struct ext4_file *f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	f->x = x;
	f->size = n->size;
	int rc;
	if (n->flags & EXT4_INLINE_DATA_FL)
		rc = read_inline(f, n);
	else if (n->flags & EXT4_EXTENTS_FL)
		rc = map_extents(f, n);
	else
		rc = map_blocks(f, n);
	if (rc < 0)
		return file_fail(f, n, why, size);
	if (!f->buf && f->n && !(f->buf = malloc(DATA_BUF))) {
		snprintf(f->why, sizeof(f->why), "out of memory");
		return file_fail(f, n, why, size);
	}
	return f;
}

int ext4_file_read(struct ext4_file *f, const void **buf, size_t *len, int64_t *offset,
                   char *why, size_t size)
{
	if (f->inline_len || f->inline_given) {
		if (f->inline_given)
			return 0;
		f->inline_given = true;
		*buf = f->buf;
		*len = f->inline_len;
		*offset = 0;
		return 1;
	}
	uint64_t bs = f->x->fs->blocksize;
	while (f->at < f->n) {
		const struct run *r = &f->runs[f->at];
		uint64_t from = r->lblk * bs + f->done;
		uint64_t end = (r->lblk + r->len) * bs;
		if (end > f->size)
			end = f->size;
		if (from >= end) {
			f->at++;
			f->done = 0;
			continue;
		}
		size_t n = end - from < DATA_BUF ? (size_t)(end - from) : DATA_BUF;
		if (ioctx_read(&f->x->io, f->buf, n, r->pblk * bs + f->done, false) < 0) {
			snprintf(why, size, "%s", f->x->io.why);
			return -1;
		}
		f->done += n;
		*buf = f->buf;
		*len = n;
		*offset = (int64_t)from;
		return 1;
	}
	return 0;
}

void ext4_file_close(struct ext4_file *f)
{
	if (!f)
		return;
	free(f->runs);
	free(f->buf);
	free(f);
}

int ext4_readlink(struct ext4 *x, const struct ext4_node *n, char *buf, char *why, size_t size)
{
	if (n->size > EXT4_MAX_LINK)
		return fail(why, size, 0, "symlink inode %u: target too long", n->ino);
	size_t len = (size_t)n->size;
	if (ext2fs_is_fast_symlink((struct ext2_inode *)&n->raw)) {
		/* in i_block, possibly without a NUL: i_size bytes, no more */
		size_t k = len < sizeof(n->raw.i_block) ? len : sizeof(n->raw.i_block);
		memcpy(buf, n->raw.i_block, k);
		buf[k] = '\0';
		return 0;
	}
	struct ext4_file *f = ext4_file_open(x, n, why, size);
	if (!f)
		return -1;
	const void *p;
	size_t k;
	int64_t off;
	int rc;
	memset(buf, 0, len + 1);
	while ((rc = ext4_file_read(f, &p, &k, &off, why, size)) == 1)
		if ((uint64_t)off < len) {
			size_t take = len - (size_t)off < k ? len - (size_t)off : k;
			memcpy(buf + off, p, take);
		}
	ext4_file_close(f);
	buf[len] = '\0';
	return rc < 0 ? -1 : 0;
}

/* ---- extended attributes ------------------------------------------------------------------------ */

struct xattr_ctx {
	struct ext4_xattrs *out;
	char why[160];
};

static char *arena_put(struct ext4_xattrs *x, const void *p, size_t n, bool nul)
{
	/* values point into the arena: grow it only before any is given out */
	size_t need = n + (nul ? 1 : 0);
	if (x->used + need > x->cap)
		return NULL;
	char *at = x->arena + x->used;
	memcpy(at, p, n);
	if (nul)
		at[n] = '\0';
	x->used += need;
	return at;
}

static int xattr_cb(char *name, char *value, size_t value_len, void *data)
{
	struct xattr_ctx *c = data;
	struct ext4_xattrs *x = c->out;
	if (strcmp(name, "system.data") == 0)
		return 0; /* inline data's own attribute */
	if (x->n == EXT4_MAX_XATTRS || value_len > EXT4_MAX_XATTR_SIZE) {
		snprintf(c->why, sizeof(c->why), "%s", x->n == EXT4_MAX_XATTRS
		         ? "more than 64 extended attributes" : "an extended attribute over 64 KiB");
		return XATTR_ABORT;
	}
	const char *n = arena_put(x, name, strlen(name), true);
	const char *v = n ? arena_put(x, value, value_len, false) : NULL;
	if (!n || !v) {
		snprintf(c->why, sizeof(c->why), "extended attributes too large");
		return XATTR_ABORT;
	}
	x->x[x->n++] = (struct xattr){ n, v, value_len };
	return 0;
}

int ext4_xattrs(struct ext4 *fs, const struct ext4_node *n, struct ext4_xattrs *out, char *why,
                size_t size)
{
	out->n = 0;
	out->used = 0;
	if (!out->arena) {
		out->cap = EXT4_MAX_XATTRS * 256 + 4 * EXT4_MAX_XATTR_SIZE;
		if (!(out->arena = malloc(out->cap)))
			return fail(why, size, 0, "inode %u: out of memory", n->ino);
	}
	if (!n->raw.i_file_acl && (EXT2_INODE_SIZE(fs->fs->super) <= EXT2_GOOD_OLD_INODE_SIZE ||
	                           n->raw.i_extra_isize == 0))
		return 0; /* nowhere to keep one: skip the work */
	struct ext2_xattr_handle *h = NULL;
	errcode_t err = ext2fs_xattrs_open(fs->fs, n->ino, &h);
	if (!err)
		err = ext2fs_xattrs_read(h);
	struct xattr_ctx c = { out, "" };
	if (!err)
		err = ext2fs_xattrs_iterate(h, xattr_cb, &c);
	if (h)
		ext2fs_xattrs_close(&h);
	if (c.why[0]) {
		snprintf(why, size, "inode %u: %s", (unsigned)n->ino, c.why);
		return -1;
	}
	if (err)
		return fail(why, size, err, "inode %u: cannot read its extended attributes", n->ino);
	return 0;
}

void ext4_xattrs_free(struct ext4_xattrs *x)
{
	free(x->arena);
	memset(x, 0, sizeof(*x));
}

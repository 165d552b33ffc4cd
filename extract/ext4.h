/* ext4.h - an ext2/3/4 filesystem read through libext2fs and lifeboat's
 * own read-only io_manager: every write is an error, flush does nothing,
 * and a dirty journal is replayed into memory, never onto the image */
#ifndef EXTRACT_EXT4_H
#define EXTRACT_EXT4_H

#include <ext2fs/ext2fs.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "disk.h"
#include "entry.h"

/* caps on what an image may make the reader hold */
#define EXT4_MAX_DIR_ENTRIES 10000000u   /* in one directory */
#define EXT4_MAX_LINK 4095u              /* a symlink's target */
#define EXT4_MAX_XATTRS 64u
#define EXT4_MAX_XATTR_SIZE 65536u

struct ext4;

struct ext4_node {
	ext2_ino_t ino;
	enum entry_type type;   /* never ENT_HARDLINK */
	mode_t perm;
	uint32_t uid, gid;
	uint32_t links;
	uint64_t size;
	int64_t mtime_sec;
	long mtime_nsec;
	dev_t rdev;
	uint32_t flags;
	struct ext2_inode_large raw;
};

struct ext4_dirent {
	char *name;             /* NUL-terminated; never "", ".", ".." or with a '/' ... */
	const char *refused;    /* ... unless this is set: why the name is impossible, and
	                         * name is then the name's bytes shown printable */
	ext2_ino_t ino;
	uint32_t hash, minor;
};

/* Why a filesystem cannot be read natively, from its superblock alone
 * (1024 bytes at offset 1024): a feature named in why, and -1; 0 when
 * it can. needs_recovery is accepted only with can_replay. */
int ext4_check_features(const unsigned char *sb, bool can_replay, char *why, size_t size);

/* Open the filesystem in [start, start + size) of D. NULL with why; a
 * refusal for a feature starts why with "unsupported: ". Caller frees
 * with ext4_close (D must outlive it). */
struct ext4 *ext4_open(struct disk *d, uint64_t start, uint64_t size, char *why, size_t wsize);
void ext4_close(struct ext4 *fs);
ext2_filsys ext4_fs(struct ext4 *fs);

void ext4_label(struct ext4 *fs, char out[17]);
void ext4_uuid(struct ext4 *fs, char out[37]);
const char *ext4_type(struct ext4 *fs);          /* "ext2", "ext3" or "ext4" */
/* Bytes in use as statvfs in a mount counts them (metadata overhead not counted). */
long long ext4_used_bytes(struct ext4 *fs);
/* How many blocks the journal replay put over the image (0 when none). */
size_t ext4_replayed_blocks(struct ext4 *fs);

int ext4_read_node(struct ext4 *fs, ext2_ino_t ino, struct ext4_node *n, char *why,
                   size_t size);
/* Entries of directory N in the order a kernel's readdir gives them.
 * Caller frees with ext4_free_dirents. */
int ext4_list_dir(struct ext4 *fs, const struct ext4_node *n, struct ext4_dirent **out,
                  size_t *count, char *why, size_t size);
void ext4_free_dirents(struct ext4_dirent *d, size_t count);
/* NAME in directory DIR: 1 and *ino, 0 when absent, -1 on failure. */
int ext4_lookup(struct ext4 *fs, ext2_ino_t dir, const char *name, ext2_ino_t *ino,
                char *why, size_t size);
/* A symlink's target, NUL-terminated, into buf (EXT4_MAX_LINK + 1 bytes). */
int ext4_readlink(struct ext4 *fs, const struct ext4_node *n, char *buf, char *why,
                  size_t size);

/* A node's extended attributes (system.data, inline data's own, left
 * out). Names and values live in the set until the next ext4_xattrs on
 * it, or ext4_xattrs_free. */
struct ext4_xattrs {
	struct xattr x[EXT4_MAX_XATTRS];
	size_t n;
	char *arena;
	size_t used, cap;
	bool too_many;
};
int ext4_xattrs(struct ext4 *fs, const struct ext4_node *n, struct ext4_xattrs *out, char *why,
                size_t size);
void ext4_xattrs_free(struct ext4_xattrs *x);

/* A regular file's data, allocated runs only: holes are never read. */
struct ext4_file;
struct ext4_file *ext4_file_open(struct ext4 *fs, const struct ext4_node *n, char *why,
                                 size_t size);
/* 1 with a block of data at *offset, 0 at the end, -1 with why. */
int ext4_file_read(struct ext4_file *f, const void **buf, size_t *len, int64_t *offset,
                   char *why, size_t size);
void ext4_file_close(struct ext4_file *f);

#endif

/* journal.h - what replaying an ext3/ext4 internal jbd2 journal would write
 * home, computed in memory: the image is never written */
#ifndef LIFEBOAT_JOURNAL_H
#define LIFEBOAT_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <ext2fs/ext2fs.h>

struct block_overlay;

/* Read fs's internal journal (superblock s_journal_inum) through fs's own io channel and
 * compute what a replay would write home: for every filesystem block, the newest copy in a
 * complete, committed transaction from s_start/s_sequence on, revokes honoured, escaped blocks
 * unescaped, checksums (v2/v3) checked, 32/64-bit tags. *out is NULL when there is nothing to
 * replay (needs_recovery clear or journal empty). Returns 0, or -1 when the journal does not
 * parse (why says what; the caller then falls back to the appliance). An external journal is -1.
 * Caller frees *out with overlay_free. Never writes. Bounded: every length and count from the
 * image is checked; the scan stops at the journal's end. */
int journal_replay(ext2_filsys fs, struct block_overlay **out, char *why, size_t size);

/* The replayed contents of filesystem block blk (fs->blocksize bytes), or NULL. Borrowed: lives
 * as long as ov. */
const void *overlay_block(const struct block_overlay *ov, uint64_t blk);
/* How many blocks ov replaces. */
size_t overlay_count(const struct block_overlay *ov);
/* The size in bytes of each of ov's blocks (the filesystem's block size). */
unsigned overlay_block_size(const struct block_overlay *ov);
/* Frees ov and every block it holds; NULL is fine. */
void overlay_free(struct block_overlay *ov);

#endif

/* journal-apply.c - journal-apply IMAGE [COPY]: open the raw ext2/3/4 IMAGE read-only,
 * compute its journal replay with journal_replay() and, given COPY (a byte-for-byte copy of
 * IMAGE), write every replayed block into COPY. Prints one line:
 *   "replay: N blocks" or "replay: nothing"; exits 1 with the reason when the journal does
 * not parse. A test tool: the equivalence test compares COPY with a kernel-style replay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../../extract/journal.h"

static int apply(const struct block_overlay *ov, uint64_t nblocks, const char *copy)
{
	int fd = open(copy, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "journal-apply: cannot open '%s': %s\n", copy, strerror(errno));
		return -1;
	}
	unsigned bs = overlay_block_size(ov);
	size_t written = 0;
	for (uint64_t b = 0; b < nblocks && written < overlay_count(ov); b++) {
		const void *data = overlay_block(ov, b);
		if (!data)
			continue;
		if (pwrite(fd, data, bs, (off_t)(b * bs)) != (ssize_t)bs) {
			fprintf(stderr, "journal-apply: cannot write block %llu of '%s': %s\n",
			        (unsigned long long)b, copy, strerror(errno));
			close(fd);
			return -1;
		}
		written++;
	}
	if (written != overlay_count(ov)) {
		fprintf(stderr, "journal-apply: %zu of %zu blocks lie beyond the filesystem\n",
		        overlay_count(ov) - written, overlay_count(ov));
		close(fd);
		return -1;
	}
	if (fsync(fd) || close(fd)) {
		fprintf(stderr, "journal-apply: cannot write '%s': %s\n", copy, strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: journal-apply IMAGE [COPY]\n");
		return 2;
	}
	ext2_filsys fs;
	errcode_t err = ext2fs_open2(argv[1], NULL, EXT2_FLAG_64BITS, 0, 0, unix_io_manager, &fs);
	if (err) {
		fprintf(stderr, "journal-apply: cannot open '%s': %s\n", argv[1], error_message(err));
		return 1;
	}
	struct block_overlay *ov;
	char why[256];
	int rc = 1;
	if (journal_replay(fs, &ov, why, sizeof(why))) {
		fprintf(stderr, "journal-apply: %s: %s\n", argv[1], why);
		goto out;
	}
	if (!ov) {
		printf("replay: nothing\n");
		rc = 0;
		goto out;
	}
	printf("replay: %zu blocks of %u bytes\n", overlay_count(ov), overlay_block_size(ov));
	if (argc == 3 && apply(ov, ext2fs_blocks_count(fs->super), argv[2]))
		goto out;
	rc = 0;
out:
	overlay_free(ov);
	ext2fs_close_free(&fs);
	return rc;
}

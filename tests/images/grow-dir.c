/* grow-dir.c - grow-dir FS DIR COUNT: add COUNT empty files named
 * grown-NNNNN to the directory DIR (an absolute path) of the ext2/3/4 image
 * FS, in one process: mke2fs -d and debugfs add names one command at a
 * time and take minutes for 50,000. On an indexed directory (e2fsck -D)
 * ext2fs_link keeps the htree. A test tool: it writes the image it is given. */
#include <et/com_err.h>
#include <ext2fs/ext2fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int die(const char *what, errcode_t err)
{
	fprintf(stderr, "grow-dir: %s: %s\n", what, error_message(err));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: grow-dir FS DIR COUNT\n");
		return 2;
	}
	char *end;
	long count = strtol(argv[3], &end, 10);
	if (*end || count < 0 || count > 1000000) {
		fprintf(stderr, "grow-dir: bad COUNT '%s'\n", argv[3]);
		return 2;
	}
	initialize_ext2_error_table();
	ext2_filsys fs;
	errcode_t err = ext2fs_open(argv[1], EXT2_FLAG_RW | EXT2_FLAG_64BITS, 0, 0,
	                            unix_io_manager, &fs);
	if (err)
		return die(argv[1], err);
	ext2_ino_t dir;
	if ((err = ext2fs_read_bitmaps(fs)) ||
	    (err = ext2fs_namei(fs, EXT2_ROOT_INO, EXT2_ROOT_INO, argv[2], &dir)))
		return die(argv[2], err);
	ext2_ino_t last = dir;
	for (long i = 0; i < count; i++) {
		char name[32];
		snprintf(name, sizeof(name), "grown-%05ld", i);
		ext2_ino_t ino;
		if ((err = ext2fs_new_inode(fs, last, LINUX_S_IFREG | 0644, 0, &ino)))
			return die("new inode", err);
		last = ino;
		struct ext2_inode in;
		memset(&in, 0, sizeof(in));
		in.i_mode = LINUX_S_IFREG | 0644;
		in.i_links_count = 1;
		in.i_atime = in.i_ctime = in.i_mtime = 1700000000;
		if ((err = ext2fs_write_new_inode(fs, ino, &in)))
			return die("write inode", err);
		ext2fs_inode_alloc_stats2(fs, ino, +1, 0);
		err = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
		if (err == EXT2_ET_DIR_NO_SPACE) {
			if ((err = ext2fs_expand_dir(fs, dir)))
				return die("expand", err);
			err = ext2fs_link(fs, dir, name, ino, EXT2_FT_REG_FILE);
		}
		if (err)
			return die(name, err);
	}
	if ((err = ext2fs_close_free(&fs)))
		return die("close", err);
	return 0;
}

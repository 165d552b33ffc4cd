/* test_writer.c - the safe unpacker against a hostile tar, made here with
 * libarchive: nothing may land outside DEST, and the rest must be exact */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../extract/reader_tar.h"
#include "../../extract/writer.h"

static char top[64];

struct spec {
	const char *path;
	mode_t type;
	const char *data;     /* file contents, or symlink/hardlink target */
	int64_t size;         /* for a file: its size (holes beyond data) */
	bool hard;
};

static void add(struct archive *a, const struct spec *s)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, s->path);
	archive_entry_set_perm(e, s->type == AE_IFDIR ? 0755 : 04755);
	archive_entry_set_mtime(e, 1700000000, 0);
	if (s->hard) {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, s->data);
	} else {
		archive_entry_set_filetype(e, s->type);
		if (s->type == AE_IFLNK)
			archive_entry_set_symlink(e, s->data);
		if (s->type == AE_IFCHR)
			archive_entry_set_rdev(e, makedev(1, 1));
		if (s->type == AE_IFREG) {
			archive_entry_set_size(e, s->size);
			archive_entry_xattr_add_entry(e, "user.note", "kept", 4);
			archive_entry_xattr_add_entry(e, "trusted.evil", "x", 1);
		}
	}
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	if (s->type == AE_IFREG && !s->hard) {
		size_t n = strlen(s->data);
		archive_write_data(a, s->data, n);
		static const char zeros[65536];
		for (int64_t left = s->size - (int64_t)n; left > 0; left -= (int64_t)sizeof(zeros))
			archive_write_data(a, zeros, left < (int64_t)sizeof(zeros) ? (size_t)left : sizeof(zeros));
	}
	archive_entry_free(e);
}

static const struct spec hostile[] = {
	{ "ok", AE_IFDIR, NULL, 0, false },
	{ "ok/file", AE_IFREG, "hello\n", 6, false },
	{ "ok/sparse", AE_IFREG, "head", 8 << 20, false },
	{ "ok/hard", AE_IFREG, "ok/file", 0, true },
	{ "ok/abs-link", AE_IFLNK, "/etc/passwd", 0, false },
	{ "ok/up-link", AE_IFLNK, "../../../../etc", 0, false },
	{ "ok/name\nwith newline \xff\xfe", AE_IFREG, "odd", 3, false },
	{ "esc", AE_IFLNK, "/tmp", 0, false },
	{ "esc/planted", AE_IFREG, "owned", 5, false },       /* through a symlink */
	{ "../outside", AE_IFREG, "owned", 5, false },
	{ "/abs-outside", AE_IFREG, "owned", 5, false },
	{ "ok/../../dotdot", AE_IFREG, "owned", 5, false },
	{ "ok/mem", AE_IFCHR, NULL, 0, false },
	{ "ok/fifo", AE_IFIFO, NULL, 0, false },
	{ "ok/hard-out", AE_IFREG, "../../etc/passwd", 0, true },
};

static int make_tar(const char *path)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		return -1;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
		add(a, &hostile[i]);
	archive_write_close(a);
	archive_write_free(a);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/lifeboat-writer.XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

static void unpack(const char *dest, FILE *manifest, size_t *problems)
{
	char tar[128];
	snprintf(tar, sizeof(tar), "%s/hostile.tar", top);
	assert_int_equal(make_tar(tar), 0);
	int fd = open(tar, O_RDONLY);
	struct reader *r = reader_tar_open(fd, "", NULL, NULL);
	assert_non_null(r);
	struct writer_options o = { .manifest = manifest };
	char why[256];
	struct writer *w = writer_open(dest, &o, why, sizeof(why));
	assert_non_null(w);
	struct entry e;
	while (r->next(r, &e) == 1)
		assert_int_equal(writer_put(w, r, &e), 0);
	size_t counts[PROBLEM_KINDS];
	writer_finish(w, counts);
	*problems = 0;
	for (int k = 0; k < PROBLEM_KINDS; k++)
		*problems += counts[k];
	writer_close(w);
	assert_int_equal(r->close(r, why, sizeof(why)), 0);
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static void test_nothing_escapes(void **state)
{
	(void)state;
	char dest[128], path[256];
	snprintf(dest, sizeof(dest), "%s/dest", top);
	size_t problems = 0;
	unpack(dest, NULL, &problems);
	/* nothing outside */
	snprintf(path, sizeof(path), "%s/outside", top);
	assert_false(exists(path));
	assert_false(exists("/abs-outside"));
	assert_false(exists("/tmp/planted"));
	snprintf(path, sizeof(path), "%s/dotdot", top);
	assert_false(exists(path));
	/* refused: ../outside, /abs-outside, ok/../../dotdot, esc/planted,
	 * the device node and the FIFO (no --specials), the hard link out */
	assert_int_equal(problems, 7);
}

static void test_what_is_kept_is_exact(void **state)
{
	(void)state;
	char dest[128], path[256], buf[64];
	snprintf(dest, sizeof(dest), "%s/dest", top);
	size_t problems;
	char mpath[128];
	snprintf(mpath, sizeof(mpath), "%s/manifest", top);
	FILE *m = fopen(mpath, "w");
	unpack(dest, m, &problems);
	fclose(m);
	struct stat st;
	snprintf(path, sizeof(path), "%s/ok/file", dest);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755); /* setuid dropped */
	assert_int_equal(st.st_mtime, 1700000000);
	assert_int_equal(getxattr(path, "user.note", buf, sizeof(buf)), 4);
	assert_int_equal(getxattr(path, "trusted.evil", buf, sizeof(buf)), -1);
	struct stat hard;
	snprintf(path, sizeof(path), "%s/ok/hard", dest);
	assert_int_equal(stat(path, &hard), 0);
	assert_int_equal(hard.st_ino, st.st_ino);
	snprintf(path, sizeof(path), "%s/ok/sparse", dest);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 8 << 20);
	assert_true(st.st_blocks * 512 < 64 * 1024); /* the holes stayed holes */
	snprintf(path, sizeof(path), "%s/ok/abs-link", dest);
	ssize_t n = readlink(path, buf, sizeof(buf));
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "/etc/passwd", 11);
	snprintf(path, sizeof(path), "%s/ok/name\nwith newline \xff\xfe", dest);
	assert_true(exists(path));
	snprintf(path, sizeof(path), "%s/esc", dest);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* the manifest names the odd file escaped, on one line */
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "grep -c 'ok/name\\\\x0awith\\\\x20newline\\\\x20\\\\xff\\\\xfe$' %s",
	         mpath);
	FILE *p = popen(cmd, "r");
	assert_non_null(fgets(buf, sizeof(buf), p));
	pclose(p);
	assert_string_equal(buf, "1\n");
}

static void test_escape_round_trip(void **state)
{
	(void)state;
	static const char *const names[] = {
		"plain", "with space", "new\nline", "back\\slash", "\x01\x7f\x80\xff", "é",
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *e = manifest_escape(names[i]);
		assert_null(strpbrk(e, " \n\t"));
		char *back = manifest_unescape(e);
		assert_string_equal(back, names[i]);
		free(e);
		free(back);
	}
	assert_null(manifest_unescape("bad\\q"));
	assert_null(manifest_unescape("nul\\x00"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nothing_escapes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_is_kept_is_exact, setup, teardown),
		cmocka_unit_test(test_escape_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

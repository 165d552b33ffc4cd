/* test_copy.c - a copy that goes wrong leaves nothing wrong under a final
 * name, and a rerun repairs it: a tar cut mid-file, a full disk (a small
 * tmpfs), a file too big (RLIMIT_FSIZE), an interruption inside a large
 * file; holes that cost no time; specials; and the exit codes */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../extract/exit.h"
#include "../../extract/outcome.h"
#include "../../extract/reader_tar.h"
#include "../../extract/writer.h"

static char top[64];
static unsigned char big[3 << 20];   /* the large file's bytes */

static void add_file(struct archive *a, const char *path, const void *data, size_t n)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, 1700000000, 0);
	archive_entry_set_size(e, (la_int64_t)n);
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	archive_write_data(a, data, n);
	archive_entry_free(e);
}

static void add_dir(struct archive *a, const char *path)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFDIR);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_mtime(e, 1700000000, 0);
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	archive_entry_free(e);
}

/* chat/, chat/small, chat/big (3 MiB), chat/after */
static void make_tree_tar(const char *path)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add_dir(a, "chat");
	add_file(a, "chat/small", "small file\n", 11);
	add_file(a, "chat/big", big, sizeof(big));
	add_file(a, "chat/after", "after\n", 6);
	archive_write_close(a);
	archive_write_free(a);
}

/* A reader that raises the stop flag inside chat/big. */
struct stopper {
	struct reader ops;
	struct reader *inner;
	volatile sig_atomic_t *stop;
	int blocks;
};

static int st_next(struct reader *r, struct entry *e)
{
	struct stopper *s = (struct stopper *)r;
	return s->inner->next(s->inner, e);
}

static int st_data(struct reader *r, const void **buf, size_t *len, int64_t *off)
{
	struct stopper *s = (struct stopper *)r;
	int rc = s->inner->data(s->inner, buf, len, off);
	if (rc == 1 && *off > 0 && ++s->blocks == 1)
		*s->stop = 1; /* as the SIGINT handler does */
	return rc;
}

static const char *st_error(struct reader *r)
{
	return ((struct stopper *)r)->inner->error(((struct stopper *)r)->inner);
}

static int st_close(struct reader *r, char *why, size_t size)
{
	struct stopper *s = (struct stopper *)r;
	int rc = s->inner->close(s->inner, why, size);
	free(s);
	return rc;
}

static volatile sig_atomic_t stop_flag;

/* What cmd_copy does, from a tar file instead of the appliance. */
static int copy_tar(const char *tar, const char *dest, const char *manifest, bool interrupt,
                    struct writer_options *extra)
{
	stop_flag = 0;
	char *partial = NULL;
	FILE *m = manifest_begin(manifest, &partial);
	assert_non_null(m);
	struct writer_options o = extra ? *extra : (struct writer_options){ 0 };
	o.manifest = m;
	o.stop = &stop_flag;
	char why[512];
	struct writer *w = writer_open(dest, &o, why, sizeof(why));
	assert_non_null(w);
	int fd = open(tar, O_RDONLY);
	assert_true(fd >= 0);
	struct reader *r = reader_tar_open(fd, "", NULL, NULL);
	assert_non_null(r);
	if (interrupt) {
		struct stopper *s = calloc(1, sizeof(*s));
		*s = (struct stopper){ { st_next, st_data, st_error, st_close }, r, &stop_flag, 0 };
		r = &s->ops;
	}
	struct copy_filter f = { .newer_than = -1 };
	struct copy_outcome out = { 0 };
	enum stream_end end = copy_entries(w, r, &f, &stop_flag, why, sizeof(why));
	out.source_broke = end == STREAM_BROKEN;
	out.interrupted = stop_flag != 0;
	r->close(r, why, sizeof(why));
	out.flush_failed = writer_finish(w, out.counts) < 0;
	int rc = copy_exit_code(&out);
	assert_int_equal(manifest_end(m, partial, manifest, rc == XT_OK), 0);
	free(partial);
	writer_close(w);
	copy_filter_clear(&f);
	return rc;
}

static bool exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool exists(const char *fmt, ...)
{
	char path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	struct stat st;
	return lstat(path, &st) == 0;
}

static int count_tmp(const char *dest)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "find '%s' -name '" WRITER_TMP_PREFIX "*' | wc -l", dest);
	FILE *p = popen(cmd, "r");
	int n = -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static ino_t inode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* After a failed copy: nothing of chat/big under its name, no temporary
 * file, only MANIFEST.partial. Then a rerun repairs. */
static void failed_then_repaired(const char *dest, const char *manifest, int rc, int want)
{
	char full[256];
	assert_int_equal(rc, want);
	assert_false(exists("%s/chat/big", dest));
	assert_int_equal(count_tmp(dest), 0);
	assert_false(exists("%s", manifest));
	assert_true(exists("%s.partial", manifest));
	snprintf(full, sizeof(full), "%s/full.tar", top);
	make_tree_tar(full);
	rc = copy_tar(full, dest, manifest, false, NULL);
	assert_int_equal(rc, XT_OK);
	assert_true(exists("%s", manifest));
	char path[512], cmd[1024];
	snprintf(path, sizeof(path), "%s/chat/big", dest);
	FILE *f = fopen(path, "r");
	static unsigned char back[sizeof(big)];
	assert_int_equal(fread(back, 1, sizeof(back), f), sizeof(back));
	fclose(f);
	assert_memory_equal(back, big, sizeof(big));
	assert_int_equal(count_tmp(dest), 0);
	/* and verify agrees, with its sha256sum-compatible hash */
	snprintf(cmd, sizeof(cmd), "grep -q '^f 0644 0 0 %zu [0-9.]* '$(sha256sum <%s | cut -c1-64)' chat/big$' '%s'",
	         sizeof(big), path, manifest);
	assert_int_equal(system(cmd), 0);
}

static void test_tar_cut_mid_file(void **state)
{
	(void)state;
	char full[128], cut[128], dest[128], manifest[128], cmd[512];
	snprintf(full, sizeof(full), "%s/full.tar", top);
	snprintf(cut, sizeof(cut), "%s/cut.tar", top);
	snprintf(dest, sizeof(dest), "%s/dest", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest", top);
	make_tree_tar(full);
	snprintf(cmd, sizeof(cmd), "head -c 1500000 %s >%s", full, cut);
	assert_int_equal(system(cmd), 0);
	/* an earlier complete run left a manifest and a file that differs */
	assert_int_equal(copy_tar(full, dest, manifest, false, NULL), XT_OK);
	snprintf(cmd, sizeof(cmd), "%s/chat/small", dest);
	ino_t small_before = inode(cmd);
	snprintf(cmd, sizeof(cmd), "echo changed >%s/chat/after; rm %s/chat/big; "
	         "touch %s/chat/" WRITER_TMP_PREFIX "1.1", dest, dest, dest);
	assert_int_equal(system(cmd), 0);
	failed_then_repaired(dest, manifest, copy_tar(cut, dest, manifest, false, NULL), XT_SOURCE);
	snprintf(cmd, sizeof(cmd), "%s/chat/small", dest);
	assert_int_equal(inode(cmd), small_before);   /* identical: kept */
	snprintf(cmd, sizeof(cmd), "grep -qx after %s/chat/after", dest);
	assert_int_equal(system(cmd), 0);             /* different: replaced */
}

static void test_disk_full(void **state)
{
	(void)state;
	char full[128], dest[128], manifest[128];
	snprintf(full, sizeof(full), "%s/full.tar", top);
	snprintf(dest, sizeof(dest), "%s/small-fs", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest", top);
	make_tree_tar(full);
	mkdir(dest, 0755);
	if (mount("tmpfs", dest, "tmpfs", 0, "size=1m") < 0)
		skip(); /* not root */
	int rc = copy_tar(full, dest, manifest, false, NULL);
	assert_int_equal(mount("tmpfs", dest, "tmpfs", MS_REMOUNT, "size=16m"), 0);
	failed_then_repaired(dest, manifest, rc, XT_LOCAL_IO);
	umount(dest);
}

static void test_file_too_big(void **state)
{
	(void)state;
	char full[128], dest[128], manifest[128];
	snprintf(full, sizeof(full), "%s/full.tar", top);
	snprintf(dest, sizeof(dest), "%s/dest-fsize", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest", top);
	make_tree_tar(full);
	struct rlimit old, small = { 1 << 20, 0 };
	getrlimit(RLIMIT_FSIZE, &old);
	small.rlim_max = old.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int rc = copy_tar(full, dest, manifest, false, NULL);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_true(exists("%s/chat/after", dest)); /* one file too big stops nothing else */
	failed_then_repaired(dest, manifest, rc, XT_LOCAL_IO);
}

static void test_interrupted_inside_a_large_file(void **state)
{
	(void)state;
	char full[128], dest[128], manifest[128];
	snprintf(full, sizeof(full), "%s/full.tar", top);
	snprintf(dest, sizeof(dest), "%s/dest-int", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest", top);
	make_tree_tar(full);
	int rc = copy_tar(full, dest, manifest, true, NULL);
	assert_false(exists("%s/chat/after", dest)); /* it stopped there */
	failed_then_repaired(dest, manifest, rc, XT_INTERRUPTED);
}

/* A GNU sparse 1.0 pax entry of SIZE bytes with 4 KiB of data at 1 MiB
 * and at the end, written by Python's tarfile (any realsize can be said,
 * no file that big need exist), then a small file. */
static void make_sparse_tar(const char *path, int64_t size)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd),
	         "python3 -c '\n"
	         "import io, sys, tarfile\n"
	         "size = int(sys.argv[2])\n"
	         "m = (\"2\\n%%d\\n4096\\n%%d\\n4096\\n\" %% (1 << 20, size - 4096)).encode()\n"
	         "data = m + bytes(512 - len(m)) + b\"D\" * 8192\n"
	         "t = tarfile.open(sys.argv[1], \"w\", format=tarfile.PAX_FORMAT)\n"
	         "i = tarfile.TarInfo(\"GNUSparseFile.0/holes\")\n"
	         "i.size = len(data); i.mode = 0o644; i.mtime = 1700000000\n"
	         "i.pax_headers = {\"GNU.sparse.major\": \"1\", \"GNU.sparse.minor\": \"0\",\n"
	         "  \"GNU.sparse.name\": \"holes\", \"GNU.sparse.realsize\": str(size)}\n"
	         "t.addfile(i, io.BytesIO(data))\n"
	         "n = tarfile.TarInfo(\"next\"); n.size = 5; n.mode = 0o644\n"
	         "t.addfile(n, io.BytesIO(b\"next\\n\"))\n"
	         "t.close()' '%s' %lld", path, (long long)size);
	assert_int_equal(system(cmd), 0);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_holes_cost_no_time(void **state)
{
	(void)state;
	char tar[128], dest[128], manifest[128], path[256];
	snprintf(tar, sizeof(tar), "%s/sparse.tar", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest", top);
	/* 15 TiB holding 8 KiB: copied in seconds, holes kept */
	make_sparse_tar(tar, 15LL << 40);
	snprintf(dest, sizeof(dest), "%s/dest-15t", top);
	double t0 = now();
	assert_int_equal(copy_tar(tar, dest, manifest, false, NULL), XT_OK);
	assert_true(now() - t0 < 10);
	snprintf(path, sizeof(path), "%s/holes", dest);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size == 15LL << 40);
	assert_true(st.st_blocks * 512 <= 64 * 1024);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "grep -q '^f 0644 0 0 %lld [0-9.]* sparse:[0-9a-f]\\{64\\} holes$' %s",
	         15LL << 40, manifest);
	assert_int_equal(system(cmd), 0);
	/* 2^60 bytes: more than any filesystem holds; refused at once, and
	 * the next entry is still copied */
	make_sparse_tar(tar, 1LL << 60);
	snprintf(dest, sizeof(dest), "%s/dest-2e60", top);
	t0 = now();
	int rc = copy_tar(tar, dest, manifest, false, NULL);
	assert_true(now() - t0 < 10);
	assert_int_equal(rc, XT_LOCAL_IO);
	assert_false(exists("%s/holes", dest));
	assert_true(exists("%s/next", dest));
}

static void add_special(struct archive *a, const char *path, mode_t type, mode_t perm,
                        dev_t rdev)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_uid(e, 1234);
	archive_entry_set_gid(e, 1234);
	archive_entry_set_rdev(e, rdev);
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	archive_entry_free(e);
}

static void make_specials_tar(const char *path)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	add_special(a, "sda", AE_IFBLK, 0644, makedev(8, 0));
	add_special(a, "fifo", AE_IFIFO, 0666, 0);
	/* a file with a file capability (cap_net_bind_service+ep, v2) */
	static const unsigned char cap[20] = { 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00,
	                                       0x00, 0x04, 0x00, 0x00 };
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "ping");
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0755);
	archive_entry_set_uid(e, 1234);
	archive_entry_set_size(e, 3);
	archive_entry_xattr_add_entry(e, "security.capability", cap, sizeof(cap));
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	archive_write_data(a, "elf", 3);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

static void test_specials(void **state)
{
	(void)state;
	char tar[128], dest[128], manifest[128], path[256];
	snprintf(tar, sizeof(tar), "%s/specials.tar", top);
	snprintf(manifest, sizeof(manifest), "%s/manifest", top);
	make_specials_tar(tar);
	mode_t old = umask(077);
	/* --specials alone: the FIFO at 0600 at most, no device node; the
	 * skips are reported but do not fail the copy */
	struct writer_options o = { .specials = true };
	snprintf(dest, sizeof(dest), "%s/dest-sp", top);
	assert_int_equal(copy_tar(tar, dest, manifest, false, &o), XT_OK);
	struct stat st;
	snprintf(path, sizeof(path), "%s/fifo", dest);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_false(exists("%s/sda", dest));
	/* default: everything special skipped, still exit 0 */
	snprintf(dest, sizeof(dest), "%s/dest-none", top);
	assert_int_equal(copy_tar(tar, dest, manifest, false, NULL), XT_OK);
	assert_false(exists("%s/fifo", dest));
	if (geteuid() != 0) {
		umask(old);
		skip();
	}
	/* as root with --preserve-owner: the device as in the image, and the
	 * file keeps its capability although fchown strips it */
	o = (struct writer_options){ .specials = true, .preserve_owner = true };
	snprintf(dest, sizeof(dest), "%s/dest-root", top);
	assert_int_equal(copy_tar(tar, dest, manifest, false, &o), XT_OK);
	snprintf(path, sizeof(path), "%s/sda", dest);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISBLK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_uid, 1234);
	assert_true(st.st_rdev == makedev(8, 0));
	snprintf(path, sizeof(path), "%s/ping", dest);
	char buf[64];
	assert_int_equal(getxattr(path, "security.capability", buf, sizeof(buf)), 20);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	umask(old);
}

static void test_exit_codes(void **state)
{
	(void)state;
	static const struct {
		struct copy_outcome o;
		int rc;
	} rows[] = {
		{ { .counts = { [PROBLEM_SKIPPED] = 2 } }, XT_OK },
		{ { .counts = { [PROBLEM_REFUSED] = 1 } }, XT_PARTIAL },
		{ { .counts = { [PROBLEM_SOURCE] = 1 } }, XT_PARTIAL },
		{ { .paths_missing = 1 }, XT_PARTIAL },
		{ { .source_broke = true, .counts = { [PROBLEM_SOURCE] = 1 } }, XT_SOURCE },
		{ { .source_broke = true, .counts = { [PROBLEM_DEST] = 1 } }, XT_LOCAL_IO },
		{ { .flush_failed = true }, XT_LOCAL_IO },
		{ { .interrupted = true, .counts = { [PROBLEM_DEST] = 1 } }, XT_INTERRUPTED },
		{ { .counts = { [PROBLEM_INTERRUPTED] = 1 } }, XT_INTERRUPTED },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (copy_exit_code(&rows[i].o) != rows[i].rc)
			fail_msg("row %zu: %d, want %d", i, copy_exit_code(&rows[i].o), rows[i].rc);
}

static void test_exclude_a_directory(void **state)
{
	(void)state;
	const char *ex[] = { "cache" };
	struct copy_filter f = { .exclude = ex, .n_exclude = 1, .newer_than = -1 };
	struct entry dir = { .path = "chat/cache", .type = ENT_DIR };
	struct entry inside = { .path = "chat/cache/a/b.db", .type = ENT_FILE };
	struct entry beside = { .path = "chat/cache2", .type = ENT_FILE };
	/* below it, even when the directory's own entry never came */
	assert_false(copy_wanted(&f, &inside));
	assert_false(copy_wanted(&f, &dir));
	assert_true(copy_wanted(&f, &beside));
	const char *ex2[] = { "*.tmp", "chat/logs" };
	struct copy_filter g = { .exclude = ex2, .n_exclude = 2, .newer_than = -1 };
	struct entry tmpdir = { .path = "chat/x.tmp/keep.db", .type = ENT_FILE };
	struct entry logs = { .path = "chat/logs/today", .type = ENT_FILE };
	struct entry other = { .path = "chat/logsx/today", .type = ENT_FILE };
	assert_false(copy_wanted(&g, &tmpdir));
	assert_false(copy_wanted(&g, &logs));
	assert_true(copy_wanted(&g, &other));
	copy_filter_clear(&f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/lifeboat-copy.XXXXXX");
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7 + (i >> 12));
	return mkdtemp(top) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tar_cut_mid_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disk_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_inside_a_large_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_holes_cost_no_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_specials, setup, teardown),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_exclude_a_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_frame.c - the sandbox's frames: every field survives a round trip,
 * every check refuses what it must, and no input crashes a decoder */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../extract/frame.h"

static const struct frame_limits lim = { 1000, 4096, 4096, 8, 1024 };

/* ---- round trip ---- */

static const struct entry entries[] = {
	{ .path = "file", .type = ENT_FILE, .perm = 04755, .uid = 1000, .gid = 100,
	  .size = 12345, .mtime_sec = 1700000000, .mtime_nsec = 999999999 },
	{ .path = "dir/sub", .type = ENT_DIR, .perm = 01777, .mtime_sec = -5 },
	{ .path = "sym", .type = ENT_SYMLINK, .perm = 0777, .link = "/etc/../abs\xff" },
	{ .path = "hard", .type = ENT_HARDLINK, .perm = 0644, .link = "dir/sub/file" },
	{ .path = "dev/c", .type = ENT_CHAR, .perm = 0600, .rdev = 0x0000010500000003ULL },
	{ .path = "dev/b", .type = ENT_BLOCK, .perm = 0660, .rdev = 8 << 8 },
	{ .path = "fifo", .type = ENT_FIFO, .perm = 0600, .uid = UINT32_MAX, .gid = UINT32_MAX },
	{ .path = "sock", .type = ENT_SOCKET, .perm = 0 },
	{ .path = "\x01\xfe name with\nnewline", .type = ENT_FILE, .size = INT64_C(1) << 47 },
};

static void test_entry_round_trip(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		const struct entry *e = &entries[i];
		size_t need = frame_entry_size(e);
		assert_true(need >= FRAME_ENTRY_FIXED);
		unsigned char *buf = malloc(need);
		assert_int_equal(frame_entry_put(buf, need - 1, e), 0); /* too small: refused */
		assert_int_equal(frame_entry_put(buf, need, e), need);
		struct frame_entry fe;
		char why[256];
		assert_int_equal(frame_entry_get(buf, need, &lim, &fe, why, sizeof(why)), 0);
		assert_int_equal(fe.type, e->type);
		assert_int_equal(fe.perm, e->perm);
		assert_int_equal(fe.uid, e->uid);
		assert_int_equal(fe.gid, e->gid);
		assert_int_equal(fe.size, e->size);
		assert_int_equal(fe.mtime_sec, e->mtime_sec);
		assert_int_equal(fe.mtime_nsec, e->mtime_nsec);
		assert_int_equal(fe.rdev, e->rdev);
		assert_int_equal(fe.path_len, strlen(e->path));
		assert_memory_equal(fe.path, e->path, fe.path_len);
		if (e->link) {
			assert_non_null(fe.link);
			assert_int_equal(fe.link_len, strlen(e->link));
			assert_memory_equal(fe.link, e->link, fe.link_len);
		} else {
			assert_null(fe.link);
		}
		free(buf);
	}
}

static void test_header_round_trip(void **state)
{
	(void)state;
	unsigned char h[FRAME_HEADER_SIZE];
	struct frame_header fh;
	char why[256];
	frame_header_put(h, FRAME_DATA, 1234);
	assert_int_equal(frame_header_get(h, &lim, &fh, why, sizeof(why)), 0);
	assert_int_equal(fh.type, FRAME_DATA);
	assert_int_equal(fh.len, 1234);
	unsigned char x[FRAME_XATTR_FIXED + 3 + 2];
	assert_int_equal(frame_xattr_head_put(x, 3, 2), 0);
	memcpy(x + FRAME_XATTR_FIXED, "abc", 3);
	memcpy(x + FRAME_XATTR_FIXED + 3, "\0\1", 2);
	const char *name;
	const void *value;
	size_t nl, vl;
	assert_int_equal(frame_xattr_get(x, sizeof(x), &lim, &name, &nl, &value, &vl, why,
	                                 sizeof(why)), 0);
	assert_int_equal(nl, 3);
	assert_memory_equal(name, "abc", 3);
	assert_int_equal(vl, 2);
	assert_memory_equal(value, "\0\1", 2);
	unsigned char d[FRAME_DATA_FIXED + 4];
	frame_data_head_put(d, 77);
	memcpy(d + FRAME_DATA_FIXED, "data", 4);
	int64_t off;
	const void *buf;
	size_t n;
	assert_int_equal(frame_data_get(d, sizeof(d), &off, &buf, &n, why, sizeof(why)), 0);
	assert_int_equal(off, 77);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "data", 4);
}

/* ---- paths ---- */

static const struct {
	const char *path;
	size_t len;          /* 0: strlen */
	int rc;
	const char *says;
} paths[] = {
	{ "a", 0, 0, NULL },
	{ "a/b/c", 0, 0, NULL },
	{ "...", 0, 0, NULL },
	{ ".hidden/..x/x..", 0, 0, NULL },
	{ "\xff\xfe/\x01", 0, 0, NULL },
	{ "", 0, FRAME_MALFORMED, "empty path" },
	{ "../x", 0, FRAME_MALFORMED, "'..' component" },
	{ "a/../b", 0, FRAME_MALFORMED, "'..' component" },
	{ "a/..", 0, FRAME_MALFORMED, "'..' component" },
	{ "./a", 0, FRAME_MALFORMED, "'.' component" },
	{ "a/.", 0, FRAME_MALFORMED, "'.' component" },
	{ ".", 0, FRAME_MALFORMED, "'.' component" },
	{ "/etc/passwd", 0, FRAME_MALFORMED, "absolute" },
	{ "a//b", 0, FRAME_MALFORMED, "empty component" },
	{ "a/", 0, FRAME_MALFORMED, "empty component" },
	{ "/", 0, FRAME_MALFORMED, "absolute" },
	{ "a\0b", 3, FRAME_MALFORMED, "NUL byte at 1" },
	{ "ab\0", 3, FRAME_MALFORMED, "NUL byte at 2" },
};

static void test_path_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		size_t n = paths[i].len ? paths[i].len : strlen(paths[i].path);
		char why[512] = "";
		int rc = frame_path_check(paths[i].path, n, 4096, why, sizeof(why));
		if (rc != paths[i].rc)
			fail_msg("path #%zu: rc %d, expected %d (%s)", i, rc, paths[i].rc, why);
		if (paths[i].says && !strstr(why, paths[i].says))
			fail_msg("path #%zu: '%s' does not say '%s'", i, why, paths[i].says);
	}
	/* long paths: 8 KiB passes under a 16 KiB limit, one byte over fails */
	size_t n = 8 * 1024 + 7;
	char *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = i % 9 == 8 ? '/' : 'a' + (char)(i % 9);
	p[n - 1] = 'z';
	char why[512];
	assert_int_equal(frame_path_check(p, n, 16384, why, sizeof(why)), 0);
	assert_int_equal(frame_path_check(p, n, n - 1, why, sizeof(why)), FRAME_LIMIT);
	assert_non_null(strstr(why, "over the limit"));
	free(p);
}

/* ---- the header ---- */

static void test_header_refused(void **state)
{
	(void)state;
	static const struct {
		unsigned char h[FRAME_HEADER_SIZE];
		int rc;
		const char *says;
	} rows[] = {
		{ { 0xb4, 1, FRAME_HELLO, 0, 16, 0, 0, 0 }, FRAME_MALFORMED, "magic" },
		{ { 0xb5, 2, FRAME_HELLO, 0, 16, 0, 0, 0 }, FRAME_MALFORMED, "version" },
		{ { 0xb5, 1, 0, 0, 0, 0, 0, 0 }, FRAME_MALFORMED, "type" },
		{ { 0xb5, 1, 10, 0, 0, 0, 0, 0 }, FRAME_MALFORMED, "type" },
		{ { 0xb5, 1, FRAME_REFUSED, 0, 0, 0x20, 0, 0 }, FRAME_MALFORMED, "REFUSED" },
		{ { 0xb5, 1, FRAME_EOD, 1, 0, 0, 0, 0 }, FRAME_MALFORMED, "flags" },
		{ { 0xb5, 1, FRAME_EOD, 0, 1, 0, 0, 0 }, FRAME_MALFORMED, "EOD" },
		{ { 0xb5, 1, FRAME_HELLO, 0, 17, 0, 0, 0 }, FRAME_MALFORMED, "HELLO" },
		{ { 0xb5, 1, FRAME_DATA, 0, 9, 0, 4, 0 }, FRAME_MALFORMED, "DATA" },
		/* 1 GiB xattr: refused from its header alone */
		{ { 0xb5, 1, FRAME_XATTR, 0, 8, 1, 0, 0x40 }, FRAME_LIMIT, "xattr" },
		{ { 0xb5, 1, FRAME_ENTRY, 0, 0xff, 0xff, 0xff, 0xff }, FRAME_LIMIT, "entry" },
		{ { 0xb5, 1, FRAME_ERROR, 0, 0, 0x10, 0, 0 }, FRAME_MALFORMED, "ERROR" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct frame_header fh;
		char why[256] = "";
		int rc = frame_header_get(rows[i].h, &lim, &fh, why, sizeof(why));
		if (rc != rows[i].rc || !strstr(why, rows[i].says))
			fail_msg("header #%zu: rc %d '%s'", i, rc, why);
	}
}

/* ---- entries that lie ---- */

static unsigned char *encoded(const struct entry *e, size_t *len)
{
	*len = frame_entry_size(e);
	unsigned char *b = malloc(*len);
	assert_int_equal(frame_entry_put(b, *len, e), *len);
	return b;
}

enum mutation { M_TYPE, M_FLAGS, M_PERM, M_SIZE_NEG, M_SIZE_HUGE, M_NSEC, M_XATTRS, M_PLEN,
                M_LINK_ON_FILE };

static const struct {
	struct entry e;
	enum mutation m;
	int rc;
	const char *says;
} lies[] = {
	{ { .path = "f", .type = ENT_FILE }, M_TYPE, FRAME_MALFORMED, "entry type" },
	{ { .path = "f", .type = ENT_FILE }, M_FLAGS, FRAME_MALFORMED, "flags" },
	{ { .path = "f", .type = ENT_FILE }, M_PERM, FRAME_MALFORMED, "permission bits" },
	{ { .path = "f", .type = ENT_FILE }, M_SIZE_NEG, FRAME_MALFORMED, "negative size" },
	{ { .path = "f", .type = ENT_FILE }, M_SIZE_HUGE, FRAME_LIMIT, "1152921504606846976" },
	{ { .path = "f", .type = ENT_FILE }, M_NSEC, FRAME_MALFORMED, "nanoseconds" },
	{ { .path = "f", .type = ENT_FILE }, M_XATTRS, FRAME_LIMIT, "xattrs" },
	{ { .path = "ff", .type = ENT_FILE }, M_PLEN, FRAME_MALFORMED, "holding" },
	{ { .path = "f", .type = ENT_FILE, .link = "x" }, M_LINK_ON_FILE, FRAME_MALFORMED,
	  "no link" },
};

static void test_entry_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		size_t len;
		unsigned char *b = encoded(&lies[i].e, &len);
		switch (lies[i].m) {
		case M_TYPE: b[0] = 42; break;
		case M_FLAGS: b[2] = 1; break;
		case M_PERM: frame_u32_put(b + 4, 0100644); break;
		case M_SIZE_NEG: frame_u64_put(b + 16, (uint64_t)-1); break;
		case M_SIZE_HUGE: frame_u64_put(b + 16, UINT64_C(1) << 60); break;
		case M_NSEC: frame_u32_put(b + 32, 1000000000); break;
		case M_XATTRS: frame_u32_put(b + 36, 9); break;
		case M_PLEN: frame_u32_put(b + 48, 1); break;
		case M_LINK_ON_FILE: break;
		}
		struct frame_entry fe;
		char why[256] = "";
		int rc = frame_entry_get(b, len, &lim, &fe, why, sizeof(why));
		if (rc != lies[i].rc || !strstr(why, lies[i].says))
			fail_msg("lie #%zu: rc %d '%s'", i, rc, why);
		free(b);
	}
	/* links: a symlink needs a bounded target, a hard link a safe path */
	static const struct {
		struct entry e;
		int rc;
		const char *says;
	} links[] = {
		{ { .path = "s", .type = ENT_SYMLINK, .link = "" }, FRAME_MALFORMED, "without a target" },
		{ { .path = "s", .type = ENT_SYMLINK }, FRAME_MALFORMED, "without a target" },
		{ { .path = "h", .type = ENT_HARDLINK }, FRAME_MALFORMED, "without a target" },
		{ { .path = "h", .type = ENT_HARDLINK, .link = "../x" }, FRAME_MALFORMED, "'..'" },
		{ { .path = "h", .type = ENT_HARDLINK, .link = "/etc/passwd" }, FRAME_MALFORMED,
		  "absolute" },
		{ { .path = "d", .type = ENT_DIR, .link = "x" }, FRAME_MALFORMED, "no link" },
		{ { .path = "s", .type = ENT_SYMLINK, .link = "../../../etc" }, 0, "" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		size_t len;
		unsigned char *b = encoded(&links[i].e, &len);
		struct frame_entry fe;
		char why[256] = "";
		int rc = frame_entry_get(b, len, &lim, &fe, why, sizeof(why));
		if (rc != links[i].rc || !strstr(why, links[i].says))
			fail_msg("link #%zu: rc %d '%s'", i, rc, why);
		free(b);
	}
	/* a NUL in the target of a symlink */
	size_t len;
	struct entry e = { .path = "s", .type = ENT_SYMLINK, .link = "ab" };
	unsigned char *b = encoded(&e, &len);
	b[len - 1] = '\0';
	struct frame_entry fe;
	char why[256];
	assert_int_equal(frame_entry_get(b, len, &lim, &fe, why, sizeof(why)), FRAME_MALFORMED);
	assert_non_null(strstr(why, "NUL"));
	free(b);
	/* a symlink target over max_link */
	char *t = malloc(5000);
	memset(t, 'x', 4999);
	t[4999] = '\0';
	e.link = t;
	b = encoded(&e, &len);
	assert_int_equal(frame_entry_get(b, len, &lim, &fe, why, sizeof(why)), FRAME_LIMIT);
	free(b);
	free(t);
}

static void test_xattr_refused(void **state)
{
	(void)state;
	unsigned char x[FRAME_XATTR_FIXED + 4 + 2000];
	const char *name;
	const void *value;
	size_t nl, vl;
	char why[256];
	/* value over max_xattr_size (1024) */
	frame_xattr_head_put(x, 4, 2000);
	memcpy(x + FRAME_XATTR_FIXED, "user", 4);
	assert_int_equal(frame_xattr_get(x, sizeof(x), &lim, &name, &nl, &value, &vl, why,
	                                 sizeof(why)), FRAME_LIMIT);
	/* lengths that do not add up */
	assert_int_equal(frame_xattr_get(x, sizeof(x) - 1, &lim, &name, &nl, &value, &vl, why,
	                                 sizeof(why)), FRAME_MALFORMED);
	/* an empty name, a NUL in a name */
	frame_xattr_head_put(x, 0, 4);
	assert_int_equal(frame_xattr_get(x, FRAME_XATTR_FIXED + 4, &lim, &name, &nl, &value, &vl,
	                                 why, sizeof(why)), FRAME_MALFORMED);
	frame_xattr_head_put(x, 4, 0);
	memcpy(x + FRAME_XATTR_FIXED, "us\0r", 4);
	assert_int_equal(frame_xattr_get(x, FRAME_XATTR_FIXED + 4, &lim, &name, &nl, &value, &vl,
	                                 why, sizeof(why)), FRAME_MALFORMED);
	assert_non_null(strstr(why, "NUL"));
}

static void test_error_text_made_printable(void **state)
{
	(void)state;
	unsigned char p[4 + 12];
	frame_u32_put(p, 12);
	memcpy(p + 4, "bad\x1b[2Jthing", 12);
	int err;
	char text[64];
	assert_int_equal(frame_error_get(p, sizeof(p), &err, text, sizeof(text)), 0);
	assert_int_equal(err, 12);
	assert_string_equal(text, "bad?[2Jthing");
	assert_int_equal(frame_error_get(p, sizeof(p), &err, text, 5), 0);
	assert_string_equal(text, "bad?");
}

/* REFUSED: a directory's path (or "" for the root) the writer could be
 * given, and a text made printable; anything else is malformed. */
static void test_refused_frame(void **state)
{
	(void)state;
	static const struct {
		const char *path;
		size_t path_len;
		const char *text;
		int rc;
		const char *says;
	} rows[] = {
		{ "", 0, "an entry named 'a/b': refused", 0, "" },
		{ "data/bad", 8, "why\x1b[2J", 0, "" },
		{ "../up", 5, "why", FRAME_MALFORMED, "'..'" },
		{ "/abs", 4, "why", FRAME_MALFORMED, "absolute" },
		{ "a\0b", 3, "why", FRAME_MALFORMED, "NUL" },
		{ "dir", 3, "", FRAME_MALFORMED, "text" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		unsigned char p[64];
		size_t tl = strlen(rows[i].text);
		frame_u32_put(p, (uint32_t)rows[i].path_len);
		memcpy(p + 4, rows[i].path, rows[i].path_len);
		memcpy(p + 4 + rows[i].path_len, rows[i].text, tl);
		const char *path;
		size_t pl;
		char text[64], why[256] = "";
		int rc = frame_refused_get(p, 4 + rows[i].path_len + tl, &lim, &path, &pl, text,
		                           sizeof(text), why, sizeof(why));
		if (rc != rows[i].rc || !strstr(why, rows[i].says))
			fail_msg("row %zu: %d (%s), expected %d", i, rc, why, rows[i].rc);
		if (rc == 0) {
			assert_int_equal(pl, rows[i].path_len);
			assert_memory_equal(path, rows[i].path, pl);
			assert_null(strchr(text, '\x1b'));
		}
	}
	/* a path longer than the payload */
	unsigned char p[8] = { 200, 0, 0, 0, 'a', 'b', 'c', 'd' };
	const char *path;
	size_t pl;
	char text[16], why[256];
	assert_int_equal(frame_refused_get(p, sizeof(p), &lim, &path, &pl, text, sizeof(text), why,
	                                   sizeof(why)), FRAME_MALFORMED);
}

/* ---- the order of frames ---- */

#define END 0
static const struct {
	int frames[12];
	int bad_at;      /* index of the first refused frame, -1: all accepted */
} orders[] = {
	{ { FRAME_HELLO, FRAME_DONE, END }, -1 },
	{ { FRAME_ERROR, END }, -1 },
	{ { FRAME_ENTRY, END }, 0 },
	{ { FRAME_DONE, END }, 0 },
	{ { FRAME_HELLO, FRAME_HELLO, END }, 1 },
	{ { FRAME_HELLO, FRAME_XATTR, END }, 1 },
	{ { FRAME_HELLO, FRAME_DATA, END }, 1 },
	{ { FRAME_HELLO, FRAME_EOD, END }, 1 },
	{ { FRAME_HELLO, FRAME_DONE, FRAME_ENTRY, END }, 2 },
	{ { FRAME_HELLO, FRAME_ERROR, FRAME_DONE, END }, 2 },
	{ { FRAME_HELLO, FRAME_FILTER, END }, -1 },
	{ { FRAME_HELLO, FRAME_REFUSED, FRAME_REFUSED, FRAME_DONE, END }, -1 },
	{ { FRAME_REFUSED, END }, 0 },
	{ { FRAME_HELLO, FRAME_DONE, FRAME_REFUSED, END }, 2 },
};

static void test_stream_order(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		struct frame_stream s;
		frame_stream_init(&s, &lim, 1);
		int bad = -1;
		for (int k = 0; orders[i].frames[k] != END; k++) {
			char why[256];
			if (frame_stream_accept(&s, (enum frame_type)orders[i].frames[k], why,
			                        sizeof(why)) < 0) {
				bad = k;
				break;
			}
		}
		if (bad != orders[i].bad_at)
			fail_msg("order #%zu: refused at %d, expected %d", i, bad, orders[i].bad_at);
	}
}

static void test_stream_entries(void **state)
{
	(void)state;
	char why[256];
	struct frame_stream s;
	frame_stream_init(&s, &lim, 1);
	assert_int_equal(frame_stream_accept(&s, FRAME_HELLO, why, sizeof(why)), 0);
	/* a file with two xattrs, then data, then EOD */
	struct frame_entry fe = { .type = ENT_FILE, .size = 100, .n_xattrs = 2 };
	assert_int_equal(frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why)), 0);
	assert_int_equal(frame_stream_entry(&s, &fe, why, sizeof(why)), 0);
	assert_int_equal(frame_stream_accept(&s, FRAME_DATA, why, sizeof(why)), -1);
	frame_stream_init(&s, &lim, 1);
	frame_stream_accept(&s, FRAME_HELLO, why, sizeof(why));
	frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why));
	frame_stream_entry(&s, &fe, why, sizeof(why));
	assert_int_equal(frame_stream_accept(&s, FRAME_XATTR, why, sizeof(why)), 0);
	assert_int_equal(frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why)), -1);
	frame_stream_init(&s, &lim, 1);
	frame_stream_accept(&s, FRAME_HELLO, why, sizeof(why));
	frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why));
	frame_stream_entry(&s, &fe, why, sizeof(why));
	assert_int_equal(frame_stream_accept(&s, FRAME_XATTR, why, sizeof(why)), 0);
	assert_int_equal(frame_stream_accept(&s, FRAME_XATTR, why, sizeof(why)), 0);
	assert_int_equal(s.state, FS_DATA);
	assert_int_equal(frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why)), -1);
	/* without data wanted a file has none */
	frame_stream_init(&s, &lim, 0);
	frame_stream_accept(&s, FRAME_HELLO, why, sizeof(why));
	fe.n_xattrs = 0;
	frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why));
	frame_stream_entry(&s, &fe, why, sizeof(why));
	assert_int_equal(s.state, FS_IDLE);
	assert_int_equal(frame_stream_accept(&s, FRAME_DATA, why, sizeof(why)), -1);
	/* the entry limit, and DONE's count */
	struct frame_limits two = lim;
	two.max_entries = 2;
	frame_stream_init(&s, &two, 0);
	frame_stream_accept(&s, FRAME_HELLO, why, sizeof(why));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why)), 0);
		assert_int_equal(frame_stream_entry(&s, &fe, why, sizeof(why)), 0);
	}
	assert_int_equal(frame_stream_done(&s, 3, why, sizeof(why)), -1);
	assert_int_equal(frame_stream_done(&s, 2, why, sizeof(why)), 0);
	assert_int_equal(frame_stream_accept(&s, FRAME_ENTRY, why, sizeof(why)), 0);
	assert_int_equal(frame_stream_entry(&s, &fe, why, sizeof(why)), FRAME_LIMIT);
	assert_non_null(strstr(why, "more than 2 entries"));
}

static const struct {
	int64_t size;
	int64_t blocks[4][2];   /* offset, length; length 0 ends */
	int bad_at;
} offsets[] = {
	{ 100, { { 0, 50 }, { 50, 50 } }, -1 },
	{ 100, { { 10, 10 }, { 90, 10 } }, -1 },          /* holes */
	{ 100, { { 50, 10 }, { 40, 10 } }, 1 },           /* backwards */
	{ 100, { { 0, 50 }, { 49, 10 } }, 1 },            /* overlapping */
	{ 100, { { 95, 10 } }, 0 },                       /* past the size */
	{ 100, { { 101, 1 } }, 0 },
	{ 0, { { 0, 1 } }, 0 },
	{ INT64_MAX, { { INT64_MAX - 1, 1 }, { INT64_MAX, 1 } }, 1 },
};

static void test_stream_offsets(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct frame_stream s;
		frame_stream_init(&s, &lim, 1);
		s.size = offsets[i].size;
		int bad = -1;
		for (int k = 0; k < 4 && offsets[i].blocks[k][1]; k++) {
			char why[256];
			if (frame_stream_data(&s, offsets[i].blocks[k][0], (size_t)offsets[i].blocks[k][1],
			                      why, sizeof(why)) < 0) {
				bad = k;
				break;
			}
		}
		if (bad != offsets[i].bad_at)
			fail_msg("offsets #%zu: refused at %d, expected %d", i, bad, offsets[i].bad_at);
	}
	char why[256];
	struct frame_stream s;
	frame_stream_init(&s, &lim, 1);
	s.size = 10;
	assert_int_equal(frame_stream_data(&s, 0, 0, why, sizeof(why)), -1);
}

/* ---- no input crashes a decoder (run under ASan: every buffer exact) ---- */

static void decode_all(const unsigned char *p, size_t n)
{
	char why[256], text[64];
	struct frame_entry fe;
	struct frame_header h;
	const char *name;
	const void *value, *buf;
	size_t nl, vl, len;
	int64_t off;
	uint64_t u;
	uint32_t a, b;
	int err;
	if (n >= FRAME_HEADER_SIZE)
		(void)frame_header_get(p, &lim, &h, why, sizeof(why));
	if (frame_entry_get(p, n, &lim, &fe, why, sizeof(why)) == 0) {
		/* whatever is accepted is within the payload and checked */
		assert_true(fe.path >= (const char *)p && fe.path + fe.path_len <= (const char *)p + n);
		assert_int_equal(frame_path_check(fe.path, fe.path_len, lim.max_path, why, sizeof(why)),
		                 0);
	}
	(void)frame_xattr_get(p, n, &lim, &name, &nl, &value, &vl, why, sizeof(why));
	(void)frame_data_get(p, n, &off, &buf, &len, why, sizeof(why));
	(void)frame_hello_get(p, n, why, sizeof(why));
	(void)frame_done_get(p, n, &u, why, sizeof(why));
	(void)frame_error_get(p, n, &err, text, sizeof(text));
	(void)frame_filter_get(p, n, &a, &b, why, sizeof(why));
}

static void test_truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		size_t len;
		unsigned char *full = encoded(&entries[i], &len);
		for (size_t cut = 0; cut < len; cut++) {
			unsigned char *p = malloc(cut ? cut : 1);
			memcpy(p, full, cut);
			struct frame_entry fe;
			char why[256];
			assert_int_not_equal(frame_entry_get(p, cut, &lim, &fe, why, sizeof(why)), 0);
			decode_all(p, cut);
			free(p);
		}
		free(full);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_random(void **state)
{
	(void)state;
	size_t accepted = 0;
	for (int i = 0; i < 200000; i++) {
		size_t n = next_random() % 160;
		unsigned char *p = malloc(n ? n : 1);
		for (size_t k = 0; k < n; k++)
			p[k] = (unsigned char)next_random();
		/* half the time, a plausible ENTRY head with small lengths */
		if (n >= FRAME_ENTRY_FIXED && (i & 1)) {
			p[0] %= 9;
			p[1] &= 1;
			p[2] = p[3] = 0;
			frame_u32_put(p + 4, frame_u32_get(p + 4) & 07777);
			frame_u64_put(p + 16, frame_u64_get(p + 16) >> 20);
			frame_u32_put(p + 32, frame_u32_get(p + 32) % 1000000000);
			frame_u32_put(p + 36, 0);
			uint32_t pl = (uint32_t)(n - FRAME_ENTRY_FIXED) / 2;
			frame_u32_put(p + 48, pl);
			frame_u32_put(p + 52, p[1] ? (uint32_t)(n - FRAME_ENTRY_FIXED - pl) : 0);
			if (!p[1])
				n = FRAME_ENTRY_FIXED + pl;
			for (size_t k = FRAME_ENTRY_FIXED; k < n; k++)
				p[k] = (unsigned char)".a/\0"[next_random() % 4];
			struct frame_entry fe;
			char why[256];
			accepted += frame_entry_get(p, n, &lim, &fe, why, sizeof(why)) == 0;
		}
		decode_all(p, n);
		free(p);
	}
	/* the generator reaches the accepting paths too */
	assert_true(accepted > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entry_round_trip),
		cmocka_unit_test(test_header_round_trip),
		cmocka_unit_test(test_path_check),
		cmocka_unit_test(test_header_refused),
		cmocka_unit_test(test_entry_refused),
		cmocka_unit_test(test_xattr_refused),
		cmocka_unit_test(test_error_text_made_printable),
		cmocka_unit_test(test_refused_frame),
		cmocka_unit_test(test_stream_order),
		cmocka_unit_test(test_stream_entries),
		cmocka_unit_test(test_stream_offsets),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

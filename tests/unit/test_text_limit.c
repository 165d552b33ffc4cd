/* test_text_limit.c - text counted as Nova and Glance count it: code
 * points of well-formed UTF-8; anything else refused at its first bad byte */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "../../snap/text_limit.h"

struct row {
	const char *what;
	const char *text;
	int rc;
	size_t chars, bytes, bad_at;
};

static const struct row rows[] = {
	{ "empty", "", 0, 0, 0, 0 },
	{ "ASCII", "OPS-1234 kernel", 0, 15, 15, 0 },
	{ "two-byte", "\xc3\xa9t\xc3\xa9", 0, 3, 5, 0 },                  /* été */
	{ "three-byte", "\xe6\x97\xa5\xe6\x9c\xac", 0, 2, 6, 0 },         /* 日本 */
	{ "four-byte", "\xf0\x9f\x98\x80!", 0, 2, 5, 0 },                 /* U+1F600 */
	{ "U+10FFFF, the last", "\xf4\x8f\xbf\xbf", 0, 1, 4, 0 },
	{ "U+FFFD", "\xef\xbf\xbd", 0, 1, 3, 0 },
	{ "lone continuation", "ab\x80", -1, 2, 2, 2 },
	{ "cut short at the end", "x\xc3", -1, 1, 1, 1 },
	{ "cut short: next is ASCII", "\xe6\x97z", -1, 0, 0, 0 },
	{ "overlong NUL (C0 80)", "\xc0\x80", -1, 0, 0, 0 },
	{ "overlong slash (C1 AF)", "a\xc1\xaf", -1, 1, 1, 1 },
	{ "overlong three-byte", "\xe0\x80\xaf", -1, 0, 0, 0 },
	{ "overlong four-byte", "\xf0\x80\x80\xaf", -1, 0, 0, 0 },
	{ "surrogate D800", "ok\xed\xa0\x80", -1, 2, 2, 2 },
	{ "surrogate DFFF", "\xed\xbf\xbf", -1, 0, 0, 0 },
	{ "beyond U+10FFFF", "\xf4\x90\x80\x80", -1, 0, 0, 0 },
	{ "F5 lead byte", "\xf5\x80\x80\x80", -1, 0, 0, 0 },
	{ "FF", "\xc3\xa9\xff", -1, 1, 2, 2 },
	{ "Latin-1, not UTF-8", "caf\xe9", -1, 3, 3, 3 },
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct text_count n;
		int rc = utf8_count(r->text, &n);
		if (rc != r->rc || n.chars != r->chars || n.bytes != r->bytes ||
		    (rc < 0 && n.bad_at != r->bad_at))
			fail_msg("%s: rc %d chars %zu bytes %zu bad_at %zu", r->what, rc, n.chars,
			         n.bytes, n.bad_at);
	}
}

/* The limit that matters is 255 characters: 255 two-byte characters are
 * 510 bytes, and the 256th of one byte is one too many. */
static void test_characters_not_bytes(void **state)
{
	(void)state;
	char buf[4 * 256 + 1];
	struct text_count n;
	for (size_t i = 0; i < 255; i++)
		memcpy(buf + 2 * i, "\xc3\xa9", 2);
	buf[510] = '\0';
	assert_int_equal(utf8_count(buf, &n), 0);
	assert_int_equal(n.chars, 255);
	assert_int_equal(n.bytes, 510);
	for (size_t i = 0; i < 255; i++)
		memcpy(buf + 4 * i, "\xf0\x9f\x98\x80", 4);
	buf[1020] = 'x';
	buf[1021] = '\0';
	assert_int_equal(utf8_count(buf, &n), 0);
	assert_int_equal(n.chars, 256);
	assert_int_equal(n.bytes, 1021);
}

/* Every two-byte sequence: well-formed exactly when Python's decoder says
 * so (C2..DF then 80..BF). */
static void test_every_two_byte_pair(void **state)
{
	(void)state;
	for (unsigned a = 0x80; a <= 0xff; a++)
		for (unsigned b = 0x01; b <= 0xff; b++) {
			char s[3] = { (char)a, (char)b, 0 };
			struct text_count n;
			bool ok = a >= 0xc2 && a <= 0xdf && b >= 0x80 && b <= 0xbf;
			if ((utf8_count(s, &n) == 0) != ok)
				fail_msg("%02x %02x judged wrongly", a, b);
		}
}

static void test_nova_keys(void **state)
{
	(void)state;
	assert_true(nova_metadata_key_ok("ticket"));
	assert_true(nova_metadata_key_ok("a-b_c:d.e f9"));
	assert_false(nova_metadata_key_ok(""));
	assert_false(nova_metadata_key_ok("t\xc3\xa9"));
	assert_false(nova_metadata_key_ok("a/b"));
	assert_false(nova_metadata_key_ok("a=b"));
	char key[257];
	memset(key, 'k', 256);
	key[256] = '\0';
	assert_false(nova_metadata_key_ok(key));
	key[255] = '\0';
	assert_true(nova_metadata_key_ok(key));
}

static void test_nova_names(void **state)
{
	(void)state;
	assert_true(nova_name_ok("lifeboat-web1-20261201T120000.000Z-aaaaaaaa"));
	assert_true(nova_name_ok("a b"));
	assert_true(nova_name_ok("\xe6\x97\xa5\xe6\x9c\xac"));
	assert_false(nova_name_ok(""));
	assert_false(nova_name_ok(" lead"));
	assert_false(nova_name_ok("trail "));
	assert_false(nova_name_ok("tab\t"));
	assert_false(nova_name_ok("new\nline"));
	assert_false(nova_name_ok("esc\x1b[2J"));
	assert_false(nova_name_ok("del\x7f"));
	/* beyond ASCII, as Nova's name format judges (its printable table
	 * covers U+0000..U+FFFE; control, format, private-use, line and
	 * paragraph separators are not printable; Zs is white space) */
	assert_true(nova_name_ok("a\xc2\xa0" "b"));                /* NBSP inside */
	assert_true(nova_name_ok("a\xe3\x80\x80" "b"));            /* U+3000 inside */
	assert_false(nova_name_ok("\xc2\xa0lead"));             /* NBSP at either end */
	assert_false(nova_name_ok("trail\xc2\xa0"));
	assert_false(nova_name_ok("\xe3\x80\x80lead"));         /* U+3000 */
	assert_false(nova_name_ok("trail\xe2\x80\xaf"));        /* U+202F */
	assert_false(nova_name_ok("\xe2\x80\x80lead"));         /* U+2000 */
	assert_false(nova_name_ok("nel\xc2\x85inside"));         /* U+0085, C1 control */
	assert_false(nova_name_ok("soft\xc2\xadhyphen"));        /* U+00AD, format */
	assert_false(nova_name_ok("zero\xe2\x80\x8bwidth"));    /* U+200B */
	assert_false(nova_name_ok("line\xe2\x80\xa8sep"));      /* U+2028 */
	assert_false(nova_name_ok("rtl\xe2\x80\xaeover"));      /* U+202E */
	assert_false(nova_name_ok("bom\xef\xbb\xbf"));          /* U+FEFF */
	assert_false(nova_name_ok("pua\xee\x80\x80"));          /* U+E000 */
	assert_false(nova_name_ok("emoji\xf0\x9f\x98\x80"));    /* U+1F600, past U+FFFE */
	assert_false(nova_name_ok("bad\xffutf8"));
}

/* A server's own name goes into the default image name: what Nova would
 * refuse there becomes '_', and what it takes stays as it is. */
static void test_nova_name_clean(void **state)
{
	(void)state;
	static const struct { const char *in, *out; } names[] = {
		{ "lifeboat-web1-x", "lifeboat-web1-x" },
		{ "lifeboat-\xe6\x97\xa5\xe6\x9c\xac-x", "lifeboat-\xe6\x97\xa5\xe6\x9c\xac-x" },
		{ "lifeboat-chat\xf0\x9f\x98\x80-x", "lifeboat-chat_-x" },
		{ "lifeboat-a\xc2\xad" "b-x", "lifeboat-a_b-x" },
		{ "lifeboat-a\xff" "b-x", "lifeboat-a_b-x" },
		{ "lifeboat-tab\there-x", "lifeboat-tab_here-x" },
		{ "lifeboat-a b\xc2\xa0" "c-x", "lifeboat-a b\xc2\xa0" "c-x" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", names[i].in);
		nova_name_clean(buf);
		assert_string_equal(buf, names[i].out);
		assert_true(nova_name_ok(buf));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_characters_not_bytes),
		cmocka_unit_test(test_every_two_byte_pair),
		cmocka_unit_test(test_nova_keys),
		cmocka_unit_test(test_nova_names),
		cmocka_unit_test(test_nova_name_clean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

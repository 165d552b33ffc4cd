/* test_part_record.c - when a FILE.part is resumed: only when its record
 * names this very image (id, size, hashes) and this part, and the part is
 * no longer than the image; a record that is a link, has other names, is
 * no regular file, is too big or is not one is never trusted */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../snap/part_record.h"

static const struct part_identity img_a = {
	.part_name = "f.part", .image_id = "aaaa", .size = 1000,
	.checksum = "md5a", .hash_algo = "sha512", .hash_value = "sha-a",
};

/* A record read back from the text written for id. */
static struct part_record record_of(const struct part_identity *id)
{
	char *text = part_record_text(id, "2026-01-01T00:00:00Z");
	assert_non_null(text);
	struct part_record r = { .state = RECORD_READ, .doc = json_loads(text, 0, NULL) };
	free(text);
	assert_non_null(r.doc);
	return r;
}

static void test_verdicts(void **state)
{
	(void)state;
	struct part_identity other = img_a;
	other.image_id = "bbbb";
	struct part_identity resized = img_a;
	resized.size = 1001;
	struct part_identity rehashed = img_a;
	rehashed.hash_value = "sha-b";
	struct part_identity md5_only = img_a;
	md5_only.hash_algo = md5_only.hash_value = NULL;
	struct part_identity moved = img_a;
	moved.part_name = "g.part";
	struct part_identity unknown_size = img_a;
	unknown_size.size = -1;
	static const struct part_record none = { .state = RECORD_NONE };
	static const struct part_record bad = { .state = RECORD_UNTRUSTED, .why = "x" };
	const struct {
		const struct part_identity *recorded; /* NULL: the record below */
		const struct part_record *plain;
		const struct part_identity *want;
		long long have;
		enum part_verdict v;
	} rows[] = {
		{ &img_a, NULL, &img_a, 500, PART_RESUME },
		{ &img_a, NULL, &img_a, 1000, PART_RESUME },      /* whole: verified as it is */
		{ &img_a, NULL, &img_a, 1001, PART_TOO_LONG },
		{ &img_a, NULL, &img_a, 0, PART_FRESH },
		{ &img_a, NULL, &other, 500, PART_OTHER_IMAGE },
		{ &img_a, NULL, &other, 0, PART_FRESH },           /* nothing to throw away */
		{ &img_a, NULL, &resized, 500, PART_CHANGED },
		{ &img_a, NULL, &rehashed, 500, PART_CHANGED },
		{ &img_a, NULL, &md5_only, 500, PART_CHANGED },    /* null is not a value */
		{ &md5_only, NULL, &img_a, 500, PART_CHANGED },
		{ &md5_only, NULL, &md5_only, 500, PART_RESUME },
		{ &img_a, NULL, &moved, 500, PART_OTHER_PART },
		{ &unknown_size, NULL, &unknown_size, 5000, PART_RESUME },
		{ &unknown_size, NULL, &img_a, 500, PART_CHANGED },
		{ NULL, &none, &img_a, 500, PART_NO_RECORD },
		{ NULL, &none, &img_a, 0, PART_FRESH },
		{ NULL, &bad, &img_a, 500, PART_UNTRUSTED },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct part_record r = rows[i].recorded ? record_of(rows[i].recorded) : *rows[i].plain;
		enum part_verdict v = part_judge(&r, rows[i].want, rows[i].have);
		if (v != rows[i].v)
			fail_msg("row %zu: verdict %d, expected %d", i, v, rows[i].v);
		if (rows[i].recorded)
			part_record_clear(&r);
	}
}

/* A record whose fields have the wrong types is no record of this image. */
static void test_wrong_types(void **state)
{
	(void)state;
	const char *docs[] = {
		"{\"record\": \"lifeboat-snap part\", \"version\": 1, \"part\": \"f.part\", "
		"\"image_id\": \"aaaa\", \"size\": \"1000\", \"checksum\": \"md5a\", "
		"\"os_hash_algo\": \"sha512\", \"os_hash_value\": \"sha-a\"}",
		"{\"record\": \"lifeboat-snap part\", \"version\": 1, \"part\": \"f.part\", "
		"\"image_id\": \"aaaa\", \"size\": 1000, \"checksum\": \"md5a\", "
		"\"os_hash_algo\": \"sha512\"}",
		"{\"record\": \"lifeboat-snap part\", \"version\": 1, \"part\": \"f.part\", "
		"\"image_id\": 7, \"size\": 1000}",
	};
	const enum part_verdict want[] = { PART_CHANGED, PART_CHANGED, PART_OTHER_IMAGE };
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct part_record r = { .state = RECORD_READ, .doc = json_loads(docs[i], 0, NULL) };
		assert_non_null(r.doc);
		assert_int_equal(part_judge(&r, &img_a, 10), want[i]);
		part_record_clear(&r);
	}
}

static char dir[] = "/tmp/test_part_record.XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static struct part_record read_at(const char *name)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct part_record r;
	assert_int_equal(part_record_read(path, &r), 0);
	return r;
}

static void test_reading(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	char *good = part_record_text(&img_a, NULL);
	put("good", good);
	struct part_record r = read_at("good");
	assert_int_equal(r.state, RECORD_READ);
	assert_string_equal(part_record_image(&r), "aaaa");
	assert_int_equal(part_judge(&r, &img_a, 10), PART_RESUME);
	part_record_clear(&r);

	r = read_at("missing");
	assert_int_equal(r.state, RECORD_NONE);
	assert_null(part_record_image(&r));

	char path[256], target[256];
	snprintf(path, sizeof(path), "%s/link", dir);
	snprintf(target, sizeof(target), "%s/good", dir);
	assert_int_equal(symlink(target, path), 0);
	r = read_at("link");
	assert_int_equal(r.state, RECORD_UNTRUSTED);
	assert_string_equal(r.why, "a symbolic link");

	snprintf(path, sizeof(path), "%s/hard", dir);
	assert_int_equal(link(target, path), 0);
	r = read_at("hard");
	assert_int_equal(r.state, RECORD_UNTRUSTED);
	assert_string_equal(r.why, "a file with other names");
	unlink(path);

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	r = read_at("fifo"); /* never waits for a writer */
	assert_int_equal(r.state, RECORD_UNTRUSTED);
	assert_string_equal(r.why, "no regular file");

	char *huge = malloc(PART_RECORD_MAX + 2);
	assert_non_null(huge);
	memset(huge, ' ', PART_RECORD_MAX + 1);
	huge[PART_RECORD_MAX + 1] = '\0';
	memcpy(huge, good, strlen(good)); /* valid JSON, padded */
	put("huge", huge);
	free(huge);
	r = read_at("huge");
	assert_int_equal(r.state, RECORD_UNTRUSTED);
	assert_string_equal(r.why, "larger than any record");

	const char *aliens[] = { "", "not json", "[1]", "{\"image_id\": \"aaaa\"}",
	                         "{\"record\": \"lifeboat-snap part\", \"version\": 2}" };
	for (size_t i = 0; i < sizeof(aliens) / sizeof(aliens[0]); i++) {
		put("alien", aliens[i]);
		r = read_at("alien");
		assert_int_equal(r.state, RECORD_UNTRUSTED);
		assert_string_equal(r.why, "not a record of a part");
	}
	free(good);
	const char *names[] = { "good", "link", "fifo", "huge", "alien" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_reading),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

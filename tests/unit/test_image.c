/* test_image.c - the image policy (common/image_policy.h) on images made
 * here by qemu-img, hostile ones included; and qemu-img's own reading of
 * every one of them must agree with the policy's */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../extract/exit.h"
#include "../../extract/image.h"
#include "image_policy.h"

static char dir[64];

/* Patch bytes of a file in place: patch FILE OFFSET HEXBYTES */
#define PATCH "python3 -c 'import sys; f=open(sys.argv[1],\"r+b\"); f.seek(int(sys.argv[2])); " \
              "f.write(bytes.fromhex(sys.argv[3]))' "

static void make_images(void)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd),
	         "set -e; cd %s; exec >/dev/null\n"
	         "head -c 3000000 /dev/urandom >raw.img\n"
	         "echo 'host secret' >host-secret\n"
	         "qemu-img convert -q -f raw -O qcow2 raw.img good.qcow2\n"
	         "qemu-img convert -q -c -f raw -O qcow2 raw.img compressed.qcow2\n"
	         "qemu-img convert -q -f raw -O qcow2 -o compat=0.10 raw.img v2.qcow2\n"
	         "qemu-img convert -q -f raw -O qcow2 -o extended_l2=on raw.img extl2.qcow2\n"
	         "head -c 1000000 extl2.qcow2 >extl2-cut.qcow2\n"
	         "qemu-img create -q -f qcow2 -b /etc/shadow -F raw evil.qcow2 1M\n"
	         "qemu-img create -q -f qcow2 -b raw.img -F raw beside.qcow2 3M\n"
	         /* depth 2: top -> mid (qcow2) -> raw.img */
	         "qemu-img create -q -f qcow2 -b raw.img -F raw mid.qcow2 3M\n"
	         "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 3M\n"
	         /* depth 2, the second level naming a host file */
	         "mkdir sub; qemu-img create -q -f qcow2 -u -b /etc/shadow -F raw sub/mid-evil.qcow2 1M\n"
	         "qemu-img create -q -f qcow2 -u -b sub/mid-evil.qcow2 -F qcow2 top-evil.qcow2 1M\n"
	         /* a backing file without a format: the extension renamed */
	         "qemu-img create -q -f qcow2 -b raw.img -F raw nofmt.qcow2 3M\n"
	         PATCH "nofmt.qcow2 112 00000001\n"
	         /* a loop */
	         "qemu-img create -q -f qcow2 -u -b loop-b.qcow2 -F qcow2 loop-a.qcow2 1M\n"
	         "qemu-img create -q -f qcow2 -u -b loop-a.qcow2 -F qcow2 loop-b.qcow2 1M\n"
	         /* external data files, with and without the raw bit, and one
	          * pointed at a host file afterwards */
	         "qemu-img create -q -f qcow2 -o data_file=df.raw datafile.qcow2 1M\n"
	         "qemu-img create -q -f qcow2 -o data_file=df2.raw,data_file_raw=on datafile-raw.qcow2 1M\n"
	         "qemu-img create -q -f qcow2 -o data_file=df3.raw datafile-host.qcow2 1M\n"
	         "qemu-img amend -q -o data_file=$PWD/host-secret datafile-host.qcow2\n"
	         "qemu-img create -q -f qcow2 --object secret,id=s,data=pw "
	         "-o encrypt.format=luks,encrypt.key-secret=s luks.qcow2 1M\n"
	         "qemu-img create -q -f qcow2 --object secret,id=s,data=pw "
	         "-o encrypt.format=aes,encrypt.key-secret=s aes.qcow2 1M\n"
	         /* an unknown incompatible feature bit (bit 32) */
	         "cp good.qcow2 unknown.qcow2; " PATCH "unknown.qcow2 75 01\n"
	         /* inconsistent: header length not a multiple of 8; an L1 table
	          * too small for the size; a backing name past the cluster */
	         "cp good.qcow2 hdrlen.qcow2; " PATCH "hdrlen.qcow2 100 00000060\n"
	         "cp good.qcow2 l1small.qcow2; " PATCH "l1small.qcow2 36 00000000\n"
	         "cp evil.qcow2 backing-past.qcow2; " PATCH "backing-past.qcow2 8 00000000000fff00\n"
	         "head -c 400000 good.qcow2 >truncated.qcow2\n"
	         "head -c 40 good.qcow2 >stub.qcow2\n"
	         /* a raw disk whose guest wrote a qcow2 header naming a host
	          * file as its backing file */
	         "qemu-img create -q -f qcow2 -u -b $PWD/host-secret -F raw lure.qcow2 1M\n"
	         "head -c 4096 lure.qcow2 >qfi.raw; truncate -s 1M qfi.raw\n"
	         "cp qfi.raw sidecar-raw.img; echo '{\"disk_format\": \"raw\", \"id\": \"x\"}' >sidecar-raw.img.json\n"
	         "cp raw.img sidecar-qcow2.img; echo '{\"disk_format\": \"qcow2\"}' >sidecar-qcow2.img.json\n"
	         "cp good.qcow2 sidecar-vmdk.img; echo '{\"disk_format\": \"vmdk\"}' >sidecar-vmdk.img.json\n"
	         "cp good.qcow2 sidecar-bad.img; echo '{\"disk_format\": ' >sidecar-bad.img.json\n",
	         dir);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lifeboat-image.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	make_images();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* What qemu-img says about the image, as the policy should see it:
 * "ok FORMAT SIZE", "backing", "no-backing-format", "data-file",
 * "encrypted", "fails", "check-fails". */
static const struct policy_case {
	const char *file, *format;
	bool allow_backing;
	enum image_verdict v;
	const char *format_out, *why;
	size_t depth;
	const char *qemu;
} cases[] = {
	{ "raw.img", NULL, false, IMAGE_OK, "raw", NULL, 1, "ok" },
	{ "good.qcow2", NULL, false, IMAGE_OK, "qcow2", NULL, 1, "ok" },
	{ "compressed.qcow2", NULL, false, IMAGE_OK, "qcow2", NULL, 1, "ok" },
	{ "v2.qcow2", NULL, false, IMAGE_OK, "qcow2", NULL, 1, "ok" },
	{ "extl2.qcow2", NULL, false, IMAGE_OK, "qcow2", NULL, 1, "ok" },
	{ "extl2-cut.qcow2", NULL, false, IMAGE_CORRUPT, NULL, "truncated qcow2", 0, "check-fails" },
	{ "good.qcow2", "raw", false, IMAGE_OK, "raw", NULL, 1, "ok" },
	{ "raw.img", "qcow2", false, IMAGE_MISMATCH, NULL, "has no qcow2 header", 0, "fails" },
	{ "raw.img", "vmdk", false, IMAGE_BAD_REQUEST, NULL, "is not raw or qcow2", 0, "-" },
	{ "evil.qcow2", NULL, false, IMAGE_UNSAFE, NULL, "backing file '/etc/shadow'", 0, "backing" },
	{ "evil.qcow2", NULL, true, IMAGE_UNSAFE, NULL, "does not resolve inside", 0, "backing" },
	{ "beside.qcow2", NULL, false, IMAGE_UNSAFE, NULL, "refused (see --allow-backing)", 0, "backing" },
	{ "beside.qcow2", NULL, true, IMAGE_OK, "qcow2", NULL, 2, "ok" },
	{ "top.qcow2", NULL, true, IMAGE_OK, "qcow2", NULL, 3, "ok" },
	{ "top.qcow2", NULL, false, IMAGE_UNSAFE, NULL, "backing file 'mid.qcow2'", 0, "backing" },
	{ "top-evil.qcow2", NULL, true, IMAGE_UNSAFE, NULL, "'/etc/shadow' does not resolve", 0, "backing" },
	{ "nofmt.qcow2", NULL, true, IMAGE_UNSAFE, NULL, "has no format in the header", 0, "no-backing-format" },
	{ "loop-a.qcow2", NULL, true, IMAGE_CORRUPT, NULL, "loops", 0, "backing" },
	{ "datafile.qcow2", NULL, false, IMAGE_UNSAFE, NULL, "external data file", 0, "data-file" },
	{ "datafile-raw.qcow2", NULL, true, IMAGE_UNSAFE, NULL, "(raw data file)", 0, "data-file" },
	{ "datafile-host.qcow2", NULL, true, IMAGE_UNSAFE, NULL, "host-secret'", 0, "data-file" },
	{ "luks.qcow2", NULL, false, IMAGE_UNSUPPORTED, NULL, "encrypted (LUKS)", 0, "encrypted" },
	{ "aes.qcow2", NULL, false, IMAGE_UNSUPPORTED, NULL, "AES-CBC", 0, "encrypted" },
	{ "unknown.qcow2", NULL, false, IMAGE_UNSUPPORTED, NULL, "bits 0x100000000;", 0, "fails" },
	{ "hdrlen.qcow2", NULL, false, IMAGE_CORRUPT, NULL, "header length 96", 0, "fails" },
	{ "l1small.qcow2", NULL, false, IMAGE_CORRUPT, NULL, "L1 table of 0 entries", 0, "fails" },
	{ "backing-past.qcow2", NULL, true, IMAGE_CORRUPT, NULL, "backing file name lies", 0, "fails" },
	{ "truncated.qcow2", NULL, false, IMAGE_CORRUPT, NULL, "truncated qcow2", 0, "check-fails" },
	{ "stub.qcow2", NULL, false, IMAGE_CORRUPT, NULL, "truncated qcow2 header", 0, "fails" },
	{ "missing.qcow2", NULL, false, IMAGE_IO, NULL, "No such file or directory", 0, "-" },
	{ "qfi.raw", "raw", false, IMAGE_OK, "raw", NULL, 1, "ok" },
	{ "qfi.raw", NULL, false, IMAGE_UNSAFE, NULL, "host-secret'", 0, "backing" },
	{ "qfi.raw", "qcow2", false, IMAGE_UNSAFE, NULL, "host-secret'", 0, "backing" },
};

static void test_policy_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_case *c = &cases[i];
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, c->file);
		struct image_request req = { path, c->format, c->allow_backing, 0 };
		struct image_decision d;
		enum image_verdict v = image_decide(&req, &d);
		if (v != c->v || v != d.verdict)
			fail_msg("case %zu (%s): %s, want %s: %s", i, c->file, image_verdict_name(v),
			         image_verdict_name(c->v), d.why);
		if (c->format_out)
			assert_string_equal(d.format, c->format_out);
		if (c->why && !strstr(d.why, c->why))
			fail_msg("case %zu (%s): '%s' lacks '%s'", i, c->file, d.why, c->why);
		if (v == IMAGE_OK) {
			assert_int_equal(d.depth, c->depth);
			assert_non_null(d.qemu_spec);
			assert_string_equal(d.chain[0].path, d.abs_path);
		} else {
			assert_null(d.qemu_spec);
		}
		image_decision_free(&d);
		image_decision_free(&d); /* twice is harmless */
	}
}

/* The spec pins every level's format and ends the chain. */
static void test_spec_pins_the_chain(void **state)
{
	(void)state;
	char path[128], want[1024];
	snprintf(path, sizeof(path), "%s/top.qcow2", dir);
	struct image_request req = { path, NULL, true, 0 };
	struct image_decision d;
	assert_int_equal(image_decide(&req, &d), IMAGE_OK);
	char *real = realpath(dir, NULL);
	snprintf(want, sizeof(want),
	         "json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"%s/top.qcow2\"},"
	         "\"backing\":{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":\"%s/mid.qcow2\"},"
	         "\"backing\":{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"%s/raw.img\"}}}}",
	         real, real, real);
	assert_string_equal(d.qemu_spec, want);
	assert_string_equal(d.chain[2].format, "raw");
	image_decision_free(&d);
	snprintf(path, sizeof(path), "%s/good.qcow2", dir);
	req = (struct image_request){ path, NULL, false, 0 };
	assert_int_equal(image_decide(&req, &d), IMAGE_OK);
	snprintf(want, sizeof(want), "json:{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\","
	         "\"filename\":\"%s/good.qcow2\"},\"backing\":null}", real);
	assert_string_equal(d.qemu_spec, want);
	image_decision_free(&d);
	free(real);
	char buf[64];
	assert_int_equal(image_json_string("a\"b\\c\n", buf, sizeof(buf)), 15);
	assert_string_equal(buf, "\"a\\\"b\\\\c\\u000a\"");
	assert_int_equal(image_json_string("abcdef", buf, 6), -1);
}

static json_t *qemu_img_info(const char *path, const char *format)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "qemu-img info -U --output=json %s%s '%s' 2>/dev/null",
	         format ? "-f " : "", format ? format : "", path);
	FILE *p = popen(cmd, "r");
	json_t *doc = json_loadf(p, 0, NULL);
	int st = pclose(p);
	if (st != 0) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static bool qemu_img_check_ok(const char *path)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "qemu-img check -U -q -f qcow2 '%s' >/dev/null 2>&1", path);
	return system(cmd) == 0;
}

/* For every image of the table, what qemu-img reads agrees with the
 * policy: the same format and size where it opens, and where it refuses,
 * qemu-img shows the very thing refused. */
static void test_qemu_img_agrees(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct policy_case *c = &cases[i];
		if (strcmp(c->qemu, "-") == 0)
			continue;
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, c->file);
		struct image_request req = { path, c->format, c->allow_backing, 0 };
		struct image_decision d;
		image_decide(&req, &d);
		const char *fmt = c->format ? c->format : d.format[0] ? d.format : "qcow2";
		json_t *info = qemu_img_info(path, fmt);
		json_t *specific = json_object_get(json_object_get(info, "format-specific"), "data");
		bool ok;
		if (strcmp(c->qemu, "ok") == 0)
			ok = info && strcmp(json_string_value(json_object_get(info, "format")), d.format) == 0 &&
			     (uint64_t)json_integer_value(json_object_get(info, "virtual-size")) ==
			             d.virtual_size;
		else if (strcmp(c->qemu, "backing") == 0)
			ok = info && json_object_get(info, "backing-filename");
		else if (strcmp(c->qemu, "no-backing-format") == 0)
			ok = info && json_object_get(info, "backing-filename") &&
			     !json_object_get(info, "backing-filename-format");
		else if (strcmp(c->qemu, "data-file") == 0)
			ok = info && json_object_get(specific, "data-file");
		else if (strcmp(c->qemu, "encrypted") == 0)
			ok = info && json_is_true(json_object_get(info, "encrypted"));
		else if (strcmp(c->qemu, "check-fails") == 0)
			ok = !qemu_img_check_ok(path);
		else
			ok = info == NULL;
		if (!ok)
			fail_msg("case %zu (%s): qemu-img does not agree: want %s, policy said %s (%s)",
			         i, c->file, c->qemu, image_verdict_name(d.verdict), d.why);
		json_decref(info);
		image_decision_free(&d);
	}
}

/* What cannot be a disk image is refused before any reader starts, and
 * the reason never repeats the name its caller puts in front. */
static void test_too_small_and_not_files(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		size_t size;       /* of a file of zeros; 0: made below */
		uint64_t min;
		enum image_verdict v;
		const char *why;
	} rows[] = {
		{ "twelve", 12, IMAGE_MIN_DISK, IMAGE_CORRUPT, "12 bytes: too small to be a disk image" },
		{ "twelve", 12, 0, IMAGE_OK, NULL },        /* lifeboat-snap asks for no minimum */
		{ "short", 2047, IMAGE_MIN_DISK, IMAGE_CORRUPT, "2047 bytes: too small" },
		{ "enough", 2048, IMAGE_MIN_DISK, IMAGE_OK, NULL },
		{ "adir", 0, IMAGE_MIN_DISK, IMAGE_IO, "a directory, not a disk image" },
		{ "afifo", 0, IMAGE_MIN_DISK, IMAGE_IO, "a FIFO, not a disk image" },
		{ "absent", 0, IMAGE_MIN_DISK, IMAGE_IO, "No such file or directory" },
	};
	char path[160];
	snprintf(path, sizeof(path), "%s/adir", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/afifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, rows[i].name);
		if (rows[i].size) {
			FILE *f = fopen(path, "w");
			assert_non_null(f);
			assert_int_equal(ftruncate(fileno(f), (off_t)rows[i].size), 0);
			fclose(f);
		}
		struct image_request req = { .path = path, .min_size = rows[i].min };
		struct image_decision d;
		enum image_verdict v = image_decide(&req, &d);   /* a FIFO must not block */
		if (v != rows[i].v || (rows[i].why && !strstr(d.why, rows[i].why)))
			fail_msg("row %zu (%s): %s '%s'", i, rows[i].name, image_verdict_name(v), d.why);
		if (strstr(d.why, rows[i].name))
			fail_msg("row %zu: the reason repeats the name: '%s'", i, d.why);
		image_decision_free(&d);
	}
	/* lifeboat-extract asks for the minimum: exit 4 */
	snprintf(path, sizeof(path), "%s/twelve", dir);
	struct image_info info;
	char why[512];
	assert_int_equal(image_probe(path, NULL, false, &info, why, sizeof(why)), XT_BAD_IMAGE);
	assert_non_null(strstr(why, "12 bytes: too small to be a disk image"));
	assert_null(strstr(why, "twelve"));
	image_info_free(&info);
	assert_int_equal(image_probe(path, "raw", false, &info, why, sizeof(why)), XT_BAD_IMAGE);
	image_info_free(&info);
}

/* lifeboat-extract's side: the sidecar's disk_format decides, --format
 * overrides it, and the exit codes. */
static void test_probe_sidecar(void **state)
{
	(void)state;
	static const struct {
		const char *file, *format;
		int rc;
		const char *format_out, *why;
	} rows[] = {
		{ "sidecar-raw.img", NULL, XT_OK, "raw", NULL },      /* QFI\xfb, but Glance says raw */
		{ "sidecar-raw.img", "qcow2", XT_UNSAFE, NULL, "host-secret" },
		{ "sidecar-qcow2.img", NULL, XT_UNSAFE, NULL, "the format came from the cloud" },
		{ "sidecar-qcow2.img", "raw", XT_OK, "raw", NULL },
		{ "sidecar-vmdk.img", NULL, XT_UNSAFE, NULL, "'vmdk' is not raw or qcow2" },
		{ "sidecar-bad.img", NULL, XT_BAD_IMAGE, NULL, "not JSON" },
		{ "sidecar-bad.img", "qcow2", XT_OK, "qcow2", NULL },
		{ "qfi.raw", NULL, XT_UNSAFE, NULL, "backing file" },
		{ "raw.img", "vmdk", XT_USAGE, NULL, "is not raw or qcow2" },
		{ "truncated.qcow2", NULL, XT_BAD_IMAGE, NULL, "truncated" },
		{ "luks.qcow2", NULL, XT_UNSAFE, NULL, "LUKS" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char path[128], why[1400] = "";
		struct image_info info;
		snprintf(path, sizeof(path), "%s/%s", dir, rows[i].file);
		int rc = image_probe(path, rows[i].format, false, &info, why, sizeof(why));
		if (rc != rows[i].rc)
			fail_msg("row %zu (%s): rc %d, want %d: %s", i, rows[i].file, rc, rows[i].rc, why);
		if (rows[i].format_out)
			assert_string_equal(info.format, rows[i].format_out);
		if (rows[i].why && !strstr(why, rows[i].why))
			fail_msg("row %zu: '%s' lacks '%s'", i, why, rows[i].why);
		image_info_free(&info);
	}
}

/* The walk of the tables costs time in proportion to the metadata. */
static void test_bounded_time(void **state)
{
	(void)state;
	char cmd[256], path[128];
	snprintf(path, sizeof(path), "%s/huge.qcow2", dir);
	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 '%s' 64T >/dev/null", path);
	assert_int_equal(system(cmd), 0);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct image_request req = { path, NULL, false, 0 };
	struct image_decision d;
	assert_int_equal(image_decide(&req, &d), IMAGE_OK);
	assert_true(d.virtual_size == 64ULL << 40);
	image_decision_free(&d);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true(b.tv_sec - a.tv_sec < 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_table),
		cmocka_unit_test(test_spec_pins_the_chain),
		cmocka_unit_test(test_qemu_img_agrees),
		cmocka_unit_test(test_too_small_and_not_files),
		cmocka_unit_test(test_probe_sidecar),
		cmocka_unit_test(test_bounded_time),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

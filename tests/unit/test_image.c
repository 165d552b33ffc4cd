/* test_image.c - the header checks lifeboat-extract makes before any
 * appliance (or qemu) opens an image, on images made here by qemu-img */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../extract/exit.h"
#include "../../extract/image.h"

static char dir[64];

static void make_images(void)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
	         "cd %s && head -c 3000000 /dev/urandom >raw.img && "
	         "qemu-img convert -q -f raw -O qcow2 raw.img good.qcow2 && "
	         "qemu-img create -q -f qcow2 -b /etc/shadow -F raw evil.qcow2 1M && "
	         "qemu-img create -q -f qcow2 -b raw.img -F raw beside.qcow2 3M && "
	         "head -c 400000 good.qcow2 >truncated.qcow2 && "
	         "head -c 40 good.qcow2 >stub.qcow2", dir);
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

static void test_probe_table(void **state)
{
	(void)state;
	static const struct {
		const char *file, *format;
		bool allow_backing;
		int rc;
		const char *format_out, *why;
	} cases[] = {
		{ "raw.img", NULL, false, XT_OK, "raw", NULL },
		{ "good.qcow2", NULL, false, XT_OK, "qcow2", NULL },
		{ "good.qcow2", "raw", false, XT_OK, "raw", NULL },
		{ "raw.img", "qcow2", false, XT_BAD_IMAGE, NULL, "no qcow2 header" },
		{ "raw.img", "vmdk", false, XT_USAGE, NULL, "is not raw or qcow2" },
		{ "evil.qcow2", NULL, false, XT_UNSAFE, NULL, "backing file '/etc/shadow'" },
		{ "evil.qcow2", NULL, true, XT_UNSAFE, NULL, "does not resolve inside" },
		{ "beside.qcow2", NULL, false, XT_UNSAFE, NULL, "refused (see --allow-backing)" },
		{ "beside.qcow2", NULL, true, XT_OK, "qcow2", NULL },
		{ "truncated.qcow2", NULL, false, XT_BAD_IMAGE, NULL, "truncated qcow2" },
		{ "stub.qcow2", NULL, false, XT_BAD_IMAGE, NULL, "truncated qcow2 header" },
		{ "missing.qcow2", NULL, false, XT_BAD_IMAGE, NULL, "cannot open" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128], why[1024] = "";
		struct image_info info;
		snprintf(path, sizeof(path), "%s/%s", dir, cases[i].file);
		int rc = image_probe(path, cases[i].format, cases[i].allow_backing, &info, why,
		                     sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("case %zu (%s): rc %d, want %d: %s", i, cases[i].file, rc,
			         cases[i].rc, why);
		if (cases[i].format_out)
			assert_string_equal(info.format, cases[i].format_out);
		if (cases[i].why && !strstr(why, cases[i].why))
			fail_msg("case %zu: '%s' lacks '%s'", i, why, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_table, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

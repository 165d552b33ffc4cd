/* fuzz.h - what every target shares: the libFuzzer entry point, and the
 * input as a C string (parsers here take NUL-terminated text) */
#ifndef LIFEBOAT_FUZZ_H
#define LIFEBOAT_FUZZ_H

#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of data; the caller frees. Aborts when out of
 * memory, which a fuzzer reports. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_dir[64];

static inline int fuzz_rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	remove(p);
	return 0;
}

static inline int fuzz_open_up(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)f;
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(p, 0700);
	return 0;
}

/* Remove dir and everything below it, whatever modes it was given. */
static inline void fuzz_rm_tree(const char *dir)
{
	nftw(dir, fuzz_open_up, 16, FTW_PHYS);
	nftw(dir, fuzz_rm_one, 16, FTW_PHYS | FTW_DEPTH);
}

static inline void fuzz_cleanup(void)
{
	if (fuzz_dir[0])
		fuzz_rm_tree(fuzz_dir);
}

/* A private directory for this process, removed at exit. */
static inline const char *fuzz_tmpdir(void)
{
	if (!fuzz_dir[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s", "/tmp/lifeboat-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_dir))
			abort();
		atexit(fuzz_cleanup);
	}
	return fuzz_dir;
}

#endif

/* hashes.h - the digests a download or a verify computes in one pass */
#ifndef SNAP_HASHES_H
#define SNAP_HASHES_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/evp.h>

#define MAX_DIGESTS 3

struct digest {
	char name[16];                      /* "sha512", "md5", ... */
	EVP_MD_CTX *ctx;
	char hex[EVP_MAX_MD_SIZE * 2 + 1];  /* filled by hashes_final() */
	const char *expected;               /* borrowed; NULL when only computed */
};

struct hashes {
	struct digest d[MAX_DIGESTS];
	size_t n;
};

/* Add a digest by OpenSSL name, once; expected (borrowed) may be NULL.
 * Returns -1 for an algorithm OpenSSL does not know. */
int hashes_add(struct hashes *h, const char *name, const char *expected);
/* Start again from nothing (a download restarted from byte 0). */
int hashes_reset(struct hashes *h);
void hashes_update(struct hashes *h, const void *data, size_t len);
void hashes_final(struct hashes *h);
/* The digest of that name, or NULL. */
const struct digest *hashes_get(const struct hashes *h, const char *name);
/* The first digest whose expected value differs, or NULL when all agree. */
const struct digest *hashes_mismatch(const struct hashes *h);
void hashes_free(struct hashes *h);

struct conoha_image;

/* Add the digests an image can be checked with: its multihash, and its
 * md5 checksum only when it has no multihash or with all. Returns 0, or
 * -1 with *why set to a static reason ("no checksum", "unknown
 * algorithm"). The expected values are borrowed from img. */
int hashes_expect_image(struct hashes *h, const struct conoha_image *img, bool all,
                        const char **why);

/* Hash an open file from its start to its end (at most limit bytes when
 * limit >= 0). Returns bytes read, or -1 with errno set. */
long long hashes_file(struct hashes *h, int fd, long long limit);

#endif

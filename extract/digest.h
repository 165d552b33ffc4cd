/* digest.h - a file's content hash as the manifest records it, computed
 * in time bounded by the data, never by the apparent size.
 *
 * Two forms (man/lifeboat-extract.1, FILES):
 *   - plain: 64 hex digits, the sha256 of every byte, as sha256sum prints
 *     it; recorded when the file's zeros cost no more to hash than its data
 *     (at most 1 MiB more);
 *   - "sparse:" and 64 hex digits: the sha256, over the file's 4096-byte
 *     blocks in order (the last one may be shorter) that are not all
 *     zeros, of each block's index as 8 bytes big-endian followed by its
 *     bytes. Holes and blocks of zeros are left out, so a 2^60-byte file of
 *     holes hashes at once; the hole map is part of the hash. */
#ifndef EXTRACT_DIGEST_H
#define EXTRACT_DIGEST_H

#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>

#define DIGEST_BLOCK 4096
#define DIGEST_TEXT 72     /* "sparse:" + 64 hex + NUL, rounded */

struct content_hash {
	EVP_MD_CTX *plain;     /* NULL once the zeros would cost too much */
	EVP_MD_CTX *blocks;
	int64_t plain_pos;     /* bytes fed to plain */
	int64_t zeros, data;   /* zero bytes fed to plain; non-zero block bytes */
	int64_t last_block;    /* the last block fed, -1 before the first */
};

/* 0, or -1 when out of memory. */
int content_hash_init(struct content_hash *h);
/* Feed block INDEX of LEN bytes (LEN < DIGEST_BLOCK only for the last);
 * blocks in increasing order, any skipped ones being zeros. */
void content_hash_block(struct content_hash *h, int64_t index, const unsigned char *buf,
                        size_t len);
/* Finish for a file of SIZE bytes into out: the plain form when it could
 * be kept, else the sparse one; the sparse one into sparse when not NULL.
 * Also frees h's contexts. */
void content_hash_final(struct content_hash *h, int64_t size, char out[DIGEST_TEXT],
                        char *sparse);
/* The sparse form only (for comparing two copies). */
void content_hash_final_sparse(struct content_hash *h, char out[DIGEST_TEXT]);
void content_hash_free(struct content_hash *h);

bool block_is_zero(const unsigned char *p, size_t n);

/* The hash of an open regular file in the form of WANT ("sparse:..." or
 * plain), holes skipped with SEEK_DATA; a plain form fed its zeros. stop,
 * when set, is polled: -1 with errno EINTR once it is. 0, or -1 with errno. */
int digest_file(int fd, const char *want, volatile const int *stop, char out[DIGEST_TEXT]);

/* Finish a plain sha256 context into 64 hex digits and a NUL. */
void digest_hex(EVP_MD_CTX *ctx, char out[65]);

#endif

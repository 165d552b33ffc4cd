/* digest.h - sha256 as the manifest writes it: holes hashed as the zeros
 * they read as, without reading them */
#ifndef EXTRACT_DIGEST_H
#define EXTRACT_DIGEST_H

#include <openssl/evp.h>
#include <stdint.h>

/* Feed COUNT zero bytes. */
void digest_zeros(EVP_MD_CTX *ctx, int64_t count);
/* Finish CTX into 64 hex digits and a NUL. */
void digest_hex(EVP_MD_CTX *ctx, char out[65]);
/* The sha256 of an open regular file, its holes skipped with SEEK_DATA
 * (a 10 GiB file of holes is not read). 0, or -1 with errno. */
int digest_file(int fd, char out[65]);

#endif

/* digest.c - content hashes over data and holes */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "digest.h"
#include "fileio.h"

/* Zeros hashed beyond the data: a plain hash costs at most this much more
 * than reading the data. */
#define ZERO_ALLOWANCE (1 << 20)

bool block_is_zero(const unsigned char *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

void digest_hex(EVP_MD_CTX *ctx, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int content_hash_init(struct content_hash *h)
{
	memset(h, 0, sizeof(*h));
	h->last_block = -1;
	h->plain = EVP_MD_CTX_new();
	h->blocks = EVP_MD_CTX_new();
	if (!h->plain || !h->blocks || !EVP_DigestInit_ex(h->plain, EVP_sha256(), NULL) ||
	    !EVP_DigestInit_ex(h->blocks, EVP_sha256(), NULL)) {
		content_hash_free(h);
		return -1;
	}
	return 0;
}

void content_hash_free(struct content_hash *h)
{
	EVP_MD_CTX_free(h->plain);
	EVP_MD_CTX_free(h->blocks);
	h->plain = h->blocks = NULL;
}

/* Feed the plain hash up to byte AT with zeros, while that stays cheap. */
static void plain_zeros_to(struct content_hash *h, int64_t at)
{
	static const unsigned char zeros[65536];
	int64_t n = at - h->plain_pos;
	if (!h->plain || n <= 0)
		return;
	if (h->zeros + n > h->data + ZERO_ALLOWANCE) {
		EVP_MD_CTX_free(h->plain);
		h->plain = NULL;
		return;
	}
	h->zeros += n;
	h->plain_pos = at;
	while (n > 0) {
		size_t k = n < (int64_t)sizeof(zeros) ? (size_t)n : sizeof(zeros);
		EVP_DigestUpdate(h->plain, zeros, k);
		n -= (int64_t)k;
	}
}

void content_hash_block(struct content_hash *h, int64_t index, const unsigned char *buf,
                        size_t len)
{
	if (index <= h->last_block)
		return;
	h->last_block = index;
	if (block_is_zero(buf, len))
		return; /* zeros: the plain hash gets them with the next gap */
	unsigned char be[8];
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)((uint64_t)index >> (56 - 8 * i));
	EVP_DigestUpdate(h->blocks, be, sizeof(be));
	EVP_DigestUpdate(h->blocks, buf, len);
	h->data += (int64_t)len;
	plain_zeros_to(h, index * DIGEST_BLOCK);
	if (h->plain) {
		EVP_DigestUpdate(h->plain, buf, len);
		h->plain_pos = index * DIGEST_BLOCK + (int64_t)len;
	}
}

void content_hash_final_sparse(struct content_hash *h, char out[DIGEST_TEXT])
{
	memcpy(out, "sparse:", 7);
	digest_hex(h->blocks, out + 7);
	content_hash_free(h);
}

void content_hash_final(struct content_hash *h, int64_t size, char out[DIGEST_TEXT],
                        char *sparse)
{
	plain_zeros_to(h, size);
	char text[DIGEST_TEXT];
	bool plain = h->plain != NULL;
	if (plain)
		digest_hex(h->plain, out);
	content_hash_final_sparse(h, text);
	if (!plain)
		memcpy(out, text, sizeof(text));
	if (sparse)
		memcpy(sparse, text, sizeof(text));
}

/* The whole blocks covering bytes FROM..TO (clipped to SIZE) into h. */
static int hash_range(struct content_hash *h, int fd, int64_t from, int64_t to, int64_t size,
                      volatile const int *stop)
{
	static unsigned char buf[DIGEST_BLOCK * 64];
	int64_t at = from / DIGEST_BLOCK * DIGEST_BLOCK;
	int64_t end = (to + DIGEST_BLOCK - 1) / DIGEST_BLOCK * DIGEST_BLOCK;
	if (end > size)
		end = size;
	while (at < end) {
		if (stop && *stop) {
			errno = EINTR;
			return -1;
		}
		size_t want = end - at < (int64_t)sizeof(buf) ? (size_t)(end - at) : sizeof(buf);
		ssize_t n = pread_full(fd, buf, want, at);
		if (n < 0)
			return -1;
		for (ssize_t k = 0; k < n; k += DIGEST_BLOCK) {
			size_t len = n - k < DIGEST_BLOCK ? (size_t)(n - k) : DIGEST_BLOCK;
			content_hash_block(h, (at + k) / DIGEST_BLOCK, buf + k, len);
		}
		if ((size_t)n < want)
			return 0; /* shorter than its size: hashed as it is */
		at += n;
	}
	return 0;
}

int digest_file(int fd, const char *want, volatile const int *stop, char out[DIGEST_TEXT])
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	struct content_hash h;
	if (content_hash_init(&h) < 0) {
		errno = ENOMEM;
		return -1;
	}
	bool sparse = want && strncmp(want, "sparse:", 7) == 0;
	int64_t size = st.st_size;
	int rc = 0;
	for (int64_t at = 0; at < size && rc == 0;) {
		off_t data = lseek(fd, at, SEEK_DATA);
		if (data < 0 && errno == ENXIO) /* nothing but a hole to the end */
			break;
		if (data < 0) /* no SEEK_DATA here: read it all */
			data = at;
		off_t hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0 || hole > size)
			hole = size;
		rc = hash_range(&h, fd, data, hole, size, stop);
		if (rc == 0 && !sparse && !h.plain)
			break; /* a plain hash can no longer be had: it differs */
		at = hole;
	}
	if (sparse)
		content_hash_final_sparse(&h, out);
	else if (rc == 0 && (plain_zeros_to(&h, size), h.plain))
		content_hash_final(&h, size, out, NULL);
	else {
		snprintf(out, DIGEST_TEXT, "(too sparse to hash plainly)");
		content_hash_free(&h);
	}
	return rc;
}

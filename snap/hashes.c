/* hashes.c - OpenSSL EVP digests, several in one pass */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "conoha.h"
#include "hashes.h"

int hashes_add(struct hashes *h, const char *name, const char *expected)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->d[i].name, name) == 0) {
			if (expected)
				h->d[i].expected = expected;
			return 0;
		}
	const EVP_MD *md = EVP_get_digestbyname(name);
	if (!md || h->n == MAX_DIGESTS)
		return -1;
	struct digest *d = &h->d[h->n];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(d->ctx);
		return -1;
	}
	d->expected = expected;
	h->n++;
	return 0;
}

int hashes_reset(struct hashes *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (EVP_DigestInit_ex(h->d[i].ctx, EVP_MD_CTX_get0_md(h->d[i].ctx), NULL) != 1)
			return -1;
	return 0;
}

void hashes_update(struct hashes *h, const void *data, size_t len)
{
	for (size_t i = 0; i < h->n; i++)
		EVP_DigestUpdate(h->d[i].ctx, data, len);
}

void hashes_final(struct hashes *h)
{
	for (size_t i = 0; i < h->n; i++) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int len = 0;
		EVP_DigestFinal_ex(h->d[i].ctx, md, &len);
		for (unsigned int k = 0; k < len; k++)
			snprintf(h->d[i].hex + 2 * k, 3, "%02x", md[k]);
	}
}

const struct digest *hashes_get(const struct hashes *h, const char *name)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcasecmp(h->d[i].name, name) == 0)
			return &h->d[i];
	return NULL;
}

const struct digest *hashes_mismatch(const struct hashes *h)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->d[i].expected && strcasecmp(h->d[i].expected, h->d[i].hex) != 0)
			return &h->d[i];
	return NULL;
}

void hashes_free(struct hashes *h)
{
	for (size_t i = 0; i < h->n; i++)
		EVP_MD_CTX_free(h->d[i].ctx);
	h->n = 0;
}

long long hashes_file(struct hashes *h, int fd, long long limit)
{
	enum { CHUNK = 1 << 20 };
	char *buf = malloc(CHUNK);
	if (!buf)
		return -1;
	long long total = 0;
	if (lseek(fd, 0, SEEK_SET) < 0)
		total = -1;
	while (total >= 0 && (limit < 0 || total < limit)) {
		size_t want = CHUNK;
		if (limit >= 0 && (long long)want > limit - total)
			want = (size_t)(limit - total);
		ssize_t n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			total = -1;
			break;
		}
		if (n == 0)
			break;
		hashes_update(h, buf, (size_t)n);
		total += n;
	}
	int saved = errno;
	free(buf);
	errno = saved;
	return total;
}

int hashes_expect_image(struct hashes *h, const struct conoha_image *img, bool all,
                        const char **why)
{
	bool multihash = img->hash_algo && img->hash_value;
	if (!multihash && !img->checksum) {
		*why = "carries no checksum";
		return -1;
	}
	if (multihash && hashes_add(h, img->hash_algo, img->hash_value) < 0) {
		*why = "uses a hash algorithm OpenSSL does not know";
		return -1;
	}
	if ((!multihash || all) && img->checksum && hashes_add(h, "md5", img->checksum) < 0) {
		*why = "cannot compute md5";
		return -1;
	}
	return 0;
}

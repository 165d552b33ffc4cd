/* digest.c - sha256 over data and holes */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "digest.h"

void digest_zeros(EVP_MD_CTX *ctx, int64_t count)
{
	static const unsigned char zeros[65536];
	while (count > 0) {
		size_t n = count < (int64_t)sizeof(zeros) ? (size_t)count : sizeof(zeros);
		EVP_DigestUpdate(ctx, zeros, n);
		count -= (int64_t)n;
	}
}

void digest_hex(EVP_MD_CTX *ctx, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	EVP_DigestFinal_ex(ctx, md, &len);
	for (unsigned i = 0; i < len && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int digest_range(EVP_MD_CTX *ctx, int fd, off_t from, off_t to)
{
	char buf[65536];
	while (from < to) {
		size_t want = to - from < (off_t)sizeof(buf) ? (size_t)(to - from) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0; /* shorter than said: hashed as it is */
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		from += n;
	}
	return 0;
}

int digest_file(int fd, char out[65])
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx) {
		errno = ENOMEM;
		return -1;
	}
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	int rc = 0;
	for (off_t at = 0; at < st.st_size && rc == 0;) {
		off_t data = lseek(fd, at, SEEK_DATA);
		if (data < 0 && errno == ENXIO) /* nothing but a hole to the end */
			data = st.st_size;
		else if (data < 0) /* no SEEK_DATA here: read it all */
			data = at;
		digest_zeros(ctx, data - at);
		off_t hole = data < st.st_size ? lseek(fd, data, SEEK_HOLE) : st.st_size;
		if (hole < 0 || hole > st.st_size)
			hole = st.st_size;
		rc = digest_range(ctx, fd, data, hole);
		at = hole;
	}
	digest_hex(ctx, out);
	EVP_MD_CTX_free(ctx);
	return rc;
}

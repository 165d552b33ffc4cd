/* image.c - qcow2 header checks done by lifeboat itself: qemu (and every
 * libguestfs tool) reads a qcow2's backing file on the host before any
 * guest code runs, so an image naming /etc/shadow would show it */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exit.h"
#include "image.h"

#define QCOW2_HEADER_V2 72
#define QCOW2_HEADER_V3 104

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int refuse(char *why, size_t size, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(char *why, size_t size, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return rc;
}

static int truncated(char *why, size_t size, uint64_t file_size)
{
	return refuse(why, size, XT_BAD_IMAGE,
	              "truncated qcow2: it names data past the end of the file (%llu bytes); "
	              "was the download complete?", (unsigned long long)file_size);
}

/* Every table the header points at must lie inside the file: a truncated
 * download fails here, with a message, not in the appliance. */
static int check_qcow2_layout(const unsigned char *h, uint64_t file_size, char *why,
                              size_t size)
{
	uint32_t cluster_bits = be32(h + 20);
	uint64_t l1_offset = be64(h + 40);
	uint32_t l1_size = be32(h + 36);
	uint64_t refcount_offset = be64(h + 48);
	uint32_t refcount_clusters = be32(h + 56);
	if (cluster_bits < 9 || cluster_bits > 21)
		return refuse(why, size, XT_BAD_IMAGE, "corrupt qcow2 header: cluster_bits %u",
		              cluster_bits);
	uint64_t cluster = 1ULL << cluster_bits;
	if (l1_offset % cluster || refcount_offset % cluster)
		return refuse(why, size, XT_BAD_IMAGE, "corrupt qcow2 header: unaligned tables");
	if (l1_offset + (uint64_t)l1_size * 8 > file_size ||
	    refcount_offset + (uint64_t)refcount_clusters * cluster > file_size)
		return truncated(why, size, file_size);
	return XT_OK;
}

/* Walk the L1 and L2 tables (metadata only: a few KiB per GiB of disk)
 * and check that every cluster they name lies inside the file. */
static int check_qcow2_clusters(int fd, const unsigned char *h, uint64_t file_size,
                                char *why, size_t size)
{
	uint32_t cluster_bits = be32(h + 20);
	uint64_t cluster = 1ULL << cluster_bits;
	uint64_t l1_offset = be64(h + 40);
	uint32_t l1_size = be32(h + 36);
	const uint64_t mask = 0x00fffffffffffe00ULL;
	unsigned char *l2 = malloc(cluster);
	unsigned char entry[8];
	int rc = l2 ? XT_OK : XT_FAIL;
	for (uint32_t i = 0; rc == XT_OK && i < l1_size; i++) {
		if (pread(fd, entry, 8, (off_t)(l1_offset + 8ULL * i)) != 8) {
			rc = truncated(why, size, file_size);
			break;
		}
		uint64_t l2_offset = be64(entry) & mask;
		if (!l2_offset)
			continue;
		if (l2_offset + cluster > file_size ||
		    pread(fd, l2, cluster, (off_t)l2_offset) != (ssize_t)cluster) {
			rc = truncated(why, size, file_size);
			break;
		}
		for (uint64_t k = 0; k < cluster / 8; k++) {
			uint64_t e = be64(l2 + 8 * k);
			if (e & (1ULL << 62))
				continue; /* compressed: its offset has another shape */
			uint64_t data = e & mask;
			if (data && data + cluster > file_size) {
				rc = truncated(why, size, file_size);
				break;
			}
		}
	}
	free(l2);
	return rc;
}

/* A backing file is only allowed beside the image, by its real path. */
static int check_backing(const char *image, struct image_info *info, bool allow,
                         char *why, size_t size)
{
	if (!allow)
		return refuse(why, size, XT_UNSAFE,
		              "the image has a backing file '%s': opening it would read that "
		              "file on this host; refused (see --allow-backing)", info->backing);
	char *copy = strdup(image);
	char dir[PATH_MAX], target[PATH_MAX * 2];
	if (!copy || !realpath(dirname(copy), dir)) {
		free(copy);
		return refuse(why, size, XT_BAD_IMAGE, "cannot resolve the image's directory");
	}
	free(copy);
	if (info->backing[0] == '/')
		snprintf(target, sizeof(target), "%s", info->backing);
	else
		snprintf(target, sizeof(target), "%s/%s", dir, info->backing);
	char *real = realpath(target, NULL);
	size_t dl = strlen(dir);
	bool inside = real && strncmp(real, dir, dl) == 0 && real[dl] == '/';
	if (inside)
		snprintf(info->backing_resolved, sizeof(info->backing_resolved), "%s", real);
	free(real);
	if (!inside)
		return refuse(why, size, XT_UNSAFE,
		              "backing file '%s' does not resolve inside the image's directory "
		              "'%s': refused even with --allow-backing", info->backing, dir);
	return XT_OK;
}

static int probe_qcow2(const char *path, int fd, uint64_t file_size, bool allow_backing,
                       struct image_info *info, char *why, size_t size)
{
	unsigned char h[QCOW2_HEADER_V3];
	ssize_t n = pread(fd, h, sizeof(h), 0);
	if (n < QCOW2_HEADER_V2)
		return refuse(why, size, XT_BAD_IMAGE, "truncated qcow2 header");
	info->qcow2_version = be32(h + 4);
	if (info->qcow2_version != 2 && info->qcow2_version != 3)
		return refuse(why, size, XT_BAD_IMAGE, "unsupported qcow2 version %u",
		              info->qcow2_version);
	if (info->qcow2_version == 3 && n < QCOW2_HEADER_V3)
		return refuse(why, size, XT_BAD_IMAGE, "truncated qcow2 v3 header");
	info->virtual_size = be64(h + 24);
	uint64_t boff = be64(h + 8);
	uint32_t blen = be32(h + 16);
	if (boff != 0) {
		if (blen == 0 || blen >= sizeof(info->backing) || boff + blen > file_size)
			return refuse(why, size, XT_BAD_IMAGE, "corrupt qcow2 backing file name");
		if (pread(fd, info->backing, blen, (off_t)boff) != (ssize_t)blen)
			return refuse(why, size, XT_BAD_IMAGE, "cannot read the backing file name");
		info->backing[blen] = '\0';
		int rc = check_backing(path, info, allow_backing, why, size);
		if (rc)
			return rc;
	}
	int rc = check_qcow2_layout(h, file_size, why, size);
	return rc ? rc : check_qcow2_clusters(fd, h, file_size, why, size);
}

int image_probe(const char *path, const char *format, bool allow_backing,
                struct image_info *info, char *why, size_t size)
{
	memset(info, 0, sizeof(*info));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refuse(why, size, XT_BAD_IMAGE, "cannot open '%s': %s", path, strerror(errno));
	struct stat st;
	unsigned char magic[4] = { 0 };
	int rc = XT_OK;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		rc = refuse(why, size, XT_BAD_IMAGE, "'%s' is not a regular file", path);
	else if (pread(fd, magic, sizeof(magic), 0) < 0)
		rc = refuse(why, size, XT_BAD_IMAGE, "cannot read '%s': %s", path, strerror(errno));
	bool is_qcow2 = memcmp(magic, "QFI\xfb", 4) == 0;
	if (rc == XT_OK && format && strcmp(format, "raw") != 0 && strcmp(format, "qcow2") != 0)
		rc = refuse(why, size, XT_USAGE, "--format: '%s' is not raw or qcow2", format);
	if (rc == XT_OK && format && strcmp(format, "raw") == 0 && is_qcow2)
		fprintf(stderr, "lifeboat-extract: warning: '%s' has a qcow2 header but is "
		        "opened as raw (--format raw)\n", path);
	if (rc == XT_OK && format && strcmp(format, "qcow2") == 0 && !is_qcow2)
		rc = refuse(why, size, XT_BAD_IMAGE, "'%s' has no qcow2 header", path);
	bool as_qcow2 = is_qcow2 && !(format && strcmp(format, "raw") == 0);
	snprintf(info->format, sizeof(info->format), "%s", as_qcow2 ? "qcow2" : "raw");
	if (rc == XT_OK && as_qcow2)
		rc = probe_qcow2(path, fd, (uint64_t)st.st_size, allow_backing, info, why, size);
	else if (rc == XT_OK)
		info->virtual_size = (uint64_t)st.st_size;
	close(fd);
	return rc;
}

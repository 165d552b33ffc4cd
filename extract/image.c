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
#include "qcow2.h"


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
static int check_qcow2_layout(const struct qcow2_header *h, uint64_t file_size, char *why,
                              size_t size)
{
	if (h->cluster_bits < 9 || h->cluster_bits > 21)
		return refuse(why, size, XT_BAD_IMAGE, "corrupt qcow2 header: cluster_bits %u",
		              h->cluster_bits);
	uint64_t cluster = 1ULL << h->cluster_bits;
	if (h->l1_offset % cluster || h->refcount_offset % cluster)
		return refuse(why, size, XT_BAD_IMAGE, "corrupt qcow2 header: unaligned tables");
	if (h->l1_offset + (uint64_t)h->l1_size * 8 > file_size ||
	    h->refcount_offset + (uint64_t)h->refcount_clusters * cluster > file_size)
		return truncated(why, size, file_size);
	return XT_OK;
}

/* Walk the L1 and L2 tables (metadata only: a few KiB per GiB of disk)
 * and check that every cluster they name lies inside the file. */
static int check_qcow2_clusters(int fd, const struct qcow2_header *h, uint64_t file_size,
                                char *why, size_t size)
{
	uint64_t cluster = 1ULL << h->cluster_bits;
	const uint64_t mask = 0x00fffffffffffe00ULL;
	unsigned char *l2 = malloc(cluster);
	unsigned char entry[8];
	int rc = l2 ? XT_OK : XT_FAIL;
	for (uint32_t i = 0; rc == XT_OK && i < h->l1_size; i++) {
		if (pread(fd, entry, 8, (off_t)(h->l1_offset + 8ULL * i)) != 8) {
			rc = truncated(why, size, file_size);
			break;
		}
		uint64_t l2_offset = qcow2_be64(entry) & mask;
		if (!l2_offset)
			continue;
		if (l2_offset + cluster > file_size ||
		    pread(fd, l2, cluster, (off_t)l2_offset) != (ssize_t)cluster) {
			rc = truncated(why, size, file_size);
			break;
		}
		for (uint64_t k = 0; k < cluster / 8; k++) {
			uint64_t e = qcow2_be64(l2 + 8 * k);
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
	struct qcow2_header h;
	if (qcow2_read_header(fd, &h) != 1)
		return refuse(why, size, XT_BAD_IMAGE, "truncated qcow2 header");
	info->qcow2_version = h.version;
	if (h.version != 2 && h.version != 3)
		return refuse(why, size, XT_BAD_IMAGE, "unsupported qcow2 version %u", h.version);
	info->virtual_size = h.virtual_size;
	if (h.backing_offset != 0) {
		if (h.backing_size == 0 || h.backing_size >= sizeof(info->backing) ||
		    h.backing_offset + h.backing_size > file_size ||
		    qcow2_read_backing(fd, &h, info->backing, sizeof(info->backing)) < 0)
			return refuse(why, size, XT_BAD_IMAGE, "corrupt qcow2 backing file name");
		int rc = check_backing(path, info, allow_backing, why, size);
		if (rc)
			return rc;
	}
	int rc = check_qcow2_layout(&h, file_size, why, size);
	return rc ? rc : check_qcow2_clusters(fd, &h, file_size, why, size);
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

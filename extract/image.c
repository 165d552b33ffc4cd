/* image.c - the image policy, asked by lifeboat-extract: the format from
 * --format, else from the cloud's sidecar, else from the header */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exit.h"
#include "image.h"

/* A block device, held open with O_EXCL from its probe to the end of the
 * run: while we read it nothing can mount it, nor claim it exclusively
 * (the readers' own opens, and qemu's, are not exclusive and still work).
 * One device a run; probing it again keeps the same hold. */
static struct {
	int fd;
	dev_t rdev;
} held = { -1, 0 };

static int hold_device(const char *path, char *why, size_t size)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return 0;
	if (held.fd >= 0 && held.rdev == st.st_rdev)
		return 0;
	int fd = open(path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == EBUSY)
			snprintf(why, size, "the block device is in use (mounted, or claimed by another "
			         "program): unmount it first");
		else
			snprintf(why, size, "cannot open the block device: %s", strerror(errno));
		return -1;
	}
	if (held.fd >= 0)
		close(held.fd);
	held.fd = fd;
	held.rdev = st.st_rdev;
	return 0;
}

static int exit_for(enum image_verdict v, bool from_user)
{
	switch (v) {
	case IMAGE_OK: return XT_OK;
	case IMAGE_UNSAFE:
	case IMAGE_UNSUPPORTED: return XT_UNSAFE;
	case IMAGE_MISMATCH: return from_user ? XT_BAD_IMAGE : XT_UNSAFE;
	case IMAGE_BAD_REQUEST: return from_user ? XT_USAGE : XT_UNSAFE;
	case IMAGE_CORRUPT:
	case IMAGE_IO: return XT_BAD_IMAGE;
	}
	return XT_FAIL;
}

static int probe(const char *path, const char *format, bool allow_backing,
                 struct image_info *info, char *why, size_t size, bool warn)
{
	memset(info, 0, sizeof(*info));
	char cloud[64] = "", err[512] = "";
	int sc = image_sidecar_format(path, cloud, sizeof(cloud), err, sizeof(err));
	if (sc < 0 && !format) {
		snprintf(why, size, "%s (give --format to open it anyway)", err);
		return XT_BAD_IMAGE;
	}
	const char *expected = format;
	info->source = "--format";
	if (!format && sc == 1) {
		expected = cloud;
		info->source = "the cloud (its .json sidecar)";
	} else if (!format) {
		info->source = "the header";
	} else if (warn && sc == 1 && strcmp(cloud, format) != 0) {
		fprintf(stderr, "lifeboat-extract: warning: '%s': --format %s overrides the "
		        "cloud's disk_format '%s'\n", path, format, cloud);
	}
	if (hold_device(path, why, size) < 0)
		return XT_BAD_IMAGE;
	struct image_request req = { .path = path, .expected_format = expected,
	                             .allow_backing = allow_backing, .min_size = IMAGE_MIN_DISK };
	enum image_verdict v = image_decide(&req, &info->d);
	if (v != IMAGE_OK) {
		if (v == IMAGE_MISMATCH || (v == IMAGE_BAD_REQUEST && expected == cloud))
			snprintf(why, size, "%s; the format came from %s", info->d.why, info->source);
		else
			snprintf(why, size, "%s", info->d.why);
		return exit_for(v, expected == format);
	}
	snprintf(info->format, sizeof(info->format), "%s", info->d.format);
	if (info->d.block_device && !format && sc != 1)
		info->source = "a block device (always raw)";
	if (!warn)
		return XT_OK;
	if (strcmp(info->format, "raw") == 0 && info->d.header_looks_qcow2)
		fprintf(stderr, "lifeboat-extract: '%s' begins with a qcow2 header, but %s says "
		        "raw: opened as raw, the header being the guest's own bytes\n", path,
		        info->source);
	if (info->d.marked_corrupt)
		fprintf(stderr, "lifeboat-extract: warning: '%s' is marked corrupt by qemu; "
		        "reading it anyway, read-only\n", path);
	return XT_OK;
}

int image_probe(const char *path, const char *format, bool allow_backing,
                struct image_info *info, char *why, size_t size)
{
	return probe(path, format, allow_backing, info, why, size, true);
}

int image_precheck(const char *path, const char *format, bool allow_backing, char *why,
                   size_t size)
{
	struct image_info info;
	int rc = probe(path, format, allow_backing, &info, why, size, false);
	image_info_free(&info);
	return rc;
}

void image_info_free(struct image_info *info)
{
	image_decision_free(&info->d);
}

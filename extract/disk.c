/* disk.c - raw images by pread, qcow2 through qemu-nbd and libnbd */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libnbd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "disk.h"

/* qemu-nbd answers requests of up to 32 MiB */
#define NBD_CHUNK (4u << 20)

struct disk {
	int fd;                    /* raw: the image, O_RDONLY */
	struct nbd_handle *nbd;    /* qcow2: qemu-nbd's export */
	uint64_t size;
};

char *disk_qemu_spec(const char *abs_path)
{
	json_t *spec = json_pack("{s:s, s:{s:s, s:s}, s:n}", "driver", "qcow2", "file", "driver",
	                         "file", "filename", abs_path, "backing");
	char *text = spec ? json_dumps(spec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(spec);
	if (!text)
		return NULL;
	size_t n = strlen(text) + sizeof("json:");
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "json:%s", text);
	free(text);
	return out;
}

static struct disk *open_raw(struct disk *d, const char *path, char *why, size_t size)
{
	struct stat st;
	d->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (d->fd < 0 || fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, size, "cannot open '%s': %s", path,
		         d->fd < 0 ? strerror(errno) : "not a regular file");
		disk_close(d);
		return NULL;
	}
	d->size = (uint64_t)st.st_size;
	return d;
}

static struct disk *open_qcow2(struct disk *d, const char *path, char *why, size_t size)
{
	char *abs = realpath(path, NULL);
	char *spec = abs ? disk_qemu_spec(abs) : NULL;
	free(abs);
	d->nbd = nbd_create();
	if (!spec || !d->nbd) {
		snprintf(why, size, "cannot prepare qemu-nbd for '%s': %s", path,
		         spec ? nbd_get_error() : strerror(errno));
		free(spec);
		disk_close(d);
		return NULL;
	}
	/* --read-only: qemu-nbd opens the file O_RDONLY and refuses writes;
	 * the spec pins the format and names no backing file. */
	char *argv[] = { (char *)"qemu-nbd", (char *)"--read-only", (char *)"--shared=1",
	                 spec, NULL };
	int64_t n = -1;
	if (nbd_connect_systemd_socket_activation(d->nbd, argv) == -1 ||
	    (n = nbd_get_size(d->nbd)) < 0) {
		snprintf(why, size, "qemu-nbd cannot serve '%s': %s", path, nbd_get_error());
		free(spec);
		disk_close(d);
		return NULL;
	}
	free(spec);
	d->size = (uint64_t)n;
	return d;
}

struct disk *disk_open(const char *path, const char *format, char *why, size_t size)
{
	struct disk *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	d->fd = -1;
	if (strcmp(format, "qcow2") == 0)
		return open_qcow2(d, path, why, size);
	if (strcmp(format, "raw") == 0)
		return open_raw(d, path, why, size);
	snprintf(why, size, "unknown image format '%s'", format);
	free(d);
	return NULL;
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

int disk_pread(struct disk *d, void *buf, size_t len, uint64_t off, char *why, size_t size)
{
	if (off > d->size || len > d->size - off) {
		snprintf(why, size, "read of %zu bytes at %llu lies past the disk's end (%llu)", len,
		         (unsigned long long)off, (unsigned long long)d->size);
		return -1;
	}
	unsigned char *p = buf;
	while (len > 0) {
		size_t n = len < NBD_CHUNK ? len : NBD_CHUNK;
		if (d->nbd) {
			if (nbd_pread(d->nbd, p, n, off, 0) == -1) {
				snprintf(why, size, "reading the image: %s", nbd_get_error());
				return -1;
			}
		} else {
			ssize_t k = pread(d->fd, p, n, (off_t)off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				snprintf(why, size, "reading the image: %s",
				         k < 0 ? strerror(errno) : "unexpected end of file");
				return -1;
			}
			n = (size_t)k;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	if (d->nbd) {
		nbd_shutdown(d->nbd, 0);
		nbd_close(d->nbd); /* stops and reaps the qemu-nbd it started */
	}
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

/* disk.h - the bytes of a disk image, read-only: a raw image with pread on
 * its own fd, a qcow2 through qemu-nbd --read-only, started by
 * socket activation we do ourselves: the socket is unlinked before qemu-nbd
 * starts, so nothing is left in the filesystem, and qemu-nbd dies with its
 * parent (no /dev/nbd, no root) */
#ifndef EXTRACT_DISK_H
#define EXTRACT_DISK_H

#include <stddef.h>
#include <stdint.h>

struct disk;

/* Open PATH, already accepted by the image policy, as FORMAT ("raw" or
 * "qcow2"). The qcow2 is given to qemu-nbd as a JSON spec with the format
 * pinned and no backing file, so qemu opens nothing but PATH. NULL with
 * why filled on failure. Caller frees with disk_close. */
struct disk *disk_open(const char *path, const char *format, char *why, size_t size);
uint64_t disk_size(const struct disk *d);
/* LEN bytes at OFF into BUF; every byte must lie inside the disk.
 * 0, or -1 with why. */
int disk_pread(struct disk *d, void *buf, size_t len, uint64_t off, char *why, size_t size);
void disk_close(struct disk *d);
/* The JSON spec given to qemu-nbd for PATH (absolute). Caller frees. */
char *disk_qemu_spec(const char *abs_path);

#endif

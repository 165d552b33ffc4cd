/* image.h - what a disk image file is, decided by reading its header
 * ourselves, before anything else (qemu included) opens it */
#ifndef EXTRACT_IMAGE_H
#define EXTRACT_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

struct image_info {
	char format[8];          /* "qcow2" or "raw" */
	uint32_t qcow2_version;
	uint64_t virtual_size;
	char backing[1024];      /* the backing file named in the header, "" if none */
	char backing_resolved[4096]; /* with allow_backing: its real path */
};

/* Inspect path: qcow2 magic, else raw (unless format forces one). A qcow2
 * header is checked for truncation and impossible offsets; a backing file
 * is refused unless allow_backing, and even then only one that resolves
 * inside the image's directory. Returns an exit code (XT_OK when the image
 * may be opened) and fills why with the reason otherwise. */
int image_probe(const char *path, const char *format, bool allow_backing,
                struct image_info *info, char *why, size_t why_size);

#endif

/* image.h - lifeboat-extract's side of the image policy (common/
 * image_policy.h): where the format comes from, and the exit code for a
 * refusal */
#ifndef EXTRACT_IMAGE_H
#define EXTRACT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include "image_policy.h"

struct image_info {
	struct image_decision d;   /* owned: image_info_free() */
	char format[8];            /* d.format, for short */
	const char *source;        /* static: "--format", "the cloud (FILE.json)",
	                              "the header" */
};

/* Decide about PATH: FORMAT (--format) when given, else the disk_format
 * of the sidecar PATH.json when there is one, else the header. A sidecar
 * that --format contradicts is reported on stderr; a raw image whose first
 * bytes look like qcow2 is opened as raw, and said so. Returns an exit
 * code (XT_OK when the image may be opened) with why filled otherwise;
 * info is filled either way and must be released with image_info_free. */
int image_probe(const char *path, const char *format, bool allow_backing,
                struct image_info *info, char *why, size_t why_size);
void image_info_free(struct image_info *info);
/* The same decision, silent (its warnings are for the probe a reader
 * makes), for a command to refuse an image before it makes anything:
 * XT_OK, or the exit code with why filled. */
int image_precheck(const char *path, const char *format, bool allow_backing, char *why,
                   size_t why_size);

#endif

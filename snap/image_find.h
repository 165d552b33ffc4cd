/* image_find.h - IMAGE on the command line: an id, or a unique name */
#ifndef SNAP_IMAGE_FIND_H
#define SNAP_IMAGE_FIND_H

#include "cli.h"

/* The image arg names: by id first; when Glance has no such id, the one
 * image of that name. Exit code: EXIT_NOT_FOUND (no id, no name),
 * EXIT_AMBIGUOUS (several of that name, listed), or the library's; the
 * reason is reported. Caller frees out with conoha_image_clear(). */
int image_find(conoha_client *c, const char *arg, struct conoha_image *out);

#endif

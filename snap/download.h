/* download.h - an image to a verified local file */
#ifndef SNAP_DOWNLOAD_H
#define SNAP_DOWNLOAD_H

#include <stdbool.h>
#include "cli.h"

/* Download img (active) to file, verified; exit code, messages printed.
 * With print_result, the file's name (or its record with --json) goes to
 * stdout. */
int download_image(struct cli *cli, conoha_client *c, const struct conoha_image *img,
                   const char *file, bool print_result);

#endif

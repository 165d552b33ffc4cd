/* inv_report.h - an inventory as JSON (schema 1, documented in
 * lifeboat-extract(1)) or as a ranked table for people */
#ifndef EXTRACT_INV_REPORT_H
#define EXTRACT_INV_REPORT_H

#include <jansson.h>
#include <stdio.h>
#include "inventory.h"

#define INV_SCHEMA 1

/* The commands that copy every unprotected root (and /etc when its
 * drift is unprotected) out of IMAGE: one, unless two roots share a
 * name, which one DEST cannot hold. *OUT is NULL-terminated; caller frees
 * each and the array. Returns how many, or -1 when out of memory. */
long inv_rescue_commands(const struct inv_result *r, const char *image, char ***out);
/* The document; NULL when out of memory. Caller frees with json_decref. */
json_t *inv_report_json(const struct inv_result *r, const char *image);
/* The table, the drift, the warnings and the rescue command. */
int inv_report_text(FILE *out, const struct inv_result *r, const char *image);

#endif

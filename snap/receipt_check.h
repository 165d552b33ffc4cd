/* receipt_check.h - the types of a retire receipt's fields, checked
 * before report reads them and before retire attaches an inventory */
#ifndef SNAP_RECEIPT_CHECK_H
#define SNAP_RECEIPT_CHECK_H

#include <stddef.h>
#include <jansson.h>

/* Has every field report reads the type retire writes (null where retire
 * may write null; a field absent is not known)? 0, or -1 with why set to
 * the first that has not, by its path: "runs[0].uid is a string, not an
 * integer" (control characters of the file's keys shown as \xNN). */
int receipt_check(const json_t *receipt, char *why, size_t size);

/* The same for the document of 'lifeboat-extract inventory --json', as
 * report reads it (os, package_manager, packages, entries, hidden,
 * unprotected, warnings). */
int receipt_check_inventory(const json_t *result, char *why, size_t size);

#endif

/* json_doc.h - lifeboat-extract's --json documents (man/lifeboat-json.7) */
#ifndef EXTRACT_JSON_DOC_H
#define EXTRACT_JSON_DOC_H

#include <jansson.h>

/* Print {"schema": 1, "command": command, ...doc's members} on stdout,
 * indented, with a final newline; steals doc. Returns 0, or -1 when doc
 * is NULL or stdout failed. */
int print_json_doc(const char *command, json_t *doc);

#endif

/* safe_text.h - text from the cloud or a file, made fit for a terminal:
 * control characters (C0, DEL, C1) shown as \xNN, so that a server name
 * or a receipt can neither move the cursor, retitle the window nor fake
 * a line of output */
#ifndef SNAP_SAFE_TEXT_H
#define SNAP_SAFE_TEXT_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

/* Write S to OUT, control characters escaped; newlines are kept when
 * KEEP_NEWLINES (text of several lines), escaped otherwise. */
void fput_safe(const char *s, FILE *out, bool keep_newlines);
/* S escaped as fput_safe does without newlines, in a new string; NULL
 * when out of memory. */
char *safe_text(const char *s);
/* Every string of J (values, not keys) escaped in place; keys are
 * escaped too, by rebuilding the objects that need it. */
void json_make_safe(json_t *j);

#endif

/* table.h - text tables whose columns line up on a terminal, whatever the
 * names in them: widths in display columns, not bytes */
#ifndef SNAP_TABLE_H
#define SNAP_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table_col {
	const char *header;
	size_t max;  /* widest in display columns; 0: as wide as the widest cell */
	int right;   /* aligned right (numbers) */
};

struct table;

/* A table of ncols columns (at most 16); NULL when out of memory. The
 * columns are borrowed until table_free. */
struct table *table_new(const struct table_col *cols, size_t ncols);
/* Add a row of ncols cells (NULL prints "-"); copied. Returns 0 or -1. */
int table_add(struct table *t, const char *const *cells);
/* Print the header and the rows, columns two spaces apart. A cell wider
 * than its column's max is cut and ends in an ellipsis; bytes that are not
 * text in UTF-8 (control characters, invalid sequences) print as '?'. */
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

/* The width of s in display columns, as table_print counts it. */
size_t table_text_width(const char *s);

/* s as table_print writes a cell of any width (control characters and
 * invalid bytes as '?'), into out, cut to size bytes. */
void table_text_plain(const char *s, char *out, size_t size);

#endif

/* table.c - text tables measured in display columns.
 *
 * Names come from the cloud in UTF-8 whatever the local locale says, so
 * they are measured as UTF-8: with the user's LC_CTYPE when it is UTF-8,
 * else with C.UTF-8 (glibc's own tables, East Asian wide characters
 * included). The program's global locale is left alone. */
#include <langinfo.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "table.h"

#define MAX_COLS 16

struct cell {
	char *text;   /* cleaned, perhaps cut */
	size_t width; /* its display columns */
};

struct table {
	const struct table_col *cols;
	size_t ncols;
	struct cell *cells; /* rows * ncols, the header first */
	size_t rows, cap;
};

/* The UTF-8 locale to measure with, or 0 when there is none. */
static locale_t utf8_locale(void)
{
	static locale_t loc;
	static int tried;
	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "", (locale_t)0);
		if (loc && strcmp(nl_langinfo_l(CODESET, loc), "UTF-8") != 0) {
			freelocale(loc);
			loc = (locale_t)0;
		}
		if (!loc)
			loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc;
}

/* Walk s character by character: append to out (when not NULL) those that
 * fit in limit columns, each control character or invalid byte as '?'.
 * out may be s itself: it never runs ahead of s. Returns the columns
 * walked; *all tells whether all of s fitted. */
static size_t walk(const char *s, size_t limit, char *out, int *all)
{
	locale_t loc = utf8_locale();
	locale_t old = loc ? uselocale(loc) : (locale_t)0;
	mbstate_t st;
	memset(&st, 0, sizeof(st));
	size_t width = 0, len = strlen(s), i = 0, o = 0;
	*all = 1;
	while (i < len) {
		wchar_t wc;
		size_t n;
		int w;
		if (loc) {
			n = mbrtowc(&wc, s + i, len - i, &st);
			if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
				memset(&st, 0, sizeof(st));
				n = 1;
				w = -1;
			} else {
				w = wcwidth(wc);
			}
		} else { /* no UTF-8 locale at all: a column per leading byte */
			unsigned char b = (unsigned char)s[i];
			n = 1;
			w = b < 0x20 || b == 0x7f ? -1 : (b & 0xC0) == 0x80 ? 0 : 1;
		}
		int bad = w < 0;
		if (bad)
			w = 1;
		if (width + (size_t)w > limit) {
			*all = 0;
			break;
		}
		if (out) {
			if (bad) {
				out[o++] = '?';
			} else {
				memmove(out + o, s + i, n);
				o += n;
			}
		}
		width += (size_t)w;
		i += n;
	}
	if (out)
		out[o] = '\0';
	if (loc)
		uselocale(old);
	return width;
}

size_t table_text_width(const char *s)
{
	int all;
	return walk(s, SIZE_MAX, NULL, &all);
}

void table_text_plain(const char *s, char *out, size_t size)
{
	int all;
	snprintf(out, size, "%s", s);
	walk(out, SIZE_MAX, out, &all);
}

static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026, one column */

static int make_cell(struct cell *c, const char *s, size_t max)
{
	s = s ? s : "-";
	c->text = malloc(strlen(s) + sizeof(ellipsis));
	if (!c->text)
		return -1;
	int all;
	c->width = walk(s, max ? max : SIZE_MAX, c->text, &all);
	if (!all) {
		/* cut one column short, for the ellipsis */
		c->width = walk(s, max - 1, c->text, &all);
		size_t used = strlen(c->text);
		memcpy(c->text + used, ellipsis, sizeof(ellipsis));
		c->width++;
	}
	return 0;
}

static int add_row(struct table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct cell *more = realloc(t->cells, cap * t->ncols * sizeof(*more));
		if (!more)
			return -1;
		t->cells = more;
		t->cap = cap;
	}
	struct cell *row = &t->cells[t->rows * t->ncols];
	for (size_t i = 0; i < t->ncols; i++) {
		if (make_cell(&row[i], cells[i], t->cols[i].max) < 0) {
			while (i--)
				free(row[i].text);
			return -1;
		}
	}
	t->rows++;
	return 0;
}

struct table *table_new(const struct table_col *cols, size_t ncols)
{
	if (ncols == 0 || ncols > MAX_COLS)
		return NULL;
	struct table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	const char *headers[MAX_COLS];
	for (size_t i = 0; i < ncols; i++)
		headers[i] = cols[i].header;
	if (add_row(t, headers) < 0) {
		table_free(t);
		return NULL;
	}
	return t;
}

int table_add(struct table *t, const char *const *cells)
{
	return t ? add_row(t, cells) : -1;
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

void table_print(const struct table *t, FILE *out)
{
	if (!t)
		return;
	size_t widths[MAX_COLS] = { 0 };
	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->ncols; i++)
			if (t->cells[r * t->ncols + i].width > widths[i])
				widths[i] = t->cells[r * t->ncols + i].width;
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const struct cell *c = &t->cells[r * t->ncols + i];
			size_t gap = widths[i] - c->width;
			bool last = i + 1 == t->ncols;
			if (last && !t->cols[i].right && !c->width)
				break; /* no trailing blanks */
			if (i)
				fputs("  ", out);
			if (t->cols[i].right)
				pad(out, gap);
			fputs(c->text, out);
			if (!t->cols[i].right && !last)
				pad(out, gap);
		}
		fputc('\n', out);
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i].text);
	free(t->cells);
	free(t);
}

/* safe_text.c - control characters out of what reaches a terminal */
#include <stdlib.h>
#include <string.h>
#include "safe_text.h"

/* How many bytes of S at P form one character to escape, or 0. C1
 * controls are U+0080..U+009F, in UTF-8 C2 80..C2 9F. */
static size_t control_at(const unsigned char *p, bool keep_newlines)
{
	if (*p == '\n')
		return keep_newlines ? 0 : 1;
	if (*p < 0x20 && *p != '\t')
		return 1;
	if (*p == 0x7f)
		return 1;
	if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

static size_t escape(const char *s, char *out, bool keep_newlines)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t k = control_at(p, keep_newlines);
		if (!k) {
			if (out)
				out[n] = (char)*p;
			n++;
			p++;
			continue;
		}
		for (size_t i = 0; i < k; i++, p++) {
			if (out)
				snprintf(out + n, 5, "\\x%02x", *p);
			n += 4;
		}
	}
	if (out)
		out[n] = '\0';
	return n;
}

void fput_safe(const char *s, FILE *out, bool keep_newlines)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t k = control_at(p, keep_newlines);
		if (!k) {
			fputc(*p++, out);
			continue;
		}
		for (size_t i = 0; i < k; i++, p++)
			fprintf(out, "\\x%02x", *p);
	}
}

char *safe_text(const char *s)
{
	char *out = malloc(escape(s, NULL, false) + 1);
	if (out)
		escape(s, out, false);
	return out;
}

static bool needs_escape(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (control_at(p, false))
			return true;
	return false;
}

/* v made safe where it is; a string that needs escapes is not changed
 * but its escaped copy returned, for its container to put in its place
 * (NULL when v stays as it is) */
static json_t *made_safe(json_t *v)
{
	if (!json_is_string(v) || !needs_escape(json_string_value(v))) {
		json_make_safe(v);
		return NULL;
	}
	char *s = safe_text(json_string_value(v));
	json_t *copy = json_string(s ? s : "?");
	free(s);
	return copy;
}

void json_make_safe(json_t *j)
{
	size_t i;
	json_t *v, *copy;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((copy = made_safe(v)))
				json_array_set_new(j, i, copy);
	} else if (json_is_object(j)) {
		const char *key;
		void *tmp;
		json_object_foreach_safe(j, tmp, key, v) {
			if ((copy = made_safe(v)))
				json_object_set_new(j, key, copy);
			if (needs_escape(key)) {
				char *k = safe_text(key);
				if (k)
					json_object_set(j, k, json_object_get(j, key));
				json_object_del(j, key);
				free(k);
			}
		}
	}
}

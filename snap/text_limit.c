/* text_limit.c - text as the cloud's services count it */
#include <string.h>
#include "text_limit.h"

/* The length of the UTF-8 sequence at P, or 0 when it is not one. */
static size_t sequence_at(const unsigned char *p)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* a NUL ends the string here too */
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int utf8_count(const char *s, struct text_count *out)
{
	const unsigned char *p = (const unsigned char *)s;
	*out = (struct text_count){ 0 };
	while (p[out->bytes]) {
		size_t n = sequence_at(p + out->bytes);
		if (!n) {
			out->bad_at = out->bytes;
			return -1;
		}
		out->bytes += n;
		out->chars++;
	}
	return 0;
}

bool nova_metadata_key_ok(const char *key)
{
	size_t n = strlen(key);
	return n >= 1 && n <= 255 &&
	       strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:. ") == n;
}

bool nova_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || strchr(" \t\n\v\f\r", name[0]) || strchr(" \t\n\v\f\r", name[n - 1]))
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

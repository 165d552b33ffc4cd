/* text_limit.c - text as the cloud's services count it */
#include <string.h>
#include "text_limit.h"

/* The length of the UTF-8 sequence at P, its code point in *code, or 0
 * when it is not one. */
static size_t sequence_at(const unsigned char *p, unsigned *code)
{
	unsigned c = p[0];
	size_t n;
	unsigned cp;
	*code = c;
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
	*code = cp;
	return n;
}

int utf8_count(const char *s, struct text_count *out)
{
	const unsigned char *p = (const unsigned char *)s;
	*out = (struct text_count){ 0 };
	while (p[out->bytes]) {
		unsigned cp;
		size_t n = sequence_at(p + out->bytes, &cp);
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

/* Not printable to Nova (Unicode categories Cc, Cf, Co, Cs, Zl, Zp, as of
 * Unicode 14), or past U+FFFE, where Nova's table of printable characters
 * ends. Unassigned code points (Cn), which Nova also refuses, are not
 * tabled: which ones they are changes with its Python's Unicode. */
static bool unprintable(unsigned cp)
{
	static const unsigned ranges[][2] = {
		{ 0x0000, 0x001f }, { 0x007f, 0x009f }, { 0x00ad, 0x00ad }, { 0x0600, 0x0605 },
		{ 0x061c, 0x061c }, { 0x06dd, 0x06dd }, { 0x070f, 0x070f }, { 0x0890, 0x0891 },
		{ 0x08e2, 0x08e2 }, { 0x180e, 0x180e }, { 0x200b, 0x200f }, { 0x2028, 0x202e },
		{ 0x2060, 0x2064 }, { 0x2066, 0x206f }, { 0xd800, 0xf8ff }, { 0xfeff, 0xfeff },
		{ 0xfff9, 0xfffb },
	};
	if (cp >= 0xfffe)
		return true;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/* White space Nova refuses at either end of a name: C0 space controls
 * (already unprintable) and the space separators (Zs). */
static bool space_separator(unsigned cp)
{
	return cp == 0x20 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	       cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

bool nova_name_ok(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;
	unsigned cp = 0;
	for (size_t at = 0, n; p[at]; at += n) {
		n = sequence_at(p + at, &cp);
		if (!n)
			return false;
		if (unprintable(cp) || (at == 0 && space_separator(cp)))
			return false;
	}
	return *p && !space_separator(cp); /* cp: the last one */
}

void nova_name_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t in = 0, out = 0;
	while (p[in]) {
		unsigned cp;
		size_t n = sequence_at(p + in, &cp);
		if (!n || unprintable(cp)) {
			p[out++] = '_';
			in += n ? n : 1;
			continue;
		}
		memmove(p + out, p + in, n);
		out += n;
		in += n;
	}
	p[out] = '\0';
}

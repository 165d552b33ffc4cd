/* text_limit.h - text as the cloud's services count it: Nova's and
 * Glance's JSON schemas bound a string by maxLength, which counts
 * characters (code points), not bytes */
#ifndef SNAP_TEXT_LIMIT_H
#define SNAP_TEXT_LIMIT_H

#include <stdbool.h>
#include <stddef.h>

struct text_count {
	size_t bytes;        /* up to the end, or up to the first bad byte */
	size_t chars;        /* code points, likewise */
	size_t bad_at;       /* with a -1 return: the offset of the first bad byte */
};

/* Count the code points of S, which must be well-formed UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing beyond U+10FFFF, nothing cut
 * short). 0, or -1 at the first byte that is not UTF-8. Pure. */
int utf8_count(const char *s, struct text_count *out);

/* Is KEY one Nova's createImage takes as a metadata key (the pattern
 * ^[a-zA-Z0-9-_:. ]{1,255}$ of its schema)? Pure. */
bool nova_metadata_key_ok(const char *key);

/* Is NAME one Nova's createImage takes as the image's name (its "name"
 * format): well-formed UTF-8, not empty, every character printable to
 * Nova (no control, format, private-use or separator character other
 * than spaces, nothing past U+FFFE), no white space at either end?
 * Unassigned code points are not judged; the length is utf8_count's.
 * Pure. */
bool nova_name_ok(const char *name);

/* Replace in place each character of S that Nova's name format refuses
 * inside a name, and each byte that is not UTF-8, by '_' (never longer).
 * For a name made of a server's own, which Nova never checked (ConoHa's
 * name tag). Pure. */
void nova_name_clean(char *s);

#endif

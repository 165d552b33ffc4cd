/* frame.c - the sandbox's framed stream: encoders, decoders and the
 * parent's checks; pure functions, no I/O */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "frame.h"

/* ---- integers, little-endian ---- */

void frame_u32_put(unsigned char out[4], uint32_t v)
{
	for (int i = 0; i < 4; i++)
		out[i] = (unsigned char)(v >> (8 * i));
}

void frame_u64_put(unsigned char out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (unsigned char)(v >> (8 * i));
}

uint32_t frame_u32_get(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t frame_u64_get(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (size)
		vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 3, 4)))
static int limit(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (size)
		vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return FRAME_LIMIT;
}

/* A short, printable rendering of untrusted bytes for a message: at most
 * 64 of them, the rest as "...". */
static const char *shown(char out[300], const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t at = 0;
	for (size_t i = 0; i < n && i < 64; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= ' ' && c <= '~' && c != '\\') {
			out[at++] = (char)c;
		} else {
			out[at++] = '\\';
			out[at++] = 'x';
			out[at++] = hex[c >> 4];
			out[at++] = hex[c & 15];
		}
	}
	if (n > 64) {
		memcpy(out + at, "...", 3);
		at += 3;
	}
	out[at] = '\0';
	return out;
}

static const char *type_name(unsigned t)
{
	static const char *const names[] = {
		[FRAME_HELLO] = "HELLO", [FRAME_ENTRY] = "ENTRY", [FRAME_XATTR] = "XATTR",
		[FRAME_DATA] = "DATA", [FRAME_EOD] = "EOD", [FRAME_DONE] = "DONE",
		[FRAME_ERROR] = "ERROR", [FRAME_FILTER] = "FILTER", [FRAME_REFUSED] = "REFUSED",
	};
	return t >= FRAME_HELLO && t <= FRAME_REFUSED ? names[t] : "unknown";
}

/* ---- encoding ---- */

void frame_header_put(unsigned char out[FRAME_HEADER_SIZE], enum frame_type type, uint32_t len)
{
	out[0] = FRAME_MAGIC;
	out[1] = FRAME_VERSION;
	out[2] = (unsigned char)type;
	out[3] = 0;
	frame_u32_put(out + 4, len);
}

static size_t link_len_of(const struct entry *e)
{
	return e->link ? strlen(e->link) : 0;
}

size_t frame_entry_size(const struct entry *e)
{
	size_t pl = strlen(e->path), ll = link_len_of(e);
	if (pl > UINT32_MAX || ll > UINT32_MAX || pl + ll > UINT32_MAX - FRAME_ENTRY_FIXED)
		return 0;
	return FRAME_ENTRY_FIXED + pl + ll;
}

size_t frame_entry_put(unsigned char *out, size_t cap, const struct entry *e)
{
	size_t total = frame_entry_size(e);
	if (total == 0 || total > cap)
		return 0;
	size_t pl = strlen(e->path), ll = link_len_of(e);
	out[0] = (unsigned char)e->type;
	out[1] = e->link != NULL;
	out[2] = out[3] = 0;
	frame_u32_put(out + 4, (uint32_t)e->perm);
	frame_u32_put(out + 8, e->uid);
	frame_u32_put(out + 12, e->gid);
	frame_u64_put(out + 16, (uint64_t)e->size);
	frame_u64_put(out + 24, (uint64_t)e->mtime_sec);
	frame_u32_put(out + 32, (uint32_t)e->mtime_nsec);
	frame_u32_put(out + 36, e->n_xattrs > UINT32_MAX ? UINT32_MAX : (uint32_t)e->n_xattrs);
	frame_u64_put(out + 40, (uint64_t)e->rdev);
	frame_u32_put(out + 48, (uint32_t)pl);
	frame_u32_put(out + 52, (uint32_t)ll);
	memcpy(out + FRAME_ENTRY_FIXED, e->path, pl);
	if (ll)
		memcpy(out + FRAME_ENTRY_FIXED + pl, e->link, ll);
	return total;
}

int frame_xattr_head_put(unsigned char out[FRAME_XATTR_FIXED], size_t name_len, size_t value_size)
{
	if (name_len > UINT32_MAX || value_size > UINT32_MAX ||
	    name_len + value_size > UINT32_MAX - FRAME_XATTR_FIXED)
		return -1;
	frame_u32_put(out, (uint32_t)name_len);
	frame_u32_put(out + 4, (uint32_t)value_size);
	return 0;
}

void frame_data_head_put(unsigned char out[FRAME_DATA_FIXED], int64_t offset)
{
	frame_u64_put(out, (uint64_t)offset);
}

/* ---- decoding ---- */

uint64_t frame_max_payload(enum frame_type type, const struct frame_limits *lim)
{
	switch (type) {
	case FRAME_HELLO: return FRAME_HELLO_SIZE;
	case FRAME_ENTRY:
		return FRAME_ENTRY_FIXED + (uint64_t)lim->max_path +
		       (lim->max_link > lim->max_path ? lim->max_link : lim->max_path);
	case FRAME_XATTR:
		return FRAME_XATTR_FIXED + FRAME_XATTR_NAME_MAX + (uint64_t)lim->max_xattr_size;
	case FRAME_DATA: return FRAME_DATA_FIXED + FRAME_DATA_MAX;
	case FRAME_EOD: return 0;
	case FRAME_DONE: return 8;
	case FRAME_ERROR: return 4 + FRAME_TEXT_MAX;
	case FRAME_FILTER: return 8;
	case FRAME_REFUSED: return 4 + (uint64_t)lim->max_path + FRAME_TEXT_MAX;
	}
	return 0;
}

int frame_header_get(const unsigned char in[FRAME_HEADER_SIZE], const struct frame_limits *lim,
                     struct frame_header *h, char *why, size_t size)
{
	if (in[0] != FRAME_MAGIC)
		return fail(why, size, "bad magic byte 0x%02x", in[0]);
	if (in[1] != FRAME_VERSION)
		return fail(why, size, "unknown version %u", in[1]);
	if (in[2] < FRAME_HELLO || in[2] > FRAME_REFUSED)
		return fail(why, size, "unknown frame type %u", in[2]);
	if (in[3] != 0)
		return fail(why, size, "unknown flags 0x%02x", in[3]);
	h->type = (enum frame_type)in[2];
	h->len = frame_u32_get(in + 4);
	uint64_t max = frame_max_payload(h->type, lim);
	if (h->len > max) {
		if (h->type == FRAME_XATTR)
			return limit(why, size,
			             "an xattr of %lu bytes (name and value): over the limit of %zu "
			             "bytes a value",
			            (unsigned long)h->len - FRAME_XATTR_FIXED, lim->max_xattr_size);
		if (h->type == FRAME_ENTRY)
			return limit(why, size, "an entry of %lu bytes: over the limit of %llu",
			             (unsigned long)h->len, (unsigned long long)max);
		return fail(why, size, "a %s frame of %lu bytes: over its limit of %llu",
		            type_name(h->type), (unsigned long)h->len, (unsigned long long)max);
	}
	return 0;
}

int frame_path_check(const char *p, size_t n, size_t max, char *why, size_t size)
{
	char buf[300];
	if (n == 0)
		return fail(why, size, "an empty path");
	if (n > max)
		return limit(why, size, "a path of %zu bytes: over the limit of %zu", n, max);
	const char *nul = memchr(p, '\0', n);
	if (nul)
		return fail(why, size, "a NUL byte at %zu in path '%s'", (size_t)(nul - p),
		            shown(buf, p, n));
	if (p[0] == '/')
		return fail(why, size, "an absolute path '%s'", shown(buf, p, n));
	for (size_t at = 0; at <= n;) {
		const char *slash = memchr(p + at, '/', n - at);
		size_t len = slash ? (size_t)(slash - (p + at)) : n - at;
		if (len == 0)
			return fail(why, size, "an empty component in path '%s'", shown(buf, p, n));
		if ((len == 1 && p[at] == '.') || (len == 2 && p[at] == '.' && p[at + 1] == '.'))
			return fail(why, size, "a '%.*s' component in path '%s'", (int)len, p + at,
			            shown(buf, p, n));
		at += len + 1;
	}
	return 0;
}

static int link_check(const struct frame_entry *fe, const struct frame_limits *lim, char *why,
                      size_t size)
{
	char buf[300];
	switch (fe->type) {
	case ENT_SYMLINK:
		if (!fe->link || fe->link_len == 0)
			return fail(why, size, "a symlink without a target");
		if (fe->link_len > lim->max_link)
			return limit(why, size, "a symlink target of %zu bytes: over the limit of %zu",
			            fe->link_len, lim->max_link);
		if (memchr(fe->link, '\0', fe->link_len))
			return fail(why, size, "a NUL byte in the target of symlink '%s'",
			            shown(buf, fe->path, fe->path_len));
		return 0;
	case ENT_HARDLINK:
		if (!fe->link)
			return fail(why, size, "a hard link without a target");
		int rc = frame_path_check(fe->link, fe->link_len, lim->max_path, why, size);
		if (rc < 0) {
			char inner[400];
			snprintf(inner, sizeof(inner), "%s", why);
			snprintf(why, size, "hard link '%s' names %s", shown(buf, fe->path, fe->path_len),
			         inner);
		}
		return rc;
		return 0;
	default:
		if (fe->link)
			return fail(why, size, "a link target on an entry that is no link");
		return 0;
	}
}

int frame_entry_get(const unsigned char *p, size_t len, const struct frame_limits *lim,
                    struct frame_entry *out, char *why, size_t size)
{
	char buf[300];
	if (len < FRAME_ENTRY_FIXED)
		return fail(why, size, "an ENTRY frame of %zu bytes: too short", len);
	memset(out, 0, sizeof(*out));
	if (p[0] > ENT_SOCKET)
		return fail(why, size, "unknown entry type %u", p[0]);
	if (p[1] > 1 || p[2] || p[3])
		return fail(why, size, "bad flags in an ENTRY frame");
	out->type = (enum entry_type)p[0];
	out->perm = frame_u32_get(p + 4);
	out->uid = frame_u32_get(p + 8);
	out->gid = frame_u32_get(p + 12);
	out->size = (int64_t)frame_u64_get(p + 16);
	out->mtime_sec = (int64_t)frame_u64_get(p + 24);
	out->mtime_nsec = frame_u32_get(p + 32);
	out->n_xattrs = frame_u32_get(p + 36);
	out->rdev = frame_u64_get(p + 40);
	uint64_t pl = frame_u32_get(p + 48), ll = frame_u32_get(p + 52);
	if (FRAME_ENTRY_FIXED + pl + ll != len)
		return fail(why, size, "an ENTRY frame of %zu bytes holding %llu + %llu bytes of names",
		            len, (unsigned long long)pl, (unsigned long long)ll);
	if (!p[1] && ll)
		return fail(why, size, "link bytes on an entry without a link");
	out->path = (const char *)p + FRAME_ENTRY_FIXED;
	out->path_len = (size_t)pl;
	out->link = p[1] ? (const char *)p + FRAME_ENTRY_FIXED + pl : NULL;
	out->link_len = (size_t)ll;
	int rc = frame_path_check(out->path, out->path_len, lim->max_path, why, size);
	if (rc < 0)
		return rc;
	if (out->perm > 07777)
		return fail(why, size, "mode %o on '%s': more than permission bits",
		            (unsigned)out->perm, shown(buf, out->path, out->path_len));
	if (out->size < 0)
		return fail(why, size, "a negative size on '%s'", shown(buf, out->path, out->path_len));
	if (out->size > FRAME_MAX_FILE_SIZE)
		return limit(why, size, "a size of %lld bytes on '%s': over the limit of %lld",
		            (long long)out->size, shown(buf, out->path, out->path_len),
		            (long long)FRAME_MAX_FILE_SIZE);
	if (out->mtime_nsec > 999999999)
		return fail(why, size, "%lu nanoseconds in the time of '%s'",
		            (unsigned long)out->mtime_nsec, shown(buf, out->path, out->path_len));
	if (out->n_xattrs > lim->max_xattrs)
		return limit(why, size, "%lu xattrs on '%s': over the limit of %zu",
		            (unsigned long)out->n_xattrs, shown(buf, out->path, out->path_len),
		            lim->max_xattrs);
	return link_check(out, lim, why, size);
}

int frame_xattr_get(const unsigned char *p, size_t len, const struct frame_limits *lim,
                    const char **name, size_t *name_len, const void **value,
                    size_t *value_size, char *why, size_t size)
{
	char buf[300];
	if (len < FRAME_XATTR_FIXED)
		return fail(why, size, "an XATTR frame of %zu bytes: too short", len);
	uint64_t nl = frame_u32_get(p), vl = frame_u32_get(p + 4);
	if (FRAME_XATTR_FIXED + nl + vl != len)
		return fail(why, size, "an XATTR frame of %zu bytes holding %llu + %llu", len,
		            (unsigned long long)nl, (unsigned long long)vl);
	const char *n = (const char *)p + FRAME_XATTR_FIXED;
	if (nl == 0 || nl > FRAME_XATTR_NAME_MAX)
		return fail(why, size, "an xattr name of %llu bytes", (unsigned long long)nl);
	if (memchr(n, '\0', (size_t)nl))
		return fail(why, size, "a NUL byte in xattr name '%s'", shown(buf, n, (size_t)nl));
	if (vl > lim->max_xattr_size)
		return limit(why, size, "xattr '%s' of %llu bytes: over the limit of %zu",
		            shown(buf, n, (size_t)nl), (unsigned long long)vl, lim->max_xattr_size);
	*name = n;
	*name_len = (size_t)nl;
	*value = p + FRAME_XATTR_FIXED + nl;
	*value_size = (size_t)vl;
	return 0;
}

int frame_data_get(const unsigned char *p, size_t len, int64_t *offset, const void **buf,
                   size_t *n, char *why, size_t size)
{
	if (len <= FRAME_DATA_FIXED)
		return fail(why, size, "a DATA frame of %zu bytes: no data", len);
	if (len > FRAME_DATA_FIXED + FRAME_DATA_MAX)
		return fail(why, size, "a DATA frame of %zu bytes: too long", len);
	uint64_t off = frame_u64_get(p);
	if (off > (uint64_t)FRAME_MAX_FILE_SIZE)
		return fail(why, size, "a data offset of %llu", (unsigned long long)off);
	*offset = (int64_t)off;
	*buf = p + FRAME_DATA_FIXED;
	*n = len - FRAME_DATA_FIXED;
	return 0;
}

int frame_hello_get(const unsigned char *p, size_t len, char *why, size_t size)
{
	if (len != FRAME_HELLO_SIZE || memcmp(p, FRAME_HELLO_TEXT, FRAME_HELLO_SIZE) != 0)
		return fail(why, size, "a HELLO frame that does not say hello");
	return 0;
}

int frame_done_get(const unsigned char *p, size_t len, uint64_t *entries, char *why, size_t size)
{
	if (len != 8)
		return fail(why, size, "a DONE frame of %zu bytes", len);
	*entries = frame_u64_get(p);
	return 0;
}

int frame_error_get(const unsigned char *p, size_t len, int *err, char *text, size_t size)
{
	if (size == 0)
		return -1;
	if (len < 4 || len > 4 + FRAME_TEXT_MAX) {
		snprintf(text, size, "an ERROR frame of %zu bytes", len);
		return -1;
	}
	uint32_t e = frame_u32_get(p);
	*err = e > 4095 ? 0 : (int)e;
	size_t n = len - 4 < size - 1 ? len - 4 : size - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = p[4 + i];
		text[i] = c >= ' ' && c <= '~' ? (char)c : '?';
	}
	text[n] = '\0';
	return 0;
}

int frame_filter_get(const unsigned char *p, size_t len, uint32_t *nr, uint32_t *arch, char *why,
                     size_t size)
{
	if (len != 8)
		return fail(why, size, "a FILTER frame of %zu bytes", len);
	*nr = frame_u32_get(p);
	*arch = frame_u32_get(p + 4);
	return 0;
}

int frame_refused_get(const unsigned char *p, size_t len, const struct frame_limits *lim,
                      const char **path, size_t *path_len, char *text, size_t text_size,
                      char *why, size_t size)
{
	if (text_size == 0)
		return fail(why, size, "no room for a REFUSED frame's text");
	if (len < 4)
		return fail(why, size, "a REFUSED frame of %zu bytes", len);
	uint32_t n = frame_u32_get(p);
	if (n > len - 4)
		return fail(why, size, "a REFUSED frame's path of %lu bytes in %zu",
		            (unsigned long)n, len);
	if (n && frame_path_check((const char *)p + 4, n, lim->max_path, why, size) < 0)
		return FRAME_MALFORMED;
	size_t tl = len - 4 - n;
	if (tl == 0 || tl > FRAME_TEXT_MAX)
		return fail(why, size, "a REFUSED frame's text of %zu bytes", tl);
	size_t k = tl < text_size - 1 ? tl : text_size - 1;
	for (size_t i = 0; i < k; i++) {
		unsigned char c = p[4 + n + i];
		text[i] = c >= ' ' && c <= '~' ? (char)c : '?';
	}
	text[k] = '\0';
	*path = (const char *)p + 4;
	*path_len = n;
	return 0;
}

/* ---- the order of frames ---- */

void frame_stream_init(struct frame_stream *s, const struct frame_limits *lim, int want_data)
{
	memset(s, 0, sizeof(*s));
	s->lim = *lim;
	s->want_data = want_data;
	s->state = FS_START;
}

static void after_entry_part(struct frame_stream *s)
{
	if (s->xattrs_left)
		s->state = FS_XATTRS;
	else
		s->state = s->entry_has_data ? FS_DATA : FS_IDLE;
}

int frame_stream_accept(struct frame_stream *s, enum frame_type type, char *why, size_t size)
{
	if (s->state == FS_END)
		return fail(why, size, "a %s frame after the end of the stream", type_name(type));
	if (type == FRAME_ERROR || type == FRAME_FILTER) {
		s->state = FS_END;
		return 0;
	}
	switch (s->state) {
	case FS_START:
		if (type == FRAME_HELLO) {
			s->state = FS_IDLE;
			return 0;
		}
		break;
	case FS_IDLE:
		if (type == FRAME_ENTRY || type == FRAME_REFUSED)
			return 0;   /* frame_stream_entry moves on; REFUSED stays between entries */
		if (type == FRAME_DONE) {
			s->state = FS_END;
			return 0;
		}
		break;
	case FS_XATTRS:
		if (type == FRAME_XATTR) {
			s->xattrs_left--;
			after_entry_part(s);
			return 0;
		}
		break;
	case FS_DATA:
		if (type == FRAME_DATA)
			return 0;
		if (type == FRAME_EOD) {
			s->state = FS_IDLE;
			return 0;
		}
		break;
	case FS_END:
		break;
	}
	static const char *const where[] = {
		[FS_START] = "before HELLO", [FS_IDLE] = "between entries",
		[FS_XATTRS] = "where an XATTR was due", [FS_DATA] = "in a file's data",
		[FS_END] = "after the end",
	};
	return fail(why, size, "a %s frame %s", type_name(type), where[s->state]);
}

int frame_stream_entry(struct frame_stream *s, const struct frame_entry *fe, char *why,
                       size_t size)
{
	if (s->entries >= s->lim.max_entries)
		return limit(why, size, "more than %zu entries", s->lim.max_entries);
	s->entries++;
	s->entry_has_data = s->want_data && fe->type == ENT_FILE;
	s->size = fe->size;
	s->pos = 0;
	s->xattrs_left = fe->n_xattrs;
	after_entry_part(s);
	return 0;
}

int frame_stream_data(struct frame_stream *s, int64_t offset, size_t n, char *why, size_t size)
{
	if (n == 0)
		return fail(why, size, "an empty data block");
	if (offset < s->pos)
		return fail(why, size, "a data block at %lld, before the end of the last one (%lld)",
		            (long long)offset, (long long)s->pos);
	if (offset > s->size || (uint64_t)n > (uint64_t)(s->size - offset))
		return fail(why, size, "a data block at %lld of %zu bytes: past the file's size %lld",
		            (long long)offset, n, (long long)s->size);
	s->pos = offset + (int64_t)n;
	return 0;
}

int frame_stream_done(struct frame_stream *s, uint64_t entries, char *why, size_t size)
{
	if (entries != s->entries)
		return fail(why, size, "DONE after %llu entries, but %llu arrived",
		            (unsigned long long)entries, (unsigned long long)s->entries);
	return 0;
}

/* frame.h - the framed stream a sandboxed reader sends to its parent: pure
 * encoders and decoders, and the checks the parent applies to every frame
 * before anything it says reaches the writer
 *
 * The stream is a sequence of frames. Every frame starts with an 8-byte
 * header, all integers little-endian:
 *
 *   u8 magic (0xb5), u8 version (1), u8 type, u8 flags (0), u32 length
 *
 * followed by length bytes of payload. The types, in the order the stream
 * carries them:
 *
 *   HELLO   "lifeboat-sandbox" (16 bytes): the child is confined and ready
 *   ENTRY   one entry (layout below), then exactly n_xattrs XATTR frames
 *   XATTR   u32 name_len, u32 value_len, name, value
 *   DATA    u64 offset, bytes: a block of the current regular file
 *   EOD     empty: the current file's data ends (only with data wanted)
 *   DONE    u64 entries sent: the stream ended well
 *   ERROR   u32 errno, text: the inner reader failed (or could not open)
 *   FILTER  u32 syscall number, u32 audit arch: the filter stopped a call
 *   REFUSED u32 path_len, path, text: between entries, something in the
 *           directory at path ("" for the root) the reader would not give
 *           (a name no kernel could have made), and why; not an entry
 *
 * ENTRY payload (56 bytes, then path_len bytes of path, then link_len
 * bytes of link; neither is NUL-terminated):
 *
 *   u8 type, u8 has_link, u16 zero, u32 perm, u32 uid, u32 gid,
 *   i64 size, i64 mtime_sec, u32 mtime_nsec, u32 n_xattrs, u64 rdev,
 *   u32 path_len, u32 link_len
 */
#ifndef EXTRACT_FRAME_H
#define EXTRACT_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include "entry.h"

#define FRAME_MAGIC 0xb5
#define FRAME_VERSION 1
#define FRAME_HEADER_SIZE 8
#define FRAME_ENTRY_FIXED 56
#define FRAME_XATTR_FIXED 8
#define FRAME_DATA_FIXED 8
#define FRAME_HELLO_TEXT "lifeboat-sandbox"
#define FRAME_HELLO_SIZE 16
/* The child splits data into blocks of at most this many bytes. */
#define FRAME_DATA_MAX (256 * 1024)
/* An ERROR frame's text is cut to this. */
#define FRAME_TEXT_MAX 1024
/* The longest xattr name Linux allows (XATTR_NAME_MAX). */
#define FRAME_XATTR_NAME_MAX 255
/* The largest file size accepted: 2^48 bytes (256 TiB) is above ext4's
 * largest file (2^32 blocks of 64 KiB) and far below what would make a
 * hash of the holes or an ftruncate run for days. */
#define FRAME_MAX_FILE_SIZE (INT64_C(1) << 48)

enum frame_type {
	FRAME_HELLO = 1, FRAME_ENTRY, FRAME_XATTR, FRAME_DATA, FRAME_EOD, FRAME_DONE,
	FRAME_ERROR, FRAME_FILTER, FRAME_REFUSED,
};

struct frame_header {
	enum frame_type type;
	uint32_t len;
};

/* What the parent accepts; every field must be set (non-zero). */
struct frame_limits {
	size_t max_entries, max_path, max_link, max_xattrs, max_xattr_size;
};

/* An entry as it arrived: path and link point into the payload and are
 * NOT NUL-terminated (the decoder has checked that they hold no NUL). */
struct frame_entry {
	enum entry_type type;
	uint32_t perm, uid, gid;
	int64_t size, mtime_sec;
	uint32_t mtime_nsec;
	uint64_t rdev;
	uint32_t n_xattrs;
	const char *path;
	size_t path_len;
	const char *link;    /* NULL when the entry has none */
	size_t link_len;
};

/* ---- encoding (the child) ---- */
void frame_header_put(unsigned char out[FRAME_HEADER_SIZE], enum frame_type type,
                      uint32_t len);
/* The ENTRY payload for e, written to out (cap bytes). Returns its length,
 * or 0 when it does not fit in cap or a length does not fit in 32 bits.
 * frame_entry_size says how big out must be (0: not encodable). */
size_t frame_entry_size(const struct entry *e);
size_t frame_entry_put(unsigned char *out, size_t cap, const struct entry *e);
/* The fixed head of an XATTR payload; name and value follow it on the
 * wire. 0 on success, -1 when a length does not fit in 32 bits. */
int frame_xattr_head_put(unsigned char out[FRAME_XATTR_FIXED], size_t name_len,
                         size_t value_size);
void frame_data_head_put(unsigned char out[FRAME_DATA_FIXED], int64_t offset);
void frame_u32_put(unsigned char out[4], uint32_t v);
void frame_u64_put(unsigned char out[8], uint64_t v);

/* ---- decoding (the parent) ----
 * Each returns 0, FRAME_MALFORMED (-1) or FRAME_LIMIT (-2: well-formed but
 * over one of lim's bounds), with why filled on failure. */
#define FRAME_MALFORMED (-1)
#define FRAME_LIMIT (-2)
/* Magic, version, flags and a known type; the length against lim (the
 * largest payload the type may have: see frame_max_payload). */
int frame_header_get(const unsigned char in[FRAME_HEADER_SIZE], const struct frame_limits *lim,
                     struct frame_header *h, char *why, size_t size);
/* The largest payload a frame of this type may carry under lim. */
uint64_t frame_max_payload(enum frame_type type, const struct frame_limits *lim);
int frame_entry_get(const unsigned char *p, size_t len, const struct frame_limits *lim,
                    struct frame_entry *out, char *why, size_t size);
int frame_xattr_get(const unsigned char *p, size_t len, const struct frame_limits *lim,
                    const char **name, size_t *name_len, const void **value,
                    size_t *value_size, char *why, size_t size);
int frame_data_get(const unsigned char *p, size_t len, int64_t *offset, const void **buf,
                   size_t *n, char *why, size_t size);
int frame_hello_get(const unsigned char *p, size_t len, char *why, size_t size);
int frame_done_get(const unsigned char *p, size_t len, uint64_t *entries, char *why,
                   size_t size);
/* ERROR: errno and the text, made printable (bytes outside ' '..'~'
 * become '?') into text (size bytes, always NUL-terminated). */
int frame_error_get(const unsigned char *p, size_t len, int *err, char *text, size_t size);
int frame_filter_get(const unsigned char *p, size_t len, uint32_t *nr, uint32_t *arch,
                     char *why, size_t size);
/* REFUSED: the directory's path ("" or one frame_path_check accepts;
 * points into p, not NUL-terminated) and the text, made printable as
 * ERROR's into text (size bytes, always NUL-terminated). */
int frame_refused_get(const unsigned char *p, size_t len, const struct frame_limits *lim,
                      const char **path, size_t *path_len, char *text, size_t text_size,
                      char *why, size_t size);
uint32_t frame_u32_get(const unsigned char *p);
uint64_t frame_u64_get(const unsigned char *p);

/* A relative path the writer may be given: 1..max bytes, no NUL, not
 * absolute, no empty, "." or ".." component. */
int frame_path_check(const char *p, size_t n, size_t max, char *why, size_t size);

/* ---- the order of frames (the parent) ---- */
enum frame_state {
	FS_START,       /* nothing yet: HELLO or ERROR */
	FS_IDLE,        /* between entries: ENTRY, DONE, ERROR, FILTER */
	FS_XATTRS,      /* xattrs_left XATTR frames owed */
	FS_DATA,        /* in a regular file's data: DATA, EOD, ERROR, FILTER */
	FS_END,         /* a terminal frame came: nothing more may */
};

struct frame_stream {
	struct frame_limits lim;
	int want_data;
	enum frame_state state;
	uint64_t entries;
	uint32_t xattrs_left;
	int entry_has_data;   /* the current entry is a regular file and data is wanted */
	int64_t size, pos;    /* the current file's size, and the end of its last block */
};

void frame_stream_init(struct frame_stream *s, const struct frame_limits *lim, int want_data);
/* Is a frame of this type allowed now? Moves the state on. */
int frame_stream_accept(struct frame_stream *s, enum frame_type type, char *why, size_t size);
/* After an ENTRY was decoded: counts it, checks the entry limit. */
int frame_stream_entry(struct frame_stream *s, const struct frame_entry *fe, char *why,
                       size_t size);
/* After a DATA frame was decoded: offsets increase, blocks stay in size. */
int frame_stream_data(struct frame_stream *s, int64_t offset, size_t n, char *why, size_t size);
/* After DONE: the count the child claims must be what arrived. */
int frame_stream_done(struct frame_stream *s, uint64_t entries, char *why, size_t size);

#endif

/* fuzz_frame.c - the native reader's framed stream as the parent reads it
 * (extract/sandbox.c over extract/frame.c): every header checked against
 * the limits, the order of frames, each payload decoded, entries and their
 * xattrs, data blocks against their file, REFUSED, DONE's count. The
 * input's first byte chooses data wanted (bit 0) and tight limits (bit 1);
 * the rest is the stream. Whatever the parent accepts must be what the
 * writer may be given. Seeds: tests/fuzz/capture-frames.sh. */
#include "fuzz.h"
#include "../../extract/frame.h"

struct in {
	const uint8_t *p;
	size_t n, at;
};

static const uint8_t *take(struct in *in, size_t n)
{
	if (n > in->n - in->at)
		return NULL;
	const uint8_t *p = in->p + in->at;
	in->at += n;
	return p;
}

/* get_frame: header, limits, order, payload; NULL at the end of the
 * input or on a refusal (the parent stops there). */
static const uint8_t *get_frame(struct in *in, const struct frame_limits *lim,
                                struct frame_stream *st, struct frame_header *h)
{
	char why[512];
	const uint8_t *head = take(in, FRAME_HEADER_SIZE);
	if (!head || frame_header_get(head, lim, h, why, sizeof(why)) < 0)
		return NULL;
	if (h->len > frame_max_payload(h->type, lim))
		abort();   /* the header check bounds what is then read */
	if (frame_stream_accept(st, h->type, why, sizeof(why)) < 0)
		return NULL;
	return take(in, h->len);
}

/* What the writer is given must hold: a path frame_path_check takes,
 * a link only where the type has one, counts within the limits. */
static void check_entry(const struct frame_entry *fe, const struct frame_limits *lim)
{
	char why[512];
	if (frame_path_check(fe->path, fe->path_len, lim->max_path, why, sizeof(why)) < 0)
		abort();
	if ((fe->type == ENT_SYMLINK || fe->type == ENT_HARDLINK) != (fe->link != NULL))
		abort();
	if (fe->link && (fe->link_len > lim->max_link || memchr(fe->link, '\0', fe->link_len)))
		abort();
	if (fe->n_xattrs > lim->max_xattrs || fe->size < 0 || fe->size > FRAME_MAX_FILE_SIZE)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static const struct frame_limits loose = { 10000, 4096, 4096, 64, 65536 };
	static const struct frame_limits tight = { 3, 16, 16, 1, 8 };
	const struct frame_limits *lim = data[0] & 2 ? &tight : &loose;
	int want_data = data[0] & 1;
	struct in in = { data + 1, size - 1, 0 };
	struct frame_stream st;
	frame_stream_init(&st, lim, want_data);
	struct frame_header h;
	char why[512], text[FRAME_TEXT_MAX + 1];
	const uint8_t *p = get_frame(&in, lim, &st, &h);
	if (!p || h.type != FRAME_HELLO || frame_hello_get(p, h.len, why, sizeof(why)) < 0)
		return 0;
	uint64_t entries = 0;
	int64_t file_size = -1, file_end = 0;
	for (;;) {
		p = get_frame(&in, lim, &st, &h);
		if (!p)
			return 0;
		int err;
		uint32_t nr, arch;
		switch (h.type) {
		case FRAME_ERROR:
			if (frame_error_get(p, h.len, &err, text, sizeof(text)) == 0)
				for (const char *c = text; *c; c++)
					if (*c < ' ' || *c > '~')
						abort();   /* the parent prints it */
			return 0;
		case FRAME_FILTER:
			frame_filter_get(p, h.len, &nr, &arch, why, sizeof(why));
			return 0;
		case FRAME_DONE: {
			uint64_t n;
			if (frame_done_get(p, h.len, &n, why, sizeof(why)) < 0 ||
			    frame_stream_done(&st, n, why, sizeof(why)) < 0)
				return 0;
			if (n != entries || file_size >= 0)
				abort();   /* a clean end: every entry counted, no file open */
			return 0;
		}
		case FRAME_REFUSED: {
			const char *path;
			size_t pl;
			if (frame_refused_get(p, h.len, lim, &path, &pl, text, sizeof(text), why,
			                      sizeof(why)) < 0)
				return 0;
			if (pl && frame_path_check(path, pl, lim->max_path, why, sizeof(why)) < 0)
				abort();
			break;
		}
		case FRAME_ENTRY: {
			struct frame_entry fe;
			if (frame_entry_get(p, h.len, lim, &fe, why, sizeof(why)) < 0 ||
			    frame_stream_entry(&st, &fe, why, sizeof(why)) < 0)
				return 0;
			check_entry(&fe, lim);
			entries++;
			for (uint32_t i = 0; i < fe.n_xattrs; i++) {
				const char *name;
				const void *value;
				size_t nl, vl;
				p = get_frame(&in, lim, &st, &h);
				if (!p || h.type != FRAME_XATTR ||
				    frame_xattr_get(p, h.len, lim, &name, &nl, &value, &vl, why,
				                    sizeof(why)) < 0)
					return 0;
				if (nl == 0 || nl > FRAME_XATTR_NAME_MAX || vl > lim->max_xattr_size ||
				    memchr(name, '\0', nl))
					abort();
			}
			file_size = st.state == FS_DATA ? fe.size : -1;
			file_end = 0;
			/* data, until EOD: sb_data */
			while (st.state == FS_DATA) {
				p = get_frame(&in, lim, &st, &h);
				if (!p)
					return 0;
				if (h.type == FRAME_EOD) {
					file_size = -1;
					break;
				}
				if (h.type != FRAME_DATA)
					return 0;   /* a terminal frame: the parent stops */
				int64_t off;
				const void *buf;
				size_t n;
				if (frame_data_get(p, h.len, &off, &buf, &n, why, sizeof(why)) < 0 ||
				    frame_stream_data(&st, off, n, why, sizeof(why)) < 0)
					return 0;
				/* blocks in order, inside the file */
				if (off < file_end || n > FRAME_DATA_MAX || off > file_size ||
				    (int64_t)n > file_size - off)
					abort();
				file_end = off + (int64_t)n;
			}
			break;
		}
		default:
			abort();   /* the order check lets no other frame through here */
		}
	}
}

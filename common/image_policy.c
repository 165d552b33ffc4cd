/* image_policy.c - the qcow2 header, all of it, read by lifeboat itself:
 * fields at their documented offsets (qemu's docs/interop/qcow2.txt),
 * every offset and length checked against the first cluster and the file
 * before it is used */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "image_policy.h"
#include "fileio.h"
#include "bytes.h"

#define QCOW2_MAGIC "QFI\xfb"
#define V2_HEADER 72
#define V3_HEADER 104
#define MAX_L1_BYTES (32u << 20)      /* qemu's QCOW_MAX_L1_SIZE */
#define MAX_SNAPSHOTS 65536

/* incompatible feature bits */
#define INCOMPAT_DIRTY (1ULL << 0)
#define INCOMPAT_CORRUPT (1ULL << 1)
#define INCOMPAT_DATA_FILE (1ULL << 2)
#define INCOMPAT_COMPRESSION (1ULL << 3)
#define INCOMPAT_EXTL2 (1ULL << 4)
#define INCOMPAT_KNOWN 0x1fULL
#define AUTOCLEAR_DATA_FILE_RAW (1ULL << 1)

/* header extension types */
#define EXT_END 0x00000000u
#define EXT_BACKING_FORMAT 0xe2792acau
#define EXT_FEATURE_TABLE 0x6803f857u
#define EXT_BITMAPS 0x23852875u
#define EXT_CRYPTO 0x0537be77u
#define EXT_DATA_FILE 0x44415441u

struct qhdr {
	uint32_t version;
	uint64_t backing_offset;
	uint32_t backing_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_offset;
	uint64_t refcount_offset;
	uint32_t refcount_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompat, compat, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	unsigned compression_type;
	/* from the extensions */
	bool has_backing_format, has_data_file, has_crypto;
	char backing_format[16];
	char data_file[256];
	char backing[1024];
	const unsigned char *features;   /* the feature name table, in the buffer */
	size_t features_len;
};

static enum image_verdict verdict(struct image_decision *d, enum image_verdict v,
                                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum image_verdict verdict(struct image_decision *d, enum image_verdict v,
                                  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->verdict = v;
	return v;
}

const char *image_verdict_name(enum image_verdict v)
{
	static const char *const names[] = { "ok", "unsafe", "unsupported", "corrupt",
	                                     "mismatch", "bad request", "io" };
	return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

/* A name safe to show in a message: printable ASCII, the rest as '?'. */
static void shown(char *out, size_t size, const char *in, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && in[i] && o + 1 < size; i++)
		out[o++] = in[i] >= ' ' && in[i] <= '~' ? in[i] : '?';
	out[o] = '\0';
}

/* ---- the header ------------------------------------------------------------ */

static void parse_fields(const unsigned char *b, size_t n, struct qhdr *h)
{
	h->version = be32(b + 4);
	h->backing_offset = be64(b + 8);
	h->backing_size = be32(b + 16);
	h->cluster_bits = be32(b + 20);
	h->size = be64(b + 24);
	h->crypt_method = be32(b + 32);
	h->l1_size = be32(b + 36);
	h->l1_offset = be64(b + 40);
	h->refcount_offset = be64(b + 48);
	h->refcount_clusters = be32(b + 56);
	h->nb_snapshots = be32(b + 60);
	h->snapshots_offset = be64(b + 64);
	h->refcount_order = 4;
	h->header_length = V2_HEADER;
	if (h->version >= 3 && n >= V3_HEADER) {
		h->incompat = be64(b + 72);
		h->compat = be64(b + 80);
		h->autoclear = be64(b + 88);
		h->refcount_order = be32(b + 96);
		h->header_length = be32(b + 100);
		if (h->header_length > V3_HEADER && n > V3_HEADER)
			h->compression_type = b[104];
	}
}

/* The extensions lie between the header and the backing file's name (or
 * the end of the first cluster); each is type, length, data padded to 8. */
static enum image_verdict parse_extensions(const unsigned char *b, size_t end, struct qhdr *h,
                                           struct image_decision *d)
{
	size_t at = h->header_length;
	for (;;) {
		if (at + 8 > end)
			return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: its extensions run "
			               "past the first cluster (no end marker)");
		uint32_t type = be32(b + at), len = be32(b + at + 4);
		at += 8;
		if (type == EXT_END)
			return IMAGE_OK;
		if (len > end - at)
			return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: extension 0x%08x "
			               "claims %u bytes past the first cluster", type, len);
		const unsigned char *p = b + at;
		switch (type) {
		case EXT_BACKING_FORMAT:
			if (h->has_backing_format || len == 0 || len >= sizeof(h->backing_format) ||
			    memchr(p, 0, len))
				return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: bad backing "
				               "format extension");
			memcpy(h->backing_format, p, len);
			h->backing_format[len] = '\0';
			h->has_backing_format = true;
			break;
		case EXT_DATA_FILE:
			h->has_data_file = true;
			shown(h->data_file, sizeof(h->data_file), (const char *)p, len);
			break;
		case EXT_CRYPTO:
			h->has_crypto = true;
			break;
		case EXT_FEATURE_TABLE:
			h->features = p;
			h->features_len = len;
			break;
		default: /* bitmaps and unknown extensions: nothing qemu opens */
			break;
		}
		size_t padded = ((size_t)len + 7) & ~(size_t)7;
		if (padded > end - at)
			padded = end - at;
		at += padded;
	}
}

/* Names of the unknown incompatible bits, from the image's own table. */
static void feature_names(const struct qhdr *h, uint64_t bits, char *out, size_t size)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; h->features && i + 48 <= h->features_len; i += 48) {
		const unsigned char *f = h->features + i;
		if (f[0] != 0 || f[1] >= 64 || !(bits & (1ULL << f[1])))
			continue;
		char name[47];
		shown(name, sizeof(name), (const char *)f + 2, 46);
		int k = snprintf(out + o, size - o, "%s'%s'", o ? ", " : " (", name);
		if (k < 0 || (size_t)k >= size - o)
			break;
		o += (size_t)k;
	}
	if (o && o + 2 <= size)
		memcpy(out + o, ")", 2);
}

static enum image_verdict check_features(const struct qhdr *h, struct image_decision *d)
{
	if (h->incompat & INCOMPAT_DATA_FILE || h->has_data_file ||
	    h->autoclear & AUTOCLEAR_DATA_FILE_RAW)
		return verdict(d, IMAGE_UNSAFE, "the qcow2 keeps its data in an external data "
		               "file%s%s%s%s: opening it would read that file on this host (it "
		               "could be any file, or a disk); refused", h->data_file[0] ? " '" : "",
		               h->data_file, h->data_file[0] ? "'" : "",
		               h->autoclear & AUTOCLEAR_DATA_FILE_RAW ? " (raw data file)" : "");
	uint64_t unknown = h->incompat & ~INCOMPAT_KNOWN;
	if (unknown) {
		char names[256];
		feature_names(h, unknown, names, sizeof(names));
		return verdict(d, IMAGE_UNSUPPORTED, "the qcow2 uses incompatible features "
		               "lifeboat does not know: bits 0x%llx%s; refused",
		               (unsigned long long)unknown, names);
	}
	if (h->crypt_method == 1)
		return verdict(d, IMAGE_UNSUPPORTED, "the qcow2 is encrypted with its legacy "
		               "AES-CBC scheme, which lifeboat does not open and qemu no longer "
		               "supports; decrypt it with its passphrase first (qemu-img convert "
		               "with an --object secret) and open the plain copy");
	if (h->crypt_method == 2 || h->has_crypto)
		return verdict(d, IMAGE_UNSUPPORTED, "the qcow2 is encrypted (LUKS); lifeboat "
		               "opens no encrypted image: with its passphrase, decrypt it first, "
		               "e.g. qemu-img convert --object secret,id=k,file=PASSFILE "
		               "--image-opts driver=qcow2,file.filename=IMAGE,encrypt.key-secret=k "
		               "-O qcow2 plain.qcow2, and open plain.qcow2");
	if (h->crypt_method != 0)
		return verdict(d, IMAGE_UNSUPPORTED, "the qcow2 names an unknown encryption "
		               "method %u; refused", h->crypt_method);
	bool typed = h->incompat & INCOMPAT_COMPRESSION;
	if ((typed && h->compression_type > 1) || (!typed && h->compression_type != 0))
		return verdict(d, IMAGE_UNSUPPORTED, "the qcow2 names compression type %u, "
		               "neither zlib nor zstd; refused", h->compression_type);
	return IMAGE_OK;
}

static enum image_verdict check_layout(const struct qhdr *h, uint64_t file_size,
                                       struct image_decision *d)
{
	uint64_t cluster = 1ULL << h->cluster_bits;
	bool extl2 = h->incompat & INCOMPAT_EXTL2;
	if (h->refcount_order > 6)
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: refcount order %u",
		               h->refcount_order);
	if (extl2 && h->cluster_bits < 14)
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: extended L2 entries "
		               "with %llu-byte clusters", (unsigned long long)cluster);
	if (h->size > (1ULL << 62))
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: virtual size %llu",
		               (unsigned long long)h->size);
	uint64_t per_l2 = cluster / (extl2 ? 16 : 8);
	uint64_t span = cluster * per_l2;           /* bytes one L2 table maps */
	uint64_t needed = h->size / span + (h->size % span != 0);
	if ((uint64_t)h->l1_size * 8 > MAX_L1_BYTES || h->l1_size < needed)
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: an L1 table of %u "
		               "entries for %llu bytes", h->l1_size, (unsigned long long)h->size);
	if (h->l1_offset % cluster || h->refcount_offset % cluster ||
	    (h->nb_snapshots && h->snapshots_offset % cluster))
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: unaligned tables");
	if (h->refcount_clusters == 0 || h->refcount_offset == 0 ||
	    (h->l1_size && h->l1_offset == 0) || h->nb_snapshots > MAX_SNAPSHOTS)
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: missing tables");
	if (h->l1_offset > file_size || (uint64_t)h->l1_size * 8 > file_size - h->l1_offset ||
	    h->refcount_offset > file_size ||
	    (uint64_t)h->refcount_clusters * cluster > file_size - h->refcount_offset ||
	    (h->nb_snapshots && h->snapshots_offset >= file_size))
		return verdict(d, IMAGE_CORRUPT, "truncated qcow2: it names data past the end "
		               "of the file (%llu bytes); was the download complete?",
		               (unsigned long long)file_size);
	return IMAGE_OK;
}

/* Every L2 table the L1 names, and every cluster those name, must lie
 * inside the file: metadata only, a few KiB per GiB of disk. */
static enum image_verdict check_clusters(int fd, const struct qhdr *h, uint64_t file_size,
                                         struct image_decision *d)
{
	const uint64_t cluster = 1ULL << h->cluster_bits;
	const uint64_t mask = 0x00fffffffffffe00ULL;
	const size_t stride = h->incompat & INCOMPAT_EXTL2 ? 16 : 8;
	const unsigned csize_shift = 62 - (h->cluster_bits - 8);
	unsigned char *l1 = malloc(h->l1_size ? (size_t)h->l1_size * 8 : 1);
	unsigned char *l2 = malloc(cluster);
	enum image_verdict v = IMAGE_OK;
	if (!l1 || !l2) {
		v = verdict(d, IMAGE_IO, "out of memory");
		goto out;
	}
	if (pread_full(fd, l1, (size_t)h->l1_size * 8, h->l1_offset) != (ssize_t)h->l1_size * 8) {
		v = verdict(d, IMAGE_IO, "cannot read the L1 table: %s", strerror(errno));
		goto out;
	}
	for (uint32_t i = 0; v == IMAGE_OK && i < h->l1_size; i++) {
		uint64_t l2_offset = be64(l1 + 8ULL * i) & mask;
		if (!l2_offset)
			continue;
		if (l2_offset % cluster || l2_offset > file_size - cluster ||
		    pread_full(fd, l2, cluster, l2_offset) != (ssize_t)cluster) {
			v = verdict(d, IMAGE_CORRUPT, "truncated qcow2: L2 table %u lies past the end "
			            "of the file (%llu bytes); was the download complete?", i,
			            (unsigned long long)file_size);
			break;
		}
		for (uint64_t k = 0; k + stride <= cluster; k += stride) {
			uint64_t e = be64(l2 + k);
			uint64_t at;
			if (e & (1ULL << 62))
				at = e & ((1ULL << csize_shift) - 1); /* compressed: a byte offset */
			else
				at = e & mask;
			/* the last cluster may end early (subclusters, preallocation) */
			bool past = e & (1ULL << 62) ? at >= file_size
			                             : at && (at % cluster || at >= file_size);
			if (past) {
				v = verdict(d, IMAGE_CORRUPT, "truncated qcow2: data at %llu past the end "
				            "of the file (%llu bytes); was the download complete?",
				            (unsigned long long)at, (unsigned long long)file_size);
				break;
			}
		}
	}
out:
	free(l1);
	free(l2);
	return v;
}

/* Read and check one qcow2 header; h filled. */
static enum image_verdict read_qcow2(int fd, uint64_t file_size, struct qhdr *h,
                                     struct image_decision *d)
{
	unsigned char first[V3_HEADER + 8];
	memset(h, 0, sizeof(*h));
	ssize_t n = pread_full(fd, first, sizeof(first), 0);
	if (n < 0)
		return verdict(d, IMAGE_IO, "cannot read: %s", strerror(errno));
	if (n < V2_HEADER)
		return verdict(d, IMAGE_CORRUPT, "truncated qcow2 header (%zd bytes)", n);
	parse_fields(first, (size_t)n, h);
	if (h->version != 2 && h->version != 3)
		return verdict(d, IMAGE_UNSUPPORTED, "unsupported qcow2 version %u", h->version);
	if (h->version == 3 && n < V3_HEADER)
		return verdict(d, IMAGE_CORRUPT, "truncated qcow2 header (%zd bytes)", n);
	if (h->cluster_bits < 9 || h->cluster_bits > 21)
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: cluster_bits %u",
		               h->cluster_bits);
	uint64_t cluster = 1ULL << h->cluster_bits;
	if (h->version == 3 && (h->header_length < V3_HEADER || h->header_length % 8 ||
	                        h->header_length > cluster))
		return verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: header length %u",
		               h->header_length);
	/* The first cluster holds the header, its extensions and the backing
	 * file's name: read it whole (at most 2 MiB), and look nowhere else. */
	size_t have = (size_t)(file_size < cluster ? file_size : cluster);
	unsigned char *b = malloc(have);
	if (!b)
		return verdict(d, IMAGE_IO, "out of memory");
	enum image_verdict v = IMAGE_OK;
	if (pread_full(fd, b, have, 0) != (ssize_t)have) {
		v = verdict(d, IMAGE_IO, "cannot read: %s", strerror(errno));
		goto out;
	}
	if (h->backing_offset &&
	    (h->backing_size == 0 || h->backing_size >= sizeof(h->backing) ||
	     h->backing_offset < h->header_length || h->backing_offset > have ||
	     h->backing_size > have - h->backing_offset ||
	     memchr(b + h->backing_offset, 0, h->backing_size))) {
		v = verdict(d, IMAGE_CORRUPT, "corrupt qcow2 header: its backing file name lies "
		            "outside the first cluster or is malformed");
		goto out;
	}
	if (h->backing_offset) {
		memcpy(h->backing, b + h->backing_offset, h->backing_size);
		h->backing[h->backing_size] = '\0';
	}
	if (h->header_length > have) {
		v = verdict(d, IMAGE_CORRUPT, "truncated qcow2 header");
		goto out;
	}
	v = parse_extensions(b, h->backing_offset ? (size_t)h->backing_offset : have, h, d);
	if (v == IMAGE_OK)
		v = check_features(h, d);
	if (v == IMAGE_OK)
		v = check_layout(h, file_size, d);
out:
	free(b);
	return v;
}

/* ---- the chain --------------------------------------------------------------- */

/* qemu reads "proto:..." (nbd:, http:, json:) as a protocol, not a file:
 * a ':' before any '/'. */
static bool has_protocol(const char *name)
{
	size_t colon = strcspn(name, ":/");
	return name[colon] == ':';
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The real path of NAME as qemu would resolve it from the image at
 * FROM (relative to FROM's directory); refused unless inside TOPDIR. */
static char *resolve_backing(const char *from, const char *name, const char *topdir,
                             struct image_decision *d)
{
	char shown_name[256];
	shown(shown_name, sizeof(shown_name), name, strlen(name));
	if (has_protocol(name)) {
		verdict(d, IMAGE_UNSAFE, "backing file '%s' is a qemu protocol or block spec, "
		        "not a file: refused", shown_name);
		return NULL;
	}
	char *dir = dir_of(from), *joined = NULL;
	if (!dir || (name[0] == '/' ? asprintf(&joined, "%s", name)
	                            : asprintf(&joined, "%s/%s", dir, name)) < 0) {
		free(dir);
		verdict(d, IMAGE_IO, "out of memory");
		return NULL;
	}
	free(dir);
	char *real = realpath(joined, NULL);
	free(joined);
	size_t dl = strlen(topdir);
	bool inside = real && strncmp(real, topdir, dl) == 0 &&
	              (real[dl] == '/' || strcmp(topdir, "/") == 0);
	if (!inside) {
		verdict(d, IMAGE_UNSAFE, "backing file '%s' does not resolve inside the image's "
		        "directory '%s': refused even with --allow-backing", shown_name, topdir);
		free(real);
		return NULL;
	}
	return real;
}

static int push_layer(struct image_decision *d, char *real, const char *format,
                      uint64_t size, uint32_t version)
{
	struct image_layer *c = realloc(d->chain, (d->depth + 1) * sizeof(*c));
	if (!c)
		return -1;
	d->chain = c;
	c[d->depth] = (struct image_layer){ .path = real, .virtual_size = size,
	                                    .qcow2_version = version };
	snprintf(c[d->depth].format, sizeof(c[d->depth].format), "%s", format);
	d->depth++;
	return 0;
}

/* The image (TOP) or a backing file, read-only. The top may be a block
 * device (a dead machine's disk attached as /dev/sdb), read as raw; a
 * backing file is a regular file. The messages about the top leave its
 * name out: every caller puts it in front. */
static int open_image(const char *path, bool top, uint64_t *size, struct image_decision *d)
{
	/* O_NONBLOCK: a FIFO must be refused, not waited on */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (top)
			verdict(d, IMAGE_IO, "%s", strerror(errno));
		else
			verdict(d, IMAGE_IO, "cannot open backing file '%s': %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	int err = fstat(fd, &st) < 0 ? errno : 0;
	if (!err && top && S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size) < 0) {
			verdict(d, IMAGE_IO, "cannot read the block device's size: %s", strerror(errno));
			close(fd);
			return -1;
		}
		d->block_device = true;
		return fd;
	}
	if (err || !S_ISREG(st.st_mode)) {
		const char *what = S_ISDIR(st.st_mode) ? "a directory" : S_ISFIFO(st.st_mode)
		                   ? "a FIFO" : S_ISCHR(st.st_mode) ? "a character device"
		                   : S_ISSOCK(st.st_mode) ? "a socket" : S_ISBLK(st.st_mode)
		                   ? "a block device" : "of an unknown type";
		if (err && top)
			verdict(d, IMAGE_IO, "cannot stat it: %s", strerror(err));
		else if (err)
			verdict(d, IMAGE_IO, "cannot stat backing file '%s': %s", path, strerror(err));
		else if (top)
			verdict(d, IMAGE_IO, "%s, not a disk image", what);
		else
			verdict(d, IMAGE_IO, "backing file '%s' is %s, not a regular file", path, what);
		close(fd);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* One level: REAL (owned, handed to the chain) opened as FORMAT. Sets
 * *next to the real path of its backing file (owned by the caller) or
 * NULL at the bottom. */
static enum image_verdict one_level(char *real, const char *format, const char *topdir,
                                    bool allow_backing, struct image_decision *d,
                                    char **next, char *next_format, size_t nf_size)
{
	*next = NULL;
	uint64_t file_size;
	int fd = open_image(real, d->depth == 0, &file_size, d);
	if (fd < 0) {
		free(real);
		return d->verdict;
	}
	struct qhdr h;
	enum image_verdict v = IMAGE_OK;
	/* qemu shows a raw file as whole 512-byte sectors, the last padded */
	uint64_t vsize = (file_size + 511) & ~511ULL;
	uint32_t version = 0;
	if (strcmp(format, "qcow2") == 0) {
		unsigned char magic[4] = { 0 };
		if (pread_full(fd, magic, 4, 0) != 4 || memcmp(magic, QCOW2_MAGIC, 4) != 0)
			v = verdict(d, IMAGE_MISMATCH, "%s%s%s is said to be qcow2 but has no qcow2 "
			            "header", d->depth ? "backing file '" : "the file",
			            d->depth ? real : "", d->depth ? "'" : "");
		else
			v = read_qcow2(fd, file_size, &h, d);
		if (v == IMAGE_OK) {
			vsize = h.size;
			version = h.version;
			d->dirty |= (h.incompat & INCOMPAT_DIRTY) != 0;
			d->marked_corrupt |= (h.incompat & INCOMPAT_CORRUPT) != 0;
		}
		if (v == IMAGE_OK && h.backing[0]) {
			char name[256];
			shown(name, sizeof(name), h.backing, strlen(h.backing));
			if (!allow_backing)
				v = verdict(d, IMAGE_UNSAFE, "the image has a backing file '%s': "
				            "opening it would read that file on this host; refused (see "
				            "--allow-backing)", name);
			else if (!h.has_backing_format)
				v = verdict(d, IMAGE_UNSAFE, "the image's backing file '%s' has no "
				            "format in the header: qemu would guess it from that file's "
				            "bytes; refused", name);
			else if (strcmp(h.backing_format, "raw") != 0 &&
			         strcmp(h.backing_format, "qcow2") != 0)
				v = verdict(d, IMAGE_UNSUPPORTED, "backing file '%s' is '%s', neither "
				            "raw nor qcow2; refused", name, h.backing_format);
			else if (!(*next = resolve_backing(real, h.backing, topdir, d)))
				v = d->verdict;
			else
				snprintf(next_format, nf_size, "%s", h.backing_format);
		}
		if (v == IMAGE_OK)
			v = check_clusters(fd, &h, file_size, d);
	}
	close(fd);
	if (v != IMAGE_OK || push_layer(d, real, format, vsize, version) < 0) {
		free(real);
		free(*next);
		*next = NULL;
		return v != IMAGE_OK ? v : verdict(d, IMAGE_IO, "out of memory");
	}
	return IMAGE_OK;
}

/* ---- the qemu spec ------------------------------------------------------------- */

int image_json_string(const char *s, char *buf, size_t size)
{
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	if (size < 3)
		return -1;
	buf[o++] = '"';
	for (; *p; p++) {
		char esc[8];
		size_t n;
		if (*p == '"' || *p == '\\')
			n = (size_t)snprintf(esc, sizeof(esc), "\\%c", *p);
		else if (*p < 0x20)
			n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		else
			esc[0] = (char)*p, n = 1;
		if (o + n + 2 > size)
			return -1;
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return (int)o;
}

/* The spec of the chain from level I down, appended to *out. */
static int append_spec(const struct image_decision *d, size_t i, char **out)
{
	const struct image_layer *l = &d->chain[i];
	size_t need = strlen(l->path) * 6 + 3;
	char *name = malloc(need);
	if (!name || image_json_string(l->path, name, need) < 0) {
		free(name);
		return -1;
	}
	char *lower = NULL;
	if (strcmp(l->format, "qcow2") == 0 && i + 1 < d->depth && append_spec(d, i + 1, &lower) < 0) {
		free(name);
		return -1;
	}
	int rc;
	if (strcmp(l->format, "raw") == 0)
		rc = asprintf(out, "{\"driver\":\"raw\",\"file\":{\"driver\":\"%s\",\"filename\":%s}}",
		              i == 0 && d->block_device ? "host_device" : "file", name);
	else
		rc = asprintf(out, "{\"driver\":\"qcow2\",\"file\":{\"driver\":\"file\",\"filename\":%s},"
		              "\"backing\":%s}", name, lower ? lower : "null");
	free(name);
	free(lower);
	if (rc < 0)
		*out = NULL;
	return rc < 0 ? -1 : 0;
}

/* ---- deciding ------------------------------------------------------------------- */

static bool known_format(const char *f)
{
	return strcmp(f, "raw") == 0 || strcmp(f, "qcow2") == 0;
}

enum image_verdict image_decide(const struct image_request *req, struct image_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (req->expected_format && !known_format(req->expected_format)) {
		char f[64];
		shown(f, sizeof(f), req->expected_format, strlen(req->expected_format));
		return verdict(d, IMAGE_BAD_REQUEST, "format '%s' is not raw or qcow2: lifeboat "
		               "opens no other", f);
	}
	uint64_t file_size;
	int fd = open_image(req->path, true, &file_size, d);
	if (fd < 0)
		return d->verdict;
	unsigned char magic[4] = { 0 };
	ssize_t n = pread_full(fd, magic, sizeof(magic), 0);
	int err = errno;
	close(fd);
	if (n < 0)
		return verdict(d, IMAGE_IO, "cannot read it: %s", strerror(err));
	if (file_size < req->min_size)
		return verdict(d, IMAGE_CORRUPT, "%llu bytes: too small to be a disk image",
		               (unsigned long long)file_size);
	d->header_looks_qcow2 = n == 4 && memcmp(magic, QCOW2_MAGIC, 4) == 0;
	/* a block device holds a disk, not an image file: raw, whatever its bytes */
	if (d->block_device && req->expected_format && strcmp(req->expected_format, "raw") != 0)
		return verdict(d, IMAGE_BAD_REQUEST, "a block device is read as raw, not as %s",
		               req->expected_format);
	const char *format = req->expected_format ? req->expected_format
	                     : d->header_looks_qcow2 && !d->block_device ? "qcow2" : "raw";
	char *real = realpath(req->path, NULL);
	char *topdir = real ? dir_of(real) : NULL;
	if (!real || !topdir || !(d->abs_path = strdup(real))) {
		err = errno;
		free(real);
		free(topdir);
		return verdict(d, IMAGE_IO, "cannot resolve its path: %s", strerror(err));
	}
	char fmt[16];
	snprintf(fmt, sizeof(fmt), "%s", format);
	enum image_verdict v = IMAGE_OK;
	while (real && v == IMAGE_OK) {
		for (size_t i = 0; i < d->depth; i++)
			if (strcmp(d->chain[i].path, real) == 0) {
				free(real);
				real = NULL;
				v = verdict(d, IMAGE_CORRUPT, "the backing chain loops");
				break;
			}
		if (v == IMAGE_OK && d->depth == IMAGE_MAX_CHAIN) {
			free(real);
			real = NULL;
			v = verdict(d, IMAGE_UNSUPPORTED, "the backing chain is deeper than %d",
			            IMAGE_MAX_CHAIN);
		}
		if (v != IMAGE_OK)
			break;
		char *next = NULL;
		char next_fmt[16] = "";
		v = one_level(real, fmt, topdir, req->allow_backing, d, &next, next_fmt,
		              sizeof(next_fmt));
		real = next;
		memcpy(fmt, next_fmt, sizeof(fmt));
	}
	free(real);
	free(topdir);
	if (v != IMAGE_OK)
		return v;
	snprintf(d->format, sizeof(d->format), "%s", d->chain[0].format);
	d->virtual_size = d->chain[0].virtual_size;
	d->qcow2_version = d->chain[0].qcow2_version;
	if (d->virtual_size < req->min_size)
		return verdict(d, IMAGE_CORRUPT, "its disk is %llu bytes: too small to be a disk image",
		               (unsigned long long)d->virtual_size);
	char *spec = NULL;
	if (append_spec(d, 0, &spec) < 0 || asprintf(&d->qemu_spec, "json:%s", spec) < 0) {
		d->qemu_spec = NULL;
		free(spec);
		return verdict(d, IMAGE_IO, "out of memory");
	}
	free(spec);
	return IMAGE_OK;
}

void image_decision_free(struct image_decision *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->depth; i++)
		free(d->chain[i].path);
	free(d->chain);
	free(d->abs_path);
	free(d->qemu_spec);
	d->chain = NULL;
	d->abs_path = d->qemu_spec = NULL;
	d->depth = 0;
}

/* ---- the cloud's word ---------------------------------------------------------- */

int image_sidecar_format(const char *file, char *buf, size_t size, char *why, size_t why_size)
{
	char path[PATH_MAX];
	int k = snprintf(path, sizeof(path), "%s.json", file);
	if (k < 0 || (size_t)k >= sizeof(path)) {
		snprintf(why, why_size, "'%s.json': path too long", file);
		return -1;
	}
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, why_size, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	json_error_t err;
	json_t *doc = json_loadf(f, 0, &err);
	fclose(f);
	if (!doc) {
		snprintf(why, why_size, "'%s': not JSON: %s (line %d)", path, err.text, err.line);
		return -1;
	}
	/* schema 1 keeps Glance's word in "image"; the file of the version
	 * before had it at the top */
	json_t *v = json_object_get(json_object_get(doc, "image"), "disk_format");
	if (!v || json_is_null(v))
		v = json_object_get(doc, "disk_format");
	if (json_is_null(v))
		v = NULL;
	int rc = 0;
	if (v && !json_is_string(v)) {
		snprintf(why, why_size, "'%s': disk_format is not a string", path);
		rc = -1;
	} else if (v) {
		const char *s = json_string_value(v);
		if (strlen(s) >= size) {
			snprintf(why, why_size, "'%s': disk_format too long", path);
			rc = -1;
		} else {
			memcpy(buf, s, strlen(s) + 1);
			rc = 1;
		}
	}
	json_decref(doc);
	return rc;
}

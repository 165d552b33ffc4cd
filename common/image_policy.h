/* image_policy.h - what a disk image file is, and whether it may be
 * opened, decided by lifeboat from the bytes before qemu or any appliance
 * sees them. One policy for both programs and every reader.
 *
 * qemu follows what a qcow2 header says: a backing file or an external
 * data file is opened on the host, so an image naming /etc/shadow or
 * /dev/sda would show that file to whoever reads the guest's disk. And a
 * raw disk begins with bytes the guest wrote, so a guest can make its raw
 * disk look like such a qcow2. The policy therefore:
 *   - takes the format from the cloud (Glance's disk_format) or the user
 *     when given one, and from the header only otherwise;
 *   - parses the whole qcow2 header and every header extension, bounded
 *     by the first cluster and the file;
 *   - refuses an external data file, a backing file (unless allowed, and
 *     then every level is checked the same way and its format pinned),
 *     encryption, unknown incompatible features, and a truncated or
 *     inconsistent header or table;
 *   - returns a qemu block spec ("json:{...}") that pins the format of
 *     every level and ends the chain with "backing":null, so qemu neither
 *     probes the bytes nor opens any file but the ones decided here. */
#ifndef LIFEBOAT_IMAGE_POLICY_H
#define LIFEBOAT_IMAGE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why an image was refused. IMAGE_OK when it may be opened. */
enum image_verdict {
	IMAGE_OK = 0,
	IMAGE_UNSAFE,      /* it would make qemu read another host file:
	                      a backing file or an external data file */
	IMAGE_UNSUPPORTED, /* encrypted, unknown incompatible features,
	                      unknown version or compression */
	IMAGE_CORRUPT,     /* truncated, or a header or table inconsistent */
	IMAGE_MISMATCH,    /* the expected format is not what the file holds */
	IMAGE_BAD_REQUEST, /* the expected format is none lifeboat opens */
	IMAGE_IO,          /* the file cannot be opened or read */
};

/* The longest backing chain followed with allow_backing. */
#define IMAGE_MAX_CHAIN 16

struct image_request {
	const char *path;           /* the image file */
	/* The format the cloud or the user says the file is: "raw" or
	 * "qcow2" (any other value is IMAGE_BAD_REQUEST), or NULL to decide
	 * from the header. "raw" is opened as raw whatever the bytes say. */
	const char *expected_format;
	/* Follow a qcow2 backing chain, each level resolving inside the
	 * top image's directory and naming its backing file's format. */
	bool allow_backing;
	/* Refuse a file, or a disk, smaller than this many bytes (0: any).
	 * IMAGE_MIN_DISK is the smallest anything readable fits in. */
	uint64_t min_size;
};

/* 2048 bytes: below it neither a partition table with room for a
 * partition nor a filesystem superblock (ext's ends at 2048) fits. */
#define IMAGE_MIN_DISK 2048u

/* One level of the chain, top first. */
struct image_layer {
	char *path;                 /* the real (resolved) path */
	char format[8];             /* "raw" or "qcow2" */
	uint64_t virtual_size;
	uint32_t qcow2_version;     /* 0 for raw */
};

struct image_decision {
	enum image_verdict verdict;
	char format[8];             /* the top's: "raw" or "qcow2" ("" when refused early) */
	uint64_t virtual_size;      /* the guest's disk size in bytes, as qemu
	                               shows it (a raw file's size rounded up
	                               to 512) */
	uint32_t qcow2_version;     /* 2 or 3; 0 for raw */
	bool header_looks_qcow2;    /* the file begins with the qcow2 magic */
	bool dirty;                 /* qcow2 dirty bit (refcounts may be stale) */
	bool marked_corrupt;        /* qcow2 corrupt bit: qemu opens it read-only */
	bool block_device;          /* the top is a block device: always raw */
	char *abs_path;             /* the top's real path */
	/* A qemu block spec for the whole chain, for -drive file=, qemu-nbd,
	 * qemu-img --image-opts, or a backing file name:
	 *   json:{"driver":"qcow2","file":{"driver":"file","filename":"/abs/img"},"backing":null}
	 *   json:{"driver":"raw","file":{"driver":"file","filename":"/abs/img"}}
	 * Only set when verdict is IMAGE_OK. */
	char *qemu_spec;
	struct image_layer *chain;  /* depth entries, the top first */
	size_t depth;
	char why[1024];             /* the reason when refused, "" otherwise */
};

/* Decide about req->path. Always fills *d (verdict, and why when
 * refused); returns d->verdict. Reads the file only (never writes, never
 * runs anything). Every pointer in *d is owned by *d: release them all
 * with image_decision_free(d), which accepts a zeroed or freed *d. */
enum image_verdict image_decide(const struct image_request *req, struct image_decision *d);
void image_decision_free(struct image_decision *d);

/* A short name for a verdict, for messages and JSON: "ok", "unsafe", ... */
const char *image_verdict_name(enum image_verdict v);

/* The format Glance recorded for FILE: the "disk_format" string of the
 * sidecar FILE.json that lifeboat-snap download writes beside it.
 * 1 with buf filled (NUL-terminated), 0 when there is no sidecar or it
 * names no format, -1 when the sidecar cannot be read or parsed (why
 * filled). */
int image_sidecar_format(const char *file, char *buf, size_t size, char *why,
                         size_t why_size);

/* Write s as a JSON string literal (quotes included) into buf; the
 * length written, or -1 when it does not fit. */
int image_json_string(const char *s, char *buf, size_t size);

#endif

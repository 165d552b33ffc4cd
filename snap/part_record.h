/* part_record.h - what a FILE.part is the start of, kept beside it in
 * FILE.part.json, so that only a part of the same image is resumed */
#ifndef SNAP_PART_RECORD_H
#define SNAP_PART_RECORD_H

#include <stdbool.h>
#include <jansson.h>

/* The image a part is (or is to be) a prefix of, and the part's own name
 * (its base name: a record copied beside another part is not its record).
 * All strings borrowed; NULL where Glance gives none. */
struct part_identity {
	const char *part_name;
	const char *image_id;
	long long size;           /* -1 when unknown */
	const char *checksum;     /* md5 */
	const char *hash_algo;    /* os_hash_algo */
	const char *hash_value;   /* os_hash_value */
};

/* What FILE.part.json held, as read. */
struct part_record {
	enum { RECORD_NONE, RECORD_UNTRUSTED, RECORD_READ } state;
	const char *why;          /* RECORD_UNTRUSTED: static reason */
	json_t *doc;              /* RECORD_READ: owned; part_record_clear() */
};

enum part_verdict {
	PART_FRESH,          /* the part is empty: start, nothing to say */
	PART_RESUME,         /* the record names this image: go on from its end */
	PART_NO_RECORD,      /* bytes without a record: start again */
	PART_UNTRUSTED,      /* a record lifeboat-snap did not write: start again */
	PART_OTHER_PART,     /* the record of another part file: start again */
	PART_OTHER_IMAGE,    /* the start of another image: start again */
	PART_CHANGED,        /* this image id with another size or hash: start again */
	PART_TOO_LONG,       /* longer than the image: start again */
};

/* Read path without following a link or blocking on a FIFO; a record that
 * is a link, has other names, is no regular file, is too big or is not a
 * record of this kind is RECORD_UNTRUSTED. 0, or -1 with errno set for an
 * error other than its absence. */
int part_record_read(const char *path, struct part_record *r);
void part_record_clear(struct part_record *r);

/* May a part of have bytes be resumed for want? A pure function of what
 * was read: the decision, testable row by row. */
enum part_verdict part_judge(const struct part_record *r, const struct part_identity *want,
                             long long have);

/* The image id the record names, or NULL (borrowed from r). */
const char *part_record_image(const struct part_record *r);

/* The record of want, as JSON text (caller frees with free()). */
char *part_record_text(const struct part_identity *want, const char *started_at);

/* The largest record that is read; a bigger one is not lifeboat-snap's. */
#define PART_RECORD_MAX 16384

#endif

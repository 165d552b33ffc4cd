/* part_record.c - FILE.part.json: the image a FILE.part is the start of.
 *
 * A sidecar rather than an extended attribute on the part: it works on
 * every filesystem a download may go to (tmpfs on older kernels, NFS,
 * exFAT disks, where user xattrs are missing or dropped), it is seen by
 * ls and read by anyone, and cp or rsync without -X would silently lose an
 * xattr and with it the part's resume. It is written with temp + fsync +
 * rename before the first byte of its image goes into the part, and the
 * part is emptied (and synced) before the record names another image, so
 * that no byte on disk is ever covered by the record of another image. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fileio.h"
#include "part_record.h"

#define RECORD_KIND "lifeboat-snap part"
#define RECORD_VERSION 1

static int untrusted(struct part_record *r, const char *why)
{
	r->state = RECORD_UNTRUSTED;
	r->why = why;
	return 0;
}

int part_record_read(const char *path, struct part_record *r)
{
	memset(r, 0, sizeof(*r));
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == ELOOP)
		return untrusted(r, "a symbolic link");
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	/* a record elsewhere under a second name could say anything of any
	 * part; and only a small regular file is one this program wrote */
	const char *why = !S_ISREG(st.st_mode) ? "no regular file"
	                  : st.st_nlink > 1 ? "a file with other names"
	                  : st.st_size > PART_RECORD_MAX ? "larger than any record" : NULL;
	if (why) {
		close(fd);
		return untrusted(r, why);
	}
	char *buf = malloc(PART_RECORD_MAX + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	ssize_t n = pread_full(fd, buf, PART_RECORD_MAX + 1, 0); /* a regular file */
	int saved = errno;
	close(fd);
	if (n < 0) {
		free(buf);
		errno = saved;
		return -1;
	}
	json_t *doc = n > PART_RECORD_MAX ? NULL : json_loadb(buf, (size_t)n, 0, NULL);
	free(buf);
	if (n > PART_RECORD_MAX)
		return untrusted(r, "larger than any record"); /* it grew meanwhile */
	const char *kind = json_string_value(json_object_get(doc, "record"));
	if (!json_is_object(doc) || !kind || strcmp(kind, RECORD_KIND) != 0 ||
	    json_integer_value(json_object_get(doc, "version")) != RECORD_VERSION) {
		json_decref(doc);
		return untrusted(r, "not a record of a part");
	}
	r->state = RECORD_READ;
	r->doc = doc;
	return 0;
}

void part_record_clear(struct part_record *r)
{
	json_decref(r->doc);
	r->doc = NULL;
	r->state = RECORD_NONE;
}

/* Equal as strings, NULL (or a JSON null) being equal only to NULL. */
static bool same_text(const json_t *v, const char *want)
{
	const char *have = json_string_value(v);
	if (!want)
		return json_is_null(v);
	return have && strcmp(have, want) == 0;
}

const char *part_record_image(const struct part_record *r)
{
	if (r->state != RECORD_READ)
		return NULL;
	return json_string_value(json_object_get(r->doc, "image_id"));
}

enum part_verdict part_judge(const struct part_record *r, const struct part_identity *want,
                             long long have)
{
	if (have <= 0)
		return PART_FRESH;
	if (r->state == RECORD_NONE)
		return PART_NO_RECORD;
	if (r->state == RECORD_UNTRUSTED)
		return PART_UNTRUSTED;
	const json_t *d = r->doc;
	if (!same_text(json_object_get(d, "part"), want->part_name))
		return PART_OTHER_PART;
	if (!same_text(json_object_get(d, "image_id"), want->image_id))
		return PART_OTHER_IMAGE;
	const json_t *size = json_object_get(d, "size");
	if (!json_is_integer(size) || json_integer_value(size) != want->size ||
	    !same_text(json_object_get(d, "checksum"), want->checksum) ||
	    !same_text(json_object_get(d, "os_hash_algo"), want->hash_algo) ||
	    !same_text(json_object_get(d, "os_hash_value"), want->hash_value))
		return PART_CHANGED;
	if (want->size >= 0 && have > want->size)
		return PART_TOO_LONG;
	return PART_RESUME;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

char *part_record_text(const struct part_identity *want, const char *started_at)
{
	json_t *j = json_pack("{s:s, s:i, s:o, s:o, s:I, s:o, s:o, s:o, s:o}",
	                      "record", RECORD_KIND, "version", RECORD_VERSION,
	                      "part", str_or_null(want->part_name),
	                      "image_id", str_or_null(want->image_id),
	                      "size", (json_int_t)want->size,
	                      "checksum", str_or_null(want->checksum),
	                      "os_hash_algo", str_or_null(want->hash_algo),
	                      "os_hash_value", str_or_null(want->hash_value),
	                      "started_at", str_or_null(started_at));
	char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	return text;
}

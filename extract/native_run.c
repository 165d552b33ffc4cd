/* native_run.c - the native reader for a command: the image policy first,
 * then the reader (in a sandboxed child where it can be), its meta entry
 * checked, and auto's fall back to the appliance said in one line */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "exit.h"
#include "image.h"
#include "native_run.h"
#include "sandbox.h"

int reader_choice_parse(const char *s, int *out)
{
	static const char *const names[] = { "auto", "native", "appliance" };
	for (int i = 0; i < 3; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = i;
			return 0;
		}
	return -1;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The first entry: the meta document, bounded, valid JSON. */
static json_t *read_meta(struct reader *r, char *why, size_t size)
{
	struct entry e;
	int rc = r->next(r, &e);
	if (rc != 1) {
		snprintf(why, size, "%s", rc < 0 ? r->error(r) : "no description of the image");
		return NULL;
	}
	if (e.type != ENT_FILE || strcmp(e.path, "lifeboat-meta.json") != 0 || e.size < 0 ||
	    e.size > NATIVE_META_MAX) {
		snprintf(why, size, "the native reader's first entry is not its description");
		return NULL;
	}
	char *text = malloc((size_t)e.size + 1);
	size_t got = 0;
	const void *buf;
	size_t len;
	int64_t off;
	while (text && (rc = r->data(r, &buf, &len, &off)) == 1) {
		if (off < 0 || (uint64_t)off != got || len > (size_t)e.size - got) {
			rc = -1;
			break;
		}
		memcpy(text + got, buf, len);
		got += len;
	}
	json_t *doc = NULL;
	if (text && rc == 0 && got == (size_t)e.size)
		doc = json_loadb(text, got, 0, NULL);
	free(text);
	if (!json_is_object(doc)) {
		json_decref(doc);
		snprintf(why, size, "the native reader's description of the image is malformed%s%s",
		         rc < 0 ? ": " : "", rc < 0 ? r->error(r) : "");
		return NULL;
	}
	return doc;
}

/* In the child, before its filter: the disk opened (qemu-nbd started),
 * partitions and filesystems read, the path found. */
static struct reader *open_in_child(void *arg, char *why, size_t size)
{
	return native_open(arg, why, size);
}

/* libext2fs parses the image in a confined child; what it sends is
 * checked by the parent before anyone sees it. */
static struct reader *start_reader(const struct native_request *req, char *why, size_t size)
{
	struct sandbox_limits lim = {
		.address_space = 1ULL << 30,  /* caches of 8 MiB, buffers of 1 MiB */
		.cpu_seconds = 3600,
		.wall_seconds = 120,          /* without a frame: a hang */
		.want_data = 1,               /* the meta entry has data, even for ls */
	};
	return sandbox_start(open_in_child, (void *)req, &lim, why, size);
}

struct reader *native_start(const struct xcli *cli, enum native_op op, const char *path,
                            const char *prefix, json_t **meta, int *rc)
{
	*meta = NULL;
	*rc = XT_OK;
	if (cli->reader == READER_APPLIANCE)
		return NULL;
	const char *image = cli->args[0];
	struct image_info info;
	char why[1024];
	/* the one image policy, before anything opens the image */
	int prc = image_probe(image, cli->guest.format, cli->guest.allow_backing, &info, why,
	                      sizeof(why));
	if (prc != XT_OK) {
		fprintf(stderr, "lifeboat-extract: '%s': %s\n", image, why);
		*rc = prc;
		return NULL;
	}
	if (info.backing[0]) {
		snprintf(why, sizeof(why), NATIVE_UNSUPPORTED "the image has a backing file");
	} else {
		struct native_request req = { .image = image, .format = info.format,
		                              .filesystem = cli->guest.filesystem, .op = op,
		                              .path = path, .prefix = prefix ? prefix : "",
		                              .recursive = cli->recursive };
		struct reader *r = start_reader(&req, why, sizeof(why));
		if (r && (*meta = read_meta(r, why, sizeof(why))))
			return r;
		if (r) {
			char ignored[256];
			r->close(r, ignored, sizeof(ignored));
		}
	}
	if (starts(why, NATIVE_NOT_FOUND)) {
		fprintf(stderr, "lifeboat-extract: %s\n", why + strlen(NATIVE_NOT_FOUND));
		*rc = XT_NOT_FOUND;
		return NULL;
	}
	const char *reason = starts(why, NATIVE_UNSUPPORTED) ? why + strlen(NATIVE_UNSUPPORTED) : why;
	if (cli->reader == READER_NATIVE) {
		fprintf(stderr, "lifeboat-extract: the native reader cannot read '%s': %s\n", image,
		        reason);
		*rc = starts(why, NATIVE_UNSUPPORTED) ? XT_FAIL : XT_BAD_IMAGE;
		return NULL;
	}
	fprintf(stderr, "lifeboat-extract: using the appliance: %s\n", reason);
	return NULL;
}

void native_print_mounts(const json_t *meta)
{
	size_t i;
	json_t *dev;
	json_array_foreach(json_object_get(meta, "mounted"), i, dev)
		fprintf(stderr, "lifeboat-extract: %s mounted: its files are %s/...\n",
		        json_string_value(dev), json_string_value(dev));
}

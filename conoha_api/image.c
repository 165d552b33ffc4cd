/* image.c - Glance v2: images, their properties, ConoHa's image quota */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client.h"

#define IMAGES_PAGE_SIZE 100

void conoha_image_clear(struct conoha_image *img)
{
	if (!img)
		return;
	free(img->id), free(img->name), free(img->status), free(img->checksum);
	free(img->hash_algo), free(img->hash_value), free(img->created_at);
	free(img->server_id), free(img->server_name), free(img->lb_created_at);
	free(img->reason), free(img->consistency), free(img->disk_format), free(img->owner);
	json_decref(img->raw);
	memset(img, 0, sizeof(*img));
}

void conoha_image_list_free(struct conoha_image_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		conoha_image_clear(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

int conoha_image_status_is_terminal(const char *status)
{
	static const char *const terminal[] = { "killed", "deleted", "pending_delete",
	                                        "deactivated" };
	for (size_t i = 0; status && i < ARRAY_SIZE(terminal); i++)
		if (strcmp(status, terminal[i]) == 0)
			return 1;
	return 0;
}

static char *str_or_null(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v && *v ? strdup(v) : NULL;
}

void image_from_json(json_t *j, struct conoha_image *img)
{
	memset(img, 0, sizeof(*img));
	img->id = str_or_null(j, "id");
	img->name = str_or_null(j, "name");
	img->status = str_or_null(j, "status");
	json_t *size = json_object_get(j, "size");
	img->size = json_is_integer(size) ? json_integer_value(size) : -1;
	img->checksum = str_or_null(j, "checksum");
	img->hash_algo = str_or_null(j, "os_hash_algo");
	img->hash_value = str_or_null(j, "os_hash_value");
	img->created_at = str_or_null(j, "created_at");
	img->server_id = str_or_null(j, "lifeboat.server_id");
	img->server_name = str_or_null(j, "lifeboat.server_name");
	img->lb_created_at = str_or_null(j, "lifeboat.created_at");
	img->reason = str_or_null(j, "lifeboat.reason");
	img->consistency = str_or_null(j, "lifeboat.consistency");
	img->disk_format = str_or_null(j, "disk_format");
	img->owner = str_or_null(j, "owner");
	img->raw = json_incref(j);
}

static char *image_path(const char *id, const char *suffix)
{
	return resource_path("v2/images/", id, suffix);
}

int conoha_image_get(conoha_client *c, const char *id, struct conoha_image *out,
                     conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	char what[160];
	snprintf(what, sizeof(what), "cannot show image '%s'", id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "image", "GET", "v2/images/", id, "", NULL, &doc, what, err);
	if (rc == 0 && !json_is_object(doc))
		rc = set_error(err, CONOHA_ERR_PROTOCOL, "%s: not an image record", what);
	if (rc == 0)
		image_from_json(doc, out);
	json_decref(doc);
	return rc;
}

static int append_images(void *userdata, json_t *images, conoha_error *err)
{
	struct conoha_image_list *out = userdata;
	size_t n = json_array_size(images);
	if (n == 0)
		return 0;
	struct conoha_image *items = realloc(out->items, (out->count + n) * sizeof(*items));
	if (!items)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	out->items = items;
	for (size_t i = 0; i < n; i++)
		image_from_json(json_array_get(images, i), &items[out->count++]);
	return 0;
}

int conoha_image_list(conoha_client *c, struct conoha_image_list *out,
                      conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	int rc = api_list_all(c, "image", "v2/images", "images", IMAGES_PAGE_SIZE,
	                      append_images, out, "cannot list images", err);
	if (rc < 0)
		conoha_image_list_free(out);
	return rc;
}

int conoha_image_set_properties(conoha_client *c, const char *id,
                                const struct conoha_kv *props, size_t n,
                                conoha_error *err)
{
	json_t *ops = json_array();
	for (size_t i = 0; i < n; i++) {
		char *ptr = xasprintf("/%s", props[i].key);
		json_array_append_new(ops, json_pack("{s:s, s:s?, s:s}", "op", "add", "path", ptr,
		                                     "value", props[i].value));
		free(ptr);
	}
	static const struct http_header patch_type[] = {
		{ "Content-Type", "application/openstack-images-v2.1-json-patch" },
	};
	char *path = image_path(id, "");
	char what[160];
	snprintf(what, sizeof(what), "cannot set properties of image '%s'", id);
	json_t *doc = NULL;
	int rc = path ? api_json(c, "image", "PATCH", path, ops, patch_type, 1, &doc, what, err)
	              : set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	json_decref(doc);
	json_decref(ops);
	free(path);
	return rc;
}

int conoha_image_delete(conoha_client *c, const char *id, conoha_error *err)
{
	char what[160];
	snprintf(what, sizeof(what), "cannot delete image '%s'", id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "image", "DELETE", "v2/images/", id, "", NULL, &doc, what, err);
	json_decref(doc);
	return rc;
}

/* "550GB", "50GB", "1TB": ConoHa's quota strings. Units are read as
 * decimal, the smaller reading, so a check errs towards refusing. */
static int parse_size(const char *s, long long *bytes)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	char *end;
	long long n = strtoll(s, &end, 10);
	if (errno)
		return -1;
	while (*end == ' ')
		end++;
	static const struct { const char *unit; long long mult; } units[] = {
		{ "", 1 }, { "B", 1 }, { "KB", 1000LL }, { "MB", 1000000LL },
		{ "GB", 1000000000LL }, { "TB", 1000000000000LL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (strcasecmp(end, units[i].unit) == 0) {
			if (n > LLONG_MAX / units[i].mult)
				return -1;
			*bytes = n * units[i].mult;
			return 0;
		}
	return -1;
}

/* The quota object has one key, "image_size" on VPS 3.0 and
 * "<region>_image_size" on the legacy regions. */
int quota_from_json(const json_t *doc, long long *quota)
{
	const char *key;
	json_t *val;
	json_object_foreach(json_object_get(doc, "quota"), key, val) {
		size_t kl = strlen(key);
		if (kl >= 10 && strcmp(key + kl - 10, "image_size") == 0)
			return parse_size(json_string_value(val), quota);
	}
	return -1;
}

/* Only the project's own images count against its quota: the public
 * images every project sees belong to someone else. */
static long long sum_image_sizes(const struct conoha_image_list *list, const char *project)
{
	long long total = 0;
	for (size_t i = 0; i < list->count; i++) {
		const struct conoha_image *img = &list->items[i];
		if (img->size > 0 && project && img->owner && strcmp(img->owner, project) == 0)
			total += img->size;
	}
	return total;
}

int conoha_image_quota(conoha_client *c, long long *quota, long long *used,
                       conoha_error *err)
{
	json_t *doc = NULL;
	if (api_json(c, "image", "GET", "v2/quota", NULL, NULL, 0, &doc,
	             "cannot read the image quota", err) < 0)
		return -1;
	int rc = quota_from_json(doc, quota);
	json_decref(doc);
	if (rc < 0)
		return set_error(err, CONOHA_ERR_PROTOCOL, "unreadable image quota");
	/* Usage from the images themselves: the shape of ConoHa's
	 * /v2/images/total answer is not documented. */
	struct conoha_image_list list;
	if (conoha_image_list(c, &list, err) < 0)
		return -1;
	*used = sum_image_sizes(&list, client_project_id(c));
	conoha_image_list_free(&list);
	return 0;
}

int conoha_save_size_gb(conoha_client *c, const struct conoha_server *srv, char **boot_volume,
                        long long *gb, conoha_error *err)
{
	*gb = -1;
	if (boot_volume)
		*boot_volume = NULL;
	if (!srv->image_id) { /* volume-backed: the boot volume is uploaded */
		char *volume = NULL;
		int rc = conoha_server_boot_volume(c, srv->id, &volume, gb, err);
		if (boot_volume)
			*boot_volume = volume;
		else
			free(volume);
		return rc;
	}
	if (srv->disk_gb >= 0) {
		*gb = srv->disk_gb;
		return 0;
	}
	return srv->flavor_id ? conoha_flavor_disk_gb(c, srv->flavor_id, gb, err) : 0;
}

long long conoha_gb_bytes(long long gb)
{
	return gb > LLONG_MAX / 1000000000LL ? LLONG_MAX : gb * 1000000000LL;
}

int conoha_quota_exceeded(long long quota, long long used, long long need)
{
	return used > quota || need > quota - used;
}

struct download {
	const struct conoha_download_sink *sink;
	long long offset;
};

static int download_begin(void *userdata, long status, const char *content_range)
{
	struct download *d = userdata;
	long long start = 0;
	if (status == 206) {
		/* "bytes 1000-1999/2000": trust the server's word on where
		 * its data starts, not our request. */
		if (!content_range || sscanf(content_range, "bytes %lld-", &start) != 1)
			start = d->offset;
	}
	return d->sink->begin ? d->sink->begin(d->sink->userdata, status, start) : 0;
}

static size_t download_data(void *userdata, const char *data, size_t len)
{
	struct download *d = userdata;
	return d->sink->data(d->sink->userdata, data, len) == 0 ? len : 0;
}

int conoha_image_download(conoha_client *c, const char *id, long long offset,
                          const struct conoha_download_sink *sink, conoha_error *err)
{
	char *path = image_path(id, "/file");
	if (!path)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	char range[64];
	snprintf(range, sizeof(range), "bytes=%lld-", offset);
	struct http_header hdrs[] = { { "Range", range } };
	struct download d = { .sink = sink, .offset = offset };
	struct api_sink as = { .data = download_data, .begin = download_begin, .userdata = &d };
	struct http_response resp;
	int rc = api_stream(c, "image", "GET", path, NULL, offset > 0 ? hdrs : NULL,
	                    offset > 0 ? 1 : 0, &as, &resp, err);
	free(path);
	if (rc == 0 && resp.status == 204)
		rc = set_error(err, CONOHA_ERR_NOT_FOUND, "image '%s' has no data to download", id);
	else if (rc == 0 && (resp.status < 200 || resp.status > 299)) {
		char what[160];
		snprintf(what, sizeof(what), "cannot download image '%s'", id);
		rc = set_http_error(err, resp.status, resp.body, resp.len, resp.request_id, what);
	}
	http_response_free(&resp);
	return rc;
}

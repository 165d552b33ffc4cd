/* volume.c - Cinder: the boot volume of a server, and saving it as an image */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client.h"

static int get_volume(conoha_client *c, const char *id, json_t **out, conoha_error *err)
{
	char what[160];
	snprintf(what, sizeof(what), "cannot show volume '%s'", id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "block-storage", "GET", "volumes/", id, "", NULL, &doc, what, err);
	if (rc == 0 && !json_is_object(json_object_get(doc, "volume")))
		rc = set_error(err, CONOHA_ERR_PROTOCOL, "%s: no \"volume\" in the answer", what);
	if (rc == 0)
		*out = doc;
	else
		json_decref(doc);
	return rc;
}

/* Cinder says "true" as a string; be lenient with a real boolean too. */
static bool volume_is_bootable(const json_t *vol)
{
	json_t *b = json_object_get(vol, "bootable");
	if (json_is_boolean(b))
		return json_is_true(b);
	const char *s = json_string_value(b);
	return s && strcasecmp(s, "true") == 0;
}

void conoha_volume_clear(struct conoha_volume *v)
{
	if (!v)
		return;
	free(v->id), free(v->status), free(v->device);
	memset(v, 0, sizeof(*v));
}

void conoha_volume_list_free(struct conoha_volume_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		conoha_volume_clear(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

void volume_from_json(const json_t *v, const char *device, struct conoha_volume *out)
{
	memset(out, 0, sizeof(*out));
	out->id = xstrdup(json_string_value(json_object_get(v, "id")));
	out->status = xstrdup(json_string_value(json_object_get(v, "status")));
	out->device = xstrdup(device);
	out->size_gb = json_integer_value(json_object_get(v, "size"));
	out->bootable = volume_is_bootable(v);
}

int conoha_volume_get(conoha_client *c, const char *id, struct conoha_volume *out,
                      conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	json_t *doc = NULL;
	if (get_volume(c, id, &doc, err) < 0)
		return -1;
	volume_from_json(json_object_get(doc, "volume"), NULL, out);
	json_decref(doc);
	return 0;
}

int conoha_volume_delete(conoha_client *c, const char *id, conoha_error *err)
{
	char what[160];
	snprintf(what, sizeof(what), "cannot delete volume '%s'", id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "block-storage", "DELETE", "volumes/", id, "", NULL, &doc, what, err);
	json_decref(doc);
	return rc;
}

int conoha_server_volumes(conoha_client *c, const char *server_id,
                          struct conoha_volume_list *out, conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	json_t *doc = NULL;
	int rc = api_json_at(c, "compute", "GET", "servers/", server_id, "/os-volume_attachments",
	                     NULL, &doc, "cannot list the server's volumes", err);
	json_t *atts = json_object_get(doc, "volumeAttachments");
	size_t n = json_array_size(atts);
	if (rc == 0 && n > 0 && !(out->items = calloc(n, sizeof(*out->items))))
		rc = set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *att = json_array_get(atts, i);
		const char *vid = json_string_value(json_object_get(att, "volumeId"));
		json_t *vol = NULL;
		if (!vid)
			continue;
		rc = get_volume(c, vid, &vol, err);
		if (rc == 0)
			volume_from_json(json_object_get(vol, "volume"),
			                 json_string_value(json_object_get(att, "device")),
			                 &out->items[out->count++]);
		json_decref(vol);
	}
	json_decref(doc);
	if (rc < 0)
		conoha_volume_list_free(out);
	return rc;
}

/* With several bootable volumes attached, the boot disk is the one on the
 * first device: /dev/vda before /dev/vdb. */
int conoha_server_boot_volume(conoha_client *c, const char *server_id,
                              char **volume_id, long long *size_gb,
                              conoha_error *err)
{
	*volume_id = NULL;
	struct conoha_volume_list vols;
	if (conoha_server_volumes(c, server_id, &vols, err) < 0)
		return -1;
	const struct conoha_volume *best = NULL;
	for (size_t i = 0; i < vols.count; i++) {
		const struct conoha_volume *v = &vols.items[i];
		if (v->bootable && (!best || (v->device && (!best->device ||
		                                             strcmp(v->device, best->device) < 0))))
			best = v;
	}
	int rc = 0;
	if (!best)
		rc = set_error(err, CONOHA_ERR_NOT_FOUND,
		               "server '%s' boots from no image and has no bootable volume "
		               "attached: nothing to save", server_id);
	else if (!(*volume_id = strdup(best->id)))
		rc = set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	else if (size_gb)
		*size_gb = best->size_gb;
	conoha_volume_list_free(&vols);
	return rc;
}

int conoha_volume_upload_image(conoha_client *c, const char *volume_id,
                               const char *name, char **image_id, conoha_error *err)
{
	*image_id = NULL;
	json_t *body = json_pack("{s:{s:s, s:s, s:s}}", "os-volume_upload_image",
	                         "image_name", name, "disk_format", "qcow2",
	                         "container_format", "bare");
	char what[160];
	snprintf(what, sizeof(what), "cannot save volume '%s' as an image", volume_id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "block-storage", "POST", "volumes/", volume_id, "/action", body,
	                     &doc, what, err);
	json_decref(body);
	if (rc < 0)
		return -1;
	const char *id = json_string_value(
		json_object_get(json_object_get(doc, "os-volume_upload_image"), "image_id"));
	if (id)
		*image_id = strdup(id);
	else
		rc = set_error(err, CONOHA_ERR_PROTOCOL,
		               "%s: the cloud accepted the request but named no image", what);
	json_decref(doc);
	return rc;
}

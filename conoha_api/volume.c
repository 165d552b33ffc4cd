/* volume.c - Cinder: the boot volume of a server, and saving it as an image */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "client.h"

struct attachment {
	const char *volume_id;
	const char *device;
};

static int get_volume(conoha_client *c, const char *id, json_t **out, conoha_error *err)
{
	char *esc = url_escape(id);
	char *path = esc ? xasprintf("volumes/%s", esc) : NULL;
	free(esc);
	if (!path)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	char what[160];
	snprintf(what, sizeof(what), "cannot show volume '%s'", id);
	json_t *doc = NULL;
	int rc = api_json(c, "block-storage", "GET", path, NULL, NULL, 0, &doc, what, err);
	free(path);
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

/* With several bootable volumes attached, the boot disk is the one on the
 * first device: /dev/vda before /dev/vdb. */
static bool device_before(const char *a, const char *b)
{
	if (!a)
		return false;
	if (!b)
		return true;
	return strcmp(a, b) < 0;
}

int conoha_server_boot_volume(conoha_client *c, const char *server_id,
                              char **volume_id, long long *size_gb,
                              conoha_error *err)
{
	*volume_id = NULL;
	char *esc = url_escape(server_id);
	char *path = esc ? xasprintf("servers/%s/os-volume_attachments", esc) : NULL;
	free(esc);
	if (!path)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	json_t *doc = NULL;
	int rc = api_json(c, "compute", "GET", path, NULL, NULL, 0, &doc,
	                  "cannot list the server's volumes", err);
	free(path);
	if (rc < 0)
		return -1;
	const char *best_dev = NULL;
	size_t i;
	json_t *att;
	json_array_foreach(json_object_get(doc, "volumeAttachments"), i, att) {
		const char *vid = json_string_value(json_object_get(att, "volumeId"));
		const char *dev = json_string_value(json_object_get(att, "device"));
		json_t *vol = NULL;
		if (!vid)
			continue;
		if (get_volume(c, vid, &vol, err) < 0) {
			rc = -1;
			break;
		}
		json_t *v = json_object_get(vol, "volume");
		if (volume_is_bootable(v) && (!*volume_id || device_before(dev, best_dev))) {
			free(*volume_id);
			*volume_id = strdup(vid);
			best_dev = dev;
			if (size_gb)
				*size_gb = json_integer_value(json_object_get(v, "size"));
		}
		json_decref(vol);
	}
	json_decref(doc);
	if (rc == 0 && !*volume_id)
		rc = set_error(err, CONOHA_ERR_NOT_FOUND,
		               "server '%s' boots from no image and has no bootable volume "
		               "attached: nothing to save", server_id);
	if (rc < 0) {
		free(*volume_id);
		*volume_id = NULL;
	}
	return rc;
}

int conoha_volume_upload_image(conoha_client *c, const char *volume_id,
                               const char *name, char **image_id, conoha_error *err)
{
	*image_id = NULL;
	char *esc = url_escape(volume_id);
	char *path = esc ? xasprintf("volumes/%s/action", esc) : NULL;
	free(esc);
	if (!path)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	json_t *body = json_pack("{s:{s:s, s:s, s:s}}", "os-volume_upload_image",
	                         "image_name", name, "disk_format", "qcow2",
	                         "container_format", "bare");
	char what[160];
	snprintf(what, sizeof(what), "cannot save volume '%s' as an image", volume_id);
	json_t *doc = NULL;
	int rc = api_json(c, "block-storage", "POST", path, body, NULL, 0, &doc, what, err);
	json_decref(body);
	free(path);
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

/* fuzz_image.c - Glance's image documents (one image, or {"images": [...]})
 * and ConoHa's image quota ({"quota": {"image_size": "550GB"}}) */
#include "fuzz.h"
#include "client.h"

static void one(json_t *j)
{
	struct conoha_image img;
	image_from_json(j, &img);
	(void)conoha_image_status_is_terminal(img.status);
	conoha_image_clear(&img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	json_t *list = json_object_get(root, "images");
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
		one(v);
	if (!list)
		one(root);
	long long quota;
	(void)quota_from_json(root, &quota);
	json_decref(root);
	return 0;
}

/* fuzz_volume.c - Cinder's volume documents ({"volume": {...}}) and Nova's
 * volume attachments ({"volumeAttachments": [...]}) that name them */
#include "fuzz.h"
#include "client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	struct conoha_volume v;
	json_t *vol = json_object_get(root, "volume");
	volume_from_json(vol ? vol : root, "/dev/vda", &v);
	conoha_volume_clear(&v);
	size_t i;
	json_t *att;
	json_array_foreach(json_object_get(root, "volumeAttachments"), i, att) {
		volume_from_json(att, json_string_value(json_object_get(att, "device")), &v);
		conoha_volume_clear(&v);
	}
	json_decref(root);
	return 0;
}

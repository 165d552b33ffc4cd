/* fuzz_receipt.c - FILE.retire.json as a rerun of retire reads it back:
 * who is being retired, its volumes, which steps are done, and a receipt
 * of the version before brought to schema 1. The receipt's
 * reader works on retire.c's private state, so this file includes
 * retire.c itself (the same source, not a copy) and links the rest of
 * snap/ without main.c. */
#include "fuzz.h"
#include "../../snap/retire.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *receipt = json_loadb((const char *)data, size, 0, NULL);
	if (!receipt)
		return 0;
	struct cli cli = { .volumes_ok = size % 2 == 1 };
	struct retire r = { .cli = &cli, .file = "fuzz.qcow2", .receipt = receipt };
	snprintf(r.receipt_path, sizeof(r.receipt_path), "%s.retire.json", r.file);
	receipt_upgrade(receipt); /* a receipt of the version before */
	read_identity(&r);
	(void)check_data_volumes(&r);
	static const char *const steps[] = { "snapshot", "download", "delete", "boot volume" };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		(void)step_done(&r, steps[i]);
	json_decref(receipt);
	return 0;
}

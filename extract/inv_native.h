/* inv_native.h - the inventory's source over the native reader */
#ifndef EXTRACT_INV_NATIVE_H
#define EXTRACT_INV_NATIVE_H

#include "cli.h"
#include "inventory.h"

/* A source reading CLI's image natively. NULL when the native reader is
 * not used: *rc is then XT_OK when the appliance should be (auto; the
 * reason printed in one line), else an exit code (the error printed).
 * Free with inv_native_source_free. */
struct inv_source *inv_native_source(const struct xcli *cli, int *rc);
/* Why the walk failed in the native reader itself, not the inventory. */
enum inv_native_fail {
	INV_NATIVE_NONE,
	INV_NATIVE_FALLBACK,  /* it cannot read the image: the appliance (already said) */
	INV_NATIVE_EXIT,      /* the image is refused: exit with *rc (already said) */
	INV_NATIVE_MIDWAY,    /* it failed on the way: say why; auto may try the appliance */
};
enum inv_native_fail inv_native_failure(const struct inv_source *s, int *rc);
void inv_native_source_free(struct inv_source *s);

#endif

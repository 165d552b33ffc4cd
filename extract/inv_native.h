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
/* The walk or a read failed in the native reader itself (not the
 * inventory): with --reader=auto the appliance may do better. */
bool inv_native_failed(const struct inv_source *s);
void inv_native_source_free(struct inv_source *s);

#endif

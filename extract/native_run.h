/* native_run.h - which reader a command uses: --reader=auto|native|appliance,
 * and the native reader started for a command */
#ifndef EXTRACT_NATIVE_RUN_H
#define EXTRACT_NATIVE_RUN_H

#include <jansson.h>
#include "entry.h"
#include "reader_native.h"

struct xcli;

enum reader_choice { READER_AUTO, READER_NATIVE, READER_APPLIANCE };

/* "auto", "native" or "appliance" to *out: 0, or -1 when it is none. */
int reader_choice_parse(const char *s, int *out);

/* Start the native reader for OP on PATH. Returns the reader, its meta
 * entry already read into *meta (caller json_decrefs it), when the native
 * reader is used. NULL when it is not: *rc is then XT_OK when the
 * appliance should be used instead (auto; the reason printed in one line),
 * else an exit code (the error printed). */
struct reader *native_start(const struct xcli *cli, enum native_op op, const char *path,
                            const char *prefix, json_t **meta, int *rc);

/* Print what a data disk's several filesystems are called, as the
 * appliance does when it mounts them. */
void native_print_mounts(const json_t *meta);

#endif

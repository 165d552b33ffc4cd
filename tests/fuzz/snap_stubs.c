/* snap_stubs.c - what snap/main.c gives the rest of lifeboat-snap, for the
 * targets that link snap/ without its main(): messages go nowhere */
#include "../../snap/cli.h"

void complain(const char *fmt, ...)
{
	(void)fmt;
}

void report(const conoha_error *err)
{
	(void)err;
}

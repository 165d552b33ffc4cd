/* snap_stubs.c - what snap/main.c gives the rest of lifeboat-snap, for the
 * targets that link snap/ without its main(): messages go nowhere */
#include <signal.h>
#include "../../snap/cli.h"

volatile sig_atomic_t snap_interrupted;

int sleep_interruptible(long ms)
{
	(void)ms;
	return 0;
}

void complain(const char *fmt, ...)
{
	(void)fmt;
}

void report(const conoha_error *err)
{
	(void)err;
}

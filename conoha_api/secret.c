/* secret.c - memory that once held a password or token is wiped on free */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void secret_free(void *p)
{
	if (!p)
		return;
	/* The usable size covers the whole block, so nothing of the secret
	 * survives past the string's own terminator either. */
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

char *secret_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* json_doc.c - one document per run, named and versioned as lifeboat-snap's */
#include <stdio.h>
#include "json_doc.h"

int print_json_doc(const char *command, json_t *doc)
{
	json_t *out = doc ? json_pack("{s:i, s:s}", "schema", 1, "command", command) : NULL;
	int rc = out && json_object_update(out, doc) == 0 ? 0 : -1;
	json_decref(doc);
	if (rc == 0)
		rc = json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(out);
	if (rc == 0 && fputc('\n', stdout) == EOF)
		rc = -1;
	return fflush(stdout) == 0 ? rc : -1;
}

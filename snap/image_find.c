/* image_find.c - IMAGE by id, else by a name that only one image has */
#include <stdio.h>
#include <string.h>
#include "exit.h"
#include "image_find.h"

static int by_name(conoha_client *c, const char *arg, struct conoha_image *out)
{
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_image_list list = { 0 };
	if (conoha_image_list(c, &list, &err) < 0)
		return fail_with(&err);
	size_t n = 0, found = 0;
	for (size_t i = 0; i < list.count; i++)
		if (list.items[i].name && strcmp(list.items[i].name, arg) == 0) {
			found = i;
			n++;
		}
	int rc = EXIT_OK;
	if (n == 0) {
		complain("no image with the id or name '%s': IMAGE must be an id or a unique "
		         "name; see 'lifeboat-snap list' (--all for every image)", arg);
		rc = EXIT_NOT_FOUND;
	} else if (n > 1) {
		complain("'%s' names %zu images; give one of their ids:", arg, n);
		for (size_t i = 0; i < list.count; i++)
			if (list.items[i].name && strcmp(list.items[i].name, arg) == 0)
				fprintf(stderr, "  %s  %s  %s\n", list.items[i].id,
				        list.items[i].created_at ? list.items[i].created_at : "?",
				        list.items[i].status ? list.items[i].status : "?");
		rc = EXIT_AMBIGUOUS;
	} else {
		*out = list.items[found];
		memset(&list.items[found], 0, sizeof(list.items[found]));
	}
	conoha_image_list_free(&list);
	return rc;
}

int image_find(conoha_client *c, const char *arg, struct conoha_image *out)
{
	memset(out, 0, sizeof(*out));
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_image_get(c, arg, out, &err) == 0)
		return EXIT_OK;
	conoha_image_clear(out);
	if (err.kind != CONOHA_ERR_NOT_FOUND)
		return fail_with(&err);
	return by_name(c, arg, out);
}

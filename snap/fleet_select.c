/* fleet_select.c - which servers a many-server run takes: pure, so that
 * it is tested on its own */
#include <fnmatch.h>
#include <string.h>
#include "fleet.h"

bool fleet_has_selectors(const struct fleet_opts *o)
{
	return o->all || o->n_match || o->n_props;
}

bool fleet_selects(const struct fleet_opts *o, const char *name, const char *raw_name,
                   const json_t *metadata)
{
	if (!fleet_has_selectors(o))
		return false;
	bool named = o->n_match == 0;
	for (size_t i = 0; i < o->n_match && !named; i++)
		named = (name && fnmatch(o->match[i], name, 0) == 0) ||
		        (raw_name && fnmatch(o->match[i], raw_name, 0) == 0);
	if (!named)
		return false;
	for (size_t i = 0; i < o->n_props; i++) {
		const char *eq = strchr(o->props[i], '=');
		if (!eq)
			return false;
		char key[256];
		size_t klen = (size_t)(eq - o->props[i]);
		if (klen >= sizeof(key))
			return false;
		memcpy(key, o->props[i], klen);
		key[klen] = '\0';
		const char *v = json_string_value(json_object_get(metadata, key));
		if (!v || strcmp(v, eq + 1) != 0)
			return false;
	}
	return true;
}


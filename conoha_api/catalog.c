/* catalog.c - the service catalog, v3 and v2.0 shapes, and choosing in it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

struct alias {
	const char *alias;
	const char *canonical;
};

/* Service-types authority names, plus the historical ones clouds still
 * publish (ConoHa's catalog says "volumev2"/"volumev3"). */
static const struct alias service_aliases[] = {
	{ "volumev3", "block-storage" }, { "volumev2", "block-storage" },
	{ "volume", "block-storage" },   { "block-store", "block-storage" },
	{ "image", "image" },            { "compute", "compute" },
	{ "identity", "identity" },      { "block-storage", "block-storage" },
	{ "network", "network" },
};

const char *service_type_canonical(const char *type)
{
	for (size_t i = 0; i < ARRAY_SIZE(service_aliases); i++)
		if (strcmp(type, service_aliases[i].alias) == 0)
			return service_aliases[i].canonical;
	return type;
}

void catalog_free(struct catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->count; i++) {
		struct catalog_entry *e = &cat->entries[i];
		free(e->type), free(e->interface), free(e->region), free(e->url);
	}
	free(cat->entries);
	cat->entries = NULL;
	cat->count = 0;
}

static int add_entry(struct catalog *cat, const char *type, const char *interface,
                     const char *region, const char *url, conoha_error *err)
{
	struct catalog_entry *n = realloc(cat->entries, (cat->count + 1) * sizeof(*n));
	if (!n)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	cat->entries = n;
	struct catalog_entry *e = &n[cat->count];
	e->type = strdup(type);
	e->interface = strdup(interface);
	e->region = strdup(region ? region : "");
	e->url = strdup(url);
	cat->count++;
	if (!e->type || !e->interface || !e->region || !e->url)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	return 0;
}

int catalog_parse_v3(const json_t *catalog, struct catalog *out, conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_array(catalog))
		return set_error(err, CONOHA_ERR_PROTOCOL, "token has no service catalog");
	size_t i, j;
	json_t *svc, *ep;
	json_array_foreach(catalog, i, svc) {
		const char *type = json_string_value(json_object_get(svc, "type"));
		json_t *eps = json_object_get(svc, "endpoints");
		if (!type || !json_is_array(eps))
			continue;
		json_array_foreach(eps, j, ep) {
			const char *iface = json_string_value(json_object_get(ep, "interface"));
			const char *url = json_string_value(json_object_get(ep, "url"));
			const char *region = json_string_value(json_object_get(ep, "region_id"));
			if (!region)
				region = json_string_value(json_object_get(ep, "region"));
			if (!iface || !url)
				continue;
			if (add_entry(out, type, iface, region, url, err) < 0)
				return -1;
		}
	}
	return 0;
}

int catalog_parse_v2(const json_t *catalog, struct catalog *out, conoha_error *err)
{
	static const struct { const char *key, *interface; } ifaces[] = {
		{ "publicURL", "public" },
		{ "internalURL", "internal" },
		{ "adminURL", "admin" },
	};
	memset(out, 0, sizeof(*out));
	if (!json_is_array(catalog))
		return set_error(err, CONOHA_ERR_PROTOCOL, "token has no service catalog");
	size_t i, j;
	json_t *svc, *ep;
	json_array_foreach(catalog, i, svc) {
		const char *type = json_string_value(json_object_get(svc, "type"));
		json_t *eps = json_object_get(svc, "endpoints");
		if (!type || !json_is_array(eps))
			continue;
		json_array_foreach(eps, j, ep) {
			const char *region = json_string_value(json_object_get(ep, "region"));
			for (size_t k = 0; k < ARRAY_SIZE(ifaces); k++) {
				const char *url = json_string_value(json_object_get(ep, ifaces[k].key));
				if (url && add_entry(out, type, ifaces[k].interface, region, url, err) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static const char *interface_canonical(const char *iface)
{
	if (!iface || !*iface || strcmp(iface, "publicURL") == 0)
		return "public";
	if (strcmp(iface, "internalURL") == 0)
		return "internal";
	if (strcmp(iface, "adminURL") == 0)
		return "admin";
	return iface;
}

/* Within one region, the newest API wins: volumev3 over volumev2. */
static int type_rank(const char *type)
{
	static const char *const order[] = { "volumev2", "volume" };
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (strcmp(type, order[i]) == 0)
			return (int)i + 1;
	return 0;
}

static bool entry_matches(const struct catalog_entry *e, const char *type,
                          const char *iface, const char *region)
{
	if (strcmp(service_type_canonical(e->type), type) != 0)
		return false;
	if (strcmp(e->interface, iface) != 0)
		return false;
	return !region || strcmp(e->region, region) == 0;
}

const char *catalog_select(const struct catalog *cat, const char *type,
                           const char *interface, const char *region,
                           conoha_error *err)
{
	const char *want = service_type_canonical(type);
	const char *iface = interface_canonical(interface);
	if (region && !*region)
		region = NULL;
	const struct catalog_entry *found = NULL;
	char regions[256] = "";
	size_t used = 0;
	size_t matches = 0;
	for (size_t i = 0; i < cat->count; i++) {
		const struct catalog_entry *e = &cat->entries[i];
		if (!entry_matches(e, want, iface, region))
			continue;
		/* Several entries of one region (volumev2 and volumev3 both
		 * listed, say) are not ambiguous; several regions are. */
		if (found && strcmp(found->region, e->region) == 0) {
			if (type_rank(e->type) < type_rank(found->type))
				found = e;
			continue;
		}
		matches++;
		int n = snprintf(regions + used, sizeof(regions) - used, "%s'%s'",
		                 used ? ", " : "", e->region);
		if (n > 0 && (size_t)n < sizeof(regions) - used)
			used += (size_t)n;
		if (!found)
			found = e;
	}
	if (matches == 1)
		return found->url;
	if (matches > 1) {
		set_error(err, CONOHA_ERR_AMBIGUOUS,
		          "the catalog has a %s endpoint in several regions (%s): "
		          "choose one with --os-region-name or OS_REGION_NAME", want, regions);
		return NULL;
	}
	if (region)
		set_error(err, CONOHA_ERR_NOT_FOUND,
		          "the catalog has no %s %s endpoint in region '%s'", iface, want, region);
	else
		set_error(err, CONOHA_ERR_NOT_FOUND, "the catalog has no %s %s endpoint",
		          iface, want);
	return NULL;
}

bool catalog_has_region(const struct catalog *cat, const char *region, char *buf,
                        size_t size)
{
	bool found = false;
	size_t used = 0;
	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < cat->count; i++) {
		const char *r = cat->entries[i].region;
		if (region && strcmp(r, region) == 0)
			found = true;
		bool seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(cat->entries[j].region, r) == 0;
		if (seen || used >= size)
			continue;
		int n = snprintf(buf + used, size - used, "%s'%s'", used ? ", " : "", r);
		if (n > 0 && (size_t)n < size - used)
			used += (size_t)n;
	}
	return found;
}

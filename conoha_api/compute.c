/* compute.c - Nova: servers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"

#define SERVERS_PAGE_SIZE 100

static void server_free(struct conoha_server *s)
{
	free(s->id), free(s->name), free(s->raw_name), free(s->status);
	free(s->task_state), free(s->flavor), free(s->image_id);
}

void conoha_server_list_free(struct conoha_server_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		server_free(&list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static char *json_strdup(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v && *v ? strdup(v) : NULL;
}

/* A volume-backed server has "image": "" (or {} on some clouds). */
static char *boot_image_id(const json_t *server)
{
	json_t *image = json_object_get(server, "image");
	if (json_is_object(image))
		return json_strdup(image, "id");
	return NULL;
}

/* Flavors are embedded by id before microversion 2.47, by name after. */
static char *flavor_name(const json_t *server)
{
	json_t *flavor = json_object_get(server, "flavor");
	char *name = json_strdup(flavor, "original_name");
	return name ? name : json_strdup(flavor, "id");
}

static int server_from_json(const json_t *j, struct conoha_server *s, conoha_error *err)
{
	memset(s, 0, sizeof(*s));
	s->id = json_strdup(j, "id");
	if (!s->id)
		return set_error(err, CONOHA_ERR_PROTOCOL, "a server without an id");
	s->raw_name = json_strdup(j, "name");
	char *tag = json_strdup(json_object_get(j, "metadata"), "instance_name_tag");
	s->name = tag ? tag : xstrdup(s->raw_name);
	s->status = json_strdup(j, "status");
	s->task_state = json_strdup(j, "OS-EXT-STS:task_state");
	s->flavor = flavor_name(j);
	s->image_id = boot_image_id(j);
	return 0;
}

static int append_page(struct conoha_server_list *out, const json_t *servers,
                       conoha_error *err)
{
	size_t n = json_array_size(servers);
	if (n == 0)
		return 0;
	struct conoha_server *items = realloc(out->items, (out->count + n) * sizeof(*items));
	if (!items)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	out->items = items;
	for (size_t i = 0; i < n; i++) {
		if (server_from_json(json_array_get(servers, i), &items[out->count], err) < 0) {
			server_free(&items[out->count]);
			return -1;
		}
		out->count++;
	}
	return 0;
}

static bool has_next_link(const json_t *page)
{
	size_t i;
	json_t *link;
	json_array_foreach(json_object_get(page, "servers_links"), i, link) {
		const char *rel = json_string_value(json_object_get(link, "rel"));
		if (rel && strcmp(rel, "next") == 0)
			return true;
	}
	return false;
}

int conoha_servers_list(conoha_client *c, struct conoha_server_list *out,
                        conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	char *marker = NULL;
	int rc = 0;
	for (;;) {
		char *esc = marker ? url_escape(marker) : NULL;
		char *path = esc ? xasprintf("servers/detail?limit=%d&marker=%s",
		                             SERVERS_PAGE_SIZE, esc)
		                 : xasprintf("servers/detail?limit=%d", SERVERS_PAGE_SIZE);
		free(esc);
		json_t *page = NULL;
		rc = path ? api_json(c, "compute", "GET", path, NULL, NULL, 0, &page,
		                     "cannot list servers", err)
		          : set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
		free(path);
		if (rc < 0)
			break;
		json_t *servers = json_object_get(page, "servers");
		size_t before = out->count;
		rc = json_is_array(servers) ? append_page(out, servers, err)
		                            : set_error(err, CONOHA_ERR_PROTOCOL,
		                                        "server list without \"servers\"");
		/* Follow pages by marker: the next link may name a host we
		 * cannot reach (an internal API address behind a proxy). */
		bool more = rc == 0 && out->count > before &&
		            (has_next_link(page) ||
		             out->count - before >= SERVERS_PAGE_SIZE);
		json_decref(page);
		if (!more)
			break;
		const char *last = out->items[out->count - 1].id;
		if (marker && strcmp(marker, last) == 0) {
			rc = set_error(err, CONOHA_ERR_PROTOCOL,
			               "the server list repeats itself at marker '%s'", marker);
			break;
		}
		free(marker);
		marker = strdup(last);
	}
	free(marker);
	if (rc < 0)
		conoha_server_list_free(out);
	return rc;
}

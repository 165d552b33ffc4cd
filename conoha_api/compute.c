/* compute.c - Nova: servers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "client.h"

#define SERVERS_PAGE_SIZE 100

void conoha_server_clear(struct conoha_server *s)
{
	if (!s)
		return;
	free(s->id), free(s->name), free(s->raw_name), free(s->status);
	free(s->task_state), free(s->flavor), free(s->flavor_id), free(s->image_id);
	memset(s, 0, sizeof(*s));
}

void conoha_server_list_free(struct conoha_server_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		conoha_server_clear(&list->items[i]);
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

int server_from_json(const json_t *j, struct conoha_server *s, conoha_error *err)
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
	json_t *flavor = json_object_get(j, "flavor");
	s->flavor_id = json_strdup(flavor, "id");
	json_t *disk = json_object_get(flavor, "disk");
	s->disk_gb = json_is_integer(disk) ? json_integer_value(disk) : -1;
	s->image_id = boot_image_id(j);
	return 0;
}

static int append_page(void *userdata, json_t *servers, conoha_error *err)
{
	struct conoha_server_list *out = userdata;
	size_t n = json_array_size(servers);
	if (n == 0)
		return 0;
	struct conoha_server *items = realloc(out->items, (out->count + n) * sizeof(*items));
	if (!items)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	out->items = items;
	for (size_t i = 0; i < n; i++) {
		if (server_from_json(json_array_get(servers, i), &items[out->count], err) < 0) {
			conoha_server_clear(&items[out->count]);
			return -1;
		}
		out->count++;
	}
	return 0;
}

int conoha_servers_list(conoha_client *c, struct conoha_server_list *out,
                        conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	int rc = api_list_all(c, "compute", "servers/detail", "servers", SERVERS_PAGE_SIZE,
	                      append_page, out, "cannot list servers", err);
	if (rc < 0)
		conoha_server_list_free(out);
	return rc;
}

int conoha_server_get(conoha_client *c, const char *id, struct conoha_server *out,
                      conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	char what[160];
	snprintf(what, sizeof(what), "cannot show server '%s'", id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "compute", "GET", "servers/", id, "", NULL, &doc, what, err);
	if (rc == 0) {
		json_t *srv = json_object_get(doc, "server");
		rc = srv ? server_from_json(srv, out, err)
		         : set_error(err, CONOHA_ERR_PROTOCOL, "%s: no \"server\" in the answer", what);
	}
	json_decref(doc);
	return rc;
}

int conoha_looks_like_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (strlen(s) != sizeof(shape) - 1)
		return 0;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == '-' ? s[i] != '-' : !strchr("0123456789abcdefABCDEF", s[i]))
			return 0;
	return 1;
}

static int pick_by_name(struct conoha_server_list *all, const char *name,
                        struct conoha_server *out, conoha_error *err)
{
	size_t found = 0, first = 0;
	char ids[320] = "";
	size_t used = 0;
	for (size_t i = 0; i < all->count; i++) {
		const struct conoha_server *s = &all->items[i];
		if (strcmp(s->id, name) != 0 && !(s->name && strcmp(s->name, name) == 0) &&
		    !(s->raw_name && strcmp(s->raw_name, name) == 0))
			continue;
		if (found++ == 0)
			first = i;
		int n = snprintf(ids + used, sizeof(ids) - used, "%s%s", used ? ", " : "", s->id);
		if (n > 0 && (size_t)n < sizeof(ids) - used)
			used += (size_t)n;
	}
	if (found == 0)
		return set_error(err, CONOHA_ERR_NOT_FOUND, "no server named '%s'", name);
	if (found > 1)
		return set_error(err, CONOHA_ERR_AMBIGUOUS,
		                 "%zu servers are named '%s' (%s): name one by id", found, name, ids);
	*out = all->items[first];
	/* The list keeps ownership of nothing it handed over. */
	memmove(&all->items[first], &all->items[first + 1],
	        (all->count - first - 1) * sizeof(all->items[0]));
	all->count--;
	return 0;
}

int conoha_server_find(conoha_client *c, const char *id_or_name,
                       struct conoha_server *out, conoha_error *err)
{
	memset(out, 0, sizeof(*out));
	if (conoha_looks_like_uuid(id_or_name)) {
		if (conoha_server_get(c, id_or_name, out, err) == 0)
			return 0;
		if (err->kind != CONOHA_ERR_NOT_FOUND)
			return -1;
	}
	struct conoha_server_list all;
	if (conoha_servers_list(c, &all, err) < 0)
		return -1;
	int rc = pick_by_name(&all, id_or_name, out, err);
	conoha_server_list_free(&all);
	return rc;
}

static int server_action(conoha_client *c, const char *id, json_t *body,
                         const char *what, struct http_response *resp,
                         conoha_error *err)
{
	char *path = resource_path("servers/", id, "/action");
	int rc = path ? api_request(c, "compute", "POST", path, body, NULL, 0, resp, err)
	              : set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	free(path);
	json_decref(body);
	if (rc == 0 && (resp->status < 200 || resp->status > 299)) {
		char msg[160];
		snprintf(msg, sizeof(msg), "cannot %s server '%s'", what, id);
		rc = set_http_error(err, resp->status, resp->body, resp->len, resp->request_id, msg);
	}
	return rc;
}

static int simple_action(conoha_client *c, const char *id, json_t *body, const char *what,
                         conoha_error *err)
{
	struct http_response resp;
	int rc = server_action(c, id, body, what, &resp, err);
	http_response_free(&resp);
	return rc;
}

int conoha_server_stop(conoha_client *c, const char *id, int force, conoha_error *err)
{
	json_t *body = force ? json_pack("{s:{s:b}}", "os-stop", "force_shutdown", 1)
	                     : json_pack("{s:n}", "os-stop");
	return simple_action(c, id, body, "stop", err);
}

int conoha_server_start(conoha_client *c, const char *id, conoha_error *err)
{
	return simple_action(c, id, json_pack("{s:n}", "os-start"), "start", err);
}

/* Before microversion 2.45 the id is only in Location, whose host and
 * path prefix vary (Glance's own "/images/ID" without "/v2"): take the
 * last path segment, never the URL. */
static char *image_id_from_location(const char *location)
{
	if (!location)
		return NULL;
	size_t n = strcspn(location, "?#");
	while (n > 0 && location[n - 1] == '/')
		n--;
	size_t start = n;
	while (start > 0 && location[start - 1] != '/')
		start--;
	return n > start ? strndup(location + start, n - start) : NULL;
}

int conoha_server_create_image(conoha_client *c, const char *server_id,
                               const char *name, const struct conoha_kv *meta,
                               size_t n_meta, char **image_id, conoha_error *err)
{
	*image_id = NULL;
	json_t *md = json_object();
	for (size_t i = 0; i < n_meta; i++)
		json_object_set_new(md, meta[i].key, json_string(meta[i].value));
	json_t *body = json_pack("{s:{s:s, s:o}}", "createImage", "name", name, "metadata", md);
	struct http_response resp;
	if (server_action(c, server_id, body, "save an image of", &resp, err) < 0) {
		http_response_free(&resp);
		return -1;
	}
	json_t *doc = resp.len ? json_loadb(resp.body, resp.len, 0, NULL) : NULL;
	const char *from_body = json_string_value(json_object_get(doc, "image_id"));
	*image_id = from_body ? strdup(from_body) : image_id_from_location(resp.location);
	json_decref(doc);
	int rc = 0;
	if (!*image_id)
		rc = set_error(err, CONOHA_ERR_PROTOCOL,
		               "the cloud accepted the image save of '%s' but named no image "
		               "(no image_id in the body, no Location header)", server_id);
	http_response_free(&resp);
	return rc;
}

int conoha_flavor_disk_gb(conoha_client *c, const char *flavor_id, long long *gb,
                          conoha_error *err)
{
	json_t *doc = NULL;
	int rc = api_json_at(c, "compute", "GET", "flavors/", flavor_id, "", NULL, &doc,
	                     "cannot show the server's flavor", err);
	json_t *disk = json_object_get(json_object_get(doc, "flavor"), "disk");
	if (rc == 0 && !json_is_integer(disk))
		rc = set_error(err, CONOHA_ERR_PROTOCOL, "flavor '%s' has no disk size", flavor_id);
	if (rc == 0)
		*gb = json_integer_value(disk);
	json_decref(doc);
	return rc;
}

int conoha_server_record(conoha_client *c, const char *id, json_t **out,
                         conoha_error *err)
{
	*out = NULL;
	json_t *doc = NULL;
	int rc = api_json_at(c, "compute", "GET", "servers/", id, "", NULL, &doc,
	                     "cannot show the server", err);
	json_t *srv = json_object_get(doc, "server");
	if (rc == 0 && !json_is_object(srv))
		rc = set_error(err, CONOHA_ERR_PROTOCOL, "no \"server\" in the answer");
	if (rc == 0)
		*out = json_incref(srv);
	json_decref(doc);
	return rc;
}

int conoha_server_delete(conoha_client *c, const char *id, conoha_error *err)
{
	char what[160];
	snprintf(what, sizeof(what), "cannot delete server '%s'", id);
	json_t *doc = NULL;
	int rc = api_json_at(c, "compute", "DELETE", "servers/", id, "", NULL, &doc, what, err);
	json_decref(doc);
	return rc;
}

/* Actions after which the guest may have run and written to its disk. */
static bool action_runs_guest(const char *action)
{
	static const char *const running[] = { "start", "reboot", "resume", "unpause",
	                                        "unshelve", "rebuild", "rescue", "unrescue",
	                                        "evacuate", "restore" };
	for (size_t i = 0; action && i < ARRAY_SIZE(running); i++)
		if (strcmp(action, running[i]) == 0)
			return true;
	return false;
}

/* The server's instance actions: *actions is Nova's list (borrowed from
 * *doc, which the caller frees), or NULL, with 0 returned, when the cloud
 * hides them (403, 404: what is left to go by is the power state) or
 * gives no list. */
static int list_actions(conoha_client *c, const char *id, json_t **doc, json_t **actions,
                        conoha_error *err)
{
	*doc = *actions = NULL;
	char what[160];
	snprintf(what, sizeof(what), "cannot list the actions of server '%s'", id);
	if (api_json_at(c, "compute", "GET", "servers/", id, "/os-instance-actions", NULL, doc,
	                what, err) < 0) {
		json_decref(*doc);
		*doc = NULL;
		if (err->http_status == 403 || err->http_status == 404) {
			conoha_error_clear(err);
			return 0;
		}
		return -1;
	}
	json_t *list = json_object_get(*doc, "instanceActions");
	*actions = json_is_array(list) ? list : NULL;
	return 0;
}

int conoha_server_started_since(conoha_client *c, const char *id, time_t since,
                                int *started, conoha_error *err)
{
	*started = -1;
	json_t *doc, *actions;
	if (list_actions(c, id, &doc, &actions, err) < 0)
		return -1;
	if (actions)
		*started = 0;
	size_t i;
	json_t *a;
	json_array_foreach(actions, i, a) {
		const char *name = json_string_value(json_object_get(a, "action"));
		const char *at = json_string_value(json_object_get(a, "start_time"));
		time_t t;
		if (!action_runs_guest(name))
			continue;
		/* an unreadable time is taken as "after": the safe reading */
		if (!at || conoha_parse_iso8601(at, &t) < 0 || t > since)
			*started = 1;
		else if (t == since && *started == 0)
			*started = 2;
	}
	json_decref(doc);
	return 0;
}

int conoha_server_run_mark(conoha_client *c, const char *id, char **mark, conoha_error *err)
{
	*mark = NULL;
	json_t *doc, *actions;
	if (list_actions(c, id, &doc, &actions, err) < 0)
		return -1;
	if (!actions) {
		json_decref(doc);
		return 0;
	}
	size_t n = 0, i;
	json_t *a;
	const char *newest = "", *newest_req = "";
	json_array_foreach(actions, i, a) {
		const char *at = json_string_value(json_object_get(a, "start_time"));
		const char *req = json_string_value(json_object_get(a, "request_id"));
		if (!action_runs_guest(json_string_value(json_object_get(a, "action"))))
			continue;
		n++;
		/* one format throughout Nova's answer: the strings order as times */
		if (at && strcmp(at, newest) > 0) {
			newest = at;
			newest_req = req ? req : "";
		}
	}
	*mark = xasprintf("%zu %s %s", n, newest, newest_req);
	json_decref(doc);
	return *mark ? 0 : set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
}

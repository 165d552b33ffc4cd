/* cmd_servers.c - "lifeboat-snap servers" */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "exit.h"
#include "table.h"

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static json_t *servers_json(const struct conoha_server_list *list)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < list->count; i++)
		json_array_append_new(arr, json_server(&list->items[i]));
	json_t *doc = json_doc("servers");
	json_object_set_new(doc, "servers", arr);
	return doc;
}

static void servers_text(const struct conoha_server_list *list)
{
	static const struct table_col cols[] = {
		{ "ID", 0, 0 }, { "NAME", 32, 0 }, { "STATUS", 12, 0 }, { "FLAVOR", 20, 0 },
		{ "BOOT", 0, 0 },
	};
	struct table *t = table_new(cols, 5);
	for (size_t i = 0; i < list->count; i++) {
		const struct conoha_server *s = &list->items[i];
		const char *row[] = { s->id, or_dash(s->name), or_dash(s->status),
		                      or_dash(s->flavor), s->image_id ? "image" : "volume" };
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

int cmd_servers(struct cli *cli)
{
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server_list list = { 0 };
	int rc = EXIT_OK;
	conoha_client *c = session_open(cli, &err);
	if (!c || conoha_servers_list(c, &list, &err) < 0) {
		report(&err);
		rc = exit_code_for(&err);
	} else if (cli->json) {
		json_put(servers_json(&list));
	} else {
		servers_text(&list);
	}
	conoha_server_list_free(&list);
	conoha_client_free(c);
	return rc;
}

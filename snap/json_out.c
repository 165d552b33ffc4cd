/* json_out.c - the documents --json prints (man/lifeboat-json.7) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"
#include "exit.h"
#include "json_out.h"

static json_t *pending;  /* the command's document */
static json_t *messages; /* what was said on stderr, in order */

json_t *json_doc(const char *command)
{
	return json_pack("{s:i, s:s}", "schema", LIFEBOAT_JSON_SCHEMA, "command",
	                 command ? command : "");
}

void json_put(json_t *doc)
{
	if (!doc)
		return;
	json_decref(pending);
	pending = doc;
}

void json_note(const char *message)
{
	if (!messages)
		messages = json_array();
	if (messages && json_array_size(messages) < 64)
		json_array_append_new(messages, json_string(message));
}

/* The first message that is not a warning: the cause, said first. */
static const char *first_error(void)
{
	size_t i;
	json_t *m;
	json_array_foreach(messages, i, m) {
		const char *s = json_string_value(m);
		if (s && strncasecmp(s, "warning", 7) != 0)
			return s;
	}
	return NULL;
}

int json_finish(const struct cli *cli, int rc)
{
	json_t *doc = pending;
	pending = NULL;
	if (!cli->json || rc == EXIT_USAGE) {
		json_decref(doc);
		json_decref(messages);
		messages = NULL;
		return rc;
	}
	if (!doc)
		doc = json_doc(cli->command);
	if (cli->format == FORMAT_VALUE) {
		/* -f value: the rows alone; a failure is told on stderr only */
		char why[256];
		int out = 0;
		if (rc == EXIT_OK && doc && json_print_value(stdout, doc, cli->columns,
		                                             cli->n_columns, why, sizeof(why)) < 0) {
			complain("%s", why);
			rc = EXIT_USAGE;
		}
		json_decref(doc);
		json_decref(messages);
		messages = NULL;
		if (fflush(stdout) != 0)
			out = -1;
		return rc == EXIT_OK && out < 0 ? EXIT_FAIL : rc;
	}
	if (doc && rc != EXIT_OK) {
		const char *msg = first_error();
		json_object_set_new(doc, "error",
		                    json_pack("{s:i, s:s, s:o}", "exit_status", rc, "message",
		                              msg ? msg : "failed", "messages",
		                              messages ? json_incref(messages) : json_array()));
	}
	json_decref(messages);
	messages = NULL;
	int out = doc ? json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : -1;
	json_decref(doc);
	if (out == 0)
		out = fputc('\n', stdout) == EOF ? -1 : 0;
	if (fflush(stdout) != 0)
		out = -1;
	return rc == EXIT_OK && out < 0 ? EXIT_FAIL : rc;
}

json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *json_image_hashes(const struct conoha_image *img)
{
	json_t *h = json_object();
	if (h && img->hash_algo && img->hash_value)
		json_object_set_new(h, img->hash_algo, json_string(img->hash_value));
	if (h && img->checksum && !json_object_get(h, "md5"))
		json_object_set_new(h, "md5", json_string(img->checksum));
	return h;
}

json_t *json_image(const struct conoha_image *img)
{
	return json_pack("{s:s?, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o}",
	                 "id", img->id, "name", json_str_or_null(img->name),
	                 "status", json_str_or_null(img->status),
	                 "size", img->size >= 0 ? json_integer(img->size) : json_null(),
	                 "disk_format", json_str_or_null(img->disk_format),
	                 "created_at", json_str_or_null(img->created_at),
	                 "hashes", json_image_hashes(img),
	                 "lifeboat", img->server_id != NULL,
	                 "server_id", json_str_or_null(img->server_id),
	                 "server_display_name", json_str_or_null(img->server_name),
	                 "saved_at", json_str_or_null(img->lb_created_at),
	                 "consistency", json_str_or_null(img->consistency),
	                 "reason", json_str_or_null(img->reason));
}

json_t *json_server(const struct conoha_server *s)
{
	const char *nova = s->raw_name ? s->raw_name : s->name;
	return json_pack("{s:s?, s:o, s:o, s:o, s:o, s:o, s:s, s:o}",
	                 "id", s->id, "name", json_str_or_null(nova),
	                 "display_name", json_str_or_null(s->name ? s->name : nova),
	                 "status", json_str_or_null(s->status),
	                 "task_state", json_str_or_null(s->task_state),
	                 "flavor", json_str_or_null(s->flavor),
	                 "boot_source", s->image_id ? "image" : "volume",
	                 "image_id", json_str_or_null(s->image_id));
}

const char *sidecar_image_id(const json_t *sidecar)
{
	const char *id = json_string_value(json_object_get(json_object_get(sidecar, "image"), "id"));
	return id ? id : json_string_value(json_object_get(sidecar, "image_id"));
}

const char *sidecar_sha512(const json_t *sidecar)
{
	const char *h = json_string_value(json_object_get(json_object_get(sidecar, "hashes"),
	                                                  "sha512"));
	if (h)
		return h;
	/* the flat file of the version before: "algorithm": "sha512", "hash" */
	const char *algo = json_string_value(json_object_get(sidecar, "algorithm"));
	return !algo || strcmp(algo, "sha512") == 0 ? json_string_value(json_object_get(sidecar, "hash"))
	                                            : NULL;
}

/* The receipt of the version before had no schema, its image Glance's
 * os_hash_* fields and its local copy a bare sha512; what retire reads
 * back (server, volumes, steps, image_id, images) has not changed. */
void receipt_upgrade(json_t *receipt)
{
	if (!json_is_object(receipt) || json_object_get(receipt, "schema"))
		return;
	json_object_set_new(receipt, "schema", json_integer(LIFEBOAT_JSON_SCHEMA));
	json_object_set_new(receipt, "command", json_string("retire"));
	json_t *srv = json_object_get(receipt, "server");
	if (json_is_object(srv) && !json_object_get(srv, "task_state"))
		json_object_set_new(srv, "task_state", json_null());
	json_t *old = json_object_get(receipt, "image");
	if (json_is_object(old) && !json_object_get(old, "hashes")) {
		json_t *size = json_object_get(old, "size");
		struct conoha_image img = {
			.id = (char *)json_string_value(json_object_get(old, "id")),
			.size = json_is_integer(size) ? json_integer_value(size) : -1,
			.created_at = (char *)json_string_value(json_object_get(old, "created_at")),
			.hash_algo = (char *)json_string_value(json_object_get(old, "os_hash_algo")),
			.hash_value = (char *)json_string_value(json_object_get(old, "os_hash_value")),
			.checksum = (char *)json_string_value(json_object_get(old, "checksum")),
			.consistency = (char *)json_string_value(json_object_get(old, "consistency")),
			.server_id = (char *)json_string_value(json_object_get(srv, "id")),
		};
		json_t *now = img.id ? json_image(&img) : NULL;
		if (now)
			json_object_set_new(receipt, "image", now);
		else
			json_object_del(receipt, "image");
	}
	json_t *local = json_object_get(receipt, "local");
	const char *sha = json_string_value(json_object_get(local, "sha512"));
	if (json_is_object(local) && sha && !json_object_get(local, "hashes")) {
		json_object_set_new(local, "hashes", json_pack("{s:s}", "sha512", sha));
		json_object_del(local, "sha512");
	}
}

/* ---- -f value ------------------------------------------------------------ */

static const json_t *rows_of(const json_t *doc)
{
	static const char *const lists[] = { "servers", "images" };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (json_is_array(json_object_get(doc, lists[i])))
			return json_object_get(doc, lists[i]);
	if (json_is_array(json_object_get(doc, "would_delete"))) /* prune */
		return json_object_get(doc, json_is_true(json_object_get(doc, "dry_run")) ?
		                            "would_delete" : "deleted");
	const json_t *img = json_object_get(doc, "image");
	return json_is_object(img) ? img : doc;
}

/* a.b.c inside row; NULL when some part is missing */
static const json_t *field_at(const json_t *row, const char *path)
{
	char part[128];
	while (row && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		row = json_object_get(row, part);
		path += n + (path[n] == '.');
	}
	return row;
}

static void print_scalar(FILE *out, const json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), out);
	else if (v && !json_is_null(v)) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (text)
			fputs(text, out);
		free(text);
	}
}

static void print_row(FILE *out, const json_t *row, const char *const *columns, size_t n)
{
	bool first = true;
	if (n == 0) {
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)row, key, v) {
			if (json_is_object(v) || json_is_array(v))
				continue;
			if (!first)
				fputc(' ', out);
			print_scalar(out, v);
			first = false;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(' ', out);
		print_scalar(out, field_at(row, columns[i]));
	}
	fputc('\n', out);
}

int json_print_value(FILE *out, const json_t *doc, const char *const *columns, size_t n,
                     char *why, size_t why_size)
{
	const json_t *rows = rows_of(doc);
	size_t count = json_is_array(rows) ? json_array_size(rows) : 1;
	for (size_t r = 0; r < count; r++) {
		const json_t *row = json_is_array(rows) ? json_array_get(rows, r) : rows;
		for (size_t i = 0; i < n; i++)
			if (!field_at(row, columns[i])) {
				snprintf(why, why_size, "-c %s: no such column (the fields are "
				         "those of lifeboat-json(7))", columns[i]);
				return -1;
			}
	}
	for (size_t r = 0; r < count; r++)
		print_row(out, json_is_array(rows) ? json_array_get(rows, r) : rows, columns, n);
	return 0;
}

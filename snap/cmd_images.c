/* cmd_images.c - "wait", "show", "list" and "prune": lifeboat's images */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "exit.h"
#include "image_find.h"
#include "table.h"

/* {"image": ...}, and Glance's whole record as "glance" when given */
static json_t *image_doc(const char *command, const struct conoha_image *img, json_t *raw)
{
	json_t *doc = json_doc(command);
	json_object_set_new(doc, "image", json_image(img));
	if (raw)
		json_object_set(doc, "glance", raw);
	return doc;
}

int cmd_wait(struct cli *cli)
{
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct conoha_image img = { 0 };
	struct deadline d;
	deadline_start(&d, cli->timeout_s);
	/* an image that is not there now is not one being saved: 404 at once */
	rc = image_find(c, cli->args[0], &img);
	if (rc == EXIT_OK) {
		char *id = strdup(img.id);
		conoha_image_clear(&img);
		rc = id ? wait_for_image(c, &d, id, NULL, &img) : EXIT_FAIL;
		free(id);
	}
	if (rc == EXIT_OK) {
		if (cli->json)
			json_put(image_doc("wait", &img, NULL));
		else
			printf("%s\n", img.id);
	}
	conoha_image_clear(&img);
	conoha_client_free(c);
	return rc;
}

int cmd_show(struct cli *cli)
{
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct conoha_image img = { 0 };
	rc = image_find(c, cli->args[0], &img);
	if (rc == EXIT_OK && cli->json)
		json_put(image_doc("show", &img, img.raw));
	else if (rc == EXIT_OK)
		image_show_text(&img);
	conoha_image_clear(&img);
	conoha_client_free(c);
	return rc;
}

/* ---- selecting and ordering ------------------------------------------ */

const char *image_time(const struct conoha_image *img)
{
	return img->lb_created_at ? img->lb_created_at : img->created_at ? img->created_at : "";
}

static int newest_first(const void *a, const void *b)
{
	const struct conoha_image *x = a, *y = b;
	int by_time = strcmp(image_time(y), image_time(x));
	return by_time ? by_time : strcmp(y->id ? y->id : "", x->id ? x->id : "");
}

/* An id names one server only, as it does to Nova: never the images of
 * another server whose name happens to be that id. */
static bool belongs_to(const struct conoha_image *img, const char *server)
{
	if (!img->server_id)
		return false;
	return strcmp(img->server_id, server) == 0 ||
	       (!conoha_looks_like_uuid(server) && img->server_name &&
	        strcmp(img->server_name, server) == 0);
}

/* Keep the images that match (lifeboat's unless all), newest first. The
 * others are freed. */
static void select_images(struct conoha_image_list *list, const char *server, bool all)
{
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++) {
		struct conoha_image *img = &list->items[i];
		bool keep = server ? belongs_to(img, server) : (all || img->server_id);
		if (keep)
			list->items[kept++] = *img;
		else
			conoha_image_clear(img);
	}
	list->count = kept;
	if (kept > 1)
		qsort(list->items, list->count, sizeof(list->items[0]), newest_first);
}

/* A name shared by images of different servers must not be guessed. */
static int check_one_server(const struct conoha_image_list *list, const char *server)
{
	const char *first = NULL;
	for (size_t i = 0; i < list->count; i++) {
		const char *id = list->items[i].server_id;
		if (strcmp(id, server) == 0)
			return EXIT_OK;
		if (!first)
			first = id;
		else if (strcmp(first, id) != 0) {
			complain("images of several servers are named '%s' (%s, %s, ...): "
			         "name the server by id", server, first, id);
			return EXIT_AMBIGUOUS;
		}
	}
	return EXIT_OK;
}

static void list_text(const struct conoha_image_list *list)
{
	static const struct table_col cols[] = {
		{ "ID", 0, 0 }, { "SERVER", 24, 0 }, { "CREATED", 0, 0 }, { "STATUS", 12, 0 },
		{ "SIZE", 0, 1 }, { "HASHES", 0, 0 }, { "REASON", 40, 0 },
	};
	struct table *t = table_new(cols, 7);
	for (size_t i = 0; i < list->count; i++) {
		const struct conoha_image *img = &list->items[i];
		char size[32] = "-";
		if (img->size >= 0)
			human_size(img->size, size, sizeof(size));
		const char *row[] = { img->id, img->server_name ? img->server_name : "-",
		                      image_time(img), img->status ? img->status : "-", size,
		                      image_hashes_label(img), img->reason ? img->reason : "" };
		table_add(t, row);
	}
	table_print(t, stdout);
	table_free(t);
}

int load_images(struct cli *cli, conoha_client *c, const char *server,
                struct conoha_image_list *list)
{
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_image_list(c, list, &err) < 0)
		return fail_with(&err);
	select_images(list, server, cli->all);
	return server ? check_one_server(list, server) : EXIT_OK;
}

int cmd_list(struct cli *cli)
{
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct conoha_image_list list = { 0 };
	rc = load_images(cli, c, cli->nargs ? cli->args[0] : NULL, &list);
	if (rc == EXIT_OK && cli->json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < list.count; i++)
			json_array_append_new(arr, json_image(&list.items[i]));
		json_t *doc = json_doc("list");
		json_object_set_new(doc, "images", arr);
		json_put(doc);
	} else if (rc == EXIT_OK) {
		list_text(&list);
	}
	conoha_image_list_free(&list);
	conoha_client_free(c);
	return rc;
}

/* ---- prune ------------------------------------------------------------ */

static bool in_progress(const struct conoha_image *img)
{
	return !img->status || (strcmp(img->status, "active") != 0 &&
	                        !conoha_image_status_is_terminal(img->status));
}

static bool old_enough(const struct conoha_image *img, long long older_than_s, time_t now)
{
	if (older_than_s < 0)
		return true;
	time_t t;
	if (conoha_parse_iso8601(image_time(img), &t) < 0)
		return false; /* unknown age: not provably old */
	return now - t > older_than_s;
}

/* Why an image must stay, or NULL when it may go. */
static const char *why_kept(const struct conoha_image *img, size_t rank, long keep,
                            const struct conoha_image *newest_active,
                            long long older_than_s, time_t now)
{
	if ((long)rank < keep)
		return "within --keep";
	if (img == newest_active)
		return "newest active image";
	if (in_progress(img))
		return "still in progress";
	if (!old_enough(img, older_than_s, now))
		return "not older than --older-than";
	return NULL;
}

const struct conoha_image *find_newest_active(const struct conoha_image_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].status && strcmp(list->items[i].status, "active") == 0)
			return &list->items[i];
	return NULL;
}

/* What prune did with each image: deleted (or, in a dry run, would
 * delete), failed with its reason, not tried because a signal came first,
 * or kept with the reason. */
struct prune_result {
	json_t *deleted, *failed, *not_tried, *kept;
	int last_rc;          /* the exit code of the last failure */
};

/* the images that were to be deleted: each is in one of the three lists */
static size_t due(const struct prune_result *r)
{
	return json_array_size(r->deleted) + json_array_size(r->failed) +
	       json_array_size(r->not_tried);
}

/* A failed delete does not stop the others: each image is its own
 * request, and an image Glance refuses (a 409 while it is in use, a 403,
 * a 503) says nothing of the next one. A signal stops at once: the rest
 * are not tried. */
static void prune_one(struct cli *cli, conoha_client *c, const struct conoha_image *img,
                      struct prune_result *r)
{
	json_t *entry = json_image(img);
	if (snap_interrupted) {
		if (!cli->json)
			printf("not tried: image %s (%s, %s): interrupted\n", img->id, image_time(img),
			       img->status);
		json_array_append_new(r->not_tried, json_pack("{s:o, s:s}", "image", entry,
		                                              "because", "interrupted"));
		return;
	}
	if (!cli->json)
		printf("%s image %s (%s, %s)\n", cli->dry_run ? "would delete" : "deleting",
		       img->id, image_time(img), img->status);
	conoha_error err;
	conoha_error_clear(&err);
	if (cli->dry_run || conoha_image_delete(c, img->id, &err) == 0) {
		json_array_append_new(r->deleted, entry);
		return;
	}
	int rc = fail_with(&err);
	r->last_rc = rc;
	/* interrupted in the middle of its request: Glance may have done it */
	const char *reason = rc == EXIT_INTERRUPTED ?
	                     "interrupted during the request: it may or may not be deleted" :
	                     err.message;
	json_array_append_new(r->failed, json_pack("{s:o, s:i, s:s}", "image", entry,
	                                           "exit_status", rc, "reason", reason));
}

/* As for several servers (fleet.h): one image to delete gives its own
 * exit code, several give EXIT_SOME_FAILED when any failed; a signal
 * gives EXIT_INTERRUPTED whatever was done before it. */
static int prune_exit_code(const struct prune_result *r)
{
	if (snap_interrupted)
		return EXIT_INTERRUPTED;
	if (json_array_size(r->failed) == 0)
		return EXIT_OK;
	return due(r) == 1 ? r->last_rc : EXIT_SOME_FAILED;
}

static int prune_images(struct cli *cli, conoha_client *c, const struct conoha_image_list *list,
                        struct prune_result *r)
{
	const struct conoha_image *newest_active = find_newest_active(list);
	time_t now = time(NULL);
	for (size_t i = 0; i < list->count; i++) {
		const struct conoha_image *img = &list->items[i];
		const char *why = why_kept(img, i, cli->keep, newest_active, cli->older_than_s, now);
		if (why)
			json_array_append_new(r->kept, json_pack("{s:o, s:s}", "image", json_image(img),
			                                         "because", why));
		else
			prune_one(cli, c, img, r);
	}
	int rc = prune_exit_code(r);
	size_t failed = json_array_size(r->failed);
	if (failed && due(r) > 1)
		complain("%zu of %zu image(s) of '%s' could not be deleted%s", failed, due(r),
		         cli->args[0], json_array_size(r->not_tried) ? "; interrupted" : "");
	else if (rc == EXIT_INTERRUPTED && json_array_size(r->not_tried))
		complain("interrupted: %zu image(s) of '%s' not tried", json_array_size(r->not_tried),
		         cli->args[0]);
	return rc;
}

int cmd_prune(struct cli *cli)
{
	if (cli->keep < 0) {
		complain("prune needs --keep N: how many of the newest images to keep");
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct conoha_image_list list = { 0 };
	cli->all = false; /* never anything lifeboat did not make */
	rc = load_images(cli, c, cli->args[0], &list);
	struct prune_result r = { .deleted = json_array(), .failed = json_array(),
	                          .not_tried = json_array(), .kept = json_array() };
	if (rc == EXIT_OK)
		rc = prune_images(cli, c, &list, &r);
	note_prune(&list, json_array_size(r.deleted), json_array_size(r.kept), cli->dry_run, rc);
	if (cli->json) {
		/* a dry run deletes nothing: what it would delete has its own name */
		json_t *doc = json_doc("prune");
		json_object_update_new(doc, json_pack("{s:s, s:b, s:I, s:o, s:o, s:o, s:o, s:o}",
		                       "server", cli->args[0], "dry_run", cli->dry_run,
		                       "keep", (json_int_t)cli->keep,
		                       "deleted", cli->dry_run ? json_array() : r.deleted,
		                       "would_delete", cli->dry_run ? r.deleted : json_array(),
		                       "failed", r.failed, "not_tried", r.not_tried,
		                       "kept", r.kept));
		json_put(doc);
	} else {
		if (rc == EXIT_OK && json_array_size(r.deleted) == 0)
			printf("nothing to prune: %zu image(s) of '%s' kept\n", json_array_size(r.kept),
			       cli->args[0]);
		json_decref(r.deleted);
		json_decref(r.failed);
		json_decref(r.not_tried);
		json_decref(r.kept);
	}
	conoha_image_list_free(&list);
	conoha_client_free(c);
	return rc;
}

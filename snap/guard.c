/* guard.c - "lifeboat-snap guard SERVER --max-age D [--file F]": exit 0
 * only when a fresh, complete, hashed image of SERVER exists (and F is
 * that image, verified), so a runbook can write "guard && delete" */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "hashes.h"

struct verdict {
	int rc;
	char reason[512];
};

static int refuse(struct verdict *v, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct verdict *v, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
	v->rc = rc;
	return rc;
}

static void format_age(long long s, char *buf, size_t size)
{
	if (s >= 86400)
		snprintf(buf, size, "%lldd%02lldh", s / 86400, (s % 86400) / 3600);
	else if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm", s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, size, "%lldm%02llds", s / 60, s % 60);
}

/* Every verdict of NOT SAFE is exit 14, as documented, whatever made it:
 * a runbook tells "not safe" from "could not ask" (4, 5, 6, ...). */
static int check_file(struct cli *cli, const struct conoha_image *img, struct verdict *v)
{
	int fd = open(cli->file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refuse(v, EXIT_UNSAFE, "cannot open '%s': %s: the local copy is missing",
		              cli->file, strerror(errno));
	struct hashes h = { .n = 0 };
	const char *why = NULL;
	int rc = EXIT_OK;
	if (hashes_expect_image(&h, img, cli->all_hashes, &why) < 0)
		rc = refuse(v, EXIT_UNSAFE, "image %s %s", img->id, why);
	else if (hashes_file(&h, fd, -1) < 0)
		rc = refuse(v, EXIT_UNSAFE, "cannot read '%s': %s", cli->file, strerror(errno));
	if (rc == EXIT_OK) {
		hashes_final(&h);
		const struct digest *bad = hashes_mismatch(&h);
		if (bad)
			rc = refuse(v, EXIT_UNSAFE, "'%s' is not image %s: its %s differs; "
			            "download it again", cli->file, img->id, bad->name);
	}
	hashes_free(&h);
	close(fd);
	return rc;
}

/* Glance's created_at, newest first: Glance's own clock, which no
 * project member can edit (lifeboat.created_at is only a property). */
static int by_glance_time(const void *a, const void *b)
{
	const struct conoha_image *x = a, *y = b;
	int t = strcmp(y->created_at ? y->created_at : "", x->created_at ? x->created_at : "");
	return t ? t : strcmp(y->id ? y->id : "", x->id ? x->id : "");
}

/* Keep only the images whose lifeboat.server_id is the server's id. */
static void keep_images_of(struct conoha_image_list *list, const char *server_id)
{
	size_t kept = 0;
	for (size_t i = 0; i < list->count; i++) {
		struct conoha_image *img = &list->items[i];
		if (img->server_id && strcmp(img->server_id, server_id) == 0)
			list->items[kept++] = *img;
		else
			conoha_image_clear(img);
	}
	list->count = kept;
	if (kept > 1)
		qsort(list->items, kept, sizeof(list->items[0]), by_glance_time);
}

static int judge(struct cli *cli, const struct conoha_server *srv,
                 const struct conoha_image_list *list, const struct conoha_image **chosen,
                 long long *age, struct verdict *v)
{
	const char *name = srv->name ? srv->name : srv->id;
	if (list->count == 0)
		return refuse(v, EXIT_UNSAFE, "no lifeboat image of '%s' (%s) exists: run "
		              "'lifeboat-snap create %s' first", name, srv->id, srv->id);
	const struct conoha_image *img = find_newest_active(list);
	if (!img)
		return refuse(v, EXIT_UNSAFE, "no image of '%s' (%s) is complete: the newest, "
		              "%s, is '%s'", name, srv->id, list->items[0].id,
		              list->items[0].status ? list->items[0].status : "?");
	*chosen = img;
	time_t t;
	if (conoha_parse_iso8601(img->created_at, &t) < 0)
		return refuse(v, EXIT_UNSAFE, "image %s has no readable creation time in Glance",
		              img->id);
	*age = (long long)(time(NULL) - t);
	char a[32], m[32];
	format_age(*age, a, sizeof(a));
	format_age(cli->max_age_s, m, sizeof(m));
	if (*age > cli->max_age_s)
		return refuse(v, EXIT_UNSAFE, "the newest complete image of '%s' (%s), '%s' (%s), "
		              "is %s old, older than --max-age %s: take a new one", name, srv->id,
		              img->name ? img->name : "", img->id, a, m);
	if (!img->hash_value && !img->checksum)
		return refuse(v, EXIT_UNSAFE, "image %s of '%s' carries no checksum: it cannot be "
		              "verified", img->id, name);
	if (cli->file)
		return check_file(cli, img, v);
	return EXIT_OK;
}

int cmd_guard(struct cli *cli)
{
	if (cli->max_age_s < 0) {
		complain("guard needs --max-age DURATION: how old an image may be (2h, 1d)");
		return EXIT_USAGE;
	}
	int rc = guard_check_stale_options(cli);
	if (rc)
		return rc;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server srv = { 0 };
	struct conoha_image_list list = { 0 };
	struct verdict v = { .rc = EXIT_OK };
	const struct conoha_image *img = NULL;
	long long age = -1;
	char *created = NULL; /* --create-if-stale: the image taken */
	/* a name is only a way to find the id; the images are matched by id */
	if (conoha_server_find(c, cli->args[0], &srv, &err) < 0 ||
	    conoha_image_list(c, &list, &err) < 0) {
		rc = refuse(&v, exit_code_for(&err), "%s", err.message);
	} else {
		keep_images_of(&list, srv.id);
		rc = judge(cli, &srv, &list, &img, &age, &v);
		if (rc == EXIT_UNSAFE && cli->create_if_stale) {
			rc = guard_take_image(cli, c, srv.id, v.reason, &created);
			v = (struct verdict){ .rc = rc };
			img = NULL;
			conoha_image_list_free(&list);
			if (rc != EXIT_OK)
				refuse(&v, rc, "no new image of '%s' could be taken", srv.name);
			else if (conoha_image_list(c, &list, &err) < 0)
				rc = refuse(&v, exit_code_for(&err), "%s", err.message);
			else {
				keep_images_of(&list, srv.id);
				rc = judge(cli, &srv, &list, &img, &age, &v);
			}
		}
	}
	note_guard(&srv, img, created, rc);
	if (cli->json) {
		json_t *doc = json_doc("guard");
		json_object_update_new(doc, json_pack("{s:b, s:o, s:b, s:o, s:o, s:o, s:I, s:o, s:b, s:o}",
		                       "ok", rc == EXIT_OK,
		                       "action", json_str_or_null(guard_action(rc, created)),
		                       "changed", created != NULL,
		                       "server", srv.id ? json_server(&srv) : json_null(),
		                       "image", img ? json_image(img) : json_null(),
		                       "age_seconds", age >= 0 ? json_integer(age) : json_null(),
		                       "max_age_seconds", (json_int_t)cli->max_age_s,
		                       "file", json_str_or_null(cli->file),
		                       "file_verified", rc == EXIT_OK && cli->file,
		                       "reason", json_str_or_null(v.reason[0] ? v.reason : NULL)));
		json_put(doc);
	} else if (rc == EXIT_OK) {
		char a[32];
		format_age(age, a, sizeof(a));
		printf("safe: image '%s' (%s) of '%s' (%s) is complete, %s old, %s, with %s%s%s\n",
		       img->name ? img->name : "", img->id, srv.name ? srv.name : srv.id, srv.id, a,
		       img->consistency ? img->consistency : "consistency unknown",
		       img->hash_algo ? img->hash_algo : "md5",
		       cli->file ? ", and matches " : "", cli->file ? cli->file : "");
	}
	if (!cli->json && rc == EXIT_OK && cli->create_if_stale)
		printf(created ? "created %s\n" : "fresh\n", created);
	if (v.reason[0])
		complain("NOT SAFE: %s", v.reason);
	free(created);
	conoha_server_clear(&srv);
	conoha_image_list_free(&list);
	conoha_client_free(c);
	return rc;
}

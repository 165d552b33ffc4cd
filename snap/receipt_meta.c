/* receipt_meta.c - what a retire receipt records for a post-mortem beyond
 * its steps: who ran each run (local user@host, OpenStack user and
 * project) and, when given, an inventory of the image */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "receipt_check.h"

static void local_user(char *buf, size_t size)
{
	char host[256] = "?";
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	struct passwd pw, *found = NULL;
	char pwbuf[4096];
	const char *user = "?";
	if (getpwuid_r(getuid(), &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found)
		user = found->pw_name;
	snprintf(buf, size, "%s@%s", user, host);
}

void receipt_add_run(json_t *receipt, conoha_client *c)
{
	char who[512], now[32];
	local_user(who, sizeof(who));
	utc_now(now, sizeof(now));
	json_t *run = json_pack("{s:s, s:s, s:s, s:i}", "started_at", now, "local_user", who,
	                        "lifeboat_version", LIFEBOAT_VERSION, "uid", (int)getuid());
	if (!run)
		return;
	struct conoha_identity id;
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_identity(c, &id, &err) == 0) {
		json_t *os = json_pack("{s:s?, s:s?, s:s?, s:s?}", "user", id.user_name, "user_id",
		                       id.user_id, "project", id.project_name, "project_id",
		                       id.project_id);
		if (os)
			json_object_set_new(run, "openstack", os);
	}
	json_t *runs = json_object_get(receipt, "runs");
	if (!json_is_array(runs)) {
		runs = json_array();
		json_object_set_new(receipt, "runs", runs);
	}
	json_array_append_new(runs, run);
}

int receipt_attach_inventory(json_t *receipt, const char *path)
{
	json_error_t jerr;
	json_t *inv = json_load_file(path, 0, &jerr);
	char why[512];
	if (!json_is_object(inv) || receipt_check_inventory(inv, why, sizeof(why)) < 0) {
		/* the receipt would hold what its report refuses */
		complain("--inventory: '%s' is not the JSON of 'lifeboat-extract inventory "
		         "--json': %s", path, !inv ? jerr.text : !json_is_object(inv) ? "not an object"
		                                                                   : why);
		json_decref(inv);
		return EXIT_LOCAL_IO;
	}
	char now[32];
	utc_now(now, sizeof(now));
	char *abs = realpath(path, NULL);
	json_object_set_new(receipt, "inventory",
	                    json_pack("{s:s, s:s, s:o}", "file", abs ? abs : path,
	                              "attached_at", now, "result", inv));
	free(abs);
	return EXIT_OK;
}

void note_receipt(const json_t *receipt, const char *path)
{
	const json_t *srv = json_object_get(receipt, "server");
	const char *name = json_string_value(json_object_get(srv, "display_name"));
	note_server(name ? name : json_string_value(json_object_get(srv, "name")),
	            json_string_value(json_object_get(srv, "id")));
	const json_t *img = json_object_get(receipt, "image");
	if (img)
		note_image(json_string_value(json_object_get(img, "id")),
		           json_integer_value(json_object_get(img, "size")));
	note_detail("%s", path);
}

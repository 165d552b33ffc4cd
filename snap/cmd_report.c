/* cmd_report.c - "lifeboat-snap report FILE.retire.json": what a
 * post-mortem needs from a retire receipt, read from the file alone (no
 * cloud, no credentials): the server, when it was stopped, the image and
 * its hash, where the copy is, who ran it, the inventory if attached */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "exit.h"
#include "json_out.h"
#include "receipt_check.h"
#include "safe_text.h"

#define REPORT_MAX_BYTES (64 << 20)

static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static json_t *step(const json_t *receipt, const char *name)
{
	return json_object_get(json_object_get(receipt, "steps"), name);
}

static bool step_is(const json_t *receipt, const char *name, const char *outcome)
{
	const char *o = jstr(step(receipt, name), "outcome");
	return o && !strcmp(o, outcome);
}

/* "deleted", or where it stopped */
static json_t *outcome_json(const json_t *receipt)
{
	if (step_is(receipt, "delete", "done"))
		return json_pack("{s:s, s:s?}", "state", "deleted", "at",
		                 jstr(step(receipt, "delete"), "finished_at"));
	static const char *const order[] = { "record", "snapshot", "download", "delete",
	                                     "boot volume" };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		json_t *s = step(receipt, order[i]);
		const char *o = jstr(s, "outcome");
		if (o && strcmp(o, "done") != 0)
			return json_pack("{s:s, s:s, s:s, s:O?}", "state", "not deleted", "step",
			                 order[i], "outcome", o, "exit_status",
			                 json_object_get(s, "exit_status"));
	}
	return json_pack("{s:s}", "state", "not deleted");
}

/* When the server was stopped, as far as the receipt knows. */
static json_t *stopped_json(const json_t *receipt)
{
	const json_t *srv = json_object_get(receipt, "server");
	const char *status = jstr(srv, "status");
	const json_t *img = json_object_get(receipt, "image");
	/* first: a server found stopped when recorded may have been started
	 * before its save, and then its image is not of the stopped server */
	const char *consistency = jstr(img, "consistency");
	if (consistency && strcmp(consistency, "stopped") != 0)
		return json_pack("{s:s, s:s?}", "how", "not stopped: a live, crash-consistent image",
		                 "image_taken_at", jstr(img, "created_at"));
	if (status && !strcmp(status, "SHUTOFF"))
		return json_pack("{s:s, s:s?}", "how", "already stopped when recorded", "at",
		                 jstr(step(receipt, "record"), "started_at"));
	/* the snapshot step stops it, then saves: between its start and the
	 * moment the cloud accepted the save of the image kept */
	const char *before = NULL;
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(receipt, "images"), i, e)
		if (jstr(img, "id") && jstr(e, "id") && !strcmp(jstr(e, "id"), jstr(img, "id")))
			before = jstr(e, "accepted_at");
	return json_pack("{s:s, s:s?, s:s?}", "how", "stopped by the snapshot step",
	                 "after", jstr(step(receipt, "snapshot"), "started_at"), "before",
	                 before ? before : jstr(img, "created_at"));
}

static json_t *copy_json(const json_t *receipt)
{
	const json_t *local = json_object_get(receipt, "local");
	const char *path = jstr(local, "path");
	if (!path)
		path = jstr(receipt, "file");
	json_t *out = json_pack("{s:s?, s:s?, s:s?, s:O?}", "path", path, "sha512",
	                        jstr(json_object_get(local, "hashes"), "sha512"), "verified_at",
	                        jstr(local, "verified_at"), "size",
	                        json_object_get(json_object_get(receipt, "image"), "size"));
	struct stat st;
	if (out && path) {
		bool there = stat(path, &st) == 0;
		json_object_set_new(out, "present_now", json_boolean(there));
		if (there)
			json_object_set_new(out, "size_now", json_integer((json_int_t)st.st_size));
	}
	/* re-verified by the last pass before the delete, moments before it */
	if (out && step_is(receipt, "delete", "done"))
		json_object_set_new(out, "reverified_before_delete_at",
		                    json_incref(json_object_get(step(receipt, "delete"), "started_at")));
	return out;
}

static json_t *inventory_json(const json_t *receipt)
{
	const json_t *inv = json_object_get(receipt, "inventory");
	if (!json_is_object(inv))
		return json_null();
	const json_t *r = json_object_get(inv, "result");
	return json_pack("{s:s?, s:s?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:I}", "file",
	                 jstr(inv, "file"), "attached_at", jstr(inv, "attached_at"), "os",
	                 json_object_get(r, "os"), "package_manager",
	                 json_object_get(r, "package_manager"), "packages",
	                 json_object_get(r, "packages"), "entries", json_object_get(r, "entries"),
	                 "hidden", json_object_get(r, "hidden"), "unprotected",
	                 json_object_get(r, "unprotected"), "warnings",
	                 (json_int_t)json_array_size(json_object_get(r, "warnings")));
}

/* The multihash Glance recorded (sha512 and the like), not md5. */
static const char *hash_algo(const json_t *img)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(img, "hashes"), key, v)
		if (strcmp(key, "md5") != 0)
			return key;
	return NULL;
}

/* Who ran each run: the fields of the schema's receipt_run alone (a field
 * a later version adds is not this report's). */
static json_t *runs_json(const json_t *receipt)
{
	json_t *out = json_array();
	size_t i;
	const json_t *run;
	json_array_foreach(json_object_get(receipt, "runs"), i, run) {
		const json_t *os = json_object_get(run, "openstack");
		json_t *r = json_pack("{s:O, s:O, s:O, s:O}", "started_at",
		                      json_object_get(run, "started_at"), "local_user",
		                      json_object_get(run, "local_user"), "lifeboat_version",
		                      json_object_get(run, "lifeboat_version"), "uid",
		                      json_object_get(run, "uid"));
		if (r && os)
			json_object_set_new(r, "openstack",
			                    json_pack("{s:O?, s:O?, s:O?, s:O?}", "user",
			                              json_object_get(os, "user"), "user_id",
			                              json_object_get(os, "user_id"), "project",
			                              json_object_get(os, "project"), "project_id",
			                              json_object_get(os, "project_id")));
		if (!r || json_array_append_new(out, r) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *report_json(const char *path, const json_t *receipt)
{
	const json_t *srv = json_object_get(receipt, "server");
	const json_t *img = json_object_get(receipt, "image");
	return json_pack("{s:i, s:s, s:s, s:{s:s?, s:s?, s:s?, s:s?, s:s?, s:O?, s:s?}, s:o, s:o, "
	                 "s:{s:s?, s:s?, s:s?, s:s?, s:s?, s:O?}, s:o, s:o, s:o, s:O?}",
	                 "schema", LIFEBOAT_JSON_SCHEMA, "command", "report", "receipt", path,
	                 "server", "id", jstr(srv, "id"), "name", jstr(srv, "display_name") ?
	                 jstr(srv, "display_name") : jstr(srv, "name"), "flavor",
	                 jstr(srv, "flavor"), "status_when_recorded", jstr(srv, "status"),
	                 "boot_source", jstr(srv, "boot_source"), "addresses",
	                 json_object_get(srv, "addresses"), "boot_volume",
	                 jstr(receipt, "boot_volume"),
	                 "outcome", outcome_json(receipt), "stopped", stopped_json(receipt),
	                 "image", "id", jstr(img, "id") ? jstr(img, "id") : jstr(receipt, "image_id"),
	                 "created_at", jstr(img, "created_at"), "consistency",
	                 jstr(img, "consistency"), "hash_algo", hash_algo(img),
	                 "hash", hash_algo(img) ? jstr(json_object_get(img, "hashes"), hash_algo(img))
	                                        : NULL, "md5",
	                 json_object_get(json_object_get(img, "hashes"), "md5"),
	                 "copy", copy_json(receipt),
	                 "runs", runs_json(receipt),
	                 "inventory", inventory_json(receipt),
	                 "steps", json_object_get(receipt, "steps"));
}

static void print_addresses(const json_t *addrs)
{
	const char *net;
	json_t *list;
	bool any = false;
	printf("addresses:   ");
	json_object_foreach((json_t *)addrs, net, list) {
		size_t i;
		json_t *a;
		json_array_foreach(list, i, a) {
			printf("%s%s %s", any ? ", " : "", net, or_dash(jstr(a, "addr")));
			any = true;
		}
	}
	printf("%s\n", any ? "" : "-");
}

static void print_text(const json_t *rep)
{
	const json_t *srv = json_object_get(rep, "server"), *out = json_object_get(rep, "outcome"),
	             *stop = json_object_get(rep, "stopped"), *img = json_object_get(rep, "image"),
	             *copy = json_object_get(rep, "copy"), *inv = json_object_get(rep, "inventory");
	printf("receipt:     %s\n", jstr(rep, "receipt"));
	printf("server:      %s (%s), flavor %s, boot from %s\n", or_dash(jstr(srv, "name")),
	       or_dash(jstr(srv, "id")), or_dash(jstr(srv, "flavor")),
	       or_dash(jstr(srv, "boot_source")));
	print_addresses(json_object_get(srv, "addresses"));
	if (!strcmp(jstr(out, "state"), "deleted"))
		printf("outcome:     deleted at %s\n", or_dash(jstr(out, "at")));
	else if (jstr(out, "step"))
		printf("outcome:     NOT deleted: step '%s' %s (exit status %lld)\n", jstr(out, "step"),
		       jstr(out, "outcome"),
		       (long long)json_integer_value(json_object_get(out, "exit_status")));
	else
		printf("outcome:     NOT deleted\n");
	printf("stopped:     %s", jstr(stop, "how"));
	if (jstr(stop, "after"))
		printf(", after %s and before %s", jstr(stop, "after"), or_dash(jstr(stop, "before")));
	else if (jstr(stop, "at"))
		printf(", %s", jstr(stop, "at"));
	printf("\n");
	printf("image:       %s, created %s, %s\n", or_dash(jstr(img, "id")),
	       or_dash(jstr(img, "created_at")), or_dash(jstr(img, "consistency")));
	printf("hash:        %s %s\n", or_dash(jstr(img, "hash_algo")), or_dash(jstr(img, "hash")));
	printf("copy:        %s, %lld bytes, sha512 %s\n", or_dash(jstr(copy, "path")),
	       (long long)json_integer_value(json_object_get(copy, "size")),
	       or_dash(jstr(copy, "sha512")));
	printf("verified:    at %s%s%s; %s now\n", or_dash(jstr(copy, "verified_at")),
	       jstr(copy, "reverified_before_delete_at") ? ", again before the delete at " : "",
	       jstr(copy, "reverified_before_delete_at") ? jstr(copy, "reverified_before_delete_at")
	                                                 : "",
	       json_is_true(json_object_get(copy, "present_now")) ? "present" : "MISSING");
	size_t i;
	json_t *run;
	json_array_foreach(json_object_get(rep, "runs"), i, run) {
		const json_t *os = json_object_get(run, "openstack");
		printf("run by:      %s, OpenStack user %s (%s), project %s, at %s\n",
		       or_dash(jstr(run, "local_user")), or_dash(jstr(os, "user")),
		       or_dash(jstr(os, "user_id")), or_dash(jstr(os, "project")),
		       or_dash(jstr(run, "started_at")));
	}
	if (i == 0)
		printf("run by:      not recorded (a receipt from before lifeboat recorded it)\n");
	if (json_is_null(inv)) {
		printf("inventory:   none attached (retire --inventory FILE.json)\n");
	} else {
		const json_t *u = json_object_get(inv, "unprotected"), *h = json_object_get(inv, "hidden");
		printf("inventory:   %s: %lld packages (%s), %lld entries; unprotected roots %lld "
		       "(%lld bytes), hidden roots %lld; %lld warning(s)\n", or_dash(jstr(inv, "file")),
		       (long long)json_integer_value(json_object_get(inv, "packages")),
		       or_dash(json_string_value(json_object_get(inv, "package_manager"))),
		       (long long)json_integer_value(json_object_get(inv, "entries")),
		       (long long)json_integer_value(json_object_get(u, "roots")),
		       (long long)json_integer_value(json_object_get(u, "size")),
		       (long long)json_integer_value(json_object_get(h, "roots")),
		       (long long)json_integer_value(json_object_get(inv, "warnings")));
	}
}

int cmd_report(struct cli *cli)
{
	const char *path = cli->args[0];
	/* a receipt is kilobytes, with an inventory a few megabytes: a huge
	 * file is not one, and would be held in memory several times over */
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > REPORT_MAX_BYTES) {
		complain("'%s' is not a retire receipt: %lld bytes, more than %d MiB", path,
		         (long long)st.st_size, REPORT_MAX_BYTES >> 20);
		return EXIT_LOCAL_IO;
	}
	json_error_t jerr;
	json_t *receipt = json_load_file(path, 0, &jerr);
	if (!receipt) {
		char *why = safe_text(jerr.text); /* it may quote the file */
		complain("cannot read the receipt '%s': %s", path, why ? why : "unreadable");
		free(why);
		return EXIT_LOCAL_IO;
	}
	int rc = EXIT_OK;
	char why[512];
	if (!json_is_object(receipt) || !json_is_object(json_object_get(receipt, "steps"))) {
		complain("'%s' is not a retire receipt", path);
		rc = EXIT_LOCAL_IO;
	} else {
		receipt_upgrade(receipt); /* one written by an older version */
		if (receipt_check(receipt, why, sizeof(why)) < 0) {
			complain("'%s' is not a retire receipt lifeboat wrote: %s", path, why);
			rc = EXIT_LOCAL_IO;
		}
	}
	json_t *rep = rc == EXIT_OK ? report_json(path, receipt) : NULL;
	if (rc == EXIT_OK && !rep) {
		complain("'%s': cannot build the report", path);
		rc = EXIT_FAIL;
	}
	if (rc == EXIT_OK && cli->json) {
		json_put(rep); /* printed by json_finish */
		rep = NULL;
	} else if (rc == EXIT_OK) {
		json_make_safe(rep); /* a receipt's text never steers the terminal */
		print_text(rep);
		rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
	}
	json_decref(rep);
	json_decref(receipt);
	return rc;
}

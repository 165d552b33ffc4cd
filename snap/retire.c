/* retire.c - "lifeboat-snap retire SERVER --download FILE": record,
 * snapshot, download and verify, and only then delete. Every step is
 * written to FILE.retire.json as it ends, so a rerun goes on from the
 * step that failed and the receipt is the postmortem's evidence. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "download.h"
#include "exit.h"
#include "files.h"
#include "snapshot.h"

struct retire {
	struct cli *cli;
	conoha_client *c;
	const char *file;
	char receipt_path[4096 + 16];
	json_t *receipt;          /* the record, saved after every step */
	const char *server_id;    /* borrowed from receipt */
	const char *server_name;
	const char *boot_volume;  /* NULL for an image-backed server */
	struct conoha_image img;  /* the verified image, once known */
};

/* ---- the receipt -------------------------------------------------------- */

static int save_receipt(struct retire *r)
{
	if (r->cli->dry_run)
		return EXIT_OK;
	char *text = json_dumps(r->receipt, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	int ok = text && write_file_atomic(r->receipt_path, text, strlen(text)) == 0;
	free(text);
	if (!ok) {
		complain("cannot write the receipt '%s': %s", r->receipt_path, strerror(errno));
		return EXIT_LOCAL_IO;
	}
	return EXIT_OK;
}

static json_t *step_of(struct retire *r, const char *name)
{
	json_t *steps = json_object_get(r->receipt, "steps");
	json_t *step = json_object_get(steps, name);
	if (!step) {
		step = json_object();
		json_object_set_new(steps, name, step);
	}
	return step;
}

static bool step_done(struct retire *r, const char *name)
{
	const char *o = json_string_value(json_object_get(step_of(r, name), "outcome"));
	return o && strcmp(o, "done") == 0;
}

static void step_begin(struct retire *r, const char *name)
{
	char now[32];
	utc_now(now, sizeof(now));
	json_t *step = step_of(r, name);
	json_object_set_new(step, "started_at", json_string(now));
	json_object_del(step, "finished_at");
	json_object_set_new(step, "outcome", json_string("running"));
	fprintf(stderr, "retire: %s\n", name);
}

/* Record how a step ended; on failure say where to go on from. */
static int step_end(struct retire *r, const char *name, int rc)
{
	char now[32];
	utc_now(now, sizeof(now));
	json_t *step = step_of(r, name);
	json_object_set_new(step, "finished_at", json_string(now));
	json_object_set_new(step, "outcome", json_string(rc == EXIT_OK ? "done" : "failed"));
	if (rc != EXIT_OK)
		json_object_set_new(step, "exit_status", json_integer(rc));
	int saved = save_receipt(r);
	if (rc != EXIT_OK && strcmp(name, "delete") != 0 && strcmp(name, "boot volume") != 0)
		complain("retire stopped at step '%s'; server '%s' is not deleted. Run the same "
		         "command again to go on from there (receipt: %s)", name, r->server_name,
		         r->receipt_path);
	return rc != EXIT_OK ? rc : saved;
}

static int load_receipt(struct retire *r)
{
	snprintf(r->receipt_path, sizeof(r->receipt_path), "%s.retire.json", r->file);
	json_error_t jerr;
	r->receipt = json_load_file(r->receipt_path, 0, &jerr);
	if (r->receipt) {
		fprintf(stderr, "retire: going on from '%s'\n", r->receipt_path);
		return EXIT_OK;
	}
	if (access(r->receipt_path, F_OK) == 0) {
		complain("cannot read the receipt '%s': %s", r->receipt_path, jerr.text);
		return EXIT_LOCAL_IO;
	}
	r->receipt = json_pack("{s:s, s:s, s:{}}", "lifeboat_version", LIFEBOAT_VERSION,
	                       "file", r->file, "steps");
	return r->receipt ? EXIT_OK : EXIT_FAIL;
}

/* ---- step 1: what is about to be destroyed -------------------------------- */

static json_t *volumes_json(const struct conoha_volume_list *vols)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < vols->count; i++) {
		const struct conoha_volume *v = &vols->items[i];
		json_array_append_new(arr, json_pack("{s:s?, s:s?, s:I, s:b}", "id", v->id,
		                                     "device", v->device, "size_gb",
		                                     (json_int_t)v->size_gb, "bootable", v->bootable));
	}
	return arr;
}

static int record_server(struct retire *r, const char *server)
{
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server srv;
	json_t *rec = NULL;
	struct conoha_volume_list vols = { 0 };
	if (conoha_server_find(r->c, server, &srv, &err) < 0)
		return fail_with(&err);
	int rc = EXIT_OK;
	if (conoha_server_record(r->c, srv.id, &rec, &err) < 0 ||
	    conoha_server_volumes(r->c, srv.id, &vols, &err) < 0)
		rc = fail_with(&err);
	if (rc == EXIT_OK) {
		json_object_set_new(r->receipt, "server", rec);
		json_object_set_new(r->receipt, "server_display_name", json_string(srv.name));
		json_object_set_new(r->receipt, "volumes", volumes_json(&vols));
		json_object_set_new(r->receipt, "boot_source",
		                    json_string(srv.image_id ? "image" : "volume"));
	} else {
		json_decref(rec);
	}
	conoha_volume_list_free(&vols);
	conoha_server_clear(&srv);
	return rc;
}

static void read_identity(struct retire *r)
{
	json_t *srv = json_object_get(r->receipt, "server");
	r->server_id = json_string_value(json_object_get(srv, "id"));
	r->server_name = json_string_value(json_object_get(r->receipt, "server_display_name"));
	r->boot_volume = NULL;
	const char *boot = json_string_value(json_object_get(r->receipt, "boot_source"));
	bool volume_backed = boot && strcmp(boot, "volume") == 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(r->receipt, "volumes"), i, v) {
		if (volume_backed && json_is_true(json_object_get(v, "bootable")) && !r->boot_volume)
			r->boot_volume = json_string_value(json_object_get(v, "id"));
	}
}

/* Data volumes are not in the image: never lose them silently. */
static int check_data_volumes(struct retire *r)
{
	size_t i, n = 0;
	json_t *v;
	char list[512] = "";
	size_t used = 0;
	json_array_foreach(json_object_get(r->receipt, "volumes"), i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		if (r->boot_volume && id && strcmp(id, r->boot_volume) == 0)
			continue;
		n++;
		int k = snprintf(list + used, sizeof(list) - used, "%s%s (%lld GB)",
		                 used ? ", " : "", id ? id : "(no id)",
		                 (long long)json_integer_value(json_object_get(v, "size_gb")));
		if (k > 0 && (size_t)k < sizeof(list) - used)
			used += (size_t)k;
	}
	if (n == 0 || r->cli->volumes_ok)
		return EXIT_OK;
	complain("server '%s' has %zu data volume(s) attached that the image will not "
	         "contain: %s. Save them separately, then pass --volumes-ok", r->server_name,
	         n, list);
	return EXIT_UNSAFE;
}

/* ---- steps 2 and 3: a verified local copy --------------------------------- */

/* An image from an earlier run: active is reused, in progress is waited
 * for, failed or gone means a new snapshot. */
static int reuse_image(struct retire *r, bool *reused)
{
	*reused = false;
	const char *id = json_string_value(json_object_get(r->receipt, "image_id"));
	if (!id)
		return EXIT_OK;
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_image img;
	if (conoha_image_get(r->c, id, &img, &err) < 0)
		return err.kind == CONOHA_ERR_NOT_FOUND ? EXIT_OK : fail_with(&err);
	bool failed = conoha_image_status_is_terminal(img.status);
	conoha_image_clear(&img);
	if (failed)
		return EXIT_OK;
	int rc = wait_for_image(r->cli, r->c, id, NULL, &r->img);
	*reused = rc == EXIT_OK;
	return rc;
}

static int snapshot_step(struct retire *r)
{
	bool reused = false;
	int rc = reuse_image(r, &reused);
	if (rc != EXIT_OK || reused)
		return rc;
	struct snapshot s;
	rc = snapshot_server(r->cli, r->c, r->server_id, &s);
	if (s.image_id)
		json_object_set_new(r->receipt, "image_id", json_string(s.image_id));
	if (rc == EXIT_OK) {
		r->img = s.img;
		memset(&s.img, 0, sizeof(s.img));
	}
	snapshot_clear(&s);
	return rc;
}

static int ensure_image_loaded(struct retire *r)
{
	if (r->img.id)
		return EXIT_OK;
	conoha_error err;
	conoha_error_clear(&err);
	const char *id = json_string_value(json_object_get(r->receipt, "image_id"));
	if (!id || conoha_image_get(r->c, id, &r->img, &err) < 0)
		return id ? fail_with(&err) : EXIT_FAIL;
	return EXIT_OK;
}

static int download_step(struct retire *r)
{
	int rc = ensure_image_loaded(r);
	if (rc == EXIT_OK)
		rc = download_image(r->cli, r->c, &r->img, r->file, false);
	if (rc == EXIT_OK) {
		json_object_set_new(r->receipt, "image",
		                    json_pack("{s:s, s:s?, s:s?, s:s?, s:I}", "id", r->img.id,
		                              "os_hash_algo", r->img.hash_algo, "os_hash_value",
		                              r->img.hash_value, "checksum", r->img.checksum,
		                              "size", (json_int_t)r->img.size));
		char *abs = realpath(r->file, NULL);
		json_object_set_new(r->receipt, "local_path", json_string(abs ? abs : r->file));
		free(abs);
	}
	return rc;
}

/* ---- steps 4 and 5: only now, the delete ----------------------------------- */

static int confirm(struct retire *r)
{
	if (r->cli->yes)
		return EXIT_OK;
	if (!isatty(STDIN_FILENO)) {
		complain("refusing to delete server '%s' without confirmation: no terminal to "
		         "ask on; pass --yes", r->server_name);
		return EXIT_USAGE;
	}
	fprintf(stderr, "The image is verified at '%s'.\nType the server's name (%s) to "
	        "delete it: ", r->file, r->server_name);
	char line[256];
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, r->server_name) == 0)
		return EXIT_OK;
	complain("'%s' is not '%s': nothing deleted", line, r->server_name);
	return EXIT_USAGE;
}

static int wait_until_gone(struct retire *r)
{
	for (long long waited_ms = 0;; waited_ms += 1000) {
		conoha_error err;
		conoha_error_clear(&err);
		struct conoha_server srv;
		if (conoha_server_get(r->c, r->server_id, &srv, &err) < 0)
			return err.kind == CONOHA_ERR_NOT_FOUND ? EXIT_OK : fail_with(&err);
		bool error = srv.status && strcmp(srv.status, "ERROR") == 0;
		conoha_server_clear(&srv);
		if (error) {
			complain("server '%s' went to ERROR while being deleted", r->server_name);
			return EXIT_REFUSED;
		}
		if (waited_ms / 1000 >= r->cli->timeout_s) {
			complain("server '%s' still exists after %llds", r->server_name,
			         r->cli->timeout_s);
			return EXIT_TIMEOUT;
		}
		if (sleep_interruptible(waited_ms < 5000 ? 250 : 1000) < 0)
			return EXIT_INTERRUPTED;
	}
}

static int delete_step(struct retire *r)
{
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_server_delete(r->c, r->server_id, &err) < 0 &&
	    err.kind != CONOHA_ERR_NOT_FOUND)
		return fail_with(&err);
	return wait_until_gone(r);
}

static int wait_volume_available(struct retire *r)
{
	for (long long waited = 0;; waited++) {
		conoha_error err;
		conoha_error_clear(&err);
		struct conoha_volume v;
		if (conoha_volume_get(r->c, r->boot_volume, &v, &err) < 0)
			return fail_with(&err);
		bool ready = v.status && strcmp(v.status, "available") == 0;
		conoha_volume_clear(&v);
		if (ready)
			return EXIT_OK;
		if (waited >= r->cli->timeout_s * 4) {
			complain("boot volume %s is not available after %llds", r->boot_volume,
			         r->cli->timeout_s);
			return EXIT_TIMEOUT;
		}
		if (sleep_interruptible(250) < 0)
			return EXIT_INTERRUPTED;
	}
}

static int boot_volume_step(struct retire *r)
{
	int rc = wait_volume_available(r);
	conoha_error err;
	conoha_error_clear(&err);
	if (rc == EXIT_OK && conoha_volume_delete(r->c, r->boot_volume, &err) < 0)
		rc = fail_with(&err);
	return rc;
}

/* ---- the whole ---------------------------------------------------------------- */

static int run_step(struct retire *r, const char *name, int (*fn)(struct retire *))
{
	if (step_done(r, name)) {
		fprintf(stderr, "retire: %s: done in an earlier run\n", name);
		return EXIT_OK;
	}
	step_begin(r, name);
	if (save_receipt(r) != EXIT_OK)
		return EXIT_LOCAL_IO;
	return step_end(r, name, fn(r));
}

static void print_plan(struct retire *r)
{
	const char *id = json_string_value(json_object_get(r->receipt, "image_id"));
	printf("plan for retiring server '%s' (%s):\n", r->server_name, r->server_id);
	printf("  1. snapshot: %s\n", id ? id : r->boot_volume ? "upload its boot volume"
	                                                      : "Nova createImage");
	printf("  2. download and verify to %s\n", r->file);
	printf("  3. delete the server, after typing its name%s\n",
	       r->cli->yes ? " (--yes: no question)" : "");
	if (r->boot_volume)
		printf("  4. boot volume %s: %s\n", r->boot_volume,
		       r->cli->delete_boot_volume ? "deleted once available" : "kept");
}

static int retire_steps(struct retire *r)
{
	int rc = EXIT_OK;
	if (!json_object_get(r->receipt, "server")) {
		step_begin(r, "record");
		rc = step_end(r, "record", record_server(r, r->cli->args[0]));
		if (rc)
			return rc;
	}
	read_identity(r);
	rc = check_data_volumes(r);
	if (rc)
		return rc;
	if (r->cli->dry_run) {
		print_plan(r);
		return EXIT_OK;
	}
	if ((rc = run_step(r, "snapshot", snapshot_step)) ||
	    (rc = run_step(r, "download", download_step)))
		return rc;
	if (!step_done(r, "delete") && (rc = confirm(r)))
		return rc;
	if ((rc = run_step(r, "delete", delete_step)))
		return rc;
	if (r->boot_volume && !r->cli->delete_boot_volume) {
		fprintf(stderr, "retire: boot volume %s survives the delete; it is kept (remove it "
		        "with --delete-boot-volume)\n", r->boot_volume);
		return EXIT_OK;
	}
	if (r->boot_volume)
		rc = run_step(r, "boot volume", boot_volume_step);
	return rc;
}

int cmd_retire(struct cli *cli)
{
	if (!cli->download) {
		complain("retire needs --download FILE: where the verified image is kept");
		return EXIT_USAGE;
	}
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct retire r = { .cli = cli, .c = c, .file = cli->download };
	cli->no_wait = false;
	cli->start_after = false;
	rc = load_receipt(&r);
	if (rc == EXIT_OK)
		rc = retire_steps(&r);
	if (rc == EXIT_OK && !cli->dry_run) {
		if (cli->json)
			print_json(json_incref(r.receipt));
		else
			printf("%s\n", r.receipt_path);
	}
	json_decref(r.receipt);
	conoha_image_clear(&r.img);
	conoha_client_free(c);
	return rc;
}

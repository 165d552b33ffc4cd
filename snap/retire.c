/* retire.c - "lifeboat-snap retire SERVER --download FILE": record,
 * snapshot, download and verify, and only then delete.
 *
 * The receipt FILE.retire.json is a journal of what was done, never a
 * proof: every run gathers the facts again (the server by its id, its
 * image in Glance, FILE on disk, hashed) and asks retire_decide() what
 * may happen next. The delete happens only when, in this run and moments
 * before, FILE is a regular file whose bytes hash to the server's own
 * active image, as Glance and FILE's sidecars both say. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "download.h"
#include "exit.h"
#include "files.h"
#include "hashes.h"
#include "preflight.h"
#include "retire_decide.h"
#include "snapshot.h"

/* Each pass gathers facts and takes one step; a retire needs five or so.
 * More means the cloud keeps changing under us: stop and say so. */
#define MAX_PASSES 12

struct retire {
	struct cli *cli;
	conoha_client *c;
	const char *file;
	char receipt_path[4096 + 16];
	json_t *receipt;              /* the journal, saved after every step */
	struct deadline deadline;     /* the command's one deadline */
	const char *server_id;        /* borrowed from receipt */
	const char *server_name;
	const char *boot_volume;      /* NULL for an image-backed server */
	char *arg_id, *arg_name;      /* what SERVER names now */
	char *taken_now;              /* the image this run's snapshot made */
	char *mark_before;            /* the server's run mark before that save;
	                               * NULL when the cloud hides its actions */
	struct download_proof proof;  /* FILE as hashed in this run */
	bool confirmed;
	struct sink err;              /* what the fact-finding found wrong */
};

/* What one pass found; freed after the pass. */
struct pass {
	struct retire_facts f;
	struct conoha_server srv;
	struct conoha_image img;
	char file_hash[EVP_MAX_MD_SIZE * 2 + 1];
	char file_sha512[EVP_MAX_MD_SIZE * 2 + 1];
	char sidecar_sha512[129];
	json_t *sidecar;              /* FILE.json */
	bool adopted;                 /* the image is FILE.json's, not the receipt's */
	struct stat st;               /* FILE, when file_exists */
};

static void pass_clear(struct pass *p)
{
	conoha_server_clear(&p->srv);
	conoha_image_clear(&p->img);
	json_decref(p->sidecar);
	memset(p, 0, sizeof(*p));
}

static const char *jstr(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* ---- the receipt: a journal ---------------------------------------------- */

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
	if (!json_is_object(steps)) {
		steps = json_object();
		json_object_set_new(r->receipt, "steps", steps);
	}
	json_t *step = json_object_get(steps, name);
	if (!json_is_object(step)) {
		step = json_object();
		json_object_set_new(steps, name, step);
	}
	return step;
}

static bool step_begun(struct retire *r, const char *name)
{
	return json_object_get(json_object_get(json_object_get(r->receipt, "steps"), name),
	                       "started_at") != NULL;
}

static bool step_done(struct retire *r, const char *name)
{
	json_t *step = json_object_get(json_object_get(r->receipt, "steps"), name);
	const char *o = jstr(step, "outcome");
	return o && strcmp(o, "done") == 0;
}

/* Journal the start of a step, durably, before it acts. */
static int step_begin(struct retire *r, const char *name)
{
	char now[32];
	utc_now(now, sizeof(now));
	json_t *step = step_of(r, name);
	json_object_set_new(step, "started_at", json_string(now));
	json_object_del(step, "finished_at");
	json_object_del(step, "exit_status");
	json_object_set_new(step, "outcome", json_string("running"));
	fprintf(stderr, "retire: %s\n", name);
	return save_receipt(r);
}

/* Journal how a step ended; on failure say where to go on from. */
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
	if (rc != EXIT_OK && r->cli->dry_run)
		complain("retire --dry-run stopped at step '%s': nothing was changed or written",
		         name);
	else if (rc != EXIT_OK && strcmp(name, "delete") != 0 && strcmp(name, "boot volume") != 0)
		complain("retire %s at step '%s'; server '%s' (%s) is not deleted. Run the "
		         "same command again to go on from there (receipt: %s)",
		         rc == EXIT_INTERRUPTED ? "interrupted" : "stopped", name,
		         r->server_name ? r->server_name : "?", r->server_id ? r->server_id : "?",
		         r->receipt_path);
	return rc != EXIT_OK ? rc : saved;
}

static int load_receipt(struct retire *r)
{
	if (snprintf(r->receipt_path, sizeof(r->receipt_path), "%s.retire.json", r->file) >=
	    (int)sizeof(r->receipt_path)) {
		complain("'%s': name too long", r->file);
		return EXIT_USAGE;
	}
	json_error_t jerr;
	r->receipt = json_load_file(r->receipt_path, 0, &jerr);
	if (r->receipt && !json_is_object(r->receipt)) {
		json_decref(r->receipt);
		r->receipt = NULL;
		complain("the receipt '%s' is not a JSON object", r->receipt_path);
		return EXIT_LOCAL_IO;
	}
	if (r->receipt) {
		fprintf(stderr, "retire: going on from '%s'\n", r->receipt_path);
		receipt_upgrade(r->receipt); /* one written by the version before */
		return EXIT_OK;
	}
	if (access(r->receipt_path, F_OK) == 0) {
		complain("cannot read the receipt '%s': %s", r->receipt_path, jerr.text);
		return EXIT_LOCAL_IO;
	}
	r->receipt = json_doc("retire");
	json_object_update_new(r->receipt, json_pack("{s:s, s:s, s:{}}", "lifeboat_version",
	                       LIFEBOAT_VERSION, "file", r->file, "steps"));
	return r->receipt ? EXIT_OK : EXIT_FAIL;
}

/* ---- what SERVER names now, and what is about to be destroyed ------------- */

static int resolve_arg(struct retire *r)
{
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server srv;
	if (conoha_server_find(r->c, r->cli->args[0], &srv, &err) < 0)
		return err.kind == CONOHA_ERR_NOT_FOUND ? EXIT_OK : sink_from(&r->err, &err);
	r->arg_id = srv.id;
	r->arg_name = srv.name;
	srv.id = srv.name = NULL;
	conoha_server_clear(&srv);
	return EXIT_OK;
}

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

/* What a rerun and an auditor need of the server; not its whole record. */
/* What a rerun and an auditor need of the server; not its whole record:
 * the server object, and a few fields of Nova's. */
static json_t *server_summary(const json_t *rec, const struct conoha_server *srv)
{
	json_t *out = json_server(srv);
	if (out)
		json_object_set_new(out, "flavor_id", json_str_or_null(srv->flavor_id));
	static const char *const keep[] = { "addresses", "key_name", "created", "tenant_id",
	                                    "user_id" };
	for (size_t i = 0; out && i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(rec, keep[i]);
		if (v && !json_is_null(v))
			json_object_set(out, keep[i], v);
	}
	return out;
}

static int record_server(struct retire *r)
{
	if (!r->arg_id) {
		return sink_fail(&r->err, EXIT_NOT_FOUND, "no server named '%s'", r->cli->args[0]);
	}
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server srv;
	json_t *rec = NULL;
	struct conoha_volume_list vols = { 0 };
	char *boot = NULL;
	int rc = EXIT_OK;
	if (conoha_server_get(r->c, r->arg_id, &srv, &err) < 0)
		return sink_from(&r->err, &err);
	if (conoha_server_record(r->c, srv.id, &rec, &err) < 0 ||
	    conoha_server_volumes(r->c, srv.id, &vols, &err) < 0 ||
	    (!srv.image_id && conoha_server_boot_volume(r->c, srv.id, &boot, NULL, &err) < 0))
		rc = sink_from(&r->err, &err);
	if (rc == EXIT_OK) {
		json_object_set_new(r->receipt, "server", server_summary(rec, &srv));
		json_object_set_new(r->receipt, "volumes", volumes_json(&vols));
		json_object_set_new(r->receipt, "boot_volume", boot ? json_string(boot) : json_null());
	}
	json_decref(rec);
	free(boot);
	conoha_volume_list_free(&vols);
	conoha_server_clear(&srv);
	return rc;
}

/* Borrow the identity from the receipt; a missing field stays NULL. */
static void read_identity(struct retire *r)
{
	json_t *srv = json_object_get(r->receipt, "server");
	r->server_id = jstr(srv, "id");
	r->server_name = jstr(srv, "display_name");
	if (!r->server_name)
		r->server_name = jstr(srv, "name");
	if (!r->server_name)
		r->server_name = r->server_id; /* a receipt without a name */
	/* the one choice of boot volume, made once by the same function
	 * that saves it (conoha_server_boot_volume) */
	r->boot_volume = jstr(r->receipt, "boot_volume");
}

/* Data volumes are not in the image: never lose them silently. */
static int check_data_volumes(struct retire *r)
{
	size_t i, n = 0;
	json_t *v;
	char list[512] = "";
	size_t used = 0;
	json_array_foreach(json_object_get(r->receipt, "volumes"), i, v) {
		const char *id = jstr(v, "id");
		if (!id || (r->boot_volume && strcmp(id, r->boot_volume) == 0))
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
	return sink_fail(&r->err, EXIT_UNSAFE, "server '%s' has %zu data volume(s) attached that "
	                 "the image will not contain: %s. Save them separately, then pass "
	                 "--volumes-ok", r->server_name ? r->server_name : "?", n, list);
}

/* ---- the facts of one pass ------------------------------------------------ */

/* The receipt's entry for an image this retire took, or NULL. */
static json_t *image_entry(struct retire *r, const char *image_id)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(r->receipt, "images"), i, e) {
		const char *id = jstr(e, "id");
		if (id && image_id && strcmp(id, image_id) == 0)
			return e;
	}
	return NULL;
}

/* An image this retire took counts as of the stopped server only once
 * this retire proved the server stayed stopped up to the save
 * (stopped_until_saved): Glance's label alone was written before that
 * proof, and a run killed in between leaves it unproven. */
static const char *journal_consistency(struct retire *r, const char *image_id,
                                       const char *glance)
{
	const json_t *e = image_entry(r, image_id);
	if (!e || !glance || strcmp(glance, CONSISTENCY_STOPPED) != 0)
		return glance;
	const char *journal = jstr(e, "consistency");
	bool proven = json_is_true(json_object_get(e, "checked")) && journal &&
	              strcmp(journal, CONSISTENCY_STOPPED) == 0;
	return proven ? glance : CONSISTENCY_CRASH;
}


static int gather_server(struct retire *r, struct pass *p)
{
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_server_get(r->c, r->server_id, &p->srv, &err) < 0) {
		if (err.kind != CONOHA_ERR_NOT_FOUND)
			return sink_from(&r->err, &err);
		return EXIT_OK;
	}
	p->f.server_exists = true;
	p->f.server_name = p->srv.name;
	p->f.server_status = p->srv.status;
	return EXIT_OK;
}

/* The receipt's image; without one, the image FILE.json names, so that a
 * FILE downloaded before (by hand, or by the hint of an interrupted run)
 * is judged like any other copy rather than refused for existing. */
static int gather_image(struct retire *r, struct pass *p)
{
	const char *id = jstr(r->receipt, "image_id");
	if (!id && p->f.file_regular && p->f.sidecar_image_id) {
		id = p->f.sidecar_image_id;
		p->adopted = true;
	}
	p->f.image_id = id;
	p->f.image_taken_now = r->taken_now && id && strcmp(r->taken_now, id) == 0;
	if (!id) {
		p->f.image = IMAGE_NONE;
		return EXIT_OK;
	}
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_image_get(r->c, id, &p->img, &err) < 0) {
		if (err.kind != CONOHA_ERR_NOT_FOUND)
			return sink_from(&r->err, &err);
		p->f.image = p->adopted ? IMAGE_NONE : IMAGE_GONE;
		p->adopted = false;
		return EXIT_OK;
	}
	const char *st = p->img.status;
	p->f.image = !st || conoha_image_status_is_terminal(st) ? IMAGE_FAILED
	           : strcmp(st, "active") == 0                 ? IMAGE_ACTIVE
	                                                        : IMAGE_PENDING;
	p->f.image_server_id = p->img.server_id;
	p->f.image_consistency = journal_consistency(r, id, p->img.consistency);
	p->f.image_hash = p->img.hash_value && p->img.hash_algo ? p->img.hash_value
	                                                        : p->img.checksum;
	p->f.started_since_image = -1;
	time_t taken;
	if (p->f.image == IMAGE_ACTIVE && p->f.server_exists) {
		/* Glance's own clock, not a property anyone may edit */
		if (conoha_parse_iso8601(p->img.created_at, &taken) < 0) {
			p->f.started_since_image = 1; /* unknown age: not provably fresh */
			return EXIT_OK;
		}
		if (conoha_server_started_since(r->c, r->server_id, taken,
		                                &p->f.started_since_image, &err) < 0)
			return sink_from(&r->err, &err);
	}
	return EXIT_OK;
}

static void read_sidecars(struct retire *r, struct pass *p)
{
	char path[4096 + 16];
	if (snprintf(path, sizeof(path), "%s.sha512", r->file) < (int)sizeof(path)) {
		FILE *f = fopen(path, "re");
		char line[512];
		if (f && fgets(line, sizeof(line), f) &&
		    strspn(line, "0123456789abcdefABCDEF") == 128) {
			memcpy(p->sidecar_sha512, line, 128);
			p->sidecar_sha512[128] = '\0';
			p->f.sidecar_sha512 = p->sidecar_sha512;
		}
		if (f)
			fclose(f);
	}
	if (snprintf(path, sizeof(path), "%s.json", r->file) < (int)sizeof(path)) {
		p->sidecar = json_load_file(path, 0, NULL);
		p->f.sidecar_json_sha512 = sidecar_sha512(p->sidecar);
		p->f.sidecar_image_id = sidecar_image_id(p->sidecar);
	}
}

/* FILE's bytes: re-hashed, unless this run hashed this very file (same
 * device, inode, size, mtime and ctime) a moment ago. */
static int hash_file(struct retire *r, struct pass *p, const struct stat *st)
{
	if (!p->f.image_hash)
		return EXIT_OK;
	bool md5 = !(p->img.hash_value && p->img.hash_algo);
	if (proof_matches(&r->proof, st)) {
		snprintf(p->file_sha512, sizeof(p->file_sha512), "%s", r->proof.sha512);
		snprintf(p->file_hash, sizeof(p->file_hash), "%s", r->proof.image_hash);
		p->f.file_sha512 = p->file_sha512;
		p->f.file_hash = p->file_hash;
		return EXIT_OK;
	}
	int fd = open(r->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return sink_fail(&r->err, EXIT_LOCAL_IO, "cannot open '%s': %s", r->file,
		                 strerror(errno));
	struct hashes h = { .n = 0 };
	const char *algo = md5 ? "md5" : p->img.hash_algo;
	int rc = EXIT_OK;
	struct stat before;
	if (hashes_add(&h, algo, NULL) < 0 || hashes_add(&h, "sha512", NULL) < 0) {
		rc = sink_fail(&r->err, EXIT_CHECKSUM, "image %s uses a hash algorithm OpenSSL "
		               "does not know", p->img.id);
	} else if (fstat(fd, &before) < 0 || hashes_file(&h, fd, -1) < 0) {
		rc = sink_fail(&r->err, EXIT_LOCAL_IO, "cannot read '%s': %s", r->file,
		               strerror(errno));
	}
	if (rc == EXIT_OK) {
		hashes_final(&h);
		snprintf(p->file_hash, sizeof(p->file_hash), "%s", hashes_get(&h, algo)->hex);
		snprintf(p->file_sha512, sizeof(p->file_sha512), "%s", hashes_get(&h, "sha512")->hex);
		p->f.file_hash = p->file_hash;
		p->f.file_sha512 = p->file_sha512;
		/* remember this file as hashed, by what identifies it */
		r->proof = (struct download_proof){ .valid = true, .dev = before.st_dev,
		                                    .ino = before.st_ino, .size = before.st_size,
		                                    .mtime = before.st_mtim,
		                                    .ctime = before.st_ctim };
		snprintf(r->proof.sha512, sizeof(r->proof.sha512), "%s", p->file_sha512);
		snprintf(r->proof.image_hash, sizeof(r->proof.image_hash), "%s", p->file_hash);
	}
	hashes_free(&h);
	close(fd);
	return rc;
}

/* FILE and its sidecars, as they are; hashed once the image is known. */
static int look_at_file(struct retire *r, struct pass *p)
{
	if (lstat(r->file, &p->st) < 0) {
		if (errno != ENOENT)
			return sink_fail(&r->err, EXIT_LOCAL_IO, "cannot stat '%s': %s", r->file,
			                 strerror(errno));
		return EXIT_OK;
	}
	p->f.file_exists = true;
	p->f.file_regular = S_ISREG(p->st.st_mode);
	read_sidecars(r, p);
	return EXIT_OK;
}

static int gather_file(struct retire *r, struct pass *p)
{
	if (!p->f.file_regular || p->f.image != IMAGE_ACTIVE)
		return EXIT_OK;
	return hash_file(r, p, &p->st);
}

static int gather(struct retire *r, struct pass *p)
{
	memset(p, 0, sizeof(*p));
	struct retire_facts *f = &p->f;
	f->receipt_server_id = r->server_id;
	f->receipt_server_name = r->server_name;
	f->delete_sent = step_begun(r, "delete");
	f->downloaded_before = step_begun(r, "download");
	f->server_arg = r->cli->args[0];
	f->arg_server_id = r->arg_id;
	f->arg_server_name = r->arg_name;
	f->stop = r->cli->stop;
	f->live = r->cli->live;
	f->force = r->cli->force;
	f->save_needs_stop = r->boot_volume != NULL || conoha_is_conoha(r->c);
	if (!r->server_id)
		return EXIT_OK;
	int rc = gather_server(r, p);
	if (rc == EXIT_OK && f->server_exists)
		rc = look_at_file(r, p);
	if (rc == EXIT_OK && f->server_exists)
		rc = gather_image(r, p);
	if (rc == EXIT_OK && f->server_exists)
		rc = gather_file(r, p);
	return rc;
}

/* ---- the steps ------------------------------------------------------------- */

/* The save was asked of a server found SHUTOFF (or just stopped by
 * --stop), and the image is labelled stopped. A start between that look
 * and Nova's acceptance of the save would make it a running server's
 * image; after the acceptance Nova refuses a start (the snapshot's
 * task_state) and any later one makes the image stale by its created_at.
 * So: no action that runs the guest was begun since just before the save,
 * by Nova's actions (no clock compared), and the server is still SHUTOFF
 * and not powering on (all there is where the cloud hides its actions).
 * Anything unproven is false, with why. */
static bool stopped_until_saved(struct retire *r, char *why, size_t size)
{
	conoha_error err;
	conoha_error_clear(&err);
	bool proven;
	if (r->mark_before) {
		char *after = NULL;
		int rc = conoha_server_run_mark(r->c, r->server_id, &after, &err);
		proven = rc == 0 && after && strcmp(after, r->mark_before) == 0;
		snprintf(why, size, "%s", rc < 0 ? err.message
		         : !after ? "its actions are no longer shown"
		                  : "it was started between the look that found it stopped and the save");
		free(after);
		if (!proven)
			return false;
	}
	/* and a start begun just before the first look, still powering on */
	struct conoha_server srv;
	if (conoha_server_get(r->c, r->server_id, &srv, &err) < 0) {
		snprintf(why, size, "%s", err.message);
		return false;
	}
	proven = srv.status && strcmp(srv.status, "SHUTOFF") == 0 &&
	         !(srv.task_state && strcmp(srv.task_state, "powering-on") == 0);
	snprintf(why, size, "it was started between the look that found it stopped and the save "
	         "(it is %s just after)", srv.status ? srv.status : "in no known state");
	conoha_server_clear(&srv);
	return proven;
}

/* Journal the image as soon as the cloud accepted the save: a run killed
 * while it waits leaves a receipt that names it, and the next one waits
 * for that image instead of taking another. */
static void image_accepted(void *userdata, const char *image_id, const char *consistency)
{
	struct retire *r = userdata;
	free(r->taken_now);
	r->taken_now = strdup(image_id);
	json_object_set_new(r->receipt, "image_id", json_string(image_id));
	json_t *all = json_object_get(r->receipt, "images");
	if (!json_is_array(all)) {
		all = json_array();
		json_object_set_new(r->receipt, "images", all);
	}
	char now[32];
	utc_now(now, sizeof(now)); /* after any stop: the save began */
	json_t *entry = json_pack("{s:s, s:s, s:s, s:b}", "id", image_id, "consistency",
	                          consistency, "accepted_at", now, "checked", false);
	json_array_append_new(all, entry);
	json_object_del(r->receipt, "image");
	save_receipt(r); /* a failure here is found by the step's end */
	char why[512];
	if (strcmp(consistency, CONSISTENCY_STOPPED) == 0 &&
	    !stopped_until_saved(r, why, sizeof(why))) {
		complain("warning: server '%s' (%s) is not proven stopped up to the save: %s; "
		         "image %s counts as crash-consistent, not of a stopped server",
		         r->server_name ? r->server_name : "?", r->server_id, why, image_id);
		json_object_set_new(entry, "consistency", json_string(CONSISTENCY_CRASH));
		struct conoha_kv label = { "lifeboat.consistency", CONSISTENCY_CRASH };
		conoha_error err;
		conoha_error_clear(&err);
		if (conoha_image_set_properties(r->c, image_id, &label, 1, &err) < 0)
			complain("warning: cannot relabel image %s crash-consistent in Glance: %s; "
			         "the receipt says so", image_id, err.message);
	}
	json_object_set_new(entry, "checked", json_true());
	save_receipt(r);
}

static int snapshot_step(struct retire *r)
{
	struct snapshot_opts o = {
		.stop = r->cli->stop, .force_stop = r->cli->force_stop, .name = r->cli->name,
		.reason = r->cli->reason, .props = r->cli->props, .n_props = r->cli->n_props,
		.deadline = &r->deadline, .accepted = image_accepted, .userdata = r,
		.download_to = r->file, .quiet_hints = true,
	};
	int rc = step_begin(r, "snapshot");
	if (rc)
		return rc;
	/* before the look that decides the label: see stopped_until_saved */
	free(r->mark_before);
	r->mark_before = NULL;
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_server_run_mark(r->c, r->server_id, &r->mark_before, &err) < 0)
		return step_end(r, "snapshot", fail_with(&err));
	struct snapshot s;
	rc = snapshot_server(r->c, r->server_id, &o, &s);
	snapshot_clear(&s);
	return step_end(r, "snapshot", rc);
}

static int wait_step(struct retire *r, const char *image_id)
{
	struct conoha_image img;
	int rc = wait_for_image_quietly(r->c, &r->deadline, image_id, NULL, &img);
	conoha_image_clear(&img);
	if (rc != EXIT_OK)
		complain("retire %s waiting for image %s; server '%s' (%s) is not deleted. "
		         "Run the same command again to go on (receipt: %s)",
		         rc == EXIT_INTERRUPTED ? "interrupted" : "stopped", image_id,
		         r->server_name ? r->server_name : "?", r->server_id, r->receipt_path);
	return rc;
}

/* The image and the local copy, in the journal. */
static void record_copy(struct retire *r, const struct conoha_image *img)
{
	json_t *rec = json_image(img);
	json_object_set_new(rec, "consistency",
	                    json_str_or_null(journal_consistency(r, img->id, img->consistency)));
	json_object_set_new(r->receipt, "image", rec);
	char *abs = realpath(r->file, NULL);
	char now[32];
	utc_now(now, sizeof(now));
	json_object_set_new(r->receipt, "local",
	                    json_pack("{s:s, s:{s:s}, s:s}", "path", abs ? abs : r->file,
	                              "hashes", "sha512", r->proof.sha512, "verified_at", now));
	free(abs);
}

static int download_step(struct retire *r, const struct pass *p, bool replace)
{
	struct download_opts o = {
		.force = replace, .all_hashes = r->cli->all_hashes, .tries = r->cli->tries,
		.progress = r->cli->progress, .stall_timeout_s = r->cli->stall_timeout_s,
		.locked = true, .quiet_resume_hint = true,
	};
	/* a FILE.part of another image: download_image starts it again */
	int rc = step_begin(r, "download");
	if (rc)
		return rc;
	rc = download_image(r->c, &p->img, r->file, &o, &r->proof, NULL);
	if (rc == EXIT_OK)
		record_copy(r, &p->img);
	return step_end(r, "download", rc);
}

/* FILE, downloaded before and verified now, holds the server's image:
 * the receipt takes that image as its own, as if this retire had made
 * and fetched it. */
static int adopt_file(struct retire *r, const struct pass *p)
{
	fprintf(stderr, "retire: '%s' holds image %s of server '%s', verified: it is kept\n",
	        r->file, p->img.id, r->server_name ? r->server_name : "?");
	json_object_set_new(r->receipt, "image_id", json_string(p->img.id));
	json_object_set_new(r->receipt, "adopted_file", json_true());
	record_copy(r, &p->img);
	return save_receipt(r);
}

static int confirm(struct retire *r)
{
	if (r->cli->yes)
		return EXIT_OK;
	if (!isatty(STDIN_FILENO)) {
		complain("refusing to delete server '%s' (%s) without confirmation: no terminal "
		         "to ask on; pass --yes", r->server_name, r->server_id);
		return EXIT_USAGE;
	}
	fprintf(stderr, "The image is verified at '%s'.\nType the server's name (%s, id %s) "
	        "to delete it: ", r->file, r->server_name, r->server_id);
	char line[4 * 255 + 2]; /* a name of 255 characters, and its newline */
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (r->server_name && strcmp(line, r->server_name) == 0)
		return EXIT_OK;
	complain("'%s' is not '%s': nothing deleted", line, r->server_name);
	return EXIT_USAGE;
}

static int delete_step(struct retire *r)
{
	/* the pass hashed FILE a moment ago: it must still be that inode */
	struct stat st;
	if (lstat(r->file, &st) < 0 || !proof_matches(&r->proof, &st)) {
		complain("'%s' changed since it was verified a moment ago: server '%s' is not "
		         "deleted; run the same command again", r->file, r->server_name);
		return EXIT_UNSAFE;
	}
	int rc = step_begin(r, "delete");
	if (rc)
		return rc;
	fprintf(stderr, "retire: deleting server '%s' (%s)\n", r->server_name, r->server_id);
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_server_delete(r->c, r->server_id, &err) < 0 && err.kind != CONOHA_ERR_NOT_FOUND)
		rc = fail_with(&err);
	if (rc == EXIT_OK)
		rc = wait_for_server(r->c, &r->deadline, r->server_id, NULL);
	return step_end(r, "delete", rc);
}

static int boot_volume_step(struct retire *r)
{
	if (!r->boot_volume)
		return EXIT_OK;
	if (!r->cli->delete_boot_volume) {
		fprintf(stderr, "retire: boot volume %s survives the delete; it is kept (remove it "
		        "with --delete-boot-volume)\n", r->boot_volume);
		return EXIT_OK;
	}
	if (step_done(r, "boot volume"))
		return EXIT_OK;
	int rc = step_begin(r, "boot volume");
	if (rc)
		return rc;
	rc = wait_for_volume(r->c, &r->deadline, r->boot_volume, "available");
	conoha_error err;
	conoha_error_clear(&err);
	if (rc == EXIT_OK && conoha_volume_delete(r->c, r->boot_volume, &err) < 0)
		rc = fail_with(&err);
	return step_end(r, "boot volume", rc);
}

/* The server is gone by our delete: finish the journal. */
static int finish_done(struct retire *r)
{
	if (!step_done(r, "delete")) {
		int rc = step_end(r, "delete", EXIT_OK);
		if (rc)
			return rc;
	}
	return boot_volume_step(r);
}

/* One pass: the facts, the decision, one step. POLL_AGAIN to go on. */
static int one_pass(struct retire *r)
{
	struct pass p;
	int rc = gather(r, &p);
	struct retire_decision d;
	if (rc == EXIT_OK)
		retire_decide(&p.f, &d);
	if (rc == EXIT_OK && r->cli->debug)
		fprintf(stderr, "retire: next: %s (%s)\n", retire_action_name(d.action), d.why);
	if (rc == EXIT_OK) {
		switch (d.action) {
		case RETIRE_REFUSE:
			rc = sink_fail(&r->err, d.rc, "%s", d.why);
			break;
		case RETIRE_DONE:
			rc = finish_done(r);
			break;
		case RETIRE_SNAPSHOT:
			fprintf(stderr, "retire: %s\n", d.why);
			rc = snapshot_step(r);
			if (rc == EXIT_OK)
				rc = POLL_AGAIN;
			break;
		case RETIRE_WAIT:
			rc = wait_step(r, p.img.id);
			if (rc == EXIT_OK)
				rc = POLL_AGAIN;
			break;
		case RETIRE_DOWNLOAD:
			fprintf(stderr, "retire: %s\n", d.why);
			rc = download_step(r, &p, d.replace_file);
			if (rc == EXIT_OK)
				rc = POLL_AGAIN;
			break;
		case RETIRE_DELETE:
			fprintf(stderr, "retire: %s\n", d.why);
			if (p.adopted && (rc = adopt_file(r, &p)))
				break;
			if (!r->confirmed) {
				/* the question may take minutes: look again after it */
				rc = confirm(r);
				r->confirmed = rc == EXIT_OK;
				if (rc == EXIT_OK)
					rc = POLL_AGAIN;
			} else {
				rc = delete_step(r);
				if (rc == EXIT_OK)
					rc = boot_volume_step(r);
			}
			break;
		}
	}
	pass_clear(&p);
	return rc;
}

/* The plan of a dry run: each step and what it would do, for people
 * (printed) and scripts (plan in the --json document). */
static json_t *make_plan(struct retire *r)
{
	const char *id = jstr(r->receipt, "image_id");
	char what[4][512];
	const char *steps[4] = { "snapshot", "download", "delete", "boot volume" };
	size_t n = 3;
	snprintf(what[0], sizeof(what[0]), "%s, then check it is that server's, fresh and %s",
	         id ? id : r->boot_volume ? "upload its boot volume" : "Nova createImage",
	         r->cli->live ? "at least crash-consistent (--live)" : "of the stopped server");
	snprintf(what[1], sizeof(what[1]), "to %s, verified against Glance and its sidecars",
	         r->file);
	snprintf(what[2], sizeof(what[2]), "the server, after typing its name%s",
	         r->cli->yes ? " (--yes: no question)" : "");
	if (r->boot_volume) {
		snprintf(what[3], sizeof(what[3]), "%s: %s", r->boot_volume,
		         r->cli->delete_boot_volume ? "deleted once available" : "kept");
		n = 4;
	}
	json_t *plan = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(plan, json_pack("{s:s, s:s}", "step", steps[i], "action",
		                                      what[i]));
	return plan;
}

static void print_plan(struct retire *r, const struct retire_decision *d)
{
	json_t *plan = make_plan(r), *step;
	size_t i;
	if (r->cli->json) {
		json_object_set_new(r->receipt, "plan", plan);
		return;
	}
	printf("plan for retiring server '%s' (%s):\n", r->server_name ? r->server_name : "?",
	       r->server_id ? r->server_id : "?");
	printf("  now: %s; next: %s\n", *d->why ? d->why : "every proof holds",
	       retire_action_name(d->action));
	json_array_foreach(plan, i, step)
		printf("  %zu. %s %s\n", i + 1, jstr(step, "step"), jstr(step, "action"));
	json_decref(plan);
}

/* The facts of a first pass and its decision, acting on nothing: a
 * refusal the real run would make is made here too, with its code. */
static int dry_run(struct retire *r)
{
	struct pass p;
	int rc = gather(r, &p);
	struct retire_decision d;
	if (rc == EXIT_OK) {
		retire_decide(&p.f, &d);
		if (d.action == RETIRE_REFUSE)
			rc = sink_fail(&r->err, d.rc, "%s", d.why);
		else
			print_plan(r, &d);
	}
	pass_clear(&p);
	return rc;
}

static int retire_steps(struct retire *r)
{
	int rc = resolve_arg(r);
	if (rc)
		return rc;
	receipt_add_run(r->receipt, r->c);
	if (r->cli->inventory && (rc = receipt_attach_inventory(r->receipt, r->cli->inventory)))
		return rc;
	if (!json_object_get(r->receipt, "server")) {
		if ((rc = step_begin(r, "record")))
			return rc;
		if ((rc = step_end(r, "record", record_server(r))))
			return rc;
	}
	read_identity(r);
	fprintf(stderr, "retire: server '%s' (%s)\n", r->server_name ? r->server_name : "?",
	        r->server_id ? r->server_id : "?");
	if (r->server_id && (rc = check_data_volumes(r)))
		return rc;
	if (r->cli->dry_run)
		return dry_run(r);
	for (int i = 0; i < MAX_PASSES; i++) {
		if (snap_interrupted)
			return EXIT_INTERRUPTED;
		rc = one_pass(r);
		if (rc != POLL_AGAIN)
			return rc;
	}
	return sink_fail(&r->err, EXIT_UNSAFE, "server '%s' (%s) keeps changing under retire: "
	                 "nothing is deleted; look at it, then run again", r->server_name,
	                 r->server_id);
}

/* What can be refused before anything is asked of the cloud; --dry-run
 * refuses it too, as the real run would. */
static int preflight(struct cli *cli)
{
	if (!cli->download) {
		complain("retire needs --download FILE: where the verified image is kept");
		return EXIT_USAGE;
	}
	if (strcmp(cli->download, "-") == 0) {
		complain("retire --download -: the copy that justifies the delete must be a file");
		return EXIT_USAGE;
	}
	if (!cli->yes && !isatty(STDIN_FILENO)) {
		complain("retire deletes the server only once its name is typed, and there is no "
		         "terminal to ask on: pass --yes, or run it on a terminal; nothing was "
		         "done");
		return EXIT_USAGE;
	}
	struct sink s = { .rc = EXIT_OK };
	/* an existing FILE is judged later: adopted if it is the image */
	struct dest_opts dest = { .force = cli->force, .may_exist = true, .need = -1 };
	int rc = preflight_metadata(cli->name, cli->reason, cli->props, cli->n_props, &s);
	if (rc == EXIT_OK)
		rc = preflight_destination(cli->download, &dest, &s);
	sink_report(&s);
	return rc;
}

int cmd_retire(struct cli *cli)
{
	int rc = preflight(cli);
	if (rc)
		return rc;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	conoha_client_set_cancel(c, &snap_interrupted);
	struct retire r = { .cli = cli, .c = c, .file = cli->download };
	deadline_start(&r.deadline, cli->timeout_s);
	int lock = -1;
	rc = cli->dry_run ? EXIT_OK : lock_target(r.file, &lock);
	if (rc == EXIT_OK)
		rc = load_receipt(&r);
	if (rc == EXIT_OK)
		rc = retire_steps(&r);
	if (cli->json && r.receipt) {
		/* the receipt as it stands, also when retire stopped or only planned */
		json_t *doc = json_deep_copy(r.receipt);
		json_object_set_new(doc, "dry_run", json_boolean(cli->dry_run));
		json_object_set_new(doc, "receipt_file", json_string(r.receipt_path));
		json_put(doc);
	} else if (rc == EXIT_OK && !cli->dry_run) {
		printf("%s\n", r.receipt_path);
	}
	sink_report(&r.err); /* the one report of what the facts refused */
	note_receipt(r.receipt, r.receipt_path);
	unlock_target(r.file, lock);
	json_decref(r.receipt);
	free(r.arg_id);
	free(r.taken_now);
	free(r.mark_before);
	free(r.arg_name);
	conoha_client_free(c);
	return rc;
}

/* cmd_create.c - "lifeboat-snap create SERVER": save a server's disk as an
 * image by the mechanism its boot source needs, and wait until it is done */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "download.h"
#include "snapshot.h"
#include "exit.h"
#include "files.h"
#include "preflight.h"
#include "text_limit.h"

/* ConoHa cannot save volumes of 1 TB and more. */
#define CONOHA_MAX_VOLUME_GB 1024

struct plan {
	struct conoha_server srv;
	bool volume_backed;
	char *volume_id;
	long long disk_gb;       /* -1 when unknown */
	bool must_stop;
	bool was_running;
	bool stopped_by_us;
	bool in_error;
	bool save_started;       /* the cloud was asked to save */
	char name[GLANCE_TEXT_MAX * 4 + 1]; /* 255 characters of up to 4 bytes */
	char created_at[32];
};

static void plan_free(struct plan *p)
{
	conoha_server_clear(&p->srv);
	free(p->volume_id);
}

static bool status_is(const struct conoha_server *s, const char *status)
{
	return s->status && strcmp(s->status, status) == 0;
}

static int find_boot_disk(conoha_client *c, struct plan *p, conoha_error *err)
{
	p->volume_backed = p->srv.image_id == NULL;
	p->disk_gb = -1;
	/* an image-backed server's size only matters for ConoHa's quota
	 * check: elsewhere, no flavor is looked up for it */
	if (!p->volume_backed && p->srv.disk_gb < 0 && !conoha_is_conoha(c))
		return 0;
	return conoha_save_size_gb(c, &p->srv, &p->volume_id, &p->disk_gb, err);
}

static int make_plan(const struct snapshot_opts *o, conoha_client *c, const char *server,
                     struct plan *p, conoha_error *err)
{
	if (conoha_server_find(c, server, &p->srv, err) < 0)
		return -1;
	/* a save that fails is counted under the server's name, as its
	 * successes are, however the server was named */
	note_server(p->srv.name, p->srv.id);
	if (find_boot_disk(c, p, err) < 0)
		return -1;
	p->was_running = status_is(&p->srv, "ACTIVE");
	p->in_error = status_is(&p->srv, "ERROR");
	/* --stop stops any server, on any cloud. Without it, ConoHa refuses
	 * to save a running server and Cinder to upload a volume in use:
	 * either way the disk must be quiet. */
	p->must_stop = !status_is(&p->srv, "SHUTOFF") &&
	               ((o->stop && !status_is(&p->srv, "ERROR")) || conoha_is_conoha(c) ||
	                p->volume_backed);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	strftime(p->created_at, sizeof(p->created_at), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	snprintf(p->name, sizeof(p->name), "%s", o->name ? o->name : "");
	/* to the millisecond, and the start of the server id: the images of
	 * one second, and of servers that share a name, are told apart; a
	 * long server name is cut to leave both */
	if (!o->name) {
		const char *who = p->srv.name ? p->srv.name : p->srv.id;
		size_t len = strlen(who);
		if (len > 200) /* cut between UTF-8 characters, never inside one */
			for (len = 200; len && ((unsigned char)who[len] & 0xC0) == 0x80; len--)
				;
		snprintf(p->name, sizeof(p->name), "lifeboat-%.*s-%.15s.%03ldZ-%.8s", (int)len,
		         who, stamp, now.tv_nsec / 1000000, p->srv.id);
		nova_name_clean(p->name); /* the server's name: Nova never checked it */
	}
	return 0;
}

/* The image's size is known only once it is saved, and a qcow2 of a
 * sparse disk is smaller than the disk: so a warning, not a refusal. The
 * download checks again, against the image, before fetching a byte. */
static void warn_space(const struct snapshot_opts *o, const struct plan *p)
{
	if (!o->download_to || p->disk_gb <= 0)
		return;
	long long disk = conoha_gb_bytes(p->disk_gb);
	long long avail = free_space_for(o->download_to);
	char a[32], n[32];
	if (avail >= 0 && avail < disk)
		complain("warning: '%s' has %s free and the disk of server '%s' is %s: the "
		         "image may not fit (it is checked again once its size is known)",
		         o->download_to, human_size(avail, a, sizeof(a)),
		         p->srv.name ? p->srv.name : p->srv.id, human_size(disk, n, sizeof(n)));
}

static int check_conoha_limits(conoha_client *c, const struct plan *p)
{
	if (!conoha_is_conoha(c))
		return EXIT_OK;
	if (p->volume_backed && p->disk_gb >= CONOHA_MAX_VOLUME_GB) {
		complain("server '%s': its boot volume is %lld GB; ConoHa cannot save volumes "
		         "of 1 TB or more", p->srv.name, p->disk_gb);
		return EXIT_REFUSED;
	}
	conoha_error err;
	conoha_error_clear(&err);
	long long quota, used;
	if (conoha_image_quota(c, &quota, &used, &err) < 0)
		return fail_with(&err);
	long long need = p->disk_gb > 0 ? conoha_gb_bytes(p->disk_gb) : 0;
	if (conoha_quota_exceeded(quota, used, need)) {
		/* ConoHa counts quotas in decimal GB: show them that way. */
		complain("image quota too small: %.1f GB of %.1f GB used, and this server's "
		         "disk is %.1f GB; ConoHa would accept the save and silently do "
		         "nothing. Free space with 'lifeboat-snap prune %s --keep N'",
		         (double)used / 1e9, (double)quota / 1e9, (double)need / 1e9,
		         p->srv.name ? p->srv.name : p->srv.id);
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static int stop_server(const struct snapshot_opts *o, conoha_client *c, struct plan *p)
{
	if (!p->must_stop)
		return EXIT_OK;
	if (!o->stop) {
		complain("server '%s' is %s and must be stopped before its disk can be saved "
		         "(%s): run again with --stop (and --start-after to start it again)",
		         p->srv.name, p->srv.status,
		         p->volume_backed ? "its boot volume is in use" : "ConoHa requires it");
		return EXIT_REFUSED;
	}
	if (p->in_error) {
		complain("server '%s' is in ERROR: it cannot be stopped, so its disk cannot "
		         "be saved; have its state reset to active (openstack server "
		         "reset-state --active, or the provider's support), then run again",
		         p->srv.name);
		return EXIT_REFUSED;
	}
	conoha_error err;
	conoha_error_clear(&err);
	fprintf(stderr, "stopping server %s (%s)%s\n", p->srv.name, p->srv.id,
	        o->force_stop ? ", forced" : "");
	if (status_is(&p->srv, "ACTIVE")) {
		if (conoha_server_stop(c, p->srv.id, o->force_stop, &err) < 0)
			return fail_with(&err);
		p->stopped_by_us = true;
	}
	return wait_for_server(c, o->deadline, p->srv.id, "SHUTOFF");
}

/* A disk saved while its server ran holds what a power cut would leave. */
static const char *consistency_of(const struct plan *p)
{
	return p->volume_backed || status_is(&p->srv, "SHUTOFF") || p->must_stop
	       ? CONSISTENCY_STOPPED : CONSISTENCY_CRASH;
}

static int start_save(const struct snapshot_opts *o, conoha_client *c, struct plan *p,
                      char **image_id)
{
	struct conoha_kv meta[5 + MAX_PROPERTIES];
	size_t n = 0;
	meta[n++] = (struct conoha_kv){ "lifeboat.server_id", p->srv.id };
	meta[n++] = (struct conoha_kv){ "lifeboat.server_name", p->srv.name ? p->srv.name : "" };
	meta[n++] = (struct conoha_kv){ "lifeboat.created_at", p->created_at };
	meta[n++] = (struct conoha_kv){ "lifeboat.consistency", consistency_of(p) };
	if (o->reason)
		meta[n++] = (struct conoha_kv){ "lifeboat.reason", o->reason };
	for (size_t i = 0; i < o->n_props && n < sizeof(meta) / sizeof(meta[0]); i++)
		meta[n++] = o->props[i];
	if (!strcmp(consistency_of(p), CONSISTENCY_CRASH))
		fprintf(stderr, "server %s is running: the image is crash-consistent (what a "
		        "power cut would leave); --stop saves a stopped, consistent one\n",
		        p->srv.name);
	p->save_started = true;

	conoha_error err;
	conoha_error_clear(&err);
	if (!p->volume_backed) {
		fprintf(stderr, "saving server %s as image '%s' (Nova createImage)\n",
		        p->srv.name, p->name);
		if (conoha_server_create_image(c, p->srv.id, p->name, meta, n, image_id, &err) < 0)
			return fail_with(&err);
		return EXIT_OK;
	}
	fprintf(stderr, "saving boot volume %s of server %s as image '%s' "
	        "(Cinder os-volume_upload_image)\n", p->volume_id, p->srv.name, p->name);
	if (conoha_volume_upload_image(c, p->volume_id, p->name, image_id, &err) < 0)
		return fail_with(&err);
	/* Cinder takes no metadata: tag the image as soon as it exists. */
	if (conoha_image_set_properties(c, *image_id, meta, n, &err) < 0) {
		complain("image %s is being saved, but tagging it failed", *image_id);
		return fail_with(&err);
	}
	return EXIT_OK;
}

static int start_again(const struct snapshot_opts *o, conoha_client *c, const struct plan *p)
{
	if (!o->start_after || !p->stopped_by_us)
		return EXIT_OK;
	conoha_error err;
	conoha_error_clear(&err);
	/* after a stop that ran out of time, it may still be powering off */
	int rc = wait_for_server(c, o->deadline, p->srv.id, "SHUTOFF");
	if (rc)
		return rc;
	fprintf(stderr, "starting server %s again\n", p->srv.name);
	if (conoha_server_start(c, p->srv.id, &err) < 0)
		return fail_with(&err);
	return wait_for_server(c, o->deadline, p->srv.id, "ACTIVE");
}

static int print_result(struct cli *cli, const char *image_id)
{
	if (cli->json)
		return EXIT_OK; /* the document is given by create_doc() */
	printf("%s\n", image_id);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}

/* {"image": ..., "download": ...}: given as soon as the cloud named the
 * image, so that a failure later still tells a script which image it is */
static void create_doc(const struct snapshot *snap, json_t *download)
{
	struct conoha_image only_id = { .id = snap->image_id, .size = -1 };
	json_t *doc = json_doc("create");
	json_object_set_new(doc, "image", json_image(snap->img.id ? &snap->img : &only_id));
	json_object_set_new(doc, "download", download ? download : json_null());
	json_put(doc);
}

void snapshot_clear(struct snapshot *s)
{
	free(s->server_id);
	free(s->image_id);
	conoha_image_clear(&s->img);
	memset(s, 0, sizeof(*s));
}

static int run_snapshot(conoha_client *c, const char *server, const struct snapshot_opts *o,
                        struct plan *p, struct snapshot *out)
{
	conoha_error err;
	conoha_error_clear(&err);
	if (make_plan(o, c, server, p, &err) < 0)
		return fail_with(&err);
	out->server_id = strdup(p->srv.id);
	out->consistency = consistency_of(p);
	warn_space(o, p);
	int rc = check_conoha_limits(c, p);
	if (rc == EXIT_OK)
		rc = stop_server(o, c, p);
	if (rc == EXIT_OK)
		rc = start_save(o, c, p, &out->image_id);
	if (out->image_id && o->accepted)
		o->accepted(o->userdata, out->image_id, out->consistency);
	if (rc == EXIT_OK && !o->no_wait)
		rc = (o->quiet_hints ? wait_for_image_quietly : wait_for_image)(
			c, o->deadline, out->image_id,
			p->volume_backed || p->in_error ? NULL : p->srv.id, &out->img);
	bool may_be_saving = p->save_started && (rc == EXIT_INTERRUPTED || rc == EXIT_TIMEOUT);
	if (rc == EXIT_INTERRUPTED && p->stopped_by_us && !p->save_started) {
		/* Ctrl-C while it stopped: nothing was saved, and the user asked
		 * us to stop; say how to get the server back (retire says how
		 * to go on instead: its server is to be deleted). */
		if (!o->quiet_hints)
			complain("interrupted before the save began: server '%s' was stopped and "
			         "no image was taken; start it again with 'openstack server "
			         "start %s'", p->srv.name, p->srv.id);
	} else if (!may_be_saving) {
		/* A failed save must not keep the service down. */
		struct deadline grace;
		struct snapshot_opts late = { .start_after = true, .deadline = &grace };
		if (deadline_left(o->deadline) <= 0 && o->start_after && p->stopped_by_us) {
			deadline_start(&grace, 60); /* the command's time is up: a bounded start */
			o = &late;
		}
		int started = start_again(o, c, p);
		if (rc == EXIT_OK)
			rc = started;
	} else if (p->stopped_by_us) {
		complain("server '%s' stays stopped while its image may still be saving",
		         p->srv.name);
	}
	if (rc != EXIT_OK && out->image_id && !may_be_saving)
		complain("image %s was not completed", out->image_id);
	return rc;
}

int snapshot_server(conoha_client *c, const char *server, const struct snapshot_opts *o,
                    struct snapshot *out)
{
	memset(out, 0, sizeof(*out));
	struct plan p = { 0 };
	int rc = run_snapshot(c, server, o, &p, out);
	plan_free(&p);
	return rc;
}

int cmd_create(struct cli *cli)
{
	if (cli->download && cli->no_wait) {
		complain("--download needs the wait: only an active image can be downloaded");
		return EXIT_USAGE;
	}
	if (cli->start_after && cli->no_wait) {
		complain("--start-after needs the wait: the server may start only once its "
		         "image is complete");
		return EXIT_USAGE;
	}
	if (cli->download && strcmp(cli->download, "-") == 0) {
		complain("--download -: standard output carries the image id; give a FILE, or "
		         "'lifeboat-snap download ID -' afterwards");
		return EXIT_USAGE;
	}
	/* what this machine can judge, before anything is stopped or saved */
	struct sink s = { .rc = EXIT_OK };
	struct dest_opts dest = { .force = cli->force, .need = -1 };
	int rc = preflight_metadata(cli->name, cli->reason, cli->props, cli->n_props, &s);
	if (rc == EXIT_OK && cli->download)
		rc = preflight_destination(cli->download, &dest, &s);
	if (rc) {
		sink_report(&s);
		return rc;
	}
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	struct deadline d;
	deadline_start(&d, cli->timeout_s);
	struct snapshot_opts o = {
		.stop = cli->stop, .force_stop = cli->force_stop, .start_after = cli->start_after,
		.no_wait = cli->no_wait, .name = cli->name, .reason = cli->reason,
		.props = cli->props, .n_props = cli->n_props, .deadline = &d,
		.download_to = cli->download,
	};
	struct snapshot snap;
	rc = snapshot_server(c, cli->args[0], &o, &snap);
	struct download_opts dl = {
		.force = cli->force, .all_hashes = cli->all_hashes, .tries = cli->tries,
		.progress = cli->progress, .stall_timeout_s = cli->stall_timeout_s,
	};
	json_t *record = NULL;
	if (rc == EXIT_OK && cli->download) {
		rc = download_image(c, &snap.img, cli->download, &dl, NULL, &record);
		if (rc != EXIT_OK && rc != EXIT_INTERRUPTED)
			complain("image %s is saved and active; fetch it with: lifeboat-snap "
			         "download %s FILE", snap.image_id, snap.image_id);
	}
	if (cli->json && snap.image_id)
		create_doc(&snap, record);
	else
		json_decref(record);
	note_snapshot(&snap, rc);
	if (rc == EXIT_OK)
		rc = print_result(cli, snap.image_id);
	snapshot_clear(&snap);
	conoha_client_free(c);
	return rc;
}

/* retire_decide.c - the one place that decides whether a server may be
 * deleted: only when, now, a local regular file exists whose bytes hash to
 * that server's own, active, post-stop (or, with --live, crash-consistent)
 * image, as both its sidecar and Glance say */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "exit.h"
#include "retire_decide.h"

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static bool same_hex(const char *a, const char *b)
{
	return a && b && *a && strcasecmp(a, b) == 0;
}

static const char *or_q(const char *s)
{
	return s && *s ? s : "?";
}

static void set(struct retire_decision *d, enum retire_action a, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set(struct retire_decision *d, enum retire_action a, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	d->action = a;
	d->rc = rc;
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

/* The receipt belongs to one server id; SERVER must still name it. */
static bool identity_refused(const struct retire_facts *f, struct retire_decision *d)
{
	if (!f->receipt_server_id) {
		set(d, RETIRE_REFUSE, EXIT_UNSAFE, "the receipt names no server id: it cannot "
		    "tell which server it belongs to; move it aside to start again");
		return true;
	}
	if (f->arg_server_id && !same(f->arg_server_id, f->receipt_server_id)) {
		set(d, RETIRE_REFUSE, EXIT_UNSAFE, "the receipt belongs to server '%s' (%s), but "
		    "'%s' now names server '%s' (%s): nothing is done; use another FILE for "
		    "another server", or_q(f->receipt_server_name), f->receipt_server_id,
		    or_q(f->server_arg), or_q(f->arg_server_name), f->arg_server_id);
		return true;
	}
	if (!f->arg_server_id && f->server_exists && !same(f->server_arg, f->receipt_server_id)) {
		set(d, RETIRE_REFUSE, EXIT_UNSAFE, "'%s' names no server now; the receipt's "
		    "server '%s' (%s) is now named '%s': name it by its id to go on",
		    or_q(f->server_arg), or_q(f->receipt_server_name), f->receipt_server_id,
		    or_q(f->server_name));
		return true;
	}
	return false;
}

static bool server_refused(const struct retire_facts *f, struct retire_decision *d)
{
	if (!f->server_exists) {
		if (f->delete_sent)
			set(d, RETIRE_DONE, EXIT_OK, "server '%s' (%s) is deleted",
			    or_q(f->receipt_server_name), f->receipt_server_id);
		else
			set(d, RETIRE_REFUSE, EXIT_UNSAFE, "server '%s' (%s) is gone, but not "
			    "by this retire: nothing to do", or_q(f->receipt_server_name),
			    f->receipt_server_id);
		return true;
	}
	bool stopped = same(f->server_status, "SHUTOFF");
	if (!stopped && !f->stop && !f->live) {
		set(d, RETIRE_REFUSE, EXIT_USAGE, "server '%s' (%s) is %s: retire deletes only "
		    "after --stop (a consistent image of the stopped server) or an explicit "
		    "--live (a crash-consistent one will do)", or_q(f->server_name),
		    f->receipt_server_id, or_q(f->server_status));
		return true;
	}
	/* Known before any step: a running server whose disk can be saved
	 * only stopped needs --stop whatever else was given; --live would
	 * end in the same refusal, after the record and the first requests. */
	if (!stopped && !f->stop && f->save_needs_stop) {
		set(d, RETIRE_REFUSE, EXIT_REFUSED, "server '%s' (%s) is %s, and its disk can "
		    "be saved only once it is stopped (a boot volume in use, or ConoHa): "
		    "--live is not enough; run again with --stop", or_q(f->server_name),
		    f->receipt_server_id, or_q(f->server_status));
		return true;
	}
	return false;
}

/* Is the receipt's image one this run may keep? Otherwise, why not. */
static const char *image_unfit(const struct retire_facts *f)
{
	if (!same(f->image_server_id, f->receipt_server_id))
		return "is not labelled as an image of this server";
	bool stopped_image = same(f->image_consistency, "stopped");
	if (f->started_since_image == 1)
		return "is stale: the server was started again after it was taken";
	if (stopped_image && !same(f->server_status, "SHUTOFF"))
		return "is stale: the server is running again";
	/* Hidden actions leave only the power state, which a start and a stop
	 * between two runs restore: only this run's own image is known fresh. */
	if (f->started_since_image == -1 && !f->image_taken_now)
		return "may be stale: the cloud does not show the server's actions, so a start "
		       "since an earlier run took it cannot be ruled out";
	if (f->started_since_image == 2 && !f->image_taken_now)
		return "may be stale: the server was started in the second an earlier run took "
		       "it, and whole seconds cannot tell which came first";
	if (!stopped_image && !f->live)
		return "is not of a stopped server (crash-consistent)";
	return NULL;
}

static void decide_image(const struct retire_facts *f, struct retire_decision *d)
{
	switch (f->image) {
	case IMAGE_NONE:
		set(d, RETIRE_SNAPSHOT, EXIT_OK, "no image yet");
		return;
	case IMAGE_GONE:
		set(d, RETIRE_SNAPSHOT, EXIT_OK, "image %s is gone from Glance", or_q(f->image_id));
		return;
	case IMAGE_FAILED:
		set(d, RETIRE_SNAPSHOT, EXIT_OK, "image %s failed", or_q(f->image_id));
		return;
	case IMAGE_PENDING:
		set(d, RETIRE_WAIT, EXIT_OK, "image %s is being saved", or_q(f->image_id));
		return;
	case IMAGE_ACTIVE:
		break;
	}
	/* server_refused() made sure a new image can be taken: the server
	 * is stopped, or --stop or --live was given. */
	const char *unfit = image_unfit(f);
	if (unfit) {
		set(d, RETIRE_SNAPSHOT, EXIT_OK, "image %s %s: a new one is taken",
		    or_q(f->image_id), unfit);
		return;
	}
	if (!f->image_hash || !*f->image_hash) {
		set(d, RETIRE_REFUSE, EXIT_UNSAFE, "image %s carries no checksum in Glance: no "
		    "copy of it can be verified", or_q(f->image_id));
		return;
	}
	d->action = RETIRE_DELETE; /* so far; the file decides */
}

static void decide_file(const struct retire_facts *f, struct retire_decision *d)
{
	bool ours = f->downloaded_before || f->force;
	if (!f->file_exists) {
		set(d, RETIRE_DOWNLOAD, EXIT_OK, "there is no local copy yet");
		return;
	}
	if (!f->file_regular) {
		set(d, RETIRE_REFUSE, EXIT_LOCAL_IO, "FILE is not a regular file: nothing is "
		    "deleted until a regular file holds the image");
		return;
	}
	const char *what = NULL;
	if (!same_hex(f->file_hash, f->image_hash))
		what = "its bytes are not the image as Glance hashes it";
	else if (!same(f->sidecar_image_id, f->image_id))
		what = "its FILE.json names another image";
	else if (!same_hex(f->file_sha512, f->sidecar_sha512) ||
	         !same_hex(f->file_sha512, f->sidecar_json_sha512))
		what = "its bytes do not match its sidecars FILE.sha512 and FILE.json";
	if (!what) {
		set(d, RETIRE_DELETE, EXIT_OK, "FILE holds image %s, verified against Glance "
		    "and its sidecars", or_q(f->image_id));
		return;
	}
	if (!ours) {
		set(d, RETIRE_REFUSE, EXIT_LOCAL_IO, "FILE exists and is not this retire's: %s "
		    "(image %s); it is never overwritten without --force", what, or_q(f->image_id));
		return;
	}
	set(d, RETIRE_DOWNLOAD, EXIT_OK, "FILE is no good copy of image %s (%s): it is "
	    "downloaded again", or_q(f->image_id), what);
	d->replace_file = true;
}

void retire_decide(const struct retire_facts *f, struct retire_decision *d)
{
	memset(d, 0, sizeof(*d));
	if (identity_refused(f, d) || server_refused(f, d))
		return;
	decide_image(f, d);
	if (d->action != RETIRE_DELETE)
		return;
	decide_file(f, d);
}

const char *retire_action_name(enum retire_action a)
{
	static const char *const names[] = {
		[RETIRE_REFUSE] = "refuse", [RETIRE_DONE] = "done",
		[RETIRE_SNAPSHOT] = "snapshot", [RETIRE_WAIT] = "wait",
		[RETIRE_DOWNLOAD] = "download", [RETIRE_DELETE] = "delete",
	};
	return (size_t)a < sizeof(names) / sizeof(names[0]) ? names[a] : "?";
}

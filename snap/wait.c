/* wait.c - poll until an image is active or a server reaches a status:
 * bounded by the command's one deadline, failing at once on terminal
 * states, Ctrl-C safe */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "poll.h"

/* A save the cloud accepted must show an image within this long; ConoHa
 * answers 202 and then does nothing when the image quota is full. */
#define APPEAR_WINDOW_S 120

static const struct poll_opts image_poll = { 500, 10000 };
static const struct poll_opts server_poll = { 250, 5000 };

struct image_wait {
	conoha_client *c;
	const char *image_id;
	const char *server_id;
	struct conoha_image *out;
	double start;
	const struct deadline *deadline;
	bool seen;
	char last[32];
	bool tty;
	bool line_open;
};

static void end_line(struct image_wait *w)
{
	if (w->line_open)
		fputc('\n', stderr);
	w->line_open = false;
}

/* On a terminal one line redrawn; elsewhere one line per state change. */
static void show_image_state(struct image_wait *w, bool changed)
{
	const struct conoha_image *img = w->out;
	long elapsed = (long)(mono_now() - w->start);
	char size[32] = "";
	if (img->size >= 0)
		human_size(img->size, size, sizeof(size));
	if (w->tty) {
		fprintf(stderr, "\r\033[Kimage %s: %s%s%s  %ld:%02ld", img->id, img->status,
		        *size ? "  " : "", size, elapsed / 60, elapsed % 60);
		w->line_open = true;
	} else if (changed) {
		fprintf(stderr, "image %s: %s%s%s after %lds\n", img->id, img->status,
		        *size ? ", " : "", size, elapsed);
	}
}

static int server_in_error(conoha_client *c, const char *server_id, conoha_error *err)
{
	struct conoha_server srv;
	if (conoha_server_get(c, server_id, &srv, err) < 0)
		return err->kind == CONOHA_ERR_NOT_FOUND ? 0 : -1;
	int bad = srv.status && strcmp(srv.status, "ERROR") == 0;
	conoha_server_clear(&srv);
	return bad;
}

/* One poll: POLL_AGAIN, EXIT_OK once active, or the exit code of a
 * failure (reported). */
static int poll_image_once(void *userdata)
{
	struct image_wait *w = userdata;
	conoha_error err;
	conoha_error_clear(&err);
	conoha_image_clear(w->out);
	if (conoha_image_get(w->c, w->image_id, w->out, &err) < 0) {
		if (err.kind != CONOHA_ERR_NOT_FOUND)
			return end_line(w), fail_with(&err);
		if (w->seen) {
			end_line(w);
			complain("image %s disappeared while being saved (request id %s)",
			         w->image_id, err.request_id);
			return EXIT_REFUSED;
		}
		if (mono_now() - w->start > APPEAR_WINDOW_S || deadline_left(w->deadline) <= 0) {
			end_line(w);
			complain("the cloud accepted the save but image %s never appeared "
			         "(ConoHa does this when the image quota is full: see "
			         "'lifeboat-snap list' and 'prune')", w->image_id);
			return EXIT_REFUSED;
		}
		return POLL_AGAIN;
	}
	const char *status = w->out->status ? w->out->status : "";
	w->seen = true;
	bool changed = strcmp(w->last, status) != 0;
	snprintf(w->last, sizeof(w->last), "%s", status);
	show_image_state(w, changed);
	if (strcmp(status, "active") == 0)
		return end_line(w), EXIT_OK;
	if (conoha_image_status_is_terminal(w->out->status) || !*status) {
		end_line(w);
		const char *rid = conoha_last_request_id(w->c);
		complain("image %s ended '%s': the save failed%s%s%s", w->image_id,
		         *status ? status : "(no status)", *rid ? " (request id " : "", rid,
		         *rid ? ")" : "");
		return EXIT_REFUSED;
	}
	if (w->server_id) {
		int bad = server_in_error(w->c, w->server_id, &err);
		if (bad < 0)
			return end_line(w), fail_with(&err);
		if (bad) {
			end_line(w);
			complain("server %s went to ERROR while image %s was '%s'", w->server_id,
			         w->image_id, status);
			return EXIT_REFUSED;
		}
	}
	return POLL_AGAIN;
}

static int wait_image(conoha_client *c, const struct deadline *d, const char *image_id,
                      const char *server_id, bool hints, struct conoha_image *out)
{
	memset(out, 0, sizeof(*out));
	struct image_wait w = { .c = c, .image_id = image_id, .server_id = server_id,
	                        .out = out, .start = mono_now(), .deadline = d,
	                        .tty = isatty(STDERR_FILENO) };
	int rc = poll_until(d, &image_poll, poll_image_once, &w);
	if (rc == EXIT_INTERRUPTED || rc == EXIT_TIMEOUT)
		end_line(&w);
	if (!hints && rc == EXIT_TIMEOUT) {
		complain("image %s still '%s' after %llds (--timeout)", image_id,
		         w.seen ? w.last : "absent", d->seconds);
	} else if (!hints) {
		/* the caller says how to go on */
	} else if (rc == EXIT_INTERRUPTED) {
		complain("interrupted: the snapshot goes on in the cloud; "
		         "wait for it with: lifeboat-snap wait %s", image_id);
	} else if (rc == EXIT_TIMEOUT) {
		complain("image %s still '%s' after %llds (--timeout); it may yet finish: "
		         "lifeboat-snap wait %s", image_id, w.seen ? w.last : "absent",
		         d->seconds, image_id);
	}
	if (rc != EXIT_OK)
		conoha_image_clear(out);
	return rc;
}

int wait_for_image(conoha_client *c, const struct deadline *d, const char *image_id,
                   const char *server_id, struct conoha_image *out)
{
	return wait_image(c, d, image_id, server_id, true, out);
}

int wait_for_image_quietly(conoha_client *c, const struct deadline *d, const char *image_id,
                           const char *server_id, struct conoha_image *out)
{
	return wait_image(c, d, image_id, server_id, false, out);
}

struct server_wait {
	conoha_client *c;
	const char *server_id;
	const char *want;      /* a status, or NULL for "gone" */
};

static int poll_server_once(void *userdata)
{
	struct server_wait *w = userdata;
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server srv;
	if (conoha_server_get(w->c, w->server_id, &srv, &err) < 0) {
		if (!w->want && err.kind == CONOHA_ERR_NOT_FOUND)
			return EXIT_OK;
		return fail_with(&err);
	}
	bool done = w->want && srv.status && strcmp(srv.status, w->want) == 0 && !srv.task_state;
	bool broken = srv.status && strcmp(srv.status, "ERROR") == 0;
	conoha_server_clear(&srv);
	if (done)
		return EXIT_OK;
	if (broken) {
		complain("server %s went to ERROR while waiting for it to be %s", w->server_id,
		         w->want ? w->want : "deleted");
		return EXIT_REFUSED;
	}
	return POLL_AGAIN;
}

int wait_for_server(conoha_client *c, const struct deadline *d, const char *server_id,
                    const char *want)
{
	struct server_wait w = { c, server_id, want };
	int rc = poll_until(d, &server_poll, poll_server_once, &w);
	const char *what = want ? want : "deleted";
	if (rc == EXIT_INTERRUPTED)
		complain("interrupted while waiting for server %s to be %s", server_id, what);
	else if (rc == EXIT_TIMEOUT)
		complain("server %s is not %s after %llds (--timeout)", server_id, what,
		         d->seconds);
	return rc;
}

struct volume_wait {
	conoha_client *c;
	const char *volume_id;
	const char *want;
};

static int poll_volume_once(void *userdata)
{
	struct volume_wait *w = userdata;
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_volume v;
	if (conoha_volume_get(w->c, w->volume_id, &v, &err) < 0)
		return fail_with(&err);
	bool ready = v.status && strcmp(v.status, w->want) == 0;
	conoha_volume_clear(&v);
	return ready ? EXIT_OK : POLL_AGAIN;
}

int wait_for_volume(conoha_client *c, const struct deadline *d, const char *volume_id,
                    const char *want)
{
	struct volume_wait w = { c, volume_id, want };
	int rc = poll_until(d, &server_poll, poll_volume_once, &w);
	if (rc == EXIT_INTERRUPTED)
		complain("interrupted while waiting for volume %s to be %s", volume_id, want);
	else if (rc == EXIT_TIMEOUT)
		complain("volume %s is not %s after %llds (--timeout)", volume_id, want,
		         d->seconds);
	return rc;
}

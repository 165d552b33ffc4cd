/* wait.c - poll until an image is active or a server reaches a status:
 * bounded in time, failing at once on terminal states, Ctrl-C safe */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"

#define POLL_FIRST_MS 500
#define POLL_MAX_MS 10000
/* A save the cloud accepted must show an image within this long; ConoHa
 * answers 202 and then does nothing when the image quota is full. */
#define APPEAR_WINDOW_S 120

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct poll_state {
	double start, deadline;
	long interval_ms;
	bool tty;
	bool line_open;
};

static void poll_init(struct cli *cli, struct poll_state *p)
{
	p->start = now_s();
	p->deadline = p->start + (double)cli->timeout_s;
	p->interval_ms = POLL_FIRST_MS;
	p->tty = isatty(STDERR_FILENO);
	p->line_open = false;
}

/* Sleep before the next poll. Returns an exit code to stop with, or 0. */
static int poll_next(struct poll_state *p)
{
	double left = p->deadline - now_s();
	if (left <= 0)
		return EXIT_TIMEOUT;
	long ms = p->interval_ms;
	if ((double)ms / 1000.0 > left)
		ms = (long)(left * 1000.0) + 1;
	if (sleep_interruptible(ms) < 0)
		return EXIT_INTERRUPTED;
	p->interval_ms = p->interval_ms * 3 / 2;
	if (p->interval_ms > POLL_MAX_MS)
		p->interval_ms = POLL_MAX_MS;
	return 0;
}

static void end_line(struct poll_state *p)
{
	if (p->line_open)
		fputc('\n', stderr);
	p->line_open = false;
}

/* On a terminal one line redrawn; elsewhere one line per state change. */
static void show_image_state(struct poll_state *p, const struct conoha_image *img,
                             bool changed)
{
	long elapsed = (long)(now_s() - p->start);
	char size[32] = "";
	if (img->size >= 0)
		human_size(img->size, size, sizeof(size));
	if (p->tty) {
		fprintf(stderr, "\r\033[Kimage %s: %s%s%s  %ld:%02ld", img->id, img->status,
		        *size ? "  " : "", size, elapsed / 60, elapsed % 60);
		p->line_open = true;
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

static int interrupted_wait(struct poll_state *p, const char *image_id)
{
	end_line(p);
	complain("interrupted: the snapshot goes on in the cloud; "
	         "wait for it with: lifeboat-snap wait %s", image_id);
	return EXIT_INTERRUPTED;
}

static int timed_out(struct poll_state *p, const char *image_id, const char *status,
                     long long timeout_s)
{
	end_line(p);
	complain("image %s still '%s' after %llds (--timeout); it may yet finish: "
	         "lifeboat-snap wait %s", image_id, status ? status : "absent",
	         timeout_s, image_id);
	return EXIT_TIMEOUT;
}

/* One poll. Returns 1 when active, 0 to go on, or an exit code. */
static int poll_image_once(conoha_client *c, struct poll_state *p,
                           const char *image_id, const char *server_id, bool *seen,
                           char *last, size_t last_size, struct conoha_image *out)
{
	conoha_error err;
	conoha_error_clear(&err);
	conoha_image_clear(out);
	if (conoha_image_get(c, image_id, out, &err) < 0) {
		if (err.kind != CONOHA_ERR_NOT_FOUND)
			return end_line(p), fail_with(&err);
		if (*seen) {
			end_line(p);
			complain("image %s disappeared while being saved (request id %s)",
			         image_id, err.request_id);
			return EXIT_REFUSED;
		}
		if (now_s() - p->start > APPEAR_WINDOW_S || now_s() >= p->deadline) {
			end_line(p);
			complain("the cloud accepted the save but image %s never appeared "
			         "(ConoHa does this when the image quota is full: see "
			         "'lifeboat-snap list' and 'prune')", image_id);
			return EXIT_REFUSED;
		}
		return 0;
	}
	*seen = true;
	bool changed = strcmp(last, out->status ? out->status : "") != 0;
	snprintf(last, last_size, "%s", out->status ? out->status : "");
	show_image_state(p, out, changed);
	if (out->status && strcmp(out->status, "active") == 0)
		return end_line(p), 1;
	if (conoha_image_status_is_terminal(out->status) || !out->status) {
		end_line(p);
		const char *rid = conoha_last_request_id(c);
		complain("image %s ended '%s': the save failed%s%s%s", image_id,
		         out->status ? out->status : "(no status)", *rid ? " (request id " : "",
		         rid, *rid ? ")" : "");
		return EXIT_REFUSED;
	}
	if (server_id) {
		int bad = server_in_error(c, server_id, &err);
		if (bad < 0)
			return end_line(p), fail_with(&err);
		if (bad) {
			end_line(p);
			complain("server %s went to ERROR while image %s was '%s'", server_id,
			         image_id, out->status);
			return EXIT_REFUSED;
		}
	}
	return 0;
}

int wait_for_image(struct cli *cli, conoha_client *c, const char *image_id,
                   const char *server_id, struct conoha_image *out)
{
	struct poll_state p;
	poll_init(cli, &p);
	bool seen = false;
	char last[32] = "";
	memset(out, 0, sizeof(*out));
	for (;;) {
		if (snap_interrupted)
			return interrupted_wait(&p, image_id);
		int r = poll_image_once(c, &p, image_id, server_id, &seen, last,
		                        sizeof(last), out);
		if (r == 1)
			return EXIT_OK;
		if (r != 0)
			return r;
		r = poll_next(&p);
		if (r == EXIT_INTERRUPTED)
			return interrupted_wait(&p, image_id);
		if (r == EXIT_TIMEOUT)
			return timed_out(&p, image_id, seen ? last : NULL, cli->timeout_s);
	}
}

int wait_for_server(struct cli *cli, conoha_client *c, const char *server_id,
                    const char *want)
{
	struct poll_state p;
	poll_init(cli, &p);
	for (;;) {
		conoha_error err;
		conoha_error_clear(&err);
		struct conoha_server srv;
		if (conoha_server_get(c, server_id, &srv, &err) < 0)
			return fail_with(&err);
		bool done = srv.status && strcmp(srv.status, want) == 0 && !srv.task_state;
		bool broken = srv.status && strcmp(srv.status, "ERROR") == 0;
		conoha_server_clear(&srv);
		if (done)
			return EXIT_OK;
		if (broken) {
			complain("server %s went to ERROR while waiting for %s", server_id, want);
			return EXIT_REFUSED;
		}
		int r = poll_next(&p);
		if (r == EXIT_INTERRUPTED) {
			complain("interrupted while waiting for server %s to be %s", server_id, want);
			return r;
		}
		if (r == EXIT_TIMEOUT) {
			complain("server %s is not %s after %llds (--timeout)", server_id, want,
			         cli->timeout_s);
			return r;
		}
	}
}

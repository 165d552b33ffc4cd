/* fleet.c - one command over many servers: which servers, one worker
 * process per server (at most --parallel at a time, each with its own
 * session), their stderr relayed line by line with the server named, and
 * one summary line per server at the end.
 *
 * A worker is a fork of this process that runs the single-server command
 * as it always ran; its exit code, its stdout and what it noted
 * (run_note) come back to the parent. Nothing of libcurl crosses the
 * fork: the parent frees its client before the first worker starts. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "fleet.h"
#include "json_out.h"
#include "logjson.h"
#include "metrics.h"
#include "safe_text.h"
#include "snapshot.h"

struct run_note run_note = { .image_bytes = -1 };

void note_server(const char *name, const char *id)
{
	if (name)
		snprintf(run_note.server, sizeof(run_note.server), "%s", name);
	if (id)
		snprintf(run_note.server_id, sizeof(run_note.server_id), "%s", id);
}

void note_image(const char *id, long long bytes)
{
	if (id)
		snprintf(run_note.image_id, sizeof(run_note.image_id), "%s", id);
	run_note.image_bytes = bytes;
}

void note_detail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(run_note.detail, sizeof(run_note.detail), fmt, ap);
	va_end(ap);
}

void note_changed(void)
{
	run_note.changed = true;
}

/* ---- the workers ------------------------------------------------------------ */

enum target_state { T_WAITING, T_RUNNING, T_DONE };

struct target {
	char *arg;             /* what the worker is given */
	char *key;             /* the server's id when known, else arg: no server twice */
	char *label;           /* what the summary calls the server */
	enum target_state state;
	pid_t pid;
	int err_fd;            /* the worker's stderr, read end */
	FILE *out, *note;      /* its stdout and its run_note, in unlinked files */
	char line[2048];       /* a line of stderr not yet complete */
	size_t len;
	char last_error[512];  /* the first error it reported */
	int rc;
	struct timespec t0;
	double duration;
	json_t *result;        /* the worker's stdout as JSON, when it was */
	char *output;          /* its stdout as text */
	struct run_note got;
};

struct fleet {
	struct cli *cli;
	int (*run)(struct cli *cli);
	const char *command;
	struct target *t;
	size_t n;
	bool capture_stdout;   /* false: a single relayed run writes stdout itself */
	bool single;           /* one command relayed for its events, not a fleet */
};

static int run_here(struct cli *cli, int (*run)(struct cli *cli), const char *command);

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void relay_line(struct fleet *f, struct target *t, const char *line)
{
	if (!*line)
		return;
	int prio = log_priority_of(line);
	if (prio == LOG_PRIO_ERR && !t->last_error[0]) /* the first: the cause */
		snprintf(t->last_error, sizeof(t->last_error), "%s", line + strlen("lifeboat-snap: "));
	if (log_json) {
		log_event(prio, t->label, line, -1);
		return;
	}
	/* a server's name or an error may carry escape sequences: none
	 * reaches the terminal, nor fakes another server's line */
	if (f->capture_stdout) {
		fputc('[', stderr);
		fput_safe(t->label, stderr, false);
		fputs("] ", stderr);
	}
	fput_safe(line, stderr, false);
	fputc('\n', stderr);
}

/* Read what the worker wrote on stderr; relay each whole line. */
static void relay_read(struct fleet *f, struct target *t)
{
	for (;;) {
		ssize_t n = read(t->err_fd, t->line + t->len, sizeof(t->line) - 1 - t->len);
		if (n <= 0) {
			if (n == 0 && t->len) { /* the last line had no newline */
				t->line[t->len] = '\0';
				relay_line(f, t, t->line);
				t->len = 0;
			}
			return;
		}
		t->len += (size_t)n;
		size_t start = 0;
		for (size_t i = 0; i < t->len; i++) {
			if (t->line[i] == '\n' || t->line[i] == '\r') {
				t->line[i] = '\0';
				relay_line(f, t, t->line + start);
				start = i + 1;
			}
		}
		memmove(t->line, t->line + start, t->len - start);
		t->len -= start;
		if (t->len == sizeof(t->line) - 1) { /* too long for a line: pass it on */
			t->line[t->len] = '\0';
			relay_line(f, t, t->line);
			t->len = 0;
		}
	}
}

static void write_note(FILE *f)
{
	json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:s, s:b}", "server", run_note.server,
	                      "server_id", run_note.server_id, "image_id", run_note.image_id,
	                      "image_bytes", (json_int_t)run_note.image_bytes, "detail",
	                      run_note.detail, "changed", run_note.changed);
	if (j)
		json_dumpf(j, f, JSON_COMPACT);
	json_decref(j);
	fflush(f);
}

static void copy_field(char *dst, size_t size, const json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));
	snprintf(dst, size, "%s", v ? v : "");
}

static void read_note(FILE *f, struct run_note *n)
{
	*n = (struct run_note){ .image_bytes = -1 };
	rewind(f);
	json_t *j = json_loadf(f, 0, NULL);
	if (!j)
		return;
	copy_field(n->server, sizeof(n->server), j, "server");
	copy_field(n->server_id, sizeof(n->server_id), j, "server_id");
	copy_field(n->image_id, sizeof(n->image_id), j, "image_id");
	copy_field(n->detail, sizeof(n->detail), j, "detail");
	n->image_bytes = json_integer_value(json_object_get(j, "image_bytes"));
	n->changed = json_is_true(json_object_get(j, "changed"));
	json_decref(j);
}

static char *read_all(FILE *f)
{
	if (fseek(f, 0, SEEK_END) < 0)
		return NULL;
	long size = ftell(f);
	if (size < 0)
		return NULL;
	rewind(f);
	char *s = malloc((size_t)size + 1);
	if (!s)
		return NULL;
	size_t got = fread(s, 1, (size_t)size, f);
	s[got] = '\0';
	return s;
}

/* In the worker: the single-server command, as it always ran. */
static _Noreturn void worker(struct fleet *f, struct target *t, int err_w, pid_t parent)
{
	/* a parent killed outright (SIGKILL) takes its workers along */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(EXIT_INTERRUPTED);
	if (f->capture_stdout) {
		/* many at once: none may read the terminal (a password was
		 * asked for once, by the parent) */
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (null >= 0)
			dup2(null, STDIN_FILENO);
		dup2(fileno(t->out), STDOUT_FILENO);
	}
	dup2(err_w, STDERR_FILENO);
	struct cli *cli = f->cli;
	log_json = false;         /* the parent turns our lines into events */
	run_note = (struct run_note){ .image_bytes = -1 };
	int rc;
	if (f->single) {
		rc = run_here(cli, f->run, f->command);
	} else {
		cli->args = &t->arg;
		cli->nargs = 1;
		cli->metrics_file = NULL; /* the parent writes it, once, for all */
		if (cli->json) {          /* the parent makes -f value of the whole */
			cli->format = FORMAT_JSON;
			cli->n_columns = 0;
		}
		log_context(f->command, t->label);
		rc = json_finish(cli, f->run(cli));
	}
	fflush(stdout);
	fflush(stderr);
	write_note(t->note);
	_exit(rc);
}

static int start(struct fleet *f, struct target *t)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	t->note = tmpfile();
	t->out = f->capture_stdout ? tmpfile() : NULL;
	if (!t->note || (f->capture_stdout && !t->out)) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	clock_gettime(CLOCK_MONOTONIC, &t->t0);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		worker(f, t, p[1], parent);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	t->pid = pid;
	t->err_fd = p[0];
	t->state = T_RUNNING;
	return 0;
}

static void finish(struct fleet *f, struct target *t, int status)
{
	t->duration = seconds_since(&t->t0);
	relay_read(f, t);
	close(t->err_fd);
	t->err_fd = -1;
	t->rc = WIFEXITED(status) ? WEXITSTATUS(status)
	      : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : EXIT_FAIL;
	t->state = T_DONE;
	read_note(t->note, &t->got);
	if (t->out) {
		t->output = read_all(t->out);
		if (t->output)
			t->result = json_loads(t->output, 0, NULL);
	}
}

/* Start, relay and reap until every worker has ended. A signal ends the
 * running workers (SIGTERM: they stop as the command does on Ctrl-C) and
 * starts no more; one that does not end in 5 s is killed. */
static void run_all(struct fleet *f, long parallel)
{
	size_t next = 0, running = 0;
	bool forwarded = false;
	struct timespec since;
	for (;;) {
		if (snap_interrupted && !forwarded) {
			for (size_t i = 0; i < f->n; i++)
				if (f->t[i].state == T_RUNNING)
					kill(f->t[i].pid, SIGTERM);
			forwarded = true;
			clock_gettime(CLOCK_MONOTONIC, &since);
		}
		if (forwarded && seconds_since(&since) > 5)
			for (size_t i = 0; i < f->n; i++)
				if (f->t[i].state == T_RUNNING)
					kill(f->t[i].pid, SIGKILL);
		while (!snap_interrupted && running < (size_t)parallel && next < f->n) {
			struct target *t = &f->t[next++];
			if (start(f, t) < 0) {
				t->state = T_DONE;
				t->rc = EXIT_FAIL;
				snprintf(t->last_error, sizeof(t->last_error),
				         "cannot start a worker: %s", strerror(errno));
			} else {
				running++;
			}
		}
		if (running == 0)
			return;
		struct pollfd fds[FLEET_MAX_PARALLEL];
		struct target *of[FLEET_MAX_PARALLEL];
		nfds_t k = 0;
		for (size_t i = 0; i < f->n && k < FLEET_MAX_PARALLEL; i++)
			if (f->t[i].state == T_RUNNING) {
				fds[k] = (struct pollfd){ .fd = f->t[i].err_fd, .events = POLLIN };
				of[k++] = &f->t[i];
			}
		if (poll(fds, k, 100) > 0)
			for (nfds_t i = 0; i < k; i++)
				if (fds[i].revents)
					relay_read(f, of[i]);
		for (size_t i = 0; i < f->n; i++) {
			struct target *t = &f->t[i];
			int status;
			if (t->state == T_RUNNING && waitpid(t->pid, &status, WNOHANG) == t->pid) {
				finish(f, t, status);
				running--;
			}
		}
	}
}

/* ---- choosing the servers ---------------------------------------------------- */

static int add_target(struct fleet *f, const char *arg, const char *label, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->t[i].key, key))
			return 0;
	struct target *t = realloc(f->t, (f->n + 1) * sizeof(*t));
	if (!t)
		return -1;
	f->t = t;
	t = &f->t[f->n];
	*t = (struct target){ .arg = strdup(arg), .label = strdup(label), .key = strdup(key),
	                      .err_fd = -1 };
	if (!t->arg || !t->label || !t->key) {
		free(t->arg);
		free(t->label);
		free(t->key);
		return -1;
	}
	f->n++;
	return 0;
}

/* The id of the server an argument names, as the worker will find it:
 * an id first, else the one server of that name; NULL when there is none
 * or several (the worker then says so). */
static const char *resolve(const struct conoha_server_list *l, const char *arg)
{
	for (size_t i = 0; i < l->count; i++)
		if (!strcmp(l->items[i].id, arg))
			return l->items[i].id;
	const char *found = NULL;
	for (size_t i = 0; i < l->count; i++) {
		const struct conoha_server *s = &l->items[i];
		if ((s->name && !strcmp(s->name, arg)) || (s->raw_name && !strcmp(s->raw_name, arg))) {
			if (found)
				return NULL;
			found = s->id;
		}
	}
	return found;
}

/* The SERVER arguments, each server once however it is named (a name
 * and an id of one server are one target). */
static int add_named(struct fleet *f, const struct conoha_server_list *list)
{
	for (int i = 0; i < f->cli->nargs; i++) {
		/* the worker gets the id: a rename meanwhile cannot point it
		 * at another server */
		const char *arg = f->cli->args[i], *id = resolve(list, arg);
		if (add_target(f, id ? id : arg, arg, id ? id : arg) < 0)
			return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Two servers of one name: the summary and the relayed lines add the
 * id, so that a reader can tell which one failed. */
static int tell_apart(struct fleet *f)
{
	bool *shared = calloc(f->n + 1, sizeof(*shared));
	if (!shared)
		return EXIT_FAIL;
	for (size_t i = 0; i < f->n; i++)
		for (size_t j = 0; j < f->n && !shared[i]; j++)
			shared[i] = j != i && !strcmp(f->t[i].label, f->t[j].label);
	int rc = EXIT_OK;
	for (size_t i = 0; i < f->n && rc == EXIT_OK; i++) {
		if (!shared[i] || !strcmp(f->t[i].label, f->t[i].key))
			continue;
		size_t size = strlen(f->t[i].label) + strlen(f->t[i].key) + 4;
		char *label = malloc(size);
		if (!label) {
			rc = EXIT_FAIL;
			break;
		}
		snprintf(label, size, "%s (%s)", f->t[i].label, f->t[i].key);
		free(f->t[i].label);
		f->t[i].label = label;
	}
	free(shared);
	return rc;
}

static int select_servers(struct fleet *f, conoha_client *c,
                          const struct conoha_server_list *list)
{
	const struct fleet_opts *o = &f->cli->fleet;
	conoha_error err;
	conoha_error_clear(&err);
	int rc = EXIT_OK;
	for (size_t i = 0; i < list->count && rc == EXIT_OK; i++) {
		const struct conoha_server *s = &list->items[i];
		json_t *rec = NULL;
		/* metadata is only in the whole record */
		if (o->n_props && conoha_server_record(c, s->id, &rec, &err) < 0) {
			rc = fail_with(&err);
			break;
		}
		if (fleet_selects(o, s->name, s->raw_name, json_object_get(rec, "metadata")) &&
		    add_target(f, s->id, s->name ? s->name : s->id, s->id) < 0)
			rc = EXIT_FAIL;
		json_decref(rec);
	}
	return rc;
}

/* ConoHa accepts a save over its image quota and silently does nothing,
 * and each worker checks the quota alone: several at once would each see
 * room for one. So a run that saves several servers checks, before any
 * worker starts, that the quota holds all of them (the project's own
 * images counted, as the single check counts them). */
static int check_quota_for_all(struct fleet *f, conoha_client *c,
                               const struct conoha_server_list *list)
{
	conoha_error err;
	conoha_error_clear(&err);
	long long *need = calloc(f->n + 1, sizeof(*need));
	if (!need)
		return EXIT_FAIL;
	size_t k = 0;
	long long total = 0, quota, used;
	int rc = EXIT_OK;
	for (size_t i = 0; i < f->n && rc == EXIT_OK; i++) {
		const struct conoha_server *s = NULL;
		for (size_t j = 0; j < list->count && !s; j++)
			if (!strcmp(list->items[j].id, f->t[i].key))
				s = &list->items[j];
		long long gb;
		if (!s) /* named nothing: its worker says so */
			continue;
		if (conoha_save_size_gb(c, s, NULL, &gb, &err) < 0) {
			/* its size unknown: its own worker finds that out and says
			 * so, and the others' saves go on (it adds nothing here;
			 * each worker checks the quota again alone) */
			if (snap_interrupted)
				rc = fail_with(&err);
			conoha_error_clear(&err);
		} else if (gb > 0) {
			/* sizes as a cloud gives them: saturated, never wrapped */
			need[k] = conoha_gb_bytes(gb);
			total = need[k] > LLONG_MAX - total ? LLONG_MAX : total + need[k];
			k++;
		}
	}
	if (rc == EXIT_OK && conoha_image_quota(c, &quota, &used, &err) < 0)
		rc = fail_with(&err);
	if (rc == EXIT_OK && conoha_quota_exceeded(quota, used, total)) {
		/* how many would fit: the smallest first */
		for (size_t i = 1; i < k; i++)
			for (size_t j = i; j > 0 && need[j - 1] > need[j]; j--) {
				long long t = need[j];
				need[j] = need[j - 1];
				need[j - 1] = t;
			}
		size_t fit = 0;
		for (long long room = quota - used; fit < k && need[fit] <= room; fit++)
			room -= need[fit];
		/* ConoHa counts quotas in decimal GB: show them that way. */
		complain("image quota too small for %zu saves at once: they need %.1f GB, and "
		         "%.1f GB of %.1f GB is free, room for %zu of them; ConoHa would accept "
		         "the others and silently do nothing. Nothing was stopped or saved: name "
		         "at most %zu of them, or free space with 'lifeboat-snap prune SERVER "
		         "--keep N'", k, (double)total / 1e9,
		         (double)(quota > used ? quota - used : 0) / 1e9, (double)quota / 1e9, fit,
		         fit);
		rc = EXIT_REFUSED;
	}
	free(need);
	return rc;
}

/* The servers the command line names or selects, from one listing; for a
 * create of several on ConoHa, the quota for them all. */
static int find_targets(struct fleet *f, conoha_client *c)
{
	conoha_error err;
	conoha_error_clear(&err);
	struct conoha_server_list list = { 0 };
	if (conoha_servers_list(c, &list, &err) < 0)
		return fail_with(&err);
	int rc = add_named(f, &list);
	if (rc == EXIT_OK && fleet_has_selectors(&f->cli->fleet))
		rc = select_servers(f, c, &list);
	if (rc == EXIT_OK && f->n > 1 && !strcmp(f->command, "create") && conoha_is_conoha(c))
		rc = check_quota_for_all(f, c, &list);
	conoha_server_list_free(&list);
	return rc;
}

/* ---- the end: summary, metrics, events --------------------------------------- */

static const char *status_of(const struct target *t)
{
	if (t->state != T_DONE)
		return "skipped";
	return t->rc == EXIT_OK ? "ok" : "failed";
}

static const char *detail_of(const struct target *t, char *buf, size_t size)
{
	if (t->state != T_DONE)
		return "not started: interrupted";
	if (t->rc == EXIT_OK)
		return t->got.detail;
	if (t->last_error[0])
		snprintf(buf, size, "%s (exit status %d)", t->last_error, t->rc);
	else
		snprintf(buf, size, "exit status %d", t->rc);
	return buf;
}

static int print_summary(const struct fleet *f)
{
	char buf[640];
	if (f->cli->json) {
		/* {"command": "fleet", "run": COMMAND, "servers": [...]} */
		json_t *arr = json_array();
		for (size_t i = 0; i < f->n; i++) {
			const struct target *t = &f->t[i];
			json_array_append_new(arr, json_pack(
				"{s:s, s:s?, s:s, s:i, s:s, s:b, s:s?, s:O?}", "server", t->label,
				"server_id", t->got.server_id[0] ? t->got.server_id : NULL,
				"status", status_of(t), "exit_status", t->rc,
				"detail", detail_of(t, buf, sizeof(buf)), "changed", t->got.changed,
				"image_id", t->got.image_id[0] ? t->got.image_id : NULL,
				"result", t->result));
		}
		json_t *doc = json_doc("fleet");
		json_object_set_new(doc, "run", json_string(f->command));
		json_object_set_new(doc, "servers", arr);
		json_put(doc);
		return 0;
	}
	int width = 6;
	bool show_output = !strcmp(f->command, "list") || !strcmp(f->command, "prune");
	char **labels = calloc(f->n, sizeof(*labels));
	if (!labels)
		return -1;
	for (size_t i = 0; i < f->n; i++) {
		labels[i] = safe_text(f->t[i].label); /* names from the cloud */
		int w = labels[i] ? (int)strlen(labels[i]) : 1;
		if (w > width)
			width = w;
		if (show_output && f->t[i].output && *f->t[i].output)
			fput_safe(f->t[i].output, stdout, true);
	}
	for (size_t i = 0; i < f->n; i++) {
		printf("%-*s  %-7s  ", width, labels[i] ? labels[i] : "?", status_of(&f->t[i]));
		fput_safe(detail_of(&f->t[i], buf, sizeof(buf)), stdout, false);
		putchar('\n');
		free(labels[i]);
	}
	free(labels);
	return fflush(stdout) == 0 ? 0 : -1;
}

static int write_metrics(const struct fleet *f)
{
	const char *path = f->cli->metrics_file;
	if (!path)
		return EXIT_OK;
	struct metrics_run *runs = calloc(f->n + 1, sizeof(*runs));
	if (!runs)
		return EXIT_FAIL;
	size_t k = 0;
	double now = (double)time(NULL);
	for (size_t i = 0; i < f->n; i++) {
		const struct target *t = &f->t[i];
		if (t->state != T_DONE || !t->pid)
			continue; /* never started: nothing happened to record */
		runs[k++] = (struct metrics_run){
			.server = t->got.server[0] ? t->got.server : t->label,
			.server_id = t->got.server_id[0] ? t->got.server_id
			           : conoha_looks_like_uuid(t->key) ? t->key : NULL,
			.command = f->command,
			.ok = t->rc == EXIT_OK, .finished_at = now, .duration_s = t->duration,
			.image_bytes = t->rc == EXIT_OK ? t->got.image_bytes : -1,
		};
	}
	const char *why = NULL;
	int rc = metrics_update(path, runs, k, &why) < 0 ? EXIT_LOCAL_IO : EXIT_OK;
	if (rc)
		complain("cannot write the metrics file '%s': %s", path, why);
	free(runs);
	return rc;
}

static void log_outcomes(const struct fleet *f)
{
	char buf[640], msg[1024];
	for (size_t i = 0; i < f->n; i++) {
		const struct target *t = &f->t[i];
		const char *st = status_of(t), *detail = detail_of(t, buf, sizeof(buf));
		snprintf(msg, sizeof(msg), "%s %s: %s%s%s", f->command, t->label, st,
		         *detail ? ": " : "", detail);
		log_event(!strcmp(st, "failed") ? LOG_PRIO_ERR : LOG_PRIO_INFO, t->label, msg, t->rc);
	}
}

static void free_targets(struct fleet *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct target *t = &f->t[i];
		free(t->arg);
		free(t->label);
		free(t->key);
		if (t->err_fd >= 0)
			close(t->err_fd);
		if (t->out)
			fclose(t->out);
		if (t->note)
			fclose(t->note);
		free(t->output);
		json_decref(t->result);
	}
	free(f->t);
}

/* One message for a run where some failed, naming them: the error of the
 * fleet document, and a line a log search finds. */
static void say_who_failed(const struct fleet *f)
{
	char names[512] = "";
	size_t used = 0, failed = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (f->t[i].state != T_DONE || f->t[i].rc == EXIT_OK)
			continue;
		failed++;
		char *label = safe_text(f->t[i].label); /* a name from the cloud */
		int k = snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "",
		                 label ? label : "?");
		free(label);
		if (k > 0 && (size_t)k < sizeof(names) - used)
			used += (size_t)k;
	}
	if (failed)
		complain("%s: %zu of %zu servers failed: %s", f->command, failed, f->n, names);
}

static int exit_code(const struct fleet *f)
{
	if (snap_interrupted)
		return EXIT_INTERRUPTED;
	if (f->n == 1)
		return f->t[0].rc;
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i].rc != EXIT_OK)
			return EXIT_SOME_FAILED;
	return EXIT_OK;
}

bool fleet_wanted(const struct cli *cli, const char *command)
{
	static const char *const many[] = { "create", "guard", "list", "prune" };
	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		if (!strcmp(command, many[i]))
			return cli->nargs > 1 || fleet_has_selectors(&cli->fleet);
	return false;
}

int fleet_run(struct cli *cli, int (*run)(struct cli *cli), const char *command)
{
	long parallel = cli->fleet.parallel > 0 ? cli->fleet.parallel : FLEET_DEFAULT_PARALLEL;
	if (cli->download || cli->file) {
		complain("%s names one file: not for several servers",
		         cli->download ? "--download" : "--file");
		return EXIT_USAGE;
	}
	struct fleet f = { .cli = cli, .run = run, .command = command, .capture_stdout = true };
	log_context(command, NULL);
	/* the settings and any password prompt once, here; each worker opens
	 * a session of its own */
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return json_finish(cli, rc);
	rc = find_targets(&f, c);
	if (rc == EXIT_OK)
		rc = tell_apart(&f);
	conoha_client_free(c); /* before any fork */
	if (rc == EXIT_OK && f.n == 0) {
		complain("no server matches the selection");
		rc = EXIT_NOT_FOUND;
	}
	if (rc == EXIT_OK) {
		run_all(&f, parallel);
		if (log_json)
			log_outcomes(&f);
		int printed = print_summary(&f);
		int metrics = write_metrics(&f);
		rc = exit_code(&f);
		if (rc == EXIT_SOME_FAILED)
			say_who_failed(&f);
		if (rc == EXIT_OK && (printed < 0 || metrics != EXIT_OK))
			rc = printed < 0 ? EXIT_FAIL : metrics;
	}
	free_targets(&f);
	/* -f value gives each server's row even when some failed: that is
	 * what the rows say */
	if (cli->format == FORMAT_VALUE && rc == EXIT_SOME_FAILED) {
		int out = json_finish(cli, EXIT_OK);
		return out == EXIT_OK ? rc : out;
	}
	return json_finish(cli, rc);
}

/* ---- one server, relayed, or run here ----------------------------------------- */

static int run_here(struct cli *cli, int (*run)(struct cli *cli), const char *command)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *arg = cli->nargs ? cli->args[0] : "";
	log_context(command, cli->nargs ? cli->args[0] : NULL);
	int rc = run(cli);
	if (!cli->metrics_file)
		return json_finish(cli, rc);
	struct metrics_run m = {
		.server = run_note.server[0] ? run_note.server : arg,
		.server_id = run_note.server_id[0] ? run_note.server_id : NULL, .command = command,
		.ok = rc == EXIT_OK, .finished_at = (double)time(NULL),
		.duration_s = seconds_since(&t0),
		.image_bytes = rc == EXIT_OK ? run_note.image_bytes : -1,
	};
	const char *why = NULL;
	if (metrics_update(cli->metrics_file, &m, 1, &why) < 0) {
		complain("cannot write the metrics file '%s': %s", cli->metrics_file, why);
		if (rc == EXIT_OK)
			rc = EXIT_LOCAL_IO;
	}
	return json_finish(cli, rc);
}

/* The command in a worker whose stderr becomes events, then one event
 * for how it ended: an error when it failed. */
static int relay_run(struct cli *cli, int (*run)(struct cli *cli), const char *command)
{
	const char *arg = cli->nargs ? cli->args[0] : "";
	struct fleet f = { .cli = cli, .run = run, .command = command, .single = true };
	int rc = EXIT_FAIL;
	log_context(command, cli->nargs ? arg : NULL);
	if (add_target(&f, arg, arg, arg) < 0)
		return EXIT_FAIL;
	run_all(&f, 1);
	struct target *t = &f.t[0];
	if (t->state == T_DONE) {
		rc = t->rc;
		char buf[640], msg[1024];
		const char *what = t->got.server[0] ? t->got.server : arg;
		const char *detail = detail_of(t, buf, sizeof(buf));
		snprintf(msg, sizeof(msg), "%s%s%s: %s%s%s", command, *what ? " " : "", what,
		         rc == EXIT_OK ? "ok" : "failed", *detail ? ": " : "", detail);
		log_event(rc == EXIT_OK ? LOG_PRIO_INFO : LOG_PRIO_ERR, *what ? what : NULL, msg, rc);
	} else if (snap_interrupted) {
		rc = EXIT_INTERRUPTED;
	}
	free_targets(&f);
	return rc;
}

int command_run(struct cli *cli, int (*run)(struct cli *cli), const char *command)
{
	if (log_json)
		return relay_run(cli, run, command);
	return run_here(cli, run, command);
}

/* ---- what the commands note ---------------------------------------------------- */

void note_snapshot(const struct snapshot *s, int rc)
{
	note_server(s->img.server_name, s->server_id);
	if (s->image_id) {
		note_image(s->image_id, rc == EXIT_OK && s->img.id ? s->img.size : -1);
		note_detail("%s", s->image_id);
		note_changed();
	}
}

void note_prune(const struct conoha_image_list *list, size_t deleted, size_t kept,
                bool dry_run, int rc)
{
	if (list->count)
		note_server(list->items[0].server_name, list->items[0].server_id);
	if (rc == EXIT_OK)
		note_detail("%s %zu image(s), kept %zu", dry_run ? "would delete" : "deleted",
		            deleted, kept);
	if (deleted && !dry_run)
		note_changed();
}

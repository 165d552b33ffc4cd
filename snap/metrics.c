/* metrics.c - the Prometheus textfile: parse the last one, fold runs in,
 * write it back atomically */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "files.h"
#include "metrics.h"

static const struct {
	const char *name, *type, *help;
} families[M_FAMILIES] = {
	[M_LAST_SUCCESS] = { "lifeboat_last_success_timestamp_seconds", "gauge",
	                     "When the command last succeeded for the server, in Unix time." },
	[M_LAST_BYTES] = { "lifeboat_last_image_bytes", "gauge",
	                   "Size of the image of the last success, in bytes." },
	[M_LAST_DURATION] = { "lifeboat_last_duration_seconds", "gauge",
	                      "How long the last run took, whether it succeeded or not." },
	[M_FAILURES] = { "lifeboat_failures_total", "counter",
	                 "Runs of the command for the server that failed." },
};

void metrics_set_free(struct metrics_set *set)
{
	for (size_t i = 0; i < set->count; i++) {
		free(set->items[i].server);
		free(set->items[i].server_id);
		free(set->items[i].command);
	}
	free(set->items);
	memset(set, 0, sizeof(*set));
}

static struct metrics_series *find(struct metrics_set *set, int family, const char *server,
                                   const char *server_id, const char *command)
{
	for (size_t i = 0; i < set->count; i++) {
		struct metrics_series *s = &set->items[i];
		if (s->family == family && !strcmp(s->server, server) &&
		    !strcmp(s->server_id, server_id) && !strcmp(s->command, command))
			return s;
	}
	return NULL;
}

/* The series, added with value 0 when new; NULL on allocation failure. */
static struct metrics_series *get(struct metrics_set *set, int family, const char *server,
                                  const char *server_id, const char *command)
{
	struct metrics_series *s = find(set, family, server, server_id, command);
	if (s)
		return s;
	if (set->count == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct metrics_series *items = realloc(set->items, cap * sizeof(*items));
		if (!items)
			return NULL;
		set->items = items;
		set->cap = cap;
	}
	s = &set->items[set->count];
	*s = (struct metrics_series){ .family = family, .server = strdup(server),
	                              .server_id = strdup(server_id), .command = strdup(command) };
	if (!s->server || !s->server_id || !s->command) {
		free(s->server);
		free(s->server_id);
		free(s->command);
		return NULL;
	}
	set->count++;
	return s;
}

/* ---- parsing ------------------------------------------------------------ */

/* A label value after its opening quote: unescaped into a new string,
 * *p past the closing quote. NULL when malformed. */
static char *label_value(const char **p)
{
	const char *s = *p;
	size_t n = 0;
	char *out = malloc(strlen(s) + 1);
	if (!out)
		return NULL;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\') {
			s++;
			if (*s == 'n')
				out[n++] = '\n';
			else if (*s == '\\' || *s == '"')
				out[n++] = *s;
			else
				break;
		} else if (*s == '\n') {
			break;
		} else {
			out[n++] = *s;
		}
	}
	if (*s != '"') {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	*p = s + 1;
	return out;
}

/* name{server="...",server_id="...",command="..."} value, server_id
 * optional (a file of the version before has none): 0 added, 1 not
 * ours, -1 bad */
static int parse_line(struct metrics_set *set, const char *line)
{
	int family = -1;
	size_t len = strcspn(line, "{ ");
	for (int f = 0; f < M_FAMILIES; f++)
		if (strlen(families[f].name) == len && !strncmp(line, families[f].name, len))
			family = f;
	if (family < 0)
		return 1;
	const char *p = line + len;
	char *server = NULL, *server_id = NULL, *command = NULL;
	int rc = -1;
	if (*p++ != '{')
		goto out;
	while (*p && *p != '}') {
		size_t klen = strcspn(p, "=");
		const char *key = p;
		p += klen;
		if (strncmp(p, "=\"", 2) != 0)
			goto out;
		p += 2;
		char *v = label_value(&p);
		if (!v)
			goto out;
		char **slot = klen == 6 && !strncmp(key, "server", 6)      ? &server
		            : klen == 9 && !strncmp(key, "server_id", 9) ? &server_id
		            : klen == 7 && !strncmp(key, "command", 7)   ? &command
		                                                         : NULL;
		if (!slot || *slot) {
			free(v);
			goto out;
		}
		*slot = v;
		if (*p == ',')
			p++;
	}
	if (*p != '}' || !server || !command)
		goto out;
	char *end;
	errno = 0;
	double value = strtod(p + 1, &end);
	if (errno || end == p + 1 || !isfinite(value) || (*end && *end != '\n' && *end != ' '))
		goto out;
	struct metrics_series *s = get(set, family, server, server_id ? server_id : "", command);
	if (s) {
		s->value = value;
		rc = 0;
	}
out:
	free(server);
	free(server_id);
	free(command);
	return rc;
}

int metrics_parse(struct metrics_set *set, const char *text)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		if (len && text[0] != '#') {
			char *line = strndup(text, len);
			int rc = line ? parse_line(set, line) : -1;
			free(line);
			if (rc < 0)
				return -1;
		}
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

/* ---- folding a run in ----------------------------------------------------- */

/* Set a series (or add to it); each series is changed as soon as it is
 * found, since finding the next one may move the array. */
static int put_value(struct metrics_set *set, int family, const char *server,
                     const char *server_id, const char *command, double v, bool add)
{
	struct metrics_series *s = get(set, family, server, server_id, command);
	if (!s)
		return -1;
	s->value = add ? s->value + v : v;
	return 0;
}

/* *field = a copy of text, the old one freed; -1 when out of memory */
static int replace_text(char **field, const char *text)
{
	char *copy = strdup(text);
	if (!copy)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* The id-less series of the server's name and command become the
 * server's own, family by family, where it has none yet (metrics.h). */
static int adopt_idless(struct metrics_set *set, const char *server, const char *server_id,
                        const char *command)
{
	for (int f = 0; f < M_FAMILIES; f++) {
		struct metrics_series *old = find(set, f, server, "", command);
		if (old && !find(set, f, server, server_id, command) &&
		    replace_text(&old->server_id, server_id) < 0)
			return -1;
	}
	return 0;
}

/* The series of this id and command under another name (the server was
 * renamed) go on under its name, family by family, where it has none yet:
 * else the old name's copy would stay frozen and look stale. */
static int follow_rename(struct metrics_set *set, const char *server, const char *server_id,
                         const char *command)
{
	for (size_t i = 0; i < set->count; i++) {
		struct metrics_series *s = &set->items[i];
		if (strcmp(s->server_id, server_id) != 0 || strcmp(s->command, command) != 0 ||
		    !strcmp(s->server, server) || find(set, s->family, server, server_id, command))
			continue;
		if (replace_text(&s->server, server) < 0)
			return -1;
	}
	return 0;
}

int metrics_apply(struct metrics_set *set, const struct metrics_run *run)
{
	const char *srv = run->server, *cmd = run->command;
	const char *id = run->server_id ? run->server_id : "";
	if (*id && (follow_rename(set, srv, id, cmd) < 0 || adopt_idless(set, srv, id, cmd) < 0))
		return -1;
	if (put_value(set, M_FAILURES, srv, id, cmd, run->ok ? 0 : 1, true) < 0 ||
	    put_value(set, M_LAST_DURATION, srv, id, cmd, run->duration_s, false) < 0)
		return -1;
	if (!run->ok)
		return 0;
	if (put_value(set, M_LAST_SUCCESS, srv, id, cmd, run->finished_at, false) < 0)
		return -1;
	if (run->image_bytes >= 0 &&
	    put_value(set, M_LAST_BYTES, srv, id, cmd, (double)run->image_bytes, false) < 0)
		return -1;
	return 0;
}

/* ---- writing ---------------------------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->failed = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* The exposition format's label escapes: backslash, quote, newline. */
static void put_label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			put(b, "\\", 1);
		if (*v == '\n')
			puts_(b, "\\n");
		else
			put(b, v, 1);
	}
}

static int by_labels(const void *x, const void *y)
{
	const struct metrics_series *a = x, *b = y;
	int c = strcmp(a->server, b->server);
	if (!c)
		c = strcmp(a->server_id, b->server_id);
	return c ? c : strcmp(a->command, b->command);
}

char *metrics_format(const struct metrics_set *set)
{
	struct buf b = { 0 };
	struct metrics_series *sorted = malloc((set->count + 1) * sizeof(*sorted));
	if (!sorted)
		return NULL;
	memcpy(sorted, set->items, set->count * sizeof(*sorted));
	qsort(sorted, set->count, sizeof(*sorted), by_labels);
	for (int f = 0; f < M_FAMILIES; f++) {
		char line[512];
		snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
		         families[f].help, families[f].name, families[f].type);
		puts_(&b, line);
		for (size_t i = 0; i < set->count; i++) {
			const struct metrics_series *s = &sorted[i];
			if (s->family != f)
				continue;
			puts_(&b, families[f].name);
			puts_(&b, "{server=\"");
			put_label(&b, s->server);
			if (*s->server_id) {
				puts_(&b, "\",server_id=\"");
				put_label(&b, s->server_id);
			}
			puts_(&b, "\",command=\"");
			put_label(&b, s->command);
			snprintf(line, sizeof(line), "\"} %.17g\n", s->value);
			puts_(&b, line);
		}
	}
	free(sorted);
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Far more than lifeboat writes (about 110 bytes a series, four series a
 * server and command): a larger file is corrupt or someone else's, and
 * parsing it would hold the lock for minutes. */
#define METRICS_MAX_BYTES (1024 * 1024)

static char *read_text(int fd, bool *too_big)
{
	struct buf b = { 0 };
	char chunk[8192];
	ssize_t n;
	puts_(&b, "");
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && !(*too_big = b.len > METRICS_MAX_BYTES))
		put(&b, chunk, (size_t)n);
	if (n < 0 || b.failed || *too_big) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* Readable by the collector's user (node_exporter): 0644, not 0600. */
static int write_public(const char *path, const char *text)
{
	char tmp[4096 + 16];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return fsync_parent(path);
}

int metrics_update(const char *path, const struct metrics_run *runs, size_t n,
                   const char **why)
{
	char lockpath[4096 + 16];
	if (snprintf(lockpath, sizeof(lockpath), "%s.lock", path) >= (int)sizeof(lockpath)) {
		*why = "name too long";
		return -1;
	}
	int lock = open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		*why = "cannot lock it";
		if (lock >= 0)
			close(lock);
		return -1;
	}
	struct metrics_set set = { 0 };
	int rc = -1;
	char *text = NULL;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		*why = "cannot read it";
		goto out;
	}
	if (fd >= 0) {
		bool too_big = false;
		text = read_text(fd, &too_big);
		close(fd);
		if (!text) {
			*why = too_big ? "it is larger than 1 MiB: not lifeboat's metrics"
			               : "cannot read it";
			goto out;
		}
		if (metrics_parse(&set, text) < 0) {
			*why = "it holds lines of lifeboat's metrics that do not parse";
			goto out;
		}
		free(text);
		text = NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (metrics_apply(&set, &runs[i]) < 0) {
			*why = "out of memory";
			goto out;
		}
	text = metrics_format(&set);
	if (!text) {
		*why = "out of memory";
		goto out;
	}
	if (write_public(path, text) < 0) {
		*why = strerror(errno);
		goto out;
	}
	rc = 0;
out:
	free(text);
	metrics_set_free(&set);
	close(lock);
	return rc;
}

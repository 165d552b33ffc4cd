/* logjson.c - one JSON line per event on stderr */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>
#include "logjson.h"

bool log_json;
static const char *ctx_command, *ctx_server;

bool stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	if (!v || !*v)
		return false;
	char *end;
	errno = 0;
	unsigned long long dev = strtoull(v, &end, 10);
	if (errno || end == v || *end != ':')
		return false;
	const char *p = end + 1;
	unsigned long long ino = strtoull(p, &end, 10);
	if (errno || end == p || *end)
		return false;
	struct stat st;
	if (fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_context(const char *command, const char *server)
{
	ctx_command = command;
	ctx_server = server;
}

void log_event(int priority, const char *server, const char *message, int exit_status)
{
	char prio[8], status[16];
	snprintf(prio, sizeof(prio), "%d", priority);
	json_t *ev = json_pack("{s:s, s:s, s:s}", "PRIORITY", prio, "SYSLOG_IDENTIFIER",
	                       "lifeboat-snap", "MESSAGE", message);
	if (!ev)
		return;
	if (ctx_command)
		json_object_set_new(ev, "LIFEBOAT_COMMAND", json_string(ctx_command));
	if (!server)
		server = ctx_server;
	if (server)
		json_object_set_new(ev, "LIFEBOAT_SERVER", json_string(server));
	if (exit_status >= 0) {
		snprintf(status, sizeof(status), "%d", exit_status);
		json_object_set_new(ev, "LIFEBOAT_EXIT_STATUS", json_string(status));
	}
	char *text = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(ev);
	if (!text)
		return;
	/* one write per line: lines of several writers never mix */
	size_t len = strlen(text) + 16;
	char *line = malloc(len);
	if (line) {
		int n = stderr_is_journal() ? snprintf(line, len, "<%d>%s\n", priority, text)
		                            : snprintf(line, len, "%s\n", text);
		if (n > 0 && (size_t)n < len)
			fwrite(line, 1, (size_t)n, stderr);
		fflush(stderr);
		free(line);
	}
	free(text);
}

int log_priority_of(const char *line)
{
	static const char me[] = "lifeboat-snap: ";
	if (strncmp(line, me, sizeof(me) - 1) != 0)
		return LOG_PRIO_INFO;
	const char *rest = line + sizeof(me) - 1;
	if (!strncmp(rest, "warning:", 8) || !strncmp(rest, "WARNING:", 8))
		return LOG_PRIO_WARNING;
	return LOG_PRIO_ERR;
}

/* logjson.h - events as JSON lines on stderr, for the journal and for log
 * shippers: one object per line with journald's field names */
#ifndef SNAP_LOGJSON_H
#define SNAP_LOGJSON_H

#include <stdbool.h>

/* syslog priorities, as journald takes them */
enum { LOG_PRIO_ERR = 3, LOG_PRIO_WARNING = 4, LOG_PRIO_INFO = 6 };

/* Does this process write its events as JSON lines? Set once by main. */
extern bool log_json;

/* Is stderr the journal? True when JOURNAL_STREAM names the device and
 * inode of stderr, as systemd sets it for a service's output (an
 * inherited JOURNAL_STREAM naming another file does not count). */
bool stderr_is_journal(void);

/* What the events of this process are about: borrowed, live until the
 * next call. Either may be NULL. */
void log_context(const char *command, const char *server);

/* Write one event on stderr: {"PRIORITY":"3","SYSLOG_IDENTIFIER":
 * "lifeboat-snap","MESSAGE":...,"LIFEBOAT_COMMAND":...,"LIFEBOAT_SERVER":
 * ...,"LIFEBOAT_EXIT_STATUS":...}, prefixed "<3>" when stderr is the
 * journal so that journald files it at that priority. server NULL: the
 * context's; exit_status < 0: none. */
void log_event(int priority, const char *server, const char *message, int exit_status);

/* The priority of one of lifeboat-snap's plain stderr lines: an error
 * ("lifeboat-snap: ..."), a warning ("lifeboat-snap: warning: ...",
 * "...: WARNING: ...") or information (anything else). */
int log_priority_of(const char *line);

#endif

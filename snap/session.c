/* session.c - from settings to a client: clouds.yaml, environment,
 * password prompt, warnings */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"

static void on_warning(void *userdata, const char *msg)
{
	(void)userdata;
	complain("warning: %s", msg);
}

static void on_debug(void *userdata, const char *line)
{
	(void)userdata;
	fprintf(stderr, "debug: %s\n", line);
}

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

/* Read a line from the terminal with echo off. Returns the length, or -1.
 * The caller wipes buf. */
static ssize_t read_password(const char *prompt, char *buf, size_t size)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct termios old, quiet;
	ssize_t n = -1;
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		/* echo off first, then the prompt: an answer typed as soon as
		 * the prompt shows must not be flushed by TCSAFLUSH */
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0 &&
		    write(fd, prompt, strlen(prompt)) >= 0) {
			n = read(fd, buf, size - 1);
			tcsetattr(fd, TCSAFLUSH, &old);
			if (write(fd, "\n", 1) < 0)
				n = -1;
		}
	}
	close(fd);
	if (n <= 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return n;
}

static int prompt_password(conoha_config *cfg, conoha_error *err)
{
	const char *user = conoha_config_get(cfg, "username");
	if (!user)
		user = conoha_config_get(cfg, "user_id");
	char prompt[256];
	snprintf(prompt, sizeof(prompt), "Password for %s at %s: ", user ? user : "?",
	         conoha_config_get(cfg, "auth_url"));
	char buf[512];
	int rc = -1;
	if (read_password(prompt, buf, sizeof(buf)) > 0)
		rc = conoha_config_set(cfg, "password", buf, CONOHA_SRC_PROMPT, err);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* The password systemd hands over with LoadCredential=os_password:FILE,
 * as $CREDENTIALS_DIRECTORY/os_password (trailing newlines dropped).
 * Returns 1 when it was set, 0 when there is none, -1 on error. */
static int credential_password(conoha_config *cfg, conoha_error *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	if (!dir || !*dir)
		return 0;
	char path[4096];
	int len = snprintf(path, sizeof(path), "%s/os_password", dir);
	if (len < 0 || (size_t)len >= sizeof(path)) {
		err->kind = CONOHA_ERR_CONFIG;
		snprintf(err->message, sizeof(err->message), "CREDENTIALS_DIRECTORY is too long");
		return -1;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		err->kind = CONOHA_ERR_CONFIG;
		snprintf(err->message, sizeof(err->message),
		         "cannot open the credential os_password: %s", strerror(errno));
		return -1;
	}
	char buf[512];
	size_t n = 0;
	ssize_t r = -1;
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	const char *why = r < 0 ? strerror(errno) : n >= sizeof(buf) ? "longer than 511 bytes" : NULL;
	close(fd);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (!why && n == 0)
		why = "empty";
	if (!why && memchr(buf, '\0', n))
		why = "holds a NUL byte";
	int rc = -1;
	if (why) {
		err->kind = CONOHA_ERR_CONFIG;
		snprintf(err->message, sizeof(err->message), "the credential os_password: %s", why);
	} else {
		buf[n] = '\0';
		rc = conoha_config_set(cfg, "password", buf, CONOHA_SRC_FILE, err) < 0 ? -1 : 1;
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

static int load_settings(struct cli *cli, conoha_error *err)
{
	conoha_config_set_warn(cli->cfg, on_warning, NULL);
	if (!cli->cloud) {
		const char *env = getenv("OS_CLOUD");
		cli->cloud = env && *env ? env : NULL;
	}
	if (conoha_config_load_clouds(cli->cfg, cli->cloud, NULL, err) < 0)
		return -1;
	if (conoha_config_load_env(cli->cfg, env_lookup, err) < 0)
		return -1;
	int needs_password = 0;
	if (conoha_config_validate(cli->cfg, &needs_password, err) == 0)
		return 0;
	if (!needs_password)
		return -1;
	/* no password set anywhere: the one systemd handed over, if any */
	conoha_error saved = *err;
	conoha_error_clear(err);
	int cred = credential_password(cli->cfg, err);
	if (cred < 0)
		return -1;
	if (cred > 0)
		return conoha_config_validate(cli->cfg, NULL, err);
	*err = saved;
	if (!isatty(STDIN_FILENO))
		return -1;
	conoha_error_clear(err);
	if (prompt_password(cli->cfg, err) < 0) {
		if (err->kind == CONOHA_OK)
			snprintf(err->message, sizeof(err->message), "no password entered");
		err->kind = CONOHA_ERR_CONFIG;
		return -1;
	}
	return conoha_config_validate(cli->cfg, NULL, err);
}

conoha_client *session_open(struct cli *cli, conoha_error *err)
{
	if (load_settings(cli, err) < 0)
		return NULL;
	const char *insecure = conoha_config_get(cli->cfg, "insecure");
	if (insecure && (strcasecmp(insecure, "true") == 0 || strcmp(insecure, "1") == 0))
		complain("WARNING: TLS certificate verification is OFF (--insecure or "
		         "verify: false): anyone on the path can read your password and "
		         "token and change what you download");
	conoha_client *c = conoha_client_new(cli->cfg, err);
	/* Ctrl-C and SIGTERM end every request and every retry's wait */
	if (c)
		conoha_client_set_cancel(c, &snap_interrupted);
	if (c && cli->debug)
		conoha_client_set_log(c, on_debug, NULL);
	return c;
}

int fail_with(const conoha_error *err)
{
	report(err);
	return exit_code_for(err);
}

int sink_fail(struct sink *s, int rc, const char *fmt, ...)
{
	if (s->rc != EXIT_OK)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
	s->rc = rc;
	s->request_id[0] = '\0';
	return rc;
}

int sink_from(struct sink *s, const conoha_error *err)
{
	int rc = exit_code_for(err);
	if (s->rc == EXIT_OK) {
		sink_fail(s, rc, "%s", err->message);
		snprintf(s->request_id, sizeof(s->request_id), "%s", err->request_id);
	}
	return rc;
}

void sink_report(const struct sink *s)
{
	if (s->rc == EXIT_OK)
		return;
	if (s->request_id[0])
		complain("%s (request id %s)", s->msg, s->request_id);
	else
		complain("%s", s->msg);
}

conoha_client *session_or_exit(struct cli *cli, int *rc)
{
	conoha_error err;
	conoha_error_clear(&err);
	conoha_client *c = session_open(cli, &err);
	if (!c)
		*rc = fail_with(&err);
	return c;
}

void utc_now(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

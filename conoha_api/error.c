/* error.c - the one place errors are filled in */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

void conoha_error_clear(conoha_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

const char *conoha_errkind_name(enum conoha_errkind kind)
{
	static const char *const names[] = {
		[CONOHA_OK] = "ok",
		[CONOHA_ERR_INTERNAL] = "internal",
		[CONOHA_ERR_CONFIG] = "config",
		[CONOHA_ERR_AUTH] = "auth",
		[CONOHA_ERR_CONNECT] = "connect",
		[CONOHA_ERR_TLS] = "tls",
		[CONOHA_ERR_HTTP] = "http",
		[CONOHA_ERR_NOT_FOUND] = "not-found",
		[CONOHA_ERR_AMBIGUOUS] = "ambiguous",
		[CONOHA_ERR_PROTOCOL] = "protocol",
		[CONOHA_ERR_SYSTEM] = "system",
		[CONOHA_ERR_TIMEOUT] = "timeout",
		[CONOHA_ERR_INTERRUPTED] = "interrupted",
	};
	if ((size_t)kind < ARRAY_SIZE(names) && names[kind])
		return names[kind];
	return "unknown";
}

static void vset(conoha_error *err, enum conoha_errkind kind, const char *fmt, va_list ap)
{
	err->kind = kind;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

int set_error(conoha_error *err, enum conoha_errkind kind, const char *fmt, ...)
{
	if (!err)
		return -1;
	conoha_error_clear(err);
	va_list ap;
	va_start(ap, fmt);
	vset(err, kind, fmt, ap);
	va_end(ap);
	return -1;
}

int set_errno_error(conoha_error *err, int errnum, const char *fmt, ...)
{
	if (!err)
		return -1;
	conoha_error_clear(err);
	char what[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	err->kind = CONOHA_ERR_SYSTEM;
	err->sys_errno = errnum;
	snprintf(err->message, sizeof(err->message), "%s: %s", what, strerror(errnum));
	return -1;
}

/* Nova puts its fault under a root key that varies (itemNotFound,
 * badRequest, conflictingRequest, computeFault, ...); Keystone and Cinder
 * use "error"; Glance sometimes answers with a bare "message" or with
 * "title"/"description". */
static const char *fault_message_json(const json_t *root)
{
	const char *msg = json_string_value(json_object_get(root, "message"));
	if (msg)
		return msg;
	msg = json_string_value(json_object_get(root, "description"));
	if (msg)
		return msg;
	msg = json_string_value(json_object_get(root, "title"));
	if (msg)
		return msg;
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)root, key, val) {
		if (!json_is_object(val))
			continue;
		msg = json_string_value(json_object_get(val, "message"));
		if (msg)
			return msg;
		msg = json_string_value(json_object_get(val, "title"));
		if (msg)
			return msg;
	}
	return NULL;
}

/* First non-empty line of a text body, skipping HTML tags' lines. */
static char *fault_message_text(const char *body, size_t len)
{
	const char *p = body, *end = body + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		while (p < le && (*p == ' ' || *p == '\t' || *p == '\r'))
			p++;
		const char *q = le;
		while (q > p && (q[-1] == ' ' || q[-1] == '\r'))
			q--;
		if (q > p && *p != '<') {
			size_t n = (size_t)(q - p);
			if (n > 200)
				n = 200;
			return strndup(p, n);
		}
		p = le + (nl ? 1 : 0);
	}
	return NULL;
}

char *fault_message(const char *body, size_t len)
{
	if (!body || len == 0)
		return NULL;
	json_t *root = json_loadb(body, len, 0, NULL);
	if (root) {
		const char *msg = json_is_object(root) ? fault_message_json(root) : NULL;
		char *copy = msg ? strdup(msg) : NULL;
		json_decref(root);
		return copy;
	}
	return fault_message_text(body, len);
}

int set_http_error(conoha_error *err, long status, const char *body, size_t len,
                   const char *request_id, const char *what)
{
	if (!err)
		return -1;
	char *msg = fault_message(body, len);
	enum conoha_errkind kind = status == 404 ? CONOHA_ERR_NOT_FOUND : CONOHA_ERR_HTTP;
	if (msg)
		set_error(err, kind, "%s: HTTP %ld: %s", what, status, msg);
	else
		set_error(err, kind, "%s: HTTP %ld", what, status);
	free(msg);
	err->http_status = status;
	if (request_id)
		snprintf(err->request_id, sizeof(err->request_id), "%s", request_id);
	return -1;
}

/* internal.h - shared between the library's own files; not installed */
#ifndef CONOHA_INTERNAL_H
#define CONOHA_INTERNAL_H

#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <jansson.h>
#include "conoha.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors (error.c) ----------------------------------------------- */

/* Set err (which may be NULL) and return -1, so callers can write
 * "return set_error(err, ...);". */
int set_error(conoha_error *err, enum conoha_errkind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int set_errno_error(conoha_error *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fill err from an HTTP error response: the OpenStack fault message is
 * taken from whichever known body shape is present ({"itemNotFound":
 * {"message"}}, {"error":{"message"}}, {"message"}, {"title",
 * "description"}, or a plain-text body). what names the request. */
int set_http_error(conoha_error *err, long status, const char *body, size_t len,
                   const char *request_id, const char *what);

/* The fault message of an error body, or NULL. Caller frees with free(). */
char *fault_message(const char *body, size_t len);

/* ---- secrets (secret.c) --------------------------------------------- */

/* free() that wipes the whole allocation first. */
void secret_free(void *p);
/* strdup whose result the caller frees with secret_free(). */
char *secret_strdup(const char *s);

/* ---- redaction (redact.c) ------------------------------------------- */

/* True for a header whose value must never be logged. */
bool header_is_secret(const char *name, size_t name_len);
/* Copy of a JSON body with every secret field ("password", "secret",
 * "token" ids) replaced by "***". NULL if body is not JSON. Caller frees
 * with free(). */
char *redact_json_body(const char *body, size_t len);

/* ---- retries (retry.c) ---------------------------------------------- */

struct retry_policy {
	unsigned max_attempts;   /* total tries, including the first */
	long base_ms;            /* first backoff */
	long cap_ms;             /* no single backoff above this */
	long retry_after_cap_s;  /* Retry-After values above this are capped */
};

extern const struct retry_policy default_retry_policy;

/* Backoff before try number attempt+1 (attempt counts from 1): equal
 * jitter over an exponential, so min(cap, base*2^(attempt-1)) / 2 plus a
 * random share of the other half. rnd in [0,1). */
long backoff_ms(const struct retry_policy *p, unsigned attempt, double rnd);

/* Is this HTTP status worth retrying for this method? */
bool status_is_retryable(long status, bool idempotent);

/* ---- HTTP (http.c) --------------------------------------------------- */

struct http;

struct http_header {
	const char *name;
	const char *value;
};

typedef size_t (*http_sink_fn)(void *userdata, const char *data, size_t len);
/* Called once before the first byte of a 2xx body, with the status and
 * the Content-Range header (NULL when none). -1 aborts the transfer. */
typedef int (*http_begin_fn)(void *userdata, long status, const char *content_range);

struct http_request {
	const char *method;            /* "GET", "POST", ... */
	const char *url;
	const char *token;             /* sent as X-Auth-Token when non-NULL */
	const char *body;              /* JSON, NULL for none */
	size_t body_len;
	const struct http_header *headers; /* extra, may be NULL */
	size_t n_headers;
	bool no_retry;                 /* one try only */
	http_sink_fn sink;             /* stream 2xx bodies here instead of memory */
	http_begin_fn begin;           /* with sink, may be NULL */
	void *sink_data;
};

struct http_response {
	long status;
	char *body;          /* NUL-terminated; wiped when freed */
	size_t len;
	char *location;
	char *request_id;
	char *subject_token; /* wiped when freed */
	char *retry_after;
	char *content_range;
	double seconds;
};

struct http_options {
	const char *cacert;
	bool insecure;
	long connect_timeout_s;
	long low_speed_time_s;    /* abort when no byte moves for this long */
	struct retry_policy retry;
	conoha_log_fn log;
	void *log_data;
	volatile sig_atomic_t *cancel; /* a transfer aborts once *cancel is set */
};

struct http *http_new(const struct http_options *opt, conoha_error *err);
void http_free(struct http *h);
void http_set_log(struct http *h, conoha_log_fn fn, void *userdata);

/* Perform req with the retry policy. A response with any HTTP status is a
 * success here (0); transport failures are -1 with err set. Caller frees
 * resp with http_response_free(). */
int http_perform(struct http *h, const struct http_request *req,
                 struct http_response *resp, conoha_error *err);
void http_response_free(struct http_response *resp);

void http_set_cancel(struct http *h, volatile sig_atomic_t *flag);
void http_set_stall_timeout(struct http *h, long seconds);


/* ---- catalog (catalog.c) -------------------------------------------- */

struct catalog_entry {
	char *type;
	char *interface;   /* public, internal, admin */
	char *region;
	char *url;
};

struct catalog {
	struct catalog_entry *entries;
	size_t count;
};

/* Parse a v3 token's "catalog" array or a v2.0 "serviceCatalog". */
int catalog_parse_v3(const json_t *catalog, struct catalog *out, conoha_error *err);
int catalog_parse_v2(const json_t *catalog, struct catalog *out, conoha_error *err);
void catalog_free(struct catalog *cat);

/* Choose an endpoint: type (aliases such as volumev3 for block-storage
 * match), interface (NULL = public; "publicURL" spellings accepted),
 * region (NULL = the only one there is). Returns a borrowed URL, or NULL
 * with err set (not found, or ambiguous regions listed). */
const char *catalog_select(const struct catalog *cat, const char *type,
                           const char *interface, const char *region,
                           conoha_error *err);

/* Is region in the catalog? Either way, buf gets the regions it has,
 * quoted, comma-separated (truncated to size). */
bool catalog_has_region(const struct catalog *cat, const char *region, char *buf,
                        size_t size);

/* Canonical service type for an alias ("volumev3" -> "block-storage"). */
const char *service_type_canonical(const char *type);

/* ---- strings (util.c) ----------------------------------------------- */

/* Join base and path with exactly one '/'. Caller frees with free(). */
char *url_join(const char *base, const char *path);
/* Copy of url with "%(tenant_id)s", "$(tenant_id)s" and
 * "{tenant_id}"/"{project_id}" replaced by project_id and trailing '/'
 * removed. Caller frees with free(). */
char *url_expand(const char *url, const char *project_id);
/* prefix + id (percent-encoded) + suffix. Caller frees with free(). */
char *resource_path(const char *prefix, const char *id, const char *suffix);
/* Percent-encode for a query string. Caller frees with free(). */
char *url_escape(const char *s);
/* strdup that tolerates NULL. */
char *xstrdup(const char *s);
/* asprintf that returns NULL on failure. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

/* http.c - one libcurl easy handle per client: keep-alive, bounded
 * retries with jittered backoff, Retry-After, redacted debug logging */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "internal.h"

struct http {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct http_options opt;
	char *cacert;
	unsigned seed;
};

/* Sleep before a retry, in slices of at most 100 ms, so that a signal
 * (the cancel flag) ends even a two-minute Retry-After within a tenth of a
 * second. Returns -1 when cancelled. */
static int retry_sleep_ms(struct http *h, long ms)
{
	while (ms > 0) {
		if (h->opt.cancel && *h->opt.cancel)
			return -1;
		long slice = ms < 100 ? ms : 100;
		struct timespec ts = { 0, slice * 1000000L };
		nanosleep(&ts, NULL); /* EINTR: the flag is looked at next */
		ms -= slice;
	}
	return h->opt.cancel && *h->opt.cancel ? -1 : 0;
}

static void logf_(struct http *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct http *h, const char *fmt, ...)
{
	if (!h->opt.log)
		return;
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->opt.log(h->opt.log_data, line);
}

struct http *http_new(const struct http_options *opt, conoha_error *err)
{
	struct http *h = calloc(1, sizeof(*h));
	if (!h) {
		set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	h->opt = *opt;
	h->cacert = xstrdup(opt->cacert);
	h->opt.cacert = h->cacert;
	h->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	h->curl = curl_easy_init();
	if (!h->curl) {
		http_free(h);
		set_error(err, CONOHA_ERR_INTERNAL, "cannot initialise libcurl");
		return NULL;
	}
	return h;
}

void http_free(struct http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->cacert);
	free(h);
}

void http_set_log(struct http *h, conoha_log_fn fn, void *userdata)
{
	h->opt.log = fn;
	h->opt.log_data = userdata;
}

void http_set_cancel(struct http *h, volatile sig_atomic_t *flag)
{
	h->opt.cancel = flag;
}

void http_set_stall_timeout(struct http *h, long seconds)
{
	h->opt.low_speed_time_s = seconds;
}

void http_response_free(struct http_response *resp)
{
	if (!resp)
		return;
	secret_free(resp->body);
	free(resp->location);
	free(resp->request_id);
	secret_free(resp->subject_token);
	free(resp->retry_after);
	free(resp->content_range);
	memset(resp, 0, sizeof(*resp));
}

/* ---- one transfer ----------------------------------------------------- */

struct transfer {
	struct http *h;
	const struct http_request *req;
	struct http_response *resp;
	size_t cap;
	bool sink_failed;
	bool began;
	bool stalled;
	curl_off_t last_now;     /* bytes moved at the last progress call */
	double last_move;        /* when bytes last moved, monotonic seconds */
};

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	long code = 0;
	curl_easy_getinfo(t->h->curl, CURLINFO_RESPONSE_CODE, &code);
	if (t->req->sink && code >= 200 && code < 300) {
		if (!t->began) {
			t->began = true;
			if (t->req->begin &&
			    t->req->begin(t->req->sink_data, code, t->resp->content_range) < 0) {
				t->sink_failed = true;
				return 0;
			}
		}
		size_t done = t->req->sink(t->req->sink_data, data, n);
		if (done != n)
			t->sink_failed = true;
		return done;
	}
	struct http_response *r = t->resp;
	if (r->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		/* Grow by hand rather than realloc, so that a body holding a
		 * token is wiped, not left behind in a freed block. */
		char *nb = malloc(cap);
		if (!nb)
			return 0;
		if (r->body)
			memcpy(nb, r->body, r->len);
		secret_free(r->body);
		r->body = nb;
		t->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	if (len <= nl || line[nl] != ':' || strncasecmp(line, name, nl) != 0)
		return NULL;
	const char *v = line + nl + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return strndup(v, (size_t)(end - v));
}

static void keep_header(char **slot, char *value, void (*release)(void *))
{
	if (!value)
		return;
	release(*slot);
	*slot = value;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
	struct transfer *t = userdata;
	size_t n = size * nmemb;
	struct http_response *r = t->resp;
	if (n > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue or a redirect): forget
		 * the headers of the previous one. */
		free(r->location), r->location = NULL;
		free(r->retry_after), r->retry_after = NULL;
		free(r->content_range), r->content_range = NULL;
	}
	keep_header(&r->location, header_value(line, n, "Location"), free);
	keep_header(&r->request_id, header_value(line, n, "x-openstack-request-id"), free);
	keep_header(&r->request_id, header_value(line, n, "x-compute-request-id"), free);
	keep_header(&r->subject_token, header_value(line, n, "X-Subject-Token"), secret_free);
	keep_header(&r->retry_after, header_value(line, n, "Retry-After"), free);
	keep_header(&r->content_range, header_value(line, n, "Content-Range"), free);
	if (t->h->opt.log && n > 2) {
		const char *colon = memchr(line, ':', n);
		size_t shown = n;
		while (shown > 0 && (line[shown - 1] == '\r' || line[shown - 1] == '\n'))
			shown--;
		if (colon && header_is_secret(line, (size_t)(colon - line)))
			logf_(t->h, "< %.*s: ***", (int)(colon - line), line);
		else
			logf_(t->h, "< %.*s", (int)shown, line);
	}
	return n;
}

static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)ultotal;
	struct transfer *t = userdata;
	if (t->h->opt.cancel && *t->h->opt.cancel)
		return 1;
	/* Our own stall clock: curl's low-speed check averages over several
	 * seconds, so a burst before a stall hides the stall for a while. */
	double now = mono_s();
	if (dlnow + ulnow != t->last_now || t->last_move == 0) {
		t->last_now = dlnow + ulnow;
		t->last_move = now;
	} else if (now - t->last_move > (double)t->h->opt.low_speed_time_s) {
		t->stalled = true;
		return 1;
	}
	return 0;
}

#define SETOPT(h, opt, val)                                                  \
	do {                                                                 \
		if (curl_easy_setopt((h)->curl, opt, val) != CURLE_OK)       \
			return set_error(err, CONOHA_ERR_INTERNAL,           \
			                 "libcurl refused option " #opt);    \
	} while (0)

static bool has_header(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->n_headers; i++)
		if (strcasecmp(req->headers[i].name, name) == 0)
			return true;
	return false;
}

static int setup(struct http *h, struct transfer *t, struct curl_slist **hdrs,
                 conoha_error *err)
{
	const struct http_request *req = t->req;
	curl_easy_reset(h->curl);
	h->errbuf[0] = '\0';
	SETOPT(h, CURLOPT_ERRORBUFFER, h->errbuf);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_URL, req->url);
	SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
	SETOPT(h, CURLOPT_NOBODY, strcmp(req->method, "HEAD") == 0 ? 1L : 0L);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT, h->opt.connect_timeout_s);
	/* No total timeout: an image download may take hours. A stall is
	 * caught by the low-speed limit instead. */
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, h->opt.insecure ? 0L : 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, h->opt.insecure ? 0L : 2L);
	if (h->opt.cacert)
		SETOPT(h, CURLOPT_CAINFO, h->opt.cacert);
	/* Nothing older than TLS 1.2, whatever the system's OpenSSL allows. */
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(h, CURLOPT_USERAGENT, "lifeboat/" LIFEBOAT_VERSION);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, t);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, t);
	SETOPT(h, CURLOPT_NOPROGRESS, 0L);
	SETOPT(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(h, CURLOPT_XFERINFODATA, t);
	if (req->sink)
		SETOPT(h, CURLOPT_BUFFERSIZE, 512L * 1024L);
	if (req->body) {
		SETOPT(h, CURLOPT_POSTFIELDS, req->body);
		SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}

	struct curl_slist *l = NULL;
	l = curl_slist_append(l, "Accept: application/json");
	if (req->body && !has_header(req, "Content-Type"))
		l = curl_slist_append(l, "Content-Type: application/json");
	l = curl_slist_append(l, "Expect:");
	for (size_t i = 0; l && i < req->n_headers; i++) {
		char *line = xasprintf("%s: %s", req->headers[i].name, req->headers[i].value);
		if (line)
			l = curl_slist_append(l, line);
		free(line);
	}
	if (l && req->token) {
		char *line = xasprintf("X-Auth-Token: %s", req->token);
		if (line)
			l = curl_slist_append(l, line);
		secret_free(line);
	}
	if (!l)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	*hdrs = l;
	SETOPT(h, CURLOPT_HTTPHEADER, l);
	return 0;
}

/* The slist holds X-Auth-Token: wipe each line before freeing. */
static void free_headers(struct curl_slist *l)
{
	for (struct curl_slist *p = l; p; p = p->next)
		explicit_bzero(p->data, strlen(p->data));
	curl_slist_free_all(l);
}

static enum conoha_errkind classify_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return CONOHA_ERR_TLS;
	case CURLE_ABORTED_BY_CALLBACK:
		return CONOHA_ERR_INTERRUPTED;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return CONOHA_ERR_CONFIG;
	default:
		return CONOHA_ERR_CONNECT;
	}
}

static bool curl_is_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool method_is_idempotent(const char *method)
{
	return strcmp(method, "POST") != 0 && strcmp(method, "PATCH") != 0;
}

static void log_request(struct http *h, const struct http_request *req, unsigned attempt)
{
	if (!h->opt.log)
		return;
	logf_(h, "> %s %s%s", req->method, req->url,
	      attempt > 1 ? " (retry)" : "");
	if (req->token)
		logf_(h, "> X-Auth-Token: ***");
	if (req->body) {
		char *shown = redact_json_body(req->body, req->body_len);
		logf_(h, "> body: %s", shown ? shown : "(not JSON, not shown)");
		free(shown);
	}
}

/* What to do about a TLS failure, named: a certificate the system does
 * not trust is fixed by giving its CA, never first by --insecure. */
static const char *tls_hint(const struct http *h, CURLcode rc)
{
	if (rc == CURLE_SSL_CONNECT_ERROR && strstr(h->errbuf, "protocol version"))
		return " (the server offers only TLS versions older than 1.2, which lifeboat "
		       "refuses)";
	if (rc != CURLE_PEER_FAILED_VERIFICATION && rc != CURLE_SSL_CACERT_BADFILE &&
	    rc != CURLE_SSL_ISSUER_ERROR && !(rc == CURLE_SSL_CONNECT_ERROR &&
	                                      strstr(h->errbuf, "certificate")))
		return "";
	if (strstr(h->errbuf, "subject name") || strstr(h->errbuf, "does not match"))
		return " (the certificate is for another host name: check the URL)";
	if (strstr(h->errbuf, "expired"))
		return " (the server's certificate has expired)";
	if (h->opt.cacert)
		return " (the server's certificate is not signed by the CA given with "
		       "--os-cacert, OS_CACERT or cacert: in clouds.yaml)";
	return " (the server's certificate is not trusted here: give the CA that signed it "
	       "with --os-cacert FILE, OS_CACERT, or cacert: in clouds.yaml)";
}

static int transfer_once(struct http *h, const struct http_request *req,
                         struct http_response *resp, CURLcode *rc_out,
                         conoha_error *err)
{
	struct transfer t = { .h = h, .req = req, .resp = resp };
	struct curl_slist *hdrs = NULL;
	if (setup(h, &t, &hdrs, err) < 0) {
		free_headers(hdrs);
		return -1;
	}
	CURLcode rc = curl_easy_perform(h->curl);
	free_headers(hdrs);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	*rc_out = rc;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME, &resp->seconds);
	if (rc == CURLE_OK) {
		logf_(h, "< HTTP %ld (%.3f s)", resp->status, resp->seconds);
		return 0;
	}
	if (t.sink_failed && rc == CURLE_WRITE_ERROR)
		return set_error(err, CONOHA_ERR_SYSTEM, "%s %s: writing the response failed",
		                 req->method, req->url);
	if (t.stalled)
		*rc_out = CURLE_OPERATION_TIMEDOUT; /* retried like any timeout */
	if (t.stalled)
		set_error(err, CONOHA_ERR_CONNECT, "%s %s: stalled: nothing moved for %ld s",
		          req->method, req->url, h->opt.low_speed_time_s);
	else
		set_error(err, classify_curl(rc), "%s %s: %s%s", req->method, req->url,
		          h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc), tls_hint(h, rc));
	logf_(h, "! %s", err->message);
	return -1;
}

static double next_random(struct http *h)
{
	return (double)rand_r(&h->seed) / ((double)RAND_MAX + 1.0);
}

/* How long to wait before trying again, or -1 for "do not". */
static long retry_delay_ms(struct http *h, const struct http_request *req,
                           const struct http_response *resp, CURLcode rc,
                           unsigned attempt)
{
	const struct retry_policy *p = &h->opt.retry;
	if (req->no_retry || attempt >= p->max_attempts)
		return -1;
	if (rc != CURLE_OK) {
		/* A stream that broke is resumed by its caller, who knows
		 * how much arrived. */
		if (req->sink || !curl_is_retryable(rc))
			return -1;
		/* A POST that may have reached the server is not resent,
		 * except when the connection was never made. */
		if (!method_is_idempotent(req->method) && rc != CURLE_COULDNT_CONNECT &&
		    rc != CURLE_COULDNT_RESOLVE_HOST)
			return -1;
		return backoff_ms(p, attempt, next_random(h));
	}
	if (!status_is_retryable(resp->status, method_is_idempotent(req->method)))
		return -1;
	long ra = conoha_parse_retry_after(resp->retry_after, time(NULL));
	if (ra >= 0) {
		if (ra > p->retry_after_cap_s)
			ra = p->retry_after_cap_s;
		return ra * 1000L;
	}
	return backoff_ms(p, attempt, next_random(h));
}

int http_perform(struct http *h, const struct http_request *req,
                 struct http_response *resp, conoha_error *err)
{
	memset(resp, 0, sizeof(*resp));
	for (unsigned attempt = 1;; attempt++) {
		log_request(h, req, attempt);
		CURLcode rc = CURLE_OK;
		conoha_error local;
		conoha_error_clear(&local);
		int r = transfer_once(h, req, resp, &rc, &local);
		if (r < 0 && rc == CURLE_OK) {
			*err = local;
			return -1;
		}
		long delay = retry_delay_ms(h, req, resp, rc, attempt);
		if (delay < 0) {
			if (r < 0) {
				*err = local;
				return -1;
			}
			return 0;
		}
		logf_(h, "retrying in %ld ms (try %u of %u)", delay, attempt + 1,
		      h->opt.retry.max_attempts);
		http_response_free(resp);
		if (retry_sleep_ms(h, delay) < 0)
			return set_error(err, CONOHA_ERR_INTERRUPTED, "%s %s: interrupted while "
			                 "waiting to retry", req->method, req->url);
	}
}

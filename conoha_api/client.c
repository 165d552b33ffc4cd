/* client.c - the client handle, Keystone v3 and v2.0, token upkeep */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include "client.h"
#include "config_keys.h"

/* Renew a token this close to its expiry before using it. */
#define TOKEN_RENEW_MARGIN_S 300

enum { EP_COMPUTE, EP_IMAGE, EP_VOLUME, EP_IDENTITY, EP__COUNT };

static const struct {
	const char *type;
	int override_key;
} endpoint_kinds[EP__COUNT] = {
	[EP_COMPUTE] = { "compute", KEY_COMPUTE_ENDPOINT },
	[EP_IMAGE] = { "image", KEY_IMAGE_ENDPOINT },
	[EP_VOLUME] = { "block-storage", KEY_VOLUME_ENDPOINT },
	[EP_IDENTITY] = { "identity", -1 },
};

struct conoha_client {
	const conoha_config *cfg;
	struct http *http;
	int version;
	char *auth_url;       /* with its /v3 or /v2.0 */
	char *token;          /* wiped when freed */
	time_t expires_at;
	char *user_id, *user_name, *project_id, *project_name;
	struct catalog catalog;
	char *endpoints[EP__COUNT];
	char *microversion_header;
	char last_request_id[128];
	conoha_log_fn log;
	void *log_data;
};

static char *versioned_auth_url(const char *url, int version)
{
	const char *suffix = version == 2 ? "/v2.0" : "/v3";
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	size_t sl = strlen(suffix);
	if (n >= sl && strncmp(url + n - sl, suffix, sl) == 0)
		return xasprintf("%.*s", (int)n, url);
	return xasprintf("%.*s%s", (int)n, url, suffix);
}

static bool is_plain_http(const char *url)
{
	return url && strncasecmp(url, "http://", 7) == 0;
}

/* Plain HTTP carries secrets in clear: say so on every run, as for
 * --insecure, unless allow_http says this is a lab. */
static void warn_plain_http(const conoha_client *c, const char *what, const char *url,
                            const char *secrets)
{
	if (!is_plain_http(url) || config_true(c->cfg, KEY_ALLOW_HTTP))
		return;
	config_warn(c->cfg, "the %s endpoint %s is plain HTTP: anyone on the path can read "
	            "%s (--allow-http or allow_http: true silences this for a lab)", what, url,
	            secrets);
}

conoha_client *conoha_client_new(const conoha_config *cfg, conoha_error *err)
{
	if (conoha_config_validate(cfg, NULL, err) < 0)
		return NULL;
	conoha_client *c = calloc(1, sizeof(*c));
	if (!c) {
		set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
		return NULL;
	}
	c->cfg = cfg;
	c->version = config_identity_version(cfg);
	const char *cacert = config_value(cfg, KEY_CACERT);
	if (cacert && access(cacert, R_OK) < 0) {
		set_errno_error(err, errno, "the CA file '%s' (--os-cacert, OS_CACERT or cacert: "
		                "in clouds.yaml) cannot be read", cacert);
		err->kind = CONOHA_ERR_CONFIG;
		free(c);
		return NULL;
	}
	/* https://user:password@host/: every message naming the URL would
	 * show the password; said without the URL */
	const char *given = config_value(cfg, KEY_AUTH_URL);
	const char *host = given ? strstr(given, "://") : NULL;
	if (host && memchr(host + 3, '@', strcspn(host + 3, "/?#"))) {
		set_error(err, CONOHA_ERR_CONFIG, "the auth URL (--os-auth-url, OS_AUTH_URL or "
		          "auth_url: in clouds.yaml) carries a user name or password: give the "
		          "URL alone, and the user and password as their own settings");
		free(c);
		return NULL;
	}
	c->auth_url = versioned_auth_url(given, c->version);
	struct http_options opt = {
		.cacert = config_value(cfg, KEY_CACERT),
		.insecure = config_true(cfg, KEY_INSECURE),
		.connect_timeout_s = 20,
		.low_speed_time_s = 60,
		.retry = default_retry_policy,
	};
	c->http = http_new(&opt, err);
	if (!c->http || !c->auth_url) {
		if (c->http)
			set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
		conoha_client_free(c);
		return NULL;
	}
	warn_plain_http(c, "identity", c->auth_url, "your password and token");
	return c;
}

static void forget_token(conoha_client *c)
{
	secret_free(c->token);
	c->token = NULL;
	c->expires_at = 0;
	free(c->user_id), free(c->user_name), free(c->project_id), free(c->project_name);
	c->user_id = c->user_name = c->project_id = c->project_name = NULL;
	catalog_free(&c->catalog);
	for (int i = 0; i < EP__COUNT; i++) {
		free(c->endpoints[i]);
		c->endpoints[i] = NULL;
	}
}

void conoha_client_free(conoha_client *c)
{
	if (!c)
		return;
	forget_token(c);
	http_free(c->http);
	free(c->auth_url);
	free(c->microversion_header);
	free(c);
}

void conoha_client_set_cancel(conoha_client *c, volatile sig_atomic_t *flag)
{
	http_set_cancel(c->http, flag);
}

void conoha_client_set_stall_timeout(conoha_client *c, long seconds)
{
	http_set_stall_timeout(c->http, seconds);
}

void conoha_client_set_log(conoha_client *c, conoha_log_fn fn, void *userdata)
{
	c->log = fn;
	c->log_data = userdata;
	http_set_log(c->http, fn, userdata);
}

int conoha_is_conoha(const conoha_client *c)
{
	const char *profile = config_value(c->cfg, KEY_PROFILE);
	if (profile)
		return strcasecmp(profile, "conoha") == 0;
	const char *url = config_value(c->cfg, KEY_AUTH_URL);
	const char *host = url ? strstr(url, "://") : NULL;
	if (!host)
		return 0;
	host += 3;
	size_t len = strcspn(host, ":/");
	static const char suffix[] = ".conoha.io";
	return len >= sizeof(suffix) - 1 &&
	       strncasecmp(host + len - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) == 0;
}

const char *conoha_last_request_id(const conoha_client *c)
{
	return c->last_request_id;
}

const char *conoha_token(conoha_client *c)
{
	return c->token;
}

const char *conoha_project_id(const conoha_client *c)
{
	return client_project_id(c);
}

const char *client_project_id(const conoha_client *c)
{
	return c->project_id ? c->project_id : config_value(c->cfg, KEY_PROJECT_ID);
}

/* ---- request bodies ---------------------------------------------------- */

static json_t *domain_ref(const conoha_config *cfg, int id_key, int name_key)
{
	const char *id = config_value(cfg, id_key);
	const char *name = config_value(cfg, name_key);
	if (id)
		return json_pack("{s:s}", "id", id);
	if (name)
		return json_pack("{s:s}", "name", name);
	/* As the openstack CLI: a missing domain is the default domain. */
	const char *dflt = config_value(cfg, KEY_DEFAULT_DOMAIN);
	return json_pack("{s:s}", "id", dflt ? dflt : "default");
}

static json_t *user_ref(const conoha_config *cfg)
{
	const char *id = config_value(cfg, KEY_USER_ID);
	if (id)
		return json_pack("{s:s}", "id", id);
	return json_pack("{s:s?, s:o}", "name", config_value(cfg, KEY_USERNAME), "domain",
	                 domain_ref(cfg, KEY_USER_DOMAIN_ID, KEY_USER_DOMAIN_NAME));
}

static json_t *project_scope(const conoha_config *cfg)
{
	const char *id = config_value(cfg, KEY_PROJECT_ID);
	const char *name = config_value(cfg, KEY_PROJECT_NAME);
	if (id)
		return json_pack("{s:{s:s}}", "project", "id", id);
	if (name)
		return json_pack("{s:{s:s, s:o}}", "project", "name", name, "domain",
		                 domain_ref(cfg, KEY_PROJECT_DOMAIN_ID, KEY_PROJECT_DOMAIN_NAME));
	return NULL;
}

static json_t *v3_identity(const conoha_config *cfg)
{
	switch (config_auth_method(cfg)) {
	case AUTH_APP_CREDENTIAL: {
		const char *id = config_value(cfg, KEY_APP_CRED_ID);
		json_t *ac = id ? json_pack("{s:s}", "id", id)
		                : json_pack("{s:s?, s:o}", "name",
		                            config_value(cfg, KEY_APP_CRED_NAME), "user",
		                            user_ref(cfg));
		json_object_set_new(ac, "secret",
		                    json_string(config_value(cfg, KEY_APP_CRED_SECRET)));
		return json_pack("{s:[s], s:o}", "methods", "application_credential",
		                 "application_credential", ac);
	}
	case AUTH_TOKEN:
		return json_pack("{s:[s], s:{s:s?}}", "methods", "token", "token", "id",
		                 config_value(cfg, KEY_TOKEN));
	case AUTH_PASSWORD:
	default: {
		json_t *user = user_ref(cfg);
		json_object_set_new(user, "password",
		                    json_string(config_value(cfg, KEY_PASSWORD)));
		return json_pack("{s:[s], s:{s:o}}", "methods", "password", "password",
		                 "user", user);
	}
	}
}

static json_t *v3_body(const conoha_config *cfg)
{
	json_t *auth = json_pack("{s:o}", "identity", v3_identity(cfg));
	/* An application credential carries its own scope. */
	if (auth && config_auth_method(cfg) != AUTH_APP_CREDENTIAL) {
		json_t *scope = project_scope(cfg);
		if (scope)
			json_object_set_new(auth, "scope", scope);
	}
	return json_pack("{s:o}", "auth", auth);
}

static json_t *v2_body(const conoha_config *cfg)
{
	json_t *auth = json_pack("{s:{s:s?, s:s?}}", "passwordCredentials", "username",
	                         config_value(cfg, KEY_USERNAME), "password",
	                         config_value(cfg, KEY_PASSWORD));
	const char *tid = config_value(cfg, KEY_PROJECT_ID);
	if (tid)
		json_object_set_new(auth, "tenantId", json_string(tid));
	else
		json_object_set_new(auth, "tenantName",
		                    json_string(config_value(cfg, KEY_PROJECT_NAME)));
	return json_pack("{s:o}", "auth", auth);
}

/* ---- responses ----------------------------------------------------------- */

static int take_string(char **slot, const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	free(*slot);
	*slot = v ? strdup(v) : NULL;
	return 0;
}

int parse_v3_token(conoha_client *c, const json_t *root,
                   struct http_response *resp, conoha_error *err)
{
	json_t *token = json_object_get(root, "token");
	if (!json_is_object(token) || !resp->subject_token)
		return set_error(err, CONOHA_ERR_PROTOCOL,
		                 "identity v3 answered without a token");
	c->token = resp->subject_token;
	resp->subject_token = NULL;
	const char *exp = json_string_value(json_object_get(token, "expires_at"));
	if (exp && conoha_parse_iso8601(exp, &c->expires_at) < 0)
		return set_error(err, CONOHA_ERR_PROTOCOL, "unreadable token expiry '%s'", exp);
	json_t *user = json_object_get(token, "user");
	json_t *project = json_object_get(token, "project");
	take_string(&c->user_id, user, "id");
	take_string(&c->user_name, user, "name");
	take_string(&c->project_id, project, "id");
	take_string(&c->project_name, project, "name");
	json_t *cat = json_object_get(token, "catalog");
	if (!cat)
		return 0; /* unscoped: endpoints must come from overrides */
	return catalog_parse_v3(cat, &c->catalog, err);
}

int parse_v2_token(conoha_client *c, const json_t *root, conoha_error *err)
{
	json_t *access = json_object_get(root, "access");
	json_t *token = json_object_get(access, "token");
	const char *id = json_string_value(json_object_get(token, "id"));
	if (!id)
		return set_error(err, CONOHA_ERR_PROTOCOL,
		                 "identity v2.0 answered without a token");
	c->token = secret_strdup(id);
	const char *exp = json_string_value(json_object_get(token, "expires"));
	if (exp && conoha_parse_iso8601(exp, &c->expires_at) < 0)
		return set_error(err, CONOHA_ERR_PROTOCOL, "unreadable token expiry '%s'", exp);
	json_t *tenant = json_object_get(token, "tenant");
	json_t *user = json_object_get(access, "user");
	take_string(&c->user_id, user, "id");
	take_string(&c->user_name, user, "name");
	take_string(&c->project_id, tenant, "id");
	take_string(&c->project_name, tenant, "name");
	return catalog_parse_v2(json_object_get(access, "serviceCatalog"), &c->catalog, err);
}

static const char *auth_who(const conoha_config *cfg)
{
	switch (config_auth_method(cfg)) {
	case AUTH_APP_CREDENTIAL: return "the application credential";
	case AUTH_TOKEN: return "the token";
	default: return "the user and password";
	}
}

/* Keystone v3 answers 401 for a wrong password and for a project that is
 * not there or not the user's alike. Asked again without the project, it
 * tells them apart: 1 when the credentials alone are accepted, 0 when
 * they are not, -1 when it cannot be told. */
static int credentials_alone_accepted(conoha_client *c)
{
	if (c->version == 2 || config_auth_method(c->cfg) != AUTH_PASSWORD)
		return -1;
	json_t *body = json_pack("{s:{s:o}}", "auth", "identity", v3_identity(c->cfg));
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	char *url = url_join(c->auth_url, "auth/tokens");
	int verdict = -1;
	if (text && url) {
		struct http_request req = {
			.method = "POST", .url = url, .body = text, .body_len = strlen(text),
		};
		struct http_response resp;
		conoha_error ignored;
		if (http_perform(c->http, &req, &resp, &ignored) == 0)
			verdict = resp.status >= 200 && resp.status <= 299 ? 1
			        : resp.status == 401 ? 0 : -1;
		http_response_free(&resp);
	}
	secret_free(text);
	free(url);
	return verdict;
}

static const char *project_named(const conoha_config *cfg)
{
	const char *p = config_value(cfg, KEY_PROJECT_ID);
	return p ? p : config_value(cfg, KEY_PROJECT_NAME);
}

static int auth_failed(conoha_client *c, struct http_response *resp, conoha_error *err)
{
	if (resp->status == 401 || resp->status == 403) {
		char *msg = fault_message(resp->body, resp->len);
		int alone = resp->status == 401 ? credentials_alone_accepted(c) : -1;
		const char *project = project_named(c->cfg);
		if (alone == 1)
			set_error(err, CONOHA_ERR_AUTH,
			          "authentication failed: project '%s' was not found or is not "
			          "yours: %s %s accepted alone by %s, but not with that project "
			          "(HTTP %ld%s%s); check --os-project-name or --os-project-id and "
			          "the project's domain", project ? project : "?",
			          auth_who(c->cfg), "were", c->auth_url, resp->status,
			          msg ? ": " : "", msg ? msg : "");
		else if (alone == 0 || config_auth_method(c->cfg) != AUTH_PASSWORD || !project)
			set_error(err, CONOHA_ERR_AUTH,
			          "authentication failed: %s were rejected by %s (HTTP %ld%s%s)",
			          auth_who(c->cfg), c->auth_url, resp->status, msg ? ": " : "",
			          msg ? msg : "");
		else
			set_error(err, CONOHA_ERR_AUTH,
			          "authentication failed: %s, or the project '%s', were rejected "
			          "by %s (HTTP %ld%s%s); the identity service does not say which",
			          auth_who(c->cfg), project ? project : "?", c->auth_url,
			          resp->status, msg ? ": " : "", msg ? msg : "");
		free(msg);
		err->http_status = resp->status;
		if (resp->request_id)
			snprintf(err->request_id, sizeof(err->request_id), "%s", resp->request_id);
		return -1;
	}
	return set_http_error(err, resp->status, resp->body, resp->len, resp->request_id,
	                      "authentication failed");
}

/* A region the catalog does not have is a setting to fix, named with
 * the ones there are: not an endpoint missing later. */
static int check_region(conoha_client *c, conoha_error *err)
{
	const char *region = config_value(c->cfg, KEY_REGION_NAME);
	char regions[512];
	if (!region || !*region || c->catalog.count == 0 ||
	    catalog_has_region(&c->catalog, region, regions, sizeof(regions)))
		return 0;
	return set_error(err, CONOHA_ERR_CONFIG, "region '%s' is not in the catalog of %s; "
	                 "its regions: %s; choose one with --os-region-name or "
	                 "OS_REGION_NAME", region, c->auth_url, regions);
}

int conoha_authenticate(conoha_client *c, conoha_error *err)
{
	forget_token(c);
	json_t *body = c->version == 2 ? v2_body(c->cfg) : v3_body(c->cfg);
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	char *url = url_join(c->auth_url, c->version == 2 ? "tokens" : "auth/tokens");
	if (!text || !url) {
		secret_free(text);
		free(url);
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	}
	struct http_request req = {
		.method = "POST", .url = url, .body = text, .body_len = strlen(text),
	};
	struct http_response resp;
	int rc = http_perform(c->http, &req, &resp, err);
	secret_free(text);
	free(url);
	if (rc < 0)
		goto out;
	if (resp.status < 200 || resp.status > 299) {
		rc = auth_failed(c, &resp, err);
		goto out;
	}
	json_t *root = json_loadb(resp.body, resp.len, 0, NULL);
	if (!root) {
		rc = set_error(err, CONOHA_ERR_PROTOCOL, "identity answered with invalid JSON");
		goto out;
	}
	rc = c->version == 2 ? parse_v2_token(c, root, err) : parse_v3_token(c, root, &resp, err);
	json_decref(root);
	if (rc == 0)
		rc = check_region(c, err);
	if (rc < 0)
		forget_token(c);
out:
	http_response_free(&resp);
	return rc;
}

static int ensure_token(conoha_client *c, conoha_error *err)
{
	if (c->token && (c->expires_at == 0 ||
	                 time(NULL) < c->expires_at - TOKEN_RENEW_MARGIN_S))
		return 0;
	if (c->token && c->log)
		c->log(c->log_data, "token expires within 5 minutes: renewing");
	return conoha_authenticate(c, err);
}

int conoha_identity(conoha_client *c, struct conoha_identity *out, conoha_error *err)
{
	if (ensure_token(c, err) < 0)
		return -1;
	const char *region = config_value(c->cfg, KEY_REGION_NAME);
	*out = (struct conoha_identity){
		.user_id = c->user_id ? c->user_id : "",
		.user_name = c->user_name ? c->user_name : "",
		.project_id = c->project_id ? c->project_id : "",
		.project_name = c->project_name ? c->project_name : "",
		.region = region ? region : "",
		.identity_version = c->version == 2 ? "2.0" : "3",
		.expires_at = c->expires_at,
	};
	return 0;
}

/* ---- endpoints ----------------------------------------------------------- */

static int endpoint_kind(const char *service_type)
{
	const char *canon = service_type_canonical(service_type);
	for (int i = 0; i < EP__COUNT; i++)
		if (strcmp(endpoint_kinds[i].type, canon) == 0)
			return i;
	return -1;
}

const char *conoha_endpoint(conoha_client *c, const char *service_type, conoha_error *err)
{
	int kind = endpoint_kind(service_type);
	if (kind < 0) {
		set_error(err, CONOHA_ERR_INTERNAL, "unknown service type '%s'", service_type);
		return NULL;
	}
	if (c->endpoints[kind])
		return c->endpoints[kind];
	if (ensure_token(c, err) < 0)
		return NULL;
	int ok = endpoint_kinds[kind].override_key;
	const char *url = ok >= 0 ? config_value(c->cfg, ok) : NULL;
	if (!url)
		url = catalog_select(&c->catalog, service_type,
		                     config_value(c->cfg, KEY_INTERFACE),
		                     config_value(c->cfg, KEY_REGION_NAME), err);
	if (!url)
		return NULL;
	c->endpoints[kind] = url_expand(url, client_project_id(c));
	if (!c->endpoints[kind])
		set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	else if (kind != EP_IDENTITY)
		warn_plain_http(c, endpoint_kinds[kind].type, c->endpoints[kind],
		                kind == EP_IMAGE ? "your token and the images"
		                                 : "your token");
	return c->endpoints[kind];
}

/* ---- requests ------------------------------------------------------------ */

static char *request_url(conoha_client *c, const char *service, const char *path,
                         conoha_error *err)
{
	if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
		return strdup(path);
	const char *base = conoha_endpoint(c, service, err);
	if (!base)
		return NULL;
	return url_join(base, path);
}

/* Ask for the compute microversion the user chose; without one, Nova
 * answers with its minimum and lifeboat copes with both shapes. */
static size_t add_microversion(conoha_client *c, const char *service,
                               struct http_header *out, size_t room)
{
	const char *v = config_value(c->cfg, KEY_COMPUTE_API_VERSION);
	if (!v || room < 2 || strcmp(service_type_canonical(service), "compute") != 0)
		return 0;
	if (!c->microversion_header)
		c->microversion_header = xasprintf("compute %s", v);
	if (!c->microversion_header)
		return 0;
	out[0] = (struct http_header){ "OpenStack-API-Version", c->microversion_header };
	out[1] = (struct http_header){ "X-OpenStack-Nova-API-Version", v };
	return 2;
}

int api_request(conoha_client *c, const char *service, const char *method,
                const char *path, const json_t *body,
                const struct http_header *headers, size_t n_headers,
                struct http_response *resp, conoha_error *err)
{
	return api_stream(c, service, method, path, body, headers, n_headers, NULL, resp, err);
}

int api_stream(conoha_client *c, const char *service, const char *method,
               const char *path, const json_t *body,
               const struct http_header *headers, size_t n_headers,
               const struct api_sink *sink, struct http_response *resp,
               conoha_error *err)
{
	memset(resp, 0, sizeof(*resp));
	if (ensure_token(c, err) < 0)
		return -1;
	char *url = request_url(c, service, path, err);
	if (!url)
		return -1;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_header all[8];
	size_t n_all = add_microversion(c, service, all, ARRAY_SIZE(all));
	for (size_t i = 0; i < n_headers && n_all < ARRAY_SIZE(all); i++)
		all[n_all++] = headers[i];
	struct http_request req = {
		.method = method, .url = url, .body = text,
		.body_len = text ? strlen(text) : 0,
		.headers = all, .n_headers = n_all,
		.sink = sink ? sink->data : NULL,
		.begin = sink ? sink->begin : NULL,
		.sink_data = sink ? sink->userdata : NULL,
	};
	int rc = -1;
	for (int tries = 0; tries < 2; tries++) {
		req.token = c->token;
		rc = http_perform(c->http, &req, resp, err);
		/* A token can be revoked or expire early; keystoneauth and
		 * gophercloud both re-authenticate once, and so do we. */
		if (rc < 0 || resp->status != 401 || tries > 0)
			break;
		if (c->log)
			c->log(c->log_data, "HTTP 401: re-authenticating once");
		http_response_free(resp);
		if (conoha_authenticate(c, err) < 0) {
			rc = -1;
			break;
		}
	}
	if (rc == 0)
		snprintf(c->last_request_id, sizeof(c->last_request_id), "%s",
		         resp->request_id ? resp->request_id : "");
	free(text);
	free(url);
	return rc;
}

int api_json(conoha_client *c, const char *service, const char *method,
             const char *path, const json_t *body,
             const struct http_header *headers, size_t n_headers,
             json_t **out, const char *what, conoha_error *err)
{
	*out = NULL;
	struct http_response resp;
	if (api_request(c, service, method, path, body, headers, n_headers, &resp, err) < 0)
		return -1;
	int rc = 0;
	if (resp.status < 200 || resp.status > 299) {
		rc = set_http_error(err, resp.status, resp.body, resp.len, resp.request_id, what);
	} else if (resp.len > 0) {
		json_error_t jerr;
		*out = json_loadb(resp.body, resp.len, 0, &jerr);
		if (!*out)
			rc = set_error(err, CONOHA_ERR_PROTOCOL, "%s: invalid JSON: %s", what,
			               jerr.text);
	}
	http_response_free(&resp);
	return rc;
}

int api_json_at(conoha_client *c, const char *service, const char *method,
                const char *prefix, const char *id, const char *suffix,
                const json_t *body, json_t **out, const char *what, conoha_error *err)
{
	*out = NULL;
	char *path = resource_path(prefix, id, suffix);
	if (!path)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	int rc = api_json(c, service, method, path, body, NULL, 0, out, what, err);
	free(path);
	return rc;
}

/* Nova links the next page in "<key>_links", Glance in "next". */
static bool links_next_page(const json_t *page, const char *key)
{
	if (json_object_get(page, "next"))
		return true;
	char links[64];
	snprintf(links, sizeof(links), "%s_links", key);
	size_t i;
	json_t *link;
	json_array_foreach(json_object_get(page, links), i, link) {
		const char *rel = json_string_value(json_object_get(link, "rel"));
		if (rel && strcmp(rel, "next") == 0)
			return true;
	}
	return false;
}

static char *page_path(const char *path, int page_size, const char *marker)
{
	char *esc = marker ? url_escape(marker) : NULL;
	char *out = esc ? xasprintf("%s?limit=%d&marker=%s", path, page_size, esc)
	                : xasprintf("%s?limit=%d", path, page_size);
	free(esc);
	return out;
}

int api_list_all(conoha_client *c, const char *service, const char *path,
                 const char *key, int page_size, api_page_fn add, void *userdata,
                 const char *what, conoha_error *err)
{
	char *marker = NULL;
	int rc = 0;
	for (;;) {
		char *p = page_path(path, page_size, marker);
		json_t *page = NULL;
		rc = p ? api_json(c, service, "GET", p, NULL, NULL, 0, &page, what, err)
		       : set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
		free(p);
		if (rc < 0)
			break;
		json_t *items = json_object_get(page, key);
		size_t got = json_array_size(items);
		rc = json_is_array(items) ? add(userdata, items, err)
		                          : set_error(err, CONOHA_ERR_PROTOCOL, "%s: no \"%s\" in the answer",
		                                      what, key);
		/* Follow pages by marker, never by the link itself: it may name
		 * a host we cannot reach (an internal address behind a proxy). */
		bool more = rc == 0 && got > 0 &&
		            (links_next_page(page, key) || got >= (size_t)page_size);
		const char *last = more ? json_string_value(json_object_get(
		                                json_array_get(items, got - 1), "id")) : NULL;
		if (more && (!last || (marker && strcmp(marker, last) == 0)))
			rc = set_error(err, CONOHA_ERR_PROTOCOL, "%s: the list repeats itself", what);
		char *next = rc == 0 && more ? strdup(last) : NULL;
		json_decref(page);
		free(marker);
		marker = next;
		if (!marker)
			break;
	}
	free(marker);
	return rc;
}

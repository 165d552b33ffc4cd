/* config.c - settings the OpenStack way: clouds.yaml + secure.yaml, OS_*
 * environment variables, command line; the higher source wins */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "internal.h"
#include "config_keys.h"

const struct config_key config_keys[KEY__COUNT] = {
	[KEY_AUTH_URL] = { "auth_url", { NULL, NULL }, false },
	[KEY_AUTH_TYPE] = { "auth_type", { NULL, NULL }, false },
	[KEY_USERNAME] = { "username", { "user_name", NULL }, false },
	[KEY_USER_ID] = { "user_id", { NULL, NULL }, false },
	[KEY_PASSWORD] = { "password", { NULL, NULL }, true },
	[KEY_USER_DOMAIN_NAME] = { "user_domain_name", { NULL, NULL }, false },
	[KEY_USER_DOMAIN_ID] = { "user_domain_id", { NULL, NULL }, false },
	[KEY_PROJECT_NAME] = { "project_name", { "tenant_name", NULL }, false },
	[KEY_PROJECT_ID] = { "project_id", { "tenant_id", NULL }, false },
	[KEY_PROJECT_DOMAIN_NAME] = { "project_domain_name", { NULL, NULL }, false },
	[KEY_PROJECT_DOMAIN_ID] = { "project_domain_id", { NULL, NULL }, false },
	[KEY_DEFAULT_DOMAIN] = { "default_domain", { NULL, NULL }, false },
	[KEY_APP_CRED_ID] = { "application_credential_id", { NULL, NULL }, false },
	[KEY_APP_CRED_NAME] = { "application_credential_name", { NULL, NULL }, false },
	[KEY_APP_CRED_SECRET] = { "application_credential_secret", { NULL, NULL }, true },
	[KEY_TOKEN] = { "token", { NULL, NULL }, true },
	[KEY_REGION_NAME] = { "region_name", { NULL, NULL }, false },
	[KEY_INTERFACE] = { "interface", { "endpoint_type", NULL }, false },
	[KEY_IDENTITY_API_VERSION] = { "identity_api_version", { NULL, NULL }, false },
	[KEY_COMPUTE_API_VERSION] = { "compute_api_version", { NULL, NULL }, false },
	[KEY_CACERT] = { "cacert", { NULL, NULL }, false },
	[KEY_INSECURE] = { "insecure", { NULL, NULL }, false },
	[KEY_COMPUTE_ENDPOINT] = { "compute_endpoint_override", { NULL, NULL }, false },
	[KEY_IMAGE_ENDPOINT] = { "image_endpoint_override", { NULL, NULL }, false },
	[KEY_VOLUME_ENDPOINT] = { "block_storage_endpoint_override",
	                          { "volume_endpoint_override", NULL }, false },
	[KEY_PROFILE] = { "profile", { NULL, NULL }, false },
	[KEY_ALLOW_HTTP] = { "allow_http", { NULL, NULL }, false },
};

/* Read before the modern names, which override them. */
const struct legacy_env_name legacy_env[4] = {
	{ "OS_TENANT_NAME", KEY_PROJECT_NAME },
	{ "OS_TENANT_ID", KEY_PROJECT_ID },
	{ "OS_ENDPOINT_TYPE", KEY_INTERFACE },
	{ "OS_VOLUME_ENDPOINT_OVERRIDE", KEY_VOLUME_ENDPOINT },
};

struct setting {
	char *value;
	enum conoha_source src;
};

struct conoha_config {
	struct setting s[KEY__COUNT];
	char *file;
	conoha_warn_fn warn;
	void *warn_data;
};

#define warnf config_warn
void config_warn(const conoha_config *cfg, const char *fmt, ...)
{
	if (!cfg->warn)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg->warn(cfg->warn_data, msg);
}

bool config_true(const conoha_config *cfg, int key)
{
	const char *v = config_value(cfg, key);
	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
	             strcasecmp(v, "yes") == 0);
}

conoha_config *conoha_config_new(void)
{
	return calloc(1, sizeof(conoha_config));
}

static void setting_clear(struct setting *s, bool secret)
{
	if (secret)
		secret_free(s->value);
	else
		free(s->value);
	s->value = NULL;
	s->src = CONOHA_SRC_UNSET;
}

void conoha_config_free(conoha_config *cfg)
{
	if (!cfg)
		return;
	for (int k = 0; k < KEY__COUNT; k++)
		setting_clear(&cfg->s[k], config_keys[k].secret);
	free(cfg->file);
	free(cfg);
}

void conoha_config_set_warn(conoha_config *cfg, conoha_warn_fn fn, void *userdata)
{
	cfg->warn = fn;
	cfg->warn_data = userdata;
}

int config_key_lookup(const char *name)
{
	for (int k = 0; k < KEY__COUNT; k++) {
		if (strcmp(name, config_keys[k].name) == 0)
			return k;
		for (size_t a = 0; a < ARRAY_SIZE(config_keys[k].aliases); a++)
			if (config_keys[k].aliases[a] &&
			    strcmp(name, config_keys[k].aliases[a]) == 0)
				return k;
	}
	return -1;
}

static int set_key(conoha_config *cfg, int k, const char *value,
                   enum conoha_source src, conoha_error *err)
{
	struct setting *s = &cfg->s[k];
	if (s->src > src)
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	setting_clear(s, config_keys[k].secret);
	s->value = copy;
	s->src = src;
	return 0;
}

int conoha_config_set(conoha_config *cfg, const char *key, const char *value,
                      enum conoha_source src, conoha_error *err)
{
	int k = config_key_lookup(key);
	if (k < 0)
		return set_error(err, CONOHA_ERR_CONFIG, "unknown setting '%s'", key);
	return set_key(cfg, k, value, src, err);
}

const char *config_value(const conoha_config *cfg, int k)
{
	const char *v = cfg->s[k].value;
	return v && *v ? v : NULL;
}

const char *conoha_config_get(const conoha_config *cfg, const char *key)
{
	if (strcmp(key, "_file") == 0)
		return cfg->file;
	int k = config_key_lookup(key);
	return k < 0 ? NULL : config_value(cfg, k);
}

enum conoha_source conoha_config_source(const conoha_config *cfg, const char *key)
{
	int k = config_key_lookup(key);
	return k < 0 ? CONOHA_SRC_UNSET : cfg->s[k].src;
}

/* ---- environment ------------------------------------------------------ */

static void env_name(const char *key, char *out, size_t size)
{
	snprintf(out, size, "OS_%s", key);
	for (char *p = out; *p; p++)
		*p = (char)toupper((unsigned char)*p);
}

int conoha_config_load_env(conoha_config *cfg, conoha_getenv_fn getenv_fn,
                           conoha_error *err)
{
	/* Legacy names first, so the modern ones override them. */
	for (size_t i = 0; i < ARRAY_SIZE(legacy_env); i++) {
		const char *v = getenv_fn(legacy_env[i].env);
		if (!v || !*v)
			continue;
		const char *value = v;
		if (legacy_env[i].key == KEY_INTERFACE)
			value = strcmp(v, "internalURL") == 0 ? "internal"
			      : strcmp(v, "adminURL") == 0    ? "admin"
			      : strcmp(v, "publicURL") == 0   ? "public" : v;
		if (set_key(cfg, legacy_env[i].key, value, CONOHA_SRC_ENV, err) < 0)
			return -1;
	}
	for (int k = 0; k < KEY__COUNT; k++) {
		char name[96];
		env_name(config_keys[k].name, name, sizeof(name));
		const char *v = getenv_fn(name);
		if (v && *v && set_key(cfg, k, v, CONOHA_SRC_ENV, err) < 0)
			return -1;
	}
	return 0;
}

/* ---- clouds.yaml ------------------------------------------------------ */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

/* "verify: false" in clouds.yaml is our "insecure: true". */
static int apply_scalar(conoha_config *cfg, const char *key, const char *value,
                        bool *has_secret, conoha_error *err)
{
	if (strcmp(key, "verify") == 0) {
		bool off = strcasecmp(value, "false") == 0 || strcasecmp(value, "no") == 0;
		return set_key(cfg, KEY_INSECURE, off ? "true" : "false", CONOHA_SRC_FILE, err);
	}
	int k = config_key_lookup(key);
	if (k < 0)
		return 0; /* clouds.yaml holds much we have no use for */
	if (config_keys[k].secret)
		*has_secret = true;
	return set_key(cfg, k, value, CONOHA_SRC_FILE, err);
}

static int apply_mapping(conoha_config *cfg, yaml_document_t *doc, yaml_node_t *map,
                         bool *has_secret, conoha_error *err)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE)
			continue;
		const char *key = (const char *)k->data.scalar.value;
		if (v->type == YAML_MAPPING_NODE && strcmp(key, "auth") == 0) {
			if (apply_mapping(cfg, doc, v, has_secret, err) < 0)
				return -1;
		} else if (v->type == YAML_SCALAR_NODE) {
			if (apply_scalar(cfg, key, (const char *)v->data.scalar.value,
			                 has_secret, err) < 0)
				return -1;
		}
	}
	return 0;
}

static int load_yaml(yaml_document_t *doc, FILE *f, const char *path, conoha_error *err)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return set_error(err, CONOHA_ERR_INTERNAL, "out of memory");
	yaml_parser_set_input_file(&parser, f);
	int ok = yaml_parser_load(&parser, doc);
	if (!ok)
		set_error(err, CONOHA_ERR_CONFIG, "%s:%zu: %s", path,
		          parser.problem_mark.line + 1,
		          parser.problem ? parser.problem : "invalid YAML");
	yaml_parser_delete(&parser);
	return ok ? 0 : -1;
}

static void warn_if_exposed(const conoha_config *cfg, int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		warnf(cfg, "'%s' holds secrets and is readable by %s; chmod 600 it", path,
		      (st.st_mode & S_IROTH) ? "others" : "its group");
}

/* Apply clouds.<cloud> from path. *found tells whether the cloud was
 * there; a missing file is not an error when optional. */
static int apply_file(conoha_config *cfg, const char *path, const char *cloud,
                      bool optional, bool *found, conoha_error *err)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		if (optional && errno == ENOENT)
			return 0;
		return set_errno_error(err, errno, "cannot open '%s'", path);
	}
	yaml_document_t doc;
	if (load_yaml(&doc, f, path, err) < 0) {
		fclose(f);
		err->kind = CONOHA_ERR_CONFIG;
		return -1;
	}
	int rc = 0;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	yaml_node_t *entry = map_get(&doc, map_get(&doc, root, "clouds"), cloud);
	if (entry && entry->type == YAML_MAPPING_NODE) {
		bool has_secret = false;
		*found = true;
		rc = apply_mapping(cfg, &doc, entry, &has_secret, err);
		if (rc == 0 && has_secret)
			warn_if_exposed(cfg, fileno(f), path);
	}
	yaml_document_delete(&doc);
	fclose(f);
	return rc;
}

static char *find_clouds_yaml(void)
{
	const char *env = getenv("OS_CLIENT_CONFIG_FILE");
	if (env && *env)
		return strdup(env);
	char *candidates[4] = { NULL };
	size_t n = 0;
	candidates[n++] = strdup("clouds.yaml");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg)
		candidates[n++] = xasprintf("%s/openstack/clouds.yaml", xdg);
	else if (home && *home)
		candidates[n++] = xasprintf("%s/.config/openstack/clouds.yaml", home);
	candidates[n++] = strdup("/etc/openstack/clouds.yaml");
	char *chosen = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!chosen && candidates[i] && access(candidates[i], F_OK) == 0)
			chosen = candidates[i];
		else
			free(candidates[i]);
	}
	return chosen;
}

/* Append the names under clouds: in path to buf (quoted, comma-separated,
 * each once) from used on; returns the new length. */
static size_t cloud_names(const char *path, char *buf, size_t size, size_t used)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return used;
	yaml_document_t doc;
	conoha_error ignored;
	if (load_yaml(&doc, f, path, &ignored) < 0) {
		fclose(f);
		return used;
	}
	yaml_node_t *clouds = map_get(&doc, yaml_document_get_root_node(&doc), "clouds");
	for (yaml_node_pair_t *p = clouds && clouds->type == YAML_MAPPING_NODE
	                           ? clouds->data.mapping.pairs.start : NULL;
	     p && p < clouds->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		if (!k || k->type != YAML_SCALAR_NODE)
			continue;
		char quoted[256];
		snprintf(quoted, sizeof(quoted), "'%s'", (const char *)k->data.scalar.value);
		if (strstr(buf, quoted))
			continue;
		int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", quoted);
		if (n > 0 && (size_t)n < size - used)
			used += (size_t)n;
		else
			buf[used] = '\0';
	}
	yaml_document_delete(&doc);
	fclose(f);
	return used;
}

static char *secure_yaml_beside(const char *clouds)
{
	const char *slash = strrchr(clouds, '/');
	if (!slash)
		return strdup("secure.yaml");
	return xasprintf("%.*s/secure.yaml", (int)(slash - clouds), clouds);
}

int conoha_config_load_clouds(conoha_config *cfg, const char *cloud,
                              const char *path, conoha_error *err)
{
	if (!cloud)
		return 0;
	char *file = path ? strdup(path) : find_clouds_yaml();
	if (!file)
		return set_error(err, CONOHA_ERR_CONFIG,
		                 "cloud '%s' requested but no clouds.yaml found "
		                 "(looked in OS_CLIENT_CONFIG_FILE, ./clouds.yaml, "
		                 "~/.config/openstack/, /etc/openstack/)", cloud);
	bool found = false;
	char *secure = secure_yaml_beside(file);
	int rc = apply_file(cfg, file, cloud, false, &found, err);
	if (rc == 0 && secure)
		rc = apply_file(cfg, secure, cloud, true, &found, err);
	if (rc == 0 && !found) {
		char names[512] = "";
		size_t used = cloud_names(file, names, sizeof(names), 0);
		if (secure)
			cloud_names(secure, names, sizeof(names), used);
		bool both = secure && access(secure, F_OK) == 0;
		rc = set_error(err, CONOHA_ERR_CONFIG, "cloud '%s' not found; the clouds there "
		               "are: %s (read '%s'%s%s%s); choose one with --os-cloud or OS_CLOUD",
		               cloud, *names ? names : "none", file, both ? " and '" : "",
		               both ? secure : "", both ? "'" : "");
	}
	free(secure);
	free(cfg->file);
	cfg->file = file;
	return rc;
}

/* ---- is it enough? ---------------------------------------------------- */

enum auth_method config_auth_method(const conoha_config *cfg)
{
	const char *type = config_value(cfg, KEY_AUTH_TYPE);
	if (type && strstr(type, "applicationcredential"))
		return AUTH_APP_CREDENTIAL;
	if (type && strstr(type, "token"))
		return AUTH_TOKEN;
	if (type && strstr(type, "password"))
		return AUTH_PASSWORD;
	if (config_value(cfg, KEY_APP_CRED_SECRET) || config_value(cfg, KEY_APP_CRED_ID))
		return AUTH_APP_CREDENTIAL;
	if (config_value(cfg, KEY_TOKEN) && !config_value(cfg, KEY_PASSWORD))
		return AUTH_TOKEN;
	return AUTH_PASSWORD;
}

int config_identity_version(const conoha_config *cfg)
{
	const char *v = config_value(cfg, KEY_IDENTITY_API_VERSION);
	if (v)
		return v[0] == '2' ? 2 : 3;
	const char *url = config_value(cfg, KEY_AUTH_URL);
	if (url && strstr(url, "/v2.0"))
		return 2;
	return 3;
}

static int validate_password(const conoha_config *cfg, int version, int *needs_password,
                             conoha_error *err)
{
	if (!config_value(cfg, KEY_USERNAME) && !config_value(cfg, KEY_USER_ID))
		return set_error(err, CONOHA_ERR_CONFIG,
		                 "no user given: set OS_USERNAME or OS_USER_ID, "
		                 "or username in clouds.yaml");
	if (!config_value(cfg, KEY_PROJECT_ID) && !config_value(cfg, KEY_PROJECT_NAME))
		return set_error(err, CONOHA_ERR_CONFIG,
		                 version == 2 ? "no tenant given: set OS_TENANT_ID or "
		                                "OS_TENANT_NAME"
		                              : "no project given: set OS_PROJECT_ID or "
		                                "OS_PROJECT_NAME, or project_id in clouds.yaml");
	if (!config_value(cfg, KEY_PASSWORD)) {
		if (needs_password)
			*needs_password = 1;
		return set_error(err, CONOHA_ERR_CONFIG,
		                 "no password given: set OS_PASSWORD, or password in "
		                 "secure.yaml or clouds.yaml (never on the command line)");
	}
	return 0;
}

int conoha_config_validate(const conoha_config *cfg, int *needs_password,
                           conoha_error *err)
{
	if (needs_password)
		*needs_password = 0;
	if (!config_value(cfg, KEY_AUTH_URL))
		return set_error(err, CONOHA_ERR_CONFIG,
		                 "no identity endpoint: set OS_AUTH_URL, choose a cloud "
		                 "with --os-cloud or OS_CLOUD, or pass --os-auth-url");
	int version = config_identity_version(cfg);
	switch (config_auth_method(cfg)) {
	case AUTH_APP_CREDENTIAL:
		if (version == 2)
			return set_error(err, CONOHA_ERR_CONFIG,
			                 "application credentials need identity v3");
		if (!config_value(cfg, KEY_APP_CRED_SECRET))
			return set_error(err, CONOHA_ERR_CONFIG,
			                 "no application credential secret: set "
			                 "OS_APPLICATION_CREDENTIAL_SECRET");
		if (!config_value(cfg, KEY_APP_CRED_ID) &&
		    !(config_value(cfg, KEY_APP_CRED_NAME) &&
		      (config_value(cfg, KEY_USER_ID) || config_value(cfg, KEY_USERNAME))))
			return set_error(err, CONOHA_ERR_CONFIG,
			                 "no application credential: set "
			                 "OS_APPLICATION_CREDENTIAL_ID, or its name and the user");
		return 0;
	case AUTH_TOKEN:
		if (!config_value(cfg, KEY_TOKEN))
			return set_error(err, CONOHA_ERR_CONFIG, "no token given: set OS_TOKEN");
		return 0;
	case AUTH_PASSWORD:
		return validate_password(cfg, version, needs_password, err);
	}
	return 0;
}

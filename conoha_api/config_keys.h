/* config_keys.h - the settings lifeboat understands; internal */
#ifndef CONOHA_CONFIG_KEYS_H
#define CONOHA_CONFIG_KEYS_H

#include <stdbool.h>
#include "conoha.h"

enum config_key_id {
	KEY_AUTH_URL,
	KEY_AUTH_TYPE,
	KEY_USERNAME,
	KEY_USER_ID,
	KEY_PASSWORD,
	KEY_USER_DOMAIN_NAME,
	KEY_USER_DOMAIN_ID,
	KEY_PROJECT_NAME,
	KEY_PROJECT_ID,
	KEY_PROJECT_DOMAIN_NAME,
	KEY_PROJECT_DOMAIN_ID,
	KEY_DEFAULT_DOMAIN,
	KEY_APP_CRED_ID,
	KEY_APP_CRED_NAME,
	KEY_APP_CRED_SECRET,
	KEY_TOKEN,
	KEY_REGION_NAME,
	KEY_INTERFACE,
	KEY_IDENTITY_API_VERSION,
	KEY_COMPUTE_API_VERSION,
	KEY_CACERT,
	KEY_INSECURE,
	KEY_COMPUTE_ENDPOINT,
	KEY_IMAGE_ENDPOINT,
	KEY_VOLUME_ENDPOINT,
	KEY_PROFILE,
	KEY_ALLOW_HTTP,
	KEY__COUNT
};

struct config_key {
	const char *name;        /* clouds.yaml spelling; OS_<NAME> in the environment */
	const char *aliases[2];
	bool secret;
};

struct legacy_env_name {
	const char *env;
	enum config_key_id key;
};

extern const struct config_key config_keys[KEY__COUNT];
extern const struct legacy_env_name legacy_env[4];

enum auth_method { AUTH_PASSWORD, AUTH_APP_CREDENTIAL, AUTH_TOKEN };

/* Index of a setting by name or alias, -1 when unknown. */
int config_key_lookup(const char *name);
/* A setting's value, NULL when unset or empty. Borrowed from cfg. */
const char *config_value(const conoha_config *cfg, int key);
enum auth_method config_auth_method(const conoha_config *cfg);
/* Pass a warning to the program's warning function, if it set one. */
void config_warn(const conoha_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Is a boolean setting on ("true", "1", "yes")? */
bool config_true(const conoha_config *cfg, int key);
/* 2 or 3. */
int config_identity_version(const conoha_config *cfg);

#endif

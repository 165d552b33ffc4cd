/* conoha.h - OpenStack client library for ConoHa and stock OpenStack
 *
 * Keystone identity (v3 and v2.0), the service catalog, and the compute,
 * image and block-storage calls lifeboat needs.
 *
 * Conventions:
 * - Functions return 0 (or a pointer) on success and -1 (or NULL) on
 *   failure, filling the caller's conoha_error.
 * - Every heap pointer returned says who frees it and with what.
 * - A borrowed "const char *" lives until the next call on the same handle.
 * - Free functions accept NULL.
 * - The library never prints, never exits and never reads argv.
 */
#ifndef CONOHA_H
#define CONOHA_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ---------------------------------------------------------- */

enum conoha_errkind {
	CONOHA_OK = 0,
	CONOHA_ERR_INTERNAL,    /* a bug or an allocation failure */
	CONOHA_ERR_CONFIG,      /* settings missing, invalid or unreadable */
	CONOHA_ERR_AUTH,        /* the identity service rejected the credentials */
	CONOHA_ERR_CONNECT,     /* endpoint unreachable: DNS, refused, timed out */
	CONOHA_ERR_TLS,         /* TLS handshake or certificate verification failed */
	CONOHA_ERR_HTTP,        /* the cloud refused the request (4xx/5xx) */
	CONOHA_ERR_NOT_FOUND,   /* 404, or no such server/image/endpoint */
	CONOHA_ERR_AMBIGUOUS,   /* a name matched more than one thing */
	CONOHA_ERR_PROTOCOL,    /* the cloud answered something unparseable */
	CONOHA_ERR_SYSTEM,      /* a local system call failed; see sys_errno */
	CONOHA_ERR_TIMEOUT,     /* a bounded wait ran out */
	CONOHA_ERR_INTERRUPTED, /* stopped by a signal */
};

typedef struct conoha_error {
	enum conoha_errkind kind;
	long http_status;       /* 0 when no HTTP status applies */
	int sys_errno;          /* 0 when no errno applies */
	char message[512];      /* git style: lower case, no full stop */
	char request_id[128];   /* x-openstack-request-id, "" when none */
} conoha_error;

/* Reset err to "no error". */
void conoha_error_clear(conoha_error *err);

/* A short name for kind, e.g. "auth", for logs and JSON. Static string. */
const char *conoha_errkind_name(enum conoha_errkind kind);

/* ---- process-wide set-up -------------------------------------------- */

/* Call once from main before any other function: initialises libcurl and
 * makes jansson wipe every buffer it frees, so that passwords and tokens
 * that pass through JSON do not linger in freed memory. */
int conoha_global_init(conoha_error *err);
void conoha_global_cleanup(void);

/* ---- configuration --------------------------------------------------- */

/* Where a setting came from; a higher layer overrides a lower one. */
enum conoha_source {
	CONOHA_SRC_UNSET = 0,
	CONOHA_SRC_FILE,        /* clouds.yaml / secure.yaml */
	CONOHA_SRC_ENV,         /* OS_* environment variables */
	CONOHA_SRC_CLI,         /* command-line options */
	CONOHA_SRC_PROMPT,      /* typed at a prompt */
};

typedef struct conoha_config conoha_config;

/* Called with warnings worth showing a user (a secrets file readable by
 * others, a legacy variable in use). msg is only valid during the call. */
typedef void (*conoha_warn_fn)(void *userdata, const char *msg);

/* Caller frees with conoha_config_free(). NULL only on allocation failure. */
conoha_config *conoha_config_new(void);
/* Wipes every secret before freeing. */
void conoha_config_free(conoha_config *cfg);
void conoha_config_set_warn(conoha_config *cfg, conoha_warn_fn fn, void *userdata);

/* Set one setting by its clouds.yaml name ("auth_url", "username",
 * "password", "region_name", "compute_endpoint_override", ...). Aliases
 * such as "tenant_name" are accepted. A setting already set from a higher
 * source is left alone. value is copied. Unknown keys fail. */
int conoha_config_set(conoha_config *cfg, const char *key, const char *value,
                      enum conoha_source src, conoha_error *err);

/* The value of a setting, or NULL when unset. Borrowed from cfg. */
const char *conoha_config_get(const conoha_config *cfg, const char *key);
enum conoha_source conoha_config_source(const conoha_config *cfg, const char *key);

/* Fill cfg from OS_* variables read through getenv_fn (getenv in programs;
 * a table in tests). Legacy OS_TENANT_* are honoured below OS_PROJECT_*. */
typedef const char *(*conoha_getenv_fn)(const char *name);
int conoha_config_load_env(conoha_config *cfg, conoha_getenv_fn getenv_fn,
                           conoha_error *err);

/* Fill cfg from the cloud named cloud in clouds.yaml and secure.yaml. When
 * path is NULL the standard search order applies: $OS_CLIENT_CONFIG_FILE,
 * ./clouds.yaml, $XDG_CONFIG_HOME or ~/.config/openstack/clouds.yaml,
 * /etc/openstack/clouds.yaml; secure.yaml beside it. A named cloud that is
 * not found is an error; cloud NULL loads nothing and succeeds.
 * The file used is remembered (conoha_config_get(cfg, "_file")). */
int conoha_config_load_clouds(conoha_config *cfg, const char *cloud,
                              const char *path, conoha_error *err);

/* Check that the settings suffice to authenticate; the message names the
 * variables or options to set. Missing password is reported as kind
 * CONOHA_ERR_CONFIG with *needs_password set, so a program can prompt. */
int conoha_config_validate(const conoha_config *cfg, int *needs_password,
                           conoha_error *err);

/* ---- client ---------------------------------------------------------- */

typedef struct conoha_client conoha_client;

/* Debug log sink: one line, secrets already redacted. */
typedef void (*conoha_log_fn)(void *userdata, const char *line);

/* Caller frees with conoha_client_free(). cfg must outlive the client. */
conoha_client *conoha_client_new(const conoha_config *cfg, conoha_error *err);
void conoha_client_free(conoha_client *c);
void conoha_client_set_log(conoha_client *c, conoha_log_fn fn, void *userdata);

/* Abort transfers (CONOHA_ERR_INTERRUPTED) once *flag is non-zero: set it
 * from a SIGINT handler. */
void conoha_client_set_cancel(conoha_client *c, volatile sig_atomic_t *flag);

/* A transfer that moves no byte for this long fails (60 s by default). */
void conoha_client_set_stall_timeout(conoha_client *c, long seconds);

/* Authenticate now (otherwise the first request does). */
int conoha_authenticate(conoha_client *c, conoha_error *err);

struct conoha_identity {
	const char *user_id, *user_name;
	const char *project_id, *project_name;
	const char *region;             /* region chosen, "" when any */
	const char *identity_version;   /* "3" or "2.0" */
	time_t expires_at;              /* 0 when the token carries none */
};

/* After authentication: who we are. Strings borrowed from c. */
int conoha_identity(conoha_client *c, struct conoha_identity *out, conoha_error *err);

/* The current token, borrowed; NULL before authentication. For
 * --show-token only; never log it. */
const char *conoha_token(conoha_client *c);

/* The endpoint URL for a service type ("compute", "image",
 * "block-storage", "identity"), from an override or the catalog, without a
 * trailing slash. Borrowed from c. */
const char *conoha_endpoint(conoha_client *c, const char *service_type,
                            conoha_error *err);

/* The project id of the token (after authentication), or NULL. Borrowed. */
const char *conoha_project_id(const conoha_client *c);

/* Does the cloud behave as ConoHa (profile "conoha" in clouds.yaml or
 * OS_PROFILE, or an identity endpoint under conoha.io)? ConoHa requires a
 * stopped server to save an image and has an image quota. */
int conoha_is_conoha(const conoha_client *c);

/* x-openstack-request-id of the last answer, "" when none. Borrowed. */
const char *conoha_last_request_id(const conoha_client *c);


/* ---- compute --------------------------------------------------------- */

struct conoha_server {
	char *id;
	char *name;          /* metadata.instance_name_tag when set, else name */
	char *raw_name;      /* the server's name field */
	char *status;        /* ACTIVE, SHUTOFF, ERROR, ... */
	char *task_state;    /* OS-EXT-STS:task_state, NULL when none */
	char *flavor;        /* flavor original_name or id */
	char *flavor_id;     /* NULL from microversion 2.47 on */
	long long disk_gb;   /* the flavor's root disk, -1 when not embedded */
	char *image_id;      /* NULL for a volume-backed server */
};

struct conoha_server_list {
	struct conoha_server *items;
	size_t count;
};

/* List every server, following pagination (limit + marker). Caller frees
 * out with conoha_server_list_free(). */
int conoha_servers_list(conoha_client *c, struct conoha_server_list *out,
                        conoha_error *err);
void conoha_server_list_free(struct conoha_server_list *list);

/* The root disk size of a flavor, in GB. */
int conoha_flavor_disk_gb(conoha_client *c, const char *flavor_id, long long *gb,
                          conoha_error *err);

/* Free the strings of one server (not the struct itself). */
void conoha_server_clear(struct conoha_server *s);

/* One server by id. Caller frees out with conoha_server_clear(). */
int conoha_server_get(conoha_client *c, const char *id, struct conoha_server *out,
                      conoha_error *err);

/* A server by id, name or ConoHa display name (instance_name_tag). A
 * name that matches several servers is CONOHA_ERR_AMBIGUOUS, the message
 * listing their ids. Caller frees out with conoha_server_clear(). */
int conoha_server_find(conoha_client *c, const char *id_or_name,
                       struct conoha_server *out, conoha_error *err);

/* os-stop (force_shutdown when force), os-start, and delete: requests
 * only; they do not wait. */
int conoha_server_stop(conoha_client *c, const char *id, int force, conoha_error *err);
int conoha_server_start(conoha_client *c, const char *id, conoha_error *err);

/* A key/value pair of image metadata. */
struct conoha_kv {
	const char *key;
	const char *value;
};

/* Nova createImage with metadata. The image id is read from the body
 * (microversion >= 2.45) or else from the Location header's last path
 * segment. Caller frees *image_id with free(). */
int conoha_server_create_image(conoha_client *c, const char *server_id,
                               const char *name, const struct conoha_kv *meta,
                               size_t n_meta, char **image_id, conoha_error *err);

/* The boot volume of a volume-backed server: among its attachments, the
 * volume Cinder marks bootable (the first device when several are).
 * Caller frees *volume_id and *status with free(); size_gb may be NULL. */
int conoha_server_boot_volume(conoha_client *c, const char *server_id,
                              char **volume_id, long long *size_gb,
                              conoha_error *err);

struct conoha_volume {
	char *id;
	char *status;        /* available, in-use, detaching, ... */
	char *device;        /* as attached to the server, NULL when not */
	long long size_gb;
	int bootable;
};

struct conoha_volume_list {
	struct conoha_volume *items;
	size_t count;
};

/* The volumes attached to a server, with their size and bootable flag.
 * Caller frees out with conoha_volume_list_free(). */
int conoha_server_volumes(conoha_client *c, const char *server_id,
                          struct conoha_volume_list *out, conoha_error *err);
void conoha_volume_list_free(struct conoha_volume_list *list);

/* One volume; 404 is CONOHA_ERR_NOT_FOUND. Caller frees out's strings
 * with conoha_volume_clear(). */
int conoha_volume_get(conoha_client *c, const char *id, struct conoha_volume *out,
                      conoha_error *err);
void conoha_volume_clear(struct conoha_volume *v);
int conoha_volume_delete(conoha_client *c, const char *id, conoha_error *err);

/* 1 when s is shaped as Nova's and Glance's ids are (8-4-4-4-12 hex digits), else 0 */
int conoha_looks_like_uuid(const char *s);

/* Has the server been started (or rebooted, resumed, unshelved, rebuilt:
 * anything that runs its guest) after since, by Nova's instance actions?
 * *started is 1 or 0; 2 when the latest such action shares since's
 * second (whole seconds cannot order them); -1 when the cloud does not
 * show its actions. */
int conoha_server_started_since(conoha_client *c, const char *id, time_t since,
                                int *started, conoha_error *err);

/* A mark of the server's history of the actions that run its guest (as
 * conoha_server_started_since counts them): two equal marks, taken at two
 * moments, mean none was begun in between; no clock is compared. Caller
 * frees *mark; *mark is NULL (and 0 returned) when the cloud does not show
 * the server's actions. */
int conoha_server_run_mark(conoha_client *c, const char *id, char **mark, conoha_error *err);

/* The server's whole record as the cloud gives it. Caller frees with
 * json_decref(). */
int conoha_server_record(conoha_client *c, const char *id, json_t **out,
                         conoha_error *err);

/* Delete a server (the request only; it does not wait). */
int conoha_server_delete(conoha_client *c, const char *id, conoha_error *err);

/* Cinder os-volume_upload_image (qcow2). Caller frees *image_id. */
int conoha_volume_upload_image(conoha_client *c, const char *volume_id,
                               const char *name, char **image_id, conoha_error *err);

/* ---- images ----------------------------------------------------------- */

struct conoha_image {
	char *id;
	char *name;
	char *status;          /* queued, saving, active, killed, ... */
	long long size;        /* bytes; -1 while unknown */
	char *checksum;        /* md5 hex, NULL when none */
	char *hash_algo;       /* os_hash_algo, NULL when none */
	char *hash_value;      /* os_hash_value, NULL when none */
	char *created_at;
	char *server_id;       /* lifeboat.server_id, NULL when not ours */
	char *server_name;     /* lifeboat.server_name */
	char *lb_created_at;   /* lifeboat.created_at */
	char *reason;          /* lifeboat.reason */
	char *consistency;     /* lifeboat.consistency: "stopped", "crash-consistent" */
	char *disk_format;     /* qcow2, raw, ...; NULL when not given */
	char *owner;           /* the owning project's id, NULL when not given */
	json_t *raw;           /* the whole record; freed with the image */
};

struct conoha_image_list {
	struct conoha_image *items;
	size_t count;
};

/* Free the members of one image (not the struct itself). */
void conoha_image_clear(struct conoha_image *img);
void conoha_image_list_free(struct conoha_image_list *list);

/* One image by id; 404 is CONOHA_ERR_NOT_FOUND. Caller frees out with
 * conoha_image_clear(). */
int conoha_image_get(conoha_client *c, const char *id, struct conoha_image *out,
                     conoha_error *err);

/* Every image the project can see, following Glance's "next" links.
 * Caller frees out with conoha_image_list_free(). */
int conoha_image_list(conoha_client *c, struct conoha_image_list *out,
                      conoha_error *err);

/* Add or replace image properties (Glance v2 JSON patch). */
int conoha_image_set_properties(conoha_client *c, const char *id,
                                const struct conoha_kv *props, size_t n,
                                conoha_error *err);

int conoha_image_delete(conoha_client *c, const char *id, conoha_error *err);

/* What a save of SRV counts against ConoHa's image quota, in GB, as
 * ConoHa counts it: the boot volume's size for a volume-backed server,
 * else its flavor's root disk; -1 when neither is known. boot_volume (may
 * be NULL) gets the boot volume's id, or NULL for an image-backed server;
 * caller frees it with free(). */
int conoha_save_size_gb(conoha_client *c, const struct conoha_server *srv, char **boot_volume,
                        long long *gb, conoha_error *err);

/* gb decimal gigabytes in bytes, as ConoHa's quota counts them: a cloud's
 * size saturates at LLONG_MAX, never wraps. */
long long conoha_gb_bytes(long long gb);

/* 1 when need bytes more than used go over quota (as conoha_image_quota
 * gives them), else 0; never wraps. */
int conoha_quota_exceeded(long long quota, long long used, long long need);

/* ConoHa's image quota and usage, in bytes. CONOHA_ERR_NOT_FOUND on a
 * cloud without the quota API. */
int conoha_image_quota(conoha_client *c, long long *quota, long long *used,
                       conoha_error *err);

struct conoha_download_sink {
	/* Before the first byte: status 200 means the data starts at byte 0
	 * (a Range was ignored), 206 that it starts at the offset asked
	 * for. Return 0, or -1 to abort. */
	int (*begin)(void *userdata, long status, long long start);
	/* The bytes, in order. Return 0, or -1 to abort. */
	int (*data)(void *userdata, const void *buf, size_t len);
	void *userdata;
};

/* Stream an image's data from offset (a Range request when > 0). An image
 * without data (204) is CONOHA_ERR_NOT_FOUND; 416 is CONOHA_ERR_HTTP with
 * http_status 416; an aborted sink is CONOHA_ERR_SYSTEM; a broken
 * connection CONOHA_ERR_CONNECT: the caller resumes from what it has. */
int conoha_image_download(conoha_client *c, const char *id, long long offset,
                          const struct conoha_download_sink *sink, conoha_error *err);

/* Is this status one an image never leaves (killed, deleted,
 * pending_delete, deactivated)? */
int conoha_image_status_is_terminal(const char *status);

/* ---- small parsers, exposed for the programs and tests ---------------- */

/* "90s", "15m", "2h", "1d", or units combined largest first: "1h30m",
 * "1d12h". A bare number has no unit and is refused, as is an overflow.
 * Returns 0, or -1 on anything else. */
int conoha_parse_duration(const char *s, long long *seconds);

/* Retry-After: delta-seconds or an HTTP date, relative to now. Returns the
 * number of seconds to wait (>= 0), or -1 when unparseable. */
long conoha_parse_retry_after(const char *value, time_t now);

/* ISO 8601 as Keystone writes it ("2026-11-29T12:00:00.000000Z",
 * "+09:00", "+0900" and "+09" offsets too). Returns -1 on garbage. */
int conoha_parse_iso8601(const char *s, time_t *out);

#ifdef __cplusplus
}
#endif
#endif /* CONOHA_H */

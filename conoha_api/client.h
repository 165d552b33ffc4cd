/* client.h - what the API files share about the client; internal */
#ifndef CONOHA_CLIENT_H
#define CONOHA_CLIENT_H

#include "internal.h"

/* Send an authenticated request to service (a catalog type) at path
 * (relative to the endpoint, or an absolute URL). body may be NULL. The
 * token is renewed first when close to expiry, and a 401 re-authenticates
 * once and retries once. Any HTTP status is success here; caller frees
 * resp with http_response_free(). */
int api_request(conoha_client *c, const char *service, const char *method,
                const char *path, const json_t *body,
                const struct http_header *headers, size_t n_headers,
                struct http_response *resp, conoha_error *err);

struct api_sink {
	http_sink_fn data;
	http_begin_fn begin;
	void *userdata;
};

/* api_request that streams a 2xx body into sink instead of memory. */
int api_stream(conoha_client *c, const char *service, const char *method,
               const char *path, const json_t *body,
               const struct http_header *headers, size_t n_headers,
               const struct api_sink *sink, struct http_response *resp,
               conoha_error *err);

/* api_request, then: a 2xx is parsed as JSON into *out (NULL for an empty
 * body; caller frees with json_decref), anything else becomes the error,
 * its message prefixed with what. */
int api_json(conoha_client *c, const char *service, const char *method,
             const char *path, const json_t *body,
             const struct http_header *headers, size_t n_headers,
             json_t **out, const char *what, conoha_error *err);

/* api_json on the path prefix + id (percent-encoded) + suffix, as in
 * ("servers/", id, "/action"). */
int api_json_at(conoha_client *c, const char *service, const char *method,
                const char *prefix, const char *id, const char *suffix,
                const json_t *body, json_t **out, const char *what, conoha_error *err);

/* Every item of a paginated listing: GET path?limit=page_size, then
 * &marker=<last item's id> while the answer links a next page or comes
 * back full. add() receives each page's array under key. */
typedef int (*api_page_fn)(void *userdata, json_t *items, conoha_error *err);
int api_list_all(conoha_client *c, const char *service, const char *path,
                 const char *key, int page_size, api_page_fn add, void *userdata,
                 const char *what, conoha_error *err);

/* The client's project id (after authentication), or NULL. Borrowed. */
const char *client_project_id(const conoha_client *c);

/* The parsers of what the cloud answers, each file's own; not static so
 * that tests/fuzz can feed them arbitrary documents. */
int parse_v3_token(conoha_client *c, const json_t *root, struct http_response *resp,
                   conoha_error *err);
int parse_v2_token(conoha_client *c, const json_t *root, conoha_error *err);
int server_from_json(const json_t *j, struct conoha_server *s, conoha_error *err);
void image_from_json(json_t *j, struct conoha_image *img);
int quota_from_json(const json_t *doc, long long *quota);
void volume_from_json(const json_t *v, const char *device, struct conoha_volume *out);

#endif

/* json_out.h - the documents --json prints and the files lifeboat writes
 * for scripts (man/lifeboat-json.7, tests/json/schema.json): one schema,
 * one shape per object, one document per run */
#ifndef SNAP_JSON_OUT_H
#define SNAP_JSON_OUT_H

#include <stdio.h>
#include <jansson.h>
#include "conoha.h"

#define LIFEBOAT_JSON_SCHEMA 1

/* What stdout carries: text (--format table, the default), the document
 * (--json, -f json) or its rows' values (-f value with -c COLUMN). */
enum out_format { FORMAT_TEXT = 0, FORMAT_JSON, FORMAT_VALUE };
#define MAX_COLUMNS 16

struct cli;

/* A new document: {"schema": 1, "command": command}. Caller owns it. */
json_t *json_doc(const char *command);

/* The command's document, printed once by json_finish(); steals doc and
 * replaces one given before. NULL is ignored. */
void json_put(json_t *doc);

/* Remember a message the program wrote to stderr, for an error document. */
void json_note(const char *message);

/* At the end of a run with --json: print the document given with
 * json_put() (or a bare one), with "error" when rc is not 0. Exit status
 * 2 (usage) prints nothing. With cli->format FORMAT_VALUE (cli->json set
 * too), print json_print_value()'s rows instead, and nothing on failure. Returns rc, or EXIT_FAIL when rc was 0 and
 * stdout failed. */
int json_finish(const struct cli *cli, int rc);

/* A string, or JSON null for NULL. */
json_t *json_str_or_null(const char *s);

/* The shared objects. Each returns a new reference (NULL without memory). */
/* {algorithm: hex} of what Glance recorded: os_hash_algo's value, md5. */
json_t *json_image_hashes(const struct conoha_image *img);
/* The image object: id, name, status, size, disk_format, created_at,
 * hashes, lifeboat, server_id, server_display_name, saved_at,
 * consistency, reason (null where unknown). */
json_t *json_image(const struct conoha_image *img);
/* The server object: id, name (Nova's), display_name, status, task_state,
 * flavor, boot_source, image_id. */
json_t *json_server(const struct conoha_server *srv);

/* Readers of files written by this version and the one before it (whose
 * FILE.json was flat: image_id, algorithm/hash, disk_format). Borrowed
 * strings, NULL when absent. */
const char *sidecar_image_id(const json_t *sidecar);
const char *sidecar_sha512(const json_t *sidecar);

/* -f value (as the openstack client's): the document's rows, one line
 * each, the columns given (every scalar field without any) separated by
 * one space; null prints as nothing. The rows are the document's list
 * (servers, images; prune's deleted or would_delete), else its image,
 * else the document itself. A column is a field name, a dotted path for
 * a nested one (hashes.sha512). Returns 0, or -1 with why set when a
 * column names no field of the rows. */
int json_print_value(FILE *out, const json_t *doc, const char *const *columns, size_t n,
                     char *why, size_t why_size);

/* Bring a FILE.retire.json of the version before to schema 1 in place;
 * one of schema 1 is left alone. */
void receipt_upgrade(json_t *receipt);

#endif

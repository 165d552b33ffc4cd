/* inv_rules.h - the inventory's knowledge of a Linux tree, as tables:
 * what is noise, where data roots split, what kind a root is, and what a
 * systemd unit does. Internal to the inventory. */
#ifndef EXTRACT_INV_RULES_H
#define EXTRACT_INV_RULES_H

#include <stdbool.h>
#include <stddef.h>

/* PATH equals DIR or lies below it. */
bool inv_under(const char *path, const char *dir);
/* Generated or reinstalled state nobody needs to rescue: /var/lib/dpkg,
 * /etc/machine-id, ssh host keys, *.pyc, ... (an OS's non-directory PATH
 * that no package owns) */
bool inv_noise(const char *path);
/* A directory whose children are separate roots (/, /var/lib, /home,
 * /var/lib/docker/volumes, ...), before package ownership is asked. */
bool inv_fixed_container(const char *dir);
/* A container whose children are whole roots, never narrowed to a
 * subdirectory: a container volume is one root, not its _data (DIR's
 * first N bytes). */
bool inv_whole_children(const char *dir, size_t n);
/* A tree whose directories never split it, owned or not: /var/log,
 * /root, each /home/USER: one root each. */
bool inv_one_root(const char *dir);
/* The kind of a root at PATH in an OS, given whether it holds databases. */
const char *inv_root_kind(const char *path, bool has_db);
/* The kind of a drifted configuration file. */
const char *inv_drift_kind(const char *path);
/* A file that may be a database by its name; its header decides. */
bool inv_db_candidate(const char *path);
/* A database engine recognised by PATH's name alone, with the directory
 * it keeps its data in (the first DIRLEN bytes of PATH); NULL if none. */
const char *inv_db_by_name(const char *path, size_t *dirlen);
/* A database engine from the first bytes of a file, or NULL. */
const char *inv_db_by_header(const char *buf, size_t len);

/* Calls FN with each value of KEY in [SECTION] of a systemd unit's text
 * (bounded by LEN). Returns how many were found. */
size_t inv_unit_values(const char *buf, size_t len, const char *section, const char *key,
                       void (*fn)(void *ud, const char *value), void *ud);
/* A systemd boolean that is true: 1, yes, true, on. */
bool inv_unit_true(const char *value);
/* A command line (or a script's text) that reboots or kexecs the machine. */
bool inv_reboots(const char *text, size_t len);

#endif

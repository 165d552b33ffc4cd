/* inspect.c - "filesystems", "ls" and "cat": looking without copying */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include "exit.h"
#include "walk.h"
#include "writer.h"

static void free_strings(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

int open_and_mount(struct xcli *cli, struct guest *gu)
{
	int rc = guest_open(gu, cli->args[0], &cli->guest);
	if (rc == XT_OK)
		rc = guest_mount(gu, &cli->guest);
	return rc;
}

static int print_doc(json_t *doc)
{
	int rc = json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	fputc('\n', stdout);
	return rc == 0 && fflush(stdout) == 0 ? XT_OK : XT_FAIL;
}

/* ---- filesystems ----------------------------------------------------------- */

static json_t *os_json(guestfs_h *g, const char *root)
{
	char *distro = guestfs_inspect_get_distro(g, root);
	char *product = guestfs_inspect_get_product_name(g, root);
	char *hostname = guestfs_inspect_get_hostname(g, root);
	int major = guestfs_inspect_get_major_version(g, root);
	int minor = guestfs_inspect_get_minor_version(g, root);
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:i, s:i}", "root", root, "distro", distro,
	                      "product", product, "hostname", hostname, "major", major,
	                      "minor", minor);
	free(distro), free(product), free(hostname);
	return o;
}

/* Used space needs a mount: a quick read-only one at /, then undone. */
static long long used_bytes(guestfs_h *g, const char *dev)
{
	if (guestfs_mount_options(g, "ro,norecovery", dev, "/") == -1 &&
	    guestfs_mount_ro(g, dev, "/") == -1)
		return -1;
	struct guestfs_statvfs *st = guestfs_statvfs(g, "/");
	long long used = st ? (long long)(st->blocks - st->bfree) * st->bsize : -1;
	guestfs_free_statvfs(st);
	guestfs_umount(g, "/");
	return used;
}

static json_t *filesystems_json(guestfs_h *g)
{
	char **fs = guestfs_list_filesystems(g);
	json_t *arr = json_array();
	for (size_t i = 0; fs && fs[i] && fs[i + 1]; i += 2) {
		guestfs_push_error_handler(g, NULL, NULL);
		char *label = guestfs_vfs_label(g, fs[i]);
		int64_t size = guestfs_blockdev_getsize64(g, fs[i]);
		long long used = strcmp(fs[i + 1], "swap") ? used_bytes(g, fs[i]) : -1;
		guestfs_pop_error_handler(g);
		json_t *o = json_pack("{s:s, s:s, s:s?, s:I}", "device", fs[i], "type", fs[i + 1],
		                      "label", label && *label ? label : NULL, "size",
		                      (json_int_t)size);
		json_object_set_new(o, "used", used >= 0 ? json_integer(used) : json_null());
		json_array_append_new(arr, o);
		free(label);
	}
	free_strings(fs);
	return arr;
}

static const char *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? v : dflt;
}

static void filesystems_text(json_t *doc)
{
	size_t i;
	json_t *f;
	printf("%-24s %-8s %-16s %12s %12s\n", "DEVICE", "TYPE", "LABEL", "SIZE", "USED");
	json_array_foreach(json_object_get(doc, "filesystems"), i, f) {
		json_t *used = json_object_get(f, "used");
		char u[32] = "-";
		if (json_is_integer(used))
			snprintf(u, sizeof(u), "%lld", (long long)json_integer_value(used));
		printf("%-24s %-8s %-16s %12lld %12s\n",
		       json_string_value(json_object_get(f, "device")),
		       json_string_value(json_object_get(f, "type")),
		       str_or(f, "label", "-"),
		       (long long)json_integer_value(json_object_get(f, "size")), u);
	}
	json_t *os;
	json_array_foreach(json_object_get(doc, "os"), i, os)
		printf("os: %s %s %lld.%lld, hostname %s (root %s)\n",
		       str_or(os, "distro", "?"),
		       str_or(os, "product", ""),
		       (long long)json_integer_value(json_object_get(os, "major")),
		       (long long)json_integer_value(json_object_get(os, "minor")),
		       str_or(os, "hostname", "?"),
		       json_string_value(json_object_get(os, "root")));
	if (json_array_size(json_object_get(doc, "os")) == 0)
		printf("os: none found (a data disk?)\n");
}

int cmd_filesystems(struct xcli *cli)
{
	struct guest gu;
	int rc = guest_open(&gu, cli->args[0], &cli->guest);
	if (rc == XT_OK) {
		json_t *doc = json_pack("{s:s, s:o, s:[]}", "format", gu.info.format,
		                        "filesystems", filesystems_json(gu.g), "os");
		char **roots = guestfs_inspect_os(gu.g);
		for (size_t i = 0; roots && roots[i]; i++)
			json_array_append_new(json_object_get(doc, "os"), os_json(gu.g, roots[i]));
		free_strings(roots);
		if (cli->json)
			rc = print_doc(doc);
		else {
			filesystems_text(doc);
			json_decref(doc);
		}
	}
	guest_close(&gu);
	return rc;
}

/* ---- ls ------------------------------------------------------------------------ */

static json_t *stat_json(const char *path, const struct guestfs_statns *st)
{
	char t[2] = { mode_type_letter((mode_t)st->st_mode), 0 };
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", path, "type", t,
	                 "mode", (json_int_t)(st->st_mode & 07777), "uid", (json_int_t)st->st_uid,
	                 "gid", (json_int_t)st->st_gid, "size", (json_int_t)st->st_size,
	                 "mtime", (json_int_t)st->st_mtime_sec);
}

static void print_stat(const char *path, const struct guestfs_statns *st, bool long_list)
{
	char *shown = manifest_escape(path);
	if (long_list)
		printf("%c %04o %5lld %5lld %12lld %lld %s\n", mode_type_letter((mode_t)st->st_mode),
		       (unsigned)(st->st_mode & 07777), (long long)st->st_uid, (long long)st->st_gid,
		       (long long)st->st_size, (long long)st->st_mtime_sec, shown);
	else
		printf("%s\n", shown);
	free(shown);
}

struct ls_out {
	const struct xcli *cli;
	json_t *arr;
};

static int print_one(void *ud, const char *name, const struct guestfs_statns *st)
{
	struct ls_out *o = ud;
	if (!st)
		fprintf(stderr, "lifeboat-extract: cannot stat '%s'\n", name);
	else if (o->cli->json)
		json_array_append_new(o->arr, stat_json(name, st));
	else
		print_stat(name, st, o->cli->long_list);
	return 0;
}

static char **list_names(guestfs_h *g, const char *path, bool recursive)
{
	if (!recursive)
		return guestfs_ls(g, path);
	/* find says "/a/b": shown relative, as ls is */
	char **names = guestfs_find(g, path);
	for (size_t i = 0; names && names[i]; i++)
		if (names[i][0] == '/')
			memmove(names[i], names[i] + 1, strlen(names[i]));
	return names;
}

int cmd_ls(struct xcli *cli)
{
	const char *shown = cli->nargs > 1 ? cli->args[1] : "/";
	struct guest gu;
	int rc = open_and_mount(cli, &gu);
	const char *path = guest_path(&gu, shown);
	char **names = NULL;
	if (rc == XT_OK && !(names = list_names(gu.g, path, cli->recursive))) {
		fprintf(stderr, "lifeboat-extract: cannot list '%s': %s\n", shown,
		        guestfs_last_error(gu.g));
		rc = XT_NOT_FOUND;
	}
	json_t *arr = json_array();
	struct ls_out out = { cli, arr };
	size_t n = 0;
	while (names && names[n])
		n++;
	if (names)
		walk_stat(gu.g, path, names, n, print_one, &out);
	if (rc == XT_OK && cli->json)
		rc = print_doc(json_incref(arr));
	json_decref(arr);
	free_strings(names);
	guest_close(&gu);
	return rc;
}

/* ---- cat ------------------------------------------------------------------------- */

int cmd_cat(struct xcli *cli)
{
	struct guest gu;
	int rc = open_and_mount(cli, &gu);
	fflush(stdout);
	if (rc == XT_OK &&
	    guestfs_download(gu.g, guest_path(&gu, cli->args[1]), "/dev/stdout") == -1) {
		fprintf(stderr, "lifeboat-extract: cannot read '%s': %s\n", cli->args[1],
		        guestfs_last_error(gu.g));
		rc = XT_NOT_FOUND;
	}
	guest_close(&gu);
	return rc;
}

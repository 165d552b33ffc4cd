/* inspect.c - "filesystems", "ls" and "cat": looking without copying */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "json_doc.h"
#include "cli.h"
#include "exit.h"
#include "native_run.h"
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

static int print_doc(const char *command, json_t *doc)
{
	return print_json_doc(command, doc) == 0 ? XT_OK : XT_FAIL;
}

/* ls: {"entries": [...]} */
static int print_entries(json_t *arr)
{
	return print_doc("ls", json_pack("{s:O}", "entries", arr));
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
	if (guestfs_mount_ro(g, dev, "/") == -1 &&
	    guestfs_mount_options(g, "ro,norecovery", dev, "/") == -1)
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
		char *uuid = guestfs_vfs_uuid(g, fs[i]);
		int64_t size = guestfs_blockdev_getsize64(g, fs[i]);
		long long used = strcmp(fs[i + 1], "swap") ? used_bytes(g, fs[i]) : -1;
		guestfs_pop_error_handler(g);
		json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:I}", "device", fs[i], "type",
		                      fs[i + 1], "label", label && *label ? label : NULL, "uuid",
		                      uuid && *uuid ? uuid : NULL, "size", (json_int_t)size);
		json_object_set_new(o, "used", used >= 0 ? json_integer(used) : json_null());
		json_array_append_new(arr, o);
		free(label);
		free(uuid);
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
	printf("%-24s %-8s %-16s %-36s %12s %12s\n", "DEVICE", "TYPE", "LABEL", "UUID", "SIZE",
	       "USED");
	json_array_foreach(json_object_get(doc, "filesystems"), i, f) {
		json_t *used = json_object_get(f, "used");
		char u[32] = "-";
		if (json_is_integer(used))
			snprintf(u, sizeof(u), "%lld", (long long)json_integer_value(used));
		printf("%-24s %-8s %-16s %-36s %12lld %12s\n",
		       json_string_value(json_object_get(f, "device")),
		       json_string_value(json_object_get(f, "type")),
		       str_or(f, "label", "-"), str_or(f, "uuid", "-"),
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

static void print_filesystems(struct xcli *cli, json_t *doc, int *rc)
{
	if (cli->json)
		*rc = print_doc("filesystems", doc);
	else {
		filesystems_text(doc);
		json_decref(doc);
	}
}

int cmd_filesystems(struct xcli *cli)
{
	json_t *meta;
	int rc;
	struct reader *r = native_start(cli, NATIVE_FILESYSTEMS, "/", NULL, &meta, &rc);
	if (r) {
		char why[256];
		r->close(r, why, sizeof(why));
		json_t *doc = json_pack("{s:O, s:O, s:O}", "format", json_object_get(meta, "format"),
		                        "filesystems", json_object_get(meta, "filesystems"), "os",
		                        json_object_get(meta, "os"));
		json_decref(meta);
		print_filesystems(cli, doc, &rc);
		return rc;
	}
	if (rc != XT_OK)
		return rc;
	struct guest gu;
	rc = guest_open(&gu, cli->args[0], &cli->guest);
	if (rc == XT_OK) {
		json_t *doc = json_pack("{s:s, s:o, s:[]}", "format", gu.info.format,
		                        "filesystems", filesystems_json(gu.g), "os");
		char **roots = guestfs_inspect_os(gu.g);
		for (size_t i = 0; roots && roots[i]; i++)
			json_array_append_new(json_object_get(doc, "os"), os_json(gu.g, roots[i]));
		free_strings(roots);
		if (cli->json)
			rc = print_doc("filesystems", doc);
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

/* ---- ls and cat with the native reader ---------------------------------------------- */

struct listed {
	char *name;
	struct guestfs_statns st;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct listed *)a)->name, ((const struct listed *)b)->name);
}

static mode_t mode_of(const struct entry *e)
{
	static const mode_t kinds[] = { [ENT_FILE] = S_IFREG, [ENT_DIR] = S_IFDIR,
	                                [ENT_SYMLINK] = S_IFLNK, [ENT_HARDLINK] = S_IFREG,
	                                [ENT_CHAR] = S_IFCHR, [ENT_BLOCK] = S_IFBLK,
	                                [ENT_FIFO] = S_IFIFO, [ENT_SOCKET] = S_IFSOCK };
	return kinds[e->type] | (e->perm & 07777);
}

/* The entries, sorted by name as the appliance's ls and find give them. */
static int ls_native(struct xcli *cli, struct reader *r, const char *shown)
{
	struct listed *l = NULL;
	size_t n = 0, cap = 0;
	struct entry e;
	int more, rc = XT_OK;
	while ((more = r->next(r, &e)) == 1) {
		if (e.refused) {
			fprintf(stderr, "lifeboat-extract: in '%s': %s\n", e.path[0] ? e.path : shown,
			        e.refused);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct listed *bigger = realloc(l, cap * sizeof(*l));
			if (!bigger) {
				more = -1;
				break;
			}
			l = bigger;
		}
		memset(&l[n].st, 0, sizeof(l[n].st));
		l[n].st.st_mode = mode_of(&e);
		l[n].st.st_uid = e.uid;
		l[n].st.st_gid = e.gid;
		l[n].st.st_size = e.size;
		l[n].st.st_mtime_sec = e.mtime_sec;
		l[n].st.st_mtime_nsec = e.mtime_nsec;
		if (!(l[n].name = strdup(e.path))) {
			more = -1;
			break;
		}
		n++;
	}
	if (more < 0) {
		fprintf(stderr, "lifeboat-extract: cannot list '%s': %s\n", shown, r->error(r));
		rc = XT_BAD_IMAGE;
	}
	if (n)
		qsort(l, n, sizeof(*l), by_name);
	json_t *arr = json_array();
	struct ls_out out = { cli, arr };
	for (size_t i = 0; i < n; i++) {
		print_one(&out, l[i].name, &l[i].st);
		free(l[i].name);
	}
	free(l);
	if (rc == XT_OK && cli->json)
		rc = print_entries(arr);
	json_decref(arr);
	return rc;
}

static int cat_native(struct reader *r, const char *shown)
{
	static const char zeros[65536];
	struct entry e;
	int rc = r->next(r, &e);
	int64_t pos = 0;
	const void *buf;
	size_t len;
	int64_t off;
	while (rc == 1 && (rc = r->data(r, &buf, &len, &off)) == 1) {
		while (rc == 1 && pos < off) {
			size_t k = off - pos < (int64_t)sizeof(zeros) ? (size_t)(off - pos) : sizeof(zeros);
			rc = fwrite(zeros, 1, k, stdout) == k ? 1 : -2;
			pos += (int64_t)k;
		}
		if (rc == 1 && fwrite(buf, 1, len, stdout) != len)
			rc = -2;
		pos = off + (int64_t)len;
	}
	while (rc == 0 && pos < e.size) {
		size_t k = e.size - pos < (int64_t)sizeof(zeros) ? (size_t)(e.size - pos) : sizeof(zeros);
		rc = fwrite(zeros, 1, k, stdout) == k ? 0 : -2;
		pos += (int64_t)k;
	}
	if (rc == 0 && fflush(stdout) != 0)
		rc = -2;
	if (rc == -1)
		fprintf(stderr, "lifeboat-extract: cannot read '%s': %s\n", shown, r->error(r));
	else if (rc == -2)
		fprintf(stderr, "lifeboat-extract: cannot write: %s\n", strerror(errno));
	return rc == 0 ? XT_OK : rc == -1 ? XT_BAD_IMAGE : XT_LOCAL_IO;
}

/* Run FN on the native reader for OP; *used says whether it was. */
static int with_native(struct xcli *cli, enum native_op op, const char *shown, bool *used,
                       int (*fn)(struct xcli *cli, struct reader *r, const char *shown))
{
	json_t *meta;
	int rc;
	struct reader *r = native_start(cli, op, shown, NULL, &meta, &rc);
	*used = r || rc != XT_OK;
	if (!r)
		return rc;
	native_print_mounts(meta);
	json_decref(meta);
	rc = fn(cli, r, shown);
	char why[256];
	r->close(r, why, sizeof(why));
	return rc;
}

static int cat_fn(struct xcli *cli, struct reader *r, const char *shown)
{
	(void)cli;
	return cat_native(r, shown);
}

int cmd_ls(struct xcli *cli)
{
	const char *shown = cli->nargs > 1 ? cli->args[1] : "/";
	bool native;
	int rc = with_native(cli, NATIVE_LIST, shown, &native, ls_native);
	if (native)
		return rc;
	struct guest gu;
	rc = open_and_mount(cli, &gu);
	const char *path = guest_path(&gu, shown);
	char **names = NULL;
	if (rc == XT_OK && !(names = list_names(gu.g, path, cli->recursive))) {
		fprintf(stderr, "lifeboat-extract: cannot list '%s': %s\n", shown,
		        guest_error_about(gu.g, path));
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
		rc = print_entries(arr);
	json_decref(arr);
	free_strings(names);
	guest_close(&gu);
	return rc;
}

/* ---- cat ------------------------------------------------------------------------- */

int cmd_cat(struct xcli *cli)
{
	bool native;
	int rc = with_native(cli, NATIVE_FILE, cli->args[1], &native, cat_fn);
	if (native)
		return rc;
	struct guest gu;
	rc = open_and_mount(cli, &gu);
	fflush(stdout);
	if (rc == XT_OK &&
	    guestfs_download(gu.g, guest_path(&gu, cli->args[1]), "/dev/stdout") == -1) {
		fprintf(stderr, "lifeboat-extract: cannot read '%s': %s\n", cli->args[1],
		        guest_error_about(gu.g, guest_path(&gu, cli->args[1])));
		rc = XT_NOT_FOUND;
	}
	guest_close(&gu);
	return rc;
}

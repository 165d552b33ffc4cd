/* reader_native.c - the native reader: the disk, its partitions, every
 * ext2/3/4 filesystem on it, the OS's mounts found as inspection finds
 * them (/etc/fstab), and a walk that gives entries in the order a mounted
 * tar would */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "disk.h"
#include "ext4.h"
#include "part.h"
#include "reader_native.h"

#define MAX_DEPTH 2048u
#define MAX_ENTRIES 100000000ull
#define SMALL_FILE_MAX (1u << 20)   /* fstab, os-release, hostname */
#define PROBE_LEN 0x10048u          /* up to btrfs' magic */

struct fsinfo {
	char dev[24];            /* /dev/sda1 */
	const struct partition *part;
	char type[16];           /* ext4, xfs, swap, vfat, unknown, ... */
	char label[64], uuid[40];
	struct ext4 *ext;        /* when it is ext2/3/4 and readable */
	char refusal[300];       /* why it cannot be read, "" when it can or need not be */
};

struct mount {
	char *mp;                /* "/", "/var", or "/dev/sda1" on a data disk */
	size_t fs;
};

struct frame {
	size_t fs;
	struct ext4_dirent *d;
	size_t n, i;
	char *rel;               /* from the walk's root, "" for the root */
	char *guest;             /* the directory's path in the image */
};

struct slot {
	uint64_t key;
	char *path;
};

struct table {
	struct slot *s;
	size_t cap, n;
};

struct native {
	struct reader ops;       /* first: the public face */
	char refused_why[320];   /* the current refused entry's why */
	struct native_request req;
	char *path_copy, *prefix_copy;
	struct disk *d;
	struct part_table pt;
	struct fsinfo *fs;
	size_t n_fs;
	struct mount *m;
	size_t n_m;
	bool dev_paths;
	json_t *mounted;
	/* the meta entry */
	char *meta;
	size_t meta_len;
	int meta_state;          /* 0 not given, 1 given (data pending), 2 data given */
	/* the walk */
	int stage;               /* 0 root pending, 1 walking, 2 done */
	size_t root_fs;
	struct ext4_node root;
	char *root_guest;
	struct frame *st;
	size_t depth, cap;
	struct table visited, links;
	unsigned long long entries;
	/* the current entry */
	struct ext4_node cur;
	size_t cur_fs;
	bool cur_is_meta, cur_data;
	struct ext4_file *file;
	char *path;
	char *link_path;
	char link[EXT4_MAX_LINK + 1];
	struct ext4_xattrs xa;
	char why[600];
};

static int failf(char *why, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int failf(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *out = malloc(la + lb + 2);
	if (!out)
		return NULL;
	memcpy(out, a, la);
	size_t at = la;
	if (la && lb && a[la - 1] != '/')
		out[at++] = '/';
	memcpy(out + at, b, lb);
	out[at + lb] = '\0';
	return out;
}

/* ---- a small hash table: (filesystem, inode) to a path ---------------------------- */

static uint64_t key_of(size_t fs, ext2_ino_t ino)
{
	return ((uint64_t)(fs + 1) << 32) | ino;
}

static struct slot *table_find(struct table *t, uint64_t key)
{
	if (!t->cap)
		return NULL;
	size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (t->cap - 1);
	while (t->s[i].key && t->s[i].key != key)
		i = (i + 1) & (t->cap - 1);
	return &t->s[i];
}

static int table_put(struct table *t, uint64_t key, char *path)
{
	if ((t->n + 1) * 2 > t->cap) {
		struct table bigger = { calloc(t->cap ? t->cap * 2 : 1024, sizeof(struct slot)),
		                        t->cap ? t->cap * 2 : 1024, 0 };
		if (!bigger.s)
			return -1;
		for (size_t i = 0; i < t->cap; i++)
			if (t->s[i].key) {
				*table_find(&bigger, t->s[i].key) = t->s[i];
				bigger.n++;
			}
		free(t->s);
		*t = bigger;
	}
	struct slot *s = table_find(t, key);
	s->key = key;
	s->path = path;
	t->n++;
	return 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->s[i].path);
	free(t->s);
	memset(t, 0, sizeof(*t));
}

/* ---- what each partition holds ------------------------------------------------------ */

static int disk_rd(void *ctx, void *buf, size_t len, uint64_t off)
{
	char why[200];
	return disk_pread(ctx, buf, len, off, why, sizeof(why));
}

static void trimmed(char *out, size_t size, const unsigned char *p, size_t n)
{
	size_t k = 0;
	while (k < n && p[k])
		k++;
	while (k > 0 && p[k - 1] == ' ')
		k--;
	snprintf(out, size, "%.*s", (int)k, (const char *)p);
}

static void probe_type(struct native *nt, struct fsinfo *f)
{
	uint64_t n = f->part->size < PROBE_LEN ? f->part->size : PROBE_LEN;
	unsigned char *b = calloc(1, PROBE_LEN);
	snprintf(f->type, sizeof(f->type), "unknown");
	if (!b || disk_rd(nt->d, b, (size_t)n, f->part->start) < 0) {
		free(b);
		return;
	}
	if (b[0x438] == 0x53 && b[0x439] == 0xef)
		snprintf(f->type, sizeof(f->type), "ext");
	else if (memcmp(b, "XFSB", 4) == 0)
		snprintf(f->type, sizeof(f->type), "xfs");
	else if (memcmp(b + 0x10040, "_BHRfS_M", 8) == 0)
		snprintf(f->type, sizeof(f->type), "btrfs");
	else if (memcmp(b + 0x218, "LVM2 001", 8) == 0)
		snprintf(f->type, sizeof(f->type), "LVM2_member");
	else if (memcmp(b, "LUKS\xba\xbe", 6) == 0)
		snprintf(f->type, sizeof(f->type), "crypto_LUKS");
	else if (memcmp(b + 4086, "SWAPSPACE2", 10) == 0 || memcmp(b + 4086, "SWAP-SPACE", 10) == 0) {
		snprintf(f->type, sizeof(f->type), "swap");
		trimmed(f->label, sizeof(f->label), b + 0x41c, 16);
	} else if (b[510] == 0x55 && b[511] == 0xaa &&
	           (memcmp(b + 0x52, "FAT32", 5) == 0 || memcmp(b + 0x36, "FAT", 3) == 0)) {
		bool fat32 = memcmp(b + 0x52, "FAT32", 5) == 0;
		const unsigned char *id = b + (fat32 ? 0x43 : 0x27);
		snprintf(f->type, sizeof(f->type), "vfat");
		trimmed(f->label, sizeof(f->label), b + (fat32 ? 0x47 : 0x2b), 11);
		if (strcmp(f->label, "NO NAME") == 0)
			f->label[0] = '\0';
		snprintf(f->uuid, sizeof(f->uuid), "%02X%02X-%02X%02X", id[3], id[2], id[1], id[0]);
	}
	free(b);
}

static int open_filesystems(struct native *nt, char *why, size_t size)
{
	nt->fs = calloc(nt->pt.n, sizeof(*nt->fs));
	if (!nt->fs)
		return failf(why, size, "out of memory");
	for (size_t i = 0; i < nt->pt.n; i++) {
		struct fsinfo *f = &nt->fs[nt->n_fs++];
		f->part = &nt->pt.p[i];
		if (f->part->number)
			snprintf(f->dev, sizeof(f->dev), "/dev/sda%u", f->part->number);
		else
			snprintf(f->dev, sizeof(f->dev), "/dev/sda");
		probe_type(nt, f);
		if (strcmp(f->type, "ext") == 0) {
			char ewhy[300];
			f->ext = ext4_open(nt->d, f->part->start, f->part->size, ewhy, sizeof(ewhy));
			if (!f->ext) {
				snprintf(f->type, sizeof(f->type), "ext4");
				size_t ul = strlen(NATIVE_UNSUPPORTED);
				bool refused = strncmp(ewhy, NATIVE_UNSUPPORTED, ul) == 0;
				snprintf(f->refusal, sizeof(f->refusal), "%s%s: %.250s",
				         refused ? NATIVE_UNSUPPORTED : "", f->dev, ewhy + (refused ? ul : 0));
				continue;
			}
			snprintf(f->type, sizeof(f->type), "%s", ext4_type(f->ext));
			char label[17];
			ext4_label(f->ext, label);
			snprintf(f->label, sizeof(f->label), "%s", label);
			ext4_uuid(f->ext, f->uuid);
		} else if (strcmp(f->type, "xfs") == 0 || strcmp(f->type, "btrfs") == 0 ||
		           strcmp(f->type, "LVM2_member") == 0 || strcmp(f->type, "crypto_LUKS") == 0)
			snprintf(f->refusal, sizeof(f->refusal), NATIVE_UNSUPPORTED "%s holds %s%s", f->dev,
			         strcmp(f->type, "LVM2_member") == 0 ? "LVM"
			         : strcmp(f->type, "crypto_LUKS") == 0 ? "LUKS encryption" : f->type,
			         ", which only the appliance reads");
	}
	/* Any filesystem the native reader cannot read changes what the
	 * appliance would show (mounts, /dev/... paths): leave it all to it. */
	for (size_t i = 0; i < nt->n_fs; i++)
		if (nt->fs[i].refusal[0])
			return failf(why, size, "%s", nt->fs[i].refusal);
	return 0;
}

/* ---- small files and paths inside one filesystem ------------------------------------- */

/* The inode at PATH (absolute) in filesystem F, no symlink followed:
 * 1 found, 0 not there (or through a symlink: *through_link), -1 error. */
static int lookup_in(struct ext4 *x, const char *path, ext2_ino_t *ino, bool *through_link,
                     char *why, size_t size)
{
	*ino = EXT2_ROOT_INO;
	*through_link = false;
	const char *p = path;
	char name[256];
	while (*p) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (!len)
			break;
		if (len >= sizeof(name))
			return 0;
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		struct ext4_node dir;
		if (ext4_read_node(x, *ino, &dir, why, size) < 0)
			return -1;
		if (dir.type == ENT_SYMLINK) {
			*through_link = true;
			return 0;
		}
		if (dir.type != ENT_DIR)
			return 0;
		int rc = ext4_lookup(x, *ino, name, ino, why, size);
		if (rc <= 0)
			return rc;
	}
	return 1;
}

/* A small regular file's bytes, NUL-terminated; NULL when absent. */
static char *slurp(struct ext4 *x, const char *path, size_t *len_out)
{
	char why[300];
	ext2_ino_t ino;
	bool link;
	struct ext4_node n;
	if (lookup_in(x, path, &ino, &link, why, sizeof(why)) != 1 ||
	    ext4_read_node(x, ino, &n, why, sizeof(why)) < 0 || n.type != ENT_FILE ||
	    n.size > SMALL_FILE_MAX)
		return NULL;
	char *buf = calloc(1, (size_t)n.size + 1);
	struct ext4_file *f = buf ? ext4_file_open(x, &n, why, sizeof(why)) : NULL;
	if (!f) {
		free(buf);
		return NULL;
	}
	const void *p;
	size_t k;
	int64_t off;
	int rc;
	while ((rc = ext4_file_read(f, &p, &k, &off, why, sizeof(why))) == 1)
		if ((uint64_t)off < n.size)
			memcpy(buf + off, p, n.size - (uint64_t)off < k ? (size_t)(n.size - (uint64_t)off) : k);
	ext4_file_close(f);
	if (rc < 0) {
		free(buf);
		return NULL;
	}
	if (len_out)
		*len_out = (size_t)n.size;
	return buf;
}

static bool exists(struct ext4 *x, const char *path, enum entry_type want)
{
	char why[300];
	ext2_ino_t ino;
	bool link;
	struct ext4_node n;
	return lookup_in(x, path, &ino, &link, why, sizeof(why)) == 1 &&
	       ext4_read_node(x, ino, &n, why, sizeof(why)) == 0 && n.type == want;
}

/* ---- the OS, as inspection finds it ------------------------------------------------------ */

static bool is_root(struct fsinfo *f)
{
	return f->ext && exists(f->ext, "/etc", ENT_DIR) && exists(f->ext, "/etc/fstab", ENT_FILE) &&
	       (exists(f->ext, "/etc/os-release", ENT_FILE) ||
	        exists(f->ext, "/usr/lib/os-release", ENT_FILE));
}

/* KEY=value or KEY="value" from os-release; caller frees. */
static char *os_value(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *line = text; line && *line; ) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (len > kl && strncmp(line, key, kl) == 0 && line[kl] == '=') {
			const char *v = line + kl + 1;
			size_t vl = len - kl - 1;
			if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
				v++;
				vl -= 2;
			}
			return strndup(v, vl);
		}
		line = end ? end + 1 : NULL;
	}
	return NULL;
}

static void version_of(const char *s, long *major, long *minor)
{
	char *end;
	*major = s ? strtol(s, &end, 10) : 0;
	*minor = s && *end == '.' ? strtol(end + 1, NULL, 10) : 0;
}

static json_t *os_json(struct fsinfo *f)
{
	char *rel = slurp(f->ext, "/etc/os-release", NULL);
	if (!rel)
		rel = slurp(f->ext, "/usr/lib/os-release", NULL);
	char *id = rel ? os_value(rel, "ID") : NULL;
	char *pretty = rel ? os_value(rel, "PRETTY_NAME") : NULL;
	char *version = rel ? os_value(rel, "VERSION_ID") : NULL;
	long major, minor;
	version_of(version, &major, &minor);
	if (id && strcmp(id, "debian") == 0 && !strchr(version ? version : "", '.')) {
		char *dv = slurp(f->ext, "/etc/debian_version", NULL);
		long dmajor, dminor;
		if (dv && isdigit((unsigned char)dv[0])) {
			version_of(dv, &dmajor, &dminor);
			if (dmajor == major || !version) {
				/* as inspection does: the point release names it */
				major = dmajor, minor = dminor;
				dv[strcspn(dv, "\r\n")] = '\0';
				free(pretty);
				pretty = strdup(dv);
			}
		}
		free(dv);
	}
	char *host = slurp(f->ext, "/etc/hostname", NULL);
	if (host)
		host[strcspn(host, "\r\n")] = '\0';
	json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:i, s:i}", "root", f->dev, "distro", id,
	                      "product", pretty, "hostname", host && *host ? host : NULL,
	                      "major", (int)major, "minor", (int)minor);
	free(rel), free(id), free(pretty), free(version), free(host);
	return o;
}

static json_t *filesystems_json(struct native *nt)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < nt->n_fs; i++) {
		struct fsinfo *f = &nt->fs[i];
		json_t *o = json_pack("{s:s, s:s, s:s?, s:s?, s:I}", "device", f->dev, "type", f->type,
		                      "label", f->label[0] ? f->label : NULL, "uuid",
		                      f->uuid[0] ? f->uuid : NULL, "size", (json_int_t)f->part->size);
		json_object_set_new(o, "used", f->ext ? json_integer(ext4_used_bytes(f->ext))
		                                      : json_null());
		json_array_append_new(arr, o);
	}
	return arr;
}

/* ---- mounts ---------------------------------------------------------------------------------- */

static int add_mount(struct native *nt, const char *mp, size_t fs)
{
	struct mount *m = realloc(nt->m, (nt->n_m + 1) * sizeof(*m));
	if (!m)
		return -1;
	nt->m = m;
	m[nt->n_m].mp = strdup(mp);
	m[nt->n_m].fs = fs;
	return m[nt->n_m++].mp ? 0 : -1;
}

static long find_dev(struct native *nt, const char *dev)
{
	for (size_t i = 0; i < nt->n_fs; i++)
		if (strcmp(nt->fs[i].dev, dev) == 0)
			return (long)i;
	return -1;
}

/* An fstab device: LABEL=, UUID=, PARTUUID=, /dev/disk/by-*, /dev/[shvx]d?N */
static long fstab_device(struct native *nt, const char *spec)
{
	static const struct { const char *prefix; int what; } forms[] = {
		{ "LABEL=", 0 }, { "UUID=", 1 }, { "PARTUUID=", 2 }, { "/dev/disk/by-label/", 0 },
		{ "/dev/disk/by-uuid/", 1 }, { "/dev/disk/by-partuuid/", 2 },
	};
	for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		size_t pl = strlen(forms[k].prefix);
		if (strncmp(spec, forms[k].prefix, pl) != 0)
			continue;
		const char *v = spec + pl;
		for (size_t i = 0; i < nt->n_fs; i++) {
			struct fsinfo *f = &nt->fs[i];
			const char *have = forms[k].what == 0 ? f->label
			                   : forms[k].what == 1 ? f->uuid : f->part->guid;
			if (*have && (forms[k].what == 0 ? strcmp(have, v) : strcasecmp(have, v)) == 0)
				return (long)i;
		}
		return -1;
	}
	/* /dev/sda1, /dev/vda1, /dev/xvda1, /dev/hda1: the first disk's partition */
	const char *p = NULL;
	if (strncmp(spec, "/dev/", 5) == 0) {
		p = spec + 5;
		if (*p == 'x')
			p++;
		if ((p[0] == 's' || p[0] == 'v' || p[0] == 'h') && p[1] == 'd' && p[2] == 'a')
			p += 3;
		else
			p = NULL;
	}
	if (!p || !*p || strlen(p) > 3 || strspn(p, "0123456789") != strlen(p))
		return -1;
	char dev[32];
	snprintf(dev, sizeof(dev), "/dev/sda%s", p);
	return find_dev(nt, dev);
}

static int mount_fstab(struct native *nt, size_t root)
{
	size_t len;
	char *text = slurp(nt->fs[root].ext, "/etc/fstab", &len);
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char spec[512], mp[512], type[64];
		if (line[strspn(line, " \t")] == '#' ||
		    sscanf(line, "%511s %511s %63s", spec, mp, type) != 3)
			continue;
		if (mp[0] != '/' || strcmp(mp, "/") == 0 || strcmp(type, "swap") == 0)
			continue;
		long fs = fstab_device(nt, spec);
		if (fs >= 0 && add_mount(nt, mp, (size_t)fs) < 0) {
			free(text);
			return -1;
		}
	}
	free(text);
	return 0;
}

static bool readable(const struct fsinfo *f)
{
	return f->ext != NULL;
}

static bool mountable(const struct fsinfo *f)
{
	return f->ext || strcmp(f->type, "vfat") == 0;
}

static int make_mounts(struct native *nt, char *why, size_t size)
{
	if (nt->req.filesystem) {
		long fs = find_dev(nt, nt->req.filesystem);
		if (fs < 0)
			return failf(why, size, NATIVE_NOT_FOUND "no filesystem %s in the image",
			             nt->req.filesystem);
		if (!readable(&nt->fs[fs]))
			return failf(why, size, NATIVE_UNSUPPORTED "%s holds %s", nt->req.filesystem,
			             nt->fs[fs].type);
		return add_mount(nt, "/", (size_t)fs);
	}
	for (size_t i = 0; i < nt->n_fs; i++)
		if (is_root(&nt->fs[i]))
			return add_mount(nt, "/", i) < 0 ? -1 : mount_fstab(nt, i);
	size_t count = 0, only = 0;
	for (size_t i = 0; i < nt->n_fs; i++)
		if (mountable(&nt->fs[i]))
			count++, only = i;
	if (count == 0)
		return failf(why, size, NATIVE_NOT_FOUND "no filesystem found in the image");
	if (count == 1)
		return add_mount(nt, "/", only);
	/* a data disk with several: /dev/sda1/... as the appliance names them */
	nt->dev_paths = true;
	for (size_t i = 0; i < nt->n_fs; i++)
		if (mountable(&nt->fs[i])) {
			if (add_mount(nt, nt->fs[i].dev, i) < 0)
				return -1;
			json_array_append_new(nt->mounted, json_string(nt->fs[i].dev));
		}
	return 0;
}

static const struct mount *mount_of(const struct native *nt, const char *guest, size_t *rest)
{
	const struct mount *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; i < nt->n_m; i++) {
		const char *mp = nt->m[i].mp;
		size_t l = strcmp(mp, "/") == 0 ? 0 : strlen(mp);
		if (strncmp(guest, mp, l) == 0 && (guest[l] == '/' || guest[l] == '\0') &&
		    (!best || l > best_len))
			best = &nt->m[i], best_len = l;
	}
	*rest = best_len;
	return best;
}

/* A mountpoint exactly at GUEST (not "/"), or NULL. */
static const struct mount *mount_at(const struct native *nt, const char *guest)
{
	for (size_t i = 0; i < nt->n_m; i++)
		if (strcmp(nt->m[i].mp, "/") != 0 && strcmp(nt->m[i].mp, guest) == 0)
			return &nt->m[i];
	return NULL;
}

/* "/a//b/./c/../d" to "/a/b/d"; caller frees. */
static char *normalize(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t at = 0;
	for (const char *p = path; *p; ) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (!len)
			break;
		if (len == 1 && p[0] == '.') {
		} else if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (at > 0 && out[at - 1] != '/')
				at--;
			if (at > 0)
				at--;
		} else {
			out[at++] = '/';
			memcpy(out + at, p, len);
			at += len;
		}
		p += len;
	}
	if (at == 0)
		out[at++] = '/';
	out[at] = '\0';
	return out;
}

/* PATH to its filesystem and inode; the guest path (normalized) in *guest. */
static int resolve(struct native *nt, const char *path, size_t *fs, struct ext4_node *node,
                   char **guest, char *why, size_t size)
{
	if (path[0] != '/')
		return failf(why, size, NATIVE_NOT_FOUND "'%s': paths in the image start with /", path);
	*guest = normalize(path);
	if (!*guest)
		return failf(why, size, "out of memory");
	size_t skip;
	const struct mount *m = mount_of(nt, *guest, &skip);
	if (!m)
		return failf(why, size, NATIVE_NOT_FOUND "'%s': no such file or directory%s", path,
		             nt->dev_paths ? " (this disk's files are under /dev/sdaN/)" : "");
	struct fsinfo *f = &nt->fs[m->fs];
	if (!readable(f))
		return failf(why, size, NATIVE_UNSUPPORTED "'%s' is on %s (%s)", path, f->type, f->dev);
	ext2_ino_t ino;
	bool link;
	int rc = lookup_in(f->ext, *guest + skip, &ino, &link, why, size);
	if (rc < 0)
		return -1;
	if (rc == 0 && link)
		return failf(why, size, NATIVE_UNSUPPORTED "'%s' goes through a symlink", path);
	if (rc == 0)
		return failf(why, size, NATIVE_NOT_FOUND "'%s': no such file or directory", path);
	*fs = m->fs;
	return ext4_read_node(f->ext, ino, node, why, size);
}

/* A walk below GUEST must not meet a filesystem it cannot read. */
static int check_below(struct native *nt, const char *guest, char *why, size_t size)
{
	size_t gl = strcmp(guest, "/") == 0 ? 0 : strlen(guest);
	for (size_t i = 0; i < nt->n_m; i++) {
		const char *mp = nt->m[i].mp;
		if (strncmp(mp, guest, gl) == 0 && mp[gl] == '/' && !readable(&nt->fs[nt->m[i].fs]))
			return failf(why, size, NATIVE_UNSUPPORTED "%s, below '%s', is on %s", mp, guest,
			             nt->fs[nt->m[i].fs].type);
	}
	return 0;
}

/* ---- the reader ---------------------------------------------------------------------------------- */

static void end_entry(struct native *nt)
{
	ext4_file_close(nt->file);
	nt->file = NULL;
	free(nt->path);
	nt->path = NULL;
	nt->cur_is_meta = nt->cur_data = false;
}

static int push_dir(struct native *nt, size_t fs, const struct ext4_node *dir, const char *rel,
                    const char *guest)
{
	if (nt->depth == MAX_DEPTH)
		return failf(nt->why, sizeof(nt->why), "'%s': deeper than %u directories", guest,
		             MAX_DEPTH);
	uint64_t key = key_of(fs, dir->ino);
	struct slot *seen = table_find(&nt->visited, key);
	if (seen && seen->key)
		return failf(nt->why, sizeof(nt->why), "'%s': directory inode %u is met a second "
		             "time (a directory cycle in the image)", guest, (unsigned)dir->ino);
	if (table_put(&nt->visited, key, NULL) < 0)
		return failf(nt->why, sizeof(nt->why), "out of memory");
	if (nt->depth == nt->cap) {
		size_t cap = nt->cap ? nt->cap * 2 : 32;
		struct frame *st = realloc(nt->st, cap * sizeof(*st));
		if (!st)
			return failf(nt->why, sizeof(nt->why), "out of memory");
		nt->st = st;
		nt->cap = cap;
	}
	struct frame *fr = &nt->st[nt->depth];
	memset(fr, 0, sizeof(*fr));
	fr->fs = fs;
	if (ext4_list_dir(nt->fs[fs].ext, dir, &fr->d, &fr->n, nt->why, sizeof(nt->why)) < 0)
		return -1;
	fr->rel = strdup(rel);
	fr->guest = strdup(guest);
	nt->depth++;
	if (!fr->rel || !fr->guest)
		return failf(nt->why, sizeof(nt->why), "out of memory");
	return 0;
}

static void pop_dir(struct native *nt)
{
	struct frame *fr = &nt->st[--nt->depth];
	ext4_free_dirents(fr->d, fr->n);
	free(fr->rel);
	free(fr->guest);
}

/* Fill E from the node in nt->cur, at nt->path. */
static int fill(struct native *nt, struct entry *e)
{
	struct ext4_node *n = &nt->cur;
	struct ext4 *x = nt->fs[nt->cur_fs].ext;
	memset(e, 0, sizeof(*e));
	e->path = nt->path;
	e->type = n->type;
	e->perm = n->perm;
	e->uid = n->uid;
	e->gid = n->gid;
	e->size = nt->req.op == NATIVE_LIST || n->type == ENT_FILE ? (int64_t)n->size : 0;
	e->mtime_sec = n->mtime_sec;
	e->mtime_nsec = n->mtime_nsec;
	e->rdev = n->rdev;
	if (n->type == ENT_SYMLINK) {
		if (ext4_readlink(x, n, nt->link, nt->why, sizeof(nt->why)) < 0)
			return -1;
		e->link = nt->link;
		if (nt->req.op == NATIVE_LIST)
			e->size = (int64_t)strlen(nt->link);
	}
	if (nt->req.op != NATIVE_LIST && n->type != ENT_DIR && n->links > 1) {
		uint64_t key = key_of(nt->cur_fs, n->ino);
		struct slot *s = table_find(&nt->links, key);
		if (s && s->key) {
			free(nt->link_path);
			nt->link_path = strdup(s->path);
			if (!nt->link_path)
				return failf(nt->why, sizeof(nt->why), "out of memory");
			e->type = ENT_HARDLINK;
			e->link = nt->link_path;
			e->size = 0;
			return 1;
		}
		char *copy = strdup(nt->path);
		if (!copy || table_put(&nt->links, key, copy) < 0) {
			free(copy);
			return failf(nt->why, sizeof(nt->why), "out of memory");
		}
	}
	if (nt->req.op != NATIVE_LIST && (n->type == ENT_FILE || n->type == ENT_DIR)) {
		if (ext4_xattrs(x, n, &nt->xa, nt->why, sizeof(nt->why)) < 0)
			return -1;
		e->xattrs = nt->xa.x;
		e->n_xattrs = nt->xa.n;
	}
	nt->cur_data = n->type == ENT_FILE && nt->req.op != NATIVE_LIST;
	return 1;
}

static char *entry_path(const struct native *nt, const char *rel)
{
	const char *prefix = nt->req.op == NATIVE_TREE ? nt->req.prefix : "";
	return join(prefix, rel);
}

/* An entry no kernel could have made, in directory FR: reported as the
 * directory's, with the name shown and why; nothing of it is read. */
static int refused_entry(struct native *nt, const struct frame *fr, const struct ext4_dirent *de,
                         struct entry *e)
{
	nt->path = entry_path(nt, fr->rel);
	if (!nt->path)
		return failf(nt->why, sizeof(nt->why), "out of memory");
	snprintf(nt->refused_why, sizeof(nt->refused_why),
	         "an entry named '%.200s' (inode %u): %s: refused", de->name, (unsigned)de->ino,
	         de->refused);
	memset(e, 0, sizeof(*e));
	e->path = nt->path;
	e->type = ENT_DIR;
	e->refused = nt->refused_why;
	return 1;
}

static int walk_next(struct native *nt, struct entry *e)
{
	while (nt->depth > 0) {
		struct frame *fr = &nt->st[nt->depth - 1];
		if (fr->i == fr->n) {
			pop_dir(nt);
			continue;
		}
		const struct ext4_dirent *de = &fr->d[fr->i++];
		if (++nt->entries > MAX_ENTRIES)
			return failf(nt->why, sizeof(nt->why), "more than %llu entries", MAX_ENTRIES);
		if (de->refused)
			return refused_entry(nt, fr, de, e);
		char *guest = join(fr->guest, de->name);
		char *rel = join(fr->rel, de->name);
		if (!guest || !rel) {
			free(guest), free(rel);
			return failf(nt->why, sizeof(nt->why), "out of memory");
		}
		const struct mount *m = mount_at(nt, guest);
		size_t fs = m ? m->fs : fr->fs;
		int rc = 0;
		if (m && !readable(&nt->fs[fs]))
			rc = failf(nt->why, sizeof(nt->why), NATIVE_UNSUPPORTED "%s is on %s", guest,
			           nt->fs[fs].type);
		else
			rc = ext4_read_node(nt->fs[fs].ext, m ? EXT2_ROOT_INO : de->ino, &nt->cur,
			                    nt->why, sizeof(nt->why));
		if (rc == 0) {
			nt->cur_fs = fs;
			nt->path = entry_path(nt, rel);
			if (!nt->path)
				rc = failf(nt->why, sizeof(nt->why), "out of memory");
		}
		if (rc == 0 && nt->cur.type == ENT_DIR &&
		    (nt->req.op != NATIVE_LIST || nt->req.recursive))
			rc = push_dir(nt, fs, &nt->cur, rel, guest);
		free(guest);
		free(rel);
		if (rc < 0)
			return -1;
		return fill(nt, e);
	}
	nt->stage = 2;
	return 0;
}

static int native_next(struct reader *r, struct entry *e)
{
	struct native *nt = (struct native *)r;
	end_entry(nt);
	if (nt->meta_state == 0) {
		nt->meta_state = 1;
		nt->cur_is_meta = true;
		memset(e, 0, sizeof(*e));
		e->path = "lifeboat-meta.json";
		e->type = ENT_FILE;
		e->perm = 0600;
		e->size = (int64_t)nt->meta_len;
		return 1;
	}
	if (nt->req.op == NATIVE_FILESYSTEMS || nt->stage == 2)
		return 0;
	if (nt->stage == 0) {
		nt->stage = 1;
		nt->cur = nt->root;
		nt->cur_fs = nt->root_fs;
		bool dir = nt->root.type == ENT_DIR;
		if (dir && push_dir(nt, nt->root_fs, &nt->root, "", nt->root_guest) < 0)
			return -1;
		/* a tree's root is an entry named PREFIX; ls lists what is inside */
		if (nt->req.op == NATIVE_FILE || (nt->req.op == NATIVE_TREE && (!dir || *nt->req.prefix))) {
			nt->path = strdup(nt->req.op == NATIVE_FILE ? "file" : nt->req.prefix);
			return nt->path ? fill(nt, e) : failf(nt->why, sizeof(nt->why), "out of memory");
		}
		if (nt->req.op == NATIVE_LIST && !dir) {
			nt->stage = 2;
			return failf(nt->why, sizeof(nt->why), "'%s': not a directory", nt->req.path);
		}
	}
	return walk_next(nt, e);
}

static int native_data(struct reader *r, const void **buf, size_t *len, int64_t *offset)
{
	struct native *nt = (struct native *)r;
	if (nt->cur_is_meta) {
		if (nt->meta_state == 2)
			return 0;
		nt->meta_state = 2;
		*buf = nt->meta;
		*len = nt->meta_len;
		*offset = 0;
		return nt->meta_len ? 1 : 0;
	}
	if (!nt->cur_data)
		return 0;
	if (!nt->file &&
	    !(nt->file = ext4_file_open(nt->fs[nt->cur_fs].ext, &nt->cur, nt->why, sizeof(nt->why))))
		return -1;
	int rc = ext4_file_read(nt->file, buf, len, offset, nt->why, sizeof(nt->why));
	if (rc == 0)
		nt->cur_data = false;
	return rc;
}

static const char *native_error(struct reader *r)
{
	return ((struct native *)r)->why;
}

static void native_free(struct native *nt)
{
	end_entry(nt);
	while (nt->depth)
		pop_dir(nt);
	free(nt->st);
	table_free(&nt->visited);
	table_free(&nt->links);
	ext4_xattrs_free(&nt->xa);
	free(nt->link_path);
	free(nt->root_guest);
	for (size_t i = 0; i < nt->n_m; i++)
		free(nt->m[i].mp);
	free(nt->m);
	for (size_t i = 0; i < nt->n_fs; i++)
		ext4_close(nt->fs[i].ext);
	free(nt->fs);
	disk_close(nt->d);
	json_decref(nt->mounted);
	free(nt->meta);
	free(nt->path_copy);
	free(nt->prefix_copy);
	free(nt);
}

static int native_close(struct reader *r, char *why, size_t size)
{
	(void)why, (void)size;
	native_free((struct native *)r);
	return 0;
}

static int make_meta(struct native *nt)
{
	json_t *doc = json_pack("{s:s, s:s, s:o, s:[], s:O, s:b}", "format", nt->req.format,
	                        "partitions", nt->pt.scheme, "filesystems", filesystems_json(nt),
	                        "os", "mounted", nt->mounted, "dev_paths", nt->dev_paths);
	if (!doc)
		return -1;
	if (nt->pt.warning[0])
		json_object_set_new(doc, "warning", json_string(nt->pt.warning));
	if (nt->req.op == NATIVE_FILESYSTEMS)
		for (size_t i = 0; i < nt->n_fs; i++)
			if (is_root(&nt->fs[i]))
				json_array_append_new(json_object_get(doc, "os"), os_json(&nt->fs[i]));
	size_t replayed = 0;
	for (size_t i = 0; i < nt->n_fs; i++)
		replayed += nt->fs[i].ext ? ext4_replayed_blocks(nt->fs[i].ext) : 0;
	json_object_set_new(doc, "replayed_blocks", json_integer((json_int_t)replayed));
	nt->meta = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!nt->meta)
		return -1;
	nt->meta_len = strlen(nt->meta);
	return nt->meta_len > NATIVE_META_MAX ? -1 : 0;
}

static int prepare(struct native *nt, char *why, size_t size)
{
	if (!(nt->d = disk_open(nt->req.image, nt->req.format, why, size)))
		return -1;
	if (part_scan(disk_rd, nt->d, disk_size(nt->d), &nt->pt, why, size) < 0)
		return -1;
	if (open_filesystems(nt, why, size) < 0)
		return -1;
	if (nt->req.op == NATIVE_FILESYSTEMS)
		return make_meta(nt) < 0 ? failf(why, size, "out of memory") : 0;
	if (make_mounts(nt, why, size) < 0)
		return -1;
	if (resolve(nt, nt->req.path, &nt->root_fs, &nt->root, &nt->root_guest, why, size) < 0)
		return -1;
	enum entry_type t = nt->root.type;
	if (nt->req.op == NATIVE_FILE && t != ENT_FILE)
		return failf(why, size, "%s'%s' is %s", t == ENT_SYMLINK ? NATIVE_UNSUPPORTED : "",
		             nt->req.path, t == ENT_DIR ? "a directory" : t == ENT_SYMLINK
		             ? "a symlink (the appliance follows it)" : "not a regular file");
	/* a tree without a prefix is a filesystem's root: a crafted image can
	 * make it a file, whose entry would then have no name */
	if (nt->req.op == NATIVE_TREE && t != ENT_DIR && !*nt->req.prefix)
		return failf(why, size, "'%s' is not a directory: the filesystem is corrupt",
		             nt->req.path);
	if (nt->req.op == NATIVE_TREE && t != ENT_FILE && t != ENT_DIR)
		return failf(why, size, NATIVE_NOT_FOUND "'%s' is neither a directory nor a file",
		             nt->req.path);
	if (nt->req.op == NATIVE_LIST && t != ENT_DIR)
		return failf(why, size, NATIVE_NOT_FOUND "cannot list '%s': Not a directory",
		             nt->req.path);
	if (t == ENT_DIR && check_below(nt, nt->root_guest, why, size) < 0)
		return -1;
	return make_meta(nt) < 0 ? failf(why, size, "out of memory") : 0;
}

struct reader *native_open(const struct native_request *req, char *why, size_t size)
{
	struct native *nt = calloc(1, sizeof(*nt));
	if (!nt) {
		snprintf(why, size, "out of memory");
		return NULL;
	}
	nt->ops = (struct reader){ native_next, native_data, native_error, native_close };
	nt->req = *req;
	nt->path_copy = strdup(req->path ? req->path : "/");
	nt->prefix_copy = strdup(req->prefix ? req->prefix : "");
	nt->req.path = nt->path_copy;
	nt->req.prefix = nt->prefix_copy;
	nt->mounted = json_array();
	if (!nt->path_copy || !nt->prefix_copy || !nt->mounted) {
		snprintf(why, size, "out of memory");
		native_free(nt);
		return NULL;
	}
	if (prepare(nt, why, size) < 0) {
		native_free(nt);
		return NULL;
	}
	return &nt->ops;
}

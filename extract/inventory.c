/* inventory.c - one walk, the image's own package databases, and what
 * remains gathered into data roots: the inventory as a pure function of
 * what a source yields (no guest code runs, nothing is written) */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inv_pkgdb.h"
#include "inv_rules.h"
#include "inventory.h"

#define DB_MAX ((size_t)64 << 20)     /* one package database file */
#define CONF_MAX ((size_t)16 << 20)   /* a conffile, hashed */
#define UNIT_MAX ((size_t)64 << 10)   /* a systemd unit or the script it runs */
#define HEADER_READS 512              /* files whose first bytes are read */
#define MAX_ENTRIES 20000000
#define MAX_HOPS 16                   /* symlinks followed resolving a package's path */
#define PROGRESS_EVERY 4096

enum { R_OWNED = 1 };

struct rec {
	char *path;
	char *link;
	int64_t size, mtime;
	uint8_t type, flags;
};

struct conf {
	char *package, *path;
	char md5[33];
	bool installed;
};

struct group {
	char *key;        /* the child of the lowest container */
	size_t plen;      /* bytes of key's path common to every entry's directory */
	char *common;     /* that path (a copy of the first entry's directory) */
	bool is_file;
	bool whole;       /* the key is the root, however deep its files */
	int64_t size, newest;
	uint64_t files;
	struct inv_db dbs[INV_MAX_DBS];
	size_t n_dbs;
};

/* open addressing; slot holds index + 1 */
struct pmap {
	size_t *slot;
	size_t cap, used;
};

struct inv {
	struct inv_source *src;
	const struct inv_options *opt;
	struct inv_result *res;
	bool has_os;
	struct rec *recs;
	size_t n, cap;
	struct pmap map;
	struct conf *confs;
	size_t n_confs, cap_confs;
	size_t ucf_from;         /* the first conffile from ucf's hashfile */
	struct group *groups;
	size_t n_groups, cap_groups;
	struct pmap gmap;
	struct cand { size_t rec, group; } *cands; /* files whose header may say "database" */
	size_t n_cands, cap_cands;
	size_t cap_notes, cap_drift, cap_warnings, cap_rescue;  /* of res's arrays */
	char *swaps[16];
	size_t n_swaps;
	bool failed;             /* out of memory somewhere */
};

/* ---- small helpers ---------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	void *np = realloc(*p, ncap * elem);
	if (!np)
		return -1;
	*p = np;
	*cap = ncap;
	return 0;
}

static uint64_t hash_str(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

typedef const char *(*key_fn)(const struct inv *v, size_t i);

static const char *rec_key(const struct inv *v, size_t i) { return v->recs[i].path; }
static const char *group_key(const struct inv *v, size_t i) { return v->groups[i].key; }

/* The index whose key is the first N bytes of KEY, or -1. */
static long pmap_find(const struct inv *v, const struct pmap *m, key_fn k, const char *key,
                      size_t n)
{
	if (!m->cap)
		return -1;
	for (size_t s = hash_str(key, n) & (m->cap - 1);; s = (s + 1) & (m->cap - 1)) {
		if (!m->slot[s])
			return -1;
		const char *other = k(v, m->slot[s] - 1);
		if (strncmp(other, key, n) == 0 && other[n] == '\0')
			return (long)(m->slot[s] - 1);
	}
}

static void pmap_insert(struct pmap *m, uint64_t h, size_t idx)
{
	size_t s = h & (m->cap - 1);
	while (m->slot[s])
		s = (s + 1) & (m->cap - 1);
	m->slot[s] = idx + 1;
	m->used++;
}

static int pmap_put(const struct inv *v, struct pmap *m, key_fn k, size_t idx)
{
	if ((m->used + 1) * 2 > m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 1024;
		size_t *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -1;
		struct pmap nm = { ns, ncap, 0 };
		for (size_t s = 0; s < m->cap; s++)
			if (m->slot[s]) {
				const char *key = k(v, m->slot[s] - 1);
				pmap_insert(&nm, hash_str(key, strlen(key)), m->slot[s] - 1);
			}
		free(m->slot);
		*m = nm;
	}
	const char *key = k(v, idx);
	pmap_insert(m, hash_str(key, strlen(key)), idx);
	return 0;
}

static long find_rec(const struct inv *v, const char *path)
{
	return pmap_find(v, &v->map, rec_key, path, strlen(path));
}

static void add_note(struct inv *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_note(struct inv *v, const char *fmt, ...)
{
	struct inv_result *r = v->res;
	char *s = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0 || grow((void **)&r->notes, &v->cap_notes, r->n_notes + 1, sizeof(char *)) < 0) {
		if (n >= 0)
			free(s);
		v->failed = true;
		return;
	}
	r->notes[r->n_notes++] = s;
}

/* ---- the walk ---------------------------------------------------------------- */

static bool skip_tree(void *ud, const char *path)
{
	const struct inv *v = ud;
	return v->has_os && inv_volatile(path);
}

bool inv_volatile(const char *path)
{
	static const char *const trees[] = {
		"/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp", "/var/cache", "/var/run",
		"/var/lock", NULL,
	};
	for (const char *const *t = trees; *t; t++)
		if (inv_under(path, *t))
			return true;
	return false;
}

/* What read_dpkg, read_pacman, read_fstab, check_conffiles, check_timers
 * and read_headers will ask for, by path alone. */
size_t inv_prefetch(const char *path, int64_t size)
{
	static const char *const dbs[] = {
		"/var/lib/dpkg/status", "/var/lib/dpkg/diversions", "/var/lib/dpkg/info/*.list",
		"/var/lib/dpkg/alternatives/*",
		"/var/lib/pacman/local/*/files", "/var/lib/pacman/local/*/desc",
		"/var/lib/ucf/hashfile", "/var/lib/ucf/registry", NULL,
	};
	static const char *const units[] = {
		"/etc/systemd/system/*.timer", "/etc/systemd/system/*.service",
		"/usr/lib/systemd/system/*.timer", "/usr/lib/systemd/system/*.service",
		"/lib/systemd/system/*.timer", "/lib/systemd/system/*.service", NULL,
	};
	for (const char *const *g = dbs; *g; g++)
		if (fnmatch(*g, path, FNM_PATHNAME) == 0)
			return DB_MAX;
	for (const char *const *g = units; *g; g++)
		if (fnmatch(*g, path, FNM_PATHNAME) == 0)
			return UNIT_MAX;
	/* conffiles are hashed whole; /etc is small, its big files are not config */
	if (inv_under(path, "/etc") && size <= (int64_t)(1 << 20))
		return CONF_MAX;
	return inv_db_candidate(path) ? 16 : 0;
}

static int on_entry(void *ud, const struct inv_entry *e)
{
	struct inv *v = ud;
	if (skip_tree(v, e->path))
		return 0;
	size_t plen = strnlen(e->path, PATH_MAX);
	if (e->path[0] != '/' || plen >= PATH_MAX || find_rec(v, e->path) >= 0)
		return 0;
	if (v->n >= MAX_ENTRIES || grow((void **)&v->recs, &v->cap, v->n + 1, sizeof(struct rec)))
		return -1;
	struct rec *r = &v->recs[v->n];
	memset(r, 0, sizeof(*r));
	r->path = strdup(e->path);
	r->link = e->type == INV_LINK && e->link ? strndup(e->link, PATH_MAX) : NULL;
	if (!r->path || (e->type == INV_LINK && e->link && !r->link)) {
		free(r->path);
		free(r->link);
		return -1;
	}
	r->type = (uint8_t)e->type;
	r->size = e->type == INV_FILE && e->size > 0 ? e->size : 0;
	long first = e->same_as ? find_rec(v, e->same_as) : -1;
	if (first >= 0)
		r->size = v->recs[first].size;
	r->mtime = e->mtime;
	if (pmap_put(v, &v->map, rec_key, v->n) < 0) {
		free(r->path);
		free(r->link);
		return -1;
	}
	v->n++;
	v->res->entries++;
	if (v->opt->progress && v->res->entries % PROGRESS_EVERY == 0)
		v->opt->progress(v->opt->progress_ud, v->res->entries);
	return 0;
}

/* ---- package paths through symlinked directories ----------------------------- */

/* PATH with "." and ".." taken out, into OUT. -1 when too long. */
static int normalize(const char *path, char *out, size_t size)
{
	size_t o = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *end = strchrnul(p, '/');
		size_t n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else {
			if (o + 1 + n + 1 > size)
				return -1;
			out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = end;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/* A package names /bin/ls; on a merged-/usr system the walk saw
 * /usr/bin/ls, /bin being a symlink. Resolve directory symlinks as the
 * image has them, a bounded number of times. */
static long find_resolved(const struct inv *v, const char *path)
{
	long i = find_rec(v, path);
	if (i >= 0 || !v->has_os)
		return i;
	char cur[PATH_MAX], next[PATH_MAX * 2];
	if (snprintf(cur, sizeof(cur), "%s", path) >= (int)sizeof(cur))
		return -1;
	for (int hop = 0; hop < MAX_HOPS; hop++) {
		bool changed = false;
		for (char *slash = strchr(cur + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
			long d = pmap_find(v, &v->map, rec_key, cur, (size_t)(slash - cur));
			if (d < 0)
				return -1;  /* no such directory */
			const struct rec *r = &v->recs[d];
			if (r->type != INV_LINK || !r->link)
				continue;
			size_t parent = (size_t)(strrchr(r->path, '/') - r->path);
			int n = r->link[0] == '/'
			        ? snprintf(next, sizeof(next), "%s%s", r->link, slash)
			        : snprintf(next, sizeof(next), "%.*s/%s%s", (int)parent, r->path,
			                   r->link, slash);
			if (n < 0 || (size_t)n >= sizeof(next) || normalize(next, cur, sizeof(cur)) < 0)
				return -1;
			changed = true;
			break;
		}
		if (!changed)
			return find_rec(v, cur);
	}
	return -1;
}

static int own(void *ud, const char *path)
{
	struct inv *v = ud;
	long i = find_resolved(v, path);
	if (i >= 0 && !(v->recs[i].flags & R_OWNED)) {
		v->recs[i].flags |= R_OWNED;
		v->res->owned++;
	}
	return 0;
}

static int add_conf(void *ud, const char *package, const char *path, const char *md5,
                    bool installed)
{
	struct inv *v = ud;
	own(v, path);
	if (grow((void **)&v->confs, &v->cap_confs, v->n_confs + 1, sizeof(struct conf)) < 0)
		return -1;
	struct conf *c = &v->confs[v->n_confs];
	c->package = strdup(package);
	c->path = strdup(path);
	if (!c->package || !c->path) {
		free(c->package);
		free(c->path);
		return -1;
	}
	snprintf(c->md5, sizeof(c->md5), "%s", md5);
	c->installed = installed;
	v->n_confs++;
	return 0;
}

/* ---- the package databases ----------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool is_regular(const struct inv *v, const char *path)
{
	long i = find_rec(v, path);
	return i >= 0 && v->recs[i].type == INV_FILE;
}

/* Read a database file: 0 with *buf, else a note and -1. */
static int read_db(struct inv *v, const char *path, size_t max, char **buf, size_t *len)
{
	*buf = NULL;
	int rc = v->src->read(v->src, path, max, buf, len);
	if (rc != 0) {
		free(*buf);
		*buf = NULL;
		add_note(v, "cannot read '%s': what it lists counts as unowned", path);
		return -1;
	}
	return 0;
}

/* PKG.md5sums names what PKG.list does, less the directories: it is read
 * only for a package whose .list is gone (a round trip saved per package
 * through the appliance). */
static bool has_list(const struct inv *v, const char *md5sums)
{
	char list[PATH_MAX];
	size_t n = strlen(md5sums) - strlen(".md5sums");
	return snprintf(list, sizeof(list), "%.*s.list", (int)n, md5sums) < (int)sizeof(list) &&
	       is_regular(v, list);
}

static int read_dpkg(struct inv *v)
{
	char *buf;
	size_t len;
	if (!is_regular(v, "/var/lib/dpkg/status"))
		return 0;
	v->res->package_manager = "dpkg";
	if (read_db(v, "/var/lib/dpkg/status", DB_MAX, &buf, &len) == 0) {
		long n = inv_dpkg_status(buf, len, add_conf, v);
		free(buf);
		if (n < 0)
			return -1;
		v->res->packages = (uint64_t)n;
	}
	if (is_regular(v, "/var/lib/dpkg/diversions") &&
	    read_db(v, "/var/lib/dpkg/diversions", DB_MAX, &buf, &len) == 0) {
		int rc = inv_dpkg_diversions(buf, len, own, v);
		free(buf);
		if (rc < 0)
			return -1;
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct rec *r = &v->recs[i];
		const char *p = r->path;
		if (r->type != INV_FILE)
			continue;
		int (*parse)(const char *, size_t, inv_path_fn, void *) = NULL;
		if (strncmp(p, "/var/lib/dpkg/info/", 19) == 0 && !strchr(p + 19, '/'))
			parse = ends_with(p, ".list")      ? inv_dpkg_list
			        : ends_with(p, ".md5sums") ? inv_dpkg_md5sums
			                                   : NULL;
		else if (strncmp(p, "/var/lib/dpkg/alternatives/", 27) == 0 && !strchr(p + 27, '/'))
			parse = inv_dpkg_alternative;
		if (!parse || (parse == inv_dpkg_md5sums && has_list(v, p)))
			continue;
		if (read_db(v, p, DB_MAX, &buf, &len) < 0)
			continue;
		int rc = parse(buf, len, own, v);
		free(buf);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Who installed a ucf-managed file: the registry names the package. */
static int ucf_owner(void *ud, const char *path, const char *package)
{
	struct inv *v = ud;
	for (size_t i = v->ucf_from; i < v->n_confs; i++)
		if (!v->confs[i].package[0] && strcmp(v->confs[i].path, path) == 0) {
			char *p = strdup(package);
			if (!p)
				return -1;
			free(v->confs[i].package);
			v->confs[i].package = p;
		}
	return 0;
}

/* Configuration that maintainer scripts install with ucf is in no .list
 * but in ucf's hashfile, with the md5 it was installed with. */
static int read_ucf(struct inv *v)
{
	char *buf;
	size_t len;
	if (!is_regular(v, "/var/lib/ucf/hashfile") ||
	    read_db(v, "/var/lib/ucf/hashfile", DB_MAX, &buf, &len) < 0)
		return 0;
	v->ucf_from = v->n_confs;
	int rc = inv_ucf_hashfile(buf, len, add_conf, v);
	free(buf);
	if (rc == 0 && is_regular(v, "/var/lib/ucf/registry") &&
	    read_db(v, "/var/lib/ucf/registry", DB_MAX, &buf, &len) == 0) {
		rc = inv_ucf_registry(buf, len, ucf_owner, v);
		free(buf);
	}
	return rc;
}

static int read_pacman(struct inv *v)
{
	static const char local[] = "/var/lib/pacman/local/";
	const size_t ll = sizeof(local) - 1;
	for (size_t i = 0; i < v->n; i++) {
		const char *p = v->recs[i].path;
		const char *slash = strncmp(p, local, ll) == 0 ? strchr(p + ll, '/') : NULL;
		if (v->recs[i].type != INV_FILE || !slash || slash == p + ll ||
		    strcmp(slash, "/files") != 0)
			continue;
		char dir[PATH_MAX], desc[PATH_MAX + 8], name[PATH_MAX];
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - p), p);
		snprintf(desc, sizeof(desc), "%s/desc", dir);
		/* the name from desc; the directory's (NAME-VER-REL) otherwise */
		char *buf;
		size_t len;
		snprintf(name, sizeof(name), "%s", dir + ll);
		if (is_regular(v, desc) && read_db(v, desc, DB_MAX, &buf, &len) == 0) {
			if (inv_pacman_name(buf, len, name, sizeof(name)) < 0)
				snprintf(name, sizeof(name), "%s", dir + ll);
			free(buf);
		}
		v->res->package_manager = "pacman";
		v->res->packages++;
		if (read_db(v, p, DB_MAX, &buf, &len) < 0)
			continue;
		int rc = inv_pacman_files(buf, len, name, own, add_conf, v);
		free(buf);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static void check_rpm(struct inv *v)
{
	static const char *const dbs[] = {
		"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/var/lib/rpm/Packages.db",
		"/usr/lib/sysimage/rpm/rpmdb.sqlite", NULL,
	};
	for (const char *const *d = dbs; *d; d++)
		if (is_regular(v, *d)) {
			add_note(v, "an rpm database was found (%s): rpm is not supported yet, so "
			         "the files of rpm packages count as unowned", *d);
			return;
		}
}

/* Swap files named in /etc/fstab are skipped like /swapfile. */
static void read_fstab(struct inv *v)
{
	char *buf;
	size_t len;
	if (!is_regular(v, "/etc/fstab") || read_db(v, "/etc/fstab", UNIT_MAX, &buf, &len) < 0)
		return;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char spec[512], dir[512], type[64];
		if (sscanf(line, "%511s %511s %63s", spec, dir, type) == 3 && spec[0] == '/' &&
		    strcmp(type, "swap") == 0 && strncmp(spec, "/dev/", 5) != 0 &&
		    v->n_swaps < sizeof(v->swaps) / sizeof(v->swaps[0]))
			v->swaps[v->n_swaps++] = strdup(spec);
	}
	free(buf);
}

static bool is_swap(const struct inv *v, const char *path)
{
	for (size_t i = 0; i < v->n_swaps; i++)
		if (v->swaps[i] && strcmp(v->swaps[i], path) == 0)
			return true;
	return false;
}

/* ---- configuration drift ---------------------------------------------------------- */

static int add_drift(struct inv *v, const char *path, const char *reason, const char *package)
{
	struct inv_result *r = v->res;
	if (grow((void **)&r->drift, &v->cap_drift, r->n_drift + 1, sizeof(struct inv_drift)) < 0)
		return -1;
	struct inv_drift *d = &r->drift[r->n_drift];
	memset(d, 0, sizeof(*d));
	d->path = strdup(path);
	d->package = package ? strdup(package) : NULL;
	if (!d->path || (package && !d->package)) {
		free(d->path);
		free(d->package);
		return -1;
	}
	d->reason = reason;
	d->kind = inv_drift_kind(path);
	d->covered_by = inv_backups_match(v->opt->backups, path);
	r->n_drift++;
	return 0;
}

static int md5_hex(const char *buf, size_t len, char out[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (!EVP_Digest(buf, len, md, &n, EVP_md5(), NULL) || n != 16)
		return -1;
	for (unsigned i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

static int cmp_conf(const void *a, const void *b)
{
	const struct conf *x = a, *y = b;
	return strcmp(x->path, y->path);
}

static int check_conffiles(struct inv *v)
{
	if (v->n_confs)
		qsort(v->confs, v->n_confs, sizeof(struct conf), cmp_conf);
	for (size_t i = 0; i < v->n_confs; i++) {
		const struct conf *c = &v->confs[i];
		if (i > 0 && strcmp(c->path, v->confs[i - 1].path) == 0)
			continue;  /* moved between packages: the first says */
		long r = find_resolved(v, c->path);
		if (r < 0) {
			if (c->installed &&
			    add_drift(v, c->path, "missing", c->package[0] ? c->package : NULL) < 0)
				return -1;
			continue;
		}
		if (v->recs[r].type != INV_FILE)
			continue;
		char *buf = NULL, hex[33];
		size_t len;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s", v->recs[r].path);
		if (v->src->read(v->src, path, CONF_MAX, &buf, &len) != 0 || len == CONF_MAX) {
			free(buf);
			add_note(v, "cannot read conffile '%s' to compare it", c->path);
			continue;
		}
		int rc = md5_hex(buf, len, hex);
		free(buf);
		if (rc == 0 && strcmp(hex, c->md5) != 0 &&
		    add_drift(v, c->path, "changed", c->package[0] ? c->package : NULL))
			return -1;
	}
	return 0;
}

/* ---- persistent timers that reboot ----------------------------------------------- */

struct timer_facts {
	bool persistent;
	char unit[256];
	char exec[8][1024];
	size_t n_exec;
};

static void set_persistent(void *ud, const char *value)
{
	((struct timer_facts *)ud)->persistent = inv_unit_true(value);
}

static void set_unit(void *ud, const char *value)
{
	struct timer_facts *t = ud;
	snprintf(t->unit, sizeof(t->unit), "%s", value);
}

static void add_exec(void *ud, const char *value)
{
	struct timer_facts *t = ud;
	if (t->n_exec < sizeof(t->exec) / sizeof(t->exec[0]))
		snprintf(t->exec[t->n_exec++], sizeof(t->exec[0]), "%s", value);
}

static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system", NULL,
};

static long find_unit(const struct inv *v, const char *name)
{
	char path[PATH_MAX];
	if (strchr(name, '/'))
		return -1;
	for (const char *const *d = unit_dirs; *d; d++) {
		if (snprintf(path, sizeof(path), "%s/%s", *d, name) >= (int)sizeof(path))
			continue;
		long i = find_resolved(v, path);
		if (i >= 0 && v->recs[i].type == INV_FILE)
			return i;
	}
	return -1;
}

/* The command a service runs reboots, or the script it names does. */
static bool exec_reboots(struct inv *v, const char *cmd)
{
	if (inv_reboots(cmd, strlen(cmd)))
		return true;
	while (*cmd && strchr("@-:+!", *cmd))
		cmd++;
	char prog[PATH_MAX];
	size_t n = strcspn(cmd, " \t");
	if (cmd[0] != '/' || n >= sizeof(prog))
		return false;
	memcpy(prog, cmd, n);
	prog[n] = '\0';
	long i = find_resolved(v, prog);
	if (i < 0 || v->recs[i].type != INV_FILE || v->recs[i].size > (int64_t)UNIT_MAX)
		return false;
	char *buf = NULL;
	size_t len;
	snprintf(prog, sizeof(prog), "%s", v->recs[i].path);
	bool yes = false;
	if (v->src->read(v->src, prog, UNIT_MAX, &buf, &len) == 0)
		yes = len > 2 && buf[0] == '#' && buf[1] == '!' && inv_reboots(buf, len);
	free(buf);
	return yes;
}

static int add_warning(struct inv *v, const char *path, char *message)
{
	struct inv_result *r = v->res;
	if (!message || grow((void **)&r->warnings, &v->cap_warnings, r->n_warnings + 1,
	                     sizeof(struct inv_warning)) < 0) {
		free(message);
		return -1;
	}
	struct inv_warning *w = &r->warnings[r->n_warnings];
	w->path = strdup(path);
	w->message = message;
	if (!w->path) {
		free(message);
		return -1;
	}
	r->n_warnings++;
	return 0;
}

static int check_timer(struct inv *v, size_t ti)
{
	char path[PATH_MAX], *buf = NULL;
	size_t len;
	snprintf(path, sizeof(path), "%s", v->recs[ti].path);
	if (v->src->read(v->src, path, UNIT_MAX, &buf, &len) != 0) {
		free(buf);
		return 0;
	}
	struct timer_facts *t = calloc(1, sizeof(*t));
	if (!t) {
		free(buf);
		return -1;
	}
	inv_unit_values(buf, len, "Timer", "Persistent", set_persistent, t);
	inv_unit_values(buf, len, "Timer", "Unit", set_unit, t);
	free(buf);
	const char *base = strrchr(path, '/') + 1;
	if (!t->unit[0])
		snprintf(t->unit, sizeof(t->unit), "%.*s.service", (int)(strlen(base) - 6), base);
	long si = t->persistent ? find_unit(v, t->unit) : -1;
	int rc = 0;
	if (si >= 0) {
		char spath[PATH_MAX];
		snprintf(spath, sizeof(spath), "%s", v->recs[si].path);
		if (v->src->read(v->src, spath, UNIT_MAX, &buf, &len) == 0) {
			static const char *const keys[] = { "ExecStart", "ExecStartPre", "ExecStartPost",
			                                    "ExecStop", NULL };
			for (const char *const *k = keys; *k; k++)
				inv_unit_values(buf, len, "Service", *k, add_exec, t);
		}
		free(buf);
		bool reboots = false;
		for (size_t i = 0; i < t->n_exec && !reboots; i++)
			reboots = exec_reboots(v, t->exec[i]);
		char *msg = NULL;
		if (reboots &&
		    (asprintf(&msg, "%s has Persistent=true and starts %s, which reboots the machine: "
		              "on a server booted after a missed run (a restored one, one started "
		              "late) it fires at once", base, t->unit) < 0 ||
		     add_warning(v, path, msg) < 0))
			rc = -1;
	}
	free(t);
	return rc;
}

static int check_timers(struct inv *v)
{
	size_t n = v->n;
	for (size_t i = 0; i < n; i++) {
		const char *p = v->recs[i].path;
		const char *slash = strrchr(p, '/');
		if (v->recs[i].type != INV_FILE || !ends_with(p, ".timer") || strlen(slash) <= 7)
			continue;
		bool in_dir = false;
		for (const char *const *d = unit_dirs; *d; d++)
			in_dir |= (size_t)(slash - p) == strlen(*d) && strncmp(p, *d, strlen(*d)) == 0;
		if (in_dir && check_timer(v, i) < 0)
			return -1;
	}
	return 0;
}

/* ---- data roots --------------------------------------------------------------------- */

/* A filesystem's top, or (in an OS) a directory of the fixed list. */
static bool is_fixed(const struct inv *v, const char *buf)
{
	for (const char *const *t = v->src->fs_tops; t && *t; t++)
		if (strcmp(*t, buf) == 0)
			return true;
	return v->has_os && inv_fixed_container(buf);
}

/* DIR's first N bytes name a container: its children are separate roots. */
static bool is_container(const struct inv *v, const char *dir, size_t n)
{
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%.*s", (int)(n ? n : 1), n ? dir : "/");
	if (is_fixed(v, buf))
		return true;
	if (!v->has_os || inv_one_root(buf))
		return false;
	long i = find_rec(v, buf);
	return i >= 0 && v->recs[i].type == INV_DIR && (v->recs[i].flags & R_OWNED);
}

/* How much of PATH names the child of its lowest fixed container. */
static size_t fixed_child_len(const struct inv *v, const char *path)
{
	char buf[PATH_MAX];
	for (const char *s = strrchr(path, '/'); s; ) {
		size_t n = (size_t)(s - path);
		snprintf(buf, sizeof(buf), "%.*s", (int)(n ? n : 1), n ? path : "/");
		if (is_fixed(v, buf))
			return n + 1 + strcspn(path + n + 1, "/");
		if (n == 0)
			break;
		s = memrchr(path, '/', n);
	}
	return strlen(path);
}

static void add_db(struct group *g, const char *engine, const char *path, size_t n)
{
	for (size_t i = 0; i < g->n_dbs; i++)
		if (strncmp(g->dbs[i].path, path, n) == 0 && g->dbs[i].path[n] == '\0')
			return;
	if (g->n_dbs == INV_MAX_DBS)
		return;
	char *p = strndup(path, n);
	if (!p)
		return;
	g->dbs[g->n_dbs].engine = engine;
	g->dbs[g->n_dbs++].path = p;
}

/* Shrink G's common directory to what it shares with PATH's. */
static void narrow(struct group *g, const char *path)
{
	size_t dir = (size_t)(strrchr(path, '/') - path);
	size_t max = g->plen < dir ? g->plen : dir, i = 0, good = 0;
	while (i < max && g->common[i] == path[i]) {
		if (path[i] == '/')
			good = i;
		i++;
	}
	if (i == max && (max == g->plen || g->common[max] == '/') &&
	    (max == dir || path[max] == '/'))
		good = max;
	g->plen = good;
}

static int group_entry(struct inv *v, size_t ri)
{
	const struct rec *r = &v->recs[ri];
	const char *p = r->path;
	/* the lowest container above P: P's root is that container's child */
	size_t cut = 0;
	for (const char *s = strrchr(p, '/'); s; ) {
		size_t n = (size_t)(s - p);
		if (is_container(v, p, n)) {
			cut = n;
			break;
		}
		if (n == 0)
			break;
		s = memrchr(p, '/', n);
	}
	size_t klen = cut + 1 + strcspn(p + cut + 1, "/");
	long gi = pmap_find(v, &v->gmap, group_key, p, klen);
	if (gi < 0) {
		if (grow((void **)&v->groups, &v->cap_groups, v->n_groups + 1, sizeof(struct group)))
			return -1;
		struct group *g = &v->groups[v->n_groups];
		memset(g, 0, sizeof(*g));
		g->key = strndup(p, klen);
		g->common = strdup(p);
		if (!g->key || !g->common) {
			free(g->key);
			free(g->common);
			return -1;
		}
		g->is_file = p[klen] == '\0';
		g->whole = g->is_file || inv_whole_children(p, cut);
		g->plen = g->whole ? klen : (size_t)(strrchr(p, '/') - p);
		if (pmap_put(v, &v->gmap, group_key, v->n_groups) < 0) {
			free(g->key);
			free(g->common);
			return -1;
		}
		gi = (long)v->n_groups++;
	}
	struct group *g = &v->groups[gi];
	if (!g->whole)
		narrow(g, p);
	g->files++;
	g->size += r->size;
	if (g->files == 1 || r->mtime > g->newest)
		g->newest = r->mtime;
	size_t dirlen;
	const char *engine = inv_db_by_name(p, &dirlen);
	if (engine)
		add_db(g, engine, p, dirlen);
	else if (r->type == INV_FILE && r->size >= 16 && inv_db_candidate(p)) {
		if (grow((void **)&v->cands, &v->cap_cands, v->n_cands + 1, sizeof(struct cand)) < 0)
			return -1;
		v->cands[v->n_cands++] = (struct cand){ ri, (size_t)gi };
	}
	return 0;
}

static void read_headers(struct inv *v)
{
	size_t reads = 0;
	for (size_t i = 0; i < v->n_cands; i++) {
		struct group *g = &v->groups[v->cands[i].group];
		const struct rec *r = &v->recs[v->cands[i].rec];
		if (g->n_dbs == INV_MAX_DBS)
			continue;
		if (reads++ == HEADER_READS) {
			add_note(v, "more than %d files named like databases: the rest were not "
			         "looked into", HEADER_READS);
			return;
		}
		char *buf = NULL;
		size_t len = 0;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s", r->path);
		if (v->src->read(v->src, path, 16, &buf, &len) == 0) {
			const char *engine = inv_db_by_header(buf, len);
			if (engine)
				add_db(g, engine, path, strlen(path));
		}
		free(buf);
	}
}

static int classify(struct inv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		const struct rec *r = &v->recs[i];
		if (r->type == INV_DIR || (r->flags & R_OWNED))
			continue;
		if (v->has_os) {
			if (inv_noise(r->path) || is_swap(v, r->path))
				continue;
			/* /usr/bin/editor -> /etc/alternatives/editor is dpkg's */
			if (r->type == INV_LINK && r->link &&
			    strncmp(r->link, "/etc/alternatives/", 18) == 0)
				continue;
			if (inv_under(r->path, "/etc") || inv_under(r->path, "/var/spool/cron")) {
				if (add_drift(v, r->path, "unowned", NULL) < 0)
					return -1;
				continue;
			}
		}
		if (group_entry(v, i) < 0)
			return -1;
	}
	return 0;
}

/* ---- ranking and the result -------------------------------------------------------- */

static int cmp_root(const void *a, const void *b)
{
	const struct inv_root *x = a, *y = b;
	if (!x->covered_by != !y->covered_by)
		return x->covered_by ? 1 : -1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->newest != y->newest)
		return x->newest > y->newest ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int cmp_drift(const void *a, const void *b)
{
	const struct inv_drift *x = a, *y = b;
	return strcmp(x->path, y->path);
}

static void free_root(struct inv_root *r)
{
	free(r->path);
	for (size_t i = 0; i < r->n_dbs; i++)
		free(r->dbs[i].path);
}

static int add_rescue(struct inv *v, const char *path)
{
	struct inv_result *res = v->res;
	for (size_t i = 0; i < res->n_rescue; i++)
		if (strcmp(res->rescue_paths[i], path) == 0)
			return 0;
	if (grow((void **)&res->rescue_paths, &v->cap_rescue, res->n_rescue + 1, sizeof(char *)) < 0)
		return -1;
	if (!(res->rescue_paths[res->n_rescue] = strdup(path)))
		return -1;
	res->n_rescue++;
	return 0;
}

struct by_top {
	struct inv_root *r;
	size_t len;      /* of the path of its fixed container's child */
};

static int cmp_top(const void *a, const void *b)
{
	const struct by_top *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = strncmp(x->r->path, y->r->path, n);
	return c ? c : x->len < y->len ? -1 : x->len > y->len;
}

/* Files a package's tree gained in place (npm updating itself, pip into
 * dist-packages) make many small roots below one directory: from
 * MERGE_AT of them on, that directory (the child of the fixed container
 * above them) is one root instead. Returns how many roots are left. */
#define MERGE_AT 8
static size_t merge_scattered(const struct inv *v, struct inv_root *all, size_t n)
{
	struct by_top *t = calloc(n ? n : 1, sizeof(*t));
	if (!t)
		return n;  /* unmerged, which is still right */
	for (size_t i = 0; i < n; i++)
		t[i] = (struct by_top){ &all[i], fixed_child_len(v, all[i].path) };
	qsort(t, n, sizeof(*t), cmp_top);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && cmp_top(&t[i], &t[j]) == 0; j++)
			;
		if (j - i < MERGE_AT)
			continue;
		struct inv_root *into = t[i].r;
		char *path = strndup(into->path, t[i].len);
		if (!path)
			continue;
		free(into->path);
		into->path = path;
		for (size_t k = i + 1; k < j; k++) {
			struct inv_root *r = t[k].r;
			into->size += r->size;
			into->files += r->files;
			if (r->newest > into->newest)
				into->newest = r->newest;
			for (size_t d = 0; d < r->n_dbs; d++) {
				if (into->n_dbs < INV_MAX_DBS)
					into->dbs[into->n_dbs++] = r->dbs[d];
				else
					free(r->dbs[d].path);
			}
			r->n_dbs = 0;
			free(r->path);
			r->path = NULL;  /* merged: dropped below */
		}
	}
	free(t);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (all[i].path)
			all[kept++] = all[i];
	return kept;
}

static int make_roots(struct inv *v)
{
	struct inv_result *res = v->res;
	struct inv_root *all = calloc(v->n_groups ? v->n_groups : 1, sizeof(*all));
	if (!all)
		return -1;
	for (size_t i = 0; i < v->n_groups; i++) {
		struct group *g = &v->groups[i];
		struct inv_root *r = &all[i];
		/* a database's directory is never split: ES's nodes/0 is in its data */
		for (size_t d = 0; d < g->n_dbs; d++) {
			size_t dl = strlen(g->dbs[d].path);
			if (dl < g->plen && dl >= strlen(g->key) && g->common[dl] == '/' &&
			    strncmp(g->common, g->dbs[d].path, dl) == 0)
				g->plen = dl;
		}
		r->path = g->is_file ? g->key : strndup(g->common, g->plen ? g->plen : 1);
		if (g->is_file)
			g->key = NULL;
		r->size = g->size;
		r->files = g->files;
		r->newest = g->newest;
		memcpy(r->dbs, g->dbs, sizeof(r->dbs));
		r->n_dbs = g->n_dbs;
		g->n_dbs = 0;
		if (!r->path) {
			for (size_t j = 0; j <= i; j++)
				free_root(&all[j]);
			free(all);
			return -1;
		}
	}
	size_t n = merge_scattered(v, all, v->n_groups);
	for (size_t i = 0; i < n; i++) {
		struct inv_root *r = &all[i];
		r->kind = v->has_os ? inv_root_kind(r->path, r->n_dbs > 0)
		                    : r->n_dbs ? "database" : "data";
		r->covered_by = inv_backups_match(v->opt->backups, r->path);
	}
	qsort(all, n, sizeof(*all), cmp_root);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct inv_root *r = &all[i];
		bool big = r->size >= v->opt->min_size;
		if (big && !r->covered_by) {
			res->unprotected_roots++;
			res->unprotected_size += r->size;
			if (add_rescue(v, r->path) < 0)
				rc = -1;
		}
		if (big && (!v->opt->top || res->n_roots < v->opt->top)) {
			all[res->n_roots++] = *r;  /* listed: moved down in place */
			continue;
		}
		res->hidden_roots++;
		res->hidden_size += r->size;
		free_root(r);
	}
	res->roots = all;
	if (res->n_drift)
		qsort(res->drift, res->n_drift, sizeof(*res->drift), cmp_drift);
	for (size_t i = 0; i < res->n_drift; i++)
		if (!res->drift[i].covered_by) {
			res->unprotected_drift++;
			if (add_rescue(v, inv_under(res->drift[i].path, "/etc") ? "/etc"
			                                                          : "/var/spool/cron") < 0)
				rc = -1;
		}
	return rc;
}

/* ---- the whole ---------------------------------------------------------------------- */

static void free_inv(struct inv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->recs[i].path);
		free(v->recs[i].link);
	}
	free(v->recs);
	free(v->map.slot);
	for (size_t i = 0; i < v->n_confs; i++) {
		free(v->confs[i].package);
		free(v->confs[i].path);
	}
	free(v->confs);
	for (size_t i = 0; i < v->n_groups; i++) {
		free(v->groups[i].key);
		free(v->groups[i].common);
		for (size_t j = 0; j < v->groups[i].n_dbs; j++)
			free(v->groups[i].dbs[j].path);
	}
	free(v->groups);
	free(v->gmap.slot);
	free(v->cands);
	for (size_t i = 0; i < v->n_swaps; i++)
		free(v->swaps[i]);
}

int inventory_run(struct inv_source *src, const struct inv_options *opt,
                  struct inv_result *res, char *why, size_t size)
{
	memset(res, 0, sizeof(*res));
	struct inv v = { .src = src, .opt = opt, .res = res, .has_os = src->has_os };
	res->source = src->name;
	res->has_os = src->has_os;
	int rc = -1;
	char walk_why[512] = "";
	if (src->walk(src, skip_tree, on_entry, &v, walk_why, sizeof(walk_why)) < 0) {
		snprintf(why, size, "%s", walk_why[0] ? walk_why : strerror(ENOMEM));
		goto out;
	}
	if (v.has_os) {
		if (read_dpkg(&v) < 0 || read_ucf(&v) < 0 || read_pacman(&v) < 0)
			goto nomem;
		check_rpm(&v);
		read_fstab(&v);
		if (check_conffiles(&v) < 0 || check_timers(&v) < 0)
			goto nomem;
	}
	if (classify(&v) < 0)
		goto nomem;
	read_headers(&v);
	if (make_roots(&v) < 0 || v.failed)
		goto nomem;
	rc = 0;
	goto out;
nomem:
	snprintf(why, size, "%s", strerror(ENOMEM));
out:
	free_inv(&v);
	return rc;
}

void inv_result_free(struct inv_result *res)
{
	for (size_t i = 0; i < res->n_roots; i++)
		free_root(&res->roots[i]);
	free(res->roots);
	for (size_t i = 0; i < res->n_drift; i++) {
		free(res->drift[i].path);
		free(res->drift[i].package);
	}
	free(res->drift);
	for (size_t i = 0; i < res->n_warnings; i++) {
		free(res->warnings[i].path);
		free(res->warnings[i].message);
	}
	free(res->warnings);
	for (size_t i = 0; i < res->n_rescue; i++)
		free(res->rescue_paths[i]);
	free(res->rescue_paths);
	for (size_t i = 0; i < res->n_notes; i++)
		free(res->notes[i]);
	free(res->notes);
	memset(res, 0, sizeof(*res));
}

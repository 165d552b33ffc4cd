/* test_inventory.c - the inventory's core against a fake source: exact
 * roots, drift, warnings and the covered/unprotected split; the package
 * database parsers on real-format and hostile input */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "../../extract/inv_pkgdb.h"
#include "../../extract/inv_report.h"
#include "../../extract/inv_rules.h"
#include "../../extract/inventory.h"

/* ---- a fake source: a tree in memory ------------------------------------------ */

#define FAKE_MAX 512

struct fake_entry {
	char path[256];
	enum inv_type type;
	int64_t size, mtime;
	const char *content;   /* NULL: SIZE bytes of 'x' */
	const char *link;
	const char *same_as;
	size_t content_len;
};

struct fake {
	struct inv_source src;
	struct fake_entry e[FAKE_MAX];
	size_t n;
	const char *tops[4];
	unsigned reads;
	const char *fail_read;   /* read() of this path fails */
	char *heap[4];           /* contents to free with the fake */
};

static long fake_find(const struct fake *f, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->e[i].path, path) == 0)
			return (long)i;
	return -1;
}

static struct fake_entry *fake_add(struct fake *f, const char *path, enum inv_type t)
{
	/* parents first, as a walk gives them */
	char parent[256];
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent) {
		*slash = '\0';
		if (fake_find(f, parent) < 0)
			fake_add(f, parent, INV_DIR);
	}
	long i = fake_find(f, path);
	assert_true(i < 0);
	assert_true(f->n < FAKE_MAX);
	struct fake_entry *e = &f->e[f->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->path, sizeof(e->path), "%s", path);
	e->type = t;
	e->mtime = 1700000000;
	return e;
}

static void file(struct fake *f, const char *path, const char *content)
{
	struct fake_entry *e = fake_add(f, path, INV_FILE);
	e->content = content;
	e->content_len = strlen(content);
	e->size = (int64_t)e->content_len;
}

static void bytes(struct fake *f, const char *path, const char *content, size_t len)
{
	struct fake_entry *e = fake_add(f, path, INV_FILE);
	e->content = content;
	e->content_len = len;
	e->size = (int64_t)len;
}

static void sized(struct fake *f, const char *path, int64_t size, int64_t mtime)
{
	struct fake_entry *e = fake_add(f, path, INV_FILE);
	e->size = size;
	e->mtime = mtime;
}

static void symlink_to(struct fake *f, const char *path, const char *target)
{
	fake_add(f, path, INV_LINK)->link = target;
}

static void dir(struct fake *f, const char *path)
{
	if (fake_find(f, path) < 0)
		fake_add(f, path, INV_DIR);
}

static int fake_walk(struct inv_source *s, inv_skip_fn skip, inv_emit_fn emit, void *ud,
                     char *why, size_t size)
{
	struct fake *f = s->priv;
	(void)skip, (void)why, (void)size;
	for (size_t i = 0; i < f->n; i++) {
		const struct fake_entry *fe = &f->e[i];
		struct inv_entry e = { fe->path, fe->type, fe->size, fe->mtime, 0644, fe->link,
			               fe->same_as };
		if (emit(ud, &e) < 0)
			return -1;
	}
	return 0;
}

static int fake_read(struct inv_source *s, const char *path, size_t max, char **buf,
                     size_t *len)
{
	struct fake *f = s->priv;
	f->reads++;
	if (f->fail_read && strcmp(path, f->fail_read) == 0)
		return -1;
	long i = fake_find(f, path);
	if (i < 0 || f->e[i].type != INV_FILE)
		return 1;
	const struct fake_entry *e = &f->e[i];
	size_t n = e->content ? e->content_len : (size_t)e->size;
	if (n > max)
		n = max;
	*buf = malloc(n + 1);
	assert_non_null(*buf);
	if (e->content)
		memcpy(*buf, e->content, n);
	else
		memset(*buf, 'x', n);
	(*buf)[n] = '\0';
	*len = n;
	return 0;
}

static struct fake *fake_new(bool has_os)
{
	struct fake *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->src.name = "fake";
	f->src.has_os = has_os;
	f->tops[0] = "/";
	f->src.fs_tops = f->tops;
	f->src.walk = fake_walk;
	f->src.read = fake_read;
	f->src.priv = f;
	dir(f, "/");
	return f;
}

static char *md5_of(const char *s, char out[33])
{
	unsigned char md[16];
	unsigned n;
	EVP_Digest(s, strlen(s), md, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return out;
}

/* ---- the Debian-shaped tree ------------------------------------------------------ */

#define SSHD "Port 22\n"

static struct fake *debian_tree(void)
{
	struct fake *f = fake_new(true);
	char m1[33], m2[33], status[2048];
	symlink_to(f, "/bin", "usr/bin");
	symlink_to(f, "/lib", "usr/lib");
	sized(f, "/usr/bin/ls", 1500, 1600000000);
	file(f, "/etc/ssh/sshd_config", SSHD "PermitRootLogin no\n");      /* changed */
	file(f, "/etc/crontab", "17 * * * * root run-parts\n");           /* unchanged */
	file(f, "/usr/lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd\n");
	sized(f, "/usr/bin/tool.distrib", 200, 1600000000);
	symlink_to(f, "/etc/alternatives/editor", "/usr/bin/nano");
	symlink_to(f, "/usr/bin/editor", "/etc/alternatives/editor");
	sized(f, "/usr/bin/nano", 2500, 1600000000);
	file(f, "/var/lib/dpkg/info/base-files.list",
	     "/.\n/etc\n/home\n/srv\n/var\n/var/lib\n/var/log\n/usr\n/usr/bin\n/usr/lib\n");
	file(f, "/var/lib/dpkg/info/coreutils.list", "/bin\n/bin/ls\n");
	file(f, "/var/lib/dpkg/info/openssh-server.list",
	     "/etc/ssh\n/etc/ssh/sshd_config\n/lib/systemd/system/ssh.service\n");
	file(f, "/var/lib/dpkg/info/cron.list", "/etc/crontab\n");
	file(f, "/var/lib/dpkg/info/nano.md5sums",
	     "0123456789abcdef0123456789abcdef  usr/bin/nano\n");
	file(f, "/var/lib/dpkg/diversions", "/usr/bin/tool\n/usr/bin/tool.distrib\ntool-wrap\n");
	snprintf(status, sizeof(status),
	         "Package: openssh-server\nStatus: install ok installed\nConffiles:\n"
	         " /etc/ssh/sshd_config %s\n\n"
	         "Package: cron\nStatus: install ok installed\nConffiles:\n /etc/crontab %s\n"
	         " /etc/cron.d/gone 0123456789abcdef0123456789abcdef\n\n"
	         "Package: base-files\nStatus: install ok installed\n\n"
	         "Package: coreutils\nStatus: install ok installed\n",
	         md5_of(SSHD, m1), md5_of("17 * * * * root run-parts\n", m2));
	char *st = strdup(status);
	assert_non_null(st);
	file(f, "/var/lib/dpkg/status", st);
	f->heap[0] = st;
	/* data */
	sized(f, "/var/lib/traq/data/a.bin", 3000, 1700000000);
	sized(f, "/var/lib/traq/data/b.bin", 5000, 1700000500);
	file(f, "/var/lib/postgresql/15/main/PG_VERSION", "15\n");
	file(f, "/var/lib/postgresql/15/main/base/1/PG_VERSION", "15\n");
	sized(f, "/var/lib/postgresql/15/main/base/1/1259", 8192, 1700000000);
	sized(f, "/srv/app/uploads/a.png", 600, 1700000000);
	sized(f, "/srv/app/uploads/2026/b.png", 400, 1700000900);
	sized(f, "/home/alice/docs/r.txt", 1000, 1700000000);
	bytes(f, "/home/alice/notes.db", "SQLite format 3\0xxxxxxxx", 24);
	sized(f, "/var/lib/docker/volumes/v1/_data/x", 2000, 1700000000);
	sized(f, "/var/log/app/a.log", 10, 1700000000);
	sized(f, "/var/log/syslog", 20, 1700000000);
	file(f, "/etc/traq/config.yml", "db: x\n");
	file(f, "/etc/systemd/system/reboot.timer", "[Timer]\nOnCalendar=daily\nPersistent=true\n");
	file(f, "/etc/systemd/system/reboot.service", "[Service]\nExecStart=/usr/bin/systemctl reboot\n");
	symlink_to(f, "/etc/systemd/system/timers.target.wants/reboot.timer",
	           "/etc/systemd/system/reboot.timer");
	/* noise */
	sized(f, "/tmp/junk", 5000, 1700000000);
	sized(f, "/var/cache/apt/x.deb", 5000, 1700000000);
	sized(f, "/proc/1/status", 10, 1700000000);
	sized(f, "/etc/machine-id", 33, 1700000000);
	sized(f, "/etc/ssh/ssh_host_rsa_key", 33, 1700000000);
	sized(f, "/var/lib/systemd/random-seed", 512, 1700000000);
	sized(f, "/usr/lib/python3/__pycache__/a.pyc", 512, 1700000000);
	sized(f, "/swapfile", 65536, 1700000000);
	return f;
}

static void free_fake(struct fake *f)
{
	for (size_t i = 0; i < sizeof(f->heap) / sizeof(f->heap[0]); i++)
		free(f->heap[i]);
	free(f);
}

static void run(struct fake *f, const struct inv_options *opt, struct inv_result *r)
{
	char why[256];
	assert_int_equal(inventory_run(&f->src, opt, r, why, sizeof(why)), 0);
}

struct want_root {
	const char *path, *kind;
	int64_t size;
	uint64_t files;
	int64_t newest;
	const char *db;        /* first database's engine, or NULL */
	bool covered;
};

static void expect_roots(const struct inv_result *r, const struct want_root *w, size_t n)
{
	for (size_t i = 0; i < r->n_roots; i++)
		print_message("  root %s %s %lld %llu %lld\n", r->roots[i].path, r->roots[i].kind,
		              (long long)r->roots[i].size, (unsigned long long)r->roots[i].files,
		              (long long)r->roots[i].newest);
	assert_int_equal(r->n_roots, n);
	for (size_t i = 0; i < n; i++) {
		const struct inv_root *g = &r->roots[i];
		assert_string_equal(g->path, w[i].path);
		assert_string_equal(g->kind, w[i].kind);
		assert_int_equal(g->size, w[i].size);
		assert_int_equal(g->files, w[i].files);
		assert_int_equal(g->newest, w[i].newest);
		if (w[i].db) {
			assert_true(g->n_dbs > 0);
			assert_string_equal(g->dbs[0].engine, w[i].db);
		} else
			assert_int_equal(g->n_dbs, 0);
		assert_int_equal(g->covered_by != NULL, w[i].covered);
	}
}

static const struct want_root debian_roots[] = {
	{ "/var/lib/postgresql/15/main", "database", 8198, 3, 1700000000, "postgresql", false },
	{ "/var/lib/traq/data", "service data", 8000, 2, 1700000500, NULL, false },
	{ "/var/lib/docker/volumes/v1", "container volume", 2000, 1, 1700000000, NULL, false },
	{ "/home/alice", "user home", 1024, 2, 1700000000, "sqlite", false },
	{ "/srv/app/uploads", "service data", 1000, 2, 1700000900, NULL, false },
	{ "/var/log", "logs", 30, 2, 1700000000, NULL, false },
};

static void test_debian_roots(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	assert_string_equal(r.package_manager, "dpkg");
	assert_int_equal(r.packages, 4);
	expect_roots(&r, debian_roots, sizeof(debian_roots) / sizeof(debian_roots[0]));
	assert_int_equal(r.unprotected_roots, 6);
	assert_int_equal(r.unprotected_size, 8198 + 8000 + 2000 + 1024 + 1000 + 30);
	assert_int_equal(r.n_notes, 0);
	inv_result_free(&r);
	free_fake(f);
}

static void test_debian_drift_and_warning(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	static const struct { const char *path, *reason, *kind, *package; } want[] = {
		{ "/etc/cron.d/gone", "missing", "cron", "cron" },
		{ "/etc/ssh/sshd_config", "changed", "config", "openssh-server" },
		{ "/etc/systemd/system/reboot.service", "unowned", "systemd unit", NULL },
		{ "/etc/systemd/system/reboot.timer", "unowned", "timer", NULL },
		{ "/etc/traq/config.yml", "unowned", "config", NULL },
	};
	for (size_t i = 0; i < r.n_drift; i++)
		print_message("  drift %s %s\n", r.drift[i].path, r.drift[i].reason);
	assert_int_equal(r.n_drift, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r.n_drift; i++) {
		assert_string_equal(r.drift[i].path, want[i].path);
		assert_string_equal(r.drift[i].reason, want[i].reason);
		assert_string_equal(r.drift[i].kind, want[i].kind);
		if (want[i].package)
			assert_string_equal(r.drift[i].package, want[i].package);
		else
			assert_null(r.drift[i].package);
	}
	assert_int_equal(r.n_warnings, 1);
	assert_string_equal(r.warnings[0].path, "/etc/systemd/system/reboot.timer");
	assert_non_null(strstr(r.warnings[0].message, "Persistent=true"));
	inv_result_free(&r);
	free_fake(f);
}

/* Without the diversions file, tool.distrib is an unpackaged program;
 * without merged-/usr resolution, /usr/bin/ls is: the test can fail. */
static void test_ownership_needs_diversions_and_usrmerge(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	for (size_t i = 0; i < r.n_roots; i++) {
		assert_false(inv_under(r.roots[i].path, "/usr"));
		assert_false(inv_under(r.roots[i].path, "/bin"));
	}
	inv_result_free(&r);
	long d = fake_find(f, "/var/lib/dpkg/diversions");
	f->e[d].content = "";
	f->e[d].content_len = 0;
	run(f, &opt, &r);
	bool seen = false;
	for (size_t i = 0; i < r.n_roots; i++)
		if (strcmp(r.roots[i].path, "/usr/bin/tool.distrib") == 0) {
			seen = true;
			assert_string_equal(r.roots[i].kind, "unpackaged program");
		}
	assert_true(seen);
	inv_result_free(&r);
	free_fake(f);
}

static void test_backed_up_split(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	static const char list[] =
	        "# what restic takes every night\n"
	        "/var/lib/postgresql\n"
	        "/home/*   # every home\n"
	        "\n"
	        "/var/lib/docker/volumes/v1/\n"
	        "/etc/traq\n";
	char why[256];
	struct inv_backups *b = inv_backups_parse(list, strlen(list), why, sizeof(why));
	assert_non_null(b);
	struct inv_options opt = { .backups = b };
	struct inv_result r;
	run(f, &opt, &r);
	static const struct want_root want[] = {
		{ "/var/lib/traq/data", "service data", 8000, 2, 1700000500, NULL, false },
		{ "/srv/app/uploads", "service data", 1000, 2, 1700000900, NULL, false },
		{ "/var/log", "logs", 30, 2, 1700000000, NULL, false },
		{ "/var/lib/postgresql/15/main", "database", 8198, 3, 1700000000, "postgresql", true },
		{ "/var/lib/docker/volumes/v1", "container volume", 2000, 1, 1700000000, NULL, true },
		{ "/home/alice", "user home", 1024, 2, 1700000000, "sqlite", true },
	};
	expect_roots(&r, want, sizeof(want) / sizeof(want[0]));
	assert_string_equal(r.roots[3].covered_by, "/var/lib/postgresql");
	assert_string_equal(r.roots[5].covered_by, "/home/*");
	assert_int_equal(r.unprotected_roots, 3);
	assert_int_equal(r.unprotected_size, 9030);
	/* /etc/traq/config.yml is covered; four other drifted files are not */
	assert_int_equal(r.unprotected_drift, 4);
	char **cmds;
	assert_int_equal(inv_rescue_commands(&r, "a b.qcow2", &cmds), 1);
	assert_string_equal(cmds[0], "lifeboat-extract copy 'a b.qcow2' /var/lib/traq/data "
	                             "/srv/app/uploads /var/log /etc ./rescue");
	assert_null(cmds[1]);
	free(cmds[0]);
	free(cmds);
	inv_result_free(&r);
	inv_backups_free(b);
	free_fake(f);
}

static void test_min_size_and_top(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	struct inv_options opt = { .min_size = 1024, .top = 2 };
	struct inv_result r;
	run(f, &opt, &r);
	assert_int_equal(r.n_roots, 2);
	assert_string_equal(r.roots[0].path, "/var/lib/postgresql/15/main");
	assert_string_equal(r.roots[1].path, "/var/lib/traq/data");
	assert_int_equal(r.hidden_roots, 4);
	assert_int_equal(r.hidden_size, 2000 + 1024 + 1000 + 30);
	/* --top shortens the list, not the verdict; --min-size is a policy */
	assert_int_equal(r.unprotected_roots, 4);
	assert_int_equal(r.n_rescue, 5);   /* four roots and /etc */
	inv_result_free(&r);
	free_fake(f);
}

static void test_no_os_tops_are_data(void **state)
{
	(void)state;
	struct fake *f = fake_new(false);
	f->tops[0] = "/dev/sda1";
	f->tops[1] = "/dev/vg0/lv0";
	f->n = 0;
	dir(f, "/dev/sda1");
	file(f, "/dev/sda1/todo.txt", "ops\n");
	sized(f, "/dev/sda1/photos/2026/a.jpg", 1500, 1700000100);
	sized(f, "/dev/sda1/photos/b.jpg", 500, 1700000000);
	dir(f, "/dev/vg0/lv0");
	file(f, "/dev/vg0/lv0/pg/PG_VERSION", "16\n");
	sized(f, "/dev/vg0/lv0/pg/base/5/1", 8192, 1700000000);
	sized(f, "/dev/vg0/lv0/tmp/kept", 10, 1700000000);  /* no OS: nothing is volatile */
	file(f, "/dev/vg0/lv0/etc/passwd", "x");            /* nor noise */
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	static const struct want_root want[] = {
		{ "/dev/vg0/lv0/pg", "database", 8195, 2, 1700000000, "postgresql", false },
		{ "/dev/sda1/photos", "data", 2000, 2, 1700000100, NULL, false },
		{ "/dev/vg0/lv0/tmp", "data", 10, 1, 1700000000, NULL, false },
		{ "/dev/sda1/todo.txt", "data", 4, 1, 1700000000, NULL, false },
		{ "/dev/vg0/lv0/etc", "data", 1, 1, 1700000000, NULL, false },
	};
	expect_roots(&r, want, sizeof(want) / sizeof(want[0]));
	assert_int_equal(r.n_drift, 0);
	assert_null(r.package_manager);
	inv_result_free(&r);
	free_fake(f);
}

static void test_pacman_tree(void **state)
{
	(void)state;
	struct fake *f = fake_new(true);
	char m[33], files[512];
	symlink_to(f, "/bin", "usr/bin");
	sized(f, "/usr/bin/bash", 9000, 1600000000);
	file(f, "/etc/pacman.conf", "[options]\n");
	file(f, "/etc/ssh/sshd_config", "changed\n");
	sized(f, "/srv/http/site/index.html", 300, 1700000000);
	sized(f, "/var/lib/traq/db.sqlite3", 4096, 1700000000);
	file(f, "/var/lib/pacman/local/ALPM_DB_VERSION", "9\n");
	file(f, "/var/lib/pacman/local/bash-5.2-1/desc", "%NAME%\nbash\n\n%VERSION%\n5.2-1\n");
	file(f, "/var/lib/pacman/local/bash-5.2-1/files",
	     "%FILES%\netc/\nsrv/\nsrv/http/\nusr/\nusr/bin/\nbin/bash\nvar/\nvar/lib/\n\n");
	snprintf(files, sizeof(files), "%%FILES%%\netc/pacman.conf\netc/ssh/sshd_config\n\n"
	         "%%BACKUP%%\netc/pacman.conf\t%s\netc/ssh/sshd_config\t%s\n",
	         md5_of("[options]\n", m), "00000000000000000000000000000000");
	char *fl = strdup(files);
	file(f, "/var/lib/pacman/local/pacman-7.0-1/files", fl);
	f->heap[0] = fl;
	/* no desc: the name comes from the directory */
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	assert_string_equal(r.package_manager, "pacman");
	assert_int_equal(r.packages, 2);
	static const struct want_root want[] = {
		{ "/var/lib/traq", "service data", 4096, 1, 1700000000, NULL, false },
		{ "/srv/http/site", "web root", 300, 1, 1700000000, NULL, false },
	};
	expect_roots(&r, want, 2);
	assert_int_equal(r.n_drift, 1);
	assert_string_equal(r.drift[0].path, "/etc/ssh/sshd_config");
	assert_string_equal(r.drift[0].reason, "changed");
	assert_string_equal(r.drift[0].package, "pacman-7.0-1");
	inv_result_free(&r);
	free_fake(f);
}

/* A database that cannot be read is said, not taken for "nothing owned
 * here" silently; an rpm database is named as unsupported. */
static void test_unreadable_db_and_rpm_are_noted(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	f->fail_read = "/var/lib/dpkg/info/coreutils.list";
	sized(f, "/var/lib/rpm/rpmdb.sqlite", 4096, 1700000000);
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	assert_int_equal(r.n_notes, 2);
	assert_non_null(strstr(r.notes[0], "coreutils.list"));
	assert_non_null(strstr(r.notes[1], "rpm is not supported yet"));
	bool ls = false;
	for (size_t i = 0; i < r.n_roots; i++)
		ls |= strcmp(r.roots[i].path, "/usr/bin/ls") == 0;
	assert_true(ls);
	inv_result_free(&r);
	free_fake(f);
}

/* Symlinked directories that loop, and a package naming a path through
 * them: resolution stops. */
/* A hard link the reader names by its first path counts that file's size. */
static void test_hard_link_counts_its_size(void **state)
{
	(void)state;
	struct fake *f = fake_new(true);
	sized(f, "/srv/a/one", 700, 1700000000);
	struct fake_entry *e = fake_add(f, "/srv/a/two", INV_FILE);
	e->same_as = "/srv/a/one";
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	static const struct want_root want[] = {
		{ "/srv/a", "service data", 1400, 2, 1700000000, NULL, false },
	};
	expect_roots(&r, want, 1);
	inv_result_free(&r);
	free_fake(f);
}

/* npm updating itself inside its package's tree leaves files in many
 * owned directories: one root for the lot, not one per directory; and
 * /root is one home even though a package owns it. */
static void test_scattered_files_make_one_root(void **state)
{
	(void)state;
	struct fake *f = fake_new(true);
	char list[4096], path[128];
	int n = snprintf(list, sizeof(list), "/usr\n/usr/lib\n/root\n/usr/lib/node_modules\n"
	                 "/usr/lib/node_modules/npm\n");
	for (int i = 0; i < 9; i++) {
		n += snprintf(list + n, sizeof(list) - (size_t)n, "/usr/lib/node_modules/npm/m%d\n", i);
		snprintf(path, sizeof(path), "/usr/lib/node_modules/npm/m%d/new.js", i);
		sized(f, path, 100, 1700000000 + i);
	}
	sized(f, "/root/.cargo/env", 10, 1700000000);
	sized(f, "/root/.npmrc", 5, 1700000000);
	dir(f, "/root/.cargo");
	file(f, "/var/lib/dpkg/status", "Package: npm\nStatus: install ok installed\n");
	char *l = strdup(list);
	file(f, "/var/lib/dpkg/info/npm.list", l);
	f->heap[0] = l;
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	static const struct want_root want[] = {
		{ "/usr/lib/node_modules", "unpackaged program", 900, 9, 1700000008, NULL, false },
		{ "/root", "user home", 15, 2, 1700000000, NULL, false },
	};
	expect_roots(&r, want, 2);
	inv_result_free(&r);
	free_fake(f);
}

/* What a streaming source keeps for the inventory, by path. */
static void test_prefetch(void **state)
{
	(void)state;
	assert_true(inv_prefetch("/var/lib/dpkg/status", 2000000) >= 2000000);
	assert_true(inv_prefetch("/var/lib/dpkg/info/bash.list", 9000) >= 9000);
	assert_int_equal(inv_prefetch("/var/lib/dpkg/info/bash.md5sums", 9000), 0);
	assert_int_equal(inv_prefetch("/var/lib/dpkg/info/sub/x.list", 10), 0);
	assert_true(inv_prefetch("/var/lib/pacman/local/bash-5.2-1/files", 10) > 0);
	assert_true(inv_prefetch("/etc/ssh/sshd_config", 3000) >= 3000);
	assert_int_equal(inv_prefetch("/etc/big.bin", 50 << 20), 0);
	assert_true(inv_prefetch("/usr/lib/systemd/system/apt-daily.timer", 100) > 0);
	assert_int_equal(inv_prefetch("/home/alice/notes.sqlite", 1 << 30), 16);
	assert_int_equal(inv_prefetch("/usr/bin/ls", 100000), 0);
}

static void test_symlink_loop_is_bounded(void **state)
{
	(void)state;
	struct fake *f = fake_new(true);
	symlink_to(f, "/a", "/b");
	symlink_to(f, "/b", "a");
	symlink_to(f, "/c", "c/../c");
	file(f, "/var/lib/dpkg/status", "Package: x\nStatus: install ok installed\n");
	file(f, "/var/lib/dpkg/info/x.list", "/a/x\n/b/y/z\n/c/d\n/../../etc\n");
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	assert_int_equal(r.owned, 0);
	inv_result_free(&r);
	free_fake(f);
}

/* ---- parsers ----------------------------------------------------------------------- */

struct seen {
	char items[64][300];
	size_t n;
};

static int see_path(void *ud, const char *path)
{
	struct seen *s = ud;
	if (s->n < 64)
		snprintf(s->items[s->n++], sizeof(s->items[0]), "%s", path);
	return 0;
}

static int see_conf(void *ud, const char *pkg, const char *path, const char *md5, bool inst)
{
	struct seen *s = ud;
	if (s->n < 64)
		snprintf(s->items[s->n++], sizeof(s->items[0]), "%s|%s|%s|%d", pkg, path, md5, inst);
	return 0;
}

static void expect_seen(const struct seen *s, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	for (size_t i = 0; i < s->n; i++)
		print_message("  seen %s\n", s->items[i]);
	assert_int_equal(s->n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(s->items[i], want[i]);
}

#define M "0123456789abcdef0123456789abcdef"

static void test_dpkg_status(void **state)
{
	(void)state;
	static const char status[] =
	        "Package: a\nStatus: install ok installed\nPriority: optional\nConffiles:\n"
	        " /etc/a.conf " M "\n"
	        " /etc/with space.conf " M "\n"
	        " /etc/old.conf " M " obsolete\n"
	        " /etc/new.conf newconffile\n"
	        " /etc/gone.conf " M " remove-on-upgrade\n"
	        " relative.conf " M "\n"
	        " /etc/short.conf 0123\n"
	        "Description: a\n continued /etc/not-a-conffile " M "\n"
	        "\n\n\n"
	        "Package: b\nStatus: deinstall ok config-files\nConffiles:\n /etc/b.conf " M "\n"
	        "\n"
	        "Package: c\nStatus: purge ok not-installed\nConffiles:\n /etc/c.conf " M "\n"
	        "\n"
	        "Status: install ok installed\nConffiles:\n /etc/nopkg " M "\n"
	        "\n"
	        /* CRLF, as an editor may leave it: read the same */
	        "Package: d\r\nStatus: install ok installed\r\nConffiles:\r\n /etc/d.conf " M "\r\n";
	struct seen s = { .n = 0 };
	assert_int_equal(inv_dpkg_status(status, sizeof(status) - 1, see_conf, &s), 2);
	static const char *const want[] = {
		"a|/etc/a.conf|" M "|1", "a|/etc/with space.conf|" M "|1",
		"a|/etc/gone.conf|" M "|1", "b|/etc/b.conf|" M "|0", "d|/etc/d.conf|" M "|1", NULL,
	};
	expect_seen(&s, want);
}

static void test_dpkg_status_hostile(void **state)
{
	(void)state;
	/* NULs, a line longer than any path, no final newline, a truncated
	 * field: nothing read past the buffer (ASan says), nothing invented */
	char buf[20000];
	size_t n = 0;
	static const char head[] = "Package: a\nStatus: install ok installed\nConffiles:\n /etc/";
	static const char tail[] = " " M "\n /etc/n\0l " M "\n /etc/ok " M;
	memcpy(buf, head, sizeof(head) - 1);
	n += sizeof(head) - 1;
	memset(buf + n, 'A', 9000);
	n += 9000;
	memcpy(buf + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	struct seen s = { .n = 0 };
	assert_int_equal(inv_dpkg_status(buf, n, see_conf, &s), 1);
	static const char *const want[] = { "a|/etc/ok|" M "|1", NULL };
	expect_seen(&s, want);
	/* every prefix of a real status: never more than the whole gives */
	static const char real[] = "Package: a\nStatus: install ok installed\nConffiles:\n"
	                           " /etc/a " M "\n";
	for (size_t cut = 0; cut < sizeof(real) - 1; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, real, cut);
		struct seen t = { .n = 0 };
		assert_true(inv_dpkg_status(copy, cut, see_conf, &t) <= 1);
		assert_true(t.n <= 1);
		free(copy);
	}
	struct seen e = { .n = 0 };
	assert_int_equal(inv_dpkg_status("", 0, see_conf, &e), 0);
	assert_int_equal(inv_dpkg_status("\n\n\n", 3, see_conf, &e), 0);
}

static void test_dpkg_list_and_md5sums(void **state)
{
	(void)state;
	char big[6000];
	memset(big, 'x', sizeof(big));
	big[0] = '/';
	big[sizeof(big) - 1] = '\n';
	char list[7000];
	size_t n = (size_t)snprintf(list, sizeof(list), "/.\n/usr/\n/usr/bin/ls\nrelative\n\n");
	memcpy(list + n, big, sizeof(big));
	n += sizeof(big);
	memcpy(list + n, "/a\0b\n/last", 10);  /* no newline at the end */
	n += 10;
	struct seen s = { .n = 0 };
	assert_int_equal(inv_dpkg_list(list, n, see_path, &s), 0);
	static const char *const want[] = { "/usr", "/usr/bin/ls", "/last", NULL };
	expect_seen(&s, want);

	static const char sums[] = M "  usr/bin/nano\n"
	                           M " usr/bin/one-space\n"
	                           "0123  usr/bin/short\n"
	                           "0123456789ABCDEF0123456789ABCDEF  usr/bin/upper\n"
	                           M "  /abs\n"
	                           M "  \n"
	                           M "  usr/share/doc/a b";
	struct seen t = { .n = 0 };
	assert_int_equal(inv_dpkg_md5sums(sums, sizeof(sums) - 1, see_path, &t), 0);
	static const char *const want2[] = { "/usr/bin/nano", "/usr/share/doc/a b", NULL };
	expect_seen(&t, want2);
}

static void test_dpkg_diversions_and_alternatives(void **state)
{
	(void)state;
	static const char div[] = "/usr/bin/a\n/usr/bin/a.distrib\npkg\n"
	                          "/etc/b\n/etc/b.local\n:\n"
	                          "/usr/bin/trunc\n";
	struct seen s = { .n = 0 };
	assert_int_equal(inv_dpkg_diversions(div, sizeof(div) - 1, see_path, &s), 0);
	static const char *const want[] = { "/usr/bin/a", "/usr/bin/a.distrib", "/etc/b",
		                             "/etc/b.local", "/usr/bin/trunc", NULL };
	expect_seen(&s, want);
	static const char alt[] = "auto\n/usr/bin/editor\neditor.1.gz\n"
	                          "/usr/share/man/man1/editor.1.gz\n\n/bin/nano\n40\n"
	                          "/usr/share/man/man1/nano.1.gz\n\n";
	struct seen t = { .n = 0 };
	assert_int_equal(inv_dpkg_alternative(alt, sizeof(alt) - 1, see_path, &t), 0);
	static const char *const want2[] = { "/usr/bin/editor", "/usr/share/man/man1/editor.1.gz",
		                              NULL };
	expect_seen(&t, want2);
}

static void test_pacman_parsers(void **state)
{
	(void)state;
	static const char files[] = "%FILES%\netc/\netc/ssh/sshd_config\nusr/bin/ssh\n/abs\n\n"
	                            "%BACKUP%\netc/ssh/sshd_config\t" M "\n"
	                            "etc/bad\tnot-an-md5\netc/notab " M "\n"
	                            "%UNKNOWN%\nusr/hidden\n"
	                            "%FILES%\nusr/again";
	struct seen s = { .n = 0 };
	assert_int_equal(inv_pacman_files(files, sizeof(files) - 1, "openssh", see_path,
	                                  see_conf, &s), 0);
	static const char *const want[] = { "/etc", "/etc/ssh/sshd_config", "/usr/bin/ssh",
		                             "openssh|/etc/ssh/sshd_config|" M "|1", "/usr/again",
		                             NULL };
	expect_seen(&s, want);
	char name[64];
	static const char desc[] = "%NAME%\nopenssh\n\n%VERSION%\n9.9p1-2\n";
	assert_int_equal(inv_pacman_name(desc, sizeof(desc) - 1, name, sizeof(name)), 0);
	assert_string_equal(name, "openssh");
	assert_int_equal(inv_pacman_name("%NAME%\n", 7, name, sizeof(name)), -1);
	assert_int_equal(inv_pacman_name("%NAME%\n../x\n", 12, name, sizeof(name)), -1);
	assert_int_equal(inv_pacman_name("%NAME%\nabcdefgh\n", 16, name, 4), -1);
}

static int count_path(void *ud, const char *path)
{
	assert_true(path[0] == '/' && strlen(path) < INV_PATH_MAX + 1);
	(*(size_t *)ud)++;
	return 0;
}

static int count_conf(void *ud, const char *pkg, const char *path, const char *md5, bool inst)
{
	(void)pkg, (void)inst;
	assert_true(path[0] == '/' && strlen(md5) == 32);
	(*(size_t *)ud)++;
	return 0;
}

/* Every parser on random bytes and on valid text with random bytes
 * changed: each callback sees a sane path, nothing is read out of bounds
 * (the sanitizer build says). Deterministic: the same seed every run. */
static void test_parsers_survive_random_input(void **state)
{
	(void)state;
	static const char seed_text[] =
	        "Package: a\nStatus: install ok installed\nConffiles:\n /etc/a " M "\n\n"
	        "%FILES%\netc/a\n\n%BACKUP%\netc/a\t" M "\n%NAME%\nx\n"
	        M "  usr/bin/a\n/usr/bin/a\n/usr/bin/a.distrib\npkg\nauto\n/usr/bin/e\n";
	static const char alphabet[] = "/\n\t :%\0aZ0f.";
	srandom(14);
	char buf[512], name[64];
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)random() % sizeof(buf);
		if (round % 2) {
			n = sizeof(seed_text) - 1;
			memcpy(buf, seed_text, n);
			for (int k = 0; k < 4; k++)
				buf[(size_t)random() % n] = alphabet[random() % (sizeof(alphabet) - 1)];
		} else
			for (size_t i = 0; i < n; i++)
				buf[i] = alphabet[random() % (sizeof(alphabet) - 1)];
		/* an exact-size copy, so ASan sees a read past the end */
		char *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		size_t seen = 0;
		assert_true(inv_dpkg_status(copy, n, count_conf, &seen) >= 0);
		assert_int_equal(inv_dpkg_list(copy, n, count_path, &seen), 0);
		assert_int_equal(inv_dpkg_md5sums(copy, n, count_path, &seen), 0);
		assert_int_equal(inv_dpkg_diversions(copy, n, count_path, &seen), 0);
		assert_int_equal(inv_dpkg_alternative(copy, n, count_path, &seen), 0);
		assert_int_equal(inv_pacman_files(copy, n, "p", count_path, count_conf, &seen), 0);
		assert_int_equal(inv_ucf_hashfile(copy, n, count_conf, &seen), 0);
		inv_pacman_name(copy, n, name, sizeof(name));
		inv_unit_values(copy, n, "Timer", "Persistent", NULL, NULL);
		inv_reboots(copy, n);
		char why[128];
		inv_backups_free(inv_backups_parse(copy, n, why, sizeof(why)));
		free(copy);
	}
}

static void test_ucf(void **state)
{
	(void)state;
	static const char hash[] = M "  /etc/pam.d/common-auth\n"
	                           M " /etc/one-space\n"
	                           "short  /etc/x\n"
	                           M "  relative\n";
	struct seen s = { .n = 0 };
	assert_int_equal(inv_ucf_hashfile(hash, sizeof(hash) - 1, see_conf, &s), 0);
	static const char *const want[] = { "|/etc/pam.d/common-auth|" M "|1",
		                             "|/etc/one-space|" M "|1", NULL };
	expect_seen(&s, want);
	/* and in a tree: the registry names the package; an unchanged file is
	 * neither drift nor unowned, a changed one is "changed" */
	struct fake *f = fake_new(true);
	char m[33], text[256];
	file(f, "/etc/pam.d/common-auth", "auth required pam_unix.so\n");
	file(f, "/etc/pam.d/common-password", "edited\n");
	file(f, "/var/lib/dpkg/status", "Package: libpam-runtime\nStatus: install ok installed\n");
	snprintf(text, sizeof(text), "%s  /etc/pam.d/common-auth\n%s  /etc/pam.d/common-password\n",
	         md5_of("auth required pam_unix.so\n", m), M);
	char *h = strdup(text);
	file(f, "/var/lib/ucf/hashfile", h);
	f->heap[0] = h;
	file(f, "/var/lib/ucf/registry", "libpam-runtime \t /etc/pam.d/common-auth\n"
	                                 "libpam-runtime \t /etc/pam.d/common-password\n");
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	assert_int_equal(r.n_drift, 1);
	assert_string_equal(r.drift[0].path, "/etc/pam.d/common-password");
	assert_string_equal(r.drift[0].reason, "changed");
	assert_string_equal(r.drift[0].package, "libpam-runtime");
	inv_result_free(&r);
	free_fake(f);
}

/* ---- --backed-up, sizes, rules --------------------------------------------------------- */

static void test_backups(void **state)
{
	(void)state;
	char why[256];
	static const char text[] = "  # comment\n/srv/app/  \n/home/*\n/data/file#1\n/var/lib/x # c\n";
	struct inv_backups *b = inv_backups_parse(text, sizeof(text) - 1, why, sizeof(why));
	assert_non_null(b);
	assert_string_equal(inv_backups_match(b, "/srv/app"), "/srv/app");
	assert_string_equal(inv_backups_match(b, "/srv/app/uploads/x"), "/srv/app");
	assert_null(inv_backups_match(b, "/srv/application"));
	assert_string_equal(inv_backups_match(b, "/home/alice"), "/home/*");
	assert_string_equal(inv_backups_match(b, "/home/alice/mail/x"), "/home/*");
	assert_null(inv_backups_match(b, "/home"));
	assert_string_equal(inv_backups_match(b, "/data/file#1"), "/data/file#1");
	assert_string_equal(inv_backups_match(b, "/var/lib/x"), "/var/lib/x");
	assert_null(inv_backups_match(b, "/var/lib"));
	inv_backups_free(b);
	assert_null(inv_backups_parse("/ok\nrelative/path\n", 18, why, sizeof(why)));
	assert_non_null(strstr(why, "line 2"));
	assert_null(inv_backups_parse("/a\0b\n", 5, why, sizeof(why)));
	assert_non_null(strstr(why, "line 1"));
	b = inv_backups_parse("/\n", 2, why, sizeof(why));
	assert_string_equal(inv_backups_match(b, "/anything/at/all"), "/");
	inv_backups_free(b);
	b = inv_backups_parse("", 0, why, sizeof(why));
	assert_non_null(b);
	assert_null(inv_backups_match(b, "/x"));
	inv_backups_free(b);
}

static void test_sizes(void **state)
{
	(void)state;
	int64_t v;
	assert_int_equal(inv_parse_size("0", &v), 0), assert_int_equal(v, 0);
	assert_int_equal(inv_parse_size("512", &v), 0), assert_int_equal(v, 512);
	assert_int_equal(inv_parse_size("10k", &v), 0), assert_int_equal(v, 10240);
	assert_int_equal(inv_parse_size("5M", &v), 0), assert_int_equal(v, 5 << 20);
	assert_int_equal(inv_parse_size("1GiB", &v), 0), assert_int_equal(v, 1 << 30);
	assert_int_equal(inv_parse_size("2T", &v), 0), assert_int_equal(v, 2LL << 40);
	assert_int_equal(inv_parse_size("", &v), -1);
	assert_int_equal(inv_parse_size("-1", &v), -1);
	assert_int_equal(inv_parse_size("5X", &v), -1);
	assert_int_equal(inv_parse_size("5Mx", &v), -1);
	assert_int_equal(inv_parse_size("99999999999T", &v), -1);
	assert_int_equal(inv_parse_size("99999999999999999999", &v), -1);
}

static void test_reboot_detection(void **state)
{
	(void)state;
	static const struct { const char *text; bool reboots; } rows[] = {
		{ "/usr/bin/systemctl reboot", true },
		{ "/sbin/reboot", true },
		{ "reboot -f", true },
		{ "/sbin/shutdown -r now", true },
		{ "shutdown --reboot +5", true },
		{ "systemctl kexec", true },
		{ "#!/bin/sh\nbackup\n/sbin/shutdown -r now\n", true },
		{ "/sbin/shutdown -h now", false },
		{ "/usr/bin/rebooter", false },
		{ "/usr/lib/apt/apt.systemd.daily update", false },
		{ "#!/bin/sh\n# reboot here one day\nexit 0\n", false },
		{ "logger -r x", false },
		{ "echo no-reboot", false },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("  %s\n", rows[i].text);
		assert_int_equal(inv_reboots(rows[i].text, strlen(rows[i].text)), rows[i].reboots);
	}
}

static void test_rules(void **state)
{
	(void)state;
	assert_true(inv_volatile("/proc"));
	assert_true(inv_volatile("/var/cache/apt/x"));
	assert_false(inv_volatile("/var/cached"));
	assert_false(inv_volatile("/srv/tmp"));
	assert_true(inv_noise("/var/lib/dpkg/status"));
	assert_true(inv_noise("/etc/ssh/ssh_host_ed25519_key"));
	assert_true(inv_noise("/usr/lib/python3/dist-packages/x/__pycache__/y.pyc"));
	assert_false(inv_noise("/etc/ssh/sshd_config"));
	assert_false(inv_noise("/var/lib/dpkgx"));
	assert_string_equal(inv_root_kind("/var/lib/docker/volumes/x", false), "container volume");
	assert_string_equal(inv_root_kind("/home/bob", true), "user home");
	assert_string_equal(inv_root_kind("/root", false), "user home");
	assert_string_equal(inv_root_kind("/var/lib/x", true), "database");
	assert_string_equal(inv_root_kind("/var/www/site", false), "web root");
	assert_string_equal(inv_root_kind("/var/log", false), "logs");
	assert_string_equal(inv_root_kind("/opt/app", false), "unpackaged program");
	assert_string_equal(inv_root_kind("/usr/local/bin/x", false), "unpackaged program");
	assert_string_equal(inv_root_kind("/var/lib/app", false), "service data");
	assert_string_equal(inv_drift_kind("/etc/cron.daily/x"), "cron");
	assert_string_equal(inv_drift_kind("/etc/systemd/system/x.timer"), "timer");
	assert_string_equal(inv_drift_kind("/etc/systemd/system/x.service.d/o.conf"),
	                    "systemd unit");
	assert_string_equal(inv_drift_kind("/etc/app.conf"), "config");
	size_t dl;
	assert_string_equal(inv_db_by_name("/d/nodes/0/_state/x", &dl), "elasticsearch");
	assert_int_equal(dl, 2);
	assert_null(inv_db_by_name("/d/nodes/x/y", &dl));
	assert_null(inv_db_by_name("/pg/base/1/PG_VERSION", &dl));
	assert_string_equal(inv_db_by_name("/pg/PG_VERSION", &dl), "postgresql");
	assert_int_equal(dl, 3);
	assert_string_equal(inv_db_by_header("REDIS0011", 9), "redis");
	assert_null(inv_db_by_header("SQLite format 3", 15));
}

static void test_unit_values(void **state)
{
	(void)state;
	static const char unit[] = "[Unit]\nPersistent=true\n[Timer]\n  Persistent = yes \r\n"
	                           "PersistentX=1\nUnit=x.service\n[Timer\nUnit=y\n";
	size_t n = inv_unit_values(unit, sizeof(unit) - 1, "Timer", "Persistent", NULL, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(inv_unit_values(unit, sizeof(unit) - 1, "Timer", "Unit", NULL, NULL), 1);
	assert_true(inv_unit_true("yes") && inv_unit_true("ON") && !inv_unit_true("no"));
}

static void test_json_schema(void **state)
{
	(void)state;
	struct fake *f = debian_tree();
	struct inv_options opt = { 0 };
	struct inv_result r;
	run(f, &opt, &r);
	json_t *doc = inv_report_json(&r, "img.qcow2");
	assert_non_null(doc);
	static const char *const keys[] = {
		"schema", "image", "reader", "os", "package_manager", "packages", "entries",
		"owned", "roots", "hidden", "unprotected", "drift", "warnings", "notes", "rescue", NULL,
	};
	size_t n = 0;
	for (const char *const *k = keys; *k; k++, n++)
		assert_non_null(json_object_get(doc, *k));
	assert_int_equal(json_object_size(doc), n);
	assert_int_equal(json_integer_value(json_object_get(doc, "schema")), 1);
	json_t *root = json_array_get(json_object_get(doc, "roots"), 0);
	assert_string_equal(json_string_value(json_object_get(root, "status")), "unprotected");
	assert_true(json_is_null(json_object_get(root, "covered_by")));
	assert_int_equal(json_object_size(root), 8);
	json_decref(doc);
	char buf[8192];
	FILE *out = fmemopen(buf, sizeof(buf), "w");
	assert_int_equal(inv_report_text(out, &r, "img.qcow2"), 0);
	fclose(out);
	assert_non_null(strstr(buf, "lifeboat-extract copy img.qcow2 /var/lib/postgresql/15/main"));
	assert_non_null(strstr(buf, "warning: /etc/systemd/system/reboot.timer"));
	inv_result_free(&r);
	free_fake(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_roots),
		cmocka_unit_test(test_debian_drift_and_warning),
		cmocka_unit_test(test_ownership_needs_diversions_and_usrmerge),
		cmocka_unit_test(test_backed_up_split),
		cmocka_unit_test(test_min_size_and_top),
		cmocka_unit_test(test_no_os_tops_are_data),
		cmocka_unit_test(test_pacman_tree),
		cmocka_unit_test(test_unreadable_db_and_rpm_are_noted),
		cmocka_unit_test(test_hard_link_counts_its_size),
		cmocka_unit_test(test_prefetch),
		cmocka_unit_test(test_scattered_files_make_one_root),
		cmocka_unit_test(test_symlink_loop_is_bounded),
		cmocka_unit_test(test_dpkg_status),
		cmocka_unit_test(test_dpkg_status_hostile),
		cmocka_unit_test(test_dpkg_list_and_md5sums),
		cmocka_unit_test(test_dpkg_diversions_and_alternatives),
		cmocka_unit_test(test_pacman_parsers),
		cmocka_unit_test(test_ucf),
		cmocka_unit_test(test_parsers_survive_random_input),
		cmocka_unit_test(test_backups),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_reboot_detection),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_unit_values),
		cmocka_unit_test(test_json_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

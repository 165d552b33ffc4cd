/* inv_rules.c - what the inventory knows about a Linux tree, as tables
 * one can read and test: decisions as data */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include "inv_rules.h"

bool inv_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (strcmp(dir, "/") == 0)
		return path[0] == '/';
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool match_any(const char *const *globs, const char *path)
{
	for (const char *const *g = globs; *g; g++)
		if (fnmatch(*g, path, 0) == 0)
			return true;
	return false;
}

static bool under_any(const char *const *dirs, const char *path)
{
	for (const char *const *d = dirs; *d; d++)
		if (inv_under(path, *d))
			return true;
	return false;
}

/* Trees written by package managers, installers and services for
 * themselves: rebuilt by reinstalling, never a user's data. */
static const char *const noise_trees[] = {
	"/var/lib/dpkg", "/var/lib/apt", "/var/lib/aptitude", "/var/lib/pacman", "/var/lib/rpm",
	"/usr/lib/sysimage/rpm", "/var/lib/ucf", "/var/lib/systemd", "/var/lib/dhcp",
	"/var/lib/dbus", "/var/lib/pam", "/var/lib/sgml-base", "/var/lib/xml-core",
	"/var/lib/man-db", "/var/lib/initramfs-tools", "/var/lib/logrotate", "/var/lib/os-prober",
	"/var/lib/polkit-1", "/var/lib/python", "/var/lib/vim", "/var/lib/misc", "/var/lib/cloud",
	"/var/lib/emacsen-common", "/var/lib/update-notifier", "/var/lib/ubuntu-advantage",
	"/var/lib/private/systemd", "/var/backups", "/boot", "/lost+found", "/etc/alternatives",
	"/etc/ssl/certs", "/etc/pacman.d/gnupg", "/etc/apparmor.d/cache", "/root/.cache",
	NULL,
};

/* Single generated files (fnmatch, '*' crosses '/'). */
static const char *const noise_globs[] = {
	"*/__pycache__/*", "*.pyc", "/home/*/.cache/*",
	"/usr/lib/locale/locale-archive", "/usr/share/info/dir", "/usr/share/info/dir.old",
	"/usr/lib/modules/*/modules.*", "/lib/modules/*/modules.*", "/usr/share/mime/*",
	"/usr/share/icons/*/icon-theme.cache", "/usr/lib/*/gdk-pixbuf-2.0/*/loaders.cache",
	"/usr/share/glib-2.0/schemas/gschemas.compiled", "/usr/lib/*/gio/modules/giomodule.cache",
	"/usr/share/applications/mimeinfo.cache", "/usr/lib/udev/hwdb.bin", "/etc/udev/hwdb.bin",
	"/usr/share/fonts/*/fonts.dir", "/usr/share/fonts/*/fonts.scale",
	"/var/lib/shells.state", "/swapfile", "/swap.img", "/swap", "/initrd.img",
	"/initrd.img.old", "/vmlinuz", "/vmlinuz.old",
	"/etc/passwd", "/etc/passwd-", "/etc/group", "/etc/group-", "/etc/shadow", "/etc/shadow-",
	"/etc/gshadow", "/etc/gshadow-", "/etc/subuid", "/etc/subuid-", "/etc/subgid",
	"/etc/subgid-", "/etc/.pwd.lock", "/etc/machine-id", "/etc/hostname", "/etc/hosts",
	"/etc/resolv.conf", "/etc/adjtime", "/etc/ld.so.cache", "/etc/mtab", "/etc/localtime",
	"/etc/timezone", "/etc/fstab", "/etc/.updated", "/etc/ca-certificates.conf",
	"/etc/ssh/ssh_host_*", "/etc/systemd/system/*.wants/*", "/etc/systemd/system/*.requires/*",
	"/etc/systemd/user/*.wants/*", "/etc/*.dpkg-old", "/etc/*.dpkg-dist", "/etc/*.dpkg-new",
	"/etc/*.ucf-old", "/etc/*.ucf-dist", "/etc/*.pacnew", "/etc/pacman.d/mirrorlist.*",
	"/etc/ld.so.conf.d/*.cache",
	/* merged /usr: the top-level links no package lists */
	"/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
	NULL,
};

bool inv_noise(const char *path)
{
	return under_any(noise_trees, path) || match_any(noise_globs, path);
}

/* Directories whose children are separate roots even when no package
 * owns them; every ancestor of one is one too, so roots never nest. */
static const char *const containers[] = {
	"/", "/var", "/var/lib", "/var/spool", "/var/opt", "/var/local", "/var/mail", "/srv",
	"/home", "/opt", "/mnt", "/media", "/usr", "/usr/local", "/usr/local/bin",
	"/usr/local/sbin", "/usr/local/lib", "/usr/local/share", "/usr/local/etc",
	"/var/lib/docker", "/var/lib/docker/volumes", "/var/lib/containers",
	"/var/lib/containers/storage", "/var/lib/containers/storage/volumes", "/etc",
	"/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libx32",
	"/usr/libexec", "/usr/share", "/usr/include", "/usr/src", "/usr/games",
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib/i386-linux-gnu",
	NULL,
};

static const char *const volume_dirs[] = {
	"/var/lib/docker/volumes", "/var/lib/containers/storage/volumes", NULL,
};

bool inv_fixed_container(const char *dir)
{
	for (const char *const *c = containers; *c; c++)
		if (strcmp(*c, dir) == 0)
			return true;
	return false;
}

bool inv_whole_children(const char *dir, size_t n)
{
	for (const char *const *d = volume_dirs; *d; d++)
		if (strlen(*d) == n && strncmp(*d, dir, n) == 0)
			return true;
	return false;
}

bool inv_one_root(const char *dir)
{
	return inv_under(dir, "/var/log") || inv_under(dir, "/root") ||
	       (inv_under(dir, "/home") && strcmp(dir, "/home") != 0);
}

static const char *const web_dirs[] = {
	"/var/www", "/srv/www", "/srv/http", "/usr/share/nginx/html", NULL,
};
static const char *const program_dirs[] = {
	"/opt", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", NULL,
};

const char *inv_root_kind(const char *path, bool has_db)
{
	for (const char *const *d = volume_dirs; *d; d++)
		if (inv_under(path, *d) && strcmp(path, *d) != 0)
			return "container volume";
	if (inv_under(path, "/root") || (inv_under(path, "/home") && strcmp(path, "/home") != 0))
		return "user home";
	if (has_db)
		return "database";
	if (under_any(web_dirs, path))
		return "web root";
	if (inv_under(path, "/var/log"))
		return "logs";
	if (under_any(program_dirs, path))
		return "unpackaged program";
	return "service data";
}

const char *inv_drift_kind(const char *path)
{
	static const char *const cron[] = {
		"/etc/cron.d", "/etc/cron.hourly", "/etc/cron.daily", "/etc/cron.weekly",
		"/etc/cron.monthly", "/etc/crontab", "/etc/anacrontab", "/var/spool/cron", NULL,
	};
	if (inv_under(path, "/etc/systemd")) {
		size_t n = strlen(path);
		return n > 6 && strcmp(path + n - 6, ".timer") == 0 ? "timer" : "systemd unit";
	}
	return under_any(cron, path) ? "cron" : "config";
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

bool inv_db_candidate(const char *path)
{
	static const char *const globs[] = {
		"*.db", "*.sqlite", "*.sqlite3", "*.db3", "*.rdb", NULL,
	};
	return match_any(globs, base_name(path));
}

const char *inv_db_by_name(const char *path, size_t *dirlen)
{
	const char *base = base_name(path);
	size_t parent = (size_t)(base - path) - 1;
	if (strcmp(base, "PG_VERSION") == 0) {
		/* each database keeps one too, in base/OID/: only the cluster's counts */
		if (fnmatch("*/base/*/PG_VERSION", path, 0) == 0)
			return NULL;
		*dirlen = parent;
		return "postgresql";
	}
	if (strcmp(base, "ibdata1") == 0) {
		*dirlen = parent;
		return "mysql";
	}
	if (strcmp(base, "appendonly.aof") == 0) {
		*dirlen = parent;
		return "redis";
	}
	/* Elasticsearch and OpenSearch: DATA/nodes/N/... */
	for (const char *p = strstr(path, "/nodes/"); p; p = strstr(p + 1, "/nodes/")) {
		const char *d = p + 7;
		size_t digits = 0;
		while (isdigit((unsigned char)d[digits]))
			digits++;
		if (digits && d[digits] == '/') {
			*dirlen = (size_t)(p - path);
			return "elasticsearch";
		}
	}
	return NULL;
}

const char *inv_db_by_header(const char *buf, size_t len)
{
	if (len >= 16 && memcmp(buf, "SQLite format 3\0", 16) == 0)
		return "sqlite";
	if (len >= 9 && memcmp(buf, "REDIS", 5) == 0)
		return "redis";
	return NULL;
}

/* ---- systemd units ----------------------------------------------------------- */

size_t inv_unit_values(const char *buf, size_t len, const char *section, const char *key,
                       void (*fn)(void *ud, const char *value), void *ud)
{
	const char *p = buf, *end = buf + len;
	size_t found = 0, klen = strlen(key), slen = strlen(section);
	bool in = false;
	char value[1024];
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		while (p < stop && (*p == ' ' || *p == '\t'))
			p++;
		size_t n = (size_t)(stop - p);
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\r' || p[n - 1] == '\t'))
			n--;
		if (n >= 2 && p[0] == '[')
			in = n == slen + 2 && p[n - 1] == ']' && memcmp(p + 1, section, slen) == 0;
		else if (in && n > klen && memcmp(p, key, klen) == 0) {
			const char *v = p + klen;
			size_t vn = n - klen;
			while (vn && (*v == ' ' || *v == '\t'))
				v++, vn--;
			if (vn && *v == '=') {
				v++, vn--;
				while (vn && (*v == ' ' || *v == '\t'))
					v++, vn--;
				if (vn < sizeof(value) && !memchr(v, '\0', vn)) {
					memcpy(value, v, vn);
					value[vn] = '\0';
					found++;
					if (fn)
						fn(ud, value);
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
	return found;
}

bool inv_unit_true(const char *v)
{
	return strcasecmp(v, "1") == 0 || strcasecmp(v, "yes") == 0 ||
	       strcasecmp(v, "true") == 0 || strcasecmp(v, "on") == 0;
}

static bool word_at(const char *s, size_t n, size_t i, const char *w)
{
	size_t wl = strlen(w);
	if (i + wl > n || strncasecmp(s + i, w, wl) != 0)
		return false;
	bool before = i == 0 || !(isalnum((unsigned char)s[i - 1]) || s[i - 1] == '_' ||
	                          s[i - 1] == '-' || s[i - 1] == '.');
	bool after = i + wl == n || !(isalnum((unsigned char)s[i + wl]) || s[i + wl] == '_' ||
	                              s[i + wl] == '-' || s[i + wl] == '.');
	return before && after;
}

/* One line of a command or script: "reboot", "systemctl reboot",
 * "systemctl kexec", "shutdown -r ...". */
static bool line_reboots(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i < n && s[i] == '#')
		return false;
	bool shutdown = false;
	for (; i < n; i++) {
		if (word_at(s, n, i, "reboot") || word_at(s, n, i, "kexec"))
			return true;
		if (word_at(s, n, i, "shutdown"))
			shutdown = true;
		if (shutdown && (word_at(s, n, i, "-r") || word_at(s, n, i, "--reboot")))
			return true;
	}
	return false;
}

bool inv_reboots(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;
		if (line_reboots(p, (size_t)(stop - p)))
			return true;
		p = nl ? nl + 1 : end;
	}
	return false;
}

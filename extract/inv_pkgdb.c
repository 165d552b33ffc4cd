/* inv_pkgdb.c - package databases as untrusted text: every line is
 * bounded by the buffer, copied before use, and skipped when it holds a
 * NUL or is longer than a path may be */
#include <stdio.h>
#include <string.h>
#include "inv_pkgdb.h"

struct lines {
	const char *p, *end;
};

/* The next line (without its newline) in *line and *len; false at the end. */
static bool next_line(struct lines *it, const char **line, size_t *len)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	const char *stop = nl ? nl : it->end;
	*line = it->p;
	*len = (size_t)(stop - it->p);
	it->p = nl ? nl + 1 : it->end;
	return true;
}

/* LINE as a NUL-terminated copy in OUT; false when it cannot be one. */
static bool copy_line(const char *line, size_t len, char *out, size_t size)
{
	if (len >= size || memchr(line, '\0', len))
		return false;
	memcpy(out, line, len);
	out[len] = '\0';
	return true;
}

/* Drop trailing slashes (but keep "/"); false when nothing is left or
 * the path is not absolute. */
static bool tidy_path(char *path)
{
	size_t n = strlen(path);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return path[0] == '/' && strcmp(path, "/.") != 0;
}

static bool is_md5(const char *s, size_t n)
{
	if (n != 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool starts(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);
	return len >= n && memcmp(line, word, n) == 0;
}

/* ---- dpkg status ------------------------------------------------------------ */

struct para {
	const char *start, *end;
};

/* The next paragraph: lines up to an empty one. */
static bool next_para(struct lines *it, struct para *pa)
{
	const char *line;
	size_t len;
	/* skip blank lines between paragraphs */
	while (it->p < it->end && (*it->p == '\n'))
		it->p++;
	if (it->p >= it->end)
		return false;
	pa->start = it->p;
	while (next_line(it, &line, &len) && len > 0)
		;
	pa->end = it->p;
	return true;
}

/* A field's value on its first line, trimmed, into OUT. */
static bool field(const struct para *pa, const char *name, char *out, size_t size)
{
	struct lines it = { pa->start, pa->end };
	const char *line;
	size_t len, n = strlen(name);
	while (next_line(&it, &line, &len)) {
		if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
			continue;
		const char *v = line + n + 1;
		size_t vlen = len - n - 1;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\r'))
			vlen--;
		if (vlen >= size || memchr(v, '\0', vlen))
			return false;
		memcpy(out, v, vlen);
		out[vlen] = '\0';
		return true;
	}
	return false;
}

/* " /etc/x 0123...ef [obsolete|remove-on-upgrade]": the path may hold
 * spaces, so it is read from the right. */
static int conffile_line(const char *line, size_t len, const char *pkg, bool installed,
                         inv_conffile_fn conf, void *ud)
{
	char buf[INV_PATH_MAX];
	if (!copy_line(line, len, buf, sizeof(buf)))
		return 0;
	char *words[3] = { NULL };
	size_t n = 0;
	char *end = buf + strlen(buf);
	while (end > buf && (end[-1] == ' ' || end[-1] == '\r'))
		*--end = '\0';
	/* peel up to two words off the right */
	while (n < 2) {
		char *sp = strrchr(buf, ' ');
		if (!sp)
			break;
		words[n++] = sp + 1;
		*sp = '\0';
	}
	const char *md5 = NULL;
	if (n == 2 && is_md5(words[1], strlen(words[1]))) {
		/* "path md5 flag": obsolete ones are not the package's any more */
		if (strcmp(words[0], "obsolete") == 0)
			return 0;
		md5 = words[1];
	} else if (n >= 1 && is_md5(words[0], strlen(words[0]))) {
		if (n == 2) /* the second word was part of the path */
			words[1][-1] = ' ';
		md5 = words[0];
	}
	char *path = buf;
	while (*path == ' ')
		path++;
	if (!md5 || !tidy_path(path))
		return 0;  /* newconffile, or not a line we understand */
	return conf(ud, pkg, path, md5, installed);
}

long inv_dpkg_status(const char *buf, size_t len, inv_conffile_fn conf, void *ud)
{
	struct lines it = { buf, buf + len };
	struct para pa;
	long installed = 0;
	while (next_para(&it, &pa)) {
		char pkg[256], status[128];
		if (!field(&pa, "Package", pkg, sizeof(pkg)) || !pkg[0])
			continue;
		if (!field(&pa, "Status", status, sizeof(status)))
			continue;
		/* "install ok installed"; "deinstall ok config-files" keeps its conffiles */
		const char *state = strrchr(status, ' ');
		state = state ? state + 1 : status;
		bool is_installed = strcmp(state, "installed") == 0;
		if (is_installed)
			installed++;
		else if (strcmp(state, "config-files") != 0 && strcmp(state, "half-configured") &&
		         strcmp(state, "unpacked") && strcmp(state, "triggers-awaited") &&
		         strcmp(state, "triggers-pending"))
			continue;
		struct lines fl = { pa.start, pa.end };
		const char *line;
		size_t llen;
		bool in = false;
		while (next_line(&fl, &line, &llen)) {
			if (llen && (line[0] == ' ' || line[0] == '\t')) {
				if (in && conffile_line(line, llen, pkg, is_installed, conf, ud) < 0)
					return -1;
				continue;
			}
			in = starts(line, llen, "Conffiles:");
		}
	}
	return installed;
}

/* ---- dpkg info files ------------------------------------------------------------ */

int inv_dpkg_list(const char *buf, size_t len, inv_path_fn fn, void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char path[INV_PATH_MAX];
	while (next_line(&it, &line, &n))
		if (copy_line(line, n, path, sizeof(path)) && tidy_path(path) && fn(ud, path) < 0)
			return -1;
	return 0;
}

int inv_dpkg_md5sums(const char *buf, size_t len, inv_path_fn fn, void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char path[INV_PATH_MAX];
	while (next_line(&it, &line, &n)) {
		/* 32 hex digits, two spaces, the path relative to / */
		if (n < 35 || !is_md5(line, 32) || line[32] != ' ' || line[33] != ' ')
			continue;
		path[0] = '/';
		if (!copy_line(line + 34, n - 34, path + 1, sizeof(path) - 1) || !tidy_path(path))
			continue;
		if (path[1] != '/' && fn(ud, path) < 0)
			return -1;
	}
	return 0;
}

int inv_dpkg_diversions(const char *buf, size_t len, inv_path_fn fn, void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char path[INV_PATH_MAX];
	for (unsigned i = 0; next_line(&it, &line, &n); i++) {
		if (i % 3 == 2)  /* the diverting package, or ":" for a local one */
			continue;
		if (copy_line(line, n, path, sizeof(path)) && tidy_path(path) && fn(ud, path) < 0)
			return -1;
	}
	return 0;
}

int inv_dpkg_alternative(const char *buf, size_t len, inv_path_fn fn, void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char path[INV_PATH_MAX];
	/* mode, master link, then (slave name, slave link) pairs up to an
	 * empty line; the choices that follow are other packages' files */
	for (unsigned i = 0; next_line(&it, &line, &n) && n > 0; i++) {
		if (i == 0 || (i >= 2 && i % 2 == 0))
			continue;
		if (copy_line(line, n, path, sizeof(path)) && tidy_path(path) && fn(ud, path) < 0)
			return -1;
	}
	return 0;
}

/* ---- ucf ------------------------------------------------------------------------- */

int inv_ucf_hashfile(const char *buf, size_t len, inv_conffile_fn conf, void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char md5[33], path[INV_PATH_MAX];
	while (next_line(&it, &line, &n)) {
		if (n < 35 || !is_md5(line, 32) || line[32] != ' ')
			continue;
		size_t at = 33;
		while (at < n && line[at] == ' ')
			at++;
		if (!copy_line(line + at, n - at, path, sizeof(path)) || !tidy_path(path))
			continue;
		memcpy(md5, line, 32);
		md5[32] = '\0';
		if (conf(ud, "", path, md5, true) < 0)
			return -1;
	}
	return 0;
}

int inv_ucf_registry(const char *buf, size_t len,
                     int (*fn)(void *ud, const char *path, const char *package), void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char text[INV_PATH_MAX];
	while (next_line(&it, &line, &n)) {
		if (!copy_line(line, n, text, sizeof(text)))
			continue;
		size_t plen = strcspn(text, " \t");
		char *path = text + plen;
		while (*path == ' ' || *path == '\t')
			*path++ = '\0';
		if (plen == 0 || !tidy_path(path) || strchr(text, '/'))
			continue;
		if (fn(ud, path, text) < 0)
			return -1;
	}
	return 0;
}

/* ---- pacman ------------------------------------------------------------------------ */

int inv_pacman_files(const char *buf, size_t len, const char *package, inv_path_fn fn,
                     inv_conffile_fn conf, void *ud)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	char path[INV_PATH_MAX];
	enum { NONE, FILES, BACKUP } sect = NONE;
	while (next_line(&it, &line, &n)) {
		if (n && line[0] == '%') {
			sect = n == 7 && memcmp(line, "%FILES%", 7) == 0    ? FILES
			       : n == 8 && memcmp(line, "%BACKUP%", 8) == 0 ? BACKUP
			                                                    : NONE;
			continue;
		}
		if (n == 0 || sect == NONE)
			continue;
		path[0] = '/';
		if (!copy_line(line, n, path + 1, sizeof(path) - 1) || path[1] == '/')
			continue;
		if (sect == FILES) {
			if (tidy_path(path) && fn(ud, path) < 0)
				return -1;
			continue;
		}
		char *tab = strchr(path, '\t');
		if (!tab || !is_md5(tab + 1, strlen(tab + 1)))
			continue;
		*tab = '\0';
		if (tidy_path(path) && conf && conf(ud, package, path, tab + 1, true) < 0)
			return -1;
	}
	return 0;
}

int inv_pacman_name(const char *buf, size_t len, char *out, size_t size)
{
	struct lines it = { buf, buf + len };
	const char *line;
	size_t n;
	bool next = false;
	while (next_line(&it, &line, &n)) {
		if (next) {
			if (n == 0 || n >= size || memchr(line, '\0', n) || memchr(line, '/', n))
				return -1;
			memcpy(out, line, n);
			out[n] = '\0';
			return 0;
		}
		next = n == 6 && memcmp(line, "%NAME%", 6) == 0;
	}
	return -1;
}

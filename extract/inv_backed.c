/* inv_backed.c - --backed-up FILE: what an existing backup covers, one
 * absolute path or glob a line, # comments; a pattern covers a path when
 * it matches the path or one of its ancestors (fnmatch with FNM_PATHNAME:
 * "/home/ALL" with ALL a star covers /home/alice/mail) */
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "inventory.h"

#define MAX_PATTERNS 100000
#define MAX_LINE 4096

struct inv_backups {
	char **pats;
	size_t n;
};

void inv_backups_free(struct inv_backups *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->pats[i]);
	free(b->pats);
	free(b);
}

/* One line, trimmed, comment dropped, into OUT; "" when nothing is left. */
static int clean_line(const char *line, size_t len, char *out, size_t size)
{
	while (len && (*line == ' ' || *line == '\t'))
		line++, len--;
	/* "#" starts a comment at the start of a line or after a blank */
	for (size_t i = 0; i < len; i++)
		if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
			len = i;
			break;
		}
	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t' || line[len - 1] == '\r'))
		len--;
	if (len >= size || memchr(line, '\0', len))
		return -1;
	memcpy(out, line, len);
	out[len] = '\0';
	/* "/srv/app/" means /srv/app */
	while (len > 1 && out[len - 1] == '/')
		out[--len] = '\0';
	return 0;
}

struct inv_backups *inv_backups_parse(const char *text, size_t len, char *why, size_t size)
{
	struct inv_backups *b = calloc(1, sizeof(*b));
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + len;
	char buf[MAX_LINE];
	if (!b)
		goto nomem;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)((nl ? nl : end) - p);
		lineno++;
		if (clean_line(p, n, buf, sizeof(buf)) < 0) {
			snprintf(why, size, "line %zu: longer than %d bytes or holds a NUL", lineno,
			         MAX_LINE - 1);
			goto fail;
		}
		p = nl ? nl + 1 : end;
		if (!buf[0])
			continue;
		if (buf[0] != '/') {
			snprintf(why, size, "line %zu: '%s' is not an absolute path", lineno, buf);
			goto fail;
		}
		if (b->n == MAX_PATTERNS) {
			snprintf(why, size, "more than %d patterns", MAX_PATTERNS);
			goto fail;
		}
		if (b->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **np = realloc(b->pats, ncap * sizeof(*np));
			if (!np)
				goto nomem;
			b->pats = np;
			cap = ncap;
		}
		if (!(b->pats[b->n] = strdup(buf)))
			goto nomem;
		b->n++;
	}
	return b;
nomem:
	snprintf(why, size, "%s", strerror(ENOMEM));
fail:
	inv_backups_free(b);
	return NULL;
}

const char *inv_backups_match(const struct inv_backups *b, const char *path)
{
	if (!b || strlen(path) >= PATH_MAX)
		return NULL;
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", path);
	/* the path, then each ancestor up to "/" */
	for (;;) {
		for (size_t i = 0; i < b->n; i++)
			if (fnmatch(b->pats[i], buf, FNM_PATHNAME) == 0)
				return b->pats[i];
		char *slash = strrchr(buf, '/');
		if (!slash || (slash == buf && buf[1] == '\0'))
			return NULL;
		if (slash == buf)
			buf[1] = '\0';
		else
			*slash = '\0';
	}
}

int inv_parse_size(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	case 'T': shift = 40; break;
	default: return -1;
	}
	if (*end && end[1] != '\0' && strcmp(end + 1, "iB") != 0 && strcmp(end + 1, "B") != 0)
		return -1;
	if (v > ((unsigned long long)INT64_MAX >> shift))
		return -1;
	*out = (int64_t)(v << shift);
	return 0;
}

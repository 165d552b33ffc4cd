/* util.c - small parsers and string helpers */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "internal.h"

char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *xasprintf(const char *fmt, ...)
{
	char *out = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&out, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

/* One or more groups of digits and a unit, largest unit first, each unit
 * at most once: "90s", "15m", "1h30m", "1d12h". A number without a unit
 * is refused: "5" may be meant as seconds, minutes or hours. */
int conoha_parse_duration(const char *s, long long *seconds)
{
	static const struct { char unit; long long secs; } units[] = {
		{ 'd', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 },
	};
	if (!s || !*s)
		return -1;
	long long total = 0;
	size_t next = 0; /* the first unit still allowed */
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		char *end;
		unsigned long long n = strtoull(s, &end, 10);
		if (errno == ERANGE || n > (unsigned long long)LLONG_MAX)
			return -1;
		size_t u = next;
		while (u < ARRAY_SIZE(units) && units[u].unit != *end)
			u++;
		if (u == ARRAY_SIZE(units))
			return -1; /* no unit, an unknown one, or one out of order */
		if ((long long)n > (LLONG_MAX - total) / units[u].secs)
			return -1;
		total += (long long)n * units[u].secs;
		next = u + 1;
		s = end + 1;
	}
	*seconds = total;
	return 0;
}

long conoha_parse_retry_after(const char *value, time_t now)
{
	if (!value)
		return -1;
	while (*value == ' ')
		value++;
	if (isdigit((unsigned char)*value)) {
		errno = 0;
		char *end;
		long n = strtol(value, &end, 10);
		while (*end == ' ' || *end == '\r' || *end == '\n')
			end++;
		if (errno || *end)
			return -1;
		return n;
	}
	/* HTTP-date, IMF-fixdate form: "Sun, 06 Nov 1994 08:49:37 GMT". */
	struct tm tm = {0};
	const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -1;
	time_t when = timegm(&tm);
	if (when == (time_t)-1)
		return -1;
	return when > now ? (long)(when - now) : 0;
}

int conoha_parse_iso8601(const char *s, time_t *out)
{
	if (!s)
		return -1;
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		/* +HH:MM, +HHMM or +HH, two digits each: "+5:30" is garbage,
		 * and nothing is read past the end of the string. */
		int sign = *p == '-' ? -1 : 1;
		p++;
		if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
			return -1;
		int hh = (p[0] - '0') * 10 + (p[1] - '0'), mm = 0;
		p += 2;
		bool colon = *p == ':';
		if (colon)
			p++;
		if (colon || *p) {
			if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
				return -1;
			mm = (p[0] - '0') * 10 + (p[1] - '0');
			p += 2;
		}
		if (hh > 23 || mm > 59)
			return -1;
		offset = sign * (hh * 3600L + mm * 60L);
	}
	if (*p)
		return -1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = t - offset;
	return 0;
}

char *url_join(const char *base, const char *path)
{
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	while (*path == '/')
		path++;
	return xasprintf("%.*s/%s", (int)bl, base, path);
}

static const char *const tenant_placeholders[] = {
	"%(tenant_id)s", "$(tenant_id)s", "%(project_id)s", "$(project_id)s",
	"{tenant_id}", "{project_id}",
};

char *url_expand(const char *url, const char *project_id)
{
	const char *pid = project_id ? project_id : "";
	char *out = strdup(url);
	size_t from = 0;
	while (out) {
		/* The first placeholder after what was put in so far: a project
		 * id that holds one is not expanded again (it did, forever). */
		char *at = NULL;
		size_t len = 0;
		for (size_t i = 0; i < ARRAY_SIZE(tenant_placeholders); i++) {
			char *p = strstr(out + from, tenant_placeholders[i]);
			if (p && (!at || p < at)) {
				at = p;
				len = strlen(tenant_placeholders[i]);
			}
		}
		if (!at)
			break;
		size_t pre = (size_t)(at - out);
		char *next = xasprintf("%.*s%s%s", (int)pre, out, pid, at + len);
		free(out);
		out = next;
		from = pre + strlen(pid);
	}
	if (out) {
		size_t n = strlen(out);
		while (n > 0 && out[n - 1] == '/')
			out[--n] = '\0';
	}
	return out;
}

char *url_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || strchr("-._~", ch)) {
			*o++ = (char)ch;
		} else {
			snprintf(o, 4, "%%%02X", ch);
			o += 3;
		}
	}
	*o = '\0';
	return out;
}

char *resource_path(const char *prefix, const char *id, const char *suffix)
{
	char *esc = url_escape(id);
	char *path = esc ? xasprintf("%s%s%s", prefix, esc, suffix) : NULL;
	free(esc);
	return path;
}

/* inv_report.c - what an inventory found, for scripts and for people */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "inv_report.h"

#define RESCUE_DEST "./rescue"

/* ARG quoted for a POSIX shell when it needs to be, appended to *S. */
static int append_quoted(char **s, size_t *len, const char *arg)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                           "0123456789_./:@%+=,-";
	bool plain = *arg && strspn(arg, safe) == strlen(arg);
	size_t need = *len + 1 + (plain ? strlen(arg) : 2 + 4 * strlen(arg)) + 1;
	char *ns = realloc(*s, need);
	if (!ns)
		return -1;
	*s = ns;
	char *p = ns + *len;
	if (*len)
		*p++ = ' ';
	if (plain) {
		memcpy(p, arg, strlen(arg));
		p += strlen(arg);
	} else {
		*p++ = '\'';
		for (const char *a = arg; *a; a++) {
			if (*a == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else
				*p++ = *a;
		}
		*p++ = '\'';
	}
	*p = '\0';
	*len = (size_t)(p - ns);
	return 0;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

/* Paths go to the first command whose DEST has no entry of that name. */
long inv_rescue_commands(const struct inv_result *r, const char *image, char ***out)
{
	size_t n = r->n_rescue;
	size_t *cmd_of = calloc(n ? n : 1, sizeof(size_t));
	size_t ncmds = 0;
	*out = NULL;
	if (!cmd_of)
		return -1;
	for (size_t i = 0; i < n; i++) {
		size_t c = 0;
		for (size_t j = 0; j < i; j++)
			if (cmd_of[j] == c &&
			    strcmp(base_of(r->rescue_paths[j]), base_of(r->rescue_paths[i])) == 0) {
				c++;
				j = (size_t)-1;  /* look again in the next command */
			}
		cmd_of[i] = c;
		if (c + 1 > ncmds)
			ncmds = c + 1;
	}
	char **cmds = calloc(ncmds + 1, sizeof(char *));
	long rc = cmds ? (long)ncmds : -1;
	for (size_t c = 0; cmds && c < ncmds && rc >= 0; c++) {
		char *s = NULL, dest[64];
		size_t len = 0;
		snprintf(dest, sizeof(dest), c ? RESCUE_DEST "-%zu" : RESCUE_DEST, c + 1);
		if (append_quoted(&s, &len, "lifeboat-extract") < 0 ||
		    append_quoted(&s, &len, "copy") < 0 || append_quoted(&s, &len, image) < 0)
			rc = -1;
		for (size_t i = 0; i < n && rc >= 0; i++)
			if (cmd_of[i] == c && append_quoted(&s, &len, r->rescue_paths[i]) < 0)
				rc = -1;
		if (rc >= 0 && append_quoted(&s, &len, dest) < 0)
			rc = -1;
		cmds[c] = s;
	}
	free(cmd_of);
	if (rc < 0)
		free_list(cmds);
	else
		*out = cmds;
	return rc;
}

/* ---- JSON ---------------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *root_json(const struct inv_root *r)
{
	json_t *dbs = json_array();
	for (size_t i = 0; i < r->n_dbs; i++)
		json_array_append_new(dbs, json_pack("{s:s, s:s, s:b}", "engine", r->dbs[i].engine,
		                                     "path", r->dbs[i].path, "needs_recovery", 1));
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:o, s:o}", "path", r->path, "kind",
	                 r->kind, "size", (json_int_t)r->size, "files", (json_int_t)r->files,
	                 "newest_mtime", (json_int_t)r->newest, "status",
	                 r->covered_by ? "covered" : "unprotected", "covered_by",
	                 str_or_null(r->covered_by), "databases", dbs);
}

static json_t *drift_json(const struct inv_drift *d)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o}", "path", d->path, "reason", d->reason,
	                 "kind", d->kind, "package", str_or_null(d->package), "status",
	                 d->covered_by ? "covered" : "unprotected", "covered_by",
	                 str_or_null(d->covered_by));
}

json_t *inv_report_json(const struct inv_result *r, const char *image)
{
	json_t *roots = json_array(), *drift = json_array(), *warnings = json_array(),
	       *notes = json_array(), *rescue = json_array();
	for (size_t i = 0; i < r->n_roots; i++)
		json_array_append_new(roots, root_json(&r->roots[i]));
	for (size_t i = 0; i < r->n_drift; i++)
		json_array_append_new(drift, drift_json(&r->drift[i]));
	for (size_t i = 0; i < r->n_warnings; i++)
		json_array_append_new(warnings, json_pack("{s:s, s:s}", "path", r->warnings[i].path,
		                                          "message", r->warnings[i].message));
	for (size_t i = 0; i < r->n_notes; i++)
		json_array_append_new(notes, json_string(r->notes[i]));
	char **cmds = NULL;
	if (inv_rescue_commands(r, image, &cmds) < 0) {
		json_decref(roots), json_decref(drift), json_decref(warnings);
		json_decref(notes), json_decref(rescue);
		return NULL;
	}
	for (char **c = cmds; c && *c; c++)
		json_array_append_new(rescue, json_string(*c));
	free_list(cmds);
	return json_pack("{s:i, s:s, s:s, s:b, s:o, s:I, s:I, s:I, s:o, "
	                 "s:{s:I, s:I}, s:{s:I, s:I, s:I}, s:o, s:o, s:o, s:o}",
	                 "schema", INV_SCHEMA, "image", image, "reader", r->source, "os",
	                 r->has_os, "package_manager", str_or_null(r->package_manager),
	                 "packages", (json_int_t)r->packages, "entries", (json_int_t)r->entries,
	                 "owned", (json_int_t)r->owned,
	                 "roots", roots, "hidden", "roots", (json_int_t)r->hidden_roots, "size",
	                 (json_int_t)r->hidden_size, "unprotected", "roots",
	                 (json_int_t)r->unprotected_roots, "size", (json_int_t)r->unprotected_size,
	                 "drift", (json_int_t)r->unprotected_drift, "drift", drift, "warnings",
	                 warnings, "notes", notes, "rescue", rescue);
}

/* ---- the table --------------------------------------------------------------------- */

static const char *human(int64_t n, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	if (n < 1024) {
		snprintf(buf, size, "%lld B", (long long)n);
		return buf;
	}
	double v = (double)n;
	size_t u = 0;
	for (v /= 1024; v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]); v /= 1024)
		u++;
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

static const char *day(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d", &tm))
		snprintf(buf, size, "-");
	return buf;
}

static void print_root(FILE *out, const struct inv_root *r)
{
	char sz[32], d[32];
	fprintf(out, "%-11s  %-18s %10s %7llu  %-10s  %s", r->covered_by ? "covered" : "unprotected",
	        r->kind, human(r->size, sz, sizeof(sz)), (unsigned long long)r->files,
	        day(r->newest, d, sizeof(d)), r->path);
	for (size_t i = 0; i < r->n_dbs; i++)
		fprintf(out, "%s%s %s", i ? ", " : "  [", r->dbs[i].engine, r->dbs[i].path);
	if (r->n_dbs)
		fputs(": a copy of a running database needs its own recovery]", out);
	fputc('\n', out);
}

int inv_report_text(FILE *out, const struct inv_result *r, const char *image)
{
	char sz[32];
	fprintf(out, "%s: %llu entries walked (%s reader), ", image, (unsigned long long)r->entries,
	        r->source);
	if (!r->has_os)
		fputs("no operating system: every filesystem's contents count as data\n", out);
	else if (r->package_manager)
		fprintf(out, "%s: %llu packages owning %llu of them\n", r->package_manager,
		        (unsigned long long)r->packages, (unsigned long long)r->owned);
	else
		fputs("no package database found\n", out);
	fprintf(out, "\n%-11s  %-18s %10s %7s  %-10s  %s\n", "STATUS", "KIND", "SIZE", "FILES",
	        "NEWEST", "PATH");
	for (size_t i = 0; i < r->n_roots; i++)
		print_root(out, &r->roots[i]);
	if (!r->n_roots)
		fputs("(no data roots)\n", out);
	if (r->hidden_roots)
		fprintf(out, "(%llu more, %s, below --min-size or past --top)\n",
		        (unsigned long long)r->hidden_roots, human(r->hidden_size, sz, sizeof(sz)));
	if (r->n_drift) {
		fprintf(out, "\nconfiguration drift:\n");
		for (size_t i = 0; i < r->n_drift; i++) {
			const struct inv_drift *d = &r->drift[i];
			fprintf(out, "  %-11s  %-8s %-13s %s", d->covered_by ? "covered" : "unprotected",
			        d->reason, d->kind, d->path);
			if (d->package)
				fprintf(out, " (%s)", d->package);
			fputc('\n', out);
		}
	}
	for (size_t i = 0; i < r->n_warnings; i++)
		fprintf(out, "\nwarning: %s: %s\n", r->warnings[i].path, r->warnings[i].message);
	for (size_t i = 0; i < r->n_notes; i++)
		fprintf(out, "note: %s\n", r->notes[i]);
	if (!r->unprotected_roots && !r->unprotected_drift) {
		fputs("\nnothing unprotected.\n", out);
		return 0;
	}
	unsigned long long nr = r->unprotected_roots, nd = r->unprotected_drift;
	fprintf(out, "\nunprotected: %llu root%s (%s)", nr, nr == 1 ? "" : "s",
	        human(r->unprotected_size, sz, sizeof(sz)));
	if (nd)
		fprintf(out, " and %llu configuration file%s", nd, nd == 1 ? "" : "s");
	fputs("; to rescue them:\n", out);
	char **cmds = NULL;
	if (inv_rescue_commands(r, image, &cmds) < 0)
		return -1;
	for (char **c = cmds; c && *c; c++)
		fprintf(out, "  %s\n", *c);
	free_list(cmds);
	return 0;
}

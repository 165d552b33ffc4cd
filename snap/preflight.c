/* preflight.c - a destination, and the text sent to Glance, checked before
 * the first request that changes anything: a refusal after an hour's save
 * and download is a refusal that came too late */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "exit.h"
#include "files.h"
#include "preflight.h"
#include "text_limit.h"

int preflight_space(const char *file, long long need, struct sink *s)
{
	if (need < 0)
		return EXIT_OK;
	char part[4096 + 8];
	struct stat st;
	if (snprintf(part, sizeof(part), "%s.part", file) < (int)sizeof(part) &&
	    stat(part, &st) == 0 && S_ISREG(st.st_mode) && st.st_size <= need)
		need -= st.st_size; /* a part that is resumed needs only the rest */
	long long avail = free_space_for(file);
	if (avail < 0 || avail >= need)
		return EXIT_OK;
	char n[32], a[32];
	return sink_fail(s, EXIT_LOCAL_IO, "not enough space for '%s': %s more needed, %s "
	                 "free on its filesystem; free some or choose another place",
	                 file, human_size(need, n, sizeof(n)), human_size(avail, a, sizeof(a)));
}

static int check_directory(const char *file, struct sink *s)
{
	char *copy = strdup(file);
	if (!copy)
		return sink_fail(s, EXIT_FAIL, "out of memory");
	const char *dir = dirname(copy);
	struct stat st;
	int rc = EXIT_OK;
	if (stat(dir, &st) < 0)
		rc = sink_fail(s, EXIT_LOCAL_IO, "cannot write '%s': directory '%s': %s", file,
		               dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = sink_fail(s, EXIT_LOCAL_IO, "cannot write '%s': '%s' is not a directory",
		               file, dir);
	else if (access(dir, W_OK | X_OK) < 0)
		rc = sink_fail(s, EXIT_LOCAL_IO, "cannot write '%s': directory '%s': %s", file,
		               dir, strerror(errno));
	free(copy);
	return rc;
}

int preflight_destination(const char *file, const struct dest_opts *o, struct sink *s)
{
	struct stat st;
	if (!*file)
		return sink_fail(s, EXIT_USAGE, "FILE is an empty name");
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode))
		return sink_fail(s, EXIT_LOCAL_IO, "'%s' is a directory: name a file in it "
		                 "(--force replaces files, never directories)", file);
	bool exists = lstat(file, &st) == 0;
	if (exists && !o->force && !o->may_exist)
		return sink_fail(s, EXIT_LOCAL_IO, "'%s' exists: it is never overwritten "
		                 "without --force", file);
	if (exists && o->may_exist && !S_ISREG(st.st_mode))
		return sink_fail(s, EXIT_LOCAL_IO, "'%s' exists and is not a regular file: "
		                 "only a regular file can hold the verified copy", file);
	int rc = check_directory(file, s);
	if (rc == EXIT_OK)
		rc = preflight_space(file, o->need, s);
	return rc;
}

/* Nova (createImage: the name and each metadata value) and Glance (the
 * name, a property's key) bound text by their JSON schemas' maxLength,
 * which counts characters, not bytes: 255 two-byte characters are fine,
 * 256 one-byte ones are not. And JSON holds UTF-8 only: jansson would
 * turn anything else into no string at all, and the text would be
 * dropped or the request left empty, after the server was stopped. */
static int check_text(const char *what, const char *text, struct sink *s)
{
	struct text_count n;
	if (!text)
		return EXIT_OK;
	if (utf8_count(text, &n) < 0)
		return sink_fail(s, EXIT_USAGE, "%s is not UTF-8 text (byte %zu is not), and Nova "
		                 "and Glance take no other: write it in UTF-8", what, n.bad_at + 1);
	if (n.chars > GLANCE_TEXT_MAX)
		return sink_fail(s, EXIT_USAGE, "%s is %zu characters long (%zu bytes); Nova and "
		                 "Glance take at most %d characters", what, n.chars, n.bytes,
		                 GLANCE_TEXT_MAX);
	return EXIT_OK;
}

int preflight_metadata(const char *name, const char *reason, const struct conoha_kv *props,
                       size_t n_props, struct sink *s)
{
	int rc = check_text("--name", name, s);
	if (rc == EXIT_OK && name && !nova_name_ok(name))
		rc = sink_fail(s, EXIT_USAGE, "--name: Nova takes a name that is not empty, holds "
		               "only characters it prints (no control or format characters, none "
		               "past U+FFFE such as emoji), and neither starts nor ends with white "
		               "space");
	if (rc == EXIT_OK)
		rc = check_text("--reason", reason, s);
	for (size_t i = 0; rc == EXIT_OK && i < n_props; i++) {
		char what[64];
		snprintf(what, sizeof(what), "--property %.32s%s", props[i].key,
		         strlen(props[i].key) > 32 ? "..." : "");
		rc = check_text(what, props[i].key, s);
		/* an image-backed server's properties go through Nova, whose
		 * schema takes these keys only (Glance would take more) */
		if (rc == EXIT_OK && !nova_metadata_key_ok(props[i].key))
			rc = sink_fail(s, EXIT_USAGE, "%s: Nova takes property keys of ASCII "
			               "letters, digits, space and - _ : . only", what);
		if (rc == EXIT_OK)
			rc = check_text(what, props[i].value, s);
	}
	return rc;
}

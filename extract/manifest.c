/* manifest.c - "verify DEST MANIFEST": is the copy still what was copied? */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "digest.h"
#include "exit.h"
#include "manifest.h"
#include "writer.h"

int manifest_parse_line(char *text, struct line *l)
{
	char esc[8192];
	if (sscanf(text, "%c %o %u %u %lld %lld.%ld %64s %8191s", &l->type, &l->mode, &l->uid,
	           &l->gid, &l->size, &l->mtime_sec, &l->mtime_nsec, l->sha, esc) != 9)
		return -1;
	l->path = manifest_unescape(esc);
	return l->path ? 0 : -1;
}

/* Open path below root without following any symlink on the way. */
static int open_below(int root, const char *path, int flags)
{
	int fd = dup(root);
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		char comp[256];
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(comp)) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		int next = openat(fd, comp, (slash ? O_RDONLY | O_DIRECTORY : flags) |
		                            O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0 || !slash)
			return next;
		fd = next;
		p = slash + 1;
	}
}

static const char *check_one(int root, const struct line *l, bool owner, char *why, size_t size)
{
	int fd = open_below(root, l->path, l->type == 'f' || l->type == 'h' ? O_RDONLY : O_PATH);
	if (fd < 0) {
		snprintf(why, size, "missing: %s", strerror(errno));
		return why;
	}
	struct stat st;
	const char *bad = NULL;
	char sha[65] = "";
	char want_type = l->type == 'h' ? 'f' : l->type;
	if (fstat(fd, &st) < 0)
		bad = "cannot stat";
	else if (mode_type_letter(st.st_mode) != want_type)
		bad = "type differs";
	else if ((st.st_mode & 01777) != (l->mode & 01777) && l->type != 'l')
		bad = "mode differs";
	else if (owner && (st.st_uid != l->uid || st.st_gid != l->gid))
		bad = "owner differs";
	else if (l->type == 'f' && st.st_size != l->size)
		bad = "size differs";
	else if (l->type != 'l' && l->type != 'd' && st.st_mtim.tv_sec != l->mtime_sec)
		bad = "mtime differs";
	else if (l->type == 'f' && (digest_file(fd, sha) < 0 || strcmp(sha, l->sha) != 0))
		bad = "content differs (sha256)";
	close(fd);
	if (bad)
		snprintf(why, size, "%s", bad);
	return bad ? why : NULL;
}

int cmd_verify(struct xcli *cli)
{
	const char *dest = cli->args[0], *manifest = cli->args[1];
	int root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FILE *f = fopen(manifest, "re");
	if (root < 0 || !f) {
		fprintf(stderr, "lifeboat-extract: cannot open '%s': %s\n", root < 0 ? dest : manifest,
		        strerror(errno));
		if (root >= 0)
			close(root);
		if (f)
			fclose(f);
		return XT_LOCAL_IO;
	}
	char *text = NULL;
	size_t cap = 0;
	long long checked = 0, bad = 0, lineno = 0;
	json_t *diffs = json_array();
	while (getline(&text, &cap, f) > 0) {
		lineno++;
		struct line l = { 0 };
		char why[128];
		if (manifest_parse_line(text, &l) < 0) {
			fprintf(stderr, "lifeboat-extract: %s:%lld: malformed line\n", manifest, lineno);
			bad++;
			continue;
		}
		const char *problem = check_one(root, &l, cli->owner, why, sizeof(why));
		if (problem) {
			char *shown = manifest_escape(l.path);
			if (cli->json)
				json_array_append_new(diffs, json_pack("{s:s, s:s}", "path", shown,
				                                       "why", problem));
			else
				printf("%s: %s\n", shown, problem);
			free(shown);
			bad++;
		}
		checked++;
		free(l.path);
	}
	free(text);
	fclose(f);
	close(root);
	if (cli->json) {
		json_t *doc = json_pack("{s:I, s:I, s:o}", "checked", (json_int_t)checked,
		                        "differ", (json_int_t)bad, "differences", diffs);
		json_dumpf(doc, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(doc);
	} else {
		json_decref(diffs);
		printf("%lld entries checked, %lld differ\n", checked, bad);
	}
	return bad ? XT_MISMATCH : XT_OK;
}

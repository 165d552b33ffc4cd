/* manifest.c - "verify DEST MANIFEST": is the copy still what was copied?
 * Every field a line holds is compared; entries missing from DEST and
 * entries DEST holds that the manifest does not name are reported. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json_doc.h"
#include "cli.h"
#include "digest.h"
#include "exit.h"
#include "manifest.h"
#include "writer.h"


static int parse_number(const char *s, int base, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, base);
	if (errno || end == s || (*end && *end != '.'))
		return -1;
	*out = v;
	return 0;
}

/* T MODE UID GID SIZE MTIME HASH PATH [TARGET], any length. */
int manifest_parse_line(char *text, struct line *l)
{
	char *field[10];
	int n = 0;
	for (char *save = NULL, *t = strtok_r(text, " \n", &save); t;
	     t = strtok_r(NULL, " \n", &save)) {
		if (n == 10)
			return -1;
		field[n++] = t;
	}
	long long mode, uid, gid;
	if (n < 8 || strlen(field[0]) != 1 || !strchr("fdlhcbps", field[0][0]) ||
	    parse_number(field[1], 8, &mode) < 0 || parse_number(field[2], 10, &uid) < 0 ||
	    parse_number(field[3], 10, &gid) < 0 || parse_number(field[4], 10, &l->size) < 0 ||
	    parse_number(field[5], 10, &l->mtime_sec) < 0)
		return -1;
	l->type = field[0][0];
	l->mode = (unsigned)mode;
	l->uid = (unsigned)uid;
	l->gid = (unsigned)gid;
	l->hash = field[6];
	l->path = manifest_unescape(field[7]);
	l->target = n == 9 ? manifest_unescape(field[8]) : NULL;
	if (l->path && (n == 8 || l->target))
		return 0;
	free(l->path);
	free(l->target);
	l->path = l->target = NULL;
	return -1;
}

/* Open path below root without following any symlink on the way; the
 * last component with O_PATH, so a FIFO never blocks. */
static int open_below(int root, const char *path)
{
	int fd = dup(root);
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		/* a manifest names entries below DEST: never above it */
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		char *comp = strndup(p, n);
		if (!comp) {
			close(fd);
			return -1;
		}
		int next = openat(fd, comp, (slash ? O_RDONLY | O_DIRECTORY : O_PATH) | O_NOFOLLOW |
		                            O_CLOEXEC);
		int saved = errno;
		free(comp);
		close(fd);
		errno = saved;
		if (next < 0 || !slash)
			return next;
		fd = next;
		p = slash + 1;
	}
}

static bool same_target(int fd, const char *want)
{
	size_t n = strlen(want);
	char *buf = malloc(n + 2);
	ssize_t k = buf ? readlinkat(fd, "", buf, n + 1) : -1;
	bool same = k >= 0 && (size_t)k == n && memcmp(buf, want, n) == 0;
	free(buf);
	return same;
}

static const char *check_content(int fd, const struct line *l)
{
	char path[64], got[DIGEST_TEXT];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int rc = rfd < 0 ? -1 : digest_file(rfd, l->hash, (volatile const int *)&extract_interrupted, got);
	if (rfd >= 0)
		close(rfd);
	if (rc < 0)
		return extract_interrupted ? "not checked: interrupted" : "cannot read";
	return strcmp(got, l->hash) == 0 ? NULL : "content differs (sha256)";
}

static const char *check_one(int root, const struct line *l, bool owner)
{
	int fd = open_below(root, l->path);
	if (fd < 0)
		return "missing";
	struct stat st;
	const char *bad = NULL;
	char want_type = l->type == 'h' ? 'f' : l->type;
	if (fstat(fd, &st) < 0)
		bad = "cannot stat";
	else if (mode_type_letter(st.st_mode) != want_type &&
	         !(l->type == 'h' && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)))
		bad = "type differs";
	else if (l->type != 'l' && l->type != 'h' && (st.st_mode & 07777) != (l->mode & 07777))
		bad = "mode differs";
	else if (owner && (st.st_uid != l->uid || st.st_gid != l->gid))
		bad = "owner differs";
	else if (l->type == 'f' && st.st_size != l->size)
		bad = "size differs";
	else if (l->type != 'h' && st.st_mtim.tv_sec != l->mtime_sec)
		bad = "mtime differs";
	else if (l->type == 'l' && l->target && !same_target(fd, l->target))
		bad = "symlink target differs";
	else if (l->type == 'f')
		bad = check_content(fd, l);
	if (!bad && l->type == 'h' && l->target) {
		int t = open_below(root, l->target);
		struct stat ts;
		if (t < 0 || fstat(t, &ts) < 0 || ts.st_ino != st.st_ino || ts.st_dev != st.st_dev)
			bad = "no longer a hard link to its target";
		if (t >= 0)
			close(t);
	}
	close(fd);
	return bad;
}

/* ---- what DEST holds beyond the manifest ---------------------------------------- */

static int compare_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct extras {
	char **known;            /* the manifest's paths, sorted */
	size_t n_known;
	bool json;
	json_t *diffs;
	long long found;
	const char *skip;        /* the manifest itself, when inside DEST */
};

static void report(struct extras *x, const char *path, const char *why)
{
	char *shown = manifest_escape(path);
	if (x->json)
		json_array_append_new(x->diffs, json_pack("{s:s, s:s}", "path", shown ? shown : "?",
		                                          "why", why));
	else
		printf("%s: %s\n", shown ? shown : "?", why);
	free(shown);
}

static bool known(const struct extras *x, const char *path)
{
	return bsearch(&path, x->known, x->n_known, sizeof(char *), compare_str) != NULL;
}

/* Every name under dirfd (taken) at REL, depth first, no symlink followed. */
static void walk_extras(struct extras *x, int dirfd, const char *rel)
{
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)) && !extract_interrupted) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		char *path = NULL;
		if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
			break;
		if (x->skip && strcmp(path, x->skip) == 0) {
			free(path);
			continue;
		}
		if (!known(x, path)) {
			report(x, path, "not in the manifest");
			x->found++;
		}
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				walk_extras(x, sub, path);
		}
		free(path);
	}
	closedir(d);
}

/* The manifest's own path relative to DEST, when it lies inside it. */
static char *inside(const char *dest, const char *manifest)
{
	char *d = realpath(dest, NULL), *m = realpath(manifest, NULL), *rel = NULL;
	size_t n = d ? strlen(d) : 0;
	if (d && m && strncmp(m, d, n) == 0 && m[n] == '/')
		rel = strdup(m + n + 1);
	free(d);
	free(m);
	return rel;
}

int cmd_verify(struct xcli *cli)
{
	const char *dest = cli->args[0], *manifest = cli->args[1];
	int root = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	FILE *f = fopen(manifest, "re");
	if (root < 0 || !f) {
		/* nothing is written here: a DEST that is not there differs from
		 * its manifest in every entry (8); a manifest that cannot be read
		 * is no verdict at all (1) */
		int saved = errno;
		bool no_dest = root < 0;
		fprintf(stderr, "lifeboat-extract: cannot open %s '%s': %s%s\n",
		        no_dest ? "DEST" : "MANIFEST", no_dest ? dest : manifest, strerror(saved),
		        no_dest ? ": every entry of the manifest is missing" : "");
		if (root >= 0)
			close(root);
		if (f)
			fclose(f);
		return no_dest ? XT_MISMATCH : XT_FAIL;
	}
	char *text = NULL;
	size_t cap = 0;
	long long checked = 0, bad = 0, lineno = 0;
	struct extras x = { .json = cli->json, .diffs = json_array() };
	while (getline(&text, &cap, f) > 0 && !extract_interrupted) {
		lineno++;
		struct line l = { 0 };
		if (manifest_parse_line(text, &l) < 0) {
			fprintf(stderr, "lifeboat-extract: %s:%lld: malformed line\n", manifest, lineno);
			bad++;
		} else {
			const char *problem = check_one(root, &l, cli->owner);
			if (problem) {
				report(&x, l.path, problem);
				bad++;
			}
			checked++;
			char **k = realloc(x.known, (x.n_known + 1) * sizeof(*k));
			if (k) {
				x.known = k;
				x.known[x.n_known++] = l.path;
				l.path = NULL;
			}
		}
		free(l.path);
		free(l.target);
	}
	free(text);
	fclose(f);
	qsort(x.known, x.n_known, sizeof(char *), compare_str);
	char *skip = inside(dest, manifest);
	x.skip = skip;
	walk_extras(&x, root, "");
	bad += x.found;
	free(skip);
	for (size_t i = 0; i < x.n_known; i++)
		free(x.known[i]);
	free(x.known);
	if (cli->json) {
		json_t *doc = json_pack("{s:I, s:I, s:I, s:o}", "checked", (json_int_t)checked,
		                        "differ", (json_int_t)bad, "extra", (json_int_t)x.found,
		                        "differences", x.diffs);
		print_json_doc("verify", doc);
	} else {
		json_decref(x.diffs);
		printf("%lld entries checked, %lld differ\n", checked, bad);
	}
	if (extract_interrupted)
		return XT_INTERRUPTED;
	return bad ? XT_MISMATCH : XT_OK;
}

/* manifest.h - one line of the manifest copy writes and verify reads */
#ifndef EXTRACT_MANIFEST_H
#define EXTRACT_MANIFEST_H

struct line {
	char type;
	unsigned mode, uid, gid;
	long long size, mtime_sec;
	char *hash;              /* points into the line's text */
	char *path;              /* unescaped, owned */
	char *target;            /* unescaped, owned; symlinks and hard links */
};

/* Parse text ("T MODE UID GID SIZE MTIME HASH PATH [TARGET]", any length;
 * text is cut up in place): 0 with l filled (the caller frees l->path and
 * l->target), -1 when malformed. */
int manifest_parse_line(char *text, struct line *l);

#endif

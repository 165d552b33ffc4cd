/* manifest.h - one line of the manifest copy writes and verify reads */
#ifndef EXTRACT_MANIFEST_H
#define EXTRACT_MANIFEST_H

struct line {
	char type;
	unsigned mode, uid, gid;
	long long size, mtime_sec;
	long mtime_nsec;
	char sha[65];
	char *path;
};

/* Parse text ("f 644 0 0 SIZE SEC.NSEC SHA PATH"): 0 with l filled (the
 * caller frees l->path), -1 when malformed. */
int manifest_parse_line(char *text, struct line *l);

#endif

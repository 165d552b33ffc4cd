/* fuzz_tar.c - the tar reader's entry path: arbitrary bytes, parsed by
 * libarchive through reader_tar.c, put by writer.c under a fresh DEST.
 * Nothing may appear beside DEST (its parent holds DEST alone before and
 * after), and every manifest line the writer emits must read back, with
 * the same path, as verify reads it. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fuzz.h"
#include "../../extract/manifest.h"
#include "../../extract/reader_tar.h"
#include "../../extract/writer.h"

/* main.c's flag, which verify polls: never set here */
volatile sig_atomic_t extract_interrupted;

static char dest[96];

/* Entries beside DEST: each one is an escape. */
static size_t strangers(void)
{
	DIR *d = opendir(fuzz_tmpdir());
	if (!d)
		abort();
	size_t n = 0;
	for (struct dirent *de; (de = readdir(d));)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "dest")) {
			fprintf(stderr, "fuzz_tar: '%s' appeared outside DEST\n", de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static void check_manifest(char *text)
{
	for (char *line = text, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		struct line l = { 0 };
		if (manifest_parse_line(line, &l) < 0) {
			fprintf(stderr, "fuzz_tar: unreadable manifest line '%s'\n", line);
			abort();
		}
		free(l.path);
		free(l.target);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!dest[0])
		snprintf(dest, sizeof(dest), "%s/dest", fuzz_tmpdir());
	int fd = memfd_create("fuzz-tar", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	char *mtext = NULL;
	size_t mlen = 0;
	FILE *mf = open_memstream(&mtext, &mlen);
	struct writer_options opt = { .manifest = mf };
	char why[512];
	struct writer *w = writer_open(dest, &opt, why, sizeof(why));
	if (!w || !mf) {
		fprintf(stderr, "fuzz_tar: %s\n", w ? "out of memory" : why);
		abort();
	}
	/* NULL also when libarchive cannot even open the stream (an empty
	 * one): nothing is written then, which is what is checked below. */
	struct reader *r = reader_tar_open(fd, "", NULL, NULL);
	if (!r) {
		close(fd);
		writer_close(w);
		fclose(mf);
		free(mtext);
		if (strangers())
			abort();
		fuzz_rm_tree(dest);
		return 0;
	}
	struct entry e;
	int rc;
	while ((rc = r->next(r, &e)) == 1)
		if (writer_put(w, r, &e) < 0)
			break;
	size_t counts[PROBLEM_KINDS];
	(void)writer_finish(w, counts);
	writer_close(w);
	(void)r->close(r, why, sizeof(why));
	fclose(mf);
	check_manifest(mtext);
	free(mtext);
	if (strangers())
		abort();
	fuzz_rm_tree(dest);
	return 0;
}

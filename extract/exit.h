/* exit.h - lifeboat-extract's exit codes: stable, documented in
 * man/lifeboat-extract.1 (EXIT STATUS); never renumber */
#ifndef EXTRACT_EXIT_H
#define EXTRACT_EXIT_H

enum extract_exit {
	XT_OK = 0,
	XT_FAIL = 1,          /* anything not listed below */
	XT_USAGE = 2,         /* bad command line */
	XT_UNSAFE = 3,        /* the image was refused: a backing file */
	XT_BAD_IMAGE = 4,     /* unreadable, truncated or corrupt image */
	XT_APPLIANCE = 5,     /* the libguestfs appliance failed */
	XT_NOT_FOUND = 6,     /* no such path, filesystem or OS in the image */
	XT_PARTIAL = 7,       /* copied, but some entries (or PATHs) could not be */
	XT_MISMATCH = 8,      /* verify: the copy differs from the manifest */
	XT_LOCAL_IO = 9,      /* the destination could not be written */
	XT_SOURCE = 10,       /* the image could not be read to the end */
	XT_UNPROTECTED = 11,  /* inventory --fail-if-unprotected: something is */
	XT_INTERRUPTED = 130, /* stopped by SIGINT or SIGTERM */
};

#endif

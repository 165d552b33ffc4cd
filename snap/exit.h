/* exit.h - lifeboat-snap's exit codes: stable, documented in
 * man/lifeboat-snap.1 (EXIT STATUS); never renumber */
#ifndef SNAP_EXIT_H
#define SNAP_EXIT_H

#include "conoha.h"

enum snap_exit {
	EXIT_OK = 0,
	EXIT_FAIL = 1,          /* anything not listed below */
	EXIT_USAGE = 2,         /* bad command line */
	EXIT_CONFIG = 3,        /* settings missing or invalid */
	EXIT_AUTH = 4,          /* credentials rejected */
	EXIT_UNREACHABLE = 5,   /* an endpoint could not be reached */
	EXIT_TLS = 6,           /* TLS verification failed */
	EXIT_NOT_FOUND = 7,     /* no such server, image or endpoint */
	EXIT_AMBIGUOUS = 8,     /* a name matched several things */
	EXIT_REFUSED = 9,       /* the cloud refused the request */
	EXIT_TIMEOUT = 10,      /* a bounded wait ran out */
	EXIT_CHECKSUM = 11,     /* a checksum did not match */
	EXIT_NO_DOWNLOAD = 12,  /* the cloud refuses image downloads */
	EXIT_LOCAL_IO = 13,     /* a local file could not be read or written */
	EXIT_UNSAFE = 14,       /* guard: no fresh verified image; retire refused */
	EXIT_SOME_FAILED = 15,  /* several servers, or prune's images: at least one failed */
	EXIT_INTERRUPTED = 130, /* stopped by SIGINT or SIGTERM */
};

/* The exit code for a library error. */
int exit_code_for(const conoha_error *err);

#endif

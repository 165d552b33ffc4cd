/* verify.h - what verify reads besides the image */
#ifndef SNAP_VERIFY_H
#define SNAP_VERIFY_H

/* The sha512 from FILE.sha512 ("HEX  NAME"), or NULL. Caller frees. */
char *read_sidecar(const char *file);

#endif

/* guest.h - the libguestfs appliance: the image added read-only with an
 * explicit format, launched (under TCG when KVM fails), filesystems
 * mounted read-only */
#ifndef EXTRACT_GUEST_H
#define EXTRACT_GUEST_H

#include <guestfs.h>
#include <stdbool.h>
#include "image.h"

struct guest {
	guestfs_h *g;
	struct image_info info;
	char *overlay_dir;    /* private: the throwaway overlay qemu writes to */
	char *overlay;
	char *os_root;        /* inspected root filesystem, NULL when none */
	bool dev_paths;       /* several filesystems: paths start /dev/sda1/ */
};

struct guest_options {
	const char *format;   /* --format, NULL to decide from the header */
	bool allow_backing;
	const char *filesystem; /* --filesystem DEV, NULL to inspect */
	bool verbose;
};

/* The handle of a running appliance, for the SIGINT handler: set once
 * launched, cleared before the handle is closed. Signals are handled on
 * the main thread only (workers block them), so the handler never sees a
 * freed handle. */
extern guestfs_h *volatile running_guest;

/* Probe (the image policy), add, launch. The drive qemu gets is a
 * throwaway qcow2 overlay whose backing file is the policy's block spec:
 * every level's format pinned, the chain ended, so qemu neither probes the
 * image's bytes nor opens any file the policy did not decide on. Returns
 * an exit code; messages printed. */
int guest_open(struct guest *gu, const char *image, const struct guest_options *opt);
/* Mount the OS's filesystems at their mountpoints, or one filesystem at
 * /, all read-only. Returns an exit code. */
int guest_mount(struct guest *gu, const struct guest_options *opt);
void guest_close(struct guest *gu);
/* A path as the user names it to the path in the appliance: on a data
 * disk with several filesystems, /dev/sda1/x is mounted at /sda1/x.
 * Points into PATH. */
const char *guest_path(const struct guest *gu, const char *path);
/* The handle's last error without the "call: PATH: " libguestfs puts in
 * front ("lstatns: /x: No such file or directory"), for a message that
 * names PATH itself. Borrowed, like guestfs_last_error's. */
const char *guest_error_about(guestfs_h *g, const char *path);

#endif

/* guest.c - opening an image strictly read-only with libguestfs */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "exit.h"
#include "guest.h"

extern char **environ;

guestfs_h *volatile running_guest;

static void free_strings(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

static guestfs_h *new_handle(const struct guest_options *opt)
{
	guestfs_h *g = guestfs_create();
	if (!g)
		return NULL;
	guestfs_set_error_handler(g, NULL, NULL); /* errors are reported by us */
	guestfs_set_trace(g, opt->verbose);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* Two vCPUs halve a copy's time under TCG on a two-core machine. */
	guestfs_set_smp(g, cpus >= 2 ? 2 : 1);
	return g;
}

/* qemu-img create -u: the overlay is made without opening its backing
 * file, whose name is the policy's json: spec (qemu opens nothing else). */
static int run_qemu_img_create(const char *spec, const char *format, const char *overlay,
                               unsigned long long size)
{
	char size_s[32];
	snprintf(size_s, sizeof(size_s), "%llu", size);
	char *argv[] = { (char *)"qemu-img", (char *)"create", (char *)"-q", (char *)"-f",
	                 (char *)"qcow2", (char *)"-u", (char *)"-b", (char *)spec, (char *)"-F",
	                 (char *)format, (char *)overlay, size_s, NULL };
	pid_t pid;
	int err = posix_spawnp(&pid, "qemu-img", NULL, NULL, argv, environ);
	if (err) {
		errno = err;
		return -1;
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	errno = EIO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int make_overlay(struct guest *gu)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = NULL;
	if (asprintf(&dir, "%s/lifeboat-drive.XXXXXX", tmp && *tmp ? tmp : "/var/tmp") < 0)
		return -1;
	if (!mkdtemp(dir)) {
		fprintf(stderr, "lifeboat-extract: cannot create '%s': %s\n", dir, strerror(errno));
		free(dir);
		return -1;
	}
	gu->overlay_dir = dir;
	if (asprintf(&gu->overlay, "%s/overlay.qcow2", dir) < 0) {
		gu->overlay = NULL;
		return -1;
	}
	if (run_qemu_img_create(gu->info.d.qemu_spec, gu->info.format, gu->overlay,
	                        (unsigned long long)gu->info.d.virtual_size) < 0) {
		fprintf(stderr, "lifeboat-extract: cannot create the overlay (qemu-img create): "
		        "%s\n", strerror(errno));
		return -1;
	}
	return 0;
}

static void remove_overlay(struct guest *gu)
{
	if (gu->overlay)
		unlink(gu->overlay);
	if (gu->overlay_dir)
		rmdir(gu->overlay_dir);
	free(gu->overlay);
	free(gu->overlay_dir);
	gu->overlay = gu->overlay_dir = NULL;
}

static int add_drive(struct guest *gu, const char *image)
{
	/* Not readonly=1: libguestfs would then make its own overlay naming
	 * the image by its path, and qemu would open that by the format
	 * given, or probe it. Ours names it by the policy's spec; the image
	 * is its backing file, which qemu opens read-only. */
	if (guestfs_add_drive_opts(gu->g, gu->overlay, GUESTFS_ADD_DRIVE_OPTS_READONLY, 0,
	                           GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2", -1) == -1) {
		fprintf(stderr, "lifeboat-extract: cannot add '%s': %s\n", image,
		        guestfs_last_error(gu->g));
		return XT_APPLIANCE;
	}
	return XT_OK;
}

static bool tcg_forced(void)
{
	const char *s = getenv("LIBGUESTFS_BACKEND_SETTINGS");
	return s && strstr(s, "force_tcg");
}

/* A broken KVM (it crashes qemu on some hosts) should not stop a rescue:
 * try once more under software emulation, and say so. */
static int launch(struct guest *gu, const char *image, const struct guest_options *opt)
{
	if (guestfs_launch(gu->g) == 0)
		return XT_OK;
	/* libguestfs' message runs to a page of advice: keep its first line */
	char first[512];
	const char *msg = guestfs_last_error(gu->g);
	snprintf(first, sizeof(first), "%.*s", (int)strcspn(msg ? msg : "", "\n"), msg ? msg : "");
	if (tcg_forced()) {
		fprintf(stderr, "lifeboat-extract: the appliance failed to start: %s\n", first);
		return XT_APPLIANCE;
	}
	fprintf(stderr, "lifeboat-extract: the appliance failed to start under KVM (%s); "
	        "retrying once with software emulation (TCG), which is slower\n", first);
	guestfs_close(gu->g);
	gu->g = new_handle(opt);
	char *settings[] = { (char *)"force_tcg", NULL };
	if (!gu->g || guestfs_set_backend_settings(gu->g, settings) == -1 ||
	    add_drive(gu, image) != XT_OK)
		return XT_APPLIANCE;
	if (guestfs_launch(gu->g) == 0)
		return XT_OK;
	fprintf(stderr, "lifeboat-extract: the appliance failed under TCG too: %s\n",
	        guestfs_last_error(gu->g));
	return XT_APPLIANCE;
}

const char *guest_error_about(guestfs_h *g, const char *path)
{
	const char *msg = guestfs_last_error(g);
	if (!msg)
		return "unknown error";
	const char *colon = strstr(msg, ": ");
	size_t pl = strlen(path);
	if (colon && strncmp(colon + 2, path, pl) == 0 && strncmp(colon + 2 + pl, ": ", 2) == 0)
		return colon + 2 + pl + 2;
	return msg;
}

int guest_open(struct guest *gu, const char *image, const struct guest_options *opt)
{
	memset(gu, 0, sizeof(*gu));
	char why[1400];
	int rc = image_probe(image, opt->format, opt->allow_backing, &gu->info, why, sizeof(why));
	if (rc != XT_OK) {
		fprintf(stderr, "lifeboat-extract: '%s': %s\n", image, why);
		return rc;
	}
	gu->g = new_handle(opt);
	if (!gu->g) {
		fprintf(stderr, "lifeboat-extract: cannot create a libguestfs handle\n");
		return XT_APPLIANCE;
	}
	if (make_overlay(gu) < 0)
		return XT_LOCAL_IO;
	rc = add_drive(gu, image);
	if (rc == XT_OK)
		rc = launch(gu, image, opt);
	if (rc == XT_OK)
		running_guest = gu->g;
	return rc;
}

void guest_close(struct guest *gu)
{
	/* The handler must not cancel a handle being freed. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	running_guest = NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (gu->g) {
		guestfs_umount_all(gu->g);
		guestfs_shutdown(gu->g);
		guestfs_close(gu->g);
	}
	remove_overlay(gu);
	image_info_free(&gu->info);
	free(gu->os_root);
	memset(gu, 0, sizeof(*gu));
}

/* ---- mounting -------------------------------------------------------------- */

static int compare_mountpoints(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);
	return lx < ly ? -1 : lx > ly ? 1 : strcmp(x[0], y[0]);
}

/* Mount one filesystem read-only. A dirty journal (a crash, a live
 * snapshot) is replayed, as the native reader replays it: the writes go to
 * the throwaway overlay in front of the image, never to the image, and the
 * tree is what a kernel mount of the server would have shown. Only when
 * replay fails is the journal left alone ("norecovery"): a stale tree is
 * still better than none for a rescue. */
static int mount_ro(guestfs_h *g, const char *dev, const char *where)
{
	if (guestfs_mount_ro(g, dev, where) == 0)
		return 0;
	return guestfs_mount_options(g, "ro,norecovery", dev, where);
}

static int mount_os(struct guest *gu, const char *root)
{
	char **mps = guestfs_inspect_get_mountpoints(gu->g, root);
	if (!mps)
		return XT_APPLIANCE;
	size_t n = 0;
	while (mps[n])
		n++;
	/* pairs (mountpoint, device), shortest mountpoint first */
	qsort(mps, n / 2, 2 * sizeof(char *), compare_mountpoints);
	int rc = XT_OK;
	for (size_t i = 0; i + 1 < n; i += 2) {
		if (mount_ro(gu->g, mps[i + 1], mps[i]) == 0)
			continue;
		/* Without its root nothing else can be mounted or found. */
		bool is_root = strcmp(mps[i], "/") == 0;
		fprintf(stderr, "lifeboat-extract: %scannot mount %s on %s: %s\n",
		        is_root ? "" : "warning: ", mps[i + 1], mps[i], guestfs_last_error(gu->g));
		if (is_root) {
			rc = XT_NOT_FOUND;
			break;
		}
	}
	free_strings(mps);
	if (rc == XT_OK && !(gu->os_root = strdup(root)))
		rc = XT_FAIL;
	return rc;
}

static int mount_single(struct guest *gu, const char *dev)
{
	if (mount_ro(gu->g, dev, "/") == -1) {
		fprintf(stderr, "lifeboat-extract: cannot mount %s: %s\n", dev,
		        guestfs_last_error(gu->g));
		return XT_NOT_FOUND;
	}
	return XT_OK;
}

static bool mountable(const char *type);

/* mkmountpoint makes one level: /vg0/lv0 needs /vg0 first. */
static int make_mountpoint(guestfs_h *g, const char *where)
{
	char *path = strdup(where);
	int rc = path ? 0 : -1;
	for (char *slash = path; rc == 0 && slash; ) {
		slash = strchr(slash + 1, '/');
		if (slash)
			*slash = '\0';
		if (guestfs_is_dir(g, path) != 1)
			rc = guestfs_mkmountpoint(g, path);
		if (slash)
			*slash = '/';
	}
	free(path);
	return rc;
}

/* A data disk with several filesystems: each on its own directory named
 * for its device, /dev/sda1 at /sda1, /dev/vg/lv at /vg/lv (the
 * appliance's own /dev is taken); the user names them /dev/sda1/... */
static int mount_each(struct guest *gu, char **fs)
{
	gu->dev_paths = true;
	for (size_t i = 0; fs[i] && fs[i + 1]; i += 2) {
		if (!mountable(fs[i + 1]) || strncmp(fs[i], "/dev/", 5) != 0)
			continue;
		const char *where = fs[i] + 4; /* "/sda1" */
		if (make_mountpoint(gu->g, where) == -1 || mount_ro(gu->g, fs[i], where) == -1)
			fprintf(stderr, "lifeboat-extract: warning: cannot mount %s: %s\n", fs[i],
			        guestfs_last_error(gu->g));
		else
			fprintf(stderr, "lifeboat-extract: %s mounted: its files are %s/...\n", fs[i],
			        fs[i]);
	}
	return XT_OK;
}

const char *guest_path(const struct guest *gu, const char *path)
{
	return gu->dev_paths && strncmp(path, "/dev/", 5) == 0 ? path + 4 : path;
}

static bool mountable(const char *type)
{
	return strcmp(type, "swap") != 0 && strcmp(type, "unknown") != 0 &&
	       strcmp(type, "") != 0;
}

int guest_mount(struct guest *gu, const struct guest_options *opt)
{
	if (opt->filesystem)
		return mount_single(gu, opt->filesystem);
	char **roots = guestfs_inspect_os(gu->g);
	int rc;
	if (roots && roots[0]) {
		rc = mount_os(gu, roots[0]);
		free_strings(roots);
		return rc;
	}
	free_strings(roots);
	/* A data disk: its one filesystem, or the user names one. */
	char **fs = guestfs_list_filesystems(gu->g);
	if (!fs)
		return XT_APPLIANCE;
	const char *only = NULL;
	size_t count = 0;
	for (size_t i = 0; fs[i] && fs[i + 1]; i += 2)
		if (mountable(fs[i + 1])) {
			only = fs[i];
			count++;
		}
	if (count == 1)
		rc = mount_single(gu, only);
	else if (count == 0) {
		fprintf(stderr, "lifeboat-extract: no filesystem found in the image\n");
		rc = XT_NOT_FOUND;
	} else
		rc = mount_each(gu, fs);
	free_strings(fs);
	return rc;
}

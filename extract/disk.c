/* disk.c - raw images by pread, qcow2 through qemu-nbd and libnbd */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libnbd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "disk.h"

extern char **environ;

/* qemu-nbd answers requests of up to 32 MiB */
#define NBD_CHUNK (4u << 20)

struct disk {
	int fd;                    /* raw: the image, O_RDONLY */
	struct nbd_handle *nbd;    /* qcow2: qemu-nbd's export */
	pid_t server;              /* qcow2: qemu-nbd, our child; 0 when none */
	uint64_t size;
};

char *disk_qemu_spec(const char *abs_path)
{
	json_t *spec = json_pack("{s:s, s:{s:s, s:s}, s:n}", "driver", "qcow2", "file", "driver",
	                         "file", "filename", abs_path, "backing");
	char *text = spec ? json_dumps(spec, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(spec);
	if (!text)
		return NULL;
	size_t n = strlen(text) + sizeof("json:");
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "json:%s", text);
	free(text);
	return out;
}

/* A raw image file, or a block device (its size from the kernel). The
 * caller names PATH in front of why. */
static struct disk *open_raw(struct disk *d, const char *path, char *why, size_t size)
{
	struct stat st;
	d->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (d->fd < 0 || fstat(d->fd, &st) < 0) {
		snprintf(why, size, "cannot open the image: %s", strerror(errno));
		disk_close(d);
		return NULL;
	}
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &d->size) < 0) {
			snprintf(why, size, "cannot read the block device's size: %s", strerror(errno));
			disk_close(d);
			return NULL;
		}
		return d;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, size, "cannot open the image: neither a regular file nor a block device");
		disk_close(d);
		return NULL;
	}
	d->size = (uint64_t)st.st_size;
	return d;
}

/* A listening socket with one connection already waiting in its backlog,
 * and nothing of it left in the filesystem: bound in a private directory,
 * connected to, then unlinked with its directory at once. The listener in
 * *lfd (for qemu-nbd), the connected end in *cfd (for libnbd). */
static int socket_pair_listening(int *lfd, int *cfd, char *why, size_t size)
{
	const char *tmp = getenv("TMPDIR");
	char dir[80], sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int n = snprintf(dir, sizeof(dir), "%s/lifeboat-nbd.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof(dir))   /* a long TMPDIR: a socket name has 108 bytes */
		n = snprintf(dir, sizeof(dir), "/tmp/lifeboat-nbd.XXXXXX");
	*lfd = *cfd = -1;
	if (!mkdtemp(dir)) {
		snprintf(why, size, "cannot make a directory for qemu-nbd's socket: %s",
		         strerror(errno));
		return -1;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	n = snprintf(sock, sizeof(sock), "%s/s", dir);
	int err = 0;
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		err = ENAMETOOLONG;
	else
		memcpy(sa.sun_path, sock, (size_t)n + 1);
	if (!err && ((*lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	             bind(*lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(*lfd, 1) < 0 ||
	             (*cfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	             connect(*cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0))
		err = errno;
	unlink(sock);
	rmdir(dir);
	if (err) {
		snprintf(why, size, "cannot make a socket for qemu-nbd: %s", strerror(err));
		if (*lfd >= 0)
			close(*lfd);
		if (*cfd >= 0)
			close(*cfd);
		*lfd = *cfd = -1;
		return -1;
	}
	return 0;
}

/* The environment for qemu-nbd: ours (main has dropped OS_* from it)
 * without any LISTEN_* of our own, then LISTEN_FDS=1 and LISTEN_PID with
 * room for the child to write its pid. Caller frees the array alone. */
static char **server_environment(char *pid_slot, size_t slot_size)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 3, sizeof(*env));
	if (!env)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LISTEN_", 7) != 0)
			env[k++] = environ[i];
	env[k++] = (char *)"LISTEN_FDS=1";
	snprintf(pid_slot, slot_size, "LISTEN_PID=");
	env[k++] = pid_slot;
	return env;
}

/* Decimal pid into dst, async-signal-safe (the child of a fork). */
static void put_pid(char *dst, pid_t pid)
{
	char digits[24];
	size_t n = 0;
	unsigned long v = (unsigned long)pid;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*dst++ = digits[--n];
	*dst = '\0';
}

/* qemu-nbd, activated on the listener as systemd would: fd 3, LISTEN_FDS=1,
 * LISTEN_PID its own. It dies with us (PR_SET_PDEATHSIG), even when we are
 * killed, and holds nothing of ours but the listener and stdio. */
static pid_t start_server(int lfd, char *const argv[], char *why, size_t size)
{
	char pid_slot[40];
	char **env = server_environment(pid_slot, sizeof(pid_slot));
	if (!env) {
		snprintf(why, size, "cannot start qemu-nbd: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(127);
		put_pid(pid_slot + strlen("LISTEN_PID="), getpid());
		if (lfd == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(lfd, 3) < 0)
			_exit(127);
		close_range(4, ~0U, 0);
		execvpe(argv[0], argv, env);
		_exit(127);
	}
	int err = errno;
	free(env);
	if (pid < 0)
		snprintf(why, size, "cannot start qemu-nbd: %s", strerror(err));
	return pid;
}

static struct disk *open_qcow2(struct disk *d, const char *path, char *why, size_t size)
{
	char *abs = realpath(path, NULL);
	char *spec = abs ? disk_qemu_spec(abs) : NULL;
	free(abs);
	d->nbd = nbd_create();
	if (!spec || !d->nbd) {
		snprintf(why, size, "cannot prepare qemu-nbd: %s",
		         spec ? nbd_get_error() : strerror(errno));
		free(spec);
		disk_close(d);
		return NULL;
	}
	/* --read-only: qemu-nbd opens the file O_RDONLY and refuses writes;
	 * the spec pins the format and names no backing file. */
	char *argv[] = { (char *)"qemu-nbd", (char *)"--read-only", (char *)"--shared=1",
	                 spec, NULL };
	int lfd, cfd;
	if (socket_pair_listening(&lfd, &cfd, why, size) < 0) {
		free(spec);
		disk_close(d);
		return NULL;
	}
	pid_t pid = start_server(lfd, argv, why, size);
	close(lfd);
	free(spec);
	if (pid < 0) {
		close(cfd);
		disk_close(d);
		return NULL;
	}
	d->server = pid;
	/* libnbd owns cfd from here, even when the handshake fails */
	int64_t n = -1;
	if (nbd_connect_socket(d->nbd, cfd) == -1 || (n = nbd_get_size(d->nbd)) < 0) {
		snprintf(why, size, "qemu-nbd cannot serve it: %s", nbd_get_error());
		disk_close(d);
		return NULL;
	}
	d->size = (uint64_t)n;
	return d;
}

struct disk *disk_open(const char *path, const char *format, char *why, size_t size)
{
	struct disk *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(why, size, "%s", strerror(errno));
		return NULL;
	}
	d->fd = -1;
	if (strcmp(format, "qcow2") == 0)
		return open_qcow2(d, path, why, size);
	if (strcmp(format, "raw") == 0)
		return open_raw(d, path, why, size);
	snprintf(why, size, "unknown image format '%s'", format);
	free(d);
	return NULL;
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

int disk_pread(struct disk *d, void *buf, size_t len, uint64_t off, char *why, size_t size)
{
	if (off > d->size || len > d->size - off) {
		snprintf(why, size, "read of %zu bytes at %llu lies past the disk's end (%llu)", len,
		         (unsigned long long)off, (unsigned long long)d->size);
		return -1;
	}
	unsigned char *p = buf;
	while (len > 0) {
		size_t n = len < NBD_CHUNK ? len : NBD_CHUNK;
		if (d->nbd) {
			if (nbd_pread(d->nbd, p, n, off, 0) == -1) {
				snprintf(why, size, "reading the image: %s", nbd_get_error());
				return -1;
			}
		} else {
			ssize_t k = pread(d->fd, p, n, (off_t)off);
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				snprintf(why, size, "reading the image: %s",
				         k < 0 ? strerror(errno) : "unexpected end of file");
				return -1;
			}
			n = (size_t)k;
		}
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	if (d->nbd) {
		nbd_shutdown(d->nbd, 0);
		nbd_close(d->nbd);
	}
	if (d->server > 0) {
		/* read-only, nothing to flush: no need to wait for it to end on its own */
		kill(d->server, SIGKILL);
		while (waitpid(d->server, NULL, 0) < 0 && errno == EINTR)
			;
	}
	if (d->fd >= 0)
		close(d->fd);
	free(d);
}

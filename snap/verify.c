/* verify.c - "lifeboat-snap verify FILE [IMAGE]": the bytes against their
 * hashes, and the qcow2 header for what would make the image unsafe */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "hashes.h"
#include "image_policy.h"
#include "verify.h"

struct qcow2_info {
	bool is_qcow2;
	bool looks_qcow2;      /* raw, but the guest's first bytes are a qcow2 header */
	uint32_t version;
	uint64_t virtual_size;
	char format[16];       /* the disk_format FILE.json records, "" without one */
};

/* The image policy (common/image_policy.h), with the format Glance
 * recorded in FILE.json when there is one: a file said to be qcow2 must
 * be one, and one said to be raw is raw whatever its bytes say. Returns
 * 0, or an exit code with the reason printed. */
static int read_qcow2_header(const char *file, struct qcow2_info *q)
{
	char why[512];
	*q = (struct qcow2_info){ 0 };
	int sc = image_sidecar_format(file, q->format, sizeof(q->format), why, sizeof(why));
	if (sc < 0) {
		complain("'%s': %s", file, why);
		return EXIT_CHECKSUM;
	}
	if (sc == 0)
		q->format[0] = '\0';
	struct image_request req = { .path = file, .expected_format = sc == 1 ? q->format : NULL };
	struct image_decision d;
	enum image_verdict v = image_decide(&req, &d);
	q->is_qcow2 = strcmp(d.format, "qcow2") == 0;
	q->looks_qcow2 = !q->is_qcow2 && d.header_looks_qcow2;
	q->version = d.qcow2_version;
	q->virtual_size = d.virtual_size;
	if (v != IMAGE_OK)
		complain("'%s': %s", file, d.why);
	image_decision_free(&d);
	return v == IMAGE_OK ? EXIT_OK : EXIT_CHECKSUM;
}

extern char **environ;

/* The environment without OS_* (the password, a token or an application
 * credential's secret may be there): a child needs none of them, and its
 * /proc/PID/environ is open to every process of the user. Caller frees
 * the array, not the strings. */
static char **environ_without_os(void)
{
	size_t n = 0, k = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof(*env));
	for (size_t i = 0; env && i < n; i++)
		if (strncmp(environ[i], "OS_", 3) != 0)
			env[k++] = environ[i];
	return env;
}

/* qemu-img's own consistency check, when qemu-img is installed. Returns
 * 1 when it passed, 0 when it failed, -1 when not run. */
static int qemu_img_check(const char *file)
{
	char prog[] = "qemu-img", check[] = "check", quiet[] = "-q", f[] = "-f", fmt[] = "qcow2";
	char *argv[] = { prog, check, quiet, f, fmt, (char *)file, NULL };
	char **env = environ_without_os();
	if (!env)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		free(env);
		return -1;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		if (devnull >= 0) {
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
		}
		execvpe("qemu-img", argv, env);
		_exit(127);
	}
	free(env);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127)
		return -1;
	return WEXITSTATUS(status) == 0 ? 1 : 0;
}

char *read_sidecar(const char *file)
{
	char path[4096 + 16];
	snprintf(path, sizeof(path), "%s.sha512", file);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char line[512];
	char *hex = NULL;
	if (fgets(line, sizeof(line), f)) {
		size_t n = strspn(line, "0123456789abcdefABCDEF");
		if (n == 128)
			hex = strndup(line, n);
	}
	fclose(f);
	return hex;
}

static int expected_from_image(struct cli *cli, const char *image_id,
                               struct conoha_image *img, struct hashes *h)
{
	int rc = EXIT_OK;
	conoha_client *c = session_or_exit(cli, &rc);
	if (!c)
		return rc;
	conoha_error err;
	conoha_error_clear(&err);
	if (conoha_image_get(c, image_id, img, &err) < 0)
		rc = fail_with(&err);
	conoha_client_free(c);
	if (rc)
		return rc;
	const char *why;
	if (hashes_expect_image(h, img, cli->all_hashes, &why) < 0) {
		complain("image %s %s", image_id, why);
		return EXIT_CHECKSUM;
	}
	return EXIT_OK;
}

static int verify_hashes(const char *file, int fd, struct hashes *h, json_t *out)
{
	if (hashes_file(h, fd, -1) < 0) {
		complain("cannot read '%s': %s", file, strerror(errno));
		return EXIT_LOCAL_IO;
	}
	hashes_final(h);
	json_t *checked = json_object(), *mismatch = json_array();
	for (size_t i = 0; i < h->n; i++) {
		json_object_set_new(checked, h->d[i].name, json_string(h->d[i].hex));
		if (h->d[i].expected && strcasecmp(h->d[i].expected, h->d[i].hex) != 0)
			json_array_append_new(mismatch, json_string(h->d[i].name));
	}
	json_object_set_new(out, "hashes", checked);
	json_object_set_new(out, "mismatch", mismatch);
	const struct digest *bad = hashes_mismatch(h);
	json_object_set_new(out, "checksum_ok", json_boolean(!bad));
	if (bad) {
		complain("'%s': %s mismatch: expected %s, got %s", file, bad->name, bad->expected,
		         bad->hex);
		return EXIT_CHECKSUM;
	}
	return EXIT_OK;
}

static void report_text(const char *file, const struct hashes *h, const struct qcow2_info *q,
                        int qemu)
{
	if (q->looks_qcow2)
		printf("%s: disk_format %s (FILE.json): read as raw; its first bytes, which "
		       "the guest wrote, look like a qcow2 header\n", file, q->format);
	else if (q->format[0])
		printf("%s: disk_format %s (FILE.json), as its header says\n", file, q->format);
	for (size_t i = 0; i < h->n; i++)
		printf("%s: %s OK\n", file, h->d[i].name);
	if (q->is_qcow2)
		printf("%s: qcow2 v%u, virtual size %llu bytes, no backing file\n", file,
		       q->version, (unsigned long long)q->virtual_size);
	else
		printf("%s: no qcow2 header (raw image?)\n", file);
	if (qemu >= 0)
		printf("%s: qemu-img check %s\n", file, qemu ? "found no errors" : "FAILED");
}

static int run_verify(struct cli *cli, int fd, struct hashes *h, json_t *out)
{
	const char *file = cli->args[0];
	struct conoha_image img = { 0 };
	char *sidecar = NULL;
	int rc;
	if (cli->nargs > 1) {
		rc = expected_from_image(cli, cli->args[1], &img, h);
	} else {
		sidecar = read_sidecar(file);
		rc = sidecar && hashes_add(h, "sha512", sidecar) == 0 ? EXIT_OK : EXIT_CHECKSUM;
		if (rc)
			complain("no usable '%s.sha512' beside it: name the IMAGE to verify against",
			         file);
	}
	/* what the file is held against, even when it does not match */
	json_t *expected = json_object();
	for (size_t i = 0; i < h->n; i++)
		if (h->d[i].expected)
			json_object_set_new(expected, h->d[i].name, json_string(h->d[i].expected));
	json_object_set_new(out, "against", json_string(cli->nargs > 1 ? "image" : "sidecar"));
	json_object_set_new(out, "image_id", json_str_or_null(cli->nargs > 1 ? cli->args[1] : NULL));
	json_object_set_new(out, "expected", expected);
	struct qcow2_info q;
	if (rc == EXIT_OK)
		rc = read_qcow2_header(file, &q);
	bool header_read = rc == EXIT_OK;
	if (rc == EXIT_OK)
		rc = verify_hashes(file, fd, h, out);
	int qemu = rc == EXIT_OK && q.is_qcow2 ? qemu_img_check(file) : -1;
	if (qemu == 0) {
		complain("'%s': qemu-img check found errors", file);
		rc = EXIT_CHECKSUM;
	}
	if (header_read) {
		json_object_set_new(out, "qcow2", json_boolean(q.is_qcow2));
		json_object_set_new(out, "virtual_size", q.is_qcow2 ?
		                    json_integer((json_int_t)q.virtual_size) : json_null());
		json_object_set_new(out, "qemu_img_check",
		                    qemu < 0 ? json_null() : json_boolean(qemu == 1));
		json_object_set_new(out, "disk_format",
		                    q.format[0] ? json_string(q.format) : json_null());
		if (!cli->json && rc == EXIT_OK)
			report_text(file, h, &q, qemu);
	}
	free(sidecar);
	conoha_image_clear(&img);
	return rc;
}

int cmd_verify(struct cli *cli)
{
	const char *file = cli->args[0];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		complain("cannot open '%s': %s", file, strerror(errno));
		return EXIT_LOCAL_IO;
	}
	struct hashes h = { .n = 0 };
	/* every field is there; null until its check ran */
	json_t *out = json_doc("verify");
	json_object_update_new(out, json_pack("{s:s, s:b, s:s, s:n, s:{}, s:{}, s:[], s:n, "
	                                      "s:n, s:n, s:n, s:n}", "file", file, "ok", 0,
	                                      "against", cli->nargs > 1 ? "image" : "sidecar",
	                                      "image_id", "expected", "hashes", "mismatch",
	                                      "checksum_ok", "disk_format", "qcow2",
	                                      "virtual_size", "qemu_img_check"));
	int rc = run_verify(cli, fd, &h, out);
	json_object_set_new(out, "ok", json_boolean(rc == EXIT_OK));
	if (cli->json)
		json_put(out);
	else
		json_decref(out);
	hashes_free(&h);
	close(fd);
	return rc;
}

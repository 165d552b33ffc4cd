/* inv_cmd.c - "inventory IMAGE": options in, one report out, the exit
 * code a runbook can act on */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "json_doc.h"
#include "cli.h"
#include "exit.h"
#include "inv_guest.h"
#include "inv_native.h"
#include "native_run.h"
#include "inv_report.h"

#define BACKUP_LIST_MAX ((size_t)16 << 20)

static struct inv_backups *load_backups(const char *file, int *rc)
{
	char why[512];
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "lifeboat-extract: cannot open '%s': %s\n", file, strerror(errno));
		if (fd >= 0)
			close(fd);
		*rc = XT_USAGE;
		return NULL;
	}
	char *buf = malloc(BACKUP_LIST_MAX);
	size_t len = 0;
	ssize_t n = 0;
	while (buf && len < BACKUP_LIST_MAX &&
	       (n = read(fd, buf + len, BACKUP_LIST_MAX - len)) > 0)
		len += (size_t)n;
	close(fd);
	struct inv_backups *b = NULL;
	if (!buf || n < 0)
		snprintf(why, sizeof(why), "%s", strerror(buf ? errno : ENOMEM));
	else if (len == BACKUP_LIST_MAX)
		snprintf(why, sizeof(why), "longer than %zu bytes", BACKUP_LIST_MAX);
	else
		b = inv_backups_parse(buf, len, why, sizeof(why));
	free(buf);
	if (!b) {
		fprintf(stderr, "lifeboat-extract: --backed-up '%s': %s\n", file, why);
		*rc = XT_USAGE;
	}
	return b;
}

static void show_progress(void *ud, uint64_t entries)
{
	(void)ud;
	fprintf(stderr, "\rinventory: %llu entries", (unsigned long long)entries);
}

/* The walk, the report and the verdict, for any source; why the walk
 * failed goes to FAIL, for the caller to report or retry. */
static int run_report(struct xcli *cli, struct inv_source *src, const struct inv_backups *b,
                      char *fail, size_t fail_size)
{
	bool progress = cli->progress == 1 || (cli->progress == -1 && isatty(STDERR_FILENO));
	struct inv_options opt = {
		.backups = b, .min_size = cli->min_size, .top = cli->top,
		.progress = progress ? show_progress : NULL,
	};
	struct inv_result res;
	char why[512];
	int rc = inventory_run(src, &opt, &res, why, sizeof(why));
	if (progress)
		fprintf(stderr, "\rinventory: %llu entries walked\n", (unsigned long long)res.entries);
	if (rc < 0) {
		snprintf(fail, fail_size, "%s", why);
		inv_result_free(&res);
		return extract_interrupted ? XT_INTERRUPTED : XT_FAIL;
	}
	if (cli->json) {
		json_t *doc = inv_report_json(&res, cli->args[0]);
		rc = print_json_doc("inventory", doc);
	} else
		rc = inv_report_text(stdout, &res, cli->args[0]);
	if (fflush(stdout) != 0)
		rc = -1;
	bool unprotected = res.unprotected_roots || res.unprotected_drift;
	inv_result_free(&res);
	if (rc < 0)
		return XT_FAIL;
	return cli->fail_if_unprotected && unprotected ? XT_UNPROTECTED : XT_OK;
}

static void report_failure(const struct xcli *cli, const char *why)
{
	if (why[0])
		fprintf(stderr, "lifeboat-extract: inventory of '%s' failed: %s\n", cli->args[0], why);
}

static int with_appliance(struct xcli *cli, const struct inv_backups *b)
{
	struct guest gu;
	char why[512] = "";
	int rc = open_and_mount(cli, &gu);
	struct inv_source *src = rc == XT_OK ? inv_guest_source(&gu) : NULL;
	if (rc == XT_OK && !src) {
		snprintf(why, sizeof(why), "%s", strerror(ENOMEM));
		rc = XT_FAIL;
	} else if (src)
		rc = run_report(cli, src, b, why, sizeof(why));
	report_failure(cli, why);
	inv_guest_source_free(src);
	guest_close(&gu);
	return rc;
}

int cmd_inventory(struct xcli *cli)
{
	int rc = XT_OK;
	struct inv_backups *b = NULL;
	if (cli->backed_up && !(b = load_backups(cli->backed_up, &rc)))
		return rc;
	/* the native reader first, unless --reader=appliance; auto falls back
	 * when it cannot read the image, or fails on the way */
	struct inv_source *src = inv_native_source(cli, &rc);
	if (src) {
		char why[512] = "";
		rc = run_report(cli, src, b, why, sizeof(why));
		int frc = XT_OK;
		enum inv_native_fail f = rc == XT_FAIL ? inv_native_failure(src, &frc) : INV_NATIVE_NONE;
		inv_native_source_free(src);
		if (f == INV_NATIVE_EXIT)
			rc = frc;
		else if (f == INV_NATIVE_FALLBACK)
			rc = with_appliance(cli, b);
		else if (f == INV_NATIVE_MIDWAY && cli->reader == READER_AUTO) {
			fprintf(stderr, "lifeboat-extract: using the appliance: %s\n", why);
			rc = with_appliance(cli, b);
		} else
			report_failure(cli, why);
	} else if (rc == XT_OK)
		rc = with_appliance(cli, b);
	inv_backups_free(b);
	return rc;
}

/* inv_cmd.c - "inventory IMAGE": options in, one report out, the exit
 * code a runbook can act on */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "exit.h"
#include "inv_guest.h"
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

/* The walk, the report and the verdict, for any source. */
static int inventory_report(struct xcli *cli, struct inv_source *src, const struct inv_backups *b)
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
		fprintf(stderr, "lifeboat-extract: inventory of '%s' failed: %s\n", cli->args[0], why);
		inv_result_free(&res);
		return extract_interrupted ? XT_INTERRUPTED : XT_FAIL;
	}
	if (cli->json) {
		json_t *doc = inv_report_json(&res, cli->args[0]);
		rc = doc && json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0 : -1;
		json_decref(doc);
		fputc('\n', stdout);
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

int cmd_inventory(struct xcli *cli)
{
	int rc = XT_OK;
	struct inv_backups *b = NULL;
	if (cli->backed_up && !(b = load_backups(cli->backed_up, &rc)))
		return rc;
	struct guest gu;
	rc = open_and_mount(cli, &gu);
	if (rc == XT_OK) {
		struct inv_source *src = inv_guest_source(&gu);
		if (!src) {
			fprintf(stderr, "lifeboat-extract: %s\n", strerror(ENOMEM));
			rc = XT_FAIL;
		} else
			rc = inventory_report(cli, src, b);
		inv_guest_source_free(src);
	}
	guest_close(&gu);
	inv_backups_free(b);
	return rc;
}

/* test_metrics.c - the Prometheus textfile: a run folded in, counters
 * carried from the last file, other servers' series kept, label values
 * escaped and read back, a file not ours refused; the selectors and the
 * priorities of the journal events */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "../../snap/fleet.h"
#include "../../snap/logjson.h"
#include "../../snap/metrics.h"

static double value_of(const struct metrics_set *set, int family, const char *server,
                       const char *command)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].family == family && !strcmp(set->items[i].server, server) &&
		    !strcmp(set->items[i].command, command))
			return set->items[i].value;
	return -1;
}

static bool has(const struct metrics_set *set, int family, const char *server)
{
	return value_of(set, family, server, "create") != -1;
}

static void run_ok(struct metrics_set *set, const char *server, long long bytes)
{
	struct metrics_run r = { .server = server, .command = "create", .ok = true,
	                         .finished_at = 1700000000, .duration_s = 12.5,
	                         .image_bytes = bytes };
	assert_int_equal(metrics_apply(set, &r), 0);
}

static void run_failed(struct metrics_set *set, const char *server)
{
	struct metrics_run r = { .server = server, .command = "create", .ok = false,
	                         .finished_at = 1700000100, .duration_s = 3, .image_bytes = -1 };
	assert_int_equal(metrics_apply(set, &r), 0);
}

/* format, parse back, format again: the same text */
static char *round_trip(struct metrics_set *set)
{
	char *text = metrics_format(set);
	assert_non_null(text);
	struct metrics_set again = { 0 };
	assert_int_equal(metrics_parse(&again, text), 0);
	char *text2 = metrics_format(&again);
	assert_string_equal(text, text2);
	free(text2);
	metrics_set_free(set);
	*set = again;
	return text;
}

static void test_success_then_failures_carry(void **state)
{
	(void)state;
	struct metrics_set set = { 0 };
	run_ok(&set, "web1", 1000);
	run_failed(&set, "web2");
	free(round_trip(&set));
	run_failed(&set, "web2");
	run_failed(&set, "web1");
	char *text = round_trip(&set);
	assert_true(value_of(&set, M_FAILURES, "web2", "create") == 2);
	assert_true(value_of(&set, M_FAILURES, "web1", "create") == 1);
	/* a failure keeps the last success and its size */
	assert_true(value_of(&set, M_LAST_SUCCESS, "web1", "create") == 1700000000);
	assert_true(value_of(&set, M_LAST_BYTES, "web1", "create") == 1000);
	assert_true(value_of(&set, M_LAST_DURATION, "web1", "create") == 3);
	/* never a success: no success time, no size */
	assert_false(has(&set, M_LAST_SUCCESS, "web2"));
	assert_false(has(&set, M_LAST_BYTES, "web2"));
	assert_non_null(strstr(text, "# TYPE lifeboat_failures_total counter\n"));
	assert_non_null(strstr(text, "# TYPE lifeboat_last_image_bytes gauge\n"));
	assert_non_null(strstr(text, "lifeboat_failures_total{server=\"web2\",command=\"create\"} 2\n"));
	free(text);
	metrics_set_free(&set);
}

static void test_size_unknown_keeps_the_old(void **state)
{
	(void)state;
	struct metrics_set set = { 0 };
	run_ok(&set, "a", 5);
	run_ok(&set, "a", -1);
	assert_true(value_of(&set, M_LAST_BYTES, "a", "create") == 5);
	metrics_set_free(&set);
}

/* many series: the array grows under the series being changed */
static void test_many_servers(void **state)
{
	(void)state;
	struct metrics_set set = { 0 };
	char name[32];
	/* three series first, so that growing falls between two of a run's */
	run_ok(&set, "first", -1);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "srv%02d", i);
		run_failed(&set, name);
		run_ok(&set, name, i);
	}
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "srv%02d", i);
		assert_true(value_of(&set, M_FAILURES, name, "create") == 1);
		assert_true(value_of(&set, M_LAST_BYTES, name, "create") == i);
	}
	metrics_set_free(&set);
}

static void test_labels_escaped_and_read_back(void **state)
{
	(void)state;
	struct metrics_set set = { 0 };
	run_ok(&set, "q\"u\\o\nte", 7);
	char *text = round_trip(&set);
	assert_non_null(strstr(text, "{server=\"q\\\"u\\\\o\\nte\",command=\"create\"} 7\n"));
	assert_true(value_of(&set, M_LAST_BYTES, "q\"u\\o\nte", "create") == 7);
	free(text);
	metrics_set_free(&set);
}

static double id_value(const struct metrics_set *set, int family, const char *server,
                       const char *id, const char *command)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].family == family && !strcmp(set->items[i].server, server) &&
		    !strcmp(set->items[i].server_id, id) && !strcmp(set->items[i].command, command))
			return set->items[i].value;
	return -1;
}

static void run_of(struct metrics_set *set, const char *server, const char *id,
                   const char *command, bool ok, long long bytes)
{
	struct metrics_run r = { .server = server, .server_id = id, .command = command, .ok = ok,
	                         .finished_at = ok ? 1700000500 : 0, .duration_s = 2,
	                         .image_bytes = bytes };
	assert_int_equal(metrics_apply(set, &r), 0);
}

/* Two servers of one name are two series, told apart by the id label. */
static void test_same_name_two_series(void **state)
{
	(void)state;
	struct metrics_set set = { 0 };
	run_of(&set, "twin", "id-1", "create", true, 100);
	run_of(&set, "twin", "id-2", "create", false, -1);
	run_of(&set, "twin", "id-2", "create", false, -1);
	char *text = round_trip(&set);
	assert_true(id_value(&set, M_LAST_BYTES, "twin", "id-1", "create") == 100);
	assert_true(id_value(&set, M_FAILURES, "twin", "id-1", "create") == 0);
	assert_true(id_value(&set, M_FAILURES, "twin", "id-2", "create") == 2);
	assert_true(id_value(&set, M_LAST_SUCCESS, "twin", "id-2", "create") == -1);
	assert_non_null(strstr(text, "lifeboat_failures_total{server=\"twin\",server_id=\"id-2\","
	                             "command=\"create\"} 2\n"));
	assert_non_null(strstr(text, "lifeboat_last_image_bytes{server=\"twin\",server_id=\"id-1\","
	                             "command=\"create\"} 100\n"));
	free(text);
	metrics_set_free(&set);
}

/* A file of the version before (no id label): the first server of a name
 * to run takes its series of that command over, counter and last success
 * carried, and no id-less copy is left to go stale; its other commands'
 * series, and other servers', stay as they were; a twin starts afresh. A
 * run whose server was not found (no id) writes the old shape. */
static void test_old_file_taken_over(void **state)
{
	(void)state;
	static const char old[] =
		"# HELP lifeboat_failures_total x\n"
		"# TYPE lifeboat_failures_total counter\n"
		"lifeboat_failures_total{server=\"web\",command=\"create\"} 3\n"
		"lifeboat_failures_total{server=\"web\",command=\"download\"} 1\n"
		"lifeboat_failures_total{server=\"db\",command=\"create\"} 5\n"
		"lifeboat_last_success_timestamp_seconds{server=\"web\",command=\"create\"} 1600000000\n"
		"lifeboat_last_image_bytes{server=\"web\",command=\"create\"} 42\n";
	struct metrics_set set = { 0 };
	assert_int_equal(metrics_parse(&set, old), 0);
	run_of(&set, "web", "id-w", "create", false, -1);
	run_of(&set, "web", "id-w2", "create", false, -1);
	run_of(&set, "gone", NULL, "create", false, -1);
	char *text = round_trip(&set);
	assert_true(id_value(&set, M_FAILURES, "web", "id-w", "create") == 4);
	assert_true(id_value(&set, M_LAST_SUCCESS, "web", "id-w", "create") == 1600000000);
	assert_true(id_value(&set, M_LAST_BYTES, "web", "id-w", "create") == 42);
	assert_true(id_value(&set, M_FAILURES, "web", "", "create") == -1);
	assert_true(id_value(&set, M_LAST_SUCCESS, "web", "", "create") == -1);
	assert_true(id_value(&set, M_FAILURES, "web", "id-w2", "create") == 1);
	assert_true(id_value(&set, M_LAST_SUCCESS, "web", "id-w2", "create") == -1);
	assert_true(id_value(&set, M_FAILURES, "web", "", "download") == 1);
	assert_true(id_value(&set, M_FAILURES, "db", "", "create") == 5);
	assert_true(id_value(&set, M_FAILURES, "gone", "", "create") == 1);
	assert_null(strstr(text, "{server=\"web\",command=\"create\"}"));
	assert_non_null(strstr(text, "lifeboat_failures_total{server=\"db\",command=\"create\"} 5\n"));
	assert_non_null(strstr(text, "lifeboat_failures_total{server=\"gone\",command=\"create\"} 1\n"));
	free(text);
	/* a label given twice is not a file of ours */
	struct metrics_set bad = { 0 };
	assert_int_equal(metrics_parse(&bad, "lifeboat_failures_total{server=\"a\",server_id=\"1\","
	                                     "server_id=\"2\",command=\"c\"} 1\n"), -1);
	metrics_set_free(&bad);
	metrics_set_free(&set);
}

/* A server renamed keeps its series, by its id: the failure counter and
 * last success carry over to the new name, and no copy under the old
 * name is left to look stale; a twin of the old name keeps its own. */
static void test_renamed_server_keeps_its_series(void **state)
{
	(void)state;
	struct metrics_set set = { 0 };
	run_of(&set, "web", "id-w", "create", true, 100);
	run_of(&set, "web", "id-w", "create", false, -1);
	run_of(&set, "web", "id-t", "create", true, 7);
	run_of(&set, "web-old", "id-w", "create", false, -1);
	char *text = round_trip(&set);
	assert_true(id_value(&set, M_FAILURES, "web-old", "id-w", "create") == 2);
	assert_true(id_value(&set, M_LAST_SUCCESS, "web-old", "id-w", "create") == 1700000500);
	assert_true(id_value(&set, M_LAST_BYTES, "web-old", "id-w", "create") == 100);
	assert_true(id_value(&set, M_FAILURES, "web", "id-w", "create") == -1);
	assert_true(id_value(&set, M_LAST_SUCCESS, "web", "id-w", "create") == -1);
	assert_null(strstr(text, "server=\"web\",server_id=\"id-w\""));
	assert_true(id_value(&set, M_LAST_BYTES, "web", "id-t", "create") == 7);
	free(text);
	metrics_set_free(&set);
}

static void test_not_ours_is_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"lifeboat_failures_total{server=\"x\" 1\n",
		"lifeboat_failures_total{server=\"x\",command=\"c\"} many\n",
		"lifeboat_failures_total{server=\"x\",command=\"c\",zone=\"z\"} 1\n",
		"lifeboat_failures_total{server=\"x\\q\",command=\"c\"} 1\n",
		"lifeboat_failures_total{server=\"x\",server=\"y\",command=\"c\"} 1\n",
		"lifeboat_failures_total{command=\"c\"} 1\n",
		"lifeboat_failures_total{server=\"x\",command=\"c\"} inf\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct metrics_set set = { 0 };
		if (metrics_parse(&set, bad[i]) != -1)
			fail_msg("accepted: %s", bad[i]);
		metrics_set_free(&set);
	}
	/* others' families and comments are skipped, not kept */
	struct metrics_set set = { 0 };
	assert_int_equal(metrics_parse(&set, "# HELP x y\nnode_load1 3\n\n"), 0);
	assert_int_equal((int)set.count, 0);
	metrics_set_free(&set);
}

static void test_update_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_metrics.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/lifeboat.prom", dir);
	struct metrics_run runs[2] = {
		{ .server = "a", .command = "guard", .ok = false, .image_bytes = -1 },
		{ .server = "b", .command = "guard", .ok = true, .finished_at = 1, .image_bytes = 9 },
	};
	const char *why = NULL;
	assert_int_equal(metrics_update(path, runs, 2, &why), 0);
	assert_int_equal(metrics_update(path, runs, 1, &why), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char text[4096];
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	assert_non_null(strstr(text, "lifeboat_failures_total{server=\"a\",command=\"guard\"} 2\n"));
	assert_non_null(strstr(text, "lifeboat_last_image_bytes{server=\"b\",command=\"guard\"} 9\n"));
	char tmp[300];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left */
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s.lock", path);
	unlink(tmp);
	rmdir(dir);
}

static void test_selectors(void **state)
{
	(void)state;
	json_t *meta = json_pack("{s:s, s:s}", "role", "web", "env", "prod");
	struct fleet_opts none = { 0 };
	assert_false(fleet_selects(&none, "web1", "web1", meta));
	struct fleet_opts all = { .all = true };
	assert_true(fleet_selects(&all, "x", NULL, NULL));
	struct fleet_opts g = { .match = { "db*", "web[12]" }, .n_match = 2 };
	assert_true(fleet_selects(&g, "web2", NULL, NULL));
	assert_false(fleet_selects(&g, "web3", NULL, NULL));
	/* the display name or the raw name */
	assert_true(fleet_selects(&g, "chat", "db-7", NULL));
	struct fleet_opts p = { .props = { "role=web", "env=prod" }, .n_props = 2 };
	assert_true(fleet_selects(&p, "any", NULL, meta));
	p.props[1] = "env=dev";
	assert_false(fleet_selects(&p, "any", NULL, meta));
	p.props[1] = "env=";
	assert_false(fleet_selects(&p, "any", NULL, meta));
	assert_false(fleet_selects(&p, "any", NULL, NULL));
	struct fleet_opts both = { .match = { "web*" }, .n_match = 1, .props = { "role=web" },
	                           .n_props = 1 };
	assert_true(fleet_selects(&both, "web9", NULL, meta));
	assert_false(fleet_selects(&both, "db1", NULL, meta));
	json_decref(meta);
}

static void test_priorities(void **state)
{
	(void)state;
	assert_int_equal(log_priority_of("lifeboat-snap: no server named 'x'"), LOG_PRIO_ERR);
	assert_int_equal(log_priority_of("lifeboat-snap: warning: clouds.yaml is readable"),
	                 LOG_PRIO_WARNING);
	assert_int_equal(log_priority_of("lifeboat-snap: WARNING: TLS certificate verification"),
	                 LOG_PRIO_WARNING);
	assert_int_equal(log_priority_of("saving server web1"), LOG_PRIO_INFO);
	assert_int_equal(log_priority_of("retire: lifeboat-snap: x"), LOG_PRIO_INFO);
}

static void test_journal_stream(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	assert_false(stderr_is_journal());
	char v[64];
	struct stat st;
	assert_int_equal(fstat(2, &st), 0);
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", v, 1);
	assert_true(stderr_is_journal());
	snprintf(v, sizeof(v), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", v, 1);
	assert_false(stderr_is_journal());
	setenv("JOURNAL_STREAM", "12:", 1);
	assert_false(stderr_is_journal());
	unsetenv("JOURNAL_STREAM");
}

/* A huge file (a corrupt or hostile one) is refused at once and left as
 * it was, not parsed for minutes with the lock held; a directory and a
 * symlink are refused, the symlink's target never written. */
static void test_hostile_files(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_metrics.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], lock[300], target[300];
	snprintf(path, sizeof(path), "%s/lifeboat.prom", dir);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	snprintf(target, sizeof(target), "%s/target", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 60000; i++)
		fprintf(f, "lifeboat_failures_total{server=\"s%d\",command=\"create\"} %d\n", i, i);
	assert_int_equal(fclose(f), 0);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	struct metrics_run run = { .server = "a", .command = "create", .ok = false,
	                           .image_bytes = -1 };
	const char *why = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(metrics_update(path, &run, 1, &why), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (s > 0.5)
		fail_msg("a huge file took %.1f s", s);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal((int)(after.st_size == before.st_size), 1);
	unlink(path);
	/* a directory */
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(metrics_update(path, &run, 1, &why), -1);
	rmdir(path);
	/* a symlink */
	f = fopen(target, "w");
	assert_non_null(f);
	fputs("secret\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(metrics_update(path, &run, 1, &why), -1);
	assert_int_equal(stat(target, &after), 0);
	assert_int_equal((int)after.st_size, 7);
	unlink(path);
	unlink(target);
	unlink(lock);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_then_failures_carry),
		cmocka_unit_test(test_size_unknown_keeps_the_old),
		cmocka_unit_test(test_many_servers),
		cmocka_unit_test(test_labels_escaped_and_read_back),
		cmocka_unit_test(test_same_name_two_series),
		cmocka_unit_test(test_old_file_taken_over),
		cmocka_unit_test(test_renamed_server_keeps_its_series),
		cmocka_unit_test(test_not_ours_is_refused),
		cmocka_unit_test(test_update_file),
		cmocka_unit_test(test_hostile_files),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_priorities),
		cmocka_unit_test(test_journal_stream),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

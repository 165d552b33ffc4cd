/* test_retire.c - retire's decision, row by row: a server is deleted only
 * when SERVER still names the receipt's server, its image is its own,
 * active, fresh and of the stopped server (or --live), and FILE is a
 * regular file whose bytes are that image as Glance and its sidecars say */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "../../snap/exit.h"
#include "../../snap/retire_decide.h"

#define ID "11111111-0000-4000-8000-000000000001"
#define OTHER "22222222-0000-4000-8000-000000000002"
#define IMG "33333333-0000-4000-8000-000000000003"
#define H1 "aaaa"
#define H2 "bbbb"

/* Everything in order: the one row that deletes. */
static struct retire_facts good(void)
{
	return (struct retire_facts){
		.receipt_server_id = ID, .receipt_server_name = "web1",
		.downloaded_before = true,
		.server_arg = "web1", .arg_server_id = ID, .arg_server_name = "web1",
		.stop = true,
		.server_exists = true, .server_name = "web1", .server_status = "SHUTOFF",
		.image = IMAGE_ACTIVE, .image_id = IMG, .image_server_id = ID,
		.image_consistency = "stopped", .image_hash = H1, .started_since_image = 0,
		.file_exists = true, .file_regular = true, .file_hash = H1, .file_sha512 = H2,
		.sidecar_sha512 = H2, .sidecar_json_sha512 = H2, .sidecar_image_id = IMG,
	};
}

struct row {
	const char *name;
	void (*change)(struct retire_facts *f);
	enum retire_action want;
	int rc;
	const char *says;   /* a piece of the reason, or NULL */
};

static void nothing(struct retire_facts *f) { (void)f; }
static void other_server_arg(struct retire_facts *f) { f->server_arg = "web2"; f->arg_server_id = OTHER; f->arg_server_name = "web2"; }
static void name_now_other_id(struct retire_facts *f) { f->arg_server_id = OTHER; }
static void renamed(struct retire_facts *f) { f->arg_server_id = NULL; f->arg_server_name = NULL; f->server_name = "web1-old"; }
static void renamed_by_id(struct retire_facts *f) { renamed(f); f->server_arg = ID; }
static void no_server_id(struct retire_facts *f) { f->receipt_server_id = NULL; }
static void gone_by_us(struct retire_facts *f) { f->server_exists = false; f->arg_server_id = NULL; f->delete_sent = true; }
static void gone_not_by_us(struct retire_facts *f) { f->server_exists = false; f->arg_server_id = NULL; }
static void running_no_flag(struct retire_facts *f) { f->server_status = "ACTIVE"; f->stop = false; }
static void running_live(struct retire_facts *f) { f->server_status = "ACTIVE"; f->stop = false; f->live = true; f->image_consistency = "crash-consistent"; }
static void stopped_no_flag(struct retire_facts *f) { f->stop = false; }
static void volume_live(struct retire_facts *f) { running_live(f); f->save_needs_stop = true; }
static void volume_stopped_live(struct retire_facts *f) { f->stop = false; f->live = true; f->save_needs_stop = true; }
static void volume_running_stop(struct retire_facts *f) { f->server_status = "ACTIVE"; f->save_needs_stop = true; }
static void no_image(struct retire_facts *f) { f->image = IMAGE_NONE; }
static void image_gone(struct retire_facts *f) { f->image = IMAGE_GONE; }
static void image_failed(struct retire_facts *f) { f->image = IMAGE_FAILED; }
static void image_pending(struct retire_facts *f) { f->image = IMAGE_PENDING; }
static void image_of_other(struct retire_facts *f) { f->image_server_id = OTHER; }
static void image_unlabelled(struct retire_facts *f) { f->image_server_id = NULL; }
static void image_started_since(struct retire_facts *f) { f->started_since_image = 1; }
static void image_running_again(struct retire_facts *f) { f->server_status = "ACTIVE"; }
static void image_crash_no_live(struct retire_facts *f) { f->image_consistency = "crash-consistent"; }
static void image_crash_unlabelled(struct retire_facts *f) { f->image_consistency = NULL; }
static void image_crash_live(struct retire_facts *f) { f->image_consistency = "crash-consistent"; f->live = true; }
static void image_no_hash(struct retire_facts *f) { f->image_hash = NULL; }
static void actions_unknown(struct retire_facts *f) { f->started_since_image = -1; }
static void actions_unknown_taken_now(struct retire_facts *f) { actions_unknown(f); f->image_taken_now = true; }
static void started_same_second(struct retire_facts *f) { f->started_since_image = 2; }
static void started_same_second_taken_now(struct retire_facts *f) { started_same_second(f); f->image_taken_now = true; }
static void file_missing(struct retire_facts *f) { f->file_exists = false; f->file_regular = false; f->file_hash = f->file_sha512 = NULL; }
static void file_not_regular(struct retire_facts *f) { f->file_regular = false; f->file_hash = NULL; }
static void file_corrupt(struct retire_facts *f) { f->file_hash = "cccc"; f->file_sha512 = "dddd"; }
static void file_corrupt_not_ours(struct retire_facts *f) { file_corrupt(f); f->downloaded_before = false; }
static void file_corrupt_force(struct retire_facts *f) { file_corrupt_not_ours(f); f->force = true; }
static void file_unhashed(struct retire_facts *f) { f->file_hash = NULL; }
static void sidecar_missing(struct retire_facts *f) { f->sidecar_sha512 = NULL; }
static void sidecar_json_missing(struct retire_facts *f) { f->sidecar_json_sha512 = NULL; }
static void sidecar_wrong(struct retire_facts *f) { f->sidecar_sha512 = "eeee"; }
static void sidecar_other_image(struct retire_facts *f) { f->sidecar_image_id = OTHER; }
static void hash_case(struct retire_facts *f) { f->file_hash = "AAAA"; }
static void empty_hash(struct retire_facts *f) { f->image_hash = ""; f->file_hash = ""; }

static const struct row rows[] = {
	{ "all proofs hold", nothing, RETIRE_DELETE, EXIT_OK, "verified" },
	{ "SERVER is another server", other_server_arg, RETIRE_REFUSE, EXIT_UNSAFE, "'web2' now names server 'web2' (" OTHER ")" },
	{ "the name now names another id", name_now_other_id, RETIRE_REFUSE, EXIT_UNSAFE, ID },
	{ "the server was renamed", renamed, RETIRE_REFUSE, EXIT_UNSAFE, "now named 'web1-old'" },
	{ "renamed, named by id", renamed_by_id, RETIRE_DELETE, EXIT_OK, NULL },
	{ "receipt without server id", no_server_id, RETIRE_REFUSE, EXIT_UNSAFE, "names no server id" },
	{ "gone by our delete", gone_by_us, RETIRE_DONE, EXIT_OK, NULL },
	{ "gone, not by us", gone_not_by_us, RETIRE_REFUSE, EXIT_UNSAFE, "not by this retire" },
	{ "running without --stop or --live", running_no_flag, RETIRE_REFUSE, EXIT_USAGE, "--live" },
	{ "running with --live", running_live, RETIRE_DELETE, EXIT_OK, NULL },
	{ "stopped already, no flag", stopped_no_flag, RETIRE_DELETE, EXIT_OK, NULL },
	{ "running, saved only stopped, --live", volume_live, RETIRE_REFUSE, EXIT_REFUSED, "run again with --stop" },
	{ "stopped, saved only stopped, --live", volume_stopped_live, RETIRE_DELETE, EXIT_OK, NULL },
	{ "running, saved only stopped, --stop", volume_running_stop, RETIRE_SNAPSHOT, EXIT_OK, "stale" },
	{ "no image yet", no_image, RETIRE_SNAPSHOT, EXIT_OK, NULL },
	{ "image gone from Glance", image_gone, RETIRE_SNAPSHOT, EXIT_OK, "gone" },
	{ "image failed", image_failed, RETIRE_SNAPSHOT, EXIT_OK, "failed" },
	{ "image being saved", image_pending, RETIRE_WAIT, EXIT_OK, NULL },
	{ "image of another server", image_of_other, RETIRE_SNAPSHOT, EXIT_OK, "not labelled" },
	{ "image without server id", image_unlabelled, RETIRE_SNAPSHOT, EXIT_OK, "not labelled" },
	{ "started since the image", image_started_since, RETIRE_SNAPSHOT, EXIT_OK, "stale" },
	{ "running again since the image", image_running_again, RETIRE_SNAPSHOT, EXIT_OK, "stale" },
	{ "crash-consistent, no --live", image_crash_no_live, RETIRE_SNAPSHOT, EXIT_OK, "crash-consistent" },
	{ "consistency unknown", image_crash_unlabelled, RETIRE_SNAPSHOT, EXIT_OK, NULL },
	{ "crash-consistent with --live", image_crash_live, RETIRE_DELETE, EXIT_OK, NULL },
	{ "image without checksum", image_no_hash, RETIRE_REFUSE, EXIT_UNSAFE, "no checksum" },
	{ "image with empty checksum", empty_hash, RETIRE_REFUSE, EXIT_UNSAFE, "no checksum" },
	{ "actions not shown, an earlier run's image", actions_unknown, RETIRE_SNAPSHOT, EXIT_OK,
	  "cannot be ruled out" },
	{ "actions not shown, this run's image", actions_unknown_taken_now, RETIRE_DELETE, EXIT_OK,
	  NULL },
	{ "started in the image's second, an earlier run's", started_same_second, RETIRE_SNAPSHOT,
	  EXIT_OK, "which came first" },
	{ "started in the image's second, this run's", started_same_second_taken_now,
	  RETIRE_DELETE, EXIT_OK, NULL },
	{ "FILE missing", file_missing, RETIRE_DOWNLOAD, EXIT_OK, NULL },
	{ "FILE not regular", file_not_regular, RETIRE_REFUSE, EXIT_LOCAL_IO, "regular" },
	{ "FILE corrupt, ours", file_corrupt, RETIRE_DOWNLOAD, EXIT_OK, "downloaded again" },
	{ "FILE corrupt, not ours", file_corrupt_not_ours, RETIRE_REFUSE, EXIT_LOCAL_IO, "--force" },
	{ "FILE corrupt, --force", file_corrupt_force, RETIRE_DOWNLOAD, EXIT_OK, NULL },
	{ "FILE not hashed", file_unhashed, RETIRE_DOWNLOAD, EXIT_OK, NULL },
	{ "FILE.sha512 missing", sidecar_missing, RETIRE_DOWNLOAD, EXIT_OK, "sidecars" },
	{ "FILE.json hash missing", sidecar_json_missing, RETIRE_DOWNLOAD, EXIT_OK, "sidecars" },
	{ "FILE.sha512 wrong", sidecar_wrong, RETIRE_DOWNLOAD, EXIT_OK, "sidecars" },
	{ "FILE.json of another image", sidecar_other_image, RETIRE_DOWNLOAD, EXIT_OK, "another image" },
	{ "hex case does not matter", hash_case, RETIRE_DELETE, EXIT_OK, NULL },
};

static void test_rows(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct retire_facts f = good();
		rows[i].change(&f);
		struct retire_decision d;
		memset(&d, 0x5a, sizeof(d));
		retire_decide(&f, &d);
		if (d.action != rows[i].want || d.rc != rows[i].rc ||
		    (rows[i].says && !strstr(d.why, rows[i].says)))
			fail_msg("row '%s': got %s (%d) '%s', want %s (%d) saying '%s'", rows[i].name,
			         retire_action_name(d.action), d.rc, d.why,
			         retire_action_name(rows[i].want), rows[i].rc,
			         rows[i].says ? rows[i].says : "");
	}
}

/* Whatever the facts, a delete needs every proof: flip each one of the
 * good row alone, and none may still delete unless the table says so. */
static void test_only_one_row_deletes_per_proof(void **state)
{
	(void)state;
	static void (*const breaks[])(struct retire_facts *) = {
		other_server_arg, name_now_other_id, renamed, no_server_id, gone_by_us,
		gone_not_by_us, running_no_flag, volume_live, no_image, image_gone, image_failed, image_pending,
		image_of_other, image_unlabelled, image_started_since, started_same_second,
		actions_unknown, image_running_again,
		image_crash_no_live, image_no_hash, file_missing, file_not_regular, file_corrupt,
		file_unhashed, sidecar_missing, sidecar_json_missing, sidecar_wrong,
		sidecar_other_image,
	};
	for (size_t i = 0; i < sizeof(breaks) / sizeof(breaks[0]); i++) {
		struct retire_facts f = good();
		breaks[i](&f);
		struct retire_decision d;
		retire_decide(&f, &d);
		assert_int_not_equal(d.action, RETIRE_DELETE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_only_one_row_deletes_per_proof),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* guard_stale.c - "guard --create-if-stale": when no fresh, verified
 * image exists, take one as create would (the same --stop rules) and wait
 * until it is active; guard then judges again, from Glance */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "exit.h"
#include "snapshot.h"

int guard_check_stale_options(const struct cli *cli)
{
	if (cli->live && cli->stop) {
		complain("--stop and --live contradict each other");
		return EXIT_USAGE;
	}
	if (cli->create_if_stale && cli->file) {
		complain("--create-if-stale takes no --file: a new image is not a local copy; "
		         "download it, then guard with --file");
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int guard_take_image(struct cli *cli, conoha_client *c, const char *server_id,
                     const char *why, char **image_id)
{
	*image_id = NULL;
	fprintf(stderr, "guard: %s; taking a new image\n", why);
	struct deadline d;
	deadline_start(&d, cli->timeout_s);
	struct snapshot_opts o = {
		.stop = cli->stop, .force_stop = cli->force_stop, .start_after = cli->start_after,
		.name = cli->name, .reason = cli->reason ? cli->reason : "guard --create-if-stale",
		.props = cli->props, .n_props = cli->n_props, .deadline = &d,
	};
	struct snapshot s;
	int rc = snapshot_server(c, server_id, &o, &s);
	if (rc == EXIT_OK && s.image_id)
		*image_id = strdup(s.image_id);
	if (rc == EXIT_OK && !*image_id)
		rc = EXIT_FAIL;
	snapshot_clear(&s);
	return rc;
}

const char *guard_action(int rc, const char *created)
{
	if (rc != EXIT_OK)
		return NULL;
	return created ? "created" : "fresh";
}

void note_guard(const struct conoha_server *srv, const struct conoha_image *img,
                const char *created, int rc)
{
	note_server(srv->name, srv->id);
	if (img)
		note_image(img->id, img->size);
	if (created)
		note_changed();
	if (rc == EXIT_OK && img)
		note_detail("%s %s", created ? "created" : "fresh", img->id);
}

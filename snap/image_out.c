/* image_out.c - images as people and scripts see them */
#include <stdio.h>
#include "cli.h"
#include "table.h"

const char *human_size(long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024.0 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%lld B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

const char *image_hashes_label(const struct conoha_image *img)
{
	if (img->hash_value)
		return img->hash_algo ? img->hash_algo : "multihash";
	return img->checksum ? "md5" : "none";
}

/* Text from the cloud, for a terminal: a control character (a newline in
 * a name, an escape) as '?', as the tables write it. */
static const char *shown(const char *s, char *buf, size_t size)
{
	if (!s)
		return "-";
	table_text_plain(s, buf, size);
	return buf;
}

void image_show_text(const struct conoha_image *img)
{
	char b1[1024], b2[1024];
	char size[32] = "unknown";
	if (img->size >= 0)
		human_size(img->size, size, sizeof(size));
	printf("id:          %s\n", img->id);
	printf("name:        %s\n", shown(img->name, b1, sizeof(b1)));
	printf("status:      %s\n", img->status ? img->status : "-");
	if (img->size >= 0)
		printf("size:        %s (%lld bytes)\n", size, img->size);
	else
		printf("size:        unknown\n");
	printf("created:     %s\n", img->created_at ? img->created_at : "-");
	printf("md5:         %s\n", img->checksum ? img->checksum : "-");
	printf("%-12s %s\n", img->hash_algo ? img->hash_algo : "multihash",
	       img->hash_value ? img->hash_value : "-");
	if (img->server_id) {
		printf("server:      %s (%s)\n", shown(img->server_name, b1, sizeof(b1)),
		       shown(img->server_id, b2, sizeof(b2)));
		printf("saved at:    %s\n", img->lb_created_at ? img->lb_created_at : "-");
		printf("reason:      %s\n", shown(img->reason, b1, sizeof(b1)));
	} else {
		printf("lifeboat:    not made by lifeboat\n");
	}
}

/* image_out.c - images as people and scripts see them */
#include <stdio.h>
#include "cli.h"

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

void image_show_text(const struct conoha_image *img)
{
	char size[32] = "unknown";
	if (img->size >= 0)
		human_size(img->size, size, sizeof(size));
	printf("id:          %s\n", img->id);
	printf("name:        %s\n", img->name ? img->name : "-");
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
		printf("server:      %s (%s)\n", img->server_name ? img->server_name : "-",
		       img->server_id);
		printf("saved at:    %s\n", img->lb_created_at ? img->lb_created_at : "-");
		printf("reason:      %s\n", img->reason ? img->reason : "-");
	} else {
		printf("lifeboat:    not made by lifeboat\n");
	}
}

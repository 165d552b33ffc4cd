/* main.c - lifeboat-extract: the rescue half; commands arrive with the
 * extraction work */
#include <stdio.h>
#include <string.h>

static const char usage_text[] =
"usage: lifeboat-extract [options] <command> IMAGE [args]\n"
"\n"
"Open a disk image strictly read-only and copy data out of it.\n"
"No command is available in this version yet.\n"
"\n"
"options:\n"
"  -h, --help   this help\n"
"  --version    the version\n";

int main(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		puts("lifeboat-extract " LIFEBOAT_VERSION);
		return 0;
	}
	fputs(usage_text, stderr);
	return 2;
}

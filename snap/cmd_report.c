/* cmd_report.c - "lifeboat-snap report FILE.retire.json": placeholder */
#include "cli.h"
#include "exit.h"

int cmd_report(struct cli *cli)
{
	(void)cli;
	return EXIT_FAIL;
}

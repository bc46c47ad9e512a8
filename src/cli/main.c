/*
 * main.c — `sakimori <command> [options]`, dispatched as git does: one file per command
 * (cmd_<name>.c), one table here.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cmd.h"

const struct command commands[] = {
	{ "gen", cmd_gen, "write a deterministic synthetic capture (and what it planted)" },
	{ "sensor", cmd_sensor, "read traffic, classify direction, extract mechanical information" },
	{ "geo", cmd_geo, "show country, ASN and domestic/foreign class of addresses" },
	{ "hub", cmd_hub, "serve the hub's JSON API (store, roles, reports, audit log)" },
	{ "admin", cmd_admin, "administer the hub: organisations and tokens" },
	{ "audit", cmd_audit, "verify the hub's audit log offline" },
	{ "demo", cmd_demo, "run the whole chain on embedded defaults" },
	{ "version", cmd_version, "print the version" },
	{ "help", cmd_help, "list the commands, or explain one" },
	{ NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(1, argv);
		return 2;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		name = "help";
	else if (strcmp(name, "--version") == 0)
		name = "version";

	for (const struct command *c = commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c->run(argc - 1, argv + 1);

	fprintf(stderr, "sakimori: '%s' is not a command; see 'sakimori help'\n", argv[1]);
	return 2;
}

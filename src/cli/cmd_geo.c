/*
 * cmd_geo.c — `sakimori geo [--db FILE] [--domestic FILE] ADDR...`: one line per address,
 * "ADDR  cc=JP asn=2497 domestic". An address that does not parse is named on stderr, the
 * others are still printed, and the exit status is 1.
 */
#include <getopt.h>
#include <stdio.h>

#include "cli/cmd.h"
#include "common/addr.h"
#include "geo/geo.h"

static void usage(FILE *out)
{
	fputs("usage: sakimori geo [--db FILE] [--domestic FILE] ADDR...\n", out);
}

int cmd_geo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "domestic", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *domestic = NULL;
	struct geo *g = NULL;
	char err[512];
	int status = 0, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'D':
			domestic = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}

	g = geo_open(db, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "sakimori geo: %s\n", err);
		return 1;
	}
	if (domestic && geo_add_domestic_file(g, domestic, err, sizeof(err)) < 0) {
		fprintf(stderr, "sakimori geo: %s\n", err);
		status = 1;
		goto out;
	}

	for (int i = optind; i < argc; i++) {
		struct sk_addr a;
		struct geo_info info;

		if (addr_parse(&a, argv[i]) < 0) {
			fprintf(stderr, "%s: not an IP address\n", argv[i]);
			status = 1;
			continue;
		}
		geo_lookup(g, &a, &info);
		printf("%s  cc=%s asn=%u %s\n", argv[i], info.cc[0] ? info.cc : "-", info.asn,
		       geo_class_name(info.cls));
	}
out:
	geo_close(g);
	return status;
}

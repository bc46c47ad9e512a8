/*
 * cmd_sensor.c — `sakimori sensor -r FILE ...`: read a capture through the sensor pipeline
 * and print what it saw. Output is counts only; no byte of any packet is printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "common/pseudo.h"
#include "geo/geo.h"
#include "packet/source.h"
#include "select/pipeline.h"

#define DEFAULT_KEY_FILE "sakimori-pseudonym.key"

static void usage(FILE *out)
{
	fprintf(out, "usage: sakimori sensor -r FILE [--db FILE] [--domestic FILE] "
		     "[--pseudonym-key FILE] [-q]\n");
}

int cmd_sensor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "db", required_argument, NULL, 'D' },
		{ "domestic", required_argument, NULL, 'd' },
		{ "pseudonym-key", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *db = NULL, *domestic = NULL, *keyfile = DEFAULT_KEY_FILE;
	int quiet = 0, c, rc = 1;
	char err[512];
	struct pseudo key;
	struct geo *geo = NULL;
	struct source *src = NULL;
	struct pipeline *pl = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': input = optarg; break;
		case 'D': db = optarg; break;
		case 'd': domestic = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!input || optind != argc) {
		usage(stderr);
		return 2;
	}

	if (pseudo_load_or_create(&key, keyfile, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return 1;
	}
	geo = geo_open(db, err, sizeof(err));
	if (!geo) {
		log_error("%s", err);
		goto out;
	}
	if (domestic && geo_add_domestic_file(geo, domestic, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	src = source_open_file(input, err, sizeof(err));
	if (!src) {
		log_error("%s", err);
		goto out;
	}
	struct pl_config cfg = { .geo = geo, .key = &key };
	pl = pl_new(&cfg);
	if (!pl) {
		log_error("out of memory");
		goto out;
	}

	rc = pl_run_source(pl, src) == 0 ? 0 : 1;
	if (rc != 0)
		log_error("%s: %s (after %llu packets; counts so far below)", input,
			  source_error(src), (unsigned long long)pl_stats(pl)->pk.packets);
	if (!quiet || rc != 0) {
		printf("sakimori sensor: %s\n", input);
		pl_print_summary(pl_stats(pl), stdout);
	}
out:
	pl_free(pl);
	source_close(src);
	geo_close(geo);
	pseudo_wipe(&key);
	return rc;
}

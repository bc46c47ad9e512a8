/*
 * cmd_gen.c — `sakimori gen --seed N --packets N -o FILE.pcap [--truth FILE.json] [--db FILE]
 * [--start RFC3339]`: a deterministic synthetic capture (packet/gen.h).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd.h"
#include "geo/geo.h"
#include "packet/gen.h"

static void usage(FILE *out)
{
	fputs("usage: sakimori gen --seed N --packets N -o FILE.pcap [--truth FILE.json] [--db FILE]\n"
	      "                    [--start YYYY-MM-DDTHH:MM:SSZ]\n", out);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/* "2026-10-01T00:00:00Z" into microseconds since the epoch. */
static int parse_start(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

	if (!end || *end)
		return -1;
	time_t t = timegm(&tm);
	if (t <= 0)
		return -1;
	*out = (uint64_t)t * 1000000;
	return 0;
}

int cmd_gen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "packets", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "truth", required_argument, NULL, 't' },
		{ "db", required_argument, NULL, 'd' },
		{ "start", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct gen_opts o = { 0 };
	struct gen_stats st = { 0 };
	const char *db = NULL;
	bool have_seed = false, have_packets = false;
	char err[256];
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:n:o:t:d:S:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_u64(optarg, INT64_MAX, &o.seed) < 0) {
				fprintf(stderr, "sakimori gen: --seed wants a number 0..%" PRId64 "\n",
					INT64_MAX);
				return 2;
			}
			have_seed = true;
			break;
		case 'n':
			if (parse_u64(optarg, GEN_MAX_PACKETS, &o.packets) < 0) {
				fprintf(stderr, "sakimori gen: --packets wants a number 0..%llu\n",
					(unsigned long long)GEN_MAX_PACKETS);
				return 2;
			}
			have_packets = true;
			break;
		case 'o':
			o.out_path = optarg;
			break;
		case 't':
			o.truth_path = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'S':
			if (parse_start(optarg, &o.start_us) < 0) {
				fprintf(stderr, "sakimori gen: --start wants YYYY-MM-DDTHH:MM:SSZ\n");
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc || !have_seed || !have_packets || !o.out_path) {
		usage(stderr);
		return 2;
	}

	struct geo *g = geo_open(db, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "sakimori gen: %s\n", err);
		return 1;
	}
	o.geo = g;
	o.stats = &st;
	if (gen_run(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "sakimori gen: %s\n", err);
		goto out;
	}
	fprintf(stderr, "sakimori gen: %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64
		" sessions, %.1f s of traffic -> %s%s%s\n", st.packets, st.bytes, st.sessions,
		(double)(st.last_us - st.first_us) / 1e6, o.out_path,
		o.truth_path ? ", truth " : "", o.truth_path ? o.truth_path : "");
	rc = 0;
out:
	geo_close(g);
	return rc;
}

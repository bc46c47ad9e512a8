/*
 * cmd_demo.c — `sakimori demo`: the sensor's whole job on embedded defaults.
 *
 *   1. generate a deterministic capture with planted attacks (real prefixes from the location
 *      database): Mirai-style scans, port scans, C2 beacons, bots, and ordinary traffic with
 *      secrets in its payloads;
 *   2. write the bundled sample selector file, with its approvals, next to it;
 *   3. run the sensor: automatic selection, records (JSON Lines) and the statistics the
 *      commission inspects;
 *   4. print a summary a person can read, and where to look.
 *
 * The sample selectors name addresses that the generator draws, for seed DEMO_SEED, from
 * the Debian libloc-database; with another database they may simply select less.
 */
#include <errno.h>
#include <stdbool.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cmd.h"
#include "common/harden.h"
#include "common/log.h"
#include "common/pseudo.h"
#include "geo/geo.h"
#include "packet/gen.h"
#include "packet/source.h"
#include "select/pipeline.h"
#include "select/rules.h"

#define DEMO_SEED 2026
#define DEMO_PACKETS 300000
#define DEMO_EXAMPLES 4

static const char demo_selectors[] =
	"# Sample selectors (選別条件) for the demo capture. Every selector belongs to an approval\n"
	"# of the oversight commission (サイバー通信情報監理委員会); the channel decides which\n"
	"# directions are eligible: agreement 外内, transit 外外, specific 外内/内外 with the named\n"
	"# foreign facilities. 内内 traffic is never eligible.\n"
	"\n"
	"approval A-2026-0012 channel=agreement from=2026-10-01T00:00:00+09:00 until=2027-10-01T00:00:00+09:00\n"
	"approval T-2026-0031 channel=transit from=2026-10-01T00:00:00+09:00 until=2027-04-01T00:00:00+09:00\n"
	"approval S-2026-0007 channel=specific from=2026-10-01T00:00:00+09:00 until=2026-12-31T00:00:00+09:00 facility=178.17.169.211,103.148.195.26\n"
	"# expired before the capture: its selector must select nothing\n"
	"approval A-2025-0099 channel=agreement from=2025-10-01T00:00:00+09:00 until=2026-09-30T00:00:00+09:00\n"
	"\n"
	"# Mirai-style telnet scanning into Japan\n"
	"select mirai-telnet approval=A-2026-0012 port=tcp/23\n"
	"select mirai-telnet-alt approval=A-2026-0012 port=tcp/2323\n"
	"# scan sources reported by darknet observation\n"
	"select scanners approval=A-2026-0012 ip-list=scanners.txt\n"
	"# C2 servers abroad that infected domestic hosts beacon to\n"
	"select c2-http approval=S-2026-0007 domain=.cdn-telemetry.net\n"
	"select c2-tls approval=S-2026-0007 ip=103.148.195.26\n"
	"# scripted clients relayed through Japan\n"
	"select py-bots approval=T-2026-0031 match=http.user_agent~/python-requests/\n"
	"# lookups of a domain abused by a phishing kit, and a spam relay's HELO name\n"
	"select phish-dns approval=A-2026-0012 domain=.gamezone.kr\n"
	"select spam-relay approval=A-2026-0012 match=smtp.helo~/^mail\\.cloudhost\\.dev$/\n"
	"select old-approval approval=A-2025-0099 port=tcp/23\n";

static const char demo_scanners[] =
	"# scan sources seen by darknet sensors (one address or prefix a line)\n"
	"101.32.235.191\n102.129.254.104\n103.168.28.141\n103.191.68.157\n103.85.62.204\n"
	"103.94.202.109\n103.99.22.155\n112.215.125.116\n121.128.45.179\n122.255.31.107\n"
	"128.254.201.126\n131.0.186.185\n135.26.119.29\n137.235.237.254\n14.1.117.253\n"
	"14.137.148.38\n141.11.106.2\n143.0.217.71\n143.84.76.17\n144.168.134.78\n";

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;

	if (!f)
		return -1;
	if (fputs(text, f) == EOF)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

struct demo_out {
	FILE *f;
	unsigned long long dns, tls, http, smtp;
	int examples;
	char first[DEMO_EXAMPLES][1024];   /* records to show, cut at 1 KiB */
	int failed;
};

static void demo_record(void *ctx, const char *line, size_t len)
{
	struct demo_out *o = ctx;
	bool has_dns = strstr(line, "\"dns\":"), has_tls = strstr(line, "\"tls\":"),
	     has_http = strstr(line, "\"http\":"), has_smtp = strstr(line, "\"smtp\":");

	if (fwrite(line, 1, len, o->f) != len || fputc('\n', o->f) == EOF)
		o->failed = 1;
	/* show the first record of each kind of mechanical information */
	if ((has_dns && !o->dns) || (has_tls && !o->tls) || (has_http && !o->http) ||
	    (has_smtp && !o->smtp)) {
		if (o->examples < DEMO_EXAMPLES)
			snprintf(o->first[o->examples++], sizeof(o->first[0]), "%.*s", (int)len, line);
	}
	o->dns += has_dns;
	o->tls += has_tls;
	o->http += has_http;
	o->smtp += has_smtp;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'o' },
		{ "packets", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = "demo-out";
	unsigned long long packets = DEMO_PACKETS;
	char pcap[512], truth[512], keyfile[512], selpath[512], scanpath[512], recpath[512],
		statspath[512], err[512];
	struct geo *geo = NULL;
	struct sel_set *sel = NULL;
	struct source *src = NULL;
	struct pipeline *pl = NULL;
	struct pseudo key;
	struct demo_out out = { 0 };
	int c, rc = 1, have_key = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 'n': packets = strtoull(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: sakimori demo [--dir DIR] [--packets N]\n");
			return 2;
		}
	}
	if (harden_no_core_dumps() < 0) {
		log_error("cannot disable core dumps: refusing to read traffic");
		return 1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_error("%s: %s", dir, strerror(errno));
		return 1;
	}
#define PATH(buf, name) snprintf(buf, sizeof(buf), "%s/%s", dir, name)
	PATH(pcap, "capture.pcap");
	PATH(truth, "truth.json");
	PATH(keyfile, "pseudonym.key");
	PATH(selpath, "selectors.sel");
	PATH(scanpath, "scanners.txt");
	PATH(recpath, "records.jsonl");
	PATH(statspath, "stats.json");
#undef PATH

	printf("== sakimori demo: automatic selection (自動選別) on a generated capture\n\n");
	geo = geo_open(NULL, err, sizeof(err));
	if (!geo) {
		log_error("%s", err);
		return 1;
	}
	struct gen_stats gs;
	struct gen_opts go = { .seed = DEMO_SEED, .packets = packets, .out_path = pcap,
			       .truth_path = truth, .geo = geo, .stats = &gs };
	if (gen_run(&go, err, sizeof(err)) < 0) {
		log_error("gen: %s", err);
		goto out;
	}
	printf("1. generated %s: %llu packets in %llu sessions (seed %d)\n"
	       "   what was planted, including the secrets that must appear in no output: %s\n",
	       pcap, (unsigned long long)gs.packets, (unsigned long long)gs.sessions, DEMO_SEED,
	       truth);

	if (write_text(selpath, demo_selectors) < 0 || write_text(scanpath, demo_scanners) < 0) {
		log_error("%s: cannot write the sample selectors", dir);
		goto out;
	}
	sel = sel_load(selpath, err, sizeof(err));
	if (!sel) {
		log_error("%s", err);
		goto out;
	}
	printf("2. sample selectors: %s (%zu selectors under %zu approvals)\n", selpath,
	       sel_count(sel), sel_approval_count(sel));

	fflush(stdout);
	if (pseudo_load_or_create(&key, keyfile, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	have_key = 1;
	src = source_open_file(pcap, err, sizeof(err));
	if (!src) {
		log_error("%s", err);
		goto out;
	}
	out.f = fopen(recpath, "w");
	if (!out.f) {
		log_error("%s: cannot write records", recpath);
		goto out;
	}
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = sel, .emit = demo_record,
				 .emit_ctx = &out };
	pl = pl_new(&cfg);
	if (!pl)
		goto out;
	if (pl_run_source(pl, src, NULL, NULL) < 0) {
		log_error("%s: %s", pcap, source_error(src));
		goto out;
	}
	if (fclose(out.f) != 0 || out.failed) {
		out.f = NULL;
		log_error("%s: writing records failed", recpath);
		goto out;
	}
	out.f = NULL;
	FILE *sf = fopen(statspath, "w");
	if (!sf || pl_write_stats(pl, sf) != 0) {
		if (sf)
			fclose(sf);
		log_error("%s: cannot write stats", statspath);
		goto out;
	}
	fclose(sf);

	const struct flow_counts *fc = flow_counts(pl_flows(pl));
	printf("3. sensor: %llu records -> %s, statistics -> %s\n\n", (unsigned long long)fc->emitted,
	       recpath, statspath);
	pl_print_summary(pl, stdout);

	printf("\nwhat the records hold (mechanical information only)\n");
	printf("  with dns %llu, with tls %llu, with http %llu, with smtp %llu\n", out.dns, out.tls,
	       out.http, out.smtp);
	printf("\nexamples:\n");
	for (int i = 0; i < out.examples; i++)
		printf("  %s\n", out.first[i]);
	printf("\nEverything not selected was discarded at once: no field of it was written.\n"
	       "E-mail local parts and URI query values in records are keyed hashes (key: %s).\n"
	       "Look at: %s (selectors), %s (records), %s (what the commission inspects).\n",
	       keyfile, selpath, recpath, statspath);
	rc = 0;
out:
	if (out.f)
		fclose(out.f);
	pl_free(pl);
	source_close(src);
	sel_set_free(sel);
	geo_close(geo);
	if (have_key)
		pseudo_wipe(&key);
	return rc;
}

/*
 * cmd_demo.c — `sakimori demo`: the sensor's whole job on embedded defaults.
 *
 *   1. generate a deterministic capture with planted attacks (real prefixes from the location
 *      database): Mirai-style scans, port scans, C2 beacons, bots, and ordinary traffic with
 *      secrets in its payloads;
 *   2. write the bundled sample selector file, with its approvals, next to it;
 *   3. run the sensor: automatic selection, records (JSON Lines) and the statistics the
 *      commission inspects;
 *   4. print a summary a person can read;
 *   5. start the hub on loopback (in this process, a real HTTP server), hand it the records as
 *      a sensor would, register an operator with a critical computer (asset notification,
 *      Art. 4) that its ministry forwards, file a ransomware incident report (Art. 5), read the
 *      records as the commission (an audited read), verify the audit log, and print where to
 *      look and how to start the hub again on the same data.
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
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "cli/cmd.h"
#include "common/harden.h"
#include "common/log.h"
#include "common/pseudo.h"
#include "geo/geo.h"
#include "packet/gen.h"
#include "packet/source.h"
#include "hub/client.h"
#include "hub/hub.h"
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
	/* line is not NUL-terminated: search within len only */
	bool has_dns = memmem(line, len, "\"dns\":", 6), has_tls = memmem(line, len, "\"tls\":", 6),
	     has_http = memmem(line, len, "\"http\":", 7), has_smtp = memmem(line, len, "\"smtp\":", 7);

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


/* --- the hub ----------------------------------------------------------------------------- */

#define DEMO_PORT_FIRST 18080
#define DEMO_PORT_TRIES 20

static const char demo_org[] =
	"{\"id\":\"kanto-power\",\"name\":\"Kanto Electric Power (demo)\",\"sector\":\"electricity\"}";
static const char demo_asset[] =
	"{\"product\":\"FortiGate 200F\",\"vendor\":\"Fortinet\",\"version\":\"7.2.5\","
	"\"cpe\":\"cpe:2.3:o:fortinet:fortios:7.2.5:*:*:*:*:*:*:*\","
	"\"model\":\"FG-200F\",\"facility\":\"central load dispatching system (中央給電指令システム)\"}";
static const char demo_incident[] =
	"{\"type\":\"ransomware\",\"status\":\"occurred\",\"aware_at\":\"%s\","
	"\"summary\":\"file servers of the dispatching centre encrypted\","
	"\"affected_assets\":[%lld],"
	"\"ransomware\":{\"ransom_note\":\"README_RESTORE.txt\",\"encrypted_extension\":\".lockbit\","
	"\"family\":\"LockBit 3.0\",\"intrusion_vector\":\"VPN appliance (CVE-2023-4966)\"},"
	"\"iocs\":{\"ipv4\":[\"103.148.195.26\"],\"domains\":[\"update.cdn-telemetry.net\"],"
	"\"sha256\":[\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"]}}";

struct demo_hub {
	struct hub hub;
	pthread_t thread;
	volatile int stop;
	int served;          /* hub_serve returned, with status */
	int status;
	char listen[32];
	char base[64];
};

static void *demo_hub_main(void *arg)
{
	struct demo_hub *d = arg;

	d->status = hub_serve(&d->hub, &d->stop);
	__atomic_store_n(&d->served, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Start hub_serve on the first free loopback port of a small range; 0 once it answers. */
static int demo_hub_start(struct demo_hub *d)
{
	for (int i = 0; i < DEMO_PORT_TRIES; i++) {
		struct hubc *c;

		snprintf(d->listen, sizeof(d->listen), "127.0.0.1:%d", DEMO_PORT_FIRST + i);
		snprintf(d->base, sizeof(d->base), "http://%s", d->listen);
		d->hub.cfg.listen = d->listen;
		d->stop = 0;
		d->served = 0;
		if (pthread_create(&d->thread, NULL, demo_hub_main, d) != 0)
			return -1;
		c = hubc_new(d->base, NULL);
		for (int t = 0; c && t < 100 && !__atomic_load_n(&d->served, __ATOMIC_ACQUIRE); t++) {
			long status;
			char *resp, err[256];

			if (hubc_request(c, "GET", "/api/v1/whoami", NULL, NULL, 0, &status, &resp, err,
					 sizeof(err)) == 0) {
				free(resp);
				if (status == 200) {
					hubc_free(c);
					return 0;
				}
			}
			usleep(50 * 1000);
		}
		hubc_free(c);
		d->stop = 1;
		pthread_join(d->thread, NULL);
	}
	return -1;
}

/* One request; prints and fails unless the status is the expected one. The response body is
 * returned parsed (NULL if it is not JSON). */
static json_t *demo_call(struct hubc *c, const char *method, const char *path, const char *body,
			 long want, int *failed)
{
	long status;
	char *resp, err[512];
	json_t *j;

	if (*failed)
		return NULL;
	if (hubc_request(c, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0,
			 &status, &resp, err, sizeof(err)) < 0) {
		log_error("hub: %s", err);
		*failed = 1;
		return NULL;
	}
	j = json_loads(resp, 0, NULL);
	if (status != want) {
		log_error("hub: %s %s: HTTP %ld: %.300s", method, path, status, resp);
		*failed = 1;
	}
	free(resp);
	return j;
}

static int demo_token(struct hub *hub, const char *role, const char *org, const char *sectors,
		      const char *label, char tok[HUB_TOKEN_MAX], FILE *list)
{
	struct store_token spec = { 0 };
	char err[256];

	if (store_set_key(spec.role, role) < 0 || store_set_key(spec.org, org ? org : "") < 0 ||
	    store_set_key(spec.label, label) < 0)
		return -1;
	snprintf(spec.sectors, sizeof(spec.sectors), "%s", sectors ? sectors : "");
	if (hub_token_create(hub, &spec, tok, err, sizeof(err)) < 0) {
		log_error("hub: token %s: %s", label, err);
		return -1;
	}
	fprintf(list, "%-11s %-22s %s\n", role, label, tok);
	return 0;
}

/* Remove what an earlier demo run left in the hub's directory: the demo starts afresh. */
static void demo_hub_clean(const char *hubdir)
{
	static const char *const files[] = { "hub.db", "hub.db-wal", "hub.db-shm", "audit.key",
					     "audit.pub", "tokens.txt" };
	char p[600];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", hubdir, files[i]);
		unlink(p);
	}
}

static int demo_hub(const char *dir, const char *recpath)
{
	struct demo_hub *d = calloc(1, sizeof(*d));
	struct hubc *cab = NULL, *min = NULL, *op = NULL, *sen = NULL, *com = NULL;
	char hubdir[512], tokpath[600], err[512], path[160], body[2048], aware[32];
	char t_cab[HUB_TOKEN_MAX], t_min[HUB_TOKEN_MAX], t_op[HUB_TOKEN_MAX], t_sen[HUB_TOKEN_MAX],
		t_com[HUB_TOKEN_MAX];
	json_t *j = NULL;
	FILE *tl = NULL;
	long long asset_id = 0, notif_id = 0, incident_id = 0;
	long accepted;
	int failed = 0, rc = 1, opened = 0, started = 0;

	if (!d)
		return 1;
	snprintf(hubdir, sizeof(hubdir), "%s/hub", dir);
	snprintf(tokpath, sizeof(tokpath), "%s/tokens.txt", hubdir);
	if (mkdir(hubdir, 0700) < 0 && errno != EEXIST) {
		log_error("%s: %s", hubdir, strerror(errno));
		goto out;
	}
	demo_hub_clean(hubdir);
	hub_config_defaults(&d->hub.cfg);
	d->hub.cfg.dir = hubdir;
	struct hub_config cfg = d->hub.cfg;
	if (hub_open(&d->hub, &cfg, err, sizeof(err)) < 0) {
		log_error("hub: %s", err);
		goto out;
	}
	opened = 1;
	int fd = open(tokpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	tl = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!tl) {
		log_error("%s: cannot write", tokpath);
		goto out;
	}
	fprintf(tl, "# bearer tokens of the demo hub (role, label, token); keep this file private\n");
	if (demo_token(&d->hub, "cabinet", NULL, NULL, "cabinet-analyst", t_cab, tl) < 0 ||
	    demo_token(&d->hub, "ministry", NULL, "electricity", "meti-electricity", t_min, tl) < 0 ||
	    demo_token(&d->hub, "sensor", NULL, NULL, "sensor-tokyo-1", t_sen, tl) < 0 ||
	    demo_token(&d->hub, "commission", NULL, NULL, "commission-inspector", t_com, tl) < 0)
		goto out;

	printf("\n== the hub: where the government, operators, ministries and the commission meet\n\n");
	fflush(stdout);
	if (demo_hub_start(d) < 0) {
		log_error("hub: no free port in 127.0.0.1:%d-%d", DEMO_PORT_FIRST,
			  DEMO_PORT_FIRST + DEMO_PORT_TRIES - 1);
		goto out;
	}
	started = 1;
	cab = hubc_new(d->base, t_cab);
	min = hubc_new(d->base, t_min);
	sen = hubc_new(d->base, t_sen);
	com = hubc_new(d->base, t_com);
	if (!cab || !min || !sen || !com)
		goto out;

	/* 1. the sensor hands over its records */
	accepted = hubc_post_records(sen, recpath, 1000, err, sizeof(err));
	if (accepted < 0) {
		log_error("hub: records: %s", err);
		goto out;
	}
	printf("5. sensor -> hub: %ld selected records stored with their approvals and channels\n"
	       "   (POST /api/v1/records; kept until retention ends, then deleted and logged)\n", accepted);

	/* 2. an operator, its critical computer, the ministry forwards the notification */
	json_decref(demo_call(cab, "POST", "/api/v1/orgs", demo_org, 201, &failed));
	if (failed || demo_token(&d->hub, "operator", "kanto-power", NULL, "kanto-power-soc", t_op, tl) < 0)
		goto out;
	fflush(tl);
	op = hubc_new(d->base, t_op);
	if (!op)
		goto out;
	j = demo_call(op, "POST", "/api/v1/assets", demo_asset, 201, &failed);
	asset_id = json_integer_value(json_object_get(json_object_get(j, "asset"), "id"));
	notif_id = json_integer_value(json_object_get(json_object_get(j, "notification"), "id"));
	json_decref(j);
	snprintf(path, sizeof(path), "/api/v1/notifications/%lld/forward", notif_id);
	json_decref(demo_call(min, "POST", path, "{\"note\":\"forwarded to the Cabinet Office\"}", 200,
			      &failed));
	if (failed)
		goto out;
	printf("6. asset notification (資産届出, Art. 4): kanto-power (electricity) notified asset %lld,\n"
	       "   a FortiGate serving its central load dispatching system; the electricity ministry\n"
	       "   forwarded notification %lld to the Cabinet Office\n", asset_id, notif_id);

	/* 3. a ransomware incident, aware two hours ago */
	time_t now = time(NULL) - 2 * 3600;
	struct tm tm;
	strftime(aware, sizeof(aware), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	snprintf(body, sizeof(body), demo_incident, aware, asset_id);
	j = demo_call(op, "POST", "/api/v1/incidents", body, 201, &failed);
	incident_id = json_integer_value(json_object_get(j, "id"));
	if (!incident_id)
		incident_id = json_integer_value(json_object_get(json_object_get(j, "incident"), "id"));
	json_decref(j);
	j = demo_call(min, "GET", "/api/v1/incidents", NULL, 200, &failed);
	json_decref(j);
	if (failed)
		goto out;
	printf("7. incident report (インシデント報告, Art. 5): kanto-power reported ransomware (aware %s);\n"
	       "   the ministry and the Cabinet Office see report %lld at once; written report due in 30 days\n",
	       aware, incident_id);

	/* 4. the commission reads records: an audited read */
	j = demo_call(com, "GET", "/api/v1/records?limit=5", NULL, 200, &failed);
	json_decref(j);
	j = demo_call(com, "GET", "/api/v1/audit/sth", NULL, 200, &failed);
	if (failed)
		goto out;
	printf("8. audit log: every write and every read of selected records is a leaf of a Merkle\n"
	       "   tree; signed tree head: size %lld, root %s\n",
	       (long long)json_integer_value(json_object_get(j, "tree_size")),
	       json_string_value(json_object_get(j, "root_hash")));
	json_decref(j);
	j = NULL;
	rc = 0;
out:
	json_decref(j);
	hubc_free(cab);
	hubc_free(min);
	hubc_free(op);
	hubc_free(sen);
	hubc_free(com);
	if (started) {
		d->stop = 1;
		pthread_join(d->thread, NULL);
	}
	if (tl)
		fclose(tl);
	if (opened)
		hub_close(&d->hub);
	explicit_bzero(d, sizeof(*d));
	free(d);
	if (rc == 0) {
		char pub[600], *av[] = { "audit", "verify", "--db", hubdir, "--key", pub, NULL };

		/* the offline check the commission runs, as `sakimori audit verify` */
		snprintf(pub, sizeof(pub), "%s/audit.pub", hubdir);
		printf("9. ");
		fflush(stdout);
		optind = 1;
		rc = cmd_audit(6, av);
		printf("\nLook at the hub:\n"
		       "  sakimori hub --dir %s   (serves the same data on 127.0.0.1:8080)\n"
		       "  tokens, one per role: %s\n"
		       "    e.g. curl -H \"Authorization: Bearer TOKEN\" http://127.0.0.1:8080/api/v1/incidents\n"
		       "  sakimori audit verify --db %s --key %s\n", hubdir, tokpath, hubdir, pub);
	}
	return rc;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'o' },
		{ "packets", required_argument, NULL, 'n' },
		{ "no-hub", no_argument, NULL, 'H' },
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
	int c, rc = 1, have_key = 0, with_hub = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': dir = optarg; break;
		case 'n': packets = strtoull(optarg, NULL, 10); break;
		case 'H': with_hub = 0; break;
		default:
			fprintf(stderr, "usage: sakimori demo [--dir DIR] [--packets N] [--no-hub]\n");
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
	rc = with_hub ? demo_hub(dir, recpath) : 0;
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

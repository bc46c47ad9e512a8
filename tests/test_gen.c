/* test_gen.c — the synthetic traffic generator: determinism, exact counts, well-formed frames
 * with right checksums, a truth file that matches what is on the wire, and (when tshark is
 * installed) Wireshark's verdict on a small capture. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/cursor.h"
#include "geo/geo.h"
#include "packet/decode.h"
#include "packet/gen.h"

static char dir[64];
static struct geo *geo; /* NULL when the location database is missing: built-in prefixes */

static void path_in(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", dir, name);
}

static void run_gen(uint64_t seed, uint64_t packets, const char *pcap, const char *truth)
{
	char err[256] = "";
	struct gen_opts o = { .seed = seed, .packets = packets, .out_path = pcap,
			      .truth_path = truth, .geo = geo };
	int rc = gen_run(&o, err, sizeof(err));
	if (rc != 0)
		fail_msg("gen_run: %s", err);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static bool same_file(const char *a, const char *b)
{
	size_t la, lb;
	unsigned char *x = slurp(a, &la), *y = slurp(b, &lb);
	bool same = la == lb && memcmp(x, y, la) == 0;
	free(x);
	free(y);
	return same;
}

static void same_seed_same_bytes(void **state)
{
	char p1[128], p2[128], p3[128], t1[128], t2[128], t3[128];

	path_in(p1, sizeof(p1), "d1.pcap");
	path_in(p2, sizeof(p2), "d2.pcap");
	path_in(p3, sizeof(p3), "d3.pcap");
	path_in(t1, sizeof(t1), "d1.json");
	path_in(t2, sizeof(t2), "d2.json");
	path_in(t3, sizeof(t3), "d3.json");
	run_gen(42, 4000, p1, t1);
	run_gen(42, 4000, p2, t2);
	run_gen(43, 4000, p3, t3);
	assert_true(same_file(p1, p2));
	assert_true(same_file(t1, t2));
	assert_false(same_file(p1, p3));
	assert_false(same_file(t1, t3));

	/* the truth file does not change what is written */
	run_gen(42, 4000, p2, NULL);
	assert_true(same_file(p1, p2));
}

static uint64_t count_frames(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;

	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while (pcap_next_ex(p, &h, &d) == 1)
		n++;
	pcap_close(p);
	return n;
}

static void exact_packet_count(void **state)
{
	static const uint64_t counts[] = { 0, 1, 2, 3, 17, 250, 3001 };
	char p[128];

	path_in(p, sizeof(p), "count.pcap");
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		run_gen(7 + i, counts[i], p, NULL);
		assert_int_equal(count_frames(p), counts[i]);
	}
}

/* --- checking frames by hand, beside pkt_decode ------------------------------------------ */

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

struct scan_stats {
	uint64_t frames, v6, vlan1, qinq, frags, tcp, udp, icmp, syn;
	uint64_t dir[DIR__COUNT];
	uint64_t dns_udp_queries;
	uint64_t mirai_syns;
};

/* Walk one frame through the cursor: link tags, IP header checksum, L4 checksum. */
static void check_frame(const uint8_t *d, uint32_t len, struct scan_stats *st)
{
	struct cur c = cur_make(d, len);
	int tags = 0;

	cur_skip(&c, 12);
	uint16_t et = cur_be16(&c);
	while (et == 0x8100 || et == 0x88a8) {
		cur_skip(&c, 2);
		et = cur_be16(&c);
		tags++;
	}
	assert_true(cur_ok(&c));
	assert_true(et == 0x0800 || et == 0x86dd);
	if (tags == 1)
		st->vlan1++;
	if (tags == 2)
		st->qinq++;
	assert_true(len >= 60);

	const uint8_t *ip = cur_ptr(&c);
	uint8_t proto;
	size_t l4len;
	uint32_t pseudo;
	const uint8_t *l4;
	if (et == 0x0800) {
		struct cur h = cur_sub(&c, 20);
		assert_true(cur_ok(&h));
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(fold(sum16(0, ip, 20)), 0xffff); /* header checksum */
		uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
		assert_true(tot <= cur_left(&c) + 20);
		uint16_t frag = (uint16_t)(ip[6] << 8 | ip[7]);
		if (frag & 0x3fff) { /* a fragment: its L4 checksum covers the whole datagram */
			st->frags++;
			return;
		}
		proto = ip[9];
		l4 = ip + 20;
		l4len = tot - 20u;
		pseudo = sum16(0, ip + 12, 8) + proto + (uint32_t)l4len;
	} else {
		struct cur h = cur_sub(&c, 40);
		assert_true(cur_ok(&h));
		st->v6++;
		proto = ip[6];
		l4 = ip + 40;
		l4len = (size_t)(ip[4] << 8 | ip[5]);
		assert_true(l4len <= cur_left(&c));
		pseudo = sum16(0, ip + 8, 32) + proto + (uint32_t)l4len;
	}
	if (proto == 1)
		pseudo = 0;
	assert_true(proto == 6 || proto == 17 || proto == 1 || proto == 58);
	assert_int_equal(fold(sum16(pseudo, l4, l4len)), 0xffff);
	if (proto == 6) {
		st->tcp++;
		if ((l4[13] & 0x12) == 0x02)
			st->syn++;
	} else if (proto == 17) {
		st->udp++;
	} else {
		st->icmp++;
	}
}

static void scan_capture(const char *path, struct scan_stats *st)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t last = 0;

	assert_non_null(p);
	memset(st, 0, sizeof(*st));
	while (pcap_next_ex(p, &h, &d) == 1) {
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000000 + (uint64_t)h->ts.tv_usec;
		assert_true(ts >= last); /* non-decreasing in file order */
		assert_true(ts >= GEN_DEFAULT_START_US);
		last = ts;
		assert_int_equal(h->caplen, h->len);

		struct pkt k;
		enum pkt_err e = pkt_decode(LINK_ETHERNET, d, h->caplen, &k);
		if (e != PKT_OK)
			fail_msg("frame %llu: %s", (unsigned long long)st->frames, pkt_err_name(e));
		check_frame(d, h->caplen, st);
		st->frames++;

		if (geo) {
			struct geo_info a, b;
			geo_lookup(geo, &k.src, &a);
			geo_lookup(geo, &k.dst, &b);
			st->dir[geo_direction(a.cls, b.cls)]++;
		}
		if (k.proto == 17 && k.has_l4 && k.dport == 53 && k.payload_len > 2 &&
		    !(k.payload[2] & 0x80))
			st->dns_udp_queries++;
		if (k.proto == 6 && k.has_l4 && k.tcp_flags == TCPF_SYN && k.ipver == 4 &&
		    (k.dport == 23 || k.dport == 2323) && k.seq == addr_v4(&k.dst))
			st->mirai_syns++;
	}
	pcap_close(p);
}

static void frames_are_well_formed(void **state)
{
	char p[128];
	struct scan_stats st;

	path_in(p, sizeof(p), "wf.pcap");
	run_gen(2026, 30000, p, NULL);
	scan_capture(p, &st);
	assert_int_equal(st.frames, 30000);

	/* the mix: IPv6 about a fifth, tagged and double-tagged frames, fragments, all L4s */
	assert_true(st.v6 * 100 > st.frames * 8 && st.v6 * 100 < st.frames * 35);
	assert_true(st.vlan1 > st.frames / 50);
	assert_true(st.qinq > st.frames / 100);
	assert_true(st.frags > 10);
	assert_true(st.tcp > st.frames / 2);
	assert_true(st.udp > st.frames / 20);
	assert_true(st.icmp > 10);
	assert_true(st.dns_udp_queries > 100);
	assert_true(st.mirai_syns > 0);
}

/* --- the truth file ------------------------------------------------------------------------- */

static bool memfind(const unsigned char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

static void truth_matches_capture(void **state)
{
	char p[128], t[128];
	json_error_t je;
	struct scan_stats st;

	path_in(p, sizeof(p), "truth.pcap");
	path_in(t, sizeof(t), "truth.json");
	run_gen(99, 20000, p, t);
	json_t *root = json_load_file(t, 0, &je);
	if (!root)
		fail_msg("truth: %s", je.text);

	/* keys in their documented order */
	static const char *const keys[] = { "seed", "packets", "start", "end", "directions", "dns",
		"tls", "http", "smtp", "scans", "mirai", "beacons", "fragments", "fragment_packets",
		"secrets" };
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach(root, k, v) {
		assert_true(i < sizeof(keys) / sizeof(keys[0]));
		assert_string_equal(k, keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof(keys) / sizeof(keys[0]));
	assert_int_equal(json_integer_value(json_object_get(root, "seed")), 99);
	assert_int_equal(json_integer_value(json_object_get(root, "packets")), 20000);
	assert_string_equal(json_string_value(json_object_get(root, "start")), "2026-10-01T00:00:00Z");

	scan_capture(p, &st);

	/* directions: they add up, all four are present, and agree with the database */
	json_t *dirs = json_object_get(root, "directions");
	json_int_t sum = 0;
	json_object_foreach(dirs, k, v) {
		sum += json_integer_value(v);
		if (strcmp(k, "unknown") != 0)
			assert_true(json_integer_value(v) > 100);
	}
	assert_int_equal(sum, 20000);
	if (geo)
		for (int d = 0; d < DIR__COUNT; d++)
			assert_int_equal(st.dir[d], json_integer_value(json_object_get(dirs,
									    direction_name(d))));

	/* DNS over UDP: one truth entry per query on the wire */
	json_t *dns = json_object_get(root, "dns");
	size_t nudp = 0;
	json_array_foreach(dns, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "transport")), "udp") == 0)
			nudp++;
		assert_true(json_integer_value(json_object_get(v, "qtype")) > 0);
	}
	assert_int_equal(nudp, st.dns_udp_queries);
	assert_true(json_array_size(json_object_get(root, "tls")) > 100);
	assert_true(json_array_size(json_object_get(root, "http")) > 50);
	assert_true(json_array_size(json_object_get(root, "smtp")) > 10);
	assert_true(json_integer_value(json_object_get(root, "fragments")) > 5);

	/* Mirai: the per-bot counts add up to the SYNs whose sequence number is their target */
	json_int_t mirai = 0;
	json_array_foreach(json_object_get(root, "mirai"), i, v)
		mirai += json_integer_value(json_object_get(v, "count"));
	assert_int_equal(mirai, st.mirai_syns);

	/* beacons: a 20000-frame capture spans 15 minutes, several periods */
	json_array_foreach(json_object_get(root, "beacons"), i, v) {
		json_int_t period = json_integer_value(json_object_get(v, "period_s"));
		json_int_t count = json_integer_value(json_object_get(v, "count"));
		assert_true(count >= 900 / period - 2);
	}
	assert_true(json_array_size(json_object_get(root, "beacons")) >= 2);

	/* secrets: distinct, well-shaped, and planted (most appear whole in one frame; the rest
	 * straddle segment boundaries or, inside attachments, appear only base64-encoded) */
	size_t flen;
	unsigned char *file = slurp(p, &flen);
	json_t *secrets = json_object_get(root, "secrets");
	size_t found = 0, tokens = 0;
	assert_true(json_array_size(secrets) > 500);
	json_array_foreach(secrets, i, v) {
		const char *s = json_string_value(v);
		assert_non_null(s);
		if (strncmp(s, "SECRET-", 7) == 0) {
			assert_int_equal(strlen(s), 19);
			tokens++;
		}
		found += memfind(file, flen, s);
	}
	assert_true(tokens * 10 > json_array_size(secrets) * 8);
	assert_true(found * 100 > json_array_size(secrets) * 85);
	json_t *seen = json_object();
	json_array_foreach(secrets, i, v) {
		assert_null(json_object_get(seen, json_string_value(v)));
		json_object_set_new(seen, json_string_value(v), json_true());
	}
	/* and the list is complete: every token on the wire is in it */
	size_t on_wire = 0;
	for (const unsigned char *q = file; (q = memmem(q, flen - (size_t)(q - file), "SECRET-", 7));
	     q += 7) {
		char tok[20];
		size_t left = flen - (size_t)(q - file);
		if (left < 19)
			break;
		memcpy(tok, q, 19);
		tok[19] = '\0';
		bool shaped = true;
		for (int j = 7; j < 19; j++)
			shaped &= (tok[j] >= '0' && tok[j] <= '9') || (tok[j] >= 'A' && tok[j] <= 'Z') ||
				  (tok[j] >= 'a' && tok[j] <= 'z');
		if (!shaped)
			continue; /* cut by a segment boundary */
		if (!json_object_get(seen, tok))
			fail_msg("secret on the wire but not in the truth: %s", tok);
		on_wire++;
	}
	assert_true(on_wire >= found / 2);
	json_decref(seen);

	/* mechanical fields carry no secret */
	json_array_foreach(json_object_get(root, "http"), i, v) {
		assert_null(strstr(json_string_value(json_object_get(v, "path")), "SECRET"));
		assert_null(strstr(json_string_value(json_object_get(v, "host")), "SECRET"));
	}
	free(file);
	json_decref(root);
}

/* --- Wireshark's opinion ------------------------------------------------------------------- */

static void tshark_finds_nothing_wrong(void **state)
{
	char p[128], cmd[512], line[512];

	if (system("command -v tshark >/dev/null 2>&1") != 0)
		skip();
	path_in(p, sizeof(p), "ts.pcap");
	run_gen(5, 6000, p, NULL);
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE "
		 "-o ip.check_checksum:TRUE -Y '_ws.malformed || _ws.expert.severity >= warning' "
		 "-T fields -e frame.number -e _ws.expert.message 2>/dev/null", p);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	int bad = 0, rst = 0;
	while (fgets(line, sizeof(line), f)) {
		/* RSTs are planted (scan answers, stray segments): Wireshark warns about each */
		if (strstr(line, "Connection reset (RST)") && !strchr(strchr(line, '\t') + 1, ',')) {
			rst++;
			continue;
		}
		if (bad++ < 5)
			fprintf(stderr, "tshark: %s", line);
	}
	assert_int_equal(pclose(f), 0);
	assert_int_equal(bad, 0);
	assert_true(rst > 0);
}

static int setup(void **state)
{
	char err[256];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_gen.XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	if (access(GEO_DEFAULT_DB, R_OK) == 0)
		geo = geo_open(NULL, err, sizeof(err));
	if (!geo)
		fprintf(stderr, "test_gen: no location database, using built-in prefixes\n");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return -1;
	geo_close(geo);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_seed_same_bytes),
		cmocka_unit_test(exact_packet_count),
		cmocka_unit_test(frames_are_well_formed),
		cmocka_unit_test(truth_matches_capture),
		cmocka_unit_test(tshark_finds_nothing_wrong),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_reload.c — pl_reload: swapping the selector set at a packet boundary (SIGHUP).
 *
 *   - flows open at the reload are emitted then, under the old set (their selectors), and the
 *     rest of such a flow becomes a new record under the new set: packets split, none lost;
 *   - selectors added by the reload select from the next packet on; removed ones no longer do;
 *   - a refused file (sel_parse gives NULL) or survey mode leaves the old set in force;
 *   - totals (selected flows, records) are summed across reloads, per-selector figures are of
 *     the current set.
 *
 * Frames are raw IPv4 (LINK_RAW) + TCP/UDP built byte by byte, with real protocol bytes as
 * payload: an HTTP request line and headers as curl sends them, SMTP commands as a client
 * sends them, a resolver's DNS query (www.example.jp A, RD, EDNS0). Addresses are classified
 * with the installed location database: 8.8.8.8 (US) and 185.16.66.175 (RU) foreign,
 * 133.1.1.1 (JP) domestic, so every flow here is 外内 (agreement channel).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>

#include "common/pseudo.h"
#include "geo/geo.h"
#include "packet/decode.h"
#include "select/flow.h"
#include "select/pipeline.h"
#include "select/rules.h"

#define T0 1790812800000000ull            /* 2026-10-01T00:00:00Z */
#define MS 1000ull

#define APPROVAL "approval A1 channel=agreement from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z\n"
#define SEL_HTTP "select a-http approval=A1 port=tcp/80\n"
#define SEL_SMTP "select a-smtp approval=A1 port=tcp/25\n"
#define SEL_DNS "select a-dns approval=A1 port=udp/53\n"

#define FOR_US "8.8.8.8"
#define FOR_RU "185.16.66.175"
#define DOM1 "133.1.1.1"

/* www.example.jp A, RD, EDNS0 OPT (udp 1232), as a resolver sends it */
static const uint8_t dns_query[] = {
	0x5c, 0x2e, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x02, 0x6a, 0x70, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04,
	0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};
static const char http_get[] =
	"GET /index.html HTTP/1.1\r\nHost: www.example.jp\r\nUser-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n\r\n";

#define MAXREC 32

struct run {
	struct pseudo key;
	struct sel_set *sel;
	struct pipeline *pl;
	size_t nrec;
	json_t *rec[MAXREC];
	uint8_t buf[1600];
	uint32_t seq[1024];                  /* next sequence number, by sender port (mod 1024) */
};

static struct geo *geo;

static void on_record(void *ctx, const char *line, size_t len)
{
	struct run *r = ctx;
	json_error_t e;

	assert_true(r->nrec < MAXREC);
	r->rec[r->nrec] = json_loadb(line, len, 0, &e);
	if (!r->rec[r->nrec])
		fail_msg("record is not JSON (%s)", e.text);
	r->nrec++;
}

static struct sel_set *parse(const char *text)
{
	char err[256] = "";
	struct sel_set *s = sel_parse("reload.conf", text, strlen(text), NULL, 0, err, sizeof(err));

	if (!s)
		fail_msg("selector text refused: %s", err);
	return s;
}

static void run_start(struct run *r, const char *text)
{
	uint8_t k[PSEUDO_KEYLEN];

	memset(r, 0, sizeof(*r));
	memset(k, 0x5a, sizeof(k));
	pseudo_init(&r->key, k);
	r->sel = text ? parse(text) : NULL;
	struct pl_config c = { .geo = geo, .key = &r->key, .sel = r->sel, .emit = on_record,
			       .emit_ctx = r };
	r->pl = pl_new(&c);
	assert_non_null(r->pl);
}

/* Swap in a new set the way the sensor does: on success the old set is freed. */
static void reload_to(struct run *r, const char *text)
{
	struct sel_set *next = parse(text);

	assert_int_equal(pl_reload(r->pl, next), 0);
	sel_set_free(r->sel);
	r->sel = next;
}

static void run_end(struct run *r)
{
	for (size_t i = 0; i < r->nrec; i++)
		json_decref(r->rec[i]);
	pl_free(r->pl);
	sel_set_free(r->sel);
	pseudo_wipe(&r->key);
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* One IPv4 + TCP (proto 6) or UDP (17) frame through the pipeline, wiped after. */
static void send_ip(struct run *r, uint64_t ts, const char *src, uint16_t sp, const char *dst,
		    uint16_t dp, uint8_t proto, uint8_t flags, const void *data, size_t n)
{
	uint8_t *b = r->buf;
	size_t l4 = proto == 6 ? 20 : 8, len = 20 + l4 + n;

	assert_true(len <= sizeof(r->buf));
	memset(b, 0, 20 + l4);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)len);
	b[8] = 64;
	b[9] = proto;
	assert_int_equal(inet_pton(AF_INET, src, b + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, b + 16), 1);
	put16(b + 20, sp);
	put16(b + 22, dp);
	if (proto == 6) {
		uint32_t *seq = &r->seq[sp % 1024];
		put16(b + 24, (uint16_t)(*seq >> 16));
		put16(b + 26, (uint16_t)*seq);
		b[32] = 0x50;
		b[33] = flags;
		put16(b + 34, 64240);
		*seq += (uint32_t)n + ((flags & (TCPF_SYN | TCPF_FIN)) ? 1 : 0);
	} else {
		put16(b + 24, (uint16_t)(8 + n));
	}
	if (n)
		memcpy(b + 20 + l4, data, n);

	struct frame f = { .ts_us = ts, .caplen = (uint32_t)len, .wirelen = (uint32_t)len, .data = b };
	pl_frame(r->pl, LINK_RAW, &f);
	memset(r->buf, 0, sizeof(r->buf));
}

static void tcp(struct run *r, uint64_t ts, const char *c, uint16_t cp, const char *s, uint16_t sp,
		uint8_t flags, const char *text)
{
	send_ip(r, ts, c, cp, s, sp, 6, flags, text, text ? strlen(text) : 0);
}

static long long int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return (long long)json_integer_value(v);
}

/* The record's selectors, comma-joined, into buf. */
static const char *sels_of(const json_t *rec, char *buf, size_t len)
{
	const json_t *a = json_object_get(rec, "selectors"), *v;
	size_t i, at = 0;

	assert_true(json_is_array(a));
	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		int n = snprintf(buf + at, len - at, "%s%s", i ? "," : "", json_string_value(v));
		assert_true(n > 0 && (size_t)n < len - at);
		at += (size_t)n;
	}
	return buf;
}

static json_t *stats_of(const struct run *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_error_t e;
	json_t *st;

	assert_non_null(f);
	assert_int_equal(pl_write_stats(r->pl, f), 0);
	fclose(f);
	st = json_loads(text, 0, &e);
	free(text);
	assert_non_null(st);
	return st;
}

/* Open flows are emitted at the reload under the old set; the rest of the flow becomes a new
 * record under the new set; a selector added by the reload selects from then on. */
static void test_reload_splits_and_adds(void **state)
{
	struct run r;
	char b[128];

	run_start(&r, APPROVAL SEL_HTTP);
	/* an HTTP flow, open across the reload */
	tcp(&r, T0, FOR_US, 40000, DOM1, 80, TCPF_SYN, NULL);
	tcp(&r, T0 + 1 * MS, DOM1, 80, FOR_US, 40000, TCPF_SYN | TCPF_ACK, NULL);
	tcp(&r, T0 + 2 * MS, FOR_US, 40000, DOM1, 80, TCPF_ACK, NULL);
	tcp(&r, T0 + 3 * MS, FOR_US, 40000, DOM1, 80, TCPF_PSH | TCPF_ACK, http_get);
	/* SMTP before the reload: no selector for it yet */
	tcp(&r, T0 + 4 * MS, FOR_RU, 50000, DOM1, 25, TCPF_SYN, NULL);
	assert_int_equal(r.nrec, 0);
	assert_int_equal(flow_open(pl_flows(r.pl)), 1);

	reload_to(&r, APPROVAL SEL_HTTP SEL_SMTP);
	assert_int_equal(pl_reloads(r.pl), 1);
	/* the open flow left at the reload, with what it had and the old set's selectors */
	assert_int_equal(r.nrec, 1);
	assert_string_equal(sels_of(r.rec[0], b, sizeof(b)), "a-http");
	assert_int_equal(int_of(r.rec[0], "src_port"), 40000);
	assert_int_equal(int_of(r.rec[0], "packets"), 3);   /* the SYN-ACK (内外) is not eligible */
	assert_non_null(json_object_get(r.rec[0], "http"));
	assert_int_equal(flow_open(pl_flows(r.pl)), 0);

	/* the rest of the HTTP flow, and the SMTP flow now that a-smtp exists */
	tcp(&r, T0 + 5 * MS, FOR_US, 40000, DOM1, 80, TCPF_ACK, NULL);
	tcp(&r, T0 + 6 * MS, FOR_US, 40000, DOM1, 80, TCPF_FIN | TCPF_ACK, NULL);
	tcp(&r, T0 + 7 * MS, FOR_RU, 50000, DOM1, 25, TCPF_ACK, NULL);
	tcp(&r, T0 + 8 * MS, FOR_RU, 50000, DOM1, 25, TCPF_PSH | TCPF_ACK, "EHLO mail.example.ru\r\n");
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 3);
	long long http_packets = int_of(r.rec[0], "packets"), smtp_packets = 0;
	int http_recs = 1, smtp_recs = 0;
	for (size_t i = 1; i < r.nrec; i++) {
		sels_of(r.rec[i], b, sizeof(b));
		if (strcmp(b, "a-http") == 0) {
			assert_int_equal(int_of(r.rec[i], "dst_port"), 80);
			http_packets += int_of(r.rec[i], "packets");
			http_recs++;
		} else {
			assert_string_equal(b, "a-smtp");
			assert_int_equal(int_of(r.rec[i], "dst_port"), 25);
			smtp_packets += int_of(r.rec[i], "packets");
			smtp_recs++;
		}
	}
	/* split in two, none lost: 3 eligible before + 2 after */
	assert_int_equal(http_recs, 2);
	assert_int_equal(http_packets, 5);
	/* selected from the reload on: the SYN before it is not in any record */
	assert_int_equal(smtp_recs, 1);
	assert_int_equal(smtp_packets, 2);

	/* totals summed across the reload; per-selector figures of the current set */
	json_t *st = stats_of(&r);
	assert_int_equal(int_of(st, "selected_flows"), 3);
	assert_int_equal(int_of(st, "records"), 3);
	assert_int_equal(int_of(st, "reloads"), 1);
	assert_int_equal(int_of(st, "selected_packets"), 7);
	const json_t *sels = json_object_get(st, "selectors");
	assert_int_equal(json_array_size(sels), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sels, 1), "id")), "a-smtp");
	assert_int_equal(int_of(json_array_get(sels, 0), "packets"), 2);   /* a-http since the reload */
	assert_int_equal(int_of(json_array_get(sels, 1), "packets"), 2);
	json_decref(st);
	run_end(&r);
}

/* A selector the reload removes selects nothing more; the others keep selecting. */
static void test_reload_removes(void **state)
{
	struct run r;
	char b[128];

	run_start(&r, APPROVAL SEL_HTTP SEL_DNS);
	tcp(&r, T0, FOR_US, 40001, DOM1, 80, TCPF_SYN, NULL);
	send_ip(&r, T0 + 1 * MS, FOR_US, 53001, DOM1, 53, 17, 0, dns_query, sizeof(dns_query));
	assert_int_equal(r.nrec, 0);

	reload_to(&r, APPROVAL SEL_DNS);
	assert_int_equal(r.nrec, 2);                 /* both open flows left at the reload */

	tcp(&r, T0 + 2 * MS, FOR_US, 40001, DOM1, 80, TCPF_ACK, NULL);               /* no more */
	tcp(&r, T0 + 3 * MS, FOR_US, 40002, DOM1, 80, TCPF_SYN, NULL);               /* no more */
	send_ip(&r, T0 + 4 * MS, FOR_US, 53002, DOM1, 53, 17, 0, dns_query, sizeof(dns_query));
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 3);
	assert_string_equal(sels_of(r.rec[2], b, sizeof(b)), "a-dns");
	assert_int_equal(int_of(r.rec[2], "src_port"), 53002);
	assert_non_null(json_object_get(r.rec[2], "dns"));
	const struct pl_stats *ps = pl_stats(r.pl);
	assert_int_equal(ps->selected, 3);
	assert_int_equal(ps->discarded, 2);
	run_end(&r);
}

/* A refused file never reaches the pipeline: the old set stays in force; survey mode has no
 * set to replace. */
static void test_reload_refused_keeps_old(void **state)
{
	struct run r;
	char err[256] = "", b[128];
	static const char bad[] = APPROVAL "select a-smtp approval=NOPE port=tcp/25\n";

	run_start(&r, APPROVAL SEL_HTTP);
	tcp(&r, T0, FOR_US, 40003, DOM1, 80, TCPF_SYN, NULL);

	struct sel_set *next = sel_parse("reload.conf", bad, strlen(bad), NULL, 0, err, sizeof(err));
	assert_null(next);
	assert_non_null(strstr(err, "reload.conf:2: "));
	assert_int_equal(pl_reload(r.pl, next), -1);
	assert_int_equal(pl_reloads(r.pl), 0);
	assert_int_equal(r.nrec, 0);                 /* nothing flushed by a refused reload */
	assert_int_equal(flow_open(pl_flows(r.pl)), 1);

	tcp(&r, T0 + 1 * MS, FOR_US, 40003, DOM1, 80, TCPF_ACK, NULL);
	tcp(&r, T0 + 2 * MS, FOR_RU, 50001, DOM1, 25, TCPF_SYN, NULL);               /* not selected */
	pl_finish(r.pl);
	assert_int_equal(r.nrec, 1);
	assert_string_equal(sels_of(r.rec[0], b, sizeof(b)), "a-http");
	assert_int_equal(int_of(r.rec[0], "packets"), 2);
	json_t *st = stats_of(&r);
	assert_null(json_object_get(st, "reloads"));
	json_decref(st);
	run_end(&r);

	/* survey mode: nothing to reload */
	run_start(&r, NULL);
	struct sel_set *s = parse(APPROVAL SEL_HTTP);
	assert_int_equal(pl_reload(r.pl, s), -1);
	sel_set_free(s);
	run_end(&r);
}

static int setup(void **state)
{
	char err[256];

	geo = geo_open(NULL, err, sizeof(err));
	if (!geo) {
		fprintf(stderr, "location database: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	geo_close(geo);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_splits_and_adds),
		cmocka_unit_test(test_reload_removes),
		cmocka_unit_test(test_reload_refused_keeps_old),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

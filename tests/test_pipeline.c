/*
 * test_pipeline.c — the law's lines (DESIGN.md rules 1–4) driven through the real pipeline.
 *
 * Each test loads a selector text with sel_parse, classifies with the installed location
 * database (geo_open(NULL)), feeds raw IPv4/IPv6 + TCP/UDP frames built byte by byte
 * (LINK_RAW; a few Ethernet frames) through pl_frame, ends with pl_finish, and then reads
 * what left the sensor: the record lines (parsed with jansson), the statistics JSON
 * (pl_write_stats) and the human summary (pl_print_summary).
 *
 * Addresses whose class the database gives (checked with `sakimori geo`):
 *   domestic  133.1.1.1, 133.1.2.2 (JP, AS4730 Osaka Univ), 2001:200::1 (JP, AS2500)
 *   foreign   8.8.8.8 (US), 1.1.1.1 (AU), 185.16.66.175 (RU), 2001:4860:4860::8888 (US)
 *   unknown   10.0.0.1, 192.168.1.1 (private: in no country)
 *
 * Payloads are real protocol bytes: the ClientHello is curl 7.88.1 / OpenSSL 3.0's (the same
 * bytes as test_meta.c, SNI tls.example.jp, JA3 as printed by tshark), the DNS messages a
 * resolver's query and a response with a compressed CNAME chain, the HTTP and SMTP text as
 * clients send it. Every test ends with check_stats(): the statistics agree with themselves
 * and with the records, and no flow or stream state is left behind.
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
#include "select/flow.h"
#include "select/pipeline.h"
#include "select/rules.h"
#include "samples.h"

#define T0 1790812800000000ull            /* 2026-10-01T00:00:00Z */
#define SEC 1000000ull
#define VALID "from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z"

#define DOM1 "133.1.1.1"
#define DOM2 "133.1.2.2"
#define DOM6 "2001:200::1"
#define FOR_US "8.8.8.8"
#define FOR_AU "1.1.1.1"
#define FOR_RU "185.16.66.175"
#define FOR6 "2001:4860:4860::8888"

#define SYN TCPF_SYN
#define ACK TCPF_ACK
#define PA (TCPF_PSH | TCPF_ACK)
#define FA (TCPF_FIN | TCPF_ACK)
#define RST TCPF_RST

/* tests/samples.h: curl_hello (SNI tls.example.jp, ALPN h2,http/1.1) and CURL_JA3 */

_Static_assert(sizeof(curl_hello) == 517, "the ClientHello record is 5 + 512 bytes");

/* ---- a pipeline and what it emitted ------------------------------------------------------ */

#define MAXREC 64

struct run {
	struct pseudo key;
	struct sel_set *sel;
	struct pipeline *pl;
	size_t nrec;
	char *line[MAXREC];
	json_t *rec[MAXREC];
	uint8_t buf[2048];                   /* the frame being fed */
};

static struct geo *geo;                      /* the installed database, opened once */

static void on_record(void *ctx, const char *line, size_t len)
{
	struct run *r = ctx;
	json_error_t e;

	assert_true(r->nrec < MAXREC);
	assert_true(len > 0 && line[len - 1] == '}');
	assert_null(memchr(line, '\n', len));
	r->line[r->nrec] = strndup(line, len);
	r->rec[r->nrec] = json_loadb(line, len, 0, &e);
	if (!r->rec[r->nrec])
		fail_msg("record is not JSON (%s): %.*s", e.text, (int)len, line);
	r->nrec++;
}

static void run_start(struct run *r, const char *text, uint8_t keybyte,
		      const struct flow_limits *lim)
{
	uint8_t k[PSEUDO_KEYLEN];
	char err[256] = "";

	memset(r, 0, sizeof(*r));
	memset(k, keybyte, sizeof(k));
	pseudo_init(&r->key, k);
	r->sel = sel_parse("pipe.conf", text, strlen(text), NULL, 0, err, sizeof(err));
	if (!r->sel)
		fail_msg("selector text refused: %s", err);
	struct pl_config c = {
		.geo = geo, .key = &r->key, .sel = r->sel, .flows = lim,
		.emit = on_record, .emit_ctx = r,
	};
	r->pl = pl_new(&c);
	assert_non_null(r->pl);
}

static void run_end(struct run *r)
{
	for (size_t i = 0; i < r->nrec; i++) {
		free(r->line[i]);
		json_decref(r->rec[i]);
	}
	pl_free(r->pl);
	sel_set_free(r->sel);
	pseudo_wipe(&r->key);
}

/* ---- frames, byte by byte ---------------------------------------------------------------- */

static size_t put16(uint8_t *b, size_t at, uint16_t v)
{
	b[at] = (uint8_t)(v >> 8);
	b[at + 1] = (uint8_t)v;
	return at + 2;
}

static size_t put32(uint8_t *b, size_t at, uint32_t v)
{
	put16(b, at, (uint16_t)(v >> 16));
	return put16(b, at + 2, (uint16_t)v);
}

/* IPv4 or IPv6 (by the source's text) + TCP (proto 6) or UDP (17) + payload, at b[at..].
 * Returns the frame length. Checksums are left zero: the decoder does not check them. */
static size_t build_ip(uint8_t *b, size_t at, size_t cap, const char *src, uint16_t sp,
		       const char *dst, uint16_t dp, uint8_t proto, uint8_t flags, uint32_t seq,
		       uint32_t ack, const void *data, size_t n)
{
	int v6 = strchr(src, ':') != NULL;
	size_t l4 = proto == 6 ? 20 : 8, iph = v6 ? 40 : 20;
	uint8_t s[16], d[16];

	assert_true(at + iph + l4 + n <= cap);
	memset(b + at, 0, iph + l4);
	if (v6) {
		assert_int_equal(inet_pton(AF_INET6, src, s), 1);
		assert_int_equal(inet_pton(AF_INET6, dst, d), 1);
		b[at] = 0x60;
		put16(b, at + 4, (uint16_t)(l4 + n));
		b[at + 6] = proto;
		b[at + 7] = 64;
		memcpy(b + at + 8, s, 16);
		memcpy(b + at + 24, d, 16);
	} else {
		assert_int_equal(inet_pton(AF_INET, src, s), 1);
		assert_int_equal(inet_pton(AF_INET, dst, d), 1);
		b[at] = 0x45;
		put16(b, at + 2, (uint16_t)(iph + l4 + n));
		put16(b, at + 4, 0x1234);
		b[at + 8] = 64;
		b[at + 9] = proto;
		memcpy(b + at + 12, s, 4);
		memcpy(b + at + 16, d, 4);
	}
	at += iph;
	put16(b, at, sp);
	put16(b, at + 2, dp);
	if (proto == 6) {
		put32(b, at + 4, seq);
		put32(b, at + 8, ack);
		b[at + 12] = 0x50;
		b[at + 13] = flags;
		put16(b, at + 14, 64240);
	} else {
		put16(b, at + 4, (uint16_t)(8 + n));
	}
	at += l4;
	if (n)
		memcpy(b + at, data, n);
	return at + n;
}

/* One frame through the pipeline; the caller's buffer is wiped after, as pl_run_source does.
 * Returns the frame's wire length. */
static uint32_t feed_frame(struct run *r, int linktype, uint64_t ts, size_t len)
{
	struct frame f = { .ts_us = ts, .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
			   .data = r->buf };

	pl_frame(r->pl, linktype, &f);
	memset(r->buf, 0, sizeof(r->buf));
	return f.wirelen;
}

static uint32_t pkt(struct run *r, uint64_t ts, const char *src, uint16_t sp, const char *dst,
		    uint16_t dp, uint8_t proto, uint8_t flags, uint32_t seq, uint32_t ack,
		    const void *data, size_t n)
{
	size_t len = build_ip(r->buf, 0, sizeof(r->buf), src, sp, dst, dp, proto, flags, seq, ack,
			      data, n);
	return feed_frame(r, LINK_RAW, ts, len);
}

static uint32_t udp(struct run *r, uint64_t ts, const char *src, uint16_t sp, const char *dst,
		    uint16_t dp, const void *data, size_t n)
{
	return pkt(r, ts, src, sp, dst, dp, 17, 0, 0, 0, data, n);
}

/* A TCP connection: client c:cp, server s:sp, next sequence numbers per side. */
struct conn {
	const char *c, *s;
	uint16_t cp, sp;
	uint32_t seq[2];                     /* [0] client, [1] server */
};

static uint32_t tcp(struct run *r, uint64_t ts, struct conn *k, int from_server, uint8_t flags,
		    const void *data, size_t n)
{
	uint32_t seq = k->seq[from_server], ack = k->seq[!from_server], len;

	if (from_server)
		len = pkt(r, ts, k->s, k->sp, k->c, k->cp, 6, flags, seq, ack, data, n);
	else
		len = pkt(r, ts, k->c, k->cp, k->s, k->sp, 6, flags, seq, ack, data, n);
	k->seq[from_server] += (uint32_t)n + ((flags & (TCPF_SYN | TCPF_FIN)) ? 1 : 0);
	return len;
}

static uint32_t tcp_str(struct run *r, uint64_t ts, struct conn *k, int from_server,
			const char *text)
{
	return tcp(r, ts, k, from_server, PA, text, strlen(text));
}

/* SYN, SYN-ACK, ACK at ts, ts+100, ts+200. Returns the client's bytes (SYN + ACK). */
static uint32_t handshake(struct run *r, uint64_t ts, struct conn *k)
{
	uint32_t n = tcp(r, ts, k, 0, SYN, NULL, 0);
	tcp(r, ts + 100, k, 1, SYN | ACK, NULL, 0);
	return n + tcp(r, ts + 200, k, 0, ACK, NULL, 0);
}

/* ---- reading the output ------------------------------------------------------------------ */

static const char *str_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("key '%s' is not a string", key);
	return json_string_value(v);
}

static long long int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("key '%s' is not an integer", key);
	return (long long)json_integer_value(v);
}

static bool has_selector(const json_t *rec, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(rec, "selectors"), i, v)
		if (!strcmp(json_string_value(v), id))
			return true;
	return false;
}

/* The one record whose client-side port (src or dst) is port. */
static json_t *rec_port(const struct run *r, long long port)
{
	json_t *found = NULL;

	for (size_t i = 0; i < r->nrec; i++)
		if (int_of(r->rec[i], "src_port") == port ||
		    int_of(r->rec[i], "dst_port") == port) {
			if (found)
				fail_msg("two records with port %lld", port);
			found = r->rec[i];
		}
	if (!found)
		fail_msg("no record with port %lld", port);
	return found;
}

static char *capture(const struct run *r, bool stats)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	if (stats)
		assert_int_equal(pl_write_stats(r->pl, f), 0);
	else
		pl_print_summary(r->pl, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static json_t *stats_json(const struct run *r)
{
	char *text = capture(r, true);
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fail_msg("stats are not JSON: %s", e.text);
	free(text);
	return j;
}

static json_t *selector_stats(json_t *st, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(st, "selectors"), i, v)
		if (!strcmp(str_of(v, "id"), id))
			return v;
	fail_msg("no selector '%s' in the stats", id);
	return NULL;
}

/* After pl_finish: the statistics agree with themselves and with the records, and neither
 * flow nor stream state is left (everything open was emitted, and the buffers released). */
static void check_stats(struct run *r)
{
	json_t *st = stats_json(r), *v;
	const char *k;
	long long errs = 0, dirs = 0, sdirs = 0, pk = 0, by = 0;

	json_object_foreach(json_object_get(st, "decode_errors"), k, v)
		errs += json_integer_value(v);
	json_object_foreach(json_object_get(st, "packets_by_direction"), k, v)
		dirs += json_integer_value(v);
	json_object_foreach(json_object_get(st, "selected_by_direction"), k, v)
		sdirs += json_integer_value(v);
	long long read = int_of(st, "packets_read");
	assert_int_equal(read, int_of(st, "packets_decoded") + errs);
	assert_int_equal(dirs, int_of(st, "packets_decoded"));
	assert_int_equal(int_of(st, "selected_packets") + int_of(st, "discarded_packets"), read);
	assert_int_equal(sdirs, int_of(st, "selected_packets"));
	assert_true(int_of(st, "eligible_packets") >= int_of(st, "selected_packets"));
	assert_int_equal(int_of(st, "records"), (long long)r->nrec);
	assert_int_equal(int_of(st, "selected_flows"), (long long)r->nrec);

	for (size_t i = 0; i < r->nrec; i++) {
		pk += int_of(r->rec[i], "packets");
		by += int_of(r->rec[i], "bytes");
	}
	assert_int_equal(pk, int_of(st, "selected_packets"));
	assert_int_equal(by, int_of(st, "selected_bytes"));

	/* per selector: its packets and flows are those of the records that name it */
	size_t i;
	json_array_foreach(json_object_get(st, "selectors"), i, v) {
		long long sp = 0, sf = 0;
		for (size_t j = 0; j < r->nrec; j++)
			if (has_selector(r->rec[j], str_of(v, "id"))) {
				sp += int_of(r->rec[j], "packets");
				sf++;
			}
		assert_int_equal(int_of(v, "packets"), sp);
		assert_int_equal(int_of(v, "flows"), sf);
	}
	json_decref(st);

	/* nothing reachable any more: no open flow, no stream, no buffered byte */
	assert_int_equal(flow_open(pl_flows(r->pl)), 0);
	assert_int_equal(pl_stats(r->pl)->meta.streams_open, 0);
	assert_int_equal(pl_stats(r->pl)->meta.buffer_bytes, 0);
}

static void assert_time(const char *s, uint64_t us);

/* ---- 1. 内内 and unknown directions are never selected --------------------------------- */

static void test_domestic_never(void **state)
{
	static const char text[] =
		"approval A1 channel=agreement " VALID "\n"
		"approval T1 channel=transit " VALID "\n"
		"approval S1 channel=specific " VALID
		" facility=133.1.0.0/16,2001:200::/32,10.0.0.0/8,8.8.8.0/24\n"
		"select a-ip approval=A1 ip=133.1.1.1\n"
		"select a-port approval=A1 port=tcp/80\n"
		"select a-dns approval=A1 port=udp/53\n"
		"select a-dom approval=A1 domain=www.example.jp\n"
		"select a-priv approval=A1 ip=10.0.0.0/8\n"
		"select t-ip approval=T1 ip=133.1.0.0/16\n"
		"select t-ip6 approval=T1 ip=2001:200::/32\n"
		"select t-dom approval=T1 domain=www.example.jp\n"
		"select t-priv approval=T1 ip=8.8.8.8\n"
		"select s-ip approval=S1 ip=133.1.2.2\n"
		"select s-port approval=S1 port=tcp/80\n"
		"select s-dom approval=S1 domain=.example.jp\n"
		"select s-priv approval=S1 ip=192.168.1.1\n";
	static const char get[] =
		"GET /index.html HTTP/1.1\r\nHost: www.example.jp\r\nUser-Agent: curl/7.88.1\r\n\r\n";
	struct run r;
	struct conn k = { DOM1, DOM2, 40000, 80, { 1000, 5000 } };
	struct conn k6 = { DOM6, "2001:200::80", 40001, 80, { 2000, 6000 } };
	struct conn kp = { "10.0.0.1", FOR_US, 40002, 80, { 3000, 7000 } };
	struct conn kq = { "192.168.1.1", DOM1, 40003, 80, { 4000, 8000 } };

	run_start(&r, text, 1, NULL);
	/* 内内: an HTTP exchange, a DNS query and answer, over IPv4 and IPv6 */
	handshake(&r, T0, &k);
	tcp_str(&r, T0 + 300, &k, 0, get);
	tcp_str(&r, T0 + 400, &k, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
	tcp(&r, T0 + 500, &k, 0, FA, NULL, 0);
	tcp(&r, T0 + 600, &k, 1, FA, NULL, 0);
	udp(&r, T0 + 700, DOM1, 53001, DOM2, 53, dns_query, sizeof(dns_query));
	udp(&r, T0 + 800, DOM2, 53, DOM1, 53001, dns_resp, sizeof(dns_resp));
	handshake(&r, T0 + 900, &k6);
	tcp_str(&r, T0 + 1200, &k6, 0, get);
	tcp(&r, T0 + 1300, &k6, 0, RST, NULL, 0);
	udp(&r, T0 + 1400, DOM6, 53002, "2001:200::53", 53, dns_query, sizeof(dns_query));
	/* unknown: a private end, with a foreign or a domestic one */
	handshake(&r, T0 + 1500, &kp);
	tcp_str(&r, T0 + 1800, &kp, 0, get);
	handshake(&r, T0 + 1900, &kq);
	tcp_str(&r, T0 + 2200, &kq, 0, get);
	udp(&r, T0 + 2300, FOR_US, 53, "10.0.0.1", 53003, dns_resp, sizeof(dns_resp));
	pl_finish(r.pl);

	const struct pl_stats *st = pl_stats(r.pl);
	assert_int_equal(r.nrec, 0);
	assert_int_equal(st->pk.decoded, 24);
	assert_int_equal(st->dir_packets[DIR_DD], 15);
	assert_int_equal(st->dir_packets[DIR_UNKNOWN], 9);
	assert_int_equal(st->eligible, 0);
	assert_int_equal(st->selected, 0);
	assert_int_equal(st->discarded, 24);
	for (int d = 0; d < DIR__COUNT; d++)
		assert_int_equal(st->dir_selected[d], 0);
	/* not eligible: not even handed to the extractors */
	assert_int_equal(st->meta.dns + st->meta.http + st->meta.tls + st->meta.smtp_cmds, 0);
	assert_int_equal(flow_counts(pl_flows(r.pl))->created, 0);
	check_stats(&r);
	run_end(&r);
}

/* ---- 2. each channel selects only its directions ----------------------------------------- */

static void test_transit_only_ff(void **state)
{
	static const char text[] =
		"approval T1 channel=transit " VALID "\n"
		"select t-us approval=T1 ip=8.8.8.8\n"
		"select t-v6 approval=T1 ip=2001:4860:4860::8888\n";
	static const uint8_t x[] = "ntp?";
	struct run r;
	uint32_t b;

	run_start(&r, text, 1, NULL);
	b = udp(&r, T0, FOR_AU, 5000, FOR_US, 123, x, 4);                  /* 外外 */
	udp(&r, T0 + 10, FOR_US, 123, DOM1, 5001, x, 4);                  /* 外内 */
	udp(&r, T0 + 20, DOM2, 5002, FOR_US, 123, x, 4);                  /* 内外 */
	udp(&r, T0 + 30, "10.0.0.1", 5003, FOR_US, 123, x, 4);            /* unknown */
	udp(&r, T0 + 40, DOM6, 5004, FOR6, 123, x, 4);                    /* 内外, IPv6 */
	udp(&r, T0 + 50, FOR_RU, 5005, FOR_AU, 123, x, 4);                /* 外外, no selector */
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 1);
	json_t *rec = r.rec[0];
	assert_string_equal(str_of(rec, "channel"), "transit");
	assert_string_equal(str_of(rec, "direction"), "foreign-foreign");
	assert_string_equal(str_of(rec, "src_ip"), FOR_AU);
	assert_string_equal(str_of(rec, "dst_ip"), FOR_US);
	assert_string_equal(str_of(rec, "src_cc"), "AU");
	assert_string_equal(str_of(rec, "dst_cc"), "US");
	assert_int_equal(int_of(rec, "dst_asn"), 15169);
	assert_int_equal(int_of(rec, "packets"), 1);
	assert_int_equal(int_of(rec, "bytes"), b);
	const struct pl_stats *st = pl_stats(r.pl);
	assert_int_equal(st->dir_selected[DIR_FF], 1);
	assert_int_equal(st->eligible, 2);                /* the two 外外 packets */
	check_stats(&r);
	run_end(&r);
}

static void test_agreement_only_fd(void **state)
{
	static const char text[] =
		"approval A1 channel=agreement " VALID "\n"
		"select a-ru approval=A1 ip=185.16.66.175\n";
	struct run r;
	struct conn k = { FOR_RU, DOM1, 44321, 22, { 100, 900 } };
	struct conn out = { DOM2, FOR_RU, 50000, 443, { 200, 800 } };
	uint32_t fd = 0;

	run_start(&r, text, 1, NULL);
	/* 外内 SSH-like session: every reply (内外) is not counted */
	fd += handshake(&r, T0, &k);
	fd += tcp_str(&r, T0 + 300, &k, 0, "SSH-2.0-OpenSSH_9.6\r\n");
	tcp_str(&r, T0 + 400, &k, 1, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
	fd += tcp(&r, T0 + 500, &k, 0, ACK, NULL, 0);
	tcp_str(&r, T0 + 600, &k, 1, "more from the server\r\n");
	/* 内外 opening to the same foreign address: not eligible under agreement */
	tcp(&r, T0 + 700, &out, 0, SYN, NULL, 0);
	/* 外外 through Japan to the same address: not eligible either */
	udp(&r, T0 + 800, FOR_US, 53, FOR_RU, 5353, dns_resp, sizeof(dns_resp));
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 1);
	json_t *rec = r.rec[0];
	assert_string_equal(str_of(rec, "channel"), "agreement");
	assert_string_equal(str_of(rec, "direction"), "foreign-domestic");
	assert_string_equal(str_of(rec, "src_ip"), FOR_RU);
	assert_int_equal(int_of(rec, "src_port"), 44321);
	assert_string_equal(str_of(rec, "dst_ip"), DOM1);
	assert_string_equal(str_of(rec, "src_cc"), "RU");
	assert_string_equal(str_of(rec, "dst_cc"), "JP");
	assert_int_equal(int_of(rec, "dst_asn"), 4730);
	assert_int_equal(int_of(rec, "packets"), 4);
	assert_int_equal(int_of(rec, "bytes"), fd);
	assert_time(str_of(rec, "ts_last"), T0 + 500);     /* the server's last word is not */
	const struct pl_stats *st = pl_stats(r.pl);
	assert_int_equal(st->selected, 4);
	assert_int_equal(st->dir_selected[DIR_FD], 4);
	assert_int_equal(st->dir_selected[DIR_DF], 0);
	assert_int_equal(st->discarded, 5);
	check_stats(&r);
	run_end(&r);
}

static void test_specific_facilities(void **state)
{
	static const char text[] =
		"approval S1 channel=specific " VALID " facility=185.16.66.175/32,2001:4860:4860::8888\n"
		"approval S2 channel=specific " VALID " facility=133.1.0.0/16\n"
		"select s-ntp approval=S1 port=udp/123\n"
		"select s-dom approval=S2 ip=8.8.8.8\n"
		"select s-dom2 approval=S2 port=udp/53\n";
	static const uint8_t x[] = "ntp?";
	struct run r;

	run_start(&r, text, 1, NULL);
	udp(&r, T0, FOR_RU, 123, DOM1, 40001, x, 4);          /* 外内 from the facility: yes */
	udp(&r, T0 + 10, DOM2, 40002, FOR_RU, 123, x, 4);     /* 内外 to the facility: yes */
	udp(&r, T0 + 20, DOM6, 40003, FOR6, 123, x, 4);       /* 内外 to the v6 facility: yes */
	udp(&r, T0 + 30, FOR_US, 123, DOM1, 40004, x, 4);     /* 外内, not a facility */
	udp(&r, T0 + 40, DOM1, 40005, FOR_AU, 123, x, 4);     /* 内外, not a facility */
	udp(&r, T0 + 50, FOR_US, 40006, FOR_RU, 123, x, 4);   /* 外外 with the facility */
	udp(&r, T0 + 60, DOM1, 40007, DOM2, 123, x, 4);       /* 内内 */
	/* S2 names a domestic facility: that side never makes traffic eligible */
	udp(&r, T0 + 70, FOR_US, 40008, DOM1, 53, dns_query, sizeof(dns_query));
	udp(&r, T0 + 80, DOM1, 53, FOR_US, 40008, dns_resp, sizeof(dns_resp));
	udp(&r, T0 + 90, DOM2, 40009, DOM1, 53, dns_query, sizeof(dns_query));
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 3);
	json_t *a = rec_port(&r, 40001), *b = rec_port(&r, 40002), *c = rec_port(&r, 40003);
	assert_string_equal(str_of(a, "direction"), direction_name(DIR_FD));
	assert_string_equal(str_of(a, "src_ip"), FOR_RU);
	assert_string_equal(str_of(b, "direction"), "domestic-foreign");
	assert_string_equal(str_of(b, "src_ip"), DOM2);
	assert_string_equal(str_of(b, "dst_ip"), FOR_RU);
	assert_string_equal(str_of(c, "src_ip"), DOM6);
	assert_string_equal(str_of(c, "dst_ip"), FOR6);
	assert_string_equal(str_of(c, "dst_cc"), "US");
	for (size_t i = 0; i < r.nrec; i++) {
		assert_true(has_selector(r.rec[i], "s-ntp"));
		assert_false(has_selector(r.rec[i], "s-dom"));
		assert_string_equal(str_of(r.rec[i], "channel"), "specific");
		json_t *ap = json_object_get(r.rec[i], "approvals");
		assert_int_equal(json_array_size(ap), 1);
		assert_string_equal(json_string_value(json_array_get(ap, 0)), "S1");
	}
	assert_int_equal(pl_stats(r.pl)->meta.dns, 0);   /* the S2 traffic never reached DNS */
	check_stats(&r);
	run_end(&r);
}

/* ---- 3. validity ------------------------------------------------------------------------- */

static void test_validity(void **state)
{
	static const char text[] =
		"approval V1 channel=transit from=2026-10-01T09:00:00+09:00 until=2026-10-02T00:00:00Z\n"
		"select v approval=V1 ip=8.8.8.8\n";
	const uint64_t until = T0 + 86400 * SEC;
	static const uint8_t x[] = "data";
	struct run r;
	struct conn k = { FOR_AU, FOR_US, 41000, 80, { 10, 20 } };

	run_start(&r, text, 1, NULL);
	udp(&r, T0 - 1, FOR_AU, 41001, FOR_US, 9, x, 4);          /* before from */
	udp(&r, T0, FOR_AU, 41002, FOR_US, 9, x, 4);              /* at from */
	udp(&r, until - 1, FOR_AU, 41003, FOR_US, 9, x, 4);       /* last microsecond */
	tcp(&r, until - 1, &k, 0, SYN, NULL, 0);                  /* selected ... */
	tcp(&r, until, &k, 1, SYN | ACK, NULL, 0);                /* ... its reply is too late */
	tcp(&r, until + 5, &k, 0, ACK, NULL, 0);
	udp(&r, until, FOR_AU, 41004, FOR_US, 9, x, 4);           /* at until */
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 3);
	rec_port(&r, 41002);
	rec_port(&r, 41003);
	assert_int_equal(int_of(rec_port(&r, 41000), "packets"), 1);
	assert_string_equal(str_of(rec_port(&r, 41003), "ts_first"), "2026-10-01T23:59:59.999999Z");
	json_t *st = stats_json(&r);
	assert_true(json_is_true(json_object_get(selector_stats(st, "v"), "active")));
	json_decref(st);
	check_stats(&r);
	run_end(&r);

	/* the whole input after the approval ended, then the whole input before it began */
	for (int before = 0; before < 2; before++) {
		uint64_t t = before ? T0 - 3600 * SEC : until + 3600 * SEC;
		run_start(&r, text, 1, NULL);
		udp(&r, t, FOR_AU, 42001, FOR_US, 9, x, 4);
		udp(&r, t + 1000, FOR_US, 9, FOR_AU, 42001, x, 4);
		pl_finish(r.pl);
		assert_int_equal(r.nrec, 0);
		assert_int_equal(pl_stats(r.pl)->eligible, 0);
		st = stats_json(&r);
		json_t *s = selector_stats(st, "v");
		assert_true(json_is_false(json_object_get(s, "active")));
		assert_int_equal(int_of(s, "packets"), 0);
		json_decref(st);
		check_stats(&r);
		run_end(&r);
	}
}

/* ---- 4. secrets never leave the sensor; identifiers are pseudonymized -------------------- */

static const char *const secrets[] = {
	"SECRET", "secret.local", "U0VDUkVU" /* base64 of "SECRET" */, "session=", "password",
	"Basic", "unsel", "UNSEL",
};

static const char http_post[] =
	"POST /login?user=SECRET-qv-user&next=SECRET-qv-next HTTP/1.1\r\n"
	"Host: portal.example.jp\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
	"Cookie: session=SECRET-cookie-0001\r\n"
	"Authorization: Basic U0VDUkVULWF1dGg6cGFzcw==\r\n"
	"Content-Type: application/x-www-form-urlencoded\r\n"
	"Content-Length: 34\r\n"
	"\r\n"
	"password=SECRET-body-pw&remember=1";

static const char *const smtp_client[] = {
	"EHLO mail.example.com\r\n",
	"MAIL FROM:<secret.local@example.jp> SIZE=2048\r\n",
	"RCPT TO:<SECRET-rcpt@example.jp>\r\n",
	"DATA\r\n",
	"From: <secret.local@example.jp>\r\nTo: <SECRET-rcpt@example.jp>\r\n"
	"Subject: SECRET-subject\r\nMIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
	"Content-Type: text/plain\r\n\r\nSECRET-body-text\r\n--b1\r\n",
	"Content-Type: application/pdf\r\n"
	"Content-Disposition: attachment; filename=\"SECRET-file.pdf\"\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\nU0VDUkVULWF0dGFjaG1lbnQ=\r\n--b1--\r\n.\r\n",
	"QUIT\r\n",
};

static const char *const smtp_server[] = {
	"250-mx.example.jp\r\n250 SIZE 10240000\r\n", "250 2.1.0 Ok\r\n", "250 2.1.5 Ok\r\n",
	"354 End data with <CR><LF>.<CR><LF>\r\n", "", "250 2.0.0 Ok: queued as SECRET-qid\r\n",
	"221 2.0.0 Bye\r\n",
};

static const char http_unsel[] =
	"GET /UNSEL-path?id=UNSEL-id HTTP/1.1\r\n"
	"Host: unsel.example.org\r\n"
	"User-Agent: UNSEL-agent/1.0\r\n"
	"Cookie: sid=UNSEL-cookie\r\n"
	"\r\n";

/* The secret-carrying traffic: an HTTP POST, an SMTP session and a TLS ClientHello, selected,
 * all 外内 under agreement; and an unselected HTTP request over IPv6. */
static void feed_secrets(struct run *r)
{
	struct conn web = { FOR_RU, DOM1, 51000, 80, { 1, 1001 } };
	struct conn mail = { FOR_US, DOM2, 52000, 25, { 2, 2002 } };
	struct conn tls = { FOR_AU, DOM1, 53000, 443, { 3, 3003 } };
	struct conn un = { FOR6, DOM6, 54000, 80, { 4, 4004 } };
	uint64_t t = T0 + 1000;

	handshake(r, t, &web);
	tcp_str(r, t + 300, &web, 0, http_post);
	tcp_str(r, t + 400, &web, 1, "HTTP/1.1 302 Found\r\nSet-Cookie: sid=SECRET-set\r\n\r\n");

	t += SEC;
	handshake(r, t, &mail);
	tcp_str(r, t + 300, &mail, 1, "220 mx.example.jp ESMTP\r\n");
	for (size_t i = 0; i < sizeof(smtp_client) / sizeof(smtp_client[0]); i++) {
		tcp_str(r, t + 400 + 200 * i, &mail, 0, smtp_client[i]);
		if (smtp_server[i][0])
			tcp_str(r, t + 500 + 200 * i, &mail, 1, smtp_server[i]);
	}
	tcp(r, t + 5000, &mail, 0, FA, NULL, 0);
	tcp(r, t + 5100, &mail, 1, FA, NULL, 0);

	t += SEC;
	handshake(r, t, &tls);
	tcp(r, t + 300, &tls, 0, PA, curl_hello, sizeof(curl_hello));

	t += SEC;
	handshake(r, t, &un);
	tcp_str(r, t + 300, &un, 0, http_unsel);
	tcp_str(r, t + 400, &un, 1, "HTTP/1.1 200 OK\r\nSet-Cookie: x=UNSEL-set\r\n\r\n");
	pl_finish(r->pl);
}

static const char secrets_text[] =
	"approval A1 channel=agreement " VALID "\n"
	"select web approval=A1 ip=185.16.66.175\n"
	"select mail approval=A1 port=tcp/25\n"
	"select tls approval=A1 ip=1.1.1.1\n";

static void assert_no_secret(const char *where, const char *text)
{
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(text, secrets[i]))
			fail_msg("'%s' in %s: %s", secrets[i], where, text);
}

static bool is_hex32_at(const char *s, const char *domain)
{
	if (strlen(s) != PSEUDO_HEXLEN + strlen(domain))
		return false;
	for (size_t i = 0; i < PSEUDO_HEXLEN; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return !strcmp(s + PSEUDO_HEXLEN, domain);
}

static void test_secrets(void **state)
{
	struct run r, same, other;
	char want[PSEUDO_HEXLEN + 1];

	run_start(&r, secrets_text, 0x11, NULL);
	feed_secrets(&r);
	assert_int_equal(r.nrec, 3);
	for (size_t i = 0; i < r.nrec; i++)
		assert_no_secret("a record", r.line[i]);
	char *stats = capture(&r, true), *summary = capture(&r, false);
	assert_no_secret("the stats", stats);
	assert_no_secret("the summary", summary);
	free(stats);
	free(summary);

	/* the unselected request was examined (it is eligible) but left only a count */
	assert_int_equal(pl_stats(r.pl)->meta.http, 2);

	json_t *web = rec_port(&r, 51000), *mail = rec_port(&r, 52000), *tls = rec_port(&r, 53000);
	json_t *h = json_array_get(json_object_get(web, "http"), 0);
	assert_int_equal(json_array_size(json_object_get(web, "http")), 1);
	assert_string_equal(str_of(h, "method"), "POST");
	assert_string_equal(str_of(h, "host"), "portal.example.jp");
	assert_non_null(strstr(str_of(h, "user_agent"), "Firefox/128.0"));
	assert_int_equal(strncmp(str_of(h, "uri"), "/login?user=", 12), 0);
	assert_non_null(strstr(str_of(h, "uri"), "&next="));

	json_t *s = json_object_get(mail, "smtp");
	assert_string_equal(str_of(s, "helo"), "mail.example.com");
	const char *from = str_of(s, "mail_from");
	assert_true(is_hex32_at(from, "@example.jp"));
	pseudo_hash(&r.key, "secret.local", 12, want);
	assert_int_equal(strncmp(from, want, PSEUDO_HEXLEN), 0);
	json_t *rcpt = json_object_get(s, "rcpt_to");
	assert_int_equal(json_array_size(rcpt), 1);
	assert_true(is_hex32_at(json_string_value(json_array_get(rcpt, 0)), "@example.jp"));
	assert_true(has_selector(mail, "mail"));
	assert_false(has_selector(mail, "web"));

	json_t *t = json_object_get(tls, "tls");
	assert_string_equal(str_of(t, "sni"), "tls.example.jp");
	assert_string_equal(str_of(t, "ja3"), CURL_JA3);

	/* the same key gives the same pseudonym; another key another one */
	run_start(&same, secrets_text, 0x11, NULL);
	feed_secrets(&same);
	run_start(&other, secrets_text, 0x22, NULL);
	feed_secrets(&other);
	const char *f2 = str_of(json_object_get(rec_port(&same, 52000), "smtp"), "mail_from");
	const char *f3 = str_of(json_object_get(rec_port(&other, 52000), "smtp"), "mail_from");
	assert_string_equal(from, f2);
	assert_true(is_hex32_at(f3, "@example.jp"));
	assert_string_not_equal(from, f3);
	for (size_t i = 0; i < other.nrec; i++)
		assert_no_secret("a record", other.line[i]);

	check_stats(&r);
	check_stats(&same);
	check_stats(&other);
	run_end(&other);
	run_end(&same);
	run_end(&r);
}

/* ---- 5. names select; records carry what flow.h documents -------------------------------- */

/* The keys of o appear in the record text in this order; then at most one of dns, tls,
 * http, smtp (one protocol per flow here), and no other key. */
static void assert_key_order(const char *line, const json_t *o, const char *const *keys,
			     size_t n)
{
	static const char *const opt[] = { "dns", "tls", "http", "smtp" };
	const char *prev = line;
	char pat[64];
	size_t extra = 0;

	for (size_t j = 0; j < 4; j++) {
		if (!json_object_get(o, opt[j]))
			continue;
		extra++;
		snprintf(pat, sizeof(pat), "\"%s\":", opt[j]);
		assert_true(strstr(line, pat) > strstr(line, "\"bytes\":"));
	}
	assert_true(extra <= 1);
	assert_int_equal(json_object_size(o), n + extra);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(json_object_get(o, keys[i]));
		snprintf(pat, sizeof(pat), "\"%s\":", keys[i]);
		const char *at = strstr(prev, pat);
		if (!at)
			fail_msg("key '%s' missing or out of order in %s", keys[i], line);
		prev = at + strlen(pat);
	}
}

static void assert_time(const char *s, uint64_t us)
{
	char want[FLOW_TIME_LEN];
	unsigned y, mo, d, h, mi, se, frac;
	char z;

	assert_int_equal(strlen(s), 27);
	assert_int_equal(sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u.%6u%c", &y, &mo, &d, &h, &mi, &se,
				&frac, &z), 8);
	assert_int_equal(z, 'Z');
	assert_string_equal(s, flow_format_time(us, want));
}

static void test_names_and_record_keys(void **state)
{
	static const char text[] =
		"approval A1 channel=agreement " VALID "\n"
		"approval S1 channel=specific " VALID " facility=185.16.66.175\n"
		"select n-dns approval=S1 domain=www.example.jp\n"
		"select n-tls approval=A1 domain=tls.example.jp\n"
		"select n-http approval=A1 domain=web.example.net\n"
		"select n-out approval=S1 ip=185.16.66.175\n";
	static const char *const keys[] = {
		"ts_first", "ts_last", "selectors", "approvals", "channel", "direction", "proto",
		"src_ip", "src_port", "dst_ip", "dst_port", "src_cc", "dst_cc", "src_asn", "dst_asn",
		"packets", "bytes",
	};
	static const char get[] =
		"GET /a/b.html HTTP/1.1\r\nHost: web.example.net\r\nUser-Agent: Wget/1.21.4\r\n"
		"Accept: */*\r\n\r\n";
	static const char get_other[] =
		"GET / HTTP/1.1\r\nHost: other.example.org\r\nUser-Agent: Wget/1.21.4\r\n\r\n";
	const size_t nk = sizeof(keys) / sizeof(keys[0]);
	struct run r;
	struct conn tls = { FOR_US, DOM1, 60001, 443, { 10, 20 } };
	struct conn web = { FOR_AU, DOM2, 60002, 80, { 30, 40 } };
	struct conn other = { FOR_AU, DOM2, 60003, 80, { 50, 60 } };
	struct conn out = { DOM2, FOR_RU, 60004, 80, { 70, 80 } };

	run_start(&r, text, 1, NULL);
	/* DNS under specific: the query and its answer (内外 from the facility's reply) */
	udp(&r, T0 + 1, FOR_RU, 33333, DOM1, 53, dns_query, sizeof(dns_query));
	udp(&r, T0 + 2002, DOM1, 53, FOR_RU, 33333, dns_resp, sizeof(dns_resp));
	/* TLS: selected by SNI at the ClientHello, so the record starts there */
	handshake(&r, T0 + 10 * SEC, &tls);
	tcp(&r, T0 + 10 * SEC + 300, &tls, 0, PA, curl_hello, sizeof(curl_hello));
	/* HTTP: selected by Host; another Host is not */
	handshake(&r, T0 + 20 * SEC, &web);
	tcp_str(&r, T0 + 20 * SEC + 300, &web, 0, get);
	handshake(&r, T0 + 21 * SEC, &other);
	tcp_str(&r, T0 + 21 * SEC + 300, &other, 0, get_other);
	/* a specific flow opened from the domestic side: src is the domestic sender */
	handshake(&r, T0 + 30 * SEC, &out);
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 4);
	for (size_t i = 0; i < r.nrec; i++) {
		assert_key_order(r.line[i], r.rec[i], keys, nk);
		assert_string_equal(str_of(r.rec[i], "proto"),
				    json_object_get(r.rec[i], "dns") ? "udp" : "tcp");
	}

	/* DNS */
	json_t *d = rec_port(&r, 33333);
	assert_true(has_selector(d, "n-dns"));
	assert_true(has_selector(d, "n-out"));
	assert_string_equal(str_of(d, "channel"), "specific");
	assert_string_equal(str_of(d, "src_ip"), FOR_RU);
	assert_int_equal(int_of(d, "packets"), 2);
	assert_time(str_of(d, "ts_first"), T0 + 1);
	assert_time(str_of(d, "ts_last"), T0 + 2002);
	assert_string_equal(str_of(d, "ts_first"), "2026-10-01T00:00:00.000001Z");
	json_t *dns = json_object_get(d, "dns");
	assert_int_equal(json_array_size(dns), 2);
	static const char *const dkeys[] = { "qname", "qtype", "rcode", "answers" };
	for (size_t i = 0; i < 2; i++) {
		json_t *m = json_array_get(dns, i);
		assert_int_equal(json_object_size(m), 4);
		for (size_t j = 0; j < 4; j++)
			assert_non_null(json_object_get(m, dkeys[j]));
		assert_string_equal(str_of(m, "qname"), "www.example.jp");
		assert_int_equal(int_of(m, "qtype"), 1);
		assert_int_equal(int_of(m, "rcode"), 0);
	}
	json_t *ans = json_object_get(json_array_get(dns, 1), "answers");
	assert_int_equal(json_array_size(json_object_get(json_array_get(dns, 0), "answers")), 0);
	assert_int_equal(json_array_size(ans), 2);
	assert_string_equal(json_string_value(json_array_get(ans, 0)), "cdn.example.jp");
	assert_string_equal(json_string_value(json_array_get(ans, 1)), "203.0.113.1");

	/* TLS */
	json_t *t = rec_port(&r, 60001);
	assert_true(has_selector(t, "n-tls"));
	assert_int_equal(json_array_size(json_object_get(t, "selectors")), 1);
	assert_string_equal(str_of(t, "channel"), "agreement");
	assert_int_equal(int_of(t, "packets"), 1);
	assert_time(str_of(t, "ts_first"), T0 + 10 * SEC + 300);
	json_t *tl = json_object_get(t, "tls");
	static const char *const tkeys[] = { "sni", "alpn", "version", "ja3", "ja4" };
	assert_int_equal(json_object_size(tl), 5);
	for (size_t j = 0; j < 5; j++)
		assert_non_null(json_object_get(tl, tkeys[j]));
	assert_string_equal(str_of(tl, "sni"), "tls.example.jp");
	assert_string_equal(str_of(tl, "alpn"), "h2,http/1.1");
	assert_string_equal(str_of(tl, "version"), "TLSv1.3");
	assert_string_equal(str_of(tl, "ja3"), CURL_JA3);
	assert_int_equal(strncmp(str_of(tl, "ja4"), "t13d", 4), 0);

	/* HTTP */
	json_t *w = rec_port(&r, 60002);
	assert_true(has_selector(w, "n-http"));
	json_t *hr = json_array_get(json_object_get(w, "http"), 0);
	static const char *const hkeys[] = { "method", "host", "uri", "user_agent" };
	assert_int_equal(json_object_size(hr), 4);
	for (size_t j = 0; j < 4; j++)
		assert_non_null(json_object_get(hr, hkeys[j]));
	assert_string_equal(str_of(hr, "method"), "GET");
	assert_string_equal(str_of(hr, "host"), "web.example.net");
	assert_string_equal(str_of(hr, "uri"), "/a/b.html");
	assert_string_equal(str_of(hr, "user_agent"), "Wget/1.21.4");

	/* opened from the domestic side under specific */
	json_t *o = rec_port(&r, 60004);
	assert_string_equal(str_of(o, "src_ip"), DOM2);
	assert_int_equal(int_of(o, "src_port"), 60004);
	assert_string_equal(str_of(o, "direction"), "domestic-foreign");
	assert_int_equal(int_of(o, "packets"), 3);
	assert_time(str_of(o, "ts_last"), T0 + 30 * SEC + 200);
	check_stats(&r);
	run_end(&r);
}

/* src is the sender of the first *eligible* packet: under agreement, a connection opened
 * from Japan is selected at the foreign side's reply, which becomes src. */
static void test_src_first_eligible(void **state)
{
	static const char text[] =
		"approval A1 channel=agreement " VALID "\n"
		"select a-ru approval=A1 ip=185.16.66.175\n";
	struct run r;
	struct conn k = { DOM1, FOR_RU, 45000, 80, { 7, 70 } };

	run_start(&r, text, 1, NULL);
	tcp(&r, T0, &k, 0, SYN, NULL, 0);                       /* 内外: not eligible */
	tcp(&r, T0 + 100, &k, 1, SYN | ACK, NULL, 0);           /* 外内: selected here */
	tcp(&r, T0 + 200, &k, 0, ACK, NULL, 0);
	tcp_str(&r, T0 + 300, &k, 1, "HTTP/1.1 200 OK\r\n\r\n");
	pl_finish(r.pl);

	assert_int_equal(r.nrec, 1);
	assert_string_equal(str_of(r.rec[0], "src_ip"), FOR_RU);
	assert_int_equal(int_of(r.rec[0], "src_port"), 80);
	assert_string_equal(str_of(r.rec[0], "dst_ip"), DOM1);
	assert_string_equal(str_of(r.rec[0], "direction"), "foreign-domestic");
	assert_int_equal(int_of(r.rec[0], "packets"), 2);
	assert_time(str_of(r.rec[0], "ts_first"), T0 + 100);
	check_stats(&r);
	run_end(&r);
}

/* ---- 6. how flows end -------------------------------------------------------------------- */

static const char ru_text[] =
	"approval A1 channel=agreement " VALID "\n"
	"select a-ru approval=A1 ip=185.16.66.175\n";

static void test_end_rst_fin(void **state)
{
	struct run r;
	struct conn a = { FOR_RU, DOM1, 46001, 80, { 1, 100 } };
	struct conn b = { FOR_RU, DOM1, 46002, 80, { 2, 200 } };
	struct conn c = { FOR_RU, DOM1, 46003, 80, { 3, 300 } };

	run_start(&r, ru_text, 1, NULL);
	/* RST from the client (eligible) */
	handshake(&r, T0, &a);
	assert_int_equal(r.nrec, 0);
	tcp(&r, T0 + 300, &a, 0, RST, NULL, 0);
	assert_int_equal(r.nrec, 1);
	assert_int_equal(int_of(r.rec[0], "src_port"), 46001);
	assert_int_equal(int_of(r.rec[0], "packets"), 3);

	/* RST from the server (内外, not eligible): noted, the flow still ends */
	handshake(&r, T0 + SEC, &b);
	tcp(&r, T0 + SEC + 300, &b, 1, RST, NULL, 0);
	assert_int_equal(r.nrec, 2);
	assert_int_equal(int_of(r.rec[1], "src_port"), 46002);
	assert_int_equal(int_of(r.rec[1], "packets"), 2);

	/* FIN from both sides, the second one not eligible */
	handshake(&r, T0 + 2 * SEC, &c);
	tcp_str(&r, T0 + 2 * SEC + 300, &c, 0, "GET / HTTP/1.0\r\n\r\n");
	tcp(&r, T0 + 2 * SEC + 400, &c, 0, FA, NULL, 0);
	tcp(&r, T0 + 2 * SEC + 500, &c, 1, ACK, NULL, 0);
	assert_int_equal(r.nrec, 2);
	tcp(&r, T0 + 2 * SEC + 600, &c, 1, FA, NULL, 0);
	assert_int_equal(r.nrec, 2);          /* ends with the ACK of the last FIN */
	tcp(&r, T0 + 2 * SEC + 700, &c, 0, ACK, NULL, 0);
	assert_int_equal(r.nrec, 3);
	assert_int_equal(int_of(r.rec[2], "src_port"), 46003);
	assert_int_equal(int_of(r.rec[2], "packets"), 5);
	assert_int_equal(flow_counts(pl_flows(r.pl))->created, 3);   /* the last ACK opened none */
	assert_int_equal(flow_counts(pl_flows(r.pl))->ended, 3);
	assert_int_equal(flow_open(pl_flows(r.pl)), 0);
	pl_finish(r.pl);
	assert_int_equal(r.nrec, 3);
	check_stats(&r);
	run_end(&r);
}

static void test_end_idle_and_input(void **state)
{
	const struct flow_limits lim = { .max_flows = 0, .idle_us = 10 * SEC };
	static const uint8_t x[] = "ping";
	struct run r;

	run_start(&r, ru_text, 1, &lim);
	udp(&r, T0, FOR_RU, 47001, DOM1, 9999, x, 4);                 /* A */
	udp(&r, T0 + 5 * SEC, FOR_RU, 47002, DOM1, 9999, x, 4);       /* B */
	udp(&r, T0 + 9 * SEC, FOR_US, 1, DOM1, 2, x, 4);              /* unrelated */
	assert_int_equal(r.nrec, 0);
	udp(&r, T0 + 10 * SEC, FOR_US, 1, DOM1, 2, x, 4);             /* exactly idle_us */
	assert_int_equal(r.nrec, 0);
	udp(&r, T0 + 10 * SEC + 1, FOR_US, 1, DOM1, 2, x, 4);         /* A is idle past it */
	assert_int_equal(r.nrec, 1);
	assert_int_equal(int_of(r.rec[0], "src_port"), 47001);
	udp(&r, T0 + 12 * SEC, FOR_RU, 47002, DOM1, 9999, x, 4);      /* B is refreshed */
	udp(&r, T0 + 20 * SEC, FOR_US, 1, DOM1, 2, x, 4);
	assert_int_equal(r.nrec, 1);
	udp(&r, T0 + 22 * SEC + 1, FOR_US, 1, DOM1, 2, x, 4);
	assert_int_equal(r.nrec, 2);
	assert_int_equal(int_of(r.rec[1], "src_port"), 47002);
	assert_int_equal(int_of(r.rec[1], "packets"), 2);
	assert_int_equal(flow_counts(pl_flows(r.pl))->timed_out, 2);

	/* still open at the end of input: emitted by pl_finish, not before */
	udp(&r, T0 + 23 * SEC, FOR_RU, 47003, DOM1, 9999, x, 4);
	assert_int_equal(r.nrec, 2);
	assert_int_equal(flow_open(pl_flows(r.pl)), 1);
	pl_finish(r.pl);
	assert_int_equal(r.nrec, 3);
	assert_int_equal(int_of(r.rec[2], "src_port"), 47003);
	check_stats(&r);
	run_end(&r);
}

static void test_end_eviction(void **state)
{
	const struct flow_limits lim = { .max_flows = 2, .idle_us = 0 };
	static const uint8_t x[] = "ping";
	struct run r;

	run_start(&r, ru_text, 1, &lim);
	udp(&r, T0, FOR_RU, 48001, DOM1, 9999, x, 4);
	udp(&r, T0 + 1, FOR_RU, 48002, DOM1, 9999, x, 4);
	udp(&r, T0 + 2, FOR_RU, 48001, DOM1, 9999, x, 4);      /* 48001 seen again */
	assert_int_equal(r.nrec, 0);
	udp(&r, T0 + 3, FOR_RU, 48003, DOM1, 9999, x, 4);      /* full: 48002 goes */
	assert_int_equal(r.nrec, 1);
	assert_int_equal(int_of(r.rec[0], "src_port"), 48002);
	assert_int_equal(flow_counts(pl_flows(r.pl))->evicted, 1);
	assert_int_equal(flow_open(pl_flows(r.pl)), 2);
	pl_finish(r.pl);
	assert_int_equal(r.nrec, 3);
	assert_int_equal(int_of(rec_port(&r, 48001), "packets"), 2);
	check_stats(&r);
	run_end(&r);
}

/* ---- 7. statistics with undecodable input, Ethernet frames and several channels ---------- */

/* Fingerprints are hashed only when something needs them (meta_tls_fingerprints): a set
 * with ja3=/ja4= conditions still selects a hello by them, also when it comes by reload, and
 * a flow selected without them (by address, before its hello) still records them. */
static void test_fingerprints_when_needed(void **state)
{
	struct tls_hello h;
	size_t need;
	char text[1024];
	struct run r;
	struct conn tls = { FOR_US, DOM1, 60001, 443, { 10, 20 } };
	struct conn byip = { FOR_AU, DOM2, 60002, 443, { 30, 40 } };

	(void)state;
	assert_int_equal(tls_parse_client_hello(curl_hello, sizeof(curl_hello), &h, &need), TLS_OK);
	assert_string_equal(h.ja3, CURL_JA3);
	snprintf(text, sizeof(text),
		 "approval A1 channel=agreement " VALID "\n"
		 "select by-ja3 approval=A1 ja3=%s\n"
		 "select by-ja4 approval=A1 ja4=%s\n"
		 "select other-ja3 approval=A1 ja3=00000000000000000000000000000000\n"
		 "select by-ip approval=A1 ip=" FOR_AU "\n", h.ja3, h.ja4);
	static const char ip_only[] = "approval A1 channel=agreement " VALID "\n"
				      "select by-ip approval=A1 ip=" FOR_AU "\n";
	/* mode 2: the address-only set, then the fingerprint set by reload; 1: the fingerprint
	 * set from the start; 0: only the address selector */
	for (int mode = 2; mode >= 0; mode--) {
		int with_fp = mode > 0;
		run_start(&r, mode == 1 ? text : ip_only, 1, NULL);
		if (mode == 2) {
			char err[256] = "";
			struct sel_set *next = sel_parse("pipe.conf", text, strlen(text), NULL, 0, err,
							 sizeof(err));
			assert_non_null(next);
			assert_int_equal(pl_reload(r.pl, next), 0);
			sel_set_free(r.sel);
			r.sel = next;
		}
		handshake(&r, T0, &tls);
		tcp(&r, T0 + 300, &tls, 0, PA, curl_hello, sizeof(curl_hello));
		handshake(&r, T0 + SEC, &byip);
		tcp(&r, T0 + SEC + 300, &byip, 0, PA, curl_hello, sizeof(curl_hello));
		pl_finish(r.pl);

		assert_int_equal(r.nrec, with_fp ? 2 : 1);
		if (with_fp) {
			json_t *t = rec_port(&r, 60001);
			assert_int_equal(json_array_size(json_object_get(t, "selectors")), 2);
			assert_true(has_selector(t, "by-ja3"));
			assert_true(has_selector(t, "by-ja4"));
			json_t *tl = json_object_get(t, "tls");
			assert_string_equal(str_of(tl, "ja3"), h.ja3);
			assert_string_equal(str_of(tl, "ja4"), h.ja4);
		}
		json_t *a = rec_port(&r, 60002);
		assert_true(has_selector(a, "by-ip"));
		assert_int_equal(has_selector(a, "by-ja3"), with_fp);
		assert_false(has_selector(a, "other-ja3"));
		json_t *al = json_object_get(a, "tls");
		assert_string_equal(str_of(al, "sni"), "tls.example.jp");
		assert_string_equal(str_of(al, "ja3"), h.ja3);
		assert_string_equal(str_of(al, "ja4"), h.ja4);
		run_end(&r);
	}
}

static void test_stats_mixed(void **state)
{
	static const char text[] =
		"approval A1 channel=agreement " VALID "\n"
		"approval T1 channel=transit " VALID "\n"
		"approval S1 channel=specific " VALID " facility=185.16.66.175\n"
		"select a-ru approval=A1 ip=185.16.66.175\n"
		"select a-web approval=A1 port=tcp/80\n"
		"select t-us approval=T1 ip=8.8.8.8\n"
		"select s-ru approval=S1 ip=185.16.66.175\n"
		"select never approval=A1 ip=192.0.2.1\n";
	static const uint8_t x[] = "ping";
	static const uint8_t arp[42] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1,
					 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6, 4, 0, 1 };
	struct run r;
	struct conn web = { FOR_RU, DOM1, 49001, 80, { 5, 50 } };
	struct conn web2 = { FOR_AU, DOM1, 49002, 80, { 6, 60 } };

	run_start(&r, text, 1, NULL);
	handshake(&r, T0, &web);                                   /* a-ru, a-web, s-ru */
	tcp_str(&r, T0 + 300, &web, 0, "GET / HTTP/1.1\r\nHost: x.example.jp\r\n\r\n");
	tcp_str(&r, T0 + 400, &web, 1, "HTTP/1.1 204 No Content\r\n\r\n");    /* s-ru only */
	handshake(&r, T0 + 1000, &web2);                           /* a-web */
	udp(&r, T0 + 2000, FOR_AU, 49003, FOR_US, 9, x, 4);        /* t-us */
	udp(&r, T0 + 3000, DOM1, 49004, DOM2, 80, x, 4);           /* 内内: discarded */
	/* undecodable: a truncated IPv4 header, and an ARP request over Ethernet */
	memset(r.buf, 0, sizeof(r.buf));
	r.buf[0] = 0x45;
	feed_frame(&r, LINK_RAW, T0 + 4000, 12);
	memcpy(r.buf, arp, sizeof(arp));
	feed_frame(&r, LINK_ETHERNET, T0 + 4100, sizeof(arp));
	/* a selected packet over Ethernet */
	memcpy(r.buf, arp, 12);
	put16(r.buf, 12, 0x0800);
	size_t len = build_ip(r.buf, 14, sizeof(r.buf), FOR_AU, 49005, FOR_US, 9, 17, 0, 0, 0,
			      x, 4);
	feed_frame(&r, LINK_ETHERNET, T0 + 4200, len);
	pl_finish(r.pl);

	json_t *st = stats_json(&r);
	assert_int_equal(int_of(st, "packets_read"), 13);
	assert_int_equal(int_of(st, "packets_decoded"), 11);
	json_t *errs = json_object_get(st, "decode_errors");
	assert_int_equal(int_of(errs, pkt_err_name(PKT_ERR_IP4_TRUNC)), 1);
	assert_int_equal(int_of(errs, pkt_err_name(PKT_ERR_NOT_IP)), 1);
	assert_int_equal(r.nrec, 4);
	assert_int_equal(int_of(rec_port(&r, 49001), "packets"), 5);
	assert_string_equal(str_of(rec_port(&r, 49001), "channel"), "mixed");
	assert_int_equal(int_of(selector_stats(st, "a-ru"), "packets"), 5);
	assert_int_equal(int_of(selector_stats(st, "s-ru"), "packets"), 5);
	assert_int_equal(int_of(selector_stats(st, "a-web"), "flows"), 2);
	assert_int_equal(int_of(selector_stats(st, "t-us"), "flows"), 2);
	assert_int_equal(int_of(selector_stats(st, "never"), "flows"), 0);
	assert_true(json_is_true(json_object_get(selector_stats(st, "never"), "active")));
	assert_int_equal(int_of(st, "selected_packets"), 9);
	assert_int_equal(int_of(st, "discarded_packets"), 4);
	json_decref(st);
	check_stats(&r);
	run_end(&r);
}

static int group_setup(void **state)
{
	char err[256] = "";

	geo = geo_open(NULL, err, sizeof(err));
	if (!geo) {
		fprintf(stderr, "test_pipeline: location database: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	geo_close(geo);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domestic_never),
		cmocka_unit_test(test_transit_only_ff),
		cmocka_unit_test(test_agreement_only_fd),
		cmocka_unit_test(test_specific_facilities),
		cmocka_unit_test(test_validity),
		cmocka_unit_test(test_secrets),
		cmocka_unit_test(test_names_and_record_keys),
		cmocka_unit_test(test_src_first_eligible),
		cmocka_unit_test(test_end_rst_fin),
		cmocka_unit_test(test_end_idle_and_input),
		cmocka_unit_test(test_end_eviction),
		cmocka_unit_test(test_fingerprints_when_needed),
		cmocka_unit_test(test_stats_mixed),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_flow.c — the selected-flow table's records, byte for byte.
 *
 * flow.c writes each record's JSON text itself (it used to build jansson values and dump
 * them). The oracle here is that former code: the same values built with jansson and
 * dumped with json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER). Flows are fed mechanical
 * information holding every kind of string the escaper must get right (quotes, backslashes,
 * control characters, DEL, multi-byte UTF-8, specials on both sides of an 8-byte boundary)
 * and every kind jansson refuses (bad lead bytes, overlong forms, surrogates, code points
 * past U+10FFFF, sequences cut short): a refused string is null as a value and absent as
 * an array element. Also: the time format against gmtime, the per-flow caps, a record of a
 * flow with no mechanical information, and the pair hash finding a flow from both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/addr.h"
#include "geo/geo.h"
#include "meta/meta.h"
#include "packet/decode.h"
#include "select/flow.h"
#include "select/rules.h"

#define VALID "from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z"
#define T0 1790812800000000ull /* 2026-10-01T00:00:00Z */

static const char *const strs[] = {
	"plain.example",
	"",
	"a\"quote\" and \\backslash\\",
	"ctl\x01\x02\x1f end",
	"\b\f\n\r\t",
	"del\x7f and slash /",
	"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
	"1234567\"89abcdef\\0123456\x1f",
	"12345678abcdefgh12345678\n",
	"long Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko)",
	"\xff bad lead",
	"overlong \xc0\x80",
	"overlong3 \xe0\x80\x80",
	"surrogate \xed\xa0\x80",
	"too big \xf4\x90\x80\x80",
	"cut \xe6\x97",
	"cut at end \xe6",
	"lone continuation \x80 byte",
	"ok then bad 12345678\xfe",
};
#define NSTR (sizeof(strs) / sizeof(strs[0]))

struct sink {
	char *line[64];
	size_t n;
};

static void on_line(void *ctx, const char *line, size_t len)
{
	struct sink *s = ctx;

	assert_true(s->n < 64);
	s->line[s->n++] = strndup(line, len);
}

static void sink_free(struct sink *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->line[i]);
	s->n = 0;
}

static struct sel_set *load_set(void)
{
	static const char text[] = "approval A1 channel=agreement " VALID "\n"
				   "approval T1 channel=transit " VALID "\n"
				   "select s-ip approval=A1 ip=198.51.100.7\n"
				   "select s-port approval=T1 port=tcp/80\n";
	char err[256] = "";
	struct sel_set *s = sel_parse("flow.conf", text, strlen(text), NULL, 0, err, sizeof(err));

	if (!s)
		fail_msg("selector text refused: %s", err);
	return s;
}

static struct pkt mkpkt(const char *src, uint16_t sp, const char *dst, uint16_t dp, uint8_t proto,
			uint64_t ts, uint32_t wirelen)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	assert_int_equal(addr_parse(&p.src, src), 0);
	assert_int_equal(addr_parse(&p.dst, dst), 0);
	p.ipver = addr_is_v4(&p.src) ? 4 : 6;
	p.proto = proto;
	p.has_l4 = true;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = TCPF_ACK;
	p.ts_us = ts;
	p.wirelen = wirelen;
	return p;
}

/* ---- the oracle: the record as the jansson code built it ---------------------------------- */

struct ref {
	json_t *dns, *tls, *http, *smtp;
	unsigned dropped;
};

static void set_new(json_t *obj, const char *key, json_t *v)
{
	json_object_set_new(obj, key, v ? v : json_null());
}

static void ref_dns(struct ref *r, const struct dns_msg *m)
{
	json_t *o = json_object(), *ans = json_array();
	char s[SK_ADDR_STRLEN];

	set_new(o, "qname", json_string(m->qname));
	set_new(o, "qtype", json_integer(m->qtype));
	set_new(o, "rcode", json_integer(m->rcode));
	for (unsigned i = 0; i < m->nanswers; i++) {
		const struct dns_answer *a = &m->ans[i];
		if (a->is_addr)
			json_array_append_new(ans, json_string(addr_format(&a->addr, s)));
		else if (a->name[0])
			json_array_append_new(ans, json_string(a->name));
	}
	set_new(o, "answers", ans);
	if (!r->dns)
		r->dns = json_array();
	if (json_array_size(r->dns) < FLOW_MAX_DNS)
		json_array_append_new(r->dns, o);
	else {
		json_decref(o);
		r->dropped++;
	}
}

static void ref_tls(struct ref *r, const struct tls_hello *h)
{
	json_t *o = json_object();
	char vbuf[8];

	if (r->tls)
		return;
	set_new(o, "sni", h->sni[0] ? json_string(h->sni) : json_null());
	set_new(o, "alpn", h->alpn[0] ? json_string(h->alpn) : json_null());
	set_new(o, "version", json_string(tls_version_name(h->max_version, vbuf)));
	set_new(o, "ja3", json_string(h->ja3));
	set_new(o, "ja4", json_string(h->ja4));
	r->tls = o;
}

static void ref_http(struct ref *r, const struct http_req *q)
{
	json_t *o = json_object();

	set_new(o, "method", json_string(q->method));
	set_new(o, "host", q->host[0] ? json_string(q->host) : json_null());
	set_new(o, "uri", json_string(q->uri));
	set_new(o, "user_agent", q->user_agent[0] ? json_string(q->user_agent) : json_null());
	if (!r->http)
		r->http = json_array();
	if (json_array_size(r->http) < FLOW_MAX_HTTP)
		json_array_append_new(r->http, o);
	else {
		json_decref(o);
		r->dropped++;
	}
}

static void ref_smtp(struct ref *r, const struct smtp_cmd *c)
{
	if (!r->smtp) {
		r->smtp = json_object();
		set_new(r->smtp, "helo", json_null());
		set_new(r->smtp, "mail_from", json_null());
		set_new(r->smtp, "rcpt_to", json_array());
	}
	if (c->kind == SMTP_HELO && json_is_null(json_object_get(r->smtp, "helo")))
		set_new(r->smtp, "helo", json_string(c->value));
	else if (c->kind == SMTP_MAIL_FROM && json_is_null(json_object_get(r->smtp, "mail_from")))
		set_new(r->smtp, "mail_from", json_string(c->value));
	else if (c->kind == SMTP_RCPT_TO) {
		json_t *a = json_object_get(r->smtp, "rcpt_to");
		if (json_array_size(a) < FLOW_MAX_RCPT)
			json_array_append_new(a, json_string(c->value));
		else
			r->dropped++;
	}
}

static char *ref_time(uint64_t us, char *buf)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, FLOW_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000));
	return buf;
}

/* The record line of a flow from p, with the values the test fed it. */
static char *ref_line(const struct sel_set *set, const uint32_t *sel, size_t nsel,
		      const struct pkt *p, const struct geo_info *gs, const struct geo_info *gd,
		      enum direction dir, uint64_t packets, uint64_t bytes, uint64_t ts_last,
		      struct ref *x)
{
	json_t *r = json_object(), *sels = json_array(), *apps = json_array();
	char t[FLOW_TIME_LEN], s[SK_ADDR_STRLEN];
	const char *channel = NULL;

	for (size_t i = 0; i < nsel; i++) {
		const struct sel_approval *a = sel_approval_of(set, sel[i]);
		bool seen = false;
		json_array_append_new(sels, json_string(sel_id(set, sel[i])));
		for (size_t j = 0; j < json_array_size(apps); j++)
			if (!strcmp(json_string_value(json_array_get(apps, j)), a->id))
				seen = true;
		if (!seen)
			json_array_append_new(apps, json_string(a->id));
		const char *c = a->channel == SEL_AGREEMENT ? "agreement" :
				a->channel == SEL_TRANSIT ? "transit" : "specific";
		channel = !channel ? c : strcmp(channel, c) ? "mixed" : channel;
	}
	set_new(r, "ts_first", json_string(ref_time(p->ts_us, t)));
	set_new(r, "ts_last", json_string(ref_time(ts_last, t)));
	set_new(r, "selectors", sels);
	set_new(r, "approvals", apps);
	set_new(r, "channel", json_string(channel));
	set_new(r, "direction", json_string(direction_name(dir)));
	set_new(r, "proto", json_string(p->proto == 6 ? "tcp" : "udp"));
	set_new(r, "src_ip", json_string(addr_format(&p->src, s)));
	set_new(r, "src_port", json_integer(p->sport));
	set_new(r, "dst_ip", json_string(addr_format(&p->dst, s)));
	set_new(r, "dst_port", json_integer(p->dport));
	set_new(r, "src_cc", gs->cc[0] ? json_string(gs->cc) : json_null());
	set_new(r, "dst_cc", gd->cc[0] ? json_string(gd->cc) : json_null());
	set_new(r, "src_asn", json_integer(gs->asn));
	set_new(r, "dst_asn", json_integer(gd->asn));
	set_new(r, "packets", json_integer((json_int_t)packets));
	set_new(r, "bytes", json_integer((json_int_t)bytes));
	if (x->dns)
		json_object_set(r, "dns", x->dns);
	if (x->tls)
		json_object_set(r, "tls", x->tls);
	if (x->http)
		json_object_set(r, "http", x->http);
	if (x->smtp)
		json_object_set(r, "smtp", x->smtp);
	char *line = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(r);
	json_decref(x->dns);
	json_decref(x->tls);
	json_decref(x->http);
	json_decref(x->smtp);
	return line;
}

/* Flush t: it must write exactly one line, want (from ref_line; freed here). */
static void flush_expect(struct flow_table *t, struct sink *s, char *want)
{
	assert_non_null(want);
	flow_flush(t);
	assert_int_equal(s->n, 1);
	assert_string_equal(s->line[0], want);
	free(want);
	sink_free(s);
}

/* ---- tests ------------------------------------------------------------------------------- */

static void feed(struct flow_table *t, struct flow *f, struct ref *x, enum meta_kind kind,
		 const void *what)
{
	struct meta_event ev = { .kind = kind };

	switch (kind) {
	case META_DNS: ev.u.dns = what; ref_dns(x, what); break;
	case META_TLS: ev.u.tls = what; ref_tls(x, what); break;
	case META_HTTP: ev.u.http = what; ref_http(x, what); break;
	case META_SMTP: ev.u.smtp = what; ref_smtp(x, what); break;
	}
	flow_meta(t, f, &ev);
}

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s);
}

/* Every string in every place a string goes; records equal the oracle's byte for byte. */
static void records_match_jansson(void **state)
{
	struct sel_set *set = load_set();
	struct sink sink = { 0 };
	struct flow_table *t = flow_table_new(set, NULL, on_line, &sink);
	struct geo_info gs = { "US", 15169, GEO_FOREIGN }, gd = { "JP", 2497, GEO_DOMESTIC };
	struct ref x;
	uint32_t sel[2] = { 0, 1 };
	static struct dns_msg dm;
	static struct tls_hello th;
	static struct http_req hr;
	static struct smtp_cmd sc;

	assert_non_null(t);
	for (size_t k = 0; k < NSTR; k++) {
		struct pkt p = mkpkt("198.51.100.7", 40000 + (uint16_t)k, "203.0.113.9", 80, 6,
				     T0 + k * 1000, 100);
		struct flow *f = flow_create(t, &p, &gs, &gd, DIR_FD, sel, 2);
		size_t o = (k + 3) % NSTR, q = (k + 7) % NSTR;

		assert_non_null(f);
		memset(&x, 0, sizeof(x));
		flow_packet(t, f, &p, true);

		memset(&dm, 0, sizeof(dm));
		copy(dm.qname, sizeof(dm.qname), strs[k]);
		dm.qtype = 28;
		dm.rcode = 3;
		dm.nanswers = 4;
		dm.ans[0].is_addr = true;
		addr_parse(&dm.ans[0].addr, "2001:db8::1");
		copy(dm.ans[1].name, sizeof(dm.ans[1].name), strs[o]);
		copy(dm.ans[2].name, sizeof(dm.ans[2].name), strs[q]);
		dm.ans[3].is_addr = true;
		addr_parse(&dm.ans[3].addr, "192.0.2.255");
		feed(t, f, &x, META_DNS, &dm);

		memset(&th, 0, sizeof(th));
		copy(th.sni, sizeof(th.sni), strs[k]);
		copy(th.alpn, sizeof(th.alpn), strs[o]);
		th.max_version = k & 1 ? 0x0304 : 0x7f1c;
		copy(th.ja3, sizeof(th.ja3), "e7d705a3286e19ea42f587b344ee6865");
		copy(th.ja4, sizeof(th.ja4), strs[q]);
		feed(t, f, &x, META_TLS, &th);

		memset(&hr, 0, sizeof(hr));
		copy(hr.method, sizeof(hr.method), k % 3 ? "GET" : strs[k]);
		copy(hr.host, sizeof(hr.host), strs[o]);
		copy(hr.uri, sizeof(hr.uri), strs[k]);
		copy(hr.user_agent, sizeof(hr.user_agent), strs[q]);
		feed(t, f, &x, META_HTTP, &hr);

		/* HELO: an invalid first value leaves null, so the second may take its place */
		memset(&sc, 0, sizeof(sc));
		sc.kind = SMTP_HELO;
		copy(sc.value, sizeof(sc.value), strs[k]);
		feed(t, f, &x, META_SMTP, &sc);
		copy(sc.value, sizeof(sc.value), strs[o]);
		feed(t, f, &x, META_SMTP, &sc);
		sc.kind = SMTP_MAIL_FROM;
		copy(sc.value, sizeof(sc.value), strs[q]);
		feed(t, f, &x, META_SMTP, &sc);
		sc.kind = SMTP_RCPT_TO;
		for (size_t r = 0; r < 3; r++) {
			copy(sc.value, sizeof(sc.value), strs[(k + r * 5) % NSTR]);
			feed(t, f, &x, META_SMTP, &sc);
		}

		flush_expect(t, &sink, ref_line(set, sel, 2, &p, &gs, &gd, DIR_FD, 1, 100, p.ts_us, &x));
	}
	assert_int_equal(flow_counts(t)->dropped_meta, 0);
	flow_table_free(t);
	sel_set_free(set);
}

/* The caps: 16 DNS messages, 16 HTTP requests, 16 RCPT TO; more are counted, not kept. A
 * flow with no mechanical information has none of the optional keys; IPv6 endpoints. */
static void caps_and_bare_records(void **state)
{
	struct sel_set *set = load_set();
	struct sink sink = { 0 };
	struct flow_table *t = flow_table_new(set, NULL, on_line, &sink);
	struct geo_info gs = { "", 0, GEO_UNKNOWN }, gd = { "DE", 3320, GEO_FOREIGN };
	struct pkt p = mkpkt("2001:db8::7", 5353, "2001:db8:ff::1", 53, 17, T0 + 123456789, 80);
	uint32_t sel[1] = { 1 };
	struct ref x;
	static struct dns_msg dm;
	static struct http_req hr;
	static struct smtp_cmd sc;

	memset(&x, 0, sizeof(x));
	struct flow *f = flow_create(t, &p, &gs, &gd, DIR_UNKNOWN, sel, 1);
	assert_non_null(f);
	for (int i = 0; i < 20; i++) {
		memset(&dm, 0, sizeof(dm));
		snprintf(dm.qname, sizeof(dm.qname), "n%d.example", i);
		dm.qtype = 1;
		feed(t, f, &x, META_DNS, &dm);
		memset(&hr, 0, sizeof(hr));
		copy(hr.method, sizeof(hr.method), "POST");
		snprintf(hr.uri, sizeof(hr.uri), "/p/%d", i);
		feed(t, f, &x, META_HTTP, &hr);
		sc.kind = SMTP_RCPT_TO;
		snprintf(sc.value, sizeof(sc.value), "h%d@example.org", i);
		feed(t, f, &x, META_SMTP, &sc);
	}
	assert_int_equal(x.dropped, 12);
	flush_expect(t, &sink, ref_line(set, sel, 1, &p, &gs, &gd, DIR_UNKNOWN, 0, 0, p.ts_us, &x));
	assert_int_equal(flow_counts(t)->dropped_meta, 12);

	/* bare: no dns/tls/http/smtp keys at all */
	memset(&x, 0, sizeof(x));
	f = flow_create(t, &p, &gs, &gd, DIR_UNKNOWN, sel, 1);
	char *want = ref_line(set, sel, 1, &p, &gs, &gd, DIR_UNKNOWN, 0, 0, p.ts_us, &x);
	flow_flush(t);
	assert_string_equal(sink.line[0], want);
	assert_null(strstr(sink.line[0], "\"dns\""));
	free(want);
	sink_free(&sink);
	flow_table_free(t);
	sel_set_free(set);
}

/* flow_format_time against gmtime_r + snprintf over many instants, leap days included. */
static void time_format(void **state)
{
	char a[FLOW_TIME_LEN], b[FLOW_TIME_LEN];
	uint64_t us = 0;

	for (int i = 0; i < 200000; i++) {
		assert_string_equal(flow_format_time(us, a), ref_time(us, b));
		us += 86399999937ull + (uint64_t)i * 7919;   /* about a day, drifting */
	}
	static const uint64_t edge[] = { 0, 951782400000000ull /* 2000-02-29 */,
					 4107542399999999ull /* 2100-02-28T23:59:59.999999 */,
					 4107542400000000ull, 253402300799999999ull /* 9999-12-31 */,
					 253402300800000000ull /* 10000-01-01: the slow path */ };
	for (size_t i = 0; i < sizeof(edge) / sizeof(edge[0]); i++)
		assert_string_equal(flow_format_time(edge[i], a), ref_time(edge[i], b));
}

/* A flow is found from a packet going either way, decoded or built by hand. */
static void found_both_ways(void **state)
{
	struct sel_set *set = load_set();
	struct sink sink = { 0 };
	struct flow_table *t = flow_table_new(set, NULL, on_line, &sink);
	struct geo_info g0 = { "", 0, GEO_UNKNOWN };
	struct pkt p = mkpkt("198.51.100.7", 40000, "203.0.113.9", 443, 6, T0, 60);
	struct pkt r = mkpkt("203.0.113.9", 443, "198.51.100.7", 40000, 6, T0 + 1, 60);
	struct pkt other = mkpkt("203.0.113.9", 443, "198.51.100.7", 40001, 6, T0 + 2, 60);
	uint32_t sel[1] = { 0 };

	struct flow *f = flow_create(t, &p, &g0, &g0, DIR_UNKNOWN, sel, 1);
	assert_ptr_equal(flow_find(t, &p), f);
	assert_ptr_equal(flow_find(t, &r), f);
	assert_null(flow_find(t, &other));
	/* the decoder's hash is the one a hand-built packet gets */
	r.pair_hash = pkt_pair_hash_compute(&r);
	r.pair_hashed = true;
	assert_ptr_equal(flow_find(t, &r), f);
	assert_int_equal(pkt_pair_hash(&p), pkt_pair_hash(&r));
	assert_true(pkt_pair_hash(&p) != pkt_pair_hash(&other));
	flow_table_free(t);
	sink_free(&sink);
	sel_set_free(set);
}

/* What the writer formats itself (numbers two digits at a time, times with the date of the
 * last day kept, IPv4 octets, addresses of every width, DNS answer addresses) against the
 * oracle: every digit count of ports, ASNs and byte counts, times jumping between days and
 * back and past 9999, and IPv6 forms that look almost like IPv4-mapped ones. */
static void numbers_times_addresses_match_jansson(void **state)
{
	static const char *const addrs[] = {
		"0.0.0.0", "255.255.255.255", "9.10.99.100", "100.99.10.9", "1.22.133.244",
		"::", "::1", "::ffff:0:0", "::1:ffff:102:304", "1::ffff:102:304", "::fffe:102:304",
		"2001:db8::ff:1", "fe80::1:2:3:4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	};
	static const uint32_t nums[] = {
		0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 65535, 99999, 100000, 999999, 1000000,
		9999999, 10000000, 99999999, 100000000, 999999999, 1000000000, 4294967295u,
	};
	static const uint64_t day = 86400000000ull;
	static const uint64_t times[][2] = {
		{ T0, T0 + 1 },
		{ T0 + day - 1, T0 + day },                           /* across midnight */
		{ T0 + 400 * day + 3723000001ull, T0 + 400 * day + 3723999999ull },
		{ T0, T0 + 45 * day + 59999999 },                     /* back, then ahead */
		{ 951782399999999ull, 951782400000000ull },           /* into 2000-02-29 */
		{ 4107542399999999ull, 4107542400000000ull },         /* 2100-02-28 -> 03-01 */
		{ 253402300799999999ull, 253402300800000000ull },     /* 9999 -> 10000 */
		{ 253402300800000000ull + 12345, 253402300800000000ull + 12345 },
		{ 0, 59999999 },
	};
	const size_t na = sizeof(addrs) / sizeof(addrs[0]), nn = sizeof(nums) / sizeof(nums[0]);
	const size_t nt = sizeof(times) / sizeof(times[0]);
	struct sel_set *set = load_set();
	struct sink sink = { 0 };
	struct flow_table *t = flow_table_new(set, NULL, on_line, &sink);
	static struct dns_msg dm;
	uint32_t sel[1] = { 0 };

	assert_non_null(t);
	for (size_t k = 0; k < 3 * nn; k++) {
		const char *src = addrs[k % na], *dst = addrs[(k * 7 + 3) % na];
		struct sk_addr probe;
		char srcbuf[SK_ADDR_STRLEN], dstbuf[SK_ADDR_STRLEN];
		struct ref x;

		/* both ends of one family: IPv4 with IPv4 */
		assert_int_equal(addr_parse(&probe, src), 0);
		if (addr_is_v4(&probe) != (strchr(dst, ':') == NULL))
			dst = addr_is_v4(&probe) ? addrs[k % 5] : addrs[5 + k % (na - 5)];
		snprintf(srcbuf, sizeof(srcbuf), "%s", src);
		snprintf(dstbuf, sizeof(dstbuf), "%s", dst);

		struct geo_info gs = { "", nums[k % nn], GEO_FOREIGN };
		struct geo_info gd = { "JP", nums[(k + 5) % nn], GEO_DOMESTIC };
		uint16_t sp = (uint16_t)nums[k % 10], dp = (uint16_t)nums[(k + 3) % 10];
		uint32_t w1 = nums[(k + 11) % nn], w2 = nums[(k * 3) % nn];
		const uint64_t *ts = times[k % nt];
		struct pkt p = mkpkt(srcbuf, sp, dstbuf, dp, k & 1 ? 17 : 6, ts[0], w1);
		struct pkt p2 = p;

		memset(&x, 0, sizeof(x));
		struct flow *f = flow_create(t, &p, &gs, &gd, DIR_FD, sel, 1);
		assert_non_null(f);
		flow_packet(t, f, &p, true);
		p2.ts_us = ts[1];
		p2.wirelen = w2;
		flow_packet(t, f, &p2, true);

		memset(&dm, 0, sizeof(dm));
		snprintf(dm.qname, sizeof(dm.qname), "q%zu.example", k);
		dm.qtype = (uint16_t)nums[k % 10];
		dm.rcode = (uint8_t)(k % 16);
		dm.nanswers = 3;
		for (int i = 0; i < 3; i++) {
			dm.ans[i].is_addr = true;
			assert_int_equal(addr_parse(&dm.ans[i].addr, addrs[(k + (size_t)i * 4) % na]), 0);
		}
		feed(t, f, &x, META_DNS, &dm);

		flush_expect(t, &sink, ref_line(set, sel, 1, &p, &gs, &gd, DIR_FD, 2, (uint64_t)w1 + w2,
						ts[1], &x));
	}
	flow_table_free(t);
	sel_set_free(set);
}

/* The escaper around every 8-byte boundary: each special kind at each place of strings of
 * 0 to 24 bytes, as a value (HTTP URI, null when refused) and as an array element (RCPT TO,
 * absent when refused). */
static void escaper_every_position(void **state)
{
	static const char *const specials[] = { "\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9",
						"\xe6\x97\xa5", "\xf0\x9f\x98\x80", "\xff", "\xe6\x97" };
	struct sel_set *set = load_set();
	struct sink sink = { 0 };
	struct flow_table *t = flow_table_new(set, NULL, on_line, &sink);
	struct geo_info g = { "US", 15169, GEO_FOREIGN };
	static struct http_req hr;
	static struct smtp_cmd sc;
	uint32_t sel[1] = { 0 };

	assert_non_null(t);
	for (size_t n = 0; n <= 24; n++) {
		for (size_t at = 0; at <= n; at++) {
			for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
				char str[64];
				struct ref x;
				struct pkt p = mkpkt("198.51.100.7", 40000, "203.0.113.9", 80, 6, T0, 60);

				memset(str, 'a' + (int)(n % 26), n);
				str[n] = '\0';
				if (at < n) {   /* at == n: the plain string */
					size_t sl = strlen(specials[k]);
					memcpy(str + at, specials[k], sl);
					str[at + sl > n ? at + sl : n] = '\0';
				}
				memset(&x, 0, sizeof(x));
				struct flow *f = flow_create(t, &p, &g, &g, DIR_FD, sel, 1);
				assert_non_null(f);
				memset(&hr, 0, sizeof(hr));
				copy(hr.method, sizeof(hr.method), "GET");
				copy(hr.uri, sizeof(hr.uri), str);
				feed(t, f, &x, META_HTTP, &hr);
				memset(&sc, 0, sizeof(sc));
				sc.kind = SMTP_RCPT_TO;
				copy(sc.value, sizeof(sc.value), str);
				feed(t, f, &x, META_SMTP, &sc);
				copy(sc.value, sizeof(sc.value), "b@example.org");
				feed(t, f, &x, META_SMTP, &sc);

				flush_expect(t, &sink, ref_line(set, sel, 1, &p, &g, &g, DIR_FD, 0, 0, T0, &x));
			}
		}
	}
	flow_table_free(t);
	sel_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(records_match_jansson),
		cmocka_unit_test(caps_and_bare_records),
		cmocka_unit_test(time_format),
		cmocka_unit_test(found_both_ways),
		cmocka_unit_test(numbers_times_addresses_match_jansson),
		cmocka_unit_test(escaper_every_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_meta.c — the extraction engine, fed packets built directly as struct pkt.
 *
 * Payloads are real protocol bytes: the ClientHello and the HTTP request were captured from
 * curl 7.88.1 (OpenSSL 3.0) connecting to a local listener; the DNS messages are the bytes of
 * a resolver query (with EDNS OPT) and of a response with a compressed CNAME chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/addr.h"
#include "common/pseudo.h"
#include "meta/meta.h"
#include "samples.h"

/* tests/samples.h: curl_hello, with SNI, ALPN and JA3 as below */
#define CURL_HELLO_META "tls.example.jp|h2,http/1.1|" CURL_JA3


/* curl 7.88.1: GET with identifiers in the query and a cookie (140 bytes) */
static const char curl_get[] =
	"GET /search?q=SECRET-qu3ry&lang=ja HTTP/1.1\r\n"
	"Host: www.example.jp:18080\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Cookie: sid=SECRET-c00k1e\r\n"
	"\r\n";

/* Query example.jp MX, RD */
static const uint8_t dns_query_mx[] = {
	0x7c, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0x02, 'j', 'p', 0x00,
	0x00, 0x0f, 0x00, 0x01,
};

/* ---- what the callback saw --------------------------------------------------------------- */

#define MAXEV 32

struct seen {
	int n;
	enum meta_kind kind[MAXEV];
	char val[MAXEV][2048];
};

static void on_event(void *ctx, const struct meta_event *ev)
{
	struct seen *s = ctx;
	char *v;

	assert_true(s->n < MAXEV);
	assert_non_null(ev->pkt);
	s->kind[s->n] = ev->kind;
	v = s->val[s->n];
	switch (ev->kind) {
	case META_DNS:
		snprintf(v, sizeof(s->val[0]), "%s %u %s", ev->u.dns->qname, ev->u.dns->qtype,
			 ev->u.dns->response ? "resp" : "query");
		break;
	case META_TLS: {
		/* the engine leaves the fingerprints to be asked for; asked, the stream it
		 * reassembled gives the same hello with them */
		struct tls_hello h;
		assert_string_equal(ev->u.tls->ja3, "");
		assert_string_equal(ev->u.tls->ja4, "");
		assert_int_equal(meta_tls_fingerprints(ev, &h), 0);
		assert_string_equal(h.sni, ev->u.tls->sni);
		assert_string_equal(h.alpn, ev->u.tls->alpn);
		assert_int_equal(h.max_version, ev->u.tls->max_version);
		assert_int_equal(strlen(h.ja4), 36);
		snprintf(v, sizeof(s->val[0]), "%s|%s|%s", ev->u.tls->sni, ev->u.tls->alpn, h.ja3);
		break;
	}
	case META_HTTP:
		snprintf(v, sizeof(s->val[0]), "%s|%s|%s|%s", ev->u.http->method, ev->u.http->host,
			 ev->u.http->uri, ev->u.http->user_agent);
		break;
	case META_SMTP:
		snprintf(v, sizeof(s->val[0]), "%d|%s", (int)ev->u.smtp->kind, ev->u.smtp->value);
		break;
	}
	/* Rule 1 and 2: no planted secret ever reaches a callback value. */
	assert_null(strstr(v, "SECRET"));
	s->n++;
}

/* ---- packets ----------------------------------------------------------------------------- */

#define T0 1790812800000000ull /* 2026-10-01T00:00:00Z */

static struct pkt mk(uint64_t ts, const char *src, uint16_t sp, const char *dst, uint16_t dp,
		     uint8_t proto, uint8_t flags, uint32_t seq, const void *data, size_t n)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	p.ts_us = ts;
	p.ipver = strchr(src, ':') ? 6 : 4;
	p.proto = proto;
	assert_int_equal(addr_parse(&p.src, src), 0);
	assert_int_equal(addr_parse(&p.dst, dst), 0);
	p.has_l4 = true;
	p.sport = sp;
	p.dport = dp;
	p.tcp_flags = flags;
	p.seq = seq;
	p.payload = data;
	p.payload_len = (uint32_t)n;
	p.caplen = p.wirelen = (uint32_t)(n + 54);
	return p;
}

static struct pseudo key;
static struct seen seen;

static struct meta_engine *engine(const struct meta_limits *lim)
{
	uint8_t k[PSEUDO_KEYLEN] = { 7 };
	struct meta_engine *m;

	pseudo_init(&key, k);
	memset(&seen, 0, sizeof(seen));
	m = meta_new(lim, &key, on_event, &seen);
	assert_non_null(m);
	return m;
}

static void feed(struct meta_engine *m, struct pkt p)
{
	meta_packet(m, &p);
}

#define C "198.51.100.7"
#define S "203.0.113.10"
#define A (TCPF_ACK)
#define PA (TCPF_PSH | TCPF_ACK)

/* Three-way handshake: client ISN cisn, server ISN sisn. */
static void handshake(struct meta_engine *m, uint64_t ts, const char *c, uint16_t cp, const char *s,
		      uint16_t sp, uint32_t cisn, uint32_t sisn)
{
	feed(m, mk(ts, c, cp, s, sp, 6, TCPF_SYN, cisn, NULL, 0));
	feed(m, mk(ts + 1000, s, sp, c, cp, 6, TCPF_SYN | TCPF_ACK, sisn, NULL, 0));
	feed(m, mk(ts + 2000, c, cp, s, sp, 6, A, cisn + 1, NULL, 0));
}

/* ---- tests ------------------------------------------------------------------------------- */

static void test_dns_udp(void **state)
{
	struct meta_engine *m = engine(NULL);
	const uint8_t junk[] = { 0x12, 0x34, 0x01 };

	feed(m, mk(T0, C, 53001, "192.0.2.53", 53, 17, 0, 0, dns_query, sizeof(dns_query)));
	feed(m, mk(T0 + 10, "192.0.2.53", 53, C, 53001, 17, 0, 0, dns_resp, sizeof(dns_resp)));
	feed(m, mk(T0 + 20, C, 53002, "192.0.2.53", 53, 17, 0, 0, junk, sizeof(junk)));
	feed(m, mk(T0 + 30, C, 40000, "192.0.2.99", 9999, 17, 0, 0, dns_query, sizeof(dns_query)));
	struct pkt frag = mk(T0 + 40, C, 53003, "192.0.2.53", 53, 17, 0, 0, dns_query, 20);
	frag.frag = frag.frag_first = frag.frag_more = true;
	feed(m, frag);

	const struct meta_counts *c = meta_counts(m);
	assert_int_equal(c->dns, 2);
	assert_int_equal(c->dns_err, 1);
	assert_int_equal(c->fragments, 1);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.kind[0], META_DNS);
	assert_string_equal(seen.val[0], "www.example.jp 1 query");
	assert_string_equal(seen.val[1], "www.example.jp 1 resp");
	assert_int_equal(c->streams, 0);
	meta_free(m);
}

/* Events of the response: check the answers themselves once. */
static void on_dns_answers(void *ctx, const struct meta_event *ev)
{
	int *ok = ctx;
	const struct dns_msg *d = ev->u.dns;

	if (ev->kind != META_DNS || !d->response)
		return;
	assert_int_equal(d->id, 0x1a2b + *ok * 0x100);   /* ids 0x1a2b, 0x1b2b, … in order */
	assert_int_equal(d->nanswers, 2);
	assert_int_equal(d->ans[0].type, 5);
	assert_string_equal(d->ans[0].name, "cdn.example.jp");
	assert_int_equal(d->ans[1].type, 1);
	assert_true(d->ans[1].is_addr);
	assert_int_equal(addr_v4(&d->ans[1].addr), 0xcb007101);
	(*ok)++;
}

static void test_dns_tcp(void **state)
{
	uint8_t k[PSEUDO_KEYLEN] = { 0 };
	uint8_t two[2 + sizeof(dns_query) + 2 + sizeof(dns_query_mx)], resp[2 * (2 + sizeof(dns_resp))];
	const size_t r1 = 2 + sizeof(dns_resp);
	const char *sv = "192.0.2.53";
	int ok = 0;
	size_t o = 0;

	pseudo_init(&key, k);
	struct meta_engine *m = meta_new(NULL, &key, on_dns_answers, &ok);
	assert_non_null(m);

	/* two queries pipelined in one segment */
	two[o++] = 0, two[o++] = sizeof(dns_query);
	memcpy(two + o, dns_query, sizeof(dns_query)), o += sizeof(dns_query);
	two[o++] = 0, two[o++] = sizeof(dns_query_mx);
	memcpy(two + o, dns_query_mx, sizeof(dns_query_mx)), o += sizeof(dns_query_mx);
	/* two responses back to back */
	for (int i = 0; i < 2; i++) {
		resp[i * r1] = 0, resp[i * r1 + 1] = sizeof(dns_resp);
		memcpy(resp + i * r1 + 2, dns_resp, sizeof(dns_resp));
		resp[i * r1 + 2] = (uint8_t)(0x1a + i);
	}

	handshake(m, T0, C, 41000, sv, 53, 5000, 9000);
	feed(m, mk(T0 + 3000, C, 41000, sv, 53, 6, PA, 5001, two, o));
	assert_int_equal(meta_counts(m)->dns, 2);

	/* split after 1 byte of the prefix, then in the middle of the message */
	feed(m, mk(T0 + 4000, sv, 53, C, 41000, 6, PA, 9001, resp, 1));
	assert_int_equal(meta_buffered(m), 1);
	feed(m, mk(T0 + 5000, sv, 53, C, 41000, 6, PA, 9002, resp + 1, 30));
	assert_int_equal(meta_counts(m)->dns, 2);
	assert_int_equal(meta_buffered(m), 31);
	/* a retransmission of the second piece changes nothing */
	feed(m, mk(T0 + 5500, sv, 53, C, 41000, 6, PA, 9002, resp + 1, 30));
	/* the rest of the first response and 5 bytes of the second */
	feed(m, mk(T0 + 6000, sv, 53, C, 41000, 6, PA, 9032, resp + 31, r1 - 31 + 5));
	assert_int_equal(meta_counts(m)->dns, 3);
	assert_int_equal(ok, 1);
	assert_int_equal(meta_buffered(m), 5);
	feed(m, mk(T0 + 7000, sv, 53, C, 41000, 6, PA, 9001 + (uint32_t)r1 + 5, resp + r1 + 5, r1 - 5));
	assert_int_equal(meta_counts(m)->dns, 4);
	assert_int_equal(meta_counts(m)->dns_err, 0);
	assert_int_equal(ok, 2);
	assert_int_equal(meta_buffered(m), 0);
	meta_free(m);
}

static void test_tls_split_retrans_ooo(void **state)
{
	struct meta_engine *m = engine(NULL);
	const uint8_t *h = curl_hello;
	const uint32_t isn = 1000;

	assert_int_equal(sizeof(curl_hello), 517);
	handshake(m, T0, C, 50000, S, 443, isn, 77000);
	/* split inside the cipher suites and inside the extensions (padding starts at 338) */
	feed(m, mk(T0 + 3000, C, 50000, S, 443, 6, PA, isn + 1, h, 100));
	assert_int_equal(meta_buffered(m), 100);
	/* segment 3 before segment 2: out of order, counted, not kept */
	feed(m, mk(T0 + 4000, C, 50000, S, 443, 6, PA, isn + 251, h + 250, 267));
	assert_int_equal(meta_counts(m)->out_of_order, 1);
	assert_int_equal(meta_buffered(m), 100);
	feed(m, mk(T0 + 5000, C, 50000, S, 443, 6, PA, isn + 101, h + 100, 150));
	/* segment 2 again: a retransmission, all of it seen */
	feed(m, mk(T0 + 6000, C, 50000, S, 443, 6, PA, isn + 101, h + 100, 150));
	assert_int_equal(meta_buffered(m), 250);
	assert_int_equal(seen.n, 0);
	/* the sender retransmits from byte 200: 50 bytes overlap, 267 new */
	feed(m, mk(T0 + 7000, C, 50000, S, 443, 6, PA, isn + 201, h + 200, 317));

	const struct meta_counts *c = meta_counts(m);
	assert_int_equal(c->tls, 1);
	assert_int_equal(c->tls_err, 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.kind[0], META_TLS);
	assert_string_equal(seen.val[0], CURL_HELLO_META);
	/* decided: the buffer is gone, the stream stays until it ends */
	assert_int_equal(meta_buffered(m), 0);
	assert_int_equal(c->streams_open, 1);
	feed(m, mk(T0 + 8000, S, 443, C, 50000, 6, PA, 77001, "\x16\x03\x03\x00\x01\x02", 6));
	feed(m, mk(T0 + 9000, C, 50000, S, 443, 6, PA, isn + 518, "\x17\x03\x03\x00\x01\x00", 6));
	feed(m, mk(T0 + 10000, C, 50000, S, 443, 6, TCPF_FIN | A, isn + 524, NULL, 0));
	assert_int_equal(c->streams_open, 1);
	feed(m, mk(T0 + 11000, S, 443, C, 50000, 6, TCPF_FIN | A, 77007, NULL, 0));
	assert_int_equal(c->streams_open, 0);
	assert_int_equal(c->tls, 1);
	assert_int_equal(c->out_of_order, 1);
	meta_free(m);
}

/* Capture began mid-connection: no SYN; the lower port is the server, server bytes first. */
static void test_tls_midstream(void **state)
{
	struct meta_engine *m = engine(NULL);

	feed(m, mk(T0, S, 443, C, 51000, 6, PA, 123456, "\x16\x03\x03\x00\x02\x0e\x00", 7));
	feed(m, mk(T0 + 10, C, 51000, S, 443, 6, PA, 99, curl_hello, sizeof(curl_hello)));
	assert_int_equal(meta_counts(m)->tls, 1);
	assert_int_equal(meta_counts(m)->streams, 1);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.val[0], CURL_HELLO_META);
	/* stray ACKs of unknown connections start nothing */
	feed(m, mk(T0 + 20, C, 52000, S, 443, 6, A, 5, NULL, 0));
	assert_int_equal(meta_counts(m)->streams, 1);
	meta_free(m);
}

static void test_http_split_keepalive(void **state)
{
	struct meta_engine *m = engine(NULL);
	const char *get2 = "GET /favicon.ico HTTP/1.1\r\nHost: WWW.Example.JP\r\n"
			   "User-Agent: Mozilla/5.0\r\nAuthorization: Basic U0VDUkVULXB3\r\n\r\n";
	const char *post = "POST /login HTTP/1.1\r\nHost: www.example.jp\r\n"
			   "Content-Length: 23\r\n\r\n";
	const char *body = "user=SECRET-b0dy&x=GET ";
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	uint32_t seq = 3001, n1 = 60, n = (uint32_t)strlen(curl_get);

	assert_int_equal(n, 140);
	handshake(m, T0, C, 52000, S, 80, 3000, 8000);
	feed(m, mk(T0 + 3000, C, 52000, S, 80, 6, A, seq, curl_get, n1));
	assert_int_equal(seen.n, 0);
	assert_int_equal(meta_buffered(m), n1);
	feed(m, mk(T0 + 4000, C, 52000, S, 80, 6, PA, seq + n1, curl_get + n1, n - n1));
	seq += n;
	assert_int_equal(seen.n, 1);
	assert_int_equal(meta_buffered(m), 0);

	char want[256];
	char q[PSEUDO_HEXLEN + 1], l[PSEUDO_HEXLEN + 1];
	pseudo_hash(&key, "SECRET-qu3ry", 12, q);
	pseudo_hash(&key, "ja", 2, l);
	snprintf(want, sizeof(want), "GET|www.example.jp:18080|/search?q=%s&lang=%s|curl/7.88.1", q, l);
	assert_string_equal(seen.val[0], want);

	/* the response is not examined; the next request on the connection is (keep-alive) */
	feed(m, mk(T0 + 5000, S, 80, C, 52000, 6, PA, 8001, resp, strlen(resp)));
	feed(m, mk(T0 + 6000, C, 52000, S, 80, 6, PA, seq, get2, strlen(get2)));
	seq += (uint32_t)strlen(get2);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.val[1], "GET|www.example.jp|/favicon.ico|Mozilla/5.0");

	/* a POST whose header block is split, then its body: the body is never parsed */
	feed(m, mk(T0 + 7000, C, 52000, S, 80, 6, PA, seq, post, 10));
	feed(m, mk(T0 + 8000, C, 52000, S, 80, 6, PA, seq + 10, post + 10, strlen(post) - 10));
	seq += (uint32_t)strlen(post);
	feed(m, mk(T0 + 9000, C, 52000, S, 80, 6, PA, seq, body, strlen(body)));
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.val[2], "POST|www.example.jp|/login|");
	assert_int_equal(meta_counts(m)->http, 3);
	assert_int_equal(meta_counts(m)->http_err, 0);

	/* nothing of the requests stays in the engine once they are decided */
	assert_int_equal(meta_buffered(m), 0);
	assert_false(meta_contains(m, "SECRET", 6));
	assert_false(meta_contains(m, "U0VDUkVULXB3", 12));
	meta_free(m);
}

static void test_smtp_session(void **state)
{
	struct meta_engine *m = engine(NULL);
	const char *cli[] = {
		"EHLO Mail.Example.COM\r\n",
		"MAIL FROM:<taro.SECRET-l0cal@example.com> SI",
		"ZE=1234\r\n",
		"RCPT TO:<hanako.SECRET-rcpt1@Example.JP>\r\nRCPT TO:<jiro@example.jp>\r\n",
		"DATA\r\n",
		"Subject: SECRET-subj\r\nFrom: taro\r\n\r\nHello SECRET-b0dy\r\n\r\n",
		"Content-Type: application/octet-stream\r\n\r\nU0VDUkVULWF0dDRjaA==\r\n.",
		"\r\nQUIT\r\n",
	};
	const char *secrets[] = { "SECRET-l0cal", "SECRET-rcpt1", "SECRET-subj", "SECRET-b0dy",
				  "U0VDUkVULWF0dDRjaA==" };
	const char *sv = "203.0.113.25";
	uint32_t seq = 20001;

	handshake(m, T0, C, 40000, sv, 25, 20000, 60000);
	feed(m, mk(T0 + 3000, sv, 25, C, 40000, 6, PA, 60001, "220 mx ESMTP\r\n", 14));
	for (size_t i = 0; i < sizeof(cli) / sizeof(cli[0]); i++) {
		size_t n = strlen(cli[i]);

		feed(m, mk(T0 + 4000 + i * 1000, C, 40000, sv, 25, 6, PA, seq, cli[i], n));
		seq += (uint32_t)n;
		if (i == 1) /* the envelope line is incomplete: held, as a partial line */
			assert_true(meta_contains(m, "SECRET-l0cal", 12));
		if (i == 2) /* complete: wiped */
			assert_false(meta_contains(m, "SECRET-l0cal", 12));
		/* message content is never held, not even in part */
		for (size_t k = 2; k < sizeof(secrets) / sizeof(secrets[0]); k++)
			assert_false(meta_contains(m, secrets[k], strlen(secrets[k])));
	}

	const struct meta_counts *c = meta_counts(m);
	assert_int_equal(c->smtp_sessions, 1);
	assert_int_equal(c->smtp_cmds, 4);
	assert_int_equal(seen.n, 4);

	char h1[PSEUDO_HEXLEN + 1], h2[PSEUDO_HEXLEN + 1], h3[PSEUDO_HEXLEN + 1], want[128];
	pseudo_hash(&key, "taro.SECRET-l0cal", 17, h1);
	pseudo_hash(&key, "hanako.SECRET-rcpt1", 19, h2);
	pseudo_hash(&key, "jiro", 4, h3);
	assert_string_equal(seen.val[0], "1|mail.example.com");
	snprintf(want, sizeof(want), "2|%s@example.com", h1);
	assert_string_equal(seen.val[1], want);
	snprintf(want, sizeof(want), "3|%s@example.jp", h2);
	assert_string_equal(seen.val[2], want);
	snprintf(want, sizeof(want), "3|%s@example.jp", h3);
	assert_string_equal(seen.val[3], want);

	meta_flush(m);
	assert_int_equal(c->streams_open, 0);
	assert_int_equal(meta_buffered(m), 0);
	for (size_t k = 0; k < sizeof(secrets) / sizeof(secrets[0]); k++)
		assert_false(meta_contains(m, secrets[k], strlen(secrets[k])));
	meta_free(m);
}

/* A stream whose client opens with EHLO on an unusual port is SMTP too; a partial line that
 * is still held when the input ends is wiped by meta_flush. */
static void test_smtp_by_helo_and_flush(void **state)
{
	struct meta_engine *m = engine(NULL);

	feed(m, mk(T0, C, 40001, S, 10025, 6, PA, 1, "HELO relay.example.jp\r\nMAIL FROM:<SECRET-x", 42));
	assert_int_equal(meta_counts(m)->smtp_sessions, 1);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.val[0], "1|relay.example.jp");
	assert_true(meta_buffered(m) > 0);
	assert_true(meta_contains(m, "SECRET-x", 8));
	meta_flush(m);
	assert_int_equal(meta_buffered(m), 0);
	assert_false(meta_contains(m, "SECRET-x", 8));
	meta_free(m);
}

static void test_stream_cap(void **state)
{
	struct meta_limits lim = { .stream_bytes = 256 };
	struct meta_engine *m = engine(&lim);
	char big[400];

	/* a 517-byte ClientHello cannot fit 256 bytes: overflow, no event, nothing held */
	handshake(m, T0, C, 50001, S, 443, 100, 200);
	feed(m, mk(T0 + 3000, C, 50001, S, 443, 6, PA, 101, curl_hello, 200));
	feed(m, mk(T0 + 4000, C, 50001, S, 443, 6, PA, 301, curl_hello + 200, 200));
	feed(m, mk(T0 + 5000, C, 50001, S, 443, 6, PA, 501, curl_hello + 400, 117));
	assert_int_equal(meta_counts(m)->tls, 0);
	assert_int_equal(meta_counts(m)->overflow, 1);
	assert_int_equal(meta_buffered(m), 0);

	/* an HTTP header block that outgrows the cap */
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET / HTTP/1.1\r\nX-Pad: ", 23);
	handshake(m, T0 + 6000, C, 50002, S, 80, 300, 400);
	feed(m, mk(T0 + 9000, C, 50002, S, 80, 6, PA, 301, big, 150));
	assert_int_equal(meta_buffered(m), 150);
	feed(m, mk(T0 + 10000, C, 50002, S, 80, 6, PA, 451, big + 150, 150));
	assert_int_equal(meta_counts(m)->overflow, 2);
	assert_int_equal(meta_counts(m)->http, 0);
	assert_int_equal(meta_buffered(m), 0);
	/* the same request fits a larger engine */
	meta_free(m);
	m = engine(NULL);
	feed(m, mk(T0, C, 50002, S, 80, 6, PA, 301, big, 150));
	feed(m, mk(T0 + 1, C, 50002, S, 80, 6, PA, 451, big + 150, 150));
	feed(m, mk(T0 + 2, C, 50002, S, 80, 6, PA, 601, "\r\n\r\n", 4));
	assert_int_equal(meta_counts(m)->http, 1);
	assert_int_equal(meta_counts(m)->overflow, 0);
	meta_free(m);
}

static void test_table_eviction(void **state)
{
	struct meta_limits lim = { .max_streams = 4 };
	struct meta_engine *m = engine(&lim);
	const char *get = "GET /x HTTP/1.1\r\nHost: a.example.jp\r\n\r\n";

	for (uint16_t i = 0; i < 6; i++)
		feed(m, mk(T0 + i, C, (uint16_t)(60000 + i), S, 80, 6, TCPF_SYN, 1000u * i, NULL, 0));
	const struct meta_counts *c = meta_counts(m);
	assert_int_equal(c->streams, 6);
	assert_int_equal(c->streams_open, 4);
	assert_int_equal(c->streams_evicted, 2);
	/* the newest stream is intact */
	feed(m, mk(T0 + 10, C, 60005, S, 80, 6, PA, 5001, get, strlen(get)));
	assert_int_equal(c->http, 1);
	/* an evicted stream comes back as a new (mid-connection) one, evicting the oldest */
	feed(m, mk(T0 + 11, C, 60000, S, 80, 6, PA, 1, get, strlen(get)));
	assert_int_equal(c->http, 2);
	assert_int_equal(c->streams, 7);
	assert_int_equal(c->streams_evicted, 3);
	assert_int_equal(c->streams_open, 4);
	meta_free(m);
}

static void test_idle_timeout(void **state)
{
	struct meta_limits lim = { .idle_us = 1000000 };
	struct meta_engine *m = engine(&lim);

	feed(m, mk(T0, C, 61000, S, 443, 6, TCPF_SYN, 1, NULL, 0));
	feed(m, mk(T0 + 800000, C, 61001, S, 443, 6, TCPF_SYN, 1, NULL, 0));
	feed(m, mk(T0 + 1500000, C, 61002, S, 443, 6, TCPF_SYN, 1, NULL, 0));
	const struct meta_counts *c = meta_counts(m);
	assert_int_equal(c->streams_timed_out, 1);
	assert_int_equal(c->streams_open, 2);
	/* activity keeps a stream alive */
	feed(m, mk(T0 + 1700000, C, 61001, S, 443, 6, A, 2, NULL, 0));
	feed(m, mk(T0 + 2400000, C, 61002, S, 443, 6, A, 2, NULL, 0));
	assert_int_equal(c->streams_timed_out, 1);
	assert_int_equal(c->streams_open, 2);
	/* RST ends one at once; the other times out */
	feed(m, mk(T0 + 2700000, S, 443, C, 61002, 6, TCPF_RST, 0, NULL, 0));
	assert_int_equal(c->streams_open, 1);
	feed(m, mk(T0 + 2800000, "192.0.2.1", 1, "192.0.2.2", 2, 17, 0, 0, "x", 1));
	assert_int_equal(c->streams_timed_out, 2);
	assert_int_equal(c->streams_open, 0);
	meta_free(m);
}

/* A SYN with a new ISN on a known 5-tuple starts a new connection (port reuse). */
static void test_port_reuse(void **state)
{
	struct meta_engine *m = engine(NULL);
	const char *get = "GET /a HTTP/1.1\r\nHost: a.example.jp\r\n\r\n";

	handshake(m, T0, C, 62000, S, 80, 100, 900);
	feed(m, mk(T0 + 2500, C, 62000, S, 80, 6, TCPF_SYN, 100, NULL, 0));
	assert_int_equal(meta_counts(m)->streams, 1);
	feed(m, mk(T0 + 3000, C, 62000, S, 80, 6, PA, 101, get, strlen(get)));
	/* SYN retransmitted before data would not restart; a fresh SYN after data does */
	handshake(m, T0 + 4000, C, 62000, S, 80, 7000, 9000);
	feed(m, mk(T0 + 7000, C, 62000, S, 80, 6, PA, 7001, get, strlen(get)));
	assert_int_equal(meta_counts(m)->streams, 2);
	assert_int_equal(meta_counts(m)->http, 2);
	meta_free(m);
}

/* IPv6 streams are keyed like IPv4 ones. */
static void test_ipv6(void **state)
{
	struct meta_engine *m = engine(NULL);
	const char *c6 = "2001:db8::7", *s6 = "2001:db8:1::10";

	handshake(m, T0, c6, 50500, s6, 443, 10, 20);
	feed(m, mk(T0 + 3000, c6, 50500, s6, 443, 6, PA, 11, curl_hello, 300));
	feed(m, mk(T0 + 4000, c6, 50500, s6, 443, 6, PA, 311, curl_hello + 300, 217));
	assert_int_equal(meta_counts(m)->tls, 1);
	assert_int_equal(meta_counts(m)->streams, 1);
	assert_string_equal(seen.val[0], CURL_HELLO_META);
	meta_free(m);
}

/* The engine's own accounting of what it holds must stay under the cap at every step. */
static void check_cap(const struct meta_engine *m, size_t cap)
{
	assert_true(meta_buffered(m) <= cap);
	assert_true(meta_counts(m)->buffer_bytes <= cap);
	assert_true(meta_buffered(m) <= meta_counts(m)->buffer_bytes);
}

/* Many concurrent split handshakes against a small total cap: the first ones get buffers,
 * the rest are refused (counted, handled as overflow: no event, nothing kept); buffers come
 * back when flights are decided, and meta_flush wipes and frees whatever is left. */
static void test_buffer_cap(void **state)
{
	const size_t sb = 1024, cap = 8 * 1024;
	struct meta_limits lim = { .stream_bytes = sb, .max_buffered = cap };
	struct meta_engine *m = engine(&lim);
	const struct meta_counts *c = meta_counts(m);
	const uint8_t *h = curl_hello;
	const uint32_t cut[4] = { 0, 200, 400, sizeof(curl_hello) };
	enum { N = 64 };

	/* N TLS connections, their ClientHellos in three pieces, interleaved round-robin */
	for (uint16_t i = 0; i < N; i++) {
		handshake(m, T0 + i * 10000u, C, (uint16_t)(30000 + i), S, 443, 1000u * i, 7u);
		check_cap(m, cap);
	}
	for (int r = 0; r < 3; r++) {
		for (uint16_t i = 0; i < N; i++) {
			uint32_t isn = 1000u * i;

			feed(m, mk(T0 + 1000000 + r * 100000u + i, C, (uint16_t)(30000 + i), S, 443, 6,
				   PA, isn + 1 + cut[r], h + cut[r], cut[r + 1] - cut[r]));
			check_cap(m, cap);
			if (r == 0 && i == N - 1) {   /* all first pieces seen: the cap is full */
				assert_int_equal(c->buffer_bytes, cap);
				assert_int_equal(meta_buffered(m), (cap / sb) * 200);
			}
		}
	}
	assert_int_equal(c->buffer_refused, N - cap / sb);
	assert_int_equal(c->tls, cap / sb);
	assert_int_equal(c->tls_err, 0);
	assert_int_equal(c->overflow, 0);
	assert_int_equal(seen.n, (int)(cap / sb));
	for (int k = 0; k < seen.n; k++)
		assert_string_equal(seen.val[k], CURL_HELLO_META);
	/* every flight is decided: every buffer is back */
	assert_int_equal(meta_buffered(m), 0);
	assert_int_equal(c->buffer_bytes, 0);
	assert_int_equal(c->streams_open, N);

	/* the cap is free again: a new wave of split requests holds partial header blocks
	 * (with the planted secrets) up to the cap, refused streams hold nothing */
	uint64_t refused = c->buffer_refused;
	for (uint16_t i = 0; i < 12; i++) {
		feed(m, mk(T0 + 2000000 + i, C, (uint16_t)(31000 + i), S, 80, 6, PA, 1, curl_get, 80));
		check_cap(m, cap);
	}
	assert_int_equal(c->buffer_refused, refused + 12 - cap / sb);
	assert_int_equal(meta_buffered(m), (cap / sb) * 80);
	assert_true(meta_contains(m, "SECRET-qu3ry", 12));
	assert_true(meta_contains(m, curl_get + 70, 10));
	/* a refused stream goes on as an overflowed one: its rest yields nothing */
	feed(m, mk(T0 + 2100000, C, 31011, S, 80, 6, PA, 81, curl_get + 80, strlen(curl_get) - 80));
	assert_int_equal(c->http, 0);
	/* an accepted one completes and gives its buffer back */
	feed(m, mk(T0 + 2100001, C, 31000, S, 80, 6, PA, 81, curl_get + 80, strlen(curl_get) - 80));
	assert_int_equal(c->http, 1);
	assert_int_equal(meta_buffered(m), (cap / sb - 1) * 80);
	assert_int_equal(c->buffer_bytes, cap - sb);

	/* release: everything wiped and freed */
	meta_flush(m);
	assert_int_equal(meta_buffered(m), 0);
	assert_int_equal(c->buffer_bytes, 0);
	assert_int_equal(c->streams_open, 0);
	assert_false(meta_contains(m, "SECRET-qu3ry", 12));
	assert_false(meta_contains(m, curl_get + 70, 10));
	meta_free(m);
}

/* SMTP states and DNS-over-TCP partial messages draw on the same cap. */
static void test_buffer_cap_smtp_dns(void **state)
{
	const size_t cap = 2 * sizeof(struct smtp_state);
	struct meta_limits lim = { .stream_bytes = 512, .max_buffered = cap };
	struct meta_engine *m = engine(&lim);
	const struct meta_counts *c = meta_counts(m);
	const char *sv = "192.0.2.53";
	uint8_t q[2 + sizeof(dns_query)];

	assert_true(sizeof(struct smtp_state) >= 512);   /* so that no DNS buffer fits below */
	q[0] = 0, q[1] = sizeof(dns_query);
	memcpy(q + 2, dns_query, sizeof(dns_query));

	for (uint16_t i = 0; i < 3; i++) {
		feed(m, mk(T0 + i, C, (uint16_t)(40100 + i), S, 25, 6, PA, 1,
			   "EHLO a.example.jp\r\nMAIL FROM:<SECRET-p4rt", 41));
		check_cap(m, cap);
	}
	assert_int_equal(c->smtp_sessions, 2);
	assert_int_equal(c->buffer_refused, 1);
	assert_int_equal(c->smtp_cmds, 2);   /* the refused session yields nothing */
	assert_int_equal(c->buffer_bytes, cap);

	/* a DNS query split after 10 bytes: no room for its buffer; the direction is dropped */
	feed(m, mk(T0 + 10, C, 41500, sv, 53, 6, PA, 1, q, 10));
	check_cap(m, cap);
	assert_int_equal(c->buffer_refused, 2);
	feed(m, mk(T0 + 11, C, 41500, sv, 53, 6, PA, 11, q + 10, sizeof(q) - 10));
	assert_int_equal(c->dns, 0);
	assert_int_equal(c->overflow, 0);

	/* an RST frees an SMTP state: the next split query fits and is parsed */
	feed(m, mk(T0 + 20, S, 25, C, 40100, 6, TCPF_RST, 0, NULL, 0));
	assert_int_equal(c->buffer_bytes, sizeof(struct smtp_state));
	feed(m, mk(T0 + 30, C, 41501, sv, 53, 6, PA, 1, q, 10));
	check_cap(m, cap);
	assert_int_equal(meta_buffered(m), 22 + 10);   /* "MAIL FROM:<SECRET-p4rt" + 10 */
	feed(m, mk(T0 + 31, C, 41501, sv, 53, 6, PA, 11, q + 10, sizeof(q) - 10));
	assert_int_equal(c->dns, 1);
	assert_int_equal(c->buffer_refused, 2);
	assert_int_equal(c->buffer_bytes, sizeof(struct smtp_state));

	assert_true(meta_contains(m, "SECRET-p4rt", 11));
	meta_flush(m);
	assert_int_equal(meta_buffered(m), 0);
	assert_int_equal(c->buffer_bytes, 0);
	assert_false(meta_contains(m, "SECRET-p4rt", 11));
	meta_free(m);
}

/* The default cap is 32 MiB: 2048 first-flight buffers of the default 16 KiB. */
static void test_buffer_cap_default(void **state)
{
	struct meta_engine *m = engine(NULL);
	const struct meta_counts *c = meta_counts(m);

	for (uint16_t i = 0; i <= 2048; i++)
		feed(m, mk(T0 + i, C, (uint16_t)(10000 + i), S, 443, 6, PA, 1, curl_hello, 100));
	assert_int_equal(c->streams_open, 2049);
	assert_int_equal(c->buffer_refused, 1);
	assert_int_equal(c->buffer_bytes, (size_t)32 << 20);
	assert_int_equal(meta_buffered(m), 2048 * 100);
	meta_flush(m);
	assert_int_equal(c->buffer_bytes, 0);
	meta_free(m);
}

/* A first flight far over the buffer's first size (2 KiB): a 6 KB request header in 500-byte
 * segments is buffered as it grows, extracted whole, charged stream_bytes from the first
 * byte, and wiped when decided (nothing of it left in the engine). */
static void test_long_flight_grows(void **state)
{
	struct meta_engine *m = engine(NULL);
	static char req[6400];
	size_t n = 0;

	n += (size_t)snprintf(req + n, sizeof(req) - n,
			      "GET /long HTTP/1.1\r\nHost: grow.example\r\nUser-Agent: grower/1.0\r\n");
	for (int i = 0; n < 6000; i++)
		n += (size_t)snprintf(req + n, sizeof(req) - n, "X-Pad-%03d: SECRETPAD%04d-padding-padding\r\n", i, i);
	n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");

	handshake(m, T0, C, 41000, S, 80, 1000, 9000);
	for (size_t off = 0; off < n; off += 500) {
		size_t k = n - off < 500 ? n - off : 500;
		feed(m, mk(T0 + 3000 + off, C, 41000, S, 80, 6, PA, 1001 + (uint32_t)off, req + off, k));
		if (off + k < n) {
			assert_int_equal(seen.n, 0);
			assert_int_equal(meta_counts(m)->buffer_bytes, 16384);
			assert_int_equal(meta_buffered(m), off + k);
			assert_true(meta_contains(m, "SECRETPAD0000", 13));
		}
	}
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.val[0], "GET|grow.example|/long|grower/1.0");
	assert_int_equal(meta_counts(m)->overflow, 0);
	assert_int_equal(meta_counts(m)->buffer_bytes, 0);
	assert_false(meta_contains(m, "SECRETPAD", 9));
	meta_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_udp),
		cmocka_unit_test(test_dns_tcp),
		cmocka_unit_test(test_tls_split_retrans_ooo),
		cmocka_unit_test(test_tls_midstream),
		cmocka_unit_test(test_http_split_keepalive),
		cmocka_unit_test(test_smtp_session),
		cmocka_unit_test(test_smtp_by_helo_and_flush),
		cmocka_unit_test(test_stream_cap),
		cmocka_unit_test(test_table_eviction),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_port_reuse),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_buffer_cap),
		cmocka_unit_test(test_buffer_cap_smtp_dns),
		cmocka_unit_test(test_buffer_cap_default),
		cmocka_unit_test(test_long_flight_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

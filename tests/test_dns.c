/*
 * test_dns.c — dns_parse() on real messages and on hostile ones.
 *
 * The real messages were captured with tcpdump on the loopback interface: dig 9.18 querying
 * dnsmasq 2.89 serving a small test zone (example.jp, 192.0.2.0/24, 2001:db8::/32), without
 * EDNS. Hostile messages (pointer loops, forward pointers, long names) are built here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "meta/dns.h"

/* ---- captured from the wire ---- */
static const uint8_t q_www_a[] = {
	0x22, 0x5b, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x02, 0x6a, 0x70, 0x00, 0x00, 0x01, 0x00, 0x01,
};
/* A for www.example.jp: CNAME edge -> CNAME web -> A 192.0.2.10 */
static const uint8_t r_www_a[] = {
	0x22, 0x5b, 0x85, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x77, 0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x02, 0x6a, 0x70, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x05,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x04, 0x65, 0x64, 0x67,
	0x65, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70,
	0x00, 0xc0, 0x2c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x10, 0x03, 0x77, 0x65, 0x62, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
	0x65, 0x02, 0x6a, 0x70, 0x00, 0xc0, 0x49, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x0a,
};
static const uint8_t q_web_aaaa[] = {
	0x25, 0x07, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x77, 0x65, 0x62, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x02, 0x6a, 0x70, 0x00, 0x00, 0x1c, 0x00, 0x01,
};
static const uint8_t r_web_aaaa[] = {
	0x25, 0x07, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x03, 0x77, 0x65, 0x62, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x02, 0x6a, 0x70, 0x00, 0x00, 0x1c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x1c,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};
static const uint8_t q_mx[] = {
	0x83, 0xf4, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70, 0x00,
	0x00, 0x0f, 0x00, 0x01,
};
static const uint8_t r_mx[] = {
	0x83, 0xf4, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,
	0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70, 0x00,
	0x00, 0x0f, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x13, 0x00, 0x0a, 0x04, 0x6d, 0x61, 0x69, 0x6c, 0x07,
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70, 0x00, 0xc0,
	0x2a, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xc0,
	0x00, 0x02, 0x19,
};
static const uint8_t q_ptr[] = {
	0xf1, 0x7c, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x31, 0x30, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07,
	0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61,
	0x00, 0x00, 0x0c, 0x00, 0x01,
};
static const uint8_t r_ptr[] = {
	0xf1, 0x7c, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x31, 0x30, 0x01, 0x32, 0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07,
	0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61,
	0x00, 0x00, 0x0c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x10, 0x03, 0x77, 0x65, 0x62, 0x07, 0x65, 0x78,
	0x61, 0x6d, 0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70, 0x00,
};
static const uint8_t q_nx[] = {
	0xeb, 0xff, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x6e, 0x6f, 0x73, 0x75, 0x63, 0x68, 0x07, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70, 0x00, 0x00, 0x01, 0x00, 0x01,
};
static const uint8_t r_nx[] = {
	0xeb, 0xff, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x06, 0x6e, 0x6f, 0x73, 0x75, 0x63, 0x68, 0x07, 0x65, 0x78, 0x61, 0x6d,
	0x70, 0x6c, 0x65, 0x02, 0x6a, 0x70, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* ---- helpers ---- */

struct msgbuf {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msgbuf *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put8(struct msgbuf *m, uint8_t v) { put(m, &v, 1); }

static void put16(struct msgbuf *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static void header(struct msgbuf *m, uint16_t flags, uint16_t qd, uint16_t an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* labels given as "3www7example2jp" style is error-prone; build from dotted text */
static void name(struct msgbuf *m, const char *dotted)
{
	const char *p = dotted;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);

		put8(m, (uint8_t)n);
		put(m, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
	put8(m, 0);
}

static void rr_head(struct msgbuf *m, uint16_t type, uint16_t rdlen)
{
	put16(m, type);
	put16(m, 1);
	put16(m, 0);
	put16(m, 300);
	put16(m, rdlen);
}

static const char *fmt(const struct sk_addr *a)
{
	static char s[SK_ADDR_STRLEN];

	return addr_format(a, s);
}

/* ---- real messages ---- */

static void query_a(void **state)
{
	struct dns_msg m;

	assert_int_equal(dns_parse(q_www_a, sizeof(q_www_a), &m), DNS_OK);
	assert_int_equal(m.id, 0x225b);
	assert_false(m.response);
	assert_int_equal(m.opcode, 0);
	assert_string_equal(m.qname, "www.example.jp");
	assert_int_equal(m.qtype, 1);
	assert_int_equal(m.qclass, 1);
	assert_int_equal(m.nanswers, 0);
	assert_int_equal(m.answers_seen, 0);
}

static void response_cname_chain(void **state)
{
	struct dns_msg m;

	assert_int_equal(dns_parse(r_www_a, sizeof(r_www_a), &m), DNS_OK);
	assert_true(m.response);
	assert_int_equal(m.rcode, 0);
	assert_string_equal(m.qname, "www.example.jp");
	assert_int_equal(m.nanswers, 3);
	assert_int_equal(m.answers_seen, 3);
	assert_int_equal(m.ans[0].type, 5);
	assert_false(m.ans[0].is_addr);
	assert_string_equal(m.ans[0].name, "edge.example.jp");
	assert_int_equal(m.ans[1].type, 5);
	assert_string_equal(m.ans[1].name, "web.example.jp");
	assert_int_equal(m.ans[2].type, 1);
	assert_true(m.ans[2].is_addr);
	assert_string_equal(fmt(&m.ans[2].addr), "192.0.2.10");
	assert_string_equal(m.ans[2].name, "");
}

static void response_aaaa(void **state)
{
	struct dns_msg m;

	assert_int_equal(dns_parse(q_web_aaaa, sizeof(q_web_aaaa), &m), DNS_OK);
	assert_int_equal(m.qtype, 28);
	assert_int_equal(dns_parse(r_web_aaaa, sizeof(r_web_aaaa), &m), DNS_OK);
	assert_string_equal(m.qname, "web.example.jp");
	assert_int_equal(m.nanswers, 1);
	assert_int_equal(m.ans[0].type, 28);
	assert_true(m.ans[0].is_addr);
	assert_string_equal(fmt(&m.ans[0].addr), "2001:db8::10");
}

static void response_mx(void **state)
{
	struct dns_msg m;

	assert_int_equal(dns_parse(q_mx, sizeof(q_mx), &m), DNS_OK);
	assert_int_equal(m.qtype, 15);
	/* one MX answer and one A in the additional section, which is walked but not kept */
	assert_int_equal(dns_parse(r_mx, sizeof(r_mx), &m), DNS_OK);
	assert_string_equal(m.qname, "example.jp");
	assert_int_equal(m.nanswers, 1);
	assert_int_equal(m.answers_seen, 1);
	assert_int_equal(m.ans[0].type, 15);
	assert_string_equal(m.ans[0].name, "mail.example.jp");
}

static void response_ptr(void **state)
{
	struct dns_msg m;

	assert_int_equal(dns_parse(q_ptr, sizeof(q_ptr), &m), DNS_OK);
	assert_string_equal(m.qname, "10.2.0.192.in-addr.arpa");
	assert_int_equal(m.qtype, 12);
	assert_int_equal(dns_parse(r_ptr, sizeof(r_ptr), &m), DNS_OK);
	assert_int_equal(m.nanswers, 1);
	assert_int_equal(m.ans[0].type, 12);
	assert_string_equal(m.ans[0].name, "web.example.jp");
}

static void response_nxdomain(void **state)
{
	struct dns_msg m;

	assert_int_equal(dns_parse(q_nx, sizeof(q_nx), &m), DNS_OK);
	assert_int_equal(dns_parse(r_nx, sizeof(r_nx), &m), DNS_OK);
	assert_true(m.response);
	assert_int_equal(m.rcode, 3);
	assert_string_equal(m.qname, "nosuch.example.jp");
	assert_int_equal(m.nanswers, 0);
}

/* Every proper prefix of every real message is an error (the counts promise more), never OK
 * and never a crash; the sanitizer build checks the reads. */
static void truncated_at_every_length(void **state)
{
	static const struct { const uint8_t *p; size_t n; } msgs[] = {
		{ q_www_a, sizeof(q_www_a) }, { r_www_a, sizeof(r_www_a) },
		{ r_web_aaaa, sizeof(r_web_aaaa) }, { r_mx, sizeof(r_mx) },
		{ r_ptr, sizeof(r_ptr) }, { r_nx, sizeof(r_nx) },
	};

	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		for (size_t len = 0; len < msgs[i].n; len++) {
			uint8_t *copy = malloc(len ? len : 1);
			struct dns_msg m;

			memcpy(copy, msgs[i].p, len);
			assert_int_equal(dns_parse(copy, len, &m), DNS_ERR_TRUNC);
			free(copy);
		}
	}
}

/* ---- built messages ---- */

static void compressed_rdata(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	/* MX answer whose exchange is "mx1" + pointer to the question's "example.jp" */
	header(&m, 0x8180, 1, 1);
	name(&m, "Example.JP");          /* at offset 12; upper case in the message */
	put16(&m, 15);
	put16(&m, 1);
	put16(&m, 0xc00c);
	rr_head(&m, 15, 2 + 4 + 2);
	put16(&m, 10);
	put8(&m, 3);
	put(&m, "MX1", 3);
	put16(&m, 0xc00c);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
	assert_string_equal(d.qname, "example.jp");
	assert_string_equal(d.ans[0].name, "mx1.example.jp");
}

static void pointer_self_loop(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	header(&m, 0x0100, 1, 0);
	put16(&m, 0xc00c);               /* the question name points at itself */
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_LOOP);

	/* a label then a pointer back to the label: a loop through backward pointers only */
	header(&m, 0x0100, 1, 0);
	put8(&m, 1);
	put8(&m, 'a');
	put16(&m, 0xc00c);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_LOOP);
}

static void pointer_two_step_loop(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	/* answer 2's owner at P=36 points back to Q=34 (inside answer 1's rdata), and Q points
	 * to P again: the first hop is backward, the second closes the loop */
	header(&m, 0x8180, 1, 2);
	name(&m, "a.jp");                /* 12..17 */
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);               /* answer 1 at 22 */
	rr_head(&m, 16, 2);
	assert_int_equal(m.n, 34);
	put16(&m, 0xc000 | 36);          /* Q = 34: -> P */
	assert_int_equal(m.n, 36);
	put16(&m, 0xc000 | 34);          /* P = 36: answer 2's owner -> Q */
	rr_head(&m, 1, 4);
	put(&m, "\xc0\x00\x02\x01", 4);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_LOOP);
}

static void pointer_forward(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	header(&m, 0x8180, 1, 1);
	put16(&m, 0xc012);               /* 12: question name -> 18 (the answer's name) */
	put16(&m, 1);
	put16(&m, 1);
	name(&m, "b.jp");                /* 18 */
	rr_head(&m, 1, 4);
	put(&m, "\xc0\x00\x02\x01", 4);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_LOOP);
}

/* labels of lengths l[0..k) followed by the root label, as a query */
/* The end of a question's name (the root label), then type A, class IN. */
static void end_question(struct msgbuf *m)
{
	put8(m, 0);
	put16(m, 1);
	put16(m, 1);
}

static void long_name_query(struct msgbuf *m, const uint8_t *lens, size_t k, uint8_t fill)
{
	header(m, 0x0100, 1, 0);
	for (size_t i = 0; i < k; i++) {
		put8(m, lens[i]);
		for (uint8_t j = 0; j < lens[i]; j++)
			put8(m, fill);
	}
	end_question(m);
}

static void name_255_and_256(void **state)
{
	static const uint8_t ok[] = { 63, 63, 63, 61 };   /* 64*3 + 62 + 1 = 255 octets */
	static const uint8_t bad[] = { 63, 63, 63, 62 };  /* 256 octets */
	struct msgbuf m;
	struct dns_msg d;

	long_name_query(&m, ok, 4, 'X');
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
	assert_int_equal(strlen(d.qname), 63 * 3 + 61 + 3);
	assert_int_equal(d.qname[0], 'x');
	assert_int_equal(d.qname[63], '.');

	long_name_query(&m, bad, 4, 'x');
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_NAME);

	/* 255 octets, but every byte needs \DDD: does not fit DNS_NAME_MAX -> rejected */
	long_name_query(&m, ok, 4, 0x01);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_NAME);

	/* the 256th octet reached through a pointer is still counted */
	header(&m, 0x8180, 1, 1);
	for (int i = 0; i < 3; i++) {
		put8(&m, 63);
		for (int j = 0; j < 63; j++)
			put8(&m, 'a');
	}
	put8(&m, 61);
	for (int j = 0; j < 61; j++)
		put8(&m, 'a');
	put8(&m, 0);                     /* question: 255 octets at 12 */
	put16(&m, 1);
	put16(&m, 1);
	put8(&m, 1);
	put8(&m, 'z');
	put16(&m, 0xc00c);               /* answer name "z." + 255 = 257 octets */
	rr_head(&m, 1, 4);
	put(&m, "\xc0\x00\x02\x01", 4);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_NAME);
}

static void escapes_like_dig(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	header(&m, 0x0100, 1, 0);
	put8(&m, 5);
	put(&m, "A.b\x07 ", 5);
	put8(&m, 3);
	put(&m, "C\\D", 3);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
	assert_string_equal(d.qname, "a\\.b\\007\\032.c\\\\d");

	/* the root name */
	header(&m, 0x0100, 1, 0);
	put8(&m, 0);
	put16(&m, 2);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
	assert_string_equal(d.qname, "");
	assert_int_equal(d.qtype, 2);
}

static void header_errors(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	header(&m, 0x8180, 0, 0);        /* no question */
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_FORMAT);

	header(&m, 0x8180, 1, 5);        /* five answers promised, one present */
	name(&m, "a.jp");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);
	rr_head(&m, 1, 4);
	put(&m, "\xc0\x00\x02\x01", 4);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_TRUNC);

	header(&m, 0x8180, 1, 1);        /* an A record with 5 bytes of rdata */
	name(&m, "a.jp");
	put16(&m, 1);
	put16(&m, 1);
	put16(&m, 0xc00c);
	rr_head(&m, 1, 5);
	put(&m, "\xc0\x00\x02\x01\x00", 5);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_FORMAT);

	header(&m, 0x0100, 1, 0);        /* label type 01 (reserved) */
	put8(&m, 0x41);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_NAME);
}

static void many_answers_counted(void **state)
{
	struct msgbuf m;
	struct dns_msg d;

	header(&m, 0x8180, 1, 20);
	name(&m, "many.example.jp");
	put16(&m, 1);
	put16(&m, 1);
	for (int i = 0; i < 20; i++) {
		put16(&m, 0xc00c);
		rr_head(&m, 1, 4);
		put(&m, "\xc0\x00\x02", 3);
		put8(&m, (uint8_t)i);
	}
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
	assert_int_equal(d.answers_seen, 20);
	assert_int_equal(d.nanswers, DNS_MAX_ANSWERS);
	assert_string_equal(fmt(&d.ans[15].addr), "192.0.2.15");
	/* unknown types are counted and kept with an empty value */
	header(&m, 0x8180, 1, 1);
	name(&m, "t.example.jp");
	put16(&m, 16);
	put16(&m, 1);
	put16(&m, 0xc00c);
	rr_head(&m, 16, 7);
	put(&m, "\x06secret", 7);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
	assert_int_equal(d.ans[0].type, 16);
	assert_false(d.ans[0].is_addr);
	assert_string_equal(d.ans[0].name, "");
	assert_null(memmem(&d, sizeof(d), "secret", 6));
	assert_string_equal(dns_status_name(DNS_ERR_LOOP), "compression loop");
}

/* ---- the fast label writer, the cap on the escaped form, the reused scratch ---- */

/* dig's presentation form of one label byte, written from the rule, not from dns.c. */
static void ref_byte(char *out, uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		sprintf(out, "%c", b - 'A' + 'a');
	else if (b != 0 && strchr(".\\\"();@$", b))
		sprintf(out, "\\%c", b);
	else if (b <= 0x20 || b >= 0x7f)
		sprintf(out, "\\%03u", b);
	else
		sprintf(out, "%c", b);
}

static void query_label(struct msgbuf *m, const uint8_t *label, size_t n)
{
	header(m, 0x0100, 1, 0);
	put8(m, (uint8_t)n);
	put(m, label, n);
	end_question(m);
}

/* Every byte value, alone between letters and in full 63-byte labels of escapes. */
static void every_byte_like_dig(void **state)
{
	struct msgbuf m;
	struct dns_msg d;
	char want[DNS_NAME_MAX * 2];

	for (unsigned b = 0; b < 256; b++) {
		uint8_t label[3] = { 'x', (uint8_t)b, 'Y' };

		query_label(&m, label, 3);
		assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
		strcpy(want, "x");
		ref_byte(want + 1, (uint8_t)b);
		strcat(want, "y");
		assert_string_equal(d.qname, want);
	}
	for (unsigned first = 0; first < 256; first += 63) {
		uint8_t label[63];
		size_t w = 0;

		for (unsigned i = 0; i < 63; i++) {
			label[i] = (uint8_t)(first + i);
			ref_byte(want + w, label[i]);
			w += strlen(want + w);
		}
		query_label(&m, label, sizeof(label));
		assert_int_equal(dns_parse(m.b, m.n, &d), DNS_OK);
		assert_string_equal(d.qname, want);
	}
}

/* A name whose escaped form is 255 characters fits, 256 is DNS_ERR_NAME, whichever way the
 * label is written (room for the worst case or byte by byte). */
static void escaped_form_at_the_cap(void **state)
{
	struct msgbuf m;
	struct dns_msg d;
	uint8_t l63[63], l4[60];
	char want[DNS_NAME_MAX];

	/* 3 x 63 letters, then 59 letters and one \007: 192 + 63 = 255 characters */
	for (int k = 0; k < 2; k++) {
		header(&m, 0x0100, 1, 0);
		for (int i = 0; i < 3; i++) {
			memset(l63, 'a' + i, sizeof(l63));
			put8(&m, 63);
			put(&m, l63, 63);
		}
		memset(l4, 'D', sizeof(l4));
		l4[58] = k ? '.' : 'D';   /* k = 1: one more character, 256 */
		l4[59] = 7;
		put8(&m, 60);
		put(&m, l4, 60);
		end_question(&m);
		assert_int_equal(dns_parse(m.b, m.n, &d), k ? DNS_ERR_NAME : DNS_OK);
		if (k)
			continue;
		assert_int_equal(strlen(d.qname), 255);
		assert_string_equal(d.qname + 192, "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\\007");
	}

	/* 63 x \001 (252 characters, written at once), then a 1-byte label: "a" fits (254),
	 * \001 does not (257) */
	for (int k = 0; k < 2; k++) {
		memset(l63, 1, sizeof(l63));
		header(&m, 0x0100, 1, 0);
		put8(&m, 63);
		put(&m, l63, 63);
		put8(&m, 1);
		put8(&m, k ? 1 : 'A');
		end_question(&m);
		assert_int_equal(dns_parse(m.b, m.n, &d), k ? DNS_ERR_NAME : DNS_OK);
		if (k)
			continue;
		want[0] = '\0';
		for (int i = 0; i < 63; i++)
			strcat(want, "\\001");
		strcat(want, ".a");
		assert_string_equal(d.qname, want);
	}

	/* 252 characters of letters and dots, then one \001: exactly 256 with the NUL's byte
	 * taken, so DNS_ERR_NAME (wire: 255 octets) */
	header(&m, 0x0100, 1, 0);
	for (int i = 0; i < 3; i++) {
		memset(l63, 'a' + i, sizeof(l63));
		put8(&m, 63);
		put(&m, l63, 63);
	}
	memset(l4, 'd', sizeof(l4));
	put8(&m, 59);
	put(&m, l4, 59);
	put8(&m, 1);
	put8(&m, 1);
	put8(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(dns_parse(m.b, m.n, &d), DNS_ERR_NAME);
}

/* meta.c's scratch: dns_parse_cleared into a message that dns_clear has cleared gives what
 * dns_parse gives into a fresh one, byte for byte, for every cut of every message (the long
 * ones first, so that leftovers would show), and dns_clear leaves it all zero again. */
static void scratch_reuse_matches_fresh(void **state)
{
	static struct dns_msg scratch, fresh, zero;
	static struct msgbuf many;
	const struct {
		const uint8_t *b;
		size_t n;
	} msgs[] = {
		{ NULL, 0 }, /* many, below */
		{ r_www_a, sizeof(r_www_a) }, { r_mx, sizeof(r_mx) }, { r_ptr, sizeof(r_ptr) },
		{ r_web_aaaa, sizeof(r_web_aaaa) }, { r_nx, sizeof(r_nx) }, { q_www_a, sizeof(q_www_a) },
		{ q_web_aaaa, sizeof(q_web_aaaa) }, { q_mx, sizeof(q_mx) }, { q_ptr, sizeof(q_ptr) },
		{ q_nx, sizeof(q_nx) },
	};
	unsigned ok = 0, failed = 0;

	header(&many, 0x8180, 1, 18);
	name(&many, "many.example.jp");
	put16(&many, 5);
	put16(&many, 1);
	for (int i = 0; i < 18; i++) {   /* CNAMEs with long targets: every answer slot dirty */
		put16(&many, 0xc00c);
		rr_head(&many, 5, 38);
		name(&many, "a-rather-long-target-name.example.jp");   /* 38 octets */
	}

	/* answers refused after their slot was written: a CNAME name short of its rdata, an A
	 * record of 5 octets, a CNAME whose name points forward; then a plain query */
	static struct msgbuf bad[4];
	for (int v = 0; v < 4; v++) {
		header(&bad[v], 0x8180, 1, v < 3 ? 3 : 0);
		name(&bad[v], "bad.example.jp");
		put16(&bad[v], 1);
		put16(&bad[v], 1);
		if (v == 3)
			continue;
		put16(&bad[v], 0xc00c);   /* one good answer first */
		rr_head(&bad[v], 1, 4);
		put(&bad[v], "\xc0\x00\x02\x01", 4);
		put16(&bad[v], 0xc00c);
		if (v == 0) {
			rr_head(&bad[v], 5, 13);
			name(&bad[v], "x.example");   /* 11 octets of 13 */
			put16(&bad[v], 0);
		} else if (v == 1) {
			rr_head(&bad[v], 1, 5);
			put(&bad[v], "\xc0\x00\x02\x01\x00", 5);
		} else {
			rr_head(&bad[v], 5, 6);
			put(&bad[v], "\x03" "abc\xc0\xff", 6);   /* abc, then a pointer ahead */
		}
		put16(&bad[v], 0xc00c);
		rr_head(&bad[v], 1, 4);
		put(&bad[v], "\xc0\x00\x02\x02", 4);
	}
	for (int v = 0; v < 4; v++) {
		enum dns_status want[] = { DNS_ERR_FORMAT, DNS_ERR_FORMAT, DNS_ERR_LOOP, DNS_OK };
		enum dns_status c = dns_parse_cleared(bad[v].b, bad[v].n, &scratch);

		assert_int_equal(c, want[v]);
		assert_int_equal(dns_parse(bad[v].b, bad[v].n, &fresh), c);
		assert_memory_equal(&fresh, &scratch, sizeof(fresh));
		dns_clear(&scratch);
		assert_memory_equal(&scratch, &zero, sizeof(zero));
	}

	for (size_t k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++) {
		const uint8_t *b = msgs[k].b ? msgs[k].b : many.b;
		size_t n = msgs[k].b ? msgs[k].n : many.n;

		for (size_t cut = n + 1; cut-- > 0;) {
			enum dns_status a = dns_parse(b, cut, &fresh);
			enum dns_status c = dns_parse_cleared(b, cut, &scratch);

			assert_int_equal(a, c);
			assert_memory_equal(&fresh, &scratch, sizeof(fresh));
			if (a == DNS_OK)
				ok++;
			else
				failed++;
			dns_clear(&scratch);
			assert_memory_equal(&scratch, &zero, sizeof(zero));
		}
	}
	assert_true(ok >= 11);
	assert_true(failed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(query_a),
		cmocka_unit_test(response_cname_chain),
		cmocka_unit_test(response_aaaa),
		cmocka_unit_test(response_mx),
		cmocka_unit_test(response_ptr),
		cmocka_unit_test(response_nxdomain),
		cmocka_unit_test(truncated_at_every_length),
		cmocka_unit_test(compressed_rdata),
		cmocka_unit_test(pointer_self_loop),
		cmocka_unit_test(pointer_two_step_loop),
		cmocka_unit_test(pointer_forward),
		cmocka_unit_test(name_255_and_256),
		cmocka_unit_test(escapes_like_dig),
		cmocka_unit_test(header_errors),
		cmocka_unit_test(many_answers_counted),
		cmocka_unit_test(every_byte_like_dig),
		cmocka_unit_test(escaped_form_at_the_cap),
		cmocka_unit_test(scratch_reuse_matches_fresh),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_select.c — selectors, approvals and matchers (src/select): channel eligibility
 * (DESIGN.md rule 4), approval binding and refusal of bad files (rule 3), and the matching
 * of observations against every kind of condition.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/addr.h"
#include "select/domset.h"
#include "select/ipset.h"
#include "select/rules.h"

#define T_FROM 1790780400000000ull   /* 2026-10-01T00:00:00+09:00 */
#define T_UNTIL 1822316400000000ull  /* 2027-10-01T00:00:00+09:00 */
#define T_IN (T_FROM + 86400000000ull)

static struct sk_addr A(const char *s)
{
	struct sk_addr a;

	assert_int_equal(addr_parse(&a, s), 0);
	return a;
}

/* --- time ------------------------------------------------------------------------------ */

static void parses_rfc3339(void **state)
{
	uint64_t t;
	static const char *bad[] = {
		"2026-10-01T00:00:00", "2026-10-01 00:00:00Z", "2025-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "1969-12-31T23:59:59Z",
		"2026-10-01T24:00:00Z", "2026-10-01T00:00:00+0900", "2026-10-01T00:00:00.Z",
		"2026-10-01T00:00:00Zjunk", "", "x",
	};

#define PT(s) sel_parse_time(s, strlen(s), &t)
	assert_int_equal(PT("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(t, 0);
	assert_int_equal(PT("2026-10-01T00:00:00+09:00"), 0);
	assert_int_equal(t, T_FROM);
	assert_int_equal(PT("2026-09-30T15:00:00Z"), 0);
	assert_int_equal(t, T_FROM);
	assert_int_equal(PT("2024-02-29T12:34:56.5Z"), 0);
	assert_int_equal(t, 1709210096500000ull);
	assert_int_equal(PT("2024-02-29t07:34:56.500000-05:00"), 0);
	assert_int_equal(t, 1709210096500000ull);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sel_parse_time(bad[i], strlen(bad[i]), &t), -1);
#undef PT
}

/* --- eligibility (rule 4) ------------------------------------------------------------- */

static const struct sel_facility facs[] = {
	{ .plen = 96 + 24 }, /* 198.51.100.0/24, filled in by setup */
	{ .plen = 32 },      /* 2001:db8::/32 */
};

static struct sel_approval approval(enum sel_channel ch, struct sel_facility *f, size_t nf)
{
	struct sel_approval a;

	memset(&a, 0, sizeof(a));
	snprintf(a.id, sizeof(a.id), "A");
	a.channel = ch;
	a.from_us = T_FROM;
	a.until_us = T_UNTIL;
	a.fac = f;
	a.nfac = nf;
	return a;
}

static void eligibility_by_channel(void **state)
{
	struct sel_facility f[2];
	struct sk_addr fac4 = A("198.51.100.7"), fac6 = A("2001:db8::99");
	struct sk_addr other = A("203.0.113.5"), dom = A("192.0.2.1");

	memcpy(f, facs, sizeof(f));
	assert_int_equal(addr_parse_prefix(&f[0].net, &f[0].plen, "198.51.100.0/24"), 0);
	assert_int_equal(addr_parse_prefix(&f[1].net, &f[1].plen, "2001:db8::/32"), 0);

	struct sel_approval ag = approval(SEL_AGREEMENT, NULL, 0);
	struct sel_approval tr = approval(SEL_TRANSIT, NULL, 0);
	struct sel_approval sp = approval(SEL_SPECIFIC, f, 2);
	struct sel_approval *all[] = { &ag, &tr, &sp };

	/* 内内 and unknown: never, under any channel, whatever the addresses */
	for (size_t i = 0; i < 3; i++) {
		assert_false(sel_eligible(all[i], DIR_DD, T_IN, &fac4, &fac6));
		assert_false(sel_eligible(all[i], DIR_UNKNOWN, T_IN, &fac4, &fac6));
		assert_false(sel_eligible(all[i], DIR_DD, T_IN, &other, &dom));
		assert_false(sel_eligible(all[i], DIR_UNKNOWN, T_IN, &other, &dom));
	}
	/* agreement: 外内 only */
	assert_true(sel_eligible(&ag, DIR_FD, T_IN, &other, &dom));
	assert_false(sel_eligible(&ag, DIR_FF, T_IN, &other, &dom));
	assert_false(sel_eligible(&ag, DIR_DF, T_IN, &dom, &other));
	/* transit: 外外 only */
	assert_true(sel_eligible(&tr, DIR_FF, T_IN, &other, &fac4));
	assert_false(sel_eligible(&tr, DIR_FD, T_IN, &other, &dom));
	assert_false(sel_eligible(&tr, DIR_DF, T_IN, &dom, &other));
	/* specific: 外内 and 内外 with a named facility as the foreign end */
	assert_true(sel_eligible(&sp, DIR_FD, T_IN, &fac4, &dom));
	assert_true(sel_eligible(&sp, DIR_FD, T_IN, &fac6, &dom));
	assert_true(sel_eligible(&sp, DIR_DF, T_IN, &dom, &fac4));
	assert_true(sel_eligible(&sp, DIR_DF, T_IN, &dom, &fac6));
	assert_false(sel_eligible(&sp, DIR_FD, T_IN, &other, &dom));
	assert_false(sel_eligible(&sp, DIR_DF, T_IN, &dom, &other));
	/* the facility must be the foreign end, not the domestic one */
	assert_false(sel_eligible(&sp, DIR_FD, T_IN, &other, &fac4));
	assert_false(sel_eligible(&sp, DIR_DF, T_IN, &fac4, &other));
	assert_false(sel_eligible(&sp, DIR_FF, T_IN, &fac4, &fac6));
	/* NULL approval: never */
	assert_false(sel_eligible(NULL, DIR_FD, T_IN, &other, &dom));
}

static void eligibility_by_time(void **state)
{
	struct sel_approval ag = approval(SEL_AGREEMENT, NULL, 0);
	struct sk_addr x = A("203.0.113.5"), y = A("192.0.2.1");

	assert_false(sel_eligible(&ag, DIR_FD, T_FROM - 1, &x, &y));
	assert_true(sel_eligible(&ag, DIR_FD, T_FROM, &x, &y));
	assert_true(sel_eligible(&ag, DIR_FD, T_UNTIL - 1, &x, &y));
	assert_false(sel_eligible(&ag, DIR_FD, T_UNTIL, &x, &y));
	assert_false(sel_eligible(&ag, DIR_FD, 0, &x, &y));
	assert_false(sel_eligible(&ag, DIR_FD, UINT64_MAX, &x, &y));
}

/* --- refusal of bad files (rule 3) ---------------------------------------------------- */

#define APPR "approval A1 channel=agreement from=2026-10-01T00:00:00+09:00 until=2027-10-01T00:00:00+09:00\n"

#define MF(name, text) { name, text, sizeof(text) - 1 }
static const struct sel_memfile lists[] = {
	MF("ips.txt", "# addresses\n192.0.2.1\n\n198.51.100.0/24 # a net\n"),
	MF("badips.txt", "192.0.2.1\n2001:db8::/32\n300.1.2.3"),  /* no final newline */
	MF("names.txt", "example.com\r\n.example.org\n"),
	MF("badnames.txt", "ok.example\nbad name.example\n"),
	MF("badnames2.txt", "# c\nfoo..bar\n"),
};

struct err_case {
	const char *text;
	const char *msg;     /* expected start of the message */
};

static void refuses_bad_files(void **state)
{
	static const struct err_case cases[] = {
		{ "bogus line\n", "sel.conf:1: malformed line" },
		{ APPR "select S1 approval=A1 ip=192.0.2.1 colour=red\n",
		  "sel.conf:2: unknown condition 'colour'" },
		{ APPR "select S1 approval=A1 ip=192.0.2.1 junk\n", "sel.conf:2: malformed 'junk'" },
		{ "approval A1 channel=agreement from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z "
		  "colour=red\n", "sel.conf:1: unknown approval key 'colour'" },
		{ "approval A1 channel=courtesy from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z\n",
		  "sel.conf:1: unknown channel 'courtesy'" },
		{ APPR "\n# comment\nselect S1 approval=A1 ip=192.0.2.300\n",
		  "sel.conf:4: bad address '192.0.2.300'" },
		{ APPR "select S1 approval=A1 ip=192.0.2.0/33\n", "sel.conf:2: bad address" },
		{ APPR "select S1 approval=NOPE ip=192.0.2.1\n", "sel.conf:2: unknown approval 'NOPE'" },
		{ "select S1 approval=A1 ip=192.0.2.1\n" APPR, "sel.conf:1: unknown approval 'A1'" },
		{ APPR "select S1 ip=192.0.2.1\n", "sel.conf:2: selector S1 has no approval=" },
		{ APPR "select S1 approval=A1\n", "sel.conf:2: selector S1 has no condition" },
		{ APPR APPR, "sel.conf:2: duplicate approval ID 'A1'" },
		{ APPR "select S1 approval=A1 ip=192.0.2.1\nselect S1 approval=A1 ip=192.0.2.2\n",
		  "sel.conf:3: duplicate selector ID 'S1'" },
		{ "approval A2 channel=specific from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z\n",
		  "sel.conf:1: approval A2: channel=specific needs facility=" },
		{ "approval A2 channel=transit from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z "
		  "facility=198.51.100.0/24\n",
		  "sel.conf:1: approval A2: facility= applies to channel=specific only" },
		{ "approval A2 channel=specific from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z "
		  "facility=198.51.100.0/24,nothing\n", "sel.conf:1: bad facility address 'nothing'" },
		{ "approval A3 channel=agreement from=2027-10-01T00:00:00Z until=2026-10-01T00:00:00Z\n",
		  "sel.conf:1: approval A3: from is not before until" },
		{ "approval A3 channel=agreement from=2026-10-01T00:00:00Z until=2026-10-01T00:00:00Z\n",
		  "sel.conf:1: approval A3: from is not before until" },
		{ "approval A3 channel=agreement from=2026-10-01 until=2027-10-01T00:00:00Z\n",
		  "sel.conf:1: bad time '2026-10-01'" },
		{ "approval A3 channel=agreement from=2026-10-01T00:00:00Z\n",
		  "sel.conf:1: approval A3 lacks until=" },
		{ APPR "select S1 approval=A1 ip-list=missing.txt\n",
		  "sel.conf:2: cannot open list missing.txt" },
		{ APPR "select S1 approval=A1 ip-list=badips.txt\n", "badips.txt:3: bad address '300.1.2.3'" },
		{ APPR "select S1 approval=A1 domain-list=badnames.txt\n",
		  "badnames.txt:2: bad line: one entry per line" },
		{ APPR "select S1 approval=A1 domain-list=badnames2.txt\n",
		  "badnames2.txt:2: bad domain 'foo..bar': empty label in name" },
		{ APPR "select S1 approval=A1 domain=exa$mple.com\n", "sel.conf:2: bad domain" },
		{ APPR "select S1 approval=A1 ja3=1234\n", "sel.conf:2: bad ja3" },
		{ APPR "select S1 approval=A1 ja4=t13d1516h2-8daaf6152771_e5627efa2ab1\n",
		  "sel.conf:2: bad ja4" },
		{ APPR "select S1 approval=A1 port=sctp/80\n", "sel.conf:2: bad port 'sctp/80'" },
		{ APPR "select S1 approval=A1 port=tcp/65536\n", "sel.conf:2: bad port" },
		{ APPR "select S1 approval=A1 port=tcp/0\n", "sel.conf:2: bad port" },
		{ APPR "select S1 approval=A1 match=http.cookie~/x/\n",
		  "sel.conf:2: unknown match field 'http.cookie'" },
		{ APPR "select S1 approval=A1 match=http.uri~/abc\n", "sel.conf:2: unterminated regex" },
		{ APPR "select S1 approval=A1 match=http.uri~/abc/x\n", "sel.conf:2: unknown regex flag 'x'" },
		{ APPR "select S1 approval=A1 match=http.uri~/a/i/\n", "sel.conf:2: unknown regex flag '/'" },
		/* a regex Hyperscan refuses: file:line of that pattern, Hyperscan's message */
		{ APPR "select S0 approval=A1 match=http.uri~/fine/\n"
		  "select S1 approval=A1 match=http.uri~/(unclosed/\n",
		  "sel.conf:3: bad regex: Missing close parenthesis" },
		/* a regex matching the empty string would select every value of the field */
		{ APPR "\nselect S1 approval=A1 match=tls.sni~/.*/\n",
		  "sel.conf:3: bad regex: Pattern matches empty buffer" },
		{ APPR "select bad/id approval=A1 ip=192.0.2.1\n", "sel.conf:2: bad selector ID 'bad/id'" },
		{ "approval A1 channel=agreement from=2026-10-01T00:00:00Z until=2027-10-01T00:00:00Z "
		  "channel=transit\n", "sel.conf:1: duplicate key channel=" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sel_set *s = sel_parse("sel.conf", cases[i].text, strlen(cases[i].text), lists,
					      sizeof(lists) / sizeof(lists[0]), err, sizeof(err));
		if (s || strncmp(err, cases[i].msg, strlen(cases[i].msg)) != 0) {
			print_error("case %zu: got %s, want \"%s\"\n", i, s ? "a set" : err,
				    cases[i].msg);
			sel_set_free(s);
			fail();
		}
		assert_null(strchr(err, '\n'));
	}
}

static void refuses_long_line_and_nul(void **state)
{
	char err[256];
	char *big = malloc(SEL_LINE_MAX + 100);
	struct sel_set *s;

	assert_non_null(big);
	memset(big, 'a', SEL_LINE_MAX + 99);
	big[0] = '#';
	big[SEL_LINE_MAX + 99] = '\n';
	s = sel_parse("x.conf", big, SEL_LINE_MAX + 100, NULL, 0, err, sizeof(err));
	assert_null(s);
	assert_string_equal(err, "x.conf:1: line too long (more than 8192 bytes)");
	free(big);

	static const char nul[] = "# ok\napproval A\0 x\n";
	s = sel_parse("x.conf", nul, sizeof(nul) - 1, NULL, 0, err, sizeof(err));
	assert_null(s);
	assert_string_equal(err, "x.conf:2: NUL byte in line");
}

/* --- a complete set ------------------------------------------------------------------- */

static const char good[] =
	"# sakimori selectors, test set\n"
	APPR
	"approval T1 channel=transit from=2026-10-01T00:00:00+09:00 until=2027-10-01T00:00:00+09:00\n"
	"approval P1 channel=specific from=2026-10-01T00:00:00Z until=2026-10-02T00:00:00Z "
	"facility=198.51.100.0/24,2001:db8:f::/48\n"
	"\r\n"
	"select ip-one approval=A1 ip=203.0.113.7\n"                         /* 0 */
	"select ip-pair approval=A1 ip=203.0.113.7 ip=192.0.2.0/24\n"         /* 1 */
	"select ip-list approval=A1 ip-list=ips.txt\n"                        /* 2 */
	"select dom-exact approval=A1 domain=Example.COM.\n"                  /* 3 */
	"select dom-sub approval=A1 domain=.evil.test\n"                      /* 4 */
	"select dom-list approval=A1 domain-list=names.txt\n"                 /* 5 */
	"select ja3 approval=A1 ja3=E7D705A3286E19EA42F587B344EE6865\n"       /* 6 */
	"select ja4 approval=A1 ja4=t13d1516h2_8daaf6152771_e5627efa2ab1\n"   /* 7 */
	"select c2-https approval=T1 port=tcp/443 domain=.c2.test   # trailing comment\n" /* 8 */
	"select ua approval=A1 match=http.user_agent~/sqlmap\\/[0-9]/i\n"    /* 9 */
	"select uri approval=A1 match=http.uri~/\\/wp-login\\.php\\?user=a b/\n" /* 10 */
	"select helo approval=P1 match=smtp.helo~/^mail[0-9]+\\.bad\\.test$/\n" /* 11 */
	"select dns approval=A1 port=udp/53 match=dns.qname~/^[a-z0-9]{30,}\\./\n"; /* 12 */

static struct sel_set *load_good(void)
{
	char err[256];
	struct sel_set *s = sel_parse("good.conf", good, strlen(good), lists,
				      sizeof(lists) / sizeof(lists[0]), err, sizeof(err));
	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	return s;
}

static struct sel_obs obs_fd(const char *src, const char *dst)
{
	struct sel_obs o;

	memset(&o, 0, sizeof(o));
	o.ts_us = T_IN;
	o.dir = DIR_FD;
	o.src = A(src);
	o.dst = A(dst);
	o.proto = 6;
	o.sport = 40000;
	o.dport = 80;
	return o;
}

/* The matching selector IDs, space-separated, in index order. */
static const char *hits(struct sel_set *s, struct sel_scratch *sc, const struct sel_obs *o)
{
	static char buf[512];
	uint64_t bits[4];
	size_t n, len = 0;
	const uint32_t *h;
	int r = sel_match(s, sc, o, bits);

	assert_true(r >= 0);
	h = sel_scratch_hits(sc, &n);
	assert_int_equal((size_t)r, n);
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		assert_true(bits[h[i] / 64] >> (h[i] % 64) & 1);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
					sel_id(s, h[i]));
	}
	/* the bitset holds exactly the hits */
	size_t pop = 0;
	for (size_t w = 0; w < sel_words(s); w++)
		pop += (size_t)__builtin_popcountll(bits[w]);
	assert_int_equal(pop, n);
	return buf;
}

static void set_accessors(void **state)
{
	struct sel_set *s = load_good();
	struct sel_stats st;

	assert_int_equal(sel_count(s), 13);
	assert_int_equal(sel_approval_count(s), 3);
	assert_string_equal(sel_id(s, 0), "ip-one");
	assert_string_equal(sel_id(s, 12), "dns");
	assert_null(sel_id(s, 13));
	assert_int_equal(sel_find(s, "c2-https"), 8);
	assert_int_equal(sel_find(s, "nope"), -1);
	assert_string_equal(sel_approval_of(s, 8)->id, "T1");
	assert_int_equal(sel_approval_of(s, 8)->channel, SEL_TRANSIT);
	assert_int_equal(sel_approval_of(s, 11)->channel, SEL_SPECIFIC);
	assert_int_equal(sel_approval_of(s, 11)->nfac, 2);
	assert_int_equal(sel_approval_at(s, 0)->channel, SEL_AGREEMENT);
	assert_true(sel_active(s, 0, T_IN));
	assert_false(sel_active(s, 0, T_FROM - 1));
	assert_false(sel_active(s, 0, T_UNTIL));
	/* P1 runs one day only, from midnight UTC */
	assert_false(sel_active(s, 11, T_FROM));                  /* 2026-09-30T15:00Z */
	assert_true(sel_active(s, 11, T_FROM + 9 * 3600000000ull)); /* 2026-10-01T00:00Z */
	assert_false(sel_active(s, 11, T_FROM + 33 * 3600000000ull));
	sel_stats(s, &st);
	assert_int_equal(st.selectors, 13);
	assert_int_equal(st.conditions, 16);
	assert_int_equal(st.ip_entries, 5);
	assert_int_equal(st.domains, 5);
	assert_int_equal(st.patterns, 4);
	assert_true(st.bytes > 0);
	sel_set_free(s);
}

static void matches_addresses(void **state)
{
	struct sel_set *s = load_good();
	struct sel_scratch *sc = sel_scratch_new();
	struct sel_obs o;

	assert_int_equal(sel_match(s, sc, &(struct sel_obs){ 0 }, NULL), -1); /* not fitted */
	assert_int_equal(sel_scratch_fit(sc, s), 0);

	o = obs_fd("203.0.113.7", "203.0.113.99");
	assert_string_equal(hits(s, sc, &o), "ip-one");
	o = obs_fd("203.0.113.99", "203.0.113.7");                 /* either endpoint */
	assert_string_equal(hits(s, sc, &o), "ip-one");
	o = obs_fd("203.0.113.7", "192.0.2.44");                   /* both ip= conditions */
	assert_string_equal(hits(s, sc, &o), "ip-one ip-pair");
	o = obs_fd("192.0.2.1", "203.0.113.7");                    /* and the list */
	assert_string_equal(hits(s, sc, &o), "ip-one ip-pair ip-list");
	o = obs_fd("198.51.100.200", "10.0.0.1");
	assert_string_equal(hits(s, sc, &o), "ip-list");
	o = obs_fd("198.51.101.1", "192.0.2.2");
	assert_string_equal(hits(s, sc, &o), "");
	o = obs_fd("::ffff:203.0.113.7", "2001:db8::1");            /* IPv4-mapped form */
	assert_string_equal(hits(s, sc, &o), "ip-one");

	/* eligibility filters matches: the same flow, 内内, unknown, 内外, or out of time */
	o = obs_fd("203.0.113.7", "192.0.2.44");
	o.dir = DIR_DD;
	assert_string_equal(hits(s, sc, &o), "");
	o.dir = DIR_UNKNOWN;
	assert_string_equal(hits(s, sc, &o), "");
	o.dir = DIR_DF;
	assert_string_equal(hits(s, sc, &o), "");
	o.dir = DIR_FD;
	o.ts_us = T_UNTIL;
	assert_string_equal(hits(s, sc, &o), "");
	o.ts_us = T_FROM;
	assert_string_equal(hits(s, sc, &o), "ip-one ip-pair");
	sel_scratch_free(sc);
	sel_set_free(s);
}

static void matches_names_and_fingerprints(void **state)
{
	struct sel_set *s = load_good();
	struct sel_scratch *sc = sel_scratch_new();
	struct sel_obs o = obs_fd("203.0.113.1", "192.0.2.200");

	assert_int_equal(sel_scratch_fit(sc, s), 0);
	o.field[SEL_F_TLS_SNI] = "example.com";
	assert_string_equal(hits(s, sc, &o), "dom-exact dom-list");
	o.field[SEL_F_TLS_SNI] = "www.example.com";               /* exact: no subdomains */
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_TLS_SNI] = NULL;
	o.field[SEL_F_HTTP_HOST] = "EXAMPLE.com.:8080";            /* case, trailing dot, port */
	assert_string_equal(hits(s, sc, &o), "dom-exact dom-list");
	o.field[SEL_F_HTTP_HOST] = "[2001:db8::1]:80";
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_HTTP_HOST] = NULL;
	o.field[SEL_F_DNS_QNAME] = "evil.test";                    /* .name: the name itself */
	assert_string_equal(hits(s, sc, &o), "dom-sub");
	o.field[SEL_F_DNS_QNAME] = "a.b.Evil.Test";               /* and below it */
	assert_string_equal(hits(s, sc, &o), "dom-sub");
	char longname[700];                                        /* long name, short suffix */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + sizeof(longname) - 11, ".evil.test", 11);
	longname[300] = '.';
	o.field[SEL_F_DNS_QNAME] = longname;
	assert_string_equal(hits(s, sc, &o), "dom-sub");
	o.field[SEL_F_DNS_QNAME] = "notevil.test";                 /* not a label boundary */
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_DNS_QNAME] = "evil.test.example";
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_DNS_QNAME] = "x.example.org";                /* from the list, .form */
	assert_string_equal(hits(s, sc, &o), "dom-list");
	o.field[SEL_F_DNS_QNAME] = NULL;
	o.names[0] = "example.org";
	o.nnames = 1;
	assert_string_equal(hits(s, sc, &o), "dom-list");
	o.nnames = 0;

	o.ja3 = "e7d705a3286e19ea42f587b344ee6865";
	assert_string_equal(hits(s, sc, &o), "ja3");
	o.ja3 = "e7d705a3286e19ea42f587b344ee6866";
	assert_string_equal(hits(s, sc, &o), "");
	o.ja3 = NULL;
	o.ja4 = "t13d1516h2_8daaf6152771_e5627efa2ab1";
	assert_string_equal(hits(s, sc, &o), "ja4");
	o.ja4 = NULL;

	/* port and domain together, under the transit approval: 外外 only */
	o.field[SEL_F_TLS_SNI] = "beacon.c2.test";
	o.dport = 443;
	assert_string_equal(hits(s, sc, &o), "");                  /* 外内: not transit */
	o.dir = DIR_FF;
	assert_string_equal(hits(s, sc, &o), "c2-https");
	o.dport = 8443;
	assert_string_equal(hits(s, sc, &o), "");
	o.sport = 443;                                             /* either endpoint */
	assert_string_equal(hits(s, sc, &o), "c2-https");
	o.proto = 17;                                              /* tcp/443 is not udp/443 */
	assert_string_equal(hits(s, sc, &o), "");
	sel_scratch_free(sc);
	sel_set_free(s);
}

static void matches_patterns(void **state)
{
	struct sel_set *s = load_good();
	struct sel_scratch *sc = sel_scratch_new();
	struct sel_obs o = obs_fd("203.0.113.1", "192.0.2.200");

	assert_int_equal(sel_scratch_fit(sc, s), 0);
	o.field[SEL_F_HTTP_USER_AGENT] = "SQLMap/1.7.2#stable (https://sqlmap.org)";
	assert_string_equal(hits(s, sc, &o), "ua");                /* /i */
	o.field[SEL_F_HTTP_USER_AGENT] = "sqlmap/dev";
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_HTTP_USER_AGENT] = NULL;
	o.field[SEL_F_HTTP_URI] = "/blog/wp-login.php?user=a b";   /* blank inside the regex */
	assert_string_equal(hits(s, sc, &o), "uri");
	o.field[SEL_F_HTTP_URI] = "/blog/wp-loginXphp?user=a b";
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_HTTP_URI] = NULL;

	/* a long DNS label over udp/53 */
	o.proto = 17;
	o.dport = 53;
	o.field[SEL_F_DNS_QNAME] = "aGVsbG8gd29ybGQgdGhpcyBpcyBleGZpbA.t.example";
	assert_string_equal(hits(s, sc, &o), "");                  /* upper case: no */
	o.field[SEL_F_DNS_QNAME] = "0123456789abcdef0123456789abcdef.t.example";
	assert_string_equal(hits(s, sc, &o), "dns");
	o.dport = 5353;
	assert_string_equal(hits(s, sc, &o), "");
	o.field[SEL_F_DNS_QNAME] = NULL;

	/* HELO under the specific approval: only with the facility as the foreign end */
	o.ts_us = T_FROM + 10 * 3600000000ull;
	o.field[SEL_F_SMTP_HELO] = "mail42.bad.test";
	assert_string_equal(hits(s, sc, &o), "");                  /* 203.0.113.1: no facility */
	o.src = A("198.51.100.25");                                /* also in ips.txt */
	assert_string_equal(hits(s, sc, &o), "ip-list helo");
	o.dir = DIR_DF;                                            /* foreign end is now dst */
	assert_string_equal(hits(s, sc, &o), "");
	o.dst = A("2001:db8:f::25");
	assert_string_equal(hits(s, sc, &o), "helo");
	o.ts_us = T_IN + 86400000000ull;                           /* P1 has expired */
	assert_string_equal(hits(s, sc, &o), "");
	sel_scratch_free(sc);
	sel_set_free(s);
}

/* A file of comments only is a valid, empty set: it selects nothing. */
static void empty_set_selects_nothing(void **state)
{
	static const char text[] = "# nothing approved yet\n\n   \n";
	char err[256];
	struct sel_set *s = sel_parse("e.conf", text, sizeof(text) - 1, NULL, 0, err, sizeof(err));
	struct sel_scratch *sc = sel_scratch_new();
	struct sel_obs o = obs_fd("203.0.113.7", "192.0.2.1");

	assert_non_null(s);
	assert_int_equal(sel_count(s), 0);
	assert_int_equal(sel_scratch_fit(sc, s), 0);
	o.field[SEL_F_TLS_SNI] = "example.com";
	assert_int_equal(sel_match(s, sc, &o, NULL), 0);
	sel_scratch_free(sc);
	sel_set_free(s);
}

/* Two scratches, two sets: a scratch must be fitted to the set it is used with. */
static void scratch_follows_reload(void **state)
{
	struct sel_set *a = load_good(), *b = load_good();
	struct sel_scratch *sc = sel_scratch_new();
	struct sel_obs o = obs_fd("203.0.113.7", "1.1.1.1");

	assert_int_equal(sel_scratch_fit(sc, a), 0);
	assert_int_equal(sel_match(a, sc, &o, NULL), 1);
	assert_int_equal(sel_match(b, sc, &o, NULL), -1);
	assert_int_equal(sel_scratch_fit(sc, b), 0);
	assert_int_equal(sel_match(b, sc, &o, NULL), 1);
	sel_scratch_free(sc);
	sel_set_free(a);
	sel_set_free(b);
}

/* --- the matchers on their own -------------------------------------------------------- */

static void ipset_flattens_overlaps(void **state)
{
	struct ipset_builder *b = ipset_builder_new();
	struct ipset *s;
	struct sk_addr net;
	unsigned plen;
	static const struct { const char *p; uint32_t tag; } add[] = {
		{ "10.0.0.0/8", 1 }, { "10.1.0.0/16", 2 }, { "10.1.2.3", 3 }, { "10.1.2.3", 1 },
		{ "10.1.0.0/16", 4 }, { "10.255.255.255", 5 }, { "0.0.0.0/1", 6 },
		{ "2001:db8::/32", 7 }, { "2001:db8:1::/48", 8 }, { "2001:db8:1::1", 9 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", 10 }, { "255.255.255.255", 11 },
	};
	static const struct { const char *a; const char *tags; } want[] = {
		{ "10.0.0.1", "1 6" }, { "10.1.0.0", "1 2 4 6" }, { "10.1.2.3", "1 2 3 4 6" },
		{ "10.1.255.255", "1 2 4 6" }, { "10.2.0.0", "1 6" }, { "10.255.255.255", "1 5 6" },
		{ "11.0.0.0", "6" }, { "9.255.255.255", "6" }, { "128.0.0.0", "" },
		{ "255.255.255.255", "11" }, { "0.0.0.0", "6" },
		{ "2001:db8::1", "7" }, { "2001:db8:1::1", "7 8 9" }, { "2001:db8:1::2", "7 8" },
		{ "2001:db9::", "" }, { "2001:db7:ffff::", "" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "10" }, { "::1", "" },
	};

	assert_non_null(b);
	for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
		assert_int_equal(addr_parse_prefix(&net, &plen, add[i].p), 0);
		assert_int_equal(ipset_builder_add(b, &net, plen, add[i].tag), 0);
	}
	s = ipset_build(b);
	assert_non_null(s);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct sk_addr a = A(want[i].a);
		size_t n;
		const uint32_t *t = ipset_tags(s, ipset_lookup(s, &a), &n);
		char buf[128] = "";
		size_t len = 0;
		for (size_t k = 0; k < n; k++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%u", k ? " " : "", t[k]);
		if (strcmp(buf, want[i].tags) != 0) {
			print_error("%s: got '%s' want '%s'\n", want[i].a, buf, want[i].tags);
			fail();
		}
	}
	ipset_free(s);

	/* ::/0 covers the IPv4-mapped space too */
	b = ipset_builder_new();
	assert_int_equal(addr_parse_prefix(&net, &plen, "::/0"), 0);
	assert_int_equal(ipset_builder_add(b, &net, plen, 1), 0);
	s = ipset_build(b);
	struct sk_addr v4 = A("192.0.2.1"), v6 = A("2001:db8::1");
	assert_int_not_equal(ipset_lookup(s, &v4), 0);
	assert_int_not_equal(ipset_lookup(s, &v6), 0);
	ipset_free(s);
}

static void count_hit(void *ctx, const uint32_t *tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		*(uint64_t *)ctx |= 1ull << tags[i];
}

static void domset_suffixes(void **state)
{
	struct domset_builder *b = domset_builder_new();
	struct domset *s;
	const char *why;
	uint64_t got;

	assert_int_equal(domset_builder_add(b, "example.com", 11, 1, &why), 0);
	assert_int_equal(domset_builder_add(b, ".example.com", 12, 2, &why), 0);
	assert_int_equal(domset_builder_add(b, ".com", 4, 3, &why), 0);
	assert_int_equal(domset_builder_add(b, "A.Example.Com.", 14, 4, &why), 0);
	assert_int_equal(domset_builder_add(b, ".example.com", 12, 5, &why), 0);
	assert_int_equal(domset_builder_add(b, "", 0, 6, &why), -1);
	assert_int_equal(domset_builder_add(b, ".", 1, 6, &why), -1);
	assert_int_equal(domset_builder_add(b, "a..b", 4, 6, &why), -1);
	s = domset_build(b);
	assert_non_null(s);

#define LOOK(n) (got = 0, domset_lookup(s, n, strlen(n), count_hit, &got), got)
	assert_int_equal(LOOK("example.com"), 1 << 1 | 1 << 2 | 1 << 3 | 1 << 5);
	assert_int_equal(LOOK("a.example.com"), 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5);
	assert_int_equal(LOOK("A.EXAMPLE.COM."), 1 << 2 | 1 << 3 | 1 << 4 | 1 << 5);
	assert_int_equal(LOOK("b.a.example.com"), 1 << 2 | 1 << 3 | 1 << 5);
	assert_int_equal(LOOK("xexample.com"), 1 << 3);
	assert_int_equal(LOOK("com"), 1 << 3);
	assert_int_equal(LOOK("com.org"), 0);
	assert_int_equal(LOOK(""), 0);
	assert_int_equal(LOOK("."), 0);
#undef LOOK
	/* a 600-character name ending in .com still finds ".com" (its suffixes are short) */
	char big[601];
	memset(big, 'a', 596);
	memcpy(big + 596, ".com", 5);
	got = 0;
	domset_lookup(s, big, 600, count_hit, &got);
	assert_int_equal(got, 1 << 3);
	domset_free(s);
}

/* --- loading from disk: list paths relative to the selector file ------------------------ */

static void loads_from_disk(void **state)
{
	char dir[64], path[256], err[512];
	const char *tmp = getenv("TMPDIR");
	struct sel_set *s;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/sk-select-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/ips.txt", dir);
	f = fopen(path, "w");
	fputs("192.0.2.9\n2001:db8::/48\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/bad.txt", dir);
	f = fopen(path, "w");
	fputs("192.0.2.9\n\n192.0.2.x\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/sel.conf", dir);
	f = fopen(path, "w");
	fputs(APPR "select L approval=A1 ip-list=ips.txt\n", f);
	fclose(f);
	s = sel_load(path, err, sizeof(err));
	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	struct sel_scratch *sc = sel_scratch_new();
	assert_int_equal(sel_scratch_fit(sc, s), 0);
	struct sel_obs o = obs_fd("2001:db8::77", "192.0.2.1");
	assert_string_equal(hits(s, sc, &o), "L");
	sel_scratch_free(sc);
	sel_set_free(s);

	f = fopen(path, "w");
	fputs(APPR "select L approval=A1 ip-list=bad.txt\n", f);
	fclose(f);
	s = sel_load(path, err, sizeof(err));
	assert_null(s);
	char want[300];
	snprintf(want, sizeof(want), "%s/bad.txt:3: bad address '192.0.2.x'", dir);
	assert_string_equal(err, want);

	snprintf(want, sizeof(want), "%s/none.conf", dir);
	s = sel_load(want, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "none.conf:0: cannot open"));

	snprintf(path, sizeof(path), "%s/ips.txt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/bad.txt", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/sel.conf", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_rfc3339),
		cmocka_unit_test(eligibility_by_channel),
		cmocka_unit_test(eligibility_by_time),
		cmocka_unit_test(refuses_bad_files),
		cmocka_unit_test(refuses_long_line_and_nul),
		cmocka_unit_test(set_accessors),
		cmocka_unit_test(matches_addresses),
		cmocka_unit_test(matches_names_and_fingerprints),
		cmocka_unit_test(matches_patterns),
		cmocka_unit_test(scratch_follows_reload),
		cmocka_unit_test(empty_set_selects_nothing),
		cmocka_unit_test(ipset_flattens_overlaps),
		cmocka_unit_test(domset_suffixes),
		cmocka_unit_test(loads_from_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

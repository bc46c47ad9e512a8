/*
 * flow.c — the selected-flow table (see flow.h).
 *
 * Layout: a power-of-two array of hash chains, keyed by the packet's pair hash (struct
 * pkt.pair_hash: pairhash() under the process's secret key, computed once by the decoder;
 * both directions find the same flow, a hostile sender cannot aim at one chain); and a doubly
 * linked list in order of last packet (head = most recent) for idle expiry and eviction.
 *
 * Records. The mechanical information of a flow is kept as JSON text from the moment it is
 * extracted, one bounded buffer per kind:
 *
 *     dns   {"qname":..},{..}      (entries, comma-separated; at most FLOW_MAX_DNS)
 *     http  {"method":..},{..}     (at most FLOW_MAX_HTTP)
 *     tls   {"sni":..,"ja4":..}    (the first ClientHello)
 *     helo, mail_from  "..."       (empty: null)      rcpt  "..","..": at most FLOW_MAX_RCPT
 *
 * and the record line is written around them, at emission, into the table's line buffer.
 * The text is byte for byte what jansson's json_dumps(JSON_COMPACT | JSON_PRESERVE_ORDER)
 * gives for the same values (the form records had when they were built as jansson values):
 * keys in insertion order; strings escaped as jansson does (\" \\ \b \f \n \r \t, other
 * control characters \u00XX upper-case, everything else, UTF-8 included, as is); and a string
 * that is not valid UTF-8 handled as json_string() handles it: null where it is a value, left
 * out where it is an array element. Writing the text directly costs a tenth of building and
 * dumping jansson values (callgrind: 76,000 instructions per record before).
 *
 * What the writer knows it writes without the escaper: keys (constants, as one copy of
 * ",\"key\":"), numbers (two digits at a time), times, addresses and the names of channels,
 * directions and protocols (plain ASCII by construction). Strings from elsewhere (selector
 * and approval ids, country codes, everything the extractors found) go through jb_str, which
 * reserves the worst case once and copies clean 8-byte words whole.
 *
 * Every buffer has a cap (JB_META_MAX per kind and flow, JB_LINE_MAX for the line); an entry
 * that does not fit is dropped and counted (dropped_meta). Buffers are wiped before they are
 * grown or freed, the line buffer after each record is handed to emit, and a flow's memory
 * when it is released.
 */
#include "select/flow.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JB_META_MAX ((size_t)1 << 20)   /* one kind of meta of one flow */
#define JB_LINE_MAX ((size_t)1 << 24)   /* one record line */

/* A bounded, wiping text buffer. A failed write sets bad; later writes do nothing. */
struct jbuf {
	char *p;                /* From malloc(); wiped before it is grown or freed */
	size_t len, cap, max;
	bool bad;
};

struct flow {
	struct flow *hnext;
	struct flow *lprev, *lnext;
	uint64_t hash;

	uint8_t proto;
	struct sk_addr src, dst;
	uint16_t sport, dport;
	struct geo_info gs, gd;
	enum direction dir;

	uint64_t ts_first, ts_last, packets, bytes;
	uint8_t fin;            /* bit 0: src sent FIN, bit 1: dst sent FIN */

	uint32_t nsel;
	uint32_t *sel;          /* selector indices, ascending */

	/* mechanical information as JSON text (see the notes at the top) */
	struct jbuf dns, http, tls, helo, mail_from, rcpt;
	uint32_t ndns, nhttp, nrcpt;
	bool smtp;              /* the record has an "smtp" object */
};

/* The date of the last day a record's time fell on ("YYYY-MM-DD"). */
struct day_memo {
	uint64_t days;          /* since 1970-01-01 */
	char date[10];
	bool set;
};

struct flow_table {
	const struct sel_set *set;
	struct flow_limits lim;
	flow_emit_cb emit;
	void *ctx;

	struct flow **buckets;
	size_t nbuckets;        /* power of two */
	size_t nflows;
	struct flow *head, *tail;

	uint64_t *sel_packets, *sel_flows;
	struct flow_counts c;
	struct jbuf line;       /* the record being written; wiped after each emit */
	struct day_memo day;    /* for put_time */
};

/* ---- JSON text ------------------------------------------------------------------------- */

static void jb_init(struct jbuf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

static void jb_free(struct jbuf *b)
{
	if (b->p) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
	b->bad = false;
}

/* Grow so that n more bytes fit (never past max), by copy and wipe, not realloc. */
static bool jb_grow(struct jbuf *b, size_t n)
{
	size_t ncap;
	char *q;

	if (n > b->max - b->len) {
		b->bad = true;
		return false;
	}
	ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < n)
		ncap *= 2;
	if (ncap > b->max)
		ncap = b->max;
	q = malloc(ncap);
	if (!q) {
		b->bad = true;
		return false;
	}
	if (b->len)
		memcpy(q, b->p, b->len);
	if (b->p) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = q;
	b->cap = ncap;
	return true;
}

static inline bool jb_room(struct jbuf *b, size_t n)
{
	if (b->bad)
		return false;
	return n <= b->cap - b->len || jb_grow(b, n);
}

static inline void jb_put(struct jbuf *b, const char *s, size_t n)
{
	if (n && jb_room(b, n)) {   /* n == 0: s may be an empty buffer's NULL */
		memcpy(b->p + b->len, s, n);
		b->len += n;
	}
}

#define jb_lit(b, s) jb_put((b), (s), sizeof(s) - 1)

static inline void jb_ch(struct jbuf *b, char c)
{
	if (jb_room(b, 1))
		b->p[b->len++] = c;
}

/* Take back what was written after len, wiping it; bad stays as it is. */
static void jb_trunc(struct jbuf *b, size_t len)
{
	if (b->p && b->len > len)
		sodium_memzero(b->p + len, b->len - len);
	if (b->len > len)
		b->len = len;
}

/* Undo writes back to len and clear bad. */
static void jb_cut(struct jbuf *b, size_t len)
{
	jb_trunc(b, len);
	b->bad = false;
}

static const char digits2[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
			      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
			      "8081828384858687888990919293949596979899";

/* Two decimal digits of v (< 100) at p. */
static inline void put2(char *p, unsigned v)
{
	memcpy(p, digits2 + 2 * v, 2);
}

static inline unsigned dec_len(uint64_t v)
{
	unsigned n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

/* The decimal digits of v, ending just before end. */
static inline void put_dec(char *end, uint64_t v)
{
	while (v >= 100) {
		end -= 2;
		put2(end, (unsigned)(v % 100));
		v /= 100;
	}
	if (v >= 10)
		put2(end - 2, (unsigned)v);
	else
		end[-1] = (char)('0' + v);
}

static void jb_uint(struct jbuf *b, uint64_t v)
{
	unsigned n = dec_len(v);

	if (!jb_room(b, n))
		return;
	put_dec(b->p + b->len + n, v);
	b->len += n;
}

/* Text that needs no escaping (known to be printable ASCII without '"' or '\\'), quoted. */
static void jb_plain(struct jbuf *b, const char *s, size_t n)
{
	if (!jb_room(b, n + 2))
		return;
	b->p[b->len] = '"';
	memcpy(b->p + b->len + 1, s, n);
	b->p[b->len + 1 + n] = '"';
	b->len += n + 2;
}

/* Length of the valid UTF-8 sequence at s[0..left), 0 if there is none: jansson's
 * utf8_check_first / utf8_check_full, which decide what json_string() accepts. */
static size_t utf8_seq(const unsigned char *s, size_t left)
{
	unsigned char u = s[0];
	size_t n;
	uint32_t v;

	if (u >= 0xC2 && u <= 0xDF)
		n = 2, v = u & 0x1F;
	else if (u >= 0xE0 && u <= 0xEF)
		n = 3, v = u & 0x0F;
	else if (u >= 0xF0 && u <= 0xF4)
		n = 4, v = u & 0x07;
	else
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
	    (n == 4 && v < 0x10000))
		return 0;
	return n;
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Does any of the 8 bytes need a look: non-ASCII, a control character, '"' or '\\'? */
static inline bool word_special(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');

	return ((w | ((w - ONES * 0x20) & ~w) | ((q - ONES) & ~q) | ((bs - ONES) & ~bs)) & HIGHS) != 0;
}

/* The escape of c (a control character, '"' or '\\') at o; returns its length. */
static size_t put_esc(char *o, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	o[0] = '\\';
	switch (c) {
	case '"': o[1] = '"'; return 2;
	case '\\': o[1] = '\\'; return 2;
	case '\b': o[1] = 'b'; return 2;
	case '\f': o[1] = 'f'; return 2;
	case '\n': o[1] = 'n'; return 2;
	case '\r': o[1] = 'r'; return 2;
	case '\t': o[1] = 't'; return 2;
	}
	o[1] = 'u';
	o[2] = '0';
	o[3] = '0';
	o[4] = hex[c >> 4];
	o[5] = hex[c & 15];
	return 6;
}

/* jb_str for a buffer that cannot take the worst case at once (or is bad already): the same
 * text, written run by run. */
static bool jb_str_slow(struct jbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0, mark = b->len;

	jb_ch(b, '"');
	while (i < n) {
		if (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!word_special(w)) {
				i += 8;
				continue;
			}
		}
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);
			if (!k) {
				jb_trunc(b, mark);
				return false;
			}
			i += k;
			continue;
		}
		if (c >= 0x20 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		char esc[6];
		size_t en = put_esc(esc, c);

		jb_put(b, (const char *)s + run, i - run);
		jb_put(b, esc, en);
		run = ++i;
	}
	jb_put(b, (const char *)s + run, n - run);
	jb_ch(b, '"');
	return true;
}

/* The string s[0..n) quoted and escaped as jansson's compact dump does; false (nothing
 * written) if it is not valid UTF-8, where json_string() would have given NULL. Room for
 * the worst case (every byte \u00XX) is made first, so the loop writes without checks. */
static bool jb_str_n(struct jbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, mark = b->len, need;
	char *o;

	if (b->bad || n > (b->max - 2) / 6)
		return jb_str_slow(b, str, n);
	need = 6 * n + 2;
	if (need > b->max - b->len)
		return jb_str_slow(b, str, n);
	if (need > b->cap - b->len && !jb_grow(b, need)) {
		b->bad = false;   /* it was not bad before: leave it to the slow path */
		return jb_str_slow(b, str, n);
	}
	o = b->p + b->len;
	*o++ = '"';
	while (i < n) {
		if (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!word_special(w)) {
				memcpy(o, &w, 8);
				o += 8;
				i += 8;
				continue;
			}
		}
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			*o++ = (char)c;
			i++;
		} else if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);
			if (!k) {
				b->len = (size_t)(o - b->p);
				jb_trunc(b, mark);   /* wipes what was written */
				return false;
			}
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			o += put_esc(o, c);
			i++;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->p);
	return true;
}

static bool jb_str(struct jbuf *b, const char *str)
{
	return jb_str_n(b, str, strlen(str));
}

/* A string value: the string, or null where json_string() would refuse it. */
static void jb_val(struct jbuf *b, const char *s)
{
	if (!s || !jb_str(b, s))
		jb_lit(b, "null");
}

/* An array element: the string, or nothing where json_string() would refuse it.
 * *first tracks the comma. */
static void jb_elem(struct jbuf *b, const char *s, bool *first)
{
	size_t mark = b->len;

	if (!*first)
		jb_ch(b, ',');
	if (jb_str(b, s))
		*first = false;
	else
		jb_trunc(b, mark);
}

/* ,"key": and (the first of an object) "key": — keys are constants: one copy of a literal. */
#define jb_key(b, key) jb_lit((b), ",\"" key "\":")
#define jb_key1(b, key) jb_lit((b), "\"" key "\":")

static void wiping_free(void *p)
{
	if (!p)
		return;
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

struct flow_table *flow_table_new(const struct sel_set *set, const struct flow_limits *limits,
				  flow_emit_cb emit, void *ctx)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	size_t nsel = sel_count(set);

	if (!t)
		return NULL;
	if (sodium_init() < 0)
		goto err;
	json_set_alloc_funcs(malloc, wiping_free);
	t->set = set;
	t->lim.max_flows = limits && limits->max_flows ? limits->max_flows : 262144;
	t->lim.idle_us = limits && limits->idle_us ? limits->idle_us : 60ULL * 1000000;
	t->emit = emit;
	t->ctx = ctx;
	jb_init(&t->line, JB_LINE_MAX);
	t->nbuckets = 1024;
	while (t->nbuckets < t->lim.max_flows)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->sel_packets = calloc(nsel ? nsel : 1, sizeof(uint64_t));
	t->sel_flows = calloc(nsel ? nsel : 1, sizeof(uint64_t));
	if (!t->buckets || !t->sel_packets || !t->sel_flows)
		goto err;
	return t;
err:
	free(t->buckets);
	free(t->sel_packets);
	free(t->sel_flows);
	free(t);
	return NULL;
}

static bool flow_is(const struct flow *f, const struct pkt *p)
{
	if (f->proto != p->proto)
		return false;
	if (f->sport == p->sport && f->dport == p->dport && addr_eq(&f->src, &p->src) &&
	    addr_eq(&f->dst, &p->dst))
		return true;
	return f->sport == p->dport && f->dport == p->sport && addr_eq(&f->src, &p->dst) &&
	       addr_eq(&f->dst, &p->src);
}

static uint16_t port_of(const struct pkt *p, bool src)
{
	if (!p->has_l4)
		return 0;
	return src ? p->sport : p->dport;
}

struct flow *flow_find(struct flow_table *t, const struct pkt *p)
{
	if (!t->nflows)
		return NULL;
	uint64_t h = pkt_pair_hash(p);   /* hashed once, by the decoder */
	for (struct flow *f = t->buckets[h & (t->nbuckets - 1)]; f; f = f->hnext)
		if (f->hash == h && flow_is(f, p))
			return f;
	return NULL;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		t->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		t->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_push(struct flow_table *t, struct flow *f)
{
	f->lnext = t->head;
	f->lprev = NULL;
	if (t->head)
		t->head->lprev = f;
	t->head = f;
	if (!t->tail)
		t->tail = f;
}

static const char *channel_name(enum sel_channel c)
{
	switch (c) {
	case SEL_AGREEMENT: return "agreement";
	case SEL_TRANSIT: return "transit";
	case SEL_SPECIFIC: return "specific";
	}
	return "unknown";
}

static const char *proto_name(uint8_t proto, char buf[8])
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	}
	snprintf(buf, 8, "%u", proto);
	return buf;
}

/* Days since 1970-01-01 to year, month, day (proleptic Gregorian; H. Hinnant's
 * civil_from_days), for days >= 0. */
static void civil_from_days(uint64_t days, unsigned *y, unsigned *m, unsigned *d)
{
	uint64_t z = days + 719468, era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)(yoe + era * 400) + (*m <= 2);
}

#define TIME_FAST_END (2932897ull * 86400 * 1000000)   /* 10000-01-01 in microseconds */

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" and a NUL (28 bytes) at buf, for us < TIME_FAST_END. The
 * date of the last day seen is kept in *memo (may be NULL): a record's two times, and
 * records one after the other, mostly fall on the same day. */
static void time_text(uint64_t us, char *buf, struct day_memo *memo)
{
	uint64_t s = us / 1000000, days = s / 86400;
	unsigned sod = (unsigned)(s - days * 86400), frac = (unsigned)(us - s * 1000000);

	if (memo && memo->set && memo->days == days) {
		memcpy(buf, memo->date, 10);
	} else {
		unsigned y, mo, d;

		civil_from_days(days, &y, &mo, &d);
		put2(buf, y / 100);
		put2(buf + 2, y % 100);
		buf[4] = '-';
		put2(buf + 5, mo);
		buf[7] = '-';
		put2(buf + 8, d);
		if (memo) {
			memcpy(memo->date, buf, 10);
			memo->days = days;
			memo->set = true;
		}
	}
	buf[10] = 'T';
	put2(buf + 11, sod / 3600);
	buf[13] = ':';
	put2(buf + 14, sod / 60 % 60);
	buf[16] = ':';
	put2(buf + 17, sod % 60);
	buf[19] = '.';
	put2(buf + 20, frac / 10000);
	put2(buf + 22, frac / 100 % 100);
	put2(buf + 24, frac % 100);
	buf[26] = 'Z';
	buf[27] = '\0';
}

/* The same text as gmtime_r + snprintf below, without either (they cost 3,900 instructions
 * a call, two per record); years past 9999 take the slow path. */
char *flow_format_time(uint64_t us, char *buf)
{
	if (us < TIME_FAST_END) {
		time_text(us, buf, NULL);
		return buf;
	}

	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, FLOW_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000));
	return buf;
}

/* A time as a JSON string (digits and punctuation: nothing to escape). */
static void put_time(struct flow_table *t, struct jbuf *b, uint64_t us)
{
	char tbuf[FLOW_TIME_LEN];

	if (us >= TIME_FAST_END) {
		flow_format_time(us, tbuf);
		jb_plain(b, tbuf, strlen(tbuf));
		return;
	}
	if (!jb_room(b, 29))
		return;
	b->p[b->len] = '"';
	time_text(us, b->p + b->len + 1, &t->day);
	b->p[b->len + 28] = '"';   /* over time_text's NUL */
	b->len += 29;
}

/* An address as a JSON string: addr_format's text (digits, hex, '.' and ':', nothing to
 * escape), IPv4 written here (inet_ntop prints each octet with sprintf, 1,900 instructions
 * an address), IPv6 by addr_format. */
static void put_addr(struct jbuf *b, const struct sk_addr *a)
{
	char *o;

	if (!addr_is_v4(a)) {
		char abuf[SK_ADDR_STRLEN];

		addr_format(a, abuf);
		jb_plain(b, abuf, strlen(abuf));
		return;
	}
	if (!jb_room(b, 17))   /* "255.255.255.255" */
		return;
	o = b->p + b->len;
	*o++ = '"';
	for (int i = 12; i < 16; i++) {
		unsigned v = a->b[i];
		if (v >= 100) {
			*o++ = (char)('0' + v / 100);
			put2(o, v % 100);
			o += 2;
		} else if (v >= 10) {
			put2(o, v);
			o += 2;
		} else {
			*o++ = (char)('0' + v);
		}
		*o++ = i < 15 ? '.' : '"';
	}
	b->len = (size_t)(o - b->p);
}

/* A JSON array's entries (comma-separated text), after its key. */
static void put_array(struct jbuf *b, const struct jbuf *entries)
{
	jb_ch(b, '[');
	jb_put(b, entries->p, entries->len);
	jb_ch(b, ']');
}

/* The record of f into t->line, keys in the order of flow.h. */
static void build_record(struct flow_table *t, const struct flow *f)
{
	struct jbuf *b = &t->line;
	const char *channel = NULL, *dir = direction_name(f->dir), *proto;
	char pbuf[8];
	bool first;

	jb_lit(b, "{\"ts_first\":");
	put_time(t, b, f->ts_first);
	jb_key(b, "ts_last");
	put_time(t, b, f->ts_last);

	jb_key(b, "selectors");
	jb_ch(b, '[');
	first = true;
	for (uint32_t i = 0; i < f->nsel; i++)
		jb_elem(b, sel_id(t->set, f->sel[i]), &first);
	jb_ch(b, ']');
	jb_key(b, "approvals");
	jb_ch(b, '[');
	first = true;
	for (uint32_t i = 0; i < f->nsel; i++) {
		const struct sel_approval *a = sel_approval_of(t->set, f->sel[i]);
		bool seen = false;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = !strcmp(sel_approval_of(t->set, f->sel[j])->id, a->id);
		if (!seen)
			jb_elem(b, a->id, &first);
		if (!channel)
			channel = channel_name(a->channel);
		else if (strcmp(channel, channel_name(a->channel)) != 0)
			channel = "mixed";
	}
	jb_ch(b, ']');

	/* channel, direction and proto: names of ours, plain ASCII */
	if (!channel)
		channel = "unknown";
	jb_key(b, "channel");
	jb_plain(b, channel, strlen(channel));
	jb_key(b, "direction");
	jb_plain(b, dir, strlen(dir));
	jb_key(b, "proto");
	proto = proto_name(f->proto, pbuf);
	jb_plain(b, proto, strlen(proto));
	jb_key(b, "src_ip");
	put_addr(b, &f->src);
	jb_key(b, "src_port");
	jb_uint(b, f->sport);
	jb_key(b, "dst_ip");
	put_addr(b, &f->dst);
	jb_key(b, "dst_port");
	jb_uint(b, f->dport);
	jb_key(b, "src_cc");
	jb_val(b, f->gs.cc[0] ? f->gs.cc : NULL);
	jb_key(b, "dst_cc");
	jb_val(b, f->gd.cc[0] ? f->gd.cc : NULL);
	jb_key(b, "src_asn");
	jb_uint(b, f->gs.asn);
	jb_key(b, "dst_asn");
	jb_uint(b, f->gd.asn);
	jb_key(b, "packets");
	jb_uint(b, f->packets);
	jb_key(b, "bytes");
	jb_uint(b, f->bytes);
	if (f->ndns || f->dns.len) {
		jb_key(b, "dns");
		put_array(b, &f->dns);
	}
	if (f->tls.len) {
		jb_key(b, "tls");
		jb_put(b, f->tls.p, f->tls.len);
	}
	if (f->nhttp || f->http.len) {
		jb_key(b, "http");
		put_array(b, &f->http);
	}
	if (f->smtp) {
		jb_key(b, "smtp");
		jb_ch(b, '{');
		jb_key1(b, "helo");
		if (f->helo.len)
			jb_put(b, f->helo.p, f->helo.len);
		else
			jb_lit(b, "null");
		jb_key(b, "mail_from");
		if (f->mail_from.len)
			jb_put(b, f->mail_from.p, f->mail_from.len);
		else
			jb_lit(b, "null");
		jb_key(b, "rcpt_to");
		put_array(b, &f->rcpt);
		jb_ch(b, '}');
	}
	jb_ch(b, '}');
}

/* Unlink, emit (if emit), wipe and free a flow. */
static void flow_release(struct flow_table *t, struct flow *f, bool emit)
{
	struct flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	lru_unlink(t, f);
	t->nflows--;

	if (emit && t->emit) {
		build_record(t, f);
		if (!t->line.bad)
			t->emit(t->ctx, t->line.p, t->line.len);
		jb_cut(&t->line, 0);   /* wiped */
		t->c.emitted++;
	}
	jb_free(&f->dns);
	jb_free(&f->http);
	jb_free(&f->tls);
	jb_free(&f->helo);
	jb_free(&f->mail_from);
	jb_free(&f->rcpt);
	if (f->sel)
		sodium_memzero(f->sel, f->nsel * sizeof(*f->sel));
	free(f->sel);
	sodium_memzero(f, sizeof(*f));
	free(f);
}

struct flow *flow_create(struct flow_table *t, const struct pkt *p, const struct geo_info *gs,
			 const struct geo_info *gd, enum direction dir, const uint32_t *sel, size_t n)
{
	struct flow *f;

	if (t->nflows >= t->lim.max_flows && t->tail) {
		t->c.evicted++;
		flow_release(t, t->tail, true);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->proto = p->proto;
	f->src = p->src;
	f->dst = p->dst;
	f->sport = port_of(p, true);
	f->dport = port_of(p, false);
	f->gs = *gs;
	f->gd = *gd;
	f->dir = dir;
	f->ts_first = f->ts_last = p->ts_us;
	f->hash = pkt_pair_hash(p);   /* (proto, src, sport, dst, dport) as set above */
	jb_init(&f->dns, JB_META_MAX);
	jb_init(&f->http, JB_META_MAX);
	jb_init(&f->tls, JB_META_MAX);
	jb_init(&f->helo, JB_META_MAX);
	jb_init(&f->mail_from, JB_META_MAX);
	jb_init(&f->rcpt, JB_META_MAX);
	size_t b = f->hash & (t->nbuckets - 1);
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	lru_push(t, f);
	t->nflows++;
	t->c.created++;
	flow_add_selectors(t, f, sel, n);
	return f;
}

void flow_add_selectors(struct flow_table *t, struct flow *f, const uint32_t *sel, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t s = sel[i], j;
		for (j = 0; j < f->nsel && f->sel[j] < s; j++)
			;
		if (j < f->nsel && f->sel[j] == s)
			continue;
		uint32_t *grown = realloc(f->sel, (f->nsel + 1) * sizeof(*grown));
		if (!grown)
			return;
		f->sel = grown;
		memmove(f->sel + j + 1, f->sel + j, (f->nsel - j) * sizeof(*f->sel));
		f->sel[j] = s;
		f->nsel++;
		t->sel_flows[s]++;
	}
}

bool flow_eligible(const struct flow_table *t, const struct flow *f, const struct pkt *p,
		   enum direction dir)
{
	for (uint32_t i = 0; i < f->nsel; i++)
		if (sel_eligible(sel_approval_of(t->set, f->sel[i]), dir, p->ts_us, &p->src, &p->dst))
			return true;
	return false;
}

void flow_packet(struct flow_table *t, struct flow *f, const struct pkt *p, bool eligible)
{
	bool from_src = addr_eq(&p->src, &f->src) && port_of(p, true) == f->sport;

	if (eligible) {
		f->packets++;
		f->bytes += p->wirelen;
		f->ts_last = p->ts_us;
		for (uint32_t i = 0; i < f->nsel; i++)
			t->sel_packets[f->sel[i]]++;
		lru_unlink(t, f);
		lru_push(t, f);
	}
	if (p->proto != 6 || !p->has_l4)
		return;
	if (p->tcp_flags & TCPF_RST) {
		t->c.ended++;
		flow_release(t, f, true);
		return;
	}
	/* After FIN from both sides the flow ends with the ACK of the last FIN, so that ACK
	 * belongs to this record instead of opening a new flow; a capture that ends before it,
	 * or an ACK that never comes, ends the flow at the input's end or the idle timeout. */
	if (f->fin == 3 && !(p->tcp_flags & TCPF_FIN) && (p->tcp_flags & TCPF_ACK)) {
		t->c.ended++;
		flow_release(t, f, true);
		return;
	}
	if (p->tcp_flags & TCPF_FIN)
		f->fin |= from_src ? 1 : 2;
}

/* Count an entry that did not fit (undoing what of it was written), or keep it. */
static bool entry_done(struct flow_table *t, struct jbuf *b, size_t mark)
{
	if (!b->bad)
		return true;
	jb_cut(b, mark);
	t->c.dropped_meta++;
	return false;
}

static void dns_add(struct flow_table *t, struct flow *f, const struct dns_msg *m)
{
	struct jbuf *b = &f->dns;
	size_t mark = b->len;
	bool first = true;

	if (f->ndns >= FLOW_MAX_DNS) {
		t->c.dropped_meta++;
		return;
	}
	if (f->ndns)
		jb_ch(b, ',');
	jb_ch(b, '{');
	jb_key1(b, "qname");
	jb_val(b, m->qname);
	jb_key(b, "qtype");
	jb_uint(b, m->qtype);
	jb_key(b, "rcode");
	jb_uint(b, m->rcode);
	jb_key(b, "answers");
	jb_ch(b, '[');
	for (unsigned i = 0; i < m->nanswers; i++) {
		const struct dns_answer *a = &m->ans[i];
		if (a->is_addr) {   /* an address is always a valid string */
			if (!first)
				jb_ch(b, ',');
			put_addr(b, &a->addr);
			first = false;
		} else if (a->name[0])
			jb_elem(b, a->name, &first);
	}
	jb_lit(b, "]}");
	if (entry_done(t, b, mark))
		f->ndns++;
}

static void tls_add(struct flow_table *t, struct flow *f, const struct tls_hello *h)
{
	struct jbuf *b = &f->tls;
	char vbuf[8];

	jb_ch(b, '{');
	jb_key1(b, "sni");
	jb_val(b, h->sni[0] ? h->sni : NULL);
	jb_key(b, "alpn");
	jb_val(b, h->alpn[0] ? h->alpn : NULL);
	jb_key(b, "version");
	jb_val(b, tls_version_name(h->max_version, vbuf));
	jb_key(b, "ja3");
	jb_val(b, h->ja3);
	jb_key(b, "ja4");
	jb_val(b, h->ja4);
	jb_ch(b, '}');
	entry_done(t, b, 0);
}

static void http_add(struct flow_table *t, struct flow *f, const struct http_req *r)
{
	struct jbuf *b = &f->http;
	size_t mark = b->len;

	if (f->nhttp >= FLOW_MAX_HTTP) {
		t->c.dropped_meta++;
		return;
	}
	if (f->nhttp)
		jb_ch(b, ',');
	jb_ch(b, '{');
	jb_key1(b, "method");
	jb_val(b, r->method);
	jb_key(b, "host");
	jb_val(b, r->host[0] ? r->host : NULL);
	jb_key(b, "uri");
	jb_val(b, r->uri);
	jb_key(b, "user_agent");
	jb_val(b, r->user_agent[0] ? r->user_agent : NULL);
	jb_ch(b, '}');
	if (entry_done(t, b, mark))
		f->nhttp++;
}

/* helo and mail_from: the first valid value wins (an invalid one leaves null, as before). */
static void smtp_first(struct flow_table *t, struct jbuf *b, const char *v)
{
	if (b->len)
		return;
	jb_str(b, v);   /* writes nothing if v is not valid UTF-8: helo stays null */
	entry_done(t, b, 0);
}

static void smtp_add(struct flow_table *t, struct flow *f, const struct smtp_cmd *c)
{
	f->smtp = true;
	switch (c->kind) {
	case SMTP_HELO:
		smtp_first(t, &f->helo, c->value);
		break;
	case SMTP_MAIL_FROM:
		smtp_first(t, &f->mail_from, c->value);
		break;
	case SMTP_RCPT_TO: {
		size_t mark = f->rcpt.len;
		bool first = f->nrcpt == 0;
		if (f->nrcpt >= FLOW_MAX_RCPT) {
			t->c.dropped_meta++;
			break;
		}
		jb_elem(&f->rcpt, c->value, &first);   /* nothing if not valid UTF-8 */
		if (f->rcpt.len == mark && !f->rcpt.bad)
			break;
		if (entry_done(t, &f->rcpt, mark))
			f->nrcpt++;
		break;
	}
	}
}

void flow_meta(struct flow_table *t, struct flow *f, const struct meta_event *ev)
{
	switch (ev->kind) {
	case META_DNS:
		dns_add(t, f, ev->u.dns);
		break;
	case META_TLS:
		if (!f->tls.len)
			tls_add(t, f, ev->u.tls);
		break;
	case META_HTTP:
		http_add(t, f, ev->u.http);
		break;
	case META_SMTP:
		smtp_add(t, f, ev->u.smtp);
		break;
	}
}

void flow_expire(struct flow_table *t, uint64_t now_us)
{
	while (t->tail && t->tail->ts_last + t->lim.idle_us < now_us) {
		t->c.timed_out++;
		flow_release(t, t->tail, true);
	}
}

void flow_flush(struct flow_table *t)
{
	while (t->tail)
		flow_release(t, t->tail, true);
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	while (t->tail)
		flow_release(t, t->tail, false);
	jb_free(&t->line);
	free(t->buckets);
	free(t->sel_packets);
	free(t->sel_flows);
	free(t);
}

const uint64_t *flow_selector_packets(const struct flow_table *t) { return t->sel_packets; }
const uint64_t *flow_selector_flows(const struct flow_table *t) { return t->sel_flows; }
const struct flow_counts *flow_counts(const struct flow_table *t) { return &t->c; }
size_t flow_open(const struct flow_table *t) { return t->nflows; }

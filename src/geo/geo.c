/*
 * geo.c — the location database turned into flat, read-only prefix tables.
 *
 * NOTES ON THE DESIGN
 *
 * The IPFire location database is a binary trie of networks; a network may contain more
 * specific ones, and libloc's own lookup answers with the most specific network that holds
 * the address. libloc can enumerate the networks "flattened" (non-overlapping), but in the
 * libloc of Debian 12 (0.9.16) that takes about a minute for the whole database. Enumerating
 * without flattening takes well under a second, and the trie's depth-first order already
 * gives the networks sorted by first address, containers before what they contain. So geo_open
 * flattens them itself, in one pass with a stack of the open networks:
 *
 *     networks (nested, sorted)          pieces (what lookup sees)
 *     1.0.0.0/8      AU                  1.0.0.0   AU/0
 *       1.0.0.0/24   AU AS13335   ──▶    1.0.0.0   AU/13335   (same start: inner wins)
 *       1.0.1.0/24   CN                  1.0.1.0   CN/0
 *                                        1.0.2.0   AU/0 ...   (back in the /8)
 *
 * A family's table is a partition of its whole address space into pieces: sorted start
 * addresses and, per piece, an index into a small table of distinct values (cc, asn, class).
 * Gaps hold value 0 (no country, no ASN, unknown). Neighbouring pieces with the same value are
 * merged. A lookup is: direct index on the top bits (16 for IPv4, 20 for IPv6) to a short run
 * of pieces, then a binary search for the last start <= address. Nothing is written after
 * geo_open / geo_add_domestic_file, so lookups from many threads need no locks.
 *
 * Class: "JP" is domestic, any other two-letter country code foreign, no code (or one of
 * libloc's pseudo-countries A1/A2/A3/XD) unknown. Private and special-purpose ranges are then
 * overlaid as unknown (class only: country and ASN stay what the database says, so the tables
 * agree with libloc's lookup everywhere), and the domestic overrides of geo_add_domestic_file
 * are overlaid last, as domestic, winning over both.
 *
 * Ordering of the enumeration is checked as the networks arrive; a database that breaks it
 * is refused rather than flattened wrongly.
 */
#include "geo/geo.h"

#include <errno.h>
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

#define U128_MAX (~(u128)0)
#define V4_MAX ((u128)0xffffffffu)

#define IDX4_BITS 16
#define IDX6_BITS 20

#define MAX_PIECES (1u << 26)        /* per family; the 2022 database needs about 2^20 */
#define MAX_VALS (1u << 24)          /* distinct (cc, asn, class) */
#define MAX_OVERRIDES (1u << 20)     /* prefixes in one overrides file */
#define MAX_DEPTH 256                /* nesting of networks; a trie allows 129 */
#define NONE 0u                      /* value index of "nothing known" */

struct geo_val {
	char cc[2];                  /* "\0\0" when none */
	uint8_t cls;                 /* enum geo_class */
	uint8_t pad;
	uint32_t asn;
};

/* Pieces under construction: start[i] .. start[i+1]-1 has value val[i]; start[0] == 0. */
struct pieces {
	u128 *start;
	uint32_t *val;
	size_t n, cap;
};

/* The packet-path form of one family. */
struct ftab {
	size_t n;
	uint32_t *start4;            /* IPv4: host-order starts */
	u128 *start6;                /* IPv6: big-endian address as a number */
	uint32_t *val;
	uint32_t *idx;               /* 2^bits + 1: last piece with start <= bucket's first address */
	unsigned bits;
	uint32_t *sample[2];         /* eligible pieces for geo_sample: [0] foreign, [1] domestic */
	size_t nsample[2];
};

struct geo {
	struct geo_val *vals;        /* From malloc(); vals[0] is NONE */
	size_t nvals, capvals;
	uint32_t *hash;              /* open addressing over vals, 0 = empty slot, else index+1 */
	size_t hashcap;
	struct ftab t4, t6;
};

/* ---- small helpers ---------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Grow *p (of *cap elements of size sz) to hold need elements, never beyond max. */
static int grow(void **p, size_t *cap, size_t need, size_t sz, size_t max)
{
	if (need <= *cap)
		return 0;
	if (need > max)
		return -1;
	size_t ncap = *cap ? *cap : 1024;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	void *q = realloc(*p, ncap * sz);
	if (!q)
		return -1;
	*p = q;
	*cap = ncap;
	return 0;
}

static u128 key6(const uint8_t b[16])
{
	u128 k = 0;
	for (int i = 0; i < 16; i++)
		k = k << 8 | b[i];
	return k;
}

static void unkey6(u128 k, uint8_t b[16])
{
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)k;
		k >>= 8;
	}
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- the value table ----------------------------------------------------------------- */

static uint64_t val_key(const struct geo_val *v)
{
	return (uint64_t)(uint8_t)v->cc[0] << 48 | (uint64_t)(uint8_t)v->cc[1] << 40 |
	       (uint64_t)v->cls << 32 | v->asn;
}

static int hash_insert(struct geo *g, uint32_t idx)
{
	size_t mask = g->hashcap - 1;
	size_t h = (size_t)mix64(val_key(&g->vals[idx])) & mask;

	while (g->hash[h])
		h = (h + 1) & mask;
	g->hash[h] = idx + 1;
	return 0;
}

static int hash_grow(struct geo *g)
{
	size_t ncap = g->hashcap ? g->hashcap * 2 : 4096;
	uint32_t *nh = calloc(ncap, sizeof(*nh));

	if (!nh)
		return -1;
	free(g->hash);
	g->hash = nh;
	g->hashcap = ncap;
	for (size_t i = 0; i < g->nvals; i++)
		hash_insert(g, (uint32_t)i);
	return 0;
}

/* Index of v in the value table, adding it if new. Returns -1 on allocation failure. */
static int64_t val_intern(struct geo *g, const struct geo_val *v)
{
	uint64_t k = val_key(v);

	if (g->hashcap) {
		size_t mask = g->hashcap - 1;
		for (size_t h = (size_t)mix64(k) & mask; g->hash[h]; h = (h + 1) & mask)
			if (val_key(&g->vals[g->hash[h] - 1]) == k)
				return g->hash[h] - 1;
	}
	if (grow((void **)&g->vals, &g->capvals, g->nvals + 1, sizeof(*g->vals), MAX_VALS) < 0)
		return -1;
	g->vals[g->nvals] = *v;
	g->nvals++;
	if ((g->nvals + 1) * 2 > g->hashcap) {
		if (hash_grow(g) < 0)
			return -1;
	} else {
		hash_insert(g, (uint32_t)(g->nvals - 1));
	}
	return (int64_t)(g->nvals - 1);
}

static enum geo_class class_of_cc(const char *cc)
{
	if (!cc || !cc[0] || !cc[1] || cc[2])
		return GEO_UNKNOWN;
	if (cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z')
		return GEO_UNKNOWN;  /* A1, A2, A3: anonymous proxy, satellite, anycast */
	if (strcmp(cc, "XD") == 0 || strcmp(cc, "XX") == 0 || strcmp(cc, "ZZ") == 0)
		return GEO_UNKNOWN;
	if (strcmp(cc, "JP") == 0)
		return GEO_DOMESTIC;
	return GEO_FOREIGN;
}

/* ---- pieces -------------------------------------------------------------------------- */

static void pieces_free(struct pieces *p)
{
	free(p->start);
	free(p->val);
	memset(p, 0, sizeof(*p));
}

static int pieces_reserve(struct pieces *p, size_t need)
{
	size_t c1 = p->cap, c2 = p->cap;

	if (grow((void **)&p->start, &c1, need, sizeof(*p->start), MAX_PIECES) < 0)
		return -1;
	if (grow((void **)&p->val, &c2, need, sizeof(*p->val), MAX_PIECES) < 0)
		return -1;
	p->cap = c1 < c2 ? c1 : c2;
	return 0;
}

/* Value v from address s on. Starts arrive non-decreasing; a repeated start overrides
 * the previous value there; equal neighbours merge. */
static int pieces_emit(struct pieces *p, u128 s, uint32_t v)
{
	if (p->n && p->start[p->n - 1] == s) {
		p->val[p->n - 1] = v;
		if (p->n >= 2 && p->val[p->n - 2] == v)
			p->n--;
		return 0;
	}
	if (p->n && p->val[p->n - 1] == v)
		return 0;
	if (pieces_reserve(p, p->n + 1) < 0)
		return -1;
	p->start[p->n] = s;
	p->val[p->n] = v;
	p->n++;
	return 0;
}

/* Flattening of nested, sorted networks (see the notes at the top). */
struct sweep {
	struct pieces out;
	u128 max;                    /* last address of the family */
	u128 last[MAX_DEPTH];
	uint32_t val[MAX_DEPTH];
	int depth;
	bool any;
	u128 prev_first, prev_last;
};

static int sweep_pop(struct sweep *s)
{
	u128 end = s->last[--s->depth];

	if (end == s->max)
		return 0;
	return pieces_emit(&s->out, end + 1, s->depth ? s->val[s->depth - 1] : NONE);
}

/* Returns 0, -1 on allocation failure, -2 if the networks are not nested and sorted. */
static int sweep_add(struct sweep *s, u128 first, u128 last, uint32_t v)
{
	if (first > last)
		return -2;
	if (s->any && (first < s->prev_first || (first == s->prev_first && last > s->prev_last)))
		return -2;
	s->any = true;
	s->prev_first = first;
	s->prev_last = last;
	while (s->depth && s->last[s->depth - 1] < first)
		if (sweep_pop(s) < 0)
			return -1;
	if (s->depth && last > s->last[s->depth - 1])
		return -2;   /* overlaps its container without being inside it */
	if (s->depth == MAX_DEPTH)
		return -2;
	s->last[s->depth] = last;
	s->val[s->depth] = v;
	s->depth++;
	return pieces_emit(&s->out, first, v);
}

static int sweep_finish(struct sweep *s)
{
	while (s->depth)
		if (sweep_pop(s) < 0)
			return -1;
	return 0;
}

/* An address interval of one family. */
struct ival {
	u128 first, last;
};

static int ival_cmp(const void *a, const void *b)
{
	const struct ival *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	if (x->last != y->last)
		return x->last < y->last ? -1 : 1;
	return 0;
}

/* Sort and merge overlapping or touching intervals; returns the new count. */
static size_t ival_union(struct ival *iv, size_t n)
{
	size_t m = 0;

	if (n == 0)
		return 0;
	qsort(iv, n, sizeof(*iv), ival_cmp);
	for (size_t i = 1; i < n; i++) {
		if (iv[m].last == U128_MAX || iv[i].first <= iv[m].last + 1) {
			if (iv[i].last > iv[m].last)
				iv[m].last = iv[i].last;
		} else {
			iv[++m] = iv[i];
		}
	}
	return m + 1;
}

/* in: a partition; set: sorted disjoint intervals. out: the partition with every value inside
 * set replaced by the same cc/asn with class cls. */
static int overlay(struct geo *g, const struct pieces *in, const struct ival *set, size_t m,
		   u128 max, enum geo_class cls, struct pieces *out)
{
	size_t i = 0, j = 0;
	u128 p = 0;

	memset(out, 0, sizeof(*out));
	for (;;) {
		while (i + 1 < in->n && in->start[i + 1] <= p)
			i++;
		while (j < m && set[j].last < p)
			j++;
		uint32_t v = in->val[i];
		if (j < m && set[j].first <= p) {
			struct geo_val nv = g->vals[v];
			nv.cls = (uint8_t)cls;
			int64_t k = val_intern(g, &nv);
			if (k < 0)
				goto fail;
			v = (uint32_t)k;
		}
		if (pieces_emit(out, p, v) < 0)
			goto fail;

		/* the next breakpoint after p */
		bool have = false;
		u128 next = 0;
		if (i + 1 < in->n) {
			next = in->start[i + 1];
			have = true;
		}
		if (j < m) {
			u128 b;
			bool hb = true;
			if (set[j].first > p)
				b = set[j].first;
			else if (set[j].last < max)
				b = set[j].last + 1;
			else
				hb = false;
			if (hb && (!have || b < next)) {
				next = b;
				have = true;
			}
		}
		if (!have)
			break;
		p = next;
	}
	return 0;
fail:
	pieces_free(out);
	return -1;
}

/* ---- the packet-path tables ------------------------------------------------------------ */

static void ftab_free(struct ftab *t)
{
	free(t->start4);
	free(t->start6);
	free(t->val);
	free(t->idx);
	free(t->sample[0]);
	free(t->sample[1]);
	memset(t, 0, sizeof(*t));
}

static u128 ftab_start(const struct ftab *t, size_t i)
{
	return t->start4 ? (u128)t->start4[i] : t->start6[i];
}

static struct pieces ftab_to_pieces(const struct ftab *t, int *rc)
{
	struct pieces p = { 0 };

	*rc = 0;
	if (pieces_reserve(&p, t->n) < 0) {
		*rc = -1;
		pieces_free(&p);
		return p;
	}
	for (size_t i = 0; i < t->n; i++) {
		p.start[i] = ftab_start(t, i);
		p.val[i] = t->val[i];
	}
	p.n = t->n;
	return p;
}

/* Is piece i of t a candidate for geo_sample of class c? */
static bool sample_ok(const struct geo *g, const struct ftab *t, size_t i, u128 max,
		      enum geo_class c)
{
	const struct geo_val *v = &g->vals[t->val[i]];
	u128 first = ftab_start(t, i);
	u128 last = i + 1 < t->n ? ftab_start(t, i + 1) - 1 : max;

	if (v->cls != c || !v->cc[0])
		return false;
	if (t->start4)
		return last - first >= 3;          /* at least 4 addresses */
	/* IPv6: global unicast 2000::/3 only */
	return (first >> 125) == 1 && (last >> 125) == 1;
}

/* Build t from p (consumed). family 4 narrows starts to 32 bits. */
static int ftab_build(const struct geo *g, struct ftab *t, struct pieces *p, int family)
{
	struct ftab nt = { 0 };
	u128 max = family == 4 ? V4_MAX : U128_MAX;
	unsigned width = family == 4 ? 32 : 128;
	int rc = -1;

	nt.n = p->n;
	nt.bits = family == 4 ? IDX4_BITS : IDX6_BITS;
	nt.val = p->val;
	p->val = NULL;
	if (family == 4) {
		nt.start4 = malloc(p->n * sizeof(*nt.start4));
		if (!nt.start4)
			goto out;
		for (size_t i = 0; i < p->n; i++)
			nt.start4[i] = (uint32_t)p->start[i];
	} else {
		nt.start6 = p->start;
		p->start = NULL;
	}

	size_t nb = (size_t)1 << nt.bits;
	nt.idx = malloc((nb + 1) * sizeof(*nt.idx));
	if (!nt.idx)
		goto out;
	size_t i = 0;
	for (size_t b = 0; b < nb; b++) {
		u128 a = (u128)b << (width - nt.bits);
		while (i + 1 < nt.n && ftab_start(&nt, i + 1) <= a)
			i++;
		nt.idx[b] = (uint32_t)i;
	}
	nt.idx[nb] = (uint32_t)(nt.n - 1);

	for (int c = 0; c < 2; c++) {
		enum geo_class cls = c ? GEO_DOMESTIC : GEO_FOREIGN;
		size_t k = 0;
		for (size_t j = 0; j < nt.n; j++)
			k += sample_ok(g, &nt, j, max, cls);
		nt.sample[c] = malloc((k ? k : 1) * sizeof(*nt.sample[c]));
		if (!nt.sample[c])
			goto out;
		k = 0;
		for (size_t j = 0; j < nt.n; j++)
			if (sample_ok(g, &nt, j, max, cls))
				nt.sample[c][k++] = (uint32_t)j;
		nt.nsample[c] = k;
	}
	ftab_free(t);
	*t = nt;
	memset(&nt, 0, sizeof(nt));
	rc = 0;
out:
	ftab_free(&nt);
	pieces_free(p);
	return rc;
}

/* Last piece whose start <= a, searching only pieces [lo, hi]. */
static size_t find4(const struct ftab *t, uint32_t a)
{
	size_t b = a >> (32 - IDX4_BITS);
	size_t lo = t->idx[b], hi = t->idx[b + 1];

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (t->start4[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

static size_t find6(const struct ftab *t, u128 a)
{
	size_t b = (size_t)(a >> (128 - IDX6_BITS));
	size_t lo = t->idx[b], hi = t->idx[b + 1];

	while (lo < hi) {
		size_t mid = lo + (hi - lo + 1) / 2;
		if (t->start6[mid] <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return lo;
}

/* ---- private and special-purpose ranges -------------------------------------------------- */

static const char *const reserved_prefixes[] = {
	/* IPv4 (RFC 6890 and friends) */
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
	"198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
	/* IPv6 */
	"::/128", "::1/128", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001::/23",
	"2001:db8::/32", "2002::/16", "3fff::/20", "fc00::/7", "fe80::/10", "fec0::/10",
	"ff00::/8",
};

/* The interval of a parsed prefix in its family's key space; returns 4 or 6. */
static int prefix_ival(const struct sk_addr *a, unsigned plen, struct ival *iv)
{
	if (addr_is_v4(a) && plen >= 96) {
		unsigned l = plen - 96;
		uint32_t host = l == 32 ? 0 : 0xffffffffu >> l;
		iv->first = addr_v4(a) & ~host;
		iv->last = iv->first | host;
		return 4;
	}
	u128 host = plen >= 128 ? 0 : U128_MAX >> plen;
	iv->first = key6(a->b) & ~host;
	iv->last = iv->first | host;
	return 6;
}

/* Replace *p by its overlay with the intervals s[0..n) (unsorted, may overlap) as class cls. */
static int overlay_pieces(struct geo *g, struct pieces *p, struct ival *s, size_t n, u128 max,
			  enum geo_class cls)
{
	struct pieces out;

	if (n == 0)
		return 0;
	size_t m = ival_union(s, n);
	if (overlay(g, p, s, m, max, cls, &out) < 0)
		return -1;
	pieces_free(p);
	*p = out;
	return 0;
}

/* Overlay sets s4/s6 as class cls on the built tables of both families. On failure the
 * tables are as they were. */
static int apply_overlay(struct geo *g, struct ival *s4, size_t n4, struct ival *s6, size_t n6,
			 enum geo_class cls)
{
	struct pieces p4 = { 0 }, p6 = { 0 };
	struct ftab n4t = { 0 }, n6t = { 0 };
	int rc = -1;

	if (n4) {
		p4 = ftab_to_pieces(&g->t4, &rc);
		if (rc < 0 || overlay_pieces(g, &p4, s4, n4, V4_MAX, cls) < 0)
			goto out;
	}
	if (n6) {
		p6 = ftab_to_pieces(&g->t6, &rc);
		if (rc < 0 || overlay_pieces(g, &p6, s6, n6, U128_MAX, cls) < 0)
			goto out;
	}
	rc = -1;
	/* build both before replacing either */
	if (n4 && ftab_build(g, &n4t, &p4, 4) < 0)
		goto out;
	if (n6 && ftab_build(g, &n6t, &p6, 6) < 0)
		goto out;
	if (n4) {
		ftab_free(&g->t4);
		g->t4 = n4t;
	}
	if (n6) {
		ftab_free(&g->t6);
		g->t6 = n6t;
	}
	memset(&n4t, 0, sizeof(n4t));
	memset(&n6t, 0, sizeof(n6t));
	rc = 0;
out:
	ftab_free(&n4t);
	ftab_free(&n6t);
	pieces_free(&p4);
	pieces_free(&p6);
	return rc;
}

/* Private and special-purpose ranges as unknown, on the pieces of both families. */
static int apply_reserved(struct geo *g, struct pieces *p4, struct pieces *p6)
{
	enum { N = sizeof(reserved_prefixes) / sizeof(reserved_prefixes[0]) };
	struct ival s4[N], s6[N];
	size_t n4 = 0, n6 = 0;

	for (size_t i = 0; i < N; i++) {
		struct sk_addr a;
		unsigned plen;
		struct ival iv;
		if (addr_parse_prefix(&a, &plen, reserved_prefixes[i]) < 0)
			return -1;
		if (prefix_ival(&a, plen, &iv) == 4)
			s4[n4++] = iv;
		else
			s6[n6++] = iv;
	}
	if (overlay_pieces(g, p4, s4, n4, V4_MAX, GEO_UNKNOWN) < 0)
		return -1;
	return overlay_pieces(g, p6, s6, n6, U128_MAX, GEO_UNKNOWN);
}

/* ---- open / close ----------------------------------------------------------------------- */

static int load_networks(struct geo *g, struct loc_database *db, struct sweep *s4,
			 struct sweep *s6, char *err, size_t errlen)
{
	struct loc_database_enumerator *e = NULL;
	struct loc_network *n = NULL;
	int rc = -1;

	if (loc_database_enumerator_new(&e, db, LOC_DB_ENUMERATE_NETWORKS, 0) != 0) {
		set_err(err, errlen, "cannot enumerate the location database");
		return -1;
	}
	for (;;) {
		if (loc_database_enumerator_next_network(e, &n) != 0) {
			set_err(err, errlen, "error reading the location database");
			goto out;
		}
		if (!n)
			break;
		struct geo_val v = { { 0, 0 }, GEO_UNKNOWN, 0, loc_network_get_asn(n) };
		const char *cc = loc_network_get_country_code(n);
		if (cc && cc[0] && cc[1] && !cc[2]) {
			v.cc[0] = cc[0];
			v.cc[1] = cc[1];
		}
		v.cls = (uint8_t)class_of_cc(cc);
		int64_t k = val_intern(g, &v);
		if (k < 0) {
			set_err(err, errlen, "out of memory (values)");
			goto out;
		}
		const struct in6_addr *f = loc_network_get_first_address(n);
		const struct in6_addr *l = loc_network_get_last_address(n);
		struct sk_addr fa, la;
		addr_from_v6(&fa, f->s6_addr);
		addr_from_v6(&la, l->s6_addr);
		int r;
		if (addr_is_v4(&fa) && addr_is_v4(&la))
			r = sweep_add(s4, addr_v4(&fa), addr_v4(&la), (uint32_t)k);
		else
			r = sweep_add(s6, key6(fa.b), key6(la.b), (uint32_t)k);
		if (r == -2) {
			set_err(err, errlen, "location database networks out of order at %s",
				loc_network_str(n));
			goto out;
		}
		if (r < 0) {
			set_err(err, errlen, "out of memory (networks)");
			goto out;
		}
		loc_network_unref(n);
		n = NULL;
	}
	if (sweep_finish(s4) < 0 || sweep_finish(s6) < 0) {
		set_err(err, errlen, "out of memory (networks)");
		goto out;
	}
	rc = 0;
out:
	if (n)
		loc_network_unref(n);
	loc_database_enumerator_unref(e);
	return rc;
}

struct geo *geo_open(const char *path, char *err, size_t errlen)
{
	struct loc_ctx *ctx = NULL;
	struct loc_database *db = NULL;
	struct sweep *s4 = NULL, *s6 = NULL;
	struct geo *g = NULL;
	FILE *f = NULL;
	bool ok = false;

	if (!path)
		path = GEO_DEFAULT_DB;
	g = calloc(1, sizeof(*g));
	s4 = calloc(1, sizeof(*s4));
	s6 = calloc(1, sizeof(*s6));
	if (!g || !s4 || !s6) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	struct geo_val none = { { 0, 0 }, GEO_UNKNOWN, 0, 0 };
	if (val_intern(g, &none) != NONE) {
		set_err(err, errlen, "out of memory");
		goto out;
	}
	s4->max = V4_MAX;
	s6->max = U128_MAX;
	if (pieces_emit(&s4->out, 0, NONE) < 0 || pieces_emit(&s6->out, 0, NONE) < 0) {
		set_err(err, errlen, "out of memory");
		goto out;
	}

	f = fopen(path, "r");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (loc_new(&ctx) != 0) {
		set_err(err, errlen, "cannot start libloc");
		goto out;
	}
	if (loc_database_new(ctx, &db, f) != 0) {
		set_err(err, errlen, "%s: not a readable location database", path);
		goto out;
	}
	if (load_networks(g, db, s4, s6, err, errlen) < 0)
		goto out;
	if (apply_reserved(g, &s4->out, &s6->out) < 0) {
		set_err(err, errlen, "out of memory (reserved ranges)");
		goto out;
	}
	if (ftab_build(g, &g->t4, &s4->out, 4) < 0 || ftab_build(g, &g->t6, &s6->out, 6) < 0) {
		set_err(err, errlen, "out of memory (tables)");
		goto out;
	}
	ok = true;
out:
	if (db)
		loc_database_unref(db);
	if (ctx)
		loc_unref(ctx);
	if (f)
		fclose(f);
	if (s4)
		pieces_free(&s4->out);
	if (s6)
		pieces_free(&s6->out);
	free(s4);
	free(s6);
	if (!ok) {
		geo_close(g);
		return NULL;
	}
	return g;
}

void geo_close(struct geo *g)
{
	if (!g)
		return;
	ftab_free(&g->t4);
	ftab_free(&g->t6);
	free(g->vals);
	free(g->hash);
	free(g);
}

/* ---- domestic overrides -------------------------------------------------------------- */

/* Strip a '#' comment and surrounding blanks in place; returns the token (maybe ""). */
static char *trim_line(char *s)
{
	char *h = strchr(s, '#');
	if (h)
		*h = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

int geo_add_domestic_file(struct geo *g, const char *path, char *err, size_t errlen)
{
	struct ival *s4 = NULL, *s6 = NULL;
	size_t n4 = 0, n6 = 0, c4 = 0, c6 = 0;
	unsigned long lineno = 0;
	char line[512];
	FILE *f = NULL;
	int rc = -1;

	if (!g || !path) {
		set_err(err, errlen, "no tables or no file name");
		return -1;
	}
	f = fopen(path, "r");
	if (!f) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		if (len == sizeof(line) - 1 && line[len - 1] != '\n' && !feof(f)) {
			set_err(err, errlen, "%s:%lu: line too long", path, lineno);
			goto out;
		}
		char *tok = trim_line(line);
		if (!*tok)
			continue;
		if (strpbrk(tok, " \t")) {
			set_err(err, errlen, "%s:%lu: one prefix per line", path, lineno);
			goto out;
		}
		struct sk_addr a;
		unsigned plen;
		struct ival iv;
		if (addr_parse_prefix(&a, &plen, tok) < 0) {
			set_err(err, errlen, "%s:%lu: not an IP address or prefix: '%.60s'", path,
				lineno, tok);
			goto out;
		}
		int fam = prefix_ival(&a, plen, &iv);
		struct ival **s = fam == 4 ? &s4 : &s6;
		size_t *n = fam == 4 ? &n4 : &n6, *c = fam == 4 ? &c4 : &c6;
		if (n4 + n6 >= MAX_OVERRIDES ||
		    grow((void **)s, c, *n + 1, sizeof(**s), MAX_OVERRIDES) < 0) {
			set_err(err, errlen, "%s:%lu: too many prefixes", path, lineno);
			goto out;
		}
		(*s)[(*n)++] = iv;
	}
	if (ferror(f)) {
		set_err(err, errlen, "%s: read error", path);
		goto out;
	}
	if (apply_overlay(g, s4, n4, s6, n6, GEO_DOMESTIC) < 0) {
		set_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	rc = 0;
out:
	if (f)
		fclose(f);
	free(s4);
	free(s6);
	return rc;
}

/* ---- the packet path ---------------------------------------------------------------- */

void geo_lookup(const struct geo *g, const struct sk_addr *a, struct geo_info *out)
{
	const struct geo_val *v;

	memset(out, 0, sizeof(*out));
	out->cls = GEO_UNKNOWN;
	if (!g)
		return;
	if (addr_is_v4(a))
		v = &g->vals[g->t4.val[find4(&g->t4, addr_v4(a))]];
	else
		v = &g->vals[g->t6.val[find6(&g->t6, key6(a->b))]];
	out->cc[0] = v->cc[0];
	out->cc[1] = v->cc[1];
	out->cc[2] = '\0';
	out->asn = v->asn;
	out->cls = (enum geo_class)v->cls;
}

enum direction geo_direction(enum geo_class src, enum geo_class dst)
{
	if (src == GEO_UNKNOWN || dst == GEO_UNKNOWN)
		return DIR_UNKNOWN;
	if (src == GEO_FOREIGN)
		return dst == GEO_FOREIGN ? DIR_FF : DIR_FD;
	return dst == GEO_FOREIGN ? DIR_DF : DIR_DD;
}

const char *direction_name(enum direction d)
{
	switch (d) {
	case DIR_FF:
		return "foreign-foreign";
	case DIR_FD:
		return "foreign-domestic";
	case DIR_DF:
		return "domestic-foreign";
	case DIR_DD:
		return "domestic-domestic";
	default:
		return "unknown";
	}
}

const char *geo_class_name(enum geo_class c)
{
	switch (c) {
	case GEO_DOMESTIC:
		return "domestic";
	case GEO_FOREIGN:
		return "foreign";
	default:
		return "unknown";
	}
}

int geo_sample(const struct geo *g, enum geo_class cls, int family, uint64_t idx, uint64_t r,
	       struct sk_addr *out)
{
	if (!g || (cls != GEO_FOREIGN && cls != GEO_DOMESTIC) || (family != 4 && family != 6))
		return -1;
	const struct ftab *t = family == 4 ? &g->t4 : &g->t6;
	int c = cls == GEO_DOMESTIC;
	if (t->nsample[c] == 0)
		return -1;
	size_t i = t->sample[c][idx % t->nsample[c]];
	u128 max = family == 4 ? V4_MAX : U128_MAX;
	u128 first = ftab_start(t, i);
	u128 last = i + 1 < t->n ? ftab_start(t, i + 1) - 1 : max;
	u128 span = last - first;            /* size - 1 */
	u128 off = 0;

	if (span >= 2) {
		/* skip the first and last address (network / broadcast, subnet-router anycast) */
		u128 wide = (u128)mix64(r ^ idx) << 64 | r;
		off = 1 + wide % (span - 1);
	}
	if (family == 4) {
		addr_from_v4(out, (uint32_t)(first + off));
	} else {
		uint8_t b[16];
		unkey6(first + off, b);
		addr_from_v6(out, b);
	}
	return 0;
}

size_t geo_count(const struct geo *g, int family)
{
	if (!g)
		return 0;
	return family == 4 ? g->t4.n : family == 6 ? g->t6.n : 0;
}

size_t geo_memory(const struct geo *g)
{
	size_t m = 0;

	if (!g)
		return 0;
	m += sizeof(*g) + g->capvals * sizeof(*g->vals) + g->hashcap * sizeof(*g->hash);
	m += g->t4.n * (sizeof(*g->t4.start4) + sizeof(*g->t4.val));
	m += g->t6.n * (sizeof(*g->t6.start6) + sizeof(*g->t6.val));
	m += (((size_t)1 << IDX4_BITS) + 1 + ((size_t)1 << IDX6_BITS) + 1) * sizeof(uint32_t);
	m += (g->t4.nsample[0] + g->t4.nsample[1] + g->t6.nsample[0] + g->t6.nsample[1]) *
	     sizeof(uint32_t);
	return m;
}

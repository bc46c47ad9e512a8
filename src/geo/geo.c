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

#include "common/cachefile.h"

#include <errno.h>
#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
	enum geo_cache_state cache;  /* how the tables came to be */
	bool cache_refused;          /* an existing cache file failed a check */
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

/* Which sample list piece i of t belongs to: 0 foreign, 1 domestic, -1 none. */
static int sample_class(const struct geo *g, const struct ftab *t, size_t i, u128 max)
{
	const struct geo_val *v = &g->vals[t->val[i]];
	int c = v->cls == GEO_DOMESTIC ? 1 : v->cls == GEO_FOREIGN ? 0 : -1;

	if (c < 0 || !v->cc[0])
		return -1;
	u128 first = ftab_start(t, i);
	u128 last = i + 1 < t->n ? ftab_start(t, i + 1) - 1 : max;
	if (t->start4)
		return last - first >= 3 ? c : -1;          /* at least 4 addresses */
	/* IPv6: global unicast 2000::/3 only */
	return (first >> 125) == 1 && (last >> 125) == 1 ? c : -1;
}

/* Build t from p (consumed). family 4 narrows starts to 32 bits. */
static int ftab_build(const struct geo *g, struct ftab *t, struct pieces *p, int family)
{
	struct ftab nt = { 0 };
	u128 max = family == 4 ? V4_MAX : U128_MAX;
	unsigned width = family == 4 ? 32 : 128;
	int8_t *sc = NULL;
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

	/* the sample lists, from one pass over the pieces */
	sc = malloc(nt.n ? nt.n : 1);
	if (!sc)
		goto out;
	size_t cnt[2] = { 0, 0 };
	for (size_t j = 0; j < nt.n; j++) {
		int c = sample_class(g, &nt, j, max);
		sc[j] = (int8_t)c;
		if (c >= 0)
			cnt[c]++;
	}
	for (int c = 0; c < 2; c++) {
		nt.sample[c] = malloc((cnt[c] ? cnt[c] : 1) * sizeof(*nt.sample[c]));
		if (!nt.sample[c])
			goto out;
	}
	for (size_t j = 0; j < nt.n; j++)
		if (sc[j] >= 0)
			nt.sample[sc[j]][nt.nsample[sc[j]]++] = (uint32_t)j;
	ftab_free(t);
	*t = nt;
	memset(&nt, 0, sizeof(nt));
	rc = 0;
out:
	free(sc);
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

/* The tables from the database itself (what the cache saves). */
static struct geo *geo_build(const char *path, char *err, size_t errlen)
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

/* ---- the table cache ----------------------------------------------------------------------
 *
 * One file per database path, <cache dir>/geo-<16 hex digits of the path's hash>.cache:
 *
 *     header (struct cache_hdr, 160 bytes)
 *     vals   [nvals]  struct geo_val (8 bytes)      -- every section starts 16-aligned,
 *     start4 [n4]     uint32_t                         so the file can be mapped and read
 *     val4   [n4]     uint32_t                         in place
 *     start6 [n6]     u128 (host order)
 *     val6   [n6]     uint32_t
 *
 * Numbers are in host byte order (the header's endian mark refuses a file from another
 * machine). The identity fields decide whether the file belongs to this database and this
 * code; the checksum whether it is intact; then every table is checked as if it came from a
 * stranger (it may: a cache directory is the user's, not ours), so that a bad file is at
 * worst refused. The cache holds the tables as geo_open leaves them: before any domestic
 * overrides, which are applied on top at each start. Directory, trust checks and atomic
 * writes are common/cachefile.c's, shared with the pattern cache.
 */

#define CACHE_MAGIC "SKGEOC1\n"
#define CACHE_VERSION 1u
#define CACHE_ENDIAN 0x01020304u

struct cache_hdr {
	char magic[8];
	uint32_t version, endian;
	uint64_t db_size, db_ino, db_dev;    /* identity of the database file */
	int64_t db_mtime_s, db_mtime_ns;
	uint8_t db_path[16];                 /* BLAKE2b-128 of its real path */
	uint8_t code[16];                    /* BLAKE2b-128 of what the tables depend on here */
	uint64_t nvals, n4, n6;
	uint64_t payload;                    /* bytes after the header */
	uint8_t sum[32];                     /* BLAKE2b-256 of those bytes */
	uint8_t pad[8];
};

_Static_assert(sizeof(struct cache_hdr) == 160, "cache header layout");
_Static_assert(sizeof(struct geo_val) == 8, "geo_val layout");

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* Section offsets within the payload, and its length. */
struct cache_layout {
	size_t vals, start4, val4, start6, val6, len;
};

static void cache_layout(uint64_t nvals, uint64_t n4, uint64_t n6, struct cache_layout *l)
{
	l->vals = 0;
	l->start4 = align16(l->vals + nvals * sizeof(struct geo_val));
	l->val4 = align16(l->start4 + n4 * sizeof(uint32_t));
	l->start6 = align16(l->val4 + n4 * sizeof(uint32_t));
	l->val6 = l->start6 + n6 * sizeof(u128);
	l->len = align16(l->val6 + n6 * sizeof(uint32_t));
}

/* What the tables depend on besides the database: this format and the reserved ranges. */
static void code_hash(uint8_t out[16])
{
	crypto_generichash_state st;
	uint32_t v[3] = { CACHE_VERSION, IDX4_BITS, IDX6_BITS };

	crypto_generichash_init(&st, NULL, 0, 16);
	crypto_generichash_update(&st, (const unsigned char *)v, sizeof(v));
	for (size_t i = 0; i < sizeof(reserved_prefixes) / sizeof(reserved_prefixes[0]); i++)
		crypto_generichash_update(&st, (const unsigned char *)reserved_prefixes[i],
					  strlen(reserved_prefixes[i]) + 1);
	crypto_generichash_final(&st, out, 16);
}

static bool val_ok(const struct geo_val *v)
{
	char cc[3] = { v->cc[0], v->cc[1], '\0' };

	if (v->pad || v->cls > GEO_DOMESTIC || (!v->cc[0] && v->cc[1]))
		return false;
	/* a class is what the country code says, or unknown (the reserved ranges) */
	return v->cls == GEO_UNKNOWN || v->cls == (uint8_t)class_of_cc(v->cc[0] ? cc : NULL);
}

/* Starts from 0, strictly increasing, each value an index into vals. */
static bool table_ok(const struct pieces *p, size_t nvals)
{
	if (p->start[0] != 0)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		if (p->val[i] >= nvals)
			return false;
		if (i && p->start[i] <= p->start[i - 1])
			return false;
	}
	return true;
}

/* The header's table part and checksum, then the tables; the identity is the caller's. */
static struct geo *cache_parse(const uint8_t *d, size_t len, char *err, size_t errlen)
{
	struct cache_hdr h;
	struct cache_layout l;
	uint8_t code[16], sum[32];
	struct pieces p4 = { 0 }, p6 = { 0 };
	struct geo *g = NULL;

	if (len < sizeof(h)) {
		set_err(err, errlen, "cache: shorter than its header");
		return NULL;
	}
	memcpy(&h, d, sizeof(h));
	code_hash(code);
	if (memcmp(h.magic, CACHE_MAGIC, 8) || h.version != CACHE_VERSION ||
	    h.endian != CACHE_ENDIAN || memcmp(h.code, code, sizeof(code))) {
		set_err(err, errlen, "cache: not a table cache of this version");
		return NULL;
	}
	if (h.nvals < 1 || h.nvals > MAX_VALS || h.n4 < 1 || h.n4 > MAX_PIECES || h.n6 < 1 ||
	    h.n6 > MAX_PIECES) {
		set_err(err, errlen, "cache: table sizes out of range");
		return NULL;
	}
	cache_layout(h.nvals, h.n4, h.n6, &l);
	if (h.payload != l.len || len - sizeof(h) != l.len) {
		set_err(err, errlen, "cache: length does not match its tables");
		return NULL;
	}
	d += sizeof(h);
	crypto_generichash(sum, sizeof(sum), d, l.len, NULL, 0);
	if (sodium_memcmp(sum, h.sum, sizeof(sum)) != 0) {
		set_err(err, errlen, "cache: checksum mismatch");
		return NULL;
	}

	g = calloc(1, sizeof(*g));
	if (!g || pieces_reserve(&p4, h.n4) < 0 || pieces_reserve(&p6, h.n6) < 0)
		goto oom;
	g->vals = malloc(h.nvals * sizeof(*g->vals));
	if (!g->vals)
		goto oom;
	memcpy(g->vals, d + l.vals, h.nvals * sizeof(*g->vals));
	g->nvals = g->capvals = h.nvals;
	static const struct geo_val none;
	if (memcmp(&g->vals[0], &none, sizeof(none)) != 0)
		goto bad;
	for (size_t i = 0; i < g->nvals; i++)
		if (!val_ok(&g->vals[i]))
			goto bad;
	for (size_t i = 0; i < h.n4; i++) {
		uint32_t v;
		memcpy(&v, d + l.start4 + i * sizeof(v), sizeof(v));
		p4.start[i] = v;
	}
	memcpy(p4.val, d + l.val4, h.n4 * sizeof(uint32_t));
	memcpy(p6.start, d + l.start6, h.n6 * sizeof(u128));
	memcpy(p6.val, d + l.val6, h.n6 * sizeof(uint32_t));
	p4.n = h.n4;
	p6.n = h.n6;
	if (!table_ok(&p4, g->nvals) || !table_ok(&p6, g->nvals))
		goto bad;

	/* the value index (val_intern needs it for overrides), then the lookup tables */
	size_t hcap = 4096;
	while ((g->nvals + 1) * 2 > hcap)
		hcap *= 2;
	g->hashcap = hcap / 2;
	if (hash_grow(g) < 0)
		goto oom;
	if (ftab_build(g, &g->t4, &p4, 4) < 0 || ftab_build(g, &g->t6, &p6, 6) < 0)
		goto oom;
	return g;
bad:
	set_err(err, errlen, "cache: tables fail their checks");
	goto fail;
oom:
	set_err(err, errlen, "cache: out of memory");
fail:
	pieces_free(&p4);
	pieces_free(&p6);
	geo_close(g);
	return NULL;
}

struct geo *geo_cache_parse(const void *data, size_t len, char *err, size_t errlen)
{
	if (sodium_init() < 0) {
		set_err(err, errlen, "cannot start libsodium");
		return NULL;
	}
	return cache_parse(data, len, err, errlen);
}

int geo_cache_seal(void *data, size_t len)
{
	struct cache_hdr h;
	uint8_t *d = data;

	if (len < sizeof(h) || sodium_init() < 0)
		return -1;
	crypto_generichash(d + offsetof(struct cache_hdr, sum), sizeof(h.sum), d + sizeof(h),
			   len - sizeof(h), NULL, 0);
	return 0;
}

/* The cache file for the database at path, and the identity its header must carry.
 * Returns 0, or -1 when there is no cache to use (no directory, no such database). */
static int cache_identity(const char *path, const char *cache_dir, char *file, size_t filelen,
			  struct cache_hdr *id)
{
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;
	int n;

	if (cachefile_dir(cache_dir, dir, sizeof(dir)) < 0 || !realpath(path, real) ||
	    stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;

	memset(id, 0, sizeof(*id));
	memcpy(id->magic, CACHE_MAGIC, 8);
	id->version = CACHE_VERSION;
	id->endian = CACHE_ENDIAN;
	id->db_size = (uint64_t)st.st_size;
	id->db_ino = (uint64_t)st.st_ino;
	id->db_dev = (uint64_t)st.st_dev;
	id->db_mtime_s = (int64_t)st.st_mtim.tv_sec;
	id->db_mtime_ns = (int64_t)st.st_mtim.tv_nsec;
	crypto_generichash(id->db_path, sizeof(id->db_path), (const unsigned char *)real,
			   strlen(real), NULL, 0);
	code_hash(id->code);
	n = snprintf(file, filelen, "%s/geo-%02x%02x%02x%02x%02x%02x%02x%02x.cache", dir,
		     id->db_path[0], id->db_path[1], id->db_path[2], id->db_path[3],
		     id->db_path[4], id->db_path[5], id->db_path[6], id->db_path[7]);
	return n < 0 || (size_t)n >= filelen ? -1 : 0;
}

static bool same_identity(const struct cache_hdr *a, const struct cache_hdr *b)
{
	return a->db_size == b->db_size && a->db_ino == b->db_ino && a->db_dev == b->db_dev &&
	       a->db_mtime_s == b->db_mtime_s && a->db_mtime_ns == b->db_mtime_ns &&
	       !memcmp(a->db_path, b->db_path, sizeof(a->db_path));
}

/* The tables from the cache file, or NULL (*existed says whether there was a file). */
static struct geo *cache_load(const char *file, const struct cache_hdr *id, bool *existed)
{
	struct cache_hdr h;
	struct cachefile cf;
	struct geo *g = NULL;
	enum cachefile_rc rc;

	/* ours and not writable by others, or not trusted at all (rule 4 rests on it) */
	rc = cachefile_open(file, sizeof(h),
			    sizeof(h) + ((uint64_t)MAX_PIECES * 24 + (uint64_t)MAX_VALS * 8), &cf);
	*existed = rc != CACHEFILE_ABSENT;
	if (rc != CACHEFILE_OK)
		return NULL;
	memcpy(&h, cf.data, sizeof(h));
	if (same_identity(&h, id))
		g = cache_parse(cf.data, cf.len, NULL, 0);
	cachefile_close(&cf);
	return g;
}

/* Write g's tables to file (through a temporary file and rename). Returns 0 or -1. */
static int cache_write(const struct geo *g, const char *file, const struct cache_hdr *id)
{
	struct cache_hdr h = *id;
	struct cache_layout l;
	uint8_t *d;
	int rc;

	h.nvals = g->nvals;
	h.n4 = g->t4.n;
	h.n6 = g->t6.n;
	cache_layout(h.nvals, h.n4, h.n6, &l);
	h.payload = l.len;
	d = calloc(1, l.len);
	if (!d)
		return -1;
	memcpy(d + l.vals, g->vals, g->nvals * sizeof(*g->vals));
	memcpy(d + l.start4, g->t4.start4, g->t4.n * sizeof(uint32_t));
	memcpy(d + l.val4, g->t4.val, g->t4.n * sizeof(uint32_t));
	memcpy(d + l.start6, g->t6.start6, g->t6.n * sizeof(u128));
	memcpy(d + l.val6, g->t6.val, g->t6.n * sizeof(uint32_t));
	crypto_generichash(h.sum, sizeof(h.sum), d, l.len, NULL, 0);
	rc = cachefile_write(file, &h, sizeof(h), d, l.len);
	free(d);
	return rc;
}

struct geo *geo_open_cached(const char *path, const char *cache_dir, char *err, size_t errlen)
{
	struct cache_hdr id, id2;
	char file[PATH_MAX + 64], f2[PATH_MAX + 64];
	bool use = false, existed = false;
	struct geo *g;

	if (!path)
		path = GEO_DEFAULT_DB;
	if (sodium_init() >= 0)
		use = cache_identity(path, cache_dir, file, sizeof(file), &id) == 0;
	if (use) {
		g = cache_load(file, &id, &existed);
		if (g) {
			g->cache = GEO_CACHE_LOADED;
			return g;
		}
	}
	g = geo_build(path, err, errlen);
	if (!g || !use)
		return g;
	g->cache_refused = existed;
	g->cache = GEO_CACHE_UNWRITABLE;
	/* a database replaced while it was read is not cached under the old identity */
	if (cache_identity(path, cache_dir, f2, sizeof(f2), &id2) == 0 && same_identity(&id, &id2) &&
	    cache_write(g, file, &id) == 0)
		g->cache = GEO_CACHE_WRITTEN;
	return g;
}

struct geo *geo_open(const char *path, char *err, size_t errlen)
{
	return geo_open_cached(path, NULL, err, errlen);
}

enum geo_cache_state geo_cache_state(const struct geo *g, int *refused)
{
	if (refused)
		*refused = g && g->cache_refused;
	return g ? g->cache : GEO_CACHE_OFF;
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

static inline uint64_t load_be64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return __builtin_bswap64(v);
}

void geo_lookup(const struct geo *g, const struct sk_addr *a, struct geo_info *out)
{
	const struct geo_val *v;
	uint64_t hi, lo;

	memset(out, 0, sizeof(*out));
	out->cls = GEO_UNKNOWN;
	if (!g)
		return;
	/* addr_is_v4 / addr_v4 / key6 without the calls and the byte loop */
	hi = load_be64(a->b);
	lo = load_be64(a->b + 8);
	if (hi == 0 && lo >> 32 == 0xffff)
		v = &g->vals[g->t4.val[find4(&g->t4, (uint32_t)lo)]];
	else
		v = &g->vals[g->t6.val[find6(&g->t6, (u128)hi << 64 | lo)]];
	out->cc[0] = v->cc[0];
	out->cc[1] = v->cc[1];
	out->cc[2] = '\0';
	out->asn = v->asn;
	out->cls = (enum geo_class)v->cls;
}

struct geo_memo_slot {
	uint64_t hi, lo;             /* the address, as geo_lookup loads it */
	struct geo_info info;
	bool used;
};

struct geo_memo {
	struct geo_memo_slot slot[GEO_MEMO_SLOTS];
};

struct geo_memo *geo_memo_new(void)
{
	return calloc(1, sizeof(struct geo_memo));
}

void geo_memo_free(struct geo_memo *m)
{
	free(m);
}

void geo_lookup_memo(const struct geo *g, struct geo_memo *m, const struct sk_addr *a,
		     struct geo_info *out)
{
	uint64_t hi = load_be64(a->b), lo = load_be64(a->b + 8);
	struct geo_memo_slot *s;

	if (!m) {
		geo_lookup(g, a, out);
		return;
	}
	s = &m->slot[((hi ^ lo) * 0x9e3779b97f4a7c15u) >> (64 - 12)];
	_Static_assert(GEO_MEMO_SLOTS == 1u << 12, "the index takes 12 bits");
	if (s->used && s->hi == hi && s->lo == lo) {
		*out = s->info;
		return;
	}
	geo_lookup(g, a, out);
	s->hi = hi;
	s->lo = lo;
	s->info = *out;
	s->used = true;
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

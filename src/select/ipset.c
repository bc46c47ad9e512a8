/*
 * ipset.c — exact-address hash tables and flattened prefix ranges (see ipset.h).
 *
 * Layout of a built set, per family (IPv4 on 32-bit keys, IPv6 on 128-bit keys):
 *
 *   hosts   /32 and /128 entries: open addressing, linear probing, load <= 0.7 (IPv4) or
 *           0.8 (IPv6, behind the negative filter);
 *           a slot is (address, tagset id), id 0 marks an empty slot.
 *   ranges  all shorter prefixes, flattened into disjoint ranges: a sorted array of range
 *           starts pos[0] = 0 < pos[1] < … with the tagset in force from pos[i] up to
 *           pos[i+1] - 1; a 65 536-entry index on the top 16 bits narrows the binary search.
 *
 * Flattening. Prefixes are sorted by (start, length): in CIDR two prefixes are either
 * nested or disjoint, so a sweep with a stack of open prefixes sees each range start once,
 * and the tagset in force is the union of the tags of the prefixes on the stack. A host
 * entry's tagset is the union of its own tags and those of the range it falls in, so a probe
 * that hits the hash table needs no range lookup. Every tagset is interned (tagset.h).
 *
 * An IPv6 prefix that covers the IPv4-mapped space ::ffff:0:0/96 also yields its IPv4 part,
 * so ::/0 covers IPv4 addresses too.
 *
 * Negative filter. Most looked-up addresses are covered by nothing, and the probes above cost
 * several cache misses each (a random slot of a multi-megabyte table, then the range index,
 * bounds and tagset arrays). A bitmap answers "nothing here" with one memory access:
 *   IPv4  one bit per /24 (2 MiB), set when a host entry or a range with tags lies in it;
 *   IPv6  one bit per hash of the /48 (512 KiB), set for every host entry's /48 and every /48
 *         a tagged range touches; left out (NULL) when a tagged range spans more than
 *         BM6_MAX_SPAN /48s, as then nearly every bit would be set anyway.
 * A clear bit means the lookup answers 0; a set bit goes on to the exact probes, so the
 * answers are those of the tables alone.
 */
#include "select/ipset.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "select/tagset.h"

typedef unsigned __int128 u128;

#define IDX_SIZE 65536
#define IDX_MIN_RANGES 256   /* below this, a plain binary search */
#define BM4_WORDS ((size_t)1 << (24 - 6))  /* IPv4 filter: 2^24 bits, one per /24 */
#define BM6_BITS 22                        /* IPv6 filter: 2^22 bits (512 KiB) */
#define BM6_WORDS ((size_t)1 << (BM6_BITS - 6))
#define BM_MIN_ENTRIES 4096  /* below this, the tables are small enough to stay cached */
#define BM6_MAX_SPAN ((u128)1 << 20)

struct host4 { uint64_t key; };                         /* addr << 32 | tag */
struct host6 { u128 addr; uint32_t tag; };
struct pfx { u128 start; uint32_t tag; uint8_t plen; }; /* plen on the family's width */

struct vec {
	void *p;
	size_t n, cap;
};

struct ipset_builder {
	struct vec h4, h6, p4, p6;
	size_t count;
};

struct slot4 { uint32_t key, ts; };
struct slot6 { uint8_t b[16]; uint32_t ts; };

struct ranges {
	void *pos;          /* uint32_t[] or u128[] */
	uint32_t *ts;
	size_t n;
	uint32_t *idx;      /* IDX_SIZE + 1 entries or NULL */
};

struct ipset {
	struct tagset_pool pool;
	struct slot4 *h4;
	size_t h4_mask;
	struct slot6 *h6;
	size_t h6_mask;
	struct ranges r4, r6;
	uint64_t *bm4;      /* NULL or BM4_WORDS words: /24s that may be covered */
	uint64_t *bm6;      /* NULL or BM6_WORDS words: hashed /48s that may be covered */
	size_t count;
};

static int vec_push(struct vec *v, const void *e, size_t sz)
{
	if (v->n == v->cap) {
		size_t c = v->cap ? v->cap * 2 : 1024;
		void *p = realloc(v->p, c * sz);
		if (!p)
			return -1;
		v->p = p;
		v->cap = c;
	}
	memcpy((char *)v->p + v->n * sz, e, sz);
	v->n++;
	return 0;
}

static u128 load128(const uint8_t b[16])
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | b[i];
	return v;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static uint64_t hash4(uint32_t a)
{
	return mix64(a);
}

static uint64_t hash6(const uint8_t b[16])
{
	uint64_t x, y;

	memcpy(&x, b, 8);
	memcpy(&y, b + 8, 8);
	return mix64(x ^ mix64(y));
}

struct ipset_builder *ipset_builder_new(void)
{
	return calloc(1, sizeof(struct ipset_builder));
}

size_t ipset_builder_count(const struct ipset_builder *b)
{
	return b->count;
}

int ipset_builder_add(struct ipset_builder *b, const struct sk_addr *net, unsigned plen,
		      uint32_t tag)
{
	static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct sk_addr m;
	int rc = 0;

	if (plen > 128 || b->count >= IPSET_MAX_ENTRIES)
		return -1;
	b->count++;
	if (addr_is_v4(net) && plen >= 96) {
		uint32_t a = addr_v4(net);
		if (plen == 128) {
			struct host4 h = { (uint64_t)a << 32 | tag };
			return vec_push(&b->h4, &h, sizeof(h));
		}
		struct pfx p = { a, tag, (uint8_t)(plen - 96) };
		return vec_push(&b->p4, &p, sizeof(p));
	}
	if (plen == 128) {
		struct host6 h;
		memset(&h, 0, sizeof(h));
		h.addr = load128(net->b);
		h.tag = tag;
		return vec_push(&b->h6, &h, sizeof(h));
	}
	struct pfx p;
	memset(&p, 0, sizeof(p));
	p.start = load128(net->b);
	p.tag = tag;
	p.plen = (uint8_t)plen;
	rc = vec_push(&b->p6, &p, sizeof(p));
	/* A short IPv6 prefix covering ::ffff:0:0/96 covers all of IPv4 as well. */
	memcpy(m.b, mapped, 16);
	if (rc == 0 && addr_in_prefix(&m, net, plen)) {
		struct pfx q = { 0, tag, 0 };
		rc = vec_push(&b->p4, &q, sizeof(q));
	}
	return rc;
}

void ipset_builder_free(struct ipset_builder *b)
{
	if (!b)
		return;
	free(b->h4.p);
	free(b->h6.p);
	free(b->p4.p);
	free(b->p6.p);
	free(b);
}

/* --- flattening ------------------------------------------------------------------------ */

static int cmp_pfx(const void *x, const void *y)
{
	const struct pfx *a = x, *b = y;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	return a->tag < b->tag ? -1 : a->tag > b->tag;
}

struct bounds {
	u128 *pos;
	uint32_t *ts;
	size_t n, cap;
};

static int emit(struct bounds *bd, u128 pos, uint32_t ts)
{
	if (bd->n && bd->pos[bd->n - 1] == pos) {
		bd->ts[bd->n - 1] = ts;
		if (bd->n >= 2 && bd->ts[bd->n - 2] == ts)
			bd->n--;
		return 0;
	}
	if (bd->n && bd->ts[bd->n - 1] == ts)
		return 0;
	if (bd->n == bd->cap) {
		size_t c = bd->cap ? bd->cap * 2 : 256;
		u128 *p = realloc(bd->pos, c * sizeof(*p));
		if (!p)
			return -1;
		bd->pos = p;
		uint32_t *t = realloc(bd->ts, c * sizeof(*t));
		if (!t)
			return -1;
		bd->ts = t;
		bd->cap = c;
	}
	bd->pos[bd->n] = pos;
	bd->ts[bd->n] = ts;
	bd->n++;
	return 0;
}

/* Sweep sorted prefixes of one family (width 32 or 128) into range bounds. */
static int flatten(struct tagset_pool *pool, struct pfx *v, size_t n, unsigned width,
		   struct bounds *bd)
{
	struct { u128 end; uint32_t ts; } stack[130];
	size_t depth = 0;
	u128 maxv = width == 32 ? (u128)UINT32_MAX : ~(u128)0;

	if (n)
		qsort(v, n, sizeof(*v), cmp_pfx);
	if (emit(bd, 0, 0) < 0)
		return -1;
	for (size_t i = 0; i < n;) {
		u128 s = v[i].start;
		unsigned plen = v[i].plen;
		u128 host = plen == 0 ? maxv : (((u128)1 << (width - plen)) - 1);
		u128 e = s | host;
		uint32_t ts;

		while (depth && stack[depth - 1].end < s) {
			u128 e0 = stack[--depth].end;
			if (e0 != maxv && emit(bd, e0 + 1, depth ? stack[depth - 1].ts : 0) < 0)
				return -1;
		}
		ts = depth ? stack[depth - 1].ts : 0;
		for (; i < n && v[i].start == s && v[i].plen == plen; i++) {
			ts = tagset_add(pool, ts, v[i].tag);
			if (ts == TAGSET_NONE)
				return -1;
		}
		if (depth >= sizeof(stack) / sizeof(stack[0]))
			return -1; /* cannot happen: nesting depth <= width + 1 */
		stack[depth].end = e;
		stack[depth].ts = ts;
		depth++;
		if (emit(bd, s, ts) < 0)
			return -1;
	}
	while (depth) {
		u128 e0 = stack[--depth].end;
		if (e0 != maxv && emit(bd, e0 + 1, depth ? stack[depth - 1].ts : 0) < 0)
			return -1;
	}
	return 0;
}

static int ranges_make(struct ranges *r, struct bounds *bd, unsigned width)
{
	unsigned shift = width - 16;

	r->n = bd->n;
	r->ts = bd->ts;
	bd->ts = NULL;
	if (width == 32) {
		uint32_t *p = malloc(bd->n * sizeof(*p));
		if (!p)
			return -1;
		for (size_t i = 0; i < bd->n; i++)
			p[i] = (uint32_t)bd->pos[i];
		r->pos = p;
		free(bd->pos);
	} else {
		r->pos = bd->pos;
	}
	memset(bd, 0, sizeof(*bd));
	if (r->n < IDX_MIN_RANGES)
		return 0;
	r->idx = malloc((IDX_SIZE + 1) * sizeof(*r->idx));
	if (!r->idx)
		return -1;
	size_t i = 0;
	for (size_t h = 0; h <= IDX_SIZE; h++) {
		/* idx[h] = first bound whose top 16 bits are >= h */
		while (i < r->n) {
			u128 p = width == 32 ? ((uint32_t *)r->pos)[i] : ((u128 *)r->pos)[i];
			if ((size_t)(p >> shift) >= h)
				break;
			i++;
		}
		r->idx[h] = (uint32_t)i;
	}
	return 0;
}

static uint32_t ranges_find4(const struct ranges *r, uint32_t x)
{
	const uint32_t *pos = r->pos;
	size_t lo = 0, hi = r->n;

	if (r->idx) {
		lo = r->idx[x >> 16];
		hi = r->idx[(x >> 16) + 1];
	}
	/* count of bounds <= x in [lo, hi); bounds before lo are all <= x */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pos[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? r->ts[lo - 1] : 0;
}

static uint32_t ranges_find6(const struct ranges *r, u128 x)
{
	const u128 *pos = r->pos;
	size_t lo = 0, hi = r->n;

	if (r->idx) {
		size_t h = (size_t)(x >> 112);
		lo = r->idx[h];
		hi = r->idx[h + 1];
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (pos[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? r->ts[lo - 1] : 0;
}

/* --- host tables ----------------------------------------------------------------------- */

static size_t table_cap(size_t n)
{
	size_t c = 16;

	while (c * 7 < n * 10)
		c *= 2;
	return c;
}

/* IPv6 slots are 20 bytes and most misses stop at the filter: load <= 0.8 */
static size_t table_cap6(size_t n)
{
	size_t c = 16;

	while (c * 8 < n * 10)
		c *= 2;
	return c;
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

static int cmp_host6(const void *x, const void *y)
{
	const struct host6 *a = x, *b = y;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	return a->tag < b->tag ? -1 : a->tag > b->tag;
}

/* Sort n keys ascending: LSD radix, a byte a pass, passes where every key has the same byte
 * skipped. A million keys take milliseconds where qsort took a fifth of a second. Falls back
 * to qsort when there is no memory for the second array. */
static void sort_u64(uint64_t *a, size_t n)
{
	uint64_t *tmp = malloc(n * sizeof(*a)), *src = a, *dst = tmp;

	if (!tmp) {
		qsort(a, n, sizeof(*a), cmp_u64);
		return;
	}
	for (unsigned shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;
		for (size_t i = 0; i < n; i++)
			count[(src[i] >> shift) & 0xff]++;
		if (count[(src[0] >> shift) & 0xff] == n)
			continue;
		for (unsigned b = 0; b < 256; b++) {
			size_t c = count[b];
			count[b] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[(src[i] >> shift) & 0xff]++] = src[i];
		uint64_t *t = src;
		src = dst;
		dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof(*a));
	free(tmp);
}

static int build_hosts4(struct ipset *s, struct vec *v)
{
	struct host4 *h = v->p;
	size_t n = v->n;

	if (n == 0)
		return 0;
	_Static_assert(sizeof(struct host4) == sizeof(uint64_t), "host4 is its key");
	sort_u64((uint64_t *)(void *)h, n);
	s->h4_mask = table_cap(n) - 1;
	s->h4 = calloc(s->h4_mask + 1, sizeof(*s->h4));
	if (!s->h4)
		return -1;
	for (size_t i = 0; i < n;) {
		uint32_t a = (uint32_t)(h[i].key >> 32);
		uint32_t ts = ranges_find4(&s->r4, a);
		for (; i < n && (uint32_t)(h[i].key >> 32) == a; i++) {
			ts = tagset_add(&s->pool, ts, (uint32_t)h[i].key);
			if (ts == TAGSET_NONE)
				return -1;
		}
		size_t j = hash4(a) & s->h4_mask;
		while (s->h4[j].ts)
			j = (j + 1) & s->h4_mask;
		s->h4[j].key = a;
		s->h4[j].ts = ts;
	}
	return 0;
}

static int build_hosts6(struct ipset *s, struct vec *v)
{
	struct host6 *h = v->p;
	size_t n = v->n;

	if (n == 0)
		return 0;
	qsort(h, n, sizeof(*h), cmp_host6);
	s->h6_mask = table_cap6(n) - 1;
	s->h6 = calloc(s->h6_mask + 1, sizeof(*s->h6));
	if (!s->h6)
		return -1;
	for (size_t i = 0; i < n;) {
		u128 a = h[i].addr;
		uint8_t b[16];
		uint32_t ts = ranges_find6(&s->r6, a);
		for (; i < n && h[i].addr == a; i++) {
			ts = tagset_add(&s->pool, ts, h[i].tag);
			if (ts == TAGSET_NONE)
				return -1;
		}
		for (int k = 15; k >= 0; k--) {
			b[k] = (uint8_t)a;
			a >>= 8;
		}
		size_t j = hash6(b) & s->h6_mask;
		while (s->h6[j].ts)
			j = (j + 1) & s->h6_mask;
		memcpy(s->h6[j].b, b, 16);
		s->h6[j].ts = ts;
	}
	return 0;
}

/* --- negative filters ------------------------------------------------------------------ */

static inline size_t bm6_bit(uint64_t top48)
{
	return (size_t)(mix64(top48) >> (64 - BM6_BITS));
}

static inline bool bm_test(const uint64_t *bm, size_t bit)
{
	return bm[bit >> 6] >> (bit & 63) & 1;
}

static inline void bm_set(uint64_t *bm, size_t bit)
{
	bm[bit >> 6] |= 1ull << (bit & 63);
}

static int build_bm4(struct ipset *s)
{
	const uint32_t *pos = s->r4.pos;

	s->bm4 = calloc(BM4_WORDS, sizeof(*s->bm4));
	if (!s->bm4)
		return -1;
	for (size_t i = 0; i < s->r4.n; i++) {
		if (!s->r4.ts[i])
			continue;
		uint32_t end = i + 1 < s->r4.n ? pos[i + 1] - 1 : UINT32_MAX;
		for (uint32_t k = pos[i] >> 8; k <= end >> 8; k++)
			bm_set(s->bm4, k);
	}
	for (size_t j = 0; s->h4 && j <= s->h4_mask; j++)
		if (s->h4[j].ts)
			bm_set(s->bm4, s->h4[j].key >> 8);
	return 0;
}

static int build_bm6(struct ipset *s)
{
	const u128 *pos = s->r6.pos;

	for (size_t i = 0; i < s->r6.n; i++) {
		if (!s->r6.ts[i])
			continue;
		u128 end = i + 1 < s->r6.n ? pos[i + 1] - 1 : ~(u128)0;
		if ((end >> 80) - (pos[i] >> 80) >= BM6_MAX_SPAN)
			return 0; /* no filter */
	}
	s->bm6 = calloc(BM6_WORDS, sizeof(*s->bm6));
	if (!s->bm6)
		return -1;
	for (size_t i = 0; i < s->r6.n; i++) {
		if (!s->r6.ts[i])
			continue;
		u128 end = i + 1 < s->r6.n ? pos[i + 1] - 1 : ~(u128)0;
		for (u128 k = pos[i] >> 80; k <= end >> 80; k++)
			bm_set(s->bm6, bm6_bit((uint64_t)k));
	}
	for (size_t j = 0; s->h6 && j <= s->h6_mask; j++)
		if (s->h6[j].ts)
			bm_set(s->bm6, bm6_bit((uint64_t)(load128(s->h6[j].b) >> 80)));
	return 0;
}

struct ipset *ipset_build(struct ipset_builder *b)
{
	struct ipset *s = calloc(1, sizeof(*s));
	struct bounds bd = { 0 };
	int rc = -1;

	if (!s || tagset_init(&s->pool) < 0)
		goto out;
	s->count = b->count;
	if (flatten(&s->pool, b->p4.p, b->p4.n, 32, &bd) < 0 || ranges_make(&s->r4, &bd, 32) < 0)
		goto out;
	free(b->p4.p);
	b->p4.p = NULL;
	if (flatten(&s->pool, b->p6.p, b->p6.n, 128, &bd) < 0 || ranges_make(&s->r6, &bd, 128) < 0)
		goto out;
	free(b->p6.p);
	b->p6.p = NULL;
	if (build_hosts4(s, &b->h4) < 0 || build_hosts6(s, &b->h6) < 0)
		goto out;
	/* the builder's host lists are done with: free them before the filters */
	free(b->h4.p);
	b->h4.p = NULL;
	free(b->h6.p);
	b->h6.p = NULL;
	if (s->count >= BM_MIN_ENTRIES && (build_bm4(s) < 0 || build_bm6(s) < 0))
		goto out;
	tagset_seal(&s->pool);
	rc = 0;
out:
	free(bd.pos);
	free(bd.ts);
	ipset_builder_free(b);
	if (rc < 0) {
		ipset_free(s);
		return NULL;
	}
	return s;
}

/* --- lookup ---------------------------------------------------------------------------- */

uint32_t ipset_lookup(const struct ipset *s, const struct sk_addr *a)
{
	if (addr_is_v4(a)) {
		uint32_t x = addr_v4(a);
		if (s->bm4 && !bm_test(s->bm4, x >> 8))
			return 0;
		if (s->h4) {
			for (size_t j = hash4(x) & s->h4_mask; s->h4[j].ts; j = (j + 1) & s->h4_mask)
				if (s->h4[j].key == x)
					return s->h4[j].ts;
		}
		return ranges_find4(&s->r4, x);
	}
	if (s->bm6) {
		const uint8_t *b = a->b;
		uint64_t top = (uint64_t)b[0] << 40 | (uint64_t)b[1] << 32 | (uint64_t)b[2] << 24 |
			       (uint64_t)b[3] << 16 | (uint64_t)b[4] << 8 | b[5];
		if (!bm_test(s->bm6, bm6_bit(top)))
			return 0;
	}
	if (s->h6) {
		for (size_t j = hash6(a->b) & s->h6_mask; s->h6[j].ts; j = (j + 1) & s->h6_mask)
			if (memcmp(s->h6[j].b, a->b, 16) == 0)
				return s->h6[j].ts;
	}
	return ranges_find6(&s->r6, load128(a->b));
}

const uint32_t *ipset_tags(const struct ipset *s, uint32_t id, size_t *n)
{
	return tagset_get(&s->pool, id, n);
}

size_t ipset_count(const struct ipset *s)
{
	return s->count;
}

static size_t ranges_bytes(const struct ranges *r, size_t possz)
{
	return r->n * (possz + sizeof(uint32_t)) + (r->idx ? (IDX_SIZE + 1) * sizeof(uint32_t) : 0);
}

size_t ipset_bytes(const struct ipset *s)
{
	size_t n = sizeof(*s) + tagset_bytes(&s->pool);

	if (s->h4)
		n += (s->h4_mask + 1) * sizeof(*s->h4);
	if (s->h6)
		n += (s->h6_mask + 1) * sizeof(*s->h6);
	n += ((s->bm4 ? BM4_WORDS : 0) + (s->bm6 ? BM6_WORDS : 0)) * sizeof(uint64_t);
	return n + ranges_bytes(&s->r4, sizeof(uint32_t)) + ranges_bytes(&s->r6, sizeof(u128));
}

void ipset_free(struct ipset *s)
{
	if (!s)
		return;
	tagset_free(&s->pool);
	free(s->h4);
	free(s->h6);
	free(s->bm4);
	free(s->bm6);
	free(s->r4.pos);
	free(s->r4.ts);
	free(s->r4.idx);
	free(s->r6.pos);
	free(s->r6.ts);
	free(s->r6.idx);
	free(s);
}

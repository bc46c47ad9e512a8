/*
 * test_ipset.c — ipset lookups against a brute-force oracle.
 *
 * Sets large enough to build the negative filters (IPv4 /24 bitmap, hashed IPv6 /48 bitmap)
 * and small ones without them; queries are the entries themselves, their neighbours (which
 * share a /24 or /48 with an entry but may be covered by nothing) and random addresses. The
 * oracle answers the sorted tags of every entry whose prefix covers the address.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/addr.h"
#include "select/ipset.h"

struct ent {
	struct sk_addr net;
	unsigned plen;
	uint32_t tag;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static void mask_to(struct sk_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned keep = plen >= 8 * (i + 1) ? 8 : plen > 8 * i ? plen - 8 * i : 0;
		a->b[i] &= (uint8_t)(0xff00u >> keep);
	}
}

static void rand_v6(struct sk_addr *a)
{
	uint8_t b[16];

	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)rnd();
	b[0] = (uint8_t)(0x20 | (b[0] & 0x0f)); /* 2000::/4, as the bench's */
	addr_from_v6(a, b);
}

/* n random entries: v4 hosts, v4 /8../31, v6 hosts, v6 /48 and /64 */
static struct ent *make_entries(size_t n)
{
	struct ent *e = calloc(n, sizeof(*e));

	assert_non_null(e);
	for (size_t i = 0; i < n; i++) {
		unsigned k = rnd() % 10;
		if (k < 5) {
			addr_from_v4(&e[i].net, rnd() | 1u << 24);
			e[i].plen = 128;
		} else if (k < 7) {
			addr_from_v4(&e[i].net, rnd());
			e[i].plen = 96 + 8 + rnd() % 24;
		} else if (k < 9) {
			rand_v6(&e[i].net);
			e[i].plen = 128;
		} else {
			rand_v6(&e[i].net);
			e[i].plen = rnd() % 2 ? 48 : 64;
		}
		mask_to(&e[i].net, e[i].plen);
		e[i].tag = rnd() % 50;
	}
	return e;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

static size_t oracle(const struct ent *e, size_t n, const struct sk_addr *a, uint32_t *out)
{
	size_t k = 0, u = 0;

	for (size_t i = 0; i < n; i++)
		if (addr_in_prefix(a, &e[i].net, e[i].plen))
			out[k++] = e[i].tag;
	qsort(out, k, sizeof(*out), cmp_u32);
	for (size_t i = 0; i < k; i++)
		if (u == 0 || out[u - 1] != out[i])
			out[u++] = out[i];
	return u;
}

static void check(const struct ipset *s, const struct ent *e, size_t n, const struct sk_addr *a,
		  size_t *hits)
{
	uint32_t *want = malloc((n + 1) * sizeof(*want));
	size_t nw, ng;
	const uint32_t *got;

	assert_non_null(want);
	nw = oracle(e, n, a, want);
	got = ipset_tags(s, ipset_lookup(s, a), &ng);
	assert_int_equal(ng, nw);
	if (nw)
		assert_memory_equal(got, want, nw * sizeof(*want));
	*hits += nw != 0;
	free(want);
}

/* Build from e[0..n), then query entries, neighbours and random addresses. */
static void run(const struct ent *e, size_t n, size_t queries, bool near_misses)
{
	struct ipset_builder *b = ipset_builder_new();
	struct ipset *s;
	size_t hits = 0, misses_near = 0;

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ipset_builder_add(b, &e[i].net, e[i].plen, e[i].tag), 0);
	s = ipset_build(b);
	assert_non_null(s);
	assert_int_equal(ipset_count(s), n);
	assert_true(ipset_bytes(s) > 0);
	for (size_t q = 0; q < queries; q++) {
		const struct ent *x = &e[rnd() % n];
		struct sk_addr a = x->net;
		size_t before = hits;
		switch (q % 4) {
		case 0: /* the entry itself */
			break;
		case 1: /* a neighbour in the same /24 or /48 */
			a.b[addr_is_v4(&a) ? 15 : 7] ^= (uint8_t)(1 + rnd() % 255);
			break;
		case 2: /* random IPv4 */
			addr_from_v4(&a, rnd());
			break;
		default: /* random IPv6 */
			rand_v6(&a);
			break;
		}
		check(s, e, n, &a, &hits);
		if (q % 4 == 1 && hits == before)
			misses_near++;
	}
	/* the queries exercised both answers, near misses included */
	assert_true(hits > queries / 8);
	assert_true(near_misses ? misses_near > 0 : misses_near == 0);
	ipset_free(s);
}

static void test_large_filtered(void **state)
{
	size_t n = 6000;
	struct ent *e = make_entries(n);

	(void)state;
	run(e, n, 6000, true);
	free(e);
}

static void test_small_unfiltered(void **state)
{
	size_t n = 200;
	struct ent *e = make_entries(n);

	(void)state;
	run(e, n, 4000, true);
	free(e);
}

/* A wide IPv6 prefix (no IPv6 filter) and ::/0 (covers IPv4 too): every address is covered. */
static void test_wide_prefixes(void **state)
{
	size_t n = 6002;
	struct ent *e = make_entries(n);
	struct sk_addr any;

	(void)state;
	memset(&any, 0, sizeof(any));
	assert_int_equal(addr_parse_prefix(&e[n - 2].net, &e[n - 2].plen, "2000::/3"), 0);
	e[n - 2].tag = 60;
	assert_int_equal(addr_parse_prefix(&e[n - 1].net, &e[n - 1].plen, "::/0"), 0);
	e[n - 1].tag = 61;
	run(e, n, 4000, false);
	/* and an address far from every entry still carries ::/0's tag */
	{
		struct ipset_builder *b = ipset_builder_new();
		struct ipset *s;
		size_t ng;
		const uint32_t *t;
		for (size_t i = 0; i < n; i++)
			assert_int_equal(ipset_builder_add(b, &e[i].net, e[i].plen, e[i].tag), 0);
		s = ipset_build(b);
		assert_non_null(s);
		addr_from_v4(&any, 0x00000001u);
		t = ipset_tags(s, ipset_lookup(s, &any), &ng);
		assert_int_equal(ng, 1);
		assert_int_equal(t[0], 61);
		ipset_free(s);
	}
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_filtered),
		cmocka_unit_test(test_small_unfiltered),
		cmocka_unit_test(test_wide_prefixes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

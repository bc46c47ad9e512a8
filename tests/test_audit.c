/*
 * test_audit.c — the audit log: Merkle tree (RFC 6962 / 9162), signed tree heads, auditlog.h.
 *
 * Known answers: the 8-leaf reference tree of the Certificate Transparency reference
 * implementation, google/certificate-transparency cpp/merkletree/merkle_tree_test.cc
 * (kInputs, kSHA256Roots, kSHA256Paths, kSHA256Proofs; the same values appear in
 * google/trillian merkle/log_verifier_test.go). Their leaf numbers are 1-based; here indices
 * are 0-based. Beyond those: a property test over random trees (every proof verifies, any
 * flipped bit fails) and a cross-check against the RFC's recursive definitions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sodium.h>

#include "audit/auditlog.h"
#include "audit/merkle.h"
#include "audit/sth.h"

typedef uint8_t hash_t[MERKLE_HASHLEN];

static void unhex(const char *hex, uint8_t *out, size_t n)
{
	size_t got = 0;

	assert_int_equal(strlen(hex), 2 * n);
	assert_int_equal(sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL), 0);
	assert_int_equal(got, n);
}

static void assert_hash_hex(const uint8_t *h, const char *hex)
{
	char got[2 * MERKLE_HASHLEN + 1];

	sodium_bin2hex(got, sizeof(got), h, MERKLE_HASHLEN);
	assert_string_equal(got, hex);
}

/* ---- the CT reference tree ----------------------------------------------------------- */

static const char *const ct_inputs[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};
static const char *const ct_empty =
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char *const ct_roots[8] = { /* kSHA256Roots: sizes 1..8 */
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

struct vec {
	uint64_t a, b;            /* inclusion: index, size; consistency: first, second */
	size_t n;
	const char *h[3];
};
static const struct vec ct_paths[] = { /* kSHA256Paths (leaf 1, 6, 3, 2 → index 0, 5, 2, 1) */
	{ 0, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, { "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, { "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, { "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 0, 1, 0, { NULL } },
};
static const struct vec ct_proofs[] = { /* kSHA256Proofs */
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, { "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
		     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, { "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
		     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
		     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, { "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
		     "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
};

static struct merkle *ct_tree(hash_t leaves[8])
{
	struct merkle *t = merkle_new();

	assert_non_null(t);
	for (int i = 0; i < 8; i++) {
		uint8_t data[16];
		size_t len = strlen(ct_inputs[i]) / 2;

		unhex(ct_inputs[i], data, len);
		merkle_leaf_hash(data, len, leaves[i]);
		assert_int_equal(merkle_append(t, leaves[i]), 0);
	}
	return t;
}

static void test_empty_root(void **state)
{
	struct merkle *t = merkle_new();
	hash_t r;

	merkle_empty_root(r);
	assert_hash_hex(r, ct_empty);
	assert_int_equal(merkle_root(t, 0, r), 0);
	assert_hash_hex(r, ct_empty);
	assert_int_equal(merkle_root(t, 1, r), -1);
	merkle_free(t);
}

static void test_ct_roots(void **state)
{
	hash_t leaves[8], r;
	struct merkle *inc = merkle_new(), *t = ct_tree(leaves);

	/* Built leaf by leaf: the root after each append; and every prefix of the full tree. */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(merkle_append(inc, leaves[i]), 0);
		assert_int_equal(merkle_root(inc, i + 1, r), 0);
		assert_hash_hex(r, ct_roots[i]);
		assert_int_equal(merkle_root(t, i + 1, r), 0);
		assert_hash_hex(r, ct_roots[i]);
	}
	assert_int_equal(merkle_root(t, 9, r), -1);
	/* Truncation gives back exactly the smaller tree, and regrowing it the same roots. */
	merkle_truncate(t, 3);
	assert_int_equal(merkle_size(t), 3);
	assert_int_equal(merkle_root(t, 3, r), 0);
	assert_hash_hex(r, ct_roots[2]);
	for (int i = 3; i < 8; i++)
		assert_int_equal(merkle_append(t, leaves[i]), 0);
	assert_int_equal(merkle_root(t, 8, r), 0);
	assert_hash_hex(r, ct_roots[7]);
	merkle_free(inc);
	merkle_free(t);
}

static void load_vec(const struct vec *v, hash_t proof[MERKLE_MAXPROOF])
{
	for (size_t j = 0; j < v->n; j++)
		unhex(v->h[j], proof[j], MERKLE_HASHLEN);
}

static void test_ct_paths(void **state)
{
	hash_t leaves[8], got[MERKLE_MAXPROOF], want[MERKLE_MAXPROOF], root, bad;
	struct merkle *t = ct_tree(leaves);
	size_t n;

	for (size_t v = 0; v < sizeof(ct_paths) / sizeof(ct_paths[0]); v++) {
		const struct vec *p = &ct_paths[v];

		load_vec(p, want);
		assert_int_equal(merkle_inclusion(t, p->a, p->b, got, &n), 0);
		assert_int_equal(n, p->n);
		for (size_t j = 0; j < n; j++)
			assert_hash_hex(got[j], p->h[j]);
		unhex(ct_roots[p->b - 1], root, MERKLE_HASHLEN);
		assert_int_equal(merkle_verify_inclusion(p->a, p->b, leaves[p->a], want, n, root), 0);
		/* The CT verifier's negative cases: wrong index, size, leaf, root, path. */
		if (p->a > 0)
			assert_int_equal(merkle_verify_inclusion(p->a - 1, p->b, leaves[p->a], want, n, root), -1);
		assert_int_equal(merkle_verify_inclusion(p->a + 1, p->b, leaves[p->a], want, n, root), -1);
		assert_int_equal(merkle_verify_inclusion(p->a ^ 2, p->b, leaves[p->a], want, n, root), -1);
		assert_int_equal(merkle_verify_inclusion(p->a, p->b * 2, leaves[p->a], want, n, root), -1);
		assert_int_equal(merkle_verify_inclusion(p->a, p->b / 2, leaves[p->a], want, n, root), -1);
		merkle_leaf_hash("WrongLeaf", 9, bad);
		assert_int_equal(merkle_verify_inclusion(p->a, p->b, bad, want, n, root), -1);
		merkle_empty_root(bad);
		assert_int_equal(merkle_verify_inclusion(p->a, p->b, leaves[p->a], want, n, bad), -1);
		for (size_t j = 0; j < n; j++) {
			memcpy(got, want, sizeof(want));
			memcpy(got[j], bad, MERKLE_HASHLEN);
			assert_int_equal(merkle_verify_inclusion(p->a, p->b, leaves[p->a], got, n, root), -1);
		}
		memcpy(want[n], root, MERKLE_HASHLEN);       /* trailing garbage */
		assert_int_equal(merkle_verify_inclusion(p->a, p->b, leaves[p->a], want, n + 1, root), -1);
		if (n > 0)                                   /* truncated */
			assert_int_equal(merkle_verify_inclusion(p->a, p->b, leaves[p->a], want, n - 1, root), -1);
	}
	/* Out-of-range requests. */
	assert_int_equal(merkle_inclusion(t, 0, 0, got, &n), -1);
	assert_int_equal(merkle_inclusion(t, 8, 8, got, &n), -1);
	assert_int_equal(merkle_inclusion(t, 0, 9, got, &n), -1);
	assert_int_equal(merkle_verify_inclusion(0, 0, leaves[0], got, 0, root), -1);
	assert_int_equal(merkle_verify_inclusion(2, 1, leaves[0], got, 0, root), -1);
	merkle_free(t);
}

static void test_ct_consistency(void **state)
{
	hash_t leaves[8], got[MERKLE_MAXPROOF], want[MERKLE_MAXPROOF], r1, r2, bad;
	struct merkle *t = ct_tree(leaves);
	size_t n;

	merkle_empty_root(bad);
	for (size_t v = 0; v < sizeof(ct_proofs) / sizeof(ct_proofs[0]); v++) {
		const struct vec *p = &ct_proofs[v];

		load_vec(p, want);
		assert_int_equal(merkle_consistency(t, p->a, p->b, got, &n), 0);
		assert_int_equal(n, p->n);
		for (size_t j = 0; j < n; j++)
			assert_hash_hex(got[j], p->h[j]);
		unhex(ct_roots[p->a - 1], r1, MERKLE_HASHLEN);
		unhex(ct_roots[p->b - 1], r2, MERKLE_HASHLEN);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, r1, r2, want, n), 0);
		if (n == 0)
			continue;
		assert_int_equal(merkle_verify_consistency(p->a - 1, p->b, r1, r2, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a + 1, p->b, r1, r2, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a ^ 2, p->b, r1, r2, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b * 2, r1, r2, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b / 2, r1, r2, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, r2, r1, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, bad, r2, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, r1, bad, want, n), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, r1, r2, want, 0), -1);
		for (size_t j = 0; j < n; j++) {
			memcpy(got, want, sizeof(want));
			memcpy(got[j], bad, MERKLE_HASHLEN);
			assert_int_equal(merkle_verify_consistency(p->a, p->b, r1, r2, got, n), -1);
		}
		memcpy(want[n], want[n - 1], MERKLE_HASHLEN);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, r1, r2, want, n + 1), -1);
		assert_int_equal(merkle_verify_consistency(p->a, p->b, r1, r2, want, n - 1), -1);
	}
	/* The trivial cases of the CT verifier: equal sizes need equal roots and no proof. */
	unhex(ct_roots[0], r1, MERKLE_HASHLEN);
	assert_int_equal(merkle_verify_consistency(0, 0, bad, bad, got, 0), 0);
	assert_int_equal(merkle_verify_consistency(0, 1, bad, r1, got, 0), 0);
	assert_int_equal(merkle_verify_consistency(1, 1, r1, r1, got, 0), 0);
	assert_int_equal(merkle_verify_consistency(1, 1, r1, bad, got, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 0, r1, r1, got, 0), -1);
	assert_int_equal(merkle_verify_consistency(1, 2, r1, r1, got, 0), -1);
	memcpy(got[0], bad, MERKLE_HASHLEN);
	assert_int_equal(merkle_verify_consistency(1, 1, r1, r1, got, 1), -1);
	assert_int_equal(merkle_verify_consistency(0, 1, r1, r1, got, 1), -1);
	assert_int_equal(merkle_consistency(t, 0, 8, got, &n), -1);
	assert_int_equal(merkle_consistency(t, 5, 4, got, &n), -1);
	assert_int_equal(merkle_consistency(t, 1, 9, got, &n), -1);
	merkle_free(t);
}

/* ---- the RFC's recursive definitions, as a cross-check -------------------------------- */

static uint64_t ref_split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static void ref_mth(hash_t *d, uint64_t n, uint8_t out[MERKLE_HASHLEN])
{
	hash_t l, r;
	uint64_t k;

	if (n == 0) {
		merkle_empty_root(out);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], MERKLE_HASHLEN);
		return;
	}
	k = ref_split(n);
	ref_mth(d, k, l);
	ref_mth(d + k, n - k, r);
	merkle_node_hash(l, r, out);
}

static void ref_path(hash_t *d, uint64_t n, uint64_t m, hash_t *out, size_t *len)
{
	uint64_t k;

	if (n <= 1)
		return;
	k = ref_split(n);
	if (m < k) {
		ref_path(d, k, m, out, len);
		ref_mth(d + k, n - k, out[(*len)++]);
	} else {
		ref_path(d + k, n - k, m - k, out, len);
		ref_mth(d, k, out[(*len)++]);
	}
}

static void ref_subproof(hash_t *d, uint64_t n, uint64_t m, int b, hash_t *out, size_t *len)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			ref_mth(d, n, out[(*len)++]);
		return;
	}
	k = ref_split(n);
	if (m <= k) {
		ref_subproof(d, k, m, b, out, len);
		ref_mth(d + k, n - k, out[(*len)++]);
	} else {
		ref_subproof(d + k, n - k, m - k, 0, out, len);
		ref_mth(d, k, out[(*len)++]);
	}
}

static void test_against_rfc_definitions(void **state)
{
	enum { N = 70 };
	hash_t d[N], a[MERKLE_MAXPROOF], b[MERKLE_MAXPROOF], r1, r2;
	struct merkle *t = merkle_new();
	size_t na, nb;

	for (uint64_t i = 0; i < N; i++) {
		uint8_t x[2] = { (uint8_t)i, (uint8_t)(i * 7) };

		merkle_leaf_hash(x, sizeof(x), d[i]);
		assert_int_equal(merkle_append(t, d[i]), 0);
	}
	for (uint64_t n = 0; n <= N; n++) {
		ref_mth(d, n, r1);
		assert_int_equal(merkle_root(t, n, r2), 0);
		assert_memory_equal(r1, r2, MERKLE_HASHLEN);
		for (uint64_t m = 0; m < n; m++) {
			nb = 0;
			ref_path(d, n, m, b, &nb);
			assert_int_equal(merkle_inclusion(t, m, n, a, &na), 0);
			assert_int_equal(na, nb);
			assert_memory_equal(a, b, na * MERKLE_HASHLEN);
		}
		for (uint64_t m = 1; m <= n; m++) {
			nb = 0;
			ref_subproof(d, n, m, 1, b, &nb);
			assert_int_equal(merkle_consistency(t, m, n, a, &na), 0);
			assert_int_equal(na, nb);
			assert_memory_equal(a, b, na * MERKLE_HASHLEN);
		}
	}
	merkle_free(t);
}

/* ---- property test -------------------------------------------------------------------- */

static uint64_t rng = 0x5a4b1e3c2d9f7a61ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void flip(uint8_t *h)
{
	unsigned bit = (unsigned)(next_rand() % (8 * MERKLE_HASHLEN));

	h[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

/* Every inclusion proof for every (i, m <= n) and every consistency proof for m <= n verifies;
 * flipping a bit of any proof hash, of a root, of the leaf, or any bit of the index (of the
 * first size, for consistency) fails. Which bit of a hash is flipped cannot matter to the
 * verifier (it only hashes), so each hash gets one random bit; index bits are all tried. To
 * keep the test quick under the sanitizers, inclusion proofs are tampered with for every leaf
 * of the full tree and for a random eighth of the smaller trees' leaves. */
static void check_tree(uint64_t n)
{
	hash_t *leaves = calloc(n, sizeof(hash_t)), *roots = calloc(n + 1, sizeof(hash_t));
	hash_t p[MERKLE_MAXPROOF], q[MERKLE_MAXPROOF], x;
	struct merkle *t = merkle_new();
	size_t np;

	assert_non_null(leaves);
	assert_non_null(roots);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = next_rand();

		merkle_leaf_hash(&v, sizeof(v), leaves[i]);
		assert_int_equal(merkle_append(t, leaves[i]), 0);
	}
	for (uint64_t m = 0; m <= n; m++)
		assert_int_equal(merkle_root(t, m, roots[m]), 0);

	for (uint64_t m = 1; m <= n; m++) {
		for (uint64_t i = 0; i < m; i++) {
			assert_int_equal(merkle_inclusion(t, i, m, p, &np), 0);
			assert_int_equal(merkle_verify_inclusion(i, m, leaves[i], p, np, roots[m]), 0);
			if (m != n && next_rand() % 8)
				continue; /* tampering: every proof of the full tree, 1/8 of the others */
			for (size_t j = 0; j < np; j++) {
				memcpy(q, p, np * MERKLE_HASHLEN);
				flip(q[j]);
				assert_int_equal(merkle_verify_inclusion(i, m, leaves[i], q, np, roots[m]), -1);
			}
			memcpy(x, roots[m], MERKLE_HASHLEN);
			flip(x);
			assert_int_equal(merkle_verify_inclusion(i, m, leaves[i], p, np, x), -1);
			memcpy(x, leaves[i], MERKLE_HASHLEN);
			flip(x);
			assert_int_equal(merkle_verify_inclusion(i, m, x, p, np, roots[m]), -1);
			for (int b = 0; b < 64; b++)
				assert_int_equal(merkle_verify_inclusion(i ^ (1ull << b), m, leaves[i], p, np,
									 roots[m]), -1);
		}
	}
	for (uint64_t m = 1; m <= n; m++) {
		assert_int_equal(merkle_consistency(t, m, n, p, &np), 0);
		assert_int_equal(merkle_verify_consistency(m, n, roots[m], roots[n], p, np), 0);
		for (size_t j = 0; j < np; j++) {
			memcpy(q, p, np * MERKLE_HASHLEN);
			flip(q[j]);
			assert_int_equal(merkle_verify_consistency(m, n, roots[m], roots[n], q, np), -1);
		}
		memcpy(x, roots[m], MERKLE_HASHLEN);
		flip(x);
		assert_int_equal(merkle_verify_consistency(m, n, x, roots[n], p, np), -1);
		memcpy(x, roots[n], MERKLE_HASHLEN);
		flip(x);
		assert_int_equal(merkle_verify_consistency(m, n, roots[m], x, p, np), -1);
		/* Any other first size fails, except 0 (the empty tree is consistent with every
		 * tree, by definition). The second size is not asserted: RFC 9162's algorithm
		 * binds it only through root2 (the proof for 4 -> 5 also checks as 4 -> 7 with the
		 * same root2), and the log binds it by signing it with the root (sth.h). */
		for (int b = 0; b < 64; b++) {
			uint64_t m2 = m ^ (1ull << b);

			if (m2 == 0 && np == 0)
				continue;
			assert_int_equal(merkle_verify_consistency(m2, n, roots[m], roots[n], p, np), -1);
		}
		/* And between every pair of smaller sizes, too. */
		for (uint64_t k = m; k <= n; k += 1 + next_rand() % 7) {
			assert_int_equal(merkle_consistency(t, m, k, p, &np), 0);
			assert_int_equal(merkle_verify_consistency(m, k, roots[m], roots[k], p, np), 0);
		}
	}
	merkle_free(t);
	free(leaves);
	free(roots);
}

static void test_property_random_trees(void **state)
{
	const char *seed = getenv("SK_TEST_SEED");

	if (seed)
		rng = strtoull(seed, NULL, 0) | 1;
	/* One full tree of 300, plus random sizes below it. */
	check_tree(300);
	for (int k = 0; k < 3; k++)
		check_tree(1 + next_rand() % 300);
}

/* ---- signed tree heads ---------------------------------------------------------------- */

static void test_sth_layout_and_signature(void **state)
{
	uint8_t pk[32], sk[64], other_pk[32], other_sk[64], tbs[STH_TBSLEN], bin[STH_BINLEN];
	struct sth h = { .tree_size = 0x0102030405060708ull, .timestamp_ms = 1795428000123ll }, g;
	static const uint8_t want_head[17] = {
		0x01, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x00, 0x01, 0xa2, 0x07, 0xd9, 0x21, 0x7b, /* 1795428000123 */
	};

	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(other_pk, other_sk);
	unhex(ct_roots[7], h.root, 32);
	sth_tbs(&h, tbs);
	assert_memory_equal(tbs, want_head, sizeof(want_head));
	assert_memory_equal(tbs + 17, h.root, 32);

	assert_int_equal(sth_sign(&h, sk), 0);
	assert_int_equal(sth_verify(&h, pk), 0);
	assert_int_equal(sth_verify(&h, other_pk), -1);
	/* Any change to what was signed breaks the signature. */
	g = h;
	g.tree_size++;
	assert_int_equal(sth_verify(&g, pk), -1);
	g = h;
	g.timestamp_ms--;
	assert_int_equal(sth_verify(&g, pk), -1);
	g = h;
	g.root[31] ^= 1;
	assert_int_equal(sth_verify(&g, pk), -1);
	g = h;
	g.sig[0] ^= 0x80;
	assert_int_equal(sth_verify(&g, pk), -1);

	/* Binary round trip; every other length and a wrong version are refused. */
	sth_serialize(&h, bin);
	assert_memory_equal(bin, tbs, STH_TBSLEN);
	assert_int_equal(sth_parse(&g, bin, sizeof(bin)), 0);
	assert_memory_equal(&g, &h, sizeof(h));
	assert_int_equal(sth_verify(&g, pk), 0);
	for (size_t len = 0; len < STH_BINLEN; len++)
		assert_int_equal(sth_parse(&g, bin, len), -1);
	bin[0] = 2;
	assert_int_equal(sth_parse(&g, bin, sizeof(bin)), -1);
	bin[0] = 1;
	bin[9] = 0x80; /* timestamp >= 2^63 */
	assert_int_equal(sth_parse(&g, bin, sizeof(bin)), -1);
}

static void test_sth_json(void **state)
{
	uint8_t pk[32], sk[64];
	struct sth h = { .tree_size = 8, .timestamp_ms = 1795428000123ll }, g;
	char err[128];
	json_t *j, *k;

	crypto_sign_keypair(pk, sk);
	unhex(ct_roots[7], h.root, 32);
	assert_int_equal(sth_sign(&h, sk), 0);
	j = sth_to_json(&h);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "tree_size")), 8);
	assert_int_equal(json_integer_value(json_object_get(j, "timestamp")), 1795428000123ll);
	/* base64 of the CT 8-leaf root */
	assert_string_equal(json_string_value(json_object_get(j, "root_hash")),
			    "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=");
	assert_int_equal(sth_from_json(&g, j, err, sizeof(err)), 0);
	assert_memory_equal(&g, &h, sizeof(h));
	assert_int_equal(sth_verify(&g, pk), 0);

	k = json_deep_copy(j);
	json_object_set_new(k, "extra", json_true());
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1);
	json_decref(k);
	k = json_deep_copy(j);
	json_object_set_new(k, "tree_size", json_integer(-1));
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1);
	json_object_set_new(k, "tree_size", json_string("8"));
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1);
	json_decref(k);
	k = json_deep_copy(j);
	json_object_set_new(k, "root_hash", json_string("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQw=="));
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1); /* 31 bytes */
	json_object_set_new(k, "root_hash", json_string("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg"));
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1); /* unpadded */
	json_object_set_new(k, "root_hash",
			    json_stringn("XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\0AAAA", 48));
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1); /* embedded NUL */
	json_decref(k);
	k = json_deep_copy(j);
	json_object_del(k, "signature");
	assert_int_equal(sth_from_json(&g, k, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "signature"));
	json_decref(k);
	assert_int_equal(sth_from_json(&g, json_null(), err, sizeof(err)), -1);
	json_decref(j);
}

/* ---- the audit log -------------------------------------------------------------------- */

struct saved_row {
	uint64_t index;
	uint8_t entry[1024];
	size_t entry_len;
	uint8_t leaf_hash[32];
	uint8_t sth[STH_BINLEN];
	size_t sth_len;
};

static void save_row(struct saved_row *s, const struct store_audit_row *r)
{
	assert_true(r->entry_len <= sizeof(s->entry));
	assert_int_equal(r->sth_len, STH_BINLEN);
	s->index = r->index;
	memcpy(s->entry, r->entry, r->entry_len);
	s->entry_len = r->entry_len;
	memcpy(s->leaf_hash, r->leaf_hash, 32);
	memcpy(s->sth, r->sth, r->sth_len);
	s->sth_len = r->sth_len;
}

static struct store_audit_row as_row(const struct saved_row *s)
{
	struct store_audit_row r = { s->index, s->entry, s->entry_len, { 0 }, s->sth, s->sth_len };

	memcpy(r.leaf_hash, s->leaf_hash, 32);
	return r;
}

static void fields(struct audit_fields *f, int i)
{
	static char object[32];

	snprintf(object, sizeof(object), "asset/%d", 17 + i);
	f->who = "op-1";
	f->role = "operator";
	f->action = "POST /api/v1/assets";
	f->object = object;
	f->time_ms = 1795428000123ll + 1000 * i; /* 2026-11-22T... */
	memset(f->digest, i, sizeof(f->digest));
}

enum { NROWS = 12 };

struct logfix {
	uint8_t pk[32], sk[64];
	struct auditlog *al;
	struct saved_row rows[NROWS];
};

static int log_setup(void **state)
{
	struct logfix *fx = calloc(1, sizeof(*fx));
	struct store_audit_row row;
	struct audit_fields f;

	if (!fx || sodium_init() < 0)
		return -1;
	crypto_sign_keypair(fx->pk, fx->sk);
	fx->al = audit_new(fx->sk);
	if (!fx->al)
		return -1;
	for (int i = 0; i < NROWS; i++) {
		fields(&f, i);
		if (audit_append(fx->al, &f, &row) < 0 || row.index != (uint64_t)i)
			return -1;
		save_row(&fx->rows[i], &row);
	}
	*state = fx;
	return 0;
}

static int log_teardown(void **state)
{
	struct logfix *fx = *state;

	audit_free(fx->al);
	free(fx);
	return 0;
}

static void test_log_entry_format(void **state)
{
	struct logfix *fx = *state;
	char want[512];

	snprintf(want, sizeof(want),
		 "{\"action\":\"POST /api/v1/assets\",\"digest\":\"%s\",\"index\":0,\"object\":\"asset/17\","
		 "\"role\":\"operator\",\"time\":\"2026-11-23T10:00:00.123Z\",\"who\":\"op-1\"}",
		 "0000000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(fx->rows[0].entry_len, strlen(want));
	assert_memory_equal(fx->rows[0].entry, want, strlen(want));
	assert_int_equal(audit_size(fx->al), NROWS);

	/* A verifier-only log refuses to append, and bad UTF-8 is refused. */
	struct auditlog *v = audit_new_verifier(fx->pk);
	struct audit_fields f;
	struct store_audit_row row;

	fields(&f, 0);
	assert_int_equal(audit_append(v, &f, &row), -1);
	f.who = "\xff\xfe";
	assert_int_equal(audit_append(fx->al, &f, &row), -1);
	assert_int_equal(audit_size(fx->al), NROWS);
	audit_free(v);
}

/* Load rows 0..n-1 (row k replaced by *bad when given); returns the failing index or -1. */
static long load_all(const struct logfix *fx, const uint8_t *pk, int n, int k,
		     const struct saved_row *bad, char *err, size_t errlen)
{
	struct auditlog *v = audit_new_verifier(pk);
	long failed = -1;

	assert_non_null(v);
	for (int i = 0; i < n; i++) {
		struct store_audit_row r = as_row(i == k && bad ? bad : &fx->rows[i]);

		if (audit_load(v, &r, err, errlen) < 0) {
			failed = i;
			break;
		}
	}
	audit_free(v);
	return failed;
}

static void test_log_load_and_tamper(void **state)
{
	struct logfix *fx = *state;
	struct saved_row bad;
	uint8_t other_pk[32], other_sk[64];
	char err[256];
	uint8_t r1[32], r2[32];
	struct auditlog *v = audit_new_verifier(fx->pk);

	assert_int_equal(load_all(fx, fx->pk, NROWS, -1, NULL, err, sizeof(err)), -1);

	/* The verifier and the signer agree on the roots. */
	for (int i = 0; i < NROWS; i++) {
		struct store_audit_row r = as_row(&fx->rows[i]);

		assert_int_equal(audit_load(v, &r, err, sizeof(err)), 0);
	}
	for (uint64_t m = 0; m <= NROWS; m++) {
		assert_int_equal(audit_root(fx->al, m, r1), 0);
		assert_int_equal(audit_root(v, m, r2), 0);
		assert_memory_equal(r1, r2, 32);
	}
	audit_free(v);

	/* One byte of entry 5 edited. */
	bad = fx->rows[5];
	bad.entry[bad.entry_len - 3] ^= 1;
	assert_int_equal(load_all(fx, fx->pk, NROWS, 5, &bad, err, sizeof(err)), 5);
	assert_non_null(strstr(err, "entry 5 does not verify: leaf hash"));

	/* Edited, and the leaf hash recomputed: the signed head no longer matches. */
	merkle_leaf_hash(bad.entry, bad.entry_len, bad.leaf_hash);
	assert_int_equal(load_all(fx, fx->pk, NROWS, 5, &bad, err, sizeof(err)), 5);
	assert_non_null(strstr(err, "entry 5 does not verify: the log's root"));

	/* A head byte flipped (the root, then the signature); a head from another row. */
	bad = fx->rows[7];
	bad.sth[20] ^= 4;
	assert_int_equal(load_all(fx, fx->pk, NROWS, 7, &bad, err, sizeof(err)), 7);
	assert_non_null(strstr(err, "entry 7 does not verify: bad signature"));
	bad = fx->rows[7];
	bad.sth[STH_BINLEN - 1] ^= 4;
	assert_int_equal(load_all(fx, fx->pk, NROWS, 7, &bad, err, sizeof(err)), 7);
	bad = fx->rows[7];
	memcpy(bad.sth, fx->rows[6].sth, STH_BINLEN);
	assert_int_equal(load_all(fx, fx->pk, NROWS, 7, &bad, err, sizeof(err)), 7);
	assert_non_null(strstr(err, "has size 7, not 8"));
	bad.sth_len = STH_BINLEN - 1;
	assert_int_equal(load_all(fx, fx->pk, NROWS, 7, &bad, err, sizeof(err)), 7);
	assert_non_null(strstr(err, "malformed"));

	/* A gap: row 3 missing, so the next row carries index 4. */
	bad = fx->rows[4];
	assert_int_equal(load_all(fx, fx->pk, NROWS, 3, &bad, err, sizeof(err)), 3);
	assert_non_null(strstr(err, "entry 3 does not verify: missing"));

	/* Another key: the first row already fails. */
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(load_all(fx, other_pk, NROWS, -1, NULL, err, sizeof(err)), 0);

	/* A failed load leaves the verifier where it was: the good row still loads after it. */
	v = audit_new_verifier(fx->pk);
	for (int i = 0; i < 3; i++) {
		struct store_audit_row r = as_row(&fx->rows[i]);

		assert_int_equal(audit_load(v, &r, err, sizeof(err)), 0);
	}
	bad = fx->rows[3];
	merkle_leaf_hash("x", 1, bad.leaf_hash);
	memcpy(bad.entry, "{\"index\":3}", 11);
	bad.entry_len = 11;
	merkle_leaf_hash(bad.entry, bad.entry_len, bad.leaf_hash);
	struct store_audit_row br = as_row(&bad), gr = as_row(&fx->rows[3]);
	assert_int_equal(audit_load(v, &br, err, sizeof(err)), -1);
	assert_int_equal(audit_size(v), 3);
	assert_int_equal(audit_load(v, &gr, err, sizeof(err)), 0);
	audit_free(v);
}

static void test_log_truncate(void **state)
{
	struct logfix *fx = *state;
	struct auditlog *al = audit_new(fx->sk);
	struct store_audit_row row;
	struct audit_fields f;
	uint8_t a[32], b[32];

	for (int i = 0; i < 8; i++) {
		fields(&f, i);
		assert_int_equal(audit_append(al, &f, &row), 0);
	}
	/* A rolled-back transaction: entries 5.. go; appending again continues at 5 and the tree
	 * is the one a log that never saw them would have. */
	audit_truncate(al, 5);
	assert_int_equal(audit_size(al), 5);
	for (int i = 5; i < NROWS; i++) {
		fields(&f, i);
		assert_int_equal(audit_append(al, &f, &row), 0);
		assert_int_equal(row.index, i);
	}
	assert_int_equal(audit_root(al, NROWS, a), 0);
	assert_int_equal(audit_root(fx->al, NROWS, b), 0);
	assert_memory_equal(a, b, 32);
	audit_free(al);
}

static void b64hash(const json_t *s, uint8_t out[32])
{
	assert_true(json_is_string(s));
	assert_int_equal(sth_unb64(json_string_value(s), json_string_length(s), out, 32), 0);
}

static void test_log_proofs_json(void **state)
{
	struct logfix *fx = *state;
	uint8_t proof[AUDIT_MAXPROOF][32], root[32], r1[32];
	char err[128];
	json_t *j, *path;
	size_t n;

	for (uint64_t size = 1; size <= NROWS; size++)
		for (uint64_t i = 0; i < size; i++) {
			j = audit_inclusion_json(fx->al, i, size, err, sizeof(err));
			assert_non_null(j);
			assert_int_equal(json_integer_value(json_object_get(j, "leaf_index")), i);
			assert_int_equal(json_integer_value(json_object_get(j, "tree_size")), size);
			path = json_object_get(j, "audit_path");
			n = json_array_size(path);
			for (size_t k = 0; k < n; k++)
				b64hash(json_array_get(path, k), proof[k]);
			audit_root(fx->al, size, root);
			assert_int_equal(merkle_verify_inclusion(i, size, fx->rows[i].leaf_hash, proof, n,
								 root), 0);
			json_decref(j);
		}
	for (uint64_t first = 1; first <= NROWS; first++) {
		j = audit_consistency_json(fx->al, first, NROWS, err, sizeof(err));
		assert_non_null(j);
		path = json_object_get(j, "consistency");
		n = json_array_size(path);
		for (size_t k = 0; k < n; k++)
			b64hash(json_array_get(path, k), proof[k]);
		audit_root(fx->al, first, r1);
		audit_root(fx->al, NROWS, root);
		assert_int_equal(merkle_verify_consistency(first, NROWS, r1, root, proof, n), 0);
		json_decref(j);
	}
	assert_null(audit_inclusion_json(fx->al, 0, 0, err, sizeof(err)));
	assert_null(audit_inclusion_json(fx->al, 0, NROWS + 1, err, sizeof(err)));
	assert_null(audit_inclusion_json(fx->al, 5, 5, err, sizeof(err)));
	assert_non_null(strstr(err, "leaf_index"));
	assert_null(audit_consistency_json(fx->al, 0, 3, err, sizeof(err)));
	assert_null(audit_consistency_json(fx->al, 4, 3, err, sizeof(err)));
	assert_null(audit_consistency_json(fx->al, 1, NROWS + 1, err, sizeof(err)));
}

static void test_log_export_and_saved_head(void **state)
{
	struct logfix *fx = *state;
	uint8_t other_pk[32], other_sk[64];
	char err[256];
	json_t *all, *head, *page, *e;
	struct auditlog *v, *other;

	all = audit_entries_json(fx->al, 0, UINT64_MAX, err, sizeof(err));
	assert_non_null(all);
	assert_int_equal(json_array_size(all), NROWS);
	page = audit_entries_json(fx->al, 10, 11, err, sizeof(err));
	assert_int_equal(json_array_size(page), 1);
	json_decref(page);
	page = audit_entries_json(fx->al, NROWS, NROWS + 5, err, sizeof(err));
	assert_int_equal(json_array_size(page), 0);
	json_decref(page);
	assert_null(audit_entries_json(fx->al, 5, 4, err, sizeof(err)));
	assert_null(audit_entries_json(fx->al, NROWS + 1, NROWS + 2, err, sizeof(err)));

	/* The export round-trips through JSON text and verifies. */
	{
		char *text = json_dumps(all, JSON_COMPACT);
		json_t *back = json_loads(text, 0, NULL);
		size_t i;

		free(text);
		v = audit_new_verifier(fx->pk);
		json_array_foreach(back, i, e)
			assert_int_equal(audit_load_json(v, e, err, sizeof(err)), 0);
		assert_int_equal(audit_size(v), NROWS);
		json_decref(back);
	}
	head = audit_sth_json(fx->al);
	assert_non_null(head);
	assert_int_equal(json_integer_value(json_object_get(head, "tree_size")), NROWS);
	assert_int_equal(audit_check_head(v, head, err, sizeof(err)), 0);
	audit_free(v);

	/* Truncated below the saved head: the first missing entry is named. */
	v = audit_new_verifier(fx->pk);
	for (size_t i = 0; i < 9; i++)
		assert_int_equal(audit_load_json(v, json_array_get(all, i), err, sizeof(err)), 0);
	assert_int_equal(audit_check_head(v, head, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "entry 9 does not verify: missing"));
	audit_free(v);

	/* An edited export entry is named; a head signed by another key is refused. */
	e = json_deep_copy(json_array_get(all, 2));
	json_object_set_new(e, "entry", json_string("{\"index\":2}"));
	v = audit_new_verifier(fx->pk);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(audit_load_json(v, json_array_get(all, i), err, sizeof(err)), 0);
	assert_int_equal(audit_load_json(v, e, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "entry 2 does not verify"));
	json_decref(e);
	assert_int_equal(audit_load_json(v, json_null(), err, sizeof(err)), -1);
	audit_free(v);

	crypto_sign_keypair(other_pk, other_sk);
	other = audit_new(other_sk);
	{
		struct audit_fields f;
		struct store_audit_row row;
		json_t *oh;

		fields(&f, 0);
		assert_int_equal(audit_append(other, &f, &row), 0);
		oh = audit_sth_json(other);
		assert_int_equal(audit_check_head(fx->al, oh, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "bad signature"));
		json_decref(oh);
	}
	audit_free(other);
	assert_null(audit_sth_json(other = audit_new_verifier(fx->pk)));
	audit_free(other);
	json_decref(head);
	json_decref(all);
}

/* ---- key files ------------------------------------------------------------------------ */

static void test_keys(void **state)
{
	char dir[] = "/tmp/sk-audit-XXXXXX", skp[64], pkp[64], err[256];
	uint8_t sk[64], pk[32], sk2[64], pk2[32], junk[64] = { 0 };
	struct stat st;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(skp, sizeof(skp), "%s/audit.key", dir);
	snprintf(pkp, sizeof(pkp), "%s/audit.pub", dir);

	assert_int_equal(audit_key_load_or_create(skp, pkp, sk, pk, err, sizeof(err)), 0);
	assert_int_equal(stat(skp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 64);
	assert_int_equal(stat(pkp, &st), 0);
	assert_int_equal(st.st_mode & 0777 & ~0022, 0644 & ~0022);
	assert_int_equal(st.st_size, 32);
	/* Loaded again: the same key; the public key file is what audit_pubkey_load reads. */
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), 0);
	assert_memory_equal(sk, sk2, 64);
	assert_memory_equal(pk, pk2, 32);
	assert_int_equal(audit_pubkey_load(pkp, pk2, err, sizeof(err)), 0);
	assert_memory_equal(pk, pk2, 32);

	/* A secret key readable by others is refused. */
	chmod(skp, 0640);
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "chmod 600"));
	chmod(skp, 0600);

	/* A public key that does not belong to the secret key is refused. */
	unlink(pkp);
	f = fopen(pkp, "wb");
	fwrite(junk, 1, 32, f);
	fclose(f);
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not belong"));
	/* A missing public key is written again. */
	unlink(pkp);
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), 0);
	assert_memory_equal(pk, pk2, 32);

	/* A public key in base64 text loads too. */
	{
		char b64[64], txt[80];

		sth_b64(pk, 32, b64, sizeof(b64));
		snprintf(txt, sizeof(txt), "%s/pub.txt", dir);
		f = fopen(txt, "w");
		fprintf(f, "%s\n", b64);
		fclose(f);
		memset(pk2, 0, 32);
		assert_int_equal(audit_pubkey_load(txt, pk2, err, sizeof(err)), 0);
		assert_memory_equal(pk, pk2, 32);
		unlink(txt);
	}

	/* Wrong sizes are refused, and a public key without its secret key is not replaced. */
	unlink(skp);
	f = fopen(skp, "wb");
	fwrite(junk, 1, 63, f);
	fclose(f);
	chmod(skp, 0600);
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "63 bytes"));
	unlink(skp);
	f = fopen(skp, "wb");
	fwrite(junk, 1, 64, f);
	fclose(f);
	chmod(skp, 0600);
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not an Ed25519 secret key"));
	unlink(skp);
	assert_int_equal(audit_key_load_or_create(skp, pkp, sk2, pk2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "refusing"));
	assert_int_equal(access(skp, F_OK), -1);
	assert_int_equal(audit_pubkey_load(skp, pk2, err, sizeof(err)), -1);

	unlink(pkp);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_root),
		cmocka_unit_test(test_ct_roots),
		cmocka_unit_test(test_ct_paths),
		cmocka_unit_test(test_ct_consistency),
		cmocka_unit_test(test_against_rfc_definitions),
		cmocka_unit_test(test_property_random_trees),
		cmocka_unit_test(test_sth_layout_and_signature),
		cmocka_unit_test(test_sth_json),
		cmocka_unit_test_setup_teardown(test_log_entry_format, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_load_and_tamper, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_truncate, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_proofs_json, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_export_and_saved_head, log_setup, log_teardown),
		cmocka_unit_test(test_keys),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}

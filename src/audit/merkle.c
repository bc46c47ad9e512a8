/*
 * merkle.c — RFC 6962 / 9162 Merkle tree: storage, roots, proofs, verifiers.
 *
 * Storage: the hashes of every complete, aligned subtree, by level.
 *
 *   level 0   L0 L1 L2 L3 L4 L5 L6        (leaf hashes; n = 7)
 *   level 1   H01   H23   H45             (level k holds n >> k nodes:
 *   level 2   H0123                         node j covers leaves [j*2^k, (j+1)*2^k))
 *
 * An append adds one leaf and completes at most one node per level, so it costs O(log n)
 * hashes amortised; the store is about 2n hashes (64 bytes a leaf). Truncation is free:
 * level k of the first m leaves is the first m >> k nodes, whatever came later.
 *
 * Every subtree the RFC recursion visits — MTH(D[s:s+l]), where s is a multiple of the
 * smallest power of two >= l — is a run of complete aligned subtrees, one per set bit of l
 * from the highest down, folded right to left: MTH(D[s:s+l]) = H(c0 || H(c1 || ... ck)).
 * So any root costs O(log n) hashes and a proof O(log^2 n), with no tree walk and no cache
 * to invalidate. The verifiers follow RFC 9162 §2.1.3.2 and §2.1.4.2 word for word.
 */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "audit/merkle.h"

#define NLEVELS 64

struct merkle {
	uint8_t (*lv[NLEVELS])[MERKLE_HASHLEN]; /* level k: n >> k node hashes; from malloc() */
	uint64_t cap[NLEVELS];                   /* allocated nodes per level */
	uint64_t n;                              /* leaves */
};

void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASHLEN])
{
	crypto_hash_sha256_state st;
	const uint8_t prefix = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &prefix, 1);
	if (len)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void merkle_node_hash(const uint8_t left[MERKLE_HASHLEN], const uint8_t right[MERKLE_HASHLEN],
		      uint8_t out[MERKLE_HASHLEN])
{
	uint8_t buf[1 + 2 * MERKLE_HASHLEN];

	buf[0] = 0x01;
	memcpy(buf + 1, left, MERKLE_HASHLEN);
	memcpy(buf + 1 + MERKLE_HASHLEN, right, MERKLE_HASHLEN);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

void merkle_empty_root(uint8_t out[MERKLE_HASHLEN])
{
	crypto_hash_sha256(out, (const uint8_t *)"", 0);
}

struct merkle *merkle_new(void)
{
	return calloc(1, sizeof(struct merkle));
}

void merkle_free(struct merkle *t)
{
	if (!t)
		return;
	for (int k = 0; k < NLEVELS; k++)
		free(t->lv[k]);
	free(t);
}

uint64_t merkle_size(const struct merkle *t)
{
	return t->n;
}

void merkle_truncate(struct merkle *t, uint64_t n)
{
	if (n < t->n)
		t->n = n;
}

int merkle_leaf(const struct merkle *t, uint64_t i, uint8_t out[MERKLE_HASHLEN])
{
	if (i >= t->n)
		return -1;
	memcpy(out, t->lv[0][i], MERKLE_HASHLEN);
	return 0;
}

/* Make room for `need` nodes at level k (doubling, from 64). */
static int reserve(struct merkle *t, int k, uint64_t need)
{
	uint64_t cap = t->cap[k] ? t->cap[k] : 64;
	void *p;

	if (need <= t->cap[k])
		return 0;
	while (cap < need)
		cap *= 2;
	p = realloc(t->lv[k], cap * MERKLE_HASHLEN);
	if (!p)
		return -1;
	t->lv[k] = p;
	t->cap[k] = cap;
	return 0;
}

int merkle_append(struct merkle *t, const uint8_t leaf_hash[MERKLE_HASHLEN])
{
	uint64_t n = t->n + 1;

	if (t->n >= MERKLE_MAXLEAVES)
		return -1;
	/* Reserve every level first, so a failed allocation leaves the tree as it was. */
	for (int k = 0; k < NLEVELS && (n >> k); k++)
		if (reserve(t, k, n >> k) < 0)
			return -1;
	memcpy(t->lv[0][t->n], leaf_hash, MERKLE_HASHLEN);
	/* Level k+1 gains a node exactly when n >> (k+1) grew. */
	for (int k = 0; k + 1 < NLEVELS && (n >> (k + 1)) != ((n - 1) >> (k + 1)); k++) {
		uint64_t j = (n >> (k + 1)) - 1;

		merkle_node_hash(t->lv[k][2 * j], t->lv[k][2 * j + 1], t->lv[k + 1][j]);
	}
	t->n = n;
	return 0;
}

/* Largest power of two strictly below l (l >= 2). */
static uint64_t split_point(uint64_t l)
{
	return 1ull << (63 - __builtin_clzll(l - 1));
}

/* MTH(D[s:s+l]) for a subtree of the RFC recursion (l >= 1, s + l <= n): fold the complete
 * subtrees of l's set bits right to left. */
static void range_hash(const struct merkle *t, uint64_t s, uint64_t l, uint8_t out[MERKLE_HASHLEN])
{
	const uint8_t *chunk[NLEVELS];
	int nc = 0;
	uint64_t o = s;

	for (int k = NLEVELS - 1; k >= 0; k--) {
		if (!(l >> k & 1))
			continue;
		chunk[nc++] = t->lv[k][o >> k];
		o += 1ull << k;
	}
	memcpy(out, chunk[nc - 1], MERKLE_HASHLEN);
	for (int c = nc - 2; c >= 0; c--)
		merkle_node_hash(chunk[c], out, out);
}

int merkle_root(const struct merkle *t, uint64_t m, uint8_t out[MERKLE_HASHLEN])
{
	if (m > t->n)
		return -1;
	if (m == 0)
		merkle_empty_root(out);
	else
		range_hash(t, 0, m, out);
	return 0;
}

/* Proof hashes are found root-first; proofs list them leaf-first. */
static void reverse(uint8_t proof[][MERKLE_HASHLEN], size_t n)
{
	uint8_t tmp[MERKLE_HASHLEN];

	for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
		memcpy(tmp, proof[a], MERKLE_HASHLEN);
		memcpy(proof[a], proof[b], MERKLE_HASHLEN);
		memcpy(proof[b], tmp, MERKLE_HASHLEN);
	}
}

/* PATH(i, D[0:m]) (RFC 6962 §2.1.1), iteratively from the root down. */
int merkle_inclusion(const struct merkle *t, uint64_t i, uint64_t m,
		     uint8_t proof[][MERKLE_HASHLEN], size_t *n)
{
	uint64_t s = 0, l = m;
	size_t c = 0;

	*n = 0;
	if (m > t->n || i >= m)
		return -1;
	while (l > 1) {
		uint64_t k = split_point(l);

		if (c >= MERKLE_MAXPROOF)
			return -1;
		if (i < k) {
			range_hash(t, s + k, l - k, proof[c++]);
			l = k;
		} else {
			range_hash(t, s, k, proof[c++]);
			s += k;
			i -= k;
			l -= k;
		}
	}
	reverse(proof, c);
	*n = c;
	return 0;
}

/* PROOF(m, D[0:k]) = SUBPROOF(m, D[0:k], true) (RFC 6962 §2.1.2), from the root down. */
int merkle_consistency(const struct merkle *t, uint64_t m, uint64_t k,
		       uint8_t proof[][MERKLE_HASHLEN], size_t *n)
{
	uint64_t s = 0, l = k;
	int whole = 1; /* b: the subtree of the first m leaves is the old root itself */
	size_t c = 0;

	*n = 0;
	if (m == 0 || m > k || k > t->n)
		return -1;
	while (m != l) {
		uint64_t sp = split_point(l);

		if (c >= MERKLE_MAXPROOF)
			return -1;
		if (m <= sp) {
			range_hash(t, s + sp, l - sp, proof[c++]);
			l = sp;
		} else {
			range_hash(t, s, sp, proof[c++]);
			s += sp;
			m -= sp;
			l -= sp;
			whole = 0;
		}
	}
	if (!whole) {
		if (c >= MERKLE_MAXPROOF)
			return -1;
		range_hash(t, s, l, proof[c++]);
	}
	reverse(proof, c);
	*n = c;
	return 0;
}

static int hash_eq(const uint8_t a[MERKLE_HASHLEN], const uint8_t b[MERKLE_HASHLEN])
{
	return memcmp(a, b, MERKLE_HASHLEN) == 0;
}

/* RFC 9162 §2.1.3.2. */
int merkle_verify_inclusion(uint64_t i, uint64_t m, const uint8_t leaf_hash[MERKLE_HASHLEN],
			    const uint8_t proof[][MERKLE_HASHLEN], size_t n,
			    const uint8_t root[MERKLE_HASHLEN])
{
	uint64_t fn = i, sn;
	uint8_t r[MERKLE_HASHLEN];

	if (i >= m || n > MERKLE_MAXPROOF)
		return -1;
	sn = m - 1;
	memcpy(r, leaf_hash, MERKLE_HASHLEN);
	for (size_t p = 0; p < n; p++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[p], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(r, proof[p], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_eq(r, root) ? 0 : -1;
}

/* RFC 9162 §2.1.4.2, with the trivial cases m == k and m == 0 settled first. */
int merkle_verify_consistency(uint64_t m, uint64_t k, const uint8_t root1[MERKLE_HASHLEN],
			      const uint8_t root2[MERKLE_HASHLEN],
			      const uint8_t proof[][MERKLE_HASHLEN], size_t n)
{
	uint64_t fn, sn;
	uint8_t fr[MERKLE_HASHLEN], sr[MERKLE_HASHLEN];
	size_t p;

	if (m > k || n > MERKLE_MAXPROOF)
		return -1;
	if (m == k)
		return n == 0 && hash_eq(root1, root2) ? 0 : -1;
	if (m == 0)
		return n == 0 ? 0 : -1;
	if (n == 0)
		return -1;
	/* If m is a power of two, the path starts with root1 itself (prepended). */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root1, MERKLE_HASHLEN);
		p = 0;
	} else {
		memcpy(fr, proof[0], MERKLE_HASHLEN);
		p = 1;
	}
	memcpy(sr, fr, MERKLE_HASHLEN);
	fn = m - 1;
	sn = k - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; p < n; p++) {
		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof[p], fr, fr);
			merkle_node_hash(proof[p], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			merkle_node_hash(sr, proof[p], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && hash_eq(fr, root1) && hash_eq(sr, root2) ? 0 : -1;
}

/* fuzz_proof.c — the Merkle verifiers on arbitrary proofs, indices and sizes, and the prover
 * on arbitrary requests against a small tree: nothing crashes or reads out of bounds, a
 * proof the tree makes always verifies, and one the fuzzer makes verifies (for a size the
 * tree has) only if it is the tree's own (a second preimage of SHA-256 is not something a
 * fuzzer finds).
 *
 * Input: leaves (u8, at most 200), index/first (be32), size/second (be32), a selector byte,
 * then up to MERKLE_MAXPROOF proof hashes of 32 bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/merkle.h"
#include "common/cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t proof[MERKLE_MAXPROOF + 8][MERKLE_HASHLEN];
	uint8_t mine[MERKLE_MAXPROOF][MERKLE_HASHLEN], leaf[MERKLE_HASHLEN], r1[MERKLE_HASHLEN],
		r2[MERKLE_HASHLEN];
	struct cur c = cur_make(data, size);
	struct merkle *t;
	uint64_t nleaves, a, b, sel;
	size_t n = 0, nm;

	memset(proof, 0, sizeof(proof));
	nleaves = cur_u8(&c) % 201;
	a = cur_be32(&c);
	b = cur_be32(&c);
	sel = cur_u8(&c);
	if (sel & 1) { /* large values too */
		a |= (uint64_t)cur_be32(&c) << 32;
		b |= (uint64_t)cur_be32(&c) << 32;
	}
	while (n < MERKLE_MAXPROOF + 8 && cur_has(&c, MERKLE_HASHLEN))
		cur_copy(&c, proof[n++], MERKLE_HASHLEN);

	t = merkle_new();
	if (!t)
		abort();
	for (uint64_t i = 0; i < nleaves; i++) {
		merkle_leaf_hash(&i, sizeof(i), leaf);
		if (merkle_append(t, leaf) < 0)
			abort();
	}

	/* The fuzzer's proof against the tree's roots (or against its own first hash). */
	if (merkle_root(t, b <= nleaves ? b : nleaves, r2) < 0)
		abort();
	merkle_leaf_hash(&a, sizeof(a), leaf);
	if (merkle_verify_inclusion(a, b, leaf, proof, n, r2) == 0 && b <= nleaves &&
	    (a >= b || merkle_inclusion(t, a, b, mine, &nm) < 0 || nm != n ||
	     memcmp(mine, proof, n * MERKLE_HASHLEN) != 0))
		abort();
	(void)merkle_verify_inclusion(a, b, proof[0], proof + 1, n ? n - 1 : 0, proof[0]);
	if (merkle_root(t, a <= nleaves ? a : 0, r1) < 0)
		abort();
	(void)merkle_verify_consistency(a, b, r1, r2, proof, n);
	(void)merkle_verify_consistency(a, b, proof[0], proof[1], proof + 2, n > 2 ? n - 2 : 0);

	/* The tree's own proofs for the requested (clamped) positions always verify. */
	if (nleaves) {
		uint64_t m = 1 + b % nleaves, i = a % m, k = m + (a >> 8) % (nleaves - m + 1);

		if (merkle_inclusion(t, i, m, mine, &nm) < 0 || merkle_root(t, m, r2) < 0 ||
		    merkle_leaf(t, i, leaf) < 0 || merkle_verify_inclusion(i, m, leaf, mine, nm, r2) != 0)
			abort();
		if (merkle_consistency(t, m, k, mine, &nm) < 0 || merkle_root(t, m, r1) < 0 ||
		    merkle_root(t, k, r2) < 0 || merkle_verify_consistency(m, k, r1, r2, mine, nm) != 0)
			abort();
		merkle_truncate(t, i);
		if (merkle_size(t) != i)
			abort();
	}
	/* Out-of-range requests are refused, not served. */
	if (a >= b || b > merkle_size(t)) {
		if (merkle_inclusion(t, a, b, mine, &nm) == 0)
			abort();
	}
	merkle_free(t);
	return 0;
}

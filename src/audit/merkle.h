/*
 * merkle.h — the RFC 6962 / RFC 9162 §2.1 Merkle tree over SHA-256, in memory.
 *
 * Leaf hash H(0x00 || d), node hash H(0x01 || left || right), the empty tree's root H("").
 * The tree answers for any size m <= n (the tree of its first m leaves): the root MTH(D[0:m]),
 * the inclusion proof PATH(i, D[0:m]) and the consistency proof PROOF(m, D[0:n]). The
 * verifiers are RFC 9162 §2.1.3.2 and §2.1.4.2 and need no tree: they take proofs from anyone.
 */
#ifndef SK_MERKLE_H
#define SK_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#define MERKLE_HASHLEN   32
#define MERKLE_MAXPROOF  64              /* hashes in any proof of a tree of <= 2^62 leaves */
#define MERKLE_MAXLEAVES (1ull << 32)    /* appends beyond this are refused */

struct merkle;

void merkle_leaf_hash(const void *data, size_t len, uint8_t out[MERKLE_HASHLEN]);
void merkle_node_hash(const uint8_t left[MERKLE_HASHLEN], const uint8_t right[MERKLE_HASHLEN],
		      uint8_t out[MERKLE_HASHLEN]);
/* The root of the empty tree, SHA-256 of nothing. */
void merkle_empty_root(uint8_t out[MERKLE_HASHLEN]);

struct merkle *merkle_new(void);
void merkle_free(struct merkle *t);
/* Append one leaf (its leaf hash). -1 when out of memory or past MERKLE_MAXLEAVES. */
int merkle_append(struct merkle *t, const uint8_t leaf_hash[MERKLE_HASHLEN]);
uint64_t merkle_size(const struct merkle *t);
/* Keep only the first n leaves (no-op when n >= size). */
void merkle_truncate(struct merkle *t, uint64_t n);
/* Leaf hash i; -1 when i >= size. */
int merkle_leaf(const struct merkle *t, uint64_t i, uint8_t out[MERKLE_HASHLEN]);

/* MTH of the first m leaves; -1 when m > size. O(log m). */
int merkle_root(const struct merkle *t, uint64_t m, uint8_t out[MERKLE_HASHLEN]);
/* Audit path of leaf i in the tree of the first m leaves (leaf-to-root order) into
 * proof[MERKLE_MAXPROOF]; *n = its length. -1 unless i < m <= size. */
int merkle_inclusion(const struct merkle *t, uint64_t i, uint64_t m,
		     uint8_t proof[][MERKLE_HASHLEN], size_t *n);
/* Consistency proof between the trees of the first m and the first k leaves, PROOF(m, D[k]);
 * empty when m == k. -1 unless 0 < m <= k <= size. */
int merkle_consistency(const struct merkle *t, uint64_t m, uint64_t k,
		       uint8_t proof[][MERKLE_HASHLEN], size_t *n);

/* 0 iff proof shows leaf_hash at index i in the tree of size m with this root. */
int merkle_verify_inclusion(uint64_t i, uint64_t m, const uint8_t leaf_hash[MERKLE_HASHLEN],
			    const uint8_t proof[][MERKLE_HASHLEN], size_t n,
			    const uint8_t root[MERKLE_HASHLEN]);
/* 0 iff proof shows the tree of size m (root1) is a prefix of the tree of size k (root2).
 * m == k needs an empty proof and equal roots; m == 0 an empty proof. As in RFC 9162, k is
 * bound through root2 only (a proof may also check against another k of the same shape):
 * take k and root2 from one signed tree head. */
int merkle_verify_consistency(uint64_t m, uint64_t k, const uint8_t root1[MERKLE_HASHLEN],
			      const uint8_t root2[MERKLE_HASHLEN],
			      const uint8_t proof[][MERKLE_HASHLEN], size_t n);

#endif

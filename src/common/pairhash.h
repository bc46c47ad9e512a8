/*
 * pairhash.h — one keyed hash for "the same conversation in either direction".
 *
 * The stream table of the meta engine and the selected-flow table both find a flow from a
 * packet going either way. pairhash() orders the two endpoints canonically (lower address,
 * then lower port, first) and hashes the 37-byte tuple (address, address, port, port,
 * protocol) with SipHash-1-3 under a secret key, so a sender cannot choose addresses that
 * pile up in one chain (hash flooding). SipHash-1-3 (one compression round, three
 * finalization rounds; the variant Rust's HashMap uses) costs about a third of SipHash-2-4.
 * A pair of two IPv4 addresses is hashed as the shorter 13-byte tuple of its 4-byte
 * addresses (see pairhash.c): a message of its own, never equal to a 37-byte one.
 *
 * The decoder hashes every packet's pair once with the process's key (pairhash_process_key)
 * and both tables use that value (struct pkt.pair_hash): one hash per packet, not one per
 * table.
 */
#ifndef SK_PAIRHASH_H
#define SK_PAIRHASH_H

#include <stdint.h>

#include "common/addr.h"

#define PAIRHASH_KEYBYTES 16

/* Same value for (a,ap,b,bp) and (b,bp,a,ap). */
uint64_t pairhash(const uint8_t key[PAIRHASH_KEYBYTES], uint8_t proto, const struct sk_addr *a,
		  uint16_t ap, const struct sk_addr *b, uint16_t bp);

/* The process's key: random, made on the first call (thread-safe), never changes after. */
const uint8_t *pairhash_process_key(void);

#endif

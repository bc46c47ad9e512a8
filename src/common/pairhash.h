/*
 * pairhash.h — one keyed hash for "the same conversation in either direction".
 *
 * The stream table of the meta engine and the selected-flow table both find a flow from a
 * packet going either way. pairhash() orders the two endpoints canonically (lower address,
 * then lower port, first) and hashes them with the protocol under a secret SipHash key
 * (libsodium crypto_shorthash), so a sender cannot choose addresses that pile up in one chain.
 */
#ifndef SK_PAIRHASH_H
#define SK_PAIRHASH_H

#include <sodium.h>
#include <stdint.h>

#include "common/addr.h"

#define PAIRHASH_KEYBYTES crypto_shorthash_KEYBYTES

/* Same value for (a,ap,b,bp) and (b,bp,a,ap). */
uint64_t pairhash(const uint8_t key[PAIRHASH_KEYBYTES], uint8_t proto, const struct sk_addr *a,
		  uint16_t ap, const struct sk_addr *b, uint16_t bp);

#endif

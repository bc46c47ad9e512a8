/*
 * ipset.h — address and prefix sets for selector conditions (ip=, ip-list=).
 *
 * Built once from (prefix, tag) pairs, then immutable: any number of threads may look up at
 * once, with no allocation and no lock. A lookup answers the tagset (tagset.h) of every
 * entry covering the address — exact entries and all enclosing prefixes together, flattened
 * at build time — so one probe yields every condition the address satisfies.
 */
#ifndef SK_IPSET_H
#define SK_IPSET_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define IPSET_MAX_ENTRIES (1u << 26) /* bound on entries given to one builder */

struct ipset_builder;
struct ipset;

struct ipset_builder *ipset_builder_new(void);
/* Add net/plen (plen 0..128 on the 16-byte form, as addr_parse_prefix gives) under tag.
 * Returns 0, or -1 when out of memory or past IPSET_MAX_ENTRIES. */
int ipset_builder_add(struct ipset_builder *b, const struct sk_addr *net, unsigned plen,
		      uint32_t tag);
size_t ipset_builder_count(const struct ipset_builder *b);
/* Build the set and free the builder in every case. Returns NULL when out of memory. */
struct ipset *ipset_build(struct ipset_builder *b);
void ipset_builder_free(struct ipset_builder *b);

/* Tagset id of all entries covering a (0: none). Safe from many threads at once. */
uint32_t ipset_lookup(const struct ipset *s, const struct sk_addr *a);
/* The tags of a tagset id returned by ipset_lookup; *n (OUT) their number. */
const uint32_t *ipset_tags(const struct ipset *s, uint32_t id, size_t *n);
size_t ipset_count(const struct ipset *s);   /* entries added */
size_t ipset_bytes(const struct ipset *s);   /* resident size of the built tables */
void ipset_free(struct ipset *s);

#endif

/*
 * tagset.h — interned sets of tags, shared by the selector matchers.
 *
 * A matcher entry (an address, a prefix range, a domain) can belong to several selector
 * conditions at once. Instead of a list per entry, each distinct sorted list of tags is
 * stored once in a pool and named by a 32-bit id; entries carry only the id. Id 0 is the
 * empty set. After building, tagset_seal() drops the intern index: the pool is then
 * read-only and safe for any number of reader threads.
 */
#ifndef SK_TAGSET_H
#define SK_TAGSET_H

#include <stddef.h>
#include <stdint.h>

#define TAGSET_NONE UINT32_MAX /* returned on allocation failure or when a bound is hit */

struct tagset_pool {
	uint32_t *tags;    /* all lists, back to back */
	size_t ntags, cap_tags;
	uint32_t *off;     /* list id spans tags[off[id] .. off[id + 1]) */
	size_t nsets, cap_sets;
	uint32_t *index;   /* open addressing, id + 1 per slot, 0 empty; NULL once sealed */
	size_t index_cap;
	uint32_t *tmp;     /* scratch for unions */
	size_t cap_tmp;
};

int tagset_init(struct tagset_pool *p);
/* Id of the set holding tags[0..n) (sorted ascending, no duplicates); TAGSET_NONE on failure. */
uint32_t tagset_intern(struct tagset_pool *p, const uint32_t *tags, size_t n);
/* Id of the union of sets a and b; TAGSET_NONE on failure. */
uint32_t tagset_union(struct tagset_pool *p, uint32_t a, uint32_t b);
/* Id of set a with tag t added; TAGSET_NONE on failure. */
uint32_t tagset_add(struct tagset_pool *p, uint32_t a, uint32_t t);
/* The tags of set id; *n (OUT) their number. */
static inline const uint32_t *tagset_get(const struct tagset_pool *p, uint32_t id, size_t *n)
{
	*n = p->off[id + 1] - p->off[id];
	return p->tags + p->off[id];
}
/* Drop the intern index and trim the arrays; no more interning afterwards. */
void tagset_seal(struct tagset_pool *p);
size_t tagset_bytes(const struct tagset_pool *p);
void tagset_free(struct tagset_pool *p);

#endif

/*
 * domset.h — domain-name sets for selector conditions (domain=, domain-list=).
 *
 * Two kinds of entry: "name" matches that name only; ".name" matches the name and every
 * name below it. Matching is ASCII case-insensitive and ignores one trailing dot. Built once,
 * then immutable: lookups from many threads, no allocation, no lock.
 */
#ifndef SK_DOMSET_H
#define SK_DOMSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DOMSET_NAME_MAX 253          /* longest name in presentation form, no trailing dot */
#define DOMSET_MAX_ENTRIES (1u << 24)

struct domset_builder;
struct domset;

struct domset_builder *domset_builder_new(void);
/* Add text[0..len) under tag: "name" exact or ".name" with subdomains. Returns 0, -1 when the
 * text is no valid name (a reason in *why, static), -2 when out of memory or past the bound. */
int domset_builder_add(struct domset_builder *b, const char *text, size_t len, uint32_t tag,
		       const char **why);
size_t domset_builder_count(const struct domset_builder *b);
/* Build the set and free the builder in every case. Returns NULL when out of memory. */
struct domset *domset_build(struct domset_builder *b);
void domset_builder_free(struct domset_builder *b);

/* Called once per matching entry with that entry's tags. */
typedef void (*domset_hit_fn)(void *ctx, const uint32_t *tags, size_t n);
/* Look up name[0..len): every exact entry equal to it and every ".x" entry for which it is x
 * or ends in ".x". Safe from many threads at once. Returns the number of entries hit. */
size_t domset_lookup(const struct domset *s, const char *name, size_t len, domset_hit_fn fn,
		     void *ctx);
size_t domset_count(const struct domset *s);
size_t domset_bytes(const struct domset *s);
void domset_free(struct domset *s);

#endif

/*
 * pattern.h — regular-expression conditions (match=<field>~/<regex>/), one Hyperscan
 * database per field.
 *
 * All patterns of one field are compiled together (block mode, HS_FLAG_SINGLEMATCH: each
 * pattern reports at most once per scan). HS_FLAG_ALLOWEMPTY is deliberately not set: a
 * pattern that matches the empty string matches every value of its field, which is no
 * selection at all, so it is refused at load. A database is immutable; scanning needs a
 * per-thread scratch fitted to it beforehand (pat_scratch_fit), so the packet path neither
 * allocates nor locks.
 */
#ifndef SK_PATTERN_H
#define SK_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAT_MAX_FIELDS 8
#define PAT_MAX_PATTERNS 65536

struct pat_builder;
struct pat_db;
struct pat_scratch;

struct pat_builder *pat_builder_new(void);
/* Add regex (Hyperscan syntax, NUL-terminated) on field under tag; `where` is handed back
 * by pat_build if this pattern fails to compile. Returns 0, or -1 (memory, bounds). */
int pat_builder_add(struct pat_builder *b, unsigned field, const char *regex, bool caseless,
		    uint32_t tag, uint32_t where);
/* Compile; frees the builder in every case. NULL on error with Hyperscan's message in err
 * and the failing pattern's `where` in *bad_where (UINT32_MAX if no single pattern). */
struct pat_db *pat_build(struct pat_builder *b, char *err, size_t errlen, uint32_t *bad_where);
void pat_builder_free(struct pat_builder *b);
void pat_free(struct pat_db *db);
size_t pat_count(const struct pat_db *db);
size_t pat_bytes(const struct pat_db *db);
bool pat_has_field(const struct pat_db *db, unsigned field);

/* Make *sc (NULL at first) usable with db; allocates, so call it at (re)load, not per
 * packet. A scratch fitted to several databases serves them all. Returns 0 or -1. */
int pat_scratch_fit(struct pat_scratch **sc, const struct pat_db *db);
void pat_scratch_free(struct pat_scratch *sc);

typedef void (*pat_hit_fn)(void *ctx, uint32_t tag);
/* Scan s[0..len) of field with that field's patterns; fn once per matching tag.
 * Returns 0, or -1 on a Hyperscan error (e.g. scratch not fitted). */
int pat_scan(const struct pat_db *db, unsigned field, const char *s, size_t len,
	     struct pat_scratch *sc, pat_hit_fn fn, void *ctx);

#endif

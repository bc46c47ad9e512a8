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

/*
 * The compiled-database cache. pat_build looks for each field's database in
 * <cache dir>/hs-<16 hex>.cache (directory as in common/cachefile.h: $SAKIMORI_CACHE_DIR,
 * "off" for none, else the XDG cache), keyed by BLAKE2b-256 over the format, the Hyperscan
 * version and host platform, the mode, the field and every pattern (flags, tag, bytes).
 * A file is used only if it is trusted (owner, mode, no symlink), its header and key match
 * and its checksum holds; anything else is compiled as before and the file rewritten. The
 * cache never makes pat_build fail. It detects corruption and other users' files, not
 * tampering by the same user. It holds compiled selector patterns only, no traffic.
 */
struct pat_cache_stats {
	unsigned loaded;       /* fields whose database came from a cache file */
	unsigned written;      /* fields compiled and written to the cache */
	unsigned refused;      /* cache files present but not used (then compiled) */
	unsigned unwritable;   /* fields compiled whose cache file could not be written */
};
/* What the cache did while db was built (all zero with no cache directory). */
void pat_cache_stats(const struct pat_db *db, struct pat_cache_stats *out);

#define PAT_CACHE_KEY_LEN 32
/* For tests and fuzzing: the database of field in the bytes of a cache file if every check
 * passes (header, key, length, checksum, Hyperscan's own); NULL otherwise. */
struct pat_db *pat_cache_parse(const void *data, size_t len, const uint8_t key[PAT_CACHE_KEY_LEN],
			       unsigned field);
/* Put key and the checksum of the payload into a cache file image in place (so that a
 * fuzzer's mutations reach Hyperscan's checks). Returns 0, or -1 if len is too short to
 * hold a header. */
int pat_cache_seal(void *data, size_t len, const uint8_t key[PAT_CACHE_KEY_LEN]);

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

/*
 * geo.h — is an address domestic (JP) or foreign, and whose network is it?
 *
 * At start-up the IPFire location database (Debian libloc-database, read through libloc) is
 * turned into flat lookup tables for IPv4 and IPv6 that answer country code and ASN without
 * touching libloc on the packet path. Local overrides (one prefix per line) extend the
 * domestic set. Addresses in no country (private, reserved, unallocated) are GEO_UNKNOWN.
 *
 * The per-packet direction (外外 / 外内 / 内外 / 内内) is derived from the classes of the
 * source and destination: DESIGN.md rule 4 decides channel eligibility on it.
 */
#ifndef SK_GEO_H
#define SK_GEO_H

#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define GEO_DEFAULT_DB "/var/lib/location/database.db"

enum geo_class { GEO_UNKNOWN = 0, GEO_FOREIGN, GEO_DOMESTIC };

struct geo_info {
	char cc[3];            /* ISO 3166 code, "" when none */
	uint32_t asn;          /* 0 when none */
	enum geo_class cls;
};

enum direction {
	DIR_UNKNOWN = 0,       /* either end in no country */
	DIR_FF,                /* 外外 foreign-foreign */
	DIR_FD,                /* 外内 foreign-domestic */
	DIR_DF,                /* 内外 domestic-foreign */
	DIR_DD,                /* 内内 domestic-domestic */
	DIR__COUNT
};

struct geo;

/* Load the database at path (NULL: GEO_DEFAULT_DB), through the table cache in the default
 * cache directory (geo_open_cached with cache_dir NULL). Returns NULL with a reason in err. */
struct geo *geo_open(const char *path, char *err, size_t errlen);

/*
 * The table cache. Turning the database into tables takes 0.6-1 s; the finished tables are
 * kept in a file keyed by the database's identity (its real path, size, mtime, inode) and the
 * code's (format version, the reserved ranges), and loaded from there in a few milliseconds.
 * The file is checked on load (owner and mode, identity, lengths, BLAKE2b checksum, then every
 * table: starts strictly increasing from 0, value indices in range, classes valid); a cache
 * that fails any check is never used: the tables are built from the database and the cache
 * rewritten. A cache that cannot be written (read-only directory) is not an error.
 *
 * cache_dir: NULL for the default, $SAKIMORI_CACHE_DIR, else $XDG_CACHE_HOME/sakimori, else
 * $HOME/.cache/sakimori; "" (or SAKIMORI_CACHE_DIR=off) for no cache.
 */
enum geo_cache_state {
	GEO_CACHE_OFF = 0,     /* no cache directory: built from the database */
	GEO_CACHE_LOADED,      /* tables loaded from a valid cache */
	GEO_CACHE_WRITTEN,     /* no cache (or a stale or invalid one): built, cache written */
	GEO_CACHE_UNWRITABLE,  /* built from the database; the cache could not be written */
};

struct geo *geo_open_cached(const char *path, const char *cache_dir, char *err, size_t errlen);
/* How the tables of g came to be; after GEO_CACHE_WRITTEN, was an existing file refused? */
enum geo_cache_state geo_cache_state(const struct geo *g, int *refused);

/* For tests and fuzzing: the tables from the bytes of a cache file, every check made except
 * the database identity. NULL with a reason in err if any check fails. */
struct geo *geo_cache_parse(const void *data, size_t len, char *err, size_t errlen);
/* Recompute the checksum of a cache file image in place (so that a fuzzer's mutations reach
 * the table checks). Returns 0, or -1 if len is too short to hold a header. */
int geo_cache_seal(void *data, size_t len);
/* Add domestic prefixes, one per line ('#' comments, blank lines); rebuilds the tables.
 * Returns 0, or -1 naming file and line in err. */
int geo_add_domestic_file(struct geo *g, const char *path, char *err, size_t errlen);
void geo_close(struct geo *g);

/* Country, ASN and class of one address. Safe to call from many threads at once. */
void geo_lookup(const struct geo *g, const struct sk_addr *a, struct geo_info *out);

/*
 * A memo of recent answers, one per thread (each pipeline has its own): a direct-mapped
 * table of GEO_MEMO_SLOTS addresses with their answers, in front of geo_lookup. Traffic
 * repeats its addresses (a conversation's packets, busy servers), and a memo hit is one
 * cache line where the range tables cost several misses. The tables never change while a g
 * is open, so a memo answer is always geo_lookup's. geo_memo_new gives an empty memo (NULL
 * when out of memory: geo_lookup_memo then asks the tables each time).
 */
#define GEO_MEMO_SLOTS 4096u
struct geo_memo;
struct geo_memo *geo_memo_new(void);
void geo_memo_free(struct geo_memo *m);
void geo_lookup_memo(const struct geo *g, struct geo_memo *m, const struct sk_addr *a,
		     struct geo_info *out);
enum direction geo_direction(enum geo_class src, enum geo_class dst);
const char *direction_name(enum direction d);      /* "foreign-domestic", … */
const char *geo_class_name(enum geo_class c);      /* "domestic", "foreign", "unknown" */

/* Deterministic sampling for the generator: the idx-th (mod count) network of the given class
 * and family (4 or 6), and an address inside it chosen by r. Returns 0, or -1 if none. */
int geo_sample(const struct geo *g, enum geo_class cls, int family, uint64_t idx, uint64_t r,
	       struct sk_addr *out);

/* Number of networks in the tables (for statistics and tests). */
size_t geo_count(const struct geo *g, int family);
/* Bytes held by the lookup tables (for statistics). */
size_t geo_memory(const struct geo *g);

#endif

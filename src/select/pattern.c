/*
 * pattern.c — Hyperscan databases per field (see pattern.h).
 *
 * The builder keeps the expressions until pat_build() compiles each field's list with
 * hs_compile_multi(); the pattern id Hyperscan reports is the caller's tag. A compile error
 * names the failing expression's index, which maps back to the caller's `where` (the
 * selector file line).
 *
 * NOTES ON THE CACHE
 *
 * Compiling is most of the sensor's start-up and reload time (0.75 s for 1,000 patterns);
 * loading a serialized database takes milliseconds. So each field's database is kept in
 * <cache dir>/hs-<first 16 hex of key>.cache:
 *
 *     off  0  magic "SKHSDB01"
 *          8  format version (u32)      12  endian marker 0x01020304 (u32)
 *         16  key: BLAKE2b-256 of everything the database depends on (32 bytes)
 *         48  payload length (u64)      56  BLAKE2b-256 of the payload (32 bytes)
 *         88  payload: hs_serialize_database's bytes
 *
 * Numbers are in host order (the endian marker refuses a foreign file). The key covers the
 * format version, hs_version(), the host platform Hyperscan compiles for, the mode, the field
 * and each pattern's flags, tag, length and bytes in order, so a different list never meets
 * an old file (the file name is part of the key, the header holds all of it). A file is
 * used only after common/cachefile's trust checks, header, key, length and checksum, then
 * Hyperscan's own (deserialize, and a scratch allocation, which checks the bytecode's CRC
 * and the platform). Anything else is compiled as before and the file rewritten; nothing
 * about the cache makes pat_build fail. The trust model is the location cache's: it detects
 * corruption and other users' files, not tampering by the same user. After writing a new
 * file, the oldest beyond CACHE_KEEP are removed, so reloads of changing sets do not pile up.
 */
#include "select/pattern.h"

#include <hs/hs.h>
#include <limits.h>
#include <stddef.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cachefile.h"
#include "common/cursor.h"

#define CACHE_MAGIC "SKHSDB01"
#define CACHE_VERSION 1u
#define CACHE_ENDIAN 0x01020304u
#define CACHE_HDR_LEN 88u
#define CACHE_MAX_PAYLOAD ((size_t)1 << 30)
#define CACHE_KEEP 64u             /* hs-*.cache files kept: a few sets of PAT_MAX_FIELDS */

struct pat {
	char *re;
	unsigned field;
	unsigned flags;
	uint32_t tag;
	uint32_t where;
};

struct pat_builder {
	struct pat *p;
	size_t n, cap;
};

struct pat_db {
	hs_database_t *db[PAT_MAX_FIELDS];
	size_t count;
	struct pat_cache_stats cache;
};

struct pat_scratch {
	hs_scratch_t *hs;
};

struct pat_builder *pat_builder_new(void)
{
	return calloc(1, sizeof(struct pat_builder));
}

void pat_builder_free(struct pat_builder *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		free(b->p[i].re);
	free(b->p);
	free(b);
}

int pat_builder_add(struct pat_builder *b, unsigned field, const char *regex, bool caseless,
		    uint32_t tag, uint32_t where)
{
	char *re;

	if (field >= PAT_MAX_FIELDS || b->n >= PAT_MAX_PATTERNS)
		return -1;
	if (b->n == b->cap) {
		size_t c = b->cap ? b->cap * 2 : 16;
		struct pat *p = realloc(b->p, c * sizeof(*p));
		if (!p)
			return -1;
		b->p = p;
		b->cap = c;
	}
	re = strdup(regex);
	if (!re)
		return -1;
	b->p[b->n].re = re;
	b->p[b->n].field = field;
	b->p[b->n].flags = HS_FLAG_SINGLEMATCH | (caseless ? HS_FLAG_CASELESS : 0);
	b->p[b->n].tag = tag;
	b->p[b->n].where = where;
	b->n++;
	return 0;
}

/* ---- the cache ----------------------------------------------------------------------- */

struct cache_hdr {
	char magic[8];
	uint32_t version, endian;
	uint8_t key[PAT_CACHE_KEY_LEN];
	uint64_t payload;
	uint8_t sum[32];
};

_Static_assert(sizeof(struct cache_hdr) == CACHE_HDR_LEN, "cache header layout");

static void hash_u32(crypto_generichash_state *st, uint32_t v)
{
	crypto_generichash_update(st, (const unsigned char *)&v, sizeof(v));
}

static void hash_u64(crypto_generichash_state *st, uint64_t v)
{
	crypto_generichash_update(st, (const unsigned char *)&v, sizeof(v));
}

/* The key of one field's list: everything its compiled database depends on. */
static void cache_key(const char *const *exprs, const unsigned *flags, const unsigned *ids,
		      unsigned n, unsigned field, uint8_t key[PAT_CACHE_KEY_LEN])
{
	crypto_generichash_state st;
	hs_platform_info_t plat;
	const char *ver = hs_version();

	memset(&plat, 0, sizeof(plat));
	if (hs_populate_platform(&plat) != HS_SUCCESS)
		memset(&plat, 0, sizeof(plat));
	crypto_generichash_init(&st, NULL, 0, PAT_CACHE_KEY_LEN);
	hash_u32(&st, CACHE_VERSION);
	crypto_generichash_update(&st, (const unsigned char *)ver, strlen(ver) + 1);
	hash_u32(&st, plat.tune);
	hash_u64(&st, plat.cpu_features);
	hash_u32(&st, HS_MODE_BLOCK);
	hash_u32(&st, field);
	hash_u32(&st, n);
	for (unsigned i = 0; i < n; i++) {
		size_t len = strlen(exprs[i]);
		hash_u32(&st, flags[i]);
		hash_u32(&st, ids[i]);
		hash_u64(&st, len);
		crypto_generichash_update(&st, (const unsigned char *)exprs[i], len);
	}
	crypto_generichash_final(&st, key, PAT_CACHE_KEY_LEN);
}

/* The database in a cache file's bytes, if the header, key, length, checksum and Hyperscan
 * all agree. Returns 0 with *out set, or -1. */
static int cache_parse(const uint8_t *data, size_t len, const uint8_t key[PAT_CACHE_KEY_LEN],
		       hs_database_t **out)
{
	struct cur c = cur_make(data, len), body;
	struct cache_hdr h;
	uint8_t sum[32];
	hs_database_t *db = NULL;
	hs_scratch_t *scr = NULL;

	*out = NULL;
	cur_copy(&c, h.magic, sizeof(h.magic));
	cur_copy(&c, &h.version, sizeof(h.version));
	cur_copy(&c, &h.endian, sizeof(h.endian));
	cur_copy(&c, h.key, sizeof(h.key));
	cur_copy(&c, &h.payload, sizeof(h.payload));
	cur_copy(&c, h.sum, sizeof(h.sum));
	if (!cur_ok(&c) || memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) ||
	    h.version != CACHE_VERSION || h.endian != CACHE_ENDIAN ||
	    memcmp(h.key, key, sizeof(h.key)))
		return -1;
	if (h.payload == 0 || h.payload > CACHE_MAX_PAYLOAD || h.payload != cur_left(&c))
		return -1;
	body = cur_sub(&c, (size_t)h.payload);
	if (!cur_ok(&body))
		return -1;
	crypto_generichash(sum, sizeof(sum), cur_ptr(&body), cur_left(&body), NULL, 0);
	if (sodium_memcmp(sum, h.sum, sizeof(sum)) != 0)
		return -1;
	if (hs_deserialize_database((const char *)cur_ptr(&body), cur_left(&body), &db) !=
	    HS_SUCCESS)
		return -1;
	/* Hyperscan's own checks of a database (bytecode CRC, platform) run here */
	if (hs_alloc_scratch(db, &scr) != HS_SUCCESS) {
		hs_free_database(db);
		return -1;
	}
	hs_free_scratch(scr);
	*out = db;
	return 0;
}

struct pat_db *pat_cache_parse(const void *data, size_t len, const uint8_t key[PAT_CACHE_KEY_LEN],
			       unsigned field)
{
	struct pat_db *d;

	if (field >= PAT_MAX_FIELDS || sodium_init() < 0)
		return NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (cache_parse(data, len, key, &d->db[field]) < 0) {
		free(d);
		return NULL;
	}
	return d;
}

int pat_cache_seal(void *data, size_t len, const uint8_t key[PAT_CACHE_KEY_LEN])
{
	uint8_t *d = data;

	if (len < CACHE_HDR_LEN || sodium_init() < 0)
		return -1;
	memcpy(d + offsetof(struct cache_hdr, key), key, PAT_CACHE_KEY_LEN);
	crypto_generichash(d + offsetof(struct cache_hdr, sum), 32, d + CACHE_HDR_LEN,
			   len - CACHE_HDR_LEN, NULL, 0);
	return 0;
}

/* The cache file of key in dir. Returns 0, or -1 if the name does not fit. */
static int cache_name(const char *dir, const uint8_t key[PAT_CACHE_KEY_LEN], char *file,
		      size_t filelen)
{
	int n = snprintf(file, filelen, "%s/hs-%02x%02x%02x%02x%02x%02x%02x%02x.cache", dir,
			 key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7]);

	return n < 0 || (size_t)n >= filelen ? -1 : 0;
}

/* The field's database from file, or NULL; a file that is there but not used counts as
 * refused (a symlink, which O_NOFOLLOW will not open, included). */
static hs_database_t *cache_load(struct pat_db *d, const char *file,
				 const uint8_t key[PAT_CACHE_KEY_LEN])
{
	struct cachefile cf;
	hs_database_t *db = NULL;
	struct stat st;

	switch (cachefile_open(file, CACHE_HDR_LEN + 1, CACHE_HDR_LEN + CACHE_MAX_PAYLOAD, &cf)) {
	case CACHEFILE_OK:
		if (cache_parse(cf.data, cf.len, key, &db) < 0)
			d->cache.refused++;
		cachefile_close(&cf);
		break;
	case CACHEFILE_REFUSED:
		d->cache.refused++;
		break;
	case CACHEFILE_ABSENT:
		if (lstat(file, &st) == 0)
			d->cache.refused++;
		break;
	}
	return db;
}

/* Keep a freshly compiled database in file; a failure only counts. */
static void cache_store(struct pat_db *d, const hs_database_t *db, const char *file,
			const uint8_t key[PAT_CACHE_KEY_LEN])
{
	struct cache_hdr h;
	char *bytes = NULL;
	size_t len = 0;

	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS || len == 0 ||
	    len > CACHE_MAX_PAYLOAD) {
		d->cache.unwritable++;
		goto out;
	}
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	h.version = CACHE_VERSION;
	h.endian = CACHE_ENDIAN;
	memcpy(h.key, key, sizeof(h.key));
	h.payload = len;
	crypto_generichash(h.sum, sizeof(h.sum), (const unsigned char *)bytes, len, NULL, 0);
	if (cachefile_write(file, &h, sizeof(h), bytes, len) == 0)
		d->cache.written++;
	else
		d->cache.unwritable++;
out:
	free(bytes);   /* hs_serialize_database allocates with hs's allocator: malloc */
}

void pat_cache_stats(const struct pat_db *d, struct pat_cache_stats *out)
{
	*out = d->cache;
}

/* ---- building ------------------------------------------------------------------------ */

/* Compile (or load from the cache in cache_dir, NULL for none) one field's patterns. */
static int compile_field(struct pat_db *d, struct pat_builder *b, unsigned field,
			 const char *cache_dir, char *err, size_t errlen, uint32_t *bad_where)
{
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	uint32_t *where = NULL;
	hs_compile_error_t *cerr = NULL;
	uint8_t key[PAT_CACHE_KEY_LEN];
	char file[PATH_MAX + 64];
	bool cached = false;
	unsigned n = 0;
	int rc = -1;

	for (size_t i = 0; i < b->n; i++)
		n += b->p[i].field == field;
	if (n == 0)
		return 0;
	exprs = calloc(n, sizeof(*exprs));
	flags = calloc(n, sizeof(*flags));
	ids = calloc(n, sizeof(*ids));
	where = calloc(n, sizeof(*where));
	if (!exprs || !flags || !ids || !where) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < b->n; i++) {
		if (b->p[i].field != field)
			continue;
		exprs[n] = b->p[i].re;
		flags[n] = b->p[i].flags;
		ids[n] = b->p[i].tag;
		where[n] = b->p[i].where;
		n++;
	}
	if (cache_dir) {
		cache_key(exprs, flags, ids, n, field, key);
		cached = cache_name(cache_dir, key, file, sizeof(file)) == 0;
	}
	if (cached) {
		d->db[field] = cache_load(d, file, key);
		if (d->db[field]) {
			d->cache.loaded++;
			d->count += n;
			rc = 0;
			goto out;
		}
	}
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &d->db[field], &cerr) !=
	    HS_SUCCESS) {
		snprintf(err, errlen, "%s", cerr && cerr->message ? cerr->message : "compile error");
		if (cerr && cerr->expression >= 0 && (unsigned)cerr->expression < n)
			*bad_where = where[cerr->expression];
		goto out;
	}
	if (cached)
		cache_store(d, d->db[field], file, key);
	d->count += n;
	rc = 0;
out:
	if (cerr)
		hs_free_compile_error(cerr);
	free(exprs);
	free(flags);
	free(ids);
	free(where);
	return rc;
}

struct pat_db *pat_build(struct pat_builder *b, char *err, size_t errlen, uint32_t *bad_where)
{
	struct pat_db *d = calloc(1, sizeof(*d));
	char dir[PATH_MAX];
	const char *cache_dir = NULL;
	int rc = -1;

	*bad_where = UINT32_MAX;
	if (!d) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (b->n && hs_valid_platform() != HS_SUCCESS) {
		snprintf(err, errlen, "Hyperscan does not support this CPU");
		goto out;
	}
	/* the cache directory once per build: the environment may change between reloads */
	if (b->n && sodium_init() >= 0 && cachefile_dir(NULL, dir, sizeof(dir)) == 0)
		cache_dir = dir;
	for (unsigned f = 0; f < PAT_MAX_FIELDS; f++)
		if (compile_field(d, b, f, cache_dir, err, errlen, bad_where) < 0)
			goto out;
	if (cache_dir && d->cache.written)   /* a new set: drop the oldest sets' files */
		cachefile_prune(cache_dir, "hs-", CACHE_KEEP);
	rc = 0;
out:
	pat_builder_free(b);
	if (rc < 0) {
		pat_free(d);
		return NULL;
	}
	return d;
}

void pat_free(struct pat_db *d)
{
	if (!d)
		return;
	for (unsigned f = 0; f < PAT_MAX_FIELDS; f++)
		hs_free_database(d->db[f]);
	free(d);
}

size_t pat_count(const struct pat_db *d)
{
	return d->count;
}

size_t pat_bytes(const struct pat_db *d)
{
	size_t n = sizeof(*d);

	for (unsigned f = 0; f < PAT_MAX_FIELDS; f++) {
		size_t sz = 0;
		if (d->db[f] && hs_database_size(d->db[f], &sz) == HS_SUCCESS)
			n += sz;
	}
	return n;
}

bool pat_has_field(const struct pat_db *d, unsigned field)
{
	return field < PAT_MAX_FIELDS && d->db[field] != NULL;
}

int pat_scratch_fit(struct pat_scratch **sc, const struct pat_db *d)
{
	if (!*sc) {
		*sc = calloc(1, sizeof(**sc));
		if (!*sc)
			return -1;
	}
	for (unsigned f = 0; f < PAT_MAX_FIELDS; f++)
		if (d->db[f] && hs_alloc_scratch(d->db[f], &(*sc)->hs) != HS_SUCCESS)
			return -1;
	return 0;
}

void pat_scratch_free(struct pat_scratch *sc)
{
	if (!sc)
		return;
	hs_free_scratch(sc->hs);
	free(sc);
}

struct scan_ctx {
	pat_hit_fn fn;
	void *ctx;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
		    unsigned flags, void *ctx)
{
	struct scan_ctx *c = ctx;

	c->fn(c->ctx, id);
	return 0;
}

int pat_scan(const struct pat_db *d, unsigned field, const char *s, size_t len,
	     struct pat_scratch *sc, pat_hit_fn fn, void *ctx)
{
	struct scan_ctx c = { fn, ctx };

	if (field >= PAT_MAX_FIELDS || !d->db[field])
		return 0;
	if (!sc || !sc->hs || len > UINT32_MAX)
		return -1;
	if (hs_scan(d->db[field], s, (unsigned)len, 0, sc->hs, on_match, &c) != HS_SUCCESS)
		return -1;
	return 0;
}

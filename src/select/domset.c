/*
 * domset.c — label-suffix hashing of domain names (see domset.h).
 *
 * Every name is hashed from its last character towards its first (case folded). Walking a
 * looked-up name from the right, the running hash at each label boundary (the start of the
 * name, or just after a '.') is the hash of that suffix, so one pass over the name probes
 * the table for "x" at the start and ".x" at every boundary:
 *
 *   www.example.com      boundaries:  com | example.com | www.example.com
 *   probes:              .com  .example.com  .www.example.com  www.example.com (exact)
 *
 * Suffixes longer than DOMSET_NAME_MAX are not probed: no entry is that long.
 *
 * The table is open addressing with linear probing, load <= 0.7; a slot holds the 64-bit
 * key (hash and kind), the offset of the entry's name in a string pool (a length byte, then
 * the lower-case name) and the tagset id. A key match is confirmed against the stored name,
 * so a hash collision can never produce a false hit.
 */
#include "select/domset.h"

#include <stdlib.h>
#include <string.h>

#include "select/tagset.h"

#define KIND_EXACT 0x2545f4914f6cdd1dull
#define KIND_SUFFIX 0x9e3779b97f4a7c15ull

struct rec {
	uint64_t key;
	uint32_t name;     /* offset in the builder's pool */
	uint32_t tag;
};

struct domset_builder {
	struct rec *r;
	size_t n, cap;
	char *pool;
	size_t pool_n, pool_cap;
};

struct slot {
	uint64_t key;
	uint32_t name;     /* offset in pool; entries with ts == 0 are empty */
	uint32_t ts;
};

struct domset {
	struct tagset_pool tags;
	struct slot *t;
	size_t mask;
	char *pool;
	size_t pool_n;
	size_t count;      /* entries added */
};

static inline uint8_t lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

static inline uint64_t step(uint64_t h, uint8_t c)
{
	return (h ^ lower(c)) * 0x100000001b3ull;
}

static inline uint64_t finish(uint64_t h, uint64_t kind)
{
	h ^= kind;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

#define SEED 0xcbf29ce484222325ull

static uint64_t name_key(const char *s, size_t len, uint64_t kind)
{
	uint64_t h = SEED;

	while (len)
		h = step(h, (uint8_t)s[--len]);
	return finish(h, kind);
}

struct domset_builder *domset_builder_new(void)
{
	return calloc(1, sizeof(struct domset_builder));
}

size_t domset_builder_count(const struct domset_builder *b)
{
	return b->n;
}

void domset_builder_free(struct domset_builder *b)
{
	if (!b)
		return;
	free(b->r);
	free(b->pool);
	free(b);
}

/* Checks a name (no leading dot, trailing dot already removed): labels of 1..63 characters
 * from [A-Za-z0-9_-], total 1..DOMSET_NAME_MAX. */
static const char *check_name(const char *s, size_t len)
{
	size_t label = 0;

	if (len == 0)
		return "empty name";
	if (len > DOMSET_NAME_MAX)
		return "name longer than 253 characters";
	for (size_t i = 0; i < len; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '.') {
			if (label == 0)
				return "empty label in name";
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return "bad character in name";
		if (++label > 63)
			return "label longer than 63 characters";
	}
	if (label == 0)
		return "empty label in name";
	return NULL;
}

int domset_builder_add(struct domset_builder *b, const char *text, size_t len, uint32_t tag,
		       const char **why)
{
	bool suffix = false;

	if (len && text[0] == '.') {
		suffix = true;
		text++;
		len--;
	}
	if (len && text[len - 1] == '.')
		len--;
	if ((*why = check_name(text, len)))
		return -1;
	if (b->n >= DOMSET_MAX_ENTRIES || b->pool_n > UINT32_MAX - 512)
		return -2;
	if (b->n == b->cap) {
		size_t c = b->cap ? b->cap * 2 : 1024;
		struct rec *r = realloc(b->r, c * sizeof(*r));
		if (!r)
			return -2;
		b->r = r;
		b->cap = c;
	}
	if (b->pool_n + len + 1 > b->pool_cap) {
		size_t c = b->pool_cap ? b->pool_cap : 16384;
		while (c < b->pool_n + len + 1)
			c *= 2;
		char *p = realloc(b->pool, c);
		if (!p)
			return -2;
		b->pool = p;
		b->pool_cap = c;
	}
	b->r[b->n].key = name_key(text, len, suffix ? KIND_SUFFIX : KIND_EXACT);
	b->r[b->n].name = (uint32_t)b->pool_n;
	b->r[b->n].tag = tag;
	b->n++;
	b->pool[b->pool_n++] = (char)len;
	for (size_t i = 0; i < len; i++)
		b->pool[b->pool_n++] = (char)lower((uint8_t)text[i]);
	return 0;
}

static int name_cmp(const char *pool, uint32_t x, uint32_t y)
{
	uint8_t lx = (uint8_t)pool[x], ly = (uint8_t)pool[y];
	int c = memcmp(pool + x + 1, pool + y + 1, lx < ly ? lx : ly);

	return c ? c : (lx > ly) - (lx < ly);
}

static int cmp_rec(const void *x, const void *y, void *pool)
{
	const struct rec *a = x, *b = y;
	int c;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if ((c = name_cmp(pool, a->name, b->name)))
		return c;
	return (a->tag > b->tag) - (a->tag < b->tag);
}

struct domset *domset_build(struct domset_builder *b)
{
	struct domset *s = calloc(1, sizeof(*s));
	size_t cap = 16;
	int rc = -1;

	if (!s || tagset_init(&s->tags) < 0)
		goto out;
	s->count = b->n;
	if (b->n) {
		qsort_r(b->r, b->n, sizeof(*b->r), cmp_rec, b->pool);
	}
	while (cap * 7 < b->n * 10)
		cap *= 2;
	s->mask = cap - 1;
	s->t = calloc(cap, sizeof(*s->t));
	s->pool = malloc(b->pool_n ? b->pool_n : 1);
	if (!s->t || !s->pool)
		goto out;
	for (size_t i = 0; i < b->n;) {
		const struct rec *first = &b->r[i];
		uint32_t ts = 0;
		size_t len = (uint8_t)b->pool[first->name];
		for (; i < b->n && b->r[i].key == first->key &&
		       name_cmp(b->pool, b->r[i].name, first->name) == 0; i++) {
			ts = tagset_add(&s->tags, ts, b->r[i].tag);
			if (ts == TAGSET_NONE)
				goto out;
		}
		size_t j = first->key & s->mask;
		while (s->t[j].ts)
			j = (j + 1) & s->mask;
		s->t[j].key = first->key;
		s->t[j].name = (uint32_t)s->pool_n;
		s->t[j].ts = ts;
		memcpy(s->pool + s->pool_n, b->pool + first->name, len + 1);
		s->pool_n += len + 1;
	}
	if (s->pool_n) {
		char *p = realloc(s->pool, s->pool_n);
		if (p)
			s->pool = p;
	}
	tagset_seal(&s->tags);
	rc = 0;
out:
	domset_builder_free(b);
	if (rc < 0) {
		domset_free(s);
		return NULL;
	}
	return s;
}

static bool same_name(const char *stored, const char *name, size_t len)
{
	if ((uint8_t)stored[0] != len)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((uint8_t)stored[1 + i] != lower((uint8_t)name[i]))
			return false;
	return true;
}

static size_t probe(const struct domset *s, uint64_t key, const char *name, size_t len,
		    domset_hit_fn fn, void *ctx)
{
	for (size_t j = key & s->mask; s->t[j].ts; j = (j + 1) & s->mask) {
		if (s->t[j].key == key && same_name(s->pool + s->t[j].name, name, len)) {
			size_t n;
			const uint32_t *t = tagset_get(&s->tags, s->t[j].ts, &n);
			fn(ctx, t, n);
			return 1;
		}
	}
	return 0;
}

size_t domset_lookup(const struct domset *s, const char *name, size_t len, domset_hit_fn fn,
		     void *ctx)
{
	uint64_t h = SEED;
	size_t hits = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || s->count == 0)
		return 0;
	for (size_t i = len; i-- > 0;) {
		h = step(h, (uint8_t)name[i]);
		if (len - i > DOMSET_NAME_MAX)
			break;
		if (i > 0 && name[i - 1] != '.')
			continue;
		hits += probe(s, finish(h, KIND_SUFFIX), name + i, len - i, fn, ctx);
		if (i == 0)
			hits += probe(s, finish(h, KIND_EXACT), name, len, fn, ctx);
	}
	return hits;
}

size_t domset_count(const struct domset *s)
{
	return s->count;
}

size_t domset_bytes(const struct domset *s)
{
	return sizeof(*s) + tagset_bytes(&s->tags) + (s->mask + 1) * sizeof(*s->t) + s->pool_n;
}

void domset_free(struct domset *s)
{
	if (!s)
		return;
	tagset_free(&s->tags);
	free(s->t);
	free(s->pool);
	free(s);
}

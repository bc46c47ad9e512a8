/*
 * pattern.c — Hyperscan databases per field (see pattern.h).
 *
 * The builder keeps the expressions until pat_build() compiles each field's list with
 * hs_compile_multi(); the pattern id Hyperscan reports is the caller's tag. A compile error
 * names the failing expression's index, which maps back to the caller's `where` (the
 * selector file line).
 */
#include "select/pattern.h"

#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int compile_field(struct pat_db *d, struct pat_builder *b, unsigned field, char *err,
			 size_t errlen, uint32_t *bad_where)
{
	const char **exprs = NULL;
	unsigned *flags = NULL, *ids = NULL;
	uint32_t *where = NULL;
	hs_compile_error_t *cerr = NULL;
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
	if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, &d->db[field], &cerr) !=
	    HS_SUCCESS) {
		snprintf(err, errlen, "%s", cerr && cerr->message ? cerr->message : "compile error");
		if (cerr && cerr->expression >= 0 && (unsigned)cerr->expression < n)
			*bad_where = where[cerr->expression];
		goto out;
	}
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
	for (unsigned f = 0; f < PAT_MAX_FIELDS; f++)
		if (compile_field(d, b, f, err, errlen, bad_where) < 0)
			goto out;
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

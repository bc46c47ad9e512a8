/*
 * tagset.c — interning of sorted tag lists (see tagset.h).
 *
 * Lists live back to back in one array; off[] gives each list's start, off[nsets] the end.
 * The intern index is an open-addressing table of ids keyed by a hash of the list; it is
 * kept at most half full and is freed by tagset_seal(), after which the pool is immutable.
 */
#include "select/tagset.h"

#include <stdlib.h>
#include <string.h>

#define TAGSET_MAX_TAGS (1u << 30) /* bound on the whole pool */

static uint64_t hash_list(const uint32_t *t, size_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;

	for (size_t i = 0; i < n; i++) {
		h ^= t[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	p = realloc(*arr, c * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

static int index_rebuild(struct tagset_pool *p, size_t cap)
{
	uint32_t *idx = calloc(cap, sizeof(*idx));

	if (!idx)
		return -1;
	for (uint32_t id = 1; id < p->nsets; id++) {
		size_t n;
		const uint32_t *t = tagset_get(p, id, &n);
		size_t i = hash_list(t, n) & (cap - 1);
		while (idx[i])
			i = (i + 1) & (cap - 1);
		idx[i] = id + 1;
	}
	free(p->index);
	p->index = idx;
	p->index_cap = cap;
	return 0;
}

int tagset_init(struct tagset_pool *p)
{
	memset(p, 0, sizeof(*p));
	if (grow((void **)&p->off, &p->cap_sets, 2, sizeof(*p->off)) < 0 ||
	    grow((void **)&p->tags, &p->cap_tags, 16, sizeof(*p->tags)) < 0) {
		tagset_free(p);
		return -1;
	}
	p->off[0] = 0;
	p->off[1] = 0;
	p->nsets = 1; /* id 0: the empty set */
	return index_rebuild(p, 64);
}

uint32_t tagset_intern(struct tagset_pool *p, const uint32_t *tags, size_t n)
{
	uint64_t h;
	size_t i;

	if (n == 0)
		return 0;
	if (!p->index || n > TAGSET_MAX_TAGS - p->ntags || p->nsets >= UINT32_MAX - 2)
		return TAGSET_NONE;
	h = hash_list(tags, n);
	for (i = h & (p->index_cap - 1); p->index[i]; i = (i + 1) & (p->index_cap - 1)) {
		uint32_t id = p->index[i] - 1;
		size_t m;
		const uint32_t *t = tagset_get(p, id, &m);
		if (m == n && memcmp(t, tags, n * sizeof(*t)) == 0)
			return id;
	}
	if (grow((void **)&p->tags, &p->cap_tags, p->ntags + n, sizeof(*p->tags)) < 0 ||
	    grow((void **)&p->off, &p->cap_sets, p->nsets + 2, sizeof(*p->off)) < 0)
		return TAGSET_NONE;
	memcpy(p->tags + p->ntags, tags, n * sizeof(*tags));
	p->ntags += n;
	p->off[p->nsets + 1] = (uint32_t)p->ntags;
	p->index[i] = (uint32_t)p->nsets + 1;
	p->nsets++;
	if (p->nsets * 2 > p->index_cap && index_rebuild(p, p->index_cap * 2) < 0)
		return TAGSET_NONE;
	return (uint32_t)p->nsets - 1;
}

uint32_t tagset_union(struct tagset_pool *p, uint32_t a, uint32_t b)
{
	size_t na, nb, i = 0, j = 0, k = 0;
	const uint32_t *ta, *tb;

	if (a == b || b == 0)
		return a;
	if (a == 0)
		return b;
	(void)tagset_get(p, a, &na);
	(void)tagset_get(p, b, &nb);
	if (grow((void **)&p->tmp, &p->cap_tmp, na + nb, sizeof(*p->tmp)) < 0)
		return TAGSET_NONE;
	ta = tagset_get(p, a, &na);
	tb = tagset_get(p, b, &nb);
	while (i < na || j < nb) {
		uint32_t v;
		if (j >= nb || (i < na && ta[i] < tb[j]))
			v = ta[i++];
		else if (i >= na || tb[j] < ta[i])
			v = tb[j++];
		else {
			v = ta[i++];
			j++;
		}
		p->tmp[k++] = v;
	}
	return tagset_intern(p, p->tmp, k);
}

uint32_t tagset_add(struct tagset_pool *p, uint32_t a, uint32_t t)
{
	size_t n, k = 0;
	const uint32_t *ta;

	(void)tagset_get(p, a, &n);
	if (grow((void **)&p->tmp, &p->cap_tmp, n + 1, sizeof(*p->tmp)) < 0)
		return TAGSET_NONE;
	ta = tagset_get(p, a, &n);
	size_t i = 0;
	while (i < n && ta[i] < t)
		p->tmp[k++] = ta[i++];
	if (i < n && ta[i] == t)
		return a;
	p->tmp[k++] = t;
	while (i < n)
		p->tmp[k++] = ta[i++];
	return tagset_intern(p, p->tmp, k);
}

void tagset_seal(struct tagset_pool *p)
{
	void *q;

	free(p->index);
	p->index = NULL;
	p->index_cap = 0;
	free(p->tmp);
	p->tmp = NULL;
	p->cap_tmp = 0;
	if (p->ntags && (q = realloc(p->tags, p->ntags * sizeof(*p->tags)))) {
		p->tags = q;
		p->cap_tags = p->ntags;
	}
	if ((q = realloc(p->off, (p->nsets + 1) * sizeof(*p->off)))) {
		p->off = q;
		p->cap_sets = p->nsets + 1;
	}
}

size_t tagset_bytes(const struct tagset_pool *p)
{
	return p->cap_tags * sizeof(*p->tags) + p->cap_sets * sizeof(*p->off) +
	       p->index_cap * sizeof(*p->index) + p->cap_tmp * sizeof(*p->tmp);
}

void tagset_free(struct tagset_pool *p)
{
	free(p->tags);
	free(p->off);
	free(p->index);
	free(p->tmp);
	memset(p, 0, sizeof(*p));
}

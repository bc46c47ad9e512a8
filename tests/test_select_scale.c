/*
 * test_select_scale.c — the matchers at scale: 1,000,000 generated IPv4/IPv6 addresses and
 * prefixes and 100,000 domains (deterministic PRNG, written to a temp dir as list files)
 * load through sel_load; every planted entry matches its selector, and for planted entries
 * and a large sample of other addresses and names the result equals that of a slow,
 * obviously correct oracle (no false hit, no miss), including addresses covered by
 * overlapping prefixes of two selectors. Prints load time, memory and lookup rate; no
 * assertion depends on time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "select/rules.h"

#define N_V4_HOSTS 400000
#define N_V4_PFX 100000
#define N_V6_HOSTS 400000
#define N_V6_PFX 100000
#define N_DOM_EXACT 60000
#define N_DOM_SUFFIX 40000
#define N_RANDOM 400000

enum { S_V4, S_V6, S_OVER, S_DOM, S_DOMOVER, S__COUNT };
static const char *const sel_names[S__COUNT] = { "v4", "v6", "over", "dom", "domover" };

static uint64_t rng_state = 0x5a4b1d0c0ffee123ull;

static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- the oracle: per family and prefix length, a sorted array of networks --------------- */

struct plen_tab {
	struct sk_addr *a;
	size_t n, cap;
};

struct oracle {
	struct plen_tab t[2][129];
	unsigned used[2][129];         /* prefix lengths in use, per family */
	unsigned nused[2];
};

static void mask(struct sk_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		if (bit >= plen)
			a->b[i] = 0;
		else if (plen - bit < 8)
			a->b[i] &= (uint8_t)(0xff << (8 - (plen - bit)));
	}
}

static int cmp_addr(const void *x, const void *y)
{
	return memcmp(x, y, 16);
}

static void oracle_add(struct oracle *o, const struct sk_addr *net, unsigned plen)
{
	struct plen_tab *t = &o->t[addr_is_v4(net) && plen >= 96][plen];

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->a = realloc(t->a, t->cap * sizeof(*t->a));
		assert_non_null(t->a);
	}
	t->a[t->n++] = *net;
}

static void oracle_sort(struct oracle *o)
{
	for (int f = 0; f < 2; f++) {
		o->nused[f] = 0;
		for (unsigned p = 0; p <= 128; p++) {
			if (!o->t[f][p].n)
				continue;
			qsort(o->t[f][p].a, o->t[f][p].n, sizeof(struct sk_addr), cmp_addr);
			o->used[f][o->nused[f]++] = p;
		}
	}
}

static bool oracle_has(const struct oracle *o, const struct sk_addr *a)
{
	int f = addr_is_v4(a);

	for (unsigned i = 0; i < o->nused[f]; i++) {
		unsigned p = o->used[f][i];
		const struct plen_tab *t = &o->t[f][p];
		struct sk_addr m = *a;
		mask(&m, p);
		if (bsearch(&m, t->a, t->n, sizeof(m), cmp_addr))
			return true;
	}
	return false;
}

static void oracle_free(struct oracle *o)
{
	for (int f = 0; f < 2; f++)
		for (int p = 0; p <= 128; p++)
			free(o->t[f][p].a);
}

/* Domain oracle: sorted exact names and sorted suffix names (without the dot). */
struct names {
	char **exact, **suffix;
	size_t ne, ns;
};

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool names_has(const struct names *d, const char *name)
{
	const char *p = name;

	if (d->ne && bsearch(&p, d->exact, d->ne, sizeof(char *), cmp_str))
		return true;
	for (;;) {
		if (d->ns && bsearch(&p, d->suffix, d->ns, sizeof(char *), cmp_str))
			return true;
		p = strchr(p, '.');
		if (!p)
			return false;
		p++;
	}
}

/* --- the planted data ------------------------------------------------------------------ */

struct item {
	struct sk_addr a;
	unsigned plen;
	int sel;
};

static void rand_v4(struct sk_addr *a)
{
	addr_from_v4(a, (uint32_t)rnd());
}

static void rand_v6(struct sk_addr *a)
{
	uint64_t x = rnd(), y = rnd();

	for (int i = 0; i < 8; i++) {
		a->b[i] = (uint8_t)(x >> (56 - 8 * i));
		a->b[8 + i] = (uint8_t)(y >> (56 - 8 * i));
	}
	a->b[0] = (uint8_t)(0x20 | (a->b[0] & 0x0f)); /* 2000::/4 */
}

/* A random address inside net/plen. */
static struct sk_addr inside(const struct sk_addr *net, unsigned plen)
{
	struct sk_addr r, a = *net;

	rand_v6(&r);
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		uint8_t keep = bit >= plen ? 0 : plen - bit >= 8 ? 0xff : (uint8_t)(0xff << (8 - (plen - bit)));
		a.b[i] = (uint8_t)((a.b[i] & keep) | (r.b[i] & ~keep));
	}
	return a;
}

static void rand_label(char *out, size_t min, size_t max)
{
	static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	size_t n = min + rnd() % (max - min + 1);

	for (size_t i = 0; i < n; i++)
		out[i] = al[rnd() % 36];
	out[n] = '\0';
}

struct world {
	char dir[64];
	struct item *items;
	size_t nitems;
	struct oracle ora[3];          /* S_V4, S_V6, S_OVER */
	struct names dom, domover;
	struct sel_set *set;
	long sel_index[S__COUNT];
};

static void write_item(FILE *f, const struct item *it)
{
	char buf[SK_ADDR_STRLEN];

	addr_format(&it->a, buf);
	if (it->plen == 128)
		fprintf(f, "%s\n", buf);
	else
		fprintf(f, "%s/%u\n", buf, addr_is_v4(&it->a) ? it->plen - 96 : it->plen);
}

static FILE *open_in(struct world *w, const char *name)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", w->dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	return f;
}

static void plant(struct world *w, FILE *f, const struct sk_addr *a, unsigned plen, int sel)
{
	struct item *it = &w->items[w->nitems++];

	it->a = *a;
	it->plen = plen;
	it->sel = sel;
	mask(&it->a, plen);
	oracle_add(&w->ora[sel], &it->a, plen);
	write_item(f, it);
}

static void generate(struct world *w)
{
	size_t cap = N_V4_HOSTS + N_V4_PFX + N_V6_HOSTS + N_V6_PFX + 10000;
	struct sk_addr a;
	FILE *f, *fo;

	w->items = calloc(cap, sizeof(*w->items));
	assert_non_null(w->items);

	f = open_in(w, "v4.txt");
	fprintf(f, "# generated IPv4 indicators\n");
	for (size_t i = 0; i < N_V4_HOSTS; i++) {
		rand_v4(&a);
		plant(w, f, &a, 128, S_V4);
	}
	for (size_t i = 0; i < N_V4_PFX; i++) {
		rand_v4(&a);
		plant(w, f, &a, 96 + 20 + (unsigned)(rnd() % 11), S_V4);    /* /20 .. /30 */
	}
	fclose(f);

	f = open_in(w, "v6.txt");
	for (size_t i = 0; i < N_V6_HOSTS; i++) {
		rand_v6(&a);
		plant(w, f, &a, 128, S_V6);
	}
	for (size_t i = 0; i < N_V6_PFX; i++) {
		rand_v6(&a);
		plant(w, f, &a, 32 + (unsigned)(rnd() % 33), S_V6);          /* /32 .. /64 */
	}
	fclose(f);

	/* a second selector whose prefixes nest with the first ones, both ways, and some of
	 * the same host addresses */
	fo = open_in(w, "over.txt");
	size_t n = w->nitems;
	for (size_t i = 0; i < 3000; i++) {
		const struct item *it = &w->items[rnd() % n];
		if (it->plen == 128)
			plant(w, fo, &it->a, 128, S_OVER);
		else if (i % 2)
			plant(w, fo, &it->a, it->plen - 2, S_OVER);              /* supernet */
		else
			plant(w, fo, &it->a, it->plen + 2, S_OVER);              /* subnet */
	}
	fclose(fo);
	for (int s = 0; s < 3; s++)
		oracle_sort(&w->ora[s]);

	/* domains: exact names under .test, suffix entries under .example */
	w->dom.exact = calloc(N_DOM_EXACT, sizeof(char *));
	w->dom.suffix = calloc(N_DOM_SUFFIX, sizeof(char *));
	w->domover.suffix = calloc(1000, sizeof(char *));
	assert_non_null(w->dom.exact);
	assert_non_null(w->dom.suffix);
	assert_non_null(w->domover.suffix);
	f = open_in(w, "domains.txt");
	for (size_t i = 0; i < N_DOM_EXACT; i++) {
		char l1[32], l2[32], name[80];
		rand_label(l1, 3, 12);
		rand_label(l2, 3, 12);
		snprintf(name, sizeof(name), "%s.%s.test", l1, l2);
		fprintf(f, "%s\n", name);
		w->dom.exact[w->dom.ne++] = strdup(name);
	}
	for (size_t i = 0; i < N_DOM_SUFFIX; i++) {
		char l1[32], l2[32], name[80];
		rand_label(l1, 3, 12);
		rand_label(l2, 3, 12);
		snprintf(name, sizeof(name), "%s.%s.example", l1, l2);
		fprintf(f, ".%s\n", name);
		w->dom.suffix[w->dom.ns++] = strdup(name);
	}
	fclose(f);
	/* the second domain selector: suffix entries over some exact names of the first */
	f = open_in(w, "domover.txt");
	for (size_t i = 0; i < 1000; i++) {
		const char *e = w->dom.exact[rnd() % w->dom.ne];
		const char *dot = strchr(e, '.');
		const char *base = (i % 2) ? e : dot + 1;   /* the name itself, or its parent */
		fprintf(f, ".%s\n", base);
		w->domover.suffix[w->domover.ns++] = strdup(base);
	}
	fclose(f);
	qsort(w->dom.exact, w->dom.ne, sizeof(char *), cmp_str);
	qsort(w->dom.suffix, w->dom.ns, sizeof(char *), cmp_str);
	qsort(w->domover.suffix, w->domover.ns, sizeof(char *), cmp_str);

	f = open_in(w, "sel.conf");
	fprintf(f, "approval A channel=agreement from=2026-10-01T00:00:00+09:00 "
		   "until=2027-10-01T00:00:00+09:00\n"
		   "select v4 approval=A ip-list=v4.txt\n"
		   "select v6 approval=A ip-list=v6.txt\n"
		   "select over approval=A ip-list=over.txt\n"
		   "select dom approval=A domain-list=domains.txt\n"
		   "select domover approval=A domain-list=domover.txt\n");
	fclose(f);
}

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	const char *tmp = getenv("TMPDIR");

	if (!w)
		return -1;
	snprintf(w->dir, sizeof(w->dir), "%s/sk-scale-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(w->dir))
		return -1;
	*state = w;
	return 0;
}

static void free_names(struct names *d)
{
	for (size_t i = 0; i < d->ne; i++)
		free(d->exact[i]);
	for (size_t i = 0; i < d->ns; i++)
		free(d->suffix[i]);
	free(d->exact);
	free(d->suffix);
}

static int teardown(void **state)
{
	struct world *w = *state;
	static const char *files[] = { "v4.txt", "v6.txt", "over.txt", "domains.txt",
				       "domover.txt", "sel.conf" };
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", w->dir, files[i]);
		unlink(path);
	}
	rmdir(w->dir);
	for (int s = 0; s < 3; s++)
		oracle_free(&w->ora[s]);
	free_names(&w->dom);
	free_names(&w->domover);
	sel_set_free(w->set);
	free(w->items);
	free(w);
	return 0;
}

/* --- checks ---------------------------------------------------------------------------- */

static unsigned expect_addr(const struct world *w, const struct sk_addr *a)
{
	unsigned m = 0;

	for (int s = 0; s < 3; s++)
		if (oracle_has(&w->ora[s], a))
			m |= 1u << s;
	return m;
}

static unsigned expect_name(const struct world *w, const char *name)
{
	return (names_has(&w->dom, name) ? 1u << S_DOM : 0) |
	       (names_has(&w->domover, name) ? 1u << S_DOMOVER : 0);
}

static unsigned got(const struct world *w, struct sel_scratch *sc, const struct sel_obs *o)
{
	uint64_t bits[1];
	unsigned m = 0;

	assert_true(sel_match(w->set, sc, o, bits) >= 0);
	for (int s = 0; s < S__COUNT; s++)
		if (bits[0] >> w->sel_index[s] & 1)
			m |= 1u << s;
	return m;
}

static struct sel_obs base_obs(void)
{
	struct sel_obs o;

	memset(&o, 0, sizeof(o));
	o.ts_us = 1800000000000000ull;
	o.dir = DIR_FD;
	assert_int_equal(addr_parse(&o.dst, "fe80::1"), 0);   /* covered by no list */
	o.proto = 6;
	o.sport = 1234;
	o.dport = 80;
	return o;
}

static size_t mismatches;

static void check(unsigned want, unsigned have, const char *what)
{
	if (want != have && mismatches++ < 10)
		print_error("%s: want %#x, got %#x\n", what, want, have);
}

static void loads_and_matches_at_scale(void **state)
{
	struct world *w = *state;
	char path[128], err[512];
	struct sel_stats st;
	struct sel_scratch *sc;
	struct sel_obs o = base_obs();
	double t0, t_load, t_match;
	long rss0, rss1;
	size_t planted_hits = 0, random_clean = 0, nrandom = 0, lookups = 0;

	generate(w);
	snprintf(path, sizeof(path), "%s/sel.conf", w->dir);
	rss0 = rss_kb();
	t0 = now();
	w->set = sel_load(path, err, sizeof(err));
	t_load = now() - t0;
	rss1 = rss_kb();
	if (!w->set)
		print_error("%s\n", err);
	assert_non_null(w->set);
	for (int s = 0; s < S__COUNT; s++) {
		w->sel_index[s] = sel_find(w->set, sel_names[s]);
		assert_true(w->sel_index[s] >= 0);
	}
	sel_stats(w->set, &st);
	assert_int_equal(st.ip_entries, w->nitems);
	assert_int_equal(st.domains, N_DOM_EXACT + N_DOM_SUFFIX + 1000);
	sc = sel_scratch_new();
	assert_int_equal(sel_scratch_fit(sc, w->set), 0);
	mismatches = 0;

	t0 = now();
	/* every planted address entry: a host itself, or an address inside the prefix */
	for (size_t i = 0; i < w->nitems; i++) {
		const struct item *it = &w->items[i];
		unsigned have;
		o.src = it->plen == 128 ? it->a : inside(&it->a, it->plen);
		have = got(w, sc, &o);
		lookups++;
		planted_hits += (have >> it->sel) & 1;
		check(expect_addr(w, &o.src), have, "planted address");
		if (it->plen < 128) { /* the first and last address of the prefix */
			o.src = it->a;
			check(expect_addr(w, &o.src), got(w, sc, &o), "prefix start");
			o.src = inside(&it->a, it->plen);
			for (unsigned b = it->plen; b < 128; b++)
				o.src.b[b / 8] |= (uint8_t)(0x80 >> (b % 8));
			check(expect_addr(w, &o.src), got(w, sc, &o), "prefix end");
			lookups += 2;
		}
	}
	assert_int_equal(planted_hits, w->nitems);
	/* random addresses and near misses (listed host +- 1): equal to the oracle */
	for (size_t i = 0; i < N_RANDOM; i++) {
		unsigned want;
		if (i % 4 == 0)
			rand_v4(&o.src);
		else if (i % 4 == 1)
			rand_v6(&o.src);
		else {
			const struct item *it = &w->items[rnd() % w->nitems];
			o.src = it->a;
			if (it->plen != 128)
				o.src = inside(&it->a, it->plen - 1); /* often just outside */
			o.src.b[15] ^= 1;
		}
		want = expect_addr(w, &o.src);
		random_clean += want == 0;
		nrandom++;
		check(want, got(w, sc, &o), "random address");
		lookups++;
	}
	/* the dst endpoint counts as well */
	o.src = o.dst;
	o.dst = w->items[0].a;
	check(expect_addr(w, &o.dst), got(w, sc, &o), "destination");
	o.dst = o.src;
	assert_int_equal(addr_parse(&o.src, "fe80::2"), 0);

	/* domains: planted exact names, suffix entries and names below them, near misses */
	for (size_t i = 0; i < w->dom.ne; i++) {
		char name[128];
		o.field[SEL_F_TLS_SNI] = w->dom.exact[i];
		unsigned have = got(w, sc, &o);
		planted_hits += (have >> S_DOM) & 1;
		check(expect_name(w, w->dom.exact[i]), have, "exact name");
		snprintf(name, sizeof(name), "www.%s", w->dom.exact[i]);  /* not an exact match */
		o.field[SEL_F_TLS_SNI] = name;
		check(expect_name(w, name), got(w, sc, &o), "below exact name");
		lookups += 2;
	}
	for (size_t i = 0; i < w->dom.ns; i++) {
		char name[128], up[128];
		o.field[SEL_F_TLS_SNI] = w->dom.suffix[i];
		unsigned have = got(w, sc, &o);
		planted_hits += (have >> S_DOM) & 1;
		check(expect_name(w, w->dom.suffix[i]), have, "suffix name");
		snprintf(name, sizeof(name), "a%u.b.%s", (unsigned)i, w->dom.suffix[i]);
		o.field[SEL_F_TLS_SNI] = name;
		have = got(w, sc, &o);
		planted_hits += (have >> S_DOM) & 1;
		check(expect_name(w, name), have, "below suffix name");
		snprintf(up, sizeof(up), "%s", w->dom.suffix[i]);   /* case does not matter */
		for (char *c = up; *c; c++)
			if (*c >= 'a' && *c <= 'z' && (rnd() & 1))
				*c = (char)(*c - 32);
		o.field[SEL_F_TLS_SNI] = up;
		have = got(w, sc, &o);
		planted_hits += (have >> S_DOM) & 1;
		snprintf(name, sizeof(name), "x%s", w->dom.suffix[i]); /* not at a label boundary */
		o.field[SEL_F_TLS_SNI] = name;
		check(expect_name(w, name), got(w, sc, &o), "label boundary");
		lookups += 4;
	}
	o.field[SEL_F_TLS_SNI] = NULL;
	assert_int_equal(planted_hits, w->nitems + w->dom.ne + 3 * w->dom.ns);
	for (size_t i = 0; i < N_RANDOM / 2; i++) {
		char l1[32], l2[32], name[80];
		rand_label(l1, 3, 12);
		rand_label(l2, 3, 12);
		snprintf(name, sizeof(name), "%s.%s.%s", l1, l2, i % 2 ? "test" : "example");
		o.field[SEL_F_DNS_QNAME] = name;
		unsigned want = expect_name(w, name);
		random_clean += want == 0;
		nrandom++;
		check(want, got(w, sc, &o), "random name");
		lookups++;
	}
	t_match = now() - t0;
	assert_int_equal(mismatches, 0);
	/* the random sample is mostly unlisted, so "no false hit" was really exercised */
	assert_true(random_clean * 10 > nrandom * 8);

	size_t ind = st.ip_entries + st.domains;
	printf("[ FIGURES  ] %zu address + %zu domain indicators: load %.2f s, matchers %.1f MB "
	       "(%.1f B/indicator), RSS +%.1f MB (%.1f B/indicator)\n",
	       st.ip_entries, st.domains, t_load, st.bytes / 1e6, (double)st.bytes / (double)ind,
	       (rss1 - rss0) / 1024.0, (rss1 - rss0) * 1024.0 / (double)ind);
	printf("[ FIGURES  ] %zu sel_match calls checked against the oracle in %.2f s; "
	       "%zu random samples, %zu of them unlisted\n", lookups, t_match, nrandom,
	       random_clean);

	/* lookup rate alone, without the oracle */
	o = base_obs();
	o.field[SEL_F_TLS_SNI] = "www.some-unlisted-name.example";
	t0 = now();
	size_t nb = 2000000, sum = 0;
	for (size_t i = 0; i < nb; i++) {
		if (i & 1)
			rand_v4(&o.src);
		else
			rand_v6(&o.src);
		sum += (size_t)sel_match(w->set, sc, &o, NULL);
	}
	double dt = now() - t0;
	printf("[ FIGURES  ] sel_match (2 addresses + 1 name): %.0f ns/call (%zu hits)\n",
	       dt * 1e9 / (double)nb, sum);
	sel_scratch_free(sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(loads_and_matches_at_scale, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

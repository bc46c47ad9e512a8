/*
 * test_geo.c — domestic/foreign classification against the installed location database:
 * known addresses, agreement with libloc's own lookup on random addresses, private ranges,
 * domestic overrides (good and bad files), the direction table, sampling, concurrent
 * lookups, and the table cache: written, loaded with the same answers as a fresh build, and
 * refused (then rebuilt and rewritten) when stale, corrupt, cut short, writable by others,
 * or when its tables fail their checks behind a valid checksum.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libloc/database.h>
#include <libloc/libloc.h>
#include <libloc/network.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "geo/geo.h"

static struct geo *G;   /* opened once for the group */

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static struct geo_info look(const char *text)
{
	struct sk_addr a;
	struct geo_info gi;

	assert_int_equal(addr_parse(&a, text), 0);
	geo_lookup(G, &a, &gi);
	return gi;
}

static int group_setup(void **state)
{
	char err[256];

	G = geo_open_cached(NULL, "", err, sizeof(err));   /* from the database, no cache */
	if (!G) {
		fprintf(stderr, "geo_open: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	geo_close(G);
	G = NULL;
	return 0;
}

static void known_addresses(void **state)
{
	struct geo_info gi;

	gi = look("133.1.1.1");      /* Osaka University */
	assert_string_equal(gi.cc, "JP");
	assert_int_equal(gi.asn, 4730);
	assert_int_equal(gi.cls, GEO_DOMESTIC);

	gi = look("8.8.8.8");
	assert_string_equal(gi.cc, "US");
	assert_int_equal(gi.asn, 15169);
	assert_int_equal(gi.cls, GEO_FOREIGN);

	gi = look("2001:200::1");    /* WIDE project */
	assert_string_equal(gi.cc, "JP");
	assert_int_equal(gi.asn, 2500);
	assert_int_equal(gi.cls, GEO_DOMESTIC);

	gi = look("2001:4860:4860::8888");
	assert_string_equal(gi.cc, "US");
	assert_int_equal(gi.asn, 15169);
	assert_int_equal(gi.cls, GEO_FOREIGN);

	gi = look("1.0.0.1");        /* a /24 inside a /8: the more specific network wins */
	assert_string_equal(gi.cc, "AU");
	assert_int_equal(gi.asn, 13335);

	assert_true(geo_count(G, 4) > 100000);
	assert_true(geo_count(G, 6) > 10000);
	assert_int_equal(geo_count(G, 5), 0);
}

static void private_and_reserved_are_unknown(void **state)
{
	static const char *const unknown[] = {
		"10.1.2.3", "127.0.0.1", "192.168.1.1", "172.16.5.4", "100.64.0.1",
		"169.254.1.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "224.0.0.251",
		"255.255.255.255", "0.0.0.0", "fe80::1", "::1", "::", "fd00::1",
		"2001:db8::1", "ff02::1",
	};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct geo_info gi = look(unknown[i]);
		if (gi.cls != GEO_UNKNOWN)
			fail_msg("%s classified %s", unknown[i], geo_class_name(gi.cls));
	}
	/* the neighbours of a reserved range are still classified */
	assert_int_equal(look("203.0.112.255").cls != GEO_UNKNOWN ||
			 look("203.0.114.0").cls != GEO_UNKNOWN, 1);
}

/* Same cc and ASN as libloc's loc_database_lookup for n addresses from next(). */
static void compare_with_libloc(int v6, int n)
{
	struct loc_ctx *ctx = NULL;
	struct loc_database *db = NULL;
	FILE *f = fopen(GEO_DEFAULT_DB, "r");
	uint64_t s = v6 ? 0x6a09e667f3bcc909ull : 0xbb67ae8584caa73bull;
	int with_net = 0;

	assert_non_null(f);
	assert_int_equal(loc_new(&ctx), 0);
	assert_int_equal(loc_database_new(ctx, &db, f), 0);

	for (int i = 0; i < n; i++) {
		struct sk_addr a;
		struct in6_addr in;
		struct loc_network *net = NULL;
		struct geo_info gi;
		const char *cc = "";
		uint32_t asn = 0;

		if (v6) {
			uint8_t b[16];
			uint64_t hi = rng_next(&s), lo = rng_next(&s);
			for (int j = 0; j < 8; j++) {
				b[j] = (uint8_t)(hi >> (56 - 8 * j));
				b[8 + j] = (uint8_t)(lo >> (56 - 8 * j));
			}
			/* a third anywhere in 2000::/3, the rest in the busy /16s of the RIRs
			 * (2001, 2400-240f, 2600-260f, 2800-280f, 2a00-2a0f), where networks are */
			static const uint8_t busy[] = { 0x24, 0x26, 0x28, 0x2a };
			b[0] = (uint8_t)(0x20 | (b[0] & 0x1f));
			if (i % 3 == 1) {
				b[0] = busy[b[2] & 3];
				b[1] &= 0x0f;
			} else if (i % 3 == 2) {
				b[0] = 0x20;
				b[1] = 0x01;
			}
			addr_from_v6(&a, b);
		} else {
			addr_from_v4(&a, (uint32_t)rng_next(&s));
		}
		memcpy(in.s6_addr, a.b, 16);
		if (loc_database_lookup(db, &in, &net) == 0 && net) {
			const char *c = loc_network_get_country_code(net);
			cc = c ? c : "";
			asn = loc_network_get_asn(net);
			with_net++;
		}
		geo_lookup(G, &a, &gi);
		if (strcmp(gi.cc, cc) != 0 || gi.asn != asn) {
			char t[SK_ADDR_STRLEN];
			fail_msg("%s: tables say %s/%u, libloc says %s/%u", addr_format(&a, t),
				 gi.cc, gi.asn, cc, asn);
		}
		if (net)
			loc_network_unref(net);
	}
	/* the sample must have hit real networks, not only gaps */
	print_message("%s: %d of %d addresses inside a network\n", v6 ? "IPv6" : "IPv4", with_net, n);
	if (with_net < n / 10)
		fail_msg("only %d of %d addresses in a network", with_net, n);
	loc_database_unref(db);
	loc_unref(ctx);
	fclose(f);
}

static void agrees_with_libloc_v4(void **state)
{
	compare_with_libloc(0, 200000);
}

static void agrees_with_libloc_v6(void **state)
{
	compare_with_libloc(1, 50000);
}

/* Write text to a fresh temporary file; returns its name in buf. */
static void write_temp(char *buf, size_t len, const char *text)
{
	const char *dir = getenv("TMPDIR");
	snprintf(buf, len, "%s/test_geo_XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define ANY_ASN UINT32_MAX

static void domestic_overrides(void **state)
{
	char err[256], err2[256], path[256];
	struct geo *g = geo_open(NULL, err, sizeof(err));
	struct sk_addr a;
	struct geo_info gi;

	assert_non_null(g);
	write_temp(path, sizeof(path),
		   "# carrier's own space\n"
		   "\n"
		   "10.1.0.0/16      # private, declared domestic\n"
		   "   8.8.8.0/24\n"
		   "198.51.100.7\n"
		   "2001:db8:1::/48\r\n"
		   "2001:4860:4860::8888/128\n");
	assert_int_equal(geo_add_domestic_file(g, path, err, sizeof(err)), 0);
	unlink(path);

	static const struct {
		const char *addr;
		enum geo_class cls;
		const char *cc;
		uint32_t asn;
	} want[] = {
		{ "10.1.2.3", GEO_DOMESTIC, "", 0 },
		{ "10.1.255.255", GEO_DOMESTIC, "", 0 },
		{ "10.2.0.0", GEO_UNKNOWN, "", 0 },
		{ "10.0.255.255", GEO_UNKNOWN, "", 0 },
		{ "8.8.8.8", GEO_DOMESTIC, "US", 15169 },   /* cc and asn stay the db's */
		{ "8.8.8.255", GEO_DOMESTIC, "US", 15169 },
		{ "8.8.9.1", GEO_FOREIGN, "US", ANY_ASN },
		{ "198.51.100.7", GEO_DOMESTIC, "", 0 },
		{ "198.51.100.8", GEO_UNKNOWN, "", 0 },
		{ "2001:db8:1:2::3", GEO_DOMESTIC, NULL, ANY_ASN },  /* the db has 2001:db8::/32 */
		{ "2001:db8:2::1", GEO_UNKNOWN, NULL, ANY_ASN },
		{ "2001:4860:4860::8888", GEO_DOMESTIC, "US", 15169 },
		{ "2001:4860:4860::8844", GEO_FOREIGN, "US", ANY_ASN },
		{ "133.1.1.1", GEO_DOMESTIC, "JP", 4730 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(addr_parse(&a, want[i].addr), 0);
		geo_lookup(g, &a, &gi);
		if (gi.cls != want[i].cls || (want[i].cc && strcmp(gi.cc, want[i].cc) != 0) ||
		    (want[i].asn != ANY_ASN && gi.asn != want[i].asn))
			fail_msg("%s: got %s cc=%s asn=%u", want[i].addr, geo_class_name(gi.cls),
				 gi.cc, gi.asn);
	}

	/* bad lines name file and line, and leave the tables as they were */
	static const char *const bad[] = {
		"10.3.0.0/16\n\n# fine so far\nnot-an-address\n",
		"10.3.0.0/16\n1.2.3.0/33\n",
		"10.3.0.0/16\n1.2.3.4 5.6.7.8\n",
		"10.3.0.0/16\n::1/129\n",
		"10.3.0.0/16\n1.2.3.4/\n",
	};
	static const unsigned bad_line[] = { 4, 2, 2, 2, 2 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char expect[300];
		write_temp(path, sizeof(path), bad[i]);
		err2[0] = '\0';
		assert_int_equal(geo_add_domestic_file(g, path, err2, sizeof(err2)), -1);
		snprintf(expect, sizeof(expect), "%s:%u: ", path, bad_line[i]);
		if (strncmp(err2, expect, strlen(expect)) != 0)
			fail_msg("error '%s' does not start with '%s'", err2, expect);
		unlink(path);
		assert_int_equal(addr_parse(&a, "10.3.0.1"), 0);
		geo_lookup(g, &a, &gi);
		assert_int_equal(gi.cls, GEO_UNKNOWN);
	}
	assert_int_equal(geo_add_domestic_file(g, "no/such/file", err2, sizeof(err2)), -1);
	assert_non_null(strstr(err2, "no/such/file"));
	geo_close(g);
}

static void open_errors(void **state)
{
	char err[256] = "", path[256];

	assert_null(geo_open("no/such/database.db", err, sizeof(err)));
	assert_non_null(strstr(err, "no/such/database.db"));

	write_temp(path, sizeof(path), "this is not a location database\n");
	err[0] = '\0';
	assert_null(geo_open(path, err, sizeof(err)));
	assert_true(err[0] != '\0');
	unlink(path);
}

static void direction_table(void **state)
{
	assert_int_equal(geo_direction(GEO_FOREIGN, GEO_FOREIGN), DIR_FF);
	assert_int_equal(geo_direction(GEO_FOREIGN, GEO_DOMESTIC), DIR_FD);
	assert_int_equal(geo_direction(GEO_DOMESTIC, GEO_FOREIGN), DIR_DF);
	assert_int_equal(geo_direction(GEO_DOMESTIC, GEO_DOMESTIC), DIR_DD);
	assert_int_equal(geo_direction(GEO_UNKNOWN, GEO_DOMESTIC), DIR_UNKNOWN);
	assert_int_equal(geo_direction(GEO_FOREIGN, GEO_UNKNOWN), DIR_UNKNOWN);
	assert_int_equal(geo_direction(GEO_UNKNOWN, GEO_UNKNOWN), DIR_UNKNOWN);

	assert_string_equal(direction_name(DIR_FF), "foreign-foreign");
	assert_string_equal(direction_name(DIR_FD), "foreign-domestic");
	assert_string_equal(direction_name(DIR_DF), "domestic-foreign");
	assert_string_equal(direction_name(DIR_DD), "domestic-domestic");
	assert_string_equal(direction_name(DIR_UNKNOWN), "unknown");
	assert_string_equal(geo_class_name(GEO_DOMESTIC), "domestic");
	assert_string_equal(geo_class_name(GEO_FOREIGN), "foreign");
	assert_string_equal(geo_class_name(GEO_UNKNOWN), "unknown");
}

static void sampling(void **state)
{
	char err[256];
	struct geo *g2 = geo_open(NULL, err, sizeof(err));
	struct sk_addr a, b;
	struct geo_info gi;
	int distinct = 0;

	assert_non_null(g2);
	for (int cls = GEO_FOREIGN; cls <= GEO_DOMESTIC; cls++) {
		for (int fam = 4; fam <= 6; fam += 2) {
			struct sk_addr prev = { { 0 } };
			for (uint64_t i = 0; i < 2000; i++) {
				uint64_t idx = i * 2654435761u, r = i * 0x9e3779b97f4a7c15ull;
				assert_int_equal(geo_sample(G, cls, fam, idx, r, &a), 0);
				/* the same database gives the same address */
				assert_int_equal(geo_sample(g2, cls, fam, idx, r, &b), 0);
				assert_memory_equal(a.b, b.b, 16);
				assert_int_equal(addr_is_v4(&a), fam == 4);
				if (fam == 6)
					assert_int_equal(a.b[0] >> 5, 1);   /* inside 2000::/3 */
				geo_lookup(G, &a, &gi);
				if ((int)gi.cls != cls || !gi.cc[0]) {
					char t[SK_ADDR_STRLEN];
					fail_msg("sample %s is %s (cc '%s'), wanted %s",
						 addr_format(&a, t), geo_class_name(gi.cls), gi.cc,
						 geo_class_name(cls));
				}
				if (cls == GEO_DOMESTIC)
					assert_string_equal(gi.cc, "JP");
				distinct += memcmp(a.b, prev.b, 16) != 0;
				prev = a;
			}
		}
	}
	assert_true(distinct > 7900);
	assert_int_equal(geo_sample(G, GEO_UNKNOWN, 4, 1, 1, &a), -1);
	assert_int_equal(geo_sample(G, GEO_FOREIGN, 5, 1, 1, &a), -1);
	geo_close(g2);
}

struct worker {
	uint64_t seed;
	uint64_t digest;
};

/* A digest of the answers for 100,000 addresses drawn from seed. */
static uint64_t lookup_digest(uint64_t s)
{
	uint64_t d = 0;

	for (int i = 0; i < 100000; i++) {
		struct sk_addr a;
		struct geo_info x;
		addr_from_v4(&a, (uint32_t)rng_next(&s));
		geo_lookup(G, &a, &x);
		d = d * 1000003u + x.asn * 4u + (uint64_t)x.cls + (uint64_t)(uint8_t)x.cc[0] * 7919u;
	}
	return d;
}

static void *lookup_worker(void *arg)
{
	struct worker *w = arg;

	w->digest = lookup_digest(w->seed);
	return NULL;
}

/* Lookups from four threads at once give what one thread alone gets. */
static void concurrent_lookups(void **state)
{
	pthread_t th[4];
	struct worker w[4];

	for (int i = 0; i < 4; i++) {
		w[i].seed = 0x1234567u + (uint64_t)i * 977;
		assert_int_equal(pthread_create(&th[i], NULL, lookup_worker, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		assert_true(w[i].digest == lookup_digest(w[i].seed));
}

/* The memo answers what the tables answer: 200,000 lookups drawn from a pool of 20,000
 * addresses (IPv4 and IPv6, domestic, foreign and unknown), many more than the memo's slots,
 * so that addresses meet in one slot again and again; and an address that differs from a
 * remembered one only in its last bit gets its own answer. */
static void memo_agrees(void **state)
{
	enum { POOL = 20000 };
	struct sk_addr *pool = calloc(POOL, sizeof(*pool));
	struct geo_memo *m = geo_memo_new();
	uint64_t s = 0x5eed;

	assert_non_null(pool);
	assert_non_null(m);
	for (int i = 0; i < POOL; i++) {
		uint64_t r = rng_next(&s);
		if (i % 5 == 4) {               /* random IPv6, mostly unallocated: unknown */
			for (int k = 0; k < 16; k++)
				pool[i].b[k] = (uint8_t)(rng_next(&s) >> 24);
			pool[i].b[0] = 0x20 | (pool[i].b[0] & 0x0f);
		} else if (i % 5 == 3) {
			addr_from_v4(&pool[i], (uint32_t)r);
		} else {
			enum geo_class c = i % 2 ? GEO_DOMESTIC : GEO_FOREIGN;
			assert_int_equal(geo_sample(G, c, i % 3 ? 4 : 6, r, r >> 7, &pool[i]), 0);
		}
	}
	for (int i = 0; i < 200000; i++) {
		struct sk_addr a = pool[rng_next(&s) % POOL];
		struct geo_info want, got;
		if (i % 7 == 0)
			a.b[15] ^= 1;
		geo_lookup(G, &a, &want);
		geo_lookup_memo(G, m, &a, &got);
		assert_int_equal(got.cls, want.cls);
		assert_int_equal(got.asn, want.asn);
		assert_string_equal(got.cc, want.cc);
	}
	/* no memo (out of memory): the tables answer */
	struct geo_info x, y;
	geo_lookup(G, &pool[0], &x);
	geo_lookup_memo(G, NULL, &pool[0], &y);
	assert_memory_equal(&x, &y, sizeof(x));
	geo_memo_free(m);
	free(pool);
}

/* ---- the table cache ----------------------------------------------------------------------- */

static char cache_dir[256];

static void make_cache_dir(void)
{
	const char *dir = getenv("TMPDIR");
	snprintf(cache_dir, sizeof(cache_dir), "%s/test_geo_cache_XXXXXX", dir && *dir ? dir : "/tmp");
	assert_non_null(mkdtemp(cache_dir));
}

/* The one cache file in cache_dir. */
static void cache_file(char *out, size_t len)
{
	DIR *d = opendir(cache_dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "geo-", 4) == 0 && strstr(e->d_name, ".cache")) {
			snprintf(out, len, "%s/%s", cache_dir, e->d_name);
			n++;
		}
	closedir(d);
	assert_int_equal(n, 1);
}

static void remove_cache_dir(void)
{
	char f[512];

	cache_file(f, sizeof(f));
	unlink(f);
	assert_int_equal(rmdir(cache_dir), 0);
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

static void write_all_file(const char *path, const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	chmod(path, 0600);
}

/* g answers as G does: random addresses of both families, samples, sizes. */
static void same_tables(const struct geo *g)
{
	uint64_t s = 0x5eed;
	struct sk_addr a, b;
	struct geo_info x, y;

	assert_int_equal(geo_count(g, 4), geo_count(G, 4));
	assert_int_equal(geo_count(g, 6), geo_count(G, 6));
	for (int i = 0; i < 200000; i++) {
		uint64_t r = rng_next(&s);
		if (i & 1) {
			uint8_t v6[16];
			uint64_t r2 = rng_next(&s);
			memcpy(v6, &r, 8);
			memcpy(v6 + 8, &r2, 8);
			v6[0] = (uint8_t)(0x20 + (r >> 60));   /* mostly 2000::/3 */
			addr_from_v6(&a, v6);
		} else {
			addr_from_v4(&a, (uint32_t)r);
		}
		geo_lookup(g, &a, &x);
		geo_lookup(G, &a, &y);
		assert_memory_equal(&x, &y, sizeof(x));
	}
	for (uint64_t i = 0; i < 1000; i++) {
		assert_int_equal(geo_sample(g, GEO_DOMESTIC, 4 + 2 * (int)(i & 1), i * 7919, i, &a),
				 geo_sample(G, GEO_DOMESTIC, 4 + 2 * (int)(i & 1), i * 7919, i, &b));
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

/* Open through the cache; the state it ended in and whether a file was refused. */
static struct geo *open_cached(enum geo_cache_state want, int want_refused)
{
	char err[256] = "";
	int refused = -1;
	struct geo *g = geo_open_cached(NULL, cache_dir, err, sizeof(err));

	if (!g)
		fail_msg("geo_open_cached: %s", err);
	assert_int_equal(geo_cache_state(g, &refused), want);
	assert_int_equal(refused, want_refused);
	return g;
}

static void cache_written_then_loaded(void **state)
{
	struct geo *g;
	struct stat st;
	char f[512];

	make_cache_dir();
	g = open_cached(GEO_CACHE_WRITTEN, 0);
	same_tables(g);
	geo_close(g);
	cache_file(f, sizeof(f));
	assert_int_equal(stat(f, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	g = open_cached(GEO_CACHE_LOADED, 0);
	same_tables(g);
	/* overrides apply on top of loaded tables as on built ones */
	char path[256], err[256];
	struct sk_addr a;
	struct geo_info gi;
	write_temp(path, sizeof(path), "8.8.8.0/24\n");
	assert_int_equal(geo_add_domestic_file(g, path, err, sizeof(err)), 0);
	unlink(path);
	assert_int_equal(addr_parse(&a, "8.8.8.8"), 0);
	geo_lookup(g, &a, &gi);
	assert_int_equal(gi.cls, GEO_DOMESTIC);
	geo_close(g);

	/* no directory: built, nothing written */
	char err2[256];
	g = geo_open_cached(NULL, "", err2, sizeof(err2));
	assert_non_null(g);
	assert_int_equal(geo_cache_state(g, NULL), GEO_CACHE_OFF);
	geo_close(g);
	remove_cache_dir();
}

/* Each way a cache file can be wrong: refused, rebuilt, rewritten; then loaded again. */
static void cache_refused_when_bad(void **state)
{
	char f[512];
	uint8_t *img;
	size_t len;
	struct geo *g;

	make_cache_dir();
	geo_close(open_cached(GEO_CACHE_WRITTEN, 0));
	cache_file(f, sizeof(f));
	img = read_all(f, &len);
	assert_true(len > 160 + 1000);

	/* a flipped bit in the tables: the checksum */
	img[len / 2] ^= 0x10;
	write_all_file(f, img, len);
	img[len / 2] ^= 0x10;
	g = open_cached(GEO_CACHE_WRITTEN, 1);
	same_tables(g);
	geo_close(g);
	geo_close(open_cached(GEO_CACHE_LOADED, 0));

	/* cut short */
	write_all_file(f, img, len - 16);
	geo_close(open_cached(GEO_CACHE_WRITTEN, 1));

	/* stale: another modification time of the database (offset 40: db_mtime_s) */
	img[40] ^= 1;
	write_all_file(f, img, len);
	img[40] ^= 1;
	geo_close(open_cached(GEO_CACHE_WRITTEN, 1));

	/* writable by others: not trusted, whatever it holds */
	write_all_file(f, img, len);
	geo_close(open_cached(GEO_CACHE_LOADED, 0));
	chmod(f, 0622);
	geo_close(open_cached(GEO_CACHE_WRITTEN, 1));

	/* not a cache at all */
	write_all_file(f, (const uint8_t *)"hello", 5);
	geo_close(open_cached(GEO_CACHE_WRITTEN, 1));
	geo_close(open_cached(GEO_CACHE_LOADED, 0));
	free(img);
	remove_cache_dir();
}

/* Behind a valid checksum (geo_cache_seal), tables that break an invariant are refused. */
static void cache_tables_checked(void **state)
{
	char f[512], err[256];
	uint8_t *img;
	size_t len, nvals;
	struct geo *g;

	make_cache_dir();
	geo_close(open_cached(GEO_CACHE_WRITTEN, 0));
	cache_file(f, sizeof(f));
	img = read_all(f, &len);
	g = geo_cache_parse(img, len, err, sizeof(err));
	assert_non_null(g);
	same_tables(g);
	geo_close(g);

	memcpy(&nvals, img + 88, sizeof(nvals));   /* header: nvals at 88, then n4, n6 */
	assert_true(nvals > 100);
	size_t start4 = 160 + ((nvals * 8 + 15) & ~(size_t)15);

	size_t foreign = 0;   /* a foreign country's value: made domestic below */
	for (size_t i = 1; i < nvals && !foreign; i++)
		if (img[160 + i * 8 + 2] == GEO_FOREIGN)
			foreign = i;
	assert_true(foreign > 0);

	struct {
		size_t at;
		uint8_t set;
	} cases[] = {
		{ 160 + foreign * 8 + 2, GEO_DOMESTIC },  /* a class that is not its country's */
		{ 160 + foreign * 8 + 2, 7 },             /* no such class */
		{ 160 + 3, 1 },                           /* the "nothing" value's padding */
		{ start4 + 4 * 10 + 3, 0xff },            /* IPv4 starts out of order */
		{ start4, 0x01 },                         /* IPv4 table not starting at 0 */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t *m = malloc(len);
		memcpy(m, img, len);
		m[cases[i].at] = cases[i].set;
		assert_int_equal(geo_cache_seal(m, len), 0);
		err[0] = '\0';
		if (geo_cache_parse(m, len, err, sizeof(err)))
			fail_msg("case %zu: a cache with bad tables was accepted", i);
		assert_non_null(strstr(err, "tables fail their checks"));
		free(m);
	}
	/* sizes that do not match the length; a header alone */
	uint64_t big = (uint64_t)1 << 40;
	memcpy(img + 88, &big, sizeof(big));
	assert_null(geo_cache_parse(img, len, err, sizeof(err)));
	assert_null(geo_cache_parse(img, 100, err, sizeof(err)));
	assert_int_equal(geo_cache_seal(img, 100), -1);
	free(img);
	remove_cache_dir();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_addresses),
		cmocka_unit_test(private_and_reserved_are_unknown),
		cmocka_unit_test(agrees_with_libloc_v4),
		cmocka_unit_test(agrees_with_libloc_v6),
		cmocka_unit_test(domestic_overrides),
		cmocka_unit_test(open_errors),
		cmocka_unit_test(direction_table),
		cmocka_unit_test(sampling),
		cmocka_unit_test(concurrent_lookups),
		cmocka_unit_test(memo_agrees),
		cmocka_unit_test(cache_written_then_loaded),
		cmocka_unit_test(cache_refused_when_bad),
		cmocka_unit_test(cache_tables_checked),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

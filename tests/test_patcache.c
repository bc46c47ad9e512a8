/*
 * test_patcache.c — the cache of compiled Hyperscan databases behind pat_build.
 *
 * With SAKIMORI_CACHE_DIR set to a fresh directory: the first build writes one file per
 * field, the second loads them and matches exactly what a fresh compile matches; a changed
 * list gets a file of its own; a flipped byte anywhere, a cut-short file, a file writable by
 * others and a symlink are each refused, the build still succeeds and a good file is written
 * again; an unwritable directory costs nothing but the file; SAKIMORI_CACHE_DIR=off writes
 * nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "select/pattern.h"

static char dir[256];

struct spec {
	unsigned field;
	const char *re;
	bool caseless;
};

static const struct spec base_set[] = {
	{ 0, "evil\\.example$", false },
	{ 0, "^GET /admin", false },
	{ 0, "[0-9]{4}-[0-9]{2}", false },
	{ 0, "malware", true },
	{ 2, "curl/[0-9.]+", false },
	{ 2, "python-requests", false },
};

static const char *const samples[] = {
	"www.evil.example", "evil.example.org", "GET /admin/x", "POST /admin", "2024-05 report",
	"MALWARE host", "MalWare", "nothing here", "curl/8.1", "python-requests/2.0", "",
	"evil.example curl/7 2024-12 malware",
};

#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

static struct pat_db *build(const struct spec *s, size_t n, struct pat_cache_stats *st)
{
	struct pat_builder *b = pat_builder_new();
	struct pat_db *db;
	uint32_t where;
	char err[256];

	assert_non_null(b);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pat_builder_add(b, s[i].field, s[i].re, s[i].caseless,
						 (uint32_t)i, (uint32_t)i),
				 0);
	db = pat_build(b, err, sizeof(err), &where);
	if (!db)
		fail_msg("pat_build: %s", err);
	assert_int_equal(pat_count(db), n);
	if (st)
		pat_cache_stats(db, st);
	return db;
}

static void on_hit(void *ctx, uint32_t tag)
{
	*(uint64_t *)ctx |= (uint64_t)1 << tag;
}

/* The tags each sample matches, per field: out[field * NSAMPLES + sample]. */
static void matches(const struct pat_db *db, uint64_t *out)
{
	struct pat_scratch *sc = NULL;

	assert_int_equal(pat_scratch_fit(&sc, db), 0);
	for (unsigned f = 0; f < 3; f++)
		for (size_t i = 0; i < NSAMPLES; i++) {
			uint64_t m = 0;
			assert_int_equal(pat_scan(db, f, samples[i], strlen(samples[i]), sc,
						  on_hit, &m),
					 0);
			out[f * NSAMPLES + i] = m;
		}
	pat_scratch_free(sc);
}

/* The matches of a fresh compile, no cache. */
static void fresh_matches(const struct spec *s, size_t n, uint64_t *out)
{
	struct pat_cache_stats st;
	struct pat_db *db;

	setenv("SAKIMORI_CACHE_DIR", "off", 1);
	db = build(s, n, &st);
	assert_int_equal(st.loaded + st.written + st.refused + st.unwritable, 0);
	matches(db, out);
	pat_free(db);
	setenv("SAKIMORI_CACHE_DIR", dir, 1);
}

static void expect(const struct pat_cache_stats *st, unsigned loaded, unsigned written,
		   unsigned refused, unsigned unwritable)
{
	assert_int_equal(st->loaded, loaded);
	assert_int_equal(st->written, written);
	assert_int_equal(st->refused, refused);
	assert_int_equal(st->unwritable, unwritable);
}

/* Number of entries in dir (other than . and ..); the first hs-*.cache name into name. */
static int count_files(char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (name && !strncmp(e->d_name, "hs-", 3) && strstr(e->d_name, ".cache"))
			snprintf(name, len, "%s/%s", dir, e->d_name);
	}
	closedir(d);
	return n;
}

static uint8_t *read_file(const char *f, size_t *len)
{
	FILE *fp = fopen(f, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n > 0);
	rewind(fp);
	buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *f, const uint8_t *p, size_t len)
{
	FILE *fp;

	unlink(f);
	fp = fopen(f, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	chmod(f, 0600);
}

static int setup(void **state)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/test_patcache_XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir))
		return -1;
	setenv("SAKIMORI_CACHE_DIR", dir, 1);
	return 0;
}

/* Empty dir (one level deep) and remove it. */
static int teardown(void **state)
{
	char p[512];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			if (unlink(p) < 0)
				rmdir(p);
		}
		closedir(d);
	}
	rmdir(dir);
	return 0;
}

static void written_then_loaded(void **state)
{
	enum { N = sizeof(base_set) / sizeof(base_set[0]) };
	uint64_t want[3 * NSAMPLES], got[3 * NSAMPLES];
	struct pat_cache_stats st;
	struct pat_db *db;
	struct stat sb;
	char f[512];

	fresh_matches(base_set, N, want);
	assert_true(want[0 * NSAMPLES + 0] == 1u << 0);     /* the set matches something */
	assert_true(want[2 * NSAMPLES + 8] == 1u << 4);
	assert_int_equal(count_files(NULL, 0), 0);

	db = build(base_set, N, &st);
	expect(&st, 0, 2, 0, 0);                             /* fields 0 and 2 */
	matches(db, got);
	assert_memory_equal(got, want, sizeof(want));
	pat_free(db);
	assert_int_equal(count_files(f, sizeof(f)), 2);
	assert_int_equal(lstat(f, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);

	db = build(base_set, N, &st);
	expect(&st, 2, 0, 0, 0);
	memset(got, 0, sizeof(got));
	matches(db, got);
	assert_memory_equal(got, want, sizeof(want));
	pat_free(db);
	assert_int_equal(count_files(NULL, 0), 2);
}

static void changed_list_new_file(void **state)
{
	struct spec s[] = {
		{ 0, "evil\\.example$", false },
		{ 2, "curl/[0-9.]+", false },
	};
	struct pat_cache_stats st;

	pat_free(build(s, 2, &st));
	expect(&st, 0, 2, 0, 0);
	assert_int_equal(count_files(NULL, 0), 2);

	/* another expression on field 0: a file of its own; field 2 still loads */
	s[0].re = "evil\\.example\\.org$";
	pat_free(build(s, 2, &st));
	expect(&st, 1, 1, 0, 0);
	assert_int_equal(count_files(NULL, 0), 3);

	/* the same expression, caseless: another key again */
	s[0].caseless = true;
	pat_free(build(s, 2, &st));
	expect(&st, 1, 1, 0, 0);
	assert_int_equal(count_files(NULL, 0), 4);

	/* another tag: another key (tags are what scans report) */
	struct pat_builder *b = pat_builder_new();
	uint32_t where;
	char err[128];
	assert_int_equal(pat_builder_add(b, 2, "curl/[0-9.]+", false, 7, 0), 0);
	struct pat_db *db = pat_build(b, err, sizeof(err), &where);
	assert_non_null(db);
	pat_cache_stats(db, &st);
	expect(&st, 0, 1, 0, 0);
	pat_free(db);
	assert_int_equal(count_files(NULL, 0), 5);
}

/* One bad file: the build refuses it, matches what a fresh compile matches, rewrites it;
 * the next build loads the good file again. */
static void refused_then_rewritten(const char *f, const uint64_t *want, const struct spec *s,
				   size_t n)
{
	uint64_t got[3 * NSAMPLES];
	struct pat_cache_stats st;
	struct pat_db *db;
	struct stat sb;

	db = build(s, n, &st);
	expect(&st, 0, 1, 1, 0);
	matches(db, got);
	assert_memory_equal(got, want, sizeof(got));
	pat_free(db);
	assert_int_equal(lstat(f, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0600);
	db = build(s, n, &st);
	expect(&st, 1, 0, 0, 0);
	pat_free(db);
}

static void bad_files_refused(void **state)
{
	static const struct spec s[] = {
		{ 0, "evil\\.example$", false },
		{ 0, "^GET /admin", false },
		{ 0, "malware", true },
	};
	uint64_t want[3 * NSAMPLES];
	uint8_t key[PAT_CACHE_KEY_LEN];
	struct pat_db *db;
	char f[512], other[600];
	uint8_t *img;
	size_t len;

	fresh_matches(s, 3, want);
	pat_free(build(s, 3, NULL));
	assert_int_equal(count_files(f, sizeof(f)), 1);
	img = read_file(f, &len);
	assert_true(len > 88 + 100);
	assert_memory_equal(img, "SKHSDB01", 8);
	memcpy(key, img + 16, sizeof(key));

	/* the image parses as it is; with any one byte flipped it does not */
	db = pat_cache_parse(img, len, key, 0);
	assert_non_null(db);
	pat_free(db);
	for (size_t i = 0; i < len; i++) {
		img[i] ^= 0x20;
		db = pat_cache_parse(img, len, key, 0);
		img[i] ^= 0x20;
		if (db)
			fail_msg("a cache with byte %zu flipped was accepted", i);
	}
	/* nor cut short anywhere, nor with a byte more */
	for (size_t l = 0; l < len; l += (l < 200 ? 1 : 97))
		assert_null(pat_cache_parse(img, l, key, 0));
	uint8_t *longer = calloc(1, len + 1);
	assert_non_null(longer);
	memcpy(longer, img, len);
	assert_null(pat_cache_parse(longer, len + 1, key, 0));
	free(longer);
	/* another key (another list) */
	key[31] ^= 1;
	assert_null(pat_cache_parse(img, len, key, 0));
	key[31] ^= 1;

	/* and through pat_build: a flipped byte in the header, the key, the checksum, the
	 * payload's start, middle and end */
	const size_t at[] = { 0, 9, 13, 20, 50, 60, 88, len / 2, len - 1 };
	for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
		img[at[k]] ^= 0x01;
		write_file(f, img, len);
		img[at[k]] ^= 0x01;
		refused_then_rewritten(f, want, s, 3);
	}

	/* cut short: inside the header, inside the payload */
	write_file(f, img, 40);
	refused_then_rewritten(f, want, s, 3);
	write_file(f, img, len - 1);
	refused_then_rewritten(f, want, s, 3);
	write_file(f, img, 0);
	refused_then_rewritten(f, want, s, 3);

	/* a good file writable by others: not trusted, whatever it holds */
	write_file(f, img, len);
	assert_int_equal(chmod(f, 0666), 0);
	refused_then_rewritten(f, want, s, 3);
	write_file(f, img, len);
	assert_int_equal(chmod(f, 0620), 0);
	refused_then_rewritten(f, want, s, 3);

	/* a symlink to a good file: not followed; replaced by a file */
	snprintf(other, sizeof(other), "%s.target", f);
	write_file(other, img, len);
	unlink(f);
	assert_int_equal(symlink(other, f), 0);
	refused_then_rewritten(f, want, s, 3);
	unlink(other);

	/* a directory in its place cannot be replaced: refused, compiled, not written */
	unlink(f);
	assert_int_equal(mkdir(f, 0700), 0);
	struct pat_cache_stats st;
	db = build(s, 3, &st);
	expect(&st, 0, 0, 1, 1);
	pat_free(db);
	rmdir(f);

	/* and the original bytes load again */
	write_file(f, img, len);
	db = build(s, 3, &st);
	expect(&st, 1, 0, 0, 0);
	pat_free(db);
	free(img);
}

static void off_and_unwritable(void **state)
{
	enum { N = sizeof(base_set) / sizeof(base_set[0]) };
	uint64_t want[3 * NSAMPLES], got[3 * NSAMPLES];
	struct pat_cache_stats st;
	struct pat_db *db;
	char bad[512], f[512];

	fresh_matches(base_set, N, want);

	setenv("SAKIMORI_CACHE_DIR", "off", 1);
	db = build(base_set, N, &st);
	expect(&st, 0, 0, 0, 0);
	pat_free(db);
	assert_int_equal(count_files(NULL, 0), 0);

	/* a directory that cannot be made (under a regular file, so even for root) */
	snprintf(f, sizeof(f), "%s/plain", dir);
	write_file(f, (const uint8_t *)"x", 1);
	snprintf(bad, sizeof(bad), "%s/plain/sub", dir);
	setenv("SAKIMORI_CACHE_DIR", bad, 1);
	db = build(base_set, N, &st);
	expect(&st, 0, 0, 0, 2);
	matches(db, got);
	assert_memory_equal(got, want, sizeof(want));
	pat_free(db);
	assert_int_equal(count_files(NULL, 0), 1);

	/* a directory not there yet is made, private */
	snprintf(bad, sizeof(bad), "%s/a", dir);
	snprintf(f, sizeof(f), "%s/a/b", dir);
	setenv("SAKIMORI_CACHE_DIR", f, 1);
	db = build(base_set, N, &st);
	expect(&st, 0, 2, 0, 0);
	pat_free(db);
	struct stat sb;
	assert_int_equal(stat(f, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	db = build(base_set, N, &st);
	expect(&st, 2, 0, 0, 0);
	pat_free(db);
	{
		DIR *d = opendir(f);
		struct dirent *e;
		char p[800];
		assert_non_null(d);
		while ((e = readdir(d)))
			if (e->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", f, e->d_name);
				unlink(p);
			}
		closedir(d);
	}
	assert_int_equal(rmdir(f), 0);
	assert_int_equal(rmdir(bad), 0);
	setenv("SAKIMORI_CACHE_DIR", dir, 1);
}

/* A compile error is still the pattern's, with or without a cache. */
static void compile_error_unchanged(void **state)
{
	struct pat_builder *b = pat_builder_new();
	uint32_t where = 0;
	char err[256] = "";

	assert_int_equal(pat_builder_add(b, 1, "ok", false, 0, 10), 0);
	assert_int_equal(pat_builder_add(b, 1, "(unbalanced", false, 1, 11), 0);
	assert_null(pat_build(b, err, sizeof(err), &where));
	assert_int_equal(where, 11);
	assert_true(err[0] != '\0');
	assert_int_equal(count_files(NULL, 0), 0);
}

/* A FIFO where a cache file should be is refused without blocking, and replaced. */
static void fifo_refused(void **state)
{
	enum { N = sizeof(base_set) / sizeof(base_set[0]) };
	struct pat_cache_stats st;
	struct stat sb;
	char f[512];

	pat_free(build(base_set, N, &st));
	expect(&st, 0, 2, 0, 0);
	assert_int_equal(count_files(f, sizeof(f)), 2);
	assert_int_equal(unlink(f), 0);
	assert_int_equal(mkfifo(f, 0600), 0);
	pat_free(build(base_set, N, &st));                 /* would hang on a blocking open */
	expect(&st, 1, 1, 1, 0);
	assert_int_equal(lstat(f, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	pat_free(build(base_set, N, &st));
	expect(&st, 2, 0, 0, 0);
}

/* Old sets' files are pruned: the newest 64 hs-*.cache stay, other names are left alone. */
static void old_files_pruned(void **state)
{
	char p[512];

	for (int i = 0; i < 70; i++) {
		struct timespec t[2] = { { 1000000 + i, 0 }, { 1000000 + i, 0 } };
		snprintf(p, sizeof(p), "%s/hs-%016x.cache", dir, i);
		write_file(p, (const uint8_t *)"x", 1);
		assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
	}
	snprintf(p, sizeof(p), "%s/geo-0000000000000000.cache", dir);
	write_file(p, (const uint8_t *)"g", 1);
	assert_int_equal(count_files(NULL, 0), 71);
	/* a new set written through pat_build prunes: its files are the newest */
	struct pat_cache_stats st;
	pat_free(build(base_set, sizeof(base_set) / sizeof(base_set[0]), &st));
	assert_int_equal(st.written, 2);
	assert_int_equal(count_files(NULL, 0), 64 + 1);
	assert_int_equal(access(p, F_OK), 0);                 /* geo's file stays */
	for (int i = 0; i < 8; i++) {                          /* the 8 oldest went */
		snprintf(p, sizeof(p), "%s/hs-%016x.cache", dir, i);
		assert_int_equal(access(p, F_OK), -1);
	}
	snprintf(p, sizeof(p), "%s/hs-%016x.cache", dir, 69);
	assert_int_equal(access(p, F_OK), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(written_then_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_list_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_files_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(off_and_unwritable, setup, teardown),
		cmocka_unit_test_setup_teardown(compile_error_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(old_files_pruned, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

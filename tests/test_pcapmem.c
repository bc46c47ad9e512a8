/*
 * test_pcapmem.c — the sensor's own classic pcap reader (packet/pcapmem.h, the chunked file
 * source) reads every file as libpcap does.
 *
 *   - a generated capture of several MiB (records across every 1 MiB chunk boundary): the
 *     same frames (time, lengths, bytes) and link type as libpcap, frame by frame;
 *   - the same capture byte-swapped, with nanosecond times, with a small snap length (frames
 *     cut as libpcap cuts them), as LINKTYPE_RAW (reported as DLT_RAW, 12);
 *   - cut at many offsets (inside the file header, a record header, a frame): an error or
 *     the end at the same frame as libpcap; a captured length over 256 KiB is an error;
 *   - pcapng, other link types and other versions are left to libpcap;
 *   - block() gives the same frames, in blocks of whole records, each block holding nothing
 *     but its frames' bytes (all of the above is also read through it, with small blocks);
 *   - rule 1: once the caller has cleared each frame, the source's buffer holds none of the
 *     capture's planted "SECRET-" bytes at the end (and does hold them if frames are not
 *     cleared): refills clear the stale copy of the bytes they move.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "geo/geo.h"
#include "packet/gen.h"
#include "packet/pcapmem.h"
#include "packet/source.h"

#define NPACKETS 20000

static char dir[256], cap_path[300];
static uint8_t *cap;        /* the generated capture's bytes */
static size_t cap_len;

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	rewind(f);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static const char *write_tmp(const char *name, const uint8_t *b, size_t len)
{
	static char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	return path;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Blocks of a source read with block(): small ones (many per file), and alternately few
 * and many frames a call, so that both limits end blocks. */
#define BLK_CAP (SOURCE_BLOCK_MIN + 4096u)
#define BLK_MAXN 5000u

struct blocks {
	struct source *s;
	uint8_t *buf, *check;
	struct frame fr[BLK_MAXN];
	size_t n, next;
	unsigned calls;
	enum src_status st;
};

/* The next frame of the block reader, reading a block when one is used up. Each block must
 * hold nothing but its frames' bytes (rule 1): all else in the buffer is zero. */
static enum src_status blocks_next(struct blocks *k, struct frame *f)
{
	if (k->next == k->n) {
		if (k->st != SRC_FRAME)
			return k->st;
		memset(k->buf, 0xa5, BLK_CAP);
		k->st = source_block(k->s, k->buf, BLK_CAP, k->fr, k->calls++ % 2 ? 3 : BLK_MAXN, &k->n);
		k->next = 0;
		assert_true(k->st == SRC_FRAME ? k->n > 0 : k->n == 0);
		memcpy(k->check, k->buf, BLK_CAP);
		for (size_t i = 0; i < k->n; i++)
			memset(k->check + (k->fr[i].data - k->buf), 0, k->fr[i].caplen);
		for (size_t i = 0; i < BLK_CAP; i++)
			if (k->check[i] != 0 && k->check[i] != 0xa5)
				fail_msg("byte %zu of a block is neither a frame's nor cleared", i);
		for (size_t i = 0; i < BLK_CAP && k->n; i++)   /* what was read, was cleared */
			if (k->check[i] == 0xa5 && i < (size_t)(k->fr[k->n - 1].data - k->buf))
				fail_msg("byte %zu before the last frame was not read over", i);
		if (k->st != SRC_FRAME)
			return k->st;
	}
	*f = k->fr[k->next++];
	return SRC_FRAME;
}

/* Read path three ways (chunks, blocks, libpcap); every frame and the way each ends must
 * agree. Returns the frames. */
static uint64_t same_as_libpcap(const char *path, const char *want_ops)
{
	char e1[256], e2[256];
	struct source *a = source_open_file(path, e1, sizeof(e1));
	struct source *b = source_open_libpcap(path, e2, sizeof(e2));
	struct blocks k = { .st = SRC_FRAME };
	uint64_t n = 0;

	assert_true((a == NULL) == (b == NULL));
	if (!a)
		return 0;
	assert_string_equal(a->ops->name, want_ops);
	assert_string_equal(b->ops->name, "pcap");
	assert_int_equal(source_linktype(a), source_linktype(b));
	assert_true(source_can_block(a) == (strcmp(want_ops, "pcap-chunks") == 0));
	if (source_can_block(a)) {
		k.s = source_open_file(path, e1, sizeof(e1));
		k.buf = malloc(BLK_CAP);
		k.check = malloc(BLK_CAP);
		assert_non_null(k.s);
		assert_non_null(k.buf);
		assert_non_null(k.check);
	}
	for (;;) {
		struct frame fa, fb, fk;
		enum src_status sa = source_next(a, &fa), sb = source_next(b, &fb);

		assert_int_equal(sa, sb);
		if (k.s) {
			assert_int_equal(blocks_next(&k, &fk), sa);
			if (sa == SRC_ERROR)
				assert_string_equal(source_error(k.s), source_error(a));
		}
		if (sa != SRC_FRAME)
			break;
		assert_int_equal(fa.ts_us, fb.ts_us);
		assert_int_equal(fa.caplen, fb.caplen);
		assert_int_equal(fa.wirelen, fb.wirelen);
		assert_memory_equal(fa.data, fb.data, fa.caplen);
		if (k.s) {
			assert_int_equal(fk.ts_us, fb.ts_us);
			assert_int_equal(fk.caplen, fb.caplen);
			assert_int_equal(fk.wirelen, fb.wirelen);
			assert_memory_equal(fk.data, fb.data, fk.caplen);
		}
		n++;
	}
	if (k.s)   /* an end or an error stays so */
		assert_int_equal(source_block(k.s, k.buf, BLK_CAP, k.fr, BLK_MAXN, &k.n), k.st);
	source_close(k.s);
	free(k.buf);
	free(k.check);
	source_close(a);
	source_close(b);
	return n;
}

static void test_same_frames(void **state)
{
	assert_int_equal(same_as_libpcap(cap_path, "pcap-chunks"), NPACKETS);
	assert_true(cap_len > 3 * (1u << 20));   /* several chunks */
}

static void test_swapped_and_nsec(void **state)
{
	uint8_t *b = malloc(cap_len), *c = malloc(cap_len);
	size_t off;

	assert_non_null(b);
	assert_non_null(c);
	memcpy(b, cap, cap_len);
	memcpy(c, cap, cap_len);
	/* b: every header field byte-swapped; c: nanosecond magic and times */
	put32(b, __builtin_bswap32(get32(b)));
	b[4] = 0, b[5] = 2, b[6] = 0, b[7] = 4;
	for (off = 8; off < 24; off += 4)
		put32(b + off, __builtin_bswap32(get32(b + off)));
	put32(c, 0xa1b23c4d);
	for (off = 24; off + 16 <= cap_len; off += 16 + get32(cap + off + 8)) {
		for (size_t k = 0; k < 16; k += 4)
			put32(b + off + k, __builtin_bswap32(get32(cap + off + k)));
		put32(c + off + 4, get32(cap + off + 4) * 1000u + 999u);
	}
	assert_int_equal(same_as_libpcap(write_tmp("swapped.pcap", b, cap_len), "pcap-chunks"), NPACKETS);
	assert_int_equal(same_as_libpcap(write_tmp("nsec.pcap", c, cap_len), "pcap-chunks"), NPACKETS);
	free(b);
	free(c);
}

static void test_snaplen_and_linktypes(void **state)
{
	uint8_t *b = malloc(cap_len);

	assert_non_null(b);
	memcpy(b, cap, cap_len);
	put32(b + 16, 96);         /* frames longer than 96 bytes are cut to 96 */
	assert_int_equal(same_as_libpcap(write_tmp("snap.pcap", b, cap_len), "pcap-chunks"), NPACKETS);
	put32(b + 16, 0);          /* 0: the maximum */
	assert_int_equal(same_as_libpcap(write_tmp("snap0.pcap", b, cap_len), "pcap-chunks"), NPACKETS);
	put32(b + 20, 101);        /* LINKTYPE_RAW: libpcap says DLT_RAW (12) */
	const char *raw = write_tmp("raw.pcap", b, cap_len);
	assert_int_equal(same_as_libpcap(raw, "pcap-chunks"), NPACKETS);
	char err[256];
	struct source *s = source_open_file(raw, err, sizeof(err));
	assert_int_equal(source_linktype(s), 12);
	source_close(s);
	put32(b + 20, 147);        /* a user link type: libpcap's to read */
	assert_int_equal(same_as_libpcap(write_tmp("user.pcap", b, cap_len), "pcap"), NPACKETS);
	put32(b + 20, 1 | 0x04000000u);   /* FCS bits: libpcap's */
	assert_int_equal(same_as_libpcap(write_tmp("fcs.pcap", b, cap_len), "pcap"), NPACKETS);
	put32(b + 20, 1);
	b[6] = 3;                  /* version 2.3: libpcap's */
	assert_int_equal(same_as_libpcap(write_tmp("v23.pcap", b, cap_len), "pcap"), NPACKETS);
	free(b);
}

static void test_pcapng_to_libpcap(void **state)
{
	/* a minimal pcapng: a section header block and an interface description block */
	static const uint8_t ng[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 4, 0, 20, 0, 0, 0,
	};
	assert_int_equal(same_as_libpcap(write_tmp("ng.pcapng", ng, sizeof(ng)), "pcap"), 0);
}

static void test_cut_anywhere(void **state)
{
	/* the first records of the capture, cut at every offset up to ~3 records, then a few
	 * offsets deep into the file */
	size_t first3 = 24;
	for (int i = 0; i < 3; i++)
		first3 += 16 + get32(cap + first3 + 8);
	for (size_t cut = 0; cut <= first3 + 1; cut++)
		same_as_libpcap(write_tmp("cut.pcap", cap, cut), cut < 24 ? "pcap" : "pcap-chunks");
	for (size_t cut = (1u << 20) - 7; cut < cap_len; cut += 999983)
		same_as_libpcap(write_tmp("cut.pcap", cap, cut), "pcap-chunks");
}

static void test_caplen_too_large(void **state)
{
	uint8_t *b = malloc(cap_len);
	char err[256];
	struct frame f;

	assert_non_null(b);
	memcpy(b, cap, cap_len);
	put32(b + 24 + 8, 262145);
	const char *p = write_tmp("big.pcap", b, cap_len);
	assert_int_equal(same_as_libpcap(p, "pcap-chunks"), 0);
	struct source *s = source_open_file(p, err, sizeof(err));
	assert_int_equal(source_next(s, &f), SRC_ERROR);
	assert_non_null(strstr(source_error(s), "invalid packet capture length 262145"));
	source_close(s);
	free(b);
}

/* Blocks: the frames of several blocks in a row, as chunks give them (same_as_libpcap checks
 * every frame and the clearing); a stream has no block reader. */
static void test_blocks(void **state)
{
	char err[256];
	struct source *s = source_open_file(cap_path, err, sizeof(err));
	uint8_t *buf = malloc(BLK_CAP);
	static struct frame fr[BLK_MAXN];
	size_t n, total = 0, calls = 0;

	assert_non_null(s);
	assert_non_null(buf);
	while (source_block(s, buf, BLK_CAP, fr, BLK_MAXN, &n) == SRC_FRAME) {
		total += n;
		calls++;
	}
	assert_int_equal(total, NPACKETS);
	assert_true(calls > 10);                 /* many blocks, records across their ends */
	source_close(s);
	free(buf);
	FILE *keep = freopen(cap_path, "rb", stdin);
	assert_non_null(keep);
	struct source *in = source_open_file("-", err, sizeof(err));
	assert_non_null(in);
	assert_false(source_can_block(in));
	source_close(in);
}

static void test_rule1_buffer_cleared(void **state)
{
	char err[256];
	struct frame f;
	uint64_t with_secret = 0;

	/* frames cleared by the caller, as pl_run_source does: nothing left in the buffer */
	struct source *s = source_open_file(cap_path, err, sizeof(err));
	assert_non_null(s);
	while (source_next(s, &f) == SRC_FRAME) {
		if (memmem(f.data, f.caplen, "SECRET-", 7))
			with_secret++;
		memset((void *)f.data, 0, f.caplen);
	}
	assert_true(with_secret > 50);
	/* (while reading, the bytes read ahead are in the buffer: only frames not yet handed
	 * out, as in any reader's buffer; at the end there are none) */
	assert_false(source_holds(s, "SECRET-", 7));
	source_close(s);

	/* the check can fail: frames left as they are stay in the buffer */
	s = source_open_file(cap_path, err, sizeof(err));
	bool seen = false;
	while (source_next(s, &f) == SRC_FRAME)
		seen = seen || source_holds(s, "SECRET-", 7);
	assert_true(seen);
	source_close(s);
}

static int setup(void **state)
{
	char err[256];
	const char *tmp = getenv("TMPDIR");
	struct geo *geo;

	snprintf(dir, sizeof(dir), "%s/sakimori-pcapmem-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	if (!mkdtemp(dir))
		return -1;
	snprintf(cap_path, sizeof(cap_path), "%s/cap.pcap", dir);
	geo = geo_open(NULL, err, sizeof(err));
	if (!geo) {
		fprintf(stderr, "geo_open: %s\n", err);
		return -1;
	}
	struct gen_opts o = { .seed = 23, .packets = NPACKETS, .out_path = cap_path, .geo = geo };
	if (gen_run(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "gen_run: %s\n", err);
		return -1;
	}
	geo_close(geo);
	cap = read_all(cap_path, &cap_len);
	return 0;
}

static int teardown(void **state)
{
	static const char *const names[] = { "cap.pcap", "swapped.pcap", "nsec.pcap", "snap.pcap",
		"snap0.pcap", "raw.pcap", "user.pcap", "fcs.pcap", "v23.pcap", "ng.pcapng", "cut.pcap",
		"big.pcap" };
	char path[400];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	free(cap);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_frames),
		cmocka_unit_test(test_swapped_and_nsec),
		cmocka_unit_test(test_snaplen_and_linktypes),
		cmocka_unit_test(test_pcapng_to_libpcap),
		cmocka_unit_test(test_cut_anywhere),
		cmocka_unit_test(test_caplen_too_large),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_rule1_buffer_cleared),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

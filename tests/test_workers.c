/*
 * test_workers.c — the sensor on N workers (select/workers.h) gives what one worker gives.
 *
 *   - on a generated capture (gen_run: DNS, TLS, HTTP, SMTP sessions, fragments, scans, in
 *     all directions, some QinQ) the SET of records with 2, 3 and 4 workers equals that of one
 *     pipeline, and the summed stats (per direction, selected, discarded, decode errors, meta
 *     counts, per selector) are equal: every packet that could belong to one flow reaches one
 *     worker; every record arrives as one whole JSON line;
 *   - a reload at frame k splits the same records as one pipeline's reload after frame k, and
 *     the hook learns that k packets came before it; survey mode sums the same;
 *   - both ways of reading a file: the workers sharing blocks of the classic pcap file (each
 *     block read once, its frames decoded once and grouped by owner), and one reader feeding
 *     the workers (a source that cannot be read in blocks);
 *   - rule 1: every frame the source handed out is wiped before the next one, and no batch
 *     slab nor shared block holds a byte of traffic after the run (the capture's planted
 *     "SECRET-" tokens);
 *   - frames that do not decode all go to worker 0 (real ARP request bytes);
 *   - a source that breaks mid-way: -1 with its reason, the counts so far, open flows emitted;
 *     source_stop_flag stops the reader at the next frame and every worker still finishes;
 *     the same with shared blocks (a file cut mid-frame; the flag set from the reload poll),
 *     and the blocks read ahead of a stop are cleared.
 * Addresses are classified with the installed location database (geo_open(NULL)).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/pseudo.h"
#include "geo/geo.h"
#include "packet/decode.h"
#include "packet/gen.h"
#include "packet/source.h"
#include "select/pipeline.h"
#include "select/rules.h"
#include "select/workers.h"

#define NPACKETS 30000

static const char sel_text[] =
	"approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z\n"
	"approval T1 channel=transit from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z\n"
	"select a-http approval=A1 port=tcp/80\n"
	"select a-dns approval=A1 port=udp/53\n"
	"select a-smtp approval=A1 port=tcp/25\n"
	"select a-telnet approval=A1 port=tcp/23\n"
	"select a-gamezone approval=A1 domain=.gamezone.kr\n"
	"select t-tls approval=T1 port=tcp/443\n"
	"select t-ua approval=T1 match=http.user_agent~/python-requests/\n";

/* the reloaded set: a-http gone, TLS into Japan added */
static const char sel_text2[] =
	"approval A1 channel=agreement from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z\n"
	"approval T1 channel=transit from=2026-01-01T00:00:00Z until=2027-01-01T00:00:00Z\n"
	"select a-dns approval=A1 port=udp/53\n"
	"select a-tls approval=A1 port=tcp/443\n"
	"select t-tls approval=T1 port=tcp/443\n";

/* An ARP request (who-has 192.168.1.1 tell 192.168.1.100), as a host sends it, padded. */
static const uint8_t arp_request[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
	0xc0, 0xa8, 0x01, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01,
};

static struct geo *geo;
static struct pseudo key;
static char cap_path[256];

/* --- records ------------------------------------------------------------------------------- */

struct recs {
	char **line;
	size_t n, cap;
	size_t not_json;
};

static void collect(void *ctx, const char *line, size_t len)
{
	struct recs *r = ctx;
	json_error_t e;
	json_t *j = json_loadb(line, len, 0, &e);

	if (!j || !json_is_object(j))
		r->not_json++;
	json_decref(j);
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 256;
		r->line = realloc(r->line, r->cap * sizeof(*r->line));
		assert_non_null(r->line);
	}
	r->line[r->n] = strndup(line, len);
	assert_non_null(r->line[r->n]);
	r->n++;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void recs_free(struct recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->line[i]);
	free(r->line);
	memset(r, 0, sizeof(*r));
}

/* The same multiset of lines (order of emission may differ). */
static void assert_same_records(struct recs *a, struct recs *b)
{
	assert_int_equal(a->not_json, 0);
	assert_int_equal(b->not_json, 0);
	assert_int_equal(a->n, b->n);
	qsort(a->line, a->n, sizeof(*a->line), cmp_str);
	qsort(b->line, b->n, sizeof(*b->line), cmp_str);
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->line[i], b->line[i]))
			fail_msg("record %zu differs:\n  %s\n  %s", i, a->line[i], b->line[i]);
}

/* The stats document without its "workers" key, keys sorted, compact. */
static char *stats_doc(const struct pipeline *const *pls, size_t n)
{
	char *buf = NULL, *out;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_error_t e;

	assert_non_null(f);
	assert_int_equal(pl_write_stats_n(pls, n, f), 0);
	fclose(f);
	json_t *j = json_loads(buf, 0, &e);
	assert_non_null(j);
	assert_true(json_integer_value(json_object_get(j, "workers")) == (json_int_t)n);
	json_object_del(j, "workers");
	out = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	free(buf);
	return out;
}

static void sum_stats(const struct pipeline *const *pls, size_t n, struct pl_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < n; i++)
		pl_stats_add(sum, pl_stats(pls[i]));
}

static struct sel_set *parse(const char *text)
{
	char err[256] = "";
	struct sel_set *s = sel_parse("workers.conf", text, strlen(text), NULL, 0, err, sizeof(err));

	if (!s)
		fail_msg("selector text refused: %s", err);
	return s;
}

/* --- a source that wraps another: checks each frame was wiped, can break or stop -------------- */

struct wrap {
	struct source base;
	struct source *inner;
	uint8_t buf[65536];
	uint32_t last_len;
	uint64_t n, fail_at, stop_at;
	unsigned not_wiped, with_secret;
	const uint8_t *frames;     /* instead of inner: nframes copies of one frame */
	size_t frame_len, nframes;
};

static enum src_status wrap_next(struct source *s, struct frame *f)
{
	struct wrap *w = (struct wrap *)s;
	enum src_status st;

	for (uint32_t i = 0; i < w->last_len; i++)
		if (w->buf[i]) {
			w->not_wiped++;
			break;
		}
	w->last_len = 0;
	if (w->fail_at && w->n == w->fail_at) {
		snprintf(w->base.error, sizeof(w->base.error), "broken at frame %llu",
			 (unsigned long long)w->n);
		return SRC_ERROR;
	}
	if (w->frames) {
		if (w->n == w->nframes)
			return SRC_END;
		memcpy(w->buf, w->frames, w->frame_len);
		f->ts_us = GEN_DEFAULT_START_US + w->n;
		f->caplen = f->wirelen = (uint32_t)w->frame_len;
	} else {
		st = source_next(w->inner, f);
		if (st != SRC_FRAME)
			return st;
		assert_true(f->caplen <= sizeof(w->buf));
		memcpy(w->buf, f->data, f->caplen);
		memset((void *)f->data, 0, f->caplen);
		if (memmem(w->buf, f->caplen, "SECRET-", 7))
			w->with_secret++;
	}
	f->data = w->buf;
	w->last_len = f->caplen;
	if (++w->n == w->stop_at)
		source_stop_flag = 1;
	return SRC_FRAME;
}

static int wrap_linktype(struct source *s)
{
	struct wrap *w = (struct wrap *)s;
	return w->inner ? source_linktype(w->inner) : LINK_ETHERNET;
}

static void wrap_close(struct source *s)
{
	struct wrap *w = (struct wrap *)s;
	source_close(w->inner);
	free(w);
}

static const struct source_ops wrap_ops = {
	.name = "wrap", .next = wrap_next, .linktype = wrap_linktype, .close = wrap_close,
};

static struct wrap *wrap_open(void)
{
	char err[256];
	struct wrap *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->base.ops = &wrap_ops;
	w->inner = source_open_file(cap_path, err, sizeof(err));
	if (!w->inner)
		fail_msg("%s", err);
	return w;
}

/* --- runs ---------------------------------------------------------------------------------- */

struct result {
	struct recs recs;
	char *stats;
	struct pl_stats sum;
	uint64_t reloaded_at;       /* pool: packets before the reload, from the hook */
	unsigned reloaded;
};

/* One pipeline, pl_run_source, the way `sensor -w 1` runs. reload_after: frame count after
 * which sel_text2 is swapped in (0: never). */
struct one_ctx {
	struct pipeline *pl;
	uint64_t calls, reload_after;
	struct sel_set *next;
};

static void one_between(void *ctx)
{
	struct one_ctx *c = ctx;

	if (c->reload_after && ++c->calls == c->reload_after) {
		c->next = parse(sel_text2);
		assert_int_equal(pl_reload(c->pl, c->next), 0);
	}
}

static void run_one(const char *text, uint64_t reload_after, struct result *res)
{
	char err[256];
	struct source *src = source_open_file(cap_path, err, sizeof(err));
	struct sel_set *sel = text ? parse(text) : NULL;
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = sel, .emit = collect,
				 .emit_ctx = &res->recs };
	struct one_ctx c = { .reload_after = reload_after };

	assert_non_null(src);
	c.pl = pl_new(&cfg);
	assert_non_null(c.pl);
	assert_int_equal(pl_run_source(c.pl, src, one_between, &c), 0);
	const struct pipeline *pls[1] = { c.pl };
	res->stats = stats_doc(pls, 1);
	sum_stats(pls, 1, &res->sum);
	pl_free(c.pl);
	source_close(src);
	sel_set_free(sel);
	sel_set_free(c.next);
}

struct hook_ctx {
	uint64_t calls, reload_after;
	struct result *res;
};

static struct sel_set *hook_reload(void *ctx)
{
	struct hook_ctx *h = ctx;

	if (h->reload_after && ++h->calls == h->reload_after)
		return parse(sel_text2);
	return NULL;
}

static void hook_reloaded(void *ctx, const struct sel_set *s, uint64_t packets)
{
	struct hook_ctx *h = ctx;

	h->res->reloaded++;
	h->res->reloaded_at = packets;
	assert_int_equal(sel_count(s), 3);
}

/* Frames per shared block in run_pool (0: the default): a few, so that the ring of blocks
 * wraps hundreds of times and workers wait on each other often. */
static size_t small_blocks;

/* n workers on the capture (through src if given, else the file). Returns wk_run_file's. */
static int run_pool(unsigned n, const char *text, uint64_t reload_after, struct source *src,
		    struct result *res, bool check_slabs)
{
	char err[256];
	struct hook_ctx h = { .reload_after = reload_after, .res = res };
	struct wk_hooks hooks = { hook_reload, hook_reloaded, &h };
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = text ? parse(text) : NULL,
				 .emit = collect, .emit_ctx = &res->recs };
	struct wk_pool *wp = wk_new(&cfg, n, &hooks);
	const struct pipeline *const *pls;
	size_t npl;
	int rc;

	assert_non_null(wp);
	if (small_blocks)
		assert_int_equal(wk_set_blocks(wp, SOURCE_BLOCK_MIN + 1, small_blocks), 0);
	if (!src)
		src = source_open_file(cap_path, err, sizeof(err));
	assert_non_null(src);
	rc = wk_run_file(wp, src);
	pls = wk_pipelines(wp, &npl);
	assert_int_equal(npl, n);
	res->stats = stats_doc(pls, npl);
	sum_stats(pls, npl, &res->sum);
	if (check_slabs)
		assert_false(wk_holds(wp, "SECRET-", 7));
	source_close(src);
	wk_free(wp);
	return rc;
}

static void result_free(struct result *r)
{
	recs_free(&r->recs);
	free(r->stats);
}

/* The figures the brief names, one by one (the JSON comparison covers them too). */
static void assert_same_sums(const struct pl_stats *a, const struct pl_stats *b)
{
	assert_int_equal(a->pk.packets, b->pk.packets);
	assert_int_equal(a->pk.bytes, b->pk.bytes);
	assert_int_equal(a->pk.decoded, b->pk.decoded);
	for (int i = 0; i < PKT_ERR__COUNT; i++)
		assert_int_equal(a->pk.err[i], b->pk.err[i]);
	for (int d = 0; d < DIR__COUNT; d++) {
		assert_int_equal(a->dir_packets[d], b->dir_packets[d]);
		assert_int_equal(a->dir_bytes[d], b->dir_bytes[d]);
		assert_int_equal(a->dir_selected[d], b->dir_selected[d]);
	}
	assert_int_equal(a->eligible, b->eligible);
	assert_int_equal(a->selected, b->selected);
	assert_int_equal(a->discarded, b->discarded);
	assert_int_equal(a->selected_bytes, b->selected_bytes);
	/* Meta counts, all equal but one: a TCP stream idle past the timeout is released (and
	 * counted as timed out) when a later packet reaches its engine. With workers only the
	 * stream's own worker's packets move that clock, so a stream idle at the end of its
	 * worker's share is flushed at the end instead: b (workers) counts no more than a. */
	struct meta_counts ma = a->meta, mb = b->meta;
	assert_true(mb.streams_timed_out <= ma.streams_timed_out);
	ma.streams_timed_out = mb.streams_timed_out = 0;
	assert_memory_equal(&ma, &mb, sizeof(ma));
	assert_int_equal(a->tls_with_sni, b->tls_with_sni);
	assert_int_equal(a->http_with_ua, b->http_with_ua);
	assert_int_equal(a->ts_first_us, b->ts_first_us);
	assert_int_equal(a->ts_last_us, b->ts_last_us);
}

/* --- tests --------------------------------------------------------------------------------- */

static void test_workers_equal_one(void **state)
{
	struct result one = { 0 };
	static const unsigned ns[] = { 2, 3, 4 };

	run_one(sel_text, 0, &one);
	assert_int_equal(one.sum.pk.packets, NPACKETS);
	assert_true(one.recs.n > 200);          /* a capture that selects plenty */
	assert_true(one.sum.meta.dns > 0 && one.sum.meta.tls > 0 && one.sum.meta.http > 0 &&
		    one.sum.meta.smtp_cmds > 0 && one.sum.meta.fragments > 0);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		for (int reader = 0; reader <= 1; reader++) {   /* shared blocks; one reader feeds */
			struct result many = { 0 };
			struct source *src = reader ? &wrap_open()->base : NULL;
			assert_int_equal(run_pool(ns[i], sel_text, 0, src, &many, true), 0);
			assert_same_sums(&one.sum, &many.sum);
			assert_string_equal(one.stats, many.stats);
			assert_same_records(&one.recs, &many.recs);
			result_free(&many);
		}
	}
	result_free(&one);
}

/* Small shared blocks: the ring wraps hundreds of times; the records, stats and a reload's
 * split are still those of one pipeline, run after run (a lost wake-up between a worker
 * waiting for a slot and another reading into it once hung such runs). */
static void test_workers_small_blocks(void **state)
{
	struct result one = { 0 }, one_rl = { 0 };

	run_one(sel_text, 0, &one);
	run_one(sel_text, 12000, &one_rl);
	for (int round = 0; round < 12; round++) {
		struct result many = { 0 };
		unsigned n = 2 + (unsigned)round % 3;

		small_blocks = 1 + (size_t)round % 5 * 7;   /* 1, 8, 15, 22, 29 frames a block */
		bool rl = round % 4 == 3;
		assert_int_equal(run_pool(n, sel_text, rl ? 12000 : 0, NULL, &many, true), 0);
		small_blocks = 0;
		struct result *want = rl ? &one_rl : &one;
		assert_same_sums(&want->sum, &many.sum);
		assert_string_equal(want->stats, many.stats);
		assert_same_records(&want->recs, &many.recs);
		if (rl)
			assert_int_equal(many.reloaded_at, 12000);
		result_free(&many);
	}
	result_free(&one);
	result_free(&one_rl);
}

static void test_workers_spread(void **state)
{
	struct result res = { 0 };
	char err[256];
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 4, NULL);
	const struct pipeline *const *pls;
	size_t n;

	assert_non_null(wp);
	struct source *src = source_open_file(cap_path, err, sizeof(err));
	assert_non_null(src);
	assert_int_equal(wk_run_file(wp, src), 0);
	pls = wk_pipelines(wp, &n);
	assert_int_equal(wk_packets(wp), NPACKETS);
	for (size_t i = 0; i < n; i++)      /* each worker had a real share of the flows */
		assert_true(pl_stats(pls[i])->pk.packets > NPACKETS / 10);
	source_close(src);
	wk_free(wp);
	result_free(&res);
}

static void test_workers_reload_same_split(void **state)
{
	struct result one = { 0 };

	run_one(sel_text, 12000, &one);
	for (int reader = 0; reader <= 1; reader++) {
		struct result many = { 0 };
		struct source *src = reader ? &wrap_open()->base : NULL;
		assert_int_equal(run_pool(4, sel_text, 12000, src, &many, true), 0);
		assert_int_equal(many.reloaded, 1);
		assert_int_equal(many.reloaded_at, 12000);
		assert_non_null(strstr(many.stats, "\"reloads\":1"));
		assert_non_null(strstr(many.stats, "\"a-tls\""));
		assert_null(strstr(many.stats, "\"a-http\""));
		assert_same_sums(&one.sum, &many.sum);
		assert_string_equal(one.stats, many.stats);
		assert_same_records(&one.recs, &many.recs);
		result_free(&many);
	}
	result_free(&one);
}

/* A reload found at the very end of the input is still taken up by every worker. */
static void test_workers_reload_at_end(void **state)
{
	struct result many = { 0 };

	assert_int_equal(run_pool(3, sel_text, NPACKETS, NULL, &many, true), 0);
	assert_int_equal(many.reloaded, 1);
	assert_int_equal(many.reloaded_at, NPACKETS);
	assert_non_null(strstr(many.stats, "\"reloads\":1"));
	result_free(&many);
}

static void test_workers_survey_equal(void **state)
{
	struct result one = { 0 }, many = { 0 };

	run_one(NULL, 0, &one);
	assert_int_equal(run_pool(3, NULL, 0, NULL, &many, true), 0);
	assert_int_equal(many.recs.n, 0);
	assert_same_sums(&one.sum, &many.sum);
	assert_string_equal(one.stats, many.stats);
	result_free(&one);
	result_free(&many);
}

static void test_workers_wipe(void **state)
{
	struct result res = { 0 };

	struct wrap *w2 = wrap_open();
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 4, NULL);
	assert_non_null(wp);
	assert_int_equal(wk_run_file(wp, &w2->base), 0);
	assert_int_equal(w2->n, NPACKETS);
	assert_true(w2->with_secret > 100);        /* the capture carries planted secrets ... */
	assert_int_equal(w2->not_wiped, 0);       /* ... each frame was wiped after its copy */
	assert_false(wk_holds(wp, "SECRET-", 7)); /* ... and no slab holds one */
	assert_true(res.recs.n > 0);
	for (size_t i = 0; i < res.recs.n; i++)
		assert_null(strstr(res.recs.line[i], "SECRET-"));
	wk_free(wp);
	source_close(&w2->base);
	result_free(&res);
}

static void test_workers_undecodable_to_zero(void **state)
{
	struct result res = { 0 };
	struct wrap *w = calloc(1, sizeof(*w));
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 4, NULL);
	const struct pipeline *const *pls;
	size_t n;

	assert_non_null(w);
	assert_non_null(wp);
	w->base.ops = &wrap_ops;
	w->frames = arp_request;
	w->frame_len = sizeof(arp_request);
	w->nframes = 1000;
	assert_int_equal(wk_run_file(wp, &w->base), 0);
	assert_int_equal(w->not_wiped, 0);
	pls = wk_pipelines(wp, &n);
	assert_int_equal(pl_stats(pls[0])->pk.err[PKT_ERR_NOT_IP], 1000);
	assert_int_equal(pl_stats(pls[0])->discarded, 1000);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(pl_stats(pls[i])->pk.packets, 0);
	assert_int_equal(res.recs.n, 0);
	wk_free(wp);
	source_close(&w->base);
	result_free(&res);
}

static void test_workers_source_breaks(void **state)
{
	struct result res = { 0 };
	struct wrap *w = wrap_open();
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 3, NULL);
	const struct pipeline *const *pls;
	struct pl_stats sum;
	size_t n;

	assert_non_null(wp);
	w->fail_at = 5000;
	assert_int_equal(wk_run_file(wp, &w->base), -1);
	assert_string_equal(wk_error(wp), "broken at frame 5000");
	assert_int_equal(wk_packets(wp), 5000);
	pls = wk_pipelines(wp, &n);
	sum_stats(pls, n, &sum);
	assert_true(sum.selected > 0);
	assert_true(res.recs.n > 0);               /* the open flows were emitted */
	assert_int_equal(res.recs.not_json, 0);
	wk_free(wp);
	source_close(&w->base);
	result_free(&res);
}

static void test_workers_stop_flag(void **state)
{
	struct result res = { 0 };
	struct wrap *w = wrap_open();
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 2, NULL);

	assert_non_null(wp);
	w->stop_at = 3000;
	assert_int_equal(wk_run_file(wp, &w->base), 0);
	source_stop_flag = 0;
	assert_int_equal(wk_packets(wp), 3000);
	assert_true(res.recs.n > 0);
	assert_int_equal(w->not_wiped, 0);
	wk_free(wp);
	source_close(&w->base);
	result_free(&res);
}

/* Shared blocks: the stop flag (set here from the reload poll, as a signal would set it)
 * ends the input after that frame and stops every worker at its next frame; each emits its
 * open flows. */
static struct sel_set *stop_at_3000(void *ctx)
{
	uint64_t *calls = ctx;

	if (++*calls == 3000)
		source_stop_flag = 1;
	return NULL;
}

static void test_workers_stop_flag_shared(void **state)
{
	struct result res = { 0 };
	char err[256];
	uint64_t calls = 0;
	struct wk_hooks hooks = { .reload = stop_at_3000, .ctx = &calls };
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 3, &hooks);
	struct source *src = source_open_file(cap_path, err, sizeof(err));

	assert_non_null(wp);
	assert_non_null(src);
	assert_true(source_can_block(src));        /* the shared-block path */
	assert_int_equal(wk_run_file(wp, src), 0);
	source_stop_flag = 0;
	assert_int_equal(calls, 3001);             /* no frame after the 3000th; one last poll */
	/* the workers took what they had reached of the first 3000 frames, never more (how
	 * much depends on how far each had come when the flag was set) */
	assert_true(wk_packets(wp) <= 3000);
	assert_int_equal(res.recs.not_json, 0);
	assert_false(wk_holds(wp, "SECRET-", 7));   /* blocks read ahead of the stop: cleared */
	source_close(src);
	wk_free(wp);
	result_free(&res);
}

/* Shared blocks of a file cut mid-frame: -1 with the reader's reason, every frame before the
 * cut counted once, open flows emitted. */
static void test_workers_truncated_shared(void **state)
{
	struct result res = { 0 };
	char err[256], cut_path[300];
	struct pl_config cfg = { .geo = geo, .key = &key, .sel = parse(sel_text), .emit = collect,
				 .emit_ctx = &res.recs };
	struct wk_pool *wp = wk_new(&cfg, 2, NULL);
	FILE *in = fopen(cap_path, "rb"), *out;
	static uint8_t buf[1 << 16];
	size_t left = 5000000, n;   /* bytes kept: a few MiB, then a frame cut short */

	snprintf(cut_path, sizeof(cut_path), "%s.cut", cap_path);
	out = fopen(cut_path, "wb");
	assert_non_null(in);
	assert_non_null(out);
	while (left && (n = fread(buf, 1, left < sizeof(buf) ? left : sizeof(buf), in)) > 0) {
		assert_int_equal(fwrite(buf, 1, n, out), n);
		left -= n;
	}
	fclose(in);
	fclose(out);
	struct source *src = source_open_file(cut_path, err, sizeof(err));
	struct source *ref = source_open_libpcap(cut_path, err, sizeof(err));
	struct frame f;
	uint64_t frames = 0;
	assert_non_null(src);
	assert_non_null(ref);
	while (source_next(ref, &f) == SRC_FRAME)
		frames++;
	assert_int_equal(wk_run_file(wp, src), -1);
	assert_non_null(strstr(wk_error(wp), "truncated dump file"));
	assert_int_equal(wk_packets(wp), frames);
	assert_true(res.recs.n > 0);
	source_close(ref);
	source_close(src);
	wk_free(wp);
	unlink(cut_path);
	result_free(&res);
}

static void test_stats_add_widens_times(void **state)
{
	struct pl_stats sum, a, b;

	memset(&sum, 0, sizeof(sum));
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.pk.packets = 2, a.ts_first_us = 200, a.ts_last_us = 900, a.meta.dns = 3, a.meta.buffer_refused = 1;
	b.pk.packets = 5, b.ts_first_us = 100, b.ts_last_us = 500, b.meta.dns = 4, b.meta.buffer_bytes = 7;
	pl_stats_add(&sum, &a);
	pl_stats_add(&sum, &b);
	pl_stats_add(&sum, &(struct pl_stats){ 0 });   /* a worker that saw nothing */
	assert_int_equal(sum.pk.packets, 7);
	assert_int_equal(sum.ts_first_us, 100);
	assert_int_equal(sum.ts_last_us, 900);
	assert_int_equal(sum.meta.dns, 7);
	assert_int_equal(sum.meta.buffer_refused, 1);
	assert_int_equal(sum.meta.buffer_bytes, 7);
}

static int setup(void **state)
{
	char err[256];
	uint8_t k[PSEUDO_KEYLEN];
	const char *tmp = getenv("TMPDIR");
	int fd;

	geo = geo_open(NULL, err, sizeof(err));
	if (!geo) {
		fprintf(stderr, "geo_open: %s\n", err);
		return -1;
	}
	memset(k, 0x42, sizeof(k));
	pseudo_init(&key, k);
	snprintf(cap_path, sizeof(cap_path), "%s/sakimori-workers-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	fd = mkstemp(cap_path);
	if (fd < 0)
		return -1;
	close(fd);
	struct gen_opts o = { .seed = 17, .packets = NPACKETS, .out_path = cap_path, .geo = geo };
	if (gen_run(&o, err, sizeof(err)) < 0) {
		fprintf(stderr, "gen_run: %s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	unlink(cap_path);
	pseudo_wipe(&key);
	geo_close(geo);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workers_equal_one),
		cmocka_unit_test(test_workers_spread),
		cmocka_unit_test(test_workers_small_blocks),
		cmocka_unit_test(test_workers_reload_same_split),
		cmocka_unit_test(test_workers_reload_at_end),
		cmocka_unit_test(test_workers_survey_equal),
		cmocka_unit_test(test_workers_wipe),
		cmocka_unit_test(test_workers_undecodable_to_zero),
		cmocka_unit_test(test_workers_source_breaks),
		cmocka_unit_test(test_workers_stop_flag),
		cmocka_unit_test(test_workers_stop_flag_shared),
		cmocka_unit_test(test_workers_truncated_shared),
		cmocka_unit_test(test_stats_add_widens_times),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

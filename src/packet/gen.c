/*
 * gen.c — the generator's run loop: sessions in, a time-ordered capture out.
 *
 * Simulated time starts at opts.start_us and the capture spans about
 * max(packets x 1 ms, min(15 min, packets x 60 ms)), so that even a small capture holds
 * several rounds of a 60-second beacon. Sessions arrive one after another; after a session of
 * n frames the next arrives a uniform 0 .. 2·n·(span/packets) later. Beacons arrive on their
 * own schedule (period ± jitter).
 *
 *   arrival ──▶ build whole session (gen_proto.c) into its arena, sort its frames by time
 *           ──▶ fits the remaining budget? ─ no ─▶ drop it, plant 1–2 frames of noise instead
 *           ──▶ admit: commit its truth, push it on the heap
 *   heap (min next-frame time, then admission order) ──▶ pcap_dump one frame at a time
 *
 * An arrival is admitted before any frame that is later than it, so the file is in
 * non-decreasing time order; a session's start is never earlier than the last frame written.
 * Budget: packets − written − frames still queued in live sessions; admitted sessions are
 * always written whole, so exactly opts.packets frames come out and the truth lists only what
 * is in the file.
 *
 * Bounds: at most MAX_ACTIVE live sessions (beyond that, frames are written before anything
 * new is admitted), each at most SESS_MAX_FRAMES frames and SESS_MAX_BYTES bytes.
 */
#include <errno.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packet/gen.h"
#include "packet/gen_int.h"

#define MAX_ACTIVE 65536

/* --- addresses ---------------------------------------------------------------------------- */

/*
 * Used only without a location database (opts.geo == NULL): real networks as the IPFire
 * database places them (JP: University of Tokyo, NTT, IIJ, KDDI; elsewhere: US, GB, RU, IE).
 */
struct fallback_net {
	const char *prefix;
	uint8_t cls;
};

static const struct fallback_net fallback_nets[] = {
	{ "133.11.0.0/16", GEO_DOMESTIC },  { "202.32.0.0/16", GEO_DOMESTIC },
	{ "210.130.0.0/16", GEO_DOMESTIC }, { "2001:240::/32", GEO_DOMESTIC },
	{ "2400:4050::/32", GEO_DOMESTIC }, { "8.8.8.0/24", GEO_FOREIGN },
	{ "81.2.64.0/18", GEO_FOREIGN },    { "77.88.8.0/24", GEO_FOREIGN },
	{ "185.199.108.0/24", GEO_FOREIGN }, { "2001:4860::/32", GEO_FOREIGN },
	{ "2a02:6b8::/32", GEO_FOREIGN },    { "2a00:1450::/32", GEO_FOREIGN },
};

/* Random host bits below plen (on the 16-byte form); IPv4 avoids .0 and .255. */
static void fill_host_bits(struct rng *r, struct sk_addr *a, unsigned plen)
{
	for (unsigned bit = plen; bit < 128; bit++)
		if (rng_next(r) >> 63)
			a->b[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
	if (addr_is_v4(a) && plen <= 120)
		a->b[15] = (uint8_t)rng_range(r, 1, 254);
}

static int fallback_sample(struct rng *r, int cls, int family, struct sk_addr *out)
{
	const struct fallback_net *pick[ARRAY_LEN(fallback_nets)];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_LEN(fallback_nets); i++) {
		bool v6 = strchr(fallback_nets[i].prefix, ':') != NULL;
		if (fallback_nets[i].cls == cls && v6 == (family == 6))
			pick[n++] = &fallback_nets[i];
	}
	if (!n)
		return -1;
	unsigned plen;
	if (addr_parse_prefix(out, &plen, pick[rng_below(r, n)]->prefix) < 0)
		return -1;
	fill_host_bits(r, out, plen);
	return 0;
}

static void private_addr(struct rng *r, int family, struct sk_addr *a)
{
	if (family == 6) {
		uint8_t b[16] = { 0xfd };
		for (int i = 1; i < 16; i++)
			b[i] = (uint8_t)rng_next(r);
		addr_from_v6(a, b);
		return;
	}
	uint32_t v;
	unsigned k = (unsigned)rng_below(r, 10);
	if (k < 6)
		v = 10u << 24 | (uint32_t)rng_below(r, 1u << 24);
	else if (k < 9)
		v = 192u << 24 | 168u << 16 | (uint32_t)rng_below(r, 1u << 16);
	else
	{
		uint32_t hi = (uint32_t)rng_range(r, 16, 31);   /* one draw per statement: */
		uint32_t lo = (uint32_t)rng_below(r, 1u << 16); /* C leaves operand order open */
		v = 172u << 24 | hi << 16 | lo;
	}
	v = (v & ~0xffu) | (uint32_t)rng_range(r, 1, 254);
	addr_from_v4(a, v);
}

static void sample_host(struct gen *g, int cls, int family, struct ghost *out)
{
	struct rng *r = &g->rng;

	out->cls = (uint8_t)cls;
	if (cls == GEO_UNKNOWN) {
		private_addr(r, family, &out->addr);
		return;
	}
	if (g->geo) {
		uint64_t idx = rng_next(r), pos = rng_next(r);
		if (geo_sample(g->geo, (enum geo_class)cls, family, idx, pos, &out->addr) == 0)
			return;
	}
	if (fallback_sample(r, cls, family, &out->addr) < 0)
		private_addr(r, family, &out->addr); /* cannot happen with the table above */
}

void gen_host(struct gen *g, int cls, int family, bool fresh, struct ghost *out)
{
	if (fresh || cls < 0 || cls > 2) {
		sample_host(g, cls, family, out);
		return;
	}
	/* product of two uniforms: low indices (popular hosts) come up more often */
	uint64_t u1 = rng_below(&g->rng, POOL_N);
	uint64_t u2 = rng_below(&g->rng, POOL_N);
	uint64_t i = u1 * u2 / POOL_N;
	*out = g->pool[cls][family == 6][i];
}

/* --- sessions ----------------------------------------------------------------------------- */

void gen_secret(struct gen *g, struct gsess *s, char out[20])
{
	static const char an[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	memcpy(out, "SECRET-", 7);
	for (int i = 0; i < 12; i++)
		out[7 + i] = an[rng_below(&g->rng, 62)];
	out[19] = '\0';
	sess_secret(g, s, out);
}

void sess_secret(struct gen *g, struct gsess *s, const char *text)
{
	if (!g->truth)
		return;
	if (!s->secrets)
		s->secrets = json_array();
	json_array_append_new(s->secrets, json_string(text));
}

void sess_truth(struct gsess *s, enum truth_cat cat, json_t *item)
{
	if (!item)
		return;
	if (s->ntruth >= SESS_MAX_TRUTH) {
		json_decref(item);
		s->overflow = true;
		return;
	}
	s->truth_cat[s->ntruth] = (uint8_t)cat;
	s->truth[s->ntruth++] = item;
}

uint8_t *sess_frame_begin(struct gsess *s, uint64_t ts)
{
	if (s->overflow)
		return NULL;
	if (s->nfr == s->cap_fr) {
		uint32_t nc = s->cap_fr ? s->cap_fr * 2 : 64;
		struct gframe *nf;
		if (nc > SESS_MAX_FRAMES || !(nf = realloc(s->fr, nc * sizeof(*s->fr)))) {
			s->overflow = true;
			return NULL;
		}
		s->fr = nf;
		s->cap_fr = nc;
	}
	if (s->cap - s->used < FRAME_MAX) {
		size_t nc = s->cap ? s->cap * 2 : 65536;
		uint8_t *nb;
		if (nc > SESS_MAX_BYTES || !(nb = realloc(s->buf, nc))) {
			s->overflow = true;
			return NULL;
		}
		s->buf = nb;
		s->cap = nc;
	}
	s->fr[s->nfr].ts = ts;
	s->fr[s->nfr].off = (uint32_t)s->used;
	return s->buf + s->used;
}

void sess_frame_end(struct gsess *s, uint32_t len, uint8_t dir)
{
	s->fr[s->nfr].len = len;
	s->fr[s->nfr].dir = dir;
	s->nfr++;
	s->used += len;
}

/* Forget what a session planted and built; keep its buffers for reuse. */
static void sess_reset(struct gsess *s)
{
	for (int i = 0; i < s->ntruth; i++)
		json_decref(s->truth[i]);
	json_decref(s->secrets);
	s->secrets = NULL;
	s->ntruth = 0;
	s->used = 0;
	s->nfr = s->next = 0;
	s->overflow = false;
	s->mirai_bot = s->beacon = -1;
	s->frag_datagrams = s->frag_frames = 0;
}

static void sess_free(struct gsess *s)
{
	if (!s)
		return;
	sess_reset(s);
	free(s->buf);
	free(s->fr);
	free(s);
}

/* Frames come mostly in order (delayed ACKs are the exception): a stable insertion sort. */
static void sess_sort(struct gsess *s)
{
	for (uint32_t i = 1; i < s->nfr; i++) {
		struct gframe x = s->fr[i];
		uint32_t j = i;
		while (j > 0 && s->fr[j - 1].ts > x.ts) {
			s->fr[j] = s->fr[j - 1];
			j--;
		}
		s->fr[j] = x;
	}
}

/* --- the heap of live sessions, ordered by (next frame time, admission order) ------------- */

struct heap {
	struct gsess **a; /* from malloc(), MAX_ACTIVE entries */
	size_t n;
};

static bool sess_before(const struct gsess *x, const struct gsess *y)
{
	uint64_t tx = x->fr[x->next].ts, ty = y->fr[y->next].ts;
	return tx < ty || (tx == ty && x->order < y->order);
}

static void heap_push(struct heap *h, struct gsess *s)
{
	size_t i = h->n++;
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!sess_before(s, h->a[p]))
			break;
		h->a[i] = h->a[p];
		i = p;
	}
	h->a[i] = s;
}

/* Restore order after the top's key grew (or the top was replaced by the last entry). */
static void heap_sift_down(struct heap *h)
{
	size_t i = 0;
	struct gsess *s = h->a[0];
	for (;;) {
		size_t l = 2 * i + 1, m = l;
		if (l >= h->n)
			break;
		if (l + 1 < h->n && sess_before(h->a[l + 1], h->a[l]))
			m = l + 1;
		if (!sess_before(h->a[m], s))
			break;
		h->a[i] = h->a[m];
		i = m;
	}
	h->a[i] = s;
}

/* --- truth ---------------------------------------------------------------------------------- */

struct truth {
	json_t *cat[T__COUNT];
	json_t *secrets;
	uint64_t dir[DIR__COUNT];
	uint64_t frag_datagrams, frag_frames;
};

static const char *const dir_key[DIR__COUNT] = {
	[DIR_UNKNOWN] = "unknown",
	[DIR_FF] = "foreign-foreign",
	[DIR_FD] = "foreign-domestic",
	[DIR_DF] = "domestic-foreign",
	[DIR_DD] = "domestic-domestic",
};

static void rfc3339(uint64_t us, bool frac, char out[40])
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac)
		snprintf(out + n, 40 - n, ".%06uZ", (unsigned)(us % 1000000));
	else
		snprintf(out + n, 40 - n, "Z");
}

static char *fmt_addr(const struct sk_addr *a, char buf[SK_ADDR_STRLEN])
{
	return addr_format(a, buf);
}

static int truth_write(struct gen *g, struct truth *t, const struct gen_opts *o,
		       uint64_t last_us, char *err, size_t errlen)
{
	char ts0[40], ts1[40], b1[SK_ADDR_STRLEN], b2[SK_ADDR_STRLEN];
	json_t *root = json_object(), *dirs = json_object(), *mirai = json_array();
	json_t *beacons = json_array();
	int rc = -1;

	rfc3339(g->start_us, false, ts0);
	rfc3339(last_us, true, ts1);
	for (int d = DIR_FF; d < DIR__COUNT; d++)
		json_object_set_new(dirs, dir_key[d], json_integer((json_int_t)t->dir[d]));
	json_object_set_new(dirs, dir_key[DIR_UNKNOWN], json_integer((json_int_t)t->dir[DIR_UNKNOWN]));
	for (int i = 0; i < g->nmirai; i++)
		if (g->mirai[i].count)
			json_array_append_new(mirai, json_pack("{s:s, s:I}",
				"src", fmt_addr(&g->mirai[i].src.addr, b1),
				"count", (json_int_t)g->mirai[i].count));
	for (int i = 0; i < g->nbeacons; i++) {
		const struct beacon_plan *b = &g->beacons[i];
		if (!b->count)
			continue;
		json_array_append_new(beacons, json_pack("{s:s, s:s, s:i, s:s, s:i, s:I}",
			"src", fmt_addr(&b->src.addr, b1), "dst", fmt_addr(&b->dst.addr, b2),
			"dport", (int)b->dport, "proto", b->tls ? "tls" : "http",
			"period_s", (int)b->period_s, "count", (json_int_t)b->count));
	}

	json_object_set_new(root, "seed", json_integer((json_int_t)o->seed));
	json_object_set_new(root, "packets", json_integer((json_int_t)o->packets));
	json_object_set_new(root, "start", json_string(ts0));
	json_object_set_new(root, "end", json_string(ts1));
	json_object_set_new(root, "directions", dirs);
	json_object_set(root, "dns", t->cat[T_DNS]);
	json_object_set(root, "tls", t->cat[T_TLS]);
	json_object_set(root, "http", t->cat[T_HTTP]);
	json_object_set(root, "smtp", t->cat[T_SMTP]);
	json_object_set(root, "scans", t->cat[T_SCAN]);
	json_object_set_new(root, "mirai", mirai);
	json_object_set_new(root, "beacons", beacons);
	json_object_set_new(root, "fragments", json_integer((json_int_t)t->frag_datagrams));
	json_object_set_new(root, "fragment_packets", json_integer((json_int_t)t->frag_frames));
	json_object_set(root, "secrets", t->secrets);

	if (json_dump_file(root, o->truth_path, JSON_INDENT(1) | JSON_PRESERVE_ORDER) < 0) {
		snprintf(err, errlen, "%s: cannot write the truth file: %s", o->truth_path,
			 strerror(errno));
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* Commit what an admitted session planted. */
static void truth_commit(struct gen *g, struct truth *t, struct gsess *s)
{
	for (uint32_t i = 0; i < s->nfr; i++)
		t->dir[s->fr[i].dir]++;
	t->frag_datagrams += s->frag_datagrams;
	t->frag_frames += s->frag_frames;
	if (s->mirai_bot >= 0)
		g->mirai[s->mirai_bot].count += s->nfr;
	if (s->beacon >= 0)
		g->beacons[s->beacon].count++;
	if (!g->truth)
		return;
	for (int i = 0; i < s->ntruth; i++) {
		json_array_append(t->cat[s->truth_cat[i]], s->truth[i]);
	}
	if (s->secrets)
		json_array_extend(t->secrets, s->secrets);
}

/* --- the run ------------------------------------------------------------------------------- */

/* Session mix, per mille of arrivals. */
static const struct {
	enum sess_kind kind;
	unsigned weight;
} mix[] = {
	{ SK_DNS_UDP, 330 }, { SK_DNS_TCP, 15 }, { SK_TLS, 200 }, { SK_HTTP, 110 },
	{ SK_SMTP, 25 },     { SK_FRAG, 15 },    { SK_SCAN, 2 },  { SK_MIRAI, 6 },
	{ SK_NOISE, 297 },
};

static enum sess_kind pick_kind(struct rng *r)
{
	unsigned total = 0, x;
	for (size_t i = 0; i < ARRAY_LEN(mix); i++)
		total += mix[i].weight;
	x = (unsigned)rng_below(r, total);
	for (size_t i = 0; i < ARRAY_LEN(mix); i++) {
		if (x < mix[i].weight)
			return mix[i].kind;
		x -= mix[i].weight;
	}
	return SK_NOISE;
}

static void gen_setup(struct gen *g, const struct gen_opts *o)
{
	struct rng *r = &g->rng;

	rng_seed(r, o->seed);
	g->geo = o->geo;
	g->truth = o->truth_path != NULL;
	g->start_us = o->start_us ? o->start_us : GEN_DEFAULT_START_US;
	for (int i = 0; i < 8; i++) {
		/* router MACs from a few vendors' OUIs (Cisco, Juniper, Arista, Huawei) */
		static const uint8_t oui[4][3] = {
			{ 0x00, 0x1b, 0x54 }, { 0x28, 0x8a, 0x1c }, { 0x44, 0x4c, 0xa8 }, { 0x00, 0xe0, 0xfc }
		};
		memcpy(g->mac[i], oui[i % 4], 3);
		for (int k = 3; k < 6; k++)
			g->mac[i][k] = (uint8_t)rng_next(r);
	}
	for (int c = 0; c < 3; c++)
		for (int f = 0; f < 2; f++)
			for (int i = 0; i < POOL_N; i++)
				sample_host(g, c, f ? 6 : 4, &g->pool[c][f][i]);

	g->nbeacons = (int)rng_range(r, 2, 3);
	for (int i = 0; i < g->nbeacons; i++)
		proto_beacon_plan(g, &g->beacons[i]);
	g->nmirai = (int)rng_range(r, 3, MAX_MIRAI);
	for (int i = 0; i < g->nmirai; i++) {
		/* bots abroad and infected machines at home */
		gen_host(g, rng_pct(r, 70) ? GEO_FOREIGN : GEO_DOMESTIC, 4, true, &g->mirai[i].src);
		g->mirai[i].count = 0;
	}
}

/* The capture's span in microseconds (see the comment at the top). */
static uint64_t span_us(uint64_t packets)
{
	uint64_t a = packets * 1000, b = packets * 60000;
	if (b > 900000000ull)
		b = 900000000ull;
	return a > b ? a : b;
}

int gen_run(const struct gen_opts *o, char *err, size_t errlen)
{
	struct gen *g = NULL;
	struct truth t = { 0 };
	struct heap h = { 0 };
	struct gsess *free_list = NULL;
	pcap_t *pd = NULL;
	pcap_dumper_t *dump = NULL;
	uint64_t written = 0, pending = 0, order = 0, bytes = 0, sessions = 0;
	uint64_t last_ts = 0, first_ts = 0;
	int rc = -1;

	if (!o->out_path) {
		snprintf(err, errlen, "no output file");
		return -1;
	}
	if (o->packets > GEN_MAX_PACKETS) {
		snprintf(err, errlen, "--packets %llu is more than the limit %llu",
			 (unsigned long long)o->packets, (unsigned long long)GEN_MAX_PACKETS);
		return -1;
	}
	g = calloc(1, sizeof(*g));
	h.a = malloc(MAX_ACTIVE * sizeof(*h.a));
	if (!g || !h.a) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	gen_setup(g, o);
	if (g->truth) {
		for (int i = 0; i < T__COUNT; i++)
			t.cat[i] = json_array();
		t.secrets = json_array();
		for (int i = 0; i < g->nbeacons; i++)
			json_array_append_new(t.secrets, json_string(g->beacons[i].bot_id));
	}

	pd = pcap_open_dead(DLT_EN10MB, 65535);
	if (!pd) {
		snprintf(err, errlen, "pcap_open_dead failed");
		goto out;
	}
	dump = pcap_dump_open(pd, o->out_path);
	if (!dump) {
		snprintf(err, errlen, "%s", pcap_geterr(pd));
		goto out;
	}

	uint64_t per_pkt = o->packets ? span_us(o->packets) / o->packets : 1000;
	uint64_t next_arrival = g->start_us;
	last_ts = g->start_us;
	first_ts = g->start_us;

	for (;;) {
		uint64_t remaining = o->packets - written - pending;
		uint64_t top_ts = h.n ? h.a[0]->fr[h.a[0]->next].ts : UINT64_MAX;
		int bi = -1;
		uint64_t ev = next_arrival;
		for (int i = 0; i < g->nbeacons; i++)
			if (g->beacons[i].next_us < ev) {
				ev = g->beacons[i].next_us;
				bi = i;
			}

		if (remaining > 0 && h.n < MAX_ACTIVE && ev <= top_ts) {
			struct gsess *s = free_list;
			if (s) {
				free_list = s->next_free;
			} else if (!(s = calloc(1, sizeof(*s)))) {
				snprintf(err, errlen, "out of memory");
				goto out;
			} else {
				s->mirai_bot = s->beacon = -1;
			}
			uint64_t start = ev > last_ts ? ev : last_ts;
			if (bi >= 0) {
				struct beacon_plan *b = &g->beacons[bi];
				proto_beacon(g, s, b, start);
				s->beacon = bi;
				uint64_t jitter = rng_range(&g->rng, 0, 2000000);
				b->next_us += (uint64_t)b->period_s * 1000000 - 1000000 + jitter;
			} else {
				proto_session(g, s, pick_kind(&g->rng), start);
			}
			sess_sort(s);
			if (s->overflow || s->nfr == 0 || s->nfr > remaining) {
				sess_reset(s);
				proto_noise(g, s, start, remaining >= 2 ? 2 : 1);
				sess_sort(s);
			}
			if (bi < 0)
				next_arrival += rng_range(&g->rng, 0, 2 * s->nfr * per_pkt);
			if (s->overflow || s->nfr == 0 || s->nfr > remaining) {
				sess_reset(s);
				s->next_free = free_list;
				free_list = s;
				continue;
			}
			s->order = order++;
			truth_commit(g, &t, s);
			pending += s->nfr;
			sessions++;
			heap_push(&h, s);
			continue;
		}
		if (!h.n)
			break;

		struct gsess *s = h.a[0];
		const struct gframe *fr = &s->fr[s->next++];
		struct pcap_pkthdr ph;
		ph.ts.tv_sec = (time_t)(fr->ts / 1000000);
		ph.ts.tv_usec = (suseconds_t)(fr->ts % 1000000);
		ph.caplen = ph.len = fr->len;
		pcap_dump((u_char *)dump, &ph, s->buf + fr->off);
		if (written == 0)
			first_ts = fr->ts;
		last_ts = fr->ts;
		written++;
		pending--;
		bytes += fr->len;
		if (s->next == s->nfr) {
			h.a[0] = h.a[--h.n];
			sess_reset(s);
			s->next_free = free_list;
			free_list = s;
		}
		if (h.n)
			heap_sift_down(&h);
	}

	if (pcap_dump_flush(dump) < 0 || ferror(pcap_dump_file(dump))) {
		snprintf(err, errlen, "%s: write failed: %s", o->out_path, strerror(errno));
		goto out;
	}
	if (g->truth && truth_write(g, &t, o, last_ts, err, errlen) < 0)
		goto out;
	if (o->stats) {
		o->stats->packets = written;
		o->stats->bytes = bytes;
		o->stats->sessions = sessions;
		o->stats->first_us = first_ts;
		o->stats->last_us = last_ts;
	}
	rc = 0;
out:
	if (dump)
		pcap_dump_close(dump);
	if (pd)
		pcap_close(pd);
	for (size_t i = 0; i < h.n; i++)
		sess_free(h.a[i]);
	while (free_list) {
		struct gsess *n = free_list->next_free;
		sess_free(free_list);
		free_list = n;
	}
	free(h.a);
	for (int i = 0; i < T__COUNT; i++)
		json_decref(t.cat[i]);
	json_decref(t.secrets);
	free(g);
	return rc;
}

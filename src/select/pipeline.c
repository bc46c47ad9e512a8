/*
 * pipeline.c — see pipeline.h for the picture.
 *
 * The order of the checks on a packet is the order of cost: a selected flow is found by one
 * hash lookup; eligibility is a few comparisons per approval; address and port selectors are
 * one lookup each; only eligible, undecided traffic reaches the extractors, and only their
 * results (never the bytes) reach the name, fingerprint and pattern selectors.
 */
#include "select/pipeline.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

struct pipeline {
	struct pl_config cfg;
	struct meta_engine *meta;
	struct flow_table *flows;        /* selection mode only */
	struct sel_scratch *scratch;
	struct geo_memo *geo_memo;       /* this pipeline's memo of location answers */
	struct pl_stats st;
	struct flow_counts fc_before;    /* flow totals of the tables retired by reloads */
	unsigned long reloads;

	/* the packet being processed, for the meta callback, and its selected flow if any */
	const struct pkt *cur;
	struct flow *cur_flow;
	const struct geo_info *cur_gs, *cur_gd;
	enum direction cur_dir;
};

static void fill_obs(struct sel_obs *o, const struct pkt *p, enum direction dir)
{
	memset(o, 0, sizeof(*o));
	o->ts_us = p->ts_us;
	o->dir = dir;
	o->src = p->src;
	o->dst = p->dst;
	o->proto = p->proto;
	if (p->has_l4 && (p->proto == 6 || p->proto == 17)) {
		o->sport = p->sport;
		o->dport = p->dport;
	}
}

/* What an extractor found, as an observation for the selectors. */
static void obs_add_meta(struct sel_obs *o, const struct meta_event *ev)
{
	switch (ev->kind) {
	case META_DNS:
		o->field[SEL_F_DNS_QNAME] = ev->u.dns->qname;
		break;
	case META_TLS:
		o->field[SEL_F_TLS_SNI] = ev->u.tls->sni[0] ? ev->u.tls->sni : NULL;
		o->ja3 = ev->u.tls->ja3[0] ? ev->u.tls->ja3 : NULL;
		o->ja4 = ev->u.tls->ja4[0] ? ev->u.tls->ja4 : NULL;
		break;
	case META_HTTP:
		o->field[SEL_F_HTTP_HOST] = ev->u.http->host[0] ? ev->u.http->host : NULL;
		o->field[SEL_F_HTTP_URI] = ev->u.http->uri;
		o->field[SEL_F_HTTP_USER_AGENT] = ev->u.http->user_agent[0] ? ev->u.http->user_agent : NULL;
		break;
	case META_SMTP:
		if (ev->u.smtp->kind == SMTP_HELO)
			o->field[SEL_F_SMTP_HELO] = ev->u.smtp->value;
		break;
	}
}

/* Under a set that matches on fingerprints the engine hashes every hello's (pl_new,
 * pl_reload: meta_set_fingerprints); otherwise it gives a hello without them, and they are
 * hashed here only for a flow that is selected, whose record carries them. */
static const struct meta_event *with_fingerprints(const struct meta_event *ev,
						  struct meta_event *e, struct tls_hello *h)
{
	if (ev->kind != META_TLS || ev->u.tls->ja3[0] || meta_tls_fingerprints(ev, h) < 0)
		return ev;
	*e = *ev;
	e->u.tls = h;
	return e;
}

static void on_meta(void *ctx, const struct meta_event *ev)
{
	struct pipeline *pl = ctx;
	struct meta_event e;
	struct tls_hello h;
	struct sel_obs o;
	const uint32_t *hits = NULL;
	size_t n = 0;

	switch (ev->kind) {
	case META_TLS:
		if (ev->u.tls->sni[0])
			pl->st.tls_with_sni++;
		break;
	case META_HTTP:
		if (ev->u.http->user_agent[0])
			pl->st.http_with_ua++;
		break;
	default:
		break;
	}
	if (!pl->flows || !pl->cur)
		return;

	fill_obs(&o, pl->cur, pl->cur_dir);
	obs_add_meta(&o, ev);
	if (sel_match(pl->cfg.sel, pl->scratch, &o, NULL) > 0)
		hits = sel_scratch_hits(pl->scratch, &n);

	struct flow *f = pl->cur_flow;
	if (!f && n == 0)
		return;                      /* not selected: the event is dropped here */
	if (!f)
		f = pl->cur_flow = flow_create(pl->flows, pl->cur, pl->cur_gs, pl->cur_gd,
					       pl->cur_dir, hits, n);
	else if (n)
		flow_add_selectors(pl->flows, f, hits, n);
	if (f)
		flow_meta(pl->flows, f, with_fingerprints(ev, &e, &h));
}

struct pipeline *pl_new(const struct pl_config *cfg)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	pl->cfg = *cfg;
	pl->geo_memo = geo_memo_new();   /* NULL: every lookup asks the tables */
	pl->meta = meta_new(NULL, cfg->key, on_meta, pl);
	if (!pl->meta)
		goto err;
	if (cfg->sel) {
		meta_set_fingerprints(pl->meta, sel_uses_fingerprints(cfg->sel));
		pl->flows = flow_table_new(cfg->sel, cfg->flows, cfg->emit, cfg->emit_ctx);
		pl->scratch = sel_scratch_new();
		if (!pl->flows || !pl->scratch || sel_scratch_fit(pl->scratch, cfg->sel) < 0)
			goto err;
	}
	return pl;
err:
	pl_free(pl);
	return NULL;
}

/* Rule 4: is this packet eligible under any approval of the set at all? */
static bool any_eligible(const struct sel_set *s, const struct pkt *p, enum direction dir)
{
	size_t n = sel_approval_count(s);

	for (size_t i = 0; i < n; i++)
		if (sel_eligible(sel_approval_at(s, i), dir, p->ts_us, &p->src, &p->dst))
			return true;
	return false;
}

static void select_packet(struct pipeline *pl, const struct pkt *p, const struct geo_info *gs,
			  const struct geo_info *gd, enum direction dir)
{
	struct pl_stats *st = &pl->st;
	struct flow *f;

	flow_expire(pl->flows, p->ts_us);
	pl->cur = p;
	pl->cur_gs = gs;
	pl->cur_gd = gd;
	pl->cur_dir = dir;

	f = flow_find(pl->flows, p);
	if (f) {
		bool eligible = flow_eligible(pl->flows, f, p, dir);
		if (eligible) {
			st->eligible++;
			st->selected++;
			st->dir_selected[dir]++;
			st->selected_bytes += p->wirelen;
			pl->cur_flow = f;              /* the callback adds to it, never frees it */
			meta_packet(pl->meta, p);
		} else {
			st->discarded++;
		}
		flow_packet(pl->flows, f, p, eligible);
		goto out;
	}
	if (!any_eligible(pl->cfg.sel, p, dir)) {
		st->discarded++;
		goto out;
	}
	st->eligible++;

	struct sel_obs o;
	size_t n = 0;
	const uint32_t *hits = NULL;
	fill_obs(&o, p, dir);
	if (sel_match(pl->cfg.sel, pl->scratch, &o, NULL) > 0) {
		hits = sel_scratch_hits(pl->scratch, &n);
		pl->cur_flow = flow_create(pl->flows, p, gs, gd, dir, hits, n);
	}
	meta_packet(pl->meta, p);            /* may select the flow through what it finds */
	f = pl->cur_flow;
	if (f) {
		st->selected++;
		st->dir_selected[dir]++;
		st->selected_bytes += p->wirelen;
		flow_packet(pl->flows, f, p, true);
	} else {
		st->discarded++;
	}
out:
	pl->cur = NULL;
	pl->cur_flow = NULL;
}

void pl_frame(struct pipeline *pl, int linktype, const struct frame *f)
{
	struct pkt p;
	enum pkt_err e = pkt_decode(linktype, f->data, f->caplen, &p);

	pl_decoded(pl, f, e, &p);
}

void pl_decoded(struct pipeline *pl, const struct frame *f, enum pkt_err e, struct pkt *p)
{
	struct pl_stats *st = &pl->st;
	struct geo_info gs, gd;
	enum direction dir;

	st->pk.packets++;
	st->pk.bytes += f->wirelen;
	if (!st->ts_first_us)
		st->ts_first_us = f->ts_us;
	st->ts_last_us = f->ts_us;

	if (e != PKT_OK) {
		st->pk.err[e]++;
		if (pl->flows)
			st->discarded++;
		return;
	}
	st->pk.decoded++;
	pkt_hash_pair(p);                 /* once, for the stream and flow tables */
	p->ts_us = f->ts_us;
	p->wirelen = f->wirelen;

	geo_lookup_memo(pl->cfg.geo, pl->geo_memo, &p->src, &gs);
	geo_lookup_memo(pl->cfg.geo, pl->geo_memo, &p->dst, &gd);
	dir = geo_direction(gs.cls, gd.cls);
	st->dir_packets[dir]++;
	st->dir_bytes[dir] += f->wirelen;

	if (pl->flows)
		select_packet(pl, p, &gs, &gd, dir);
	else
		meta_packet(pl->meta, p);
}

void pl_finish(struct pipeline *pl)
{
	meta_flush(pl->meta);
	if (pl->flows)
		flow_flush(pl->flows);
	pl->st.meta = *meta_counts(pl->meta);
}

const struct pl_stats *pl_stats(const struct pipeline *pl)
{
	return &pl->st;
}

const struct flow_table *pl_flows(const struct pipeline *pl)
{
	return pl->flows;
}

void pl_free(struct pipeline *pl)
{
	if (!pl)
		return;
	meta_free(pl->meta);
	flow_table_free(pl->flows);
	sel_scratch_free(pl->scratch);
	geo_memo_free(pl->geo_memo);
	free(pl);
}

static void counts_add(struct flow_counts *d, const struct flow_counts *s)
{
	d->created += s->created;
	d->emitted += s->emitted;
	d->evicted += s->evicted;
	d->timed_out += s->timed_out;
	d->ended += s->ended;
	d->dropped_meta += s->dropped_meta;
}

int pl_reload(struct pipeline *pl, const struct sel_set *next)
{
	struct flow_table *ft;
	struct sel_scratch *sc;

	if (!pl->flows || !next)
		return -1;
	ft = flow_table_new(next, pl->cfg.flows, pl->cfg.emit, pl->cfg.emit_ctx);
	sc = sel_scratch_new();
	if (!ft || !sc || sel_scratch_fit(sc, next) < 0) {
		flow_table_free(ft);
		sel_scratch_free(sc);
		return -1;
	}
	/* Emit under the old set (its selectors and approvals name the records), then retire. */
	flow_flush(pl->flows);
	counts_add(&pl->fc_before, flow_counts(pl->flows));
	flow_table_free(pl->flows);
	sel_scratch_free(pl->scratch);
	pl->flows = ft;
	pl->scratch = sc;
	pl->cfg.sel = next;
	meta_set_fingerprints(pl->meta, sel_uses_fingerprints(next));
	pl->reloads++;
	return 0;
}

unsigned long pl_reloads(const struct pipeline *pl)
{
	return pl->reloads;
}

/* Flow totals of the current table plus those retired by reloads. */
static struct flow_counts total_counts(const struct pipeline *pl)
{
	struct flow_counts t = *flow_counts(pl->flows);

	counts_add(&t, &pl->fc_before);
	return t;
}

int pl_run_source(struct pipeline *pl, struct source *src, pl_between_cb between, void *ctx)
{
	int linktype = source_linktype(src);
	struct frame f;
	enum src_status s = SRC_END;

	while (!source_stop_flag) {
		s = source_next(src, &f);
		if (s != SRC_FRAME)
			break;
		pl_frame(pl, linktype, &f);
		/* The frame lives in the source's buffer: clear it before the next one (rule 1). */
		memset((void *)f.data, 0, f.caplen);
		if (between)
			between(ctx);
	}
	if (between)             /* a request made while no packet came is answered before the end */
		between(ctx);
	pl_finish(pl);
	/* a read interrupted by the stop signal (a pipe, no SA_RESTART) is the stop, not an error */
	return s == SRC_ERROR && !source_stop_flag ? -1 : 0;
}

const struct sel_set *pl_sel(const struct pipeline *pl)
{
	return pl->flows ? pl->cfg.sel : NULL;
}

/* Add the uint64_t members of one struct to another's (every member of struct meta_counts is
 * a uint64_t: counters, and two gauges whose sum over workers is the total held). */
static void add_u64s(void *dst, const void *src, size_t len)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	for (size_t off = 0; off + sizeof(uint64_t) <= len; off += sizeof(uint64_t)) {
		uint64_t a, b;
		memcpy(&a, d + off, sizeof(a));
		memcpy(&b, s + off, sizeof(b));
		a += b;
		memcpy(d + off, &a, sizeof(a));
	}
}

_Static_assert(sizeof(struct meta_counts) % sizeof(uint64_t) == 0, "meta_counts: uint64_t members only");

void pl_stats_add(struct pl_stats *sum, const struct pl_stats *s)
{
	sum->pk.packets += s->pk.packets;
	sum->pk.bytes += s->pk.bytes;
	sum->pk.decoded += s->pk.decoded;
	for (int i = 0; i < PKT_ERR__COUNT; i++)
		sum->pk.err[i] += s->pk.err[i];
	for (int d = 0; d < DIR__COUNT; d++) {
		sum->dir_packets[d] += s->dir_packets[d];
		sum->dir_bytes[d] += s->dir_bytes[d];
		sum->dir_selected[d] += s->dir_selected[d];
	}
	sum->eligible += s->eligible;
	sum->selected += s->selected;
	sum->discarded += s->discarded;
	sum->selected_bytes += s->selected_bytes;
	add_u64s(&sum->meta, &s->meta, sizeof(sum->meta));
	sum->tls_with_sni += s->tls_with_sni;
	sum->http_with_ua += s->http_with_ua;
	if (s->ts_first_us && (!sum->ts_first_us || s->ts_first_us < sum->ts_first_us))
		sum->ts_first_us = s->ts_first_us;
	if (s->ts_last_us > sum->ts_last_us)
		sum->ts_last_us = s->ts_last_us;
}

/* What the summary and the stats show, summed over the pipelines of the workers. */
struct pl_total {
	struct pl_stats st;
	size_t workers;
	const struct sel_set *sel;         /* NULL: survey mode */
	struct flow_counts fc;             /* flow totals, reloads included */
	uint64_t *sel_packets, *sel_flows; /* sel_count(sel) entries; NULL if out of memory */
	unsigned long reloads;
};

static void total_free(struct pl_total *t)
{
	free(t->sel_packets);
	free(t->sel_flows);
}

static void total_of(struct pl_total *t, const struct pipeline *const *pls, size_t n)
{
	size_t ns;

	memset(t, 0, sizeof(*t));
	t->workers = n;
	t->sel = n && pls[0]->flows ? pls[0]->cfg.sel : NULL;
	ns = t->sel ? sel_count(t->sel) : 0;
	if (ns) {
		t->sel_packets = calloc(ns, sizeof(uint64_t));
		t->sel_flows = calloc(ns, sizeof(uint64_t));
		if (!t->sel_packets || !t->sel_flows) {
			total_free(t);
			t->sel_packets = t->sel_flows = NULL;
		}
	}
	for (size_t w = 0; w < n; w++) {
		const struct pipeline *pl = pls[w];

		pl_stats_add(&t->st, &pl->st);
		if (pl->reloads > t->reloads)
			t->reloads = pl->reloads;
		if (!t->sel || !pl->flows)
			continue;
		struct flow_counts fc = total_counts(pl);
		counts_add(&t->fc, &fc);
		if (pl->cfg.sel != t->sel || !t->sel_packets)
			continue;      /* a worker still on another set (reload refused: out of memory) */
		const uint64_t *sp = flow_selector_packets(pl->flows);
		const uint64_t *sf = flow_selector_flows(pl->flows);
		for (size_t i = 0; i < ns; i++) {
			t->sel_packets[i] += sp[i];
			t->sel_flows[i] += sf[i];
		}
	}
}

static const enum direction dir_order[] = { DIR_FF, DIR_FD, DIR_DF, DIR_DD, DIR_UNKNOWN };

static const char *channel_str(enum sel_channel c)
{
	return c == SEL_AGREEMENT ? "agreement" : c == SEL_TRANSIT ? "transit" : "specific";
}

/* Was selector i's approval valid at some time within the input? */
static bool active_during(const struct pl_total *t, size_t i)
{
	const struct sel_approval *a = sel_approval_of(t->sel, i);
	return t->st.pk.packets && a->from_us <= t->st.ts_last_us && t->st.ts_first_us < a->until_us;
}

void pl_print_summary(const struct pipeline *pl, FILE *out)
{
	pl_print_summary_n(&pl, 1, out);
}

void pl_print_summary_n(const struct pipeline *const *pls, size_t n, FILE *out)
{
	static const char *const jp[] = { [DIR_FF] = "外外", [DIR_FD] = "外内", [DIR_DF] = "内外",
					  [DIR_DD] = "内内", [DIR_UNKNOWN] = "不明" };
	struct pl_total tot;
	const struct pl_stats *st = &tot.st;
	uint64_t errs = 0;

	total_of(&tot, pls, n);
	for (int i = 1; i < PKT_ERR__COUNT; i++)
		errs += st->pk.err[i];
	if (n > 1)
		fprintf(out, "workers             %12zu   (figures summed)\n", n);
	fprintf(out, "packets read        %12llu   (%llu bytes)\n",
		(unsigned long long)st->pk.packets, (unsigned long long)st->pk.bytes);
	fprintf(out, "decoded             %12llu\n", (unsigned long long)st->pk.decoded);
	fprintf(out, "not decoded         %12llu", (unsigned long long)errs);
	const char *sep = "   (";
	for (int i = 1; i < PKT_ERR__COUNT; i++) {
		if (!st->pk.err[i])
			continue;
		fprintf(out, "%s%s %llu", sep, pkt_err_name(i), (unsigned long long)st->pk.err[i]);
		sep = ", ";
	}
	fprintf(out, "%s\n", errs ? ")" : "");

	fprintf(out, "\nby direction                     packets          bytes%s\n",
		tot.sel ? "     selected    discarded" : "");
	for (size_t i = 0; i < sizeof(dir_order) / sizeof(dir_order[0]); i++) {
		enum direction d = dir_order[i];
		fprintf(out, "  %-18s %s %12llu %14llu", direction_name(d), jp[d],
			(unsigned long long)st->dir_packets[d], (unsigned long long)st->dir_bytes[d]);
		if (tot.sel)
			fprintf(out, " %12llu %12llu", (unsigned long long)st->dir_selected[d],
				(unsigned long long)(st->dir_packets[d] - st->dir_selected[d]));
		fputc('\n', out);
	}

	if (tot.sel) {
		const struct flow_counts *fc = &tot.fc;
		size_t ns = sel_count(tot.sel);

		fprintf(out, "\nselection (自動選別)\n");
		fprintf(out, "  eligible packets    %10llu   (direction fits a channel, approval valid)\n",
			(unsigned long long)st->eligible);
		fprintf(out, "  selected packets    %10llu   (%llu bytes)\n",
			(unsigned long long)st->selected, (unsigned long long)st->selected_bytes);
		fprintf(out, "  discarded packets   %10llu   (nothing kept)\n",
			(unsigned long long)st->discarded);
		fprintf(out, "  selected flows      %10llu   (records written %llu)\n",
			(unsigned long long)fc->created, (unsigned long long)fc->emitted);
		if (tot.reloads)
			fprintf(out, "  selector set reloaded %lu times: per-selector figures are of the current set since then\n",
				tot.reloads);
		fprintf(out, "\n  %-20s %-16s %-10s %-7s %10s %8s\n", "selector", "approval", "channel",
			"active", "packets", "flows");
		for (size_t i = 0; i < ns && tot.sel_packets; i++) {
			const struct sel_approval *a = sel_approval_of(tot.sel, i);
			fprintf(out, "  %-20s %-16s %-10s %-7s %10llu %8llu\n", sel_id(tot.sel, i),
				a->id, channel_str(a->channel), active_during(&tot, i) ? "yes" : "no",
				(unsigned long long)tot.sel_packets[i], (unsigned long long)tot.sel_flows[i]);
		}
	}

	const struct meta_counts *m = &st->meta;
	fprintf(out, "\nmechanical information found (機械的情報)%s\n",
		tot.sel ? ", in eligible traffic" : "");
	fprintf(out, "  dns messages        %10llu   (%llu malformed)\n",
		(unsigned long long)m->dns, (unsigned long long)m->dns_err);
	fprintf(out, "  tls client hellos   %10llu   (%llu with SNI, %llu malformed)\n",
		(unsigned long long)m->tls, (unsigned long long)st->tls_with_sni,
		(unsigned long long)m->tls_err);
	fprintf(out, "  http requests       %10llu   (%llu with User-Agent, %llu malformed)\n",
		(unsigned long long)m->http, (unsigned long long)st->http_with_ua,
		(unsigned long long)m->http_err);
	fprintf(out, "  smtp envelope cmds  %10llu   (in %llu sessions)\n",
		(unsigned long long)m->smtp_cmds, (unsigned long long)m->smtp_sessions);
	fprintf(out, "  tcp streams         %10llu   (%llu evicted, %llu timed out, %llu out-of-order segments)\n",
		(unsigned long long)m->streams, (unsigned long long)m->streams_evicted,
		(unsigned long long)m->streams_timed_out, (unsigned long long)m->out_of_order);
	fprintf(out, "  handshake buffers   %10llu   refused at the memory cap, %llu flights over the per-stream cap\n",
		(unsigned long long)m->buffer_refused, (unsigned long long)m->overflow);
	total_free(&tot);
}

#define JU(v) json_integer((json_int_t)(v))

int pl_write_stats(const struct pipeline *pl, FILE *out)
{
	return pl_write_stats_n(&pl, 1, out);
}

int pl_write_stats_n(const struct pipeline *const *pls, size_t n, FILE *out)
{
	struct pl_total tot;
	const struct pl_stats *st = &tot.st;
	json_t *root = json_object(), *errs = json_object(), *dirs = json_object();
	char t1[FLOW_TIME_LEN], t2[FLOW_TIME_LEN];
	int rc = -1;

	total_of(&tot, pls, n);
	if (!root || !errs || !dirs || (tot.sel && sel_count(tot.sel) && !tot.sel_packets)) {
		json_decref(errs);
		json_decref(dirs);
		goto out;
	}
	json_object_set_new(root, "workers", JU(n));
	json_object_set_new(root, "ts_first", json_string(flow_format_time(st->ts_first_us, t1)));
	json_object_set_new(root, "ts_last", json_string(flow_format_time(st->ts_last_us, t2)));
	json_object_set_new(root, "packets_read", JU(st->pk.packets));
	json_object_set_new(root, "bytes_read", JU(st->pk.bytes));
	json_object_set_new(root, "packets_decoded", JU(st->pk.decoded));
	for (int i = 1; i < PKT_ERR__COUNT; i++)
		json_object_set_new(errs, pkt_err_name(i), JU(st->pk.err[i]));
	json_object_set_new(root, "decode_errors", errs);
	for (size_t i = 0; i < sizeof(dir_order) / sizeof(dir_order[0]); i++)
		json_object_set_new(dirs, direction_name(dir_order[i]), JU(st->dir_packets[dir_order[i]]));
	json_object_set_new(root, "packets_by_direction", dirs);
	if (tot.sel) {
		json_t *sd = json_object();
		for (size_t i = 0; i < sizeof(dir_order) / sizeof(dir_order[0]); i++)
			json_object_set_new(sd, direction_name(dir_order[i]),
					    JU(st->dir_selected[dir_order[i]]));
		json_object_set_new(root, "selected_by_direction", sd);
	}

	if (tot.sel) {
		const struct flow_counts *fc = &tot.fc;
		json_t *sels = json_array();

		json_object_set_new(root, "eligible_packets", JU(st->eligible));
		json_object_set_new(root, "selected_packets", JU(st->selected));
		json_object_set_new(root, "selected_bytes", JU(st->selected_bytes));
		json_object_set_new(root, "discarded_packets", JU(st->discarded));
		json_object_set_new(root, "selected_flows", JU(fc->created));
		json_object_set_new(root, "records", JU(fc->emitted));
		if (tot.reloads)   /* per-selector figures below: current set, since the last one */
			json_object_set_new(root, "reloads", JU(tot.reloads));
		for (size_t i = 0; i < sel_count(tot.sel); i++) {
			const struct sel_approval *a = sel_approval_of(tot.sel, i);
			json_t *o = json_object();
			json_object_set_new(o, "id", json_string(sel_id(tot.sel, i)));
			json_object_set_new(o, "approval", json_string(a->id));
			json_object_set_new(o, "channel", json_string(channel_str(a->channel)));
			json_object_set_new(o, "active", json_boolean(active_during(&tot, i)));
			json_object_set_new(o, "packets", JU(tot.sel_packets[i]));
			json_object_set_new(o, "flows", JU(tot.sel_flows[i]));
			json_array_append_new(sels, o);
		}
		json_object_set_new(root, "selectors", sels);
	}
	rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
out:
	json_decref(root);
	total_free(&tot);
	return rc;
}

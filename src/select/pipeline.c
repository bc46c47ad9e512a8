/*
 * pipeline.c — see pipeline.h. One pipeline per worker; nothing here is shared or locked.
 */
#include "select/pipeline.h"

#include <stdlib.h>
#include <string.h>

struct pipeline {
	struct pl_config cfg;
	struct meta_engine *meta;
	struct pl_stats st;
};

static void on_meta(void *ctx, const struct meta_event *ev)
{
	struct pipeline *pl = ctx;

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
}

struct pipeline *pl_new(const struct pl_config *cfg)
{
	struct pipeline *pl = calloc(1, sizeof(*pl));

	if (!pl)
		return NULL;
	pl->cfg = *cfg;
	pl->meta = meta_new(NULL, cfg->key, on_meta, pl);
	if (!pl->meta) {
		free(pl);
		return NULL;
	}
	return pl;
}

void pl_frame(struct pipeline *pl, int linktype, const struct frame *f)
{
	struct pl_stats *st = &pl->st;
	struct pkt p;
	struct geo_info gs, gd;
	enum pkt_err e;
	enum direction dir;

	st->pk.packets++;
	st->pk.bytes += f->wirelen;
	if (!st->ts_first_us)
		st->ts_first_us = f->ts_us;
	st->ts_last_us = f->ts_us;

	e = pkt_decode(linktype, f->data, f->caplen, &p);
	if (e != PKT_OK) {
		st->pk.err[e]++;
		return;
	}
	st->pk.decoded++;
	p.ts_us = f->ts_us;
	p.wirelen = f->wirelen;

	geo_lookup(pl->cfg.geo, &p.src, &gs);
	geo_lookup(pl->cfg.geo, &p.dst, &gd);
	dir = geo_direction(gs.cls, gd.cls);
	st->dir_packets[dir]++;
	st->dir_bytes[dir] += f->wirelen;

	meta_packet(pl->meta, &p);
}

void pl_finish(struct pipeline *pl)
{
	meta_flush(pl->meta);
	pl->st.meta = *meta_counts(pl->meta);
}

const struct pl_stats *pl_stats(const struct pipeline *pl)
{
	return &pl->st;
}

void pl_free(struct pipeline *pl)
{
	if (!pl)
		return;
	meta_free(pl->meta);
	free(pl);
}

int pl_run_source(struct pipeline *pl, struct source *src)
{
	int linktype = source_linktype(src);
	struct frame f;
	enum src_status s;

	while ((s = source_next(src, &f)) == SRC_FRAME)
		pl_frame(pl, linktype, &f);
	pl_finish(pl);
	return s == SRC_END ? 0 : -1;
}

void pl_print_summary(const struct pl_stats *st, FILE *out)
{
	static const enum direction order[] = { DIR_FF, DIR_FD, DIR_DF, DIR_DD, DIR_UNKNOWN };
	static const char *const jp[] = { [DIR_FF] = "外外", [DIR_FD] = "外内", [DIR_DF] = "内外",
					  [DIR_DD] = "内内", [DIR_UNKNOWN] = "不明" };
	uint64_t errs = 0;

	for (int i = 1; i < PKT_ERR__COUNT; i++)
		errs += st->pk.err[i];
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

	fprintf(out, "\nby direction                     packets          bytes\n");
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum direction d = order[i];
		fprintf(out, "  %-18s %s %12llu %14llu\n", direction_name(d), jp[d],
			(unsigned long long)st->dir_packets[d], (unsigned long long)st->dir_bytes[d]);
	}

	const struct meta_counts *m = &st->meta;
	fprintf(out, "\nmechanical information found (機械的情報)\n");
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
}

/*
 * pipeline.h — the sensor's packet path (自動選別, DESIGN.md rules 1–4).
 *
 *   frame ─▶ pkt_decode ──(error: counted by reason, dropped)
 *     └─▶ geo_lookup(src, dst) ─▶ direction (外外/外内/内外/内内/unknown)
 *           ├─ packet of a selected flow? ─▶ counted if eligible under the flow's approvals,
 *           │                                 extractors add to the flow's record
 *           ├─ eligible under no approval (channel, validity, facilities)? ─▶ discarded
 *           ├─ address/port selectors match? ─▶ new selected flow
 *           └─ meta engine (bounded handshake buffers) ─▶ DNS/TLS/HTTP/SMTP fields
 *                 └─ name/fingerprint/pattern selectors match? ─▶ new selected flow
 *                                                          else ─▶ discarded
 *
 * Discarded means: counted, and nothing else. No field of an unselected packet is written
 * anywhere; the frame's bytes are wiped once the pipeline is done with them.
 *
 * Without a selector set (survey mode) the pipeline selects nothing and only counts: packets
 * per direction and the mechanical information found per protocol.
 *
 * One pipeline per worker; nothing in it is shared or locked.
 */
#ifndef SK_PIPELINE_H
#define SK_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include "common/pseudo.h"
#include "geo/geo.h"
#include "meta/meta.h"
#include "packet/decode.h"
#include "packet/source.h"
#include "select/flow.h"
#include "select/rules.h"

struct pl_stats {
	struct pkt_counts pk;                 /* read, decoded, errors by reason */
	uint64_t dir_packets[DIR__COUNT];
	uint64_t dir_bytes[DIR__COUNT];
	uint64_t dir_selected[DIR__COUNT];    /* selected packets per direction */
	uint64_t eligible, selected, discarded;        /* packets */
	uint64_t selected_bytes;
	struct meta_counts meta;              /* mechanical information found, per protocol */
	uint64_t tls_with_sni, http_with_ua;
	uint64_t ts_first_us, ts_last_us;
};

struct pl_config {
	const struct geo *geo;
	const struct pseudo *key;
	const struct sel_set *sel;            /* NULL: survey mode, nothing selected */
	const struct flow_limits *flows;      /* NULL: defaults */
	flow_emit_cb emit;                    /* receives each record line */
	void *emit_ctx;
};

struct pipeline;

struct pipeline *pl_new(const struct pl_config *cfg);
/* One captured frame of the given link type. The caller wipes the frame's bytes once this
 * returns (pl_run_source does: rule 1); pl_frame keeps no pointer into them. */
void pl_frame(struct pipeline *pl, int linktype, const struct frame *f);
/* The same for a frame the caller has already decoded (pkt_decode or pkt_decode_headers: e is
 * its result, p what it filled in; the pair hash is added if missing): a worker that decoded
 * the frame to find its owner does not decode it twice. p may be changed. */
void pl_decoded(struct pipeline *pl, const struct frame *f, enum pkt_err e, struct pkt *p);
/* End of input: emit every open flow, release all stream state (wiped), settle the counts. */
void pl_finish(struct pipeline *pl);
const struct pl_stats *pl_stats(const struct pipeline *pl);
/* The flow table (selection mode only; NULL in survey mode). */
const struct flow_table *pl_flows(const struct pipeline *pl);
void pl_free(struct pipeline *pl);

/* Called after each frame (once it is wiped) and once before the end: where the caller acts
 * on what a signal asked for, such as a reload. */
typedef void (*pl_between_cb)(void *ctx);
/* Read a source through the pipeline until it ends or source_stop_flag is set, wiping each
 * frame after use (rule 1); between may be NULL. Returns 0 at a clean end or stop, -1 if the
 * input broke (source_error(src) says why; the counts so far stay, open flows are emitted). */
int pl_run_source(struct pipeline *pl, struct source *src, pl_between_cb between, void *ctx);

/* Swap in another selector set (SIGHUP) at a packet boundary. Every open selected flow is
 * emitted under the old set first: a reload splits open flows' records at the reload instant
 * and loses none; later packets of those flows are matched against next afresh. A new flow
 * table and scratch are built for next before anything changes, so on -1 (survey mode, next
 * NULL, out of memory) the old set stays in force. On 0 the caller frees the old set; next
 * must outlive the pipeline. Totals (selected flows, records) are summed across reloads;
 * per-selector figures are of the current set since the last reload. */
int pl_reload(struct pipeline *pl, const struct sel_set *next);
/* Number of reloads done. */
unsigned long pl_reloads(const struct pipeline *pl);

/* The selector set in force (NULL in survey mode). */
const struct sel_set *pl_sel(const struct pipeline *pl);

/* Add s to sum: counters are summed, ts_first/ts_last widened (workers, src/select/workers.h). */
void pl_stats_add(struct pl_stats *sum, const struct pl_stats *s);

/* The human summary: per direction, selection, per selector, per protocol, decode errors. */
void pl_print_summary(const struct pipeline *pl, FILE *out);
/* The statistics the commission inspects, as one JSON document. Returns 0 or -1. */
int pl_write_stats(const struct pipeline *pl, FILE *out);
/* The same over the pipelines of n workers, summed ("workers": n in the JSON). Per-selector
 * figures are summed over the pipelines whose set is that of pls[0]; reloads is the largest
 * count of any. pl_print_summary(pl) is pl_print_summary_n(&pl, 1). */
void pl_print_summary_n(const struct pipeline *const *pls, size_t n, FILE *out);
int pl_write_stats_n(const struct pipeline *const *pls, size_t n, FILE *out);

#endif

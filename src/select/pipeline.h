/*
 * pipeline.h — the sensor's packet path: frame → decode → direction → extraction → counts.
 *
 *   frame ─▶ pkt_decode ──(error: counted by reason, dropped)
 *              └─▶ geo_lookup(src), geo_lookup(dst) ─▶ direction (外外/外内/内外/内内/unknown)
 *                    └─▶ meta engine (DNS, TLS, HTTP, SMTP) ─▶ counts per protocol
 *
 * What leaves the pipeline is counts. Packet bytes live only in the caller's frame and in the
 * meta engine's bounded, wiped stream buffers.
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

struct pl_stats {
	struct pkt_counts pk;                 /* read, decoded, errors by reason */
	uint64_t dir_packets[DIR__COUNT];
	uint64_t dir_bytes[DIR__COUNT];
	struct meta_counts meta;              /* mechanical information found, per protocol */
	uint64_t tls_with_sni, http_with_ua;
	uint64_t ts_first_us, ts_last_us;
};

struct pl_config {
	const struct geo *geo;
	const struct pseudo *key;
};

struct pipeline;

struct pipeline *pl_new(const struct pl_config *cfg);
/* One captured frame of the given link type. */
void pl_frame(struct pipeline *pl, int linktype, const struct frame *f);
/* End of input: release all stream state (wiped) and settle the counts. */
void pl_finish(struct pipeline *pl);
const struct pl_stats *pl_stats(const struct pipeline *pl);
void pl_free(struct pipeline *pl);

/* Read a whole source through the pipeline. Returns 0 at a clean end, -1 if the input broke
 * (source_error(src) says why; the counts so far stay in the pipeline). */
int pl_run_source(struct pipeline *pl, struct source *src);

/* The human summary: per direction, per protocol, decode errors. */
void pl_print_summary(const struct pl_stats *st, FILE *out);

#endif

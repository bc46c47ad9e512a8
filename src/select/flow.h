/*
 * flow.h — the table of selected flows, and the records they become.
 *
 * A flow enters this table only once a selector has matched it (DESIGN.md rule 1: there is
 * no flow state for unselected traffic; undecided handshakes live only in the meta engine's
 * bounded stream buffers). A flow accumulates the mechanical information of its eligible
 * packets and is emitted as one JSON line when it ends (RST, or FIN from both sides and the
 * ACK of the last FIN), when it
 * has been idle for the timeout, when the table is full (the least recently seen goes), or at
 * the end of input. Emitted or not, every flow's memory is wiped when it is released.
 *
 * Record keys: ts_first, ts_last, selectors, approvals, channel, direction, proto, src_ip,
 * src_port, dst_ip, dst_port, src_cc, dst_cc, src_asn, dst_asn, packets, bytes and, where
 * seen, dns [{qname,qtype,rcode,answers}], tls {sni,alpn,version,ja3,ja4},
 * http [{method,host,uri,user_agent}], smtp {helo,mail_from,rcpt_to}.
 * `src` is the side that sent the first eligible packet.
 */
#ifndef SK_FLOW_H
#define SK_FLOW_H

#include <stdint.h>
#include <stdio.h>

#include "geo/geo.h"
#include "meta/meta.h"
#include "packet/decode.h"
#include "select/rules.h"

#define FLOW_MAX_DNS 16       /* DNS messages kept per flow */
#define FLOW_MAX_HTTP 16      /* HTTP requests kept per flow */
#define FLOW_MAX_RCPT 16      /* RCPT TO kept per flow */

struct flow;
struct flow_table;

struct flow_limits {
	size_t max_flows;         /* selected flows held at once (default 262144) */
	uint64_t idle_us;         /* a flow idle this long is emitted (default 60 s) */
};

/* Called for each record line (without its newline) as it is emitted. */
typedef void (*flow_emit_cb)(void *ctx, const char *line, size_t len);

struct flow_counts {
	uint64_t created, emitted, evicted, timed_out, ended;
	uint64_t dropped_meta;    /* meta beyond the per-flow caps */
};

/* set must outlive the table; limits may be NULL. */
struct flow_table *flow_table_new(const struct sel_set *set, const struct flow_limits *limits,
				  flow_emit_cb emit, void *ctx);
void flow_table_free(struct flow_table *t);

/* The selected flow this packet belongs to, or NULL. */
struct flow *flow_find(struct flow_table *t, const struct pkt *p);
/* Create the flow for p, selected by sel[0..n) (OUT: the flow). p's sender becomes src. */
struct flow *flow_create(struct flow_table *t, const struct pkt *p, const struct geo_info *gs,
			 const struct geo_info *gd, enum direction dir, const uint32_t *sel, size_t n);
/* Add selectors to a flow (a later observation matched more). */
void flow_add_selectors(struct flow_table *t, struct flow *f, const uint32_t *sel, size_t n);
/* Is p eligible under at least one of the flow's approvals? */
bool flow_eligible(const struct flow_table *t, const struct flow *f, const struct pkt *p,
		   enum direction dir);
/* A packet of the flow: counted if eligible; FIN/RST are noted either way, so that a flow
 * whose replies are not eligible still ends. Emits the flow if the packet ends it (the flow
 * is then gone: do not use f afterwards). */
void flow_packet(struct flow_table *t, struct flow *f, const struct pkt *p, bool eligible);
/* Attach mechanical information to the flow. */
void flow_meta(struct flow_table *t, struct flow *f, const struct meta_event *ev);
/* Emit flows idle since before now_us - idle_us. */
void flow_expire(struct flow_table *t, uint64_t now_us);
/* Emit every flow (end of input). */
void flow_flush(struct flow_table *t);

/* Per-selector packets and flows (arrays of sel_count(set) entries). */
const uint64_t *flow_selector_packets(const struct flow_table *t);
const uint64_t *flow_selector_flows(const struct flow_table *t);
const struct flow_counts *flow_counts(const struct flow_table *t);
size_t flow_open(const struct flow_table *t);

/* RFC 3339 UTC with microseconds: "2026-10-01T00:00:00.000000Z" (buf >= FLOW_TIME_LEN). */
#define FLOW_TIME_LEN 48
char *flow_format_time(uint64_t us, char *buf);

#endif

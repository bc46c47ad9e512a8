/*
 * meta.h — the extraction engine: decoded packets in, mechanical information (機械的情報) out.
 *
 * For each packet the engine decides which extractor applies (DNS on port 53 over UDP and
 * TCP; TLS, HTTP and SMTP by the first bytes of the client's stream and by port), keeps the
 * minimum state needed across TCP segments, and reports what it found through a callback.
 *
 *   pkt ──▶ UDP/53 ──────────────────────────────▶ dns_parse ──▶ cb(META_DNS)
 *       └─▶ TCP ──▶ stream table (client → server bytes only)
 *                     first flight, bounded  ──▶ tls_parse_client_hello_nofp / http_parse_request
 *                     SMTP command state      ──▶ smtp_feed ──▶ cb(META_SMTP)
 *
 * Streams: a bounded hash table of TCP connections. A stream holds at most
 * meta_limits.stream_bytes of the client's first flight, in order; once a ClientHello or a
 * request header block is complete (or the stream proves to be something else) its buffer is
 * wiped and freed. SMTP streams keep only the command-line state of smtp.h. Streams idle past
 * the timeout, and the oldest streams when the table is full, are released; every release
 * wipes the buffer (sodium_memzero) before it is freed. All buffers together never exceed
 * meta_limits.max_buffered: an allocation past it is refused (counts.buffer_refused) and the
 * stream is treated as overflowed. The payload bytes seen here never reach the callback: only
 * the parsed structures do.
 */
#ifndef SK_META_H
#define SK_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "common/pseudo.h"
#include "meta/dns.h"
#include "meta/http.h"
#include "meta/smtp.h"
#include "meta/tls.h"
#include "packet/decode.h"

enum meta_kind { META_DNS = 1, META_TLS, META_HTTP, META_SMTP };

struct meta_event {
	enum meta_kind kind;
	const struct pkt *pkt;          /* the packet that completed it */
	union {
		const struct dns_msg *dns;
		const struct tls_hello *tls;
		const struct http_req *http;
		const struct smtp_cmd *smtp;
	} u;
	/* META_TLS: the client's stream the hello was parsed from, for meta_tls_fingerprints
	 * only; valid during the callback. Unless meta_set_fingerprints asked for them always,
	 * the engine leaves u.tls->ja3 and ja4 "": most hellos are of traffic nothing selects,
	 * and hashing their fingerprints would be work for nothing. */
	const uint8_t *tls_stream;
	size_t tls_stream_len;
};

typedef void (*meta_cb)(void *ctx, const struct meta_event *ev);

struct meta_limits {
	size_t max_streams;             /* concurrent TCP streams tracked (default 65536) */
	size_t stream_bytes;            /* first-flight buffer cap per stream (default 16384) */
	uint64_t idle_us;               /* a stream idle this long is released (default 30 s) */
	size_t max_buffered;            /* total bytes of buffers (first flight, DNS/TCP, SMTP
					 * state) held at once, all streams (default 32 MiB) */
};

struct meta_counts {
	uint64_t dns, dns_err;
	uint64_t tls, tls_err;
	uint64_t http, http_err;
	uint64_t smtp_cmds, smtp_sessions;
	uint64_t streams, streams_evicted, streams_timed_out;
	uint64_t out_of_order;          /* client segments not in sequence: not reassembled */
	uint64_t overflow;              /* first flights (or DNS/TCP messages) over stream_bytes */
	uint64_t streams_open;          /* streams in the table now (a gauge, not a counter) */
	uint64_t fragments;             /* IP fragments: their L4 payload is not examined */
	uint64_t buffer_refused;        /* buffers refused at max_buffered: handled as overflow */
	uint64_t buffer_bytes;          /* bytes of buffers allocated now (a gauge, <= max_buffered) */
};

struct meta_engine;

/* limits may be NULL for the defaults; key is used for pseudonyms and must outlive the engine. */
struct meta_engine *meta_new(const struct meta_limits *limits, const struct pseudo *key,
			     meta_cb cb, void *ctx);
/* Examine one decoded packet; may call cb zero or more times before returning. */
void meta_packet(struct meta_engine *m, const struct pkt *p);
/* Hash every hello's fingerprints as it is parsed (always), for a caller that matches on
 * them; by default (false) the engine leaves u.tls->ja3 and ja4 "" and a callback that needs
 * them asks meta_tls_fingerprints. */
void meta_set_fingerprints(struct meta_engine *m, bool always);
/* In a META_TLS callback: *out = *ev->u.tls with ja3 and ja4 filled in. Returns 0, or -1
 * (out all zero) for an event that is not META_TLS. */
int meta_tls_fingerprints(const struct meta_event *ev, struct tls_hello *out);
/* Release every stream (end of input); wipes all buffers. */
void meta_flush(struct meta_engine *m);
const struct meta_counts *meta_counts(const struct meta_engine *m);
void meta_free(struct meta_engine *m);

/* Client/server payload bytes the engine holds right now (first-flight buffers, DNS over TCP
 * partial messages, SMTP partial command lines); 0 after meta_flush(). */
size_t meta_buffered(const struct meta_engine *m);
/* For tests of rule 1: true iff the needle occurs in any memory the engine holds (its own
 * struct, the stream table, every buffer and SMTP state). Slow: scans everything. */
bool meta_contains(const struct meta_engine *m, const void *needle, size_t n);

#endif

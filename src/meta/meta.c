/*
 * meta.c — the extraction engine (see meta.h for the picture).
 *
 * NOTES ON THE DESIGN
 *
 * UDP. A datagram with either port 53 is one DNS message: dns_parse, event or dns_err.
 * Fragments of IP datagrams are not reassembled here; they are counted and skipped.
 *
 * TCP streams. All state lives in one pool of max_streams entries allocated by meta_new(),
 * threaded on three index lists: a free list, hash chains (the packet's keyed pair hash,
 * struct pkt.pair_hash, computed once by the decoder: both directions find the same entry)
 * and an LRU list whose tail is
 * the stream touched longest ago. Because packets arrive in time order, the LRU tail is also
 * the stream idle longest: the idle timeout (by packet timestamps) pops from the tail, and a
 * full table evicts the tail. Nothing is allocated per packet: only a stream's first-flight
 * buffer (stream_bytes, allocated when a flight does not fit one segment) and, for SMTP, one
 * struct smtp_state per session.
 *
 * Orientation. The client is the sender of a SYN without ACK (or the receiver of a SYN-ACK).
 * A stream first seen mid-connection (a segment with payload, no SYN) takes the side with
 * the lower port as the server. Apart from SYNs, segments without payload never create a
 * stream, so stray ACKs, FINs and RSTs cost nothing.
 *
 * Reassembly, per direction:  [ .... delivered .... | next_seq ....... ]
 *   seq == next_seq   delivered whole;
 *   seq <  next_seq   a retransmission: the overlap is skipped, any new tail delivered;
 *   seq >  next_seq   out of order: counted and dropped (the sender will retransmit it).
 * Only client→server bytes are reassembled, except on port 53 where server responses are
 * DNS messages too.
 *
 * First flight. The client's first bytes are offered to tls_parse_client_hello_nofp (the
 * event carries those bytes, so that the callback can have the fingerprints hashed by
 * meta_tls_fingerprints when it needs them, before the buffer is wiped; with
 * meta_set_fingerprints, to tls_parse_client_hello) and then to
 * http_parse_request, in place in the segment when they are complete there; on TLS_MORE /
 * HTTP_MORE they are copied into the stream's buffer and parsed again as segments arrive,
 * up to stream_bytes (then `overflow`). Once decided the buffer is wiped and freed; the entry
 * stays, small, until both FINs, an RST or the idle timeout. After an HTTP request, a later
 * segment that starts a request is parsed the same way (keep-alive).
 *
 * SMTP. A stream to port 25, 587 or 2525, or whose client begins with EHLO/HELO, gets a
 * struct smtp_state; every in-order client byte goes through smtp_feed, which keeps only a
 * partial command line and never message content.
 *
 * DNS over TCP: each direction is a sequence of <length:2><message> units. Whole units in a
 * segment are parsed in place; a partial unit at the end is kept in that direction's buffer
 * (at most stream_bytes; longer messages count as overflow and the direction is dropped) and
 * completed by the following in-order segments.
 *
 * Memory cap. Every buffer (a direction's stream_bytes, an SMTP state) is charged to
 * counts.buffer_bytes when allocated and credited when freed (a direction's buffer is charged
 * all of stream_bytes at once but starts at 2 KiB and grows, by copy and wipe, as bytes come:
 * most flights never need more, and zeroing and wiping 16 KiB per stream cost more than
 * parsing them); an allocation that would take
 * it past lim.max_buffered is refused and counted (buffer_refused), and the stream goes on as
 * an overflowed one: no extraction from that flight or direction, nothing kept. So the
 * payload bytes held (meta_buffered, at most what is allocated) never pass the cap, whatever
 * the number of streams. A refusal is final for what it concerns, as an overflow is: the
 * first flight (a later keep-alive request may try again), the DNS direction, the SMTP
 * session.
 *
 * Every release of a buffer or an SMTP state wipes it (sodium_memzero) before free().
 */
#include "meta/meta.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

#define NIL UINT32_MAX
#define MAX_STREAMS_LIMIT (1u << 24)
#define STREAM_BYTES_LIMIT (1u << 20)
#define MAX_BUFFERED_DEFAULT ((size_t)32 << 20)

enum phase {
	PH_NEW,    /* no client payload yet */
	PH_FIRST,  /* deciding the first flight (TLS / HTTP) */
	PH_HTTP,   /* after an HTTP request: parse later requests (keep-alive) */
	PH_SMTP,   /* every client byte to smtp_feed */
	PH_DNS,    /* port 53: length-prefixed messages both ways */
	PH_DONE,   /* nothing more to extract: follow sequence numbers only */
};

enum pending { PEND_NONE, PEND_TLS, PEND_HTTP };

struct dir {
	uint32_t next_seq;
	bool seq_known;
	bool fin;
	bool gave_up;     /* DNS over TCP: a message too large for the buffer */
	uint32_t len;     /* bytes in buf */
	uint32_t size;    /* bytes allocated at buf (grows up to lim.stream_bytes) */
	uint8_t *buf;     /* charged lim.stream_bytes; wiped before free; NULL when idle */
};

struct stream {
	struct sk_addr cli, srv;
	uint16_t cport, sport;
	uint8_t phase;
	uint8_t pending;
	uint32_t bucket;
	uint32_t hnext;           /* hash chain, or free list */
	uint32_t lprev, lnext;    /* LRU: prev is more recent */
	uint64_t last_us;
	struct dir d[2];          /* 0: client → server, 1: server → client */
	struct smtp_state *smtp;  /* from buf_get() for SMTP sessions; wiped before free */
};

struct meta_engine {
	struct meta_limits lim;
	const struct pseudo *key;
	meta_cb cb;
	void *ctx;
	struct meta_counts c;

	struct stream *pool;      /* lim.max_streams entries */
	uint32_t *bucket;         /* heads of hash chains */
	uint32_t mask;            /* number of buckets - 1 */
	uint32_t free_head;
	uint32_t lru_head, lru_tail;

	bool fingerprints;        /* hash every hello's JA3/JA4 (meta_set_fingerprints) */
	const struct pkt *cur;    /* the packet being examined (for events) */
	struct dns_msg dns;       /* scratch; all zero between messages (dns_one) */
};

/* ---- events ---------------------------------------------------------------------------- */

/* Hand one event to the callback, from the packet being examined. */
static void emit(struct meta_engine *m, struct meta_event ev)
{
	ev.pkt = m->cur;
	if (m->cb)
		m->cb(m->ctx, &ev);
}

void meta_set_fingerprints(struct meta_engine *m, bool always)
{
	m->fingerprints = always;
}

int meta_tls_fingerprints(const struct meta_event *ev, struct tls_hello *out)
{
	size_t need;

	/* the bytes parsed as a whole hello a moment ago parse the same way again */
	if (ev->kind == META_TLS && ev->tls_stream &&
	    tls_parse_client_hello(ev->tls_stream, ev->tls_stream_len, out, &need) == TLS_OK)
		return 0;
	memset(out, 0, sizeof(*out));
	return -1;
}

/* m->dns is all zero between messages: parsed into without clearing it all first, and
 * cleared of what the parse wrote once the event has been handled. */
static void dns_one(struct meta_engine *m, const uint8_t *msg, size_t len)
{
	if (dns_parse_cleared(msg, len, &m->dns) == DNS_OK) {
		m->c.dns++;
		emit(m, (struct meta_event){ .kind = META_DNS, .u.dns = &m->dns });
	} else {
		m->c.dns_err++;
	}
	dns_clear(&m->dns);
}

static void on_smtp(void *ctx, const struct smtp_cmd *cmd)
{
	struct meta_engine *m = ctx;

	m->c.smtp_cmds++;
	emit(m, (struct meta_event){ .kind = META_SMTP, .u.smtp = cmd });
}

/* ---- buffers --------------------------------------------------------------------------- */

/* Allocate size zeroed bytes charged to the memory cap; NULL (counted) if the cap or the
 * allocator refuses. */
static void *buf_get(struct meta_engine *m, size_t size)
{
	void *p;

	if (size > m->lim.max_buffered || m->c.buffer_bytes > m->lim.max_buffered - size) {
		m->c.buffer_refused++;
		return NULL;
	}
	p = calloc(1, size);
	if (!p) {
		m->c.buffer_refused++;
		return NULL;
	}
	m->c.buffer_bytes += size;
	return p;
}

/* Wipe and free a buffer from buf_get(). */
static void buf_put(struct meta_engine *m, void *p, size_t size)
{
	if (!p)
		return;
	sodium_memzero(p, size);
	free(p);
	m->c.buffer_bytes -= size;
}

/* First size of a direction's buffer: most first flights (a ClientHello, a request
 * header) are well under 2 KiB; zeroing and wiping all of stream_bytes for each of them cost
 * more than the rest of the engine. */
#define DIR_BUF_FIRST 2048u

static void dir_drop_buf(struct meta_engine *m, struct dir *d)
{
	if (d->buf) {
		sodium_memzero(d->buf, d->size);
		free(d->buf);
		m->c.buffer_bytes -= m->lim.stream_bytes;
	}
	d->buf = NULL;
	d->len = 0;
	d->size = 0;
}

/* Make room for len + n bytes (n > 0, len + n <= stream_bytes): the new block is zeroed, the
 * old one copied and wiped. False if the allocator refuses. */
static bool dir_grow(struct dir *d, size_t need, size_t cap)
{
	size_t size = d->size ? d->size : DIR_BUF_FIRST;
	uint8_t *q;

	while (size < need)
		size *= 2;
	if (size > cap)
		size = cap;
	q = calloc(1, size);
	if (!q)
		return false;
	if (d->buf) {
		memcpy(q, d->buf, d->len);
		sodium_memzero(d->buf, d->size);
		free(d->buf);
	}
	d->buf = q;
	d->size = (uint32_t)size;
	return true;
}

enum append { AP_OK, AP_FULL, AP_REFUSED };

/* Append to the direction's buffer, allocating it on first use: it is charged stream_bytes
 * to the memory cap at once (so the cap counts buffers, whatever their size now), and grows
 * within that. Copies what fits: AP_FULL if not everything did, AP_REFUSED (nothing copied)
 * if no buffer could be had. */
static enum append dir_append(struct meta_engine *m, struct dir *d, const uint8_t *data,
			      size_t n)
{
	size_t cap = m->lim.stream_bytes, take;

	if (!d->buf) {
		if (cap > m->lim.max_buffered || m->c.buffer_bytes > m->lim.max_buffered - cap) {
			m->c.buffer_refused++;
			return AP_REFUSED;
		}
		d->len = 0;
		d->size = 0;
		if (!dir_grow(d, n < cap ? n : cap, cap)) {
			m->c.buffer_refused++;
			return AP_REFUSED;
		}
		m->c.buffer_bytes += cap;
	}
	take = n > cap - d->len ? cap - d->len : n;
	if (d->len + take > d->size && !dir_grow(d, d->len + take, cap))
		take = d->size - d->len;   /* out of memory: what fits, then the flight overflows */
	memcpy(d->buf + d->len, data, take);
	d->len += (uint32_t)take;
	return take < n ? AP_FULL : AP_OK;
}

/* ---- the stream table ------------------------------------------------------------------ */

static uint32_t lookup(const struct meta_engine *m, const struct pkt *p, uint32_t bucket,
		       bool *from_client)
{
	for (uint32_t i = m->bucket[bucket]; i != NIL; i = m->pool[i].hnext) {
		const struct stream *s = &m->pool[i];

		if (s->cport == p->sport && s->sport == p->dport &&
		    addr_eq(&s->cli, &p->src) && addr_eq(&s->srv, &p->dst)) {
			*from_client = true;
			return i;
		}
		if (s->cport == p->dport && s->sport == p->sport &&
		    addr_eq(&s->cli, &p->dst) && addr_eq(&s->srv, &p->src)) {
			*from_client = false;
			return i;
		}
	}
	return NIL;
}

static void lru_unlink(struct meta_engine *m, uint32_t i)
{
	struct stream *s = &m->pool[i];

	if (s->lprev != NIL)
		m->pool[s->lprev].lnext = s->lnext;
	else
		m->lru_head = s->lnext;
	if (s->lnext != NIL)
		m->pool[s->lnext].lprev = s->lprev;
	else
		m->lru_tail = s->lprev;
	s->lprev = s->lnext = NIL;
}

static void lru_push(struct meta_engine *m, uint32_t i)
{
	struct stream *s = &m->pool[i];

	s->lprev = NIL;
	s->lnext = m->lru_head;
	if (m->lru_head != NIL)
		m->pool[m->lru_head].lprev = i;
	m->lru_head = i;
	if (m->lru_tail == NIL)
		m->lru_tail = i;
}

static void stream_release(struct meta_engine *m, uint32_t i)
{
	struct stream *s = &m->pool[i];
	uint32_t *pp = &m->bucket[s->bucket];

	while (*pp != i)
		pp = &m->pool[*pp].hnext;
	*pp = s->hnext;
	lru_unlink(m, i);

	for (int k = 0; k < 2; k++)
		dir_drop_buf(m, &s->d[k]);
	if (s->smtp) {
		smtp_wipe(s->smtp);
		buf_put(m, s->smtp, sizeof(*s->smtp));
	}
	memset(s, 0, sizeof(*s));
	s->hnext = m->free_head;
	s->lprev = s->lnext = NIL;
	m->free_head = i;
	m->c.streams_open--;
}

static void expire(struct meta_engine *m, uint64_t now)
{
	while (m->lru_tail != NIL) {
		uint64_t last = m->pool[m->lru_tail].last_us;

		if (now <= last || now - last <= m->lim.idle_us)
			break;
		stream_release(m, m->lru_tail);
		m->c.streams_timed_out++;
	}
}

static bool is_smtp_port(uint16_t port)
{
	return port == 25 || port == 587 || port == 2525;
}

static uint32_t stream_new(struct meta_engine *m, const struct pkt *p, uint32_t bucket,
			   bool sender_is_client)
{
	uint32_t i;
	struct stream *s;

	if (m->free_head == NIL) {
		stream_release(m, m->lru_tail);
		m->c.streams_evicted++;
	}
	i = m->free_head;
	s = &m->pool[i];
	m->free_head = s->hnext;
	memset(s, 0, sizeof(*s));
	if (sender_is_client) {
		s->cli = p->src, s->cport = p->sport;
		s->srv = p->dst, s->sport = p->dport;
	} else {
		s->cli = p->dst, s->cport = p->dport;
		s->srv = p->src, s->sport = p->sport;
	}
	s->phase = (s->sport == 53 || s->cport == 53) ? PH_DNS : PH_NEW;
	s->bucket = bucket;
	s->hnext = m->bucket[bucket];
	m->bucket[bucket] = i;
	lru_push(m, i);
	m->c.streams++;
	m->c.streams_open++;
	return i;
}

/* ---- client payload -------------------------------------------------------------------- */

static bool starts_helo(const uint8_t *data, size_t len)
{
	struct cur c = cur_make(data, len);
	char v[5];

	if (!cur_has(&c, 5))
		return false;
	for (int k = 0; k < 4; k++)
		v[k] = (char)(cur_peek(&c, k) & ~0x20);   /* upper case */
	v[4] = (char)cur_peek(&c, 4);
	return (memcmp(v, "EHLO", 4) == 0 || memcmp(v, "HELO", 4) == 0) &&
	       (v[4] == ' ' || v[4] == '\r' || v[4] == '\n');
}

enum verdict { V_DONE, V_MORE };

/* Try to decide a flight from data[0..len): a ClientHello or an HTTP request. */
static enum verdict parse_flight(struct meta_engine *m, struct stream *s, const uint8_t *data,
				 size_t len)
{
	if (s->phase == PH_FIRST && s->pending != PEND_HTTP) {
		struct tls_hello h;
		size_t need = 0;

		switch (m->fingerprints ? tls_parse_client_hello(data, len, &h, &need)
					: tls_parse_client_hello_nofp(data, len, &h, &need)) {
		case TLS_OK:
			m->c.tls++;
			emit(m, (struct meta_event){ .kind = META_TLS, .u.tls = &h,
						     .tls_stream = data, .tls_stream_len = len });
			s->phase = PH_DONE;
			return V_DONE;
		case TLS_MORE:
			s->pending = PEND_TLS;
			if (need > m->lim.stream_bytes) {
				m->c.overflow++;
				s->phase = PH_DONE;
				return V_DONE;
			}
			return V_MORE;
		case TLS_ERR:
			m->c.tls_err++;
			s->phase = PH_DONE;
			return V_DONE;
		case TLS_NOT_TLS:
			if (s->pending == PEND_TLS) {   /* cannot happen with a consistent parser */
				m->c.tls_err++;
				s->phase = PH_DONE;
				return V_DONE;
			}
			break;
		}
	}

	struct http_req r;
	size_t used = 0;

	switch (http_parse_request(data, len, m->key, &r, &used)) {
	case HTTP_OK:
		m->c.http++;
		emit(m, (struct meta_event){ .kind = META_HTTP, .u.http = &r });
		s->phase = PH_HTTP;
		s->pending = PEND_NONE;
		return V_DONE;
	case HTTP_MORE:
		s->pending = PEND_HTTP;
		return V_MORE;
	case HTTP_ERR:
		m->c.http_err++;
		break;
	case HTTP_NOT_HTTP:
		break;
	}
	if (s->phase == PH_FIRST)
		s->phase = PH_DONE;   /* neither protocol: nothing more to look for */
	s->pending = PEND_NONE;   /* keep-alive: stay in PH_HTTP, wait for the next request */
	return V_DONE;
}

/* A client segment's new bytes while the first flight (or a keep-alive request) is open. */
static void flight(struct meta_engine *m, struct stream *s, const uint8_t *data, size_t n)
{
	struct dir *d = &s->d[0];
	size_t cap = m->lim.stream_bytes;
	enum verdict v;

	if (d->len == 0) {
		/* Nothing buffered: parse in place; copy only if the flight goes on. */
		v = parse_flight(m, s, data, n);
		if (v == V_DONE)
			return;
		if (n >= cap) {
			m->c.overflow++;
			goto decided;
		}
		if (dir_append(m, d, data, n) == AP_REFUSED)   /* counted as buffer_refused */
			goto decided;
		return;
	}

	bool fits = dir_append(m, d, data, n) == AP_OK;   /* the buffer exists: never refused */

	v = parse_flight(m, s, d->buf, d->len);
	if (v == V_MORE && (!fits || d->len >= cap)) {
		m->c.overflow++;
		goto decided;
	}
	if (v == V_MORE)
		return;
decided:
	if (s->phase == PH_FIRST)
		s->phase = PH_DONE;
	s->pending = PEND_NONE;
	dir_drop_buf(m, d);
}

/* DNS over TCP, one direction's new in-order bytes. */
static void dns_tcp(struct meta_engine *m, struct stream *s, int k, const uint8_t *data, size_t n)
{
	struct dir *d = &s->d[k];
	const uint8_t *p = data;
	size_t len = n, left;
	enum append ap = AP_OK;

	if (d->gave_up)
		return;
	if (d->len) {
		ap = dir_append(m, d, data, n);
		if (ap != AP_OK)
			goto overflow;
		p = d->buf;
		len = d->len;
	}

	struct cur c = cur_make(p, len);

	while (cur_has(&c, 2)) {
		size_t start = c.off;
		uint16_t mlen = cur_be16(&c);

		if (!cur_has(&c, mlen)) {
			c.off = start;
			break;
		}
		struct cur msg = cur_sub(&c, mlen);
		dns_one(m, msg.data, msg.len);
	}
	left = cur_left(&c);

	if (p == data) {
		if (left) {
			ap = dir_append(m, d, cur_ptr(&c), left);
			if (ap != AP_OK)
				goto overflow;
		}
		return;
	}
	memmove(d->buf, cur_ptr(&c), left);
	sodium_memzero(d->buf + left, d->len - left);
	d->len = (uint32_t)left;
	if (!left)
		dir_drop_buf(m, d);
	return;
overflow:
	if (ap == AP_FULL)
		m->c.overflow++;   /* AP_REFUSED is counted as buffer_refused */
	d->gave_up = true;
	dir_drop_buf(m, d);
}

static void client_bytes(struct meta_engine *m, struct stream *s, const uint8_t *data, size_t n)
{
	if (s->phase == PH_NEW) {
		if (is_smtp_port(s->sport) || starts_helo(data, n)) {
			s->smtp = buf_get(m, sizeof(*s->smtp));
			if (!s->smtp) {   /* refused: counted, nothing extracted */
				s->phase = PH_DONE;
				return;
			}
			smtp_init(s->smtp);
			s->phase = PH_SMTP;
			m->c.smtp_sessions++;
		} else {
			s->phase = PH_FIRST;
		}
	}

	switch (s->phase) {
	case PH_FIRST:
		flight(m, s, data, n);
		break;
	case PH_HTTP:
		if (s->pending == PEND_HTTP || http_looks_like_request(data, n))
			flight(m, s, data, n);
		break;
	case PH_SMTP:
		smtp_feed(s->smtp, data, n, m->key, on_smtp, m);
		break;
	case PH_DNS:
		dns_tcp(m, s, 0, data, n);
		break;
	default:
		break;
	}
}

/* Deliver the part of a segment that is new in its direction's sequence space. */
static void deliver(struct meta_engine *m, struct stream *s, int k, const struct pkt *p)
{
	struct dir *d = &s->d[k];
	uint32_t seq = p->seq + ((p->tcp_flags & TCPF_SYN) ? 1 : 0);
	struct cur c = cur_make(p->payload, p->payload_len);
	int32_t diff;

	if (k == 1 && s->phase != PH_DNS)
		return;   /* server bytes matter only for DNS */
	if (!d->seq_known) {
		d->next_seq = seq;
		d->seq_known = true;
	}
	diff = (int32_t)(seq - d->next_seq);
	if (diff > 0) {
		if (s->phase != PH_DONE)
			m->c.out_of_order++;
		return;
	}
	if (diff < 0) {
		uint32_t dup = (uint32_t)-(int64_t)diff;

		if (dup >= p->payload_len)
			return;   /* all of it seen before */
		cur_skip(&c, dup);
	}
	d->next_seq += (uint32_t)cur_left(&c);
	if (k == 0)
		client_bytes(m, s, cur_ptr(&c), cur_left(&c));
	else
		dns_tcp(m, s, 1, cur_ptr(&c), cur_left(&c));
}

static void tcp_packet(struct meta_engine *m, const struct pkt *p)
{
	uint8_t fl = p->tcp_flags;
	bool syn = fl & TCPF_SYN, ack = fl & TCPF_ACK, from_client = true;
	uint32_t b = (uint32_t)pkt_pair_hash(p) & m->mask;   /* hashed once, by the decoder */
	uint32_t i = lookup(m, p, b, &from_client);
	struct stream *s;

	if (i != NIL && syn && !ack &&
	    (!from_client || p->seq + 1 != m->pool[i].d[0].next_seq)) {
		/* A new connection on a 5-tuple whose old one we did not see end (a retransmitted
		 * SYN carries the same ISN, and no data can have followed it). */
		stream_release(m, i);
		i = NIL;
	}
	if (i == NIL) {
		if (fl & TCPF_RST)
			return;
		if (!syn && p->payload_len == 0)
			return;   /* a stray ACK or FIN starts nothing */
		bool sender_is_client;
		if (syn)
			sender_is_client = !ack;
		else
			sender_is_client = p->sport > p->dport;   /* lower port is the server */
		i = stream_new(m, p, b, sender_is_client);
		from_client = sender_is_client;
	} else {
		lru_unlink(m, i);
		lru_push(m, i);
	}
	s = &m->pool[i];
	s->last_us = p->ts_us;

	if (fl & TCPF_RST) {
		stream_release(m, i);
		return;
	}
	int k = from_client ? 0 : 1;
	if (syn) {
		s->d[k].next_seq = p->seq + 1;
		s->d[k].seq_known = true;
	}
	if (p->payload_len)
		deliver(m, s, k, p);
	if (fl & TCPF_FIN) {
		s->d[k].fin = true;
		if (s->d[0].fin && s->d[1].fin)
			stream_release(m, i);
	}
}

/* ---- the public interface -------------------------------------------------------------- */

struct meta_engine *meta_new(const struct meta_limits *limits, const struct pseudo *key,
			     meta_cb cb, void *ctx)
{
	struct meta_engine *m = NULL;
	uint32_t nb = 1;

	if (sodium_init() < 0)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->lim.max_streams = 65536;
	m->lim.stream_bytes = 16384;
	m->lim.idle_us = 30ull * 1000000;
	m->lim.max_buffered = MAX_BUFFERED_DEFAULT;
	if (limits) {
		if (limits->max_streams)
			m->lim.max_streams = limits->max_streams;
		if (limits->stream_bytes)
			m->lim.stream_bytes = limits->stream_bytes;
		if (limits->idle_us)
			m->lim.idle_us = limits->idle_us;
		if (limits->max_buffered)
			m->lim.max_buffered = limits->max_buffered;
	}
	if (m->lim.max_streams > MAX_STREAMS_LIMIT)
		m->lim.max_streams = MAX_STREAMS_LIMIT;
	if (m->lim.stream_bytes > STREAM_BYTES_LIMIT)
		m->lim.stream_bytes = STREAM_BYTES_LIMIT;
	m->key = key;
	m->cb = cb;
	m->ctx = ctx;

	while (nb < m->lim.max_streams)
		nb <<= 1;
	m->mask = nb - 1;
	m->pool = calloc(m->lim.max_streams, sizeof(*m->pool));
	m->bucket = malloc(nb * sizeof(*m->bucket));
	if (!m->pool || !m->bucket)
		goto fail;
	for (uint32_t k = 0; k < nb; k++)
		m->bucket[k] = NIL;
	for (size_t k = 0; k < m->lim.max_streams; k++) {
		m->pool[k].hnext = k + 1 < m->lim.max_streams ? (uint32_t)(k + 1) : NIL;
		m->pool[k].lprev = m->pool[k].lnext = NIL;
	}
	m->free_head = 0;
	m->lru_head = m->lru_tail = NIL;
	return m;
fail:
	free(m->pool);
	free(m->bucket);
	free(m);
	return NULL;
}

void meta_packet(struct meta_engine *m, const struct pkt *p)
{
	m->cur = p;
	expire(m, p->ts_us);
	if (p->frag) {
		if (p->proto == 6 || p->proto == 17)
			m->c.fragments++;
		goto out;
	}
	if (!p->has_l4)
		goto out;
	if (p->proto == 17) {
		if (p->sport == 53 || p->dport == 53)
			dns_one(m, p->payload, p->payload_len);
	} else if (p->proto == 6) {
		tcp_packet(m, p);
	}
out:
	m->cur = NULL;
}

void meta_flush(struct meta_engine *m)
{
	while (m->lru_head != NIL)
		stream_release(m, m->lru_head);
	sodium_memzero(&m->dns, sizeof(m->dns));
}

const struct meta_counts *meta_counts(const struct meta_engine *m)
{
	return &m->c;
}

void meta_free(struct meta_engine *m)
{
	if (!m)
		return;
	meta_flush(m);
	free(m->pool);
	free(m->bucket);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

size_t meta_buffered(const struct meta_engine *m)
{
	size_t n = 0;

	for (uint32_t i = m->lru_head; i != NIL; i = m->pool[i].lnext) {
		const struct stream *s = &m->pool[i];

		n += s->d[0].len + s->d[1].len;
		if (s->smtp)
			n += s->smtp->linelen;
	}
	return n;
}

static bool mem_has(const void *mem, size_t len, const void *needle, size_t n)
{
	return n && memmem(mem, len, needle, n) != NULL;
}

bool meta_contains(const struct meta_engine *m, const void *needle, size_t n)
{
	if (mem_has(m, sizeof(*m), needle, n) ||
	    mem_has(m->pool, m->lim.max_streams * sizeof(*m->pool), needle, n) ||
	    mem_has(m->bucket, ((size_t)m->mask + 1) * sizeof(*m->bucket), needle, n))
		return true;
	for (uint32_t i = m->lru_head; i != NIL; i = m->pool[i].lnext) {
		const struct stream *s = &m->pool[i];

		for (int k = 0; k < 2; k++)
			if (s->d[k].buf && mem_has(s->d[k].buf, s->d[k].size, needle, n))
				return true;
		if (s->smtp && mem_has(s->smtp, sizeof(*s->smtp), needle, n))
			return true;
	}
	return false;
}

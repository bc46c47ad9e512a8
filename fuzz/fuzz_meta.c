/*
 * fuzz_meta.c — the extraction engine's stream handling under arbitrary segment sequences.
 *
 * The input is a list of packets for four TCP flows (to 443, 80, 25 and 53) and a UDP/53
 * flow, on a small engine (3 streams, 512-byte buffers, room for two of them or one SMTP
 * state and one buffer, 1 s idle) so that eviction, timeouts, overflow, refusals at the memory
 * cap, retransmissions and out-of-order segments all happen. Each packet is:
 *
 *   <ctl:1> <flags:1> <seq:2> <dt:1> <len:1> <payload: len bytes, cut at the input's end>
 *   ctl: bits 0-1 flow, bit 2 from the server, bit 3 UDP/53 instead, bit 4 IPv6
 *   seq: offset of the segment in its direction's sequence space (around a fixed ISN)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "meta/meta.h"

static void on_event(void *ctx, const struct meta_event *ev)
{
	size_t *n = ctx;

	(*n)++;
	if (ev->kind == META_SMTP)   /* touch what the callback gets */
		*n += strlen(ev->u.smtp->value) & 1;
	if (ev->kind == META_TLS) {  /* the hello's stream parses again, fingerprints and all */
		struct tls_hello h;
		if (meta_tls_fingerprints(ev, &h) != 0 || strcmp(h.sni, ev->u.tls->sni) != 0 ||
		    strcmp(h.alpn, ev->u.tls->alpn) != 0 || ev->u.tls->ja3[0] || !h.ja3[0])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t ports[4] = { 443, 80, 25, 53 };
	static const uint8_t keybytes[PSEUDO_KEYLEN] = { 1 };
	struct meta_limits lim = { .max_streams = 3, .stream_bytes = 512, .idle_us = 1000000,
				   .max_buffered = 1100 };
	struct pseudo key;
	size_t events = 0;
	struct cur c = cur_make(data, size);
	uint64_t ts = 1790812800000000ull;
	struct meta_engine *m;

	pseudo_init(&key, keybytes);
	m = meta_new(&lim, &key, on_event, &events);
	if (!m)
		return 0;
	while (cur_has(&c, 6)) {
		uint8_t ctl = cur_u8(&c), flags = cur_u8(&c);
		uint16_t off = cur_be16(&c);
		uint8_t dt = cur_u8(&c), len = cur_u8(&c);
		struct pkt p;
		unsigned flow = ctl & 3;
		bool from_server = ctl & 4, udp = ctl & 8, v6 = ctl & 16;

		if (len > cur_left(&c))
			len = (uint8_t)cur_left(&c);
		memset(&p, 0, sizeof(p));
		ts += (uint64_t)dt * 20000;
		p.ts_us = ts;
		p.ipver = v6 ? 6 : 4;
		p.proto = udp ? 17 : 6;
		p.has_l4 = true;
		if (v6) {
			uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
			uint8_t b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 10 };
			addr_from_v6(&p.src, a);
			addr_from_v6(&p.dst, b);
		} else {
			addr_from_v4(&p.src, 0xc6336407);
			addr_from_v4(&p.dst, 0xcb00710a);
		}
		p.sport = (uint16_t)(50000 + flow);
		p.dport = udp ? 53 : ports[flow];
		p.seq = (from_server ? 700000u : 100000u) + off;
		p.tcp_flags = flags;
		p.payload = cur_ptr(&c);
		p.payload_len = len;
		cur_skip(&c, len);
		if (from_server) {
			struct sk_addr t = p.src;
			uint16_t tp = p.sport;
			p.src = p.dst, p.dst = t;
			p.sport = p.dport, p.dport = tp;
		}
		meta_packet(m, &p);
		if (meta_buffered(m) > lim.max_buffered ||
		    meta_counts(m)->buffer_bytes > lim.max_buffered ||
		    meta_buffered(m) > meta_counts(m)->buffer_bytes)
			__builtin_trap();
	}
	meta_flush(m);
	if (meta_buffered(m) != 0 || meta_counts(m)->buffer_bytes != 0)
		__builtin_trap();
	meta_free(m);
	return 0;
}

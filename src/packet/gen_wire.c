/*
 * gen_wire.c — the generator's frames: Ethernet (plain, 802.1Q, QinQ), IPv4 and IPv6,
 * TCP, UDP, ICMP and ICMPv6, with every checksum right, as seen at a tap in the middle of
 * a carrier link.
 *
 * A flow (struct gflow) keeps both ends' addresses, ports, TTLs, IP IDs, sequence numbers and
 * one-way delays from the tap. Its clock only moves forward: a frame from the side that sent
 * the last one follows it by tens of microseconds; a frame from the other side comes a round
 * trip (tap → that side → tap) later. The receiver of a long burst acknowledges every second
 * segment at the time its ACK would pass the tap; those ACKs are appended out of order and the
 * session's frames are sorted by time when the session is finished (gen.c).
 *
 * Frame layout: dst MAC, src MAC, [0x88a8 tag] [0x8100 tag], ethertype, IP header, L4,
 * zero padding up to the 60-byte Ethernet minimum (decoders must trust the IP length).
 */
#include <string.h>

#include "packet/gen_int.h"

#define ETH_MIN 60

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* One's-complement sum of big-endian 16-bit words, four bytes at a time. */
static uint64_t csum_acc(uint64_t sum, const uint8_t *p, size_t n)
{
	while (n >= 4) {
		sum += (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	}
	if (n)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t pseudo_sum(const struct gflow *f, int side, uint8_t proto, size_t len)
{
	const struct sk_addr *src = &f->host[side].addr, *dst = &f->host[!side].addr;
	uint64_t sum = 0;

	if (f->v6) {
		sum = csum_acc(sum, src->b, 16);
		sum = csum_acc(sum, dst->b, 16);
	} else {
		sum = csum_acc(sum, src->b + 12, 4);
		sum = csum_acc(sum, dst->b + 12, 4);
	}
	return sum + proto + len;
}

uint16_t gen_l4_checksum(const struct gflow *f, int side, uint8_t proto, const uint8_t *l4,
			 size_t len)
{
	uint64_t sum = (proto == 1) ? 0 : pseudo_sum(f, side, proto, len); /* ICMPv4: none */
	uint16_t c = csum_fold(csum_acc(sum, l4, len));
	if (proto == 17 && c == 0)
		c = 0xffff; /* UDP: zero means "no checksum" */
	return c;
}

static int direction_of(int src, int dst)
{
	if (src == GEO_UNKNOWN || dst == GEO_UNKNOWN)
		return DIR_UNKNOWN;
	if (src == GEO_FOREIGN)
		return dst == GEO_FOREIGN ? DIR_FF : DIR_FD;
	return dst == GEO_FOREIGN ? DIR_DF : DIR_DD;
}

void flow_init(struct gflow *f, struct gen *g, struct gsess *s, uint64_t t,
	       const struct ghost *cli, const struct ghost *srv, uint16_t sport, uint16_t dport)
{
	struct rng *r = &g->rng;
	static const uint8_t ttl_cli[] = { 64, 64, 128, 128, 64 };
	static const uint8_t ttl_srv[] = { 64, 64, 64, 128, 255 };

	memset(f, 0, sizeof(*f));
	f->g = g;
	f->s = s;
	f->host[0] = *cli;
	f->host[1] = *srv;
	f->v6 = !addr_is_v4(&cli->addr);
	g->flow_id++;
	f->port[0] = sport ? sport : (uint16_t)(rng_pct(r, 60) ? rng_range(r, 32768, 60999)
							     : rng_range(r, 49152, 65535));
	f->port[1] = dport;
	/* one draw per statement: C leaves the order of operands' evaluation open */
	f->ttl[0] = (uint8_t)RNG_PICK(r, ttl_cli);
	f->ttl[0] = (uint8_t)(f->ttl[0] - rng_range(r, 3, 18));
	f->ttl[1] = (uint8_t)RNG_PICK(r, ttl_srv);
	f->ttl[1] = (uint8_t)(f->ttl[1] - rng_range(r, 3, 22));
	f->ipid[0] = (uint16_t)rng_next(r);
	f->ipid[1] = (uint16_t)rng_next(r);
	f->mac_pair = (uint8_t)rng_below(r, 4);
	f->flowlabel = (uint32_t)rng_next(r) & 0xfffff;

	unsigned v = (unsigned)rng_below(r, 100);
	if (v < 10) {
		f->nvlan = 1;
		f->vlan_tpid[0] = 0x8100;
		f->vlan_tci[0] = (uint16_t)RNG_PICK(r, ((const uint16_t[]){ 100, 200, 301, 302, 1010 }));
	} else if (v < 15) {
		f->nvlan = 2;
		f->vlan_tpid[0] = 0x88a8;
		f->vlan_tci[0] = (uint16_t)rng_range(r, 1000, 1003);
		f->vlan_tpid[1] = 0x8100;
		f->vlan_tci[1] = (uint16_t)rng_range(r, 10, 4000);
	}
	f->dir[0] = (uint8_t)direction_of(cli->cls, srv->cls);
	f->dir[1] = (uint8_t)direction_of(srv->cls, cli->cls);

	f->t = t;
	f->last_side = -1;
	f->delay[0] = (uint32_t)rng_range(r, 300, 30000);
	f->delay[1] = (uint32_t)rng_range(r, 500, 120000);
	f->seq[0] = (uint32_t)rng_next(r);
	f->seq[1] = (uint32_t)rng_next(r);
	f->win[0] = (uint16_t)rng_range(r, 500, 2048);
	f->win[1] = (uint16_t)rng_range(r, 230, 1024);
	f->mss = f->v6 ? 1440 : 1460;
}

uint64_t flow_next_ts(struct gflow *f, int side)
{
	struct rng *r = &f->g->rng;
	uint64_t ts;

	if (f->last_side < 0)
		ts = f->t;
	else if (side == f->last_side)
		ts = f->t + rng_range(r, 5, 120);
	else
		ts = f->t + 2ull * f->delay[side] + rng_range(r, 200, 3000);
	f->t = ts;
	f->last_side = side;
	return ts;
}

/*
 * Frame assembly: frame_begin() writes the link header and reserves the IP header, the caller
 * writes the L4 bytes at the returned offset, frame_end() fills in the IP header and the L4
 * checksum and pads.
 */
struct fb {
	uint8_t *p;
	size_t l3, l4;
};

static bool frame_begin(struct gflow *f, int side, uint64_t ts, struct fb *fb)
{
	const uint8_t *src = f->g->mac[f->mac_pair * 2 + side];
	const uint8_t *dst = f->g->mac[f->mac_pair * 2 + !side];
	size_t n = 12;

	fb->p = sess_frame_begin(f->s, ts);
	if (!fb->p)
		return false;
	memcpy(fb->p, dst, 6);
	memcpy(fb->p + 6, src, 6);
	for (int i = 0; i < f->nvlan; i++) {
		put16(fb->p + n, f->vlan_tpid[i]);
		put16(fb->p + n + 2, f->vlan_tci[i]);
		n += 4;
	}
	put16(fb->p + n, f->v6 ? 0x86dd : 0x0800);
	fb->l3 = n + 2;
	fb->l4 = fb->l3 + (f->v6 ? 40 : 20);
	return true;
}

/* frag: IPv4 flags+offset field; csum_off: where the L4 checksum goes, or < 0 for none. */
static void frame_end(struct gflow *f, int side, struct fb *fb, uint8_t proto, size_t l4len,
		      uint16_t frag, int csum_off)
{
	uint8_t *ip = fb->p + fb->l3, *l4 = fb->p + fb->l4;
	const struct sk_addr *src = &f->host[side].addr, *dst = &f->host[!side].addr;

	if (f->v6) {
		put32(ip, 6u << 28 | f->flowlabel);
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = f->ttl[side];
		memcpy(ip + 8, src->b, 16);
		memcpy(ip + 24, dst->b, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = 0;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, f->ipid[side]++);
		put16(ip + 6, frag);
		ip[8] = f->ttl[side];
		ip[9] = proto;
		put16(ip + 10, 0);
		memcpy(ip + 12, src->b + 12, 4);
		memcpy(ip + 16, dst->b + 12, 4);
		put16(ip + 10, csum_fold(csum_acc(0, ip, 20)));
	}
	if (csum_off >= 0) {
		put16(l4 + csum_off, 0);
		put16(l4 + csum_off, gen_l4_checksum(f, side, proto, l4, l4len));
	}
	size_t len = fb->l4 + l4len;
	if (len < ETH_MIN) {
		memset(fb->p + len, 0, ETH_MIN - len);
		len = ETH_MIN;
	}
	sess_frame_end(f->s, (uint32_t)len, f->dir[side]);
}

#define IP_DF 0x4000

void tcp_raw(struct gflow *f, int side, uint64_t ts, uint32_t seq, uint32_t ack, uint8_t flags,
	     uint16_t win, const uint8_t *opts, size_t optlen)
{
	struct fb fb;

	if (!frame_begin(f, side, ts, &fb))
		return;
	uint8_t *t = fb.p + fb.l4;
	size_t hl = 20 + optlen;
	put16(t, f->port[side]);
	put16(t + 2, f->port[!side]);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, win);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (optlen)
		memcpy(t + 20, opts, optlen);
	frame_end(f, side, &fb, 6, hl, f->v6 ? 0 : IP_DF, 16);
}

/* One segment carrying data[0..len) with the flow's own sequence numbers. */
static void tcp_seg(struct gflow *f, int side, uint64_t ts, uint8_t flags, const uint8_t *data,
		    size_t len, const uint8_t *opts, size_t optlen)
{
	struct fb fb;
	uint32_t ack = (flags & 0x10) ? f->seq[!side] : 0;

	if (!frame_begin(f, side, ts, &fb))
		goto out;
	uint8_t *t = fb.p + fb.l4;
	size_t hl = 20 + optlen;
	put16(t, f->port[side]);
	put16(t + 2, f->port[!side]);
	put32(t + 4, f->seq[side]);
	put32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, (flags & 0x02) ? (uint16_t)(f->mss == 1460 ? 64240 : 65535) : f->win[side]);
	put16(t + 16, 0);
	put16(t + 18, 0);
	if (optlen)
		memcpy(t + 20, opts, optlen);
	if (len)
		memcpy(t + hl, data, len);
	frame_end(f, side, &fb, 6, hl + len, f->v6 ? 0 : IP_DF, 16);
out:
	f->seq[side] += (uint32_t)len + ((flags & 0x03) ? 1 : 0); /* SYN and FIN count one */
}

void tcp_open(struct gflow *f)
{
	/* MSS, NOP, window scale 7, NOP, NOP, SACK permitted */
	uint8_t opts[12] = { 2, 4, 0, 0, 1, 3, 3, 7, 1, 1, 4, 2 };

	put16(opts + 2, f->mss);
	tcp_seg(f, 0, flow_next_ts(f, 0), 0x02, NULL, 0, opts, sizeof(opts));
	tcp_seg(f, 1, flow_next_ts(f, 1), 0x12, NULL, 0, opts, sizeof(opts));
	tcp_seg(f, 0, flow_next_ts(f, 0), 0x10, NULL, 0, NULL, 0);
}

int tcp_send(struct gflow *f, int side, const uint8_t *data, size_t len, const size_t *cuts,
	     int ncuts)
{
	struct rng *r = &f->g->rng;
	size_t off = 0;
	int nseg = 0, ci = 0;

	while (off < len) {
		size_t end = len;
		while (ci < ncuts && cuts[ci] <= off)
			ci++;
		if (ci < ncuts && cuts[ci] < end)
			end = cuts[ci];
		size_t n = end - off;
		bool last_of_write = true;
		if (n > f->mss) {
			n = f->mss;
			last_of_write = false;
		}
		uint64_t ts = flow_next_ts(f, side);
		tcp_seg(f, side, ts, 0x10 | (last_of_write ? 0x08 : 0), data + off, n, NULL, 0);
		off += n;
		nseg++;
		if (nseg % 2 == 0 && off < len) {
			/* the receiver's delayed ACK passes the tap a round trip later */
			uint64_t at = ts + 2ull * f->delay[!side] + rng_range(r, 0, 100);
			tcp_raw(f, !side, at, f->seq[!side], f->seq[side], 0x10, f->win[!side], NULL, 0);
		}
	}
	return nseg;
}

void tcp_ack(struct gflow *f, int side)
{
	tcp_seg(f, side, flow_next_ts(f, side), 0x10, NULL, 0, NULL, 0);
}

void tcp_close(struct gflow *f, int side)
{
	tcp_seg(f, side, flow_next_ts(f, side), 0x11, NULL, 0, NULL, 0);
	tcp_seg(f, !side, flow_next_ts(f, !side), 0x11, NULL, 0, NULL, 0);
	tcp_seg(f, side, flow_next_ts(f, side), 0x10, NULL, 0, NULL, 0);
}

void udp_send(struct gflow *f, int side, const uint8_t *data, size_t len)
{
	struct fb fb;

	if (!frame_begin(f, side, flow_next_ts(f, side), &fb))
		return;
	uint8_t *u = fb.p + fb.l4;
	put16(u, f->port[side]);
	put16(u + 2, f->port[!side]);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, data, len);
	frame_end(f, side, &fb, 17, 8 + len, 0, 6);
}

void icmp_echo(struct gflow *f, int side, bool reply, uint16_t id, uint16_t seq,
	       const uint8_t *data, size_t len)
{
	struct fb fb;

	if (!frame_begin(f, side, flow_next_ts(f, side), &fb))
		return;
	uint8_t *c = fb.p + fb.l4;
	if (f->v6)
		c[0] = reply ? 129 : 128;
	else
		c[0] = reply ? 0 : 8;
	c[1] = 0;
	put16(c + 2, 0);
	put16(c + 4, id);
	put16(c + 6, seq);
	memcpy(c + 8, data, len);
	frame_end(f, side, &fb, f->v6 ? 58 : 1, 8 + len, 0, 2);
}

int ip4_send_fragmented(struct gflow *f, int side, uint8_t proto, uint8_t *l4, size_t len)
{
	const size_t chunk = 1480; /* MTU 1500 minus the IPv4 header; a multiple of 8 */
	int csum_off = proto == 17 ? 6 : proto == 1 ? 2 : proto == 6 ? 16 : -1;
	int n = 0;

	if (f->v6)
		return 0;
	if (csum_off >= 0) {
		put16(l4 + csum_off, 0);
		put16(l4 + csum_off, gen_l4_checksum(f, side, proto, l4, len));
	}
	uint16_t id = f->ipid[side];
	for (size_t off = 0; off < len; off += chunk) {
		size_t n_here = len - off < chunk ? len - off : chunk;
		bool more = off + n_here < len;
		struct fb fb;
		if (!frame_begin(f, side, flow_next_ts(f, side), &fb))
			return n;
		memcpy(fb.p + fb.l4, l4 + off, n_here);
		f->ipid[side] = id; /* every fragment carries the datagram's ID */
		frame_end(f, side, &fb, proto, n_here, (uint16_t)((more ? 0x2000 : 0) | (off / 8)), -1);
		n++;
	}
	f->ipid[side] = (uint16_t)(id + 1);
	return n;
}

void flow_set_peer(struct gflow *f, const struct ghost *peer, uint16_t dport)
{
	f->host[1] = *peer;
	f->port[1] = dport;
	f->dir[0] = (uint8_t)direction_of(f->host[0].cls, peer->cls);
	f->dir[1] = (uint8_t)direction_of(peer->cls, f->host[0].cls);
}

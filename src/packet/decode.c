/*
 * decode.c — link layer to L4, one bounds-checked cursor per layer.
 *
 * The walk, and the error each layer gives when its bytes run out:
 *
 *   link ─┬─ Ethernet ─ [802.1Q / 802.1ad / 0x9100 tags]* ─┐          LINK_TRUNC, VLAN_*
 *         ├─ Linux SLL / SLL2 (protocol = ethertype) ──────┤          LINK_TRUNC
 *         ├─ NULL / LOOP (address family) ───┐              │
 *         └─ raw IP (101, 12, 14, 228, 229) ─┤   ethertype ─┼─ MPLS stack ─┐   MPLS_*
 *                                            │              ├─ PPPoE session ┤ LINK_TRUNC
 *                                            ▼              ▼                ▼
 *                                 IPv4 (options, fragments)  |  IPv6 (extension chain)
 *                                            └──────────┬───────────┘
 *                                          TCP / UDP / ICMP / ICMPv6 / other
 *
 * Two lengths travel from the IP layer down: what was captured and what the IP header
 * claims. The L4 cursor covers min(captured, claimed) bytes, so Ethernet padding never
 * becomes payload and a frame cut by the snap length is still decoded with a shorter
 * payload. A header that the *capture* cuts short is a *_TRUNC error; a header that does not
 * fit in what the IP header *claims* is a *_HDR error.
 *
 * Contracts beyond decode.h:
 *   - nvlan counts the tags kept in vlan[] (at most PKT_MAX_VLAN); up to PKT_MAX_VLAN + 2
 *     tags are walked, more is PKT_ERR_VLAN_DEPTH.
 *   - payload is set only when has_l4 (a TCP/UDP/ICMP header was decoded); for other
 *     protocols and non-first fragments payload is NULL and payload_len 0.
 *   - A first byte of the wrong IP version is *_HDR even when the rest is cut short; raw IP
 *     and MPLS payloads with a version nibble other than 4 or 6 are PKT_ERR_NOT_IP.
 *   - Tunnels (GRE, IP-in-IP, VXLAN) are not followed: they decode as their outer packet.
 *   - An IPv4 total length of 0 (TCP segmentation offload on the capturing host) and an IPv6
 *     payload length of 0 (jumbogram) are taken to mean "as long as what was captured".
 */
#include "packet/decode.h"

#include <stddef.h>
#include <string.h>

#include "common/cursor.h"
#include "common/pairhash.h"

#define ETH_IP4     0x0800
#define ETH_IP6     0x86dd
#define ETH_8021Q   0x8100
#define ETH_8021AD  0x88a8
#define ETH_QINQ    0x9100
#define ETH_MPLS_UC 0x8847
#define ETH_MPLS_MC 0x8848
#define ETH_PPPOE_S 0x8864

#define PPP_IP4 0x0021
#define PPP_IP6 0x0057

#define DLT_RAW_12  12
#define DLT_RAW_14  14

#define IP6_MAX_EXT 8

#define P_ICMP   1
#define P_TCP    6
#define P_UDP    17
#define P_ICMPV6 58

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Big-endian fields of a fixed header already copied out of the packet (cur_copy). */
static inline uint16_t hdr16(const uint8_t *h)
{
	return (uint16_t)(h[0] << 8 | h[1]);
}

static inline uint32_t hdr32(const uint8_t *h)
{
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* ---- L4 ---------------------------------------------------------------------------- */

/* c covers the captured L4 bytes (never more than claimed); claimed is what the IP header
 * says the L4 part holds. */
static enum pkt_err decode_l4(struct pkt *p, struct cur *c, size_t claimed)
{
	size_t left = cur_left(c), data_len;

	switch (p->proto) {
	case P_TCP: {
		uint8_t h[20];  /* the fixed header, copied once (one bounds check) */
		uint16_t off_flags;
		size_t doff;

		if (left < 20)
			return PKT_ERR_TCP_TRUNC;
		cur_copy(c, h, sizeof(h));
		p->sport = hdr16(h);
		p->dport = hdr16(h + 2);
		p->seq = hdr32(h + 4);
		p->ack = hdr32(h + 8);
		off_flags = hdr16(h + 12);
		p->window = hdr16(h + 14);
		/* checksum, urgent pointer: h[16..20) */
		p->tcp_flags = (uint8_t)(off_flags & 0xff);
		doff = (size_t)(off_flags >> 12) * 4;
		if (doff < 20 || doff > claimed)
			return PKT_ERR_TCP_HDR;
		if (doff > left)
			return PKT_ERR_TCP_TRUNC;
		cur_skip(c, doff - 20); /* options */
		data_len = cur_left(c);
		break;
	}
	case P_UDP: {
		uint8_t h[8];
		uint16_t ulen;

		if (left < 8)
			return PKT_ERR_UDP_TRUNC;
		cur_copy(c, h, sizeof(h));
		p->sport = hdr16(h);
		p->dport = hdr16(h + 2);
		ulen = hdr16(h + 4);    /* h[6..8): checksum */
		/* A first fragment holds only part of the datagram the length describes. */
		if (ulen < 8 || (!p->frag && ulen > claimed))
			return PKT_ERR_UDP_HDR;
		/* The UDP length, not the IP length, ends the datagram's data. */
		data_len = min_size((size_t)ulen - 8, cur_left(c));
		break;
	}
	case P_ICMP:
	case P_ICMPV6:
		/* type, code, checksum and the 4-byte rest of header every message has */
		if (left < 8)
			return PKT_ERR_ICMP_TRUNC;
		p->sport = cur_u8(c);
		p->dport = cur_u8(c);
		cur_skip(c, 6);
		data_len = cur_left(c);
		break;
	default:
		return PKT_OK; /* a protocol we do not decode further: no L4 */
	}
	p->has_l4 = true;
	p->payload = cur_ptr(c);
	p->payload_len = (uint32_t)data_len;
	return PKT_OK;
}

/* ---- IPv4 / IPv6 ---------------------------------------------------------------------- */

static enum pkt_err decode_ip4(struct cur *c, struct pkt *p)
{
	size_t avail = cur_left(c), ihl, total, captured;
	uint8_t h[20];  /* the fixed header, copied once (one bounds check) */
	uint16_t fo;
	struct cur body;

	if (cur_has(c, 1) && cur_peek(c, 0) >> 4 != 4)
		return PKT_ERR_IP4_HDR;
	if (avail < 20)
		return PKT_ERR_IP4_TRUNC;
	cur_copy(c, h, sizeof(h));
	ihl = (size_t)(h[0] & 0x0f) * 4;
	if (ihl < 20)
		return PKT_ERR_IP4_HDR;
	p->ipver = 4;
	total = hdr16(h + 2);   /* h[1]: DSCP/ECN */
	p->frag_id = hdr16(h + 4);
	fo = hdr16(h + 6);
	p->ttl = h[8];
	p->proto = h[9];        /* h[10..12): checksum */
	addr_from_v4(&p->src, hdr32(h + 12));
	addr_from_v4(&p->dst, hdr32(h + 16));

	if (total == 0) /* TSO: the capturing host had not filled it in yet */
		total = avail;
	if (total < ihl)
		return PKT_ERR_IP4_HDR;
	p->ip_len = (uint32_t)total;
	if (ihl > avail)
		return PKT_ERR_IP4_TRUNC;
	cur_skip(c, ihl - 20); /* options */

	p->frag_more = (fo & 0x2000) != 0;
	p->frag_off = (uint16_t)((fo & 0x1fff) * 8);
	p->frag = p->frag_more || p->frag_off != 0;
	p->frag_first = p->frag && p->frag_off == 0;
	if (p->frag && !p->frag_first)
		return PKT_OK; /* no L4 header in this fragment */

	captured = min_size(total, avail) - ihl;
	body = cur_sub(c, captured);
	return decode_l4(p, &body, total - ihl);
}

static enum pkt_err decode_ip6(struct cur *c, struct pkt *p)
{
	size_t avail = cur_left(c), total, claimed;
	uint8_t src[16], dst[16];
	uint16_t plen;
	uint8_t nh;
	struct cur body;

	if (cur_has(c, 1) && cur_peek(c, 0) >> 4 != 6)
		return PKT_ERR_IP6_HDR;
	if (avail < 40)
		return PKT_ERR_IP6_TRUNC;
	p->ipver = 6;
	cur_skip(c, 4); /* version, traffic class, flow label */
	plen = cur_be16(c);
	nh = cur_u8(c);
	p->ttl = cur_u8(c);
	cur_copy(c, src, 16);
	cur_copy(c, dst, 16);
	addr_from_v6(&p->src, src);
	addr_from_v6(&p->dst, dst);

	total = plen ? (size_t)plen + 40 : avail; /* 0: jumbogram, take the capture */
	p->ip_len = (uint32_t)total;
	claimed = total - 40;
	body = cur_sub(c, min_size(claimed, avail - 40));

	for (int n = 0;; n++) {
		size_t hlen;
		uint16_t offm;

		switch (nh) {
		case 0:   /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 51:  /* authentication header: length in 4-octet units, minus 2 */
			if (n >= IP6_MAX_EXT || !cur_has(&body, 2))
				return PKT_ERR_IP6_EXT;
			hlen = nh == 51 ? ((size_t)cur_peek(&body, 1) + 2) * 4
					: ((size_t)cur_peek(&body, 1) + 1) * 8;
			nh = cur_peek(&body, 0);
			if (!cur_has(&body, hlen))
				return PKT_ERR_IP6_EXT;
			cur_skip(&body, hlen);
			break;
		case 44: /* fragment */
			if (n >= IP6_MAX_EXT || !cur_has(&body, 8))
				return PKT_ERR_IP6_EXT;
			nh = cur_u8(&body);
			cur_skip(&body, 1);
			offm = cur_be16(&body);
			p->frag_id = cur_be32(&body);
			p->frag = true;
			p->frag_off = offm & 0xfff8;
			p->frag_more = (offm & 1) != 0;
			p->frag_first = p->frag_off == 0;
			if (!p->frag_first) {
				p->proto = nh;
				return PKT_OK; /* no L4 header in this fragment */
			}
			break;
		default:
			p->proto = nh;
			return decode_l4(p, &body, claimed - body.off);
		}
	}
}

/* ---- link layer ------------------------------------------------------------------------ */

/* Raw IP: the version nibble decides. */
static enum pkt_err decode_ip_any(struct cur *c, struct pkt *p, enum pkt_err if_empty)
{
	if (!cur_has(c, 1))
		return if_empty;
	switch (cur_peek(c, 0) >> 4) {
	case 4:
		return decode_ip4(c, p);
	case 6:
		return decode_ip6(c, p);
	default:
		return PKT_ERR_NOT_IP;
	}
}

static enum pkt_err decode_mpls(struct cur *c, struct pkt *p)
{
	for (;;) {
		uint32_t lse;

		if (p->nmpls >= PKT_MAX_MPLS)
			return PKT_ERR_MPLS_DEPTH;
		lse = cur_be32(c);
		if (!cur_ok(c))
			return PKT_ERR_MPLS_TRUNC;
		p->nmpls++;
		if (lse & 0x100) /* bottom of stack */
			break;
	}
	/* No payload type in MPLS: guess IPv4/IPv6 from the first nibble, as routers do. */
	return decode_ip_any(c, p, PKT_ERR_MPLS_TRUNC);
}

static enum pkt_err decode_ethertype(uint16_t type, struct cur *c, struct pkt *p)
{
	unsigned tags = 0;

	while (type == ETH_8021Q || type == ETH_8021AD || type == ETH_QINQ) {
		uint16_t tci;

		if (++tags > PKT_MAX_VLAN + 2)
			return PKT_ERR_VLAN_DEPTH;
		tci = cur_be16(c);
		type = cur_be16(c);
		if (!cur_ok(c))
			return PKT_ERR_VLAN_TRUNC;
		if (p->nvlan < PKT_MAX_VLAN)
			p->vlan[p->nvlan++] = tci & 0x0fff;
	}

	switch (type) {
	case ETH_IP4:
		return decode_ip4(c, p);
	case ETH_IP6:
		return decode_ip6(c, p);
	case ETH_MPLS_UC:
	case ETH_MPLS_MC:
		return decode_mpls(c, p);
	case ETH_PPPOE_S: { /* PPPoE session (RFC 2516): ver/type, code, session, length, PPP proto */
		uint16_t ppp;

		cur_skip(c, 6);
		ppp = cur_be16(c);
		if (!cur_ok(c))
			return PKT_ERR_LINK_TRUNC;
		if (ppp == PPP_IP4)
			return decode_ip4(c, p);
		if (ppp == PPP_IP6)
			return decode_ip6(c, p);
		return PKT_ERR_NOT_IP;
	}
	default:
		return PKT_ERR_NOT_IP;
	}
}

/* BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 differs by system
 * (Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, Darwin 30). */
static int loop_family(uint32_t af)
{
	switch (af) {
	case 2:
		return 4;
	case 10:
	case 24:
	case 28:
	case 30:
		return 6;
	default:
		return 0;
	}
}

static enum pkt_err decode_loop(struct cur *c, struct pkt *p, bool host_order)
{
	struct cur peek = *c;
	uint32_t be = cur_be32(c);
	uint32_t le = cur_le32(&peek);
	int fam;

	if (!cur_ok(c))
		return PKT_ERR_LINK_TRUNC;
	fam = loop_family(be);
	/* NULL is in the capturing host's byte order, which need not be ours: try both. */
	if (!fam && host_order)
		fam = loop_family(le);
	if (fam == 4)
		return decode_ip4(c, p);
	if (fam == 6)
		return decode_ip6(c, p);
	return PKT_ERR_NOT_IP;
}

static enum pkt_err decode_link(int linktype, const uint8_t *data, uint32_t caplen,
			       struct pkt *out)
{
	struct cur c = cur_make(data, data ? caplen : 0);
	uint16_t type;

	memset(out, 0, sizeof(*out));
	out->caplen = caplen;
	out->wirelen = caplen; /* the caller knows better and overwrites it */

	switch (linktype) {
	case LINK_ETHERNET:
		cur_skip(&c, 12); /* destination, source MAC */
		type = cur_be16(&c);
		if (!cur_ok(&c))
			return PKT_ERR_LINK_TRUNC;
		return decode_ethertype(type, &c, out);
	case LINK_LINUX_SLL:
		/* packet type, ARPHRD, address length, 8 address bytes, protocol */
		cur_skip(&c, 14);
		type = cur_be16(&c);
		if (!cur_ok(&c))
			return PKT_ERR_LINK_TRUNC;
		return decode_ethertype(type, &c, out);
	case LINK_LINUX_SLL2:
		/* protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes */
		type = cur_be16(&c);
		cur_skip(&c, 18);
		if (!cur_ok(&c))
			return PKT_ERR_LINK_TRUNC;
		return decode_ethertype(type, &c, out);
	case LINK_NULL:
		return decode_loop(&c, out, true);
	case LINK_LOOP:
		return decode_loop(&c, out, false);
	case LINK_RAW:
	case DLT_RAW_12:
	case DLT_RAW_14:
		return decode_ip_any(&c, out, PKT_ERR_LINK_TRUNC);
	case LINK_IPV4:
		return decode_ip4(&c, out);
	case LINK_IPV6:
		return decode_ip6(&c, out);
	default:
		return PKT_ERR_LINKTYPE;
	}
}

uint64_t pkt_pair_hash_compute(const struct pkt *p)
{
	uint16_t sp = p->has_l4 ? p->sport : 0, dp = p->has_l4 ? p->dport : 0;

	return pairhash(pairhash_process_key(), p->proto, &p->src, sp, &p->dst, dp);
}

enum pkt_err pkt_decode_headers(int linktype, const uint8_t *data, uint32_t caplen, struct pkt *out)
{
	return decode_link(linktype, data, caplen, out);
}

enum pkt_err pkt_decode(int linktype, const uint8_t *data, uint32_t caplen, struct pkt *out)
{
	enum pkt_err e = decode_link(linktype, data, caplen, out);

	/* Hashed once here for the meta engine's streams and the selected-flow table. */
	if (e == PKT_OK)
		pkt_hash_pair(out);
	return e;
}

const char *pkt_err_name(enum pkt_err e)
{
	static const char *const names[PKT_ERR__COUNT] = {
		[PKT_OK] = "ok",
		[PKT_ERR_LINKTYPE] = "linktype",
		[PKT_ERR_LINK_TRUNC] = "link_trunc",
		[PKT_ERR_VLAN_TRUNC] = "vlan_trunc",
		[PKT_ERR_VLAN_DEPTH] = "vlan_depth",
		[PKT_ERR_MPLS_TRUNC] = "mpls_trunc",
		[PKT_ERR_MPLS_DEPTH] = "mpls_depth",
		[PKT_ERR_NOT_IP] = "not_ip",
		[PKT_ERR_IP4_TRUNC] = "ip4_trunc",
		[PKT_ERR_IP4_HDR] = "ip4_hdr",
		[PKT_ERR_IP6_TRUNC] = "ip6_trunc",
		[PKT_ERR_IP6_HDR] = "ip6_hdr",
		[PKT_ERR_IP6_EXT] = "ip6_ext",
		[PKT_ERR_TCP_TRUNC] = "tcp_trunc",
		[PKT_ERR_TCP_HDR] = "tcp_hdr",
		[PKT_ERR_UDP_TRUNC] = "udp_trunc",
		[PKT_ERR_UDP_HDR] = "udp_hdr",
		[PKT_ERR_ICMP_TRUNC] = "icmp_trunc",
	};

	if ((unsigned)e >= PKT_ERR__COUNT || !names[e])
		return "unknown";
	return names[e];
}

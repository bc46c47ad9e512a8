/*
 * decode.h — from link-layer bytes to a decoded packet (struct pkt).
 *
 * The decoder walks Ethernet, 802.1Q/802.1ad (QinQ) tags, MPLS label stacks, IPv4 (with
 * options and fragments), IPv6 (with extension headers, including the fragment header),
 * and TCP, UDP, ICMP, ICMPv6 — every read through a bounds-checked cursor (common/cursor.h).
 * A packet that cannot be decoded is not an error of the program: pkt_decode() returns the
 * reason, the caller counts it and moves on.
 *
 * struct pkt points into the caller's buffer (payload) and copies nothing; it is valid only
 * while that buffer is. No decoded field outlives the packet unless an extractor takes it.
 */
#ifndef SK_DECODE_H
#define SK_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

/* Link types sakimori reads (libpcap DLT_ values). */
enum {
	LINK_NULL = 0,       /* BSD loopback, host byte order family */
	LINK_ETHERNET = 1,
	LINK_RAW = 101,      /* LINKTYPE_RAW (DLT_RAW is 12 or 14 on some systems: also accepted) */
	LINK_LOOP = 108,     /* OpenBSD loopback, network byte order family */
	LINK_LINUX_SLL = 113,
	LINK_IPV4 = 228,     /* raw IPv4 */
	LINK_IPV6 = 229,     /* raw IPv6 */
	LINK_LINUX_SLL2 = 276,
};

/* Why a packet was not decoded. PKT_OK first; pkt_err_name() gives a stable short name. */
enum pkt_err {
	PKT_OK = 0,
	PKT_ERR_LINKTYPE,      /* unsupported link type */
	PKT_ERR_LINK_TRUNC,    /* link-layer header cut short */
	PKT_ERR_VLAN_TRUNC,
	PKT_ERR_VLAN_DEPTH,    /* more tags than we follow */
	PKT_ERR_MPLS_TRUNC,
	PKT_ERR_MPLS_DEPTH,
	PKT_ERR_NOT_IP,        /* ARP, LLDP, …: not an error of the input, but not ours */
	PKT_ERR_IP4_TRUNC,
	PKT_ERR_IP4_HDR,       /* bad version / IHL / total length */
	PKT_ERR_IP6_TRUNC,
	PKT_ERR_IP6_HDR,
	PKT_ERR_IP6_EXT,       /* extension header chain cut short or too long */
	PKT_ERR_TCP_TRUNC,
	PKT_ERR_TCP_HDR,       /* data offset < 5 or past the segment */
	PKT_ERR_UDP_TRUNC,
	PKT_ERR_UDP_HDR,       /* length field inconsistent */
	PKT_ERR_ICMP_TRUNC,
	PKT_ERR__COUNT
};

const char *pkt_err_name(enum pkt_err e);

#define PKT_MAX_VLAN 2
#define PKT_MAX_MPLS 8

struct pkt {
	uint64_t ts_us;          /* capture time, microseconds since the epoch */
	uint32_t caplen;         /* bytes captured */
	uint32_t wirelen;        /* bytes on the wire */

	uint8_t nvlan;
	uint16_t vlan[PKT_MAX_VLAN];
	uint8_t nmpls;

	uint8_t ipver;           /* 4 or 6 */
	uint8_t ttl;             /* TTL / hop limit */
	uint8_t proto;           /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6, or other */
	struct sk_addr src, dst;
	uint32_t ip_len;         /* IP datagram length from the header (fragment length for fragments) */

	bool frag;               /* part of a fragmented datagram */
	bool frag_first;         /* offset 0: carries the L4 header */
	uint32_t frag_id;
	uint16_t frag_off;       /* in bytes */
	bool frag_more;

	bool has_l4;             /* ports / ICMP type decoded (not for non-first fragments) */
	uint16_t sport, dport;   /* TCP/UDP ports; ICMP: type, code */
	uint8_t tcp_flags;       /* TH_FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10 */
	uint32_t seq, ack;
	uint16_t window;

	const uint8_t *payload;  /* L4 payload within the caller's buffer, bounded by IP length */
	uint32_t payload_len;

	/* pairhash() of (proto, src, sport, dst, dport) under pairhash_process_key(), ports 0
	 * without has_l4: set by pkt_decode, shared by every table that finds the conversation.
	 * A struct pkt built by hand leaves pair_hashed false; pkt_pair_hash() computes it then. */
	bool pair_hashed;
	uint64_t pair_hash;
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10

/* Decode one captured frame of the given link type into *out (OUT). Returns PKT_OK or the
 * reason it could not. On error, *out holds what was decoded before the failure. */
enum pkt_err pkt_decode(int linktype, const uint8_t *data, uint32_t caplen, struct pkt *out);
/* The same without the pair hash (pair_hashed stays false): for a reader that only looks at
 * the endpoints of most frames. pkt_hash_pair() adds the hash to a frame it keeps. */
enum pkt_err pkt_decode_headers(int linktype, const uint8_t *data, uint32_t caplen, struct pkt *out);

/* The packet's endpoint-pair hash (see pair_hash above): the same for both directions. */
uint64_t pkt_pair_hash_compute(const struct pkt *p);
static inline uint64_t pkt_pair_hash(const struct pkt *p)
{
	return p->pair_hashed ? p->pair_hash : pkt_pair_hash_compute(p);
}
static inline void pkt_hash_pair(struct pkt *p)
{
	if (p->ipver && !p->pair_hashed) {
		p->pair_hash = pkt_pair_hash_compute(p);
		p->pair_hashed = true;
	}
}

/* Counters by reason, as kept by every reader of packets. */
struct pkt_counts {
	uint64_t packets, bytes;       /* read (wire length) */
	uint64_t decoded;
	uint64_t err[PKT_ERR__COUNT];
};

#endif

/*
 * test_decode.c — the packet decoder and the pcap/pcapng file source.
 *
 * The frames below are real: the "lo" and "sll" ones were captured with tcpdump on a Linux
 * loopback interface; the others were built field by field (documentation addresses,
 * correct checksums) and checked with tshark, which decodes each one as named. Every field
 * of struct pkt is asserted for each, then every prefix of every frame is decoded to check
 * that a cut at each layer gives that layer's error (and never a read past the cut).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/pairhash.h"
#include "packet/decode.h"
#include "packet/source.h"

/* Real capture on Linux lo: Ethernet/IPv4/TCP SYN 127.0.0.1:56104 -> 127.0.0.1:8089, MSS/SACK/TS/WS options (checksum left to offload). */
static const uint8_t F_lo_syn[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x4f, 0xa1, 0x40, 0x00, 0x40, 0x06,
	0xed, 0x18, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xdb, 0x28,
	0x1f, 0x99, 0xc8, 0xab, 0x9f, 0xb6, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xff, 0xd7, 0xfe, 0x30, 0x00, 0x00, 0x02, 0x04, 0xff, 0xd7, 0x04, 0x02,
	0x08, 0x0a, 0xf7, 0xec, 0x65, 0x54, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x0a,
};

/* Real capture on lo: Ethernet/IPv6/UDP ::1:32806 -> ::1:5353, DNS query A example.com. */
static const uint8_t F_lo_dns6[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x86, 0xdd, 0x60, 0x0b, 0xf4, 0x18, 0x00, 0x25, 0x11, 0x40, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x26, 0x14, 0xe9, 0x00, 0x25,
	0x00, 0x38, 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63,
	0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* Real capture on lo: Ethernet/IPv4/ICMP echo request id 0x04d2 seq 1, 16 data bytes. */
static const uint8_t F_lo_icmp_echo[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x6e, 0x95, 0x40, 0x00, 0x40, 0x01,
	0xce, 0x39, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x08, 0x00,
	0x04, 0x5d, 0x04, 0xd2, 0x00, 0x01, 0x73, 0x61, 0x6b, 0x69, 0x6d, 0x6f,
	0x72, 0x69, 0x2d, 0x65, 0x63, 0x68, 0x6f, 0x2d, 0x30, 0x31,
};

/* Real capture on lo: Ethernet/IPv6/ICMPv6 echo request id 0x04d2 seq 1, 16 data bytes. */
static const uint8_t F_lo_icmp6_echo[] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x86, 0xdd, 0x60, 0x0c, 0x0c, 0xd8, 0x00, 0x18, 0x3a, 0x40, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0x8c, 0x03, 0x04, 0xd2,
	0x00, 0x01, 0x73, 0x61, 0x6b, 0x69, 0x6d, 0x6f, 0x72, 0x69, 0x2d, 0x65,
	0x63, 0x68, 0x6f, 0x2d, 0x30, 0x36,
};

/* Real capture on "any" (Linux cooked v1): IPv4/ICMP echo request on lo. */
static const uint8_t F_sll_icmp[] = {
	0x00, 0x00, 0x03, 0x04, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x6e, 0x95, 0x40, 0x00,
	0x40, 0x01, 0xce, 0x39, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x04, 0x5d, 0x04, 0xd2, 0x00, 0x01, 0x73, 0x61, 0x6b, 0x69,
	0x6d, 0x6f, 0x72, 0x69, 0x2d, 0x65, 0x63, 0x68, 0x6f, 0x2d, 0x30, 0x31,
};

/* Real capture on "any" (Linux cooked v2, ifindex 1): IPv4/ICMP echo request on lo. */
static const uint8_t F_sll2_icmp[] = {
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x04, 0x00, 0x06,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x2c,
	0x6e, 0x95, 0x40, 0x00, 0x40, 0x01, 0xce, 0x39, 0x7f, 0x00, 0x00, 0x01,
	0x7f, 0x00, 0x00, 0x01, 0x08, 0x00, 0x04, 0x5d, 0x04, 0xd2, 0x00, 0x01,
	0x73, 0x61, 0x6b, 0x69, 0x6d, 0x6f, 0x72, 0x69, 0x2d, 0x65, 0x63, 0x68,
	0x6f, 0x2d, 0x30, 0x31,
};

/* Ethernet/IPv4/TCP SYN 198.51.100.7:49152 -> 203.0.113.9:443, ttl 57, Linux-style options. */
static const uint8_t F_eth_syn[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x39, 0x06,
	0xbf, 0x31, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0xc0, 0x00,
	0x01, 0xbb, 0x6b, 0x8b, 0x45, 0x67, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
	0xfa, 0xf0, 0x3d, 0xc4, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
	0x08, 0x0a, 0x0a, 0x1b, 0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03,
	0x03, 0x07,
};

/* Ethernet/802.1Q (PCP 3, VID 100)/IPv4/UDP 198.51.100.7:53001 -> 192.0.2.53:53, DNS query. */
static const uint8_t F_vlan_dns[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x81, 0x00, 0x60, 0x64, 0x08, 0x00, 0x45, 0x00, 0x00, 0x39, 0x3a, 0x01,
	0x00, 0x00, 0x40, 0x11, 0x54, 0x43, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00,
	0x02, 0x35, 0xcf, 0x09, 0x00, 0x35, 0x00, 0x25, 0xc8, 0xb9, 0xab, 0xcd,
	0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65,
	0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00,
	0x01, 0x00, 0x01,
};

/* Ethernet/802.1ad (VID 200)/802.1Q (VID 100)/IPv4/TCP SYN (same SYN as eth_syn). */
static const uint8_t F_qinq_syn[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, 0x45, 0x00,
	0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x39, 0x06, 0xbf, 0x31, 0xc6, 0x33,
	0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0xc0, 0x00, 0x01, 0xbb, 0x6b, 0x8b,
	0x45, 0x67, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x3d, 0xc4,
	0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x0a, 0x1b,
	0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* Ethernet/MPLS labels 16, 17 (bottom of stack)/IPv4/UDP DNS query. */
static const uint8_t F_mpls_dns[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x88, 0x47, 0x00, 0x01, 0x00, 0x40, 0x00, 0x01, 0x11, 0x40, 0x45, 0x00,
	0x00, 0x39, 0x3a, 0x01, 0x00, 0x00, 0x40, 0x11, 0x54, 0x43, 0xc6, 0x33,
	0x64, 0x07, 0xc0, 0x00, 0x02, 0x35, 0xcf, 0x09, 0x00, 0x35, 0x00, 0x25,
	0xc8, 0xb9, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63,
	0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* Ethernet/IPv4 with record-route option + NOP (IHL 8)/UDP DNS query. */
static const uint8_t F_ip4_opts[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x08, 0x00, 0x48, 0x00, 0x00, 0x45, 0x1c, 0x46, 0x00, 0x00, 0x40, 0x11,
	0x63, 0xe6, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x02, 0x35, 0x07, 0x0b,
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xcf, 0x09,
	0x00, 0x35, 0x00, 0x25, 0xc8, 0xb9, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* Ethernet/IPv4 first fragment (ID 0xbeef, MF) of a 48-byte UDP datagram 40000 -> 9999. */
static const uint8_t F_frag1[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0xbe, 0xef, 0x20, 0x00, 0x40, 0x11,
	0x35, 0x8d, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0x9c, 0x40,
	0x27, 0x0f, 0x00, 0x30, 0x3f, 0x4f, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46,
	0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50,
};

/* Ethernet/IPv4 last fragment (ID 0xbeef, offset 24) of the same datagram. */
static const uint8_t F_frag2[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0xbe, 0xef, 0x00, 0x03, 0x40, 0x11,
	0x55, 0x8a, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0x51, 0x52,
	0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e,
	0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
};

/* Ethernet/IPv6/UDP 2001:db8:1::7:40001 -> 2001:db8:2::9:53, DNS query. */
static const uint8_t F_ip6_udp[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x11, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x9c, 0x41, 0x00, 0x35, 0x00, 0x25,
	0x8c, 0x6d, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63,
	0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* Ethernet/IPv6/hop-by-hop (PadN)/fragment (ID 0x12345678, offset 0, M)/UDP header + 8 bytes. */
static const uint8_t F_ip6_hbh_frag1[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x2c, 0x00, 0x01, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x11, 0x00, 0x00, 0x01, 0x12, 0x34, 0x56, 0x78, 0x9c, 0x41,
	0x00, 0x35, 0x00, 0x25, 0x8c, 0x6d, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01,
	0x00, 0x00,
};

/* Ethernet/IPv6/hop-by-hop/fragment (offset 16, last)/rest of the UDP datagram. */
static const uint8_t F_ip6_hbh_frag2[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x00, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x2c, 0x00, 0x01, 0x04, 0x00, 0x00,
	0x00, 0x00, 0x11, 0x00, 0x00, 0x10, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00,
	0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63,
	0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* BSD NULL loopback, AF_INET in little-endian host order, then the eth_syn IPv4 packet. */
static const uint8_t F_null_syn[] = {
	0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
	0x39, 0x06, 0xbf, 0x31, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09,
	0xc0, 0x00, 0x01, 0xbb, 0x6b, 0x8b, 0x45, 0x67, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x3d, 0xc4, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0x0a, 0x1b, 0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

/* BSD NULL loopback, AF_INET6 = 30 (Darwin) in big-endian host order, then IPv6/UDP. */
static const uint8_t F_null_be6[] = {
	0x00, 0x00, 0x00, 0x1e, 0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x11, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x9c, 0x41, 0x00, 0x35,
	0x00, 0x25, 0x8c, 0x6d, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* OpenBSD LOOP, AF_INET6 = 24 in network order, then IPv6/UDP. */
static const uint8_t F_loop_ip6[] = {
	0x00, 0x00, 0x00, 0x18, 0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x11, 0x40,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x07, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x9c, 0x41, 0x00, 0x35,
	0x00, 0x25, 0x8c, 0x6d, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65,
	0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* OpenBSD LOOP, AF_INET in network order, then the eth_syn IPv4 packet. */
static const uint8_t F_loop_syn[] = {
	0x00, 0x00, 0x00, 0x02, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
	0x39, 0x06, 0xbf, 0x31, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09,
	0xc0, 0x00, 0x01, 0xbb, 0x6b, 0x8b, 0x45, 0x67, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0x02, 0xfa, 0xf0, 0x3d, 0xc4, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
	0x04, 0x02, 0x08, 0x0a, 0x0a, 0x1b, 0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x03, 0x03, 0x07,
};

/* Raw IPv4/ICMP echo request id 0x1234 seq 7, "abcdefgh", ttl 250. */
static const uint8_t F_raw_icmp[] = {
	0x45, 0x00, 0x00, 0x24, 0x1c, 0x46, 0x40, 0x00, 0xfa, 0x01, 0xfe, 0x4d,
	0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0x08, 0x00, 0x54, 0x2f,
	0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
};

/* Ethernet/IPv4/TCP ACK, 54 bytes padded with 6 zero bytes to the 60-byte minimum. */
static const uint8_t F_eth_pad_ack[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x28, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06,
	0xb8, 0x45, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0xc0, 0x00,
	0x01, 0xbb, 0x6b, 0x8b, 0x45, 0x68, 0x10, 0x00, 0x00, 0x01, 0x50, 0x10,
	0x01, 0xf6, 0xc4, 0xe9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* Ethernet/IPv4/TCP PSH|ACK 49152 -> 80 carrying "GET / HTTP/1.1" with Host. */
static const uint8_t F_eth_http[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x4d, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x06,
	0xb8, 0x20, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0xc0, 0x00,
	0x00, 0x50, 0x00, 0x00, 0x03, 0xe9, 0x00, 0x00, 0x07, 0xd2, 0x50, 0x18,
	0x01, 0xf6, 0x32, 0xbc, 0x00, 0x00, 0x47, 0x45, 0x54, 0x20, 0x2f, 0x20,
	0x48, 0x54, 0x54, 0x50, 0x2f, 0x31, 0x2e, 0x31, 0x0d, 0x0a, 0x48, 0x6f,
	0x73, 0x74, 0x3a, 0x20, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e,
	0x63, 0x6f, 0x6d, 0x0d, 0x0a, 0x0d, 0x0a,
};

/* Ethernet/PPPoE session 0x0042/PPP IPv4/TCP SYN. */
static const uint8_t F_pppoe_syn[] = {
	0x00, 0x1b, 0x21, 0xaa, 0xbb, 0xcc, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
	0x88, 0x64, 0x11, 0x00, 0x00, 0x42, 0x00, 0x3e, 0x00, 0x21, 0x45, 0x00,
	0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00, 0x39, 0x06, 0xbf, 0x31, 0xc6, 0x33,
	0x64, 0x07, 0xcb, 0x00, 0x71, 0x09, 0xc0, 0x00, 0x01, 0xbb, 0x6b, 0x8b,
	0x45, 0x67, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0x3d, 0xc4,
	0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x0a, 0x1b,
	0x2c, 0x3d, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* ---- helpers ---------------------------------------------------------------------------- */

#define N(a) ((uint32_t)sizeof(a))

static void assert_addr(const struct sk_addr *a, const char *text)
{
	char s[SK_ADDR_STRLEN];

	assert_string_equal(addr_format(a, s), text);
}

static void decode_ok(int linktype, const uint8_t *f, uint32_t n, struct pkt *p)
{
	assert_int_equal(pkt_decode(linktype, f, n, p), PKT_OK);
	assert_int_equal(p->caplen, n);
	if (p->payload) {
		assert_true(p->payload >= f);
		assert_true(p->payload + p->payload_len <= f + n);
	}
}

/* The SYN of eth_syn, qinq_syn, null_syn, loop_syn and pppoe_syn. */
static void assert_doc_syn(const struct pkt *p)
{
	assert_int_equal(p->ipver, 4);
	assert_int_equal(p->ttl, 57);
	assert_int_equal(p->proto, 6);
	assert_addr(&p->src, "198.51.100.7");
	assert_addr(&p->dst, "203.0.113.9");
	assert_int_equal(p->ip_len, 60);
	assert_false(p->frag);
	assert_false(p->frag_first);
	assert_int_equal(p->frag_id, 0x1c46);
	assert_true(p->has_l4);
	assert_int_equal(p->sport, 49152);
	assert_int_equal(p->dport, 443);
	assert_int_equal(p->tcp_flags, TCPF_SYN);
	assert_int_equal(p->seq, 0x6b8b4567);
	assert_int_equal(p->ack, 0);
	assert_int_equal(p->window, 64240);
	assert_int_equal(p->payload_len, 0);
}

/* The DNS query (29 bytes, id 0xabcd, "example.com") carried by several UDP frames. */
static void assert_dns_payload(const struct pkt *p)
{
	assert_true(p->has_l4);
	assert_int_equal(p->payload_len, 29);
	assert_int_equal(p->payload[0], 0xab);
	assert_int_equal(p->payload[1], 0xcd);
	assert_memory_equal(p->payload + 13, "example", 7);
}

/* ---- every field of real frames --------------------------------------------------------- */

static void ethernet_ipv4_tcp_syn(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_eth_syn, N(F_eth_syn), &p);
	assert_int_equal(p.nvlan, 0);
	assert_int_equal(p.nmpls, 0);
	assert_doc_syn(&p);
	assert_ptr_equal(p.payload, F_eth_syn + 74);

	decode_ok(LINK_ETHERNET, F_lo_syn, N(F_lo_syn), &p);
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.proto, 6);
	assert_addr(&p.src, "127.0.0.1");
	assert_addr(&p.dst, "127.0.0.1");
	assert_int_equal(p.ip_len, 60);
	assert_int_equal(p.sport, 56104);
	assert_int_equal(p.dport, 8089);
	assert_int_equal(p.seq, 3366690742u);
	assert_int_equal(p.ack, 0);
	assert_int_equal(p.tcp_flags, TCPF_SYN);
	assert_int_equal(p.window, 65495);
	assert_int_equal(p.payload_len, 0);
}

static void ethernet_tcp_payload_and_padding(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_eth_http, N(F_eth_http), &p);
	assert_int_equal(p.sport, 49152);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.seq, 1001);
	assert_int_equal(p.ack, 2002);
	assert_int_equal(p.tcp_flags, TCPF_PSH | TCPF_ACK);
	assert_int_equal(p.window, 502);
	assert_int_equal(p.ip_len, 77);
	assert_int_equal(p.payload_len, sizeof(req) - 1);
	assert_memory_equal(p.payload, req, sizeof(req) - 1);

	/* 54 bytes of frame padded to 60: the padding is not payload. */
	decode_ok(LINK_ETHERNET, F_eth_pad_ack, N(F_eth_pad_ack), &p);
	assert_int_equal(p.caplen, 60);
	assert_int_equal(p.ip_len, 40);
	assert_int_equal(p.tcp_flags, TCPF_ACK);
	assert_int_equal(p.seq, 0x6b8b4568);
	assert_int_equal(p.ack, 0x10000001);
	assert_true(p.has_l4);
	assert_int_equal(p.payload_len, 0);
}

static void vlan_and_qinq(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_vlan_dns, N(F_vlan_dns), &p);
	assert_int_equal(p.nvlan, 1);
	assert_int_equal(p.vlan[0], 100); /* PCP bits masked off */
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.proto, 17);
	assert_addr(&p.src, "198.51.100.7");
	assert_addr(&p.dst, "192.0.2.53");
	assert_int_equal(p.ip_len, 57);
	assert_int_equal(p.sport, 53001);
	assert_int_equal(p.dport, 53);
	assert_false(p.frag);
	assert_dns_payload(&p);

	decode_ok(LINK_ETHERNET, F_qinq_syn, N(F_qinq_syn), &p);
	assert_int_equal(p.nvlan, 2);
	assert_int_equal(p.vlan[0], 200);
	assert_int_equal(p.vlan[1], 100);
	assert_doc_syn(&p);
}

static void mpls_stack(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_mpls_dns, N(F_mpls_dns), &p);
	assert_int_equal(p.nmpls, 2);
	assert_int_equal(p.nvlan, 0);
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.sport, 53001);
	assert_int_equal(p.dport, 53);
	assert_dns_payload(&p);
}

static void ipv4_options_skipped(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_ip4_opts, N(F_ip4_opts), &p);
	assert_int_equal(p.ip_len, 69); /* 32-byte header + 37 bytes of UDP */
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.sport, 53001);
	assert_int_equal(p.dport, 53);
	assert_dns_payload(&p);
}

static void ipv4_fragments(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_frag1, N(F_frag1), &p);
	assert_true(p.frag);
	assert_true(p.frag_first);
	assert_true(p.frag_more);
	assert_int_equal(p.frag_id, 0xbeef);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.ip_len, 44);
	assert_int_equal(p.proto, 17);
	assert_true(p.has_l4); /* UDP length 48 is more than this fragment: still decoded */
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 9999);
	assert_int_equal(p.payload_len, 16);
	assert_int_equal(p.payload[0], 0x41);

	decode_ok(LINK_ETHERNET, F_frag2, N(F_frag2), &p);
	assert_true(p.frag);
	assert_false(p.frag_first);
	assert_false(p.frag_more);
	assert_int_equal(p.frag_id, 0xbeef);
	assert_int_equal(p.frag_off, 24);
	assert_int_equal(p.ip_len, 44);
	assert_int_equal(p.proto, 17);
	assert_false(p.has_l4);
	assert_int_equal(p.sport, 0);
	assert_int_equal(p.dport, 0);
	assert_null(p.payload);
	assert_int_equal(p.payload_len, 0);
}

static void ipv6_udp(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_ip6_udp, N(F_ip6_udp), &p);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.ttl, 64);
	assert_int_equal(p.proto, 17);
	assert_addr(&p.src, "2001:db8:1::7");
	assert_addr(&p.dst, "2001:db8:2::9");
	assert_int_equal(p.ip_len, 77);
	assert_false(p.frag);
	assert_int_equal(p.sport, 40001);
	assert_int_equal(p.dport, 53);
	assert_dns_payload(&p);

	decode_ok(LINK_ETHERNET, F_lo_dns6, N(F_lo_dns6), &p);
	assert_addr(&p.src, "::1");
	assert_addr(&p.dst, "::1");
	assert_int_equal(p.sport, 32806);
	assert_int_equal(p.dport, 5353);
	assert_int_equal(p.payload_len, 29);
}

static void ipv6_hop_by_hop_and_fragment(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_ip6_hbh_frag1, N(F_ip6_hbh_frag1), &p);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.ip_len, 72);
	assert_true(p.frag);
	assert_true(p.frag_first);
	assert_true(p.frag_more);
	assert_int_equal(p.frag_id, 0x12345678);
	assert_int_equal(p.frag_off, 0);
	assert_int_equal(p.proto, 17);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 40001);
	assert_int_equal(p.dport, 53);
	assert_int_equal(p.payload_len, 8);
	assert_int_equal(p.payload[0], 0xab);

	decode_ok(LINK_ETHERNET, F_ip6_hbh_frag2, N(F_ip6_hbh_frag2), &p);
	assert_true(p.frag);
	assert_false(p.frag_first);
	assert_false(p.frag_more);
	assert_int_equal(p.frag_id, 0x12345678);
	assert_int_equal(p.frag_off, 16);
	assert_int_equal(p.proto, 17);
	assert_false(p.has_l4);
	assert_null(p.payload);
}

static void icmp_and_icmpv6_echo(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_lo_icmp_echo, N(F_lo_icmp_echo), &p);
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.proto, 1);
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 8); /* echo request */
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.payload_len, 16);
	assert_memory_equal(p.payload, "sakimori-echo-01", 16);

	decode_ok(LINK_ETHERNET, F_lo_icmp6_echo, N(F_lo_icmp6_echo), &p);
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.ttl, 64);
	assert_addr(&p.src, "::1");
	assert_true(p.has_l4);
	assert_int_equal(p.sport, 128);
	assert_int_equal(p.dport, 0);
	assert_int_equal(p.payload_len, 16);
	assert_memory_equal(p.payload, "sakimori-echo-06", 16);
}

static void linux_cooked_v1_v2(void **state)
{
	struct pkt p;

	decode_ok(LINK_LINUX_SLL, F_sll_icmp, N(F_sll_icmp), &p);
	assert_int_equal(p.ipver, 4);
	assert_addr(&p.src, "127.0.0.1");
	assert_int_equal(p.ip_len, 44);
	assert_int_equal(p.sport, 8);
	assert_memory_equal(p.payload, "sakimori-echo-01", 16);

	decode_ok(LINK_LINUX_SLL2, F_sll2_icmp, N(F_sll2_icmp), &p);
	assert_int_equal(p.ipver, 4);
	assert_addr(&p.dst, "127.0.0.1");
	assert_int_equal(p.sport, 8);
	assert_int_equal(p.payload_len, 16);
	assert_memory_equal(p.payload, "sakimori-echo-01", 16);

	/* The wrong cooked version reads the protocol from the wrong place. */
	assert_int_not_equal(pkt_decode(LINK_LINUX_SLL, F_sll2_icmp, N(F_sll2_icmp), &p), PKT_OK);
}

static void bsd_loopback(void **state)
{
	struct pkt p;

	decode_ok(LINK_NULL, F_null_syn, N(F_null_syn), &p); /* little-endian AF_INET */
	assert_doc_syn(&p);
	decode_ok(LINK_NULL, F_null_be6, N(F_null_be6), &p); /* big-endian AF_INET6 (30) */
	assert_int_equal(p.ipver, 6);
	assert_int_equal(p.dport, 53);
	assert_dns_payload(&p);
	decode_ok(LINK_LOOP, F_loop_ip6, N(F_loop_ip6), &p);
	assert_int_equal(p.ipver, 6);
	assert_addr(&p.dst, "2001:db8:2::9");
	decode_ok(LINK_LOOP, F_loop_syn, N(F_loop_syn), &p);
	assert_doc_syn(&p);

	/* LOOP is network order only: a little-endian family is not IP. */
	assert_int_equal(pkt_decode(LINK_LOOP, F_null_syn, N(F_null_syn), &p), PKT_ERR_NOT_IP);

	uint8_t f[N(F_null_syn)];
	memcpy(f, F_null_syn, sizeof(f));
	f[0] = 7; /* an address family that is neither */
	assert_int_equal(pkt_decode(LINK_NULL, f, sizeof(f), &p), PKT_ERR_NOT_IP);
}

static void raw_ip_link_types(void **state)
{
	static const int raw4[] = { LINK_RAW, 12, 14, 228 };
	struct pkt p;

	for (size_t i = 0; i < sizeof(raw4) / sizeof(raw4[0]); i++) {
		decode_ok(raw4[i], F_raw_icmp, N(F_raw_icmp), &p);
		assert_int_equal(p.ipver, 4);
		assert_int_equal(p.ttl, 250);
		assert_int_equal(p.proto, 1);
		assert_addr(&p.src, "198.51.100.7");
		assert_addr(&p.dst, "203.0.113.9");
		assert_int_equal(p.sport, 8);
		assert_int_equal(p.payload_len, 8);
		assert_memory_equal(p.payload, "abcdefgh", 8);
	}
	assert_int_equal(pkt_decode(229, F_raw_icmp, N(F_raw_icmp), &p), PKT_ERR_IP6_HDR);
	decode_ok(LINK_RAW, F_ip6_udp + 14, N(F_ip6_udp) - 14, &p);
	assert_int_equal(p.ipver, 6);
	decode_ok(229, F_ip6_udp + 14, N(F_ip6_udp) - 14, &p);
	assert_int_equal(p.ipver, 6);

	uint8_t f[N(F_raw_icmp)];
	memcpy(f, F_raw_icmp, sizeof(f));
	f[0] = 0x55;
	assert_int_equal(pkt_decode(LINK_RAW, f, sizeof(f), &p), PKT_ERR_NOT_IP);
	assert_int_equal(pkt_decode(LINK_RAW, f, 0, &p), PKT_ERR_LINK_TRUNC);
}

static void pppoe_session(void **state)
{
	struct pkt p;

	decode_ok(LINK_ETHERNET, F_pppoe_syn, N(F_pppoe_syn), &p);
	assert_doc_syn(&p);
}

/* ---- every prefix of every frame --------------------------------------------------------- */

struct seg {
	uint32_t end;      /* a prefix shorter than this ... */
	enum pkt_err err;  /* ... gives this error */
};

struct cut_case {
	const char *name;
	int linktype;
	const uint8_t *f;
	uint32_t n;
	struct seg segs[5];
};

#define L PKT_ERR_LINK_TRUNC
static const struct cut_case cuts[] = {
	{ "eth_syn", 1, F_eth_syn, N(F_eth_syn), { { 14, L }, { 34, PKT_ERR_IP4_TRUNC }, { 74, PKT_ERR_TCP_TRUNC } } },
	{ "lo_syn", 1, F_lo_syn, N(F_lo_syn), { { 14, L }, { 34, PKT_ERR_IP4_TRUNC }, { 74, PKT_ERR_TCP_TRUNC } } },
	{ "eth_http", 1, F_eth_http, N(F_eth_http), { { 14, L }, { 34, PKT_ERR_IP4_TRUNC }, { 54, PKT_ERR_TCP_TRUNC } } },
	{ "eth_pad_ack", 1, F_eth_pad_ack, N(F_eth_pad_ack), { { 14, L }, { 34, PKT_ERR_IP4_TRUNC }, { 54, PKT_ERR_TCP_TRUNC } } },
	{ "vlan_dns", 1, F_vlan_dns, N(F_vlan_dns),
	  { { 14, L }, { 18, PKT_ERR_VLAN_TRUNC }, { 38, PKT_ERR_IP4_TRUNC }, { 46, PKT_ERR_UDP_TRUNC } } },
	{ "qinq_syn", 1, F_qinq_syn, N(F_qinq_syn),
	  { { 14, L }, { 22, PKT_ERR_VLAN_TRUNC }, { 42, PKT_ERR_IP4_TRUNC }, { 82, PKT_ERR_TCP_TRUNC } } },
	{ "mpls_dns", 1, F_mpls_dns, N(F_mpls_dns),
	  { { 14, L }, { 23, PKT_ERR_MPLS_TRUNC }, { 42, PKT_ERR_IP4_TRUNC }, { 50, PKT_ERR_UDP_TRUNC } } },
	{ "pppoe_syn", 1, F_pppoe_syn, N(F_pppoe_syn),
	  { { 22, L }, { 42, PKT_ERR_IP4_TRUNC }, { 82, PKT_ERR_TCP_TRUNC } } },
	{ "ip4_opts", 1, F_ip4_opts, N(F_ip4_opts), { { 14, L }, { 46, PKT_ERR_IP4_TRUNC }, { 54, PKT_ERR_UDP_TRUNC } } },
	{ "frag1", 1, F_frag1, N(F_frag1), { { 14, L }, { 34, PKT_ERR_IP4_TRUNC }, { 42, PKT_ERR_UDP_TRUNC } } },
	{ "frag2", 1, F_frag2, N(F_frag2), { { 14, L }, { 34, PKT_ERR_IP4_TRUNC } } },
	{ "lo_icmp_echo", 1, F_lo_icmp_echo, N(F_lo_icmp_echo),
	  { { 14, L }, { 34, PKT_ERR_IP4_TRUNC }, { 42, PKT_ERR_ICMP_TRUNC } } },
	{ "lo_icmp6_echo", 1, F_lo_icmp6_echo, N(F_lo_icmp6_echo),
	  { { 14, L }, { 54, PKT_ERR_IP6_TRUNC }, { 62, PKT_ERR_ICMP_TRUNC } } },
	{ "ip6_udp", 1, F_ip6_udp, N(F_ip6_udp), { { 14, L }, { 54, PKT_ERR_IP6_TRUNC }, { 62, PKT_ERR_UDP_TRUNC } } },
	{ "lo_dns6", 1, F_lo_dns6, N(F_lo_dns6), { { 14, L }, { 54, PKT_ERR_IP6_TRUNC }, { 62, PKT_ERR_UDP_TRUNC } } },
	{ "ip6_hbh_frag1", 1, F_ip6_hbh_frag1, N(F_ip6_hbh_frag1),
	  { { 14, L }, { 54, PKT_ERR_IP6_TRUNC }, { 70, PKT_ERR_IP6_EXT }, { 78, PKT_ERR_UDP_TRUNC } } },
	{ "ip6_hbh_frag2", 1, F_ip6_hbh_frag2, N(F_ip6_hbh_frag2),
	  { { 14, L }, { 54, PKT_ERR_IP6_TRUNC }, { 70, PKT_ERR_IP6_EXT } } },
	{ "sll_icmp", LINK_LINUX_SLL, F_sll_icmp, N(F_sll_icmp),
	  { { 16, L }, { 36, PKT_ERR_IP4_TRUNC }, { 44, PKT_ERR_ICMP_TRUNC } } },
	{ "sll2_icmp", LINK_LINUX_SLL2, F_sll2_icmp, N(F_sll2_icmp),
	  { { 20, L }, { 40, PKT_ERR_IP4_TRUNC }, { 48, PKT_ERR_ICMP_TRUNC } } },
	{ "null_syn", LINK_NULL, F_null_syn, N(F_null_syn), { { 4, L }, { 24, PKT_ERR_IP4_TRUNC }, { 64, PKT_ERR_TCP_TRUNC } } },
	{ "null_be6", LINK_NULL, F_null_be6, N(F_null_be6), { { 4, L }, { 44, PKT_ERR_IP6_TRUNC }, { 52, PKT_ERR_UDP_TRUNC } } },
	{ "loop_ip6", LINK_LOOP, F_loop_ip6, N(F_loop_ip6), { { 4, L }, { 44, PKT_ERR_IP6_TRUNC }, { 52, PKT_ERR_UDP_TRUNC } } },
	{ "raw_icmp", LINK_RAW, F_raw_icmp, N(F_raw_icmp), { { 1, L }, { 20, PKT_ERR_IP4_TRUNC }, { 28, PKT_ERR_ICMP_TRUNC } } },
};
#undef L

static void every_prefix_gives_its_layer_error(void **state)
{
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		const struct cut_case *c = &cuts[i];
		struct pkt full, p;
		uint32_t l4end = 0;

		decode_ok(c->linktype, c->f, c->n, &full);
		for (size_t s = 0; s < 5 && c->segs[s].end; s++)
			l4end = c->segs[s].end;

		for (uint32_t len = 0; len <= c->n; len++) {
			/* a copy of exactly len bytes, so ASan catches any read past the cut */
			uint8_t *buf = malloc(len ? len : 1);
			enum pkt_err want = PKT_OK, got;

			assert_non_null(buf);
			memcpy(buf, c->f, len);
			for (size_t s = 0; s < 5 && c->segs[s].end; s++) {
				if (len < c->segs[s].end) {
					want = c->segs[s].err;
					break;
				}
			}
			got = pkt_decode(c->linktype, buf, len, &p);
			if (got != want)
				fail_msg("%s cut at %u: got %s, want %s", c->name, len, pkt_err_name(got),
					 pkt_err_name(want));
			if (got == PKT_OK) {
				uint32_t cap = len - l4end;
				uint32_t want_len = full.payload_len < cap ? full.payload_len : cap;

				assert_int_equal(p.has_l4, full.has_l4);
				assert_int_equal(p.payload_len, full.has_l4 ? want_len : 0);
				assert_int_equal(p.sport, full.sport);
				assert_int_equal(p.ip_len, full.ip_len); /* the header's claim, not the capture */
				if (p.payload)
					assert_true(p.payload + p.payload_len <= buf + len);
			}
			free(buf);
		}
	}
}

/* ---- malformed headers ------------------------------------------------------------------ */

static enum pkt_err decode_patched(const uint8_t *f, uint32_t n, size_t at, uint8_t v)
{
	uint8_t buf[256];
	struct pkt p;

	assert_true(n <= sizeof(buf) && at < n);
	memcpy(buf, f, n);
	buf[at] = v;
	return pkt_decode(LINK_ETHERNET, buf, n, &p);
}

static void bad_ip_and_l4_headers(void **state)
{
	const uint32_t n = N(F_eth_syn);

	assert_int_equal(decode_patched(F_eth_syn, n, 14, 0x55), PKT_ERR_IP4_HDR);  /* version 5 */
	assert_int_equal(decode_patched(F_eth_syn, n, 14, 0x44), PKT_ERR_IP4_HDR);  /* IHL 4 */
	assert_int_equal(decode_patched(F_eth_syn, n, 17, 0x10), PKT_ERR_IP4_HDR);  /* total 16 */
	assert_int_equal(decode_patched(F_eth_syn, n, 46, 0x40), PKT_ERR_TCP_HDR);  /* doff 4 */
	assert_int_equal(decode_patched(F_eth_syn, n, 46, 0xf0), PKT_ERR_TCP_HDR);  /* doff 15 > 40 */
	assert_int_equal(decode_patched(F_vlan_dns, N(F_vlan_dns), 43, 7), PKT_ERR_UDP_HDR);
	assert_int_equal(decode_patched(F_vlan_dns, N(F_vlan_dns), 43, 200), PKT_ERR_UDP_HDR);
	assert_int_equal(decode_patched(F_ip6_udp, N(F_ip6_udp), 14, 0x70), PKT_ERR_IP6_HDR);
	/* a hop-by-hop header claiming 2048 bytes in a 72-byte datagram */
	assert_int_equal(decode_patched(F_ip6_hbh_frag1, N(F_ip6_hbh_frag1), 55, 255), PKT_ERR_IP6_EXT);
	/* UDP length 200 > IP claim is fine in a first fragment, not in a whole datagram */
	assert_int_equal(decode_patched(F_frag1, N(F_frag1), 39, 200), PKT_OK);
}

static void tso_zero_length_and_snaplen(void **state)
{
	uint8_t buf[N(F_eth_http)];
	struct pkt p;

	/* IPv4 total length 0, as captured before segmentation offload fills it in */
	memcpy(buf, F_eth_syn, N(F_eth_syn));
	buf[16] = buf[17] = 0;
	decode_ok(LINK_ETHERNET, buf, N(F_eth_syn), &p);
	assert_int_equal(p.ip_len, 60);
	assert_int_equal(p.sport, 49152);

	/* cut by the snap length inside the payload: decoded, payload bounded by the capture */
	decode_ok(LINK_ETHERNET, F_eth_http, 70, &p);
	assert_int_equal(p.ip_len, 77);
	assert_int_equal(p.payload_len, 16);
	assert_memory_equal(p.payload, "GET / HTTP/1.1\r\n", 16);

	/* an IP total length beyond the frame is treated the same way */
	memcpy(buf, F_eth_http, sizeof(buf));
	buf[16] = 0;
	buf[17] = 200;
	decode_ok(LINK_ETHERNET, buf, sizeof(buf), &p);
	assert_int_equal(p.ip_len, 200);
	assert_int_equal(p.payload_len, 37);
}

static void inner_lengths_bound_the_payload(void **state)
{
	uint8_t buf[128];
	struct pkt p;

	/* a UDP length shorter than the IP datagram ends the payload (here 20 - 8 bytes) */
	memcpy(buf, F_vlan_dns, N(F_vlan_dns));
	buf[43] = 20;
	decode_ok(LINK_ETHERNET, buf, N(F_vlan_dns), &p);
	assert_int_equal(p.payload_len, 12);

	/* IPv6 fragment offset 24 (field 0x0018, M clear) */
	memcpy(buf, F_ip6_hbh_frag2, N(F_ip6_hbh_frag2));
	buf[64] = 0x00;
	buf[65] = 0x18;
	decode_ok(LINK_ETHERNET, buf, N(F_ip6_hbh_frag2), &p);
	assert_int_equal(p.frag_off, 24);
	assert_false(p.frag_more);
	buf[65] = 0x19;
	decode_ok(LINK_ETHERNET, buf, N(F_ip6_hbh_frag2), &p);
	assert_int_equal(p.frag_off, 24);
	assert_true(p.frag_more);
}

/* Ethernet header + k tags of TPID tpid + the IPv4 SYN of eth_syn. */
static uint32_t build_tagged(uint8_t *buf, size_t cap, unsigned k, uint16_t tpid)
{
	uint32_t n = 12;

	assert_true(cap >= 12 + 4 * k + 2 + (N(F_eth_syn) - 14));
	memcpy(buf, F_eth_syn, 12);
	for (unsigned i = 0; i < k; i++) {
		buf[n++] = tpid >> 8;
		buf[n++] = tpid & 0xff;
		buf[n++] = 0;
		buf[n++] = (uint8_t)(10 + i);
	}
	buf[n++] = 0x08;
	buf[n++] = 0x00;
	memcpy(buf + n, F_eth_syn + 14, N(F_eth_syn) - 14);
	return n + N(F_eth_syn) - 14;
}

static void vlan_depth(void **state)
{
	uint8_t buf[128];
	struct pkt p;
	uint32_t n;

	n = build_tagged(buf, sizeof(buf), 4, 0x9100);
	decode_ok(LINK_ETHERNET, buf, n, &p);
	assert_int_equal(p.nvlan, 2); /* four walked, the outer two kept */
	assert_int_equal(p.vlan[0], 10);
	assert_int_equal(p.vlan[1], 11);
	assert_doc_syn(&p);

	n = build_tagged(buf, sizeof(buf), 5, 0x8100);
	assert_int_equal(pkt_decode(LINK_ETHERNET, buf, n, &p), PKT_ERR_VLAN_DEPTH);
}

/* Ethernet 0x8847 + k labels (bottom of stack on the last) + IPv4 SYN. */
static uint32_t build_mpls(uint8_t *buf, unsigned k, uint8_t first_nibble)
{
	uint32_t n = 12;

	memcpy(buf, F_eth_syn, 12);
	buf[n++] = 0x88;
	buf[n++] = 0x47;
	for (unsigned i = 0; i < k; i++) {
		uint32_t lse = (uint32_t)(100 + i) << 12 | (i + 1 == k ? 0x100 : 0) | 64;

		buf[n++] = lse >> 24;
		buf[n++] = lse >> 16;
		buf[n++] = lse >> 8;
		buf[n++] = lse;
	}
	memcpy(buf + n, F_eth_syn + 14, N(F_eth_syn) - 14);
	buf[n] = (uint8_t)(first_nibble << 4 | (buf[n] & 0x0f));
	return n + N(F_eth_syn) - 14;
}

static void mpls_depth_and_payload_guess(void **state)
{
	uint8_t buf[160];
	struct pkt p;
	uint32_t n;

	n = build_mpls(buf, PKT_MAX_MPLS, 4);
	decode_ok(LINK_ETHERNET, buf, n, &p);
	assert_int_equal(p.nmpls, PKT_MAX_MPLS);
	assert_doc_syn(&p);

	n = build_mpls(buf, PKT_MAX_MPLS + 1, 4);
	assert_int_equal(pkt_decode(LINK_ETHERNET, buf, n, &p), PKT_ERR_MPLS_DEPTH);

	n = build_mpls(buf, 1, 0); /* pseudowire control word: not IP */
	assert_int_equal(pkt_decode(LINK_ETHERNET, buf, n, &p), PKT_ERR_NOT_IP);
}

/* IPv6 packet of eth ip6_udp with the extension headers `ext` inserted before the UDP. */
static uint32_t build_ip6_ext(uint8_t *buf, size_t cap, const uint8_t *ext, size_t extlen,
			      uint8_t first_nh)
{
	const uint32_t udp_len = N(F_ip6_udp) - 54;
	uint32_t plen = (uint32_t)extlen + udp_len;

	assert_true(cap >= 54 + extlen + udp_len);
	memcpy(buf, F_ip6_udp, 54);
	buf[18] = (uint8_t)(plen >> 8);
	buf[19] = (uint8_t)plen;
	buf[20] = first_nh;
	memcpy(buf + 54, ext, extlen);
	memcpy(buf + 54 + extlen, F_ip6_udp + 54, udp_len);
	return 54 + (uint32_t)extlen + udp_len;
}

static void ipv6_extension_chain(void **state)
{
	/* hop-by-hop (8) -> routing (8) -> AH (24, length in 4-octet units) -> dest opts (8)
	 * -> mobility (8, payload proto 17 for the test) -> UDP */
	uint8_t ext[56] = { 0 };
	uint8_t buf[256];
	struct pkt p;
	uint32_t n;

	ext[0] = 43;                 /* HBH: next routing, len 0 */
	ext[2] = 1, ext[3] = 4;      /* PadN */
	ext[8] = 51;                 /* routing: next AH, len 0, type 0, segments left 0 */
	ext[16] = 60, ext[17] = 4;   /* AH: next dest opts, (4 + 2) * 4 = 24 bytes */
	ext[40] = 135;               /* dest opts: next mobility */
	ext[42] = 1, ext[43] = 4;
	ext[48] = 17;                /* mobility: payload proto UDP, len 0 */
	n = build_ip6_ext(buf, sizeof(buf), ext, sizeof(ext), 0);
	decode_ok(LINK_ETHERNET, buf, n, &p);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.ip_len, 40 + 56 + 37);
	assert_false(p.frag);
	assert_int_equal(p.sport, 40001);
	assert_int_equal(p.dport, 53);
	assert_dns_payload(&p);

	/* eight destination-options headers are followed, nine are too many */
	uint8_t many[9 * 8] = { 0 };
	for (int k = 8; k <= 9; k++) {
		for (int i = 0; i < k; i++)
			many[i * 8] = i + 1 == k ? 17 : 60;
		n = build_ip6_ext(buf, sizeof(buf), many, (size_t)k * 8, 60);
		assert_int_equal(pkt_decode(LINK_ETHERNET, buf, n, &p), k == 8 ? PKT_OK : PKT_ERR_IP6_EXT);
	}
}

static void other_inputs(void **state)
{
	/* a real ARP request: who-has 192.0.2.1 tell 192.0.2.2 */
	static const uint8_t arp[] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3c, 0x2c, 0x30, 0x11, 0x22, 0x33,
		0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x3c, 0x2c,
		0x30, 0x11, 0x22, 0x33, 0xc0, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	};
	struct pkt p;

	assert_int_equal(pkt_decode(LINK_ETHERNET, arp, sizeof(arp), &p), PKT_ERR_NOT_IP);
	assert_int_equal(pkt_decode(9999, F_eth_syn, N(F_eth_syn), &p), PKT_ERR_LINKTYPE);
	assert_int_equal(pkt_decode(LINK_ETHERNET, NULL, 0, &p), PKT_ERR_LINK_TRUNC);
	/* on error, what came before the failure is kept */
	assert_int_equal(pkt_decode(LINK_ETHERNET, F_eth_syn, 40, &p), PKT_ERR_TCP_TRUNC);
	assert_int_equal(p.ipver, 4);
	assert_addr(&p.src, "198.51.100.7");
	assert_false(p.has_l4);
}

static void error_names(void **state)
{
	for (int i = 0; i < PKT_ERR__COUNT; i++) {
		const char *a = pkt_err_name(i);

		assert_string_not_equal(a, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, pkt_err_name(j));
	}
	assert_string_equal(pkt_err_name(PKT_OK), "ok");
	assert_string_equal(pkt_err_name(PKT_ERR_NOT_IP), "not_ip");
	assert_string_equal(pkt_err_name(PKT_ERR__COUNT), "unknown");
	assert_string_equal(pkt_err_name(-1), "unknown");
}

/* ---- the pcap / pcapng file source ------------------------------------------------------ */

struct tmp {
	char dir[256];
	char path[300];
};

static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));
	const char *base = getenv("TMPDIR");

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "%s/sk-decode-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/cap", t->dir);
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	struct tmp *t = *state;

	unlink(t->path);
	rmdir(t->dir);
	free(t);
	return 0;
}

static void write_bytes(const char *path, const void *b, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	if (n)
		assert_int_equal(fwrite(b, 1, n, fp), n);
	assert_int_equal(fclose(fp), 0);
}

/* Write a classic pcap of Ethernet frames with libpcap's own writer; returns its size. */
static long write_pcap(const char *path, const uint8_t *const *frames, const uint32_t *lens,
		       const uint32_t *wirelens, int n)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	long size;

	assert_non_null(dead);
	d = pcap_dump_open(dead, path);
	assert_non_null(d);
	for (int i = 0; i < n; i++) {
		struct pcap_pkthdr h = { 0 };

		h.ts.tv_sec = 1700000000 + i;
		h.ts.tv_usec = 250000 * i + 17;
		h.caplen = lens[i];
		h.len = wirelens[i];
		pcap_dump((u_char *)d, &h, frames[i]);
	}
	pcap_dump_flush(d);
	size = pcap_dump_ftell(d);
	pcap_dump_close(d);
	pcap_close(dead);
	return size;
}

static void assert_one_line(const char *s)
{
	assert_true(strlen(s) > 0);
	assert_null(strchr(s, '\n'));
}

static void pcap_file_frames_then_end(void **state)
{
	struct tmp *t = *state;
	const uint8_t *frames[] = { F_eth_syn, F_vlan_dns, F_eth_http };
	const uint32_t lens[] = { N(F_eth_syn), N(F_vlan_dns), 70 };
	const uint32_t wire[] = { N(F_eth_syn), N(F_vlan_dns), N(F_eth_http) }; /* 3rd: snaplen cut */
	char err[256] = "";
	struct source *s;
	struct frame f;
	struct pkt p;

	write_pcap(t->path, frames, lens, wire, 3);
	s = source_open_file(t->path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(source_linktype(s), LINK_ETHERNET);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(source_next(s, &f), SRC_FRAME);
		assert_int_equal(f.ts_us, (uint64_t)(1700000000 + i) * 1000000 + 250000 * i + 17);
		assert_int_equal(f.caplen, lens[i]);
		assert_int_equal(f.wirelen, wire[i]);
		assert_memory_equal(f.data, frames[i], lens[i]);
		assert_int_equal(pkt_decode(source_linktype(s), f.data, f.caplen, &p), PKT_OK);
	}
	assert_int_equal(p.payload_len, 16); /* the cut frame: payload bounded by the capture */
	assert_int_equal(source_next(s, &f), SRC_END);
	source_close(s);
}

static void pcap_caplen_above_wirelen_passed_on(void **state)
{
	struct tmp *t = *state;
	const uint8_t *frames[] = { F_eth_pad_ack };
	const uint32_t lens[] = { N(F_eth_pad_ack) };
	const uint32_t wire[] = { 40 };
	char err[256] = "";
	struct source *s;
	struct frame f;

	write_pcap(t->path, frames, lens, wire, 1);
	s = source_open_file(t->path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(source_next(s, &f), SRC_FRAME);
	assert_int_equal(f.caplen, 60);
	assert_int_equal(f.wirelen, 40);
	assert_int_equal(source_next(s, &f), SRC_END);
	source_close(s);
}

static void pcap_header_only_is_empty_capture(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	struct source *s;
	struct frame f;

	assert_int_equal(write_pcap(t->path, NULL, NULL, NULL, 0), 24);
	s = source_open_file(t->path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(source_next(s, &f), SRC_END);
	source_close(s);
}

static void pcap_truncated_mid_record(void **state)
{
	struct tmp *t = *state;
	const uint8_t *frames[] = { F_eth_syn, F_vlan_dns, F_eth_http };
	const uint32_t lens[] = { N(F_eth_syn), N(F_vlan_dns), N(F_eth_http) };
	char err[256] = "";
	struct source *s;
	struct frame f;
	long size = write_pcap(t->path, frames, lens, lens, 3);

	/* cut inside the third record's data, then inside its 16-byte record header */
	const long cut_at[] = { size - 10, 24 + 2 * 16 + N(F_eth_syn) + N(F_vlan_dns) + 8 };
	for (int k = 0; k < 2; k++) {
		write_pcap(t->path, frames, lens, lens, 3);
		assert_int_equal(truncate(t->path, cut_at[k]), 0);
		s = source_open_file(t->path, err, sizeof(err));
		assert_non_null(s);
		assert_int_equal(source_next(s, &f), SRC_FRAME);
		assert_int_equal(f.caplen, N(F_eth_syn));
		assert_int_equal(source_next(s, &f), SRC_FRAME);
		assert_memory_equal(f.data, F_vlan_dns, N(F_vlan_dns));
		assert_int_equal(source_next(s, &f), SRC_ERROR);
		assert_one_line(source_error(s));
		assert_non_null(strstr(source_error(s), "truncated"));
		source_close(s);
	}
}

static void corrupt_and_empty_files_fail_to_open(void **state)
{
	struct tmp *t = *state;
	static const char junk[] = "this is not a capture file at all, not even close";
	char err[256];

	write_bytes(t->path, junk, sizeof(junk));
	err[0] = '\0';
	assert_null(source_open_file(t->path, err, sizeof(err)));
	assert_one_line(err);

	write_bytes(t->path, "", 0);
	err[0] = '\0';
	assert_null(source_open_file(t->path, err, sizeof(err)));
	assert_one_line(err);

	err[0] = '\0';
	assert_null(source_open_file("no-such-dir/no-such-file.pcap", err, sizeof(err)));
	assert_one_line(err);
}

/* A pcapng of one raw-IP frame (F_raw_icmp), block by block, little-endian. */
static const uint8_t pcapng_raw_icmp[] = {
	/* Section Header Block: type, length 28, byte-order magic, version 1.0, length -1 */
	0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a,
	0x01, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x1c, 0x00, 0x00, 0x00,
	/* Interface Description Block: length 20, LINKTYPE_RAW (101), snaplen 0 */
	0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
	0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00,
	/* Enhanced Packet Block: length 68, interface 0, timestamp 1700000000.123456 in
	 * microseconds (high, low), captured 36, original 36, the frame, length again */
	0x06, 0x00, 0x00, 0x00, 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x24, 0x0a, 0x06, 0x00, 0x40, 0x22, 0x20, 0x18, 0x24, 0x00, 0x00, 0x00,
	0x24, 0x00, 0x00, 0x00,
	0x45, 0x00, 0x00, 0x24, 0x1c, 0x46, 0x40, 0x00,
	0xfa, 0x01, 0xfe, 0x4d, 0xc6, 0x33, 0x64, 0x07, 0xcb, 0x00, 0x71, 0x09,
	0x08, 0x00, 0x54, 0x2f, 0x12, 0x34, 0x00, 0x07, 0x61, 0x62, 0x63, 0x64,
	0x65, 0x66, 0x67, 0x68, 0x44, 0x00, 0x00, 0x00,
};

static void pcapng_file(void **state)
{
	struct tmp *t = *state;
	char err[256] = "";
	struct source *s;
	struct frame f;
	struct pkt p;

	write_bytes(t->path, pcapng_raw_icmp, sizeof(pcapng_raw_icmp));
	s = source_open_file(t->path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(source_next(s, &f), SRC_FRAME);
	assert_int_equal(f.ts_us, 1700000000123456ull);
	assert_int_equal(f.caplen, N(F_raw_icmp));
	assert_int_equal(f.wirelen, N(F_raw_icmp));
	assert_memory_equal(f.data, F_raw_icmp, N(F_raw_icmp));
	/* libpcap reports LINKTYPE_RAW as this system's DLT_RAW; the decoder takes either */
	decode_ok(source_linktype(s), f.data, f.caplen, &p);
	assert_int_equal(p.ttl, 250);
	assert_int_equal(source_next(s, &f), SRC_END);
	source_close(s);

	/* the same file cut inside the packet block */
	write_bytes(t->path, pcapng_raw_icmp, sizeof(pcapng_raw_icmp) - 20);
	s = source_open_file(t->path, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(source_next(s, &f), SRC_ERROR);
	assert_one_line(source_error(s));
	source_close(s);
}

/* The pair hash: the same for both directions of a conversation, set by the decoder, equal
 * to what pkt_pair_hash computes for a hand-built packet, different for another port. */
static void pair_hash_both_ways(void **state)
{
	uint8_t rev[sizeof(F_lo_syn)];
	struct pkt p, r;

	memcpy(rev, F_lo_syn, sizeof(rev));
	memcpy(rev + 26, F_lo_syn + 30, 4);   /* swap the IPv4 addresses (equal here) */
	memcpy(rev + 30, F_lo_syn + 26, 4);
	memcpy(rev + 34, F_lo_syn + 36, 2);   /* and the ports */
	memcpy(rev + 36, F_lo_syn + 34, 2);
	assert_int_equal(pkt_decode(LINK_ETHERNET, F_lo_syn, sizeof(F_lo_syn), &p), PKT_OK);
	assert_int_equal(pkt_decode(LINK_ETHERNET, rev, sizeof(rev), &r), PKT_OK);
	assert_true(p.pair_hashed && r.pair_hashed);
	assert_int_equal(p.sport, r.dport);
	assert_true(p.pair_hash == r.pair_hash);

	struct pkt h = p;
	h.pair_hashed = false;
	h.pair_hash = 0;
	assert_true(pkt_pair_hash(&h) == p.pair_hash);
	h.sport++;
	assert_true(pkt_pair_hash(&h) != p.pair_hash);

	/* keyed: the same tuple under two keys */
	uint8_t k1[PAIRHASH_KEYBYTES] = { 1 }, k2[PAIRHASH_KEYBYTES] = { 2 };
	assert_true(pairhash(k1, 6, &p.src, 1, &p.dst, 2) != pairhash(k2, 6, &p.src, 1, &p.dst, 2));
	assert_true(pairhash(k1, 6, &p.src, 1, &p.dst, 2) == pairhash(k1, 6, &p.dst, 2, &p.src, 1));
	assert_true(pairhash(k1, 6, &p.src, 1, &p.dst, 2) != pairhash(k1, 17, &p.src, 1, &p.dst, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pair_hash_both_ways),
		cmocka_unit_test(ethernet_ipv4_tcp_syn),
		cmocka_unit_test(ethernet_tcp_payload_and_padding),
		cmocka_unit_test(vlan_and_qinq),
		cmocka_unit_test(mpls_stack),
		cmocka_unit_test(ipv4_options_skipped),
		cmocka_unit_test(ipv4_fragments),
		cmocka_unit_test(ipv6_udp),
		cmocka_unit_test(ipv6_hop_by_hop_and_fragment),
		cmocka_unit_test(icmp_and_icmpv6_echo),
		cmocka_unit_test(linux_cooked_v1_v2),
		cmocka_unit_test(bsd_loopback),
		cmocka_unit_test(raw_ip_link_types),
		cmocka_unit_test(pppoe_session),
		cmocka_unit_test(every_prefix_gives_its_layer_error),
		cmocka_unit_test(bad_ip_and_l4_headers),
		cmocka_unit_test(tso_zero_length_and_snaplen),
		cmocka_unit_test(inner_lengths_bound_the_payload),
		cmocka_unit_test(vlan_depth),
		cmocka_unit_test(mpls_depth_and_payload_guess),
		cmocka_unit_test(ipv6_extension_chain),
		cmocka_unit_test(other_inputs),
		cmocka_unit_test(error_names),
		cmocka_unit_test_setup_teardown(pcap_file_frames_then_end, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(pcap_caplen_above_wirelen_passed_on, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(pcap_header_only_is_empty_capture, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(pcap_truncated_mid_record, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(corrupt_and_empty_files_fail_to_open, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(pcapng_file, tmp_setup, tmp_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

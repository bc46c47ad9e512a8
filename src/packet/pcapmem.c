/*
 * pcapmem.c — the classic pcap format parsed from memory; see pcapmem.h.
 *
 * File header (24 bytes): magic, version 2.4, zone, sigfigs, snap length, link type. Record
 * (16 bytes + frame): seconds, micro- or nanoseconds, captured length, original length. All
 * in the writer's byte order, which the magic tells. The rules below are libpcap's
 * (sf-pcap.c), so that a file reads the same either way:
 *   - a snap length of 0 or over 262,144 means 262,144;
 *   - a captured length over 262,144 is an error ("invalid packet capture length");
 *   - a captured length over the snap length gives the first snap-length bytes, and the
 *     rest of the record is skipped;
 *   - a record cut short (header or bytes) is an error; no bytes left is the end;
 *   - the time fields are signed 32-bit numbers in a file of this machine's byte order and
 *     unsigned in a swapped one (so seconds from 2^31 on, year 2038, come out negative in
 *     the first), as in libpcap: the file source gives the same either way.
 */
#include "packet/pcapmem.h"

#include <stdio.h>
#include <string.h>

#include "packet/decode.h"

#define PCAP_MAX_SNAPLEN 262144u   /* libpcap's MAXIMUM_SNAPLEN for the link types taken */
#define PCAP_REC 16u
#define DLT_RAW_LINUX 12           /* what libpcap maps LINKTYPE_RAW (101) to on Linux */

static uint32_t rd32(const uint8_t *p, bool swapped)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, bool swapped)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swapped ? __builtin_bswap16(v) : v;
}

/* The link types the decoder knows, as pcap_datalink() names them; -1 for the others. */
static int dlt_of(uint32_t linktype)
{
	switch (linktype) {
	case LINK_NULL:
	case LINK_ETHERNET:
	case LINK_LOOP:
	case LINK_LINUX_SLL:
	case LINK_LINUX_SLL2:
	case LINK_IPV4:
	case LINK_IPV6:
		return (int)linktype;
	case LINK_RAW:
		return DLT_RAW_LINUX;
	default:
		return -1;
	}
}

int pcapmem_open(struct pcapmem *m, const uint8_t *p, size_t len)
{
	uint32_t magic;
	bool swapped, nsec;
	int dlt;

	memset(m, 0, sizeof(*m));
	if (len < PCAPMEM_HDR)
		return 1;
	memcpy(&magic, p, sizeof(magic));
	switch (magic) {
	case 0xa1b2c3d4: swapped = false; nsec = false; break;
	case 0xa1b23c4d: swapped = false; nsec = true; break;
	case 0xd4c3b2a1: swapped = true; nsec = false; break;
	case 0x4d3cb2a1: swapped = true; nsec = true; break;
	default: return 1;
	}
	if (rd16(p + 4, swapped) != 2 || rd16(p + 6, swapped) != 4)
		return 1;
	dlt = dlt_of(rd32(p + 20, swapped));   /* FCS bits or any other high bits: libpcap's */
	if (dlt < 0)
		return 1;
	m->snaplen = rd32(p + 16, swapped);
	if (m->snaplen == 0 || m->snaplen > PCAP_MAX_SNAPLEN)
		m->snaplen = PCAP_MAX_SNAPLEN;
	m->linktype = dlt;
	m->swapped = swapped;
	m->nsec = nsec;
	return 0;
}

enum pcapmem_rec pcapmem_next(const struct pcapmem *m, const uint8_t *p, size_t len, bool eof,
			      struct frame *f, size_t *used, char *err, size_t errlen)
{
	uint32_t sec, frac, caplen, wirelen;

	if (len < PCAP_REC) {
		if (!eof)
			return PCAPMEM_MORE;
		if (len == 0)
			return PCAPMEM_END;
		snprintf(err, errlen, "truncated dump file; tried to read %u header bytes, only got %zu",
			 PCAP_REC, len);
		return PCAPMEM_BAD;
	}
	sec = rd32(p, m->swapped);
	frac = rd32(p + 4, m->swapped);
	caplen = rd32(p + 8, m->swapped);
	wirelen = rd32(p + 12, m->swapped);
	if (caplen > PCAP_MAX_SNAPLEN) {
		snprintf(err, errlen, "invalid packet capture length %u, bigger than snaplen of %u",
			 caplen, m->snaplen);
		return PCAPMEM_BAD;
	}
	if (len - PCAP_REC < caplen) {
		if (!eof)
			return PCAPMEM_MORE;
		snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %zu",
			 caplen, len - PCAP_REC);
		return PCAPMEM_BAD;
	}
	/* libpcap's arithmetic: in the writer's byte order the fields are signed 32-bit, in the
	 * other (swapped) unsigned; nanoseconds truncate toward 0 */
	int64_t isec = m->swapped ? (int64_t)sec : (int32_t)sec;
	int64_t ifrac = m->swapped ? (int64_t)frac : (int32_t)frac;
	f->ts_us = (uint64_t)isec * 1000000u + (uint64_t)(m->nsec ? ifrac / 1000 : ifrac);
	f->caplen = caplen < m->snaplen ? caplen : m->snaplen;
	f->wirelen = wirelen;
	f->data = p + PCAP_REC;
	*used = PCAP_REC + caplen;
	return PCAPMEM_FRAME;
}

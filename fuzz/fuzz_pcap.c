/*
 * fuzz_pcap.c — a whole capture file (pcap or pcapng) through libpcap's reader and every
 * frame through pkt_decode, as the sensor reads it. The input is given to libpcap through
 * fmemopen, so no file is written per input.
 */
#include <pcap/pcap.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "packet/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	struct pkt p;
	pcap_t *pc;
	FILE *fp;
	int linktype, n = 0;

	if (size == 0)
		return 0;
	fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!pc) {
		fclose(fp);
		return 0;
	}
	linktype = pcap_datalink(pc);
	/* bounded: a capture that keeps giving frames still ends within 10000 */
	while (n++ < 10000 && pcap_next_ex(pc, &h, &frame) == 1) {
		enum pkt_err e = pkt_decode(linktype, frame, h->caplen, &p);

		if ((unsigned)e >= PKT_ERR__COUNT)
			abort();
		if (p.payload && p.payload + p.payload_len > frame + h->caplen)
			abort();
	}
	pcap_close(pc); /* closes fp too */
	return 0;
}

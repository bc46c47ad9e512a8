/*
 * ceiling.c — the ceiling row of the benchmark: the least any libpcap reader can do.
 *
 *   ceiling FILE.pcap
 *
 * Opens the capture with pcap_fopen_offline on a FILE with a 1 MiB buffer (the sensor's
 * file source reads the same way: few read(2) calls), reads every frame with pcap_next_ex, touches
 * one byte of each (so the frame's first cache line is really loaded) and counts. Prints
 * "packets N bytes N seconds S" on one line. No decoding, no state: whatever a real reader
 * does on top of this loop is what it costs over the ceiling.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long packets = 0, bytes = 0;
	unsigned sum = 0;
	static char buf[1 << 20];
	pcap_t *p;
	FILE *f;
	double t0, t1;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: ceiling FILE.pcap\n");
		return 2;
	}
	t0 = now();
	/* the same read path as the sensor's file source: a 1 MiB stdio buffer */
	f = fopen(argv[1], "rb");
	if (!f || setvbuf(f, buf, _IOFBF, sizeof(buf)) != 0) {
		fprintf(stderr, "ceiling: cannot open %s\n", argv[1]);
		return 1;
	}
	p = pcap_fopen_offline(f, errbuf);
	if (!p) {
		fprintf(stderr, "ceiling: %s\n", errbuf);
		return 1;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		if (h->caplen > 0)
			sum += data[h->caplen / 2];
		packets++;
		bytes += h->caplen;
	}
	t1 = now();
	if (r == -1) {
		fprintf(stderr, "ceiling: %s\n", pcap_geterr(p));
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	/* The checksum keeps the touch from being optimised away. */
	printf("packets %llu bytes %llu seconds %.6f touch %u\n", packets, bytes, t1 - t0,
	       sum & 0xff);
	return 0;
}

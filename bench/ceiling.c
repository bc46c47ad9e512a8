/*
 * ceiling.c — the ceiling rows of the benchmark: the least a reader of the capture can do.
 *
 *   ceiling FILE.pcap            libpcap: the ceiling
 *   ceiling --chunks FILE.pcap   no libpcap: the way the sensor's file source reads
 *
 * The first opens the capture with pcap_fopen_offline on a FILE with a 1 MiB buffer (few
 * read(2) calls) and reads every frame with pcap_next_ex. The second reads 1 MiB chunks with
 * pread and walks the classic pcap records in place (this machine's byte order only). Both
 * touch one byte of each frame (so its cache line is really loaded) and count, and print
 * "packets N bytes N seconds S" on one line. No decoding, no state: whatever a real reader
 * does on top of this loop is what it costs over the ceiling.
 */
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int chunks(const char *path)
{
	static unsigned char buf[1 << 20];
	unsigned long long packets = 0, bytes = 0;
	unsigned sum = 0;
	size_t have = 0, pos = 0;
	off_t off = 24;    /* past the file header */
	double t0 = now(), t1;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "ceiling: cannot open %s\n", path);
		return 1;
	}
	for (;;) {
		uint32_t caplen;
		if (have - pos < 16 || (memcpy(&caplen, buf + pos + 8, 4), have - pos - 16 < caplen)) {
			memmove(buf, buf + pos, have - pos);
			have -= pos;
			pos = 0;
			ssize_t got = pread(fd, buf + have, sizeof(buf) - have, off);
			if (got <= 0)
				break;
			have += (size_t)got;
			off += got;
			continue;
		}
		if (caplen > 0)
			sum += buf[pos + 16 + caplen / 2];
		packets++;
		bytes += caplen;
		pos += 16 + caplen;
	}
	t1 = now();
	close(fd);
	printf("packets %llu bytes %llu seconds %.6f touch %u\n", packets, bytes, t1 - t0,
	       sum & 0xff);
	return 0;
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

	if (argc == 3 && strcmp(argv[1], "--chunks") == 0)
		return chunks(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: ceiling [--chunks] FILE.pcap\n");
		return 2;
	}
	t0 = now();
	/* libpcap's read path at its best: a 1 MiB stdio buffer */
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

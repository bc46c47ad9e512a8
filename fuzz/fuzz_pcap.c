/*
 * fuzz_pcap.c — a whole capture file (pcap or pcapng) through libpcap's reader and every
 * frame through pkt_decode, as the sensor reads it; and, for the files the sensor's own
 * classic pcap reader takes (pcapmem.h), that reader against libpcap: the same link type,
 * the same frames (time, lengths, bytes), an error or the end at the same frame. Each record
 * is also offered one byte short without eof, which must ask for more rather than fail. The
 * input is given to libpcap through fmemopen, so no file is written per input. The same
 * files are read once more through the block reader the workers share (source_block, from
 * a memfd, two frames a call): the same frames and end, and nothing in a block but frames.
 */
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "packet/decode.h"
#include "packet/pcapmem.h"
#include "packet/source.h"

#define MAX_FRAMES 10000   /* a capture that keeps giving frames still ends */
#define BLK (SOURCE_BLOCK_MIN + 1)

static uint8_t blk[BLK], check[BLK];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* pcapmem's next step on data[*off..size); SRC_FRAME, SRC_END or SRC_ERROR like libpcap's. */
static int mem_next(const struct pcapmem *m, const uint8_t *data, size_t size, size_t *off,
		    struct frame *f)
{
	char err[256];
	size_t used = 0;
	enum pcapmem_rec r = pcapmem_next(m, data + *off, size - *off, true, f, &used, err, sizeof(err));

	switch (r) {
	case PCAPMEM_FRAME:
		if (used < 16 || used > size - *off)
			abort();
		/* one byte short, more to come: must ask for it */
		struct frame g;
		size_t u2;
		if (pcapmem_next(m, data + *off, used - 1, false, &g, &u2, err, sizeof(err)) != PCAPMEM_MORE)
			abort();
		*off += used;
		return SRC_FRAME;
	case PCAPMEM_END:
		return SRC_END;
	case PCAPMEM_BAD:
		if (!err[0] || strchr(err, '\n'))
			abort();
		return SRC_ERROR;
	default:
		abort();   /* eof given: never MORE */
	}
}

/* data through source_block: frame for frame what pcapmem gives (the reference walk). */
static void blocks_agree(const struct pcapmem *m, const uint8_t *data, size_t size)
{
	char path[64], err[256];
	int fd = memfd_create("fuzz-pcap", 0);
	size_t off = 24, n;
	struct frame fr[2], want;
	enum src_status s;
	int frames = 0;

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct source *src = source_open_file(path, err, sizeof(err));
	close(fd);                  /* the source holds its own descriptor */
	if (!src)
		return;
	if (!source_can_block(src))
		abort();            /* pcapmem takes it, so the chunk source has it */
	/* the bytes read are at most the file's: only those can be written (the rest is checked
	 * to stay untouched) */
	size_t span = size < sizeof(blk) ? size : sizeof(blk);
	memset(blk, 0xa5, sizeof(blk));
	do {
		memset(blk, 0xa5, span);
		s = source_block(src, blk, sizeof(blk), fr, 2, &n);
		if ((s == SRC_FRAME) != (n > 0) || n > 2)
			abort();
		memcpy(check, blk, span);
		for (size_t i = 0; i < n; i++) {
			if (mem_next(m, data, size, &off, &want) != SRC_FRAME ||
			    want.caplen != fr[i].caplen || want.wirelen != fr[i].wirelen ||
			    want.ts_us != fr[i].ts_us || memcmp(want.data, fr[i].data, want.caplen) != 0)
				abort();
			memset(check + (fr[i].data - blk), 0, fr[i].caplen);
			frames++;
		}
		for (size_t i = 0; i < span; i++)
			if (check[i] != 0 && check[i] != 0xa5)
				abort();    /* a byte not a frame's was left in the block */
		if (span < sizeof(blk) && blk[span] != 0xa5)
			abort();
	} while (s == SRC_FRAME && frames < MAX_FRAMES);
	if (s != SRC_FRAME && mem_next(m, data, size, &off, &want) != (int)s)
		abort();
	source_close(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *frame;
	struct pcapmem m;
	struct pkt p;
	pcap_t *pc;
	FILE *fp;
	int linktype, n = 0, mine;
	size_t off = 24;

	if (size == 0)
		return 0;
	mine = pcapmem_open(&m, data, size) == 0;
	fp = fmemopen((void *)data, size, "rb");
	if (!fp)
		return 0;
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!pc) {
		fclose(fp);
		if (mine)
			abort();   /* pcapmem took a file libpcap refuses */
		return 0;
	}
	linktype = pcap_datalink(pc);
	if (mine && m.linktype != linktype)
		abort();
	while (n++ < MAX_FRAMES) {
		int rc = pcap_next_ex(pc, &h, &frame);
		struct frame f;

		if (mine) {
			int mr = mem_next(&m, data, size, &off, &f);
			int want = rc == 1 ? SRC_FRAME : rc == PCAP_ERROR_BREAK ? SRC_END : SRC_ERROR;
			if (mr != want)
				abort();
			if (rc == 1 && (f.caplen != h->caplen || f.wirelen != h->len ||
					f.ts_us != (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec ||
					memcmp(f.data, frame, f.caplen) != 0))
				abort();
		}
		if (rc != 1)
			break;
		enum pkt_err e = pkt_decode(linktype, frame, h->caplen, &p);

		if ((unsigned)e >= PKT_ERR__COUNT)
			abort();
		if (p.payload && p.payload + p.payload_len > frame + h->caplen)
			abort();
	}
	pcap_close(pc); /* closes fp too */
	if (mine)
		blocks_agree(&m, data, size);
	return 0;
}

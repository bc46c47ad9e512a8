/*
 * source_pcap.c — pcap and pcapng files (and standard input) through libpcap.
 *
 * libpcap reads both formats behind one call; timestamps are asked for in microseconds so
 * that struct frame needs no conversion. What libpcap reports as broken (a record cut short,
 * a corrupt header) becomes SRC_ERROR or a failed open with libpcap's own reason, flattened
 * to one line. Frame lengths are passed on as libpcap gives them, even when caplen exceeds
 * wirelen or the snap length: the decoder bounds every read by caplen.
 */
#include "packet/source.h"

#include <pcap/pcap.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_BUF (1u << 20)   /* stdio buffer of a capture file: few read(2) calls */

struct pcap_source {
	struct source base;      /* first: a struct source * is a struct pcap_source * */
	pcap_t *pc;
	int linktype;
	char *buf;               /* the FILE's buffer: raw capture bytes, wiped on close */
};

/* Copy src into dst (dstlen > 0) as one line: newlines become spaces, trailing space goes. */
static void one_line(char *dst, size_t dstlen, const char *prefix, const char *src)
{
	size_t n;

	snprintf(dst, dstlen, "%s%s", prefix, src && *src ? src : "unknown error");
	for (char *q = dst; *q; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
	n = strlen(dst);
	while (n > 0 && dst[n - 1] == ' ')
		dst[--n] = '\0';
}

static enum src_status file_next(struct source *s, struct frame *f)
{
	struct pcap_source *ps = (struct pcap_source *)s;
	struct pcap_pkthdr *h;
	const u_char *data;

	for (;;) {
		int rc = pcap_next_ex(ps->pc, &h, &data);

		switch (rc) {
		case 1:
			f->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			f->caplen = h->caplen;
			f->wirelen = h->len;
			f->data = data;
			return SRC_FRAME;
		case 0:
			continue; /* live-capture timeout; files never give it */
		case PCAP_ERROR_BREAK:
			return SRC_END;
		default:
			one_line(s->error, sizeof(s->error), "", pcap_geterr(ps->pc));
			return SRC_ERROR;
		}
	}
}

static int file_linktype(struct source *s)
{
	return ((struct pcap_source *)s)->linktype;
}

static void file_close(struct source *s)
{
	struct pcap_source *ps = (struct pcap_source *)s;

	if (ps->pc)
		pcap_close(ps->pc);
	if (ps->buf) {
		explicit_bzero(ps->buf, FILE_BUF);
		free(ps->buf);
	}
	free(ps);
}

static const struct source_ops pcap_file_ops = {
	.name = "pcap",
	.next = file_next,
	.linktype = file_linktype,
	.close = file_close,
};

struct source *source_open_file(const char *path, char *err, size_t errlen)
{
	char pcerr[PCAP_ERRBUF_SIZE] = "";
	struct pcap_source *ps;
	pcap_t *pc;

	ps = calloc(1, sizeof(*ps));
	if (!ps) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (strcmp(path, "-") == 0) {
		pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, pcerr);
	} else {
		/* libpcap reads a file with two fread calls per frame: give its FILE a large
		 * buffer of ours, so that costs few system calls, and wipe it at the end */
		FILE *f = fopen(path, "rb");

		ps->buf = f ? malloc(FILE_BUF) : NULL;
		if (f && ps->buf)
			setvbuf(f, ps->buf, _IOFBF, FILE_BUF);
		if (!f)
			snprintf(pcerr, sizeof(pcerr), "%s: %s", path, strerror(errno));
		pc = f ? pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, pcerr)
		       : NULL;
		if (f && !pc)
			fclose(f);
	}
	if (!pc) {
		if (err && errlen)
			one_line(err, errlen, "", pcerr);
		free(ps->buf);
		free(ps);
		return NULL;
	}
	ps->base.ops = &pcap_file_ops;
	ps->pc = pc;
	ps->linktype = pcap_datalink(pc);
	return &ps->base;
}

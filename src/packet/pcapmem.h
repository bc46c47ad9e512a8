/*
 * pcapmem.h — classic pcap records parsed out of a buffer of the file's bytes.
 *
 * libpcap reads a file with two fread calls per frame and copies every frame into its own
 * buffer. A capture file that is a plain classic pcap (magic a1b2c3d4 or a1b23c4d, either
 * byte order, version 2.4, a link type the decoder knows) is read here instead in large
 * chunks, and each frame is handed out where it lies in the chunk. Everything else (pcapng,
 * old versions, FCS bits, other link types) is left to libpcap: pcapmem_open says "not
 * mine".
 *
 * For the files it takes, this gives what libpcap gives with microsecond timestamps: the
 * same frames, the same lengths, an end where libpcap ends and an error where libpcap fails
 * (a truncated header or frame, a capture length over 256 KiB). fuzz_pcap compares the two
 * on every input.
 */
#ifndef SK_PCAPMEM_H
#define SK_PCAPMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/source.h"

#define PCAPMEM_HDR 24u             /* file header bytes */
#define PCAPMEM_MAX_RECORD (16u + 262144u)   /* the largest record pcapmem_next accepts */

struct pcapmem {
	uint32_t snaplen;      /* as libpcap adjusts it: 0 or too large become the maximum */
	int linktype;          /* as pcap_datalink() reports it (LINKTYPE_RAW is DLT_RAW, 12) */
	bool swapped, nsec;
};

/* From the file's first len bytes: 0 if this reader takes the file (m filled in; records
 * start at PCAPMEM_HDR), 1 if not (libpcap reads it, and says why if it is broken). */
int pcapmem_open(struct pcapmem *m, const uint8_t *p, size_t len);

enum pcapmem_rec {
	PCAPMEM_FRAME,   /* *f is the record's frame (f->data points into p); *used bytes taken */
	PCAPMEM_MORE,    /* the record goes on past len: read more and call again */
	PCAPMEM_END,     /* len == 0 at the end of the file */
	PCAPMEM_BAD,     /* broken: err says why in one line */
};

/* The record at p[0..len). eof: no bytes follow p + len in the file (a record cut short is
 * then an error, not PCAPMEM_MORE). */
enum pcapmem_rec pcapmem_next(const struct pcapmem *m, const uint8_t *p, size_t len, bool eof,
			      struct frame *f, size_t *used, char *err, size_t errlen);

#endif

/*
 * source_pcap.c — capture files: classic pcap read in chunks and parsed in place, everything else
 * (pcapng, standard input, pipes, unusual headers) through libpcap.
 *
 * The chunked path reads 1 MiB at a time with pread into one buffer (kept out of core files)
 * and hands out each frame where it lies (pcapmem.c): one system call per MiB and no copy
 * per frame, where libpcap makes two fread calls and one copy per frame. The caller clears
 * each frame as usual; a refill clears the stale copy of the bytes it moves, and close
 * clears the buffer. For workers that share the reading, block() reads whole records into a
 * buffer of the caller's and parses them there (no copy either). Mapping the file instead was measured slower on the bench machine: a
 * first touch of each page of a 2 GB mapping cost more than copying it.
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
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "packet/pcapmem.h"

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

/* ---- classic pcap in chunks ------------------------------------------------------------ */

#define CHUNK (1u << 20)   /* bytes read at a time: more than the largest record */
_Static_assert(CHUNK > PCAPMEM_MAX_RECORD, "a chunk holds any record");

struct chunk_source {
	struct source base;      /* first */
	struct pcapmem m;
	int fd;                  /* read with pread */
	uint64_t foff;           /* file offset of the next read */
	uint8_t *buf;            /* CHUNK bytes (from the first next()), out of core files, wiped on close */
	size_t have, pos;        /* buf[pos..have) is not yet handed out */
	bool eof;
	bool broken;             /* block(): an error was found after the frames given */
};

/* One pread at off (again after a signal): bytes read (0 at the end of the file), or -1 with
 * the reason in the source's error. */
static ssize_t read_at(struct chunk_source *cs, uint8_t *buf, size_t len, uint64_t off)
{
	for (;;) {
		ssize_t got = pread(cs->fd, buf, len, (off_t)off);
		if (got >= 0 || errno != EINTR) {
			if (got < 0)
				one_line(cs->base.error, sizeof(cs->base.error), "read error: ",
					 strerror(errno));
			return got;
		}
	}
}

/* Keep the unread part, fill the rest from the file. 0, or -1 with the reason in error. */
static int chunk_refill(struct chunk_source *cs)
{
	size_t keep = cs->have - cs->pos;

	if (!cs->buf) {          /* made at the first read: a source read in blocks has none */
		void *buf = mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
		if (buf == MAP_FAILED) {
			one_line(cs->base.error, sizeof(cs->base.error), "", "out of memory");
			return -1;
		}
		madvise(buf, CHUNK, MADV_DONTDUMP);   /* never in a core file (rule 1) */
		cs->buf = buf;
	}

	memmove(cs->buf, cs->buf + cs->pos, keep);
	/* The frames handed out were cleared by the caller; what moved left a stale copy of
	 * itself behind the moved part: clear that (rule 1). */
	size_t stale = cs->pos > keep ? cs->pos : keep;
	memset(cs->buf + stale, 0, cs->have - stale);
	cs->have = keep;
	cs->pos = 0;
	ssize_t got = read_at(cs, cs->buf + cs->have, CHUNK - cs->have, cs->foff);
	if (got < 0)
		return -1;
	if (got == 0)
		cs->eof = true;
	cs->have += (size_t)got;
	cs->foff += (uint64_t)got;
	return 0;
}

static enum src_status chunk_next(struct source *s, struct frame *f)
{
	struct chunk_source *cs = (struct chunk_source *)s;

	if (!cs->buf && chunk_refill(cs) < 0)
		return SRC_ERROR;
	for (;;) {
		size_t used = 0;
		switch (pcapmem_next(&cs->m, cs->buf + cs->pos, cs->have - cs->pos, cs->eof, f, &used,
				     s->error, sizeof(s->error))) {
		case PCAPMEM_FRAME:
			cs->pos += used;
			return SRC_FRAME;
		case PCAPMEM_END:
			return SRC_END;
		case PCAPMEM_BAD:
			return SRC_ERROR;
		case PCAPMEM_MORE:
			if (chunk_refill(cs) < 0)
				return SRC_ERROR;
			break;
		}
	}
}

static int chunk_linktype(struct source *s)
{
	return ((struct chunk_source *)s)->m.linktype;
}

static void chunk_close(struct source *s)
{
	struct chunk_source *cs = (struct chunk_source *)s;

	if (cs->buf) {
		explicit_bzero(cs->buf, CHUNK);
		munmap(cs->buf, CHUNK);
	}
	close(cs->fd);
	free(cs);
}

static bool chunk_holds(const struct source *s, const void *needle, size_t n)
{
	const struct chunk_source *cs = (const struct chunk_source *)s;

	return n && cs->buf && memmem(cs->buf, CHUNK, needle, n);
}

/*
 * Shared reading: whole records straight into the caller's buffer, parsed there. A record
 * that the end of buf cuts is not handed out; the next call reads it again from its start
 * (at most one record in a block is read twice). Everything in buf that is not a frame's
 * bytes is cleared here, so that a caller who clears the frames leaves nothing behind.
 */
_Static_assert(SOURCE_BLOCK_MIN >= PCAPMEM_MAX_RECORD, "a block holds any record");

static enum src_status chunk_block(struct source *s, uint8_t *buf, size_t cap, struct frame *fr,
				   size_t maxn, size_t *n)
{
	struct chunk_source *cs = (struct chunk_source *)s;
	size_t have = 0, pos = 0, clean = 0;
	bool eof = false, rerr = false;

	*n = 0;
	if (cs->broken)
		return SRC_ERROR;
	while (have < cap && !eof) {
		ssize_t got = read_at(cs, buf + have, cap - have, cs->foff + have);
		if (got < 0) {       /* the whole records before it are still given */
			rerr = true;
			break;
		}
		eof = got == 0;
		have += (size_t)got;
	}
	while (*n < maxn) {
		size_t used = 0;
		struct frame *f = &fr[*n];
		enum pcapmem_rec r = pcapmem_next(&cs->m, buf + pos, have - pos, eof, f, &used,
						  s->error, sizeof(s->error));
		if (r != PCAPMEM_FRAME) {
			cs->broken = r == PCAPMEM_BAD;
			break;           /* MORE: the rest is read again next time; END */
		}
		/* the record header and any bytes past the snap length: not the frame's (rule 1) */
		memset(buf + clean, 0, (size_t)(f->data - buf) - clean);
		clean = (size_t)(f->data - buf) + f->caplen;
		pos += used;
		(*n)++;
	}
	memset(buf + clean, 0, have - clean);
	cs->foff += pos;
	cs->broken = cs->broken || rerr;
	if (*n)
		return SRC_FRAME;
	return cs->broken ? SRC_ERROR : SRC_END;
}

static const struct source_ops chunk_ops = {
	.name = "pcap-chunks",
	.next = chunk_next,
	.linktype = chunk_linktype,
	.close = chunk_close,
	.block = chunk_block,
	.holds = chunk_holds,
};

static struct chunk_source *chunk_new(const struct pcapmem *m, int fd)
{
	struct chunk_source *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->base.ops = &chunk_ops;
	cs->m = *m;
	cs->fd = fd;
	cs->foff = PCAPMEM_HDR;
	return cs;
}

/* The file in chunks, if it is a regular file that pcapmem takes; else NULL (libpcap). */
static struct source *chunk_open(const char *path)
{
	uint8_t hdr[PCAPMEM_HDR];
	struct chunk_source *cs;
	struct pcapmem m;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;    /* libpcap's open says why */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    pcapmem_open(&m, hdr, sizeof(hdr)) != 0 || !(cs = chunk_new(&m, fd))) {
		close(fd);
		return NULL;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return &cs->base;
}

struct source *source_open_file(const char *path, char *err, size_t errlen)
{
	struct source *s = strcmp(path, "-") != 0 ? chunk_open(path) : NULL;

	return s ? s : source_open_libpcap(path, err, errlen);
}

/* ---- libpcap ------------------------------------------------------------------------- */

struct source *source_open_libpcap(const char *path, char *err, size_t errlen)
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

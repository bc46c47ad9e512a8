/*
 * source.h — where packets come from: an ops struct (capture files, live AF_PACKET rings).
 *
 * A source hands out one frame at a time. The bytes stay owned by the source and are valid
 * until the next call to next() or close(). The frame is the source's copy, which the caller
 * clears once done with it (rule 1). A classic pcap file can also be read in blocks of whole
 * records into buffers the caller owns (block()), which workers share.
 */
#ifndef SK_SOURCE_H
#define SK_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct source;

/* source_block's buffers hold more than the largest classic pcap record (16 + 262,144). */
#define SOURCE_BLOCK_MIN (16u + 262144u)

struct frame {
	uint64_t ts_us;
	uint32_t caplen, wirelen;
	const uint8_t *data;
};

enum src_status {
	SRC_FRAME = 0,   /* *f holds a frame */
	SRC_END = 1,     /* input ended cleanly */
	SRC_ERROR = -1,  /* input broken (truncated or corrupt file): source_error() says why */
};

struct source_ops {
	const char *name;
	enum src_status (*next)(struct source *s, struct frame *f);
	int (*linktype)(struct source *s);
	void (*close)(struct source *s);
	/* Shared reading (workers): the next records, whole, read into buf[0..cap) (cap >
	 * SOURCE_BLOCK_MIN), their frames into fr[0..*n) (at most maxn, maxn > 0), pointing into
	 * buf. Every other byte of buf (record headers, bytes past the snap length, a record
	 * cut by the end of buf, which the next call reads again) is cleared before return.
	 * SRC_FRAME (*n > 0), SRC_END, or SRC_ERROR (source_error says why) once the frames
	 * before the break have been given. A source is read either by next() or by block(),
	 * not both. NULL op: not offered (a stream, libpcap, a ring). */
	enum src_status (*block)(struct source *s, uint8_t *buf, size_t cap, struct frame *fr,
				 size_t maxn, size_t *n);
	/* For tests of rule 1: does the source's own buffer hold needle? NULL op: no buffer. */
	bool (*holds)(const struct source *s, const void *needle, size_t n);
};

struct source {
	const struct source_ops *ops;
	char error[256];   /* one-line reason after SRC_ERROR */
};

/* Open a pcap or pcapng file ("-" for standard input). A regular file in the classic pcap
 * format is read in chunks and parsed in place (pcapmem.h) and can be read in blocks; anything else
 * is read through libpcap. Returns NULL with a one-line reason in err. */
struct source *source_open_file(const char *path, char *err, size_t errlen);
/* The same through libpcap always (tests compare the two). */
struct source *source_open_libpcap(const char *path, char *err, size_t errlen);

/* Capture live from interface ifname (Linux AF_PACKET, TPACKET_V3 ring, promiscuous, in a
 * flow-hash PACKET_FANOUT group that later workers of this process join; Ethernet frames).
 * Needs CAP_NET_RAW. NULL with a one-line reason in err. Kernel drops are logged on close. */
struct source *source_open_live(const char *ifname, char *err, size_t errlen);
/* Set (from a signal handler) to stop live sources: next() returns SRC_END within ~100 ms. */
extern volatile sig_atomic_t source_stop_flag;

static inline enum src_status source_next(struct source *s, struct frame *f) { return s->ops->next(s, f); }
static inline int source_linktype(struct source *s) { return s->ops->linktype(s); }
static inline const char *source_error(struct source *s) { return s->error; }
static inline void source_close(struct source *s) { if (s) s->ops->close(s); }
static inline bool source_holds(const struct source *s, const void *needle, size_t n)
{
	return s && s->ops->holds && s->ops->holds(s, needle, n);
}
static inline bool source_can_block(const struct source *s) { return s->ops->block != NULL; }
static inline enum src_status source_block(struct source *s, uint8_t *buf, size_t cap,
					   struct frame *fr, size_t maxn, size_t *n)
{
	return s->ops->block(s, buf, cap, fr, maxn, n);
}

#endif

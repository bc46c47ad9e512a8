/*
 * gen_int.h — internals shared by the generator's files (not an API):
 *
 *   gen.c        run loop: PRNG, address pools, session scheduling, pcap and truth output
 *   gen_wire.c   frames: Ethernet/802.1Q, IPv4/IPv6, TCP/UDP/ICMP, checksums, TCP flows
 *   gen_proto.c  sessions: DNS, HTTP, SMTP, fragments, scans, Mirai, beacons, noise
 *   gen_tls.c    TLS client profiles, ClientHello, server flights
 *
 * A session is built whole into its own arena of frames (each with a timestamp), then merged
 * with the other live sessions in timestamp order through a heap, so flows interleave on the
 * wire as they would on a real link.
 */
#ifndef SK_GEN_INT_H
#define SK_GEN_INT_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "geo/geo.h"

/* --- PRNG: xoshiro256**, seeded through splitmix64 ------------------------------------- */

struct rng {
	uint64_t s[4];
};

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return res;
}

/* Uniform in [0, n) (n > 0), by Lemire's multiply-shift; the bias is below 2^-32. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* Uniform in [lo, hi]. */
static inline uint64_t rng_range(struct rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

/* n random bytes, eight per draw, in an order that does not depend on the host's endianness. */
static inline void rng_fill(struct rng *r, uint8_t *p, size_t n)
{
	while (n) {
		uint64_t x = rng_next(r);
		for (int i = 0; i < 8 && n; i++, n--) {
			*p++ = (uint8_t)x;
			x >>= 8;
		}
	}
}

/* True with probability pct/100. */
static inline bool rng_pct(struct rng *r, unsigned pct) { return rng_below(r, 100) < pct; }

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define RNG_PICK(r, a) ((a)[rng_below((r), ARRAY_LEN(a))])

/* --- hosts and sessions ----------------------------------------------------------------- */

struct ghost {
	struct sk_addr addr;
	uint8_t cls;                /* enum geo_class */
};

struct gframe {
	uint64_t ts;
	uint32_t off, len;
	uint8_t dir;                /* enum direction of this frame */
};

#define SESS_MAX_FRAMES 4096
#define SESS_MAX_BYTES (4u << 20)
#define SESS_MAX_TRUTH 16
#define FRAME_MAX 2048          /* largest frame ever built (MTU 1500 + link headers) */

enum truth_cat { T_DNS, T_TLS, T_HTTP, T_SMTP, T_SCAN, T__COUNT };

struct gsess {
	uint8_t *buf;               /* frames back to back; from malloc(), grows to SESS_MAX_BYTES */
	size_t used, cap;
	struct gframe *fr;          /* from malloc(), grows to SESS_MAX_FRAMES */
	uint32_t nfr, cap_fr, next; /* next: first frame not yet written */
	bool overflow;              /* a frame did not fit: the session is dropped */
	uint64_t order;             /* admission number, breaks timestamp ties */

	/* what this session planted; committed to the truth only when it is admitted */
	uint8_t ntruth;
	uint8_t truth_cat[SESS_MAX_TRUTH];
	json_t *truth[SESS_MAX_TRUTH];
	json_t *secrets;            /* array of strings, or NULL */
	int mirai_bot;              /* index into gen.mirai, or -1 */
	int beacon;                 /* index into gen.beacons, or -1 */
	uint32_t frag_datagrams, frag_frames;

	struct gsess *next_free;
};

#define POOL_N 256
#define MAX_BEACONS 4
#define MAX_MIRAI 8

struct beacon_plan {
	struct ghost src, dst;
	uint16_t dport;
	bool tls;
	uint8_t profile;            /* TLS client profile */
	uint32_t period_s;
	uint64_t next_us;
	uint64_t count;
	char sni[64];
	char path[32];
	char ua[96];
	char bot_id[24];            /* the bot's secret identifier */
};

struct mirai_plan {
	struct ghost src;
	uint64_t count;
};

struct gen {
	struct rng rng;
	const struct geo *geo;
	bool truth;                      /* a truth file is wanted */
	uint64_t start_us;
	struct ghost pool[3][2][POOL_N]; /* [class][v4, v6] */
	uint8_t mac[8][6];               /* router MACs of the simulated link */

	/* scratch buffers for payload assembly (sessions are built one at a time) */
	uint8_t scratch[4][65536];

	struct beacon_plan beacons[MAX_BEACONS];
	int nbeacons;
	struct mirai_plan mirai[MAX_MIRAI];
	int nmirai;
	uint64_t flow_id;                /* serial number of flows, for ephemeral ports */
};

/* --- bounded byte writer: payloads are assembled through it, and cut rather than overflow */
/* --- bounded byte writer --------------------------------------------------------------- */

struct bb {
	uint8_t *p;
	size_t len, cap;
};

static inline struct bb bb_make(uint8_t *mem, size_t cap)
{
	struct bb b = { mem, 0, cap };
	return b;
}

static inline void bb_put(struct bb *b, const void *d, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static inline void bb_u8(struct bb *b, uint8_t v) { bb_put(b, &v, 1); }

static inline void bb_be16(struct bb *b, uint16_t v)
{
	uint8_t x[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	bb_put(b, x, 2);
}

static inline void bb_be24(struct bb *b, uint32_t v)
{
	uint8_t x[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	bb_put(b, x, 3);
}

static inline void bb_be32(struct bb *b, uint32_t v)
{
	bb_be16(b, (uint16_t)(v >> 16));
	bb_be16(b, (uint16_t)v);
}

static inline void bb_str(struct bb *b, const char *s) { bb_put(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3)))
static inline void bb_printf(struct bb *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;

	va_start(ap, fmt);
	int n = vsnprintf((char *)b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	b->len += (size_t)n < room ? (size_t)n : (room ? room - 1 : 0);
}

static inline void bb_rand(struct bb *b, struct rng *r, size_t n)
{
	if (n > b->cap - b->len)
		n = b->cap - b->len;
	rng_fill(r, b->p + b->len, n);
	b->len += n;
}

/* Reserve a length field of w bytes (2 or 3); bb_fill() writes the length of what followed. */
static inline size_t bb_mark(struct bb *b, int w)
{
	size_t at = b->len;
	for (int i = 0; i < w; i++)
		bb_u8(b, 0);
	return at;
}

static inline void bb_fill(struct bb *b, size_t at, int w)
{
	if (at + (size_t)w > b->len)
		return;
	size_t n = b->len - at - (size_t)w;
	for (int i = w - 1; i >= 0; i--) {
		b->p[at + (size_t)i] = (uint8_t)n;
		n >>= 8;
	}
}

/* Up to three cut points strictly inside (lo, hi), ascending. */
static inline int pick_cuts(struct rng *r, size_t lo, size_t hi, int want, size_t *cuts)
{
	int n = 0;
	if (hi <= lo + 1)
		return 0;
	for (int i = 0; i < want; i++) {
		size_t c = lo + 1 + rng_below(r, hi - lo - 1);
		bool dup = false;
		for (int k = 0; k < n; k++)
			dup |= cuts[k] == c;
		if (!dup)
			cuts[n++] = c;
	}
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && cuts[k - 1] > cuts[k]; k--) {
			size_t t = cuts[k];
			cuts[k] = cuts[k - 1];
			cuts[k - 1] = t;
		}
	return n;
}

/* --- gen.c ------------------------------------------------------------------------------ */

/* A host of the given class (GEO_UNKNOWN: private) and family (4 or 6); popular hosts are
 * drawn more often. fresh: a new address outside the pool (scan targets, Mirai victims). */
void gen_host(struct gen *g, int cls, int family, bool fresh, struct ghost *out);
/* "SECRET-" + 12 alphanumerics into out (20 bytes), recorded in the session's secrets. */
void gen_secret(struct gen *g, struct gsess *s, char out[20]);
/* Record an extra secret string (an encoded form). */
void sess_secret(struct gen *g, struct gsess *s, const char *text);
/* Attach a truth item (steals the reference; NULL is ignored). Builders test g->truth
 * before they build items, so a run without a truth file allocates nothing for it. */
void sess_truth(struct gsess *s, enum truth_cat cat, json_t *item);

/* Reserve room for one frame at time ts; returns where to write it, or NULL (overflow). */
uint8_t *sess_frame_begin(struct gsess *s, uint64_t ts);
void sess_frame_end(struct gsess *s, uint32_t len, uint8_t dir);

/* --- gen_wire.c ------------------------------------------------------------------------- */

/* One flow between client (side 0) and server (side 1), as seen at a tap in between. */
struct gflow {
	struct gen *g;
	struct gsess *s;
	struct ghost host[2];
	uint16_t port[2];
	uint8_t ttl[2];
	uint16_t ipid[2];
	uint8_t mac_pair;           /* index of the router MAC pair */
	uint8_t nvlan;
	uint16_t vlan_tpid[2], vlan_tci[2];
	uint32_t flowlabel;
	bool v6;
	uint8_t dir[2];             /* enum direction of frames sent by side 0 / side 1 */

	uint64_t t;                 /* time of the last frame */
	int last_side;
	uint32_t delay[2];          /* one-way delay tap <-> side, microseconds */

	uint32_t seq[2];            /* next sequence number to send, per side */
	uint16_t win[2];
	uint16_t mss;
};

/* Set up a flow at time t; ports: 0 picks an ephemeral port. Link tagging is chosen here. */
void flow_init(struct gflow *f, struct gen *g, struct gsess *s, uint64_t t,
	       const struct ghost *cli, const struct ghost *srv, uint16_t sport, uint16_t dport);
/* Point side 1 of the flow at another host and port (scans, Mirai): direction follows. */
void flow_set_peer(struct gflow *f, const struct ghost *peer, uint16_t dport);
/* Timestamp of the next frame from side (the other side's turn adds a round trip). */
uint64_t flow_next_ts(struct gflow *f, int side);

/* TCP: three-way handshake; data (cut at the given offsets and at the MSS, the receiver
 * acknowledging every second segment); a pure ACK; FIN teardown started by side. */
void tcp_open(struct gflow *f);
/* Returns the number of segments sent. */
int tcp_send(struct gflow *f, int side, const uint8_t *data, size_t len, const size_t *cuts,
	     int ncuts);
void tcp_ack(struct gflow *f, int side);
void tcp_close(struct gflow *f, int side);
/* One bare TCP segment with explicit fields (scans, Mirai, stray ACKs); opts may be NULL. */
void tcp_raw(struct gflow *f, int side, uint64_t ts, uint32_t seq, uint32_t ack, uint8_t flags,
	     uint16_t win, const uint8_t *opts, size_t optlen);

void udp_send(struct gflow *f, int side, const uint8_t *data, size_t len);
/* ICMP (v4) or ICMPv6 echo: request from side 0 (reply = false) or reply from side 1. */
void icmp_echo(struct gflow *f, int side, bool reply, uint16_t id, uint16_t seq,
	       const uint8_t *data, size_t len);
/* IPv4 only: one datagram of the given protocol whose L4 bytes (header included, checksum
 * filled in here for UDP/ICMP) are split into fragments of at most 1480 bytes. Returns the
 * number of fragments. */
int ip4_send_fragmented(struct gflow *f, int side, uint8_t proto, uint8_t *l4, size_t len);
/* Internet checksum helpers (exposed for the fragmenter and tests). */
uint16_t gen_l4_checksum(const struct gflow *f, int side, uint8_t proto, const uint8_t *l4,
			 size_t len);

/* --- gen_tls.c -------------------------------------------------------------------------- */

enum tls_profile_id { P_CHROME, P_CHROME_PQ, P_FIREFOX, P_SAFARI, P_CURL, P_LEGACY, P__COUNT };

/* A client profile as browsers are found on the wire, by share. */
int tls_pick_profile(struct rng *r);
/* One whole TLS connection on flow f (TCP handshake to FIN): ClientHello of profile prof
 * (SNI omitted if sni is "", ALPN only if with_alpn), server flight, req bytes of request and
 * resp bytes of response data. Plants the "tls" truth item. */
void tls_conversation(struct gen *g, struct gsess *s, struct gflow *f, int prof,
		      const char *sni, bool with_alpn, size_t req, size_t resp);

/* --- gen_proto.c ------------------------------------------------------------------------ */

enum sess_kind {
	SK_DNS_UDP, SK_DNS_TCP, SK_TLS, SK_HTTP, SK_SMTP, SK_FRAG, SK_SCAN, SK_MIRAI, SK_NOISE,
	SK__COUNT
};

/* Build one session of the given kind starting at t (client and server chosen inside). */
void proto_session(struct gen *g, struct gsess *s, enum sess_kind kind, uint64_t t);
/* One- or two-frame noise (max_frames 1 or 2). */
void proto_noise(struct gen *g, struct gsess *s, uint64_t t, int max_frames);
/* One C2 beacon exchange of plan b at time t. */
void proto_beacon(struct gen *g, struct gsess *s, struct beacon_plan *b, uint64_t t);
/* A burst of Mirai SYNs from bot m. */
void proto_mirai(struct gen *g, struct gsess *s, int m, uint64_t t);
/* Fill in a new beacon plan (hosts, port, profile, identifiers). */
void proto_beacon_plan(struct gen *g, struct beacon_plan *b);

#endif

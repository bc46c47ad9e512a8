/*
 * gen.h — the synthetic traffic generator behind `sakimori gen`.
 *
 * Writes a deterministic capture (classic pcap, LINKTYPE_ETHERNET) of realistic traffic:
 * DNS, TLS, HTTP and SMTP sessions with full TCP handshakes and teardowns, IPv4 fragments,
 * port scans, Mirai-style SYNs, C2-like beacons and background noise, in all four directions
 * (real prefixes from the location database), about a fifth over IPv6, some frames tagged
 * 802.1Q or QinQ. Every body, subject, attachment, cookie, credential, e-mail local part and
 * query value carries a "SECRET-" token; the truth file lists them with everything planted.
 *
 * Same options (seed, packets, start time) and the same location database give a
 * byte-identical capture and truth file: no wall clock, no rand(), one seeded PRNG.
 */
#ifndef SK_GEN_H
#define SK_GEN_H

#include <stddef.h>
#include <stdint.h>

struct geo;

/* 2026-10-01T00:00:00Z, the day the law came into force, in microseconds since the epoch. */
#define GEN_DEFAULT_START_US 1790812800000000ULL
/* Upper bound on --packets (about 1.5 GB of capture). */
#define GEN_MAX_PACKETS 1000000000ULL

struct gen_stats {
	uint64_t packets;          /* frames written */
	uint64_t bytes;            /* frame bytes written (without pcap headers) */
	uint64_t sessions;         /* sessions planted (a noise packet counts as one) */
	uint64_t first_us, last_us; /* timestamps of the first and last frame */
};

struct gen_opts {
	uint64_t seed;
	uint64_t packets;          /* exactly this many frames are written */
	const char *out_path;      /* pcap file to write */
	const char *truth_path;    /* NULL: no truth file */
	const struct geo *geo;     /* address source; NULL: a small built-in table of real prefixes */
	uint64_t start_us;         /* timestamp of the capture start; 0: GEN_DEFAULT_START_US */
	struct gen_stats *stats;   /* OUT, may be NULL */
};

/* Write the capture (and the truth file). Returns 0, or -1 with a one-line reason in err. */
int gen_run(const struct gen_opts *o, char *err, size_t errlen);

/*
 * The truth file (JSON, keys in this order):
 *   seed, packets, start (RFC 3339), end (RFC 3339, last frame),
 *   directions {"foreign-foreign","foreign-domestic","domestic-foreign","domestic-domestic",
 *               "unknown"}: frames per direction of their own source and destination,
 *   dns     [{qname, qtype (number), rcode (number), transport "udp"|"tcp"}],
 *   tls     [{sni ("" if none), alpn ("h2,http/1.1", "" if none), split, profile}],
 *   http    [{method, host, path (before '?'), query_keys [..], user_agent}],
 *   smtp    [{helo, mail_from_domain, rcpt_domains [..]}],
 *   scans   [{src, dst_prefix, ports (distinct), probes}],
 *   mirai   [{src, count}],
 *   beacons [{src, dst, dport, proto "http"|"tls", period_s, count}],
 *   fragments (fragmented datagrams), fragment_packets (their frames),
 *   secrets [..] (every distinct secret string planted; encoded forms listed too).
 * Every session is written whole: the generator never starts one that does not fit the
 * remaining packet budget, it fills the remainder with one- and two-frame noise.
 */

#endif

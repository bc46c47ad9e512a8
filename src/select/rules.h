/*
 * rules.h — selectors approved by the oversight commission, and the matching of flows
 * against them (DESIGN.md rules 1, 3 and 4).
 *
 * A selector file declares approvals (承認: a channel, a validity period and, for the
 * `specific` channel, the foreign facilities) and selectors (選別条件), each bound to one
 * approval and made of conditions that must all hold:
 *
 *   approval <ID> channel=<agreement|transit|specific> from=<RFC3339> until=<RFC3339>
 *            [facility=<addr|cidr>,...]
 *   select <ID> approval=<APPROVAL-ID> <condition> [<condition> ...]
 *
 *   conditions: ip=<addr|cidr>  ip-list=<file>  domain=<name>|.<name>  domain-list=<file>
 *               ja3=<32 hex>  ja4=<fingerprint>  port=<tcp|udp>/<n>
 *               match=<field>~/<regex>/[i]   (fields: http.user_agent http.uri http.host
 *                                              tls.sni dns.qname smtp.helo)
 *
 * Any error refuses the whole file with one line "FILE:LINE: reason". A loaded set is
 * immutable: build a new one aside and swap it in on reload; any number of worker threads
 * may match against one set at once, each with its own scratch (struct sel_scratch).
 */
#ifndef SK_RULES_H
#define SK_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"
#include "geo/geo.h"

#define SEL_MAX_SELECTORS 65536
#define SEL_MAX_APPROVALS 4096
#define SEL_MAX_CONDS 64             /* conditions on one select line */
#define SEL_MAX_FACILITIES 256       /* facility prefixes of one approval */
#define SEL_ID_MAX 64                /* longest approval or selector ID */
#define SEL_FILE_MAX (16u << 20)     /* largest selector file */
#define SEL_LINE_MAX 8192            /* longest selector file line */
#define SEL_LIST_LINE_MAX 1024       /* longest list file line */
#define SEL_OBS_NAMES 4              /* extra domain names in one observation */

/* The three channels of DESIGN.md rule 4. */
enum sel_channel {
	SEL_AGREEMENT = 1,   /* 当事者協定 (Art. 11-13): 外内 only */
	SEL_TRANSIT,         /* 外外通信目的送信措置 (Art. 17-18): 外外 only */
	SEL_SPECIFIC,        /* 特定外内/内外通信目的送信措置 (Art. 32-33): 外内 and 内外 with the
	                        named foreign facilities only */
};

/* Fields a match= condition may examine; the pipeline fills them in struct sel_obs. */
enum sel_field {
	SEL_F_HTTP_USER_AGENT,
	SEL_F_HTTP_URI,
	SEL_F_HTTP_HOST,
	SEL_F_TLS_SNI,
	SEL_F_DNS_QNAME,
	SEL_F_SMTP_HELO,
	SEL_F__COUNT
};

struct sel_facility {
	struct sk_addr net;
	unsigned plen;       /* 0..128 on the 16-byte form */
};

struct sel_approval {
	char id[SEL_ID_MAX + 1];
	enum sel_channel channel;
	uint64_t from_us, until_us;          /* valid for from_us <= t < until_us */
	const struct sel_facility *fac;      /* specific channel only */
	size_t nfac;
};

/* What a flow has shown so far. Unknown strings are NULL. Addresses and ports are those of
 * the packet at hand (src = its sender), so dir matches them. */
struct sel_obs {
	uint64_t ts_us;                      /* time of the packet */
	enum direction dir;                  /* of the packet (geo_direction) */
	struct sk_addr src, dst;
	uint8_t proto;                       /* 6 TCP, 17 UDP; ports count only for these */
	uint16_t sport, dport;
	const char *field[SEL_F__COUNT];     /* DNS qname, SNI, Host, … as extracted */
	const char *ja3, *ja4;
	const char *names[SEL_OBS_NAMES];    /* more domain names (further DNS questions) */
	size_t nnames;
};

struct sel_set;
struct sel_scratch;

/* Rule 4: may traffic of this direction, at ts_us, between src and dst, be selected under
 * approval a? 内内 and unknown directions never are. */
bool sel_eligible(const struct sel_approval *a, enum direction dir, uint64_t ts_us,
		  const struct sk_addr *src, const struct sk_addr *dst);

/* Parse an RFC 3339 date-time ("2026-10-01T00:00:00+09:00", fraction allowed) into
 * microseconds since the epoch. Returns 0, or -1 if malformed or before 1970. */
int sel_parse_time(const char *text, size_t len, uint64_t *out_us);

/* Load a selector file; list paths are relative to its directory. NULL with
 * "FILE:LINE: reason" in err when the file is refused. */
struct sel_set *sel_load(const char *path, char *err, size_t errlen);

/* An in-memory file that a selector text may name as a list (tests, fuzzing). */
struct sel_memfile {
	const char *name;
	const char *data;
	size_t len;
};
/* Parse a selector text held in memory; `name` is used in messages; lists are looked up
 * by exact name in files[0..nfiles) only. Same result and messages as sel_load. */
struct sel_set *sel_parse(const char *name, const char *text, size_t len,
			  const struct sel_memfile *files, size_t nfiles, char *err, size_t errlen);
void sel_set_free(struct sel_set *s);

/* For statistics and records. Selector and approval indices are 0..count-1. */
size_t sel_count(const struct sel_set *s);
const char *sel_id(const struct sel_set *s, size_t i);
const struct sel_approval *sel_approval_of(const struct sel_set *s, size_t i);
size_t sel_approval_count(const struct sel_set *s);
const struct sel_approval *sel_approval_at(const struct sel_set *s, size_t i);
/* True iff selector i's approval is valid at ts_us. */
bool sel_active(const struct sel_set *s, size_t i, uint64_t ts_us);
/* Index of the selector with this ID, or -1. */
long sel_find(const struct sel_set *s, const char *id);

struct sel_stats {
	size_t selectors, approvals, conditions;
	size_t ip_entries, domains, patterns;
	size_t bytes;                        /* resident size of the matchers */
};
void sel_stats(const struct sel_set *s, struct sel_stats *out);

/* Per-thread matching state. sel_scratch_fit() (allocates) must be called for a set before
 * sel_match() is given that set; call it when a worker picks up a reloaded set. */
struct sel_scratch *sel_scratch_new(void);
int sel_scratch_fit(struct sel_scratch *sc, const struct sel_set *s);
void sel_scratch_free(struct sel_scratch *sc);

/* Does any selector of s have a ja3= or ja4= condition? Only then does a TLS observation
 * need its fingerprints to be matched (sel_obs.ja3 and ja4 may be NULL otherwise). */
bool sel_uses_fingerprints(const struct sel_set *s);
/* Number of uint64_t words in a bitset of selectors of s. */
size_t sel_words(const struct sel_set *s);
/* The selectors whose conditions all hold on o AND whose approval makes o's packet eligible
 * (sel_eligible). Fills bits (sel_words(s) words, may be NULL) and the scratch's hit list.
 * Returns the number of selectors, or -1 if sc was not fitted to s. No allocation, no lock. */
int sel_match(const struct sel_set *s, struct sel_scratch *sc, const struct sel_obs *o,
	      uint64_t *bits);
/* Selector indices of the last sel_match on sc, ascending; *n (OUT) their number. */
const uint32_t *sel_scratch_hits(const struct sel_scratch *sc, size_t *n);

#endif

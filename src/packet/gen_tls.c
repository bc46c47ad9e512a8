/*
 * gen_tls.c — the generator's TLS: browser-like ClientHellos and a plausible server side.
 *
 * Six client profiles (Chrome, Chrome with the post-quantum X25519MLKEM768 share, Firefox,
 * Safari, curl/OpenSSL, and a TLS 1.2-only legacy client), each with its own cipher list,
 * extension order, groups and signature algorithms, so JA3 and JA4 differ between them.
 * GREASE values are drawn afresh per connection, as browsers do; BoringSSL's padding rule
 * (a ClientHello of 256..511 bytes is padded to 512) makes Chrome's JA3 depend on the SNI
 * length, as it does on real links.
 *
 *   client                                   server
 *   ClientHello (1–3 segments)          ──▶
 *                                       ◀──  ServerHello, CCS, encrypted flight  (TLS 1.3)
 *                                            ServerHello, Certificate (empty),
 *                                            ServerKeyExchange, ServerHelloDone  (TLS 1.2)
 *   (ClientKeyExchange,) CCS, Finished  ──▶
 *   application data                    ──▶
 *                                       ◀──  (tickets,) application data
 *   close_notify, FIN                   ──▶
 *
 * Nothing here is secret: encrypted records are random bytes.
 */
#include <string.h>

#include "packet/gen_int.h"

#define GREASE_EXT 0xfffe      /* a GREASE extension, empty */
#define GREASE_EXT1 0xfffd     /* a GREASE extension with one zero byte (Chrome's last one) */
#define GREASE 0xfffc          /* a GREASE value in a list */
#define X25519MLKEM768 0x11ec

#define L(...) ((const uint16_t[]){ __VA_ARGS__ }), \
	(sizeof((const uint16_t[]){ __VA_ARGS__ }) / sizeof(uint16_t))

struct tls_profile {
	const char *name;
	const uint16_t *ciphers;
	size_t nciphers;
	const uint16_t *exts;
	size_t nexts;
	const uint16_t *groups;
	size_t ngroups;
	const uint16_t *sigalgs;
	size_t nsigalgs;
	const uint16_t *versions;   /* supported_versions; only used if 43 is in exts */
	size_t nversions;
	const uint16_t *shares;     /* key_share groups */
	size_t nshares;
	const char *alpn;           /* comma-separated; NULL: no ALPN extension */
};

static const struct tls_profile profiles[P__COUNT] = {
	[P_CHROME] = { "chrome",
		L(GREASE, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
		  0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035),
		L(GREASE_EXT, 0, 23, 65281, 10, 11, 35, 16, 5, 13, 18, 51, 45, 43, 27, 17513,
		  GREASE_EXT1, 21),
		L(GREASE, 29, 23, 24),
		L(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
		L(GREASE, 0x0304, 0x0303), L(GREASE, 29), "h2,http/1.1" },
	[P_CHROME_PQ] = { "chrome-pq",
		L(GREASE, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
		  0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035),
		L(GREASE_EXT, 51, 23, 0, 10, 45, 35, 13, 65281, 43, 11, 18, 5, 27, 16, 17513,
		  GREASE_EXT1),
		L(GREASE, X25519MLKEM768, 29, 23, 24),
		L(0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601),
		L(GREASE, 0x0304, 0x0303), L(GREASE, X25519MLKEM768, 29), "h2,http/1.1" },
	[P_FIREFOX] = { "firefox",
		L(0x1301, 0x1303, 0x1302, 0xc02b, 0xc02f, 0xcca9, 0xcca8, 0xc02c, 0xc030, 0xc00a,
		  0xc009, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035),
		L(0, 23, 65281, 10, 11, 35, 16, 5, 34, 51, 43, 13, 45, 28, 21),
		L(29, 23, 24, 25, 256, 257),
		L(0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203,
		  0x0201),
		L(0x0304, 0x0303), L(29, 23), "h2,http/1.1" },
	[P_SAFARI] = { "safari",
		L(GREASE, 0x1301, 0x1302, 0x1303, 0xc02c, 0xc02b, 0xcca9, 0xc030, 0xc02f, 0xcca8,
		  0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x0035, 0x002f, 0xc008, 0xc012,
		  0x000a),
		L(GREASE_EXT, 0, 23, 65281, 10, 11, 16, 5, 13, 18, 51, 45, 43, 27, GREASE_EXT1, 21),
		L(GREASE, 29, 23, 24, 25),
		L(0x0403, 0x0804, 0x0401, 0x0503, 0x0203, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201),
		L(GREASE, 0x0304, 0x0303, 0x0302, 0x0301), L(GREASE, 29), "h2,http/1.1" },
	[P_CURL] = { "curl",
		L(0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0x009f, 0xcca9, 0xcca8, 0xccaa, 0xc02b,
		  0xc02f, 0x009e, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0xc00a, 0xc014,
		  0x0039, 0xc009, 0xc013, 0x0033, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
		  0x00ff),
		L(0, 11, 10, 35, 16, 22, 23, 49, 13, 43, 45, 51),
		L(29, 30, 23, 25, 24),
		L(0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805,
		  0x0806, 0x0401, 0x0501, 0x0601, 0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602),
		L(0x0304, 0x0303), L(29), "h2,http/1.1" },
	[P_LEGACY] = { "legacy-tls12",
		L(0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e, 0xc024, 0xc023, 0xc028, 0xc027,
		  0xc00a, 0xc009, 0xc014, 0xc013, 0x009d, 0x009c, 0x003d, 0x003c, 0x0035, 0x002f,
		  0x00ff),
		L(0, 10, 11, 13, 23),
		L(23, 24, 25),
		L(0x0601, 0x0603, 0x0501, 0x0503, 0x0401, 0x0403, 0x0301, 0x0303, 0x0201, 0x0203),
		L(0x0303), L(23), NULL },
};

static uint16_t grease_value(struct rng *r) { return (uint16_t)(0x0a0a + 0x1010 * rng_below(r, 16)); }

static void bb_list16(struct bb *b, struct rng *r, const uint16_t *v, size_t n, uint16_t grease)
{
	for (size_t i = 0; i < n; i++)
		bb_be16(b, v[i] == GREASE ? grease : v[i]);
}

/* Write one extension (type, length, body). */
static void tls_ext(struct bb *b, struct rng *r, const struct tls_profile *p, uint16_t type,
		    const char *sni, const char *alpn, uint16_t grease_grp, uint16_t grease_ver)
{
	size_t at, at2;

	if (type == GREASE_EXT || type == GREASE_EXT1) {
		bb_be16(b, grease_value(r));
		bb_be16(b, type == GREASE_EXT1 ? 1 : 0);
		if (type == GREASE_EXT1)
			bb_u8(b, 0);
		return;
	}
	bb_be16(b, type);
	at = bb_mark(b, 2);
	switch (type) {
	case 0: /* server_name */
		at2 = bb_mark(b, 2);
		bb_u8(b, 0);
		bb_be16(b, (uint16_t)strlen(sni));
		bb_str(b, sni);
		bb_fill(b, at2, 2);
		break;
	case 5: /* status_request: OCSP, no responders, no extensions */
		bb_u8(b, 1);
		bb_be16(b, 0);
		bb_be16(b, 0);
		break;
	case 10: /* supported_groups */
		bb_be16(b, (uint16_t)(2 * p->ngroups));
		bb_list16(b, r, p->groups, p->ngroups, grease_grp);
		break;
	case 11: /* ec_point_formats */
		if (p == &profiles[P_CURL]) {
			bb_u8(b, 3);
			bb_u8(b, 0);
			bb_u8(b, 1);
			bb_u8(b, 2);
		} else {
			bb_u8(b, 1);
			bb_u8(b, 0);
		}
		break;
	case 13: /* signature_algorithms */
		bb_be16(b, (uint16_t)(2 * p->nsigalgs));
		bb_list16(b, r, p->sigalgs, p->nsigalgs, 0);
		break;
	case 16: /* ALPN */
		at2 = bb_mark(b, 2);
		for (const char *s = alpn; *s;) {
			const char *c = strchr(s, ',');
			size_t l = c ? (size_t)(c - s) : strlen(s);
			bb_u8(b, (uint8_t)l);
			bb_put(b, s, l);
			s += l + (c ? 1 : 0);
		}
		bb_fill(b, at2, 2);
		break;
	case 27: /* compress_certificate: brotli */
		bb_u8(b, 2);
		bb_be16(b, 2);
		break;
	case 28: /* record_size_limit */
		bb_be16(b, 0x4001);
		break;
	case 34: /* delegated_credentials */
		bb_be16(b, 8);
		bb_be16(b, 0x0403);
		bb_be16(b, 0x0503);
		bb_be16(b, 0x0603);
		bb_be16(b, 0x0203);
		break;
	case 43: /* supported_versions */
		bb_u8(b, (uint8_t)(2 * p->nversions));
		bb_list16(b, r, p->versions, p->nversions, grease_ver);
		break;
	case 45: /* psk_key_exchange_modes: psk_dhe_ke */
		bb_u8(b, 1);
		bb_u8(b, 1);
		break;
	case 51: /* key_share */
		at2 = bb_mark(b, 2);
		for (size_t i = 0; i < p->nshares; i++) {
			uint16_t grp = p->shares[i];
			size_t klen = grp == GREASE ? 1 : grp == 29 ? 32 : grp == 23 ? 65
				    : grp == X25519MLKEM768 ? 1216 : 32;
			bb_be16(b, grp == GREASE ? grease_grp : grp);
			bb_be16(b, (uint16_t)klen);
			if (grp == GREASE) {
				bb_u8(b, 0);
			} else if (grp == 23) {
				bb_u8(b, 4);
				bb_rand(b, r, 64);
			} else {
				bb_rand(b, r, klen);
			}
		}
		bb_fill(b, at2, 2);
		break;
	case 17513: /* application_settings (ALPS): h2 */
		bb_be16(b, 3);
		bb_u8(b, 2);
		bb_str(b, "h2");
		break;
	case 65281: /* renegotiation_info */
		bb_u8(b, 0);
		break;
	default: /* 18 SCT, 22 encrypt_then_mac, 23 extended_master_secret, 35 ticket, 49 PHA */
		break;
	}
	bb_fill(b, at, 2);
}

/* Append a ClientHello record of profile p to b. */
static void tls_client_hello(struct gen *g, struct bb *b, const struct tls_profile *p,
			     const char *sni, bool with_alpn)
{
	struct rng *r = &g->rng;
	uint16_t gc = grease_value(r), gg = grease_value(r), gv = grease_value(r);
	bool tls13 = p->nversions > 1;

	bb_u8(b, 0x16);
	bb_be16(b, 0x0301);
	size_t rec = bb_mark(b, 2);
	bb_u8(b, 1);
	size_t hs = bb_mark(b, 3);
	bb_be16(b, 0x0303);
	bb_rand(b, r, 32);
	if (tls13 || rng_pct(r, 50)) {
		bb_u8(b, 32);
		bb_rand(b, r, 32);
	} else {
		bb_u8(b, 0);
	}
	bb_be16(b, (uint16_t)(2 * p->nciphers));
	bb_list16(b, r, p->ciphers, p->nciphers, gc);
	bb_u8(b, 1);
	bb_u8(b, 0);
	size_t ext = bb_mark(b, 2);
	bool padded = false;
	for (size_t i = 0; i < p->nexts; i++) {
		uint16_t e = p->exts[i];
		if ((e == 0 && !sni[0]) || (e == 16 && (!with_alpn || !p->alpn)))
			continue;
		if (e == 17513 && !with_alpn)
			continue;
		if (e == 21) {
			padded = true;
			continue;
		}
		tls_ext(b, r, p, e, sni, p->alpn, gg, gv);
	}
	if (padded) {
		/* BoringSSL's rule: a hello of 256..511 bytes is padded up to 512 */
		size_t hlen = b->len - hs + 1; /* handshake message incl. its 4-byte header */
		if (hlen > 0xff && hlen < 0x200) {
			size_t pad = 0x200 - hlen;
			pad = pad >= 4 + 1 ? pad - 4 : 1;
			bb_be16(b, 21);
			bb_be16(b, (uint16_t)pad);
			for (size_t i = 0; i < pad; i++)
				bb_u8(b, 0);
		}
	}
	bb_fill(b, ext, 2);
	bb_fill(b, hs, 3);
	bb_fill(b, rec, 2);
}

static void tls_record(struct bb *b, struct rng *r, uint8_t type, size_t n)
{
	bb_u8(b, type);
	bb_be16(b, 0x0303);
	bb_be16(b, (uint16_t)n);
	bb_rand(b, r, n);
}

/*
 * One TLS connection: handshake, ClientHello, server flight, client finish and request,
 * response, close. request/response sizes are the application data lengths.
 */
void tls_conversation(struct gen *g, struct gsess *s, struct gflow *f, int prof,
			     const char *sni, bool with_alpn, size_t req, size_t resp)
{
	struct rng *r = &g->rng;
	const struct tls_profile *p = &profiles[prof];
	struct bb b = bb_make(g->scratch[0], sizeof(g->scratch[0]));
	size_t cuts[3];
	int ncuts = 0;
	bool tls13 = p->nversions > 1;

	tcp_open(f);
	tls_client_hello(g, &b, p, sni, with_alpn);
	if (rng_pct(r, 33))
		ncuts = pick_cuts(r, 0, b.len < f->mss ? b.len : f->mss, (int)rng_range(r, 1, 2), cuts);
	int nseg = tcp_send(f, 0, b.p, b.len, cuts, ncuts);
	if (g->truth)
		sess_truth(s, T_TLS, json_pack("{s:s, s:s, s:b, s:s}", "sni", sni, "alpn",
			   with_alpn && p->alpn ? p->alpn : "", "split", nseg > 1, "profile", p->name));

	/* server flight */
	b = bb_make(g->scratch[1], sizeof(g->scratch[1]));
	bb_u8(&b, 0x16);
	bb_be16(&b, 0x0303);
	size_t rec = bb_mark(&b, 2);
	bb_u8(&b, 2);
	size_t hs = bb_mark(&b, 3);
	bb_be16(&b, 0x0303);
	bb_rand(&b, r, 32);
	bb_u8(&b, 32);
	bb_rand(&b, r, 32); /* echo of a session id is not checked by anyone: fresh bytes */
	bb_be16(&b, tls13 ? 0x1301 : 0xc02f);
	bb_u8(&b, 0);
	size_t ext = bb_mark(&b, 2);
	if (tls13) {
		bb_be16(&b, 43);
		bb_be16(&b, 2);
		bb_be16(&b, 0x0304);
		bb_be16(&b, 51);
		bb_be16(&b, 36);
		bb_be16(&b, 29);
		bb_be16(&b, 32);
		bb_rand(&b, r, 32);
	} else {
		bb_be16(&b, 65281);
		bb_be16(&b, 1);
		bb_u8(&b, 0);
		bb_be16(&b, 11);
		bb_be16(&b, 2);
		bb_u8(&b, 1);
		bb_u8(&b, 0);
		bb_be16(&b, 23);
		bb_be16(&b, 0);
	}
	bb_fill(&b, ext, 2);
	bb_fill(&b, hs, 3);
	if (!tls13) {
		/* Certificate (empty list), ServerKeyExchange (ECDHE x25519), ServerHelloDone */
		bb_u8(&b, 11);
		bb_be24(&b, 3);
		bb_be24(&b, 0);
		bb_u8(&b, 12);
		bb_be24(&b, 4 + 32 + 4 + 256);
		bb_u8(&b, 3);
		bb_be16(&b, 29);
		bb_u8(&b, 32);
		bb_rand(&b, r, 32);
		bb_be16(&b, 0x0401);
		bb_be16(&b, 256);
		bb_rand(&b, r, 256);
		bb_u8(&b, 14);
		bb_be24(&b, 0);
	}
	bb_fill(&b, rec, 2);
	if (tls13) {
		tls_record(&b, r, 0x14, 1);
		b.p[b.len - 1] = 1;
		tls_record(&b, r, 0x17, rng_range(r, 1800, 5200)); /* EE, Certificate, CV, Finished */
	}
	tcp_send(f, 1, b.p, b.len, NULL, 0);

	/* client: (key exchange,) ChangeCipherSpec, Finished, then the request */
	b = bb_make(g->scratch[0], sizeof(g->scratch[0]));
	if (!tls13) {
		bb_u8(&b, 0x16);
		bb_be16(&b, 0x0303);
		bb_be16(&b, 37);
		bb_u8(&b, 16);
		bb_be24(&b, 33);
		bb_u8(&b, 32);
		bb_rand(&b, r, 32);
	}
	tls_record(&b, r, 0x14, 1);
	b.p[b.len - 1] = 1;
	if (tls13) {
		tls_record(&b, r, 0x17, 53);
		tcp_send(f, 0, b.p, b.len, NULL, 0);
	} else {
		tls_record(&b, r, 0x16, 40);
		tcp_send(f, 0, b.p, b.len, NULL, 0);
		b = bb_make(g->scratch[1], sizeof(g->scratch[1]));
		tls_record(&b, r, 0x14, 1);
		b.p[b.len - 1] = 1;
		tls_record(&b, r, 0x16, 40);
		tcp_send(f, 1, b.p, b.len, NULL, 0);
		b = bb_make(g->scratch[0], sizeof(g->scratch[0]));
	}
	if (tls13 && rng_pct(r, 50))
		tcp_ack(f, 1);
	b.len = 0;
	tls_record(&b, r, 0x17, req);
	tcp_send(f, 0, b.p, b.len, NULL, 0);

	/* response: (session tickets,) application data in records of at most 16 KB */
	b = bb_make(g->scratch[1], sizeof(g->scratch[1]));
	if (tls13)
		for (int i = 0; i < 2; i++)
			tls_record(&b, r, 0x17, rng_range(r, 200, 280));
	while (resp > 0 && b.cap - b.len > 16384 + 5) {
		size_t n = resp > 16384 ? 16384 : resp;
		tls_record(&b, r, 0x17, n);
		resp -= n;
	}
	tcp_send(f, 1, b.p, b.len, NULL, 0);
	tcp_ack(f, 0);

	/* close_notify, encrypted in TLS 1.3, then FIN */
	b = bb_make(g->scratch[0], sizeof(g->scratch[0]));
	tls_record(&b, r, tls13 ? 0x17 : 0x15, tls13 ? 19 : 26);
	tcp_send(f, 0, b.p, b.len, NULL, 0);
	tcp_close(f, 0);
}

int tls_pick_profile(struct rng *r)
{
	unsigned x = (unsigned)rng_below(r, 100);
	return x < 30 ? P_CHROME : x < 45 ? P_CHROME_PQ : x < 62 ? P_FIREFOX : x < 78 ? P_SAFARI
		: x < 92 ? P_CURL : P_LEGACY;
}

/*
 * tls.c — ClientHello extractor: SNI, ALPN, versions, JA3 and JA4.
 *
 * NOTES ON THE DESIGN
 *
 * Input is the start of the client's TCP stream, already in order (the engine reassembles
 * TCP). The stream is a sequence of TLS records; the ClientHello handshake message may be cut
 * into fragments across several records:
 *
 *   stream:  [16 03 0x LL LL | fragment 1] [16 03 0x LL LL | fragment 2] ...
 *   message: 01 | len24 | legacy_version random sid ciphers compression extensions
 *
 * Three stages, each reading only through struct cur:
 *
 *   1. frame   walk the record headers, decide TLS_NOT_TLS from as few bytes as possible,
 *              and either find the whole message inside the first record (the usual case:
 *              parsed in place, no copy) or concatenate the fragments into a bounded buffer
 *              on the stack (TLS_HELLO_MAX). When bytes are missing, report TLS_MORE with the
 *              stream length that will hold the current record, or the record that would
 *              complete the message if the next one carries all of the rest.
 *   2. parse   one pass over the ClientHello that validates every length and keeps only
 *              handshake parameters: the cipher list, the extension types, the bodies of the
 *              few extensions fingerprints need (sub-cursors, not copies). The random, the
 *              session id and key shares are skipped, never copied.
 *   3. emit    (skipped by tls_parse_client_hello_nofp)
 *              JA3 text formatted into one local buffer and hashed with MD5 (libmd) in one
 *              call, JA4 parts likewise with SHA-256 (libsodium); an optional raw-text copy
 *              lets tests and tools see exactly what was hashed. (OpenSSL's SHA-256 uses the
 *              CPU's SHA instructions and was about 3x faster on these 80-300 byte texts, but
 *              a whole hello's fingerprints are a small part of a packet's cost: not worth a
 *              further library.)
 *
 * Rule 1 (DESIGN.md): the only bytes copied out of the stream are the SNI host name and the
 * ALPN protocol names. The reassembly buffer, which holds the whole hello, is wiped before
 * return. GREASE values (RFC 8701, 0x?a?a with equal bytes) are ignored wherever they occur.
 */
#include "meta/tls.h"

#include <md5.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"

#define REC_HDR 5
#define HS_HDR 4
#define REC_MAX (16384 + 2048)          /* TLSCiphertext bound; plaintext is 2^14 */
#define HELLO_MIN 41                    /* version, random, sid len, one cipher, one method */

#define EXT_SNI 0x0000
#define EXT_GROUPS 0x000a
#define EXT_POINTS 0x000b
#define EXT_SIGALGS 0x000d
#define EXT_ALPN 0x0010
#define EXT_VERSIONS 0x002b

static bool is_grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* What stage 2 keeps: the lists (GREASE already removed) and cursors on a few bodies. */
struct hello {
	uint16_t version;
	uint16_t max_version;
	bool has_versions;
	bool has_sni;
	uint16_t ciphers[TLS_LIST_MAX];
	size_t n_ciphers;
	uint16_t exts[TLS_LIST_MAX];
	size_t n_exts;
	uint16_t sigalgs[TLS_LIST_MAX];
	size_t n_sigalgs;
	struct cur groups;              /* body of supported_groups, after its length */
	struct cur points;              /* body of ec_point_formats, after its length */
	struct cur alpn;                /* protocol_name_list, after its length */
	bool has_groups, has_points, has_alpn;
};

/* Everything but the arrays, which are read only up to their counts. */
static void hello_init(struct hello *h)
{
	h->version = h->max_version = 0;
	h->has_versions = h->has_sni = false;
	h->n_ciphers = h->n_exts = h->n_sigalgs = 0;
	h->groups = h->points = h->alpn = cur_make(NULL, 0);
	h->has_groups = h->has_points = h->has_alpn = false;
}

/* ---- stage 1: framing --------------------------------------------------------------- */

/* Is a record header plausible as the first bytes of a client's TLS stream? Checks only
 * the bytes present (n may be 1..5). */
static bool record_prefix_ok(struct cur c, size_t n)
{
	if (n >= 1 && cur_peek(&c, 0) != 0x16)
		return false;
	if (n >= 2 && cur_peek(&c, 1) != 0x03)
		return false;
	if (n >= 3 && cur_peek(&c, 2) > 0x04)
		return false;
	return true;
}

/*
 * Walk records from the start of the stream and produce the handshake message in one
 * contiguous cursor: in place when it lies inside the first record, else copied into buf.
 * Returns TLS_OK with *msg set, or TLS_MORE/TLS_NOT_TLS/TLS_ERR; *used says how much of buf
 * was written (to be wiped).
 */
static enum tls_status frame(const uint8_t *data, size_t len, uint8_t *buf, size_t *used,
			     struct cur *msg, uint16_t *record_version, size_t *need)
{
	struct cur s = cur_make(data, len);
	size_t have = 0;        /* message bytes gathered so far (in buf) */
	size_t total = 0;       /* header + body length of the message, once known */
	bool first = true;

	for (;;) {
		size_t rec_start = s.off;
		size_t left = cur_left(&s);

		if (left < REC_HDR) {
			if (!record_prefix_ok(s, left))
				return first ? TLS_NOT_TLS : TLS_ERR;
			/* the next record header is incomplete */
			if (total)
				*need = rec_start + REC_HDR + (total - have);
			else
				*need = rec_start + REC_HDR + (HS_HDR - have);
			return TLS_MORE;
		}
		if (!record_prefix_ok(s, REC_HDR))
			return first ? TLS_NOT_TLS : TLS_ERR;
		cur_skip(&s, 1);
		uint16_t rv = cur_be16(&s);
		size_t rlen = cur_be16(&s);

		if (first)
			*record_version = rv;
		if (first && rlen >= 1 && cur_has(&s, 1) && cur_peek(&s, 0) != 1)
			return TLS_NOT_TLS;             /* a handshake, but not a ClientHello */
		if (rlen == 0 || rlen > REC_MAX)
			return TLS_ERR;

		/* The common case: the first record holds the whole message; no copy. */
		if (first && rlen >= HS_HDR && cur_has(&s, HS_HDR)) {
			struct cur h = s;
			cur_skip(&h, 1);
			size_t body = cur_be24(&h);

			if (body < HELLO_MIN || body > TLS_HELLO_MAX)
				return TLS_ERR;
			total = HS_HDR + body;
			if (total <= rlen) {
				if (!cur_has(&s, total)) {
					*need = rec_start + REC_HDR + rlen;
					return TLS_MORE;
				}
				*msg = cur_sub(&s, total);
				return TLS_OK;
			}
		}
		first = false;

		/* Fragmented: append this record's bytes to buf. */
		size_t avail = cur_left(&s) < rlen ? cur_left(&s) : rlen;
		size_t room = HS_HDR + TLS_HELLO_MAX - have;
		size_t take = avail < room ? avail : room;
		struct cur frag = cur_sub(&s, take);

		cur_copy(&frag, buf + have, take);
		have += take;
		*used = have;

		if (!total && have >= HS_HDR) {
			struct cur h = cur_make(buf, have);
			if (cur_u8(&h) != 1)
				return TLS_NOT_TLS;
			size_t body = cur_be24(&h);
			if (body < HELLO_MIN || body > TLS_HELLO_MAX)
				return TLS_ERR;
			total = HS_HDR + body;
		}
		if (total && have >= total) {
			/* bytes of the next handshake message may share the record: ignore them */
			*msg = cur_make(buf, total);
			return TLS_OK;
		}
		if (take < rlen) {
			if (avail == rlen)      /* whole record present yet no room left */
				return TLS_ERR;
			*need = rec_start + REC_HDR + rlen;
			return TLS_MORE;
		}
		/* record consumed, message still incomplete: go on with the next record */
	}
}

/* ---- stage 2: parsing --------------------------------------------------------------- */

static int read_u16_list(struct cur *body, uint16_t *out, size_t *n)
{
	while (cur_left(body) >= 2) {
		uint16_t v = cur_be16(body);
		if (is_grease(v))
			continue;
		if (*n >= TLS_LIST_MAX)
			return -1;
		out[(*n)++] = v;
	}
	return cur_left(body) == 0 ? 0 : -1;
}

/* Check a server_name extension and copy its first host_name, lower-case, into out->sni if
 * it is printable (out NULL: check only). */
static int parse_sni(struct cur body, struct tls_hello *out)
{
	size_t list_len = cur_be16(&body);
	if (!cur_ok(&body) || list_len != cur_left(&body))
		return -1;
	bool done = false;
	while (cur_left(&body)) {
		uint8_t type = cur_u8(&body);
		size_t nlen = cur_be16(&body);
		struct cur name = cur_sub(&body, nlen);
		if (!cur_ok(&body))
			return -1;
		if (type != 0 || done || !out)
			continue;
		done = true;
		if (nlen == 0 || nlen >= TLS_SNI_MAX)
			continue;
		char tmp[TLS_SNI_MAX];
		bool ok = true;
		for (size_t i = 0; i < nlen; i++) {
			uint8_t ch = cur_u8(&name);
			if (ch <= 0x20 || ch >= 0x7f) {
				ok = false;
				break;
			}
			tmp[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
		}
		if (ok) {
			memcpy(out->sni, tmp, nlen);
			out->sni[nlen] = '\0';
		}
	}
	return 0;
}

/* Validate a protocol_name_list and join it into out->alpn: printable bytes as they are,
 * others (and ',' and '\\') as \xNN; a protocol that does not fit whole is left out. */
static int parse_alpn(struct cur list, struct tls_hello *out)
{
	size_t n = 0, count = 0;
	bool full = false;

	while (cur_left(&list)) {
		size_t plen = cur_u8(&list);
		struct cur p = cur_sub(&list, plen);
		if (!cur_ok(&list))
			return -1;
		if (full)
			continue;
		char tmp[TLS_ALPN_MAX];
		size_t k = 0;
		if (count)
			tmp[k++] = ',';
		while (cur_left(&p) && k < sizeof(tmp)) {
			uint8_t ch = cur_u8(&p);
			if (ch > 0x20 && ch < 0x7f && ch != ',' && ch != '\\') {
				tmp[k++] = (char)ch;
			} else if (k + 4 <= sizeof(tmp)) {
				static const char hex[] = "0123456789abcdef";
				tmp[k++] = '\\';
				tmp[k++] = 'x';
				tmp[k++] = hex[ch >> 4];
				tmp[k++] = hex[ch & 15];
			} else {
				k = sizeof(tmp);
			}
		}
		if (cur_left(&p) || n + k >= TLS_ALPN_MAX) {
			full = true;
			continue;
		}
		memcpy(out->alpn + n, tmp, k);
		n += k;
		out->alpn[n] = '\0';
		count++;
	}
	return 0;
}

static int parse_extension(uint16_t type, struct cur body, struct hello *h,
			   struct tls_hello *out)
{
	switch (type) {
	case EXT_SNI: {
		bool again = h->has_sni;        /* a repeated extension is checked, not used */
		h->has_sni = true;
		return parse_sni(body, again ? NULL : out);
	}
	case EXT_ALPN: {
		size_t l = cur_be16(&body);
		if (!cur_ok(&body) || l != cur_left(&body))
			return -1;
		if (h->has_alpn)
			return 0;
		h->alpn = body;
		h->has_alpn = true;
		return parse_alpn(body, out);
	}
	case EXT_GROUPS: {
		size_t l = cur_be16(&body);
		if (!cur_ok(&body) || l != cur_left(&body) || l % 2)
			return -1;
		if (h->has_groups)
			return 0;
		h->groups = body;
		h->has_groups = true;
		size_t n = 0;
		for (struct cur g = body; cur_left(&g);)
			if (!is_grease(cur_be16(&g)))
				n++;
		return n <= TLS_LIST_MAX ? 0 : -1;      /* ja3() relies on this bound */
	}
	case EXT_POINTS: {
		size_t l = cur_u8(&body);
		if (!cur_ok(&body) || l != cur_left(&body))
			return -1;
		if (!h->has_points) {
			h->points = body;
			h->has_points = true;
		}
		return 0;
	}
	case EXT_SIGALGS: {
		size_t l = cur_be16(&body);
		if (!cur_ok(&body) || l != cur_left(&body) || l % 2)
			return -1;
		if (h->n_sigalgs)
			return 0;
		return read_u16_list(&body, h->sigalgs, &h->n_sigalgs);
	}
	case EXT_VERSIONS: {
		size_t l = cur_u8(&body);
		if (!cur_ok(&body) || l != cur_left(&body) || l % 2)
			return -1;
		while (cur_left(&body)) {
			uint16_t v = cur_be16(&body);
			if (is_grease(v))
				continue;
			if (!h->has_versions || v > h->max_version)
				h->max_version = v;
			h->has_versions = true;
		}
		return 0;
	}
	default:
		return 0;
	}
}

static enum tls_status parse_hello(struct cur m, struct hello *h, struct tls_hello *out)
{
	cur_skip(&m, HS_HDR);                   /* type and length, checked by frame() */
	h->version = cur_be16(&m);
	cur_skip(&m, 32);                       /* random: never copied */
	size_t sid = cur_u8(&m);
	if (sid > 32)
		return TLS_ERR;
	cur_skip(&m, sid);                      /* session id: never copied */
	size_t clen = cur_be16(&m);
	if (!cur_ok(&m) || clen < 2 || clen % 2)
		return TLS_ERR;
	struct cur ciphers = cur_sub(&m, clen);
	size_t comp = cur_u8(&m);
	if (comp < 1)
		return TLS_ERR;
	cur_skip(&m, comp);
	if (!cur_ok(&m))
		return TLS_ERR;
	if (read_u16_list(&ciphers, h->ciphers, &h->n_ciphers))
		return TLS_ERR;

	if (cur_left(&m) == 0)                  /* no extensions at all: legal before TLS 1.3 */
		return TLS_OK;
	size_t elen = cur_be16(&m);
	if (!cur_ok(&m) || elen != cur_left(&m))
		return TLS_ERR;
	while (cur_left(&m)) {
		uint16_t type = cur_be16(&m);
		size_t len = cur_be16(&m);
		struct cur body = cur_sub(&m, len);
		if (!cur_ok(&m))
			return TLS_ERR;
		if (is_grease(type))
			continue;
		if (h->n_exts >= TLS_LIST_MAX)
			return TLS_ERR;
		h->exts[h->n_exts++] = type;
		if (parse_extension(type, body, h, out))
			return TLS_ERR;
	}
	return TLS_OK;
}

/* ---- stage 3: fingerprints ---------------------------------------------------------- */

/*
 * The text of a fingerprint is formatted straight into one local buffer (digits from a
 * table, no printf) and handed to the hash in one call; only a hostile hello with lists too
 * long for the buffer makes it hash in several blocks. When the caller asked for the raw
 * text, each block is appended to its bounded copy as it is hashed. The buffer holds only
 * the decimal or hex text of handshake parameter values, and is wiped after use anyway.
 */
#define TEXT_MAX 1024
#define TEXT_ITEM 6                     /* one separator and at most five digits */

struct text {
	MD5_CTX *md5;                   /* the hash the text goes into: one of these, or none */
	crypto_hash_sha256_state *sha;
	char *raw;                      /* raw copy, or NULL */
	size_t raw_size, raw_n;
	size_t n;                       /* bytes in buf */
	size_t wipe;                    /* most bytes buf has held */
	char buf[TEXT_MAX];
};

static const char dig2[] = "00010203040506070809101112131415161718192021222324252627282930313233"
			   "34353637383940414243444546474849505152535455565758596061626364656667"
			   "6869707172737475767778798081828384858687888990919293949596979899";
static const char hexd[] = "0123456789abcdef";

static void raw_put(struct text *t, const char *s, size_t l)
{
	if (!t->raw || !t->raw_size)
		return;
	size_t room = t->raw_size - 1 - t->raw_n;
	size_t c = l < room ? l : room;
	memcpy(t->raw + t->raw_n, s, c);
	t->raw_n += c;
	t->raw[t->raw_n] = '\0';
}

/* Hand the buffered text to the hash (and the raw copy) and empty the buffer. */
static void text_flush(struct text *t)
{
	if (t->md5)
		MD5Update(t->md5, (const uint8_t *)t->buf, t->n);
	if (t->sha)
		crypto_hash_sha256_update(t->sha, (const unsigned char *)t->buf, t->n);
	raw_put(t, t->buf, t->n);
	if (t->n > t->wipe)
		t->wipe = t->n;
	t->n = 0;
}

/* Room for one more list item (TEXT_ITEM bytes). */
static inline char *text_room(struct text *t)
{
	if (t->n > TEXT_MAX - TEXT_ITEM)
		text_flush(t);
	return t->buf + t->n;
}

static inline char *put_dec(char *p, unsigned v)
{
	if (v < 10) {
		*p = (char)('0' + v);
		return p + 1;
	}
	if (v < 100) {
		memcpy(p, dig2 + 2 * v, 2);
		return p + 2;
	}
	if (v < 1000) {
		*p = (char)('0' + v / 100);
		memcpy(p + 1, dig2 + 2 * (v % 100), 2);
		return p + 3;
	}
	if (v >= 10000) {
		*p++ = (char)('0' + v / 10000);
		v %= 10000;
	}
	memcpy(p, dig2 + 2 * (v / 100), 2);
	memcpy(p + 2, dig2 + 2 * (v % 100), 2);
	return p + 4;
}

static inline char *put_hex4(char *p, unsigned v)
{
	p[0] = hexd[(v >> 12) & 15];
	p[1] = hexd[(v >> 8) & 15];
	p[2] = hexd[(v >> 4) & 15];
	p[3] = hexd[v & 15];
	return p + 4;
}

static inline void text_char(struct text *t, char c)
{
	*text_room(t) = c;
	t->n++;
}

/* The values joined by sep, in decimal (JA3) or as four hex digits (JA4). */
static void text_list(struct text *t, const uint16_t *v, size_t n, char sep, bool hex)
{
	for (size_t i = 0; i < n; i++) {
		char *p = text_room(t);
		if (i)
			*p++ = sep;
		p = hex ? put_hex4(p, v[i]) : put_dec(p, v[i]);
		t->n = (size_t)(p - t->buf);
	}
}

/* A list body read as 16-bit (width 2, GREASE left out) or 8-bit values, in decimal. */
static void text_list_cur(struct text *t, struct cur c, int width)
{
	bool first = true;

	while (cur_left(&c) >= (size_t)width) {
		unsigned v = width == 2 ? cur_be16(&c) : cur_u8(&c);
		if (width == 2 && is_grease((uint16_t)v))
			continue;
		char *p = text_room(t);
		if (!first)
			*p++ = '-';
		first = false;
		p = put_dec(p, v);
		t->n = (size_t)(p - t->buf);
	}
}

static void text_wipe(struct text *t)
{
	if (t->n > t->wipe)
		t->wipe = t->n;
	sodium_memzero(t->buf, t->wipe);
}

static void ja3(const struct hello *h, struct tls_hello *out, struct text *t)
{
	MD5_CTX md5;
	uint8_t d[16];

	MD5Init(&md5);
	t->md5 = &md5;
	t->sha = NULL;
	t->n = 0;
	t->n = (size_t)(put_dec(t->buf, h->version) - t->buf);
	text_char(t, ',');
	text_list(t, h->ciphers, h->n_ciphers, '-', false);
	text_char(t, ',');
	text_list(t, h->exts, h->n_exts, '-', false);
	text_char(t, ',');
	if (h->has_groups)
		text_list_cur(t, h->groups, 2);         /* count bounded in stage 2 */
	text_char(t, ',');
	if (h->has_points)
		text_list_cur(t, h->points, 1);
	text_flush(t);
	t->md5 = NULL;
	MD5Final(d, &md5);
	for (int i = 0; i < 16; i++) {
		out->ja3[2 * i] = hexd[d[i] >> 4];
		out->ja3[2 * i + 1] = hexd[d[i] & 15];
	}
	out->ja3[32] = '\0';
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
	return (x > y) - (x < y);
}

/* Sort a JA4 list: insertion sort for the short lists real hellos carry (no call per
 * comparison), qsort for the long ones a hostile hello may send. */
static void sort_u16(uint16_t *v, size_t n)
{
	if (n > 64) {
		qsort(v, n, sizeof(v[0]), cmp_u16);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304: return "13";
	case 0x0303: return "12";
	case 0x0302: return "11";
	case 0x0301: return "10";
	case 0x0300: return "s3";
	case 0x0002: return "s2";
	case 0xfeff: return "d1";
	case 0xfefd: return "d2";
	case 0xfefc: return "d3";
	default: return "00";
	}
}

static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* First and last character of the first ALPN value; "00" without one; the outer hex
 * digits of the value when either end is not alphanumeric (JA4 spec). */
static void ja4_alpn(const struct hello *h, char out[2])
{
	out[0] = out[1] = '0';
	if (!h->has_alpn)
		return;
	struct cur l = h->alpn;
	size_t plen = cur_u8(&l);
	if (!cur_ok(&l) || plen == 0 || !cur_has(&l, plen))
		return;
	uint8_t f = cur_peek(&l, 0), e = cur_peek(&l, plen - 1);
	if (is_alnum(f) && is_alnum(e)) {
		out[0] = (char)f;
		out[1] = (char)e;
	} else {
		out[0] = hexd[f >> 4];
		out[1] = hexd[e & 15];
	}
}

/* Hash the text gathered since the last part into out: the first 12 hex digits of its
 * SHA-256, or twelve zeros when its list is empty. */
static void ja4_part(struct text *t, crypto_hash_sha256_state *st, bool empty, char out[12])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	text_flush(t);
	t->sha = NULL;
	crypto_hash_sha256_final(st, d);
	if (empty) {
		memset(out, '0', 12);
		return;
	}
	for (int i = 0; i < 6; i++) {
		out[2 * i] = hexd[d[i] >> 4];
		out[2 * i + 1] = hexd[d[i] & 15];
	}
}

static void ja4(const struct hello *h, struct tls_hello *out, struct text *t,
		crypto_hash_sha256_state *st)
{
	uint16_t v[TLS_LIST_MAX];
	size_t n = 0;
	char *a = out->ja4;                     /* "t13d1516h2_" then b, "_", c */
	uint16_t ver = h->has_versions ? h->max_version : h->version;
	unsigned nc = (unsigned)(h->n_ciphers > 99 ? 99 : h->n_ciphers);
	unsigned ne = (unsigned)(h->n_exts > 99 ? 99 : h->n_exts);

	a[0] = 't';
	memcpy(a + 1, ja4_version(ver), 2);
	a[3] = h->has_sni ? 'd' : 'i';
	memcpy(a + 4, dig2 + 2 * nc, 2);
	memcpy(a + 6, dig2 + 2 * ne, 2);
	ja4_alpn(h, a + 8);
	a[10] = '_';
	raw_put(t, a, 11);                      /* raw only: part a is not hashed */

	/* b: ciphers sorted */
	memcpy(v, h->ciphers, h->n_ciphers * sizeof(v[0]));
	sort_u16(v, h->n_ciphers);
	crypto_hash_sha256_init(st);
	t->md5 = NULL;
	t->sha = st;
	t->n = 0;
	text_list(t, v, h->n_ciphers, ',', true);
	ja4_part(t, st, h->n_ciphers == 0, a + 11);
	a[23] = '_';
	raw_put(t, "_", 1);

	/* c: extensions sorted, without SNI and ALPN; then "_" and sigalgs as they come */
	for (size_t i = 0; i < h->n_exts; i++)
		if (h->exts[i] != EXT_SNI && h->exts[i] != EXT_ALPN)
			v[n++] = h->exts[i];
	sort_u16(v, n);
	crypto_hash_sha256_init(st);
	t->sha = st;
	text_list(t, v, n, ',', true);
	if (h->n_sigalgs) {
		text_char(t, '_');
		text_list(t, h->sigalgs, h->n_sigalgs, ',', true);
	}
	ja4_part(t, st, n == 0, a + 24);
	a[36] = '\0';
}

/* ---- public ------------------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool init_ok;

static void init_hashes(void)
{
	init_ok = sodium_init() >= 0;
}

/* The three stages; the third only when fp. */
static enum tls_status parse(const uint8_t *data, size_t len, struct tls_hello *out, size_t *need,
			     bool fp, char *ja3_raw, size_t ja3_size, char *ja4_raw, size_t ja4_size)
{
	uint8_t buf[HS_HDR + TLS_HELLO_MAX];
	struct hello h;
	struct text text;       /* scalars set below; buf is written before it is read */
	crypto_hash_sha256_state sha;
	struct cur msg;
	size_t used = 0, need_local = 0;
	enum tls_status st;

	memset(out, 0, sizeof(*out));
	if (!need)
		need = &need_local;
	*need = 0;
	if (ja3_raw && ja3_size)
		ja3_raw[0] = '\0';
	if (ja4_raw && ja4_size)
		ja4_raw[0] = '\0';
	if (len == 0) {
		*need = 1;
		return TLS_MORE;
	}

	st = frame(data, len, buf, &used, &msg, &out->record_version, need);
	if (st != TLS_OK)
		goto out;

	hello_init(&h);
	st = parse_hello(msg, &h, out);
	if (st != TLS_OK)
		goto out;

	out->version = h.version;
	out->max_version = h.has_versions ? h.max_version : h.version;
	if (!fp)
		goto out;
	if (pthread_once(&init_once, init_hashes) != 0 || !init_ok) {
		st = TLS_ERR;
		goto out;
	}
	text.md5 = NULL;
	text.sha = NULL;
	text.n = text.wipe = text.raw_n = 0;
	text.raw = ja3_raw;
	text.raw_size = ja3_size;
	ja3(&h, out, &text);
	text.raw = ja4_raw;
	text.raw_size = ja4_size;
	text.raw_n = 0;
	ja4(&h, out, &text, &sha);
	text_wipe(&text);
out:
	if (st != TLS_OK) {
		uint16_t rv = out->record_version;
		memset(out, 0, sizeof(*out));
		out->record_version = rv;
	}
	if (st != TLS_MORE)
		*need = 0;
	/* The buffer may hold the random and session id of a fragmented hello. */
	sodium_memzero(buf, used);
	return st;
}

enum tls_status tls_parse_client_hello_raw(const uint8_t *data, size_t len,
					   struct tls_hello *out, size_t *need,
					   char *ja3_raw, size_t ja3_size,
					   char *ja4_raw, size_t ja4_size)
{
	return parse(data, len, out, need, true, ja3_raw, ja3_size, ja4_raw, ja4_size);
}

enum tls_status tls_parse_client_hello(const uint8_t *data, size_t len, struct tls_hello *out,
				       size_t *need)
{
	return parse(data, len, out, need, true, NULL, 0, NULL, 0);
}

enum tls_status tls_parse_client_hello_nofp(const uint8_t *data, size_t len,
					    struct tls_hello *out, size_t *need)
{
	return parse(data, len, out, need, false, NULL, 0, NULL, 0);
}

const char *tls_version_name(uint16_t v, char buf[8])
{
	switch (v) {
	case 0x0304: return strcpy(buf, "TLSv1.3");
	case 0x0303: return strcpy(buf, "TLSv1.2");
	case 0x0302: return strcpy(buf, "TLSv1.1");
	case 0x0301: return strcpy(buf, "TLSv1.0");
	case 0x0300: return strcpy(buf, "SSLv3");
	case 0x0002: return strcpy(buf, "SSLv2");
	default:
		snprintf(buf, 8, "0x%04x", (unsigned)v);
		return buf;
	}
}

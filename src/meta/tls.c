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
 *   3. emit    JA3 text streamed into MD5 (libmd) and JA4 parts streamed into SHA-256
 *              (libsodium); an optional raw-text sink lets tests and tools see exactly what
 *              was hashed.
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
 * Text that goes into a hash and, when buf is set, into a bounded raw copy as well. Text is
 * gathered in a small chunk and handed to the hash in blocks; sink_flush() before switching
 * or finishing a hash.
 */
struct sink {
	MD5_CTX *md5;
	crypto_hash_sha256_state *sha;
	char *buf;              /* raw copy, or NULL */
	size_t size, n;
	char chunk[256];
	size_t cn;
};

static void sink_flush(struct sink *k)
{
	if (k->md5)
		MD5Update(k->md5, (const uint8_t *)k->chunk, k->cn);
	if (k->sha)
		crypto_hash_sha256_update(k->sha, (const unsigned char *)k->chunk, k->cn);
	k->cn = 0;
}

static void sink_write(struct sink *k, const char *s, size_t l)
{
	if (k->buf && k->size) {
		size_t room = k->size - 1 - k->n;
		size_t c = l < room ? l : room;
		memcpy(k->buf + k->n, s, c);
		k->n += c;
		k->buf[k->n] = '\0';
	}
	if (!k->md5 && !k->sha)
		return;
	if (k->cn + l > sizeof(k->chunk))
		sink_flush(k);
	if (l > sizeof(k->chunk)) {             /* long text goes straight through */
		if (k->md5)
			MD5Update(k->md5, (const uint8_t *)s, l);
		if (k->sha)
			crypto_hash_sha256_update(k->sha, (const unsigned char *)s, l);
		return;
	}
	memcpy(k->chunk + k->cn, s, l);
	k->cn += l;
}

static void sink_put(struct sink *k, const char *s)
{
	sink_write(k, s, strlen(s));
}

/* Format v as 4 lower-case hex digits or as decimal; returns the text in num. */
static const char *fmt_u16(uint16_t v, bool hex, char num[8])
{
	static const char digits[] = "0123456789abcdef";
	char *p = num + 7;

	*p = '\0';
	if (hex) {
		for (int i = 0; i < 4; i++, v >>= 4)
			*--p = digits[v & 15];
		return p;
	}
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

/* The values joined by sep (one character). */
static void sink_list(struct sink *k, const uint16_t *v, size_t n, const char *sep, bool hex)
{
	char num[8];
	for (size_t i = 0; i < n; i++) {
		const char *t = fmt_u16(v[i], hex, num);
		if (i)
			sink_write(k, sep, 1);
		sink_write(k, t, (size_t)(num + 7 - t));
	}
}

static void ja3(const struct hello *h, struct tls_hello *out, char *raw, size_t raw_size)
{
	MD5_CTX md5;
	struct sink k = { .md5 = &md5, .buf = raw, .size = raw_size };
	uint16_t vals[TLS_LIST_MAX];
	size_t n = 0;
	char num[8];

	if (raw && raw_size)
		raw[0] = '\0';
	MD5Init(&md5);
	sink_put(&k, fmt_u16(h->version, false, num));
	sink_put(&k, ",");
	sink_list(&k, h->ciphers, h->n_ciphers, "-", false);
	sink_put(&k, ",");
	sink_list(&k, h->exts, h->n_exts, "-", false);
	sink_put(&k, ",");
	if (h->has_groups) {
		struct cur g = h->groups;
		(void)read_u16_list(&g, vals, &n);     /* length checked in stage 2 */
		sink_list(&k, vals, n, "-", false);
	}
	sink_put(&k, ",");
	if (h->has_points) {
		struct cur p = h->points;
		n = 0;
		while (cur_left(&p) && n < TLS_LIST_MAX)
			vals[n++] = cur_u8(&p);
		sink_list(&k, vals, n, "-", false);
	}
	sink_flush(&k);
	MD5End(&md5, out->ja3);
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
static void ja4_alpn(const struct hello *h, char out[3])
{
	static const char hex[] = "0123456789abcdef";

	out[0] = out[1] = '0';
	out[2] = '\0';
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
		out[0] = hex[f >> 4];
		out[1] = hex[e & 15];
	}
}

/* Write the truncated hash of one JA4 part, or twelve zeros when its list is empty. */
static void ja4_hash(crypto_hash_sha256_state *st, bool empty, char out[13])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hexd[2 * crypto_hash_sha256_BYTES + 1];

	crypto_hash_sha256_final(st, d);
	if (empty) {
		memcpy(out, "000000000000", 13);
		return;
	}
	sodium_bin2hex(hexd, sizeof(hexd), d, sizeof(d));
	memcpy(out, hexd, 12);
	out[12] = '\0';
}

static void ja4(const struct hello *h, struct tls_hello *out, char *raw, size_t raw_size)
{
	crypto_hash_sha256_state st;
	struct sink k = { .buf = raw, .size = raw_size };
	uint16_t v[TLS_LIST_MAX];
	size_t n = 0;
	char a[11], alpn[3], b[13], c[13];   /* a: "t13d1516h2" */
	uint16_t ver = h->has_versions ? h->max_version : h->version;

	if (raw && raw_size)
		raw[0] = '\0';
	ja4_alpn(h, alpn);
	snprintf(a, sizeof(a), "t%s%c%02u%02u%s", ja4_version(ver), h->has_sni ? 'd' : 'i',
		 (unsigned)(h->n_ciphers > 99 ? 99 : h->n_ciphers),
		 (unsigned)(h->n_exts > 99 ? 99 : h->n_exts), alpn);
	sink_put(&k, a);                        /* raw only: part a is not hashed */

	/* b: ciphers sorted */
	memcpy(v, h->ciphers, h->n_ciphers * sizeof(v[0]));
	sort_u16(v, h->n_ciphers);
	sink_put(&k, "_");
	crypto_hash_sha256_init(&st);
	k.sha = &st;
	sink_list(&k, v, h->n_ciphers, ",", true);
	sink_flush(&k);
	k.sha = NULL;
	ja4_hash(&st, h->n_ciphers == 0, b);

	/* c: extensions sorted, without SNI and ALPN; then "_" and sigalgs as they come */
	for (size_t i = 0; i < h->n_exts; i++)
		if (h->exts[i] != EXT_SNI && h->exts[i] != EXT_ALPN)
			v[n++] = h->exts[i];
	sort_u16(v, n);
	sink_put(&k, "_");
	crypto_hash_sha256_init(&st);
	k.sha = &st;
	sink_list(&k, v, n, ",", true);
	if (h->n_sigalgs) {
		sink_put(&k, "_");
		sink_list(&k, h->sigalgs, h->n_sigalgs, ",", true);
	}
	sink_flush(&k);
	k.sha = NULL;
	ja4_hash(&st, n == 0, c);

	snprintf(out->ja4, sizeof(out->ja4), "%s_%s_%s", a, b, c);
}

/* ---- public ------------------------------------------------------------------------- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static bool sodium_ready;

static void init_sodium(void)
{
	sodium_ready = sodium_init() >= 0;
}

enum tls_status tls_parse_client_hello_raw(const uint8_t *data, size_t len,
					   struct tls_hello *out, size_t *need,
					   char *ja3_raw, size_t ja3_size,
					   char *ja4_raw, size_t ja4_size)
{
	uint8_t buf[HS_HDR + TLS_HELLO_MAX];
	struct hello h;
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

	memset(&h, 0, sizeof(h));
	st = parse_hello(msg, &h, out);
	if (st != TLS_OK)
		goto out;

	out->version = h.version;
	out->max_version = h.has_versions ? h.max_version : h.version;
	if (pthread_once(&sodium_once, init_sodium) != 0 || !sodium_ready) {
		st = TLS_ERR;
		goto out;
	}
	ja3(&h, out, ja3_raw, ja3_size);
	ja4(&h, out, ja4_raw, ja4_size);
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

enum tls_status tls_parse_client_hello(const uint8_t *data, size_t len, struct tls_hello *out,
				       size_t *need)
{
	return tls_parse_client_hello_raw(data, len, out, need, NULL, 0, NULL, 0);
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

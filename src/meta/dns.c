/*
 * dns.c — the DNS extractor (see dns.h).
 *
 * A DNS message is read in one pass through a cursor over the whole message:
 *
 *   header (12) | question 1 .. qdcount | answer 1 .. ancount | authority | additional
 *
 * Only the first question and the answer section are copied out; every other record is
 * walked (name, fixed part, rdata length) so that counts which promise more records than the
 * message holds are caught (DNS_ERR_TRUNC) instead of being believed.
 *
 * Names. A name is a run of labels ended by the root label or by a compression pointer
 * (RFC 1035 4.1.4). Pointers are the classic source of parser loops, so a pointer is followed
 * only when its target lies strictly before the start of the run of labels that contains it;
 * the lowest offset visited therefore decreases with every jump and a name can never revisit
 * a byte. A hop limit bounds the work further. A self, looping or forward pointer is
 * DNS_ERR_LOOP. The uncompressed length of a name (its wire octets incl. the root label) is
 * limited to 255 (RFC 1035 2.3.4); the presentation form is lower-case, without the trailing
 * dot, and escapes like dig: "\." and "\\" inside labels, \DDD for bytes outside 0x21..0x7e.
 * A name whose escaped form does not fit DNS_NAME_MAX is DNS_ERR_NAME. A label is written
 * without per-character checks when the worst case fits (put_label), else byte by byte.
 *
 * Scratch reuse. dns_parse clears the whole message first (4.6 KB, most of it 16 answers a
 * query never has); meta.c's scratch instead goes dns_parse_cleared, then dns_clear, which
 * zeroes only what the parse wrote: the header, the question and the answers it reached.
 */
#include "meta/dns.h"

#include <stddef.h>
#include <string.h>

#include "common/cursor.h"

#define DNS_HDR_LEN 12
#define DNS_WIRE_MAX 255   /* RFC 1035 2.3.4: octets of a name on the wire, uncompressed */
#define DNS_MAX_HOPS 127   /* a 255-octet name cannot need more pointers than labels */

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_PTR = 12, T_MX = 15, T_AAAA = 28 };

const char *dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK: return "ok";
	case DNS_ERR_TRUNC: return "truncated";
	case DNS_ERR_FORMAT: return "format";
	case DNS_ERR_NAME: return "bad name";
	case DNS_ERR_LOOP: return "compression loop";
	}
	return "unknown";
}

struct name_out {
	char *buf;     /* NULL: validate and skip only */
	size_t cap;
	size_t len;
};

static int put_char(struct name_out *o, char ch)
{
	if (!o->buf)
		return 0;
	if (o->len + 1 >= o->cap)
		return -1;
	o->buf[o->len++] = ch;
	o->buf[o->len] = '\0';
	return 0;
}

/* One label byte in presentation form (dig's escaping), lower-cased. */
static int put_label_byte(struct name_out *o, uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		return put_char(o, (char)(b - 'A' + 'a'));
	if (b == '.' || b == '\\' || b == '"' || b == '(' || b == ')' || b == ';' || b == '@' ||
	    b == '$') {
		if (put_char(o, '\\') < 0)
			return -1;
		return put_char(o, (char)b);
	}
	if (b <= 0x20 || b >= 0x7f) {
		if (put_char(o, '\\') < 0 || put_char(o, (char)('0' + b / 100)) < 0 ||
		    put_char(o, (char)('0' + b / 10 % 10)) < 0)
			return -1;
		return put_char(o, (char)('0' + b % 10));
	}
	return put_char(o, (char)b);
}

/* The bytes dig escapes with a backslash, as bits of (byte - 0x20); all lie below 0x60. */
#define NAME_SPECIALS (1ull << ('"' - 0x20) | 1ull << ('$' - 0x20) | 1ull << ('(' - 0x20) | \
		       1ull << (')' - 0x20) | 1ull << ('.' - 0x20) | 1ull << (';' - 0x20) | \
		       1ull << ('@' - 0x20) | 1ull << ('\\' - 0x20))

/* A label of len bytes from r in presentation form at q, which has room for 4 * len
 * characters: put_label_byte's text without its per-character checks. Returns the end. */
static char *put_label(char *q, struct cur *r, uint8_t len)
{
	for (uint8_t i = 0; i < len; i++) {
		uint8_t b = cur_u8(r);

		if ((unsigned)(b - 0x21) < 0x5e) {          /* 0x21 .. 0x7e */
			if ((unsigned)(b - 'A') < 26) {
				*q++ = (char)(b | 0x20);
			} else if (b < 0x60 && (NAME_SPECIALS >> (b - 0x20) & 1)) {
				*q++ = '\\';
				*q++ = (char)b;
			} else {
				*q++ = (char)b;
			}
		} else {
			*q++ = '\\';
			*q++ = (char)('0' + b / 100);
			*q++ = (char)('0' + b / 10 % 10);
			*q++ = (char)('0' + b % 10);
		}
	}
	return q;
}

/*
 * Read the name at c->off of the message (c spans the whole message). On success c->off is
 * just past the name as it appears at that place (past its first pointer if any), and o (if
 * it has a buffer) holds the presentation form.
 */
static enum dns_status read_name(struct cur *c, struct name_out *o)
{
	struct cur r = *c;          /* reads follow pointers; c only advances in place */
	size_t seg_start = r.off;   /* start of the current run of labels */
	size_t wire = 0;
	unsigned hops = 0;
	bool jumped = false;

	if (o->buf) {
		o->len = 0;
		o->buf[0] = '\0';
	}
	for (;;) {
		uint8_t len = cur_u8(&r);

		if (!cur_ok(&r))
			return DNS_ERR_TRUNC;
		if ((len & 0xc0) == 0xc0) {
			size_t target = (size_t)(len & 0x3f) << 8 | cur_u8(&r);

			if (!cur_ok(&r))
				return DNS_ERR_TRUNC;
			if (!jumped) {
				c->off = r.off;
				jumped = true;
			}
			if (target >= seg_start || ++hops > DNS_MAX_HOPS)
				return DNS_ERR_LOOP;
			r.off = target;
			seg_start = target;
			continue;
		}
		if (len & 0xc0)
			return DNS_ERR_NAME;   /* 01/10: extended label types (RFC 6891) unused */
		wire += 1u + len;
		if (wire > DNS_WIRE_MAX)
			return DNS_ERR_NAME;
		if (len == 0)
			break;
		if (!cur_has(&r, len))
			return DNS_ERR_TRUNC;
		if (!o->buf) {
			cur_skip(&r, len);
			continue;
		}
		/* every label adds at least one character, so len > 0 means "not the first" */
		if (o->len > 0 && put_char(o, '.') < 0)
			return DNS_ERR_NAME;
		if (o->len + 4u * len < o->cap) {
			/* room for the worst case (\DDD for every byte) and the NUL */
			o->len = (size_t)(put_label(o->buf + o->len, &r, len) - o->buf);
			o->buf[o->len] = '\0';
			continue;
		}
		for (uint8_t i = 0; i < len; i++)
			if (put_label_byte(o, cur_u8(&r)) < 0)
				return DNS_ERR_NAME;
	}
	if (!jumped)
		c->off = r.off;
	return DNS_OK;
}

static enum dns_status read_answer(struct cur *c, struct dns_msg *out)
{
	struct name_out skip = { NULL, 0, 0 };
	enum dns_status st;
	uint16_t type, rdlen;

	st = read_name(c, &skip);
	if (st != DNS_OK)
		return st;
	type = cur_be16(c);
	cur_skip(c, 2 + 4);          /* class, ttl */
	rdlen = cur_be16(c);
	if (!cur_ok(c) || !cur_has(c, rdlen))
		return DNS_ERR_TRUNC;

	size_t rd_start = c->off, rd_end = c->off + rdlen;
	struct dns_answer *a = NULL;

	if (out) {
		out->answers_seen++;
		if (out->nanswers < DNS_MAX_ANSWERS) {
			a = &out->ans[out->nanswers];
			memset(a, 0, sizeof(*a));
			a->type = type;
		}
	}
	if ((type == T_A && rdlen != 4) || (type == T_AAAA && rdlen != 16))
		return DNS_ERR_FORMAT;   /* in any section, kept or not */
	if (a && type == T_A) {
		a->is_addr = true;
		addr_from_v4(&a->addr, cur_be32(c));
	} else if (a && type == T_AAAA) {
		uint8_t b[16];

		cur_copy(c, b, sizeof(b));
		a->is_addr = true;
		addr_from_v6(&a->addr, b);
	} else if (a && (type == T_CNAME || type == T_PTR || type == T_NS || type == T_MX)) {
		struct name_out o = { a->name, sizeof(a->name), 0 };

		if (type == T_MX)
			cur_skip(c, 2);  /* preference */
		if (c->off > rd_end)
			return DNS_ERR_FORMAT;
		st = read_name(c, &o);
		if (st != DNS_OK)
			return st;
		if (c->off != rd_end)
			return DNS_ERR_FORMAT;   /* name must fill the rdata exactly */
	}
	if (a)
		out->nanswers++;
	c->off = rd_start;
	cur_skip(c, rdlen);
	return cur_ok(c) ? DNS_OK : DNS_ERR_TRUNC;
}

enum dns_status dns_parse_cleared(const uint8_t *msg, size_t len, struct dns_msg *out)
{
	struct cur c = cur_make(msg, len);
	struct name_out qn = { out->qname, sizeof(out->qname), 0 };
	struct name_out skip = { NULL, 0, 0 };
	uint16_t flags, qd, an, ns, ar;
	enum dns_status st;

	out->nanswers = out->answers_seen = 0;   /* the rest is set below or was zero */
	out->id = cur_be16(&c);
	flags = cur_be16(&c);
	qd = cur_be16(&c);
	an = cur_be16(&c);
	ns = cur_be16(&c);
	ar = cur_be16(&c);
	if (!cur_ok(&c))
		return DNS_ERR_TRUNC;
	out->response = flags >> 15;
	out->opcode = (flags >> 11) & 0xf;
	out->rcode = flags & 0xf;
	if (qd == 0)
		return DNS_ERR_FORMAT;

	for (unsigned i = 0; i < qd; i++) {
		st = read_name(&c, i == 0 ? &qn : &skip);
		if (st != DNS_OK)
			return st;
		uint16_t qtype = cur_be16(&c), qclass = cur_be16(&c);

		if (!cur_ok(&c))
			return DNS_ERR_TRUNC;
		if (i == 0) {
			out->qtype = qtype;
			out->qclass = qclass;
		}
	}
	for (unsigned i = 0; i < an; i++) {
		st = read_answer(&c, out);
		if (st != DNS_OK)
			return st;
	}
	for (unsigned i = 0; i < (unsigned)ns + ar; i++) {
		st = read_answer(&c, NULL);
		if (st != DNS_OK)
			return st;
	}
	return DNS_OK;
}

enum dns_status dns_parse(const uint8_t *msg, size_t len, struct dns_msg *out)
{
	memset(out, 0, sizeof(*out));
	return dns_parse_cleared(msg, len, out);
}

void dns_clear(struct dns_msg *m)
{
	/* read_answer writes ans[nanswers] (half of it when it fails) before counting it */
	size_t n = m->nanswers < DNS_MAX_ANSWERS ? m->nanswers + 1u : DNS_MAX_ANSWERS;

	memset(m, 0, offsetof(struct dns_msg, ans) + n * sizeof(m->ans[0]));
}

/*
 * http.c — the HTTP/1.x request extractor (see http.h).
 *
 *   METHOD SP request-target SP HTTP/1.x CRLF      request line
 *   name ":" OWS value OWS CRLF                    header lines (bare LF tolerated)
 *   CRLF                                           end of the header block
 *
 * The header block is scanned in place, line by line, through a cursor; nothing of the input
 * is buffered. Only three things are copied out: the method, the Host header (lower-case) and
 * the User-Agent header (non-printable bytes as '?'). Every other header — Cookie,
 * Authorization, Proxy-Authorization included — is checked for shape and skipped; the body is
 * never looked at (DESIGN.md rule 1).
 *
 * The request target is rewritten as it is copied (DESIGN.md rule 2):
 *   - origin-form "/p?k=v&flag#f" -> "/p?k=<32 hex>&flag": every non-empty query value is
 *     replaced by the keyed hash of its raw bytes, keys are kept, the fragment is dropped;
 *   - absolute-form "http://user:pw@Host/p?..." -> "http://host/p?...": userinfo (a
 *     credential) is dropped, scheme and host lower-cased, the rest as origin-form;
 *   - authority-form (CONNECT) and "*" (OPTIONS) are copied as they are.
 * Bytes outside 0x21..0x7e in the copied parts are percent-encoded. Output is appended in
 * whole tokens (a byte, a %XX escape, a hash), so a target that does not fit is cut at a
 * token boundary at HTTP_URI_MAX-4 and marked "...".
 *
 * A block that is not complete yet is HTTP_MORE while shorter than HTTP_BLOCK_MAX; a request
 * line that is already complete and malformed is HTTP_ERR at once.
 */
#include "meta/http.h"

#include <stdbool.h>
#include <string.h>

#include "common/cursor.h"

#define HTTP_BLOCK_MAX (16 * 1024)

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT",
};

static bool is_tchar(uint8_t b)
{
	/* RFC 9110 5.6.2 token characters */
	if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'))
		return true;
	return b && strchr("!#$%&'*+-.^_`|~", b) != NULL;
}

static uint8_t lower(uint8_t b)
{
	return b >= 'A' && b <= 'Z' ? (uint8_t)(b - 'A' + 'a') : b;
}

/* Which method c starts with (method and SP): index, -1 none, -2 a proper prefix of one. */
static int match_method(const struct cur *c)
{
	size_t left = cur_left(c);
	bool prefix = false;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		size_t m = strlen(methods[i]);

		if (cur_has(c, m + 1)) {
			if (memcmp(cur_ptr(c), methods[i], m) == 0 && cur_peek(c, m) == ' ')
				return (int)i;
		} else if (left <= m && (left == 0 || memcmp(cur_ptr(c), methods[i], left) == 0)) {
			prefix = true;
		}
	}
	return prefix ? -2 : -1;
}

int http_looks_like_request(const uint8_t *data, size_t len)
{
	struct cur c = cur_make(data, len);

	return len > 0 && match_method(&c) >= 0;
}

/* Bounded output string: appends whole tokens or nothing; remembers that something was cut. */
struct sbuf {
	char *buf;
	size_t cap;   /* usable bytes, NUL excluded */
	size_t len;
	bool cut;
};

static void sb_put(struct sbuf *s, const char *p, size_t n)
{
	if (s->cut || n > s->cap - s->len) {
		s->cut = true;
		return;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

/* One byte of the target: printable bytes as they are, others as %XX. */
static void sb_put_uri_byte(struct sbuf *s, uint8_t b, bool lower_case)
{
	static const char hex[] = "0123456789ABCDEF";

	if (b > 0x20 && b < 0x7f) {
		char ch = (char)(lower_case ? lower(b) : b);

		sb_put(s, &ch, 1);
	} else {
		char esc[3] = { '%', hex[b >> 4], hex[b & 15] };

		sb_put(s, esc, 3);
	}
}

/* The query "k=v&flag..." (c holds exactly the query, without '?' and fragment). */
static void put_query(struct sbuf *s, struct cur *q, const struct pseudo *key)
{
	while (cur_left(q) > 0) {
		uint8_t b = cur_u8(q);

		if (b == '&') {
			sb_put(s, "&", 1);
			continue;
		}
		if (b != '=') {
			sb_put_uri_byte(s, b, false);
			continue;
		}
		/* a value: up to the next '&' */
		const uint8_t *v = cur_ptr(q);
		size_t n = 0;

		while (n < cur_left(q) && cur_peek(q, n) != '&')
			n++;
		sb_put(s, "=", 1);
		if (n > 0) {
			char hx[PSEUDO_HEXLEN + 1];

			pseudo_hash(key, v, n, hx);
			sb_put(s, hx, PSEUDO_HEXLEN);
		}
		cur_skip(q, n);
	}
}

/* The request target t (already checked: no bytes <= 0x20 or 0x7f) into out->uri. */
static void put_target(struct http_req *out, struct cur *t, const struct pseudo *key)
{
	struct sbuf s = { out->uri, HTTP_URI_MAX - 4, 0, false };
	size_t n = cur_left(t), i;

	out->uri[0] = '\0';
	/* absolute-form: scheme "://" authority */
	for (i = 0; i < n; i++) {
		uint8_t b = cur_peek(t, i);

		if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
		      (i > 0 && ((b >= '0' && b <= '9') || b == '+' || b == '-' || b == '.'))))
			break;
	}
	if (i > 0 && cur_peek(t, i) == ':' && cur_peek(t, i + 1) == '/' && cur_peek(t, i + 2) == '/' &&
	    cur_peek(t, 0) != '/') {
		size_t scheme = i + 3, end = scheme, at = 0;
		bool have_at = false;

		while (end < n && cur_peek(t, end) != '/' && cur_peek(t, end) != '?' &&
		       cur_peek(t, end) != '#') {
			if (cur_peek(t, end) == '@') {
				at = end;
				have_at = true;
			}
			end++;
		}
		for (size_t k = 0; k < scheme; k++)
			sb_put_uri_byte(&s, cur_peek(t, k), true);
		for (size_t k = have_at ? at + 1 : scheme; k < end; k++)
			sb_put_uri_byte(&s, cur_peek(t, k), true);
		if (!out->host[0]) {
			struct sbuf h = { out->host, HTTP_HOST_MAX - 1, 0, false };

			for (size_t k = have_at ? at + 1 : scheme; k < end; k++)
				sb_put_uri_byte(&h, cur_peek(t, k), true);
		}
		cur_skip(t, end);
	}
	/* path, then query, then fragment (dropped) */
	while (cur_left(t) > 0) {
		uint8_t b = cur_u8(t);

		if (b == '#')
			break;
		if (b == '?') {
			size_t qn = 0;

			while (qn < cur_left(t) && cur_peek(t, qn) != '#')
				qn++;
			struct cur q = cur_sub(t, qn);

			sb_put(&s, "?", 1);
			put_query(&s, &q, key);
			break;
		}
		sb_put_uri_byte(&s, b, false);
	}
	if (s.cut) {
		s.cap += 3;
		s.cut = false;
		sb_put(&s, "...", 3);
	}
}

/* Copy a header value: trimmed, non-printable bytes as '?', optionally lower-cased. */
static void copy_value(char *dst, size_t cap, struct cur v, bool lower_case)
{
	size_t n = cur_left(&v), a = 0, o = 0;

	while (a < n && (cur_peek(&v, a) == ' ' || cur_peek(&v, a) == '\t'))
		a++;
	while (n > a && (cur_peek(&v, n - 1) == ' ' || cur_peek(&v, n - 1) == '\t'))
		n--;
	for (size_t i = a; i < n && o + 1 < cap; i++) {
		uint8_t b = cur_peek(&v, i);

		if (b < 0x20 || b >= 0x7f)
			b = '?';
		dst[o++] = (char)(lower_case ? lower(b) : b);
	}
	dst[o] = '\0';
}

static bool name_is(struct cur name, const char *want)
{
	size_t n = strlen(want);

	if (cur_left(&name) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(cur_peek(&name, i)) != (uint8_t)want[i])
			return false;
	return true;
}

/* Next line of c without its LF and an optional CR before it; false if no LF within c. */
static bool next_line(struct cur *c, struct cur *line)
{
	size_t n = 0, left = cur_left(c);

	while (n < left && cur_peek(c, n) != '\n')
		n++;
	if (n == left)
		return false;
	*line = cur_sub(c, n);
	cur_skip(c, 1);
	if (line->len > 0 && cur_peek(line, line->len - 1) == '\r')
		line->len--;
	return true;
}

static enum http_status parse_request_line(struct cur line, struct http_req *out,
					   struct cur *target)
{
	size_t n = 0, m;
	int idx = match_method(&line);

	if (idx < 0)
		return HTTP_ERR;
	m = strlen(methods[idx]);
	memcpy(out->method, methods[idx], m + 1);
	cur_skip(&line, m + 1);
	while (n < cur_left(&line) && cur_peek(&line, n) > 0x20 && cur_peek(&line, n) != 0x7f)
		n++;
	if (n == 0 || cur_peek(&line, n) != ' ')
		return HTTP_ERR;
	*target = cur_sub(&line, n);
	cur_skip(&line, 1);
	if (cur_left(&line) != 8 || memcmp(cur_ptr(&line), "HTTP/1.", 7) != 0)
		return HTTP_ERR;
	cur_skip(&line, 7);
	uint8_t d = cur_u8(&line);

	if (d < '0' || d > '9')
		return HTTP_ERR;
	out->version_minor = (uint8_t)(d - '0');
	return HTTP_OK;
}

enum http_status http_parse_request(const uint8_t *data, size_t len, const struct pseudo *key,
				    struct http_req *out, size_t *consumed)
{
	struct cur c = cur_make(data, len > HTTP_BLOCK_MAX ? HTTP_BLOCK_MAX : len);
	struct cur line, target;
	enum http_status st;
	bool have_host = false, have_ua = false;
	int idx;

	memset(out, 0, sizeof(*out));
	*consumed = 0;
	if (len == 0)
		return HTTP_MORE;
	idx = match_method(&c);
	if (idx == -1)
		return HTTP_NOT_HTTP;
	if (idx == -2)
		return HTTP_MORE;

	if (!next_line(&c, &line))
		return len >= HTTP_BLOCK_MAX ? HTTP_ERR : HTTP_MORE;
	st = parse_request_line(line, out, &target);
	if (st != HTTP_OK)
		goto fail;

	for (;;) {
		if (!next_line(&c, &line)) {
			st = len >= HTTP_BLOCK_MAX ? HTTP_ERR : HTTP_MORE;
			goto fail;
		}
		if (cur_left(&line) == 0)
			break;
		uint8_t first = cur_peek(&line, 0);

		if (first == ' ' || first == '\t')
			continue;   /* obsolete line folding: part of a header we do not keep */
		size_t n = 0;

		while (n < cur_left(&line) && is_tchar(cur_peek(&line, n)))
			n++;
		if (n == 0 || cur_peek(&line, n) != ':') {
			st = HTTP_ERR;
			goto fail;
		}
		struct cur name = cur_sub(&line, n);

		cur_skip(&line, 1);
		if (!have_host && name_is(name, "host")) {
			copy_value(out->host, sizeof(out->host), line, true);
			have_host = true;
		} else if (!have_ua && name_is(name, "user-agent")) {
			copy_value(out->user_agent, sizeof(out->user_agent), line, false);
			have_ua = true;
		}
		/* any other header (Cookie, Authorization, ...) is not copied anywhere */
	}
	put_target(out, &target, key);
	*consumed = c.off;
	return HTTP_OK;
fail:
	memset(out, 0, sizeof(*out));
	return st;
}

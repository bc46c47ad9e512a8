/*
 * smtp.c — the SMTP envelope extractor (see smtp.h).
 *
 * smtp_feed() runs a small state machine over the client's byte stream:
 *
 *        ┌────────── line ──────────┐
 *        ▼                          │   EHLO/HELO, MAIL FROM, RCPT TO -> callback
 *   COMMANDS ── DATA ──▶ DATA ──"CRLF.CRLF"──▶ COMMANDS
 *       │  └─ BDAT n ──▶ BDAT ──n bytes──▶ COMMANDS
 *       │  └─ line > SMTP_LINE_MAX ──▶ SKIP_LINE ──LF──▶ COMMANDS   (counted in errors)
 *       └──── STARTTLS ──▶ GAVE_UP (the rest is TLS; never parsed)
 *
 * Command lines that arrive whole within one feed are parsed in place; only a line split
 * across feeds is gathered in st->line (at most SMTP_LINE_MAX bytes), and that copy is wiped
 * with sodium_memzero as soon as the line is consumed, whatever it held (AUTH lines carry
 * credentials). Message content is never copied: DATA content is scanned for its terminator
 * and only the last five bytes stay in st->tail so that "\r\n.\r\n" (or "\n.\n") split across
 * feeds is still found; the CRLF that ends the DATA command counts as the first CRLF, so an
 * empty message "DATA\r\n.\r\n" ends at once.
 *
 * What leaves: the HELO name (lower-case, non-printable bytes as '?') and the envelope
 * addresses with their local part replaced by the keyed hash (DESIGN.md rule 2).
 *
 * Limits: only the client side is seen, so a DATA or BDAT the server refused is still taken
 * as content; a STARTTLS the server refused still ends parsing (the safe side).
 */
#include "meta/smtp.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "common/cursor.h"

#define TAIL_LEN ((size_t)sizeof(((struct smtp_state *)0)->tail))

/* ---- addresses ---------------------------------------------------------------------- */

struct obuf {
	char *buf;
	size_t cap;   /* incl. the NUL */
	size_t len;
};

static void ob_putc(struct obuf *o, char ch)
{
	if (o->cap == 0 || o->len + 1 >= o->cap)
		return;
	o->buf[o->len++] = ch;
	o->buf[o->len] = '\0';
}

static char printable_lower(uint8_t b)
{
	if (b >= 'A' && b <= 'Z')
		return (char)(b - 'A' + 'a');
	if (b <= 0x20 || b >= 0x7f)
		return '?';
	return (char)b;
}

/* Index of the first byte at or after i that is `stop` (or a space if stop_space), outside a
 * quoted string; n if none. Backslash escapes inside quotes are honoured. */
static size_t scan_to(const struct cur *a, size_t i, size_t n, uint8_t stop, bool stop_space)
{
	bool quoted = false;

	for (; i < n; i++) {
		uint8_t b = cur_peek(a, i);

		if (quoted) {
			if (b == '\\')
				i++;
			else if (b == '"')
				quoted = false;
			continue;
		}
		if (b == '"')
			quoted = true;
		else if (b == stop || (stop_space && (b == ' ' || b == '\t')))
			return i;
	}
	return n;
}

void smtp_pseudonymize_addr(const char *addr, size_t n, const struct pseudo *key, char *out,
			    size_t outlen)
{
	struct cur a = cur_make(addr, n);
	struct obuf o = { out, outlen, 0 };
	size_t i = 0, start, end, at = n;
	char hx[PSEUDO_HEXLEN + 1];

	if (outlen == 0)
		return;
	out[0] = '\0';
	while (i < n && (cur_peek(&a, i) == ' ' || cur_peek(&a, i) == '\t'))
		i++;
	if (i < n && cur_peek(&a, i) == '<') {
		start = i + 1;
		end = scan_to(&a, start, n, '>', false);
	} else {
		start = i;
		end = scan_to(&a, start, n, 0, true);
	}
	/* source route "@a,@b:user@d" (RFC 5321 4.1.2, obsolete): keep user@d */
	if (start < end && cur_peek(&a, start) == '@') {
		size_t colon = scan_to(&a, start, end, ':', false);

		if (colon < end)
			start = colon + 1;
	}
	if (start >= end)
		return;   /* the null path "<>" */
	/* the last '@' outside quotes separates the domain */
	for (size_t k = scan_to(&a, start, end, '@', false); k < end;
	     k = scan_to(&a, k + 1, end, '@', false))
		at = k;
	if (at >= end) {
		pseudo_hash(key, addr + start, end - start, hx);
		for (size_t k = 0; k < PSEUDO_HEXLEN; k++)
			ob_putc(&o, hx[k]);
		return;
	}
	pseudo_hash(key, addr + start, at - start, hx);
	for (size_t k = 0; k < PSEUDO_HEXLEN; k++)
		ob_putc(&o, hx[k]);
	for (size_t k = at; k < end; k++)
		ob_putc(&o, printable_lower(cur_peek(&a, k)));
}

/* ---- command lines ------------------------------------------------------------------ */

static bool word_is(const struct cur *l, size_t i, const char *w)
{
	size_t n = strlen(w);

	if (!cur_has(l, i + n))
		return false;
	for (size_t k = 0; k < n; k++)
		if ((uint8_t)printable_lower(cur_peek(l, i + k)) != (uint8_t)w[k])
			return false;
	return true;
}

static size_t skip_sp(const struct cur *l, size_t i)
{
	while (i < cur_left(l) && (cur_peek(l, i) == ' ' || cur_peek(l, i) == '\t'))
		i++;
	return i;
}

/* "MAIL FROM:<a>" / "RCPT TO:<a>": i is just past the verb. */
static void path_cmd(struct smtp_state *st, const struct cur *l, size_t i, const char *kw,
		     enum smtp_kind kind, const struct pseudo *key, smtp_cb cb, void *ctx)
{
	struct smtp_cmd cmd;

	i = skip_sp(l, i);
	if (!word_is(l, i, kw)) {
		st->errors++;
		return;
	}
	i = skip_sp(l, i + strlen(kw));
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = kind;
	smtp_pseudonymize_addr((const char *)cur_ptr(l) + i, cur_left(l) - i, key, cmd.value,
			       sizeof(cmd.value));
	cb(ctx, &cmd);
}

static void helo_cmd(struct smtp_state *st, const struct cur *l, size_t i, smtp_cb cb,
		     void *ctx)
{
	struct smtp_cmd cmd;
	struct obuf o;
	size_t n = cur_left(l);

	i = skip_sp(l, i);
	if (i == n) {
		st->errors++;
		return;
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.kind = SMTP_HELO;
	o = (struct obuf){ cmd.value, sizeof(cmd.value), 0 };
	for (; i < n && cur_peek(l, i) != ' ' && cur_peek(l, i) != '\t'; i++)
		ob_putc(&o, printable_lower(cur_peek(l, i)));
	cb(ctx, &cmd);
}

static void bdat_cmd(struct smtp_state *st, const struct cur *l, size_t i)
{
	size_t n = cur_left(l), d = 0;
	uint64_t v = 0;

	i = skip_sp(l, i);
	for (; i < n && cur_peek(l, i) >= '0' && cur_peek(l, i) <= '9'; i++, d++) {
		v = v * 10 + (uint64_t)(cur_peek(l, i) - '0');
		if (v > UINT32_MAX)
			break;
	}
	if (d == 0 || v > UINT32_MAX) {
		st->errors++;
		return;
	}
	st->bdat_left = (uint32_t)v;
	if (v > 0)
		st->phase = SMTP_PH_BDAT;
}

/* One complete command line, without its line end. */
static void command(struct smtp_state *st, struct cur l, const struct pseudo *key, smtp_cb cb,
		    void *ctx)
{
	size_t n = cur_left(&l), v = 0;

	if (n > 0 && cur_peek(&l, n - 1) == '\r')
		l.len--, n--;
	while (v < n && cur_peek(&l, v) != ' ' && cur_peek(&l, v) != '\t')
		v++;
	if (v == 4 && (word_is(&l, 0, "ehlo") || word_is(&l, 0, "helo"))) {
		helo_cmd(st, &l, v, cb, ctx);
	} else if (v == 4 && word_is(&l, 0, "mail")) {
		path_cmd(st, &l, v, "from:", SMTP_MAIL_FROM, key, cb, ctx);
	} else if (v == 4 && word_is(&l, 0, "rcpt")) {
		path_cmd(st, &l, v, "to:", SMTP_RCPT_TO, key, cb, ctx);
	} else if (v == 4 && word_is(&l, 0, "data") && skip_sp(&l, v) == n) {
		st->phase = SMTP_PH_DATA;
		memset(st->tail, 0, TAIL_LEN);
		st->tail[TAIL_LEN - 2] = '\r';   /* DATA's own line end starts the content */
		st->tail[TAIL_LEN - 1] = '\n';
	} else if (v == 4 && word_is(&l, 0, "bdat")) {
		bdat_cmd(st, &l, v);
	} else if (v == 8 && word_is(&l, 0, "starttls")) {
		st->phase = SMTP_PH_GAVE_UP;
	}
}

/* ---- the stream --------------------------------------------------------------------- */

/* Byte k positions before data[p] in the content stream (k = 0 is data[p] itself), reaching
 * back into st->tail when p - k precedes `from`, the first content byte of this feed. */
static uint8_t back(const struct smtp_state *st, const struct cur *d, size_t from, size_t p,
		    size_t k)
{
	if (p >= from + k)
		return d->data[p - k];
	return st->tail[TAIL_LEN - (from + k - p)];
}

/* Skip DATA content from d->off; true once the terminator has been consumed. */
static bool skip_data(struct smtp_state *st, struct cur *d)
{
	size_t from = d->off, p;
	const uint8_t *lf;

	while ((lf = memchr(cur_ptr(d), '\n', cur_left(d))) != NULL) {
		p = d->off + (size_t)(lf - cur_ptr(d));
		cur_skip(d, p + 1 - d->off);
		if (back(st, d, from, p, 1) == '.' && back(st, d, from, p, 2) == '\n')
			goto done;   /* "\n.\n" */
		if (back(st, d, from, p, 1) == '\r' && back(st, d, from, p, 2) == '.' &&
		    back(st, d, from, p, 3) == '\n' && back(st, d, from, p, 4) == '\r')
			goto done;   /* "\r\n.\r\n" */
	}
	/* not yet: keep the last bytes of content (reaching back into the old tail) */
	uint8_t t[TAIL_LEN];

	for (size_t k = 0; k < TAIL_LEN; k++)
		t[k] = back(st, d, from, d->len - 1, TAIL_LEN - 1 - k);
	memcpy(st->tail, t, TAIL_LEN);
	sodium_memzero(t, sizeof(t));
	cur_skip(d, cur_left(d));
	return false;
done:
	sodium_memzero(st->tail, TAIL_LEN);
	return true;
}

static void end_line(struct smtp_state *st)
{
	sodium_memzero(st->line, st->linelen);
	st->linelen = 0;
}

void smtp_feed(struct smtp_state *st, const uint8_t *data, size_t len, const struct pseudo *key,
	       smtp_cb cb, void *ctx)
{
	struct cur d = cur_make(data, len);

	while (cur_left(&d) > 0) {
		const uint8_t *lf;
		size_t n, left;

		switch (st->phase) {
		case SMTP_PH_GAVE_UP:
			return;
		case SMTP_PH_BDAT:
			n = cur_left(&d) < st->bdat_left ? cur_left(&d) : st->bdat_left;
			cur_skip(&d, n);
			st->bdat_left -= (uint32_t)n;
			if (st->bdat_left == 0)
				st->phase = SMTP_PH_COMMANDS;
			break;
		case SMTP_PH_DATA:
			if (skip_data(st, &d))
				st->phase = SMTP_PH_COMMANDS;
			break;
		case SMTP_PH_SKIP_LINE:
			lf = memchr(cur_ptr(&d), '\n', cur_left(&d));
			if (!lf) {
				cur_skip(&d, cur_left(&d));
				break;
			}
			cur_skip(&d, (size_t)(lf - cur_ptr(&d)) + 1);
			st->phase = SMTP_PH_COMMANDS;
			break;
		case SMTP_PH_COMMANDS:
		default:
			left = cur_left(&d);
			lf = memchr(cur_ptr(&d), '\n', left);
			n = lf ? (size_t)(lf - cur_ptr(&d)) : left;
			if (st->linelen + n > SMTP_LINE_MAX - 1) {
				/* overlong: count it, drop what was gathered, skip to its end */
				st->errors++;
				end_line(st);
				st->phase = SMTP_PH_SKIP_LINE;
				break;
			}
			if (!lf) {
				cur_copy(&d, st->line + st->linelen, n);
				st->linelen = (uint16_t)(st->linelen + n);
				break;
			}
			if (st->linelen == 0) {
				command(st, cur_sub(&d, n), key, cb, ctx);   /* in place */
			} else {
				cur_copy(&d, st->line + st->linelen, n);
				st->linelen = (uint16_t)(st->linelen + n);
				command(st, cur_make(st->line, st->linelen), key, cb, ctx);
				end_line(st);
			}
			cur_skip(&d, 1);
			break;
		}
	}
}

void smtp_init(struct smtp_state *st)
{
	memset(st, 0, sizeof(*st));
	st->phase = SMTP_PH_COMMANDS;
}

void smtp_wipe(struct smtp_state *st)
{
	sodium_memzero(st, sizeof(*st));
}

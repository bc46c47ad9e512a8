/*
 * rules.c — the selector file parser, the compiled selector set, eligibility and matching
 * (see rules.h).
 *
 * Conditions. Every condition of every selector gets a number, and the conditions of one
 * selector are numbered consecutively: selector i owns conditions [first, first + ncond).
 * The matchers are built over condition numbers, never selector numbers:
 *
 *   ip=, ip-list=          ipset   (either endpoint)        tag = condition number
 *   domain=, domain-list=  domset  (DNS qname, SNI, Host)   tag = condition number
 *   match=                 pattern (Hyperscan, per field)   id  = condition number
 *   port=, ja3=, ja4=      small sorted arrays, binary search
 *
 * Matching an observation marks the conditions that hold in a per-thread bitset and notes
 * each newly marked one in a list. A selector can only match if its first condition holds,
 * so only selectors whose first condition was marked are examined; those whose remaining
 * conditions are all marked and whose approval makes the packet eligible (rule 4) are the
 * result. The marks are cleared from the list afterwards, so the cost of a match follows
 * what the observation hit, not the size of the set.
 *
 * Approvals must be declared before the selectors that use them. The first error in file
 * order refuses the whole file.
 */
#include "select/rules.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cursor.h"
#include "select/domset.h"
#include "select/ipset.h"
#include "select/pattern.h"

static const char *const field_names[SEL_F__COUNT] = {
	[SEL_F_HTTP_USER_AGENT] = "http.user_agent",
	[SEL_F_HTTP_URI] = "http.uri",
	[SEL_F_HTTP_HOST] = "http.host",
	[SEL_F_TLS_SNI] = "tls.sni",
	[SEL_F_DNS_QNAME] = "dns.qname",
	[SEL_F_SMTP_HELO] = "smtp.helo",
};

struct selector {
	char id[SEL_ID_MAX + 1];
	uint32_t appr;
	uint32_t first, ncond;
	uint32_t line;
};

struct portcond {
	uint32_t key;      /* proto << 16 | port */
	uint32_t cond;
};

#define FP_MAX 40
struct strcond {
	char v[FP_MAX + 1];
	uint32_t cond;
};

struct idtab {
	uint32_t *slot;    /* index + 1, 0 empty */
	size_t mask, n;
};

struct sel_set {
	uint64_t gen;
	struct sel_approval *appr;
	size_t nappr, cap_appr;
	struct selector *sel;
	size_t nsel, cap_sel;
	uint32_t *cond_sel;               /* condition number -> selector index */
	size_t ncond, cap_cond;
	struct ipset *ip;
	struct domset *dom;
	struct pat_db *pat;
	struct portcond *ports;
	size_t nports, cap_ports;
	struct strcond *ja3, *ja4;
	size_t nja3, cap_ja3, nja4, cap_ja4;
	struct idtab appr_ids, sel_ids;
};

struct sel_scratch {
	uint64_t gen;                     /* of the set it was last fitted to */
	uint64_t *cond;                   /* condition bitset */
	uint32_t *touched;                /* conditions marked by this match */
	size_t ntouched, cap_cond;
	uint32_t *hits;
	size_t nhits, cap_hits;
	struct pat_scratch *pat;
};

static atomic_uint_fast64_t set_generation;

/* --- time and eligibility ------------------------------------------------------------- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

int sel_parse_time(const char *t, size_t len, uint64_t *out_us)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned Y, M, D, h, m, sec, oh = 0, om = 0;
	uint64_t frac = 0;
	size_t i = 19;
	int64_t off = 0;

	if (len < 20 || t[4] != '-' || t[7] != '-' || (t[10] != 'T' && t[10] != 't') ||
	    t[13] != ':' || t[16] != ':')
		return -1;
	if (digits(t, 4, &Y) || digits(t + 5, 2, &M) || digits(t + 8, 2, &D) ||
	    digits(t + 11, 2, &h) || digits(t + 14, 2, &m) || digits(t + 17, 2, &sec))
		return -1;
	if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 ||
	    sec > 60)
		return -1;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return -1;
	if (t[i] == '.') {
		size_t nd = 0;
		uint64_t scale = 100000;
		for (i++; i < len && t[i] >= '0' && t[i] <= '9'; i++, nd++) {
			frac += (uint64_t)(t[i] - '0') * scale;
			scale /= 10;
		}
		if (nd == 0 || nd > 9)
			return -1;
	}
	if (i < len && (t[i] == 'Z' || t[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (t[i] == '+' || t[i] == '-') && t[i + 3] == ':') {
		if (digits(t + i + 1, 2, &oh) || digits(t + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (int64_t)(oh * 60 + om) * 60;
		if (t[i] == '-')
			off = -off;
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off;
	if (secs < 0)
		return -1;
	*out_us = (uint64_t)secs * 1000000u + frac;
	return 0;
}

static bool in_facilities(const struct sel_approval *a, const struct sk_addr *x)
{
	for (size_t i = 0; i < a->nfac; i++)
		if (addr_in_prefix(x, &a->fac[i].net, a->fac[i].plen))
			return true;
	return false;
}

bool sel_eligible(const struct sel_approval *a, enum direction dir, uint64_t ts_us,
		  const struct sk_addr *src, const struct sk_addr *dst)
{
	if (!a || ts_us < a->from_us || ts_us >= a->until_us)
		return false;
	switch (a->channel) {
	case SEL_AGREEMENT:
		return dir == DIR_FD;
	case SEL_TRANSIT:
		return dir == DIR_FF;
	case SEL_SPECIFIC:
		if (dir == DIR_FD)
			return in_facilities(a, src);
		if (dir == DIR_DF)
			return in_facilities(a, dst);
		return false;
	}
	return false;
}

/* --- ID tables ------------------------------------------------------------------------ */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* Find id in t; names(ctx, index) gives each entry's ID. Returns the index or -1. */
static long idtab_find(const struct idtab *t, const char *id,
		       const char *(*name)(const void *, uint32_t), const void *ctx)
{
	if (!t->slot)
		return -1;
	for (size_t j = str_hash(id) & t->mask; t->slot[j]; j = (j + 1) & t->mask)
		if (strcmp(name(ctx, t->slot[j] - 1), id) == 0)
			return (long)t->slot[j] - 1;
	return -1;
}

static int idtab_add(struct idtab *t, const char *id, uint32_t index,
		     const char *(*name)(const void *, uint32_t), const void *ctx)
{
	if ((t->n + 1) * 2 > (t->slot ? t->mask + 1 : 0)) {
		size_t cap = t->slot ? (t->mask + 1) * 2 : 64;
		uint32_t *s = calloc(cap, sizeof(*s));
		if (!s)
			return -1;
		for (size_t i = 0; t->slot && i <= t->mask; i++) {
			if (!t->slot[i])
				continue;
			size_t j = str_hash(name(ctx, t->slot[i] - 1)) & (cap - 1);
			while (s[j])
				j = (j + 1) & (cap - 1);
			s[j] = t->slot[i];
		}
		free(t->slot);
		t->slot = s;
		t->mask = cap - 1;
	}
	size_t j = str_hash(id) & t->mask;
	while (t->slot[j])
		j = (j + 1) & t->mask;
	t->slot[j] = index + 1;
	t->n++;
	return 0;
}

static const char *appr_name(const void *ctx, uint32_t i)
{
	return ((const struct sel_set *)ctx)->appr[i].id;
}

static const char *sel_name(const void *ctx, uint32_t i)
{
	return ((const struct sel_set *)ctx)->sel[i].id;
}

/* --- line reading --------------------------------------------------------------------- */

/* Lines from a file (read in chunks) or from memory (through a cursor); a line is handed
 * out without its "\n" or "\r\n" and is valid until the next call. */
struct lines {
	FILE *f;
	struct cur c;
	char *buf;         /* file mode: chunk buffer */
	size_t n, pos;
	bool eof;
	unsigned lineno;
	size_t max;
};

#define CHUNK (1u << 16)

/* 1 a line, 0 end of input, -1 line too long, -2 read error. */
static int lines_next(struct lines *l, const char **line, size_t *len)
{
	const char *p, *nl;
	size_t n;

	if (!l->f) {
		if (cur_left(&l->c) == 0)
			return 0;
		p = (const char *)cur_ptr(&l->c);
		nl = memchr(p, '\n', cur_left(&l->c));
		n = nl ? (size_t)(nl - p) : cur_left(&l->c);
		cur_skip(&l->c, nl ? n + 1 : n);
	} else {
		for (;;) {
			nl = memchr(l->buf + l->pos, '\n', l->n - l->pos);
			if (nl || l->eof)
				break;
			if (l->n - l->pos > l->max + 1)
				break;
			memmove(l->buf, l->buf + l->pos, l->n - l->pos);
			l->n -= l->pos;
			l->pos = 0;
			size_t got = fread(l->buf + l->n, 1, CHUNK - l->n, l->f);
			if (got == 0) {
				if (ferror(l->f))
					return -2;
				l->eof = true;
			}
			l->n += got;
		}
		if (!nl && l->pos == l->n)
			return 0;
		p = l->buf + l->pos;
		n = nl ? (size_t)(nl - p) : l->n - l->pos;
		l->pos += nl ? n + 1 : n;
	}
	l->lineno++;
	if (n && p[n - 1] == '\r')
		n--;
	if (n > l->max)
		return -1;
	*line = p;
	*len = n;
	return 1;
}

/* --- the parser ----------------------------------------------------------------------- */

struct parser {
	const char *name;                 /* selector file, for messages */
	char dir[PATH_MAX];               /* its directory, for list paths (disk mode) */
	bool disk;
	const struct sel_memfile *files;
	size_t nfiles;
	char *err;
	size_t errlen;
	struct sel_set *s;
	struct ipset_builder *ipb;
	struct domset_builder *domb;
	struct pat_builder *patb;
	unsigned line;
};

static int fail(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, const char *file, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->errlen)
		return -1;
	n = snprintf(p->err, p->errlen, "%s:%u: ", file, line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t c = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*arr, c * elem);
	if (!q)
		return -1;
	*arr = q;
	*cap = c;
	return 0;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > SEL_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)id[i];
		if (!isalnum(c) && c != '-' && c != '_' && c != '.' && c != ':')
			return false;
	}
	return true;
}

/* Next whitespace-separated token of line, NUL-terminated in place. A token that begins
 * "match=" runs to the closing '/' of its regex (which may hold blanks; '\' escapes the
 * next character) and then to the next blank. Returns 1, 0 at the end, -1 unterminated. */
static int next_token(char *line, size_t *pos, char **tok)
{
	size_t i = *pos;

	while (line[i] == ' ' || line[i] == '\t')
		i++;
	if (!line[i] || line[i] == '#')
		return 0;
	*tok = line + i;
	if (strncmp(line + i, "match=", 6) == 0) {
		char *t = strchr(line + i, '~');
		char *sp = line + i + strcspn(line + i, " \t");
		if (t && t < sp && t[1] == '/') {
			for (i = (size_t)(t - line) + 2; line[i] && line[i] != '/'; i++)
				if (line[i] == '\\' && line[i + 1])
					i++;
			if (!line[i])
				return -1;
			i++;
		}
	}
	while (line[i] && line[i] != ' ' && line[i] != '\t')
		i++;
	if (line[i])
		line[i++] = '\0';
	*pos = i;
	return 1;
}

static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

enum list_kind { LIST_IP, LIST_DOMAIN };

/* Read list `rel` (named on the current line) into the ip or domain builder under cond. */
static int read_list(struct parser *p, const char *rel, enum list_kind kind, uint32_t cond)
{
	struct lines l;
	char path[PATH_MAX];
	char item[SEL_LIST_LINE_MAX + 1];
	const char *line;
	size_t len;
	int r, rc = -1;

	memset(&l, 0, sizeof(l));
	l.max = SEL_LIST_LINE_MAX;
	if (p->disk) {
		if (rel[0] == '/')
			snprintf(path, sizeof(path), "%s", rel);
		else if ((size_t)snprintf(path, sizeof(path), "%s/%s", p->dir, rel) >= sizeof(path))
			return fail(p, p->name, p->line, "list path too long");
		l.f = fopen(path, "rb");
		if (!l.f)
			return fail(p, p->name, p->line, "cannot open list %s: %s", path,
				    strerror(errno));
		l.buf = malloc(CHUNK);
		if (!l.buf) {
			fail(p, p->name, p->line, "out of memory");
			goto out;
		}
	} else {
		size_t i;
		for (i = 0; i < p->nfiles; i++)
			if (strcmp(p->files[i].name, rel) == 0)
				break;
		if (i == p->nfiles)
			return fail(p, p->name, p->line, "cannot open list %.200s: no such file", rel);
		snprintf(path, sizeof(path), "%s", rel);
		l.c = cur_make(p->files[i].data, p->files[i].len);
	}
	while ((r = lines_next(&l, &line, &len)) == 1) {
		const char *hash = memchr(line, '#', len);
		if (hash)
			len = (size_t)(hash - line);
		trim(&line, &len);
		if (len == 0)
			continue;
		if (memchr(line, '\0', len) || memchr(line, ' ', len) || memchr(line, '\t', len)) {
			fail(p, path, l.lineno, "bad line: one entry per line");
			goto out;
		}
		memcpy(item, line, len);
		item[len] = '\0';
		if (kind == LIST_IP) {
			struct sk_addr a;
			unsigned plen;
			if (addr_parse_prefix(&a, &plen, item) < 0) {
				fail(p, path, l.lineno, "bad address '%.64s'", item);
				goto out;
			}
			if (ipset_builder_add(p->ipb, &a, plen, cond) < 0) {
				fail(p, path, l.lineno, "too many addresses");
				goto out;
			}
		} else {
			const char *why = NULL;
			int d = domset_builder_add(p->domb, item, len, cond, &why);
			if (d == -1) {
				fail(p, path, l.lineno, "bad domain '%.64s': %s", item, why);
				goto out;
			}
			if (d < 0) {
				fail(p, path, l.lineno, "too many domains");
				goto out;
			}
		}
	}
	if (r == -1) {
		fail(p, path, l.lineno, "line too long");
		goto out;
	}
	if (r == -2) {
		fail(p, path, l.lineno, "read error");
		goto out;
	}
	rc = 0;
out:
	if (l.f)
		fclose(l.f);
	free(l.buf);
	return rc;
}

static int add_strcond(struct strcond **arr, size_t *n, size_t *cap, const char *v,
		       uint32_t cond)
{
	if (grow((void **)arr, cap, *n + 1, sizeof(**arr)) < 0)
		return -1;
	memset(&(*arr)[*n], 0, sizeof(**arr));
	snprintf((*arr)[*n].v, sizeof((*arr)[*n].v), "%s", v);
	(*arr)[*n].cond = cond;
	(*n)++;
	return 0;
}

static bool is_lower_alnum(const char *s, size_t n, bool hex_only)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= '0' && c <= '9')
			continue;
		if (hex_only ? (c >= 'a' && c <= 'f') : (c >= 'a' && c <= 'z'))
			continue;
		return false;
	}
	return true;
}

static void lower_str(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* One condition key=value of the current select line, numbered cond. */
static int parse_condition(struct parser *p, char *key, char *val, uint32_t cond)
{
	struct sel_set *s = p->s;

	if (strcmp(key, "ip") == 0) {
		struct sk_addr a;
		unsigned plen;
		if (addr_parse_prefix(&a, &plen, val) < 0)
			return fail(p, p->name, p->line, "bad address '%.64s'", val);
		if (ipset_builder_add(p->ipb, &a, plen, cond) < 0)
			return fail(p, p->name, p->line, "too many addresses");
		return 0;
	}
	if (strcmp(key, "ip-list") == 0)
		return read_list(p, val, LIST_IP, cond);
	if (strcmp(key, "domain") == 0) {
		const char *why = NULL;
		int d = domset_builder_add(p->domb, val, strlen(val), cond, &why);
		if (d == -1)
			return fail(p, p->name, p->line, "bad domain '%.64s': %s", val, why);
		if (d < 0)
			return fail(p, p->name, p->line, "too many domains");
		return 0;
	}
	if (strcmp(key, "domain-list") == 0)
		return read_list(p, val, LIST_DOMAIN, cond);
	if (strcmp(key, "ja3") == 0) {
		lower_str(val);
		if (strlen(val) != 32 || !is_lower_alnum(val, 32, true))
			return fail(p, p->name, p->line, "bad ja3 '%.64s': want 32 hex digits", val);
		if (add_strcond(&s->ja3, &s->nja3, &s->cap_ja3, val, cond) < 0)
			return fail(p, p->name, p->line, "out of memory");
		return 0;
	}
	if (strcmp(key, "ja4") == 0) {
		size_t n = strlen(val);
		lower_str(val);
		/* a_b_c: 10 characters, '_', 12 hex, '_', 12 hex */
		if (n != 36 || val[10] != '_' || val[23] != '_' || !is_lower_alnum(val, 10, false) ||
		    !is_lower_alnum(val + 11, 12, true) || !is_lower_alnum(val + 24, 12, true))
			return fail(p, p->name, p->line, "bad ja4 '%.64s'", val);
		if (add_strcond(&s->ja4, &s->nja4, &s->cap_ja4, val, cond) < 0)
			return fail(p, p->name, p->line, "out of memory");
		return 0;
	}
	if (strcmp(key, "port") == 0) {
		unsigned proto, port;
		char *slash = strchr(val, '/');
		size_t nd = slash ? strlen(slash + 1) : 0;
		if (slash && slash - val == 3 && strncmp(val, "tcp", 3) == 0)
			proto = 6;
		else if (slash && slash - val == 3 && strncmp(val, "udp", 3) == 0)
			proto = 17;
		else
			return fail(p, p->name, p->line, "bad port '%.64s': want tcp/N or udp/N", val);
		if (nd == 0 || nd > 5 || digits(slash + 1, nd, &port) < 0 || port == 0 ||
		    port > 65535)
			return fail(p, p->name, p->line, "bad port '%.64s': want tcp/N or udp/N", val);
		if (grow((void **)&s->ports, &s->cap_ports, s->nports + 1, sizeof(*s->ports)) < 0)
			return fail(p, p->name, p->line, "out of memory");
		s->ports[s->nports].key = proto << 16 | port;
		s->ports[s->nports].cond = cond;
		s->nports++;
		return 0;
	}
	if (strcmp(key, "match") == 0) {
		char *tilde = strchr(val, '~');
		char *last;
		unsigned f;
		bool caseless = false;
		if (!tilde || tilde[1] != '/')
			return fail(p, p->name, p->line, "bad match: want match=<field>~/<regex>/");
		*tilde = '\0';
		for (f = 0; f < SEL_F__COUNT; f++)
			if (strcmp(val, field_names[f]) == 0)
				break;
		if (f == SEL_F__COUNT)
			return fail(p, p->name, p->line, "unknown match field '%.64s'", val);
		for (last = tilde + 2; *last && *last != '/'; last++)
			if (*last == '\\' && last[1])
				last++;
		if (!*last)
			return fail(p, p->name, p->line, "bad match: unterminated regex");
		for (char *fl = last + 1; *fl; fl++) {
			if (*fl != 'i')
				return fail(p, p->name, p->line, "unknown regex flag '%c'", *fl);
			caseless = true;
		}
		*last = '\0';
		if (tilde[2] == '\0')
			return fail(p, p->name, p->line, "empty regex");
		if (pat_builder_add(p->patb, f, tilde + 2, caseless, cond, p->line) < 0)
			return fail(p, p->name, p->line, "too many patterns");
		return 0;
	}
	return fail(p, p->name, p->line, "unknown condition '%.64s'", key);
}

static int parse_approval(struct parser *p, char *line, size_t pos)
{
	struct sel_set *s = p->s;
	struct sel_approval a;
	struct sel_facility *fac = NULL;
	size_t nfac = 0, cap_fac = 0;
	bool have_from = false, have_until = false;
	char *tok;
	int r;

	memset(&a, 0, sizeof(a));
	if (next_token(line, &pos, &tok) != 1)
		return fail(p, p->name, p->line, "approval without ID");
	if (!valid_id(tok))
		return fail(p, p->name, p->line, "bad approval ID '%.64s'", tok);
	snprintf(a.id, sizeof(a.id), "%s", tok);
	if (idtab_find(&s->appr_ids, a.id, appr_name, s) >= 0)
		return fail(p, p->name, p->line, "duplicate approval ID '%s'", a.id);
	if (s->nappr >= SEL_MAX_APPROVALS)
		return fail(p, p->name, p->line, "too many approvals");
	while ((r = next_token(line, &pos, &tok)) == 1) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			fail(p, p->name, p->line, "malformed '%.64s': want key=value", tok);
			goto err;
		}
		*eq = '\0';
		char *val = eq + 1;
		if (strcmp(tok, "channel") == 0) {
			if (a.channel) {
				fail(p, p->name, p->line, "duplicate key channel=");
				goto err;
			}
			if (strcmp(val, "agreement") == 0)
				a.channel = SEL_AGREEMENT;
			else if (strcmp(val, "transit") == 0)
				a.channel = SEL_TRANSIT;
			else if (strcmp(val, "specific") == 0)
				a.channel = SEL_SPECIFIC;
			else {
				fail(p, p->name, p->line, "unknown channel '%.64s'", val);
				goto err;
			}
		} else if (strcmp(tok, "from") == 0 || strcmp(tok, "until") == 0) {
			bool from = tok[0] == 'f';
			if (from ? have_from : have_until) {
				fail(p, p->name, p->line, "duplicate key %s=", tok);
				goto err;
			}
			if (sel_parse_time(val, strlen(val), from ? &a.from_us : &a.until_us) < 0) {
				fail(p, p->name, p->line, "bad time '%.64s': want RFC 3339", val);
				goto err;
			}
			*(from ? &have_from : &have_until) = true;
		} else if (strcmp(tok, "facility") == 0) {
			char *save = NULL;
			if (!*val) {
				fail(p, p->name, p->line, "empty facility=");
				goto err;
			}
			for (char *f = strtok_r(val, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
				if (nfac >= SEL_MAX_FACILITIES) {
					fail(p, p->name, p->line, "too many facilities");
					goto err;
				}
				if (grow((void **)&fac, &cap_fac, nfac + 1, sizeof(*fac)) < 0) {
					fail(p, p->name, p->line, "out of memory");
					goto err;
				}
				if (addr_parse_prefix(&fac[nfac].net, &fac[nfac].plen, f) < 0) {
					fail(p, p->name, p->line, "bad facility address '%.64s'", f);
					goto err;
				}
				nfac++;
			}
		} else {
			fail(p, p->name, p->line, "unknown approval key '%.64s'", tok);
			goto err;
		}
	}
	if (r < 0) {
		fail(p, p->name, p->line, "malformed line");
		goto err;
	}
	if (!a.channel || !have_from || !have_until) {
		fail(p, p->name, p->line, "approval %s lacks %s", a.id,
		     !a.channel ? "channel=" : !have_from ? "from=" : "until=");
		goto err;
	}
	if (a.from_us >= a.until_us) {
		fail(p, p->name, p->line, "approval %s: from is not before until", a.id);
		goto err;
	}
	if (a.channel == SEL_SPECIFIC && nfac == 0) {
		fail(p, p->name, p->line, "approval %s: channel=specific needs facility=", a.id);
		goto err;
	}
	if (a.channel != SEL_SPECIFIC && nfac) {
		fail(p, p->name, p->line, "approval %s: facility= applies to channel=specific only",
		     a.id);
		goto err;
	}
	if (grow((void **)&s->appr, &s->cap_appr, s->nappr + 1, sizeof(*s->appr)) < 0) {
		fail(p, p->name, p->line, "out of memory");
		goto err;
	}
	a.fac = fac;
	a.nfac = nfac;
	s->appr[s->nappr] = a;
	if (idtab_add(&s->appr_ids, a.id, (uint32_t)s->nappr, appr_name, s) < 0) {
		fail(p, p->name, p->line, "out of memory");
		goto err;
	}
	s->nappr++;
	return 0;
err:
	free(fac);
	return -1;
}

static int parse_select(struct parser *p, char *line, size_t pos)
{
	struct sel_set *s = p->s;
	struct selector sel;
	char *tok;
	bool have_appr = false;
	int r;

	memset(&sel, 0, sizeof(sel));
	if (next_token(line, &pos, &tok) != 1)
		return fail(p, p->name, p->line, "select without ID");
	if (!valid_id(tok))
		return fail(p, p->name, p->line, "bad selector ID '%.64s'", tok);
	snprintf(sel.id, sizeof(sel.id), "%s", tok);
	if (idtab_find(&s->sel_ids, sel.id, sel_name, s) >= 0)
		return fail(p, p->name, p->line, "duplicate selector ID '%s'", sel.id);
	if (s->nsel >= SEL_MAX_SELECTORS)
		return fail(p, p->name, p->line, "too many selectors");
	sel.first = (uint32_t)s->ncond;
	sel.line = p->line;
	while ((r = next_token(line, &pos, &tok)) == 1) {
		char *eq = strchr(tok, '=');
		if (!eq)
			return fail(p, p->name, p->line, "malformed '%.64s': want key=value", tok);
		*eq = '\0';
		if (strcmp(tok, "approval") == 0) {
			long ai;
			if (have_appr)
				return fail(p, p->name, p->line, "duplicate key approval=");
			ai = idtab_find(&s->appr_ids, eq + 1, appr_name, s);
			if (ai < 0)
				return fail(p, p->name, p->line, "unknown approval '%.64s'", eq + 1);
			sel.appr = (uint32_t)ai;
			have_appr = true;
			continue;
		}
		if (sel.ncond >= SEL_MAX_CONDS)
			return fail(p, p->name, p->line, "more than %d conditions", SEL_MAX_CONDS);
		if (grow((void **)&s->cond_sel, &s->cap_cond, s->ncond + 1, sizeof(*s->cond_sel)) < 0)
			return fail(p, p->name, p->line, "out of memory");
		if (parse_condition(p, tok, eq + 1, (uint32_t)s->ncond) < 0)
			return -1;
		s->cond_sel[s->ncond++] = (uint32_t)s->nsel;
		sel.ncond++;
	}
	if (r < 0)
		return fail(p, p->name, p->line, "unterminated regex");
	if (!have_appr)
		return fail(p, p->name, p->line, "selector %s has no approval=", sel.id);
	if (sel.ncond == 0)
		return fail(p, p->name, p->line, "selector %s has no condition", sel.id);
	if (grow((void **)&s->sel, &s->cap_sel, s->nsel + 1, sizeof(*s->sel)) < 0)
		return fail(p, p->name, p->line, "out of memory");
	s->sel[s->nsel] = sel;
	if (idtab_add(&s->sel_ids, sel.id, (uint32_t)s->nsel, sel_name, s) < 0)
		return fail(p, p->name, p->line, "out of memory");
	s->nsel++;
	return 0;
}

static int parse_line(struct parser *p, const char *text, size_t len)
{
	char buf[SEL_LINE_MAX + 1];
	size_t pos = 0;
	char *tok;
	int r;

	if (memchr(text, '\0', len))
		return fail(p, p->name, p->line, "NUL byte in line");
	memcpy(buf, text, len);
	buf[len] = '\0';
	r = next_token(buf, &pos, &tok);
	if (r == 0)
		return 0;
	if (r < 0)
		return fail(p, p->name, p->line, "malformed line");
	if (strcmp(tok, "approval") == 0)
		return parse_approval(p, buf, pos);
	if (strcmp(tok, "select") == 0)
		return parse_select(p, buf, pos);
	return fail(p, p->name, p->line, "malformed line: want 'approval' or 'select', not '%.32s'",
		    tok);
}

static int cmp_port(const void *x, const void *y)
{
	const struct portcond *a = x, *b = y;

	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return (a->cond > b->cond) - (a->cond < b->cond);
}

static int cmp_str(const void *x, const void *y)
{
	const struct strcond *a = x, *b = y;
	int c = strcmp(a->v, b->v);

	return c ? c : (a->cond > b->cond) - (a->cond < b->cond);
}

/* Turn the builders into matchers. */
static int finish(struct parser *p)
{
	struct sel_set *s = p->s;
	char herr[256];
	uint32_t where;

	s->ip = ipset_build(p->ipb);
	p->ipb = NULL;
	s->dom = domset_build(p->domb);
	p->domb = NULL;
	if (!s->ip || !s->dom)
		return fail(p, p->name, p->line, "out of memory building the matchers");
	s->pat = pat_build(p->patb, herr, sizeof(herr), &where);
	p->patb = NULL;
	if (!s->pat)
		return fail(p, p->name, where == UINT32_MAX ? p->line : where, "bad regex: %s",
			    herr);
	if (s->nports)
		qsort(s->ports, s->nports, sizeof(*s->ports), cmp_port);
	if (s->nja3)
		qsort(s->ja3, s->nja3, sizeof(*s->ja3), cmp_str);
	if (s->nja4)
		qsort(s->ja4, s->nja4, sizeof(*s->ja4), cmp_str);
	s->gen = atomic_fetch_add(&set_generation, 1) + 1;
	return 0;
}

static struct sel_set *parse(struct parser *p, struct lines *l)
{
	const char *line;
	size_t len;
	int r;

	p->s = calloc(1, sizeof(*p->s));
	p->ipb = ipset_builder_new();
	p->domb = domset_builder_new();
	p->patb = pat_builder_new();
	if (!p->s || !p->ipb || !p->domb || !p->patb) {
		fail(p, p->name, 0, "out of memory");
		goto err;
	}
	while ((r = lines_next(l, &line, &len)) == 1) {
		p->line = l->lineno;
		if (parse_line(p, line, len) < 0)
			goto err;
	}
	if (r == -1) {
		fail(p, p->name, l->lineno, "line too long (more than %d bytes)", SEL_LINE_MAX);
		goto err;
	}
	if (r == -2) {
		fail(p, p->name, l->lineno, "read error");
		goto err;
	}
	if (finish(p) < 0)
		goto err;
	return p->s;
err:
	ipset_builder_free(p->ipb);
	domset_builder_free(p->domb);
	pat_builder_free(p->patb);
	sel_set_free(p->s);
	return NULL;
}

struct sel_set *sel_parse(const char *name, const char *text, size_t len,
			  const struct sel_memfile *files, size_t nfiles, char *err, size_t errlen)
{
	struct parser p;
	struct lines l;

	memset(&p, 0, sizeof(p));
	memset(&l, 0, sizeof(l));
	p.name = name;
	p.files = files;
	p.nfiles = nfiles;
	p.err = err;
	p.errlen = errlen;
	if (len > SEL_FILE_MAX) {
		fail(&p, name, 0, "file larger than %u bytes", SEL_FILE_MAX);
		return NULL;
	}
	l.c = cur_make(text, len);
	l.max = SEL_LINE_MAX;
	return parse(&p, &l);
}

struct sel_set *sel_load(const char *path, char *err, size_t errlen)
{
	struct parser p;
	struct lines l;
	struct sel_set *s = NULL;
	const char *slash;

	memset(&p, 0, sizeof(p));
	memset(&l, 0, sizeof(l));
	p.name = path;
	p.err = err;
	p.errlen = errlen;
	p.disk = true;
	slash = strrchr(path, '/');
	if (!slash)
		snprintf(p.dir, sizeof(p.dir), ".");
	else if (slash == path)
		snprintf(p.dir, sizeof(p.dir), "/");
	else if ((size_t)(slash - path) >= sizeof(p.dir)) {
		fail(&p, path, 0, "path too long");
		return NULL;
	} else
		snprintf(p.dir, sizeof(p.dir), "%.*s", (int)(slash - path), path);
	l.f = fopen(path, "rb");
	if (!l.f) {
		fail(&p, path, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	l.buf = malloc(CHUNK);
	l.max = SEL_LINE_MAX;
	if (!l.buf)
		fail(&p, path, 0, "out of memory");
	else if (fseek(l.f, 0, SEEK_END) == 0 && ftell(l.f) > (long)SEL_FILE_MAX)
		fail(&p, path, 0, "file larger than %u bytes", SEL_FILE_MAX);
	else if (fseek(l.f, 0, SEEK_SET) < 0)
		fail(&p, path, 0, "cannot read: %s", strerror(errno));
	else
		s = parse(&p, &l);
	fclose(l.f);
	free(l.buf);
	return s;
}

void sel_set_free(struct sel_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nappr; i++)
		free((void *)s->appr[i].fac);
	free(s->appr);
	free(s->sel);
	free(s->cond_sel);
	ipset_free(s->ip);
	domset_free(s->dom);
	pat_free(s->pat);
	free(s->ports);
	free(s->ja3);
	free(s->ja4);
	free(s->appr_ids.slot);
	free(s->sel_ids.slot);
	free(s);
}

/* --- accessors ------------------------------------------------------------------------ */

size_t sel_count(const struct sel_set *s)
{
	return s->nsel;
}

const char *sel_id(const struct sel_set *s, size_t i)
{
	return i < s->nsel ? s->sel[i].id : NULL;
}

const struct sel_approval *sel_approval_of(const struct sel_set *s, size_t i)
{
	return i < s->nsel ? &s->appr[s->sel[i].appr] : NULL;
}

size_t sel_approval_count(const struct sel_set *s)
{
	return s->nappr;
}

const struct sel_approval *sel_approval_at(const struct sel_set *s, size_t i)
{
	return i < s->nappr ? &s->appr[i] : NULL;
}

bool sel_active(const struct sel_set *s, size_t i, uint64_t ts_us)
{
	const struct sel_approval *a = sel_approval_of(s, i);

	return a && a->from_us <= ts_us && ts_us < a->until_us;
}

long sel_find(const struct sel_set *s, const char *id)
{
	return idtab_find(&s->sel_ids, id, sel_name, s);
}

void sel_stats(const struct sel_set *s, struct sel_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->selectors = s->nsel;
	o->approvals = s->nappr;
	o->conditions = s->ncond;
	o->ip_entries = ipset_count(s->ip);
	o->domains = domset_count(s->dom);
	o->patterns = pat_count(s->pat);
	o->bytes = ipset_bytes(s->ip) + domset_bytes(s->dom) + pat_bytes(s->pat) +
		   s->nports * sizeof(*s->ports) + (s->nja3 + s->nja4) * sizeof(struct strcond) +
		   s->ncond * sizeof(*s->cond_sel) + s->nsel * sizeof(*s->sel);
}

bool sel_uses_fingerprints(const struct sel_set *s)
{
	return s->nja3 || s->nja4;
}

size_t sel_words(const struct sel_set *s)
{
	return (s->nsel + 63) / 64;
}

/* --- matching ------------------------------------------------------------------------- */

struct sel_scratch *sel_scratch_new(void)
{
	return calloc(1, sizeof(struct sel_scratch));
}

int sel_scratch_fit(struct sel_scratch *sc, const struct sel_set *s)
{
	size_t words = (s->ncond + 63) / 64;

	if (s->ncond > sc->cap_cond) {
		uint64_t *c = calloc(words, sizeof(*c));
		uint32_t *t = calloc(s->ncond, sizeof(*t));
		if (!c || !t) {
			free(c);
			free(t);
			return -1;
		}
		free(sc->cond);
		free(sc->touched);
		sc->cond = c;
		sc->touched = t;
		sc->cap_cond = s->ncond;
	}
	if (s->nsel > sc->cap_hits) {
		uint32_t *h = calloc(s->nsel, sizeof(*h));
		if (!h)
			return -1;
		free(sc->hits);
		sc->hits = h;
		sc->cap_hits = s->nsel;
	}
	if (pat_scratch_fit(&sc->pat, s->pat) < 0)
		return -1;
	sc->ntouched = 0;
	sc->nhits = 0;
	sc->gen = s->gen;
	return 0;
}

void sel_scratch_free(struct sel_scratch *sc)
{
	if (!sc)
		return;
	free(sc->cond);
	free(sc->touched);
	free(sc->hits);
	pat_scratch_free(sc->pat);
	free(sc);
}

const uint32_t *sel_scratch_hits(const struct sel_scratch *sc, size_t *n)
{
	*n = sc->nhits;
	return sc->hits;
}

static inline void mark(struct sel_scratch *sc, uint32_t c)
{
	uint64_t bit = 1ull << (c & 63);

	if (!(sc->cond[c >> 6] & bit)) {
		sc->cond[c >> 6] |= bit;
		sc->touched[sc->ntouched++] = c;
	}
}

static inline bool marked(const struct sel_scratch *sc, uint32_t c)
{
	return sc->cond[c >> 6] >> (c & 63) & 1;
}

static void mark_tags(void *ctx, const uint32_t *tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		mark(ctx, tags[i]);
}

static void mark_one(void *ctx, uint32_t tag)
{
	mark(ctx, tag);
}

static void match_port(const struct sel_set *s, struct sel_scratch *sc, uint32_t key)
{
	size_t lo = 0, hi = s->nports;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->ports[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->nports && s->ports[lo].key == key; lo++)
		mark(sc, s->ports[lo].cond);
}

static void match_str(const struct strcond *arr, size_t n, struct sel_scratch *sc,
		      const char *v)
{
	char low[FP_MAX + 1];
	size_t len = strnlen(v, FP_MAX + 1), lo = 0, hi = n;

	if (n == 0 || len > FP_MAX)
		return;
	for (size_t i = 0; i <= len; i++)
		low[i] = (char)tolower((unsigned char)v[i]);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(arr[mid].v, low) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && strcmp(arr[lo].v, low) == 0; lo++)
		mark(sc, arr[lo].cond);
}

/* The host part of an HTTP Host value: "name:port" loses the port; "[v6]:port" and bare
 * addresses are not names (length 0). */
static size_t host_name_len(const char *h)
{
	const char *colon = strchr(h, ':');
	size_t n = strlen(h);

	if (h[0] == '[')
		return 0;
	if (!colon)
		return n;
	if (strchr(colon + 1, ':'))
		return 0;
	return (size_t)(colon - h);
}

static void match_name(const struct sel_set *s, struct sel_scratch *sc, const char *name,
		       size_t len)
{
	if (name && len)
		domset_lookup(s->dom, name, len, mark_tags, sc);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

int sel_match(const struct sel_set *s, struct sel_scratch *sc, const struct sel_obs *o,
	      uint64_t *bits)
{
	size_t n;
	const uint32_t *t;

	if (!sc || sc->gen != s->gen)
		return -1;
	sc->ntouched = 0;
	sc->nhits = 0;

	/* conditions that hold */
	if (ipset_count(s->ip)) {
		t = ipset_tags(s->ip, ipset_lookup(s->ip, &o->src), &n);
		mark_tags(sc, t, n);
		t = ipset_tags(s->ip, ipset_lookup(s->ip, &o->dst), &n);
		mark_tags(sc, t, n);
	}
	if (s->nports && (o->proto == 6 || o->proto == 17)) {
		match_port(s, sc, (uint32_t)o->proto << 16 | o->sport);
		match_port(s, sc, (uint32_t)o->proto << 16 | o->dport);
	}
	if (domset_count(s->dom)) {
		const char *h = o->field[SEL_F_HTTP_HOST];
		if (o->field[SEL_F_DNS_QNAME])
			match_name(s, sc, o->field[SEL_F_DNS_QNAME],
				   strlen(o->field[SEL_F_DNS_QNAME]));
		if (o->field[SEL_F_TLS_SNI])
			match_name(s, sc, o->field[SEL_F_TLS_SNI],
				   strlen(o->field[SEL_F_TLS_SNI]));
		if (h)
			match_name(s, sc, h, host_name_len(h));
		for (size_t i = 0; i < o->nnames && i < SEL_OBS_NAMES; i++)
			if (o->names[i])
				match_name(s, sc, o->names[i],
					   strlen(o->names[i]));
	}
	if (o->ja3)
		match_str(s->ja3, s->nja3, sc, o->ja3);
	if (o->ja4)
		match_str(s->ja4, s->nja4, sc, o->ja4);
	for (unsigned f = 0; f < SEL_F__COUNT; f++)
		if (o->field[f] && pat_has_field(s->pat, f))
			pat_scan(s->pat, f, o->field[f], strlen(o->field[f]), sc->pat, mark_one, sc);

	/* selectors whose first condition holds: do the others, and is the packet eligible? */
	for (size_t i = 0; i < sc->ntouched; i++) {
		uint32_t c = sc->touched[i];
		const struct selector *sel = &s->sel[s->cond_sel[c]];
		bool all = true;
		if (c != sel->first)
			continue;
		for (uint32_t k = 1; k < sel->ncond && all; k++)
			all = marked(sc, sel->first + k);
		if (all && sel_eligible(&s->appr[sel->appr], o->dir, o->ts_us, &o->src, &o->dst))
			sc->hits[sc->nhits++] = s->cond_sel[c];
	}
	for (size_t i = 0; i < sc->ntouched; i++)
		sc->cond[sc->touched[i] >> 6] = 0;
	sc->ntouched = 0;

	/* ascending order: insertion sort for the usual few hits */
	if (sc->nhits > 32)
		qsort(sc->hits, sc->nhits, sizeof(*sc->hits), cmp_u32);
	for (size_t i = 1; i < sc->nhits; i++) {
		uint32_t v = sc->hits[i];
		size_t j = i;
		for (; j > 0 && sc->hits[j - 1] > v; j--)
			sc->hits[j] = sc->hits[j - 1];
		sc->hits[j] = v;
	}
	if (bits) {
		memset(bits, 0, sel_words(s) * sizeof(*bits));
		for (size_t i = 0; i < sc->nhits; i++)
			bits[sc->hits[i] >> 6] |= 1ull << (sc->hits[i] & 63);
	}
	return (int)sc->nhits;
}

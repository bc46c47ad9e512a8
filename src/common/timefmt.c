/*
 * timefmt.c — RFC 3339 in UTC with integer calendar arithmetic.
 *
 *   date-time  = full-date ("T" / "t" / " ") full-time
 *   full-date  = YYYY "-" MM "-" DD
 *   full-time  = HH ":" MM ":" SS [ "." 1*DIGIT ] ( "Z" / "z" / ("+" / "-") HH ":" MM )
 *
 * The string is read through a cursor; every field has a fixed width, so a short or long
 * field fails the parse rather than shifting the next one. A leap second (":60") is accepted
 * as RFC 3339 allows and lands on the following second, as POSIX time has no other place
 * for it. Calendar conversion uses Howard Hinnant's days_from_civil / civil_from_days, exact
 * over the proleptic Gregorian calendar.
 */
#include <stdio.h>
#include <string.h>

#include "common/cursor.h"
#include "common/timefmt.h"

int64_t tf_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);                       /* [0, 399] */
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* [0, 146096] */
	return era * 146097 + (int64_t)doe - 719468;
}

void tf_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Exactly n decimal digits; -1 if any is not a digit or the cursor runs out. */
static int digits(struct cur *c, unsigned n)
{
	int v = 0;

	for (unsigned i = 0; i < n; i++) {
		uint8_t ch = cur_u8(c);
		if (!cur_ok(c) || ch < '0' || ch > '9')
			return -1;
		v = v * 10 + (ch - '0');
	}
	return v;
}

static int expect(struct cur *c, char want)
{
	return cur_u8(c) == (uint8_t)want && cur_ok(c) ? 0 : -1;
}

int tf_parse_rfc3339(const char *s, int64_t *sec, int32_t *frac_ns)
{
	if (!s)
		return -1;
	struct cur c = cur_make(s, strnlen(s, 64));
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	int32_t ns = 0;

	if ((y = digits(&c, 4)) < 1 || expect(&c, '-') || (mo = digits(&c, 2)) < 1 || mo > 12 ||
	    expect(&c, '-') || (d = digits(&c, 2)) < 1 || (unsigned)d > days_in_month(y, (unsigned)mo))
		return -1;
	uint8_t t = cur_u8(&c);
	if (t != 'T' && t != 't' && t != ' ')
		return -1;
	if ((h = digits(&c, 2)) < 0 || h > 23 || expect(&c, ':') || (mi = digits(&c, 2)) < 0 || mi > 59 ||
	    expect(&c, ':') || (se = digits(&c, 2)) < 0 || se > 60)
		return -1;
	if (cur_peek(&c, 0) == '.') {
		unsigned n = 0;
		int32_t scale = 100000000;
		cur_skip(&c, 1);
		while (cur_peek(&c, 0) >= '0' && cur_peek(&c, 0) <= '9') {
			uint8_t ch = cur_u8(&c);
			if (scale > 0) {
				ns += (ch - '0') * scale;
				scale /= 10;
			}
			if (++n > 18)
				return -1;
		}
		if (n == 0)
			return -1;
	}
	uint8_t z = cur_u8(&c);
	if (z == 'Z' || z == 'z') {
		sign = 0;
	} else if (z == '+' || z == '-') {
		sign = z == '+' ? 1 : -1;
		if ((oh = digits(&c, 2)) < 0 || oh > 23 || expect(&c, ':') || (om = digits(&c, 2)) < 0 || om > 59)
			return -1;
	} else {
		return -1;
	}
	if (!cur_ok(&c) || cur_left(&c) != 0)
		return -1;

	int64_t days = tf_days_from_civil(y, (unsigned)mo, (unsigned)d);
	int64_t v = days * 86400 + h * 3600 + mi * 60 + se;
	v -= sign * (oh * 3600 + om * 60);
	*sec = v;
	if (frac_ns)
		*frac_ns = ns;
	return 0;
}

int tf_format_rfc3339(int64_t sec, char out[TF_RFC3339_LEN])
{
	int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
	int64_t rem = sec - days * 86400;
	int64_t y;
	unsigned m, d;

	tf_civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999) {
		out[0] = '\0';
		return -1;
	}
	snprintf(out, TF_RFC3339_LEN, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(rem / 3600),
		 (int)(rem / 60 % 60), (int)(rem % 60));
	return 0;
}

void tf_format_duration(int64_t s, char *out, size_t outlen)
{
	static const struct {
		int64_t n;
		char u;
	} units[] = { { 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t o = 0;
	uint64_t v;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (s < 0) {
		o += (size_t)snprintf(out, outlen, "-");
		v = (uint64_t)0 - (uint64_t)s;
	} else {
		v = (uint64_t)s;
	}
	if (v == 0) {
		snprintf(out + o, outlen - o, "0s");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && o < outlen; i++) {
		uint64_t q = v / (uint64_t)units[i].n;
		if (!q)
			continue;
		v -= q * (uint64_t)units[i].n;
		int w = snprintf(out + o, outlen - o, "%s%llu%c", o && out[o - 1] != '-' ? " " : "",
				 (unsigned long long)q, units[i].u);
		if (w < 0)
			break;
		o += (size_t)w;
	}
}

/*
 * timefmt.h — RFC 3339 timestamps in UTC, without the C library's time zone state.
 *
 * The hub keeps Unix seconds in its store and writes "2026-11-23T10:00:00Z" in JSON. Parsing
 * accepts what RFC 3339 section 5.6 allows (a 'T' or 't' or ' ' between date and time,
 * fractional seconds, 'Z' or a numeric offset), checks the calendar (no 2026-02-30), and
 * converts with integer arithmetic, so the result never depends on TZ or the locale.
 */
#ifndef SK_TIMEFMT_H
#define SK_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#define TF_RFC3339_LEN 32 /* room for "YYYY-MM-DDTHH:MM:SSZ" and a NUL, with margin */

/* Parse an RFC 3339 date-time into Unix seconds (fraction truncated toward the past, offset
 * applied). Years 0001..9999. Returns 0, or -1 on anything else. *frac_ns may be NULL. */
int tf_parse_rfc3339(const char *s, int64_t *sec, int32_t *frac_ns);

/* Format Unix seconds as "YYYY-MM-DDTHH:MM:SSZ". Returns 0, or -1 outside years 0001..9999. */
int tf_format_rfc3339(int64_t sec, char out[TF_RFC3339_LEN]);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard Hinnant's algorithms). */
int64_t tf_days_from_civil(int64_t y, unsigned m, unsigned d);
void tf_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* A duration as "2d 3h 4m 5s" (largest units only as needed; "0s" for 0; negative gets "-"). */
void tf_format_duration(int64_t s, char *out, size_t outlen);

#endif

/* test_timefmt.c — RFC 3339 parsing and formatting in UTC, calendar arithmetic, durations. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timefmt.h"

static int64_t parse(const char *s)
{
	int64_t t = -12345;

	assert_int_equal(tf_parse_rfc3339(s, &t, NULL), 0);
	return t;
}

static void parses_what_rfc3339_allows(void **state)
{
	int32_t ns = -1;
	int64_t t;

	assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(parse("2026-10-01T00:00:00Z"), 1790812800);
	assert_int_equal(parse("2026-10-01t00:00:00z"), 1790812800);
	assert_int_equal(parse("2026-10-01 00:00:00Z"), 1790812800);
	assert_int_equal(parse("2026-10-01T09:00:00+09:00"), 1790812800); /* JST */
	assert_int_equal(parse("2026-09-30T19:30:00-04:30"), 1790812800);
	assert_int_equal(parse("2024-02-29T12:00:00Z"), 1709208000);       /* leap day */
	assert_int_equal(parse("2000-02-29T00:00:00Z"), 951782400);        /* 400-year rule */
	assert_int_equal(parse("1969-12-31T23:59:59Z"), -1);
	assert_int_equal(parse("2016-12-31T23:59:60Z"), parse("2017-01-01T00:00:00Z")); /* leap second */

	/* the sensor's records carry microseconds */
	assert_int_equal(tf_parse_rfc3339("2026-10-01T00:00:07.202312Z", &t, &ns), 0);
	assert_int_equal(t, 1790812807);
	assert_int_equal(ns, 202312000);
	assert_int_equal(tf_parse_rfc3339("2026-10-01T00:00:07.5Z", &t, &ns), 0);
	assert_int_equal(ns, 500000000);
}

static void refuses_the_rest(void **state)
{
	static const char *const bad[] = {
		"",
		"2026-10-01",
		"2026-10-01T00:00:00",        /* no offset */
		"2026-10-01T00:00Z",          /* no seconds */
		"2026-10-01T00:00:00.Z",      /* empty fraction */
		"2026-10-01T24:00:00Z",
		"2026-10-01T23:60:00Z",
		"2026-13-01T00:00:00Z",
		"2026-00-10T00:00:00Z",
		"2025-02-29T00:00:00Z",       /* not a leap year */
		"1900-02-29T00:00:00Z",       /* century rule */
		"2026-04-31T00:00:00Z",
		"0000-01-01T00:00:00Z",
		"26-10-01T00:00:00Z",
		"2026-1-01T00:00:00Z",
		"2026-10-01T00:00:00+0900",   /* offset needs a colon */
		"2026-10-01T00:00:00+24:00",
		"2026-10-01T00:00:00Z ",      /* trailing text */
		"2026-10-01T00:00:00ZZ",
		"2026-10-01X00:00:00Z",
		" 2026-10-01T00:00:00Z",
		"2026-10-01T00:00:00.1234567890123456789Z", /* absurd fraction */
		"yesterday",
	};
	int64_t t;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (tf_parse_rfc3339(bad[i], &t, NULL) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(tf_parse_rfc3339(NULL, &t, NULL), -1);
}

static void formats_and_round_trips(void **state)
{
	char b[TF_RFC3339_LEN];

	assert_int_equal(tf_format_rfc3339(0, b), 0);
	assert_string_equal(b, "1970-01-01T00:00:00Z");
	assert_int_equal(tf_format_rfc3339(1790812800, b), 0);
	assert_string_equal(b, "2026-10-01T00:00:00Z");
	assert_int_equal(tf_format_rfc3339(-1, b), 0);
	assert_string_equal(b, "1969-12-31T23:59:59Z");
	assert_int_equal(tf_format_rfc3339(253402300799LL, b), 0);
	assert_string_equal(b, "9999-12-31T23:59:59Z");
	assert_int_equal(tf_format_rfc3339(253402300800LL, b), -1);

	/* against the C library's gmtime for a spread of times, both directions */
	for (int64_t t = -2208988800LL; t < 4102444800LL; t += 7776013) {
		time_t tt = (time_t)t;
		struct tm tm;
		char want[TF_RFC3339_LEN];

		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		assert_int_equal(tf_format_rfc3339(t, b), 0);
		assert_string_equal(b, want);
		assert_int_equal(parse(b), t);
	}
}

static void durations(void **state)
{
	char b[64];

	tf_format_duration(0, b, sizeof(b));
	assert_string_equal(b, "0s");
	tf_format_duration(59, b, sizeof(b));
	assert_string_equal(b, "59s");
	tf_format_duration(3600, b, sizeof(b));
	assert_string_equal(b, "1h");
	tf_format_duration(90061, b, sizeof(b));
	assert_string_equal(b, "1d 1h 1m 1s");
	tf_format_duration(-3660, b, sizeof(b));
	assert_string_equal(b, "-1h 1m");
	tf_format_duration(INT64_MIN, b, sizeof(b));
	assert_true(b[0] == '-' && strlen(b) > 2);
	tf_format_duration(90061, b, 4); /* truncated, still terminated */
	assert_true(strlen(b) < 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_what_rfc3339_allows),
		cmocka_unit_test(refuses_the_rest),
		cmocka_unit_test(formats_and_round_trips),
		cmocka_unit_test(durations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

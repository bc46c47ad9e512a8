/* test_common.c — the bounds-checked cursor, addresses and keyed pseudonyms. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "common/addr.h"
#include "common/harden.h"
#include "common/cursor.h"
#include "common/pseudo.h"

static void cursor_reads_and_stops_at_end(void **state)
{
	const uint8_t buf[] = { 0x12, 0x34, 0x56, 0x78, 0x9a };
	struct cur c = cur_make(buf, sizeof(buf));

	assert_int_equal(cur_be16(&c), 0x1234);
	assert_int_equal(cur_be24(&c), 0x56789a);
	assert_true(cur_ok(&c));
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_u8(&c), 0);       /* past the end: zero, and sticky bad */
	assert_false(cur_ok(&c));
	assert_int_equal(cur_be32(&c), 0);
	assert_int_equal(c.off, 5);
}

static void cursor_sub_and_copy(void **state)
{
	const uint8_t buf[] = { 3, 'a', 'b', 'c', 9 };
	struct cur c = cur_make(buf, sizeof(buf));
	uint8_t n = cur_u8(&c);
	struct cur s = cur_sub(&c, n);
	char out[4] = { 0 };

	cur_copy(&s, out, 3);
	assert_string_equal(out, "abc");
	assert_true(cur_ok(&s));
	assert_int_equal(cur_u8(&c), 9);

	struct cur c2 = cur_make(buf, 2);
	struct cur s2 = cur_sub(&c2, 5);      /* longer than what is left */
	assert_false(cur_ok(&c2));
	assert_false(cur_ok(&s2));
	assert_int_equal(cur_left(&s2), 0);
	cur_copy(&c2, out, 3);
	assert_int_equal(out[0], 0);
}

static void addr_parse_format_prefix(void **state)
{
	struct sk_addr a, n;
	char s[SK_ADDR_STRLEN];
	unsigned plen;

	assert_int_equal(addr_parse(&a, "133.1.2.3"), 0);
	assert_true(addr_is_v4(&a));
	assert_int_equal(addr_v4(&a), 0x85010203u);
	assert_string_equal(addr_format(&a, s), "133.1.2.3");
	assert_int_equal(addr_parse(&a, "2001:db8::1"), 0);
	assert_false(addr_is_v4(&a));
	assert_string_equal(addr_format(&a, s), "2001:db8::1");
	assert_int_equal(addr_parse(&a, "300.1.1.1"), -1);
	assert_int_equal(addr_parse(&a, "example.jp"), -1);

	assert_int_equal(addr_parse_prefix(&n, &plen, "10.1.2.3/8"), 0);
	assert_int_equal(plen, 96 + 8);
	assert_string_equal(addr_format(&n, s), "10.0.0.0");
	addr_parse(&a, "10.200.0.1");
	assert_true(addr_in_prefix(&a, &n, plen));
	addr_parse(&a, "11.0.0.1");
	assert_false(addr_in_prefix(&a, &n, plen));
	assert_int_equal(addr_parse_prefix(&n, &plen, "2001:db8::/33"), 0);
	assert_int_equal(plen, 33);
	addr_parse(&a, "2001:db8:7fff::1");
	assert_true(addr_in_prefix(&a, &n, plen));
	addr_parse(&a, "2001:db8:8000::1");
	assert_false(addr_in_prefix(&a, &n, plen));
	assert_int_equal(addr_parse_prefix(&n, &plen, "10.0.0.0/33"), -1);
	assert_int_equal(addr_parse_prefix(&n, &plen, "10.0.0.0/"), -1);
	assert_int_equal(addr_parse_prefix(&n, &plen, "10.0.0.0/-1"), -1);
}

static void pseudonym_stable_per_key_differs_across_keys(void **state)
{
	uint8_t k1[PSEUDO_KEYLEN] = { 1 }, k2[PSEUDO_KEYLEN] = { 2 };
	struct pseudo p1, p2;
	char a[PSEUDO_HEXLEN + 1], b[PSEUDO_HEXLEN + 1], c[PSEUDO_HEXLEN + 1];

	pseudo_init(&p1, k1);
	pseudo_init(&p2, k2);
	pseudo_hash(&p1, "taro.yamada", 11, a);
	pseudo_hash(&p1, "taro.yamada", 11, b);
	pseudo_hash(&p2, "taro.yamada", 11, c);
	assert_int_equal(strlen(a), PSEUDO_HEXLEN);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_null(strstr(a, "taro"));
}

static void pseudonym_key_file_created_then_reused(void **state)
{
	char dir[] = "/tmp/sk-test-XXXXXX", path[64], err[256];
	struct pseudo p1, p2;
	struct stat st;
	char a[PSEUDO_HEXLEN + 1], b[PSEUDO_HEXLEN + 1];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/key", dir);
	assert_int_equal(pseudo_load_or_create(&p1, path, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(pseudo_load_or_create(&p2, path, err, sizeof(err)), 0);
	pseudo_hash(&p1, "x", 1, a);
	pseudo_hash(&p2, "x", 1, b);
	assert_string_equal(a, b);

	FILE *f = fopen(path, "w");     /* a short key file is refused with a reason */
	fputs("short", f);
	fclose(f);
	assert_int_equal(pseudo_load_or_create(&p2, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "32 bytes"));
	unlink(path);
	rmdir(dir);
}

static void no_core_dumps_after_harden(void **state)
{
	struct rlimit rl;

	assert_int_equal(harden_no_core_dumps(), 0);
	assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
	assert_int_equal(rl.rlim_cur, 0);
	assert_int_equal(rl.rlim_max, 0);
	assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cursor_reads_and_stops_at_end),
		cmocka_unit_test(cursor_sub_and_copy),
		cmocka_unit_test(addr_parse_format_prefix),
		cmocka_unit_test(pseudonym_stable_per_key_differs_across_keys),
		cmocka_unit_test(pseudonym_key_file_created_then_reused),
		cmocka_unit_test(no_core_dumps_after_harden),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_pairhash.c — the endpoint-pair hash: SipHash-1-3 of the documented message (checked
 * against a plain byte-wise SipHash-1-3 written here from the paper, itself checked on the
 * reference implementation's SipHash-2-4 vector), both directions alike, and IPv4 pairs
 * hashed as their own 13-byte message, apart from IPv6 pairs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/addr.h"
#include "common/pairhash.h"

static const uint8_t key[PAIRHASH_KEYBYTES] = { 0, 1, 2, 3, 4, 5, 6, 7,
						8, 9, 10, 11, 12, 13, 14, 15 };

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void round_(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* SipHash-c-d of msg, byte by byte as the paper describes it. */
static uint64_t siphash(int c, int d, const uint8_t k[16], const uint8_t *msg, size_t len)
{
	uint64_t k0 = le64(k), k1 = le64(k + 8);
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			  k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull };
	uint8_t last[8] = { 0 };
	size_t whole = len / 8 * 8;

	for (size_t i = 0; i <= whole; i += 8) {
		uint64_t m;
		if (i < whole) {
			m = le64(msg + i);
		} else {
			memcpy(last, msg + whole, len - whole);
			last[7] = (uint8_t)len;
			m = le64(last);
		}
		v[3] ^= m;
		for (int r = 0; r < c; r++)
			round_(v);
		v[0] ^= m;
	}
	v[2] ^= 0xff;
	for (int r = 0; r < d; r++)
		round_(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static void reference_siphash_vector(void **state)
{
	uint8_t msg[15];

	(void)state;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* SipHash-2-4, key 00..0f, message 00..0e: the paper's test vector */
	assert_true(siphash(2, 4, key, msg, 15) == 0xa129ca6149be45e5ull);
}

static struct sk_addr v4(const char *s)
{
	struct sk_addr a;

	assert_int_equal(addr_parse(&a, s), 0);
	return a;
}

/* Two IPv4 endpoints hash as the 13-byte message msg, in either order. */
static void assert_v4_message(uint8_t proto, const char *a, uint16_t ap, const char *b,
			      uint16_t bp, const uint8_t msg[13])
{
	struct sk_addr x = v4(a), y = v4(b);
	uint64_t want = siphash(1, 3, key, msg, 13);

	assert_true(pairhash(key, proto, &x, ap, &y, bp) == want);
	assert_true(pairhash(key, proto, &y, bp, &x, ap) == want);
}

static void v4_pair_is_13_byte_message(void **state)
{
	/* canonical order: 192.0.2.1 < 198.51.100.7 */
	static const uint8_t msg[13] = { 192, 0, 2, 1, 198, 51, 100, 7, 0x01, 0xbb, 0xc3, 0x50, 6 };

	(void)state;
	assert_v4_message(6, "192.0.2.1", 443, "198.51.100.7", 50000, msg);
}

static void v4_equal_addresses_order_by_port(void **state)
{
	static const uint8_t msg[13] = { 10, 0, 0, 1, 10, 0, 0, 1, 0x00, 0x35, 0x12, 0x34, 17 };

	(void)state;
	assert_v4_message(17, "10.0.0.1", 0x1234, "10.0.0.1", 53, msg);
}

static void v6_pair_is_37_byte_message(void **state)
{
	struct sk_addr a, b;
	uint8_t msg[37];

	(void)state;
	assert_int_equal(addr_parse(&a, "2001:db8::1"), 0);
	assert_int_equal(addr_parse(&b, "2001:db8::2"), 0);
	memcpy(msg, a.b, 16);
	memcpy(msg + 16, b.b, 16);
	msg[32] = 0x00, msg[33] = 0x50;         /* port 80 with a */
	msg[34] = 0x00, msg[35] = 0x16;         /* port 22 with b */
	msg[36] = 6;
	uint64_t want = siphash(1, 3, key, msg, sizeof(msg));
	assert_true(pairhash(key, 6, &a, 80, &b, 22) == want);
	assert_true(pairhash(key, 6, &b, 22, &a, 80) == want);
}

/* A v4 pair next to a v6 one (also one v4-mapped and one not): each its own message. */
static void v4_and_v6_apart(void **state)
{
	struct sk_addr a = v4("192.0.2.1"), b = v4("192.0.2.2"), c;
	uint8_t msg[37];

	(void)state;
	assert_int_equal(addr_parse(&c, "2001:db8::2"), 0);
	memcpy(msg, a.b, 16);
	memcpy(msg + 16, c.b, 16);
	msg[32] = 0, msg[33] = 1, msg[34] = 0, msg[35] = 2, msg[36] = 6;
	assert_true(pairhash(key, 6, &a, 1, &c, 2) == siphash(1, 3, key, msg, 37));
	/* the v4 pair is not hashed as its 37-byte mapped form */
	memcpy(msg + 16, b.b, 16);
	assert_true(pairhash(key, 6, &a, 1, &b, 2) != siphash(1, 3, key, msg, 37));
}

static void key_ports_and_proto_matter(void **state)
{
	struct sk_addr a = v4("203.0.113.5"), b = v4("203.0.113.6");
	uint8_t k2[PAIRHASH_KEYBYTES];
	uint64_t h = pairhash(key, 6, &a, 1000, &b, 2000);

	(void)state;
	memcpy(k2, key, sizeof(k2));
	k2[15] ^= 1;
	assert_true(pairhash(k2, 6, &a, 1000, &b, 2000) != h);
	assert_true(pairhash(key, 17, &a, 1000, &b, 2000) != h);
	assert_true(pairhash(key, 6, &a, 2000, &b, 1000) != h);
	assert_true(pairhash(key, 6, &a, 1000, &b, 2001) != h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reference_siphash_vector),
		cmocka_unit_test(v4_pair_is_13_byte_message),
		cmocka_unit_test(v4_equal_addresses_order_by_port),
		cmocka_unit_test(v6_pair_is_37_byte_message),
		cmocka_unit_test(v4_and_v6_apart),
		cmocka_unit_test(key_ports_and_proto_matter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

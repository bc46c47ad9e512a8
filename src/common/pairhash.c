/*
 * pairhash.c — see pairhash.h.
 *
 * SipHash-1-3 of the endpoints in canonical order, as one of two messages (ports big-endian):
 *
 *   both IPv4:  a[4] b[4] ap[2] bp[2] proto[1]       13 bytes, two SipHash blocks
 *   otherwise:  a[16] b[16] ap[2] bp[2] proto[1]     37 bytes, five SipHash blocks
 *
 * The two kinds have different lengths, and SipHash puts the length in the last block, so a
 * v4 pair and a v6 pair are different messages by construction: they meet only as any two
 * inputs of a keyed PRF do. The message is read as little-endian words (whole ones from the
 * addresses, then the last block with the five tail bytes and the length in its top byte,
 * as SipHash specifies). Words are loaded with memcpy in host order: the value is only ever
 * compared within one process.
 */
#include "common/pairhash.h"

#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                                             \
	do {                                                                                 \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                     \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                        \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                        \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                     \
	} while (0)

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t be64(const uint8_t *p)
{
	return __builtin_bswap64(load64(p));
}

/* addr_cmp's order (memcmp of the 16 bytes) without the call. */
static inline int addr_order(const struct sk_addr *a, const struct sk_addr *b)
{
	uint64_t x = be64(a->b), y = be64(b->b);

	if (x == y) {
		x = be64(a->b + 8);
		y = be64(b->b + 8);
	}
	return (x > y) - (x < y);
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The last block: tail bytes ap[2] bp[2] proto[1] in little-endian order, length on top. */
static inline uint64_t last_block(uint16_t ap, uint16_t bp, uint8_t proto, uint64_t len)
{
	return (uint64_t)__builtin_bswap16(ap) | (uint64_t)__builtin_bswap16(bp) << 16 |
	       (uint64_t)proto << 32 | len << 56;
}

/* One message word: one compression round (the 1 of SipHash-1-3). */
#define COMPRESS(m)                                                                          \
	do {                                                                                 \
		uint64_t m_ = (m);                                                           \
		v3 ^= m_;                                                                    \
		SIPROUND;                                                                    \
		v0 ^= m_;                                                                    \
	} while (0)

uint64_t pairhash(const uint8_t key[PAIRHASH_KEYBYTES], uint8_t proto, const struct sk_addr *a,
		  uint16_t ap, const struct sk_addr *b, uint16_t bp)
{
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;

	if (addr_is_v4(a) && addr_is_v4(b)) {
		uint32_t x = load32(a->b + 12), y = load32(b->b + 12);
		uint32_t hx = __builtin_bswap32(x), hy = __builtin_bswap32(y);

		if (hx > hy || (hx == hy && ap > bp)) {
			uint32_t t = x;
			uint16_t tp = ap;
			x = y, ap = bp, y = t, bp = tp;
		}
		COMPRESS((uint64_t)x | (uint64_t)y << 32);
		COMPRESS(last_block(ap, bp, proto, 13));
	} else {
		int c = addr_order(a, b);

		if (c > 0 || (c == 0 && ap > bp)) {
			const struct sk_addr *t = a;
			uint16_t tp = ap;
			a = b, ap = bp, b = t, bp = tp;
		}
		COMPRESS(load64(a->b));
		COMPRESS(load64(a->b + 8));
		COMPRESS(load64(b->b));
		COMPRESS(load64(b->b + 8));
		COMPRESS(last_block(ap, bp, proto, 37));
	}
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint8_t process_key[PAIRHASH_KEYBYTES];
static pthread_once_t process_once = PTHREAD_ONCE_INIT;

static void make_process_key(void)
{
	if (sodium_init() < 0) {
		/* cannot happen once main has started libsodium; randombytes_buf works anyway */
	}
	randombytes_buf(process_key, sizeof(process_key));
}

const uint8_t *pairhash_process_key(void)
{
	pthread_once(&process_once, make_process_key);
	return process_key;
}

/*
 * pairhash.c — see pairhash.h.
 *
 * SipHash-1-3 of the 37-byte message  a[16] b[16] ap[2] bp[2] proto[1]  (ports big-endian),
 * the endpoints in canonical order. The message is read as five little-endian words: four
 * whole ones from the addresses, and the last block holding the five tail bytes and the
 * length (37) in its top byte, as SipHash specifies. Words are loaded with memcpy in host
 * order: the value is only ever compared within one process.
 */
#include "common/pairhash.h"

#include <pthread.h>
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

uint64_t pairhash(const uint8_t key[PAIRHASH_KEYBYTES], uint8_t proto, const struct sk_addr *a,
		  uint16_t ap, const struct sk_addr *b, uint16_t bp)
{
	uint64_t k0 = load64(key), k1 = load64(key + 8);
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
	uint64_t m[5];
	int c = addr_order(a, b);

	if (c > 0 || (c == 0 && ap > bp)) {
		const struct sk_addr *x = a;
		uint16_t xp = ap;
		a = b, ap = bp, b = x, bp = xp;
	}
	m[0] = load64(a->b);
	m[1] = load64(a->b + 8);
	m[2] = load64(b->b);
	m[3] = load64(b->b + 8);
	/* tail bytes 32..36 in little-endian block order, length in the top byte */
	m[4] = (uint64_t)(ap >> 8) | (uint64_t)(ap & 0xff) << 8 | (uint64_t)(bp >> 8) << 16 |
	       (uint64_t)(bp & 0xff) << 24 | (uint64_t)proto << 32 | (uint64_t)37 << 56;
	for (int i = 0; i < 5; i++) {
		v3 ^= m[i];
		SIPROUND;
		v0 ^= m[i];
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

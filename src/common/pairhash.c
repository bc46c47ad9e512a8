/* pairhash.c — see pairhash.h. */
#include "common/pairhash.h"

#include <string.h>

uint64_t pairhash(const uint8_t key[PAIRHASH_KEYBYTES], uint8_t proto, const struct sk_addr *a,
		  uint16_t ap, const struct sk_addr *b, uint16_t bp)
{
	uint8_t buf[37], out[crypto_shorthash_BYTES];
	int c = addr_cmp(a, b);
	uint64_t h;

	if (c > 0 || (c == 0 && ap > bp)) {
		const struct sk_addr *x = a;
		uint16_t xp = ap;
		a = b, ap = bp, b = x, bp = xp;
	}
	memcpy(buf, a->b, 16);
	memcpy(buf + 16, b->b, 16);
	buf[32] = (uint8_t)(ap >> 8), buf[33] = (uint8_t)ap;
	buf[34] = (uint8_t)(bp >> 8), buf[35] = (uint8_t)bp;
	buf[36] = proto;
	crypto_shorthash(out, buf, sizeof(buf), key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/*
 * addr.h — one address type for IPv4 and IPv6.
 *
 * An IPv4 address is stored IPv4-mapped (::ffff:a.b.c.d), the form libloc uses too, so that
 * every table, hash and comparison in sakimori handles a single 16-byte key.
 */
#ifndef SK_ADDR_H
#define SK_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sk_addr {
	uint8_t b[16]; /* network byte order; IPv4 as ::ffff:a.b.c.d */
};

#define SK_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* ::ffff:a.b.c.d? Inline, two word compares: the packet path asks this of every address. */
static inline bool addr_is_v4(const struct sk_addr *a)
{
	static const uint8_t v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint64_t a0, p0;
	uint32_t a1, p1;

	__builtin_memcpy(&a0, a->b, 8);
	__builtin_memcpy(&a1, a->b + 8, 4);
	__builtin_memcpy(&p0, v4_prefix, 8);
	__builtin_memcpy(&p1, v4_prefix + 8, 4);
	return a0 == p0 && a1 == p1;
}
/* The IPv4 address in host byte order; only meaningful when addr_is_v4(). */
uint32_t addr_v4(const struct sk_addr *a);
void addr_from_v4(struct sk_addr *a, uint32_t host_order);
void addr_from_v6(struct sk_addr *a, const uint8_t b[16]);
/* Parse "1.2.3.4" or "2001:db8::1". Returns 0, or -1 if the text is no address. */
int addr_parse(struct sk_addr *a, const char *text);
/* Parse "addr" or "addr/len" (len counted on the family's own width: /24 for IPv4).
 * OUT: *a (host bits cleared), *plen as a 0..128 length on the 16-byte form. */
int addr_parse_prefix(struct sk_addr *a, unsigned *plen, const char *text);
/* Writes the usual text form into out (at least SK_ADDR_STRLEN bytes); returns out. */
char *addr_format(const struct sk_addr *a, char *out);
int addr_cmp(const struct sk_addr *a, const struct sk_addr *b);
/* Equal addresses, inline (the hot path's comparison; addr_cmp is out of line). */
static inline bool addr_eq(const struct sk_addr *a, const struct sk_addr *b)
{
	uint64_t a0, a1, b0, b1;

	__builtin_memcpy(&a0, a->b, 8);
	__builtin_memcpy(&a1, a->b + 8, 8);
	__builtin_memcpy(&b0, b->b, 8);
	__builtin_memcpy(&b1, b->b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}
bool addr_in_prefix(const struct sk_addr *a, const struct sk_addr *net, unsigned plen);

#endif

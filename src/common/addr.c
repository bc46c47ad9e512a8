/* addr.c — parsing and formatting of struct sk_addr (see addr.h). */
#include "common/addr.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

uint32_t addr_v4(const struct sk_addr *a)
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 | a->b[15];
}

void addr_from_v4(struct sk_addr *a, uint32_t v)
{
	memcpy(a->b, v4_mapped, 12);
	a->b[12] = (uint8_t)(v >> 24);
	a->b[13] = (uint8_t)(v >> 16);
	a->b[14] = (uint8_t)(v >> 8);
	a->b[15] = (uint8_t)v;
}

void addr_from_v6(struct sk_addr *a, const uint8_t b[16])
{
	memcpy(a->b, b, 16);
}

int addr_parse(struct sk_addr *a, const char *text)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		addr_from_v4(a, ntohl(v4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, text, &v6) == 1) {
		addr_from_v6(a, v6.s6_addr);
		return 0;
	}
	return -1;
}

static void clear_host_bits(struct sk_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bit = i * 8;
		if (bit >= plen)
			a->b[i] = 0;
		else if (plen - bit < 8)
			a->b[i] &= (uint8_t)(0xff << (8 - (plen - bit)));
	}
}

int addr_parse_prefix(struct sk_addr *a, unsigned *plen, const char *text)
{
	char buf[64];
	size_t n = strlen(text);
	const char *slash;

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, text, n + 1);
	slash = strchr(buf, '/');
	if (slash)
		buf[slash - buf] = '\0';
	if (addr_parse(a, buf) < 0)
		return -1;

	unsigned width = addr_is_v4(a) ? 32 : 128;
	unsigned len = width;
	if (slash) {
		char *end;
		const char *num = slash + 1;
		if (*num < '0' || *num > '9')
			return -1;
		unsigned long v = strtoul(num, &end, 10);
		if (*end != '\0' || v > width)
			return -1;
		len = (unsigned)v;
	}
	*plen = len + (128 - width);
	clear_host_bits(a, *plen);
	return 0;
}

char *addr_format(const struct sk_addr *a, char *out)
{
	if (addr_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, out, SK_ADDR_STRLEN);
	else
		inet_ntop(AF_INET6, a->b, out, SK_ADDR_STRLEN);
	return out;
}

int addr_cmp(const struct sk_addr *a, const struct sk_addr *b)
{
	return memcmp(a->b, b->b, 16);
}

bool addr_in_prefix(const struct sk_addr *a, const struct sk_addr *net, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a->b, net->b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[full] & mask) == (net->b[full] & mask);
}

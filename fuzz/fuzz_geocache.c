/*
 * fuzz_geocache.c — the location table cache loader (geo_cache_parse) on any bytes.
 *
 * The input is taken as a cache file image; geo_cache_seal first puts the right checksum in
 * its header, so that mutations get past the checksum to the checks of the tables themselves
 * (sizes, lengths, values, ordering). A cache that is accepted must answer lookups and
 * sampling without reading outside its tables.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "geo/geo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct geo_info gi;
	struct sk_addr a;
	struct geo *g;
	uint8_t *img;

	if (size > (1u << 20))
		return 0;
	img = malloc(size ? size : 1);   /* exact size: ASan sees any read past the end */
	if (!img)
		return 0;
	memcpy(img, data, size);
	geo_cache_seal(img, size);
	g = geo_cache_parse(img, size, NULL, 0);
	if (g) {
		static const char *const probe[] = { "0.0.0.0", "8.8.8.8", "133.1.1.1",
						     "255.255.255.255", "::", "2001:db8::1",
						     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
		for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
			addr_parse(&a, probe[i]);
			geo_lookup(g, &a, &gi);
		}
		for (uint64_t i = 0; i < 4; i++) {
			geo_sample(g, GEO_FOREIGN, 4, i, i * 31, &a);
			geo_sample(g, GEO_DOMESTIC, 6, i, i * 31, &a);
		}
		geo_close(g);
	}
	free(img);
	return 0;
}

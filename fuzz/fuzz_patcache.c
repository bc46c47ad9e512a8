/*
 * fuzz_patcache.c — the Hyperscan database cache's parser (pat_cache_parse) on any bytes.
 *
 * The input is taken as a cache file image checked against a fixed key. When its first byte
 * is odd (the seed's 'S' is), pat_cache_seal first puts that key and the right checksum in
 * its header, so that mutations get past our checks to Hyperscan's (deserialize, scratch);
 * otherwise the header checks themselves meet the raw bytes. A database that is accepted
 * must scan without error.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select/pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_hit(void *ctx, uint32_t tag)
{
	(*(unsigned *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[PAT_CACHE_KEY_LEN] = "sakimori fuzz_patcache fixed key";
	static const char *const probe[] = { "", "GET /admin", "www.evil.example", "curl/8.1" };
	struct pat_scratch *sc = NULL;
	struct pat_db *db;
	uint8_t *img;
	unsigned hits = 0;

	if (size > (1u << 20))
		return 0;
	img = malloc(size ? size : 1);   /* exact size: ASan sees any read past the end */
	if (!img)
		return 0;
	memcpy(img, data, size);
	if (size && (img[0] & 1))
		pat_cache_seal(img, size, key);
	db = pat_cache_parse(img, size, key, 0);
	if (db) {
		if (pat_scratch_fit(&sc, db) != 0)
			abort();
		for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++)
			if (pat_scan(db, 0, probe[i], strlen(probe[i]), sc, on_hit, &hits) != 0)
				abort();
		pat_scratch_free(sc);
		pat_free(db);
	}
	free(img);
	return 0;
}

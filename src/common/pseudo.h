/*
 * pseudo.h — keyed hashing of personal identifiers (DESIGN.md rule 2).
 *
 * E-mail local parts and URI query values are replaced before they leave the sensor by
 * BLAKE2b keyed with a secret key (libsodium crypto_generichash), printed as 32 hex digits.
 * The same identifier under the same key always gives the same pseudonym, so analysts can
 * still correlate; without the key the pseudonym cannot be linked back to the identifier.
 */
#ifndef SK_PSEUDO_H
#define SK_PSEUDO_H

#include <stddef.h>
#include <stdint.h>

#define PSEUDO_KEYLEN 32
#define PSEUDO_HEXLEN 32 /* 16-byte digest as hex */

struct pseudo {
	uint8_t key[PSEUDO_KEYLEN];
};

/* Load the key from path; if the file does not exist, create it (mode 0600) with a fresh
 * random key and say so on stderr. Returns 0, or -1 with a reason in err. */
int pseudo_load_or_create(struct pseudo *p, const char *path, char *err, size_t errlen);
/* A key from raw bytes (tests, fuzzers). */
void pseudo_init(struct pseudo *p, const uint8_t key[PSEUDO_KEYLEN]);
/* out gets PSEUDO_HEXLEN hex digits and a NUL. */
void pseudo_hash(const struct pseudo *p, const void *data, size_t n, char out[PSEUDO_HEXLEN + 1]);
void pseudo_wipe(struct pseudo *p);

#endif

/*
 * sth.h — signed tree heads: (tree size, timestamp, root) signed with Ed25519.
 *
 * What is signed (STH_TBSLEN = 49 bytes, big-endian integers):
 *
 *   +---------+----------------+-----------------+---------------------+
 *   | version | tree_size (8)  | timestamp (8)   | root hash (32)      |
 *   | 0x01    | leaves         | Unix ms         | MTH of the leaves   |
 *   +---------+----------------+-----------------+---------------------+
 *
 * The stored form (STH_BINLEN = 113 bytes) is those bytes followed by the 64-byte detached
 * signature (crypto_sign_detached). The API form is JSON, as RFC 6962 get-sth:
 *   {"tree_size": N, "timestamp": MS, "root_hash": "<base64>", "signature": "<base64>"}
 * Both parsers take untrusted input and refuse anything but exactly this.
 */
#ifndef SK_STH_H
#define SK_STH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define STH_VERSION  1
#define STH_ROOTLEN  32
#define STH_SIGLEN   64
#define STH_TBSLEN   (1 + 8 + 8 + STH_ROOTLEN)
#define STH_BINLEN   (STH_TBSLEN + STH_SIGLEN)

struct sth {
	uint64_t tree_size;
	int64_t timestamp_ms;          /* >= 0 */
	uint8_t root[STH_ROOTLEN];
	uint8_t sig[STH_SIGLEN];
};

/* The signed bytes (above). */
void sth_tbs(const struct sth *h, uint8_t out[STH_TBSLEN]);
/* Sign h (fills h->sig) with an Ed25519 secret key (libsodium's 64-byte layout). */
int sth_sign(struct sth *h, const uint8_t sk[64]);
/* 0 iff h->sig is a valid signature of h by pk. */
int sth_verify(const struct sth *h, const uint8_t pk[32]);

void sth_serialize(const struct sth *h, uint8_t out[STH_BINLEN]);
/* Parse the stored form: exactly STH_BINLEN bytes, version 1, timestamp < 2^63. -1 otherwise. */
int sth_parse(struct sth *h, const uint8_t *buf, size_t len);

/* {"tree_size","timestamp","root_hash","signature"}; NULL when out of memory. */
json_t *sth_to_json(const struct sth *h);
/* Parse that object (other keys are refused); -1 with a one-line reason. */
int sth_from_json(struct sth *h, const json_t *j, char *err, size_t errlen);

/* Base64 (original alphabet, padded) of n bytes into out (>= 4*((n+2)/3)+1). */
void sth_b64(const uint8_t *bin, size_t n, char *out, size_t outlen);
/* Decode slen chars of base64 that must decode to exactly n bytes (no whitespace, nothing
 * after the padding). -1 otherwise. */
int sth_unb64(const char *s, size_t slen, uint8_t *bin, size_t n);

#endif

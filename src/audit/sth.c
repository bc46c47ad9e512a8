/*
 * sth.c — signed tree heads: the signed bytes, Ed25519, the binary and JSON forms.
 *
 * The binary form is what the store keeps per audit row; it is read back through the cursor
 * and accepted only at its exact length and version. The JSON form is what the API serves
 * and what the commission saves; its parser refuses missing, extra or mistyped keys, hashes
 * that do not decode to exactly 32 (signatures 64) bytes, and negative or oversized numbers.
 * A parsed head is only well-formed: whether it is *true* is sth_verify()'s job.
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "audit/sth.h"
#include "common/cursor.h"

static void put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t cur_be64(struct cur *c)
{
	uint64_t hi = cur_be32(c);

	return hi << 32 | cur_be32(c);
}

void sth_tbs(const struct sth *h, uint8_t out[STH_TBSLEN])
{
	out[0] = STH_VERSION;
	put_be64(out + 1, h->tree_size);
	put_be64(out + 9, (uint64_t)h->timestamp_ms);
	memcpy(out + 17, h->root, STH_ROOTLEN);
}

int sth_sign(struct sth *h, const uint8_t sk[64])
{
	uint8_t tbs[STH_TBSLEN];

	if (sodium_init() < 0)
		return -1;
	sth_tbs(h, tbs);
	return crypto_sign_detached(h->sig, NULL, tbs, sizeof(tbs), sk) == 0 ? 0 : -1;
}

int sth_verify(const struct sth *h, const uint8_t pk[32])
{
	uint8_t tbs[STH_TBSLEN];

	if (sodium_init() < 0 || h->timestamp_ms < 0)
		return -1;
	sth_tbs(h, tbs);
	return crypto_sign_verify_detached(h->sig, tbs, sizeof(tbs), pk) == 0 ? 0 : -1;
}

void sth_serialize(const struct sth *h, uint8_t out[STH_BINLEN])
{
	sth_tbs(h, out);
	memcpy(out + STH_TBSLEN, h->sig, STH_SIGLEN);
}

int sth_parse(struct sth *h, const uint8_t *buf, size_t len)
{
	struct cur c = cur_make(buf, len);
	uint64_t ts;

	memset(h, 0, sizeof(*h));
	if (len != STH_BINLEN || cur_u8(&c) != STH_VERSION)
		return -1;
	h->tree_size = cur_be64(&c);
	ts = cur_be64(&c);
	cur_copy(&c, h->root, STH_ROOTLEN);
	cur_copy(&c, h->sig, STH_SIGLEN);
	if (!cur_ok(&c) || cur_left(&c) != 0 || ts > INT64_MAX)
		return -1;
	h->timestamp_ms = (int64_t)ts;
	return 0;
}

void sth_b64(const uint8_t *bin, size_t n, char *out, size_t outlen)
{
	sodium_bin2base64(out, outlen, bin, n, sodium_base64_VARIANT_ORIGINAL);
}

int sth_unb64(const char *s, size_t slen, uint8_t *bin, size_t n)
{
	size_t got = 0;
	const char *end = NULL;

	/* Padded base64 of n bytes is exactly this long; anything else is refused up front. */
	if (slen != 4 * ((n + 2) / 3))
		return -1;
	if (sodium_base642bin(bin, n, s, slen, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return got == n && end == s + slen ? 0 : -1;
}

json_t *sth_to_json(const struct sth *h)
{
	char root[sodium_base64_ENCODED_LEN(STH_ROOTLEN, sodium_base64_VARIANT_ORIGINAL)];
	char sig[sodium_base64_ENCODED_LEN(STH_SIGLEN, sodium_base64_VARIANT_ORIGINAL)];

	sth_b64(h->root, STH_ROOTLEN, root, sizeof(root));
	sth_b64(h->sig, STH_SIGLEN, sig, sizeof(sig));
	/* JSON integers are json_int_t (long long): tree sizes stay far below 2^63. */
	return json_pack("{s:I, s:I, s:s, s:s}", "tree_size", (json_int_t)h->tree_size,
			 "timestamp", (json_int_t)h->timestamp_ms, "root_hash", root, "signature", sig);
}

static int fail(char *err, size_t errlen, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return -1;
}

int sth_from_json(struct sth *h, const json_t *j, char *err, size_t errlen)
{
	const json_t *size, *ts, *root, *sig;

	memset(h, 0, sizeof(*h));
	if (!json_is_object(j))
		return fail(err, errlen, "tree head is not a JSON object");
	size = json_object_get(j, "tree_size");
	ts = json_object_get(j, "timestamp");
	root = json_object_get(j, "root_hash");
	sig = json_object_get(j, "signature");
	if (!size || !ts || !root || !sig)
		return fail(err, errlen, "tree head needs tree_size, timestamp, root_hash and signature");
	if (json_object_size(j) != 4)
		return fail(err, errlen, "tree head has keys other than tree_size, timestamp, "
			    "root_hash and signature");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return fail(err, errlen, "tree_size is not a non-negative integer");
	if (!json_is_integer(ts) || json_integer_value(ts) < 0)
		return fail(err, errlen, "timestamp is not a non-negative integer");
	if (!json_is_string(root) ||
	    sth_unb64(json_string_value(root), json_string_length(root), h->root, STH_ROOTLEN) < 0)
		return fail(err, errlen, "root_hash is not base64 of 32 bytes");
	if (!json_is_string(sig) ||
	    sth_unb64(json_string_value(sig), json_string_length(sig), h->sig, STH_SIGLEN) < 0)
		return fail(err, errlen, "signature is not base64 of 64 bytes");
	h->tree_size = (uint64_t)json_integer_value(size);
	h->timestamp_ms = (int64_t)json_integer_value(ts);
	return 0;
}

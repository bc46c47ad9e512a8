/*
 * fuzz_tls.c — libFuzzer target for the ClientHello extractor.
 *
 * Each input is parsed whole, then as every prefix-length the parser asked for (the way the
 * engine feeds a growing stream), checking the contract: TLS_MORE asks for more than it
 * has, strings are terminated, and an OK result has a full-length JA3 and JA4. The parse
 * without fingerprints must agree with it on every input: same status and need, same
 * fields, fingerprints "".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta/tls.h"

static void check(const uint8_t *data, size_t len, size_t *need_out)
{
	struct tls_hello h;
	char ja3[512], ja4[512];
	size_t need = 0;
	enum tls_status st = tls_parse_client_hello_raw(data, len, &h, &need, ja3, sizeof(ja3),
							ja4, sizeof(ja4));

	if (!memchr(h.sni, 0, sizeof(h.sni)) || !memchr(h.alpn, 0, sizeof(h.alpn)) ||
	    !memchr(h.ja3, 0, sizeof(h.ja3)) || !memchr(h.ja4, 0, sizeof(h.ja4)))
		abort();
	if (st == TLS_MORE && need <= len)
		abort();
	if (st != TLS_MORE && need != 0)
		abort();
	if (st == TLS_OK && (strlen(h.ja3) != 32 || strlen(h.ja4) != 36))
		abort();

	struct tls_hello lite;
	size_t lneed = 0;
	if (tls_parse_client_hello_nofp(data, len, &lite, &lneed) != st || lneed != need ||
	    lite.ja3[0] || lite.ja4[0])
		abort();
	memcpy(lite.ja3, h.ja3, sizeof(h.ja3));
	memcpy(lite.ja4, h.ja4, sizeof(h.ja4));
	if (memcmp(&lite, &h, sizeof(h)) != 0)
		abort();
	*need_out = st == TLS_MORE ? need : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t need = 0, at = 0;

	check(data, size, &need);
	/* feed the same bytes as a stream that grows to what the parser asks for */
	for (int i = 0; i < 64 && at < size; i++) {
		check(data, at, &need);
		if (!need)
			break;
		at = need;
	}
	return 0;
}

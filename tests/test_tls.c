/*
 * test_tls.c — ClientHello extraction, JA3 and JA4, against real hellos.
 *
 * The three hellos below are real client bytes: a Chrome hello (with GREASE) published as a
 * hex string in a public test program, and a curl and an openssl s_client hello captured on
 * loopback. Expected JA3 strings and hashes were obtained by writing these hellos as TCP
 * segments into a pcap and running Wireshark 4.0.17:
 *     tshark -r hellos.pcap -T fields -e tls.handshake.ja3 -e tls.handshake.ja3_full
 * The JA4 check reproduces the worked example of the FoxIO JA4 specification
 * (technical_details/JA4.md): the Chrome hello plus the ALPS extension (0x4469) has exactly
 * the example's ciphers, extensions and signature algorithms, and must give
 * t13d1516h2_8daaf6152771_e5627efa2ab1 and the spec's JA4_r string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <md5.h>
#include <sodium.h>

#include "meta/tls.h"

/* Chrome 70-era ClientHello to clients4.google.com, TLS 1.3 draft-era GREASE in ciphers,
 * extensions, groups, key_share and supported_versions; 512-byte record with padding. */
static const uint8_t chrome_hello[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a,
	0xe2, 0x06, 0x39, 0x0b, 0xe8, 0x01, 0x9e, 0x4e, 0x6e, 0x04, 0xa7, 0x60,
	0x51, 0xfb, 0x2b, 0x19, 0x4c, 0xb5, 0x54, 0xec, 0x1e, 0xf4, 0xcf, 0xa8,
	0x6c, 0xad, 0x43, 0xc6, 0x98, 0x24, 0x2f, 0x20, 0x6e, 0x3b, 0x20, 0x6f,
	0xe0, 0x81, 0x8e, 0x3f, 0x5e, 0xf0, 0xd1, 0x7b, 0xe4, 0x28, 0x5b, 0xcb,
	0x04, 0xb2, 0x24, 0xeb, 0x7b, 0xc9, 0xed, 0xcb, 0x4a, 0x7a, 0x0c, 0xdf,
	0x2b, 0xb4, 0x06, 0xd9, 0x00, 0x20, 0x1a, 0x1a, 0x13, 0x01, 0x13, 0x02,
	0x13, 0x03, 0xc0, 0x2b, 0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9,
	0xcc, 0xa8, 0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f,
	0x00, 0x35, 0x01, 0x00, 0x01, 0x93, 0x5a, 0x5a, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x18, 0x00, 0x16, 0x00, 0x00, 0x13, 0x63, 0x6c, 0x69, 0x65, 0x6e,
	0x74, 0x73, 0x34, 0x2e, 0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x2e, 0x63,
	0x6f, 0x6d, 0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x0a, 0x00, 0x0a, 0x00, 0x08, 0xea, 0xea, 0x00, 0x1d, 0x00, 0x17, 0x00,
	0x18, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23, 0x00, 0x00, 0x00,
	0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74,
	0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x05, 0x00, 0x05, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0d, 0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04,
	0x04, 0x01, 0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01,
	0x00, 0x12, 0x00, 0x00, 0x00, 0x33, 0x00, 0x2b, 0x00, 0x29, 0xea, 0xea,
	0x00, 0x01, 0x00, 0x00, 0x1d, 0x00, 0x20, 0x70, 0xb4, 0x92, 0x9d, 0x12,
	0xf6, 0x14, 0x8f, 0xd0, 0xc0, 0xfe, 0xe5, 0x3a, 0x1b, 0x50, 0x5a, 0xf3,
	0x64, 0xc3, 0x75, 0xd9, 0x6a, 0xe0, 0x16, 0xc1, 0xc8, 0x06, 0xab, 0x09,
	0x07, 0xc2, 0x6b, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x2b, 0x00,
	0x0b, 0x0a, 0x1a, 0x1a, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01,
	0x00, 0x1b, 0x00, 0x03, 0x02, 0x00, 0x02, 0xca, 0xca, 0x00, 0x01, 0x00,
	0x00, 0x15, 0x00, 0xc9, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};
/* curl 7.88.1 / OpenSSL 3.0 ClientHello to www.example.com (captured on loopback). */
static const uint8_t curl_hello[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xa4,
	0xd0, 0x43, 0xa0, 0xfb, 0x68, 0x05, 0x66, 0xd4, 0xed, 0x0b, 0x51, 0xad,
	0xa9, 0xe2, 0xa9, 0x2c, 0xec, 0x89, 0x5f, 0xd1, 0xc0, 0x40, 0xf8, 0xf1,
	0x6c, 0x54, 0x64, 0xd5, 0x35, 0xb1, 0xfa, 0x20, 0x60, 0xcb, 0x20, 0xa9,
	0xce, 0x7b, 0xab, 0x22, 0xc7, 0xd4, 0xb8, 0x0e, 0xf4, 0x05, 0xec, 0xd9,
	0x30, 0xd0, 0x8b, 0x96, 0xc9, 0xd0, 0x00, 0xaa, 0x8c, 0xa6, 0x98, 0xf7,
	0xbb, 0x6f, 0x99, 0x11, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x01, 0x75,
	0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77, 0x77, 0x77,
	0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
	0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16,
	0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
	0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x10,
	0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32, 0x08, 0x68, 0x74, 0x74, 0x70,
	0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00,
	0x00, 0x31, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03,
	0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01,
	0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02,
	0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03,
	0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00,
	0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0xfc, 0x2a, 0x42, 0x02, 0xd4,
	0x68, 0x5e, 0x22, 0xd5, 0x86, 0x53, 0x3e, 0xfe, 0x28, 0xd1, 0xe0, 0xba,
	0x4b, 0x7b, 0x09, 0xe9, 0x43, 0x63, 0xe6, 0x0a, 0xdc, 0x76, 0xbc, 0x05,
	0x65, 0x49, 0x2f, 0x00, 0x15, 0x00, 0xae, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,
};
/* openssl s_client 3.0 with -servername Mail.Example.ORG -alpn h2,http/1.1 (loopback). */
static const uint8_t openssl_hello[] = {
	0x16, 0x03, 0x01, 0x01, 0x4f, 0x01, 0x00, 0x01, 0x4b, 0x03, 0x03, 0x91,
	0xbe, 0x3a, 0x7c, 0x71, 0xdd, 0xc6, 0x72, 0x3f, 0x34, 0x46, 0x41, 0x4f,
	0xb1, 0x35, 0x58, 0x0e, 0x88, 0x33, 0x8a, 0x76, 0x76, 0xc0, 0xc6, 0x85,
	0xfb, 0x7c, 0x4b, 0xe8, 0x73, 0x69, 0xe3, 0x20, 0x3e, 0x49, 0x1b, 0xf3,
	0x05, 0x51, 0x34, 0xf8, 0xc1, 0xe6, 0xd9, 0x16, 0x1e, 0x46, 0x82, 0xe9,
	0x05, 0x64, 0x68, 0xa6, 0xa5, 0xbc, 0x4e, 0x4d, 0xee, 0x40, 0xed, 0xde,
	0xcc, 0xf6, 0x38, 0x67, 0x00, 0x3e, 0x13, 0x02, 0x13, 0x03, 0x13, 0x01,
	0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
	0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b,
	0xc0, 0x23, 0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39,
	0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d,
	0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xc4,
	0x00, 0x00, 0x00, 0x15, 0x00, 0x13, 0x00, 0x00, 0x10, 0x4d, 0x61, 0x69,
	0x6c, 0x2e, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x4f, 0x52,
	0x47, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00,
	0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00,
	0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00,
	0x23, 0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 0x68, 0x32,
	0x08, 0x68, 0x74, 0x74, 0x70, 0x2f, 0x31, 0x2e, 0x31, 0x00, 0x16, 0x00,
	0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04,
	0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08,
	0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05,
	0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05,
	0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03,
	0x03, 0x02, 0x03, 0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33,
	0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20, 0x1b, 0x4a, 0xd0, 0x6e,
	0xda, 0xc8, 0x17, 0x3e, 0xc6, 0xcb, 0xac, 0x5a, 0xe7, 0x1d, 0x87, 0x1a,
	0xe6, 0xb9, 0x51, 0x80, 0x86, 0x77, 0x06, 0xbc, 0x38, 0x36, 0x4d, 0x1e,
	0xd9, 0xdb, 0x5f, 0x10,
};

/* ---- helpers ------------------------------------------------------------------------ */

#define BUF_MAX 8192

struct bytes {
	uint8_t b[BUF_MAX];
	size_t n;
};

static void put8(struct bytes *s, uint8_t v)
{
	assert_true(s->n < BUF_MAX);
	s->b[s->n++] = v;
}

static void put16(struct bytes *s, uint16_t v)
{
	put8(s, (uint8_t)(v >> 8));
	put8(s, (uint8_t)v);
}

static void put(struct bytes *s, const void *p, size_t n)
{
	assert_true(s->n + n <= BUF_MAX);
	memcpy(s->b + s->n, p, n);
	s->n += n;
}

/* Rewrite a single-record hello as the same handshake message cut into records at the
 * given message offsets (ascending, inside the message). */
static void split_records(const uint8_t *hello, size_t len, const size_t *cuts, size_t ncuts,
			  struct bytes *out)
{
	const uint8_t *msg = hello + 5;
	size_t mlen = len - 5, prev = 0;

	out->n = 0;
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : mlen;
		put8(out, 0x16);
		put8(out, hello[1]);
		put8(out, hello[2]);
		put16(out, (uint16_t)(end - prev));
		put(out, msg + prev, end - prev);
		prev = end;
	}
}

struct ext {
	uint16_t type;
	const char *hex;        /* body as hex, "" for empty */
};

static size_t unhex(const char *h, uint8_t *o, size_t max)
{
	size_t n = strlen(h) / 2;
	assert_true(n <= max);
	for (size_t i = 0; i < n; i++) {
		unsigned x;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &x), 1);
		o[i] = (uint8_t)x;
	}
	return n;
}

/* Build a single-record ClientHello with the given legacy version, ciphers and extensions
 * (no extension block at all when ne is 0). */
static void build_hello(struct bytes *out, uint16_t version, const uint16_t *ciphers,
			size_t nc, const struct ext *exts, size_t ne)
{
	struct bytes body = { .n = 0 }, ext = { .n = 0 };
	static uint8_t tmp[BUF_MAX];

	for (size_t i = 0; i < ne; i++) {
		size_t l = unhex(exts[i].hex, tmp, sizeof(tmp));
		put16(&ext, exts[i].type);
		put16(&ext, (uint16_t)l);
		put(&ext, tmp, l);
	}
	put16(&body, version);
	for (int i = 0; i < 32; i++)
		put8(&body, 0xa5);              /* random */
	put8(&body, 0);                         /* no session id */
	put16(&body, (uint16_t)(2 * nc));
	for (size_t i = 0; i < nc; i++)
		put16(&body, ciphers[i]);
	put8(&body, 1);
	put8(&body, 0);
	if (ne) {
		put16(&body, (uint16_t)ext.n);
		put(&body, ext.b, ext.n);
	}
	out->n = 0;
	put8(out, 0x16);
	put16(out, 0x0301);
	put16(out, (uint16_t)(body.n + 4));
	put8(out, 1);
	put8(out, 0);
	put16(out, (uint16_t)body.n);
	put(out, body.b, body.n);
}

static enum tls_status parse(const uint8_t *p, size_t n, struct tls_hello *h)
{
	size_t need = 12345;
	enum tls_status st = tls_parse_client_hello(p, n, h, &need);
	if (st != TLS_MORE)
		assert_int_equal(need, 0);
	return st;
}

static void assert_same(const struct tls_hello *a, const struct tls_hello *b)
{
	assert_int_equal(a->record_version, b->record_version);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->max_version, b->max_version);
	assert_string_equal(a->sni, b->sni);
	assert_string_equal(a->alpn, b->alpn);
	assert_string_equal(a->ja3, b->ja3);
	assert_string_equal(a->ja4, b->ja4);
}

/* Every prefix shorter than the stream must ask for more, and for more than it has. */
static void assert_prefixes_want_more(const uint8_t *p, size_t n, const struct tls_hello *want)
{
	struct tls_hello h;
	size_t need;

	for (size_t i = 0; i < n; i++) {
		need = 0;
		enum tls_status st = tls_parse_client_hello(p, i, &h, &need);
		if (st != TLS_MORE)
			fail_msg("prefix %zu of %zu: status %d", i, n, st);
		if (need <= i || need > n)
			fail_msg("prefix %zu of %zu: need %zu", i, n, need);
	}
	assert_int_equal(parse(p, n, &h), TLS_OK);
	assert_same(&h, want);
}

/* ---- real hellos -------------------------------------------------------------------- */

static void test_chrome(void **state)
{
	struct tls_hello h;
	size_t need;
	char ja3[1024], ja4r[1024];

	(void)state;
	assert_int_equal(tls_parse_client_hello_raw(chrome_hello, sizeof(chrome_hello), &h,
						    &need, ja3, sizeof(ja3), ja4r, sizeof(ja4r)),
			 TLS_OK);
	assert_int_equal(h.record_version, 0x0301);
	assert_int_equal(h.version, 0x0303);
	assert_int_equal(h.max_version, 0x0304);       /* 0x1a1a GREASE ignored */
	assert_string_equal(h.sni, "clients4.google.com");
	assert_string_equal(h.alpn, "h2,http/1.1");
	/* tshark 4.0.17 */
	assert_string_equal(ja3, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-"
			    "49172-156-157-47-53,0-23-65281-10-11-35-16-5-13-18-51-45-43-27-21,"
			    "29-23-24,0");
	assert_string_equal(h.ja3, "b32309a26951912be7dba376398abc3b");
	/* part b is the spec's own cipher example (same 15 ciphers) */
	assert_string_equal(h.ja4, "t13d1515h2_8daaf6152771_de4a06bb82e3");
	assert_string_equal(ja4r, "t13d1515h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,"
			    "c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,"
			    "0023,002b,002d,0033,ff01_0403,0804,0401,0503,0805,0501,0806,0601");
}

/* The JA4 spec's worked example: Chrome's hello with ALPS (0x4469) added. */
static void test_ja4_spec_example(void **state)
{
	struct bytes s = { .n = 0 };
	struct tls_hello h;
	char ja4r[1024];
	size_t need;
	/* extension 0x4469 (application_settings) with one protocol "h2" */
	static const uint8_t alps[] = { 0x44, 0x69, 0x00, 0x05, 0x00, 0x03, 0x02, 'h', '2' };
	const size_t ext_len_at = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 32 + 2;  /* after comp. */

	(void)state;
	/* copy, then fix the record, handshake and extensions lengths */
	put(&s, chrome_hello, sizeof(chrome_hello));
	put(&s, alps, sizeof(alps));
	s.b[3] = (uint8_t)((s.n - 5) >> 8);
	s.b[4] = (uint8_t)(s.n - 5);
	s.b[6] = 0;
	s.b[7] = (uint8_t)((s.n - 9) >> 8);
	s.b[8] = (uint8_t)(s.n - 9);
	assert_int_equal(chrome_hello[ext_len_at - 2], 1);     /* one compression method */
	s.b[ext_len_at] = (uint8_t)((s.n - ext_len_at - 2) >> 8);
	s.b[ext_len_at + 1] = (uint8_t)(s.n - ext_len_at - 2);

	assert_int_equal(tls_parse_client_hello_raw(s.b, s.n, &h, &need, NULL, 0, ja4r,
						    sizeof(ja4r)), TLS_OK);
	assert_string_equal(h.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
	assert_string_equal(ja4r, "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,"
			    "c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,"
			    "0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,"
			    "0601");
}

static void test_curl(void **state)
{
	struct tls_hello h;
	size_t need;
	char ja3[1024];

	(void)state;
	assert_int_equal(tls_parse_client_hello_raw(curl_hello, sizeof(curl_hello), &h, &need,
						    ja3, sizeof(ja3), NULL, 0), TLS_OK);
	assert_string_equal(h.sni, "www.example.com");
	assert_string_equal(h.alpn, "h2,http/1.1");
	assert_int_equal(h.version, 0x0303);
	assert_int_equal(h.max_version, 0x0304);
	/* tshark 4.0.17 */
	assert_string_equal(ja3, "771,4866-4867-4865-49196-49200-159-52393-52392-52394-49195-"
			    "49199-158-49188-49192-107-49187-49191-103-49162-49172-57-49161-"
			    "49171-51-157-156-61-60-53-47-255,0-11-10-16-22-23-49-13-43-45-51-21,"
			    "29-23-30-25-24-256-257-258-259-260,0-1-2");
	assert_string_equal(h.ja3, "0149f47eabf9a20d0893e2a44e5a6323");
	assert_string_equal(h.ja4, "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6");
}

static void test_openssl_sni_lowercase(void **state)
{
	struct tls_hello h;

	(void)state;
	assert_int_equal(parse(openssl_hello, sizeof(openssl_hello), &h), TLS_OK);
	assert_string_equal(h.sni, "mail.example.org");        /* sent as Mail.Example.ORG */
	assert_string_equal(h.ja3, "5a1edc7f170af1014fc65c994878e63c");   /* tshark 4.0.17 */
	assert_string_equal(h.ja4, "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4");
}

/* ---- rule 1: random, session id and key share are never copied ------------------------ */

static void assert_absent(const struct tls_hello *h, const uint8_t *secret, size_t n)
{
	const uint8_t *o = (const uint8_t *)h;

	for (size_t i = 0; i + 4 <= n; i++)
		if (memmem(o, sizeof(*h), secret + i, 4))
			fail_msg("bytes %zu..%zu of a secret field appear in the output", i, i + 3);
}

static void test_secrets_not_copied(void **state)
{
	const uint8_t *hellos[] = { chrome_hello, curl_hello, openssl_hello };
	const size_t lens[] = { sizeof(chrome_hello), sizeof(curl_hello), sizeof(openssl_hello) };
	static const uint8_t chrome_key_share[8] = { 0x70, 0xb4, 0x92, 0x9d, 0x12, 0xf6, 0x14, 0x8f };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct tls_hello h;
		struct bytes frag;
		const size_t cuts[] = { 40, 41 };
		const uint8_t *random = hellos[k] + 11;
		size_t sid_len = hellos[k][43];

		assert_int_equal(sid_len, 32);
		memset(&h, 0, sizeof(h));
		assert_int_equal(parse(hellos[k], lens[k], &h), TLS_OK);
		assert_absent(&h, random, 32);
		assert_absent(&h, hellos[k] + 44, sid_len);
		/* and through the reassembly path, with random split across records */
		split_records(hellos[k], lens[k], cuts, 2, &frag);
		assert_int_equal(parse(frag.b, frag.n, &h), TLS_OK);
		assert_absent(&h, random, 32);
		assert_absent(&h, hellos[k] + 44, sid_len);
	}
	struct tls_hello h;
	assert_int_equal(parse(chrome_hello, sizeof(chrome_hello), &h), TLS_OK);
	assert_absent(&h, chrome_key_share, sizeof(chrome_key_share));
}

/* ---- streaming and records ------------------------------------------------------------ */

static void test_every_prefix_wants_more(void **state)
{
	struct tls_hello want;

	(void)state;
	assert_int_equal(parse(chrome_hello, sizeof(chrome_hello), &want), TLS_OK);
	assert_prefixes_want_more(chrome_hello, sizeof(chrome_hello), &want);
	assert_int_equal(parse(curl_hello, sizeof(curl_hello), &want), TLS_OK);
	assert_prefixes_want_more(curl_hello, sizeof(curl_hello), &want);

	/* once the record header is there, the estimate is the record's end */
	struct tls_hello h;
	size_t need = 0;
	assert_int_equal(tls_parse_client_hello(chrome_hello, 5, &h, &need), TLS_MORE);
	assert_int_equal(need, sizeof(chrome_hello));
	/* trailing bytes after the hello (the next flight) do not matter */
	struct bytes s = { .n = 0 };
	put(&s, chrome_hello, sizeof(chrome_hello));
	put(&s, "\x14\x03\x03\x00\x01\x01", 6);
	assert_int_equal(parse(s.b, s.n, &h), TLS_OK);
	assert_int_equal(parse(chrome_hello, sizeof(chrome_hello), &want), TLS_OK);
	assert_same(&h, &want);
}

/* JA4 sorts its cipher list, short (insertion sort) and long (qsort) alike: a hello with its
 * ciphers in any order has the JA4 of the same hello with them in order; JA3 keeps order. */
static void test_ja4_sorts_any_length(void **state)
{
	static const size_t lens[] = { 3, 17, 64, 65, 300 };
	static uint16_t c[300], sorted[300];
	struct bytes a, b;
	struct tls_hello ha, hb;

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = lens[k];
		for (size_t i = 0; i < n; i++)
			sorted[i] = (uint16_t)(0x0100 + 3 * i);
		for (size_t i = 0; i < n; i++)          /* reversed, then two swapped */
			c[i] = sorted[n - 1 - i];
		uint16_t t = c[0];
		c[0] = c[n / 2];
		c[n / 2] = t;
		build_hello(&a, 0x0303, c, n, NULL, 0);
		build_hello(&b, 0x0303, sorted, n, NULL, 0);
		assert_int_equal(parse(a.b, a.n, &ha), TLS_OK);
		assert_int_equal(parse(b.b, b.n, &hb), TLS_OK);
		assert_string_equal(ha.ja4, hb.ja4);
		assert_string_not_equal(ha.ja3, hb.ja3);
	}
}

static void test_two_records(void **state)
{
	struct tls_hello want, h;
	struct bytes s;
	size_t mlen = sizeof(chrome_hello) - 5;

	(void)state;
	assert_int_equal(parse(chrome_hello, sizeof(chrome_hello), &want), TLS_OK);
	/* every cut point: inside the handshake header, the random, the ciphers, SNI, ... */
	for (size_t cut = 1; cut < mlen; cut++) {
		split_records(chrome_hello, sizeof(chrome_hello), &cut, 1, &s);
		assert_int_equal(s.n, sizeof(chrome_hello) + 5);
		memset(&h, 0xee, sizeof(h));
		if (parse(s.b, s.n, &h) != TLS_OK)
			fail_msg("cut at %zu", cut);
		assert_same(&h, &want);
	}
	/* and the whole two-record stream, byte by byte, for a few cuts */
	const size_t cuts[] = { 1, 3, 4, 100, 300, mlen - 1 };
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		split_records(chrome_hello, sizeof(chrome_hello), &cuts[i], 1, &s);
		assert_prefixes_want_more(s.b, s.n, &want);
	}
}

static void test_many_records(void **state)
{
	struct tls_hello want;
	struct bytes s;
	size_t cuts[64], n = 0;

	(void)state;
	assert_int_equal(parse(curl_hello, sizeof(curl_hello), &want), TLS_OK);
	for (size_t c = 2; c < sizeof(curl_hello) - 5 && n < 64; c += 9)
		cuts[n++] = c;
	split_records(curl_hello, sizeof(curl_hello), cuts, n, &s);
	assert_prefixes_want_more(s.b, s.n, &want);

	/* one byte per record */
	size_t ones[600];
	size_t m = sizeof(openssl_hello) - 5;
	for (size_t i = 1; i < m; i++)
		ones[i - 1] = i;
	split_records(openssl_hello, sizeof(openssl_hello), ones, m - 1, &s);
	assert_int_equal(parse(openssl_hello, sizeof(openssl_hello), &want), TLS_OK);
	assert_prefixes_want_more(s.b, s.n, &want);
}

/* ---- malformed and non-TLS ------------------------------------------------------------ */

static void test_not_tls(void **state)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
	static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	/* SSLv2-compatible CLIENT-HELLO (msg 1, version 3.1) */
	static const uint8_t sslv2[] = { 0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00 };
	/* a ServerHello record, application data, an alert */
	static const uint8_t server_hello[] = { 0x16, 0x03, 0x03, 0x00, 0x4a, 0x02, 0x00 };
	static const uint8_t appdata[] = { 0x17, 0x03, 0x03, 0x00, 0x20 };
	static const uint8_t alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
	static const uint8_t bad_major[] = { 0x16, 0x02 };
	static const uint8_t bad_minor[] = { 0x16, 0x03, 0x09 };
	struct tls_hello h;

	(void)state;
	assert_int_equal(parse((const uint8_t *)http, strlen(http), &h), TLS_NOT_TLS);
	assert_int_equal(parse((const uint8_t *)http, 1, &h), TLS_NOT_TLS);     /* "G" */
	assert_int_equal(parse((const uint8_t *)ssh, strlen(ssh), &h), TLS_NOT_TLS);
	assert_int_equal(parse((const uint8_t *)ssh, 1, &h), TLS_NOT_TLS);
	assert_int_equal(parse(sslv2, sizeof(sslv2), &h), TLS_NOT_TLS);
	assert_int_equal(parse(sslv2, 1, &h), TLS_NOT_TLS);
	assert_int_equal(parse(server_hello, sizeof(server_hello), &h), TLS_NOT_TLS);
	assert_int_equal(parse(server_hello, 6, &h), TLS_NOT_TLS);
	assert_int_equal(parse(appdata, sizeof(appdata), &h), TLS_NOT_TLS);
	assert_int_equal(parse(alert, sizeof(alert), &h), TLS_NOT_TLS);
	assert_int_equal(parse(bad_major, 2, &h), TLS_NOT_TLS);
	assert_int_equal(parse(bad_minor, 3, &h), TLS_NOT_TLS);
	/* plausible prefixes wait */
	assert_int_equal(parse(chrome_hello, 0, &h), TLS_MORE);
	for (size_t i = 1; i <= 6; i++)
		assert_int_equal(parse(chrome_hello, i, &h), TLS_MORE);
}

/* Copy of the Chrome hello with one byte replaced. */
static enum tls_status parse_patched(size_t at, uint8_t v)
{
	struct bytes s = { .n = 0 };
	struct tls_hello h;

	put(&s, chrome_hello, sizeof(chrome_hello));
	s.b[at] = v;
	return parse(s.b, s.n, &h);
}

static void test_malformed(void **state)
{
	struct tls_hello h;
	struct bytes s;

	(void)state;
	/* offsets in the Chrome hello */
	const size_t sid_len = 43, ciph_len = 76, comp_len = 110, ext_len = 112, first_ext = 114;

	assert_int_equal(chrome_hello[ciph_len + 1], 0x20);
	assert_int_equal(chrome_hello[comp_len], 1);
	assert_int_equal(parse_patched(sid_len, 33), TLS_ERR);          /* session id > 32 */
	assert_int_equal(parse_patched(ciph_len + 1, 0x21), TLS_ERR);    /* odd cipher length */
	assert_int_equal(parse_patched(ciph_len, 0x02), TLS_ERR);        /* ciphers overrun */
	assert_int_equal(parse_patched(comp_len, 0), TLS_ERR);           /* no compression */
	assert_int_equal(parse_patched(ext_len + 1, 0x94), TLS_ERR);     /* block != rest */
	assert_int_equal(parse_patched(ext_len + 1, 0x92), TLS_ERR);
	assert_int_equal(parse_patched(first_ext + 2, 0x7f), TLS_ERR);   /* extension overruns */
	/* SNI: server_name_list length disagrees with the extension */
	assert_int_equal(chrome_hello[first_ext + 4], 0x00);             /* ext 0x0000 ... */
	assert_int_equal(chrome_hello[first_ext + 9], 0x16);
	assert_int_equal(parse_patched(first_ext + 9, 0x15), TLS_ERR);
	/* handshake length too small to be a ClientHello */
	assert_int_equal(parse_patched(7, 0), TLS_ERR);
	/* zero-length first record */
	static const uint8_t empty_rec[] = { 0x16, 0x03, 0x01, 0x00, 0x00 };
	assert_int_equal(parse(empty_rec, sizeof(empty_rec), &h), TLS_ERR);
	/* second fragment carried by a non-handshake record */
	const size_t cut = 50;
	split_records(chrome_hello, sizeof(chrome_hello), &cut, 1, &s);
	s.b[5 + cut] = 0x17;
	assert_int_equal(parse(s.b, s.n, &h), TLS_ERR);
	/* a handshake message longer than the bound */
	static const uint8_t huge[] = { 0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x01, 0x00, 0x00 };
	assert_int_equal(parse(huge, sizeof(huge), &h), TLS_ERR);
}

/* Truncations and single-byte corruptions of every real hello never crash and never leave
 * an unterminated string (run under ASan/UBSan by `make san-test`); the parse without
 * fingerprints agrees with the full one on each: status, need and every field but the two
 * fingerprints, which it leaves "". */
static void test_corruption_survives(void **state)
{
	const uint8_t *hellos[] = { chrome_hello, curl_hello, openssl_hello };
	const size_t lens[] = { sizeof(chrome_hello), sizeof(curl_hello), sizeof(openssl_hello) };
	static const uint8_t vals[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };

	(void)state;
	for (size_t k = 0; k < 3; k++) {
		struct bytes s = { .n = 0 };
		put(&s, hellos[k], lens[k]);
		for (size_t at = 0; at < lens[k]; at++) {
			uint8_t keep = s.b[at];
			for (size_t v = 0; v < sizeof(vals); v++) {
				struct tls_hello h;
				size_t need = 0;
				s.b[at] = vals[v];
				enum tls_status st = tls_parse_client_hello(s.b, s.n, &h, &need);
				assert_true(st <= TLS_ERR);
				assert_true(memchr(h.sni, 0, sizeof(h.sni)) != NULL);
				assert_true(memchr(h.alpn, 0, sizeof(h.alpn)) != NULL);
				if (st == TLS_OK)
					assert_int_equal(strlen(h.ja4), 36);
				if (st == TLS_MORE)
					assert_true(need > s.n);
				struct tls_hello lite;
				size_t lneed = 0;
				assert_int_equal(tls_parse_client_hello_nofp(s.b, s.n, &lite, &lneed), st);
				assert_int_equal(lneed, need);
				assert_string_equal(lite.ja3, "");
				assert_string_equal(lite.ja4, "");
				memcpy(lite.ja3, h.ja3, sizeof(h.ja3));
				memcpy(lite.ja4, h.ja4, sizeof(h.ja4));
				assert_memory_equal(&lite, &h, sizeof(h));
			}
			s.b[at] = keep;
		}
	}
}

/* ---- field rules on built hellos ------------------------------------------------------ */

static void ja4_of(const struct ext *exts, size_t ne, const uint16_t *c, size_t nc,
		   uint16_t version, struct tls_hello *h, char *raw, size_t raw_size)
{
	struct bytes s;
	size_t need;

	build_hello(&s, version, c, nc, exts, ne);
	assert_int_equal(tls_parse_client_hello_raw(s.b, s.n, h, &need, NULL, 0, raw, raw_size),
			 TLS_OK);
}

static void test_alpn_rules(void **state)
{
	static const uint16_t c[] = { 0x1301 };
	struct tls_hello h;
	char raw[512];

	(void)state;
	/* no ALPN */
	ja4_of(NULL, 0, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.alpn, "");
	assert_memory_equal(h.ja4, "t12i0100", 8);
	/* http/1.1 -> "h1" */
	struct ext e1[] = { { 0x0010, "000908687474702f312e31" } };
	ja4_of(e1, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.alpn, "http/1.1");
	assert_memory_equal(h.ja4, "t12i0101h1_", 11);
	/* spec: 0xAB 0xCD -> "ad"; 0x30 0xAB -> "3b"; 0x30 0xAB 0xCD 0x31 -> "01" */
	struct ext e2[] = { { 0x0010, "000302abcd" } };
	ja4_of(e2, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4 + 8, "ad", 2);
	assert_string_equal(h.alpn, "\\xab\\xcd");
	struct ext e3[] = { { 0x0010, "00030230ab" } };
	ja4_of(e3, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4 + 8, "3b", 2);
	struct ext e4[] = { { 0x0010, "00050430abcd31" } };
	ja4_of(e4, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4 + 8, "01", 2);
	/* single character counts twice; an empty first value is "00" */
	struct ext e5[] = { { 0x0010, "00050178026832" } };
	ja4_of(e5, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4 + 8, "xx", 2);
	struct ext e6[] = { { 0x0010, "000400026832" } };
	ja4_of(e6, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4 + 8, "00", 2);
	assert_string_equal(h.alpn, ",h2");
	/* a comma inside a protocol name cannot be confused with the separator */
	struct ext e7[] = { { 0x0010, "000603612c6201" "63" } };
	ja4_of(e7, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.alpn, "a\\x2cb,c");
	/* ALPN overrun is malformed */
	struct bytes s;
	struct ext e8[] = { { 0x0010, "0003056832" } };
	build_hello(&s, 0x0303, c, 1, e8, 1);
	assert_int_equal(parse(s.b, s.n, &h), TLS_ERR);
}

static void test_sni_rules(void **state)
{
	static const uint16_t c[] = { 0x002f };
	struct tls_hello h;
	char raw[512];

	(void)state;
	/* non-printable host name: not kept, but the extension still makes JA4 "d" */
	struct ext e1[] = { { 0x0000, "000700000461620a63" } };
	ja4_of(e1, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.sni, "");
	assert_memory_equal(h.ja4, "t12d0101", 8);
	/* upper case is folded */
	struct ext e2[] = { { 0x0000, "000600000341624300" } };
	struct bytes s;
	build_hello(&s, 0x0303, c, 1, e2, 1);
	assert_int_equal(parse(s.b, s.n, &h), TLS_ERR);         /* list length 6, 7 present */
	struct ext e3[] = { { 0x0000, "0006000003416243" } };
	ja4_of(e3, 1, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.sni, "abc");
	/* a repeated server_name extension does not replace the first */
	struct ext e4[] = { { 0x0000, "0006000003616263" }, { 0x0000, "0006000003787978" } };
	ja4_of(e4, 2, c, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.sni, "abc");
}

/* Lists longer than TLS_LIST_MAX are refused rather than fingerprinted in part. */
static void test_list_bounds(void **state)
{
	static uint16_t c[TLS_LIST_MAX + 1];
	struct tls_hello h;
	struct bytes s;

	(void)state;
	for (size_t i = 0; i <= TLS_LIST_MAX; i++)
		c[i] = (uint16_t)(0x0100 + i);
	build_hello(&s, 0x0303, c, TLS_LIST_MAX, NULL, 0);
	assert_int_equal(parse(s.b, s.n, &h), TLS_OK);
	build_hello(&s, 0x0303, c, TLS_LIST_MAX + 1, NULL, 0);
	assert_int_equal(parse(s.b, s.n, &h), TLS_ERR);

	/* supported_groups with TLS_LIST_MAX + 1 entries */
	static char hex[4 * (TLS_LIST_MAX + 1) + 8];
	size_t k = (size_t)sprintf(hex, "%04x", 2 * (TLS_LIST_MAX + 1));
	for (size_t i = 0; i <= TLS_LIST_MAX; i++)
		k += (size_t)sprintf(hex + k, "%04x", (unsigned)(0x0100 + i));
	struct ext e[] = { { 0x000a, hex } };
	static const uint16_t one[] = { 0x1301 };
	struct bytes big;
	build_hello(&big, 0x0303, one, 1, e, 1);
	assert_int_equal(parse(big.b, big.n, &h), TLS_ERR);
}

static void test_ja4_rules(void **state)
{
	struct tls_hello h;
	char raw[2048], ja3[2048];
	size_t need;
	struct bytes s;

	(void)state;
	/* no extensions, TLS 1.0: JA3 has empty lists, JA4 c is all zeros */
	static const uint16_t c1[] = { 0x002f, 0x0035, 0x0a0a };
	build_hello(&s, 0x0301, c1, 3, NULL, 0);
	assert_int_equal(tls_parse_client_hello_raw(s.b, s.n, &h, &need, ja3, sizeof(ja3), raw,
						    sizeof(raw)), TLS_OK);
	assert_string_equal(ja3, "769,47-53,,,");
	assert_int_equal(h.max_version, 0x0301);
	assert_string_equal(raw, "t10i020000_002f,0035_");
	assert_memory_equal(h.ja4, "t10i020000_", 11);
	assert_string_equal(h.ja4 + 24, "000000000000");
	/* only GREASE ciphers: b is all zeros */
	static const uint16_t c2[] = { 0x1a1a };
	struct ext e2[] = { { 0x0017, "" } };
	ja4_of(e2, 1, c2, 1, 0x0300, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4, "ts3i0001", 8);
	assert_memory_equal(h.ja4 + 11, "000000000000", 12);
	/* unknown version -> "00"; counts capped at 99 */
	uint16_t many[120];
	for (size_t i = 0; i < 120; i++)
		many[i] = (uint16_t)(0x0100 + i);
	ja4_of(NULL, 0, many, 120, 0x0305, &h, raw, sizeof(raw));
	assert_memory_equal(h.ja4, "t00i9900", 8);
	/* spec: extension list with no signature algorithms hashes without the "_" */
	static const uint16_t c3[] = { 0x1301 };
	struct ext e3[] = {
		{ 0x001b, "020002" }, { 0x0000, "000600000361626300" }, { 0x0033, "0000" },
		{ 0x0010, "0003026832" }, { 0x4469, "0003026832" }, { 0x0017, "" },
		{ 0x002d, "0101" }, { 0x000d, "0000" }, { 0x0005, "0100000000" },
		{ 0x0023, "" }, { 0x0012, "" }, { 0x002b, "020304" }, { 0xff01, "00" },
		{ 0x000b, "0100" }, { 0x000a, "0002001d" }, { 0x0015, "0000" },
	};
	e3[1].hex = "0006000003616263";
	ja4_of(e3, 16, c3, 1, 0x0303, &h, raw, sizeof(raw));
	assert_string_equal(h.sni, "abc");
	assert_memory_equal(h.ja4, "t13d0116h2_", 11);
	assert_string_equal(h.ja4 + 24, "6d807ffa2a79");
	assert_string_equal(strchr(raw + 11, '_'),
			    "_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,"
			    "ff01");
	/* supported_versions: GREASE ignored, highest wins, whatever the order */
	struct ext e4[] = { { 0x002b, "06030403047a7a" } };
	ja4_of(e4, 1, c3, 1, 0x0303, &h, raw, sizeof(raw));
	assert_int_equal(h.max_version, 0x0304);
	assert_int_equal(h.version, 0x0303);
	assert_memory_equal(h.ja4, "t13", 3);
}

/* Lists long enough that the fingerprint text is hashed in several pieces: the JA3 hash is
 * the MD5 of the whole raw text, the JA4 parts the SHA-256 of theirs, and the raw text is
 * what a plain printf of the lists gives. */
static void test_long_lists_hash_whole_text(void **state)
{
	static uint16_t c[1000];
	static char want3[8192], want4[8192], ja3[16384], ja4r[16384], sig_hex[4 * 600 + 8];
	static const char hexd[] = "0123456789abcdef";
	struct tls_hello h;
	struct bytes s;
	size_t need = 0, k3, k4, k;

	(void)state;
	for (size_t i = 0; i < 1000; i++)       /* 1 to 5 digits, some GREASE-free big ones */
		c[i] = (uint16_t)(i < 500 ? i * 7 : 40000 + i * 13);
	k = (size_t)sprintf(sig_hex, "%04x", 2 * 600);
	for (size_t i = 0; i < 600; i++)
		k += (size_t)sprintf(sig_hex + k, "%04x", (unsigned)(0x0400 + i));
	struct ext e[] = { { 0x000d, sig_hex } };
	build_hello(&s, 0x0303, c, 1000, e, 1);
	assert_int_equal(tls_parse_client_hello_raw(s.b, s.n, &h, &need, ja3, sizeof(ja3), ja4r,
						    sizeof(ja4r)), TLS_OK);

	k3 = (size_t)sprintf(want3, "771,");
	for (size_t i = 0; i < 1000; i++)
		k3 += (size_t)sprintf(want3 + k3, "%s%u", i ? "-" : "", (unsigned)c[i]);
	k3 += (size_t)sprintf(want3 + k3, ",13,,");
	assert_string_equal(ja3, want3);
	char md5hex[33];
	MD5Data((const uint8_t *)want3, k3, md5hex);
	assert_string_equal(h.ja3, md5hex);

	/* part b: the ciphers are already in order */
	k4 = 0;
	for (size_t i = 0; i < 1000; i++)
		k4 += (size_t)sprintf(want4 + k4, "%s%04x", i ? "," : "", (unsigned)c[i]);
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)want4, k4);
	char b[13];
	for (int i = 0; i < 6; i++) {
		b[2 * i] = hexd[d[i] >> 4];
		b[2 * i + 1] = hexd[d[i] & 15];
	}
	b[12] = '\0';
	assert_memory_equal(h.ja4, "t12i9901", 8);
	assert_memory_equal(h.ja4 + 11, b, 12);
	assert_memory_equal(ja4r + 11, want4, k4);

	/* part c: extension 000d, "_", the 600 sigalgs */
	k4 = (size_t)sprintf(want4, "000d_");
	for (size_t i = 0; i < 600; i++)
		k4 += (size_t)sprintf(want4 + k4, "%s%04x", i ? "," : "", (unsigned)(0x0400 + i));
	crypto_hash_sha256(d, (const unsigned char *)want4, k4);
	for (int i = 0; i < 6; i++) {
		b[2 * i] = hexd[d[i] >> 4];
		b[2 * i + 1] = hexd[d[i] & 15];
	}
	assert_memory_equal(h.ja4 + 24, b, 12);
	assert_string_equal(ja4r + strlen(ja4r) - k4, want4);
	assert_int_equal(strlen(ja4r), 11 + 5 * 1000 - 1 + 1 + k4);
}

static void test_version_name(void **state)
{
	char b[8];

	(void)state;
	assert_string_equal(tls_version_name(0x0304, b), "TLSv1.3");
	assert_string_equal(tls_version_name(0x0303, b), "TLSv1.2");
	assert_string_equal(tls_version_name(0x0302, b), "TLSv1.1");
	assert_string_equal(tls_version_name(0x0301, b), "TLSv1.0");
	assert_string_equal(tls_version_name(0x0300, b), "SSLv3");
	assert_string_equal(tls_version_name(0x7f1c, b), "0x7f1c");
	assert_ptr_equal(tls_version_name(0xfafa, b), b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chrome),
		cmocka_unit_test(test_ja4_spec_example),
		cmocka_unit_test(test_curl),
		cmocka_unit_test(test_openssl_sni_lowercase),
		cmocka_unit_test(test_secrets_not_copied),
		cmocka_unit_test(test_every_prefix_wants_more),
		cmocka_unit_test(test_two_records),
		cmocka_unit_test(test_many_records),
		cmocka_unit_test(test_ja4_sorts_any_length),
		cmocka_unit_test(test_not_tls),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_corruption_survives),
		cmocka_unit_test(test_alpn_rules),
		cmocka_unit_test(test_sni_rules),
		cmocka_unit_test(test_ja4_rules),
		cmocka_unit_test(test_list_bounds),
		cmocka_unit_test(test_long_lists_hash_whole_text),
		cmocka_unit_test(test_version_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

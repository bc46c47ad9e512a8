/*
 * tls.h — mechanical information of a TLS ClientHello: SNI, ALPN, versions and the JA3 and
 * JA4 fingerprints. Only the handshake parameters are read; the random, session id and key
 * shares are not copied anywhere.
 *
 * JA3: MD5 of "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats",
 *      decimal values joined by '-', GREASE values removed (salesforce/ja3).
 * JA4: "t" + version + "d"/"i" + cipher count + extension count + first ALPN chars, then the
 *      first 12 hex digits of SHA-256 over sorted ciphers, and over sorted extensions (minus
 *      SNI and ALPN) followed by "_" and the signature algorithms (FoxIO JA4, TCP only).
 */
#ifndef SK_TLS_H
#define SK_TLS_H

#include <stddef.h>
#include <stdint.h>

#define TLS_SNI_MAX 256
#define TLS_ALPN_MAX 128        /* protocols joined by ',' */
#define TLS_HELLO_MAX 16384     /* longest ClientHello body accepted; longer is TLS_ERR */
#define TLS_LIST_MAX 1024       /* most ciphers, extensions or sigalgs kept; more is TLS_ERR */

struct tls_hello {
	uint16_t record_version;    /* of the record layer */
	uint16_t version;           /* legacy_version of the ClientHello */
	uint16_t max_version;       /* highest non-GREASE supported_versions entry, else version */
	char sni[TLS_SNI_MAX];      /* lower-case host_name, "" when absent */
	char alpn[TLS_ALPN_MAX];    /* e.g. "h2,http/1.1" */
	char ja3[33];               /* MD5 hex */
	char ja4[40];               /* e.g. t13d1516h2_8daaf6152771_e5627efa2ab1 */
};

enum tls_status {
	TLS_OK = 0,
	TLS_MORE,                   /* a ClientHello has begun; *need says how many bytes in all */
	TLS_NOT_TLS,                /* does not start with a handshake record */
	TLS_ERR,                    /* malformed ClientHello */
};

/* Parse a ClientHello from the start of the client's stream (one or more TLS records).
 * On TLS_MORE, *need (OUT) is the total stream length required, capped by the caller. */
enum tls_status tls_parse_client_hello(const uint8_t *data, size_t len, struct tls_hello *out,
				       size_t *need);
/* As tls_parse_client_hello, with the same status, need and fields, but without the
 * fingerprints: ja3 and ja4 are left "". Hashing them is most of a hello's cost (a typical
 * hello: about 1,500 instructions without, 13,600 with), and most hellos belong to traffic
 * nothing selects; a caller that finds it needs them parses the same bytes again with
 * tls_parse_client_hello. */
enum tls_status tls_parse_client_hello_nofp(const uint8_t *data, size_t len,
					    struct tls_hello *out, size_t *need);
/* As tls_parse_client_hello, and also writes the exact text hashed for JA3 ("771,4865-…")
 * and the JA4_r raw string ("t13d…_002f,…_0005,…_0403,…") into the caller's buffers
 * (either may be NULL; truncated to size, always terminated). For tests and tools. */
enum tls_status tls_parse_client_hello_raw(const uint8_t *data, size_t len,
					   struct tls_hello *out, size_t *need,
					   char *ja3_raw, size_t ja3_size,
					   char *ja4_raw, size_t ja4_size);
/* Human name of a version: "TLSv1.3", "TLSv1.2", … "SSLv3" ("0x%04x" for others), into buf. */
const char *tls_version_name(uint16_t v, char buf[8]);

#endif

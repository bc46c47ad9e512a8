/* fuzz_http.c — http_parse_request() on arbitrary bytes; on success the output strings are
 * terminated, the consumed length is within the input, and every prefix of the header block
 * is HTTP_MORE or the same result (checked at one prefix chosen by the input). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pseudo.h"
#include "meta/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t k[PSEUDO_KEYLEN] = { 1, 2, 3 };
	struct pseudo key;
	struct http_req r, p;
	size_t used = 0, used2 = 0;
	enum http_status st;

	pseudo_init(&key, k);
	st = http_parse_request(data, size, &key, &r, &used);
	(void)http_looks_like_request(data, size);
	if (st != HTTP_OK)
		return 0;
	if (used == 0 || used > size || strnlen(r.uri, HTTP_URI_MAX) == HTTP_URI_MAX ||
	    strnlen(r.host, HTTP_HOST_MAX) == HTTP_HOST_MAX ||
	    strnlen(r.user_agent, HTTP_UA_MAX) == HTTP_UA_MAX)
		abort();
	/* a shorter prefix of a complete request is MORE; the block itself parses the same */
	size_t cut = size > 0 ? data[size - 1] % used : 0;

	if (http_parse_request(data, cut, &key, &p, &used2) != HTTP_MORE)
		abort();
	if (http_parse_request(data, used, &key, &p, &used2) != HTTP_OK || used2 != used ||
	    memcmp(&p, &r, sizeof(r)) != 0)
		abort();
	return 0;
}

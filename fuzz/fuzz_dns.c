/* fuzz_dns.c — dns_parse() on arbitrary bytes: never reads outside the input, and an OK
 * result is internally consistent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "meta/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_msg m;

	if (dns_parse(data, size, &m) != DNS_OK)
		return 0;
	if (m.nanswers > DNS_MAX_ANSWERS || m.nanswers > m.answers_seen ||
	    strlen(m.qname) >= DNS_NAME_MAX)
		abort();
	for (unsigned i = 0; i < m.nanswers; i++)
		if (strlen(m.ans[i].name) >= DNS_NAME_MAX)
			abort();
	return 0;
}

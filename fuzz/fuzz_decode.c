/* fuzz_decode.c — pkt_decode on any bytes: the first byte picks the link type. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int linktypes[] = {
	LINK_ETHERNET, LINK_NULL, LINK_RAW, LINK_LOOP, LINK_LINUX_SLL, LINK_LINUX_SLL2,
	12, 14, 228, 229,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	uint8_t *frame;
	enum pkt_err e;

	if (size < 1)
		return 0;
	/* An exact-size copy, so that any read past caplen is caught by ASan. */
	frame = malloc(size - 1 ? size - 1 : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + 1, size - 1);
	e = pkt_decode(linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))], frame,
		       (uint32_t)(size - 1), &p);
	if ((unsigned)e >= PKT_ERR__COUNT)
		abort();
	if (p.payload) {
		if (p.payload < frame || p.payload + p.payload_len > frame + (size - 1) || !p.has_l4)
			abort();
		volatile uint8_t sink = 0;
		for (uint32_t i = 0; i < p.payload_len; i++)
			sink ^= p.payload[i];
		(void)sink;
	} else if (p.payload_len) {
		abort();
	}
	free(frame);
	return 0;
}

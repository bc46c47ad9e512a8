/* fuzz_smtp.c — smtp_feed() on arbitrary client streams fed in pieces whose sizes come from
 * the first byte; the commands reported must not depend on where the stream was cut. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/pseudo.h"
#include "meta/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct digest {
	unsigned n;
	uint32_t h;   /* FNV-1a over kinds and values, in order */
};

static void cb(void *ctx, const struct smtp_cmd *cmd)
{
	struct digest *d = ctx;
	size_t n = strnlen(cmd->value, SMTP_VALUE_MAX);

	if (n == SMTP_VALUE_MAX)
		abort();
	d->n++;
	d->h = (d->h ^ (uint32_t)cmd->kind) * 16777619u;
	for (size_t i = 0; i < n; i++)
		d->h = (d->h ^ (uint8_t)cmd->value[i]) * 16777619u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t k[PSEUDO_KEYLEN] = { 7 };
	struct pseudo key;
	struct smtp_state st;
	struct digest whole = { 0, 2166136261u }, parts = { 0, 2166136261u };
	size_t step, off;

	if (size < 1)
		return 0;
	pseudo_init(&key, k);
	step = (size_t)data[0] % 16 + 1;
	data++;
	size--;

	smtp_init(&st);
	smtp_feed(&st, data, size, &key, cb, &whole);
	uint32_t errors = st.errors;

	smtp_wipe(&st);
	smtp_init(&st);
	/* the first piece ends at a point chosen by the first byte, the rest in steps */
	off = size ? ((size_t)data[0] * 131u) % (size + 1) : 0;
	smtp_feed(&st, data, off, &key, cb, &parts);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;

		smtp_feed(&st, data + off, n, &key, cb, &parts);
		off += n;
	}
	if (whole.n != parts.n || whole.h != parts.h || errors != st.errors)
		abort();
	smtp_wipe(&st);
	return 0;
}

/* fuzz_sth.c — the signed-tree-head parsers on arbitrary bytes: the stored binary form
 * (sth_parse), the JSON form (sth_from_json) and an export element (audit_load_json), plus
 * a saved head against a log (audit_check_head). Never reads outside the input; whatever
 * parses round-trips to the same head. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "audit/auditlog.h"
#include "audit/sth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t pk[AUDIT_PKLEN] = { 0x3d, 0x40, 0x17, 0xc3, 0xe8, 0x43, 0x89, 0x5a };
	struct sth h, g;
	uint8_t bin[STH_BINLEN];
	char err[256];
	json_t *j, *k;

	if (sth_parse(&h, data, size) == 0) {
		sth_serialize(&h, bin);
		if (size != STH_BINLEN || memcmp(bin, data, size) != 0)
			abort();
		(void)sth_verify(&h, pk);
	}

	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (!j)
		return 0;
	if (sth_from_json(&h, j, err, sizeof(err)) == 0) {
		k = sth_to_json(&h);
		if (!k || sth_from_json(&g, k, err, sizeof(err)) != 0 || memcmp(&g, &h, sizeof(h)) != 0)
			abort();
		json_decref(k);
		(void)sth_verify(&h, pk);
	}
	{
		struct auditlog *al = audit_new_verifier(pk);
		const json_t *e;
		size_t i;

		if (!al)
			abort();
		(void)audit_load_json(al, j, err, sizeof(err));
		if (json_is_array(j))
			json_array_foreach(j, i, e)
				if (audit_load_json(al, e, err, sizeof(err)) < 0)
					break;
		(void)audit_check_head(al, j, err, sizeof(err));
		audit_free(al);
	}
	json_decref(j);
	return 0;
}

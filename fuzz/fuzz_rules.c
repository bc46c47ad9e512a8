/* fuzz_rules.c — the selector file parser (sel_parse) on arbitrary text, with two list files
 * held in memory, then matching on the set it yields.
 *
 * Input: <selector text> NUL <a.txt> NUL <b.txt>. A refused file must say why in one line
 * "NAME:LINE: reason"; an accepted set must answer its accessors and match without fault. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "select/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No compiled-pattern cache: one file per input would pile up in the cache directory. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("SAKIMORI_CACHE_DIR", "off", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *part[3] = { "", "", "" };
	size_t len[3] = { 0, 0, 0 }, k = 0, start = 0;
	char err[256], field[64];
	struct sel_set *s;

	for (size_t i = 0; i <= size && k < 3; i++) {
		if (i == size || data[i] == 0) {
			part[k] = (const char *)data + start;
			len[k++] = i - start;
			start = i + 1;
		}
	}
	struct sel_memfile files[2] = {
		{ "a.txt", part[1], len[1] },
		{ "b.txt", part[2], len[2] },
	};
	err[0] = '\0';
	s = sel_parse("fuzz.conf", part[0], len[0], files, 2, err, sizeof(err));
	if (!s) {
		if (!err[0] || strchr(err, '\n') || !strchr(err, ':'))
			abort();
		return 0;
	}

	size_t n = sel_count(s);
	for (size_t i = 0; i < n; i++) {
		const char *id = sel_id(s, i);
		if (!id || sel_find(s, id) != (long)i || !sel_approval_of(s, i))
			abort();
	}

	struct sel_scratch *sc = sel_scratch_new();
	uint64_t *bits = calloc(sel_words(s) + 1, sizeof(*bits));
	if (!sc || !bits || sel_scratch_fit(sc, s) < 0)
		abort();
	/* a few observations built from the list texts */
	size_t fl = len[1] < sizeof(field) - 1 ? len[1] : sizeof(field) - 1;
	memcpy(field, part[1], fl);
	field[fl] = '\0';
	for (int round = 0; round < 4; round++) {
		struct sel_obs o;
		memset(&o, 0, sizeof(o));
		o.ts_us = 1800000000000000ull + (uint64_t)round * 86400000000ull * 200;
		o.dir = (enum direction)(round % DIR__COUNT) == DIR_UNKNOWN ? DIR_FD
		                                                            : (enum direction)round;
		if (addr_parse(&o.src, "198.51.100.1") < 0 || addr_parse(&o.dst, "2001:db8::1") < 0)
			abort();
		if (len[2] >= 16)
			memcpy(o.src.b, part[2], 16);
		o.proto = round & 1 ? 6 : 17;
		o.sport = 443;
		o.dport = (uint16_t)(len[1] & 0xffff);
		for (int f = 0; f < SEL_F__COUNT; f++)
			o.field[f] = field;
		o.ja3 = field;
		o.ja4 = field;
		o.names[0] = field;
		o.nnames = 1;
		int r = sel_match(s, sc, &o, bits);
		size_t nh;
		const uint32_t *h = sel_scratch_hits(sc, &nh);
		if (r < 0 || (size_t)r != nh || nh > n)
			abort();
		for (size_t i = 0; i < nh; i++)
			if (h[i] >= n || !sel_eligible(sel_approval_of(s, h[i]), o.dir, o.ts_us, &o.src,
						       &o.dst))
				abort();
	}
	free(bits);
	sel_scratch_free(sc);
	sel_set_free(s);
	return 0;
}

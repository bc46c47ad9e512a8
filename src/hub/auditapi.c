/*
 * auditapi.c — the audit log over the API (rule 6), in the shape of RFC 6962's get-sth,
 * get-proof-by-hash (by index here), get-sth-consistency and get-entries.
 *
 *   GET /audit/key                         {"algorithm": "Ed25519", "public_key": b64}
 *   GET /audit/sth                         the latest signed tree head
 *   GET /audit/entries?start=&end=         [start, end), at most AUDIT_API_MAX_ENTRIES per
 *                                          call (end is clamped, as get-entries allows)
 *   GET /audit/proof/inclusion?index=&size=        size defaults to the current tree size
 *   GET /audit/proof/consistency?first=&second=    second defaults to the current tree size
 *
 * The log is in memory (auditlog.h), so these handlers never touch the store. Numbers are
 * plain decimal; anything else is 400, as are ranges the log refuses (its reason is passed on).
 */
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "hub/domain.h"

#define AUDIT_API_MAX_ENTRIES 1000

/* ?key= as a decimal uint64; *present says whether it was given. -1 with a 400 set otherwise. */
static int query_u64(const struct hub_req *req, struct hub_resp *resp, const char *key, uint64_t *out, int *present)
{
	const char *s = hub_query(req, key);

	*present = s != NULL;
	if (s && hd_parse_u64(s, UINT64_MAX, out)) {
		hub_fail(resp, 400, "%s: not a non-negative decimal number", key);
		return -1;
	}
	return 0;
}

void h_audit_key(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	char b64[sodium_base64_ENCODED_LEN(AUDIT_PKLEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(b64, sizeof(b64), hub->audit_pk, AUDIT_PKLEN, sodium_base64_VARIANT_ORIGINAL);
	hub_ok(resp, 200, json_pack("{s:s, s:s}", "algorithm", "Ed25519", "public_key", b64));
}

void h_audit_sth(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	json_t *sth = audit_sth_json(hub->al);

	if (!sth) {
		hub_fail(resp, 404, "the audit log is empty");
		return;
	}
	hub_ok(resp, 200, sth);
}

void h_audit_entries(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	uint64_t start = 0, end = 0, size = audit_size(hub->al);
	int has_start, has_end;
	char err[160];
	json_t *arr;

	if (query_u64(req, resp, "start", &start, &has_start) || query_u64(req, resp, "end", &end, &has_end))
		return;
	if (!has_end)
		end = size;
	if (start >= size || end <= start) {
		hub_fail(resp, 400, "want 0 <= start < end, start < tree size %llu", (unsigned long long)size);
		return;
	}
	if (end > size)
		end = size;
	if (end - start > AUDIT_API_MAX_ENTRIES)
		end = start + AUDIT_API_MAX_ENTRIES;
	arr = audit_entries_json(hub->al, start, end, err, sizeof(err));
	if (!arr) {
		hub_fail(resp, 400, "%s", err);
		return;
	}
	hub_ok(resp, 200, json_pack("{s:o, s:I, s:I, s:I}", "entries", arr, "start", (json_int_t)start, "end",
				    (json_int_t)end, "tree_size", (json_int_t)size));
}

void h_audit_inclusion(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	uint64_t index = 0, size = audit_size(hub->al);
	int has_index, has_size;
	char err[160];
	json_t *p;

	if (query_u64(req, resp, "index", &index, &has_index) || query_u64(req, resp, "size", &size, &has_size))
		return;
	if (!has_index) {
		hub_fail(resp, 400, "index: required");
		return;
	}
	p = audit_inclusion_json(hub->al, index, size, err, sizeof(err));
	if (!p) {
		hub_fail(resp, 400, "%s", err);
		return;
	}
	hub_ok(resp, 200, p);
}

void h_audit_consistency(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	uint64_t first = 0, second = audit_size(hub->al);
	int has_first, has_second;
	char err[160];
	json_t *p;

	if (query_u64(req, resp, "first", &first, &has_first) ||
	    query_u64(req, resp, "second", &second, &has_second))
		return;
	if (!has_first) {
		hub_fail(resp, 400, "first: required");
		return;
	}
	p = audit_consistency_json(hub->al, first, second, err, sizeof(err));
	if (!p) {
		hub_fail(resp, 400, "%s", err);
		return;
	}
	hub_ok(resp, 200, p);
}

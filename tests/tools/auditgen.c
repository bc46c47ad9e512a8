/*
 * auditgen — append audit entries to a hub's store the way the hub does, for the audit
 * verifier's tests (tests/integration/audit_cli.sh):
 *
 *   auditgen DIR N     makes DIR if absent, opens DIR/hub.db and the key DIR/audit.key (+ audit.pub; created if
 *                      absent), loads and checks the rows already there, then appends N
 *                      entries, each in its own store transaction, and prints the new size;
 *   auditgen DIR N EXPORT.json   also writes the whole log as GET /api/v1/audit/entries
 *                      would (audit_entries_json, page by page, as one array).
 *
 * A test tool: not part of the sakimori command.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sodium.h>

#include "audit/auditlog.h"
#include "store/store.h"

struct load_ctx {
	struct auditlog *al;
	char err[512];
};

static int load_row(const struct store_audit_row *row, void *ctx)
{
	struct load_ctx *c = ctx;

	return audit_load(c->al, row, c->err, sizeof(c->err)) < 0;
}

static int write_export(const struct auditlog *al, const char *path)
{
	json_t *all = json_array(), *page;
	char err[256];
	int rc;

	for (uint64_t at = 0; all && at < audit_size(al); at += AUDIT_MAXPAGE) {
		page = audit_entries_json(al, at, at + AUDIT_MAXPAGE, err, sizeof(err));
		if (!page || json_array_extend(all, page) < 0) {
			fprintf(stderr, "auditgen: export: %s\n", err);
			json_decref(page);
			json_decref(all);
			return -1;
		}
		json_decref(page);
	}
	rc = all ? json_dump_file(all, path, JSON_INDENT(1)) : -1;
	json_decref(all);
	if (rc < 0)
		fprintf(stderr, "auditgen: %s: cannot write\n", path);
	return rc;
}

int main(int argc, char **argv)
{
	char skp[4096], pkp[4096], dbp[4096], err[512], object[64];
	uint8_t sk[AUDIT_SKLEN], pk[AUDIT_PKLEN];
	struct load_ctx lc = { .al = NULL };
	struct store *st = NULL;
	struct audit_fields f;
	struct store_audit_row row;
	long n;
	int status = 1;

	if ((argc != 3 && argc != 4) || (n = strtol(argv[2], NULL, 10)) < 0) {
		fprintf(stderr, "usage: auditgen DIR N [EXPORT.json]\n");
		return 2;
	}
	mkdir(argv[1], 0700);
	snprintf(skp, sizeof(skp), "%s/audit.key", argv[1]);
	snprintf(pkp, sizeof(pkp), "%s/audit.pub", argv[1]);
	snprintf(dbp, sizeof(dbp), "%s/hub.db", argv[1]);
	if (audit_key_load_or_create(skp, pkp, sk, pk, err, sizeof(err)) < 0 ||
	    store_open(&st, dbp, err, sizeof(err)) < 0) {
		fprintf(stderr, "auditgen: %s\n", err);
		return 1;
	}
	lc.al = audit_new(sk);
	sodium_memzero(sk, sizeof(sk));
	if (!lc.al)
		goto out;
	if (st->ops->audit_scan(st, 0, UINT64_MAX, load_row, &lc) < 0 || lc.err[0]) {
		fprintf(stderr, "auditgen: %s%s\n", lc.err, lc.err[0] ? "" : store_error(st));
		goto out;
	}
	for (long i = 0; i < n; i++) {
		uint64_t k = audit_size(lc.al);

		snprintf(object, sizeof(object), "asset/%" PRIu64, k + 1);
		f.who = k % 3 ? "op-1" : "cabinet-analyst";
		f.role = k % 3 ? "operator" : "cabinet";
		f.action = k % 3 ? "POST /api/v1/assets" : "GET /api/v1/records";
		f.object = object;
		f.time_ms = 1795428000000ll + 1000 * (int64_t)k;
		crypto_hash_sha256(f.digest, (const uint8_t *)object, strlen(object));
		if (st->ops->begin(st) < 0 || audit_append(lc.al, &f, &row) < 0 ||
		    st->ops->audit_append(st, &row) < 0 || st->ops->commit(st) < 0) {
			fprintf(stderr, "auditgen: entry %" PRIu64 ": %s\n", k, store_error(st));
			goto out;
		}
	}
	if (argc == 4 && write_export(lc.al, argv[3]) < 0)
		goto out;
	printf("%" PRIu64 "\n", audit_size(lc.al));
	status = 0;
out:
	audit_free(lc.al);
	store_close(st);
	return status;
}

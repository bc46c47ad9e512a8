/*
 * auditlog.h — the hub's tamper-evident audit log (DESIGN.md rule 6).
 *
 * An RFC 6962 / 9162 Merkle tree over SHA-256 (leaf hash H(0x00||entry), node hash
 * H(0x01||l||r), merkle.h) whose leaves are canonical JSON entries (who, role, action, object,
 * time, digest of the request). After every append the log signs a tree head (size,
 * timestamp, root) with Ed25519 (sth.h) and hands the row — entry bytes, leaf hash, signed
 * head — to the caller, who stores it in the same transaction as the write it accounts for
 * (store.h audit rows). The log holds the tree in memory, so proofs need no store access.
 *
 * Storage-independent on purpose: the hub loads the stored rows at start (audit_load, which
 * checks every row as `sakimori audit verify` does), and the verifier reads rows from a store
 * or from an exported file.
 */
#ifndef SK_AUDITLOG_H
#define SK_AUDITLOG_H

#include <stddef.h>
#include <stdint.h>
#include "store/store.h"

#define AUDIT_HASHLEN   32
#define AUDIT_PKLEN     32  /* Ed25519 public key */
#define AUDIT_SKLEN     64  /* Ed25519 secret key (libsodium layout) */
#define AUDIT_MAXPROOF  64  /* hashes in a proof, at most */
#define AUDIT_MAXENTRY  65536 /* bytes of one canonical entry, at most */
#define AUDIT_MAXPAGE   10000 /* entries per audit_entries_json() call, at most */

struct auditlog;

/* What one entry records. Strings are copied; time_ms is Unix milliseconds. */
struct audit_fields {
	const char *who;        /* token label or id, never the token */
	const char *role;
	const char *action;     /* e.g. "POST /api/v1/assets" */
	const char *object;     /* e.g. "asset/17", "records/1..250" */
	int64_t time_ms;
	uint8_t digest[AUDIT_HASHLEN]; /* SHA-256 of the request (method, path, body) */
};

/* Key files: secret key (mode 0600) and public key, raw bytes. Created if absent. */
int audit_key_load_or_create(const char *sk_path, const char *pk_path,
			     uint8_t sk[AUDIT_SKLEN], uint8_t pk[AUDIT_PKLEN], char *err, size_t errlen);

struct auditlog *audit_new(const uint8_t sk[AUDIT_SKLEN]);
void audit_free(struct auditlog *al);

/* Additions for the offline verifier (sakimori audit). A log that knows only the public key:
 * it loads and checks rows and serves proofs, but audit_append() refuses. */
struct auditlog *audit_new_verifier(const uint8_t pk[AUDIT_PKLEN]);
/* A public key file: 32 raw bytes, or their base64 on one line. */
int audit_pubkey_load(const char *path, uint8_t pk[AUDIT_PKLEN], char *err, size_t errlen);
/* audit_load() for one element of the audit_entries_json() export. */
int audit_load_json(struct auditlog *al, const json_t *elem, char *err, size_t errlen);
/* Check a saved tree head (audit_sth_json() form) against the log: signature by this log's
 * key, log at least that long, same root at its size. -1 with a reason (naming the first
 * missing entry when the log is shorter). */
int audit_check_head(const struct auditlog *al, const json_t *sth, char *err, size_t errlen);
/* MTH of the first size entries; -1 when size > audit_size(). */
int audit_root(const struct auditlog *al, uint64_t size, uint8_t out[AUDIT_HASHLEN]);

/* Feed one stored row (in index order) at start-up; checks the leaf hash, the signed head's
 * signature and that its root equals the tree's root at that size. -1 with a reason naming
 * the index otherwise. */
int audit_load(struct auditlog *al, const struct store_audit_row *row, char *err, size_t errlen);

/* Append an entry: serialise it, extend the tree, sign the new head. *row points into
 * memory owned by al, valid until the next call. */
int audit_append(struct auditlog *al, const struct audit_fields *f, struct store_audit_row *row);
/* Forget entries at and past size (the transaction that appended them rolled back). */
void audit_truncate(struct auditlog *al, uint64_t size);

uint64_t audit_size(const struct auditlog *al);
/* The latest signed tree head as JSON: {"tree_size","timestamp","root_hash","signature"}
 * (hashes and signature base64, as RFC 6962 get-sth). NULL on an empty log. */
json_t *audit_sth_json(const struct auditlog *al);
/* Proofs as JSON ({"leaf_index","tree_size","audit_path":[b64...]} and
 * {"first","second","consistency":[b64...]}); NULL with a reason on bad arguments. */
json_t *audit_inclusion_json(const struct auditlog *al, uint64_t index, uint64_t size, char *err, size_t errlen);
json_t *audit_consistency_json(const struct auditlog *al, uint64_t first, uint64_t second, char *err, size_t errlen);
/* Entries [start, end) as a JSON array of {"index","entry","leaf_hash","sth"} for export (entry
 * the canonical JSON text as a string, leaf_hash base64, sth the signed head after it, as
 * audit_sth_json). end is clamped to the log's size and to start + AUDIT_MAXPAGE. */
json_t *audit_entries_json(const struct auditlog *al, uint64_t start, uint64_t end, char *err, size_t errlen);

#endif

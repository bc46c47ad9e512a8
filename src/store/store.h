/*
 * store.h — the hub's store: one interface (an ops struct), backends behind it.
 *
 * SQLite (WAL, synchronous=FULL) is the embedded default, store_sqlite.c; a PostgreSQL
 * backend implements the same ops later. The hub keeps four kinds of things here:
 *
 *   documents   organisations, assets, asset notifications, incident reports, corrective
 *               orders, selected records, approvals' retention: a JSON body (jansson) plus the
 *               few columns the hub filters on (kind, org, sector, state, due, expires);
 *   tokens      bearer tokens by the SHA-256 of the token (the token itself is never stored);
 *   audit rows  the audit log's entries, leaf hashes and signed tree heads, append-only;
 *   meta        the schema version (migrations are numbered and applied in order on open).
 *
 * Every write happens between begin() and commit(); a request's document writes and its audit
 * rows share one transaction, so an acknowledged write and its audit entry are durable
 * together, and a rolled-back request leaves nothing. A store handle is not thread-safe: the
 * hub serialises access to it.
 *
 * Every call returns 0 on success; on failure -1 (or ST_NOTFOUND / ST_CONFLICT where said)
 * with a one-line reason in the handle, store_error().
 */
#ifndef SK_STORE_H
#define SK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define ST_NOTFOUND 1
#define ST_CONFLICT 2
#define ST_KEYLEN   64 /* longest kind/org/sector/state string, NUL included */

struct store;

/* One document. Times are Unix seconds; 0 means "none". */
struct store_doc {
	int64_t id;                /* assigned by put(); > 0 */
	char kind[ST_KEYLEN];      /* "org", "asset", "notification", "incident", "order", "record", ... */
	char org[ST_KEYLEN];       /* owning organisation, or "" */
	char sector[ST_KEYLEN];    /* sector key (see hub.h), or "" */
	char state[ST_KEYLEN];     /* lifecycle state, or "" */
	int64_t created;           /* set by the caller */
	int64_t updated;
	int64_t due;               /* next deadline, 0 = none */
	int64_t expires;           /* end of retention, 0 = none */
	json_t *body;              /* owned by the doc; the store copies on put/update */
};

/* A listing filter; zero/empty fields do not filter. */
struct store_filter {
	const char *kind;                  /* required */
	const char *org;
	const char *const *sectors;        /* any of n_sectors */
	size_t n_sectors;
	const char *state;
	int64_t due_before;                /* due != 0 && due < due_before */
	int64_t expires_before;            /* expires != 0 && expires < expires_before */
	int64_t after_id;                  /* id > after_id (paging) */
	size_t limit;                      /* 0 = no limit */
	const char *body_key;              /* with body_value: body[body_key] == body_value (string) */
	const char *body_value;
};

/* Called per listed document; the doc is only valid during the call. Return non-zero to stop. */
typedef int (*store_doc_cb)(const struct store_doc *doc, void *ctx);

struct store_token {
	uint8_t hash[32];          /* SHA-256 of the token string */
	char role[ST_KEYLEN];
	char org[ST_KEYLEN];       /* operators: their organisation */
	char sectors[256];         /* ministries: comma-separated sector keys */
	char label[ST_KEYLEN];
	int64_t created;
	int revoked;
};

/* One audit row as the audit module produced it (src/audit/auditlog.h). */
struct store_audit_row {
	uint64_t index;            /* 0-based leaf index; rows are appended densely in order */
	const uint8_t *entry;      /* the canonical entry bytes (the Merkle leaf data) */
	size_t entry_len;
	uint8_t leaf_hash[32];
	const uint8_t *sth;        /* the signed tree head after this entry, serialized */
	size_t sth_len;
};
typedef int (*store_audit_cb)(const struct store_audit_row *row, void *ctx);

struct store_ops {
	const char *name;
	/* Open (creating and migrating if needed) the store at location, e.g. a file path. */
	int (*open)(struct store **out, const char *location, char *err, size_t errlen);
	void (*close)(struct store *st);
	int (*begin)(struct store *st);
	int (*commit)(struct store *st);
	int (*rollback)(struct store *st);

	/* Documents. put() assigns doc->id. update() rewrites every column of doc->id
	 * (ST_NOTFOUND if absent). get() fills *doc (caller frees with store_doc_clear). */
	int (*doc_put)(struct store *st, struct store_doc *doc);
	int (*doc_update)(struct store *st, const struct store_doc *doc);
	int (*doc_get)(struct store *st, const char *kind, int64_t id, struct store_doc *doc);
	int (*doc_list)(struct store *st, const struct store_filter *f, store_doc_cb cb, void *ctx);
	int (*doc_delete)(struct store *st, const char *kind, int64_t id);
	int (*doc_count)(struct store *st, const struct store_filter *f, uint64_t *n);

	/* Tokens. token_put() fails with ST_CONFLICT on a duplicate hash. */
	int (*token_put)(struct store *st, const struct store_token *t);
	int (*token_get)(struct store *st, const uint8_t hash[32], struct store_token *t);

	/* Audit rows: append-only. audit_append() fails unless row->index == audit_count(). */
	int (*audit_append)(struct store *st, const struct store_audit_row *row);
	int (*audit_count)(struct store *st, uint64_t *n);
	/* Rows [from, to) in order; to = UINT64_MAX for all. */
	int (*audit_scan)(struct store *st, uint64_t from, uint64_t to, store_audit_cb cb, void *ctx);

	int (*schema_version)(struct store *st, int *version);
};

/* Common header of every backend's handle. */
struct store {
	const struct store_ops *ops;
	char err[256];
};

extern const struct store_ops store_sqlite_ops;

/* Open by location: "sqlite:PATH" or a plain path (SQLite). Later "postgres://...". */
int store_open(struct store **out, const char *location, char *err, size_t errlen);
static inline void store_close(struct store *st) { if (st) st->ops->close(st); }
static inline const char *store_error(const struct store *st) { return st->err; }
/* Free the body of a doc filled by doc_get and zero it. */
void store_doc_clear(struct store_doc *doc);
/* Copy a string into a fixed column, refusing (-1) what does not fit. */
int store_set_key(char dst[ST_KEYLEN], const char *src);

#endif

/*
 * store_sqlite.c — the embedded store backend (store.h) on SQLite.
 *
 * Durability. The database runs in WAL mode with synchronous=FULL: COMMIT returns only after
 * the WAL has been fsync'ed, so a write the hub acknowledged survives a crash of the process
 * or of the machine. Writes happen only inside begin()/commit() (a write outside a
 * transaction is refused: it could not share its transaction with its audit rows). begin()
 * takes the write lock at once (BEGIN IMMEDIATE), so a transaction never fails half-way on a
 * lock upgrade; busy_timeout covers a second process (the admin CLI) holding it briefly.
 *
 * Schema. Numbered migrations (the `migrations` array below, version = index + 1) are
 * applied in order on open, each in its own transaction together with its row in
 * schema_migrations(version, applied_at). A store whose version is newer than this code
 * knows is refused: an old binary must not write into a schema it does not understand.
 *
 *   docs(id, kind, org, sector, state, created, updated, due, expires, body)
 *        id is AUTOINCREMENT so a deleted document's id is never handed out again (ids
 *        appear in URLs and in the audit log); body is compact JSON text; one index per
 *        (kind, column) pair the hub filters on.
 *   tokens(hash, role, org, sectors, label, created, revoked)  keyed by SHA-256.
 *   audit(idx, entry, leaf_hash, sth)  append-only in the database itself: triggers RAISE
 *        on UPDATE and DELETE, and an INSERT whose idx is not max(idx)+1 (so also
 *        INSERT OR REPLACE over an old row) is refused. The log stays dense and untouched
 *        even against the hub's own bugs; only dropping the table gets past it.
 *
 * Statements. The fixed statements are prepared once (SQLITE_PREPARE_PERSISTENT) and kept
 * in the handle. Listing and counting build their SQL from the filter's shape (which fields
 * are set); a small cache keyed by the SQL text keeps those too. A statement that is still
 * stepping (a callback that lists again) is never reused: a fresh one is prepared for the
 * nested call. Untrusted values are always bound, never pasted into SQL.
 *
 * Bounds. Every string column is at most ST_KEYLEN - 1 bytes (checked on the way in and on
 * the way out), a body at most ST_BODY_MAX bytes, and SQLITE_LIMIT_LENGTH caps what SQLite
 * itself will allocate for one value. A body that does not parse on load is an error that
 * names the document, never a crash.
 */
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

#define ST_BODY_MAX     (32u << 20)   /* one document's JSON text */
#define ST_VALUE_MAX    (64u << 20)   /* SQLITE_LIMIT_LENGTH: any one value or row */
#define ST_BUSY_MS      5000
#define ST_MAX_SECTORS  256
#define ST_QCACHE       16            /* cached filter-shaped statements */

/* The schema, one step per version. Append new steps; never edit a released one. */
static const char *const migrations[] = {
	/* 1: documents, tokens, the append-only audit log */
	"CREATE TABLE docs ("
	"  id      INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  kind    TEXT NOT NULL CHECK (kind <> ''),"
	"  org     TEXT NOT NULL DEFAULT '',"
	"  sector  TEXT NOT NULL DEFAULT '',"
	"  state   TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0,"
	"  due     INTEGER NOT NULL DEFAULT 0,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  body    TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX docs_kind_org     ON docs(kind, org);"
	"CREATE INDEX docs_kind_sector  ON docs(kind, sector);"
	"CREATE INDEX docs_kind_state   ON docs(kind, state);"
	"CREATE INDEX docs_kind_due     ON docs(kind, due);"
	"CREATE INDEX docs_kind_expires ON docs(kind, expires);"
	"CREATE TABLE tokens ("
	"  hash    BLOB PRIMARY KEY CHECK (length(hash) = 32),"
	"  role    TEXT NOT NULL,"
	"  org     TEXT NOT NULL DEFAULT '',"
	"  sectors TEXT NOT NULL DEFAULT '',"
	"  label   TEXT NOT NULL DEFAULT '',"
	"  created INTEGER NOT NULL DEFAULT 0,"
	"  revoked INTEGER NOT NULL DEFAULT 0"
	") STRICT, WITHOUT ROWID;"
	"CREATE TABLE audit ("
	"  idx       INTEGER PRIMARY KEY CHECK (idx >= 0),"
	"  entry     BLOB NOT NULL,"
	"  leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),"
	"  sth       BLOB NOT NULL"
	") STRICT;"
	"CREATE TRIGGER audit_dense BEFORE INSERT ON audit"
	"  WHEN NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM audit)"
	"  BEGIN SELECT RAISE(ABORT, 'audit rows are appended densely in order'); END;"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define DOC_COLS "id, kind, org, sector, state, created, updated, due, expires, body"

enum stmt_id {
	Q_BEGIN, Q_COMMIT, Q_ROLLBACK,
	Q_DOC_PUT, Q_DOC_UPDATE, Q_DOC_GET, Q_DOC_DELETE,
	Q_TOKEN_PUT, Q_TOKEN_GET,
	Q_AUDIT_PUT, Q_AUDIT_COUNT, Q_AUDIT_SCAN,
	Q_VERSION,
	Q_COUNT
};

static const char *const stmt_sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_DOC_PUT] = "INSERT INTO docs (kind, org, sector, state, created, updated, due, expires, body)"
		      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[Q_DOC_UPDATE] = "UPDATE docs SET org = ?2, sector = ?3, state = ?4, created = ?5, updated = ?6,"
			 " due = ?7, expires = ?8, body = ?9 WHERE kind = ?1 AND id = ?10",
	[Q_DOC_GET] = "SELECT " DOC_COLS " FROM docs WHERE kind = ?1 AND id = ?2",
	[Q_DOC_DELETE] = "DELETE FROM docs WHERE kind = ?1 AND id = ?2",
	[Q_TOKEN_PUT] = "INSERT INTO tokens (hash, role, org, sectors, label, created, revoked)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[Q_TOKEN_GET] = "SELECT role, org, sectors, label, created, revoked FROM tokens WHERE hash = ?1",
	[Q_AUDIT_PUT] = "INSERT INTO audit (idx, entry, leaf_hash, sth) VALUES (?1, ?2, ?3, ?4)",
	/* rows are dense from 0 (the insert trigger), so max + 1 is the count, in O(log n) */
	[Q_AUDIT_COUNT] = "SELECT coalesce(max(idx) + 1, 0) FROM audit",
	[Q_AUDIT_SCAN] = "SELECT idx, entry, leaf_hash, sth FROM audit WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
	[Q_VERSION] = "SELECT coalesce(max(version), 0) FROM schema_migrations",
};

struct qcache {
	char *sql;                 /* From malloc() */
	sqlite3_stmt *stmt;
};

struct sqlite_store {
	struct store base;         /* must be first: the common handle */
	sqlite3 *db;
	sqlite3_stmt *stmt[Q_COUNT];
	struct qcache q[ST_QCACHE];
	unsigned q_next;           /* round-robin victim when the cache is full */
};

static struct sqlite_store *sq(struct store *st)
{
	return (struct sqlite_store *)st;
}

static void set_err(struct sqlite_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct sqlite_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->base.err, sizeof(s->base.err), fmt, ap);
	va_end(ap);
}

static int db_err(struct sqlite_store *s, const char *what)
{
	set_err(s, "store: %s: %s", what, sqlite3_errmsg(s->db));
	return -1;
}

/* The cached statement id, prepared on first use. */
static sqlite3_stmt *stmt(struct sqlite_store *s, enum stmt_id id)
{
	if (!s->stmt[id] &&
	    sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) != SQLITE_OK) {
		db_err(s, "prepare");
		s->stmt[id] = NULL;
	}
	return s->stmt[id];
}

static void stmt_done(sqlite3_stmt *q)
{
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
}

/* Run a statement that returns no rows. */
static int step_done(struct sqlite_store *s, sqlite3_stmt *q, const char *what)
{
	int rc = sqlite3_step(q);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		db_err(s, what);
		stmt_done(q);
		return -1;
	}
	stmt_done(q);
	return 0;
}

static int in_tx(struct sqlite_store *s)
{
	return !sqlite3_get_autocommit(s->db);
}

static int need_tx(struct sqlite_store *s, const char *what)
{
	if (in_tx(s))
		return 0;
	set_err(s, "store: %s outside a transaction (begin() first)", what);
	return -1;
}

/* A NUL within the fixed column, else the key is too long (or not a string at all). */
static int key_ok(struct sqlite_store *s, const char *k, size_t cap, const char *what)
{
	if (memchr(k, '\0', cap))
		return 0;
	set_err(s, "store: %s longer than %zu bytes", what, cap - 1);
	return -1;
}

static int arg_ok(struct sqlite_store *s, const char *k, const char *what)
{
	if (!k || strnlen(k, ST_KEYLEN) < ST_KEYLEN)
		return 0;
	set_err(s, "store: %s longer than %d bytes", what, ST_KEYLEN - 1);
	return -1;
}

/* Copy a text column into a fixed field; a stored value that does not fit is corruption. */
static int col_key(struct sqlite_store *s, sqlite3_stmt *q, int col, char *dst, size_t cap,
		   const char *what, int64_t id)
{
	const unsigned char *t = sqlite3_column_text(q, col);
	int n = sqlite3_column_bytes(q, col);

	if (n < 0 || (size_t)n >= cap) {
		set_err(s, "store: doc %lld: stored %s is too long", (long long)id, what);
		return -1;
	}
	if (n)
		memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
	return 0;
}

static void q_free(struct qcache *c)
{
	sqlite3_finalize(c->stmt);
	free(c->sql);
	c->stmt = NULL;
	c->sql = NULL;
}

/* ---- open, close, transactions ---- */

static void sq_close(struct store *st)
{
	struct sqlite_store *s = sq(st);
	int i;

	if (!s)
		return;
	for (i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(s->stmt[i]);
	for (i = 0; i < ST_QCACHE; i++)
		q_free(&s->q[i]);
	sqlite3_close_v2(s->db);       /* an open transaction is rolled back */
	free(s);
}

static int exec(struct sqlite_store *s, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	set_err(s, "store: %s: %s", what, msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -1;
}

static int read_version(struct sqlite_store *s, int *version)
{
	sqlite3_stmt *q = stmt(s, Q_VERSION);
	int rc;

	if (!q)
		return -1;
	rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		db_err(s, "schema version");
		stmt_done(q);
		return -1;
	}
	*version = (int)sqlite3_column_int64(q, 0);
	stmt_done(q);
	return 0;
}

/* Apply every step newer than the store's version, each in its own transaction. */
static int migrate(struct sqlite_store *s)
{
	int v;

	if (exec(s, "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", "schema_migrations"))
		return -1;
	for (;;) {
		char ins[128];

		if (exec(s, "BEGIN IMMEDIATE", "migration"))
			return -1;
		/* read inside the write lock: another process may have migrated meanwhile */
		if (read_version(s, &v))
			goto fail;
		if (v > N_MIGRATIONS) {
			set_err(s, "store: schema version %d is newer than this sakimori knows (%d); "
				"use a newer sakimori", v, N_MIGRATIONS);
			goto fail;
		}
		if (v == N_MIGRATIONS)
			break;
		if (exec(s, migrations[v], "migration"))
			goto fail;
		snprintf(ins, sizeof(ins), "INSERT INTO schema_migrations (version, applied_at) VALUES (%d, %lld)",
			 v + 1, (long long)time(NULL));
		if (exec(s, ins, "migration") || exec(s, "COMMIT", "migration"))
			goto fail;
	}
	return exec(s, "COMMIT", "migration");
fail:
	if (in_tx(s))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int sq_open(struct store **out, const char *location, char *err, size_t errlen)
{
	struct sqlite_store *s;
	sqlite3_stmt *q = NULL;
	const char *mode;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "store: out of memory");
		return -1;
	}
	s->base.ops = &store_sqlite_ops;
	rc = sqlite3_open_v2(location, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		set_err(s, "store: open %s: %s", location, s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, ST_BUSY_MS);
	sqlite3_limit(s->db, SQLITE_LIMIT_LENGTH, (int)ST_VALUE_MAX);

	/* journal_mode answers with the mode in force; anything but WAL is not our durability */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &q, NULL) != SQLITE_OK ||
	    sqlite3_step(q) != SQLITE_ROW) {
		db_err(s, location);
		goto out;
	}
	mode = (const char *)sqlite3_column_text(q, 0);
	if (!mode || (strcmp(mode, "wal") != 0 && strcmp(mode, "memory") != 0)) {
		set_err(s, "store: %s: cannot use WAL mode (got %s)", location, mode ? mode : "nothing");
		goto out;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (exec(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF;",
		 "pragmas"))
		goto out;
	if (migrate(s))
		goto out;
	*out = &s->base;
	return 0;
out:
	sqlite3_finalize(q);
	snprintf(err, errlen, "%s", s->base.err);
	sq_close(&s->base);
	return -1;
}

static int sq_begin(struct store *st)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;

	if (in_tx(s)) {
		set_err(s, "store: begin: a transaction is already open");
		return -1;
	}
	q = stmt(s, Q_BEGIN);
	return q ? step_done(s, q, "begin") : -1;
}

static int sq_rollback(struct store *st)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;

	if (!in_tx(s))
		return 0;      /* nothing open (or SQLite already rolled it back) */
	q = stmt(s, Q_ROLLBACK);
	return q ? step_done(s, q, "rollback") : -1;
}

/* A commit that fails leaves no transaction behind: the caller sees -1 and nothing written. */
static int sq_commit(struct store *st)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	char why[sizeof(s->base.err)];

	if (!in_tx(s)) {
		set_err(s, "store: commit: no transaction is open");
		return -1;
	}
	q = stmt(s, Q_COMMIT);
	if (q && step_done(s, q, "commit") == 0)
		return 0;
	memcpy(why, s->base.err, sizeof(why));
	sq_rollback(st);
	memcpy(s->base.err, why, sizeof(why));
	return -1;
}

/* ---- documents ---- */

static int doc_keys_ok(struct sqlite_store *s, const struct store_doc *d)
{
	if (key_ok(s, d->kind, ST_KEYLEN, "kind") || key_ok(s, d->org, ST_KEYLEN, "org") ||
	    key_ok(s, d->sector, ST_KEYLEN, "sector") || key_ok(s, d->state, ST_KEYLEN, "state"))
		return -1;
	if (!d->kind[0]) {
		set_err(s, "store: a document needs a kind");
		return -1;
	}
	return 0;
}

/* The body as compact JSON text (malloc'd); NULL body is "{}". */
static char *body_text(struct sqlite_store *s, const json_t *body, size_t *len)
{
	char *txt;

	if (body && !json_is_object(body)) {
		set_err(s, "store: a document body must be a JSON object");
		return NULL;
	}
	txt = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
	if (!txt) {
		set_err(s, "store: cannot serialise the document body");
		return NULL;
	}
	*len = strlen(txt);
	if (*len > ST_BODY_MAX) {
		set_err(s, "store: document body of %zu bytes is over the %u byte limit", *len, ST_BODY_MAX);
		free(txt);
		return NULL;
	}
	return txt;
}

/* Bind ?1..?9 of put/update: kind, org, sector, state, times, body. */
static int bind_doc(sqlite3_stmt *q, const struct store_doc *d, const char *txt, size_t len)
{
	int rc = SQLITE_OK;

	rc |= sqlite3_bind_text(q, 1, d->kind, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(q, 2, d->org, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(q, 3, d->sector, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_text(q, 4, d->state, -1, SQLITE_STATIC);
	rc |= sqlite3_bind_int64(q, 5, d->created);
	rc |= sqlite3_bind_int64(q, 6, d->updated);
	rc |= sqlite3_bind_int64(q, 7, d->due);
	rc |= sqlite3_bind_int64(q, 8, d->expires);
	rc |= sqlite3_bind_text(q, 9, txt, (int)len, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : -1;
}

/* Insert (Q_DOC_PUT) or rewrite (Q_DOC_UPDATE, the id bound last) one document. Returns 0,
 * ST_NOTFOUND when an update matched no row, or -1 with the reason set. */
static int doc_write(struct sqlite_store *s, enum stmt_id which, const struct store_doc *doc, const char *what)
{
	sqlite3_stmt *q;
	char *txt = NULL;
	size_t len;
	int ret = -1;

	if (need_tx(s, what) || doc_keys_ok(s, doc))
		return -1;
	if (!(q = stmt(s, which)) || !(txt = body_text(s, doc->body, &len)))
		goto out;
	if (bind_doc(q, doc, txt, len) ||
	    (which == Q_DOC_UPDATE && sqlite3_bind_int64(q, 10, doc->id) != SQLITE_OK)) {
		db_err(s, what);
		stmt_done(q);
		goto out;
	}
	if (step_done(s, q, what))
		goto out;
	if (which == Q_DOC_UPDATE && sqlite3_changes(s->db) == 0) {
		set_err(s, "store: no %s with id %lld", doc->kind, (long long)doc->id);
		ret = ST_NOTFOUND;
		goto out;
	}
	ret = 0;
out:
	free(txt);
	return ret;
}

static int sq_doc_put(struct store *st, struct store_doc *doc)
{
	struct sqlite_store *s = sq(st);
	int ret = doc_write(s, Q_DOC_PUT, doc, "doc_put");

	if (ret == 0)
		doc->id = sqlite3_last_insert_rowid(s->db);
	return ret;
}

/* Rewrites every column but kind and id; a doc of another kind is ST_NOTFOUND, as in get(). */
static int sq_doc_update(struct store *st, const struct store_doc *doc)
{
	return doc_write(sq(st), Q_DOC_UPDATE, doc, "doc_update");
}

/* Fill *d from a row of DOC_COLS; the body is parsed here, and a bad one names the doc. */
static int row_doc(struct sqlite_store *s, sqlite3_stmt *q, struct store_doc *d)
{
	const char *txt;
	json_error_t jerr;
	int n;

	memset(d, 0, sizeof(*d));
	d->id = sqlite3_column_int64(q, 0);
	if (col_key(s, q, 1, d->kind, ST_KEYLEN, "kind", d->id) ||
	    col_key(s, q, 2, d->org, ST_KEYLEN, "org", d->id) ||
	    col_key(s, q, 3, d->sector, ST_KEYLEN, "sector", d->id) ||
	    col_key(s, q, 4, d->state, ST_KEYLEN, "state", d->id))
		return -1;
	d->created = sqlite3_column_int64(q, 5);
	d->updated = sqlite3_column_int64(q, 6);
	d->due = sqlite3_column_int64(q, 7);
	d->expires = sqlite3_column_int64(q, 8);
	txt = (const char *)sqlite3_column_text(q, 9);
	n = sqlite3_column_bytes(q, 9);
	if (!txt || n < 0 || (size_t)n > ST_BODY_MAX) {
		set_err(s, "store: doc %lld: stored body is missing or too large", (long long)d->id);
		return -1;
	}
	d->body = json_loadb(txt, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
	if (!d->body) {
		set_err(s, "store: doc %lld: stored body is not valid JSON (%s)", (long long)d->id, jerr.text);
		return -1;
	}
	if (!json_is_object(d->body)) {
		set_err(s, "store: doc %lld: stored body is not a JSON object", (long long)d->id);
		json_decref(d->body);
		d->body = NULL;
		return -1;
	}
	return 0;
}

static int sq_doc_get(struct store *st, const char *kind, int64_t id, struct store_doc *doc)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	int rc, ret = -1;

	memset(doc, 0, sizeof(*doc));
	if (!kind) {
		set_err(s, "store: doc_get needs a kind");
		return -1;
	}
	if (arg_ok(s, kind, "kind"))
		return -1;
	if (!(q = stmt(s, Q_DOC_GET)))
		return -1;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		ret = row_doc(s, q, doc);
	} else if (rc == SQLITE_DONE) {
		set_err(s, "store: no %s with id %lld", kind, (long long)id);
		ret = ST_NOTFOUND;
	} else {
		db_err(s, "doc_get");
	}
	stmt_done(q);
	return ret;
}

static int sq_doc_delete(struct store *st, const char *kind, int64_t id)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;

	if (need_tx(s, "doc_delete"))
		return -1;
	if (!kind) {
		set_err(s, "store: doc_delete needs a kind");
		return -1;
	}
	if (arg_ok(s, kind, "kind"))
		return -1;
	if (!(q = stmt(s, Q_DOC_DELETE)))
		return -1;
	sqlite3_bind_text(q, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	if (step_done(s, q, "doc_delete"))
		return -1;
	if (sqlite3_changes(s->db) == 0) {
		set_err(s, "store: no %s with id %lld", kind, (long long)id);
		return ST_NOTFOUND;
	}
	return 0;
}

/* ---- listing: SQL from the filter's shape, values bound by fixed parameter numbers ---- */

enum {
	P_KIND = 1, P_ORG, P_SECTORS, P_STATE, P_DUE, P_EXPIRES, P_AFTER, P_BPATH, P_BVALUE, P_LIMIT
};

struct fbind {
	char bpath[ST_KEYLEN + 8];     /* $."key" */
	char *sectors;                 /* JSON array text, From json_dumps() */
};

static int filter_check(struct sqlite_store *s, const struct store_filter *f, struct fbind *b)
{
	json_t *arr = NULL;
	size_t i;

	memset(b, 0, sizeof(*b));
	if (!f || !f->kind || !f->kind[0]) {
		set_err(s, "store: a listing needs a kind");
		return -1;
	}
	if (arg_ok(s, f->kind, "kind") || arg_ok(s, f->org, "org") || arg_ok(s, f->state, "state") ||
	    arg_ok(s, f->body_key, "body_key"))
		return -1;
	if ((f->body_key && f->body_key[0]) != (f->body_value != NULL)) {
		set_err(s, "store: body_key and body_value go together");
		return -1;
	}
	if (f->body_key && f->body_key[0]) {
		if (strpbrk(f->body_key, "\"\\")) {
			set_err(s, "store: body_key may not contain quotes or backslashes");
			return -1;
		}
		snprintf(b->bpath, sizeof(b->bpath), "$.\"%s\"", f->body_key);
	}
	if (f->n_sectors) {
		if (!f->sectors || f->n_sectors > ST_MAX_SECTORS) {
			set_err(s, "store: bad sector list");
			return -1;
		}
		if (!(arr = json_array()))
			goto oom;
		for (i = 0; i < f->n_sectors; i++) {
			if (!f->sectors[i] || arg_ok(s, f->sectors[i], "sector")) {
				if (!f->sectors[i])
					set_err(s, "store: bad sector list");
				json_decref(arr);
				return -1;
			}
			if (json_array_append_new(arr, json_string(f->sectors[i])))
				goto oom;
		}
		b->sectors = json_dumps(arr, JSON_COMPACT);
		json_decref(arr);
		if (!b->sectors)
			goto oom;
	}
	return 0;
oom:
	json_decref(arr);
	set_err(s, "store: out of memory");
	return -1;
}

/* The WHERE clause (and LIMIT) for f; count wraps the limited listing in count(*). */
static void filter_sql(const struct store_filter *f, const struct fbind *b, int count, char *sql, size_t cap)
{
	size_t n = 0;

#define ADD(...) (n += (size_t)snprintf(sql + n, n < cap ? cap - n : 0, __VA_ARGS__))
	if (count && f->limit)
		ADD("SELECT count(*) FROM (SELECT 1 FROM docs");
	else if (count)
		ADD("SELECT count(*) FROM docs");
	else
		ADD("SELECT " DOC_COLS " FROM docs");
	ADD(" WHERE kind = ?%d", P_KIND);
	if (f->org && f->org[0])
		ADD(" AND org = ?%d", P_ORG);
	if (b->sectors)
		ADD(" AND sector IN (SELECT value FROM json_each(?%d))", P_SECTORS);
	if (f->state && f->state[0])
		ADD(" AND state = ?%d", P_STATE);
	if (f->due_before)
		ADD(" AND due <> 0 AND due < ?%d", P_DUE);
	if (f->expires_before)
		ADD(" AND expires <> 0 AND expires < ?%d", P_EXPIRES);
	if (f->after_id)
		ADD(" AND id > ?%d", P_AFTER);
	if (b->bpath[0])
		ADD(" AND json_extract(body, ?%d) = ?%d", P_BPATH, P_BVALUE);
	if (!count)
		ADD(" ORDER BY id");
	if (f->limit)
		ADD(" LIMIT ?%d", P_LIMIT);
	if (count && f->limit)
		ADD(")");
#undef ADD
}

static int filter_bind(sqlite3_stmt *q, const struct store_filter *f, const struct fbind *b)
{
	int rc = sqlite3_bind_text(q, P_KIND, f->kind, -1, SQLITE_STATIC);

	if (f->org && f->org[0])
		rc |= sqlite3_bind_text(q, P_ORG, f->org, -1, SQLITE_STATIC);
	if (b->sectors)
		rc |= sqlite3_bind_text(q, P_SECTORS, b->sectors, -1, SQLITE_STATIC);
	if (f->state && f->state[0])
		rc |= sqlite3_bind_text(q, P_STATE, f->state, -1, SQLITE_STATIC);
	if (f->due_before)
		rc |= sqlite3_bind_int64(q, P_DUE, f->due_before);
	if (f->expires_before)
		rc |= sqlite3_bind_int64(q, P_EXPIRES, f->expires_before);
	if (f->after_id)
		rc |= sqlite3_bind_int64(q, P_AFTER, f->after_id);
	if (b->bpath[0]) {
		rc |= sqlite3_bind_text(q, P_BPATH, b->bpath, -1, SQLITE_STATIC);
		rc |= sqlite3_bind_text(q, P_BVALUE, f->body_value, -1, SQLITE_STATIC);
	}
	if (f->limit)
		rc |= sqlite3_bind_int64(q, P_LIMIT, f->limit > INT64_MAX ? INT64_MAX : (int64_t)f->limit);
	return rc == SQLITE_OK ? 0 : -1;
}

/*
 * A statement for sql: the cached one if it is idle, else a fresh one (*owned set, the
 * caller finalizes it) when the cached one is still stepping under a nested call.
 */
static sqlite3_stmt *q_get(struct sqlite_store *s, const char *sql, int *owned)
{
	struct qcache *c = NULL;
	sqlite3_stmt *q = NULL;
	int i;

	*owned = 0;
	for (i = 0; i < ST_QCACHE; i++) {
		if (s->q[i].sql && strcmp(s->q[i].sql, sql) == 0) {
			if (!sqlite3_stmt_busy(s->q[i].stmt))
				return s->q[i].stmt;
			goto fresh;
		}
	}
	for (i = 0; i < ST_QCACHE && !c; i++)
		if (!s->q[i].sql)
			c = &s->q[i];
	for (i = 0; i < ST_QCACHE && !c; i++, s->q_next++) {
		struct qcache *v = &s->q[s->q_next % ST_QCACHE];

		if (!sqlite3_stmt_busy(v->stmt)) {
			q_free(v);
			c = v;
		}
	}
	if (!c)
		goto fresh;
	if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK) {
		db_err(s, "prepare listing");
		return NULL;
	}
	if (!(c->sql = strdup(sql))) {
		sqlite3_finalize(q);
		set_err(s, "store: out of memory");
		return NULL;
	}
	c->stmt = q;
	return q;
fresh:
	if (sqlite3_prepare_v2(s->db, sql, -1, &q, NULL) != SQLITE_OK) {
		db_err(s, "prepare listing");
		return NULL;
	}
	*owned = 1;
	return q;
}

static void q_put(sqlite3_stmt *q, int owned)
{
	if (owned)
		sqlite3_finalize(q);
	else if (q)
		stmt_done(q);
}

static sqlite3_stmt *filter_stmt(struct sqlite_store *s, const struct store_filter *f,
				 const struct fbind *b, int count, int *owned)
{
	char sql[1024];
	sqlite3_stmt *q;

	filter_sql(f, b, count, sql, sizeof(sql));
	if (!(q = q_get(s, sql, owned)))
		return NULL;
	if (filter_bind(q, f, b)) {
		db_err(s, "bind listing");
		q_put(q, *owned);
		return NULL;
	}
	return q;
}

/* Stops without error when the callback returns non-zero. */
static int sq_doc_list(struct store *st, const struct store_filter *f, store_doc_cb cb, void *ctx)
{
	struct sqlite_store *s = sq(st);
	struct store_doc d;
	struct fbind b;
	sqlite3_stmt *q;
	int owned = 0, rc = SQLITE_DONE, stop = 0, ret = -1;

	if (filter_check(s, f, &b))
		return -1;
	if (!(q = filter_stmt(s, f, &b, 0, &owned)))
		goto out;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (row_doc(s, q, &d))
			goto out;
		stop = cb(&d, ctx);
		store_doc_clear(&d);
	}
	if (!stop && rc != SQLITE_DONE) {
		db_err(s, "doc_list");
		goto out;
	}
	ret = 0;
out:
	q_put(q, owned);
	free(b.sectors);
	return ret;
}

static int sq_doc_count(struct store *st, const struct store_filter *f, uint64_t *n)
{
	struct sqlite_store *s = sq(st);
	struct fbind b;
	sqlite3_stmt *q;
	int owned = 0, ret = -1;

	*n = 0;
	if (filter_check(s, f, &b))
		return -1;
	if (!(q = filter_stmt(s, f, &b, 1, &owned)))
		goto out;
	if (sqlite3_step(q) != SQLITE_ROW) {
		db_err(s, "doc_count");
		goto out;
	}
	*n = (uint64_t)sqlite3_column_int64(q, 0);
	ret = 0;
out:
	q_put(q, owned);
	free(b.sectors);
	return ret;
}

/* ---- tokens ---- */

static int sq_token_put(struct store *st, const struct store_token *t)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	int rc;

	if (need_tx(s, "token_put"))
		return -1;
	if (key_ok(s, t->role, ST_KEYLEN, "role") || key_ok(s, t->org, ST_KEYLEN, "org") ||
	    key_ok(s, t->sectors, sizeof(t->sectors), "sectors") || key_ok(s, t->label, ST_KEYLEN, "label"))
		return -1;
	if (!t->role[0]) {
		set_err(s, "store: a token needs a role");
		return -1;
	}
	if (!(q = stmt(s, Q_TOKEN_PUT)))
		return -1;
	sqlite3_bind_blob(q, 1, t->hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, t->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, t->org, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, t->sectors, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, t->label, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, t->created);
	sqlite3_bind_int64(q, 7, t->revoked ? 1 : 0);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		stmt_done(q);
		return 0;
	}
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
		set_err(s, "store: a token with this hash already exists");
		stmt_done(q);
		return ST_CONFLICT;
	}
	db_err(s, "token_put");
	stmt_done(q);
	return -1;
}

static int sq_token_get(struct store *st, const uint8_t hash[32], struct store_token *t)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	int rc, ret = -1;

	memset(t, 0, sizeof(*t));
	if (!(q = stmt(s, Q_TOKEN_GET)))
		return -1;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		set_err(s, "store: no such token");
		ret = ST_NOTFOUND;
	} else if (rc != SQLITE_ROW) {
		db_err(s, "token_get");
	} else if (col_key(s, q, 0, t->role, ST_KEYLEN, "token role", 0) ||
		   col_key(s, q, 1, t->org, ST_KEYLEN, "token org", 0) ||
		   col_key(s, q, 2, t->sectors, sizeof(t->sectors), "token sectors", 0) ||
		   col_key(s, q, 3, t->label, ST_KEYLEN, "token label", 0)) {
		memset(t, 0, sizeof(*t));
	} else {
		memcpy(t->hash, hash, 32);
		t->created = sqlite3_column_int64(q, 4);
		t->revoked = sqlite3_column_int64(q, 5) != 0;
		ret = 0;
	}
	stmt_done(q);
	return ret;
}

/* ---- audit rows ---- */

static int sq_audit_count(struct store *st, uint64_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;

	*n = 0;
	if (!(q = stmt(s, Q_AUDIT_COUNT)))
		return -1;
	if (sqlite3_step(q) != SQLITE_ROW) {
		db_err(s, "audit_count");
		stmt_done(q);
		return -1;
	}
	*n = (uint64_t)sqlite3_column_int64(q, 0);
	stmt_done(q);
	return 0;
}

/* A blob parameter; an empty one is a zero-length blob, not NULL. */
static int bind_bytes(sqlite3_stmt *q, int i, const uint8_t *p, size_t n)
{
	if (!n || !p)
		return sqlite3_bind_zeroblob(q, i, 0);
	return sqlite3_bind_blob64(q, i, p, n, SQLITE_STATIC);
}

static int sq_audit_append(struct store *st, const struct store_audit_row *row)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	uint64_t n;

	if (need_tx(s, "audit_append") || sq_audit_count(st, &n))
		return -1;
	if (row->index != n) {
		set_err(s, "store: audit row %llu out of order (the log holds %llu rows)",
			(unsigned long long)row->index, (unsigned long long)n);
		return -1;
	}
	if ((row->entry_len && !row->entry) || (row->sth_len && !row->sth)) {
		set_err(s, "store: audit row without its bytes");
		return -1;
	}
	if (!(q = stmt(s, Q_AUDIT_PUT)))
		return -1;
	if (sqlite3_bind_int64(q, 1, (int64_t)row->index) != SQLITE_OK ||
	    bind_bytes(q, 2, row->entry, row->entry_len) != SQLITE_OK ||
	    sqlite3_bind_blob(q, 3, row->leaf_hash, 32, SQLITE_STATIC) != SQLITE_OK ||
	    bind_bytes(q, 4, row->sth, row->sth_len) != SQLITE_OK) {
		db_err(s, "audit_append");
		stmt_done(q);
		return -1;
	}
	return step_done(s, q, "audit_append");
}

static int sq_audit_scan(struct store *st, uint64_t from, uint64_t to, store_audit_cb cb, void *ctx)
{
	struct sqlite_store *s = sq(st);
	struct store_audit_row row;
	sqlite3_stmt *q;
	int owned = 0, rc = SQLITE_DONE, stop = 0, ret = -1;

	if (from >= to || from > INT64_MAX)
		return 0;
	if (to > INT64_MAX)
		to = INT64_MAX;
	/* the cached statement may be stepping under us (a callback that scans again) */
	if (!(q = stmt(s, Q_AUDIT_SCAN)))
		return -1;
	if (sqlite3_stmt_busy(q)) {
		if (sqlite3_prepare_v2(s->db, stmt_sql[Q_AUDIT_SCAN], -1, &q, NULL) != SQLITE_OK)
			return db_err(s, "prepare audit_scan");
		owned = 1;
	}
	sqlite3_bind_int64(q, 1, (int64_t)from);
	sqlite3_bind_int64(q, 2, (int64_t)to);
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		memset(&row, 0, sizeof(row));
		row.index = (uint64_t)sqlite3_column_int64(q, 0);
		row.entry = sqlite3_column_blob(q, 1);
		row.entry_len = (size_t)sqlite3_column_bytes(q, 1);
		row.sth = sqlite3_column_blob(q, 3);
		row.sth_len = (size_t)sqlite3_column_bytes(q, 3);
		if (sqlite3_column_bytes(q, 2) != 32) {
			set_err(s, "store: audit row %llu: stored leaf hash is not 32 bytes",
				(unsigned long long)row.index);
			goto out;
		}
		memcpy(row.leaf_hash, sqlite3_column_blob(q, 2), 32);
		stop = cb(&row, ctx);
	}
	if (!stop && rc != SQLITE_DONE) {
		db_err(s, "audit_scan");
		goto out;
	}
	ret = 0;
out:
	q_put(q, owned);
	return ret;
}

static int sq_schema_version(struct store *st, int *version)
{
	return read_version(sq(st), version);
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.doc_put = sq_doc_put,
	.doc_update = sq_doc_update,
	.doc_get = sq_doc_get,
	.doc_list = sq_doc_list,
	.doc_delete = sq_doc_delete,
	.doc_count = sq_doc_count,
	.token_put = sq_token_put,
	.token_get = sq_token_get,
	.audit_append = sq_audit_append,
	.audit_count = sq_audit_count,
	.audit_scan = sq_audit_scan,
	.schema_version = sq_schema_version,
};

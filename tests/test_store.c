/*
 * test_store.c — the store contract (store.h) on the SQLite backend: open, migrate and
 * reopen; every operation with its errors; listing filters alone and combined, paging;
 * rollback; the audit log's append-only guarantees, checked with raw SQL on the file;
 * a newer schema and a corrupt body refused; acknowledged commits surviving a process
 * that dies right after commit() returns.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "store/store.h"

struct fx {
	char dir[256];
	char path[300];
	struct store *st;
};

static int fx_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/sk-store-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/hub.db", f->dir);
	if (store_open(&f->st, f->path, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	char p[320];

	store_close(f->st);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Raw SQL on the file, as an outsider (or a buggy hub) would run it. Returns the SQLite
 * result code; msg gets the error text. */
static int raw_sql(const char *path, const char *sql, char *msg, size_t msglen)
{
	sqlite3 *db = NULL;
	char *m = NULL;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 2000);
	rc = sqlite3_exec(db, sql, NULL, NULL, &m);
	if (msg)
		snprintf(msg, msglen, "%s", m ? m : "");
	sqlite3_free(m);
	sqlite3_close(db);
	return rc;
}

static int64_t raw_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	int64_t v = -1;

	if (sqlite3_open(path, &db) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static int64_t put(struct store *st, const char *kind, const char *org, const char *sector,
		   const char *state, int64_t due, int64_t expires, json_t *body)
{
	struct store_doc d = { 0 };

	assert_int_equal(store_set_key(d.kind, kind), 0);
	assert_int_equal(store_set_key(d.org, org), 0);
	assert_int_equal(store_set_key(d.sector, sector), 0);
	assert_int_equal(store_set_key(d.state, state), 0);
	d.created = d.updated = 1700000000;
	d.due = due;
	d.expires = expires;
	d.body = body;
	assert_int_equal(st->ops->doc_put(st, &d), 0);
	assert_true(d.id > 0);
	json_decref(body);
	return d.id;
}

static uint64_t count_kind(struct store *st, const char *kind)
{
	struct store_filter f = { .kind = kind };
	uint64_t n = 0;

	assert_int_equal(st->ops->doc_count(st, &f, &n), 0);
	return n;
}

/* ---- open, location, schema ---- */

static void open_migrate_reopen(void **state)
{
	struct fx *f = *state;
	struct store *st2 = NULL;
	char err[256], loc[320];
	int v1 = 0, v2 = 0;

	assert_string_equal(f->st->ops->name, "sqlite");
	assert_int_equal(f->st->ops->schema_version(f->st, &v1), 0);
	assert_true(v1 >= 1);
	/* one schema_migrations row per step, WAL recorded in the file */
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_migrations"), v1);
	assert_int_equal(raw_int(f->path, "SELECT max(version) FROM schema_migrations"), v1);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), 1);
	for (const char *t = "docs\0tokens\0audit\0"; *t; t += strlen(t) + 1) {
		char sql[128];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_schema WHERE type='table' AND name='%s'", t);
		assert_int_equal(raw_int(f->path, sql), 1);
	}
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_schema WHERE type='index' AND name LIKE 'docs_kind_%'"), 5);

	/* a second handle on the same file (through "sqlite:") migrates nothing again */
	snprintf(loc, sizeof(loc), "sqlite:%s", f->path);
	assert_int_equal(store_open(&st2, loc, err, sizeof(err)), 0);
	assert_int_equal(st2->ops->schema_version(st2, &v2), 0);
	assert_int_equal(v2, v1);
	store_close(st2);
	assert_int_equal(raw_int(f->path, "SELECT count(*) FROM schema_migrations"), v1);

	/* reopen after close, data kept */
	assert_int_equal(f->st->ops->begin(f->st), 0);
	put(f->st, "org", "", "", "", 0, 0, json_pack("{s:s}", "name", "Tokyo Gas"));
	assert_int_equal(f->st->ops->commit(f->st), 0);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(&f->st, f->path, err, sizeof(err)), 0);
	assert_int_equal(f->st->ops->schema_version(f->st, &v2), 0);
	assert_int_equal(v2, v1);
	assert_int_equal(count_kind(f->st, "org"), 1);
}

static void locations(void **state)
{
	struct store *st = (struct store *)0x1;
	char err[256];

	err[0] = 0;
	assert_int_equal(store_open(&st, "postgres://db/hub", err, sizeof(err)), -1);
	assert_null(st);
	assert_non_null(strstr(err, "PostgreSQL"));
	assert_int_equal(store_open(&st, "mysql://x", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "scheme"));
	assert_int_equal(store_open(&st, "sqlite:", err, sizeof(err)), -1);
	assert_int_equal(store_open(&st, "", err, sizeof(err)), -1);
	assert_int_equal(store_open(&st, "/nonexistent-dir-sk/x/hub.db", err, sizeof(err)), -1);
	assert_null(st);
	assert_true(strlen(err) > 0);
}

static void newer_schema_refused(void **state)
{
	struct fx *f = *state;
	struct store *st2 = (struct store *)0x1;
	char err[256], msg[256];

	assert_int_equal(raw_sql(f->path, "INSERT INTO schema_migrations VALUES (9999, 0)", msg, sizeof(msg)),
			 SQLITE_OK);
	assert_int_equal(store_open(&st2, f->path, err, sizeof(err)), -1);
	assert_null(st2);
	assert_non_null(strstr(err, "9999"));
	assert_non_null(strstr(err, "newer"));
}

static void not_a_database_refused(void **state)
{
	struct fx *f = *state;
	struct store *st2 = NULL;
	char p[320], err[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/junk.db", f->dir);
	fp = fopen(p, "w");
	assert_non_null(fp);
	for (int i = 0; i < 512; i++)
		fputs("not a database ", fp);
	fclose(fp);
	assert_int_equal(store_open(&st2, p, err, sizeof(err)), -1);
	assert_null(st2);
	assert_true(strlen(err) > 0);
	unlink(p);
}

/* ---- documents ---- */

static void doc_roundtrip(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_doc d = { 0 }, g = { 0 };
	json_t *body = json_pack("{s:s, s:i, s:[s,s], s:{s:b}}", "name", "変電所 A", "n", 42,
				 "ips", "192.0.2.1", "2001:db8::1", "x", "ok", 1);

	assert_int_equal(st->ops->begin(st), 0);
	store_set_key(d.kind, "asset");
	store_set_key(d.org, "org-1");
	store_set_key(d.sector, "electricity");
	store_set_key(d.state, "registered");
	d.created = 1700000000;
	d.updated = 1700000001;
	d.due = 1700086400;
	d.expires = 1763000000;
	d.body = body;
	assert_int_equal(st->ops->doc_put(st, &d), 0);
	assert_true(d.id > 0);
	assert_int_equal(st->ops->commit(st), 0);

	assert_int_equal(st->ops->doc_get(st, "asset", d.id, &g), 0);
	assert_int_equal(g.id, d.id);
	assert_string_equal(g.kind, "asset");
	assert_string_equal(g.org, "org-1");
	assert_string_equal(g.sector, "electricity");
	assert_string_equal(g.state, "registered");
	assert_int_equal(g.created, 1700000000);
	assert_int_equal(g.updated, 1700000001);
	assert_int_equal(g.due, 1700086400);
	assert_int_equal(g.expires, 1763000000);
	assert_true(json_equal(g.body, body));
	store_doc_clear(&g);
	assert_null(g.body);
	assert_int_equal(g.id, 0);

	/* stored compact */
	assert_int_equal(raw_int(((struct fx *)*state)->path,
				 "SELECT count(*) FROM docs WHERE instr(body, '\": ') = 0 AND instr(body, ', ') = 0"), 1);

	/* another kind with the same id is not found */
	assert_int_equal(st->ops->doc_get(st, "incident", d.id, &g), ST_NOTFOUND);
	assert_null(g.body);
	assert_int_equal(st->ops->doc_get(st, "asset", d.id + 1000, &g), ST_NOTFOUND);
	assert_true(strlen(store_error(st)) > 0);

	/* update rewrites the columns and the body */
	assert_int_equal(st->ops->begin(st), 0);
	store_set_key(d.state, "notified");
	store_set_key(d.sector, "gas");
	d.due = 0;
	d.body = json_pack("{s:s}", "name", "B");
	assert_int_equal(st->ops->doc_update(st, &d), 0);
	d.id += 1000;
	assert_int_equal(st->ops->doc_update(st, &d), ST_NOTFOUND);
	d.id -= 1000;
	store_set_key(d.kind, "incident");
	assert_int_equal(st->ops->doc_update(st, &d), ST_NOTFOUND);   /* kind must match */
	store_set_key(d.kind, "asset");
	json_decref(d.body);
	assert_int_equal(st->ops->commit(st), 0);
	assert_int_equal(st->ops->doc_get(st, "asset", d.id, &g), 0);
	assert_string_equal(g.state, "notified");
	assert_string_equal(g.sector, "gas");
	assert_int_equal(g.due, 0);
	assert_string_equal(json_string_value(json_object_get(g.body, "name")), "B");
	store_doc_clear(&g);

	/* delete: wrong kind and missing id are not found; the id is never reused */
	assert_int_equal(st->ops->begin(st), 0);
	assert_int_equal(st->ops->doc_delete(st, "incident", d.id), ST_NOTFOUND);
	assert_int_equal(st->ops->doc_delete(st, "asset", d.id), 0);
	assert_int_equal(st->ops->doc_delete(st, "asset", d.id), ST_NOTFOUND);
	assert_true(put(st, "asset", "", "", "", 0, 0, NULL) > d.id);
	assert_int_equal(st->ops->commit(st), 0);
	assert_int_equal(st->ops->doc_get(st, "asset", d.id, &g), ST_NOTFOUND);
	json_decref(body);
}

static void doc_null_body_and_bad_input(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_doc d = { 0 }, g = { 0 };
	char long_key[ST_KEYLEN + 1];
	int64_t id;

	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[ST_KEYLEN] = '\0';
	assert_int_equal(store_set_key(d.kind, long_key), -1);          /* 64 chars: too long */
	assert_string_equal(d.kind, "");
	long_key[ST_KEYLEN - 1] = '\0';
	assert_int_equal(store_set_key(d.kind, long_key), 0);           /* 63 fit */
	assert_int_equal(store_set_key(d.org, NULL), 0);

	/* writes outside a transaction are refused */
	store_set_key(d.kind, "note");
	assert_int_equal(st->ops->doc_put(st, &d), -1);
	assert_non_null(strstr(store_error(st), "transaction"));

	assert_int_equal(st->ops->begin(st), 0);
	assert_int_equal(st->ops->begin(st), -1);                       /* no nesting */
	d.body = NULL;                                                  /* stored as {} */
	assert_int_equal(st->ops->doc_put(st, &d), 0);
	id = d.id;
	/* an unterminated key column is refused, not read past */
	memset(d.org, 'x', ST_KEYLEN);
	assert_int_equal(st->ops->doc_put(st, &d), -1);
	assert_non_null(strstr(store_error(st), "org"));
	d.org[0] = '\0';
	d.kind[0] = '\0';
	assert_int_equal(st->ops->doc_put(st, &d), -1);                 /* no kind */
	store_set_key(d.kind, "note");
	d.body = json_array();                                          /* not an object */
	assert_int_equal(st->ops->doc_put(st, &d), -1);
	json_decref(d.body);
	d.body = NULL;
	assert_int_equal(st->ops->commit(st), 0);
	assert_int_equal(st->ops->commit(st), -1);                      /* nothing open */

	assert_int_equal(count_kind(st, "note"), 1);
	assert_int_equal(st->ops->doc_get(st, "note", id, &g), 0);
	assert_true(json_is_object(g.body));
	assert_int_equal(json_object_size(g.body), 0);
	store_doc_clear(&g);
	assert_int_equal(raw_int(((struct fx *)*state)->path, "SELECT count(*) FROM docs WHERE body = '{}'"), 1);
	assert_int_equal(st->ops->doc_get(st, long_key, id, &g), ST_NOTFOUND);   /* 63 chars: valid key */
	long_key[ST_KEYLEN - 1] = 'k';
	assert_int_equal(st->ops->doc_get(st, long_key, id, &g), -1);           /* 64: refused */
}

/* ---- listing ---- */

struct ids {
	int64_t id[64];
	size_t n;
	size_t stop_after;    /* 0 = never */
};

static int collect(const struct store_doc *d, void *ctx)
{
	struct ids *c = ctx;

	if (c->n < 64)
		c->id[c->n++] = d->id;
	return c->stop_after && c->n >= c->stop_after;
}

/* List with f; check the count agrees and return the number of docs listed. */
static size_t list(struct store *st, const struct store_filter *f, struct ids *out)
{
	uint64_t n = 99999;

	memset(out, 0, sizeof(*out));
	assert_int_equal(st->ops->doc_list(st, f, collect, out), 0);
	assert_int_equal(st->ops->doc_count(st, f, &n), 0);
	assert_int_equal(n, out->n);
	for (size_t i = 1; i < out->n; i++)
		assert_true(out->id[i] > out->id[i - 1]);
	return out->n;
}

static void doc_filters(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_filter f;
	struct ids r;
	int64_t a1, a2, a3, a4, i1;

	assert_int_equal(st->ops->begin(st), 0);
	a1 = put(st, "asset", "org-1", "electricity", "registered", 100, 0, json_pack("{s:s}", "ip", "192.0.2.1"));
	a2 = put(st, "asset", "org-1", "gas", "notified", 200, 5000, json_pack("{s:s}", "ip", "192.0.2.2"));
	a3 = put(st, "asset", "org-2", "electricity", "notified", 0, 3000, json_pack("{s:s}", "ip", "192.0.2.1"));
	a4 = put(st, "asset", "org-3", "finance", "registered", 300, 1000, json_pack("{s:i}", "ip", 7));
	i1 = put(st, "incident", "org-1", "electricity", "open", 50, 50, json_pack("{s:s}", "ip", "192.0.2.1"));
	assert_int_equal(st->ops->commit(st), 0);

	/* kind alone; kind is required */
	f = (struct store_filter){ .kind = "asset" };
	assert_int_equal(list(st, &f, &r), 4);
	assert_int_equal(r.id[0], a1);
	assert_int_equal(r.id[3], a4);
	f = (struct store_filter){ .kind = "incident" };
	assert_int_equal(list(st, &f, &r), 1);
	assert_int_equal(r.id[0], i1);
	f = (struct store_filter){ .kind = "nothing" };
	assert_int_equal(list(st, &f, &r), 0);
	f = (struct store_filter){ .kind = NULL };
	assert_int_equal(st->ops->doc_list(st, &f, collect, &r), -1);
	f = (struct store_filter){ .kind = "" };
	assert_int_equal(st->ops->doc_count(st, &f, &(uint64_t){ 0 }), -1);

	/* org */
	f = (struct store_filter){ .kind = "asset", .org = "org-1" };
	assert_int_equal(list(st, &f, &r), 2);
	assert_int_equal(r.id[0], a1);
	assert_int_equal(r.id[1], a2);
	f.org = "";                                               /* empty: no filter */
	assert_int_equal(list(st, &f, &r), 4);

	/* sectors: one, several, none matching */
	{
		const char *one[] = { "electricity" };
		const char *two[] = { "gas", "finance" };
		const char *none[] = { "postal" };

		f = (struct store_filter){ .kind = "asset", .sectors = one, .n_sectors = 1 };
		assert_int_equal(list(st, &f, &r), 2);
		assert_int_equal(r.id[0], a1);
		assert_int_equal(r.id[1], a3);
		f.sectors = two;
		f.n_sectors = 2;
		assert_int_equal(list(st, &f, &r), 2);
		assert_int_equal(r.id[0], a2);
		assert_int_equal(r.id[1], a4);
		f.sectors = none;
		f.n_sectors = 1;
		assert_int_equal(list(st, &f, &r), 0);
	}

	/* state */
	f = (struct store_filter){ .kind = "asset", .state = "notified" };
	assert_int_equal(list(st, &f, &r), 2);
	assert_int_equal(r.id[0], a2);
	assert_int_equal(r.id[1], a3);

	/* due_before: due 0 never counts as due */
	f = (struct store_filter){ .kind = "asset", .due_before = 250 };
	assert_int_equal(list(st, &f, &r), 2);
	assert_int_equal(r.id[0], a1);
	assert_int_equal(r.id[1], a2);
	f.due_before = 100;                                       /* strictly before */
	assert_int_equal(list(st, &f, &r), 0);

	/* expires_before: expires 0 never expires */
	f = (struct store_filter){ .kind = "asset", .expires_before = 4000 };
	assert_int_equal(list(st, &f, &r), 2);
	assert_int_equal(r.id[0], a3);
	assert_int_equal(r.id[1], a4);

	/* body key == string value (a number 7 is not the string "7") */
	f = (struct store_filter){ .kind = "asset", .body_key = "ip", .body_value = "192.0.2.1" };
	assert_int_equal(list(st, &f, &r), 2);
	assert_int_equal(r.id[0], a1);
	assert_int_equal(r.id[1], a3);
	f.body_value = "7";
	assert_int_equal(list(st, &f, &r), 0);
	f.body_key = "i\"p";
	assert_int_equal(st->ops->doc_list(st, &f, collect, &r), -1);
	f.body_key = "ip";
	f.body_value = NULL;
	assert_int_equal(st->ops->doc_list(st, &f, collect, &r), -1);

	/* combined */
	{
		const char *sec[] = { "electricity", "gas" };

		f = (struct store_filter){ .kind = "asset", .org = "org-1", .sectors = sec, .n_sectors = 2,
					   .state = "notified", .due_before = 1000, .expires_before = 6000,
					   .body_key = "ip", .body_value = "192.0.2.2" };
		assert_int_equal(list(st, &f, &r), 1);
		assert_int_equal(r.id[0], a2);
		f.state = "registered";
		assert_int_equal(list(st, &f, &r), 0);
		f = (struct store_filter){ .kind = "asset", .sectors = sec, .n_sectors = 2, .state = "notified" };
		assert_int_equal(list(st, &f, &r), 2);
		f.org = "org-2";
		assert_int_equal(list(st, &f, &r), 1);
		assert_int_equal(r.id[0], a3);
	}

	/* paging: after_id + limit walks every doc exactly once */
	{
		int64_t seen[8];
		size_t n = 0;

		f = (struct store_filter){ .kind = "asset", .limit = 3 };
		for (;;) {
			size_t got = list(st, &f, &r);

			assert_true(got <= 3);
			for (size_t i = 0; i < got; i++)
				seen[n++] = r.id[i];
			if (got < f.limit)
				break;
			f.after_id = r.id[got - 1];
		}
		assert_int_equal(n, 4);
		assert_int_equal(seen[0], a1);
		assert_int_equal(seen[3], a4);
		f = (struct store_filter){ .kind = "asset", .after_id = a2 };
		assert_int_equal(list(st, &f, &r), 2);
		assert_int_equal(r.id[0], a3);
	}

	/* a callback that stops */
	f = (struct store_filter){ .kind = "asset" };
	memset(&r, 0, sizeof(r));
	r.stop_after = 2;
	assert_int_equal(st->ops->doc_list(st, &f, collect, &r), 0);
	assert_int_equal(r.n, 2);

	/* long filter keys are refused */
	{
		char lk[ST_KEYLEN + 1];

		memset(lk, 'o', ST_KEYLEN);
		lk[ST_KEYLEN] = '\0';
		f = (struct store_filter){ .kind = "asset", .org = lk };
		assert_int_equal(st->ops->doc_list(st, &f, collect, &r), -1);
		assert_non_null(strstr(store_error(st), "org"));
	}
}

/* A callback that lists the same shape again while the outer listing is stepping. */
struct nest {
	struct store *st;
	size_t outer, inner;
};

static int count_cb(const struct store_doc *d, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

static int nest_cb(const struct store_doc *d, void *ctx)
{
	struct nest *n = ctx;
	struct store_filter f = { .kind = d->kind };
	struct store_doc g;

	n->outer++;
	assert_int_equal(n->st->ops->doc_list(n->st, &f, count_cb, &n->inner), 0);
	assert_int_equal(n->st->ops->doc_get(n->st, d->kind, d->id, &g), 0);
	assert_int_equal(g.id, d->id);
	store_doc_clear(&g);
	return 0;
}

static void doc_list_nested(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_filter f = { .kind = "k" };
	struct nest n = { .st = st };

	assert_int_equal(st->ops->begin(st), 0);
	for (int i = 0; i < 3; i++)
		put(st, "k", "", "", "", 0, 0, json_pack("{s:i}", "i", i));
	assert_int_equal(st->ops->commit(st), 0);
	assert_int_equal(st->ops->doc_list(st, &f, nest_cb, &n), 0);
	assert_int_equal(n.outer, 3);
	assert_int_equal(n.inner, 9);
}

/* ---- rollback ---- */

static int audit_count_cb(const struct store_audit_row *row, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void rollback_leaves_nothing(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_token t = { .role = "cabinet", .label = "t1" };
	uint8_t entry[] = "entry-0";
	struct store_audit_row row = { .index = 0, .entry = entry, .entry_len = sizeof(entry) - 1,
				       .sth = entry, .sth_len = 3 };
	struct store_doc g;
	struct store_token tg;
	uint64_t n = 9;
	int64_t id;

	memset(t.hash, 0xab, 32);
	assert_int_equal(st->ops->begin(st), 0);
	id = put(st, "order", "org-1", "gas", "issued", 0, 0, json_pack("{s:s}", "a", "b"));
	put(st, "order", "org-1", "gas", "issued", 0, 0, NULL);
	assert_int_equal(st->ops->token_put(st, &t), 0);
	assert_int_equal(st->ops->audit_append(st, &row), 0);
	assert_int_equal(count_kind(st, "order"), 2);          /* visible inside */
	assert_int_equal(st->ops->rollback(st), 0);
	assert_int_equal(st->ops->rollback(st), 0);            /* idempotent */

	assert_int_equal(count_kind(st, "order"), 0);
	assert_int_equal(st->ops->doc_get(st, "order", id, &g), ST_NOTFOUND);
	assert_int_equal(st->ops->token_get(st, t.hash, &tg), ST_NOTFOUND);
	assert_int_equal(st->ops->audit_count(st, &n), 0);
	assert_int_equal(n, 0);
	/* and nothing on disk either, seen from another connection */
	store_close(st);
	fx->st = NULL;
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM docs"), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM tokens"), 0);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM audit"), 0);
}

/* ---- tokens ---- */

static void tokens(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_token t = { 0 }, g;
	uint8_t other[32];

	for (int i = 0; i < 32; i++)
		t.hash[i] = (uint8_t)i;
	memset(other, 0x5a, sizeof(other));
	store_set_key(t.role, "ministry");
	store_set_key(t.label, "meti-1");
	snprintf(t.sectors, sizeof(t.sectors), "electricity,gas");
	t.created = 1700000000;

	assert_int_equal(st->ops->token_put(st, &t), -1);                /* outside a transaction */
	assert_int_equal(st->ops->begin(st), 0);
	assert_int_equal(st->ops->token_put(st, &t), 0);
	assert_int_equal(st->ops->token_put(st, &t), ST_CONFLICT);
	assert_non_null(strstr(store_error(st), "exists"));
	t.role[0] = '\0';
	assert_int_equal(st->ops->token_put(st, &(struct store_token){ .hash = { 1 } }), -1);   /* no role */
	store_set_key(t.role, "ministry");
	assert_int_equal(st->ops->commit(st), 0);

	assert_int_equal(st->ops->token_get(st, t.hash, &g), 0);
	assert_memory_equal(g.hash, t.hash, 32);
	assert_string_equal(g.role, "ministry");
	assert_string_equal(g.org, "");
	assert_string_equal(g.sectors, "electricity,gas");
	assert_string_equal(g.label, "meti-1");
	assert_int_equal(g.created, 1700000000);
	assert_int_equal(g.revoked, 0);
	assert_int_equal(st->ops->token_get(st, other, &g), ST_NOTFOUND);

	/* the duplicate stays a conflict across handles and a committed revoked token reads back */
	assert_int_equal(st->ops->begin(st), 0);
	memcpy(t.hash, other, 32);
	t.revoked = 1;
	store_set_key(t.role, "operator");
	store_set_key(t.org, "org-9");
	assert_int_equal(st->ops->token_put(st, &t), 0);
	assert_int_equal(st->ops->commit(st), 0);
	assert_int_equal(st->ops->token_get(st, other, &g), 0);
	assert_int_equal(g.revoked, 1);
	assert_string_equal(g.org, "org-9");
}

/* ---- audit rows ---- */

struct scan {
	uint64_t idx[16];
	char entry[16][16];
	size_t n;
};

static int scan_cb(const struct store_audit_row *row, void *ctx)
{
	struct scan *s = ctx;

	if (s->n < 16) {
		s->idx[s->n] = row->index;
		snprintf(s->entry[s->n], sizeof(s->entry[0]), "%.*s", (int)row->entry_len, (const char *)row->entry);
		assert_int_equal(row->leaf_hash[0], (uint8_t)row->index);
		assert_int_equal(row->sth_len, 4);
		assert_memory_equal(row->sth, "STH!", 4);
		s->n++;
	}
	return 0;
}

static void append_rows(struct store *st, uint64_t from, uint64_t to)
{
	for (uint64_t i = from; i < to; i++) {
		char e[16];
		struct store_audit_row row = { .index = i, .sth = (const uint8_t *)"STH!", .sth_len = 4 };

		snprintf(e, sizeof(e), "entry-%llu", (unsigned long long)i);
		row.entry = (const uint8_t *)e;
		row.entry_len = strlen(e);
		memset(row.leaf_hash, (int)i, 32);
		assert_int_equal(st->ops->audit_append(st, &row), 0);
	}
}

static void audit_rows(void **state)
{
	struct store *st = ((struct fx *)*state)->st;
	struct store_audit_row bad = { .index = 5, .entry = (const uint8_t *)"x", .entry_len = 1,
				       .sth = (const uint8_t *)"STH!", .sth_len = 4 };
	struct scan s = { 0 };
	uint64_t n = 99;

	assert_int_equal(st->ops->audit_count(st, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(st->ops->audit_append(st, &bad), -1);       /* outside a transaction */
	assert_int_equal(st->ops->begin(st), 0);
	append_rows(st, 0, 3);
	assert_int_equal(st->ops->audit_append(st, &bad), -1);       /* a gap */
	assert_non_null(strstr(store_error(st), "out of order"));
	bad.index = 1;
	assert_int_equal(st->ops->audit_append(st, &bad), -1);       /* an old index */
	bad.index = 3;
	memset(bad.leaf_hash, 3, 32);
	assert_int_equal(st->ops->audit_append(st, &bad), 0);        /* the next one */
	assert_int_equal(st->ops->commit(st), 0);
	assert_int_equal(st->ops->audit_count(st, &n), 0);
	assert_int_equal(n, 4);

	assert_int_equal(st->ops->audit_scan(st, 0, UINT64_MAX, scan_cb, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.idx[0], 0);
	assert_string_equal(s.entry[0], "entry-0");
	assert_string_equal(s.entry[2], "entry-2");
	assert_string_equal(s.entry[3], "x");
	memset(&s, 0, sizeof(s));
	assert_int_equal(st->ops->audit_scan(st, 1, 3, scan_cb, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.idx[0], 1);
	assert_int_equal(s.idx[1], 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(st->ops->audit_scan(st, 4, UINT64_MAX, scan_cb, &s), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(st->ops->audit_scan(st, 3, 1, scan_cb, &s), 0);
	assert_int_equal(s.n, 0);
}

static void audit_triggers(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	char msg[256];
	size_t n = 0;

	assert_int_equal(st->ops->begin(st), 0);
	append_rows(st, 0, 3);
	assert_int_equal(st->ops->commit(st), 0);

	/* raw SQL on the file: the database itself refuses to change history */
	assert_int_equal(raw_sql(fx->path, "UPDATE audit SET entry = x'00' WHERE idx = 1", msg, sizeof(msg)),
			 SQLITE_CONSTRAINT);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_equal(raw_sql(fx->path, "DELETE FROM audit WHERE idx = 2", msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_equal(raw_sql(fx->path, "DELETE FROM audit", msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_int_equal(raw_sql(fx->path, "INSERT OR REPLACE INTO audit VALUES (1, x'00', zeroblob(32), x'00')",
				 msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_int_equal(raw_sql(fx->path, "INSERT INTO audit VALUES (7, x'00', zeroblob(32), x'00')",
				 msg, sizeof(msg)), SQLITE_CONSTRAINT);
	assert_non_null(strstr(msg, "densely"));
	assert_int_equal(raw_sql(fx->path, "INSERT INTO audit VALUES (3, x'00', x'00', x'00')",
				 msg, sizeof(msg)), SQLITE_CONSTRAINT);              /* leaf hash not 32 bytes */

	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM audit"), 3);
	assert_int_equal(raw_int(fx->path, "SELECT count(*) FROM audit WHERE entry = CAST('entry-1' AS BLOB)"), 1);
	assert_int_equal(st->ops->audit_scan(st, 0, UINT64_MAX, audit_count_cb, &n), 0);
	assert_int_equal(n, 3);
}

/* ---- a corrupt body ---- */

static int never_cb(const struct store_doc *d, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

static void corrupt_body_reported(void **state)
{
	struct fx *fx = *state;
	struct store *st = fx->st;
	struct store_filter f = { .kind = "incident" };
	struct store_doc g;
	char sql[128], want[32];
	size_t calls = 0;
	int64_t ok, bad;

	assert_int_equal(st->ops->begin(st), 0);
	ok = put(st, "incident", "", "", "", 0, 0, json_pack("{s:s}", "a", "b"));
	bad = put(st, "incident", "", "", "", 0, 0, json_pack("{s:s}", "a", "c"));
	assert_int_equal(st->ops->commit(st), 0);
	snprintf(sql, sizeof(sql), "UPDATE docs SET body = '{\"a\": \"c' WHERE id = %lld", (long long)bad);
	assert_int_equal(raw_sql(fx->path, sql, NULL, 0), SQLITE_OK);

	snprintf(want, sizeof(want), "doc %lld", (long long)bad);
	assert_int_equal(st->ops->doc_get(st, "incident", bad, &g), -1);
	assert_null(g.body);
	assert_non_null(strstr(store_error(st), want));
	assert_non_null(strstr(store_error(st), "JSON"));
	assert_int_equal(st->ops->doc_get(st, "incident", ok, &g), 0);
	store_doc_clear(&g);

	/* listing stops at it with the same reason, after the good one */
	assert_int_equal(st->ops->doc_list(st, &f, never_cb, &calls), -1);
	assert_int_equal(calls, 1);
	assert_non_null(strstr(store_error(st), want));

	/* valid JSON that is not an object, and an oversized key column, are errors too */
	snprintf(sql, sizeof(sql), "UPDATE docs SET body = '[1,2]' WHERE id = %lld", (long long)bad);
	assert_int_equal(raw_sql(fx->path, sql, NULL, 0), SQLITE_OK);
	assert_int_equal(st->ops->doc_get(st, "incident", bad, &g), -1);
	assert_non_null(strstr(store_error(st), want));
	snprintf(sql, sizeof(sql), "UPDATE docs SET body = '{}', org = printf('%%.100c', 'x') WHERE id = %lld",
		 (long long)bad);
	assert_int_equal(raw_sql(fx->path, sql, NULL, 0), SQLITE_OK);
	assert_int_equal(st->ops->doc_get(st, "incident", bad, &g), -1);
	assert_non_null(strstr(store_error(st), want));
}

/* ---- durability ---- */

static struct store *reopen(const char *path)
{
	struct store *st = NULL;
	char err[256];

	assert_int_equal(store_open(&st, path, err, sizeof(err)), 0);
	return st;
}

/* The child commits n docs one transaction each, then dies at once (no close, no atexit). */
static void durable_after_exit(void **state)
{
	struct fx *fx = *state;
	const int n = 50;
	pid_t pid;
	int status;

	store_close(fx->st);
	fx->st = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = NULL;
		char err[256];

		if (store_open(&st, fx->path, err, sizeof(err)))
			_exit(2);
		for (int i = 0; i < n; i++) {
			struct store_doc d = { .kind = "record", .created = i };

			if (st->ops->begin(st) || st->ops->doc_put(st, &d) || st->ops->commit(st))
				_exit(3);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	fx->st = reopen(fx->path);
	assert_int_equal(count_kind(fx->st, "record"), n);
}

/* The child commits until SIGKILLed, telling the parent after each commit returns; every
 * acknowledged commit (a batch of 100 docs with its audit row) must be there, whole. */
static void durable_after_sigkill(void **state)
{
	struct fx *fx = *state;
	int p[2], status;
	uint32_t acked = 0, a;
	uint64_t docs, rows;
	pid_t pid;

	store_close(fx->st);
	fx->st = NULL;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *st = NULL;
		char err[256];

		close(p[0]);
		if (store_open(&st, fx->path, err, sizeof(err)))
			_exit(2);
		for (uint32_t b = 1;; b++) {
			struct store_audit_row row = { .index = b - 1, .entry = (const uint8_t *)"e", .entry_len = 1,
						       .sth = (const uint8_t *)"s", .sth_len = 1 };

			if (st->ops->begin(st))
				_exit(3);
			for (int i = 0; i < 100; i++) {
				struct store_doc d = { .kind = "record", .created = b };

				if (st->ops->doc_put(st, &d))
					_exit(4);
			}
			if (st->ops->audit_append(st, &row) || st->ops->commit(st))
				_exit(5);
			if (write(p[1], &b, sizeof(b)) != sizeof(b))
				_exit(6);
		}
	}
	close(p[1]);
	while (acked < 20 && read(p[0], &a, sizeof(a)) == sizeof(a))
		acked = a;
	assert_int_equal(kill(pid, SIGKILL), 0);
	while (read(p[0], &a, sizeof(a)) == sizeof(a))    /* acknowledgements already sent */
		acked = a;
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_true(acked >= 20);

	fx->st = reopen(fx->path);
	docs = count_kind(fx->st, "record");
	assert_int_equal(fx->st->ops->audit_count(fx->st, &rows), 0);
	/* every acknowledged batch; at most one more that committed before the ack was written */
	assert_true(rows == acked || rows == acked + 1);
	assert_int_equal(docs, rows * 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(open_migrate_reopen, fx_setup, fx_teardown),
		cmocka_unit_test(locations),
		cmocka_unit_test_setup_teardown(newer_schema_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(not_a_database_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(doc_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(doc_null_body_and_bad_input, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(doc_filters, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(doc_list_nested, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(rollback_leaves_nothing, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(tokens, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(audit_rows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(audit_triggers, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(corrupt_body_reported, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(durable_after_exit, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(durable_after_sigkill, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

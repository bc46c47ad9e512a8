/*
 * records.c — selected records from sensors, their audited reads, and retention (rules 6, 7).
 *
 * Intake. A sensor POSTs the JSON Lines that `sakimori sensor -o` writes, one record per line.
 * The body is walked with a cursor line by line; each line must be one JSON object with a
 * non-empty "approvals" array (the approvals it was selected under), a "channel"
 * (agreement | transit | specific) and an RFC 3339 "ts_first". Every good line becomes
 *
 *   doc kind "record", org = the sensor's id, state = channel,
 *       expires = received + retention (the longest of the default and of any extension the
 *                 commission set for one of the record's approvals),
 *       body = the record + "received_at" + "sensor"
 *
 * One bad line fails the request with "line N: reason"; the dispatcher then rolls back the
 * request's single transaction, so the lines stored before it vanish with it (hub.h: a
 * handler that fails changes nothing). Approvals' retention settings are looked up once per
 * distinct approval per request (a small cache), never per line.
 *
 * Reads (cabinet, commission) are audited by the route flag; the handler names what was read
 * in resp->object ("records/ids 5-80 n=40").
 *
 * Retention. A commission decision (POST /approvals/{id}/retention) stores a doc kind
 * "approval" (org = approval id) with either an absolute "until" or a period in "days"
 * counted from each record's receipt, and recomputes expires of that approval's records.
 * hub_retention_sweep() deletes records whose expires has passed, in batches; each batch is
 * one transaction holding the deletions and one audit entry by "hub-retention" that names the
 * ids (as ranges) and carries SHA-256 over the ids (8 bytes big-endian each).
 *
 * Locking: the caller of hub_retention_sweep (server.c's timer thread) holds the hub lock;
 * the sweep itself begins and commits (or rolls back) its transactions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/cursor.h"
#include "common/timefmt.h"
#include "hub/domain.h"

#define RECORDS_PAGE      100   /* default GET /records page */
#define RECORDS_PAGE_MAX  1000
#define APPROVALS_MAX     16    /* approvals named by one record */
#define APPR_CACHE        64
#define SWEEP_BATCH       1000
#define RETAIN_BATCH      500
#define AUDIT_OBJ_MAX     1024  /* the id ranges named in one retention audit entry */
#define DAYS_MAX          36500

/* ---- approvals' retention ---- */

struct appr {
	char id[ST_KEYLEN];
	int64_t until;  /* absolute end, or 0 */
	int64_t period; /* seconds from receipt, or 0 */
};

struct appr_cache {
	struct appr v[APPR_CACHE];
	size_t n;
};

static int appr_id_ok(const char *s, size_t n)
{
	if (n == 0 || n >= ST_KEYLEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '_' || c == '.' || c == ':'))
			return 0;
	}
	return 1;
}

static int appr_cb(const struct store_doc *d, void *ctx)
{
	struct appr *a = ctx;
	json_t *days = json_object_get(d->body, "days");

	a->until = hd_body_time(d->body, "until");
	if (json_is_integer(days) && json_integer_value(days) > 0)
		a->period = (int64_t)json_integer_value(days) * 86400;
	return 1;
}

/* The retention setting of approval id (zeros when the commission set none). */
static const struct appr *appr_get(struct hub *hub, struct appr_cache *c, const char *id)
{
	struct store_filter f = { .kind = "approval", .org = id, .limit = 1 };
	struct appr *a;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].id, id))
			return &c->v[i];
	if (c->n == APPR_CACHE)
		c->n = 0;
	a = &c->v[c->n];
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	if (hub->st->ops->doc_list(hub->st, &f, appr_cb, a))
		return NULL;
	c->n++;
	return a;
}

/* End of retention of a record received at `received` under approvals; -1 on a store error. */
static int record_expires(struct hub *hub, struct appr_cache *c, int64_t received, const json_t *approvals,
			  int64_t *expires)
{
	int64_t e = received + hub->cfg.retention_s;
	size_t i;
	json_t *v;

	json_array_foreach(approvals, i, v) {
		const char *id = json_string_value(v);
		const struct appr *a;
		if (!id)
			continue;
		if (!(a = appr_get(hub, c, id)))
			return -1;
		if (a->until > e)
			e = a->until;
		if (a->period && received + a->period > e)
			e = received + a->period;
	}
	*expires = e;
	return 0;
}

/* ---- intake ---- */

static int channel_ok(const char *s)
{
	return s && (!strcmp(s, "agreement") || !strcmp(s, "transit") || !strcmp(s, "specific"));
}

/* Check one parsed line; a reason in why otherwise. */
static int record_check(const json_t *r, char *why, size_t whylen)
{
	json_t *ap = json_object_get(r, "approvals"), *v;
	const char *ts;
	int64_t t;
	size_t i;

	if (!json_is_object(r)) {
		snprintf(why, whylen, "not a JSON object");
		return -1;
	}
	if (!json_is_array(ap) || json_array_size(ap) == 0 || json_array_size(ap) > APPROVALS_MAX) {
		snprintf(why, whylen, "approvals: a non-empty array of at most %d approval ids", APPROVALS_MAX);
		return -1;
	}
	json_array_foreach(ap, i, v) {
		if (!json_is_string(v) || !appr_id_ok(json_string_value(v), json_string_length(v))) {
			snprintf(why, whylen, "approvals[%zu]: not an approval id", i);
			return -1;
		}
	}
	if (!channel_ok(json_string_value(json_object_get(r, "channel")))) {
		snprintf(why, whylen, "channel: agreement, transit or specific");
		return -1;
	}
	ts = json_string_value(json_object_get(r, "ts_first"));
	if (!ts || tf_parse_rfc3339(ts, &t, NULL)) {
		snprintf(why, whylen, "ts_first: not an RFC 3339 date-time");
		return -1;
	}
	return 0;
}

static int blank(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

void h_records_ingest(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct cur c = cur_make(req->body, req->body ? req->body_len : 0);
	struct appr_cache *cache = NULL;
	struct store_doc d = { 0 };
	json_t *received = NULL;
	int64_t first = 0, last = 0;
	size_t line = 0, accepted = 0;
	char why[160];

	if (!req->who.id[0]) {
		hub_fail(resp, 403, "sensor token without an id");
		return;
	}
	if (!(cache = calloc(1, sizeof(*cache))) || !(received = hd_jtime(req->now))) {
		hub_fail(resp, 500, "out of memory");
		goto out;
	}
	strcpy(d.kind, "record");
	memcpy(d.org, req->who.id, sizeof(d.org));
	d.org[sizeof(d.org) - 1] = '\0';
	d.created = d.updated = req->now;

	while (cur_left(&c) > 0) {
		const uint8_t *nl = memchr(cur_ptr(&c), '\n', cur_left(&c));
		size_t n = nl ? (size_t)(nl - cur_ptr(&c)) : cur_left(&c);
		struct cur l = cur_sub(&c, n);
		json_error_t e;
		json_t *r;

		if (nl)
			cur_skip(&c, 1);
		line++;
		if (blank(l.data, l.len))
			continue;
		r = json_loadb((const char *)l.data, l.len, JSON_REJECT_DUPLICATES, &e);
		if (!r) {
			hub_fail(resp, 400, "line %zu: malformed JSON at column %d", line, e.column);
			goto out;
		}
		if (record_check(r, why, sizeof(why))) {
			json_decref(r);
			hub_fail(resp, 400, "line %zu: %s", line, why);
			goto out;
		}
		store_set_key(d.state, json_string_value(json_object_get(r, "channel")));
		if (record_expires(hub, cache, req->now, json_object_get(r, "approvals"), &d.expires)) {
			json_decref(r);
			hd_store_err(hub, resp);
			goto out;
		}
		json_object_set(r, "received_at", received);
		json_object_set_new(r, "sensor", json_string(req->who.id));
		d.id = 0;
		d.body = r;
		if (hub->st->ops->doc_put(hub->st, &d)) {
			d.body = NULL;
			json_decref(r);
			hd_store_err(hub, resp);
			goto out;
		}
		d.body = NULL;
		json_decref(r);
		if (!first)
			first = d.id;
		last = d.id;
		accepted++;
	}
	if (accepted == 0) {
		hub_fail(resp, 400, "no records in the body");
		goto out;
	}
	snprintf(resp->object, sizeof(resp->object), "records/%lld-%lld", (long long)first, (long long)last);
	hub_ok(resp, 201, json_pack("{s:I, s:I, s:I}", "accepted", (json_int_t)accepted, "first_id", (json_int_t)first,
				    "last_id", (json_int_t)last));
out:
	json_decref(received);
	free(cache);
}

/* ---- reads ---- */

struct read_ctx {
	json_t *arr;
	const char *approval;
	size_t limit, n;
	int64_t first, last;
};

static int has_approval(const json_t *body, const char *id)
{
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(body, "approvals"), i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return 1;
	return 0;
}

static json_t *record_view(const struct store_doc *d)
{
	json_t *v = d->body && json_is_object(d->body) ? json_deep_copy(d->body) : json_object();

	json_object_set_new(v, "id", json_integer(d->id));
	json_object_set_new(v, "expires_at", hd_jtime(d->expires));
	return v;
}

static int read_cb(const struct store_doc *d, void *ctx)
{
	struct read_ctx *r = ctx;

	if (r->approval && !has_approval(d->body, r->approval))
		return 0;
	json_array_append_new(r->arr, record_view(d));
	if (!r->first)
		r->first = d->id;
	r->last = d->id;
	return ++r->n >= r->limit;
}

void h_records_list(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	const char *approval = hub_query(req, "approval"), *channel = hub_query(req, "channel");
	struct store_filter f = { .kind = "record" };
	struct read_ctx r = { NULL, approval, RECORDS_PAGE, 0, 0, 0 };

	if (approval && !appr_id_ok(approval, strlen(approval))) {
		hub_fail(resp, 400, "approval: not an approval id");
		return;
	}
	if (channel && !channel_ok(channel)) {
		hub_fail(resp, 400, "channel: agreement, transit or specific");
		return;
	}
	if (hd_paging(req, resp, RECORDS_PAGE, RECORDS_PAGE_MAX, &f.after_id, &r.limit))
		return;
	f.state = channel;
	/* without an approval filter the store limits; with one, the callback stops at the limit */
	f.limit = approval ? 0 : r.limit;
	r.arr = json_array();
	if (hub->st->ops->doc_list(hub->st, &f, read_cb, &r)) {
		json_decref(r.arr);
		hd_store_err(hub, resp);
		return;
	}
	if (r.n)
		snprintf(resp->object, sizeof(resp->object), "records/ids %lld-%lld n=%zu", (long long)r.first,
			 (long long)r.last, r.n);
	else
		snprintf(resp->object, sizeof(resp->object), "records/none n=0");
	resp->audit = 1;
	hub_ok(resp, 200, json_pack("{s:o, s:I, s:o}", "records", r.arr, "count", (json_int_t)r.n, "next_after_id",
				    r.n == r.limit ? json_integer(r.last) : json_null()));
}

/* ---- retention decisions ---- */

struct collect_ctx {
	struct store_doc docs[RETAIN_BATCH];
	size_t n;
	const char *approval;
	int64_t last_id;
};

static int collect_cb(const struct store_doc *d, void *ctx)
{
	struct collect_ctx *c = ctx;

	c->last_id = d->id;
	if (!has_approval(d->body, c->approval))
		return 0;
	c->docs[c->n] = *d;
	c->docs[c->n].body = json_deep_copy(d->body);
	return ++c->n == RETAIN_BATCH;
}

/* Recompute expires of every record of approval a (whose new setting is already stored and
 * cached). Returns records changed or -1. Batches of RETAIN_BATCH so that no update runs
 * under an open listing. */
static long retain_apply(struct hub *hub, struct appr_cache *cache, const char *approval)
{
	struct collect_ctx *c = calloc(1, sizeof(*c));
	long changed = 0;
	int64_t after = 0;

	if (!c)
		return -1;
	c->approval = approval;
	for (;;) {
		struct store_filter f = { .kind = "record", .after_id = after, .limit = 5000 };
		size_t i;
		int rc = 0;

		c->n = 0;
		c->last_id = after;
		if (hub->st->ops->doc_list(hub->st, &f, collect_cb, c)) {
			changed = -1;
			break;
		}
		for (i = 0; i < c->n; i++) {
			struct store_doc *d = &c->docs[i];
			int64_t e;
			if (!rc && record_expires(hub, cache, d->created, json_object_get(d->body, "approvals"), &e))
				rc = -1;
			if (!rc && e != d->expires) {
				d->expires = e;
				if (hub->st->ops->doc_update(hub->st, d))
					rc = -1;
				else
					changed++;
			}
			json_decref(d->body);
			d->body = NULL;
		}
		if (rc) {
			changed = -1;
			break;
		}
		if (c->last_id == after)
			break;
		after = c->last_id;
	}
	free(c);
	return changed;
}

void h_approvals_retention(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "until", "days", "reason", NULL };
	const char *id = req->n_params ? req->params[0] : NULL, *reason;
	struct store_filter f = { .kind = "approval", .limit = 1 };
	struct store_doc d = { 0 };
	struct appr_cache *cache = NULL;
	json_t *until_j, *days_j, *setting = NULL;
	int64_t until = 0, days = 0;
	long changed;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (!id || !appr_id_ok(id, strlen(id))) {
		hub_fail(resp, 404, "no such approval");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL))
		return;
	until_j = json_object_get(req->json, "until");
	days_j = json_object_get(req->json, "days");
	reason = json_string_value(json_object_get(req->json, "reason"));
	if (!reason || !*reason || strlen(reason) > 4096) {
		hub_fail(resp, 400, "reason: required, 1 to 4096 bytes");
		return;
	}
	if (!!until_j == !!days_j) {
		hub_fail(resp, 400, "give either until (RFC 3339) or days (a number of days)");
		return;
	}
	if (until_j) {
		if (!json_is_string(until_j) || tf_parse_rfc3339(json_string_value(until_j), &until, NULL)) {
			hub_fail(resp, 400, "until: not an RFC 3339 date-time");
			return;
		}
		if (until <= req->now) {
			hub_fail(resp, 400, "until: must be in the future");
			return;
		}
	} else if (!json_is_integer(days_j) || json_integer_value(days_j) < 1 ||
		   json_integer_value(days_j) > DAYS_MAX) {
		hub_fail(resp, 400, "days: an integer from 1 to %d", DAYS_MAX);
		return;
	} else {
		days = (int64_t)json_integer_value(days_j);
	}

	f.org = id;
	if (hub->st->ops->doc_list(hub->st, &f, hd_first_cb, &d))
		goto store_fail;
	setting = json_pack("{s:o, s:o, s:s, s:o, s:s}", "until", hd_jtime(until), "days",
			    days ? json_integer(days) : json_null(), "reason", reason, "set_at", hd_jtime(req->now),
			    "set_by", req->who.id);
	if (d.id) {
		json_t *hist = json_object_get(d.body, "history");
		if (!json_is_array(hist)) {
			hist = json_array();
			json_object_set_new(d.body, "history", hist);
		}
		json_array_append(hist, setting);
	} else {
		strcpy(d.kind, "approval");
		store_set_key(d.org, id);
		d.created = req->now;
		d.body = json_pack("{s:s, s:[O]}", "approval", id, "history", setting);
	}
	json_object_set_new(d.body, "until", hd_jtime(until));
	json_object_set_new(d.body, "days", days ? json_integer(days) : json_null());
	json_object_set_new(d.body, "reason", json_string(reason));
	json_object_set_new(d.body, "set_at", hd_jtime(req->now));
	json_object_set_new(d.body, "set_by", json_string(req->who.id));
	strcpy(d.state, "set");
	d.updated = req->now;
	if (d.id ? hub->st->ops->doc_update(hub->st, &d) : hub->st->ops->doc_put(hub->st, &d))
		goto store_fail;

	if (!(cache = calloc(1, sizeof(*cache)))) {
		hub_fail(resp, 500, "out of memory");
		goto out;
	}
	snprintf(cache->v[0].id, sizeof(cache->v[0].id), "%s", id);
	cache->v[0].until = until;
	cache->v[0].period = days * 86400;
	cache->n = 1;
	if ((changed = retain_apply(hub, cache, id)) < 0)
		goto store_fail;
	snprintf(resp->object, sizeof(resp->object), "approval/%s", id);
	hub_ok(resp, 200, json_pack("{s:s, s:o, s:o, s:s, s:I}", "approval", id, "until",
				    hd_jtime(until), "days", days ? json_integer(days) : json_null(),
				    "reason", reason, "records_updated", (json_int_t)changed));
	goto out;
store_fail:
	hd_store_err(hub, resp);
out:
	json_decref(setting);
	store_doc_clear(&d);
	free(cache);
}

/* ---- the sweep ---- */

struct sweep_ctx {
	int64_t ids[SWEEP_BATCH];
	size_t n;
};

static int sweep_cb(const struct store_doc *d, void *ctx)
{
	struct sweep_ctx *s = ctx;

	s->ids[s->n++] = d->id;
	return s->n == SWEEP_BATCH;
}

/* "records/1-5,9,12-40" for sorted ids; what does not fit is summarised as "+N more". */
static void id_ranges(const int64_t *ids, size_t n, char *out, size_t outlen)
{
	size_t o = (size_t)snprintf(out, outlen, "records/"), i = 0;

	while (i < n) {
		size_t j = i;
		char part[48];
		int w;
		while (j + 1 < n && ids[j + 1] == ids[j] + 1)
			j++;
		if (j == i)
			w = snprintf(part, sizeof(part), "%s%lld", i ? "," : "", (long long)ids[i]);
		else
			w = snprintf(part, sizeof(part), "%s%lld-%lld", i ? "," : "", (long long)ids[i], (long long)ids[j]);
		if (o + (size_t)w + 24 >= outlen) {
			snprintf(out + o, outlen - o, ",+%zu more", n - i);
			return;
		}
		memcpy(out + o, part, (size_t)w + 1);
		o += (size_t)w;
		i = j + 1;
	}
}

static void ids_digest(const int64_t *ids, size_t n, uint8_t out[AUDIT_HASHLEN])
{
	crypto_hash_sha256_state h;

	crypto_hash_sha256_init(&h);
	for (size_t i = 0; i < n; i++) {
		uint8_t be[8];
		for (int k = 0; k < 8; k++)
			be[k] = (uint8_t)((uint64_t)ids[i] >> (56 - 8 * k));
		crypto_hash_sha256_update(&h, be, sizeof(be));
	}
	crypto_hash_sha256_final(&h, out);
}

/* One batch in one transaction: deletions and their audit entry. Returns records deleted
 * (0: nothing is past retention) or -1, having rolled back. */
static long sweep_batch(struct hub *hub, struct sweep_ctx *s, char *obj, int64_t now)
{
	/* the Cabinet Office runs the hub; its retention job signs as "hub-retention" */
	static const struct hub_principal who = { .role = ROLE_CABINET, .id = "hub-retention" };
	struct store_filter f = { .kind = "record", .expires_before = now, .limit = SWEEP_BATCH };
	uint64_t before = audit_size(hub->al);
	uint8_t digest[AUDIT_HASHLEN];

	s->n = 0;
	if (hub->st->ops->begin(hub->st))
		return -1;
	if (hub->st->ops->doc_list(hub->st, &f, sweep_cb, s))
		goto fail;
	if (s->n == 0) {
		hub->st->ops->rollback(hub->st);
		return 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (hub->st->ops->doc_delete(hub->st, "record", s->ids[i]) < 0)
			goto fail;
	id_ranges(s->ids, s->n, obj, AUDIT_OBJ_MAX);
	ids_digest(s->ids, s->n, digest);
	if (hub_audit(hub, &who, "DELETE records (retention)", obj, now, digest) || hub->st->ops->commit(hub->st))
		goto fail;
	return (long)s->n;
fail:
	hub->st->ops->rollback(hub->st);
	audit_truncate(hub->al, before);
	return -1;
}

long hub_retention_sweep(struct hub *hub, int64_t now)
{
	struct sweep_ctx *s = malloc(sizeof(*s));
	char *obj = malloc(AUDIT_OBJ_MAX);
	long total = 0, n;

	if (!s || !obj) {
		total = -1;
		goto out;
	}
	do {
		n = sweep_batch(hub, s, obj, now);
		if (n < 0) {
			total = -1;
			goto out;
		}
		total += n;
	} while (n == SWEEP_BATCH);
out:
	free(s);
	free(obj);
	return total;
}

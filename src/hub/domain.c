/*
 * domain.c — the helpers the domain handlers share (contracts in domain.h).
 *
 * These were once copied into each of registry.c, reports.c, records.c and auditapi.c; the
 * copies had drifted only in small ways, now parameters:
 *   - string fields: registry.c names each fault ("must be a string", "control character at
 *     byte N"), reports.c answers one summary line; HD_STR_DETAIL picks the first.
 *   - paging: the default and largest page (1000 for documents, 100/1000 for records).
 *   - scope: which roles see every row (the commission lists registry documents, not reports).
 *   - views: reports' documents carry a deadline ("due"), registry's do not.
 * Every reason goes through hub_fail (printable ASCII, {"error": ...}); times through
 * common/timefmt.h, never the C library's time zone state.
 */
#include <stdio.h>
#include <string.h>

#include "common/timefmt.h"
#include "hub/domain.h"

/* ---- values ---- */

json_t *hd_jtime(int64_t t)
{
	char b[TF_RFC3339_LEN];

	return t > 0 && tf_format_rfc3339(t, b) == 0 ? json_string(b) : json_null();
}

int64_t hd_body_time(const json_t *body, const char *key)
{
	int64_t t = 0;
	const char *s = json_string_value(json_object_get(body, key));

	return s && tf_parse_rfc3339(s, &t, NULL) == 0 ? t : 0;
}

int hd_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	/* 19 digits cannot overflow 64 bits */
	if (!s || !*s || strlen(s) > 19)
		return -1;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int hd_parse_id(const char *s, int64_t *id)
{
	uint64_t v;

	if (hd_parse_u64(s, INT64_MAX, &v) || v == 0)
		return -1;
	*id = (int64_t)v;
	return 0;
}

/* ---- request fields ---- */

/* Index of the first control character in s[0..n), or n. */
static size_t first_control(const char *s, size_t n, unsigned flags)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && !((flags & HD_STR_TEXT) && (c == '\n' || c == '\t' || c == '\r'))) || c == 0x7f)
			break;
	}
	return i;
}

int hd_str_ok(const char *s, size_t n, unsigned flags)
{
	return n > 0 && first_control(s, n, flags) == n;
}

int hd_only_keys(struct hub_resp *resp, const json_t *obj, const char *const *allowed, const char *where)
{
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], k); i++)
			;
		if (!allowed[i]) {
			hub_fail(resp, 400, "%s%sunknown key \"%.64s\"", where ? where : "", where ? ": " : "", k);
			return -1;
		}
	}
	return 0;
}

int hd_get_str(struct hub_resp *resp, const json_t *obj, const char *where, const char *key, unsigned flags,
	       size_t max, const char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *w = where ? where : "", *dot = where ? "." : "", *s;
	size_t n, bad;

	*out = NULL;
	if (!v || ((flags & HD_STR_NULLABLE) && json_is_null(v))) {
		if (flags & HD_STR_REQUIRED) {
			hub_fail(resp, 400, "%s%s%s: required", w, dot, key);
			return -1;
		}
		return 0;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (!(flags & HD_STR_DETAIL)) {
		if (!s || n > max || !hd_str_ok(s, n, flags)) {
			hub_fail(resp, 400, "%s%s%s: a string of 1 to %zu bytes without control characters", w, dot,
				 key, max);
			return -1;
		}
	} else if (!s) {
		hub_fail(resp, 400, "%s%s%s: must be a string", w, dot, key);
		return -1;
	} else if (n == 0 || n > max) {
		hub_fail(resp, 400, "%s%s%s: must be 1 to %zu bytes", w, dot, key, max);
		return -1;
	} else if ((bad = first_control(s, n, flags)) < n) {
		hub_fail(resp, 400, "%s%s%s: control character at byte %zu", w, dot, key, bad);
		return -1;
	}
	*out = s;
	return 0;
}

int hd_get_time(struct hub_resp *resp, const json_t *obj, const char *where, const char *key, unsigned flags,
		int64_t *t)
{
	const char *s;

	*t = 0;
	if (hd_get_str(resp, obj, where, key, flags & (HD_STR_REQUIRED | HD_STR_DETAIL), 64, &s))
		return -1;
	if (s && tf_parse_rfc3339(s, t, NULL)) {
		hub_fail(resp, 400, "%s%s%s: not an RFC 3339 date-time", where ? where : "", where ? "." : "", key);
		return -1;
	}
	return 0;
}

int hd_store_err(struct hub *hub, struct hub_resp *resp)
{
	hub_fail(resp, 500, "store: %s", store_error(hub->st));
	return -1;
}

int hd_paging(const struct hub_req *req, struct hub_resp *resp, size_t def, size_t max, int64_t *after,
	      size_t *limit)
{
	const char *a = hub_query(req, "after_id"), *l = hub_query(req, "limit");
	uint64_t v;

	*after = 0;
	*limit = def;
	if (a) {
		if (hd_parse_u64(a, INT64_MAX, &v)) {
			hub_fail(resp, 400, "after_id: not a number");
			return -1;
		}
		*after = (int64_t)v;
	}
	if (l) {
		if (hd_parse_u64(l, max, &v) || v == 0) {
			hub_fail(resp, 400, "limit: 1 to %zu", max);
			return -1;
		}
		*limit = (size_t)v;
	}
	return 0;
}

int hd_list_query(const struct hub_req *req, struct hub_resp *resp, size_t max, struct store_filter *f,
		  const char *s1, const char *s2)
{
	const char *state = hub_query(req, "state");

	if (hd_paging(req, resp, max, max, &f->after_id, &f->limit))
		return -1;
	if (state && strcmp(state, s1) && strcmp(state, s2)) {
		hub_fail(resp, 400, "state: %s or %s", s1, s2);
		return -1;
	}
	f->state = state;
	return 0;
}

/* ---- who sees what (rule 9) ---- */

/* A ministry's valid sectors, split in sc; 0 when it has none. */
static size_t ministry_sectors(const struct hub_principal *p, struct hd_sectors *sc)
{
	size_t n = 0;
	char *save = NULL;

	snprintf(sc->buf, sizeof(sc->buf), "%s", p->sectors);
	for (char *t = strtok_r(sc->buf, ",", &save); t && n < HUB_NSECTORS; t = strtok_r(NULL, ",", &save))
		if (hub_sector_valid(t))
			sc->key[n++] = t;
	return n;
}

int hd_scope(const struct hub_req *req, struct hub_resp *resp, unsigned see_all, struct store_filter *f,
	     struct hd_sectors *sc)
{
	switch (req->who.role) {
	case ROLE_OPERATOR:
		if (!req->who.org[0]) {
			hub_fail(resp, 403, "operator token without an organisation");
			return -1;
		}
		f->org = req->who.org;
		return 0;
	case ROLE_MINISTRY:
		f->n_sectors = ministry_sectors(&req->who, sc);
		f->sectors = sc->key;
		return f->n_sectors ? 0 : 1;
	default:
		if (see_all & ROLE_BIT(req->who.role))
			return 0;
		hub_fail(resp, 403, "not for role %s", hub_role_name(req->who.role));
		return -1;
	}
}

int hd_visible(const struct hub_req *req, const struct store_doc *d)
{
	switch (req->who.role) {
	case ROLE_OPERATOR:
		return req->who.org[0] && !strcmp(d->org, req->who.org);
	case ROLE_MINISTRY:
		return hub_principal_has_sector(&req->who, d->sector);
	case ROLE_CABINET:
		return 1;
	default:
		return 0;
	}
}

int hd_get_visible(struct hub *hub, const struct hub_req *req, const char *kind, struct store_doc *d)
{
	int64_t id;
	int rc;

	memset(d, 0, sizeof(*d));
	if (hd_parse_id(req->n_params ? req->params[0] : NULL, &id))
		return ST_NOTFOUND;
	rc = hub->st->ops->doc_get(hub->st, kind, id, d);
	if (rc)
		return rc == ST_NOTFOUND ? ST_NOTFOUND : -1;
	if (!hd_visible(req, d)) {
		store_doc_clear(d);
		return ST_NOTFOUND;
	}
	return 0;
}

/* ---- answers ---- */

static json_t *doc_view(const struct store_doc *d, int with_due)
{
	json_t *v = d->body && json_is_object(d->body) ? json_deep_copy(d->body) : json_object();

	json_object_set_new(v, "id", json_integer(d->id));
	json_object_set_new(v, "org", json_string(d->org));
	json_object_set_new(v, "sector", json_string(d->sector));
	json_object_set_new(v, "state", json_string(d->state));
	if (with_due)
		json_object_set_new(v, "due", hd_jtime(d->due));
	json_object_set_new(v, "created_at", hd_jtime(d->created));
	json_object_set_new(v, "updated_at", hd_jtime(d->updated));
	return v;
}

json_t *hd_doc_view(const struct store_doc *d)
{
	return doc_view(d, 0);
}

json_t *hd_doc_view_due(const struct store_doc *d)
{
	return doc_view(d, 1);
}

void hd_set_object(struct hub_resp *resp, const char *kind, int64_t id)
{
	snprintf(resp->object, sizeof(resp->object), "%s/%lld", kind, (long long)id);
}

struct list_ctx {
	json_t *arr;
	json_t *(*view)(const struct store_doc *);
	int64_t last_id;
	size_t n;
};

static int list_cb(const struct store_doc *d, void *ctx)
{
	struct list_ctx *l = ctx;

	json_array_append_new(l->arr, l->view(d));
	l->last_id = d->id;
	l->n++;
	return 0;
}

void hd_list_reply(struct hub *hub, struct hub_resp *resp, struct store_filter *f, const char *name,
		   json_t *(*view)(const struct store_doc *), int empty)
{
	struct list_ctx l = { json_array(), view, 0, 0 };

	if (!empty && hub->st->ops->doc_list(hub->st, f, list_cb, &l)) {
		json_decref(l.arr);
		hd_store_err(hub, resp);
		return;
	}
	hub_ok(resp, 200, json_pack("{s:o, s:o}", name, l.arr, "next_after_id",
				    f->limit && l.n == f->limit ? json_integer(l.last_id) : json_null()));
}

/* ---- lookups ---- */

int hd_first_cb(const struct store_doc *d, void *ctx)
{
	struct store_doc *o = ctx;

	*o = *d;
	o->body = d->body ? json_deep_copy(d->body) : json_object();
	return 1;
}

int hd_org_find(struct hub *hub, const char *slug, struct store_doc *out)
{
	struct store_filter f = { .kind = "org", .org = slug, .limit = 1 };

	memset(out, 0, sizeof(*out));
	if (!slug[0])
		return ST_NOTFOUND;
	if (hub->st->ops->doc_list(hub->st, &f, hd_first_cb, out))
		return -1;
	return out->id ? 0 : ST_NOTFOUND;
}

/*
 * registry.c — organisations, critical computers and their notifications (資産届出, Art. 4).
 *
 * An operator (基幹インフラ事業者) that introduces a critical computer (特定重要電子計算機)
 * notifies its sector ministry (事業所管大臣) of the product, vendor, version, CPE/purl and
 * the critical facility (特定重要設備) it serves, and notifies every later change. The
 * ministry passes each notification on to the Cabinet Office (内閣総理大臣に通知):
 *
 *   asset doc         kind "asset", org, sector, state active|retired, body = the fields plus
 *                     "history": [ {at, by, type, reason, effective_at?, changes{k:{from,to}}} ]
 *   notification doc  kind "notification", org, sector, state notified ──forward──▶ forwarded,
 *                     body {asset_id, type introduce|change|retire, snapshot, notified_at,
 *                     notified_by, [changes, reason], [forwarded_at, forwarded_by, note]}
 *
 * Who sees what (rule 9, on top of routes.c): an operator its own organisation only; a
 * ministry its own sectors only; the Cabinet Office only notifications that were forwarded
 * and the assets they name. What a caller may not see answers 404, as if it did not exist.
 * Validation happens before any write; a refused request writes nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/domain.h"

#define STR_MAX      256   /* names, versions, facilities */
#define TEXT_MAX     4096  /* notes, reasons */
#define IDENT_MAX    512   /* cpe, purl */
#define LIST_MAX     1000  /* rows per listing */
#define HISTORY_MAX  1000  /* changes kept on one asset */
#define CAB_IDS_MAX  (1u << 20)

/* String fields here answer each fault with its own reason (HD_STR_DETAIL). */
enum {
	STR_OPTIONAL = HD_STR_DETAIL,
	STR_REQUIRED = HD_STR_DETAIL | HD_STR_REQUIRED,
	STR_TEXT = HD_STR_DETAIL | HD_STR_TEXT,
	STR_NULLABLE = HD_STR_DETAIL | HD_STR_NULLABLE,
};

/* Besides operators and ministries (their own rows), who lists every registry document. */
#define SEE_ALL (ROLE_BIT(ROLE_CABINET) | ROLE_BIT(ROLE_COMMISSION))

/* ---- CPE 2.3 formatted string binding (NISTIR 7695 section 6.2) ---- */

static int cpe_punct(int c)
{
	return c && strchr("\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~", c) != NULL;
}

/* One attribute value: "*", "-", or [* | ?*] (unreserved | \punct)+ [* | ?*]. */
static int cpe_value(const char *s, size_t n)
{
	size_t i = 0, body = 0;

	if (n == 1 && (s[0] == '*' || s[0] == '-'))
		return 0;
	if (i < n && s[i] == '*')
		i++;
	else
		while (i < n && s[i] == '?')
			i++;
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '.' || c == '_') {
			i++;
		} else if (c == '\\' && i + 1 < n && cpe_punct((unsigned char)s[i + 1])) {
			i += 2;
		} else {
			break;
		}
		body++;
	}
	if (body == 0)
		return -1;
	if (i < n && s[i] == '*')
		i++;
	else
		while (i < n && s[i] == '?')
			i++;
	return i == n ? 0 : -1;
}

/* language: "*", "-", or [a-zA-Z]{2,3} ( "-" ([a-zA-Z]{2} | [0-9]{3}) )? */
static int cpe_lang(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 1 && (s[0] == '*' || s[0] == '-'))
		return 0;
	while (i < n && i < 3 && isalpha((unsigned char)s[i]))
		i++;
	if (i < 2)
		return -1;
	if (i == n)
		return 0;
	if (s[i] != '-')
		return -1;
	const char *r = s + i + 1;
	size_t m = n - i - 1;
	if (m == 2 && isalpha((unsigned char)r[0]) && isalpha((unsigned char)r[1]))
		return 0;
	if (m == 3 && isdigit((unsigned char)r[0]) && isdigit((unsigned char)r[1]) && isdigit((unsigned char)r[2]))
		return 0;
	return -1;
}

static const char *const cpe_attr[11] = { "part", "vendor", "product", "version", "update", "edition",
					  "language", "sw_edition", "target_sw", "target_hw", "other" };

/* 0 when s is a CPE 2.3 formatted string naming an application, OS or hardware part. */
static int cpe_valid(const char *s, char *why, size_t whylen)
{
	size_t len = strlen(s), i = 8, k = 0;

	if (len < 8 || strncmp(s, "cpe:2.3:", 8)) {
		snprintf(why, whylen, "must start with \"cpe:2.3:\"");
		return -1;
	}
	while (k < 11) {
		size_t start = i;
		/* a component ends at an unescaped ':' */
		while (i < len && s[i] != ':') {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			i++;
		}
		const char *c = s + start;
		size_t n = i - start;
		int bad;
		if (k == 0)
			bad = !(n == 1 && (c[0] == 'a' || c[0] == 'o' || c[0] == 'h'));
		else if (k == 6)
			bad = cpe_lang(c, n) != 0;
		else
			bad = cpe_value(c, n) != 0;
		if (bad || n == 0) {
			snprintf(why, whylen, "component %zu (%s) is not valid%s", k + 1, cpe_attr[k],
				 k == 0 ? ": part must be a, o or h" : "");
			return -1;
		}
		k++;
		if (i == len)
			break;
		i++; /* the ':' */
		if (k == 11) {
			snprintf(why, whylen, "more than 11 components");
			return -1;
		}
	}
	if (k != 11 || i != len) {
		snprintf(why, whylen, "%zu of 11 components", k);
		return -1;
	}
	return 0;
}

/* ---- purl (github.com/package-url/purl-spec): pkg:type/namespace/name@version?qualifiers#subpath ---- */

/* Printable ASCII without spaces; '%' only as %XX. Sets *decoded_len to the decoded length. */
static int purl_chars(const char *s, size_t n, size_t *decoded_len)
{
	size_t d = 0;

	for (size_t i = 0; i < n; i++, d++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f)
			return -1;
		if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]))
				return -1;
			i += 2;
		}
	}
	if (decoded_len)
		*decoded_len = d;
	return 0;
}

static const char *memrchr_(const char *s, size_t n, char c)
{
	while (n--)
		if (s[n] == c)
			return s + n;
	return NULL;
}

static int purl_valid(const char *s, char *why, size_t whylen)
{
	size_t len = strlen(s), dl;
	const char *end = s + len, *p;

	if (len < 4 || strncasecmp(s, "pkg:", 4)) {
		snprintf(why, whylen, "must start with \"pkg:\"");
		return -1;
	}
	/* subpath: after the last '#'; segments without "." or ".." */
	if ((p = memrchr_(s, len, '#'))) {
		const char *q = p + 1;
		while (q < end) {
			const char *e = memchr(q, '/', (size_t)(end - q));
			size_t n = (size_t)((e ? e : end) - q);
			if ((n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.') ||
			    purl_chars(q, n, NULL)) {
				snprintf(why, whylen, "bad subpath");
				return -1;
			}
			q = e ? e + 1 : end;
		}
		end = p;
	}
	/* qualifiers: after the last '?' (before '#'); key=value pairs joined by '&' */
	if ((p = memrchr_(s, (size_t)(end - s), '?'))) {
		const char *q = p + 1;
		const char *keys[64];
		size_t klen[64], nk = 0;
		if (q == end) {
			snprintf(why, whylen, "empty qualifiers");
			return -1;
		}
		while (q < end) {
			const char *e = memchr(q, '&', (size_t)(end - q));
			const char *pe = e ? e : end;
			const char *eq = memchr(q, '=', (size_t)(pe - q));
			if (!eq || eq == q || eq + 1 == pe || isdigit((unsigned char)q[0])) {
				snprintf(why, whylen, "qualifier %zu: want key=value", nk + 1);
				return -1;
			}
			for (const char *k = q; k < eq; k++)
				if (!isalnum((unsigned char)*k) && *k != '.' && *k != '-' && *k != '_') {
					snprintf(why, whylen, "qualifier %zu: bad key", nk + 1);
					return -1;
				}
			if (purl_chars(eq + 1, (size_t)(pe - eq - 1), NULL)) {
				snprintf(why, whylen, "qualifier %zu: bad value", nk + 1);
				return -1;
			}
			if (nk == 64) {
				snprintf(why, whylen, "too many qualifiers");
				return -1;
			}
			for (size_t j = 0; j < nk; j++)
				if (klen[j] == (size_t)(eq - q) && !strncasecmp(keys[j], q, klen[j])) {
					snprintf(why, whylen, "qualifier %zu: duplicate key", nk + 1);
					return -1;
				}
			keys[nk] = q;
			klen[nk++] = (size_t)(eq - q);
			q = e ? e + 1 : end;
		}
		end = p;
	}
	/* type: after "pkg:" and any '/', up to the next '/' */
	const char *t = s + 4;
	while (t < end && *t == '/')
		t++;
	const char *te = memchr(t, '/', (size_t)(end - t));
	if (!te || te == t) {
		snprintf(why, whylen, "missing type or name");
		return -1;
	}
	if (!isalpha((unsigned char)t[0]) && t[0] != '.' && t[0] != '+' && t[0] != '-') {
		snprintf(why, whylen, "type must not start with a digit");
		return -1;
	}
	for (const char *c = t; c < te; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '+' && *c != '-') {
			snprintf(why, whylen, "type: bad character");
			return -1;
		}
	/* version: after the last '@' of what remains */
	const char *r = te + 1;
	while (end > r && end[-1] == '/')
		end--;
	if ((p = memrchr_(r, (size_t)(end - r), '@'))) {
		if (p + 1 == end || purl_chars(p + 1, (size_t)(end - p - 1), NULL)) {
			snprintf(why, whylen, "bad version");
			return -1;
		}
		end = p;
	}
	/* name: the last segment; namespace: the segments before it */
	const char *ns = memrchr_(r, (size_t)(end - r), '/');
	const char *name = ns ? ns + 1 : r;
	if (name == end || purl_chars(name, (size_t)(end - name), &dl) || dl == 0) {
		snprintf(why, whylen, "missing or bad name");
		return -1;
	}
	if (ns) {
		const char *q = r;
		while (q < ns) {
			const char *e = memchr(q, '/', (size_t)(ns - q));
			size_t n = (size_t)((e ? e : ns) - q);
			if (n && purl_chars(q, n, NULL)) {
				snprintf(why, whylen, "bad namespace");
				return -1;
			}
			q = e ? e + 1 : ns;
		}
	}
	return 0;
}

/* ---- organisations ---- */

static int slug_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static json_t *org_view(const struct store_doc *d)
{
	json_t *v = d->body && json_is_object(d->body) ? json_deep_copy(d->body) : json_object();

	json_object_set_new(v, "id", json_string(d->org));
	json_object_set_new(v, "sector", json_string(d->sector));
	json_object_set_new(v, "registered_at", hd_jtime(d->created));
	return v;
}

void h_orgs_create(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "id", "name", "sector", NULL };
	const char *id, *name, *sector;
	struct store_doc d = { 0 }, old = { 0 };
	int rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL) ||
	    hd_get_str(resp, req->json, NULL, "id", STR_REQUIRED, 63, &id) ||
	    hd_get_str(resp, req->json, NULL, "name", STR_REQUIRED, STR_MAX, &name) ||
	    hd_get_str(resp, req->json, NULL, "sector", STR_REQUIRED, 63, &sector))
		return;
	if (!slug_valid(id)) {
		hub_fail(resp, 400, "id: lower-case letters, digits and '-', 1 to 63");
		return;
	}
	if (!hub_sector_valid(sector)) {
		hub_fail(resp, 400, "sector: unknown sector \"%s\"", sector);
		return;
	}
	if (req->who.role == ROLE_MINISTRY && !hub_principal_has_sector(&req->who, sector)) {
		hub_fail(resp, 403, "sector %s is not one of yours", sector);
		return;
	}
	rc = hd_org_find(hub, id, &old);
	store_doc_clear(&old);
	if (rc < 0) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc == 0) {
		hub_fail(resp, 409, "organisation %s exists", id);
		return;
	}
	strcpy(d.kind, "org");
	store_set_key(d.org, id);
	store_set_key(d.sector, sector);
	strcpy(d.state, "active");
	d.created = d.updated = req->now;
	d.body = json_pack("{s:s, s:s, s:s, s:s}", "id", id, "name", name, "sector", sector, "registered_by",
			   req->who.id);
	if (hub->st->ops->doc_put(hub->st, &d)) {
		hd_store_err(hub, resp);
		goto out;
	}
	snprintf(resp->object, sizeof(resp->object), "org/%s", id);
	hub_ok(resp, 201, org_view(&d));
out:
	json_decref(d.body);
}

void h_orgs_list(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_filter f = { .kind = "org" };
	struct hd_sectors sc;
	int s;

	if (hd_paging(req, resp, LIST_MAX, LIST_MAX, &f.after_id, &f.limit) ||
	    (s = hd_scope(req, resp, SEE_ALL, &f, &sc)) < 0)
		return;
	hd_list_reply(hub, resp, &f, "orgs", org_view, s == 1);
}

/* ---- assets ---- */

static const char *const asset_str_keys[] = { "product", "vendor", "version", "facility", "model", "cpe", "purl",
					      NULL };

/* Validate one asset field value (string or NULL) by name. */
static int asset_field(struct hub_resp *resp, const json_t *obj, const char *key, int required, const char **out)
{
	char why[128];
	int ident = !strcmp(key, "cpe") || !strcmp(key, "purl");

	if (hd_get_str(resp, obj, NULL, key, required ? STR_REQUIRED : STR_NULLABLE, ident ? IDENT_MAX : STR_MAX,
		       out))
		return -1;
	if (*out && !strcmp(key, "cpe") && cpe_valid(*out, why, sizeof(why))) {
		hub_fail(resp, 400, "cpe: %s", why);
		return -1;
	}
	if (*out && !strcmp(key, "purl") && purl_valid(*out, why, sizeof(why))) {
		hub_fail(resp, 400, "purl: %s", why);
		return -1;
	}
	return 0;
}

static int asset_required(const char *key)
{
	return !strcmp(key, "product") || !strcmp(key, "vendor") || !strcmp(key, "version") ||
	       !strcmp(key, "facility");
}

static json_t *asset_snapshot(const json_t *body)
{
	json_t *s = json_deep_copy(body);
	json_object_del(s, "history");
	return s;
}

/* Write a notification for asset a; fills *n (the caller decrefs n->body). */
static int notify(struct hub *hub, struct hub_req *req, struct hub_resp *resp, const struct store_doc *a,
		  const char *type, json_t *extra, struct store_doc *n)
{
	memset(n, 0, sizeof(*n));
	strcpy(n->kind, "notification");
	memcpy(n->org, a->org, sizeof(n->org));
	memcpy(n->sector, a->sector, sizeof(n->sector));
	strcpy(n->state, "notified");
	n->created = n->updated = req->now;
	n->body = json_pack("{s:I, s:s, s:o, s:o, s:s}", "asset_id", (json_int_t)a->id, "type", type, "snapshot",
			    asset_snapshot(a->body), "notified_at", hd_jtime(req->now), "notified_by", req->who.id);
	if (extra)
		json_object_update(n->body, extra);
	if (hub->st->ops->doc_put(hub->st, n))
		return hd_store_err(hub, resp);
	return 0;
}

void h_assets_create(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "product", "vendor", "version", "facility", "cpe", "purl", "model",
					    "introduced_at", "notes", NULL };
	struct store_doc org = { 0 }, a = { 0 }, n = { 0 };
	const char *v, *notes;
	int64_t introduced;
	int rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (!req->who.org[0]) {
		hub_fail(resp, 403, "operator token without an organisation");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL))
		return;
	a.body = json_object();
	for (size_t i = 0; asset_str_keys[i]; i++) {
		if (asset_field(resp, req->json, asset_str_keys[i], asset_required(asset_str_keys[i]), &v))
			goto out;
		if (v)
			json_object_set_new(a.body, asset_str_keys[i], json_string(v));
	}
	if (hd_get_time(resp, req->json, NULL, "introduced_at", STR_OPTIONAL, &introduced) ||
	    hd_get_str(resp, req->json, NULL, "notes", STR_TEXT, TEXT_MAX, &notes))
		goto out;
	if (introduced)
		json_object_set_new(a.body, "introduced_at", hd_jtime(introduced));
	if (notes)
		json_object_set_new(a.body, "notes", json_string(notes));

	rc = hd_org_find(hub, req->who.org, &org);
	if (rc < 0) {
		hd_store_err(hub, resp);
		goto out;
	}
	if (rc == ST_NOTFOUND) {
		hub_fail(resp, 409, "organisation %s is not registered", req->who.org);
		goto out;
	}
	strcpy(a.kind, "asset");
	memcpy(a.org, org.org, sizeof(a.org));
	memcpy(a.sector, org.sector, sizeof(a.sector));
	strcpy(a.state, "active");
	a.created = a.updated = req->now;
	json_object_set_new(a.body, "registered_at", hd_jtime(req->now));
	json_object_set_new(a.body, "registered_by", json_string(req->who.id));
	json_object_set_new(a.body, "history", json_array());
	if (hub->st->ops->doc_put(hub->st, &a)) {
		hd_store_err(hub, resp);
		goto out;
	}
	if (notify(hub, req, resp, &a, "introduce", NULL, &n))
		goto out;
	hd_set_object(resp, "asset", a.id);
	hub_ok(resp, 201, json_pack("{s:o, s:o}", "asset", hd_doc_view(&a), "notification", hd_doc_view(&n)));
out:
	store_doc_clear(&org);
	json_decref(a.body);
	json_decref(n.body);
}

struct fwd_ctx {
	int64_t asset_id;
	int found;
};

static int fwd_cb(const struct store_doc *d, void *ctx)
{
	struct fwd_ctx *c = ctx;

	if (json_integer_value(json_object_get(d->body, "asset_id")) == c->asset_id) {
		c->found = 1;
		return 1;
	}
	return 0;
}

/* The Cabinet Office sees an asset once the ministry forwarded a notification about it. */
static int cabinet_may_see(struct hub *hub, const struct store_doc *a, int *yes)
{
	struct store_filter f = { .kind = "notification", .org = a->org, .state = "forwarded" };
	struct fwd_ctx c = { a->id, 0 };

	if (hub->st->ops->doc_list(hub->st, &f, fwd_cb, &c))
		return -1;
	*yes = c.found;
	return 0;
}

/* The asset named by the path if the caller may see it (hd_get_visible, and for the Cabinet
 * Office cabinet_may_see): 0 (filled), ST_NOTFOUND (also for "not yours"), or -1. */
static int asset_visible(struct hub *hub, const struct hub_req *req, struct store_doc *a)
{
	int rc = hd_get_visible(hub, req, "asset", a), yes = 0;

	if (rc || req->who.role != ROLE_CABINET)
		return rc;
	rc = cabinet_may_see(hub, a, &yes);
	if (rc || !yes) {
		store_doc_clear(a);
		return rc ? -1 : ST_NOTFOUND;
	}
	return 0;
}

void h_assets_get(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_doc a;
	int rc = asset_visible(hub, req, &a);

	if (rc < 0) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc) {
		hub_fail(resp, 404, "no such asset");
		return;
	}
	hd_set_object(resp, "asset", a.id);
	hub_ok(resp, 200, hd_doc_view(&a));
	store_doc_clear(&a);
}

struct ids_ctx {
	int64_t *v;
	size_t n, cap;
	int overflow;
};

static int ids_cb(const struct store_doc *d, void *ctx)
{
	struct ids_ctx *c = ctx;
	json_int_t id = json_integer_value(json_object_get(d->body, "asset_id"));

	if (id <= 0)
		return 0;
	if (c->n == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		int64_t *nv;
		if (ncap > CAB_IDS_MAX || !(nv = realloc(c->v, ncap * sizeof(*nv)))) {
			c->overflow = 1;
			return 1;
		}
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n++] = id;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Cabinet: the assets named by forwarded notifications, by id, paged. */
static void cabinet_assets(struct hub *hub, struct hub_resp *resp, int64_t after, size_t limit)
{
	struct store_filter f = { .kind = "notification", .state = "forwarded" };
	struct ids_ctx c = { 0 };
	json_t *arr = json_array();
	size_t n = 0;
	int64_t last = 0, prev = 0;

	if (hub->st->ops->doc_list(hub->st, &f, ids_cb, &c)) {
		hd_store_err(hub, resp);
		goto out;
	}
	if (c.overflow) {
		hub_fail(resp, 500, "too many forwarded notifications to list");
		goto out;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_i64);
	for (size_t i = 0; i < c.n && n < limit; i++) {
		struct store_doc a = { 0 };
		int rc;
		if (c.v[i] <= after || c.v[i] == prev)
			continue;
		prev = c.v[i];
		rc = hub->st->ops->doc_get(hub->st, "asset", c.v[i], &a);
		if (rc == ST_NOTFOUND)
			continue;
		if (rc) {
			hd_store_err(hub, resp);
			goto out;
		}
		json_array_append_new(arr, hd_doc_view(&a));
		last = a.id;
		n++;
		store_doc_clear(&a);
	}
	hub_ok(resp, 200, json_pack("{s:O, s:o}", "assets", arr, "next_after_id",
				    n == limit ? json_integer(last) : json_null()));
out:
	json_decref(arr);
	free(c.v);
}

void h_assets_list(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_filter f = { .kind = "asset" };
	struct hd_sectors sc;
	int s;

	if (hd_list_query(req, resp, LIST_MAX, &f, "active", "retired"))
		return;
	if (req->who.role == ROLE_CABINET) {
		if (f.state) {
			hub_fail(resp, 400, "state: not a filter for the Cabinet Office's view");
			return;
		}
		cabinet_assets(hub, resp, f.after_id, f.limit);
		return;
	}
	if ((s = hd_scope(req, resp, SEE_ALL, &f, &sc)) < 0)
		return;
	hd_list_reply(hub, resp, &f, "assets", hd_doc_view, s == 1);
}

void h_assets_change(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "changes", "reason", "effective_at", "retire", NULL };
	static const char *const change_keys[] = { "version", "cpe", "purl", "model", "facility", "vendor", "product",
						   NULL };
	struct store_doc a = { 0 }, n = { 0 };
	json_t *changes, *retire_j, *diff = NULL, *entry = NULL, *extra = NULL, *hist;
	const char *reason, *v;
	int64_t effective;
	int retire = 0, rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL) ||
	    hd_get_str(resp, req->json, NULL, "reason", STR_REQUIRED | STR_TEXT, TEXT_MAX, &reason) ||
	    hd_get_time(resp, req->json, NULL, "effective_at", STR_OPTIONAL, &effective))
		return;
	retire_j = json_object_get(req->json, "retire");
	if (retire_j && !json_is_boolean(retire_j)) {
		hub_fail(resp, 400, "retire: must be true or false");
		return;
	}
	retire = json_is_true(retire_j);
	changes = json_object_get(req->json, "changes");
	if (changes && !json_is_object(changes)) {
		hub_fail(resp, 400, "changes: must be an object");
		return;
	}
	if (changes && hd_only_keys(resp, changes, change_keys, "changes"))
		return;
	if (!retire && (!changes || json_object_size(changes) == 0)) {
		hub_fail(resp, 400, "changes: nothing to change");
		return;
	}

	rc = asset_visible(hub, req, &a);
	if (rc < 0) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc) {
		hub_fail(resp, 404, "no such asset");
		return;
	}
	if (!strcmp(a.state, "retired")) {
		hub_fail(resp, 409, "asset %lld is retired", (long long)a.id);
		goto out;
	}
	hist = json_object_get(a.body, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(a.body, "history", hist);
	}
	if (json_array_size(hist) >= HISTORY_MAX) {
		hub_fail(resp, 409, "asset %lld has %d changes; register it anew", (long long)a.id, HISTORY_MAX);
		goto out;
	}

	diff = json_object();
	for (size_t i = 0; changes && change_keys[i]; i++) {
		const char *k = change_keys[i];
		json_t *old;
		if (!json_object_get(changes, k))
			continue;
		if (asset_field(resp, changes, k, asset_required(k), &v))
			goto out;
		old = json_object_get(a.body, k);
		json_object_set_new(diff, k, json_pack("{s:O, s:o}", "from", old ? old : json_null(), "to",
						       v ? json_string(v) : json_null()));
		if (v)
			json_object_set_new(a.body, k, json_string(v));
		else
			json_object_del(a.body, k);
	}

	const char *type = retire ? "retire" : "change";
	entry = json_pack("{s:o, s:s, s:s, s:s, s:O}", "at", hd_jtime(req->now), "by", req->who.id, "type", type,
			  "reason", reason, "changes", diff);
	if (effective)
		json_object_set_new(entry, "effective_at", hd_jtime(effective));
	json_array_append(hist, entry);
	if (retire)
		strcpy(a.state, "retired");
	a.updated = req->now;
	if (hub->st->ops->doc_update(hub->st, &a)) {
		hd_store_err(hub, resp);
		goto out;
	}
	extra = json_pack("{s:O, s:s}", "changes", diff, "reason", reason);
	if (effective)
		json_object_set_new(extra, "effective_at", hd_jtime(effective));
	if (notify(hub, req, resp, &a, type, extra, &n))
		goto out;
	hd_set_object(resp, "asset", a.id);
	hub_ok(resp, 201, json_pack("{s:o, s:o}", "asset", hd_doc_view(&a), "notification", hd_doc_view(&n)));
out:
	json_decref(diff);
	json_decref(entry);
	json_decref(extra);
	json_decref(n.body);
	store_doc_clear(&a);
}

/* ---- notifications ---- */

void h_notifications_list(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_filter f = { .kind = "notification" };
	struct hd_sectors sc;
	int s;

	if (hd_list_query(req, resp, LIST_MAX, &f, "notified", "forwarded"))
		return;
	if ((s = hd_scope(req, resp, SEE_ALL, &f, &sc)) < 0)
		return;
	if (req->who.role == ROLE_CABINET) {
		/* the Cabinet Office receives notifications through the ministry only */
		if (f.state && strcmp(f.state, "forwarded"))
			s = 1;
		f.state = "forwarded";
	}
	hd_list_reply(hub, resp, &f, "notifications", hd_doc_view, s == 1);
}

void h_notifications_forward(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "note", NULL };
	struct store_doc n = { 0 };
	const char *note = NULL;
	int64_t id;
	int rc;

	if (req->json && !json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (req->json && (hd_only_keys(resp, req->json, keys, NULL) ||
			  hd_get_str(resp, req->json, NULL, "note", STR_TEXT, TEXT_MAX, &note)))
		return;
	if (hd_parse_id(req->n_params ? req->params[0] : NULL, &id)) {
		hub_fail(resp, 404, "no such notification");
		return;
	}
	rc = hub->st->ops->doc_get(hub->st, "notification", id, &n);
	if (rc && rc != ST_NOTFOUND) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc == ST_NOTFOUND || req->who.role != ROLE_MINISTRY || !hub_principal_has_sector(&req->who, n.sector)) {
		hub_fail(resp, 404, "no such notification");
		goto out;
	}
	if (strcmp(n.state, "notified")) {
		hub_fail(resp, 409, "notification %lld is already %s", (long long)id, n.state);
		goto out;
	}
	strcpy(n.state, "forwarded");
	n.updated = req->now;
	json_object_set_new(n.body, "forwarded_at", hd_jtime(req->now));
	json_object_set_new(n.body, "forwarded_by", json_string(req->who.id));
	json_object_set_new(n.body, "forwarded_to", json_string("cabinet"));
	if (note)
		json_object_set_new(n.body, "note", json_string(note));
	if (hub->st->ops->doc_update(hub->st, &n)) {
		hd_store_err(hub, resp);
		goto out;
	}
	hd_set_object(resp, "notification", id);
	hub_ok(resp, 200, hd_doc_view(&n));
out:
	store_doc_clear(&n);
}

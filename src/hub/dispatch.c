/*
 * dispatch.c — one request end to end: who is asking, which route, may they, is the body
 * acceptable, then one transaction with the handler and the audit entry in it.
 *
 *   hub_handle(method, path, query, Authorization, body)
 *     lock
 *     catch up the audit log      rows another process (the admin CLI) appended are loaded
 *                                 and verified before anything else happens
 *     1 authenticate             no header → public; "Bearer T" → SHA-256(T) → token row;
 *                                 anything else, unknown or revoked → 401 (never says which)
 *     2 route                    first row of hub_routes whose method and pattern match;
 *                                 path known with another method → 405; unknown → 404;
 *                                 role not in the row → 403 (default deny, rule 9)
 *     3 body                     JSON object ≤ max_body / JSON Lines ≤ max_records_body /
 *                                 nothing at all, as the row says → 400 or 413
 *     4 begin → handler → (2xx and a write or an audited read) audit entry → commit
 *                                 otherwise rollback, and the in-memory log is cut back
 *     unlock
 *
 * Invariant: a request that does not end 2xx leaves the store and the audit log as they
 * were; a 2xx write is durable together with its audit entry (one transaction). The audit
 * entry's digest is SHA-256 over method, path, the number of query pairs, each key and
 * value, and the body, every string preceded by its length (8 bytes, big-endian), so the
 * commission can match an entry to a request it holds.
 *
 * Every error body is {"error": "..."}; reasons are printable ASCII (anything else is
 * replaced), so a reason that quotes client input is still valid JSON.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sodium.h>

#include "common/log.h"
#include "hub/hub.h"

#define HUB_MAXPATH  1024   /* longer paths match no route */
#define HUB_MAXSEGS  16
#define HUB_MAXID    64     /* a {} segment: [0-9A-Za-z._-]{1,64} */

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_CABINET] = "cabinet",
	[ROLE_MINISTRY] = "ministry",
	[ROLE_OPERATOR] = "operator",
	[ROLE_SENSOR] = "sensor",
	[ROLE_COMMISSION] = "commission",
	[ROLE_COORDINATOR] = "coordinator",
	[ROLE_VENDOR] = "vendor",
	[ROLE_COUNCIL] = "council",
	[ROLE_PUBLIC] = "public",
};

const char *hub_role_name(enum hub_role r)
{
	if ((unsigned)r >= ROLE_COUNT)
		return "unknown";
	return role_names[r];
}

int hub_role_parse(const char *s, enum hub_role *r)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < ROLE_COUNT; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*r = (enum hub_role)i;
			return 0;
		}
	}
	return -1;
}

/* The 15 sectors in the order of the seed documents (特定社会基盤事業). */
const char *const hub_sectors[HUB_NSECTORS] = {
	"electricity", "gas", "oil", "water", "railway", "trucking", "shipping", "aviation",
	"airport", "telecom", "broadcasting", "postal", "finance", "credit_card", "port",
};

int hub_sector_valid(const char *key)
{
	if (!key)
		return 0;
	for (size_t i = 0; i < HUB_NSECTORS; i++)
		if (strcmp(key, hub_sectors[i]) == 0)
			return 1;
	return 0;
}

void hub_config_defaults(struct hub_config *c)
{
	memset(c, 0, sizeof(*c));
	c->dir = "hub-data";
	c->listen = "127.0.0.1:8080";
	c->prompt_deadline_s = 24 * 3600;
	c->written_deadline_s = 30 * 86400;
	c->retention_s = 2 * 365 * 86400LL;
	c->sweep_interval_s = 60;
	c->max_body = 64 * 1024;
	c->max_records_body = 16u << 20;
	c->threads = 4;
}

int hub_principal_has_sector(const struct hub_principal *p, const char *sector)
{
	size_t n;
	const char *s, *comma;

	if (!p || !sector || !*sector || p->role != ROLE_MINISTRY)
		return 0;
	n = strlen(sector);
	for (s = p->sectors; *s; s = comma + 1) {
		comma = strchr(s, ',');
		if (!comma)
			comma = s + strlen(s);
		if ((size_t)(comma - s) == n && memcmp(s, sector, n) == 0)
			return 1;
		if (!*comma)
			break;
	}
	return 0;
}

/* ---- responses ------------------------------------------------------------------------- */

void hub_fail(struct hub_resp *resp, int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	json_decref(resp->body);
	resp->status = status;
	resp->body = json_pack("{s:s}", "error", msg);
}

void hub_ok(struct hub_resp *resp, int status, json_t *body)
{
	json_decref(resp->body);
	resp->body = NULL;
	if (!body) {
		hub_fail(resp, 500, "out of memory");
		return;
	}
	resp->status = status;
	resp->body = body;
}

const char *hub_query(const struct hub_req *req, const char *key)
{
	if (!req->query || !key)
		return NULL;
	for (const char *const *q = req->query; q[0]; q += 2) {
		if (strcmp(q[0], key) == 0)
			return q[1] ? q[1] : "";
		if (!q[1])
			break;
	}
	return NULL;
}

/* ---- the audit log --------------------------------------------------------------------- */

struct load_ctx {
	struct auditlog *al;
	char *err;
	size_t errlen;
	int failed;
};

static int load_row(const struct store_audit_row *row, void *ctx)
{
	struct load_ctx *lc = ctx;

	if (audit_load(lc->al, row, lc->err, lc->errlen) < 0) {
		lc->failed = 1;
		return 1;
	}
	return 0;
}

/* Load (and verify) stored rows the in-memory log does not hold yet. */
static int audit_catch_up(struct hub *hub, char *err, size_t errlen)
{
	uint64_t stored, have = audit_size(hub->al);
	struct load_ctx lc = { hub->al, err, errlen, 0 };

	if (hub->st->ops->audit_count(hub->st, &stored) != 0) {
		snprintf(err, errlen, "audit rows: %.200s", store_error(hub->st));
		return -1;
	}
	if (stored == have)
		return 0;
	if (stored < have) {
		snprintf(err, errlen, "the store holds %llu audit rows, the log %llu",
			 (unsigned long long)stored, (unsigned long long)have);
		return -1;
	}
	if (hub->st->ops->audit_scan(hub->st, have, stored, load_row, &lc) != 0 && !lc.failed) {
		snprintf(err, errlen, "audit rows: %.200s", store_error(hub->st));
		return -1;
	}
	if (lc.failed || audit_size(hub->al) != stored) {
		if (!lc.failed)
			snprintf(err, errlen, "audit rows %llu..%llu could not be loaded",
				 (unsigned long long)have, (unsigned long long)stored);
		audit_truncate(hub->al, have);
		return -1;
	}
	return 0;
}

static int64_t now_ms_for(int64_t now)
{
	struct timespec ts;

	/* The request's second, with the clock's milliseconds when it is still that second. */
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && ts.tv_sec == now)
		return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return now * 1000;
}

int hub_audit(struct hub *hub, const struct hub_principal *who, const char *action, const char *object,
	      int64_t now, const uint8_t digest[AUDIT_HASHLEN])
{
	struct audit_fields f;
	struct store_audit_row row;
	uint64_t before;
	char err[256];

	if (audit_catch_up(hub, err, sizeof(err)) < 0) {
		log_error("audit: %s", err);
		return -1;
	}
	before = audit_size(hub->al);
	memset(&f, 0, sizeof(f));
	f.who = who->id;
	f.role = hub_role_name(who->role);
	f.action = action;
	f.object = object ? object : "";
	f.time_ms = now_ms_for(now);
	memcpy(f.digest, digest, AUDIT_HASHLEN);
	if (audit_append(hub->al, &f, &row) != 0) {
		log_error("audit: cannot append an entry");
		return -1;
	}
	if (hub->st->ops->audit_append(hub->st, &row) != 0) {
		log_error("audit: cannot store entry %llu: %s", (unsigned long long)row.index,
			  store_error(hub->st));
		audit_truncate(hub->al, before);
		return -1;
	}
	return 0;
}

static void digest_u64(crypto_hash_sha256_state *h, uint64_t n)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(n >> (56 - 8 * i));
	crypto_hash_sha256_update(h, be, sizeof(be));
}

static void digest_field(crypto_hash_sha256_state *h, const void *p, size_t n)
{
	digest_u64(h, n);
	if (n)
		crypto_hash_sha256_update(h, p, n);
}

static void request_digest(const struct hub_req *req, uint8_t out[AUDIT_HASHLEN])
{
	crypto_hash_sha256_state h;
	size_t npairs = 0;

	crypto_hash_sha256_init(&h);
	digest_field(&h, req->method, strlen(req->method));
	digest_field(&h, req->path, strlen(req->path));
	if (req->query)
		for (const char *const *q = req->query; q[0]; q += 2, npairs++)
			if (!q[1])
				break;
	digest_u64(&h, npairs);
	for (size_t i = 0; i < npairs; i++) {
		const char *k = req->query[2 * i], *v = req->query[2 * i + 1];

		digest_field(&h, k, strlen(k));
		digest_field(&h, v, strlen(v));
	}
	digest_field(&h, req->body, req->body_len);
	crypto_hash_sha256_final(&h, out);
}

/* ---- routing --------------------------------------------------------------------------- */

int hub_name_ok(const char *s, size_t n, size_t max)
{
	if (n == 0 || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* A path split at '/': segs[i] points into buf. */
struct split_path {
	char buf[HUB_MAXPATH];
	const char *segs[HUB_MAXSEGS];
	size_t lens[HUB_MAXSEGS];
	size_t n;
};

static int split(struct split_path *sp, const char *path)
{
	size_t len = strlen(path);
	char *p;

	if (path[0] != '/' || len >= sizeof(sp->buf))
		return -1;
	memcpy(sp->buf, path, len + 1);
	sp->n = 0;
	p = sp->buf + 1;
	for (;;) {
		char *slash = strchr(p, '/');

		if (sp->n == HUB_MAXSEGS)
			return -1;
		sp->segs[sp->n] = p;
		sp->lens[sp->n] = slash ? (size_t)(slash - p) : strlen(p);
		sp->n++;
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return 0;
}

/* Does the pattern match? Fills params (pointers into sp) when it does. */
static int pattern_match(const char *pat, const struct split_path *sp, const char **params, size_t *np)
{
	const char *p = pat;
	size_t i = 0, n = 0;

	if (*p != '/')
		return 0;
	p++;
	for (;; i++) {
		const char *end = strchr(p, '/');
		size_t plen = end ? (size_t)(end - p) : strlen(p);

		if (i >= sp->n)
			return 0;
		if (plen == 2 && p[0] == '{' && p[1] == '}') {
			if (!hub_name_ok(sp->segs[i], sp->lens[i], HUB_MAXID) || n == HUB_MAXPARAMS)
				return 0;
			if (params)
				params[n] = sp->segs[i];
			n++;
		} else if (plen != sp->lens[i] || memcmp(p, sp->segs[i], plen) != 0) {
			return 0;
		}
		if (!end)
			break;
		p = end + 1;
	}
	if (i + 1 != sp->n)
		return 0;
	if (np)
		*np = n;
	return 1;
}

enum route_result { ROUTE_OK, ROUTE_NOPATH, ROUTE_NOMETHOD };

static enum route_result route_find(const char *method, struct split_path *sp,
				    const struct hub_route **out, const char **params, size_t *np)
{
	int path_known = 0;

	for (const struct hub_route *r = hub_routes; r->method; r++) {
		const char *tmp[HUB_MAXPARAMS];
		size_t n = 0;

		if (!pattern_match(r->pattern, sp, tmp, &n))
			continue;
		path_known = 1;
		if (strcmp(r->method, method) != 0)
			continue;
		if (params)
			memcpy(params, tmp, n * sizeof(*tmp));
		if (np)
			*np = n;
		*out = r;
		return ROUTE_OK;
	}
	return path_known ? ROUTE_NOMETHOD : ROUTE_NOPATH;
}

size_t hub_body_limit(const struct hub *hub, const char *method, const char *url_path)
{
	struct split_path sp;
	const struct hub_route *r;

	if (method && url_path && split(&sp, url_path) == 0 &&
	    route_find(method, &sp, &r, NULL, NULL) == ROUTE_OK && (r->flags & HUB_BODY_LINES))
		return hub->cfg.max_records_body;
	return hub->cfg.max_body;
}

/* ---- authentication -------------------------------------------------------------------- */

static int token68_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

/* 0 with the principal filled, 401 for any credential problem, 500 for a store failure. */
static int authenticate(struct hub *hub, const char *authorization, struct hub_principal *who)
{
	struct store_token t;
	uint8_t hash[32];
	const char *tok;
	size_t n;
	int rc;

	memset(who, 0, sizeof(*who));
	who->role = ROLE_PUBLIC;
	if (!authorization)
		return 0;
	if (strncasecmp(authorization, "Bearer ", 7) != 0)
		return 401;
	tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	n = strlen(tok);
	while (n > 0 && tok[n - 1] == ' ')
		n--;
	if (n == 0 || n >= HUB_TOKEN_MAX)
		return 401;
	for (size_t i = 0; i < n; i++)
		if (!token68_char(tok[i]))
			return 401;
	{
		char copy[HUB_TOKEN_MAX];

		memcpy(copy, tok, n);
		copy[n] = '\0';
		hub_token_hash(copy, hash);
		sodium_memzero(copy, sizeof(copy));
	}
	memset(&t, 0, sizeof(t));
	rc = hub->st->ops->token_get(hub->st, hash, &t);
	if (rc == ST_NOTFOUND)
		return 401;
	if (rc != 0) {
		log_error("token lookup: %s", store_error(hub->st));
		return 500;
	}
	if (t.revoked || hub_role_parse(t.role, &who->role) < 0) {
		who->role = ROLE_PUBLIC;
		return 401;
	}
	memcpy(who->id, t.label, sizeof(who->id));
	who->id[sizeof(who->id) - 1] = '\0';
	memcpy(who->org, t.org, sizeof(who->org));
	who->org[sizeof(who->org) - 1] = '\0';
	memcpy(who->sectors, t.sectors, sizeof(who->sectors));
	who->sectors[sizeof(who->sectors) - 1] = '\0';
	return 0;
}

/* ---- the request ----------------------------------------------------------------------- */

static void resp_init(struct hub_resp *resp)
{
	resp->status = 0;
	resp->body = NULL;
	resp->object[0] = '\0';
	resp->audit = 0;
}

/* Steps 2-4 with the lock held and the principal known. */
static void dispatch_locked(struct hub *hub, const struct hub_principal *who, const char *method,
			    const char *path, const char *const *query, const uint8_t *body, size_t body_len,
			    struct hub_resp *resp)
{
	struct split_path sp;
	struct hub_req req;
	const struct hub_route *r = NULL;
	uint64_t audit_before;
	uint8_t digest[AUDIT_HASHLEN];
	char action[160];
	int must_audit;

	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = path;
	req.query = query;
	req.body = body;
	req.body_len = body_len;
	req.who = *who;
	req.now = time(NULL);

	if (split(&sp, path) < 0) {
		hub_fail(resp, 404, "no such route");
		return;
	}
	switch (route_find(method, &sp, &r, req.params, &req.n_params)) {
	case ROUTE_OK:
		break;
	case ROUTE_NOMETHOD:
		hub_fail(resp, 405, "method not allowed on this route");
		return;
	default:
		hub_fail(resp, 404, "no such route");
		return;
	}
	if (!(r->roles & ROLE_BIT(who->role))) {
		hub_fail(resp, 403, "role %s may not %s %s", hub_role_name(who->role), r->method, r->pattern);
		return;
	}

	if (r->flags & HUB_BODY_JSON) {
		json_error_t e;

		if (body_len == 0) {
			hub_fail(resp, 400, "a JSON object body is required");
			return;
		}
		if (body_len > hub->cfg.max_body) {
			hub_fail(resp, 413, "body larger than %zu bytes", hub->cfg.max_body);
			return;
		}
		req.json = json_loadb((const char *)body, body_len, JSON_REJECT_DUPLICATES, &e);
		if (!req.json) {
			hub_fail(resp, 400, "malformed JSON: %.80s (line %d column %d)", e.text, e.line, e.column);
			return;
		}
		if (!json_is_object(req.json)) {
			json_decref(req.json);
			hub_fail(resp, 400, "the body must be a JSON object");
			return;
		}
	} else if (r->flags & HUB_BODY_LINES) {
		if (body_len > hub->cfg.max_records_body) {
			hub_fail(resp, 413, "body larger than %zu bytes", hub->cfg.max_records_body);
			return;
		}
	} else if (body_len > 0) {
		hub_fail(resp, 400, "this route takes no body");
		return;
	}

	audit_before = audit_size(hub->al);
	if (hub->st->ops->begin(hub->st) != 0) {
		log_error("store begin: %s", store_error(hub->st));
		json_decref(req.json);
		hub_fail(resp, 500, "store unavailable");
		return;
	}
	r->fn(hub, &req, resp);
	if (!resp->body || resp->status < 100 || resp->status > 599) {
		log_error("%s %s: the handler gave no response", r->method, r->pattern);
		hub_fail(resp, 500, "internal error");
	}

	must_audit = strcmp(method, "GET") != 0 || (r->flags & HUB_AUDIT_READ) || resp->audit;
	if (resp->status >= 200 && resp->status < 300 && must_audit) {
		snprintf(action, sizeof(action), "%s %s", r->method, r->pattern);
		request_digest(&req, digest);
		if (hub_audit(hub, who, action, resp->object[0] ? resp->object : path, req.now, digest) != 0) {
			hub_fail(resp, 500, "audit log unavailable");
		} else if (json_is_object(resp->body)) {
			json_object_set_new(resp->body, "audit_index",
					    json_integer((json_int_t)(audit_size(hub->al) - 1)));
		}
	}

	if (resp->status >= 200 && resp->status < 300) {
		if (hub->st->ops->commit(hub->st) != 0) {
			log_error("store commit: %.200s", store_error(hub->st));
			hub->st->ops->rollback(hub->st);
			audit_truncate(hub->al, audit_before);
			hub_fail(resp, 500, "store commit failed");
		}
	} else {
		hub->st->ops->rollback(hub->st);
		audit_truncate(hub->al, audit_before);
	}
	json_decref(req.json);
}

/* Every request enters here: checks the call, takes the hub's lock, re-verifies the audit
 * log's new entries, then routes as who, or as the bearer of authorization when who is NULL. */
static void handle(struct hub *hub, const struct hub_principal *who, const char *authorization,
		   const char *method, const char *url_path, const char *const *query,
		   const uint8_t *body, size_t body_len, struct hub_resp *resp)
{
	struct hub_principal bearer;
	char err[256];
	int rc;

	resp_init(resp);
	if (!method || !url_path || (!body && body_len)) {
		hub_fail(resp, 400, "bad request");
		return;
	}
	pthread_mutex_lock(&hub->lock);
	if (audit_catch_up(hub, err, sizeof(err)) < 0) {
		log_error("audit: %s", err);
		hub_fail(resp, 500, "audit log does not verify");
		goto out;
	}
	if (!who) {
		rc = authenticate(hub, authorization, &bearer);
		if (rc == 401) {
			hub_fail(resp, 401, "invalid credentials");
			goto out;
		}
		if (rc != 0) {
			hub_fail(resp, 500, "store unavailable");
			goto out;
		}
		who = &bearer;
	}
	dispatch_locked(hub, who, method, url_path, query, body, body_len, resp);
out:
	pthread_mutex_unlock(&hub->lock);
}

void hub_handle_as(struct hub *hub, const struct hub_principal *who, const char *method,
		   const char *url_path, const char *const *query, const uint8_t *body, size_t body_len,
		   struct hub_resp *resp)
{
	handle(hub, who, NULL, method, url_path, query, body, body_len, resp);
}

void hub_handle(struct hub *hub, const char *method, const char *url_path, const char *const *query,
		const char *authorization, const uint8_t *body, size_t body_len, struct hub_resp *resp)
{
	handle(hub, NULL, authorization, method, url_path, query, body, body_len, resp);
}

/* ---- open / close ---------------------------------------------------------------------- */

int hub_open(struct hub *hub, const struct hub_config *cfg, char *err, size_t errlen)
{
	char path[4096], sk_path[4096], pk_path[4096];
	uint8_t sk[AUDIT_SKLEN];
	struct load_ctx lc;
	int rc = -1;

	memset(hub, 0, sizeof(*hub));
	hub->cfg = *cfg;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium does not initialise");
		return -1;
	}
	if (!cfg->dir || !*cfg->dir) {
		snprintf(err, errlen, "no data directory");
		return -1;
	}
	if (mkdir(cfg->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", cfg->dir, strerror(errno));
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/hub.db", cfg->dir) >= sizeof(path) ||
	    (size_t)snprintf(sk_path, sizeof(sk_path), "%s/audit.key", cfg->dir) >= sizeof(sk_path) ||
	    (size_t)snprintf(pk_path, sizeof(pk_path), "%s/audit.pub", cfg->dir) >= sizeof(pk_path)) {
		snprintf(err, errlen, "%s: path too long", cfg->dir);
		return -1;
	}
	if (store_open(&hub->st, path, err, errlen) != 0) {
		hub->st = NULL;
		return -1;
	}
	if (audit_key_load_or_create(sk_path, pk_path, sk, hub->audit_pk, err, errlen) != 0)
		goto out;
	hub->al = audit_new(sk);
	sodium_memzero(sk, sizeof(sk));
	if (!hub->al) {
		snprintf(err, errlen, "audit log: out of memory");
		goto out;
	}
	lc.al = hub->al;
	lc.err = err;
	lc.errlen = errlen;
	lc.failed = 0;
	if (hub->st->ops->audit_scan(hub->st, 0, UINT64_MAX, load_row, &lc) != 0 || lc.failed) {
		if (!lc.failed)
			snprintf(err, errlen, "audit rows: %.200s", store_error(hub->st));
		goto out;
	}
	if (pthread_mutex_init(&hub->lock, NULL) != 0) {
		snprintf(err, errlen, "cannot create the hub lock");
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(sk, sizeof(sk));
	if (rc != 0) {
		audit_free(hub->al);
		hub->al = NULL;
		store_close(hub->st);
		hub->st = NULL;
	}
	return rc;
}

void hub_close(struct hub *hub)
{
	if (!hub || !hub->st)
		return;
	audit_free(hub->al);
	store_close(hub->st);
	pthread_mutex_destroy(&hub->lock);
	memset(hub, 0, sizeof(*hub));
}

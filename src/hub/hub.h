/*
 * hub.h — the hub: a JSON API under /api/v1 where the government, operators, ministries and
 * the commission meet (DESIGN.md).
 *
 * The cut:
 *   server.c     libmicrohttpd glue: reads the request, hands it to hub_handle(), writes the
 *                response. Nothing else knows about HTTP.
 *   dispatch.c   hub_handle(): routing, authentication (bearer token → principal),
 *                authorization against the one route table (routes.c, default deny), body
 *                parsing and limits, one store transaction per request, and the audit entry
 *                of every write and every audited read, committed with it.
 *   auth.c       tokens: create (admin CLI), hash, look up.
 *   registry.c   organisations, assets and asset notifications (Art. 4).
 *   reports.c    incident reports, deadlines, corrective orders (Art. 5).
 *   records.c    selected records from sensors, their reads, retention (rules 6 and 7).
 *   auditapi.c   signed tree heads, proofs and entries over the API.
 *
 * Handlers run with the store transaction open and the hub lock held; they validate the
 * request, read and write through hub->st, fill resp, and name the object they touched in
 * resp->object for the audit entry. A handler that fails sets a 4xx/5xx status with a
 * one-line reason (hub_fail) and the dispatcher rolls the transaction back, so a refused
 * request changes nothing.
 */
#ifndef SK_HUB_H
#define SK_HUB_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "store/store.h"
#include "audit/auditlog.h"

/* The nine roles; a principal has exactly one. */
enum hub_role {
	ROLE_CABINET,     /* 内閣府 analysts (国家サイバー統括室) */
	ROLE_MINISTRY,    /* 事業所管大臣, bound to sectors */
	ROLE_OPERATOR,    /* 基幹インフラ事業者, bound to one organisation */
	ROLE_SENSOR,      /* a carrier's sensor posting selected records */
	ROLE_COMMISSION,  /* サイバー通信情報監理委員会 */
	ROLE_COORDINATOR, /* IPA / JPCERT/CC */
	ROLE_VENDOR,      /* 電子計算機等供給者 */
	ROLE_COUNCIL,     /* 協議会の構成員 */
	ROLE_PUBLIC,      /* anyone, including requests without a token */
	ROLE_COUNT
};
#define ROLE_BIT(r) (1u << (r))

const char *hub_role_name(enum hub_role r);
int hub_role_parse(const char *s, enum hub_role *r);

/* The 15 sectors of 特定社会基盤事業 (経済安全保障推進法), by stable key:
 * electricity gas oil water railway trucking shipping aviation airport telecom broadcasting
 * postal finance credit_card port. */
#define HUB_NSECTORS 15
extern const char *const hub_sectors[HUB_NSECTORS];
int hub_sector_valid(const char *key);

struct hub_config {
	const char *dir;              /* data directory: hub.db, audit.key, audit.pub */
	const char *listen;           /* "127.0.0.1:8080" */
	int64_t prompt_deadline_s;    /* incident prompt report: default 24 h after awareness */
	int64_t written_deadline_s;   /* written report: default 30 days after awareness */
	int64_t retention_s;          /* selected records: default two years */
	int64_t sweep_interval_s;     /* how often retention runs: default 60 s */
	size_t max_body;              /* JSON bodies: default 64 KiB */
	size_t max_records_body;      /* POST /records: default 16 MiB */
	unsigned threads;             /* libmicrohttpd thread pool: default 4 */
};
void hub_config_defaults(struct hub_config *c);

struct hub {
	struct hub_config cfg;
	struct store *st;
	struct auditlog *al;
	pthread_mutex_t lock;         /* one request at a time touches st and al */
	uint8_t audit_pk[AUDIT_PKLEN];
};

/* Who is asking. An unauthenticated request is ROLE_PUBLIC with an empty id. */
struct hub_principal {
	enum hub_role role;
	char id[ST_KEYLEN];           /* token label (for the audit log), never the token */
	char org[ST_KEYLEN];          /* ROLE_OPERATOR */
	char sectors[256];            /* ROLE_MINISTRY: comma-separated sector keys */
};
/* Does a ministry principal cover this sector? */
int hub_principal_has_sector(const struct hub_principal *p, const char *sector);

#define HUB_MAXPARAMS 4

struct hub_req {
	const char *method;           /* "GET", "POST", ... */
	const char *path;             /* without the query string */
	const char *const *query;     /* key, value, key, value, ..., NULL (decoded) */
	const uint8_t *body;          /* raw body bytes (may be NULL when body_len == 0) */
	size_t body_len;
	json_t *json;                 /* parsed body, for routes with HUB_BODY_JSON */
	const char *params[HUB_MAXPARAMS]; /* the {…} path segments, in order */
	size_t n_params;
	struct hub_principal who;
	int64_t now;                  /* Unix seconds when the request was taken */
};

struct hub_resp {
	int status;                   /* HTTP status */
	json_t *body;                 /* response document (owned); errors: {"error": "..."} */
	char object[128];             /* what the request touched, for the audit entry */
	int audit;                    /* set by a handler to force an audit entry on a read */
};

typedef void (*hub_handler)(struct hub *hub, struct hub_req *req, struct hub_resp *resp);

/* Route flags */
#define HUB_BODY_JSON   0x1       /* body must be one JSON object, <= max_body */
#define HUB_BODY_LINES  0x2       /* body is JSON Lines, <= max_records_body */
#define HUB_AUDIT_READ  0x4       /* a GET that is audited (reads of selected records) */

struct hub_route {
	const char *method;
	const char *pattern;          /* "/api/v1/assets/{}/forward": {} matches one segment */
	unsigned roles;               /* ROLE_BIT()s allowed; everyone else gets 403 */
	unsigned flags;
	hub_handler fn;
	const char *summary;
};
/* The one authorization table (routes.c), ended by a NULL method. */
extern const struct hub_route hub_routes[];

/* Open the store and the audit log under cfg->dir (verifying the stored log), or fail
 * with a reason. */
int hub_open(struct hub *hub, const struct hub_config *cfg, char *err, size_t errlen);
void hub_close(struct hub *hub);

/* Handle one request end to end (what the HTTP server calls). authorization is the raw
 * Authorization header or NULL; query as in hub_req. Fills resp (status + body). */
void hub_handle(struct hub *hub, const char *method, const char *url_path, const char *const *query,
		const char *authorization, const uint8_t *body, size_t body_len, struct hub_resp *resp);

/* hub_handle for a principal established elsewhere (the admin CLI, as "admin-cli"): the same
 * routing, role check, body rules, transaction and audit entry, without a token. */
void hub_handle_as(struct hub *hub, const struct hub_principal *who, const char *method,
		   const char *url_path, const char *const *query, const uint8_t *body, size_t body_len,
		   struct hub_resp *resp);

/* The most body bytes the server should buffer for this request: max_records_body for a
 * HUB_BODY_LINES route, max_body otherwise (larger bodies are answered 413 unread). */
size_t hub_body_limit(const struct hub *hub, const char *method, const char *url_path);

/* Tokens (auth.c). A token is "skm_" + 43 base64url characters (32 random bytes); the store
 * keeps only its SHA-256. */
#define HUB_TOKEN_MAX 64
void hub_token_hash(const char *token, uint8_t hash[32]);
/* Create a token for spec (role, org, sectors, label; hash and created are filled in),
 * checking the bindings (operator: an existing org; ministry: valid sectors), stored and
 * audited as "admin-cli" in one transaction. Writes the token (once) to token[]. 0, or -1
 * with a reason; a duplicate label is refused. */
int hub_token_create(struct hub *hub, struct store_token *spec, char token[HUB_TOKEN_MAX],
		     char *err, size_t errlen);

/* Serve HTTP until *stop becomes non-zero (SIGTERM/SIGINT). Returns the exit status. */
int hub_serve(struct hub *hub, volatile int *stop);

/* Delete selected records past retention, auditing each deletion; returns records deleted or -1. */
long hub_retention_sweep(struct hub *hub, int64_t now);

/* Handler helpers. */
void hub_fail(struct hub_resp *resp, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void hub_ok(struct hub_resp *resp, int status, json_t *body); /* steals body */
const char *hub_query(const struct hub_req *req, const char *key);
/* A name of 1..max characters from [0-9A-Za-z._-] (path ids, token labels)? */
int hub_name_ok(const char *s, size_t n, size_t max);
/* Append an audit entry now (inside the request's transaction); dispatch uses it for each
 * request and retention for each deletion. */
int hub_audit(struct hub *hub, const struct hub_principal *who, const char *action, const char *object,
	      int64_t now, const uint8_t digest[AUDIT_HASHLEN]);

/* Handlers, one group per domain file. */
void h_orgs_list(struct hub *, struct hub_req *, struct hub_resp *);
void h_orgs_create(struct hub *, struct hub_req *, struct hub_resp *);
void h_assets_create(struct hub *, struct hub_req *, struct hub_resp *);
void h_assets_list(struct hub *, struct hub_req *, struct hub_resp *);
void h_assets_get(struct hub *, struct hub_req *, struct hub_resp *);
void h_assets_change(struct hub *, struct hub_req *, struct hub_resp *);
void h_notifications_list(struct hub *, struct hub_req *, struct hub_resp *);
void h_notifications_forward(struct hub *, struct hub_req *, struct hub_resp *);
void h_incidents_create(struct hub *, struct hub_req *, struct hub_resp *);
void h_incidents_list(struct hub *, struct hub_req *, struct hub_resp *);
void h_incidents_get(struct hub *, struct hub_req *, struct hub_resp *);
void h_incidents_written(struct hub *, struct hub_req *, struct hub_resp *);
void h_incidents_overdue(struct hub *, struct hub_req *, struct hub_resp *);
void h_orders_create(struct hub *, struct hub_req *, struct hub_resp *);
void h_orders_list(struct hub *, struct hub_req *, struct hub_resp *);
void h_orders_update(struct hub *, struct hub_req *, struct hub_resp *);
void h_records_ingest(struct hub *, struct hub_req *, struct hub_resp *);
void h_records_list(struct hub *, struct hub_req *, struct hub_resp *);
void h_approvals_retention(struct hub *, struct hub_req *, struct hub_resp *);
void h_audit_sth(struct hub *, struct hub_req *, struct hub_resp *);
void h_audit_entries(struct hub *, struct hub_req *, struct hub_resp *);
void h_audit_inclusion(struct hub *, struct hub_req *, struct hub_resp *);
void h_audit_consistency(struct hub *, struct hub_req *, struct hub_resp *);
void h_audit_key(struct hub *, struct hub_req *, struct hub_resp *);
void h_whoami(struct hub *, struct hub_req *, struct hub_resp *);

#endif

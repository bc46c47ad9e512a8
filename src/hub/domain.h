/*
 * domain.h — what the hub's domain handlers (registry.c, reports.c, records.c, auditapi.c)
 * share: JSON times, strict decimal numbers, field checks that answer 400 with a reason,
 * paging, the caller's scope and visibility (rule 9), the common doc view and listing.
 * Private to src/hub; prefix hd_ (hub domain). Everything here runs inside a handler, with
 * the hub lock held and the request's transaction open (hub.h).
 *
 * Functions that take a resp set a 4xx/5xx there (hub_fail) when they return -1, so a
 * handler just returns.
 */
#ifndef SK_HUB_DOMAIN_H
#define SK_HUB_DOMAIN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "hub/hub.h"

/* Flags of hd_get_str / hd_get_time. */
enum {
	HD_STR_REQUIRED = 1, /* absent is a 400 "required" */
	HD_STR_TEXT = 2,     /* newlines, tabs and carriage returns allowed */
	HD_STR_NULLABLE = 4, /* JSON null counts as absent */
	HD_STR_DETAIL = 8,   /* one reason per fault (type, length, byte of a control character)
			      * instead of one summary line */
};

/* A ministry's sectors, split for a store_filter; lives as long as the filter. */
struct hd_sectors {
	char buf[256];
	const char *key[HUB_NSECTORS];
};

/* Unix seconds as an RFC 3339 UTC string; JSON null for t <= 0 or a year out of range. */
json_t *hd_jtime(int64_t t);
/* body[key] parsed as RFC 3339; 0 when absent or not a date-time. */
int64_t hd_body_time(const json_t *body, const char *key);

/* Strict decimal: 1 to 19 digits, nothing else, value <= max. 0, or -1 (*out untouched). */
int hd_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A store id: strict decimal in 1..INT64_MAX. 0, or -1. */
int hd_parse_id(const char *s, int64_t *id);

/* s[0..n) is non-empty and has no control characters (HD_STR_TEXT: but \n \t \r). */
int hd_str_ok(const char *s, size_t n, unsigned flags);
/* Every key of obj is in allowed (NULL-terminated); else 400 "[where: ]unknown key". */
int hd_only_keys(struct hub_resp *resp, const json_t *obj, const char *const *allowed, const char *where);
/* obj[key] as a string of 1..max bytes passing hd_str_ok; absent gives *out = NULL. Reasons
 * name the field "where.key" (or "key" when where is NULL). */
int hd_get_str(struct hub_resp *resp, const json_t *obj, const char *where, const char *key, unsigned flags,
	       size_t max, const char **out);
/* obj[key] as an RFC 3339 date-time in Unix seconds; absent gives *t = 0. flags as hd_get_str
 * (HD_STR_REQUIRED, HD_STR_DETAIL). */
int hd_get_time(struct hub_resp *resp, const json_t *obj, const char *where, const char *key, unsigned flags,
		int64_t *t);

/* 500 "store: <the store's reason>"; returns -1. */
int hd_store_err(struct hub *hub, struct hub_resp *resp);

/* ?after_id= (default 0) and ?limit= (1..max, default def). 0, or -1 with a 400. */
int hd_paging(const struct hub_req *req, struct hub_resp *resp, size_t def, size_t max, int64_t *after,
	      size_t *limit);
/* A listing's query: hd_paging (up to max rows, max by default) into f, and ?state=, which
 * must be s1 or s2 when given, into f->state. 0, or -1 with a 400. */
int hd_list_query(const struct hub_req *req, struct hub_resp *resp, size_t max, struct store_filter *f,
		  const char *s1, const char *s2);
/* Narrow f to the caller's rows: an operator its organisation, a ministry its sectors (kept in
 * sc), the roles in see_all (ROLE_BITs) everything. 0, 1 (sees nothing: an empty list), or -1. */
int hd_scope(const struct hub_req *req, struct hub_resp *resp, unsigned see_all, struct store_filter *f,
	     struct hd_sectors *sc);
/* May the caller see d? Operator: its org; ministry: its sectors; cabinet: all; others: none. */
int hd_visible(const struct hub_req *req, const struct store_doc *d);
/* The doc of kind named by the first path parameter, if hd_visible: 0 (filled; the caller
 * clears it), ST_NOTFOUND (also for "not yours", so existence does not leak), or -1 (store). */
int hd_get_visible(struct hub *hub, const struct hub_req *req, const char *kind, struct store_doc *d);

/* What a caller gets for a doc: its body with id, org, sector, state, created_at, updated_at. */
json_t *hd_doc_view(const struct store_doc *d);
/* hd_doc_view with "due" (after "state") as well. */
json_t *hd_doc_view_due(const struct store_doc *d);
/* resp->object = "<kind>/<id>" for the audit entry. */
void hd_set_object(struct hub_resp *resp, const char *kind, int64_t id);
/* Answer 200 {"<name>": [view(doc)...], "next_after_id": id|null} for f (empty: no rows). */
void hd_list_reply(struct hub *hub, struct hub_resp *resp, struct store_filter *f, const char *name,
		   json_t *(*view)(const struct store_doc *), int empty);

/* doc_list callback: copy the first doc into ctx (a struct store_doc, body deep-copied; the
 * caller clears it) and stop. */
int hd_first_cb(const struct store_doc *d, void *ctx);
/* The org doc of slug into out (the caller clears it): 0, ST_NOTFOUND, or -1 (store). */
int hd_org_find(struct hub *hub, const char *slug, struct store_doc *out);

#endif

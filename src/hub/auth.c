/*
 * auth.c — bearer tokens: made by the admin CLI, looked up by dispatch.c.
 *
 * A token is "skm_" followed by 32 random bytes in base64url without padding (43 characters).
 * It is printed once, when it is created; the store keeps only SHA-256(token) with the role
 * and its bindings (an operator's organisation, a ministry's sectors) and a label, which is
 * the name the audit log records for the principal (never the token). Because the store has
 * no listing of token rows, each token also leaves a document of kind "token" (label, role,
 * bindings, creation time, the first 8 hex digits of the hash) for `sakimori admin token
 * list`; no route serves that kind.
 *
 * Creating a token is a write like any other: one transaction holding the token row, its
 * document and an audit entry by "admin-cli" (recorded with the cabinet role: the Cabinet
 * Office's 国家サイバー統括室 runs the hub).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "common/log.h"
#include "hub/hub.h"

void hub_token_hash(const char *token, uint8_t hash[32])
{
	crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
}

/* "a,b,c": every key a valid sector, no empty or repeated key. */
static int sectors_ok(const char *list, char *err, size_t errlen)
{
	char buf[256], *save = NULL, *tok;
	const char *seen[HUB_NSECTORS];
	size_t nseen = 0;

	if (!*list || strlen(list) >= sizeof(buf) || list[strlen(list) - 1] == ',' || list[0] == ',' ||
	    strstr(list, ",,")) {
		snprintf(err, errlen, "sectors: want KEY[,KEY...] of the 15 sector keys");
		return 0;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!hub_sector_valid(tok)) {
			snprintf(err, errlen, "sector '%.40s' is not one of the 15 sector keys", tok);
			return 0;
		}
		for (size_t i = 0; i < nseen; i++) {
			if (strcmp(seen[i], tok) == 0) {
				snprintf(err, errlen, "sector '%s' given twice", tok);
				return 0;
			}
		}
		if (nseen < HUB_NSECTORS)
			seen[nseen++] = tok;
	}
	return 1;
}

static int check_spec(struct hub *hub, const struct store_token *spec, enum hub_role *role,
		      char *err, size_t errlen)
{
	if (hub_role_parse(spec->role, role) < 0) {
		snprintf(err, errlen, "role '%.40s' is not one of cabinet ministry operator sensor "
			 "commission coordinator vendor council public", spec->role);
		return -1;
	}
	if (*role == ROLE_OPERATOR) {
		struct store_filter f = { .kind = "org", .org = spec->org };
		uint64_t n = 0;

		if (!spec->org[0]) {
			snprintf(err, errlen, "an operator token needs --org");
			return -1;
		}
		if (hub->st->ops->doc_count(hub->st, &f, &n) != 0) {
			snprintf(err, errlen, "store: %.200s", store_error(hub->st));
			return -1;
		}
		if (n == 0) {
			snprintf(err, errlen, "organisation '%.60s' is not registered", spec->org);
			return -1;
		}
	} else if (spec->org[0]) {
		snprintf(err, errlen, "only operator tokens are bound to an organisation");
		return -1;
	}
	if (*role == ROLE_MINISTRY) {
		if (!spec->sectors[0]) {
			snprintf(err, errlen, "a ministry token needs --sector");
			return -1;
		}
		if (!sectors_ok(spec->sectors, err, errlen))
			return -1;
	} else if (spec->sectors[0]) {
		snprintf(err, errlen, "only ministry tokens are bound to sectors");
		return -1;
	}
	if (spec->label[0] && !hub_name_ok(spec->label, strlen(spec->label), ST_KEYLEN - 1)) {
		snprintf(err, errlen, "label: 1-63 characters of [A-Za-z0-9._-]");
		return -1;
	}
	return 0;
}

/* The token's document (kind "token"), for listing. */
static int put_token_doc(struct hub *hub, const struct store_token *t, char *err, size_t errlen)
{
	struct store_doc d;
	char hex[17];
	int rc;

	sodium_bin2hex(hex, sizeof(hex), t->hash, 8);
	memset(&d, 0, sizeof(d));
	strcpy(d.kind, "token");
	memcpy(d.org, t->org, sizeof(d.org));
	memcpy(d.state, t->role, sizeof(d.state));
	d.created = d.updated = t->created;
	d.body = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "label", t->label, "role", t->role,
			   "org", t->org, "sectors", t->sectors, "created", (json_int_t)t->created,
			   "hash_prefix", hex);
	if (!d.body) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = hub->st->ops->doc_put(hub->st, &d);
	json_decref(d.body);
	if (rc != 0) {
		snprintf(err, errlen, "store: %.200s", store_error(hub->st));
		return -1;
	}
	return 0;
}

int hub_token_create(struct hub *hub, struct store_token *spec, char token[HUB_TOKEN_MAX],
		     char *err, size_t errlen)
{
	static const struct hub_principal admin = { .role = ROLE_CABINET, .id = "admin-cli" };
	uint8_t raw[32], digest[AUDIT_HASHLEN];
	char object[ST_KEYLEN + 8], *req;
	json_t *what;
	enum hub_role role;
	uint64_t before, dup = 0;
	int rc = -1, began = 0;

	token[0] = '\0';
	pthread_mutex_lock(&hub->lock);
	before = audit_size(hub->al);
	if (check_spec(hub, spec, &role, err, errlen) < 0)
		goto out;

	randombytes_buf(raw, sizeof(raw));
	memcpy(token, "skm_", 4);
	sodium_bin2base64(token + 4, HUB_TOKEN_MAX - 4, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	hub_token_hash(token, spec->hash);
	spec->revoked = 0;
	if (!spec->created)
		spec->created = time(NULL);
	if (!spec->label[0]) {
		char hex[9];

		sodium_bin2hex(hex, sizeof(hex), spec->hash, 4);
		snprintf(spec->label, sizeof(spec->label), "%.20s-%s", hub_role_name(role), hex);
	}

	if (hub->st->ops->begin(hub->st) != 0) {
		snprintf(err, errlen, "store: %.200s", store_error(hub->st));
		goto out;
	}
	began = 1;
	{
		struct store_filter f = { .kind = "token", .body_key = "label", .body_value = spec->label };

		if (hub->st->ops->doc_count(hub->st, &f, &dup) != 0) {
			snprintf(err, errlen, "store: %.200s", store_error(hub->st));
			goto out;
		}
	}
	if (dup) {
		snprintf(err, errlen, "a token labelled '%s' exists already", spec->label);
		goto out;
	}
	if (hub->st->ops->token_put(hub->st, spec) != 0) {
		snprintf(err, errlen, "store: %.200s", store_error(hub->st));
		goto out;
	}
	if (put_token_doc(hub, spec, err, errlen) < 0)
		goto out;

	/* The digest covers what was asked for, never the token. */
	what = json_pack("{s:s, s:s, s:s, s:s}", "role", spec->role, "org", spec->org,
			 "sectors", spec->sectors, "label", spec->label);
	req = what ? json_dumps(what, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(what);
	if (!req) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	crypto_hash_sha256(digest, (const unsigned char *)req, strlen(req));
	free(req);
	snprintf(object, sizeof(object), "token/%s", spec->label);
	if (hub_audit(hub, &admin, "ADMIN token create", object, time(NULL), digest) != 0) {
		snprintf(err, errlen, "audit log unavailable");
		goto out;
	}
	if (hub->st->ops->commit(hub->st) != 0) {
		snprintf(err, errlen, "store commit: %.200s", store_error(hub->st));
		goto out;
	}
	began = 0;
	rc = 0;
out:
	if (rc != 0) {
		if (began)
			hub->st->ops->rollback(hub->st);
		audit_truncate(hub->al, before);
		sodium_memzero(token, HUB_TOKEN_MAX);
		token[0] = '\0';
	}
	pthread_mutex_unlock(&hub->lock);
	return rc;
}

void h_whoami(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	const struct hub_principal *p = &req->who;
	json_t *body = json_pack("{s:s, s:s}", "role", hub_role_name(p->role), "id", p->id);
	json_t *sectors = json_array();
	char buf[sizeof(p->sectors)], *save = NULL, *tok;

	if (!body || !sectors) {
		json_decref(body);
		json_decref(sectors);
		hub_fail(resp, 500, "out of memory");
		return;
	}
	if (p->role == ROLE_OPERATOR)
		json_object_set_new(body, "org", json_string(p->org));
	memcpy(buf, p->sectors, sizeof(buf));
	buf[sizeof(buf) - 1] = '\0';
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(sectors, json_string(tok));
	json_object_set_new(body, "sectors", sectors);
	snprintf(resp->object, sizeof(resp->object), "whoami");
	hub_ok(resp, 200, body);
}

/*
 * test_hub_roles.c — who may call what (DESIGN.md rule 9), and what dispatch does with a request.
 *
 * In process: hub_open on a temporary directory, hub_handle called directly with a real token
 * of every role. The walk sends every row of hub_routes as every role and as no token at all,
 * with bodies and ids that get past validation where they can, and asserts 403 exactly when
 * the role is not in the row. Because that alone would pass with any table, the table itself
 * is compared with the law written out here a second time (`law[]`), and a few lines of the
 * law are tested by request on their own: operators never read selected records, a sensor
 * reads nothing but whoami and the audit key, the public posts nothing, and only the
 * commission reads audit entries. The rest checks dispatch: bad credentials are 401 alike;
 * refused requests (400/401/403/404/405/409/413) change neither documents nor the audit log;
 * writes and audited reads append one entry naming who, role, action and object; rows that
 * another process appended are loaded before the next request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/timefmt.h"
#include "hub/hub.h"

#define NO_TOKEN ROLE_COUNT /* "role" index for a request without Authorization */

static struct {
	char dir[64];
	struct hub hub;
	char tok[ROLE_COUNT][HUB_TOKEN_MAX];
	char asset[32], notif[32], incident[32], order[32];
	unsigned seq;
} F;

static const char *const record_line =
	"{\"ts_first\":\"2026-10-01T00:00:07.202312Z\",\"ts_last\":\"2026-10-01T00:00:07.307958Z\","
	"\"selectors\":[\"py-bots\"],\"approvals\":[\"T-2026-0031\"],\"channel\":\"transit\","
	"\"direction\":\"foreign-foreign\",\"proto\":\"tcp\",\"src_ip\":\"98.98.160.1\",\"src_port\":35105,"
	"\"dst_ip\":\"86.38.234.73\",\"dst_port\":80,\"src_cc\":\"US\",\"dst_cc\":\"US\",\"src_asn\":21859,"
	"\"dst_asn\":210906,\"packets\":7,\"bytes\":2726,\"http\":[{\"method\":\"GET\","
	"\"host\":\"cdn.example.de\",\"uri\":\"/user/profile\",\"user_agent\":\"python-requests/2.32.3\"}]}\n";

/* ---- requests -------------------------------------------------------------------------- */

/* Send one request as role r (or NO_TOKEN); returns the status, the body in *out if wanted. */
static int send_as(int r, const char *method, const char *path, const char *const *query, const char *body,
		   json_t **out)
{
	struct hub_resp resp;
	char auth[HUB_TOKEN_MAX + 16];

	if (r != NO_TOKEN)
		snprintf(auth, sizeof(auth), "Bearer %s", F.tok[r]);
	hub_handle(&F.hub, method, path, query, r == NO_TOKEN ? NULL : auth, (const uint8_t *)body,
		   body ? strlen(body) : 0, &resp);
	assert_non_null(resp.body);
	if (resp.status >= 400) {
		/* every error is {"error": "..."} and nothing else */
		assert_true(json_is_object(resp.body));
		assert_int_equal(json_object_size(resp.body), 1);
		assert_non_null(json_string_value(json_object_get(resp.body, "error")));
	}
	if (out)
		*out = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}

static int send_auth(const char *authorization, const char *method, const char *path, const char *body)
{
	struct hub_resp resp;

	hub_handle(&F.hub, method, path, NULL, authorization, (const uint8_t *)body, body ? strlen(body) : 0,
		   &resp);
	assert_non_null(resp.body);
	json_decref(resp.body);
	return resp.status;
}

/* The id of what a create returned: body[key].id, else body.id; "" when absent. */
static void take_id(json_t *body, const char *key, char out[32])
{
	json_t *id = json_object_get(json_object_get(body, key), "id");

	if (!id)
		id = json_object_get(body, "id");
	if (json_is_integer(id))
		snprintf(out, 32, "%lld", (long long)json_integer_value(id));
	else if (json_is_string(id))
		snprintf(out, 32, "%s", json_string_value(id));
}

static void rfc3339(int64_t t, char out[TF_RFC3339_LEN])
{
	assert_int_equal(tf_format_rfc3339(t, out), 0);
}

/* ---- the law, written out a second time ------------------------------------------------ */

static const struct {
	const char *method, *pattern, *roles;
} law[] = {
	{ "GET", "/api/v1/whoami", "cabinet ministry operator sensor commission coordinator vendor council public" },
	{ "GET", "/api/v1/orgs", "cabinet ministry operator commission" },
	{ "POST", "/api/v1/orgs", "cabinet ministry" },
	{ "POST", "/api/v1/assets", "operator" },
	{ "GET", "/api/v1/assets", "cabinet ministry operator" },
	{ "GET", "/api/v1/assets/{}", "cabinet ministry operator" },
	{ "POST", "/api/v1/assets/{}/changes", "operator" },
	{ "GET", "/api/v1/notifications", "cabinet ministry operator" },
	{ "POST", "/api/v1/notifications/{}/forward", "ministry" },
	{ "POST", "/api/v1/incidents", "operator" },
	{ "GET", "/api/v1/incidents", "cabinet ministry operator" },
	{ "GET", "/api/v1/incidents/overdue", "cabinet ministry" },
	{ "GET", "/api/v1/incidents/{}", "cabinet ministry operator" },
	{ "POST", "/api/v1/incidents/{}/written", "operator" },
	{ "POST", "/api/v1/incidents/{}/orders", "ministry" },
	{ "GET", "/api/v1/orders", "cabinet ministry operator" },
	{ "POST", "/api/v1/orders/{}/status", "ministry operator" },
	{ "POST", "/api/v1/records", "sensor" },
	{ "GET", "/api/v1/records", "cabinet commission" },
	{ "POST", "/api/v1/approvals/{}/retention", "commission" },
	{ "GET", "/api/v1/audit/key", "cabinet ministry operator sensor commission coordinator vendor council public" },
	{ "GET", "/api/v1/audit/sth", "cabinet commission" },
	{ "GET", "/api/v1/audit/entries", "commission" },
	{ "GET", "/api/v1/audit/proof/inclusion", "cabinet commission" },
	{ "GET", "/api/v1/audit/proof/consistency", "cabinet commission" },
};

static unsigned roles_mask(const char *list)
{
	char buf[256], *save = NULL, *tok;
	unsigned m = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		enum hub_role r;

		assert_int_equal(hub_role_parse(tok, &r), 0);
		m |= ROLE_BIT(r);
	}
	return m;
}

/* ---- fixture --------------------------------------------------------------------------- */

static int group_setup(void **state)
{
	static const struct hub_principal admin = { .role = ROLE_CABINET, .id = "admin-cli" };
	const char *org = "{\"id\":\"org-a\",\"name\":\"A Electric\",\"sector\":\"electricity\"}";
	struct hub_config cfg;
	struct hub_resp resp;
	char err[256], now1[TF_RFC3339_LEN], later[TF_RFC3339_LEN], body[512];
	json_t *b;
	int64_t now = time(NULL);

	snprintf(F.dir, sizeof(F.dir), "/tmp/sk-roles-XXXXXX");
	if (!mkdtemp(F.dir))
		return -1;
	hub_config_defaults(&cfg);
	cfg.dir = F.dir;
	if (hub_open(&F.hub, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "hub_open: %s\n", err);
		return -1;
	}
	hub_handle_as(&F.hub, &admin, "POST", "/api/v1/orgs", NULL, (const uint8_t *)org, strlen(org), &resp);
	json_decref(resp.body);
	if (resp.status != 201 && resp.status != 200)
		return -1;
	for (int r = 0; r < ROLE_COUNT; r++) {
		struct store_token t;

		memset(&t, 0, sizeof(t));
		snprintf(t.role, sizeof(t.role), "%s", hub_role_name((enum hub_role)r));
		snprintf(t.label, sizeof(t.label), "test-%.20s", t.role);
		if (r == ROLE_OPERATOR)
			snprintf(t.org, sizeof(t.org), "org-a");
		if (r == ROLE_MINISTRY)
			snprintf(t.sectors, sizeof(t.sectors), "electricity");
		if (hub_token_create(&F.hub, &t, F.tok[r], err, sizeof(err)) != 0) {
			fprintf(stderr, "token %s: %s\n", t.role, err);
			return -1;
		}
	}

	/* One of each object, so {} ids point at something that exists. */
	snprintf(F.asset, sizeof(F.asset), "1");
	snprintf(F.notif, sizeof(F.notif), "1");
	snprintf(F.incident, sizeof(F.incident), "1");
	snprintf(F.order, sizeof(F.order), "1");
	b = NULL;
	send_as(ROLE_OPERATOR, "POST", "/api/v1/assets", NULL,
		"{\"product\":\"SCADA Server\",\"vendor\":\"Example Corp\",\"version\":\"1.0\","
		"\"facility\":\"substation control\"}", &b);
	take_id(b, "asset", F.asset);
	take_id(b, "notification", F.notif);
	json_decref(b);
	rfc3339(now - 3600, now1);
	rfc3339(now + 30 * 86400, later);
	snprintf(body, sizeof(body), "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"%s\","
		 "\"summary\":\"unexpected logins on the historian\"}", now1);
	b = NULL;
	send_as(ROLE_OPERATOR, "POST", "/api/v1/incidents", NULL, body, &b);
	take_id(b, "incident", F.incident);
	json_decref(b);
	snprintf(body, sizeof(body), "/api/v1/incidents/%s/orders", F.incident);
	{
		char ob[256];

		snprintf(ob, sizeof(ob), "{\"measures\":\"isolate the historian\",\"deadline\":\"%s\"}", later);
		b = NULL;
		send_as(ROLE_MINISTRY, "POST", body, NULL, ob, &b);
		take_id(b, "order", F.order);
		json_decref(b);
	}
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	hub_close(&F.hub);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The concrete path of a pattern: each {} becomes the id of its collection. */
static void concrete_path(const char *pattern, char *out, size_t outlen)
{
	const char *p = pattern;
	size_t n = 0;

	out[0] = '\0';
	while (*p && n + 1 < outlen) {
		if (p[0] == '{' && p[1] == '}') {
			const char *id = "T-2026-0031";

			if (strstr(out, "/assets/"))
				id = F.asset;
			else if (strstr(out, "/notifications/"))
				id = F.notif;
			else if (strstr(out, "/incidents/"))
				id = F.incident;
			else if (strstr(out, "/orders/"))
				id = F.order;
			n += (size_t)snprintf(out + n, outlen - n, "%s", id);
			p += 2;
			continue;
		}
		out[n++] = *p++;
		out[n] = '\0';
	}
}

/* A body that passes validation where it can; for others the same body (403 comes first). */
static const char *body_for(const struct hub_route *rt, int role, char *buf, size_t len)
{
	char t1[TF_RFC3339_LEN], t2[TF_RFC3339_LEN];
	int64_t now = time(NULL);

	rfc3339(now - 3600, t1);
	rfc3339(now + 30 * 86400, t2);
	if (strcmp(rt->method, "POST") != 0)
		return NULL;
	if (strcmp(rt->pattern, "/api/v1/orgs") == 0)
		snprintf(buf, len, "{\"id\":\"org-r%u\",\"name\":\"R\",\"sector\":\"electricity\"}", F.seq++);
	else if (strcmp(rt->pattern, "/api/v1/assets") == 0)
		snprintf(buf, len, "{\"product\":\"PLC\",\"vendor\":\"V\",\"version\":\"2\",\"facility\":\"grid\"}");
	else if (strcmp(rt->pattern, "/api/v1/assets/{}/changes") == 0)
		snprintf(buf, len, "{\"changes\":{\"version\":\"2.1\"},\"reason\":\"vendor patch\"}");
	else if (strcmp(rt->pattern, "/api/v1/notifications/{}/forward") == 0)
		snprintf(buf, len, "{\"note\":\"for the Cabinet Office\"}");
	else if (strcmp(rt->pattern, "/api/v1/incidents") == 0)
		snprintf(buf, len, "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"%s\",\"summary\":\"s\"}", t1);
	else if (strcmp(rt->pattern, "/api/v1/incidents/{}/written") == 0)
		snprintf(buf, len, "{\"summary\":\"s\",\"cause\":\"c\",\"impact\":\"i\",\"measures\":\"m\"}");
	else if (strcmp(rt->pattern, "/api/v1/incidents/{}/orders") == 0)
		snprintf(buf, len, "{\"measures\":\"m\",\"deadline\":\"%s\"}", t2);
	else if (strcmp(rt->pattern, "/api/v1/orders/{}/status") == 0)
		snprintf(buf, len, "{\"status\":\"%s\",\"detail\":\"d\"}", role == ROLE_MINISTRY ? "not_complied" : "reported");
	else if (strcmp(rt->pattern, "/api/v1/records") == 0)
		snprintf(buf, len, "%s", record_line);
	else if (strcmp(rt->pattern, "/api/v1/approvals/{}/retention") == 0)
		snprintf(buf, len, "{\"days\":30,\"reason\":\"investigation continues\"}");
	else
		snprintf(buf, len, "{}");
	return buf;
}

static const char *const *query_for(const struct hub_route *rt)
{
	static const char *const incl[] = { "index", "0", "size", "1", NULL };
	static const char *const cons[] = { "first", "1", "second", "2", NULL };
	static const char *const entries[] = { "start", "0", "end", "1", NULL };

	if (strcmp(rt->pattern, "/api/v1/audit/proof/inclusion") == 0)
		return incl;
	if (strcmp(rt->pattern, "/api/v1/audit/proof/consistency") == 0)
		return cons;
	if (strcmp(rt->pattern, "/api/v1/audit/entries") == 0)
		return entries;
	return NULL;
}

/* Send a row as a role; the status, with the error text of a 404 in *err404. */
static int send_row(const struct hub_route *rt, int role, int *no_route)
{
	char path[256], body[2048];
	json_t *b = NULL;
	int st;

	concrete_path(rt->pattern, path, sizeof(path));
	st = send_as(role, rt->method, path, query_for(rt), body_for(rt, role, body, sizeof(body)), &b);
	*no_route = st == 404 && strcmp(json_string_value(json_object_get(b, "error")), "no such route") == 0;
	json_decref(b);
	return st;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void table_is_the_law(void **state)
{
	size_t nrows = 0, nlaw = sizeof(law) / sizeof(law[0]);

	for (const struct hub_route *rt = hub_routes; rt->method; rt++, nrows++) {
		size_t i;

		for (i = 0; i < nlaw; i++)
			if (strcmp(law[i].method, rt->method) == 0 && strcmp(law[i].pattern, rt->pattern) == 0)
				break;
		if (i == nlaw)
			fail_msg("route %s %s is not in the law", rt->method, rt->pattern);
		if (rt->roles != roles_mask(law[i].roles))
			fail_msg("%s %s: roles 0x%x, the law says %s", rt->method, rt->pattern, rt->roles,
				 law[i].roles);
	}
	assert_int_equal(nrows, nlaw);
}

static void every_role_against_every_route(void **state)
{
	unsigned walked = 0;

	for (const struct hub_route *rt = hub_routes; rt->method; rt++) {
		for (int role = 0; role <= NO_TOKEN; role++) {
			enum hub_role eff = role == NO_TOKEN ? ROLE_PUBLIC : (enum hub_role)role;
			int allowed = (rt->roles & ROLE_BIT(eff)) != 0, no_route;
			int st = send_row(rt, role, &no_route);
			const char *who = role == NO_TOKEN ? "no token" : hub_role_name(eff);

			if (!allowed && st != 403)
				fail_msg("%s %s as %s: %d, want 403", rt->method, rt->pattern, who, st);
			if (allowed && (st == 403 || st == 401 || st == 405 || no_route || st >= 500))
				fail_msg("%s %s as %s: %d, want it served", rt->method, rt->pattern, who, st);
			walked++;
		}
	}
	assert_int_equal(walked, (sizeof(law) / sizeof(law[0])) * (ROLE_COUNT + 1));
}

static void operators_never_read_records(void **state)
{
	static const struct hub_route rt = { "GET", "/api/v1/records", 0, 0, NULL, NULL };
	int no_route;

	assert_int_equal(send_row(&rt, ROLE_OPERATOR, &no_route), 403);
	assert_int_equal(send_row(&rt, ROLE_MINISTRY, &no_route), 403);
	assert_int_equal(send_row(&rt, ROLE_SENSOR, &no_route), 403);
	assert_int_equal(send_row(&rt, NO_TOKEN, &no_route), 403);
	assert_int_equal(send_row(&rt, ROLE_CABINET, &no_route), 200);
	assert_int_equal(send_row(&rt, ROLE_COMMISSION, &no_route), 200);
}

static void sensor_reads_only_whoami_and_key(void **state)
{
	for (const struct hub_route *rt = hub_routes; rt->method; rt++) {
		int no_route, st;

		if (strcmp(rt->method, "GET") != 0)
			continue;
		st = send_row(rt, ROLE_SENSOR, &no_route);
		if (strcmp(rt->pattern, "/api/v1/whoami") == 0 || strcmp(rt->pattern, "/api/v1/audit/key") == 0)
			assert_int_equal(st, 200);
		else if (st != 403)
			fail_msg("sensor GET %s: %d, want 403", rt->pattern, st);
	}
}

static void public_posts_nothing(void **state)
{
	unsigned posts = 0;

	for (const struct hub_route *rt = hub_routes; rt->method; rt++) {
		int no_route;

		if (strcmp(rt->method, "GET") == 0)
			continue;
		posts++;
		if (send_row(rt, NO_TOKEN, &no_route) != 403 || send_row(rt, ROLE_PUBLIC, &no_route) != 403)
			fail_msg("the public may %s %s", rt->method, rt->pattern);
	}
	assert_true(posts >= 10);
}

static void only_commission_reads_audit_entries(void **state)
{
	static const struct hub_route rt = { "GET", "/api/v1/audit/entries", 0, 0, NULL, NULL };

	for (int role = 0; role <= NO_TOKEN; role++) {
		int no_route, st = send_row(&rt, role, &no_route);

		if (role == ROLE_COMMISSION)
			assert_int_equal(st, 200);
		else
			assert_int_equal(st, 403);
	}
}

static void bad_credentials_are_401_alike(void **state)
{
	char forged[HUB_TOKEN_MAX + 16], revoked_tok[] = "skm_revokedrevokedrevokedrevokedrevokedrevoke";
	struct store_token t;
	struct hub_resp resp;
	const char *const cases[] = {
		forged, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer", "Bearer skm_\"quote\"",
		"Bearer skm_a b", "Bearer " "skm_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "",
		NULL,
	};
	char revoked[80];

	/* forged: a real token with its last character changed */
	snprintf(forged, sizeof(forged), "Bearer %s", F.tok[ROLE_CABINET]);
	forged[strlen(forged) - 1] ^= 1;
	/* a revoked token row */
	memset(&t, 0, sizeof(t));
	hub_token_hash(revoked_tok, t.hash);
	snprintf(t.role, sizeof(t.role), "cabinet");
	snprintf(t.label, sizeof(t.label), "revoked-one");
	t.revoked = 1;
	assert_int_equal(F.hub.st->ops->begin(F.hub.st), 0);
	assert_int_equal(F.hub.st->ops->token_put(F.hub.st, &t), 0);
	assert_int_equal(F.hub.st->ops->commit(F.hub.st), 0);
	snprintf(revoked, sizeof(revoked), "Bearer %s", revoked_tok);

	for (int i = 0; cases[i]; i++) {
		/* also on a route the public may call: a bad token is not "no token" */
		assert_int_equal(send_auth(cases[i], "GET", "/api/v1/whoami", NULL), 401);
		assert_int_equal(send_auth(cases[i], "GET", "/api/v1/records", NULL), 401);
	}
	assert_int_equal(send_auth(revoked, "GET", "/api/v1/whoami", NULL), 401);
	/* the same words whatever was wrong */
	hub_handle(&F.hub, "GET", "/api/v1/whoami", NULL, revoked, NULL, 0, &resp);
	assert_string_equal(json_string_value(json_object_get(resp.body, "error")), "invalid credentials");
	json_decref(resp.body);
	hub_handle(&F.hub, "GET", "/api/v1/whoami", NULL, forged, NULL, 0, &resp);
	assert_string_equal(json_string_value(json_object_get(resp.body, "error")), "invalid credentials");
	json_decref(resp.body);
	/* the real one still works, with its label and bindings */
	{
		json_t *b = NULL;

		assert_int_equal(send_as(ROLE_OPERATOR, "GET", "/api/v1/whoami", NULL, NULL, &b), 200);
		assert_string_equal(json_string_value(json_object_get(b, "role")), "operator");
		assert_string_equal(json_string_value(json_object_get(b, "id")), "test-operator");
		assert_string_equal(json_string_value(json_object_get(b, "org")), "org-a");
		json_decref(b);
		assert_int_equal(send_as(ROLE_MINISTRY, "GET", "/api/v1/whoami", NULL, NULL, &b), 200);
		assert_string_equal(json_string_value(json_array_get(json_object_get(b, "sectors"), 0)),
				    "electricity");
		json_decref(b);
	}
}

static uint64_t total_docs(void)
{
	static const char *const kinds[] = { "org", "asset", "notification", "incident", "order",
					     "record", "approval", "token", NULL };
	uint64_t total = 0;

	for (int i = 0; kinds[i]; i++) {
		struct store_filter f = { .kind = kinds[i] };
		uint64_t n = 0;

		assert_int_equal(F.hub.st->ops->doc_count(F.hub.st, &f, &n), 0);
		total += n;
	}
	return total;
}

static void refused_requests_change_nothing(void **state)
{
	char big[70 * 1024];
	uint64_t docs = total_docs(), entries = audit_size(F.hub.al);
	const char *dup_org = "{\"id\":\"org-a\",\"name\":\"again\",\"sector\":\"electricity\"}";

	memset(big, ' ', sizeof(big) - 3);
	big[0] = '{';
	big[sizeof(big) - 3] = '}';
	big[sizeof(big) - 2] = '\0';
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL, "{\"id\":", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL, "[1,2]", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL, "\"org\"", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL,
				 "{\"id\":\"x1\",\"id\":\"x2\",\"name\":\"n\",\"sector\":\"gas\"}", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL, "", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL, big, NULL), 413);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL,
				 "{\"id\":7,\"name\":[],\"sector\":\"electricity\"}", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL, dup_org, NULL), 409);
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1/orgs", NULL, "{}", NULL), 400);
	assert_int_equal(send_as(ROLE_CABINET, "DELETE", "/api/v1/orgs", NULL, NULL, NULL), 405);
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/nothing", NULL, "{}", NULL), 404);
	assert_int_equal(send_as(ROLE_OPERATOR, "POST", "/api/v1/orgs", NULL, dup_org, NULL), 403);
	assert_int_equal(send_auth("Bearer skm_nope", "POST", "/api/v1/orgs", dup_org), 401);
	assert_int_equal(send_as(ROLE_SENSOR, "POST", "/api/v1/records", NULL, "{\"not\":\"a record\"}\n", NULL),
			 400);
	assert_int_equal(total_docs(), docs);
	assert_int_equal(audit_size(F.hub.al), entries);
	{
		uint64_t stored = 0;

		assert_int_equal(F.hub.st->ops->audit_count(F.hub.st, &stored), 0);
		assert_int_equal(stored, entries);
	}
}

static void routing_segments(void **state)
{
	char long_id[80];

	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1/orgs/", NULL, NULL, NULL), 404);
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1//orgs", NULL, NULL, NULL), 404);
	assert_int_equal(send_as(ROLE_CABINET, "GET", "api/v1/orgs", NULL, NULL, NULL), 404);
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1/ORGS", NULL, NULL, NULL), 404);
	assert_int_equal(send_as(ROLE_CABINET, "get", "/api/v1/orgs", NULL, NULL, NULL), 405);
	{
		char p[160];

		snprintf(p, sizeof(p), "/api/v1/assets/%s", long_id);
		assert_int_equal(send_as(ROLE_CABINET, "GET", p, NULL, NULL, NULL), 404);
		long_id[64] = '\0'; /* 64 is still an id */
		snprintf(p, sizeof(p), "/api/v1/assets/%s", long_id);
		assert_int_not_equal(send_as(ROLE_CABINET, "GET", p, NULL, NULL, NULL), 403);
	}
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1/assets/a b", NULL, NULL, NULL), 404);
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1/assets/a%2Fb", NULL, NULL, NULL), 404);
	/* the fixed segment wins over {}: overdue is for government only, an incident is not */
	assert_int_equal(send_as(ROLE_OPERATOR, "GET", "/api/v1/incidents/overdue", NULL, NULL, NULL), 403);
	assert_int_equal(hub_body_limit(&F.hub, "POST", "/api/v1/records"), F.hub.cfg.max_records_body);
	assert_int_equal(hub_body_limit(&F.hub, "POST", "/api/v1/orgs"), F.hub.cfg.max_body);
	assert_int_equal(hub_body_limit(&F.hub, "GET", "/api/v1/records"), F.hub.cfg.max_body);
}

/* The entry at index i, parsed. */
static json_t *entry_at(uint64_t i)
{
	char err[128];
	json_t *a = audit_entries_json(F.hub.al, i, i + 1, err, sizeof(err)), *e;

	assert_non_null(a);
	e = json_loads(json_string_value(json_object_get(json_array_get(a, 0), "entry")), 0, NULL);
	json_decref(a);
	assert_non_null(e);
	return e;
}

static void writes_and_audited_reads_are_logged(void **state)
{
	uint64_t before = audit_size(F.hub.al);
	json_t *b = NULL, *e;

	/* a write: one entry, named in the response */
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL,
				 "{\"id\":\"org-logged\",\"name\":\"L\",\"sector\":\"gas\"}", &b), 201);
	assert_int_equal(audit_size(F.hub.al), before + 1);
	assert_int_equal(json_integer_value(json_object_get(b, "audit_index")), before);
	json_decref(b);
	e = entry_at(before);
	assert_string_equal(json_string_value(json_object_get(e, "who")), "test-cabinet");
	assert_string_equal(json_string_value(json_object_get(e, "role")), "cabinet");
	assert_string_equal(json_string_value(json_object_get(e, "action")), "POST /api/v1/orgs");
	json_decref(e);

	/* a plain read: nothing */
	assert_int_equal(send_as(ROLE_CABINET, "GET", "/api/v1/orgs", NULL, NULL, NULL), 200);
	assert_int_equal(audit_size(F.hub.al), before + 1);

	/* a read of selected records: one entry, by the commission */
	assert_int_equal(send_as(ROLE_COMMISSION, "GET", "/api/v1/records", NULL, NULL, NULL), 200);
	assert_int_equal(audit_size(F.hub.al), before + 2);
	e = entry_at(before + 1);
	assert_string_equal(json_string_value(json_object_get(e, "who")), "test-commission");
	assert_string_equal(json_string_value(json_object_get(e, "action")), "GET /api/v1/records");
	json_decref(e);
	{
		uint64_t stored = 0;

		assert_int_equal(F.hub.st->ops->audit_count(F.hub.st, &stored), 0);
		assert_int_equal(stored, before + 2);
	}
}

static void rows_from_another_process_are_loaded(void **state)
{
	struct hub other;
	struct hub_config cfg;
	struct store_token t;
	char err[256], tok[HUB_TOKEN_MAX];
	uint64_t before = audit_size(F.hub.al);

	/* a second handle on the same directory, as the admin CLI opens it */
	hub_config_defaults(&cfg);
	cfg.dir = F.dir;
	assert_int_equal(hub_open(&other, &cfg, err, sizeof(err)), 0);
	assert_int_equal(audit_size(other.al), before);
	memset(&t, 0, sizeof(t));
	snprintf(t.role, sizeof(t.role), "commission");
	snprintf(t.label, sizeof(t.label), "late-commissioner");
	assert_int_equal(hub_token_create(&other, &t, tok, err, sizeof(err)), 0);
	/* labels are unique */
	memset(&t, 0, sizeof(t));
	snprintf(t.role, sizeof(t.role), "cabinet");
	snprintf(t.label, sizeof(t.label), "late-commissioner");
	assert_int_not_equal(hub_token_create(&other, &t, tok, err, sizeof(err)), 0);
	hub_close(&other);

	assert_int_equal(audit_size(F.hub.al), before); /* not yet */
	assert_int_equal(send_as(NO_TOKEN, "GET", "/api/v1/whoami", NULL, NULL, NULL), 200);
	assert_int_equal(audit_size(F.hub.al), before + 1);
	/* and the next write goes after it */
	assert_int_equal(send_as(ROLE_CABINET, "POST", "/api/v1/orgs", NULL,
				 "{\"id\":\"org-after\",\"name\":\"L\",\"sector\":\"gas\"}", NULL), 201);
	assert_int_equal(audit_size(F.hub.al), before + 2);
}

static void token_bindings_are_checked(void **state)
{
	static const struct {
		const char *role, *org, *sectors;
	} bad[] = {
		{ "operator", "", "" },              /* operator without org */
		{ "operator", "org-none", "" },      /* org not registered */
		{ "ministry", "", "" },              /* ministry without sectors */
		{ "ministry", "", "electricity,x" }, /* unknown sector */
		{ "ministry", "", "gas,gas" },       /* repeated */
		{ "ministry", "", "gas," },          /* empty */
		{ "cabinet", "org-a", "" },          /* org on a non-operator */
		{ "sensor", "", "gas" },             /* sectors on a non-ministry */
		{ "admin", "", "" },                 /* no such role */
	};
	uint64_t before = audit_size(F.hub.al), docs = total_docs();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct store_token t;
		char tok[HUB_TOKEN_MAX] = "x", err[256] = "";

		memset(&t, 0, sizeof(t));
		snprintf(t.role, sizeof(t.role), "%s", bad[i].role);
		snprintf(t.org, sizeof(t.org), "%s", bad[i].org);
		snprintf(t.sectors, sizeof(t.sectors), "%s", bad[i].sectors);
		if (hub_token_create(&F.hub, &t, tok, err, sizeof(err)) == 0)
			fail_msg("token %s/%s/%s was accepted", bad[i].role, bad[i].org, bad[i].sectors);
		assert_true(err[0] != '\0');
		assert_string_equal(tok, "");
	}
	assert_int_equal(audit_size(F.hub.al), before);
	assert_int_equal(total_docs(), docs);
	/* a good one looks like skm_ + 43 base64url characters */
	{
		struct store_token t;
		char tok[HUB_TOKEN_MAX], err[256];

		memset(&t, 0, sizeof(t));
		snprintf(t.role, sizeof(t.role), "vendor");
		assert_int_equal(hub_token_create(&F.hub, &t, tok, err, sizeof(err)), 0);
		assert_int_equal(strlen(tok), 47);
		assert_memory_equal(tok, "skm_", 4);
		assert_int_equal(strspn(tok + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
		assert_int_equal(audit_size(F.hub.al), before + 1);
	}
}

static void sectors_and_roles(void **state)
{
	struct hub_principal p;
	enum hub_role r;

	assert_string_equal(hub_sectors[0], "electricity");
	assert_string_equal(hub_sectors[HUB_NSECTORS - 1], "port");
	assert_true(hub_sector_valid("credit_card"));
	assert_false(hub_sector_valid("Electricity"));
	assert_false(hub_sector_valid(""));
	for (int i = 0; i < ROLE_COUNT; i++) {
		assert_int_equal(hub_role_parse(hub_role_name((enum hub_role)i), &r), 0);
		assert_int_equal(r, i);
	}
	assert_int_equal(hub_role_parse("root", &r), -1);
	memset(&p, 0, sizeof(p));
	p.role = ROLE_MINISTRY;
	snprintf(p.sectors, sizeof(p.sectors), "gas,electricity");
	assert_true(hub_principal_has_sector(&p, "electricity"));
	assert_true(hub_principal_has_sector(&p, "gas"));
	assert_false(hub_principal_has_sector(&p, "electric"));
	assert_false(hub_principal_has_sector(&p, "gas,electricity"));
	p.role = ROLE_CABINET;
	assert_false(hub_principal_has_sector(&p, "gas"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sectors_and_roles),
		cmocka_unit_test(table_is_the_law),
		cmocka_unit_test(every_role_against_every_route),
		cmocka_unit_test(operators_never_read_records),
		cmocka_unit_test(sensor_reads_only_whoami_and_key),
		cmocka_unit_test(public_posts_nothing),
		cmocka_unit_test(only_commission_reads_audit_entries),
		cmocka_unit_test(bad_credentials_are_401_alike),
		cmocka_unit_test(refused_requests_change_nothing),
		cmocka_unit_test(routing_segments),
		cmocka_unit_test(writes_and_audited_reads_are_logged),
		cmocka_unit_test(rows_from_another_process_are_loaded),
		cmocka_unit_test(token_bindings_are_checked),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * test_hub_domain.c — the hub's domain handlers through hub_handle_as (routing, role check,
 * transaction and audit entry as in production, principals given directly instead of tokens).
 *
 * Every test opens a fresh hub in a temporary directory with three organisations:
 *   elec-a, elec-c  (sector electricity)   gas-b  (sector gas)
 * and principals: operators of each, a ministry for electricity and one for gas and water, the
 * Cabinet Office, the commission and a sensor. What is covered: operator isolation (org A never
 * sees org B, even in the same sector), ministry sector isolation, the Cabinet Office seeing
 * asset notifications only once forwarded, the state machines (forward, written report,
 * corrective orders), deadlines (late prompt reports, overdue written reports, a configured
 * short deadline, orders past their deadline), validation of CPE, purl and indicators, and
 * the records: a bad line stores nothing, reads are audited, retention deletes expired records
 * with an audit entry naming them, and an approval's extension keeps its records.
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
#include <sodium.h>

#include "common/timefmt.h"
#include "hub/hub.h"

static struct {
	char dir[256];
	struct hub hub;
} F;

#define P(r, i, o, s) { .role = (r), .id = (i), .org = (o), .sectors = (s) }
static const struct hub_principal op_a = P(ROLE_OPERATOR, "op-a", "elec-a", "");
static const struct hub_principal op_b = P(ROLE_OPERATOR, "op-b", "gas-b", "");
static const struct hub_principal op_c = P(ROLE_OPERATOR, "op-c", "elec-c", "");
static const struct hub_principal op_none = P(ROLE_OPERATOR, "op-x", "not-registered", "");
static const struct hub_principal min_e = P(ROLE_MINISTRY, "meti", "", "electricity");
static const struct hub_principal min_g = P(ROLE_MINISTRY, "meti-gas", "", "gas,water");
static const struct hub_principal min_none = P(ROLE_MINISTRY, "nobody", "", "");
static const struct hub_principal cab = P(ROLE_CABINET, "nisc", "", "");
static const struct hub_principal com = P(ROLE_COMMISSION, "commission", "", "");
static const struct hub_principal sensor = P(ROLE_SENSOR, "sensor-1", "", "");

/* Three lines as `sakimori sensor -o` writes them (from the demo's records.jsonl). */
#define REC_T                                                                                              \
	"{\"ts_first\":\"2026-10-01T00:00:07.202312Z\",\"ts_last\":\"2026-10-01T00:00:07.307958Z\","     \
	"\"selectors\":[\"py-bots\"],\"approvals\":[\"T-2026-0031\"],\"channel\":\"transit\","             \
	"\"direction\":\"foreign-foreign\",\"proto\":\"tcp\",\"src_ip\":\"98.98.160.1\",\"src_port\":35105," \
	"\"dst_ip\":\"86.38.234.73\",\"dst_port\":80,\"src_cc\":\"US\",\"dst_cc\":\"US\",\"src_asn\":21859,"  \
	"\"dst_asn\":210906,\"packets\":7,\"bytes\":2726,\"http\":[{\"method\":\"GET\","                     \
	"\"host\":\"cdn.travelnow.de\",\"uri\":\"/index.html\",\"user_agent\":\"python-requests/2.32.3\"}]}"
#define REC_S                                                                                              \
	"{\"ts_first\":\"2026-10-01T00:00:09.178043Z\",\"ts_last\":\"2026-10-01T00:00:09.551818Z\","     \
	"\"selectors\":[\"c2-tls\"],\"approvals\":[\"S-2026-0007\"],\"channel\":\"specific\","             \
	"\"direction\":\"domestic-foreign\",\"proto\":\"tcp\",\"src_ip\":\"99.77.62.40\",\"src_port\":61719," \
	"\"dst_ip\":\"103.148.195.26\",\"dst_port\":443,\"src_cc\":\"JP\",\"dst_cc\":\"ID\","               \
	"\"src_asn\":16509,\"dst_asn\":139996,\"packets\":14,\"bytes\":1964,\"tls\":{\"sni\":null,"          \
	"\"alpn\":null,\"version\":\"TLSv1.2\",\"ja3\":\"6f11d4ab8e4387985768e35774d504d3\","                \
	"\"ja4\":\"t12i210400_83141bba7c43_447e3f9f4fbb\"}}"
#define REC_A                                                                                              \
	"{\"ts_first\":\"2026-10-01T00:00:15.396567Z\",\"ts_last\":\"2026-10-01T00:00:15.597320Z\","     \
	"\"selectors\":[\"scan\"],\"approvals\":[\"A-2026-0001\"],\"channel\":\"agreement\","              \
	"\"direction\":\"foreign-domestic\",\"proto\":\"udp\",\"src_ip\":\"220.149.16.147\","              \
	"\"src_port\":60132,\"dst_ip\":\"133.1.1.1\",\"dst_port\":53,\"src_cc\":\"KR\",\"dst_cc\":\"JP\","  \
	"\"src_asn\":0,\"dst_asn\":4713,\"packets\":1,\"bytes\":74}"

/* ---- requests -------------------------------------------------------------------------- */

/* One request as who; returns the status and, if out, the body (the caller frees). */
static int req(const struct hub_principal *who, const char *method, const char *path, const char *const *query,
	       const char *body, json_t **out)
{
	struct hub_resp resp;

	hub_handle_as(&F.hub, who, method, path, query, (const uint8_t *)body, body ? strlen(body) : 0, &resp);
	assert_non_null(resp.body);
	if (resp.status >= 400) {
		assert_non_null(json_string_value(json_object_get(resp.body, "error")));
		if (getenv("TEST_VERBOSE"))
			fprintf(stderr, "%s %s -> %d %s\n", method, path, resp.status,
				json_string_value(json_object_get(resp.body, "error")));
	}
	if (out)
		*out = resp.body;
	else
		json_decref(resp.body);
	return resp.status;
}

/* The error line of a failed request, for assertions on the reason. */
static int req_err(const struct hub_principal *who, const char *method, const char *path, const char *body,
		   char *err, size_t errlen)
{
	json_t *b;
	int st = req(who, method, path, NULL, body, &b);

	snprintf(err, errlen, "%s", st >= 400 ? json_string_value(json_object_get(b, "error")) : "");
	json_decref(b);
	return st;
}

static const char *t3339(int64_t t)
{
	static char buf[8][TF_RFC3339_LEN];
	static unsigned i;
	char *b = buf[i++ % 8];

	assert_int_equal(tf_format_rfc3339(t, b), 0);
	return b;
}

static int64_t jid(const json_t *o, const char *key)
{
	const json_t *x = key ? json_object_get(o, key) : o;
	return (int64_t)json_integer_value(json_object_get(x, "id"));
}

/* Number of items in GET path's array `name`. */
static size_t count_of(const struct hub_principal *who, const char *path, const char *const *query, const char *name)
{
	json_t *b;
	size_t n;

	assert_int_equal(req(who, "GET", path, query, NULL, &b), 200);
	n = json_array_size(json_object_get(b, name));
	json_decref(b);
	return n;
}

static uint64_t docs(const char *kind)
{
	struct store_filter f = { .kind = kind };
	uint64_t n = 0;

	assert_int_equal(F.hub.st->ops->doc_count(F.hub.st, &f, &n), 0);
	return n;
}

static int64_t new_asset(const struct hub_principal *who, const char *extra, int64_t *notif)
{
	char body[1024];
	json_t *b;
	int64_t id;

	snprintf(body, sizeof(body),
		 "{\"product\":\"SCADA Server\",\"vendor\":\"Example Corp\",\"version\":\"4.2\","
		 "\"facility\":\"substation control\"%s%s}",
		 extra ? "," : "", extra ? extra : "");
	assert_int_equal(req(who, "POST", "/api/v1/assets", NULL, body, &b), 201);
	id = jid(b, "asset");
	if (notif)
		*notif = jid(b, "notification");
	json_decref(b);
	return id;
}

static int asset_status(const char *extra)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"product\":\"PLC\",\"vendor\":\"Example\",\"version\":\"1\",\"facility\":\"pump\",%s}", extra);
	return req(&op_a, "POST", "/api/v1/assets", NULL, body, NULL);
}

static int64_t new_incident(const struct hub_principal *who, int64_t aware_ago, json_t **out)
{
	char body[1024];
	json_t *b;
	int64_t id;

	snprintf(body, sizeof(body),
		 "{\"type\":\"ransomware\",\"status\":\"occurred\",\"aware_at\":\"%s\","
		 "\"summary\":\"file server encrypted\",\"ransomware\":{\"ransom_note\":\"pay us\\nor else\","
		 "\"encrypted_extension\":\".locked\",\"family\":\"LockBit 3.0\",\"intrusion_vector\":\"VPN appliance\"}}",
		 t3339(time(NULL) - aware_ago));
	assert_int_equal(req(who, "POST", "/api/v1/incidents", NULL, body, &b), 201);
	id = jid(b, NULL);
	if (out)
		*out = b;
	else
		json_decref(b);
	return id;
}

/* ---- fixture --------------------------------------------------------------------------- */

static int setup(void **state)
{
	static const char *const orgs[] = {
		"{\"id\":\"elec-a\",\"name\":\"A Electric\",\"sector\":\"electricity\"}",
		"{\"id\":\"gas-b\",\"name\":\"B Gas\",\"sector\":\"gas\"}",
		"{\"id\":\"elec-c\",\"name\":\"C Power\",\"sector\":\"electricity\"}",
	};
	const char *tmp = getenv("TMPDIR");
	struct hub_config cfg;
	char err[256];

	snprintf(F.dir, sizeof(F.dir), "%s/sk-hubdom-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(F.dir))
		return -1;
	hub_config_defaults(&cfg);
	cfg.dir = F.dir;
	if (hub_open(&F.hub, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "hub_open: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < 3; i++)
		if (req(&cab, "POST", "/api/v1/orgs", NULL, orgs[i], NULL) != 201)
			return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	hub_close(&F.hub);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", F.dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* ---- organisations --------------------------------------------------------------------- */

static void orgs_create_and_scope(void **state)
{
	char err[256];
	json_t *b;

	assert_int_equal(req(&cab, "POST", "/api/v1/orgs", NULL,
			     "{\"id\":\"elec-a\",\"name\":\"again\",\"sector\":\"electricity\"}", NULL), 409);
	assert_int_equal(req_err(&min_e, "POST", "/api/v1/orgs", "{\"id\":\"gas-z\",\"name\":\"Z\",\"sector\":\"gas\"}",
				 err, sizeof(err)), 403);
	assert_non_null(strstr(err, "gas"));
	assert_int_equal(req(&min_e, "POST", "/api/v1/orgs", NULL,
			     "{\"id\":\"elec-d\",\"name\":\"D\",\"sector\":\"electricity\"}", NULL), 201);
	assert_int_equal(req(&cab, "POST", "/api/v1/orgs", NULL, "{\"id\":\"Bad_Slug\",\"name\":\"x\",\"sector\":\"gas\"}",
			     NULL), 400);
	assert_int_equal(req(&cab, "POST", "/api/v1/orgs", NULL, "{\"id\":\"ok\",\"name\":\"x\",\"sector\":\"mining\"}",
			     NULL), 400);
	assert_int_equal(req(&cab, "POST", "/api/v1/orgs", NULL,
			     "{\"id\":\"ok\",\"name\":\"x\",\"sector\":\"gas\",\"extra\":1}", NULL), 400);
	assert_int_equal(docs("org"), 4);

	assert_int_equal(count_of(&cab, "/api/v1/orgs", NULL, "orgs"), 4);
	assert_int_equal(count_of(&com, "/api/v1/orgs", NULL, "orgs"), 4);
	assert_int_equal(count_of(&min_e, "/api/v1/orgs", NULL, "orgs"), 3);
	assert_int_equal(count_of(&min_g, "/api/v1/orgs", NULL, "orgs"), 1);
	assert_int_equal(count_of(&min_none, "/api/v1/orgs", NULL, "orgs"), 0);
	assert_int_equal(req(&op_b, "GET", "/api/v1/orgs", NULL, NULL, &b), 200);
	assert_int_equal(json_array_size(json_object_get(b, "orgs")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(b, "orgs"), 0), "id")),
			    "gas-b");
	json_decref(b);
}

/* ---- assets and notifications ---------------------------------------------------------- */

static void assets_operator_isolation(void **state)
{
	char path[128];
	int64_t a = new_asset(&op_a, "\"cpe\":\"cpe:2.3:a:example:scada_server:4.2:*:*:*:*:*:*:*\"", NULL);
	int64_t b = new_asset(&op_b, NULL, NULL);

	assert_true(a > 0 && b > 0);
	assert_int_equal(count_of(&op_a, "/api/v1/assets", NULL, "assets"), 1);
	assert_int_equal(count_of(&op_b, "/api/v1/assets", NULL, "assets"), 1);
	assert_int_equal(count_of(&op_c, "/api/v1/assets", NULL, "assets"), 0); /* same sector, other org */
	assert_int_equal(count_of(&op_b, "/api/v1/notifications", NULL, "notifications"), 1);
	assert_int_equal(count_of(&op_c, "/api/v1/notifications", NULL, "notifications"), 0);

	snprintf(path, sizeof(path), "/api/v1/assets/%lld", (long long)a);
	assert_int_equal(req(&op_a, "GET", path, NULL, NULL, NULL), 200);
	assert_int_equal(req(&op_b, "GET", path, NULL, NULL, NULL), 404);
	assert_int_equal(req(&op_c, "GET", path, NULL, NULL, NULL), 404);
	assert_int_equal(req(&op_a, "GET", "/api/v1/assets/999999", NULL, NULL, NULL), 404);

	snprintf(path, sizeof(path), "/api/v1/assets/%lld/changes", (long long)a);
	assert_int_equal(req(&op_b, "POST", path, NULL, "{\"changes\":{\"version\":\"5\"},\"reason\":\"x\"}", NULL),
			 404);
	assert_int_equal(docs("notification"), 2);

	/* an operator whose organisation is not registered cannot notify */
	assert_int_equal(req(&op_none, "POST", "/api/v1/assets", NULL,
			     "{\"product\":\"p\",\"vendor\":\"v\",\"version\":\"1\",\"facility\":\"f\"}", NULL), 409);
	/* unknown key, missing field, wrong type */
	assert_int_equal(asset_status("\"colour\":\"red\""), 400);
	assert_int_equal(req(&op_a, "POST", "/api/v1/assets", NULL, "{\"product\":\"p\",\"vendor\":\"v\",\"version\":\"1\"}",
			     NULL), 400);
	assert_int_equal(asset_status("\"model\":7"), 400);
	assert_int_equal(asset_status("\"introduced_at\":\"yesterday\""), 400);
	assert_int_equal(docs("asset"), 2);
}

static void assets_ministry_and_cabinet(void **state)
{
	char path[128], fwd[128];
	int64_t na, nb, nc;
	int64_t a = new_asset(&op_a, NULL, &na);
	int64_t b = new_asset(&op_b, NULL, &nb);
	json_t *body;

	(void)b;
	/* ministries: own sectors only */
	assert_int_equal(count_of(&min_e, "/api/v1/assets", NULL, "assets"), 1);
	assert_int_equal(count_of(&min_g, "/api/v1/assets", NULL, "assets"), 1);
	assert_int_equal(count_of(&min_none, "/api/v1/assets", NULL, "assets"), 0);
	assert_int_equal(count_of(&min_e, "/api/v1/notifications", NULL, "notifications"), 1);
	snprintf(path, sizeof(path), "/api/v1/assets/%lld", (long long)a);
	assert_int_equal(req(&min_e, "GET", path, NULL, NULL, NULL), 200);
	assert_int_equal(req(&min_g, "GET", path, NULL, NULL, NULL), 404);

	/* the Cabinet Office sees nothing before the ministry forwards */
	assert_int_equal(count_of(&cab, "/api/v1/notifications", NULL, "notifications"), 0);
	assert_int_equal(count_of(&cab, "/api/v1/assets", NULL, "assets"), 0);
	assert_int_equal(req(&cab, "GET", path, NULL, NULL, NULL), 404);

	snprintf(fwd, sizeof(fwd), "/api/v1/notifications/%lld/forward", (long long)na);
	assert_int_equal(req(&min_g, "POST", fwd, NULL, "{}", NULL), 404); /* other sector */
	assert_int_equal(req(&min_e, "POST", fwd, NULL, "{\"note\":\"routine\",\"x\":1}", NULL), 400);
	assert_int_equal(req(&min_e, "POST", fwd, NULL, "{\"note\":\"routine\"}", &body), 200);
	assert_string_equal(json_string_value(json_object_get(body, "state")), "forwarded");
	assert_string_equal(json_string_value(json_object_get(body, "forwarded_by")), "meti");
	assert_true(json_is_string(json_object_get(body, "forwarded_at")));
	json_decref(body);
	assert_int_equal(req(&min_e, "POST", fwd, NULL, "{}", NULL), 409); /* twice */

	assert_int_equal(count_of(&cab, "/api/v1/notifications", NULL, "notifications"), 1);
	assert_int_equal(count_of(&cab, "/api/v1/assets", NULL, "assets"), 1);
	assert_int_equal(req(&cab, "GET", path, NULL, NULL, NULL), 200);
	snprintf(fwd, sizeof(fwd), "/api/v1/assets/%lld", (long long)b);
	assert_int_equal(req(&cab, "GET", fwd, NULL, NULL, NULL), 404); /* gas: not forwarded */
	{
		const char *const q[] = { "state", "notified", NULL };
		assert_int_equal(count_of(&cab, "/api/v1/notifications", q, "notifications"), 0);
		assert_int_equal(count_of(&min_e, "/api/v1/notifications", q, "notifications"), 0);
	}
	{
		const char *const q[] = { "state", "bogus", NULL };
		assert_int_equal(req(&min_e, "GET", "/api/v1/notifications", q, NULL, NULL), 400);
	}

	/* a change makes a new notification, which the Cabinet Office sees only once forwarded */
	snprintf(fwd, sizeof(fwd), "/api/v1/assets/%lld/changes", (long long)a);
	assert_int_equal(req(&op_a, "POST", fwd, NULL,
			     "{\"changes\":{\"version\":\"4.3\",\"purl\":\"pkg:generic/scada-server@4.3\"},"
			     "\"reason\":\"vendor patch\",\"effective_at\":\"2026-11-01T00:00:00Z\"}",
			     &body), 201);
	nc = jid(body, "notification");
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "notification"), "type")), "change");
	{
		json_t *asset = json_object_get(body, "asset"), *h = json_object_get(asset, "history");
		assert_string_equal(json_string_value(json_object_get(asset, "version")), "4.3");
		assert_int_equal(json_array_size(h), 1);
		json_t *ch = json_object_get(json_object_get(json_array_get(h, 0), "changes"), "version");
		assert_string_equal(json_string_value(json_object_get(ch, "from")), "4.2");
		assert_string_equal(json_string_value(json_object_get(ch, "to")), "4.3");
	}
	json_decref(body);
	assert_int_equal(count_of(&cab, "/api/v1/notifications", NULL, "notifications"), 1);
	assert_int_equal(count_of(&min_e, "/api/v1/notifications", NULL, "notifications"), 2);
	assert_true(nc > na);

	/* bad changes: unknown key, invalid cpe, nothing */
	assert_int_equal(req(&op_a, "POST", fwd, NULL, "{\"changes\":{\"owner\":\"x\"},\"reason\":\"r\"}", NULL), 400);
	assert_int_equal(req(&op_a, "POST", fwd, NULL, "{\"changes\":{\"cpe\":\"cpe:2.3:z\"},\"reason\":\"r\"}", NULL),
			 400);
	assert_int_equal(req(&op_a, "POST", fwd, NULL, "{\"changes\":{},\"reason\":\"r\"}", NULL), 400);
	assert_int_equal(req(&op_a, "POST", fwd, NULL, "{\"changes\":{\"version\":\"5\"}}", NULL), 400);

	/* retire, then no more changes */
	assert_int_equal(req(&op_a, "POST", fwd, NULL, "{\"retire\":true,\"reason\":\"decommissioned\"}", &body), 201);
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "asset"), "state")), "retired");
	assert_string_equal(json_string_value(json_object_get(json_object_get(body, "notification"), "type")), "retire");
	json_decref(body);
	assert_int_equal(req(&op_a, "POST", fwd, NULL, "{\"changes\":{\"version\":\"5\"},\"reason\":\"r\"}", NULL), 409);
	assert_int_equal(docs("notification"), 4);
}

static void cpe_and_purl_validation(void **state)
{
	static const char *const good_cpe[] = {
		"cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
		"cpe:2.3:o:cisco:ios:15.2\\\\(4\\\\)m:*:*:*:*:*:*:*", /* escaped parentheses */
		"cpe:2.3:h:siemens:simatic_s7-1500:-:*:*:*:*:*:*:*",
		"cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*",
		"cpe:2.3:a:foo\\\\:bar:baz:1.0:*:*:en-us:*:*:*:*", /* escaped colon, language tag */
		"cpe:2.3:a:vendor:product:1.*:*:*:*:*:*:*:*",
	};
	static const char *const bad_cpe[] = {
		"cpe:/a:microsoft:internet_explorer:8.0.6001:beta", /* CPE 2.2 URI */
		"cpe:2.3:x:microsoft:ie:8:*:*:*:*:*:*:*",            /* part */
		"cpe:2.3:a:microsoft:ie:8:*:*:*:*:*:*",               /* 10 components */
		"cpe:2.3:a:microsoft:ie:8:*:*:*:*:*:*:*:*",           /* 12 */
		"cpe:2.3:a:micro soft:ie:8:*:*:*:*:*:*:*",            /* space */
		"cpe:2.3:a:cisco:ios:15.2(4)m:*:*:*:*:*:*:*",         /* unescaped parenthesis */
		"cpe:2.3:a::ie:8:*:*:*:*:*:*:*",                      /* empty component */
		"cpe:2.3:a:ms:ie:8:*:*:english:*:*:*:*",              /* language */
		"cpe:2.3:a:ms:ie:8*1:*:*:*:*:*:*:*",                  /* '*' inside */
	};
	static const char *const good_purl[] = {
		"pkg:npm/%40angular/animation@12.3.1",
		"pkg:maven/org.apache.xmlgraphics/batik-anim@1.9.1?packaging=sources",
		"pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
		"pkg:github/package-url/purl-spec@244fd47e07d1004f0aed9c#everybody/loves/dogs",
		"pkg:generic/openssl@1.1.10g",
		"pkg:pypi/django@1.11.1",
		"pkg:docker/cassandra@sha256:244fd47e07d1004f0aed9c",
	};
	static const char *const bad_purl[] = {
		"npm/foo@1",            /* no scheme */
		"pkg:foo",              /* no type/name */
		"pkg:1npm/foo@1",       /* type starts with a digit */
		"pkg:np_m/foo@1",       /* '_' in type */
		"pkg:npm/",             /* no name */
		"pkg:npm/foo@",         /* empty version */
		"pkg:npm/fo o@1",       /* space */
		"pkg:npm/foo@1?arch",   /* qualifier without value */
		"pkg:npm/foo@1?a=1&a=2", /* duplicate qualifier */
		"pkg:npm/foo#../etc",   /* subpath with .. */
		"pkg:npm/%zzfoo@1",     /* bad percent-encoding */
	};
	char extra[512], err[256];

	for (size_t i = 0; i < sizeof(good_cpe) / sizeof(*good_cpe); i++) {
		snprintf(extra, sizeof(extra), "\"cpe\":\"%s\"", good_cpe[i]);
		if (asset_status(extra) != 201)
			fail_msg("good CPE refused: %s", good_cpe[i]);
	}
	for (size_t i = 0; i < sizeof(bad_cpe) / sizeof(*bad_cpe); i++) {
		snprintf(extra, sizeof(extra), "\"cpe\":\"%s\"", bad_cpe[i]);
		if (asset_status(extra) != 400)
			fail_msg("bad CPE accepted: %s", bad_cpe[i]);
	}
	for (size_t i = 0; i < sizeof(good_purl) / sizeof(*good_purl); i++) {
		snprintf(extra, sizeof(extra), "\"purl\":\"%s\"", good_purl[i]);
		if (asset_status(extra) != 201)
			fail_msg("good purl refused: %s", good_purl[i]);
	}
	for (size_t i = 0; i < sizeof(bad_purl) / sizeof(*bad_purl); i++) {
		snprintf(extra, sizeof(extra), "\"purl\":\"%s\"", bad_purl[i]);
		if (asset_status(extra) != 400)
			fail_msg("bad purl accepted: %s", bad_purl[i]);
	}
	assert_int_equal(docs("asset"), sizeof(good_cpe) / sizeof(*good_cpe) + sizeof(good_purl) / sizeof(*good_purl));
	assert_int_equal(req_err(&op_a, "POST", "/api/v1/assets",
				 "{\"product\":\"p\",\"vendor\":\"v\",\"version\":\"1\",\"facility\":\"f\","
				 "\"cpe\":\"cpe:2.3:a:ms:ie:8:*:*:english:*:*:*:*\"}",
				 err, sizeof(err)), 400);
	assert_non_null(strstr(err, "language"));
}

/* ---- incidents ------------------------------------------------------------------------- */

static void incidents_reach_ministry_and_cabinet_at_once(void **state)
{
	char path[128];
	json_t *b;
	int64_t id = new_incident(&op_a, 3600, &b);

	assert_string_equal(json_string_value(json_object_get(b, "state")), "prompt_reported");
	assert_false(json_is_true(json_object_get(b, "prompt_late")));
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "notified"), 0)), "ministry:electricity");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "notified"), 1)), "cabinet");
	json_decref(b);

	snprintf(path, sizeof(path), "/api/v1/incidents/%lld", (long long)id);
	assert_int_equal(req(&min_e, "GET", path, NULL, NULL, NULL), 200);
	assert_int_equal(req(&cab, "GET", path, NULL, NULL, NULL), 200);
	assert_int_equal(req(&op_a, "GET", path, NULL, NULL, NULL), 200);
	assert_int_equal(req(&min_g, "GET", path, NULL, NULL, NULL), 404);
	assert_int_equal(req(&op_b, "GET", path, NULL, NULL, NULL), 404);
	assert_int_equal(req(&op_c, "GET", path, NULL, NULL, NULL), 404);
	assert_int_equal(count_of(&cab, "/api/v1/incidents", NULL, "incidents"), 1);
	assert_int_equal(count_of(&min_e, "/api/v1/incidents", NULL, "incidents"), 1);
	assert_int_equal(count_of(&min_g, "/api/v1/incidents", NULL, "incidents"), 0);
	assert_int_equal(count_of(&op_b, "/api/v1/incidents", NULL, "incidents"), 0);
	assert_int_equal(count_of(&op_c, "/api/v1/incidents", NULL, "incidents"), 0);

	/* the written report: others cannot file it; twice is a conflict */
	snprintf(path, sizeof(path), "/api/v1/incidents/%lld/written", (long long)id);
	const char *w = "{\"summary\":\"s\",\"cause\":\"unpatched VPN\",\"impact\":\"3 servers\",\"measures\":\"patched\","
			"\"iocs\":{\"sha256\":[\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"]}}";
	assert_int_equal(req(&op_b, "POST", path, NULL, w, NULL), 404);
	assert_int_equal(req(&op_a, "POST", path, NULL, "{\"summary\":\"s\"}", NULL), 400);
	assert_int_equal(req(&op_a, "POST", path, NULL, w, &b), 200);
	assert_string_equal(json_string_value(json_object_get(b, "state")), "written_reported");
	assert_true(json_is_null(json_object_get(b, "due")));
	assert_false(json_is_true(json_object_get(b, "written_late")));
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(json_object_get(b, "written"), "iocs"), "sha256"), 0)),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	json_decref(b);
	assert_int_equal(req(&op_a, "POST", path, NULL, w, NULL), 409);
}

static void incident_forms_validated(void **state)
{
	char body[1024];
	const char *aware = t3339(time(NULL) - 60);

	snprintf(body, sizeof(body), "{\"type\":\"ddos\",\"status\":\"occurred\",\"aware_at\":\"%s\",\"summary\":\"s\"}",
		 aware);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400); /* ddos form missing */
	snprintf(body, sizeof(body),
		 "{\"type\":\"ddos\",\"status\":\"occurred\",\"aware_at\":\"%s\",\"summary\":\"s\","
		 "\"ddos\":{\"target\":\"www.example.jp\",\"start\":\"%s\",\"peak_bps\":12000000000,"
		 "\"peak_pps\":3.5e6,\"vectors\":[\"udp-reflection\",\"syn-flood\"]}}",
		 aware, aware);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 201);
	snprintf(body, sizeof(body),
		 "{\"type\":\"ddos\",\"status\":\"occurred\",\"aware_at\":\"%s\",\"summary\":\"s\","
		 "\"ddos\":{\"target\":\"t\",\"start\":\"%s\",\"peak_bps\":-1}}",
		 aware, aware);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400);
	snprintf(body, sizeof(body),
		 "{\"type\":\"other\",\"status\":\"occurred\",\"aware_at\":\"%s\",\"summary\":\"s\","
		 "\"ransomware\":{\"ransom_note\":\"n\",\"encrypted_extension\":\".x\",\"family\":\"f\","
		 "\"intrusion_vector\":\"v\"}}",
		 aware);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400); /* form of another type */
	snprintf(body, sizeof(body), "{\"type\":\"ransomware\",\"status\":\"occurred\",\"aware_at\":\"%s\","
				     "\"summary\":\"s\",\"ransomware\":{\"ransom_note\":\"n\"}}", aware);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400); /* incomplete */
	snprintf(body, sizeof(body), "{\"type\":\"other\",\"status\":\"maybe\",\"aware_at\":\"%s\",\"summary\":\"s\"}",
		 aware);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400);
	snprintf(body, sizeof(body), "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"%s\",\"summary\":\"s\"}",
		 t3339(time(NULL) + 3600));
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400); /* future */
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL,
			     "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"2026-02-30T00:00:00Z\","
			     "\"summary\":\"s\"}", NULL), 400);

	/* affected assets must be the reporter's own */
	int64_t mine = new_asset(&op_a, NULL, NULL), theirs = new_asset(&op_c, NULL, NULL);
	snprintf(body, sizeof(body), "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"%s\",\"summary\":\"s\","
				     "\"affected_assets\":[%lld]}", aware, (long long)theirs);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 400);
	snprintf(body, sizeof(body), "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"%s\",\"summary\":\"s\","
				     "\"affected_assets\":[%lld]}", aware, (long long)mine);
	assert_int_equal(req(&op_a, "POST", "/api/v1/incidents", NULL, body, NULL), 201);
	assert_int_equal(docs("incident"), 2);
}

static int ioc_status(const char *iocs, json_t **out)
{
	char body[2048];

	snprintf(body, sizeof(body), "{\"type\":\"other\",\"status\":\"suspected\",\"aware_at\":\"%s\","
				     "\"summary\":\"s\",\"iocs\":%s}", t3339(time(NULL) - 10), iocs);
	return req(&op_a, "POST", "/api/v1/incidents", NULL, body, out);
}

static void iocs_validated_and_normalised(void **state)
{
	static const char *const bad[] = {
		"{\"ipv4\":[\"256.1.1.1\"]}",
		"{\"ipv4\":[\"1.2.3\"]}",
		"{\"ipv4\":[\"2001:db8::1\"]}",
		"{\"ipv6\":[\"2001:db8:::1\"]}",
		"{\"ipv6\":[\"203.0.113.1\"]}",
		"{\"domains\":[\"-bad.example\"]}",
		"{\"domains\":[\"localhost\"]}",
		"{\"domains\":[\"exa mple.com\"]}",
		"{\"domains\":[\"evil[.]example\"]}",
		"{\"domains\":[\"a..example\"]}",
		"{\"urls\":[\"hxxp://evil.example/\"]}",
		"{\"urls\":[\"http://evil[.]example/\"]}",
		"{\"urls\":[\"evil.example/path\"]}",
		"{\"urls\":[\"http://evil.example:99999/\"]}",
		"{\"urls\":[\"http:// evil.example/\"]}",
		"{\"sha256\":[\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85\"]}",
		"{\"sha1\":[\"da39a3ee5e6b4b0d3255bfef95601890afd8070g\"]}",
		"{\"md5\":[\"d41d8cd98f00b204e9800998ecf8427e00\"]}",
		"{\"emails\":[\"no-at.example.com\"]}",
		"{\"emails\":[\"a@b@example.com\"]}",
		"{\"hashes\":[]}",
		"{\"ipv4\":\"203.0.113.5\"}",
		"{\"ipv4\":[5]}",
		"[]",
	};
	json_t *b, *io;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (ioc_status(bad[i], NULL) != 400)
			fail_msg("bad indicator accepted: %s", bad[i]);
	assert_int_equal(docs("incident"), 0);

	assert_int_equal(ioc_status("{\"ipv4\":[\"203.0.113.5\"],\"ipv6\":[\"2001:DB8:0:0::1\"],"
				    "\"domains\":[\"Evil.Example.COM\",\"c2.example.net.\",\"xn--bcher-kva.example\"],"
				    "\"urls\":[\"http://198.51.100.7:8080/gate.php?id=1\",\"https://[2001:db8::2]/p\","
				    "\"https://cdn.evil.example/a.js\"],"
				    "\"sha256\":[\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"],"
				    "\"sha1\":[\"da39a3ee5e6b4b0d3255bfef95601890afd80709\"],"
				    "\"md5\":[\"d41d8cd98f00b204e9800998ecf8427e\"],"
				    "\"emails\":[\"Attacker@Example.ORG\"]}",
				    &b), 201);
	io = json_object_get(b, "iocs");
	assert_string_equal(json_string_value(json_array_get(json_object_get(io, "ipv6"), 0)), "2001:db8::1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(io, "domains"), 0)), "evil.example.com");
	assert_string_equal(json_string_value(json_array_get(json_object_get(io, "domains"), 1)), "c2.example.net");
	assert_string_equal(json_string_value(json_array_get(json_object_get(io, "sha256"), 0)),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(json_string_value(json_array_get(json_object_get(io, "emails"), 0)), "Attacker@example.org");
	assert_int_equal(json_array_size(json_object_get(io, "urls")), 3);
	json_decref(b);
	assert_int_equal(docs("incident"), 1);
}

/* The overdue list as who: items whose kind, id and reason match; *late gets late_s. */
static int overdue_has(const struct hub_principal *who, const char *kind, int64_t id, const char *reason,
		       int64_t *late)
{
	json_t *b, *it;
	size_t i;
	int found = 0;

	assert_int_equal(req(who, "GET", "/api/v1/incidents/overdue", NULL, NULL, &b), 200);
	json_array_foreach(json_object_get(b, "items"), i, it) {
		if (!strcmp(json_string_value(json_object_get(it, "kind")), kind) &&
		    json_integer_value(json_object_get(it, "id")) == id &&
		    !strcmp(json_string_value(json_object_get(it, "reason")), reason)) {
			found = 1;
			if (late)
				*late = (int64_t)json_integer_value(json_object_get(it, "late_s"));
		}
	}
	json_decref(b);
	return found;
}

static void deadlines(void **state)
{
	json_t *b;
	int64_t late = 0;

	/* on time */
	int64_t ok = new_incident(&op_a, 3600, NULL);
	assert_false(overdue_has(&cab, "incident", ok, "prompt report late", NULL));
	assert_false(overdue_has(&cab, "incident", ok, "written report overdue", NULL));

	/* aware 25 h ago: the prompt report is an hour late */
	int64_t p = new_incident(&op_a, 25 * 3600, &b);
	assert_true(json_is_true(json_object_get(b, "prompt_late")));
	json_decref(b);
	assert_true(overdue_has(&min_e, "incident", p, "prompt report late", &late));
	assert_true(late >= 3600 && late < 3700);
	assert_true(overdue_has(&cab, "incident", p, "prompt report late", NULL));
	assert_false(overdue_has(&min_g, "incident", p, "prompt report late", NULL));
	assert_false(overdue_has(&cab, "incident", p, "written report overdue", NULL));

	/* aware 31 days ago without a written report: overdue by about a day */
	int64_t w = new_incident(&op_a, 31 * 86400, NULL);
	assert_true(overdue_has(&cab, "incident", w, "written report overdue", &late));
	assert_true(late >= 86400 && late < 86400 + 100);
	assert_true(overdue_has(&min_e, "incident", w, "written report overdue", NULL));
	assert_false(overdue_has(&min_g, "incident", w, "written report overdue", NULL));
	/* a late written report stays on the list as late, no longer as overdue */
	{
		char path[96];
		snprintf(path, sizeof(path), "/api/v1/incidents/%lld/written", (long long)w);
		assert_int_equal(req(&op_a, "POST", path, NULL,
				     "{\"summary\":\"s\",\"cause\":\"c\",\"impact\":\"i\",\"measures\":\"m\"}", &b), 200);
		assert_true(json_is_true(json_object_get(b, "written_late")));
		json_decref(b);
	}
	assert_false(overdue_has(&cab, "incident", w, "written report overdue", NULL));
	assert_true(overdue_has(&cab, "incident", w, "written report late", NULL));

	/* configured short deadlines (the ordinances set them) */
	F.hub.cfg.prompt_deadline_s = 60;
	F.hub.cfg.written_deadline_s = 120;
	int64_t s = new_incident(&op_b, 180, &b);
	assert_true(json_is_true(json_object_get(b, "prompt_late")));
	json_decref(b);
	assert_true(overdue_has(&min_g, "incident", s, "written report overdue", &late));
	assert_true(late >= 60 && late < 100);
	assert_false(overdue_has(&min_e, "incident", s, "written report overdue", NULL));
	assert_true(overdue_has(&min_g, "incident", s, "prompt report late", NULL));

	/* a ministry with no sectors sees nothing */
	assert_int_equal(count_of(&min_none, "/api/v1/incidents/overdue", NULL, "items"), 0);
}

/* ---- corrective orders ----------------------------------------------------------------- */

static int64_t new_order(const struct hub_principal *who, int64_t incident, int expect)
{
	char path[96], body[256];
	json_t *b;
	int64_t id = 0;

	snprintf(path, sizeof(path), "/api/v1/incidents/%lld/orders", (long long)incident);
	snprintf(body, sizeof(body), "{\"measures\":\"isolate the file server\",\"deadline\":\"%s\"}",
		 t3339(time(NULL) + 7 * 86400));
	assert_int_equal(req(who, "POST", path, NULL, body, &b), expect);
	if (expect == 201)
		id = jid(b, NULL);
	json_decref(b);
	return id;
}

static int order_status(const struct hub_principal *who, int64_t order, const char *status)
{
	char path[96], body[256];

	snprintf(path, sizeof(path), "/api/v1/orders/%lld/status", (long long)order);
	snprintf(body, sizeof(body), "{\"status\":\"%s\",\"detail\":\"what happened\"}", status);
	return req(who, "POST", path, NULL, body, NULL);
}

static void orders_state_machine(void **state)
{
	int64_t inc = new_incident(&op_a, 3600, NULL);
	char path[96], body[256];
	json_t *b;

	new_order(&min_g, inc, 404); /* other sector */
	snprintf(path, sizeof(path), "/api/v1/incidents/%lld/orders", (long long)inc);
	snprintf(body, sizeof(body), "{\"measures\":\"m\",\"deadline\":\"%s\"}", t3339(time(NULL) - 10));
	assert_int_equal(req(&min_e, "POST", path, NULL, body, NULL), 400); /* deadline in the past */
	int64_t o = new_order(&min_e, inc, 201);

	assert_int_equal(count_of(&op_a, "/api/v1/orders", NULL, "orders"), 1);
	assert_int_equal(count_of(&op_b, "/api/v1/orders", NULL, "orders"), 0);
	assert_int_equal(count_of(&op_c, "/api/v1/orders", NULL, "orders"), 0);
	assert_int_equal(count_of(&min_g, "/api/v1/orders", NULL, "orders"), 0);
	assert_int_equal(count_of(&cab, "/api/v1/orders", NULL, "orders"), 1);

	assert_int_equal(order_status(&op_b, o, "reported"), 404);   /* not its order */
	assert_int_equal(order_status(&min_g, o, "withdrawn"), 404); /* not its sector */
	assert_int_equal(order_status(&op_a, o, "complied"), 400);   /* not the operator's word */
	assert_int_equal(order_status(&min_e, o, "reported"), 400);
	assert_int_equal(order_status(&min_e, o, "complied"), 409);  /* nothing reported yet */
	assert_int_equal(order_status(&op_a, o, "reported"), 200);
	assert_int_equal(order_status(&min_e, o, "complied"), 200);
	assert_int_equal(order_status(&min_e, o, "withdrawn"), 409); /* closed */
	assert_int_equal(order_status(&op_a, o, "reported"), 409);

	snprintf(path, sizeof(path), "/api/v1/orders");
	assert_int_equal(req(&min_e, "GET", path, NULL, NULL, &b), 200);
	json_t *od = json_array_get(json_object_get(b, "orders"), 0);
	assert_string_equal(json_string_value(json_object_get(od, "state")), "complied");
	assert_true(json_is_null(json_object_get(od, "due")));
	json_t *h = json_object_get(od, "history");
	assert_int_equal(json_array_size(h), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 0), "by")), "op-a");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h, 1), "status")), "complied");
	json_decref(b);

	/* not complied, then reported again, then withdrawn */
	int64_t o2 = new_order(&min_e, inc, 201);
	assert_int_equal(order_status(&min_e, o2, "not_complied"), 200);
	assert_int_equal(order_status(&min_e, o2, "not_complied"), 409);
	assert_int_equal(order_status(&min_e, o2, "complied"), 409);
	assert_int_equal(order_status(&op_a, o2, "reported"), 200);
	assert_int_equal(order_status(&min_e, o2, "withdrawn"), 200);
	assert_int_equal(order_status(&op_a, o2, "reported"), 409);

	/* an open order past its deadline is overdue */
	int64_t o3 = new_order(&min_e, inc, 201);
	struct store_doc d;
	assert_int_equal(F.hub.st->ops->begin(F.hub.st), 0);
	assert_int_equal(F.hub.st->ops->doc_get(F.hub.st, "order", o3, &d), 0);
	d.due = time(NULL) - 7200;
	assert_int_equal(F.hub.st->ops->doc_update(F.hub.st, &d), 0);
	assert_int_equal(F.hub.st->ops->commit(F.hub.st), 0);
	store_doc_clear(&d);
	int64_t late = 0;
	assert_true(overdue_has(&min_e, "order", o3, "corrective order past its deadline", &late));
	assert_true(late >= 7200 && late < 7300);
	assert_false(overdue_has(&min_g, "order", o3, "corrective order past its deadline", NULL));
	assert_false(overdue_has(&cab, "order", o, "corrective order past its deadline", NULL));
}

/* ---- records and retention ------------------------------------------------------------- */

static void records_bad_line_stores_nothing(void **state)
{
	char err[256];
	json_t *b;

	assert_int_equal(req_err(&sensor, "POST", "/api/v1/records", REC_T "\n" REC_S "\n{\"channel\":\"transit\"}\n",
				 err, sizeof(err)), 400);
	assert_non_null(strstr(err, "line 3"));
	assert_int_equal(req_err(&sensor, "POST", "/api/v1/records", REC_T "\n{not json\n", err, sizeof(err)), 400);
	assert_non_null(strstr(err, "line 2"));
	assert_int_equal(req_err(&sensor, "POST", "/api/v1/records",
				 "{\"approvals\":[],\"channel\":\"transit\",\"ts_first\":\"2026-10-01T00:00:00Z\"}\n", err,
				 sizeof(err)), 400);
	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL,
			     "{\"approvals\":[\"X-1\"],\"channel\":\"domestic\",\"ts_first\":\"2026-10-01T00:00:00Z\"}",
			     NULL), 400);
	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL,
			     "{\"approvals\":[\"X-1\"],\"channel\":\"transit\",\"ts_first\":\"yesterday\"}", NULL), 400);
	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL, "\n\n", NULL), 400);
	assert_int_equal(docs("record"), 0);

	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL, REC_T "\n" REC_S "\r\n\n" REC_A, &b), 201);
	assert_int_equal(json_integer_value(json_object_get(b, "accepted")), 3);
	assert_int_equal(json_integer_value(json_object_get(b, "last_id")) -
				 json_integer_value(json_object_get(b, "first_id")), 2);
	json_decref(b);
	assert_int_equal(docs("record"), 3);
}

/* The last audit entry, parsed. */
static json_t *last_audit_entry(void)
{
	uint64_t n = audit_size(F.hub.al);
	char err[128];
	json_t *arr = audit_entries_json(F.hub.al, n - 1, n, err, sizeof(err)), *e;

	assert_non_null(arr);
	e = json_loads(json_string_value(json_object_get(json_array_get(arr, 0), "entry")), 0, NULL);
	json_decref(arr);
	assert_non_null(e);
	return e;
}

static void records_reads_are_audited(void **state)
{
	json_t *b, *e;
	uint64_t before;

	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL, REC_T "\n" REC_S "\n" REC_A "\n" REC_T "\n", &b),
			 201);
	int64_t first = json_integer_value(json_object_get(b, "first_id"));
	json_decref(b);

	before = audit_size(F.hub.al);
	assert_int_equal(req(&cab, "GET", "/api/v1/records", NULL, NULL, &b), 200);
	assert_int_equal(json_array_size(json_object_get(b, "records")), 4);
	json_t *r0 = json_array_get(json_object_get(b, "records"), 0);
	assert_string_equal(json_string_value(json_object_get(r0, "sensor")), "sensor-1");
	assert_true(json_is_string(json_object_get(r0, "received_at")));
	assert_true(json_is_string(json_object_get(r0, "expires_at")));
	assert_string_equal(json_string_value(json_object_get(r0, "src_ip")), "98.98.160.1");
	json_decref(b);
	assert_int_equal(audit_size(F.hub.al), before + 1);
	e = last_audit_entry();
	assert_string_equal(json_string_value(json_object_get(e, "who")), "nisc");
	char want[64];
	snprintf(want, sizeof(want), "records/ids %lld-%lld n=4", (long long)first, (long long)first + 3);
	assert_string_equal(json_string_value(json_object_get(e, "object")), want);
	json_decref(e);

	{
		const char *const q[] = { "approval", "T-2026-0031", NULL };
		assert_int_equal(count_of(&com, "/api/v1/records", q, "records"), 2);
	}
	{
		const char *const q[] = { "channel", "specific", NULL };
		assert_int_equal(count_of(&com, "/api/v1/records", q, "records"), 1);
	}
	{
		const char *const q[] = { "limit", "2", NULL };
		assert_int_equal(req(&com, "GET", "/api/v1/records", q, NULL, &b), 200);
		assert_int_equal(json_array_size(json_object_get(b, "records")), 2);
		assert_int_equal(json_integer_value(json_object_get(b, "next_after_id")), first + 1);
		json_decref(b);
	}
	{
		const char *const q[] = { "approval", "T-2026-0031", "after_id", "0", "limit", "1", NULL };
		assert_int_equal(count_of(&com, "/api/v1/records", q, "records"), 1);
	}
	{
		const char *const q1[] = { "limit", "1001", NULL }, *const q2[] = { "after_id", "x", NULL },
				  *const q3[] = { "channel", "domestic", NULL };
		before = audit_size(F.hub.al);
		assert_int_equal(req(&com, "GET", "/api/v1/records", q1, NULL, NULL), 400);
		assert_int_equal(req(&com, "GET", "/api/v1/records", q2, NULL, NULL), 400);
		assert_int_equal(req(&com, "GET", "/api/v1/records", q3, NULL, NULL), 400);
		assert_int_equal(audit_size(F.hub.al), before);
	}
	assert_int_equal(req(&op_a, "GET", "/api/v1/records", NULL, NULL, NULL), 403);
	assert_int_equal(audit_size(F.hub.al), before);
}

static void retention_sweep_and_extension(void **state)
{
	json_t *b, *e;
	int64_t now = time(NULL);
	uint64_t before;

	F.hub.cfg.retention_s = 100;
	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL, REC_T "\n" REC_S "\n" REC_A "\n" REC_T "\n", &b),
			 201);
	int64_t first = json_integer_value(json_object_get(b, "first_id"));
	json_decref(b);

	/* the commission extends T-2026-0031 by ten years */
	assert_int_equal(req(&com, "POST", "/api/v1/approvals/T-2026-0031/retention", NULL, "{\"days\":3650}", NULL),
			 400); /* no reason */
	assert_int_equal(req(&com, "POST", "/api/v1/approvals/T-2026-0031/retention", NULL,
			     "{\"days\":3650,\"until\":\"2040-01-01T00:00:00Z\",\"reason\":\"r\"}", NULL), 400);
	assert_int_equal(req(&com, "POST", "/api/v1/approvals/T-2026-0031/retention", NULL,
			     "{\"until\":\"2001-01-01T00:00:00Z\",\"reason\":\"r\"}", NULL), 400);
	assert_int_equal(req(&com, "POST", "/api/v1/approvals/T-2026-0031/retention", NULL,
			     "{\"days\":3650,\"reason\":\"case 2026-17 under investigation\"}", &b), 200);
	assert_int_equal(json_integer_value(json_object_get(b, "records_updated")), 2);
	json_decref(b);
	assert_int_equal(docs("approval"), 1);

	/* nothing has expired yet */
	pthread_mutex_lock(&F.hub.lock);
	assert_int_equal(hub_retention_sweep(&F.hub, now), 0);
	pthread_mutex_unlock(&F.hub.lock);

	/* 200 s later the default retention (100 s) has run out for S and A, not for T */
	before = audit_size(F.hub.al);
	pthread_mutex_lock(&F.hub.lock);
	assert_int_equal(hub_retention_sweep(&F.hub, now + 200), 2);
	pthread_mutex_unlock(&F.hub.lock);
	assert_int_equal(docs("record"), 2);
	assert_int_equal(audit_size(F.hub.al), before + 1);
	e = last_audit_entry();
	char want[64];
	snprintf(want, sizeof(want), "records/%lld-%lld", (long long)first + 1, (long long)first + 2);
	assert_string_equal(json_string_value(json_object_get(e, "object")), want);
	assert_string_equal(json_string_value(json_object_get(e, "who")), "hub-retention");
	assert_string_equal(json_string_value(json_object_get(e, "action")), "DELETE records (retention)");
	{
		/* the digest is SHA-256 over the deleted ids, 8 bytes big-endian each */
		uint8_t ids[16] = { 0 }, d[32];
		char hex[65];
		for (int k = 0; k < 8; k++) {
			ids[k] = (uint8_t)((uint64_t)(first + 1) >> (56 - 8 * k));
			ids[8 + k] = (uint8_t)((uint64_t)(first + 2) >> (56 - 8 * k));
		}
		crypto_hash_sha256(d, ids, sizeof(ids));
		sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		assert_string_equal(json_string_value(json_object_get(e, "digest")), hex);
	}
	json_decref(e);
	{
		const char *const q[] = { "approval", "T-2026-0031", NULL };
		assert_int_equal(count_of(&com, "/api/v1/records", q, "records"), 2);
	}

	/* records arriving later under the extended approval get the extension at once */
	assert_int_equal(req(&sensor, "POST", "/api/v1/records", NULL, REC_T "\n" REC_S "\n", NULL), 201);
	pthread_mutex_lock(&F.hub.lock);
	assert_int_equal(hub_retention_sweep(&F.hub, now + 86400), 1);
	/* ten years later the extension has run out too */
	assert_int_equal(hub_retention_sweep(&F.hub, now + 3651LL * 86400), 3);
	pthread_mutex_unlock(&F.hub.lock);
	assert_int_equal(docs("record"), 0);
}

/* ---- the audit log over the API -------------------------------------------------------- */

static void audit_api(void **state)
{
	json_t *b;
	uint8_t pk[AUDIT_PKLEN];
	size_t pklen = 0;

	assert_int_equal(req(&op_a, "GET", "/api/v1/audit/key", NULL, NULL, &b), 200);
	assert_int_equal(sodium_base642bin(pk, sizeof(pk), json_string_value(json_object_get(b, "public_key")),
					   strlen(json_string_value(json_object_get(b, "public_key"))), NULL, &pklen, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(pklen, AUDIT_PKLEN);
	assert_memory_equal(pk, F.hub.audit_pk, AUDIT_PKLEN);
	json_decref(b);

	uint64_t size = audit_size(F.hub.al); /* the three orgs */
	assert_true(size >= 3);
	assert_int_equal(req(&com, "GET", "/api/v1/audit/sth", NULL, NULL, &b), 200);
	assert_int_equal(json_integer_value(json_object_get(b, "tree_size")), size);
	json_decref(b);

	{
		const char *const q[] = { "start", "0", "end", "2", NULL };
		assert_int_equal(req(&com, "GET", "/api/v1/audit/entries", q, NULL, &b), 200);
		assert_int_equal(json_array_size(json_object_get(b, "entries")), 2);
		json_decref(b);
	}
	{
		const char *const q[] = { "start", "0", "end", "100000", NULL };
		assert_int_equal(req(&com, "GET", "/api/v1/audit/entries", q, NULL, &b), 200);
		assert_int_equal(json_array_size(json_object_get(b, "entries")), size);
		json_decref(b);
	}
	{
		const char *const q[] = { "index", "1", "size", "3", NULL };
		assert_int_equal(req(&cab, "GET", "/api/v1/audit/proof/inclusion", q, NULL, &b), 200);
		assert_int_equal(json_integer_value(json_object_get(b, "leaf_index")), 1);
		json_decref(b);
	}
	{
		const char *const q[] = { "first", "1", "second", "3", NULL };
		assert_int_equal(req(&cab, "GET", "/api/v1/audit/proof/consistency", q, NULL, &b), 200);
		assert_true(json_is_array(json_object_get(b, "consistency")));
		json_decref(b);
	}
	static const char *const bad[][5] = {
		{ "/api/v1/audit/entries", "start", "abc", NULL, NULL },
		{ "/api/v1/audit/entries", "start", "-1", NULL, NULL },
		{ "/api/v1/audit/entries", "start", "5", "end", "2" },
		{ "/api/v1/audit/entries", "start", "99999999999999999999", NULL, NULL },
		{ "/api/v1/audit/proof/inclusion", "index", "1x", NULL, NULL },
		{ "/api/v1/audit/proof/inclusion", "size", "3", NULL, NULL },
		{ "/api/v1/audit/proof/inclusion", "index", "7", "size", "3" },
		{ "/api/v1/audit/proof/consistency", "first", "", NULL, NULL },
		{ "/api/v1/audit/proof/consistency", "first", "2", "second", "999" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		const char *q[5] = { bad[i][1], bad[i][2], bad[i][3], bad[i][4], NULL };
		if (req(&com, "GET", bad[i][0], q, NULL, NULL) != 400)
			fail_msg("%s ?%s=%s accepted", bad[i][0], bad[i][1], bad[i][2]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(orgs_create_and_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(assets_operator_isolation, setup, teardown),
		cmocka_unit_test_setup_teardown(assets_ministry_and_cabinet, setup, teardown),
		cmocka_unit_test_setup_teardown(cpe_and_purl_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(incidents_reach_ministry_and_cabinet_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(incident_forms_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(iocs_validated_and_normalised, setup, teardown),
		cmocka_unit_test_setup_teardown(deadlines, setup, teardown),
		cmocka_unit_test_setup_teardown(orders_state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(records_bad_line_stores_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(records_reads_are_audited, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_sweep_and_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_api, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * reports.c — incident reports (インシデント報告, Art. 5), their deadlines, corrective orders.
 *
 * An operator that becomes aware that a critical computer's security was harmed (特定侵害事象,
 * status "occurred") or of an event that may cause that ("suspected") reports to its sector
 * ministry and to the Cabinet Office at once: one POST is seen by both immediately. Two
 * deadlines run from the moment of awareness (aware_at), set by ordinance and therefore
 * configurable (hub_config): the prompt report (速報, default 24 h) and the written report
 * (default 30 days).
 *
 *   incident doc  kind "incident", org, sector, due = written_due while the written report is
 *                 outstanding, 0 after
 *                 prompt_reported ──POST …/written──▶ written_reported
 *   order doc     kind "order" (是正命令), due = deadline while open, 0 once closed
 *                 issued ──operator "reported"──▶ reported ──ministry "complied"──▶ complied
 *                 issued|reported ──ministry "not_complied"──▶ not_complied ──"reported"──▶ …
 *                 any open state ──ministry "withdrawn"──▶ withdrawn
 *                 complied and withdrawn are closed; every step is appended to body.history.
 *
 * GET /incidents/overdue lists what a ministry (its sectors) or the Cabinet Office must chase:
 * written reports past due, prompt and written reports that came late, and open orders past
 * their deadline, each with the reason and how late.
 *
 * Indicators of compromise are structured lists, each entry checked (inet_pton for
 * addresses, label rules for domains, hex length for hashes) and stored normalised (lower
 * case, canonical address text). Defanged forms ("hxxp", "[.]") are refused: the hub stores
 * indicators as data, never renders them as links.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/timefmt.h"
#include "hub/domain.h"

#define STR_MAX       256
#define TEXT_MAX      8192
#define LIST_MAX      1000
#define IOC_LIST_MAX  1000
#define URL_MAX       2048
#define AFFECTED_MAX  256
#define VECTORS_MAX   32
#define ORDER_HIST_MAX 256

/* Besides operators and ministries (their own rows), who lists every report and order. */
#define SEE_ALL ROLE_BIT(ROLE_CABINET)

/* ---- indicators of compromise ---- */

static int label_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* A DNS name of at least two labels: [A-Za-z0-9_-]{1,63} each, no '-' at either end, at most
 * 253 bytes (one trailing dot tolerated), a top-level label that is not all digits. */
static int domain_ok(const char *s, size_t n)
{
	size_t labels = 0, i = 0, start;
	int tld_digits = 1;

	if (n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return 0;
	while (i <= n) {
		start = i;
		tld_digits = 1;
		while (i < n && s[i] != '.') {
			if (!label_char((unsigned char)s[i]))
				return 0;
			if (!isdigit((unsigned char)s[i]))
				tld_digits = 0;
			i++;
		}
		if (i - start < 1 || i - start > 63 || s[start] == '-' || s[i - 1] == '-')
			return 0;
		labels++;
		i++;
	}
	return labels >= 2 && !tld_digits;
}

/* scheme "://" [userinfo "@"] host [":" port] [path/query/fragment], printable ASCII only. */
static int url_ok(const char *s, size_t n)
{
	size_t i = 0, a, e;
	char host[256];

	if (!isalpha((unsigned char)s[0]))
		return 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '.' || s[i] == '-'))
		i++;
	if (i + 3 > n || memcmp(s + i, "://", 3))
		return 0;
	if (i == 4 && !strncasecmp(s, "hxxp", 4))
		return 0;
	if (i == 5 && !strncasecmp(s, "hxxps", 5))
		return 0;
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] <= 0x20 || (unsigned char)s[k] >= 0x7f)
			return 0;
	a = i + 3;
	for (e = a; e < n && s[e] != '/' && s[e] != '?' && s[e] != '#'; e++)
		;
	for (size_t k = e; k > a; k--)
		if (s[k - 1] == '@') {
			a = k;
			break;
		}
	if (e == a || e - a >= sizeof(host))
		return 0;
	memcpy(host, s + a, e - a);
	host[e - a] = '\0';
	if (host[0] == '[') {
		char *close = strchr(host, ']');
		struct in6_addr v6;
		if (!close)
			return 0;
		*close = '\0';
		if (inet_pton(AF_INET6, host + 1, &v6) != 1)
			return 0;
		if (close[1] == '\0')
			return 1;
		if (close[1] != ':')
			return 0;
		char *port = close + 2;
		uint64_t p = 0;
		if (!*port || hd_parse_u64(port, 65535, &p))
			return 0;
		return 1;
	}
	char *colon = strrchr(host, ':');
	if (colon) {
		uint64_t p;
		*colon = '\0';
		if (hd_parse_u64(colon + 1, 65535, &p))
			return 0;
	}
	struct in_addr v4;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return 1;
	if (strchr(host, '[') || strchr(host, ']'))
		return 0;
	/* a single label ("intranet") is a host too */
	return domain_ok(host, strlen(host)) || (strchr(host, '.') == NULL && hd_str_ok(host, strlen(host), 0) &&
						 strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") ==
							 strlen(host));
}

static int email_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t local;

	if (!at || memchr(at + 1, '@', n - (size_t)(at - s) - 1))
		return 0;
	local = (size_t)(at - s);
	if (local == 0 || local > 64)
		return 0;
	for (size_t i = 0; i < local; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c))
			return 0;
	}
	return domain_ok(at + 1, n - local - 1);
}

static int hex_ok(const char *s, size_t n, size_t want)
{
	if (n != want)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

enum ioc_kind { IOC_V4, IOC_V6, IOC_DOMAIN, IOC_URL, IOC_SHA256, IOC_SHA1, IOC_MD5, IOC_EMAIL };

static const struct {
	const char *key;
	enum ioc_kind kind;
	size_t max;
	const char *what;
} ioc_kinds[] = {
	{ "ipv4", IOC_V4, 15, "an IPv4 address" },
	{ "ipv6", IOC_V6, 45, "an IPv6 address" },
	{ "domains", IOC_DOMAIN, 254, "a domain name" },
	{ "urls", IOC_URL, URL_MAX, "a URL (scheme://host...; defanged forms are not accepted)" },
	{ "sha256", IOC_SHA256, 64, "64 hex digits" },
	{ "sha1", IOC_SHA1, 40, "40 hex digits" },
	{ "md5", IOC_MD5, 32, "32 hex digits" },
	{ "emails", IOC_EMAIL, 320, "an e-mail address" },
};
#define N_IOC_KINDS (sizeof(ioc_kinds) / sizeof(ioc_kinds[0]))

/* One indicator, checked; returns its normalised form or NULL. */
static json_t *ioc_one(enum ioc_kind k, const char *s, size_t n)
{
	char buf[INET6_ADDRSTRLEN], low[URL_MAX + 1];
	struct in6_addr a6;
	struct in_addr a4;

	switch (k) {
	case IOC_V4:
		if (inet_pton(AF_INET, s, &a4) != 1 || !inet_ntop(AF_INET, &a4, buf, sizeof(buf)))
			return NULL;
		return json_string(buf);
	case IOC_V6:
		if (inet_pton(AF_INET6, s, &a6) != 1 || !inet_ntop(AF_INET6, &a6, buf, sizeof(buf)))
			return NULL;
		return json_string(buf);
	case IOC_DOMAIN:
	case IOC_EMAIL:
	case IOC_SHA256:
	case IOC_SHA1:
	case IOC_MD5:
		if ((k == IOC_DOMAIN && !domain_ok(s, n)) || (k == IOC_EMAIL && !email_ok(s, n)) ||
		    (k == IOC_SHA256 && !hex_ok(s, n, 64)) || (k == IOC_SHA1 && !hex_ok(s, n, 40)) ||
		    (k == IOC_MD5 && !hex_ok(s, n, 32)))
			return NULL;
		/* lower case: domains, hashes; an e-mail's domain only (the local part is the sender's) */
		memcpy(low, s, n);
		low[n] = '\0';
		for (size_t i = k == IOC_EMAIL ? (size_t)(strchr(low, '@') - low) : 0; i < n; i++)
			low[i] = (char)tolower((unsigned char)low[i]);
		if (k == IOC_DOMAIN && n > 1 && low[n - 1] == '.')
			low[n - 1] = '\0';
		return json_string(low);
	case IOC_URL:
		return url_ok(s, n) ? json_stringn(s, n) : NULL;
	}
	return NULL;
}

/* Validate an "iocs" object; *out gets the normalised copy (NULL when absent). */
static int iocs_parse(struct hub_resp *resp, const json_t *in, const char *where, json_t **out)
{
	static const char *const keys[] = { "ipv4", "ipv6", "domains", "urls", "sha256", "sha1", "md5", "emails", NULL };
	char w[64];

	*out = NULL;
	if (!in)
		return 0;
	snprintf(w, sizeof(w), "%s", where);
	if (!json_is_object(in)) {
		hub_fail(resp, 400, "%s: must be an object", w);
		return -1;
	}
	if (hd_only_keys(resp, in, keys, w))
		return -1;
	*out = json_object();
	for (size_t k = 0; k < N_IOC_KINDS; k++) {
		json_t *list = json_object_get(in, ioc_kinds[k].key), *norm, *v;
		size_t i;

		if (!list)
			continue;
		if (!json_is_array(list) || json_array_size(list) > IOC_LIST_MAX) {
			hub_fail(resp, 400, "%s.%s: an array of at most %d strings", w, ioc_kinds[k].key, IOC_LIST_MAX);
			goto fail;
		}
		norm = json_array();
		json_object_set_new(*out, ioc_kinds[k].key, norm);
		json_array_foreach(list, i, v) {
			json_t *one = NULL;
			if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) <= ioc_kinds[k].max &&
			    strlen(json_string_value(v)) == json_string_length(v))
				one = ioc_one(ioc_kinds[k].kind, json_string_value(v), json_string_length(v));
			if (!one) {
				hub_fail(resp, 400, "%s.%s[%zu]: not %s", w, ioc_kinds[k].key, i, ioc_kinds[k].what);
				goto fail;
			}
			json_array_append_new(norm, one);
		}
	}
	return 0;
fail:
	json_decref(*out);
	*out = NULL;
	return -1;
}

/* ---- incident forms ---- */

static int nonneg_number(const json_t *v)
{
	return (json_is_integer(v) && json_integer_value(v) >= 0) || (json_is_real(v) && json_real_value(v) >= 0);
}

static int ddos_parse(struct hub_resp *resp, const json_t *in, json_t **out)
{
	static const char *const keys[] = { "target", "start", "end", "peak_bps", "peak_pps", "vectors", NULL };
	const char *target;
	int64_t start, end;
	json_t *vec;

	*out = NULL;
	if (!json_is_object(in)) {
		hub_fail(resp, 400, "ddos: must be an object");
		return -1;
	}
	if (hd_only_keys(resp, in, keys, "ddos") ||
	    hd_get_str(resp, in, "ddos", "target", HD_STR_REQUIRED, STR_MAX, &target) ||
	    hd_get_time(resp, in, "ddos", "start", HD_STR_REQUIRED, &start) ||
	    hd_get_time(resp, in, "ddos", "end", 0, &end))
		return -1;
	if (end && end < start) {
		hub_fail(resp, 400, "ddos.end: before ddos.start");
		return -1;
	}
	for (const char *const *k = (const char *const[]){ "peak_bps", "peak_pps", NULL }; *k; k++) {
		json_t *v = json_object_get(in, *k);
		if (v && !nonneg_number(v)) {
			hub_fail(resp, 400, "ddos.%s: a number >= 0", *k);
			return -1;
		}
	}
	vec = json_object_get(in, "vectors");
	if (vec) {
		size_t i;
		json_t *v;
		if (!json_is_array(vec) || json_array_size(vec) > VECTORS_MAX) {
			hub_fail(resp, 400, "ddos.vectors: an array of at most %d strings", VECTORS_MAX);
			return -1;
		}
		json_array_foreach(vec, i, v) {
			if (!json_is_string(v) || json_string_length(v) > 64 ||
			    !hd_str_ok(json_string_value(v), json_string_length(v), 0)) {
				hub_fail(resp, 400, "ddos.vectors[%zu]: a string of 1 to 64 bytes", i);
				return -1;
			}
		}
	}
	*out = json_deep_copy(in);
	json_object_set_new(*out, "start", hd_jtime(start));
	if (end)
		json_object_set_new(*out, "end", hd_jtime(end));
	return 0;
}

static int ransomware_parse(struct hub_resp *resp, const json_t *in, json_t **out)
{
	static const char *const keys[] = { "ransom_note", "encrypted_extension", "family", "intrusion_vector", NULL };
	const char *note, *ext, *family, *vector;

	*out = NULL;
	if (!json_is_object(in)) {
		hub_fail(resp, 400, "ransomware: must be an object");
		return -1;
	}
	if (hd_only_keys(resp, in, keys, "ransomware") ||
	    hd_get_str(resp, in, "ransomware", "ransom_note", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &note) ||
	    hd_get_str(resp, in, "ransomware", "encrypted_extension", HD_STR_REQUIRED, 64, &ext) ||
	    hd_get_str(resp, in, "ransomware", "family", HD_STR_REQUIRED, STR_MAX, &family) ||
	    hd_get_str(resp, in, "ransomware", "intrusion_vector", HD_STR_REQUIRED, STR_MAX, &vector))
		return -1;
	if (strpbrk(ext, " /\\")) {
		hub_fail(resp, 400, "ransomware.encrypted_extension: a file name extension such as \".locked\"");
		return -1;
	}
	*out = json_pack("{s:s, s:s, s:s, s:s}", "ransom_note", note, "encrypted_extension", ext, "family", family,
			 "intrusion_vector", vector);
	return 0;
}

/* affected_assets: ids of the caller's own assets. */
static int affected_parse(struct hub *hub, struct hub_req *req, struct hub_resp *resp, const json_t *in, json_t **out)
{
	size_t i;
	json_t *v;

	*out = NULL;
	if (!json_is_array(in) || json_array_size(in) > AFFECTED_MAX) {
		hub_fail(resp, 400, "affected_assets: an array of at most %d asset ids", AFFECTED_MAX);
		return -1;
	}
	json_array_foreach(in, i, v) {
		struct store_doc a = { 0 };
		int rc, mine;
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			hub_fail(resp, 400, "affected_assets[%zu]: an asset id", i);
			return -1;
		}
		rc = hub->st->ops->doc_get(hub->st, "asset", json_integer_value(v), &a);
		if (rc && rc != ST_NOTFOUND) {
			hd_store_err(hub, resp);
			return -1;
		}
		mine = rc == 0 && !strcmp(a.org, req->who.org);
		store_doc_clear(&a);
		if (!mine) {
			hub_fail(resp, 400, "affected_assets[%zu]: no asset %lld of yours", i,
				 (long long)json_integer_value(v));
			return -1;
		}
	}
	*out = json_deep_copy(in);
	return 0;
}

void h_incidents_create(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "type", "status", "aware_at", "summary", "occurred_at", "affected_assets",
					    "ddos", "ransomware", "iocs", NULL };
	struct store_doc org = { 0 }, d = { 0 };
	const char *type, *status, *summary;
	int64_t aware, occurred, prompt_due, written_due;
	json_t *ddos = NULL, *rw = NULL, *iocs = NULL, *affected = NULL, *v;
	char notified[80];
	int rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL) ||
	    hd_get_str(resp, req->json, NULL, "type", HD_STR_REQUIRED, 16, &type) ||
	    hd_get_str(resp, req->json, NULL, "status", HD_STR_REQUIRED, 16, &status) ||
	    hd_get_time(resp, req->json, NULL, "aware_at", HD_STR_REQUIRED, &aware) ||
	    hd_get_time(resp, req->json, NULL, "occurred_at", 0, &occurred) ||
	    hd_get_str(resp, req->json, NULL, "summary", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &summary))
		return;
	if (strcmp(type, "ddos") && strcmp(type, "ransomware") && strcmp(type, "other")) {
		hub_fail(resp, 400, "type: ddos, ransomware or other");
		return;
	}
	if (strcmp(status, "occurred") && strcmp(status, "suspected")) {
		hub_fail(resp, 400, "status: occurred or suspected");
		return;
	}
	if (aware > req->now) {
		hub_fail(resp, 400, "aware_at: in the future");
		return;
	}
	if (occurred > req->now) {
		hub_fail(resp, 400, "occurred_at: in the future");
		return;
	}
	v = json_object_get(req->json, "ddos");
	if (!strcmp(type, "ddos") && !v) {
		hub_fail(resp, 400, "ddos: required for type ddos");
		return;
	}
	if (v && strcmp(type, "ddos")) {
		hub_fail(resp, 400, "ddos: only for type ddos");
		return;
	}
	if (v && ddos_parse(resp, v, &ddos))
		goto out;
	v = json_object_get(req->json, "ransomware");
	if (!strcmp(type, "ransomware") && !v) {
		hub_fail(resp, 400, "ransomware: required for type ransomware");
		goto out;
	}
	if (v && strcmp(type, "ransomware")) {
		hub_fail(resp, 400, "ransomware: only for type ransomware");
		goto out;
	}
	if (v && ransomware_parse(resp, v, &rw))
		goto out;
	if (iocs_parse(resp, json_object_get(req->json, "iocs"), "iocs", &iocs))
		goto out;
	v = json_object_get(req->json, "affected_assets");
	if (v && affected_parse(hub, req, resp, v, &affected))
		goto out;

	rc = hd_org_find(hub, req->who.org, &org);
	if (rc < 0) {
		hd_store_err(hub, resp);
		goto out;
	}
	if (rc) {
		hub_fail(resp, 409, "organisation %s is not registered", req->who.org);
		goto out;
	}

	prompt_due = aware + hub->cfg.prompt_deadline_s;
	written_due = aware + hub->cfg.written_deadline_s;
	snprintf(notified, sizeof(notified), "ministry:%s", org.sector);
	strcpy(d.kind, "incident");
	memcpy(d.org, org.org, sizeof(d.org));
	memcpy(d.sector, org.sector, sizeof(d.sector));
	strcpy(d.state, "prompt_reported");
	d.created = d.updated = req->now;
	d.due = written_due;
	d.body = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:[s,s], s:o, s:o, s:o, s:b, s:s, s:n}", "org", org.org,
			   "sector", org.sector, "type", type, "status", status, "aware_at", hd_jtime(aware),
			   "summary", summary, "notified", notified, "cabinet", "prompt_due", hd_jtime(prompt_due),
			   "written_due", hd_jtime(written_due), "prompt_submitted_at", hd_jtime(req->now),
			   "prompt_late", req->now > prompt_due, "reported_by", req->who.id, "written");
	if (occurred)
		json_object_set_new(d.body, "occurred_at", hd_jtime(occurred));
	if (affected)
		json_object_set(d.body, "affected_assets", affected);
	if (ddos)
		json_object_set(d.body, "ddos", ddos);
	if (rw)
		json_object_set(d.body, "ransomware", rw);
	if (iocs)
		json_object_set(d.body, "iocs", iocs);
	if (hub->st->ops->doc_put(hub->st, &d)) {
		hd_store_err(hub, resp);
		goto out;
	}
	hd_set_object(resp, "incident", d.id);
	hub_ok(resp, 201, hd_doc_view_due(&d));
out:
	json_decref(d.body);
	json_decref(ddos);
	json_decref(rw);
	json_decref(iocs);
	json_decref(affected);
	store_doc_clear(&org);
}

void h_incidents_written(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "summary", "cause", "impact", "measures", "iocs", NULL };
	const char *summary, *cause, *impact, *measures;
	struct store_doc d = { 0 };
	json_t *iocs = NULL, *w;
	int64_t written_due;
	int rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL) ||
	    hd_get_str(resp, req->json, NULL, "summary", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &summary) ||
	    hd_get_str(resp, req->json, NULL, "cause", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &cause) ||
	    hd_get_str(resp, req->json, NULL, "impact", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &impact) ||
	    hd_get_str(resp, req->json, NULL, "measures", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &measures) ||
	    iocs_parse(resp, json_object_get(req->json, "iocs"), "iocs", &iocs))
		return;
	rc = hd_get_visible(hub, req, "incident", &d);
	if (rc < 0) {
		hd_store_err(hub, resp);
		goto out;
	}
	if (rc) {
		hub_fail(resp, 404, "no such incident");
		goto out;
	}
	if (strcmp(d.state, "prompt_reported")) {
		hub_fail(resp, 409, "incident %lld: the written report is already in", (long long)d.id);
		goto out;
	}
	written_due = hd_body_time(d.body, "written_due");
	w = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "summary", summary, "cause", cause, "impact", impact,
		      "measures", measures, "submitted_at", hd_jtime(req->now), "submitted_by", req->who.id);
	if (iocs)
		json_object_set(w, "iocs", iocs);
	json_object_set_new(d.body, "written", w);
	json_object_set_new(d.body, "written_submitted_at", hd_jtime(req->now));
	json_object_set_new(d.body, "written_late", json_boolean(written_due && req->now > written_due));
	strcpy(d.state, "written_reported");
	d.due = 0;
	d.updated = req->now;
	if (hub->st->ops->doc_update(hub->st, &d)) {
		hd_store_err(hub, resp);
		goto out;
	}
	hd_set_object(resp, "incident", d.id);
	hub_ok(resp, 200, hd_doc_view_due(&d));
out:
	json_decref(iocs);
	store_doc_clear(&d);
}

void h_incidents_list(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_filter f = { .kind = "incident" };
	struct hd_sectors sc;
	int s;

	if (hd_list_query(req, resp, LIST_MAX, &f, "prompt_reported", "written_reported"))
		return;
	if ((s = hd_scope(req, resp, SEE_ALL, &f, &sc)) < 0)
		return;
	hd_list_reply(hub, resp, &f, "incidents", hd_doc_view_due, s == 1);
}

void h_incidents_get(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_doc d;
	int rc = hd_get_visible(hub, req, "incident", &d);

	if (rc < 0) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc) {
		hub_fail(resp, 404, "no such incident");
		return;
	}
	hd_set_object(resp, "incident", d.id);
	hub_ok(resp, 200, hd_doc_view_due(&d));
	store_doc_clear(&d);
}

/* ---- overdue ---- */

struct overdue_ctx {
	json_t *items;
	int64_t now;
	size_t n;
};

static void overdue_add(struct overdue_ctx *c, const char *kind, const struct store_doc *d, const char *reason,
			int64_t due, int64_t late)
{
	char human[64];

	tf_format_duration(late, human, sizeof(human));
	json_array_append_new(c->items, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:o, s:I, s:s}", "kind", kind, "id",
						  (json_int_t)d->id, "org", d->org, "sector", d->sector, "state",
						  d->state, "reason", reason, "due", hd_jtime(due), "late_s",
						  (json_int_t)late, "late", human));
	c->n++;
}

static int overdue_incident_cb(const struct store_doc *d, void *ctx)
{
	struct overdue_ctx *c = ctx;
	int64_t pdue = hd_body_time(d->body, "prompt_due"), wdue = hd_body_time(d->body, "written_due");
	int64_t psub = hd_body_time(d->body, "prompt_submitted_at");
	int64_t wsub = hd_body_time(d->body, "written_submitted_at");

	if (json_is_true(json_object_get(d->body, "prompt_late")))
		overdue_add(c, "incident", d, "prompt report late", pdue, psub - pdue);
	if (!strcmp(d->state, "prompt_reported") && d->due && d->due < c->now)
		overdue_add(c, "incident", d, "written report overdue", d->due, c->now - d->due);
	else if (json_is_true(json_object_get(d->body, "written_late")))
		overdue_add(c, "incident", d, "written report late", wdue, wsub - wdue);
	return 0;
}

static int overdue_order_cb(const struct store_doc *d, void *ctx)
{
	struct overdue_ctx *c = ctx;

	overdue_add(c, "order", d, "corrective order past its deadline", d->due, c->now - d->due);
	return 0;
}

void h_incidents_overdue(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	struct store_filter fi = { .kind = "incident" }, fo = { .kind = "order", .due_before = req->now };
	struct overdue_ctx c = { json_array(), req->now, 0 };
	struct hd_sectors sc;
	int s;

	if (req->who.role != ROLE_MINISTRY && req->who.role != ROLE_CABINET) {
		hub_fail(resp, 403, "not for role %s", hub_role_name(req->who.role));
		goto out;
	}
	if ((s = hd_scope(req, resp, SEE_ALL, &fi, &sc)) < 0)
		goto out;
	fo.sectors = fi.sectors;
	fo.n_sectors = fi.n_sectors;
	if (s == 0 && (hub->st->ops->doc_list(hub->st, &fi, overdue_incident_cb, &c) ||
		       hub->st->ops->doc_list(hub->st, &fo, overdue_order_cb, &c))) {
		hd_store_err(hub, resp);
		goto out;
	}
	hub_ok(resp, 200, json_pack("{s:o, s:O, s:I}", "now", hd_jtime(req->now), "items", c.items, "count",
				    (json_int_t)c.n));
out:
	json_decref(c.items);
}

/* ---- corrective orders ---- */

void h_orders_create(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "measures", "deadline", NULL };
	struct store_doc inc = { 0 }, o = { 0 };
	const char *measures;
	int64_t deadline;
	int rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL) ||
	    hd_get_str(resp, req->json, NULL, "measures", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &measures) ||
	    hd_get_time(resp, req->json, NULL, "deadline", HD_STR_REQUIRED, &deadline))
		return;
	if (deadline <= req->now) {
		hub_fail(resp, 400, "deadline: must be in the future");
		return;
	}
	rc = hd_get_visible(hub, req, "incident", &inc);
	if (rc < 0) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc || req->who.role != ROLE_MINISTRY) {
		hub_fail(resp, 404, "no such incident");
		goto out;
	}
	strcpy(o.kind, "order");
	memcpy(o.org, inc.org, sizeof(o.org));
	memcpy(o.sector, inc.sector, sizeof(o.sector));
	strcpy(o.state, "issued");
	o.created = o.updated = req->now;
	o.due = deadline;
	o.body = json_pack("{s:I, s:s, s:o, s:s, s:o, s:[]}", "incident_id", (json_int_t)inc.id, "issued_by",
			   req->who.id, "issued_at", hd_jtime(req->now), "measures", measures, "deadline",
			   hd_jtime(deadline), "history");
	if (hub->st->ops->doc_put(hub->st, &o)) {
		hd_store_err(hub, resp);
		goto out;
	}
	hd_set_object(resp, "order", o.id);
	hub_ok(resp, 201, hd_doc_view_due(&o));
out:
	json_decref(o.body);
	store_doc_clear(&inc);
}

void h_orders_list(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const states[] = { "issued", "reported", "complied", "not_complied", "withdrawn", NULL };
	struct store_filter f = { .kind = "order" };
	const char *state = hub_query(req, "state");
	struct hd_sectors sc;
	size_t i;
	int s;

	if (hd_paging(req, resp, LIST_MAX, LIST_MAX, &f.after_id, &f.limit))
		return;
	if (state) {
		for (i = 0; states[i] && strcmp(states[i], state); i++)
			;
		if (!states[i]) {
			hub_fail(resp, 400, "state: issued, reported, complied, not_complied or withdrawn");
			return;
		}
	}
	f.state = state;
	if ((s = hd_scope(req, resp, SEE_ALL, &f, &sc)) < 0)
		return;
	hd_list_reply(hub, resp, &f, "orders", hd_doc_view_due, s == 1);
}

/* May role move an order from state `from` to status `to`? */
static int order_step_ok(enum hub_role role, const char *from, const char *to)
{
	int closed = !strcmp(from, "complied") || !strcmp(from, "withdrawn");

	if (closed)
		return 0;
	if (role == ROLE_OPERATOR)
		return !strcmp(to, "reported");
	if (role != ROLE_MINISTRY)
		return 0;
	if (!strcmp(to, "complied"))
		return !strcmp(from, "reported");
	if (!strcmp(to, "not_complied"))
		return !strcmp(from, "issued") || !strcmp(from, "reported");
	if (!strcmp(to, "withdrawn"))
		return 1;
	return 0;
}

void h_orders_update(struct hub *hub, struct hub_req *req, struct hub_resp *resp)
{
	static const char *const keys[] = { "status", "detail", NULL };
	struct store_doc o = { 0 };
	const char *status, *detail;
	json_t *hist;
	int rc;

	if (!json_is_object(req->json)) {
		hub_fail(resp, 400, "body must be a JSON object");
		return;
	}
	if (hd_only_keys(resp, req->json, keys, NULL) ||
	    hd_get_str(resp, req->json, NULL, "status", HD_STR_REQUIRED, 16, &status) ||
	    hd_get_str(resp, req->json, NULL, "detail", HD_STR_REQUIRED | HD_STR_TEXT, TEXT_MAX, &detail))
		return;
	if (req->who.role == ROLE_OPERATOR && strcmp(status, "reported")) {
		hub_fail(resp, 400, "status: an operator reports (\"reported\")");
		return;
	}
	if (req->who.role == ROLE_MINISTRY && strcmp(status, "complied") && strcmp(status, "not_complied") &&
	    strcmp(status, "withdrawn")) {
		hub_fail(resp, 400, "status: complied, not_complied or withdrawn");
		return;
	}
	rc = hd_get_visible(hub, req, "order", &o);
	if (rc < 0) {
		hd_store_err(hub, resp);
		return;
	}
	if (rc) {
		hub_fail(resp, 404, "no such order");
		return;
	}
	if (!order_step_ok(req->who.role, o.state, status)) {
		hub_fail(resp, 409, "order %lld is %s; cannot become %s", (long long)o.id, o.state, status);
		goto out;
	}
	hist = json_object_get(o.body, "history");
	if (!json_is_array(hist)) {
		hist = json_array();
		json_object_set_new(o.body, "history", hist);
	}
	if (json_array_size(hist) >= ORDER_HIST_MAX) {
		hub_fail(resp, 409, "order %lld: history full", (long long)o.id);
		goto out;
	}
	json_array_append_new(hist, json_pack("{s:o, s:s, s:s, s:s, s:s, s:s}", "at", hd_jtime(req->now), "by",
					       req->who.id, "role", hub_role_name(req->who.role), "from", o.state,
					       "status", status, "detail", detail));
	store_set_key(o.state, status);
	if (!strcmp(status, "complied") || !strcmp(status, "withdrawn"))
		o.due = 0;
	o.updated = req->now;
	if (hub->st->ops->doc_update(hub->st, &o)) {
		hd_store_err(hub, resp);
		goto out;
	}
	hd_set_object(resp, "order", o.id);
	hub_ok(resp, 200, hd_doc_view_due(&o));
out:
	store_doc_clear(&o);
}

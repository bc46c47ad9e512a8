/*
 * gen_proto.c — the generator's sessions: what is said on each flow.
 *
 *   DNS      UDP (one or an A+AAAA pair) and TCP (2-byte length prefix); A, AAAA, CNAME
 *            chains, MX, NXDOMAIN with an SOA; names compressed wherever a suffix repeats
 *   TLS      ends, SNI and sizes here; ClientHellos of six client profiles (a third cut into
 *            2–3 segments) and the server side in gen_tls.c
 *   HTTP     GET with identifier query values, POST with a body; Host, User-Agent, Cookie,
 *            Authorization; a quarter of header blocks split across two segments
 *   SMTP     banner, EHLO, MAIL FROM … SIZE=, one or two RCPT TO, DATA, a MIME message with
 *            a base64 attachment, ".", QUIT
 *   also     IPv4 fragments (UDP, ICMP echo), SYN scans of a domestic /24, Mirai SYNs
 *            (sequence number = destination address), C2 beacons, noise
 *
 * Secrets: every body, subject, attachment, cookie value, credential, e-mail local part and
 * query value carries a token from gen_secret(); encoded forms (base64 credentials, the first
 * base64 line of an attachment) are recorded as secrets of their own. Mechanical fields (names,
 * hosts, paths, User-Agents, HELO, domains) never carry one.
 *
 * All payloads are assembled in the generator's scratch buffers through a bounded writer (bb);
 * a payload that would not fit is cut, never overflows.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "packet/gen_int.h"

static void base64(const uint8_t *in, size_t n, char *out, size_t outcap)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;

	for (size_t i = 0; i < n && o + 5 <= outcap; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

/* --- vocabulary ------------------------------------------------------------------------ */

static const char *const dom_jp[] = {
	"sakura-net.jp", "kobe-shop.co.jp", "tokyo-news.jp", "mirai-bank.co.jp", "hokkaido-u.ac.jp",
	"city.nagoya-sample.lg.jp", "fuji-travel.co.jp", "osaka-denki.co.jp", "yamato-cloud.jp",
	"kyoto-books.jp", "nihon-mail.ne.jp", "sendai-hospital.or.jp",
};
static const char *const dom_world[] = {
	"globalpix.net", "weatherdata.io", "example-cdn.com", "newsroom.org", "cloudhost.dev",
	"shopworld.com", "mailhub.eu", "videostream.tv", "opensource-mirror.org", "fintrack.co.uk",
	"travelnow.de", "gamezone.kr",
};
static const char *const dom_private[] = { "intranet.corp", "nas.home.arpa", "printer.lan" };
static const char *const host_prefix[] = {
	"www", "www", "api", "img", "static", "m", "login", "cdn", "news", "shop", "app",
};

static const char *const user_agents[] = {
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
	"Chrome/129.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
	"Version/18.0 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
	"Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
	"curl/8.10.1",
	"python-requests/2.32.3",
	"Go-http-client/1.1",
	"okhttp/4.12.0",
};

static const char *const given_names[] = {
	"taro", "hanako", "yuki", "kenji", "sato", "suzuki", "tanaka", "akiko", "john", "maria",
	"li.wei", "anna",
};

static const char *pick_domain(struct rng *r, int cls)
{
	if (cls == GEO_DOMESTIC)
		return RNG_PICK(r, dom_jp);
	if (cls == GEO_FOREIGN)
		return RNG_PICK(r, dom_world);
	return RNG_PICK(r, dom_private);
}

static void pick_hostname(struct rng *r, int cls, char *out, size_t n)
{
	const char *prefix = RNG_PICK(r, host_prefix);
	snprintf(out, n, "%s.%s", prefix, pick_domain(r, cls));
}

/* Client and server classes of a session: all four directions and a little private space. */
static void pick_ends(struct gen *g, bool allow_v6, struct ghost *cli, struct ghost *srv)
{
	struct rng *r = &g->rng;
	int fam = allow_v6 && rng_pct(r, 20) ? 6 : 4;
	unsigned x = (unsigned)rng_below(r, 100);
	int c, s;

	if (x < 20) {
		c = GEO_FOREIGN, s = GEO_FOREIGN;
	} else if (x < 50) {
		c = GEO_FOREIGN, s = GEO_DOMESTIC;
	} else if (x < 80) {
		c = GEO_DOMESTIC, s = GEO_FOREIGN;
	} else if (x < 95) {
		c = GEO_DOMESTIC, s = GEO_DOMESTIC;
	} else if (x < 98) {
		c = GEO_UNKNOWN, s = rng_pct(r, 50) ? GEO_DOMESTIC : GEO_FOREIGN;
	} else {
		c = rng_pct(r, 50) ? GEO_DOMESTIC : GEO_FOREIGN, s = GEO_UNKNOWN;
	}
	gen_host(g, c, fam, false, cli);
	gen_host(g, s, fam, false, srv);
	if (addr_cmp(&cli->addr, &srv->addr) == 0) /* same popular host drawn twice */
		gen_host(g, s, fam, true, srv);
}

static void fmt_date(uint64_t us, char *out, size_t n)
{
	time_t sec = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* --- DNS ------------------------------------------------------------------------------- */

#define DNS_TAB 24

struct dnsw {
	struct bb b;
	int n;
	uint16_t off[DNS_TAB];
	char name[DNS_TAB][128];
};

/* Write a name, ending in a pointer to the longest suffix already in the message. */
static void dns_name(struct dnsw *w, const char *name)
{
	const char *p = name;

	while (*p) {
		for (int i = 0; i < w->n; i++)
			if (strcasecmp(w->name[i], p) == 0) {
				bb_be16(&w->b, (uint16_t)(0xc000 | w->off[i]));
				return;
			}
		if (w->n < DNS_TAB && w->b.len < 0x3fff && strlen(p) < sizeof(w->name[0])) {
			w->off[w->n] = (uint16_t)w->b.len;
			snprintf(w->name[w->n], sizeof(w->name[0]), "%s", p);
			w->n++;
		}
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		bb_u8(&w->b, (uint8_t)l);
		bb_put(&w->b, p, l);
		p = dot ? dot + 1 : p + l;
	}
	bb_u8(&w->b, 0);
}

static void dns_header(struct dnsw *w, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
		       uint16_t ns, uint16_t ar)
{
	bb_be16(&w->b, id);
	bb_be16(&w->b, flags);
	bb_be16(&w->b, qd);
	bb_be16(&w->b, an);
	bb_be16(&w->b, ns);
	bb_be16(&w->b, ar);
}

static void dns_rr_head(struct dnsw *w, const char *owner, uint16_t type, uint32_t ttl)
{
	dns_name(w, owner);
	bb_be16(&w->b, type);
	bb_be16(&w->b, 1);
	bb_be32(&w->b, ttl);
}

static void dns_opt(struct dnsw *w, uint16_t size)
{
	bb_u8(&w->b, 0);
	bb_be16(&w->b, 41);
	bb_be16(&w->b, size);
	bb_be32(&w->b, 0);
	bb_be16(&w->b, 0);
}

enum dns_case { DC_A, DC_AAAA, DC_CNAME, DC_MX, DC_NX };

/* Build query (into q) and response (into a) for one exchange; returns the truth item. */
static json_t *dns_exchange(struct gen *g, enum dns_case dc, const char *qname, bool edns,
			    struct bb *q, struct bb *a)
{
	struct rng *r = &g->rng;
	uint16_t id = (uint16_t)rng_next(r);
	uint16_t qtype = dc == DC_AAAA ? 28 : dc == DC_MX ? 15 : 1;
	uint8_t rcode = dc == DC_NX ? 3 : 0;
	struct dnsw w;
	char t1[160], t2[160], zone[128];

	/* query */
	memset(&w, 0, sizeof(w));
	w.b = bb_make(q->p, q->cap);
	dns_header(&w, id, 0x0100, 1, 0, 0, edns);
	dns_name(&w, qname);
	bb_be16(&w.b, qtype);
	bb_be16(&w.b, 1);
	if (edns)
		dns_opt(&w, 1232);
	q->len = w.b.len;

	/* response */
	memset(&w, 0, sizeof(w));
	w.b = bb_make(a->p, a->cap);
	int nans = 0, nns = 0;
	switch (dc) {
	case DC_A: nans = (int)rng_range(r, 1, 4); break;
	case DC_AAAA: nans = (int)rng_range(r, 1, 2); break;
	case DC_CNAME: nans = 2 + (int)rng_range(r, 1, 2); break;
	case DC_MX: nans = (int)rng_range(r, 1, 3); break;
	case DC_NX: nns = 1; break;
	}
	dns_header(&w, id, (uint16_t)(0x8180 | rcode), 1, (uint16_t)nans, (uint16_t)nns, edns);
	dns_name(&w, qname);
	bb_be16(&w.b, qtype);
	bb_be16(&w.b, 1);

	const char *zp = strchr(qname, '.');
	snprintf(zone, sizeof(zone), "%s", zp ? zp + 1 : qname);
	const char *owner = qname;
	if (dc == DC_CNAME) {
		snprintf(t1, sizeof(t1), "%s.edgesuite-cdn.net", qname);
		snprintf(t2, sizeof(t2), "e%u.a.edgesuite-cdn.net", (unsigned)rng_range(r, 1000, 9999));
		size_t at;
		dns_rr_head(&w, qname, 5, (uint32_t)rng_range(r, 60, 3600));
		at = bb_mark(&w.b, 2);
		dns_name(&w, t1);
		bb_fill(&w.b, at, 2);
		dns_rr_head(&w, t1, 5, (uint32_t)rng_range(r, 20, 300));
		at = bb_mark(&w.b, 2);
		dns_name(&w, t2);
		bb_fill(&w.b, at, 2);
		owner = t2;
		nans -= 2;
	}
	for (int i = 0; i < nans; i++) {
		struct ghost h;
		if (dc == DC_MX) {
			char mx[160];
			snprintf(mx, sizeof(mx), "mx%d.%s", i + 1, qname);
			dns_rr_head(&w, qname, 15, 3600);
			size_t at = bb_mark(&w.b, 2);
			bb_be16(&w.b, (uint16_t)(10 * (i + 1)));
			dns_name(&w, mx);
			bb_fill(&w.b, at, 2);
		} else if (dc == DC_AAAA) {
			gen_host(g, rng_pct(r, 50) ? GEO_DOMESTIC : GEO_FOREIGN, 6, false, &h);
			dns_rr_head(&w, owner, 28, (uint32_t)rng_range(r, 30, 86400));
			bb_be16(&w.b, 16);
			bb_put(&w.b, h.addr.b, 16);
		} else {
			gen_host(g, rng_pct(r, 50) ? GEO_DOMESTIC : GEO_FOREIGN, 4, false, &h);
			dns_rr_head(&w, owner, 1, (uint32_t)rng_range(r, 30, 86400));
			bb_be16(&w.b, 4);
			bb_put(&w.b, h.addr.b + 12, 4);
		}
	}
	if (dc == DC_NX) {
		char ns[160], mbox[160];
		snprintf(ns, sizeof(ns), "ns1.%s", zone);
		snprintf(mbox, sizeof(mbox), "hostmaster.%s", zone);
		dns_rr_head(&w, zone, 6, 900);
		size_t at = bb_mark(&w.b, 2);
		dns_name(&w, ns);
		dns_name(&w, mbox);
		bb_be32(&w.b, 2026090100 + (uint32_t)rng_below(r, 99));
		bb_be32(&w.b, 7200);
		bb_be32(&w.b, 900);
		bb_be32(&w.b, 1209600);
		bb_be32(&w.b, 900);
		bb_fill(&w.b, at, 2);
	}
	if (edns)
		dns_opt(&w, 1232);
	a->len = w.b.len;

	if (!g->truth)
		return NULL;
	return json_pack("{s:s, s:i, s:i, s:s}", "qname", qname, "qtype", (int)qtype, "rcode",
			 (int)rcode, "transport", "udp");
}

static enum dns_case pick_dns_case(struct rng *r)
{
	unsigned x = (unsigned)rng_below(r, 100);
	return x < 40 ? DC_A : x < 60 ? DC_AAAA : x < 78 ? DC_CNAME : x < 88 ? DC_MX : DC_NX;
}

static void dns_qname(struct gen *g, enum dns_case dc, int cls, char *out, size_t n)
{
	struct rng *r = &g->rng;
	if (dc == DC_MX)
		snprintf(out, n, "%s", pick_domain(r, cls));
	else if (dc == DC_NX) {
		const char *label = RNG_PICK(r, ((const char *const[]){ "wpad", "old", "test", "vpn" }));
		unsigned num = (unsigned)rng_below(r, 100);
		const char *dom = pick_domain(r, cls);
		snprintf(out, n, "%s%u.%s", label, num, dom);
	}
	else
		pick_hostname(r, cls, out, n);
}

static void sess_dns_udp(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	struct ghost cli, srv;
	struct gflow f;
	char qname[160];

	pick_ends(g, true, &cli, &srv);
	flow_init(&f, g, s, t, &cli, &srv, 0, 53);
	int cls = rng_pct(r, 50) ? GEO_DOMESTIC : GEO_FOREIGN;
	enum dns_case dc = pick_dns_case(r);
	bool pair = dc == DC_A && rng_pct(r, 40);
	bool edns = rng_pct(r, 40);
	dns_qname(g, dc, cls, qname, sizeof(qname));

	for (int k = 0; k < (pair ? 2 : 1); k++) {
		struct bb q = bb_make(g->scratch[0], 1400), a = bb_make(g->scratch[1], 1400);
		json_t *item = dns_exchange(g, k ? DC_AAAA : dc, qname, edns, &q, &a);
		udp_send(&f, 0, q.p, q.len);
		udp_send(&f, 1, a.p, a.len);
		if (item)
			sess_truth(s, T_DNS, item);
	}
}

static void sess_dns_tcp(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	struct ghost cli, srv;
	struct gflow f;
	char qname[160];

	pick_ends(g, true, &cli, &srv);
	flow_init(&f, g, s, t, &cli, &srv, 0, 53);
	enum dns_case dc = pick_dns_case(r);
	dns_qname(g, dc, rng_pct(r, 50) ? GEO_DOMESTIC : GEO_FOREIGN, qname, sizeof(qname));
	struct bb q = bb_make(g->scratch[0] + 2, 4000), a = bb_make(g->scratch[1] + 2, 4000);
	json_t *item = dns_exchange(g, dc, qname, false, &q, &a);
	g->scratch[0][0] = (uint8_t)(q.len >> 8);
	g->scratch[0][1] = (uint8_t)q.len;
	g->scratch[1][0] = (uint8_t)(a.len >> 8);
	g->scratch[1][1] = (uint8_t)a.len;

	tcp_open(&f);
	tcp_send(&f, 0, g->scratch[0], q.len + 2, NULL, 0);
	tcp_send(&f, 1, g->scratch[1], a.len + 2, NULL, 0);
	tcp_close(&f, 0);
	if (item) {
		json_object_set_new(item, "transport", json_string("tcp"));
		sess_truth(s, T_DNS, item);
	}
}

static void sess_tls(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	struct ghost cli, srv;
	struct gflow f;
	char sni[160] = "";

	pick_ends(g, true, &cli, &srv);
	flow_init(&f, g, s, t, &cli, &srv, 0, 443);
	if (!rng_pct(r, 4)) /* a few connect to a bare address */
		pick_hostname(r, srv.cls, sni, sizeof(sni));
	int prof = tls_pick_profile(r);
	bool complete = !rng_pct(r, 5);
	uint64_t req_len = rng_range(r, 60, 1200);
	uint64_t resp_len = rng_range(r, 300, rng_pct(r, 20) ? 40000 : 6000);
	tls_conversation(g, s, &f, prof, sni, complete, req_len, resp_len);
}

/* --- HTTP ------------------------------------------------------------------------------ */

struct http_plan {
	const char *method;
	const char *path;
	char host[192];             /* as sent in Host (port included when not 80) */
	const char *ua;
	const char *keys[3];
	int nkeys;
	bool cookie, auth, body;
	const char *cookie_id;      /* fixed cookie value (a bot's id), else fresh secrets */
	int status;                 /* 200, 302, 404 */
	size_t resp_len;
};

static void http_exchange(struct gen *g, struct gsess *s, struct gflow *f, struct http_plan *h)
{
	struct rng *r = &g->rng;
	struct bb b = bb_make(g->scratch[0], 16384);
	struct bb body = bb_make(g->scratch[2], 8192);
	char sec[20], sec2[20], date[64];

	tcp_open(f);

	/* request line with identifier query values */
	bb_printf(&b, "%s %s", h->method, h->path);
	for (int i = 0; i < h->nkeys; i++) {
		gen_secret(g, s, sec);
		bb_printf(&b, "%c%s=%s", i ? '&' : '?', h->keys[i], sec);
	}
	bb_printf(&b, " HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n", h->host, h->ua);
	bb_str(&b, rng_pct(r, 50) ? "Accept: */*\r\n"
		   : "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n");
	if (rng_pct(r, 60))
		bb_str(&b, "Accept-Language: ja,en-US;q=0.9,en;q=0.8\r\n");
	if (h->cookie && h->cookie_id) {
		bb_printf(&b, "Cookie: id=%s\r\n", h->cookie_id);
	} else if (h->cookie) {
		gen_secret(g, s, sec);
		gen_secret(g, s, sec2);
		bb_printf(&b, "Cookie: sid=%s; _ga=GA1.2.%s\r\n", sec, sec2);
	}
	if (h->auth) {
		gen_secret(g, s, sec);
		if (rng_pct(r, 70)) {
			bb_printf(&b, "Authorization: Bearer %s\r\n", sec);
		} else {
			char cred[64], b64[96];
			snprintf(cred, sizeof(cred), "%s:%s", RNG_PICK(r, given_names), sec);
			base64((const uint8_t *)cred, strlen(cred), b64, sizeof(b64));
			sess_secret(g, s, b64);
			bb_printf(&b, "Authorization: Basic %s\r\n", b64);
		}
	}
	if (h->body) {
		gen_secret(g, s, sec);
		gen_secret(g, s, sec2);
		if (rng_pct(r, 50)) {
			bb_printf(&body, "user=%s&password=%s&csrf=%s", RNG_PICK(r, given_names), sec, sec2);
			bb_str(&b, "Content-Type: application/x-www-form-urlencoded\r\n");
		} else {
			bb_printf(&body, "{\"token\":\"%s\",\"message\":\"%s ", sec, sec2);
			size_t fill = rng_range(r, 10, 1500);
			for (size_t i = 0; i < fill; i++)
				bb_u8(&body, (uint8_t)('a' + rng_below(r, 26)));
			bb_str(&body, "\"}");
			bb_str(&b, "Content-Type: application/json\r\n");
		}
		bb_printf(&b, "Content-Length: %zu\r\n", body.len);
	}
	bb_str(&b, "Connection: keep-alive\r\n\r\n");
	size_t head = b.len;
	size_t cuts[2];
	int ncuts = 0;
	if (rng_pct(r, 25))
		ncuts = pick_cuts(r, 0, head < f->mss ? head : f->mss, 1, cuts);
	if (h->body) {
		if (rng_pct(r, 50) && ncuts < 2)
			cuts[ncuts++] = head; /* body in a write of its own */
		bb_put(&b, body.p, body.len);
	}
	tcp_send(f, 0, b.p, b.len, cuts, ncuts);

	if (g->truth) {
		json_t *keys = json_array();
		for (int i = 0; i < h->nkeys; i++)
			json_array_append_new(keys, json_string(h->keys[i]));
		sess_truth(s, T_HTTP, json_pack("{s:s, s:s, s:s, s:o, s:s}", "method", h->method,
			   "host", h->host, "path", h->path, "query_keys", keys, "user_agent", h->ua));
	}

	/* response */
	b = bb_make(g->scratch[1], sizeof(g->scratch[1]));
	body = bb_make(g->scratch[2], sizeof(g->scratch[2]));
	gen_secret(g, s, sec);
	if (h->status == 200) {
		bb_printf(&body, "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">"
			  "<title>%s</title></head>\n<body>\n<p>account %s</p>\n", h->path, sec);
		while (body.len + 40 < h->resp_len) {
			unsigned i1 = (unsigned)rng_next(r);
			unsigned i2 = (unsigned)rng_next(r);
			bb_printf(&body, "<p>item %08x %08x</p>\n", i1, i2);
		}
		bb_str(&body, "</body></html>\n");
	} else {
		bb_printf(&body, "<html><body>%d %s</body></html>\n", h->status, sec);
	}
	fmt_date(f->t, date, sizeof(date));
	bb_printf(&b, "HTTP/1.1 %d %s\r\nServer: nginx\r\nDate: %s\r\n", h->status,
		  h->status == 200 ? "OK" : h->status == 302 ? "Found" : "Not Found", date);
	bb_str(&b, "Content-Type: text/html; charset=utf-8\r\n");
	bb_printf(&b, "Content-Length: %zu\r\n", body.len);
	if (h->status == 302)
		bb_printf(&b, "Location: http://%s/\r\n", h->host);
	if (rng_pct(r, 30)) {
		gen_secret(g, s, sec2);
		bb_printf(&b, "Set-Cookie: sid=%s; Path=/; HttpOnly\r\n", sec2);
	}
	bb_str(&b, "\r\n");
	bb_put(&b, body.p, body.len);
	tcp_send(f, 1, b.p, b.len, NULL, 0);
	tcp_ack(f, 0);
	tcp_close(f, 0);
}

static void sess_http(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	static const char *const get_paths[] = {
		"/", "/index.html", "/search", "/api/v2/items", "/news/2026/10/01/article.html",
		"/user/profile", "/static/app.js", "/images/logo.png", "/download/setup.exe",
	};
	static const char *const post_paths[] = { "/login", "/api/v1/upload", "/form/submit",
						  "/graphql" };
	static const char *const qkeys[] = { "q", "id", "user", "session", "token", "ref", "uid",
					     "email" };
	struct ghost cli, srv;
	struct gflow f;
	struct http_plan h = { 0 };
	char name[160];

	pick_ends(g, true, &cli, &srv);
	uint16_t port = rng_pct(r, 85) ? 80 : 8080;
	flow_init(&f, g, s, t, &cli, &srv, 0, port);
	pick_hostname(r, srv.cls, name, sizeof(name));
	if (port == 80)
		snprintf(h.host, sizeof(h.host), "%s", name);
	else
		snprintf(h.host, sizeof(h.host), "%s:%u", name, port);
	h.ua = RNG_PICK(r, user_agents);
	h.body = rng_pct(r, 25);
	h.method = h.body ? "POST" : "GET";
	h.path = h.body ? RNG_PICK(r, post_paths) : RNG_PICK(r, get_paths);
	if (!h.body && rng_pct(r, 60)) {
		h.nkeys = (int)rng_range(r, 1, 3);
		size_t k0 = rng_below(r, ARRAY_LEN(qkeys));
		for (int i = 0; i < h.nkeys; i++)
			h.keys[i] = qkeys[(k0 + (size_t)i) % ARRAY_LEN(qkeys)];
	}
	h.cookie = rng_pct(r, 70);
	h.auth = rng_pct(r, 35);
	unsigned st = (unsigned)rng_below(r, 100);
	h.status = st < 85 ? 200 : st < 93 ? 302 : 404;
	h.resp_len = rng_range(r, 200, rng_pct(r, 15) ? 30000 : 5000);
	http_exchange(g, s, &f, &h);
}

/* --- SMTP ------------------------------------------------------------------------------ */

static void smtp_line(struct gflow *f, int side, struct bb *b)
{
	tcp_send(f, side, b->p, b->len, NULL, 0);
	b->len = 0;
}

static void sess_smtp(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	struct ghost cli, srv;
	struct gflow f;
	char sec[20], from[128], rcpt[2][128], helo[160], date[64];
	const char *from_dom, *rcpt_dom[2];

	pick_ends(g, true, &cli, &srv);
	flow_init(&f, g, s, t, &cli, &srv, 0, rng_pct(r, 80) ? 25 : 587);
	from_dom = pick_domain(r, cli.cls);
	int nrcpt = rng_pct(r, 35) ? 2 : 1;
	rcpt_dom[0] = pick_domain(r, srv.cls);
	rcpt_dom[1] = rng_pct(r, 50) ? rcpt_dom[0] : pick_domain(r, srv.cls);
	snprintf(helo, sizeof(helo), "%s.%s", rng_pct(r, 50) ? "mail" : "smtp", from_dom);
	gen_secret(g, s, sec);
	snprintf(from, sizeof(from), "%s.%s@%s", RNG_PICK(r, given_names), sec, from_dom);
	for (int i = 0; i < nrcpt; i++) {
		gen_secret(g, s, sec);
		snprintf(rcpt[i], sizeof(rcpt[i]), "%s.%s@%s", RNG_PICK(r, given_names), sec,
			 rcpt_dom[i]);
	}

	/* the message */
	struct bb m = bb_make(g->scratch[2], 32768);
	char boundary[40], subj[20], text[20], fname[20];
	unsigned b1 = (unsigned)rng_next(r);
	unsigned b2 = (unsigned)rng_next(r);
	snprintf(boundary, sizeof(boundary), "----=_Part_%08x%08x", b1, b2);
	gen_secret(g, s, subj);
	gen_secret(g, s, text);
	gen_secret(g, s, fname);
	fmt_date(f.t, date, sizeof(date));
	bb_printf(&m, "From: %s <%s>\r\nTo: <%s>", RNG_PICK(r, given_names), from, rcpt[0]);
	if (nrcpt == 2)
		bb_printf(&m, ", <%s>", rcpt[1]);
	const char *topic = RNG_PICK(r, ((const char *const[]){ "Quarterly report", "Meeting notes",
								 "Invoice", "Re: schedule" }));
	unsigned mid1 = (unsigned)rng_next(r);
	unsigned mid2 = (unsigned)rng_next(r);
	bb_printf(&m, "\r\nSubject: %s %s\r\nDate: %s\r\nMessage-ID: <%08x.%08x@%s>\r\n",
		  topic, subj, date, mid1, mid2, from_dom);
	bb_printf(&m, "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n",
		  boundary);
	bb_printf(&m, "This is a multi-part message in MIME format.\r\n\r\n--%s\r\n", boundary);
	bb_str(&m, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
	bb_printf(&m, "Hello,\r\n\r\nPlease find the document attached. Reference %s.\r\n", text);
	int lines = (int)rng_range(r, 2, 20);
	for (int i = 0; i < lines; i++)
		{
			unsigned f1 = (unsigned)rng_below(r, 100000);
			unsigned f2 = (unsigned)rng_below(r, 100000);
			bb_printf(&m, "Line %d of the body: figures %u and %u.\r\n", i + 1, f1, f2);
		}
	bb_printf(&m, "\r\n--%s\r\n", boundary);
	bb_printf(&m, "Content-Type: application/pdf; name=\"report-%s.pdf\"\r\n"
		  "Content-Disposition: attachment; filename=\"report-%s.pdf\"\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n", fname, fname);
	/* attachment: a line naming a secret, then binary; base64 in 76-character lines */
	uint8_t att[3072];
	char sec_att[20];
	gen_secret(g, s, sec_att);
	size_t alen = rng_range(r, 200, sizeof(att));
	int hl = snprintf((char *)att, sizeof(att), "%%PDF-1.7 %s confidential\n", sec_att);
	rng_fill(r, att + hl, alen - (size_t)hl);
	for (size_t off = 0; off < alen; off += 57) {
		char line[80];
		base64(att + off, alen - off < 57 ? alen - off : 57, line, sizeof(line));
		if (off == 0)
			sess_secret(g, s, line);
		bb_printf(&m, "%s\r\n", line);
	}
	bb_printf(&m, "\r\n--%s--\r\n", boundary);
	size_t msize = m.len;
	bb_str(&m, ".\r\n");

	/* the dialogue */
	struct bb b = bb_make(g->scratch[0], 4096);
	const char *mx = rcpt_dom[0];
	tcp_open(&f);
	bb_printf(&b, "220 mx.%s ESMTP Postfix\r\n", mx);
	smtp_line(&f, 1, &b);
	bb_printf(&b, "EHLO %s\r\n", helo);
	smtp_line(&f, 0, &b);
	bb_printf(&b, "250-mx.%s\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
		  "250 SMTPUTF8\r\n", mx);
	smtp_line(&f, 1, &b);
	bb_printf(&b, "MAIL FROM:<%s> SIZE=%zu\r\n", from, msize);
	smtp_line(&f, 0, &b);
	bb_str(&b, "250 2.1.0 Ok\r\n");
	smtp_line(&f, 1, &b);
	for (int i = 0; i < nrcpt; i++) {
		bb_printf(&b, "RCPT TO:<%s>\r\n", rcpt[i]);
		smtp_line(&f, 0, &b);
		bb_str(&b, "250 2.1.5 Ok\r\n");
		smtp_line(&f, 1, &b);
	}
	bb_str(&b, "DATA\r\n");
	smtp_line(&f, 0, &b);
	bb_str(&b, "354 End data with <CR><LF>.<CR><LF>\r\n");
	smtp_line(&f, 1, &b);
	tcp_send(&f, 0, m.p, m.len, NULL, 0);
	unsigned q1 = (unsigned)rng_next(r);
	unsigned q2 = (unsigned)rng_below(r, 256);
	bb_printf(&b, "250 2.0.0 Ok: queued as %08X%02X\r\n", q1, q2);
	smtp_line(&f, 1, &b);
	bb_str(&b, "QUIT\r\n");
	smtp_line(&f, 0, &b);
	bb_str(&b, "221 2.0.0 Bye\r\n");
	smtp_line(&f, 1, &b);
	tcp_close(&f, 0);

	if (g->truth) {
		json_t *doms = json_array();
		for (int i = 0; i < nrcpt; i++)
			json_array_append_new(doms, json_string(rcpt_dom[i]));
		sess_truth(s, T_SMTP, json_pack("{s:s, s:s, s:o}", "helo", helo, "mail_from_domain",
			   from_dom, "rcpt_domains", doms));
	}
}

/* --- fragments, scans, Mirai, noise ----------------------------------------------------- */

/* UDP ports no Wireshark dissector claims (both ends use them, since Wireshark tries the lower
 * port first): opaque application data, as from a peer-to-peer game or VPN. */
static const uint16_t frag_ports[] = { 33434, 40001, 41234, 51515, 61000 };

/*
 * First byte of an opaque UDP payload. 0xff is no version of RTP/RTCP (3), no STUN, TFTP,
 * WireGuard or MPEG-TS start, and a reserved COTP length indicator, so Wireshark's heuristic
 * dissectors leave the bytes as data (random bytes there drew RTCP, MP2T and COTP errors).
 */
#define OPAQUE_LEAD 0xff

static void sess_frag(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	struct ghost cli, srv;
	struct gflow f;
	uint8_t *d = g->scratch[0];

	pick_ends(g, false, &cli, &srv);
	if (rng_pct(r, 60)) {
		size_t len = rng_range(r, 1600, 4300);
		uint16_t fsport = RNG_PICK(r, frag_ports);
		uint16_t fdport = RNG_PICK(r, frag_ports);
		flow_init(&f, g, s, t, &cli, &srv, fsport, fdport);
		d[0] = (uint8_t)(f.port[0] >> 8);
		d[1] = (uint8_t)f.port[0];
		d[2] = (uint8_t)(f.port[1] >> 8);
		d[3] = (uint8_t)f.port[1];
		d[4] = (uint8_t)(len >> 8);
		d[5] = (uint8_t)len;
		rng_fill(r, d + 8, len - 8);
		d[8] = OPAQUE_LEAD;
		int n = ip4_send_fragmented(&f, 0, 17, d, len);
		s->frag_datagrams += 1;
		s->frag_frames += (uint32_t)n;
	} else {
		/* ping -s N with N above the MTU: request and reply both fragmented */
		size_t len = rng_range(r, 1600, 4000);
		uint16_t id = (uint16_t)rng_next(r), seq = (uint16_t)rng_range(r, 1, 20);
		flow_init(&f, g, s, t, &cli, &srv, 0, 0);
		for (int side = 0; side < 2; side++) {
			d[0] = side ? 0 : 8;
			d[1] = 0;
			d[4] = (uint8_t)(id >> 8);
			d[5] = (uint8_t)id;
			d[6] = (uint8_t)(seq >> 8);
			d[7] = (uint8_t)seq;
			for (size_t i = 8; i < len; i++)
				d[i] = (uint8_t)i;
			int n = ip4_send_fragmented(&f, side, 1, d, len);
			s->frag_datagrams += 1;
			s->frag_frames += (uint32_t)n;
		}
	}
}

static void sess_scan(struct gen *g, struct gsess *s, uint64_t t)
{
	struct rng *r = &g->rng;
	static const uint16_t ports[] = {
		21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 1433, 1723, 3306, 3389,
		5432, 5900, 6379, 8080, 8443, 9200, 27017,
	};
	uint16_t sel[ARRAY_LEN(ports)];
	struct ghost scanner, target;
	struct gflow f;
	char b1[SK_ADDR_STRLEN], b2[SK_ADDR_STRLEN], pfx[64];

	gen_host(g, GEO_FOREIGN, 4, true, &scanner);
	gen_host(g, GEO_DOMESTIC, 4, true, &target);
	uint32_t net = addr_v4(&target.addr) & 0xffffff00u;
	int nports = (int)rng_range(r, 3, 20), nhosts = (int)rng_range(r, 4, 24);
	memcpy(sel, ports, sizeof(ports));
	for (int i = 0; i < nports; i++) { /* partial Fisher-Yates */
		size_t j = (size_t)i + rng_below(r, ARRAY_LEN(ports) - (size_t)i);
		uint16_t x = sel[i];
		sel[i] = sel[j];
		sel[j] = x;
	}
	flow_init(&f, g, s, t, &scanner, &target, (uint16_t)rng_range(r, 40000, 65000), 0);
	f.ttl[0] = (uint8_t)(rng_pct(r, 50) ? 241 : 49);
	uint8_t opt[4] = { 2, 4, 0x05, 0xb4 }; /* MSS 1460, as nmap's SYN */
	uint64_t ts = t;
	int probes = nports * nhosts;
	for (int k = 0; k < probes; k++) {
		int pi = k % nports, hi = k / nports;
		struct ghost h = target;
		addr_from_v4(&h.addr, net | (uint32_t)((hi * 37 + 1) % 254 + 1));
		flow_set_peer(&f, &h, sel[pi]);
		uint32_t seq = (uint32_t)rng_next(r);
		tcp_raw(&f, 0, ts, seq, 0, 0x02, 1024, opt, sizeof(opt));
		unsigned x = (unsigned)rng_below(r, 100);
		uint64_t back = ts + 2ull * f.delay[1] + rng_range(r, 50, 500);
		if (x < 4) {
			uint8_t o2[4] = { 2, 4, 0x05, 0xb4 };
			tcp_raw(&f, 1, back, (uint32_t)rng_next(r), seq + 1, 0x12, 64240, o2, 4);
			tcp_raw(&f, 0, back + 2ull * f.delay[0] + 30, seq + 1, 0, 0x04, 0, NULL, 0);
		} else if (x < 20) {
			tcp_raw(&f, 1, back, 0, seq + 1, 0x14, 0, NULL, 0);
		}
		ts += rng_range(r, 200, 3000);
	}
	if (g->truth) {
		struct sk_addr na;
		addr_from_v4(&na, net);
		snprintf(pfx, sizeof(pfx), "%s/24", addr_format(&na, b2));
		sess_truth(s, T_SCAN, json_pack("{s:s, s:s, s:i, s:i}", "src",
			   addr_format(&scanner.addr, b1), "dst_prefix", pfx, "ports", nports,
			   "probes", probes));
	}
}

void proto_mirai(struct gen *g, struct gsess *s, int m, uint64_t t)
{
	struct rng *r = &g->rng;
	struct gflow f;
	struct ghost dst;
	uint64_t ts = t;

	gen_host(g, GEO_DOMESTIC, 4, true, &dst);
	flow_init(&f, g, s, t, &g->mirai[m].src, &dst, 0, 23);
	int n = (int)rng_range(r, 20, 120);
	for (int i = 0; i < n; i++) {
		gen_host(g, rng_pct(r, 60) ? GEO_DOMESTIC : GEO_FOREIGN, 4, true, &dst);
		flow_set_peer(&f, &dst, rng_pct(r, 90) ? 23 : 2323);
		f.port[0] = (uint16_t)rng_range(r, 1024, 65535);
		f.ipid[0] = (uint16_t)rng_next(r);
		tcp_raw(&f, 0, ts, addr_v4(&dst.addr), 0, 0x02, (uint16_t)rng_range(r, 1000, 65535),
			NULL, 0);
		ts += rng_range(r, 1000, 20000);
	}
	s->mirai_bot = m;
}

void proto_noise(struct gen *g, struct gsess *s, uint64_t t, int max_frames)
{
	struct rng *r = &g->rng;
	struct ghost cli, srv;
	struct gflow f;
	uint8_t d[256];
	unsigned x = (unsigned)rng_below(r, 100);

	pick_ends(g, true, &cli, &srv);
	if (x < 40) {
		/* ping: 56 bytes of the usual pattern after an 8-byte timestamp */
		uint16_t id = (uint16_t)rng_next(r), seq = (uint16_t)rng_range(r, 1, 500);
		flow_init(&f, g, s, t, &cli, &srv, 0, 0);
		for (int i = 0; i < 56; i++)
			d[i] = i < 8 ? (uint8_t)rng_next(r) : (uint8_t)i;
		icmp_echo(&f, 0, false, id, seq, d, 56);
		if (max_frames >= 2 && rng_pct(r, 85))
			icmp_echo(&f, 1, true, id, seq, d, 56);
	} else if (x < 70) {
		size_t n = rng_range(r, 16, 200);
		uint16_t fsport = RNG_PICK(r, frag_ports);
		uint16_t fdport = RNG_PICK(r, frag_ports);
		flow_init(&f, g, s, t, &cli, &srv, fsport, fdport);
		rng_fill(r, d, n);
		d[0] = OPAQUE_LEAD;
		udp_send(&f, 0, d, n);
	} else {
		/* a stray ACK (or RST) of a connection that started before the capture */
		flow_init(&f, g, s, t, &cli, &srv, 0, rng_pct(r, 60) ? 443 : 80);
		int side = (int)rng_below(r, 2);
		uint32_t seq = (uint32_t)rng_next(r);
		uint32_t ack = (uint32_t)rng_next(r);
		uint8_t flags = rng_pct(r, 20) ? 0x14 : 0x10;
		uint16_t win = (uint16_t)rng_range(r, 200, 2000);
		tcp_raw(&f, side, t, seq, ack, flags, win, NULL, 0);
	}
}

/* --- beacons --------------------------------------------------------------------------- */

void proto_beacon_plan(struct gen *g, struct beacon_plan *b)
{
	struct rng *r = &g->rng;
	static const char *const c2_names[] = { "update.cdn-telemetry.net", "sync.static-metrics.com",
						"api.cloud-checkin.org", "img.pixel-cache.info" };
	static const char *const c2_paths[] = { "/gate.php", "/api/beacon", "/check", "/jquery.min.js" };
	static const uint32_t periods[] = { 60, 60, 30, 120 };
	static const char an[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	int fam = rng_pct(r, 85) ? 4 : 6;

	memset(b, 0, sizeof(*b));
	gen_host(g, GEO_DOMESTIC, fam, true, &b->src);
	gen_host(g, GEO_FOREIGN, fam, true, &b->dst);
	b->tls = rng_pct(r, 50);
	b->dport = b->tls ? 443 : rng_pct(r, 60) ? 80 : 8080;
	b->profile = (uint8_t)(rng_pct(r, 50) ? P_LEGACY : P_CURL);
	b->period_s = RNG_PICK(r, periods);
	b->next_us = g->start_us + rng_below(r, (uint64_t)b->period_s * 1000000);
	if (!b->tls || rng_pct(r, 70))
		snprintf(b->sni, sizeof(b->sni), "%s", RNG_PICK(r, c2_names));
	snprintf(b->path, sizeof(b->path), "%s", RNG_PICK(r, c2_paths));
	snprintf(b->ua, sizeof(b->ua), "%s", rng_pct(r, 50)
		 ? "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)" : "Go-http-client/1.1");
	memcpy(b->bot_id, "SECRET-", 7);
	for (int i = 0; i < 12; i++)
		b->bot_id[7 + i] = an[rng_below(r, 62)];
	b->bot_id[19] = '\0';
}

void proto_beacon(struct gen *g, struct gsess *s, struct beacon_plan *b, uint64_t t)
{
	struct rng *r = &g->rng;
	struct gflow f;

	flow_init(&f, g, s, t, &b->src, &b->dst, 0, b->dport);
	if (b->tls) {
		uint64_t req_len = rng_range(r, 80, 200);
		uint64_t resp_len = rng_range(r, 40, 300);
		tls_conversation(g, s, &f, b->profile, b->sni, true, req_len, resp_len);
		return;
	}
	struct http_plan h = { 0 };
	h.method = "GET";
	h.path = b->path;
	if (b->dport == 80)
		snprintf(h.host, sizeof(h.host), "%s", b->sni);
	else
		snprintf(h.host, sizeof(h.host), "%s:%u", b->sni, b->dport);
	h.ua = b->ua;
	h.keys[0] = "t"; /* a fresh secret per beacon; the bot's id rides in the cookie */
	h.nkeys = 1;
	h.cookie = true;
	h.cookie_id = b->bot_id;
	h.status = 200;
	h.resp_len = rng_range(r, 60, 200);
	http_exchange(g, s, &f, &h);
}

void proto_session(struct gen *g, struct gsess *s, enum sess_kind kind, uint64_t t)
{
	switch (kind) {
	case SK_DNS_UDP: sess_dns_udp(g, s, t); break;
	case SK_DNS_TCP: sess_dns_tcp(g, s, t); break;
	case SK_TLS: sess_tls(g, s, t); break;
	case SK_HTTP: sess_http(g, s, t); break;
	case SK_SMTP: sess_smtp(g, s, t); break;
	case SK_FRAG: sess_frag(g, s, t); break;
	case SK_SCAN: sess_scan(g, s, t); break;
	case SK_MIRAI:
		if (g->nmirai > 0)
			proto_mirai(g, s, (int)rng_below(&g->rng, (uint64_t)g->nmirai), t);
		break;
	case SK_NOISE:
	default: proto_noise(g, s, t, 2); break;
	}
}

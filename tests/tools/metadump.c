/*
 * metadump — print what the extraction engine finds in a capture, one field a line, under
 * tshark's field names, so that tests/integration/tshark_compare.sh can compare the two:
 *
 *   metadump FILE.pcap        →   dns.qry.name<TAB>www.example.jp
 *                                 tls.handshake.ja3<TAB>0149f47e…
 *
 * Fields (tshark's names; the last two are derived from smtp.req.parameter by the script):
 *   dns.qry.name dns.qry.type dns.flags.rcode (responses) dns.a dns.aaaa dns.cname
 *   tls.handshake.extensions_server_name tls.handshake.ja3
 *   tls.handshake.extensions_alpn_str (protocols joined by ',')
 *   http.request.method http.host http.user_agent http.request.uri.path (before '?')
 *   smtp.req.command (HELO for EHLO and HELO alike, MAIL, RCPT)
 *   smtp.helo (the EHLO/HELO name), smtp.domain (domain of MAIL FROM / RCPT TO)
 * Values are printed as extracted (pseudonyms included). At the end, the engine's counters
 * go to standard error. A test tool: not part of the sakimori command.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/pseudo.h"
#include "meta/meta.h"
#include "packet/decode.h"
#include "packet/source.h"

static void field(const char *name, const char *value)
{
	printf("%s\t%s\n", name, value);
}

static void on_dns(const struct dns_msg *d)
{
	char buf[SK_ADDR_STRLEN + 8];

	field("dns.qry.name", d->qname[0] ? d->qname : "<Root>");
	snprintf(buf, sizeof(buf), "%u", d->qtype);
	field("dns.qry.type", buf);
	if (!d->response)
		return;
	snprintf(buf, sizeof(buf), "%u", d->rcode);
	field("dns.flags.rcode", buf);
	for (unsigned i = 0; i < d->nanswers; i++) {
		const struct dns_answer *a = &d->ans[i];

		if (a->type == 1 && a->is_addr)
			field("dns.a", addr_format(&a->addr, buf));
		else if (a->type == 28 && a->is_addr)
			field("dns.aaaa", addr_format(&a->addr, buf));
		else if (a->type == 5)
			field("dns.cname", a->name);
	}
}

static void on_smtp(const struct smtp_cmd *c)
{
	const char *at;

	switch (c->kind) {
	case SMTP_HELO:
		field("smtp.req.command", "HELO");
		field("smtp.helo", c->value);
		break;
	case SMTP_MAIL_FROM:
	case SMTP_RCPT_TO:
		field("smtp.req.command", c->kind == SMTP_MAIL_FROM ? "MAIL" : "RCPT");
		at = strrchr(c->value, '@');
		if (at)
			field("smtp.domain", at + 1);
		break;
	}
}

static void on_event(void *ctx, const struct meta_event *ev)
{
	char path[HTTP_URI_MAX];

	switch (ev->kind) {
	case META_DNS:
		on_dns(ev->u.dns);
		break;
	case META_TLS: {
		struct tls_hello h;
		if (meta_tls_fingerprints(ev, &h) < 0)
			break;
		if (h.sni[0])
			field("tls.handshake.extensions_server_name", h.sni);
		field("tls.handshake.ja3", h.ja3);
		if (h.alpn[0])
			field("tls.handshake.extensions_alpn_str", h.alpn);
		break;
	}
	case META_HTTP:
		field("http.request.method", ev->u.http->method);
		if (ev->u.http->host[0])
			field("http.host", ev->u.http->host);
		if (ev->u.http->user_agent[0])
			field("http.user_agent", ev->u.http->user_agent);
		snprintf(path, sizeof(path), "%s", ev->u.http->uri);
		path[strcspn(path, "?")] = '\0';
		field("http.request.uri.path", path);
		break;
	case META_SMTP:
		on_smtp(ev->u.smtp);
		break;
	}
}

int main(int argc, char **argv)
{
	static const uint8_t zero[PSEUDO_KEYLEN];
	struct pseudo key;
	struct meta_engine *m = NULL;
	struct source *src = NULL;
	struct frame f;
	struct pkt p;
	char err[256];
	enum src_status st;
	uint64_t frames = 0, decoded = 0;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: metadump FILE.pcap\n");
		return 2;
	}
	pseudo_init(&key, zero);
	src = source_open_file(argv[1], err, sizeof(err));
	if (!src) {
		fprintf(stderr, "metadump: %s\n", err);
		goto out;
	}
	m = meta_new(NULL, &key, on_event, NULL);
	if (!m) {
		fprintf(stderr, "metadump: out of memory\n");
		goto out;
	}
	int link = source_linktype(src);
	while ((st = source_next(src, &f)) == SRC_FRAME) {
		frames++;
		if (pkt_decode(link, f.data, f.caplen, &p) != PKT_OK)
			continue;
		p.ts_us = f.ts_us;
		p.caplen = f.caplen;
		p.wirelen = f.wirelen;
		decoded++;
		meta_packet(m, &p);
	}
	meta_flush(m);
	if (st == SRC_ERROR) {
		fprintf(stderr, "metadump: %s\n", source_error(src));
		goto out;
	}

	const struct meta_counts *c = meta_counts(m);
	fprintf(stderr,
		"metadump: frames %" PRIu64 " decoded %" PRIu64 " dns %" PRIu64 "/%" PRIu64
		" tls %" PRIu64 "/%" PRIu64 " http %" PRIu64 "/%" PRIu64 " smtp %" PRIu64
		" cmds in %" PRIu64 " sessions; streams %" PRIu64 " evicted %" PRIu64
		" timed out %" PRIu64 " out-of-order %" PRIu64 " overflow %" PRIu64
		" fragments %" PRIu64 "\n",
		frames, decoded, c->dns, c->dns_err, c->tls, c->tls_err, c->http, c->http_err,
		c->smtp_cmds, c->smtp_sessions, c->streams, c->streams_evicted,
		c->streams_timed_out, c->out_of_order, c->overflow, c->fragments);
	rc = 0;
out:
	meta_free(m);
	source_close(src);
	pseudo_wipe(&key);
	return rc;
}

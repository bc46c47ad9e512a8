/*
 * flow.c — the selected-flow table (see flow.h).
 *
 * Layout: a power-of-two array of hash chains, keyed by pairhash() (common/pairhash.h: both
 * directions find the same flow, a hostile sender cannot aim at one chain); and a doubly linked list in
 * order of last packet (head = most recent) for idle expiry and eviction.
 *
 * The mechanical information of a flow is kept as jansson values from the moment it is
 * extracted; the record is assembled from them at emission. jansson's allocator is set to
 * wipe every block it frees, so nothing a flow held survives its release in the heap.
 */
#include "select/flow.h"

#include "common/pairhash.h"

#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct flow {
	struct flow *hnext;
	struct flow *lprev, *lnext;
	uint64_t hash;

	uint8_t proto;
	struct sk_addr src, dst;
	uint16_t sport, dport;
	struct geo_info gs, gd;
	enum direction dir;

	uint64_t ts_first, ts_last, packets, bytes;
	uint8_t fin;            /* bit 0: src sent FIN, bit 1: dst sent FIN */

	uint32_t nsel;
	uint32_t *sel;          /* selector indices, ascending */

	json_t *dns, *tls, *http, *smtp;
};

struct flow_table {
	const struct sel_set *set;
	struct flow_limits lim;
	flow_emit_cb emit;
	void *ctx;
	uint8_t key[PAIRHASH_KEYBYTES];

	struct flow **buckets;
	size_t nbuckets;        /* power of two */
	size_t nflows;
	struct flow *head, *tail;

	uint64_t *sel_packets, *sel_flows;
	struct flow_counts c;
};

static void wiping_free(void *p)
{
	if (!p)
		return;
	sodium_memzero(p, malloc_usable_size(p));
	free(p);
}

struct flow_table *flow_table_new(const struct sel_set *set, const struct flow_limits *limits,
				  flow_emit_cb emit, void *ctx)
{
	struct flow_table *t = calloc(1, sizeof(*t));
	size_t nsel = sel_count(set);

	if (!t)
		return NULL;
	if (sodium_init() < 0)
		goto err;
	json_set_alloc_funcs(malloc, wiping_free);
	t->set = set;
	t->lim.max_flows = limits && limits->max_flows ? limits->max_flows : 262144;
	t->lim.idle_us = limits && limits->idle_us ? limits->idle_us : 60ULL * 1000000;
	t->emit = emit;
	t->ctx = ctx;
	randombytes_buf(t->key, sizeof(t->key));
	t->nbuckets = 1024;
	while (t->nbuckets < t->lim.max_flows)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	t->sel_packets = calloc(nsel ? nsel : 1, sizeof(uint64_t));
	t->sel_flows = calloc(nsel ? nsel : 1, sizeof(uint64_t));
	if (!t->buckets || !t->sel_packets || !t->sel_flows)
		goto err;
	return t;
err:
	free(t->buckets);
	free(t->sel_packets);
	free(t->sel_flows);
	free(t);
	return NULL;
}

static uint64_t flow_hash(const struct flow_table *t, uint8_t proto, const struct sk_addr *a,
			  uint16_t ap, const struct sk_addr *b, uint16_t bp)
{
	return pairhash(t->key, proto, a, ap, b, bp);
}

static bool flow_is(const struct flow *f, const struct pkt *p)
{
	if (f->proto != p->proto)
		return false;
	if (f->sport == p->sport && f->dport == p->dport && !addr_cmp(&f->src, &p->src) &&
	    !addr_cmp(&f->dst, &p->dst))
		return true;
	return f->sport == p->dport && f->dport == p->sport && !addr_cmp(&f->src, &p->dst) &&
	       !addr_cmp(&f->dst, &p->src);
}

static uint16_t port_of(const struct pkt *p, bool src)
{
	if (!p->has_l4)
		return 0;
	return src ? p->sport : p->dport;
}

struct flow *flow_find(struct flow_table *t, const struct pkt *p)
{
	if (!t->nflows)
		return NULL;
	uint64_t h = flow_hash(t, p->proto, &p->src, port_of(p, true), &p->dst, port_of(p, false));
	for (struct flow *f = t->buckets[h & (t->nbuckets - 1)]; f; f = f->hnext)
		if (f->hash == h && flow_is(f, p))
			return f;
	return NULL;
}

static void lru_unlink(struct flow_table *t, struct flow *f)
{
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		t->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		t->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void lru_push(struct flow_table *t, struct flow *f)
{
	f->lnext = t->head;
	f->lprev = NULL;
	if (t->head)
		t->head->lprev = f;
	t->head = f;
	if (!t->tail)
		t->tail = f;
}

static const char *channel_name(enum sel_channel c)
{
	switch (c) {
	case SEL_AGREEMENT: return "agreement";
	case SEL_TRANSIT: return "transit";
	case SEL_SPECIFIC: return "specific";
	}
	return "unknown";
}

static const char *proto_name(uint8_t proto, char buf[8])
{
	switch (proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmpv6";
	}
	snprintf(buf, 8, "%u", proto);
	return buf;
}

char *flow_format_time(uint64_t us, char *buf)
{
	time_t s = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(buf, FLOW_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(us % 1000000));
	return buf;
}

static json_t *json_addr(const struct sk_addr *a)
{
	char s[SK_ADDR_STRLEN];
	return json_string(addr_format(a, s));
}

static void set_new(json_t *obj, const char *key, json_t *v)
{
	json_object_set_new(obj, key, v ? v : json_null());
}

static json_t *build_record(const struct flow_table *t, const struct flow *f)
{
	json_t *r = json_object(), *sels = json_array(), *apps = json_array();
	const char *channel = NULL;
	char tbuf[FLOW_TIME_LEN], pbuf[8];

	for (uint32_t i = 0; i < f->nsel; i++) {
		const struct sel_approval *a = sel_approval_of(t->set, f->sel[i]);
		json_array_append_new(sels, json_string(sel_id(t->set, f->sel[i])));
		bool seen = false;
		for (size_t j = 0; j < json_array_size(apps); j++)
			if (!strcmp(json_string_value(json_array_get(apps, j)), a->id))
				seen = true;
		if (!seen)
			json_array_append_new(apps, json_string(a->id));
		if (!channel)
			channel = channel_name(a->channel);
		else if (strcmp(channel, channel_name(a->channel)) != 0)
			channel = "mixed";
	}
	set_new(r, "ts_first", json_string(flow_format_time(f->ts_first, tbuf)));
	set_new(r, "ts_last", json_string(flow_format_time(f->ts_last, tbuf)));
	set_new(r, "selectors", sels);
	set_new(r, "approvals", apps);
	set_new(r, "channel", json_string(channel ? channel : "unknown"));
	set_new(r, "direction", json_string(direction_name(f->dir)));
	set_new(r, "proto", json_string(proto_name(f->proto, pbuf)));
	set_new(r, "src_ip", json_addr(&f->src));
	set_new(r, "src_port", json_integer(f->sport));
	set_new(r, "dst_ip", json_addr(&f->dst));
	set_new(r, "dst_port", json_integer(f->dport));
	set_new(r, "src_cc", f->gs.cc[0] ? json_string(f->gs.cc) : json_null());
	set_new(r, "dst_cc", f->gd.cc[0] ? json_string(f->gd.cc) : json_null());
	set_new(r, "src_asn", json_integer(f->gs.asn));
	set_new(r, "dst_asn", json_integer(f->gd.asn));
	set_new(r, "packets", json_integer((json_int_t)f->packets));
	set_new(r, "bytes", json_integer((json_int_t)f->bytes));
	if (f->dns)
		json_object_set(r, "dns", f->dns);
	if (f->tls)
		json_object_set(r, "tls", f->tls);
	if (f->http)
		json_object_set(r, "http", f->http);
	if (f->smtp)
		json_object_set(r, "smtp", f->smtp);
	return r;
}

/* Unlink, emit (if emit), wipe and free a flow. */
static void flow_release(struct flow_table *t, struct flow *f, bool emit)
{
	struct flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];

	while (*pp != f)
		pp = &(*pp)->hnext;
	*pp = f->hnext;
	lru_unlink(t, f);
	t->nflows--;

	if (emit && t->emit) {
		json_t *r = build_record(t, f);
		char *line = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line) {
			size_t n = strlen(line);
			t->emit(t->ctx, line, n);
			sodium_memzero(line, n);
			free(line);
		}
		json_decref(r);
		t->c.emitted++;
	}
	json_decref(f->dns);
	json_decref(f->tls);
	json_decref(f->http);
	json_decref(f->smtp);
	if (f->sel)
		sodium_memzero(f->sel, f->nsel * sizeof(*f->sel));
	free(f->sel);
	sodium_memzero(f, sizeof(*f));
	free(f);
}

struct flow *flow_create(struct flow_table *t, const struct pkt *p, const struct geo_info *gs,
			 const struct geo_info *gd, enum direction dir, const uint32_t *sel, size_t n)
{
	struct flow *f;

	if (t->nflows >= t->lim.max_flows && t->tail) {
		t->c.evicted++;
		flow_release(t, t->tail, true);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->proto = p->proto;
	f->src = p->src;
	f->dst = p->dst;
	f->sport = port_of(p, true);
	f->dport = port_of(p, false);
	f->gs = *gs;
	f->gd = *gd;
	f->dir = dir;
	f->ts_first = f->ts_last = p->ts_us;
	f->hash = flow_hash(t, f->proto, &f->src, f->sport, &f->dst, f->dport);
	size_t b = f->hash & (t->nbuckets - 1);
	f->hnext = t->buckets[b];
	t->buckets[b] = f;
	lru_push(t, f);
	t->nflows++;
	t->c.created++;
	flow_add_selectors(t, f, sel, n);
	return f;
}

void flow_add_selectors(struct flow_table *t, struct flow *f, const uint32_t *sel, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t s = sel[i], j;
		for (j = 0; j < f->nsel && f->sel[j] < s; j++)
			;
		if (j < f->nsel && f->sel[j] == s)
			continue;
		uint32_t *grown = realloc(f->sel, (f->nsel + 1) * sizeof(*grown));
		if (!grown)
			return;
		f->sel = grown;
		memmove(f->sel + j + 1, f->sel + j, (f->nsel - j) * sizeof(*f->sel));
		f->sel[j] = s;
		f->nsel++;
		t->sel_flows[s]++;
	}
}

bool flow_eligible(const struct flow_table *t, const struct flow *f, const struct pkt *p,
		   enum direction dir)
{
	for (uint32_t i = 0; i < f->nsel; i++)
		if (sel_eligible(sel_approval_of(t->set, f->sel[i]), dir, p->ts_us, &p->src, &p->dst))
			return true;
	return false;
}

void flow_packet(struct flow_table *t, struct flow *f, const struct pkt *p, bool eligible)
{
	bool from_src = !addr_cmp(&p->src, &f->src) && port_of(p, true) == f->sport;

	if (eligible) {
		f->packets++;
		f->bytes += p->wirelen;
		f->ts_last = p->ts_us;
		for (uint32_t i = 0; i < f->nsel; i++)
			t->sel_packets[f->sel[i]]++;
		lru_unlink(t, f);
		lru_push(t, f);
	}
	if (p->proto != 6 || !p->has_l4)
		return;
	if (p->tcp_flags & TCPF_RST) {
		t->c.ended++;
		flow_release(t, f, true);
		return;
	}
	/* After FIN from both sides the flow ends with the ACK of the last FIN, so that ACK
	 * belongs to this record instead of opening a new flow; a capture that ends before it,
	 * or an ACK that never comes, ends the flow at the input's end or the idle timeout. */
	if (f->fin == 3 && !(p->tcp_flags & TCPF_FIN) && (p->tcp_flags & TCPF_ACK)) {
		t->c.ended++;
		flow_release(t, f, true);
		return;
	}
	if (p->tcp_flags & TCPF_FIN)
		f->fin |= from_src ? 1 : 2;
}

static json_t *dns_json(const struct dns_msg *m)
{
	json_t *o = json_object(), *ans = json_array();
	char s[SK_ADDR_STRLEN];

	set_new(o, "qname", json_string(m->qname));
	set_new(o, "qtype", json_integer(m->qtype));
	set_new(o, "rcode", json_integer(m->rcode));
	for (unsigned i = 0; i < m->nanswers; i++) {
		const struct dns_answer *a = &m->ans[i];
		if (a->is_addr)
			json_array_append_new(ans, json_string(addr_format(&a->addr, s)));
		else if (a->name[0])
			json_array_append_new(ans, json_string(a->name));
	}
	set_new(o, "answers", ans);
	return o;
}

static json_t *tls_json(const struct tls_hello *h)
{
	json_t *o = json_object();
	char vbuf[8];

	set_new(o, "sni", h->sni[0] ? json_string(h->sni) : json_null());
	set_new(o, "alpn", h->alpn[0] ? json_string(h->alpn) : json_null());
	set_new(o, "version", json_string(tls_version_name(h->max_version, vbuf)));
	set_new(o, "ja3", json_string(h->ja3));
	set_new(o, "ja4", json_string(h->ja4));
	return o;
}

static json_t *http_json(const struct http_req *r)
{
	json_t *o = json_object();

	set_new(o, "method", json_string(r->method));
	set_new(o, "host", r->host[0] ? json_string(r->host) : json_null());
	set_new(o, "uri", json_string(r->uri));
	set_new(o, "user_agent", r->user_agent[0] ? json_string(r->user_agent) : json_null());
	return o;
}

static void smtp_add(struct flow_table *t, struct flow *f, const struct smtp_cmd *c)
{
	if (!f->smtp) {
		f->smtp = json_object();
		set_new(f->smtp, "helo", json_null());
		set_new(f->smtp, "mail_from", json_null());
		set_new(f->smtp, "rcpt_to", json_array());
	}
	switch (c->kind) {
	case SMTP_HELO:
		if (json_is_null(json_object_get(f->smtp, "helo")))
			set_new(f->smtp, "helo", json_string(c->value));
		break;
	case SMTP_MAIL_FROM:
		if (json_is_null(json_object_get(f->smtp, "mail_from")))
			set_new(f->smtp, "mail_from", json_string(c->value));
		break;
	case SMTP_RCPT_TO: {
		json_t *a = json_object_get(f->smtp, "rcpt_to");
		if (json_array_size(a) < FLOW_MAX_RCPT)
			json_array_append_new(a, json_string(c->value));
		else
			t->c.dropped_meta++;
		break;
	}
	}
}

/* Append v to *arr (created on first use) unless the array is at its cap. */
static void append_capped(struct flow_table *t, json_t **arr, json_t *v, size_t cap)
{
	if (!*arr)
		*arr = json_array();
	if (json_array_size(*arr) < cap)
		json_array_append_new(*arr, v);
	else {
		json_decref(v);
		t->c.dropped_meta++;
	}
}

void flow_meta(struct flow_table *t, struct flow *f, const struct meta_event *ev)
{
	switch (ev->kind) {
	case META_DNS:
		append_capped(t, &f->dns, dns_json(ev->u.dns), FLOW_MAX_DNS);
		break;
	case META_TLS:
		if (!f->tls)
			f->tls = tls_json(ev->u.tls);
		break;
	case META_HTTP:
		append_capped(t, &f->http, http_json(ev->u.http), FLOW_MAX_HTTP);
		break;
	case META_SMTP:
		smtp_add(t, f, ev->u.smtp);
		break;
	}
}

void flow_expire(struct flow_table *t, uint64_t now_us)
{
	while (t->tail && t->tail->ts_last + t->lim.idle_us < now_us) {
		t->c.timed_out++;
		flow_release(t, t->tail, true);
	}
}

void flow_flush(struct flow_table *t)
{
	while (t->tail)
		flow_release(t, t->tail, true);
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	while (t->tail)
		flow_release(t, t->tail, false);
	free(t->buckets);
	free(t->sel_packets);
	free(t->sel_flows);
	free(t);
}

const uint64_t *flow_selector_packets(const struct flow_table *t) { return t->sel_packets; }
const uint64_t *flow_selector_flows(const struct flow_table *t) { return t->sel_flows; }
const struct flow_counts *flow_counts(const struct flow_table *t) { return &t->c; }
size_t flow_open(const struct flow_table *t) { return t->nflows; }

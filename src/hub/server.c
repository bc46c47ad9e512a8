/*
 * server.c — the hub over HTTP (libmicrohttpd). Nothing else in the hub knows about HTTP.
 *
 * libmicrohttpd calls on_request() several times per request: once when the headers are in,
 * once per piece of body, and once more when the body is complete. The body is collected into
 * a buffer that never grows past the route's limit (hub_body_limit: JSON routes 64 KiB,
 * records 16 MiB by default): a Content-Length over the limit is answered 413 at once, before
 * a byte of body is read (the connection is closed after the answer); a chunked body that
 * grows past it is read and dropped, and answered 413 when it ends. The finished request
 * goes to hub_handle(); its JSON is written back with Content-Type application/json, and a
 * 2xx write's audit index also as X-Audit-Index.
 *
 * Threads: MHD_USE_AUTO (epoll on Linux) with an internal polling thread, or a pool of
 * cfg.threads of them; the hub lock (dispatch.c) serialises store access. A retention thread
 * calls hub_retention_sweep() every cfg.sweep_interval_s with the hub lock held; the sweep
 * opens and commits its own transaction (records.c). hub_serve() returns when *stop is set.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>

#include "common/log.h"
#include "hub/hub.h"

#define MAX_QUERY_PAIRS 32

/* Per-request state between the calls of on_request. */
struct conn_ctx {
	uint8_t *buf;      /* body so far, at most limit bytes */
	size_t len, cap, limit;
	int too_big;       /* the body passed the limit: dropped, answered 413 at the end */
	int answered;      /* a response is queued already */
};

struct query_ctx {
	const char *kv[2 * MAX_QUERY_PAIRS + 1];
	size_t n;
	int overflow;
};

static enum MHD_Result reply_json(struct MHD_Connection *c, int status, json_t *body)
{
	struct MHD_Response *r;
	json_t *idx = json_is_object(body) ? json_object_get(body, "audit_index") : NULL;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	size_t len;
	enum MHD_Result ret;

	if (!text) {
		status = 500;
		text = strdup("{\"error\":\"internal error\"}");
		if (!text)
			return MHD_NO;
	}
	len = strlen(text);
	{
		char *nl = realloc(text, len + 2);

		if (!nl) {
			free(text);
			return MHD_NO;
		}
		text = nl;
		text[len++] = '\n';
		text[len] = '\0';
	}
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (json_is_integer(idx)) {
		char v[32];

		snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(idx));
		MHD_add_response_header(r, "X-Audit-Index", v);
	}
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_error(struct MHD_Connection *c, int status, const char *msg)
{
	json_t *body = json_pack("{s:s}", "error", msg);
	enum MHD_Result ret = reply_json(c, status, body);

	json_decref(body);
	return ret;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct query_ctx *q = cls;

	if (q->n == MAX_QUERY_PAIRS) {
		q->overflow = 1;
		return MHD_NO;
	}
	q->kv[2 * q->n] = key ? key : "";
	q->kv[2 * q->n + 1] = value ? value : "";
	q->n++;
	return MHD_YES;
}

/* Append to the body buffer, doubling it up to the limit. */
static int body_append(struct conn_ctx *cx, const char *data, size_t n)
{
	if (n > cx->limit - cx->len)
		return -1;
	if (cx->len + n > cx->cap) {
		size_t cap = cx->cap ? cx->cap : 4096;
		uint8_t *p;

		while (cap < cx->len + n)
			cap *= 2;
		if (cap > cx->limit)
			cap = cx->limit;
		p = realloc(cx->buf, cap);
		if (!p)
			return -2;
		cx->buf = p;
		cx->cap = cap;
	}
	memcpy(cx->buf + cx->len, data, n);
	cx->len += n;
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct hub *hub = cls;
	struct conn_ctx *cx = *con_cls;
	struct query_ctx q;
	struct hub_resp resp;
	enum MHD_Result ret;

	if (!cx) {
		const char *cl;

		cx = calloc(1, sizeof(*cx));
		if (!cx)
			return MHD_NO;
		*con_cls = cx;
		cx->limit = hub_body_limit(hub, method, url);
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno || end == cl || *end || n > cx->limit) {
				cx->answered = 1;
				return reply_error(c, 413, "body too large");
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!cx->answered && !cx->too_big) {
			int rc = body_append(cx, upload_data, *upload_data_size);

			if (rc == -1) {
				cx->too_big = 1;
				free(cx->buf);
				cx->buf = NULL;
				cx->len = cx->cap = 0;
			} else if (rc < 0) {
				return MHD_NO;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (cx->answered)
		return MHD_YES;
	cx->answered = 1;
	if (cx->too_big)
		return reply_error(c, 413, "body too large");

	memset(&q, 0, sizeof(q));
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_query, &q);
	if (q.overflow)
		return reply_error(c, 400, "too many query parameters");
	q.kv[2 * q.n] = NULL;

	hub_handle(hub, method, url, q.kv,
		   MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION),
		   cx->buf, cx->len, &resp);
	ret = reply_json(c, resp.status, resp.body);
	json_decref(resp.body);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn_ctx *cx = *con_cls;

	if (cx) {
		free(cx->buf);
		free(cx);
		*con_cls = NULL;
	}
}

/* "HOST:PORT" or "[V6]:PORT", HOST an IP literal. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sl, int *v6)
{
	char host[64];
	const char *colon;
	size_t hl;
	char *end;
	unsigned long port;

	if (!s)
		return -1;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb || rb[1] != ':')
			return -1;
		hl = (size_t)(rb - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		colon = rb + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port == 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof(*ss));
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
			a4->sin_family = AF_INET;
			a4->sin_port = htons((uint16_t)port);
			*sl = sizeof(*a4);
			*v6 = 0;
			return 0;
		}
		if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
			a6->sin6_family = AF_INET6;
			a6->sin6_port = htons((uint16_t)port);
			*sl = sizeof(*a6);
			*v6 = 1;
			return 0;
		}
	}
	return -1;
}

struct sweeper {
	struct hub *hub;
	volatile int *stop;
};

/* Retention: one sweep at start, then every sweep_interval_s, until *stop. */
static void *sweep_main(void *arg)
{
	struct sweeper *sw = arg;
	struct hub *hub = sw->hub;
	int64_t interval = hub->cfg.sweep_interval_s > 0 ? hub->cfg.sweep_interval_s : 60;
	time_t next = 0;

	while (!*sw->stop) {
		time_t now = time(NULL);

		if (now >= next) {
			long n;

			pthread_mutex_lock(&hub->lock);
			n = hub_retention_sweep(hub, now);
			pthread_mutex_unlock(&hub->lock);
			if (n < 0)
				log_error("retention sweep failed; will retry");
			else if (n > 0)
				log_info("retention: %ld records deleted", n);
			next = now + interval;
		}
		usleep(100 * 1000);
	}
	return NULL;
}

int hub_serve(struct hub *hub, volatile int *stop)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int v6;
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	struct sweeper sw = { hub, stop };
	pthread_t sweeper;
	const char *listen = hub->cfg.listen ? hub->cfg.listen : "127.0.0.1:8080";
	unsigned threads = hub->cfg.threads ? hub->cfg.threads : 1;

	if (parse_listen(listen, &ss, &sl, &v6) < 0) {
		log_error("--listen %s: want HOST:PORT or [IPV6]:PORT with an IP address", listen);
		return 2;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (threads > 256)
		threads = 256;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, hub,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
			     MHD_OPTION_THREAD_POOL_SIZE, threads, /* 1: no pool */
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_END);
	if (!d) {
		log_error("cannot listen on %s", listen);
		return 1;
	}
	if (pthread_create(&sweeper, NULL, sweep_main, &sw) != 0) {
		log_error("cannot start the retention thread");
		MHD_stop_daemon(d);
		return 1;
	}
	printf("hub: listening on http://%s (store %s/hub.db, audit log %llu entries)\n", listen,
	       hub->cfg.dir, (unsigned long long)audit_size(hub->al));
	fflush(stdout);

	while (!*stop)
		usleep(100 * 1000);

	MHD_stop_daemon(d);
	pthread_join(sweeper, NULL);
	printf("hub: stopped\n");
	fflush(stdout);
	return 0;
}

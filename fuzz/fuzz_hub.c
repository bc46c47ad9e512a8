/* fuzz_hub.c — hub_handle() end to end on a real hub (store + audit log in a temporary
 * directory, on tmpfs when there is one) with fuzzed method, path, query, Authorization and
 * body. The hub holds one organisation and a token of every role, so requests reach every
 * handler, not only the role check.
 *
 * Input, read with a cursor:
 *   u8 who     < ROLE_COUNT: that role's token; == ROLE_COUNT: no header; else u8 len + raw header
 *   u8 method  GET POST PUT DELETE HEAD, or u8 len + raw
 *   u8 route   < number of routes: that route's pattern, each {} from u8 len + bytes;
 *              else u8 len + raw path
 *   u8 nquery  (mod 5) pairs of u8 len + key, u8 len + value
 *   the rest   the body
 * Every answer must be a status 100..599 with a body; every error {"error": "..."}; a refused
 * request must leave the audit log as it was. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cursor.h"
#include "hub/hub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct hub hub;
static char dir[64];
static char tokens[ROLE_COUNT][HUB_TOKEN_MAX];
static size_t nroutes;

static void cleanup(void)
{
	char cmd[128];

	hub_close(&hub);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_hub: could not remove %s\n", dir);
}

static void setup(void)
{
	static const struct hub_principal admin = { .role = ROLE_CABINET, .id = "admin-cli" };
	const char *org = "{\"id\":\"org-a\",\"name\":\"A\",\"sector\":\"electricity\"}";
	struct hub_config cfg;
	struct hub_resp resp;
	char err[256];

	snprintf(dir, sizeof(dir), "%s/sk-fuzz-hub-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (!mkdtemp(dir))
		abort();
	hub_config_defaults(&cfg);
	cfg.dir = dir;
	cfg.max_records_body = 256 * 1024;
	if (hub_open(&hub, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_hub: %s\n", err);
		abort();
	}
	atexit(cleanup);
	hub_handle_as(&hub, &admin, "POST", "/api/v1/orgs", NULL, (const uint8_t *)org, strlen(org), &resp);
	json_decref(resp.body);
	for (int r = 0; r < ROLE_COUNT; r++) {
		struct store_token t;

		memset(&t, 0, sizeof(t));
		snprintf(t.role, sizeof(t.role), "%s", hub_role_name((enum hub_role)r));
		if (r == ROLE_OPERATOR)
			snprintf(t.org, sizeof(t.org), "org-a");
		if (r == ROLE_MINISTRY)
			snprintf(t.sectors, sizeof(t.sectors), "electricity");
		if (hub_token_create(&hub, &t, tokens[r], err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_hub: token: %s\n", err);
			abort();
		}
	}
	while (hub_routes[nroutes].method)
		nroutes++;
}

/* A u8-length-prefixed string into out (NUL-terminated; embedded NULs end it early). */
static void take_str(struct cur *c, char *out, size_t outlen)
{
	size_t n = cur_u8(c);
	struct cur s = cur_sub(c, n < cur_left(c) ? n : cur_left(c));
	size_t k = s.len < outlen - 1 ? s.len : outlen - 1;

	cur_copy(&s, out, k);
	out[k] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "DELETE", "HEAD" };
	struct cur c = cur_make(data, size);
	char auth[300], method[300], path[1200], kv[8][260];
	const char *query[9];
	const char *authp = NULL;
	struct hub_resp resp;
	unsigned who, m, route, nq;
	uint64_t before;

	if (!hub.st)
		setup();

	who = cur_u8(&c) % (ROLE_COUNT + 2);
	if (who < ROLE_COUNT) {
		snprintf(auth, sizeof(auth), "Bearer %s", tokens[who]);
		authp = auth;
	} else if (who == ROLE_COUNT + 1) {
		take_str(&c, auth, sizeof(auth));
		authp = auth;
	}

	m = cur_u8(&c) % 6;
	if (m < 5)
		snprintf(method, sizeof(method), "%s", methods[m]);
	else
		take_str(&c, method, sizeof(method));

	route = cur_u8(&c);
	if (route < nroutes) {
		const char *p = hub_routes[route].pattern;
		size_t n = 0;

		while (*p && n + 1 < sizeof(path)) {
			if (p[0] == '{' && p[1] == '}') {
				char id[260];

				take_str(&c, id, sizeof(id));
				n += (size_t)snprintf(path + n, sizeof(path) - n, "%s", id);
				if (n >= sizeof(path))
					n = sizeof(path) - 1;
				p += 2;
				continue;
			}
			path[n++] = *p++;
		}
		path[n] = '\0';
	} else {
		take_str(&c, path, sizeof(path));
	}

	nq = cur_u8(&c) % 5;
	for (unsigned i = 0; i < nq; i++) {
		take_str(&c, kv[2 * i], sizeof(kv[0]));
		take_str(&c, kv[2 * i + 1], sizeof(kv[0]));
		query[2 * i] = kv[2 * i];
		query[2 * i + 1] = kv[2 * i + 1];
	}
	query[2 * nq] = NULL;

	before = audit_size(hub.al);
	hub_handle(&hub, method, path, query, authp, cur_left(&c) ? cur_ptr(&c) : NULL, cur_left(&c), &resp);
	if (resp.status < 100 || resp.status > 599 || !resp.body)
		abort();
	if (resp.status >= 400) {
		if (!json_is_string(json_object_get(resp.body, "error")) || json_object_size(resp.body) != 1)
			abort();
		if (audit_size(hub.al) != before)
			abort();
	}
	json_decref(resp.body);
	return 0;
}

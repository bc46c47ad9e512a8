/*
 * client.c — the hub's API over HTTP with libcurl (see client.h).
 *
 * Responses are collected into a growing buffer with a hard cap, so a misbehaving server
 * cannot make the client allocate without bound. Records are posted in batches of whole
 * lines, read with getline, so a line is never split across two requests.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/client.h"

#define RESP_MAX (16u << 20)

struct hubc {
	CURL *curl;
	char *base;
	char *auth;          /* "Authorization: Bearer ..." or NULL */
};

struct buf {
	char *p;
	size_t n, cap;
	int overflow;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct buf *b = ud;
	size_t n = size * nmemb;

	if (b->n + n + 1 > RESP_MAX) {
		b->overflow = 1;
		return 0;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->n + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return 0;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, ptr, n);
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

struct hubc *hubc_new(const char *base, const char *token)
{
	static int global_done;
	struct hubc *c;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		global_done = 1;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->curl = curl_easy_init();
	c->base = strdup(base);
	if (token && asprintf(&c->auth, "Authorization: Bearer %s", token) < 0)
		c->auth = NULL, token = NULL;
	if (!c->curl || !c->base || (token && !c->auth)) {
		hubc_free(c);
		return NULL;
	}
	return c;
}

void hubc_free(struct hubc *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	free(c->base);
	if (c->auth) {
		explicit_bzero(c->auth, strlen(c->auth));
		free(c->auth);
	}
	free(c);
}

int hubc_request(struct hubc *c, const char *method, const char *path, const char *ctype,
		 const void *body, size_t len, long *status, char **resp, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL;
	struct buf b = { 0 };
	char *url = NULL, *ct = NULL;
	CURLcode rc;
	int ret = -1;

	*resp = NULL;
	*status = 0;
	if (asprintf(&url, "%s%s", c->base, path) < 0) {
		url = NULL;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (c->auth)
		hdrs = curl_slist_append(hdrs, c->auth);
	if (body && ctype && asprintf(&ct, "Content-Type: %s", ctype) >= 0)
		hdrs = curl_slist_append(hdrs, ct);
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_reset(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = curl_easy_perform(c->curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", method, path,
			 b.overflow ? "response larger than 16 MiB" : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	*resp = b.p ? b.p : strdup("");
	b.p = NULL;
	ret = *resp ? 0 : -1;
out:
	free(b.p);
	free(url);
	free(ct);
	curl_slist_free_all(hdrs);
	return ret;
}

/* The hub's {"error": "..."} line, or the start of the body. */
static void error_of(long status, const char *resp, char *err, size_t errlen)
{
	json_t *j = json_loads(resp, 0, NULL);
	const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;

	snprintf(err, errlen, "HTTP %ld: %.200s", status, e ? e : resp);
	json_decref(j);
}

static int post_batch(struct hubc *c, const char *p, size_t n, long *accepted, char *err, size_t errlen)
{
	long status;
	char *resp;
	json_t *j;

	if (hubc_request(c, "POST", "/api/v1/records", "application/x-ndjson", p, n, &status, &resp, err,
			 errlen) < 0)
		return -1;
	if (status != 201) {
		error_of(status, resp, err, errlen);
		free(resp);
		return -1;
	}
	j = json_loads(resp, 0, NULL);
	*accepted += j ? (long)json_integer_value(json_object_get(j, "accepted")) : 0;
	json_decref(j);
	free(resp);
	return 0;
}

long hubc_post_records(struct hubc *c, const char *path, size_t batch, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *acc = NULL;
	size_t cap = 0, lcap = 0, n = 0, lines = 0;
	long accepted = 0, ret = -1;
	ssize_t len;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	while ((len = getline(&line, &lcap, f)) > 0) {
		if (n + (size_t)len + 1 > cap) {
			size_t ncap = cap ? cap * 2 : 1 << 20;
			char *p;

			while (ncap < n + (size_t)len + 1)
				ncap *= 2;
			p = realloc(acc, ncap);
			if (!p) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			acc = p;
			cap = ncap;
		}
		memcpy(acc + n, line, (size_t)len);
		n += (size_t)len;
		if (line[len - 1] != '\n')
			acc[n++] = '\n';
		if (++lines == batch) {
			if (post_batch(c, acc, n, &accepted, err, errlen) < 0)
				goto out;
			n = lines = 0;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	if (lines && post_batch(c, acc, n, &accepted, err, errlen) < 0)
		goto out;
	ret = accepted;
out:
	free(line);
	free(acc);
	fclose(f);
	return ret;
}

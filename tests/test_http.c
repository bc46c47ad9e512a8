/*
 * test_http.c — http_parse_request() on real requests and on malformed ones.
 *
 * The real requests were recorded byte for byte by a one-connection listener on the loopback
 * interface: curl 7.88 (with -u, -b, -x/-U, -d) and headless Chromium 156 (a fresh profile,
 * then the request that follows a Set-Cookie redirect).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pseudo.h"
#include "meta/http.h"

/* ---- recorded from the wire ---- */
static const char curl_get[] =
	"GET /search?q=tanaka+taro&uid=12345&debug HTTP/1.1\r\n"
	"Host: 127.0.0.1:18080\r\n"
	"Authorization: Basic YWxpY2U6UzNjcmV0UGFzc3cwcmQ=\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Cookie: session=SECRETCOOKIE123; theme=dark\r\n"
	"\r\n";

static const char chrome_first[] =
	"GET /account/view?user=sato.hanako%40example.jp&lang=ja&ref=mail HTTP/1.1\r\n"
	"Host: 127.0.0.1:18081\r\n"
	"Connection: keep-alive\r\n"
	"sec-ch-ua: \"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"\r\n"
	"sec-ch-ua-mobile: ?0\r\n"
	"sec-ch-ua-platform: \"Linux\"\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
	"Sec-Fetch-Site: none\r\n"
	"Sec-Fetch-Mode: navigate\r\n"
	"Sec-Fetch-User: ?1\r\n"
	"Sec-Fetch-Dest: document\r\n"
	"Accept-Encoding: gzip, deflate, br, zstd\r\n"
	"Accept-Language: en-US,en;q=0.9\r\n"
	"\r\n";

static const char chrome_cookie[] =
	"GET /inbox?folder=work&page=2 HTTP/1.1\r\n"
	"Host: 127.0.0.1:18082\r\n"
	"Connection: keep-alive\r\n"
	"Upgrade-Insecure-Requests: 1\r\n"
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36\r\n"
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/jxl,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7\r\n"
	"Sec-Fetch-Site: none\r\n"
	"Sec-Fetch-Mode: navigate\r\n"
	"Sec-Fetch-User: ?1\r\n"
	"Sec-Fetch-Dest: document\r\n"
	"sec-ch-ua: \"Not:A-Brand\";v=\"8\", \"Chromium\";v=\"156\"\r\n"
	"sec-ch-ua-mobile: ?0\r\n"
	"sec-ch-ua-platform: \"Linux\"\r\n"
	"Accept-Encoding: gzip, deflate, br, zstd\r\n"
	"Accept-Language: en-US,en;q=0.9\r\n"
	"Cookie: sid=CHROMESECRET42\r\n"
	"\r\n";

static const char curl_proxy[] =
	"GET http://www.Example.JP/dl/file.zip?token=abc123&v=2 HTTP/1.1\r\n"
	"Host: www.Example.JP\r\n"
	"Proxy-Authorization: Basic cHJveHl1c2VyOlBST1hZU0VDUkVU\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Proxy-Connection: Keep-Alive\r\n"
	"\r\n";

static const char curl_post[] =
	"POST /api/login HTTP/1.1\r\n"
	"Host: 127.0.0.1:18084\r\n"
	"User-Agent: curl/7.88.1\r\n"
	"Accept: */*\r\n"
	"Content-Length: 32\r\n"
	"Content-Type: application/x-www-form-urlencoded\r\n"
	"\r\n"
	"login=yamada&password=BODYSECRET";

/* ---- helpers ---- */

static struct pseudo key1, key2;

static int setup(void **state)
{
	uint8_t k[PSEUDO_KEYLEN];

	memset(k, 0x11, sizeof(k));
	pseudo_init(&key1, k);
	memset(k, 0x22, sizeof(k));
	pseudo_init(&key2, k);
	return 0;
}

static enum http_status parse(const char *text, const struct pseudo *key, struct http_req *r,
			      size_t *used)
{
	return http_parse_request((const uint8_t *)text, strlen(text), key, r, used);
}

static char *h(const struct pseudo *key, const char *value)
{
	static char out[4][PSEUDO_HEXLEN + 1];
	static int i;

	i = (i + 1) % 4;
	pseudo_hash(key, value, strlen(value), out[i]);
	return out[i];
}

/* The secret must appear nowhere in the output struct, not even past a string's NUL. */
static void assert_absent(const struct http_req *r, const char *secret)
{
	if (memmem(r, sizeof(*r), secret, strlen(secret)) != NULL)
		fail_msg("\"%s\" found in the output", secret);
}

/* ---- real requests ---- */

static void curl_with_credentials(void **state)
{
	struct http_req r;
	size_t used;
	char want[HTTP_URI_MAX];

	assert_int_equal(parse(curl_get, &key1, &r, &used), HTTP_OK);
	assert_int_equal(used, strlen(curl_get));
	assert_string_equal(r.method, "GET");
	assert_int_equal(r.version_minor, 1);
	assert_string_equal(r.host, "127.0.0.1:18080");
	assert_string_equal(r.user_agent, "curl/7.88.1");
	snprintf(want, sizeof(want), "/search?q=%s&uid=%s&debug", h(&key1, "tanaka+taro"),
		 h(&key1, "12345"));
	assert_string_equal(r.uri, want);
	assert_absent(&r, "SECRETCOOKIE123");
	assert_absent(&r, "YWxpY2U6UzNjcmV0UGFzc3cwcmQ=");
	assert_absent(&r, "Basic");
	assert_absent(&r, "theme");
	assert_absent(&r, "tanaka");
	assert_absent(&r, "12345");
}

static void chromium_requests(void **state)
{
	struct http_req r;
	size_t used;
	char want[HTTP_URI_MAX];

	assert_int_equal(parse(chrome_first, &key1, &r, &used), HTTP_OK);
	assert_int_equal(used, strlen(chrome_first));
	assert_string_equal(r.host, "127.0.0.1:18081");
	assert_string_equal(r.user_agent, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
			    "(KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36");
	snprintf(want, sizeof(want), "/account/view?user=%s&lang=%s&ref=%s",
		 h(&key1, "sato.hanako%40example.jp"), h(&key1, "ja"), h(&key1, "mail"));
	assert_string_equal(r.uri, want);
	assert_absent(&r, "sato");
	assert_absent(&r, "hanako");

	assert_int_equal(parse(chrome_cookie, &key1, &r, &used), HTTP_OK);
	assert_int_equal(used, strlen(chrome_cookie));
	snprintf(want, sizeof(want), "/inbox?folder=%s&page=%s", h(&key1, "work"), h(&key1, "2"));
	assert_string_equal(r.uri, want);
	assert_absent(&r, "CHROMESECRET42");
	assert_absent(&r, "sid=");
	assert_absent(&r, "gzip");   /* other headers are not copied either */
}

static void proxy_absolute_form(void **state)
{
	struct http_req r;
	size_t used;
	char want[HTTP_URI_MAX];

	assert_int_equal(parse(curl_proxy, &key1, &r, &used), HTTP_OK);
	snprintf(want, sizeof(want), "http://www.example.jp/dl/file.zip?token=%s&v=%s",
		 h(&key1, "abc123"), h(&key1, "2"));
	assert_string_equal(r.uri, want);
	assert_string_equal(r.host, "www.example.jp");
	assert_absent(&r, "cHJveHl1c2VyOlBST1hZU0VDUkVU");
	assert_absent(&r, "abc123");

	/* userinfo is a credential: dropped; with no Host header the URI's host is used */
	assert_int_equal(parse("GET HTTP://bob:hunter2@Files.Example.JP:8080/a/b?x=1#frag HTTP/1.0\r\n"
			       "\r\n", &key1, &r, &used), HTTP_OK);
	snprintf(want, sizeof(want), "http://files.example.jp:8080/a/b?x=%s", h(&key1, "1"));
	assert_string_equal(r.uri, want);
	assert_string_equal(r.host, "files.example.jp:8080");
	assert_int_equal(r.version_minor, 0);
	assert_absent(&r, "hunter2");
	assert_absent(&r, "bob");
	assert_absent(&r, "frag");

	assert_int_equal(parse("CONNECT www.example.jp:443 HTTP/1.1\r\nHost: www.example.jp:443\r\n"
			       "\r\n", &key1, &r, &used), HTTP_OK);
	assert_string_equal(r.method, "CONNECT");
	assert_string_equal(r.uri, "www.example.jp:443");
	assert_int_equal(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &key1, &r, &used), HTTP_OK);
	assert_string_equal(r.uri, "*");
}

static void post_body_not_examined(void **state)
{
	struct http_req r;
	size_t used;
	const char *body = strstr(curl_post, "\r\n\r\n") + 4;

	assert_int_equal(parse(curl_post, &key1, &r, &used), HTTP_OK);
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.uri, "/api/login");
	assert_int_equal(used, (size_t)(body - curl_post));
	assert_absent(&r, "BODYSECRET");
	assert_absent(&r, "yamada");
}

static void query_hash_per_key(void **state)
{
	struct http_req a, b, c;
	size_t used;

	assert_int_equal(parse(curl_get, &key1, &a, &used), HTTP_OK);
	assert_int_equal(parse(curl_get, &key1, &b, &used), HTTP_OK);
	assert_int_equal(parse(curl_get, &key2, &c, &used), HTTP_OK);
	assert_string_equal(a.uri, b.uri);                    /* stable under one key */
	assert_string_not_equal(a.uri, c.uri);                /* different across keys */
	assert_non_null(strstr(c.uri, h(&key2, "12345")));
	assert_null(strstr(c.uri, h(&key1, "12345")));
	/* same value under two names: same pseudonym, names kept; empty value stays empty */
	assert_int_equal(parse("GET /p?a=v&b=v&c=&d HTTP/1.1\r\n\r\n", &key1, &a, &used), HTTP_OK);
	char want[HTTP_URI_MAX];

	snprintf(want, sizeof(want), "/p?a=%s&b=%s&c=&d", h(&key1, "v"), h(&key1, "v"));
	assert_string_equal(a.uri, want);
}

/* Every prefix of a request is HTTP_MORE; the whole gives the same result as always. */
static void split_at_every_byte(void **state)
{
	const char *reqs[] = { curl_get, chrome_first, chrome_cookie, curl_proxy, curl_post };

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t n = strlen(reqs[i]), used, hdr;
		struct http_req whole, part;

		assert_int_equal(parse(reqs[i], &key1, &whole, &hdr), HTTP_OK);
		for (size_t len = 0; len < hdr; len++) {
			uint8_t *copy = malloc(len ? len : 1);

			memcpy(copy, reqs[i], len);
			assert_int_equal(http_parse_request(copy, len, &key1, &part, &used), HTTP_MORE);
			assert_int_equal(used, 0);
			free(copy);
		}
		for (size_t len = hdr; len <= n; len++) {
			uint8_t *copy = malloc(len);

			memcpy(copy, reqs[i], len);
			assert_int_equal(http_parse_request(copy, len, &key1, &part, &used), HTTP_OK);
			assert_int_equal(used, hdr);
			assert_memory_equal(&part, &whole, sizeof(whole));
			free(copy);
		}
	}
}

/* ---- malformed and edge cases ---- */

static void bad_request_lines(void **state)
{
	static const char *const err[] = {
		"GET /\r\n\r\n",                          /* HTTP/0.9 */
		"GET  / HTTP/1.1\r\n\r\n",                /* two spaces */
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1 x\r\n\r\n",
		"GET / HTTP/1.x\r\n\r\n",
		("GET /a\x01" "b HTTP/1.1\r\n\r\n"),      /* control byte in the target */
		"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost : a\r\n\r\n",     /* space before the colon */
		"GET / HTTP/1.1\r\n: a\r\n\r\n",
		"GET / HTTP/1.1\r\n",                     /* complete bad request line is not this */
	};
	static const char *const not_http[] = {
		"get / HTTP/1.1\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "SSH-2.0-OpenSSH_9.2\r\n",
		"\x16\x03\x01\x02\x00", "GETX / HTTP/1.1\r\n\r\n", "EHLO mail.example.jp\r\n",
	};
	struct http_req r;
	size_t used;

	for (size_t i = 0; i + 1 < sizeof(err) / sizeof(err[0]); i++) {
		if (parse(err[i], &key1, &r, &used) != HTTP_ERR)
			fail_msg("expected HTTP_ERR for case %zu", i);
		assert_string_equal(r.method, "");   /* nothing half-filled is left behind */
	}
	/* a well-formed request line whose header block is still open */
	assert_int_equal(parse(err[9], &key1, &r, &used), HTTP_MORE);
	/* a malformed request line is an error before the block is complete */
	assert_int_equal(parse("GET / HTTP/3\r\nHost: a\r\n", &key1, &r, &used), HTTP_ERR);
	for (size_t i = 0; i < sizeof(not_http) / sizeof(not_http[0]); i++)
		if (parse(not_http[i], &key1, &r, &used) != HTTP_NOT_HTTP)
			fail_msg("expected HTTP_NOT_HTTP for case %zu", i);
	assert_int_equal(parse("OPTIO", &key1, &r, &used), HTTP_MORE);
	assert_int_equal(http_parse_request(NULL, 0, &key1, &r, &used), HTTP_MORE);
}

static void header_block_cap(void **state)
{
	size_t cap = 16 * 1024, used;
	char *big = malloc(cap + 64);
	struct http_req r;

	strcpy(big, "GET / HTTP/1.1\r\nX-Pad: ");
	size_t n = strlen(big);

	memset(big + n, 'a', cap + 32 - n);
	big[cap + 32] = '\0';
	assert_int_equal(http_parse_request((uint8_t *)big, cap - 1, &key1, &r, &used), HTTP_MORE);
	assert_int_equal(http_parse_request((uint8_t *)big, cap, &key1, &r, &used), HTTP_ERR);
	assert_int_equal(http_parse_request((uint8_t *)big, cap + 32, &key1, &r, &used), HTTP_ERR);
	/* a complete block that ends past the cap is refused too */
	memcpy(big + cap + 28, "\r\n\r\n", 4);
	assert_int_equal(http_parse_request((uint8_t *)big, cap + 32, &key1, &r, &used), HTTP_ERR);
	free(big);
}

static void long_uri_cut_on_token(void **state)
{
	char req[8192], *p = req;
	struct http_req r;
	size_t used;

	p += sprintf(p, "GET /");
	for (int i = 0; i < 2000; i++)
		*p++ = 'a';
	p += sprintf(p, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(req, &key1, &r, &used), HTTP_OK);
	assert_int_equal(strlen(r.uri), HTTP_URI_MAX - 1);
	assert_string_equal(r.uri + HTTP_URI_MAX - 4, "...");

	/* many values: the cut never splits a pseudonym */
	p = req + sprintf(req, "GET /q?");
	for (int i = 0; i < 60; i++)
		p += sprintf(p, "k%d=value%d&", i, i);
	p += sprintf(p, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(req, &key1, &r, &used), HTTP_OK);
	size_t len = strlen(r.uri);

	assert_true(len <= HTTP_URI_MAX - 1);
	assert_string_equal(r.uri + len - 3, "...");
	const char *eq = r.uri;

	while ((eq = strchr(eq + 1, '=')) != NULL) {
		size_t hex = strspn(eq + 1, "0123456789abcdef");

		if (hex != PSEUDO_HEXLEN)          /* whole, or not begun before the mark */
			assert_string_equal(eq + 1, "...");
	}
	assert_absent(&r, "value");
}

static void header_values(void **state)
{
	struct http_req r;
	size_t used;

	assert_int_equal(parse("HEAD /caf\xc3\xa9/x?q=\xe6\x9d\xb1 HTTP/1.1\n"
			       "hOsT:   WWW.Example.JP  \n"
			       " folded continuation\n"
			       "USER-AGENT: \tTool\x01" "Bot/1.0 \xff \n"
			       "Host: second.example\n"
			       "cookie: c=SECRET2\n"
			       "authorization: Bearer SECRET3\n"
			       "\n", &key1, &r, &used), HTTP_OK);
	assert_string_equal(r.method, "HEAD");
	assert_string_equal(r.host, "www.example.jp");     /* the first Host wins */
	assert_string_equal(r.user_agent, "Tool?Bot/1.0 ?");
	assert_memory_equal(r.uri, "/caf%C3%A9/x?q=", 15);
	assert_string_equal(r.uri + 15, h(&key1, "\xe6\x9d\xb1"));
	assert_absent(&r, "SECRET2");
	assert_absent(&r, "SECRET3");
	assert_absent(&r, "Bearer");
}

static void looks_like_request(void **state)
{
	assert_true(http_looks_like_request((const uint8_t *)"GET / HTTP/1.1", 14));
	assert_true(http_looks_like_request((const uint8_t *)"OPTIONS ", 8));
	assert_true(http_looks_like_request((const uint8_t *)"PATCH /x", 8));
	assert_false(http_looks_like_request((const uint8_t *)"GET", 3));
	assert_false(http_looks_like_request((const uint8_t *)"GETX / ", 7));
	assert_false(http_looks_like_request((const uint8_t *)"\x16\x03\x01", 3));
	assert_false(http_looks_like_request(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curl_with_credentials),
		cmocka_unit_test(chromium_requests),
		cmocka_unit_test(proxy_absolute_form),
		cmocka_unit_test(post_body_not_examined),
		cmocka_unit_test(query_hash_per_key),
		cmocka_unit_test(split_at_every_byte),
		cmocka_unit_test(bad_request_lines),
		cmocka_unit_test(header_block_cap),
		cmocka_unit_test(long_uri_cut_on_token),
		cmocka_unit_test(header_values),
		cmocka_unit_test(looks_like_request),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}

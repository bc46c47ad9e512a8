/*
 * http.h — mechanical information of an HTTP/1.x request: method, Host, path and User-Agent.
 *
 * The request line and headers are scanned in place; only Host and User-Agent are copied.
 * Cookie, Authorization and every other header, and the body, are never copied into any
 * output structure. Query-string values are replaced by their keyed hash (keys kept), since
 * they often carry identifiers of persons (DESIGN.md rule 2).
 */
#ifndef SK_HTTP_H
#define SK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/pseudo.h"

#define HTTP_METHOD_MAX 16
#define HTTP_HOST_MAX 256
#define HTTP_URI_MAX 1024       /* longer targets are cut between tokens and marked "..." */
#define HTTP_UA_MAX 512

struct http_req {
	char method[HTTP_METHOD_MAX];
	char host[HTTP_HOST_MAX];   /* lower-case, port kept if given */
	char uri[HTTP_URI_MAX];     /* path with query values hashed */
	char user_agent[HTTP_UA_MAX];
	uint8_t version_minor;      /* HTTP/1.x */
};

enum http_status {
	HTTP_OK = 0,
	HTTP_MORE,                  /* looks like a request, the header block is not complete */
	HTTP_NOT_HTTP,
	HTTP_ERR,                   /* malformed request line or header */
};

/* Parse the request at the start of data. On HTTP_OK, *consumed (OUT) is the length of the
 * request line and headers (the body, if any, is not examined). */
enum http_status http_parse_request(const uint8_t *data, size_t len, const struct pseudo *key,
				    struct http_req *out, size_t *consumed);
/* True iff data begins like an HTTP request method token followed by a space. */
int http_looks_like_request(const uint8_t *data, size_t len);

#endif

/*
 * client.h — a client of the hub's JSON API (libcurl), for the demo and for sensors that
 * hand their records to a hub.
 *
 * One request at a time per handle; the handle keeps its connection alive between requests.
 * The bearer token is held in memory only and never logged.
 */
#ifndef SK_HUB_CLIENT_H
#define SK_HUB_CLIENT_H

#include <stddef.h>

struct hubc;

/* base: "http://127.0.0.1:8080"; token may be NULL (public). NULL on failure. */
struct hubc *hubc_new(const char *base, const char *token);
void hubc_free(struct hubc *c);

/* METHOD base+path with body (may be NULL) of the given content type. On a completed
 * exchange returns 0 with *status and the response body in *resp (NUL-terminated, malloc'd,
 * the caller frees; capped at 16 MiB); on a transport failure -1 with a reason in err. */
int hubc_request(struct hubc *c, const char *method, const char *path, const char *ctype,
		 const void *body, size_t len, long *status, char **resp, char *err, size_t errlen);

/* POST a file of JSON Lines to /api/v1/records in batches of at most batch lines (whole lines
 * only). Returns the number of records the hub accepted, or -1 with a reason (the HTTP status
 * and the hub's error line) in err; batches before the failing one stay accepted. */
long hubc_post_records(struct hubc *c, const char *path, size_t batch, char *err, size_t errlen);

#endif

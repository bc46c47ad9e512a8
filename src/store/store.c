/*
 * store.c — backend selection by location, and the small helpers every backend shares.
 *
 * A location names its backend: "sqlite:PATH" or a plain file path is SQLite
 * (store_sqlite.c); "postgres://..." is reserved for the PostgreSQL backend, which is not
 * built yet, and any other "scheme://" is refused rather than taken for a file name.
 */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

int store_open(struct store **out, const char *location, char *err, size_t errlen)
{
	const char *path = location;

	*out = NULL;
	if (!location || !*location) {
		snprintf(err, errlen, "store: no location given");
		return -1;
	}
	if (strncmp(location, "sqlite:", 7) == 0) {
		path = location + 7;
	} else if (strncmp(location, "postgres://", 11) == 0 ||
		   strncmp(location, "postgresql://", 13) == 0) {
		snprintf(err, errlen, "store: the PostgreSQL backend is not built into this sakimori");
		return -1;
	} else if (strstr(location, "://")) {
		snprintf(err, errlen, "store: unknown store location scheme (use sqlite:PATH or a path)");
		return -1;
	}
	if (!*path) {
		snprintf(err, errlen, "store: sqlite: needs a file path");
		return -1;
	}
	return store_sqlite_ops.open(out, path, err, errlen);
}

void store_doc_clear(struct store_doc *doc)
{
	if (!doc)
		return;
	json_decref(doc->body);
	memset(doc, 0, sizeof(*doc));
}

int store_set_key(char dst[ST_KEYLEN], const char *src)
{
	size_t n;

	if (!src) {
		dst[0] = '\0';
		return 0;
	}
	n = strlen(src);
	if (n >= ST_KEYLEN) {
		dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

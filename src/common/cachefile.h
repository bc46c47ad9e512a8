/*
 * cachefile.h — the mechanics of sakimori's cache files (location tables, compiled
 * Hyperscan databases): where they live, when one may be read, how one is written.
 *
 * A cache directory is the user's: a file there is read only if it is a regular file (not
 * through a symlink), owned by the effective user, not writable by group or others, and of
 * a size the caller accepts. That detects corruption and other users' files, not tampering
 * by the same user (who could as well change the program). The caller checks the contents
 * (format, identity, checksum) and falls back to building from scratch on any doubt.
 * Files are written privately (0600 in 0700 directories) through a temporary file and a
 * rename, so a reader sees either the old file or the whole new one.
 */
#ifndef SK_CACHEFILE_H
#define SK_CACHEFILE_H

#include <stddef.h>
#include <stdint.h>

/* The cache directory into buf: cache_dir if not NULL, else $SAKIMORI_CACHE_DIR ("off" =
 * none), else $XDG_CACHE_HOME/sakimori, else $HOME/.cache/sakimori. Returns 0, or -1 when
 * there is no cache (an empty name, "off", no usable variable, a name too long). */
int cachefile_dir(const char *cache_dir, char *buf, size_t buflen);

enum cachefile_rc {
	CACHEFILE_OK = 0,       /* trusted: data/len hold the file's bytes */
	CACHEFILE_ABSENT,       /* could not be opened (no such file, a symlink, no access) */
	CACHEFILE_REFUSED,      /* opened, but not trusted (owner, mode, type, size) */
};

struct cachefile {
	const uint8_t *data;    /* mapped read-only; valid until cachefile_close */
	size_t len;
};

/* Map file if it is trusted and min <= size <= max (min >= 1). */
enum cachefile_rc cachefile_open(const char *file, size_t min, size_t max, struct cachefile *cf);
void cachefile_close(struct cachefile *cf);

/* Write head then body (either may be empty) as file, atomically; creates the directories
 * (0700) up to the file's. Returns 0, or -1 (nothing is left behind). */
int cachefile_write(const char *file, const void *head, size_t headlen, const void *body,
		    size_t bodylen);

/* Keep the newest `keep` files named <prefix>*.cache in dir (by modification time) and
 * remove the others: caches keyed by content (one per selector set) do not pile up. */
void cachefile_prune(const char *dir, const char *prefix, size_t keep);

#endif

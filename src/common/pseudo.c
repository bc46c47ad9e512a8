/* pseudo.c — see pseudo.h. */
#include "common/pseudo.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void pseudo_init(struct pseudo *p, const uint8_t key[PSEUDO_KEYLEN])
{
	memcpy(p->key, key, PSEUDO_KEYLEN);
}

static int read_key(struct pseudo *p, int fd, const char *path, char *err, size_t errlen)
{
	uint8_t buf[PSEUDO_KEYLEN + 1];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n != PSEUDO_KEYLEN) {
		snprintf(err, errlen, "%s: pseudonym key must be exactly %d bytes", path, PSEUDO_KEYLEN);
		sodium_memzero(buf, sizeof(buf));
		return -1;
	}
	memcpy(p->key, buf, PSEUDO_KEYLEN);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

int pseudo_load_or_create(struct pseudo *p, const char *path, char *err, size_t errlen)
{
	int fd, rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium could not be initialised");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		rc = read_key(p, fd, path, err, errlen);
		close(fd);
		return rc;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create pseudonym key: %s", path, strerror(errno));
		return -1;
	}
	randombytes_buf(p->key, PSEUDO_KEYLEN);
	rc = write(fd, p->key, PSEUDO_KEYLEN) == PSEUDO_KEYLEN ? 0 : -1;
	if (rc == 0)
		rc = fsync(fd);
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write pseudonym key", path);
		unlink(path);
		return -1;
	}
	fprintf(stderr, "sakimori: generated a new pseudonym key in %s (keep it secret; "
		"the same key keeps pseudonyms stable across runs)\n", path);
	return 0;
}

void pseudo_hash(const struct pseudo *p, const void *data, size_t n, char out[PSEUDO_HEXLEN + 1])
{
	uint8_t digest[PSEUDO_HEXLEN / 2];

	crypto_generichash(digest, sizeof(digest), data, n, p->key, PSEUDO_KEYLEN);
	sodium_bin2hex(out, PSEUDO_HEXLEN + 1, digest, sizeof(digest));
}

void pseudo_wipe(struct pseudo *p)
{
	sodium_memzero(p->key, sizeof(p->key));
}

/*
 * cachefile.c — cache directory, trusted reads, atomic writes (see cachefile.h).
 *
 * Reads: open(O_NOFOLLOW), then every check on the open descriptor (fstat), so the file
 * checked is the file mapped. Writes: <file>.<pid>.tmp created O_EXCL 0600, written in
 * full, closed, renamed over <file>; on any failure the temporary file is removed. A rename
 * replaces a symlink or a refused file at that name rather than writing through it.
 */
#include "common/cachefile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cachefile_dir(const char *cache_dir, char *buf, size_t buflen)
{
	const char *env;
	int n;

	if (!cache_dir) {
		env = getenv("SAKIMORI_CACHE_DIR");
		if (env)
			cache_dir = strcmp(env, "off") ? env : "";
	}
	if (cache_dir) {
		n = snprintf(buf, buflen, "%s", cache_dir);
	} else {
		env = getenv("XDG_CACHE_HOME");
		if (env && env[0] == '/')
			n = snprintf(buf, buflen, "%s/sakimori", env);
		else if ((env = getenv("HOME")) && env[0] == '/')
			n = snprintf(buf, buflen, "%s/.cache/sakimori", env);
		else
			return -1;
	}
	if (n <= 0 || (size_t)n >= buflen)
		return -1;
	return 0;
}

enum cachefile_rc cachefile_open(const char *file, size_t min, size_t max, struct cachefile *cf)
{
	enum cachefile_rc rc = CACHEFILE_REFUSED;
	struct stat st;
	void *map;
	int fd;

	cf->data = NULL;
	cf->len = 0;
	fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);   /* a FIFO must not block us */
	if (fd < 0)
		return CACHEFILE_ABSENT;
	/* ours and not writable by others, or not trusted at all */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) || st.st_size <= 0 ||
	    (uint64_t)st.st_size < min || (uint64_t)st.st_size > max)
		goto out;
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		goto out;
	cf->data = map;
	cf->len = (size_t)st.st_size;
	rc = CACHEFILE_OK;
out:
	close(fd);
	return rc;
}

void cachefile_close(struct cachefile *cf)
{
	if (cf->data)
		munmap((void *)cf->data, cf->len);
	cf->data = NULL;
	cf->len = 0;
}

/* mkdir -p, private. */
static int make_dirs(const char *dir)
{
	char buf[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		char c = buf[i];
		buf[i] = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		buf[i] = c;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cachefile_write(const char *file, const void *head, size_t headlen, const void *body,
		    size_t bodylen)
{
	char tmp[PATH_MAX + 96], dir[PATH_MAX];
	const char *slash = strrchr(file, '/');
	int fd = -1, rc = -1, n;

	if (!slash || slash == file || (size_t)(slash - file) >= sizeof(dir))
		return -1;
	memcpy(dir, file, (size_t)(slash - file));
	dir[slash - file] = '\0';
	if (make_dirs(dir) < 0)
		return -1;

	n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", file, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (write_all(fd, head, headlen) < 0 || write_all(fd, body, bodylen) < 0)
		goto out;
	rc = close(fd);
	fd = -1;
	if (rc < 0)
		goto out;
	rc = rename(tmp, file);
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	return rc < 0 ? -1 : 0;
}

struct aged {
	char name[256];
	struct timespec mtime;
};

static int newer_first(const void *x, const void *y)
{
	const struct aged *a = x, *b = y;

	if (a->mtime.tv_sec != b->mtime.tv_sec)
		return a->mtime.tv_sec < b->mtime.tv_sec ? 1 : -1;
	if (a->mtime.tv_nsec != b->mtime.tv_nsec)
		return a->mtime.tv_nsec < b->mtime.tv_nsec ? 1 : -1;
	return strcmp(a->name, b->name);
}

void cachefile_prune(const char *dir, const char *prefix, size_t keep)
{
	enum { MAX_SEEN = 4096 };
	struct aged *v = NULL;
	size_t n = 0, plen = strlen(prefix);
	struct dirent *e;
	DIR *d = opendir(dir);
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	v = calloc(MAX_SEEN, sizeof(*v));
	while (v && n < MAX_SEEN && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct stat st;
		if (l >= sizeof(v[0].name) || l < plen + 6 || strncmp(e->d_name, prefix, plen) ||
		    strcmp(e->d_name + l - 6, ".cache") ||
		    fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		memcpy(v[n].name, e->d_name, l + 1);
		v[n++].mtime = st.st_mtim;
	}
	if (v && n > keep) {
		qsort(v, n, sizeof(*v), newer_first);
		for (size_t i = keep; i < n; i++)
			unlinkat(dfd, v[i].name, 0);
	}
	free(v);
	closedir(d);
}

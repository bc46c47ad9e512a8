/*
 * auditlog.c — the hub's tamper-evident audit log (auditlog.h): entries, tree, signed heads.
 *
 * One entry is the canonical JSON (compact, keys sorted) of
 *   {"action","digest","index","object","role","time","who"}
 * with "time" RFC 3339 UTC to the millisecond and "digest" the request's SHA-256 in hex. The
 * entry bytes are the Merkle leaf data; after each append the log signs the head of the
 * tree (sth.h), so every stored row carries a signed commitment to the whole log up to it.
 * The head's timestamp is the entry's time (the request's), so a log rebuilt from the same
 * requests is byte-identical.
 *
 * What a stored row proves, and what the checks below (audit_load) make of it:
 *   - leaf hash = H(0x00 || entry)         an edited entry fails here, or
 *   - the row's head is signed by our key   a forged head fails here, and
 *   - its root = MTH of entries 0..index    an edited entry whose leaf hash was recomputed
 *                                           fails here (the head no longer matches).
 * Deleting rows at the end leaves a shorter log whose heads all verify: only a head saved
 * elsewhere (the commission's, audit_check_head) shows it.
 *
 * Memory: the tree (merkle.c, ~64 bytes a leaf) and every entry with its 113-byte head, so
 * proofs and exports need no store access. The secret key is wiped on free.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "audit/auditlog.h"
#include "audit/merkle.h"
#include "audit/sth.h"

struct audit_entry {
	uint8_t *bytes;               /* canonical JSON; from malloc() */
	size_t len;
	uint8_t sth[STH_BINLEN];      /* the signed head after this entry */
};

struct auditlog {
	uint8_t sk[AUDIT_SKLEN];
	uint8_t pk[AUDIT_PKLEN];
	int can_sign;
	struct merkle *tree;
	struct audit_entry *e;        /* e[0 .. merkle_size(tree)); from malloc() */
	uint64_t cap;
};

#define B64LEN(n) sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL)

static int failf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static struct auditlog *alloc_log(void)
{
	struct auditlog *al;

	if (sodium_init() < 0)
		return NULL;
	al = calloc(1, sizeof(*al));
	if (!al)
		return NULL;
	al->tree = merkle_new();
	if (!al->tree) {
		free(al);
		return NULL;
	}
	return al;
}

struct auditlog *audit_new(const uint8_t sk[AUDIT_SKLEN])
{
	struct auditlog *al = alloc_log();

	if (!al)
		return NULL;
	memcpy(al->sk, sk, AUDIT_SKLEN);
	crypto_sign_ed25519_sk_to_pk(al->pk, al->sk);
	al->can_sign = 1;
	return al;
}

struct auditlog *audit_new_verifier(const uint8_t pk[AUDIT_PKLEN])
{
	struct auditlog *al = alloc_log();

	if (!al)
		return NULL;
	memcpy(al->pk, pk, AUDIT_PKLEN);
	return al;
}

void audit_free(struct auditlog *al)
{
	if (!al)
		return;
	audit_truncate(al, 0);
	free(al->e);
	merkle_free(al->tree);
	sodium_memzero(al->sk, sizeof(al->sk));
	free(al);
}

uint64_t audit_size(const struct auditlog *al)
{
	return merkle_size(al->tree);
}

int audit_root(const struct auditlog *al, uint64_t size, uint8_t out[AUDIT_HASHLEN])
{
	return merkle_root(al->tree, size, out);
}

void audit_truncate(struct auditlog *al, uint64_t size)
{
	uint64_t n = audit_size(al);

	for (uint64_t i = size; i < n; i++) {
		free(al->e[i].bytes);
		al->e[i].bytes = NULL;
	}
	merkle_truncate(al->tree, size);
}

/* Room for entry number `index` (doubling). */
static int reserve_entry(struct auditlog *al, uint64_t index)
{
	uint64_t cap = al->cap ? al->cap : 256;
	void *p;

	if (index < al->cap)
		return 0;
	while (cap <= index)
		cap *= 2;
	p = realloc(al->e, cap * sizeof(*al->e));
	if (!p)
		return -1;
	al->e = p;
	al->cap = cap;
	return 0;
}

/* Keep a copy of entry `index` and its head (the caller has appended its leaf, and truncates
 * the tree back if this fails). */
static int keep_entry(struct auditlog *al, uint64_t index, const uint8_t *bytes, size_t len,
		      const uint8_t sth[STH_BINLEN])
{
	uint8_t *copy;

	if (reserve_entry(al, index) < 0)
		return -1;
	copy = malloc(len);
	if (!copy)
		return -1;
	memcpy(copy, bytes, len);
	al->e[index].bytes = copy;
	al->e[index].len = len;
	memcpy(al->e[index].sth, sth, STH_BINLEN);
	return 0;
}

/* "2026-11-23T10:00:00.123Z" */
static int rfc3339_ms(int64_t ms, char *out, size_t outlen)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	if (ms < 0 || !gmtime_r(&secs, &tm) || !strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return snprintf(out, outlen, "%s.%03dZ", base, (int)(ms % 1000)) < (int)outlen ? 0 : -1;
}

static json_t *entry_object(uint64_t index, const struct audit_fields *f)
{
	char when[40], digest[2 * AUDIT_HASHLEN + 1];

	if (rfc3339_ms(f->time_ms, when, sizeof(when)) < 0)
		return NULL;
	sodium_bin2hex(digest, sizeof(digest), f->digest, AUDIT_HASHLEN);
	/* json_pack refuses (NULL) a string that is not valid UTF-8. */
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "index", (json_int_t)index,
			 "time", when, "who", f->who ? f->who : "", "role", f->role ? f->role : "",
			 "action", f->action ? f->action : "", "object", f->object ? f->object : "",
			 "digest", digest);
}

int audit_append(struct auditlog *al, const struct audit_fields *f, struct store_audit_row *row)
{
	uint64_t index = audit_size(al);
	json_t *obj = NULL;
	char *text = NULL;
	size_t len;
	uint8_t leaf[AUDIT_HASHLEN];
	struct sth h;
	int status = -1;

	if (!al->can_sign)
		return -1;
	obj = entry_object(index, f);
	if (!obj)
		goto out;
	text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	if (!text)
		goto out;
	len = strlen(text);
	if (len > AUDIT_MAXENTRY)
		goto out;
	merkle_leaf_hash(text, len, leaf);
	if (merkle_append(al->tree, leaf) < 0)
		goto out;
	memset(&h, 0, sizeof(h));
	h.tree_size = index + 1;
	h.timestamp_ms = f->time_ms;
	merkle_root(al->tree, index + 1, h.root);
	if (sth_sign(&h, al->sk) < 0)
		goto undo;
	{
		uint8_t bin[STH_BINLEN];

		sth_serialize(&h, bin);
		if (keep_entry(al, index, (const uint8_t *)text, len, bin) < 0)
			goto undo;
	}
	row->index = index;
	row->entry = al->e[index].bytes;
	row->entry_len = len;
	memcpy(row->leaf_hash, leaf, AUDIT_HASHLEN);
	row->sth = al->e[index].sth;
	row->sth_len = STH_BINLEN;
	status = 0;
	goto out;
undo:
	merkle_truncate(al->tree, index);
out:
	free(text);
	json_decref(obj);
	return status;
}

/* Is this entry a JSON object whose "index" is `index`? */
static int entry_index_ok(const uint8_t *bytes, size_t len, uint64_t index)
{
	json_t *obj = json_loadb((const char *)bytes, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ix = obj ? json_object_get(obj, "index") : NULL;
	int ok = json_is_object(obj) && json_is_integer(ix) && json_integer_value(ix) >= 0 &&
		 (uint64_t)json_integer_value(ix) == index;

	json_decref(obj);
	return ok;
}

int audit_load(struct auditlog *al, const struct store_audit_row *row, char *err, size_t errlen)
{
	uint64_t index = audit_size(al);
	uint8_t leaf[AUDIT_HASHLEN], root[AUDIT_HASHLEN];
	struct sth h;

	if (row->index != index)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: missing (the next row has "
			     "index %" PRIu64 ")", index, row->index);
	if (!row->entry || row->entry_len == 0 || row->entry_len > AUDIT_MAXENTRY)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: empty or oversized entry",
			     index);
	merkle_leaf_hash(row->entry, row->entry_len, leaf);
	if (memcmp(leaf, row->leaf_hash, AUDIT_HASHLEN) != 0)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: leaf hash does not match "
			     "the entry", index);
	if (!entry_index_ok(row->entry, row->entry_len, index))
		return failf(err, errlen, "entry %" PRIu64 " does not verify: not a JSON object with "
			     "its own index", index);
	if (!row->sth || sth_parse(&h, row->sth, row->sth_len) < 0)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: malformed signed tree head",
			     index);
	if (h.tree_size != index + 1)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: signed tree head has size "
			     "%" PRIu64 ", not %" PRIu64, index, h.tree_size, index + 1);
	if (sth_verify(&h, al->pk) < 0)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: bad signature on the tree "
			     "head", index);
	if (merkle_append(al->tree, leaf) < 0)
		return failf(err, errlen, "entry %" PRIu64 ": out of memory", index);
	merkle_root(al->tree, index + 1, root);
	if (memcmp(root, h.root, AUDIT_HASHLEN) != 0) {
		merkle_truncate(al->tree, index);
		return failf(err, errlen, "entry %" PRIu64 " does not verify: the log's root at size "
			     "%" PRIu64 " differs from the signed tree head", index, index + 1);
	}
	if (keep_entry(al, index, row->entry, row->entry_len, row->sth) < 0) {
		merkle_truncate(al->tree, index);
		return failf(err, errlen, "entry %" PRIu64 ": out of memory", index);
	}
	return 0;
}

int audit_load_json(struct auditlog *al, const json_t *elem, char *err, size_t errlen)
{
	uint64_t index = audit_size(al);
	const json_t *ix, *entry, *leaf, *sth;
	struct store_audit_row row;
	struct sth h;
	uint8_t bin[STH_BINLEN];
	char why[128];

	ix = json_object_get(elem, "index");
	entry = json_object_get(elem, "entry");
	leaf = json_object_get(elem, "leaf_hash");
	sth = json_object_get(elem, "sth");
	if (!json_is_object(elem) || !json_is_integer(ix) || json_integer_value(ix) < 0 ||
	    !json_is_string(entry) || !json_is_string(leaf) || !sth)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: export element needs "
			     "index, entry, leaf_hash and sth", index);
	memset(&row, 0, sizeof(row));
	row.index = (uint64_t)json_integer_value(ix);
	row.entry = (const uint8_t *)json_string_value(entry);
	row.entry_len = json_string_length(entry);
	if (sth_unb64(json_string_value(leaf), json_string_length(leaf), row.leaf_hash,
		      AUDIT_HASHLEN) < 0)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: leaf_hash is not base64 "
			     "of 32 bytes", index);
	if (sth_from_json(&h, sth, why, sizeof(why)) < 0)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: %s", index, why);
	sth_serialize(&h, bin);
	row.sth = bin;
	row.sth_len = sizeof(bin);
	return audit_load(al, &row, err, errlen);
}

int audit_check_head(const struct auditlog *al, const json_t *j, char *err, size_t errlen)
{
	struct sth h;
	uint8_t root[AUDIT_HASHLEN];
	uint64_t n = audit_size(al);
	char why[128];

	if (sth_from_json(&h, j, why, sizeof(why)) < 0)
		return failf(err, errlen, "saved tree head: %s", why);
	if (sth_verify(&h, al->pk) < 0)
		return failf(err, errlen, "saved tree head: bad signature (not this log's key)");
	if (h.tree_size > n)
		return failf(err, errlen, "entry %" PRIu64 " does not verify: missing (the log ends "
			     "after %" PRIu64 " entries, the saved tree head has %" PRIu64 ")",
			     n, n, h.tree_size);
	merkle_root(al->tree, h.tree_size, root);
	if (memcmp(root, h.root, AUDIT_HASHLEN) != 0)
		return failf(err, errlen, "saved tree head: the log's root at size %" PRIu64
			     " differs from it (the first %" PRIu64 " entries were rewritten)",
			     h.tree_size, h.tree_size);
	return 0;
}

json_t *audit_sth_json(const struct auditlog *al)
{
	uint64_t n = audit_size(al);
	struct sth h;

	if (n == 0 || sth_parse(&h, al->e[n - 1].sth, STH_BINLEN) < 0)
		return NULL;
	return sth_to_json(&h);
}

/* A JSON array of base64 hashes. */
static json_t *hash_array(uint8_t proof[][AUDIT_HASHLEN], size_t n)
{
	json_t *a = json_array();
	char b64[B64LEN(AUDIT_HASHLEN)];

	for (size_t i = 0; a && i < n; i++) {
		sth_b64(proof[i], AUDIT_HASHLEN, b64, sizeof(b64));
		if (json_array_append_new(a, json_string(b64)) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *audit_inclusion_json(const struct auditlog *al, uint64_t index, uint64_t size, char *err,
			     size_t errlen)
{
	uint8_t proof[AUDIT_MAXPROOF][AUDIT_HASHLEN];
	size_t n;
	uint64_t have = audit_size(al);

	if (size == 0 || size > have) {
		failf(err, errlen, "tree_size must be between 1 and %" PRIu64, have);
		return NULL;
	}
	if (index >= size) {
		failf(err, errlen, "leaf_index must be below tree_size");
		return NULL;
	}
	if (merkle_inclusion(al->tree, index, size, proof, &n) < 0) {
		failf(err, errlen, "no inclusion proof");
		return NULL;
	}
	return json_pack("{s:I, s:I, s:o}", "leaf_index", (json_int_t)index, "tree_size",
			 (json_int_t)size, "audit_path", hash_array(proof, n));
}

json_t *audit_consistency_json(const struct auditlog *al, uint64_t first, uint64_t second,
			       char *err, size_t errlen)
{
	uint8_t proof[AUDIT_MAXPROOF][AUDIT_HASHLEN];
	size_t n;
	uint64_t have = audit_size(al);

	if (second == 0 || second > have) {
		failf(err, errlen, "second must be between 1 and %" PRIu64, have);
		return NULL;
	}
	if (first == 0 || first > second) {
		failf(err, errlen, "first must be between 1 and second");
		return NULL;
	}
	if (merkle_consistency(al->tree, first, second, proof, &n) < 0) {
		failf(err, errlen, "no consistency proof");
		return NULL;
	}
	return json_pack("{s:I, s:I, s:o}", "first", (json_int_t)first, "second", (json_int_t)second,
			 "consistency", hash_array(proof, n));
}

static json_t *entry_json(const struct auditlog *al, uint64_t i)
{
	uint8_t leaf[AUDIT_HASHLEN];
	char b64[B64LEN(AUDIT_HASHLEN)];
	struct sth h;
	json_t *sth;

	merkle_leaf(al->tree, i, leaf);
	sth_b64(leaf, AUDIT_HASHLEN, b64, sizeof(b64));
	if (sth_parse(&h, al->e[i].sth, STH_BINLEN) < 0)
		return NULL;
	sth = sth_to_json(&h);
	if (!sth)
		return NULL;
	return json_pack("{s:I, s:s%, s:s, s:o}", "index", (json_int_t)i, "entry",
			 (const char *)al->e[i].bytes, al->e[i].len, "leaf_hash", b64, "sth", sth);
}

json_t *audit_entries_json(const struct auditlog *al, uint64_t start, uint64_t end, char *err,
			   size_t errlen)
{
	uint64_t have = audit_size(al);
	json_t *a;

	if (start > end || start > have) {
		failf(err, errlen, "start must be at most end and at most %" PRIu64, have);
		return NULL;
	}
	if (end > have)
		end = have;
	if (end - start > AUDIT_MAXPAGE)
		end = start + AUDIT_MAXPAGE;
	a = json_array();
	for (uint64_t i = start; a && i < end; i++) {
		json_t *e = entry_json(al, i);

		if (!e || json_array_append_new(a, e) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	if (!a)
		failf(err, errlen, "out of memory");
	return a;
}

/* ---- key files ------------------------------------------------------------------------ */

/* Read exactly n bytes from a regular file of exactly that size; 1 if absent. */
static int read_exact(const char *path, uint8_t *buf, size_t n, int private, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t got;
	int status = -1;

	if (fd < 0) {
		if (errno == ENOENT)
			return 1;
		return failf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		failf(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size != n) {
		failf(err, errlen, "%s: %lld bytes, a key file has %zu", path, (long long)st.st_size, n);
		goto out;
	}
	if (private && (st.st_mode & 077)) {
		failf(err, errlen, "%s: readable by others (mode %03o); chmod 600 it", path,
		      (unsigned)(st.st_mode & 0777));
		goto out;
	}
	got = read(fd, buf, n);
	if (got != (ssize_t)n) {
		failf(err, errlen, "%s: short read", path);
		goto out;
	}
	status = 0;
out:
	close(fd);
	return status;
}

static int write_new(const char *path, const uint8_t *buf, size_t n, mode_t mode, char *err,
		     size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return failf(err, errlen, "%s: %s", path, strerror(errno));
	if (write(fd, buf, n) != (ssize_t)n || fsync(fd) < 0) {
		failf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

int audit_key_load_or_create(const char *sk_path, const char *pk_path, uint8_t sk[AUDIT_SKLEN],
			     uint8_t pk[AUDIT_PKLEN], char *err, size_t errlen)
{
	uint8_t filepk[AUDIT_PKLEN], seed[crypto_sign_SEEDBYTES], check[AUDIT_SKLEN];
	int r, status = -1;

	if (sodium_init() < 0)
		return failf(err, errlen, "libsodium did not initialise");
	r = read_exact(sk_path, sk, AUDIT_SKLEN, 1, err, errlen);
	if (r < 0)
		goto out;
	if (r == 1) {
		/* No secret key: make one, unless a public key is already out there. */
		if (read_exact(pk_path, filepk, AUDIT_PKLEN, 0, err, errlen) != 1) {
			failf(err, errlen, "%s exists but %s does not: refusing to make a new key", pk_path,
			      sk_path);
			goto out;
		}
		crypto_sign_keypair(pk, sk);
		if (write_new(sk_path, sk, AUDIT_SKLEN, 0600, err, errlen) < 0)
			goto out;
		if (write_new(pk_path, pk, AUDIT_PKLEN, 0644, err, errlen) < 0) {
			unlink(sk_path);
			goto out;
		}
		status = 0;
		goto out;
	}
	/* The secret key must be a whole Ed25519 key: its seed regenerates it. */
	crypto_sign_ed25519_sk_to_seed(seed, sk);
	crypto_sign_seed_keypair(pk, check, seed);
	if (sodium_memcmp(check, sk, AUDIT_SKLEN) != 0) {
		failf(err, errlen, "%s: not an Ed25519 secret key", sk_path);
		goto out;
	}
	r = read_exact(pk_path, filepk, AUDIT_PKLEN, 0, err, errlen);
	if (r < 0)
		goto out;
	if (r == 1) {
		if (write_new(pk_path, pk, AUDIT_PKLEN, 0644, err, errlen) < 0)
			goto out;
	} else if (memcmp(filepk, pk, AUDIT_PKLEN) != 0) {
		failf(err, errlen, "%s does not belong to %s", pk_path, sk_path);
		goto out;
	}
	status = 0;
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(check, sizeof(check));
	if (status < 0)
		sodium_memzero(sk, AUDIT_SKLEN);
	return status;
}

int audit_pubkey_load(const char *path, uint8_t pk[AUDIT_PKLEN], char *err, size_t errlen)
{
	char buf[129];
	size_t n;
	FILE *f = fopen(path, "rb");

	if (!f)
		return failf(err, errlen, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	if (n == AUDIT_PKLEN) {
		memcpy(pk, buf, AUDIT_PKLEN);
		return 0;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	if (sth_unb64(buf, n, pk, AUDIT_PKLEN) < 0)
		return failf(err, errlen, "%s: not a public key (32 raw bytes or their base64)", path);
	return 0;
}

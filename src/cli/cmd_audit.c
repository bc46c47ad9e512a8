/*
 * cmd_audit.c — `sakimori audit verify|sth`: the commission's offline check of the hub's
 * audit log (DESIGN.md rule 6).
 *
 *   verify  reads every row — from the hub's store (read-only use: rows are only scanned) or
 *           from an export (the JSON array GET /api/v1/audit/entries returns) — and checks
 *           each one as the hub does at start (audit_load: leaf hash, signed head, root at
 *           its size), then a saved tree head if given: signed by the key, the log at least
 *           that long, the same root at its size. The first entry that fails is named.
 *   sth     prints the latest signed tree head as JSON, for the commission to keep.
 *
 * Exit status: 0 verified, 1 does not verify (or cannot be read), 2 usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "audit/auditlog.h"
#include "audit/sth.h"
#include "cli/cmd.h"
#include "store/store.h"

#define EXPORT_MAX (1024L * 1024 * 1024) /* largest export file read */
#define HEAD_MAX   65536                 /* largest saved tree head file read */

static void usage(FILE *out)
{
	fputs("usage: sakimori audit verify (--db DIR|FILE | --log EXPORT.json) --key PUBKEY\n"
	      "                             [--sth SAVED_STH.json]\n"
	      "       sakimori audit sth --db DIR|FILE [--key PUBKEY]\n"
	      "  verify  checks every entry of the hub's audit log offline: its leaf hash, its\n"
	      "          signed tree head (Ed25519, PUBKEY = the hub's audit.pub, raw or base64)\n"
	      "          and that head's root; with --sth also a tree head saved earlier (the\n"
	      "          log must still hold it: a log cut below a saved head fails). --db is\n"
	      "          the hub's data directory or its hub.db; --log an export, the JSON array\n"
	      "          of GET /api/v1/audit/entries. Prints 'audit: N entries verified, root R,\n"
	      "          size N' (exit 0) or names the first entry that does not verify (exit 1).\n"
	      "  sth     prints the latest signed tree head as JSON, to save for a later verify\n"
	      "          (--key: verify the whole log first).\n", out);
}

/* A directory means its hub.db. The file must exist: verifying never creates a store. */
static int store_path(const char *db, char *out, size_t outlen)
{
	struct stat st;

	if (stat(db, &st) < 0) {
		fprintf(stderr, "audit: %s: no such file or directory\n", db);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(out, outlen, "%s/hub.db", db);
		if (stat(out, &st) < 0) {
			fprintf(stderr, "audit: %s: no hub.db in this directory\n", db);
			return -1;
		}
	} else {
		snprintf(out, outlen, "%s", db);
	}
	return 0;
}

struct scan_ctx {
	struct auditlog *al;
	char err[512];
	int failed;
};

static int load_row(const struct store_audit_row *row, void *ctx)
{
	struct scan_ctx *c = ctx;

	if (audit_load(c->al, row, c->err, sizeof(c->err)) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

/* Feed every stored row to al; 0, or -1 having printed why. */
static int load_store(struct auditlog *al, const char *db)
{
	char path[4096], err[512];
	struct store *st = NULL;
	struct scan_ctx c = { .al = al };
	int status = -1;

	if (store_path(db, path, sizeof(path)) < 0)
		return -1;
	if (store_open(&st, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit: %s\n", err);
		return -1;
	}
	if (st->ops->audit_scan(st, 0, UINT64_MAX, load_row, &c) < 0) {
		printf("audit: entry %" PRIu64 " does not verify: %s\n", audit_size(al), store_error(st));
		goto out;
	}
	if (c.failed) {
		printf("audit: %s\n", c.err);
		goto out;
	}
	status = 0;
out:
	store_close(st);
	return status;
}

static json_t *load_json_file(const char *path, long max)
{
	struct stat st;
	json_error_t jerr;
	json_t *j;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "audit: %s: not a readable file\n", path);
		return NULL;
	}
	if (st.st_size > max) {
		fprintf(stderr, "audit: %s: larger than %ld bytes\n", path, max);
		return NULL;
	}
	j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		fprintf(stderr, "audit: %s:%d: %s\n", path, jerr.line, jerr.text);
	return j;
}

/* Feed every element of an export; 0, or -1 having printed why. */
static int load_export(struct auditlog *al, const char *path)
{
	json_t *doc = load_json_file(path, EXPORT_MAX), *arr;
	char err[512];
	json_t *e;
	size_t i;
	int status = -1;

	if (!doc)
		return -1;
	/* The bare array, or an object carrying it as "entries". */
	arr = json_is_array(doc) ? doc : json_object_get(doc, "entries");
	if (!json_is_array(arr)) {
		fprintf(stderr, "audit: %s: not an export (a JSON array of entries)\n", path);
		goto out;
	}
	json_array_foreach(arr, i, e) {
		if (audit_load_json(al, e, err, sizeof(err)) < 0) {
			printf("audit: %s\n", err);
			goto out;
		}
	}
	status = 0;
out:
	json_decref(doc);
	return status;
}

static int verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "log", required_argument, NULL, 'l' },
		{ "key", required_argument, NULL, 'k' },
		{ "sth", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *log = NULL, *key = NULL, *saved = NULL;
	uint8_t pk[AUDIT_PKLEN], root[AUDIT_HASHLEN];
	char err[512], b64[64];
	struct auditlog *al = NULL;
	json_t *head = NULL;
	int status = 1, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'l':
			log = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 's':
			saved = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !key || !db == !log) {
		usage(stderr);
		return 2;
	}
	if (audit_pubkey_load(key, pk, err, sizeof(err)) < 0) {
		fprintf(stderr, "audit: %s\n", err);
		return 1;
	}
	if (saved && !(head = load_json_file(saved, HEAD_MAX)))
		return 1;
	al = audit_new_verifier(pk);
	if (!al) {
		fprintf(stderr, "audit: out of memory\n");
		goto out;
	}
	if ((db ? load_store(al, db) : load_export(al, log)) < 0)
		goto out;
	if (head && audit_check_head(al, head, err, sizeof(err)) < 0) {
		printf("audit: %s\n", err);
		goto out;
	}
	audit_root(al, audit_size(al), root);
	sth_b64(root, sizeof(root), b64, sizeof(b64));
	printf("audit: %" PRIu64 " entries verified, root %s, size %" PRIu64 "\n", audit_size(al), b64,
	       audit_size(al));
	if (head)
		printf("audit: the saved tree head (size %" PRId64 ") is part of this log\n",
		       (int64_t)json_integer_value(json_object_get(head, "tree_size")));
	status = 0;
out:
	json_decref(head);
	audit_free(al);
	return status;
}

struct last_ctx {
	uint8_t sth[STH_BINLEN];
	size_t len;
};

static int keep_last(const struct store_audit_row *row, void *ctx)
{
	struct last_ctx *c = ctx;

	c->len = row->sth_len <= sizeof(c->sth) ? row->sth_len : 0;
	if (c->len)
		memcpy(c->sth, row->sth, c->len);
	return 0;
}

static int print_head(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *db = NULL, *key = NULL;
	char path[4096], err[512], *text = NULL;
	uint8_t pk[AUDIT_PKLEN];
	struct store *st = NULL;
	struct last_ctx last = { .len = 0 };
	struct sth h;
	uint64_t n = 0;
	json_t *j = NULL;
	int status = 1, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			db = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !db) {
		usage(stderr);
		return 2;
	}
	if (key) {
		/* Verify the whole log, then print the head the verifier holds. */
		struct auditlog *al;

		if (audit_pubkey_load(key, pk, err, sizeof(err)) < 0) {
			fprintf(stderr, "audit: %s\n", err);
			return 1;
		}
		al = audit_new_verifier(pk);
		if (!al || load_store(al, db) < 0) {
			audit_free(al);
			return 1;
		}
		j = audit_sth_json(al);
		audit_free(al);
	} else {
		if (store_path(db, path, sizeof(path)) < 0)
			return 1;
		if (store_open(&st, path, err, sizeof(err)) < 0) {
			fprintf(stderr, "audit: %s\n", err);
			return 1;
		}
		if (st->ops->audit_count(st, &n) < 0 ||
		    (n && st->ops->audit_scan(st, n - 1, n, keep_last, &last) < 0)) {
			fprintf(stderr, "audit: %s\n", store_error(st));
			goto out;
		}
		if (n && sth_parse(&h, last.sth, last.len) < 0) {
			printf("audit: entry %" PRIu64 " does not verify: malformed signed tree head\n",
			       n - 1);
			goto out;
		}
		if (n)
			j = sth_to_json(&h);
	}
	if (!j) {
		fprintf(stderr, "audit: the log is empty: no tree head yet\n");
		goto out;
	}
	text = json_dumps(j, JSON_COMPACT);
	if (!text)
		goto out;
	printf("%s\n", text);
	status = 0;
out:
	free(text);
	json_decref(j);
	store_close(st);
	return status;
}

int cmd_audit(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "sth") == 0)
		return print_head(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "sakimori audit: '%s' is not an audit command\n", argv[1]);
	usage(stderr);
	return 2;
}

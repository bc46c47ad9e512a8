/*
 * cmd_admin.c — `sakimori admin`: organisations and tokens, on the hub's data directory.
 *
 *   sakimori admin token create --role R [--org ORG] [--sector S[,S...]] [--label L] [--dir DIR]
 *   sakimori admin token list [--dir DIR]
 *   sakimori admin org add ID --sector S --name NAME [--dir DIR]
 *
 * The data directory (default ./hub-data) may be in use by a running hub: both open the same
 * SQLite store, and the hub loads the audit entries written here before its next request.
 * Every write goes the way an API write goes — one transaction with its audit entry, by
 * "admin-cli" (hub_token_create; `org add` is POST /api/v1/orgs through hub_handle_as, so the
 * organisation is validated and stored exactly as over the API). A new token is printed once,
 * alone on standard output; only its SHA-256 is stored, and `token list` shows labels, roles
 * and bindings, never a secret.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "cli/cmd.h"
#include "hub/hub.h"

static void usage(FILE *out)
{
	fputs("usage: sakimori admin token create --role R [--org ORG] [--sector S[,S...]] [--label L] [--dir DIR]\n"
	      "       sakimori admin token list [--dir DIR]\n"
	      "       sakimori admin org add ID --sector S --name NAME [--dir DIR]\n"
	      "  roles: cabinet ministry operator sensor commission coordinator vendor council public\n",
	      out);
}

struct admin_args {
	const char *dir, *role, *org, *sector, *label, *name;
};

/* Options after "admin NOUN VERB"; the positional arguments stay in argv[optind..]. */
static int parse_opts(int argc, char **argv, struct admin_args *a)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "org", required_argument, NULL, 'o' },
		{ "sector", required_argument, NULL, 's' },
		{ "label", required_argument, NULL, 'l' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(a, 0, sizeof(*a));
	a->dir = "hub-data";
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': a->dir = optarg; break;
		case 'r': a->role = optarg; break;
		case 'o': a->org = optarg; break;
		case 's': a->sector = optarg; break;
		case 'l': a->label = optarg; break;
		case 'n': a->name = optarg; break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

static int open_hub(struct hub *hub, const char *dir)
{
	struct hub_config cfg;
	char err[512];

	hub_config_defaults(&cfg);
	cfg.dir = dir;
	if (hub_open(hub, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sakimori admin: %s\n", err);
		return -1;
	}
	return 0;
}

static int copy_key(char *dst, size_t size, const char *src, const char *what)
{
	if (!src)
		return 0;
	if (strlen(src) >= size) {
		fprintf(stderr, "sakimori admin: %s too long\n", what);
		return -1;
	}
	strcpy(dst, src);
	return 0;
}

static int token_create(const struct admin_args *a)
{
	struct store_token spec;
	struct hub hub;
	char token[HUB_TOKEN_MAX], err[512];
	int rc;

	if (!a->role) {
		fprintf(stderr, "sakimori admin: token create needs --role\n");
		return 2;
	}
	memset(&spec, 0, sizeof(spec));
	if (copy_key(spec.role, sizeof(spec.role), a->role, "--role") < 0 ||
	    copy_key(spec.org, sizeof(spec.org), a->org, "--org") < 0 ||
	    copy_key(spec.sectors, sizeof(spec.sectors), a->sector, "--sector") < 0 ||
	    copy_key(spec.label, sizeof(spec.label), a->label, "--label") < 0)
		return 2;
	if (open_hub(&hub, a->dir) < 0)
		return 1;
	rc = hub_token_create(&hub, &spec, token, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "sakimori admin: %s\n", err);
		hub_close(&hub);
		return 1;
	}
	printf("%s\n", token);
	fflush(stdout);
	sodium_memzero(token, sizeof(token));
	fprintf(stderr, "token '%s' (role %s%s%s%s%s) created; it is shown only this once\n", spec.label,
		spec.role, spec.org[0] ? ", org " : "", spec.org, spec.sectors[0] ? ", sectors " : "",
		spec.sectors);
	hub_close(&hub);
	return 0;
}

static int print_token(const struct store_doc *d, void *ctx)
{
	json_t *b = d->body;
	const char *s, *label, *hash;
	char when[32] = "-";
	time_t t = (time_t)d->created;
	struct tm tm;

	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	s = json_string_value(json_object_get(b, "sectors"));
	label = json_string_value(json_object_get(b, "label"));
	hash = json_string_value(json_object_get(b, "hash_prefix"));
	printf("%-24s %-11s %-20s %-24s %s %s\n", label ? label : "-", d->state, d->org[0] ? d->org : "-",
	       s && *s ? s : "-", when, hash ? hash : "-");
	(*(unsigned long *)ctx)++;
	return 0;
}

static int token_list(const struct admin_args *a)
{
	struct store_filter f = { .kind = "token" };
	struct hub hub;
	unsigned long n = 0;
	int rc = 0;

	if (open_hub(&hub, a->dir) < 0)
		return 1;
	printf("%-24s %-11s %-20s %-24s %-20s %s\n", "LABEL", "ROLE", "ORG", "SECTORS", "CREATED", "HASH");
	if (hub.st->ops->doc_list(hub.st, &f, print_token, &n) != 0) {
		fprintf(stderr, "sakimori admin: %s\n", store_error(hub.st));
		rc = 1;
	}
	fprintf(stderr, "%lu tokens\n", n);
	hub_close(&hub);
	return rc;
}

static int org_add(const struct admin_args *a, const char *id)
{
	static const struct hub_principal admin = { .role = ROLE_CABINET, .id = "admin-cli" };
	struct hub_resp resp;
	struct hub hub;
	json_t *req;
	char *body;
	int rc = 1;

	if (!a->sector || !a->name) {
		fprintf(stderr, "sakimori admin: org add needs --sector and --name\n");
		return 2;
	}
	req = json_pack("{s:s, s:s, s:s}", "id", id, "name", a->name, "sector", a->sector);
	body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body) {
		fprintf(stderr, "sakimori admin: the arguments are not valid UTF-8\n");
		return 2;
	}
	if (open_hub(&hub, a->dir) < 0) {
		free(body);
		return 1;
	}
	hub_handle_as(&hub, &admin, "POST", "/api/v1/orgs", NULL, (const uint8_t *)body, strlen(body), &resp);
	if (resp.status >= 200 && resp.status < 300) {
		printf("org %s registered (sector %s, audit entry %lld)\n", id, a->sector,
		       (long long)json_integer_value(json_object_get(resp.body, "audit_index")));
		rc = 0;
	} else {
		const char *e = json_string_value(json_object_get(resp.body, "error"));

		fprintf(stderr, "sakimori admin: org add refused (%d): %s\n", resp.status, e ? e : "?");
	}
	json_decref(resp.body);
	free(body);
	hub_close(&hub);
	return rc;
}

int cmd_admin(int argc, char **argv)
{
	struct admin_args a;
	int rc;

	if (argc < 3) {
		int help = argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0);

		usage(help ? stdout : stderr);
		return help ? 0 : 2;
	}
	rc = parse_opts(argc - 2, argv + 2, &a);
	if (rc != 0)
		return rc < 0 ? 2 : 0;
	if (strcmp(argv[1], "token") == 0 && strcmp(argv[2], "create") == 0 && optind == argc - 2)
		return token_create(&a);
	if (strcmp(argv[1], "token") == 0 && strcmp(argv[2], "list") == 0 && optind == argc - 2)
		return token_list(&a);
	if (strcmp(argv[1], "org") == 0 && strcmp(argv[2], "add") == 0 && optind == argc - 3)
		return org_add(&a, argv[2 + optind]);
	usage(stderr);
	return 2;
}

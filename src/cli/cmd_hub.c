/*
 * cmd_hub.c — `sakimori hub`: serve the hub's JSON API (hub.h) until SIGTERM or SIGINT.
 *
 *   sakimori hub [--dir DIR] [--listen HOST:PORT] [--retention D] [--prompt-deadline D]
 *                [--written-deadline D] [--sweep D] [--threads N]
 *
 * DIR (default ./hub-data) holds hub.db (SQLite), audit.key and audit.pub; it is created
 * (mode 0700) if missing. The stored audit log is verified entry by entry before the hub
 * listens; a log that does not verify keeps the hub from starting (exit 1). Durations are a
 * number with a unit: 90s, 15m, 24h, 30d, 2y (365 days); a bare number is seconds. Once
 * listening, one line goes to standard output:
 *   hub: listening on http://127.0.0.1:8080 (store DIR/hub.db, audit log N entries)
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/log.h"
#include "hub/hub.h"

static volatile int stop_flag;

static void on_stop(int sig)
{
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fputs("usage: sakimori hub [--dir DIR] [--listen HOST:PORT] [--retention D] [--prompt-deadline D]\n"
	      "                    [--written-deadline D] [--sweep D] [--threads N]\n"
	      "  durations: 90s 15m 24h 30d 2y (a bare number is seconds)\n", out);
}

/* "90s", "15m", "24h", "30d", "2y" or seconds; > 0 and below a century. */
static int parse_duration(const char *s, int64_t *out)
{
	char *end;
	long long n;
	int64_t mul = 1;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (errno || end == s || n <= 0)
		return -1;
	if (*end) {
		if (end[1])
			return -1;
		switch (*end) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		case 'y': mul = 365 * 86400LL; break;
		default: return -1;
		}
	}
	if (n > 100 * 365 * 86400LL / mul)
		return -1;
	*out = n * mul;
	return 0;
}

int cmd_hub(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "retention", required_argument, NULL, 'r' },
		{ "prompt-deadline", required_argument, NULL, 'p' },
		{ "written-deadline", required_argument, NULL, 'w' },
		{ "sweep", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hub_config cfg;
	struct hub hub;
	struct sigaction sa;
	char err[512];
	int c, rc;

	hub_config_defaults(&cfg);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int64_t *dst = NULL;

		switch (c) {
		case 'd': cfg.dir = optarg; break;
		case 'l': cfg.listen = optarg; break;
		case 'r': dst = &cfg.retention_s; break;
		case 'p': dst = &cfg.prompt_deadline_s; break;
		case 'w': dst = &cfg.written_deadline_s; break;
		case 's': dst = &cfg.sweep_interval_s; break;
		case 't': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (end == optarg || *end || n < 1 || n > 256) {
				log_error("--threads %s: want 1..256", optarg);
				return 2;
			}
			cfg.threads = (unsigned)n;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (dst && parse_duration(optarg, dst) < 0) {
			log_error("%s: not a duration (90s, 15m, 24h, 30d, 2y)", optarg);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	if (hub_open(&hub, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "sakimori hub: %s\n", err);
		return 1;
	}
	rc = hub_serve(&hub, &stop_flag);
	hub_close(&hub);
	return rc;
}

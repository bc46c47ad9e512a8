/*
 * cmd_sensor.c — `sakimori sensor`: read traffic, select automatically, write records.
 *
 *   sakimori sensor -r PCAP|-i IFACE [-w N] [-s SELECTORS -o RECORDS.jsonl [--stats STATS.json]]
 *
 * Without -s the sensor surveys: it prints counts per direction and per protocol and writes
 * nothing else. With -s it keeps the mechanical information of flows that match an approved
 * selector, one JSON line per flow, and discards everything else at once. The summary goes to
 * standard output (standard error when the records do); no byte of any packet is printed.
 *
 * -i captures live (AF_PACKET ring, source_afpacket.c). -w N (N > 1) runs N pipelines on N
 * threads (select/workers.h): live, one ring each in one fanout group; from a classic pcap
 * file, the workers share blocks of the file and each runs its share of the flows; from
 * pcapng or a pipe, one reader thread hands each flow's frames to one worker. Records go to
 * the one output, the summary and the stats are summed over the workers. -w 1 (the default)
 * is the single-threaded path, no extra thread. With workers a reload is built once (by the
 * worker reading a block, the reader thread or, live, the waiting thread) and taken up by each worker at the same packet boundary
 * (live: its next one); "reloaded" is logged once every worker has it, and the old set is
 * freed then.
 * Signals, for files and live alike: SIGTERM and SIGINT stop reading at the next packet
 * boundary (live: within ~100 ms even without traffic); open flows are emitted and the stats
 * written as at the end of a file, and the exit status is 0 ("stopped by signal"). SIGHUP
 * reloads the selector file at the next packet boundary: the new set is loaded aside with
 * sel_load; a refused file keeps the old set ("reload refused: FILE:LINE: reason"); a good
 * one is swapped in with pl_reload, which emits the open flows under the old set first (their
 * records split at that instant, none lost), and the old set is freed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd.h"
#include "common/harden.h"
#include "common/log.h"
#include "common/pseudo.h"
#include "geo/geo.h"
#include "packet/source.h"
#include "select/pipeline.h"
#include "select/rules.h"
#include "select/workers.h"

#define DEFAULT_KEY_FILE "sakimori-pseudonym.key"

static void usage(FILE *out)
{
	fprintf(out, "usage: sakimori sensor -r FILE|-i IFACE [-w N|--workers N] [-s SELECTORS -o RECORDS.jsonl|-]\n"
		     "                       [--stats FILE] [--db FILE] [--domestic FILE]\n"
		     "                       [--pseudonym-key FILE] [-q]\n");
}

static volatile sig_atomic_t reload_flag;

static void on_stop(int sig)
{
	source_stop_flag = 1;
}

static void on_hup(int sig)
{
	reload_flag = 1;
}

static int install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;      /* no SA_RESTART: a blocked poll or read wakes up */
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	/* SA_RESTART: a reload waits for the next frame; a blocked read of a pipe must not
	 * fail with EINTR (libpcap would take it for a broken file) */
	sa.sa_handler = on_hup;
	sa.sa_flags = SA_RESTART;
	return sigaction(SIGHUP, &sa, NULL);
}

/* SIGHUP: load the file aside; swap it in, or keep the old set and say why. */
static void reload(struct pipeline *pl, struct sel_set **sel, const char *selfile)
{
	char err[512];
	struct sel_set *next;

	if (!*sel) {
		log_warn("reload ignored: no selector file (survey mode)");
		return;
	}
	next = sel_load(selfile, err, sizeof(err));
	if (!next) {
		log_error("reload refused: %s", err);
		return;
	}
	if (pl_reload(pl, next) < 0) {
		log_error("reload refused: %s: out of memory", selfile);
		sel_set_free(next);
		return;
	}
	sel_set_free(*sel);
	*sel = next;
	log_info("reloaded %s: %zu selectors, after %llu packets", selfile, sel_count(next),
		 (unsigned long long)pl_stats(pl)->pk.packets);
}

struct reload_ctx {
	struct pipeline *pl;
	struct sel_set **sel;
	const char *selfile;
};

/* Between frames: act on a SIGHUP. */
static void between_frames(void *ctx)
{
	struct reload_ctx *rc = ctx;

	if (reload_flag) {
		reload_flag = 0;
		reload(rc->pl, rc->sel, rc->selfile);
	}
}

/* Workers: the reload hook, polled by the reading or waiting thread (the one signals reach). */
static struct sel_set *pool_reload(void *ctx)
{
	const char *selfile = ctx;
	char err[512];
	struct sel_set *next;

	if (!reload_flag)
		return NULL;
	reload_flag = 0;
	if (!selfile) {
		log_warn("reload ignored: no selector file (survey mode)");
		return NULL;
	}
	next = sel_load(selfile, err, sizeof(err));
	if (!next)
		log_error("reload refused: %s", err);
	return next;
}

static void pool_reloaded(void *ctx, const struct sel_set *s, uint64_t packets)
{
	log_info("reloaded %s: %zu selectors, after %llu packets", (const char *)ctx, sel_count(s),
		 (unsigned long long)packets);
}

struct record_out {
	FILE *f;
	unsigned long long lines;
	int failed;
};

static void write_record(void *ctx, const char *line, size_t len)
{
	struct record_out *ro = ctx;

	if (fwrite(line, 1, len, ro->f) != len || fputc('\n', ro->f) == EOF)
		ro->failed = 1;
	ro->lines++;
}

static int write_stats_file(const struct pipeline *const *pls, size_t n, const char *path)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f) {
		log_error("%s: cannot write stats", path);
		return -1;
	}
	rc = pl_write_stats_n(pls, n, f);
	if (fclose(f) != 0 || rc != 0) {
		log_error("%s: cannot write stats", path);
		return -1;
	}
	return 0;
}

int cmd_sensor(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "interface", required_argument, NULL, 'i' },
		{ "workers", required_argument, NULL, 'w' },
		{ "selectors", required_argument, NULL, 's' },
		{ "output", required_argument, NULL, 'o' },
		{ "stats", required_argument, NULL, 'S' },
		{ "db", required_argument, NULL, 'D' },
		{ "domestic", required_argument, NULL, 'd' },
		{ "pseudonym-key", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *input = NULL, *iface = NULL, *db = NULL, *domestic = NULL, *keyfile = DEFAULT_KEY_FILE;
	const char *selfile = NULL, *output = NULL, *statsfile = NULL;
	int quiet = 0, c, rc = 1, have_key = 0;
	long workers = 1;   /* 1: the single-threaded path, no extra thread */
	char *end;
	char err[512];
	struct pseudo key;
	struct geo *geo = NULL;
	struct sel_set *sel = NULL;
	struct source *src = NULL;
	struct pipeline *pl = NULL;
	struct wk_pool *pool = NULL;
	struct record_out ro = { NULL, 0, 0 };
	FILE *summary = stdout;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:i:w:s:o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r': input = optarg; break;
		case 'i': iface = optarg; break;
		case 'w':
			workers = strtol(optarg, &end, 10);
			if (end == optarg || *end || workers < 1 || workers > WK_MAX_WORKERS) {
				log_error("-w %s: not a number of workers (1..%d)", optarg, WK_MAX_WORKERS);
				return 2;
			}
			break;
		case 's': selfile = optarg; break;
		case 'o': output = optarg; break;
		case 'S': statsfile = optarg; break;
		case 'D': db = optarg; break;
		case 'd': domestic = optarg; break;
		case 'k': keyfile = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!input == !iface || optind != argc || (selfile && !output) || (output && !selfile)) {
		usage(stderr);
		return 2;
	}
	if (harden_no_core_dumps() < 0) {
		log_error("cannot disable core dumps: refusing to read traffic");
		return 1;
	}
	/* Refuse a bad selector file before anything else is touched (rule 3). */
	if (selfile) {
		sel = sel_load(selfile, err, sizeof(err));
		if (!sel) {
			log_error("%s", err);
			return 1;
		}
	}
	if (install_signals() < 0) {
		log_error("cannot install signal handlers");
		goto out;
	}
	/* A file is opened first (its errors come before anything is created); a live ring
	 * last, so that it does not fill up while the rest is being set up. */
	if (input && !(src = source_open_file(input, err, sizeof(err)))) {
		log_error("%s", err);
		goto out;
	}
	if (pseudo_load_or_create(&key, keyfile, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	have_key = 1;
	geo = geo_open(db, err, sizeof(err));
	if (!geo) {
		log_error("%s", err);
		goto out;
	}
	if (domestic && geo_add_domestic_file(geo, domestic, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (output) {
		if (strcmp(output, "-") == 0) {
			ro.f = stdout;
			summary = stderr;
		} else if (!(ro.f = fopen(output, "w"))) {
			log_error("%s: cannot write records", output);
			goto out;
		}
	}

	struct pl_config cfg = { .geo = geo, .key = &key, .sel = sel, .emit = write_record,
				 .emit_ctx = &ro };
	const struct pipeline *const *pls;
	size_t npl;
	uint64_t packets;
	const char *why;

	if (workers > 1) {
		struct wk_hooks hooks = { pool_reload, pool_reloaded, (void *)selfile };

		pool = wk_new(&cfg, (unsigned)workers, &hooks);
		sel = NULL;                  /* the pool's now, also if it failed */
		if (!pool) {
			log_error("out of memory");
			goto out;
		}
		if (iface) {
			if (wk_open_live(pool, iface, err, sizeof(err)) < 0) {
				log_error("%s", err);
				goto out;
			}
			log_info("%s: capturing with %ld workers", iface, workers);
			rc = wk_run_live(pool) == 0 ? 0 : 1;
		} else {
			rc = wk_run_file(pool, src) == 0 ? 0 : 1;
		}
		pls = wk_pipelines(pool, &npl);
		packets = wk_packets(pool);
		why = wk_error(pool);
	} else {
		if (iface) {
			if (!(src = source_open_live(iface, err, sizeof(err)))) {
				log_error("%s", err);
				goto out;
			}
			log_info("%s: capturing", iface);
		}
		pl = pl_new(&cfg);
		if (!pl) {
			log_error("out of memory");
			goto out;
		}
		struct reload_ctx rctx = { pl, &sel, selfile };
		rc = pl_run_source(pl, src, between_frames, &rctx) == 0 ? 0 : 1;
		pls = (const struct pipeline *const *)&pl;
		npl = 1;
		packets = pl_stats(pl)->pk.packets;
		why = source_error(src);
	}
	if (rc != 0)
		log_error("%s: %s (after %llu packets; counts so far below)", iface ? iface : input,
			  why, (unsigned long long)packets);
	else if (source_stop_flag)
		log_info("stopped by signal after %llu packets", (unsigned long long)packets);
	if (ro.f && (fflush(ro.f) != 0 || ro.failed)) {
		log_error("%s: writing records failed", output);
		rc = 1;
	}
	if (statsfile && write_stats_file(pls, npl, statsfile) < 0)
		rc = 1;
	if (!quiet || rc != 0) {
		fprintf(summary, "sakimori sensor: %s%s%s\n", iface ? iface : input,
			selfile ? " with selectors " : "", selfile ? selfile : "");
		pl_print_summary_n(pls, npl, summary);
		if (output)
			fprintf(summary, "\nrecords: %llu lines to %s\n", ro.lines,
				strcmp(output, "-") ? output : "standard output");
	}
out:
	if (ro.f && ro.f != stdout)
		fclose(ro.f);
	pl_free(pl);
	wk_free(pool);       /* live: its rings are closed already */
	source_close(src);   /* live: logs the kernel's drop count */
	geo_close(geo);
	sel_set_free(sel);
	if (have_key)
		pseudo_wipe(&key);
	return rc;
}

/*
 * workers.h — the sensor on N cores (`sakimori sensor -w N`): one pipeline per worker thread.
 *
 * Live (-i): N AF_PACKET rings in one PACKET_FANOUT group; the kernel hashes each flow to one
 * ring, each worker reads its own ring through its own pipeline. Classic pcap file (-r): the
 * workers share a ring of blocks of the file; whichever needs the next block reads it, decodes
 * each frame's headers once and groups the frames by the worker that owns their endpoint pair
 * (both directions alike); each worker runs its own frames. Other files (pcapng, pipes): one
 * reader thread copies each frame into a batch of the worker that owns the pair, through a
 * bounded single-producer/single-consumer ring per worker. The compiled selector set, the
 * location tables and the pseudonym key are shared read-only; flow tables, meta engines and
 * Hyperscan scratch are per worker. Records of all workers go to one output, whole lines, in
 * order of emission.
 */
#ifndef SK_WORKERS_H
#define SK_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet/source.h"
#include "select/pipeline.h"
#include "select/rules.h"

#define WK_MAX_WORKERS 1024

struct wk_pool;

struct wk_hooks {
	/* Polled between frames (file: by the reader) or every ~50 ms (live: by the calling
	 * thread) while no reload is under way: a new selector set to swap in, or NULL for none.
	 * A set returned here belongs to the pool. May be NULL. */
	struct sel_set *(*reload)(void *ctx);
	/* Every worker has swapped to s; packets were read before it took over everywhere. */
	void (*reloaded)(void *ctx, const struct sel_set *s, uint64_t packets);
	void *ctx;
};

/* A pool of n workers (1..WK_MAX_WORKERS), each with pl_new(cfg). The pool owns cfg->sel
 * (NULL: survey mode) from this call on, also when it fails (NULL). cfg->emit is called from
 * the worker threads, one whole line at a time under the pool's output lock. hooks may be
 * NULL. */
struct wk_pool *wk_new(const struct pl_config *cfg, unsigned n, const struct wk_hooks *hooks);
void wk_free(struct wk_pool *wp);

/* Read src with the workers in n threads (sharing blocks when src reads in blocks, else fed
 * by a reader in the calling thread), until the source ends or source_stop_flag is
 * set; every worker then emits its open flows. Returns 0,
 * or -1 if the input broke or a thread could not start (wk_error says why; counts so far
 * stay). Signals SIGHUP, SIGINT and SIGTERM are blocked in the workers. */
int wk_run_file(struct wk_pool *wp, struct source *src);

/* Open one capture ring per worker on ifname, all in one fanout group. 0, or -1 with err. */
int wk_open_live(struct wk_pool *wp, const char *ifname, char *err, size_t errlen);
/* Capture with the workers until source_stop_flag is set (or a ring fails: -1, wk_error);
 * the calling thread polls the reload hook. The rings are closed on return (each logs its
 * kernel drop count). */
int wk_run_live(struct wk_pool *wp);

/* Shared blocks of a classic pcap file: bytes (more than SOURCE_BLOCK_MIN) and frames at most
 * per block, before the first run (default 1 MiB, 8192). Small blocks make the ring of blocks
 * wrap often, for tests. 0, or -1 if out of range or too late. */
int wk_set_blocks(struct wk_pool *wp, size_t bytes, size_t frames);

const char *wk_error(const struct wk_pool *wp);
/* The workers' pipelines (n of them), for pl_print_summary_n / pl_write_stats_n. */
const struct pipeline *const *wk_pipelines(const struct wk_pool *wp, size_t *n);
/* Packets read so far, summed over workers (only once a run has returned). */
uint64_t wk_packets(const struct wk_pool *wp);
/* For tests of rule 1: true iff the needle occurs in any batch slab or shared block of the
 * pool (after a run every one must be clear). */
bool wk_holds(const struct wk_pool *wp, const void *needle, size_t n);

#endif

/*
 * workers.c — N pipelines on N threads: shared blocks, the reader, the rings, reloads, output.
 *
 * NOTES ON THE DESIGN
 *
 * Classic pcap file input (-r FILE -w N: the source reads in blocks):
 *
 *   the workers share a ring of blocks (n + 4 slots, at most WK_BLOCKS_MAX). Block seq lives
 *   in slot seq % nblk. Blocks are read in the file's order by whichever worker gets there,
 *   under rd_mu: whole records into the slot's buffer (source_block), then the reload hook
 *   polled after each frame. Outside the lock the reader decodes every frame's headers once,
 *   groups the frames by owner (a counting sort), and publishes the block (ready = seq + 1,
 *   left = n + 1). A worker that needs block seq and finds it unread reads it itself; one
 *   that finds another worker still on it reads the next unread block instead, if that
 *   block's slot is free (read-ahead), so that neither waits while there is reading to do.
 *   Each worker runs pl_decoded on its own group of a block, in the file's order; the last
 *   to leave the block clears all its frames (bytes, decoded headers, descriptors) and frees
 *   the slot for block seq + nblk. So the file is read once and each frame decoded once
 *   whichever worker does it, no worker copies another's frames, and no two workers write
 *   to the same cache line of a block while they run it. A worker waits (spinning briefly,
 *   then on bk_cv) only when nothing is left to read ahead: for a block another worker is
 *   still indexing, or for a slot the slowest worker still holds; the ring bounds how far
 *   apart they run.
 *
 *   Reloads: a reload found after frame i of a block takes effect at frame i + 1 (swap_at)
 *   for every worker, as with one reader; at most one per block, since none is asked for
 *   while one is being taken up. A stop found in the poll ends the input after that frame.
 *   Frames that a stop leaves unseen are cleared when the run ends.

 * Other file input (pcapng, a pipe, -r -; -w N):
 *
 *   reader (calling thread)                       worker k (thread)
 *   source_next ─▶ pkt_decode ─▶ pair hash ─▶ k   ┌──────────── ring k ────────────┐
 *     copy into batch k's slab, wipe the     ───▶ │ slot slot slot slot (WK_SLOTS) │ ───▶ pl_frame,
 *     source's copy; a full batch is published    └────────────────────────────────┘      wipe the
 *                                                                                          slab copy
 * The reader decodes each frame only to find its endpoint pair, and owner_of (below) is
 * symmetric in the pair under the flow table's port rule: every packet that could belong to
 * one selected flow or one TCP stream reaches one worker, so the records and the summed counts
 * equal those of one worker (as long as no table overflows: limits are per worker). Frames that do not decode go to
 * worker 0. A ring is a fixed array of WK_SLOTS batches (each up to WK_BATCH frames in a
 * WK_SLAB-byte slab); its head and tail move under a mutex once per batch, never per packet:
 * the producer blocks when all slots are full, the consumer when none is.
 *
 * Rule 1 (DESIGN.md): each copy of a frame's bytes is wiped exactly once: the source's copy by
 * the reader right after copying it, the slab copy by the worker right after pl_frame. A slot
 * whose used length is not zero still holds bytes; wk_free wipes such slots (only after a
 * failed start). Slabs are mapped MADV_DONTDUMP.
 *
 * Live input (-i IFACE -w N): each worker owns one AF_PACKET ring of the fanout group and runs
 * pl_run_source on it; no copy, no reader.
 *
 * Reload (SIGHUP): the hook builds the new set aside (sel_load) in the reader or the calling
 * thread. File: every partial batch is published first (under the old set), then the
 * generation goes up and each worker gets a batch, empty if need be, tagged with the new set;
 * a worker swaps (pl_reload, in its own thread) before the first frame of such a batch. So the
 * reload falls at the same frame of the input for every worker, as with one worker. Live: the
 * set and its generation are published through atomics, which each worker compares between
 * frames. Either way the old set is freed once every worker has acknowledged the new
 * generation, and no other reload starts before that. A worker whose pl_reload fails (out of
 * memory) keeps the old set and tries again at its next boundary.
 *
 * Output: each worker gathers its record lines in its own buffer (WK_OUT bytes) and hands a
 * full buffer to the caller's emit callback line by line under one mutex, so workers take
 * the lock once per batch of lines, not once per record. Lines stay whole and in each
 * worker's order of emission. A live worker also hands its lines on at least every
 * WK_OUT_NS, so records do not wait for traffic; every worker hands them on at its end.
 * A buffer is cleared once handed on.
 */
#include "select/workers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <sched.h>

#include <sodium.h>

#include "common/log.h"
#include "packet/decode.h"

#define WK_SLOTS 4u                /* batches in flight per worker */
#define WK_BATCH 512u              /* frames per batch at most */
#define WK_SLAB (512u << 10)       /* slab bytes per batch: more than libpcap's largest frame */
#define WK_ALIGN 8u
#define WK_POLL_NS 50000000L       /* live: the calling thread looks for reloads every 50 ms */
#define WK_OUT (64u << 10)         /* bytes of record lines a worker gathers before output */
#define WK_OUT_NS 100000000L       /* live: lines wait no longer than this */
#define WK_BLOCK (1u << 20)        /* pcap files: bytes of a shared block */
#define WK_BLOCK_FRAMES 8192u      /* ... frames in one at most */
#define WK_BLOCKS_MAX 32u          /* ... blocks in the ring at most */
#define WK_AHEAD 4u                /* ... a worker's frames fetched this far ahead */

struct wk_desc {
	uint64_t ts_us;
	uint32_t caplen, wirelen, off;
};

struct wk_slot {
	uint32_t nframes;
	uint32_t used;                 /* slab bytes not yet wiped */
	bool end;                      /* the last batch: input ended */
	uint64_t gen;                  /* the set this batch runs under ... */
	const struct sel_set *sel;     /* ... and its generation */
	uint8_t *slab;
	struct wk_desc desc[WK_BATCH];
};

/* Single producer (the reader), single consumer (one worker). head and tail under mu. */
struct wk_ring {
	pthread_mutex_t mu;
	pthread_cond_t nonempty, nonfull;
	unsigned head, tail;           /* slots [head, tail) are published, not yet consumed */
	struct wk_slot slot[WK_SLOTS];
	uint8_t *map;
	size_t map_len;
};

struct wk_worker {
	struct wk_pool *pool;
	unsigned idx;
	struct pipeline *pl;
	pthread_t thr;
	bool started;
	struct wk_ring ring;           /* file mode */
	struct wk_slot *fill;          /* reader's side: the batch being filled, or NULL */
	struct source *src;            /* live mode: the worker's ring */
	uint64_t gen;                  /* generation of the set the pipeline runs (worker's own) */
	bool swap_failed;
	atomic_uint_fast64_t acked;    /* gen, published for the reader / calling thread */
	atomic_uint_fast64_t swap_packets; /* packets read before the last swap */
	atomic_int done;
	int failed;                    /* live: the ring broke; error says why (read after join) */
	char *out;                     /* WK_OUT bytes: record lines, each after its length */
	size_t out_len;
	uint64_t out_since_ns;         /* live: when the oldest line in out came */
	unsigned out_tick;
	char error[256];
};

struct wk_pool {
	unsigned n;
	struct wk_worker **w;
	const struct pipeline **pls;   /* w[i]->pl, for the summary */
	struct pl_config cfg;          /* as given (emit, ctx: the caller's) */
	pthread_mutex_t out_mu;
	struct wk_hooks hooks;
	struct sel_set *cur;           /* in force (or being taken up); owned */
	struct sel_set *old;           /* retired, freed once every worker has swapped */
	uint64_t gen;                  /* of cur */
	atomic_uint_fast64_t live_gen; /* live: published generation ... */
	_Atomic(const struct sel_set *) live_sel;   /* ... and its set */
	int linktype;                  /* file: of the source */
	uint64_t okey[3];              /* owner_of's key, random per pool */
	/* pcap file mode: the ring of shared blocks; reading (and the reload hook) under rd_mu */
	struct wk_block *blk;
	unsigned nblk;
	pthread_mutex_t rd_mu;
	struct source *rd_src;
	uint64_t rd_next;              /* the next block to read */
	bool rd_end, rd_failed;
	size_t blk_bytes, blk_frames;  /* a block's size and most frames (WK_BLOCK, ..._FRAMES) */
	pthread_mutex_t bk_mu;         /* with bk_cv: a block became ready or a slot free */
	pthread_cond_t bk_cv;
	char error[256];
};

/* One block of a classic pcap file, shared by the workers (file mode, see the notes). */
struct wk_block {
	atomic_uint_fast64_t ready;    /* seq + 1 once block seq is read and indexed here */
	atomic_uint left;              /* 1 + workers yet to take their frames (0: the slot is free) */
	uint8_t *buf;                  /* blk_bytes: only the frames' bytes are not zero */
	struct frame *fr;              /* the frames, in the file's order */
	struct pkt *pk;                /* their decoded headers */
	uint8_t *err;                  /* their enum pkt_err */
	uint16_t *own;                 /* their owners */
	uint32_t *order;               /* frame numbers grouped by owner, each group in order */
	uint32_t *first;               /* n + 1: worker k's group is order[first[k] .. first[k+1]) */
	uint32_t n, swap_at;           /* frames; the first under gen1/sel1 (n: none) */
	uint64_t gen0, gen1;           /* the set in force at the first frame, and from swap_at */
	const struct sel_set *sel0, *sel1;
	bool end;                      /* the input ends after this block */
};

/* --- output -------------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Hand the worker's gathered lines to the caller's callback, under the output lock. */
static void out_flush(struct wk_worker *w)
{
	struct wk_pool *wp = w->pool;
	size_t off = 0;

	if (!w->out_len)
		return;
	pthread_mutex_lock(&wp->out_mu);
	while (off < w->out_len) {
		uint32_t len;
		memcpy(&len, w->out + off, sizeof(len));
		wp->cfg.emit(wp->cfg.emit_ctx, w->out + off + sizeof(len), len);
		off += sizeof(len) + len;
	}
	pthread_mutex_unlock(&wp->out_mu);
	memset(w->out, 0, w->out_len);
	w->out_len = 0;
}

static void worker_emit(void *ctx, const char *line, size_t len)
{
	struct wk_worker *w = ctx;
	struct wk_pool *wp = w->pool;

	if (!w->out || len > WK_OUT - sizeof(uint32_t)) {   /* no buffer, or a line that fills it */
		out_flush(w);
		pthread_mutex_lock(&wp->out_mu);
		wp->cfg.emit(wp->cfg.emit_ctx, line, len);
		pthread_mutex_unlock(&wp->out_mu);
		return;
	}
	if (w->out_len + sizeof(uint32_t) + len > WK_OUT)
		out_flush(w);
	if (!w->out_len)
		w->out_since_ns = now_ns();   /* live workers flush by age (live_between) */
	uint32_t l32 = (uint32_t)len;
	memcpy(w->out + w->out_len, &l32, sizeof(l32));
	memcpy(w->out + w->out_len + sizeof(l32), line, len);
	w->out_len += sizeof(l32) + len;
}

/* --- rings --------------------------------------------------------------------------------- */

static int ring_init(struct wk_ring *r)
{
	r->map_len = (size_t)WK_SLAB * WK_SLOTS;
	r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r->map == MAP_FAILED) {
		r->map = NULL;
		return -1;
	}
	madvise(r->map, r->map_len, MADV_DONTDUMP);   /* never in a core file (rule 1) */
	for (unsigned i = 0; i < WK_SLOTS; i++)
		r->slot[i].slab = r->map + (size_t)i * WK_SLAB;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->nonempty, NULL);
	pthread_cond_init(&r->nonfull, NULL);
	return 0;
}

static void ring_destroy(struct wk_ring *r)
{
	if (!r->map)
		return;
	for (unsigned i = 0; i < WK_SLOTS; i++)
		if (r->slot[i].used)      /* only after a failed start: frames never processed */
			sodium_memzero(r->slot[i].slab, r->slot[i].used);
	munmap(r->map, r->map_len);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->nonempty);
	pthread_cond_destroy(&r->nonfull);
}

/* Producer: the next free slot, tagged with the pool's current set (blocks while full). */
static struct wk_slot *ring_acquire(struct wk_worker *w)
{
	struct wk_ring *r = &w->ring;
	struct wk_slot *s;

	pthread_mutex_lock(&r->mu);
	while (r->tail - r->head == WK_SLOTS)
		pthread_cond_wait(&r->nonfull, &r->mu);
	s = &r->slot[r->tail % WK_SLOTS];
	pthread_mutex_unlock(&r->mu);
	s->nframes = 0;
	s->used = 0;
	s->end = false;
	s->gen = w->pool->gen;
	s->sel = w->pool->cur;
	return s;
}

static void ring_publish(struct wk_worker *w)
{
	struct wk_ring *r = &w->ring;

	pthread_mutex_lock(&r->mu);
	r->tail++;
	pthread_cond_signal(&r->nonempty);
	pthread_mutex_unlock(&r->mu);
	w->fill = NULL;
}

/* Consumer: the oldest published slot (blocks while none). */
static struct wk_slot *ring_take(struct wk_ring *r)
{
	struct wk_slot *s;

	pthread_mutex_lock(&r->mu);
	while (r->head == r->tail)
		pthread_cond_wait(&r->nonempty, &r->mu);
	s = &r->slot[r->head % WK_SLOTS];
	pthread_mutex_unlock(&r->mu);
	return s;
}

static void ring_release(struct wk_ring *r)
{
	pthread_mutex_lock(&r->mu);
	r->head++;
	pthread_cond_signal(&r->nonfull);
	pthread_mutex_unlock(&r->mu);
}

/* --- workers ------------------------------------------------------------------------------- */

/* Take up set s of generation gen at a packet boundary (in the worker's own thread). */
static void worker_swap(struct wk_worker *w, uint64_t gen, const struct sel_set *s)
{
	if (w->gen == gen)
		return;
	if (pl_reload(w->pl, s) < 0) {
		if (!w->swap_failed)   /* tried again at the next boundary */
			log_error("worker %u: reload: out of memory; the old set stays until it can", w->idx);
		w->swap_failed = true;
		return;
	}
	w->swap_failed = false;
	w->gen = gen;
	atomic_store_explicit(&w->swap_packets, pl_stats(w->pl)->pk.packets, memory_order_relaxed);
	atomic_store_explicit(&w->acked, gen, memory_order_release);
}

static void *file_worker(void *arg)
{
	struct wk_worker *w = arg;
	struct wk_ring *r = &w->ring;
	const int linktype = w->pool->linktype;
	bool end = false;

	while (!end) {
		struct wk_slot *s = ring_take(r);

		if (s->gen != w->gen)
			worker_swap(w, s->gen, s->sel);
		for (uint32_t i = 0; i < s->nframes; i++) {
			const struct wk_desc *d = &s->desc[i];
			struct frame f = { .ts_us = d->ts_us, .caplen = d->caplen, .wirelen = d->wirelen,
					   .data = s->slab + d->off };
			pl_frame(w->pl, linktype, &f);
			memset(s->slab + d->off, 0, d->caplen);   /* the slab copy, once (rule 1) */
		}
		s->used = 0;
		end = s->end;
		ring_release(r);
	}
	pl_finish(w->pl);
	out_flush(w);
	atomic_store_explicit(&w->done, 1, memory_order_release);
	return NULL;
}

/* Live: between frames (and once before the end), take up a published reload. */
static void live_between(void *ctx)
{
	struct wk_worker *w = ctx;
	struct wk_pool *wp = w->pool;
	uint64_t gen = atomic_load_explicit(&wp->live_gen, memory_order_acquire);

	if (gen != w->gen)
		worker_swap(w, gen, atomic_load_explicit(&wp->live_sel, memory_order_relaxed));
	if (w->out_len && (++w->out_tick & 63) == 0 && now_ns() - w->out_since_ns >= WK_OUT_NS)
		out_flush(w);
}

static void *live_worker(void *arg)
{
	struct wk_worker *w = arg;

	if (pl_run_source(w->pl, w->src, live_between, w) < 0) {
		snprintf(w->error, sizeof(w->error), "%s", source_error(w->src));
		w->failed = 1;
	}
	out_flush(w);
	atomic_store_explicit(&w->done, 1, memory_order_release);
	return NULL;
}

/* Start every worker with the stop and reload signals blocked, so that they reach the reader
 * or the calling thread (whose blocking read or sleep they interrupt). */
static int start_workers(struct wk_pool *wp, void *(*fn)(void *))
{
	sigset_t block, old;
	int rc = 0;

	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < wp->n; i++) {
		int e = pthread_create(&wp->w[i]->thr, NULL, fn, wp->w[i]);
		if (e) {
			snprintf(wp->error, sizeof(wp->error), "cannot start worker %u: %s", i, strerror(e));
			rc = -1;
			break;
		}
		wp->w[i]->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void join_workers(struct wk_pool *wp)
{
	for (unsigned i = 0; i < wp->n; i++)
		if (wp->w[i]->started) {
			pthread_join(wp->w[i]->thr, NULL);
			wp->w[i]->started = false;
		}
}

/* --- reloads ------------------------------------------------------------------------------- */

/* Free the retired set once every worker runs the current one; tell the hook. */
static void retire_check(struct wk_pool *wp)
{
	uint64_t packets = 0;

	if (!wp->old)
		return;
	for (unsigned i = 0; i < wp->n; i++) {
		if (atomic_load_explicit(&wp->w[i]->acked, memory_order_acquire) != wp->gen)
			return;
		packets += atomic_load_explicit(&wp->w[i]->swap_packets, memory_order_relaxed);
	}
	sel_set_free(wp->old);
	wp->old = NULL;
	if (wp->hooks.reloaded)
		wp->hooks.reloaded(wp->hooks.ctx, wp->cur, packets);
}

/* Ask the hook for a new set (none while one is being taken up). Returns 1 if there is one. */
static int reload_poll(struct wk_pool *wp)
{
	struct sel_set *next;

	if (!wp->hooks.reload || wp->old)
		return 0;
	next = wp->hooks.reload(wp->hooks.ctx);
	if (!next)
		return 0;
	if (!wp->cur) {
		log_warn("reload ignored: no selector file (survey mode)");
		sel_set_free(next);
		return 0;
	}
	wp->old = wp->cur;
	wp->cur = next;
	wp->gen++;
	return 1;
}

/* --- file input ---------------------------------------------------------------------------- */

/*
 * The worker that owns a decoded frame: a symmetric function of its two endpoints (address,
 * and port when the L4 header was decoded: the flow table's rule), so that every packet of
 * one flow or TCP stream, either way, goes to one worker. It runs on every frame in every
 * worker, so it is a few multiplications, not the flow table's SipHash; the process's random
 * key keeps outsiders from steering flows onto one worker. Frames that did not decode go to
 * worker 0.
 */
static uint64_t end_mix(const uint64_t k[3], const struct sk_addr *a, uint16_t port)
{
	uint64_t hi, lo, x;

	memcpy(&hi, a->b, sizeof(hi));
	memcpy(&lo, a->b + 8, sizeof(lo));
	x = (hi ^ k[0]) * 0x9e3779b97f4a7c15u + (lo ^ k[1]);
	x = (x ^ (x >> 31) ^ port) * k[2];
	return x ^ (x >> 29);
}

static unsigned owner_of(const struct wk_pool *wp, enum pkt_err e, const struct pkt *p)
{
	if (wp->n == 1 || e != PKT_OK)
		return 0;
	uint16_t sp = p->has_l4 ? p->sport : 0, dp = p->has_l4 ? p->dport : 0;
	uint64_t h = end_mix(wp->okey, &p->src, sp) + end_mix(wp->okey, &p->dst, dp);
	return (unsigned)(((h >> 32) * wp->n) >> 32);
}

static unsigned dispatch(const struct wk_pool *wp, int linktype, const struct frame *f)
{
	struct pkt p;
	enum pkt_err e = wp->n == 1 ? PKT_OK : pkt_decode_headers(linktype, f->data, f->caplen, &p);

	return owner_of(wp, e, &p);
}

/* End every worker's stream: partial batches out, then an end batch each. */
static void end_all(struct wk_pool *wp)
{
	for (unsigned i = 0; i < wp->n; i++) {
		struct wk_worker *w = wp->w[i];
		if (!w->started)
			continue;
		if (w->fill)
			ring_publish(w);
		w->fill = ring_acquire(w);
		w->fill->end = true;
		ring_publish(w);
	}
}

/* After a reload: partial batches go out under the old set, then an empty batch of the new
 * one to every worker, so that an idle worker swaps too. */
static void publish_reload(struct wk_pool *wp)
{
	for (unsigned i = 0; i < wp->n; i++) {
		struct wk_worker *w = wp->w[i];
		if (w->fill)
			ring_publish(w);       /* acquired, and so tagged, before the reload */
		w->fill = ring_acquire(w);
		ring_publish(w);
	}
}

static int run_reader(struct wk_pool *wp, struct source *src)
{
	enum src_status s = SRC_END;
	uint64_t frames = 0;
	struct frame f;
	int rc = 0;

	wp->linktype = source_linktype(src);
	for (unsigned i = 0; i < wp->n; i++) {
		if (!wp->w[i]->ring.map && ring_init(&wp->w[i]->ring) < 0) {
			snprintf(wp->error, sizeof(wp->error), "out of memory for the workers' rings");
			rc = -1;
			goto out;
		}
	}
	if (start_workers(wp, file_worker) < 0) {
		rc = -1;
		goto out;
	}
	while (!source_stop_flag) {
		s = source_next(src, &f);
		if (s != SRC_FRAME)
			break;
		struct wk_worker *w = wp->w[dispatch(wp, wp->linktype, &f)];
		uint32_t caplen = f.caplen <= WK_SLAB ? f.caplen : WK_SLAB;   /* libpcap: <= 256 KiB */

		if (w->fill && (w->fill->nframes == WK_BATCH || w->fill->used > WK_SLAB - caplen))
			ring_publish(w);
		if (!w->fill)
			w->fill = ring_acquire(w);
		struct wk_slot *sl = w->fill;
		struct wk_desc *d = &sl->desc[sl->nframes++];
		d->ts_us = f.ts_us;
		d->caplen = caplen;
		d->wirelen = f.wirelen;
		d->off = sl->used;
		memcpy(sl->slab + sl->used, f.data, caplen);
		sl->used += (caplen + WK_ALIGN - 1) & ~(WK_ALIGN - 1);
		if (sl->used > WK_SLAB)
			sl->used = WK_SLAB;
		/* The source's copy: cleared before the next frame, once (rule 1). */
		memset((void *)f.data, 0, f.caplen);
		frames++;

		if (reload_poll(wp))
			publish_reload(wp);
		else if (wp->old && (frames & 255) == 0)
			retire_check(wp);
	}
	if (reload_poll(wp))       /* a request made while no packet came is answered before the end */
		publish_reload(wp);
	if (s == SRC_ERROR && !source_stop_flag) {
		snprintf(wp->error, sizeof(wp->error), "%s", source_error(src));
		rc = -1;
	}
out:
	end_all(wp);
	join_workers(wp);
	retire_check(wp);
	return rc;
}

/* --- classic pcap file input: shared blocks ------------------------------------------------ */

/* The slots of the block ring: enough for every worker to be a block or two apart. */
static unsigned nblocks_for(unsigned n)
{
	return n + 4 < WK_BLOCKS_MAX ? n + 4 : WK_BLOCKS_MAX;
}

static void block_free(const struct wk_pool *wp, struct wk_block *b)
{
	if (b->buf) {
		sodium_memzero(b->buf, wp->blk_bytes);
		munmap(b->buf, wp->blk_bytes);
	}
	if (b->pk)
		sodium_memzero(b->pk, wp->blk_frames * sizeof(*b->pk));
	free(b->fr);
	free(b->pk);
	free(b->err);
	free(b->own);
	free(b->order);
	free(b->first);
}

static int blocks_init(struct wk_pool *wp)
{
	if (wp->blk)
		return 0;
	wp->nblk = nblocks_for(wp->n);
	wp->blk = calloc(wp->nblk, sizeof(*wp->blk));
	if (!wp->blk)
		return -1;
	for (unsigned i = 0; i < wp->nblk; i++) {
		struct wk_block *b = &wp->blk[i];
		void *m = mmap(NULL, wp->blk_bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return -1;           /* wk_free frees what was made */
		b->buf = m;
		madvise(b->buf, wp->blk_bytes, MADV_DONTDUMP);   /* never in a core file (rule 1) */
		b->fr = calloc(wp->blk_frames, sizeof(*b->fr));
		b->pk = calloc(wp->blk_frames, sizeof(*b->pk));
		b->err = calloc(wp->blk_frames, sizeof(*b->err));
		b->own = calloc(wp->blk_frames, sizeof(*b->own));
		b->order = calloc(wp->blk_frames, sizeof(*b->order));
		b->first = calloc(wp->n + 1, sizeof(*b->first));
		if (!b->fr || !b->pk || !b->err || !b->own || !b->order || !b->first)
			return -1;
	}
	return 0;
}

/* Wait (briefly spinning, then on the condition) until ready() holds or the run stops. */
static bool block_wait(struct wk_pool *wp, bool (*ready)(const struct wk_block *, uint64_t),
		       const struct wk_block *b, uint64_t arg)
{
	for (unsigned spins = 0; spins < 512; spins++) {
		if (ready(b, arg))
			return true;
		__builtin_ia32_pause();
	}
	pthread_mutex_lock(&wp->bk_mu);
	while (!ready(b, arg) && !source_stop_flag) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		t.tv_nsec += 10000000L;      /* a stop set by a signal is seen within 10 ms */
		if (t.tv_nsec >= 1000000000L) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&wp->bk_cv, &wp->bk_mu, &t);
	}
	pthread_mutex_unlock(&wp->bk_mu);
	return ready(b, arg);
}

static bool is_ready(const struct wk_block *b, uint64_t seq)
{
	return atomic_load_explicit(&b->ready, memory_order_acquire) == seq + 1;
}

static bool is_free(const struct wk_block *b)
{
	return atomic_load_explicit(&b->left, memory_order_acquire) == 0;
}

/* The slot came free for block seq, or another worker has read seq into it meanwhile. */
static bool is_free_or_ready(const struct wk_block *b, uint64_t seq)
{
	return is_free(b) || is_ready(b, seq);
}

static void block_notify(struct wk_pool *wp)
{
	pthread_mutex_lock(&wp->bk_mu);
	pthread_cond_broadcast(&wp->bk_cv);
	pthread_mutex_unlock(&wp->bk_mu);
}

/*
 * Read the next block into b (rd_mu held): the records, then the reload hook polled after
 * each frame in the file's order, as one reader would. A reload found after frame i takes
 * effect at frame i + 1 (swap_at); there is at most one per block, since the next is not
 * asked for before every worker has taken this one up. A stop found after frame i ends the
 * input there: the frames after it are cleared unseen.
 */
static void block_read(struct wk_pool *wp, struct wk_block *b)
{
	enum src_status s = SRC_END;
	size_t n = 0;

	retire_check(wp);
	b->gen0 = b->gen1 = wp->gen;
	b->sel0 = b->sel1 = wp->cur;
	b->end = false;
	if (!source_stop_flag)
		s = source_block(wp->rd_src, b->buf, wp->blk_bytes, b->fr, wp->blk_frames, &n);
	b->n = (uint32_t)n;
	b->swap_at = b->n;
	for (uint32_t i = 0; i < b->n; i++) {
		if (reload_poll(wp)) {
			b->swap_at = i + 1;
			b->gen1 = wp->gen;
			b->sel1 = wp->cur;
		}
		if (source_stop_flag) {
			uint32_t keep = i + 1;
			const uint8_t *cut = b->fr[i].data + b->fr[i].caplen;
			memset(b->buf + (cut - b->buf), 0, wp->blk_bytes - (size_t)(cut - b->buf));
			memset(b->fr + keep, 0, (b->n - keep) * sizeof(*b->fr));
			b->n = keep;
			if (b->swap_at > keep)
				b->swap_at = keep;
			break;
		}
	}
	if (s == SRC_FRAME && !source_stop_flag)
		return;
	/* The end: a request made while no packet came is answered before it. */
	if (reload_poll(wp)) {
		b->swap_at = b->n;
		b->gen1 = wp->gen;
		b->sel1 = wp->cur;
	}
	b->end = true;
	wp->rd_end = true;
	if (s == SRC_ERROR && !source_stop_flag) {
		snprintf(wp->error, sizeof(wp->error), "%s", source_error(wp->rd_src));
		wp->rd_failed = true;
	}
}

/* Decode every frame's headers once and group the frames by owner (counting sort). */
static void block_index(struct wk_pool *wp, struct wk_block *b)
{
	uint32_t *first = b->first;

	memset(first, 0, (wp->n + 1) * sizeof(*first));
	for (uint32_t i = 0; i < b->n; i++) {
		b->err[i] = (uint8_t)pkt_decode_headers(wp->linktype, b->fr[i].data, b->fr[i].caplen,
							 &b->pk[i]);
		b->own[i] = (uint16_t)owner_of(wp, (enum pkt_err)b->err[i], &b->pk[i]);
		first[b->own[i] + 1]++;
	}
	for (unsigned k = 0; k < wp->n; k++)
		first[k + 1] += first[k];
	for (uint32_t i = 0; i < b->n; i++)
		b->order[first[b->own[i]]++] = i;
	for (unsigned k = wp->n; k > 0; k--)   /* first[k] was moved on to first[k + 1] */
		first[k] = first[k - 1];
	first[0] = 0;
}

/* Index the block read into b as block seq and hand it out. */
static void block_publish(struct wk_pool *wp, struct wk_block *b, uint64_t seq)
{
	block_index(wp, b);
	atomic_store_explicit(&b->left, wp->n + 1, memory_order_relaxed);
	atomic_store_explicit(&b->ready, seq + 1, memory_order_release);
	block_notify(wp);
}

/*
 * Block seq, once read and indexed; NULL if the run stopped first. While it is not ready,
 * the worker reads the next unread block itself if that block's slot is free: block seq
 * when no other worker has begun it, else one further on (read-ahead), so that a worker
 * waiting for another to finish seq spends the time on the file instead of asleep. A slot
 * is taken for block r only if r < seq + nblk: the slot's previous block, r - nblk, is then
 * one this worker has taken already, so it was published and left == 0 means everyone has
 * left it, not that it is still being read.
 */
static struct wk_block *block_get(struct wk_worker *w, uint64_t seq)
{
	struct wk_pool *wp = w->pool;
	struct wk_block *b = &wp->blk[seq % wp->nblk];

	while (!is_ready(b, seq)) {
		pthread_mutex_lock(&wp->rd_mu);
		uint64_t r = wp->rd_next;
		struct wk_block *rb = &wp->blk[r % wp->nblk];
		bool ours = r == seq && !wp->rd_end;
		if (!wp->rd_end && r < seq + wp->nblk && is_free(rb)) {
			wp->rd_next++;
			block_read(wp, rb);
			pthread_mutex_unlock(&wp->rd_mu);
			block_publish(wp, rb, r);
			continue;
		}
		pthread_mutex_unlock(&wp->rd_mu);
		/* never waited for with rd_mu held (the worker still on a slot may need the lock):
		 * for seq's slot to come free if seq is ours to read, else for seq itself */
		if (!block_wait(wp, ours ? is_free_or_ready : is_ready, b, seq) && source_stop_flag)
			return NULL;
	}
	return b;
}

/* This worker's frames of b, in the file's order (block_leave clears them). */
static void block_take(struct wk_worker *w, struct wk_block *b)
{
	const uint32_t *order = b->order;

	if (b->gen0 != w->gen)
		worker_swap(w, b->gen0, b->sel0);
	const uint32_t end = b->first[w->idx + 1];
	for (uint32_t k = b->first[w->idx]; k < end; k++) {
		uint32_t i = order[k];
		struct frame *f = &b->fr[i];
		if (k + WK_AHEAD < end) {    /* another core wrote these: ask for them early */
			uint32_t j = order[k + WK_AHEAD];
			const char *d = (const char *)b->fr[j].data;
			__builtin_prefetch(&b->pk[j]);
			__builtin_prefetch((const char *)&b->pk[j] + 64);
			__builtin_prefetch(d);
			__builtin_prefetch(d + 64);
			__builtin_prefetch(d + 128);
		}
		if (source_stop_flag)
			return;              /* the rest is cleared at the end of the run */
		if (i >= b->swap_at && b->gen1 != w->gen)
			worker_swap(w, b->gen1, b->sel1);
		pl_decoded(w->pl, f, (enum pkt_err)b->err[i], &b->pk[i]);
	}
	if (b->gen1 != w->gen)           /* a reload after this worker's last frame here */
		worker_swap(w, b->gen1, b->sel1);
}

/*
 * Done with b. The last worker to leave it clears its frames, their bytes, decoded headers
 * and descriptors (rule 1), and only then frees the slot for the block nblk further on.
 * Clearing each frame in its owner instead made neighbouring frames of two workers share
 * cache lines that both wrote, and cost more than the one clear here.
 */
static void block_leave(struct wk_pool *wp, struct wk_block *b)
{
	if (atomic_fetch_sub_explicit(&b->left, 1, memory_order_acq_rel) != 2)
		return;
	if (b->n) {
		const struct frame *last = &b->fr[b->n - 1];
		memset(b->buf, 0, (size_t)(last->data + last->caplen - b->buf));
		memset(b->pk, 0, b->n * sizeof(*b->pk));
		memset(b->fr, 0, b->n * sizeof(*b->fr));
	}
	atomic_store_explicit(&b->left, 0, memory_order_release);
	block_notify(wp);
}

static void *shared_worker(void *arg)
{
	struct wk_worker *w = arg;
	struct wk_pool *wp = w->pool;

	for (uint64_t seq = 0;; seq++) {
		struct wk_block *b = block_get(w, seq);
		if (!b)
			break;
		bool end = b->end;
		block_take(w, b);
		block_leave(wp, b);
		if (end || source_stop_flag)
			break;
	}
	pl_finish(w->pl);
	out_flush(w);
	atomic_store_explicit(&w->done, 1, memory_order_release);
	return NULL;
}

static int run_shared(struct wk_pool *wp, struct source *src)
{
	if (blocks_init(wp) < 0) {
		snprintf(wp->error, sizeof(wp->error), "out of memory for the shared blocks");
		return -1;
	}
	wp->linktype = source_linktype(src);
	wp->rd_src = src;
	wp->rd_next = 0;
	wp->rd_end = false;
	wp->rd_failed = false;
	for (unsigned i = 0; i < wp->nblk; i++) {
		atomic_store_explicit(&wp->blk[i].ready, 0, memory_order_relaxed);
		atomic_store_explicit(&wp->blk[i].left, 0, memory_order_relaxed);
	}
	int rc = start_workers(wp, shared_worker);
	if (rc < 0)
		source_stop_flag = 1;      /* the started ones stop at their next frame */
	join_workers(wp);
	/* Frames a stop left unseen are cleared here (rule 1). After a whole run each block was
	 * cleared by the last worker to leave it already, which wk_holds can check. */
	for (unsigned i = 0; source_stop_flag && i < wp->nblk; i++) {
		struct wk_block *b = &wp->blk[i];
		sodium_memzero(b->buf, wp->blk_bytes);
		sodium_memzero(b->pk, wp->blk_frames * sizeof(*b->pk));
		memset(b->fr, 0, wp->blk_frames * sizeof(*b->fr));
	}
	wp->rd_src = NULL;
	retire_check(wp);
	return rc < 0 || wp->rd_failed ? -1 : 0;
}

int wk_run_file(struct wk_pool *wp, struct source *src)
{
	return source_can_block(src) ? run_shared(wp, src) : run_reader(wp, src);
}

/* --- live input ---------------------------------------------------------------------------- */

int wk_open_live(struct wk_pool *wp, const char *ifname, char *err, size_t errlen)
{
	for (unsigned i = 0; i < wp->n; i++) {
		wp->w[i]->src = source_open_live(ifname, err, errlen);
		if (!wp->w[i]->src)
			return -1;     /* wk_free closes the rings already open */
	}
	return 0;
}

static void close_live(struct wk_pool *wp)
{
	for (unsigned i = 0; i < wp->n; i++) {
		source_close(wp->w[i]->src);   /* logs the kernel's drop count */
		wp->w[i]->src = NULL;
	}
}

int wk_run_live(struct wk_pool *wp)
{
	const struct timespec tick = { 0, WK_POLL_NS };
	int rc = 0;

	atomic_store_explicit(&wp->live_sel, wp->cur, memory_order_relaxed);
	atomic_store_explicit(&wp->live_gen, wp->gen, memory_order_release);
	if (start_workers(wp, live_worker) < 0) {
		source_stop_flag = 1;      /* the started ones stop within ~100 ms */
		rc = -1;
	}
	for (;;) {
		unsigned done = 0;

		if (reload_poll(wp)) {
			atomic_store_explicit(&wp->live_sel, wp->cur, memory_order_relaxed);
			atomic_store_explicit(&wp->live_gen, wp->gen, memory_order_release);
		}
		retire_check(wp);
		for (unsigned i = 0; i < wp->n; i++) {
			struct wk_worker *w = wp->w[i];
			if (!w->started || atomic_load_explicit(&w->done, memory_order_acquire)) {
				done++;
				if (w->failed)
					source_stop_flag = 1;   /* one ring broke: all stop, as one would */
			}
		}
		if (done == wp->n)
			break;
		nanosleep(&tick, NULL);    /* a signal cuts it short */
	}
	join_workers(wp);
	retire_check(wp);
	for (unsigned i = 0; i < wp->n; i++) {
		if (wp->w[i]->failed && rc == 0) {
			snprintf(wp->error, sizeof(wp->error), "%s", wp->w[i]->error);
			rc = -1;
		}
	}
	close_live(wp);
	return rc;
}

/* --- the pool ------------------------------------------------------------------------------ */

struct wk_pool *wk_new(const struct pl_config *cfg, unsigned n, const struct wk_hooks *hooks)
{
	struct wk_pool *wp;
	struct pl_config wcfg = *cfg;

	if (n < 1 || n > WK_MAX_WORKERS || !(wp = calloc(1, sizeof(*wp)))) {
		sel_set_free((struct sel_set *)cfg->sel);
		return NULL;
	}
	wp->cfg = *cfg;
	wp->cur = (struct sel_set *)cfg->sel;    /* ours from now on */
	randombytes_buf(wp->okey, sizeof(wp->okey));
	wp->blk_bytes = WK_BLOCK;
	wp->blk_frames = WK_BLOCK_FRAMES;
	wp->okey[2] |= 1;                        /* an odd multiplier */
	if (hooks)
		wp->hooks = *hooks;
	pthread_mutex_init(&wp->out_mu, NULL);
	pthread_mutex_init(&wp->rd_mu, NULL);
	pthread_mutex_init(&wp->bk_mu, NULL);
	pthread_cond_init(&wp->bk_cv, NULL);
	wp->w = calloc(n, sizeof(*wp->w));
	wp->pls = calloc(n, sizeof(*wp->pls));
	if (!wp->w || !wp->pls)
		goto err;
	wcfg.emit = worker_emit;
	for (unsigned i = 0; i < n; i++) {
		struct wk_worker *w = calloc(1, sizeof(*w));   /* one allocation each: no false sharing of the hot fields */
		if (!w)
			goto err;
		wp->w[wp->n++] = w;
		w->pool = wp;
		w->idx = i;
		w->out = malloc(WK_OUT);       /* NULL: lines go out one by one */
		wcfg.emit_ctx = w;
		if (!(w->pl = pl_new(&wcfg)))
			goto err;
		wp->pls[i] = w->pl;
	}
	return wp;
err:
	wk_free(wp);
	return NULL;
}

void wk_free(struct wk_pool *wp)
{
	if (!wp)
		return;
	for (unsigned i = 0; i < wp->n; i++) {
		struct wk_worker *w = wp->w[i];
		source_close(w->src);
		ring_destroy(&w->ring);
		pl_free(w->pl);
		out_flush(w);                  /* lines of a pipeline freed without a run's end */
		free(w->out);
		free(w);
	}
	for (unsigned i = 0; wp->blk && i < wp->nblk; i++)
		block_free(wp, &wp->blk[i]);
	free(wp->blk);
	free(wp->w);
	free(wp->pls);
	sel_set_free(wp->old);
	sel_set_free(wp->cur);
	pthread_mutex_destroy(&wp->out_mu);
	pthread_mutex_destroy(&wp->rd_mu);
	pthread_mutex_destroy(&wp->bk_mu);
	pthread_cond_destroy(&wp->bk_cv);
	free(wp);
}

int wk_set_blocks(struct wk_pool *wp, size_t bytes, size_t frames)
{
	if (wp->blk || bytes <= SOURCE_BLOCK_MIN || frames < 1 || frames > UINT32_MAX)
		return -1;
	wp->blk_bytes = bytes;
	wp->blk_frames = frames;
	return 0;
}

const char *wk_error(const struct wk_pool *wp)
{
	return wp->error;
}

const struct pipeline *const *wk_pipelines(const struct wk_pool *wp, size_t *n)
{
	*n = wp->n;
	return wp->pls;
}

uint64_t wk_packets(const struct wk_pool *wp)
{
	uint64_t sum = 0;

	for (unsigned i = 0; i < wp->n; i++)
		sum += pl_stats(wp->pls[i])->pk.packets;
	return sum;
}

bool wk_holds(const struct wk_pool *wp, const void *needle, size_t n)
{
	for (unsigned i = 0; i < wp->n; i++) {
		const struct wk_ring *r = &wp->w[i]->ring;
		if (r->map && n && memmem(r->map, r->map_len, needle, n))
			return true;
	}
	for (unsigned i = 0; wp->blk && i < wp->nblk; i++)
		if (n && wp->blk[i].buf && memmem(wp->blk[i].buf, wp->blk_bytes, needle, n))
			return true;
	return false;
}

/* assoc_sched.c: batch scheduling of a scan over threads and MPI ranks (assoc_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <omp.h>

#include "assoc_internal.h"
#include "cluster.h"
#include "err.h"

/* ---- batch scheduling over threads and MPI ranks ----
 * Batches go to ranks by a fixed greedy rule (sched_assign): in batch order, each to the rank with the
 * fewest variants so far. Reader batches end at store blocks, so their sizes alternate (a full block,
 * then a chromosome's remainder): `b % size` gave one rank every full block and left the other idle
 * for a third of the scan. The rule reads only batch sizes, so every rank computes the same table.
 * A rank's threads take its batches in order and format each into slot i % ring of a ring (i = the
 * batch's index among the rank's own). Delivery is in batch order: rank 0 writes its own batches and
 * receives the others' (rows and p-values), the other ranks send theirs to rank 0. No barrier between
 * batches: a slow batch (many refits) holds back the delivery, not the other threads, unless they get
 * a whole ring ahead. A slot's buffer goes back to a pool once its rows are written (or sent) and the
 * next batch to start takes one from there: the buffers alive are the batches in flight, not the ring
 * (16 slots at 2 threads, each a batch's formatted rows: ~10 MB of an lmm scan at 100 samples that
 * only the scans with long runs of batches filled, so `lmm --loco` grew from 100k to 1M variants). */
typedef struct {
    const bcms_reader_t *rd;
    double *const *pvals;     /* per model, per variant from pv0 (rank 0 receives the others' into them) */
    uint64_t pv0;
    int nm, rank, size;
    assoc_batch_fn batch;
    void *ctx;
    BGZF *out;                /* rank 0: --resume, or a table converted at the end */
    bcms_outfile_t *of;       /* rank 0: otherwise */
    const char *outname;
    uint32_t b0, nb, nlocal, ring; /* the window's batches: b0 .. nb - 1 */
    uint64_t *load;           /* per rank: variants assigned so far in the scan (carried across windows) */
    uint32_t *own;            /* the rank's batches, in order (nlocal) */
    uint32_t *owner, *lidx;   /* per batch of the window (g - b0): its rank, its index among that rank's */
    kstring_t *bufs, msg;
    kstring_t *spare;         /* buffers of delivered slots, for the next batches (nspare of ring) */
    uint32_t nspare;
    kstring_t *sendbufs;      /* ranks > 0: the message of each slot, kept until its send completes */
    bcms_cluster_req_t **reqs;
    uint8_t *ready;
    uint32_t delivered;       /* own batches written (rank 0) or sent */
    uint32_t freed;           /* ranks > 0: own batches whose send completed (their slot is free) */
    uint32_t written;         /* rank 0: batches of every rank written */
    assoc_resume_t *rs;       /* rank 0 of a --resume scan */
    int err;
    char errmsg[1024];
} sched_t;

/* Rank 0's output: the outfile (outfile.h) or, for --resume and the tables converted at the end, a BGZF. */
static int sched_write(sched_t *s, const char *p, size_t n)
{
    if (!n) return 0;
    if (s->of) return bcms_outfile_write(s->of, p, n);
    return bgzf_write(s->out, p, n) < 0 ? bcms_err(BCMS_EIO, "%s: write failed (disk full?)", s->outname) : 0;
}

/* A thread a whole ring ahead waits for a slow batch (or another rank's) without spinning on a core. */
static void sched_pause(void)
{
    struct timespec ts = {0, 100000};
    nanosleep(&ts, NULL);
}

static uint32_t sched_batch(const sched_t *s, uint32_t i) { return s->own[i]; }

/* A delivered slot's buffer to the pool; a starting slot's from it (both under the output lock). */
static void sched_release(sched_t *s, kstring_t *w)
{
    if (w->s) s->spare[s->nspare++] = *w;
    memset(w, 0, sizeof *w);
}

static void sched_acquire(sched_t *s, kstring_t *w)
{
    if (!w->s && s->nspare) *w = s->spare[--s->nspare];
    w->l = 0;
}

/* Who computes each batch: in batch order, the rank with the fewest variants so far (the lowest rank
 * on a tie). Depends on the batch sizes and the rank count only: the same table on every rank. */
static int sched_assign(sched_t *s)
{
    uint32_t n = s->nb - s->b0, *count = calloc((size_t)s->size, sizeof *count);
    int rc = 0;
    if (!count || !(s->owner = malloc(sizeof *s->owner * (n + 1))) || !(s->lidx = malloc(sizeof *s->lidx * (n + 1))) ||
        !(s->own = malloc(sizeof *s->own * (n + 1)))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (uint32_t b = s->b0; b < s->nb; b++) {
        uint64_t first;
        uint32_t nv;
        int r = 0;
        for (int q = 1; q < s->size; q++)
            if (s->load[q] < s->load[r]) r = q;
        bcms_reader_batch_range(s->rd, b, &first, &nv);
        s->load[r] += nv ? nv : 1; /* an empty batch still costs a message */
        s->owner[b - s->b0] = (uint32_t)r;
        s->lidx[b - s->b0] = count[r]++;
        if (r == s->rank) s->own[s->lidx[b - s->b0]] = b;
    }
    s->nlocal = count[s->rank];
done:
    free(count);
    return rc;
}

/* A batch's message to rank 0: the p-values of every model, then the formatted rows. */
static int sched_send(sched_t *s, uint32_t i)
{
    uint64_t first;
    uint32_t nv;
    kstring_t *w = &s->bufs[i % s->ring], *m = &s->sendbufs[i % s->ring];
    bcms_reader_batch_range(s->rd, sched_batch(s, i), &first, &nv);
    m->l = 0;
    for (int mi = 0; mi < s->nm; mi++)
        if (kputsn((const char *)(s->pvals[mi] + (first - s->pv0)), sizeof(double) * nv, m) < 0) return BCMS_ENOMEM;
    if (w->l && kputsn(w->s, w->l, m) < 0) return BCMS_ENOMEM;
    return bcms_cluster_isend0(m->s, m->l, &s->reqs[i % s->ring]);
}

/* Ranks > 0: slots whose send has completed, in order (wait: all of them). */
static int sched_reap(sched_t *s, int wait)
{
    while (s->freed < s->delivered) {
        int r = bcms_cluster_done(&s->reqs[s->freed % s->ring], wait);
        if (r < 0) return r;
        if (!r) break;
        s->freed++;
    }
    return 0;
}

/* Rank 0: batch g from its owner (wait: block until it comes); 1 when not there yet. */
static int sched_recv_write(sched_t *s, uint32_t g, int wait)
{
    uint64_t first;
    uint32_t nv;
    int r = bcms_cluster_recv((int)s->owner[g - s->b0], &s->msg, wait);
    if (r) return r;
    bcms_reader_batch_range(s->rd, g, &first, &nv);
    size_t pv = sizeof(double) * nv * (size_t)s->nm;
    if (s->msg.l < pv) return bcms_err(BCMS_EIO, "rank %u sent a short message for batch %u", s->owner[g - s->b0], g);
    for (int mi = 0; mi < s->nm; mi++) memcpy(s->pvals[mi] + (first - s->pv0), s->msg.s + sizeof(double) * nv * mi, sizeof(double) * nv);
    if (s->msg.l > pv) return sched_write(s, s->msg.s + pv, s->msg.l - pv);
    return 0;
}

/* Deliver every batch that is due and ready (called under the output lock). */
static int sched_deliver(sched_t *s, int wait)
{
    int r;
    if (s->rank != 0) {
        while (s->delivered < s->nlocal && s->ready[s->delivered % s->ring]) {
            if ((r = sched_send(s, s->delivered))) return r;
            sched_release(s, &s->bufs[s->delivered % s->ring]); /* copied into the message */
            s->ready[s->delivered++ % s->ring] = 0;
        }
        return sched_reap(s, wait);
    }
    while (s->written < s->nb) {
        uint32_t g = s->written;
        if (s->owner[g - s->b0] == 0) {
            uint32_t i = s->lidx[g - s->b0];
            if (!s->ready[i % s->ring]) break;
            kstring_t *w = &s->bufs[i % s->ring];
            if ((r = sched_write(s, w->s, w->l))) return r;
            sched_release(s, w);
            s->ready[i % s->ring] = 0;
            s->delivered++, s->freed++;
        } else if ((r = sched_recv_write(s, g, wait)) != 0) {
            if (r == 1) break;
            return r;
        }
        s->written++;
    }
    return assoc_resume_tick(s->rs, s->out, s->written, 0);
}

static void sched_worker(sched_t *s, int thread, uint32_t *next)
{
    for (;;) {
        uint32_t i;
        int stop, ok;
#pragma omp atomic capture
        i = (*next)++;
        if (i >= s->nlocal) break;
        for (;;) { /* the slot of batch i - ring must be delivered first */
#pragma omp critical(assoc_out)
            {
                /* rank 0 may hold computed batches behind another rank's batch: keep receiving */
                if (!s->err && s->freed + s->ring <= i) {
                    int r = sched_deliver(s, 0);
                    if (r && !s->err) {
                        s->err = r;
                        snprintf(s->errmsg, sizeof s->errmsg, "%s", bcms_err_detail());
                    }
                }
                stop = s->err != 0;
                ok = s->freed + s->ring > i;
                if (ok && !stop) sched_acquire(s, &s->bufs[i % s->ring]);
            }
            if (ok || stop) break;
            sched_pause();
        }
        if (stop) break;
        kstring_t *buf = &s->bufs[i % s->ring];
        int r = s->batch(s->ctx, thread, sched_batch(s, i), buf);
#pragma omp critical(assoc_out)
        {
            s->ready[i % s->ring] = 1;
            if (!r && !s->err) r = sched_deliver(s, 0);
            if (r && !s->err) {
                s->err = r;
                snprintf(s->errmsg, sizeof s->errmsg, "%s", bcms_err_detail());
            }
        }
    }
}

/* The rank's own batches among the first g. */
static uint32_t own_below(const sched_t *s, uint32_t g)
{
    uint32_t k = 0;
    while (k < s->nlocal && s->own[k] < g) k++;
    return k;
}

int assoc_sched_run(const bcms_reader_t *rd, int threads, double *const *pvals, uint64_t pv0, int nm, assoc_batch_fn batch,
                    void *ctx, BGZF *out, bcms_outfile_t *of, const char *outname, uint32_t b0, uint32_t b1,
                    uint32_t start, assoc_resume_t *rs, uint64_t *load)
{
    sched_t s;
    uint32_t next;
    int rc = 0;
    memset(&s, 0, sizeof s);
    s.rd = rd, s.pvals = pvals, s.pv0 = pv0, s.nm = nm, s.batch = batch, s.ctx = ctx;
    if (start < b0) start = b0; /* the batches b0 .. b1 - 1 of the window */
    if (start > b1) start = b1;
    s.out = out, s.of = of, s.outname = outname, s.rs = rs;
    s.rank = bcms_cluster_rank(), s.size = bcms_cluster_size();
    s.b0 = b0, s.nb = b1, s.load = load;
    s.ring = (uint32_t)threads * 8;
    if ((rc = sched_assign(&s))) goto done;
    next = s.delivered = s.freed = own_below(&s, start);
    s.written = start;
    if (!(s.bufs = calloc(s.ring, sizeof *s.bufs)) || !(s.spare = calloc(s.ring, sizeof *s.spare)) ||
        !(s.ready = calloc(s.ring, 1)) ||
        !(s.sendbufs = calloc(s.ring, sizeof *s.sendbufs)) || !(s.reqs = calloc(s.ring, sizeof *s.reqs))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
#pragma omp parallel num_threads(threads)
    sched_worker(&s, omp_get_thread_num(), &next);
    if (s.err) {
        rc = bcms_err(s.err, "%s", s.errmsg);
        goto done;
    }
    /* every own batch is computed: rank 0 waits for the other ranks' remaining batches */
    if ((rc = sched_deliver(&s, 1))) goto done;
    if (s.rank == 0 && s.written != s.nb) rc = bcms_err(BCMS_EIO, "batches missing from the output (%u of %u)", s.written, s.nb);
done:
    for (uint32_t w = 0; w < s.ring; w++) {
        if (s.reqs && s.reqs[w]) bcms_cluster_done(&s.reqs[w], 1);
        if (s.bufs) free(s.bufs[w].s);
        if (s.sendbufs) free(s.sendbufs[w].s);
    }
    for (uint32_t w = 0; w < s.nspare; w++) free(s.spare[w].s);
    free(s.bufs);
    free(s.spare);
    free(s.sendbufs);
    free(s.own);
    free(s.owner);
    free(s.lidx);
    free(s.reqs);
    free(s.ready);
    free(s.msg.s);
    return rc;
}

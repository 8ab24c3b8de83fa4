/* reader_prefetch.c: a thread that reads and decodes each dataset's next sites blocks while the
 * merge walks the current one (reader_stream.c). A stream's window fill is one thread's work; with
 * --threads 2 or more, the block reads (pread, inflate, decode: ~40% of a fill that only needs the
 * stored counts, as freq's) move off it. PF_DEPTH slots per dataset, block index bi in slot
 * bi % PF_DEPTH: the cursor that loads bi takes the slot's sites if it holds bi (waiting for it if
 * it is being decoded), decodes bi itself otherwise, and then queues the PF_DEPTH blocks after it.
 * One block ahead, the decoder was still at it when the merge came, more often than not, on two
 * cores shared with the formatting or scanning threads; two ahead are as fast as four and hold
 * 1.5 MB less (a decoded sites block of 8,192 rows is ~0.7 MB). What a cursor yields does not
 * depend on who decoded it: the same function reads the same frame; an error is re-raised on the
 * merge's thread with the decoder's message. A block decoded ahead that the stream never takes
 * (the end of a chunk) is dropped with its error, as it would never have been read. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "reader_internal.h"

enum { PF_IDLE = 0, PF_QUEUED, PF_RUNNING, PF_DONE };
#define PF_DEPTH 2

typedef struct {
    uint32_t bi;                  /* the cursor's block index it holds or is to hold */
    int state, rc;
    char msg[1024];
    bcms_sites_t sites;
} pf_slot_t;

struct rd_prefetch_t {
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    pf_slot_t *slot;              /* per dataset, PF_DEPTH each */
    uint32_t *at;                 /* per dataset: the block index its cursor asked for last */
    bcms_codec_t *codec;          /* the decoder's own buffers */
    kstring_t raw, fbuf;
};

static void *pf_worker(void *arg)
{
    bcms_reader_t *rd = arg;
    rd_prefetch_t *pf = rd->pf;
    pthread_mutex_lock(&pf->mu);
    for (;;) {
        pf_slot_t *s = NULL;
        int d = 0;
        while (!pf->stop) { /* the queued block nearest its cursor */
            for (int e = 0; e < rd->nds * PF_DEPTH; e++) {
                pf_slot_t *t = &pf->slot[e];
                if (t->state == PF_QUEUED && (!s || t->bi - pf->at[e / PF_DEPTH] < s->bi - pf->at[d]))
                    s = t, d = e / PF_DEPTH;
            }
            if (s) break;
            pthread_cond_wait(&pf->cv, &pf->mu);
        }
        if (pf->stop) break;
        const bcms_dataset_t *ds = rd->ds[d];
        uint32_t b = rd->cur[d].blk[s->bi];
        s->state = PF_RUNNING;
        pthread_mutex_unlock(&pf->mu);
        bcms_err_clear();
        int rc = rd_sites_read(rd->st, &rd->fetch, ds, b, rd->sites_p[d][b], rd->sites_n[d][b], pf->codec, &pf->fbuf,
                               &pf->raw, &s->sites);
        pthread_mutex_lock(&pf->mu);
        s->rc = rc;
        if (rc) snprintf(s->msg, sizeof s->msg, "%s", bcms_err_detail());
        s->state = PF_DONE;
        pthread_cond_broadcast(&pf->cv);
    }
    pthread_mutex_unlock(&pf->mu);
    return NULL;
}

int rd_prefetch_start(bcms_reader_t *rd)
{
    rd_prefetch_t *pf = calloc(1, sizeof *pf);
    if (!pf) return BCMS_ENOMEM;
    if (!(pf->slot = calloc((size_t)rd->nds * PF_DEPTH, sizeof *pf->slot)) || !(pf->at = calloc(rd->nds, sizeof *pf->at)) || !(pf->codec = bcms_codec_new(1))) {
        bcms_codec_free(pf->codec);
        free(pf->slot), free(pf->at);
        free(pf);
        return BCMS_ENOMEM;
    }
    pthread_mutex_init(&pf->mu, NULL);
    pthread_cond_init(&pf->cv, NULL);
    rd->pf = pf;
    if (pthread_create(&pf->tid, NULL, pf_worker, rd)) { /* no thread: every block on the merge's */
        rd->pf = NULL;
        pthread_cond_destroy(&pf->cv);
        pthread_mutex_destroy(&pf->mu);
        bcms_codec_free(pf->codec);
        free(pf->slot), free(pf->at);
        free(pf);
    }
    return 0;
}

void rd_prefetch_stop(bcms_reader_t *rd)
{
    rd_prefetch_t *pf = rd->pf;
    if (!pf) return;
    pthread_mutex_lock(&pf->mu);
    pf->stop = 1;
    pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
    pthread_join(pf->tid, NULL);
    for (int e = 0; e < rd->nds * PF_DEPTH; e++) bcms_sites_free(&pf->slot[e].sites);
    pthread_cond_destroy(&pf->cv);
    pthread_mutex_destroy(&pf->mu);
    bcms_codec_free(pf->codec);
    free(pf->raw.s), free(pf->fbuf.s), free(pf->slot), free(pf->at);
    free(pf);
    rd->pf = NULL;
}

/* A slot being decoded is waited for; a queued one is withdrawn. Mutex held. */
static void slot_settle(rd_prefetch_t *pf, pf_slot_t *s)
{
    while (s->state == PF_RUNNING) pthread_cond_wait(&pf->cv, &pf->mu);
    if (s->state == PF_QUEUED) s->state = PF_IDLE;
}

void rd_prefetch_reset(bcms_reader_t *rd)
{
    rd_prefetch_t *pf = rd->pf;
    if (!pf) return;
    pthread_mutex_lock(&pf->mu);
    for (int e = 0; e < rd->nds * PF_DEPTH; e++) slot_settle(pf, &pf->slot[e]), pf->slot[e].state = PF_IDLE;
    pthread_mutex_unlock(&pf->mu);
}

int rd_prefetch_take(bcms_reader_t *rd, int d, uint32_t bi, bcms_sites_t *out, int *rc)
{
    rd_prefetch_t *pf = rd->pf;
    if (!pf) return 0;
    pf_slot_t *s = &pf->slot[(size_t)d * PF_DEPTH + bi % PF_DEPTH];
    int took = 0;
    pthread_mutex_lock(&pf->mu);
    if (s->state != PF_IDLE && s->bi == bi) {
        slot_settle(pf, s);
        if (s->state == PF_DONE) {
            bcms_sites_t t = *out;
            *out = s->sites, s->sites = t;
            *rc = s->rc ? bcms_err(s->rc, "%s", s->msg) : 0;
            took = 1;
        }
        s->state = PF_IDLE;
    }
    pthread_mutex_unlock(&pf->mu);
    return took;
}

void rd_prefetch_queue(bcms_reader_t *rd, int d, uint32_t bi)
{
    rd_prefetch_t *pf = rd->pf;
    if (!pf) return;
    int any = 0;
    pthread_mutex_lock(&pf->mu);
    pf->at[d] = bi;
    for (uint32_t k = bi; k < bi + PF_DEPTH && k < rd->cur[d].nblk; k++) {
        pf_slot_t *s = &pf->slot[(size_t)d * PF_DEPTH + k % PF_DEPTH];
        if (s->state != PF_IDLE && s->bi == k) continue; /* queued or decoded already */
        slot_settle(pf, s);
        s->bi = k, s->state = PF_QUEUED, s->rc = 0, any = 1;
    }
    if (any) pthread_cond_broadcast(&pf->cv);
    pthread_mutex_unlock(&pf->mu);
}

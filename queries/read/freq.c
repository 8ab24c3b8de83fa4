/* freq.c: frequencies, call rates and HWE per merged variant, through the reader. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "err.h"
#include "freq.h"
#include "numfmt.h"
#include "outfile.h"
#include "reader.h"

void bcms_freq_opts_init(bcms_freq_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_reader_opts_init(&o->sel);
    o->out = "-";
}

/* A tab and x as "%.{prec}g" (numfmt.h: printf's bytes without printf's cost). */
static void put_g(kstring_t *s, double x, int prec)
{
    char b[BCMS_FMT_G_MAX + 1];
    b[0] = '\t';
    kputsn(b, bcms_fmt_g(b + 1, x, prec) + 1, s);
}

/* A tab and an allele count (a whole or half number) as "%.10g": the digits of a whole count below
 * 10^10, or of a half one below 10^9, are printed as they are; anything else through put_g. */
static void put_count(kstring_t *s, double x)
{
    if (x >= 0 && x < 1e9 && x * 2 == (double)(uint64_t)(x * 2)) {
        uint64_t h = (uint64_t)(x * 2);
        kputc('\t', s);
        kputll((long long)(h >> 1), s);
        if (h & 1) kputsn(".5", 2, s);
        return;
    }
    put_g(s, x, 10);
}

static void put_p(kstring_t *s, double p)
{
    if (isnan(p)) kputs("\tNA", s);
    else put_g(s, p, 6);
}

static void put_tab_u(kstring_t *s, unsigned x)
{
    kputc('\t', s);
    kputuw(x, s);
}

/* The line of one variant; BCMS_ENOMEM when the buffer cannot grow (room for the whole line is made
 * first, so no put below can fail half-way). */
static int freq_line(kstring_t *line, const bcms_variant_t *v, int hardy)
{
    double alt = v->ac + 0.5 * v->nhh, obs = (double)v->an + v->nhh, fp;
    size_t lc = strlen(v->chrom), li = strlen(v->id), lr = strlen(v->ref), la = strlen(v->alt);
    if (ks_resize(line, line->l + lc + li + lr + la + 32 + 8 * (BCMS_FMT_G_MAX + 1)) < 0) return BCMS_ENOMEM;
    kputsn(v->chrom, lc, line);
    kputc('\t', line);
    kputll((long long)v->pos, line);
    kputc('\t', line);
    kputsn(v->id, li, line);
    kputc('\t', line);
    kputsn(v->ref, lr, line);
    kputc('\t', line);
    kputsn(v->alt, la, line);
    if (obs > 0) put_g(line, alt / obs, 6);
    else kputs("\tNA", line);
    put_count(line, alt);
    put_count(line, obs);
    put_tab_u(line, v->nhet);
    put_tab_u(line, v->nhom);
    put_tab_u(line, v->nmiss);
    if (!v->nmiss || !v->nsamp) kputsn(v->nsamp ? "\t1" : "\t0", 2, line); /* %.6g of 1 and 0 */
    else put_g(line, (double)(v->nsamp - v->nmiss) / v->nsamp, 6);
    if (hardy) {
        double p = bcms_variant_hwe(v, &fp);
        put_p(line, p);
        put_p(line, fp);
    }
    kputc('\n', line);
    return 0;
}

/* Variants per formatting chunk: fixed, so the output never depends on the thread count. */
#define FREQ_CHUNK 2048

/* Lines of variants v[0 .. n) into buf (replacing it); 0 or BCMS_ENOMEM. The lines grow a copy of
 * *buf on this thread's stack: the chunks' kstrings lie side by side in one array, and a length
 * updated there by every put made two threads' chunks share a cache line (two threads took longer
 * than one). */
static int freq_chunk(const bcms_variant_t *v, uint64_t n, int hardy, kstring_t *buf)
{
    kstring_t b = *buf;
    int rc = 0;
    b.l = 0;
    for (uint64_t i = 0; i < n && !rc; i++)
        if (freq_line(&b, &v[i], hardy)) rc = BCMS_ENOMEM;
    *buf = b;
    return rc;
}

/* One window's variants copied out of the reader (their id/ref/alt strings too), so that threads
 * format them while the reader fills the next window. */
typedef struct {
    bcms_variant_t *v;
    uint64_t n, mv;
    char *str;
    size_t mstr;
} freq_snap_t;

/* Copy variants [lo, hi) of the reader's window. The reader keeps a window's id/ref/alt strings in
 * one buffer, in variant order (reader.h), so one copy of the span they cover takes them all. */
static int snap_take(freq_snap_t *sn, const bcms_reader_t *rd, uint64_t lo, uint64_t hi)
{
    const uint64_t n = hi - lo;
    sn->n = 0;
    if (!n) return 0;
    if (n > sn->mv) {
        bcms_variant_t *v = realloc(sn->v, sizeof *v * n);
        if (!v) return BCMS_ENOMEM;
        sn->v = v, sn->mv = n;
    }
    const bcms_variant_t *first = bcms_reader_variant(rd, lo), *lastv = bcms_reader_variant(rd, hi - 1);
    const char *base = first->id, *last = lastv->alt;
    const size_t len = (size_t)(last - base) + strlen(last) + 1;
    if (len > sn->mstr) {
        char *q = realloc(sn->str, len);
        if (!q) return BCMS_ENOMEM;
        sn->str = q, sn->mstr = len;
    }
    memcpy(sn->v, first, sizeof *sn->v * n); /* the window's variants lie in one array */
    memcpy(sn->str, base, len);
    for (uint64_t i = 0; i < n; i++) {
        bcms_variant_t *v = &sn->v[i];
        v->id = sn->str + (v->id - base), v->ref = sn->str + (v->ref - base), v->alt = sn->str + (v->alt - base);
    }
    sn->n = n;
    return 0;
}

/* A window's chunks, taken in turn by the threads that format them. The thread that finishes the
 * last chunk writes them all, in order: the writing (15-20 ms of write(2) into the page cache for
 * the 60 MB of a 1M-variant table) then leaves the thread that fills the next window too. */
typedef struct {
    const bcms_variant_t *v;
    uint64_t n;
    int hardy;
    kstring_t *buf;
    size_t nchunk;
    bcms_outfile_t *out;
    atomic_size_t next, finished;
    atomic_int nomem;
    int wrc;                      /* the write's result, its message in wmsg (set by the writer) */
    char wmsg[1024];
} freq_job_t;

static void job_write(freq_job_t *j)
{
    int rc = 0;
    if (atomic_load(&j->nomem)) return;
    for (size_t c = 0; c < j->nchunk && !rc; c++) rc = bcms_outfile_write(j->out, j->buf[c].s, j->buf[c].l);
    if ((j->wrc = rc)) snprintf(j->wmsg, sizeof j->wmsg, "%s", bcms_err_detail());
}

static void *freq_worker(void *arg)
{
    freq_job_t *j = arg;
    for (size_t c; (c = atomic_fetch_add(&j->next, 1)) < j->nchunk;) {
        uint64_t i0 = (uint64_t)c * FREQ_CHUNK, i1 = i0 + FREQ_CHUNK < j->n ? i0 + FREQ_CHUNK : j->n;
        if (freq_chunk(j->v + i0, i1 - i0, j->hardy, &j->buf[c])) atomic_store(&j->nomem, 1);
        if (atomic_fetch_add(&j->finished, 1) + 1 == j->nchunk) job_write(j);
    }
    return NULL;
}

/* The formatting of one window: the job and the threads started for it. Not an OpenMP team: its
 * idle threads would spin (libgomp: ~20 ms each time) through the window fill between windows,
 * and on a loaded machine every barrier waits for a descheduled thread; a thread started per window
 * costs tens of microseconds. */
enum { FREQ_THREADS_MAX = 64 };
typedef struct {
    freq_job_t job;
    kstring_t *bufs;
    size_t nbufs;
    pthread_t tid[FREQ_THREADS_MAX];
    int started, busy;
} freq_fmt_t;

/* Start formatting v[0 .. n) into out on up to `threads` new threads (none: this thread formats and
 * writes it now). */
static int fmt_start(freq_fmt_t *f, const bcms_variant_t *v, uint64_t n, int hardy, bcms_outfile_t *out, int threads)
{
    const size_t nchunk = (size_t)((n + FREQ_CHUNK - 1) / FREQ_CHUNK);
    if (nchunk > f->nbufs) {
        kstring_t *b = realloc(f->bufs, sizeof *b * nchunk);
        if (!b) return bcms_err(BCMS_ENOMEM, "out of memory formatting the frequency table");
        memset(b + f->nbufs, 0, sizeof *b * (nchunk - f->nbufs));
        f->bufs = b, f->nbufs = nchunk;
    }
    f->job = (freq_job_t){.v = v, .n = n, .hardy = hardy, .buf = f->bufs, .nchunk = nchunk, .out = out};
    atomic_init(&f->job.next, 0);
    atomic_init(&f->job.finished, 0);
    atomic_init(&f->job.nomem, 0);
    f->started = 0, f->busy = 1;
    if (threads > (int)nchunk) threads = (int)nchunk;
    if (threads > FREQ_THREADS_MAX) threads = FREQ_THREADS_MAX;
    while (f->started < threads && !pthread_create(&f->tid[f->started], NULL, freq_worker, &f->job)) f->started++;
    if (!f->started) freq_worker(&f->job); /* no thread (or none asked for): format here */
    return 0;
}

static void fmt_join(freq_fmt_t *f)
{
    for (int t = 0; t < f->started; t++) pthread_join(f->tid[t], NULL);
    f->started = 0;
}

/* Wait for the window's formatting and writing. */
static int fmt_finish(freq_fmt_t *f)
{
    if (!f->busy) return 0;
    fmt_join(f);
    f->busy = 0;
    if (atomic_load(&f->job.nomem)) return bcms_err(BCMS_ENOMEM, "out of memory formatting the frequency table");
    return f->job.wrc ? bcms_err(f->job.wrc, "%s", f->job.wmsg) : 0;
}

int bcms_freq(bcms_store_t *st, const bcms_freq_opts_t *o)
{
    bcms_reader_t *rd = NULL;
    bcms_outfile_t *out = NULL;
    kstring_t line = {0, 0, NULL};
    freq_fmt_t fmt = {0};
    freq_snap_t snap = {0};
    bcms_reader_opts_t sel = o->sel;
    const int threads = sel.threads > 0 ? sel.threads : 1;
    int rc;
    sel.need_counts = 1;
    sel.stream = 1; /* window by window: memory does not grow with the variant count */
    /* formatting threads overlap the fill of the next window: windows of ~8k variants keep them
     * busy from the start (65k-variant windows left a 100k-variant store two windows, one of them
     * formatted alone: 0.051 s against 0.036 s, and 1M variants 0.24-0.27 s against 0.22 s) */
    if (threads > 1 && !sel.window) sel.window = 8192;
    sel.prefetch = 1; /* the fill is freq's critical path: its block reads go to a thread of their own */
    if ((rc = bcms_reader_open(st, &sel, &rd))) return rc;
    if ((rc = bcms_outfile_open(o->out, 0, &out))) goto done;
    kputs("#CHROM\tPOS\tID\tREF\tALT\tALT_FREQ\tALT_CT\tOBS_CT\tHET_CT\tHOM_ALT_CT\tMISSING_CT\tCALL_RATE", &line);
    kputs(o->hardy ? "\tHWE_P\tFEMALE_HWE_P\n" : "\n", &line);
    if ((rc = bcms_outfile_write(out, line.s, line.l))) goto done;
    /* With threads to spare, a window is copied out of the reader and formatted by threads - 1
     * threads while this one fills the next window (the fill is serial, and was half of freq's time);
     * on one thread it is formatted in place. The chunks, their lines and their order are the same. */
    for (;;) {
        uint32_t b0, nb, n0;
        uint64_t lo, hi;
        if ((rc = bcms_reader_next(rd, &b0, &nb)) || (rc = fmt_finish(&fmt))) goto done;
        if (!nb) break;
        bcms_reader_batch_range(rd, b0, &lo, &n0);
        hi = bcms_reader_nvariants(rd);
        if (threads < 2) {
            if (hi > lo && (rc = fmt_start(&fmt, bcms_reader_variant(rd, lo), hi - lo, o->hardy, out, 0))) goto done;
        } else {
            if ((rc = snap_take(&snap, rd, lo, hi))) {
                rc = bcms_err(rc, "out of memory formatting the frequency table");
                goto done;
            }
            if ((rc = fmt_start(&fmt, snap.v, snap.n, o->hardy, out, threads - 1))) goto done;
        }
    }
    rc = bcms_outfile_commit(out); /* the output appears only now, whole */
    out = NULL;
done:
    fmt_join(&fmt); /* threads still formatting a window when an error ended the loop */
    bcms_outfile_abort(out);
    bcms_reader_close(rd);
    free(line.s);
    for (size_t c = 0; c < fmt.nbufs; c++) free(fmt.bufs[c].s);
    free(fmt.bufs), free(snap.v), free(snap.str);
    return rc;
}

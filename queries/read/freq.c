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

/* Lines of variants [i0, i1) into buf (replacing it); 0 or BCMS_ENOMEM. */
static int freq_chunk(const bcms_reader_t *rd, uint64_t i0, uint64_t i1, int hardy, kstring_t *buf)
{
    buf->l = 0;
    for (uint64_t i = i0; i < i1; i++)
        if (freq_line(buf, bcms_reader_variant(rd, i), hardy)) return BCMS_ENOMEM;
    return 0;
}

/* A window's chunks, taken in turn by the threads that format them. */
typedef struct {
    const bcms_reader_t *rd;
    uint64_t lo, n;
    int hardy;
    kstring_t *buf;
    size_t nchunk;
    atomic_size_t next;
    atomic_int nomem;
} freq_job_t;

static void *freq_worker(void *arg)
{
    freq_job_t *j = arg;
    for (size_t c; (c = atomic_fetch_add(&j->next, 1)) < j->nchunk;) {
        uint64_t i0 = j->lo + (uint64_t)c * FREQ_CHUNK, i1 = i0 + FREQ_CHUNK;
        if (freq_chunk(j->rd, i0, i1 < j->n ? i1 : j->n, j->hardy, &j->buf[c])) atomic_store(&j->nomem, 1);
    }
    return NULL;
}

/* The lines of variants [lo, n) (a window of the stream): the window's chunks formatted on threads
 * started for the window (this one among them), then written in order. Not an OpenMP team: its idle
 * threads would spin (libgomp: ~20 ms each time) through the serial window fill and write between
 * windows, a quarter of freq's CPU time at 1,000 x 300,000, and on a loaded machine the share the
 * team needs; a thread started per window costs tens of microseconds. A thread that cannot be
 * started leaves its chunks to the others (the bytes are the same). bufs (*nbufs) are kept for the
 * next window. */
static int freq_lines(const bcms_reader_t *rd, uint64_t lo, uint64_t n, int threads, int hardy, bcms_outfile_t *out,
                      kstring_t **bufs, size_t *nbufs)
{
    enum { FREQ_THREADS_MAX = 64 };
    const size_t nchunk = (size_t)((n - lo + FREQ_CHUNK - 1) / FREQ_CHUNK);
    pthread_t tid[FREQ_THREADS_MAX];
    int rc = 0, started = 0;
    if (!nchunk) return 0;
    if (nchunk > *nbufs) {
        kstring_t *b = realloc(*bufs, sizeof *b * nchunk);
        if (!b) return bcms_err(BCMS_ENOMEM, "out of memory formatting the frequency table");
        memset(b + *nbufs, 0, sizeof *b * (nchunk - *nbufs));
        *bufs = b, *nbufs = nchunk;
    }
    freq_job_t job = {.rd = rd, .lo = lo, .n = n, .hardy = hardy, .buf = *bufs, .nchunk = nchunk};
    atomic_init(&job.next, 0);
    atomic_init(&job.nomem, 0);
    int extra = threads - 1 < (int)nchunk - 1 ? threads - 1 : (int)nchunk - 1;
    if (extra > FREQ_THREADS_MAX) extra = FREQ_THREADS_MAX;
    while (started < extra && !pthread_create(&tid[started], NULL, freq_worker, &job)) started++;
    freq_worker(&job);
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    if (atomic_load(&job.nomem)) return bcms_err(BCMS_ENOMEM, "out of memory formatting the frequency table");
    for (size_t c = 0; c < nchunk && !rc; c++) rc = bcms_outfile_write(out, job.buf[c].s, job.buf[c].l);
    return rc;
}

int bcms_freq(bcms_store_t *st, const bcms_freq_opts_t *o)
{
    bcms_reader_t *rd = NULL;
    bcms_outfile_t *out = NULL;
    kstring_t line = {0, 0, NULL}, *bufs = NULL;
    size_t nbufs = 0;
    bcms_reader_opts_t sel = o->sel;
    int rc;
    sel.need_counts = 1;
    sel.stream = 1; /* window by window: memory does not grow with the variant count */
    if ((rc = bcms_reader_open(st, &sel, &rd))) return rc;
    if ((rc = bcms_outfile_open(o->out, 0, &out))) goto done;
    kputs("#CHROM\tPOS\tID\tREF\tALT\tALT_FREQ\tALT_CT\tOBS_CT\tHET_CT\tHOM_ALT_CT\tMISSING_CT\tCALL_RATE", &line);
    kputs(o->hardy ? "\tHWE_P\tFEMALE_HWE_P\n" : "\n", &line);
    if ((rc = bcms_outfile_write(out, line.s, line.l))) goto done;
    for (;;) {
        uint32_t b0, nb, n0;
        uint64_t lo;
        if ((rc = bcms_reader_next(rd, &b0, &nb))) goto done;
        if (!nb) break;
        bcms_reader_batch_range(rd, b0, &lo, &n0);
        if ((rc = freq_lines(rd, lo, bcms_reader_nvariants(rd), sel.threads > 0 ? sel.threads : 1, o->hardy, out, &bufs,
                             &nbufs)))
            goto done;
    }
    rc = bcms_outfile_commit(out); /* the output appears only now, whole */
    out = NULL;
done:
    bcms_outfile_abort(out);
    bcms_reader_close(rd);
    free(line.s);
    for (size_t c = 0; c < nbufs; c++) free(bufs[c].s);
    free(bufs);
    return rc;
}

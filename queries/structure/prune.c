/* prune.c: LD pruning by pairwise genotype r^2 in sliding windows, as plink2 --indep-pairwise
 * (contract in structure.h). GPL-3.0-or-later.
 *
 * Each used variant is packed into three bit planes over the samples: hom-ref (+1), hom-alt (-1)
 * and called; r^2 of a pair is computed from integer counts over the samples called at both:
 * n, sums, sums of squares and the dot product of the -1/0/+1 codes, then in doubles exactly as
 * PLINK 2 does (cov^2 > R x var1 x var2, every product of integers exact). Chromosomes are pruned
 * independently, in parallel; the result never depends on the thread count. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/khash.h>
#include <htslib/kstring.h>
#include <omp.h>

#include "err.h"
#include "structure_internal.h"

#define PRUNE_EPS 0x1p-44 /* PLINK 2's kSmallEpsilon */

KHASH_MAP_INIT_STR(prname, uint32_t)

typedef struct {
    uint32_t nw;        /* words per plane */
    uint64_t nv;        /* used variants */
    uint64_t *bits;     /* nv x 3 x nw: hom-ref, hom-alt, called */
    double *maj;        /* major-allele frequency */
    uint8_t *mono;      /* no variance among the called */
    uint8_t *removed;
    uint64_t *vidx;     /* reader variant of used variant k */
} prune_data_t;

void bcms_prune_opts_init(bcms_prune_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_structure_sel_init(&o->in);
    o->window = 50;
    o->step = 5;
    o->r2 = 0.2;
}

static void pack_variant(const uint8_t *g, uint32_t n, uint32_t nw, uint64_t *b, double *maj, uint8_t *mono)
{
    uint64_t *hr = b, *ha = b + nw, *nm = b + 2 * nw;
    uint32_t c[4] = {0, 0, 0, 0};
    memset(b, 0, 3 * (size_t)nw * sizeof *b);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t x = g[i] & 3;
        uint64_t bit = 1ULL << (i & 63);
        c[x]++;
        if (x == 0) hr[i >> 6] |= bit;
        if (x == 2) ha[i >> 6] |= bit;
        if (x != 3) nm[i >> 6] |= bit;
    }
    uint32_t called = c[0] + c[1] + c[2];
    double ref = called ? (2.0 * c[0] + c[1]) / (2.0 * called) : 0;
    *maj = ref >= 0.5 ? ref : 1 - ref;
    *mono = (!c[0] && !c[2]) || c[0] == called || c[2] == called;
}

static int prune_load(const st_input_t *in, int threads, prune_data_t *d)
{
    uint64_t *koff = malloc(((size_t)in->nbatch + 1) * sizeof *koff), k = 0;
    int err = 0;
    if (!koff) return bcms_err(BCMS_ENOMEM, "prune");
    for (uint32_t b = 0; b < in->nbatch; b++) {
        uint64_t first;
        uint32_t nv;
        bcms_reader_batch_range(in->rd, b, &first, &nv);
        koff[b] = k;
        for (uint32_t j = 0; j < nv; j++) k += in->use[first + j];
    }
    d->nv = k;
    d->nw = (in->n + 63) / 64;
    if (!(d->bits = malloc((size_t)k * 3 * d->nw * sizeof *d->bits)) || !(d->maj = malloc((k + 1) * sizeof *d->maj)) ||
        !(d->mono = malloc(k + 1)) || !(d->removed = calloc(k + 1, 1)) || !(d->vidx = malloc((k + 1) * sizeof *d->vidx))) {
        free(koff);
        return bcms_err(BCMS_ENOMEM, "prune: %" PRIu64 " variants x %u samples packed", k, in->n);
    }
#pragma omp parallel num_threads(threads)
    {
        bcms_reader_ws_t *ws = bcms_reader_ws_new(in->rd);
        if (!ws) {
#pragma omp atomic write
            err = BCMS_ENOMEM;
        }
#pragma omp for schedule(dynamic, 1)
        for (uint32_t b = 0; b < in->nbatch; b++) {
            const uint8_t *codes;
            uint64_t first, kk = koff[b];
            uint32_t nv;
            int e;
            if (err) continue;
            bcms_reader_batch_range(in->rd, b, &first, &nv);
            if ((e = bcms_reader_batch(in->rd, ws, b, &codes, NULL))) {
#pragma omp atomic write
                err = e;
                continue;
            }
            for (uint32_t j = 0; j < nv; j++) {
                if (!in->use[first + j]) continue;
                pack_variant(codes + (size_t)j * in->n, in->n, d->nw, d->bits + (size_t)kk * 3 * d->nw, &d->maj[kk],
                             &d->mono[kk]);
                d->vidx[kk++] = first + j;
            }
        }
        bcms_reader_ws_free(ws);
    }
    free(koff);
    return err;
}

/* r^2 of used variants x (earlier) and y above thr? */
static int ld_exceeds(const prune_data_t *d, uint64_t x, uint64_t y, double thr)
{
    const uint32_t nw = d->nw;
    const uint64_t *px = d->bits + (size_t)x * 3 * nw, *mx = px + nw, *nx = mx + nw;
    const uint64_t *py = d->bits + (size_t)y * 3 * nw, *my = py + nw, *ny = my + nw;
    int64_t n = 0, dot = 0, sx = 0, sy = 0, qx = 0, qy = 0;
    for (uint32_t w = 0; w < nw; w++) {
        n += __builtin_popcountll(nx[w] & ny[w]);
        dot += __builtin_popcountll((px[w] & py[w]) | (mx[w] & my[w])) - __builtin_popcountll((px[w] & my[w]) | (mx[w] & py[w]));
        sx += __builtin_popcountll(px[w] & ny[w]) - __builtin_popcountll(mx[w] & ny[w]);
        sy += __builtin_popcountll(py[w] & nx[w]) - __builtin_popcountll(my[w] & nx[w]);
        qx += __builtin_popcountll((px[w] | mx[w]) & ny[w]);
        qy += __builtin_popcountll((py[w] | my[w]) & nx[w]);
    }
    const double cov = (double)(dot * n - sx * sy), vx = (double)(qx * n - sx * sx), vy = (double)(qy * n - sy * sy);
    return cov * cov > thr * vx * vy;
}

/* A window: positions 0..size-1 hold used variants win[] (in order), removed flags wrem[] and, for
 * the PLINK 1 order, the first later variant each still has to be checked against (fu[]). */
typedef struct {
    uint64_t *win, *fu;
    uint8_t *wrem;
    uint32_t size;
} prune_win_t;

static void win_remove(prune_data_t *d, prune_win_t *w, uint32_t pos)
{
    w->wrem[pos] = 1;
    d->removed[w->win[pos]] = 1;
}

/* PLINK 1 order (plink2 up to 2.00a3, as Debian ships it; later plink2 visits pairs in another order
 * unless given 'plink1-order'): sweep the firsts in order; each is
 * compared with the later variants from fu on until one pair exceeds R: the lower-MAF one goes (the
 * first when its major-allele frequency is higher, else the second, after which the first resumes
 * at the next variant in a later sweep); sweeps repeat while they remove something. end_tv is the
 * variant after the window. */
static void window_plink1(prune_data_t *d, prune_win_t *w, uint64_t end_tv, double thr)
{
    uint32_t removed = 0, prev;
    for (uint32_t i = 0; i < w->size; i++) removed += w->wrem[i];
    do {
        prev = removed;
        for (uint32_t f = 0; f < w->size; f++) {
            if (w->wrem[f]) continue;
            uint32_t s = f + 1;
            while (s < w->size && (w->wrem[s] || w->win[s] < w->fu[f])) s++;
            if (s >= w->size) continue;
            for (;;) {
                if (ld_exceeds(d, w->win[f], w->win[s], thr)) {
                    if (d->maj[w->win[f]] > d->maj[w->win[s]] * (1 + PRUNE_EPS)) win_remove(d, w, f);
                    else {
                        win_remove(d, w, s);
                        uint32_t nx = s + 1;
                        while (nx < w->size && w->wrem[nx]) nx++;
                        w->fu[f] = nx < w->size ? w->win[nx] : end_tv;
                    }
                    removed++;
                    break;
                }
                do s++;
                while (s < w->size && w->wrem[s]);
                if (s >= w->size) {
                    w->fu[f] = end_tv;
                    break;
                }
            }
        }
    } while (removed > prev);
}

/* One chromosome: used variants t0 .. t0 + len - 1; w has room for o->window positions. */
static void prune_chrom(const bcms_prune_opts_t *o, prune_data_t *d, uint64_t t0, uint64_t len, prune_win_t *w)
{
    const uint64_t tend = t0 + len;
    const double thr = o->r2 * (1 + PRUNE_EPS);
    uint64_t cur = t0, start = t0, end = t0 + (len < o->window ? len : o->window);
    if (len < 2) return; /* PLINK 2 skips a chromosome of one variant: it stays in */
    w->size = 0;
    for (;;) {
        for (; cur < end; cur++) {
            uint32_t p = w->size++;
            w->wrem[p] = d->mono[cur];
            if (d->mono[cur]) d->removed[cur] = 1;
            w->win[p] = cur;
            w->fu[p] = cur + 1;
        }
        window_plink1(d, w, cur, thr);
        if (end == tend) return;
        start += o->step;
        end = start + o->window < tend ? start + o->window : tend;
        uint32_t keep = 0;
        for (uint32_t i = 0; i < w->size; i++)
            if (!w->wrem[i] && w->win[i] >= start) w->win[keep] = w->win[i], w->fu[keep++] = w->fu[i];
        memset(w->wrem, 0, w->size);
        w->size = keep;
    }
}

/* Count of each string (strdup'ed keys); 0 or BCMS_ENOMEM. */
static int name_count(khash_t(prname) *h, const char *s)
{
    int ret;
    khint_t k = kh_get(prname, h, s);
    if (k != kh_end(h)) return kh_value(h, k)++, 0;
    char *c = strdup(s);
    if (!c || (k = kh_put(prname, h, c, &ret), ret < 0)) return free(c), BCMS_ENOMEM;
    kh_value(h, k) = 1;
    return 0;
}

static uint32_t name_get(const khash_t(prname) *h, const char *s)
{
    khint_t k = kh_get(prname, h, s);
    return k == kh_end(h) ? 0 : kh_value(h, k);
}

static void names_free(khash_t(prname) *h)
{
    if (!h) return;
    for (khint_t k = kh_begin(h); k != kh_end(h); k++)
        if (kh_exist(h, k)) free((char *)kh_key(h, k));
    kh_destroy(prname, h);
}

/* CHR:POS with the alleles in sorted order: one key for both orders, as --extract matches them. */
static void allele_key(const bcms_variant_t *v, kstring_t *s)
{
    int sw = strcmp(v->ref, v->alt) > 0;
    s->l = 0;
    ksprintf(s, "%s:%lld:%s:%s", v->chrom, (long long)v->pos, sw ? v->alt : v->ref, sw ? v->ref : v->alt);
}

/* How each used variant is named in the lists so that --extract selects exactly it: its ID, unless
 * the ID is '.' (--extract matches no '.') or another selected variant has it too (the rows of a
 * split multi-allelic record share theirs, and --extract would bring the pruned row back); then
 * CHR:POS:REF:ALT (bykey[k] = 1), refused when that names more than one variant either. plink2
 * refuses every such ID. */
static int prune_names(const st_input_t *in, const prune_data_t *d, uint8_t *bykey)
{
    khash_t(prname) *ids = kh_init(prname), *keys = NULL;
    kstring_t ks = {0, 0, NULL};
    const uint64_t nvar = bcms_reader_nvariants(in->rd);
    uint64_t nkey = 0;
    int rc = ids ? 0 : BCMS_ENOMEM;
    for (uint64_t v = 0; !rc && v < nvar; v++) {
        const char *id = bcms_reader_variant(in->rd, v)->id;
        if (strcmp(id, ".")) rc = name_count(ids, id);
    }
    for (uint64_t k = 0; !rc && k < d->nv; k++) {
        const char *id = bcms_reader_variant(in->rd, d->vidx[k])->id;
        nkey += bykey[k] = !strcmp(id, ".") || name_get(ids, id) > 1;
    }
    if (rc || !nkey) goto out;
    if (!(keys = kh_init(prname))) rc = BCMS_ENOMEM;
    for (uint64_t v = 0; !rc && v < nvar; v++) {
        allele_key(bcms_reader_variant(in->rd, v), &ks);
        rc = ks.s ? name_count(keys, ks.s) : BCMS_ENOMEM;
    }
    for (uint64_t k = 0; !rc && k < d->nv; k++) {
        if (!bykey[k]) continue;
        const bcms_variant_t *v = bcms_reader_variant(in->rd, d->vidx[k]);
        allele_key(v, &ks);
        if (name_get(keys, ks.s) > 1 || name_get(ids, ks.s))
            rc = bcms_err(BCMS_EINPUT, "prune: variants at %s:%lld with alleles %s,%s and ID '%s' cannot be told apart by "
                          "an --extract list (the same alleles twice, or another variant's ID); remove the duplicate "
                          "records (bcftools norm -d exact) or give unique IDs (bcftools annotate --set-id)",
                          v->chrom, (long long)v->pos, v->ref, v->alt, v->id);
    }
    if (!rc) bcms_log(BCMS_LOG_INFO, "prune: %" PRIu64 " variants listed as CHR:POS:REF:ALT (ID '.' or not unique)", nkey);
out:
    if (rc == BCMS_ENOMEM) rc = bcms_err(rc, "prune: variant names");
    names_free(ids), names_free(keys);
    free(ks.s);
    return rc;
}

static int prune_write(const bcms_prune_opts_t *o, const st_input_t *in, const prune_data_t *d, uint64_t *kept)
{
    kstring_t path_out = {0, 0, NULL}, sin = {0, 0, NULL}, sout = {0, 0, NULL};
    size_t l = strlen(o->out);
    BGZF *fi = NULL, *fo = NULL;
    int rc;
    if (l > 3 && !strcmp(o->out + l - 3, ".in")) kputsn(o->out, l - 3, &path_out), kputs(".out", &path_out);
    else kputs(o->out, &path_out), kputs(".out", &path_out);
    uint8_t *bykey = calloc(d->nv + 1, 1);
    *kept = 0;
    if (!bykey) rc = bcms_err(BCMS_ENOMEM, "prune: variant names");
    else rc = prune_names(in, d, bykey);
    for (uint64_t k = 0; !rc && k < d->nv; k++) {
        kstring_t *s = d->removed[k] ? &sout : &sin;
        const bcms_variant_t *v = bcms_reader_variant(in->rd, d->vidx[k]);
        if (bykey[k]) ksprintf(s, "%s:%lld:%s:%s\n", v->chrom, (long long)v->pos, v->ref, v->alt);
        else kputs(v->id, s), kputc('\n', s);
        *kept += !d->removed[k];
    }
    free(bykey);
    if (rc) {
        free(path_out.s), free(sin.s), free(sout.s);
        return rc;
    }
    if (!(rc = st_out_open(o->out, &fi)) && !(rc = st_out_write(fi, o->out, sin.s, sin.l)) &&
        !(rc = st_out_open(path_out.s, &fo)))
        rc = st_out_write(fo, path_out.s, sout.s, sout.l);
    rc = st_out_close(fi, o->out, rc);
    rc = st_out_close(fo, path_out.s, rc);
    free(path_out.s), free(sin.s), free(sout.s);
    return rc;
}

int bcms_prune_run(bcms_store_t *st, const bcms_prune_opts_t *o, uint64_t stats[2])
{
    st_input_t in;
    prune_data_t d = {0};
    uint64_t *cstart = NULL, nchrom = 0, kept = 0;
    int rc, err = 0;
    if (!o->out) return bcms_err(BCMS_EINVAL, "prune: no output file (-o)");
    if (o->window < 2 || o->step < 1 || o->step > o->window || !(o->r2 >= 0 && o->r2 < 1))
        return bcms_err(BCMS_EINVAL, "prune: need --window >= 2, 1 <= --step <= --window, 0 <= --r2 < 1");
    if ((rc = st_input_open(st, &o->in, &in))) return rc;
    if ((rc = prune_load(&in, o->in.threads, &d))) goto out;
    /* chromosome runs of the used variants (the reader's order is genomic) */
    if (!(cstart = malloc((d.nv + 2) * sizeof *cstart))) {
        rc = bcms_err(BCMS_ENOMEM, "prune");
        goto out;
    }
    for (uint64_t k = 0; k < d.nv; k++)
        if (!k || strcmp(bcms_reader_variant(in.rd, d.vidx[k])->chrom, bcms_reader_variant(in.rd, d.vidx[k - 1])->chrom))
            cstart[nchrom++] = k;
    cstart[nchrom] = d.nv;
#pragma omp parallel num_threads(o->in.threads)
    {
        prune_win_t w = {malloc((size_t)o->window * sizeof *w.win), malloc((size_t)o->window * sizeof *w.fu),
                         calloc(o->window, 1), 0};
        if (!w.win || !w.fu || !w.wrem) {
#pragma omp atomic write
            err = 1;
        }
#pragma omp for schedule(dynamic, 1)
        for (uint64_t c = 0; c < nchrom; c++)
            if (!err) prune_chrom(o, &d, cstart[c], cstart[c + 1] - cstart[c], &w);
        free(w.win), free(w.fu), free(w.wrem);
    }
    if (err) {
        rc = bcms_err(BCMS_ENOMEM, "prune windows");
        goto out;
    }
    if ((rc = prune_write(o, &in, &d, &kept))) goto out;
    bcms_log(BCMS_LOG_INFO, "prune: %" PRIu64 " of %" PRIu64 " variants kept", kept, d.nv);
    if (stats) stats[0] = d.nv, stats[1] = kept;
out:
    free(cstart), free(d.bits), free(d.maj), free(d.mono), free(d.removed), free(d.vidx);
    st_input_close(&in);
    return rc;
}

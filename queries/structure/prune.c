/* prune.c: LD pruning by pairwise genotype r^2 in sliding windows, as plink2 --indep-pairwise
 * (contract in structure.h). GPL-3.0-or-later.
 *
 * Each used variant is packed into three bit planes over the samples: hom-ref (+1), hom-alt (-1)
 * and called; r^2 of a pair is computed from integer counts over the samples called at both:
 * n, sums, sums of squares and the dot product of the -1/0/+1 codes, then in doubles exactly as
 * PLINK 2 does (cov^2 > R x var1 x var2, every product of integers exact).
 *
 * Streaming: the variants come in genomic order, window after window of the reader; only the LD
 * window's variants are held (a ring of --window slots), and a variant's line is written to the
 * kept or the removed list once the window has moved past it (its fate is then final). A first
 * pass finds the IDs that cannot name a variant alone (prune_names.c). Memory does not grow with
 * the variant count. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/kstring.h>
#include <omp.h>

#include "err.h"
#include "outfile.h"
#include "structure_internal.h"

#define PRUNE_EPS 0x1p-44 /* PLINK 2's kSmallEpsilon */

/* The LD window's variants, in a ring of R slots by used-variant number k (slot k % R). */
typedef struct {
    uint32_t nw, R;     /* words per plane, slots */
    uint64_t *bits;     /* R x 3 x nw: hom-ref, hom-alt, called */
    double *maj;        /* major-allele frequency */
    uint8_t *mono;      /* no variance among the called */
    uint8_t *removed;
    kstring_t *name;    /* the line naming it in the lists */
} prune_data_t;

#define SLOT(d, k) ((size_t)((k) % (d)->R))

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

/* r^2 of used variants x (earlier) and y above thr? */
static int ld_exceeds(const prune_data_t *d, uint64_t x, uint64_t y, double thr)
{
    const uint32_t nw = d->nw;
    const uint64_t *px = d->bits + SLOT(d, x) * 3 * nw, *mx = px + nw, *nx = mx + nw;
    const uint64_t *py = d->bits + SLOT(d, y) * 3 * nw, *my = py + nw, *ny = my + nw;
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
    d->removed[SLOT(d, w->win[pos])] = 1;
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
                    if (d->maj[SLOT(d, w->win[f])] > d->maj[SLOT(d, w->win[s])] * (1 + PRUNE_EPS)) win_remove(d, w, f);
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

/* The stream's state: the chromosome being pruned, its window (used variants start .. cur - 1 held,
 * the window ends at end), and the lists. k numbers the used variants in genomic order. */
typedef struct {
    const bcms_prune_opts_t *o;
    st_names_t *nm;
    prune_data_t d;
    prune_win_t w;
    double thr;
    char chrom[64];
    int in_chrom;
    uint64_t t0, start, end, cur, ran_to, fin; /* fin: the next variant to write */
    bcms_outfile_t *fi, *fo;
    const char *path_out;
    kstring_t sin, sout;
    uint64_t total, kept, nkey;
} prune_st_t;

static int flush_lists(prune_st_t *p, int force)
{
    int rc = 0;
    if ((force || p->sin.l > (1 << 16)) && p->sin.l) rc = bcms_outfile_write(p->fi, p->sin.s, p->sin.l), p->sin.l = 0;
    if (!rc && (force || p->sout.l > (1 << 16)) && p->sout.l)
        rc = bcms_outfile_write(p->fo, p->sout.s, p->sout.l), p->sout.l = 0;
    return rc;
}

/* Variants fin .. upto - 1 are final: their lines to the lists. */
static int finalise(prune_st_t *p, uint64_t upto)
{
    for (; p->fin < upto; p->fin++) {
        size_t sl = SLOT(&p->d, p->fin);
        kstring_t *s = p->d.removed[sl] ? &p->sout : &p->sin, *nm = &p->d.name[sl];
        if (kputsn(nm->s, nm->l, s) < 0) return BCMS_ENOMEM;
        p->kept += !p->d.removed[sl];
    }
    return flush_lists(p, 0);
}

/* The window once full (or at the chromosome's end): pruned, then moved on by --step. */
static void window_run(prune_st_t *p)
{
    window_plink1(&p->d, &p->w, p->cur, p->thr);
    p->ran_to = p->cur;
    p->start += p->o->step;
    p->end = p->start + p->o->window;
    uint32_t keep = 0;
    for (uint32_t i = 0; i < p->w.size; i++)
        if (!p->w.wrem[i] && p->w.win[i] >= p->start) p->w.win[keep] = p->w.win[i], p->w.fu[keep++] = p->w.fu[i];
    memset(p->w.wrem, 0, p->w.size);
    p->w.size = keep;
}

/* The end of a chromosome: its last window, and every variant of it final. A chromosome of one
 * variant is not pruned (PLINK 2 skips it): it stays in, monomorphic or not. */
static int chrom_end(prune_st_t *p)
{
    if (!p->in_chrom) return 0;
    p->in_chrom = 0;
    if (p->cur - p->t0 < 2) p->d.removed[SLOT(&p->d, p->t0)] = 0;
    else if (p->cur > p->ran_to) window_plink1(&p->d, &p->w, p->cur, p->thr);
    return finalise(p, p->cur);
}

/* The next used variant (reader variant vi, its codes g over the samples). */
static int prune_add(prune_st_t *p, uint64_t vi, const bcms_variant_t *v, const uint8_t *g, uint32_t n)
{
    int rc, dup_id, bad_key;
    if ((rc = st_names_get(p->nm, vi, &dup_id, &bad_key))) return rc;
    if (!p->in_chrom || strcmp(p->chrom, v->chrom)) {
        if ((rc = chrom_end(p))) return rc;
        if (strlen(v->chrom) >= sizeof p->chrom) return bcms_err(BCMS_EINVAL, "prune: contig name %s too long", v->chrom);
        strcpy(p->chrom, v->chrom);
        p->in_chrom = 1, p->t0 = p->start = p->ran_to = p->cur, p->end = p->cur + p->o->window, p->w.size = 0;
    }
    const uint64_t k = p->cur;
    const size_t sl = SLOT(&p->d, k);
    prune_data_t *d = &p->d;
    pack_variant(g, n, d->nw, d->bits + sl * 3 * d->nw, &d->maj[sl], &d->mono[sl]);
    /* its name: the ID, unless '.' (--extract matches no '.') or another variant has it too (the rows
     * of a split multi-allelic record share theirs, and --extract would bring the pruned row back);
     * then CHR:POS:REF:ALT, refused when that names more than one variant either (plink2 refuses
     * every such ID) */
    kstring_t *nm = &d->name[sl];
    nm->l = 0;
    if (!strcmp(v->id, ".") || dup_id) {
        if (bad_key)
            return bcms_err(BCMS_EINPUT, "prune: variants at %s:%lld with alleles %s,%s and ID '%s' cannot be told apart "
                            "by an --extract list (the same alleles twice, or another variant's ID); remove the "
                            "duplicate records (bcftools norm -d exact) or give unique IDs (bcftools annotate --set-id)",
                            v->chrom, (long long)v->pos, v->ref, v->alt, v->id);
        ksprintf(nm, "%s:%lld:%s:%s\n", v->chrom, (long long)v->pos, v->ref, v->alt);
        p->nkey++;
    } else {
        kputs(v->id, nm), kputc('\n', nm);
    }
    if (!nm->s) return BCMS_ENOMEM;
    uint32_t pos = p->w.size++;
    p->w.wrem[pos] = d->mono[sl];
    d->removed[sl] = d->mono[sl];
    p->w.win[pos] = k;
    p->w.fu[pos] = k + 1;
    p->cur = k + 1, p->total++;
    if (p->cur == p->end) {
        window_run(p);
        if ((rc = finalise(p, p->start))) return rc;
    }
    return 0;
}

static int prune_pass(st_input_t *in, prune_st_t *p)
{
    bcms_reader_ws_t *ws = bcms_reader_ws_new(in->rd);
    int rc = ws ? 0 : BCMS_ENOMEM;
    while (!rc && !(rc = st_input_next(in)))
        for (uint32_t b = in->b0; b < in->b0 + in->nb && !rc; b++) {
            const uint8_t *codes;
            uint64_t first;
            uint32_t nv;
            if (!st_batch_used(in, b)) continue;
            bcms_reader_batch_range(in->rd, b, &first, &nv);
            if ((rc = bcms_reader_batch(in->rd, ws, b, &codes, NULL))) break;
            for (uint32_t j = 0; j < nv && !rc; j++)
                if (st_used(in, first + j))
                    rc = prune_add(p, first + j, bcms_reader_variant(in->rd, first + j), codes + (size_t)j * in->n, in->n);
        }
    bcms_reader_ws_free(ws);
    if (rc == 1) rc = chrom_end(p);
    return rc;
}

int bcms_prune_run(bcms_store_t *st, const bcms_prune_opts_t *o, uint64_t stats[2])
{
    st_input_t in;
    st_names_t nm = {NULL};
    prune_st_t p = {0};
    kstring_t path_out = {0, 0, NULL};
    int rc;
    if (!o->out) return bcms_err(BCMS_EINVAL, "prune: no output file (-o)");
    if (o->window < 2 || o->step < 1 || o->step > o->window || !(o->r2 >= 0 && o->r2 < 1))
        return bcms_err(BCMS_EINVAL, "prune: need --window >= 2, 1 <= --step <= --window, 0 <= --r2 < 1");
    size_t l = strlen(o->out);
    if (l > 3 && !strcmp(o->out + l - 3, ".in")) kputsn(o->out, l - 3, &path_out), kputs(".out", &path_out);
    else kputs(o->out, &path_out), kputs(".out", &path_out);
    if (!path_out.s) return bcms_err(BCMS_ENOMEM, "prune");
    if ((rc = st_input_open(st, &o->in, &in))) {
        free(path_out.s);
        return rc;
    }
    p.o = o, p.nm = &nm, p.thr = o->r2 * (1 + PRUNE_EPS), p.path_out = path_out.s;
    p.d.nw = (in.n + 63) / 64, p.d.R = o->window;
    p.w.win = malloc(sizeof *p.w.win * o->window), p.w.fu = malloc(sizeof *p.w.fu * o->window);
    p.w.wrem = calloc(o->window, 1);
    p.d.bits = malloc((size_t)o->window * 3 * p.d.nw * sizeof *p.d.bits);
    p.d.maj = malloc(sizeof *p.d.maj * o->window), p.d.mono = malloc(o->window), p.d.removed = malloc(o->window);
    p.d.name = calloc(o->window, sizeof *p.d.name);
    if (!p.w.win || !p.w.fu || !p.w.wrem || !p.d.bits || !p.d.maj || !p.d.mono || !p.d.removed || !p.d.name) {
        rc = bcms_err(BCMS_ENOMEM, "prune: a window of %u variants x %u samples", o->window, in.n);
        goto out;
    }
    if ((rc = st_names_scan(&in, &nm))) goto out; /* the first pass: the names */
    if ((rc = bcms_outfile_open(o->out, 0, &p.fi)) || (rc = bcms_outfile_open(path_out.s, 0, &p.fo))) goto out;
    if ((rc = prune_pass(&in, &p)) || (rc = flush_lists(&p, 1))) goto out;
    rc = bcms_outfile_commit(p.fi), p.fi = NULL;
    if (!rc) rc = bcms_outfile_commit(p.fo);
    p.fo = NULL;
    if (rc) goto out;
    if (p.nkey)
        bcms_log(BCMS_LOG_INFO, "prune: %" PRIu64 " variants listed as CHR:POS:REF:ALT (ID '.' or not unique)", p.nkey);
    bcms_log(BCMS_LOG_INFO, "prune: %" PRIu64 " of %" PRIu64 " variants kept", p.kept, p.total);
    if (stats) stats[0] = p.total, stats[1] = p.kept;
out:
    if (rc == BCMS_ENOMEM) rc = bcms_err(rc, "prune");
    bcms_outfile_abort(p.fi), bcms_outfile_abort(p.fo);
    for (uint32_t i = 0; p.d.name && i < o->window; i++) free(p.d.name[i].s);
    free(p.d.name), free(p.d.bits), free(p.d.maj), free(p.d.mono), free(p.d.removed);
    free(p.w.win), free(p.w.fu), free(p.w.wrem);
    free(p.sin.s), free(p.sout.s), free(path_out.s);
    st_names_free(&nm);
    st_input_close(&in);
    return rc;
}

/* locopred.c: LOCO polygenic predictions by cross-validated BLUP (see locopred.h).
 * GPL-3.0-or-later.
 *
 * Pass 1 streams every used autosomal variant into S = Z'Z over the caller's samples (fixed tiles,
 * as grm.c); pass 2 streams them again, chromosome by chromosome (the reader's order is genomic),
 * into S_c, and when chromosome c is complete its predictions are made from G_{-c} = (S - S_c) /
 * (m - m_c). The row over every autosome uses S / m. The folds of one chromosome are independent:
 * they run in parallel, each with its own buffers and single-threaded BLAS/LAPACK, so the bits never
 * depend on the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cblas.h>
#include <omp.h>

#include "contig.h"
#include "err.h"
#include "lmm.h"
#include "lapack.h"
#include "locopred.h"
#include "structure_internal.h"

#define LP_MAXFOLD 16

void bcms_locopred_opts_init(bcms_locopred_opts_t *o)
{
    bcms_structure_sel_init(&o->in);
    o->folds = 5;
}

void bcms_locopred_clear(bcms_locopred_t *p)
{
    for (uint32_t i = 0; p->iid && i < p->n; i++) free(p->iid[i]);
    free(p->iid);
    free(p->pred);
    memset(p, 0, sizeof *p);
}

const double *bcms_locopred_row(const bcms_locopred_t *p, const char *chrom)
{
    for (int c = 0; c < p->nchr; c++)
        if (!strcmp(p->chrom[c], chrom)) return p->pred + (size_t)c * p->n;
    return p->pred + (size_t)p->nchr * p->n;
}

typedef struct {
    uint32_t n, nin;        /* caller's samples, selection's samples */
    const uint32_t *col;    /* caller sample -> selection column */
    const double *y, *W;
    int c, folds, nf, threads; /* nf: folds fitted (1 in-sample) */
    const bcms_reader_t *rd; /* the rows' variants (their chromosome slots 0..21) */
    int pass, cur;          /* pass 1 or 2; chromosome being accumulated (-1: none) */
    double *S, *Sc, *G, *Zs;
    double delta[LP_MAXFOLD];
    bcms_locopred_t *out;
} lp_ctx_t;

/* Fold f's samples: tr (not in fold f) and te (in fold f); in-sample: both all. */
static void lp_split(const lp_ctx_t *x, int f, uint32_t *tr, uint32_t *ntr, uint32_t *te, uint32_t *nte)
{
    *ntr = *nte = 0;
    for (uint32_t i = 0; i < x->n; i++) {
        int in_f = x->folds ? (int)(i % (uint32_t)x->folds) == f : 1;
        if (!x->folds || !in_f) tr[(*ntr)++] = i;
        if (in_f) te[(*nte)++] = i;
    }
}

/* Predictions of fold f from G (n x n, full): u[te] = G[te,tr] A^-1 (y - W a), A = G[tr,tr] + delta I.
 * buf: ntr^2 + ntr (c + 1) + n doubles. Runs on a worker thread: returns 0 or an LP_* reason, turned
 * into a message by the caller (error details are per thread). */
enum { LP_NOT_PD = 1, LP_COLLINEAR = 2, LP_NOMEM = 3 };
static int lp_fold(const lp_ctx_t *x, int f, const double *G, double *u, double *buf, uint32_t *tr, uint32_t *te)
{
    const uint32_t n = x->n;
    const int c = x->c, nr = c + 1;
    uint32_t ntr, nte;
    lp_split(x, f, tr, &ntr, te, &nte);
    double *A = buf, *B = A + (size_t)ntr * ntr, *al = B + (size_t)ntr * nr;
    for (uint32_t a = 0; a < ntr; a++) {
        const double *g = G + (size_t)tr[a] * n;
        double *Aa = A + (size_t)a * ntr;
        for (uint32_t b = 0; b < ntr; b++) Aa[b] = g[tr[b]];
        Aa[a] += x->delta[f];
    }
    for (uint32_t a = 0; a < ntr; a++) {
        for (int k = 0; k < c; k++) B[(size_t)k * ntr + a] = x->W[(size_t)k * n + tr[a]];
        B[(size_t)c * ntr + a] = x->y[tr[a]];
    }
    int N = (int)ntr, info = 0;
    dpotrf_("L", &N, A, &N, &info, 1);
    if (info) return LP_NOT_PD;
    dpotrs_("L", &N, &nr, A, &N, B, &N, &info, 1);
    if (info) return LP_NOT_PD;
    /* GLS: (W' A^-1 W) a = W' A^-1 y, c x c by Cholesky */
    double M[16 * 16], r[16];
    for (int p = 0; p < c; p++) {
        for (int q = 0; q < c; q++) {
            double s = 0;
            for (uint32_t a = 0; a < ntr; a++) s += x->W[(size_t)p * n + tr[a]] * B[(size_t)q * ntr + a];
            M[p * c + q] = s;
        }
        double s = 0;
        for (uint32_t a = 0; a < ntr; a++) s += x->W[(size_t)p * n + tr[a]] * B[(size_t)c * ntr + a];
        r[p] = s;
    }
    for (int p = 0; p < c; p++) { /* in-place Cholesky, then two triangular solves */
        for (int q = 0; q <= p; q++) {
            double s = M[p * c + q];
            for (int l = 0; l < q; l++) s -= M[p * c + l] * M[q * c + l];
            if (p == q) {
                if (!(s > 0)) return LP_COLLINEAR;
                M[p * c + p] = sqrt(s);
            } else {
                M[p * c + q] = s / M[q * c + q];
            }
        }
    }
    for (int p = 0; p < c; p++) {
        for (int l = 0; l < p; l++) r[p] -= M[p * c + l] * r[l];
        r[p] /= M[p * c + p];
    }
    for (int p = c - 1; p >= 0; p--) {
        for (int l = p + 1; l < c; l++) r[p] -= M[l * c + p] * r[l];
        r[p] /= M[p * c + p];
    }
    for (uint32_t a = 0; a < ntr; a++) {
        double s = B[(size_t)c * ntr + a];
        for (int k = 0; k < c; k++) s -= B[(size_t)k * ntr + a] * r[k];
        al[a] = s;
    }
    for (uint32_t t = 0; t < nte; t++) {
        const double *g = G + (size_t)te[t] * n;
        double s = 0;
        for (uint32_t a = 0; a < ntr; a++) s += g[tr[a]] * al[a];
        u[te[t]] = s;
    }
    return 0;
}

/* Every fold's predictions from G into u (n). */
static int lp_predict(lp_ctx_t *x, const double *G, double *u)
{
    const uint32_t n = x->n;
    int rc = 0;
    const size_t ntr_max = x->folds ? n - n / (uint32_t)x->folds : n;
    const size_t need = ntr_max * ntr_max + ntr_max * (size_t)(x->c + 1) + n;
#pragma omp parallel num_threads(x->threads < x->nf ? x->threads : x->nf)
    {
        double *buf = malloc(need * sizeof *buf);
        uint32_t *tr = malloc(sizeof *tr * (n + 1)), *te = malloc(sizeof *te * (n + 1));
        int mine = buf && tr && te ? 0 : LP_NOMEM;
#pragma omp for schedule(static, 1)
        for (int f = 0; f < x->nf; f++)
            if (!mine) mine = lp_fold(x, f, G, u, buf, tr, te);
#pragma omp critical
        if (mine && !rc) rc = mine;
        free(buf), free(tr), free(te);
    }
    if (rc == LP_NOMEM) return bcms_err(BCMS_ENOMEM, "loco-pred: %u samples", n);
    if (rc == LP_NOT_PD) return bcms_err(BCMS_ENUMERIC, "loco-pred: G + delta I is not positive definite");
    if (rc == LP_COLLINEAR) return bcms_err(BCMS_ENUMERIC, "loco-pred: the covariates are collinear in a fold");
    return 0;
}

/* G = (S - Sc) / m from the upper triangles (Sc NULL: S / m), full. */
static void lp_gmat(const lp_ctx_t *x, const double *Sc, uint64_t m, double *G)
{
    const uint32_t n = x->n;
    const double inv = 1.0 / (double)m;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = i; j < n; j++) {
            size_t q = (size_t)i * n + j;
            G[q] = (x->S[q] - (Sc ? Sc[q] : 0)) * inv;
        }
        for (uint32_t j = 0; j < i; j++) G[(size_t)i * n + j] = G[(size_t)j * n + i];
    }
}

static int lp_finish_chrom(lp_ctx_t *x)
{
    int s = x->cur;
    bcms_locopred_t *o = x->out;
    int slot = -1;
    for (int c = 0; c < o->nchr; c++)
        if (atoi(o->chrom[c]) == s + 1) slot = c;
    x->cur = -1;
    if (slot < 0) return 0;
    uint64_t rest = o->m - o->mchr[slot];
    double *u = o->pred + (size_t)slot * x->n;
    if (!rest) { /* the only chromosome: nothing left to predict from */
        memset(u, 0, sizeof *u * x->n);
        return 0;
    }
    lp_gmat(x, x->Sc, rest, x->G);
    bcms_log(BCMS_LOG_INFO, "loco-pred: predictions without chromosome %s (%llu variants)", o->chrom[slot],
             (unsigned long long)rest);
    return lp_predict(x, x->G, u);
}

/* The chromosome slot of a used variant (autosomes 1..22 -> 0..21). */
static int lp_chrom(const lp_ctx_t *x, uint64_t v)
{
    return bcms_contig_rank(bcms_reader_variant(x->rd, v)->chrom) - 1;
}

/* st_stream_idx consumer: pass 1 into S; pass 2 into S_c per chromosome. */
static int lp_consume(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    lp_ctx_t *x = ud;
    const uint32_t n = x->n;
    uint32_t r0 = 0;
    while (r0 < rows) {
        int ch = lp_chrom(x, vidx[r0]);
        uint32_t r1 = r0;
        while (r1 < rows && lp_chrom(x, vidx[r1]) == ch) r1++;
        if (x->pass == 2 && ch != x->cur) {
            int rc;
            if (x->cur >= 0 && (rc = lp_finish_chrom(x))) return rc;
            memset(x->Sc, 0, sizeof *x->Sc * n * n);
            x->cur = ch;
        }
        for (uint32_t r = r0; r < r1; r++) {
            const double *z = Z + (size_t)r * x->nin;
            double *zs = x->Zs + (size_t)(r - r0) * n;
            for (uint32_t i = 0; i < n; i++) zs[i] = z[x->col[i]];
        }
        st_gram_add(x->pass == 1 ? x->S : x->Sc, x->Zs, x->n, r1 - r0, x->threads);
        if (x->pass == 1) {
            x->out->m += r1 - r0;
            x->out->mchr[ch] += r1 - r0; /* by chromosome number here; compacted after pass 1 */
        }
        r0 = r1;
    }
    return 0;
}

/* The caller's samples' selection columns. */
static int lp_map(const st_input_t *in, const uint32_t *snum, uint32_t n, uint32_t **col)
{
    *col = malloc(sizeof **col * (n + 1));
    if (!*col) return bcms_err(BCMS_ENOMEM, "loco-pred");
    uint32_t top = 0;
    for (uint32_t j = 0; j < in->n; j++) top = in->snum[j] > top ? in->snum[j] : top;
    for (uint32_t i = 0; i < n; i++) top = snum[i] > top ? snum[i] : top;
    uint32_t *where = malloc(sizeof *where * ((size_t)top + 1));
    if (!where) return bcms_err(BCMS_ENOMEM, "loco-pred");
    for (uint32_t s = 0; s <= top; s++) where[s] = UINT32_MAX;
    for (uint32_t j = 0; j < in->n; j++) where[in->snum[j]] = j;
    for (uint32_t i = 0; i < n; i++) {
        if (where[snum[i]] == UINT32_MAX) {
            free(where);
            return bcms_err(BCMS_EINVAL, "loco-pred: sample %u of the model is not in the genotype selection", snum[i]);
        }
        (*col)[i] = where[snum[i]];
    }
    free(where);
    return 0;
}

/* delta per fold: REML of the whole-genome G on the fold's training samples. */
static int lp_delta(lp_ctx_t *x, const uint32_t *snum)
{
    const uint32_t n = x->n;
    bcms_grm_t g = {0};
    int rc = 0;
    uint32_t *tr = malloc(sizeof *tr * (n + 1)), *te = malloc(sizeof *te * (n + 1)), *sn = malloc(sizeof *sn * (n + 1));
    double *yt = malloc(sizeof *yt * (n + 1)), *Wt = malloc(sizeof *Wt * ((size_t)n * x->c + 1));
    if (!tr || !te || !sn || !yt || !Wt) rc = bcms_err(BCMS_ENOMEM, "loco-pred");
    g.kind = BCMS_GRM_STANDARDISED, g.n = n, g.m = x->out->m, g.snum = (uint32_t *)snum, g.K = x->G;
    lp_gmat(x, NULL, x->out->m, x->G);
    for (int f = 0; f < x->nf && !rc; f++) {
        uint32_t ntr, nte;
        lmm_model_t *lm = NULL;
        lp_split(x, f, tr, &ntr, te, &nte);
        for (uint32_t a = 0; a < ntr; a++) {
            sn[a] = snum[tr[a]], yt[a] = x->y[tr[a]];
            for (int k = 0; k < x->c; k++) Wt[(size_t)k * ntr + a] = x->W[(size_t)k * n + tr[a]];
        }
        if ((rc = lmm_model_init(&lm, &g, sn, ntr, yt, Wt, x->c, x->threads))) break;
        double lm_ml, lm_re;
        lmm_model_null(lm, &lm_ml, &lm_re);
        lmm_model_free(lm);
        if (!(lm_re > 0 && isfinite(lm_re))) {
            rc = bcms_err(BCMS_ENUMERIC, "loco-pred: fold %d: no REML variance ratio (%g)", f + 1, lm_re);
            break;
        }
        x->delta[f] = 1.0 / lm_re;
        x->out->delta[f] = x->delta[f];
        bcms_log(BCMS_LOG_INFO, "loco-pred: fold %d: %u training samples, s_g/s_e %.4g (REML)", f + 1, ntr, lm_re);
    }
    free(tr), free(te), free(sn), free(yt), free(Wt);
    return rc;
}

static int lp_check(const bcms_locopred_opts_t *o, uint32_t n, int c)
{
    if (o->folds == 1 || o->folds < 0 || o->folds > LP_MAXFOLD)
        return bcms_err(BCMS_EINVAL, "loco-pred: --loco-folds must be 0 (in-sample) or 2..%d, got %d", LP_MAXFOLD,
                        o->folds);
    if (c < 1 || c > 16) return bcms_err(BCMS_EINVAL, "loco-pred: %d design columns (1..16)", c);
    uint32_t per = o->folds ? n - (n + o->folds - 1) / o->folds : n;
    if (per < 2u * c + 10)
        return bcms_err(BCMS_EINVAL, "loco-pred: %u samples are too few for %d folds and %d covariates", n, o->folds,
                        c - 1);
    return 0;
}

int bcms_locopred_run(bcms_store_t *st, const bcms_locopred_opts_t *o, const uint32_t *snum, uint32_t n,
                      const double *y, const double *W, int c, bcms_locopred_t *out)
{
    st_input_t in = {0};
    lp_ctx_t x = {0};
    int rc;
    uint32_t *col = NULL;
    memset(out, 0, sizeof *out);
    if ((rc = lp_check(o, n, c))) return rc;
    bcms_structure_sel_t sel = o->in;
    sel.sel.regions = NULL, sel.sel.chunk_k = 0, sel.sel.chunk_n = 0;
    if ((rc = st_input_open(st, &sel, &in))) return rc;
    if ((rc = lp_map(&in, snum, n, &col))) goto done;
    x = (lp_ctx_t){n, in.n, col, y, W, c, o->folds, o->folds ? o->folds : 1, sel.threads > 0 ? sel.threads : 1,
                   in.rd, 1, -1, NULL, NULL, NULL, NULL, {0}, out};
    out->n = n;
    if (!(out->iid = calloc(n + 1, sizeof *out->iid))) {
        rc = bcms_err(BCMS_ENOMEM, "loco-pred");
        goto done;
    }
    for (uint32_t i = 0; i < n; i++)
        if (!(out->iid[i] = strdup(in.iids[col[i]]))) {
            rc = bcms_err(BCMS_ENOMEM, "loco-pred");
            goto done;
        }
    x.S = calloc((size_t)n * n, sizeof *x.S);
    x.Sc = calloc((size_t)n * n, sizeof *x.Sc);
    x.G = malloc((size_t)n * n * sizeof *x.G);
    x.Zs = malloc((size_t)ST_SUBBLOCK * n * sizeof *x.Zs);
    if (!x.S || !x.Sc || !x.G || !x.Zs) {
        rc = bcms_err(BCMS_ENOMEM, "loco-pred: %u samples need %.1f GB", n, 3.0 * n * n * 8 / 1e9);
        goto done;
    }
    st_blas_serial();
    if ((rc = st_stream_idx(&in, ST_STANDARDISED, x.threads, lp_consume, &x))) goto done;
    /* compact the chromosomes present */
    uint64_t mc[BCMS_LOCOPRED_MAXCHR];
    memcpy(mc, out->mchr, sizeof mc);
    for (int k = 0; k < BCMS_LOCOPRED_MAXCHR; k++)
        if (mc[k]) {
            snprintf(out->chrom[out->nchr], sizeof out->chrom[0], "%d", k + 1);
            out->mchr[out->nchr++] = mc[k];
        }
    for (int k = out->nchr; k < BCMS_LOCOPRED_MAXCHR; k++) out->mchr[k] = 0;
    if (!(out->pred = calloc((size_t)(out->nchr + 1) * n, sizeof *out->pred))) {
        rc = bcms_err(BCMS_ENOMEM, "loco-pred");
        goto done;
    }
    if ((rc = lp_delta(&x, snum))) goto done;
    /* the all-autosomes row (x.G holds S / m from lp_delta) */
    if ((rc = lp_predict(&x, x.G, out->pred + (size_t)out->nchr * n))) goto done;
    x.pass = 2, x.cur = -1;
    if ((rc = st_stream_idx(&in, ST_STANDARDISED, x.threads, lp_consume, &x))) goto done;
    if (x.cur >= 0) rc = lp_finish_chrom(&x);
done:
    free(x.S), free(x.Sc), free(x.G), free(x.Zs), free(col);
    st_input_close(&in);
    if (rc) bcms_locopred_clear(out);
    return rc;
}

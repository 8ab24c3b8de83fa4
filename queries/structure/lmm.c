/* lmm.c: the exact LMM scan: one eigendecomposition of the GRM, the null model, then each variant
 * rotated (lmm_rot.c: a sparse product for rare variants, dgemm for the others, each kind queued
 * over the reader's batch) and tested (contract in lmm.h). GPL-3.0-or-later. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "cluster.h"
#include "dist.h"
#include "err.h"
#include <htslib/kstring.h>
#include "lmm_internal.h"
#include "structure_internal.h"

struct lmm_model_t {
    uint32_t n;
    int c;
    double *eval; /* eigenvalues of K (GEMMA zeroes those below 1e-10) */
    double *Ut;   /* n x n: row j is eigenvector j; NULL once rot has taken it */
    double *uw;   /* n x c: U'W */
    double *uy;   /* n: U'y */
    double l_mle0, logl_mle0, l_remle0;
    lmm_pre_t *pre; /* the null model's part of every variant's grid */
    lmm_rot_t rot;  /* U sample-major, for the variants (lmm_rot.c) */
};

/* A queue of variants of one kind (dense or sparse rotation), rotated and tested when full. */
typedef struct {
    uint32_t nb, v[LMM_BLOCK], cnt[LMM_BLOCK][4];
    double mean[LMM_BLOCK];
} lmm_queue_t;

struct lmm_ws_t {
    double *ux, *uab, *hbuf, *memo_P;
    int lgrp;
    lmm_point_t p0, pscore; /* lambda 0 and the null ML lambda */
    lmm_memo_t memo[LMM_NMEMO];
    lmm_queue_t *queue; /* 2: dense, sparse */
    lmm_solvers_t sv;
    lmm_rot_ws_t rot;
};

/* uab rows of the variables (covariates, x, y) at each eigen index; x = NULL: the null model. */
static void fill_uab(const lmm_model_t *m, const double *ux, double *uab)
{
    const int c = m->c, V = c + 2;
    double v[LMM_MAXV];
    for (uint32_t i = 0; i < m->n; i++) {
        for (int k = 0; k < c; k++) v[k] = m->uw[(size_t)i * c + k];
        v[c] = ux ? ux[i] : 0;
        v[c + 1] = m->uy[i];
        for (int a = 0; a < V; a++)
            for (int b = a; b < V; b++) uab[(size_t)lmm_idx(V, a, b) * m->n + i] = v[a] * v[b];
    }
}

/* The variant's rows of uab (its products with every variable: the same products as fill_uab's); the
 * other rows were filled once, in lmm_ws_new. */
static void fill_ux(const lmm_model_t *m, const double *ux, double *uab)
{
    const int c = m->c, V = c + 2;
    const uint32_t n = m->n;
    for (int a = 0; a < c; a++) {
        double *r = uab + (size_t)lmm_idx(V, a, c) * n;
        for (uint32_t i = 0; i < n; i++) r[i] = m->uw[(size_t)i * c + a] * ux[i];
    }
    double *xx = uab + (size_t)lmm_idx(V, c, c) * n, *xy = uab + (size_t)lmm_idx(V, c, c + 1) * n;
    for (uint32_t i = 0; i < n; i++) xx[i] = ux[i] * ux[i], xy[i] = ux[i] * m->uy[i];
}

static void fn_base(lmm_fn_t *f, const lmm_model_t *m, const double *uab, double *hbuf, int null, int lgrp)
{
    f->n = m->n, f->c = m->c, f->V = m->c + 2, f->NI = f->V * (f->V + 1) / 2, f->null = null;
    for (int k = 0; k < f->NI; k++) f->u[k] = uab + (size_t)k * m->n;
    f->hbuf = hbuf;
    f->eval = m->eval;
    f->pre = null ? NULL : m->pre;
    f->memo = NULL;
    f->lgrp = lgrp;
    memset(f->isx, 0, sizeof f->isx);
    for (int a = 0; a < f->V; a++) f->isx[lmm_idx(f->V, a, f->c)] = 1;
}

static void fn_init(lmm_fn_t *f, const lmm_model_t *m, const double *uab, double *hbuf, int null)
{
    fn_base(f, m, uab, hbuf, null, lmm_logdet_group(m->eval, m->n));
    lmm_lik_P(f, 0.0, f->I); /* I = P at h = 1: lambda 0 gives h = 1 whatever the eigenvalues */
}

static int solvers_new(lmm_solvers_t *sv)
{
    sv->brent = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    sv->newton = gsl_root_fdfsolver_alloc(gsl_root_fdfsolver_newton);
    return sv->brent && sv->newton ? 0 : BCMS_ENOMEM;
}

static void solvers_free(lmm_solvers_t *sv)
{
    if (sv->brent) gsl_root_fsolver_free(sv->brent);
    if (sv->newton) gsl_root_fdfsolver_free(sv->newton);
}

/* K <- P K P with P = I - 11'/n, as GEMMA does to every kinship it reads: over a subset of the GRM's
 * samples (those with the phenotype) the matrix is no longer centred. REML does not change (the
 * intercept is projected out); ML, the LRT and the score test do. r: n doubles of workspace. */
static void centre(double *K, uint32_t n, double *r)
{
    double g = 0;
    for (uint32_t i = 0; i < n; i++) {
        double s = 0;
        for (uint32_t j = 0; j < n; j++) s += K[(size_t)i * n + j];
        r[i] = s / n, g += s;
    }
    g /= (double)n * n;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) K[(size_t)i * n + j] += g - r[i] - r[j];
}

/* K restricted to the model's samples, centred, eigendecomposed. */
static int model_eigen(lmm_model_t *m, const bcms_grm_t *K, const uint32_t *snum, int threads)
{
    const uint32_t n = m->n;
    uint32_t *row = malloc((size_t)n * sizeof *row), maxs = 0;
    int32_t *pos = NULL;
    int rc = 0;
    for (uint32_t i = 0; i < K->n; i++) maxs = K->snum[i] > maxs ? K->snum[i] : maxs;
    for (uint32_t i = 0; i < n; i++) maxs = snum[i] > maxs ? snum[i] : maxs;
    if (!row || !(pos = malloc(((size_t)maxs + 1) * sizeof *pos))) {
        free(row);
        return bcms_err(BCMS_ENOMEM, "lmm");
    }
    for (uint32_t i = 0; i <= maxs; i++) pos[i] = -1;
    for (uint32_t i = 0; i < K->n; i++) pos[K->snum[i]] = (int32_t)i;
    for (uint32_t i = 0; i < n && !rc; i++)
        if (pos[snum[i]] < 0) rc = bcms_err(BCMS_EINPUT, "a scanned sample (number %u) is not in the GRM: build the "
                                            "GRM over the scan's samples (bcms grm) or --keep them", snum[i]);
        else row[i] = (uint32_t)pos[snum[i]];
    free(pos);
    if (rc) goto out;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) m->Ut[(size_t)i * n + j] = K->K[(size_t)row[i] * K->n + row[j]];
    centre(m->Ut, n, m->eval);
    st_blas_serial();
    if ((rc = st_eig_all(n, m->Ut, m->eval, threads))) goto out; /* column-major eigenvectors = rows of Ut */
    for (uint32_t i = 0; i < n; i++)
        if (m->eval[i] < 1e-10) m->eval[i] = 0;
out:
    free(row);
    return rc;
}

static int model_alloc(lmm_model_t **out, uint32_t n, int c)
{
    lmm_model_t *m = calloc(1, sizeof *m);
    *out = NULL;
    if (c < 1 || c > LMM_MAXC) {
        free(m);
        return bcms_err(BCMS_EINVAL, "lmm: %d covariates (at most %d)", c, LMM_MAXC - 1);
    }
    if (!m || !(m->eval = malloc((size_t)n * sizeof *m->eval)) || !(m->Ut = malloc((size_t)n * n * sizeof *m->Ut)) ||
        !(m->uw = malloc((size_t)n * c * sizeof *m->uw)) || !(m->uy = malloc((size_t)n * sizeof *m->uy)) ||
        !(m->pre = calloc(1, sizeof *m->pre)) ||
        !(m->pre->h = malloc((size_t)(LMM_NGRID + 1) * n * sizeof *m->pre->h)) ||
        !(m->pre->hh = malloc((size_t)(LMM_NGRID + 1) * n * sizeof *m->pre->hh))) {
        lmm_model_free(m);
        return bcms_err(BCMS_ENOMEM, "lmm: %u samples", n);
    }
    m->n = n, m->c = c;
    *out = m;
    return 0;
}

/* The eigendecomposition, U'W and U'y: the costly part, and the one whose bits depend on the BLAS and
 * LAPACK kernels (lmm_model_share copies it). */
static int model_rotate(lmm_model_t *m, const bcms_grm_t *K, const uint32_t *snum, const double *y, const double *W,
                        int threads)
{
    const uint32_t n = m->n;
    const int c = m->c;
    double *Wr = malloc((size_t)n * c * sizeof *Wr);
    int rc;
    if (!Wr) return bcms_err(BCMS_ENOMEM, "lmm: %u samples", n);
    if ((rc = model_eigen(m, K, snum, threads))) goto out;
    /* U'W and U'y: W column-major -> row-major n x c first */
    for (uint32_t i = 0; i < n; i++)
        for (int k = 0; k < c; k++) Wr[(size_t)i * c + k] = W[(size_t)k * n + i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, c, (int)n, 1.0, m->Ut, (int)n, Wr, c, 0.0, m->uw, c);
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, m->Ut, (int)n, y, 1, 0.0, m->uy, 1);
    rc = lmm_rot_init(&m->rot, &m->Ut, n); /* Ut -> U sample-major, for the variants */
out:
    free(Wr);
    return rc;
}

/* The null model from the rotated variables: ML (for the LRT and the score test) and REML, and the
 * grid's shared sums. */
static int model_null(lmm_model_t *m)
{
    const uint32_t n = m->n;
    const int V = m->c + 2, NI = V * (V + 1) / 2;
    double *uab = NULL, *hbuf = NULL, lr;
    lmm_solvers_t sv = {0};
    lmm_fn_t f;
    lmm_grid_t g;
    int rc = 0;
    if (!(uab = malloc((size_t)n * NI * sizeof *uab)) || !(hbuf = malloc(3 * (size_t)n * sizeof *hbuf)) ||
        solvers_new(&sv)) {
        rc = bcms_err(BCMS_ENOMEM, "lmm");
        goto out;
    }
    gsl_set_error_handler_off(); /* GSL reports through status codes, never aborts */
    fill_uab(m, NULL, uab);
    fn_init(&f, m, uab, hbuf, 1);
    lmm_pre_fill(&f, m->pre);
    lmm_lik_grid(&f, &g);
    if (lmm_lik_max(&f, &g, &sv, 0, &m->l_mle0, &m->logl_mle0) || lmm_lik_max(&f, &g, &sv, 1, &m->l_remle0, &lr) ||
        isnan(m->l_mle0)) {
        rc = bcms_err(BCMS_EINPUT, "lmm: the null model's variance components could not be estimated");
        goto out;
    }
    bcms_log(BCMS_LOG_INFO, "lmm: %u samples, %d covariates; null model: lambda %.6g (REML, logL %.6f), %.6g (ML, logL "
             "%.6f)", n, m->c - 1, m->l_remle0, lr, m->l_mle0, m->logl_mle0);
out:
    free(uab), free(hbuf), solvers_free(&sv);
    return rc;
}

int lmm_model_init(lmm_model_t **out, const bcms_grm_t *K, const uint32_t *snum, uint32_t n, const double *y,
                   const double *W, int c, int threads)
{
    lmm_model_t *m;
    int rc = model_alloc(&m, n, c);
    if (rc) return rc;
    if ((rc = model_rotate(m, K, snum, y, W, threads)) || (rc = model_null(m))) {
        lmm_model_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* Every field of pre but its two arrays' addresses, then the arrays. */
static int pre_share(lmm_pre_t *pre, uint32_t n, int root)
{
    double *h = pre->h, *hh = pre->hh;
    int rc = bcms_cluster_bcast(pre, sizeof *pre, root);
    pre->h = h, pre->hh = hh;
    if (!rc) rc = bcms_cluster_bcast(h, sizeof *h * (LMM_NGRID + 1) * n, root);
    if (!rc) rc = bcms_cluster_bcast(hh, sizeof *hh * (LMM_NGRID + 1) * n, root);
    return rc;
}

int lmm_model_share(lmm_model_t **m, int root, int status, uint32_t n, int c)
{
    const int me = bcms_cluster_rank();
    uint32_t st = status ? 1 : 0;
    int rc;
    if (bcms_cluster_size() < 2) return status;
    if ((rc = bcms_cluster_bcast(&st, sizeof st, root))) return rc;
    if (st) return me == root ? status : bcms_err(BCMS_EINPUT, "lmm: MPI rank %d could not fit the model (its "
                                                             "message says why)", root);
    if (me != root && (rc = model_alloc(m, n, c))) return rc;
    lmm_model_t *x = *m;
    if (me != root) { /* root's U arrives sample-major (lmm_rot), and U'1 is summed from it here */
        free(x->Ut), x->Ut = NULL;
        if ((rc = lmm_rot_alloc(&x->rot, n))) goto fail;
    }
    if ((rc = bcms_cluster_bcast(x->eval, sizeof *x->eval * n, root)) ||
        (rc = bcms_cluster_bcast(x->rot.U, sizeof *x->rot.U * n * n, root)) ||
        (rc = bcms_cluster_bcast(x->uw, sizeof *x->uw * n * c, root)) ||
        (rc = bcms_cluster_bcast(x->uy, sizeof *x->uy * n, root)))
        goto fail;
    if (me != root) lmm_rot_sums(&x->rot);
    /* the null model from the same rotated variables (whatever else it derives), then root's own bits
     * (root's lambdas stand even where this rank's search would fail: only running out of memory counts) */
    const int lr = me != root ? model_null(x) : 0;
    double s[3] = {x->l_mle0, x->logl_mle0, x->l_remle0};
    if ((rc = bcms_cluster_bcast(s, sizeof s, root)) || (rc = pre_share(x->pre, n, root))) goto fail;
    x->l_mle0 = s[0], x->logl_mle0 = s[1], x->l_remle0 = s[2];
    if (lr == BCMS_ENOMEM) {
        rc = lr;
        goto fail;
    }
    return 0;
fail:
    lmm_model_free(x);
    *m = NULL;
    return rc;
}

void lmm_model_free(lmm_model_t *m)
{
    if (!m) return;
    if (m->pre) free(m->pre->h), free(m->pre->hh), free(m->pre);
    lmm_rot_free(&m->rot);
    free(m->eval), free(m->Ut), free(m->uw), free(m->uy), free(m);
}

void lmm_model_null(const lmm_model_t *m, double *l_mle, double *l_remle)
{
    *l_mle = m->l_mle0, *l_remle = m->l_remle0;
}

lmm_ws_t *lmm_ws_new(const lmm_model_t *m)
{
    const uint32_t n = m->n;
    const int V = m->c + 2, NI = V * (V + 1) / 2;
    const size_t VN3 = 3 * (size_t)V * NI;
    lmm_ws_t *ws = calloc(1, sizeof *ws);
    lmm_fn_t *f = malloc(sizeof *f);
    if (!ws || !f || !m->rot.U || lmm_rot_ws_init(&ws->rot, n) ||
        !(ws->ux = malloc((size_t)LMM_BLOCK * n * sizeof *ws->ux)) ||
        !(ws->uab = malloc((size_t)n * NI * sizeof *ws->uab)) || !(ws->hbuf = malloc(3 * (size_t)n * sizeof *ws->hbuf)) ||
        !(ws->memo_P = malloc(LMM_NMEMO * VN3 * sizeof *ws->memo_P)) || !(ws->queue = calloc(2, sizeof *ws->queue)) ||
        solvers_new(&ws->sv))
        goto fail;
    /* the rows without the variant, and the fixed lambdas, from the null model */
    fill_uab(m, NULL, ws->uab);
    ws->lgrp = lmm_logdet_group(m->eval, n);
    fn_base(f, m, ws->uab, ws->hbuf, 1, ws->lgrp);
    if (lmm_point_fill(f, 0.0, &ws->p0) || lmm_point_fill(f, m->l_mle0, &ws->pscore)) goto fail;
    for (int k = 0; k < LMM_NMEMO; k++) ws->memo[k].P = ws->memo_P + k * VN3;
    free(f);
    return ws;
fail:
    free(f);
    lmm_ws_free(ws);
    return NULL;
}

void lmm_ws_free(lmm_ws_t *ws)
{
    if (!ws) return;
    free(ws->ux), free(ws->uab), free(ws->hbuf), free(ws->memo_P), free(ws->queue);
    lmm_point_free(&ws->p0), lmm_point_free(&ws->pscore);
    solvers_free(&ws->sv);
    lmm_rot_ws_free(&ws->rot);
    free(ws);
}

/* Wald/score pieces from P: level c (covariates out) and c + 1 (x out too). */
static void wald_from(const lmm_fn_t *f, const double *P, double *beta, double *se, double *Fw, double *Fs)
{
    const int c = f->c, V = f->V, NI = f->NI;
    const double df = (double)f->n - c - 1;
    const double Pyy = P[(size_t)c * NI + lmm_idx(V, c + 1, c + 1)], Pxx = P[(size_t)c * NI + lmm_idx(V, c, c)];
    const double Pxy = P[(size_t)c * NI + lmm_idx(V, c, c + 1)], Pxyy = P[(size_t)(c + 1) * NI + lmm_idx(V, c + 1, c + 1)];
    const double tau = df / Pxyy;
    *beta = Pxy / Pxx;
    *se = sqrt(1.0 / (tau * Pxx));
    *Fw = (Pyy - Pxyy) * tau;
    *Fs = (double)f->n * Pxy * Pxy / (Pyy * Pxx);
}

/* One variant: x (mean-imputed) already rotated into ux. */
static void test_one(const lmm_model_t *m, lmm_ws_t *ws, const double *ux, lmm_result_t *r)
{
    lmm_fn_t f;
    lmm_grid_t g;
    const double df = (double)m->n - m->c - 1;
    double beta, se, Fw, Fs, l, logl, P[LMM_MAXV * LMM_MAXNI];
    fill_ux(m, ux, ws->uab);
    fn_base(&f, m, ws->uab, ws->hbuf, 0, ws->lgrp);
    for (int k = 0; k < LMM_NMEMO; k++) ws->memo[k].order = 0;
    f.memo = ws->memo;
    lmm_lik_P_at(&f, &ws->p0, f.I); /* I = P at h = 1 */
    lmm_lik_grid(&f, &g); /* shared by the REML and the ML search */
    lmm_lik_P_at(&f, &ws->pscore, P); /* the score test at the null ML lambda */
    wald_from(&f, P, &beta, &se, &Fw, &Fs);
    r->p_score = gsl_cdf_fdist_Q(Fs, 1.0, df);
    r->beta = beta, r->se = se;
    int bad = lmm_lik_max(&f, &g, &ws->sv, 1, &l, &logl);
    r->l_remle = l;
    if (!bad && !isnan(logl)) {
        lmm_lik_P(&f, l, P);
        wald_from(&f, P, &beta, &se, &Fw, &Fs);
        r->beta = beta, r->se = se, r->p_wald = gsl_cdf_fdist_Q(Fw, 1.0, df);
        /* F(1, df) = t^2: the t tail's log where p underflows */
        r->log10p = r->p_wald > 1e-300 ? log10(r->p_wald) : dist_t_logp2(sqrt(Fw), df) / M_LN10;
    } else {
        r->p_wald = r->log10p = NAN;
    }
    bad = lmm_lik_max(&f, &g, &ws->sv, 0, &l, &logl);
    r->l_mle = l;
    r->p_lrt = gsl_cdf_chisq_Q(2.0 * (logl - m->logl_mle0), 1);
    if (bad || isnan(logl)) r->p_wald = r->p_lrt = r->log10p = NAN, r->err = 1; /* as GEMMA: a failed search voids both */
}

static void queue_run(const lmm_model_t *m, lmm_ws_t *ws, const uint8_t *codes, lmm_queue_t *q, int sparse,
                      lmm_result_t *res)
{
    lmm_rot_apply(&m->rot, &ws->rot, codes, q->v, q->nb, sparse, (const uint32_t(*)[4])q->cnt, q->mean, ws->ux);
    for (uint32_t k = 0; k < q->nb; k++) test_one(m, ws, ws->ux + (size_t)k * m->n, &res[q->v[k]]);
    q->nb = 0;
}

int lmm_test_codes(const lmm_model_t *m, lmm_ws_t *ws, const uint8_t *codes, uint32_t nv, lmm_result_t *res)
{
    const uint32_t n = m->n;
    lmm_queue_t *q = ws->queue;
    q[0].nb = q[1].nb = 0;
    for (uint32_t v = 0; v < nv; v++) {
        const uint8_t *g = codes + (size_t)v * n;
        uint32_t c[4] = {0, 0, 0, 0};
        for (uint32_t i = 0; i < n; i++) c[g[i] & 3]++;
        const double mean = c[3] < n ? (double)(c[1] + 2 * c[2]) / (double)(n - c[3]) : 0;
        lmm_result_t *r = &res[v];
        memset(r, 0, sizeof *r);
        r->af = mean / 2, r->n_miss = (int)c[3];
        /* one called genotype (or none): x is constant once missing calls take the mean */
        if ((c[0] > 0) + (c[1] > 0) + (c[2] > 0) <= 1) {
            r->beta = r->se = r->p_wald = r->p_lrt = r->p_score = r->l_remle = r->l_mle = r->log10p = NAN, r->err = 2;
            continue;
        }
        const int sp = lmm_rot_sparse(c, n);
        lmm_queue_t *qq = &q[sp];
        qq->v[qq->nb] = v, qq->mean[qq->nb] = mean;
        memcpy(qq->cnt[qq->nb], c, sizeof c);
        if (++qq->nb == LMM_BLOCK) queue_run(m, ws, codes, qq, sp, res);
    }
    for (int sp = 0; sp < 2; sp++)
        if (q[sp].nb) queue_run(m, ws, codes, &q[sp], sp, res);
    return 0;
}

void lmm_format_row(kstring_t *s, const bcms_variant_t *v, uint32_t n, const lmm_result_t *r, const char *pheno)
{
    const double stat = r->beta / r->se;
    ksprintf(s, "%s\t%lld\t%s\t%s\t%s\t%s\t%.8g\t%u\tADD\t", v->chrom, (long long)v->pos, v->id, v->ref, v->alt, v->alt,
             r->af, n);
    if (r->err == 2) kputs("NA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tCONST_OMITTED_ALLELE", s);
    else {
        ksprintf(s, "%.8g\t%.8g\t", r->beta, r->se);
        if (isnan(r->p_wald)) kputs("NA\tNA\tNA\t", s);
        else if (r->p_wald > 0) ksprintf(s, "%.8g\t%.6g\t%.6g\t", stat, r->p_wald, r->log10p == 0 ? 0.0 : -r->log10p);
        else { /* below the double range: P from its log10, as the other models */
            const double e = floor(r->log10p), mant = pow(10, r->log10p - e);
            ksprintf(s, "%.8g\t%.5fe%d\t%.6g\t", stat, mant, (int)e, -r->log10p);
        }
        ksprintf(s, isnan(r->p_lrt) ? "NA\t" : "%.6g\t", r->p_lrt);
        ksprintf(s, "%.6g\t%.8g\t%.8g\t%s", r->p_score, r->l_remle, r->l_mle, r->err ? "LAMBDA_SEARCH_FAILED" : ".");
    }
    kputs("\t.", s); /* COVAR_DROPPED: every variant is tested on all the model's samples */
    if (pheno) ksprintf(s, "\t%s", pheno);
    kputc('\n', s);
}

/* linear.c: linear regression scan, PLINK 2 --glm semantics (bcms, GPL-3.0-or-later).
 *
 * Setup: C = Q R (covar.c); each phenotype is replaced by its residual from the covariates over all
 * n samples, yr = y - Q Q'y. The genotype's coefficient in y ~ x + C restricted to any sample subset
 * S is the same with yr in place of y (they differ by a vector in span(C), also on S), and yr keeps
 * y'y small, so no digits are lost to a large phenotype mean. Rows [q_i | yr_i] are stored
 * contiguously (n x W, W = k + m) for the per-variant sums.
 *
 * Per variant: s = sum_i x_i [q_i | yr_i] over samples with x_i != 0 (sparse for rare variants),
 * sum x, sum x^2 (exact integers for hard calls). Samples with a missing call contribute nothing to s;
 * their covariate rows are removed from the Gram matrix exactly: A = I - sum_{i missing} q_i q_i'
 * (or summed directly over S when most samples are missing), and b = Q'yr - sum_{missing} q_i yr_i.
 * With A = L L', u = L^-1 (Q'x), w = L^-1 b:
 *   den = x'x - u'u (x'x after projecting out C on S), num = x'yr - u'w,
 *   beta = num/den, RSS = (yr'yr - sum_missing yr^2 - w'w) - num*beta, SE = sqrt(RSS/(N-k-1)/den).
 * Genotype VIF = (x'x - (sum x)^2/N) / den. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "err.h"
#include "glm.h"
#include "glm_internal.h"

struct glm_linear {
    int n, k, m, w;    /* samples, covariate columns, phenotypes, row width k+m */
    double *rows;      /* n x w row-major: [q_i | yr_i] */
    double *qty;       /* k x m column-major: Q'yr (numerically ~0, kept for consistency) */
    double *yty;       /* m: yr'yr */
    glm_opts_t opt;
};

struct glm_linear_ws {
    double *acc;   /* 3 * w: het sums, hom-alt sums, combined */
    double *a;     /* k x k */
    double *u;     /* k */
    double *wv;    /* k x m */
    double *yym;   /* m */
    int *miss;     /* n */
    uint8_t *mask; /* n: 1 = missing in the current variant (only used when most are missing) */
};

void glm_linear_free(glm_linear_t *lm)
{
    if (!lm) return;
    free(lm->rows);
    free(lm->qty);
    free(lm->yty);
    free(lm);
}

int glm_linear_init(glm_linear_t **out, const covar_design_t *d, const double *y, int m,
                    const glm_opts_t *opt)
{
    int rc;
    double *q = NULL, *r = NULL;
    glm_linear_t *lm = NULL;
    *out = NULL;
    if ((rc = glm_opts_check(opt))) return rc;
    if (m < 1) return bcms_err(BCMS_EINVAL, "linear model: no phenotype");
    int n = d->n, k = d->k;
    if (n < k + 2)
        return bcms_err(BCMS_EINPUT, "linear model: %d samples for %d covariate columns", n, k);
    for (int j = 0; j < m; j++)
        for (int i = 0; i < n; i++)
            if (!isfinite(y[(size_t)j * n + i]))
                return bcms_err(BCMS_EINPUT, "linear model: phenotype %d is missing or non-finite at "
                                "row %d; drop such samples first", j + 1, i + 1);
    lm = calloc(1, sizeof(*lm));
    q = malloc((size_t)n * k * sizeof(double));
    r = malloc((size_t)k * k * sizeof(double));
    if (!lm || !q || !r) { rc = bcms_err(BCMS_ENOMEM, "linear model: out of memory"); goto fail; }
    lm->n = n; lm->k = k; lm->m = m; lm->w = k + m; lm->opt = *opt;
    if ((rc = covar_design_qr(d, q, r))) goto fail;
    lm->rows = malloc((size_t)n * lm->w * sizeof(double));
    lm->qty = calloc((size_t)k * m, sizeof(double));
    lm->yty = calloc(m, sizeof(double));
    if (!lm->rows || !lm->qty || !lm->yty) {
        rc = bcms_err(BCMS_ENOMEM, "linear model: out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) lm->rows[(size_t)i * lm->w + j] = q[(size_t)j * n + i];
    for (int p = 0; p < m; p++) {
        const double *yp = y + (size_t)p * n;
        double yr_coef[64], *coef = k <= 64 ? yr_coef : malloc(k * sizeof(double));
        if (!coef) { rc = bcms_err(BCMS_ENOMEM, "out of memory"); goto fail; }
        for (int j = 0; j < k; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += q[(size_t)j * n + i] * yp[i];
            coef[j] = s;
        }
        /* residualise twice: the second pass removes what rounding left in span(Q) */
        for (int i = 0; i < n; i++) lm->rows[(size_t)i * lm->w + k + p] = yp[i];
        for (int pass = 0; pass < 2; pass++) {
            for (int j = 0; j < k; j++) {
                double s = 0;
                if (pass)
                    for (int i = 0; i < n; i++) s += q[(size_t)j * n + i] * lm->rows[(size_t)i * lm->w + k + p];
                else
                    s = coef[j];
                for (int i = 0; i < n; i++) lm->rows[(size_t)i * lm->w + k + p] -= s * q[(size_t)j * n + i];
            }
        }
        if (coef != yr_coef) free(coef);
        double yy = 0;
        for (int i = 0; i < n; i++) {
            double v = lm->rows[(size_t)i * lm->w + k + p];
            yy += v * v;
        }
        if (!(yy > 0)) {
            rc = bcms_err(BCMS_EINPUT, "linear model: phenotype %d is constant or explained exactly by "
                          "the covariates", p + 1);
            goto fail;
        }
        lm->yty[p] = yy;
        for (int j = 0; j < k; j++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += q[(size_t)j * n + i] * lm->rows[(size_t)i * lm->w + k + p];
            lm->qty[j + (size_t)p * k] = s;
        }
    }
    free(q);
    free(r);
    *out = lm;
    return 0;
fail:
    free(q);
    free(r);
    glm_linear_free(lm);
    return rc;
}

void glm_linear_ws_free(glm_linear_ws_t *ws)
{
    if (!ws) return;
    free(ws->acc); free(ws->a); free(ws->u); free(ws->wv); free(ws->yym); free(ws->miss);
    free(ws->mask);
    free(ws);
}

glm_linear_ws_t *glm_linear_ws_new(const glm_linear_t *lm)
{
    glm_linear_ws_t *ws = calloc(1, sizeof(*ws));
    if (!ws) return NULL;
    ws->acc = malloc(3 * (size_t)lm->w * sizeof(double));
    ws->a = malloc((size_t)lm->k * lm->k * sizeof(double));
    ws->u = malloc((size_t)lm->k * sizeof(double));
    ws->wv = malloc((size_t)lm->k * lm->m * sizeof(double));
    ws->yym = malloc((size_t)lm->m * sizeof(double));
    ws->miss = malloc((size_t)lm->n * sizeof(int));
    ws->mask = calloc(lm->n, 1);
    if (!ws->acc || !ws->a || !ws->u || !ws->wv || !ws->yym || !ws->miss || !ws->mask) {
        glm_linear_ws_free(ws);
        return NULL;
    }
    return ws;
}

/* s: W sums of x_i*[q_i|yr_i]; sx, sxx: sum x, sum x^2 over non-missing; is_const from the caller
 * (exact for hard calls). out: m results. */
static void linear_finish(const glm_linear_t *lm, glm_linear_ws_t *ws, const double *s, double sx,
                          double sxx, int nmiss, int is_const, glm_result_t *out)
{
    const int n = lm->n, k = lm->k, m = lm->m, W = lm->w;
    const int ns = n - nmiss;
    for (int p = 0; p < m; p++) {
        glm_result_t *r = &out[p];
        r->n = ns;
        r->firth = 0;
        r->err = 0;
        r->a1_count = sx;
        r->a1_freq = ns ? sx / (2.0 * ns) : NAN;
    }
    int err = 0;
    if (ns < k + 2) err = GLM_ERR_TOO_FEW_SAMPLES;
    else if (is_const) err = GLM_ERR_CONST_ALLELE;
    if (err) {
        for (int p = 0; p < m; p++) glm_result_fail(&out[p], err);
        return;
    }
    double *u = ws->u, *wv = ws->wv, *yym = ws->yym, *a = ws->a;
    memcpy(u, s, k * sizeof(double));
    memcpy(wv, lm->qty, (size_t)k * m * sizeof(double));
    memcpy(yym, lm->yty, m * sizeof(double));
    if (nmiss) {
        if (2 * nmiss <= n) {
            memset(a, 0, (size_t)k * k * sizeof(double));
            for (int t = 0; t < nmiss; t++) {
                const double *row = lm->rows + (size_t)ws->miss[t] * W;
                for (int j = 0; j < k; j++) {
                    for (int l = j; l < k; l++) a[l + j * k] += row[j] * row[l];
                    for (int p = 0; p < m; p++) wv[j + p * k] -= row[j] * row[k + p];
                }
                for (int p = 0; p < m; p++) yym[p] -= row[k + p] * row[k + p];
            }
            for (int j = 0; j < k; j++)
                for (int l = j; l < k; l++) a[l + j * k] = (l == j) - a[l + j * k];
        } else {
            /* most samples missing: sum over the observed ones instead of downdating */
            memset(a, 0, (size_t)k * k * sizeof(double));
            memset(wv, 0, (size_t)k * m * sizeof(double));
            memset(yym, 0, m * sizeof(double));
            for (int t = 0; t < nmiss; t++) ws->mask[ws->miss[t]] = 1;
            for (int i = 0; i < n; i++) {
                if (ws->mask[i]) continue;
                const double *row = lm->rows + (size_t)i * W;
                for (int j = 0; j < k; j++) {
                    for (int l = j; l < k; l++) a[l + j * k] += row[j] * row[l];
                    for (int p = 0; p < m; p++) wv[j + p * k] += row[j] * row[k + p];
                }
                for (int p = 0; p < m; p++) yym[p] += row[k + p] * row[k + p];
            }
            for (int t = 0; t < nmiss; t++) ws->mask[ws->miss[t]] = 0;
        }
        if (glm_chol(a, k)) {
            for (int p = 0; p < m; p++) glm_result_fail(&out[p], GLM_ERR_VIF_INFINITE);
            return;
        }
        glm_trsv_lower(a, k, u);
        for (int p = 0; p < m; p++) glm_trsv_lower(a, k, wv + (size_t)p * k);
    }
    double uu = 0;
    for (int j = 0; j < k; j++) uu += u[j] * u[j];
    const double den = sxx - uu;
    const double ssx = sxx - sx * sx / ns;
    if (!(ssx > 1e-12 * sxx)) err = GLM_ERR_CONST_ALLELE;
    else if (!(den > 1e-12 * ssx)) err = GLM_ERR_VIF_INFINITE;
    else if (ssx / den > lm->opt.vif_thresh) err = GLM_ERR_VIF_TOO_HIGH;
    if (err) {
        for (int p = 0; p < m; p++) glm_result_fail(&out[p], err);
        return;
    }
    const double df = ns - k - 1;
    for (int p = 0; p < m; p++) {
        const double *wp = wv + (size_t)p * k;
        double uw = 0, ww = 0;
        for (int j = 0; j < k; j++) { uw += u[j] * wp[j]; ww += wp[j] * wp[j]; }
        double num = s[k + p] - uw;
        double beta = num / den;
        double rss = yym[p] - ww - num * beta;
        glm_result_t *r = &out[p];
        if (!(rss > 0)) { glm_result_fail(r, GLM_ERR_VIF_INFINITE); continue; }
        r->beta = beta;
        r->se = sqrt(rss / df / den);
        r->stat = beta / r->se;
        r->p = dist_t_p2(r->stat, df);
        r->log10p = dist_t_logp2(r->stat, df) / M_LN10;
    }
}

int glm_linear_codes(const glm_linear_t *lm, glm_linear_ws_t *ws, const uint8_t *codes,
                     size_t nvar, size_t stride, glm_result_t *out)
{
    const int n = lm->n, W = lm->w;
    if (stride < (size_t)n) return bcms_err(BCMS_EINVAL, "linear scan: stride %zu < n %d", stride, n);
    double *a1 = ws->acc, *a2 = ws->acc + W, *s = ws->acc + 2 * W;
    for (size_t v = 0; v < nvar; v++) {
        const uint8_t *g = codes + v * stride;
        memset(a1, 0, 2 * (size_t)W * sizeof(double));
        int c[4] = {0, 0, 0, 0}, nmiss = 0;
        for (int i = 0; i < n; i++) {
            const unsigned gi = g[i] & 3;
            c[gi]++;
            if (gi == 0) continue;
            const double *row = lm->rows + (size_t)i * W;
            if (gi == 1) {
                for (int j = 0; j < W; j++) a1[j] += row[j];
            } else if (gi == 2) {
                for (int j = 0; j < W; j++) a2[j] += row[j];
            } else {
                ws->miss[nmiss++] = i;
            }
        }
        for (int j = 0; j < W; j++) s[j] = a1[j] + 2.0 * a2[j];
        const int ns = n - nmiss;
        const int is_const = c[0] == ns || c[1] == ns || c[2] == ns;
        linear_finish(lm, ws, s, c[1] + 2.0 * c[2], c[1] + 4.0 * c[2], nmiss, is_const,
                      out + v * lm->m);
    }
    return 0;
}

int glm_linear_dosages(const glm_linear_t *lm, glm_linear_ws_t *ws, const double *dos,
                       size_t nvar, size_t stride, glm_result_t *out)
{
    const int n = lm->n, W = lm->w;
    if (stride < (size_t)n) return bcms_err(BCMS_EINVAL, "linear scan: stride %zu < n %d", stride, n);
    double *s = ws->acc;
    for (size_t v = 0; v < nvar; v++) {
        const double *x = dos + v * stride;
        memset(s, 0, (size_t)W * sizeof(double));
        double sx = 0, sxx = 0, first = NAN;
        int nmiss = 0, varies = 0;
        for (int i = 0; i < n; i++) {
            const double xi = x[i];
            if (isnan(xi)) { ws->miss[nmiss++] = i; continue; }
            if (isnan(first)) first = xi;
            else if (xi != first) varies = 1;
            if (xi == 0) continue;
            const double *row = lm->rows + (size_t)i * W;
            for (int j = 0; j < W; j++) s[j] += xi * row[j];
            sx += xi;
            sxx += xi * xi;
        }
        linear_finish(lm, ws, s, sx, sxx, nmiss, !varies, out + v * lm->m);
    }
    return 0;
}

/* cox_score.c: per-variant exact efficient score test, p-values, and the dispatch to SPA and the
 * full fit. bcms, GPL-3.0-or-later.
 *
 * Cost per variant: one pass over the n genotypes, then O(nnz (k + 3) + J) where nnz is the number of
 * samples with a non-zero (possibly flipped) genotype: zeros contribute nothing to U, I_xx or I_xC,
 * and the statistic is invariant to x -> 2 - x (U changes sign), so a variant whose ALT allele is the
 * major one is scored through its REF count and a rare variant costs little more than its carriers. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_sf_erf.h>

#include "cox_internal.h"
#include "err.h"

double cox_norm_logp2(double z)
{
    /* 2 Q(|z|) = erfc(|z| / sqrt 2), on the log scale so that it never underflows */
    return gsl_sf_log_erfc(fabs(z) / M_SQRT2);
}

static void result_reset(cox_result_t *r)
{
    memset(r, 0, sizeof(*r));
    r->u = r->v = r->z = r->p = r->log10p = NAN;
    r->beta = r->se = r->hr = r->wald_z = r->wald_p = r->wald_log10p = NAN;
    r->lrt = r->lrt_p = r->lrt_log10p = NAN;
}

/* ws->x (flipped to 2 - x when the mean is above 1), ws->mask; returns the flip flag. */
#define GATHER(TYPE, MISSING, VALUE)                                                              \
    static int gather_##TYPE(const cox_null_t *nm, cox_ws_t *ws, const TYPE *g, int *n_miss,     \
                             double *mean_out)                                                    \
    {                                                                                             \
        const int n = nm->n;                                                                      \
        const int *gi = nm->gidx;                                                                 \
        double sum = 0;                                                                           \
        int miss = 0;                                                                             \
        for (int i = 0; i < n; i++) {                                                             \
            TYPE v = g[gi ? gi[i] : i];                                                           \
            if (MISSING) miss++;                                                                  \
            else sum += (VALUE);                                                                  \
        }                                                                                         \
        double mean = miss < n ? sum / (n - miss) : 0;                                            \
        int flip = mean > 1;                                                                      \
        double mi = flip ? 2 - mean : mean;                                                       \
        for (int i = 0; i < n; i++) {                                                             \
            TYPE v = g[gi ? gi[i] : i];                                                           \
            if (MISSING) {                                                                        \
                ws->x[i] = mi;                                                                    \
                ws->mask[i] = 0;                                                                  \
            } else {                                                                              \
                double x = (VALUE);                                                               \
                ws->x[i] = flip ? 2 - x : x;                                                      \
                ws->mask[i] = 1;                                                                  \
            }                                                                                     \
        }                                                                                         \
        *n_miss = miss;                                                                           \
        *mean_out = mean;                                                                         \
        return flip;                                                                              \
    }

GATHER(uint8_t, v > 2, (double)v)
GATHER(float, isnan(v), (double)v)
GATHER(double, isnan(v), v)

static int check_args(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const void *g,
                      cox_result_t *res)
{
    if (!nm || !ws || !o || !g || !res) return bcms_err(BCMS_EINVAL, "cox test: NULL argument");
    if (ws->n != nm->n || ws->J != nm->J || ws->k != nm->k)
        return bcms_err(BCMS_EINVAL, "cox test: workspace was allocated for another null model");
    return 0;
}

/* U and V of ws->x */
static void score_uv(const cox_null_t *nm, cox_ws_t *ws, double *u_out, double *v_out)
{
    const int n = nm->n, k = nm->k, J = nm->J;
    double *s1 = ws->s1, *d1 = ws->d1, *cross = ws->u1; /* u1 has k+1 >= k entries */
    memset(s1, 0, sizeof(double) * J);
    memset(d1, 0, sizeof(double) * J);
    memset(cross, 0, sizeof(double) * k);
    double U = 0, lin = 0;
    for (int i = 0; i < n; i++) {
        double x = ws->x[i];
        if (x == 0) continue;
        U += x * nm->m[i];
        lin += x * x * nm->e[i];
        const double *h = nm->ht + (size_t)i * k;
        for (int c = 0; c < k; c++) cross[c] += x * h[c];
        int lo = nm->lo[i], hi = nm->hi[i];
        if (hi <= lo) continue;
        double wx = nm->w[i] * x;
        s1[hi - 1] += wx;
        if (lo - 1 >= nm->sofs[nm->strat[i]]) s1[lo - 1] -= wx;
        if (nm->event[i]) d1[nm->ev[i]] += wx;
    }
    double quad = 0;
    for (int s = 0; s < nm->ns; s++) {
        double acc = 0;
        for (int j = nm->sofs[s + 1] - 1; j >= nm->sofs[s]; j--) {
            acc += s1[j];
            double dj = d1[j];
            quad += nm->qa[j] * acc * acc - 2 * nm->qb[j] * acc * dj + nm->qc[j] * dj * dj;
        }
    }
    double c2 = 0;
    for (int c = 0; c < k; c++) c2 += cross[c] * cross[c];
    double V = lin - quad - c2;
    *u_out = U;
    *v_out = (V > 1e-10 * lin) ? V : 0;
}

static int test_ws(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int flip, int n_miss,
                   double mean, cox_result_t *res)
{
    res->n_miss = n_miss;
    res->af = mean / 2;
    double U, V;
    score_uv(nm, ws, &U, &V);
    res->u = flip ? -U : U;
    res->v = V;
    if (!(V > 0)) {
        res->score_status = BCMS_ENUMERIC;
        return 0;
    }
    res->z = res->u / sqrt(V);
    double logp = cox_norm_logp2(res->z);
    if (o->spa && fabs(res->z) >= o->spa_zmin) {
        double lp;
        if (cox_spa_logp(nm, ws, ws->x, U, V, &lp) == 0) {
            logp = lp;
            res->spa_used = 1;
        }
    }
    if (logp > 0) logp = 0;
    res->p = exp(logp);
    res->log10p = logp / M_LN10;
    if (o->fit_pmax > 1 || (o->fit_pmax > 0 && logp < log(o->fit_pmax))) {
        cox_fit_ws(nm, ws, o, n_miss, res);
        if (flip && res->fit_status == 0) {
            res->beta = -res->beta;
            res->hr = exp(res->beta);
            res->wald_z = -res->wald_z;
        }
    }
    return 0;
}

int cox_test_gt(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const uint8_t *gt,
                cox_result_t *res)
{
    int rc = check_args(nm, ws, o, gt, res), n_miss;
    if (rc) return rc;
    result_reset(res);
    double mean;
    int flip = gather_uint8_t(nm, ws, gt, &n_miss, &mean);
    return test_ws(nm, ws, o, flip, n_miss, mean, res);
}

int cox_test_dosage(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const float *ds,
                    cox_result_t *res)
{
    int rc = check_args(nm, ws, o, ds, res), n_miss;
    if (rc) return rc;
    result_reset(res);
    double mean;
    int flip = gather_float(nm, ws, ds, &n_miss, &mean);
    return test_ws(nm, ws, o, flip, n_miss, mean, res);
}

int cox_test_x(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const double *x,
               cox_result_t *res)
{
    int rc = check_args(nm, ws, o, x, res), n_miss;
    if (rc) return rc;
    result_reset(res);
    double mean;
    int flip = gather_double(nm, ws, x, &n_miss, &mean);
    return test_ws(nm, ws, o, flip, n_miss, mean, res);
}

int cox_fit_x(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const double *x,
              cox_result_t *res)
{
    int rc = check_args(nm, ws, o, x, res), n_miss;
    if (rc) return rc;
    double mean;
    int flip = gather_double(nm, ws, x, &n_miss, &mean);
    cox_fit_ws(nm, ws, o, n_miss, res);
    if (flip && res->fit_status == 0) {
        res->beta = -res->beta;
        res->hr = exp(res->beta);
        res->wald_z = -res->wald_z;
    }
    return 0;
}

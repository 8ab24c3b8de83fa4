/* cox_fit.c: Efron partial likelihood over the risk-set structure, Newton-Raphson as coxph, and the
 * per-variant full fit. bcms, GPL-3.0-or-later. */
#include <math.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cox_internal.h"
#include "dist.h"
#include "err.h"

#define PK(a, b) ((a) * ((a) + 1) / 2 + (b)) /* packed lower triangle, b <= a */

static inline void add_row(double *r, int p, const double *x, double w, double sign)
{
    double sw = sign * w;
    r[0] += sw;
    double *r1 = r + 1, *r2 = r + 1 + p;
    for (int a = 0; a < p; a++) {
        double wa = sw * x[a];
        r1[a] += wa;
        double *ra = r2 + PK(a, 0);
        for (int b = 0; b <= a; b++) ra[b] += wa * x[b];
    }
}

void cox_eval(const cox_null_t *nm, int p, const double *X, const uint8_t *mask, const double *beta,
              double *ll, double *U, double *I, double *rbuf, double *dbuf)
{
    const int m = cox_eval_width(p), md = m + 1, J = nm->J;
    memset(rbuf, 0, sizeof(double) * (size_t)J * m);
    memset(dbuf, 0, sizeof(double) * (size_t)J * md);
    memset(U, 0, sizeof(double) * p);
    memset(I, 0, sizeof(double) * p * p);
    double lls = 0;
    for (int i = 0; i < nm->n; i++) {
        if (mask && !mask[i]) continue;
        int lo = nm->lo[i], hi = nm->hi[i];
        if (hi <= lo) continue;
        const double *xi = X + (size_t)i * p;
        double eta = nm->off[i];
        for (int a = 0; a < p; a++) eta += xi[a] * beta[a];
        double w = exp(eta);
        add_row(rbuf + (size_t)(hi - 1) * m, p, xi, w, 1.0);
        if (lo - 1 >= nm->sofs[nm->strat[i]]) add_row(rbuf + (size_t)(lo - 1) * m, p, xi, w, -1.0);
        if (nm->event[i]) {
            double *d = dbuf + (size_t)nm->ev[i] * md;
            add_row(d, p, xi, w, 1.0);
            d[m] += 1;
            lls += eta;
            for (int a = 0; a < p; a++) U[a] += xi[a];
        }
    }
    /* risk sums: accumulate from the last event time down, within each stratum */
    for (int s = 0; s < nm->ns; s++)
        for (int j = nm->sofs[s + 1] - 2; j >= nm->sofs[s]; j--) {
            double *r = rbuf + (size_t)j * m;
            const double *rn = r + m;
            for (int c = 0; c < m; c++) r[c] += rn[c];
        }
    for (int j = 0; j < J; j++) {
        const double *D = dbuf + (size_t)j * md;
        int d = (int)D[m];
        if (d == 0) continue;
        const double *R = rbuf + (size_t)j * m;
        for (int r = 0; r < d; r++) {
            double f = (double)r / d;
            double s0 = R[0] - f * D[0];
            lls -= log(s0);
            for (int a = 0; a < p; a++) {
                double s1a = (R[1 + a] - f * D[1 + a]) / s0;
                U[a] -= s1a;
                for (int b = 0; b <= a; b++) {
                    double s1b = (R[1 + b] - f * D[1 + b]) / s0;
                    int q = 1 + p + PK(a, b);
                    I[a * p + b] += (R[q] - f * D[q]) / s0 - s1a * s1b;
                }
            }
        }
    }
    for (int a = 0; a < p; a++)
        for (int b = 0; b < a; b++) I[b * p + a] = I[a * p + b];
    *ll = lls;
}

int cox_chol(double *a, int p)
{
    double dmax = 0;
    for (int i = 0; i < p; i++)
        if (a[i * p + i] > dmax) dmax = a[i * p + i];
    double tol = 1e-12 * (dmax > 0 ? dmax : 1);
    for (int j = 0; j < p; j++) {
        double s = a[j * p + j];
        for (int c = 0; c < j; c++) s -= a[j * p + c] * a[j * p + c];
        if (!(s > tol)) return -1;
        double l = sqrt(s);
        a[j * p + j] = l;
        for (int i = j + 1; i < p; i++) {
            double t = a[i * p + j];
            for (int c = 0; c < j; c++) t -= a[i * p + c] * a[j * p + c];
            a[i * p + j] = t / l;
        }
    }
    return 0;
}

void cox_chol_solve(const double *l, int p, double *b)
{
    for (int i = 0; i < p; i++) {
        double s = b[i];
        for (int c = 0; c < i; c++) s -= l[i * p + c] * b[c];
        b[i] = s / l[i * p + i];
    }
    for (int i = p - 1; i >= 0; i--) {
        double s = b[i];
        for (int c = i + 1; c < p; c++) s -= l[c * p + i] * b[c];
        b[i] = s / l[i * p + i];
    }
}

/* tmp: p*p + p */
int cox_chol_inv(const double *a, int p, double *inv, double *tmp)
{
    double *l = tmp, *e = tmp + p * p;
    memcpy(l, a, sizeof(double) * p * p);
    if (cox_chol(l, p)) return -1;
    for (int c = 0; c < p; c++) {
        memset(e, 0, sizeof(double) * p);
        e[c] = 1;
        cox_chol_solve(l, p, e);
        for (int r = 0; r < p; r++) inv[r * p + c] = e[r];
    }
    return 0;
}

int cox_newton(const cox_null_t *nm, int p, const double *X, const uint8_t *mask, double *beta,
               const cox_opts_t *o, double *var, double *u, double *rbuf, double *dbuf, double *scr,
               cox_nr_t *info)
{
    double *nb = scr, *a = scr + p, *imat = scr + 2 * p, *l = scr + 2 * p + p * p;
    double *tmp = l; /* cox_chol_inv needs p*p + p: l and the next p (a is free by then) */
    double loglik, newlk;
    info->iter = 0;
    info->flags = 0;
    cox_eval(nm, p, X, mask, beta, &loglik, u, imat, rbuf, dbuf);
    info->loglik = loglik;
    if (!isfinite(loglik)) {
        info->flags |= COX_FIT_NONFINITE;
        return BCMS_ENUMERIC;
    }
    if (p == 0) return 0;
    memcpy(l, imat, sizeof(double) * p * p);
    if (cox_chol(l, p)) {
        info->flags |= COX_FIT_SINGULAR;
        return BCMS_ENUMERIC;
    }
    memcpy(a, u, sizeof(double) * p);
    cox_chol_solve(l, p, a);
    for (int c = 0; c < p; c++) nb[c] = beta[c] + a[c];
    int halving = 0, conv = 0, iter;
    newlk = loglik;
    for (iter = 1; iter <= o->iter_max; iter++) {
        cox_eval(nm, p, X, mask, nb, &newlk, u, imat, rbuf, dbuf);
        if (isfinite(newlk) && !halving && fabs(1 - loglik / newlk) <= o->eps) {
            conv = 1;
            break;
        }
        if (iter == o->iter_max) break;
        if (!isfinite(newlk) || newlk < loglik) { /* not converging: halve the step */
            halving = 1;
            for (int c = 0; c < p; c++) nb[c] = 0.5 * (nb[c] + beta[c]);
        } else {
            halving = 0;
            loglik = newlk;
            memcpy(l, imat, sizeof(double) * p * p);
            if (cox_chol(l, p)) {
                info->flags |= COX_FIT_SINGULAR;
                break;
            }
            memcpy(a, u, sizeof(double) * p);
            cox_chol_solve(l, p, a);
            for (int c = 0; c < p; c++) {
                beta[c] = nb[c];
                nb[c] += a[c];
            }
        }
    }
    info->iter = iter > o->iter_max ? o->iter_max : iter;
    memcpy(beta, nb, sizeof(double) * p);
    info->loglik = newlk;
    if (!conv) info->flags |= COX_FIT_NOCONV;
    if (!isfinite(newlk)) info->flags |= COX_FIT_NONFINITE;
    if (cox_chol_inv(imat, p, var, tmp)) {
        info->flags |= COX_FIT_SINGULAR;
        return BCMS_ENUMERIC;
    }
    /* coxph: "Loglik converged before variable ...; coefficient may be infinite" */
    for (int c = 0; c < p; c++) {
        double infs = 0;
        for (int b = 0; b < p; b++) infs += var[c * p + b] * u[b];
        infs = fabs(infs);
        if (!isfinite(beta[c]) || (infs > o->eps && infs > o->toler_inf * fabs(beta[c])))
            info->flags |= COX_FIT_INFINITE;
    }
    return info->flags ? BCMS_ENUMERIC : 0;
}

static void fit_nan(cox_result_t *r)
{
    r->beta = r->se = r->hr = r->wald_z = r->wald_p = r->wald_log10p = NAN;
    r->lrt = r->lrt_p = r->lrt_log10p = NAN;
}

/* Full fit of ws->x over the samples with ws->mask set (missing genotypes dropped). */
int cox_fit_ws(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int n_miss, cox_result_t *r)
{
    const int n = nm->n, k = nm->k, p = k + 1;
    const uint8_t *mask = n_miss ? ws->mask : NULL;
    r->fitted = 1;
    r->fit_status = 0;
    r->fit_flags = 0;
    r->fit_iter = 0;
    fit_nan(r);
    int nf = 0, ef = 0;
    double mean = 0;
    for (int i = 0; i < n; i++)
        if (!mask || mask[i]) {
            nf++;
            ef += nm->event[i];
            mean += ws->x[i];
        }
    r->n_fit = nf;
    r->events_fit = ef;
    if (nf == 0 || ef == 0) {
        r->fit_status = BCMS_ENUMERIC;
        r->fit_flags = COX_FIT_SINGULAR;
        return 0;
    }
    mean /= nf;
    for (int i = 0; i < n; i++) {
        double *row = ws->xm + (size_t)i * p;
        row[0] = (!mask || mask[i]) ? ws->x[i] - mean : 0;
        if (k) memcpy(row + 1, nm->cc + (size_t)i * k, sizeof(double) * k);
    }
    cox_nr_t info;
    double ll0 = nm->loglik;
    if (mask) { /* null model on the same samples, for the LRT */
        memcpy(ws->b0, nm->beta, sizeof(double) * k);
        int rc = cox_newton(nm, k, nm->cc, mask, ws->b0, o, ws->var1, ws->u1, ws->rbuf, ws->dbuf,
                            ws->scr, &info);
        if (rc) {
            r->fit_status = BCMS_ENUMERIC;
            r->fit_flags = info.flags;
            return 0;
        }
        ll0 = info.loglik;
    }
    ws->b1[0] = 0;
    memcpy(ws->b1 + 1, nm->beta, sizeof(double) * k);
    int rc = cox_newton(nm, p, ws->xm, mask, ws->b1, o, ws->var1, ws->u1, ws->rbuf, ws->dbuf,
                        ws->scr, &info);
    r->fit_iter = info.iter;
    r->fit_flags = info.flags;
    double se = sqrt(ws->var1[0]);
    if (rc || !isfinite(ws->b1[0]) || !(se > 0) || !isfinite(se)) {
        r->fit_status = BCMS_ENUMERIC;
        if (!r->fit_flags) r->fit_flags = COX_FIT_NONFINITE;
        return 0;
    }
    r->beta = ws->b1[0];
    r->se = se;
    r->hr = exp(r->beta);
    r->wald_z = r->beta / se;
    r->wald_log10p = cox_norm_logp2(r->wald_z) / M_LN10;
    r->wald_p = pow(10, r->wald_log10p);
    double lrt = 2 * (info.loglik - ll0);
    if (lrt < 0) lrt = 0;
    r->lrt = lrt;
    r->lrt_p = gsl_cdf_chisq_Q(lrt, 1);
    /* chi2(1) tail = two-sided normal tail of sqrt(lrt): stays on the log scale when tiny */
    r->lrt_log10p = cox_norm_logp2(sqrt(lrt)) / M_LN10;
    if (r->lrt_p == 0) r->lrt_p = pow(10, r->lrt_log10p);
    return 0;
}

/* BETA and SE as a scan reports them. P is the score p (SPA in the tails): under the null it is
 * calibrated where the LRT and the Wald p of a refit are not (few events, heavy ties, rare
 * variants). BETA is the MLE where the fit succeeded; elsewhere the one-step (score) estimate U/V,
 * the first Newton step from 0, whose error is second order in beta: it stands for the MLE only
 * near the null, so beyond onestep_max the variant is refitted instead when p < onestep_fit_pmax
 * (cox_test_*), and BETA is NA when it was not refitted (p above it, or fit_pmax = 0). SE = |BETA| / z(P) makes BETA/SE reproduce P
 * downstream (REGENIE's convention for SPA and Firth rows); for an unrefitted normal-score row it
 * is exactly 1/sqrt(V). A failed fit (infinite or singular) has no BETA, but its score P stands. */
#define COX_SE_FROM_P_ZMIN 1.0

void cox_report(const cox_opts_t *o, cox_result_t *r)
{
    r->est_kind = COX_EST_NONE;
    r->est = r->est_se = r->est_stat = NAN;
    if (r->score_status || !(r->v > 0)) return;
    double onestep = r->u / r->v;
    if (r->fitted) {
        if (r->fit_status) return;
        r->est_kind = COX_EST_FIT;
        r->est = r->beta;
    } else if (fabs(onestep) <= o->onestep_max) {
        r->est_kind = COX_EST_ONESTEP;
        r->est = onestep;
    } else {
        return;
    }
    /* (BETA/SE)^2 is the chi-square quantile of P wherever |z(P)| >= 1 (P < 0.317). Nearer the null,
     * BETA and z(P) both tend to 0 and their ratio is unstable (a fitted BETA of 6e-6 beside a score z
     * of 0.012 gave an SE 400 times below the Wald SE, and an inverse-variance meta-analysis a weight
     * 160,000 times too large): there SE is the fit's Wald SE, or the one-step's 1/sqrt(V). */
    double zp = r->spa_used || r->fitted ? dist_z_from_logp2(r->log10p * M_LN10) : fabs(r->z);
    if (!r->spa_used && !r->fitted) r->est_se = 1 / sqrt(r->v);
    else if (zp >= COX_SE_FROM_P_ZMIN) r->est_se = fabs(r->est) / zp;
    else r->est_se = r->fitted ? r->se : 1 / sqrt(r->v);
    r->est_stat = r->est_se > 0 ? r->est / r->est_se : NAN;
    if (r->est == 0) r->est_stat = 0;
}

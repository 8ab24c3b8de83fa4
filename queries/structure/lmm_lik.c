/* lmm_lik.c: the likelihood of lambda in the rotated LMM and GEMMA's search for its maximum
 * (contract in lmm_internal.h). GPL-3.0-or-later.
 *
 * Variables 0..c-1 are the covariates, c the variant, c + 1 the phenotype, rotated by U'. P[0][ab] =
 * sum_i h_i a_i b_i with h_i = 1 / (lambda d_i + 1); level p projects variable p - 1 out:
 * P[p][ab] = P[p-1][ab] - P[p-1][aw] P[p-1][bw] / P[p-1][ww]. PP and PPP are the same sums with h^2
 * and h^3 (for the derivatives), with the recursions that follow from differentiating P. The search
 * is GEMMA's (CalcLambda): sign changes of the first derivative over 10 log-spaced intervals of
 * [1e-5, 1e5], GSL's Brent to a 10% bracket, GSL's Newton to a 1e-5 relative step, keeping the
 * iterate before the last step (as GEMMA does), then the best of those and of the two ends. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "lmm_internal.h"

#define L_MIN 1e-5
#define L_MAX 1e5
#define N_REGION 10

/* Level-0 sums of every pair: h, h^2 (order >= 2), h^3 (order 3). */
static void level0(const lmm_fn_t *f, double l, int order, double *s1, double *s2, double *s3, double *tr1,
                   double *tr2)
{
    const uint32_t n = f->n;
    const double *e = f->eval;
    double t1 = 0, t2 = 0, *h = f->hbuf, *hh = h + n, *hhh = hh + n;
    /* structure of arrays and omp simd reductions: vector code without -ffast-math, in a summation
     * order fixed by the build, whatever the thread count */
#pragma omp simd reduction(+ : t1)
    for (uint32_t i = 0; i < n; i++) h[i] = 1.0 / (l * e[i] + 1.0), t1 += h[i];
    if (order >= 2) {
#pragma omp simd reduction(+ : t2)
        for (uint32_t i = 0; i < n; i++) hh[i] = h[i] * h[i], t2 += hh[i];
    }
    if (order >= 3) {
#pragma omp simd
        for (uint32_t i = 0; i < n; i++) hhh[i] = hh[i] * h[i];
    }
    for (int k = 0; k < f->NI; k++) {
        const double *u = f->uab + (size_t)k * n;
        double a = 0, b = 0, c = 0;
        if (order == 1) {
#pragma omp simd reduction(+ : a)
            for (uint32_t i = 0; i < n; i++) a += h[i] * u[i];
        } else if (order == 2) {
#pragma omp simd reduction(+ : a, b)
            for (uint32_t i = 0; i < n; i++) a += h[i] * u[i], b += hh[i] * u[i];
        } else {
#pragma omp simd reduction(+ : a, b, c)
            for (uint32_t i = 0; i < n; i++) a += h[i] * u[i], b += hh[i] * u[i], c += hhh[i] * u[i];
        }
        s1[k] = a;
        if (order >= 2) s2[k] = b;
        if (order >= 3) s3[k] = c;
    }
    *tr1 = t1, *tr2 = t2;
}

/* Level-0 sums at grid point gi from f->pre: only the variant's pairs are summed here. */
static void level0_grid(const lmm_fn_t *f, int gi, double *s1, double *s2, double *tr1, double *tr2)
{
    const lmm_pre_t *pre = f->pre;
    const uint32_t n = f->n;
    const double *h = pre->h + (size_t)gi * n, *hh = pre->hh + (size_t)gi * n;
    for (int k = 0; k < f->NI; k++) {
        if (!f->isx[k]) {
            s1[k] = pre->s1[gi][k], s2[k] = pre->s2[gi][k];
            continue;
        }
        const double *u = f->uab + (size_t)k * n;
        double a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
        for (uint32_t i = 0; i < n; i++) a += h[i] * u[i], b += hh[i] * u[i];
        s1[k] = a, s2[k] = b;
    }
    *tr1 = pre->t1[gi], *tr2 = pre->t2[gi];
}

/* The recursions from level 0 (in P, PP, PPP up to order) to levels 1..V-1. */
static void levels(const lmm_fn_t *f, int order, double *P, double *PP, double *PPP)
{
    const int V = f->V, NI = f->NI;
    for (int p = 1; p < V; p++) {
        const int w = p - 1, ww = lmm_idx(V, w, w);
        const double *Q = P + (size_t)(p - 1) * NI, pw = Q[ww];
        double *R = P + (size_t)p * NI;
        for (int a = p; a < V; a++)
            for (int b = a; b < V; b++) {
                const int ab = lmm_idx(V, a, b), aw = lmm_idx(V, a, w), bw = lmm_idx(V, b, w);
                R[ab] = pw != 0 ? Q[ab] - Q[aw] * Q[bw] / pw : Q[ab];
                if (order < 2) continue;
                const double *QQ = PP + (size_t)(p - 1) * NI;
                double *RR = PP + (size_t)p * NI;
                RR[ab] = QQ[ab];
                if (pw != 0) {
                    RR[ab] += Q[aw] * Q[bw] * QQ[ww] / (pw * pw);
                    RR[ab] -= (Q[aw] * QQ[bw] + Q[bw] * QQ[aw]) / pw;
                }
                if (order < 3) continue;
                const double *QQQ = PPP + (size_t)(p - 1) * NI;
                double *RRR = PPP + (size_t)p * NI;
                RRR[ab] = QQQ[ab];
                if (pw != 0) {
                    RRR[ab] -= Q[aw] * Q[bw] * QQ[ww] * QQ[ww] / (pw * pw * pw);
                    RRR[ab] -= (Q[aw] * QQQ[bw] + Q[bw] * QQQ[aw] + QQ[aw] * QQ[bw]) / pw;
                    RRR[ab] += (Q[aw] * QQ[bw] * QQ[ww] + Q[bw] * QQ[aw] * QQ[ww] + Q[aw] * Q[bw] * QQQ[ww]) / (pw * pw);
                }
            }
    }
}

/* Level-0 sums (with h, h^2, h^3 up to order) and the recursions; gi >= 0: grid point gi from f->pre
 * (order <= 2). */
static void lik_sums(const lmm_fn_t *f, double l, int order, int gi, double *P, double *PP, double *PPP,
                     double *tr1, double *tr2)
{
    if (gi >= 0 && f->pre) level0_grid(f, gi, P, PP, tr1, tr2);
    else level0(f, l, order, P, PP, PPP, tr1, tr2);
    levels(f, order, P, PP, PPP);
}

static double logdet_h(const lmm_fn_t *f, double l)
{
    double s = 0;
    for (uint32_t i = 0; i < f->n; i++) s += log(fabs(l * f->eval[i] + 1.0));
    return s;
}

/* The (restricted) log-likelihood from the sums P at lambda, logdet = log det(lambda D + I). */
static double lik_from(const lmm_fn_t *f, const double *P, double logdet, int reml)
{
    const int nc = f->null ? f->c : f->c + 1, yy = lmm_idx(f->V, f->c + 1, f->c + 1);
    const double n = (double)f->n;
    double Pyy = P[(size_t)nc * f->NI + yy];
    if (Pyy == 0.0) Pyy = 1e-8; /* GEMMA's guard */
    if (!reml) return 0.5 * n * (log(n) - log(2 * M_PI) - 1.0) - 0.5 * logdet - 0.5 * n * log(Pyy);
    double df = n - nc, hiw = 0;
    for (int i = 0; i < nc; i++) {
        const int ww = lmm_idx(f->V, i, i);
        hiw += log(P[(size_t)i * f->NI + ww]) - log(f->I[(size_t)i * f->NI + ww]);
    }
    return 0.5 * df * (log(df) - log(2 * M_PI) - 1.0) - 0.5 * logdet - 0.5 * hiw - 0.5 * df * log(Pyy);
}

double lmm_lik_f(const lmm_fn_t *f, double l, int reml)
{
    double P[LMM_MAXV * LMM_MAXNI], t1, t2;
    lik_sums(f, l, 1, -1, P, NULL, NULL, &t1, &t2);
    return lik_from(f, P, logdet_h(f, l), reml);
}

/* First and (with d2) second derivative in lambda from the sums. */
static double dev_from(const lmm_fn_t *f, double l, int reml, const double *P, const double *PP, const double *PPP,
                       double t1, double t2, double *d2)
{
    const int nc = f->null ? f->c : f->c + 1, yy = lmm_idx(f->V, f->c + 1, f->c + 1), NI = f->NI;
    const double n = (double)f->n, df = reml ? n - nc : n;
    double trP = t1, trPP = t2;
    if (reml)
        for (int i = 0; i < nc; i++) {
            const int ww = lmm_idx(f->V, i, i);
            const double pw = P[(size_t)i * NI + ww], p2 = PP[(size_t)i * NI + ww];
            trP -= p2 / pw;
            if (d2) trPP += p2 * p2 / (pw * pw) - 2.0 * PPP[(size_t)i * NI + ww] / pw;
        }
    const double Pyy = P[(size_t)nc * NI + yy], PPyy = PP[(size_t)nc * NI + yy];
    const double yPKPy = (Pyy - PPyy) / l, trPK = (df - trP) / l;
    if (d2) {
        const double PPPyy = PPP[(size_t)nc * NI + yy], yPKPKPy = (Pyy + PPPyy - 2.0 * PPyy) / (l * l);
        const double trPKPK = (df + trPP - 2.0 * trP) / (l * l);
        *d2 = 0.5 * trPKPK - 0.5 * df * (2.0 * yPKPKPy * Pyy - yPKPy * yPKPy) / (Pyy * Pyy);
    }
    return -0.5 * trPK + 0.5 * df * yPKPy / Pyy;
}

static double lik_dev(const lmm_fn_t *f, double l, int reml, double *d2)
{
    double P[LMM_MAXV * LMM_MAXNI], PP[LMM_MAXV * LMM_MAXNI], PPP[LMM_MAXV * LMM_MAXNI], t1, t2;
    lik_sums(f, l, d2 ? 3 : 2, -1, P, PP, PPP, &t1, &t2);
    return dev_from(f, l, reml, P, PP, PPP, t1, t2, d2);
}

double lmm_grid_lambda(int i)
{
    return i >= LMM_NGRID ? L_MAX : L_MIN * exp(log(L_MAX / L_MIN) / (double)N_REGION * i);
}

void lmm_pre_fill(const lmm_fn_t *f, lmm_pre_t *pre)
{
    double P[LMM_MAXNI], PP[LMM_MAXNI];
    for (int gi = 0; gi <= LMM_NGRID; gi++) {
        const double l = lmm_grid_lambda(gi);
        level0(f, l, 2, P, PP, NULL, &pre->t1[gi], &pre->t2[gi]);
        memcpy(pre->s1[gi], P, f->NI * sizeof *P);
        memcpy(pre->s2[gi], PP, f->NI * sizeof *PP);
        memcpy(pre->h + (size_t)gi * f->n, f->hbuf, f->n * sizeof *f->hbuf);
        memcpy(pre->hh + (size_t)gi * f->n, f->hbuf + f->n, f->n * sizeof *f->hbuf);
        pre->logdet[gi] = logdet_h(f, l);
    }
}

void lmm_lik_grid(const lmm_fn_t *f, lmm_grid_t *g)
{
    double P[LMM_MAXV * LMM_MAXNI], PP[LMM_MAXV * LMM_MAXNI], t1, t2;
    for (int gi = 0; gi <= LMM_NGRID; gi++) {
        const double l = lmm_grid_lambda(gi);
        const int last = gi == LMM_NGRID, first = gi == 0;
        lik_sums(f, l, last ? 1 : 2, f->pre ? gi : -1, P, PP, NULL, &t1, &t2);
        /* the grid's last point is 1e5 up to rounding: GEMMA's likelihood is at exactly 1e5 */
        if (!last)
            for (int r = 0; r < 2; r++) g->dv[r][gi] = dev_from(f, l, r, P, PP, NULL, t1, t2, NULL);
        if (first || last) {
            const double ld = f->pre ? f->pre->logdet[gi] : logdet_h(f, l);
            for (int r = 0; r < 2; r++) *(first ? &g->fl[r] : &g->fh[r]) = lik_from(f, P, ld, r);
        }
    }
}

typedef struct {
    const lmm_fn_t *f;
    int reml;
} gsl_ud_t;

static double gd1(double l, void *p)
{
    const gsl_ud_t *u = p;
    return lik_dev(u->f, l, u->reml, NULL);
}
static double gd2(double l, void *p)
{
    const gsl_ud_t *u = p;
    double d2;
    lik_dev(u->f, l, u->reml, &d2);
    return d2;
}
static void gd12(double l, void *p, double *d1, double *d2)
{
    const gsl_ud_t *u = p;
    *d1 = lik_dev(u->f, l, u->reml, d2);
}

/* Brent then Newton on one interval: 0 and the root (GEMMA's pre-last Newton iterate) in *root, or
 * 1 when Brent did not bracket in 100 steps, -1 when an iteration failed. */
static int polish(lmm_solvers_t *sv, gsl_ud_t *u, double lo, double hi, double *root)
{
    gsl_function F = {gd1, u};
    gsl_function_fdf FDF = {gd1, gd2, gd12, u};
    double l = 0, lt = 0;
    int status, iter = 0;
    if (gsl_root_fsolver_set(sv->brent, &F, lo, hi)) return -1;
    do {
        iter++;
        status = gsl_root_fsolver_iterate(sv->brent);
        if (status != GSL_SUCCESS && status != GSL_CONTINUE) break;
        l = gsl_root_fsolver_root(sv->brent);
        lo = gsl_root_fsolver_x_lower(sv->brent), hi = gsl_root_fsolver_x_upper(sv->brent);
        status = gsl_root_test_interval(lo, hi, 0, 1e-1);
        if (status != GSL_SUCCESS && status != GSL_CONTINUE) break;
    } while (status == GSL_CONTINUE && iter < 100);
    if (status == GSL_CONTINUE) return 1;
    iter = 0;
    gsl_root_fdfsolver_set(sv->newton, &FDF, l);
    do {
        iter++;
        status = gsl_root_fdfsolver_iterate(sv->newton);
        if (status != GSL_SUCCESS && status != GSL_CONTINUE) break;
        lt = l;
        l = gsl_root_fdfsolver_root(sv->newton);
        status = gsl_root_test_delta(l, lt, 0, 1e-5);
        if (status != GSL_SUCCESS && status != GSL_CONTINUE) break;
    } while (status == GSL_CONTINUE && iter < 100 && l > L_MIN && l < L_MAX);
    if (status != GSL_SUCCESS) return -1;
    *root = lt;
    return 0;
}

int lmm_lik_max(const lmm_fn_t *f, const lmm_grid_t *g, lmm_solvers_t *sv, int reml, double *lambda, double *logf)
{
    gsl_ud_t u = {f, reml};
    double lo[N_REGION], hi[N_REGION];
    const double *dv = g->dv[reml];
    int nint = 0;
    *lambda = *logf = NAN;
    /* GEMMA evaluates both ends of every interval; the values are the same, so once is enough */
    for (int i = 0; i < N_REGION; i++)
        if (dv[i] * dv[i + 1] <= 0) lo[nint] = lmm_grid_lambda(i), hi[nint++] = lmm_grid_lambda(i + 1);
    double fl = g->fl[reml], fh = g->fh[reml];
    if (!nint) {
        if (fl >= fh) *lambda = L_MIN, *logf = fl;
        else *lambda = L_MAX, *logf = fh;
        return 0;
    }
    for (int i = 0; i < nint; i++) {
        double l;
        int r = polish(sv, &u, lo[i], hi[i], &l);
        if (r > 0) break;   /* GEMMA stops looking at further intervals */
        if (r < 0) {
            *lambda = *logf = NAN;
            return 1;
        }
        if (l < L_MIN) l = L_MIN;
        if (l > L_MAX) l = L_MAX;
        double v = lmm_lik_f(f, l, reml);
        if (i == 0 || *logf < v) *logf = v, *lambda = l;
    }
    if (fl > *logf) *lambda = L_MIN, *logf = fl;
    if (fh > *logf) *lambda = L_MAX, *logf = fh;
    return 0;
}

/* P at lambda (level sums only). */
void lmm_lik_P(const lmm_fn_t *f, double l, double *P)
{
    double t1, t2;
    lik_sums(f, l, 1, -1, P, NULL, NULL, &t1, &t2);
}

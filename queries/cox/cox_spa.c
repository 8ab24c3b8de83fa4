/* cox_spa.c: saddlepoint approximation of the score test in the tails (SPACox, Bi et al. 2020,
 * AJHG 107:222). bcms, GPL-3.0-or-later.
 *
 * Null model: K0 = empirical cumulant generating function of the martingale residuals M, tabulated
 * with K0', K0'' on SPACox's grid (10,000 Cauchy-quantile points on [-100, 100], dense near 0) and
 * linearly interpolated; the inverse of the Cauchy spacing (an atan good to 1e-5 rad) gives the cell
 * in O(1), and a cell with its differences to the next point fills one cache line.
 * Variant: xt = x - Z (Z'Z)^-1 Z'x, Z = [strata indicators, covariates] (SPACox adjusts by OLS on
 * [1, C]; strata generalise the intercept). S = sum_i xt_i M_i has CGF K(t) = sum_i K0(t xt_i); the
 * non-carriers (x_i = 0) enter through the normal approximation K0(s) ~ m2 s^2 / 2 (SPACox's "partial
 * normal approximation"), so a variant costs O(carriers) per Newton step.
 * Scale: as in SPACox the SPA keeps its own variance K''(0) = m2 sum xt^2 (the variance of S when
 * the residuals are exchangeable: the permutation view that fits a null scan) and is applied to the
 * observed U as is. Rescaling U to the exact efficient variance V was tried and rejected: for rare
 * variants V depends on which samples carry the allele (their expected counts E_i) and is correlated
 * with U, so U/sqrt(V) stays anti-conservative in the upper tail (null simulation, 5,000 samples,
 * 83% censoring, MAF 0.1-1%: 35 upper-tail p < 1e-3 among 20,000 where 10 are expected; unscaled SPA:
 * 10). The exact V decides the switch (|U|/sqrt(V) >= spa_zmin) and gives p below it.
 * Saddle point: Newton on the interpolated K' (its exact derivative, so the iteration converges
 * quadratically on a piecewise linear function), started from the root of the cubic Taylor
 * expansion of K', and with >= 1,024 carriers from the root of a 256-bin version of K; Newton steps
 * from a small residual update the sums along their slopes and re-interpolate only the carriers
 * whose s = t xt changes cell (cgf_step). So a tail costs about one full pass over the carriers
 * (was three, each with a walk over up to ~6 cells to find s); p agrees with the plain iteration to
 * the tolerance of the saddle point (1e-10 relative in K'; 1.1e-10 in p on the unit tests).
 * Tail: Lugannani-Rice, P(S >= q) ~ Q(w) + phi(w) (1/v - 1/w), computed as
 * log phi(w) + log(Mills(w) + 1/v - 1/w); both tails are added on the log scale. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_erf.h>

#include "cox_internal.h"
#include "err.h"

#define SPA_NG 10000
#define SPA_TMAX 100.0
#define SPA_R 20 /* terms of the moment series near t = 0 */

int cox_spa_init(cox_null_t *nm)
{
    const int n = nm->n, ng = SPA_NG, k = nm->k;
    nm->ng = ng;
    nm->cell = aligned_alloc(64, sizeof(cox_spa_cell_t) * ng); /* 64-byte cells, one cache line */
    if (!nm->cell) return bcms_err(BCMS_ENOMEM, "cox SPA: out of memory");
    nm->gc = SPA_TMAX / tan(M_PI * ((double)ng / (ng + 1) - 0.5));
    nm->igc = 1 / nm->gc;
    double mmax = -INFINITY, mmin = INFINITY, m1 = 0, m2 = 0;
    for (int i = 0; i < n; i++) {
        double m = nm->m[i];
        if (m > mmax) mmax = m;
        if (m < mmin) mmin = m;
        m1 += m;
        m2 += m * m;
    }
    nm->m2 = m2 / n;
    m1 /= n;
    double c3 = 0;
    for (int i = 0; i < n; i++) {
        double d = nm->m[i] - m1;
        c3 += d * d * d;
    }
    nm->c3 = c3 / n;
    const double *M = nm->m;
    cox_spa_cell_t *cl = nm->cell;
    /* Near 0, where most of the grid is (half of it within |t| < 0.03), the three sums come from
     * the raw moments of M: with |t M_i| <= 1/2 for every sample the power series of exp converges
     * absolutely and the terms beyond SPA_R are below 1e-26 of the first, so this is the direct sum
     * reordered, for O(SPA_R) instead of n exponentials per grid point. */
    double amax = fabs(mmax) > fabs(mmin) ? fabs(mmax) : fabs(mmin);
    double tser = amax > 0 ? 0.5 / amax : INFINITY, cf[SPA_R + 3] = {0};
    for (int i = 0; i < n; i++) {
        double p = 1;
        for (int r = 0; r < SPA_R + 3; r++, p *= M[i]) cf[r] += p;
    }
    for (int r = 0; r < SPA_R + 3; r++) cf[r] /= n; /* cf[r] = mean(M^r) */
#pragma omp parallel for schedule(static)
    for (int g = 0; g < ng; g++) {
        double t = nm->gc * tan(M_PI * ((double)(g + 1) / (ng + 1) - 0.5));
        cl[g].t = t;
        if (fabs(t) <= tser) {
            /* S_a(t) = mean(M^a exp(t M)) = sum_r mean(M^(r+a)) t^r / r!, by Horner */
            double s0 = 0, s1 = 0, s2 = 0;
            for (int r = SPA_R; r >= 0; r--) {
                double f = t / (r + 1);
                s0 = s0 * f + cf[r];
                s1 = s1 * f + cf[r + 1];
                s2 = s2 * f + cf[r + 2];
            }
            double mu = s1 / s0;
            cl[g].k0 = log(s0);
            cl[g].k1 = mu;
            cl[g].k2 = s2 / s0 - mu * mu;
            continue;
        }
        double off = t > 0 ? t * mmax : t * mmin; /* max of t M: keeps exp() <= 1 */
        double s0 = 0, s1 = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double e = exp(t * M[i] - off);
            s0 += e;
            s1 += e * M[i];
            s2 += e * M[i] * M[i];
        }
        double mu = s1 / s0;
        cl[g].k0 = log(s0 / n) + off;
        cl[g].k1 = mu;
        cl[g].k2 = s2 / s0 - mu * mu;
    }
    for (int g = 0; g < ng; g++) {
        int last = g == ng - 1;
        cl[g].ih = last ? 0 : 1 / (cl[g + 1].t - cl[g].t);
        cl[g].d0 = last ? 0 : cl[g + 1].k0 - cl[g].k0;
        cl[g].d1 = last ? 0 : cl[g + 1].k1 - cl[g].k1;
        cl[g].d2 = last ? 0 : cl[g + 1].k2 - cl[g].k2;
    }
    /* (Z'Z)^-1, Z = [strata indicators, centered covariates] */
    const int nz = nm->ns + k;
    nm->nz = nz;
    double *zz = calloc((size_t)nz * nz, sizeof(double));
    double *tmp = calloc((size_t)nz * nz + nz, sizeof(double));
    nm->zzinv = calloc((size_t)nz * nz, sizeof(double));
    if (!zz || !tmp || !nm->zzinv) {
        free(zz); free(tmp);
        return bcms_err(BCMS_ENOMEM, "cox SPA: out of memory");
    }
    for (int i = 0; i < n; i++) {
        int s = nm->strat[i];
        const double *c = nm->cc + (size_t)i * k;
        zz[s * nz + s] += 1;
        for (int a = 0; a < k; a++) {
            zz[(nm->ns + a) * nz + s] += c[a];
            zz[s * nz + nm->ns + a] += c[a];
            for (int b = 0; b < k; b++) zz[(nm->ns + a) * nz + nm->ns + b] += c[a] * c[b];
        }
    }
    if (cox_chol_inv(zz, nz, nm->zzinv, tmp)) { /* collinear covariates: SPA off, normal p */
        free(nm->zzinv);
        nm->zzinv = NULL;
    }
    free(zz);
    free(tmp);
    return 0;
}

/* atan to 1e-5 rad (Abramowitz & Stegun 4.4.47): 0.03 grid cells, so the starting cell is nearly
 * always right; the exact comparisons in k0_at correct it when not */
static inline double fast_atan(double x)
{
    double a = fabs(x), r;
    int inv = a > 1;
    if (inv) a = 1 / a;
    double a2 = a * a;
    r = a * (0.9998660 + a2 * (-0.3302995 + a2 * (0.1801410 + a2 * (-0.0851330 + a2 * 0.0208351))));
    if (inv) r = M_PI_2 - r;
    return x < 0 ? -r : r;
}

/* Cells of the table: i in [0, ng-2] is [t_i, t_{i+1}]; -1 is below t_0 and ng-1 above t_{ng-1},
 * where K0 is extrapolated linearly and K0', K0'' are constant. */
typedef struct {
    double k0, k1, k2; /* K0, K0', K0'' interpolated at s */
    double s0, s1, s2; /* their slopes in s in the cell */
} spa_k0_t;

/* the cell of s */
static inline int k0_find(const cox_null_t *nm, double s)
{
    const int ng = nm->ng;
    const cox_spa_cell_t *cl = nm->cell;
    if (s <= cl[0].t) return -1;
    if (s >= cl[ng - 1].t) return ng - 1;
    int i = (int)((ng + 1) * (fast_atan(s * nm->igc) * M_1_PI + 0.5)) - 1;
    if (i < 0) i = 0;
    if (i > ng - 2) i = ng - 2;
    while (i > 0 && s < cl[i].t) i--;
    while (i < ng - 2 && s > cl[i + 1].t) i++;
    return i;
}

/* is s in cell i */
static inline int k0_in(const cox_null_t *nm, int i, double s)
{
    const cox_spa_cell_t *cl = nm->cell;
    if (i < 0) return s <= cl[0].t;
    if (i >= nm->ng - 1) return s >= cl[nm->ng - 1].t;
    return s >= cl[i].t && s <= cl[i + 1].t;
}

/* the interpolants of cell i at s */
static inline void k0_cell(const cox_null_t *nm, int i, double s, spa_k0_t *r)
{
    if (i < 0 || i >= nm->ng - 1) {
        const cox_spa_cell_t *e = nm->cell + (i < 0 ? 0 : nm->ng - 1);
        r->k1 = e->k1;
        r->k2 = e->k2;
        r->k0 = e->k0 + e->k1 * (s - e->t);
        r->s0 = e->k1;
        r->s1 = r->s2 = 0;
        return;
    }
    const cox_spa_cell_t *c = nm->cell + i;
    double f = (s - c->t) * c->ih;
    r->k0 = c->k0 + f * c->d0;
    r->k1 = c->k1 + f * c->d1;
    r->k2 = c->k2 + f * c->d2;
    r->s0 = c->d0 * c->ih;
    r->s1 = c->d1 * c->ih;
    r->s2 = c->d2 * c->ih;
}

typedef struct {
    const cox_null_t *nm;
    const double *xt; /* carriers' adjusted genotypes (or bin means) */
    const double *w;  /* NULL, or the bins' sizes */
    int *cell;        /* NULL, or per carrier the cell of t xt at the last full evaluation */
    int nc;
    double sig;       /* m2 * sum of the non-carriers' xt^2 */
} spa_cgf_t;

/* The CGF of S at t from the interpolated K0, K0', K0'', and the derivatives in t of these three
 * sums, which are piecewise linear in t: constant while no s = t xt_i leaves its cell. */
typedef struct {
    double K, K1, K2; /* K (from K0), K' (from K0'), K'' (from K0'') */
    double G, D, E;   /* dK/dt, dK'/dt, dK''/dt */
} spa_val_t;

#ifdef COX_SPA_STATS
long cox_spa_ncgf, cox_spa_ncar, cox_spa_nvar, cox_spa_nbin, cox_spa_nstep, cox_spa_ncross;
#endif

static void cgf(const spa_cgf_t *c, double t, spa_val_t *v)
{
    const cox_null_t *nm = c->nm;
    const double sg = c->sig;
    double k = 0.5 * sg * t * t, k1 = sg * t, k2 = sg, g = sg * t, d = sg, e = 0;
    spa_k0_t r;
    if (c->w) {
#ifdef COX_SPA_STATS
        cox_spa_nbin++;
#endif
        for (int i = 0; i < c->nc; i++) {
            double x = c->xt[i], w = c->w[i], wx = w * x, wxx = wx * x, s = t * x;
            k0_cell(nm, k0_find(nm, s), s, &r);
            k += w * r.k0;
            k1 += wx * r.k1;
            k2 += wxx * r.k2;
            g += wx * r.s0;
            d += wxx * r.s1;
            e += wxx * x * r.s2;
        }
    } else {
#ifdef COX_SPA_STATS
        cox_spa_ncgf++;
        cox_spa_ncar += c->nc;
#endif
        for (int i = 0; i < c->nc; i++) {
            double x = c->xt[i], xx = x * x, s = t * x;
            int ci = k0_find(nm, s);
            c->cell[i] = ci;
            k0_cell(nm, ci, s, &r);
            k += r.k0;
            k1 += x * r.k1;
            k2 += xx * r.k2;
            g += x * r.s0;
            d += xx * r.s1;
            e += xx * x * r.s2;
        }
    }
    v->K = k;
    v->K1 = k1;
    v->K2 = k2;
    v->G = g;
    v->D = d;
    v->E = e;
}

/* *v from t to t + dt without interpolating every carrier again: the sums move linearly, then
 * only the carriers whose s left its cell are corrected (same values as cgf at t + dt up to
 * rounding; cheap when dt is small and few carriers cross a cell boundary). */
static void cgf_step(const spa_cgf_t *c, double t, double dt, spa_val_t *v)
{
    const cox_null_t *nm = c->nm;
    const double sg = c->sig, tn = t + dt;
    v->K += v->G * dt + 0.5 * sg * dt * dt; /* the normal part is quadratic */
    v->K1 += v->D * dt;
    v->K2 += v->E * dt;
    v->G += sg * dt;
#ifdef COX_SPA_STATS
    cox_spa_nstep++;
#endif
    for (int i = 0; i < c->nc; i++) {
        double x = c->xt[i], s = tn * x;
        int ci = c->cell[i];
        if (k0_in(nm, ci, s)) continue;
#ifdef COX_SPA_STATS
        cox_spa_ncross++;
#endif
        spa_k0_t a, b;
        k0_cell(nm, ci, s, &a);
        ci = k0_find(nm, s);
        c->cell[i] = ci;
        k0_cell(nm, ci, s, &b);
        double xx = x * x;
        v->K += b.k0 - a.k0;
        v->K1 += x * (b.k1 - a.k1);
        v->K2 += xx * (b.k2 - a.k2);
        v->G += x * (b.s0 - a.s0);
        v->D += xx * (b.s1 - a.s1);
        v->E += xx * x * (b.s2 - a.s2);
    }
}

/* Solve K'(t) = q (K' is increasing): safeguarded Newton on the interpolated K' (D is its exact
 * derivative), until |K'(t) - q| <= 1e-10 (1 + |q|). On success *vout holds K and K'' at *tout.
 * A Newton step from a residual below SPA_STEP_TOL (1 + |q|) (the step is then ~1e-3 relative or
 * less) goes through cgf_step. */
#define SPA_TOL 1e-10
#define SPA_STEP_TOL 1e-3
static int saddle(const spa_cgf_t *c, double q, double t0, double *tout, spa_val_t *vout)
{
    double lo = -INFINITY, hi = INFINITY, t = t0, tol = 1 + fabs(q);
    spa_val_t v;
    cgf(c, t, &v);
    for (int it = 0; it < 200; it++) {
        double f = v.K1 - q;
        if (fabs(f) <= SPA_TOL * tol) {
            *tout = t;
            *vout = v;
            return 0;
        }
        if (f < 0) lo = t;
        else hi = t;
        double dd = v.D > 0 ? v.D : v.K2;
        double tn = dd > 0 ? t - f / dd : NAN;
        int newton = tn > lo && tn < hi;
        if (!newton) {
            if (isfinite(lo) && isfinite(hi)) tn = 0.5 * (lo + hi);
            else if (isfinite(lo)) tn = lo + 2 * (1 + fabs(lo));
            else tn = hi - 2 * (1 + fabs(hi));
        }
        if (fabs(tn - t) <= 1e-13 * (1 + fabs(t))) {
            *tout = tn;
            cgf(c, tn, vout);
            return 0;
        }
        if (fabs(tn) > 1e6) return -1; /* q outside the support of the approximated S */
        if (c->cell && newton && fabs(f) <= SPA_STEP_TOL * tol) cgf_step(c, t, tn - t, &v);
        else cgf(c, tn, &v);
        t = tn;
    }
    return -1;
}

/* The carriers in COX_SPA_NBIN equal-width bins of xt, each represented by its mean: an
 * approximate CGF, cheap to solve, whose saddle point starts the exact Newton close to the root.
 * Returns 0 (bins in *cb), or -1 when there are too few carriers to gain from it. */
static int spa_bins(const spa_cgf_t *c, double *bin, spa_cgf_t *cb)
{
    const int nb = COX_SPA_NBIN, nc = c->nc;
    if (nc < 4 * nb) return -1;
    const double *xt = c->xt;
    double lo = xt[0], hi = xt[0];
    for (int j = 1; j < nc; j++) {
        lo = xt[j] < lo ? xt[j] : lo;
        hi = xt[j] > hi ? xt[j] : hi;
    }
    double *bx = bin, *bw = bin + nb, sc = hi > lo ? nb / (hi - lo) : 0;
    memset(bin, 0, sizeof(double) * 2 * nb);
    for (int j = 0; j < nc; j++) {
        int b = (int)((xt[j] - lo) * sc);
        b = b < nb ? b : nb - 1;
        bw[b] += 1;
        bx[b] += xt[j];
    }
    int m = 0;
    for (int b = 0; b < nb; b++) {
        if (bw[b] == 0) continue;
        bx[m] = bx[b] / bw[b];
        bw[m++] = bw[b];
    }
    *cb = *c;
    cb->xt = bx;
    cb->w = bw;
    cb->cell = NULL;
    cb->nc = m;
    return 0;
}

/* log P(S >= q) for q > 0, or log P(S <= q) for q < 0; *t: in the Newton start, out the saddle */
static int tail_logp(const spa_cgf_t *c, double q, double *t, double *lp)
{
    spa_val_t sv;
    if (saddle(c, q, *t, t, &sv)) return -1;
    double K = sv.K, K2 = sv.K2;
    double w2 = 2 * (*t * q - K);
    if (!(w2 > 0) || !(K2 > 0) || *t * q <= 0) return -1;
    double w = sqrt(w2), v = fabs(*t) * sqrt(K2);
    double lphi = -0.5 * w * w - 0.5 * log(2 * M_PI);
    double lq = gsl_sf_log_erfc(w / M_SQRT2) - M_LN2;
    double b = exp(lq - lphi) + 1 / v - 1 / w;
    if (b > 0 && isfinite(b)) {
        *lp = lphi + log(b);
    } else { /* Barndorff-Nielsen form */
        double r = w + log(v / w) / w;
        if (!(r > 0)) return -1;
        *lp = gsl_sf_log_erfc(r / M_SQRT2) - M_LN2;
    }
    return 0;
}

int cox_spa_logp(const cox_null_t *nm, cox_ws_t *ws, int nc, double u, double v, double *logp)
{
    if (!nm->zzinv || !(v > 0)) return -1;
    const int k = nm->k, ns = nm->ns, nz = nm->nz;
    const int *ci = ws->ci;
    double *xt = ws->xt, *zx = ws->zb, *b = ws->xm; /* xm (n*(k+1) >= nz) is free outside the fit */
    memset(zx, 0, sizeof(double) * nz);
    double xx = 0;
    for (int j = 0; j < nc; j++) {
        const int i = ci[j];
        const double xi = xt[j], *c = nm->cc + (size_t)i * k;
        xx += xi * xi;
        zx[nm->strat[i]] += xi;
        for (int a = 0; a < k; a++) zx[ns + a] += xi * c[a];
    }
    double xpx = 0;
    for (int a = 0; a < nz; a++) {
        double s = 0;
        for (int c = 0; c < nz; c++) s += nm->zzinv[a * nz + c] * zx[c];
        b[a] = s;
        xpx += s * zx[a];
    }
    double ss_all = xx - xpx, ss_car = 0, ss3 = 0;
    for (int j = 0; j < nc; j++) { /* in place: xt_j = x_j - z_j' b */
        const int i = ci[j];
        const double *c = nm->cc + (size_t)i * k;
        double f = xt[j] - b[nm->strat[i]];
        for (int a = 0; a < k; a++) f -= c[a] * b[ns + a];
        xt[j] = f;
        ss_car += f * f;
        ss3 += f * f * f;
    }
    if (!(ss_all > 0)) return -1;
    double ss_non = ss_all - ss_car;
    if (ss_non < 0) ss_non = 0;
#ifdef COX_SPA_STATS
    cox_spa_nvar++;
#endif
    spa_cgf_t c = {nm, ws->xt, NULL, ws->ci, nc, nm->m2 * ss_non}, cb;
    double kvar = nm->m2 * ss_all;
    double q = fabs(u); /* v (the exact variance) only chose the SPA; see the top comment */
    double lp1, lp2, tb;
    spa_val_t vb;
    /* Newton starts: the root of K'(t) ~ kvar t + K3 t^2 / 2 (K3 = third derivative at 0 of the carriers' part), then
     * for -q the same shift from the normal start as was found for +q; with many carriers both are
     * refined on the binned CGF first */
    int bins = spa_bins(&c, ws->bin, &cb) == 0;
    double b3 = nm->c3 * ss3, disc = kvar * kvar + 2 * b3 * q;
    double t1 = disc > 0 ? 2 * q / (kvar + sqrt(disc)) : q / kvar;
    if (bins && saddle(&cb, q, t1, &tb, &vb) == 0) t1 = tb;
    if (tail_logp(&c, q, &t1, &lp1)) return -1;
    double t2 = t1 - 2 * q / kvar;
    if (!(t2 < 0)) t2 = -q / kvar;
    if (bins && saddle(&cb, -q, t2, &tb, &vb) == 0) t2 = tb;
    if (tail_logp(&c, -q, &t2, &lp2)) return -1;
    double mx = lp1 > lp2 ? lp1 : lp2;
    *logp = mx + log(exp(lp1 - mx) + exp(lp2 - mx));
    return 0;
}

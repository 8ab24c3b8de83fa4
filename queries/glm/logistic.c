/* logistic.c: logistic regression scan with Firth fallback, PLINK 2 --glm semantics
 * (bcms, GPL-3.0-or-later).
 *
 * Parametrisation: the covariates enter through Q (C = Q R, covar.c), which leaves the genotype's
 * coefficient and its standard error unchanged (both the likelihood and Firth's Jeffreys penalty are
 * invariant under a linear reparametrisation of the covariates) and keeps every Newton system well
 * conditioned. PLINK 2's convergence and failure rules (sum of |coefficient changes| < 1e-4;
 * divergence when that sum exceeds 20 and twice its minimum, or stays near 1 after 7 iterations;
 * unfinished after 15 iterations; |coefficient| > 6e4 or 8e3) are applied to the coefficients mapped
 * back to the original covariate scale through R, so that the same variants fall back to Firth.
 * Once PLINK's rule says "converged", a few more Newton steps take the estimate to full double
 * precision; the reported SE is from the observed information at that estimate.
 *
 * Firth: penalised Newton (Heinze & Schemper 2002, as logistf): score U* = Z'(y - p + h(1/2 - p)),
 * step (Z'VZ)^-1 U* capped at 5, from the null fit; SE from (Z'VZ)^-1 at the penalised estimate. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "err.h"
#include "glm.h"
#include "glm_internal.h"

struct glm_logistic {
    int n, k, np; /* np: n rounded up to a multiple of 4 (padding of qc, y and the ws arrays) */
    double *rows;  /* n x k row-major: q_i */
    double *qc;    /* k x np column-major: column j of Q at qc + j*np, zero padded (Newton kernel) */
    double *r;     /* k x k column-major upper triangular, C = Q R */
    double *y;     /* n: 0/1 */
    double *off;   /* np: per-sample offset added to the linear predictor (0 without one), zero padded */
    double *beta0; /* k: null fit in Q coordinates */
    glm_opts_t opt;
};

struct glm_logistic_ws {
    double *x;     /* n genotype values, 0 where missing */
    double *m;     /* n: 1.0 = call present, 0.0 = missing (multiplies the weights) */
    uint8_t *obs;  /* n: 1 = call present */
    double *p;     /* n fitted probabilities */
    double *v;     /* n weights */
    double *h;     /* (k+1)^2 information / Cholesky */
    double *g;     /* k+1 gradient / step */
    double *th;    /* k+1 coefficients */
    double *tmp;   /* k+1 */
    double *z;     /* k+1 one design row */
};

void glm_logistic_free(glm_logistic_t *lg)
{
    if (!lg) return;
    free(lg->rows); free(lg->qc); free(lg->r); free(lg->y); free(lg->off); free(lg->beta0);
    free(lg);
}

void glm_logistic_ws_free(glm_logistic_ws_t *ws)
{
    if (!ws) return;
    free(ws->x); free(ws->m); free(ws->obs); free(ws->p); free(ws->v); free(ws->h); free(ws->g); free(ws->th);
    free(ws->tmp); free(ws->z);
    free(ws);
}

glm_logistic_ws_t *glm_logistic_ws_new(const glm_logistic_t *lg)
{
    glm_logistic_ws_t *ws = calloc(1, sizeof(*ws));
    if (!ws) return NULL;
    size_t n = lg->n, p = lg->k + 1;
    ws->x = calloc(lg->np, sizeof(double)); ws->obs = malloc(n);
    ws->m = calloc(lg->np, sizeof(double));
    ws->p = malloc(n * sizeof(double)); ws->v = malloc(n * sizeof(double));
    ws->h = malloc(p * p * sizeof(double)); ws->g = malloc(p * sizeof(double));
    ws->th = malloc(p * sizeof(double)); ws->tmp = malloc(p * sizeof(double));
    ws->z = malloc(p * sizeof(double));
    if (!ws->x || !ws->m || !ws->obs || !ws->p || !ws->v || !ws->h || !ws->g || !ws->th || !ws->tmp || !ws->z) {
        glm_logistic_ws_free(ws);
        return NULL;
    }
    return ws;
}

/* exp(x) for x in [-708, 708], branch-free so that the compiler vectorises the loops calling it:
 * x = n ln2 + r, |r| <= ln2/2, Taylor polynomial of degree 13 (truncation < 2e-17 relative), times
 * 2^n assembled in the exponent bits. Within 2 ulp of libm's exp. */
__attribute__((always_inline, optimize("no-trapping-math")))
static inline double exp_vec(double x)
{
    const double log2e = 1.4426950408889634, ln2hi = 6.93147180369123816490e-01,
                 ln2lo = 1.90821492927058770002e-10, shifter = 6755399441055744.0; /* 1.5 * 2^52 */
    x = x < -708.0 ? -708.0 : x;
    x = x > 708.0 ? 708.0 : x;
    double t = x * log2e + shifter;
    double nd = t - shifter;
    double r = (x - nd * ln2hi) - nd * ln2lo;
    double pl = 1.0 / 6227020800.0;
    pl = pl * r + 1.0 / 479001600.0;
    pl = pl * r + 1.0 / 39916800.0;
    pl = pl * r + 1.0 / 3628800.0;
    pl = pl * r + 1.0 / 362880.0;
    pl = pl * r + 1.0 / 40320.0;
    pl = pl * r + 1.0 / 5040.0;
    pl = pl * r + 1.0 / 720.0;
    pl = pl * r + 1.0 / 120.0;
    pl = pl * r + 1.0 / 24.0;
    pl = pl * r + 1.0 / 6.0;
    pl = pl * r + 0.5;
    pl = pl * r + 1.0;
    pl = pl * r + 1.0;
    /* t's low mantissa bits hold 2^51 + n: shifted left by 52 they leave n << 52 (mod 2^64, so
     * negative n works too) without a double -> int64 conversion, which AVX2 lacks */
    union { double d; uint64_t u; } tb = {t}, res = {pl};
    res.u += tb.u << 52;
    return res.d;
}

#define LG_CHUNK 256 /* multiple of 4 */
#define LG_MAXP 64   /* k + 1 <= 64, checked at init */

/* sum a[i] b[i] over c (a multiple of 4) in 4 interleaved partial sums, combined as
 * (s0 + s1) + (s2 + s3): a fixed order (so fixed bits) that the compiler maps onto vector lanes. */
__attribute__((always_inline, optimize("no-trapping-math")))
static inline double dot4(const double *restrict a, const double *restrict b, int c)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < c; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    return (s0 + s1) + (s2 + s3);
}

/* out[j] += dot4(v, col[j], c) for j < nc, four columns per pass over v: each sum keeps dot4's lanes
 * and their order (so the same bits), while four independent chains of additions hide the adder's
 * latency that one dot4 at a time waited on (at 1,000 samples that was most of a Newton step). */
__attribute__((always_inline, optimize("no-trapping-math")))
static inline void dot4_cols(const double *restrict v, const double *const *col, int nc, int c, double *restrict out)
{
    typedef double v4 __attribute__((vector_size(32)));
    int j = 0;
    for (; j + 4 <= nc; j += 4) {
        const double *restrict z0 = col[j], *restrict z1 = col[j + 1], *restrict z2 = col[j + 2],
                     *restrict z3 = col[j + 3];
        v4 s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0, vi, t;
        for (int i = 0; i < c; i += 4) {
            memcpy(&vi, v + i, sizeof vi);
            memcpy(&t, z0 + i, sizeof t);
            s0 += vi * t;
            memcpy(&t, z1 + i, sizeof t);
            s1 += vi * t;
            memcpy(&t, z2 + i, sizeof t);
            s2 += vi * t;
            memcpy(&t, z3 + i, sizeof t);
            s3 += vi * t;
        }
        out[j] += (s0[0] + s0[1]) + (s0[2] + s0[3]);
        out[j + 1] += (s1[0] + s1[1]) + (s1[2] + s1[3]);
        out[j + 2] += (s2[0] + s2[1]) + (s2[2] + s2[3]);
        out[j + 3] += (s3[0] + s3[1]) + (s3[2] + s3[3]);
    }
    for (; j < nc; j++) out[j] += dot4(v, col[j], c);
}

/* Information H = sum m v z z' (lower triangle, P x P) and gradient g = sum m (y - p) z at
 * coefficients th, z = [q_i | x_i], over samples with m_i = 1. Samples are processed in chunks of
 * LG_CHUNK held in L1: eta, p and the weights for the chunk, then the P(P+1)/2 + P sums. Arrays are
 * padded to np (a multiple of 4) with m = x = y = 0. Chunking and lane order are fixed, so every
 * result bit is the same whatever the caller's block size or thread count. */
/* no-trapping-math lets the compiler if-convert exp_vec's clamps into vector blends; it changes no
 * arithmetic (no FP traps are ever enabled here). */
__attribute__((target_clones("avx2", "default"), optimize("no-trapping-math")))
static void logistic_eval(const glm_logistic_t *lg, glm_logistic_ws_t *ws, int P, const double *th)
{
    const int np = lg->np, k = lg->k;
    double *H = ws->h, *g = ws->g;
    double acc[LG_MAXP * LG_MAXP], gacc[LG_MAXP];
    double eta[LG_CHUNK], vv[LG_CHUNK], rr[LG_CHUNK], vz[LG_CHUNK];
    const double *y = lg->y, *m = ws->m, *x = ws->x, *off = lg->off, *zc[LG_MAXP];
    memset(acc, 0, sizeof(double) * P * P);
    memset(gacc, 0, sizeof(double) * P);
    for (int i0 = 0; i0 < np; i0 += LG_CHUNK) {
        const int c = np - i0 < LG_CHUNK ? np - i0 : LG_CHUNK;
        for (int i = 0; i < c; i++) eta[i] = off[i0 + i];
        for (int j = 0; j < k; j++) {
            const double *qj = lg->qc + (size_t)j * np + i0, tj = th[j];
            for (int i = 0; i < c; i++) eta[i] += tj * qj[i];
        }
        if (P > k) {
            const double tx = th[k];
            for (int i = 0; i < c; i++) eta[i] += tx * x[i0 + i];
        }
#pragma omp simd
        for (int i = 0; i < c; i++) {
            double e = exp_vec(-eta[i]);
            double pi = 1.0 / (1.0 + e);
            vv[i] = m[i0 + i] * (pi * (1.0 - pi));
            rr[i] = m[i0 + i] * (y[i0 + i] - pi);
        }
        for (int a = 0; a < P; a++) zc[a] = a < k ? lg->qc + (size_t)a * np + i0 : x + i0;
        for (int a = 0; a < P; a++) {
            const double *za = zc[a];
            for (int i = 0; i < c; i++) vz[i] = vv[i] * za[i];
            gacc[a] += dot4(rr, za, c);
            dot4_cols(vz, zc + a, P - a, c, acc + a + a * P);
        }
    }
    for (int a = 0; a < P; a++) {
        g[a] = gacc[a];
        for (int b = a; b < P; b++) H[b + a * P] = acc[b + a * P];
    }
}

/* Map a Q-coordinate covariate vector to the original covariate scale: solve R c = d. */
static void to_orig(const glm_logistic_t *lg, const double *d, double *c)
{
    const int k = lg->k;
    for (int i = k - 1; i >= 0; i--) {
        double s = d[i];
        for (int j = i + 1; j < k; j++) s -= lg->r[i + j * k] * c[j];
        c[i] = s / lg->r[i + i * k];
    }
}

#define GLM_STEP_DONE 1e-8

/* Newton-Raphson from ws->th. Returns 0 converged, 1 failed, 2 unfinished (PLINK 2's rules). */
static int logistic_newton(const glm_logistic_t *lg, glm_logistic_ws_t *ws, int P)
{
    const int k = lg->k;
    double *th = ws->th, *g = ws->g, *tmp = ws->tmp;
    double min_delta = 1e9;
    for (int it = 0;; it++) {
        logistic_eval(lg, ws, P, th);
        if (glm_chol(ws->h, P)) return 1;
        glm_trsv_lower(ws->h, P, g);
        glm_trsv_lower_t(ws->h, P, g);
        for (int j = 0; j < P; j++) th[j] += g[j];
        /* PLINK's rules on the original scale */
        to_orig(lg, g, tmp);
        double delta = 0;
        for (int j = 0; j < k; j++) delta += fabs(tmp[j]);
        if (P > k) delta += fabs(g[k]);
        if (delta != delta) return 1;
        if (delta < min_delta) min_delta = delta;
        to_orig(lg, th, tmp);
        if (P > k) tmp[k] = th[k];
        if (it > 3) {
            if ((delta > 20.0 && delta > 2 * min_delta) || (it > 6 && fabs(1.0 - delta) < 1e-3)) return 1;
            if (it > lg->opt.max_iter - 2) {
                for (int j = 0; j < P; j++) if (fabs(tmp[j]) > 8e3) return 1;
                return 2;
            }
        }
        if (delta < 1e-4) {
            for (int j = 0; j < P; j++) if (fabs(tmp[j]) > 6e4) return 1;
            /* Past PLINK's rule, take Newton steps (quadratic convergence) until the step just
             * taken is below GLM_STEP_DONE: the estimate is then exact to ~step^2, and ws->h, the
             * information at the point before that step, gives the SE to ~1e-8 relative. Usually
             * the step that met PLINK's rule already qualifies, so no extra pass is needed. */
            double mx = 0;
            for (int j = 0; j < P; j++) if (fabs(g[j]) > mx) mx = fabs(g[j]);
            for (int extra = 0; extra < 5 && !(mx < GLM_STEP_DONE); extra++) {
                logistic_eval(lg, ws, P, th);
                if (glm_chol(ws->h, P)) return 1;
                glm_trsv_lower(ws->h, P, g);
                glm_trsv_lower_t(ws->h, P, g);
                mx = 0;
                for (int j = 0; j < P; j++) { th[j] += g[j]; if (fabs(g[j]) > mx) mx = fabs(g[j]); }
            }
            return 0;
        }
    }
}

#define FIRTH_CHUNK 64 /* samples whose per-sample terms are computed together (multiple of 4) */

/* One sample's design row z = [q_i | x_i] from the column-major Q of a chunk (c: offset in it). */
static inline void firth_row(const glm_logistic_t *lg, const glm_logistic_ws_t *ws, int P, int i, double *z)
{
    for (int j = 0; j < lg->k; j++) z[j] = lg->qc[(size_t)j * lg->np + i];
    if (P > lg->k) z[lg->k] = ws->x[i];
}

/* acc += w z z' for one sample, acc column a at acc + a S (S = P rounded up to 4, z zero-padded to S),
 * rows from a rounded down to 4 in whole vectors: every lower-triangle entry gets (w z_a) z_b added, the
 * product order of the scalar loop this replaced; the rest is never read. */
static inline void firth_outer(double *restrict acc, int P, int S, double w, const double *restrict z)
{
    typedef double v4 __attribute__((vector_size(32)));
    for (int a = 0; a < P; a++) {
        const double wa = w * z[a];
        const v4 wv = {wa, wa, wa, wa};
        double *restrict col = acc + (size_t)a * S;
        for (int b = a & ~3; b < S; b += 4) {
            v4 zb, cb;
            memcpy(&zb, z + b, sizeof zb);
            memcpy(&cb, col + b, sizeof cb);
            cb += wv * zb;
            memcpy(col + b, &cb, sizeof cb);
        }
    }
}

/* The lower triangle of acc (column stride S) into A (P x P). */
static void firth_acc_store(const double *acc, int P, int S, double *A)
{
    for (int a = 0; a < P; a++)
        for (int b = a; b < P; b++) A[b + a * P] = acc[(size_t)a * S + b];
}

/* Firth pass 1 at th: p_i, v_i (into ws->p, ws->v), the log-likelihood (into *ll) and I = Z'VZ
 * (lower triangle, ws->h) over the observed samples; 1 when a fitted probability is exactly 0 or 1.
 * The linear predictors of a chunk are formed column by column (vectorised across samples, each
 * sample's sum in the order q_0 th_0 + ... + x th_k); exp/log are libm's and the sums over samples
 * run in sample order, so every bit is as a per-sample loop makes it. */
__attribute__((target_clones("avx2", "default")))
static int firth_info(const glm_logistic_t *lg, glm_logistic_ws_t *ws, int P, const double *th, double *ll)
{
    const int n = lg->n, np = lg->np, k = lg->k;
    const int S = (P + 3) & ~3;
    double eta[FIRTH_CHUNK], z[LG_MAXP] = {0}, acc[LG_MAXP * LG_MAXP];
    memset(acc, 0, (size_t)P * S * sizeof(double));
    for (int i0 = 0; i0 < n; i0 += FIRTH_CHUNK) {
        const int c = np - i0 < FIRTH_CHUNK ? np - i0 : FIRTH_CHUNK, ce = n - i0 < c ? n - i0 : c;
        for (int i = 0; i < c; i++) eta[i] = lg->off[i0 + i];
        for (int j = 0; j < k; j++) {
            const double *qj = lg->qc + (size_t)j * np + i0, tj = th[j];
            for (int i = 0; i < c; i++) eta[i] += qj[i] * tj;
        }
        if (P > k) {
            const double tx = th[k];
            for (int i = 0; i < c; i++) eta[i] += ws->x[i0 + i] * tx;
        }
        for (int i = 0; i < ce; i++) {
            const int s = i0 + i;
            if (!ws->obs[s]) continue;
            double pi = 1.0 / (1.0 + exp(-eta[i]));
            if (pi == 0.0 || pi == 1.0) return 1;
            double vi = pi * (1.0 - pi);
            ws->p[s] = pi;
            ws->v[s] = vi;
            *ll += lg->y[s] ? log(pi) : log1p(-pi);
            firth_row(lg, ws, P, s, z);
            firth_outer(acc, P, S, vi, z);
        }
    }
    firth_acc_store(acc, P, S, ws->h);
    return 0;
}

/* Firth pass 2, given L (Cholesky factor of I, ws->h): h_i = v_i |L^-1 z_i|^2, the penalised score
 * U* = sum u_i z_i (ws->g) with u_i = y_i - p_i + h_i (1/2 - p_i), and the step matrix
 * H2 = sum (1 + h_i) v_i z_i z_i'. The triangular solves of a chunk run column by column across its
 * samples (each sample's arithmetic in the order of glm_trsv_lower); the sums over samples in sample
 * order. (One glm_trsv_lower call per sample and iteration was a third of a 1,000-sample scan.) */
__attribute__((target_clones("avx2", "default")))
static void firth_score(const glm_logistic_t *lg, glm_logistic_ws_t *ws, int P, double *H2)
{
    const int n = lg->n, np = lg->np, k = lg->k;
    const double *L = ws->h;
    const int S = (P + 3) & ~3;
    double *g = ws->g, t[LG_MAXP][FIRTH_CHUNK], hv[FIRTH_CHUNK], z[LG_MAXP] = {0}, acc[LG_MAXP * LG_MAXP];
    memset(g, 0, P * sizeof(double));
    memset(acc, 0, (size_t)P * S * sizeof(double));
    for (int i0 = 0; i0 < n; i0 += FIRTH_CHUNK) {
        const int c = np - i0 < FIRTH_CHUNK ? np - i0 : FIRTH_CHUNK, ce = n - i0 < c ? n - i0 : c;
        for (int j = 0; j < P; j++) {
            const double *zj = j < k ? lg->qc + (size_t)j * np + i0 : ws->x + i0;
            double *tj = t[j];
            for (int i = 0; i < c; i++) tj[i] = zj[i];
            for (int l = 0; l < j; l++) {
                const double ljl = L[j + l * P], *tl = t[l];
                for (int i = 0; i < c; i++) tj[i] -= ljl * tl[i];
            }
            const double ljj = L[j + j * P];
            for (int i = 0; i < c; i++) tj[i] = tj[i] / ljj;
        }
        for (int i = 0; i < c; i++) hv[i] = 0;
        for (int j = 0; j < P; j++)
            for (int i = 0; i < c; i++) hv[i] += t[j][i] * t[j][i];
        for (int i = 0; i < ce; i++) {
            const int s = i0 + i;
            if (!ws->obs[s]) continue;
            const double hi = hv[i] * ws->v[s], pi = ws->p[s], u = lg->y[s] - pi + hi * (0.5 - pi);
            const double w2 = (1.0 + hi) * ws->v[s];
            firth_row(lg, ws, P, s, z);
            for (int a = 0; a < P; a++) g[a] += u * z[a];
            firth_outer(acc, P, S, w2, z);
        }
    }
    firth_acc_store(acc, P, S, H2);
}

/* Firth-penalised regression from ws->th (the caller's start: the null fit, the variant's
 * coefficient 0) by the iterations of PLINK 2's FirthRegression (its port of logistf with
 * pl = FALSE). PLINK starts from 0, and so did bcms; the polish below makes the estimate the
 * penalised MLE from either start, and from the null fit a 1,000 x 100,000 scan (15% of its
 * variants Firth) took 22% less CPU with byte-identical output (so did 3,000 and 10,000 x 10,000;
 * at 1,000 x 10,000 one BETA of 1,544 Firth rows moved in its 8th digit). Per iteration p, the
 * penalised log-likelihood l + log|I|/2 (a fitted probability of exactly 0 or 1 is a failure), h_i = v_i z_i' I^-1 z_i, U* = Z'(y - p + h (1/2 - p)); stop (from
 * the second iteration on) when max|delta| <= 1e-5, max|U*| < 1e-5 and the penalised log-likelihood
 * rose by less than 1e-5; otherwise step delta = (Z' diag((1+h) v) Z)^-1 U*, its largest component
 * capped at 5; more than 25 iterations is UNFINISHED. delta and U* are measured on the original
 * covariate scale (delta_orig = R^-1 delta_q, U*_orig = R' U*_q) as PLINK sees them. The reported
 * variance is I^-1 at the final estimate (what PLINK 2.00a3.5 prints; the (1+h)-weighted step
 * matrix gives SEs 10-30% smaller on the fixture's Firth rows and does not match it).
 * Returns 0 converged (ws->h: Cholesky factor of I), 1 failed, 2 unfinished. */
#define FIRTH_MAX_ITER 25
#define FIRTH_CONV 1e-5
static int firth_newton(const glm_logistic_t *lg, glm_logistic_ws_t *ws, int P)
{
    const int k = lg->k;
    double *th = ws->th, *g = ws->g, *H = ws->h, *tmp = ws->tmp;
    double H2[64 * 64], L2[64 * 64];
    double delta_max = 0, ll_old = 0;
    int have_step = 0, polish = 0;
    for (int it = 0;; it++) {
        /* p, v, log-likelihood and information I = Z'VZ (lower triangle) */
        double ll = 0;
        if (firth_info(lg, ws, P, th, &ll)) return 1;
        if (glm_chol(H, P)) return 1;
        for (int j = 0; j < P; j++) ll += log(H[j + j * P]); /* log|I|/2 (up to log|R|) */
        /* h_i, U* and the step matrix Z' diag((1+h) v) Z */
        firth_score(lg, ws, P, H2);
        if (it) {
            /* U* on the original scale: U_orig = R' U_q for the covariates */
            double umax = fabs(g[k]);
            for (int j = 0; j < k; j++) {
                double s = 0;
                for (int l = 0; l <= j; l++) s += lg->r[l + j * k] * g[l];
                if (fabs(s) > umax) umax = fabs(s);
            }
            /* PLINK's stopping rule; past it, keep stepping (linear convergence near separation)
             * until the step is below 1e-10, so the reported numbers are the penalised MLE
             * itself (checked against an independent R implementation, R_firth.tsv) */
            if (!polish && delta_max <= FIRTH_CONV && umax < FIRTH_CONV && ll - ll_old < FIRTH_CONV)
                polish = 1;
            if (polish && (delta_max < 1e-10 || polish++ > 50)) break;
            if (!polish && it > FIRTH_MAX_ITER) return 2;
        }
        ll_old = ll;
        memcpy(L2, H2, (size_t)P * P * sizeof(double));
        if (glm_chol(L2, P)) return 1;
        glm_trsv_lower(L2, P, g);
        glm_trsv_lower_t(L2, P, g);
        have_step = 1;
        to_orig(lg, g, tmp);
        tmp[k] = g[k];
        delta_max = 0;
        for (int j = 0; j < P; j++) if (fabs(tmp[j]) > delta_max) delta_max = fabs(tmp[j]);
        if (!isfinite(delta_max)) return 1;
        double scale = 1.0;
        if (delta_max > 5.0) { scale = 5.0 / delta_max; delta_max = 5.0; }
        for (int j = 0; j < P; j++) th[j] += scale * g[j];
    }
    return have_step ? 0 : 1;
}

int glm_logistic_init(glm_logistic_t **out, const covar_design_t *d, const double *y,
                      const glm_opts_t *opt)
{
    return glm_logistic_init_offset(out, d, y, NULL, opt);
}

int glm_logistic_init_offset(glm_logistic_t **out, const covar_design_t *d, const double *y,
                             const double *offset, const glm_opts_t *opt)
{
    int rc;
    double *q = NULL;
    glm_logistic_ws_t *ws = NULL;
    glm_logistic_t *lg = NULL;
    *out = NULL;
    if ((rc = glm_opts_check(opt))) return rc;
    const int n = d->n, k = d->k;
    if (k + 1 > 64) return bcms_err(BCMS_EINVAL, "logistic model: at most 63 covariate columns");
    int ncase = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return bcms_err(BCMS_EINPUT, "logistic model: phenotype value %g at row %d is not 0/1",
                            y[i], i + 1);
        ncase += y[i] == 1;
    }
    if (ncase == 0 || ncase == n)
        return bcms_err(BCMS_EINPUT, "logistic model: %s among the %d samples",
                        ncase ? "no controls" : "no cases", n);
    lg = calloc(1, sizeof(*lg));
    q = malloc((size_t)n * k * sizeof(double));
    if (!lg || !q) { rc = bcms_err(BCMS_ENOMEM, "logistic model: out of memory"); goto fail; }
    lg->n = n; lg->k = k; lg->opt = *opt;
    lg->np = (n + 3) & ~3;
    lg->rows = malloc((size_t)n * k * sizeof(double));
    lg->qc = calloc((size_t)lg->np * k, sizeof(double));
    lg->r = malloc((size_t)k * k * sizeof(double));
    lg->y = calloc((size_t)lg->np, sizeof(double));
    lg->beta0 = calloc(k, sizeof(double));
    lg->off = calloc((size_t)lg->np, sizeof(double));
    if (!lg->rows || !lg->qc || !lg->r || !lg->y || !lg->beta0 || !lg->off) {
        rc = bcms_err(BCMS_ENOMEM, "logistic model: out of memory");
        goto fail;
    }
    if ((rc = covar_design_qr(d, q, lg->r))) goto fail;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) lg->rows[(size_t)i * k + j] = q[(size_t)j * n + i];
    for (int j = 0; j < k; j++) memcpy(lg->qc + (size_t)j * lg->np, q + (size_t)j * n, n * sizeof(double));
    memcpy(lg->y, y, n * sizeof(double));
    for (int i = 0; offset && i < n; i++) {
        if (!isfinite(offset[i])) {
            rc = bcms_err(BCMS_EINPUT, "logistic model: offset %g at row %d is not finite", offset[i], i + 1);
            goto fail;
        }
        lg->off[i] = offset[i];
    }
    if (!(ws = glm_logistic_ws_new(lg))) { rc = bcms_err(BCMS_ENOMEM, "out of memory"); goto fail; }
    memset(ws->obs, 1, n);
    for (int i = 0; i < n; i++) { ws->m[i] = 1.0; ws->x[i] = 0.0; }
    memset(ws->th, 0, (k + 1) * sizeof(double));
    /* start at the intercept-only fit: logit(case fraction) along the constant column of Q */
    ws->th[0] = log((double)ncase / (n - ncase)) * sqrt((double)n) * (lg->rows[0] < 0 ? -1 : 1);
    if (logistic_newton(lg, ws, k) != 0) {
        rc = bcms_err(BCMS_ENUMERIC, "logistic model: the covariates-only model does not converge "
                      "(a covariate separates cases from controls?)");
        goto fail;
    }
    memcpy(lg->beta0, ws->th, k * sizeof(double));
    glm_logistic_ws_free(ws);
    free(q);
    *out = lg;
    return 0;
fail:
    glm_logistic_ws_free(ws);
    free(q);
    glm_logistic_free(lg);
    return rc;
}

/* Whether the genotype alone, with the intercept, separates cases from controls: every observed
 * case's value at most every observed control's, or the reverse (xc: min and max over the cases,
 * xo: over the controls; min > max when a class has no observed value). The likelihood then grows
 * without bound along that direction, so Newton's steps stay near 1 / |x| and never meet the
 * convergence rule: under PLINK's rules such a fit always ends failed or unfinished. */
static int separates(const double xc[2], const double xo[2])
{
    return xc[0] <= xc[1] && xo[0] <= xo[1] && (xc[1] <= xo[0] || xo[1] <= xc[0]);
}

/* ws->x and ws->obs are filled; counts for the constant check and the separation flag from the
 * caller. A separated variant under Firth fallback goes to Firth at once: the Newton iterations it
 * skips (up to 15, about a third of a 1,000-sample scan's with 15% of its variants separated) could
 * only have failed, so the output is the same. */
static void logistic_variant(const glm_logistic_t *lg, glm_logistic_ws_t *ws, int nmiss,
                             int is_const, int sep, double sx, double sxx, glm_result_t *r)
{
    const int n = lg->n, k = lg->k, P = k + 1, ns = n - nmiss;
    r->n = ns;
    r->firth = 0;
    r->err = 0;
    r->a1_count = sx;
    r->a1_freq = ns ? sx / (2.0 * ns) : NAN;
    if (ns < k + 2) { glm_result_fail(r, GLM_ERR_TOO_FEW_SAMPLES); return; }
    if (is_const) { glm_result_fail(r, GLM_ERR_CONST_ALLELE); return; }
    /* genotype VIF from the unweighted Gram matrix over the observed samples */
    {
        /* Q is orthonormal over all n samples, so the Gram matrix over the observed ones is
         * I - sum_{missing} q_i q_i' (a downdate over the few missing), and Q'x is k dot products
         * (x = 0 where missing) */
        double *A = ws->h, *b = ws->g;
        memset(A, 0, (size_t)k * k * sizeof(double));
        if (2 * nmiss <= n) {
            for (int i = 0; i < n; i++) {
                if (ws->obs[i]) continue;
                const double *q = lg->rows + (size_t)i * k;
                for (int a = 0; a < k; a++)
                    for (int c = a; c < k; c++) A[c + a * k] -= q[a] * q[c];
            }
            for (int a = 0; a < k; a++) A[a + a * k] += 1.0;
        } else {
            for (int i = 0; i < n; i++) {
                if (!ws->obs[i]) continue;
                const double *q = lg->rows + (size_t)i * k;
                for (int a = 0; a < k; a++)
                    for (int c = a; c < k; c++) A[c + a * k] += q[a] * q[c];
            }
        }
        for (int a = 0; a < k; a++) b[a] = dot4(lg->qc + (size_t)a * lg->np, ws->x, lg->np);
        if (glm_chol(A, k)) { glm_result_fail(r, GLM_ERR_VIF_INFINITE); return; }
        glm_trsv_lower(A, k, b);
        double bb = 0;
        for (int a = 0; a < k; a++) bb += b[a] * b[a];
        double den = sxx - bb, ssx = sxx - sx * sx / ns;
        if (!(ssx > 1e-12 * sxx)) { glm_result_fail(r, GLM_ERR_CONST_ALLELE); return; }
        if (!(den > 1e-12 * ssx)) { glm_result_fail(r, GLM_ERR_VIF_INFINITE); return; }
        if (ssx / den > lg->opt.vif_thresh) { glm_result_fail(r, GLM_ERR_VIF_TOO_HIGH); return; }
    }
    int st = 1, firth = lg->opt.firth == GLM_FIRTH_ALWAYS || (sep && lg->opt.firth == GLM_FIRTH_FALLBACK);
    if (!firth) {
        memcpy(ws->th, lg->beta0, k * sizeof(double));
        ws->th[k] = 0;
        st = logistic_newton(lg, ws, P);
        if (st != 0) {
            if (lg->opt.firth == GLM_FIRTH_FALLBACK) firth = 1;
            else if (st == 1) { glm_result_fail(r, GLM_ERR_LOGISTIC_CONVERGE_FAIL); return; }
        }
    }
    if (firth) {
        memcpy(ws->th, lg->beta0, k * sizeof(double));
        ws->th[k] = 0;
        st = firth_newton(lg, ws, P);
        if (st == 1) { glm_result_fail(r, GLM_ERR_FIRTH_CONVERGE_FAIL); return; }
        r->firth = 1;
    }
    /* ws->h holds the Cholesky factor of the information at th; x is the last coordinate, so
     * (H^-1)_{PP} = 1 / L_{PP}^2 */
    const double lpp = ws->h[(P - 1) + (P - 1) * P];
    r->beta = ws->th[k];
    r->se = 1.0 / lpp;
    r->stat = r->beta / r->se;
    r->p = dist_z_p2(r->stat);
    r->log10p = dist_z_logp2(r->stat) / M_LN10;
    if (st == 2) r->err = GLM_ERR_UNFINISHED;
}

int glm_logistic_codes(const glm_logistic_t *lg, glm_logistic_ws_t *ws, const uint8_t *codes,
                       size_t nvar, size_t stride, glm_result_t *out)
{
    const int n = lg->n;
    if (stride < (size_t)n) return bcms_err(BCMS_EINVAL, "logistic scan: stride %zu < n %d", stride, n);
    for (size_t v = 0; v < nvar; v++) {
        const uint8_t *g = codes + v * stride;
        int c[4] = {0, 0, 0, 0}, cc[4] = {0, 0, 0, 0}; /* cc: the cases' counts */
        for (int i = 0; i < n; i++) {
            unsigned gi = g[i] & 3;
            c[gi]++;
            cc[gi] += lg->y[i] != 0;
            ws->obs[i] = gi != 3;
            ws->m[i] = gi != 3;
            ws->x[i] = gi == 3 ? 0.0 : (double)gi;
        }
        int ns = n - c[3];
        int is_const = c[0] == ns || c[1] == ns || c[2] == ns;
        double xc[2] = {3, -1}, xo[2] = {3, -1};
        for (int gi = 0; gi < 3; gi++) {
            if (cc[gi]) { if (gi < xc[0]) xc[0] = gi; xc[1] = gi; }
            if (c[gi] > cc[gi]) { if (gi < xo[0]) xo[0] = gi; xo[1] = gi; }
        }
        logistic_variant(lg, ws, c[3], is_const, separates(xc, xo), c[1] + 2.0 * c[2], c[1] + 4.0 * c[2], &out[v]);
    }
    return 0;
}

int glm_logistic_dosages(const glm_logistic_t *lg, glm_logistic_ws_t *ws, const double *dos,
                         size_t nvar, size_t stride, glm_result_t *out)
{
    const int n = lg->n;
    if (stride < (size_t)n) return bcms_err(BCMS_EINVAL, "logistic scan: stride %zu < n %d", stride, n);
    for (size_t v = 0; v < nvar; v++) {
        const double *x = dos + v * stride;
        int nmiss = 0, varies = 0;
        double sx = 0, sxx = 0, first = NAN, xc[2] = {INFINITY, -INFINITY}, xo[2] = {INFINITY, -INFINITY};
        for (int i = 0; i < n; i++) {
            double xi = x[i];
            ws->obs[i] = !isnan(xi);
            ws->m[i] = !isnan(xi);
            if (isnan(xi)) { nmiss++; ws->x[i] = 0; continue; }
            if (isnan(first)) first = xi;
            else if (xi != first) varies = 1;
            ws->x[i] = xi;
            sx += xi;
            sxx += xi * xi;
            double *mm = lg->y[i] != 0 ? xc : xo;
            if (xi < mm[0]) mm[0] = xi;
            if (xi > mm[1]) mm[1] = xi;
        }
        logistic_variant(lg, ws, nmiss, !varies, separates(xc, xo), sx, sxx, &out[v]);
    }
    return 0;
}

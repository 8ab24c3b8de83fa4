/* lmm_lik.c: the likelihood of lambda in the rotated LMM and GEMMA's search for its maximum
 * (contract in lmm_internal.h). GPL-3.0-or-later.
 *
 * Variables 0..c-1 are the covariates, c the variant, c + 1 the phenotype, rotated by U'. P[0][ab] =
 * sum_i h_i a_i b_i with h_i = 1 / (lambda d_i + 1); level p projects variable p - 1 out:
 * P[p][ab] = P[p-1][ab] - P[p-1][aw] P[p-1][bw] / P[p-1][ww]. PP and PPP are the same sums with h^2
 * and h^3 (for the derivatives), with the recursions that follow from differentiating P. The search
 * is GEMMA's (CalcLambda): sign changes of the first derivative over 10 log-spaced intervals of
 * [1e-5, 1e5], GSL's Brent to a 10% bracket, GSL's Newton to a 1e-5 relative step, keeping the
 * iterate before the last step (as GEMMA does), then the best of those and of the two ends.
 *
 * The search's iterates are GEMMA's; what is saved is work per iterate: the pairs without the variant
 * come precomputed at the grid and at the fixed lambdas (lmm_point_t), a lambda met again is taken
 * from the memo instead of summed (Brent starts on two grid points, Newton's set-up asks for f and f'
 * at one point, the likelihood and the Wald test are at Newton's last iterate but one), and log det
 * takes one log per lane. About 26 full evaluations per variant remain (two searches). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>

#include "err.h"
#include "lmm_internal.h"

#define L_MIN 1e-5
#define L_MAX 1e5
#define N_REGION 10

/* ---- level-0 sums ----
 * Sums over the n eigen indices in 16 fixed lanes (index i goes to lane i % 16, each lane in index
 * order, the lanes added in one fixed tree), so the order is fixed by the code, not by the vector
 * width of the clone that runs or by the thread count (on one CPU the bits are always the same; the
 * AVX2/AVX-512 clones contract to FMA and the AVX-512 one makes h by a refined reciprocal, so other
 * CPUs may differ in the last bits, as the BLAS does). h, h^2, h^3 are made LMM_CHUNK indices at a
 * time and stay in L1 while every pair is summed over them. */
typedef double v8 __attribute__((vector_size(64)));
/* v8 never crosses a call (the helpers are always inlined): the ABI note does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"

static inline __attribute__((always_inline)) v8 ld8(const double *p)
{
    v8 v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) double lanes_total(const v8 *a)
{
    const v8 s = a[0] + a[1];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* A[2o], A[2o + 1] += w_o * u over m indices (o < order; w_0 = h, w_1 = h^2, w_2 = h^3); the last,
 * partial group of 16 is zero-padded. */
static inline __attribute__((always_inline)) void chunk_sums(v8 *A, int order, const double *w1, const double *w2,
                                                             const double *w3, const double *u, uint32_t m)
{
    v8 a0 = A[0], a1 = A[1], b0 = A[2], b1 = A[3], c0 = A[4], c1 = A[5];
    uint32_t i = 0;
    if (order == 1)
        for (; i + 16 <= m; i += 16) a0 += ld8(w1 + i) * ld8(u + i), a1 += ld8(w1 + i + 8) * ld8(u + i + 8);
    else if (order == 2)
        for (; i + 16 <= m; i += 16) {
            const v8 u0 = ld8(u + i), u1 = ld8(u + i + 8);
            a0 += ld8(w1 + i) * u0, a1 += ld8(w1 + i + 8) * u1;
            b0 += ld8(w2 + i) * u0, b1 += ld8(w2 + i + 8) * u1;
        }
    else
        for (; i + 16 <= m; i += 16) {
            const v8 u0 = ld8(u + i), u1 = ld8(u + i + 8);
            a0 += ld8(w1 + i) * u0, a1 += ld8(w1 + i + 8) * u1;
            b0 += ld8(w2 + i) * u0, b1 += ld8(w2 + i + 8) * u1;
            c0 += ld8(w3 + i) * u0, c1 += ld8(w3 + i + 8) * u1;
        }
    if (i < m) {
        double t[4][16] = {{0}};
        memcpy(t[0], u + i, (m - i) * sizeof *u);
        memcpy(t[1], w1 + i, (m - i) * sizeof *u);
        if (order >= 2) memcpy(t[2], w2 + i, (m - i) * sizeof *u);
        if (order >= 3) memcpy(t[3], w3 + i, (m - i) * sizeof *u);
        const v8 u0 = ld8(t[0]), u1 = ld8(t[0] + 8);
        a0 += ld8(t[1]) * u0, a1 += ld8(t[1] + 8) * u1;
        b0 += ld8(t[2]) * u0, b1 += ld8(t[2] + 8) * u1;
        c0 += ld8(t[3]) * u0, c1 += ld8(t[3] + 8) * u1;
    }
    A[0] = a0, A[1] = a1, A[2] = b0, A[3] = b1, A[4] = c0, A[5] = c1;
}

/* h = 1 / (l e + 1) and its powers up to order over m indices. AVX-512: vdivpd is the costliest
 * instruction of a likelihood evaluation (16 cycles for 8 lanes); the 14-bit reciprocal estimate and
 * two Newton steps give h within an ulp in a few cycles. */
#if defined(__x86_64__)
__attribute__((target("avx512f"))) static void h_avx512(double l, const double *e, double *h, double *hh, double *hhh,
                                                        uint32_t m, int order)
{
    const __m512d L = _mm512_set1_pd(l), one = _mm512_set1_pd(1.0);
    for (uint32_t i = 0; i < m; i += 8) {
        const __mmask8 k = m - i >= 8 ? 0xff : (__mmask8)((1u << (m - i)) - 1);
        const __m512d d = _mm512_fmadd_pd(L, _mm512_maskz_loadu_pd(k, e + i), one);
        __m512d r = _mm512_rcp14_pd(d);
        r = _mm512_fmadd_pd(r, _mm512_fnmadd_pd(d, r, one), r);
        r = _mm512_fmadd_pd(r, _mm512_fnmadd_pd(d, r, one), r);
        _mm512_mask_storeu_pd(h + i, k, r);
        if (order >= 2) {
            const __m512d r2 = _mm512_mul_pd(r, r);
            _mm512_mask_storeu_pd(hh + i, k, r2);
            if (order >= 3) _mm512_mask_storeu_pd(hhh + i, k, _mm512_mul_pd(r2, r));
        }
    }
}

#endif

static void h_plain(double l, const double *e, double *h, double *hh, double *hhh, uint32_t m, int order)
{
    for (uint32_t i = 0; i < m; i++) h[i] = 1.0 / (l * e[i] + 1.0);
    if (order >= 2)
        for (uint32_t i = 0; i < m; i++) hh[i] = h[i] * h[i];
    if (order >= 3)
        for (uint32_t i = 0; i < m; i++) hhh[i] = hh[i] * h[i];
}

typedef void (*h_fn)(double, const double *, double *, double *, double *, uint32_t, int);

static h_fn h_pick(void)
{
#if defined(__x86_64__)
    return __builtin_cpu_supports("avx512f") ? h_avx512 : h_plain;
#else
    return h_plain;
#endif
}

/* T[0], T[1] += w over m indices (zero-padded like chunk_sums). */
static inline __attribute__((always_inline)) void chunk_total(v8 *T, const double *w, uint32_t m)
{
    v8 a0 = T[0], a1 = T[1];
    uint32_t i = 0;
    for (; i + 16 <= m; i += 16) a0 += ld8(w + i), a1 += ld8(w + i + 8);
    if (i < m) {
        double t[16] = {0};
        memcpy(t, w + i, (m - i) * sizeof *w);
        a0 += ld8(t), a1 += ld8(t + 8);
    }
    T[0] = a0, T[1] = a1;
}

/* Level-0 sums of the pairs k with want[k] (every pair: want NULL): s1 = sum h u_k and, up to order,
 * s2 = sum h^2 u_k, s3 = sum h^3 u_k; tr (when not NULL) = sum h, sum h^2. h = 1 / (l e + 1) made
 * here, or taken from hp, hhp (order <= 2). */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void sums(const lmm_fn_t *f, double l, const double *hp, const double *hhp, int order, const uint8_t *want,
                 double *s1, double *s2, double *s3, double *tr)
{
    const uint32_t n = f->n, ch = n < LMM_CHUNK ? n : LMM_CHUNK;
    int ks[LMM_MAXNI], np = 0;
    for (int k = 0; k < f->NI; k++)
        if (!want || want[k]) ks[np++] = k;
    v8 A[6 * (size_t)np + 4];
    memset(A, 0, sizeof A);
    v8 *T = A + 6 * (size_t)np;
    double *h = f->hbuf, *hh = h + ch, *hhh = hh + ch;
    const h_fn hfn = hp ? NULL : h_pick();
    for (uint32_t i0 = 0; i0 < n; i0 += LMM_CHUNK) {
        const uint32_t m = n - i0 < LMM_CHUNK ? n - i0 : LMM_CHUNK;
        const double *w1 = h, *w2 = hh;
        if (hp) w1 = hp + i0, w2 = hhp + i0;
        else hfn(l, f->eval + i0, h, hh, hhh, m, order >= 2 || tr ? (order > 2 ? 3 : 2) : 1);
        if (tr) chunk_total(T, w1, m), chunk_total(T + 2, w2, m);
        for (int j = 0; j < np; j++) chunk_sums(A + 6 * j, order, w1, w2, hhh, f->u[ks[j]] + i0, m);
    }
    for (int j = 0; j < np; j++) {
        const int k = ks[j];
        s1[k] = lanes_total(A + 6 * j);
        if (order >= 2) s2[k] = lanes_total(A + 6 * j + 2);
        if (order >= 3) s3[k] = lanes_total(A + 6 * j + 4);
    }
    if (tr) tr[0] = lanes_total(T), tr[1] = lanes_total(T + 2);
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

/* The pairs without the variant from stored sums (a grid point or a fixed point), the variant's
 * pairs summed with the stored h. */
static void level0_stored(const lmm_fn_t *f, const double *h, const double *hh, const double *t1s, const double *t2s,
                          int order, double *P, double *PP, double *tr)
{
    sums(f, 0, h, hh, order, f->isx, P, PP, NULL, NULL);
    for (int k = 0; k < f->NI; k++)
        if (!f->isx[k]) {
            P[k] = t1s[k];
            if (order >= 2) PP[k] = t2s[k];
        }
}

static const lmm_memo_t *memo_find(const lmm_fn_t *f, double l, int order)
{
    if (f->memo)
        for (int k = 0; k < LMM_NMEMO; k++)
            if (f->memo[k].order >= order && f->memo[k].l == l) return &f->memo[k];
    return NULL;
}

/* Level-0 sums (with h, h^2, h^3 up to order) and the recursions; gi >= 0: grid point gi from f->pre
 * (order <= 2). A lambda already summed (f->memo) is copied. */
static void lik_sums(const lmm_fn_t *f, double l, int order, int gi, double *P, double *PP, double *PPP,
                     double *tr1, double *tr2)
{
    const size_t VN = (size_t)f->V * f->NI;
    const lmm_memo_t *mm = memo_find(f, l, order);
    if (mm) {
        memcpy(P, mm->P, VN * sizeof *P);
        if (order >= 2) memcpy(PP, mm->P + VN, VN * sizeof *P);
        if (order >= 3) memcpy(PPP, mm->P + 2 * VN, VN * sizeof *P);
        *tr1 = mm->t1, *tr2 = mm->t2;
        return;
    }
    double tr[2];
    if (gi >= 0 && f->pre) {
        const lmm_pre_t *pre = f->pre;
        level0_stored(f, pre->h + (size_t)gi * f->n, pre->hh + (size_t)gi * f->n, pre->s1[gi], pre->s2[gi], order, P,
                      PP, tr);
        tr[0] = pre->t1[gi], tr[1] = pre->t2[gi];
    } else if (order >= 2) sums(f, l, NULL, NULL, order, NULL, P, PP, PPP, tr);
    else sums(f, l, NULL, NULL, 1, NULL, P, NULL, NULL, NULL), tr[0] = tr[1] = 0;
    levels(f, order, P, PP, PPP);
    *tr1 = tr[0], *tr2 = tr[1];
    if (!f->memo) return;
    lmm_memo_t *w;
    if (gi >= 0) w = &f->memo[2 + gi];
    else { /* the two most recent: 0 the newest */
        const lmm_memo_t t = f->memo[1];
        f->memo[1] = f->memo[0], f->memo[0] = t;
        w = &f->memo[0];
    }
    w->l = l, w->order = order, w->t1 = tr[0], w->t2 = tr[1];
    memcpy(w->P, P, VN * sizeof *P);
    if (order >= 2) memcpy(w->P + VN, PP, VN * sizeof *P);
    if (order >= 3) memcpy(w->P + 2 * VN, PPP, VN * sizeof *P);
}

int lmm_logdet_group(const double *eval, uint32_t n)
{
    double mx = 0;
    for (uint32_t i = 0; i < n; i++) mx = eval[i] > mx ? eval[i] : mx;
    const double d = log10(L_MAX * mx + 1.0); /* digits of the largest factor */
    const int g = d > 0 ? (int)(280.0 / d) : 64;
    return g < 1 ? 1 : g > 64 ? 64 : g;
}

/* log det(lambda D + I) = sum log(lambda d_i + 1), d_i >= 0: products of f->lgrp factors per lane
 * (below 1e280), renormalised by frexp, so one log per lane instead of one per eigenvalue. */
static double logdet_h(const lmm_fn_t *f, double l)
{
    const uint32_t n = f->n;
    const double *e = f->eval;
    double p[8] = {1, 1, 1, 1, 1, 1, 1, 1}, s = 0;
    long ex = 0;
    int cnt = 0;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int q = 0; q < 8; q++) p[q] *= l * e[i + q] + 1.0;
        if (++cnt == f->lgrp) {
            for (int q = 0; q < 8; q++) {
                int x;
                p[q] = frexp(p[q], &x), ex += x;
            }
            cnt = 0;
        }
    }
    for (int q = 0; i + q < n; q++) p[q] *= l * e[i + q] + 1.0;
    for (int q = 0; q < 8; q++) s += log(p[q]);
    return s + (double)ex * M_LN2;
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

/* h, h^2 at l into h, hh; every pair's sums; the traces. */
static void point_sums(const lmm_fn_t *f, double l, double *h, double *hh, double *s1, double *s2, double *t1,
                       double *t2)
{
    double tr[2];
    for (uint32_t i = 0; i < f->n; i++) h[i] = 1.0 / (l * f->eval[i] + 1.0), hh[i] = h[i] * h[i];
    sums(f, l, h, hh, 2, NULL, s1, s2, NULL, tr);
    *t1 = tr[0], *t2 = tr[1];
}

void lmm_pre_fill(const lmm_fn_t *f, lmm_pre_t *pre)
{
    for (int gi = 0; gi <= LMM_NGRID; gi++) {
        const double l = lmm_grid_lambda(gi);
        point_sums(f, l, pre->h + (size_t)gi * f->n, pre->hh + (size_t)gi * f->n, pre->s1[gi], pre->s2[gi],
                   &pre->t1[gi], &pre->t2[gi]);
        pre->logdet[gi] = logdet_h(f, l);
    }
}

int lmm_point_fill(const lmm_fn_t *f, double l, lmm_point_t *pt)
{
    memset(pt, 0, sizeof *pt);
    pt->l = l;
    if (!(pt->h = malloc((size_t)f->n * sizeof *pt->h)) || !(pt->hh = malloc((size_t)f->n * sizeof *pt->hh))) {
        lmm_point_free(pt);
        return BCMS_ENOMEM;
    }
    point_sums(f, l, pt->h, pt->hh, pt->s1, pt->s2, &pt->t1, &pt->t2);
    return 0;
}

void lmm_point_free(lmm_point_t *pt)
{
    free(pt->h), free(pt->hh);
    pt->h = pt->hh = NULL;
}

void lmm_lik_P_at(const lmm_fn_t *f, const lmm_point_t *pt, double *P)
{
    double tr[2];
    level0_stored(f, pt->h, pt->hh, pt->s1, pt->s2, 1, P, NULL, tr);
    levels(f, 1, P, NULL, NULL);
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
/* Newton's set-up asks for f then f' at one lambda: sum to order 3 once (f' finds it in the memo) */
static double gd1n(double l, void *p)
{
    const gsl_ud_t *u = p;
    double d2;
    return lik_dev(u->f, l, u->reml, &d2);
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
    gsl_function_fdf FDF = {gd1n, gd2, gd12, u};
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

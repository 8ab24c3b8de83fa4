/* lmm_internal.h: what lmm.c and lmm_lik.c share. Not part of the contract. GPL-3.0-or-later. */
#ifndef BCMS_LMM_INTERNAL_H
#define BCMS_LMM_INTERNAL_H

#include <stdint.h>

#include <gsl/gsl_roots.h>

#include "lmm.h"

#define LMM_MAXC 32                                  /* covariates (intercept included) */
#define LMM_MAXV (LMM_MAXC + 2)
#define LMM_MAXNI (LMM_MAXV * (LMM_MAXV + 1) / 2)

/* Packed index of the pair (a, b) of V variables, either order. */
static inline int lmm_idx(int V, int a, int b)
{
    if (a > b) {
        int t = a;
        a = b, b = t;
    }
    return a * V - a * (a - 1) / 2 + (b - a);
}

#define LMM_NGRID 11 /* GEMMA's 10 log-spaced intervals of [1e-5, 1e5]: 11 ends */

/* What every variant shares at the grid's lambdas (and at exactly 1e5, point LMM_NGRID): h and h^2,
 * their sums, log det(lambda D + I), and the level-0 sums of the pairs without the variant (the
 * covariates and y). Filled from the null model; x's pairs are the only per-variant work there. */
typedef struct {
    double *h, *hh; /* (LMM_NGRID + 1) x n each */
    double t1[LMM_NGRID + 1], t2[LMM_NGRID + 1], logdet[LMM_NGRID + 1];
    double s1[LMM_NGRID + 1][LMM_MAXNI], s2[LMM_NGRID + 1][LMM_MAXNI];
} lmm_pre_t;

/* The first derivatives (ML 0, REML 1) at the grid and the likelihoods at both ends. */
typedef struct {
    double dv[2][LMM_NGRID];
    double fl[2], fh[2];
} lmm_grid_t;

/* The likelihood of one variant (or of the null model): n eigenvalues, the products of the rotated
 * variables (uab: NI x n, pair k's products at every eigen index contiguous), 3n doubles of scratch
 * (hbuf), and I = P at h = 1 (for the REML determinant). */
typedef struct {
    uint32_t n;
    int c, V, NI, null;
    const double *eval;
    const double *uab;
    double *hbuf;
    double I[LMM_MAXV * LMM_MAXNI];
    const lmm_pre_t *pre;    /* NULL: every sum computed */
    uint8_t isx[LMM_MAXNI];  /* pair k involves the variant (column c) */
} lmm_fn_t;

typedef struct {
    gsl_root_fsolver *brent;
    gsl_root_fdfsolver *newton;
} lmm_solvers_t;

/* The grid's lambda i (i = LMM_NGRID: exactly the upper end). */
double lmm_grid_lambda(int i);
/* Fill pre (h, hh allocated by the caller) from f (the null model: every sum computed). */
void lmm_pre_fill(const lmm_fn_t *f, lmm_pre_t *pre);
/* The grid of f (with f->pre when set). */
void lmm_lik_grid(const lmm_fn_t *f, lmm_grid_t *g);
/* Log-likelihood (reml 0) or restricted log-likelihood (reml 1) at lambda. */
double lmm_lik_f(const lmm_fn_t *f, double l, int reml);
/* GEMMA's search over the grid g (lmm_lik_grid of f): *lambda and *logf; returns 1 when a Newton/Brent step failed (both NaN). */
int lmm_lik_max(const lmm_fn_t *f, const lmm_grid_t *g, lmm_solvers_t *sv, int reml, double *lambda, double *logf);
/* P (levels 0..V-1, NI each) at lambda. */
void lmm_lik_P(const lmm_fn_t *f, double l, double *P);

#endif

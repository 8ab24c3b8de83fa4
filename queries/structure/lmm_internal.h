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
} lmm_fn_t;

typedef struct {
    gsl_root_fsolver *brent;
    gsl_root_fdfsolver *newton;
} lmm_solvers_t;

/* Log-likelihood (reml 0) or restricted log-likelihood (reml 1) at lambda. */
double lmm_lik_f(const lmm_fn_t *f, double l, int reml);
/* GEMMA's search: *lambda and *logf; returns 1 when a Newton/Brent step failed (both NaN). */
int lmm_lik_max(const lmm_fn_t *f, lmm_solvers_t *sv, int reml, double *lambda, double *logf);
/* P (levels 0..V-1, NI each) at lambda. */
void lmm_lik_P(const lmm_fn_t *f, double l, double *P);

#endif

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

/* A lambda every variant is evaluated at (lambda 0 for the REML determinant, the null ML lambda for
 * the score test): h and h^2 there, their sums and the level-0 sums of the pairs without the variant. */
typedef struct {
    double l, t1, t2;
    double *h, *hh; /* n each, owned */
    double s1[LMM_MAXNI], s2[LMM_MAXNI];
} lmm_point_t;

/* The sums (every level, up to order) at one lambda, kept so that a lambda met again (the grid's
 * ends in Brent's set-up, Newton's last iterates in the likelihood and the Wald test) is not summed
 * again. P, PP, PPP: V x NI each, in one block of 3 V NI doubles. */
typedef struct {
    double l, t1, t2;
    int order; /* 0: empty */
    double *P;
} lmm_memo_t;
#define LMM_NMEMO (2 + LMM_NGRID + 1) /* the last two evaluations, then the grid's points */

/* The likelihood of one variant (or of the null model): n eigenvalues, the products of the rotated
 * variables (u[k]: pair k's products at every eigen index), 3 LMM_CHUNK doubles of scratch (hbuf; 3n
 * when n is smaller), and I = P at h = 1 (for the REML determinant). */
#define LMM_CHUNK 512 /* eigen indices whose h, h^2, h^3 are held in L1 while every pair is summed */
typedef struct {
    uint32_t n;
    int c, V, NI, null;
    int lgrp;                     /* factors multiplied per log in log det (no overflow) */
    const double *eval;
    const double *u[LMM_MAXNI];
    double *hbuf;
    double I[LMM_MAXV * LMM_MAXNI];
    const lmm_pre_t *pre;         /* NULL: every sum computed */
    lmm_memo_t *memo;             /* NULL or LMM_NMEMO entries */
    uint8_t isx[LMM_MAXNI];       /* pair k involves the variant (column c) */
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
/* The log det group for eigenvalues eval (see lgrp). */
int lmm_logdet_group(const double *eval, uint32_t n);
/* pt at lambda l from f (the null model); pt->h, pt->hh allocated here (0 or BCMS_ENOMEM). */
int lmm_point_fill(const lmm_fn_t *f, double l, lmm_point_t *pt);
void lmm_point_free(lmm_point_t *pt);
/* P at pt (f a variant: its pairs summed with pt's h, the others taken from pt). */
void lmm_lik_P_at(const lmm_fn_t *f, const lmm_point_t *pt, double *P);

/* ---- the rotation of the variants (lmm_rot.c) ---- */
#define LMM_BLOCK 256 /* variants rotated together */

/* U sample-major: row i holds sample i's coordinates on every eigenvector (U[i * n + j] = eigenvector
 * j at sample i); u1 = U'1. Read-only after init. */
typedef struct {
    uint32_t n;
    double *U, *u1;
} lmm_rot_t;

/* One thread's scratch: dense rows (LMM_BLOCK x n) and the sparse rows' non-zeros. */
typedef struct {
    double *x, *val, *tile;
    uint32_t *smp;
    uint32_t ptr[LMM_BLOCK + 1];
} lmm_rot_ws_t;

/* Take *Ut (n x n, row j = eigenvector j, malloc'd): r gets it transposed, *Ut is freed and set to
 * NULL. 0 or BCMS_ENOMEM (then *Ut is untouched). */
int lmm_rot_init(lmm_rot_t *r, double **Ut, uint32_t n);
void lmm_rot_free(lmm_rot_t *r);
/* The two halves of lmm_rot_init, for a U that arrives already sample-major (e.g. broadcast from
 * another MPI rank): allocate r (U uninitialised), then u1 from U. */
int lmm_rot_alloc(lmm_rot_t *r, uint32_t n);
void lmm_rot_sums(lmm_rot_t *r);
int lmm_rot_ws_init(lmm_rot_ws_t *ws, uint32_t n);
void lmm_rot_ws_free(lmm_rot_ws_t *ws);
/* Whether a variant whose codes 0..3 have counts cnt is rotated sparse: at most n / 4 samples carry
 * its minor allele or miss the call. Depends on nothing else. */
int lmm_rot_sparse(const uint32_t cnt[4], uint32_t n);
/* U'x for the nb <= LMM_BLOCK variants v[0..nb-1] of codes (rows of n codes; 0/1/2, 3 missing), all of
 * one kind (sparse: lmm_rot_sparse), x the calls with missing at mean[k], cnt[k] the code counts:
 * variant v[k]'s U'x in row k of ux (LMM_BLOCK x n). */
void lmm_rot_apply(const lmm_rot_t *r, lmm_rot_ws_t *ws, const uint8_t *codes, const uint32_t *v, uint32_t nb,
                   int sparse, const uint32_t (*cnt)[4], const double *mean, double *ux);

#endif

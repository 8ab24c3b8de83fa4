/* cox_internal.h: private layout shared by cox_null.c, cox_fit.c, cox_score.c, cox_spa.c.
 * bcms, GPL-3.0-or-later.
 *
 * Risk-set structure. Event times are numbered j = 0..J-1, ascending within each stratum, strata one
 * after the other (stratum s owns [sofs[s], sofs[s+1])). Sample i is at risk at the event times
 * j in [lo[i], hi[i]) (entry < t_j <= time); an event sample dies at ev[i] = hi[i] - 1. Risk-set sums
 * are then difference arrays: add at hi-1, remove at lo-1 (only with left truncation), accumulated
 * from the last event time down within a stratum, so right-censored data never subtract. */
#ifndef BCMS_COX_INTERNAL_H
#define BCMS_COX_INTERNAL_H

#include <stdint.h>
#include "cox.h"

/* per-sample record read by the per-variant kernel, packed so one cache line serves a sample */
typedef struct cox_rec_t {
    double m, e, w;          /* martingale residual, expected count, exp(eta) */
    int lo, hi, first, ev;   /* at-risk event times [lo, hi) (lo = hi = 0: never at risk), first
                                event time of the stratum, death index or -1 */
    int iadd, isub, idth, pad; /* branch-free kernel: slots hi-1, lo-1, ev, or J (a dummy slot) */
} cox_rec_t;

/* one grid point of the SPA table and the differences to the next point, so that one cache line
 * serves a linear interpolation in the cell [t, next t) (cox_spa.c) */
typedef struct cox_spa_cell_t {
    double t, ih;   /* grid point, 1 / (next t - t) (0 in the last cell) */
    double k0, d0;  /* K0(t), K0(next t) - K0(t) */
    double k1, d1;  /* K0'(t), difference */
    double k2, d2;  /* K0''(t), difference */
} cox_spa_cell_t;

#define COX_SPA_NBIN 256 /* bins of the SPA's approximate CGF (Newton start) */
#define COX_NDUMMY 8 /* dummy slots J..J+7 of the per-variant kernel (a power of 2) */

struct cox_null_t {
    int n, k, ns, J, n_geno, n_event, iter;
    int *gidx;                 /* n, or NULL = identity */
    double *off;               /* n: offset of the linear predictor (0 without one) */
    int *lo, *hi, *ev, *strat; /* n */
    uint8_t *event;            /* n */
    int *sofs;                 /* ns + 1 */
    double *cc, *cmean, *csd;  /* n*k covariates centred and scaled to unit SD (the fit's coordinates,
                                  well conditioned whatever the units: age in seconds, a Unix-time
                                  date), k means, k SDs */
    double *beta, *var;        /* k, k*k, in the scaled coordinates */
    double *beta_raw, *var_raw; /* k, k*k, on the covariates' own scale (cox_null_coef/var) */
    double loglik;
    /* per-variant precomputation */
    double *w, *m, *e, *ht;    /* n: exp(eta), martingale residual, expected, n*k: L^-1 H_i */
    cox_rec_t *rec;            /* n: w, m, e, lo, hi, ... packed for the kernel */
    double *qa, *qb, *qc;      /* J: sum_r 1/S0r^2, f_r/S0r^2, f_r^2/S0r^2 */
    /* SPA */
    int ng;
    double gc, igc;             /* Cauchy grid scale and its inverse */
    cox_spa_cell_t *cell;       /* ng: K0, K0', K0'' of the residuals on the grid */
    double m2;                  /* mean of M^2 = K0''(0) */
    double c3;                  /* third central moment of M = K0'''(0) (Newton start) */
    int nz;                     /* columns of Z = [strata indicators, C] */
    double *zzinv;              /* nz*nz (Z'Z)^-1 */
    /* the hard-call score kernel, in genotype-column order (cox_score.c): row j of column j */
    int gkw;                    /* doubles per row: 3 + k */
    double *gk;                 /* n_geno * gkw: m, e, w, Ht (all 0 for a column outside the model) */
    int32_t *gks;               /* n_geno * 4: iadd, isub, idth (a dummy slot >= J: none), unused */
    int *gex, ngex;             /* the genotype columns outside the model */
    uint8_t gpos[256][9];       /* the positions of the set bits of a byte, then their number */
    double *qap;                /* J + 1: qap[j] = qa[0] + ... + qa[j-1] (sparse quadratic form) */
    int *jstrat;                /* J: the stratum of event time j */
};

struct cox_ws_t {
    int n, k, J;
    double *x;          /* n: the variant in model order */
    double *xt;         /* n: the carriers' variant values, then covariate-adjusted (SPA); then
                           n_geno + 8: a dosage variant's listed values */
    int *ci;            /* n: the carriers' sample indices, then their grid cells (SPA) */
    double *s1, *d1;    /* J */
    double *xm;         /* n*(k+1) design of the full fit */
    uint8_t *mask;      /* n */
    double *rbuf, *dbuf; /* eval buffers for p = k+1 */
    double *scr;        /* Newton scratch */
    double *b0, *b1, *var1, *u1; /* k+1, k+1, (k+1)^2, k+1 */
    double *zb;         /* nz */
    double *bin;        /* 2 * COX_SPA_NBIN: binned carriers of the SPA's Newton start */
    double *sb, *db;    /* J + COX_NDUMMY: a variant's risk-set / death sums (difference arrays);
                           all 0 between variants */
    uint64_t *tb;       /* (J + COX_NDUMMY + 63) / 64 words: the slots a sparse variant touched */
    double *acc;        /* k + 2: U, lin, cross */
    int *gl;            /* n_geno + 8: the genotype columns a hard-call variant visits */
};

/* m = number of doubles per event time in the eval buffers for p covariates. */
static inline int cox_eval_width(int p) { return 1 + p + p * (p + 1) / 2; }

/* loglik, score U (p) and information I (p*p) at beta for design X (n*p row-major, model order),
 * over the samples with mask[i] != 0 (mask NULL = all). rbuf: J*m, dbuf: J*(m+1) (m from
 * cox_eval_width); on return they hold the risk-set and death sums per event time. */
void cox_eval(const cox_null_t *nm, int p, const double *X, const uint8_t *mask, const double *beta,
              double *ll, double *U, double *I, double *rbuf, double *dbuf);

typedef struct cox_nr_t {
    int iter, flags;
    double loglik;
} cox_nr_t;

/* Newton-Raphson as survival's coxfit6/agfit4 (step halving, eps on relative loglik). beta: in the
 * start, out the estimate. var: p*p inverse information at the estimate, u: score there.
 * scr: at least 4p + 2p^2 doubles. Returns 0 or BCMS_ENUMERIC (info->flags says why). */
int cox_newton(const cox_null_t *nm, int p, const double *X, const uint8_t *mask, double *beta,
               const cox_opts_t *o, double *var, double *u, double *rbuf, double *dbuf, double *scr,
               cox_nr_t *info);

/* Cholesky of a p*p SPD matrix in place (lower). 0, or -1 when not positive definite. */
int cox_chol(double *a, int p);
void cox_chol_solve(const double *l, int p, double *b);
int cox_chol_inv(const double *a, int p, double *inv, double *tmp);

/* Full fit of ws->x over the samples with ws->mask set when n_miss > 0 (cox_fit.c). */
int cox_fit_ws(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int n_miss, cox_result_t *r);

/* Build gk/gks/gex from rec and ht (cox_score.c). 0 or BCMS_ENOMEM. */
int cox_gk_init(cox_null_t *nm);

/* SPA (cox_spa.c) */
int cox_spa_init(cox_null_t *nm);
/* Two-sided log p of the score u (SPA; v, the exact variance, only checked > 0). The variant enters
 * through its nc carriers (non-zero values, after the flip to the minor allele): sample indices
 * ws->ci[0..nc) in model order and values ws->xt[0..nc); the call overwrites both (scratch).
 * Returns 0, or -1 if the saddlepoint failed. */
int cox_spa_logp(const cox_null_t *nm, cox_ws_t *ws, int nc, double u, double v, double *logp);

/* log of the two-sided normal p for z. */
double cox_norm_logp2(double z);

#endif

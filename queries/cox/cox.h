/* cox.h: Cox proportional hazards for prognosis scans (the model core, independent of the store).
 * bcms, GPL-3.0-or-later.
 *
 * Model: counting-process Cox model (entry, time] with optional strata, Efron ties, covariates C
 * (n x k, no intercept), the same partial likelihood as R survival::coxph.
 *
 * Work flow, per endpoint:
 *   cox_opts_init(&o);  ...set options...;  cox_opts_check(&o);
 *   cox_null_fit(&data, &o, &nm);            fit once: Newton-Raphson as coxph (eps, iter_max)
 *   per thread: cox_ws_alloc(nm, &ws);        one workspace per thread, allocated once
 *   per variant: cox_test_gt / cox_test_dosage / cox_test_x (nm, ws, &o, genotypes, &res)
 *   cox_ws_free(ws); cox_null_free(nm);
 *
 * Per variant:
 *  - exact efficient score test at the null estimates: U = sum_i x_i M_i (M = Efron martingale
 *    residuals; U is exactly the Efron score of the added covariate) and its exact variance
 *    V = I_xx - I_xC I_CC^-1 I_Cx, computed from risk-set sums in O(n + J + nnz k) per variant
 *    (J = number of distinct event times, nnz = samples with a non-zero value after the flip to the
 *    minor allele). No martingale-residual variance approximation.
 *  - when |z| >= spa_zmin: saddlepoint approximation (SPACox, Bi et al. 2020): the cumulant
 *    generating function of the score is built from the empirical CGF of the null martingale
 *    residuals applied to the covariate-adjusted genotype (OLS on [strata indicators, C]); as in
 *    SPACox the SPA uses its own variance (m2 sum xt^2, the exchangeable-residual variance) rather
 *    than V: with rare variants V depends on which samples carry the allele and U/sqrt(V) is
 *    anti-conservative in the upper tail (see cox_spa.c). p from Lugannani-Rice, both tails, on the
 *    log scale (log10p stays finite when p underflows). p may jump at |z| = spa_zmin, as in SPACox.
 *  - full Newton-Raphson fit of (x, C) from (0, null beta) when the score p < fit_pmax, or when the
 *    one-step estimate U/V is beyond onestep_max and p < onestep_fit_pmax (see cox_report): beta, SE
 *    (inverse information), Wald z/p, likelihood-ratio test. Non-convergence, an infinite
 *    coefficient (coxph's "Loglik converged before variable ...; coefficient may be infinite" rule)
 *    or a singular information matrix set fit_status = BCMS_ENUMERIC and fit_flags; the numbers are
 *    then NAN, never reported.
 *
 * Missing genotypes (code 3, or NaN dosage): the score test mean-imputes them (the mean of the
 * non-missing values of that variant), so the null model and its risk sets are shared by every
 * variant, as in SPACox/gwasurvivr-style scans. The full fit drops the samples with a missing
 * genotype (coxph na.omit): the null model is refitted on the same subset (starting from the null
 * estimates) so that the LRT compares nested models on the same samples. Without missing calls the
 * score test equals coxph's score test at init = (0, null coefficients).
 *
 * Threads: a cox_null_t is read-only after cox_null_fit and may be shared by any number of threads;
 * a cox_ws_t belongs to one thread at a time. No globals; nothing is printed.
 * geno_index must be injective (two model samples on one genotype column are refused, BCMS_EINVAL).
 * Errors: functions return 0 or a negative BCMS_E* code (engine/err.h) with a detail message. */
#ifndef BCMS_COX_H
#define BCMS_COX_H

#include <stdint.h>

typedef struct cox_opts_t {
    double eps;       /* relative loglik change for convergence, as coxph.control eps (1e-9) */
    int iter_max;     /* Newton iterations, as coxph.control iter.max (20) */
    double toler_inf; /* infinite-coefficient check, as coxph.control toler.inf (sqrt(eps)) */
    double fit_pmax;  /* full fit when score p < fit_pmax (1e-4); 0 = never, > 1 = always */
    double onestep_max; /* the one-step estimate U/V stands for the MLE only when |U/V| <= onestep_max
                           (1.0); beyond, the variant is refitted when its p < onestep_fit_pmax */
    double onestep_fit_pmax; /* 0.05 (only when fit_pmax > 0); above it such a row has BETA NA: these
                           are rare variants whose MLE is often infinite, and refitting them all
                           made a scan ~10x slower */
    int spa;          /* 1: saddlepoint approximation in the tails (default), 0: normal only */
    double spa_zmin;  /* SPA when |z| >= spa_zmin (2.0) */
} cox_opts_t;

void cox_opts_init(cox_opts_t *o);
/* 0 or BCMS_EINVAL (with a message naming the bad option). */
int cox_opts_check(const cox_opts_t *o);

/* The samples of one endpoint. All per-sample arrays have n entries in the model's sample order and
 * must be complete (drop samples with a missing time, event or covariate before). Not copied
 * beyond cox_null_fit except where stated: the null model keeps its own copies. */
typedef struct cox_data_t {
    int n;
    const double *time;  /* event or censoring time */
    const int *event;    /* 1 event, 0 censored */
    const double *entry; /* NULL, or left-truncation entry time: at risk on (entry, time], entry < time */
    const int *strata;   /* NULL, or any integer label per sample */
    int k;               /* number of covariates (may be 0) */
    const double *cov;   /* n*k row-major: cov[i*k + c]; NULL when k == 0 */
    int n_geno;          /* length of the genotype vectors passed per variant; 0 means n */
    const int *geno_index; /* NULL = identity, else model sample i reads genotype[geno_index[i]] */
    const double *offset; /* NULL, or n finite values added to every linear predictor (null model,
                             score test, full fit), as coxph(... + offset(o)) */
} cox_data_t;

typedef struct cox_null_t cox_null_t; /* opaque: the fitted null model + per-variant precomputation */
typedef struct cox_ws_t cox_ws_t;     /* opaque: one thread's scratch space */

/* Fit the null model. On success *out is owned by the caller (cox_null_free). Errors: BCMS_EINVAL
 * (bad data: entry >= time, event not 0/1, non-finite values, no events), BCMS_ENUMERIC (the null
 * model did not converge, is singular, or has an infinite coefficient), BCMS_ENOMEM. */
int cox_null_fit(const cox_data_t *d, const cox_opts_t *o, cox_null_t **out);
void cox_null_free(cox_null_t *nm);

int cox_null_n(const cox_null_t *nm);
int cox_null_k(const cox_null_t *nm);
int cox_null_n_events(const cox_null_t *nm);
int cox_null_iter(const cox_null_t *nm);
double cox_null_loglik(const cox_null_t *nm);
/* Pointers into the model (k entries / k*k row-major), valid until cox_null_free. */
const double *cox_null_coef(const cox_null_t *nm);
const double *cox_null_var(const cox_null_t *nm);
/* Efron martingale residuals of the null model, n entries (model order). */
const double *cox_null_resid(const cox_null_t *nm);

/* Workspace for one thread. Owned by the caller (cox_ws_free). BCMS_ENOMEM. */
int cox_ws_alloc(const cox_null_t *nm, cox_ws_t **out);
void cox_ws_free(cox_ws_t *ws);

enum cox_fit_flag {
    COX_FIT_NOCONV = 1,   /* iter_max reached without convergence */
    COX_FIT_INFINITE = 2, /* loglik converged before the coefficient: coefficient may be infinite */
    COX_FIT_SINGULAR = 4, /* information matrix not positive definite */
    COX_FIT_NONFINITE = 8 /* loglik or estimates not finite */
};

typedef struct cox_result_t {
    /* score test (all model samples, missing genotypes mean-imputed) */
    int score_status;  /* 0, or BCMS_ENUMERIC when V <= 0 (monomorphic variant): p is NAN */
    int n_miss;        /* samples with a missing genotype */
    double af;         /* mean(x)/2 over non-missing samples (ALT allele frequency for 0/1/2 codes) */
    double u, v, z;    /* efficient score, its variance, u/sqrt(v) */
    double p, log10p;  /* two-sided score p (SPA when spa_used); log10p finite even if p == 0 */
    int spa_used;      /* 1 when p comes from the saddlepoint approximation */
    /* full fit */
    int fitted;        /* 1 when the full fit was attempted */
    int fit_status;    /* 0 ok, BCMS_ENUMERIC when flagged (see fit_flags); numbers below are NAN */
    int fit_flags;     /* COX_FIT_* bits */
    int fit_iter;
    int n_fit, events_fit; /* samples and events used by the full fit (missing genotypes dropped) */
    double beta, se, hr, wald_z, wald_p, wald_log10p;
    double lrt, lrt_p, lrt_log10p; /* 2 (loglik full - loglik null on the same samples), chi2 1 df */
    /* what a scan reports (cox_report): P = the score p (SPA in the tails), the calibrated one;
     * BETA = the full fit's log HR where fitted, else the one-step U/V when |U/V| <= onestep_max,
     * else NAN; SE = |BETA| / z(P), so that (BETA/SE)^2 is the chi-square(1) quantile of P, where
     * |z(P)| >= 1; nearer the null the Wald SE of the fit (1/sqrt(V) of the one-step), as the ratio of two
     * numbers near 0 is unstable there */
    int est_kind;        /* COX_EST_* */
    double est, est_se, est_stat; /* BETA, SE, BETA/SE (NAN where they do not exist) */
} cox_result_t;

enum cox_est_kind { COX_EST_NONE = 0, COX_EST_FIT = 1, COX_EST_ONESTEP = 2 };

/* One variant. gt: n_geno hard-call codes 0/1/2 (ALT count), 3 = missing. ds: n_geno dosages, NaN =
 * missing. x: n_geno doubles, NaN = missing. Returns 0 when *res is filled (a monomorphic variant or
 * a flagged fit is reported in res, not as an error), BCMS_EINVAL on bad arguments. */
int cox_test_gt(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const uint8_t *gt,
                cox_result_t *res);
/* nvar hard-call variants, variant v at gt + v * stride (stride >= n_geno); res has nvar entries.
 * Same results as cox_test_gt one by one. A variant costs one pass over its n_geno bytes (eight at a
 * time) plus O(k) per sample whose value (after the flip to the minor allele, missing imputed) is
 * not 0, plus O(J): the model data are kept in genotype-column order, so no gather. */
int cox_test_gt_block(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int nvar,
                      const uint8_t *gt, size_t stride, cox_result_t *res);
/* the same for dosages (NaN = missing), variant v at ds + v * stride */
int cox_test_dosage_block(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, int nvar,
                          const float *ds, size_t stride, cox_result_t *res);
int cox_test_dosage(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const float *ds,
                    cox_result_t *res);
int cox_test_x(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const double *x,
               cox_result_t *res);

/* Fill est_kind, est, est_se, est_stat from the score and fit fields (the cox_test_* calls do it;
 * call again after cox_fit_x). */
void cox_report(const cox_opts_t *o, cox_result_t *res);

/* Full fit regardless of fit_pmax (fills the fit fields of res and leaves the score fields alone). */
int cox_fit_x(const cox_null_t *nm, cox_ws_t *ws, const cox_opts_t *o, const double *x,
              cox_result_t *res);

#endif

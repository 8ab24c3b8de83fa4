/* glm.h: linear and logistic association models, PLINK 2 --glm semantics (bcms, GPL-3.0-or-later).
 *
 * Independent of the store: a scan builds one model per phenotype set from a covariate design
 * (covar.h) and phenotype vectors over the same n samples, then feeds it blocks of variants, each as
 * n genotype codes (uint8: 0 hom-ref, 1 het, 2 hom-alt, 3 missing; the store's layout) or as n
 * ALT dosages (double, NaN = missing). The tested allele A1 is ALT; a sample with a missing call is
 * dropped from that variant's regression exactly (never mean-imputed), so OBS_CT varies by variant.
 *
 * Threads: a model is read-only after init and shared by all threads; each thread owns one
 * workspace (allocated once, reused for every block). A variant's numbers depend only on its own
 * genotypes, never on block size, position in the block or thread count. Nothing prints, nothing
 * is global.
 *
 * Linear: per variant only x'x, x'[Q|Y] over the carriers (a sparse sum for rare variants) and a
 * k x k downdate for the samples with a missing call: O(n_carriers * (k+m) + n_missing * k^2).
 * Logistic: Newton-Raphson from the null model's fit, PLINK 2's convergence/failure rules, Firth
 * penalised likelihood on failure (firth-fallback, the default) or always. */
#ifndef BCMS_GLM_H
#define BCMS_GLM_H

#include <stddef.h>
#include <stdint.h>

#include "covar.h"

enum glm_firth_mode { GLM_FIRTH_NO = 0, GLM_FIRTH_FALLBACK = 1, GLM_FIRTH_ALWAYS = 2 };

typedef struct glm_opts {
    int firth;          /* glm_firth_mode; default GLM_FIRTH_FALLBACK (PLINK 2's default) */
    double vif_thresh;  /* --vif, default 50: genotype VIF above it -> VIF_TOO_HIGH */
    int max_iter;       /* logistic Newton iteration cap after which Firth takes over (PLINK: 15) */
    int firth_max_iter; /* Firth iteration cap (default 100) */
} glm_opts_t;

void glm_opts_init(glm_opts_t *o);
/* 0, or BCMS_EINVAL with a detail naming the bad field. */
int glm_opts_check(const glm_opts_t *o);

/* Error codes of a variant's regression: the result's numbers are NaN and ERRCODE says why. */
enum glm_errcode {
    GLM_OK = 0,
    GLM_ERR_CONST_ALLELE,    /* genotype constant over the samples used: CONST_OMITTED_ALLELE */
    GLM_ERR_VIF_INFINITE,    /* genotype is a linear combination of the covariates */
    GLM_ERR_VIF_TOO_HIGH,    /* genotype VIF > vif_thresh */
    GLM_ERR_TOO_FEW_SAMPLES, /* fewer observations than parameters + 1 */
    GLM_ERR_LOGISTIC_CONVERGE_FAIL, /* logistic failed and Firth was not allowed */
    GLM_ERR_FIRTH_CONVERGE_FAIL,
    GLM_ERR_UNFINISHED,      /* iteration cap reached (numbers are reported, flagged) */
};
/* PLINK 2 spelling of an error code ("." for GLM_OK). */
const char *glm_errcode_str(int err);

typedef struct glm_result {
    double beta;     /* effect of one ALT allele (log-odds for logistic) */
    double se;
    double stat;     /* T_STAT (linear) or Z_STAT (logistic Wald) */
    double p;        /* two-sided; may underflow to 0, see log10p */
    double log10p;   /* log10(P), finite even below 1e-308 */
    double a1_freq;  /* ALT frequency over the samples used */
    double a1_count; /* ALT allele count over the samples used (dosage sum) */
    int n;           /* OBS_CT */
    int firth;       /* 1 if Firth regression produced the numbers */
    int err;         /* glm_errcode */
} glm_result_t;

/* ---------- linear ---------- */
typedef struct glm_linear glm_linear_t;
typedef struct glm_linear_ws glm_linear_ws_t;

/* Build a linear model for m quantitative phenotypes y (n x m column-major, all finite) on design d
 * (copied: d may be freed afterwards). *out is owned by the caller (glm_linear_free).
 * Errors: BCMS_EINPUT (constant/collinear covariate named, non-finite phenotype, constant
 * phenotype), BCMS_EINVAL, BCMS_ENOMEM. */
int glm_linear_init(glm_linear_t **out, const covar_design_t *d, const double *y, int m,
                    const glm_opts_t *opt);
void glm_linear_free(glm_linear_t *lm);
/* One workspace per thread; NULL on allocation failure. */
glm_linear_ws_t *glm_linear_ws_new(const glm_linear_t *lm);
void glm_linear_ws_free(glm_linear_ws_t *ws);

/* nvar variants; variant v's n codes start at codes + v*stride. Results: out[v*m + j] for
 * phenotype j. Returns 0 (per-variant failures are in out[].err) or BCMS_EINVAL. */
int glm_linear_codes(const glm_linear_t *lm, glm_linear_ws_t *ws, const uint8_t *codes,
                     size_t nvar, size_t stride, glm_result_t *out);
/* Same with ALT dosages in [0,2], NaN = missing. */
int glm_linear_dosages(const glm_linear_t *lm, glm_linear_ws_t *ws, const double *dos,
                       size_t nvar, size_t stride, glm_result_t *out);

/* ---------- logistic ---------- */
typedef struct glm_logistic glm_logistic_t;
typedef struct glm_logistic_ws glm_logistic_ws_t;

/* Build a logistic model for one binary phenotype y (n values, 0 = control, 1 = case) on design d
 * (copied). Fits the null model once. Errors: BCMS_EINPUT (bad covariate named, y not 0/1, no cases
 * or no controls), BCMS_ENUMERIC (null model does not converge), BCMS_EINVAL, BCMS_ENOMEM. */
int glm_logistic_init(glm_logistic_t **out, const covar_design_t *d, const double *y,
                      const glm_opts_t *opt);
/* The same with a per-sample offset (n values, NULL = none) added to the linear predictor of the
 * null model and of every variant's fit (Wald and Firth), as R glm(..., offset = o): a known
 * part of the log-odds, e.g. a LOCO polygenic prediction (queries/structure/locopred.h). A
 * non-finite offset is BCMS_EINPUT naming its row. */
int glm_logistic_init_offset(glm_logistic_t **out, const covar_design_t *d, const double *y,
                             const double *offset, const glm_opts_t *opt);
void glm_logistic_free(glm_logistic_t *lg);
glm_logistic_ws_t *glm_logistic_ws_new(const glm_logistic_t *lg);
void glm_logistic_ws_free(glm_logistic_ws_t *ws);

int glm_logistic_codes(const glm_logistic_t *lg, glm_logistic_ws_t *ws, const uint8_t *codes,
                       size_t nvar, size_t stride, glm_result_t *out);
int glm_logistic_dosages(const glm_logistic_t *lg, glm_logistic_ws_t *ws, const double *dos,
                         size_t nvar, size_t stride, glm_result_t *out);

#endif

/* lmm.h: the exact linear mixed model y = W a + x b + g + e, g ~ N(0, s_g K), e ~ N(0, s_e I), with
 * lambda = s_g / s_e, as GEMMA -lmm 4 computes it: K = U D U' once; y, W and every variant rotated by
 * U'; the log-likelihood and restricted log-likelihood of lambda in closed form over the eigenvalues
 * (Zhou & Stephens 2012); lambda found in [1e-5, 1e5] by GEMMA's search (10 log-spaced intervals,
 * Brent on the first derivative, Newton polish). Per variant: Wald test at the REML lambda (BETA, SE,
 * F(1, n - c - 1)), likelihood-ratio test at the ML lambdas (chi2(1)) and score test at the null ML
 * lambda. Missing calls take the variant's mean (as GEMMA). GPL-3.0-or-later.
 *
 * Threads: a model is read-only after init; each thread tests with its own workspace. MPI: one rank fits
 * a model, lmm_model_share gives it to the others. */
#ifndef BCMS_LMM_H
#define BCMS_LMM_H

#include <stdint.h>

#include "structure.h"

typedef struct lmm_model_t lmm_model_t;
typedef struct lmm_ws_t lmm_ws_t;

typedef struct {
    double beta, se, p_wald, p_lrt, p_score, l_remle, l_mle, af;
    int n_miss;
    int err; /* 1: lambda search failed (GEMMA's NaN); 2: no variance */
    double log10p; /* log10 of the Wald p, finite where p underflows (NaN with p_wald) */
} lmm_result_t;

/* Model over n samples with global sample numbers snum[i] (all in K), phenotype y, design W
 * (column-major n x c, intercept included). K's rows are picked for the samples. threads: OpenMP
 * threads for the eigendecomposition (the model's bits do not depend on them). Returns 0 or a
 * BCMS code (a sample without a GRM row names it). */
int lmm_model_init(lmm_model_t **out, const bcms_grm_t *K, const uint32_t *snum, uint32_t n, const double *y,
                   const double *W, int c, int threads);
void lmm_model_free(lmm_model_t *m);
/* MPI (collective: every rank calls it for the same model, in the same order): rank root's model *m,
 * fitted there by lmm_model_init with return code status (the other ranks pass any status, *m NULL),
 * becomes every rank's, bit for bit: its eigendecomposition, rotated covariates and phenotype, the null
 * model's lambdas and the grid's sums (the BLAS and LAPACK kernels, hence their bits, can differ between
 * nodes). Returns 0, root's status on root when it is not 0, and an error on the others then. One rank:
 * returns status. */
int lmm_model_share(lmm_model_t **m, int root, int status, uint32_t n, int c);
/* Null-model estimates, for the log: ML and REML lambda. */
void lmm_model_null(const lmm_model_t *m, double *l_mle, double *l_remle);

lmm_ws_t *lmm_ws_new(const lmm_model_t *m);
void lmm_ws_free(lmm_ws_t *ws);

/* Test nv variants: codes nv x n (0/1/2, 3 missing), contiguous over the model's samples. */
int lmm_test_codes(const lmm_model_t *m, lmm_ws_t *ws, const uint8_t *codes, uint32_t nv, lmm_result_t *res);

/* One output row (the columns of `bcms assoc` up to LOG10P, then P_LRT P_SCORE LAMBDA_REML LAMBDA_ML
 * ERRCODE COVAR_DROPPED; P is the Wald p; STAT is BETA/SE; COVAR_DROPPED is always "." (every variant
 * is tested on all the model's samples); pheno NULL unless several phenotypes). */
#include <htslib/kstring.h>
#include "reader.h"
void lmm_format_row(kstring_t *s, const bcms_variant_t *v, uint32_t n, const lmm_result_t *r, const char *pheno);

#endif

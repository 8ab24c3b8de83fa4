/* locopred.h: leave-one-chromosome-out (LOCO) polygenic predictions of a trait, out of sample, for
 * the offsets of logistic and Cox scans (`bcms assoc --loco-pred`, REGENIE's step-1 idea).
 * GPL-3.0-or-later.
 *
 * Model: the null linear mixed model y = W a + g + e, g ~ N(0, s_g G), e ~ N(0, s_e I), on a trait
 * treated as quantitative (a 0/1 outcome, or the Cox null model's martingale residuals), G the
 * variance-standardised GRM of the autosomal variants (structure.h). The prediction of sample i
 * leaving chromosome c out is the BLUP of g_i from G_{-c} = (Z'Z - Z_c'Z_c) / (m - m_c):
 *     u_te = G_{-c}[te, tr] (G_{-c}[tr, tr] + delta I)^-1 (y_tr - W_tr a_tr),
 * a_tr the GLS estimate on tr. Cross-validation as REGENIE's step 1: the samples are cut into K folds
 * (model sample i in fold i mod K, so relatives fall in different folds) and a sample's prediction
 * comes from the fit on the other K-1 folds only: delta = s_e / s_g by REML (lmm.h) on the training
 * folds with the whole-genome G, a_tr and the BLUP weights from the training folds with G_{-c}. A
 * sample's own phenotype never enters its own prediction. folds == 0 gives the in-sample BLUP
 * (tr = te = all samples), which over-corrects a scan; it is there to show that.
 *
 * Cost: two streaming passes over the genotypes (Z'Z, then each chromosome's Z_c'Z_c), per
 * chromosome K Cholesky factorisations of (n (K-1)/K)^2 matrices; memory ~ (3 + threads) n^2 doubles.
 * Threads: tiles and folds run on o->in.threads threads; the bits do not depend on the count. */
#ifndef BCMS_LOCOPRED_H
#define BCMS_LOCOPRED_H

#include <stdint.h>

#include "structure.h"

typedef struct {
    bcms_structure_sel_t in; /* datasets, site filters, threads; regions and chunks are ignored */
    int folds;               /* K >= 2, or 0 for the in-sample BLUP [5] */
} bcms_locopred_opts_t;

void bcms_locopred_opts_init(bcms_locopred_opts_t *o);

#define BCMS_LOCOPRED_MAXCHR 22

typedef struct {
    uint32_t n;                          /* samples (the caller's order) */
    int nchr;                            /* autosomes with variants */
    char chrom[BCMS_LOCOPRED_MAXCHR][4]; /* their canonical names */
    uint64_t m, mchr[BCMS_LOCOPRED_MAXCHR]; /* variants in G, per chromosome */
    double *pred;                        /* (nchr + 1) x n row-major: row c leaves chrom[c] out, row nchr
                                            uses every autosome (for variants on other contigs) */
    double delta[16];                    /* s_e / s_g per fold (delta[0] in-sample) */
    char **iid;                          /* n sample IIDs */
} bcms_locopred_t;

/* Predictions for the n samples of global numbers snum (all in the selection), trait y, design W
 * (column-major n x c, intercept included). out is cleared with bcms_locopred_clear. Returns 0 or a
 * BCMS code: a sample the selection lacks, no autosomal variant, fewer than 2c + 10 samples per fold,
 * more than 16 folds (BCMS_EINVAL), a REML or Cholesky failure (BCMS_ENUMERIC), BCMS_ENOMEM. */
int bcms_locopred_run(bcms_store_t *st, const bcms_locopred_opts_t *o, const uint32_t *snum, uint32_t n,
                      const double *y, const double *W, int c, bcms_locopred_t *out);
void bcms_locopred_clear(bcms_locopred_t *p);

/* The prediction row (n values) for a variant on canonical contig chrom: its LOCO row for an
 * autosome in the predictor, else the all-autosomes row. */
const double *bcms_locopred_row(const bcms_locopred_t *p, const char *chrom);

#endif

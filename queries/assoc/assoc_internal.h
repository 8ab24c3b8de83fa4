/* assoc_internal.h: what the scan driver (assoc.c) and the model builder (assoc_model.c) share.
 * bcms, GPL-3.0-or-later. */
#ifndef BCMS_ASSOC_INTERNAL_H
#define BCMS_ASSOC_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "assoc.h"
#include "cox.h"
#include "glm.h"
#include "locopred.h"
#include "assoc_resume.h"
#include "outfile.h"
#include "reader.h"
#include <htslib/kstring.h>
#include <htslib/bgzf.h>
#include "lmm.h"

typedef struct assoc_sub_t assoc_sub_t;
typedef struct assoc_hap_t assoc_hap_t;
typedef struct assoc_hap_ws_t assoc_hap_ws_t;
typedef struct assoc_lmmloco_t assoc_lmmloco_t;

/* lmm --loco: the null model's inputs, kept to fit it again with each chromosome's GRM */
typedef struct {
    double *y, *W;         /* model order; W column-major n x c, intercept first */
    int c;
    uint32_t *snum;        /* the model samples' global numbers (their GRM rows) */
} assoc_lmmdesign_t;

/* one model per phenotype (or endpoint) */
typedef struct {
    char *pheno;
    uint32_t n;          /* model samples */
    uint32_t *idx;       /* model sample -> reader sample column (of the chosen samples) */
    int n_event;
    int n_case;          /* logistic: cases (1) */
    glm_linear_t *lin;
    glm_logistic_t *log;
    cox_null_t *cox;
    cox_opts_t cox_opts;
    lmm_model_t *lmm;      /* --model lmm (queries/structure/lmm.h) */
    const bcms_grm_t *grm; /* lmm: the GRM, and each reader sample's global number (its GRM row) */
    const uint32_t *sample_ids;
    assoc_lmmdesign_t *lmmd;   /* lmm --loco: the design (lmm is NULL: one model per chromosome) */
    assoc_lmmloco_t *lmmloco;  /* lmm --loco: the scan's models per chromosome; mi: this model's index */
    int mi;
    double *pvals;       /* per variant, for lambda GC */
    uint64_t tested, failed;
    /* what a model over a subset of the samples needs (assoc_sub_variant); the columns belong to
     * the scan and outlive the model */
    const bcms_assoc_opts_t *o;
    const bcms_col_t *ph, *cov, *cx;
    int ncov;
    uint32_t nsamp;
    const uint32_t *sdata; /* reader sample -> dataset */
    uint64_t dsmask;       /* datasets among the model's samples (0: more than 64 datasets) */
    const char *cohort;    /* --by-cohort: the cohort of the model's samples (scoh[s] == coh) */
    const int *scoh;
    int coh;
    assoc_hap_t *hap;      /* the chrX/chrY/chrM models (assoc_sexchr.c), or NULL */
    const bcms_col_t *offc; /* --offset: a column added to the linear predictor (logistic, cox), or NULL */
    const double *xoff;    /* model order: a further offset (a LOCO model's prediction), or NULL */
    struct assoc_loco_t *loco; /* --loco-pred: one offset model per chromosome, or NULL */
} model_t;

/* Select the samples with the phenotype (endpoint) and every covariate, build and fit the model.
 * cx: for Cox: time, event, entry (or name NULL), strata (or name NULL). sdata: dataset of each
 * reader sample (for the per-variant subsets). */
int assoc_model_setup(model_t *m, const bcms_assoc_opts_t *o, const bcms_col_t *ph, const bcms_col_t *cov, int ncov,
                      const bcms_col_t *cx, uint32_t nsamp, const uint32_t *sdata, int ndatasets);
void assoc_model_free(model_t *m);
/* Fit dst on base's phenotype (endpoint) over the n reader samples idx with the covariates cov
 * (kept by reference: they must outlive dst). 0, BCMS_ENOMEM, or the fit's error (dst is then
 * still freed by assoc_model_free). */
int assoc_model_fit_on(model_t *dst, const model_t *base, const uint32_t *idx, uint32_t n, const bcms_col_t *cov,
                       int ncov, int ndatasets);

/* ---- chrX, chrY, chrM as PLINK 2 --glm (assoc_sexchr.c) ----
 * setup: the models m's variants of each ploidy class use (has_x, has_y: the scan has such
 * variants; sex: per reader sample); one workspace per thread and model. assoc_hap_variant tests
 * one variant of class hap (BCMS_HAP_X/Y/MT; row: its codes over the reader's nsel samples), filling
 * g (linear/logistic) or c (Cox), *used (the model whose samples gave the numbers) and *dropped
 * (COVAR_DROPPED or NULL); *errov is NULL, "SKIP" (no row: --xchr-model 0) or the row's ERRCODE. */
int assoc_hap_setup(model_t *m, const bcms_assoc_opts_t *o, const uint8_t *sex, uint32_t nsamp, int has_x, int has_y,
                    int ndatasets);
void assoc_hap_free(model_t *m);
assoc_hap_ws_t *assoc_hap_ws_new(const model_t *m, uint32_t nsel);
void assoc_hap_ws_free(assoc_hap_ws_t *ws);
int assoc_hap_variant(const model_t *m, assoc_hap_ws_t *ws, int hap, const uint8_t *row, uint32_t nsel,
                      glm_result_t *g, cox_result_t *c, const char **dropped, const model_t **used, const char **errov);

/* ---- --loco-pred (assoc_model.c; queries/structure/locopred.h) ----
 * After assoc_model_setup: the trait's out-of-sample LOCO predictions over the model's samples (the
 * 0/1 outcome, or the Cox null model's martingale residuals, with the model's covariates), each scaled
 * by its coefficient in the covariates' model (logistic / Cox with the prediction as a covariate) times
 * o->loco_shrink and used as the offset of one null model per chromosome.
 * Why shrink 1/2: with u = E[r_te | r_tr] (the Gaussian BLUP) and e = r - s u, two samples i, j in
 * different folds have Cov(u_i, r_j) = V_ij exactly (j is in i's training set), so
 * Cov(e_i, e_j) = (1 - 2s) V_ij + s^2 Cov(u_i, u_j): s = 1 (REGENIE's whole prediction) flips the
 * relatives' residual covariance to -V_ij and a scan inflated by relatedness comes out deflated by as
 * much; s = 1/2 cancels the first-order term (benchmarks/locopred.sh measures both). */
int assoc_model_loco(model_t *m, bcms_store_t *st, const bcms_reader_t *rd);
/* nv variants from first: logistic (codes/dos contiguous over the model's samples, stride m->n) or
 * Cox (the reader's matrix, stride nsel), each by the null model of its chromosome when m->loco. */
int assoc_model_logistic_block(const model_t *m, glm_logistic_ws_t *ws, const bcms_reader_t *rd, uint64_t first,
                               uint32_t nv, const uint8_t *codes, const double *dos, glm_result_t *res);
int assoc_model_cox_block(const model_t *m, cox_ws_t *ws, const bcms_reader_t *rd, uint64_t first, uint32_t nv,
                          const uint8_t *codes, const float *ds, uint32_t nsel, cox_result_t *res);

/* ---- --model lmm --loco (assoc_lmmloco.c) ----
 * Variants on chromosome c are tested with the models fitted on K_-c (structure.h: the GRM without
 * c's variants); contigs the GRM has no variant on (chrX, chrY, chrM: the GRM is autosomal) use the
 * GRM itself, which already leaves them out. The scan goes through the window in segments of batches
 * (assoc_lmmloco_segment) whose models are made before the segment and read-only during it; a segment
 * holds at most two chromosomes' models unless one batch spans more (small contigs), so a few n x n
 * matrices are alive at once. Everything depends on the variants only: the same segments, models and
 * bits at any thread count, on every MPI rank and in every --chunk part. win: the window of K_-c's
 * reads (memory_mb, window: an eighth of the scan's budget, assoc.c). */
int assoc_lmmloco_open(assoc_lmmloco_t **out, bcms_store_t *st, const char *grm_name, const bcms_grm_t *grm,
                       model_t *models, int nm, int threads, const bcms_reader_opts_t *win);
void assoc_lmmloco_free(assoc_lmmloco_t *l);
/* The segment [b, *b1) of the batches b .. bend - 1, and its models (none when *b1 <= start: already
 * in the output of a --resume). */
int assoc_lmmloco_segment(assoc_lmmloco_t *l, const bcms_reader_t *rd, uint32_t b, uint32_t bend, uint32_t start,
                          uint32_t *b1);
/* nv variants from first (codes contiguous over m's samples) by the model of each one's chromosome. */
int assoc_lmmloco_block(const model_t *m, int thread, const bcms_reader_t *rd, uint64_t first, uint32_t nv,
                        const uint8_t *codes, lmm_result_t *res);

/* A variant that some datasets of the model do not have (all their calls missing) is analysed on
 * the samples of the datasets that have it, by a model fitted on those samples alone; a covariate
 * constant among them (a cohort indicator) is left out and named in *dropped. The models are kept
 * in *cache (one per thread and model, keyed by the set of datasets). Returns 0 with *handled = 0
 * when the variant is in every dataset of the model (the caller's result stands), with *handled = 1
 * and g (linear/logistic) or c (Cox) filled, or with *handled = 2 when no model could be fitted on
 * those samples (the row gets ERRCODE SUBSET_MODEL_FAIL); *used: the model that gave the numbers
 * (its samples and events are the row's N and N_EVENT); BCMS_ENOMEM. row: the variant's codes
 * (and dosages, or NULL) over the reader's nsel samples. */
int assoc_sub_variant(const model_t *m, assoc_sub_t **cache, const uint8_t *row, const float *dsrow, uint32_t nsel,
                      glm_result_t *g, cox_result_t *c, const char **dropped, const model_t **used, int *handled);
void assoc_sub_free(assoc_sub_t *cache);

/* ---- scheduling (assoc_sched.c) ----
 * Batches go to MPI ranks by a fixed rule on their sizes (cluster.h); a rank's threads take its
 * batches in order, batch(ctx, thread, b, buf) formats batch b into buf, and delivery is in batch
 * order: rank 0 writes its own batches and receives the other ranks' rows and p-values
 * (pvals[m][variant], nm models) into out (BGZF: --resume or a table converted at the end) or of;
 * batches before start are already in the output (--resume; rs checkpoints). Byte-identical output
 * for any thread and rank count. */
typedef int (*assoc_batch_fn)(void *ctx, int thread, uint32_t b, kstring_t *out);
/* One window of the reader (bcms_reader_next), or a run of its batches: b0 .. b1 - 1, pvals[m][i -
 * pv0] for its variants i. load: per MPI rank, the variants given it so far in this scan (zero at the
 * start, carried from window to window so the shares stay even and the same on every rank). */
int assoc_sched_run(const bcms_reader_t *rd, int threads, double *const *pvals, uint64_t pv0, int nm, assoc_batch_fn batch,
                    void *ctx, BGZF *out, bcms_outfile_t *of, const char *outname, uint32_t b0, uint32_t b1,
                    uint32_t start, assoc_resume_t *rs, uint64_t *load);

/* ---- the table (assoc_rows.c) ----
 * header: the column line of the model (multi: a PHENO column); row: one variant's line from the
 * glm (g) or Cox (c) result of model m, errov overriding its ERRCODE, drop the COVAR_DROPPED list. */
void assoc_header_line(kstring_t *s, const bcms_assoc_opts_t *o, int multi);
void assoc_row_line(kstring_t *s, const bcms_assoc_opts_t *o, const bcms_variant_t *v, const model_t *m, int multi,
                    const glm_result_t *g, const cox_result_t *c, const char *errov, const char *drop);

/* ---- lambda GC in bounded memory (assoc_lambda.c) ----
 * The p-values a scan tested go to a temporary file (8 bytes each, not memory); the median is
 * selected exactly from it (radix selection on the doubles' bits, four passes of 16 bits), so the
 * lambda equals the sorted median's on the same values. */
typedef struct {
    FILE *f;
    uint64_t n;
} assoc_pvspill_t;
int assoc_pvspill_add(assoc_pvspill_t *sp, const double *p, uint64_t n); /* the non-NaN ones */
double assoc_pvspill_lambda(assoc_pvspill_t *sp, int *err);               /* NAN when none */
void assoc_pvspill_close(assoc_pvspill_t *sp);

/* --loco-pred-file: the predictions of m's samples (sn: their global numbers, model order) read from
 * the file --loco-pred-out wrote (assoc_locofile.c); out is cleared with bcms_locopred_clear. */
int assoc_loco_read(bcms_store_t *st, const model_t *m, const uint32_t *sn, bcms_locopred_t *out);

/* --loco-shrink as used: the user's value, else the model's default. Logistic 0.5 cancels the
 * first-order residual covariance of relatives in different folds (see above); for Cox, whose offset
 * acts on the log-hazard, 0.5 left lambda 1.03-1.07 and p < 0.01 counts above the 99.9% bound on two
 * of four simulated family cohorts, 1 gave 0.92-1.00 on three, 0.75 gave 0.96-1.02 on three with the
 * tails inside the bounds (benchmarks/README.md, locopred.sh). */
static inline double assoc_loco_shrink(const bcms_assoc_opts_t *o)
{
    return o->loco_shrink > 0 ? o->loco_shrink : o->model == BCMS_MODEL_COX ? 0.75 : 0.5;
}

#endif

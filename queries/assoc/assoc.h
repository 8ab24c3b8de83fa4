/* assoc.h: association scans over the store: linear and logistic regression (PLINK 2 --glm
 * semantics) and Cox proportional hazards (prognosis), with covariates, over one or several
 * cohorts, filtered from the stored counts, chunked for schedulers.
 *
 * Output (TSV, gzip when the name ends in .gz; written to OUT.tmp and renamed at the end so a
 * killed run leaves no partial file):
 *   CHROM POS ID REF ALT A1 A1_FREQ N TEST BETA SE STAT P, then model extras:
 *   linear: ERRCODE; logistic: FIRTH ERRCODE; cox: HR N_EVENT P_SCORE METHOD ERRCODE;
 *   lmm: P_LRT P_SCORE LAMBDA_REML LAMBDA_ML ERRCODE (P = Wald; hard calls, missing at the mean)
 *   (+ PHENO when several phenotypes are scanned at once).
 * A1 is the ALT allele; BETA is per ALT allele (log-odds, log-hazard). For Cox, rows whose score
 * p-value is below the refit threshold carry the full Newton fit (Wald BETA/SE/STAT, LRT P,
 * METHOD=NEWTON); the others carry the score test (BETA = U/V, SE = 1/sqrt(V), STAT = z,
 * P = score p, METHOD=SCORE, or SPA where the saddlepoint approximation was used).
 * A summary (OUT.log) records the command, the chunk, counts and lambda GC; `bcms merge` uses it to
 * check that every chunk is present and complete. Output bytes do not depend on --threads. */
#ifndef BCMS_ASSOC_H
#define BCMS_ASSOC_H

#include "reader.h"
#include "store.h"

enum bcms_model { BCMS_MODEL_LINEAR = 1, BCMS_MODEL_LOGISTIC = 2, BCMS_MODEL_COX = 3, BCMS_MODEL_LMM = 4 };
enum bcms_out_format { BCMS_OUT_TSV = 0, BCMS_OUT_GWAS_SSF = 1 };

typedef struct {
    int model;
    const char *pheno;        /* comma-separated phenotype names (linear/logistic) */
    const char *covar;        /* comma-separated covariate names; "cohort" = the dataset of each sample */
    const char *pheno_file;   /* PLINK 2 style tables read directly instead of (or before) the store */
    const char *covar_file;
    const char *time, *event, *entry, *strata; /* Cox endpoint columns */
    const char *grm;          /* lmm: the stored GRM's name (NULL: "default"; queries/structure/lmm.h) */
    bcms_reader_opts_t sel;   /* cohorts, regions, filters, chunk */
    int threads;
    int use_dosages;          /* use stored DS when the datasets have them (default 1) */
    double cox_fit_p;         /* full Newton fit below this score p (default 1e-4) */
    int format;
    const char *out;
    const char *command;      /* for the summary */
} bcms_assoc_opts_t;

typedef struct {
    uint64_t tested, failed, filtered;  /* variants with numbers, with an ERRCODE, removed by filters */
    uint32_t nsamples;                  /* samples of the (first) model */
    double lambda_gc;                   /* of the (first) phenotype */
} bcms_assoc_stats_t;

void bcms_assoc_opts_init(bcms_assoc_opts_t *o);
int bcms_assoc_opts_check(const bcms_assoc_opts_t *o);
int bcms_assoc_run(bcms_store_t *st, const bcms_assoc_opts_t *o, bcms_assoc_stats_t *stats);

/* Concatenate chunk outputs (in k order) into out, checking from their summaries that they are chunks
 * 1..n of the same scan, all complete. */
int bcms_assoc_merge(const char *const *chunks, int n, const char *out);

/* ---- phenotype/covariate columns as the scans see them (queries/assoc/assoc_columns.c) ---- */
enum bcms_col_type { BCMS_COL_QUANT = 1, BCMS_COL_BINARY = 2, BCMS_COL_CATEG = 3 };

typedef struct {
    char *name;
    int type;
    double *v;        /* one value per reader sample: NaN missing; binary 0/1; categorical: level index */
    char **levels;    /* categorical level names */
    int nlevels;
} bcms_col_t;

typedef struct bcms_colsrc_t bcms_colsrc_t;
/* Columns from the pheno/covar files (if given) and the store's pheno table, mapped to the reader's
 * samples. "cohort" is the dataset of each sample unless a column has that name. */
int bcms_colsrc_open(bcms_store_t *st, const bcms_reader_t *rd, const char *pheno_file, const char *covar_file,
                     bcms_colsrc_t **out);
int bcms_colsrc_get(bcms_colsrc_t *cs, const char *name, bcms_col_t *col);
void bcms_colsrc_close(bcms_colsrc_t *cs);
void bcms_col_free(bcms_col_t *c);

#endif

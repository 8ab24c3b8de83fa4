/* assoc.h: association scans over the store: linear and logistic regression (PLINK 2 --glm
 * semantics) and Cox proportional hazards (prognosis), with covariates, over one or several
 * cohorts, filtered from the stored counts, chunked for schedulers.
 *
 * Output (TSV, gzip when the name ends in .gz; written to OUT.tmp and renamed at the end so a
 * killed run leaves no partial file):
 *   CHROM POS ID REF ALT A1 A1_FREQ N TEST BETA SE [L95 U95 [OR|HR_L95 OR|HR_U95]] STAT P LOG10P,
 *   then model extras: linear: ERRCODE; logistic: FIRTH ERRCODE; cox: HR N_EVENT SE_WALD P_LRT METHOD
 *   ERRCODE; lmm: P_LRT P_SCORE LAMBDA_REML LAMBDA_ML ERRCODE (P = Wald; hard calls, missing at the
 *   mean); then COVAR_DROPPED (lmm: always "."); (+ PHENO when several phenotypes are scanned at once).
 * A1 is the ALT allele; BETA is per ALT allele (log-odds, log-hazard); LOG10P = -log10 P from the
 * log p. Cox: P is the score p (SPA in the tails) on every row; BETA the full fit's log HR where
 * refitted, else the one-step U/V; SE = |BETA| / z(P) (cox.h: cox_report); METHOD says which.
 * --format gwas-ssf: GWAS-SSF v1.0 files instead (assoc_ssf.c).
 * chrX outside the PARs, chrY and chrM as plink2 --glm (sex covariate, haploid coding, --xchr-model):
 * assoc_sexchr.c.
 * A summary (OUT.log) records the command, the chunk, counts and lambda GC; `bcms merge` uses it to
 * check that every chunk is present and complete. Output bytes do not depend on --threads.
 * With by_cohort, every model is fitted within each cohort (datasets of one cohort name) in the same pass
 * over the genotypes, and OUT becomes one file per cohort, OUT with ".COHORT" before its extension
 * (scan.tsv -> scan.sardinia.tsv), each with its summary; inputs for `bcms meta`. */
#ifndef BCMS_ASSOC_H
#define BCMS_ASSOC_H

#include <htslib/kstring.h>

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
    int decimal_comma;        /* their numbers are written with a decimal comma (6,14) */
    const char *time, *event, *entry, *strata; /* Cox endpoint columns */
    const char *grm;          /* lmm: the stored GRM's name (NULL: "default"; queries/structure/lmm.h) */
    int loco;                 /* lmm: variants of chromosome c tested with the GRM without c (assoc_lmmloco.c) */
    const char *offset;       /* logistic, cox: a numeric column added to the linear predictor (R's offset) */
    int loco_pred;            /* logistic, cox: out-of-sample LOCO polygenic offsets (locopred.h) */
    int loco_folds;           /* their cross-validation folds [5]; 0 = in-sample (over-corrects) */
    double loco_shrink;       /* offset = shrink x (the prediction's fitted coefficient) x prediction; 0: the
                               * model's default (logistic 0.5, Cox 0.75: assoc_loco_shrink) */
    const char *loco_out;     /* write the predictions there (#IID LOCO_1 ... ALL, a #SCALE row), or NULL */
    const char *loco_in;      /* read them from there (an earlier loco_out of this trait) instead, or NULL */
    bcms_reader_opts_t sel;   /* cohorts, regions, filters, chunk */
    int threads;
    int use_dosages;          /* use stored DS when the datasets have them (default 1) */
    double cox_fit_p;         /* full Newton fit below this score p (default 1e-4) */
    int format;
    int ci;                   /* --ci: 95% confidence interval of BETA (and OR/HR) */
    const char *const *ssf_meta; /* --ssf-meta KEY=VALUE entries (GWAS-SSF metadata) */
    int n_ssf_meta;
    int by_cohort;            /* one scan per cohort, one output per cohort (see above) */
    const char *out;
    const char *command;      /* for the summary */
    int resume;               /* resumable output: continue a killed run of the same scan (assoc_resume.h) */
    int xchr_model;           /* chrX outside the PARs as plink2 --xchr-model: 2 (default) males 0..2, 1 males
                               * 0..1, both with sex as a covariate; 0 skips chrX (assoc_sexchr.c) */
    int no_x_sex;             /* plink2 --glm no-x-sex: no sex covariate on chrX */
} bcms_assoc_opts_t;

typedef struct {
    uint64_t tested, failed, filtered;  /* variants with numbers, with an ERRCODE, removed by filters */
    uint32_t nsamples;                  /* samples of the (first) model */
    double lambda_gc;                   /* of the (first) phenotype */
} bcms_assoc_stats_t;

void bcms_assoc_opts_init(bcms_assoc_opts_t *o);
int bcms_assoc_opts_check(const bcms_assoc_opts_t *o);
int bcms_assoc_run(bcms_store_t *st, const bcms_assoc_opts_t *o, bcms_assoc_stats_t *stats);

/* The output path of cohort in a by_cohort scan (caller frees; NULL when out of memory). */
char *bcms_assoc_cohort_path(const char *out, const char *cohort);
/* Split the combined output tmp (last column: cohort) into the per-cohort outputs of out. */
int bcms_assoc_split_cohorts(const char *tmp, const char *out, const char *const *cohorts, int ncoh, int gz);

/* Concatenate chunk outputs (in k order) into out, checking from their summaries that they are chunks
 * 1..n of the same scan, all complete. */
int bcms_assoc_merge(const char *const *chunks, int n, const char *out);

/* The scan's description (store snapshot, model, phenotypes, covariates, their files' md5, filters,
 * chunk count, options that change numbers) appended to desc, and its md5 in hex: written in
 * OUT.log so that `bcms merge` refuses chunks of different scans. */
int bcms_assoc_fingerprint(bcms_store_t *st, const bcms_assoc_opts_t *o, kstring_t *desc, char hex[33]);
int bcms_file_md5(const char *path, char hex[33]);

/* ---- GWAS-SSF output (queries/assoc/assoc_ssf.c) ---- */
typedef struct {
    const char *pheno;
    uint32_t n;               /* samples of the model */
    int n_case, n_control;    /* logistic; -1 otherwise */
} bcms_ssf_pheno_t;
/* 0, or BCMS_EINVAL naming a bad or missing --ssf-meta entry or output name (before the scan). */
int bcms_ssf_check_meta(const bcms_assoc_opts_t *o);
/* Convert the scan's table tsv (every column, PHENO on every row) into one GWAS-SSF file per
 * phenotype (OUT itself for one; OUT with .PHENO before .tsv for several) and its -meta.yaml. */
int bcms_ssf_write(const char *tsv, const bcms_assoc_opts_t *o, const bcms_ssf_pheno_t *ph, int nph);

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
/* The same, with the files and their reading options (decimal comma) taken from o. The first column
 * taken from a file logs how many of the scan's samples that file lacks (they leave every model
 * using its columns) and how many of its rows name no sample of the scan. */
int bcms_colsrc_open_opts(bcms_store_t *st, const bcms_reader_t *rd, const bcms_assoc_opts_t *o, bcms_colsrc_t **out);
/* What a column is used for: a categorical column is refused as an outcome, a Cox time, event or
 * entry time (BCMS_EINPUT naming the column, where it came from and what to do). */
enum bcms_col_role {
    BCMS_ROLE_ANY = 0, BCMS_ROLE_COVAR, BCMS_ROLE_LINEAR, BCMS_ROLE_LOGISTIC,
    BCMS_ROLE_TIME, BCMS_ROLE_EVENT, BCMS_ROLE_ENTRY, BCMS_ROLE_STRATA,
};
int bcms_colsrc_get_as(bcms_colsrc_t *cs, const char *name, int role, bcms_col_t *col);
/* Check a Cox endpoint cx[0..3] (time, event, entry, strata; name NULL when absent) over the samples a
 * model would use (every covariate present): time >= 0, event 0/1, entry >= 0 and entry < time.
 * BCMS_EINPUT counting every bad sample and naming the first ones by IID and file line. */
int bcms_colsrc_check_cox(bcms_colsrc_t *cs, const bcms_col_t cx[4], const bcms_col_t *cov, int ncov);
/* Values of c that are not missing among its n samples. */
uint32_t bcms_col_count_present(const bcms_col_t *c, uint32_t n);
void bcms_col_free(bcms_col_t *c);

#endif

/* meta.h: `bcms meta`, meta-analysis of per-cohort summary statistics (bcms, GPL-3.0-or-later).
 *
 * Inputs are read by queries/sumstats (bcms assoc of any model, GWAS-SSF, PLINK 2 --glm, REGENIE; gzip or
 * plain), each sorted in genomic order, and merged in one streaming pass: memory depends on the number of
 * inputs and of rows at one position, never on the number of rows.
 *
 * Matching: chromosome (canonical name), position and the allele pair. The first input (in command
 * order) holding a variant fixes its orientation: REF/ALT/ID come from it and A1 is its ALT. Another
 * input's row matches when its alleles are the same pair (BETA kept), swapped (BETA negated, frequency
 * 1 - f), or, for single-base alleles, the same or swapped on the other strand (METAL's rule). A/T and
 * C/G pairs are their own complement; --palindromic says what to do with them: keep (match them as
 * written, METAL's default), drop (leave them out), or freq (compare the effect allele frequency with
 * the first input's: both informative, i.e. minor allele frequency below 0.4, and on the same side of
 * 0.5: as written; on opposite sides: the other strand, so flipped; else that input's row is left
 * out; the EBI harmoniser's rule with the first input as the reference).
 *
 * Statistics per variant over the k inputs that hold it (k >= --min-studies):
 *   ivw (default): w_i = 1/SE_i^2, BETA = sum w_i b_i / sum w_i, SE = 1/sqrt(sum w_i), STAT = BETA/SE,
 *     P two-sided normal; Cochran's Q = sum w_i (b_i - BETA)^2, Q_P = P(chi2_{k-1} >= Q),
 *     I2 = max(0, (Q - (k-1))/Q) in percent (metafor's and METAL's scale);
 *     DerSimonian-Laird: TAU2 = max(0, (Q - (k-1)) / (sum w - sum w^2 / sum w)), BETA_RE/SE_RE/P_RE
 *     with weights 1/(SE_i^2 + TAU2) (metafor rma(method="DL"));
 *     --random re2 adds Han and Eskin's RE2 (Am J Hum Genet 2011): the likelihood ratio
 *     S = sum [ln(V_i/(V_i+T)) + b_i^2/V_i - (b_i - M)^2/(V_i+T)] at the maximum-likelihood M, T >= 0,
 *     P_RE2 = 0.5 P(chi2_1 >= S) + 0.5 P(chi2_2 >= S) (the asymptotic mixture; METASOFT corrects it with
 *     tables for few studies, bcms does not).
 *   samplesize (METAL's SCHEME SAMPLESIZE): z_i = sign(b_i) Phi^-1(1 - p_i/2), w_i = sqrt(N_i),
 *     STAT = sum w_i z_i / sqrt(sum w_i^2), P two-sided normal; BETA, SE and the heterogeneity
 *     columns are NA.
 * --gc (METAL's GENOMICCONTROL ON): per input lambda = median chi2 / 0.4549 over its usable rows
 * (chi2 = (b/SE)^2 for ivw, z^2 for samplesize), found exactly by two extra streaming passes; when
 * lambda > 1 each SE is multiplied (each z divided) by sqrt(lambda).
 *
 * Output (TSV, gzip when the name ends in .gz; OUT.tmp renamed at the end):
 *   CHROM POS ID REF ALT A1 A1_FREQ N TEST BETA SE STAT P N_STUDIES DIRECTION Q Q_P I2 TAU2 BETA_RE
 *   SE_RE P_RE P_RE2 LOG10P
 * A1_FREQ is the N-weighted mean (plain mean when an N is missing) of the inputs' frequencies of A1;
 * N the sum of their N; DIRECTION one character per input in command order (+, -, 0, ? when absent);
 * LOG10P is -log10 P, finite below the double range (P then printed as mantissa e exponent).
 * --format gwas-ssf writes the GWAS Catalog columns instead (see meta_out.c). OUT.log records the
 * inputs, their formats and counts, the lambdas, the allele-matching counts.
 * The run is sequential apart from BGZF (de)compression threads; the output does not depend on them. */
#ifndef BCMS_META_H
#define BCMS_META_H

#include <stdint.h>

enum bcms_meta_scheme { BCMS_META_IVW = 0, BCMS_META_SAMPLESIZE = 1 };
enum bcms_meta_random { BCMS_META_RE_DL = 0, BCMS_META_RE_RE2 = 1 };
enum bcms_meta_palin { BCMS_PALIN_KEEP = 0, BCMS_PALIN_DROP = 1, BCMS_PALIN_FREQ = 2 };
enum bcms_meta_format { BCMS_META_TSV = 0, BCMS_META_GWAS_SSF = 1 };

typedef struct {
    const char *const *inputs;
    int ninputs;
    const char *out;
    int scheme, random, palindromic, format;
    int gc;
    int min_studies;         /* default 1 */
    int threads;             /* BGZF threads for a compressed output */
    const char *command;     /* for OUT.log */
} bcms_meta_opts_t;

typedef struct {
    uint64_t variants;       /* rows written */
    uint64_t below_min;      /* variants held by fewer than min_studies inputs */
    uint64_t swapped, strand_flipped;
    uint64_t palin_kept, palin_flipped, palin_dropped;
} bcms_meta_stats_t;

void bcms_meta_opts_init(bcms_meta_opts_t *o);
/* Options check: BCMS_EINVAL with a message; the same file given twice is BCMS_EINVAL too. */
int bcms_meta_opts_check(const bcms_meta_opts_t *o);
int bcms_meta_run(const bcms_meta_opts_t *o, bcms_meta_stats_t *stats);

/* ---- the statistics of one variant (meta_stats.c); pure and thread-safe ---- */
typedef struct {
    int k;
    double beta, se, stat, log10p;       /* fixed effect (ivw) or the sample-size z (beta, se NaN) */
    double q, q_p, i2;                   /* Cochran's Q, its p, I^2 in percent */
    double tau2, beta_re, se_re, log10p_re;  /* DerSimonian-Laird */
    double stat_re2, log10p_re2;         /* Han-Eskin RE2 (NaN unless asked) */
    double re2_mu, re2_tau2;             /* its maximum-likelihood estimates */
} bcms_meta_result_t;

/* Inverse-variance fixed effect, Q, I^2 and DerSimonian-Laird over k estimates b with variances v. */
void bcms_meta_ivw(const double *b, const double *v, int k, bcms_meta_result_t *r);
/* Han-Eskin RE2 statistic and p into r (after bcms_meta_ivw). */
void bcms_meta_re2(const double *b, const double *v, int k, bcms_meta_result_t *r);
/* METAL's sample-size scheme over k signed z-scores with sample sizes n. */
void bcms_meta_samplesize(const double *z, const double *n, int k, bcms_meta_result_t *r);
/* |z| whose two-sided normal p has log10 lp (exact for p far below the double range), signed by sign. */
double bcms_meta_z_from_log10p(double lp, double sign);

#endif

/* sumstats.h: a streaming reader of per-variant summary statistics, the inputs of `bcms meta`.
 * bcms, GPL-3.0-or-later.
 *
 * Formats, detected from the header line (gzip or plain, through htslib's BGZF reader):
 *   bcms     `bcms assoc` TSV of any model: CHROM POS ID REF ALT A1 A1_FREQ N TEST BETA SE STAT P ...
 *            (Cox: BETA is the log hazard ratio); also the output of `bcms meta` itself.
 *   gwas-ssf GWAS Catalog summary statistics v1.0: chromosome base_pair_location effect_allele
 *            other_allele beta|odds_ratio|hazard_ratio standard_error effect_allele_frequency
 *            p_value|neg_log_10_p_value [variant_id] [rsid] [n]
 *   plink2   `plink2 --glm` .glm.linear/.glm.logistic(.hybrid): #CHROM POS ID REF ALT A1 ... [OBS_CT]
 *            BETA|OR SE|LOG(OR)_SE P|LOG10_P (only TEST == ADD rows are read)
 *   regenie  REGENIE step 2 .regenie: CHROM GENPOS ID ALLELE0 ALLELE1 A1FREQ ... N TEST BETA SE CHISQ
 *            LOG10P (space separated; ALLELE1 is the effect allele; only TEST == ADD rows)
 * Odds and hazard ratios are read as their logarithm. A row without a usable estimate (BETA, SE or P
 * NA, SE <= 0, a PLINK 2 row whose ALT lists several alleles) is skipped and counted, never guessed.
 *
 * Rows must come in genomic order (contig rank of engine/contig.h, then position), as every bcms
 * output does; a row out of order is an error naming the file and line. Memory does not depend on the
 * number of rows. A reader is used by one thread. */
#ifndef BCMS_SUMSTATS_H
#define BCMS_SUMSTATS_H

#include <stdint.h>
#include <htslib/kstring.h>

enum bcms_sumstats_format { BCMS_SS_BCMS = 1, BCMS_SS_GWAS_SSF = 2, BCMS_SS_PLINK2 = 3, BCMS_SS_REGENIE = 4 };

/* What the caller needs from every row; a header lacking it is an error naming the file and column. */
enum { BCMS_SS_NEED_SE = 1, BCMS_SS_NEED_N = 2, BCMS_SS_NEED_P = 4 };

typedef struct {
    char chrom[64];          /* canonical name (engine/contig.h) */
    int rank;                /* bcms_contig_rank(chrom) */
    int64_t pos;
    kstring_t str;           /* ID, REF, ALT, effect allele, other allele, each NUL-terminated, at off[] */
    int off[5];
    double beta, se;         /* effect of the effect allele (log OR / log HR for those models) */
    double log10p;           /* log10 of the two-sided p (finite below the double range); NaN if absent */
    double freq;             /* effect allele frequency, NaN if absent */
    double n;                /* sample size, NaN if absent */
    uint64_t line;           /* 1-based line in the file */
} bcms_ss_row_t;

#define BCMS_SS_ID(r) ((r)->str.s + (r)->off[0])
#define BCMS_SS_REF(r) ((r)->str.s + (r)->off[1])
#define BCMS_SS_ALT(r) ((r)->str.s + (r)->off[2])
#define BCMS_SS_EA(r) ((r)->str.s + (r)->off[3])
#define BCMS_SS_OA(r) ((r)->str.s + (r)->off[4])

typedef struct {
    uint64_t rows;           /* data rows read */
    uint64_t used;           /* rows returned */
    uint64_t skipped_na;     /* no estimate, SE, P (or N when needed) */
    uint64_t skipped_test;   /* TEST other than ADD (covariate rows of PLINK 2, interaction tests) */
    uint64_t skipped_multi;  /* several ALT alleles in one row */
} bcms_ss_counts_t;

typedef struct bcms_ss_reader_t bcms_ss_reader_t;

/* Open path, read and check its header against `need` (BCMS_SS_NEED_*). *out owned by the caller
 * (bcms_ss_close). Errors: BCMS_EIO (cannot open), BCMS_EINPUT (unknown format, missing column). */
int bcms_ss_open(const char *path, int need, bcms_ss_reader_t **out);

/* Next usable row into *row (its buffer reused). Returns 1, 0 at the end, or a negative code
 * (BCMS_EINPUT: malformed or unsorted row, with file and line). */
int bcms_ss_next(bcms_ss_reader_t *r, bcms_ss_row_t *row);

int bcms_ss_format(const bcms_ss_reader_t *r);
const char *bcms_ss_format_name(int format);
const char *bcms_ss_path(const bcms_ss_reader_t *r);
const bcms_ss_counts_t *bcms_ss_counts(const bcms_ss_reader_t *r);
void bcms_ss_close(bcms_ss_reader_t *r);

/* Order of two (rank, chrom, pos) keys: <0, 0, >0. */
int bcms_ss_key_cmp(int rank_a, const char *chrom_a, int64_t pos_a, int rank_b, const char *chrom_b, int64_t pos_b);

/* Parse a p-value text into log10 p, keeping values below the double range ("1.2e-400"). NaN for
 * NA or a malformed value. */
double bcms_ss_parse_log10p(const char *s);

#endif

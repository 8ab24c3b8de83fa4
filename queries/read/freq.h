/* freq.h: per-variant allele frequency, allele counts, call rate and (with hardy) HWE p-values over
 * the selected samples of the selected datasets (pooled and concatenated as the reader merges them).
 * Columns:
 *   #CHROM POS ID REF ALT ALT_FREQ ALT_CT OBS_CT HET_CT HOM_ALT_CT MISSING_CT CALL_RATE
 * and with hardy also HWE_P FEMALE_HWE_P (PLINK 2 --freq computes no HWE; the exact test is the
 * costly part, so it is asked for).
 * ALT_FREQ = ALT_CT / OBS_CT over called alleles (PLINK 2 --freq ALT_FREQS and OBS_CT; a haploid
 * call is one allele, a heterozygous haploid call half an ALT allele); HOM_ALT_CT counts ALT calls
 * (haploid ones included); MISSING_CT and CALL_RATE over the samples counted (males on chrY, as
 * plink2 --missing). HWE_P: the exact test (PLINK 2 --hardy); on chrX outside the PARs the test over
 * females and males of .hardy.x, with FEMALE_HWE_P the females-only p (cols=+femalep); NA on chrY
 * and chrM, FEMALE_HWE_P NA off chrX. Counts come from the import where they are exact (reader.h). */
#ifndef BCMS_FREQ_H
#define BCMS_FREQ_H

#include "reader.h"
#include "store.h"

typedef struct {
    bcms_reader_opts_t sel;  /* datasets (sel.cohorts), regions, sample/variant lists, sex, filters */
    const char *out;         /* path ("-" stdout; ".gz" suffix: gzip) */
    int hardy;               /* add HWE_P and FEMALE_HWE_P */
} bcms_freq_opts_t;

/* Lines are formatted on sel.threads threads in chunks of a fixed number of variants and written in
 * order: the output bytes never depend on the thread count. */

void bcms_freq_opts_init(bcms_freq_opts_t *o);
int bcms_freq(bcms_store_t *st, const bcms_freq_opts_t *o);

#endif

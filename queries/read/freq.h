/* freq.h: per-variant allele frequency, allele counts, call rate and HWE p-value, from the counts
 * stored at import (no genotype is decoded). Columns:
 *   #CHROM POS ID REF ALT ALT_FREQ ALT_CT OBS_CT HET_CT HOM_ALT_CT MISSING_CT CALL_RATE HWE_P
 * ALT_FREQ = ALT_CT / OBS_CT over called alleles (as PLINK 2 --freq ALT_FREQS and bcftools AF);
 * HWE_P is the exact test over diploid calls (PLINK 2 --hardy, bcftools +fill-tags HWE). */
#ifndef BCMS_FREQ_H
#define BCMS_FREQ_H

#include "store.h"

typedef struct {
    const char *dataset;   /* id or cohort; NULL: all datasets, one after the other */
    const char *regions;
    const char *out;       /* path ("-" stdout; ".gz" suffix: gzip) */
} bcms_freq_opts_t;

void bcms_freq_opts_init(bcms_freq_opts_t *o);
int bcms_freq(bcms_store_t *st, const bcms_freq_opts_t *o);

#endif

/* qc.h: per-sample quality control a GWAS starts with, over the reader's selection (reader.h).
 *
 * bcms_qc writes one row per selected sample:
 *   #IID COHORT MISSING_CT OBS_CT F_MISS HET_CT F
 * MISSING_CT / OBS_CT / F_MISS as plink2 --missing (.smiss): every selected variant, chrY for males
 * only. HET_CT and F as plink2 --het: over the autosomes and the chrX PARs, variants polymorphic in
 * the selection, F = (O(HOM) - E(HOM)) / (N - E(HOM)) with E(HOM) = sum of 1 - 2pq over the
 * sample's called variants (p from every selected sample, no n/(n-1) factor); HET_CT = N - O(HOM).
 *
 * bcms_sexcheck writes the chrX inbreeding coefficient of each sample as plink 1.9 --check-sex does:
 *   #IID COHORT PEDSEX SNPSEX STATUS F
 * F the same formula over chrX outside the PARs, p counting males haploid (by their stated sex);
 * SNPSEX 2 when F < female_max, 1 when F > male_min, else 0; STATUS OK when PEDSEX and SNPSEX
 * agree and are known, else PROBLEM (as plink 1.9).
 *
 * Results are byte-identical at any thread count (each sample sums its variants in genomic order). */
#ifndef BCMS_QC_H
#define BCMS_QC_H

#include "reader.h"
#include "store.h"

typedef struct {
    bcms_reader_opts_t sel;
    const char *out;      /* path ("-" stdout; ".gz": gzip) */
    int threads;
    double female_max;    /* sexcheck: F below this is female (0.2) */
    double male_min;      /* sexcheck: F above this is male (0.8) */
} bcms_qc_opts_t;

void bcms_qc_opts_init(bcms_qc_opts_t *o);
int bcms_qc(bcms_store_t *st, const bcms_qc_opts_t *o);
int bcms_sexcheck(bcms_store_t *st, const bcms_qc_opts_t *o);

#endif

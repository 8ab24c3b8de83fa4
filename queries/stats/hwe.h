/* hwe.h: exact test of Hardy-Weinberg equilibrium (Wigginton, Cutler & Abecasis 2005, AJHG 76:887),
 * the test of PLINK 2 --hardy and bcftools +fill-tags HWE. */
#ifndef BCMS_HWE_H
#define BCMS_HWE_H

#include <stdint.h>

/* Two-sided exact p-value from the counts of het, hom-ref and hom-alt calls; 1 when no calls.
 * midp: the mid-p variant (PLINK 2 'midp'). Thread-safe; allocates O(min allele count) scratch. */
double bcms_hwe_exact(uint32_t het, uint32_t hom_ref, uint32_t hom_alt, int midp);

/* chrX outside the PARs (Graffelman & Weir 2016; PLINK 2 --hardy's P in .hardy.x): females' het,
 * hom-ref, hom-alt calls and males' haploid REF and ALT calls. 1 when no calls. */
double bcms_hwe_exact_x(uint32_t f_het, uint32_t f_hom1, uint32_t f_hom2, uint32_t m1, uint32_t m2);

#endif

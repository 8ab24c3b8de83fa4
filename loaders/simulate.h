/* simulate.h: synthetic cohorts (bgzipped VCF + phenotype and covariate tables) for demos, tests and
 * benchmarks. GPL-3.0-or-later.
 *
 * The model, in short (details in simulate.c):
 *  - Sites come from a "site seed": contigs 1..K with GRCh38 lengths, sorted positions, REF/ALT bases,
 *    IDs, a target ALT frequency drawn log-uniformly on [0.0005, 0.5] (most variants rare), ~1.5%
 *    multi-allelic sites, and haplotype blocks of a few founder haplotypes that give linkage
 *    disequilibrium. Two cohorts made with the same site seed, variant count and contig count share
 *    most of their sites (each keeps a cohort-specific ~91% subset of a common pool) and the causal
 *    variants, so pooled scans can match variants by (chrom, pos, ref, alt).
 *  - Genotypes come from the cohort "seed": every haplotype copies one founder per block (sometimes
 *    switching once: recombination), founders have different weights in the isolate (drift) and the
 *    mainland; plus rare genotype noise, missing calls (a few sites with high missingness), phased and
 *    unphased calls, a few REF/ALT swaps, QUAL and FILTER (PASS / LowQual).
 *  - Phenotypes (optional) are driven by covariates and, unless null_model, by planted causal variants.
 *  - Clinical courses (optional: a patient table and a visit table with EDSS assessments and relapses,
 *    the input of `bcms clinical`) from loaders/simulate_visits.h, with the covariate table's sex and
 *    age at onset, and a progression rate shifted by covariates and, unless null_model, by planted
 *    variants (trait `progression` in the causal file; details in simulate_courses.c).
 *
 * Determinism: every random quantity comes from its own counter-based stream (splitmix64-seeded
 * xoshiro256**) keyed by (seed, purpose, index), so the output bytes depend on the options only and
 * never on the thread count. */
#ifndef BCMS_SIMULATE_H
#define BCMS_SIMULATE_H

#include <stdint.h>

typedef struct {
    const char *out_vcf;   /* required: bgzipped VCF output path */
    const char *out_pheno; /* optional: phenotype TSV (also writes <stem>.causal.tsv) */
    const char *out_covar; /* optional: covariate TSV */
    const char *out_visits;   /* optional, with out_patients: clinical visit table (visits.h format) */
    const char *out_patients; /* optional, with out_visits: patient table (visits.h format) */
    const char *prefix;    /* IID prefix; IIDs are prefix + zero-padded number */
    int64_t n_samples;
    int64_t n_variants;
    uint64_t seed;      /* cohort seed: genotypes, phenotypes, QUAL/FILTER, missingness */
    uint64_t site_seed; /* site seed: positions, alleles, blocks, causal variants */
    int site_seed_set;  /* 0: site_seed is taken from seed */
    int n_contigs;      /* 1..22 */
    int write_ds;       /* add FORMAT/DS (imputation-like dosages) */
    double missing;     /* mean share of missing calls, 0 <= missing < 0.5 */
    double isolate_frac; /* share of samples from the isolate population, 0..1 */
    int null_model;     /* no planted genetic effects on the phenotypes */
    int sex_chromosomes; /* also chrX (with PARs, b38), chrY and chrM: haploid males, haploid chrM */
    int threads;        /* >= 1: generation/formatting threads and BGZF compression threads */
    /* structure and relatedness (loaders/simulate_structure.h); all 0: the default cohort, unchanged */
    double fst;          /* isolate founder drift: founder weights ~ Dirichlet((1 - fst) / fst x mainland);
                          * 0: the default concentration 12 (fst ~ 0.077) */
    int64_t n_families;  /* nuclear families: 2 sampled parents + 2 sampled children */
    int64_t n_relatives; /* cryptic pairs, alternately half-sibs (2nd degree) and first cousins (3rd) */
} simulate_opts_t;

typedef struct {
    int64_t n_records;
    int64_t n_multiallelic;
    int64_t n_swapped;      /* records whose REF/ALT are swapped relative to the site pool */
    int64_t n_lowqual;
    int64_t n_calls;        /* genotype calls written (records x samples) */
    int64_t n_missing;      /* missing calls among them */
    int64_t n_het_phased;
    int64_t n_het_unphased;
    int n_causal;           /* planted causal variants listed in the causal file */
    int64_t n_visit_records; /* rows of the visit table (0 without out_visits) */
} simulate_stats_t;

/* Fill opts with the defaults (1000 samples, 10000 variants, seed 1, 22 contigs, missing 0.02,
 * isolate_frac 0.5, prefix "S", 1 thread). */
void simulate_opts_init(simulate_opts_t *opts);

/* Check the options. Returns 0 or BCMS_EINVAL with a detail message naming the bad option. */
int simulate_opts_check(const simulate_opts_t *opts);

/* Write the cohort. stats may be NULL. Returns 0, BCMS_EINVAL (bad options), BCMS_ENOMEM or
 * BCMS_EIO (a file could not be written; the detail names it). On failure partial output files may
 * remain. Logs progress through bcms_log at INFO level. */
int simulate_run(const simulate_opts_t *opts, simulate_stats_t *stats);

#endif

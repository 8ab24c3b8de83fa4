/* simulate_internal.h: what simulate.c (sites, genotypes, VCF) and simulate_pheno.c (phenotypes,
 * covariates) share. Not part of the library's contract. GPL-3.0-or-later. */
#ifndef BCMS_SIMULATE_INTERNAL_H
#define BCMS_SIMULATE_INTERNAL_H

#include <math.h>
#include <stdint.h>

#include "simulate.h"

/* Purposes of the random streams: one stream per (seed, purpose, index). Never renumber: the
 * committed sample cohorts depend on them. */
enum {
    SIM_TAG_POS = 1,     /* site seed, per contig: positions */
    SIM_TAG_BLOCK = 2,   /* site seed, per block: founder weights */
    SIM_TAG_SITEDEF = 3, /* site seed, per site: frequency, alleles, ID */
    SIM_TAG_CAUSAL = 4,  /* site seed: causal variants and effects */
    SIM_TAG_BLOCKLEN = 5, /* site seed: block lengths */
    SIM_TAG_SELECT = 10, /* cohort seed: which pooled sites this cohort keeps */
    SIM_TAG_SAMPLE = 11, /* cohort seed: populations, unphased samples */
    SIM_TAG_HAP = 12,    /* cohort seed, per block: founder copied by each haplotype */
    SIM_TAG_SITECO = 13, /* cohort seed, per site: missingness, QUAL, FILTER, swap */
    SIM_TAG_GENO = 14,   /* cohort seed, per site: genotype draws */
    SIM_TAG_COVAR = 20,  /* cohort seed: covariates */
    SIM_TAG_PHENO = 21,  /* cohort seed: phenotypes */
    SIM_TAG_VISITS = 22, /* cohort seed: clinical courses and visits */
    SIM_TAG_SEXCHR = 23, /* cohort seed, per site: chrX/chrY/chrM sites and calls (--sex-chromosomes) */
    SIM_TAG_PED = 30,      /* cohort seed: who is related to whom (simulate_structure.c) */
    SIM_TAG_MEIOSIS = 31,  /* cohort seed, per meiosis: crossovers */
    SIM_TAG_GHOSTHAP = 32, /* cohort seed, per block: founders copied by unsampled ancestors */
    SIM_TAG_GHOSTAL = 33,  /* cohort seed, per site: alleles of unsampled ancestors */
};

typedef struct {
    uint64_t s[4];
} sim_rng_t;

static inline uint64_t sim_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline void sim_rng_init(sim_rng_t *r, uint64_t seed, uint64_t tag, uint64_t idx)
{
    uint64_t x = seed;
    uint64_t a = sim_splitmix64(&x);
    x = a ^ (tag * 0xD1B54A32D192ED03ULL);
    a = sim_splitmix64(&x);
    x = a ^ (idx * 0xABC98388FB8FAC03ULL + 0x8CB92BA72F3D8DD7ULL);
    for (int i = 0; i < 4; i++) r->s[i] = sim_splitmix64(&x);
}

static inline uint64_t sim_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static inline uint64_t sim_next(sim_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t res = sim_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = sim_rotl(s[3], 45);
    return res;
}

/* Uniform on [0, 1). */
static inline double sim_u01(sim_rng_t *r) { return (double)(sim_next(r) >> 11) * 0x1.0p-53; }

/* Uniform on (0, 1]: safe for log(). */
static inline double sim_u01_pos(sim_rng_t *r) { return 1.0 - sim_u01(r); }

/* Uniform integer on [0, n), n > 0 (multiply-shift; the bias is below 2^-32 for our n). */
static inline uint64_t sim_below(sim_rng_t *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)sim_next(r) * n) >> 64);
}

static inline double sim_normal(sim_rng_t *r)
{
    double u1 = sim_u01_pos(r), u2 = sim_u01(r);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Gamma(shape a, scale 1), Marsaglia-Tsang; a > 0. */
static inline double sim_gamma(sim_rng_t *r, double a)
{
    double boost = 1.0;
    if (a < 1.0) {
        boost = pow(sim_u01_pos(r), 1.0 / a);
        a += 1.0;
    }
    double d = a - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x = sim_normal(r), v = 1.0 + c * x;
        if (v <= 0) continue;
        v = v * v * v;
        double u = sim_u01_pos(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v * boost;
    }
}

/* Geometric gap: number of trials to the next success at rate p (0 < p < 1), >= 1. */
static inline int64_t sim_geom(sim_rng_t *r, double log1m_p)
{
    double g = floor(log(sim_u01_pos(r)) / log1m_p);
    return g > 4e18 ? INT64_MAX / 2 : (int64_t)g + 1;
}

/* Traits that pick planted variants from the site pool (pool_build cycles through SIM_N_TRAITS: never
 * change it, the committed sample cohorts depend on it). SIM_TRAIT_PROGRESSION picks none of its own:
 * it reuses the SIM_TRAIT_TIME variants with SIM_PROG_SCALE times their effect, on the log rate of
 * disability progression of the simulated clinical courses. */
enum { SIM_TRAIT_SEVERITY = 0, SIM_TRAIT_BINARY = 1, SIM_TRAIT_TIME = 2, SIM_N_TRAITS = 3, SIM_TRAIT_PROGRESSION = 3 };
#define SIM_PROG_SCALE 0.5

/* A planted causal variant as the cohort's VCF shows it (never swapped, always biallelic). */
typedef struct {
    int trait;
    double beta;      /* per ALT allele: score points, log-odds, log-hazard, or log-rate (progression) */
    char id[64];
    const char *chrom;
    int64_t pos;
    char ref, alt;
    double alt_freq;  /* observed ALT frequency in the cohort (non-missing calls) */
    uint8_t *dosage;  /* n_samples true ALT counts (before missingness), owned by the caller */
} sim_causal_t;

/* Write the covariate and phenotype tables, the clinical courses and the causal list
 * (simulate_pheno.c). iids[i] are the sample IDs, isolate[i] 1 for the isolate population; causal
 * lists the pool's planted variants (SIM_TRAIT_SEVERITY/BINARY/TIME). *n_visit_records receives
 * the number of visit records written (0 without --visits). Returns 0 or BCMS_EIO/BCMS_ENOMEM. */
int sim_write_tables(const simulate_opts_t *opts, int64_t n, char *const *iids, const uint8_t *isolate,
                     const sim_causal_t *causal, int n_causal, int64_t *n_visit_records);

/* The covariates of the tables (simulate_pheno.c): sex[i] 1/2, age[i], pc[4 i .. 4 i + 3]. */
void sim_draw_covars(const simulate_opts_t *opts, int64_t n, const uint8_t *isolate, uint8_t *sex, double *age,
                     double *pc);

/* chrX (PARs included), chrY and chrM records after the autosomes (simulate_sexchr.c): males haploid
 * outside the PARs and on chrY (females '.' there), everyone haploid on chrM, sexes as in the
 * covariate table. The header lines come from sim_sexchr_header. Adds to *n_records and
 * *n_missing. Returns 0, BCMS_ENOMEM or BCMS_EIO. */
struct bcf_hdr_t;
int sim_sexchr_header(const simulate_opts_t *opts, struct bcf_hdr_t *h);
int sim_sexchr_write(const simulate_opts_t *opts, struct bcf_hdr_t *h, void *bgzf, const uint8_t *isolate,
                     int64_t *n_records, int64_t *n_missing);

/* Write the patients and visits tables (simulate_courses.c): sex[i] (1/2) and age[i] (age at onset)
 * from the covariate table; causal may include SIM_TRAIT_PROGRESSION variants that shift the rate.
 * Returns 0, BCMS_EINVAL, BCMS_EIO or BCMS_ENOMEM. */
int sim_write_visits(const simulate_opts_t *opts, int64_t n, char *const *iids, const uint8_t *isolate,
                     const uint8_t *sex, const double *age, const sim_causal_t *causal, int n_causal,
                     int64_t *n_records);

#endif

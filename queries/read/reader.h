/* reader.h: the read path shared by scans, freq, qc and sexcheck. One reader selects datasets
 * (cohorts), regions, samples (--keep/--remove, --mind), variants (--extract/--exclude) and site
 * filters, merges the selected datasets' variants into one genomic-order list (matched on canonical
 * chrom, pos, ref, alt; a variant whose REF/ALT are swapped in a cohort is flipped), and hands out
 * fixed batches of decoded genotypes over a caller-chosen list of samples.
 *
 * Datasets combine along both axes: datasets with different samples pool, datasets with the same
 * samples and different variants (one import per chromosome) concatenate. A sample's genotype at a
 * variant comes from the one dataset that holds both; when two datasets hold the same sample and the
 * same variant, open fails naming both (BCMS_EINPUT) unless dup_rule is BCMS_DUP_FIRST (the dataset
 * imported first wins).
 *
 * Sex chromosomes follow PLINK 2: sample sex comes from sex_file or the stored phenotype column
 * `sex` (1 male, 2 female, 0/NA unknown). Males are haploid on chrX outside the PARs of par_build,
 * on chrY (where females are not counted) and everyone is haploid on chrM: a haploid call counts one
 * allele; a heterozygous haploid call counts as missing. Counts, call rates and HWE follow that.
 *
 * Site filters (maf, geno, hwe) apply in each cohort that has the variant: it must pass in every one
 * (a cohort-private variant is not judged on the other cohorts' samples). mac applies to the pooled
 * count. Counts come from the ones stored at import where they are exact for the selection
 * (autosomes, every sample of the dataset selected), else from the decoded genotypes. They are
 * computed only when a site filter needs them or need_counts is set: otherwise every count field of
 * bcms_variant_t is 0 and bcms_reader_has_counts() returns 0 (a scan computes its own from the batch).
 *
 * Threads: open, set_samples, next and close run on one thread. bcms_reader_batch may run on many
 * threads at once, each with its own bcms_reader_ws_t: the reader fetched the blocks of the window
 * under its one read transaction (pointers into the LMDB map stay valid until close), so workers
 * only read memory. Batches never depend on the thread count, and a variant's genotypes never depend on
 * which batch or chunk it falls in. */
#ifndef BCMS_READER_H
#define BCMS_READER_H

#include <stdint.h>
#include "store.h"

typedef struct {
    const char *cohorts;     /* comma-separated dataset ids or cohort names; NULL: all datasets */
    const char *regions;     /* CHR, CHR:BEG-END, ... ; NULL: everything */
    double maf_min;          /* minimum minor allele frequency (pooled stored counts) */
    uint32_t mac_min;        /* minimum minor allele count */
    double geno_max;         /* maximum missing-call rate (1: no filter) */
    double hwe_min;          /* minimum HWE exact p (0: no filter) */
    int chunk_k, chunk_n;    /* process part k (1-based) of n equal parts of the variant list; n 0: all */
    const char *keep, *remove;    /* sample files: IID per line, #IID/#FID IID header, .fam or FID IID */
    const char *extract, *exclude; /* variant files: IDs or CHR:POS:REF:ALT per line, or BED ranges */
    const char *sex_file;    /* #IID SEX (1 male, 2 female, 0/NA unknown); NULL: stored column `sex` */
    int par_build;           /* bcms_build_t of the chrX PAR bounds (default b38) */
    int dup_rule;            /* BCMS_DUP_ERROR (default) or BCMS_DUP_FIRST */
    double mind_max;         /* maximum per-sample missing-call rate (1: no filter), as plink2 --mind */
    double minr2;            /* drop variants whose stored INFO/R2 (DR2, INFO) is below this in a dataset
                              * that has them (0: no filter); variants without one are kept with a
                              * warning, and an error when no selected variant has one (reader_r2.c) */
    int need_counts;         /* fill the variants' counts even without a site filter (freq, qc) */
    int threads;             /* threads for counting at open (>= 1; results do not depend on it) */
    int stream;              /* hold one window of variants at a time (bcms_reader_next), not all */
    double memory_mb;        /* streaming: cap of the window (MB, as plink2 --memory; a fraction for tests); 0: default */
    uint32_t window;         /* streaming without memory_mb: variants per window (0: 65,536, near 16 MB) */
    int prefetch;            /* threads > 1: sites blocks read ahead on a thread of their own (reader_prefetch.c) */
} bcms_reader_opts_t;

enum { BCMS_DUP_ERROR = 0, BCMS_DUP_FIRST = 1 };

/* Ploidy class of a variant: diploid everywhere, or haploid in males (chrX outside the PARs), on
 * chrY (males only) or haploid for everyone (chrM). */
enum { BCMS_HAP_NONE = 0, BCMS_HAP_X = 1, BCMS_HAP_Y = 2, BCMS_HAP_MT = 3 };

void bcms_reader_opts_init(bcms_reader_opts_t *o);
int bcms_reader_opts_check(const bcms_reader_opts_t *o);

typedef struct {
    const char *chrom, *id, *ref, *alt;  /* owned by the reader */
    int64_t pos;
    uint32_t ac, an, nhet, nhom, nmiss, nsamp; /* pooled over the selected samples, in this REF/ALT:
                                          * ALT alleles, called alleles, diploid hets, ALT calls
                                          * (hom-alt or haploid ALT), missing calls, samples counted
                                          * (males only on chrY) */
    uint32_t ndatasets;                  /* datasets that have the variant */
    uint32_t nhh;                        /* heterozygous haploid calls: half an ALT allele each, in
                                          * neither ac nor an (ALT freq (ac + nhh/2) / (an + nhh)) */
    int hap;                             /* BCMS_HAP_* */
    uint32_t f_homref, f_het, f_homalt;  /* BCMS_HAP_X: females' calls ... */
    uint32_t m_ref, m_alt;               /* ... and males' haploid calls (unknown sex in neither) */
} bcms_variant_t;

/* HWE exact p of a variant as PLINK 2 --hardy reports it: autosomes and PARs over every sample;
 * chrX outside the PARs over females and males (Graffelman & Weir's test), with *female_p the
 * females-only test; NAN on chrY and chrM (and *female_p NAN outside chrX). */
double bcms_variant_hwe(const bcms_variant_t *v, double *female_p);

typedef struct bcms_reader_t bcms_reader_t;
typedef struct bcms_reader_ws_t bcms_reader_ws_t;

/* Returns 0 or a BCMS code (unknown cohort, bad region, damaged store). The reader keeps a read
 * transaction open: it sees one snapshot of the store until closed. */
int bcms_reader_open(bcms_store_t *st, const bcms_reader_opts_t *o, bcms_reader_t **out);
void bcms_reader_close(bcms_reader_t *rd);

/* The selected samples (each once, in the order of the datasets that first hold them): global sample
 * numbers (see store.h), the first dataset holding each (index into names) and the sex (0 unknown,
 * 1 male, 2 female). Pointers owned. */
uint32_t bcms_reader_nsamples(const bcms_reader_t *rd);
const uint32_t *bcms_reader_sample_ids(const bcms_reader_t *rd);
const uint32_t *bcms_reader_sample_dataset(const bcms_reader_t *rd);
const uint8_t *bcms_reader_sample_sex(const bcms_reader_t *rd);
/* Whether a selected dataset has variants on a contig of ploidy class hap (BCMS_HAP_X: chrX, PARs
 * included; BCMS_HAP_Y; BCMS_HAP_MT) in a block the regions select, known at open even when streaming. */
int bcms_reader_has_ploidy(const bcms_reader_t *rd, int hap);
/* Samples dropped by keep/remove and by mind at open. */
uint32_t bcms_reader_nremoved(const bcms_reader_t *rd);
uint32_t bcms_reader_nmind(const bcms_reader_t *rd);
int bcms_reader_ndatasets(const bcms_reader_t *rd);
const char *bcms_reader_dataset_name(const bcms_reader_t *rd, int d);
int bcms_reader_has_ds(const bcms_reader_t *rd);

/* Choose the samples (indices into bcms_reader_sample_ids) and their order for batches. */
int bcms_reader_set_samples(bcms_reader_t *rd, const uint32_t *idx, uint32_t n);

/* The next window of batches, b0 .. b0 + nb - 1 (nb 0: no more). Not streaming, the first call
 * gives every batch; streaming (opts.stream), each call drops the previous window and reads the next
 * (so a loop over windows serves both). Variant indices and batch numbers are global and do not
 * depend on the window size, the memory cap or the thread count. Streaming, bcms_reader_variant,
 * bcms_reader_batch_range and bcms_reader_batch take only the current window's variants and
 * batches; open, next and close run on one thread, with no batch of the window still being read. */
int bcms_reader_next(bcms_reader_t *rd, uint32_t *b0, uint32_t *nb);
/* Start again from the first variant, for a command that reads the genotypes more than once (pca
 * --approx, the structure commands' MPI passes): the same snapshot, samples, filters and chunk, so the
 * next bcms_reader_next gives the same windows, batches and indices as the first time. 0. */
int bcms_reader_rewind(bcms_reader_t *rd);

/* Variants after filters and chunking, in genomic order, and how many were filtered out (streaming:
 * up to the end of the current window; the totals once bcms_reader_next has given nb 0). */
uint64_t bcms_reader_nvariants(const bcms_reader_t *rd);
/* Streaming, the id, ref and alt strings of the current window's variants all lie in one buffer of
 * the reader, in variant order (the first variant's id lowest, the last one's alt highest: freq
 * copies a window's span of it at once). */
const bcms_variant_t *bcms_reader_variant(const bcms_reader_t *rd, uint64_t i);
uint64_t bcms_reader_nfiltered(const bcms_reader_t *rd);
int bcms_reader_has_counts(const bcms_reader_t *rd);
uint32_t bcms_reader_nbatches(const bcms_reader_t *rd);
void bcms_reader_batch_range(const bcms_reader_t *rd, uint32_t b, uint64_t *first, uint32_t *nvar);
/* The stored block batch b of the current window decodes first (d << 32 | block of the first dataset
 * holding its first variant; -1 when none does). A workspace keeps its last block, so consecutive
 * batches with one key decoded on one workspace inflate it once (a block of 4,194 rows at 1,000
 * samples is a batch of 4,096 and one of 98: on two threads' workspaces, two inflates). */
int64_t bcms_reader_batch_block(const bcms_reader_t *rd, uint32_t b);

bcms_reader_ws_t *bcms_reader_ws_new(const bcms_reader_t *rd);
void bcms_reader_ws_free(bcms_reader_ws_t *ws);

/* Decode batch b: *codes is nvar x nsel (row-major; 0/1/2, 3 missing) owned by ws and valid until
 * the next call with ws; with ds non-NULL also dosages (NaN missing; hard calls where no DS). */
int bcms_reader_batch(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint32_t b, const uint8_t **codes,
                      const float **ds);
/* Batch b as 2-bit rows (BCMS_GT_DEC_PACKED's layout, engine/block.h), row i at *rows + i * *stride,
 * when they are the stored ones as they are: one dataset, every sample in its order, no variant's
 * alleles swapped. 1 (set, owned by ws until its next call), 0 (not this case: use
 * bcms_reader_batch) or a BCMS code. */
int bcms_reader_batch_packed(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint32_t b, const uint8_t **rows,
                             size_t *stride);

#endif

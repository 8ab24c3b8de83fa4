/* reader.h: the read path shared by scans. One reader selects datasets (cohorts), regions and site
 * filters, merges the selected datasets' variants into one genomic-order list (matched on chrom, pos,
 * ref, alt; a variant whose REF/ALT are swapped in a cohort is flipped), and hands out fixed batches
 * of decoded genotypes over a caller-chosen list of samples.
 *
 * Threads: open, set_samples and close run on one thread. bcms_reader_batch may run on many threads
 * at once, each with its own bcms_reader_ws_t: the reader fetched every block it needs under its one
 * read transaction at open (pointers into the LMDB map stay valid until close), so workers only
 * read memory. Batches never depend on the thread count, and a variant's genotypes never depend on
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
} bcms_reader_opts_t;

void bcms_reader_opts_init(bcms_reader_opts_t *o);
int bcms_reader_opts_check(const bcms_reader_opts_t *o);

typedef struct {
    const char *chrom, *id, *ref, *alt;  /* owned by the reader */
    int64_t pos;
    uint32_t ac, an, nhet, nhom, nmiss, nsamp; /* pooled over the selected datasets, in this REF/ALT */
    uint32_t ndatasets;                  /* datasets that have the variant */
} bcms_variant_t;

typedef struct bcms_reader_t bcms_reader_t;
typedef struct bcms_reader_ws_t bcms_reader_ws_t;

/* Returns 0 or a BCMS code (unknown cohort, bad region, damaged store). The reader keeps a read
 * transaction open: it sees one snapshot of the store until closed. */
int bcms_reader_open(bcms_store_t *st, const bcms_reader_opts_t *o, bcms_reader_t **out);
void bcms_reader_close(bcms_reader_t *rd);

/* The selected datasets' samples, first occurrence wins when an IID is in several datasets:
 * global sample numbers (see store.h) and each one's dataset index into names. Pointers owned. */
uint32_t bcms_reader_nsamples(const bcms_reader_t *rd);
const uint32_t *bcms_reader_sample_ids(const bcms_reader_t *rd);
const uint32_t *bcms_reader_sample_dataset(const bcms_reader_t *rd);
int bcms_reader_ndatasets(const bcms_reader_t *rd);
const char *bcms_reader_dataset_name(const bcms_reader_t *rd, int d);
int bcms_reader_has_ds(const bcms_reader_t *rd);

/* Choose the samples (indices into bcms_reader_sample_ids) and their order for batches. */
int bcms_reader_set_samples(bcms_reader_t *rd, const uint32_t *idx, uint32_t n);

/* Variants after filters and chunking, in genomic order, and how many were filtered out. */
uint64_t bcms_reader_nvariants(const bcms_reader_t *rd);
const bcms_variant_t *bcms_reader_variant(const bcms_reader_t *rd, uint64_t i);
uint64_t bcms_reader_nfiltered(const bcms_reader_t *rd);
uint32_t bcms_reader_nbatches(const bcms_reader_t *rd);
void bcms_reader_batch_range(const bcms_reader_t *rd, uint32_t b, uint64_t *first, uint32_t *nvar);

bcms_reader_ws_t *bcms_reader_ws_new(const bcms_reader_t *rd);
void bcms_reader_ws_free(bcms_reader_ws_t *ws);

/* Decode batch b: *codes is nvar x nsel (row-major; 0/1/2, 3 missing) owned by ws and valid until
 * the next call with ws; with ds non-NULL also dosages (NaN missing; hard calls where no DS). */
int bcms_reader_batch(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint32_t b, const uint8_t **codes,
                      const float **ds);

#endif

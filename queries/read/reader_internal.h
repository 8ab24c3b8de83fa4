/* reader_internal.h: the reader's state, shared by reader.c (open, merge), reader_batch.c (sample
 * choice, decoding), reader_lists.c (sample and variant lists, sex) and reader_counts.c (counts,
 * site filters, --mind). Not part of the contract: see reader.h. */
#ifndef BCMS_READER_INTERNAL_H
#define BCMS_READER_INTERNAL_H

#include <stdint.h>
#include <htslib/khash.h>
#include <htslib/kstring.h>

#include "dataset.h"
#include "reader.h"

KHASH_SET_INIT_INT(rdset)
KHASH_SET_INIT_STR(rdstr)

#define RD_NONE UINT32_MAX

typedef struct {
    char *chrom;       /* canonical */
    int64_t beg0, end; /* 0-based half-open, as BED */
} rd_range_t;

typedef struct { /* a variant list (--extract / --exclude) */
    khash_t(rdstr) *names;  /* IDs and CHR:POS:REF:ALT keys (canonical CHR) */
    rd_range_t *r;
    int nr;
} rd_varlist_t;

struct bcms_reader_t {
    bcms_store_t *st;
    MDB_txn *txn;
    bcms_dataset_t *all;
    int nall, nds;
    bcms_dataset_t **ds;          /* selected datasets */
    int *ds_cohort;               /* per dataset: cohort index (one name, or shared samples: one cohort) */
    int ncohort;
    char **contig_names;          /* by global rank: the first dataset's spelling */
    char **contig_canon;          /* by global rank: canonical name (owned) */
    int ncontig;
    /* samples: the selection; per dataset, its columns' sample indices (RD_NONE: not selected) */
    uint32_t nsamp, *sample_ids, *sample_ds;
    uint8_t *sample_sex;
    int *sample_cohort;
    uint32_t **col_samp;
    uint8_t *ds_full;             /* per dataset: every column selected */
    uint8_t *overlap;             /* nds x nds: the two datasets share a selected sample */
    khash_t(rdset) *keep, *remove; /* global sample numbers; keep NULL: everyone */
    uint8_t *sex_by_num;          /* sex by global sample number (n_num entries) */
    uint32_t n_num, nremoved, nmind;
    /* chosen samples for batches, per dataset: dataset column and output index */
    uint32_t nsel, *nsel_d, **sel_col, **sel_out;
    uint8_t *sel_run; /* per dataset: 1 when its selected columns and outputs are both consecutive */
    /* variants */
    uint64_t nvar, nfiltered;
    bcms_variant_t *v;
    int32_t *loc_block;           /* nvar * nds, -1 when absent */
    uint32_t *loc_row;
    uint8_t *flip;
    uint32_t *v_cnt;              /* while opening: nvar * nds * 5 stored counts (ac an nhet nhom nmiss) */
    uint32_t *v_str;              /* nvar * 4: id, ref, alt offsets in pool; contig rank */
    float *v_r2;                  /* while opening: lowest stored r2 of each variant (NaN: none) */
    kstring_t pool;
    uint32_t nbatch;
    uint64_t *batch_first;        /* nbatch + 1 */
    /* frames of every block, per dataset */
    const void ***frame_p;
    size_t **frame_n;
    int has_ds;
    int dup_first;                /* BCMS_DUP_FIRST chosen */
    int has_counts;               /* the variants' counts were computed */
};

struct bcms_reader_ws_t {
    bcms_codec_t *codec;
    kstring_t raw;
    bcms_gtblock_t *g;            /* per dataset */
    int64_t *cached;              /* per dataset: block decoded in g, -1 none */
    int *cached_ds;               /* whether g holds dosages */
    int nds;
    uint8_t *codes;               /* cap cells */
    float *dsv;                   /* cap cells when allocated */
    size_t cap, cap_ds;
};

/* reader_lists.c */
/* Global sample numbers of a sample file's IIDs into set (IIDs not in the store counted in *unknown). */
int rd_iid_file_read(bcms_store_t *st, MDB_txn *txn, const char *path, khash_t(rdset) *set, uint32_t *unknown);
int rd_samples_load(bcms_reader_t *rd, const bcms_reader_opts_t *o);
int rd_samples_build(bcms_reader_t *rd);
int rd_varlist_load(const char *path, rd_varlist_t *out);
void rd_varlist_free(rd_varlist_t *vl);
int rd_varlist_match(const rd_varlist_t *vl, const char *canon_chrom, int64_t pos, const char *id, const char *ref,
                     const char *alt);

/* reader_batch.c */
int rd_batches_build(bcms_reader_t *rd);

/* reader_counts.c: counts of every variant (stored or decoded), --mind, site filters, chunk */
int rd_counts_filter(bcms_reader_t *rd, const bcms_reader_opts_t *o);
/* reader_r2.c: --minr2 (reader.h). join: the lowest of the datasets' r2 (NaN: none) into *acc;
 * filter: drop the variants below o->minr2 and free v_r2; report: the error when no variant had
 * an r2, the warning for those without (view shares it). */
void rd_r2_join(float *acc, float r2);
int rd_r2_filter(bcms_reader_t *rd, const bcms_reader_opts_t *o);
int rd_r2_report(double minr2, uint64_t with, uint64_t without, uint64_t dropped);
/* Keep the variants with keep[i] set, in order (arrays compacted). */
void rd_variants_compact(bcms_reader_t *rd, const uint8_t *keep);

#endif

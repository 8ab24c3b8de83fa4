/* vcf_import.h: VCF / VCF.gz / BCF files -> one new dataset of a store, through htslib.
 *
 * A dataset is one import of one or more files (e.g. one per chromosome): they must have the same
 * samples in the same order, and a contig's records must all be in one file. The result is the
 * same as importing the files concatenated in the order given.
 *
 * A dataset becomes visible in one LMDB write transaction: its record, its new samples and the history
 * line, at the last commit, or not at all. Its blocks are committed before, every 2 MB, invisible
 * until then (vcf_stage.h; LMDB keeps a transaction's pages in memory). A malformed record, an
 * unsorted file, a sample count mismatch removes the blocks again: every table holds what it held.
 * An import killed meanwhile leaves invisible blocks that the next import removes (engine/FORMAT.md,
 * Atomicity). Readers running meanwhile keep seeing their snapshot. */
#ifndef BCMS_VCF_IMPORT_H
#define BCMS_VCF_IMPORT_H

#include <stdint.h>
#include "store.h"

typedef struct {
    uint64_t records, rows;     /* VCF records read, biallelic rows stored */
    uint64_t bytes_done, bytes_total; /* input bytes consumed (compressed offset) and file size */
    double seconds;
} bcms_import_progress_t;

typedef void (*bcms_progress_fn)(const bcms_import_progress_t *p, int final, void *userdata);

typedef struct {
    const char *cohort;         /* dataset name; default: the file name without extensions */
    int threads;                /* worker threads for parsing/encoding and BGZF decompression (>=1) */
    int force;                  /* import even if the same file was imported before */
    const char *command;        /* command line, for provenance */
    int same_samples;           /* IIDs already in another dataset are the same people */
    const char *iid_prefix;     /* prefix every IID of the input with this (NULL: none) */
    int codec;                  /* BCMS_CODEC_* of the blocks; 0: the store's (Zstandard in a format 3
                                 * store, DEFLATE in a 2.x one, which only DEFLATE readers know) */
    int level;                  /* compression level (DEFLATE 1..12, Zstandard 1..19); 0: the codec's
                                 * default (4, 3) */
    uint32_t block_bytes;       /* target raw genotype bytes per block (2-bit dense) */
    double memory_mb;           /* cap of the workspace: the batches of input in flight and the frames of
                                 * a commit (plink2 --memory); 0: a block's input per thread per batch and
                                 * commits of VCF_STAGE_BYTES. Floor: one block per batch and per commit
                                 * (a smaller cap gives that). The store does not depend on it. */
    int locked;                 /* the caller holds the import lock (vcf_stage_lock_dir of the store) */
    bcms_progress_fn progress;  /* called about once a second, and once at the end */
    void *progress_ud;
} bcms_import_opts_t;

void bcms_import_opts_init(bcms_import_opts_t *o);
int bcms_import_opts_check(const bcms_import_opts_t *o);

typedef struct {
    uint32_t dataset_id;
    uint32_t nsamples, new_samples;
    int64_t shared_with;        /* a dataset sharing this one's samples, or -1 */
    uint32_t nfiles;
    uint64_t records, rows, split_records;
    uint64_t stored_bytes;      /* compressed bytes of the dataset's sites + genotype frames */
    double seconds;
} bcms_import_stats_t;

/* Import paths[0..npaths) into st (opened read-write) as one dataset, all or nothing. Returns 0 or
 * a BCMS_E* code with a detail message that names the file and line (or record number for BCF).
 * stats may be NULL. */
int bcms_import(bcms_store_t *st, const char *const *paths, int npaths, const bcms_import_opts_t *o,
                bcms_import_stats_t *stats);

#endif

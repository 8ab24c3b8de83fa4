/* vcf_import.h: VCF / VCF.gz / BCF -> one new dataset of a store, through htslib.
 *
 * The whole import is one LMDB write transaction: the dataset, its blocks, its new samples and the
 * history line become visible together at commit, or not at all. A malformed record, an unsorted
 * file, a sample count mismatch, an interrupted run (even kill -9) leaves the store exactly as it
 * was. Readers running meanwhile keep seeing their snapshot. */
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
    int level;                  /* DEFLATE level of blocks (1..12) */
    uint32_t block_bytes;       /* target raw genotype bytes per block (2-bit dense) */
    bcms_progress_fn progress;  /* called about once a second, and once at the end */
    void *progress_ud;
} bcms_import_opts_t;

void bcms_import_opts_init(bcms_import_opts_t *o);
int bcms_import_opts_check(const bcms_import_opts_t *o);

typedef struct {
    uint32_t dataset_id;
    uint32_t nsamples, new_samples;
    uint64_t records, rows, split_records;
    uint64_t stored_bytes;      /* compressed bytes of the dataset's sites + genotype frames */
    double seconds;
} bcms_import_stats_t;

/* Import path into st (opened read-write). Returns 0 or a BCMS_E* code with a detail message that
 * names the file and line (or record number for BCF). stats may be NULL. */
int bcms_import(bcms_store_t *st, const char *path, const bcms_import_opts_t *o, bcms_import_stats_t *stats);

#endif

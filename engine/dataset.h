/* dataset.h: one imported VCF/BCF: its samples (as global sample numbers), contigs, the index of
 * its variant blocks, counts and provenance. A dataset record is written in the same LMDB
 * transaction as its last block, so a dataset is either complete and visible or absent. */
#ifndef BCMS_DATASET_H
#define BCMS_DATASET_H

#include <stdint.h>
#include <lmdb.h>

#include "store.h"

typedef struct {
    uint32_t contig;      /* index into bcms_dataset_t.contigs */
    int64_t first_pos;    /* 1-based positions of the first and last variant */
    int64_t last_pos;
    uint32_t nvar;        /* biallelic rows in the block */
    uint64_t first_row;   /* row number of the block's first variant within the dataset */
    uint64_t gt_bytes;    /* stored (compressed) size of its genotype frame */
} bcms_block_info_t;

typedef struct {
    char *name;           /* canonical (engine/contig.h: 1..22, X, Y, MT, others as written) */
    char *input_name;     /* the input's spelling (chr1, 23, M ...), for export */
    int64_t length;       /* 0 if the header did not say */
} bcms_contig_t;

/* One input file of a dataset (a dataset is one import of one or more files). */
typedef struct {
    char *path;           /* as given on the command line */
    uint64_t size;
    char *fingerprint;    /* hex MD5 over size + first and last MiB of the file (see FORMAT.md) */
} bcms_source_t;

enum { BCMS_DS_HAS_PHASE = 1, BCMS_DS_HAS_DS = 2 };

typedef struct {
    uint32_t id;
    char *cohort;
    uint32_t nsamples;
    uint32_t *samples;    /* global sample numbers, in the VCF's column order */
    uint32_t ncontigs;
    bcms_contig_t *contigs;
    uint32_t nblocks;
    bcms_block_info_t *blocks;
    uint64_t nrows;       /* biallelic rows (after splitting multi-allelic records) */
    uint64_t nrecords;    /* VCF records read */
    uint32_t flags;       /* BCMS_DS_HAS_* */
    /* provenance */
    uint32_t nsources;
    bcms_source_t *sources; /* the input files, in import order (contigs never repeat across them) */
    char *imported_at;
    char *command;
    char *tool;
    char *header_text;    /* the first input's VCF header (for view) */
} bcms_dataset_t;

/* Serialise/parse the record stored under datasets/<id>. The record ends with a CRC-32 of its bytes;
 * parse returns BCMS_ECORRUPT ("dataset record N is damaged") when it does not match. */
int bcms_dataset_put(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds);
int bcms_dataset_parse(const void *p, size_t n, bcms_dataset_t *ds);

/* All datasets of the store in id order; *out is an array the caller frees with
 * bcms_dataset_list_free. */
int bcms_dataset_list(bcms_store_t *st, MDB_txn *txn, bcms_dataset_t **out, int *n);
void bcms_dataset_list_free(bcms_dataset_t *ds, int n);
void bcms_dataset_clear(bcms_dataset_t *ds);

/* Find a contig by canonical name (-1 if absent). */
int bcms_dataset_contig(const bcms_dataset_t *ds, const char *name);

#endif

/* Block reading (engine/blockio.c). raw is a scratch buffer owned by the caller (one per thread);
 * codec is the caller's per-thread codec. The decoded block does not point into the map, so it
 * stays valid after the transaction ends. */
#include "block.h"
int bcms_block_read_sites(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, uint32_t block,
                          bcms_codec_t *codec, kstring_t *raw, bcms_sites_t *out);
int bcms_block_read_gt(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, uint32_t block, bcms_codec_t *codec,
                       kstring_t *raw, int flags, bcms_gtblock_t *out);

/* Pick one dataset by id ("0") or cohort name. With spec NULL there must be exactly one dataset.
 * Returns its index in list, or a negative BCMS code with a message listing the choices. */
int bcms_dataset_pick(const bcms_dataset_t *list, int n, const char *spec);

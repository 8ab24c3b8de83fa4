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
#include "region.h"

KHASH_SET_INIT_INT(rdset)
KHASH_SET_INIT_STR(rdstr)

#define RD_NONE UINT32_MAX
#define RD_BATCH_MAX 4096 /* variants of a batch at most (reader_batch.c) */

typedef struct {
    char *chrom;       /* canonical */
    int64_t beg0, end; /* 0-based half-open, as BED */
} rd_range_t;

typedef struct { /* a variant list (--extract / --exclude) */
    khash_t(rdstr) *names;  /* IDs and CHR:POS:REF:ALT keys (canonical CHR) */
    rd_range_t *r;
    int nr;
} rd_varlist_t;

typedef struct { /* the samples a decode writes, per dataset: dataset column and output index */
    uint32_t nsel, *nsel_d, **sel_col, **sel_out;
    uint8_t *sel_run; /* per dataset: 1 when its selected columns and outputs are both consecutive */
} rd_sel_t;

typedef struct { /* one dataset's walk through its selected blocks, in genomic order */
    uint32_t *blk, nblk, bi;      /* selected blocks by (global contig rank, position); bi: next to load */
    bcms_sites_t sites;           /* of block cur */
    uint32_t cur, row, rank;      /* block loaded (RD_NONE: none), next row, its global contig rank */
    uint32_t last_rank;           /* the last row handed out, to check the order */
    int64_t last_pos;
    bcms_regions_t rg;            /* the regions resolved on this dataset (r owned, chrom borrowed) */
} rd_cursor_t;

typedef struct { /* a row of one dataset at the merge's current position */
    uint32_t d, block, row;
    uint32_t id, ref, alt;        /* offsets in the group's string pool: "id\0ref\0alt\0" there */
    uint32_t ac, an, nhet, nhom, nmiss;
    float r2;                     /* stored imputation quality (NaN: none), for --minr2 */
} rd_entry_t;

enum { RD_FILL_SCAN = 0, RD_FILL_COUNT = 1, RD_FILL_MIND = 2 };

typedef struct rd_prefetch_t rd_prefetch_t; /* reader_prefetch.c */

typedef struct { /* where frames are read from (reader_fetch.c) */
    const char *map;              /* LMDB's map of data.mdb (NULL: unknown, read values in place) */
    int fd;                       /* data.mdb, for pread (-1: none) */
} rd_fetch_t;

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
    rd_sel_t sel;                 /* the caller's samples (bcms_reader_set_samples) */
    rd_sel_t sel_all;             /* every selected sample in order: counts and --mind */
    /* the window: variants v0 .. v0 + nvar - 1 of the stream (all of them unless streaming); batches
     * b0 .. b0 + nrel - 1 are handed out, the variants after them wait for the next window */
    uint64_t nvar, nfiltered, v0;
    uint64_t nfiltered_all;       /* streaming with --chunk: filtered over the whole stream (else UINT64_MAX) */
    uint32_t b0, nrel;
    int stream, at_end, handed, fill_mode;
    uint64_t cap;                 /* candidate variants gathered per fill step */
    uint64_t seen, chunk_lo, chunk_hi; /* variants past the filters so far; the chunk's range of them */
    /* the merge */
    rd_cursor_t *cur;             /* per dataset */
    uint32_t **ctg_map;           /* per dataset: contig index -> global rank */
    bcms_codec_t *codec;
    kstring_t raw, gpool, fbuf;   /* fbuf: a frame's stored bytes (reader_fetch.c) */
    rd_fetch_t fetch;
    rd_prefetch_t *pf;            /* the sites blocks' decoder thread (NULL: none, one thread) */
    int *ctg_kind;                /* by global rank: bcms_contig_kind of contig_canon (reader_stream.c) */
    rd_entry_t *grp;              /* rows at the merge position */
    size_t ngrp, mgrp;
    uint8_t *gused, *vkeep;          /* vkeep: mkeep per-variant flags of the filters */
    size_t mkeep;
    bcms_reader_opts_t o;         /* the options (strings borrowed from the caller) */
    bcms_reader_ws_t **cws;       /* per thread of o.threads: counts' and --mind's workspaces, kept
                                   * across windows (a block is decoded once, not once per window) */
    rd_varlist_t ex, xx;
    bcms_variant_t *v;
    int32_t *loc_block;           /* nvar * nds, -1 when absent */
    uint32_t *loc_row;
    uint8_t *flip;
    uint32_t *v_cnt;              /* while opening: nvar * nds * 5 stored counts (ac an nhet nhom nmiss) */
    uint32_t *v_str;              /* nvar * 4: id, ref, alt offsets in pool; contig rank */
    kstring_t pool;
    uint32_t nbatch;
    uint64_t *batch_first;        /* nbatch + 1, window-relative */
    /* frames of every selected block, per dataset: genotypes and sites, looked up at open (the
     * lookups' pages then leave memory before the windows are built: reader_fetch.c) */
    const void ***frame_p, ***sites_p;
    size_t **frame_n, **sites_n;
    int has_ds;
    int dup_first;                /* BCMS_DUP_FIRST chosen */
    int has_counts;               /* the variants' counts were computed */
    uint64_t r2_with, r2_without, r2_dropped; /* --minr2 over the current pass */
    int r2_reported;              /* its warning (or error) was given */
};

struct bcms_reader_ws_t {
    bcms_codec_t *codec;
    kstring_t raw, fbuf;          /* fbuf: a frame's stored bytes (reader_fetch.c) */
    bcms_gtblock_t *g;            /* per dataset */
    int64_t *cached;              /* per dataset: block decoded in g, -1 none */
    int *cached_ds;               /* how g holds it: 1 with dosages, BCMS_GT_DEC_PACKED as 2-bit rows, 0 codes */
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
/* Batches over the window's variants (window-relative). */
int rd_batches_build(bcms_reader_t *rd);
/* Choose samples idx[0..n) into sel. */
int rd_sel_set(bcms_reader_t *rd, rd_sel_t *sel, const uint32_t *idx, uint32_t n);
void rd_sel_free(rd_sel_t *sel, int nds);
/* Decode window variants first .. first + nv - 1 over sel into ws (as bcms_reader_batch). */
int rd_decode(const bcms_reader_t *rd, const rd_sel_t *sel, bcms_reader_ws_t *ws, uint64_t first, uint32_t nv,
              const uint8_t **codes, const float **ds);

/* reader_stream.c: the merge of the datasets and the window */
int rd_stream_init(bcms_reader_t *rd, const bcms_regions_t *rg);
void rd_stream_free(bcms_reader_t *rd);
/* Back to the first variant (a new pass: --mind, the chunk's count). */
void rd_stream_rewind(bcms_reader_t *rd);
/* The next window (mode RD_FILL_*): after it, batches 0 .. nrel - 1 of the window are complete. */
int rd_window_fill(bcms_reader_t *rd, int mode);

/* reader_fetch.c: frames by pread from the data file, not through the map (see there why) */
void rd_fetch_init(rd_fetch_t *f, bcms_store_t *st);
/* The n bytes LMDB returned at p (inside the map) into buf; *out: buf's bytes, or p itself when the
 * map is unknown. Any thread. */
int rd_fetch(const rd_fetch_t *f, const void *p, size_t n, kstring_t *buf, const void **out, const char *what);
/* bcms_block_read_sites (block.h, blockio.c) through rd_fetch, with the map's pages dropped after the
 * lookup: same checks, messages and results. One thread (the map release). */
/* Where block b's frame of kind BCMS_FRAME_* lies in the map (a lookup; its pages dropped after). */
int rd_frame_lookup(bcms_store_t *st, MDB_txn *txn, int kind, const bcms_dataset_t *ds, uint32_t b, const void **p,
                    size_t *n);
/* Block b's sites from the frame at p (n bytes in the map). */
/* reader_prefetch.c: the next sites block of each dataset decoded on a thread of its own while
 * the merge walks the current one (start: when threads > 1; a failed thread start leaves pf NULL).
 * take: 1 when the slot held cursor d's block index bi (its sites swapped into *out, *rc its
 * result), 0 when the caller must decode it. queue: decode index bi of cursor d next. reset: no
 * block pending (a rewind). Every call on the merge's thread. */
int rd_prefetch_start(bcms_reader_t *rd);
void rd_prefetch_stop(bcms_reader_t *rd);
void rd_prefetch_reset(bcms_reader_t *rd);
int rd_prefetch_take(bcms_reader_t *rd, int d, uint32_t bi, bcms_sites_t *out, int *rc);
void rd_prefetch_queue(bcms_reader_t *rd, int d, uint32_t bi);
int rd_sites_read(bcms_store_t *st, const rd_fetch_t *f, const bcms_dataset_t *ds, uint32_t b, const void *p, size_t n,
                  bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, bcms_sites_t *out);
int rd_block_sites(bcms_store_t *st, MDB_txn *txn, const rd_fetch_t *f, const bcms_dataset_t *ds, uint32_t b,
                   bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, bcms_sites_t *out);
/* Block b's genotypes from the frame at p (n bytes in the map), as bcms_block_read_gt. */
int rd_gt_read(bcms_store_t *st, const rd_fetch_t *f, const bcms_dataset_t *ds, uint32_t b, const void *p, size_t n,
               bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, int flags, bcms_gtblock_t *out);

/* reader_r2.c: --minr2 (reader.h). join: the lowest of the datasets' r2 (NaN: none) into *acc;
 * keep: whether a merged variant of lowest r2 passes (counted for the report); report: the error
 * when no variant had an r2, the warning for those without (view shares it). */
void rd_r2_join(float *acc, float r2);
int rd_r2_keep(bcms_reader_t *rd, float r2);
int rd_r2_report(double minr2, uint64_t with, uint64_t without, uint64_t dropped);

/* reader_counts.c: counts of variants (stored or decoded), --mind, site filters */
/* --mind over a whole pass of the stream (rewinds it after). */
int rd_mind_apply(bcms_reader_t *rd);
/* Counts of window variants from .. nvar - 1, judged by the site filters into keep[]. */
int rd_counts_range(bcms_reader_t *rd, uint64_t from, uint8_t *keep);
void rd_counting_ws_free(bcms_reader_t *rd);
/* Keep the window variants from .. nvar - 1 with keep[i - from] set, in order (arrays compacted). */
void rd_variants_compact(bcms_reader_t *rd, uint64_t from, const uint8_t *keep);

#endif

/* vcf_import_internal.h: the state of one import, shared by the pipeline (vcf_import.c) and the
 * dataset's registration (vcf_import_dataset.c). bcms, GPL-3.0-or-later. */
#ifndef BCMS_VCF_IMPORT_INTERNAL_H
#define BCMS_VCF_IMPORT_INTERNAL_H

#include <stdint.h>
#include <htslib/kstring.h>
#include <htslib/vcf.h>

#include "block.h"
#include "codec.h"
#include "dataset.h"
#include "vcf_import.h"
#include "vcf_inputs.h"
#include "vcf_rows.h"

/* One block's worth of input records and, after the workers ran, its frames. */
typedef struct {
    uint32_t contig;
    uint64_t first_line;         /* VCF line number (or BCF record number) of the first record */
    uint32_t nrec;
    size_t text0, text_l;        /* VCF: the lines, each NUL-terminated, in the batch's text from text0 */
    uint64_t bytes;              /* the input it holds: text_l, or the BCF records' bytes */
    uint32_t *line_off;          /* VCF: offset of each line from text0 */
    bcf1_t **recs;               /* BCF: records */
    uint32_t mrec, mrec_bcf;     /* capacities of line_off and recs (a dataset may mix VCF and BCF files) */
    /* results */
    int rc;
    char err[1024];
    uint32_t nrows, nsplit;            /* rows made, multi-allelic records split */
    int64_t first_pos, last_pos;
    int any_phase, any_ds;
    kstring_t sites_frame, gt_frame;
} job_t;

typedef struct {
    bcf_hdr_t *hdr;              /* private copy: vcf_parse may add undeclared tags/contigs to it */
    bcf_hdr_t *hdr_sites;        /* private sample-less copy for the fast path's site columns */
    bcf1_t *rec;
    bcms_rowbuf_t rb;
    bcms_sites_t sites;
    kstring_t raw, gtraw, save;
    kstring_t gts[3];            /* the genotype streams of the block being built */
    bcms_codec_t *codec;
} worker_t;

/* A batch of block jobs and the text of their lines: one buffer, so that what the batch holds is
 * its input bytes however many blocks they make. */
typedef struct {
    job_t *jobs;
    uint32_t n;
    kstring_t text;
} batch_t;

/* The state of one import: its inputs, the dataset being built, the pipeline's buffers. */
typedef struct {
    bcms_store_t *st;
    const bcms_import_opts_t *o;
    vcf_input_t *in;
    int nin, fi;                 /* inputs, the one being read */
    MDB_txn *txn;
    int lock_fd, staged;         /* the import lock; blocks already committed (undone on failure) */
    uint64_t txn_bytes, txn_cap; /* frames put in the open transaction; when it commits */
    bcms_dataset_t ds;
    vcf_ctgmap_t ctg;
    worker_t *workers;
    job_t *jobs;
    batch_t batch[2];
    uint64_t job_max, batch_cap; /* the largest job's input bytes so far; --memory's cap of a batch (0: none) */
    uint32_t njobs, nsamp, per_block, mblocks;
    int codec, level;            /* the blocks' codec and level (import_codec) */
    int nthreads, fast_ds;       /* fast_ds: -1 no text fast path (BCF), else BCMS_FAST_* flags */
    kstring_t line;              /* a pending text line (read, not yet in a job); scratch for plain text */
    size_t line_len;             /* length of the text line last read */
    bcf1_t *brec;
    uint64_t lineno, nrec, split, stored, bytes_before; /* bytes_before: sizes of the inputs already read */
    int pending, pend_ctg, eof;
    uint64_t pend_line;
    int64_t prev_pos;
    uint32_t new_samples;
    int64_t shared;
    double t0, t_prog;
    bcms_import_progress_t prog;
} imp_t;

/* vcf_import_dataset.c */
int vcf_imp_open_inputs(imp_t *im, const char *const *paths);
int vcf_imp_start_dataset(imp_t *im);
int vcf_imp_register_samples(imp_t *im);
int vcf_imp_put_dataset(imp_t *im);

#endif

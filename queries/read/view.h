/* view.h: write a dataset (or a region / sample / variant subset of it) back out as VCF or BCF through
 * htslib: sites, GT with phase and missingness exactly as imported (multi-allelic records come
 * out split into biallelic rows, as after `bcftools norm -m-`), and FORMAT/DS when imported. */
#ifndef BCMS_VIEW_H
#define BCMS_VIEW_H

#include "store.h"
#include "dataset.h"

typedef struct {
    const char *dataset;   /* id, or a cohort name: all its datasets when they hold the same samples
                            * (per-chromosome imports, concatenated in contig order); NULL: the only
                            * dataset, or all when they all hold the same samples */
    const char *regions;   /* "chr:beg-end,..." or NULL */
    const char *samples;   /* comma-separated IIDs, "^" prefix to exclude; NULL: all */
    const char *samples_file; /* one IID per line */
    const char *keep, *remove;     /* sample files as for the reader (reader.h) */
    const char *extract, *exclude; /* variant lists as for the reader */
    double minr2;          /* rows whose stored INFO/R2 (DR2, INFO) is below this are left out (0: all);
                            * rows without one are kept; an error when no row written has one */
    const char *out;       /* path or "-" */
    char format;           /* 'v' VCF, 'z' bgzipped VCF, 'b' BCF, 'u' uncompressed BCF */
    int threads;
    int header_only;
    const char *command;
} bcms_view_opts_t;

void bcms_view_opts_init(bcms_view_opts_t *o);
int bcms_view(bcms_store_t *st, const bcms_view_opts_t *o);

/* Sample selection shared by readers: resolve names (list or file, "^" to exclude) to column indices
 * of ds. *idx is allocated (caller frees); *n the count. Unknown names are an error naming them. */
int bcms_samples_select(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, const char *list,
                        const char *file, uint32_t **idx, uint32_t *n);

#endif

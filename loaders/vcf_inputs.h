/* vcf_inputs.h (internal to loaders/): the input side of an import: opening and checking the files
 * of one dataset (one or more VCF/BCF, e.g. one per chromosome), the dataset's contig list with
 * canonical names, and the registration of its samples in the store's registry. */
#ifndef BCMS_VCF_INPUTS_H
#define BCMS_VCF_INPUTS_H

#include <stdint.h>
#include <htslib/khash.h>
#include <htslib/vcf.h>

#include "dataset.h"
#include "vcf_import.h"

typedef struct {
    const char *path;            /* as given (not owned) */
    htsFile *fp;
    bcf_hdr_t *hdr;
    int is_bcf;
    uint64_t size;               /* file size in bytes */
    uint64_t header_lines;       /* text VCF: lines before the first record */
    char fingerprint[33];
} vcf_input_t;

/* Open path, check it is a complete VCF/BCF with samples whose names the store can keep (not
 * empty, at most BCMS_IID_MAX bytes), read its header. Errors name the file and what to do. */
int vcf_input_open(vcf_input_t *in, const char *path, int nthreads);
void vcf_input_close(vcf_input_t *in);

/* Every input must have the first one's samples, in the same order. */
int vcf_inputs_same_samples(const vcf_input_t *in, int n);

KHASH_MAP_INIT_STR(vctg, int)

/* The dataset's contigs: input spelling -> index into ds->contigs (canonical name + spelling). */
typedef struct {
    khash_t(vctg) *h;
    uint8_t *done;               /* records of the contig ended (another contig or file started) */
    int *src;                    /* input whose records had the contig, -1 if none yet */
    int cur;                     /* contig of the records being read, -1 at the start of a file */
} vcf_ctgmap_t;

int vcf_ctgmap_init(vcf_ctgmap_t *m);
void vcf_ctgmap_free(vcf_ctgmap_t *m);

/* Add the contigs a header declares (walking its dictionary: a BCF header may have gaps in its
 * numbering) to ds, in header order. Two spellings of one canonical name are an error. */
int vcf_contigs_from_header(bcms_dataset_t *ds, vcf_ctgmap_t *m, const vcf_input_t *in);

/* Index of a record's CHROM (chrom[0..clen)), adding an undeclared contig; refuses a contig that
 * comes back after another one, in the same file or in an earlier one. */
int vcf_contig_of(bcms_dataset_t *ds, vcf_ctgmap_t *m, const char *chrom, size_t clen, const vcf_input_t *inputs,
                  int fi, uint64_t lineno, int *out);

/* Register the samples of hdr for dataset ds (inside txn; existing: the store's datasets). IIDs
 * already used by another dataset are refused with their count and a few names, unless
 * o->same_samples, or an existing dataset of the same cohort has exactly this sample list (a cohort
 * delivered per chromosome by separate imports), or o->iid_prefix makes them new. *shared gets the
 * id of a dataset that shares samples with this one, or -1. quiet: no note of a cohort's part
 * recognised (the import checks first, then registers). */
int vcf_samples_register(bcms_store_t *st, MDB_txn *txn, const vcf_input_t *in, const bcms_import_opts_t *o,
                         const bcms_dataset_t *existing, int nexisting, bcms_dataset_t *ds, uint32_t *new_samples,
                         int64_t *shared, int quiet);

/* The default dataset name: the file name without directory and VCF/BCF/compression extensions. */
char *vcf_default_cohort(const char *path);

/* The next line of a text input (VCF, BGZF or gzip or plain), appended to dst without its newline
 * and NUL-terminated; dst->l is left where the line starts, *len receives its length. The bytes are
 * hts_getline's (one trailing '\r' dropped, as it does), but a compressed input's line is found
 * with memchr and copied once, straight from the decompressed block into dst (htslib's getline scans
 * byte by byte into its own buffer: a fifth of an import's instructions). tmp is a scratch buffer
 * for plain text. Returns 0, 1 at the end of the input, -1 on a read or decompression error, -2
 * out of memory. */
int vcf_input_line(vcf_input_t *in, kstring_t *dst, kstring_t *tmp, size_t *len);

#endif

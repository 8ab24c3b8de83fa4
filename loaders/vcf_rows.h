/* vcf_rows.h (internal to loaders/): one parsed htslib record -> biallelic rows appended to a block
 * under construction. Used by the import workers; one bcms_rowbuf_t per thread. */
#ifndef BCMS_VCF_ROWS_H
#define BCMS_VCF_ROWS_H

#include <htslib/vcf.h>
#include "block.h"

typedef struct {
    uint32_t nsamp;
    int has_ds_tag;              /* header declares FORMAT/DS */
    int32_t *gt; int mgt;        /* htslib buffers, reused */
    float *ds; int mds;
    uint8_t *codes, *phase;      /* nsamp each */
    uint8_t *prev;               /* codes of the previous row of the block */
    uint8_t *prev_phase;         /* the block's carried phase state (see bcms_gt_encode_row) */
    int have_prev;               /* cleared by the caller at each new block */
    float *dsrow;
    bcms_gtexc_t *exc; uint32_t nexc, mexc;
    int32_t *exc_al; uint32_t nexc_al, mexc_al;
    kstring_t filter;
    char **sample_names;         /* for messages (the full header's) */
    int prefilled;               /* gt/ds already filled by bcms_vcf_fast_parse */
    int pre_mp, pre_nds;
} bcms_rowbuf_t;

int bcms_rowbuf_init(bcms_rowbuf_t *rb, uint32_t nsamp, int has_ds_tag);
void bcms_rowbuf_free(bcms_rowbuf_t *rb);

/* Split rec into biallelic rows and append them to sites and the raw genotype buffer gt.
 * *nrows receives the rows added; *any_phase / *any_ds are set when a row has them. On bad data
 * returns BCMS_EINPUT with a detail message (without file/line: the caller adds them). */
int bcms_rows_from_record(bcms_rowbuf_t *rb, const bcf_hdr_t *h, bcf1_t *rec, bcms_sites_t *sites, kstring_t gt[3],
                          uint32_t *nrows, int *any_phase, int *any_ds);

/* Fast path for the common text record: FORMAT starting with GT, every call diploid ("a/b" or
 * "a|b", alleles a number or "."), DS (when ds_idx > 0, the DS subfield's index in FORMAT) a plain
 * decimal. Fills rb->gt / rb->ds as htslib would and sets rb->prefilled. line points at the first
 * sample column. Returns 0, or -1 when the record needs htslib's full parser (anything unusual,
 * including every malformed case, so errors stay htslib's). */
int bcms_vcf_fast_samples(bcms_rowbuf_t *rb, const char *p, const char *end, int n_allele, int ds_idx);

#endif

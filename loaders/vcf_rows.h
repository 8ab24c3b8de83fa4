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
    const char *r2_tag;          /* INFO tag of the imputation quality (R2, DR2 or INFO), or NULL */
    float *r2; int mr2;
    int prefilled;               /* gt/ds already filled by bcms_vcf_fast_parse */
    int pre_mp, pre_nds;
    int direct;                  /* codes/phase/dsrow and the counts below filled straight from the
                                  * text by bcms_vcf_fast_record (one biallelic row) */
    uint32_t d_hist[4], d_nph;   /* direct: calls per genotype code, phased calls */
} bcms_rowbuf_t;

int bcms_rowbuf_init(bcms_rowbuf_t *rb, uint32_t nsamp, int has_ds_tag);
void bcms_rowbuf_free(bcms_rowbuf_t *rb);

/* Split rec into biallelic rows and append them to sites and the raw genotype buffer gt.
 * *nrows receives the rows added; *any_phase / *any_ds are set when a row has them. On bad data
 * returns BCMS_EINPUT with a detail message (without file/line: the caller adds them). */
int bcms_rows_from_record(bcms_rowbuf_t *rb, const bcf_hdr_t *h, bcf1_t *rec, bcms_sites_t *sites, kstring_t gt[3],
                          uint32_t *nrows, int *any_phase, int *any_ds);

/* The INFO tag a header offers for imputation quality: the first of R2 (minimac), DR2 (Beagle),
 * INFO (IMPUTE) declared with Type=Float; NULL when none. */
const char *bcms_vcf_r2_tag(const bcf_hdr_t *h);

/* What the text fast path may take (bcms_vcf_fast_record's ok argument). */
enum {
    BCMS_FAST_DS = 1,            /* FORMAT/DS is declared Type=Float */
    BCMS_FAST_GP = 2             /* FORMAT/GP is declared Type=Float (skipped: bcms does not store GP) */
};

/* Fast path for the common text record: FORMAT exactly GT, GT:DS (ok has BCMS_FAST_DS), or, for
 * biallelic records, GT:DS:GP or GT:GP (ok has BCMS_FAST_GP), every call diploid ("a/b" or "a|b",
 * alleles a number or "."), DS a plain decimal or ".", GP up to three plain decimals or ".", no more
 * subfields than FORMAT keys. htslib parses the 8 site columns into rec with hdr_sites (a
 * sample-less copy of the header). A biallelic record whose calls are all of one-character alleles
 * (0, 1, ".", none half missing) goes straight to genotype codes (rb->direct); other records fill
 * rb->gt / rb->ds as htslib would (rb->prefilled). Either way the rows stored are the same bytes as
 * after htslib's parser. Returns 0, or -1 when the record needs htslib's full parser: anything else,
 * including every malformed case, so that the fast path accepts nothing htslib refuses (tested by
 * tests/unit/test_vcf_fast.c). line[0..len) is one record without its newline; it is restored when -1 is returned. save is a scratch buffer. */
int bcms_vcf_fast_record(bcms_rowbuf_t *rb, bcf_hdr_t *hdr_sites, bcf1_t *rec, char *line, size_t len, int ok,
                         kstring_t *save);

/* The sample columns of a biallelic FORMAT GT record (from p to the end of the line) straight into
 * rb->codes, rb->phase and the code histogram (rb->direct set), when every call is one-character
 * alleles "a/b" or "a|b" (0, 1, or "./."); -1 otherwise (vcf_gt.c). */
int bcms_vcf_direct_gt(bcms_rowbuf_t *rb, const char *p, const char *end);
/* Widest vector loop bcms_vcf_direct_gt may use: 2 AVX2 (where the CPU has it; the default), 1 SSE2,
 * 0 none. For tests, which run each: the bytes stored never depend on it. */
extern int bcms_vcf_gt_simd;

/* The full parser: the column count against nsamp, then htslib's vcf_parse. Returns 0 or
 * BCMS_EINPUT with a detail message (without file/line). line is tokenised in place. */
int bcms_vcf_full_record(bcf_hdr_t *hdr, bcf1_t *rec, char *line, size_t len, uint32_t nsamp);

#endif

/* block.h: the two column families of a variant block, in memory and on disk.
 *
 * A block holds up to a few thousand biallelic rows of one dataset on one contig, in genomic order.
 * Its sites (positions, IDs, alleles, QUAL, FILTER, per-variant counts, origin of split
 * multi-allelic records) and its genotypes are separate frames in the `sites` and `gt` tables under
 * the same key, so frequency and call-rate filters read the small sites frame and never touch
 * genotypes. Layouts are in engine/FORMAT.md.
 *
 * Genotype codes: 0 hom-ref, 1 het, 2 hom-alt, 3 missing (the PLINK 2 convention). Calls that are
 * not plain diploid (haploid, partly missing like "./1", polyploid, an explicit leading phase) are
 * kept exactly as "exceptions" beside an approximate code, so `bcms view` gives them back. */
#ifndef BCMS_BLOCK_H
#define BCMS_BLOCK_H

#include <stdint.h>
#include <htslib/kstring.h>

#include "codec.h"

/* ---- sites ---- */
typedef struct {
    int64_t pos;                         /* 1-based */
    uint32_t ac, an, nhet, nhom, nmiss;  /* ALT allele count, called alleles, het / hom-alt / missing calls */
    float qual;                          /* bcf_float_missing bit pattern when "." */
    uint16_t alt_idx, n_allele;          /* this row is ALT #alt_idx of a record with n_allele alleles */
    float r2;                            /* imputation quality from INFO/R2, DR2 or INFO (stored at import,
                                          * for --minr2); NaN when the input had none for this row */
    uint32_t id, ref, alt, filter;       /* offsets of NUL-terminated strings in bcms_sites_t.str */
} bcms_site_t;

typedef struct {
    uint32_t nvar, mvar;
    bcms_site_t *v;
    kstring_t str;
} bcms_sites_t;

#define BCMS_SITE_STR(S, off) ((S)->str.s + (off))

void bcms_sites_reset(bcms_sites_t *s);
void bcms_sites_free(bcms_sites_t *s);
/* Append one row; the strings are copied. filter is ";"-joined names, "" for missing. */
int bcms_sites_add(bcms_sites_t *s, const bcms_site_t *site, const char *id, const char *ref, const char *alt,
                   const char *filter);
/* Encode to a raw (uncompressed) column layout in out (replacing its contents). */
int bcms_sites_encode(const bcms_sites_t *s, kstring_t *out);
/* Decode raw column bytes (replacing s's contents). Returns 0 or BCMS_ECORRUPT. */
int bcms_sites_decode(const void *raw, size_t n, bcms_sites_t *s);

/* ---- genotypes ---- */

/* Per-sample phase byte used on both sides of the codec. */
enum { BCMS_PH_PHASED = 1, BCMS_PH_ALT_FIRST = 2 };

typedef struct {
    uint32_t sample;
    uint32_t ploidy;
    uint32_t off;                        /* alleles at exc_al[off .. off+ploidy) */
} bcms_gtexc_t;

/* A decoded genotype block: nvar rows x nsamp samples, row-major. The caller owns it and reuses
 * it across blocks (buffers only grow). phase and ds are filled only when asked for. */
typedef struct {
    uint32_t nvar, nsamp;
    uint8_t *codes;                      /* nvar * nsamp */
    uint8_t *phase;                      /* nvar * nsamp BCMS_PH_* bits, or NULL */
    uint8_t *row_has_phase;              /* nvar: any phased sample in the row */
    float *ds;                           /* nvar * nsamp dosages (hard call where no DS; NaN missing) */
    uint8_t *row_has_ds;                 /* nvar: the record carried DS */
    uint32_t *exc_start;                 /* nvar + 1 offsets into exc */
    bcms_gtexc_t *exc;
    int32_t *exc_al;                     /* htslib-encoded alleles (bcf_gt_* incl. phase bit) */
    uint8_t *scratch;
    size_t m_codes, m_phase, m_ds, m_exc, m_exc_al, m_rows, m_scratch;
    uint32_t nexc, nexc_al;
    uint32_t pstride;                    /* BCMS_GT_DEC_PACKED: codes holds 2-bit rows of pstride bytes */
} bcms_gtblock_t;

/* What to decode besides the codes. BCMS_GT_DEC_PACKED (alone): the codes as 2-bit rows instead of
 * bytes, sample i at bits 2*(i%4) of byte i/4 (the dense form's layout), each row padded with 0 bits
 * to a multiple of 16 bytes (64 samples) and g->pstride its length: a quarter of the bytes to write,
 * and bit planes come from it by word operations (prune). */
enum { BCMS_GT_DEC_PHASE = 1, BCMS_GT_DEC_DS = 2, BCMS_GT_DEC_EXC = 4, BCMS_GT_DEC_PACKED = 8 };

void bcms_gtblock_free(bcms_gtblock_t *g);

/* A genotype code with REF and ALT swapped (2 - code; missing stays missing). */
extern const uint8_t bcms_swap_code[4];

/* Encoder: append one row to the three streams of a block under construction (see gtblock.c).
 * codes[nsamp]; prev[nsamp] the previous row's codes in the same block, or NULL for the first;
 * pstate[nsamp] the block's carried phase state, zeroed by the caller at the start of each block and
 * updated here; phase[nsamp] or NULL (unphased row); exc/exc_al the row's exceptions (sample
 * numbers ascending) or nexc 0; ds[nsamp] or NULL (NaN = missing). Returns 0 or BCMS_ENOMEM. */
int bcms_gt_encode_row(kstring_t out[3], uint32_t nsamp, const uint8_t *codes, const uint8_t *prev, const uint8_t *phase,
                       uint8_t *pstate,
                       const bcms_gtexc_t *exc, uint32_t nexc, const int32_t *exc_al, const float *ds);

/* The raw bytes of a block from the three streams the rows were encoded to (which are emptied). */
int bcms_gt_assemble(kstring_t streams[3], kstring_t *raw);

/* Decode nvar rows of raw genotype bytes. what names the block for errors. */
int bcms_gt_decode(const void *raw, size_t n, uint32_t nvar, uint32_t nsamp, int flags, bcms_gtblock_t *g,
                   const char *what);

/* DS quantisation: dosages are stored in units of 1/30000 so that 3-decimal values are exact. */
#define BCMS_DS_SCALE 30000.0f
#define BCMS_DS_MISSING 0xffffu

#endif

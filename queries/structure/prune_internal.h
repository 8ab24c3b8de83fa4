/* prune_internal.h: prune's packed variants and their r^2 tests (prune_ld.c), shared with the
 * window, the pipeline and the lists (prune.c). GPL-3.0-or-later. */
#ifndef BCMS_PRUNE_INTERNAL_H
#define BCMS_PRUNE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <htslib/kstring.h>

/* The popcounts of m pairs: ys[i] with the earlier variant xs[i] (full[i]: all six sums, else the dot
 * product's). */
typedef void (*ld_count_fn)(const uint64_t *const *ys, const uint64_t *const *xs, const uint8_t *full, uint32_t m,
                            uint32_t nw, int64_t (*c)[6]);

/* The hom-ref, hom-alt and called masks of m <= 64 samples' codes gw. */
typedef void (*pack_word_fn)(const uint8_t *gw, uint32_t m, uint64_t *r, uint64_t *a, uint64_t *c);

/* The hom-ref, hom-alt and called masks of 64 samples' 2-bit codes w[0..1] (32 a word). */
typedef void (*unzip_fn)(const uint64_t *w, uint64_t *r, uint64_t *a, uint64_t *c);

/* The LD window's variants and the chunks of the pipeline, in a ring of R slots by used-variant
 * number k (slot k % R; R = --window + three chunks' room, prune.c). */
typedef struct {
    uint32_t nw, R, n;  /* words per plane, slots, samples */
    uint32_t K;         /* room of a slot's list of missing samples */
    uint64_t *bits;     /* R x 3 x nw: hom-ref, hom-alt, called */
    double *maj;        /* major-allele frequency */
    uint8_t *mono;      /* no variance among the called */
    int32_t *sum, *sq;  /* over the called: sum and sum of squares of the codes (+1 hom-ref, -1 hom-alt) */
    uint32_t *nmiss;    /* missing calls; their samples in miss (R x K) when nmiss <= K */
    uint32_t *miss;
    uint32_t *chr;      /* the variant's chromosome number in the stream */
    uint32_t lw;        /* words of a variant's LD bits */
    uint64_t *ld;       /* R x lw: bit j - 1 of variant k's: r^2 of (k - j, k) above the threshold */
    uint64_t *fwd;      /* R x lw: the same by the earlier variant, bit j - 1 of k's: (k, k + j), filled
                         * as the later one enters the window */
    uint64_t *alive;    /* the window's live variants (alive_bits), aw words */
    uint32_t aw;
    ld_count_fn count;  /* the popcount kernel */
    pack_word_fn pack;  /* the packing kernel */
    unzip_fn unzip;     /* the one from 2-bit rows, or NULL: decode to bytes (BCMS_PRUNE_KERNEL=scalar) */
    uint8_t *removed;
    kstring_t *name;    /* its record in the spool (spool_body) */
} prune_data_t;

#define SLOT(d, k) ((size_t)((k) % (d)->R))

/* The kernels this CPU runs (BCMS_PRUNE_KERNEL=scalar: the portable ones, for tests). */
ld_count_fn prune_ld_kernel(void);
pack_word_fn prune_pack_kernel(void);
unzip_fn prune_unzip_kernel(void);
/* One variant's codes g (n bytes, 0/1/2, 3 missing) into slot sl. */
void prune_pack_variant(prune_data_t *d, size_t sl, const uint8_t *g);
/* The same from its 2-bit row (bcms_reader_batch_packed): the same planes and sums. */
void prune_pack_row(prune_data_t *d, size_t sl, const uint8_t *row);
/* Variant k's LD bits: its tests with the --window - 1 variants before it on its chromosome. */
void prune_ld_rows(prune_data_t *d, uint64_t k, uint32_t nr, uint32_t window, double thr);

/* The r^2 test of used variants x < y (y - x < --window, one chromosome), computed ahead. */
static inline int ld_bit(const prune_data_t *d, uint64_t x, uint64_t y)
{
    const uint64_t j = y - x - 1;
    return (int)(d->ld[SLOT(d, y) * d->lw + j / 64] >> (j % 64) & 1);
}

#endif

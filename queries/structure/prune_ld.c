/* prune_ld.c: prune's variants packed into bit planes and their pairwise r^2 tests against the
 * threshold, as plink2 --indep-pairwise computes them (prune.c runs them in its pipeline).
 * GPL-3.0-or-later.
 *
 * Each used variant is packed into three bit planes over the samples: hom-ref (+1), hom-alt (-1)
 * and called; r^2 of a pair is computed from integer counts over the samples called at both:
 * n, sums, sums of squares and the dot product of the -1/0/+1 codes, then in doubles exactly as
 * PLINK 2 does (cov^2 > R x var1 x var2, every product of integers exact). */
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"

/* Bit 0 of each of x's 8 bytes to bits 0..7 (byte k to bit k). */
static inline uint64_t gather8(uint64_t x)
{
    return (x * 0x0102040810204080ULL) >> 56;
}

/* The masks of samples 64w .. 64w + m - 1 of codes gw (m <= 64): hom-ref, hom-alt, called. Bits 0
 * and 1 of each code byte, 8 samples a step as byte-lane masks; AVX2 (32 a compare) where the CPU
 * has it. The same bits either way. */
static void pack_word_swar(const uint8_t *gw, uint32_t m, uint64_t *r_, uint64_t *a_, uint64_t *c_)
{
    const uint64_t L = 0x0101010101010101ULL;
    uint64_t r = 0, a = 0, c = 0;
    uint32_t j = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; j + 8 <= m; j += 8) {
        uint64_t v, lo, hi;
        memcpy(&v, gw + j, sizeof v);
        lo = v & L, hi = (v >> 1) & L;
        r |= gather8((lo | hi) ^ L) << j; /* 0: hom-ref */
        a |= gather8(hi & (lo ^ L)) << j; /* 2: hom-alt */
        c |= gather8((hi & lo) ^ L) << j; /* not 3: called */
    }
#endif
    for (; j < m; j++) {
        const unsigned x = gw[j] & 3;
        r |= (uint64_t)(x == 0) << j, a |= (uint64_t)(x == 2) << j, c |= (uint64_t)(x != 3) << j;
    }
    *r_ = r, *a_ = a, *c_ = c;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx2"))) static void pack_word_avx2(const uint8_t *gw, uint32_t m, uint64_t *r, uint64_t *a,
                                                           uint64_t *c)
{
    if (m < 64) {
        pack_word_swar(gw, m, r, a, c);
        return;
    }
    const __m256i three = _mm256_set1_epi8(3), two = _mm256_set1_epi8(2), zero = _mm256_setzero_si256();
    uint64_t out[3] = {0, 0, 0};
    for (int h = 0; h < 2; h++) {
        const __m256i v = _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(gw + 32 * h)), three);
        const uint64_t sh = 32 * (uint64_t)h;
        out[0] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)) << sh;
        out[1] |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, two)) << sh;
        out[2] |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, three)) << sh;
    }
    *r = out[0], *a = out[1], *c = out[2];
}
#endif

pack_word_fn prune_pack_kernel(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    const char *e = getenv("BCMS_PRUNE_KERNEL");
    if (!(e && !strcmp(e, "scalar")) && __builtin_cpu_supports("avx2")) return pack_word_avx2;
#endif
    return pack_word_swar;
}

/* The 32 even bits of x, in order (bit 2i to bit i). */
static inline uint64_t even_bits(uint64_t x)
{
    x &= 0x5555555555555555ULL;
    x = (x | x >> 1) & 0x3333333333333333ULL;
    x = (x | x >> 2) & 0x0F0F0F0F0F0F0F0FULL;
    x = (x | x >> 4) & 0x00FF00FF00FF00FFULL;
    x = (x | x >> 8) & 0x0000FFFF0000FFFFULL;
    return (x | x >> 16) & 0xFFFFFFFFULL;
}

/* 64 samples' 2-bit codes (two words; code = low bit | high bit << 1) to the three masks: low and
 * high bits apart, then 0 (neither), 2 (high alone) and not 3 (not both). */
static void unzip_swar(const uint64_t *w, uint64_t *r, uint64_t *a, uint64_t *c)
{
    const uint64_t lo = even_bits(w[0]) | even_bits(w[1]) << 32, hi = even_bits(w[0] >> 1) | even_bits(w[1] >> 1) << 32;
    *r = ~(lo | hi), *a = hi & ~lo, *c = ~(hi & lo);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("bmi2"))) static void unzip_pext(const uint64_t *w, uint64_t *r, uint64_t *a, uint64_t *c)
{
    const uint64_t E = 0x5555555555555555ULL, O = E << 1;
    const uint64_t lo = _pext_u64(w[0], E) | _pext_u64(w[1], E) << 32, hi = _pext_u64(w[0], O) | _pext_u64(w[1], O) << 32;
    *r = ~(lo | hi), *a = hi & ~lo, *c = ~(hi & lo);
}
#endif

/* pext where it is one instruction (not the microcoded one of AMD's first two Zen generations);
 * BCMS_PRUNE_KERNEL=swar: the portable one; scalar: none (codes decoded to bytes). */
unzip_fn prune_unzip_kernel(void)
{
    const char *e = getenv("BCMS_PRUNE_KERNEL");
    if ((e && !strcmp(e, "scalar")) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__) return NULL; /* words of 32 codes */
#if defined(__x86_64__) && defined(__GNUC__)
    if (!(e && !strcmp(e, "swar")) && __builtin_cpu_supports("bmi2") && !__builtin_cpu_is("znver1") &&
        !__builtin_cpu_is("znver2"))
        return unzip_pext;
#endif
    return unzip_swar;
}

/* Slot sl's sums, major-allele frequency, monomorphy and missing samples from its planes (the
 * called plane's bits past the n samples clear). */
__attribute__((target_clones("popcnt", "default"))) static void pack_stats(prune_data_t *d, size_t sl)
{
    const uint32_t nw = d->nw;
    const uint64_t *hr = d->bits + sl * 3 * nw, *ha = hr + nw, *nm = ha + nw;
    uint32_t *miss = d->miss + sl * d->K, c0 = 0, c2 = 0, called = 0, nmiss = 0;
    for (uint32_t w = 0; w < nw; w++) {
        const uint32_t m = d->n - w * 64 < 64 ? d->n - w * 64 : 64;
        c0 += (uint32_t)__builtin_popcountll(hr[w]), c2 += (uint32_t)__builtin_popcountll(ha[w]);
        called += (uint32_t)__builtin_popcountll(nm[w]);
        uint64_t u = ~nm[w] & (m == 64 ? ~0ULL : (1ULL << m) - 1);
        if (nmiss + (uint32_t)__builtin_popcountll(u) > d->K) { /* the list is not used past K: count only */
            nmiss += (uint32_t)__builtin_popcountll(u);
            continue;
        }
        for (; u; u &= u - 1) miss[nmiss++] = w * 64 + (uint32_t)__builtin_ctzll(u);
    }
    const uint32_t c1 = called - c0 - c2;
    double ref = called ? (2.0 * c0 + c1) / (2.0 * called) : 0;
    d->maj[sl] = ref >= 0.5 ? ref : 1 - ref;
    d->mono[sl] = (!c0 && !c2) || c0 == called || c2 == called;
    d->sum[sl] = (int32_t)c0 - (int32_t)c2, d->sq[sl] = (int32_t)(c0 + c2), d->nmiss[sl] = nmiss;
}

/* One variant's codes into slot sl: its planes, then pack_stats. */
void prune_pack_variant(prune_data_t *d, size_t sl, const uint8_t *g)
{
    const uint32_t n = d->n, nw = d->nw;
    uint64_t *hr = d->bits + sl * 3 * nw, *ha = hr + nw, *nm = ha + nw;
    for (uint32_t w = 0; w < nw; w++)
        d->pack(g + (size_t)w * 64, n - w * 64 < 64 ? n - w * 64 : 64, &hr[w], &ha[w], &nm[w]);
    pack_stats(d, sl);
}

void prune_pack_row(prune_data_t *d, size_t sl, const uint8_t *row)
{
    const uint32_t n = d->n, nw = d->nw;
    uint64_t *hr = d->bits + sl * 3 * nw, *ha = hr + nw, *nm = ha + nw;
    for (uint32_t w = 0; w < nw; w++) {
        uint64_t x[2];
        memcpy(x, row + (size_t)w * 16, sizeof x);
        d->unzip(x, &hr[w], &ha[w], &nm[w]);
        if (n - w * 64 < 64) { /* the padding's 0 codes: not samples */
            const uint64_t live = (1ULL << (n - w * 64)) - 1;
            hr[w] &= live, ha[w] &= live, nm[w] &= live;
        }
    }
    pack_stats(d, sl);
}

/* The popcounts of a pair (planes x and y: hom-ref, hom-alt, called, nw words each): c[0] the dot
 * product's, and with full also c[1] n, c[2..5] x's hom-ref, x's hom-alt, y's hom-ref, y's hom-alt
 * among the pair's called. Two kernels give the same integers: scalar (popcnt instruction when the
 * CPU has it, chosen at load time: libgcc's popcount was 41% of a prune of 1,000 x 1M) and AVX-512
 * (8 words a step). */
__attribute__((target_clones("popcnt", "default"))) static void ld_count_scalar(const uint64_t *x, const uint64_t *y,
                                                                               uint32_t nw, int full, int64_t c[6])
{
    const uint64_t *px = x, *mx = x + nw, *nx = x + 2 * nw, *py = y, *my = y + nw, *ny = y + 2 * nw;
    int64_t dot = 0, n = 0, ax = 0, bx = 0, ay = 0, by = 0;
    for (uint32_t w = 0; w < nw; w++)
        dot += __builtin_popcountll((px[w] & py[w]) | (mx[w] & my[w])) -
               __builtin_popcountll((px[w] & my[w]) | (mx[w] & py[w]));
    if (full)
        for (uint32_t w = 0; w < nw; w++) {
            n += __builtin_popcountll(nx[w] & ny[w]);
            ax += __builtin_popcountll(px[w] & ny[w]), bx += __builtin_popcountll(mx[w] & ny[w]);
            ay += __builtin_popcountll(py[w] & nx[w]), by += __builtin_popcountll(my[w] & nx[w]);
        }
    c[0] = dot, c[1] = n, c[2] = ax, c[3] = bx, c[4] = ay, c[5] = by;
}

static void ld_many_scalar(const uint64_t *const *ys, const uint64_t *const *xs, const uint8_t *full, uint32_t m,
                           uint32_t nw, int64_t (*c)[6])
{
    for (uint32_t i = 0; i < m; i++) ld_count_scalar(xs[i], ys[i], nw, full[i], c[i]);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define PRUNE_HAVE_AVX512 1

__attribute__((target("avx512f,avx512vpopcntdq"))) static inline void ld_count_avx512(const uint64_t *x, const uint64_t *y,
                                                                              uint32_t nw, int full, int64_t c[6])
{
    __m512i dot = _mm512_setzero_si512(), n = dot, ax = dot, bx = dot, ay = dot, by = dot;
    for (uint32_t w = 0; w < nw; w += 8) {
        const __mmask8 m = nw - w >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (nw - w)) - 1);
        const __m512i px = _mm512_maskz_loadu_epi64(m, x + w), mx = _mm512_maskz_loadu_epi64(m, x + nw + w);
        const __m512i py = _mm512_maskz_loadu_epi64(m, y + w), my = _mm512_maskz_loadu_epi64(m, y + nw + w);
        const __m512i same = _mm512_or_si512(_mm512_and_si512(px, py), _mm512_and_si512(mx, my));
        const __m512i diff = _mm512_or_si512(_mm512_and_si512(px, my), _mm512_and_si512(mx, py));
        dot = _mm512_add_epi64(dot, _mm512_sub_epi64(_mm512_popcnt_epi64(same), _mm512_popcnt_epi64(diff)));
        if (full) {
            const __m512i nx = _mm512_maskz_loadu_epi64(m, x + 2 * nw + w), ny = _mm512_maskz_loadu_epi64(m, y + 2 * nw + w);
            n = _mm512_add_epi64(n, _mm512_popcnt_epi64(_mm512_and_si512(nx, ny)));
            ax = _mm512_add_epi64(ax, _mm512_popcnt_epi64(_mm512_and_si512(px, ny)));
            bx = _mm512_add_epi64(bx, _mm512_popcnt_epi64(_mm512_and_si512(mx, ny)));
            ay = _mm512_add_epi64(ay, _mm512_popcnt_epi64(_mm512_and_si512(py, nx)));
            by = _mm512_add_epi64(by, _mm512_popcnt_epi64(_mm512_and_si512(my, nx)));
        }
    }
    if (!full) {
        c[0] = _mm512_reduce_add_epi64(dot), c[1] = c[2] = c[3] = c[4] = c[5] = 0;
        return;
    }
    /* the six sums at once: pairs of lanes, then the 128-bit quarters (a third of six reductions'
     * instructions; ~a fifth of a prune at 1,000 samples was the reductions) */
    const __m512i dn = _mm512_add_epi64(_mm512_unpacklo_epi64(dot, n), _mm512_unpackhi_epi64(dot, n));
    const __m512i abx = _mm512_add_epi64(_mm512_unpacklo_epi64(ax, bx), _mm512_unpackhi_epi64(ax, bx));
    const __m512i aby = _mm512_add_epi64(_mm512_unpacklo_epi64(ay, by), _mm512_unpackhi_epi64(ay, by));
    const __m512i q = _mm512_add_epi64(_mm512_shuffle_i64x2(dn, abx, _MM_SHUFFLE(2, 0, 2, 0)),
                                       _mm512_shuffle_i64x2(dn, abx, _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512i r = _mm512_add_epi64(_mm512_shuffle_i64x2(aby, aby, _MM_SHUFFLE(2, 0, 2, 0)),
                                       _mm512_shuffle_i64x2(aby, aby, _MM_SHUFFLE(3, 1, 3, 1)));
    int64_t out[16];
    _mm512_storeu_si512(out, _mm512_add_epi64(q, _mm512_shuffle_i64x2(q, q, _MM_SHUFFLE(2, 3, 0, 1))));
    _mm512_storeu_si512(out + 8, _mm512_add_epi64(r, _mm512_shuffle_i64x2(r, r, _MM_SHUFFLE(2, 3, 0, 1))));
    c[0] = out[0], c[1] = out[1], c[2] = out[4], c[3] = out[5], c[4] = out[8], c[5] = out[9];
}

/* The pairs one after the other in one function: no call between them, so that the CPU overlaps
 * one pair's reductions with the next one's popcounts. */
__attribute__((target("avx512f,avx512vpopcntdq"))) static void ld_many_avx512(const uint64_t *const *ys,
                                                                             const uint64_t *const *xs,
                                                                             const uint8_t *full, uint32_t m, uint32_t nw,
                                                                             int64_t (*c)[6])
{
    for (uint32_t i = 0; i < m; i++) ld_count_avx512(xs[i], ys[i], nw, full[i], c[i]);
}
#endif

/* The kernel: AVX-512 when the CPU has it, or the one BCMS_PRUNE_KERNEL names (scalar: for tests
 * that check the kernels against each other). */
ld_count_fn prune_ld_kernel(void)
{
    const char *e = getenv("BCMS_PRUNE_KERNEL");
#ifdef PRUNE_HAVE_AVX512
    if (!(e && !strcmp(e, "scalar")) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq"))
        return ld_many_avx512;
#endif
    (void)e;
    return ld_many_scalar;
}

/* r^2 of used variants x (earlier) and y above thr? From integer counts over the samples called at
 * both: n, the sums and sums of squares of each, and the dot product. A missing call has neither
 * hom bit, so the dot product over every sample is the one over the called pairs (two popcounts a
 * word); the rest is each variant's own total corrected at the other's missing samples, when both
 * lists were kept (at most one missing call per two words: a third of the popcounts). Otherwise
 * seven popcounts a word: n, the dot product's two, and each sum's two halves (the sum of squares
 * is their total). The counts are integers: the same on every CPU and by either route. */
static int ld_test(const prune_data_t *d, size_t slx, size_t sly, const int64_t c[6], double thr)
{
    const uint32_t nw = d->nw;
    const uint64_t *px = d->bits + slx * 3 * nw, *mx = px + nw, *nx = mx + nw;
    const uint64_t *py = d->bits + sly * 3 * nw, *my = py + nw;
    const int sparse = d->nmiss[slx] <= d->K && d->nmiss[sly] <= d->K;
    int64_t n, dot = c[0], sx, sy, qx, qy;
    if (sparse) {
        n = (int64_t)d->n - d->nmiss[slx] - d->nmiss[sly];
        sx = d->sum[slx], qx = d->sq[slx], sy = d->sum[sly], qy = d->sq[sly];
        const uint32_t *lx = d->miss + slx * d->K, *ly = d->miss + sly * d->K;
        for (uint32_t k = 0; k < d->nmiss[sly]; k++) { /* x's calls where y is missing leave x's sums */
            const uint32_t i = ly[k], w = i >> 6, b = i & 63;
            const int64_t hp = (int64_t)(px[w] >> b & 1), hm = (int64_t)(mx[w] >> b & 1);
            n += 1 - (int64_t)(nx[w] >> b & 1); /* missing at both: subtracted twice */
            sx += hm - hp, qx -= hp + hm;
        }
        for (uint32_t k = 0; k < d->nmiss[slx]; k++) {
            const uint32_t i = lx[k], w = i >> 6, b = i & 63;
            const int64_t hp = (int64_t)(py[w] >> b & 1), hm = (int64_t)(my[w] >> b & 1);
            sy += hm - hp, qy -= hp + hm;
        }
    } else {
        n = c[1], sx = c[2] - c[3], qx = c[2] + c[3], sy = c[4] - c[5], qy = c[4] + c[5];
    }
    const double cov = (double)(dot * n - sx * sy), vx = (double)(qx * n - sx * sx), vy = (double)(qy * n - sy * sy);
    return cov * cov > thr * vx * vy;
}


/* The LD bits of variants k .. k + nr - 1 (nr 1 or 2): each one's test with each of the --window - 1
 * variants before it on its chromosome (every pair the window's sweep can ask of it, whatever it
 * removes; PLINK 2 asks for them lazily, which here would leave them on one thread). A monomorphic
 * variant's tests are all false. Two rows are counted against each earlier variant one after the
 * other, so its planes are read from memory once for both: at 100,000 samples a variant's planes are
 * 37.5 KB and the window's 1.9 MB, which the per-pair loads streamed from L3 (the count's loads were
 * the kernel's hottest instructions). */
void prune_ld_rows(prune_data_t *d, uint64_t k, uint32_t nr, uint32_t window, double thr)
{
    const uint64_t *y[2];
    uint64_t *row[2];
    size_t sy[2];
    int ysparse[2], live[2];
    for (uint32_t r = 0; r < nr; r++) {
        sy[r] = SLOT(d, k + r), row[r] = d->ld + sy[r] * d->lw, y[r] = d->bits + sy[r] * 3 * d->nw;
        memset(row[r], 0, d->lw * sizeof *row[r]);
        live[r] = !d->mono[sy[r]], ysparse[r] = d->nmiss[sy[r]] <= d->K;
    }
    const uint64_t top = k + nr - 1;
    size_t sx = SLOT(d, top); /* the slot of top - t, stepped down (a division a pair was a tenth of the tests) */
    uint64_t t = 1;
    while (live[0] || (nr > 1 && live[1])) { /* up to 64 pairs counted at once, then tested */
        const uint64_t *xs[64], *ys[64];
        size_t sl[64];
        uint32_t jj[64], m = 0;
        uint8_t full[64], rr[64];
        int64_t c[64][6];
        for (; m + nr <= 64 && (live[0] || (nr > 1 && live[1])); t++) {
            sx = sx ? sx - 1 : d->R - 1;
            for (uint32_t r = nr; r-- > 0;) { /* the later row first: x = top - t is its j = t */
                const uint64_t j = t - (nr - 1 - r);
                if (!live[r] || !j) continue;
                if (j >= window || j > k + r || d->chr[sx] != d->chr[sy[r]]) {
                    live[r] = 0;
                    continue;
                }
                if (d->mono[sx]) continue;
                xs[m] = d->bits + sx * 3 * d->nw, ys[m] = y[r], sl[m] = sx, jj[m] = (uint32_t)j, rr[m] = (uint8_t)r;
                full[m++] = !(ysparse[r] && d->nmiss[sx] <= d->K);
            }
        }
        if (m) d->count(ys, xs, full, m, d->nw, c);
        for (uint32_t i = 0; i < m; i++)
            if (ld_test(d, sl[i], sy[rr[i]], c[i], thr)) row[rr[i]][(jj[i] - 1) / 64] |= 1ULL << ((jj[i] - 1) % 64);
    }
}

/* vcf_gt.c: the sample columns of a FORMAT GT record whose calls are all one-character alleles
 * ("0/1", "1|0", "./.") straight to genotype codes, phase bytes and the code histogram
 * (bcms_vcf_direct_gt, vcf_rows.h): the inner loop of importing most VCFs (PLINK 2's and bcftools'
 * writers), so it reads four calls at a time with SSE2 (every x86-64) and eight with AVX2 where the
 * CPU has it. Every width takes and refuses exactly the same records and writes the same bytes as
 * the one-call-at-a-time loop (tests/unit/test_vcf_fast.c runs each). GPL-3.0-or-later. */
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define GT_HAVE_AVX2 1
#endif

#include "vcf_rows.h"

int bcms_vcf_gt_simd = 2;

/* Class of an allele character for gt_pair: 1 '0', 2 '1', 3 '.', 0 anything else. */
static const uint8_t gt_class[256] = {['0'] = 1, ['1'] = 2, ['.'] = 3};
/* The call of classes (first, second) at gt_pair[first << 2 | second]: its code, plus 4 for the
 * ALT-first het; 0xff for what the direct path leaves to the general one. */
static const uint8_t gt_pair[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 0xff, 0xff, 1 | 4, 2, 0xff, 0xff, 0xff, 0xff, 3};

/* The vector loops, in 32-bit lanes that each hold one call "a/b\t" (or "a|b\t"): d0, d1 are the
 * allele characters minus '0' ('.' is -2). A lane is taken when the tab and the separator are there
 * and both alleles are 0/1, or both '.'; its code is d0 + d1, or 3 for "./." (-4 + 7); its phase byte
 * has BCMS_PH_PHASED for '|' and BCMS_PH_ALT_FIRST for "1?0". Counts of codes 1..3 and of phased
 * calls accumulate in lanes (a compare is -1 where true, so subtracting it counts). */
#define GT_LANES(V, SET1, AND, OR, SUB, ADD, SRLI, EQ)                                                        \
    const V lo = SET1(0xff), zero = SET1(0), one = SET1(1), miss_d = SET1('.' - '0');                        \
    V d0 = SUB(AND(v, lo), SET1('0')), d1 = SUB(AND(SRLI(v, 16), lo), SET1('0'));                            \
    V sep = AND(SRLI(v, 8), lo), tab = EQ(SRLI(v, 24), SET1('\t'));                                          \
    V m0 = EQ(d0, miss_d), m1 = EQ(d1, miss_d);                                                              \
    V n0 = OR(EQ(d0, zero), EQ(d0, one)), n1 = OR(EQ(d1, zero), EQ(d1, one));                                 \
    V phased = EQ(sep, SET1('|'));                                                                           \
    V ok = AND(AND(OR(phased, EQ(sep, SET1('/'))), tab), OR(AND(n0, n1), AND(m0, m1)));                       \
    V code = ADD(ADD(d0, d1), AND(m0, SET1(7)));                                                             \
    V pb = OR(AND(phased, SET1(BCMS_PH_PHASED)), AND(AND(EQ(d0, one), EQ(d1, zero)), SET1(BCMS_PH_ALT_FIRST)))

#ifdef __SSE2__
/* Four calls at p; 0, or -1 when one is not a call the direct path takes. */
static inline int gt4_sse2(const char *p, uint8_t *codes, uint8_t *phase, __m128i h[3], __m128i *ph)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    GT_LANES(__m128i, _mm_set1_epi32, _mm_and_si128, _mm_or_si128, _mm_sub_epi32, _mm_add_epi32, _mm_srli_epi32,
             _mm_cmpeq_epi32);
    if (_mm_movemask_epi8(ok) != 0xffff) return -1;
    int32_t c4 = _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(code, zero), zero));
    int32_t p4 = _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(pb, zero), zero));
    memcpy(codes, &c4, 4);
    memcpy(phase, &p4, 4);
    for (int k = 0; k < 3; k++) h[k] = _mm_sub_epi32(h[k], _mm_cmpeq_epi32(code, _mm_set1_epi32(k + 1)));
    *ph = _mm_sub_epi32(*ph, phased);
    return 0;
}

static uint32_t sum4(__m128i v)
{
    uint32_t a[4];
    _mm_storeu_si128((__m128i *)a, v);
    return a[0] + a[1] + a[2] + a[3];
}

/* Calls i.. (four at a time, none the last of the row) from *pp: *i, *pp advanced past them, their
 * counts added to hist / *nph. 0, or -1 as gt4_sse2. */
static int gt_run_sse2(bcms_rowbuf_t *rb, uint32_t *i, const char **pp, const char *end, uint32_t hist[4], uint32_t *nph)
{
    __m128i h[3] = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()}, ph = _mm_setzero_si128();
    uint32_t i0 = *i, k = *i;
    const char *p = *pp;
    for (; k + 4 < rb->nsamp && end - p >= 16; k += 4, p += 16)
        if (gt4_sse2(p, rb->codes + k, rb->phase + k, h, &ph)) return -1;
    uint32_t c1 = sum4(h[0]), c2 = sum4(h[1]), c3 = sum4(h[2]);
    hist[0] += k - i0 - c1 - c2 - c3, hist[1] += c1, hist[2] += c2, hist[3] += c3;
    *nph += sum4(ph);
    *i = k, *pp = p;
    return 0;
}
#endif

#ifdef GT_HAVE_AVX2
__attribute__((target("avx2"))) static uint32_t sum8(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    uint32_t a[4];
    _mm_storeu_si128((__m128i *)a, s);
    return a[0] + a[1] + a[2] + a[3];
}

/* gt_run_sse2 eight calls at a time. */
__attribute__((target("avx2"))) static int gt_run_avx2(bcms_rowbuf_t *rb, uint32_t *i, const char **pp, const char *end,
                                                       uint32_t hist[4], uint32_t *nph)
{
    __m256i h[3] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()}, phs = _mm256_setzero_si256();
    uint32_t i0 = *i, k = *i;
    const char *p = *pp;
    for (; k + 8 < rb->nsamp && end - p >= 32; k += 8, p += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)p);
        GT_LANES(__m256i, _mm256_set1_epi32, _mm256_and_si256, _mm256_or_si256, _mm256_sub_epi32, _mm256_add_epi32,
                 _mm256_srli_epi32, _mm256_cmpeq_epi32);
        if (_mm256_movemask_epi8(ok) != -1) return -1;
        /* packs work within each 128-bit half: calls k..k+3 in the low half, k+4..k+7 in the high */
        __m256i c8 = _mm256_packus_epi16(_mm256_packs_epi32(code, zero), zero);
        __m256i p8 = _mm256_packus_epi16(_mm256_packs_epi32(pb, zero), zero);
        int32_t w[4] = {_mm_cvtsi128_si32(_mm256_castsi256_si128(c8)), _mm_cvtsi128_si32(_mm256_extracti128_si256(c8, 1)),
                        _mm_cvtsi128_si32(_mm256_castsi256_si128(p8)), _mm_cvtsi128_si32(_mm256_extracti128_si256(p8, 1))};
        memcpy(rb->codes + k, w, 8);
        memcpy(rb->phase + k, w + 2, 8);
        for (int j = 0; j < 3; j++) h[j] = _mm256_sub_epi32(h[j], _mm256_cmpeq_epi32(code, _mm256_set1_epi32(j + 1)));
        phs = _mm256_sub_epi32(phs, phased);
    }
    uint32_t c1 = sum8(h[0]), c2 = sum8(h[1]), c3 = sum8(h[2]);
    hist[0] += k - i0 - c1 - c2 - c3, hist[1] += c1, hist[2] += c2, hist[3] += c3;
    *nph += sum8(phs);
    *i = k, *pp = p;
    return 0;
}
#endif

int bcms_vcf_direct_gt(bcms_rowbuf_t *rb, const char *p, const char *end)
{
    const uint32_t n = rb->nsamp;
    uint32_t hist[4] = {0, 0, 0, 0}, nph = 0, i = 0;
#ifdef GT_HAVE_AVX2
    if (bcms_vcf_gt_simd >= 2 && __builtin_cpu_supports("avx2") && gt_run_avx2(rb, &i, &p, end, hist, &nph)) return -1;
#endif
#ifdef __SSE2__
    if (bcms_vcf_gt_simd >= 1 && gt_run_sse2(rb, &i, &p, end, hist, &nph)) return -1;
#endif
    for (; i < n; i++, p += 4) {
        const unsigned char *q = (const unsigned char *)p;
        if (i + 1 < n ? end - p < 4 || q[3] != '\t' : end - p != 3) return -1;
        uint8_t v = gt_pair[gt_class[q[0]] << 2 | gt_class[q[2]]], sep = q[1];
        if (v == 0xff || (sep != '/' && sep != '|')) return -1;
        uint8_t code = v & 3, phased = sep == '|';
        hist[code]++;
        nph += phased;
        rb->codes[i] = code;
        rb->phase[i] = (uint8_t)(phased | ((v >> 1) & BCMS_PH_ALT_FIRST));
    }
    memcpy(rb->d_hist, hist, sizeof hist);
    rb->d_nph = nph;
    rb->pre_mp = 2;
    rb->pre_nds = 0;
    rb->direct = 1;
    return 0;
}

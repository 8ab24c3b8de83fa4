/* kinship.c: KING-robust kinship of every pair of samples, bit-parallel. GPL-3.0-or-later.
 *
 * Genotypes are packed sample-major in two bit planes, 64 variants a word: A = carries ALT (het or
 * hom-alt), B = homozygous (hom-ref or hom-alt); a missing call is 0 in both, so it drops out of
 * every count. For a pair (i, j) and a word: both called = (Ai|Bi)&(Aj|Bj), het = A&~B,
 * HETHET = het_i&het_j, IBS0 = Bi&Bj&(Ai^Aj), HET1_HOM2 = het_i&Bj, HET2_HOM1 = het_j&Bi: five
 * popcounts per 64 variants. As in PLINK 2's table, HET1_HOM2 counts the second sample of a row (the
 * earlier one) heterozygous and the first homozygous. Each batch of the reader fills whole words of its own (padding is
 * "missing"), so batches pack in parallel without sharing a word.
 *
 * Pairs are computed in tiles of KING_T x KING_T samples over the variant words in chunks that stay
 * in cache; counts are integers, so the output is the same at any thread count and in either of two
 * layouts, chosen by what they need (and --memory):
 * - packed: every used variant packed at once (2 bits per genotype), then a band of KING_T rows at a
 *   time (KING_G bands per parallel region, their tiles in parallel) over all the words;
 * - streamed: passes over the variants (a first pass reads the sites only), each for a run of bands
 *   whose tiles (20 KB each) fit; a pass packs a chunk of the variants at a time and adds every
 *   tile of its bands over it. Memory does not grow with the variant count: at most the tiles of all
 *   pairs (n^2 x 10 bytes) or --memory, plus the chunk.
 *
 * MPI (`mpirun -np N bcms kinship`): the reader's batches are shared over the ranks (cluster.h, by
 * used variants); each rank packs and counts only its own, and a group's (or a pass's) tile counts are
 * summed over the ranks into rank 0 (integers: exact in any order), which formats and writes the rows,
 * so OUT is the single-process output for any N. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/kstring.h>
#include <omp.h>

#include "cluster.h"
#include "err.h"
#include "outfile.h"
#include "structure_internal.h"

#define KING_T 32    /* samples per tile side */
#define KING_G 8     /* bands of KING_T rows per parallel region */
#define KING_WC 124  /* words per chunk of variants (31 AVX2 steps: byte counters stay below 256) */
#define KING_WC512 128 /* the same for the AVX-512 kernel (64-bit counters) */

enum { K_NSNP, K_HETHET, K_IBS0, K_H12, K_H21, K_N };

typedef struct {
    uint64_t *a, *b; /* n x W words each */
    uint64_t W;
    uint32_t n;
} king_planes_t;

void bcms_kinship_opts_init(bcms_kinship_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_structure_sel_init(&o->in);
    o->min_kinship = -INFINITY;
    o->cutoff = 0.0884;
}

const char *bcms_kinship_degree(double k)
{
    return k > 0.354 ? "dup" : k > 0.177 ? "1st" : k > 0.0884 ? "2nd" : k > 0.0442 ? "3rd" : "unrel";
}

/* Pack 64 (or fewer) variant rows of a batch (codes row-major, n columns) into word w of every sample. */
static void pack_word(const uint8_t *codes, uint32_t n, const uint32_t *rows, int nr, king_planes_t *kp, uint64_t w)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = 0, b = 0;
        for (int j = 0; j < nr; j++) {
            uint8_t g = codes[(size_t)rows[j] * n + i];
            a |= (uint64_t)(g == 1 || g == 2) << j;
            b |= (uint64_t)(g == 0 || g == 2) << j;
        }
        kp->a[(size_t)i * kp->W + w] = a;
        kp->b[(size_t)i * kp->W + w] = b;
    }
}

/* The current window's batches: their words (ceil(used / 64)) and ranks (cluster.h's rule on the
 * words, carried from window to window by in->load). */
typedef struct {
    uint64_t *w;
    uint32_t *owner, cap;
    uint64_t *woff; /* room for the callers' word offsets */
} king_share_t;

static int king_share(st_input_t *in, king_share_t *sh)
{
    if (in->nb > sh->cap) {
        uint32_t cap = 2 * in->nb;
        uint64_t *w = realloc(sh->w, sizeof *w * cap);
        if (w) sh->w = w;
        uint32_t *o = w ? realloc(sh->owner, sizeof *o * cap) : NULL;
        if (o) sh->owner = o;
        uint64_t *f = o ? realloc(sh->woff, sizeof *f * cap) : NULL;
        if (!f) return bcms_err(BCMS_ENOMEM, "kinship layout");
        sh->woff = f, sh->cap = cap;
    }
    for (uint32_t i = 0; i < in->nb; i++) sh->w[i] = (st_batch_used(in, in->b0 + i) + 63) / 64;
    bcms_cluster_share_from(sh->w, in->nb, sh->owner, in->load);
    return 0;
}

/* The first pass (the sites only): the words of every rank's batches and of this rank's. */
static int king_count(st_input_t *in, uint64_t *w_all, uint64_t *w_mine)
{
    const uint32_t me = (uint32_t)bcms_cluster_rank();
    king_share_t sh = {0};
    int rc;
    *w_all = *w_mine = 0;
    while (!(rc = st_input_next(in)) && !(rc = king_share(in, &sh)))
        for (uint32_t i = 0; i < in->nb; i++) {
            *w_all += sh.w[i];
            if (sh.owner[i] == me) *w_mine += sh.w[i];
        }
    free(sh.w), free(sh.owner), free(sh.woff);
    return rc == 1 ? 0 : rc;
}

/* Pack this rank's batches among b0 .. b1 - 1 of the window (i indexes sh) into kp from word woff[i]. */
static int king_pack(const st_input_t *in, const king_share_t *sh, const uint64_t *woff, uint32_t i0, uint32_t i1,
                     int threads, king_planes_t *kp)
{
    const uint32_t me = (uint32_t)bcms_cluster_rank();
    int err = 0;
#pragma omp parallel num_threads(threads)
    {
        bcms_reader_ws_t *ws = bcms_reader_ws_new(in->rd);
        uint32_t *rows = malloc(64 * sizeof *rows);
        if (!ws || !rows) {
#pragma omp atomic write
            err = BCMS_ENOMEM;
        }
#pragma omp for schedule(dynamic, 1)
        for (uint32_t i = i0; i < i1; i++) {
            const uint8_t *codes;
            uint64_t first, w = woff[i - i0];
            uint32_t nv, b = in->b0 + i;
            int nr = 0, e;
            if (err || sh->owner[i] != me || !sh->w[i]) continue;
            bcms_reader_batch_range(in->rd, b, &first, &nv);
            if ((e = bcms_reader_batch(in->rd, ws, b, &codes, NULL))) {
#pragma omp atomic write
                err = e;
                continue;
            }
            for (uint32_t k = 0; k < nv; k++) {
                if (!st_used(in, first + k)) continue;
                rows[nr++] = k;
                if (nr == 64) pack_word(codes, in->n, rows, nr, kp, w++), nr = 0;
            }
            if (nr) pack_word(codes, in->n, rows, nr, kp, w);
        }
        free(rows);
        bcms_reader_ws_free(ws);
    }
    return err;
}

/* Every used variant of this rank packed at once (w_mine words a sample): a second pass. */
static int king_load(st_input_t *in, int threads, uint64_t w_mine, king_planes_t *kp)
{
    const uint32_t me = (uint32_t)bcms_cluster_rank();
    king_share_t sh = {0};
    uint64_t w = 0;
    int rc;
    kp->n = in->n, kp->W = (w_mine + 7) / 8 * 8; /* whole SIMD steps; padding words are "missing" */
    size_t words = (size_t)in->n * (size_t)(kp->W ? kp->W : 1);
    if (!(kp->a = calloc(words, 8)) || !(kp->b = calloc(words, 8)))
        return bcms_err(BCMS_ENOMEM, "kinship: %u samples x %" PRIu64 " variants packed", in->n, in->nuse);
    while (!(rc = st_input_next(in)) && !(rc = king_share(in, &sh))) {
        for (uint32_t i = 0; i < in->nb; i++)
            if (sh.owner[i] == me) sh.woff[i] = w, w += sh.w[i];
        if ((rc = king_pack(in, &sh, sh.woff, 0, in->nb, threads, kp))) break;
    }
    free(sh.woff), free(sh.w), free(sh.owner);
    return rc == 1 ? 0 : rc;
}

/* Counts of the pairs (r, c), c < r, of one tile, over every word: out[(r - r0) * KING_T + c - c0].
 * Two kernels give the same integers: scalar popcounts, and AVX2 (4 words a step, nibble-table
 * popcounts summed in byte lanes for KING_WC / 4 <= 31 steps, then widened). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("popcnt", "default")))
#endif
static void king_tile_scalar(const king_planes_t *kp, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1,
                             uint32_t (*out)[K_N])
{
    const uint64_t W = kp->W;
    for (uint64_t w0 = 0; w0 < W; w0 += KING_WC) {
        uint64_t w1 = w0 + KING_WC < W ? w0 + KING_WC : W;
        for (uint32_t r = r0; r < r1; r++) {
            const uint64_t *ar = kp->a + (size_t)r * W, *br = kp->b + (size_t)r * W;
            uint32_t cend = c1 < r ? c1 : r;
            for (uint32_t c = c0; c < cend; c++) {
                const uint64_t *ac = kp->a + (size_t)c * W, *bc = kp->b + (size_t)c * W;
                uint32_t nm = 0, hh = 0, i0 = 0, h12 = 0, h21 = 0;
                for (uint64_t w = w0; w < w1; w++) {
                    uint64_t a1 = ar[w], b1 = br[w], a2 = ac[w], b2 = bc[w];
                    uint64_t het1 = a1 & ~b1, het2 = a2 & ~b2;
                    nm += (uint32_t)__builtin_popcountll((a1 | b1) & (a2 | b2));
                    hh += (uint32_t)__builtin_popcountll(het1 & het2);
                    i0 += (uint32_t)__builtin_popcountll(b1 & b2 & (a1 ^ a2));
                    h12 += (uint32_t)__builtin_popcountll(het1 & b2);
                    h21 += (uint32_t)__builtin_popcountll(het2 & b1);
                }
                uint32_t *o = out[(r - r0) * KING_T + (c - c0)];
                o[K_NSNP] += nm, o[K_HETHET] += hh, o[K_IBS0] += i0, o[K_H12] += h12, o[K_H21] += h21;
            }
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KING_HAVE_AVX2 1

__attribute__((target("avx2"))) static inline __m256i pc8(__m256i x, __m256i lut, __m256i m4)
{
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(x, m4)),
                           _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(x, 4), m4)));
}

__attribute__((target("avx2"))) static inline uint32_t hsum8(__m256i acc)
{
    __m256i s = _mm256_sad_epu8(acc, _mm256_setzero_si256());
    return (uint32_t)(_mm256_extract_epi64(s, 0) + _mm256_extract_epi64(s, 1) + _mm256_extract_epi64(s, 2) +
                      _mm256_extract_epi64(s, 3));
}

__attribute__((target("avx2"))) static void king_tile_avx2(const king_planes_t *kp, uint32_t r0, uint32_t r1,
                                                          uint32_t c0, uint32_t c1, uint32_t (*out)[K_N])
{
    const uint64_t W = kp->W; /* a multiple of 8 */
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1,
                                         2, 2, 3, 2, 3, 3, 4);
    const __m256i m4 = _mm256_set1_epi8(0x0f);
    for (uint64_t w0 = 0; w0 < W; w0 += KING_WC) {
        uint64_t w1 = w0 + KING_WC < W ? w0 + KING_WC : W;
        for (uint32_t r = r0; r < r1; r++) {
            const uint64_t *ar = kp->a + (size_t)r * W, *br = kp->b + (size_t)r * W;
            uint32_t cend = c1 < r ? c1 : r;
            for (uint32_t c = c0; c < cend; c++) {
                const uint64_t *ac = kp->a + (size_t)c * W, *bc = kp->b + (size_t)c * W;
                __m256i snm = _mm256_setzero_si256(), shh = snm, si0 = snm, s12 = snm, s21 = snm;
                for (uint64_t w = w0; w < w1; w += 4) {
                    __m256i a1 = _mm256_loadu_si256((const __m256i *)(ar + w));
                    __m256i b1 = _mm256_loadu_si256((const __m256i *)(br + w));
                    __m256i a2 = _mm256_loadu_si256((const __m256i *)(ac + w));
                    __m256i b2 = _mm256_loadu_si256((const __m256i *)(bc + w));
                    __m256i het1 = _mm256_andnot_si256(b1, a1), het2 = _mm256_andnot_si256(b2, a2);
                    __m256i nm = _mm256_and_si256(_mm256_or_si256(a1, b1), _mm256_or_si256(a2, b2));
                    __m256i i0 = _mm256_and_si256(_mm256_and_si256(b1, b2), _mm256_xor_si256(a1, a2));
                    snm = _mm256_add_epi8(snm, pc8(nm, lut, m4));
                    shh = _mm256_add_epi8(shh, pc8(_mm256_and_si256(het1, het2), lut, m4));
                    si0 = _mm256_add_epi8(si0, pc8(i0, lut, m4));
                    s12 = _mm256_add_epi8(s12, pc8(_mm256_and_si256(het1, b2), lut, m4));
                    s21 = _mm256_add_epi8(s21, pc8(_mm256_and_si256(het2, b1), lut, m4));
                }
                uint32_t *o = out[(r - r0) * KING_T + (c - c0)];
                o[K_NSNP] += hsum8(snm), o[K_HETHET] += hsum8(shh), o[K_IBS0] += hsum8(si0);
                o[K_H12] += hsum8(s12), o[K_H21] += hsum8(s21);
            }
        }
    }
}

__attribute__((target("avx512f,avx512vpopcntdq"))) static void
king_tile_avx512(const king_planes_t *kp, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1, uint32_t (*out)[K_N])
{
    const uint64_t W = kp->W; /* a multiple of 8 */
    for (uint64_t w0 = 0; w0 < W; w0 += KING_WC512) {
        uint64_t w1 = w0 + KING_WC512 < W ? w0 + KING_WC512 : W;
        for (uint32_t r = r0; r < r1; r++) {
            const uint64_t *ar = kp->a + (size_t)r * W, *br = kp->b + (size_t)r * W;
            uint32_t cend = c1 < r ? c1 : r;
            for (uint32_t c = c0; c < cend; c++) {
                const uint64_t *ac = kp->a + (size_t)c * W, *bc = kp->b + (size_t)c * W;
                __m512i snm = _mm512_setzero_si512(), shh = snm, si0 = snm, s12 = snm, s21 = snm;
                for (uint64_t w = w0; w < w1; w += 8) {
                    __m512i a1 = _mm512_loadu_si512(ar + w), b1 = _mm512_loadu_si512(br + w);
                    __m512i a2 = _mm512_loadu_si512(ac + w), b2 = _mm512_loadu_si512(bc + w);
                    __m512i het1 = _mm512_andnot_si512(b1, a1), het2 = _mm512_andnot_si512(b2, a2);
                    snm = _mm512_add_epi64(snm, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_or_si512(a1, b1),
                                                                                     _mm512_or_si512(a2, b2))));
                    shh = _mm512_add_epi64(shh, _mm512_popcnt_epi64(_mm512_and_si512(het1, het2)));
                    /* b1 & b2 & (a1 ^ a2) as one ternary-logic op would need avx512f only: keep it plain */
                    si0 = _mm512_add_epi64(si0, _mm512_popcnt_epi64(_mm512_and_si512(_mm512_and_si512(b1, b2),
                                                                                     _mm512_xor_si512(a1, a2))));
                    s12 = _mm512_add_epi64(s12, _mm512_popcnt_epi64(_mm512_and_si512(het1, b2)));
                    s21 = _mm512_add_epi64(s21, _mm512_popcnt_epi64(_mm512_and_si512(het2, b1)));
                }
                uint32_t *o = out[(r - r0) * KING_T + (c - c0)];
                o[K_NSNP] += (uint32_t)_mm512_reduce_add_epi64(snm);
                o[K_HETHET] += (uint32_t)_mm512_reduce_add_epi64(shh);
                o[K_IBS0] += (uint32_t)_mm512_reduce_add_epi64(si0);
                o[K_H12] += (uint32_t)_mm512_reduce_add_epi64(s12);
                o[K_H21] += (uint32_t)_mm512_reduce_add_epi64(s21);
            }
        }
    }
}
#endif

/* The kernel: the fastest the CPU has, or the one BCMS_KING_KERNEL names (scalar, avx2, avx512: for
 * tests that check the kernels against each other). */
static int king_kernel(void)
{
    const char *e = getenv("BCMS_KING_KERNEL");
    int best = 0;
#ifdef KING_HAVE_AVX2
    if (__builtin_cpu_supports("avx2")) best = 1;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq")) best = 2;
#endif
    if (e && !strcmp(e, "scalar")) return 0;
    if (e && !strcmp(e, "avx2") && best >= 1) return 1;
    return best;
}

static void king_tile(int kernel, const king_planes_t *kp, uint32_t r0, uint32_t r1, uint32_t c0, uint32_t c1,
                      uint32_t (*out)[K_N])
{
#ifdef KING_HAVE_AVX2
    if (kernel == 2) {
        king_tile_avx512(kp, r0, r1, c0, c1, out);
        return;
    }
    if (kernel == 1) {
        king_tile_avx2(kp, r0, r1, c0, c1, out);
        return;
    }
#endif
    king_tile_scalar(kp, r0, r1, c0, c1, out);
}

static double king_kinship(const uint32_t *k)
{
    double smaller = (double)k[K_HETHET] + (double)(k[K_H12] < k[K_H21] ? k[K_H12] : k[K_H21]);
    return 0.5 - (4.0 * k[K_IBS0] + k[K_H12] + k[K_H21]) / (4.0 * smaller);
}

/* Growing list of related pairs for --unrelated. */
typedef struct {
    uint32_t *a, *b;
    uint64_t n, cap;
} king_edges_t;

static int edges_add(king_edges_t *e, uint32_t a, uint32_t b)
{
    if (e->n == e->cap) {
        uint64_t nc = e->cap ? 2 * e->cap : 1024;
        uint32_t *na = realloc(e->a, nc * sizeof *na), *nb;
        if (!na) return BCMS_ENOMEM;
        e->a = na;
        if (!(nb = realloc(e->b, nc * sizeof *nb))) return BCMS_ENOMEM;
        e->b = nb, e->cap = nc;
    }
    e->a[e->n] = a, e->b[e->n++] = b;
    return 0;
}

typedef struct {
    const bcms_kinship_opts_t *o;
    const st_input_t *in;
    bcms_outfile_t *out;
    kstring_t line;
    king_edges_t edges;
    uint64_t written;
} king_writer_t;

/* KINSHIP with 9 decimals (absolute error <= 5e-10), without printf's cost: x rounded to a multiple
 * of 1e-9 as an integer. */
static void put_kinship(double x, kstring_t *s)
{
    if (!(fabs(x) < 1e9)) {
        kputs(isnan(x) ? "nan" : x > 0 ? "inf" : "-inf", s);
        return;
    }
    int64_t v = llround(x * 1e9);
    char frac[10];
    if (v < 0) kputc('-', s), v = -v;
    kputll(v / 1000000000, s);
    kputc('.', s);
    int64_t f = v % 1000000000;
    for (int i = 8; i >= 0; i--) frac[i] = (char)('0' + f % 10), f /= 10;
    kputsn(frac, 9, s);
}

/* Format row r (pairs (r, c), c < r) into s; returns the number of pairs written. */
static uint64_t format_row(const king_writer_t *kw, uint32_t r, uint32_t r0, uint32_t (*band)[K_N], kstring_t *s)
{
    const bcms_kinship_opts_t *o = kw->o;
    const char *iid1 = kw->in->iids[r];
    uint64_t nw = 0;
    s->l = 0;
    for (uint32_t c = 0; c < r; c++) {
        const uint32_t *k = band[(size_t)(r - r0) * kw->in->n + c];
        double kin = king_kinship(k);
        if (!(kin >= o->min_kinship) && o->min_kinship != -INFINITY) continue;
        kputs(iid1, s), kputc('\t', s), kputs(kw->in->iids[c], s);
        kputc('\t', s), kputuw(k[K_NSNP], s), kputc('\t', s), kputuw(k[K_HETHET], s);
        kputc('\t', s), kputuw(k[K_IBS0], s), kputc('\t', s), kputuw(k[K_H21], s);
        kputc('\t', s), kputuw(k[K_H12], s), kputc('\t', s), put_kinship(kin, s);
        if (o->degree) kputc('\t', s), kputs(isnan(kin) ? "NA" : bcms_kinship_degree(kin), s);
        kputc('\n', s);
        nw++;
    }
    return nw;
}

/* Pairs a group of KING_G bands at a time (rows g0..g1): one parallel region computes the group's
 * tiles, copies them into rows of counts and formats each row into its own buffer; then the rows
 * are written in order. */
typedef struct {
    uint32_t (*band)[K_N];  /* KING_G * KING_T rows x n */
    uint32_t (*tiles)[K_N]; /* per task: KING_T x KING_T */
    kstring_t rows[KING_G * KING_T];
    uint64_t nrow[KING_G * KING_T];
} king_group_t;

/* Tiles of the group (band b0 + i, tile t <= b0 + i, numbered band by band). */
static uint32_t group_ntask(uint32_t g0, uint32_t g1)
{
    const uint32_t b0 = g0 / KING_T, nb = (g1 - g0 + KING_T - 1) / KING_T;
    uint32_t ntask = 0;
    for (uint32_t i = 0; i < nb; i++) ntask += b0 + i + 1;
    return ntask;
}

/* The tiles of rows g0 .. g1 - 1 (g0 a band's first row) over kp's words, added into tiles (numbered
 * band by band from g0's band). */
static void group_tiles(const king_planes_t *kp, int kernel, int threads, uint32_t g0, uint32_t g1,
                        uint32_t (*tiles)[K_N])
{
    const uint32_t n = kp->n, b0 = g0 / KING_T, ntask = group_ntask(g0, g1);
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(dynamic, 1)
        for (uint32_t k = 0; k < ntask; k++) {
            uint32_t i = 0, base = 0;
            while (k >= base + b0 + i + 1) base += b0 + i + 1, i++;
            uint32_t t = k - base, r0 = (b0 + i) * KING_T, r1 = r0 + KING_T < g1 ? r0 + KING_T : g1;
            uint32_t c0 = t * KING_T, c1 = c0 + KING_T < n ? c0 + KING_T : n;
            king_tile(kernel, kp, r0, r1, c0, c1, tiles + (size_t)k * KING_T * KING_T);
        }
    }
}

/* The group's rows of counts from its tiles, each row formatted into its own buffer. */
static void group_rows(uint32_t n, int threads, uint32_t g0, uint32_t g1, king_writer_t *kw, king_group_t *g,
                       uint32_t (*tiles)[K_N])
{
    const uint32_t b0 = g0 / KING_T;
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(dynamic, 4)
        for (uint32_t r = g0; r < g1; r++) {
            uint32_t i = (r - g0) / KING_T, base = 0;
            for (uint32_t j = 0; j < i; j++) base += b0 + j + 1;
            for (uint32_t c = 0; c < r; c++)
                memcpy(g->band[(size_t)(r - g0) * n + c],
                       tiles[(size_t)(base + c / KING_T) * KING_T * KING_T + (r % KING_T) * KING_T + c % KING_T],
                       sizeof *g->band);
            g->nrow[r - g0] = format_row(kw, r, g0, g->band, &g->rows[r - g0]);
        }
    }
}

static int group_write(king_writer_t *kw, uint32_t g0, uint32_t g1, king_group_t *g)
{
    const bcms_kinship_opts_t *o = kw->o;
    for (uint32_t r = g0; r < g1; r++) {
        kstring_t *s = &g->rows[r - g0];
        int rc;
        if (g->nrow[r - g0] && !s->s) return bcms_err(BCMS_ENOMEM, "kinship: output row");
        if (o->unrelated)
            for (uint32_t c = 0; c < r; c++)
                if (king_kinship(g->band[(size_t)(r - g0) * kw->in->n + c]) > o->cutoff && edges_add(&kw->edges, r, c))
                    return bcms_err(BCMS_ENOMEM, "kinship: related pairs");
        if (s->l && (rc = bcms_outfile_write(kw->out, s->s, s->l))) return rc;
        kw->written += g->nrow[r - g0];
    }
    return 0;
}

/* Every group: its tiles over this rank's words, summed over the ranks into rank 0, which formats
 * and writes them. */
static int king_pairs(const king_planes_t *kp, int threads, king_writer_t *kw)
{
    const uint32_t n = kp->n, nbands = (n + KING_T - 1) / KING_T;
    const int kernel = king_kernel(), root = bcms_cluster_rank() == 0;
    king_group_t *g = calloc(1, sizeof *g);
    int rc = 0;
    /* rows of counts on rank 0 only, which formats them */
    if (!g || (root && !(g->band = malloc((size_t)KING_G * KING_T * n * sizeof *g->band))) ||
        !(g->tiles = malloc((size_t)KING_G * (nbands + 1) * KING_T * KING_T * sizeof *g->tiles))) {
        rc = bcms_err(BCMS_ENOMEM, "kinship: counts of %u samples", n);
        goto out;
    }
    for (uint32_t g0 = 0; g0 < n && !rc; g0 += KING_G * KING_T) {
        uint32_t g1 = g0 + KING_G * KING_T < n ? g0 + KING_G * KING_T : n;
        memset(g->tiles, 0, (size_t)group_ntask(g0, g1) * KING_T * KING_T * sizeof *g->tiles);
        group_tiles(kp, kernel, threads, g0, g1, g->tiles);
        if ((rc = bcms_cluster_sum(g->tiles, (size_t)group_ntask(g0, g1) * KING_T * KING_T * K_N, BCMS_CL_U32)))
            break;
        if (!root) continue;
        group_rows(n, threads, g0, g1, kw, g, g->tiles);
        rc = group_write(kw, g0, g1, g);
    }
out:
    if (g) {
        for (int i = 0; i < KING_G * KING_T; i++) free(g->rows[i].s);
        free(g->band);
        free(g->tiles);
    }
    free(g);
    return rc;
}

/* Tiles of bands p0 .. i - 1 (each band i has i + 1), numbered band by band from p0. */
static size_t pass_base(uint32_t p0, uint32_t i)
{
    size_t b = 0;
    for (uint32_t j = p0; j < i; j++) b += j + 1;
    return b;
}

#define KING_CHUNK_BYTES ((size_t)32 << 20) /* packed planes of one chunk of variants, streaming */

/* Words a sample of a chunk: 64 (a batch's most) to 1024 (a default window's), planes <= 32 MB. */
static uint64_t king_chunk_words(uint32_t n)
{
    uint64_t w = KING_CHUNK_BYTES / (16 * (size_t)n) & ~(uint64_t)7;
    return w < 64 ? 64 : w > 1024 ? 1024 : w;
}

/* Streaming (memory flat in the variant count): passes over the variants, each for a run of bands
 * whose tiles fit tile_bytes (at least one band); in a pass this rank's batches are packed a chunk
 * at a time and every tile of the pass's bands is added over the chunk; the pass's tiles meet on
 * rank 0 (integers: exact in any order), which writes its rows. */
static int king_stream(st_input_t *in, int threads, size_t tile_bytes, king_writer_t *kw, uint32_t *npass)
{
    const uint32_t n = in->n, nbands = (n + KING_T - 1) / KING_T, me = (uint32_t)bcms_cluster_rank();
    const int kernel = king_kernel(), root = me == 0;
    const size_t tile = (size_t)KING_T * KING_T * sizeof(uint32_t[K_N]);
    const uint64_t chunk_w = king_chunk_words(n);
    king_planes_t kp = {calloc((size_t)n * chunk_w, 8), calloc((size_t)n * chunk_w, 8), 0, n};
    king_group_t *g = calloc(1, sizeof *g);
    king_share_t sh = {0};
    uint32_t (*tiles)[K_N] = NULL;
    size_t cap = 0;
    int rc = 0;
    if (!kp.a || !kp.b || !g || (root && !(g->band = malloc((size_t)KING_G * KING_T * n * sizeof *g->band)))) {
        rc = bcms_err(BCMS_ENOMEM, "kinship: counts of %u samples", n);
        goto out;
    }
    for (uint32_t p0 = 0, p1; p0 < nbands && !rc; p0 = p1) {
        size_t need = 0;
        for (p1 = p0; p1 < nbands && (p1 == p0 || need + (p1 + 1) * tile <= tile_bytes); p1++) need += (p1 + 1) * tile;
        if (need > cap) {
            free(tiles);
            if (!(tiles = malloc(need))) {
                rc = bcms_err(BCMS_ENOMEM, "kinship: counts of %u samples (%.1f GB; --memory sets the passes)", n,
                              need / 1e9);
                break;
            }
            cap = need;
        }
        memset(tiles, 0, need);
        const uint32_t r0 = p0 * KING_T, r1 = p1 * KING_T < n ? p1 * KING_T : n;
        while (!(rc = st_input_next(in)) && !(rc = king_share(in, &sh))) {
            uint64_t *woff = sh.woff;
            for (uint32_t i0 = 0, i1; i0 < in->nb && !rc; i0 = i1) { /* a chunk: batches i0 .. i1 - 1 */
                uint64_t w = 0;
                for (i1 = i0; i1 < in->nb && (sh.owner[i1] != me || w + sh.w[i1] <= chunk_w); i1++)
                    if (sh.owner[i1] == me) woff[i1 - i0] = w, w += sh.w[i1];
                if (!w) continue;
                kp.W = (w + 7) / 8 * 8; /* whole SIMD steps; padding words are "missing" */
                memset(kp.a, 0, (size_t)n * kp.W * 8), memset(kp.b, 0, (size_t)n * kp.W * 8);
                if (!(rc = king_pack(in, &sh, woff, i0, i1, threads, &kp))) group_tiles(&kp, kernel, threads, r0, r1, tiles);
            }
            if (rc) break;
        }
        if (rc != 1) break;
        if ((rc = bcms_cluster_sum(tiles, need / sizeof(uint32_t), BCMS_CL_U32))) break;
        ++*npass;
        for (uint32_t g0 = r0; root && g0 < r1 && !rc; g0 += KING_G * KING_T) {
            uint32_t g1 = g0 + KING_G * KING_T < r1 ? g0 + KING_G * KING_T : r1;
            group_rows(n, threads, g0, g1, kw, g, tiles + pass_base(p0, g0 / KING_T) * KING_T * KING_T);
            rc = group_write(kw, g0, g1, g);
        }
    }
out:
    if (g) {
        for (int i = 0; i < KING_G * KING_T; i++) free(g->rows[i].s);
        free(g->band);
    }
    free(g), free(tiles), free(sh.woff), free(sh.w), free(sh.owner), free(kp.a), free(kp.b);
    return rc;
}

static int write_unrelated(const bcms_kinship_opts_t *o, const st_input_t *in, const king_edges_t *e, uint64_t *kept)
{
    uint8_t *keep = malloc(in->n);
    bcms_outfile_t *out = NULL;
    kstring_t s = {0, 0, NULL};
    int rc;
    if (!keep) return bcms_err(BCMS_ENOMEM, "unrelated set");
    if ((rc = bcms_kinship_prune(in->n, e->a, e->b, e->n, keep))) goto out;
    if ((rc = bcms_outfile_open(o->unrelated, 0, &out))) goto out;
    kputs("#IID\n", &s);
    *kept = 0;
    for (uint32_t i = 0; i < in->n; i++)
        if (keep[i]) kputs(in->iids[i], &s), kputc('\n', &s), ++*kept;
    if (!(rc = bcms_outfile_write(out, s.s, s.l))) rc = bcms_outfile_commit(out);
    else bcms_outfile_abort(out);
    out = NULL;
out:
    free(s.s);
    free(keep);
    return rc;
}

int bcms_kinship_run(bcms_store_t *st, const bcms_kinship_opts_t *o, uint64_t stats[4])
{
    st_input_t in;
    king_planes_t kp = {0};
    king_writer_t kw = {o, &in, NULL, {0, 0, NULL}, {0}, 0};
    uint64_t kept = 0, w_all = 0, w_mine = 0;
    uint32_t npass = 0;
    size_t tile_bytes = 0;
    int rc, stream = 0;
    if (!o->out) return bcms_err(BCMS_EINVAL, "kinship: no output file (-o)");
    if ((rc = st_input_open(st, &o->in, &in))) return rc;
    if ((rc = king_count(&in, &w_all, &w_mine))) goto out; /* the first pass: the sites only */
    bcms_log(BCMS_LOG_INFO, "kinship: %u samples, %" PRIu64 " autosomal variants", in.n, in.nuse);
    {
        /* every variant packed at once (the rows then in groups of bands, as long as the data fit),
         * or streamed in passes (memory flat in the variant count), whichever needs less, within
         * --memory; the same counts either way. The same choice on every rank: from w_all. */
        const uint32_t nbands = (in.n + KING_T - 1) / KING_T, np = (uint32_t)bcms_cluster_size();
        const double tile = (double)KING_T * KING_T * sizeof(uint32_t[K_N]);
        const double packed = 16.0 * in.n * (double)((w_all + np - 1) / np + 8);
        const double gtiles = (double)KING_G * (nbands + 1) * tile, band = 20.0 * KING_G * KING_T * in.n;
        const double all_tiles = 0.5 * nbands * (nbands + 1.0) * tile, chunk = 16.0 * in.n * king_chunk_words(in.n);
        const double cap = o->in.sel.memory_mb > 0 ? o->in.sel.memory_mb * 1048576.0 : INFINITY;
        stream = packed + gtiles > all_tiles + chunk || packed + gtiles + band > cap;
        tile_bytes = isinf(cap) ? (size_t)all_tiles : cap > chunk + band ? (size_t)(cap - chunk - band) : 0;
    }
    if (!stream && (rc = king_load(&in, o->in.threads, w_mine, &kp))) goto out;
    if (bcms_cluster_rank() == 0) { /* rank 0 writes; OUT appears only when whole (outfile.h) */
        if ((rc = bcms_outfile_open(o->out, 0, &kw.out))) goto out;
        kputs("#IID1\tIID2\tNSNP\tHETHET\tIBS0\tHET1_HOM2\tHET2_HOM1\tKINSHIP", &kw.line);
        kputs(o->degree ? "\tDEGREE\n" : "\n", &kw.line);
        if ((rc = bcms_outfile_write(kw.out, kw.line.s, kw.line.l))) goto out;
    }
    if ((rc = stream ? king_stream(&in, o->in.threads, tile_bytes, &kw, &npass) : king_pairs(&kp, o->in.threads, &kw)))
        goto out;
    if (stream) bcms_log(BCMS_LOG_INFO, "kinship: pairs counted in %u pass(es) over the variants", npass);
    if (bcms_cluster_rank() == 0) {
        rc = bcms_outfile_commit(kw.out);
        kw.out = NULL;
        if (!rc && o->unrelated) rc = write_unrelated(o, &in, &kw.edges, &kept);
    }
    if (!rc && stats) stats[0] = in.n, stats[1] = in.nuse, stats[2] = kw.written, stats[3] = kept;
out:
    bcms_outfile_abort(kw.out);
    free(kw.line.s);
    free(kw.edges.a);
    free(kw.edges.b);
    free(kp.a);
    free(kp.b);
    st_input_close(&in);
    return rc;
}

/* test_lmm_rot.c: the LMM's variant rotation (lmm_rot.c). The sparse product (minor-allele coding,
 * U'x = 2 U'1 - U'z) and the dense dgemm must give the same U'x as a plain long-double loop, for
 * variants with the ALT allele minor or major, missing calls, non-zeros at tile edges, and sample
 * counts that are not multiples of the tiles; the dense/sparse rule is at n / 4 non-zeros. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmm_internal.h"

static int g_fail;
#define CHECK(c, ...)                                                     \
    do {                                                                  \
        if (!(c)) {                                                       \
            g_fail++;                                                     \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);          \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
        }                                                                 \
    } while (0)

static uint64_t rng = 88172645463325252ull;
static double unif(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* Variant k of nv: a density, an ALT frequency (some ALT-major) and missing calls that vary with k. */
static void make_codes(uint8_t *g, uint32_t n, uint32_t k)
{
    const double p = (k % 7 == 0) ? 0.9 : (k % 5 == 0) ? 0.45 : 0.002 + 0.03 * (k % 4), miss = (k % 3) * 0.02;
    for (uint32_t i = 0; i < n; i++) {
        if (unif() < miss) g[i] = 3;
        else g[i] = (uint8_t)((unif() < p) + (unif() < p));
    }
    /* calls at both ends: the first and last tile edges */
    g[0] = k % 2 ? 1 : 2, g[n - 1] = k % 3 ? 1 : 3;
}

static void counts(const uint8_t *g, uint32_t n, uint32_t c[4], double *mean)
{
    c[0] = c[1] = c[2] = c[3] = 0;
    for (uint32_t i = 0; i < n; i++) c[g[i]]++;
    *mean = (double)(c[1] + 2 * c[2]) / (double)(n - c[3]);
}

static void run(uint32_t n, uint32_t nv)
{
    double *Ut = malloc((size_t)n * n * sizeof *Ut), *Ucopy = malloc((size_t)n * n * sizeof *Ucopy);
    double *ux[2] = {malloc((size_t)LMM_BLOCK * n * sizeof(double)), malloc((size_t)LMM_BLOCK * n * sizeof(double))};
    uint8_t *codes = malloc((size_t)nv * n);
    uint32_t (*cnt)[4] = malloc(nv * sizeof *cnt), *v = malloc(nv * sizeof *v);
    double *mean = malloc(nv * sizeof *mean);
    lmm_rot_t r;
    lmm_rot_ws_t ws;
    for (size_t i = 0; i < (size_t)n * n; i++) Ut[i] = Ucopy[i] = unif() - 0.5;
    CHECK(!lmm_rot_init(&r, &Ut, n) && !Ut, "init n=%u", n);
    CHECK(!lmm_rot_ws_init(&ws, n), "ws n=%u", n);
    int transposed = 1;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) transposed &= r.U[(size_t)i * n + j] == Ucopy[(size_t)j * n + i];
    CHECK(transposed, "U is Ut transposed (n=%u)", n);
    for (uint32_t k = 0; k < nv; k++) make_codes(codes + (size_t)k * n, n, k), counts(codes + (size_t)k * n, n, cnt[k], &mean[k]), v[k] = k;
    uint32_t nsparse = 0, nflip = 0;
    double worst = 0;
    /* every variant dense (any variant may be), the sparse ones (the rule's) sparse too */
    uint32_t *sv = malloc(nv * sizeof *sv), ns = 0;
    for (uint32_t k = 0; k < nv; k++) {
        nflip += cnt[k][0] < cnt[k][2];
        if (lmm_rot_sparse(cnt[k], n)) sv[ns++] = k;
    }
    nsparse = ns;
    for (int w = 0; w < 2; w++) {
        const uint32_t *list = w ? sv : v, nl = w ? ns : nv;
        for (uint32_t k0 = 0; k0 < nl; k0 += LMM_BLOCK) {
            const uint32_t nb = nl - k0 < LMM_BLOCK ? nl - k0 : LMM_BLOCK;
            uint32_t (*c)[4] = malloc(nb * sizeof *c);
            double *mn = malloc(nb * sizeof *mn);
            for (uint32_t k = 0; k < nb; k++) memcpy(c[k], cnt[list[k0 + k]], sizeof c[k]), mn[k] = mean[list[k0 + k]];
            lmm_rot_apply(&r, &ws, codes, list + k0, nb, w, (const uint32_t(*)[4])c, mn, ux[w]);
            for (uint32_t k = 0; k < nb; k++) {
                const uint32_t vk = list[k0 + k];
                const uint8_t *g = codes + (size_t)vk * n;
                for (uint32_t j = 0; j < n; j++) {
                    long double s = 0, norm = 0;
                    for (uint32_t i = 0; i < n; i++) {
                        const double x = g[i] < 3 ? g[i] : mean[vk], u = Ucopy[(size_t)j * n + i];
                        s += (long double)x * u, norm += fabsl((long double)x * u);
                    }
                    const double e = fabs((double)(ux[w][(size_t)k * n + j] - s)) / (double)(norm + 1e-300);
                    worst = e > worst ? e : worst;
                }
            }
            free(c), free(mn);
        }
    }
    free(sv);
    CHECK(worst < 1e-13, "n=%u: dense and sparse U'x within 1e-13 of the exact sum (worst %.3g)", n, worst);
    CHECK(nsparse > 0 && nsparse < nv && nflip > 0, "n=%u: both kinds and ALT-major variants (%u sparse, %u ALT-major)",
          n, nsparse, nflip);
    printf("n=%u: %u variants (%u sparse, %u ALT-major): worst relative error %.3g\n", n, nv, nsparse, nflip, worst);
    lmm_rot_ws_free(&ws);
    lmm_rot_free(&r);
    free(Ucopy), free(ux[0]), free(ux[1]), free(codes), free(cnt), free(v), free(mean);
}

/* The rule: sparse up to n / 4 minor-allele carriers or missing calls, counted on the minor side. */
static void test_rule(void)
{
    const uint32_t n = 400;
    const uint32_t at[4] = {300, 50, 0, 50}, over[4] = {299, 51, 0, 50}, major[4] = {0, 60, 300, 40};
    CHECK(lmm_rot_sparse(at, n), "100 of 400 non-zero: sparse");
    CHECK(!lmm_rot_sparse(over, n), "101 of 400 non-zero: dense");
    CHECK(lmm_rot_sparse(major, n), "ALT-major: its complement has 100 non-zeros: sparse");
}

int main(void)
{
    test_rule();
    run(37, 40);   /* below one tile column */
    run(300, 300); /* two blocks; 300 = 9 tile columns + 12, 256-sample tiles + 44 */
    if (g_fail) fprintf(stderr, "%d failure(s)\n", g_fail);
    return g_fail ? 1 : 0;
}

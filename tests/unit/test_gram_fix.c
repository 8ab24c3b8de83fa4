/* test_gram_fix.c: the exact Z'Z accumulation of the GRM (st_gram_fix_*, linalg.c). Partial sums
 * over any split of the sub-blocks (as MPI ranks hold them) add up, as integers, to the very bits of
 * one accumulator fed every sub-block, at any thread count; the result agrees with a long double
 * reference within the documented error bound; the in-place conversion gives the full symmetric matrix. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "structure_internal.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

enum { N = 700, NBLK = 6 };
static const uint32_t rows[NBLK] = {512, 300, 1, 512, 77, 200};

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static double unif(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}

/* A standardised row: ALT frequency p (some very rare, for large |z|), genotypes Binomial(2, p),
 * a few missing (0). Returns the row's max z^2. */
static double fill_row(double *z)
{
    double p = unif() < 0.2 ? 0.5 / N + unif() * 2.0 / N : 0.01 + 0.49 * unif(), sd = sqrt(2 * p * (1 - p)), mx = 0;
    for (uint32_t i = 0; i < N; i++) {
        int g = (unif() < p) + (unif() < p);
        z[i] = unif() < 0.02 ? 0 : (g - 2 * p) / sd;
        if (z[i] * z[i] > mx) mx = z[i] * z[i];
    }
    return mx;
}

static double *acc_new(st_gram_fix_t *a, int threads)
{
    double *mem = malloc((size_t)N * (N + 1) * sizeof *mem);
    if (!mem || st_gram_fix_init(a, mem, N, threads)) exit(2);
    return mem;
}

int main(void)
{
    size_t tot = 0, off[NBLK + 1];
    for (int b = 0; b < NBLK; b++) off[b] = tot, tot += rows[b];
    off[NBLK] = tot;
    double *Z = malloc(tot * N * sizeof *Z), bound[NBLK] = {0};
    if (!Z) return 2;
    for (int b = 0; b < NBLK; b++)
        for (uint32_t r = 0; r < rows[b]; r++) bound[b] += fill_row(Z + (off[b] + r) * N);
    st_blas_serial();

    /* one accumulator, 2 threads; two "ranks" (even and odd sub-blocks), 1 and 3 threads */
    st_gram_fix_t all, ra, rb;
    double *G = acc_new(&all, 2), *A = acc_new(&ra, 1), *B = acc_new(&rb, 3);
    for (int b = 0; b < NBLK; b++) {
        st_gram_fix_add(&all, Z + off[b] * N, rows[b], bound[b]);
        st_gram_fix_add(b % 2 ? &rb : &ra, Z + off[b] * N, rows[b], bound[b]);
    }
    const size_t np = (size_t)N * (N + 1) / 2;
    for (size_t k = 0; k < np; k++) ra.acc[k] += rb.acc[k]; /* what the MPI sum does */
    CHECK(!memcmp(all.acc, ra.acc, np * sizeof *ra.acc));
    st_gram_fix_finish(&all, G, (double)tot);
    st_gram_fix_finish(&ra, A, (double)tot);
    CHECK(!memcmp(G, A, (size_t)N * N * sizeof *G));

    /* against a long double reference: within 1e-13 of the matrix's scale (the diagonal's mean) */
    double worst = 0, diag = 0, asym = 0;
    for (uint32_t i = 0; i < N; i++) diag += G[(size_t)i * N + i] / N;
    for (uint32_t i = 0; i < N; i += 7)
        for (uint32_t j = 0; j < N; j++) {
            long double s = 0;
            for (size_t v = 0; v < tot; v++) s += (long double)Z[v * N + i] * Z[v * N + j];
            double d = fabs((double)(s / tot) - G[(size_t)i * N + j]);
            if (d > worst) worst = d;
            asym = fmax(asym, fabs(G[(size_t)i * N + j] - G[(size_t)j * N + i]));
        }
    printf("diagonal mean %.6g, max |G - reference| %.3g (relative %.3g), asymmetry %g\n", diag, worst, worst / diag,
           asym);
    CHECK(diag > 0.5 && diag < 2);
    CHECK(worst / diag < 1e-13);
    CHECK(asym == 0);
    st_gram_fix_free(&all), st_gram_fix_free(&ra), st_gram_fix_free(&rb);
    free(G), free(A), free(B), free(Z);
    if (fails) fprintf(stderr, "%d check(s) failed\n", fails);
    return fails != 0;
}

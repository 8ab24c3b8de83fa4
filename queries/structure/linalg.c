/* linalg.c: the linear algebra of queries/structure: the symmetric eigenproblems (in eig_tiled.c's
 * fixed tiles), the GRM's tile products and small helpers. GPL-3.0-or-later. LAPACK comes with
 * OpenBLAS (Debian's libopenblas carries it) or liblapack; lapack.h declares its Fortran
 * interface, blas_load.c opens OpenBLAS when it is not linked. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "err.h"
#include "structure_internal.h"

void st_orthonormalise(uint32_t n, uint32_t l, double *Q)
{
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t j = 0; j < l; j++) {
            for (uint32_t p = 0; p < j; p++) {
                double d = 0;
                for (uint32_t i = 0; i < n; i++) d += Q[(size_t)i * l + j] * Q[(size_t)i * l + p];
                for (uint32_t i = 0; i < n; i++) Q[(size_t)i * l + j] -= d * Q[(size_t)i * l + p];
            }
            double s = 0;
            for (uint32_t i = 0; i < n; i++) s += Q[(size_t)i * l + j] * Q[(size_t)i * l + j];
            s = s > 0 ? 1 / sqrt(s) : 0;
            for (uint32_t i = 0; i < n; i++) Q[(size_t)i * l + j] *= s;
        }
}

/* Upper-triangle tile t of an n x n matrix cut in ST_TILE tiles: rows i0 .. i0 + ni, columns j0 .. j0 + nj. */
static void gram_tile(uint32_t n, uint32_t t, uint32_t *i0, uint32_t *ni, uint32_t *j0, uint32_t *nj)
{
    const uint32_t nt = (n + ST_TILE - 1) / ST_TILE;
    uint32_t I = 0, rem = t;
    while (rem >= nt - I) rem -= nt - I, I++;
    *i0 = I * ST_TILE, *j0 = (I + rem) * ST_TILE;
    *ni = n - *i0 < ST_TILE ? n - *i0 : ST_TILE, *nj = n - *j0 < ST_TILE ? n - *j0 : ST_TILE;
}

void st_gram_add(double *T, const double *Z, uint32_t n, uint32_t rows, int threads)
{
    const uint32_t nt = (n + ST_TILE - 1) / ST_TILE, ntask = nt * (nt + 1) / 2;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (uint32_t t = 0; t < ntask; t++) {
        uint32_t i0, ni, j0, nj;
        gram_tile(n, t, &i0, &ni, &j0, &nj);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ni, (int)nj, (int)rows, 1.0, Z + i0, (int)n, Z + j0,
                    (int)n, 1.0, T + (size_t)i0 * n + j0, (int)n);
    }
}

/* ---- the exact (fixed-point) accumulation ---- */
int st_gram_fix_init(st_gram_fix_t *a, void *mem, uint32_t n, int threads)
{
    a->acc = mem, a->n = n, a->threads = threads;
    if (!(a->work = malloc((size_t)threads * ST_TILE * ST_TILE * sizeof *a->work)))
        return bcms_err(BCMS_ENOMEM, "relationship matrix: %d tiles of work", threads);
    memset(a->acc, 0, (size_t)n * (n + 1) / 2 * sizeof *a->acc);
    return 0;
}

void st_gram_fix_free(st_gram_fix_t *a)
{
    free(a->work);
    a->work = NULL;
}

/* Packed upper triangle, row-major: (i, j >= i). */
static inline size_t fix_at(uint32_t n, uint32_t i, uint32_t j)
{
    return (size_t)i * n - (size_t)i * (i - 1) / 2 + (j - i);
}

void st_gram_fix_add(st_gram_fix_t *a, const double *Z, uint32_t rows, double bound)
{
    const uint32_t n = a->n, nt = (n + ST_TILE - 1) / ST_TILE, ntask = nt * (nt + 1) / 2;
    int e, sb;
    /* the sub-block's scale: |entry| <= bound < 2^e, so entry * 2^sb < 2^61 fits an int64 with room
     * for dgemm's rounding; at most ST_FIX_BITS (the accumulator's) */
    frexp(bound > 1 ? bound : 1, &e);
    sb = 61 - e < ST_FIX_BITS ? 61 - e : ST_FIX_BITS;
    if (sb < 0) sb = 0;
    const double up = ldexp(1.0, sb);
    const unsigned shift = (unsigned)(ST_FIX_BITS - sb);
#pragma omp parallel for num_threads(a->threads) schedule(dynamic, 1)
    for (uint32_t t = 0; t < ntask; t++) {
        uint32_t i0, ni, j0, nj;
        double *w = a->work + (size_t)omp_get_thread_num() * ST_TILE * ST_TILE;
        gram_tile(n, t, &i0, &ni, &j0, &nj);
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ni, (int)nj, (int)rows, 1.0, Z + i0, (int)n, Z + j0,
                    (int)n, 0.0, w, (int)nj);
        for (uint32_t r = 0; r < ni; r++) {
            const uint32_t i = i0 + r, c0 = j0 > i ? j0 : i;
            unsigned __int128 *acc = a->acc + fix_at(n, i, c0);
            const double *x = w + (size_t)r * nj + (c0 - j0);
            for (uint32_t c = 0; c < j0 + nj - c0; c++)
                acc[c] += (unsigned __int128)(__int128)llrint(x[c] * up) << shift;
        }
    }
}

void st_gram_fix_finish(st_gram_fix_t *a, double *G, double div)
{
    const uint32_t n = a->n;
    const double down = ldexp(1.0, -ST_FIX_BITS), inv = 1.0 / div;
    /* G overlays the accumulator: row i of G ends before the packed values of rows > i start, and
     * (i, j) is read before G[i][j] is written, so the pass in row-major order reads every value
     * before it is overwritten (byte offsets: 8 (i n + j) + 8 <= 16 (fix_at(i, j) + 1)) */
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = 0; j < i; j++) G[(size_t)i * n + j] = G[(size_t)j * n + i];
        for (uint32_t j = i; j < n; j++) {
            __int128 v = (__int128)a->acc[fix_at(n, i, j)];
            G[(size_t)i * n + j] = (double)v * down * inv;
        }
    }
}

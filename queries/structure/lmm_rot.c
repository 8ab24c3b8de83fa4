/* lmm_rot.c: the rotation U'x of a block of variants for the exact LMM, dense or sparse per
 * variant (contract in lmm_internal.h). GPL-3.0-or-later.
 *
 * A variant is coded by its minor allele: z = x, or z = 2 - x when ALT is the more common call, so
 * that U'x = 2 U'1 - U'z. z is zero for every sample homozygous for the major allele, and a block's
 * sparse variants are rotated as a sparse x dense product (U'z = sum over z's non-zeros of z_i
 * times row i of U, U stored sample-major). The product is tiled so a tile of U (LR_SB samples x
 * LR_W eigenvectors) stays in L2 while every variant of the block visits it, and a variant's LR_W
 * accumulators stay in registers. Each output element is a plain sum over the variant's non-zeros in
 * sample order. Dense variants go through one dgemm. The choice depends only on the variant's own
 * calls, and the caller groups variants of a kind in their order, so nothing depends on threads. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <gsl/gsl_cblas.h>

#include "err.h"
#include "lmm_internal.h"

#define LR_W 32          /* eigenvectors per tile: the accumulators of one variant */
#define LR_SB 256        /* samples per tile: LR_SB x LR_W doubles (64 KB) in L2 */
#define LR_DENSE_NUM 1   /* sparse when non-zeros * LR_DENSE_DEN <= n * LR_DENSE_NUM ... */
#define LR_DENSE_DEN 4   /* ... i.e. at most a quarter of the samples */
#define LR_HUGE (2u << 20)

/* n x n doubles, 2 MB aligned and (where the kernel allows) on huge pages: the sparse product reads
 * rows scattered over megabytes, which 4 KB pages turn into TLB misses. */
static double *alloc_square(uint32_t n)
{
    void *p = NULL;
    const size_t bytes = (size_t)n * n * sizeof(double);
    if (posix_memalign(&p, LR_HUGE, bytes ? bytes : 1)) return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= LR_HUGE) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

int lmm_rot_alloc(lmm_rot_t *r, uint32_t n)
{
    memset(r, 0, sizeof *r);
    r->n = n;
    if (!(r->U = alloc_square(n)) || !(r->u1 = calloc(n ? n : 1, sizeof *r->u1))) {
        lmm_rot_free(r);
        return bcms_err(BCMS_ENOMEM, "lmm: rotation of %u samples", n);
    }
    return 0;
}

void lmm_rot_sums(lmm_rot_t *r)
{
    const uint32_t n = r->n;
    memset(r->u1, 0, (size_t)n * sizeof *r->u1);
    for (uint32_t i = 0; i < n; i++) {
        const double *u = r->U + (size_t)i * n;
        for (uint32_t j = 0; j < n; j++) r->u1[j] += u[j];
    }
}

int lmm_rot_init(lmm_rot_t *r, double **Ut, uint32_t n)
{
    int rc = lmm_rot_alloc(r, n);
    if (rc) return rc;
    /* tiled transpose: Ut's row j (eigenvector j) becomes column j of U */
    const double *T = *Ut;
    for (uint32_t i0 = 0; i0 < n; i0 += 64)
        for (uint32_t j0 = 0; j0 < n; j0 += 64)
            for (uint32_t j = j0; j < j0 + 64 && j < n; j++)
                for (uint32_t i = i0; i < i0 + 64 && i < n; i++) r->U[(size_t)i * n + j] = T[(size_t)j * n + i];
    free(*Ut);
    *Ut = NULL;
    lmm_rot_sums(r);
    return 0;
}

void lmm_rot_free(lmm_rot_t *r)
{
    free(r->U), free(r->u1);
    r->U = r->u1 = NULL;
}

int lmm_rot_ws_init(lmm_rot_ws_t *ws, uint32_t n)
{
    const size_t cap = (size_t)LMM_BLOCK * ((size_t)n * LR_DENSE_NUM / LR_DENSE_DEN + 1);
    memset(ws, 0, sizeof *ws);
    if (!(ws->x = malloc((size_t)LMM_BLOCK * n * sizeof *ws->x)) || !(ws->val = malloc(cap * sizeof *ws->val)) ||
        !(ws->tile = malloc((size_t)LR_SB * LR_W * sizeof *ws->tile)) ||
        !(ws->smp = malloc(cap * sizeof *ws->smp))) {
        lmm_rot_ws_free(ws);
        return BCMS_ENOMEM;
    }
    return 0;
}

void lmm_rot_ws_free(lmm_rot_ws_t *ws)
{
    free(ws->x), free(ws->val), free(ws->smp), free(ws->tile);
    memset(ws, 0, sizeof *ws);
}

/* One tile column [j0, j0 + LR_W) of the sparse rows: acc over the non-zeros of each variant that
 * fall in each LR_SB-sample tile, in sample order. */
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
static void sparse_cols(const lmm_rot_t *r, lmm_rot_ws_t *ws, uint32_t ns, uint32_t j0, double *out, uint32_t ldo)
{
    const uint32_t n = r->n;
    uint32_t cur[LMM_BLOCK];
    const uint32_t *smp = ws->smp, *ptr = ws->ptr;
    const double *val = ws->val;
    memcpy(cur, ptr, ns * sizeof *cur);
    double *tile = ws->tile;
    for (uint32_t s0 = 0; s0 < n; s0 += LR_SB) {
        const uint32_t s1 = s0 + LR_SB, m = n - s0 < LR_SB ? n - s0 : LR_SB;
        /* the tile's rows packed contiguous: every variant's visits then hit L1/L2 lines in order */
        for (uint32_t i = 0; i < m; i++) memcpy(tile + (size_t)i * LR_W, r->U + (size_t)(s0 + i) * n + j0, LR_W * sizeof *tile);
        for (uint32_t v = 0; v < ns; v++) {
            uint32_t k = cur[v];
            const uint32_t e = ptr[v + 1];
            if (k >= e || smp[k] >= s1) continue;
            double *o = out + (size_t)v * ldo + j0, acc[LR_W];
#pragma omp simd
            for (int j = 0; j < LR_W; j++) acc[j] = o[j];
            for (; k < e && smp[k] < s1; k++) {
                const double a = val[k], *u = tile + (size_t)(smp[k] - s0) * LR_W;
#pragma omp simd
                for (int j = 0; j < LR_W; j++) acc[j] += a * u[j];
            }
#pragma omp simd
            for (int j = 0; j < LR_W; j++) o[j] = acc[j];
            cur[v] = k;
        }
    }
}

/* The last, narrower tile column (n not a multiple of LR_W): plain loops, same order. */
static void sparse_tail(const lmm_rot_t *r, const lmm_rot_ws_t *ws, uint32_t ns, uint32_t j0, double *out,
                        uint32_t ldo)
{
    const uint32_t n = r->n;
    for (uint32_t v = 0; v < ns; v++) {
        double *o = out + (size_t)v * ldo;
        for (uint32_t k = ws->ptr[v]; k < ws->ptr[v + 1]; k++) {
            const double a = ws->val[k], *u = r->U + (size_t)ws->smp[k] * n;
            for (uint32_t j = j0; j < n; j++) o[j] += a * u[j];
        }
    }
}

int lmm_rot_sparse(const uint32_t cnt[4], uint32_t n)
{
    const int f = cnt[0] < cnt[2];
    const uint64_t nnz = (uint64_t)cnt[3] + cnt[1] + (f ? cnt[0] : cnt[2]);
    return nnz * LR_DENSE_DEN <= (uint64_t)n * LR_DENSE_NUM;
}

/* Dense: the imputed x of each variant as a row, one dgemm. */
static void apply_dense(const lmm_rot_t *r, lmm_rot_ws_t *ws, const uint8_t *codes, const uint32_t *v, uint32_t nb,
                        const double *mean, double *ux)
{
    const uint32_t n = r->n;
    for (uint32_t k = 0; k < nb; k++) {
        const uint8_t *g = codes + (size_t)v[k] * n;
        const double lut[4] = {0, 1, 2, mean[k]};
        double *x = ws->x + (size_t)k * n;
        for (uint32_t i = 0; i < n; i++) x[i] = lut[g[i] & 3];
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)n, (int)n, 1.0, ws->x, (int)n, r->U, (int)n,
                0.0, ux, (int)n);
}

/* Sparse: z's non-zeros, the tiled product, then U'x = 2 U'1 - U'z where z = 2 - x. */
static void apply_sparse(const lmm_rot_t *r, lmm_rot_ws_t *ws, const uint8_t *codes, const uint32_t *v, uint32_t nb,
                         const uint32_t (*cnt)[4], const double *mean, double *ux)
{
    const uint32_t n = r->n;
    uint8_t flip[LMM_BLOCK];
    ws->ptr[0] = 0;
    for (uint32_t k = 0; k < nb; k++) {
        const uint8_t *g = codes + (size_t)v[k] * n;
        const int f = cnt[k][0] < cnt[k][2]; /* ALT the more common homozygote: code ALT's complement */
        const double lut[4] = {f ? 2 : 0, 1, f ? 0 : 2, f ? 2 - mean[k] : mean[k]};
        uint32_t q = ws->ptr[k];
        for (uint32_t i = 0; i < n; i++)
            if (lut[g[i] & 3] != 0) ws->smp[q] = i, ws->val[q++] = lut[g[i] & 3];
        flip[k] = (uint8_t)f;
        ws->ptr[k + 1] = q;
    }
    memset(ux, 0, (size_t)nb * n * sizeof *ux);
    uint32_t j0 = 0;
    for (; j0 + LR_W <= n; j0 += LR_W) sparse_cols(r, ws, nb, j0, ux, n);
    if (j0 < n) sparse_tail(r, ws, nb, j0, ux, n);
    for (uint32_t k = 0; k < nb; k++)
        if (flip[k]) {
            double *o = ux + (size_t)k * n;
            for (uint32_t j = 0; j < n; j++) o[j] = 2 * r->u1[j] - o[j];
        }
}

void lmm_rot_apply(const lmm_rot_t *r, lmm_rot_ws_t *ws, const uint8_t *codes, const uint32_t *v, uint32_t nb,
                   int sparse, const uint32_t (*cnt)[4], const double *mean, double *ux)
{
    if (!nb) return;
    if (sparse) apply_sparse(r, ws, codes, v, nb, cnt, mean, ux);
    else apply_dense(r, ws, codes, v, nb, mean, ux);
}

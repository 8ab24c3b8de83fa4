/* grm.c: standardised genotypes streamed in sub-blocks, and the genetic relationship matrix built
 * from them by blocked matrix products. GPL-3.0-or-later.
 *
 * Determinism: a sub-block is a fixed run of used variants (never crossing a reader batch), the GRM
 * is cut into fixed ST_TILE x ST_TILE tiles and each tile's product is one single-threaded dgemm,
 * whichever thread runs it; the products are summed exactly (fixed point, st_gram_fix_*), so under
 * MPI each rank adds its share of the batches and the integer sums meet on rank 0 with the bits of
 * the single-process run. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <omp.h>

#include "cluster.h"
#include "err.h"
#include "structure_internal.h"


void st_standardise(const uint8_t *g, uint32_t n, int kind, double *z)
{
    uint64_t ac = 0, called = 0;
    for (uint32_t i = 0; i < n; i++)
        if (g[i] < 3) ac += g[i], called++;
    double p = called ? (double)ac / (2.0 * (double)called) : 0, var = 2 * p * (1 - p);
    if (!called || !(var > 1e-12)) {
        memset(z, 0, (size_t)n * sizeof *z);
        return;
    }
    double scale = kind == ST_STANDARDISED ? 1 / sqrt(var) : 1, shift = -2 * p * scale;
    double lut[4] = {shift, scale + shift, 2 * scale + shift, 0};
    for (uint32_t i = 0; i < n; i++) z[i] = lut[g[i] & 3];
}

/* Used variants of batch b. */
static uint64_t batch_used(const st_input_t *in, uint32_t b)
{
    uint64_t first, used = 0;
    uint32_t nv;
    bcms_reader_batch_range(in->rd, b, &first, &nv);
    for (uint32_t k = 0; k < nv; k++) used += in->use[first + k];
    return used;
}

int st_units_build(const st_input_t *in, uint64_t min_used, st_units_t *u)
{
    uint64_t *w = malloc(((size_t)in->nbatch + 1) * sizeof *w), acc = 0;
    uint32_t *owner = malloc(((size_t)in->nbatch + 1) * sizeof *owner);
    memset(u, 0, sizeof *u);
    u->first = malloc(((size_t)in->nbatch + 1) * sizeof *u->first);
    u->mine = malloc((size_t)in->nbatch + 1);
    if (!w || !owner || !u->first || !u->mine) {
        free(w), free(owner), st_units_free(u);
        return bcms_err(BCMS_ENOMEM, "batches of %u", in->nbatch);
    }
    /* consecutive batches until a unit has min_used variants (a rule on the data alone) */
    for (uint32_t b = 0; b < in->nbatch; b++) {
        if (acc == 0) u->first[u->n] = b, w[u->n++] = 0;
        uint64_t k = batch_used(in, b);
        w[u->n - 1] += k, acc += k;
        if (acc >= min_used) acc = 0;
    }
    u->first[u->n] = in->nbatch;
    bcms_cluster_share(w, u->n, owner);
    for (uint32_t x = 0; x < u->n; x++) u->mine[x] = owner[x] == (uint32_t)bcms_cluster_rank();
    free(w), free(owner);
    return 0;
}

void st_units_free(st_units_t *u)
{
    free(u->first), free(u->mine);
    memset(u, 0, sizeof *u);
}

/* Standardise the used rows of one decoded batch into Z after its *fill rows (their reader indices
 * in vidx), handing Z to fn whenever it holds sub rows. */
static int stream_batch(const st_input_t *in, uint32_t b, const uint8_t *codes, double *Z, uint32_t *rows,
                        uint64_t *vidx, uint32_t *fill, uint32_t sub, int kind, int threads, st_rows_fn fn, void *ud)
{
    const uint32_t n = in->n;
    uint64_t first;
    uint32_t nv, k = 0;
    int rc = 0;
    bcms_reader_batch_range(in->rd, b, &first, &nv);
    while (k < nv && !rc) {
        uint32_t nr = 0, f = *fill;
        for (; k < nv && f + nr < sub; k++)
            if (in->use[first + k]) vidx[f + nr] = first + k, rows[nr++] = k;
        if (!nr) break;
#pragma omp parallel for num_threads(threads) schedule(static)
        for (uint32_t j = 0; j < nr; j++) st_standardise(codes + (size_t)rows[j] * n, n, kind, Z + (size_t)(f + j) * n);
        *fill = f + nr;
        if (*fill == sub) rc = fn(ud, Z, sub, vidx), *fill = 0;
    }
    return rc;
}

int st_stream_some(const st_input_t *in, const st_units_t *u, uint32_t sub, int kind, int threads, st_rows_fn fn,
                   void *ud)
{
    const uint32_t n = in->n, nunit = u ? u->n : in->nbatch;
    bcms_reader_ws_t *ws = bcms_reader_ws_new(in->rd);
    double *Z = malloc((size_t)sub * n * sizeof *Z);
    uint32_t *rows = malloc((size_t)sub * sizeof *rows);
    uint64_t *vidx = malloc((size_t)sub * sizeof *vidx);
    int rc = 0;
    if (!ws || !Z || !rows || !vidx) {
        rc = bcms_err(BCMS_ENOMEM, "standardised genotypes of %u samples", n);
        goto out;
    }
    for (uint32_t x = 0; x < nunit && !rc; x++) {
        uint32_t b0 = u ? u->first[x] : x, b1 = u ? u->first[x + 1] : x + 1, fill = 0;
        if (u && !u->mine[x]) continue;
        for (uint32_t b = b0; b < b1 && !rc; b++) {
            const uint8_t *codes;
            if (!(rc = bcms_reader_batch(in->rd, ws, b, &codes, NULL)))
                rc = stream_batch(in, b, codes, Z, rows, vidx, &fill, sub, kind, threads, fn, ud);
        }
        if (!rc && fill) rc = fn(ud, Z, fill, vidx); /* a sub-block never spans two units */
    }
out:
    bcms_reader_ws_free(ws);
    free(Z);
    free(rows);
    free(vidx);
    return rc;
}

int st_stream_idx(const st_input_t *in, int kind, int threads, st_rows_fn fn, void *ud)
{
    return st_stream_some(in, NULL, ST_SUBBLOCK, kind, threads, fn, ud);
}

typedef struct {
    int (*fn)(void *ud, const double *Z, uint32_t rows);
    void *ud;
} stream_adapt_t;

static int stream_adapt(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    stream_adapt_t *a = ud;
    (void)vidx;
    return a->fn(a->ud, Z, rows);
}

int st_stream(const st_input_t *in, int kind, int threads, int (*fn)(void *ud, const double *Z, uint32_t rows),
              void *ud)
{
    stream_adapt_t a = {fn, ud};
    return st_stream_idx(in, kind, threads, stream_adapt, &a);
}

/* --loco's per-chromosome Z_c'Z_c: floating-point tiles in variant order (one process). */
typedef struct {
    const st_input_t *in;
    int threads;
    double *G;
    uint64_t m;
    st_prov_t *prov; /* or NULL */
} gram_acc_t;

static int gram_add(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    gram_acc_t *a = ud;
    st_gram_add(a->G, Z, a->in->n, rows, a->threads);
    a->m += rows;
    return a->prov ? st_prov_add(a->prov, a->in->rd, Z, a->in->n, rows, vidx) : 0;
}

int st_gram_stream(const st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov)
{
    gram_acc_t a = {in, threads, G, 0, prov};
    st_blas_serial();
    int rc = st_stream_idx(in, kind, threads, gram_add, &a);
    *m = a.m;
    return rc;
}

/* Rows of the GRM's sub-blocks, and the least variants of its units: each sub-block's tile products
 * are rounded to fixed point and added to the 128-bit accumulator (16 bytes read and written per
 * entry, memory-bound), so sub-blocks of 2048 rows spanning the batches of a unit keep that cost
 * small beside the products (at 8 x 2048 x n bytes of standardised rows). */
#define GRM_SUBBLOCK 2048

typedef struct {
    uint32_t n; /* samples */
    const bcms_reader_t *rd;
    st_gram_fix_t fix;
    uint64_t m;
    st_prov_t *prov; /* or NULL */
} grm_acc_t;

static int grm_add(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    grm_acc_t *a = ud;
    double bound = 0; /* every entry of the sub-block's Z'Z is at most the sum of its rows' max z^2 */
    for (uint32_t r = 0; r < rows; r++) {
        double mx = 0;
        for (uint32_t i = 0; i < a->n; i++) mx = fmax(mx, fabs(Z[(size_t)r * a->n + i]));
        bound += mx * mx;
    }
    st_gram_fix_add(&a->fix, Z, rows, bound);
    a->m += rows;
    return a->prov ? st_prov_add(a->prov, a->rd, Z, a->n, rows, vidx) : 0;
}

static int prov_only(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    grm_acc_t *a = ud;
    return st_prov_add(a->prov, a->rd, Z, a->n, rows, vidx);
}

int st_grm_build_prov(const st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov)
{
    const uint32_t n = in->n;
    const int split = bcms_cluster_size() > 1; /* then a rank sees its share only: prov in a pass of its own */
    grm_acc_t a = {n, in->rd, {0}, 0, split ? NULL : prov};
    st_units_t u = {0};
    int rc;
    st_blas_serial();
    if ((rc = st_gram_fix_init(&a.fix, G, n, threads))) return rc;
    if ((rc = st_units_build(in, GRM_SUBBLOCK, &u))) goto out;
    if ((rc = st_stream_some(in, &u, GRM_SUBBLOCK, kind, threads, grm_add, &a))) goto out;
    /* the ranks' integer sums meet on rank 0 (exact in any order) */
    if ((rc = bcms_cluster_sum(a.fix.acc, (size_t)n * (n + 1) / 2, BCMS_CL_I128)) ||
        (rc = bcms_cluster_sum(&a.m, 1, BCMS_CL_U64)))
        goto out;
    if (bcms_cluster_rank() != 0) goto out;
    if (!a.m) {
        rc = bcms_err(BCMS_EINVAL, "no variant for the relationship matrix");
        goto out;
    }
    if (split && prov) { /* rank 0 reads every variant once more for the record (O(n m), not O(n^2 m)) */
        a.prov = prov;
        if ((rc = st_stream_idx(in, kind, threads, prov_only, &a))) goto out;
    }
    st_gram_fix_finish(&a.fix, G, (double)a.m);
    *m = a.m;
out:
    st_gram_fix_free(&a.fix);
    st_units_free(&u);
    return rc;
}

int st_grm_build(const st_input_t *in, int kind, int threads, double *G, uint64_t *m)
{
    return st_grm_build_prov(in, kind, threads, G, m, NULL);
}

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

uint8_t *st_batches_mine(const st_input_t *in)
{
    uint64_t *w = malloc(((size_t)in->nbatch + 1) * sizeof *w);
    uint32_t *owner = malloc(((size_t)in->nbatch + 1) * sizeof *owner);
    uint8_t *mine = malloc((size_t)in->nbatch + 1);
    if (!w || !owner || !mine) {
        free(w), free(owner), free(mine);
        bcms_err(BCMS_ENOMEM, "batches of %u", in->nbatch);
        return NULL;
    }
    for (uint32_t b = 0; b < in->nbatch; b++) {
        uint64_t first;
        uint32_t nv;
        bcms_reader_batch_range(in->rd, b, &first, &nv);
        w[b] = 0;
        for (uint32_t k = 0; k < nv; k++) w[b] += in->use[first + k];
    }
    bcms_cluster_share(w, in->nbatch, owner);
    for (uint32_t b = 0; b < in->nbatch; b++) mine[b] = owner[b] == (uint32_t)bcms_cluster_rank();
    free(w), free(owner);
    return mine;
}

int st_stream(const st_input_t *in, int kind, int threads, int (*fn)(void *ud, const double *Z, uint32_t rows),
              void *ud)
{
    return st_stream_some(in, NULL, ST_SUBBLOCK, kind, threads, fn, ud);
}

int st_stream_some(const st_input_t *in, const uint8_t *mine, uint32_t sub, int kind, int threads,
                   int (*fn)(void *ud, const double *Z, uint32_t rows), void *ud)
{
    const uint32_t n = in->n;
    bcms_reader_ws_t *ws = bcms_reader_ws_new(in->rd);
    double *Z = malloc((size_t)sub * n * sizeof *Z);
    uint32_t *rows = malloc((size_t)sub * sizeof *rows);
    int rc = 0;
    if (!ws || !Z || !rows) {
        rc = bcms_err(BCMS_ENOMEM, "standardised genotypes of %u samples", n);
        goto out;
    }
    for (uint32_t b = 0; b < in->nbatch && !rc; b++) {
        const uint8_t *codes;
        uint64_t first;
        uint32_t nv, k = 0;
        if (mine && !mine[b]) continue;
        bcms_reader_batch_range(in->rd, b, &first, &nv);
        if ((rc = bcms_reader_batch(in->rd, ws, b, &codes, NULL))) break;
        while (k < nv && !rc) {
            uint32_t nr = 0;
            for (; k < nv && nr < sub; k++)
                if (in->use[first + k]) rows[nr++] = k;
            if (!nr) break;
#pragma omp parallel for num_threads(threads) schedule(static)
            for (uint32_t j = 0; j < nr; j++) st_standardise(codes + (size_t)rows[j] * n, n, kind, Z + (size_t)j * n);
            rc = fn(ud, Z, nr);
        }
    }
out:
    bcms_reader_ws_free(ws);
    free(Z);
    free(rows);
    return rc;
}

/* Rows of the GRM's sub-blocks: each sub-block's tile products are rounded to fixed point and added
 * to the 128-bit accumulator (16 bytes read and written per entry), so fewer, larger sub-blocks
 * keep that cost small beside the products (8 bytes x 2048 x n of standardised rows). */
#define GRM_SUBBLOCK 2048

typedef struct {
    uint32_t n; /* samples */
    st_gram_fix_t fix;
    uint64_t m;
} grm_acc_t;

static int grm_add(void *ud, const double *Z, uint32_t rows)
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
    return 0;
}

int st_grm_build(const st_input_t *in, int kind, int threads, double *G, uint64_t *m)
{
    const uint32_t n = in->n;
    grm_acc_t a = {n, {0}, 0};
    uint8_t *mine = NULL;
    int rc;
    st_blas_serial();
    if ((rc = st_gram_fix_init(&a.fix, G, n, threads))) return rc;
    if (!(mine = st_batches_mine(in))) {
        rc = BCMS_ENOMEM;
        goto out;
    }
    if ((rc = st_stream_some(in, mine, GRM_SUBBLOCK, kind, threads, grm_add, &a))) goto out;
    /* the ranks' integer sums meet on rank 0 (exact in any order) */
    if ((rc = bcms_cluster_sum(a.fix.acc, (size_t)n * (n + 1) / 2, BCMS_CL_I128)) ||
        (rc = bcms_cluster_sum(&a.m, 1, BCMS_CL_U64)))
        goto out;
    if (bcms_cluster_rank() != 0) goto out;
    if (!a.m) {
        rc = bcms_err(BCMS_EINVAL, "no variant for the relationship matrix");
        goto out;
    }
    st_gram_fix_finish(&a.fix, G, (double)a.m);
    *m = a.m;
out:
    st_gram_fix_free(&a.fix);
    free(mine);
    return rc;
}

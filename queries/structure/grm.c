/* grm.c: standardised genotypes streamed in sub-blocks, and the genetic relationship matrix built
 * from them by blocked matrix products. GPL-3.0-or-later.
 *
 * Determinism: a sub-block is a fixed run of used variants (never crossing a reader batch), the GRM
 * is cut into fixed ST_TILE x ST_TILE tiles (st_gram_add) and each tile's product is one single-threaded dgemm,
 * whichever thread runs it; sub-blocks are added in variant order. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <omp.h>

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

int st_stream_idx(const st_input_t *in, int kind, int threads, st_rows_fn fn, void *ud)
{
    const uint32_t n = in->n;
    bcms_reader_ws_t *ws = bcms_reader_ws_new(in->rd);
    double *Z = malloc((size_t)ST_SUBBLOCK * n * sizeof *Z);
    uint32_t *rows = malloc(ST_SUBBLOCK * sizeof *rows);
    uint64_t *vidx = malloc(ST_SUBBLOCK * sizeof *vidx);
    int rc = 0;
    if (!ws || !Z || !rows || !vidx) {
        rc = bcms_err(BCMS_ENOMEM, "standardised genotypes of %u samples", n);
        goto out;
    }
    for (uint32_t b = 0; b < in->nbatch && !rc; b++) {
        const uint8_t *codes;
        uint64_t first;
        uint32_t nv, k = 0;
        bcms_reader_batch_range(in->rd, b, &first, &nv);
        if ((rc = bcms_reader_batch(in->rd, ws, b, &codes, NULL))) break;
        while (k < nv && !rc) {
            uint32_t nr = 0;
            for (; k < nv && nr < ST_SUBBLOCK; k++)
                if (in->use[first + k]) vidx[nr] = first + k, rows[nr++] = k;
            if (!nr) break;
#pragma omp parallel for num_threads(threads) schedule(static)
            for (uint32_t j = 0; j < nr; j++) st_standardise(codes + (size_t)rows[j] * n, n, kind, Z + (size_t)j * n);
            rc = fn(ud, Z, nr, vidx);
        }
    }
out:
    bcms_reader_ws_free(ws);
    free(Z);
    free(rows);
    free(vidx);
    return rc;
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

typedef struct {
    const st_input_t *in;
    int threads;
    double *G;
    uint64_t m;
    st_prov_t *prov; /* or NULL */
} grm_acc_t;

static int grm_add(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    grm_acc_t *a = ud;
    st_gram_add(a->G, Z, a->in->n, rows, a->threads);
    a->m += rows;
    return a->prov ? st_prov_add(a->prov, a->in->rd, Z, a->in->n, rows, vidx) : 0;
}

int st_gram_stream(const st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov)
{
    grm_acc_t a = {in, threads, G, 0, prov};
    st_blas_serial();
    int rc = st_stream_idx(in, kind, threads, grm_add, &a);
    *m = a.m;
    return rc;
}

int st_grm_build_prov(const st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov)
{
    const uint32_t n = in->n;
    int rc;
    memset(G, 0, (size_t)n * n * sizeof *G);
    if ((rc = st_gram_stream(in, kind, threads, G, m, prov))) return rc;
    if (!*m) return bcms_err(BCMS_EINVAL, "no variant for the relationship matrix");
    /* tiles filled the upper triangle (and the diagonal tiles whole): mirror it, divide by m */
    const double inv = 1.0 / (double)*m;
    for (uint32_t i = 0; i < n; i++) {
        for (uint32_t j = i; j < n; j++) G[(size_t)i * n + j] *= inv;
        for (uint32_t j = 0; j < i; j++) G[(size_t)i * n + j] = G[(size_t)j * n + i];
    }
    return 0;
}

int st_grm_build(const st_input_t *in, int kind, int threads, double *G, uint64_t *m)
{
    return st_grm_build_prov(in, kind, threads, G, m, NULL);
}

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

/* A pass in units (structure_internal.h, st_stream_pass): the open unit and its sub-block of
 * standardised rows carry from window to window, so units and sub-blocks are the same whatever the
 * windows (and so --memory) are. */
typedef struct {
    st_input_t *in;
    uint64_t min_used;
    int share, kind, threads;
    uint32_t sub;
    st_rows_fn fn, each;
    void *ud;
    bcms_reader_ws_t *ws;
    double *Z;
    uint32_t *rows;
    uint64_t *vidx;
    uint32_t fill;
    uint64_t acc; /* used variants of the open unit (0: none open) */
    int owner;    /* the open unit's rank */
} st_pass_t;

/* Standardise the used rows of one decoded batch into Z after its fill rows (their reader indices
 * in vidx), handing Z to fn whenever it holds sub rows, and each batch's new rows to each. */
static int stream_batch(st_pass_t *p, uint32_t b, const uint8_t *codes)
{
    const st_input_t *in = p->in;
    const uint32_t n = in->n;
    uint64_t first;
    uint32_t nv, k = 0;
    int rc = 0;
    bcms_reader_batch_range(in->rd, b, &first, &nv);
    while (k < nv && !rc) {
        uint32_t nr = 0, f = p->fill;
        for (; k < nv && f + nr < p->sub; k++)
            if (st_used(in, first + k)) p->vidx[f + nr] = first + k, p->rows[nr++] = k;
        if (!nr) break;
#pragma omp parallel for num_threads(p->threads) schedule(static)
        for (uint32_t j = 0; j < nr; j++)
            st_standardise(codes + (size_t)p->rows[j] * n, n, p->kind, p->Z + (size_t)(f + j) * n);
        p->fill = f + nr;
        if (p->each && (rc = p->each(p->ud, p->Z + (size_t)f * n, nr, p->vidx + f))) break;
        if (p->fill == p->sub) rc = p->fn(p->ud, p->Z, p->sub, p->vidx), p->fill = 0;
    }
    return rc;
}

/* The batches of the current window, unit by unit. */
static int pass_window(st_pass_t *p)
{
    st_input_t *in = p->in;
    const int me = p->share ? bcms_cluster_rank() : 0;
    int rc = 0;
    for (uint32_t b = in->b0; b < in->b0 + in->nb && !rc; b++) {
        uint64_t used = st_batch_used(in, b);
        if (!p->acc) p->owner = p->share ? bcms_cluster_least(in->load) : 0; /* a new unit (cluster.h's rule) */
        in->load[p->owner] += used, p->acc += used;
        if (p->owner == me && used) {
            const uint8_t *codes;
            if (!(rc = bcms_reader_batch(in->rd, p->ws, b, &codes, NULL))) rc = stream_batch(p, b, codes);
        }
        if (!rc && p->acc >= p->min_used) { /* the unit closes: a sub-block never spans two */
            if (p->fill) rc = p->fn(p->ud, p->Z, p->fill, p->vidx);
            p->fill = 0, p->acc = 0;
        }
    }
    return rc;
}

int st_stream_pass(st_input_t *in, uint64_t min_used, int share, uint32_t sub, int kind, int threads, st_rows_fn fn,
                   st_rows_fn each, void *ud)
{
    const uint32_t n = in->n;
    st_pass_t p = {in, min_used ? min_used : 1, share, kind, threads, sub, fn, each, ud, NULL, NULL, NULL, NULL,
                   0, 0, 0};
    int rc = 0;
    p.ws = bcms_reader_ws_new(in->rd);
    p.Z = malloc((size_t)sub * n * sizeof *p.Z);
    p.rows = malloc((size_t)sub * sizeof *p.rows);
    p.vidx = malloc((size_t)sub * sizeof *p.vidx);
    if (!p.ws || !p.Z || !p.rows || !p.vidx) {
        rc = bcms_err(BCMS_ENOMEM, "standardised genotypes of %u samples", n);
        goto out;
    }
    while (!(rc = st_input_next(in)))
        if ((rc = pass_window(&p))) goto out;
    if (rc == 1) rc = p.fill ? fn(ud, p.Z, p.fill, p.vidx) : 0; /* the last unit */
out:
    bcms_reader_ws_free(p.ws);
    free(p.Z);
    free(p.rows);
    free(p.vidx);
    return rc;
}

int st_stream_idx(st_input_t *in, int kind, int threads, st_rows_fn fn, void *ud)
{
    return st_stream_pass(in, 1, 0, ST_SUBBLOCK, kind, threads, fn, NULL, ud);
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

int st_gram_stream(st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov)
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
    (void)vidx;
    return 0;
}

static int prov_rows(void *ud, const double *Z, uint32_t rows, const uint64_t *vidx)
{
    grm_acc_t *a = ud;
    return st_prov_add(a->prov, a->rd, Z, a->n, rows, vidx);
}

int st_grm_build_prov(st_input_t *in, int kind, int threads, double *G, uint64_t *m, st_prov_t *prov)
{
    const uint32_t n = in->n;
    const int split = bcms_cluster_size() > 1; /* then a rank sees its share only: prov in a pass of its own */
    grm_acc_t a = {n, in->rd, {0}, 0, split ? NULL : prov};
    int rc;
    st_blas_serial();
    if ((rc = st_gram_fix_init(&a.fix, G, n, threads))) return rc;
    /* units of GRM_SUBBLOCK used variants shared over the ranks; the record of the rows as they are
     * standardised (a unit's sub-block may span windows: its rows' variants are looked up at once) */
    if ((rc = st_stream_pass(in, GRM_SUBBLOCK, 1, GRM_SUBBLOCK, kind, threads, grm_add, a.prov ? prov_rows : NULL, &a)))
        goto out;
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
        if ((rc = st_stream_pass(in, 1, 0, ST_SUBBLOCK, kind, threads, prov_rows, NULL, &a))) goto out;
    }
    st_gram_fix_finish(&a.fix, G, (double)a.m);
    *m = a.m;
out:
    st_gram_fix_free(&a.fix);
    return rc;
}

int st_grm_build(st_input_t *in, int kind, int threads, double *G, uint64_t *m)
{
    return st_grm_build_prov(in, kind, threads, G, m, NULL);
}

/* eig_tiled.c: the symmetric eigendecomposition of queries/structure in our own OpenMP tiles.
 * GPL-3.0-or-later.
 *
 * OpenBLAS' threaded kernels give other bits at other thread counts, and bcms' results must not
 * depend on --threads. So LAPACK's steps (tridiagonal reduction, tridiagonal eigenproblem,
 * back-transformation) run here on a partition into tiles whose sizes are constants: each tile is
 * one sequence of single-threaded BLAS/LAPACK calls (or of our own kernel) whichever thread runs it,
 * and partial results meet in a fixed order. Only the scheduling of tiles depends on the thread
 * count, never the arithmetic. (The bits may differ between CPUs, as the BLAS kernels' always did:
 * lmm_model_share and pca under MPI solve on one rank.)
 *
 * The reduction to tridiagonal form (the costly step) is LAPACK dsytrd's blocked algorithm written
 * out here, its trailing symv and rank-2k update on fixed tiles; the tridiagonal eigenproblem is
 * LAPACK's (dstedc for all pairs, dstemr for the top k), single-threaded; the back-transformation (Q
 * times the tridiagonal's eigenvectors) acts on each column alone, so its column tiles are
 * independent. */
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define EIGT_X86 1
#endif
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "err.h"
#include "lapack.h"
#include "structure_internal.h"

/* Columns of a back-transformation tile. */
#define EIGT_QTILE 256
/* int LAPACK: n^2 + 4n + 1 (dstedc's workspace) must fit an int. */
#define EIGT_NMAX 46000u

static int tiles_of(int n, int w)
{
    return (n + w - 1) / w;
}

static int imin(int a, int b)
{
    return a < b ? a : b;
}

/* C <- Q C for the n x nc column-major C (leading dimension n), Q = H(1) .. H(n-1) the reflectors
 * left by the tridiagonal reduction in A's lower triangle (LAPACK's 'L' layout: H(i)'s vector in
 * column i from row i + 1) and tau. As LAPACK dormtr/dormqr, in blocks of EIGT_QB reflectors, last
 * block first (dlarft's triangular factors once for all tiles, then dlarfb per tile), but with blocks
 * of 128 rather than dormqr's 32: deeper dgemm, fewer passes over C. */
#define EIGT_QB 128

static void apply_q_tile(int nr, const double *V, int ldv, const double *T, double *C, int ldc, int w, double *work)
{
    const int nb = tiles_of(nr, EIGT_QB);
    for (int b = nb - 1; b >= 0; b--) {
        const int i0 = b * EIGT_QB, ib = imin(EIGT_QB, nr - i0), rows = nr - i0, qb = EIGT_QB;
        dlarfb_("L", "N", "F", "C", &rows, &w, &ib, V + i0 + (size_t)i0 * ldv, &ldv, T + (size_t)b * qb * qb, &qb,
                C + i0, &ldc, work, &w, 1, 1, 1, 1);
    }
}

int st_eigt_apply_q(int n, const double *A, const double *tau, double *C, int nc, int threads)
{
    const int nr = n - 1, nt = tiles_of(nc, EIGT_QTILE), nbk = tiles_of(nr, EIGT_QB), qb = EIGT_QB;
    double *T = NULL, *work = NULL;
    if (nc < 1 || nr < 1) return 0;
    if (threads > nt) threads = nt;
    if (threads < 1) threads = 1;
    if (!(T = malloc((size_t)nbk * qb * qb * sizeof *T)) ||
        !(work = malloc((size_t)threads * EIGT_QTILE * qb * sizeof *work))) {
        free(T);
        return bcms_err(BCMS_ENOMEM, "eigenvectors: %d tiles of work", threads);
    }
    /* the reflectors of rows 1 .. n - 1, as dormtr hands them to dormqr */
    const double *V = A + 1;
#pragma omp parallel num_threads(threads)
    {
#pragma omp for schedule(dynamic, 1)
        for (int b = 0; b < nbk; b++) {
            const int i0 = b * EIGT_QB, ib = imin(EIGT_QB, nr - i0), rows = nr - i0;
            dlarft_("F", "C", &rows, &ib, V + i0 + (size_t)i0 * n, &n, tau + i0, T + (size_t)b * qb * qb, &qb, 1, 1);
        }
#pragma omp for schedule(dynamic, 1)
        for (int t = 0; t < nt; t++) {
            const int c0 = t * EIGT_QTILE, w = imin(nc - c0, EIGT_QTILE);
            apply_q_tile(nr, V, n, T, C + 1 + (size_t)c0 * n, n, w,
                         work + (size_t)omp_get_thread_num() * EIGT_QTILE * qb);
        }
    }
    free(T), free(work);
    return 0;
}

/* ---- the tridiagonal reduction (LAPACK dsytrd's blocked algorithm, UPLO 'L') ----
 * Panels of EIGT_NB columns: each column's reflector, w = S v over the trailing lower triangle S
 * (the costly, memory-bound product: tiled below), LAPACK dlatrd's small corrections for the panel's
 * earlier columns, then the trailing rank-2k update S -= V W' + W V' in tiles. The last EIGT_NX
 * columns are reduced unblocked (LAPACK dsytd2, single-threaded). */
#define EIGT_NB 32
#define EIGT_NX 64
#define EIGT_STILE 128 /* columns of a product tile */
#define EIGT_SROWS 256 /* its rows per sub-block: in cache for both of the sub-block's products */
#define EIGT_UTILE 256 /* rows and columns of an update tile */
/* Below this order a product or update runs its tiles on one thread (the same tiles, the same bits):
 * a column's product is then too small to repay waking the other threads (milliseconds each on a
 * loaded machine). */
#define EIGT_PAR_MIN 1024

/* The reduction's state, shared by its threads. One OpenMP region runs the whole reduction: thread 0
 * the serial steps of each column, and it publishes each column's product (and each panel's update)
 * as a job of tiles; the other threads sleep until a job is published, then claim its tiles with thread
 * 0 from a counter tagged with the job's number. Thread 0 never waits for a thread that has not
 * claimed a tile: on a loaded machine a descheduled helper costs nothing (barriers, met twice per
 * column, made its partner wait for it), and the tiles' arithmetic is the same whoever runs them. */
typedef struct {
    int n, nth;       /* A's order and leading dimension (and W's); threads in the region */
    double *A, *d, *e, *tau;
    double *W;        /* n x EIGT_NB: the panel's w vectors */
    double *part;     /* the product's partial vectors, tile after tile */
    /* the published job: written by thread 0 before it publishes, read-only while it runs */
    int kind, size, ntile; /* 0: product of order size at S times x; 1: update of order size at S, */
    const double *x;       /* x the panel's reflectors (V; W is W's rows below the panel) */
    double *S;
    uint64_t claim;   /* job number << 32 | next tile (atomic) */
    int done;         /* tiles of the job finished (atomic) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned gen;     /* the latest job number, under mu */
    int quit;         /* under mu */
} eigt_red_t;

static void tile_run(eigt_red_t *r, int t);

/* Claim and run tiles of job g until none is left (or a newer job is out). */
static void job_help(eigt_red_t *r, unsigned g)
{
    for (;;) {
        uint64_t c = __atomic_load_n(&r->claim, __ATOMIC_ACQUIRE);
        /* ntile is read atomically: once every tile is claimed, thread 0 may be setting up the next job */
        if ((unsigned)(c >> 32) != g || (int)(c & 0xffffffffu) >= __atomic_load_n(&r->ntile, __ATOMIC_RELAXED))
            return;
        if (!__atomic_compare_exchange_n(&r->claim, &c, c + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        tile_run(r, (int)(c & 0xffffffffu));
        __atomic_fetch_add(&r->done, 1, __ATOMIC_RELEASE);
    }
}

/* Thread 0: publish the job set up in r, run tiles of it, wait for the tiles others claimed. */
static void job_run(eigt_red_t *r)
{
    if (r->nth < 2) {
        for (int t = 0; t < r->ntile; t++) tile_run(r, t);
        return;
    }
    pthread_mutex_lock(&r->mu);
    const unsigned g = ++r->gen;
    __atomic_store_n(&r->done, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->claim, (uint64_t)g << 32, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    job_help(r, g);
    while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) < r->ntile) sched_yield();
}

/* The other threads: help with each new job until thread 0 says quit. */
static void job_worker(eigt_red_t *r)
{
    unsigned seen = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        while (r->gen == seen && !r->quit) pthread_cond_wait(&r->cv, &r->mu);
        const int quit = r->quit;
        seen = r->gen;
        pthread_mutex_unlock(&r->mu);
        if (quit) return;
        job_help(r, seen);
    }
}

static void job_quit(eigt_red_t *r)
{
    pthread_mutex_lock(&r->mu);
    r->quit = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* Start of tile t's partial vector (length m - t EIGT_STILE) in the product over order m. */
static size_t part_off(int m, int t)
{
    return (size_t)t * m - (size_t)EIGT_STILE * t * (t - 1) / 2;
}

#ifdef EIGT_X86
/* y[0 .. h) += B xc and s[0 .. w) += B' xr for B h x w (leading dimension lda), in one pass over B
 * (AVX2 + FMA; the order of operations is fixed by the code, so the bits do not depend on where the
 * data lie). Four columns at a time, four rows a vector; s's lanes summed as (0 + 1) + (2 + 3). */
__attribute__((target("avx2,fma"))) static void symv_block_avx2(int h, int w, const double *B, int lda,
                                                                const double *xc, const double *xr, double *y,
                                                                double *s)
{
    const int h4 = h & ~3;
    int j = 0;
    for (; j < w; j += 4) {
        const int nc = imin(4, w - j);
        const double *b[4];
        __m256d xj[4], acc[4];
        for (int c = 0; c < 4; c++) {
            b[c] = B + (size_t)(j + (c < nc ? c : 0)) * lda;
            xj[c] = _mm256_set1_pd(c < nc ? xc[j + c] : 0), acc[c] = _mm256_setzero_pd();
        }
        for (int i = 0; i < h4; i += 4) {
            const __m256d xi = _mm256_loadu_pd(xr + i);
            __m256d yi = _mm256_loadu_pd(y + i);
            for (int c = 0; c < 4; c++) {
                const __m256d a = _mm256_loadu_pd(b[c] + i);
                yi = _mm256_fmadd_pd(a, xj[c], yi), acc[c] = _mm256_fmadd_pd(a, xi, acc[c]);
            }
            _mm256_storeu_pd(y + i, yi);
        }
        for (int c = 0; c < nc; c++) {
            double l[4], t;
            _mm256_storeu_pd(l, acc[c]);
            t = (l[0] + l[1]) + (l[2] + l[3]);
            for (int i = h4; i < h; i++) t += b[c][i] * xr[i];
            s[j + c] += t;
        }
        for (int i = h4; i < h; i++)
            for (int c = 0; c < nc; c++) y[i] += b[c][i] * xc[j + c];
    }
}

static int eigt_have_avx2(void)
{
    static int have = -1;
    if (have < 0) have = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return have;
}
#else
static int eigt_have_avx2(void)
{
    return 0;
}

static void symv_block_avx2(int h, int w, const double *B, int lda, const double *xc, const double *xr, double *y,
                            double *s)
{
    (void)h, (void)w, (void)B, (void)lda, (void)xc, (void)xr, (void)y, (void)s;
}
#endif

/* Tile t of y = S x (S: lower triangle of order m, leading dimension lda): columns c0 .. c0 + w of
 * the triangle. p[0 .. w) <- S_tt x_t + B' x_below, p[w .. m - c0) <- B x_t, B the tile below the
 * diagonal, one sub-block of EIGT_SROWS rows at a time (in cache for its second product). */
static void symv_tile(int m, const double *S, int lda, const double *x, int t, double *p)
{
    const int c0 = t * EIGT_STILE, w = imin(m - c0, EIGT_STILE), avx2 = eigt_have_avx2();
    cblas_dsymv(CblasColMajor, CblasLower, w, 1.0, S + c0 + (size_t)c0 * lda, lda, x + c0, 1, 0.0, p, 1);
    for (int r0 = c0 + w; r0 < m; r0 += EIGT_SROWS) {
        const int h = imin(m - r0, EIGT_SROWS);
        const double *B = S + r0 + (size_t)c0 * lda;
        if (avx2) {
            memset(p + (r0 - c0), 0, (size_t)h * sizeof *p);
            symv_block_avx2(h, w, B, lda, x + c0, x + r0, p + (r0 - c0), p);
        } else {
            cblas_dgemv(CblasColMajor, CblasNoTrans, h, w, 1.0, B, lda, x + c0, 1, 0.0, p + (r0 - c0), 1);
            cblas_dgemv(CblasColMajor, CblasTrans, h, w, 1.0, B, lda, x + r0, 1, 1.0, p, 1);
        }
    }
}

/* y = S x (order m) from the tiles' partial vectors: each y[i] their sum in tile order. */
static void symv_sum(int m, const double *part, double *y)
{
    memset(y, 0, (size_t)m * sizeof *y);
    for (int t = 0; t * EIGT_STILE < m; t++) {
        const double *p = part + part_off(m, t) - (size_t)t * EIGT_STILE;
        for (int i = t * EIGT_STILE; i < m; i++) y[i] += p[i];
    }
}

/* Column i of the panel at S (order m; LAPACK dlatrd 'L'), before its product: the column minus
 * V W' + W V' over the panel's earlier columns, then its reflector (unit first entry stored). */
static void col_prepare(eigt_red_t *r, int m, double *S, int p, int i)
{
    const int ld = r->n, mv = m - i - 1, one = 1;
    double *a = S + (size_t)i * ld, *W = r->W;
    if (i > 0) {
        cblas_dgemv(CblasColMajor, CblasNoTrans, m - i, i, -1.0, S + i, ld, W + i, ld, 1.0, a + i, 1);
        cblas_dgemv(CblasColMajor, CblasNoTrans, m - i, i, -1.0, W + i, ld, S + i, ld, 1.0, a + i, 1);
    }
    dlarfg_(&mv, a + i + 1, a + imin(i + 2, m - 1), &one, r->tau + p + i);
    r->e[p + i] = a[i + 1], a[i + 1] = 1;
}

/* After the product: w = S v less the panel's earlier columns' share, scaled, and corrected so that
 * the rank-2 update is symmetric (dlatrd). */
static void col_finish(eigt_red_t *r, int m, double *S, int p, int i)
{
    const int ld = r->n, mv = m - i - 1;
    const double *v = S + (size_t)i * ld + i + 1, tau = r->tau[p + i];
    double *W = r->W, *w = W + (size_t)i * ld + i + 1, *t = W + (size_t)i * ld;
    symv_sum(mv, r->part, w);
    if (i > 0) {
        cblas_dgemv(CblasColMajor, CblasTrans, mv, i, 1.0, W + i + 1, ld, v, 1, 0.0, t, 1);
        cblas_dgemv(CblasColMajor, CblasNoTrans, mv, i, -1.0, S + i + 1, ld, t, 1, 1.0, w, 1);
        cblas_dgemv(CblasColMajor, CblasTrans, mv, i, 1.0, S + i + 1, ld, v, 1, 0.0, t, 1);
        cblas_dgemv(CblasColMajor, CblasNoTrans, mv, i, -1.0, W + i + 1, ld, t, 1, 1.0, w, 1);
    }
    cblas_dscal(mv, tau, w, 1);
    cblas_daxpy(mv, -0.5 * tau * cblas_ddot(mv, w, 1, v, 1), v, 1, w, 1);
}

/* Tile k of T -= V W' + W V' on the lower triangle of order m2 (V, W: m2 x EIGT_NB; all leading
 * dimension ld), tiles numbered column by column: dsyr2k on the diagonal, two dgemm below. */
static void update_tile(int m2, int ld, double *T, const double *V, const double *W, int k)
{
    const int nt = tiles_of(m2, EIGT_UTILE);
    int J = 0, I = k;
    while (I >= nt - J) I -= nt - J, J++;
    I += J;
    const int r0 = I * EIGT_UTILE, c0 = J * EIGT_UTILE, h = imin(EIGT_UTILE, m2 - r0), w = imin(EIGT_UTILE, m2 - c0);
    double *C = T + r0 + (size_t)c0 * ld;
    if (I == J) {
        cblas_dsyr2k(CblasColMajor, CblasLower, CblasNoTrans, w, EIGT_NB, -1.0, V + c0, ld, W + c0, ld, 1.0, C, ld);
    } else {
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, h, w, EIGT_NB, -1.0, V + r0, ld, W + c0, ld, 1.0, C, ld);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, h, w, EIGT_NB, -1.0, W + r0, ld, V + c0, ld, 1.0, C, ld);
    }
}

static void tile_run(eigt_red_t *r, int t)
{
    if (r->kind == 0) symv_tile(r->size, r->S, r->n, r->x, t, r->part + part_off(r->size, t));
    else update_tile(r->size, r->n, r->S, r->x, r->W + EIGT_NB, t);
}

/* The panels starting at columns p0, p0 + EIGT_NB, .. < p1 (thread 0; the tiles as jobs). */
static void red_panels(eigt_red_t *r, int p0, int p1)
{
    const int n = r->n;
    for (int p = p0; p < p1; p += EIGT_NB) {
        const int m = n - p, m2 = m - EIGT_NB;
        double *S = r->A + p + (size_t)p * n;
        for (int i = 0; i < EIGT_NB; i++) {
            col_prepare(r, m, S, p, i);
            r->kind = 0, r->size = m - i - 1;
            __atomic_store_n(&r->ntile, tiles_of(r->size, EIGT_STILE), __ATOMIC_RELAXED);
            r->S = S + (i + 1) + (size_t)(i + 1) * n, r->x = S + (size_t)i * n + i + 1;
            job_run(r);
            col_finish(r, m, S, p, i);
        }
        r->kind = 1, r->size = m2;
        __atomic_store_n(&r->ntile, tiles_of(m2, EIGT_UTILE) * (tiles_of(m2, EIGT_UTILE) + 1) / 2, __ATOMIC_RELAXED);
        r->S = S + EIGT_NB + (size_t)EIGT_NB * n, r->x = S + EIGT_NB; /* the reflectors below the panel */
        job_run(r);
        for (int j = 0; j < EIGT_NB; j++) S[(j + 1) + (size_t)j * n] = r->e[p + j], r->d[p + j] = S[j + (size_t)j * n];
    }
}

/* The panels of order >= EIGT_PAR_MIN on threads (when more than one), the smaller ones on one. */
static void red_run(eigt_red_t *r, int threads, int pend)
{
    int ppar = 0;
    while (ppar < pend && r->n - ppar >= EIGT_PAR_MIN) ppar += EIGT_NB;
    r->nth = 1;
    if (threads > 1 && ppar > 0 && !pthread_mutex_init(&r->mu, NULL)) {
        if (!pthread_cond_init(&r->cv, NULL)) {
#pragma omp parallel num_threads(threads)
            {
#pragma omp single
                r->nth = omp_get_num_threads(); /* the implicit barrier: every thread sees it */
                if (omp_get_thread_num() == 0) red_panels(r, 0, ppar), job_quit(r);
                else job_worker(r);
            }
            pthread_cond_destroy(&r->cv);
        } else {
            ppar = 0;
        }
        pthread_mutex_destroy(&r->mu);
        r->nth = 1;
    } else {
        ppar = 0;
    }
    red_panels(r, ppar, pend);
}

/* A's lower triangle -> the tridiagonal (d, e) and the reflectors (in A, with tau): LAPACK dsytrd's
 * output. */
static int eigt_tridiag(int n, double *A, double *d, double *e, double *tau, int threads)
{
    eigt_red_t r = {.n = n, .nth = 1, .A = A, .d = d, .e = e, .tau = tau};
    int pend = 0, m, info = 0;
    while (n - pend > EIGT_NX) pend += EIGT_NB;
    if (pend && (!(r.W = malloc((size_t)n * EIGT_NB * sizeof *r.W)) ||
                 !(r.part = malloc(part_off(n, tiles_of(n, EIGT_STILE)) * sizeof *r.part)))) {
        free(r.W);
        return BCMS_ENOMEM;
    }
    red_run(&r, threads, pend);
    m = n - pend;
    dsytd2_("L", &m, A + pend + (size_t)pend * n, &n, d + pend, e + pend, tau + pend, &info, 1);
    free(r.W), free(r.part);
    return info ? bcms_err(BCMS_EINVAL, "LAPACK dsytd2 failed (info %d)", info) : 0;
}

/* Every eigenpair of the tridiagonal (d, e): d -> eigenvalues ascending, Z (n x n) the eigenvectors.
 * LAPACK dstedc (divide and conquer), single-threaded. */
static int eigt_tri_all(int n, double *d, double *e, double *Z)
{
    int lwork = -1, liwork = -1, iwq = 0, info = 0, rc = 0;
    double wq = 0, *work = NULL;
    int *iwork = NULL;
    dstedc_("I", &n, d, e, Z, &n, &wq, &lwork, &iwq, &liwork, &info, 1);
    if (info) return bcms_err(BCMS_EINVAL, "LAPACK dstedc workspace query failed (info %d)", info);
    lwork = (int)wq, liwork = iwq;
    if (!(work = malloc((size_t)lwork * sizeof *work)) || !(iwork = malloc((size_t)liwork * sizeof *iwork))) {
        rc = BCMS_ENOMEM;
        goto out;
    }
    dstedc_("I", &n, d, e, Z, &n, work, &lwork, iwork, &liwork, &info, 1);
    if (info) rc = bcms_err(BCMS_EINVAL, "LAPACK dstedc failed (info %d)", info);
out:
    free(work), free(iwork);
    return rc;
}

int st_eig_all(uint32_t n, double *A, double *val, int threads)
{
    const int N = (int)n;
    double *e = NULL, *tau = NULL, *Z = NULL, t[4] = {0};
    int rc = BCMS_ENOMEM;
    if (n < 1 || n > EIGT_NMAX)
        return bcms_err(BCMS_EINVAL, "eigendecomposition of %u x %u (at most %u)", n, n, EIGT_NMAX);
    if (!(e = malloc((size_t)n * sizeof *e)) || !(tau = malloc((size_t)n * sizeof *tau))) goto out;
    t[0] = omp_get_wtime();
    if ((rc = eigt_tridiag(N, A, val, e, tau, threads))) goto out;
    t[1] = omp_get_wtime();
    rc = BCMS_ENOMEM;
    if (!(Z = malloc((size_t)n * n * sizeof *Z))) goto out;
    if ((rc = eigt_tri_all(N, val, e, Z))) goto out;
    t[2] = omp_get_wtime();
    if ((rc = st_eigt_apply_q(N, A, tau, Z, N, threads))) goto out;
    t[3] = omp_get_wtime();
    bcms_log(BCMS_LOG_DEBUG, "eigendecomposition of %u x %u on %d threads: reduction %.2f s, tridiagonal %.2f s, "
             "back-transformation %.2f s", n, n, threads, t[1] - t[0], t[2] - t[1], t[3] - t[2]);
    memcpy(A, Z, (size_t)n * n * sizeof *A);
out:
    free(e), free(tau), free(Z);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "eigendecomposition of %u x %u", n, n) : rc;
}

/* Eigenpairs il .. iu (1-based, ascending) of the tridiagonal (d, e; e of length n, both destroyed):
 * w and Z (n x (iu - il + 1)). LAPACK dstemr (MRRR, as dsyevr uses it), single-threaded. */
static int eigt_tri_some(int n, double *d, double *e, int il, int iu, double *w, double *Z)
{
    const int k = iu - il + 1;
    int m = 0, lwork = -1, liwork = -1, iwq = 0, info = 0, tryrac = 1, rc = 0, *isuppz = NULL, *iwork = NULL;
    double vl = 0, vu = 0, wq = 0, *work = NULL;
    dstemr_("V", "I", &n, d, e, &vl, &vu, &il, &iu, &m, w, Z, &n, &k, NULL, &tryrac, &wq, &lwork, &iwq, &liwork,
            &info, 1, 1);
    if (info) return bcms_err(BCMS_EINVAL, "LAPACK dstemr workspace query failed (info %d)", info);
    lwork = (int)wq, liwork = iwq;
    if (!(work = malloc((size_t)lwork * sizeof *work)) || !(iwork = malloc((size_t)liwork * sizeof *iwork)) ||
        !(isuppz = malloc(2 * (size_t)k * sizeof *isuppz))) {
        rc = BCMS_ENOMEM;
        goto out;
    }
    dstemr_("V", "I", &n, d, e, &vl, &vu, &il, &iu, &m, w, Z, &n, &k, isuppz, &tryrac, work, &lwork, iwork, &liwork,
            &info, 1, 1);
    if (info || m != k) rc = bcms_err(BCMS_EINVAL, "LAPACK dstemr failed (info %d, %d of %d eigenvalues)", info, m, k);
out:
    free(work), free(iwork), free(isuppz);
    return rc;
}

int st_eig_top(uint32_t n, double *A, uint32_t k, double *val, double *vec, int threads)
{
    const int N = (int)n, K = (int)k;
    double *d = NULL, *e = NULL, *tau = NULL, *w = NULL, *Z = NULL;
    int rc = BCMS_ENOMEM;
    if (k < 1 || k > n || n > EIGT_NMAX) return bcms_err(BCMS_EINVAL, "eigenproblem: %u of %u", k, n);
    const char *route = getenv("BCMS_EIG_TOP");
    if (route && strcmp(route, "krylov") && strcmp(route, "dense"))
        return bcms_err(BCMS_EINVAL, "BCMS_EIG_TOP=%s: dense or krylov", route);
    if (route ? !strcmp(route, "krylov") : n >= ST_KRYLOV_MIN_N) {
        int steps = 0;
        const double t0 = omp_get_wtime();
        rc = st_eig_top_krylov(n, A, k, val, vec, threads, &steps);
        bcms_log(BCMS_LOG_DEBUG, "top %u eigenpairs of %u x %u by block Lanczos: %s after %d steps, %.2f s", k, n, n,
                 rc == 0 ? "converged" : rc == ST_KRYLOV_NOCONV ? "not reached (dense solver)" : "failed", steps,
                 omp_get_wtime() - t0);
        if (rc != ST_KRYLOV_NOCONV) return rc;
        rc = BCMS_ENOMEM;
    }
    if (!(d = malloc((size_t)n * sizeof *d)) || !(e = malloc((size_t)n * sizeof *e)) ||
        !(tau = malloc((size_t)n * sizeof *tau)) || !(w = malloc((size_t)n * sizeof *w)) ||
        !(Z = malloc((size_t)n * k * sizeof *Z)))
        goto out;
    if ((rc = eigt_tridiag(N, A, d, e, tau, threads)) || (rc = eigt_tri_some(N, d, e, N - K + 1, N, w, Z)) ||
        (rc = st_eigt_apply_q(N, A, tau, Z, K, threads)))
        goto out;
    for (uint32_t j = 0; j < k; j++) { /* ascending -> descending, column-major -> row-major n x k */
        const uint32_t s = k - 1 - j;
        val[j] = w[s];
        for (uint32_t i = 0; i < n; i++) vec[(size_t)i * k + j] = Z[(size_t)s * n + i];
    }
out:
    free(d), free(e), free(tau), free(w), free(Z);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "eigendecomposition of %u x %u", n, n) : rc;
}

/* eigen.c: time of the LMM's and pca's symmetric eigendecomposition (not a test). bcms,
 * GPL-3.0-or-later. benchmarks/eigen.sh builds and runs it.
 *
 * Run: eigen N MODE [THREADS]; MODE lapack (LAPACK dsyevd on one OpenBLAS thread: bcms' path before
 * eig_tiled.c), lapack-mt (dsyevd on THREADS OpenBLAS threads: not bcms' rule, other bits at other
 * thread counts; for reference), tiled (st_eig_all, eig_tiled.c, on THREADS OpenMP threads) or top10
 * (st_eig_top, the 10 largest, as pca). The matrix is GRM-like: 1 on the diagonal plus symmetric noise
 * of a Marchenko-Pastur-like spread and five population axes, so that the tridiagonal eigenproblem
 * deflates as little as a real GRM's. Prints one line: wall and CPU seconds of the call, the largest
 * eigenvalue and a hash of the eigenvalues (equal hashes: equal bits). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "structure_internal.h"

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t, size_t);
extern void openblas_set_num_threads(int) __attribute__((weak));

static uint64_t rs = 0x2545F4914F6CDD1DULL;
static double unif(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return (double)(rs >> 11) * 0x1.0p-53;
}

static double clock_of(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void grm_like(int n, double *A)
{
    double u[5][64];
    const double s = 1.0 / (2 * __builtin_sqrt((double)n));
    for (int k = 0; k < 5; k++)
        for (int g = 0; g < 64; g++) u[k][g] = unif() - 0.5;
    for (int j = 0; j < n; j++)
        for (int i = j; i < n; i++) {
            double v = i == j ? 1 : s * (2 * unif() - 1) * 1.7320508;
            for (int k = 0; k < 5; k++) v += 0.2 * u[k][i % 64] * u[k][j % 64];
            A[(size_t)j * n + i] = A[(size_t)i * n + j] = v;
        }
}

static int run_dsyevd(int n, double *A, double *w)
{
    int lwork = -1, liwork = -1, iwq = 0, info = 0;
    double wq = 0;
    dsyevd_("V", "L", &n, A, &n, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
    lwork = (int)wq, liwork = iwq;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) return -1;
    dsyevd_("V", "L", &n, A, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work), free(iwork);
    return info;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: eigen N lapack|lapack-mt|tiled|top10 [THREADS]\n");
        return 2;
    }
    const int n = atoi(argv[1]), th = argc > 3 ? atoi(argv[3]) : 1;
    const char *mode = argv[2];
    double *A = malloc((size_t)n * n * sizeof *A), *w = malloc((size_t)n * sizeof *w), *vec = NULL;
    int rc, nw = n;
    if (!A || !w || n < 1 || th < 1) return 2;
    grm_like(n, A);
    st_blas_serial();
    if (!strcmp(mode, "lapack-mt") && openblas_set_num_threads) openblas_set_num_threads(th);
    const double t0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
    if (!strncmp(mode, "lapack", 6)) {
        rc = run_dsyevd(n, A, w);
    } else if (!strcmp(mode, "tiled")) {
        rc = st_eig_all((uint32_t)n, A, w, th);
    } else {
        nw = n < 10 ? n : 10;
        if (!(vec = malloc((size_t)n * nw * sizeof *vec))) return 2;
        rc = st_eig_top((uint32_t)n, A, (uint32_t)nw, w, vec, th);
    }
    const double t1 = clock_of(CLOCK_MONOTONIC), c1 = clock_of(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t h = 1469598103934665603ULL;
    const unsigned char *p = (const unsigned char *)w;
    for (size_t i = 0; i < (size_t)nw * sizeof *w; i++) h = (h ^ p[i]) * 1099511628211ULL;
    printf("n %d mode %s threads %d rc %d wall %.3f cpu %.3f top %.9g hash %016llx\n", n, mode, th, rc, t1 - t0,
           c1 - c0, !strcmp(mode, "top10") ? w[0] : w[n - 1], (unsigned long long)h);
    free(A), free(w), free(vec);
    return rc != 0;
}

/* linalg.c: the LAPACK calls of queries/structure (symmetric eigenproblems) and small helpers.
 * GPL-3.0-or-later. LAPACK comes with OpenBLAS (Debian's libopenblas carries it) or liblapack; the
 * Fortran interface is declared here (gfortran's hidden string lengths included). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "err.h"
#include "structure_internal.h"

extern void dsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *lda,
                    const double *vl, const double *vu, const int *il, const int *iu, const double *abstol, int *m,
                    double *w, double *z, const int *ldz, int *isuppz, double *work, const int *lwork, int *iwork,
                    const int *liwork, int *info, size_t, size_t, size_t);
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t, size_t);
/* OpenBLAS only; absent with another BLAS (weak: then NULL). */
extern void openblas_set_num_threads(int) __attribute__((weak));

void st_blas_serial(void)
{
    if (openblas_set_num_threads) openblas_set_num_threads(1);
}

int st_eig_top(uint32_t n, double *A, uint32_t k, double *val, double *vec)
{
    int N = (int)n, il = (int)(n - k + 1), iu = (int)n, m = 0, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double vl = 0, vu = 0, abstol = 0, wq = 0, *w = NULL, *z = NULL, *work = NULL;
    int *isuppz = NULL, *iwork = NULL, rc = BCMS_ENOMEM;
    if (k < 1 || k > n || n > 2000000000u) return bcms_err(BCMS_EINVAL, "eigenproblem: %u of %u", k, n);
    dsyevr_("V", "I", "L", &N, A, &N, &vl, &vu, &il, &iu, &abstol, &m, NULL, NULL, &N, NULL, &wq, &lwork, &iwq,
            &liwork, &info, 1, 1, 1);
    if (info) return bcms_err(BCMS_EINVAL, "LAPACK dsyevr workspace query failed (info %d)", info);
    lwork = (int)wq, liwork = iwq;
    if (!(w = malloc((size_t)n * sizeof *w)) || !(z = malloc((size_t)n * k * sizeof *z)) ||
        !(isuppz = malloc(2 * (size_t)k * sizeof *isuppz)) || !(work = malloc((size_t)lwork * sizeof *work)) ||
        !(iwork = malloc((size_t)liwork * sizeof *iwork)))
        goto out;
    dsyevr_("V", "I", "L", &N, A, &N, &vl, &vu, &il, &iu, &abstol, &m, w, z, &N, isuppz, work, &lwork, iwork,
            &liwork, &info, 1, 1, 1);
    if (info || m != (int)k) {
        rc = bcms_err(BCMS_EINVAL, "LAPACK dsyevr failed (info %d, %d of %u eigenvalues)", info, m, k);
        goto out;
    }
    /* ascending -> descending; column j of z (column-major) is eigenvector j */
    for (uint32_t j = 0; j < k; j++) {
        uint32_t s = k - 1 - j;
        val[j] = w[s];
        for (uint32_t i = 0; i < n; i++) vec[(size_t)i * k + j] = z[(size_t)s * n + i];
    }
    rc = 0;
out:
    free(w), free(z), free(isuppz), free(work), free(iwork);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "eigendecomposition of %u x %u", n, n) : rc;
}

int st_eig_all(uint32_t n, double *A, double *val)
{
    int N = (int)n, info = 0, lwork = -1, liwork = -1, iwq = 0;
    double wq = 0, *work = NULL;
    int *iwork = NULL;
    dsyevd_("V", "L", &N, A, &N, val, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
    if (info) return bcms_err(BCMS_EINVAL, "LAPACK dsyevd workspace query failed (info %d)", info);
    lwork = (int)wq, liwork = iwq;
    if (!(work = malloc((size_t)lwork * sizeof *work)) || !(iwork = malloc((size_t)liwork * sizeof *iwork))) {
        free(work);
        return bcms_err(BCMS_ENOMEM, "eigendecomposition of %u x %u", n, n);
    }
    dsyevd_("V", "L", &N, A, &N, val, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work), free(iwork);
    return info ? bcms_err(BCMS_EINVAL, "LAPACK dsyevd failed (info %d)", info) : 0;
}

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

void st_gram_add(double *T, const double *Z, uint32_t n, uint32_t rows, int threads)
{
    const uint32_t nt = (n + ST_TILE - 1) / ST_TILE, ntask = nt * (nt + 1) / 2;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (uint32_t t = 0; t < ntask; t++) {
        uint32_t I = 0, rem = t;
        while (rem >= nt - I) rem -= nt - I, I++;
        uint32_t J = I + rem, i0 = I * ST_TILE, j0 = J * ST_TILE;
        uint32_t ni = n - i0 < ST_TILE ? n - i0 : ST_TILE, nj = n - j0 < ST_TILE ? n - j0 : ST_TILE;
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)ni, (int)nj, (int)rows, 1.0, Z + i0, (int)n, Z + j0,
                    (int)n, 1.0, T + (size_t)i0 * n + j0, (int)n);
    }
}

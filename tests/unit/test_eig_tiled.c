/* test_eig_tiled.c: the tiled symmetric eigendecomposition (st_eig_all, and st_eig_top's k largest,
 * eig_tiled.c) against LAPACK dsyevd: eigenvalues within 1e-10 of the largest, residual ||A U - U diag(w)|| and
 * orthogonality ||U'U - I|| as small as LAPACK's own, and the same bytes (values and vectors) at 1, 2
 * and 3 OpenMP threads. Sizes below, across and above the tiles (1, 2, a few, not multiples of them),
 * on three kinds of matrix: a centred GRM (rank-deficient: a zero eigenvalue, as the LMM sees it), a
 * dense random one, and one with clusters of equal eigenvalues. The block Lanczos route of st_eig_top
 * (eig_krylov.c, st_eig_top_krylov) on the same matrices: when it converges, the k largest pairs within
 * 1e-10 of dsyevd's (eigenvalues, residuals, orthogonality) and the same bytes at 1, 2 and 3 threads;
 * when it does not, ST_KRYLOV_NOCONV with A's lower triangle untouched (the dense route reads it). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "err.h"
#include "structure_internal.h"

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
                    double *work, const int *lwork, int *iwork, const int *liwork, int *info, size_t, size_t);

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static double unif(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1.0p-53;
}

/* kind 0: Z'Z/m of m = n/2 + 1 rows of genotype-like codes, then centred (P K P, P = I - 11'/n);
 * 3: the same with the samples in 12 populations of their own allele frequencies (11 eigenvalues
 * above the noise's, as a structured cohort's GRM has);
 * 1: uniform(-1, 1) entries; 2: Q diag Q' with eigenvalues 1, 2, 3 repeated and Q a product of
 * three reflectors. Full, symmetric, row-major = column-major. */
static void make(int kind, int n, double *A)
{
    if (kind == 0 || kind == 3) {
        const int m = n / 2 + 1;
        double *Z = malloc((size_t)m * n * sizeof *Z), *r = malloc((size_t)n * sizeof *r), g = 0;
        if (!Z || !r) exit(2);
        for (int v = 0; v < m; v++) {
            double p = 0.05 + 0.45 * unif();
            double pg[12];
            for (int g = 0; g < 12; g++) pg[g] = kind == 3 ? fmin(0.95, fmax(0.05, p + 0.2 * (unif() - 0.5))) : p;
            for (int i = 0; i < n; i++) Z[(size_t)v * n + i] = (unif() < pg[i % 12]) + (unif() < pg[i % 12]) - 2 * p;
        }
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, m, 1.0 / m, Z, n, Z, n, 0.0, A, n);
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += A[(size_t)i * n + j];
            r[i] = s / n, g += s;
        }
        g /= (double)n * n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) A[(size_t)i * n + j] += g - r[i] - r[j];
        for (int i = 0; i < n; i++) /* exactly symmetric */
            for (int j = 0; j < i; j++) A[(size_t)i * n + j] = A[(size_t)j * n + i];
        free(Z), free(r);
    } else if (kind == 1) {
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) A[(size_t)i * n + j] = A[(size_t)j * n + i] = 2 * unif() - 1;
    } else {
        memset(A, 0, (size_t)n * n * sizeof *A);
        for (int i = 0; i < n; i++) A[(size_t)i * n + i] = 1 + i % 3;
        double *v = malloc((size_t)n * sizeof *v), *y = malloc((size_t)n * sizeof *y);
        if (!v || !y) exit(2);
        for (int h = 0; h < 3; h++) { /* A <- H A H, H = I - 2 v v' / v'v */
            double vv = 0, c = 0;
            for (int i = 0; i < n; i++) v[i] = unif() - 0.5, vv += v[i] * v[i];
            for (int i = 0; i < n; i++) v[i] /= sqrt(vv);
            cblas_dsymv(CblasRowMajor, CblasUpper, n, 1.0, A, n, v, 1, 0.0, y, 1);
            for (int i = 0; i < n; i++) c += v[i] * y[i];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    A[(size_t)i * n + j] += -2 * v[i] * y[j] - 2 * y[i] * v[j] + 4 * c * v[i] * v[j];
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) A[(size_t)i * n + j] = A[(size_t)j * n + i];
        free(v), free(y);
    }
}

static int ref_dsyevd(int n, double *A, double *w)
{
    int lwork = -1, liwork = -1, iwq = 0, info = 0;
    double wq = 0;
    dsyevd_("V", "L", &n, A, &n, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
    lwork = (int)wq, liwork = iwq;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) exit(2);
    dsyevd_("V", "L", &n, A, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work), free(iwork);
    return info;
}

/* max |A U - U diag(w)| / max|w| and max |U'U - I|, U column-major n x n (or its first k columns). */
static void quality(int n, const double *A, const double *U, const double *w, int k, double *res, double *orth)
{
    double *R = malloc((size_t)n * k * sizeof *R), *O = malloc((size_t)k * k * sizeof *O), top = 0;
    if (!R || !O) exit(2);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, n, k, n, 1.0, A, n, U, n, 0.0, R, n);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, k, k, n, 1.0, U, n, U, n, 0.0, O, k);
    for (int j = 0; j < k; j++) top = fmax(top, fabs(w[j]));
    *res = *orth = 0;
    for (int j = 0; j < k; j++)
        for (int i = 0; i < n; i++) *res = fmax(*res, fabs(R[(size_t)j * n + i] - w[j] * U[(size_t)j * n + i]));
    *res /= top > 0 ? top : 1;
    for (int j = 0; j < k; j++)
        for (int i = 0; i < k; i++) *orth = fmax(*orth, fabs(O[(size_t)j * k + i] - (i == j)));
    free(R), free(O);
}

static void check_all(int kind, int n)
{
    const size_t nn = (size_t)n * n;
    double *A = malloc(nn * sizeof *A), *R = malloc(nn * sizeof *R), *U[3], w[3][1200], wr[1200];
    if (!A || !R || n > 1200) exit(2);
    make(kind, n, A);
    memcpy(R, A, nn * sizeof *R);
    CHECK(ref_dsyevd(n, R, wr) == 0);
    for (int t = 0; t < 3; t++) {
        if (!(U[t] = malloc(nn * sizeof *U[t]))) exit(2);
        memcpy(U[t], A, nn * sizeof *A);
        CHECK(st_eig_all((uint32_t)n, U[t], w[t], t + 1) == 0);
    }
    double top = fmax(fabs(wr[0]), fabs(wr[n - 1])), dw = 0, res, orth, rres, rorth;
    for (int i = 0; i < n; i++) dw = fmax(dw, fabs(w[0][i] - wr[i]));
    quality(n, A, U[0], w[0], n, &res, &orth);
    quality(n, A, R, wr, n, &rres, &rorth);
    const double tol = 20 * (n + 10) * DBL_EPSILON;
    printf("kind %d n %4d: |w - w_lapack| %.1e, residual %.1e (lapack %.1e), orthogonality %.1e (lapack %.1e)\n", kind,
           n, dw / (top > 0 ? top : 1), res, rres, orth, rorth);
    CHECK(dw <= 1e-10 * (top > 0 ? top : 1));
    CHECK(res <= fmax(tol, 10 * rres));
    CHECK(orth <= fmax(tol, 10 * rorth));
    for (int t = 1; t < 3; t++) {
        CHECK(!memcmp(w[0], w[t], (size_t)n * sizeof **w));
        CHECK(!memcmp(U[0], U[t], nn * sizeof *A));
    }
    for (int t = 0; t < 3; t++) free(U[t]);
    free(A), free(R);
}

/* The k pairs (val descending, vec row-major n x k, at 1, 2 and 3 threads) against dsyevd's
 * ascending wr: eigenvalues within 1e-10 of the largest, residual and orthogonality within tol, the
 * same bytes at every thread count. */
static void check_pairs(const char *what, int kind, int n, int k, const double *A, const double *wr,
                        double val[3][16], double *vec[3], double tol)
{
    double *U = calloc((size_t)n * k, sizeof *U), wd[16] = {0};
    double top = fmax(fabs(wr[0]), fabs(wr[n - 1])), dw = 0, res, orth;
    if (!U) exit(2);
    for (int j = 0; j < k; j++) {
        dw = fmax(dw, fabs(val[0][j] - wr[n - 1 - j]));
        if (j) CHECK(val[0][j] <= val[0][j - 1]);
        for (int i = 0; i < n; i++) U[(size_t)j * n + i] = vec[0][(size_t)i * k + j];
        wd[j] = val[0][j];
    }
    quality(n, A, U, wd, k, &res, &orth);
    printf("%s top %2d of kind %d n %4d: |w - w_lapack| %.1e, residual %.1e, orthogonality %.1e\n", what, k, kind, n,
           dw / (top > 0 ? top : 1), res, orth);
    CHECK(dw <= 1e-10 * (top > 0 ? top : 1));
    CHECK(res <= tol);
    CHECK(orth <= tol);
    for (int t = 1; t < 3; t++) {
        CHECK(!memcmp(val[0], val[t], (size_t)k * sizeof **val));
        CHECK(!memcmp(vec[0], vec[t], (size_t)n * k * sizeof *A));
    }
    free(U);
}

/* st_eig_top: the k largest, descending, as dsyevd's last k. */
/* The matrix of a top-k check (kind, n) in A, a work copy B, and dsyevd's eigenvalues of it in wr. */
static void top_setup(int kind, int n, int k, double **A, double **B, double **wr)
{
    const size_t nn = (size_t)n * n;
    double *R = malloc(nn * sizeof *R);
    *A = malloc(nn * sizeof **A), *B = malloc(nn * sizeof **B), *wr = malloc(n * sizeof **wr);
    if (!*A || !R || !*B || !*wr || k > 16) exit(2);
    make(kind, n, *A);
    memcpy(R, *A, nn * sizeof *R);
    CHECK(ref_dsyevd(n, R, *wr) == 0);
    free(R);
}

static void check_top(int kind, int n, int k)
{
    const size_t nn = (size_t)n * n;
    double *A, *B, *wr, *vec[3], val[3][16];
    top_setup(kind, n, k, &A, &B, &wr);
    for (int t = 0; t < 3; t++) {
        if (!(vec[t] = malloc((size_t)n * k * sizeof *vec[t]))) exit(2);
        memcpy(B, A, nn * sizeof *A);
        CHECK(st_eig_top((uint32_t)n, B, (uint32_t)k, val[t], vec[t], t + 1) == 0);
    }
    check_pairs("", kind, n, k, A, wr, val, vec, 20 * (n + 10) * DBL_EPSILON);
    for (int t = 0; t < 3; t++) free(vec[t]);
    free(A), free(B), free(wr);
}

/* st_eig_top_krylov against dsyevd; must 1: it has to converge (the GRMs, where pca uses it); -1: it
 * has to give up before its basis reaches the cap (min(n / 3, 4096) columns of blocks of max(2k, 16)),
 * its rate showing it would not get there. */
static void check_krylov(int kind, int n, int k, int must)
{
    const size_t nn = (size_t)n * n;
    double *A, *B, *wr, *vec[3], val[3][16];
    int rc[3], steps = 0;
    top_setup(kind, n, k, &A, &B, &wr);
    for (int t = 0; t < 3; t++) {
        if (!(vec[t] = malloc((size_t)n * k * sizeof *vec[t]))) exit(2);
        memcpy(B, A, nn * sizeof *A);
        for (int i = 0; i < n; i++) /* only the lower triangle is read */
            for (int j = i + 1; j < n; j++) B[(size_t)j * n + i] = NAN;
        rc[t] = st_eig_top_krylov((uint32_t)n, B, (uint32_t)k, val[t], vec[t], t + 1, &steps);
        int lower_kept = 1;
        for (int j = 0; j < n; j++)
            for (int i = j; i < n; i++) lower_kept &= B[(size_t)j * n + i] == A[(size_t)j * n + i];
        CHECK(lower_kept);
    }
    CHECK(rc[0] == 0 || rc[0] == ST_KRYLOV_NOCONV);
    CHECK(rc[1] == rc[0] && rc[2] == rc[0]);
    if (must > 0) CHECK(rc[0] == 0);
    if (must < 0) {
        const int p = 2 * k < 16 ? 16 : 2 * k, cap = n / 3 < 4096 ? n / 3 : 4096;
        CHECK(rc[0] == ST_KRYLOV_NOCONV && steps < (cap - cap % p) / p);
    }
    printf("krylov top %2d of kind %d n %4d: %s after %d steps\n", k, kind, n, rc[0] ? "not reached" : "converged",
           steps);
    if (rc[0] == 0) check_pairs("krylov", kind, n, k, A, wr, val, vec, 1e-10);
    for (int t = 0; t < 3; t++) free(vec[t]);
    free(A), free(B), free(wr);
}

static void log_stderr(int level, const char *msg, void *ud)
{
    (void)level, (void)ud;
    fprintf(stderr, "%s\n", msg);
}

int main(void)
{
    if (getenv("BCMS_DEBUG")) bcms_log_set(log_stderr, NULL, BCMS_LOG_DEBUG);
    static const int sizes[] = {1, 2, 3, 17, 100, 257, 300, 613, 1100};
    st_blas_serial();
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int kind = 0; kind < (sizes[s] > 1000 ? 1 : 3); kind++) { /* the largest: the GRM only */
            check_all(kind, sizes[s]);
            check_top(kind, sizes[s], sizes[s] < 10 ? sizes[s] : 10);
        }
    check_krylov(0, 100, 10, 0); /* the basis' cap (n / 3 columns) is below two blocks: not reached */
    for (int kind = 0; kind < 4; kind++) check_krylov(kind, 613, 10, kind == 2);
    check_krylov(3, 1100, 10, 0);
    check_krylov(3, 1100, 3, 1);
    check_krylov(2, 1100, 16, 1); /* the top eigenvalue 367 times over: any orthonormal vectors of its space */
    check_krylov(0, 2100, 16, -1); /* noise alone: the top 16 in the noise's edge, their gaps ~1e-3 (21 steps to the cap) */
    check_krylov(3, 2100, 10, 1);
    if (fails) fprintf(stderr, "%d checks failed\n", fails);
    return fails != 0;
}

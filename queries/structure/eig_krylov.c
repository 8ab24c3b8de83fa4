/* eig_krylov.c: the k largest eigenpairs of a large symmetric matrix by block Lanczos, for exact
 * pca on large cohorts. GPL-3.0-or-later.
 *
 * The dense route (eig_tiled.c) reduces the whole n x n GRM to tridiagonal form: 4/3 n^3 flops, half
 * of them matrix-vector products that read the trailing matrix once per column, so at 10,000 samples
 * it is bound by memory bandwidth (about a minute on two cores), whereas pca needs only k = 10 pairs.
 * Here the k largest pairs come from a block Krylov space of A: blocks of p = 2k vectors (at least
 * 16), each step one pass over A (a p-column product in fixed row tiles), full re-orthogonalisation
 * against every earlier block (classical Gram-Schmidt, twice), and the Rayleigh-Ritz pairs of the
 * block tridiagonal T = Q'AQ. A pair is taken when its residual bound |B_j y_last| is below
 * 1e-12 of the largest eigenvalue; the result is then checked on A itself: every ||A v - theta v||
 * must be below 1e-10 of the largest eigenvalue and the vectors orthonormal to 1e-10, or the caller
 * falls back to the dense route (as it does when the basis would outgrow its cap). So the pairs are
 * those of the dense solver to ~1e-10 (eigenvectors: that over the gap to the next eigenvalue), the
 * accuracy an exact PCA is read at.
 *
 * Bits: the start block comes from a fixed seed, every product is one single-threaded BLAS call on a
 * tile of fixed shape and the sums meet in a fixed order, so the result does not depend on the thread
 * count (only the schedule does). */
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>

#include "err.h"
#include "lapack.h"
#include "structure_internal.h"

#define KRY_TILE 512     /* rows of a product tile */
#define KRY_TOL 1e-12    /* residual bound of a taken pair, relative to the largest eigenvalue */
#define KRY_CHECK 1e-10  /* residual and orthogonality of the result, checked on A */
#define KRY_MAXFRAC 3    /* the basis holds at most n / KRY_MAXFRAC columns */
#define KRY_MAXCOLS 4096 /* and at most this many */

/* Y = A X for the full symmetric n x n A (column-major) and X n x p, in fixed row tiles. */
static void kry_product(int n, const double *A, const double *X, int p, double *Y, int threads)
{
    const int nt = (n + KRY_TILE - 1) / KRY_TILE;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int t = 0; t < nt; t++) {
        const int r0 = t * KRY_TILE, rows = n - r0 < KRY_TILE ? n - r0 : KRY_TILE;
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, p, n, 1.0, A + r0, n, X, n, 0.0, Y + r0, n);
    }
}

/* The lower triangle of A copied onto its upper one, in 64 x 64 blocks of columns. */
static void kry_mirror(int n, double *A, int threads)
{
    const int nb = (n + 63) / 64;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int b = 0; b < nb; b++) {
        const int c0 = b * 64, c1 = c0 + 64 < n ? c0 + 64 : n;
        for (int r0 = 0; r0 < c1; r0 += 64) {
            const int r1 = r0 + 64 < c1 ? r0 + 64 : c1;
            for (int c = c0; c < c1; c++)
                for (int r = r0; r < r1 && r < c; r++) A[(size_t)c * n + r] = A[(size_t)r * n + c];
        }
    }
}

/* W (n x p, column-major) <- its orthonormal factor, R (p x p, column-major, upper) the triangular
 * one: modified Gram-Schmidt, twice. The smallest |R_ii| relative to the largest column norm in *rmin. */
static void kry_qr(int n, int p, double *W, double *R, double *rmin)
{
    double big = 0, small = HUGE_VAL;
    memset(R, 0, (size_t)p * p * sizeof *R);
    for (int c = 0; c < p; c++) {
        double *w = W + (size_t)c * n;
        const double n0 = cblas_dnrm2(n, w, 1);
        if (n0 > big) big = n0;
        for (int pass = 0; pass < 2; pass++)
            for (int d = 0; d < c; d++) {
                const double h = cblas_ddot(n, W + (size_t)d * n, 1, w, 1);
                cblas_daxpy(n, -h, W + (size_t)d * n, 1, w, 1);
                R[(size_t)c * p + d] += h;
            }
        const double s = cblas_dnrm2(n, w, 1);
        R[(size_t)c * p + c] = s;
        if (s < small) small = s;
        if (s > 0) cblas_dscal(n, 1 / s, w, 1);
    }
    *rmin = big > 0 ? small / big : 0;
}

/* A fixed pseudo-random start (splitmix64 of the entry's index), uniform on (-1/2, 1/2). */
static void kry_start(int n, int p, double *X)
{
    for (size_t i = 0; i < (size_t)n * p; i++) {
        uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        X[i] = (double)(z >> 11) / 9007199254740992.0 - 0.5;
    }
}

/* Every eigenpair of the c x c symmetric S (lower triangle; destroyed, eigenvectors on return),
 * ascending, by LAPACK dsyevd. */
static int kry_small_eig(int c, double *S, double *w)
{
    int lwork = -1, liwork = -1, iwq = 0, info = 0, *iwork = NULL;
    double wq = 0, *work = NULL;
    dsyevd_("V", "L", &c, S, &c, w, &wq, &lwork, &iwq, &liwork, &info, 1, 1);
    if (info) return BCMS_EINVAL;
    lwork = (int)wq, liwork = iwq;
    if (!(work = malloc((size_t)lwork * sizeof *work)) || !(iwork = malloc((size_t)liwork * sizeof *iwork))) {
        free(work);
        return BCMS_ENOMEM;
    }
    dsyevd_("V", "L", &c, S, &c, w, work, &lwork, iwork, &liwork, &info, 1, 1);
    free(work), free(iwork);
    return info ? BCMS_EINVAL : 0;
}

/* Would the attempt end at its cap? At a Rayleigh-Ritz check after step j with relative bound r, from
 * the check before (step *pj, bound *pr): the steps still needed at the rate of the last interval
 * (decades per step). The rate grows as the space takes in the top pairs (every GRM and test matrix
 * here: 0.2-0.5 decades a step at first, 0.5-1 later), so this overestimates; the attempt is given up
 * only from the third check (step 9) and when the estimate passes twice the cap, where it would have
 * failed anyway: the dense route then runs without the rest of the attempt's cost (at 10,000 samples
 * an attempt run to its cap took 31 s, the dense route about a minute). */
static int kry_hopeless(int j, double r, int jmax, int *pj, double *pr)
{
    const int prev = *pj;
    const double rate = prev && r > 0 && *pr > 0 ? (log10(*pr) - log10(r)) / (j - prev) : 0;
    *pj = j, *pr = r;
    if (j < 9 || r <= 0) return 0;
    return rate <= 0 || j + (log10(r) - log10(KRY_TOL)) / rate > 2.0 * jmax;
}

int st_eig_top_krylov(uint32_t n, double *A, uint32_t k, double *val, double *vec, int threads, int *steps)
{
    const int N = (int)n, K = (int)k;
    int p = 2 * K < 16 ? 16 : 2 * K;
    if (p > N / KRY_MAXFRAC) return ST_KRYLOV_NOCONV;
    int cmax = N / KRY_MAXFRAC < KRY_MAXCOLS ? N / KRY_MAXFRAC : KRY_MAXCOLS;
    cmax -= cmax % p;
    const int jmax = cmax / p;
    double *Q = malloc((size_t)N * cmax * sizeof *Q), *W = malloc((size_t)N * p * sizeof *W),
           *C = malloc((size_t)cmax * p * sizeof *C), *T = calloc((size_t)cmax * cmax, sizeof *T),
           *S = malloc((size_t)cmax * cmax * sizeof *S), *th = malloc((size_t)cmax * sizeof *th),
           *B = malloc((size_t)p * p * sizeof *B), *V = NULL, *AV = NULL;
    int rc = BCMS_ENOMEM, done = 0, next = 4, c = 0, pj = 0;
    double rmin = 0, pr = 0;
    *steps = 0;
    if (!Q || !W || !C || !T || !S || !th || !B) goto out;
    st_blas_serial();
    kry_mirror(N, A, threads);
    kry_start(N, p, Q);
    kry_qr(N, p, Q, B, &rmin);
    for (int j = 0; j < jmax && !done; j++) {
        double *Qj = Q + (size_t)j * p * N;
        c = (j + 1) * p; /* basis columns so far */
        kry_product(N, A, Qj, p, W, threads);
        /* full re-orthogonalisation, twice; the projections on Q_j are T's diagonal block */
        for (int pass = 0; pass < 2; pass++) {
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, c, p, N, 1.0, Q, N, W, N, 0.0, C, c);
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, N, p, c, -1.0, Q, N, C, c, 1.0, W, N);
            for (int a = 0; a < p; a++)
                for (int b = 0; b < p; b++) T[(size_t)(j * p + b) * cmax + j * p + a] += C[(size_t)b * c + j * p + a];
        }
        for (int a = 0; a < p; a++) /* the diagonal block symmetric */
            for (int b = 0; b < a; b++) {
                double *x = T + (size_t)(j * p + b) * cmax + j * p + a, *y = T + (size_t)(j * p + a) * cmax + j * p + b;
                *x = *y = (*x + *y) / 2;
            }
        kry_qr(N, p, W, B, &rmin); /* W = Q_{j+1} B_j */
        *steps = j + 1;
        /* Rayleigh-Ritz at steps 4, 6, 9, ... (x 1.5) and whenever the basis ends */
        const int last = j + 1 == jmax || rmin < 1e-10;
        if (j + 1 >= next || last) {
            next = (j + 1) * 3 / 2 > j + 2 ? (j + 1) * 3 / 2 : j + 2;
            for (int col = 0; col < c; col++) memcpy(S + (size_t)col * c, T + (size_t)col * cmax, (size_t)c * sizeof *S);
            if ((rc = kry_small_eig(c, S, th))) goto out;
            const double top = fabs(th[c - 1]) > fabs(th[0]) ? fabs(th[c - 1]) : fabs(th[0]);
            double worst = 0;
            for (int i = c - K; i < c; i++) { /* ||B_j y_last||, y_last the last p entries of Ritz vector i */
                double r2 = 0;
                for (int a = 0; a < p; a++) {
                    double s = 0;
                    for (int b = a; b < p; b++) s += B[(size_t)b * p + a] * S[(size_t)i * c + c - p + b];
                    r2 += s * s;
                }
                if (sqrt(r2) > worst) worst = sqrt(r2);
            }
            bcms_log(BCMS_LOG_DEBUG, "block Lanczos: %d steps, %d columns, largest residual bound %.3g of %.6g", j + 1,
                     c, worst, top);
            if (worst <= KRY_TOL * top) done = 1;
            else if (last) break;
            else if (kry_hopeless(j + 1, worst / top, jmax, &pj, &pr)) {
                bcms_log(BCMS_LOG_DEBUG, "block Lanczos: at this rate the bound would pass %g after more than %d steps, "
                         "twice the basis' cap: given up", KRY_TOL, 2 * jmax);
                break;
            }
        }
        if (!done && j + 1 < jmax) {
            memcpy(Q + (size_t)(j + 1) * p * N, W, (size_t)N * p * sizeof *W);
            for (int a = 0; a < p; a++) /* T's block below the diagonal: B_j (dsyevd reads the lower triangle) */
                for (int b = 0; b <= a; b++) T[(size_t)(j * p + a) * cmax + (j + 1) * p + b] = B[(size_t)a * p + b];
        }
    }
    rc = ST_KRYLOV_NOCONV;
    if (!done) goto out;
    /* the Ritz vectors V = Q Y_k (descending), checked on A */
    rc = BCMS_ENOMEM;
    if (!(V = malloc((size_t)N * K * sizeof *V)) || !(AV = malloc((size_t)N * K * sizeof *AV))) goto out;
    for (int j = 0; j < K; j++) memcpy(C + (size_t)j * c, S + (size_t)(c - 1 - j) * c, (size_t)c * sizeof *C);
    {
        const int nt = (N + KRY_TILE - 1) / KRY_TILE;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int t = 0; t < nt; t++) {
            const int r0 = t * KRY_TILE, rows = N - r0 < KRY_TILE ? N - r0 : KRY_TILE;
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, rows, K, c, 1.0, Q + r0, N, C, c, 0.0, V + r0, N);
        }
    }
    kry_product(N, A, V, K, AV, threads);
    const double top = fabs(th[c - 1]);
    double worst = 0, orth = 0;
    for (int j = 0; j < K; j++) {
        const double t = th[c - 1 - j];
        double r2 = 0;
        for (int i = 0; i < N; i++) {
            const double d = AV[(size_t)j * N + i] - t * V[(size_t)j * N + i];
            r2 += d * d;
        }
        if (sqrt(r2) > worst) worst = sqrt(r2);
        for (int l = 0; l <= j; l++) {
            const double d = cblas_ddot(N, V + (size_t)j * N, 1, V + (size_t)l * N, 1) - (l == j);
            if (fabs(d) > orth) orth = fabs(d);
        }
    }
    bcms_log(BCMS_LOG_DEBUG, "block Lanczos: %d of %u x %u: residual %.3g of %.6g, orthogonality %.3g", K, n, n, worst,
             top, orth);
    rc = ST_KRYLOV_NOCONV;
    if (!(worst <= KRY_CHECK * top) || !(orth <= KRY_CHECK)) goto out;
    for (int j = 0; j < K; j++) {
        val[j] = th[c - 1 - j];
        for (int i = 0; i < N; i++) vec[(size_t)i * K + j] = V[(size_t)j * N + i];
    }
    rc = 0;
out:
    free(Q), free(W), free(C), free(T), free(S), free(th), free(B), free(V), free(AV);
    return rc == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "block Lanczos on %u x %u", n, n) : rc;
}

/* blas_load.c: OpenBLAS, linked or opened on first use (blas_load.h). GPL-3.0-or-later.
 *
 * Debian's OpenBLAS carries kernels for every x86 generation (DYNAMIC_ARCH) and starts a thread pool
 * when it loads: linked into the executable, it cost every bcms command ~2.7 MB of resident memory
 * and ~3 ms, though only the structure commands call it (pca, grm, the mixed model, --loco-pred),
 * and most commands are short (freq of 10,000 variants at 1,000 samples takes 10 ms). Built with
 * BCMS_BLAS_DLOPEN (CMake: on when OpenBLAS is found) the executable does not link it: the BLAS and
 * LAPACK routines bcms calls are defined here, and the first call of any of them opens the library
 * (once, for every thread) and sets it to one thread. The same library and kernels run as when it
 * is linked, so the results are the same bits. GSL's own CBLAS calls go to libgslcblas (GSL's linear
 * algebra is not used; its distributions and root finders need no BLAS). */
#include <stddef.h>

#include "blas_load.h"
#include "structure_internal.h"

#ifdef BCMS_BLAS_DLOPEN
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <gsl/gsl_cblas.h>

#include "lapack.h"

#define BLAS_SYMS(X)                                                                                         \
    X(cblas_daxpy) X(cblas_ddot) X(cblas_dgemm) X(cblas_dgemv) X(cblas_dnrm2) X(cblas_dscal) X(cblas_dsymv)   \
    X(cblas_dsyr2k) X(cblas_dsyrk) X(dlarfb_) X(dlarfg_) X(dlarft_) X(dpotrf_) X(dpotrs_) X(dstedc_) X(dstemr_) \
    X(dsytd2_) X(dsyevd_)
#define BLAS_PTR(f) static __typeof__(f) *p_##f;
BLAS_SYMS(BLAS_PTR)
static void (*p_set_threads)(int);
static int (*p_get_threads)(void);
static char *(*p_corename)(void);
static int (*p_shutdown)(void);
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;
static int blas_loaded;

/* A library that cannot be opened is an installation without its runtime package: say which and
 * stop before any output is written (the structure commands open it before they compute). */
static void blas_open(void)
{
    void *h = dlopen(BCMS_OPENBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    const char *miss = NULL;
    if (!h) {
        fprintf(stderr, "bcms: cannot open %s, the BLAS and LAPACK of pca, grm and the mixed model: %s "
                "(Debian: apt-get install libopenblas0)\n", BCMS_OPENBLAS_SONAME, dlerror());
        exit(1);
    }
#define BLAS_SYM(f) if (!(p_##f = (__typeof__(p_##f))dlsym(h, #f)) && !miss) miss = #f;
    BLAS_SYMS(BLAS_SYM)
    if (miss) {
        fprintf(stderr, "bcms: %s has no %s: bcms needs OpenBLAS with its LAPACK\n", BCMS_OPENBLAS_SONAME, miss);
        exit(1);
    }
    p_set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    p_get_threads = (int (*)(void))dlsym(h, "openblas_get_num_threads");
    p_corename = (char *(*)(void))dlsym(h, "openblas_get_corename");
    p_shutdown = (int (*)(void))dlsym(h, "blas_thread_shutdown_");
    __atomic_store_n(&blas_loaded, 1, __ATOMIC_RELEASE);
    bcms_blas_single();
}

static inline void blas_need(void) { pthread_once(&blas_once, blas_open); }

const char *bcms_blas_corename(void)
{
    blas_need();
    return p_corename ? p_corename() : NULL;
}

void bcms_blas_single(void)
{
    if (!__atomic_load_n(&blas_loaded, __ATOMIC_ACQUIRE)) return;
    if (p_set_threads && (!p_get_threads || p_get_threads() != 1)) p_set_threads(1);
    if (p_shutdown) p_shutdown();
}

/* Only when not one thread already: Debian's pthreads OpenBLAS (0.3.21) restarts its spinning thread
 * pool inside openblas_set_num_threads. Opening the library here, before the parallel loops, keeps
 * its start out of their timing. */
void st_blas_serial(void)
{
    blas_need();
    if (p_get_threads && p_get_threads() == 1) return;
    if (p_set_threads) p_set_threads(1);
}

void cblas_daxpy(const int N, const double alpha, const double *X, const int incX, double *Y, const int incY)
{
    blas_need();
    p_cblas_daxpy(N, alpha, X, incX, Y, incY);
}

double cblas_ddot(const int N, const double *X, const int incX, const double *Y, const int incY)
{
    blas_need();
    return p_cblas_ddot(N, X, incX, Y, incY);
}

void cblas_dgemm(const enum CBLAS_ORDER Order, const enum CBLAS_TRANSPOSE TransA, const enum CBLAS_TRANSPOSE TransB,
                 const int M, const int N, const int K, const double alpha, const double *A, const int lda,
                 const double *B, const int ldb, const double beta, double *C, const int ldc)
{
    blas_need();
    p_cblas_dgemm(Order, TransA, TransB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_dgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE TransA, const int M, const int N,
                 const double alpha, const double *A, const int lda, const double *X, const int incX, const double beta,
                 double *Y, const int incY)
{
    blas_need();
    p_cblas_dgemv(order, TransA, M, N, alpha, A, lda, X, incX, beta, Y, incY);
}

double cblas_dnrm2(const int N, const double *X, const int incX)
{
    blas_need();
    return p_cblas_dnrm2(N, X, incX);
}

void cblas_dscal(const int N, const double alpha, double *X, const int incX)
{
    blas_need();
    p_cblas_dscal(N, alpha, X, incX);
}

void cblas_dsymv(const enum CBLAS_ORDER order, const enum CBLAS_UPLO Uplo, const int N, const double alpha,
                 const double *A, const int lda, const double *X, const int incX, const double beta, double *Y,
                 const int incY)
{
    blas_need();
    p_cblas_dsymv(order, Uplo, N, alpha, A, lda, X, incX, beta, Y, incY);
}

void cblas_dsyr2k(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE Trans,
                  const int N, const int K, const double alpha, const double *A, const int lda, const double *B,
                  const int ldb, const double beta, double *C, const int ldc)
{
    blas_need();
    p_cblas_dsyr2k(Order, Uplo, Trans, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void cblas_dsyrk(const enum CBLAS_ORDER Order, const enum CBLAS_UPLO Uplo, const enum CBLAS_TRANSPOSE Trans,
                 const int N, const int K, const double alpha, const double *A, const int lda, const double beta,
                 double *C, const int ldc)
{
    blas_need();
    p_cblas_dsyrk(Order, Uplo, Trans, N, K, alpha, A, lda, beta, C, ldc);
}

void dsytd2_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e, double *tau, int *info,
             size_t l1)
{
    blas_need();
    p_dsytd2_(uplo, n, a, lda, d, e, tau, info, l1);
}

void dlarfg_(const int *n, double *alpha, double *x, const int *incx, double *tau)
{
    blas_need();
    p_dlarfg_(n, alpha, x, incx, tau);
}

void dstedc_(const char *compz, const int *n, double *d, double *e, double *z, const int *ldz, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t l1)
{
    blas_need();
    p_dstedc_(compz, n, d, e, z, ldz, work, lwork, iwork, liwork, info, l1);
}

void dstemr_(const char *jobz, const char *range, const int *n, double *d, double *e, const double *vl,
             const double *vu, const int *il, const int *iu, int *m, double *w, double *z, const int *ldz,
             const int *nzc, int *isuppz, int *tryrac, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t l1, size_t l2)
{
    blas_need();
    p_dstemr_(jobz, range, n, d, e, vl, vu, il, iu, m, w, z, ldz, nzc, isuppz, tryrac, work, lwork, iwork, liwork,
              info, l1, l2);
}

void dlarft_(const char *direct, const char *storev, const int *n, const int *k, const double *v, const int *ldv,
             const double *tau, double *t, const int *ldt, size_t l1, size_t l2)
{
    blas_need();
    p_dlarft_(direct, storev, n, k, v, ldv, tau, t, ldt, l1, l2);
}

void dlarfb_(const char *side, const char *trans, const char *direct, const char *storev, const int *m, const int *n,
             const int *k, const double *v, const int *ldv, const double *t, const int *ldt, double *c, const int *ldc,
             double *work, const int *ldwork, size_t l1, size_t l2, size_t l3, size_t l4)
{
    blas_need();
    p_dlarfb_(side, trans, direct, storev, m, n, k, v, ldv, t, ldt, c, ldc, work, ldwork, l1, l2, l3, l4);
}

void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t l1)
{
    blas_need();
    p_dpotrf_(uplo, n, a, lda, info, l1);
}

void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t l1)
{
    blas_need();
    p_dpotrs_(uplo, n, nrhs, a, lda, b, ldb, info, l1);
}

void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t l1, size_t l2)
{
    blas_need();
    p_dsyevd_(jobz, uplo, n, a, lda, w, work, lwork, iwork, liwork, info, l1, l2);
}

#else /* OpenBLAS linked (or another BLAS: these are then NULL) */

extern char *openblas_get_corename(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));
extern void openblas_set_num_threads(int) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

const char *bcms_blas_corename(void) { return openblas_get_corename ? openblas_get_corename() : NULL; }

void bcms_blas_single(void)
{
    if (openblas_set_num_threads) openblas_set_num_threads(1);
    if (blas_thread_shutdown_) blas_thread_shutdown_();
}

void st_blas_serial(void)
{
    if (openblas_get_num_threads && openblas_get_num_threads() == 1) return;
    if (openblas_set_num_threads) openblas_set_num_threads(1);
}
#endif

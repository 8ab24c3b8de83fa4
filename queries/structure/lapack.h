/* lapack.h: the LAPACK routines of queries/structure, by their Fortran interface (gfortran's hidden
 * string lengths included). GPL-3.0-or-later. They come from OpenBLAS (which carries LAPACK) or
 * liblapack; with BCMS_BLAS_DLOPEN, from blas_load.c, which opens OpenBLAS on their first call. */
#ifndef BCMS_LAPACK_H
#define BCMS_LAPACK_H

#include <stddef.h>

void dsytd2_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e, double *tau, int *info,
             size_t);
void dlarfg_(const int *n, double *alpha, double *x, const int *incx, double *tau);
void dstedc_(const char *compz, const int *n, double *d, double *e, double *z, const int *ldz, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t);
void dstemr_(const char *jobz, const char *range, const int *n, double *d, double *e, const double *vl,
             const double *vu, const int *il, const int *iu, int *m, double *w, double *z, const int *ldz,
             const int *nzc, int *isuppz, int *tryrac, double *work, const int *lwork, int *iwork, const int *liwork,
             int *info, size_t, size_t);
void dlarft_(const char *direct, const char *storev, const int *n, const int *k, const double *v, const int *ldv,
             const double *tau, double *t, const int *ldt, size_t, size_t);
void dlarfb_(const char *side, const char *trans, const char *direct, const char *storev, const int *m, const int *n,
             const int *k, const double *v, const int *ldv, const double *t, const int *ldt, double *c, const int *ldc,
             double *work, const int *ldwork, size_t, size_t, size_t, size_t);
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
             const int *ldb, int *info, size_t);
/* the reference the tests and benchmarks/eigen.c compare eig_tiled with */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
             const int *lwork, int *iwork, const int *liwork, int *info, size_t, size_t);

#endif

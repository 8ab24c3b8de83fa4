/* blas_load.h: OpenBLAS' controls, whether it is linked or opened on first use (blas_load.c).
 * GPL-3.0-or-later. */
#ifndef BCMS_BLAS_LOAD_H
#define BCMS_BLAS_LOAD_H

/* The kernels OpenBLAS chose for this CPU ("Haswell", "Prescott", ...); NULL with another BLAS.
 * Opens OpenBLAS if it is not open yet. */
const char *bcms_blas_corename(void);

/* BLAS on one thread with OpenBLAS' idle thread pool stopped, if OpenBLAS is loaded: bcms runs its
 * own OpenMP threads over fixed tiles, and BLAS threads inside them would oversubscribe the cores.
 * Does not open OpenBLAS (opening it does this). */
void bcms_blas_single(void);

#endif

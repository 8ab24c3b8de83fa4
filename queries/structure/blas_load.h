/* blas_load.h: OpenBLAS' controls, whether it is linked or opened on first use (blas_load.c).
 * GPL-3.0-or-later. */
#ifndef BCMS_BLAS_LOAD_H
#define BCMS_BLAS_LOAD_H

/* The kernels OpenBLAS chose for this CPU ("Haswell", "Prescott", ...); NULL with another BLAS.
 * Opens OpenBLAS if it is not open yet. */
const char *bcms_blas_corename(void);

/* BLAS on one thread with OpenBLAS' idle thread pool stopped, if OpenBLAS is loaded: bcms runs its
 * own OpenMP threads over fixed tiles, and BLAS threads inside them would oversubscribe the cores.
 * A pthreads OpenBLAS starts its pool when it loads (and again in openblas_set_num_threads), and each
 * of its threads spins (sched_yield) ~0.1 s before it sleeps, taking a core from a short command;
 * the pool is never used, so it is stopped (OpenBLAS restarts it if a call ever needs it). Does not
 * open OpenBLAS (opening it does this). */
void bcms_blas_single(void);

#endif

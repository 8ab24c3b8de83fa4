/* glm_internal.h: helpers shared by linear.c and logistic.c; not part of the library contract. */
#ifndef BCMS_GLM_INTERNAL_H
#define BCMS_GLM_INTERNAL_H

#include "glm.h"

/* In-place Cholesky of the k x k symmetric positive definite a (column-major, lower triangle
 * used and overwritten by L). Returns 0, or -1 if a pivot is not positive. */
int glm_chol(double *a, int k);
/* Solve L z = b in place (b overwritten by z). */
void glm_trsv_lower(const double *l, int k, double *b);
/* Solve L' z = b in place. */
void glm_trsv_lower_t(const double *l, int k, double *b);
/* Fill NaN numbers and the error code. */
void glm_result_fail(glm_result_t *r, int err);

#endif

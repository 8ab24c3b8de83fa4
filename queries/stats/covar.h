/* covar.h: the covariate design matrix of the association models (bcms, GPL-3.0-or-later).
 *
 * A design holds n rows (samples already restricted to those with phenotype and all covariates
 * present) and k columns: the intercept first, then numeric covariates, then categorical covariates
 * expanded to k-1 indicator columns (reference = the first level in strcmp order, as R's factor()).
 * covar_design_qr() checks the design (a constant covariate, or one that is a linear combination of
 * earlier columns, is an error naming it) and factors it as C = Q R with Q orthonormal (n x k) and
 * R upper triangular: the models work in Q's coordinates, which are well conditioned whatever the
 * scale of the covariates (age in years, birth year), and map back through R when needed.
 *
 * Not thread-safe while being built; read-only (and shareable) afterwards. */
#ifndef BCMS_COVAR_H
#define BCMS_COVAR_H

#include <stddef.h>

typedef struct covar_design {
    int n;        /* rows (samples) */
    int k;        /* columns, intercept included */
    int cap;      /* allocated columns */
    double *x;    /* n x k, column-major: column j at x + (size_t)j*n; owned */
    char **names; /* k column names ("INTERCEPT", "AGE", "CENTRE=ctrB"); owned */
} covar_design_t;

/* Start a design of n rows holding the intercept column. Returns 0, BCMS_EINVAL or BCMS_ENOMEM. */
int covar_design_init(covar_design_t *d, int n);
void covar_design_free(covar_design_t *d);

/* Append a numeric covariate (n values, copied). A non-finite value is BCMS_EINPUT naming the
 * covariate and row: the caller drops such samples before building the design. */
int covar_design_add_numeric(covar_design_t *d, const char *name, const double *v);

/* Append a categorical covariate given one level string per row: adds one indicator column per
 * level except the reference (first level in strcmp order). NULL or "" is BCMS_EINPUT.
 * A covariate with a single level is BCMS_EINPUT (constant covariate). */
int covar_design_add_categorical(covar_design_t *d, const char *name, const char *const *levels);

/* Check and factor the design: q (n x k column-major) and r (k x k column-major, upper triangular)
 * are caller-allocated. Errors (BCMS_EINPUT, with a detail message): a constant covariate, a
 * covariate collinear with earlier columns (relative residual norm below 1e-8), more columns than
 * rows. */
int covar_design_qr(const covar_design_t *d, double *q, double *r);

#endif

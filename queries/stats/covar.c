/* covar.c: covariate design matrix and its checked QR factorisation (bcms, GPL-3.0-or-later). */
#include "covar.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

#define COLLINEAR_TOL 1e-8

static int grow(covar_design_t *d, int extra)
{
    if (d->k + extra <= d->cap) return 0;
    int cap = d->cap ? d->cap : 4;
    while (cap < d->k + extra) cap *= 2;
    if ((size_t)cap > SIZE_MAX / sizeof(double) / (size_t)d->n)
        return bcms_err(BCMS_ENOMEM, "covariate design: %d columns x %d rows overflow", cap, d->n);
    double *x = realloc(d->x, (size_t)cap * d->n * sizeof(double));
    if (!x) return bcms_err(BCMS_ENOMEM, "covariate design: out of memory");
    d->x = x;
    char **nm = realloc(d->names, (size_t)cap * sizeof(char *));
    if (!nm) return bcms_err(BCMS_ENOMEM, "covariate design: out of memory");
    d->names = nm;
    d->cap = cap;
    return 0;
}

int covar_design_init(covar_design_t *d, int n)
{
    memset(d, 0, sizeof(*d));
    if (n <= 0) return bcms_err(BCMS_EINVAL, "covariate design: no samples");
    d->n = n;
    int rc = grow(d, 1);
    if (rc) return rc;
    for (int i = 0; i < n; i++) d->x[i] = 1.0;
    if (!(d->names[0] = strdup("INTERCEPT"))) return bcms_err(BCMS_ENOMEM, "out of memory");
    d->k = 1;
    return 0;
}

void covar_design_free(covar_design_t *d)
{
    if (!d) return;
    for (int j = 0; j < d->k; j++) free(d->names[j]);
    free(d->names);
    free(d->x);
    memset(d, 0, sizeof(*d));
}

int covar_design_add_numeric(covar_design_t *d, const char *name, const double *v)
{
    for (int i = 0; i < d->n; i++)
        if (!isfinite(v[i]))
            return bcms_err(BCMS_EINPUT, "covariate '%s': missing or non-finite value at row %d; "
                            "drop samples with missing covariates first", name, i + 1);
    int rc = grow(d, 1);
    if (rc) return rc;
    memcpy(d->x + (size_t)d->k * d->n, v, (size_t)d->n * sizeof(double));
    if (!(d->names[d->k] = strdup(name))) return bcms_err(BCMS_ENOMEM, "out of memory");
    d->k++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int covar_design_add_categorical(covar_design_t *d, const char *name, const char *const *levels)
{
    int rc = 0, nlev = 0;
    const char **lv = malloc((size_t)d->n * sizeof(char *));
    if (!lv) return bcms_err(BCMS_ENOMEM, "out of memory");
    for (int i = 0; i < d->n; i++) {
        if (!levels[i] || !levels[i][0]) {
            rc = bcms_err(BCMS_EINPUT, "covariate '%s': missing level at row %d", name, i + 1);
            goto out;
        }
        lv[i] = levels[i];
    }
    qsort(lv, d->n, sizeof(char *), cmp_str);
    for (int i = 0; i < d->n; i++)
        if (i == 0 || strcmp(lv[i], lv[nlev - 1])) lv[nlev++] = lv[i];
    if (nlev < 2) {
        rc = bcms_err(BCMS_EINPUT, "covariate '%s' is constant (single level '%s'); remove it", name,
                      lv[0]);
        goto out;
    }
    if ((rc = grow(d, nlev - 1))) goto out;
    for (int l = 1; l < nlev; l++) {
        double *col = d->x + (size_t)d->k * d->n;
        for (int i = 0; i < d->n; i++) col[i] = strcmp(levels[i], lv[l]) == 0;
        size_t len = strlen(name) + strlen(lv[l]) + 2;
        char *nm = malloc(len);
        if (!nm) { rc = bcms_err(BCMS_ENOMEM, "out of memory"); goto out; }
        snprintf(nm, len, "%s=%s", name, lv[l]);
        d->names[d->k++] = nm;
    }
out:
    free(lv);
    return rc;
}

/* Modified Gram-Schmidt with one re-orthogonalisation pass ("twice is enough"), column by column,
 * so that a failing column is named exactly. */
int covar_design_qr(const covar_design_t *d, double *q, double *r)
{
    int n = d->n, k = d->k;
    if (k >= n) return bcms_err(BCMS_EINPUT, "covariate design: %d columns but only %d samples", k, n);
    memset(r, 0, (size_t)k * k * sizeof(double));
    for (int j = 0; j < k; j++) {
        const double *c = d->x + (size_t)j * n;
        double *qj = q + (size_t)j * n;
        memcpy(qj, c, (size_t)n * sizeof(double));
        double norm0 = 0, mean = 0;
        for (int i = 0; i < n; i++) { norm0 += c[i] * c[i]; mean += c[i]; }
        mean /= n;
        double var = 0;
        for (int i = 0; i < n; i++) var += (c[i] - mean) * (c[i] - mean);
        if (j > 0 && !(var > 0))
            return bcms_err(BCMS_EINPUT, "covariate '%s' is constant over the %d samples analysed; "
                            "remove it", d->names[j], n);
        for (int pass = 0; pass < 2; pass++)
            for (int l = 0; l < j; l++) {
                const double *ql = q + (size_t)l * n;
                double dot = 0;
                for (int i = 0; i < n; i++) dot += ql[i] * qj[i];
                for (int i = 0; i < n; i++) qj[i] -= dot * ql[i];
                r[l + (size_t)j * k] += dot;
            }
        double nrm = 0;
        for (int i = 0; i < n; i++) nrm += qj[i] * qj[i];
        nrm = sqrt(nrm);
        /* compare with the centred norm: a column of 1000+tiny noise is not collinear with 1 */
        double ref = j > 0 ? sqrt(var) : sqrt(norm0);
        if (!(nrm > COLLINEAR_TOL * ref))
            return bcms_err(BCMS_EINPUT, "covariate '%s' is collinear with the intercept and earlier "
                            "covariates; remove it or one of those", d->names[j]);
        r[j + (size_t)j * k] = nrm;
        for (int i = 0; i < n; i++) qj[i] /= nrm;
    }
    return 0;
}

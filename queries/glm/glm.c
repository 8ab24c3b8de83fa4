/* glm.c: options, error names and small dense linear algebra shared by the linear and logistic
 * models (bcms, GPL-3.0-or-later). */
#include "glm.h"

#include <math.h>

#include "err.h"
#include "glm_internal.h"

void glm_opts_init(glm_opts_t *o)
{
    o->firth = GLM_FIRTH_FALLBACK;
    o->vif_thresh = 50.0;
    o->max_iter = 15;
    o->firth_max_iter = 100;
}

int glm_opts_check(const glm_opts_t *o)
{
    if (o->firth < GLM_FIRTH_NO || o->firth > GLM_FIRTH_ALWAYS)
        return bcms_err(BCMS_EINVAL, "glm options: firth mode %d unknown", o->firth);
    if (!(o->vif_thresh >= 1.0))
        return bcms_err(BCMS_EINVAL, "glm options: VIF threshold %g must be >= 1", o->vif_thresh);
    if (o->max_iter < 5 || o->max_iter > 1000)
        return bcms_err(BCMS_EINVAL, "glm options: max_iter %d outside 5..1000", o->max_iter);
    if (o->firth_max_iter < 5 || o->firth_max_iter > 10000)
        return bcms_err(BCMS_EINVAL, "glm options: firth_max_iter %d outside 5..10000",
                        o->firth_max_iter);
    return 0;
}

const char *glm_errcode_str(int err)
{
    switch (err) {
    case GLM_OK: return ".";
    case GLM_ERR_CONST_ALLELE: return "CONST_OMITTED_ALLELE";
    case GLM_ERR_VIF_INFINITE: return "VIF_INFINITE";
    case GLM_ERR_VIF_TOO_HIGH: return "VIF_TOO_HIGH";
    case GLM_ERR_TOO_FEW_SAMPLES: return "TOO_FEW_SAMPLES";
    case GLM_ERR_LOGISTIC_CONVERGE_FAIL: return "LOGISTIC_CONVERGE_FAIL";
    case GLM_ERR_FIRTH_CONVERGE_FAIL: return "FIRTH_CONVERGE_FAIL";
    case GLM_ERR_UNFINISHED: return "UNFINISHED";
    }
    return "UNKNOWN";
}

int glm_chol(double *a, int k)
{
    for (int j = 0; j < k; j++) {
        double d = a[j + j * k];
        for (int l = 0; l < j; l++) d -= a[j + l * k] * a[j + l * k];
        if (!(d > 0)) return -1;
        d = sqrt(d);
        a[j + j * k] = d;
        for (int i = j + 1; i < k; i++) {
            double s = a[i + j * k];
            for (int l = 0; l < j; l++) s -= a[i + l * k] * a[j + l * k];
            a[i + j * k] = s / d;
        }
    }
    return 0;
}

void glm_trsv_lower(const double *l, int k, double *b)
{
    for (int i = 0; i < k; i++) {
        double s = b[i];
        for (int j = 0; j < i; j++) s -= l[i + j * k] * b[j];
        b[i] = s / l[i + i * k];
    }
}

void glm_trsv_lower_t(const double *l, int k, double *b)
{
    for (int i = k - 1; i >= 0; i--) {
        double s = b[i];
        for (int j = i + 1; j < k; j++) s -= l[j + i * k] * b[j];
        b[i] = s / l[i + i * k];
    }
}

void glm_result_fail(glm_result_t *r, int err)
{
    r->beta = r->se = r->stat = r->p = r->log10p = NAN;
    r->err = err;
}

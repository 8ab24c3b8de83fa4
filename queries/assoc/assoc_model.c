/* assoc_model.c: one model per phenotype (or endpoint) over the samples that have it and every
 * covariate, and the models over a subset of them for the variants some datasets lack.
 *
 * Pooled scans with cohort-private variants: a variant absent from a dataset has every call of that
 * dataset's samples missing. Dropping them sample by sample would leave a cohort covariate constant
 * (VIF_INFINITE in linear/logistic) and Cox would mean-impute them into the score; instead the
 * variant is analysed by a model fitted on the samples of the datasets that have it, without the
 * covariates that are constant among them (named in COVAR_DROPPED), so its numbers equal a scan of
 * those samples alone. Such models are fitted once per thread and set of datasets and reused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>

#include "assoc_internal.h"
#include "covar.h"
#include "err.h"

/* Build the design over the model samples from the covariate columns. */
static int build_design(covar_design_t *d, const bcms_col_t *cov, int ncov, const uint32_t *idx, uint32_t n)
{
    int rc = covar_design_init(d, (int)n);
    double *v = malloc(sizeof *v * (n + 1));
    const char **lev = malloc(sizeof *lev * (n + 1));
    if (rc || !v || !lev) {
        free(v);
        free(lev);
        return rc ? rc : BCMS_ENOMEM;
    }
    for (int c = 0; c < ncov && !rc; c++) {
        if (cov[c].type == BCMS_COL_CATEG) {
            for (uint32_t i = 0; i < n; i++) lev[i] = cov[c].levels[(int)cov[c].v[idx[i]]];
            rc = covar_design_add_categorical(d, cov[c].name, lev);
        } else {
            for (uint32_t i = 0; i < n; i++) v[i] = cov[c].v[idx[i]];
            rc = covar_design_add_numeric(d, cov[c].name, v);
        }
    }
    free(v);
    free(lev);
    return rc;
}

static int sample_complete(const bcms_col_t *cols, int n, uint32_t s)
{
    for (int c = 0; c < n; c++)
        if (isnan(cols[c].v[s])) return 0;
    return 1;
}

/* Build the design over m->idx and fit the model (the null model for logistic and Cox). */
static int model_fit(model_t *m)
{
    const bcms_assoc_opts_t *o = m->o;
    const bcms_col_t *ph = m->ph, *cov = m->cov, *cx = m->cx;
    const int ncov = m->ncov;
    const uint32_t nsamp = m->nsamp;
    covar_design_t d = {0};
    glm_opts_t go;
    double *y = NULL;
    int rc;
    if ((rc = build_design(&d, cov, ncov, m->idx, m->n))) goto done;
    glm_opts_init(&go);
    if (o->model != BCMS_MODEL_COX) {
        if (!(y = malloc(sizeof *y * m->n))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        for (uint32_t i = 0; i < m->n; i++) y[i] = ph->v[m->idx[i]], m->n_case += y[i] == 1;
        if (o->model == BCMS_MODEL_LMM) { /* queries/structure/lmm.c: the GRM's rows of the model samples */
            uint32_t *sn = malloc(sizeof *sn * m->n);
            if (!sn) rc = BCMS_ENOMEM;
            for (uint32_t i = 0; sn && i < m->n; i++) sn[i] = m->sample_ids[m->idx[i]];
            if (sn) rc = lmm_model_init(&m->lmm, m->grm, sn, m->n, y, d.x, d.k);
            free(sn);
        } else if (o->model == BCMS_MODEL_LINEAR) {
            rc = glm_linear_init(&m->lin, &d, y, 1, &go);
        } else {
            if (ph->type != BCMS_COL_BINARY) {
                rc = bcms_err(BCMS_EINPUT, "phenotype %s is not a case/control column (1/2 or 0/1): logistic "
                              "regression needs one", m->pheno);
                goto done;
            }
            rc = glm_logistic_init(&m->log, &d, y, &go);
        }
        if (rc) rc = bcms_err(rc, "phenotype %s: %s", m->pheno, bcms_err_detail());
    } else {
        /* Cox: covariates without the intercept (the design's column 0); a constant or collinear
         * covariate is named here, as for the other models, not left to a singular null fit */
        int k = d.k - 1;
        {
            double *q = malloc(sizeof *q * (size_t)m->n * d.k), *r = malloc(sizeof *r * (size_t)d.k * d.k);
            rc = q && r ? covar_design_qr(&d, q, r) : BCMS_ENOMEM;
            free(q), free(r);
            if (rc) {
                rc = bcms_err(rc, "endpoint %s: %s", cx[0].name, bcms_err_detail());
                goto done;
            }
        }
        double *cov_rm = malloc(sizeof *cov_rm * ((size_t)m->n * (k > 0 ? k : 1)));
        double *t = malloc(sizeof *t * m->n), *en = cx[2].name ? malloc(sizeof *en * m->n) : NULL;
        int *ev = malloc(sizeof *ev * m->n), *st = cx[3].name ? malloc(sizeof *st * m->n) : NULL;
        int *gi = malloc(sizeof *gi * m->n);
        if (!cov_rm || !t || !ev || !gi || (cx[2].name && !en) || (cx[3].name && !st)) rc = BCMS_ENOMEM;
        for (uint32_t i = 0; i < m->n && !rc; i++) {
            uint32_t s = m->idx[i];
            t[i] = cx[0].v[s];
            double e = cx[1].v[s];
            if (e != 0 && e != 1) {
                rc = bcms_err(BCMS_EINPUT, "event column %s must be 0/1 (censored/event); found %g", cx[1].name, e);
                break;
            }
            ev[i] = (int)e;
            m->n_event += ev[i];
            if (en) en[i] = cx[2].v[s];
            if (st) st[i] = (int)cx[3].v[s];
            gi[i] = (int)m->idx[i];
            for (int c = 0; c < k; c++) cov_rm[(size_t)i * k + c] = d.x[(size_t)(c + 1) * m->n + i];
        }
        if (!rc) {
            cox_data_t cd = {(int)m->n, t, ev, en, st, k, k ? cov_rm : NULL, (int)nsamp, gi};
            cox_opts_init(&m->cox_opts);
            m->cox_opts.fit_pmax = o->cox_fit_p;
            rc = cox_null_fit(&cd, &m->cox_opts, &m->cox);
            if (rc) rc = bcms_err(rc, "Cox null model of %s: %s", cx[0].name, bcms_err_detail());
        }
        free(cov_rm), free(t), free(en), free(ev), free(st), free(gi);
    }
done:
    free(y);
    covar_design_free(&d);
    return rc;
}


int assoc_model_setup(model_t *m, const bcms_assoc_opts_t *o, const bcms_col_t *ph, const bcms_col_t *cov, int ncov,
                      const bcms_col_t *cx, uint32_t nsamp, const uint32_t *sdata, int ndatasets)
{
    m->o = o, m->ph = ph, m->cov = cov, m->ncov = ncov, m->cx = cx, m->nsamp = nsamp, m->sdata = sdata;
    if (!(m->idx = malloc(sizeof *m->idx * (nsamp + 1)))) return BCMS_ENOMEM;
    for (uint32_t s = 0; s < nsamp; s++) {
        if (!sample_complete(cov, ncov, s) || (m->scoh && m->scoh[s] != m->coh)) continue;
        if (o->model == BCMS_MODEL_COX) {
            int ok = !isnan(cx[0].v[s]) && !isnan(cx[1].v[s]);
            if (cx[2].name && isnan(cx[2].v[s])) ok = 0;
            if (cx[3].name && isnan(cx[3].v[s])) ok = 0;
            if (!ok) continue;
        } else if (isnan(ph->v[s])) {
            continue;
        }
        m->idx[m->n++] = s;
    }
    if (m->n < 3)
        return bcms_err(BCMS_EINPUT, "%s: only %u samples have the phenotype and every covariate; check the names "
                        "and the sample IDs of the phenotype file", m->pheno, m->n);
    m->dsmask = 0;
    if (ndatasets <= 64)
        for (uint32_t i = 0; i < m->n; i++) m->dsmask |= (uint64_t)1 << sdata[m->idx[i]];
    return model_fit(m);
}

int assoc_model_fit_on(model_t *dst, const model_t *base, const uint32_t *idx, uint32_t n, const bcms_col_t *cov,
                       int ncov, int ndatasets)
{
    *dst = (model_t){0};
    dst->o = base->o, dst->ph = base->ph, dst->cx = base->cx, dst->nsamp = base->nsamp, dst->sdata = base->sdata;
    dst->cohort = base->cohort, dst->scoh = base->scoh, dst->coh = base->coh;
    dst->grm = base->grm, dst->sample_ids = base->sample_ids;
    dst->cov = cov, dst->ncov = ncov;
    if (!(dst->pheno = strdup(base->pheno)) || !(dst->idx = malloc(sizeof *dst->idx * (n + 1)))) return BCMS_ENOMEM;
    memcpy(dst->idx, idx, sizeof *idx * n);
    dst->n = n;
    if (n < 3) return bcms_err(BCMS_EINPUT, "only %u samples", n);
    if (ndatasets <= 64)
        for (uint32_t i = 0; i < n; i++) dst->dsmask |= (uint64_t)1 << dst->sdata[idx[i]];
    return model_fit(dst);
}

void assoc_model_free(model_t *m)
{
    free(m->pheno);
    free(m->idx);
    if (m->lin) glm_linear_free(m->lin);
    if (m->log) glm_logistic_free(m->log);
    if (m->cox) cox_null_free(m->cox);
    lmm_model_free(m->lmm);
    free(m->pvals);
}


/* ---- models over a subset of the datasets ---- */
typedef struct {
    uint64_t mask;
    model_t m;
    int failed;          /* the model could not be fitted on these samples */
    char *dropped;       /* covariates left out, comma-separated, or "." */
    bcms_col_t *kept;    /* shallow copies of the kept covariate columns */
    glm_linear_ws_t *lws;
    glm_logistic_ws_t *gws;
    cox_ws_t *cws;
    uint8_t *codes;
    double *dos;
} sub_entry_t;

struct assoc_sub_t {
    int n, cap;
    sub_entry_t *e;
};

static int col_constant(const bcms_col_t *c, const uint32_t *idx, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        if (c->v[idx[i]] != c->v[idx[0]]) return 0;
    return 1;
}

static int sub_build(const model_t *m, uint64_t mask, sub_entry_t *e)
{
    kstring_t dr = {0, 0, NULL};
    memset(e, 0, sizeof *e);
    e->mask = mask;
    e->m = (model_t){0};
    e->m.o = m->o, e->m.ph = m->ph, e->m.cx = m->cx, e->m.nsamp = m->nsamp, e->m.sdata = m->sdata;
    e->m.cohort = m->cohort, e->m.scoh = m->scoh, e->m.coh = m->coh;
    if (!(e->m.pheno = strdup(m->pheno)) || !(e->m.idx = malloc(sizeof *e->m.idx * (m->n + 1))) ||
        !(e->kept = calloc(m->ncov + 1, sizeof *e->kept)))
        return BCMS_ENOMEM;
    for (uint32_t i = 0; i < m->n; i++)
        if (mask >> m->sdata[m->idx[i]] & 1) e->m.idx[e->m.n++] = m->idx[i];
    for (int c = 0; c < m->ncov; c++) {
        if (col_constant(&m->cov[c], e->m.idx, e->m.n)) ksprintf(&dr, "%s%s", dr.l ? "," : "", m->cov[c].name);
        else e->kept[e->m.ncov++] = m->cov[c];
    }
    e->m.cov = e->kept;
    e->dropped = dr.l ? dr.s : strdup(".");
    if (!e->dropped) return BCMS_ENOMEM;
    if (e->m.n < 3 || model_fit(&e->m)) {
        e->failed = 1;
        bcms_log(BCMS_LOG_INFO, "%s: no model on the %u samples of the datasets that have some variants (%s); "
                 "those variants get ERRCODE SUBSET_MODEL_FAIL", m->pheno, e->m.n, bcms_err_detail());
        return 0;
    }
    if (!(e->codes = malloc(e->m.n + 1)) || !(e->dos = malloc(sizeof *e->dos * (e->m.n + 1)))) return BCMS_ENOMEM;
    if (e->m.lin && !(e->lws = glm_linear_ws_new(e->m.lin))) return BCMS_ENOMEM;
    if (e->m.log && !(e->gws = glm_logistic_ws_new(e->m.log))) return BCMS_ENOMEM;
    if (e->m.cox && cox_ws_alloc(e->m.cox, &e->cws)) return BCMS_ENOMEM;
    return 0;
}

static void sub_entry_free(sub_entry_t *e)
{
    assoc_model_free(&e->m);
    free(e->dropped);
    free(e->kept);
    glm_linear_ws_free(e->lws);
    glm_logistic_ws_free(e->gws);
    cox_ws_free(e->cws);
    free(e->codes);
    free(e->dos);
}

void assoc_sub_free(assoc_sub_t *cache)
{
    if (!cache) return;
    for (int i = 0; i < cache->n; i++) sub_entry_free(&cache->e[i]);
    free(cache->e);
    free(cache);
}

static int sub_get(const model_t *m, assoc_sub_t **cache, uint64_t mask, sub_entry_t **out)
{
    assoc_sub_t *c = *cache;
    if (!c && !(c = *cache = calloc(1, sizeof *c))) return BCMS_ENOMEM;
    for (int i = 0; i < c->n; i++)
        if (c->e[i].mask == mask) return *out = &c->e[i], 0;
    if (c->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 4;
        sub_entry_t *ne = realloc(c->e, sizeof *ne * cap);
        if (!ne) return BCMS_ENOMEM;
        c->e = ne, c->cap = cap;
    }
    sub_entry_t *e = &c->e[c->n++];
    int rc = sub_build(m, mask, e);
    *out = e;
    return rc;
}

int assoc_sub_variant(const model_t *m, assoc_sub_t **cache, const uint8_t *row, const float *dsrow, uint32_t nsel,
                      glm_result_t *g, cox_result_t *c, const char **dropped, const model_t **used, int *handled)
{
    uint64_t mask = 0;
    sub_entry_t *e;
    (void)nsel;
    *handled = 0;
    if (!m->dsmask) return 0;
    for (uint32_t i = 0; i < m->n && mask != m->dsmask; i++) {
        uint32_t s = m->idx[i];
        if (dsrow ? !isnan(dsrow[s]) : row[s] != 3) mask |= (uint64_t)1 << m->sdata[s];
    }
    if (mask == m->dsmask || !mask) return 0;
    int rc = sub_get(m, cache, mask, &e);
    if (rc) return rc;
    *handled = e->failed ? 2 : 1;
    *dropped = e->dropped;
    if (e->failed) return 0;
    const model_t *sm = &e->m;
    *used = sm;
    if (sm->cox) {
        return dsrow ? cox_test_dosage(sm->cox, e->cws, &sm->cox_opts, dsrow, c)
                     : cox_test_gt(sm->cox, e->cws, &sm->cox_opts, row, c);
    }
    for (uint32_t i = 0; i < sm->n; i++) {
        e->codes[i] = row[sm->idx[i]];
        if (dsrow) e->dos[i] = dsrow[sm->idx[i]];
    }
    if (sm->lin)
        return dsrow ? glm_linear_dosages(sm->lin, e->lws, e->dos, 1, sm->n, g)
                     : glm_linear_codes(sm->lin, e->lws, e->codes, 1, sm->n, g);
    return dsrow ? glm_logistic_dosages(sm->log, e->gws, e->dos, 1, sm->n, g)
                 : glm_logistic_codes(sm->log, e->gws, e->codes, 1, sm->n, g);
}

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
#include "cluster.h"
#include "covar.h"
#include "err.h"
#include "locopred.h"

void assoc_loco_free(struct assoc_loco_t *l);

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

/* lmm --loco: keep the null model's inputs (takes sn) for its fits on each chromosome's GRM. */
static int lmm_keep_design(model_t *m, uint32_t *sn, const double *y, const covar_design_t *d)
{
    assoc_lmmdesign_t *ld = calloc(1, sizeof *ld);
    if (!ld || !(ld->y = malloc(sizeof *ld->y * m->n)) || !(ld->W = malloc(sizeof *ld->W * m->n * d->k))) {
        if (ld) free(ld->y), free(ld);
        free(sn);
        return BCMS_ENOMEM;
    }
    memcpy(ld->y, y, sizeof *ld->y * m->n);
    memcpy(ld->W, d->x, sizeof *ld->W * m->n * d->k);
    ld->c = d->k, ld->snum = sn;
    m->lmmd = ld;
    return 0;
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
    double *y = NULL, *off = NULL;
    int rc;
    if ((rc = build_design(&d, cov, ncov, m->idx, m->n))) goto done;
    if (m->offc || m->xoff) {
        if (!(off = malloc(sizeof *off * m->n))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        for (uint32_t i = 0; i < m->n; i++)
            off[i] = (m->offc ? m->offc->v[m->idx[i]] : 0) + (m->xoff ? m->xoff[i] : 0);
    }
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
            if (sn && o->loco) rc = lmm_keep_design(m, sn, y, &d), sn = NULL; /* fitted per chromosome */
            else if (sn) { /* MPI: rank 0 decomposes, every rank uses its bits (lmm.h) */
                rc = bcms_cluster_rank() == 0
                         ? lmm_model_init(&m->lmm, m->grm, sn, m->n, y, d.x, d.k, m->o->threads)
                         : 0;
                rc = lmm_model_share(&m->lmm, 0, rc, m->n, d.k);
            }
            free(sn);
        } else if (o->model == BCMS_MODEL_LINEAR) {
            rc = glm_linear_init(&m->lin, &d, y, 1, &go);
        } else {
            if (ph->type != BCMS_COL_BINARY) {
                rc = bcms_err(BCMS_EINPUT, "phenotype %s is not a case/control column (1/2 or 0/1): logistic "
                              "regression needs one", m->pheno);
                goto done;
            }
            rc = glm_logistic_init_offset(&m->log, &d, y, off, &go);
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
            cox_data_t cd = {(int)m->n, t, ev, en, st, k, k ? cov_rm : NULL, (int)nsamp, gi, off};
            cox_opts_init(&m->cox_opts);
            m->cox_opts.fit_pmax = o->cox_fit_p;
            rc = cox_null_fit(&cd, &m->cox_opts, &m->cox);
            if (rc) rc = bcms_err(rc, "Cox null model of %s: %s", cx[0].name, bcms_err_detail());
        }
        free(cov_rm), free(t), free(en), free(ev), free(st), free(gi);
    }
done:
    free(y);
    free(off);
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
        if (m->offc && isnan(m->offc->v[s])) continue;
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
    dst->offc = base->offc; /* --offset is per reader sample: it follows any subset (xoff, in base's order, cannot) */
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
    if (m->lmmd) free(m->lmmd->y), free(m->lmmd->W), free(m->lmmd->snum), free(m->lmmd);
    free(m->pvals);
    assoc_loco_free(m->loco);
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
    e->m.cohort = m->cohort, e->m.scoh = m->scoh, e->m.coh = m->coh, e->m.offc = m->offc;
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


/* ---- --loco-pred: one offset model per chromosome (locopred.h) ---- */
typedef struct {
    char chrom[4];
    glm_logistic_t *log;
    cox_null_t *cox;
    double scale;           /* the prediction's coefficient */
} loco_chr_t;

struct assoc_loco_t {
    int nchr;               /* + 1: the last model serves contigs without a LOCO row */
    loco_chr_t *c;
};

void assoc_loco_free(struct assoc_loco_t *l)
{
    if (!l) return;
    for (int i = 0; l->c && i <= l->nchr; i++) { /* c is NULL when the predictions failed */
        if (l->c[i].log) glm_logistic_free(l->c[i].log);
        if (l->c[i].cox) cox_null_free(l->c[i].cox);
    }
    free(l->c);
    free(l);
}

/* The coefficient of the prediction u (model order) beside the covariates: the scale that turns it
 * into the model's linear predictor (log-odds, log-hazard). */
static int loco_scale(const model_t *m, const double *u, double *scale)
{
    int rc = 0;
    if (m->log) {
        glm_logistic_ws_t *ws = glm_logistic_ws_new(m->log);
        glm_result_t r;
        if (!ws) return BCMS_ENOMEM;
        rc = glm_logistic_dosages(m->log, ws, u, 1, m->n, &r);
        glm_logistic_ws_free(ws);
        if (rc) return rc;
        if (r.err && r.err != GLM_ERR_UNFINISHED)
            return bcms_err(BCMS_ENUMERIC, "%s: the LOCO prediction's logistic fit failed (%s)", m->pheno,
                            glm_errcode_str(r.err));
        *scale = r.beta;
        return 0;
    }
    cox_ws_t *ws = NULL;
    cox_result_t r;
    double *x = malloc(sizeof *x * (m->nsamp + 1));
    if (!x) return BCMS_ENOMEM;
    for (uint32_t s = 0; s < m->nsamp; s++) x[s] = NAN;
    for (uint32_t i = 0; i < m->n; i++) x[m->idx[i]] = u[i];
    if (!(rc = cox_ws_alloc(m->cox, &ws))) rc = cox_fit_x(m->cox, ws, &m->cox_opts, x, &r);
    cox_ws_free(ws);
    free(x);
    if (rc) return rc;
    if (r.fit_status) return bcms_err(BCMS_ENUMERIC, "%s: the LOCO prediction's Cox fit failed", m->cx[0].name);
    *scale = r.beta;
    return 0;
}

/* The trait the predictor is fitted to (model order), and the design (column-major, intercept first). */
static int loco_trait(const model_t *m, double **y, covar_design_t *d)
{
    int rc = build_design(d, m->cov, m->ncov, m->idx, m->n);
    if (rc) return rc;
    if (!(*y = malloc(sizeof **y * m->n))) return BCMS_ENOMEM;
    const double *res = m->cox ? cox_null_resid(m->cox) : NULL;
    for (uint32_t i = 0; i < m->n; i++) (*y)[i] = res ? res[i] : m->ph->v[m->idx[i]];
    return 0;
}

static int loco_write(const model_t *m, const bcms_locopred_t *p, const struct assoc_loco_t *l)
{
    FILE *f = fopen(m->o->loco_out, "w");
    if (!f) return bcms_err(BCMS_EIO, "%s: cannot open for writing", m->o->loco_out);
    fprintf(f, "#IID");
    for (int c = 0; c < p->nchr; c++) fprintf(f, "\tLOCO_%s", p->chrom[c]);
    fprintf(f, "\tALL\n#SCALE");
    for (int c = 0; c <= p->nchr; c++) fprintf(f, "\t%.10g", l->c[c].scale);
    /* what --loco-pred-file checks; 17 digits: the predictions read back to the same doubles */
    fprintf(f, "\n#TRAIT\t%s\t%s\tfolds=%d\n", m->pheno, m->cox ? "cox" : "logistic", m->o->loco_folds);
    for (uint32_t i = 0; i < p->n; i++) {
        fputs(p->iid[i], f);
        for (int c = 0; c <= p->nchr; c++) fprintf(f, "\t%.17g", p->pred[(size_t)c * p->n + i]);
        fputc('\n', f);
    }
    return fclose(f) ? bcms_err(BCMS_EIO, "%s: write failed", m->o->loco_out) : 0;
}

int assoc_model_loco(model_t *m, bcms_store_t *st, const bcms_reader_t *rd)
{
    bcms_locopred_opts_t lo;
    bcms_locopred_t p = {0};
    covar_design_t d = {0};
    double *y = NULL, *off = NULL;
    uint32_t *sn = NULL;
    int rc;
    if (!m->log && !m->cox) return bcms_err(BCMS_EINVAL, "--loco-pred needs --model logistic or cox");
    if (!m->o->loco_in && bcms_reader_ndatasets(rd) > 1)
        return bcms_err(BCMS_EINVAL, "--loco-pred scans one dataset (choose it with --cohorts)");
    bcms_locopred_opts_init(&lo);
    lo.in.sel = m->o->sel, lo.in.threads = m->o->threads, lo.folds = m->o->loco_folds;
    if (lo.in.sel.maf_min < 0.01) lo.in.sel.maf_min = 0.01; /* rare variants only add noise to G */
    if ((rc = loco_trait(m, &y, &d))) goto done;
    if (!(sn = malloc(sizeof *sn * m->n)) || !(off = malloc(sizeof *off * m->n)) ||
        !(m->loco = calloc(1, sizeof *m->loco))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (uint32_t i = 0; i < m->n; i++) sn[i] = m->sample_ids[m->idx[i]];
    if ((rc = m->o->loco_in ? assoc_loco_read(st, m, sn, &p) : bcms_locopred_run(st, &lo, sn, m->n, y, d.x, d.k, &p)))
        goto done;
    if (!(m->loco->c = calloc(p.nchr + 1, sizeof *m->loco->c))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    m->loco->nchr = p.nchr;
    for (int c = 0; c <= p.nchr; c++) {
        loco_chr_t *lc = &m->loco->c[c];
        const double *u = p.pred + (size_t)c * p.n;
        if (c < p.nchr) memcpy(lc->chrom, p.chrom[c], sizeof lc->chrom);
        if ((rc = loco_scale(m, u, &lc->scale))) goto done;
        for (uint32_t i = 0; i < m->n; i++) off[i] = assoc_loco_shrink(m->o) * lc->scale * u[i];
        model_t t = *m;
        t.log = NULL, t.cox = NULL, t.lin = NULL, t.lmm = NULL, t.xoff = off;
        if ((rc = model_fit(&t))) goto done;
        lc->log = t.log, lc->cox = t.cox;
        bcms_log(BCMS_LOG_INFO, "%s: LOCO offset %s: scale %.4g", m->pheno, c < p.nchr ? lc->chrom : "(other contigs)",
                 lc->scale);
    }
    if (m->o->loco_out) rc = loco_write(m, &p, m->loco);
done:
    free(y), free(off), free(sn);
    covar_design_free(&d);
    bcms_locopred_clear(&p);
    return rc;
}

static const loco_chr_t *loco_pick(const model_t *m, const char *chrom)
{
    const struct assoc_loco_t *l = m->loco;
    for (int c = 0; c < l->nchr; c++)
        if (!strcmp(l->c[c].chrom, chrom)) return &l->c[c];
    return &l->c[l->nchr];
}

/* Runs of variants on one chromosome: [v0, v1) from v0. */
static uint32_t loco_run_end(const bcms_reader_t *rd, uint64_t first, uint32_t v0, uint32_t nv)
{
    const char *ch = bcms_reader_variant(rd, first + v0)->chrom;
    uint32_t v1 = v0 + 1;
    while (v1 < nv && !strcmp(bcms_reader_variant(rd, first + v1)->chrom, ch)) v1++;
    return v1;
}

int assoc_model_logistic_block(const model_t *m, glm_logistic_ws_t *ws, const bcms_reader_t *rd, uint64_t first,
                               uint32_t nv, const uint8_t *codes, const double *dos, glm_result_t *res)
{
    if (!m->loco)
        return dos ? glm_logistic_dosages(m->log, ws, dos, nv, m->n, res)
                   : glm_logistic_codes(m->log, ws, codes, nv, m->n, res);
    for (uint32_t v0 = 0, v1; v0 < nv; v0 = v1) {
        v1 = loco_run_end(rd, first, v0, nv);
        const glm_logistic_t *lg = loco_pick(m, bcms_reader_variant(rd, first + v0)->chrom)->log;
        size_t o = (size_t)v0 * m->n;
        int rc = dos ? glm_logistic_dosages(lg, ws, dos + o, v1 - v0, m->n, res + v0)
                     : glm_logistic_codes(lg, ws, codes + o, v1 - v0, m->n, res + v0);
        if (rc) return rc;
    }
    return 0;
}

int assoc_model_cox_block(const model_t *m, cox_ws_t *ws, const bcms_reader_t *rd, uint64_t first, uint32_t nv,
                          const uint8_t *codes, const float *ds, uint32_t nsel, cox_result_t *res)
{
    if (!m->loco)
        return ds ? cox_test_dosage_block(m->cox, ws, &m->cox_opts, (int)nv, ds, nsel, res)
                  : cox_test_gt_block(m->cox, ws, &m->cox_opts, (int)nv, codes, nsel, res);
    for (uint32_t v0 = 0, v1; v0 < nv; v0 = v1) {
        v1 = loco_run_end(rd, first, v0, nv);
        const cox_null_t *nm = loco_pick(m, bcms_reader_variant(rd, first + v0)->chrom)->cox;
        size_t o = (size_t)v0 * nsel;
        int rc = ds ? cox_test_dosage_block(nm, ws, &m->cox_opts, (int)(v1 - v0), ds + o, nsel, res + v0)
                    : cox_test_gt_block(nm, ws, &m->cox_opts, (int)(v1 - v0), codes + o, nsel, res + v0);
        if (rc) return rc;
    }
    return 0;
}

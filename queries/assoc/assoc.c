/* assoc.c: the scan driver: builds one model per phenotype (or endpoint) over the samples that
 * have it and every covariate, then streams batches of genotypes through the models in parallel
 * and writes rows in genomic order. Threads take batches in order, decode and compute them, format
 * each into its own buffer of a ring, and the buffers are written in order (bwa's -K rule: the
 * batch size never depends on the thread count, so the output is byte-identical at any --threads). */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include <gsl/gsl_cdf.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "assoc.h"
#include "cox.h"
#include "covar.h"
#include "err.h"
#include "glm.h"
#include "lmm.h"
#include "outfile.h"
#include "bcms_version.h"

void bcms_assoc_opts_init(bcms_assoc_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_reader_opts_init(&o->sel);
    o->threads = 1;
    o->use_dosages = 1;
    o->cox_fit_p = 1e-4;
}

int bcms_assoc_opts_check(const bcms_assoc_opts_t *o)
{
    if (o->model < BCMS_MODEL_LINEAR || o->model > BCMS_MODEL_LMM)
        return bcms_err(BCMS_EINVAL, "--model must be linear, logistic, cox or lmm");
    if (o->model == BCMS_MODEL_COX) {
        if (!o->time || !o->event) return bcms_err(BCMS_EINVAL, "--model cox needs --time and --event");
    } else if (!o->pheno || !*o->pheno) {
        return bcms_err(BCMS_EINVAL, "--pheno NAME is required for --model %s",
                        o->model == BCMS_MODEL_LINEAR ? "linear" : o->model == BCMS_MODEL_LMM ? "lmm" : "logistic");
    }
    if (!o->out || !*o->out) return bcms_err(BCMS_EINVAL, "-o OUT is required");
    if (o->threads < 1) return bcms_err(BCMS_EINVAL, "--threads must be at least 1");
    if (!(o->cox_fit_p >= 0)) return bcms_err(BCMS_EINVAL, "the Cox refit threshold must be >= 0");
    return bcms_reader_opts_check(&o->sel);
}

/* ---- one model per phenotype ---- */
typedef struct {
    char *pheno;
    uint32_t n;          /* model samples */
    uint32_t *idx;       /* model sample -> reader sample column (of the chosen samples) */
    int n_event;
    glm_linear_t *lin;
    glm_logistic_t *log;
    cox_null_t *cox;
    cox_opts_t cox_opts;
    lmm_model_t *lmm;
    double *pvals;       /* per variant, for lambda GC */
    uint64_t tested, failed;
} model_t;

typedef struct {
    uint8_t *codes;
    double *dos;
    glm_result_t *gres;
    cox_result_t *cres;
    size_t cap_cells, cap_res;
    glm_linear_ws_t **lin_ws;
    glm_logistic_ws_t **log_ws;
    cox_ws_t **cox_ws;
    lmm_ws_t **lmm_ws;
    lmm_result_t *lres;
    bcms_reader_ws_t *rws;
} thread_t;

static char **split_list(const char *s, int *n)
{
    char **v = NULL, *copy, *save = NULL, *tok;
    *n = 0;
    if (!s || !*s || !(copy = strdup(s))) return NULL;
    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char **nv = realloc(v, sizeof *v * (*n + 1));
        if (!nv) break;
        v = nv;
        v[(*n)++] = strdup(tok);
    }
    free(copy);
    return v;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

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

static void put_p(kstring_t *s, double p, double log10p)
{
    if (isnan(p)) {
        kputs("NA", s);
    } else if (p > 0 || !isfinite(log10p)) {
        ksprintf(s, "%.6g", p);
    } else {
        /* below the double range: print from log10 p */
        double e = floor(log10p), m = pow(10, log10p - e);
        ksprintf(s, "%.5fe%d", m, (int)e);
    }
}

static void put_num(kstring_t *s, double x)
{
    if (isnan(x) || isinf(x)) kputs("NA", s);
    else ksprintf(s, "%.8g", x);
}

static void header_line(kstring_t *s, const bcms_assoc_opts_t *o, int multi)
{
    if (o->format == BCMS_OUT_GWAS_SSF) {
        kputs("chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
              "effect_allele_frequency\tp_value\tvariant_id\trsid\tn", s);
        if (o->model == BCMS_MODEL_COX) kputs("\thazard_ratio\tn_events", s);
    } else {
        kputs("CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tTEST\tBETA\tSE\tSTAT\tP", s);
        if (o->model == BCMS_MODEL_LINEAR) kputs("\tERRCODE", s);
        else if (o->model == BCMS_MODEL_LOGISTIC) kputs("\tFIRTH\tERRCODE", s);
        else if (o->model == BCMS_MODEL_LMM) kputs("\tP_LRT\tP_SCORE\tLAMBDA_REML\tLAMBDA_ML\tERRCODE", s);
        else kputs("\tHR\tN_EVENT\tP_SCORE\tMETHOD\tERRCODE", s);
    }
    if (multi) kputs("\tPHENO", s);
    kputc('\n', s);
}

/* Format one result row. */
static void row_line(kstring_t *s, const bcms_assoc_opts_t *o, const bcms_variant_t *v, const model_t *m, int multi,
                     const glm_result_t *g, const cox_result_t *c)
{
    double beta, se, stat, p, lp, af;
    int n;
    const char *err = ".";
    if (g) {
        beta = g->beta, se = g->se, stat = g->stat, p = g->p, lp = g->log10p, af = g->a1_freq, n = g->n;
        err = glm_errcode_str(g->err);
        if (g->err && g->err != GLM_ERR_UNFINISHED) beta = se = stat = p = NAN;
    } else {
        af = c->af;
        if (c->fitted && c->fit_status == 0) {
            beta = c->beta, se = c->se, stat = c->wald_z, p = c->lrt_p, lp = c->lrt_log10p, n = c->n_fit;
        } else {
            beta = c->v > 0 ? c->u / c->v : NAN;
            se = c->v > 0 ? 1 / sqrt(c->v) : NAN;
            stat = c->z, p = c->p, lp = c->log10p, n = (int)m->n - c->n_miss;
        }
        if (c->score_status) err = "CONST_OMITTED_ALLELE", beta = se = stat = p = NAN;
        else if (c->fitted && c->fit_status)
            err = c->fit_flags & COX_FIT_INFINITE ? "INFINITE_BETA" : c->fit_flags & COX_FIT_SINGULAR ? "SINGULAR"
                                                                                                   : "COX_CONVERGE_FAIL";
    }
    if (o->format == BCMS_OUT_GWAS_SSF) {
        ksprintf(s, "%s\t%lld\t%s\t%s\t", v->chrom, (long long)v->pos, v->alt, v->ref);
        put_num(s, beta), kputc('\t', s), put_num(s, se), kputc('\t', s), put_num(s, af), kputc('\t', s);
        put_p(s, p, lp);
        ksprintf(s, "\t%s:%lld:%s:%s\t%s\t%d", v->chrom, (long long)v->pos, v->ref, v->alt,
                 !strncmp(v->id, "rs", 2) ? v->id : "#NA", n);
        if (c) kputc('\t', s), put_num(s, exp(beta)), ksprintf(s, "\t%d", m->n_event);
    } else {
        ksprintf(s, "%s\t%lld\t%s\t%s\t%s\t%s\t", v->chrom, (long long)v->pos, v->id, v->ref, v->alt, v->alt);
        put_num(s, af);
        ksprintf(s, "\t%d\tADD\t", n);
        put_num(s, beta), kputc('\t', s), put_num(s, se), kputc('\t', s), put_num(s, stat), kputc('\t', s);
        put_p(s, p, lp);
        if (g && o->model == BCMS_MODEL_LINEAR) ksprintf(s, "\t%s", err);
        else if (g) ksprintf(s, "\t%s\t%s", g->firth ? "Y" : "N", err);
        else {
            kputc('\t', s), put_num(s, exp(beta));
            ksprintf(s, "\t%d\t", c->fitted && c->fit_status == 0 ? c->events_fit : m->n_event);
            put_p(s, c->p, c->log10p);
            ksprintf(s, "\t%s\t%s", c->fitted && c->fit_status == 0 ? "NEWTON" : c->spa_used ? "SPA" : "SCORE", err);
        }
    }
    if (multi) ksprintf(s, "\t%s", m->pheno);
    kputc('\n', s);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double lambda_gc(double *p, uint64_t n)
{
    if (!n) return NAN;
    qsort(p, n, sizeof *p, cmp_double);
    double med = n & 1 ? p[n / 2] : 0.5 * (p[n / 2 - 1] + p[n / 2]);
    return gsl_cdf_chisq_Qinv(med, 1) / gsl_cdf_chisq_Qinv(0.5, 1);
}

static int model_setup(model_t *m, const bcms_assoc_opts_t *o, const bcms_col_t *ph, const bcms_col_t *cov, int ncov,
                       const bcms_col_t *cx, uint32_t nsamp, const bcms_grm_t *grm, const uint32_t *sample_ids)
{
    /* cx: for Cox: time, event, entry (or name NULL), strata (or name NULL) */
    covar_design_t d = {0};
    glm_opts_t go;
    double *y = NULL;
    int rc;
    if (!(m->idx = malloc(sizeof *m->idx * (nsamp + 1)))) return BCMS_ENOMEM;
    for (uint32_t s = 0; s < nsamp; s++) {
        if (!sample_complete(cov, ncov, s)) continue;
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
    if ((rc = build_design(&d, cov, ncov, m->idx, m->n))) goto done;
    glm_opts_init(&go);
    if (o->model != BCMS_MODEL_COX) {
        if (!(y = malloc(sizeof *y * m->n))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        for (uint32_t i = 0; i < m->n; i++) y[i] = ph->v[m->idx[i]];
        if (o->model == BCMS_MODEL_LMM) { /* queries/structure/lmm.c: the GRM's rows of the model samples */
            uint32_t *sn = malloc(sizeof *sn * m->n);
            if (!sn) rc = BCMS_ENOMEM;
            for (uint32_t i = 0; sn && i < m->n; i++) sn[i] = sample_ids[m->idx[i]];
            if (sn) rc = lmm_model_init(&m->lmm, grm, sn, m->n, y, d.x, d.k);
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

static void model_free(model_t *m)
{
    free(m->pheno);
    free(m->idx);
    if (m->lin) glm_linear_free(m->lin);
    if (m->log) glm_logistic_free(m->log);
    if (m->cox) cox_null_free(m->cox);
    lmm_model_free(m->lmm);
    free(m->pvals);
}

static int thread_init(thread_t *t, const bcms_reader_t *rd, model_t *models, int nm)
{
    memset(t, 0, sizeof *t);
    if (!(t->rws = bcms_reader_ws_new(rd))) return BCMS_ENOMEM;
    t->lin_ws = calloc(nm, sizeof *t->lin_ws);
    t->log_ws = calloc(nm, sizeof *t->log_ws);
    t->cox_ws = calloc(nm, sizeof *t->cox_ws);
    t->lmm_ws = calloc(nm, sizeof *t->lmm_ws);
    if (!t->lin_ws || !t->log_ws || !t->cox_ws || !t->lmm_ws) return BCMS_ENOMEM;
    for (int i = 0; i < nm; i++) {
        if (models[i].lin && !(t->lin_ws[i] = glm_linear_ws_new(models[i].lin))) return BCMS_ENOMEM;
        if (models[i].log && !(t->log_ws[i] = glm_logistic_ws_new(models[i].log))) return BCMS_ENOMEM;
        if (models[i].cox && cox_ws_alloc(models[i].cox, &t->cox_ws[i])) return BCMS_ENOMEM;
        if (models[i].lmm && !(t->lmm_ws[i] = lmm_ws_new(models[i].lmm))) return BCMS_ENOMEM;
    }
    return 0;
}

static void thread_free(thread_t *t, int nm)
{
    for (int i = 0; i < nm; i++) {
        if (t->lin_ws && t->lin_ws[i]) glm_linear_ws_free(t->lin_ws[i]);
        if (t->log_ws && t->log_ws[i]) glm_logistic_ws_free(t->log_ws[i]);
        if (t->cox_ws && t->cox_ws[i]) cox_ws_free(t->cox_ws[i]);
        if (t->lmm_ws && t->lmm_ws[i]) lmm_ws_free(t->lmm_ws[i]);
    }
    free(t->lin_ws), free(t->log_ws), free(t->cox_ws), free(t->lmm_ws);
    free(t->codes), free(t->dos), free(t->gres), free(t->cres), free(t->lres);
    bcms_reader_ws_free(t->rws);
}

/* Decode batch b and run every model on it, formatting rows into out. */
static int run_batch(const bcms_reader_t *rd, const bcms_assoc_opts_t *o, model_t *models, int nm, thread_t *t,
                     uint32_t b, int use_ds, kstring_t *out)
{
    const uint8_t *codes;
    const float *ds = NULL;
    uint64_t first;
    uint32_t nv, nsel = bcms_reader_nsamples(rd);
    int rc;
    bcms_reader_batch_range(rd, b, &first, &nv);
    if ((rc = bcms_reader_batch(rd, t->rws, b, &codes, use_ds ? &ds : NULL))) return rc;
    for (int mi = 0; mi < nm; mi++) {
        model_t *m = &models[mi];
        size_t cells = (size_t)nv * m->n;
        if (t->cap_res < nv) {
            glm_result_t *g = realloc(t->gres, sizeof *g * nv);
            cox_result_t *c = realloc(t->cres, sizeof *c * nv);
            lmm_result_t *l = realloc(t->lres, sizeof *l * nv);
            if (g) t->gres = g;
            if (c) t->cres = c;
            if (l) t->lres = l;
            if (!g || !c || !l) return BCMS_ENOMEM;
            t->cap_res = nv;
        }
        if (m->cox) {
            /* Cox reads the reader's matrix directly: its null model maps model samples to columns
             * (geno_index), so no gather */
            rc = use_ds ? cox_test_dosage_block(m->cox, t->cox_ws[mi], &m->cox_opts, (int)nv, ds, nsel, t->cres)
                        : cox_test_gt_block(m->cox, t->cox_ws[mi], &m->cox_opts, (int)nv, codes, nsel, t->cres);
        } else {
            if (t->cap_cells < cells) {
                uint8_t *c = realloc(t->codes, cells);
                double *d = use_ds ? realloc(t->dos, sizeof *d * cells) : t->dos;
                if (c) t->codes = c;
                if (use_ds && d) t->dos = d;
                if (!c || (use_ds && !d)) return BCMS_ENOMEM;
                t->cap_cells = cells;
            }
            /* regression models take their samples contiguous */
            for (uint32_t v = 0; v < nv; v++) {
                const uint8_t *src = codes + (size_t)v * nsel;
                uint8_t *dst = t->codes + (size_t)v * m->n;
                for (uint32_t i = 0; i < m->n; i++) dst[i] = src[m->idx[i]];
                if (use_ds) {
                    const float *fs = ds + (size_t)v * nsel;
                    double *dd = t->dos + (size_t)v * m->n;
                    for (uint32_t i = 0; i < m->n; i++) dd[i] = fs[m->idx[i]];
                }
            }
            if (m->lmm) { /* hard calls, missing at the mean, as GEMMA */
                if ((rc = lmm_test_codes(m->lmm, t->lmm_ws[mi], t->codes, nv, t->lres))) return rc;
                for (uint32_t v = 0; v < nv; v++) {
                    const lmm_result_t *r = &t->lres[v];
                    m->pvals[first + v] = isnan(r->p_wald) ? NAN : r->p_wald < 1e-300 ? 1e-300 : r->p_wald;
                    lmm_format_row(out, bcms_reader_variant(rd, first + v), m->n, r, nm > 1 ? m->pheno : NULL);
                }
                continue;
            }
            if (m->lin)
                rc = use_ds ? glm_linear_dosages(m->lin, t->lin_ws[mi], t->dos, nv, m->n, t->gres)
                            : glm_linear_codes(m->lin, t->lin_ws[mi], t->codes, nv, m->n, t->gres);
            else
                rc = use_ds ? glm_logistic_dosages(m->log, t->log_ws[mi], t->dos, nv, m->n, t->gres)
                            : glm_logistic_codes(m->log, t->log_ws[mi], t->codes, nv, m->n, t->gres);
        }
        if (rc) return rc;
        for (uint32_t v = 0; v < nv; v++) {
            const glm_result_t *g = m->cox ? NULL : &t->gres[v];
            const cox_result_t *c = m->cox ? &t->cres[v] : NULL;
            double p;
            int failed;
            if (g) {
                failed = g->err && g->err != GLM_ERR_UNFINISHED;
                p = g->p;
            } else {
                failed = c->score_status != 0 || (c->fitted && c->fit_status);
                p = c->fitted && !c->fit_status ? c->lrt_p : c->p;
            }
            m->pvals[first + v] = failed || isnan(p) ? NAN : p < 1e-300 ? 1e-300 : p;
            row_line(out, o, bcms_reader_variant(rd, first + v), m, nm > 1, g, c);
        }
    }
    return 0;
}

int bcms_assoc_run(bcms_store_t *st, const bcms_assoc_opts_t *o, bcms_assoc_stats_t *stats)
{
    bcms_reader_t *rd = NULL;
    bcms_colsrc_t *cs = NULL;
    char **phn = NULL, **cvn = NULL, *tmp = NULL, *logpath = NULL;
    int nph = 0, ncv = 0, nm = 0, rc, use_ds;
    bcms_col_t *ph = NULL, *cov = NULL, cx[4];
    model_t *models = NULL;
    thread_t *th = NULL;
    BGZF *out = NULL;
    kstring_t *bufs = NULL, line = {0, 0, NULL};
    uint32_t nb, ring = 0;
    uint8_t *ready = NULL;
    bcms_grm_t grm = {0};

    memset(cx, 0, sizeof cx);
    if ((rc = bcms_assoc_opts_check(o))) return rc;
    if ((rc = bcms_reader_open(st, &o->sel, &rd))) return rc;
    if ((rc = bcms_colsrc_open(st, rd, o->pheno_file, o->covar_file, &cs))) goto done;
    use_ds = o->use_dosages && bcms_reader_has_ds(rd) && o->model != BCMS_MODEL_LMM;
    if (o->model == BCMS_MODEL_LMM && (rc = bcms_grm_load(st, o->grm ? o->grm : "default", &grm))) goto done;

    phn = split_list(o->model == BCMS_MODEL_COX ? o->time : o->pheno, &nph);
    cvn = split_list(o->covar, &ncv);
    if (!nph) {
        rc = bcms_err(BCMS_EINVAL, "no phenotype named");
        goto done;
    }
    if (o->model == BCMS_MODEL_COX && nph > 1) {
        rc = bcms_err(BCMS_EINVAL, "--model cox scans one endpoint at a time (one --time column)");
        goto done;
    }
    ph = calloc(nph, sizeof *ph);
    cov = calloc(ncv + 1, sizeof *cov);
    models = calloc(nph, sizeof *models);
    if (!ph || !cov || !models) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int c = 0; c < ncv; c++)
        if ((rc = bcms_colsrc_get(cs, cvn[c], &cov[c]))) goto done;
    if (o->model == BCMS_MODEL_COX) {
        const char *names[4] = {o->time, o->event, o->entry, o->strata};
        for (int k = 0; k < 4; k++)
            if (names[k] && (rc = bcms_colsrc_get(cs, names[k], &cx[k]))) goto done;
    }
    for (int p = 0; p < nph; p++) {
        if (o->model != BCMS_MODEL_COX && (rc = bcms_colsrc_get(cs, phn[p], &ph[p]))) goto done;
        models[p].pheno = strdup(phn[p]);
        nm++;
        if ((rc = model_setup(&models[p], o, &ph[p], cov, ncv, cx, bcms_reader_nsamples(rd), &grm,
                              bcms_reader_sample_ids(rd))))
            goto done;
        if (!(models[p].pvals = malloc(sizeof(double) * (bcms_reader_nvariants(rd) + 1)))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
    }

    /* output: OUT.tmp, renamed when complete */
    if (asprintf(&tmp, "%s.tmp", o->out) < 0 || asprintf(&logpath, "%s.log", o->out) < 0) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    if (!(out = bgzf_open(tmp, bcms_out_is_gz(o->out) ? "wg" : "wu"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    header_line(&line, o, nph > 1);
    if (bgzf_write(out, line.s, line.l) < 0) goto werr;

    if (!(th = calloc(o->threads, sizeof *th))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int t = 0; t < o->threads; t++)
        if ((rc = thread_init(&th[t], rd, models, nm))) goto done;
    nb = bcms_reader_nbatches(rd);
    ring = (uint32_t)o->threads * 8;
    if (!(bufs = calloc(ring, sizeof *bufs)) || !(ready = calloc(ring, 1))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    {
        /* Batches are taken in order by whichever thread is free and formatted into slot
         * b % ring; the thread that completes the next batch due writes it and every completed one
         * after it. No barrier between batches: a slow batch (many refits) holds back the writing,
         * not the other threads, unless they get a whole ring ahead. */
        uint32_t next = 0, written = 0;
        int err = 0, werr = 0;
        char errmsg[1024] = "";
#pragma omp parallel num_threads(o->threads)
        {
            thread_t *me = &th[omp_get_thread_num()];
            for (;;) {
                uint32_t b;
                int stop;
#pragma omp atomic capture
                b = next++;
                if (b >= nb) break;
                for (;;) { /* the slot of batch b - ring must be written first */
                    int ok;
#pragma omp critical(assoc_out)
                    {
                        stop = err || werr;
                        ok = written + ring > b;
                    }
                    if (ok || stop) break;
                    sched_yield();
                }
                if (stop) break;
                kstring_t *buf = &bufs[b % ring];
                buf->l = 0;
                int r = run_batch(rd, o, models, nm, me, b, use_ds, buf);
#pragma omp critical(assoc_out)
                {
                    if (r && !err) {
                        err = r;
                        snprintf(errmsg, sizeof errmsg, "%s", bcms_err_detail());
                    }
                    ready[b % ring] = 1;
                    while (!err && !werr && written < nb && ready[written % ring]) {
                        kstring_t *w = &bufs[written % ring];
                        if (w->l && bgzf_write(out, w->s, w->l) < 0) werr = 1;
                        ready[written % ring] = 0;
                        written++;
                    }
                }
            }
        }
        if (err) {
            rc = bcms_err(err, "%s", errmsg);
            goto done;
        }
        if (werr) goto werr;
    }
    if (bgzf_close(out) < 0) {
        out = NULL;
        goto werr;
    }
    out = NULL;

    /* counts, lambda GC, summary */
    {
        FILE *lf = fopen(logpath, "w");
        uint64_t nv = bcms_reader_nvariants(rd);
        if (!lf) {
            rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", logpath, strerror(errno));
            goto done;
        }
        fprintf(lf, "tool\tbcms %s\ncommand\t%s\nmodel\t%s\nchunk\t%d/%d\nvariants\t%llu\nfiltered\t%llu\n", BCMS_VERSION,
                o->command ? o->command : "", o->model == BCMS_MODEL_LINEAR ? "linear"
                : o->model == BCMS_MODEL_LOGISTIC ? "logistic" : o->model == BCMS_MODEL_LMM ? "lmm" : "cox", o->sel.chunk_n ? o->sel.chunk_k : 1,
                o->sel.chunk_n ? o->sel.chunk_n : 1, (unsigned long long)nv,
                (unsigned long long)bcms_reader_nfiltered(rd));
        for (int p = 0; p < nm; p++) {
            model_t *m = &models[p];
            uint64_t k = 0;
            for (uint64_t i = 0; i < nv; i++)
                if (!isnan(m->pvals[i])) m->pvals[k++] = m->pvals[i];
            m->tested = k;
            m->failed = nv - k;
            double lam = lambda_gc(m->pvals, k);
            fprintf(lf, "pheno\t%s\tsamples=%u\ttested=%llu\tfailed=%llu\tlambda_gc=%.4f", m->pheno, m->n,
                    (unsigned long long)m->tested, (unsigned long long)m->failed, lam);
            if (m->cox) fprintf(lf, "\tevents=%d", m->n_event);
            fputc('\n', lf);
            bcms_log(BCMS_LOG_INFO, "%s: %u samples%s, %llu variants tested, %llu with an error code, %llu removed by "
                     "filters; lambda GC = %.4f", m->pheno, m->n, m->cox ? " (Cox)" : "",
                     (unsigned long long)m->tested, (unsigned long long)m->failed,
                     (unsigned long long)bcms_reader_nfiltered(rd), lam);
            if (p == 0 && stats) {
                stats->tested = m->tested;
                stats->failed = m->failed;
                stats->filtered = bcms_reader_nfiltered(rd);
                stats->nsamples = m->n;
                stats->lambda_gc = lam;
            }
        }
        fprintf(lf, "status\tcomplete\n");
        if (fclose(lf) != 0) {
            rc = bcms_err(BCMS_EIO, "%s: write failed", logpath);
            goto done;
        }
    }
    if (rename(tmp, o->out) != 0) {
        rc = bcms_err(BCMS_EIO, "%s: cannot rename to %s: %s", tmp, o->out, strerror(errno));
        goto done;
    }
    rc = 0;
    goto done;
werr:
    rc = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", tmp);
done:
    if (out) bgzf_close(out);
    if (rc && tmp) remove(tmp);
    if (th)
        for (int t = 0; t < o->threads; t++) thread_free(&th[t], nm);
    free(th);
    if (bufs)
        for (uint32_t w = 0; w < ring; w++) free(bufs[w].s);
    free(bufs);
    free(ready);
    free(line.s);
    for (int p = 0; p < nm; p++) model_free(&models[p]);
    free(models);
    for (int p = 0; ph && p < nph; p++) bcms_col_free(&ph[p]);
    for (int c = 0; cov && c < ncv; c++) bcms_col_free(&cov[c]);
    for (int k = 0; k < 4; k++) bcms_col_free(&cx[k]);
    free(ph);
    free(cov);
    free_list(phn, nph);
    free_list(cvn, ncv);
    free(tmp);
    free(logpath);
    bcms_colsrc_close(cs);
    bcms_reader_close(rd);
    bcms_grm_clear(&grm);
    return rc;
}

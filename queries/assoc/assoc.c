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
#include "assoc_internal.h"
#include "cox.h"
#include "covar.h"
#include "err.h"
#include "glm.h"
#include "lmm.h"
#include "outfile.h"
#include "cluster.h"
#include "assoc_resume.h"
#include "bcms_version.h"

void bcms_assoc_opts_init(bcms_assoc_opts_t *o)
{
    memset(o, 0, sizeof *o);
    bcms_reader_opts_init(&o->sel);
    o->threads = 1;
    o->use_dosages = 1;
    o->cox_fit_p = 1e-4;
    o->xchr_model = 2;
    o->loco_folds = 5;
    o->loco_shrink = 0; /* the model's default: assoc_loco_shrink */
}

int bcms_assoc_opts_check(const bcms_assoc_opts_t *o)
{
    if (o->model < BCMS_MODEL_LINEAR || o->model > BCMS_MODEL_LMM)
        return bcms_err(BCMS_EINVAL, "--model must be linear, logistic, cox or lmm");
    if (o->model == BCMS_MODEL_LMM && (o->by_cohort || o->format == BCMS_OUT_GWAS_SSF))
        return bcms_err(BCMS_EINVAL, "--model lmm writes its own TSV: run it without --by-cohort and --format gwas-ssf");
    if (o->resume && o->format == BCMS_OUT_GWAS_SSF)
        return bcms_err(BCMS_EINVAL, "--resume writes the TSV table; run it without --format gwas-ssf");
    if (o->by_cohort && (o->resume || o->format == BCMS_OUT_GWAS_SSF))
        return bcms_err(BCMS_EINVAL, "--by-cohort writes one TSV per cohort: run it without --resume and --format gwas-ssf");
    if (o->model == BCMS_MODEL_COX) {
        if (!o->time || !o->event) return bcms_err(BCMS_EINVAL, "--model cox needs --time and --event");
    } else if (!o->pheno || !*o->pheno) {
        return bcms_err(BCMS_EINVAL, "--pheno NAME is required for --model %s",
                        o->model == BCMS_MODEL_LINEAR ? "linear" : o->model == BCMS_MODEL_LMM ? "lmm" : "logistic");
    }
    if (!o->out || !*o->out) return bcms_err(BCMS_EINVAL, "-o OUT is required");
    if (o->loco && o->model != BCMS_MODEL_LMM)
        return bcms_err(BCMS_EINVAL, "--loco is for --model lmm (logistic and cox have --loco-pred)");
    if ((o->offset || o->loco_pred) && o->model != BCMS_MODEL_LOGISTIC && o->model != BCMS_MODEL_COX)
        return bcms_err(BCMS_EINVAL, "--offset and --loco-pred apply to --model logistic and cox");
    if (!(o->loco_shrink >= 0 && o->loco_shrink <= 1)) /* 0: the model's default */
        return bcms_err(BCMS_EINVAL, "--loco-shrink must be in (0, 1], got %g", o->loco_shrink);
    if (o->loco_pred && o->by_cohort) return bcms_err(BCMS_EINVAL, "--loco-pred scans one cohort: drop --by-cohort");
    if (o->threads < 1) return bcms_err(BCMS_EINVAL, "--threads must be at least 1");
    if (o->xchr_model < 0 || o->xchr_model > 2) return bcms_err(BCMS_EINVAL, "--xchr-model must be 0, 1 or 2");
    if (!(o->cox_fit_p >= 0)) return bcms_err(BCMS_EINVAL, "the Cox refit threshold must be >= 0");
    if (o->format == BCMS_OUT_GWAS_SSF) {
        if (o->sel.chunk_n)
            return bcms_err(BCMS_EINVAL, "--format gwas-ssf describes a whole scan (metadata, md5sum, is_sorted): "
                            "run the chunks as TSV and merge them");
        int rc = bcms_ssf_check_meta(o);
        if (rc) return rc;
    } else if (o->n_ssf_meta) {
        return bcms_err(BCMS_EINVAL, "--ssf-meta is for --format gwas-ssf");
    }
    return bcms_reader_opts_check(&o->sel);
}

typedef struct {
    uint8_t *codes;
    double *dos;
    glm_result_t *gres;
    cox_result_t *cres;
    const char **drop;   /* per result: COVAR_DROPPED, or NULL (".") */
    uint8_t *subfail;    /* per result: a SUB_* failure of the variant's subset or sex-chromosome model */
    const model_t **used; /* per result: the model that gave its numbers */
    assoc_sub_t **sub;   /* per model: models over subsets of the datasets */
    size_t cap_cells, cap_res;
    glm_linear_ws_t **lin_ws;
    glm_logistic_ws_t **log_ws;
    cox_ws_t **cox_ws;
    lmm_ws_t **lmm_ws;
    assoc_hap_ws_t **hap_ws; /* per model: chrX/chrY/chrM (assoc_sexchr.c) */
    lmm_result_t *lres;
    bcms_reader_ws_t *rws;
    int id;              /* its index (lmm --loco: its workspaces) */
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

/* --by-cohort: the cohort of each reader sample (datasets sharing a cohort name are one cohort). */
static int cohorts_of_samples(const bcms_reader_t *rd, int **scoh, const char ***names, int *ncoh)
{
    int nd = bcms_reader_ndatasets(rd), *dcoh = malloc(sizeof(int) * (nd + 1));
    uint32_t ns = bcms_reader_nsamples(rd);
    const uint32_t *sd = bcms_reader_sample_dataset(rd);
    *ncoh = 0;
    *scoh = malloc(sizeof **scoh * (ns + 1));
    *names = malloc(sizeof **names * (nd + 1));
    if (!dcoh || !*scoh || !*names) {
        free(dcoh);
        return BCMS_ENOMEM;
    }
    for (int d = 0; d < nd; d++) {
        const char *nm = bcms_reader_dataset_name(rd, d);
        int c = 0;
        while (c < *ncoh && strcmp((*names)[c], nm)) c++;
        if (c == *ncoh) (*names)[(*ncoh)++] = nm;
        dcoh[d] = c;
    }
    for (uint32_t s = 0; s < ns; s++) (*scoh)[s] = dcoh[sd[s]];
    free(dcoh);
    return 0;
}

static int thread_init(thread_t *t, const bcms_reader_t *rd, model_t *models, int nm)
{
    memset(t, 0, sizeof *t);
    if (!(t->rws = bcms_reader_ws_new(rd))) return BCMS_ENOMEM;
    t->lin_ws = calloc(nm, sizeof *t->lin_ws);
    t->log_ws = calloc(nm, sizeof *t->log_ws);
    t->cox_ws = calloc(nm, sizeof *t->cox_ws);
    t->lmm_ws = calloc(nm, sizeof *t->lmm_ws);
    t->sub = calloc(nm, sizeof *t->sub);
    t->hap_ws = calloc(nm, sizeof *t->hap_ws);
    if (!t->lin_ws || !t->log_ws || !t->cox_ws || !t->lmm_ws || !t->sub || !t->hap_ws) return BCMS_ENOMEM;
    for (int i = 0; i < nm; i++) {
        if (models[i].hap && !(t->hap_ws[i] = assoc_hap_ws_new(&models[i], bcms_reader_nsamples(rd)))) return BCMS_ENOMEM;
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
        if (t->sub) assoc_sub_free(t->sub[i]);
        if (t->hap_ws) assoc_hap_ws_free(t->hap_ws[i]);
    }
    free(t->hap_ws);
    free(t->sub), free(t->drop), free(t->subfail), free(t->used);
    free(t->lin_ws), free(t->log_ws), free(t->cox_ws), free(t->lmm_ws);
    free(t->codes), free(t->dos), free(t->gres), free(t->cres), free(t->lres);
    bcms_reader_ws_free(t->rws);
}

enum { SUB_FAIL = 1, SUB_SEXFAIL = 2, SUB_SKIP = 3 };

/* the variants of the batch that some of the model's datasets lack: on those datasets' samples */
static int subset_pass(const bcms_reader_t *rd, const model_t *m, thread_t *t, int mi, uint64_t first, uint32_t nv,
                       const uint8_t *codes, const float *ds)
{
    uint32_t nsel = bcms_reader_nsamples(rd);
    int nds = bcms_reader_ndatasets(rd);
    for (uint32_t v = 0; v < nv; v++) {
        size_t r = (size_t)mi * nv + v;
        int handled = 0, rc = 0;
        t->drop[r] = NULL;
        t->subfail[r] = 0;
        t->used[r] = m;
        int hap = bcms_reader_variant(rd, first + v)->hap;
        if (hap != BCMS_HAP_NONE && m->hap) {
            const char *err;
            rc = assoc_hap_variant(m, t->hap_ws[mi], hap, codes + (size_t)v * nsel, nsel, &t->gres[r], &t->cres[r],
                                   &t->drop[r], &t->used[r], &err);
            if (rc) return rc;
            t->subfail[r] = !err ? 0 : !strcmp(err, "SKIP") ? SUB_SKIP : !strcmp(err, "SUBSET_MODEL_FAIL") ? SUB_FAIL
                                                                                                         : SUB_SEXFAIL;
            continue;
        }
        if ((int)bcms_reader_variant(rd, first + v)->ndatasets >= nds) continue;
        rc = assoc_sub_variant(m, &t->sub[mi], codes + (size_t)v * nsel, ds ? ds + (size_t)v * nsel : NULL, nsel,
                               &t->gres[r], &t->cres[r], &t->drop[r], &t->used[r], &handled);
        if (rc) return rc;
        t->subfail[r] = handled == 2 ? SUB_FAIL : 0;
    }
    return 0;
}

/* Decode batch b and run every model on it, formatting rows into out. */
static int run_batch(const bcms_reader_t *rd, const bcms_assoc_opts_t *o, model_t *models, int nm, int multi,
                     thread_t *t, uint32_t b, int use_ds, uint64_t pv0, kstring_t *out)
{
    const uint8_t *codes;
    const float *ds = NULL;
    uint64_t first;
    uint32_t nv, nsel = bcms_reader_nsamples(rd);
    int rc;
    bcms_reader_batch_range(rd, b, &first, &nv);
    if ((rc = bcms_reader_batch(rd, t->rws, b, &codes, use_ds ? &ds : NULL))) return rc;
    size_t nres = (size_t)nv * nm;
    if (t->cap_res < nres) {
        glm_result_t *g = realloc(t->gres, sizeof *g * nres);
        cox_result_t *c = realloc(t->cres, sizeof *c * nres);
        const char **dr = realloc(t->drop, sizeof *dr * nres);
        uint8_t *sf = realloc(t->subfail, nres);
        const model_t **um = realloc(t->used, sizeof *um * nres);
        lmm_result_t *l = realloc(t->lres, sizeof *l * nv);
        if (l) t->lres = l;
        if (!l) return BCMS_ENOMEM;
        if (um) t->used = um;
        if (g) t->gres = g;
        if (c) t->cres = c;
        if (dr) t->drop = dr;
        if (sf) t->subfail = sf;
        if (!g || !c || !dr || !sf || !um) return BCMS_ENOMEM;
        t->cap_res = nres;
    }
    for (int mi = 0; mi < nm; mi++) {
        model_t *m = &models[mi];
        size_t cells = (size_t)nv * m->n;
        glm_result_t *gres = t->gres + (size_t)mi * nv;
        cox_result_t *cres = t->cres + (size_t)mi * nv;
        if (m->cox) {
            /* Cox reads the reader's matrix directly: its null model maps model samples to columns
             * (geno_index), so no gather */
            rc = assoc_model_cox_block(m, t->cox_ws[mi], rd, first, nv, codes, use_ds ? ds : NULL, nsel, cres);
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
            if (o->model == BCMS_MODEL_LMM) { /* hard calls, missing at the mean, as GEMMA */
                rc = m->lmm ? lmm_test_codes(m->lmm, t->lmm_ws[mi], t->codes, nv, t->lres)
                            : assoc_lmmloco_block(m, t->id, rd, first, nv, t->codes, t->lres);
                if (rc) return rc;
                for (uint32_t v = 0; v < nv; v++) {
                    const lmm_result_t *r = &t->lres[v];
                    m->pvals[first - pv0 + v] = isnan(r->p_wald) ? NAN : r->p_wald < 1e-300 ? 1e-300 : r->p_wald;
                    lmm_format_row(out, bcms_reader_variant(rd, first + v), m->n, r, multi ? m->pheno : NULL);
                }
                continue;
            }
            if (m->lin)
                rc = use_ds ? glm_linear_dosages(m->lin, t->lin_ws[mi], t->dos, nv, m->n, gres)
                            : glm_linear_codes(m->lin, t->lin_ws[mi], t->codes, nv, m->n, gres);
            else
                rc = assoc_model_logistic_block(m, t->log_ws[mi], rd, first, nv, t->codes, use_ds ? t->dos : NULL, gres);
        }
        if (rc) return rc;
        if ((rc = subset_pass(rd, m, t, mi, first, nv, codes, ds))) return rc;
    }
    /* variant-major: a variant's rows for every phenotype together, so chunk boundaries (which move
     * batch boundaries) never change the row order */
    for (uint32_t v = 0; v < nv; v++)
        for (int mi = 0; mi < nm; mi++) {
            model_t *m = &models[mi];
            size_t r = (size_t)mi * nv + v;
            if (o->model == BCMS_MODEL_LMM) continue; /* written by the model itself above */
            const glm_result_t *g = m->cox ? NULL : &t->gres[r];
            const cox_result_t *c = m->cox ? &t->cres[r] : NULL;
            const char *errov = NULL;
            glm_result_t gf;
            cox_result_t cf;
            double p;
            int failed;
            if (t->subfail[r] == SUB_SKIP) { /* --xchr-model 0: no row, as plink2 */
                m->pvals[first - pv0 + v] = NAN;
                continue;
            }
            if (t->subfail[r]) { /* no model on the samples of the datasets (or the sex) that have the variant */
                errov = t->subfail[r] == SUB_FAIL ? "SUBSET_MODEL_FAIL" : "SEXCHR_MODEL_FAIL";
                if (g) gf = *g, gf.err = GLM_ERR_CONST_ALLELE, g = &gf;
                else cf = *c, cf.score_status = BCMS_ENUMERIC, cf.fitted = 0, cox_report(&m->cox_opts, &cf), c = &cf;
            }
            if (g) {
                failed = g->err && g->err != GLM_ERR_UNFINISHED;
                p = g->p;
            } else {
                failed = c->score_status != 0; /* a failed refit keeps its score P */
                p = c->p;
            }
            m->pvals[first - pv0 + v] = failed || isnan(p) ? NAN : p < 1e-300 ? 1e-300 : p;
            assoc_row_line(out, o, bcms_reader_variant(rd, first + v), t->used[r], multi, g, c, errov, t->drop[r]);
        }
    return 0;
}

/* What a batch needs from the scan (assoc_sched_run's callback). */
typedef struct {
    const bcms_reader_t *rd;
    const bcms_assoc_opts_t *o;
    model_t *models;
    int nm, multi, use_ds;
    thread_t *th;
    uint64_t pv0; /* the window's first variant: pvals[m][i - pv0] */
} scan_ctx_t;

static int scan_batch(void *ctx, int thread, uint32_t b, kstring_t *out)
{
    scan_ctx_t *c = ctx;
    return run_batch(c->rd, c->o, c->models, c->nm, c->multi, &c->th[thread], b, c->use_ds, c->pv0, out);
}

/* --resume: a continued scan's recorded p-values into model m's lambda GC spill */
static int spill_restore(void *ud, int m, const double *p, uint64_t n)
{
    return assoc_pvspill_add((assoc_pvspill_t *)ud + m, p, n);
}

static uint64_t batch_first_row(void *ctx, uint32_t b)
{
    const bcms_reader_t *rd = ctx;
    uint64_t first;
    uint32_t nv;
    if (b >= bcms_reader_nbatches(rd)) return bcms_reader_nvariants(rd);
    bcms_reader_batch_range(rd, b, &first, &nv);
    return first;
}

/* --resume at the end of the stream: a checkpoint past the scan's batches, or whose rows are not
 * the scan's, is not this scan's (1: the stream has ended). */
static int resume_at_end(const bcms_reader_t *rd, const assoc_resume_t *rs, uint32_t start, uint64_t start_row)
{
    uint32_t nb = bcms_reader_nbatches(rd);
    if (!rs || (start < nb) || (start == nb && start_row == bcms_reader_nvariants(rd))) return 1;
    return bcms_err(BCMS_ECORRUPT, "the checkpoint covers %u batches (%llu rows) but the scan has %u (%llu rows); "
                    "remove the .partial files of the output to start afresh", start, (unsigned long long)start_row, nb,
                    (unsigned long long)bcms_reader_nvariants(rd));
}

/* One window of the reader through the scheduler (1: the stream has ended); rank 0 keeps the
 * p-values tested (for lambda GC) in spill files, not memory. Streaming, the p-value arrays hold one
 * window. load carries the MPI ranks' shares from window to window (assoc_sched.c). */
static int scan_window(bcms_reader_t *rd, const bcms_assoc_opts_t *o, const bcms_assoc_opts_t *oi, model_t *models,
                       int nm, int multi, int use_ds, thread_t *th, double **pvs, assoc_pvspill_t *spill, BGZF *out,
                       bcms_outfile_t *of, const char *outname, uint32_t start, uint64_t start_row, assoc_resume_t *rs,
                       uint64_t *xskip, uint64_t *load)
{
    uint32_t b0, nb, n0;
    uint64_t pv0, wn, skip = 0;
    int rc;
    if ((rc = bcms_reader_next(rd, &b0, &nb))) return rc;
    if (!nb) return resume_at_end(rd, rs, start, start_row);
    bcms_reader_batch_range(rd, b0, &pv0, &n0);
    wn = bcms_reader_nvariants(rd) - pv0;
    for (int p = 0; p < nm; p++) {
        double *a = realloc(models[p].pvals, sizeof *a * (wn + 1));
        if (!a) return BCMS_ENOMEM;
        models[p].pvals = pvs[p] = a;
    }
    /* --resume: batches before start are in the output, their p-values in the spill */
    if (start > b0) skip = start < b0 + nb ? batch_first_row(rd, start) - pv0 : wn;
    if (rs && start >= b0 && start < b0 + nb && pv0 + skip != start_row)
        return bcms_err(BCMS_ECORRUPT, "%s.partial.ckpt: its %u batches end at row %llu, the scan's at %llu; remove "
                        "the %s.partial files to start afresh", outname, start, (unsigned long long)start_row,
                        (unsigned long long)(pv0 + skip), outname);
    assoc_resume_window(rs, pv0);
    scan_ctx_t sc = {rd, oi, models, nm, multi, use_ds, th, pv0};
    /* lmm --loco: segments of batches, each with its chromosomes' models (assoc_lmmloco.c); a window
     * wholly before --resume's checkpoint is not computed */
    for (uint32_t s0 = b0, s1 = b0 + nb; skip < wn && s0 < b0 + nb; s0 = s1) {
        if (models[0].lmmloco && (rc = assoc_lmmloco_segment(models[0].lmmloco, rd, s0, b0 + nb, start, &s1)))
            return rc;
        /* a run of few batches needs no more threads than batches (the output never depends on them) */
        int nt = (uint32_t)o->threads < s1 - s0 ? o->threads : (int)(s1 - s0);
        if ((rc = assoc_sched_run(rd, nt, pvs, pv0, nm, scan_batch, &sc, out, of, outname, s0, s1, start, rs, load)))
            return rc;
    }
    if (bcms_cluster_rank() == 0)
        for (int p = 0; p < nm; p++)
            if ((rc = assoc_pvspill_add(&spill[p], models[p].pvals + skip, wn - skip))) return rc;
    if (o->xchr_model == 0 && o->model != BCMS_MODEL_LMM)
        for (uint64_t i = pv0; i < pv0 + wn; i++) *xskip += bcms_reader_variant(rd, i)->hap == BCMS_HAP_X;
    return 0;
}

static int scan_windows(bcms_reader_t *rd, const bcms_assoc_opts_t *o, const bcms_assoc_opts_t *oi, model_t *models,
                        int nm, int multi, int use_ds, thread_t *th, double **pvs, assoc_pvspill_t *spill, BGZF *out,
                        bcms_outfile_t *of, const char *outname, uint32_t start, uint64_t start_row,
                        assoc_resume_t *rs, uint64_t *xskip)
{
    uint64_t *load = calloc((size_t)bcms_cluster_size() + 1, sizeof *load);
    int rc = load ? 0 : BCMS_ENOMEM;
    while (!rc)
        rc = scan_window(rd, o, oi, models, nm, multi, use_ds, th, pvs, spill, out, of, outname, start, start_row, rs,
                         xskip, load);
    free(load);
    return rc == 1 ? 0 : rc;
}

/* What makes two runs the same scan for --resume: the command without the options that do not
 * change the rows (-o, --threads, --resume), and the store's last transaction. Caller frees. */
static char *resume_key(bcms_store_t *st, const char *command)
{
    kstring_t k = {0, 0, NULL};
    MDB_envinfo info;
    char *cmd = strdup(command ? command : ""), *save = NULL;
    if (!cmd) return NULL;
    /* the first word is the program as invoked (a path or "bcms"): not part of the scan */
    for (char *t = (strtok_r(cmd, " ", &save), strtok_r(NULL, " ", &save)); t; t = strtok_r(NULL, " ", &save)) {
        if (!strcmp(t, "-o") || !strcmp(t, "--out") || !strcmp(t, "--threads") || !strcmp(t, "--memory")) {
            strtok_r(NULL, " ", &save);
            continue;
        }
        if (!strcmp(t, "--resume") || !strncmp(t, "--threads=", 10) || !strncmp(t, "--out=", 6) ||
            !strncmp(t, "--memory=", 9))
            continue;
        kputs(t, &k), kputc(' ', &k);
    }
    free(cmd);
    mdb_env_info(bcms_store_env(st), &info);
    ksprintf(&k, "store_txn=%zu", (size_t)info.me_last_txnid);
    return k.s;
}

int bcms_assoc_run(bcms_store_t *st, const bcms_assoc_opts_t *o, bcms_assoc_stats_t *stats)
{
    bcms_reader_t *rd = NULL;
    bcms_colsrc_t *cs = NULL;
    char **phn = NULL, **cvn = NULL, *tmp = NULL, *logpath = NULL;
    int nph = 0, ncv = 0, nm = 0, rc, use_ds, ncoh = 1, *scoh = NULL;
    uint64_t hapv[3] = {0, 0, 0}; /* whether the scan may meet chrX (outside the PARs), chrY, chrM */
    uint64_t xskip = 0;           /* chrX variants not tested (--xchr-model 0) */
    const char **cnames = NULL;
    bcms_col_t *ph = NULL, *cov = NULL, cx[4], offc = {0};
    model_t *models = NULL;
    thread_t *th = NULL;
    BGZF *out = NULL;
    kstring_t line = {0, 0, NULL};
    assoc_resume_t *rs = NULL;
    double **pvs = NULL;
    assoc_pvspill_t *spill = NULL;
    uint32_t start = 0;
    uint64_t start_row = 0;       /* --resume: the first row of batch start */
    kstring_t fpdesc = {0, 0, NULL};
    bcms_grm_t grm = {0};
    assoc_lmmloco_t *lmmloco = NULL;
    char fphex[33] = "";
    char *logbuf = NULL;
    size_t loglen = 0;
    bcms_outfile_t *of = NULL, *lof = NULL;

    memset(cx, 0, sizeof cx);
    if ((rc = bcms_assoc_opts_check(o))) return rc;
    /* GWAS-SSF: the ordinary table (every column, PHENO on every row) into OUT.tmp, converted at the end */
    bcms_assoc_opts_t oi = *o;
    int ssf = o->format == BCMS_OUT_GWAS_SSF, multi;
    if (ssf) oi.format = BCMS_OUT_TSV, oi.ci = 1;
    /* stream the variants window by window (memory flat in their count), --resume too */
    bcms_reader_opts_t ro = o->sel;
    ro.stream = 1;
    /* K_-c's reads hold a window beside the scan's: 1/8 of the budget for them, the rest for the scan
     * (they read one chromosome once; the window's size does not change their bits) */
    bcms_reader_opts_t kro = ro;
    if (o->model == BCMS_MODEL_LMM && o->loco) {
        const uint32_t w = ro.window ? ro.window : 1u << 16;
        if (ro.memory_mb > 0) kro.memory_mb = ro.memory_mb / 8, ro.memory_mb -= kro.memory_mb;
        else kro.window = w / 8 ? w / 8 : 1, ro.window = w > kro.window ? w - kro.window : 1;
    }
    if ((rc = bcms_reader_open(st, &ro, &rd))) return rc;
    /* the snapshot the reader sees: taken before any batch is read */
    if ((rc = bcms_assoc_fingerprint(st, o, &fpdesc, fphex))) goto done;
    if ((rc = bcms_colsrc_open_opts(st, rd, o, &cs))) goto done;
    use_ds = o->use_dosages && bcms_reader_has_ds(rd) && o->model != BCMS_MODEL_LMM;
    if (o->model == BCMS_MODEL_LMM && (rc = bcms_grm_load(st, o->grm ? o->grm : "default", &grm))) goto done;
    if (o->by_cohort && (rc = cohorts_of_samples(rd, &scoh, &cnames, &ncoh))) goto done;

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
    models = calloc((size_t)nph * ncoh, sizeof *models);
    spill = calloc((size_t)nph * ncoh, sizeof *spill);
    if (!ph || !cov || !models || !spill) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int c = 0; c < ncv; c++)
        if ((rc = bcms_colsrc_get_as(cs, cvn[c], BCMS_ROLE_COVAR, &cov[c]))) goto done;
    if (o->offset && (rc = bcms_colsrc_get_as(cs, o->offset, BCMS_ROLE_COVAR, &offc))) goto done;
    if (o->offset && offc.type == BCMS_COL_CATEG) {
        rc = bcms_err(BCMS_EINPUT, "--offset %s is a categorical column: an offset must be numeric", o->offset);
        goto done;
    }
    if (o->model == BCMS_MODEL_COX) {
        const char *names[4] = {o->time, o->event, o->entry, o->strata};
        static const int roles[4] = {BCMS_ROLE_TIME, BCMS_ROLE_EVENT, BCMS_ROLE_ENTRY, BCMS_ROLE_STRATA};
        for (int k = 0; k < 4; k++)
            if (names[k] && (rc = bcms_colsrc_get_as(cs, names[k], roles[k], &cx[k]))) goto done;
        if ((rc = bcms_colsrc_check_cox(cs, cx, cov, ncv))) goto done;
    }
    /* the ploidy classes the scan may meet: chrX, chrY and chrM get their own models (assoc_sexchr.c);
     * streaming, the variants are not known yet, the datasets' contigs are */
    for (int h = BCMS_HAP_X; h <= BCMS_HAP_MT; h++) hapv[h - 1] = (uint64_t)bcms_reader_has_ploidy(rd, h);
    if (use_ds && o->model != BCMS_MODEL_LMM && (hapv[0] || hapv[1] || hapv[2]))
        bcms_log(BCMS_LOG_INFO, "chrX (outside the PARs), chrY and chrM are tested on hard calls: a haploid sample's "
                 "DS is on the 0..1 or the 0..2 scale depending on the imputation server");
    for (int mi = 0; mi < nph * ncoh; mi++) {
        int p = mi % nph, role = o->model == BCMS_MODEL_LINEAR ? BCMS_ROLE_LINEAR : BCMS_ROLE_LOGISTIC;
        if (mi < nph && o->model != BCMS_MODEL_COX && (rc = bcms_colsrc_get_as(cs, phn[p], role, &ph[p]))) goto done;
        if (o->model != BCMS_MODEL_COX && nph > 1 && !bcms_col_count_present(&ph[p], bcms_reader_nsamples(rd))) {
            if (mi < nph) bcms_log(BCMS_LOG_WARN, "phenotype %s has no value for any sample of the scan: skipped", phn[p]);
            continue;
        }
        models[nm].pheno = strdup(phn[p]);
        models[nm].scoh = scoh, models[nm].coh = mi / nph, models[nm].cohort = scoh ? cnames[mi / nph] : NULL;
        nm++;
        models[nm - 1].grm = &grm, models[nm - 1].sample_ids = bcms_reader_sample_ids(rd);
        models[nm - 1].offc = o->offset ? &offc : NULL;
        if ((rc = assoc_model_setup(&models[nm - 1], o, &ph[p], cov, ncv, cx, bcms_reader_nsamples(rd),
                                    bcms_reader_sample_dataset(rd), bcms_reader_ndatasets(rd))))
            goto done;
        if (o->model != BCMS_MODEL_LMM && (hapv[0] || hapv[1] || hapv[2]) &&
            (rc = assoc_hap_setup(&models[nm - 1], o, bcms_reader_sample_sex(rd), bcms_reader_nsamples(rd), hapv[0],
                                  hapv[1], bcms_reader_ndatasets(rd))))
            goto done;
        if (o->loco_pred && (hapv[0] || hapv[1] || hapv[2])) { /* their models have no LOCO offset yet */
            rc = bcms_err(BCMS_EINVAL, "--loco-pred covers the autosomes only, and the scan has chrX, chrY or chrM "
                          "variants: restrict it to the autosomes (-r 1,2,...,22) and scan those separately");
            goto done;
        }
        if (o->loco_pred && (rc = assoc_model_loco(&models[nm - 1], st, rd))) goto done;
        if (!(models[nm - 1].pvals = malloc(sizeof(double) * (bcms_reader_nvariants(rd) + 1)))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
    }
    if (!nm) {
        rc = bcms_err(BCMS_EINPUT, "none of the phenotypes %s has a value for a sample of the scan; check the sample "
                      "IDs of the phenotype file", o->pheno);
        goto done;
    }
    if (o->loco && (rc = assoc_lmmloco_open(&lmmloco, st, o->grm ? o->grm : "default", &grm, models, nm, o->threads,
                                           &kro)))
        goto done;

    /* output and OUT.log: exclusive temporary files, renamed when complete (outfile.h); GWAS-SSF and
     * --by-cohort write the table to OUT.tmp first and convert or split it at the end; --resume writes
     * OUT.partial with its checkpoints (assoc_resume.h) */
    if (asprintf(&tmp, "%s%s.tmp", o->out, ssf ? ".scan" : "") < 0 || asprintf(&logpath, "%s.log", o->out) < 0) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    multi = nm / ncoh > 1 || ssf; /* phenotypes kept (every cohort has the same ones) */
    assoc_header_line(&line, &oi, multi);
    if (bcms_cluster_rank() == 0 && strcmp(o->out, "-") && (rc = bcms_outfile_open(logpath, 0, &lof))) goto done;
    if (bcms_cluster_rank() == 0 && o->resume) {
        char *key = resume_key(st, o->command);
        if (key && (pvs = malloc(sizeof *pvs * nm)))
            for (int p = 0; p < nm; p++) pvs[p] = models[p].pvals;
        if (!key || !pvs) {
            free(key);
            rc = BCMS_ENOMEM;
            goto done;
        }
        rc = assoc_resume_open(o->out, key, bcms_out_is_gz(o->out), nm, pvs, batch_first_row, rd, spill_restore,
                               spill, line.s, line.l, &out, &start, &start_row, &rs);
        free(key);
        if (rc) goto done;
    } else if (bcms_cluster_rank() == 0 && (ssf || scoh)) {
        if (!(out = bgzf_open(tmp, bcms_out_is_gz(o->out) && !ssf ? "w" : "wu"))) {
            rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
            goto done;
        }
        if (bgzf_write(out, line.s, line.l) < 0) goto werr;
    } else if (bcms_cluster_rank() == 0) {
        if ((rc = bcms_outfile_open(o->out, 0, &of))) goto done;
        if ((rc = bcms_outfile_write(of, line.s, line.l))) goto done;
    }
    if ((rc = bcms_cluster_bcast_u32(&start))) goto done;

    if (!(th = calloc(o->threads, sizeof *th))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int t = 0; t < o->threads; t++) {
        if ((rc = thread_init(&th[t], rd, models, nm))) goto done;
        th[t].id = t;
    }
    if (!pvs && !(pvs = malloc(sizeof *pvs * nm))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int p = 0; p < nm; p++) pvs[p] = models[p].pvals;
    if ((rc = scan_windows(rd, o, &oi, models, nm, multi, use_ds, th, pvs, spill, out, of, rs ? o->out : tmp, start,
                          start_row, rs, &xskip)))
        goto done;
    if (bcms_cluster_rank() != 0) { /* rank 0 writes OUT and its log */
        rc = 0;
        goto done;
    }
    if (out && bgzf_close(out) < 0) {
        out = NULL;
        goto werr;
    }
    out = NULL;

    /* counts, lambda GC, summary */
    {
        FILE *lf = open_memstream(&logbuf, &loglen);
        uint64_t nv = bcms_reader_nvariants(rd);
        if (!lf) {
            rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", logpath, strerror(errno));
            goto done;
        }
        fprintf(lf, "tool\tbcms %s\ncommand\t%s\nscan\t%s\nfingerprint\t%s\nmodel\t%s\nchunk\t%d/%d\nvariants\t%llu\n"
                "filtered\t%llu\n", BCMS_VERSION, o->command ? o->command : "", fpdesc.s, fphex,
                o->model == BCMS_MODEL_LINEAR ? "linear"
                : o->model == BCMS_MODEL_LOGISTIC ? "logistic" : o->model == BCMS_MODEL_LMM ? "lmm" : "cox",
                o->sel.chunk_n ? o->sel.chunk_k : 1,
                o->sel.chunk_n ? o->sel.chunk_n : 1, (unsigned long long)nv,
                (unsigned long long)bcms_reader_nfiltered(rd));
        if (xskip) fprintf(lf, "skipped\t%llu chrX variants (--xchr-model 0)\n", (unsigned long long)xskip);
        for (int p = 0; p < nm; p++) {
            model_t *m = &models[p];
            int lerr;
            m->tested = spill[p].n;
            m->failed = nv - spill[p].n - xskip; /* --xchr-model 0 rows are not tests */
            double lam = assoc_pvspill_lambda(&spill[p], &lerr);
            if (lerr) {
                fclose(lf);
                rc = lerr;
                goto done;
            }
            fprintf(lf, "pheno\t%s\tsamples=%u\ttested=%llu\tfailed=%llu\tlambda_gc=%.4f", m->pheno, m->n,
                    (unsigned long long)m->tested, (unsigned long long)m->failed, lam);
            if (m->cox) fprintf(lf, "\tevents=%d", m->n_event);
            if (m->cohort) fprintf(lf, "\tcohort=%s", m->cohort);
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
            rc = BCMS_ENOMEM;
            goto done;
        }
    }
    /* the table first: a complete OUT.log promises a complete OUT (bcms merge checks it); a split or
     * converted table reads the log */
    if (lof && (rc = bcms_outfile_write(lof, logbuf, loglen))) goto done;
    if (ssf || scoh) {
        if (lof && (rc = bcms_outfile_commit(lof))) {
            lof = NULL;
            goto done;
        }
        lof = NULL;
    }
    if (ssf) {
        bcms_ssf_pheno_t *sp = calloc(nm, sizeof *sp);
        if (!sp) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        for (int p = 0; p < nm; p++) {
            int bin = models[p].log != NULL;
            sp[p] = (bcms_ssf_pheno_t){models[p].pheno, models[p].n, bin ? models[p].n_case : -1,
                                       bin ? (int)models[p].n - models[p].n_case : -1};
        }
        rc = bcms_ssf_write(tmp, o, sp, nm);
        free(sp);
        remove(tmp);
        goto done;
    }
    if (scoh) {
        rc = bcms_assoc_split_cohorts(tmp, o->out, cnames, ncoh, bcms_out_is_gz(o->out));
        goto done;
    }
    if (rs) rc = assoc_resume_finish(rs);
    else rc = bcms_outfile_commit(of);
    of = NULL;
    if (rc || !lof) goto done;
    rc = bcms_outfile_commit(lof);
    lof = NULL;
    goto done;
werr:
    rc = of ? bcms_outfile_err(of, "writing") : bcms_err(BCMS_EIO, "%s: write failed (disk full?)", tmp);
done:
    if (out) bgzf_close(out);
    if (rc && tmp && !rs) remove(tmp);
    assoc_resume_free(rs);
    free(pvs);
    for (int p = 0; spill && p < nm; p++) assoc_pvspill_close(&spill[p]);
    free(spill);
    bcms_outfile_abort(of);
    bcms_outfile_abort(lof);
    free(logbuf);
    if (th)
        for (int t = 0; t < o->threads; t++) thread_free(&th[t], nm);
    free(th);
    free(line.s);
    free(fpdesc.s);
    for (int p = 0; p < nm; p++) assoc_hap_free(&models[p]), assoc_model_free(&models[p]);
    assoc_lmmloco_free(lmmloco);
    free(models);
    for (int p = 0; ph && p < nph; p++) bcms_col_free(&ph[p]);
    for (int c = 0; cov && c < ncv; c++) bcms_col_free(&cov[c]);
    for (int k = 0; k < 4; k++) bcms_col_free(&cx[k]);
    bcms_col_free(&offc);
    free(ph);
    free(cov);
    free_list(phn, nph);
    free_list(cvn, ncv);
    free(logpath);
    free(tmp);
    free(scoh);
    free(cnames);
    bcms_colsrc_close(cs);
    bcms_reader_close(rd);
    bcms_grm_clear(&grm);
    return rc;
}

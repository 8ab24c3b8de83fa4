/* assoc_rows.c: the scan table's header and rows (columns as PLINK 2 --glm names them; P printed
 * from log10 p where p underflows the double range). bcms, GPL-3.0-or-later. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <htslib/kstring.h>

#include "assoc_internal.h"

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

/* -log10 p from its log10, NA when p does not exist */
static void put_log10p(kstring_t *s, double log10p)
{
    if (isnan(log10p)) kputs("NA", s);
    else ksprintf(s, "%.6g", log10p == 0 ? 0.0 : -log10p);
}

#define Z975 1.959963984540054 /* the normal 0.975 quantile: 95% Wald intervals */

void assoc_header_line(kstring_t *s, const bcms_assoc_opts_t *o, int multi)
{
    if (o->model == BCMS_MODEL_LMM) { /* queries/structure/lmm.c writes these rows (lmm_format_row) */
        kputs("CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tTEST\tBETA\tSE\tSTAT\tP\tLOG10P\tP_LRT\tP_SCORE"
              "\tLAMBDA_REML\tLAMBDA_ML\tERRCODE\tCOVAR_DROPPED", s);
    } else {
        kputs("CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tTEST\tBETA\tSE", s);
        if (o->ci) {
            kputs("\tL95\tU95", s);
            if (o->model == BCMS_MODEL_LOGISTIC) kputs("\tOR_L95\tOR_U95", s);
            if (o->model == BCMS_MODEL_COX) kputs("\tHR_L95\tHR_U95", s);
        }
        kputs("\tSTAT\tP\tLOG10P", s);
        if (o->model == BCMS_MODEL_LINEAR) kputs("\tERRCODE", s);
        else if (o->model == BCMS_MODEL_LOGISTIC) kputs("\tFIRTH\tERRCODE", s);
        else kputs("\tHR\tN_EVENT\tSE_WALD\tP_LRT\tMETHOD\tERRCODE", s);
        kputs("\tCOVAR_DROPPED", s);
    }
    if (multi) kputs("\tPHENO", s);
    kputc('\n', s);
}

/* the numbers of one row, whatever the model */
typedef struct {
    double beta, se, stat, p, lp, af;
    int n;
    const char *err;
} row_t;

static void row_glm(row_t *r, const glm_result_t *g)
{
    *r = (row_t){g->beta, g->se, g->stat, g->p, g->log10p, g->a1_freq, g->n, glm_errcode_str(g->err)};
    if (g->err && g->err != GLM_ERR_UNFINISHED) r->beta = r->se = r->stat = r->p = r->lp = NAN;
}

static const char *cox_errcode(const cox_result_t *c)
{
    if (c->score_status) return "CONST_OMITTED_ALLELE";
    if (!c->fitted || !c->fit_status) return ".";
    return c->fit_flags & COX_FIT_INFINITE ? "INFINITE_BETA" : c->fit_flags & COX_FIT_SINGULAR ? "SINGULAR"
                                                                                             : "COX_CONVERGE_FAIL";
}

/* P is the score p (SPA in the tails) on every row, refitted or not: see cox_report */
static void row_cox(row_t *r, const cox_result_t *c, const model_t *m)
{
    *r = (row_t){c->est, c->est_se, c->est_stat, c->p, c->log10p, c->af, (int)m->n - c->n_miss, cox_errcode(c)};
    if (c->fitted && !c->fit_status) r->n = c->n_fit;
    if (c->score_status) r->p = r->lp = NAN;
}

static void cox_extras(kstring_t *s, const cox_result_t *c, const model_t *m, const char *err)
{
    int fit_ok = c->fitted && c->fit_status == 0;
    kputc('\t', s), put_num(s, exp(c->est));
    ksprintf(s, "\t%d\t", fit_ok ? c->events_fit : m->n_event);
    put_num(s, fit_ok ? c->se : NAN), kputc('\t', s);
    if (fit_ok) put_p(s, c->lrt_p, c->lrt_log10p);
    else kputs("NA", s);
    ksprintf(s, "\t%s+%s\t%s", c->est_kind == COX_EST_FIT ? "FIT" : c->est_kind == COX_EST_ONESTEP ? "ONESTEP" : "NA",
             c->score_status ? "NA" : c->spa_used ? "SPA" : "SCORE", err);
}

/* Format one result row. */
void assoc_row_line(kstring_t *s, const bcms_assoc_opts_t *o, const bcms_variant_t *v, const model_t *m, int multi,
                     const glm_result_t *g, const cox_result_t *c, const char *errov, const char *drop)
{
    row_t r;
    if (g) row_glm(&r, g);
    else row_cox(&r, c, m);
    if (errov) r.err = errov;
    {
        ksprintf(s, "%s\t%lld\t%s\t%s\t%s\t%s\t", v->chrom, (long long)v->pos, v->id, v->ref, v->alt, v->alt);
        put_num(s, r.af);
        ksprintf(s, "\t%d\tADD\t", r.n);
        put_num(s, r.beta), kputc('\t', s), put_num(s, r.se);
        if (o->ci) {
            double lo = r.beta - Z975 * r.se, hi = r.beta + Z975 * r.se;
            kputc('\t', s), put_num(s, lo), kputc('\t', s), put_num(s, hi);
            if (o->model != BCMS_MODEL_LINEAR) kputc('\t', s), put_num(s, exp(lo)), kputc('\t', s), put_num(s, exp(hi));
        }
        kputc('\t', s), put_num(s, r.stat), kputc('\t', s);
        put_p(s, r.p, r.lp);
        kputc('\t', s), put_log10p(s, r.lp);
        if (g && o->model == BCMS_MODEL_LINEAR) ksprintf(s, "\t%s", r.err);
        else if (g) ksprintf(s, "\t%s\t%s", g->firth ? "Y" : "N", r.err);
        else cox_extras(s, c, m, r.err);
        ksprintf(s, "\t%s", drop ? drop : ".");
    }
    if (multi) ksprintf(s, "\t%s", m->pheno);
    if (m->cohort) ksprintf(s, "\t%s", m->cohort); /* routed to its file, and removed, at the end */
    kputc('\n', s);
}

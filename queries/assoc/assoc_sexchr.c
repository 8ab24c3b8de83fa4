/* assoc_sexchr.c: association on the sex chromosomes and chrM as PLINK 2 --glm does them
 * (bcms, GPL-3.0-or-later).
 *
 * PLINK 2 (--glm, --xchr-model, plink2_glm*.cc):
 * - chrX outside the PARs: sex (male 1, female 2) is added as a covariate unless no-x-sex, or no
 *   sample of the scan is male, or every sample of known sex is; with it, samples of unknown sex
 *   leave the chrX regressions. Males are coded 0..2 by default (--xchr-model 2: a haploid ALT
 *   counts like a homozygous one), 0..1 with --xchr-model 1; --xchr-model 0 skips chrX.
 *   A1_FREQ counts two alleles per sample, one per male under model 1.
 * - chrY: the males (plink2 2.00a3.5 leaves samples of unknown sex out there too, as its .y.id
 *   file shows), without covariates constant among them; genotypes on the 0..1 scale (a haploid
 *   ALT is 1).
 * - chrM: every sample, 0..1 scale.
 * A heterozygous call where the sample is haploid is kept as PLINK 2 keeps it (1 on chrX under
 * model 2, 0.5 under model 1 and on chrY/chrM). Covariates constant among the chrX or chrY samples
 * are left out and named in COVAR_DROPPED. These variants are tested on hard calls: a stored DS
 * of a haploid sample may be on the 0..1 or the 0..2 scale depending on the imputation server,
 * and guessing would give a plausible wrong number. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <htslib/kstring.h>

#include "assoc_internal.h"
#include "err.h"

typedef struct {
    const model_t *m;      /* the model the variants of this class use (own, or the base model) */
    model_t own;
    bcms_col_t *cov;       /* own covariate list (shallow copies, + sex) */
    char *dropped;         /* covariates left out, or NULL */
    int failed;
} hap_model_t;

enum { HM_X = 0, HM_Y = 1, HM_MT = 2 };

struct assoc_hap_t {
    int xmodel;
    const uint8_t *sex;    /* reader sample -> 0 unknown, 1 male, 2 female */
    bcms_col_t sexcol;
    hap_model_t h[3];
};

typedef struct {
    glm_linear_ws_t *l;
    glm_logistic_ws_t *g;
    cox_ws_t *c;
    assoc_sub_t *sub;
} hap_mws_t;

struct assoc_hap_ws_t {
    hap_mws_t w[3];
    float *row;
    double *dos;
};

static int col_is_constant(const bcms_col_t *c, const uint32_t *idx, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++)
        if (c->v[idx[i]] != c->v[idx[0]]) return 0;
    return 1;
}

/* Fit h->own on the base model's samples that pass keep (sex class), with its covariates (those
 * constant among them left out) and sex when add_sex. */
static int hap_fit(hap_model_t *h, const model_t *m, const uint8_t *sex, int keep_female, int keep_unknown,
                   const bcms_col_t *sexcol, int ndatasets)
{
    kstring_t dr = {0, 0, NULL};
    uint32_t *idx = malloc(sizeof *idx * (m->n + 1));
    int ncov = 0, rc;
    h->cov = calloc(m->ncov + 2, sizeof *h->cov);
    if (!idx || !h->cov) {
        free(idx);
        return BCMS_ENOMEM;
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n; i++) {
        uint8_t s = sex[m->idx[i]];
        if ((s == 2 && !keep_female) || (s == 0 && !keep_unknown)) continue;
        idx[n++] = m->idx[i];
    }
    for (int c = 0; c < m->ncov; c++) {
        if (n && col_is_constant(&m->cov[c], idx, n)) ksprintf(&dr, "%s%s", dr.l ? "," : "", m->cov[c].name);
        else h->cov[ncov++] = m->cov[c];
    }
    if (sexcol && n && col_is_constant(sexcol, idx, n)) ksprintf(&dr, "%s%s", dr.l ? "," : "", sexcol->name);
    else if (sexcol) h->cov[ncov++] = *sexcol;
    h->dropped = dr.s;
    h->m = &h->own;
    rc = assoc_model_fit_on(&h->own, m, idx, n, h->cov, ncov, ndatasets);
    free(idx);
    if (rc == BCMS_ENOMEM) return rc;
    if (rc && !keep_female && !n) {
        h->failed = 1;
        bcms_log(BCMS_LOG_WARN, "%s: no male among the samples: chrY variants get ERRCODE SEXCHR_MODEL_FAIL (give the "
                 "sample sex with --sex-file or a stored column 'sex')", m->pheno);
    } else if (rc) {
        h->failed = 1;
        bcms_log(BCMS_LOG_WARN, "%s: no model on the %u %s samples (%s); those variants get ERRCODE SEXCHR_MODEL_FAIL",
                 m->pheno, n, keep_female ? "chrX" : "chrY", bcms_err_detail());
    }
    return 0;
}

int assoc_hap_setup(model_t *m, const bcms_assoc_opts_t *o, const uint8_t *sex, uint32_t nsamp, int has_x, int has_y,
                    int ndatasets)
{
    assoc_hap_t *hp = calloc(1, sizeof *hp);
    uint32_t nmale = 0, nknown = 0;
    int rc = 0, add_sex;
    if (!hp) return BCMS_ENOMEM;
    m->hap = hp;
    hp->xmodel = o->xchr_model;
    hp->sex = sex;
    for (int k = 0; k < 3; k++) hp->h[k].m = m;
    /* over the scan's samples (--by-cohort: the cohort's), as plink2 over the samples of its run */
    for (uint32_t s = 0; s < nsamp; s++)
        if (!m->scoh || m->scoh[s] == m->coh) nmale += sex[s] == 1, nknown += sex[s] != 0;
    add_sex = has_x && o->xchr_model && !o->no_x_sex && nmale && nmale < nknown;
    for (int c = 0; c < m->ncov; c++)
        if (!strcasecmp(m->cov[c].name, "sex")) add_sex = 0; /* the user's own sex covariate already */
    if (add_sex) {
        hp->sexcol = (bcms_col_t){.name = strdup("SEX"), .type = BCMS_COL_QUANT, .v = malloc(sizeof(double) * (nsamp + 1))};
        if (!hp->sexcol.name || !hp->sexcol.v) return BCMS_ENOMEM;
        for (uint32_t s = 0; s < nsamp; s++) hp->sexcol.v[s] = sex[s] ? sex[s] : NAN;
        if ((rc = hap_fit(&hp->h[HM_X], m, sex, 1, 0, &hp->sexcol, ndatasets))) return rc;
    }
    if (has_y) {
        uint32_t nf = 0; /* model samples that are not male */
        for (uint32_t i = 0; i < m->n; i++) nf += sex[m->idx[i]] != 1;
        if (nf && (rc = hap_fit(&hp->h[HM_Y], m, sex, 0, 0, NULL, ndatasets))) return rc;
    }
    return 0;
}

void assoc_hap_free(model_t *m)
{
    assoc_hap_t *hp = m->hap;
    if (!hp) return;
    for (int k = 0; k < 3; k++) {
        if (hp->h[k].m == &hp->h[k].own) assoc_model_free(&hp->h[k].own);
        free(hp->h[k].cov);
        free(hp->h[k].dropped);
    }
    bcms_col_free(&hp->sexcol);
    free(hp);
    m->hap = NULL;
}

assoc_hap_ws_t *assoc_hap_ws_new(const model_t *m, uint32_t nsel)
{
    assoc_hap_ws_t *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->row = malloc(sizeof *ws->row * (nsel + 1));
    ws->dos = malloc(sizeof *ws->dos * (m->n + 1));
    if (!ws->row || !ws->dos) goto fail;
    for (int k = 0; k < 3; k++) {
        const model_t *hm = m->hap->h[k].m;
        if (m->hap->h[k].failed) continue;
        if (hm->lin && !(ws->w[k].l = glm_linear_ws_new(hm->lin))) goto fail;
        if (hm->log && !(ws->w[k].g = glm_logistic_ws_new(hm->log))) goto fail;
        if (hm->cox && cox_ws_alloc(hm->cox, &ws->w[k].c)) goto fail;
    }
    return ws;
fail:
    assoc_hap_ws_free(ws);
    return NULL;
}

void assoc_hap_ws_free(assoc_hap_ws_t *ws)
{
    if (!ws) return;
    for (int k = 0; k < 3; k++) {
        glm_linear_ws_free(ws->w[k].l);
        glm_logistic_ws_free(ws->w[k].g);
        cox_ws_free(ws->w[k].c);
        assoc_sub_free(ws->w[k].sub);
    }
    free(ws->row);
    free(ws->dos);
    free(ws);
}

/* The scale of sample s's genotype: 0.5 where PLINK 2 reads it on the 0..1 scale. */
static inline float hap_scale(const assoc_hap_t *hp, int hap, uint32_t s)
{
    if (hap == BCMS_HAP_Y || hap == BCMS_HAP_MT) return 0.5f;
    return hp->xmodel == 1 && hp->sex[s] == 1 ? 0.5f : 1.0f;
}

/* A1_FREQ as PLINK 2 reports it: the dosage sum over the alleles observed (two per sample, one
 * per sample read on the 0..1 scale) among the samples the row used. */
static double hap_freq(const assoc_hap_t *hp, int hap, const model_t *used, const float *row)
{
    double sx = 0, sa = 0;
    for (uint32_t i = 0; i < used->n; i++) {
        uint32_t s = used->idx[i];
        if (isnan(row[s])) continue;
        sx += row[s];
        sa += 2.0 * hap_scale(hp, hap, s);
    }
    return sa > 0 ? sx / sa : NAN;
}

int assoc_hap_variant(const model_t *m, assoc_hap_ws_t *ws, int hap, const uint8_t *row, uint32_t nsel,
                      glm_result_t *g, cox_result_t *c, const char **dropped, const model_t **used, const char **errov)
{
    const assoc_hap_t *hp = m->hap;
    int k = hap == BCMS_HAP_X ? HM_X : hap == BCMS_HAP_Y ? HM_Y : HM_MT, handled = 0, rc;
    const hap_model_t *h = &hp->h[k];
    const model_t *hm = h->m;
    hap_mws_t *w = &ws->w[k];
    *errov = NULL;
    *used = hm;
    *dropped = h->dropped;
    if (hap == BCMS_HAP_X && !hp->xmodel) return (*errov = "SKIP"), 0;
    if (h->failed) return (*errov = "SEXCHR_MODEL_FAIL"), 0;
    for (uint32_t s = 0; s < nsel; s++) ws->row[s] = row[s] == 3 ? NAN : (float)row[s] * hap_scale(hp, hap, s);
    if ((rc = assoc_sub_variant(hm, &w->sub, row, ws->row, nsel, g, c, dropped, used, &handled))) return rc;
    if (handled == 2) return (*errov = "SUBSET_MODEL_FAIL"), 0;
    if (!handled) {
        *dropped = h->dropped;
        if (hm->cox) {
            rc = cox_test_dosage(hm->cox, w->c, &hm->cox_opts, ws->row, c);
        } else {
            for (uint32_t i = 0; i < hm->n; i++) ws->dos[i] = ws->row[hm->idx[i]];
            rc = hm->lin ? glm_linear_dosages(hm->lin, w->l, ws->dos, 1, hm->n, g)
                         : glm_logistic_dosages(hm->log, w->g, ws->dos, 1, hm->n, g);
        }
        if (rc) return rc;
    }
    double af = hap_freq(hp, hap, *used, ws->row);
    if (hm->cox) c->af = af;
    else g->a1_freq = af;
    return 0;
}

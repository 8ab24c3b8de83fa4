/* meta_out.c: the rows `bcms meta` writes. TSV: bcms assoc's leading columns, then the meta-analysis
 * ones (meta.h). GWAS-SSF: the GWAS Catalog v1.0 mandatory columns, then variant_id rsid n and the
 * meta-analysis extras n_studies direction heterogeneity_q heterogeneity_p i_squared. Numbers carry
 * 10 significant digits (the estimates are compared with R to 1e-8). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "meta_internal.h"

static void put_num(kstring_t *s, double x)
{
    if (!isfinite(x)) kputs("NA", s);
    else ksprintf(s, "%.10g", x);
}

/* p from its log10; below the double range as mantissa e exponent (as bcms assoc writes it). */
static void put_p(kstring_t *s, double lp)
{
    if (isnan(lp)) {
        kputs("NA", s);
    } else if (lp > -300) {
        ksprintf(s, "%.10g", pow(10, lp));
    } else if (!isfinite(lp)) {
        kputs("0", s);
    } else {
        double e = floor(lp), m = pow(10, lp - e);
        ksprintf(s, "%.8fe%d", m, (int)e);
    }
}

static void put_mlog10p(kstring_t *s, double lp)
{
    if (isnan(lp) || !isfinite(lp)) kputs("NA", s);
    else ksprintf(s, "%.10g", lp < 0 ? -lp : 0.0);
}

void meta_out_header(kstring_t *s, int format)
{
    if (format == BCMS_META_GWAS_SSF)
        kputs("chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
              "effect_allele_frequency\tp_value\tvariant_id\trsid\tn\tn_studies\tdirection\theterogeneity_q\t"
              "heterogeneity_p\ti_squared\n", s);
    else
        kputs("CHROM\tPOS\tID\tREF\tALT\tA1\tA1_FREQ\tN\tTEST\tBETA\tSE\tSTAT\tP\tN_STUDIES\tDIRECTION\tQ\tQ_P\tI2\t"
              "TAU2\tBETA_RE\tSE_RE\tP_RE\tP_RE2\tLOG10P\n", s);
}

/* N-weighted mean frequency (plain mean when an N is missing), total N. */
static void freq_and_n(const meta_var_t *mv, int ninputs, double *freq, double *n)
{
    double sf = 0, sfn = 0, sn = 0, cnt = 0;
    int all_n = 1, any_n = 0;
    for (int i = 0; i < ninputs; i++) {
        if (!mv->have[i]) continue;
        if (mv->n[i] > 0) sn += mv->n[i], any_n = 1;
        if (isnan(mv->f[i])) continue;
        if (!(mv->n[i] > 0)) all_n = 0;
        sf += mv->f[i], cnt++;
        sfn += mv->f[i] * mv->n[i];
    }
    *n = any_n ? sn : NAN;
    if (!cnt) *freq = NAN;
    else if (all_n) {
        double w = 0;
        for (int i = 0; i < ninputs; i++)
            if (mv->have[i] && !isnan(mv->f[i])) w += mv->n[i];
        *freq = sfn / w;
    } else {
        *freq = sf / cnt;
    }
}

static void put_direction(kstring_t *s, const meta_var_t *mv, int ninputs)
{
    for (int i = 0; i < ninputs; i++)
        kputc(!mv->have[i] ? '?' : mv->b[i] > 0 ? '+' : mv->b[i] < 0 ? '-' : '0', s);
}

void meta_out_row(kstring_t *s, int format, int scheme, const meta_var_t *mv, int ninputs,
                  const bcms_meta_result_t *r)
{
    const bcms_ss_row_t *a = mv->anchor;
    const char *id = BCMS_SS_ID(a);
    double freq, n;
    freq_and_n(mv, ninputs, &freq, &n);
    if (format == BCMS_META_GWAS_SSF) {
        ksprintf(s, "%s\t%lld\t%s\t%s\t", a->chrom, (long long)a->pos, mv->a1, mv->a2);
        put_num(s, r->beta), kputc('\t', s), put_num(s, r->se), kputc('\t', s), put_num(s, freq), kputc('\t', s);
        put_p(s, r->log10p);
        ksprintf(s, "\t%s:%lld:%s:%s\t%s\t", a->chrom, (long long)a->pos, mv->a2, mv->a1,
                 !strncmp(id, "rs", 2) ? id : "#NA");
        put_num(s, n);
        ksprintf(s, "\t%d\t", r->k);
        put_direction(s, mv, ninputs);
        kputc('\t', s), put_num(s, r->q), kputc('\t', s), put_num(s, r->q_p), kputc('\t', s), put_num(s, r->i2);
        kputc('\n', s);
        return;
    }
    if (*id && strcmp(id, "."))
        ksprintf(s, "%s\t%lld\t%s\t%s\t%s\t%s\t", a->chrom, (long long)a->pos, id, mv->a2, mv->a1, mv->a1);
    else
        ksprintf(s, "%s\t%lld\t%s:%lld:%s:%s\t%s\t%s\t%s\t", a->chrom, (long long)a->pos, a->chrom, (long long)a->pos,
                 mv->a2, mv->a1, mv->a2, mv->a1, mv->a1);
    put_num(s, freq), kputc('\t', s), put_num(s, n), kputs("\tADD\t", s);
    put_num(s, r->beta), kputc('\t', s), put_num(s, r->se), kputc('\t', s), put_num(s, r->stat), kputc('\t', s);
    put_p(s, r->log10p);
    ksprintf(s, "\t%d\t", r->k);
    put_direction(s, mv, ninputs);
    kputc('\t', s), put_num(s, r->q), kputc('\t', s), put_num(s, r->q_p), kputc('\t', s), put_num(s, r->i2);
    kputc('\t', s), put_num(s, r->tau2), kputc('\t', s), put_num(s, r->beta_re), kputc('\t', s);
    put_num(s, r->se_re), kputc('\t', s), put_p(s, r->log10p_re), kputc('\t', s), put_p(s, r->log10p_re2);
    kputc('\t', s), put_mlog10p(s, r->log10p);
    kputc('\n', s);
    (void)scheme;
}

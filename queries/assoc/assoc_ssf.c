/* assoc_ssf.c: `--format gwas-ssf`: the GWAS Catalog's summary statistics format v1.0 (GWAS-SSF),
 * one data file per phenotype and its `<file>-meta.yaml`.
 *
 * The scan writes its ordinary table (every column, PHENO on every row) to a temporary file; this
 * converts it, two passes per phenotype:
 *  1. is any p below the double range? Then column 7 is neg_log_10_p_value (from LOG10P) for the
 *     whole file, because a p_value of 3e-930 reads as 0 everywhere.
 *  2. rows: chromosome coded 1-22, X=23, Y=24, MT=25; effect_allele = A1 (ALT), other_allele = REF;
 *     beta (log-odds, log-hazard for logistic/Cox), standard_error, effect_allele_frequency, p, then
 *     variant_id (chrom_pos_ref_alt), rsid, ref_allele (OA), ci_upper, ci_lower, n, and the model's
 *     odds_ratio / hazard_ratio and n_events. #NA for every missing value. The standard forbids
 *     missing values in the eight mandatory columns, so a row without BETA/SE/P (an ERRCODE row),
 *     with an allele that is not [ACGT]+ or on a contig outside 1-22/X/Y/MT is left out; the count
 *     is logged and written in the metadata.
 * The metadata carries the mandatory fields; the ones bcms cannot know (genome_assembly,
 * genotyping_technology, sample_ancestry_category) come from --ssf-meta KEY=VALUE, checked before the
 * scan (bcms_ssf_check_meta). List fields take several values separated by ';'. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>

#include "assoc.h"
#include "bcms_version.h"
#include "contig.h"
#include "err.h"
#include "outfile.h"

static const char *const ssf_keys[] = {"trait_description", "genome_assembly", "genotyping_technology",
                                       "sample_ancestry", "sample_ancestry_category", "ancestry_method",
                                       "ontology_mapping", "adjusted_covariates", "gwas_id", "author_notes",
                                       "imputation_panel", "imputation_software", "sex", "gwas_catalog_api",
                                       NULL};
static const char *const ssf_lists[] = {"trait_description", "genotyping_technology", "sample_ancestry",
                                        "sample_ancestry_category", "ancestry_method", "ontology_mapping",
                                        "adjusted_covariates", NULL};
static const char *const ssf_required[] = {"genome_assembly", "genotyping_technology", "sample_ancestry_category",
                                           NULL};

static int in_list(const char *const *l, const char *k, size_t len)
{
    for (; *l; l++)
        if (strlen(*l) == len && !strncmp(*l, k, len)) return 1;
    return 0;
}

/* the value of key in the --ssf-meta list, or NULL */
static const char *meta_get(const bcms_assoc_opts_t *o, const char *key)
{
    size_t kl = strlen(key);
    const char *v = NULL;
    for (int i = 0; i < o->n_ssf_meta; i++)
        if (!strncmp(o->ssf_meta[i], key, kl) && o->ssf_meta[i][kl] == '=') v = o->ssf_meta[i] + kl + 1;
    return v;
}

int bcms_ssf_check_meta(const bcms_assoc_opts_t *o)
{
    for (int i = 0; i < o->n_ssf_meta; i++) {
        const char *kv = o->ssf_meta[i], *eq = strchr(kv, '=');
        if (!eq || eq == kv || !eq[1])
            return bcms_err(BCMS_EINVAL, "--ssf-meta '%s': expected KEY=VALUE", kv);
        if (!in_list(ssf_keys, kv, (size_t)(eq - kv)))
            return bcms_err(BCMS_EINVAL, "--ssf-meta '%s': unknown or bcms-set key; the keys you can give are "
                            "trait_description, genome_assembly, genotyping_technology, sample_ancestry, "
                            "sample_ancestry_category, ancestry_method, ontology_mapping, adjusted_covariates, "
                            "gwas_id, author_notes, imputation_panel, imputation_software, sex, gwas_catalog_api",
                            kv);
        if (strchr(eq, '\n') || strchr(eq, '"') || strchr(eq, '\\'))
            return bcms_err(BCMS_EINVAL, "--ssf-meta '%s': the value may not hold a newline, '\"' or '\\'", kv);
    }
    const char *sex = meta_get(o, "sex"), *id = meta_get(o, "gwas_id");
    if (sex && strcmp(sex, "M") && strcmp(sex, "F") && strcmp(sex, "combined") && strcmp(sex, "NR"))
        return bcms_err(BCMS_EINVAL, "--ssf-meta sex=%s: GWAS-SSF allows M, F, combined or NR", sex);
    if (id && (strncmp(id, "GCST", 4) || !id[4] || strspn(id + 4, "0123456789") != strlen(id + 4)))
        return bcms_err(BCMS_EINVAL, "--ssf-meta gwas_id=%s: a GWAS Catalog id is GCST followed by digits", id);
    for (int r = 0; ssf_required[r]; r++)
        if (!meta_get(o, ssf_required[r]))
            return bcms_err(BCMS_EINVAL, "--format gwas-ssf: the metadata needs %s, which bcms cannot know: give "
                            "--ssf-meta %s=VALUE (e.g. genome_assembly=GRCh38, genotyping_technology=Genome-wide "
                            "genotyping array, sample_ancestry_category=European; several values separated by ';')",
                            ssf_required[r], ssf_required[r]);
    size_t l = strlen(o->out);
    if (!(l > 4 && !strcmp(o->out + l - 4, ".tsv")) && !(l > 7 && !strcmp(o->out + l - 7, ".tsv.gz")))
        return bcms_err(BCMS_EINVAL, "--format gwas-ssf: the output name must end in .tsv or .tsv.gz (the "
                        "standard's extensions), not '%s'", o->out);
    return 0;
}

/* data file of phenotype p: OUT itself for one phenotype, else OUT with .PHENO before .tsv */
static char *data_path(const char *out, const char *pheno, int nph)
{
    char *s = NULL;
    if (nph == 1) return strdup(out);
    size_t l = strlen(out), cut = !strcmp(out + l - 3, ".gz") ? l - 7 : l - 4;
    if (asprintf(&s, "%.*s.%s%s", (int)cut, out, pheno, out + cut) < 0) return NULL;
    return s;
}

/* ---- the internal table: columns by name ---- */
enum { C_CHROM, C_POS, C_ID, C_REF, C_ALT, C_AF, C_N, C_BETA, C_SE, C_L95, C_U95, C_P, C_LOG10P, C_HR, C_NEV,
       C_PHENO, C_NCOL };
static const char *const col_names[C_NCOL] = {"CHROM", "POS", "ID", "REF", "ALT", "A1_FREQ", "N", "BETA", "SE",
                                              "L95", "U95", "P", "LOG10P", "HR", "N_EVENT", "PHENO"};

typedef struct {
    int idx[C_NCOL];
    char *f[256];
    int nf;
} cols_t;

static int split_tabs(char *s, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == '\t') *p = 0, f[n++] = p + 1;
    return n;
}

static int read_header(BGZF *in, kstring_t *line, cols_t *c)
{
    if (bgzf_getline(in, '\n', line) < 0) return bcms_err(BCMS_EIO, "gwas-ssf: the scan's table is empty");
    c->nf = split_tabs(line->s, c->f, 256);
    for (int k = 0; k < C_NCOL; k++) {
        c->idx[k] = -1;
        for (int j = 0; j < c->nf; j++)
            if (!strcmp(c->f[j], col_names[k])) c->idx[k] = j;
    }
    return 0;
}

static const char *fld(const cols_t *c, int k)
{
    return c->idx[k] >= 0 && c->idx[k] < c->nf ? c->f[c->idx[k]] : "NA";
}

static int acgt(const char *a)
{
    return *a && strspn(a, "ACGTacgt") == strlen(a);
}

static int chrom_code(const char *chrom)
{
    char canon[64];
    switch (bcms_contig_canon(chrom, -1, canon, sizeof canon)) {
    case BCMS_CHR_AUTOSOME: return atoi(canon);
    case BCMS_CHR_X: return 23;
    case BCMS_CHR_Y: return 24;
    case BCMS_CHR_MT: return 25;
    default: return 0;
    }
}

static int is_na(const char *s) { return !strcmp(s, "NA") || !*s; }

/* a p that does not fit a double (or reads as 0) */
static int p_underflows(const char *p)
{
    if (is_na(p)) return 0;
    errno = 0;
    double v = strtod(p, NULL);
    return v < DBL_MIN || errno == ERANGE;
}

typedef struct {
    int neglog, sorted;
    uint64_t rows, dropped;
} ssf_pass_t;

/* pass 1: does any p of phenotype ph underflow? */
static int scan_pass(const char *tsv, const char *ph, ssf_pass_t *ps)
{
    BGZF *in = bgzf_open(tsv, "r");
    kstring_t line = {0, 0, NULL};
    cols_t c;
    int rc;
    if (!in) return bcms_err(BCMS_EIO, "%s: cannot read", tsv);
    if ((rc = read_header(in, &line, &c))) goto done;
    while (bgzf_getline(in, '\n', &line) >= 0) {
        c.nf = split_tabs(line.s, c.f, 256);
        if (!strcmp(fld(&c, C_PHENO), ph) && p_underflows(fld(&c, C_P))) ps->neglog = 1;
    }
done:
    free(line.s);
    bgzf_close(in);
    return rc;
}

static void put_field(kstring_t *s, const char *v)
{
    kputc('\t', s);
    kputs(is_na(v) ? "#NA" : v, s);
}

static void ssf_header(kstring_t *s, int model, int neglog)
{
    ksprintf(s, "chromosome\tbase_pair_location\teffect_allele\tother_allele\tbeta\tstandard_error\t"
                "effect_allele_frequency\t%s\tvariant_id\trsid\tref_allele\tci_upper\tci_lower\tn",
             neglog ? "neg_log_10_p_value" : "p_value");
    if (model == BCMS_MODEL_LOGISTIC) kputs("\todds_ratio", s);
    if (model == BCMS_MODEL_COX) kputs("\thazard_ratio\tn_events", s);
    kputc('\n', s);
}

/* one row, or 0 when it cannot be represented (a mandatory value missing) */
static int ssf_row(kstring_t *s, const cols_t *c, int model, int neglog, int *code, long long *pos)
{
    const char *ref = fld(c, C_REF), *alt = fld(c, C_ALT), *p = neglog ? fld(c, C_LOG10P) : fld(c, C_P);
    *code = chrom_code(fld(c, C_CHROM));
    *pos = atoll(fld(c, C_POS));
    if (!*code || *pos < 1 || !acgt(ref) || !acgt(alt) || is_na(fld(c, C_BETA)) || is_na(fld(c, C_SE)) ||
        is_na(fld(c, C_AF)) || is_na(p) || (!neglog && p_underflows(p)))
        return 0;
    const char *id = fld(c, C_ID);
    int rs = !strncmp(id, "rs", 2) && id[2] && strspn(id + 2, "0123456789") == strlen(id + 2);
    ksprintf(s, "%d\t%lld\t%s\t%s\t%s\t%s\t%s\t%s\t%d_%lld_%s_%s\t%s\tOA", *code, *pos, alt, ref, fld(c, C_BETA),
             fld(c, C_SE), fld(c, C_AF), p, *code, *pos, ref, alt, rs ? id : "#NA");
    put_field(s, fld(c, C_U95));
    put_field(s, fld(c, C_L95));
    put_field(s, fld(c, C_N));
    if (model == BCMS_MODEL_LOGISTIC) {
        double b = atof(fld(c, C_BETA));
        ksprintf(s, "\t%.8g", exp(b));
    }
    if (model == BCMS_MODEL_COX) put_field(s, fld(c, C_HR)), put_field(s, fld(c, C_NEV));
    kputc('\n', s);
    return 1;
}

/* pass 2: the data file of phenotype ph */
static int data_pass(const char *tsv, const char *ph, const char *tmp, int gz, int model, ssf_pass_t *ps)
{
    BGZF *in = bgzf_open(tsv, "r"), *out = NULL;
    kstring_t line = {0, 0, NULL}, o = {0, 0, NULL};
    cols_t c;
    int rc = 0, last_code = 0;
    long long last_pos = 0;
    ps->sorted = 1;
    if (!in) return bcms_err(BCMS_EIO, "%s: cannot read", tsv);
    if (!(out = bgzf_open(tmp, gz ? "wg" : "wu"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    if ((rc = read_header(in, &line, &c))) goto done;
    ssf_header(&o, model, ps->neglog);
    while (bgzf_getline(in, '\n', &line) >= 0) {
        c.nf = split_tabs(line.s, c.f, 256);
        if (strcmp(fld(&c, C_PHENO), ph)) continue;
        int code;
        long long pos;
        if (!ssf_row(&o, &c, model, ps->neglog, &code, &pos)) {
            ps->dropped++;
            continue;
        }
        if (code < last_code || (code == last_code && pos < last_pos)) ps->sorted = 0;
        last_code = code, last_pos = pos;
        ps->rows++;
        if (o.l > 65536) {
            if (bgzf_write(out, o.s, o.l) < 0) goto werr;
            o.l = 0;
        }
    }
    if (o.l && bgzf_write(out, o.s, o.l) < 0) goto werr;
    rc = bgzf_close(out) < 0 ? bcms_err(BCMS_EIO, "%s: write failed (disk full?)", tmp) : 0;
    out = NULL;
    goto done;
werr:
    rc = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", tmp);
done:
    if (out) bgzf_close(out);
    bgzf_close(in);
    free(line.s);
    free(o.s);
    return rc;
}

static void yaml_value(kstring_t *s, const char *key, const char *v, const char *indent)
{
    if (in_list(ssf_lists, key, strlen(key))) {
        ksprintf(s, "%s%s:\n", indent, key);
        const char *p = v;
        while (*p) {
            size_t l = strcspn(p, ";");
            ksprintf(s, "%s  - \"%.*s\"\n", indent, (int)l, p);
            p += l + (p[l] == ';');
        }
    } else {
        ksprintf(s, "%s%s: \"%s\"\n", indent, key, v);
    }
}

static int write_meta(const char *data, const bcms_assoc_opts_t *o, const bcms_ssf_pheno_t *ph, const ssf_pass_t *ps)
{
    kstring_t s = {0, 0, NULL}, cov = {0, 0, NULL};
    char md5[33], day[16], *path = NULL, *tmp = NULL;
    const char *base = strrchr(data, '/') ? strrchr(data, '/') + 1 : data;
    time_t now = time(NULL);
    struct tm tm;
    int rc = bcms_file_md5(data, md5);
    if (rc) return rc;
    gmtime_r(&now, &tm);
    strftime(day, sizeof day, "%Y-%m-%d", &tm);
    ksprintf(&s, "# GWAS-SSF metadata written by bcms %s\n", BCMS_VERSION);
    if (ps->dropped)
        ksprintf(&s, "# %llu rows of the scan are not in the data file: no beta/SE/p (ERRCODE), an allele that is not "
                 "[ACGT]+, or a contig outside 1-22, X, Y, MT\n", (unsigned long long)ps->dropped);
    yaml_value(&s, "trait_description", meta_get(o, "trait_description") ? meta_get(o, "trait_description") : ph->pheno,
               "");
    for (int k = 1; ssf_keys[k]; k++) {
        const char *v = meta_get(o, ssf_keys[k]);
        if (!strncmp(ssf_keys[k], "sample_", 7) || !strcmp(ssf_keys[k], "ancestry_method")) continue;
        if (!strcmp(ssf_keys[k], "adjusted_covariates") && !v && o->covar) {
            for (const char *p = o->covar; *p; p++) kputc(*p == ',' ? ';' : *p, &cov);
            v = cov.s;
        }
        if (v) yaml_value(&s, ssf_keys[k], v, "");
    }
    kputs("coordinate_system: 1-based\nsamples:\n", &s);
    ksprintf(&s, "  - sample_size: %u\n", ph->n);
    for (int k = 0; ssf_keys[k]; k++)
        if ((!strncmp(ssf_keys[k], "sample_", 7) || !strcmp(ssf_keys[k], "ancestry_method")) && meta_get(o, ssf_keys[k]))
            yaml_value(&s, ssf_keys[k], meta_get(o, ssf_keys[k]), "    ");
    if (ph->n_case >= 0)
        ksprintf(&s, "    case_control_study: true\n    case_count: %d\n    control_count: %d\n", ph->n_case,
                 ph->n_control);
    else
        kputs("    case_control_study: false\n", &s);
    ksprintf(&s, "data_file_name: \"%s\"\nfile_type: GWAS-SSF v1.0\ndata_file_md5sum: %s\n", base, md5);
    ksprintf(&s, "analysis_software: \"bcms %s (%s regression%s)\"\n", BCMS_VERSION,
             o->model == BCMS_MODEL_LINEAR ? "linear" : o->model == BCMS_MODEL_LOGISTIC ? "logistic" : "Cox",
             o->model == BCMS_MODEL_COX ? ", score test with saddlepoint approximation" : "");
    ksprintf(&s, "is_sorted: %s\nis_harmonised: false\ndate_metadata_last_modified: %s\n",
             ps->sorted ? "true" : "false", day);
    if (asprintf(&path, "%s-meta.yaml", data) < 0 || asprintf(&tmp, "%s.tmp", path) < 0) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    FILE *fp = fopen(tmp, "w");
    if (!fp) {
        rc = bcms_err(BCMS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
        goto done;
    }
    int ok = fwrite(s.s, 1, s.l, fp) == s.l;
    if (fclose(fp) != 0 || !ok) rc = bcms_err(BCMS_EIO, "%s: write failed", tmp);
    else if (rename(tmp, path) != 0) rc = bcms_err(BCMS_EIO, "%s: cannot rename: %s", tmp, strerror(errno));
    if (rc) remove(tmp);
done:
    free(s.s), free(cov.s), free(path), free(tmp);
    return rc;
}

int bcms_ssf_write(const char *tsv, const bcms_assoc_opts_t *o, const bcms_ssf_pheno_t *ph, int nph)
{
    int rc = 0;
    for (int p = 0; p < nph && !rc; p++) {
        char *data = data_path(o->out, ph[p].pheno, nph), *tmp = NULL;
        ssf_pass_t ps = {0, 1, 0, 0};
        if (!data || asprintf(&tmp, "%s.tmp", data) < 0) {
            free(data);
            return BCMS_ENOMEM;
        }
        if (!(rc = scan_pass(tsv, ph[p].pheno, &ps)) && !(rc = data_pass(tsv, ph[p].pheno, tmp, bcms_out_is_gz(data), o->model, &ps))) {
            if (rename(tmp, data) != 0) rc = bcms_err(BCMS_EIO, "%s: cannot rename: %s", tmp, strerror(errno));
            else rc = write_meta(data, o, &ph[p], &ps);
        }
        if (rc) remove(tmp);
        else
            bcms_log(BCMS_LOG_INFO, "%s: GWAS-SSF, %llu rows%s; %llu rows left out (no beta/SE/p, or not "
                     "representable)", data, (unsigned long long)ps.rows, ps.neglog ? ", p as neg_log_10_p_value" : "",
                     (unsigned long long)ps.dropped);
        free(data);
        free(tmp);
    }
    return rc;
}

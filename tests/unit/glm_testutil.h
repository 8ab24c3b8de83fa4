/* glm_testutil.h: fixture readers and comparisons for test_linear.c / test_logistic.c. */
#ifndef GLM_TESTUTIL_H
#define GLM_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/vcf.h>

#include "covar.h"
#include "err.h"
#include "glm.h"

static int g_fail = 0;
#define CHECK(c, ...) do { if (!(c)) { g_fail++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static double relerr(double got, double want)
{
    if (got == want) return 0;
    double d = fabs(got - want), s = fabs(want);
    return s > 0 ? d / s : d;
}

/* Relative error of got vs a value printed with `sig` significant digits: the printed rounding
 * (half a unit in the last place) is subtracted, so 6-digit PLINK output can be checked to 1e-5. */
static double relerr_printed(double got, double want, int sig)
{
    if (want == 0) return fabs(got);
    double ulp = pow(10, floor(log10(fabs(want))) - (sig - 1));
    double d = fabs(got - want) - 0.5 * ulp;
    return d > 0 ? d / fabs(want) : 0;
}

static const char *envdir(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v) { fprintf(stderr, "environment variable %s not set\n", name); exit(2); }
    return v;
}

/* ---- genipe regression_sim.txt(.bz2): y snp1 snp2 snp3 C1 C2 C3 age gender y_d ---- */
#define GEN_COLS 10
typedef struct { int n; double *v[GEN_COLS]; } genipe_t;
enum { G_Y, G_SNP1, G_SNP2, G_SNP3, G_C1, G_C2, G_C3, G_AGE, G_SEX, G_YD };

static int genipe_read(const char *path, genipe_t *g)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "bzip2 -dc '%s'", path);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    char line[4096];
    int cap = 8192;
    memset(g, 0, sizeof *g);
    for (int j = 0; j < GEN_COLS; j++) g->v[j] = malloc(cap * sizeof(double));
    if (!fgets(line, sizeof line, f)) { pclose(f); return -1; }
    while (fgets(line, sizeof line, f)) {
        if (g->n == cap) return -1;
        char *p = line;
        for (int j = 0; j < GEN_COLS; j++) {
            char *end = p + strcspn(p, "\t\n");
            char save = *end;
            *end = 0;
            g->v[j][g->n] = *p ? atof(p) : NAN;
            p = save ? end + 1 : end;
        }
        g->n++;
    }
    return pclose(f) == 0 ? 0 : -1;
}

/* ---- synthetic fixture: fixture.vcf, pheno.tsv, covar.tsv ---- */
typedef struct {
    int n, nvar;
    char **iid;
    double *qt, *bt, *age, *c1, *c2;
    char **centre;
    uint8_t *codes;   /* nvar x n */
    char **vid;
} fixture_t;

static void fixture_free(fixture_t *fx)
{
    for (int i = 0; fx->iid && i < fx->n; i++) free(fx->iid[i]);
    for (int i = 0; fx->centre && i < fx->n; i++) free(fx->centre[i]);
    for (int i = 0; fx->vid && i < fx->nvar; i++) free(fx->vid[i]);
    free(fx->iid), free(fx->centre), free(fx->vid), free(fx->codes);
    free(fx->qt), free(fx->bt), free(fx->age), free(fx->c1), free(fx->c2);
    memset(fx, 0, sizeof *fx);
}

static int fixture_read(const char *dir, fixture_t *fx)
{
    char path[8192], line[4096];
    memset(fx, 0, sizeof *fx);
    snprintf(path, sizeof path, "%s/fixture.vcf", dir);
    htsFile *fp = hts_open(path, "r");
    if (!fp) return -1;
    bcf_hdr_t *h = bcf_hdr_read(fp);
    int n = bcf_hdr_nsamples(h);
    fx->n = n;
    fx->iid = calloc(n, sizeof(char *));
    for (int i = 0; i < n; i++) fx->iid[i] = strdup(h->samples[i]);
    bcf1_t *rec = bcf_init();
    int32_t *gt = NULL, ngt = 0, cap = 0;
    while (bcf_read(fp, h, rec) == 0) {
        bcf_unpack(rec, BCF_UN_STR);
        if (fx->nvar == cap) {
            cap = cap ? 2 * cap : 256;
            fx->codes = realloc(fx->codes, (size_t)cap * n);
            fx->vid = realloc(fx->vid, cap * sizeof(char *));
        }
        fx->vid[fx->nvar] = strdup(rec->d.id);
        if (bcf_get_genotypes(h, rec, &gt, &ngt) != 2 * n) return -1;
        uint8_t *c = fx->codes + (size_t)fx->nvar * n;
        for (int i = 0; i < n; i++) {
            int32_t a = gt[2 * i], b = gt[2 * i + 1];
            if (bcf_gt_is_missing(a) || bcf_gt_is_missing(b)) c[i] = 3;
            else c[i] = (bcf_gt_allele(a) > 0) + (bcf_gt_allele(b) > 0);
        }
        fx->nvar++;
    }
    free(gt);
    bcf_destroy(rec);
    bcf_hdr_destroy(h);
    hts_close(fp);
    fx->qt = malloc(n * sizeof(double)); fx->bt = malloc(n * sizeof(double));
    fx->age = malloc(n * sizeof(double)); fx->c1 = malloc(n * sizeof(double));
    fx->c2 = malloc(n * sizeof(double)); fx->centre = calloc(n, sizeof(char *));
    /* files list samples in VCF order */
    snprintf(path, sizeof path, "%s/pheno.tsv", dir);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(line, sizeof line, f)) return -1;
    for (int i = 0; i < n && fgets(line, sizeof line, f); i++) {
        char id[64], q[64], b[64];
        if (sscanf(line, "%63s %63s %63s", id, q, b) != 3 || strcmp(id, fx->iid[i])) return -1;
        fx->qt[i] = strcmp(q, "NA") ? atof(q) : NAN;
        fx->bt[i] = strcmp(b, "NA") ? atof(b) - 1.0 : NAN;
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/covar.tsv", dir);
    f = fopen(path, "r");
    if (!f || !fgets(line, sizeof line, f)) return -1;
    for (int i = 0; i < n && fgets(line, sizeof line, f); i++) {
        char id[64], a[64], x1[64], x2[64], ce[64];
        if (sscanf(line, "%63s %63s %63s %63s %63s", id, a, x1, x2, ce) != 5 || strcmp(id, fx->iid[i]))
            return -1;
        fx->age[i] = strcmp(a, "NA") ? atof(a) : NAN;
        fx->c1[i] = atof(x1); fx->c2[i] = atof(x2); fx->centre[i] = strdup(ce);
    }
    fclose(f);
    return 0;
}

/* Samples with the phenotype and every covariate present: index list, count returned. */
static int fixture_keep(const fixture_t *fx, const double *pheno, int *keep)
{
    int nk = 0;
    for (int i = 0; i < fx->n; i++)
        if (!isnan(pheno[i]) && !isnan(fx->age[i])) keep[nk++] = i;
    return nk;
}

static int fixture_design(const fixture_t *fx, const int *keep, int nk, covar_design_t *d)
{
    double *tmp = malloc(nk * sizeof(double));
    const char **lv = malloc(nk * sizeof(char *));
    int rc = covar_design_init(d, nk);
    const double *cols[3] = {fx->age, fx->c1, fx->c2};
    const char *names[3] = {"AGE", "C1", "C2"};
    for (int c = 0; c < 3 && !rc; c++) {
        for (int t = 0; t < nk; t++) tmp[t] = cols[c][keep[t]];
        rc = covar_design_add_numeric(d, names[c], tmp);
    }
    for (int t = 0; t < nk; t++) lv[t] = fx->centre[keep[t]];
    if (!rc) rc = covar_design_add_categorical(d, "CENTRE", lv);
    free(tmp);
    free(lv);
    return rc;
}

/* Codes of the kept samples, nvar x nk. */
static uint8_t *fixture_codes(const fixture_t *fx, const int *keep, int nk)
{
    uint8_t *c = malloc((size_t)fx->nvar * nk);
    for (int v = 0; v < fx->nvar; v++)
        for (int t = 0; t < nk; t++) c[(size_t)v * nk + t] = fx->codes[(size_t)v * fx->n + keep[t]];
    return c;
}

/* ---- PLINK 2 --glm output ---- */
typedef struct {
    char id[64], ref[16], alt[16], a1[16], firth[4], err[64];
    double a1_freq, beta, se, stat, p;
    int n;
} plink_row_t;

/* Reads a .glm.linear or .glm.logistic.hybrid with columns
 * #CHROM POS ID REF ALT A1 A1_CT A1_FREQ [FIRTH?] TEST OBS_CT BETA SE T_STAT|Z_STAT P ERRCODE */
static int plink_read(const char *path, int has_firth, plink_row_t **rows)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int n = 0, cap = 0;
    *rows = NULL;
    if (!f || !fgets(line, sizeof line, f)) return -1;
    while (fgets(line, sizeof line, f)) {
        if (n == cap) { cap = cap ? 2 * cap : 256; *rows = realloc(*rows, cap * sizeof(plink_row_t)); }
        plink_row_t *r = &(*rows)[n];
        char tok[20][64];
        int nt = 0;
        for (char *p = strtok(line, "\t\n"); p && nt < 20; p = strtok(NULL, "\t\n")) {
            strncpy(tok[nt], p, 63); tok[nt][63] = 0; nt++;
        }
        int o = has_firth ? 1 : 0;
        if (nt != 15 + o) return -1;
        strcpy(r->id, tok[2]); strcpy(r->ref, tok[3]); strcpy(r->alt, tok[4]); strcpy(r->a1, tok[5]);
        r->a1_freq = atof(tok[7]);
        strcpy(r->firth, has_firth ? tok[8] : "N");
        r->n = atoi(tok[9 + o]);
        r->beta = strcmp(tok[10 + o], "NA") ? atof(tok[10 + o]) : NAN;
        r->se = strcmp(tok[11 + o], "NA") ? atof(tok[11 + o]) : NAN;
        r->stat = strcmp(tok[12 + o], "NA") ? atof(tok[12 + o]) : NAN;
        r->p = strcmp(tok[13 + o], "NA") ? atof(tok[13 + o]) : NAN;
        strcpy(r->err, tok[14 + o]);
        n++;
    }
    fclose(f);
    return n;
}

/* Bitwise equality of every field (memcmp would see the struct padding). */
static int result_same(const glm_result_t *a, const glm_result_t *b)
{
    return !memcmp(&a->beta, &b->beta, sizeof(double)) && !memcmp(&a->se, &b->se, sizeof(double)) &&
           !memcmp(&a->stat, &b->stat, sizeof(double)) && !memcmp(&a->p, &b->p, sizeof(double)) &&
           !memcmp(&a->log10p, &b->log10p, sizeof(double)) && a->n == b->n && a->firth == b->firth &&
           a->err == b->err && !memcmp(&a->a1_freq, &b->a1_freq, sizeof(double));
}

#endif

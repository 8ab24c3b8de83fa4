/* test_cox.c: Cox model core against R survival::coxph (genipe, gwasurvivr, own fixture) and a null
 * calibration. bcms, GPL-3.0-or-later.
 *
 * 1. genipe: expected_R_values.tsv Cox rows snp1..snp3 (full fit, complete cases): BETA, SE, P to
 *    1e-6 relative. The interaction row is skipped (the core fits one variant term, not products).
 * 2. gwasurvivr: michigan/sanger dosage VCFs (DS via bcf_get_format_float) to the 4 printed
 *    significant digits; PLINK hard calls: rs34919020 to 4 digits, the two monotone-likelihood fits
 *    must come out flagged (fit_status BCMS_ENUMERIC), never as numbers.
 * 3. tests/fixtures/cox (make_fixture.R): left truncation, 2 strata, 5 covariates, heavy ties, 75%
 *    censoring, rare variants: null coefficients 1e-6, full-fit BETA/SE 1e-5, score p (|z| < 2) 1e-4.
 * 4. null calibration: 5,000 samples, 80% censoring, 20,000 common + 20,000 MAF < 1% null variants:
 *    lambda GC in [0.95, 1.05] for each group (SPA on), and the rare group's count of p < 1e-3 within
 *    [1/4, 2] x expected (the plain normal score test fails this: 2.5-3 x).
 * The per-variant kernels against the double path: test_cox_kernel.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <htslib/vcf.h>

#include "cox.h"
#include "cox_testutil.h"
#include "err.h"

/* BCMS_TEST_COX_PDUMP=file: every p-value written there (to compare p across changes to the SPA) */
static FILE *pdump;

/* |a - b| within half a unit of the 4th significant digit of b (printed precision) */
static int sig4(double a, double b)
{
    double unit = pow(10, floor(log10(fabs(b))) - 3);
    return fabs(a - b) <= 0.5 * unit * 1.0001 + 1e-12;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

/* ---- a tiny TSV reader: header + rows of fields (empty = NAN) ---- */
typedef struct {
    int nc, nr;
    char **names;
    double *v; /* nr * nc */
    char **first; /* first column as text */
} tsv_t;

static void tsv_free(tsv_t *t)
{
    if (!t) return;
    for (int c = 0; c < t->nc; c++) free(t->names[c]);
    for (int r = 0; r < t->nr; r++) free(t->first[r]);
    free(t->names); free(t->v); free(t->first); free(t);
}

static tsv_t *tsv_read(FILE *f, char sep)
{
    tsv_t *t = calloc(1, sizeof(*t));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rcap = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (!t->names) {
            int nc = 1;
            for (char *p = line; *p; p++) nc += *p == sep;
            t->nc = nc;
            t->names = calloc(nc, sizeof(char *));
            char *s = line;
            for (int c = 0; c < nc; c++) {
                char *e = strchr(s, sep);
                if (e) *e = 0;
                t->names[c] = strdup(s);
                s = e ? e + 1 : s + strlen(s);
            }
            continue;
        }
        if (t->nr == rcap) {
            rcap = rcap ? 2 * rcap : 1024;
            t->v = realloc(t->v, sizeof(double) * rcap * t->nc);
            t->first = realloc(t->first, sizeof(char *) * rcap);
        }
        double *row = t->v + (size_t)t->nr * t->nc;
        char *s = line;
        for (int c = 0; c < t->nc; c++) {
            char *e = strchr(s, sep);
            if (e) *e = 0;
            if (c == 0) t->first[t->nr] = strdup(s);
            char *end;
            double x = strtod(s, &end);
            row[c] = (end == s) ? NAN : x;
            s = e ? e + 1 : s + strlen(s);
        }
        t->nr++;
    }
    free(line);
    return t;
}

static int tsv_col(const tsv_t *t, const char *name)
{
    for (int c = 0; c < t->nc; c++)
        if (!strcmp(t->names[c], name)) return c;
    fprintf(stderr, "column %s not found\n", name);
    exit(2);
}

#define TV(t, r, c) ((t)->v[(size_t)(r) * (t)->nc + (c)])

/* ---------------------------------------------------------------- 1. genipe */
static void test_genipe(const char *peer)
{
    char path[4096], cmd[4200];
    snprintf(path, sizeof path, "%s/genipe/regression_sim.txt.bz2", peer);
    snprintf(cmd, sizeof cmd, "bzip2 -dc '%s'", path);
    FILE *f = popen(cmd, "r");
    CHECK(f, "cannot run %s", cmd);
    if (!f) return;
    tsv_t *d = tsv_read(f, '\t');
    pclose(f);
    CHECK(d->nr == 6000, "genipe rows %d", d->nr);
    snprintf(path, sizeof path, "%s/genipe/expected_R_values.tsv", peer);
    FILE *fe = fopen(path, "r");
    CHECK(fe, "cannot open %s", path);
    if (!fe) { tsv_free(d); return; }
    tsv_t *ex = tsv_read(fe, '\t');
    fclose(fe);
    int cy = tsv_col(d, "y"), cd = tsv_col(d, "y_d"), cg = tsv_col(d, "gender");
    int cc[4] = {tsv_col(d, "C1"), tsv_col(d, "C2"), tsv_col(d, "C3"), tsv_col(d, "age")};
    int xterm = tsv_col(ex, "term"), xcoef = tsv_col(ex, "coef"), xse = tsv_col(ex, "se"),
        xp = tsv_col(ex, "p");
    (void)xterm;
    double maxb = 0, maxs = 0, maxp = 0;
    int tested = 0;
    /* the term column is text: re-read it from the raw file */
    fe = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int r = -1;
    while (getline(&line, &cap, fe) > 0) {
        if (r++ < 0) continue;
        if (strncmp(line, "cox\t", 4)) continue;
        char *fields[6] = {0};
        char *s = line;
        for (int c = 0; c < 6 && s; c++) {
            fields[c] = s;
            s = strchr(s, '\t');
            if (s) *s++ = 0;
        }
        const char *term = fields[4];
        if (strchr(term, ':')) {
            fprintf(stderr, "genipe: skipping interaction row %s (no product terms in the core)\n", term);
            continue;
        }
        int cs = tsv_col(d, term);
        cox_opts_t o;
        cox_opts_init(&o);
        int n = 0;
        double *tm = malloc(sizeof(double) * d->nr), *cov = malloc(sizeof(double) * d->nr * 5),
               *x = malloc(sizeof(double) * d->nr);
        int *ev = malloc(sizeof(int) * d->nr);
        for (int i = 0; i < d->nr; i++) {
            double v[8] = {TV(d, i, cy), TV(d, i, cd), TV(d, i, cs), TV(d, i, cg),
                           TV(d, i, cc[0]), TV(d, i, cc[1]), TV(d, i, cc[2]), TV(d, i, cc[3])};
            int ok = 1;
            for (int q = 0; q < 8; q++) ok &= !isnan(v[q]);
            if (!ok) continue;
            tm[n] = v[0];
            ev[n] = (int)v[1];
            x[n] = v[2];
            for (int q = 0; q < 4; q++) cov[n * 5 + q] = v[4 + q];
            cov[n * 5 + 4] = v[3] == 2;
            n++;
        }
        cox_data_t dd = {.n = n, .time = tm, .event = ev, .k = 5, .cov = cov};
        cox_null_t *nm;
        int rc = cox_null_fit(&dd, &o, &nm);
        CHECK(rc == 0, "genipe null fit: %s", bcms_err_detail());
        if (rc == 0) {
            cox_ws_t *ws;
            cox_ws_alloc(nm, &ws);
            cox_result_t res;
            memset(&res, 0, sizeof res);
            o.fit_pmax = 2;
            cox_test_x(nm, ws, &o, x, &res);
            double eb = TV(ex, r - 1, xcoef), es = TV(ex, r - 1, xse), ep = TV(ex, r - 1, xp);
            CHECK(res.fit_status == 0, "genipe %s fit flagged %d", term, res.fit_flags);
            double e1 = relerr(res.beta, eb), e2 = relerr(res.se, es), e3 = relerr(res.wald_p, ep);
            CHECK(e1 < 1e-6 && e2 < 1e-6 && e3 < 1e-6, "genipe %s beta %.12g/%.12g se %.12g/%.12g p %.6g/%.6g",
                  term, res.beta, eb, res.se, es, res.wald_p, ep);
            if (e1 > maxb) maxb = e1;
            if (e2 > maxs) maxs = e2;
            if (e3 > maxp) maxp = e3;
            tested++;
            cox_ws_free(ws);
            cox_null_free(nm);
        }
        free(tm); free(cov); free(x); free(ev);
    }
    free(line);
    fclose(fe);
    CHECK(tested == 3, "genipe: %d Cox rows tested", tested);
    printf("genipe: %d Cox fits, max rel err beta %.2e se %.2e p %.2e\n", tested, maxb, maxs, maxp);
    tsv_free(d);
    tsv_free(ex);
}

/* ---------------------------------------------------------------- 2. gwasurvivr */
typedef struct {
    int n;
    double *time, *cov; /* cov: age, SexFemale, DrugTxYes */
    int *event;
    char **id;
} gpheno_t;

static int read_gpheno(const char *peer, gpheno_t *g)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/gwasurvivr/extdata/simulated_pheno.txt", peer);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char id1[64], id2[64], sex[32], grp[32], hdr[512];
    int event, drug;
    double time, age;
    g->n = 0;
    g->time = malloc(sizeof(double) * 1000);
    g->cov = malloc(sizeof(double) * 3000);
    g->event = malloc(sizeof(int) * 1000);
    g->id = malloc(sizeof(char *) * 1000);
    if (!fgets(hdr, sizeof hdr, f)) { fclose(f); return -1; }
    while (fscanf(f, "%63s %63s %d %lf %lf %d %31s %31s", id1, id2, &event, &time, &age, &drug, sex, grp) == 8) {
        if (strcmp(grp, "experimental")) continue;
        int i = g->n++;
        g->time[i] = time;
        g->event[i] = event;
        g->cov[i * 3] = age;
        g->cov[i * 3 + 1] = !strcmp(sex, "female");
        g->cov[i * 3 + 2] = drug;
        g->id[i] = strdup(id2);
    }
    fclose(f);
    return 0;
}

static const struct { const char *rsid; double coef, se, p; } gw_expect[3] = {
    {"rs34919020", 0.2025, 0.5497, 0.7126},
    {"rs8005305", -0.1227, 0.4981, 0.8054},
    {"rs757545375", -0.1272, 0.4981, 0.7984},
};

static void test_gwasurvivr_vcf(const char *peer, const gpheno_t *g, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/gwasurvivr/extdata/%s", peer, file);
    htsFile *fp = hts_open(path, "r");
    CHECK(fp, "cannot open %s", path);
    if (!fp) return;
    bcf_hdr_t *h = bcf_hdr_read(fp);
    int ns = bcf_hdr_nsamples(h);
    int *gi = malloc(sizeof(int) * g->n);
    for (int i = 0; i < g->n; i++) {
        gi[i] = bcf_hdr_id2int(h, BCF_DT_SAMPLE, g->id[i]);
        CHECK(gi[i] >= 0, "%s: sample %s not in VCF", file, g->id[i]);
    }
    cox_opts_t o;
    cox_opts_init(&o);
    o.fit_pmax = 2;
    cox_data_t dd = {.n = g->n, .time = g->time, .event = g->event, .k = 3, .cov = g->cov,
                     .n_geno = ns, .geno_index = gi};
    cox_null_t *nm;
    int rc = cox_null_fit(&dd, &o, &nm);
    CHECK(rc == 0, "gwasurvivr null: %s", bcms_err_detail());
    CHECK(g->n == 52 && cox_null_n_events(nm) == 21, "gwasurvivr: N %d events %d", g->n,
          cox_null_n_events(nm));
    cox_ws_t *ws;
    cox_ws_alloc(nm, &ws);
    bcf1_t *b = bcf_init();
    float *ds = NULL;
    int nds = 0, v = 0;
    while (bcf_read(fp, h, b) == 0) {
        bcf_unpack(b, BCF_UN_ALL);
        int got = bcf_get_format_float(h, b, "DS", &ds, &nds);
        CHECK(got == ns, "%s: DS count %d", file, got);
        for (int i = 0; i < ns; i++)
            if (bcf_float_is_missing(ds[i])) ds[i] = NAN;
        cox_result_t r;
        cox_test_dosage(nm, ws, &o, ds, &r);
        int q = -1;
        for (int e = 0; e < 3; e++)
            if (!strcmp(b->d.id, gw_expect[e].rsid)) q = e;
        CHECK(q >= 0, "%s: unexpected variant %s", file, b->d.id);
        if (q >= 0) {
            CHECK(r.fit_status == 0 && sig4(r.beta, gw_expect[q].coef) && sig4(r.se, gw_expect[q].se) &&
                      sig4(r.wald_p, gw_expect[q].p) && r.n_fit == 52 && r.events_fit == 21,
                  "%s %s: coef %.6g/%.4g se %.6g/%.4g p %.6g/%.4g", file, b->d.id, r.beta,
                  gw_expect[q].coef, r.se, gw_expect[q].se, r.wald_p, gw_expect[q].p);
        }
        v++;
    }
    CHECK(v == 3, "%s: %d variants", file, v);
    printf("gwasurvivr %s: %d dosage fits match the snapshot (4 significant digits)\n", file, v);
    free(ds);
    bcf_destroy(b);
    bcf_hdr_destroy(h);
    hts_close(fp);
    cox_ws_free(ws);
    cox_null_free(nm);
    free(gi);
}

static void test_gwasurvivr_plink(const char *peer, const gpheno_t *g)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/gwasurvivr/extdata/plink_example.fam", peer);
    FILE *f = fopen(path, "r");
    CHECK(f, "cannot open %s", path);
    if (!f) return;
    char fid[64], iid[64], rest[256];
    char ids[200][64];
    int nf = 0;
    while (nf < 200 && fscanf(f, "%63s %63s", fid, iid) == 2) {
        strcpy(ids[nf++], iid);
        if (!fgets(rest, sizeof rest, f)) break;
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/gwasurvivr/extdata/plink_example.bed", peer);
    f = fopen(path, "rb");
    unsigned char bed[4096];
    size_t nb = fread(bed, 1, sizeof bed, f);
    fclose(f);
    int bpv = (nf + 3) / 4;
    CHECK(nb == 3 + 3 * (size_t)bpv && bed[0] == 0x6c && bed[1] == 0x1b && bed[2] == 1, "bed layout");
    int *gi = malloc(sizeof(int) * g->n);
    for (int i = 0; i < g->n; i++) {
        gi[i] = -1;
        for (int s = 0; s < nf; s++)
            if (!strcmp(ids[s], g->id[i])) gi[i] = s;
    }
    cox_opts_t o;
    cox_opts_init(&o);
    o.fit_pmax = 2;
    cox_data_t dd = {.n = g->n, .time = g->time, .event = g->event, .k = 3, .cov = g->cov,
                     .n_geno = nf, .geno_index = gi};
    cox_null_t *nm;
    if (cox_null_fit(&dd, &o, &nm)) { CHECK(0, "plink null fit"); free(gi); return; }
    cox_ws_t *ws;
    cox_ws_alloc(nm, &ws);
    uint8_t gt[200];
    for (int v = 0; v < 3; v++) {
        const unsigned char *p = bed + 3 + v * bpv;
        for (int s = 0; s < nf; s++) {
            int c = (p[s / 4] >> (2 * (s % 4))) & 3; /* 00 hom A1, 01 missing, 10 het, 11 hom A2 */
            gt[s] = c == 0 ? 0 : c == 1 ? 3 : c == 2 ? 1 : 2; /* count of the bim's 2nd allele (T) */
        }
        cox_result_t r;
        cox_test_gt(nm, ws, &o, gt, &r);
        if (v == 0) {
            CHECK(r.fit_status == 0 && r.n_fit == 18 && r.events_fit == 5 && sig4(r.beta, -0.6121) &&
                      sig4(r.se, 1.088) && sig4(r.wald_p, 0.5735),
                  "plink rs34919020: N %d ev %d coef %.6g se %.6g p %.6g", r.n_fit, r.events_fit,
                  r.beta, r.se, r.wald_p);
        } else {
            CHECK(r.n_fit == 9 && r.events_fit == 2, "plink variant %d: N %d events %d", v, r.n_fit,
                  r.events_fit);
            CHECK(r.fit_status == BCMS_ENUMERIC && isnan(r.beta) && isnan(r.se) && isnan(r.wald_p),
                  "plink variant %d: monotone likelihood not flagged (status %d beta %g se %g)", v,
                  r.fit_status, r.beta, r.se);
            printf("plink variant %d: degenerate fit flagged (flags %d, N %d, events %d)\n", v,
                   r.fit_flags, r.n_fit, r.events_fit);
        }
    }
    cox_ws_free(ws);
    cox_null_free(nm);
    free(gi);
}

static void test_gwasurvivr(const char *peer)
{
    gpheno_t g;
    if (read_gpheno(peer, &g)) { CHECK(0, "gwasurvivr phenotypes"); return; }
    test_gwasurvivr_vcf(peer, &g, "michigan.chr14.dose.vcf.gz");
    test_gwasurvivr_vcf(peer, &g, "sanger.pbwt_reference_impute.vcf.gz");
    test_gwasurvivr_plink(peer, &g);
    for (int i = 0; i < g.n; i++) free(g.id[i]);
    free(g.id); free(g.time); free(g.cov); free(g.event);
}

/* ---------------------------------------------------------------- 3. own fixture */
static tsv_t *read_fixture(const char *src, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/cox/%s", src, name);
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "cannot open %s\n", path); exit(2); }
    tsv_t *t = tsv_read(f, '\t');
    fclose(f);
    return t;
}

static void test_fixture(const char *src)
{
    tsv_t *d = read_fixture(src, "data.tsv"), *fits = read_fixture(src, "fits.tsv"),
          *sc = read_fixture(src, "score.tsv"), *nul = read_fixture(src, "null.tsv");
    const int n = d->nr, k = 5;
    double *tm = malloc(sizeof(double) * n), *en = malloc(sizeof(double) * n),
           *cov = malloc(sizeof(double) * n * k), *x = malloc(sizeof(double) * n);
    int *ev = malloc(sizeof(int) * n), *st = malloc(sizeof(int) * n);
    float *xf = malloc(sizeof(float) * n);
    uint8_t *xg = malloc(n);
    int ct = tsv_col(d, "time"), ce = tsv_col(d, "entry"), cv = tsv_col(d, "event"),
        cs = tsv_col(d, "stratum"), c1 = tsv_col(d, "c1");
    for (int i = 0; i < n; i++) {
        tm[i] = TV(d, i, ct);
        en[i] = TV(d, i, ce);
        ev[i] = (int)TV(d, i, cv);
        st[i] = (int)TV(d, i, cs);
        for (int c = 0; c < k; c++) cov[i * k + c] = TV(d, i, c1 + c);
    }
    cox_opts_t o;
    cox_opts_init(&o);
    o.fit_pmax = 2; /* fit every variant */
    cox_data_t dd = {.n = n, .time = tm, .event = ev, .entry = en, .strata = st, .k = k, .cov = cov};
    cox_null_t *nm;
    int rc = cox_null_fit(&dd, &o, &nm);
    CHECK(rc == 0, "fixture null: %s", bcms_err_detail());
    if (rc) return;
    double maxnull = 0;
    for (int c = 0; c < k; c++) maxnull = fmax(maxnull, relerr(cox_null_coef(nm)[c], TV(nul, c, 1)));
    maxnull = fmax(maxnull, relerr(cox_null_loglik(nm), TV(nul, k, 1)));
    CHECK(maxnull < 1e-6, "fixture null coefficients/loglik rel err %.3g", maxnull);
    cox_ws_t *ws;
    cox_ws_alloc(nm, &ws);
    int fcoef = tsv_col(fits, "coef"), fse = tsv_col(fits, "se"), flp = tsv_col(fits, "lrt_p"),
        sp = tsv_col(sc, "p"), sst = tsv_col(sc, "score");
    double mb = 0, ms = 0, ml = 0, mp = 0, mst = 0;
    int nscore = 0, nspa = 0;
    for (int v = 0; v < fits->nr; v++) {
        int cg = tsv_col(d, fits->first[v]);
        for (int i = 0; i < n; i++) x[i] = TV(d, i, cg);
        cox_result_t r, rf, rg;
        cox_test_x(nm, ws, &o, x, &r);
        /* the same variant as float dosages and as hard calls: same numbers */
        for (int i = 0; i < n; i++) {
            xf[i] = (float)x[i];
            xg[i] = (uint8_t)x[i];
        }
        cox_test_dosage(nm, ws, &o, xf, &rf);
        cox_test_gt(nm, ws, &o, xg, &rg);
        double dk = fmax(relerr(rf.u, r.u) + relerr(rf.v, r.v) + relerr(rf.p, r.p) + relerr(rf.beta, r.beta),
                         relerr(rg.u, r.u) + relerr(rg.v, r.v) + relerr(rg.p, r.p) + relerr(rg.beta, r.beta));
        CHECK(dk < 1e-10, "fixture %s: dosage/hard-call paths differ from the double path (%.3g)",
              fits->first[v], dk);
        double eb = relerr(r.beta, TV(fits, v, fcoef)), es = relerr(r.se, TV(fits, v, fse)),
               el = relerr(r.lrt_p, TV(fits, v, flp));
        CHECK(r.fit_status == 0 && eb < 1e-5 && es < 1e-5 && el < 1e-5,
              "fixture %s: status %d beta %.10g/%.10g se %.10g/%.10g lrt p %.6g/%.6g", fits->first[v],
              r.fit_status, r.beta, TV(fits, v, fcoef), r.se, TV(fits, v, fse), r.lrt_p, TV(fits, v, flp));
        mb = fmax(mb, eb);
        ms = fmax(ms, es);
        ml = fmax(ml, el);
        double est = relerr(r.z * r.z, TV(sc, v, sst));
        mst = fmax(mst, est);
        CHECK(est < 1e-4, "fixture %s: score statistic %.10g vs R %.10g", fits->first[v], r.z * r.z,
              TV(sc, v, sst));
        if (fabs(r.z) < 2) {
            double ep = relerr(r.p, TV(sc, v, sp));
            CHECK(!r.spa_used && ep < 1e-4, "fixture %s: score p %.10g vs R %.10g", fits->first[v], r.p,
                  TV(sc, v, sp));
            mp = fmax(mp, ep);
            nscore++;
        } else {
            CHECK(r.spa_used, "fixture %s: |z| %.3f >= 2 but no SPA", fits->first[v], fabs(r.z));
            nspa++;
        }
        if (pdump) fprintf(pdump, "fixture\t%s\t%.17g\n", fits->first[v], r.p);
    }
    /* missing genotypes: the full fit drops them and refits the null on the same samples, so it
     * must equal a fit whose null model was built without those samples */
    {
        int cg = tsv_col(d, "g7"), n2 = 0;
        double *x2 = malloc(sizeof(double) * n), *t2 = malloc(sizeof(double) * n),
               *e2 = malloc(sizeof(double) * n), *c2 = malloc(sizeof(double) * n * k);
        int *v2 = malloc(sizeof(int) * n), *s2 = malloc(sizeof(int) * n);
        for (int i = 0; i < n; i++) {
            x[i] = (i % 17 == 3) ? NAN : TV(d, i, cg);
            if (isnan(x[i])) continue;
            x2[n2] = x[i]; t2[n2] = tm[i]; e2[n2] = en[i]; v2[n2] = ev[i]; s2[n2] = st[i];
            memcpy(c2 + n2 * k, cov + i * k, sizeof(double) * k);
            n2++;
        }
        cox_result_t ra, rb;
        cox_test_x(nm, ws, &o, x, &ra);
        cox_data_t d2 = {.n = n2, .time = t2, .event = v2, .entry = e2, .strata = s2, .k = k, .cov = c2};
        cox_null_t *nm2;
        cox_ws_t *ws2;
        CHECK(cox_null_fit(&d2, &o, &nm2) == 0, "subset null fit");
        cox_ws_alloc(nm2, &ws2);
        cox_test_x(nm2, ws2, &o, x2, &rb);
        CHECK(ra.n_miss == n - n2 && ra.n_fit == n2 && relerr(ra.beta, rb.beta) < 1e-7 &&
                  relerr(ra.se, rb.se) < 1e-7 && relerr(ra.lrt, rb.lrt) < 1e-6,
              "missing genotypes: beta %.10g/%.10g se %.10g/%.10g lrt %.10g/%.10g", ra.beta, rb.beta,
              ra.se, rb.se, ra.lrt, rb.lrt);
        printf("fixture: %d missing genotypes dropped in the full fit: beta %.8g = subset fit %.8g\n",
               ra.n_miss, ra.beta, rb.beta);
        cox_ws_free(ws2);
        cox_null_free(nm2);
        free(x2); free(t2); free(e2); free(c2); free(v2); free(s2);
    }
    /* input errors are reported, not crashed on */
    {
        cox_opts_t bad = o;
        bad.eps = 0;
        CHECK(cox_opts_check(&bad) == BCMS_EINVAL, "eps 0 accepted");
        double e0 = en[0];
        en[0] = tm[0];
        cox_null_t *nb = NULL;
        CHECK(cox_null_fit(&dd, &o, &nb) == BCMS_EINVAL && nb == NULL, "entry == time accepted");
        en[0] = e0;
        int v0 = ev[0];
        ev[0] = 2;
        CHECK(cox_null_fit(&dd, &o, &nb) == BCMS_EINVAL, "event 2 accepted");
        ev[0] = v0;
        for (int i = 0; i < n; i++) x[i] = 1;
        cox_result_t rm;
        cox_test_x(nm, ws, &o, x, &rm);
        CHECK(rm.score_status == BCMS_ENUMERIC && isnan(rm.p), "monomorphic variant gave p %g", rm.p);
    }
    printf("fixture: n %d, %d variants: max rel err beta %.2e se %.2e LRT p %.2e; score chi2 %.2e; "
           "score p (|z|<2, %d variants) %.2e; %d SPA variants; null %.2e\n",
           n, fits->nr, mb, ms, ml, mst, nscore, mp, nspa, maxnull);
    cox_ws_free(ws);
    cox_null_free(nm);
    free(tm); free(en); free(cov); free(x); free(ev); free(st); free(xf); free(xg);
    tsv_free(d); tsv_free(fits); tsv_free(sc); tsv_free(nul);
}

/* ---------------------------------------------------------------- 4. null calibration */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double lambda_from_p(double *p, int m)
{
    qsort(p, m, sizeof(double), cmp_d);
    double med = m % 2 ? p[m / 2] : 0.5 * (p[m / 2 - 1] + p[m / 2]);
    /* chi2(1) quantile of 1 - med = (normal quantile of med/2)^2 */
    double z = 0, lo = 0, hi = 40;
    for (int it = 0; it < 200; it++) { /* solve erfc(z/sqrt2) = med */
        z = 0.5 * (lo + hi);
        if (erfc(z / M_SQRT2) > med) lo = z;
        else hi = z;
    }
    return z * z / 0.4549364;
}

static void test_calibration(void)
{
    const int n = 5000, k = 2, m = 20000;
    rng_state = 12345;
    double *tm = malloc(sizeof(double) * n), *cov = malloc(sizeof(double) * n * k);
    int *ev = malloc(sizeof(int) * n);
    int nev = 0;
    for (int i = 0; i < n; i++) {
        cov[i * k] = rnorm();
        cov[i * k + 1] = unif() < 0.5;
        double lp = 0.5 * cov[i * k] - 0.3 * cov[i * k + 1];
        double t = -log(1 - unif()) / (0.1 * exp(lp)), c = -log(1 - unif()) / 0.45;
        tm[i] = ceil(fmin(t, c) * 12) / 12; /* monthly ties */
        ev[i] = t <= c;
        nev += ev[i];
    }
    cox_opts_t o;
    cox_opts_init(&o);
    o.fit_pmax = 0;
    cox_data_t dd = {.n = n, .time = tm, .event = ev, .k = k, .cov = cov};
    cox_null_t *nm;
    int rc = cox_null_fit(&dd, &o, &nm);
    CHECK(rc == 0, "calibration null: %s", bcms_err_detail());
    if (rc) return;
    cox_ws_t *ws;
    cox_ws_alloc(nm, &ws);
    uint8_t *gt = malloc(n);
    double *pc = malloc(sizeof(double) * m), *pr = malloc(sizeof(double) * m),
           *prn = malloc(sizeof(double) * m);
    cox_opts_t on = o;
    on.spa = 0;
    clock_t t0 = clock();
    /* variants in blocks of 8 through cox_test_gt_block; the first blocks are checked against
     * cox_test_gt one by one (same numbers) */
    const int B = 8;
    uint8_t *blk = malloc((size_t)B * n);
    cox_result_t rb[8], rs;
    double maxdiff = 0;
    for (int grp = 0; grp < 2; grp++)
        for (int v0 = 0; v0 < m; v0 += B) {
            for (int b = 0; b < B; b++) {
                double f = grp == 0 ? 0.05 + 0.45 * unif() : 0.001 + 0.009 * unif();
                double p0 = (1 - f) * (1 - f), p1 = p0 + 2 * f * (1 - f);
                uint8_t *g = blk + (size_t)b * n;
                int mac = 0;
                for (int i = 0; i < n; i++) {
                    double u = unif();
                    g[i] = u < 0.002 ? 3 : u < p0 ? 0 : u < p1 ? 1 : 2;
                    mac += g[i] == 1 || g[i] == 2;
                }
                if (mac == 0) g[0] = 1; /* keep every variant polymorphic */
            }
            cox_test_gt_block(nm, ws, &o, B, blk, n, rb);
            for (int b = 0; b < B; b++) {
                (grp == 0 ? pc : pr)[v0 + b] = rb[b].p;
                if (pdump) fprintf(pdump, "calibration\t%d:%d\t%.17g\n", grp, v0 + b, rb[b].p);
                if (v0 < 400) {
                    cox_test_gt(nm, ws, &o, blk + (size_t)b * n, &rs);
                    maxdiff = fmax(maxdiff, relerr(rs.p, rb[b].p) + relerr(rs.u, rb[b].u));
                }
                if (grp == 1) {
                    cox_test_gt(nm, ws, &on, blk + (size_t)b * n, &rs);
                    prn[v0 + b] = rs.p;
                }
            }
        }
    free(blk);
    CHECK(maxdiff < 1e-12, "block vs single variant: rel diff %.3g", maxdiff);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    double lc = lambda_from_p(pc, m), lr = lambda_from_p(pr, m), lrn = lambda_from_p(prn, m);
    /* tail check for the rare group: fraction below 1e-3 */
    int tail = 0, tailn = 0;
    for (int v = 0; v < m; v++) {
        tail += pr[v] < 1e-3;
        tailn += prn[v] < 1e-3;
    }
    printf("calibration: n %d, censoring %.3f, lambda common %.4f, MAF<1%% (SPA) %.4f (normal only "
           "%.4f); MAF<1%% p<1e-3: SPA %d, normal %d (expected ~%d); %.2f s\n",
           n, 1 - (double)nev / n, lc, lr, lrn, tail, tailn, m / 1000, secs);
    CHECK(lc >= 0.95 && lc <= 1.05, "lambda common %.4f", lc);
    CHECK(lr >= 0.95 && lr <= 1.05, "lambda rare %.4f", lr);
    /* the tail is what SPA is for: the normal test gives 2-3x too many rare p < 1e-3 here */
    CHECK(tail >= m / 4000 && tail <= 2 * m / 1000, "rare p < 1e-3: %d, expected about %d", tail, m / 1000);
    cox_ws_free(ws);
    cox_null_free(nm);
    free(tm); free(cov); free(ev); free(gt); free(pc); free(pr); free(prn);
}

int main(void)
{
    const char *src = env_or("BCMS_SRC", ".");
    const char *peer = env_or("BCMS_PEER", "../shared/peer-data");
    const char *dump = getenv("BCMS_TEST_COX_PDUMP");
    if (dump && !(pdump = fopen(dump, "w"))) fprintf(stderr, "test_cox: cannot write %s\n", dump);
    test_fixture(src);
    test_genipe(peer);
    test_gwasurvivr(peer);
    test_calibration();
    if (pdump) fclose(pdump);
    if (failures) fprintf(stderr, "test_cox: %d failure(s)\n", failures);
    else printf("test_cox: all passed\n");
    return failures ? 1 : 0;
}

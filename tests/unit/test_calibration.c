/* test_calibration.c: the P that scans report is calibrated under the null. bcms, GPL-3.0-or-later.
 *
 * 1. Cox (the reported P: the score test, SPA in the tails, on refitted rows too): genotypes simulated
 *    independently of the endpoint (an exact null), 20,000 variants of MAF 0.5%-50% over 2,000
 *    samples with two covariates, four designs: plain, entry times that depend on the exit time,
 *    3 strata, both. The counts of p < 0.01 and p < 0.001 must lie within their 99.9% binomial bounds.
 * 2. Cox against a permutation p (statistic U, the null model's martingale residuals fixed: the exact
 *    conditional null) on skewed cases: few events, almost no censoring with heavy ties, very low
 *    MAF. The SPA p must be within a factor 1.5 of the permutation p (10^6 permutations).
 * 3. Linear and logistic (Wald, Firth fallback on) the same tail counts under the null.
 * Reference: the binomial distribution (GSL) and the permutation distribution computed here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "cox.h"
#include "cox_testutil.h"
#include "covar.h"
#include "err.h"
#include "glm.h"

/* 99.9% two-sided binomial bounds of the count of p < a among m null tests */
static void binom_bounds(double a, int m, int *lo, int *hi)
{
    *lo = 0;
    while (gsl_cdf_binomial_P((unsigned)*lo, a, (unsigned)m) < 0.0005) ++*lo;
    *hi = m;
    while (*hi > 0 && gsl_cdf_binomial_Q((unsigned)(*hi - 1), a, (unsigned)m) < 0.0005) --*hi;
}

static void tail_check(const char *what, const double *p, int m)
{
    int c2 = 0, c3 = 0, lo2, hi2, lo3, hi3, nn = 0;
    for (int v = 0; v < m; v++) {
        if (isnan(p[v])) continue;
        nn++;
        c2 += p[v] < 0.01;
        c3 += p[v] < 0.001;
    }
    binom_bounds(0.01, nn, &lo2, &hi2);
    binom_bounds(0.001, nn, &lo3, &hi3);
    printf("%-34s %6d tests: p<0.01 %4d [%d, %d]  p<0.001 %3d [%d, %d]\n", what, nn, c2, lo2, hi2, c3, lo3, hi3);
    CHECK(nn > m * 0.95, "%s: only %d of %d tests have a p", what, nn, m);
    CHECK(c2 >= lo2 && c2 <= hi2, "%s: %d p < 0.01, outside [%d, %d]", what, c2, lo2, hi2);
    CHECK(c3 >= lo3 && c3 <= hi3, "%s: %d p < 0.001, outside [%d, %d]", what, c3, lo3, hi3);
}

static uint8_t draw_gt(double maf)
{
    return (uint8_t)((unif() < maf) + (unif() < maf));
}

/* ---- 1. Cox null counts ---- */
static void cox_null_counts(int use_entry, int use_strata, int use_offset)
{
    enum { N = 2000, M = 20000, K = 2 };
    double *t = malloc(sizeof *t * N), *en = malloc(sizeof *en * N), *cov = malloc(sizeof *cov * N * K);
    double *p = malloc(sizeof *p * M);
    int *ev = malloc(sizeof *ev * N), *st = malloc(sizeof *st * N);
    uint8_t *g = malloc(N);
    double *off = malloc(sizeof *off * N);
    rng_state = 1000 + 2 * use_entry + use_strata + 4 * use_offset;
    for (int i = 0; i < N; i++) {
        cov[i * K] = 40 + 10 * rnorm();
        cov[i * K + 1] = unif() < 0.5;
        st[i] = (int)(3 * unif());
        off[i] = use_offset ? 0.8 * rnorm() : 0; /* a known part of the log hazard (a LOCO prediction) */
        double rate = exp(0.03 * (cov[i * K] - 40) + 0.4 * cov[i * K + 1] + 0.3 * st[i] + off[i]);
        double te = -log(1 - unif()) / rate, tc = -log(1 - unif()) / 0.7;
        /* times rounded to a grid: ties, as visit dates give */
        t[i] = ceil(fmin(te, tc) * 20) / 20;
        ev[i] = te <= tc;
        /* entry depends on the exit time (a registry entered years after onset) */
        en[i] = use_entry ? t[i] * unif() * 0.9 : 0;
        if (use_entry && en[i] >= t[i]) en[i] = 0;
    }
    cox_data_t d = {N, t, ev, use_entry ? en : NULL, use_strata ? st : NULL, K, cov, 0, NULL, NULL};
    d.offset = use_offset ? off : NULL;
    cox_opts_t o;
    cox_null_t *nm = NULL;
    cox_ws_t *ws = NULL;
    cox_opts_init(&o);
    int rc = cox_null_fit(&d, &o, &nm);
    CHECK(rc == 0, "cox null fit: %s", bcms_err_detail());
    if (!rc && cox_ws_alloc(nm, &ws) == 0) {
        for (int v = 0; v < M; v++) {
            double maf = v % 4 == 0 ? 0.005 + 0.045 * unif() : 0.05 + 0.45 * unif();
            for (int i = 0; i < N; i++) g[i] = draw_gt(maf);
            cox_result_t r;
            cox_test_gt(nm, ws, &o, g, &r);
            p[v] = r.score_status ? NAN : r.p;
        }
        char what[64];
        snprintf(what, sizeof what, "cox%s%s%s", use_entry ? " --entry" : "", use_strata ? " --strata" : "",
                 use_offset ? " --offset" : "");
        tail_check(what, p, M);
    }
    cox_ws_free(ws);
    cox_null_free(nm);
    free(t), free(en), free(cov), free(p), free(ev), free(st), free(g), free(off);
}

/* ---- 2. Cox SPA against a permutation p ---- */
typedef struct {
    const char *name;
    int n;
    double event_frac; /* fraction of events (the rest censored) */
    int tie_grid;      /* times rounded up to this many distinct values (0: continuous) */
    double maf;
} skew_t;

/* two-sided permutation p of U = sum x_i M_i: the nonzero values of x placed at random samples */
static double perm_p(const double *m, int n, const double *xv, int nnz, double u, int nperm)
{
    int *idx = malloc(sizeof *idx * n);
    long hit = 0;
    double au = fabs(u) * (1 - 1e-12);
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int b = 0; b < nperm; b++) {
        double s = 0;
        for (int j = 0; j < nnz; j++) { /* partial Fisher-Yates: a uniform sample of nnz positions */
            int r = j + (int)(unif() * (n - j));
            int tmp = idx[j];
            idx[j] = idx[r], idx[r] = tmp;
            s += xv[j] * m[idx[j]];
        }
        hit += fabs(s) >= au;
    }
    free(idx);
    return (double)hit / nperm;
}

static void cox_vs_permutation(const skew_t *c)
{
    const int n = c->n;
    double *t = malloc(sizeof *t * n), *x = malloc(sizeof *x * n), *xv = malloc(sizeof *xv * n);
    int *ev = malloc(sizeof *ev * n);
    rng_state = 77 + (uint64_t)n;
    for (int i = 0; i < n; i++) {
        double te = -log(1 - unif());
        t[i] = c->tie_grid ? ceil(te * c->tie_grid / 3) : te;
        ev[i] = unif() < c->event_frac;
    }
    cox_data_t d = {n, t, ev, NULL, NULL, 0, NULL, 0, NULL, NULL};
    cox_opts_t o;
    cox_null_t *nm = NULL;
    cox_ws_t *ws = NULL;
    cox_opts_init(&o);
    o.fit_pmax = 2; /* refit every variant: P must stay the score p */
    int rc = cox_null_fit(&d, &o, &nm);
    CHECK(rc == 0, "%s: null fit: %s", c->name, bcms_err_detail());
    if (rc || cox_ws_alloc(nm, &ws)) goto done;
    const double *m = cox_null_resid(nm);
    /* a variant whose carriers lean towards the events, so that its p lands in 1e-4..1e-2 */
    cox_result_t r;
    int found = 0;
    for (int tries = 0; tries < 20000 && !found; tries++) {
        double lean = 0.5 + unif();
        for (int i = 0; i < n; i++) {
            double f = c->maf * (m[i] > 0 ? lean : 1);
            x[i] = (unif() < f) + (unif() < f);
        }
        cox_test_x(nm, ws, &o, x, &r);
        found = !r.score_status && r.spa_used && r.p > 1e-4 && r.p < 3e-3;
    }
    CHECK(found, "%s: no variant with p in (1e-4, 3e-3)", c->name);
    if (!found) goto done;
    int nnz = 0, events = 0;
    for (int i = 0; i < n; i++) {
        if (x[i] != 0) xv[nnz++] = x[i];
        events += ev[i];
    }
    double pp = perm_p(m, n, xv, nnz, r.u, 1000000);
    double pn = erfc(fabs(r.z) / M_SQRT2);
    printf("%-34s n %d events %d carriers %d: SPA p %.3g, permutation p %.3g, normal p %.3g, LRT p %.3g\n",
           c->name, n, events, nnz, r.p, pp, pn, r.lrt_p);
    CHECK(pp > 0 && r.p / pp < 1.5 && pp / r.p < 1.5, "%s: SPA p %.3g vs permutation p %.3g", c->name, r.p, pp);
    /* and the reported BETA/SE reproduce it */
    CHECK(r.est_kind == COX_EST_FIT || r.fit_status, "%s: the refit's BETA is reported", c->name);
    if (r.est_kind == COX_EST_FIT) {
        double z = r.est / r.est_se, zp = gsl_cdf_ugaussian_Qinv(r.p / 2);
        CHECK(fabs(fabs(z) - zp) < 1e-8 * zp, "%s: BETA/SE %.10g vs z(P) %.10g", c->name, z, zp);
    }
done:
    cox_ws_free(ws);
    cox_null_free(nm);
    free(t), free(x), free(xv), free(ev);
}

/* ---- 3. linear and logistic null counts ---- */
static void glm_null_counts(int logistic, int use_offset)
{
    enum { N = 2000, M = 20000, NV = 500 };
    covar_design_t d;
    glm_opts_t go;
    double *y = malloc(sizeof *y * N), *a = malloc(sizeof *a * N), *p = malloc(sizeof *p * M);
    double *off = malloc(sizeof *off * N);
    uint8_t *g = malloc((size_t)N * NV);
    glm_result_t *res = malloc(sizeof *res * NV);
    int firth = 0;
    rng_state = 5000 + logistic + 2 * use_offset;
    for (int i = 0; i < N; i++) {
        a[i] = 50 + 10 * rnorm();
        off[i] = use_offset ? 0.8 * rnorm() : 0; /* a known part of the log-odds */
        double eta = 0.02 * (a[i] - 50) + off[i];
        y[i] = logistic ? unif() < 0.2 / (0.2 + 0.8 * exp(-eta)) : eta + rnorm() * (1 + (i % 3));
    }
    covar_design_init(&d, N);
    covar_design_add_numeric(&d, "AGE", a);
    glm_opts_init(&go);
    glm_linear_t *lm = NULL;
    glm_logistic_t *lg = NULL;
    glm_linear_ws_t *lws = NULL;
    glm_logistic_ws_t *gws = NULL;
    int rc = logistic ? glm_logistic_init_offset(&lg, &d, y, use_offset ? off : NULL, &go)
                      : glm_linear_init(&lm, &d, y, 1, &go);
    CHECK(rc == 0, "glm init: %s", bcms_err_detail());
    if (rc) goto done;
    if (logistic) gws = glm_logistic_ws_new(lg);
    else lws = glm_linear_ws_new(lm);
    for (int b = 0; b < M / NV; b++) {
        for (int v = 0; v < NV; v++) {
            double maf = v % 4 == 0 ? 0.002 + 0.02 * unif() : 0.05 + 0.45 * unif();
            for (int i = 0; i < N; i++) g[(size_t)v * N + i] = unif() < 0.01 ? 3 : draw_gt(maf);
        }
        if (logistic) glm_logistic_codes(lg, gws, g, NV, N, res);
        else glm_linear_codes(lm, lws, g, NV, N, res);
        for (int v = 0; v < NV; v++) {
            int bad = res[v].err && res[v].err != GLM_ERR_UNFINISHED;
            p[b * NV + v] = bad ? NAN : res[v].p;
            firth += res[v].firth;
        }
    }
    char what[64];
    snprintf(what, sizeof what, "%s%s%s", logistic ? "logistic (Firth fallback)" : "linear",
             logistic ? "" : " (heteroscedastic)", use_offset ? " --offset" : "");
    tail_check(what, p, M);
    if (logistic) {
        printf("  %d variants fell back to Firth\n", firth);
        CHECK(firth > 0, "no variant fell back to Firth: the scenario no longer tests the fallback");
    }
done:
    glm_linear_ws_free(lws);
    glm_logistic_ws_free(gws);
    if (lm) glm_linear_free(lm);
    if (lg) glm_logistic_free(lg);
    covar_design_free(&d);
    free(y), free(a), free(p), free(g), free(res), free(off);
}

int main(void)
{
    for (int e = 0; e < 2; e++)
        for (int s = 0; s < 2; s++) cox_null_counts(e, s, 0);
    cox_null_counts(0, 0, 1);
    cox_null_counts(1, 1, 1);
    static const skew_t cases[] = {
        {"cox skewed: few events", 1500, 0.03, 0, 0.03},
        {"cox skewed: low censoring, ties", 340, 0.9, 12, 0.07},
        {"cox skewed: low MAF", 3000, 0.5, 0, 0.002},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) cox_vs_permutation(&cases[c]);
    glm_null_counts(0, 0);
    glm_null_counts(1, 0);
    glm_null_counts(1, 1);
    if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
    else printf("all checks passed\n");
    return failures ? 1 : 0;
}

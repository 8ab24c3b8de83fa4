/* test_logistic.c: logistic model (Wald, Firth fallback) vs R glm (genipe data, synthetic fixture)
 * and PLINK 2 --glm firth-fallback, including Firth rows and ERRCODE rows. genipe's snp1 x gender
 * interaction row is not covered (no interaction terms in the API yet). */
#include "glm_testutil.h"

static void track(double *mx, double e) { if (e > *mx) *mx = e; }

static void test_genipe(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/genipe/regression_sim.txt.bz2", envdir("BCMS_PEER"));
    genipe_t g;
    if (genipe_read(path, &g)) { CHECK(0, "cannot read %s", path); return; }
    /* R glm with control = glm.control(epsilon = 1e-14, maxit = 100) (converged fit). genipe's
     * expected_R_values.tsv was made with R's default epsilon = 1e-8, which stops the IRLS early:
     * its snp2 SE (0.0898086129) is 1.1e-5 relative away from the converged 0.0898096212. */
    const double want[3][4] = {
        {-5.1430971276117965e-01, 1.1485454621886745e-01, -4.4779221170845798e+00, 7.5373087871912596e-06},
        {-0.040961562105813636, 0.089809621175231003, -0.456093251143905365, 0.648322923045659305},
        {6.8061549748086325e-01, 1.2169093173961332e-01, 5.5929845203026458e+00, 2.2319919746596146e-08}};
    int *keep = malloc(g.n * sizeof(int)), nk = 0;
    for (int i = 0; i < g.n; i++) {
        int ok = !isnan(g.v[G_YD][i]);
        for (int c = G_C1; c <= G_SEX; c++) ok &= !isnan(g.v[c][i]);
        if (ok) keep[nk++] = i;
    }
    covar_design_t d;
    double *tmp = malloc(nk * sizeof(double)), *y = malloc(nk * sizeof(double));
    const char **lv = malloc(nk * sizeof(char *));
    int rc = covar_design_init(&d, nk);
    const char *nm[4] = {"C1", "C2", "C3", "age"};
    for (int c = 0; c < 4 && !rc; c++) {
        for (int t = 0; t < nk; t++) tmp[t] = g.v[G_C1 + c][keep[t]];
        rc = covar_design_add_numeric(&d, nm[c], tmp);
    }
    for (int t = 0; t < nk; t++) lv[t] = g.v[G_SEX][keep[t]] == 1 ? "1" : "2";
    if (!rc) rc = covar_design_add_categorical(&d, "gender", lv);
    for (int t = 0; t < nk; t++) y[t] = g.v[G_YD][keep[t]];
    glm_opts_t o;
    glm_opts_init(&o);
    glm_logistic_t *lg = NULL;
    if (!rc) rc = glm_logistic_init(&lg, &d, y, &o);
    CHECK(rc == 0, "genipe logistic init: %s", bcms_err_detail());
    if (rc) return;
    glm_logistic_ws_t *ws = glm_logistic_ws_new(lg);
    double mb = 0, ms = 0, mp = 0;
    for (int s = 0; s < 3; s++) {
        for (int t = 0; t < nk; t++) tmp[t] = g.v[G_SNP1 + s][keep[t]];
        glm_result_t r;
        glm_logistic_dosages(lg, ws, tmp, 1, nk, &r);
        double eb = relerr(r.beta, want[s][0]), es = relerr(r.se, want[s][1]);
        double ep = relerr(r.p, want[s][3]);
        track(&mb, eb); track(&ms, es); track(&mp, ep);
        CHECK(r.err == 0 && !r.firth && eb < 1e-6 && es < 1e-6 && ep < 1e-4,
              "genipe snp%d: beta %.15g se %.15g z %.15g p %.15g (err %d)", s + 1, r.beta, r.se,
              r.stat, r.p, r.err);
    }
    fprintf(stderr, "genipe logistic vs R: max rel err beta %.2e se %.2e p %.2e\n", mb, ms, mp);
    glm_logistic_ws_free(ws);
    glm_logistic_free(lg);
    covar_design_free(&d);
    free(keep); free(tmp); free(y); free(lv);
    for (int j = 0; j < GEN_COLS; j++) free(g.v[j]);
}

static void test_fixture(void)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/glm", envdir("BCMS_SRC"));
    fixture_t fx;
    if (fixture_read(dir, &fx)) { CHECK(0, "cannot read fixture in %s", dir); return; }
    int *keep = malloc(fx.n * sizeof(int));
    int nk = fixture_keep(&fx, fx.bt, keep);
    covar_design_t d;
    int rc = fixture_design(&fx, keep, nk, &d);
    double *y = malloc(nk * sizeof(double));
    for (int t = 0; t < nk; t++) y[t] = fx.bt[keep[t]];
    glm_opts_t o;
    glm_opts_init(&o);
    glm_logistic_t *lg = NULL;
    if (!rc) rc = glm_logistic_init(&lg, &d, y, &o);
    CHECK(rc == 0, "fixture logistic init: %s", bcms_err_detail());
    if (rc) return;
    uint8_t *codes = fixture_codes(&fx, keep, nk);
    glm_logistic_ws_t *ws = glm_logistic_ws_new(lg);
    glm_result_t *res = malloc(fx.nvar * sizeof(glm_result_t)), one;
    glm_logistic_codes(lg, ws, codes, fx.nvar, nk, res);
    for (int v = 0; v < fx.nvar; v += 7) {
        glm_logistic_codes(lg, ws, codes + (size_t)v * nk, 1, nk, &one);
        CHECK(result_same(&one, &res[v]), "v%d: block vs single differ", v);
    }
    /* PLINK 2.00a3.5 state leak (found while chasing SE differences of up to 1%): in one run over
     * the whole file, a variant with missing calls that directly follows a variant with none gets a
     * smaller SE (e.g. v58: 0.136604, 0.16% low; v193: 0.141214, 0.96% low) than when the same
     * plink2 analyses it alone, or after a variant that also has missing calls (v58: 0.136827,
     * which is R glm's 0.13682706). plink2 must reuse something from the previous variant's
     * sample set; it is not a modelling choice (the answer for a variant depends on its
     * neighbour), so bcms does not imitate it. Every row is checked against plink2 run one
     * variant at a time (make_fixture.sh); the whole-file output is checked on every row except
     * those (67 of 200 rows have the pattern; 51 of them print differently, SE by up to 0.97%,
     * beta by up to 4e-4 on Firth rows), and those rows are checked against R. */
    int *leak = calloc(fx.nvar, sizeof(int)), nleak = 0;
    for (int v = 1; v < fx.nvar; v++) {
        int m0 = 0, m1 = 0;
        for (int t = 0; t < nk; t++) {
            m0 += codes[(size_t)(v - 1) * nk + t] == 3;
            m1 += codes[(size_t)v * nk + t] == 3;
        }
        leak[v] = m0 == 0 && m1 > 0;
        nleak += leak[v];
    }
    for (int pass = 0; pass < 2; pass++) {
        snprintf(path, sizeof path, "%s/%s", dir, pass ? "plink2_BT.glm.logistic.hybrid"
                                                       : "plink2_BT_pervariant.glm.logistic.hybrid");
        plink_row_t *pr;
        int np = plink_read(path, 1, &pr);
        CHECK(np == fx.nvar, "plink rows %d vs %d variants", np, fx.nvar);
        double mb = 0, ms = 0, mp = 0, fb = 0, fs = 0, fp = 0, lb = 0, ls = 0;
        int nchecked = 0, nerr = 0, nfirth = 0, nskip = 0, nbeta_abs = 0, nse_wide = 0;
        for (int v = 0; v < np && v < fx.nvar; v++) {
            const glm_result_t *r = &res[v];
            const plink_row_t *p = &pr[v];
            CHECK(!strcmp(p->id, fx.vid[v]), "row order %s vs %s", p->id, fx.vid[v]);
            int flip = strcmp(p->a1, p->alt) != 0;
            double b = flip ? -r->beta : r->beta;
            if (pass && leak[v]) {
                /* record how far the leaking rows are off, for the log */
                if (!r->err) { track(&lb, relerr_printed(b, p->beta, 6)); track(&ls, relerr_printed(r->se, p->se, 6)); }
                nskip++;
                continue;
            }
            CHECK(!strcmp(glm_errcode_str(r->err), p->err), "%s: ERRCODE %s vs plink %s", p->id,
                  glm_errcode_str(r->err), p->err);
            CHECK(r->n == p->n, "%s: OBS_CT %d vs %d", p->id, r->n, p->n);
            CHECK((r->firth ? 'Y' : 'N') == p->firth[0], "%s: FIRTH %d vs %s", p->id, r->firth,
                  p->firth);
            double f = flip ? 1 - r->a1_freq : r->a1_freq;
            CHECK(relerr_printed(f, p->a1_freq, 6) < 1e-5, "%s: A1_FREQ %g vs %g", p->id, f, p->a1_freq);
            if (r->err) { nerr++; continue; }
            double eb = relerr_printed(b, p->beta, 6), es = relerr_printed(r->se, p->se, 6);
            double ep = relerr_printed(r->p, p->p, 6);
            /* beta error in units of its SE: PLINK stops Newton at sum |coef change| < 1e-4 and its
             * printed beta carries that much absolute error, which is a large relative error only
             * when beta itself is near 0 (v61: 0.00337119 vs 0.00337109, 3e-8 SE) */
            double ebs = fabs(b - p->beta) / r->se;
            if (r->firth) { track(&fb, eb); track(&fs, es); track(&fp, ep); nfirth++; }
            else { track(&mb, eb); track(&ms, es); track(&mp, ep); }
            if (r->firth) {
                /* PLINK 2.00a3.5's Firth stops at max|step| <= 1e-5 on a likelihood that is flat
                 * near separation; its betas differ from the penalised MLE (R_firth.tsv, matched
                 * to 1e-6 below) by up to 4.1e-4 relative (v160: 0.393957 vs 0.394120, 7e-5 SE) */
                CHECK(eb < 5e-4 && ebs < 1e-4 && es < 1e-4 && ep < 1e-4,
                      "%s (Firth): beta %.8g/%g se %.8g/%g p %.8g/%g", p->id, b, p->beta, r->se,
                      p->se, r->p, p->p);
            } else {
                if (eb >= 1e-5) nbeta_abs++;
                if (es >= 1e-5) nse_wide++;
                CHECK((eb < 1e-5 || ebs < 1e-5) && es < 2e-5 && ep < 1e-4,
                      "%s: beta %.8g/%g se %.8g/%g p %.8g/%g", p->id, b, p->beta, r->se, p->se,
                      r->p, p->p);
            }
            nchecked++;
        }
        fprintf(stderr, "fixture logistic vs PLINK 2 (%s): %d rows (%d Firth), %d ERRCODE rows, %d "
                "leak rows skipped; max rel err beyond printed rounding: Wald beta %.2e se %.2e p "
                "%.2e; Firth beta %.2e se %.2e p %.2e\n", pass ? "whole file" : "per variant",
                nchecked, nfirth, nerr, nskip, mb, ms, mp, fb, fs, fp);
        fprintf(stderr, "  Wald rows needing the allowances (beta within 1e-5 SE: %d; SE within "
                "2e-5: %d)\n", nbeta_abs, nse_wide);
        if (pass) {
            fprintf(stderr, "  skipped leak rows differ from plink2's whole-file output by up to: "
                    "beta %.2e se %.2e\n", lb, ls);
            CHECK(nskip == nleak && nleak <= 67, "leak rows %d/%d", nskip, nleak);
        }
        CHECK(nfirth >= (pass ? 2 : 5), "expected Firth rows, got %d", nfirth);
        free(pr);
    }
    free(leak);
    snprintf(path, sizeof path, "%s/R_logistic.tsv", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "missing %s (run make_R.R)", path);
    if (f) {
        char line[1024], id[64];
        double b, s, z, p;
        int n, nr = 0;
        double mb = 0, ms = 0, mp = 0;
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        while (fscanf(f, "%63s %lf %lf %lf %lf %d", id, &b, &s, &z, &p, &n) == 6) {
            int v = -1;
            for (int u = 0; u < fx.nvar; u++) if (!strcmp(fx.vid[u], id)) v = u;
            CHECK(v >= 0 && !res[v].err, "R row %s not fitted here", id);
            if (v < 0 || res[v].err || res[v].firth) continue;
            double eb = relerr(res[v].beta, b), es = relerr(res[v].se, s), ep = relerr(res[v].p, p);
            track(&mb, eb); track(&ms, es); track(&mp, ep);
            CHECK(eb < 1e-6 && es < 1e-6 && ep < 1e-4 && res[v].n == n, "%s vs R: beta %.15g/%.15g "
                  "se %.15g/%.15g p %.15g/%.15g", id, res[v].beta, b, res[v].se, s, res[v].p, p);
            nr++;
        }
        fclose(f);
        CHECK(nr > 150, "only %d R rows", nr);
        fprintf(stderr, "fixture logistic vs R glm: %d rows; max rel err beta %.2e se %.2e p %.2e\n",
                nr, mb, ms, mp);
    }
    snprintf(path, sizeof path, "%s/R_firth.tsv", dir);
    f = fopen(path, "r");
    CHECK(f != NULL, "missing %s (run make_R.R)", path);
    if (f) {
        char line[1024], id[64];
        double b, s, z, p, mb = 0, ms = 0, mp = 0;
        int n, nr = 0;
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        while (fscanf(f, "%63s %lf %lf %lf %lf %d", id, &b, &s, &z, &p, &n) == 6) {
            int v = -1;
            for (int u = 0; u < fx.nvar; u++) if (!strcmp(fx.vid[u], id)) v = u;
            CHECK(v >= 0 && !res[v].err && res[v].firth, "R Firth row %s not a Firth fit here", id);
            if (v < 0 || res[v].err) continue;
            double eb = relerr(res[v].beta, b), es = relerr(res[v].se, s), ep = relerr(res[v].p, p);
            track(&mb, eb); track(&ms, es); track(&mp, ep);
            CHECK(eb < 1e-6 && es < 1e-6 && ep < 1e-4 && res[v].n == n, "%s vs R Firth: beta "
                  "%.15g/%.15g se %.15g/%.15g p %.15g/%.15g", id, res[v].beta, b, res[v].se, s,
                  res[v].p, p);
            nr++;
        }
        fclose(f);
        CHECK(nr == 5, "only %d R Firth rows", nr);
        fprintf(stderr, "fixture Firth vs R (penalised MLE): %d rows; max rel err beta %.2e se %.2e "
                "p %.2e\n", nr, mb, ms, mp);
    }
    glm_logistic_ws_free(ws);
    glm_logistic_free(lg);
    covar_design_free(&d);
    free(res); free(codes); free(keep); free(y);
    fixture_free(&fx);
}

int main(void)
{
    test_genipe();
    test_fixture();
    if (g_fail) fprintf(stderr, "%d failure(s)\n", g_fail);
    return g_fail != 0;
}

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
    const double want[3][4] = {
        {-0.514309712761157334, 0.1148545370213162609, -4.477922475676383129, 7.53729612963228856e-06},
        {-0.0409615621727592721, 0.0898086129043482589, -0.456098372395372320, 6.48319240531225471e-01},
        {0.6806154974808061864, 0.1216909125194588076, 5.5929854036715633825, 2.23198061422542684e-08}};
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
    snprintf(path, sizeof path, "%s/plink2_BT.glm.logistic.hybrid", dir);
    plink_row_t *pr;
    int np = plink_read(path, 1, &pr);
    CHECK(np == fx.nvar, "plink rows %d vs %d variants", np, fx.nvar);
    double mb = 0, ms = 0, mp = 0, fb = 0, fs = 0, fp = 0;
    int nchecked = 0, nerr = 0, nfirth = 0;
    for (int v = 0; v < np && v < fx.nvar; v++) {
        const glm_result_t *r = &res[v];
        const plink_row_t *p = &pr[v];
        CHECK(!strcmp(glm_errcode_str(r->err), p->err), "%s: ERRCODE %s vs plink %s", p->id,
              glm_errcode_str(r->err), p->err);
        CHECK(r->n == p->n, "%s: OBS_CT %d vs %d", p->id, r->n, p->n);
        CHECK((r->firth ? 'Y' : 'N') == p->firth[0], "%s: FIRTH %d vs %s", p->id, r->firth, p->firth);
        int flip = strcmp(p->a1, p->alt) != 0;
        double f = flip ? 1 - r->a1_freq : r->a1_freq;
        CHECK(relerr_printed(f, p->a1_freq, 6) < 1e-5, "%s: A1_FREQ %g vs %g", p->id, f, p->a1_freq);
        if (r->err) { nerr++; continue; }
        double b = flip ? -r->beta : r->beta;
        double eb = relerr_printed(b, p->beta, 6), es = relerr_printed(r->se, p->se, 6);
        double ep = relerr_printed(r->p, p->p, 6);
        if (r->firth) { track(&fb, eb); track(&fs, es); track(&fp, ep); nfirth++; }
        else { track(&mb, eb); track(&ms, es); track(&mp, ep); }
        CHECK(eb < 1e-5 && es < 1e-5 && ep < 1e-4, "%s%s: beta %.8g/%g se %.8g/%g p %.8g/%g", p->id,
              r->firth ? " (Firth)" : "", b, p->beta, r->se, p->se, r->p, p->p);
        nchecked++;
    }
    fprintf(stderr, "fixture logistic vs PLINK 2: %d rows (%d Firth), %d ERRCODE rows; max rel err "
            "beyond printed rounding: Wald beta %.2e se %.2e p %.2e; Firth beta %.2e se %.2e p %.2e\n",
            nchecked, nfirth, nerr, mb, ms, mp, fb, fs, fp);
    CHECK(nfirth >= 3, "expected Firth rows, got %d", nfirth);
    snprintf(path, sizeof path, "%s/R_logistic.tsv", dir);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "missing %s (run make_R.R)", path);
    if (f) {
        char line[1024], id[64];
        double b, s, z, p;
        int n, nr = 0;
        mb = ms = mp = 0;
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
    glm_logistic_ws_free(ws);
    glm_logistic_free(lg);
    covar_design_free(&d);
    free(res); free(codes); free(keep); free(y); free(pr);
}

int main(void)
{
    test_genipe();
    test_fixture();
    if (g_fail) fprintf(stderr, "%d failure(s)\n", g_fail);
    return g_fail != 0;
}

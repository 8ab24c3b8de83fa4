/* test_cox_kernel.c: the per-variant Cox score kernels (queries/cox/cox_score.c) against the plain double
 * path (cox_test_x) on the same variants. bcms, GPL-3.0-or-later. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cox.h"
#include "cox_testutil.h"
#include "err.h"

/* The hard-call kernel (genotype-column order, columns outside the model, the flip, the byte
 *    masks, registers for k <= 8 and memory beyond) against the plain double path (cox_test_x) on
 *    the same variants: strata, entry times, n_geno not a multiple of 8. */
static void test_kernel_paths(void)
{
    const int n = 2000, ng = 2213, nv = 160;
    const int ks[3] = {0, 5, 10};
    rng_state = 777;
    double *tm = malloc(sizeof(double) * n), *en = malloc(sizeof(double) * n);
    double *cov = malloc(sizeof(double) * n * 10), *x = malloc(sizeof(double) * ng);
    int *ev = malloc(sizeof(int) * n), *st = malloc(sizeof(int) * n), *gi = malloc(sizeof(int) * n);
    int *perm = malloc(sizeof(int) * ng);
    uint8_t *gt = malloc((size_t)nv * ng);
    for (int j = 0; j < ng; j++) perm[j] = j;
    for (int j = ng - 1; j > 0; j--) { /* model sample i reads column perm[i]; the rest are outside */
        int r = (int)(unif() * (j + 1)), t = perm[j];
        perm[j] = perm[r];
        perm[r] = t;
    }
    for (int i = 0; i < n; i++) {
        gi[i] = perm[i];
        for (int c = 0; c < 10; c++) cov[i * 10 + c] = c % 3 == 2 ? unif() < 0.4 : rnorm();
        st[i] = unif() < 0.3;
        double t = -log(1 - unif()) / (0.2 * exp(0.3 * cov[i * 10])), c = -log(1 - unif()) / 0.3;
        en[i] = unif() < 0.5 ? 0 : 0.3 * unif() * fmin(t, c);
        tm[i] = ceil(fmin(t, c) * 24) / 24 + 0.5; /* ties */
        ev[i] = t <= c;
    }
    for (int v = 0; v < nv; v++) { /* frequencies 0..1 (flipped above 0.5), some monomorphic */
        double f = v % 16 == 15 ? 0 : v % 16 == 14 ? 1 : (double)v / nv, miss = v % 3 ? 0.03 : 0;
        double p0 = (1 - f) * (1 - f), p1 = p0 + 2 * f * (1 - f);
        for (int j = 0; j < ng; j++) {
            double u = unif();
            gt[(size_t)v * ng + j] = unif() < miss ? 3 : u < p0 ? 0 : u < p1 ? 1 : 2;
        }
        if (v % 16 == 13) /* a handful of carriers: the sparse risk-set sums */
            for (int j = 0; j < ng; j++) gt[(size_t)v * ng + j] = j % 97 == v % 7 ? 1 + (j & 1) : 0;
    }
    for (int q = 0; q < 3; q++) {
        const int k = ks[q];
        double *c = malloc(sizeof(double) * n * (k ? k : 1));
        for (int i = 0; i < n; i++)
            for (int a = 0; a < k; a++) c[i * k + a] = cov[i * 10 + a];
        cox_opts_t o;
        cox_opts_init(&o);
        o.fit_pmax = 0.05;
        cox_data_t dd = {.n = n, .time = tm, .event = ev, .entry = en, .strata = st, .k = k,
                         .cov = k ? c : NULL, .n_geno = ng, .geno_index = gi};
        cox_null_t *nm;
        int rc = cox_null_fit(&dd, &o, &nm);
        CHECK(rc == 0, "kernel paths k=%d: null fit: %s", k, bcms_err_detail());
        if (rc) { free(c); continue; }
        cox_ws_t *ws;
        cox_ws_alloc(nm, &ws);
        cox_result_t *rb = malloc(sizeof(cox_result_t) * nv), rx;
        cox_test_gt_block(nm, ws, &o, nv, gt, ng, rb);
        double worst = 0;
        int nflag = 0, nfit = 0, nspa = 0, nmono = 0;
        for (int v = 0; v < nv; v++) {
            int lo = 3, hi = -1; /* monomorphic over the model's samples: flagged, not a number */
            for (int i = 0; i < n; i++) {
                int g = gt[(size_t)v * ng + gi[i]];
                if (g < 3) lo = g < lo ? g : lo, hi = g > hi ? g : hi;
            }
            nmono += lo >= hi;
            for (int j = 0; j < ng; j++) {
                uint8_t g = gt[(size_t)v * ng + j];
                x[j] = g == 3 ? NAN : g;
            }
            cox_test_x(nm, ws, &o, x, &rx);
            const cox_result_t *r = &rb[v];
            CHECK(r->score_status == rx.score_status && r->n_miss == rx.n_miss && r->fitted == rx.fitted,
                  "kernel paths k=%d variant %d: status %d/%d, missing %d/%d, fitted %d/%d", k, v,
                  r->score_status, rx.score_status, r->n_miss, rx.n_miss, r->fitted, rx.fitted);
            nflag += r->score_status != 0;
            nfit += r->fitted;
            nspa += r->spa_used;
            if (r->score_status) continue;
            double e = fmax(fmax(relerr(r->u, rx.u), relerr(r->v, rx.v)),
                            fmax(relerr(r->p, rx.p), relerr(r->af, rx.af)));
            if (r->fitted && rx.fitted && r->fit_status == 0) e = fmax(e, relerr(r->beta, rx.beta));
            worst = fmax(worst, e);
        }
        /* the dosage kernel on the same variants, hets as 0.9, a few other doses, NaN missing */
        float *ds = malloc(sizeof(float) * (size_t)nv * ng);
        for (size_t q2 = 0; q2 < (size_t)nv * ng; q2++) {
            uint8_t gq = gt[q2];
            ds[q2] = gq == 3 ? NAN : gq == 1 ? 0.9f : gq == 2 && q2 % 7 == 0 ? 1.75f : (float)gq;
        }
        cox_test_dosage_block(nm, ws, &o, nv, ds, ng, rb);
        double worst_ds = 0;
        for (int v = 0; v < nv; v++) {
            for (int j = 0; j < ng; j++) x[j] = ds[(size_t)v * ng + j];
            cox_test_x(nm, ws, &o, x, &rx);
            const cox_result_t *r = &rb[v];
            CHECK(r->score_status == rx.score_status && r->n_miss == rx.n_miss, "dosage k=%d variant %d", k, v);
            if (r->score_status || rx.score_status) continue;
            double e = fmax(fmax(relerr(r->u, rx.u), relerr(r->v, rx.v)),
                            fmax(relerr(r->p, rx.p), relerr(r->af, rx.af)));
            worst_ds = fmax(worst_ds, e);
        }
        free(ds);
        CHECK(worst_ds < 1e-9, "kernel paths k=%d: dosage kernel vs double path: %.3g", k, worst_ds);
        printf("kernel paths k=%d: %d variants (%d monomorphic, %d SPA, %d refitted), max rel diff "
               "%.3g (dosages %.3g)\n", k, nv, nflag, nspa, nfit, worst, worst_ds);
        CHECK(worst < 1e-9, "kernel paths k=%d: hard-call kernel vs double path: %.3g", k, worst);
        CHECK(nflag == nmono && nmono >= 2 * (nv / 16), "kernel paths k=%d: %d flagged, %d monomorphic",
              k, nflag, nmono);
        CHECK(nspa > 0 && nfit > 0, "kernel paths k=%d: SPA %d, refits %d (the paths were not hit)", k,
              nspa, nfit);
        free(rb);
        cox_ws_free(ws);
        cox_null_free(nm);
        free(c);
    }
    /* two model samples on one genotype column: refused */
    gi[1] = gi[0];
    cox_opts_t o;
    cox_opts_init(&o);
    cox_data_t dd = {.n = n, .time = tm, .event = ev, .k = 0, .n_geno = ng, .geno_index = gi};
    cox_null_t *nm = NULL;
    int rc = cox_null_fit(&dd, &o, &nm);
    CHECK(rc == BCMS_EINVAL && strstr(bcms_err_detail(), "same genotype column"),
          "shared genotype column: rc %d (%s)", rc, bcms_err_detail());
    cox_null_free(nm);
    free(tm); free(en); free(cov); free(x); free(ev); free(st); free(gi); free(perm); free(gt);
}

int main(void)
{
    test_kernel_paths();
    if (failures) fprintf(stderr, "test_cox_kernel: %d failure(s)\n", failures);
    else printf("test_cox_kernel: all passed\n");
    return failures ? 1 : 0;
}

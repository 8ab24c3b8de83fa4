/* glm_kernel.c: micro-benchmark of the per-variant linear and logistic kernels (not a test).
 * Build: cc -O3 -Iqueries/cox -Iqueries/glm -Iqueries/stats -Iengine benchmarks/glm_kernel.c build/libbcms.a -lgsl -lopenblas -lm
 * Prints variants/second at n samples (default 10000) with 5 covariates, 1 thread. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include "glm.h"

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000, nv = argc > 2 ? atoi(argv[2]) : 2000;
    srand(1);
    covar_design_t d;
    covar_design_init(&d, n);
    double *c = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double)), *yb = malloc(n * sizeof(double));
    char nm[8];
    for (int j = 0; j < 5; j++) {
        for (int i = 0; i < n; i++) c[i] = rand() / (double)RAND_MAX;
        snprintf(nm, sizeof nm, "C%d", j);
        covar_design_add_numeric(&d, nm, c);
    }
    for (int i = 0; i < n; i++) { y[i] = rand() / (double)RAND_MAX; yb[i] = rand() % 2; }
    uint8_t *g = malloc((size_t)n * nv);
    for (int v = 0; v < nv; v++) {
        double maf = 0.01 + 0.49 * (v % 50) / 50.0;
        for (int i = 0; i < n; i++) {
            int a = (rand() / (double)RAND_MAX < maf) + (rand() / (double)RAND_MAX < maf);
            g[(size_t)v * n + i] = rand() % 100 == 0 ? 3 : a;
        }
    }
    glm_opts_t o;
    glm_opts_init(&o);
    glm_result_t *r = malloc(nv * sizeof(glm_result_t));
    glm_linear_t *lm; glm_logistic_t *lg;
    if (glm_linear_init(&lm, &d, y, 1, &o) || glm_logistic_init(&lg, &d, yb, &o)) return 1;
    glm_linear_ws_t *lw = glm_linear_ws_new(lm);
    glm_logistic_ws_t *gw = glm_logistic_ws_new(lg);
    double t0 = now();
    glm_linear_codes(lm, lw, g, nv, n, r);
    double t1 = now();
    int nl = nv / 2;
    glm_logistic_codes(lg, gw, g, nl, n, r);
    double t2 = now();
    printf("n=%d k=6 (intercept+5), 1%% missing calls, MAF 0.01-0.5\n", n);
    printf("linear:   %.0f variants/s (1 thread)\n", nv / (t1 - t0));
    printf("logistic: %.0f variants/s (1 thread)\n", nl / (t2 - t1));
    return 0;
}

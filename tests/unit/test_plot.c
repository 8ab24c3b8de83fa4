/* test_plot.c: the pieces of the plot module whose numbers matter: the QQ band's Beta quantiles
 * (against R's qbeta and GSL's own inverse where that works), the reader's chromosome naming (chr1 == 1,
 * GWAS-SSF 25 = MT but PLINK's 25 = X), -log10 p read from text below the double range, and the
 * lambda GC of bcms_plot against the median chi-square computed here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "err.h"
#include "plot.h"
#include "plot_internal.h"

static int fails;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c); fails++; } } while (0)

static char tmpdir[1024];

static const char *write_file(const char *name, const char *text)
{
    static char path[1100];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    return path;
}

/* R 4.x: n <- 1e7; qbeta(q, i, n - i + 1) */
static void test_beta_quantile_r(void)
{
    static const double ref[][3] = {
        {1, 0.025, 2.5317807952240291e-09},       {1, 0.975, 3.6888787737224381e-07},
        {10, 0.025, 4.7953897042701137e-07},      {10, 0.975, 1.7084796545055704e-06},
        {1000, 0.025, 9.3897583667030843e-05},    {1000, 0.975, 0.00010629177539909808},
        {5000000, 0.025, 0.49969005252137105},    {5000000, 0.975, 0.50030984747865781},
    };
    for (size_t k = 0; k < sizeof ref / sizeof *ref; k++) {
        double v = plot_beta_quantile(ref[k][1], ref[k][0], 1e7 - ref[k][0] + 1);
        if (!(fabs(v / ref[k][2] - 1) < 1e-9)) {
            fprintf(stderr, "beta quantile i=%g q=%g: %.17g, R %.17g\n", ref[k][0], ref[k][1], v, ref[k][2]);
            fails++;
        }
    }
}

/* where GSL's inverse converges (small n) the two agree */
static void test_beta_quantile_gsl(void)
{
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int compared = 0;
    for (int i = 1; i <= 1000; i += 37)
        for (int s = 0; s < 2; s++) {
            double q = s ? 0.975 : 0.025, g = gsl_cdf_beta_Pinv(q, i, 1000 - i + 1);
            if (!isfinite(g)) continue;
            compared++;
            double v = plot_beta_quantile(q, i, 1000 - i + 1);
            if (!(fabs(v / g - 1) < 1e-8)) {
                fprintf(stderr, "beta quantile i=%d q=%g: %.17g, GSL %.17g\n", i, q, v, g);
                fails++;
            }
        }
    gsl_set_error_handler(old);
    CHECK(compared >= 40);
    CHECK(isnan(plot_beta_quantile(0, 1, 1)) && isnan(plot_beta_quantile(0.5, 0, 1)));
}

static void test_chrom_naming(void)
{
    bcms_plot_opts_t o;
    bcms_plot_stats_t st = {0};
    plot_data_t d = {0};
    bcms_plot_opts_init(&o);
    o.in = write_file("names.tsv", "CHROM\tPOS\tID\tP\nchr1\t5\ta\t0.5\n1\t9\tb\t0.25\nchrX\t3\tc\t0.1\n23\t4\td\t0.2\n"
                                   "25\t7\te\t0.3\nchrM\t1\tf\t0.9\n26\t2\tg\t0.8\n");
    d.keep_pos = 1, d.hit_min = INFINITY;
    CHECK(plot_read(&o, &d, &st) == 0);
    CHECK(!strcmp(st.format, "bcms"));
    CHECK(d.nchr == 3 && d.n == 7);
    CHECK(d.nchr >= 3 && !strcmp(d.chr[0].name, "1") && !strcmp(d.chr[1].name, "X") && !strcmp(d.chr[2].name, "MT"));
    CHECK(d.nchr >= 1 && d.chr[0].minpos == 5 && d.chr[0].maxpos == 9);
    CHECK(d.nruns == 3);
    plot_data_free(&d);

    o.in = write_file("names.ssf.tsv", "chromosome\tbase_pair_location\tp_value\n23\t5\t0.5\n25\t9\t#NA\n25\t10\t1e-3\n");
    memset(&st, 0, sizeof st);
    d.keep_pos = 1, d.hit_min = INFINITY;
    CHECK(plot_read(&o, &d, &st) == 0);
    CHECK(!strcmp(st.format, "gwas-ssf") && st.na == 1 && d.n == 2);
    CHECK(d.nchr == 2 && !strcmp(d.chr[0].name, "X") && !strcmp(d.chr[1].name, "MT"));
    CHECK(d.n == 2 && fabs(d.y[1] - 3) < 1e-6);
    plot_data_free(&d);
}

static void test_tiny_p(void)
{
    bcms_plot_opts_t o;
    bcms_plot_stats_t st = {0};
    plot_data_t d = {0};
    bcms_plot_opts_init(&o);
    o.in = write_file("tiny.tsv", "CHROM POS ID P\n1 5 a 3.06206e-930\n1 6 b 2e-310\n1 7 c 1E-5\n");
    d.keep_pos = 1, d.hit_min = 4;
    CHECK(plot_read(&o, &d, &st) == 0);
    CHECK(d.n == 3 && fabs(d.y[0] - (930 - log10(3.06206))) < 1e-3);
    CHECK(d.n == 3 && fabs(d.y[1] - (310 - log10(2))) < 1e-3 && fabs(d.y[2] - 5) < 1e-5);
    CHECK(d.nhits == 3 && !strcmp(d.hits[0].id, "a"));
    plot_data_free(&d);
    /* both P and LOG10P: the -log10 column wins */
    o.in = write_file("both.tsv", "CHROM\tPOS\tID\tP\tLOG10P\n1\t5\ta\t0\t400.5\n");
    d.keep_pos = 1, d.hit_min = INFINITY;
    CHECK(plot_read(&o, &d, &st) == 0 && d.n == 1 && fabs(d.y[0] - 400.5) < 1e-3);
    plot_data_free(&d);
    o.in = write_file("neg.tsv", "CHROM\tPOS\tID\tLOG10P\n1\t5\ta\t-2\n");
    d.keep_pos = 1, d.hit_min = INFINITY;
    CHECK(plot_read(&o, &d, &st) == BCMS_EINPUT && strstr(bcms_err_detail(), "neg.tsv:2:"));
    plot_data_free(&d);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* lambda GC of 2001 and 2000 p-values, against the median chi-square computed here */
static void test_lambda(void)
{
    for (int n = 2000; n <= 2001; n++) {
        char path[1100];
        double *p = malloc(sizeof *p * n);
        snprintf(path, sizeof path, "%s/lam%d.tsv", tmpdir, n);
        FILE *f = fopen(path, "w");
        CHECK(f && p);
        if (!f || !p) return;
        fprintf(f, "CHROM\tPOS\tID\tP\n");
        unsigned s = 12345;
        for (int i = 0; i < n; i++) {
            s = s * 1103515245u + 12345u;
            p[i] = pow((s >> 8) / 16777216.0 + 1e-9, 1.3);
            fprintf(f, "%d\t%d\tv%d\t%.17g\n", 1 + i % 22, 1000 + i, i, p[i]);
        }
        fclose(f);
        qsort(p, n, sizeof *p, cmp_d);
        double med = n & 1 ? p[n / 2] : 0.5 * (p[n / 2 - 1] + p[n / 2]);
        double want = gsl_cdf_chisq_Qinv(med, 1) / 0.45493642311957283;
        bcms_plot_opts_t o;
        bcms_plot_stats_t st;
        char out[1200];
        snprintf(out, sizeof out, "%s/lam%d.svg", tmpdir, n);
        bcms_plot_opts_init(&o);
        o.kind = BCMS_PLOT_QQ, o.in = path, o.out = out;
        CHECK(bcms_plot(&o, &st) == 0);
        if (!(fabs(st.lambda_gc - want) < 1e-6)) {
            fprintf(stderr, "lambda n=%d: %.8f, want %.8f\n", n, st.lambda_gc, want);
            fails++;
        }
        CHECK(st.used == (uint64_t)n && st.drawn > 100 && st.drawn < (uint64_t)n);
        free(p);
    }
}

int main(void)
{
    const char *t = getenv("BCMS_TMP");
    snprintf(tmpdir, sizeof tmpdir, "%s/plot", t && *t ? t : "/tmp");
    mkdir(t && *t ? t : "/tmp", 0700);
    mkdir(tmpdir, 0700);
    test_beta_quantile_r();
    test_beta_quantile_gsl();
    test_chrom_naming();
    test_tiny_p();
    test_lambda();
    bcms_plot_cleanup();
    if (fails) fprintf(stderr, "%d check(s) failed\n", fails);
    else printf("all plot checks passed\n");
    return fails != 0;
}

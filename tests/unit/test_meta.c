/* test_meta.c: the per-variant statistics of bcms meta at their edges, against values from R
 * (qnorm with log.p; metafor rma) and against their definitions. bcms, GPL-3.0-or-later.
 * The bulk comparison with metafor over hundreds of variants is tests/cli/test_meta.sh. */
#include <math.h>
#include <stdio.h>

#include "dist.h"
#include "meta.h"
#include "sumstats.h"

static int fails;

static void near(const char *what, double got, double want, double rel)
{
    int ok = (isnan(got) && isnan(want)) || fabs(got - want) <= rel * fabs(want) + 1e-300;
    printf("%s %s: %.17g (expected %.17g)\n", ok ? "ok  " : "FAIL", what, got, want);
    fails += !ok;
}

int main(void)
{
    /* z from log10 p, through and below the double range: R qnorm(lp*log(10) - log(2), lower.tail =
     * FALSE, log.p = TRUE); further down R's qnorm loses digits (its z gives back log10 p -999.9999999 at
     * -1000 through pnorm), so there the check is the round trip through the normal tail */
    static const double lp[] = {-1, -10, -299, -301, -400};
    static const double zr[] = {1.6448536269514726, 6.4669510872405152, 37.003659431309629, 37.127812517238745,
                                42.826406491170296};
    for (int i = 0; i < 5; i++) {
        char w[64];
        snprintf(w, sizeof w, "z of log10 p %g", lp[i]);
        near(w, bcms_meta_z_from_log10p(lp[i], 1), zr[i], 1e-12);
    }
    static const double lpx[] = {-1000, -5000, -100000};
    for (int i = 0; i < 3; i++) {
        char w[64];
        snprintf(w, sizeof w, "log10 p %g -> z -> log10 p", lpx[i]);
        near(w, dist_z_logp2(bcms_meta_z_from_log10p(lpx[i], 1)) / log(10), lpx[i], 1e-14);
    }
    near("z keeps the sign", bcms_meta_z_from_log10p(-10, -0.3), -zr[1], 1e-12);
    near("z of p = 1", bcms_meta_z_from_log10p(0, 1), 0, 0);

    /* p-value text below the double range */
    near("log10 of '1.5e-400'", bcms_ss_parse_log10p("1.5e-400"), log10(1.5) - 400, 1e-14);
    near("log10 of '0.25'", bcms_ss_parse_log10p("0.25"), log10(0.25), 1e-15);
    near("log10 of 'NA' is NaN", bcms_ss_parse_log10p("NA"), NAN, 0);
    near("log10 of '1.2' (not a p) is NaN", bcms_ss_parse_log10p("1.2"), NAN, 0);

    /* identical estimates: Q = I2 = TAU2 = 0; metafor: beta 0.1, se 0.075592894601845442 */
    bcms_meta_result_t r;
    double b[3] = {0.1, 0.1, 0.1}, v[3] = {0.01, 0.02, 0.04};
    bcms_meta_ivw(b, v, 3, &r);
    near("identical studies: BETA", r.beta, 0.1, 1e-15);
    near("identical studies: SE", r.se, 0.075592894601845442, 1e-14);
    near("identical studies: Q", r.q, 0, 0);
    near("identical studies: I2", r.i2, 0, 0);
    near("identical studies: TAU2", r.tau2, 0, 0);
    near("identical studies: BETA_RE = BETA", r.beta_re, r.beta, 0);

    /* one study: the estimate itself, no heterogeneity */
    double b1 = -0.2, v1 = 0.0025;
    bcms_meta_ivw(&b1, &v1, 1, &r);
    near("one study: BETA", r.beta, -0.2, 0);
    near("one study: SE", r.se, 0.05, 1e-15);
    near("one study: log10 P", r.log10p, log10(erfc(4 / sqrt(2))), 1e-12);
    near("one study: Q is NA", r.q, NAN, 0);

    /* RE2 with no heterogeneity and mean 0: S = 0, P = 1; and its definition on a heterogeneous set:
     * at the ML estimates, S equals the likelihood ratio computed here directly */
    double b0[2] = {0.05, -0.05}, v0[2] = {0.01, 0.01};
    bcms_meta_ivw(b0, v0, 2, &r);
    bcms_meta_re2(b0, v0, 2, &r);
    near("RE2 of a null pair: S", r.stat_re2, 0, 0);
    near("RE2 of a null pair: P", pow(10, r.log10p_re2), 1, 1e-15);
    double bh[4] = {0.3, -0.1, 0.5, 0.05}, vh[4] = {0.01, 0.02, 0.015, 0.005};
    bcms_meta_ivw(bh, vh, 4, &r);
    bcms_meta_re2(bh, vh, 4, &r);
    double s = 0, t = r.re2_tau2, mu = r.re2_mu, sw = 0, swb = 0, g = 0;
    for (int i = 0; i < 4; i++) {
        s += log(vh[i] / (vh[i] + t)) + bh[i] * bh[i] / vh[i] - (bh[i] - mu) * (bh[i] - mu) / (vh[i] + t);
        sw += 1 / (vh[i] + t), swb += bh[i] / (vh[i] + t);
        g += (bh[i] - mu) * (bh[i] - mu) / ((vh[i] + t) * (vh[i] + t)) - 1 / (vh[i] + t);
    }
    near("RE2: S is the likelihood ratio at its estimates", r.stat_re2, s, 1e-12);
    near("RE2: mu is the weighted mean at tau2", mu, swb / sw, 1e-12);
    printf("%s RE2: tau2 %.6g > 0 solves the score equation (%.3g)\n", t > 0 && fabs(g) < 1e-6 * sw ? "ok  " : "FAIL",
           t, g);
    fails += !(t > 0 && fabs(g) < 1e-6 * sw);
    double l1 = log(0.5 * erfc(sqrt(s / 2)) * 2 * 0.5 + 0.5 * exp(-s / 2)) / log(10);
    near("RE2: P is the 50:50 chi2(1)/chi2(2) mixture", r.log10p_re2, l1, 1e-10);

    /* sample-size scheme: METAL's formula by hand */
    double z[2] = {2.0, -1.0}, n[2] = {1000, 3000};
    bcms_meta_samplesize(z, n, 2, &r);
    near("sample-size Z", r.stat, (sqrt(1000) * 2 - sqrt(3000)) / sqrt(4000), 1e-15);
    if (fails) printf("%d check(s) failed\n", fails);
    return fails != 0;
}

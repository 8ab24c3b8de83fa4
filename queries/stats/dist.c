/* dist.c: tail probabilities with accurate logs for tiny p-values (bcms, GPL-3.0-or-later).
 *
 * GSL's Q functions are accurate down to DBL_MIN and then return 0. For the log tails we use:
 * - normal: ln erfc(|z|/sqrt2) from gsl_sf_log_erfc (asymptotic series where erfc underflows);
 * - t: P(|T|>=t) = I_x(df/2, 1/2) with x = df/(df+t^2); for small x the regularized incomplete beta
 *   is x^a (1-x)^b / (a B(a,b)) times a continued fraction of order 1 (Lentz evaluation), so its
 *   log is computed term by term;
 * - chi-square: ln Q(df/2, x/2) through the continued fraction of the upper incomplete gamma. */
#include "dist.h"

#include <math.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>

#define LENTZ_TINY 1e-300
#define LENTZ_EPS 1e-16

/* Continued fraction for I_x(a,b) (converges fast for x < (a+1)/(a+b+2)). */
static double betacf(double a, double b, double x)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < LENTZ_TINY) d = LENTZ_TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < LENTZ_TINY) d = LENTZ_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < LENTZ_TINY) c = LENTZ_TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < LENTZ_TINY) d = LENTZ_TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < LENTZ_TINY) c = LENTZ_TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < LENTZ_EPS) break;
    }
    return h;
}

double dist_t_p2(double t, double df)
{
    if (!isfinite(t) || !(df > 0)) return NAN;
    return 2.0 * gsl_cdf_tdist_Q(fabs(t), df);
}

double dist_t_logp2(double t, double df)
{
    if (!isfinite(t) || !(df > 0)) return NAN;
    double p = dist_t_p2(t, df);
    if (p > 1e-250) return log(p);
    double a = 0.5 * df, b = 0.5;
    /* x = df/(df+t^2) and 1-x = t^2/(df+t^2), both without cancellation */
    double lx = log(df) - log(df + t * t), l1x = 2.0 * log(fabs(t)) - log(df + t * t);
    double x = exp(lx);
    double lbeta = gsl_sf_lngamma(a) + gsl_sf_lngamma(b) - gsl_sf_lngamma(a + b);
    return a * lx + b * l1x - lbeta - log(a) + log(betacf(a, b, x));
}

double dist_z_p2(double z)
{
    if (!isfinite(z)) return NAN;
    return gsl_sf_erfc(fabs(z) / M_SQRT2);
}

double dist_z_logp2(double z)
{
    if (!isfinite(z)) return NAN;
    return gsl_sf_log_erfc(fabs(z) / M_SQRT2);
}

double dist_chisq_p(double x, double df)
{
    if (!isfinite(x) || !(df > 0)) return NAN;
    if (x <= 0) return 1.0;
    return gsl_cdf_chisq_Q(x, df);
}

/* ln Q(a, x) by Lentz's continued fraction (valid for x > a + 1). */
static double log_gamma_q_cf(double a, double x)
{
    double b = x + 1.0 - a, c = 1.0 / LENTZ_TINY, d = 1.0 / b, h = d;
    for (int i = 1; i <= 10000; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < LENTZ_TINY) d = LENTZ_TINY;
        c = b + an / c;
        if (fabs(c) < LENTZ_TINY) c = LENTZ_TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < LENTZ_EPS) break;
    }
    return -x + a * log(x) - gsl_sf_lngamma(a) + log(h);
}

double dist_chisq_logp(double x, double df)
{
    if (!isfinite(x) || !(df > 0)) return NAN;
    double p = dist_chisq_p(x, df);
    if (p > 1e-250 || 0.5 * x <= 0.5 * df + 1.0) return log(p);
    return log_gamma_q_cf(0.5 * df, 0.5 * x);
}

double dist_z_from_logp2(double logp)
{
    if (isnan(logp) || logp > 0) return NAN;
    if (logp == 0) return 0;
    double z;
    if (logp > -700) {
        z = gsl_cdf_ugaussian_Qinv(0.5 * exp(logp));
    } else {
        /* 2Q(z) ~ sqrt(2/pi) exp(-z^2/2) / z: the leading terms of the asymptotic inverse */
        double l = -2 * logp;
        z = sqrt(l - log(l) - log(M_PI / 2));
    }
    /* Newton on ln 2Q(z) = logp; d/dz ln erfc(z/sqrt2) = -sqrt(2/pi) exp(-z^2/2 - ln erfc(z/sqrt2)) */
    for (int it = 0; it < 50 && z > 0; it++) {
        double le = gsl_sf_log_erfc(z / M_SQRT2);
        double d = -sqrt(2 / M_PI) * exp(-0.5 * z * z - le);
        double step = (le - logp) / d;
        z -= step;
        if (fabs(step) <= 1e-15 * z) break;
    }
    return z > 0 ? z : 0;
}

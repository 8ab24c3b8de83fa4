/* meta_stats.c: fixed and random effects of one variant (definitions in meta.h). */
#include <math.h>
#include <gsl/gsl_cdf.h>

#include "dist.h"
#include "meta.h"

#define LN10 2.302585092994045684

static void result_clear(bcms_meta_result_t *r, int k)
{
    r->k = k;
    r->beta = r->se = r->stat = r->log10p = NAN;
    r->q = r->q_p = r->i2 = NAN;
    r->tau2 = r->beta_re = r->se_re = r->log10p_re = NAN;
    r->stat_re2 = r->log10p_re2 = r->re2_mu = r->re2_tau2 = NAN;
}

/* Weighted mean of b with weights 1/(v + t), and the sum of the weights. */
static double weighted_mean(const double *b, const double *v, int k, double t, double *sw_out)
{
    double sw = 0, swb = 0;
    for (int i = 0; i < k; i++) {
        double w = 1 / (v[i] + t);
        sw += w;
        swb += w * b[i];
    }
    *sw_out = sw;
    return swb / sw;
}

void bcms_meta_ivw(const double *b, const double *v, int k, bcms_meta_result_t *r)
{
    double sw, sw2 = 0, q = 0;
    result_clear(r, k);
    if (k < 1) return;
    r->beta = weighted_mean(b, v, k, 0, &sw);
    r->se = 1 / sqrt(sw);
    r->stat = r->beta / r->se;
    r->log10p = dist_z_logp2(r->stat) / LN10;
    if (k < 2) {
        r->beta_re = r->beta, r->se_re = r->se, r->log10p_re = r->log10p;
        return;
    }
    for (int i = 0; i < k; i++) {
        double w = 1 / v[i], d = b[i] - r->beta;
        q += w * d * d;
        sw2 += w * w;
    }
    r->q = q;
    r->q_p = dist_chisq_p(q, k - 1);
    r->i2 = q > 0 ? fmax(0, (q - (k - 1)) / q) * 100 : 0;
    r->tau2 = fmax(0, (q - (k - 1)) / (sw - sw2 / sw));
    r->beta_re = weighted_mean(b, v, k, r->tau2, &sw);
    r->se_re = 1 / sqrt(sw);
    r->log10p_re = dist_z_logp2(r->beta_re / r->se_re) / LN10;
}

/* The fixed point T = sum w^2 ((b - M)^2 - V) / sum w^2, w = 1/(V + T), M the weighted mean, clamped at
 * 0: the ML estimating equation Han and Eskin iterate. */
static double re2_fixed_point(const double *b, const double *v, int k, double t)
{
    double scale = 0, sw;
    for (int i = 0; i < k; i++) scale += v[i] / k;
    for (int it = 0; it < 100000; it++) {
        double num = 0, den = 0, tn, m = weighted_mean(b, v, k, t, &sw);
        for (int i = 0; i < k; i++) {
            double w = 1 / (v[i] + t), d = b[i] - m;
            num += w * w * (d * d - v[i]);
            den += w * w;
        }
        tn = fmax(0, num / den);
        if (fabs(tn - t) <= 1e-15 * (t + scale)) return tn;
        t = tn;
    }
    return t;
}

/* The likelihood ratio against mu = tau2 = 0 at between-study variance t (and its ML mean). */
static double re2_lrt(const double *b, const double *v, int k, double t, double *mu)
{
    double sw, s = 0;
    *mu = weighted_mean(b, v, k, t, &sw);
    for (int i = 0; i < k; i++) {
        double d = b[i] - *mu;
        s += log(v[i] / (v[i] + t)) + b[i] * b[i] / v[i] - d * d / (v[i] + t);
    }
    return s;
}

void bcms_meta_re2(const double *b, const double *v, int k, bcms_meta_result_t *r)
{
    /* The profile likelihood may have a local maximum inside (0, inf) below its value at the boundary
     * T = 0: keep the best of the boundary and the fixed points reached from 0 and from the DL estimate. */
    double cand[3], best = -INFINITY, mu = NAN, t = 0, s;
    if (k < 2) return;
    cand[0] = 0;
    cand[1] = re2_fixed_point(b, v, k, 0);
    cand[2] = re2_fixed_point(b, v, k, r->tau2 > 0 ? r->tau2 : 0);
    for (int c = 0; c < 3; c++) {
        double m, x = re2_lrt(b, v, k, cand[c], &m);
        if (x > best) best = x, mu = m, t = cand[c];
    }
    s = best < 0 ? 0 : best; /* rounding: the maximum is never below the null */
    r->re2_mu = mu;
    r->re2_tau2 = t;
    r->stat_re2 = s;
    /* 0.5 P(chi2_1 >= s) + 0.5 P(chi2_2 >= s), in log space */
    double l1 = dist_chisq_logp(s, 1), l2 = dist_chisq_logp(s, 2), hi = fmax(l1, l2);
    r->log10p_re2 = (hi + log(0.5 * (exp(l1 - hi) + exp(l2 - hi)))) / LN10;
}

double bcms_meta_z_from_log10p(double lp, double sign)
{
    double z, lnp = lp * LN10;
    if (isnan(lp)) return NAN;
    if (lp >= 0) return 0;
    if (lp > -300) {
        z = gsl_cdf_ugaussian_Qinv(0.5 * pow(10, lp));
    } else {
        /* Newton on ln(2 Q(z)) = ln p; d/dz ln(2 Q(z)) = -phi(z)/Q(z) */
        z = sqrt(-2 * lnp);
        for (int it = 0; it < 100; it++) {
            double lq = dist_z_logp2(z) - log(2.0), lphi = -0.5 * z * z - 0.5 * log(2 * M_PI);
            double f = lq + log(2.0) - lnp, dz = f / exp(lphi - lq);
            z += dz;
            if (fabs(dz) < 1e-15 * z) break;
        }
    }
    return sign < 0 ? -z : z;
}

void bcms_meta_samplesize(const double *z, const double *n, int k, bcms_meta_result_t *r)
{
    double swz = 0, sw2 = 0;
    result_clear(r, k);
    if (k < 1) return;
    for (int i = 0; i < k; i++) {
        double w = sqrt(n[i]);
        swz += w * z[i];
        sw2 += n[i];
    }
    r->stat = swz / sqrt(sw2);
    r->log10p = dist_z_logp2(r->stat) / LN10;
}

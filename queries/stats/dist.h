/* dist.h: p-values for the association models (bcms, GPL-3.0-or-later).
 *
 * Two-sided tail probabilities of the t, normal and chi-square distributions through GSL, plus their
 * natural logarithm computed without underflow, so that P below 1e-300 (DBL_MIN ~ 2.2e-308) is still
 * reported exactly as a log10 value. All functions are pure and thread-safe; none calls the GSL error
 * handler (arguments are checked here: a non-finite statistic or df <= 0 gives NaN). */
#ifndef BCMS_DIST_H
#define BCMS_DIST_H

/* P(|T| >= |t|) for Student t with df degrees of freedom. */
double dist_t_p2(double t, double df);
/* ln P(|T| >= |t|), finite even when the p-value underflows. */
double dist_t_logp2(double t, double df);

/* P(|Z| >= |z|) for the standard normal, and its natural log. */
double dist_z_p2(double z);
double dist_z_logp2(double z);

/* |z| such that P(|Z| >= |z|) = exp(logp): the z (and z^2, the chi-square(1) quantile) that a
 * p-value stands for, accurate where p underflows (logp < -708). NaN for logp NaN or > 0. */
double dist_z_from_logp2(double logp);

/* P(X >= x) for chi-square with df degrees of freedom, and its natural log. */
double dist_chisq_p(double x, double df);
double dist_chisq_logp(double x, double df);

#endif

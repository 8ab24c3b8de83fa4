/* numfmt.h: printf's "%.Pg" without printf, for the tables written by the million (freq).
 *
 * glibc's printf turns every double into a multi-precision number before rounding it (correct, but
 * about 1 µs a number: 80% of `bcms freq`'s instructions went there). bcms_fmt_g writes the same bytes
 * as snprintf("%.*g", prec, x): the exact binary value of x rounded half-to-even to prec significant
 * digits (what glibc does in the default rounding mode), then %g's choice of fixed or exponent
 * style, trailing zeros and a bare point removed. It does the exact arithmetic in 128-bit integers
 * where the value fits (about 1e-13 < |x| < 1e15 for prec <= 10) and falls back to snprintf elsewhere
 * (NaN, infinities, tiny or huge values), so every input gives printf's bytes. */
#ifndef BCMS_NUMFMT_H
#define BCMS_NUMFMT_H

/* Longest output of bcms_fmt_g for prec <= 17, with its terminating NUL. */
#define BCMS_FMT_G_MAX 32

/* Write x as "%.{prec}g" into out (at least BCMS_FMT_G_MAX bytes), NUL-terminated; returns the
 * length. prec 1..17 (another value is taken as printf takes it, through snprintf). */
int bcms_fmt_g(char *out, double x, int prec);

#endif

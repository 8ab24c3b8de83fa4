/* test_numfmt.c: bcms_fmt_g writes exactly what snprintf("%.*g") writes (queries/read/numfmt.h):
 * glibc's printf is the reference, on the values bcms freq formats (ratios of counts, half counts),
 * on rounding ties, style boundaries, and on random doubles over the whole range. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "numfmt.h"

static int fails;
static long checked;

static void check(double x, int prec)
{
    char want[64], got[BCMS_FMT_G_MAX];
    int n = bcms_fmt_g(got, x, prec);
    snprintf(want, sizeof want, "%.*g", prec, x);
    checked++;
    if (strcmp(got, want) || n != (int)strlen(want)) {
        if (fails++ < 20) fprintf(stderr, "%%.%dg of %.17g (%a): got '%s' (length %d), printf '%s'\n", prec, x, x, got, n, want);
    }
}

static void check_all_prec(double x)
{
    for (int p = 1; p <= 17; p++) check(x, p);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

int main(void)
{
    /* what freq writes: ALT_FREQ and CALL_RATE (%.6g) of count ratios, ALT_CT / OBS_CT (%.10g) */
    for (int b = 1; b <= 1000; b++)
        for (int a = 0; a <= b; a++) {
            check((double)a / b, 6);
            check((a + 0.5 * (b % 3)) / (b + 0.5), 6);
        }
    for (int b = 2000; b <= 4000000; b += 997)
        for (int a = 0; a <= 40; a++) check((double)a / b, 6), check((double)(b - a) / b, 6);
    for (long k = 0; k < 3000000; k += 7) check(k * 0.5, 10), check(k * 0.5 + 1e9, 10);
    /* ties: dyadic values with one digit more than the precision (65/128 = 0.5078125), and the
     * carry into a new decade (9.999995, 999999.5) */
    for (int k = 1; k < 60; k++)
        for (int j = 1; j < 200; j += 2) check_all_prec(ldexp(j, -k)), check_all_prec(ldexp(j, k));
    const double edge[] = {0, -0.0, 1, -1, 0.5, 9.999995, 9.9999949999, 999999.5, 999999.4, 1e-4, 9.99999e-5,
                           0.000099999951, 0.0001, 1e-5, 5e-5, 1e5, 1e6, 1e-300, 1e300, 5e-324, 2.2250738585072014e-308,
                           1.0 / 3, 2.0 / 3, 0.1, 0.7, 123456.5, 1234565, 4503599627370496.0, 9007199254740993.0,
                           NAN, INFINITY, -INFINITY, -1e-7, 1e15, 1e16, 1e22, 1e23, 0.30103};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) check_all_prec(edge[i]), check_all_prec(nextafter(edge[i], 2)),
                                                            check_all_prec(nextafter(edge[i], -2));
    /* powers of ten and their neighbours, where the choice of decimal exponent changes */
    for (int k = -20; k <= 20; k++) {
        double t = pow(10, k);
        check_all_prec(t), check_all_prec(nextafter(t, 0)), check_all_prec(nextafter(t, INFINITY));
        for (int p = 1; p <= 17; p++) {
            double h = t * (1 - 0.5 * pow(10, -p)); /* near the rounding carry to t */
            check(h, p), check(nextafter(h, 0), p), check(nextafter(h, INFINITY), p);
        }
    }
    /* random bit patterns (every exponent, both signs) and random values in the exact range */
    for (int i = 0; i < 150000; i++) {
        union { uint64_t u; double d; } v = {next()};
        check(v.d, (int)(next() % 17) + 1);
        check(ldexp((double)(next() >> 11), -(int)(next() % 100)), (int)(next() % 17) + 1);
    }
    check(0.5, 0), check(0.5, 18), check(0.5, 40); /* outside 1..17: printf's own way */
    if (fails) fprintf(stderr, "test_numfmt: %d of %ld FAILED\n", fails, checked);
    else printf("test_numfmt: %ld values, all as printf\n", checked);
    return fails != 0;
}

/* numfmt.c: "%.Pg" by exact integer arithmetic (see numfmt.h). GPL-3.0-or-later. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "numfmt.h"

typedef unsigned __int128 u128;

#define FMT_MAX_SCALE 22 /* 10^22 * 2^53 < 2^128 */

static u128 pow10_u128(int k)
{
    static const uint64_t t[20] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
                                   100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
                                   1000000000000ull, 10000000000000ull, 100000000000000ull,
                                   1000000000000000ull, 10000000000000000ull, 100000000000000000ull,
                                   1000000000000000000ull, 10000000000000000000ull};
    return k < 20 ? t[k] : (u128)t[19] * t[k - 19];
}

static int fmt_fallback(char *out, double x, int prec)
{
    int n = snprintf(out, BCMS_FMT_G_MAX, "%.*g", prec, x);
    return n < 0 ? (out[0] = 0) : n < BCMS_FMT_G_MAX ? n : BCMS_FMT_G_MAX - 1;
}

/* The digits of x > 0 (normal) at scale 10^s, 0 <= s <= 22, prec <= 15, rounded to the nearest
 * integer, from one double product: 10^s is exact, so t = x 10^s is within t 2^-53 of the exact
 * product, and the integer nearest to the exact product is that nearest to t unless t lies
 * within twice that of a half-integer. 0 there (the exact path decides). */
static int fmt_round_fast(double x, int s, uint64_t *q)
{
    static const double p10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double t = x * p10[s], f = floor(t), d = t - f - 0.5;
    if (fabs(d) <= t * 0x1p-51) return 0;
    *q = (uint64_t)f + (d > 0);
    return 1;
}

/* x > 0 rounded to prec significant digits: *digits in [10^(prec-1), 10^prec) and the decimal
 * exponent of the first digit. 0 when x is outside the range done exactly here. */
static int fmt_round(double x, int prec, uint64_t *digits, int *exp10)
{
    uint64_t bits, m;
    memcpy(&bits, &x, sizeof bits);
    int be = (int)(bits >> 52 & 0x7ff);
    if (be == 0) return 0; /* subnormal */
    m = (bits & ((1ull << 52) - 1)) | 1ull << 52;
    int e2 = be - 1022, sh = 53 - e2; /* x = m / 2^sh exactly, 2^(e2-1) <= x < 2^e2 */
    if (sh < 1 || sh > 127) return 0;
    /* floor(log10(x)) is this or one more: log10(2) ~ 78913 / 2^18 */
    const int E0 = (int)(((int64_t)(e2 - 1) * 78913) >> 18);
    int E = E0;
    if (prec <= 15) { /* the double product, where it decides the rounding (nearly always) */
        const uint64_t flo = (uint64_t)pow10_u128(prec - 1), fhi = (uint64_t)pow10_u128(prec);
        for (int tries = 0; tries < 3; tries++) {
            int s = prec - 1 - E;
            uint64_t fq;
            if (s < 0 || s > 22 || !fmt_round_fast(x, s, &fq)) break;
            if (fq > fhi || (fq == fhi && tries == 0)) { /* E too small (or a carry: checked at E + 1) */
                E++;
                continue;
            }
            if (fq < flo) {
                E--;
                continue;
            }
            if (fq == fhi) fq = flo, E++; /* rounding carried into the next decade */
            *digits = fq;
            *exp10 = E;
            return 1;
        }
        E = E0; /* the exact path starts from the estimate again */
    }
    u128 lo = pow10_u128(prec - 1), hi = pow10_u128(prec), num, q;
    for (int tries = 0;; tries++) {
        int s = prec - 1 - E;
        if (s < 0 || s > FMT_MAX_SCALE || tries > 2) return 0;
        num = (u128)m * pow10_u128(s);
        q = num >> sh;
        if (q >= hi) E++;
        else if (q < lo) E--;
        else break;
    }
    u128 rem = num - (q << sh), half = (u128)1 << (sh - 1);
    if (rem > half || (rem == half && (q & 1))) q++; /* half to even, as printf */
    if (q == hi) q = lo, E++;
    *digits = (uint64_t)q;
    *exp10 = E;
    return 1;
}

int bcms_fmt_g(char *out, double x, int prec)
{
    char d[20], *p = out;
    uint64_t q;
    int X, nz;
    if (prec < 1 || prec > 17 || !isfinite(x)) return fmt_fallback(out, x, prec);
    if (signbit(x)) *p++ = '-', x = -x;
    if (x == 0) {
        *p++ = '0';
        *p = 0;
        return (int)(p - out);
    }
    if (!fmt_round(x, prec, &q, &X)) return fmt_fallback(out, p > out ? -x : x, prec);
    { /* digits two at a time */
        static const char pairs[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                       "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                       "8081828384858687888990919293949596979899";
        int i = prec;
        for (; i >= 2; i -= 2, q /= 100) memcpy(d + i - 2, pairs + 2 * (q % 100), 2);
        if (i) d[0] = (char)('0' + q);
    }
    for (nz = prec; nz > 1 && d[nz - 1] == '0'; nz--) {} /* significant digits left after trimming */
    if (X < -4 || X >= prec) { /* style e */
        int ax = X < 0 ? -X : X;
        *p++ = d[0];
        if (nz > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)nz - 1);
            p += nz - 1;
        }
        *p++ = 'e';
        *p++ = X < 0 ? '-' : '+';
        if (ax >= 100) *p++ = (char)('0' + ax / 100);
        *p++ = (char)('0' + ax / 10 % 10);
        *p++ = (char)('0' + ax % 10);
    } else if (X >= 0) { /* style f, X + 1 integer digits */
        memcpy(p, d, (size_t)X + 1);
        p += X + 1;
        if (nz > X + 1) {
            *p++ = '.';
            memcpy(p, d + X + 1, (size_t)(nz - X - 1));
            p += nz - X - 1;
        }
    } else { /* style f, 0.000ddd */
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -X - 1; i++) *p++ = '0';
        memcpy(p, d, (size_t)nz);
        p += nz;
    }
    *p = 0;
    return (int)(p - out);
}

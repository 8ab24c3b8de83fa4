/* cox_testutil.h: what test_cox.c and test_cox_kernel.c share: the failure counter, CHECK, a
 * relative error and a seeded generator (splitmix64). bcms, GPL-3.0-or-later. */
#ifndef COX_TESTUTIL_H
#define COX_TESTUTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

static int failures;
#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                  \
            fprintf(stderr, __VA_ARGS__);                                                         \
            fputc('\n', stderr);                                                                  \
        }                                                                                         \
    } while (0)

static inline double relerr(double a, double b) { return fabs(a - b) / (fabs(b) > 1e-300 ? fabs(b) : 1); }

static uint64_t rng_state;
static inline uint64_t splitmix(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline double unif(void) { return (splitmix() >> 11) * 0x1.0p-53; }
static inline double rnorm(void) { return sqrt(-2 * log(1 - unif())) * cos(2 * M_PI * unif()); }

#endif

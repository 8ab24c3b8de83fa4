/* meta_gc.c: the genomic inflation factor of one input, exactly and in memory that does not grow
 * with the row count: pass 1 counts chi2 values in 2^20 bins of their bit pattern (for non-negative
 * doubles it orders like the value); pass 2 keeps only the values in the bin(s) holding the median
 * (about a thousandth of the rows near chi2 = 0.45) and sorts them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "meta_internal.h"

#define GC_BITS 20
#define GC_MEDIAN_CHISQ1 0.45493642311957283 /* qchisq(0.5, 1) */

static unsigned gc_bin(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return (unsigned)(u >> (63 - GC_BITS));
}

static double row_chisq(const bcms_ss_row_t *row, int scheme)
{
    if (scheme == BCMS_META_IVW) {
        double z = row->beta / row->se;
        return z * z;
    }
    double z = bcms_meta_z_from_log10p(row->log10p, 1);
    return z * z;
}

/* One pass over path: with bins, count per bin; else collect the values in bins [lo, hi]. */
static int gc_pass(const char *path, int need, int scheme, uint64_t *bins, unsigned lo, unsigned hi, double **vals,
                   uint64_t *nvals, uint64_t *cap)
{
    bcms_ss_reader_t *rd = NULL;
    bcms_ss_row_t row;
    int rc;
    memset(&row, 0, sizeof row);
    if ((rc = bcms_ss_open(path, need, &rd))) return rc;
    while ((rc = bcms_ss_next(rd, &row)) == 1) {
        double c = row_chisq(&row, scheme);
        if (!(c >= 0) || !isfinite(c)) continue;
        unsigned b = gc_bin(c);
        if (bins) {
            bins[b]++;
        } else if (b >= lo && b <= hi) {
            if (*nvals == *cap) {
                uint64_t nc = *cap ? *cap * 2 : 1024;
                double *t = realloc(*vals, sizeof *t * nc);
                if (!t) {
                    rc = BCMS_ENOMEM;
                    break;
                }
                *vals = t, *cap = nc;
            }
            (*vals)[(*nvals)++] = c;
        }
    }
    free(row.str.s);
    bcms_ss_close(rd);
    return rc < 0 ? rc : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int meta_gc_lambda(const char *path, int need, int scheme, double *lambda)
{
    uint64_t *bins = calloc((size_t)1 << GC_BITS, sizeof *bins), n = 0, nv = 0, cap = 0, below = 0;
    uint64_t rank_lo, rank_hi, acc = 0;
    unsigned blo = 0, bhi = 0;
    double *vals = NULL;
    int rc;
    *lambda = NAN;
    if (!bins) return BCMS_ENOMEM;
    if ((rc = gc_pass(path, need, scheme, bins, 0, 0, NULL, NULL, NULL))) goto done;
    for (size_t i = 0; i < (size_t)1 << GC_BITS; i++) n += bins[i];
    if (!n) goto done;
    rank_lo = (n - 1) / 2, rank_hi = n / 2; /* 0-based ranks of the middle value(s) */
    for (size_t i = 0; i < (size_t)1 << GC_BITS; i++) {
        if (acc <= rank_lo && rank_lo < acc + bins[i]) blo = (unsigned)i, below = acc;
        if (acc <= rank_hi && rank_hi < acc + bins[i]) {
            bhi = (unsigned)i;
            break;
        }
        acc += bins[i];
    }
    if ((rc = gc_pass(path, need, scheme, NULL, blo, bhi, &vals, &nv, &cap))) goto done;
    if (nv < rank_hi - below + 1) {
        rc = bcms_err(BCMS_EIO, "%s: the file changed between two reads (genomic control needs it stable)", path);
        goto done;
    }
    qsort(vals, nv, sizeof *vals, cmp_double);
    *lambda = 0.5 * (vals[rank_lo - below] + vals[rank_hi - below]) / GC_MEDIAN_CHISQ1;
done:
    free(bins);
    free(vals);
    return rc;
}

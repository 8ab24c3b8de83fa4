/* assoc_lambda.c: lambda GC of a scan in memory bounded independently of the variant count
 * (assoc_internal.h). The median of the tested p-values is selected exactly from a spill file:
 * a double's bits, with the sign folded, order like its value, so four counting passes over 16 bits
 * each find the k-th smallest value itself, the one a sort would put there. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>

#include "assoc_internal.h"
#include "err.h"
#include "tmpfile.h"

#define SPILL_BUF 65536

static uint64_t key_of(double p)
{
    uint64_t u;
    memcpy(&u, &p, sizeof u);
    return u >> 63 ? ~u : u | (1ull << 63);
}

static double value_of(uint64_t k)
{
    uint64_t u = k >> 63 ? k & ~(1ull << 63) : ~k;
    double p;
    memcpy(&p, &u, sizeof p);
    return p;
}

int assoc_pvspill_add(assoc_pvspill_t *sp, const double *p, uint64_t n)
{
    double buf[1024];
    size_t k = 0;
    if (!sp->f && !(sp->f = bcms_tmpfile()))
        return bcms_err(BCMS_EIO, "cannot create a temporary file for the p-values (lambda GC) in %s: %s; set TMPDIR "
                        "to a writable directory", bcms_tmpdir(), strerror(errno));
    for (uint64_t i = 0; i < n; i++) {
        if (isnan(p[i])) continue;
        buf[k++] = p[i];
        if (k == sizeof buf / sizeof *buf) {
            if (fwrite(buf, sizeof *buf, k, sp->f) != k)
                return bcms_err(BCMS_EIO, "writing the p-values' temporary file failed (disk full?)");
            sp->n += k, k = 0;
        }
    }
    if (k) {
        if (fwrite(buf, sizeof *buf, k, sp->f) != k)
            return bcms_err(BCMS_EIO, "writing the p-values' temporary file failed (disk full?)");
        sp->n += k;
    }
    return 0;
}

/* The k-th smallest (0-based) value of the file. */
static int select_kth(FILE *f, uint64_t k, uint64_t *hist, double *buf, double *out)
{
    uint64_t prefix = 0, mask = 0;
    for (int shift = 48; shift >= 0; shift -= 16) {
        size_t got;
        memset(hist, 0, sizeof *hist * 65536);
        if (fseek(f, 0, SEEK_SET)) return bcms_err(BCMS_EIO, "reading the p-values' temporary file failed");
        while ((got = fread(buf, sizeof *buf, SPILL_BUF, f)) > 0)
            for (size_t i = 0; i < got; i++) {
                uint64_t key = key_of(buf[i]);
                if ((key & mask) == prefix) hist[(key >> shift) & 0xffff]++;
            }
        if (ferror(f)) return bcms_err(BCMS_EIO, "reading the p-values' temporary file failed");
        uint64_t acc = 0, d = 0;
        while (d < 65536 && acc + hist[d] <= k) acc += hist[d++];
        if (d == 65536) return bcms_err(BCMS_EIO, "the p-values' temporary file changed while read");
        k -= acc;
        prefix |= d << shift;
        mask |= 0xffffull << shift;
    }
    *out = value_of(prefix);
    return 0;
}

double assoc_pvspill_lambda(assoc_pvspill_t *sp, int *err)
{
    uint64_t n = sp->n, *hist = malloc(sizeof *hist * 65536);
    double *buf = malloc(sizeof *buf * SPILL_BUF), lo = NAN, hi = NAN, lam = NAN;
    *err = 0;
    if (!hist || !buf) {
        *err = BCMS_ENOMEM;
        goto done;
    }
    if (!n) goto done;
    if (fflush(sp->f)) {
        *err = bcms_err(BCMS_EIO, "writing the p-values' temporary file failed (disk full?)");
        goto done;
    }
    if ((*err = select_kth(sp->f, n / 2, hist, buf, &hi))) goto done;
    if (!(n & 1) && (*err = select_kth(sp->f, n / 2 - 1, hist, buf, &lo))) goto done;
    {
        double med = n & 1 ? hi : 0.5 * (lo + hi);
        lam = gsl_cdf_chisq_Qinv(med, 1) / gsl_cdf_chisq_Qinv(0.5, 1);
    }
done:
    free(hist);
    free(buf);
    return lam;
}

void assoc_pvspill_close(assoc_pvspill_t *sp)
{
    if (sp->f) fclose(sp->f);
    sp->f = NULL;
    sp->n = 0;
}

/* hwe.c: Hardy-Weinberg exact test. The het-count distribution given the allele counts is walked
 * outwards from its mode with the recurrence of Wigginton et al. (2005); the p-value sums every
 * configuration no more likely than the observed one. No table is kept: a first walk finds the
 * normalising sum and the observed term, a second sums the terms at most as likely as it. Each walk
 * stops once terms fall below 1e-20 of what they are compared with (the terms decay faster than
 * geometrically away from the mode), so a common variant costs a few hundred steps, not n. */
#include <math.h>
#include <stddef.h>

#include "hwe.h"

/* Walk the distribution from the mode; returns the sum of the terms (mode = 1) and sets *pobs.
 * With limit >= 0, returns instead the sum of terms <= limit (1 + 1e-7 tolerance, as PLINK). */
static double walk(int64_t rare, int64_t genotypes, int64_t mid, int64_t obs, double limit, double *pobs)
{
    double sum = 0, cut = limit >= 0 ? limit * 1e-20 : 0, tol = limit * (1 + 1e-7);
    double p = 1.0;
    int64_t homr = (rare - mid) / 2, homc = genotypes - mid - homr, h;
    /* downwards, the mode included */
    for (h = mid;; h -= 2) {
        if (h == obs && pobs) *pobs = p;
        if (limit < 0) sum += p;
        else if (p <= tol) sum += p;
        if (h < 2) break;
        p = p * h * (h - 1.0) / (4.0 * (homr + 1.0) * (homc + 1.0));
        homr++, homc++;
        if (h - 2 < obs && (limit < 0 ? p < sum * 1e-20 : p < cut)) break;
    }
    p = 1.0;
    homr = (rare - mid) / 2, homc = genotypes - mid - homr;
    for (h = mid; h <= rare - 2;) {
        p = p * 4.0 * homr * homc / ((h + 2.0) * (h + 1.0));
        homr--, homc--;
        h += 2;
        if (h == obs && pobs) *pobs = p;
        if (limit < 0) sum += p;
        else if (p <= tol) sum += p;
        if (h > obs && (limit < 0 ? p < sum * 1e-20 : p < cut)) break;
    }
    return sum;
}

double bcms_hwe_exact(uint32_t obs_hets, uint32_t obs_hom1, uint32_t obs_hom2, int midp)
{
    uint64_t obs_homc = obs_hom1 < obs_hom2 ? obs_hom2 : obs_hom1;
    uint64_t obs_homr = obs_hom1 < obs_hom2 ? obs_hom1 : obs_hom2;
    int64_t rare = 2 * (int64_t)obs_homr + obs_hets;
    int64_t genotypes = (int64_t)obs_hets + obs_homc + obs_homr;
    int64_t mid;
    double sum, pobs = 0, pval;
    if (genotypes == 0) return 1.0;
    mid = rare * (2 * genotypes - rare) / (2 * genotypes);
    if ((rare & 1) ^ (mid & 1)) mid++;
    sum = walk(rare, genotypes, mid, obs_hets, -1, &pobs);
    pval = walk(rare, genotypes, mid, obs_hets, pobs, NULL);
    if (midp) pval -= pobs / 2;
    pval /= sum;
    return pval > 1.0 ? 1.0 : pval;
}

/* ---- chrX: Graffelman & Weir (2016, Heredity 116:558), the test of PLINK 2 --hardy's .hardy.x ----
 * Given the allele counts over females (diploid) and males (haploid), a configuration (male A
 * count mA, female het count AB) has probability proportional to
 *   nf! / (AA! AB! BB!) * 2^AB * nm! / (mA! mB!).
 * For each mA the female part is the autosomal het walk; mA is walked outwards from its mode too. */
static double x_logterm(int64_t nf, int64_t nm, int64_t aa, int64_t ab, int64_t bb, int64_t ma)
{
    return lgamma(nf + 1.0) - lgamma(aa + 1.0) - lgamma(ab + 1.0) - lgamma(bb + 1.0) + ab * M_LN2 + lgamma(nm + 1.0) -
           lgamma(ma + 1.0) - lgamma(nm - ma + 1.0);
}

/* Sum over the female configurations of fa A alleles (terms relative to exp(lref)); adds those at
 * most tobs (with tolerance) to *le; returns the total and the largest term in *tmax. */
static double x_female_sum(int64_t nf, int64_t nm, int64_t fa, int64_t ma, double lref, double tobs, double cut,
                           double *le, double *tmax)
{
    int64_t mid = nf ? fa * (2 * nf - fa) / (2 * nf) : 0, sum_lim = fa < 2 * nf - fa ? fa : 2 * nf - fa;
    double sum = 0, tol = tobs * (1 + 1e-7);
    if ((mid & 1) != (fa & 1)) mid++;
    if (mid > sum_lim) mid -= 2;
    int64_t aa0 = (fa - mid) / 2, bb0 = nf - aa0 - mid;
    double t0 = exp(x_logterm(nf, nm, aa0, mid, bb0, ma) - lref), t;
    *tmax = t0;
    int64_t h, aa, bb;
    for (h = mid, aa = aa0, bb = bb0, t = t0;;) { /* downwards, the mode included */
        sum += t;
        if (t <= tol) *le += t;
        if (h < 2 || t < cut) break;
        t = t * h * (h - 1.0) / (4.0 * (aa + 1.0) * (bb + 1.0));
        h -= 2, aa++, bb++;
    }
    for (h = mid, aa = aa0, bb = bb0, t = t0; h + 2 <= sum_lim && aa > 0 && bb > 0;) {
        t = t * 4.0 * aa * bb / ((h + 2.0) * (h + 1.0));
        h += 2, aa--, bb--;
        sum += t;
        if (t <= tol) *le += t;
        if (t < cut) break;
    }
    return sum;
}

double bcms_hwe_exact_x(uint32_t f_het, uint32_t f_hom1, uint32_t f_hom2, uint32_t m1, uint32_t m2)
{
    int64_t nf = (int64_t)f_het + f_hom1 + f_hom2, nm = (int64_t)m1 + m2;
    int64_t na = 2 * (int64_t)f_hom1 + f_het + m1, n = 2 * nf + nm;
    if (n == 0) return 1.0;
    /* reference: near the joint mode, so terms stay within double range */
    int64_t ma0 = (int64_t)llround((double)nm * na / n);
    if (ma0 > na) ma0 = na;
    if (na - ma0 > 2 * nf) ma0 = na - 2 * nf;
    int64_t fa0 = na - ma0, mid = nf ? fa0 * (2 * nf - fa0) / (2 * nf) : 0;
    if ((mid & 1) != (fa0 & 1)) mid++;
    if (mid > fa0 || mid > 2 * nf - fa0) mid -= 2;
    double lref = x_logterm(nf, nm, (fa0 - mid) / 2, mid, nf - (fa0 - mid) / 2 - mid, ma0);
    double tobs = exp(x_logterm(nf, nm, f_hom1, f_het, f_hom2, m1) - lref);
    double cut = 1e-20 * (tobs < 1 ? tobs : 1), total = 0, le = 0, tmax;
    int64_t lo = na - 2 * nf > 0 ? na - 2 * nf : 0, hi = na < nm ? na : nm;
    for (int64_t ma = ma0; ma >= lo; ma--) {
        total += x_female_sum(nf, nm, na - ma, ma, lref, tobs, cut, &le, &tmax);
        if (tmax < cut && ma < ma0) break;
    }
    for (int64_t ma = ma0 + 1; ma <= hi; ma++) {
        total += x_female_sum(nf, nm, na - ma, ma, lref, tobs, cut, &le, &tmax);
        if (tmax < cut) break;
    }
    double p = total > 0 ? le / total : 1.0;
    return p > 1.0 ? 1.0 : p;
}

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

/* hwe.c: Hardy-Weinberg exact test. The het-count distribution given the allele counts is built
 * outwards from its mode with the recurrence of Wigginton et al. (2005), then the p-value sums all
 * configurations no more likely than the observed one. */
#include <stdlib.h>

#include "hwe.h"

double bcms_hwe_exact(uint32_t obs_hets, uint32_t obs_hom1, uint32_t obs_hom2, int midp)
{
    uint64_t obs_homc = obs_hom1 < obs_hom2 ? obs_hom2 : obs_hom1;
    uint64_t obs_homr = obs_hom1 < obs_hom2 ? obs_hom1 : obs_hom2;
    int64_t rare = 2 * (int64_t)obs_homr + obs_hets;
    int64_t genotypes = (int64_t)obs_hets + obs_homc + obs_homr;
    double *p, sum = 0, pval = 0;
    int64_t mid, h;
    if (genotypes == 0) return 1.0;
    if (!(p = calloc(rare + 1, sizeof *p))) return -1.0;
    mid = rare * (2 * genotypes - rare) / (2 * genotypes);
    if ((rare & 1) ^ (mid & 1)) mid++;
    int64_t curr_hets = mid, curr_homr = (rare - mid) / 2, curr_homc = genotypes - curr_hets - curr_homr;
    p[mid] = 1.0;
    sum = 1.0;
    for (h = mid; h > 1; h -= 2) {
        p[h - 2] = p[h] * h * (h - 1.0) / (4.0 * (curr_homr + 1.0) * (curr_homc + 1.0));
        sum += p[h - 2];
        curr_homr++;
        curr_homc++;
    }
    curr_hets = mid;
    curr_homr = (rare - mid) / 2;
    curr_homc = genotypes - curr_hets - curr_homr;
    for (h = mid; h <= rare - 2; h += 2) {
        p[h + 2] = p[h] * 4.0 * curr_homr * curr_homc / ((h + 2.0) * (h + 1.0));
        sum += p[h + 2];
        curr_homr--;
        curr_homc--;
    }
    double pobs = p[obs_hets];
    for (h = rare & 1; h <= rare; h += 2)
        if (p[h] <= pobs * (1 + 1e-7)) pval += p[h];
    if (midp) pval -= pobs / 2;
    free(p);
    pval /= sum;
    return pval > 1.0 ? 1.0 : pval;
}

/* simulate_structure.h: relatives in a synthetic cohort (nuclear families and cryptic 2nd/3rd-degree
 * pairs), for `bcms simulate --families/--relatives`. Not part of the library's contract: simulate.c
 * calls it. GPL-3.0-or-later.
 *
 * The pedigree. A nuclear family is two sampled parents and two sampled children (parent-offspring
 * and full sibs: 1st degree, kinship 1/4). A cryptic pair is two samples whose common ancestors are
 * not in the cohort ("ghosts"): half-sibs (one ghost parent: 2nd degree, kinship 1/8) or first
 * cousins (two ghost grandparents and two ghost parents: 3rd degree, kinship 1/16), alternating.
 * Each pair keeps one haplotype of its own. Members of one family or pair come from one population.
 *
 * At a site, ghost founders draw their alleles like any founder-copying haplotype (from the block's
 * founder weights in their population), then every descendant, parents before children, copies at
 * each haplotype the allele of one of its parent's two haplotypes; which one switches at crossovers
 * drawn once per meiosis and contig (Poisson, 1 per 100 Mb). Everything comes from counter-based
 * streams keyed by (seed, purpose, index): the output never depends on the thread count. */
#ifndef BCMS_SIMULATE_STRUCTURE_H
#define BCMS_SIMULATE_STRUCTURE_H

#include <stdint.h>

#include "simulate.h"

typedef struct sim_ped_t sim_ped_t;

/* Build the pedigree of o->n_families families and o->n_relatives cryptic pairs over n samples.
 * isolate[i] (1 isolate, 0 mainland) chooses the members' populations and is not changed. contig_len
 * gives the length of contig c (for crossovers). *out is NULL when there are no relatives. Returns 0,
 * BCMS_EINVAL (more relatives than samples of a population) or BCMS_ENOMEM. */
int sim_ped_build(const simulate_opts_t *o, const uint8_t *isolate, const int64_t *contig_len, sim_ped_t **out);
void sim_ped_free(sim_ped_t *p);

/* Haplotypes of the ghosts, stored after the 2n sampled ones in the allele array (0 without a pedigree). */
int64_t sim_ped_ghost_haps(const sim_ped_t *p);

/* Overwrite the relatives' alleles at pooled site u (position pos on contig; block index block with
 * founder CDFs cdf[pop][k] and founder ALT probabilities q[k]): al holds 2n + ghost haplotypes. */
void sim_ped_site(const sim_ped_t *p, uint64_t seed, int64_t u, int contig, int64_t pos, int64_t block,
                  const double cdf[2][8], const float *q, uint8_t *al);

#endif

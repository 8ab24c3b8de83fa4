/* simulate_structure.c: nuclear families and cryptic relatives of a synthetic cohort (contract in
 * simulate_structure.h). GPL-3.0-or-later. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "simulate_internal.h"
#include "simulate_structure.h"

#define PED_NCONTIG 22
#define PED_MORGAN_BP 1e8 /* one crossover per 100 Mb on average */

/* A descendant: its two haplotypes copy those of par[k] (individual index: sampled 0..n-1, ghosts
 * n..), or keep its own (par[k] < 0). */
typedef struct {
    int64_t id;
    int64_t par[2];
} ped_node_t;

struct sim_ped_t {
    int64_t n, n_ghost, n_ghost_founder; /* ghosts 0..n_ghost_founder-1 draw alleles; the rest descend */
    uint8_t *ghost_pop;                  /* population of each ghost */
    ped_node_t *node;                    /* in an order where parents come first */
    int64_t n_node;
    /* crossovers of meiosis (node j, haplotype k) on contig c: xo[xo_off[m] .. xo_off[m + 1]), sorted,
     * m = (2 j + k) * PED_NCONTIG + c; xo_first[m]: parental haplotype transmitted before the first */
    int64_t *xo, *xo_off;
    uint8_t *xo_first;
};

int64_t sim_ped_ghost_haps(const sim_ped_t *p) { return p ? 2 * p->n_ghost : 0; }

void sim_ped_free(sim_ped_t *p)
{
    if (!p) return;
    free(p->ghost_pop);
    free(p->node);
    free(p->xo);
    free(p->xo_off);
    free(p->xo_first);
    free(p);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Poisson draw by inversion (small means only). */
static int poisson_small(sim_rng_t *r, double mean)
{
    double u = sim_u01(r), pk = exp(-mean), cdf = pk;
    int k = 0;
    while (u > cdf && k < 50) {
        pk *= mean / ++k;
        cdf += pk;
    }
    return k;
}

/* Crossovers of every meiosis, each from its own stream. */
static int ped_crossovers(sim_ped_t *p, uint64_t seed, const int64_t *contig_len, int n_contigs)
{
    const int64_t nm = 2 * p->n_node * PED_NCONTIG;
    int64_t cap = 0, used = 0;
    if (!(p->xo_off = malloc((size_t)(nm + 1) * sizeof *p->xo_off)) || !(p->xo_first = malloc((size_t)nm)))
        return BCMS_ENOMEM;
    for (int64_t mi = 0; mi < 2 * p->n_node; mi++) {
        sim_rng_t r;
        sim_rng_init(&r, seed, SIM_TAG_MEIOSIS, (uint64_t)mi);
        for (int c = 0; c < PED_NCONTIG; c++) {
            int64_t m = mi * PED_NCONTIG + c, len = c < n_contigs ? contig_len[c] : 0;
            p->xo_off[m] = used;
            p->xo_first[m] = (uint8_t)(sim_next(&r) >> 63);
            int k = len ? poisson_small(&r, (double)len / PED_MORGAN_BP) : 0;
            if (used + k > cap) {
                int64_t nc = 2 * (used + k) + 64, *nx = realloc(p->xo, (size_t)nc * sizeof *nx);
                if (!nx) return BCMS_ENOMEM;
                p->xo = nx, cap = nc;
            }
            for (int i = 0; i < k; i++) p->xo[used + i] = 1 + (int64_t)sim_below(&r, (uint64_t)len);
            qsort(p->xo + used, (size_t)k, sizeof *p->xo, cmp_i64);
            used += k;
        }
    }
    p->xo_off[nm] = used;
    return 0;
}

/* Take the next free sample of population pop from its shuffled list. */
static int64_t take(int64_t *list[2], int64_t len[2], int64_t pos[2], int pop)
{
    return pos[pop] < len[pop] ? list[pop][pos[pop]++] : -1;
}

static int64_t ghost_new(sim_ped_t *p, int pop)
{
    p->ghost_pop[p->n_ghost] = (uint8_t)pop;
    return p->n + p->n_ghost++;
}

static void node_add(sim_ped_t *p, int64_t id, int64_t p0, int64_t p1)
{
    ped_node_t *d = &p->node[p->n_node++];
    d->id = id, d->par[0] = p0, d->par[1] = p1;
}

/* Families then pairs; ghost founders are numbered before descending ghosts, so each group's ghosts
 * are made in two passes (founders of every group first). */
static int ped_members(sim_ped_t *p, const simulate_opts_t *o, const uint8_t *isolate, int64_t *list[2],
                       int64_t len[2])
{
    int64_t pos[2] = {0, 0};
    const int64_t nf = o->n_families, nr = o->n_relatives;
    int64_t *grp = malloc((size_t)(nf + nr + 1) * 4 * sizeof *grp);
    int *gpop = malloc((size_t)(nf + nr + 1) * sizeof *gpop);
    sim_rng_t r;
    if (!grp || !gpop) {
        free(grp), free(gpop);
        return BCMS_ENOMEM;
    }
    sim_rng_init(&r, o->seed, SIM_TAG_PED, 1);
    for (int64_t g = 0; g < nf + nr; g++) {
        int need = g < nf ? 4 : 2, pop = sim_u01(&r) < o->isolate_frac;
        if (len[pop] - pos[pop] < need) pop = !pop;
        if (len[pop] - pos[pop] < need) {
            free(grp), free(gpop);
            return bcms_err(BCMS_EINVAL, "--families %" PRId64 " and --relatives %" PRId64
                            " need more samples of one population than --samples %" PRId64 " gives",
                            nf, nr, o->n_samples);
        }
        gpop[g] = pop;
        for (int k = 0; k < need; k++) grp[4 * g + k] = take(list, len, pos, pop);
    }
    (void)isolate;
    /* Ghost founders: one per half-sib pair, two per cousin pair. */
    int64_t *gf = malloc((size_t)(nr + 1) * 2 * sizeof *gf);
    if (!gf) {
        free(grp), free(gpop);
        return BCMS_ENOMEM;
    }
    for (int64_t j = 0; j < nr; j++) {
        int pop = gpop[nf + j];
        gf[2 * j] = ghost_new(p, pop);
        gf[2 * j + 1] = j % 2 ? ghost_new(p, pop) : -1;
    }
    p->n_ghost_founder = p->n_ghost;
    for (int64_t g = 0; g < nf; g++) {
        const int64_t *m = &grp[4 * g];
        node_add(p, m[2], m[0], m[1]);
        node_add(p, m[3], m[0], m[1]);
    }
    for (int64_t j = 0; j < nr; j++) {
        const int64_t *m = &grp[4 * (nf + j)];
        if (j % 2 == 0) { /* half-sibs: a ghost parent */
            node_add(p, m[0], gf[2 * j], -1);
            node_add(p, m[1], gf[2 * j], -1);
        } else {          /* first cousins: ghost grandparents, ghost parents who are sibs */
            int64_t a = ghost_new(p, gpop[nf + j]), b = ghost_new(p, gpop[nf + j]);
            node_add(p, a, gf[2 * j], gf[2 * j + 1]);
            node_add(p, b, gf[2 * j], gf[2 * j + 1]);
            node_add(p, m[0], a, -1);
            node_add(p, m[1], b, -1);
        }
    }
    free(gf), free(grp), free(gpop);
    return 0;
}

int sim_ped_build(const simulate_opts_t *o, const uint8_t *isolate, const int64_t *contig_len, sim_ped_t **out)
{
    const int64_t n = o->n_samples, nf = o->n_families, nr = o->n_relatives;
    int64_t *list[2] = {NULL, NULL}, len[2] = {0, 0};
    sim_ped_t *p = NULL;
    int ret = BCMS_ENOMEM;
    *out = NULL;
    if (!nf && !nr) return 0;
    if (!(p = calloc(1, sizeof *p)) || !(p->ghost_pop = malloc((size_t)(4 * nr + 1))) ||
        !(p->node = malloc((size_t)(2 * nf + 4 * nr + 1) * sizeof *p->node)) ||
        !(list[0] = malloc((size_t)n * sizeof(int64_t))) || !(list[1] = malloc((size_t)n * sizeof(int64_t))))
        goto fail;
    p->n = n;
    /* Samples of each population in a shuffled order. */
    {
        sim_rng_t r;
        sim_rng_init(&r, o->seed, SIM_TAG_PED, 0);
        for (int64_t i = 0; i < n; i++) list[isolate[i] ? 1 : 0][len[isolate[i] ? 1 : 0]++] = i;
        for (int pop = 0; pop < 2; pop++)
            for (int64_t i = len[pop] - 1; i > 0; i--) {
                int64_t j = (int64_t)sim_below(&r, (uint64_t)i + 1), t = list[pop][i];
                list[pop][i] = list[pop][j], list[pop][j] = t;
            }
    }
    if ((ret = ped_members(p, o, isolate, list, len))) goto fail;
    if ((ret = ped_crossovers(p, o->seed, contig_len, o->n_contigs))) goto fail;
    free(list[0]), free(list[1]);
    *out = p;
    return 0;
fail:
    free(list[0]), free(list[1]);
    sim_ped_free(p);
    return ret == BCMS_ENOMEM ? bcms_err(BCMS_ENOMEM, "pedigree of %" PRId64 " families and %" PRId64 " pairs", nf, nr)
                              : ret;
}

/* Parental haplotype (0/1) that meiosis m transmits at pos. */
static int transmitted(const sim_ped_t *p, int64_t m, int64_t pos)
{
    int t = p->xo_first[m];
    for (int64_t i = p->xo_off[m]; i < p->xo_off[m + 1] && p->xo[i] <= pos; i++) t ^= 1;
    return t;
}

void sim_ped_site(const sim_ped_t *p, uint64_t seed, int64_t u, int contig, int64_t pos, int64_t block,
                  const double cdf[2][8], const float *q, uint8_t *al)
{
    uint8_t *gh = al + 2 * p->n;
    sim_rng_t rf, ra;
    /* Ghost founders: a founder per haplotype and block (no switch inside a block), an allele per site. */
    sim_rng_init(&rf, seed, SIM_TAG_GHOSTHAP, (uint64_t)block);
    sim_rng_init(&ra, seed, SIM_TAG_GHOSTAL, (uint64_t)u);
    for (int64_t h = 0; h < 2 * p->n_ghost_founder; h++) {
        const double *c = cdf[p->ghost_pop[h >> 1]];
        double x = sim_u01(&rf);
        int f = 0;
        while (f < 7 && x >= c[f]) f++;
        float qf = q[f];
        gh[h] = qf >= 1.0f ? 1 : qf <= 0.0f ? 0 : sim_u01(&ra) < qf;
    }
    for (int64_t j = 0; j < p->n_node; j++) {
        const ped_node_t *d = &p->node[j];
        for (int k = 0; k < 2; k++) {
            if (d->par[k] < 0) continue;
            int t = transmitted(p, (2 * j + k) * PED_NCONTIG + contig, pos);
            al[2 * d->id + k] = al[2 * d->par[k] + t];
        }
    }
}

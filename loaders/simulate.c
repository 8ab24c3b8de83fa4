/* simulate.c: synthetic cohorts: the site pool, haplotype blocks, genotypes and the VCF writer.
 * GPL-3.0-or-later. The contract is in simulate.h; phenotypes are in simulate_pheno.c.
 *
 * Work goes batch -> parallel compute -> ordered output: a batch is a run of whole haplotype blocks
 * (>= SIM_BATCH_SITES pooled sites, fixed by the site pool alone); OpenMP threads generate and format
 * the records of a batch (each record from its own random stream, each thread its own bcf1_t), then the
 * main thread writes them in order to the BGZF stream, which htslib's thread pool compresses. We format
 * with vcf_format() and write with bgzf_flush_try()+bgzf_write(), exactly what vcf_write() does, so
 * that text formatting (the costly part) runs in parallel too. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <htslib/bgzf.h>
#include <htslib/hts.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h> /* hts_get_bgzfp */
#include <htslib/vcf.h>
#include <omp.h>

#include "err.h"
#include "simulate_internal.h"
#include "simulate_structure.h"

#define SIM_K 8               /* founder haplotypes per block */
#define SIM_MAX_BLOCK 64      /* sites per block at most (switch points fit in a byte) */
#define SIM_BATCH_SITES 512
#define SIM_MAF_MIN 0.0005
#define SIM_MULTI_RATE 0.015
#define SIM_ALT_MAJOR_RATE 0.05
#define SIM_SWAP_RATE 0.005
#define SIM_RECOMB_RATE 0.15  /* chance a haplotype switches founder once inside a block */
#define SIM_ISO_CONC 12.0     /* isolate founder weights ~ Dirichlet(SIM_ISO_CONC * mainland weights) */
#define SIM_NOISE_RATE 2e-4   /* allele flips on common sites (genotype error / recurrent mutation) */
#define SIM_UNPHASED_SAMPLES 0.03
#define SIM_UNPHASED_BLOCKS 0.04

/* GRCh38 autosome lengths. */
static const int64_t grch38_len[22] = {
    248956422, 242193529, 198295559, 190214555, 181538259, 170805979, 159345973, 145138636,
    138394717, 133797422, 135086622, 133275309, 114364328, 107043718, 101991189, 90338345,
    83257441,  80373285,  58617616,  64444167,  46709983,  50818468};
static const char *chrom_names[22] = {"1",  "2",  "3",  "4",  "5",  "6",  "7",  "8",  "9",  "10", "11",
                                      "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22"};

typedef struct {
    int64_t pos;
    int32_t contig, block;
    float p;          /* target ALT frequency (mainland founder weights) */
    float q[SIM_K];   /* probability of ALT on a copy of each founder */
    uint32_t rs;
    char ref, alt[3];
    uint8_t n_alt, chrpos_id;
    int8_t causal;    /* index into the causal list, -1 if none */
} sim_site_t;

typedef struct {
    int64_t start;
    int32_t len, contig;
    double cdf[2][SIM_K]; /* founder CDFs: [0] mainland, [1] isolate */
} sim_block_t;

typedef struct {
    int trait;
    double beta;
    int64_t site;
} sim_causal_def_t;

/* The site pool: everything that depends on the site seed only. */
typedef struct {
    int64_t n_sites, n_blocks;
    sim_site_t *site;
    sim_block_t *block;
    sim_causal_def_t causal[16];
    int n_causal;
} sim_pool_t;

/* One thread's workspace. */
typedef struct {
    bcf1_t *rec;
    uint8_t *al; /* 2N alleles, 0xFF missing */
    int32_t *gt;
    float *ds;
} sim_work_t;

/* Per pooled site of a batch, written by the thread that made the record. */
typedef struct {
    kstring_t text;
    int64_t n_missing, n_het_phased, n_het_unphased;
    uint8_t written, multi, swapped, lowqual;
} sim_slot_t;

/* Per block of a batch: founder copied by each haplotype, and where it switches. */
typedef struct {
    uint8_t *f1, *f2, *sw;
    uint8_t unphased;
} sim_hap_t;

void simulate_opts_init(simulate_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->prefix = "S";
    o->n_samples = 1000;
    o->n_variants = 10000;
    o->seed = 1;
    o->n_contigs = 22;
    o->missing = 0.02;
    o->isolate_frac = 0.5;
    o->threads = 1;
}

int simulate_opts_check(const simulate_opts_t *o)
{
    if (!o->out_vcf || !*o->out_vcf) return bcms_err(BCMS_EINVAL, "no output file: give -o cohort.vcf.gz");
    if (o->n_samples < 1 || o->n_samples > 10000000)
        return bcms_err(BCMS_EINVAL, "--samples must be between 1 and 10000000 (got %" PRId64 ")", o->n_samples);
    if (o->n_variants < 1 || o->n_variants > 100000000)
        return bcms_err(BCMS_EINVAL, "--variants must be between 1 and 100000000 (got %" PRId64 ")",
                        o->n_variants);
    if (o->n_contigs < 1 || o->n_contigs > 22)
        return bcms_err(BCMS_EINVAL, "--contigs must be between 1 and 22 (got %d)", o->n_contigs);
    if (!(o->missing >= 0 && o->missing < 0.5))
        return bcms_err(BCMS_EINVAL, "--missing must be in [0, 0.5) (got %g)", o->missing);
    if (!(o->fst >= 0 && o->fst < 1)) return bcms_err(BCMS_EINVAL, "--fst must be in (0, 1) (got %g)", o->fst);
    if (o->n_families < 0 || o->n_relatives < 0 || 4 * o->n_families + 2 * o->n_relatives > o->n_samples)
        return bcms_err(BCMS_EINVAL, "--families x 4 + --relatives x 2 must not exceed --samples");
    if (!(o->isolate_frac >= 0 && o->isolate_frac <= 1))
        return bcms_err(BCMS_EINVAL, "--isolate-frac must be in [0, 1] (got %g)", o->isolate_frac);
    if (o->threads < 1 || o->threads > 4096)
        return bcms_err(BCMS_EINVAL, "--threads must be between 1 and 4096 (got %d)", o->threads);
    if (!o->out_visits != !o->out_patients)
        return bcms_err(BCMS_EINVAL, "--visits and --patients go together: give both or neither");
    if (o->out_visits && !strcmp(o->out_visits, o->out_patients))
        return bcms_err(BCMS_EINVAL, "--visits and --patients must name two different files");
    if (!o->prefix || strlen(o->prefix) > 64 || strpbrk(o->prefix, " \t\n\r"))
        return bcms_err(BCMS_EINVAL, "--prefix must be at most 64 characters without white space");
    return 0;
}

/* ---- the site pool (site seed) ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void founder_weights(sim_rng_t *r, double *w, double conc, const double *mean)
{
    double sum = 0;
    for (int k = 0; k < SIM_K; k++) sum += (w[k] = sim_gamma(r, mean ? conc * mean[k] : conc));
    if (!(sum > 0)) {
        for (int k = 0; k < SIM_K; k++) w[k] = mean ? mean[k] : 1.0 / SIM_K;
        return;
    }
    for (int k = 0; k < SIM_K; k++) w[k] /= sum;
}

static void shuffle_founders(sim_rng_t *r, int *perm)
{
    for (int k = 0; k < SIM_K; k++) perm[k] = k;
    for (int i = SIM_K - 1; i > 0; i--) {
        int j = (int)sim_below(r, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

static void make_site(sim_pool_t *pl, int64_t u, uint64_t site_seed, const double *wmain, int bperm[2][SIM_K])
{
    static const char bases[4] = {'A', 'C', 'G', 'T'};
    sim_site_t *s = &pl->site[u];
    sim_rng_t r;
    sim_rng_init(&r, site_seed, SIM_TAG_SITEDEF, (uint64_t)u);
    double p = SIM_MAF_MIN * exp(sim_u01(&r) * log(0.5 / SIM_MAF_MIN));
    if (sim_u01(&r) < SIM_ALT_MAJOR_RATE) p = 1.0 - p;
    s->p = (float)p;
    s->n_alt = 1;
    if (sim_u01(&r) < SIM_MULTI_RATE) s->n_alt = sim_u01(&r) < 0.75 ? 2 : 3;
    int ref = (int)sim_below(&r, 4), perm4[3], n = 0;
    for (int b = 0; b < 4; b++)
        if (b != ref) perm4[n++] = b;
    for (int i = 2; i > 0; i--) {
        int j = (int)sim_below(&r, (uint64_t)i + 1), t = perm4[i];
        perm4[i] = perm4[j];
        perm4[j] = t;
    }
    s->ref = bases[ref];
    for (int i = 0; i < 3; i++) s->alt[i] = bases[perm4[i]];
    s->rs = (uint32_t)(10000 + u * 13 + (int64_t)sim_below(&r, 13));
    s->chrpos_id = s->n_alt == 1 && sim_u01(&r) < 0.15;
    s->causal = -1;
    /* The variant sits on a subset of founders whose (mainland) weights add up to p: whole founders
     * in the order of a permutation while they fit, then a share of the copies of the next one. Rare
     * variants thus ride on one founder background. Most sites of a block follow one of the block's
     * two founder orders (two clades of a genealogy), so their carrier sets are nested: LD. */
    int perm_own[SIM_K];
    const int *perm = perm_own;
    double x = sim_u01(&r);
    if (x < 0.55) perm = bperm[0];
    else if (x < 0.85) perm = bperm[1];
    else shuffle_founders(&r, perm_own);
    double cum = 0;
    for (int i = 0; i < SIM_K; i++) {
        int k = perm[i];
        double w = wmain[k];
        if (cum >= p || w <= 0) s->q[k] = 0;
        else if (cum + w <= p) s->q[k] = 1, cum += w;
        else s->q[k] = (float)((p - cum) / w), cum = p;
    }
}

static void pool_free(sim_pool_t *pl)
{
    free(pl->site);
    free(pl->block);
    memset(pl, 0, sizeof *pl);
}

static int pool_build(sim_pool_t *pl, int64_t n_sites, int n_contigs, uint64_t site_seed, int64_t n_variants,
                      double iso_conc)
{
    memset(pl, 0, sizeof *pl);
    pl->n_sites = n_sites;
    if (!(pl->site = calloc((size_t)n_sites, sizeof *pl->site))) goto nomem;
    /* Sites per contig: proportional to length, largest remainder. */
    int64_t cnt[22] = {0}, total = 0, given = 0;
    double rem[22];
    for (int c = 0; c < n_contigs; c++) total += grch38_len[c];
    for (int c = 0; c < n_contigs; c++) {
        double x = (double)n_sites * grch38_len[c] / total;
        cnt[c] = (int64_t)x;
        rem[c] = x - cnt[c];
        given += cnt[c];
    }
    while (given < n_sites) {
        int best = 0;
        for (int c = 1; c < n_contigs; c++)
            if (rem[c] > rem[best]) best = c;
        cnt[best]++, rem[best] = -1, given++;
    }
    /* Positions and blocks. */
    int64_t u = 0, max_blocks = n_sites;
    if (!(pl->block = calloc((size_t)max_blocks, sizeof *pl->block))) goto nomem;
    sim_rng_t rl;
    sim_rng_init(&rl, site_seed, SIM_TAG_BLOCKLEN, 0);
    for (int c = 0; c < n_contigs; c++) {
        int64_t n = cnt[c], *pos = NULL, span = grch38_len[c] - 20000;
        if (!n) continue;
        if (!(pos = malloc((size_t)n * sizeof *pos))) goto nomem;
        sim_rng_t r;
        sim_rng_init(&r, site_seed, SIM_TAG_POS, (uint64_t)c);
        for (int64_t i = 0; i < n; i++) pos[i] = 10001 + (int64_t)sim_below(&r, (uint64_t)span);
        qsort(pos, (size_t)n, sizeof *pos, cmp_i64);
        for (int64_t i = 1; i < n; i++)
            if (pos[i] <= pos[i - 1]) pos[i] = pos[i - 1] + 1;
        for (int64_t i = 0; i < n;) {
            /* Block length: 1 + geometric with mean ~15 sites, capped. */
            int64_t len = 1;
            while (len < SIM_MAX_BLOCK && sim_u01(&rl) > 1.0 / 15) len++;
            if (len > n - i) len = n - i;
            sim_block_t *b = &pl->block[pl->n_blocks];
            b->start = u + i;
            b->len = (int32_t)len;
            b->contig = c;
            for (int64_t j = 0; j < len; j++) {
                pl->site[u + i + j].pos = pos[i + j];
                pl->site[u + i + j].contig = c;
                pl->site[u + i + j].block = (int32_t)pl->n_blocks;
            }
            pl->n_blocks++;
            i += len;
        }
        u += n;
        free(pos);
    }
    /* Founder weights per block and the sites' founder probabilities. */
    for (int64_t bi = 0; bi < pl->n_blocks; bi++) {
        sim_block_t *b = &pl->block[bi];
        sim_rng_t r;
        double w[2][SIM_K];
        sim_rng_init(&r, site_seed, SIM_TAG_BLOCK, (uint64_t)bi);
        founder_weights(&r, w[0], 0.8, NULL);
        founder_weights(&r, w[1], iso_conc, w[0]);
        for (int pop = 0; pop < 2; pop++) {
            double c = 0;
            for (int k = 0; k < SIM_K; k++) b->cdf[pop][k] = (c += w[pop][k]);
            b->cdf[pop][SIM_K - 1] = 2.0; /* guard against rounding */
        }
        int bperm[2][SIM_K];
        shuffle_founders(&r, bperm[0]);
        shuffle_founders(&r, bperm[1]);
        for (int64_t j = 0; j < b->len; j++) make_site(pl, b->start + j, site_seed, w[0], bperm);
    }
    /* Planted causal variants: common biallelic sites, spread over the pool. */
    int want = n_variants >= 120 ? 12 : (int)(n_variants / 10);
    sim_rng_t r;
    sim_rng_init(&r, site_seed, SIM_TAG_CAUSAL, 0);
    for (int tries = 0; pl->n_causal < want && tries < 1000000; tries++) {
        int64_t s = (int64_t)sim_below(&r, (uint64_t)n_sites);
        sim_site_t *st = &pl->site[s];
        if (st->n_alt != 1 || st->p < 0.1 || st->p > 0.5 || st->causal >= 0) continue;
        sim_causal_def_t *cd = &pl->causal[pl->n_causal];
        cd->site = s;
        cd->trait = pl->n_causal % SIM_N_TRAITS;
        double mag = cd->trait == SIM_TRAIT_SEVERITY ? 0.6 + 0.4 * sim_u01(&r)
                     : cd->trait == SIM_TRAIT_BINARY ? 0.8 + 0.4 * sim_u01(&r)
                                                     : 0.6 + 0.4 * sim_u01(&r);
        cd->beta = (sim_u01(&r) < 0.5 ? -1 : 1) * round(mag * 1000) / 1000;
        st->causal = (int8_t)pl->n_causal++;
    }
    return 0;
nomem:
    pool_free(pl);
    return bcms_err(BCMS_ENOMEM, "site pool of %" PRId64 " sites", n_sites);
}

/* ---- one record ---- */

typedef struct {
    const simulate_opts_t *o;
    const sim_pool_t *pl;
    const bcf_hdr_t *hdr;
    const uint8_t *isolate, *unphased_sample;
    uint8_t **causal_dosage;
    int filter_pass, filter_lowqual;
    const sim_ped_t *ped; /* relatives, or NULL */
} sim_ctx_t;

static int make_record(const sim_ctx_t *cx, int64_t u, const sim_hap_t *hp, sim_work_t *w, sim_slot_t *slot)
{
    const simulate_opts_t *o = cx->o;
    const sim_site_t *s = &cx->pl->site[u];
    const sim_block_t *b = &cx->pl->block[s->block];
    const int64_t n = o->n_samples, nh = 2 * n;
    const int t = (int)(u - b->start);
    uint8_t *al = w->al;
    sim_rng_t rc, r;

    /* Cohort-level properties of the site: missingness, QUAL, FILTER, swap. */
    sim_rng_init(&rc, o->seed, SIM_TAG_SITECO, (uint64_t)u);
    double miss = 0;
    int high_miss = 0;
    if (o->missing > 0) {
        if (sim_u01(&rc) < 0.01) miss = 0.1 + 0.4 * sim_u01(&rc), high_miss = 1;
        else miss = fmin(0.45, 0.85 * o->missing * -log(sim_u01_pos(&rc)));
    }
    int lowqual = high_miss ? sim_u01(&rc) < 0.7 : sim_u01(&rc) < 0.01;
    float qual;
    if (sim_u01(&rc) < 0.05) bcf_float_set_missing(qual);
    else qual = lowqual ? (float)(round((3 + 27 * sim_u01(&rc)) * 10) / 10)
                        : (float)(round((30 + 600 * -log(sim_u01_pos(&rc))) * 10) / 10);
    int swapped = s->n_alt == 1 && s->causal < 0 && sim_u01(&rc) < SIM_SWAP_RATE;
    double ds_noise = 0.01 + 0.07 * sim_u01(&rc);

    /* Haplotypes copy founders. */
    sim_rng_init(&r, o->seed, SIM_TAG_GENO, (uint64_t)u);
    const float *q = s->q;
    for (int64_t h = 0; h < nh; h++) {
        int f = t < hp->sw[h] ? hp->f1[h] : hp->f2[h];
        float qf = q[f];
        al[h] = qf >= 1.0f ? 1 : qf <= 0.0f ? 0 : sim_u01(&r) < qf;
    }
    if (s->p >= 0.02 && s->p <= 0.98) {
        double l = log1p(-SIM_NOISE_RATE);
        for (int64_t h = sim_geom(&r, l) - 1; h < nh; h += sim_geom(&r, l)) al[h] ^= 1;
    }
    if (s->n_alt > 1)
        for (int64_t h = 0; h < nh; h++)
            if (al[h]) {
                double x = sim_u01(&r);
                if (s->n_alt == 3 && x < 0.1) al[h] = 3;
                else if (x < 0.3) al[h] = 2;
            }
    if (cx->ped) sim_ped_site(cx->ped, o->seed, u, s->contig, s->pos, s->block, b->cdf, q, al);
    if (s->causal >= 0) {
        uint8_t *d = cx->causal_dosage[s->causal];
        for (int64_t i = 0; i < n; i++) d[i] = al[2 * i] + al[2 * i + 1];
    }
    if (miss > 0) {
        double l = log1p(-miss);
        for (int64_t i = sim_geom(&r, l) - 1; i < n; i += sim_geom(&r, l)) al[2 * i] = al[2 * i + 1] = 0xFF;
    }
    /* Keep every site polymorphic in the cohort, as a called VCF would be. */
    int64_t ac = 0;
    for (int64_t h = 0; h < nh; h++) ac += al[h] != 0 && al[h] != 0xFF;
    if (!ac) {
        int64_t i = (int64_t)sim_below(&r, (uint64_t)n);
        al[2 * i] = 1;
        al[2 * i + 1] = 0;
    }
    if (swapped)
        for (int64_t h = 0; h < nh; h++)
            if (al[h] != 0xFF) al[h] ^= 1;

    /* FORMAT/GT (and DS). */
    int64_t nmiss = 0, hp_ph = 0, hp_un = 0;
    int na = s->n_alt;
    for (int64_t i = 0; i < n; i++) {
        uint8_t a0 = al[2 * i], a1 = al[2 * i + 1];
        if (a0 == 0xFF) {
            w->gt[2 * i] = w->gt[2 * i + 1] = bcf_gt_missing;
            nmiss++;
            continue;
        }
        int phased = !hp->unphased && !cx->unphased_sample[i];
        w->gt[2 * i] = bcf_gt_unphased(a0);
        w->gt[2 * i + 1] = phased ? bcf_gt_phased(a1) : bcf_gt_unphased(a1);
        if (a0 != a1) phased ? hp_ph++ : hp_un++;
    }
    if (o->write_ds) {
        float *ds = w->ds;
        for (int64_t i = 0; i < n; i++) {
            uint8_t a0 = al[2 * i], a1 = al[2 * i + 1];
            for (int k = 0; k < na; k++) {
                if (a0 == 0xFF) bcf_float_set_missing(ds[i * na + k]);
                else ds[i * na + k] = (float)((a0 == k + 1) + (a1 == k + 1));
            }
        }
        if (na == 1) {
            /* Imputation-like: a share of dosages drift off the hard call toward the other genotypes. */
            double l = log1p(-ds_noise);
            for (int64_t i = sim_geom(&r, l) - 1; i < n; i += sim_geom(&r, l)) {
                if (al[2 * i] == 0xFF) continue;
                double g = ds[i], d = fmin(0.9, fabs(0.2 * sim_normal(&r)));
                g = g == 0 ? d : g == 2 ? 2 - d : (sim_u01(&r) < 0.5 ? 1 - d : 1 + d);
                ds[i] = (float)(round(g * 1000) / 1000);
            }
        }
    }

    /* Record. */
    bcf1_t *rec = w->rec;
    char id[96], als[8];
    bcf_clear(rec);
    rec->rid = s->contig;
    rec->pos = s->pos - 1;
    rec->qual = qual;
    char ref = swapped ? s->alt[0] : s->ref, alt0 = swapped ? s->ref : s->alt[0];
    als[0] = ref;
    for (int k = 0; k < na; k++) {
        als[1 + 2 * k] = ',';
        als[2 + 2 * k] = k ? s->alt[k] : alt0;
    }
    als[1 + 2 * na] = 0;
    if (s->chrpos_id) snprintf(id, sizeof id, "%s:%" PRId64 ":%c:%c", chrom_names[s->contig], s->pos, ref, alt0);
    else snprintf(id, sizeof id, "rs%" PRIu32, s->rs);
    int flt = lowqual ? cx->filter_lowqual : cx->filter_pass;
    if (bcf_update_id(cx->hdr, rec, id) < 0 || bcf_update_alleles_str(cx->hdr, rec, als) < 0 ||
        bcf_update_filter(cx->hdr, rec, &flt, 1) < 0 ||
        bcf_update_genotypes(cx->hdr, rec, w->gt, (int)nh) < 0 ||
        (o->write_ds && bcf_update_format_float(cx->hdr, rec, "DS", w->ds, (int)(n * na)) < 0))
        return BCMS_ENOMEM;
    slot->text.l = 0;
    if (vcf_format(cx->hdr, rec, &slot->text) < 0) return BCMS_ENOMEM;
    slot->n_missing = nmiss;
    slot->n_het_phased = hp_ph;
    slot->n_het_unphased = hp_un;
    slot->written = 1;
    slot->multi = na > 1;
    slot->swapped = (uint8_t)swapped;
    slot->lowqual = (uint8_t)lowqual;
    return 0;
}

/* Founders copied by every haplotype in block bi (cohort seed). */
static void make_haps(const simulate_opts_t *o, const sim_pool_t *pl, int64_t bi, const uint8_t *isolate,
                      sim_hap_t *hp)
{
    const sim_block_t *b = &pl->block[bi];
    const int64_t nh = 2 * o->n_samples;
    sim_rng_t r;
    sim_rng_init(&r, o->seed, SIM_TAG_HAP, (uint64_t)bi);
    hp->unphased = sim_u01(&r) < SIM_UNPHASED_BLOCKS;
    for (int64_t h = 0; h < nh; h++) {
        const double *cdf = b->cdf[isolate[h >> 1]];
        double x = sim_u01(&r);
        int f = 0;
        while (x >= cdf[f]) f++;
        hp->f1[h] = hp->f2[h] = (uint8_t)f;
        hp->sw[h] = 255;
        if (b->len > 1 && sim_u01(&r) < SIM_RECOMB_RATE) {
            hp->sw[h] = (uint8_t)(1 + sim_below(&r, (uint64_t)b->len - 1));
            x = sim_u01(&r);
            f = 0;
            while (x >= cdf[f]) f++;
            hp->f2[h] = (uint8_t)f;
        }
    }
}

static bcf_hdr_t *make_header(const simulate_opts_t *o, char *const *iids)
{
    bcf_hdr_t *h = bcf_hdr_init("w");
    char line[512];
    if (!h) return NULL;
    snprintf(line, sizeof line,
             "##bcms_simulate=<samples=%" PRId64 ",variants=%" PRId64 ",seed=%" PRIu64 ",site_seed=%" PRIu64
             ",contigs=%d,missing=%g,isolate_frac=%g,ds=%d,null=%d>",
             o->n_samples, o->n_variants, o->seed, o->site_seed_set ? o->site_seed : o->seed, o->n_contigs,
             o->missing, o->isolate_frac, o->write_ds, o->null_model);
    if (o->fst > 0 || o->n_families || o->n_relatives) /* only then: the default header is unchanged */
        snprintf(line + strlen(line) - 1, sizeof line - strlen(line) + 1,
                 ",fst=%g,families=%" PRId64 ",relatives=%" PRId64 ">", o->fst, o->n_families, o->n_relatives);
    if (bcf_hdr_append(h, "##source=bcms simulate (synthetic data)") < 0 || bcf_hdr_append(h, line) < 0 ||
        bcf_hdr_append(h, "##FILTER=<ID=LowQual,Description=\"Low quality call set (synthetic)\">") < 0)
        goto fail;
    for (int c = 0; c < o->n_contigs; c++) {
        snprintf(line, sizeof line, "##contig=<ID=%s,length=%" PRId64 ",assembly=GRCh38>", chrom_names[c],
                 grch38_len[c]);
        if (bcf_hdr_append(h, line) < 0) goto fail;
    }
    if (sim_sexchr_header(o, h) < 0) goto fail;
    if (bcf_hdr_append(h, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">") < 0) goto fail;
    if (o->write_ds &&
        bcf_hdr_append(h, "##FORMAT=<ID=DS,Number=A,Type=Float,Description=\"Genotype dosage of each ALT "
                          "allele (imputation-like)\">") < 0)
        goto fail;
    for (int64_t i = 0; i < o->n_samples; i++)
        if (bcf_hdr_add_sample(h, iids[i]) < 0) goto fail;
    if (bcf_hdr_sync(h) < 0) goto fail;
    return h;
fail:
    bcf_hdr_destroy(h);
    return NULL;
}

int simulate_run(const simulate_opts_t *o, simulate_stats_t *stats)
{
    int ret = simulate_opts_check(o);
    if (ret) return ret;
    const int64_t n = o->n_samples, m = o->n_variants, nh = 2 * n;
    const uint64_t site_seed = o->site_seed_set ? o->site_seed : o->seed;
    const int nt = o->threads;
    sim_pool_t pl = {0};
    sim_ped_t *ped = NULL;
    char **iids = NULL;
    uint8_t *isolate = NULL, *unph = NULL, *selected = NULL, **cdos = NULL;
    int64_t *order = NULL;
    bcf_hdr_t *hdr = NULL;
    htsFile *fp = NULL;
    sim_work_t *work = NULL;
    sim_slot_t *slot = NULL;
    sim_hap_t *haps = NULL;
    uint8_t *hap_mem = NULL;
    sim_causal_t causal[16];
    simulate_stats_t st = {0};
    int64_t batch_cap = 0, max_blocks_batch = 0;

    /* The pool has ~10% more sites than a cohort keeps, so two cohorts share most but not all. */
    const int64_t n_pool = m + (m + 9) / 10;
    if ((ret = pool_build(&pl, n_pool, o->n_contigs, site_seed, m, o->fst > 0 ? (1 - o->fst) / o->fst : SIM_ISO_CONC)))
        goto out;

    /* Samples. */
    ret = BCMS_ENOMEM;
    if (!(iids = calloc((size_t)n, sizeof *iids)) || !(isolate = calloc((size_t)n, 1)) ||
        !(unph = calloc((size_t)n, 1)) || !(order = malloc((size_t)(n > n_pool ? n : n_pool) * sizeof *order)))
        goto nomem;
    {
        int width = 1;
        for (int64_t x = n; x >= 10; x /= 10) width++;
        if (width < 4) width = 4;
        for (int64_t i = 0; i < n; i++) {
            size_t len = strlen(o->prefix) + 24;
            if (!(iids[i] = malloc(len))) goto nomem;
            snprintf(iids[i], len, "%s%0*" PRId64, o->prefix, width, i + 1);
        }
        sim_rng_t r;
        sim_rng_init(&r, o->seed, SIM_TAG_SAMPLE, 0);
        for (int64_t i = 0; i < n; i++) order[i] = i;
        for (int64_t i = n - 1; i > 0; i--) {
            int64_t j = (int64_t)sim_below(&r, (uint64_t)i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int64_t n_iso = llround(o->isolate_frac * (double)n);
        for (int64_t i = 0; i < n_iso; i++) isolate[order[i]] = 1;
        for (int64_t i = 0; i < n; i++) unph[i] = sim_u01(&r) < SIM_UNPHASED_SAMPLES;
    }
    /* Which pooled sites this cohort keeps: the causal ones and a random subset of the rest. */
    if (!(selected = calloc((size_t)n_pool, 1))) goto nomem;
    {
        int64_t k = 0;
        for (int64_t u = 0; u < n_pool; u++)
            if (pl.site[u].causal >= 0) selected[u] = 1;
            else order[k++] = u;
        sim_rng_t r;
        sim_rng_init(&r, o->seed, SIM_TAG_SELECT, 0);
        int64_t want = m - pl.n_causal;
        for (int64_t i = 0; i < want; i++) {
            int64_t j = i + (int64_t)sim_below(&r, (uint64_t)(k - i)), t = order[i];
            order[i] = order[j];
            order[j] = t;
            selected[order[i]] = 1;
        }
    }
    if ((ret = sim_ped_build(o, isolate, grch38_len, &ped))) goto out;
    ret = BCMS_ENOMEM;
    if (pl.n_causal && !(cdos = calloc((size_t)pl.n_causal, sizeof *cdos))) goto nomem;
    for (int c = 0; c < pl.n_causal; c++)
        if (!(cdos[c] = calloc((size_t)n, 1))) goto nomem;

    /* Output. */
    if (!(hdr = make_header(o, iids))) goto nomem;
    if (!(fp = hts_open(o->out_vcf, "wz"))) {
        ret = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", o->out_vcf, strerror(errno));
        goto out;
    }
    if (nt > 1 && hts_set_threads(fp, nt) < 0) {
        ret = bcms_err(BCMS_ENOMEM, "cannot start %d compression threads", nt);
        goto out;
    }
    if (bcf_hdr_write(fp, hdr) < 0) goto eio;

    /* Batches of whole blocks. */
    for (int64_t bi = 0, cur = 0, nb = 0; bi < pl.n_blocks; bi++) {
        cur += pl.block[bi].len, nb++;
        if (cur >= SIM_BATCH_SITES || bi + 1 == pl.n_blocks) {
            if (cur > batch_cap) batch_cap = cur;
            if (nb > max_blocks_batch) max_blocks_batch = nb;
            cur = nb = 0;
        }
    }
    if (!(slot = calloc((size_t)batch_cap, sizeof *slot)) || !(work = calloc((size_t)nt, sizeof *work)) ||
        !(haps = calloc((size_t)max_blocks_batch, sizeof *haps)) ||
        !(hap_mem = malloc((size_t)max_blocks_batch * (size_t)nh * 3)))
        goto nomem;
    for (int64_t i = 0; i < max_blocks_batch; i++) {
        haps[i].f1 = hap_mem + (size_t)i * nh * 3;
        haps[i].f2 = haps[i].f1 + nh;
        haps[i].sw = haps[i].f2 + nh;
    }
    for (int i = 0; i < nt; i++) {
        if (!(work[i].rec = bcf_init()) || !(work[i].al = malloc((size_t)(nh + sim_ped_ghost_haps(ped)))) ||
            !(work[i].gt = malloc((size_t)nh * sizeof(int32_t))) ||
            !(work[i].ds = malloc((size_t)n * 3 * sizeof(float))))
            goto nomem;
    }
    sim_ctx_t cx = {o, &pl, hdr, isolate, unph, cdos, bcf_hdr_id2int(hdr, BCF_DT_ID, "PASS"),
                    bcf_hdr_id2int(hdr, BCF_DT_ID, "LowQual"), ped};
    BGZF *bg = hts_get_bgzfp(fp);
    int64_t next_log = 0;
    for (int64_t b0 = 0; b0 < pl.n_blocks;) {
        int64_t b1 = b0, cur = 0;
        while (b1 < pl.n_blocks && cur < SIM_BATCH_SITES) cur += pl.block[b1++].len;
        const int64_t u0 = pl.block[b0].start, nu = cur;
        int err = 0;
#pragma omp parallel num_threads(nt)
        {
#pragma omp for schedule(static)
            for (int64_t bi = b0; bi < b1; bi++) make_haps(o, &pl, bi, isolate, &haps[bi - b0]);
            sim_work_t *w = &work[omp_get_thread_num()];
#pragma omp for schedule(dynamic, 4)
            for (int64_t k = 0; k < nu; k++) {
                int64_t u = u0 + k;
                slot[k].written = 0;
                if (!selected[u]) continue;
                if (make_record(&cx, u, &haps[pl.site[u].block - b0], w, &slot[k]) < 0) {
#pragma omp atomic write
                    err = 1;
                }
            }
        }
        if (err) goto nomem;
        for (int64_t k = 0; k < nu; k++) {
            sim_slot_t *sl = &slot[k];
            if (!sl->written) continue;
            if (bgzf_flush_try(bg, (ssize_t)sl->text.l) < 0 || bgzf_write(bg, sl->text.s, sl->text.l) < 0)
                goto eio;
            st.n_records++;
            st.n_multiallelic += sl->multi;
            st.n_swapped += sl->swapped;
            st.n_lowqual += sl->lowqual;
            st.n_missing += sl->n_missing;
            st.n_het_phased += sl->n_het_phased;
            st.n_het_unphased += sl->n_het_unphased;
        }
        if (st.n_records >= next_log) {
            bcms_log(BCMS_LOG_DEBUG, "simulate: %" PRId64 "/%" PRId64 " variants", st.n_records, m);
            next_log += 100000;
        }
        b0 = b1;
    }
    if ((ret = sim_sexchr_write(o, hdr, bg, isolate, &st.n_records, &st.n_missing))) goto out;
    st.n_calls = st.n_records * n;
    if (hts_close(fp) < 0) {
        fp = NULL;
        goto eio;
    }
    fp = NULL;

    /* Tables. */
    st.n_causal = o->null_model ? 0 : pl.n_causal;
    for (int c = 0; c < pl.n_causal; c++) {
        const sim_causal_def_t *cd = &pl.causal[c];
        const sim_site_t *s = &pl.site[cd->site];
        sim_causal_t *cs = &causal[c];
        cs->trait = cd->trait;
        cs->beta = cd->beta;
        if (s->chrpos_id) snprintf(cs->id, sizeof cs->id, "%s:%" PRId64 ":%c:%c", chrom_names[s->contig], s->pos,
                                   s->ref, s->alt[0]);
        else snprintf(cs->id, sizeof cs->id, "rs%" PRIu32, s->rs);
        cs->chrom = chrom_names[s->contig];
        cs->pos = s->pos;
        cs->ref = s->ref;
        cs->alt = s->alt[0];
        cs->dosage = cdos[c];
        int64_t sum = 0;
        for (int64_t i = 0; i < n; i++) sum += cdos[c][i];
        cs->alt_freq = (double)sum / (double)nh;
    }
    if ((o->out_pheno || o->out_covar || o->out_visits) &&
        (ret = sim_write_tables(o, n, iids, isolate, causal, o->null_model ? 0 : pl.n_causal, &st.n_visit_records)))
        goto out;
    if (stats) *stats = st;
    ret = 0;
    goto out;
eio:
    ret = bcms_err(BCMS_EIO, "%s: write failed (disk full?)", o->out_vcf);
    goto out;
nomem:
    ret = bcms_err(BCMS_ENOMEM, "simulating %" PRId64 " samples x %" PRId64 " variants", n, m);
out:
    if (fp) hts_close(fp);
    if (hdr) bcf_hdr_destroy(hdr);
    if (work)
        for (int i = 0; i < nt; i++) {
            if (work[i].rec) bcf_destroy(work[i].rec);
            free(work[i].al);
            free(work[i].gt);
            free(work[i].ds);
        }
    free(work);
    if (slot)
        for (int64_t k = 0; k < batch_cap; k++) free(slot[k].text.s);
    free(slot);
    free(haps);
    free(hap_mem);
    if (cdos)
        for (int c = 0; c < pl.n_causal; c++) free(cdos[c]);
    free(cdos);
    if (iids)
        for (int64_t i = 0; i < n; i++) free(iids[i]);
    free(iids);
    free(isolate);
    free(unph);
    free(selected);
    free(order);
    pool_free(&pl);
    sim_ped_free(ped);
    return ret;
}

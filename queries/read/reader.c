/* reader.c: selection, cross-dataset merge and batch decoding for scans. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash.h>
#include <htslib/kstring.h>

#include "dataset.h"
#include "err.h"
#include "hwe.h"
#include "reader.h"
#include "region.h"

KHASH_MAP_INIT_STR(rctg, int)
KHASH_MAP_INIT_INT(rsmp, uint32_t)

#define BATCH_MAX 4096

typedef struct { /* one row of one dataset, before merging */
    uint32_t rank;  /* global contig rank */
    int64_t pos;
    uint32_t d, block, row;
    uint32_t id, ref, alt; /* offsets in the string pool */
    uint32_t ac, an, nhet, nhom, nmiss;
} entry_t;

struct bcms_reader_t {
    bcms_store_t *st;
    MDB_txn *txn;
    bcms_dataset_t *all;
    int nall, nds;
    bcms_dataset_t **ds;          /* selected datasets */
    char **contig_names;          /* by global rank */
    int ncontig;
    uint32_t nsamp, *sample_ids, *sample_ds, *sample_col;
    /* chosen samples for batches, per dataset: dataset column and output index */
    uint32_t nsel, *nsel_d, **sel_col, **sel_out;
    uint8_t *sel_run; /* per dataset: 1 when its selected columns and outputs are both consecutive */
    /* variants */
    uint64_t nvar, nfiltered;
    bcms_variant_t *v;
    int32_t *loc_block;           /* nvar * nds, -1 when absent */
    uint32_t *loc_row;
    uint8_t *flip;
    kstring_t pool;
    uint32_t nbatch;
    uint64_t *batch_first;        /* nbatch + 1 */
    /* frames of every block, per dataset */
    const void ***frame_p;
    size_t **frame_n;
    int has_ds;
};

struct bcms_reader_ws_t {
    bcms_codec_t *codec;
    kstring_t raw;
    bcms_gtblock_t *g;            /* per dataset */
    int64_t *cached;              /* per dataset: block decoded in g, -1 none */
    int *cached_ds;               /* whether g holds dosages */
    int nds;
    uint8_t *codes;               /* cap cells */
    float *dsv;                   /* cap cells when allocated */
    size_t cap, cap_ds;
};

void bcms_reader_opts_init(bcms_reader_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->geno_max = 1.0;
}

int bcms_reader_opts_check(const bcms_reader_opts_t *o)
{
    if (o->maf_min < 0 || o->maf_min > 0.5) return bcms_err(BCMS_EINVAL, "--maf must be in [0, 0.5]");
    if (o->geno_max < 0 || o->geno_max > 1) return bcms_err(BCMS_EINVAL, "--geno must be in [0, 1]");
    if (o->hwe_min < 0 || o->hwe_min > 1) return bcms_err(BCMS_EINVAL, "--hwe must be in [0, 1]");
    if (o->chunk_n < 0 || (o->chunk_n && (o->chunk_k < 1 || o->chunk_k > o->chunk_n)))
        return bcms_err(BCMS_EINVAL, "--chunk k/n needs 1 <= k <= n");
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const entry_t *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    if (x->d != y->d) return x->d < y->d ? -1 : 1;
    if (x->block != y->block) return x->block < y->block ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int pool_add(kstring_t *pool, const char *s, uint32_t *off)
{
    *off = (uint32_t)pool->l;
    return kputsn(s, strlen(s), pool) < 0 || kputc_(0, pool) < 0 ? BCMS_ENOMEM : 0;
}

/* Pick datasets from a comma-separated list of ids or cohort names. */
static int select_datasets(bcms_reader_t *rd, const char *list)
{
    if (!(rd->ds = calloc(rd->nall + 1, sizeof *rd->ds))) return BCMS_ENOMEM;
    if (!list || !*list) {
        for (int i = 0; i < rd->nall; i++) rd->ds[rd->nds++] = &rd->all[i];
    } else {
        char *copy = strdup(list), *save = NULL, *tok;
        if (!copy) return BCMS_ENOMEM;
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int i = bcms_dataset_pick(rd->all, rd->nall, tok);
            if (i < 0) {
                free(copy);
                return i;
            }
            int dup = 0;
            for (int k = 0; k < rd->nds; k++) dup |= rd->ds[k] == &rd->all[i];
            if (!dup) rd->ds[rd->nds++] = &rd->all[i];
        }
        free(copy);
    }
    if (!rd->nds) return bcms_err(BCMS_ENOTFOUND, "the store has no datasets yet; import a VCF first");
    return 0;
}

int bcms_reader_open(bcms_store_t *st, const bcms_reader_opts_t *o, bcms_reader_t **out)
{
    bcms_reader_t *rd = calloc(1, sizeof *rd);
    bcms_regions_t rg = {0, NULL};
    khash_t(rctg) *ctg = kh_init(rctg);
    khash_t(rsmp) *smp = kh_init(rsmp);
    entry_t *e = NULL;
    size_t ne = 0, me = 0;
    bcms_sites_t sites = {0};
    bcms_codec_t *codec = bcms_codec_new(1);
    kstring_t raw = {0, 0, NULL};
    int rc;

    *out = NULL;
    if (!rd || !ctg || !smp || !codec) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    rd->st = st;
    if ((rc = bcms_reader_opts_check(o))) goto fail;
    if ((rc = bcms_regions_parse(o->regions, &rg))) goto fail;
    if ((rc = bcms_txn_begin(st, 1, &rd->txn))) goto fail;
    if ((rc = bcms_dataset_list(st, rd->txn, &rd->all, &rd->nall))) goto fail;
    if ((rc = select_datasets(rd, o->cohorts))) goto fail;

    /* samples: union over datasets, first occurrence wins */
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        uint32_t *a = realloc(rd->sample_ids, sizeof *a * (rd->nsamp + ds->nsamples + 1));
        uint32_t *b = a ? realloc(rd->sample_ds, sizeof *b * (rd->nsamp + ds->nsamples + 1)) : NULL;
        uint32_t *c = b ? realloc(rd->sample_col, sizeof *c * (rd->nsamp + ds->nsamples + 1)) : NULL;
        if (a) rd->sample_ids = a;
        if (b) rd->sample_ds = b;
        if (c) rd->sample_col = c;
        if (!c) {
            rc = BCMS_ENOMEM;
            goto fail;
        }
        for (uint32_t i = 0; i < ds->nsamples; i++) {
            int absent;
            khint_t k = kh_put(rsmp, smp, ds->samples[i], &absent);
            if (!absent) continue;
            kh_val(smp, k) = rd->nsamp;
            rd->sample_ids[rd->nsamp] = ds->samples[i];
            rd->sample_ds[rd->nsamp] = (uint32_t)d;
            rd->sample_col[rd->nsamp] = i;
            rd->nsamp++;
        }
        if (ds->flags & BCMS_DS_HAS_DS) rd->has_ds = 1;
    }

    /* contig ranks: in the order the datasets list them */
    for (int d = 0; d < rd->nds; d++)
        for (uint32_t c = 0; c < rd->ds[d]->ncontigs; c++) {
            int absent;
            khint_t k = kh_put(rctg, ctg, rd->ds[d]->contigs[c].name, &absent);
            if (!absent) continue;
            char **nn = realloc(rd->contig_names, sizeof *nn * (rd->ncontig + 1));
            if (!nn) {
                rc = BCMS_ENOMEM;
                goto fail;
            }
            rd->contig_names = nn;
            nn[rd->ncontig] = rd->ds[d]->contigs[c].name;
            kh_val(ctg, k) = rd->ncontig++;
        }

    /* every row of every selected dataset in the regions; fetch block frames on the way */
    if (!(rd->frame_p = calloc(rd->nds, sizeof *rd->frame_p)) || !(rd->frame_n = calloc(rd->nds, sizeof *rd->frame_n))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        bcms_regions_resolve(&rg, ds);
        if (!(rd->frame_p[d] = calloc(ds->nblocks + 1, sizeof **rd->frame_p)) ||
            !(rd->frame_n[d] = calloc(ds->nblocks + 1, sizeof **rd->frame_n))) {
            rc = BCMS_ENOMEM;
            goto fail;
        }
        for (uint32_t b = 0; b < ds->nblocks; b++) {
            const bcms_block_info_t *bi = &ds->blocks[b];
            uint8_t key[8];
            MDB_val k = {8, key}, val;
            if (!bcms_regions_block(&rg, bi)) continue;
            if ((rc = bcms_block_read_sites(st, rd->txn, ds, b, codec, &raw, &sites))) goto fail;
            bcms_block_key(key, ds->id, b);
            if ((rc = bcms_mdb_get(st, rd->txn, DBI_GT, &k, &val))) {
                rc = rc == MDB_NOTFOUND ? bcms_err(BCMS_ECORRUPT, "%s: dataset %u block %u has no genotype frame; "
                                                   "the store is damaged", bcms_store_path(st), ds->id, b)
                                        : bcms_lmdb_err(rc, "reading a genotype block");
                goto fail;
            }
            rd->frame_p[d][b] = val.mv_data;
            rd->frame_n[d][b] = val.mv_size;
            khint_t kc = kh_get(rctg, ctg, ds->contigs[bi->contig].name);
            uint32_t rank = kh_val(ctg, kc);
            for (uint32_t r = 0; r < sites.nvar; r++) {
                const bcms_site_t *s = &sites.v[r];
                if (!bcms_regions_pos(&rg, bi->contig, s->pos)) continue;
                if (ne == me) {
                    me = me ? me * 2 : 4096;
                    entry_t *ne2 = realloc(e, sizeof *e * me);
                    if (!ne2) {
                        rc = BCMS_ENOMEM;
                        goto fail;
                    }
                    e = ne2;
                }
                entry_t *x = &e[ne++];
                x->rank = rank;
                x->pos = s->pos;
                x->d = (uint32_t)d;
                x->block = b;
                x->row = r;
                x->ac = s->ac, x->an = s->an, x->nhet = s->nhet, x->nhom = s->nhom, x->nmiss = s->nmiss;
                if (pool_add(&rd->pool, BCMS_SITE_STR(&sites, s->id), &x->id) ||
                    pool_add(&rd->pool, BCMS_SITE_STR(&sites, s->ref), &x->ref) ||
                    pool_add(&rd->pool, BCMS_SITE_STR(&sites, s->alt), &x->alt)) {
                    rc = BCMS_ENOMEM;
                    goto fail;
                }
            }
        }
    }
    if (ne) qsort(e, ne, sizeof *e, cmp_entry);

    /* merge: group by (contig, pos), match alleles across datasets, flip swapped ones */
    {
        uint8_t *used = calloc(ne + 1, 1);
        uint64_t mv = ne + 1, nv = 0;
        rd->v = calloc(mv, sizeof *rd->v);
        rd->loc_block = malloc(sizeof *rd->loc_block * mv * rd->nds);
        rd->loc_row = malloc(sizeof *rd->loc_row * mv * rd->nds);
        rd->flip = calloc(mv * rd->nds, 1);
        if (!used || !rd->v || !rd->loc_block || !rd->loc_row || !rd->flip) {
            free(used);
            rc = BCMS_ENOMEM;
            goto fail;
        }
        uint32_t *v_ref = malloc(sizeof *v_ref * mv * 3);
        if (!v_ref) {
            free(used);
            rc = BCMS_ENOMEM;
            goto fail;
        }
        for (size_t g0 = 0, g1; g0 < ne; g0 = g1) {
            for (g1 = g0 + 1; g1 < ne && e[g1].rank == e[g0].rank && e[g1].pos == e[g0].pos; g1++)
                ;
            for (size_t i = g0; i < g1; i++) {
                if (used[i]) continue;
                const entry_t *x = &e[i];
                const char *ref = rd->pool.s + x->ref, *alt = rd->pool.s + x->alt;
                bcms_variant_t *v = &rd->v[nv];
                int32_t *lb = rd->loc_block + nv * rd->nds;
                uint32_t *lr = rd->loc_row + nv * rd->nds;
                uint8_t *fl = rd->flip + nv * rd->nds;
                for (int d = 0; d < rd->nds; d++) lb[d] = -1;
                memset(v, 0, sizeof *v);
                v->pos = x->pos;
                v_ref[nv * 3] = x->id, v_ref[nv * 3 + 1] = x->ref, v_ref[nv * 3 + 2] = x->alt;
                v->chrom = rd->contig_names[x->rank];
                for (size_t j = i; j < g1; j++) {
                    const entry_t *y = &e[j];
                    int swapped;
                    if (used[j] || lb[y->d] >= 0) continue;
                    const char *r2 = rd->pool.s + y->ref, *a2 = rd->pool.s + y->alt;
                    if (!strcmp(r2, ref) && !strcmp(a2, alt)) swapped = 0;
                    else if (!strcmp(r2, alt) && !strcmp(a2, ref)) swapped = 1;
                    else continue;
                    used[j] = 1;
                    lb[y->d] = (int32_t)y->block;
                    lr[y->d] = y->row;
                    fl[y->d] = (uint8_t)swapped;
                    uint32_t ns = rd->ds[y->d]->nsamples;
                    uint32_t homref = ns - y->nmiss - y->nhet - y->nhom;
                    v->ac += swapped ? y->an - y->ac : y->ac;
                    v->an += y->an;
                    v->nhet += y->nhet;
                    v->nhom += swapped ? homref : y->nhom;
                    v->nmiss += y->nmiss;
                    v->nsamp += ns;
                    v->ndatasets++;
                }
                /* samples of datasets without the variant count as missing */
                for (int d = 0; d < rd->nds; d++)
                    if (lb[d] < 0) v->nmiss += rd->ds[d]->nsamples, v->nsamp += rd->ds[d]->nsamples;
                nv++;
            }
        }
        free(used);
        /* site filters from the pooled counts, then the chunk */
        uint64_t kept = 0;
        for (uint64_t i = 0; i < nv; i++) {
            bcms_variant_t *v = &rd->v[i];
            double af = v->an ? (double)v->ac / v->an : 0, maf = af < 0.5 ? af : 1 - af;
            uint32_t mac = v->ac < v->an - v->ac ? v->ac : v->an - v->ac;
            int pass = maf >= o->maf_min && mac >= o->mac_min &&
                       (v->nsamp ? (double)v->nmiss / v->nsamp : 1) <= o->geno_max;
            if (pass && o->hwe_min > 0) {
                uint32_t called = v->nsamp - v->nmiss, homref = called - v->nhet - v->nhom;
                pass = bcms_hwe_exact(v->nhet, homref, v->nhom, 0) >= o->hwe_min;
            }
            if (!pass) continue;
            if (kept != i) {
                rd->v[kept] = *v;
                memcpy(rd->loc_block + kept * rd->nds, rd->loc_block + i * rd->nds, sizeof *rd->loc_block * rd->nds);
                memcpy(rd->loc_row + kept * rd->nds, rd->loc_row + i * rd->nds, sizeof *rd->loc_row * rd->nds);
                memcpy(rd->flip + kept * rd->nds, rd->flip + i * rd->nds, rd->nds);
                memcpy(v_ref + kept * 3, v_ref + i * 3, sizeof *v_ref * 3);
            }
            kept++;
        }
        rd->nfiltered = nv - kept;
        uint64_t lo = 0, hi = kept;
        if (o->chunk_n) {
            lo = kept * (uint64_t)(o->chunk_k - 1) / o->chunk_n;
            hi = kept * (uint64_t)o->chunk_k / o->chunk_n;
        }
        if (lo) {
            memmove(rd->v, rd->v + lo, sizeof *rd->v * (hi - lo));
            memmove(rd->loc_block, rd->loc_block + lo * rd->nds, sizeof *rd->loc_block * (hi - lo) * rd->nds);
            memmove(rd->loc_row, rd->loc_row + lo * rd->nds, sizeof *rd->loc_row * (hi - lo) * rd->nds);
            memmove(rd->flip, rd->flip + lo * rd->nds, (hi - lo) * rd->nds);
            memmove(v_ref, v_ref + lo * 3, sizeof *v_ref * (hi - lo) * 3);
        }
        rd->nvar = hi - lo;
        for (uint64_t i = 0; i < rd->nvar; i++) {
            rd->v[i].id = rd->pool.s + v_ref[i * 3];
            rd->v[i].ref = rd->pool.s + v_ref[i * 3 + 1];
            rd->v[i].alt = rd->pool.s + v_ref[i * 3 + 2];
        }
        free(v_ref);
    }

    /* batches: a new one where the first dataset having the variant moves to another block (so a
     * block is decoded once), or at BATCH_MAX variants */
    if (!(rd->batch_first = malloc(sizeof *rd->batch_first * (rd->nvar + 2)))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    {
        int64_t cur_d = -1, cur_b = -1;
        uint64_t start = 0;
        for (uint64_t i = 0; i < rd->nvar; i++) {
            int d = 0;
            while (d < rd->nds && rd->loc_block[i * rd->nds + d] < 0) d++;
            int64_t b = d < rd->nds ? rd->loc_block[i * rd->nds + d] : -1;
            if (i == start) {
                rd->batch_first[rd->nbatch++] = i;
                cur_d = d, cur_b = b;
            } else if ((d == cur_d && b != cur_b) || i - start >= BATCH_MAX) {
                rd->batch_first[rd->nbatch++] = i;
                start = i;
                cur_d = d, cur_b = b;
            }
        }
        rd->batch_first[rd->nbatch] = rd->nvar;
    }
    /* default sample choice: everyone */
    {
        uint32_t *all = malloc(sizeof *all * (rd->nsamp + 1));
        if (!all) {
            rc = BCMS_ENOMEM;
            goto fail;
        }
        for (uint32_t i = 0; i < rd->nsamp; i++) all[i] = i;
        rc = bcms_reader_set_samples(rd, all, rd->nsamp);
        free(all);
        if (rc) goto fail;
    }
    *out = rd;
    rc = 0;
    goto done;
fail:
    bcms_reader_close(rd);
done:
    free(e);
    bcms_sites_free(&sites);
    bcms_codec_free(codec);
    free(raw.s);
    bcms_regions_free(&rg);
    if (ctg) kh_destroy(rctg, ctg);
    if (smp) kh_destroy(rsmp, smp);
    return rc;
}

void bcms_reader_close(bcms_reader_t *rd)
{
    if (!rd) return;
    if (rd->txn) mdb_txn_abort(rd->txn);
    for (int d = 0; d < rd->nds; d++) {
        if (rd->frame_p) free(rd->frame_p[d]);
        if (rd->frame_n) free(rd->frame_n[d]);
        if (rd->sel_col) free(rd->sel_col[d]);
        if (rd->sel_out) free(rd->sel_out[d]);
    }
    free(rd->frame_p);
    free(rd->frame_n);
    free(rd->sel_col);
    free(rd->sel_out);
    free(rd->nsel_d);
    free(rd->sel_run);
    bcms_dataset_list_free(rd->all, rd->nall);
    free(rd->ds);
    free(rd->contig_names);
    free(rd->sample_ids);
    free(rd->sample_ds);
    free(rd->sample_col);
    free(rd->v);
    free(rd->loc_block);
    free(rd->loc_row);
    free(rd->flip);
    free(rd->pool.s);
    free(rd->batch_first);
    free(rd);
}

uint32_t bcms_reader_nsamples(const bcms_reader_t *rd) { return rd->nsamp; }
const uint32_t *bcms_reader_sample_ids(const bcms_reader_t *rd) { return rd->sample_ids; }
const uint32_t *bcms_reader_sample_dataset(const bcms_reader_t *rd) { return rd->sample_ds; }
int bcms_reader_ndatasets(const bcms_reader_t *rd) { return rd->nds; }
const char *bcms_reader_dataset_name(const bcms_reader_t *rd, int d) { return rd->ds[d]->cohort; }
int bcms_reader_has_ds(const bcms_reader_t *rd) { return rd->has_ds; }
uint64_t bcms_reader_nvariants(const bcms_reader_t *rd) { return rd->nvar; }
const bcms_variant_t *bcms_reader_variant(const bcms_reader_t *rd, uint64_t i) { return &rd->v[i]; }
uint64_t bcms_reader_nfiltered(const bcms_reader_t *rd) { return rd->nfiltered; }
uint32_t bcms_reader_nbatches(const bcms_reader_t *rd) { return rd->nbatch; }

void bcms_reader_batch_range(const bcms_reader_t *rd, uint32_t b, uint64_t *first, uint32_t *nvar)
{
    *first = rd->batch_first[b];
    *nvar = (uint32_t)(rd->batch_first[b + 1] - rd->batch_first[b]);
}

int bcms_reader_set_samples(bcms_reader_t *rd, const uint32_t *idx, uint32_t n)
{
    if (!rd->nsel_d) {
        if (!(rd->nsel_d = calloc(rd->nds, sizeof *rd->nsel_d)) || !(rd->sel_col = calloc(rd->nds, sizeof *rd->sel_col)) ||
            !(rd->sel_out = calloc(rd->nds, sizeof *rd->sel_out)) || !(rd->sel_run = calloc(rd->nds, 1)))
            return BCMS_ENOMEM;
    }
    for (int d = 0; d < rd->nds; d++) {
        free(rd->sel_col[d]);
        free(rd->sel_out[d]);
        rd->nsel_d[d] = 0;
        if (!(rd->sel_col[d] = malloc(sizeof(uint32_t) * (n + 1))) || !(rd->sel_out[d] = malloc(sizeof(uint32_t) * (n + 1))))
            return BCMS_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        if (idx[i] >= rd->nsamp) return bcms_err(BCMS_EINVAL, "sample index %u out of range", idx[i]);
        uint32_t d = rd->sample_ds[idx[i]];
        rd->sel_col[d][rd->nsel_d[d]] = rd->sample_col[idx[i]];
        rd->sel_out[d][rd->nsel_d[d]] = i;
        rd->nsel_d[d]++;
    }
    for (int d = 0; d < rd->nds; d++) {
        const uint32_t *col = rd->sel_col[d], *oi = rd->sel_out[d], m = rd->nsel_d[d];
        uint32_t k = 0;
        while (k < m && col[k] == col[0] + k && oi[k] == oi[0] + k) k++;
        rd->sel_run[d] = m > 0 && k == m;
    }
    rd->nsel = n;
    return 0;
}

bcms_reader_ws_t *bcms_reader_ws_new(const bcms_reader_t *rd)
{
    bcms_reader_ws_t *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->codec = bcms_codec_new(1);
    ws->g = calloc(rd->nds, sizeof *ws->g);
    ws->cached = malloc(sizeof *ws->cached * rd->nds);
    ws->cached_ds = calloc(rd->nds, sizeof *ws->cached_ds);
    if (!ws->codec || !ws->g || !ws->cached || !ws->cached_ds) {
        bcms_reader_ws_free(ws);
        return NULL;
    }
    for (int d = 0; d < rd->nds; d++) ws->cached[d] = -1;
    ws->nds = rd->nds;
    return ws;
}

void bcms_reader_ws_free(bcms_reader_ws_t *ws)
{
    if (!ws) return;
    bcms_codec_free(ws->codec);
    if (ws->g)
        for (int d = 0; d < ws->nds; d++) bcms_gtblock_free(&ws->g[d]);
    free(ws->g);
    free(ws->cached);
    free(ws->cached_ds);
    free(ws->codes);
    free(ws->dsv);
    free(ws->raw.s);
    free(ws);
}

/* Block blk of dataset d decoded into ws->g[d] (kept: the next batch usually reads it again). */
static int load_block(const bcms_reader_t *rd, bcms_reader_ws_t *ws, int d, int32_t blk, int want_ds)
{
    if (ws->cached[d] == blk && (!want_ds || ws->cached_ds[d])) return 0;
    const bcms_dataset_t *dd = rd->ds[d];
    char what[256];
    int rc;
    snprintf(what, sizeof what, "%s: dataset %u (%s) block %d (genotypes)", bcms_store_path(rd->st), dd->id,
             dd->cohort, blk);
    ws->cached[d] = -1;
    if ((rc = bcms_frame_unpack(ws->codec, BCMS_FRAME_GT, rd->frame_p[d][blk], rd->frame_n[d][blk], &ws->raw,
                                what)) ||
        (rc = bcms_gt_decode(ws->raw.s, ws->raw.l, dd->blocks[blk].nvar, dd->nsamples,
                             want_ds ? BCMS_GT_DEC_DS : 0, &ws->g[d], what)))
        return rc;
    ws->cached[d] = blk;
    ws->cached_ds[d] = want_ds;
    return 0;
}

/* Batch b as rows of one decoded block, without a copy: one dataset, every one of its samples
 * selected in their order, the batch's variants consecutive rows of one block, none flipped, and
 * dosages stored when asked for. Returns 1 (pointers set), 0 (not this case) or an error. */
static int batch_in_place(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint64_t first, uint32_t nv,
                          const uint8_t **codes, const float **ds)
{
    if (rd->nds != 1 || !rd->sel_run || !rd->sel_run[0] || rd->nsel_d[0] != rd->nsel || rd->sel_col[0][0] != 0 ||
        rd->sel_out[0][0] != 0 || rd->nsel != rd->ds[0]->nsamples || (ds && !(rd->ds[0]->flags & BCMS_DS_HAS_DS)))
        return 0;
    const int32_t blk = rd->loc_block[first];
    const uint32_t row0 = rd->loc_row[first];
    if (blk < 0) return 0;
    for (uint32_t i = 0; i < nv; i++)
        if (rd->loc_block[first + i] != blk || rd->loc_row[first + i] != row0 + i || rd->flip[first + i]) return 0;
    int rc = load_block(rd, ws, 0, blk, ds != NULL);
    if (rc) return rc;
    const bcms_gtblock_t *g = &ws->g[0];
    *codes = g->codes + (size_t)row0 * g->nsamp;
    if (ds) *ds = g->ds + (size_t)row0 * g->nsamp;
    return 1;
}

int bcms_reader_batch(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint32_t b, const uint8_t **codes,
                      const float **ds)
{
    uint64_t first;
    uint32_t nv, n = rd->nsel;
    size_t cells;
    int rc;
    bcms_reader_batch_range(rd, b, &first, &nv);
    if ((rc = batch_in_place(rd, ws, first, nv, codes, ds))) return rc < 0 ? rc : 0;
    cells = (size_t)nv * n;
    if (cells + 1 > ws->cap) {
        uint8_t *c = realloc(ws->codes, cells + 1);
        if (!c) return BCMS_ENOMEM;
        ws->codes = c;
        ws->cap = cells + 1;
    }
    if (ds && cells + 1 > ws->cap_ds) {
        float *f = realloc(ws->dsv, sizeof *f * (cells + 1));
        if (!f) return BCMS_ENOMEM;
        ws->dsv = f;
        ws->cap_ds = cells + 1;
    }
    for (uint32_t i = 0; i < nv; i++) {
        uint64_t vi = first + i;
        uint8_t *out = ws->codes + (size_t)i * n;
        float *dout = ds ? ws->dsv + (size_t)i * n : NULL;
        for (int d = 0; d < rd->nds; d++) {
            int32_t blk = rd->loc_block[vi * rd->nds + d];
            const uint32_t *col = rd->sel_col[d], *oi = rd->sel_out[d];
            uint32_t m = rd->nsel_d[d];
            if (!m) continue;
            if (blk < 0) {
                for (uint32_t k = 0; k < m; k++) out[oi[k]] = 3;
                if (dout)
                    for (uint32_t k = 0; k < m; k++) dout[oi[k]] = NAN;
                continue;
            }
            int want_ds = ds && (rd->ds[d]->flags & BCMS_DS_HAS_DS);
            if ((rc = load_block(rd, ws, d, blk, want_ds))) return rc;
            const bcms_gtblock_t *g = &ws->g[d];
            uint32_t row = rd->loc_row[vi * rd->nds + d];
            const uint8_t *src = g->codes + (size_t)row * g->nsamp;
            int flip = rd->flip[vi * rd->nds + d];
            if (rd->sel_run[d]) { /* e.g. every sample of a single-cohort store: one run */
                uint8_t *o = out + oi[0];
                const uint8_t *s = src + col[0];
                if (flip)
                    for (uint32_t k = 0; k < m; k++) o[k] = bcms_swap_code[s[k]];
                else
                    memcpy(o, s, m);
            } else if (flip)
                for (uint32_t k = 0; k < m; k++) out[oi[k]] = bcms_swap_code[src[col[k]]];
            else
                for (uint32_t k = 0; k < m; k++) out[oi[k]] = src[col[k]];
            if (dout) {
                if (want_ds && rd->sel_run[d]) {
                    const float *fs = g->ds + (size_t)row * g->nsamp + col[0];
                    float *o = dout + oi[0];
                    if (flip)
                        for (uint32_t k = 0; k < m; k++) o[k] = 2.0f - fs[k];
                    else
                        memcpy(o, fs, sizeof *o * m);
                } else if (want_ds) {
                    const float *fs = g->ds + (size_t)row * g->nsamp;
                    for (uint32_t k = 0; k < m; k++) dout[oi[k]] = flip ? 2.0f - fs[col[k]] : fs[col[k]];
                } else {
                    for (uint32_t k = 0; k < m; k++) dout[oi[k]] = out[oi[k]] == 3 ? NAN : (float)out[oi[k]];
                }
            }
        }
    }
    *codes = ws->codes;
    if (ds) *ds = ws->dsv;
    return 0;
}

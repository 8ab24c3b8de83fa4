/* reader.c: selection and cross-dataset merge of the read path (reader.h); batches are in
 * reader_batch.c, sample/variant lists in reader_lists.c, counts and filters in reader_counts.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash.h>
#include <htslib/kstring.h>

#include "contig.h"
#include "dataset.h"
#include "err.h"
#include "hwe.h"
#include "reader_internal.h"
#include "region.h"

KHASH_MAP_INIT_STR(rctg, int)

typedef struct { /* one row of one dataset, before merging */
    uint32_t rank;  /* global contig rank */
    int64_t pos;
    uint32_t d, block, row;
    uint32_t id, ref, alt; /* offsets in the string pool */
    uint32_t ac, an, nhet, nhom, nmiss;
    float r2;       /* imputation quality (NaN: none), for --minr2 */
} entry_t;

void bcms_reader_opts_init(bcms_reader_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->geno_max = 1.0;
    o->mind_max = 1.0;
    o->par_build = BCMS_BUILD_B38;
    o->threads = 1;
}

int bcms_reader_opts_check(const bcms_reader_opts_t *o)
{
    if (o->maf_min < 0 || o->maf_min > 0.5) return bcms_err(BCMS_EINVAL, "--maf must be in [0, 0.5]");
    if (o->geno_max < 0 || o->geno_max > 1) return bcms_err(BCMS_EINVAL, "--geno must be in [0, 1]");
    if (o->mind_max < 0 || o->mind_max > 1) return bcms_err(BCMS_EINVAL, "--mind must be in [0, 1]");
    if (o->hwe_min < 0 || o->hwe_min > 1) return bcms_err(BCMS_EINVAL, "--hwe must be in [0, 1]");
    if (!(o->minr2 >= 0)) return bcms_err(BCMS_EINVAL, "--minr2 must be >= 0");
    if (o->chunk_n < 0 || (o->chunk_n && (o->chunk_k < 1 || o->chunk_k > o->chunk_n)))
        return bcms_err(BCMS_EINVAL, "--chunk k/n needs 1 <= k <= n");
    if (o->par_build != BCMS_BUILD_B37 && o->par_build != BCMS_BUILD_B38)
        return bcms_err(BCMS_EINVAL, "--par must be b37 or b38");
    if (o->threads < 1) return bcms_err(BCMS_EINVAL, "the reader needs at least one thread");
    if (o->dup_rule != BCMS_DUP_ERROR && o->dup_rule != BCMS_DUP_FIRST)
        return bcms_err(BCMS_EINVAL, "--dup-rule must be first or error");
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

/* Pick datasets from a comma-separated list of ids or cohort names (a name picks every dataset of
 * that cohort, e.g. its per-chromosome imports). */
static int select_datasets(bcms_reader_t *rd, const char *list)
{
    if (!(rd->ds = calloc(rd->nall + 1, sizeof *rd->ds))) return BCMS_ENOMEM;
    if (!list || !*list) {
        for (int i = 0; i < rd->nall; i++) rd->ds[rd->nds++] = &rd->all[i];
    } else {
        uint8_t *pick = calloc(rd->nall + 1, 1);
        char *copy = strdup(list), *save = NULL, *tok;
        if (!copy || !pick) {
            free(copy), free(pick);
            return BCMS_ENOMEM;
        }
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            int i = bcms_dataset_pick(rd->all, rd->nall, tok);
            if (i < 0) {
                free(copy), free(pick);
                return i;
            }
            pick[i] = 1;
            for (int k = 0; k < rd->nall; k++)
                if (!strcmp(rd->all[k].cohort, tok)) pick[k] = 1;
        }
        for (int i = 0; i < rd->nall; i++)
            if (pick[i]) rd->ds[rd->nds++] = &rd->all[i];
        free(copy), free(pick);
    }
    if (!rd->nds) return bcms_err(BCMS_ENOTFOUND, "the store has no datasets yet; import a VCF first");
    if (!(rd->ds_cohort = malloc(sizeof *rd->ds_cohort * rd->nds))) return BCMS_ENOMEM;
    for (int d = 0; d < rd->nds; d++) {
        int c = d;
        for (int e = 0; e < d; e++)
            if (!strcmp(rd->ds[e]->cohort, rd->ds[d]->cohort)) {
                c = rd->ds_cohort[e];
                break;
            }
        rd->ds_cohort[d] = c == d ? rd->ncohort++ : c;
    }
    return 0;
}

/* Contig ranks by canonical name, in the order the datasets list them; *map[d][c] is the rank of
 * contig c of dataset d. */
static int contigs_build(bcms_reader_t *rd, khash_t(rctg) *ctg, uint32_t ***map)
{
    char canon[256];
    if (!(*map = calloc(rd->nds, sizeof **map))) return BCMS_ENOMEM;
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        if (!((*map)[d] = malloc(sizeof ***map * (ds->ncontigs + 1)))) return BCMS_ENOMEM;
        for (uint32_t c = 0; c < ds->ncontigs; c++) {
            int absent, rc = bcms_contig_canon(ds->contigs[c].name, -1, canon, sizeof canon);
            if (rc < 0) return rc;
            khint_t k = kh_get(rctg, ctg, canon);
            if (k == kh_end(ctg)) {
                char **nn = realloc(rd->contig_names, sizeof *nn * (rd->ncontig + 1));
                if (nn) rd->contig_names = nn;
                char **nc = nn ? realloc(rd->contig_canon, sizeof *nc * (rd->ncontig + 1)) : NULL;
                if (nc) rd->contig_canon = nc;
                char *key = nc ? strdup(canon) : NULL;
                if (!key) return BCMS_ENOMEM;
                nn[rd->ncontig] = ds->contigs[c].name;
                nc[rd->ncontig] = key;
                k = kh_put(rctg, ctg, key, &absent);
                if (absent < 0) return BCMS_ENOMEM;
                kh_val(ctg, k) = rd->ncontig++;
            }
            (*map)[d][c] = (uint32_t)kh_val(ctg, k);
        }
    }
    return 0;
}

static int entries_grow(entry_t **e, size_t ne, size_t *me)
{
    if (ne < *me) return 0;
    size_t m = *me ? *me * 2 : 4096;
    entry_t *n = realloc(*e, sizeof *n * m);
    if (!n) return BCMS_ENOMEM;
    *e = n, *me = m;
    return 0;
}

/* Every row of every selected dataset in the regions, as entries; block frames are fetched on the
 * way (they stay valid while the reader's transaction lives). */
static int entries_collect(bcms_reader_t *rd, bcms_regions_t *rg, uint32_t **map, entry_t **e, size_t *ne)
{
    bcms_sites_t sites = {0};
    bcms_codec_t *codec = bcms_codec_new(1);
    kstring_t raw = {0, 0, NULL};
    size_t me = 0;
    int rc = 0;
    if (!codec || !(rd->frame_p = calloc(rd->nds, sizeof *rd->frame_p)) ||
        !(rd->frame_n = calloc(rd->nds, sizeof *rd->frame_n))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        bcms_regions_resolve(rg, ds);
        if (!(rd->frame_p[d] = calloc(ds->nblocks + 1, sizeof **rd->frame_p)) ||
            !(rd->frame_n[d] = calloc(ds->nblocks + 1, sizeof **rd->frame_n))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        for (uint32_t b = 0; b < ds->nblocks; b++) {
            const bcms_block_info_t *bi = &ds->blocks[b];
            uint8_t key[8];
            MDB_val k = {8, key}, val;
            if (!bcms_regions_block(rg, bi)) continue;
            if ((rc = bcms_block_read_sites(rd->st, rd->txn, ds, b, codec, &raw, &sites))) goto done;
            bcms_block_key(key, ds->id, b);
            if ((rc = bcms_mdb_get(rd->st, rd->txn, DBI_GT, &k, &val))) {
                rc = rc == MDB_NOTFOUND ? bcms_err(BCMS_ECORRUPT, "%s: dataset %u block %u has no genotype frame; "
                                                   "the store is damaged", bcms_store_path(rd->st), ds->id, b)
                                        : bcms_lmdb_err(rc, "reading a genotype block");
                goto done;
            }
            rd->frame_p[d][b] = val.mv_data;
            rd->frame_n[d][b] = val.mv_size;
            for (uint32_t r = 0; r < sites.nvar; r++) {
                const bcms_site_t *s = &sites.v[r];
                if (!bcms_regions_pos(rg, bi->contig, s->pos)) continue;
                if ((rc = entries_grow(e, *ne, &me))) goto done;
                entry_t *x = &(*e)[(*ne)++];
                x->rank = map[d][bi->contig];
                x->pos = s->pos;
                x->d = (uint32_t)d;
                x->block = b;
                x->row = r;
                x->ac = s->ac, x->an = s->an, x->nhet = s->nhet, x->nhom = s->nhom, x->nmiss = s->nmiss;
                x->r2 = s->r2;
                if (pool_add(&rd->pool, BCMS_SITE_STR(&sites, s->id), &x->id) ||
                    pool_add(&rd->pool, BCMS_SITE_STR(&sites, s->ref), &x->ref) ||
                    pool_add(&rd->pool, BCMS_SITE_STR(&sites, s->alt), &x->alt)) {
                    rc = BCMS_ENOMEM;
                    goto done;
                }
            }
        }
    }
done:
    bcms_sites_free(&sites);
    bcms_codec_free(codec);
    free(raw.s);
    return rc;
}

/* Two datasets sharing a selected sample both have the variant: which genotype is meant? */
static int dup_error(const bcms_reader_t *rd, const bcms_variant_t *v, const char *ref, const char *alt, int d1,
                     int d2)
{
    const bcms_dataset_t *a = rd->ds[d1], *b = rd->ds[d2];
    return bcms_err(BCMS_EINPUT,
                    "datasets %u (%s, %s) and %u (%s, %s) hold the same samples and the same variant %s:%lld:%s:%s; "
                    "select one with --cohorts, drop the shared samples with --remove, or take the first "
                    "dataset's genotypes with --dup-rule first",
                    a->id, a->cohort, a->nsources ? a->sources[0].path : "?", b->id, b->cohort, b->nsources ? b->sources[0].path : "?",
                    v->chrom, (long long)v->pos, ref, alt);
}

/* Group entries by (contig, pos), match alleles across datasets, flip swapped ones; a variant held
 * by two datasets that share samples is an error unless dup_rule first. Sets rd->v and locations. */
static int merge_entries(bcms_reader_t *rd, const entry_t *e, size_t ne)
{
    uint8_t *used = calloc(ne + 1, 1);
    uint64_t mv = ne + 1, nv = 0;
    int rc = 0;
    rd->v = calloc(mv, sizeof *rd->v);
    rd->loc_block = malloc(sizeof *rd->loc_block * mv * rd->nds);
    rd->loc_row = malloc(sizeof *rd->loc_row * mv * rd->nds);
    rd->flip = calloc(mv * rd->nds, 1);
    rd->v_str = malloc(sizeof *rd->v_str * mv * 4);
    rd->v_cnt = malloc(sizeof *rd->v_cnt * mv * rd->nds * 5);
    rd->v_r2 = malloc(sizeof *rd->v_r2 * mv);
    if (!used || !rd->v || !rd->loc_block || !rd->loc_row || !rd->flip || !rd->v_str || !rd->v_cnt || !rd->v_r2) {
        rc = BCMS_ENOMEM;
        goto done;
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
            rd->v_r2[nv] = NAN;
            v->pos = x->pos;
            rd->v_str[nv * 4] = x->id, rd->v_str[nv * 4 + 1] = x->ref, rd->v_str[nv * 4 + 2] = x->alt;
            rd->v_str[nv * 4 + 3] = x->rank;
            v->chrom = rd->contig_names[x->rank];
            for (size_t j = i; j < g1; j++) {
                const entry_t *y = &e[j];
                int swapped;
                if (used[j] || lb[y->d] >= 0) continue;
                const char *r2 = rd->pool.s + y->ref, *a2 = rd->pool.s + y->alt;
                if (!strcmp(r2, ref) && !strcmp(a2, alt)) swapped = 0;
                else if (!strcmp(r2, alt) && !strcmp(a2, ref)) swapped = 1;
                else continue;
                for (int d = 0; d < rd->nds; d++)
                    if (lb[d] >= 0 && rd->overlap[d * rd->nds + y->d] && !rd->dup_first) {
                        rc = dup_error(rd, v, ref, alt, d, (int)y->d);
                        goto done;
                    }
                used[j] = 1;
                lb[y->d] = (int32_t)y->block;
                lr[y->d] = y->row;
                fl[y->d] = (uint8_t)swapped;
                uint32_t *vc = rd->v_cnt + (nv * rd->nds + y->d) * 5;
                vc[0] = y->ac, vc[1] = y->an, vc[2] = y->nhet, vc[3] = y->nhom, vc[4] = y->nmiss;
                v->ndatasets++;
                rd_r2_join(&rd->v_r2[nv], y->r2);
            }
            nv++;
        }
    }
    rd->nvar = nv;
done:
    free(used);
    return rc;
}

/* Ploidy class of each variant from its canonical contig and position. */
static void variants_classify(bcms_reader_t *rd, int build)
{
    for (uint64_t i = 0; i < rd->nvar; i++) {
        bcms_variant_t *v = &rd->v[i];
        int kind = bcms_contig_kind(rd->contig_canon[rd->v_str[i * 4 + 3]]);
        v->hap = kind == BCMS_CHR_X ? (bcms_contig_in_par((bcms_build_t)build, v->pos) ? BCMS_HAP_NONE : BCMS_HAP_X)
                 : kind == BCMS_CHR_Y ? BCMS_HAP_Y
                 : kind == BCMS_CHR_MT ? BCMS_HAP_MT
                                       : BCMS_HAP_NONE;
    }
}

/* --extract / --exclude on the merged variants (ID, or CHR:POS:REF:ALT in either allele order, or a
 * BED range). */
static int variants_lists(bcms_reader_t *rd, const bcms_reader_opts_t *o)
{
    rd_varlist_t ex = {0}, xx = {0};
    uint8_t *keep = NULL;
    int rc = 0;
    if (!o->extract && !o->exclude) return 0;
    if ((o->extract && (rc = rd_varlist_load(o->extract, &ex))) || (o->exclude && (rc = rd_varlist_load(o->exclude, &xx))))
        goto done;
    if (!(keep = malloc(rd->nvar + 1))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    for (uint64_t i = 0; i < rd->nvar; i++) {
        const bcms_variant_t *v = &rd->v[i];
        const char *id = rd->pool.s + rd->v_str[i * 4], *ref = rd->pool.s + rd->v_str[i * 4 + 1],
                   *alt = rd->pool.s + rd->v_str[i * 4 + 2], *canon = rd->contig_canon[rd->v_str[i * 4 + 3]];
        keep[i] = (!o->extract || rd_varlist_match(&ex, canon, v->pos, id, ref, alt)) &&
                  (!o->exclude || !rd_varlist_match(&xx, canon, v->pos, id, ref, alt));
    }
    rd_variants_compact(rd, keep);
done:
    free(keep);
    rd_varlist_free(&ex);
    rd_varlist_free(&xx);
    return rc;
}

int bcms_reader_open(bcms_store_t *st, const bcms_reader_opts_t *o, bcms_reader_t **out)
{
    bcms_reader_t *rd = calloc(1, sizeof *rd);
    bcms_regions_t rg = {0, NULL};
    khash_t(rctg) *ctg = kh_init(rctg);
    uint32_t **map = NULL;
    entry_t *e = NULL;
    size_t ne = 0;
    int rc;

    *out = NULL;
    if (!rd || !ctg) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    rd->st = st;
    rd->dup_first = o->dup_rule == BCMS_DUP_FIRST;
    if ((rc = bcms_reader_opts_check(o))) goto fail;
    if ((rc = bcms_regions_parse(o->regions, &rg))) goto fail;
    if ((rc = bcms_txn_begin(st, 1, &rd->txn))) goto fail;
    if ((rc = bcms_dataset_list(st, rd->txn, &rd->all, &rd->nall))) goto fail;
    if ((rc = select_datasets(rd, o->cohorts))) goto fail;
    for (int d = 0; d < rd->nds; d++)
        if (rd->ds[d]->flags & BCMS_DS_HAS_DS) rd->has_ds = 1;
    if ((rc = rd_samples_load(rd, o)) || (rc = rd_samples_build(rd))) goto fail;
    if (o->keep || o->remove)
        bcms_log(BCMS_LOG_INFO, "%u samples removed by --keep/--remove, %u remain", rd->nremoved, rd->nsamp);
    if (!rd->nsamp) {
        rc = bcms_err(BCMS_EINPUT, "no sample left in the selected datasets%s", o->keep || o->remove ?
                      " after --keep/--remove; check that the files name IIDs of the store" : "");
        goto fail;
    }
    if ((rc = contigs_build(rd, ctg, &map))) goto fail;
    if ((rc = bcms_regions_check(&rg, (const bcms_dataset_t *const *)rd->ds, rd->nds))) goto fail;
    if ((rc = entries_collect(rd, &rg, map, &e, &ne))) goto fail;
    if (ne) qsort(e, ne, sizeof *e, cmp_entry);
    if ((rc = merge_entries(rd, e, ne))) goto fail;
    if ((rc = rd_r2_filter(rd, o))) goto fail;
    variants_classify(rd, o->par_build);
    if ((rc = variants_lists(rd, o))) goto fail;
    if ((rc = rd_counts_filter(rd, o))) goto fail;
    free(rd->v_cnt);
    rd->v_cnt = NULL;
    for (uint64_t i = 0; i < rd->nvar; i++) {
        rd->v[i].id = rd->pool.s + rd->v_str[i * 4];
        rd->v[i].ref = rd->pool.s + rd->v_str[i * 4 + 1];
        rd->v[i].alt = rd->pool.s + rd->v_str[i * 4 + 2];
    }
    if ((rc = rd_batches_build(rd))) goto fail;
    {
        /* default sample choice: everyone */
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
    if (map)
        for (int d = 0; d < rd->nds; d++) free(map[d]);
    free(map);
    map = NULL;
    bcms_reader_close(rd);
done:
    free(e);
    if (map)
        for (int d = 0; d < rd->nds; d++) free(map[d]);
    free(map);
    bcms_regions_free(&rg);
    if (ctg) kh_destroy(rctg, ctg);
    return rc;
}

void bcms_reader_close(bcms_reader_t *rd)
{
    if (!rd) return;
    if (rd->txn) mdb_txn_abort(rd->txn);
    free(rd->v_r2);
    for (int d = 0; d < rd->nds; d++) {
        if (rd->frame_p) free(rd->frame_p[d]);
        if (rd->frame_n) free(rd->frame_n[d]);
        if (rd->sel_col) free(rd->sel_col[d]);
        if (rd->sel_out) free(rd->sel_out[d]);
        if (rd->col_samp) free(rd->col_samp[d]);
    }
    for (int c = 0; c < rd->ncontig; c++) free(rd->contig_canon[c]);
    free(rd->contig_canon);
    free(rd->frame_p);
    free(rd->frame_n);
    free(rd->sel_col);
    free(rd->sel_out);
    free(rd->col_samp);
    free(rd->nsel_d);
    free(rd->sel_run);
    free(rd->ds_full);
    free(rd->overlap);
    free(rd->ds_cohort);
    if (rd->keep) kh_destroy(rdset, rd->keep);
    if (rd->remove) kh_destroy(rdset, rd->remove);
    free(rd->sex_by_num);
    bcms_dataset_list_free(rd->all, rd->nall);
    free(rd->ds);
    free(rd->contig_names);
    free(rd->sample_ids);
    free(rd->sample_ds);
    free(rd->sample_sex);
    free(rd->sample_cohort);
    free(rd->v);
    free(rd->loc_block);
    free(rd->loc_row);
    free(rd->flip);
    free(rd->v_str);
    free(rd->v_cnt);
    free(rd->pool.s);
    free(rd->batch_first);
    free(rd);
}

uint32_t bcms_reader_nsamples(const bcms_reader_t *rd) { return rd->nsamp; }
const uint32_t *bcms_reader_sample_ids(const bcms_reader_t *rd) { return rd->sample_ids; }
const uint32_t *bcms_reader_sample_dataset(const bcms_reader_t *rd) { return rd->sample_ds; }
const uint8_t *bcms_reader_sample_sex(const bcms_reader_t *rd) { return rd->sample_sex; }
uint32_t bcms_reader_nremoved(const bcms_reader_t *rd) { return rd->nremoved; }
uint32_t bcms_reader_nmind(const bcms_reader_t *rd) { return rd->nmind; }
int bcms_reader_ndatasets(const bcms_reader_t *rd) { return rd->nds; }
const char *bcms_reader_dataset_name(const bcms_reader_t *rd, int d) { return rd->ds[d]->cohort; }
int bcms_reader_has_ds(const bcms_reader_t *rd) { return rd->has_ds; }
uint64_t bcms_reader_nvariants(const bcms_reader_t *rd) { return rd->nvar; }
const bcms_variant_t *bcms_reader_variant(const bcms_reader_t *rd, uint64_t i) { return &rd->v[i]; }
uint64_t bcms_reader_nfiltered(const bcms_reader_t *rd) { return rd->nfiltered; }
int bcms_reader_has_counts(const bcms_reader_t *rd) { return rd->has_counts; }
uint32_t bcms_reader_nbatches(const bcms_reader_t *rd) { return rd->nbatch; }

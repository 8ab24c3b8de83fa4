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

/* Window size: candidate variants gathered per step, from --memory (what a window variant costs the
 * reader and a scan's per-variant results, roughly) or a default that keeps the window near 16 MB. */
static uint64_t window_cap(const bcms_reader_opts_t *o, int nds)
{
    uint64_t per = sizeof(bcms_variant_t) + (uint64_t)nds * 29 + 96;
    if (!o->stream) return UINT64_MAX;
    if (!o->memory_mb) return o->window ? o->window : 1 << 16;
    uint64_t cap = (uint64_t)(o->memory_mb * 1048576.0 / (double)per);
    return cap ? cap : 1;
}

/* --chunk k/n: the chunk's range of the variants past the filters. Streaming, their number comes
 * from a counting pass over the stream (lists and site filters, nothing kept), unless the store's
 * own count is it (one dataset, no region, list, filter). Not streaming, from the list itself. */
static int chunk_range(bcms_reader_t *rd)
{
    const bcms_reader_opts_t *o = &rd->o;
    uint64_t total = 0, nfiltered;
    int rc, filters = o->maf_min > 0 || o->mac_min > 0 || o->geno_max < 1 || o->hwe_min > 0;
    if (!o->chunk_n) return 0;
    if (!rd->stream) {
        total = rd->nvar;
    } else if (rd->nds == 1 && !o->regions && !o->extract && !o->exclude && !filters && !(o->minr2 > 0)) {
        total = rd->ds[0]->nrows;
    } else {
        rd_stream_rewind(rd);
        do
            if ((rc = rd_window_fill(rd, RD_FILL_COUNT))) return rc;
        while (!rd->at_end);
        total = rd->seen;
        nfiltered = rd->nfiltered;
        rd_stream_rewind(rd);
        rd->nfiltered_all = nfiltered; /* the stream stops at the chunk's end: the count of all is this */
    }
    rd->chunk_lo = total * (uint64_t)(o->chunk_k - 1) / o->chunk_n;
    rd->chunk_hi = total * (uint64_t)o->chunk_k / o->chunk_n;
    return 0;
}

/* Not streaming: the whole list into one window, the chunk cut from it. */
static int read_all(bcms_reader_t *rd)
{
    int rc, chunk = rd->o.chunk_n;
    rd->o.chunk_n = 0;
    rc = rd_window_fill(rd, RD_FILL_SCAN);
    rd->o.chunk_n = chunk;
    if (rc || !chunk) return rc;
    if ((rc = chunk_range(rd))) return rc;
    for (uint64_t i = 0; i < rd->nvar; i++) rd->vkeep[i] = i >= rd->chunk_lo && i < rd->chunk_hi;
    rd_variants_compact(rd, 0, rd->vkeep);
    if ((rc = rd_batches_build(rd))) return rc;
    rd->nrel = rd->nbatch;
    for (uint64_t i = 0; i < rd->nvar; i++) {
        rd->v[i].id = rd->pool.s + rd->v_str[i * 4];
        rd->v[i].ref = rd->pool.s + rd->v_str[i * 4 + 1];
        rd->v[i].alt = rd->pool.s + rd->v_str[i * 4 + 2];
    }
    return 0;
}

int bcms_reader_open(bcms_store_t *st, const bcms_reader_opts_t *o, bcms_reader_t **out)
{
    bcms_reader_t *rd = calloc(1, sizeof *rd);
    bcms_regions_t rg = {0, NULL};
    khash_t(rctg) *ctg = kh_init(rctg);
    int rc;

    *out = NULL;
    if (!rd || !ctg) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    rd->st = st;
    rd->nfiltered_all = UINT64_MAX;
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
    if ((rc = contigs_build(rd, ctg, &rd->ctg_map))) goto fail;
    if ((rc = bcms_regions_check(&rg, (const bcms_dataset_t *const *)rd->ds, rd->nds))) goto fail;
    rd->o = *o;
    rd->stream = o->stream;
    rd->cap = window_cap(o, rd->nds);
    rd->has_counts = o->need_counts || o->maf_min > 0 || o->mac_min > 0 || o->geno_max < 1 || o->hwe_min > 0;
    if ((o->extract && (rc = rd_varlist_load(o->extract, &rd->ex))) ||
        (o->exclude && (rc = rd_varlist_load(o->exclude, &rd->xx))))
        goto fail;
    if ((rc = rd_stream_init(rd, &rg))) goto fail;
    if (o->mind_max < 1 && (rc = rd_mind_apply(rd))) goto fail;
    if (rd->stream) rc = chunk_range(rd);
    else rc = read_all(rd);
    if (rc) goto fail;
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
    bcms_reader_close(rd);
done:
    bcms_regions_free(&rg);
    if (ctg) kh_destroy(rctg, ctg);
    return rc;
}

void bcms_reader_close(bcms_reader_t *rd)
{
    if (!rd) return;
    if (rd->txn) mdb_txn_abort(rd->txn);
    rd_stream_free(rd);
    rd_counting_ws_free(rd);
    rd_varlist_free(&rd->ex);
    rd_varlist_free(&rd->xx);
    rd_sel_free(&rd->sel, rd->nds);
    rd_sel_free(&rd->sel_all, rd->nds);
    for (int d = 0; d < rd->nds; d++) {
        if (rd->frame_p) free(rd->frame_p[d]);
        if (rd->frame_n) free(rd->frame_n[d]);
        if (rd->sites_p) free(rd->sites_p[d]);
        if (rd->sites_n) free(rd->sites_n[d]);
        if (rd->col_samp) free(rd->col_samp[d]);
    }
    for (int c = 0; c < rd->ncontig; c++) free(rd->contig_canon[c]);
    free(rd->contig_canon);
    free(rd->frame_p);
    free(rd->frame_n);
    free(rd->sites_p);
    free(rd->sites_n);
    free(rd->col_samp);
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

int bcms_reader_has_ploidy(const bcms_reader_t *rd, int hap)
{
    int kind = hap == BCMS_HAP_X ? BCMS_CHR_X : hap == BCMS_HAP_Y ? BCMS_CHR_Y : hap == BCMS_HAP_MT ? BCMS_CHR_MT : -1;
    for (int d = 0; kind >= 0 && d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        const rd_cursor_t *c = &rd->cur[d]; /* the blocks the regions select */
        for (uint32_t i = 0; i < c->nblk; i++)
            if (bcms_contig_kind(rd->contig_canon[rd->ctg_map[d][ds->blocks[c->blk[i]].contig]]) == kind) return 1;
    }
    return 0;
}
uint32_t bcms_reader_nremoved(const bcms_reader_t *rd) { return rd->nremoved; }
uint32_t bcms_reader_nmind(const bcms_reader_t *rd) { return rd->nmind; }
int bcms_reader_ndatasets(const bcms_reader_t *rd) { return rd->nds; }
const char *bcms_reader_dataset_name(const bcms_reader_t *rd, int d) { return rd->ds[d]->cohort; }
int bcms_reader_has_ds(const bcms_reader_t *rd) { return rd->has_ds; }
uint64_t bcms_reader_nvariants(const bcms_reader_t *rd)
{
    return rd->v0 + (rd->nrel ? rd->batch_first[rd->nrel] : 0);
}
const bcms_variant_t *bcms_reader_variant(const bcms_reader_t *rd, uint64_t i) { return &rd->v[i - rd->v0]; }
uint64_t bcms_reader_nfiltered(const bcms_reader_t *rd)
{
    return rd->nfiltered_all != UINT64_MAX ? rd->nfiltered_all : rd->nfiltered;
}
int bcms_reader_has_counts(const bcms_reader_t *rd) { return rd->has_counts; }
uint32_t bcms_reader_nbatches(const bcms_reader_t *rd) { return rd->b0 + rd->nrel; }

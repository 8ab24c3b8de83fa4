/* reader_stream.c: the merge of the selected datasets, walked block by block, and the window of
 * variants the reader holds (reader.h). Each dataset is a cursor over its blocks in genomic order
 * (global contig rank, then position); the merge takes the smallest (rank, pos) of the cursors and
 * matches the rows there across datasets, in dataset then row order (so a streamed reader yields
 * the variants, their order and their batches exactly as one that holds them all). A window gathers
 * candidates, filters them (lists, counts, chunk) and builds batches; the last batch may still grow,
 * so it waits for the next window unless the stream has ended. The selected blocks' frames are
 * looked up at open and read with pread (reader_fetch.c): the map's pages touched by the lookups
 * leave this process's memory (they stay in the page cache), so the resident set does not grow with
 * the store. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contig.h"
#include "err.h"
#include "reader_internal.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Dataset d's blocks in the regions, in the global contig order (a dataset lists its contigs in its
 * own order), each contig's blocks in their stored (position) order. */
static int blocks_order(bcms_reader_t *rd, int d)
{
    const bcms_dataset_t *ds = rd->ds[d];
    rd_cursor_t *c = &rd->cur[d];
    uint64_t *key = malloc(sizeof *key * (ds->nblocks + 1));
    if (!key || !(c->blk = malloc(sizeof *c->blk * (ds->nblocks + 1)))) {
        free(key);
        return BCMS_ENOMEM;
    }
    for (uint32_t b = 0; b < ds->nblocks; b++)
        if (bcms_regions_block(&c->rg, &ds->blocks[b]))
            key[c->nblk++] = (uint64_t)rd->ctg_map[d][ds->blocks[b].contig] << 32 | b;
    qsort(key, c->nblk, sizeof *key, cmp_u64);
    for (uint32_t i = 0; i < c->nblk; i++) c->blk[i] = (uint32_t)key[i];
    free(key);
    return 0;
}

int rd_stream_init(bcms_reader_t *rd, const bcms_regions_t *rg)
{
    rd_fetch_init(&rd->fetch, rd->st);
    if (!(rd->cur = calloc(rd->nds, sizeof *rd->cur)) || !(rd->codec = bcms_codec_new(1)) ||
        !(rd->frame_p = calloc(rd->nds, sizeof *rd->frame_p)) || !(rd->frame_n = calloc(rd->nds, sizeof *rd->frame_n)) ||
        !(rd->sites_p = calloc(rd->nds, sizeof *rd->sites_p)) || !(rd->sites_n = calloc(rd->nds, sizeof *rd->sites_n)) ||
        !(rd->ctg_kind = malloc(sizeof *rd->ctg_kind * (rd->ncontig + 1))))
        return BCMS_ENOMEM;
    for (int r = 0; r < rd->ncontig; r++) rd->ctg_kind[r] = bcms_contig_kind(rd->contig_canon[r]);
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        rd_cursor_t *c = &rd->cur[d];
        c->cur = RD_NONE;
        c->rg.n = rg->n;
        if (rg->n && !(c->rg.r = malloc(sizeof *c->rg.r * rg->n))) return BCMS_ENOMEM;
        if (rg->n) memcpy(c->rg.r, rg->r, sizeof *c->rg.r * rg->n);
        bcms_regions_resolve(&c->rg, ds);
        if (!(rd->frame_p[d] = calloc(ds->nblocks + 1, sizeof **rd->frame_p)) ||
            !(rd->frame_n[d] = calloc(ds->nblocks + 1, sizeof **rd->frame_n)) ||
            !(rd->sites_p[d] = calloc(ds->nblocks + 1, sizeof **rd->sites_p)) ||
            !(rd->sites_n[d] = calloc(ds->nblocks + 1, sizeof **rd->sites_n)))
            return BCMS_ENOMEM;
        int rc = blocks_order(rd, d);
        for (uint32_t i = 0; !rc && i < c->nblk; i++) {
            uint32_t b = c->blk[i];
            if (!(rc = rd_frame_lookup(rd->st, rd->txn, BCMS_FRAME_SITES, ds, b, &rd->sites_p[d][b], &rd->sites_n[d][b])))
                rc = rd_frame_lookup(rd->st, rd->txn, BCMS_FRAME_GT, ds, b, &rd->frame_p[d][b], &rd->frame_n[d][b]);
        }
        if (rc) return rc;
    }
    if (rd->o.prefetch && rd->o.threads > 1 && rd_prefetch_start(rd)) return BCMS_ENOMEM;
    rd_stream_rewind(rd);
    return 0;
}

void rd_stream_free(bcms_reader_t *rd)
{
    rd_prefetch_stop(rd);
    for (int d = 0; rd->cur && d < rd->nds; d++) {
        bcms_sites_free(&rd->cur[d].sites);
        free(rd->cur[d].blk);
        free(rd->cur[d].rg.r);
    }
    free(rd->cur);
    if (rd->ctg_map)
        for (int d = 0; d < rd->nds; d++) free(rd->ctg_map[d]);
    free(rd->ctg_map);
    bcms_codec_free(rd->codec);
    free(rd->raw.s), free(rd->fbuf.s), free(rd->gpool.s), free(rd->grp), free(rd->gused), free(rd->vkeep);
    free(rd->ctg_kind);
}

void rd_stream_rewind(bcms_reader_t *rd)
{
    rd_prefetch_reset(rd);
    for (int d = 0; d < rd->nds; d++) {
        rd_cursor_t *c = &rd->cur[d];
        c->bi = 0, c->cur = RD_NONE, c->row = 0, c->last_rank = 0, c->last_pos = INT64_MIN;
    }
    rd->nvar = rd->v0 = 0, rd->b0 = rd->nrel = rd->nbatch = 0;
    rd->at_end = rd->handed = 0;
    rd->seen = 0, rd->nfiltered = 0;
    rd->r2_with = rd->r2_without = rd->r2_dropped = 0;
    rd->pool.l = 0;
}

static void map_release(bcms_reader_t *rd);

/* Load dataset d's next selected block's sites (its frames were looked up at open; decoded ahead
 * on the prefetch thread when there is one), and have the one after it decoded. 1 at the end. */
static int cursor_load(bcms_reader_t *rd, int d)
{
    rd_cursor_t *c = &rd->cur[d];
    const bcms_dataset_t *ds = rd->ds[d];
    int rc;
    if (c->bi >= c->nblk) {
        c->cur = RD_NONE;
        return 1;
    }
    uint32_t b = c->blk[c->bi++];
    if (!rd_prefetch_take(rd, d, c->bi - 1, &c->sites, &rc))
        rc = rd_sites_read(rd->st, &rd->fetch, ds, b, rd->sites_p[d][b], rd->sites_n[d][b], rd->codec, &rd->fbuf,
                           &rd->raw, &c->sites);
    if (rc) return rc;
    rd_prefetch_queue(rd, d, c->bi);
    c->cur = b, c->row = 0, c->rank = rd->ctg_map[d][ds->blocks[b].contig];
    return 0;
}

/* Dataset d's next row in the regions: 0 (c->cur, c->row set), 1 at its end, or an error. */
static int cursor_peek(bcms_reader_t *rd, int d)
{
    rd_cursor_t *c = &rd->cur[d];
    for (;;) {
        int rc;
        if (c->cur == RD_NONE || c->row >= c->sites.nvar) {
            if (c->cur == RD_NONE && c->bi > 0 && c->bi >= c->nblk) return 1;
            if ((rc = cursor_load(rd, d))) return rc;
            continue;
        }
        const bcms_site_t *s = &c->sites.v[c->row];
        if (bcms_regions_pos(&c->rg, rd->ds[d]->blocks[c->cur].contig, s->pos)) return 0;
        c->row++;
    }
}

/* Length of the string at offset off of a decoded sites block: bcms_sites_decode lays the strings
 * out column by column (every id, every ref, every alt, every filter), each NUL-terminated, so a
 * row's string ends where the next one in that order begins. */
static size_t site_len(const bcms_sites_t *s, uint32_t row, int col)
{
    const bcms_site_t *v = &s->v[row];
    uint32_t off = col == 0 ? v->id : col == 1 ? v->ref : v->alt, next;
    if (row + 1 < s->nvar) next = col == 0 ? v[1].id : col == 1 ? v[1].ref : v[1].alt;
    else next = col == 0 ? s->v[0].ref : col == 1 ? s->v[0].alt : s->v[0].filter;
    return next - off - 1;
}

/* Row's "id\0ref\0alt\0" appended to pool, *off where id begins (ref and alt follow it). */
static int pool_add_site(kstring_t *pool, const bcms_sites_t *s, uint32_t row, uint32_t *off)
{
    const bcms_site_t *v = &s->v[row];
    size_t li = site_len(s, row, 0) + 1, lr = site_len(s, row, 1) + 1, la = site_len(s, row, 2) + 1;
    if (ks_resize(pool, pool->l + li + lr + la + 1) < 0) return BCMS_ENOMEM;
    char *p = pool->s + pool->l;
    memcpy(p, BCMS_SITE_STR(s, v->id), li);
    memcpy(p + li, BCMS_SITE_STR(s, v->ref), lr);
    memcpy(p + li + lr, BCMS_SITE_STR(s, v->alt), la);
    off[0] = (uint32_t)pool->l, off[1] = off[0] + (uint32_t)li, off[2] = off[1] + (uint32_t)lr;
    pool->l += li + lr + la;
    pool->s[pool->l] = 0;
    return 0;
}

/* Take dataset d's rows at (rank, pos) into the group. */
static int group_take(bcms_reader_t *rd, int d, uint32_t rank, int64_t pos)
{
    rd_cursor_t *c = &rd->cur[d];
    int rc;
    while ((rc = cursor_peek(rd, d)) == 0) {
        const bcms_site_t *s = &c->sites.v[c->row];
        if (c->rank != rank || s->pos != pos) break;
        if (rd->ngrp == rd->mgrp) {
            size_t m = rd->mgrp ? rd->mgrp * 2 : 64;
            rd_entry_t *g = realloc(rd->grp, sizeof *g * m);
            uint8_t *u = g ? realloc(rd->gused, m) : NULL;
            if (g) rd->grp = g;
            if (!u) return BCMS_ENOMEM;
            rd->gused = u, rd->mgrp = m;
        }
        rd_entry_t *x = &rd->grp[rd->ngrp++];
        x->d = (uint32_t)d, x->block = c->cur, x->row = c->row;
        x->ac = s->ac, x->an = s->an, x->nhet = s->nhet, x->nhom = s->nhom, x->nmiss = s->nmiss;
        x->r2 = s->r2;
        uint32_t off[3];
        if (pool_add_site(&rd->gpool, &c->sites, c->row, off)) return BCMS_ENOMEM;
        x->id = off[0], x->ref = off[1], x->alt = off[2];
        c->row++;
    }
    return rc == 1 ? 0 : rc;
}

/* Room for one more window variant. Streaming, the first size is a whole window's (cap, and the
 * rows of the last position): doubling from a small size would overshoot it to twice that on the
 * second window of a long stream only, a step in memory between a short store and a long one. */
static int window_grow(bcms_reader_t *rd)
{
    static const uint64_t first = 1024;
    uint64_t have = rd->mkeep, nd = (uint64_t)rd->nds;
    if (rd->nvar < have) return 0;
    uint64_t m = have ? have * 2 : rd->stream && rd->cap <= (1u << 22) ? rd->cap + first : first;
    bcms_variant_t *v = realloc(rd->v, sizeof *v * m);
    if (v) rd->v = v;
    int32_t *lb = v ? realloc(rd->loc_block, sizeof *lb * m * nd) : NULL;
    if (lb) rd->loc_block = lb;
    uint32_t *lr = lb ? realloc(rd->loc_row, sizeof *lr * m * nd) : NULL;
    if (lr) rd->loc_row = lr;
    uint8_t *fl = lr ? realloc(rd->flip, m * nd) : NULL;
    if (fl) rd->flip = fl;
    uint32_t *vs = fl ? realloc(rd->v_str, sizeof *vs * m * 4) : NULL;
    if (vs) rd->v_str = vs;
    uint32_t *vc = vs ? realloc(rd->v_cnt, sizeof *vc * m * nd * 5) : NULL;
    if (vc) rd->v_cnt = vc;
    uint8_t *kp = vc ? realloc(rd->vkeep, m + 1) : NULL;
    if (!kp) return BCMS_ENOMEM;
    rd->vkeep = kp;
    rd->mkeep = m;
    return 0;
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

/* A new window variant at (rank, pos), every dataset absent from it so far: its index. */
static int variant_new(bcms_reader_t *rd, uint32_t rank, int64_t pos, uint64_t *nv_out)
{
    static const bcms_variant_t zero;
    int nd = rd->nds, rc;
    if ((rc = window_grow(rd))) return rc;
    uint64_t nv = rd->nvar;
    int32_t *lb = rd->loc_block + nv * nd;
    uint32_t *lr = rd->loc_row + nv * nd;
    uint8_t *fl = rd->flip + nv * nd;
    for (int d = 0; d < nd; d++) lb[d] = -1, lr[d] = 0, fl[d] = 0;
    memset(rd->v_cnt + nv * nd * 5, 0, sizeof *rd->v_cnt * nd * 5);
    rd->v[nv] = zero;
    rd->v[nv].pos = pos;
    rd->v[nv].chrom = rd->contig_names[rank];
    rd->v_str[nv * 4 + 3] = rank;
    *nv_out = nv;
    return 0;
}

/* Dataset d's row into variant nv (its stored counts, block and row, allele flip). */
static void variant_row(bcms_reader_t *rd, uint64_t nv, const rd_entry_t *y, int swapped)
{
    int nd = rd->nds;
    rd->loc_block[nv * nd + y->d] = (int32_t)y->block;
    rd->loc_row[nv * nd + y->d] = y->row;
    rd->flip[nv * nd + y->d] = (uint8_t)swapped;
    uint32_t *vc = rd->v_cnt + (nv * nd + y->d) * 5;
    vc[0] = y->ac, vc[1] = y->an, vc[2] = y->nhet, vc[3] = y->nhom, vc[4] = y->nmiss;
    rd->v[nv].ndatasets++;
}

/* Variant nv complete: dropped below --minr2 (minq: the lowest stored r2 among its datasets), or
 * given its ploidy class and kept. */
static void variant_end(bcms_reader_t *rd, uint64_t nv, float minq)
{
    if (!rd_r2_keep(rd, minq)) { /* below --minr2 in a dataset that has it: as the site filters, filtered */
        rd->pool.l = rd->v_str[nv * 4];
        if (rd->fill_mode != RD_FILL_MIND) rd->nfiltered++;
        return;
    }
    bcms_variant_t *v = &rd->v[nv];
    int kind = rd->ctg_kind[rd->v_str[nv * 4 + 3]];
    v->hap = kind == BCMS_CHR_X ? (bcms_contig_in_par((bcms_build_t)rd->o.par_build, v->pos) ? BCMS_HAP_NONE : BCMS_HAP_X)
             : kind == BCMS_CHR_Y ? BCMS_HAP_Y
             : kind == BCMS_CHR_MT ? BCMS_HAP_MT
                                   : BCMS_HAP_NONE;
    rd->nvar++;
}

/* The group's rows as variants: match alleles across datasets, flip swapped ones; a variant held by
 * two datasets that share samples is an error unless dup_rule first. */
static int group_merge(bcms_reader_t *rd, uint32_t rank, int64_t pos)
{
    const rd_entry_t *e = rd->grp;
    const char *gp = rd->gpool.s;
    int nd = rd->nds, rc;
    memset(rd->gused, 0, rd->ngrp);
    for (size_t i = 0; i < rd->ngrp; i++) {
        if (rd->gused[i]) continue;
        const rd_entry_t *x = &e[i];
        const char *ref = gp + x->ref, *alt = gp + x->alt;
        uint64_t nv;
        if ((rc = variant_new(rd, rank, pos, &nv))) return rc;
        const int32_t *lb = rd->loc_block + nv * nd;
        { /* the entry's "id\0ref\0alt\0", one copy */
            size_t n = (size_t)(alt - (gp + x->id)) + strlen(alt) + 1;
            uint32_t o = (uint32_t)rd->pool.l;
            if (kputsn(gp + x->id, n, &rd->pool) < 0) return BCMS_ENOMEM;
            rd->v_str[nv * 4] = o, rd->v_str[nv * 4 + 1] = o + (x->ref - x->id), rd->v_str[nv * 4 + 2] = o + (x->alt - x->id);
        }
        float minq = NAN; /* the lowest stored r2 among the datasets that have the variant */
        for (size_t j = i; j < rd->ngrp; j++) {
            const rd_entry_t *y = &e[j];
            int swapped;
            if (rd->gused[j] || lb[y->d] >= 0) continue;
            const char *r2 = gp + y->ref, *a2 = gp + y->alt;
            if (j == i || (!strcmp(r2, ref) && !strcmp(a2, alt))) swapped = 0;
            else if (!strcmp(r2, alt) && !strcmp(a2, ref)) swapped = 1;
            else continue;
            for (int d = 0; d < nd; d++)
                if (lb[d] >= 0 && rd->overlap[d * nd + y->d] && !rd->dup_first)
                    return dup_error(rd, &rd->v[nv], ref, alt, d, (int)y->d);
            rd->gused[j] = 1;
            variant_row(rd, nv, y, swapped);
            rd_r2_join(&minq, y->r2);
        }
        variant_end(rd, nv, minq);
    }
    return 0;
}

/* The next row of a single dataset into the window: a group of one row (the rows of one dataset
 * at a position are separate variants, as the merge makes them), without the group's copies. */
static int single_step(bcms_reader_t *rd)
{
    rd_cursor_t *c = &rd->cur[0];
    int rc = cursor_peek(rd, 0);
    if (rc) return rc;
    const bcms_site_t *s = &c->sites.v[c->row];
    if (c->rank < c->last_rank || (c->rank == c->last_rank && s->pos < c->last_pos))
        return bcms_err(BCMS_ECORRUPT, "%s: dataset %u is not in genomic order at %s:%lld; the store is damaged",
                        bcms_store_path(rd->st), rd->ds[0]->id, rd->contig_names[c->rank], (long long)s->pos);
    c->last_rank = c->rank, c->last_pos = s->pos;
    uint64_t nv;
    uint32_t off[3];
    if ((rc = variant_new(rd, c->rank, s->pos, &nv))) return rc;
    if (pool_add_site(&rd->pool, &c->sites, c->row, off)) return BCMS_ENOMEM;
    rd->v_str[nv * 4] = off[0], rd->v_str[nv * 4 + 1] = off[1], rd->v_str[nv * 4 + 2] = off[2];
    rd_entry_t y = {.d = 0, .block = c->cur, .row = c->row, .ac = s->ac, .an = s->an, .nhet = s->nhet,
                    .nhom = s->nhom, .nmiss = s->nmiss};
    variant_row(rd, nv, &y, 0);
    float minq = NAN;
    rd_r2_join(&minq, s->r2);
    variant_end(rd, nv, minq);
    c->row++;
    return 0;
}

/* The next merge position into the window (every variant there); 1 when every dataset has ended. */
static int merge_step(bcms_reader_t *rd)
{
    if (rd->nds == 1) return single_step(rd);
    uint32_t rank = UINT32_MAX;
    int64_t pos = INT64_MAX;
    int any = 0, rc;
    for (int d = 0; d < rd->nds; d++) {
        rd_cursor_t *c = &rd->cur[d];
        if ((rc = cursor_peek(rd, d)) == 1) continue;
        if (rc) return rc;
        int64_t p = c->sites.v[c->row].pos;
        if (c->rank < c->last_rank || (c->rank == c->last_rank && p < c->last_pos))
            return bcms_err(BCMS_ECORRUPT, "%s: dataset %u is not in genomic order at %s:%lld; the store is damaged",
                            bcms_store_path(rd->st), rd->ds[d]->id, rd->contig_names[c->rank], (long long)p);
        if (!any || c->rank < rank || (c->rank == rank && p < pos)) rank = c->rank, pos = p;
        any = 1;
    }
    if (!any) return 1;
    rd->ngrp = 0, rd->gpool.l = 0;
    for (int d = 0; d < rd->nds; d++) {
        rd_cursor_t *c = &rd->cur[d];
        if (c->cur == RD_NONE || c->row >= c->sites.nvar || c->rank != rank || c->sites.v[c->row].pos != pos) continue;
        c->last_rank = rank, c->last_pos = pos;
        if ((rc = group_take(rd, d, rank, pos))) return rc;
    }
    return group_merge(rd, rank, pos);
}

/* --extract / --exclude on window variants from .. nvar - 1 (ID, or CHR:POS:REF:ALT in either
 * allele order, or a BED range). */
static void lists_apply(bcms_reader_t *rd, uint64_t from)
{
    if (!rd->o.extract && !rd->o.exclude) return;
    for (uint64_t i = from; i < rd->nvar; i++) {
        const bcms_variant_t *v = &rd->v[i];
        const char *id = rd->pool.s + rd->v_str[i * 4], *ref = rd->pool.s + rd->v_str[i * 4 + 1],
                   *alt = rd->pool.s + rd->v_str[i * 4 + 2], *canon = rd->contig_canon[rd->v_str[i * 4 + 3]];
        rd->vkeep[i - from] = (!rd->o.extract || rd_varlist_match(&rd->ex, canon, v->pos, id, ref, alt)) &&
                             (!rd->o.exclude || !rd_varlist_match(&rd->xx, canon, v->pos, id, ref, alt));
    }
    rd_variants_compact(rd, from, rd->vkeep);
}

/* Site filters and the chunk on window variants from .. nvar - 1. */
static int filters_apply(bcms_reader_t *rd, uint64_t from, int mode)
{
    const bcms_reader_opts_t *o = &rd->o;
    int rc, filters = o->maf_min > 0 || o->mac_min > 0 || o->geno_max < 1 || o->hwe_min > 0;
    if (filters || o->need_counts) {
        if ((rc = rd_counts_range(rd, from, rd->vkeep))) return rc;
        rd->has_counts = 1;
        uint64_t before = rd->nvar;
        rd_variants_compact(rd, from, rd->vkeep);
        rd->nfiltered += before - rd->nvar;
    }
    if (mode == RD_FILL_COUNT || !o->chunk_n) {
        rd->seen += rd->nvar - from;
        return 0;
    }
    for (uint64_t i = from; i < rd->nvar; i++, rd->seen++) rd->vkeep[i - from] = rd->seen >= rd->chunk_lo && rd->seen < rd->chunk_hi;
    rd_variants_compact(rd, from, rd->vkeep);
    if (rd->seen >= rd->chunk_hi) rd->at_end = 1; /* the rest of the stream is another chunk's */
    return 0;
}

/* Drop the handed-out batches: the variants of the last, unfinished batch move to the front, their
 * strings (the pool's tail: variants append theirs in order) too, in place. */
static int window_shift(bcms_reader_t *rd)
{
    uint64_t k = rd->nrel ? rd->batch_first[rd->nrel] : 0, n = rd->nvar - k, nd = (uint64_t)rd->nds;
    if (!k && n) return 0;
    uint32_t off0 = n ? rd->v_str[k * 4] : (uint32_t)rd->pool.l;
    for (uint64_t i = k; i < rd->nvar; i++)
        for (int f = 0; f < 3; f++) rd->v_str[i * 4 + f] -= off0;
    if (off0) memmove(rd->pool.s, rd->pool.s + off0, rd->pool.l - off0);
    rd->pool.l -= off0;
    if (k && n) {
        memmove(rd->v, rd->v + k, sizeof *rd->v * n);
        memmove(rd->loc_block, rd->loc_block + k * nd, sizeof *rd->loc_block * n * nd);
        memmove(rd->loc_row, rd->loc_row + k * nd, sizeof *rd->loc_row * n * nd);
        memmove(rd->flip, rd->flip + k * nd, n * nd);
        memmove(rd->v_str, rd->v_str + k * 4, sizeof *rd->v_str * n * 4);
        memmove(rd->v_cnt, rd->v_cnt + k * nd * 5, sizeof *rd->v_cnt * n * nd * 5);
    }
    rd->v0 += k, rd->b0 += rd->nrel, rd->nvar = n, rd->nrel = 0;
    return 0;
}

/* Pages of the map touched so far: out of this process's memory (see the top). */
static void map_release(bcms_reader_t *rd)
{
    if (rd->stream) bcms_store_map_release(rd->st);
}

int rd_window_fill(bcms_reader_t *rd, int mode)
{
    int rc;
    rd->fill_mode = mode;
    if (mode != RD_FILL_SCAN) rd->nvar = 0, rd->nrel = 0, rd->pool.l = 0; /* a pass that keeps nothing */
    else if ((rc = window_shift(rd))) return rc;
    map_release(rd);
    for (;;) {
        /* cap counts the unfinished batch carried over too: a window of a long stream holds no
         * more than the first one (batches do not depend on where a window ends). A window below
         * one batch (--memory under ~1 MB) grows by half (at least cap candidates) at a time until
         * it ends one: a variant at a time, each step rebuilt the window's batches and counted its
         * variants again (quadratic: 4.2 s instead of 0.4 s for freq of 1M variants at --memory
         * 0.5). */
        uint64_t from = rd->nvar, more = rd->nvar / 2 > rd->cap ? rd->nvar / 2 : rd->cap;
        uint64_t until = rd->nvar < rd->cap ? rd->cap : rd->nvar + more;
        while (!rd->at_end && rd->nvar < until) {
            if ((rc = merge_step(rd)) == 1) rd->at_end = 1;
            else if (rc) return rc;
        }
        lists_apply(rd, from);
        if (mode == RD_FILL_MIND) break;
        if ((rc = filters_apply(rd, from, mode))) return rc;
        if (mode == RD_FILL_COUNT) {
            rd->nvar = 0, rd->pool.l = 0;
            if (rd->at_end) break;
            continue;
        }
        if ((rc = rd_batches_build(rd))) return rc;
        if (rd->at_end || rd->nbatch >= 2) break;
    }
    /* --minr2's report once the whole stream has passed (a counting pass, or a scan of it all) */
    if (rd->at_end && rd->o.minr2 > 0 && !rd->r2_reported && (mode == RD_FILL_COUNT || (mode == RD_FILL_SCAN && !rd->o.chunk_n))) {
        rd->r2_reported = 1;
        if ((rc = rd_r2_report(rd->o.minr2, rd->r2_with, rd->r2_without, rd->r2_dropped))) return rc;
    }
    if (mode != RD_FILL_SCAN) return 0;
    rd->nrel = rd->at_end ? rd->nbatch : rd->nbatch - 1;
    for (uint64_t i = 0; i < rd->nvar; i++) {
        rd->v[i].id = rd->pool.s + rd->v_str[i * 4];
        rd->v[i].ref = rd->pool.s + rd->v_str[i * 4 + 1];
        rd->v[i].alt = rd->pool.s + rd->v_str[i * 4 + 2];
    }
    return 0;
}

int bcms_reader_rewind(bcms_reader_t *rd)
{
    if (rd->stream) rd_stream_rewind(rd);
    else rd->handed = 0;
    return 0;
}

int bcms_reader_next(bcms_reader_t *rd, uint32_t *b0, uint32_t *nb)
{
    int rc;
    *b0 = rd->b0 + rd->nrel, *nb = 0;
    if (!rd->stream) { /* everything was read at open: one window */
        if (!rd->handed) *b0 = 0, *nb = rd->nbatch;
        rd->handed = 1;
        return 0;
    }
    if (rd->at_end && rd->nrel == rd->nbatch) {
        if (rd->nvar && (rc = window_shift(rd))) return rc;
        return 0;
    }
    if ((rc = rd_window_fill(rd, RD_FILL_SCAN))) return rc;
    *b0 = rd->b0, *nb = rd->nrel;
    return 0;
}

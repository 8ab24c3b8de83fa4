/* reader_batch.c: the samples chosen for batches, batch boundaries and decoding (reader.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "reader_internal.h"

void bcms_reader_batch_range(const bcms_reader_t *rd, uint32_t b, uint64_t *first, uint32_t *nvar)
{
    uint32_t l = b - rd->b0;
    *first = rd->v0 + rd->batch_first[l];
    *nvar = (uint32_t)(rd->batch_first[l + 1] - rd->batch_first[l]);
}

int64_t bcms_reader_batch_block(const bcms_reader_t *rd, uint32_t b)
{
    const uint64_t i = rd->batch_first[b - rd->b0];
    for (int d = 0; d < rd->nds; d++)
        if (rd->loc_block[i * rd->nds + d] >= 0) return (int64_t)d << 32 | rd->loc_block[i * rd->nds + d];
    return -1;
}

/* Batches: a new one where the first dataset having the variant moves to another block (so a block
 * is decoded once), or at RD_BATCH_MAX variants. Never depends on the thread count nor on the window:
 * a window starts where a batch does, and the rule looks back to the batch's start only. (A change
 * of the first dataset alone does not end a batch: cohort-private variants alternate.) */
int rd_batches_build(bcms_reader_t *rd)
{
    int64_t cur_d = -1, cur_b = -1;
    uint64_t start = 0;
    uint64_t *bf = realloc(rd->batch_first, sizeof *rd->batch_first * (rd->nvar + 2));
    if (!bf) return BCMS_ENOMEM;
    rd->batch_first = bf;
    rd->nbatch = 0;
    for (uint64_t i = 0; i < rd->nvar; i++) {
        int d = 0;
        while (d < rd->nds && rd->loc_block[i * rd->nds + d] < 0) d++;
        int64_t b = d < rd->nds ? rd->loc_block[i * rd->nds + d] : -1;
        if (i == start) {
            rd->batch_first[rd->nbatch++] = i;
            cur_d = d, cur_b = b;
        } else if ((d == cur_d && b != cur_b) || i - start >= RD_BATCH_MAX) {
            rd->batch_first[rd->nbatch++] = i;
            start = i;
            cur_d = d, cur_b = b;
        }
    }
    rd->batch_first[rd->nbatch] = rd->nvar;
    return 0;
}

void rd_sel_free(rd_sel_t *sel, int nds)
{
    for (int d = 0; d < nds; d++) {
        if (sel->sel_col) free(sel->sel_col[d]);
        if (sel->sel_out) free(sel->sel_out[d]);
    }
    free(sel->sel_col), free(sel->sel_out), free(sel->nsel_d), free(sel->sel_run);
    memset(sel, 0, sizeof *sel);
}

int rd_sel_set(bcms_reader_t *rd, rd_sel_t *sel, const uint32_t *idx, uint32_t n)
{
    int32_t *outpos = NULL;
    if (!sel->nsel_d) {
        if (!(sel->nsel_d = calloc(rd->nds, sizeof *sel->nsel_d)) ||
            !(sel->sel_col = calloc(rd->nds, sizeof *sel->sel_col)) ||
            !(sel->sel_out = calloc(rd->nds, sizeof *sel->sel_out)) || !(sel->sel_run = calloc(rd->nds, 1)))
            return BCMS_ENOMEM;
    }
    if (!(outpos = malloc(sizeof *outpos * (rd->nsamp + 1)))) return BCMS_ENOMEM;
    for (uint32_t i = 0; i < rd->nsamp; i++) outpos[i] = -1;
    for (uint32_t i = 0; i < n; i++) {
        if (idx[i] >= rd->nsamp) {
            free(outpos);
            return bcms_err(BCMS_EINVAL, "sample index %u out of range", idx[i]);
        }
        outpos[idx[i]] = (int32_t)i;
    }
    /* per dataset, every column whose sample is chosen (a sample held by several datasets is listed
     * in each: a variant takes it from the one that has the variant) */
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        free(sel->sel_col[d]);
        free(sel->sel_out[d]);
        sel->nsel_d[d] = 0;
        sel->sel_out[d] = NULL;
        if (!(sel->sel_col[d] = malloc(sizeof(uint32_t) * (ds->nsamples + 1))) ||
            !(sel->sel_out[d] = malloc(sizeof(uint32_t) * (ds->nsamples + 1)))) {
            free(outpos);
            return BCMS_ENOMEM;
        }
        for (uint32_t c = 0; c < ds->nsamples; c++) {
            uint32_t s = rd->col_samp[d][c];
            if (s == RD_NONE || outpos[s] < 0) continue;
            sel->sel_col[d][sel->nsel_d[d]] = c;
            sel->sel_out[d][sel->nsel_d[d]] = (uint32_t)outpos[s];
            sel->nsel_d[d]++;
        }
        const uint32_t *col = sel->sel_col[d], *oi = sel->sel_out[d], m = sel->nsel_d[d];
        uint32_t k = 0;
        while (k < m && col[k] == col[0] + k && oi[k] == oi[0] + k) k++;
        sel->sel_run[d] = m > 0 && k == m;
    }
    free(outpos);
    sel->nsel = n;
    return 0;
}

int bcms_reader_set_samples(bcms_reader_t *rd, const uint32_t *idx, uint32_t n)
{
    return rd_sel_set(rd, &rd->sel, idx, n);
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
    free(ws->fbuf.s);
    free(ws);
}

/* Block blk of dataset d decoded into ws->g[d] (kept: the next batch usually reads it again), as
 * bytes (with dosages when want_ds) or, want_ds BCMS_GT_DEC_PACKED, as 2-bit rows. */
static int load_block(const bcms_reader_t *rd, bcms_reader_ws_t *ws, int d, int32_t blk, int want_ds)
{
    const int packed = want_ds == BCMS_GT_DEC_PACKED, have = ws->cached_ds[d];
    if (ws->cached[d] == blk && (packed ? have == BCMS_GT_DEC_PACKED : have != BCMS_GT_DEC_PACKED && (!want_ds || have)))
        return 0;
    const bcms_dataset_t *dd = rd->ds[d];
    char what[256];
    int rc;
    snprintf(what, sizeof what, "%s: dataset %u (%s) block %d (genotypes)", bcms_store_path(rd->st), dd->id,
             dd->cohort, blk);
    ws->cached[d] = -1;
    const void *frame;
    if ((rc = rd_fetch(&rd->fetch, rd->frame_p[d][blk], rd->frame_n[d][blk], &ws->fbuf, &frame, what)) ||
        (rc = bcms_frame_unpack(ws->codec, BCMS_FRAME_GT, frame, rd->frame_n[d][blk], &ws->raw, what)) ||
        (rc = bcms_gt_decode(ws->raw.s, ws->raw.l, dd->blocks[blk].nvar, dd->nsamples,
                             packed ? BCMS_GT_DEC_PACKED : want_ds ? BCMS_GT_DEC_DS : 0, &ws->g[d], what)))
        return rc;
    ws->cached[d] = blk;
    ws->cached_ds[d] = packed ? BCMS_GT_DEC_PACKED : want_ds != 0;
    return 0;
}

/* The in-place case of batch_in_place (one dataset, every sample in order, the batch's variants
 * consecutive rows of one block, none flipped): 1 with the block and the batch's first row, 0 when
 * it is not this case. */
static int batch_block_rows(const bcms_reader_t *rd, const rd_sel_t *sel, uint64_t first, uint32_t nv, int32_t *blk,
                            uint32_t *row0)
{
    if (rd->nds != 1 || !sel->sel_run || !sel->sel_run[0] || sel->nsel_d[0] != sel->nsel || sel->sel_col[0][0] != 0 ||
        sel->sel_out[0][0] != 0 || sel->nsel != rd->ds[0]->nsamples)
        return 0;
    *blk = rd->loc_block[first], *row0 = rd->loc_row[first];
    if (*blk < 0) return 0;
    for (uint32_t i = 0; i < nv; i++)
        if (rd->loc_block[first + i] != *blk || rd->loc_row[first + i] != *row0 + i || rd->flip[first + i]) return 0;
    return 1;
}

int bcms_reader_batch_packed(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint32_t b, const uint8_t **rows,
                             size_t *stride)
{
    uint32_t l = b - rd->b0, row0;
    int32_t blk;
    if (b < rd->b0 || l >= rd->nrel)
        return bcms_err(BCMS_EINVAL, "batch %u is outside the reader's window (%u..%u)", b, rd->b0, rd->b0 + rd->nrel);
    if (!batch_block_rows(rd, &rd->sel, rd->batch_first[l], (uint32_t)(rd->batch_first[l + 1] - rd->batch_first[l]),
                          &blk, &row0))
        return 0;
    int rc = load_block(rd, ws, 0, blk, BCMS_GT_DEC_PACKED);
    if (rc) return rc;
    *stride = ws->g[0].pstride;
    *rows = ws->g[0].codes + (size_t)row0 * *stride;
    return 1;
}

/* Batch b as rows of one decoded block, without a copy: one dataset, every one of its samples
 * selected in their order, the batch's variants consecutive rows of one block, none flipped, and
 * dosages stored when asked for. Returns 1 (pointers set), 0 (not this case) or an error. */
static int batch_in_place(const bcms_reader_t *rd, const rd_sel_t *sel, bcms_reader_ws_t *ws, uint64_t first,
                          uint32_t nv, const uint8_t **codes, const float **ds)
{
    int32_t blk;
    uint32_t row0;
    if (!batch_block_rows(rd, sel, first, nv, &blk, &row0) || (ds && !(rd->ds[0]->flags & BCMS_DS_HAS_DS))) return 0;
    int rc = load_block(rd, ws, 0, blk, ds != NULL);
    if (rc) return rc;
    const bcms_gtblock_t *g = &ws->g[0];
    *codes = g->codes + (size_t)row0 * g->nsamp;
    if (ds) *ds = g->ds + (size_t)row0 * g->nsamp;
    return 1;
}

/* Variant vi's calls from dataset d (when it has the variant) into its chosen samples' outputs. */
static int batch_row(const bcms_reader_t *rd, const rd_sel_t *sel, bcms_reader_ws_t *ws, uint64_t vi, int d,
                     uint8_t *out, float *dout)
{
    int32_t blk = rd->loc_block[vi * rd->nds + d];
    const uint32_t *col = sel->sel_col[d], *oi = sel->sel_out[d];
    uint32_t m = sel->nsel_d[d];
    int rc;
    if (!m || blk < 0) return 0;
    int want_ds = dout && (rd->ds[d]->flags & BCMS_DS_HAS_DS);
    if ((rc = load_block(rd, ws, d, blk, want_ds))) return rc;
    const bcms_gtblock_t *g = &ws->g[d];
    uint32_t row = rd->loc_row[vi * rd->nds + d];
    const uint8_t *src = g->codes + (size_t)row * g->nsamp;
    int flip = rd->flip[vi * rd->nds + d];
    if (sel->sel_run[d]) { /* e.g. every sample of a single-cohort store: one run */
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
    if (!dout) return 0;
    if (want_ds && sel->sel_run[d]) {
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
    return 0;
}

int bcms_reader_batch(const bcms_reader_t *rd, bcms_reader_ws_t *ws, uint32_t b, const uint8_t **codes,
                      const float **ds)
{
    uint32_t l = b - rd->b0;
    if (b < rd->b0 || l >= rd->nrel)
        return bcms_err(BCMS_EINVAL, "batch %u is outside the reader's window (%u..%u)", b, rd->b0, rd->b0 + rd->nrel);
    return rd_decode(rd, &rd->sel, ws, rd->batch_first[l], (uint32_t)(rd->batch_first[l + 1] - rd->batch_first[l]),
                     codes, ds);
}

int rd_decode(const bcms_reader_t *rd, const rd_sel_t *sel, bcms_reader_ws_t *ws, uint64_t first, uint32_t nv,
              const uint8_t **codes, const float **ds)
{
    uint32_t n = sel->nsel;
    size_t cells;
    int rc;
    if ((rc = batch_in_place(rd, sel, ws, first, nv, codes, ds))) return rc < 0 ? rc : 0;
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
        /* samples no dataset holding the variant has are missing; with dup_rule first the datasets
         * are written last to first so that the first one's call stays */
        int covered = 0;
        for (int d = 0; d < rd->nds; d++)
            if (rd->loc_block[vi * rd->nds + d] >= 0) covered += sel->nsel_d[d];
        if (covered != (int)n || rd->dup_first) {
            memset(out, 3, n);
            if (dout)
                for (uint32_t k = 0; k < n; k++) dout[k] = NAN;
        }
        for (int dd = rd->nds - 1; dd >= 0; dd--) {
            int d = rd->dup_first ? dd : rd->nds - 1 - dd;
            if ((rc = batch_row(rd, sel, ws, vi, d, out, dout))) return rc;
        }
    }
    *codes = ws->codes;
    if (ds) *ds = ws->dsv;
    return 0;
}

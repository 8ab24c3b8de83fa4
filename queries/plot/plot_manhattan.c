/* plot_manhattan.c: -log10 p along the genome, chromosomes side by side in numeric order.
 *
 * Drawing cost is bounded whatever the row count: every point above the suggestive line (-log10 p
 * = 5 by default: the ones a reader looks at) is drawn, and below it one point per cell of
 * MH_CELL x MH_CELL device pixels (a bitmap over the canvas), which looks the same since a point is
 * wider than a cell. At 10 million rows that is ~80,000 points instead of 10 million (an SVG of a
 * few MB instead of a GB). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plot_internal.h"

#define MH_CELL 1.5             /* thinning cell, device pixels (the point radius is 1.8) */
#define MH_LOCUS_BP 500000u     /* hits closer than this on one chromosome are one locus */
#define MH_RADIUS 1.8

typedef struct {
    int *order;                 /* chromosome indices in plotting order */
    double *offset;             /* x of each chromosome's minpos (by chromosome index) */
    double gap, total;
} mh_layout_t;

static const plot_chrom_t *g_sort_chr; /* qsort has no context argument; single-threaded by contract */

static int cmp_chrom(const void *a, const void *b)
{
    const plot_chrom_t *x = &g_sort_chr[*(const int *)a], *y = &g_sort_chr[*(const int *)b];
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_hit_desc(const void *a, const void *b)
{
    const plot_hit_t *x = a, *y = b;
    if (x->y != y->y) return x->y > y->y ? -1 : 1;
    return x->chrom != y->chrom ? (x->chrom < y->chrom ? -1 : 1) : (x->pos < y->pos ? -1 : x->pos > y->pos);
}

/* Cumulative x: chromosomes in order, each as wide as its span of positions, a small gap between. */
static int layout_x(const plot_data_t *d, mh_layout_t *L)
{
    double span = 0;
    if (!(L->order = malloc(sizeof *L->order * (size_t)d->nchr)) ||
        !(L->offset = malloc(sizeof *L->offset * (size_t)d->nchr)))
        return BCMS_ENOMEM;
    for (int i = 0; i < d->nchr; i++) {
        L->order[i] = i;
        span += (double)d->chr[i].maxpos - d->chr[i].minpos + 1;
    }
    g_sort_chr = d->chr;
    qsort(L->order, (size_t)d->nchr, sizeof *L->order, cmp_chrom);
    L->gap = span * (d->nchr > 1 ? 0.006 : 0.02);
    double x = 0;
    for (int k = 0; k < d->nchr; k++) {
        const plot_chrom_t *c = &d->chr[L->order[k]];
        double w = (double)c->maxpos - c->minpos + 1;
        if (w < L->gap) w = L->gap; /* a chromosome with one variant still gets a visible column */
        L->offset[L->order[k]] = x + 0.5 * (w - ((double)c->maxpos - c->minpos + 1));
        x += w + (k + 1 < d->nchr ? L->gap : 0);
    }
    L->total = x;
    return 0;
}

static double row_x(const plot_data_t *d, const mh_layout_t *L, uint32_t chr, uint32_t pos)
{
    return L->offset[chr] + ((double)pos - d->chr[chr].minpos);
}

static void chrom_colour(cairo_t *cr, int k)
{
    if (k & 1) cairo_set_source_rgb(cr, 0.45, 0.63, 0.82);
    else cairo_set_source_rgb(cr, 0.10, 0.27, 0.50);
}

/* The points, one fill per run of a chromosome; returns the number drawn or BCMS_ENOMEM. */
static int64_t draw_points(plot_canvas_t *c, const plot_data_t *d, const mh_layout_t *L, const int *rank_of,
                           double keep_all_above)
{
    long cw = (long)ceil(c->w / MH_CELL), chh = (long)ceil(c->h / MH_CELL);
    size_t nbits = (size_t)cw * chh;
    uint8_t *seen = calloc((nbits + 7) / 8, 1);
    int64_t drawn = 0;
    if (!seen) return BCMS_ENOMEM;
    for (size_t r = 0; r < d->nruns; r++) {
        uint32_t chr = d->runs[r].chrom;
        uint64_t end = r + 1 < d->nruns ? d->runs[r + 1].start : d->n;
        chrom_colour(c->cr, rank_of[chr]);
        for (uint64_t i = d->runs[r].start; i < end; i++) {
            double px = plot_px(c, row_x(d, L, chr, d->pos[i])), py = plot_py(c, d->y[i]);
            if (d->y[i] <= keep_all_above) {
                long ix = (long)(px / MH_CELL), iy = (long)(py / MH_CELL);
                if (ix < 0 || iy < 0 || ix >= cw || iy >= chh) continue;
                size_t b = (size_t)iy * cw + ix;
                if (seen[b >> 3] & (1u << (b & 7))) continue;
                seen[b >> 3] |= (uint8_t)(1u << (b & 7));
            }
            plot_dot(c, px, py);
            drawn++;
        }
        plot_dots_end(c, MH_RADIUS);
    }
    free(seen);
    return drawn;
}

/* Chromosome names under their centres, on a second row where a name would touch its neighbour. */
static void draw_chrom_axis(plot_canvas_t *c, const plot_data_t *d, const mh_layout_t *L)
{
    double last_right[2] = {-1e9, -1e9};
    cairo_set_line_width(c->cr, 1);
    for (int k = 0; k < d->nchr; k++) {
        const plot_chrom_t *ch = &d->chr[L->order[k]];
        double mid = L->offset[L->order[k]] + 0.5 * ((double)ch->maxpos - ch->minpos);
        double x = round(plot_px(c, mid)) + 0.5, w = plot_text_width(c, ch->name, 11);
        int row = x - w / 2 > last_right[0] + 3 ? 0 : x - w / 2 > last_right[1] + 3 ? 1 : -1;
        if (row < 0) continue;
        last_right[row] = x + w / 2;
        cairo_set_source_rgb(c->cr, 0, 0, 0);
        cairo_move_to(c->cr, x, c->bottom + 0.5);
        cairo_line_to(c->cr, x, c->bottom + (row ? 16 : 5));
        cairo_stroke(c->cr);
        cairo_set_source_rgb(c->cr, PLOT_RGB_CHROM_LABEL);
        plot_text(c, x, c->bottom + 7 + row * 12, ch->name, 11, 0.5, 0);
    }
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    plot_text(c, 0.5 * (c->left + c->right), c->bottom + 34, "Chromosome", 14, 0.5, 0);
}

typedef struct {
    double x0, y0, x1, y1;
} mh_box_t;

static int box_overlaps(const mh_box_t *b, const mh_box_t *placed, int n)
{
    for (int i = 0; i < n; i++)
        if (b->x0 < placed[i].x1 && placed[i].x0 < b->x1 && b->y0 < placed[i].y1 && placed[i].y0 < b->y1) return 1;
    return 0;
}

/* The best variant of each locus below the suggestive line, a few, labelled with its ID; a label
 * that would cover another moves up (with a leader line) or, failing that, is left out. */
static int draw_hits(plot_canvas_t *c, const bcms_plot_opts_t *o, plot_data_t *d, const mh_layout_t *L)
{
    mh_box_t placed[64];
    int np = 0, nlab = 0, cap = o->hits < 64 ? o->hits : 64;
    size_t nsel = 0;
    if (d->nhits > 1) qsort(d->hits, d->nhits, sizeof *d->hits, cmp_hit_desc);
    for (size_t i = 0; i < d->nhits && (int)nsel < cap; i++) {
        plot_hit_t *h = &d->hits[i];
        int same = 0;
        for (size_t j = 0; j < nsel && !same; j++)
            same = d->hits[j].chrom == h->chrom && (h->pos > d->hits[j].pos ? h->pos - d->hits[j].pos
                                                     : d->hits[j].pos - h->pos) < MH_LOCUS_BP;
        if (same) continue;
        plot_hit_t t = d->hits[nsel]; /* keep the selected ones at the front */
        d->hits[nsel] = *h, *h = t;
        nsel++;
    }
    for (size_t j = 0; j < nsel; j++) {
        const plot_hit_t *h = &d->hits[j];
        double px = plot_px(c, row_x(d, L, h->chrom, h->pos)), py = plot_py(c, h->y);
        double w = plot_text_width(c, h->id, 11), tx = px;
        if (tx - w / 2 < c->left) tx = c->left + w / 2;
        if (tx + w / 2 > c->right) tx = c->right - w / 2;
        mh_box_t b = {tx - w / 2 - 2, py - 19, tx + w / 2 + 2, py - 5};
        int tries = 0;
        while (box_overlaps(&b, placed, np) && tries < 6) b.y0 -= 15, b.y1 -= 15, tries++;
        if (tries == 6 || b.y0 < 2) continue;
        placed[np++] = b;
        cairo_set_source_rgb(c->cr, 0.75, 0.1, 0.1);
        cairo_arc(c->cr, px, py, MH_RADIUS + 1.2, 0, 2 * M_PI);
        cairo_fill(c->cr);
        if (tries) {
            cairo_set_line_width(c->cr, 0.6);
            cairo_move_to(c->cr, px, py - 3);
            cairo_line_to(c->cr, tx, b.y1);
            cairo_stroke(c->cr);
        }
        cairo_set_source_rgb(c->cr, PLOT_RGB_HIT_LABEL);
        plot_text(c, tx, b.y1 - 2, h->id, 11, 0.5, 1);
        nlab++;
    }
    return nlab;
}

int plot_manhattan(const bcms_plot_opts_t *o, plot_data_t *d, bcms_plot_stats_t *st)
{
    mh_layout_t L = {0};
    plot_canvas_t c = {0};
    int *rank_of = NULL, rc;
    int64_t drawn;
    if ((rc = layout_x(d, &L))) goto fail;
    if (!(rank_of = malloc(sizeof *rank_of * (size_t)d->nchr))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    for (int k = 0; k < d->nchr; k++) rank_of[L.order[k]] = k;
    if ((rc = plot_canvas_open(&c, o->out, o->width ? o->width : 1600, o->height ? o->height : 640))) goto fail;
    c.left = 70, c.right = c.w - 20, c.top = o->title && *o->title ? 40 : 20, c.bottom = c.h - 56;
    c.x0 = -0.5 * L.gap, c.x1 = L.total + 0.5 * L.gap, c.y0 = 0;
    double ymax = st->max_log10p;
    if (o->sig > 0 && -log10(o->sig) + 0.5 > ymax) ymax = -log10(o->sig) + 0.5;
    c.y1 = ymax * 1.08 + 0.2;
    if ((drawn = draw_points(&c, d, &L, rank_of, o->sugg > 0 ? -log10(o->sugg) : o->sig > 0 ? -log10(o->sig) : 5)) < 0) {
        rc = (int)drawn;
        goto fail;
    }
    if (o->sugg > 0 && o->sugg < 1) plot_hline_dashed(&c, -log10(o->sugg), 0.2, 0.45, 0.85);
    if (o->sig > 0 && o->sig < 1) plot_hline_dashed(&c, -log10(o->sig), 0.85, 0.1, 0.1);
    st->nlabels = o->hits > 0 ? draw_hits(&c, o, d, &L) : 0;
    plot_axes_y(&c, "\xe2\x88\x92log\xe2\x82\x81\xe2\x82\x80(p)");
    draw_chrom_axis(&c, d, &L);
    plot_title(&c, o->title);
    st->drawn = (uint64_t)drawn;
    st->nchrom = d->nchr;
    rc = plot_canvas_close(&c);
fail:
    plot_canvas_free(&c);
    free(rank_of);
    free(L.order);
    free(L.offset);
    return rc;
}

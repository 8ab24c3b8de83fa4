/* plot_internal.h: what the reader hands to the Manhattan and QQ plots, and the cairo canvas they
 * share with the xy plot. */
#ifndef BCMS_PLOT_INTERNAL_H
#define BCMS_PLOT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <cairo.h>

#include "plot.h"

/* Open cairo when it is opened on first use (cairo_load.c); 0 when linked. */
int plot_lib_open(void);

typedef struct {
    char name[48];       /* canonical (contig.h); GWAS-SSF 25 is MT there */
    int rank;            /* bcms_contig_rank */
    uint32_t minpos, maxpos;
} plot_chrom_t;

/* Rows [start, next run's start) lie on chromosome `chrom`: inputs are sorted by chromosome, so a
 * handful of runs replaces a per-row chromosome index. */
typedef struct {
    uint32_t chrom;
    uint64_t start;
} plot_run_t;

/* A row that may get a label: -log10 p at least plot_data_t.hit_min. */
typedef struct {
    float y;
    uint32_t pos;
    uint32_t chrom;
    char *id;            /* owned */
} plot_hit_t;

typedef struct {
    /* what to keep (set before plot_read) */
    int keep_pos;        /* Manhattan: positions and chromosomes; QQ: -log10 p alone */
    double hit_min;      /* keep IDs of rows with -log10 p >= this (INFINITY: none) */
    /* the rows kept, in file order */
    uint64_t n, cap;
    float *y;            /* -log10 p */
    uint32_t *pos;       /* keep_pos only */
    plot_run_t *runs;
    size_t nruns, runcap;
    plot_chrom_t *chr;
    int nchr, chrcap;
    plot_hit_t *hits;
    size_t nhits, hitcap;
    double median_p;     /* QQ: set by plot_qq from the sorted values */
} plot_data_t;

/* Stream o->in into d (see plot.h for the formats and the rules); fills st's counts and format.
 * On failure d holds what was read so far: the caller frees it with plot_data_free. */
int plot_read(const bcms_plot_opts_t *o, plot_data_t *d, bcms_plot_stats_t *st);
void plot_data_free(plot_data_t *d);

/* The two drawings; each opens, draws and closes o->out. */
int plot_manhattan(const bcms_plot_opts_t *o, plot_data_t *d, bcms_plot_stats_t *st);
int plot_qq(const bcms_plot_opts_t *o, plot_data_t *d, bcms_plot_stats_t *st);
/* The xy plot reads its own small table (see plot_xy.c) and draws it. */
int plot_xy(const bcms_plot_opts_t *o, bcms_plot_stats_t *st);

/* The q quantile of Beta(a, b), for the QQ band; NaN for arguments out of range. */
double plot_beta_quantile(double q, double a, double b);

/* ---- canvas: a cairo surface (PNG or SVG from the extension) with one data rectangle ---- */
typedef struct {
    cairo_surface_t *surf;
    cairo_t *cr;
    const char *path;
    char *tmp;                         /* path.part, renamed onto path when complete */
    int svg, w, h;
    double left, right, top, bottom;   /* data rectangle in device units */
    double x0, x1, y0, y1;             /* data range mapped onto it */
} plot_canvas_t;

/* Colours with exact percentages, so that an SVG can be checked by its fill/stroke styles. The
 * chromosome labels alone use PLOT_RGB_CHROM_LABEL, the labels of hits alone PLOT_RGB_HIT_LABEL. */
#define PLOT_RGB_CHROM_LABEL 0.2, 0.2, 0.2
#define PLOT_RGB_HIT_LABEL 0.6, 0.0, 0.0
#define PLOT_RGB_LEGEND_LABEL 0.1, 0.1, 0.1 /* xy: the legend's series names alone */

/* Open path for writing as PNG or SVG of w x h; 0 or BCMS_EINVAL (extension) / BCMS_EIO / BCMS_ENOMEM.
 * The image is written to path.part and renamed onto path by plot_canvas_close, so a failed or
 * killed run leaves no partial image. */
int plot_canvas_open(plot_canvas_t *c, const char *path, int w, int h);
/* Finish and write the file; 0 or BCMS_EIO. Always releases the canvas. plot_canvas_free alone
 * discards the image (removes path.part). */
int plot_canvas_close(plot_canvas_t *c);
void plot_canvas_free(plot_canvas_t *c);

static inline double plot_px(const plot_canvas_t *c, double x)
{
    return c->left + (x - c->x0) / (c->x1 - c->x0) * (c->right - c->left);
}
static inline double plot_py(const plot_canvas_t *c, double y)
{
    return c->bottom - (y - c->y0) / (c->y1 - c->y0) * (c->bottom - c->top);
}

/* Text with its anchor at (x, y): ha 0 left, 0.5 centre, 1 right; va 0 top, 0.5 middle, 1 baseline. */
void plot_text(plot_canvas_t *c, double x, double y, const char *s, double size, double ha, double va);
/* The same text rotated 90 degrees counter-clockwise, centred on (x, y) (the y-axis title). */
void plot_text_vertical(plot_canvas_t *c, double x, double y, const char *s, double size);
double plot_text_width(plot_canvas_t *c, const char *s, double size);
/* A round step for ticks over range with at most max_ticks ticks (1, 2, 5 times a power of ten). */
double plot_tick_step(double range, int max_ticks);
/* Frame of the data rectangle, the y axis with ticks and its title, and the title over the plot. */
void plot_axes_y(plot_canvas_t *c, const char *ytitle);
/* x ticks at round values of the data range (the QQ plot) with their numbers and the axis title. */
void plot_axes_x_numeric(plot_canvas_t *c, const char *xtitle);
void plot_title(plot_canvas_t *c, const char *title);
/* Dots: plot_dot adds one to the current path, plot_dots_end draws them all in the current colour.
 * A dot is a zero-length segment with round caps (a disc of the given radius): an SVG stays ~25
 * bytes per point, where arcs cost ~150. */
void plot_dot(plot_canvas_t *c, double x, double y);
void plot_dots_end(plot_canvas_t *c, double radius);
/* A dashed horizontal line across the data rectangle at data value y. */
void plot_hline_dashed(plot_canvas_t *c, double y, double r, double g, double b);

#endif

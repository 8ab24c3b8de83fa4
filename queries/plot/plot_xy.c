/* plot_xy.c: lines with markers of y against x, one per series, from a table `series x y`
 * (tab-separated; a series name may hold spaces). Made for benchmark curves (time or memory against
 * cohort size), so the axes may be logarithmic, with ticks at decades (1,000 10k 100k 1M) and, when a
 * range spans less than ~2 decades, at 2, 3 and 5 times them too.
 *
 * The table is small (one row a measurement): it is held whole. Series keep the order of their first
 * row; within a series the line joins the points in x order. Values "NA" or empty are skipped and
 * counted; anything else that is not a finite number, or not positive on a log axis, is an error
 * naming the file and line (a dropped point would silently change a curve). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "plot_internal.h"

#define XY_MAX_SERIES 64
#define XY_MAX_TICKS 64
#define XY_RADIUS 3.4
#define XY_NCOLOUR 10

/* Colour-blind-safe first (Okabe-Ito), then four more distinct hues; shapes change every
 * XY_NCOLOUR series so that no two series look alike up to 40. */
static const double xy_colour[XY_NCOLOUR][3] = {
    {0.00, 0.45, 0.70}, {0.90, 0.38, 0.00}, {0.00, 0.62, 0.45}, {0.80, 0.47, 0.65}, {0.34, 0.71, 0.91},
    {0.84, 0.15, 0.16}, {0.40, 0.40, 0.40}, {0.94, 0.75, 0.00}, {0.55, 0.34, 0.29}, {0.58, 0.40, 0.74}};

typedef struct {
    int s;            /* series index */
    double x, y;
    size_t line;      /* input line: a stable order for equal x */
} xy_point_t;

typedef struct {
    char *name[XY_MAX_SERIES];
    int nser;
    xy_point_t *p;
    size_t n, cap;
} xy_data_t;

static void xy_free(xy_data_t *d)
{
    for (int i = 0; i < d->nser; i++) free(d->name[i]);
    free(d->p);
}

static int is_na(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, "nan") || !strcmp(s, "NaN");
}

/* One value of a data row; 1 if NA, 0 if a number, or an error. */
static int parse_value(const bcms_plot_opts_t *o, size_t line, const char *what, const char *s, int log_axis,
                       double *v)
{
    char *end;
    if (is_na(s)) return 1;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || *end || !isfinite(*v))
        return bcms_err(BCMS_EINPUT, "%s:%zu: %s '%s' is not a finite number (NA skips the row)", o->in, line,
                        what, s);
    if (log_axis && !(*v > 0))
        return bcms_err(BCMS_EINPUT, "%s:%zu: %s = %s on a log axis (--log-%s): only positive values have a "
                        "logarithm; drop the row or plot without --log-%s", o->in, line, what, s, what, what);
    return 0;
}

static int series_index(xy_data_t *d, const char *name, const char *in, size_t line)
{
    for (int i = 0; i < d->nser; i++)
        if (!strcmp(d->name[i], name)) return i;
    if (d->nser == XY_MAX_SERIES)
        return bcms_err(BCMS_EINPUT, "%s:%zu: more than %d series ('%s')", in, line, XY_MAX_SERIES, name);
    if (!(d->name[d->nser] = strdup(name))) return BCMS_ENOMEM;
    return d->nser++;
}

/* Split a line on tabs into exactly 3 fields (in place); the number of fields found otherwise. */
static int split3(char *s, char **f)
{
    int n = 0;
    for (char *t = s;; t++) {
        if (n < 3) f[n] = t;
        n++;
        t = strchr(t, '\t');
        if (!t) break;
        *t = 0;
    }
    return n;
}

static int add_row(const bcms_plot_opts_t *o, xy_data_t *d, char *s, size_t line, bcms_plot_stats_t *st)
{
    char *f[3];
    double x, y;
    int nf = split3(s, f), rx, ry, si;
    if (nf != 3)
        return bcms_err(BCMS_EINPUT, "%s:%zu: %d tab-separated fields, expected 3 (series, x, y)", o->in, line,
                        nf);
    if (!*f[0]) return bcms_err(BCMS_EINPUT, "%s:%zu: empty series name", o->in, line);
    st->rows++;
    if ((rx = parse_value(o, line, "x", f[1], o->log_x, &x)) < 0) return rx;
    if ((ry = parse_value(o, line, "y", f[2], o->log_y, &y)) < 0) return ry;
    if (rx || ry) {
        st->na++;
        return 0;
    }
    if ((si = series_index(d, f[0], o->in, line)) < 0) return si;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 64;
        xy_point_t *p = realloc(d->p, sizeof *p * cap);
        if (!p) return BCMS_ENOMEM;
        d->p = p, d->cap = cap;
    }
    d->p[d->n++] = (xy_point_t){si, x, y, line};
    return 0;
}

static int xy_read(const bcms_plot_opts_t *o, xy_data_t *d, bcms_plot_stats_t *st)
{
    int std = !strcmp(o->in, "-"), rc = 0;
    FILE *fp = std ? stdin : fopen(o->in, "r");
    char *buf = NULL, *f[3];
    size_t cap = 0, line = 0;
    ssize_t len;
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open: %s", o->in, strerror(errno));
    while ((len = getline(&buf, &cap, fp)) >= 0) {
        line++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) buf[--len] = 0;
        if (line == 1) {
            char head[64];
            snprintf(head, sizeof head, "%s", buf);
            if (split3(buf, f) != 3 || strcmp(f[0], "series") || strcmp(f[1], "x") || strcmp(f[2], "y")) {
                rc = bcms_err(BCMS_EINPUT, "%s:1: the header must be 'series<TAB>x<TAB>y', found '%s'", o->in,
                              head);
                goto done;
            }
            continue;
        }
        if (!len) continue; /* a trailing blank line */
        if ((rc = add_row(o, d, buf, line, st))) goto done;
    }
    if (ferror(fp)) rc = bcms_err(BCMS_EIO, "%s: read error: %s", o->in, strerror(errno));
    else if (!line) rc = bcms_err(BCMS_EINPUT, "%s: empty file (expected the header 'series<TAB>x<TAB>y')", o->in);
    else if (!d->n)
        rc = bcms_err(BCMS_EINPUT, "%s: no point to plot (%llu rows, %llu with NA)", o->in,
                      (unsigned long long)st->rows, (unsigned long long)st->na);
done:
    free(buf);
    if (!std) fclose(fp);
    return rc;
}

static int cmp_point(const void *a, const void *b)
{
    const xy_point_t *p = a, *q = b;
    if (p->s != q->s) return p->s < q->s ? -1 : 1;
    if (p->x != q->x) return p->x < q->x ? -1 : 1;
    return p->line < q->line ? -1 : p->line > q->line;
}

/* ---- axes ---- */

typedef struct {
    int log;
    double lo, hi;                 /* data range, in data units */
    double major[XY_MAX_TICKS];    /* labelled ticks, data units */
    int nmajor;
    double minor[XY_MAX_TICKS];    /* unlabelled ticks (log axes: 2..9 times a decade) */
    int nminor;
    double step;                   /* linear axes: the tick step (for the decimals) */
} xy_axis_t;

static double tr(const xy_axis_t *a, double v)
{
    return a->log ? log10(v) : v;
}

/* The drawn range: the data's, padded by 5% of its span (in log units on a log axis). */
static void axis_range(xy_axis_t *a, double lo, double hi, double *t0, double *t1)
{
    double u = tr(a, lo), v = tr(a, hi), pad = (v - u) * 0.05;
    if (!a->log && lo >= 0 && lo < 0.4 * hi) u = 0, pad = v * 0.05; /* start a linear axis at 0 when near it */
    if (!(pad > 0)) pad = a->log ? 0.15 : fabs(u) > 0 ? fabs(u) * 0.1 : 1;
    *t0 = u == 0 && !a->log ? 0 : u - pad;
    *t1 = v + pad;
}

/* Log ticks: decades inside [t0, t1]; with fewer than 3 of them also 2, 3 and 5 times each (the
 * benchmark sizes 1,000 3,000 10k), and with fewer than 3 still every integer multiple. */
static void log_ticks(xy_axis_t *a, double t0, double t1)
{
    static const double sets[3][10] = {{1}, {1, 2, 3, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
    static const int nset[3] = {1, 4, 9};
    int k0 = (int)floor(t0), k1 = (int)ceil(t1);
    for (int s = 0; s < 3; s++) {
        a->nmajor = a->nminor = 0;
        for (int k = k0; k <= k1; k++)
            for (int m = 1; m <= 9; m++) {
                double v = m * pow(10, k), t = log10(v);
                if (t < t0 - 1e-9 || t > t1 + 1e-9) continue;
                int is_major = 0;
                for (int j = 0; j < nset[s]; j++) is_major |= sets[s][j] == m;
                if (is_major && a->nmajor < XY_MAX_TICKS) a->major[a->nmajor++] = v;
                else if (!is_major && a->nminor < XY_MAX_TICKS) a->minor[a->nminor++] = v;
            }
        if (a->nmajor >= 3) return;
    }
}

static void axis_ticks(xy_axis_t *a, double t0, double t1)
{
    if (a->log) {
        log_ticks(a, t0, t1);
        return;
    }
    a->step = plot_tick_step(t1 - t0, 8);
    a->nmajor = a->nminor = 0;
    for (double k = ceil(t0 / a->step - 1e-9); k * a->step <= t1 + a->step * 1e-9 && a->nmajor < XY_MAX_TICKS; k++)
        a->major[a->nmajor++] = fabs(k) < 1e-9 ? 0 : k * a->step;
}

/* 1,000 below ten thousand, then 10k, 250k, 1M, 2.5G; decimals as the step needs (linear) or %g. */
static void tick_text(char *buf, size_t n, double v, double step)
{
    double a = fabs(v);
    static const struct { double f; const char *s; } sfx[] = {{1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}};
    if (a >= 1e4)
        for (int i = 0; i < 4; i++)
            if (a >= sfx[i].f || i == 3) {
                snprintf(buf, n, "%.4g%s", v / sfx[i].f, sfx[i].s);
                return;
            }
    if (a >= 1 && v == round(v)) {
        long x = lround(a);
        if (x >= 1000) snprintf(buf, n, "%s%ld,%03ld", v < 0 ? "-" : "", x / 1000, x % 1000);
        else snprintf(buf, n, "%s%ld", v < 0 ? "-" : "", x);
        return;
    }
    if (step > 0 && step < 1 && step >= 1e-4) snprintf(buf, n, "%.*f", (int)ceil(-log10(step) - 1e-9), v);
    else snprintf(buf, n, "%g", v);
}

static double label_width(plot_canvas_t *c, const xy_axis_t *a)
{
    char buf[32];
    double w = 0;
    for (int i = 0; i < a->nmajor; i++) {
        tick_text(buf, sizeof buf, a->major[i], a->step);
        double t = plot_text_width(c, buf, 12);
        if (t > w) w = t;
    }
    return w;
}

/* Light grid at the labelled ticks, under the data. */
static void draw_grid(plot_canvas_t *c, const xy_axis_t *ax, const xy_axis_t *ay)
{
    cairo_set_source_rgb(c->cr, 0.90, 0.90, 0.90);
    cairo_set_line_width(c->cr, 1);
    for (int i = 0; i < ax->nmajor; i++) {
        double x = round(plot_px(c, tr(ax, ax->major[i]))) + 0.5;
        cairo_move_to(c->cr, x, c->top);
        cairo_line_to(c->cr, x, c->bottom);
    }
    for (int i = 0; i < ay->nmajor; i++) {
        double y = round(plot_py(c, tr(ay, ay->major[i]))) + 0.5;
        cairo_move_to(c->cr, c->left, y);
        cairo_line_to(c->cr, c->right, y);
    }
    cairo_stroke(c->cr);
}

static void draw_axes(plot_canvas_t *c, const xy_axis_t *ax, const xy_axis_t *ay, const bcms_plot_opts_t *o,
                      double ylab_w)
{
    cairo_t *cr = c->cr;
    char buf[32];
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    cairo_move_to(cr, c->left - 0.5, c->top);
    cairo_line_to(cr, c->left - 0.5, c->bottom + 0.5);
    cairo_line_to(cr, c->right, c->bottom + 0.5);
    cairo_stroke(cr);
    for (int pass = 0; pass < 2; pass++) { /* labelled ticks (6 px), then minor ones (3 px) */
        const double *xv = pass ? ax->minor : ax->major, *yv = pass ? ay->minor : ay->major;
        int nx = pass ? ax->nminor : ax->nmajor, ny = pass ? ay->nminor : ay->nmajor;
        double len = pass ? 3 : 6;
        for (int i = 0; i < nx; i++) {
            double x = round(plot_px(c, tr(ax, xv[i]))) + 0.5;
            cairo_move_to(cr, x, c->bottom + 0.5);
            cairo_line_to(cr, x, c->bottom + len);
            if (!pass) {
                tick_text(buf, sizeof buf, xv[i], ax->step);
                plot_text(c, x, c->bottom + 9, buf, 12, 0.5, 0);
            }
        }
        for (int i = 0; i < ny; i++) {
            double y = round(plot_py(c, tr(ay, yv[i]))) + 0.5;
            cairo_move_to(cr, c->left - len, y);
            cairo_line_to(cr, c->left - 0.5, y);
            if (!pass) {
                tick_text(buf, sizeof buf, yv[i], ay->step);
                plot_text(c, c->left - 9, y, buf, 12, 1, 0.5);
            }
        }
        cairo_stroke(cr);
    }
    plot_text(c, 0.5 * (c->left + c->right), c->bottom + 30, o->xlabel ? o->xlabel : "x", 14, 0.5, 0);
    plot_text_vertical(c, c->left - 18 - ylab_w, 0.5 * (c->top + c->bottom), o->ylabel ? o->ylabel : "y", 14);
}

/* ---- series ---- */

/* A marker of series s centred on (x, y): circle, square, triangle, diamond by s / XY_NCOLOUR. */
static void marker(cairo_t *cr, int s, double x, double y)
{
    double r = XY_RADIUS;
    switch ((s / XY_NCOLOUR) % 4) {
    case 0: cairo_new_sub_path(cr); cairo_arc(cr, x, y, r, 0, 2 * M_PI); break;
    case 1: cairo_rectangle(cr, x - 0.9 * r, y - 0.9 * r, 1.8 * r, 1.8 * r); break;
    case 2:
        cairo_move_to(cr, x, y - 1.2 * r);
        cairo_line_to(cr, x + 1.05 * r, y + 0.7 * r);
        cairo_line_to(cr, x - 1.05 * r, y + 0.7 * r);
        cairo_close_path(cr);
        break;
    default:
        cairo_move_to(cr, x, y - 1.25 * r);
        cairo_line_to(cr, x + 1.25 * r, y);
        cairo_line_to(cr, x, y + 1.25 * r);
        cairo_line_to(cr, x - 1.25 * r, y);
        cairo_close_path(cr);
    }
}

static void set_colour(cairo_t *cr, int s)
{
    const double *k = xy_colour[s % XY_NCOLOUR];
    cairo_set_source_rgb(cr, k[0], k[1], k[2]);
}

/* Points sorted by series then x: one line and its markers per series. */
static void draw_series(plot_canvas_t *c, const xy_data_t *d, const xy_axis_t *ax, const xy_axis_t *ay)
{
    cairo_t *cr = c->cr;
    cairo_save(cr);
    cairo_rectangle(cr, c->left, c->top, c->right - c->left, c->bottom - c->top);
    cairo_clip(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0, j; i < d->n; i = j) {
        for (j = i; j < d->n && d->p[j].s == d->p[i].s; j++) {}
        set_colour(cr, d->p[i].s);
        cairo_set_line_width(cr, 1.8);
        for (size_t k = i; k < j; k++)
            cairo_line_to(cr, plot_px(c, tr(ax, d->p[k].x)), plot_py(c, tr(ay, d->p[k].y)));
        cairo_stroke(cr);
        for (size_t k = i; k < j; k++) marker(cr, d->p[i].s, plot_px(c, tr(ax, d->p[k].x)), plot_py(c, tr(ay, d->p[k].y)));
        cairo_fill(cr);
    }
    cairo_restore(cr);
}

/* The legend, right of the data rectangle: a line with its marker, then the name (one text each, in
 * PLOT_RGB_LEGEND_LABEL, so that an SVG shows one legend entry per series). */
static void draw_legend(plot_canvas_t *c, const xy_data_t *d)
{
    cairo_t *cr = c->cr;
    double x = c->right + 16, y = c->top + 8, dy = 20;
    if (d->nser > 1 && dy * (d->nser - 1) > c->bottom - c->top - 16) dy = (c->bottom - c->top - 16) / (d->nser - 1);
    for (int s = 0; s < d->nser; s++, y += dy) {
        set_colour(cr, s);
        cairo_set_line_width(cr, 1.8);
        cairo_move_to(cr, x, y);
        cairo_line_to(cr, x + 24, y);
        cairo_stroke(cr);
        marker(cr, s, x + 12, y);
        cairo_fill(cr);
        cairo_set_source_rgb(cr, PLOT_RGB_LEGEND_LABEL);
        plot_text(c, x + 32, y, d->name[s], 12, 0, 0.5);
    }
}

static void data_range(const xy_data_t *d, int axis_y, double *lo, double *hi)
{
    *lo = INFINITY, *hi = -INFINITY;
    for (size_t i = 0; i < d->n; i++) {
        double v = axis_y ? d->p[i].y : d->p[i].x;
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
}

static int xy_draw(const bcms_plot_opts_t *o, const xy_data_t *d)
{
    plot_canvas_t c = {0};
    xy_axis_t ax = {.log = o->log_x}, ay = {.log = o->log_y};
    double lo, hi, legend_w = 0;
    int rc, w = o->width ? o->width : 900, h = o->height ? o->height : 560;
    if ((rc = plot_canvas_open(&c, o->out, w, h))) return rc;
    data_range(d, 0, &lo, &hi);
    axis_range(&ax, lo, hi, &c.x0, &c.x1);
    axis_ticks(&ax, c.x0, c.x1);
    data_range(d, 1, &lo, &hi);
    axis_range(&ay, lo, hi, &c.y0, &c.y1);
    axis_ticks(&ay, c.y0, c.y1);
    for (int s = 0; s < d->nser; s++) {
        double t = plot_text_width(&c, d->name[s], 12);
        if (t > legend_w) legend_w = t;
    }
    double ylab_w = label_width(&c, &ay);
    c.left = 18 + ylab_w + 30, c.right = c.w - 20 - (legend_w + 48);
    c.top = o->title && *o->title ? 40 : 20, c.bottom = c.h - 56;
    if (c.right - c.left < 100) {
        plot_canvas_free(&c);
        return bcms_err(BCMS_EINVAL, "%s: the image (%dx%d) is too narrow for the legend; give a wider --size", o->out,
                        w, h);
    }
    draw_grid(&c, &ax, &ay);
    draw_series(&c, d, &ax, &ay);
    draw_axes(&c, &ax, &ay, o, ylab_w);
    draw_legend(&c, d);
    plot_title(&c, o->title);
    return plot_canvas_close(&c);
}

int plot_xy(const bcms_plot_opts_t *o, bcms_plot_stats_t *st)
{
    xy_data_t d = {0};
    int rc;
    snprintf(st->format, sizeof st->format, "xy");
    if ((rc = xy_read(o, &d, st))) goto done;
    qsort(d.p, d.n, sizeof *d.p, cmp_point);
    if ((rc = xy_draw(o, &d))) goto done;
    st->used = st->drawn = d.n;
    st->nseries = d.nser;
done:
    xy_free(&d);
    return rc;
}

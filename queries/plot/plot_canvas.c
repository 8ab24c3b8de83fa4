/* plot_canvas.c: the cairo surface (PNG or SVG, from the output's extension), text and axes shared
 * by the Manhattan and QQ plots. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>
#include <cairo-svg.h>

#include "err.h"
#include "plot_internal.h"

#define PLOT_FONT "DejaVu Sans"

static int ends_with(const char *s, const char *suffix)
{
    size_t l = strlen(s), k = strlen(suffix);
    return l > k && !strcasecmp(s + l - k, suffix);
}

int plot_canvas_open(plot_canvas_t *c, const char *path, int w, int h)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->w = w, c->h = h;
    if (ends_with(path, ".svg")) c->svg = 1;
    else if (!ends_with(path, ".png"))
        return bcms_err(BCMS_EINVAL, "%s: the output name must end in .png or .svg (it chooses the format)", path);
    if (w < 200 || h < 200 || w > 20000 || h > 20000)
        return bcms_err(BCMS_EINVAL, "image size %dx%d: each side must be in [200, 20000]", w, h);
    int rc = plot_lib_open();
    if (rc) return rc;
    if (!(c->tmp = malloc(strlen(path) + 6))) return BCMS_ENOMEM;
    sprintf(c->tmp, "%s.part", path);
    c->surf = c->svg ? cairo_svg_surface_create(c->tmp, w, h) : cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(c->surf) != CAIRO_STATUS_SUCCESS) {
        rc = bcms_err(BCMS_EIO, "%s: cannot create the image: %s", path,
                          cairo_status_to_string(cairo_surface_status(c->surf)));
        plot_canvas_free(c);
        return rc;
    }
    c->cr = cairo_create(c->surf);
    cairo_set_source_rgb(c->cr, 1, 1, 1);
    cairo_paint(c->cr);
    cairo_select_font_face(c->cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return 0;
}

void plot_canvas_free(plot_canvas_t *c)
{
    if (c->cr) cairo_destroy(c->cr);
    if (c->surf) cairo_surface_destroy(c->surf);
    if (c->tmp) unlink(c->tmp);
    free(c->tmp);
    c->cr = NULL, c->surf = NULL, c->tmp = NULL;
}

int plot_canvas_close(plot_canvas_t *c)
{
    cairo_status_t s = cairo_status(c->cr);
    int rc = 0;
    if (s == CAIRO_STATUS_SUCCESS && !c->svg) s = cairo_surface_write_to_png(c->surf, c->tmp);
    if (s == CAIRO_STATUS_SUCCESS) {
        cairo_surface_finish(c->surf);
        s = cairo_surface_status(c->surf);
    }
    if (s != CAIRO_STATUS_SUCCESS)
        rc = bcms_err(BCMS_EIO, "%s: cannot write the image: %s", c->path, cairo_status_to_string(s));
    else if (rename(c->tmp, c->path) != 0)
        rc = bcms_err(BCMS_EIO, "%s: cannot write the image: %s", c->path, strerror(errno));
    plot_canvas_free(c);
    return rc;
}

void plot_text(plot_canvas_t *c, double x, double y, const char *s, double size, double ha, double va)
{
    cairo_text_extents_t te;
    cairo_font_extents_t fe;
    cairo_set_font_size(c->cr, size);
    cairo_text_extents(c->cr, s, &te);
    cairo_font_extents(c->cr, &fe);
    /* anchor on the font's ascent, not the glyphs', so labels of different digits line up */
    double dy = va >= 1 ? 0 : fe.ascent * (1 - va) - (va > 0 ? fe.descent * va : 0);
    cairo_move_to(c->cr, x - te.x_advance * ha, y + dy);
    cairo_show_text(c->cr, s);
}

void plot_text_vertical(plot_canvas_t *c, double x, double y, const char *s, double size)
{
    cairo_save(c->cr);
    cairo_translate(c->cr, x, y);
    cairo_rotate(c->cr, -M_PI / 2);
    plot_text(c, 0, 0, s, size, 0.5, 0.5);
    cairo_restore(c->cr);
}

double plot_text_width(plot_canvas_t *c, const char *s, double size)
{
    cairo_text_extents_t te;
    cairo_set_font_size(c->cr, size);
    cairo_text_extents(c->cr, s, &te);
    return te.x_advance;
}

double plot_tick_step(double range, int max_ticks)
{
    if (!(range > 0)) return 1;
    double raw = range / max_ticks, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

static void tick_label(char *buf, size_t n, double v, double step)
{
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, n, "%.*f", dec, fabs(v) < step * 1e-6 ? 0.0 : v);
}

void plot_axes_y(plot_canvas_t *c, const char *ytitle)
{
    cairo_t *cr = c->cr;
    char buf[32];
    double step = plot_tick_step(c->y1 - c->y0, 8);
    cairo_set_line_width(cr, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, c->left - 0.5, c->top);
    cairo_line_to(cr, c->left - 0.5, c->bottom + 0.5);
    cairo_line_to(cr, c->right, c->bottom + 0.5);
    cairo_stroke(cr);
    double wmax = 0;
    for (double v = ceil(c->y0 / step) * step; v <= c->y1 + step * 1e-9; v += step) {
        double y = round(plot_py(c, v)) + 0.5;
        cairo_move_to(cr, c->left - 6, y);
        cairo_line_to(cr, c->left - 0.5, y);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step);
        plot_text(c, c->left - 9, y, buf, 12, 1, 0.5);
        double tw = plot_text_width(c, buf, 12);
        if (tw > wmax) wmax = tw;
    }
    plot_text_vertical(c, c->left - 18 - wmax, 0.5 * (c->top + c->bottom), ytitle, 14);
}

void plot_axes_x_numeric(plot_canvas_t *c, const char *xtitle)
{
    cairo_t *cr = c->cr;
    char buf[32];
    double step = plot_tick_step(c->x1 - c->x0, 8);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 1);
    for (double v = ceil(c->x0 / step) * step; v <= c->x1 + step * 1e-9; v += step) {
        double x = round(plot_px(c, v)) + 0.5;
        cairo_move_to(cr, x, c->bottom + 0.5);
        cairo_line_to(cr, x, c->bottom + 6);
        cairo_stroke(cr);
        tick_label(buf, sizeof buf, v, step);
        plot_text(c, x, c->bottom + 9, buf, 12, 0.5, 0);
    }
    plot_text(c, 0.5 * (c->left + c->right), c->bottom + 30, xtitle, 14, 0.5, 0);
}

void plot_title(plot_canvas_t *c, const char *title)
{
    if (!title || !*title) return;
    cairo_set_source_rgb(c->cr, 0, 0, 0);
    cairo_select_font_face(c->cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    plot_text(c, 0.5 * c->w, 10, title, 16, 0.5, 0);
    cairo_select_font_face(c->cr, PLOT_FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
}

void plot_hline_dashed(plot_canvas_t *c, double y, double r, double g, double b)
{
    static const double dash[] = {6, 4};
    double py = round(plot_py(c, y)) + 0.5;
    cairo_save(c->cr);
    cairo_set_source_rgb(c->cr, r, g, b);
    cairo_set_line_width(c->cr, 1.2);
    cairo_set_dash(c->cr, dash, 2, 0);
    cairo_move_to(c->cr, c->left, py);
    cairo_line_to(c->cr, c->right, py);
    cairo_stroke(c->cr);
    cairo_restore(c->cr);
}

void plot_dot(plot_canvas_t *c, double x, double y)
{
    cairo_move_to(c->cr, x, y);
    cairo_rel_line_to(c->cr, 0, 0); /* "M x y l 0 0" with a round cap: a dot in cairo and in browsers */
}

void plot_dots_end(plot_canvas_t *c, double radius)
{
    cairo_save(c->cr);
    cairo_set_line_cap(c->cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width(c->cr, 2 * radius);
    cairo_stroke(c->cr);
    cairo_restore(c->cr);
}

/* cairo_load.c: cairo and fontconfig, linked or opened when a plot is first drawn. GPL-3.0-or-later.
 *
 * Linked into the executable, cairo and what it pulls in (fontconfig, freetype, pixman, libpng, the
 * X11 libraries) cost every bcms command ~1.7 MB of resident memory at start, though only the plots
 * draw. Built with BCMS_CAIRO_DLOPEN (CMake: on by default) the executable does not link them: the
 * cairo functions the plots call are defined here and forward to the library, which
 * plot_canvas_open opens (once) before the first drawing, so a library that cannot be opened is a
 * clean error there. The same library draws as when linked: the same PNG and SVG bytes. */
#include "err.h"
#include "plot_internal.h"

#ifdef BCMS_CAIRO_DLOPEN
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <cairo-svg.h>

#define CAIRO_SYMS(X)                                                                                         \
    X(cairo_arc) X(cairo_clip) X(cairo_close_path) X(cairo_create) X(cairo_debug_reset_static_data)           \
    X(cairo_destroy) X(cairo_fill) X(cairo_font_extents) X(cairo_image_surface_create) X(cairo_line_to)       \
    X(cairo_move_to) X(cairo_new_path) X(cairo_new_sub_path) X(cairo_paint) X(cairo_rectangle)                 \
    X(cairo_rel_line_to) X(cairo_restore) X(cairo_rotate) X(cairo_save) X(cairo_select_font_face)              \
    X(cairo_set_dash) X(cairo_set_font_size) X(cairo_set_line_cap) X(cairo_set_line_join)                      \
    X(cairo_set_line_width) X(cairo_set_source_rgb) X(cairo_show_text) X(cairo_status)                         \
    X(cairo_status_to_string) X(cairo_stroke) X(cairo_surface_destroy) X(cairo_surface_finish)                 \
    X(cairo_surface_status) X(cairo_surface_write_to_png) X(cairo_svg_surface_create) X(cairo_text_extents)   \
    X(cairo_translate)
#define CAIRO_PTR(f) static __typeof__(f) *p_##f;
CAIRO_SYMS(CAIRO_PTR)
static void (*p_fcfini)(void);
static pthread_once_t cairo_once = PTHREAD_ONCE_INIT;
static int cairo_state; /* 0 not tried, 1 open, -1 failed */
static char cairo_why[512];

static void cairo_open_once(void)
{
    void *h = dlopen(BCMS_CAIRO_SONAME, RTLD_NOW | RTLD_LOCAL), *fc;
    const char *miss = NULL;
    if (!h) {
        snprintf(cairo_why, sizeof cairo_why, "%s", dlerror());
        cairo_state = -1;
        return;
    }
#define CAIRO_SYM(f) if (!(p_##f = (__typeof__(p_##f))dlsym(h, #f)) && !miss) miss = #f;
    CAIRO_SYMS(CAIRO_SYM)
    if (miss) {
        snprintf(cairo_why, sizeof cairo_why, "it has no %s", miss);
        cairo_state = -1;
        return;
    }
    /* cairo loaded fontconfig: FcFini releases its caches at the end (for leak checkers) */
    if ((fc = dlopen(BCMS_FONTCONFIG_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)))
        p_fcfini = (void (*)(void))dlsym(fc, "FcFini");
    cairo_state = 1;
}

int plot_lib_open(void)
{
    pthread_once(&cairo_once, cairo_open_once);
    if (cairo_state == 1) return 0;
    return bcms_err(BCMS_EIO, "cannot open %s, which draws the plots: %s (Debian: apt-get install libcairo2)",
                    BCMS_CAIRO_SONAME, cairo_why);
}

/* Every call below comes after plot_canvas_open has opened the library. */
static inline void cairo_need(void)
{
    if (cairo_state == 1) return;
    if (plot_lib_open()) {
        fprintf(stderr, "bcms: %s\n", bcms_err_detail());
        exit(1);
    }
}

void bcms_plot_cleanup(void)
{
    if (cairo_state != 1) return; /* nothing drawn: nothing opened */
    p_cairo_debug_reset_static_data();
    if (p_fcfini) p_fcfini();
}

void cairo_arc(cairo_t *cr, double xc, double yc, double radius, double angle1, double angle2)
{
    cairo_need();
    p_cairo_arc(cr, xc, yc, radius, angle1, angle2);
}

void cairo_clip(cairo_t *cr) { cairo_need(); p_cairo_clip(cr); }
void cairo_close_path(cairo_t *cr) { cairo_need(); p_cairo_close_path(cr); }
cairo_t *cairo_create(cairo_surface_t *target) { cairo_need(); return p_cairo_create(target); }
void cairo_destroy(cairo_t *cr) { cairo_need(); p_cairo_destroy(cr); }
void cairo_fill(cairo_t *cr) { cairo_need(); p_cairo_fill(cr); }
void cairo_font_extents(cairo_t *cr, cairo_font_extents_t *extents) { cairo_need(); p_cairo_font_extents(cr, extents); }

cairo_surface_t *cairo_image_surface_create(cairo_format_t format, int width, int height)
{
    cairo_need();
    return p_cairo_image_surface_create(format, width, height);
}

void cairo_line_to(cairo_t *cr, double x, double y) { cairo_need(); p_cairo_line_to(cr, x, y); }
void cairo_move_to(cairo_t *cr, double x, double y) { cairo_need(); p_cairo_move_to(cr, x, y); }
void cairo_new_path(cairo_t *cr) { cairo_need(); p_cairo_new_path(cr); }
void cairo_new_sub_path(cairo_t *cr) { cairo_need(); p_cairo_new_sub_path(cr); }
void cairo_paint(cairo_t *cr) { cairo_need(); p_cairo_paint(cr); }

void cairo_rectangle(cairo_t *cr, double x, double y, double width, double height)
{
    cairo_need();
    p_cairo_rectangle(cr, x, y, width, height);
}

void cairo_rel_line_to(cairo_t *cr, double dx, double dy) { cairo_need(); p_cairo_rel_line_to(cr, dx, dy); }
void cairo_restore(cairo_t *cr) { cairo_need(); p_cairo_restore(cr); }
void cairo_rotate(cairo_t *cr, double angle) { cairo_need(); p_cairo_rotate(cr, angle); }
void cairo_save(cairo_t *cr) { cairo_need(); p_cairo_save(cr); }

void cairo_select_font_face(cairo_t *cr, const char *family, cairo_font_slant_t slant, cairo_font_weight_t weight)
{
    cairo_need();
    p_cairo_select_font_face(cr, family, slant, weight);
}

void cairo_set_dash(cairo_t *cr, const double *dashes, int num_dashes, double offset)
{
    cairo_need();
    p_cairo_set_dash(cr, dashes, num_dashes, offset);
}

void cairo_set_font_size(cairo_t *cr, double size) { cairo_need(); p_cairo_set_font_size(cr, size); }
void cairo_set_line_cap(cairo_t *cr, cairo_line_cap_t line_cap) { cairo_need(); p_cairo_set_line_cap(cr, line_cap); }

void cairo_set_line_join(cairo_t *cr, cairo_line_join_t line_join)
{
    cairo_need();
    p_cairo_set_line_join(cr, line_join);
}

void cairo_set_line_width(cairo_t *cr, double width) { cairo_need(); p_cairo_set_line_width(cr, width); }

void cairo_set_source_rgb(cairo_t *cr, double red, double green, double blue)
{
    cairo_need();
    p_cairo_set_source_rgb(cr, red, green, blue);
}

void cairo_show_text(cairo_t *cr, const char *utf8) { cairo_need(); p_cairo_show_text(cr, utf8); }
cairo_status_t cairo_status(cairo_t *cr) { cairo_need(); return p_cairo_status(cr); }
const char *cairo_status_to_string(cairo_status_t status) { cairo_need(); return p_cairo_status_to_string(status); }
void cairo_stroke(cairo_t *cr) { cairo_need(); p_cairo_stroke(cr); }
void cairo_surface_destroy(cairo_surface_t *surface) { cairo_need(); p_cairo_surface_destroy(surface); }
void cairo_surface_finish(cairo_surface_t *surface) { cairo_need(); p_cairo_surface_finish(surface); }
cairo_status_t cairo_surface_status(cairo_surface_t *surface) { cairo_need(); return p_cairo_surface_status(surface); }

cairo_status_t cairo_surface_write_to_png(cairo_surface_t *surface, const char *filename)
{
    cairo_need();
    return p_cairo_surface_write_to_png(surface, filename);
}

cairo_surface_t *cairo_svg_surface_create(const char *filename, double width_in_points, double height_in_points)
{
    cairo_need();
    return p_cairo_svg_surface_create(filename, width_in_points, height_in_points);
}

void cairo_text_extents(cairo_t *cr, const char *utf8, cairo_text_extents_t *extents)
{
    cairo_need();
    p_cairo_text_extents(cr, utf8, extents);
}

void cairo_translate(cairo_t *cr, double tx, double ty) { cairo_need(); p_cairo_translate(cr, tx, ty); }

#else /* cairo and fontconfig linked */
#include <cairo.h>
#include <fontconfig/fontconfig.h>

int plot_lib_open(void) { return 0; }

void bcms_plot_cleanup(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
#endif

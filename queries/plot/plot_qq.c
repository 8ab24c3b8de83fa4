/* plot_qq.c: observed against expected -log10 p, with the 95% band of the order statistics and the
 * genomic inflation factor.
 *
 * Under the null the i-th smallest of n p-values is Beta(i, n - i + 1); its 2.5% and 97.5% quantiles
 * (inverting GSL's gsl_cdf_beta_P) bound the band, evaluated at ranks spaced geometrically (the curve is
 * smooth in log rank). The observed values are sorted once (a radix sort of the float bits: -log10 p
 * is >= 0, so the bits order as the values), and only points that land on a new pixel are drawn. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "err.h"
#include "plot_internal.h"

#define QQ_BAND_STEP 1.03       /* ratio between successive ranks of the band */

static int sort_floats(float *v, uint64_t n)
{
    uint32_t *a = (uint32_t *)v, *b;
    size_t cnt[256];
    if (n < 2) return 0;
    if (!(b = malloc(sizeof *b * n))) return BCMS_ENOMEM;
    for (int shift = 0; shift < 32; shift += 8) {
        memset(cnt, 0, sizeof cnt);
        for (uint64_t i = 0; i < n; i++) cnt[(a[i] >> shift) & 255]++;
        if (cnt[(a[0] >> shift) & 255] == n) continue; /* every key has this byte: nothing moves */
        size_t sum = 0;
        for (int k = 0; k < 256; k++) {
            size_t t = cnt[k];
            cnt[k] = sum, sum += t;
        }
        for (uint64_t i = 0; i < n; i++) b[cnt[(a[i] >> shift) & 255]++] = a[i];
        memcpy(a, b, sizeof *a * n);
    }
    free(b);
    return 0;
}

/* Median p of the ascending -log10 p values, the middle two averaged in p as the scans do. */
static double median_p(const float *y, uint64_t n)
{
    if (n & 1) return pow(10, -(double)y[n / 2]);
    return 0.5 * (pow(10, -(double)y[n / 2 - 1]) + pow(10, -(double)y[n / 2]));
}

static double expected_y(uint64_t rank, uint64_t n)
{
    return -log10(((double)rank - 0.5) / (double)n);
}

double plot_beta_quantile(double q, double a, double b)
{
    /* Bisection on ln x: gsl_cdf_beta_P is fast and robust at any a, b, while gsl_cdf_beta_Pinv
     * gives NaN for a >= 10 when b ~ 1e7 and spins for minutes at larger a (GSL 2.7). 64 halvings
     * of [ln 1e-320, 0] leave ln x exact to ~4e-17, below the double's own resolution. */
    double lo = -737, hi = 0;
    double mu = a / (a + b), sd = sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)));
    if (!(q > 0 && q < 1 && a > 0 && b > 0)) return NAN;
    for (int it = 0; it < 64 && hi - lo > 1e-15 * (1 - lo); it++) {
        double mid = 0.5 * (lo + hi), x = exp(mid), F = gsl_cdf_beta_P(x, a, b);
        /* GSL's continued fraction fails (NaN) within ~1e-4 of the mean when a, b ~ 5e6; the
         * Beta is normal to many digits there */
        if (isnan(F)) F = gsl_cdf_ugaussian_P((x - mu) / sd);
        if (F < q) lo = mid;
        else hi = mid;
    }
    return exp(0.5 * (lo + hi));
}

/* -log10 of the q quantile of the rank-th smallest of n uniform p-values. */
static double band_y(double q, uint64_t rank, uint64_t n)
{
    double v = plot_beta_quantile(q, (double)rank, (double)(n - rank + 1));
    return v > 0 && isfinite(v) ? -log10(v) : NAN;
}

static void draw_band(plot_canvas_t *c, uint64_t n)
{
    uint64_t ranks[1024];
    int k = 0;
    for (double r = 1; r <= (double)n && k < 1023; r = ceil(r * QQ_BAND_STEP)) ranks[k++] = (uint64_t)r;
    if (ranks[k - 1] != n) ranks[k++] = n;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    cairo_new_path(c->cr);
    for (int i = 0; i < k; i++) { /* upper edge, from the smallest p outwards */
        double hi = band_y(0.025, ranks[i], n);
        if (isfinite(hi)) cairo_line_to(c->cr, plot_px(c, expected_y(ranks[i], n)), plot_py(c, hi));
    }
    for (int i = k - 1; i >= 0; i--) {
        double lo = band_y(0.975, ranks[i], n);
        if (isfinite(lo)) cairo_line_to(c->cr, plot_px(c, expected_y(ranks[i], n)), plot_py(c, lo));
    }
    gsl_set_error_handler(old);
    cairo_close_path(c->cr);
    cairo_set_source_rgb(c->cr, 0.85, 0.85, 0.85);
    cairo_fill(c->cr);
}

/* Points from the largest -log10 p down, one per pixel they land on; returns how many. */
static uint64_t draw_points(plot_canvas_t *c, const float *y, uint64_t n)
{
    long lx = -1, ly = -1;
    uint64_t drawn = 0;
    cairo_set_source_rgb(c->cr, 0.10, 0.27, 0.50);
    for (uint64_t rank = 1; rank <= n; rank++) {
        double px = plot_px(c, expected_y(rank, n)), py = plot_py(c, y[n - rank]);
        long ix = lround(px), iy = lround(py);
        if (ix == lx && iy == ly) continue;
        lx = ix, ly = iy;
        plot_dot(c, px, py);
        drawn++;
    }
    plot_dots_end(c, 2.0);
    return drawn;
}

int plot_qq(const bcms_plot_opts_t *o, plot_data_t *d, bcms_plot_stats_t *st)
{
    plot_canvas_t c = {0};
    char buf[96];
    uint64_t n = d->n;
    int rc;
    if ((rc = sort_floats(d->y, n))) return rc;
    d->median_p = median_p(d->y, n);
    st->lambda_gc = gsl_cdf_chisq_Qinv(d->median_p, 1) / gsl_cdf_chisq_Qinv(0.5, 1);
    if ((rc = plot_canvas_open(&c, o->out, o->width ? o->width : 640, o->height ? o->height : 640))) return rc;
    c.left = 70, c.right = c.w - 20, c.top = o->title && *o->title ? 40 : 20, c.bottom = c.h - 56;
    double emax = expected_y(1, n), ymax = d->y[n - 1], bmax = -log10(0.025 / (double)n);
    c.x0 = 0, c.x1 = emax * 1.04;
    c.y0 = 0, c.y1 = (ymax > bmax ? ymax : bmax) * 1.04;
    cairo_save(c.cr);
    cairo_rectangle(c.cr, c.left, c.top, c.right - c.left, c.bottom - c.top);
    cairo_clip(c.cr);
    draw_band(&c, n);
    cairo_set_source_rgb(c.cr, 0.85, 0.1, 0.1);
    cairo_set_line_width(c.cr, 1.2);
    double m = c.x1 < c.y1 ? c.x1 : c.y1;
    cairo_move_to(c.cr, plot_px(&c, 0), plot_py(&c, 0));
    cairo_line_to(c.cr, plot_px(&c, m), plot_py(&c, m));
    cairo_stroke(c.cr);
    st->drawn = draw_points(&c, d->y, n);
    cairo_restore(c.cr);
    plot_axes_y(&c, "Observed \xe2\x88\x92log\xe2\x82\x81\xe2\x82\x80(p)");
    plot_axes_x_numeric(&c, "Expected \xe2\x88\x92log\xe2\x82\x81\xe2\x82\x80(p)");
    cairo_set_source_rgb(c.cr, 0, 0, 0);
    double x = c.left + 12;
    plot_text(&c, x, c.top + 24, "\xce\xbb", 14, 0, 1);
    x += plot_text_width(&c, "\xce\xbb", 14);
    plot_text(&c, x, c.top + 28, "GC", 10, 0, 1);
    x += plot_text_width(&c, "GC", 10);
    snprintf(buf, sizeof buf, " = %.4f", st->lambda_gc);
    plot_text(&c, x, c.top + 24, buf, 14, 0, 1);
    snprintf(buf, sizeof buf, "n = %llu", (unsigned long long)n);
    plot_text(&c, c.left + 12, c.top + 34, buf, 12, 0, 0);
    plot_title(&c, o->title);
    return plot_canvas_close(&c);
}

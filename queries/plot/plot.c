/* plot.c: bcms_plot, the entry of the plot module (plot.h): read the table, draw the chosen plot. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include <cairo.h>

#include "err.h"
#include "plot_internal.h"

void bcms_plot_opts_init(bcms_plot_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->kind = BCMS_PLOT_MANHATTAN;
    o->test = "ADD";
    o->hits = 5;
    o->sig = 5e-8;
    o->sugg = 1e-5;
}

static int check_opts(const bcms_plot_opts_t *o)
{
    if (!o->in || !o->out) return bcms_err(BCMS_EINVAL, "an input table and an output image are required");
    size_t l = strlen(o->out);
    if (l < 5 || (strcasecmp(o->out + l - 4, ".png") && strcasecmp(o->out + l - 4, ".svg")))
        return bcms_err(BCMS_EINVAL, "%s: the output name must end in .png or .svg (it chooses the format)", o->out);
    if (!(o->sig >= 0 && o->sig < 1) || !(o->sugg >= 0 && o->sugg < 1))
        return bcms_err(BCMS_EINVAL, "--sig and --sugg are p-values in [0, 1) (0: no line)");
    if (o->hits < 0 || o->hits > 64) return bcms_err(BCMS_EINVAL, "--hits %d: give 0 to 64 loci", o->hits);
    return 0;
}

int bcms_plot(const bcms_plot_opts_t *o, bcms_plot_stats_t *st)
{
    bcms_plot_stats_t local;
    plot_data_t d = {0};
    int rc;
    if (!st) st = &local;
    memset(st, 0, sizeof *st);
    st->lambda_gc = NAN;
    if ((rc = check_opts(o))) return rc;
    if (o->kind == BCMS_PLOT_XY) return plot_xy(o, st);
    d.keep_pos = o->kind == BCMS_PLOT_MANHATTAN;
    /* labels go to loci below the suggestive line (the genome-wide one when there is none) */
    d.hit_min = !d.keep_pos || !o->hits ? INFINITY : o->sugg > 0 ? -log10(o->sugg) : o->sig > 0 ? -log10(o->sig)
                                                                                   : INFINITY;
    if ((rc = plot_read(o, &d, st))) goto done;
    if (!d.n) {
        rc = bcms_err(BCMS_EINPUT, "%s: no p-value to plot (%llu rows, %llu NA, %llu of another TEST/PHENO)", o->in,
                      (unsigned long long)st->rows, (unsigned long long)st->na, (unsigned long long)st->other);
        goto done;
    }
    rc = o->kind == BCMS_PLOT_QQ ? plot_qq(o, &d, st) : plot_manhattan(o, &d, st);
done:
    plot_data_free(&d);
    return rc;
}

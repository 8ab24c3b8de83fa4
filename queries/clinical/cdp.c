/* cdp.c: sustained EDSS milestones and confirmed disability progression (rules in clinical.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>

#include "clinical.h"

#define EPS 1e-9 /* thresholds may be user sums like 5.5 + 0.5: compare with a tolerance */
#define EDSS_DEATH 10.0 /* death due to MS: final, so every rise it follows is sustained and confirmed */

static const double NA = NAN;

static void tte_na(clin_tte_t *t)
{
    t->time = t->event = t->entry = NA;
}

/* Is v[i] an EDSS assessment to use? With relapse_days >= 0, assessments 0..relapse_days days after
 * a relapse onset are not. */
static int usable(const visits_visit_t *v, size_t n, size_t i, int relapse_days)
{
    if (isnan(v[i].edss)) return 0;
    if (relapse_days < 0 || v[i].edss >= EDSS_DEATH) return 1; /* death is not a relapse-time fluctuation */
    /* v is sorted by date: look back only as far as the window reaches, and at same-day records */
    for (size_t k = i + 1; k < n && v[k].date == v[i].date; k++)
        if (v[k].relapse) return 0;
    for (size_t k = i + 1; k-- > 0 && (long)v[i].date - v[k].date <= relapse_days;)
        if (v[k].relapse) return 0;
    return 1;
}

/* Is the rise at assessment v[i] to >= thr confirmed? See clinical.h: the first usable assessment
 * at least `days` later must exist and every usable one from i up to it stays >= thr (to the end of
 * follow-up with to_end). */
static int confirmed(const visits_visit_t *v, size_t n, size_t i, double thr, int days, int to_end, int rdays)
{
    int found = days == 0;
    if (v[i].edss >= EDSS_DEATH) return 1;
    if (found && !to_end) return 1;
    for (size_t j = i + 1; j < n; j++) {
        if (!usable(v, n, j, rdays)) continue;
        if (v[j].edss < thr - EPS) return 0;
        if (v[j].edss >= EDSS_DEATH) return 1; /* the loader refuses any assessment after it */
        if (!found && (long)v[j].date - v[i].date >= days) {
            found = 1;
            if (!to_end) return 1;
        }
    }
    return found;
}

static double years(long days)
{
    return days / CLIN_DAYS_PER_YEAR;
}

void clin_milestone(const clin_opts_t *o, const visits_visit_t *v, size_t n, double m, int32_t origin,
                    int32_t entry_day, clin_tte_t *out)
{
    size_t last = n;
    tte_na(out);
    if (origin == VISITS_DATE_NA || !n) return;
    for (size_t i = 0; i < n; i++)
        if (usable(v, n, i, -1)) last = i;
    if (last == n) return;
    if (entry_day == VISITS_DATE_NA) entry_day = v[0].date;
    out->entry = entry_day > origin ? years((long)entry_day - origin) : 0.0;
    out->event = 0;
    out->time = years((long)v[last].date - origin);
    for (size_t i = 0; i < n; i++)
        if (usable(v, n, i, -1) && v[i].edss >= m - EPS &&
            confirmed(v, n, i, m, o->sustain_days, o->sustain_to_end, -1)) {
            out->event = 1;
            out->time = years((long)v[i].date - origin);
            break;
        }
    if (!(out->time > out->entry)) tte_na(out);
}

static double cdp_inc(const clin_opts_t *o, double ref)
{
    if (ref < 1 - EPS) return o->cdp_inc_zero;
    return ref <= o->cdp_cut + EPS ? o->cdp_inc_low : o->cdp_inc_high;
}

void clin_cdp(const clin_opts_t *o, const visits_visit_t *v, size_t n, int32_t origin, clin_tte_t *out,
              double *base)
{
    const int rd = o->cdp_relapse_days;
    size_t b = n, last = n, ev = n;
    double ref;
    tte_na(out);
    *base = NA;
    for (size_t i = 0; i < n; i++)
        if (usable(v, n, i, rd)) {
            if (b == n) b = i;
            last = i;
        }
    if (b == n) return;
    *base = ref = v[b].edss;
    if (origin == VISITS_DATE_NA) origin = v[b].date;
    for (size_t i = b + 1; i < n && ev == n; i++) {
        if (!usable(v, n, i, rd)) continue;
        double thr = ref + cdp_inc(o, ref);
        if (v[i].edss >= thr - EPS && confirmed(v, n, i, thr, o->cdp_confirm_days, 0, rd)) ev = i;
        else if (o->cdp_roving && v[i].edss < ref) ref = v[i].edss;
    }
    out->entry = years((long)v[b].date - origin);
    out->event = ev < n ? 1 : 0;
    out->time = years((long)v[ev < n ? ev : last].date - origin);
    if (!(out->time > out->entry)) tte_na(out);
}

/* simulate_visits.c: synthetic MS courses and their registry records (model in simulate_visits.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "simulate_visits.h"

/* ---- a small deterministic generator: splitmix64-seeded xoshiro256** ---- */

typedef struct {
    uint64_t s[4];
} rng_t;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(rng_t *r, uint64_t seed, uint64_t stream, uint64_t salt)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL) ^ (salt * 0x8cb92ba72f3d8dd7ULL);
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return res;
}

static double unif(rng_t *r) /* (0, 1) */
{
    return ((rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static double norm(rng_t *r)
{
    return sqrt(-2 * log(unif(r))) * cos(6.283185307179586 * unif(r));
}

static double expo(rng_t *r, double mean)
{
    return -mean * log(unif(r));
}

/* ---- options ---- */

void simvis_opts_init(simvis_opts_t *o)
{
    visits_parse_date("1980-01-01", &o->onset_from);
    visits_parse_date("2015-12-31", &o->onset_to);
    visits_parse_date("2024-12-31", &o->cutoff);
    o->entry_delay_mean = 3;
    o->followup_min = 2;
    o->followup_max = 15;
    o->gap_min_days = 182;
    o->gap_max_days = 365;
    o->p_missed = 0.1;
    o->relapse_rate = 0.4;
    o->relapse_decay = 0.1;
    o->noise_sd = 0.1;
    o->rater_margin = 0.15;
    o->onset_edss_mean = 1.4;
    o->rr_drift = 0.03;
    o->conversion_median = 40;
    o->conversion_shape = 2;
    o->p_progressive_onset = 0.15;
}

int simvis_opts_check(const simvis_opts_t *o)
{
    if (o->onset_to < o->onset_from || o->cutoff < o->onset_to)
        return bcms_err(BCMS_EINVAL, "simulated onset window must end before the data cutoff");
    if (!(o->entry_delay_mean >= 0) || !(o->followup_min >= 0) || !(o->followup_max >= o->followup_min))
        return bcms_err(BCMS_EINVAL, "entry delay and follow-up must be >= 0, follow-up min <= max");
    if (o->gap_min_days < 1 || o->gap_max_days < o->gap_min_days)
        return bcms_err(BCMS_EINVAL, "visit gaps must be >= 1 day, min <= max");
    if (!(o->p_missed >= 0 && o->p_missed < 1)) return bcms_err(BCMS_EINVAL, "missed-visit probability in [0, 1)");
    if (!(o->relapse_rate >= 0) || !(o->relapse_decay >= 0) || !(o->noise_sd >= 0) || !(o->rater_margin >= 0) ||
        !(o->onset_edss_mean >= 0) || !(o->rr_drift >= 0))
        return bcms_err(BCMS_EINVAL, "relapse rate and decay, noise, rater margin, onset EDSS and drift must be >= 0");
    if (!(o->rater_margin < 0.25)) return bcms_err(BCMS_EINVAL, "rater margin must be < 0.25 (half a step)");
    if (!(o->conversion_median > 0) || !(o->conversion_shape > 0))
        return bcms_err(BCMS_EINVAL, "conversion median and shape must be > 0");
    if (!(o->p_progressive_onset >= 0 && o->p_progressive_onset <= 1))
        return bcms_err(BCMS_EINVAL, "progressive-onset probability in [0, 1]");
    return 0;
}

void simvis_course_draw(uint64_t seed, size_t i, simvis_course_t *c)
{
    rng_t r;
    rng_seed(&r, seed, i, 1);
    do c->onset_age = 30 + 9 * norm(&r);
    while (c->onset_age < 12 || c->onset_age > 60);
    c->rate = SIMVIS_RATE_REF * exp(0.5 * norm(&r));
    c->sex = unif(&r) < 0.7 ? 2 : 1;
}

/* ---- generation ---- */

typedef struct {
    double t;        /* years since onset */
    double residual; /* permanent EDSS added */
    double amp, days; /* transient worsening at onset, fading linearly over `days` */
} relapse_t;

/* A patient's latent course: onset-attack residual, relapsing-phase drift, progressive phase. */
typedef struct {
    double s0, drift, slope, conv; /* conv: years from onset to the progressive phase */
    const relapse_t *rl;
    size_t nr;
} latent_t;

static double to_scale(double x)
{
    if (x < 0.5) return 0;
    if (x < 1.25) return 1;
    x = floor(x * 2 + 0.5) / 2;
    return x > 9.5 ? 9.5 : x;
}

/* The rater anchors on the previous score: a change is recorded only when the latent value (with
 * noise) is past the rounding boundary by `margin`, so a latent value sitting on a boundary does
 * not make the score flip between two half steps. */
static double rate_edss(double prev, double x, double margin)
{
    if (isnan(prev)) return to_scale(x);
    double up = to_scale(x - margin), down = to_scale(x + margin);
    if (up > prev) return up;
    if (down < prev) return down;
    return prev;
}

static int push_visit(visits_data_t *d, size_t *cap, int32_t date, double edss, int relapse)
{
    if (d->n_visits == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        visits_visit_t *v = realloc(d->visits, c * sizeof *v);
        if (!v) return BCMS_ENOMEM;
        d->visits = v;
        *cap = c;
    }
    d->visits[d->n_visits++] = (visits_visit_t){date, edss, relapse};
    return 0;
}

/* Latent disability -> EDSS: patients pass quickly through 4..5.5 (where the scale switches from
 * function scores to walking range) and linger below and at 6 and above, as in registry EDSS
 * distributions, which are bimodal. */
static double edss_of(double s)
{
    s = s <= 4 ? s : s <= 5 ? 4 + 2 * (s - 4) : s + 1;
    return s > 9.5 ? 9.5 : s;
}

/* EDSS-scale value at t (years since onset), with relapses up to t, at most 9.5. */
static double latent(const latent_t *L, double t)
{
    double s = L->s0 + L->drift * fmin(t, L->conv) + (t > L->conv ? L->slope * (t - L->conv) : 0);
    for (size_t k = 0; k < L->nr && L->rl[k].t <= t; k++) {
        double since = (t - L->rl[k].t) * 365.25;
        s += L->rl[k].residual;
        if (since < L->rl[k].days) s += L->rl[k].amp * (1 - since / L->rl[k].days);
    }
    return edss_of(s);
}

int simvis_generate(const simvis_opts_t *o, size_t n, const char *const *iids, const simvis_course_t *course,
                    uint64_t seed, visits_data_t **out)
{
    int ret;
    size_t vcap = 0, rcap = 0;
    relapse_t *rl = NULL;
    visits_data_t *d;
    *out = NULL;
    if ((ret = simvis_opts_check(o))) return ret;
    for (size_t i = 0; i < n; i++)
        if (!(course[i].onset_age >= 10 && course[i].onset_age <= 70) || !(course[i].rate >= 0 && course[i].rate < 100))
            return bcms_err(BCMS_EINVAL, "patient %zu (%s): onset age must be 10..70 and rate >= 0", i, iids[i]);
    if (!(d = calloc(1, sizeof *d))) return bcms_err(BCMS_ENOMEM, "out of memory");
    if (n && !(d->patients = calloc(n, sizeof *d->patients))) goto nomem;
    for (size_t i = 0; i < n; i++) {
        const simvis_course_t *c = &course[i];
        visits_patient_t *p = &d->patients[i];
        rng_t r;
        size_t nr = 0;
        rng_seed(&r, seed, i, 2);
        if (!(p->iid = strdup(iids[i]))) goto nomem;
        d->n_patients = i + 1;
        p->sex = c->sex;
        p->onset = o->onset_from + (int32_t)floor(unif(&r) * (o->onset_to - o->onset_from + 1));
        p->age_at_onset = c->onset_age;
        p->birth = p->onset - (int32_t)floor(c->onset_age * 365.25);
        double delay = o->entry_delay_mean > 0 ? expo(&r, o->entry_delay_mean) : 0;
        double fu = o->followup_min + unif(&r) * (o->followup_max - o->followup_min);
        p->entry = p->onset + (int32_t)floor(delay * 365.25);
        p->diagnosis = p->onset + (int32_t)floor(unif(&r) * (p->entry - p->onset + 1) * 0.8);
        int32_t end = p->entry + (int32_t)floor(fu * 365.25);
        if (end > o->cutoff) end = o->cutoff;
        if (p->entry > o->cutoff) end = p->entry - 1; /* entered after the cutoff: no records */
        p->age_at_onset = (p->onset - p->birth) / 365.25;

        /* latent course: the progressive phase comes sooner for faster courses (hazard ~ rate) */
        latent_t L = {0};
        L.s0 = o->onset_edss_mean > 0 ? fmin(4.0, expo(&r, o->onset_edss_mean)) : 0;
        L.drift = o->rr_drift * c->rate;
        L.slope = c->rate;
        L.conv = unif(&r) < o->p_progressive_onset
                     ? 0
                     : o->conversion_median *
                           pow(-log(unif(&r)) / log(2.0) * (c->rate > 0 ? SIMVIS_RATE_REF / c->rate : 1e9),
                               1 / o->conversion_shape);
        double prev = NAN;

        /* relapses by thinning a Poisson process of rate relapse_rate (the maximum) */
        double tend = (end - p->onset) / 365.25;
        for (double t = 0; o->relapse_rate > 0;) {
            t += expo(&r, 1 / o->relapse_rate);
            if (t > tend) break;
            if (unif(&r) >= exp(-o->relapse_decay * t)) continue;
            if (nr == rcap) {
                size_t cc = rcap ? rcap * 2 : 16;
                relapse_t *x = realloc(rl, cc * sizeof *x);
                if (!x) goto nomem;
                rl = x;
                rcap = cc;
            }
            double u = unif(&r), amp = 1.0 + unif(&r), days = 60 + 60 * unif(&r);
            rl[nr++] = (relapse_t){t, u < 0.75 ? 0 : u < 0.95 ? 0.5 : 1.0, amp, days};
        }
        L.rl = rl;
        L.nr = nr;

        /* merge scheduled visits and relapse records in date order */
        p->first_visit = d->n_visits;
        size_t k = 0;
        while (k < nr && p->onset + (int32_t)floor(rl[k].t * 365.25) < p->entry) k++; /* before entry: unrecorded */
        for (int32_t day = p->entry; day <= end;) {
            int32_t rday = k < nr ? p->onset + (int32_t)floor(rl[k].t * 365.25) : INT32_MAX;
            if (rday <= day && rday <= end) {
                double e = NAN;
                if (unif(&r) < 0.5) prev = e = rate_edss(prev, latent(&L, rl[k].t) + o->noise_sd * norm(&r), o->rater_margin);
                if (push_visit(d, &vcap, rday, e, 1)) goto nomem;
                k++;
                continue;
            }
            if (unif(&r) >= o->p_missed) {
                double t = (day - p->onset) / 365.25;
                prev = rate_edss(prev, latent(&L, t) + o->noise_sd * norm(&r), o->rater_margin);
                if (push_visit(d, &vcap, day, prev, 0)) goto nomem;
            }
            day += o->gap_min_days + (int32_t)floor(unif(&r) * (o->gap_max_days - o->gap_min_days + 1));
        }
        for (; k < nr; k++) { /* relapses after the last scheduled visit */
            int32_t rday = p->onset + (int32_t)floor(rl[k].t * 365.25);
            if (rday > end) break;
            double e = NAN;
            if (unif(&r) < 0.5) prev = e = rate_edss(prev, latent(&L, rl[k].t) + o->noise_sd * norm(&r), o->rater_margin);
            if (push_visit(d, &vcap, rday, e, 1)) goto nomem;
        }
        p->n_visits = d->n_visits - p->first_visit;
        /* a registry extracted at the cutoff knows no later date: not yet entered (or diagnosed) */
        if (p->entry > o->cutoff) p->entry = VISITS_DATE_NA;
        if (p->diagnosis > o->cutoff) p->diagnosis = VISITS_DATE_NA;
    }
    free(rl);
    *out = d;
    return 0;
nomem:
    free(rl);
    visits_free(d);
    return bcms_err(BCMS_ENOMEM, "out of memory simulating visits");
}

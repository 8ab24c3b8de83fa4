/* simulate_visits.h: synthetic clinical courses -> patient and visit tables (formats in visits.h),
 * for demos, tests and benchmarks. `bcms simulate --visits` calls this.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * MODEL (per patient, one independent random stream derived from (seed, patient index), so a patient's
 * course does not depend on the cohort size, the order or the thread count):
 *   - onset date uniform in [onset_from, onset_to]; birth = onset - onset_age years;
 *   - latent disability S(t) (t in years since onset) = onset-attack residual (Exponential with mean
 *     onset_edss_mean, at most 4) + permanent relapse residuals + progression: a relapsing phase that
 *     drifts at rr_drift * rate, then a progressive phase from time C at `rate` EDSS points per year.
 *     C = 0 with probability p_progressive_onset (primary progressive course), else Weibull
 *     (conversion_shape) with median conversion_median years at rate SIMVIS_RATE_REF and a hazard
 *     proportional to rate/SIMVIS_RATE_REF, so a faster course also turns progressive sooner;
 *   - relapses: Poisson process with rate relapse_rate * exp(-relapse_decay * t) per year; each brings
 *     a transient worsening of 1..2 EDSS points that fades linearly over 60..120 days, and leaves a
 *     permanent residual of 0 / 0.5 / 1.0 (probabilities 0.75 / 0.2 / 0.05): partial recovery;
 *   - S maps onto the EDSS range as S up to 4, 4 + 2 (S - 4) up to 5, S + 1 above (patients pass
 *     quickly through 4..5.5, as in registries' bimodal EDSS distributions), at most 9.5;
 *   - an EDSS assessment at t rates that value + transient + N(0, noise_sd) on the EDSS scale (below 0.5
 *     -> 0, below 1.25 -> 1, then half steps, at most 9.5), anchored on the patient's previous score:
 *     the score changes only when the value is past the rounding boundary by rater_margin, so
 *     measurement noise does not make EDSS walk up and down between half steps; it falls only after
 *     a relapse's transient worsening has faded;
 *   - registry entry = onset + Exponential(entry_delay_mean) years (left truncation: nothing before
 *     entry is recorded); diagnosis between onset and entry;
 *   - visits from entry every U(gap_min_days, gap_max_days) days, each scheduled visit missed with
 *     probability p_missed (irregular gaps), for U(followup_min, followup_max) years or until cutoff;
 *     each relapse after entry is a record (relapse = 1) that carries an EDSS half of the time.
 * With the defaults, `bcms clinical` finds confirmed disability progression (12 weeks) in about 28% of
 * patients and sustained EDSS 6 in about 13% over a mean follow-up of 7.7 years (3000 patients).
 * The caller shifts progression per patient through course[i].rate (e.g. rate * exp(beta * dosage)
 * for planted genotype effects).
 */
#ifndef BCMS_SIMULATE_VISITS_H
#define BCMS_SIMULATE_VISITS_H

#include <stddef.h>
#include <stdint.h>

#include "visits.h"

typedef struct {
    double onset_age; /* years, 10..70 */
    double rate;      /* progressive-phase EDSS points per year, >= 0 (typical 0.2..1.5) */
    int sex;          /* 0 unknown, 1 male, 2 female */
} simvis_course_t;

typedef struct {
    int32_t onset_from, onset_to;      /* days since 1970-01-01 */
    int32_t cutoff;                    /* no record after this date */
    double entry_delay_mean;           /* years; 0: entry at onset */
    double followup_min, followup_max; /* years after entry */
    int gap_min_days, gap_max_days;    /* between scheduled visits */
    double p_missed;                   /* probability a scheduled visit does not happen */
    double relapse_rate, relapse_decay;
    double noise_sd;                   /* EDSS measurement noise (sd, EDSS points) */
    double rater_margin;               /* hysteresis of the rater around a rounding boundary, < 0.25 */
    double onset_edss_mean;            /* mean residual disability of the onset attack (exponential, <= 4) */
    double rr_drift;                   /* relapsing-phase drift as a share of the progressive slope */
    double conversion_median, conversion_shape; /* years from onset to the progressive phase at rate
                                                   SIMVIS_RATE_REF (Weibull); hazard proportional to rate */
    double p_progressive_onset;        /* probability of a progressive course from onset */
} simvis_opts_t;

/* The median progression slope drawn by simvis_course_draw (EDSS points per year, progressive phase). */
#define SIMVIS_RATE_REF 0.6

/* Defaults: onset 1980-01-01..2015-12-31, cutoff 2024-12-31, entry delay mean 3 y, follow-up 2..15 y,
 * gaps 182..365 days, 10% missed, 0.4 relapses/y decaying 10%/y, noise 0.1, rater margin 0.15, onset
 * residual mean 1.4, relapsing drift 0.03 x rate, conversion median 40 y (shape 2), 15% progressive
 * from onset. */
void simvis_opts_init(simvis_opts_t *o);

/* 0 or BCMS_EINVAL with a detail. */
int simvis_opts_check(const simvis_opts_t *o);

/* A typical course for patient i: onset age N(30, 9) truncated to 12..60, rate lognormal with median
 * SIMVIS_RATE_REF EDSS/year (sd of log 0.5), sex female with probability 0.7. Deterministic in (seed, i). */
void simvis_course_draw(uint64_t seed, size_t i, simvis_course_t *c);

/* Generate n patients with ids iids[0..n) (copied) and courses course[0..n). On success *out is a new
 * table owned by the caller (visits_free); write it with visits_write(). Returns 0, BCMS_EINVAL
 * (bad options or course) or BCMS_ENOMEM; *out is NULL on failure. */
int simvis_generate(const simvis_opts_t *o, size_t n, const char *const *iids, const simvis_course_t *course,
                    uint64_t seed, visits_data_t **out);

#endif

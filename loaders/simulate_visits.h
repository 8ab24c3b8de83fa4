/* simulate_visits.h: synthetic clinical courses -> patient and visit tables (formats in visits.h),
 * for demos, tests and benchmarks. `bcms simulate --visits` calls this.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * MODEL (per patient, one independent random stream derived from (seed, patient index), so a patient's
 * course does not depend on the cohort size, the order or the thread count):
 *   - onset date uniform in [onset_from, onset_to]; birth = onset - onset_age years;
 *   - latent disability S(t) = rate * t + sum of permanent relapse residuals (t in years since onset);
 *     an EDSS assessment at t is S(t) + transient relapse worsening (+1.0 fading linearly over 90 days)
 *     + N(0, noise_sd), rounded onto the EDSS scale (below 0.5 -> 0, below 1.25 -> 1, then half steps),
 *     capped at 9.5;
 *   - relapses: Poisson process with rate relapse_rate * exp(-relapse_decay * t) per year; each leaves a
 *     permanent residual of 0 / 0.5 / 1.0 EDSS (probabilities 0.6 / 0.3 / 0.1);
 *   - registry entry = onset + Exponential(entry_delay_mean) years (left truncation: nothing before
 *     entry is recorded); diagnosis between onset and entry;
 *   - visits from entry every U(gap_min_days, gap_max_days) days, each scheduled visit missed with
 *     probability p_missed (irregular gaps), for U(followup_min, followup_max) years or until cutoff;
 *     each relapse after entry is a record (relapse = 1) that carries an EDSS half of the time.
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
    double rate;      /* latent EDSS points per year since onset, >= 0 (typical 0.05..0.5) */
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
    double noise_sd;                   /* EDSS measurement noise */
} simvis_opts_t;

/* Defaults: onset 1980-01-01..2015-12-31, cutoff 2024-12-31, entry delay mean 3 y, follow-up 2..15 y,
 * gaps 182..365 days, 10% missed, 0.8 relapses/y decaying 10%/y, noise 0.3. */
void simvis_opts_init(simvis_opts_t *o);

/* 0 or BCMS_EINVAL with a detail. */
int simvis_opts_check(const simvis_opts_t *o);

/* A typical course for patient i: onset age N(30, 9) truncated to 12..60, rate lognormal with median
 * 0.15 EDSS/year (sd of log 0.6), sex female with probability 0.7. Deterministic in (seed, i). */
void simvis_course_draw(uint64_t seed, size_t i, simvis_course_t *c);

/* Generate n patients with ids iids[0..n) (copied) and courses course[0..n). On success *out is a new
 * table owned by the caller (visits_free); write it with visits_write(). Returns 0, BCMS_EINVAL
 * (bad options or course) or BCMS_ENOMEM; *out is NULL on failure. */
int simvis_generate(const simvis_opts_t *o, size_t n, const char *const *iids, const simvis_course_t *course,
                    uint64_t seed, visits_data_t **out);

#endif

/* simulate_courses.c: the clinical courses of a synthetic cohort (`bcms simulate --visits --patients`).
 * GPL-3.0-or-later. Called by sim_write_tables() once covariates and causal genotypes are known; the
 * course model and the record generator are in simulate_visits.{h,c}.
 *
 * Each sample's course comes from simvis_course_draw(); its sex and age at onset are replaced by the
 * covariate table's, and its progression rate is shifted on the log scale:
 *   log rate += 0.2 male + 0.03 (age_onset - 30) + 0.1 iso + sum_k beta_k (g_k - 2 p_k)
 * where the sum runs over the planted `progression` variants (the time-to-event variants with half
 * their log-hazard effect, listed in the causal file with SCALE log_rate); g_k is the true ALT count
 * and p_k the cohort ALT frequency, so the planted effects do not move the cohort's average rate and
 * the event rates stay those documented in simulate_visits.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "simulate_internal.h"
#include "simulate_visits.h"

int sim_write_visits(const simulate_opts_t *o, int64_t n, char *const *iids, const uint8_t *iso,
                     const uint8_t *sex, const double *age, const sim_causal_t *causal, int nc,
                     int64_t *n_records)
{
    int ret = 0;
    simvis_course_t *course = NULL;
    visits_data_t *d = NULL;
    FILE *pf = NULL, *vf = NULL;
    simvis_opts_t so;
    sim_rng_t r;

    if (!(course = malloc((size_t)n * sizeof *course))) {
        ret = bcms_err(BCMS_ENOMEM, "clinical courses for %" PRId64 " samples", n);
        goto out;
    }
    /* One seed for the course generator, derived from the cohort seed: its streams are keyed by
     * (seed, sample), so a sample's course depends on neither the cohort size nor the threads. */
    sim_rng_init(&r, o->seed, SIM_TAG_VISITS, 0);
    const uint64_t vseed = sim_next(&r);
    for (int64_t i = 0; i < n; i++) {
        simvis_course_t *c = &course[i];
        simvis_course_draw(vseed, (size_t)i, c);
        c->sex = sex[i];
        c->onset_age = age[i];
        double eta = 0.2 * (sex[i] == 1) + 0.03 * (age[i] - 30) + 0.1 * iso[i];
        for (int k = 0; k < nc; k++)
            if (causal[k].trait == SIM_TRAIT_PROGRESSION)
                eta += causal[k].beta * (causal[k].dosage[i] - 2 * causal[k].alt_freq);
        c->rate *= exp(eta);
    }
    simvis_opts_init(&so);
    if ((ret = simvis_generate(&so, (size_t)n, (const char *const *)iids, course, vseed, &d))) goto out;
    if (!(pf = fopen(o->out_patients, "w"))) {
        ret = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", o->out_patients, strerror(errno));
        goto out;
    }
    if (!(vf = fopen(o->out_visits, "w"))) {
        ret = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", o->out_visits, strerror(errno));
        goto out;
    }
    if (visits_write(d, pf, vf)) {
        ret = bcms_err(BCMS_EIO, "%s, %s: write failed", o->out_patients, o->out_visits);
        goto out;
    }
    int e1 = fclose(pf), e2 = fclose(vf);
    pf = vf = NULL;
    if (e1 || e2) {
        ret = bcms_err(BCMS_EIO, "%s: write failed: %s", e1 ? o->out_patients : o->out_visits, strerror(errno));
        goto out;
    }
    if (n_records) *n_records = (int64_t)d->n_visits;
out:
    if (pf) fclose(pf);
    if (vf) fclose(vf);
    visits_free(d);
    free(course);
    return ret;
}

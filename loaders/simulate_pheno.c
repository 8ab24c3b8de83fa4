/* simulate_pheno.c: covariates, phenotypes and the causal-variant list of a synthetic cohort.
 * GPL-3.0-or-later. Called by simulate_run() once the genotypes of the causal variants are known.
 *
 * The clinical courses (--visits/--patients) are drawn after the covariates, in simulate_courses.c.
 * Models (g = true ALT count of a planted variant, before missingness; iso = isolate population):
 *   severity      = 3 + 0.04 (age - 30) + 0.4 male + 0.5 iso + sum beta g + N(0, 1.5), clipped to [0, 10]
 *   binary_trait  ~ Bernoulli(logit^-1(b0 + 0.3 female + 0.3 iso + 0.02 (age - 30) + sum beta g)), 2 = case;
 *                   b0 is solved so that the expected case share is 40%
 *   time_to_edss6 : Weibull(shape 1.3) event time with log-hazard 0.3 male + 0.03 (age - 30) + 0.2 iso
 *                   + sum beta g, censored by a uniform follow-up of 1-25 years; the scale is solved so
 *                   that ~30% of samples have the event (70% censored)
 * PCs are PC-like values that separate the two populations (PC1 strongly, PC2 weakly). About 1.5% of
 * each phenotype is NA. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "simulate_internal.h"

#define NA_RATE 0.015

static const char *trait_name[SIM_N_TRAITS + 1] = {"severity", "binary_trait", "time_to_edss6", "progression"};
static const char *trait_scale[SIM_N_TRAITS + 1] = {"score_per_allele", "log_odds", "log_hazard", "log_rate"};

static double genetic(const sim_causal_t *c, int nc, int trait, int64_t i)
{
    double s = 0;
    for (int k = 0; k < nc; k++)
        if (c[k].trait == trait) s += c[k].beta * c[k].dosage[i];
    return s;
}

static int close_file(FILE *f, const char *path, int ret)
{
    if (fclose(f) != 0 && !ret) return bcms_err(BCMS_EIO, "%s: write failed: %s", path, strerror(errno));
    return ret;
}

/* The causal list: <stem>.causal.tsv beside the phenotype table (or the visit table without one). */
static int write_causal(const char *beside, const sim_causal_t *causal, int nc)
{
    int ret = 0;
    FILE *f = NULL;
    size_t len = strlen(beside);
    char *path = malloc(len + 16);
    if (!path) return bcms_err(BCMS_ENOMEM, "path");
    memcpy(path, beside, len + 1);
    if (len > 4 && !strcmp(path + len - 4, ".tsv")) path[len - 4] = 0;
    strcat(path, ".causal.tsv");
    if (!(f = fopen(path, "w"))) {
        ret = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", path, strerror(errno));
        goto out;
    }
    fputs("#TRAIT\tID\tCHROM\tPOS\tREF\tALT\tA1\tBETA\tSCALE\tA1_FREQ\n", f);
    for (int c = 0; c < nc; c++)
        fprintf(f, "%s\t%s\t%s\t%" PRId64 "\t%c\t%c\t%c\t%.3f\t%s\t%.4f\n", trait_name[causal[c].trait], causal[c].id,
                causal[c].chrom, causal[c].pos, causal[c].ref, causal[c].alt, causal[c].alt, causal[c].beta,
                trait_scale[causal[c].trait], causal[c].alt_freq);
    ret = close_file(f, path, ferror(f) ? bcms_err(BCMS_EIO, "%s: write failed", path) : 0);
out:
    free(path);
    return ret;
}

void sim_draw_covars(const simulate_opts_t *o, int64_t n, const uint8_t *iso, uint8_t *sex, double *age, double *pc)
{
    /* Covariates: MS is ~70% female; onset around 30. */
    sim_rng_t r;
    sim_rng_init(&r, o->seed, SIM_TAG_COVAR, 0);
    for (int64_t i = 0; i < n; i++) {
        sex[i] = sim_u01(&r) < 0.7 ? 2 : 1;
        double a = 30 + 9 * sim_normal(&r);
        age[i] = round(fmin(65, fmax(10, a)) * 10) / 10;
        double p1 = iso[i] ? 0.030 : -0.012, p2 = iso[i] ? -0.004 : 0.006;
        pc[4 * i + 0] = p1 + 0.006 * sim_normal(&r);
        pc[4 * i + 1] = p2 + 0.008 * sim_normal(&r);
        pc[4 * i + 2] = 0.01 * sim_normal(&r);
        pc[4 * i + 3] = 0.01 * sim_normal(&r);
    }
}

int sim_write_tables(const simulate_opts_t *o, int64_t n, char *const *iids, const uint8_t *iso,
                     const sim_causal_t *causal0, int nc0, int64_t *n_visit_records)
{
    int ret = 0, nc = nc0;
    FILE *f = NULL;
    sim_causal_t *causal = NULL;
    double *age = NULL, *pc = NULL, *eta = NULL, *u1 = NULL, *u2 = NULL;
    uint8_t *sex = NULL;
    sim_rng_t r;

    *n_visit_records = 0;
    /* The causal list, plus the progression effects of the time-to-event variants with --visits. */
    if (!(causal = malloc(((size_t)nc0 * 2 + 1) * sizeof *causal))) {
        ret = bcms_err(BCMS_ENOMEM, "causal list");
        goto out;
    }
    if (nc0) memcpy(causal, causal0, (size_t)nc0 * sizeof *causal);
    for (int k = 0; o->out_visits && k < nc0; k++)
        if (causal0[k].trait == SIM_TRAIT_TIME) {
            causal[nc] = causal0[k];
            causal[nc].trait = SIM_TRAIT_PROGRESSION;
            causal[nc].beta = round(SIM_PROG_SCALE * causal0[k].beta * 1000) / 1000;
            nc++;
        }
    if (!(age = malloc((size_t)n * sizeof *age)) || !(pc = malloc((size_t)n * 4 * sizeof *pc)) ||
        !(sex = malloc((size_t)n)) || !(eta = malloc((size_t)n * sizeof *eta)) ||
        !(u1 = malloc((size_t)n * sizeof *u1)) || !(u2 = malloc((size_t)n * sizeof *u2))) {
        ret = bcms_err(BCMS_ENOMEM, "phenotype tables for %" PRId64 " samples", n);
        goto out;
    }
    sim_draw_covars(o, n, iso, sex, age, pc);
    if (o->out_covar) {
        if (!(f = fopen(o->out_covar, "w"))) {
            ret = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", o->out_covar, strerror(errno));
            goto out;
        }
        fputs("#IID\tsex\tage_onset\tPC1\tPC2\tPC3\tPC4\tpopulation\n", f);
        for (int64_t i = 0; i < n; i++)
            fprintf(f, "%s\t%d\t%.1f\t%.5f\t%.5f\t%.5f\t%.5f\t%s\n", iids[i], sex[i], age[i], pc[4 * i],
                    pc[4 * i + 1], pc[4 * i + 2], pc[4 * i + 3], iso[i] ? "isolate" : "mainland");
        ret = close_file(f, o->out_covar, ferror(f) ? BCMS_EIO : 0);
        f = NULL;
        if (ret) {
            ret = bcms_err(BCMS_EIO, "%s: write failed", o->out_covar);
            goto out;
        }
    }
    if (o->out_visits && (ret = sim_write_visits(o, n, iids, iso, sex, age, causal, nc, n_visit_records))) goto out;
    if (!o->out_pheno) goto causal_list;

    if (!(f = fopen(o->out_pheno, "w"))) {
        ret = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", o->out_pheno, strerror(errno));
        goto out;
    }
    sim_rng_init(&r, o->seed, SIM_TAG_PHENO, 0);
    /* Severity, written straight into the sample rows below: keep it in eta for now. */
    double *sev = eta;
    for (int64_t i = 0; i < n; i++) {
        double y = 3 + 0.04 * (age[i] - 30) + 0.4 * (sex[i] == 1) + 0.5 * iso[i] +
                   genetic(causal, nc, SIM_TRAIT_SEVERITY, i) + 1.5 * sim_normal(&r);
        sev[i] = round(fmin(10, fmax(0, y)) * 100) / 100;
    }
    /* Binary: solve the intercept for a 40% expected case share (bisection, deterministic). */
    double *lin = u2;
    for (int64_t i = 0; i < n; i++) {
        lin[i] = 0.3 * (sex[i] == 2) + 0.3 * iso[i] + 0.02 * (age[i] - 30) + genetic(causal, nc, SIM_TRAIT_BINARY, i);
        u1[i] = sim_u01(&r);
    }
    double lo = -30, hi = 30;
    for (int it = 0; it < 100; it++) {
        double mid = 0.5 * (lo + hi), s = 0;
        for (int64_t i = 0; i < n; i++) s += 1 / (1 + exp(-(mid + lin[i])));
        if (s / (double)n < 0.4) lo = mid;
        else hi = mid;
    }
    uint8_t *cc = malloc((size_t)n);
    if (!cc) {
        ret = bcms_err(BCMS_ENOMEM, "phenotype tables for %" PRId64 " samples", n);
        goto out;
    }
    for (int64_t i = 0; i < n; i++) cc[i] = u1[i] < 1 / (1 + exp(-(lo + lin[i]))) ? 2 : 1;
    /* Time to EDSS 6: Weibull event time T = (-log U / (lambda e^eta))^(1/k) against follow-up C. */
    const double k = 1.3;
    for (int64_t i = 0; i < n; i++) {
        lin[i] = 0.3 * (sex[i] == 1) + 0.03 * (age[i] - 30) + 0.2 * iso[i] + genetic(causal, nc, SIM_TRAIT_TIME, i);
        u1[i] = -log(sim_u01_pos(&r)) * exp(-lin[i]); /* = lambda T^k */
    }
    double *cens = malloc((size_t)n * sizeof *cens);
    if (!cens) {
        free(cc);
        ret = bcms_err(BCMS_ENOMEM, "phenotype tables for %" PRId64 " samples", n);
        goto out;
    }
    for (int64_t i = 0; i < n; i++) cens[i] = 1 + 24 * sim_u01(&r);
    lo = -30, hi = 30; /* log lambda */
    for (int it = 0; it < 100; it++) {
        double mid = 0.5 * (lo + hi), lam = exp(mid);
        int64_t ev = 0;
        for (int64_t i = 0; i < n; i++) ev += pow(u1[i] / lam, 1 / k) <= cens[i];
        if ((double)ev < 0.3 * (double)n) lo = mid;
        else hi = mid;
    }
    double lam = exp(hi);
    fputs("#IID\tseverity\tbinary_trait\ttime_to_edss6\tedss6_event\n", f);
    for (int64_t i = 0; i < n; i++) {
        double t = pow(u1[i] / lam, 1 / k);
        int ev = t <= cens[i];
        if (!ev) t = cens[i];
        t = fmax(0.01, round(t * 100) / 100);
        fprintf(f, "%s\t", iids[i]);
        if (sim_u01(&r) < NA_RATE) fputs("NA\t", f);
        else fprintf(f, "%.2f\t", sev[i]);
        if (sim_u01(&r) < NA_RATE) fputs("NA\t", f);
        else fprintf(f, "%d\t", cc[i]);
        if (sim_u01(&r) < NA_RATE) fputs("NA\tNA\n", f);
        else fprintf(f, "%.2f\t%d\n", t, ev);
    }
    free(cc);
    free(cens);
    ret = close_file(f, o->out_pheno, ferror(f) ? bcms_err(BCMS_EIO, "%s: write failed", o->out_pheno) : 0);
    f = NULL;
    if (ret) goto out;

causal_list:
    if (o->out_pheno || o->out_visits) ret = write_causal(o->out_pheno ? o->out_pheno : o->out_visits, causal, nc);
out:
    if (f) fclose(f);
    free(causal);
    free(age);
    free(pc);
    free(sex);
    free(eta);
    free(u1);
    free(u2);
    return ret;
}

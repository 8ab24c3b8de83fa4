/* clinical.h: clinical progression fields derived from EDSS visits (MSSS, ARMSS, sustained EDSS
 * milestones, confirmed disability progression), independent of the genotype store.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * ===================================== DERIVED FIELDS =====================================
 * All times are in years (days / 365.25) from the onset date (onset_date of the patients file),
 * so every time-to-event field is on one scale and carries its own entry time for left truncation.
 * A field that cannot be derived is NA (written "NA").
 *
 * Severity, at one EDSS assessment chosen by clin_opts_t.sev_pick (default: the latest; also the
 * first or the highest):
 *   sev_edss       the EDSS used
 *   sev_dd         disease duration at that assessment: (date - onset_date) / 365.25
 *   sev_age        age at that assessment: (date - birth_date) / 365.25, or age_at_onset + sev_dd
 *   msss_2005      global MSSS, Roxburgh et al. Neurology 2005 (table rows dd0..dd30)
 *   msss_2017      updated global MSSS, Manouchehrinia et al. 2017 (ms.sev "uGMSSS", rows dd1..dd30)
 *   armss          global ARMSS, Manouchehrinia et al. MSJ 2017 (rows age 18..75)
 *   EDSS 10 (death due to MS) has no column in the tables; it ranks above every living patient of
 *   the same duration or age, so the three scores are 10 where the table has the row (ms.sev gives
 *   NA; CLIN_ROWS_MSSEV keeps that).
 *
 * EDSS 10 is final (death due to MS; the loader refuses any later assessment, visits.h): an EDSS 10
 * assessment is always usable (even inside a relapse window), counts as sustained and confirmed by
 * itself, and confirms every rise it follows. So a patient whose last visit is EDSS 10 reaches every
 * milestone, and confirmed progression, at that visit at the latest.
 *
 *   Row choice, and the ms.sev off-by-one (peer-data/ms-severity/PROVENANCE.md). ms.sev looks up the
 *   updated table at the row *labelled* dd+1 (dd = 5 -> row "dd6") but the 2005 table at the row
 *   labelled dd, and caps durations > 28 at "dd29" (2005) / "dd30" (updated). Both tables label
 *   their rows by disease duration in completed years (the 2005 table has a row dd0; the updated one
 *   starts at dd1), so the same patient would be scored at two different durations by the two
 *   tables: that cannot be what both tables intend. bcms therefore DEFAULTS to the labelled row,
 *   floor(dd), in both tables (CLIN_ROWS_LABEL; dd >= 30 uses row 30; dd < 1 has no row in the
 *   updated table -> NA), which is also python-mssev's reading. CLIN_ROWS_MSSEV (`--msss-rows
 *   mssev`) reproduces ms.sev exactly, so scores published with ms.sev can be recomputed; the unit
 *   test checks that mode against the 20 ms.sev-computed worked examples, and that the default
 *   differs from it exactly by one row of the updated table. ARMSS has no such issue: row
 *   floor(age), ages 18..75 (ms.sev mode: 18 <= age <= 75, as ms.sev tests it).
 *
 * Sustained EDSS milestones m (default 3, 4, 6; columns edss<m>_time, edss<m>_event, edss<m>_entry):
 *   An EDSS assessment i with EDSS_i >= m is a sustained milestone when the first later assessment j
 *   with date_j - date_i >= sustain_days (default 180) exists and every assessment after i up to
 *   and including j has EDSS >= m. With sustain_to_end, every later assessment must also stay >= m.
 *   sustain_days = 0: no confirmation (the first assessment >= m counts).
 *   time  = (date_i - onset) of the first sustained assessment, event = 1; otherwise time = last
 *           assessment - onset, event = 0 (censored at the last visit; an unconfirmed rise at the end
 *           of follow-up is censored).
 *   entry = (entry_date - onset), or (first visit - onset) when there is no entry_date; clamped >= 0.
 *   When time <= entry (the milestone was already reached when observation began, or no follow-up
 *   after entry) the time, event and entry are NA: the onset-to-milestone time is not observable
 *   in a left-truncated design, and a Cox model with entry times must not see time <= entry.
 *
 * Confirmed disability progression (columns cdp_time, cdp_event, cdp_entry, cdp_base):
 *   Assessments recorded 0..relapse_days (default 30; < 0 disables) days after a relapse onset are
 *   ignored entirely (not a baseline, not a progression, not a confirmation). Baseline = the first
 *   remaining assessment. Progression at assessment i: EDSS_i >= ref + inc(ref), where
 *   inc = inc_zero (1.5) when ref = 0, inc_low (1.0) when ref <= cut (5.5), inc_high (0.5) above.
 *   Confirmed as for milestones, with confirm_days (84 = 12 weeks default; 168 = 24 weeks): the first
 *   assessment >= confirm_days after i exists and all assessments after i up to it stay >= ref+inc.
 *   ref is the baseline EDSS (fixed), or with roving the lowest EDSS seen so far: any assessment
 *   below ref (and not itself a progression) becomes the new reference immediately.
 *   time = first confirmed progression assessment (event 1), else the last assessment (event 0);
 *   entry = the baseline assessment; cdp_base = baseline EDSS. Times from onset (cdp_origin
 *   ONSET; NA without an onset date) or from the baseline assessment (BASELINE: entry 0, no onset
 *   needed). time <= entry (a single assessment) -> NA.
 *
 * Output table (clin_write_table), tab-separated, one row per patient, NA for missing; every field
 * name after clin_opts_t.prefix (--prefix, default none):
 *   #IID sev_edss sev_dd sev_age msss_2005 msss_2017 armss
 *   [edss<m>_time edss<m>_event edss<m>_entry for each milestone m] cdp_time cdp_event cdp_entry cdp_base
 *   Times in years with 4 decimals; events 0/1; scores as printed in the tables.
 * ===========================================================================================
 */
#ifndef BCMS_CLINICAL_H
#define BCMS_CLINICAL_H

#include <stddef.h>
#include <stdio.h>

#include "visits.h"

#define CLIN_MAX_MILESTONES 8
#define CLIN_DAYS_PER_YEAR 365.25

enum clin_rows { CLIN_ROWS_LABEL = 0, CLIN_ROWS_MSSEV = 1 };
enum clin_pick { CLIN_PICK_LAST = 0, CLIN_PICK_FIRST = 1, CLIN_PICK_MAX = 2 };
enum clin_origin { CLIN_ORIGIN_ONSET = 0, CLIN_ORIGIN_BASELINE = 1 };

typedef struct {
    /* severity */
    int msss_rows; /* enum clin_rows */
    int sev_pick;  /* enum clin_pick */
    /* milestones */
    int n_milestones;
    double milestones[CLIN_MAX_MILESTONES]; /* EDSS values on the scale, ascending */
    int sustain_days;                        /* >= 0 */
    int sustain_to_end;                      /* 0/1 */
    /* confirmed disability progression */
    double cdp_inc_zero, cdp_inc_low, cdp_inc_high, cdp_cut;
    int cdp_confirm_days; /* >= 0 */
    int cdp_roving;       /* 0 fixed, 1 roving */
    int cdp_relapse_days; /* < 0: relapses not considered */
    int cdp_origin;       /* enum clin_origin */
    /* output */
    char prefix[64];      /* put before every field name (--prefix), so the fields can sit beside stored
                             columns of the same names; "" none */
} clin_opts_t;

/* Defaults as documented above. */
void clin_opts_init(clin_opts_t *o);

/* 0, or BCMS_EINVAL with a detail naming the bad option. */
int clin_opts_check(const clin_opts_t *o);

typedef struct {
    double time, event, entry; /* NAN when not derivable */
} clin_tte_t;

typedef struct {
    double sev_edss, sev_dd, sev_age, msss_2005, msss_2017, armss;
    clin_tte_t milestone[CLIN_MAX_MILESTONES];
    clin_tte_t cdp;
    double cdp_base;
} clin_result_t;

/* Severity table lookups (queries/clinical/msss.c); NAN outside the table (EDSS 10 or not on the scale,
 * dd < 0, age outside 18..75). dd and age in years, may be fractional. */
double clin_msss_2005(double edss, double dd, int rows);
double clin_msss_2017(double edss, double dd, int rows);
double clin_armss(double edss, double age, int rows);

/* Milestone and CDP rules on one patient's visits v[0..n) (sorted by date; relapse-only records
 * allowed) with times measured from day `origin` (days since 1970-01-01) (queries/clinical/cdp.c).
 * entry_day is the start of observation (VISITS_DATE_NA: first visit). Never fail. */
void clin_milestone(const clin_opts_t *o, const visits_visit_t *v, size_t n, double m, int32_t origin,
                    int32_t entry_day, clin_tte_t *out);
/* *base receives the baseline EDSS (NAN when no assessment). origin VISITS_DATE_NA: times from the
 * baseline assessment (CLIN_ORIGIN_BASELINE). */
void clin_cdp(const clin_opts_t *o, const visits_visit_t *v, size_t n, int32_t origin, clin_tte_t *out,
              double *base);

/* All fields for patient k of d. */
void clin_derive(const clin_opts_t *o, const visits_data_t *d, size_t k, clin_result_t *out);

/* Write the PLINK 2 style table: "#IID" then the columns above in the documented order (names
 * after o->prefix), one row per patient in d's order. Returns 0 or BCMS_EIO. */
int clin_write_table(const clin_opts_t *o, const visits_data_t *d, FILE *fp);

/* The same into the open file descriptor fd (plain text), which stays open. */
int clin_write_fd(const clin_opts_t *o, const visits_data_t *d, int fd);

/* The same into an output opened by the caller (queries/read/outfile.h; BGZF for ".gz"). */
struct bcms_outfile_t;
int clin_write_out(const clin_opts_t *o, const visits_data_t *d, struct bcms_outfile_t *f);

/* Same into path, atomically and owner-only (bcms_outfile_open with BCMS_OUT_PRIVATE): written to
 * a temporary file beside path, mode 0600, and renamed only on success; on failure nothing is left
 * at path (an existing file is kept untouched). */
int clin_write_file(const clin_opts_t *o, const visits_data_t *d, const char *path);

#endif

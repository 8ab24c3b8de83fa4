/* visits.h: patient and clinical-visit tables (EDSS assessments, relapses) coming into bcms.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * INPUT FORMATS. Both files are tab-separated text with one header line; the header may start with
 * '#' (PLINK 2 style "#IID"). Columns are found by name, in any order; unknown columns are ignored;
 * a column name given twice is an error. Missing values: "NA", "." or an empty field. Dates are
 * YYYY-MM-DD (real calendar dates, 1800-01-01..2199-12-31). CRLF line ends are accepted.
 *
 *  patients (optional file)         required: IID
 *    IID             patient id, unique in the file
 *    sex             1/M/male, 2/F/female, 0/NA unknown                              (optional)
 *    birth_date      date of birth                                                    (optional)
 *    age_at_onset    years, 0..100; used for ages when birth_date is missing          (optional)
 *    onset_date      date of the first MS symptom: the time origin of every field     (optional)
 *    diagnosis_date  must not precede onset_date                                      (optional)
 *    entry_date      registry entry: start of observation (left truncation)           (optional)
 *
 *  visits                           required: IID, date, edss; optional: relapse
 *    IID             must be in the patients file when one is given
 *    date            date of the visit
 *    edss            EDSS on the Kurtzke scale 0, 1, 1.5, 2, ..., 9.5, 10 (0.5 does not exist);
 *                    NA for a relapse-only record
 *    relapse         0/1: a relapse began on this date (default 0)
 *
 * A file is rejected as a whole (BCMS_EINPUT, detail "FILE:LINE: what, what to do") for: a bad
 * EDSS, a bad date, a visit before the patient's onset date, an unknown patient, a duplicated
 * header column, a missing required column, a duplicated patient, a wrong field count, or a
 * patient whose dates are out of order (birth > onset, onset > diagnosis).
 *
 * COURSES a person can have had (checked after sorting; every offending row counted, the first
 * named with file and line). Refused (BCMS_EINPUT): any record dated after an EDSS 10 (death due
 * to MS) other than a repeated EDSS 10; two routine assessments of one patient on one date with
 * different EDSS. Warned about (bcms_log, file and line), as judgement calls: two different EDSS on
 * one date when one is on a relapse record (an EDSS taken during the relapse; both kept); dates
 * (visits and patients' dates) after today + 1 day (the answer depends on the day bcms runs, and
 * simulated cohorts are dated ahead). Several records of one patient on one date are kept in the
 * order: relapse records first, then file order (so the routine assessment is the day's last).
 *
 * Dates are held as days since 1970-01-01 (int32); VISITS_DATE_NA marks a missing one.
 */
#ifndef BCMS_VISITS_H
#define BCMS_VISITS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define VISITS_DATE_NA INT32_MIN

typedef struct {
    char *iid;
    int sex;               /* 0 unknown, 1 male, 2 female */
    int32_t birth, onset, diagnosis, entry; /* days since 1970-01-01 or VISITS_DATE_NA */
    double age_at_onset;   /* years; NAN when not given (derived from birth when possible) */
    size_t first_visit, n_visits; /* this patient's slice of visits_data_t.visits, sorted by date */
} visits_patient_t;

typedef struct {
    int32_t date;  /* days since 1970-01-01 */
    double edss;   /* NAN: no assessment on this record (relapse only) */
    int relapse;   /* 1: relapse onset on this date */
} visits_visit_t;

typedef struct {
    size_t n_patients;
    visits_patient_t *patients; /* in patients-file order, then visit-file order of first sight */
    size_t n_visits;
    visits_visit_t *visits;     /* grouped by patient, each group sorted by date (stable) */
} visits_data_t;

/* Parse a YYYY-MM-DD date into days since 1970-01-01. Returns 0, or BCMS_EINPUT for anything that
 * is not a real calendar date. */
int visits_parse_date(const char *s, int32_t *days);

/* Format days since 1970-01-01 as YYYY-MM-DD into buf (at least 11 bytes). */
void visits_format_date(int32_t days, char *buf);

/* 1 when x is on the EDSS scale (0, 1, 1.5, ..., 10), else 0. */
int visits_edss_valid(double x);

/* Read the patients file (NULL: none; patients are then created from the visit table, with every
 * date unknown) and the visits file. On success *out is a new table the caller frees with
 * visits_free(). On failure *out is NULL and the return is BCMS_EINPUT (detail names file and
 * line), BCMS_EIO or BCMS_ENOMEM. */
int visits_load(const char *patients_path, const char *visits_path, visits_data_t **out);

void visits_free(visits_data_t *d);

/* Write d back as the two TSV formats above (patients: IID sex birth_date age_at_onset onset_date
 * diagnosis_date entry_date; visits: IID date edss relapse). Either FILE may be NULL. Returns 0 or
 * BCMS_EIO. */
int visits_write(const visits_data_t *d, FILE *patients, FILE *visits);

/* Index of a patient by IID (linear scan; for tests and small lookups), or -1. */
long visits_find(const visits_data_t *d, const char *iid);

#endif

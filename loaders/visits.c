/* visits.c: parse the patient and visit tables (formats in visits.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "visits.h"

/* ---- dates: proleptic Gregorian, days since 1970-01-01 (H. Hinnant's civil algorithms) ---- */

static int32_t days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int32_t)doe - 719468;
}

static void civil_from_days(int32_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)yoe + era * 400 + (*m <= 2);
}

int visits_parse_date(const char *s, int32_t *days)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y = 0;
    unsigned m, d;
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') return BCMS_EINPUT;
        } else if (s[i] < '0' || s[i] > '9') return BCMS_EINPUT;
    }
    if (s[10]) return BCMS_EINPUT;
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (y < 1800 || y > 2199 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return BCMS_EINPUT;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return BCMS_EINPUT;
    *days = days_from_civil(y, m, d);
    return 0;
}

void visits_format_date(int32_t days, char *buf)
{
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    /* dates of the tables are years 0..9999 (months 1..12, days 1..31): 10 characters + NUL */
    snprintf(buf, 11, "%04u-%02u-%02u", (unsigned)((y % 10000 + 10000) % 10000), m % 13, d % 32);
}

int visits_edss_valid(double x)
{
    if (!(x >= 0.0 && x <= 10.0)) return 0;
    if (x == 0.0) return 1;
    return x >= 1.0 && floor(x * 2.0) == x * 2.0;
}

/* Today (UTC) as days since 1970-01-01, plus one day for the time zones of the clinics: a later
 * date cannot be a visit that happened. */
static int32_t latest_date(void)
{
    return (int32_t)(time(NULL) / 86400) + 1;
}

/* ---- a small string -> index hash for IIDs ---- */

typedef struct {
    size_t cap; /* power of two */
    long *slot; /* patient index or -1 */
} iid_hash_t;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static long hash_get(const iid_hash_t *h, const visits_patient_t *p, const char *iid)
{
    if (!h->cap) return -1;
    for (size_t i = str_hash(iid) & (h->cap - 1);; i = (i + 1) & (h->cap - 1)) {
        if (h->slot[i] < 0) return -1;
        if (!strcmp(p[h->slot[i]].iid, iid)) return h->slot[i];
    }
}

/* Insert index k (whose iid is p[k].iid); grows the table to keep load <= 1/2. */
static int hash_put(iid_hash_t *h, const visits_patient_t *p, long k, size_t n_after)
{
    if (2 * n_after > h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        while (2 * n_after > cap) cap *= 2;
        long *s = malloc(cap * sizeof *s);
        if (!s) return BCMS_ENOMEM;
        for (size_t i = 0; i < cap; i++) s[i] = -1;
        for (size_t j = 0; j < h->cap; j++) {
            if (h->slot[j] < 0) continue;
            size_t i = str_hash(p[h->slot[j]].iid) & (cap - 1);
            while (s[i] >= 0) i = (i + 1) & (cap - 1);
            s[i] = h->slot[j];
        }
        free(h->slot);
        h->slot = s;
        h->cap = cap;
    }
    size_t i = str_hash(p[k].iid) & (h->cap - 1);
    while (h->slot[i] >= 0) i = (i + 1) & (h->cap - 1);
    h->slot[i] = k;
    return 0;
}

/* ---- line splitting ---- */

typedef struct {
    char *line;
    size_t cap;
    char **f;
    size_t nf, fcap;
    long lineno;
} reader_t;

/* Read the next line and split it on tabs in place. Returns 1 with a line, 0 at EOF, <0 on error.
 * Blank lines are skipped. */
static int reader_next(reader_t *r, FILE *fp)
{
    ssize_t len;
    for (;;) {
        errno = 0;
        len = getline(&r->line, &r->cap, fp);
        if (len < 0) return ferror(fp) ? BCMS_EIO : 0;
        r->lineno++;
        while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r')) r->line[--len] = 0;
        if (len > 0) break;
    }
    r->nf = 0;
    for (char *p = r->line;;) {
        if (r->nf == r->fcap) {
            size_t c = r->fcap ? r->fcap * 2 : 16;
            char **f = realloc(r->f, c * sizeof *f);
            if (!f) return BCMS_ENOMEM;
            r->f = f;
            r->fcap = c;
        }
        r->f[r->nf++] = p;
        char *t = strchr(p, '\t');
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    return 1;
}

static int is_na(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, ".");
}

/* Map header names to column indexes; names[i] -> col[i] (-1 when absent). */
static int header_map(reader_t *r, const char *path, const char *const *names, int nn, int *col)
{
    for (int i = 0; i < nn; i++) col[i] = -1;
    for (size_t j = 0; j < r->nf; j++) {
        const char *h = r->f[j];
        if (j == 0 && h[0] == '#') h++;
        for (size_t k = 0; k < j; k++) {
            const char *o = r->f[k] + (k == 0 && r->f[k][0] == '#');
            if (!strcmp(o, h))
                return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' appears twice in the header (columns %zu and %zu); "
                                "keep one", path, r->lineno, h, k + 1, j + 1);
        }
        for (int i = 0; i < nn; i++)
            if (!strcmp(h, names[i])) col[i] = (int)j;
    }
    return 0;
}

static int parse_date_field(const char *s, const char *path, long line, const char *col, int32_t *out)
{
    if (is_na(s)) {
        *out = VISITS_DATE_NA;
        return 0;
    }
    if (visits_parse_date(s, out))
        return bcms_err(BCMS_EINPUT, "%s:%ld: %s '%s' is not a date; write YYYY-MM-DD (e.g. 2004-03-17)", path, line,
                        col, s);
    return 0;
}

/* ---- the table ---- */

typedef struct {
    visits_visit_t v;
    size_t patient;
    long line;
} raw_visit_t;

/* The store keys samples by IID, and an LMDB key is at most 511 bytes. */
#define VISITS_IID_MAX 511

static int add_patient(visits_data_t *d, size_t *cap, iid_hash_t *h, const char *iid, long *idx)
{
    if (d->n_patients == *cap) {
        size_t c = *cap ? *cap * 2 : 256;
        visits_patient_t *p = realloc(d->patients, c * sizeof *p);
        if (!p) return BCMS_ENOMEM;
        d->patients = p;
        *cap = c;
    }
    visits_patient_t *p = &d->patients[d->n_patients];
    memset(p, 0, sizeof *p);
    if (!(p->iid = strdup(iid))) return BCMS_ENOMEM;
    p->birth = p->onset = p->diagnosis = p->entry = VISITS_DATE_NA;
    p->age_at_onset = NAN;
    d->n_patients++;
    *idx = (long)d->n_patients - 1;
    return hash_put(h, d->patients, *idx, d->n_patients);
}

/* Every data line of both tables: the header's field count and a usable IID. */
static int check_row(const reader_t *r, const char *path, size_t nh, int iid_col)
{
    if (r->nf != nh)
        return bcms_err(BCMS_EINPUT, "%s:%ld: %zu fields where the header has %zu; separate fields with tabs", path,
                        r->lineno, r->nf, nh);
    const char *iid = r->f[iid_col];
    if (is_na(iid)) return bcms_err(BCMS_EINPUT, "%s:%ld: empty IID", path, r->lineno);
    if (strlen(iid) > VISITS_IID_MAX)
        return bcms_err(BCMS_EINPUT, "%s:%ld: patient ID '%.40s...' is %zu bytes long; a store keys samples by ID and "
                        "takes at most %d bytes: shorten the IDs (the same way in every file)", path, r->lineno, iid,
                        strlen(iid), VISITS_IID_MAX);
    return 0;
}

enum { P_IID, P_SEX, P_BIRTH, P_AAO, P_ONSET, P_DIAG, P_ENTRY, P_N };
static const char *const pat_cols[P_N] = {"IID", "sex", "birth_date", "age_at_onset", "onset_date", "diagnosis_date",
                                          "entry_date"};

static int load_patients(const char *path, visits_data_t *d, size_t *cap, iid_hash_t *h, reader_t *r)
{
    int col[P_N], ret;
    size_t nf = 0, *n_future = &nf;
    FILE *fp = fopen(path, "r");
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open the patients file: %s", path, strerror(errno));
    r->lineno = 0;
    if ((ret = reader_next(r, fp)) <= 0) {
        if (!ret) ret = bcms_err(BCMS_EINPUT, "%s: empty file; expected a header line with IID", path);
        goto done;
    }
    size_t nh = r->nf;
    if ((ret = header_map(r, path, pat_cols, P_N, col))) goto done;
    if (col[P_IID] < 0) {
        ret = bcms_err(BCMS_EINPUT, "%s:1: no IID column in the header; name the patient id column IID (or #IID)",
                       path);
        goto done;
    }
    while ((ret = reader_next(r, fp)) == 1) {
        long k;
        if ((ret = check_row(r, path, nh, col[P_IID]))) goto done;
        const char *iid = r->f[col[P_IID]];
        if (hash_get(h, d->patients, iid) >= 0) {
            ret = bcms_err(BCMS_EINPUT, "%s:%ld: patient '%s' appears twice; keep one row per patient", path,
                           r->lineno, iid);
            goto done;
        }
        if ((ret = add_patient(d, cap, h, iid, &k))) goto done;
        visits_patient_t *p = &d->patients[k];
        if (col[P_SEX] >= 0) {
            const char *s = r->f[col[P_SEX]];
            if (!strcmp(s, "1") || !strcasecmp(s, "M") || !strcasecmp(s, "male")) p->sex = 1;
            else if (!strcmp(s, "2") || !strcasecmp(s, "F") || !strcasecmp(s, "female")) p->sex = 2;
            else if (is_na(s) || !strcmp(s, "0") || !strcmp(s, "-9")) p->sex = 0;
            else {
                ret = bcms_err(BCMS_EINPUT, "%s:%ld: sex '%s' not understood; use 1/M (male), 2/F (female) or NA",
                               path, r->lineno, s);
                goto done;
            }
        }
        static const int dcols[] = {P_BIRTH, P_ONSET, P_DIAG, P_ENTRY};
        int32_t *dst[] = {&p->birth, &p->onset, &p->diagnosis, &p->entry};
        for (int i = 0; i < 4; i++) {
            if (col[dcols[i]] >= 0 &&
                (ret = parse_date_field(r->f[col[dcols[i]]], path, r->lineno, pat_cols[dcols[i]], dst[i])))
                goto done;
            if (*dst[i] != VISITS_DATE_NA && *dst[i] > latest_date() && !(*n_future)++)
                bcms_log(BCMS_LOG_WARN, "%s:%ld: %s %s is in the future; check the dates (more such dates are not "
                         "warned about)", path, r->lineno, pat_cols[dcols[i]], r->f[col[dcols[i]]]);
        }
        if (col[P_AAO] >= 0 && !is_na(r->f[col[P_AAO]])) {
            char *end;
            double a = strtod(r->f[col[P_AAO]], &end);
            if (*end || !(a >= 0 && a <= 100)) {
                ret = bcms_err(BCMS_EINPUT, "%s:%ld: age_at_onset '%s' is not a number of years in 0..100", path,
                               r->lineno, r->f[col[P_AAO]]);
                goto done;
            }
            p->age_at_onset = a;
        }
        if (p->birth != VISITS_DATE_NA && p->onset != VISITS_DATE_NA) {
            if (p->onset < p->birth) {
                ret = bcms_err(BCMS_EINPUT, "%s:%ld: onset_date is before birth_date; check both dates", path,
                               r->lineno);
                goto done;
            }
            p->age_at_onset = (p->onset - p->birth) / 365.25;
        }
        if (p->diagnosis != VISITS_DATE_NA && p->onset != VISITS_DATE_NA && p->diagnosis < p->onset) {
            ret = bcms_err(BCMS_EINPUT, "%s:%ld: diagnosis_date is before onset_date; check both dates", path,
                           r->lineno);
            goto done;
        }
    }
done:
    fclose(fp);
    return ret < 0 ? ret : 0;
}

enum { V_IID, V_DATE, V_EDSS, V_RELAPSE, V_N };
static const char *const vis_cols[V_N] = {"IID", "date", "edss", "relapse"};

static int cmp_raw(const void *a, const void *b)
{
    const raw_visit_t *x = a, *y = b;
    if (x->patient != y->patient) return x->patient < y->patient ? -1 : 1;
    if (x->v.date != y->v.date) return x->v.date < y->v.date ? -1 : 1;
    /* on one date, relapse records first: the routine assessment is the day's last word */
    if (x->v.relapse != y->v.relapse) return x->v.relapse ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static int load_visits(const char *path, int have_patients, visits_data_t *d, size_t *cap, iid_hash_t *h,
                       reader_t *r, raw_visit_t **rv, size_t *nrv)
{
    int col[V_N], ret;
    size_t rcap = 0;
    FILE *fp = fopen(path, "r");
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open the visits file: %s", path, strerror(errno));
    r->lineno = 0;
    if ((ret = reader_next(r, fp)) <= 0) {
        if (!ret) ret = bcms_err(BCMS_EINPUT, "%s: empty file; expected a header IID date edss relapse", path);
        goto done;
    }
    size_t nh = r->nf;
    if ((ret = header_map(r, path, vis_cols, V_N, col))) goto done;
    for (int i = 0; i < V_RELAPSE; i++)
        if (col[i] < 0) {
            ret = bcms_err(BCMS_EINPUT, "%s:1: no '%s' column in the header; the visit table needs IID, date, edss "
                           "(and optionally relapse)", path, vis_cols[i]);
            goto done;
        }
    while ((ret = reader_next(r, fp)) == 1) {
        long k;
        raw_visit_t x;
        if ((ret = check_row(r, path, nh, col[V_IID]))) goto done;
        const char *iid = r->f[col[V_IID]];
        k = hash_get(h, d->patients, iid);
        if (k < 0) {
            if (have_patients) {
                ret = bcms_err(BCMS_EINPUT, "%s:%ld: patient '%s' is not in the patients file; add the patient or "
                               "remove the visit", path, r->lineno, iid);
                goto done;
            }
            if ((ret = add_patient(d, cap, h, iid, &k))) goto done;
        }
        const char *ds = r->f[col[V_DATE]];
        if (is_na(ds) || visits_parse_date(ds, &x.v.date)) {
            ret = bcms_err(BCMS_EINPUT, "%s:%ld: visit date '%s' is not a date; write YYYY-MM-DD", path, r->lineno,
                           ds);
            goto done;
        }
        const char *es = r->f[col[V_EDSS]];
        x.v.edss = NAN;
        if (!is_na(es)) {
            char *end;
            double e = strtod(es, &end);
            if (*end || !visits_edss_valid(e)) {
                ret = bcms_err(BCMS_EINPUT, "%s:%ld: EDSS '%s' is not on the EDSS scale (0, 1, 1.5, 2, ..., 9.5, 10; "
                               "0.5 does not exist); correct it or write NA", path, r->lineno, es);
                goto done;
            }
            x.v.edss = e;
        }
        x.v.relapse = 0;
        if (col[V_RELAPSE] >= 0) {
            const char *s = r->f[col[V_RELAPSE]];
            if (!strcmp(s, "1")) x.v.relapse = 1;
            else if (!strcmp(s, "0") || is_na(s)) x.v.relapse = 0;
            else {
                ret = bcms_err(BCMS_EINPUT, "%s:%ld: relapse '%s' must be 0 or 1", path, r->lineno, s);
                goto done;
            }
        }
        if (isnan(x.v.edss) && !x.v.relapse) {
            ret = bcms_err(BCMS_EINPUT, "%s:%ld: a visit with neither an EDSS nor a relapse; remove the row", path,
                           r->lineno);
            goto done;
        }
        int32_t onset = d->patients[k].onset;
        if (onset != VISITS_DATE_NA && x.v.date < onset) {
            char b[11];
            visits_format_date(onset, b);
            ret = bcms_err(BCMS_EINPUT, "%s:%ld: visit of '%s' on %s is before the onset date %s; check the dates",
                           path, r->lineno, iid, ds, b);
            goto done;
        }
        x.patient = (size_t)k;
        x.line = r->lineno;
        if (*nrv == rcap) {
            size_t c = rcap ? rcap * 2 : 1024;
            raw_visit_t *t = realloc(*rv, c * sizeof *t);
            if (!t) {
                ret = BCMS_ENOMEM;
                goto done;
            }
            *rv = t;
            rcap = c;
        }
        (*rv)[(*nrv)++] = x;
    }
done:
    fclose(fp);
    return ret < 0 ? ret : 0;
}

/* Each patient's course, sorted by date, must be one a person can have had (see visits.h):
 * one EDSS per date, nothing after EDSS 10 (death due to MS) but a repeated 10. Every offending
 * row is counted; the first is named with its line. Dates after today are warned about. */
static int check_courses(const char *path, const raw_visit_t *rv, size_t nrv, const visits_data_t *d)
{
    size_t nbad = 0, nfuture = 0, nrelapse = 0;
    int ret = 0;
    const int32_t latest = latest_date();
    char msg[1024] = "", future[256] = "", relapse[512] = "", b1[11], b2[11];
    for (size_t i = 0; i < nrv; i++) {
        const raw_visit_t *x = &rv[i];
        const char *iid = d->patients[x->patient].iid;
        size_t death = SIZE_MAX;
        int bad = 0;
        /* the patient's earliest EDSS 10 before x, and a same-date assessment with another EDSS */
        for (size_t j = i; j-- > 0 && rv[j].patient == x->patient;) {
            if (rv[j].v.edss == 10 && rv[j].v.date < x->v.date) death = j;
            if (!bad && rv[j].v.date == x->v.date && !isnan(x->v.edss) && !isnan(rv[j].v.edss) &&
                rv[j].v.edss != x->v.edss) {
                if (rv[j].v.relapse || x->v.relapse) { /* an EDSS during a relapse beside a routine one */
                    if (!nrelapse++)
                        snprintf(relapse, sizeof relapse, "%s:%ld: patient '%.60s' has EDSS %g and %g on %s (lines "
                                 "%ld and %ld), one on a relapse record", path, x->line, iid, rv[j].v.edss,
                                 x->v.edss, (visits_format_date(x->v.date, b1), b1), rv[j].line, x->line);
                    continue;
                }
                bad = 1;
                if (!nbad)
                    snprintf(msg, sizeof msg, "%s:%ld: patient '%.60s' has two EDSS on %s: %g here and %g on line %ld; "
                             "keep the one that is right", path, x->line, iid,
                             (visits_format_date(x->v.date, b1), b1), x->v.edss, rv[j].v.edss, rv[j].line);
            }
        }
        if (!bad && death != SIZE_MAX && !(x->v.edss == 10 && !x->v.relapse)) {
            bad = 1;
            if (!nbad)
                snprintf(msg, sizeof msg, "%s:%ld: patient '%.60s' has a %s on %s after EDSS 10 (death due to MS) on "
                         "%s, line %ld; EDSS 10 is final: correct one of the two", path, x->line, iid,
                         isnan(x->v.edss) ? "relapse" : "visit", (visits_format_date(x->v.date, b1), b1),
                         (visits_format_date(rv[death].v.date, b2), b2), rv[death].line);
        }
        if (x->v.date > latest && !nfuture++)
            snprintf(future, sizeof future, "%s:%ld: visit of '%.60s' on %s", path, x->line, iid,
                     (visits_format_date(x->v.date, b1), b1));
        nbad += bad;
    }
    /* a judgement call, so a warning: whether a date is in the future depends on the day bcms runs
     * (the same file would be refused today and accepted later), and simulated cohorts are dated
     * ahead; a real one with such dates has typing errors to look at */
    if (nrelapse)
        bcms_log(BCMS_LOG_WARN, "%s%s: both are kept, the relapse record first (the routine assessment is the day's "
                 "last); check them", relapse, nrelapse > 1 ? " (and more dates like it)" : "");
    if (nfuture)
        bcms_log(BCMS_LOG_WARN, "%s is in the future (after %s)%s; check the dates", future,
                 (visits_format_date(latest - 1, b2), b2), nfuture > 1 ? " (and more visits like it)" : "");
    if (nbad == 1) ret = bcms_err(BCMS_EINPUT, "%s", msg);
    else if (nbad)
        ret = bcms_err(BCMS_EINPUT, "%s (%zu impossible rows in all: two EDSS on one date, a visit after EDSS 10, or a "
                       "date in the future)", msg, nbad);
    return ret;
}

int visits_load(const char *patients_path, const char *visits_path, visits_data_t **out)
{
    int ret;
    size_t cap = 0, nrv = 0;
    iid_hash_t h = {0, NULL};
    reader_t r = {0};
    raw_visit_t *rv = NULL;
    visits_data_t *d = calloc(1, sizeof *d);
    *out = NULL;
    if (!d) return BCMS_ENOMEM;
    if (patients_path && (ret = load_patients(patients_path, d, &cap, &h, &r))) goto fail;
    if ((ret = load_visits(visits_path, patients_path != NULL, d, &cap, &h, &r, &rv, &nrv))) goto fail;
    if (nrv) qsort(rv, nrv, sizeof *rv, cmp_raw); /* qsort(NULL, 0) is undefined */
    if ((ret = check_courses(visits_path, rv, nrv, d))) goto fail;
    if (nrv && !(d->visits = malloc(nrv * sizeof *d->visits))) {
        ret = BCMS_ENOMEM;
        goto fail;
    }
    d->n_visits = nrv;
    for (size_t i = 0; i < nrv; i++) {
        visits_patient_t *p = &d->patients[rv[i].patient];
        if (!p->n_visits) p->first_visit = i;
        p->n_visits++;
        d->visits[i] = rv[i].v;
    }
    ret = 0;
    *out = d;
    d = NULL;
fail:
    if (ret == BCMS_ENOMEM) bcms_err(ret, "out of memory reading the visit tables");
    free(rv);
    free(h.slot);
    free(r.line);
    free(r.f);
    visits_free(d);
    return ret;
}

void visits_free(visits_data_t *d)
{
    if (!d) return;
    for (size_t i = 0; i < d->n_patients; i++) free(d->patients[i].iid);
    free(d->patients);
    free(d->visits);
    free(d);
}

long visits_find(const visits_data_t *d, const char *iid)
{
    for (size_t i = 0; i < d->n_patients; i++)
        if (!strcmp(d->patients[i].iid, iid)) return (long)i;
    return -1;
}

static void put_date(FILE *fp, int32_t x)
{
    char b[11];
    if (x == VISITS_DATE_NA) {
        fputs("\tNA", fp);
        return;
    }
    visits_format_date(x, b);
    fprintf(fp, "\t%s", b);
}

int visits_write(const visits_data_t *d, FILE *pf, FILE *vf)
{
    if (pf) {
        fputs("#IID\tsex\tbirth_date\tage_at_onset\tonset_date\tdiagnosis_date\tentry_date\n", pf);
        for (size_t i = 0; i < d->n_patients; i++) {
            const visits_patient_t *p = &d->patients[i];
            fprintf(pf, "%s\t%s", p->iid, p->sex == 1 ? "1" : p->sex == 2 ? "2" : "NA");
            put_date(pf, p->birth);
            if (isnan(p->age_at_onset)) fputs("\tNA", pf);
            else fprintf(pf, "\t%.2f", p->age_at_onset);
            put_date(pf, p->onset);
            put_date(pf, p->diagnosis);
            put_date(pf, p->entry);
            fputc('\n', pf);
        }
        if (ferror(pf)) return bcms_err(BCMS_EIO, "writing the patients table failed");
    }
    if (vf) {
        fputs("#IID\tdate\tedss\trelapse\n", vf);
        for (size_t i = 0; i < d->n_patients; i++) {
            const visits_patient_t *p = &d->patients[i];
            for (size_t j = p->first_visit; j < p->first_visit + p->n_visits; j++) {
                const visits_visit_t *v = &d->visits[j];
                char b[11];
                visits_format_date(v->date, b);
                if (isnan(v->edss)) fprintf(vf, "%s\t%s\tNA\t%d\n", p->iid, b, v->relapse);
                else fprintf(vf, "%s\t%s\t%g\t%d\n", p->iid, b, v->edss, v->relapse);
            }
        }
        if (ferror(vf)) return bcms_err(BCMS_EIO, "writing the visits table failed");
    }
    return 0;
}

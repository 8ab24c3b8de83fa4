/* test_clinical.c: MSSS/ARMSS against the ms.sev worked examples, sustained EDSS milestones,
 * confirmed disability progression, and rejection of malformed visit tables.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clinical.h"
#include "err.h"
#include "simulate_visits.h"
#include "visits.h"

static int n_fail, n_check, n_warn;
static char last_warn[1024];

static void count_warnings(int level, const char *msg, void *ud)
{
    (void)ud;
    if (level == BCMS_LOG_WARN) {
        n_warn++;
        if (getenv("SHOW_WARN")) fprintf(stderr, "warn: %s\n", msg);
        snprintf(last_warn, sizeof last_warn, "%s", msg);
    }
}

#define CHECK(cond, ...)                                                                                      \
    do {                                                                                                      \
        n_check++;                                                                                            \
        if (!(cond)) {                                                                                        \
            n_fail++;                                                                                         \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                              \
            fprintf(stderr, __VA_ARGS__);                                                                     \
            fputc('\n', stderr);                                                                              \
        }                                                                                                     \
    } while (0)

static int near(double a, double b)
{
    return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-9;
}

static int32_t D(const char *s)
{
    int32_t x;
    if (visits_parse_date(s, &x)) {
        fprintf(stderr, "bad test date %s\n", s);
        exit(1);
    }
    return x;
}

static double Y(const char *from, const char *to)
{
    return (D(to) - D(from)) / 365.25;
}

/* ---- severity: the 20 ms.sev-computed examples (python-mssev/test_samples/mssev.csv) ---- */

static void test_severity(const char *peer)
{
    char path[4096], line[512];
    int rows = 0, differs = 0;
    snprintf(path, sizeof path, "%s/ms-severity/python-mssev/test_samples/mssev.csv", peer);
    FILE *fp = fopen(path, "r");
    CHECK(fp != NULL, "cannot open %s", path);
    if (!fp) return;
    CHECK(fgets(line, sizeof line, fp) && !strncmp(line, "ageatedss,dd,edss,gARMSS,lARMSS,lMSSS,uGMSSS,oGMSSS", 51),
          "unexpected header in %s", path);
    while (fgets(line, sizeof line, fp)) {
        double age, dd, edss, garmss, larmss, lmsss, ug, og;
        if (sscanf(line, "%lf,%lf,%lf,%lf,%lf,%lf,%lf,%lf", &age, &dd, &edss, &garmss, &larmss, &lmsss, &ug, &og) != 8)
            continue;
        rows++;
        /* ms.sev mode reproduces ms.sev exactly (the tables hold the same decimals as its output) */
        CHECK(near(clin_msss_2005(edss, dd, CLIN_ROWS_MSSEV), og), "oGMSSS edss %g dd %g: %g != %g", edss, dd,
              clin_msss_2005(edss, dd, CLIN_ROWS_MSSEV), og);
        CHECK(near(clin_msss_2017(edss, dd, CLIN_ROWS_MSSEV), ug), "uGMSSS edss %g dd %g: %g != %g", edss, dd,
              clin_msss_2017(edss, dd, CLIN_ROWS_MSSEV), ug);
        CHECK(near(clin_armss(edss, age, CLIN_ROWS_MSSEV), garmss), "gARMSS edss %g age %g: %g != %g", edss, age,
              clin_armss(edss, age, CLIN_ROWS_MSSEV), garmss);
        /* default (labelled row): the 2005 table and ARMSS agree with ms.sev; the updated table is ms.sev's
         * value one duration year earlier, i.e. ms.sev at dd-1 */
        CHECK(near(clin_msss_2005(edss, dd, CLIN_ROWS_LABEL), og), "label 2005 edss %g dd %g", edss, dd);
        CHECK(near(clin_armss(edss, age, CLIN_ROWS_LABEL), garmss), "label ARMSS edss %g age %g", edss, age);
        CHECK(near(clin_msss_2017(edss, dd, CLIN_ROWS_LABEL), clin_msss_2017(edss, dd - 1, CLIN_ROWS_MSSEV)),
              "label 2017 edss %g dd %g is not ms.sev's row at dd-1", edss, dd);
        differs += !near(clin_msss_2017(edss, dd, CLIN_ROWS_LABEL), ug);
    }
    fclose(fp);
    CHECK(rows == 20, "read %d worked examples, expected 20", rows);
    CHECK(differs >= 18, "the labelled-row rule should differ from ms.sev's uGMSSS (%d of 20 differ)", differs);

    /* hand-read table cells (globalMsss.txt row dd5 / dd6 col EDSS.5.5; oldMsss dd0/dd29/dd30) */
    CHECK(near(clin_msss_2017(5.5, 5, CLIN_ROWS_LABEL), 8.41), "updated dd5 edss 5.5");
    CHECK(near(clin_msss_2017(5.5, 5.9, CLIN_ROWS_MSSEV), 8.17), "ms.sev updated dd5.9 -> row dd6");
    CHECK(near(clin_msss_2005(0, 0.4, CLIN_ROWS_LABEL), 0.823), "2005 row dd0");
    CHECK(isnan(clin_msss_2017(0, 0.4, CLIN_ROWS_LABEL)), "updated table has no row for dd < 1");
    CHECK(near(clin_msss_2017(0, 0.4, CLIN_ROWS_MSSEV), 0.91), "ms.sev: dd 0.4 -> row dd1");
    CHECK(near(clin_msss_2005(9.5, 28.5, CLIN_ROWS_MSSEV), clin_msss_2005(9.5, 29, CLIN_ROWS_LABEL)),
          "ms.sev: dd > 28 -> row dd29 of the 2005 table");
    CHECK(near(clin_msss_2005(3, 45, CLIN_ROWS_LABEL), clin_msss_2005(3, 30, CLIN_ROWS_LABEL)), "dd >= 30 -> row 30");
    /* EDSS 10 (death due to MS) ranks above every living patient: the top of the scale where the row
     * exists; ms.sev's mode keeps its NA */
    CHECK(clin_msss_2005(10, 5, CLIN_ROWS_LABEL) == 10 && clin_msss_2017(10, 5, CLIN_ROWS_LABEL) == 10 &&
              clin_armss(10, 40, CLIN_ROWS_LABEL) == 10, "EDSS 10 -> 10");
    CHECK(isnan(clin_msss_2017(10, 0.5, CLIN_ROWS_LABEL)) && isnan(clin_armss(10, 17, CLIN_ROWS_LABEL)),
          "EDSS 10 outside the table's rows -> NA");
    CHECK(isnan(clin_msss_2005(10, 5, CLIN_ROWS_MSSEV)) && isnan(clin_armss(10, 40, CLIN_ROWS_MSSEV)),
          "EDSS 10 in ms.sev mode -> NA (as ms.sev)");
    CHECK(isnan(clin_msss_2005(3, -0.1, CLIN_ROWS_LABEL)), "negative duration -> NA");
    CHECK(near(clin_armss(2, 18, CLIN_ROWS_LABEL), 6.71), "ARMSS age 18 edss 2");
    CHECK(isnan(clin_armss(2, 17.9, CLIN_ROWS_LABEL)) && isnan(clin_armss(2, 76, CLIN_ROWS_LABEL)), "ARMSS age range");
    CHECK(!isnan(clin_armss(2, 75.5, CLIN_ROWS_LABEL)) && isnan(clin_armss(2, 75.5, CLIN_ROWS_MSSEV)),
          "ARMSS age 75.5: labelled row 75; ms.sev NA");
}

/* ---- milestones ---- */

#define MAXV 32
typedef struct {
    visits_visit_t v[MAXV];
    size_t n;
} course_t;

static void add(course_t *c, const char *date, double edss, int relapse)
{
    c->v[c->n].date = D(date);
    c->v[c->n].edss = edss;
    c->v[c->n].relapse = relapse;
    c->n++;
}

static void test_milestones(void)
{
    clin_opts_t o;
    clin_tte_t t;
    course_t c = {.n = 0};
    const char *onset = "2000-01-01";
    clin_opts_init(&o);
    add(&c, "2001-01-01", 2.0, 0);
    add(&c, "2002-01-01", 3.0, 0); /* falls below at the next visit: not sustained */
    add(&c, "2002-03-01", 2.5, 0);
    add(&c, "2003-01-01", 3.0, 0); /* sustained: 2003-09-01 is >= 180 days later and all stay >= 3 */
    add(&c, "2003-05-01", 3.5, 0);
    add(&c, "2003-09-01", 3.0, 0);
    clin_milestone(&o, c.v, c.n, 3, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1 && near(t.time, Y(onset, "2003-01-01")) && near(t.entry, Y(onset, "2001-01-01")),
          "EDSS3 sustained at 2003-01-01: got time %g event %g entry %g", t.time, t.event, t.entry);
    clin_milestone(&o, c.v, c.n, 4, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 0 && near(t.time, Y(onset, "2003-09-01")), "EDSS4 censored at the last visit");
    /* the 3.5 at 2003-05-01 has no visit >= 180 days later: window not reached */
    clin_milestone(&o, c.v, c.n, 3.5, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 0 && near(t.time, Y(onset, "2003-09-01")), "EDSS3.5 unconfirmed at the end -> censored");
    /* without confirmation the first visit >= 3 counts */
    o.sustain_days = 0;
    clin_milestone(&o, c.v, c.n, 3, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1 && near(t.time, Y(onset, "2002-01-01")), "EDSS3 unconfirmed rule");
    o.sustain_days = 180;
    /* a shorter window confirms the 2002 rise? no: the next visit falls below */
    o.sustain_days = 30;
    clin_milestone(&o, c.v, c.n, 3, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1 && near(t.time, Y(onset, "2003-01-01")), "a drop before the window ends breaks it");
    o.sustain_days = 180;
    /* sustained to the end: a later fall below 3 cancels */
    add(&c, "2004-06-01", 2.5, 0);
    clin_milestone(&o, c.v, c.n, 3, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1, "window rule ignores falls after confirmation");
    o.sustain_to_end = 1;
    clin_milestone(&o, c.v, c.n, 3, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 0 && near(t.time, Y(onset, "2004-06-01")), "sustain-to-end: later fall below -> censored");
    o.sustain_to_end = 0;
    /* left truncation: registry entry after onset is the entry time */
    clin_milestone(&o, c.v, c.n, 3, D(onset), D("2000-07-01"), &t);
    CHECK(near(t.entry, Y(onset, "2000-07-01")) && t.event == 1, "entry_date is the entry time");
    /* reached before entry: not observable -> NA */
    clin_milestone(&o, c.v, c.n, 3, D(onset), D("2003-02-01"), &t);
    CHECK(isnan(t.time) && isnan(t.event) && isnan(t.entry), "event before entry -> NA");
    /* entry before onset is clamped to 0 */
    clin_milestone(&o, c.v, c.n, 3, D(onset), D("1999-01-01"), &t);
    CHECK(t.entry == 0, "entry before onset clamps to 0");
    /* no onset: NA */
    clin_milestone(&o, c.v, c.n, 3, VISITS_DATE_NA, VISITS_DATE_NA, &t);
    CHECK(isnan(t.time), "no onset -> NA");
    /* relapse-only records are not assessments and do not censor */
    add(&c, "2005-01-01", NAN, 1);
    clin_milestone(&o, c.v, c.n, 4, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 0 && near(t.time, Y(onset, "2004-06-01")), "censor at the last EDSS assessment");
}

/* EDSS 10 (death due to MS) at the last visit reaches every milestone at that visit, and confirms a
 * rise it follows; confirmed progression likewise, even inside a relapse window. */
static void test_death(void)
{
    clin_opts_t o;
    clin_tte_t t;
    double base;
    const char *onset = "2000-01-01";
    clin_opts_init(&o);
    course_t c = {.n = 0};
    add(&c, "2001-01-01", 2.0, 0);
    add(&c, "2002-01-01", 2.5, 0);
    add(&c, "2003-01-01", 10, 0);
    for (int m = 0; m < 3; m++) {
        double ms[] = {3, 4, 6};
        clin_milestone(&o, c.v, c.n, ms[m], D(onset), VISITS_DATE_NA, &t);
        CHECK(t.event == 1 && near(t.time, Y(onset, "2003-01-01")), "death at the last visit reaches EDSS %g: time %g "
              "event %g", ms[m], t.time, t.event);
    }
    clin_milestone(&o, c.v, c.n, 10, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1 && near(t.time, Y(onset, "2003-01-01")), "milestone 10 is death");
    o.sustain_to_end = 1;
    clin_milestone(&o, c.v, c.n, 6, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1, "sustained to the end: death is the end");
    o.sustain_to_end = 0;
    clin_cdp(&o, c.v, c.n, VISITS_DATE_NA, &t, &base);
    CHECK(base == 2 && t.event == 1 && near(t.time, Y("2001-01-01", "2003-01-01")), "CDP at death (time %g event %g)",
          t.time, t.event);
    /* a rise to 6 followed 30 days later by death: sustained at the rise (no visit 180 days later needed) */
    course_t r = {.n = 0};
    add(&r, "2001-01-01", 2.0, 0);
    add(&r, "2002-01-01", 6.0, 0);
    add(&r, "2002-01-31", 10, 0);
    clin_milestone(&o, r.v, r.n, 6, D(onset), VISITS_DATE_NA, &t);
    CHECK(t.event == 1 && near(t.time, Y(onset, "2002-01-01")), "death confirms the rise before it");
    /* death 10 days after a relapse still counts for CDP (the window hides fluctuations, not death) */
    course_t q = {.n = 0};
    add(&q, "2001-01-01", 2.0, 0);
    add(&q, "2002-01-01", NAN, 1);
    add(&q, "2002-01-11", 10, 0);
    clin_cdp(&o, q.v, q.n, VISITS_DATE_NA, &t, &base);
    CHECK(t.event == 1 && near(t.time, Y("2001-01-01", "2002-01-11")), "death inside a relapse window: CDP event");
    /* the severity scores of a patient who died: 10 */
    visits_patient_t p = {.iid = "X", .birth = D("1960-01-01"), .onset = D(onset), .entry = VISITS_DATE_NA,
                          .diagnosis = VISITS_DATE_NA, .age_at_onset = 40, .first_visit = 0, .n_visits = c.n};
    visits_data_t d = {.n_patients = 1, .patients = &p, .n_visits = c.n, .visits = c.v};
    clin_result_t res;
    clin_derive(&o, &d, 0, &res);
    CHECK(res.sev_edss == 10 && res.msss_2005 == 10 && res.msss_2017 == 10 && res.armss == 10,
          "death: MSSS and ARMSS 10 (got %g %g %g)", res.msss_2005, res.msss_2017, res.armss);
}

/* ---- confirmed disability progression ---- */

static void cdp(const clin_opts_t *o, course_t *c, clin_tte_t *t, double *base)
{
    clin_cdp(o, c->v, c->n, VISITS_DATE_NA, t, base); /* times from baseline */
}

static void test_cdp(void)
{
    clin_opts_t o;
    clin_tte_t t;
    double base;
    const char *b0 = "2010-01-01";
    clin_opts_init(&o);

    { /* baseline 0 needs +1.5: 1.0 is not progression, 1.5 confirmed 90 days later is */
        course_t c = {.n = 0};
        add(&c, b0, 0, 0);
        add(&c, "2010-07-01", 1.0, 0);
        add(&c, "2011-01-01", 1.0, 0);
        add(&c, "2011-07-01", 1.5, 0);
        add(&c, "2011-09-29", 1.5, 0); /* 90 days */
        cdp(&o, &c, &t, &base);
        CHECK(base == 0 && t.event == 1 && near(t.time, Y(b0, "2011-07-01")) && t.entry == 0,
              "baseline 0: +1.5 rule (time %g event %g)", t.time, t.event);
        o.cdp_confirm_days = 168; /* 24 weeks: 90 days is not enough and there is no later visit */
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 0 && near(t.time, Y(b0, "2011-09-29")), "24-week window not reached -> censored");
        o.cdp_confirm_days = 84;
    }
    { /* baseline 2.0 (<= 5.5) needs +1.0 */
        course_t c = {.n = 0};
        add(&c, b0, 2.0, 0);
        add(&c, "2010-06-01", 2.5, 0);
        add(&c, "2011-01-01", 3.0, 0);
        add(&c, "2011-02-01", 3.0, 0); /* only 31 days: not yet confirmation */
        add(&c, "2011-05-01", 3.5, 0); /* 120 days: confirms */
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 1 && near(t.time, Y(b0, "2011-01-01")), "baseline 2: +1.0 rule");
    }
    { /* cut-point: baseline 5.5 needs 6.5; baseline 6.0 needs 6.5 */
        course_t c = {.n = 0};
        add(&c, b0, 5.5, 0);
        add(&c, "2011-01-01", 6.0, 0);
        add(&c, "2011-06-01", 6.0, 0);
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 0, "baseline 5.5 (at the cut): +0.5 is not enough");
        o.cdp_cut = 5.0; /* now 5.5 is above the cut: +0.5 suffices */
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 1 && near(t.time, Y(b0, "2011-01-01")), "cut-point 5.0: baseline 5.5 needs +0.5");
        o.cdp_cut = 5.5;
        c.v[0].edss = 6.0;
        c.v[1].edss = c.v[2].edss = 6.5;
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 1 && base == 6.0, "baseline 6: +0.5 rule");
    }
    { /* fixed vs roving baseline */
        course_t c = {.n = 0};
        add(&c, b0, 3.0, 0);
        add(&c, "2010-07-01", 1.5, 0); /* improvement */
        add(&c, "2011-01-01", 2.5, 0); /* +1.0 over the new reference */
        add(&c, "2011-07-01", 3.0, 0);
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 0 && near(t.time, Y(b0, "2011-07-01")), "fixed baseline 3: no progression");
        o.cdp_roving = 1;
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 1 && near(t.time, Y(b0, "2011-01-01")) && base == 3.0, "roving: reference 1.5 -> 2.5");
        o.cdp_roving = 0;
    }
    { /* relapse exclusion */
        course_t c = {.n = 0};
        add(&c, b0, 2.0, 0);
        add(&c, "2010-07-20", NAN, 1);  /* relapse onset */
        add(&c, "2010-08-01", 3.5, 0);  /* 12 days after: ignored */
        add(&c, "2010-11-01", 3.5, 0);  /* candidate; its confirmation needs a visit >= 84 days later */
        add(&c, "2011-03-01", 2.0, 0);  /* recovered: not confirmed */
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 0 && near(t.time, Y(b0, "2011-03-01")), "relapse-related worsening excluded");
        o.cdp_relapse_days = -1; /* relapses ignored: 2010-08-01 confirmed by 2010-11-01 (92 days) */
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 1 && near(t.time, Y(b0, "2010-08-01")), "without relapse rule the worsening counts");
        o.cdp_relapse_days = 10; /* 12 days after is outside a 10-day window */
        cdp(&o, &c, &t, &base);
        CHECK(t.event == 1, "relapse window is a parameter");
        o.cdp_relapse_days = 30;
        /* a confirming visit inside a relapse window is skipped too */
        course_t e = {.n = 0};
        add(&e, b0, 2.0, 0);
        add(&e, "2011-01-01", 3.0, 0);
        add(&e, "2011-04-01", NAN, 1);
        add(&e, "2011-04-10", 3.0, 0); /* would confirm, but within 30 days of the relapse */
        cdp(&o, &e, &t, &base);
        CHECK(t.event == 0, "confirmation inside a relapse window does not count");
        /* baseline inside a relapse window is skipped: the next assessment is the baseline */
        course_t f = {.n = 0};
        add(&f, "2009-12-20", NAN, 1);
        add(&f, b0, 4.0, 0);
        add(&f, "2010-06-01", 2.0, 0);
        add(&f, "2011-01-01", 3.0, 0);
        add(&f, "2011-06-01", 3.0, 0);
        cdp(&o, &f, &t, &base);
        CHECK(base == 2.0 && t.event == 1 && near(t.entry, 0) && near(t.time, Y("2010-06-01", "2011-01-01")),
              "baseline during relapse skipped (base %g)", base);
    }
    { /* onset origin: entry = baseline time since onset; a single assessment gives NA */
        course_t c = {.n = 0};
        add(&c, b0, 2.0, 0);
        add(&c, "2011-01-01", 3.0, 0);
        add(&c, "2011-06-01", 3.0, 0);
        clin_cdp(&o, c.v, c.n, D("2005-01-01"), &t, &base);
        CHECK(t.event == 1 && near(t.entry, Y("2005-01-01", b0)) && near(t.time, Y("2005-01-01", "2011-01-01")),
              "onset origin");
        c.n = 1;
        clin_cdp(&o, c.v, c.n, D("2005-01-01"), &t, &base);
        CHECK(isnan(t.time) && isnan(t.event) && base == 2.0, "single assessment -> NA");
    }
}

/* ---- loader ---- */

static const char *tmpdir;

static char *write_file(const char *name, const char *text)
{
    static char path[8][4096];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 4096, "%s/%s", tmpdir, name);
    FILE *fp = fopen(p, "w");
    if (!fp) {
        perror(p);
        exit(1);
    }
    fputs(text, fp);
    fclose(fp);
    return p;
}

static const char *PAT = "#IID\tsex\tbirth_date\tage_at_onset\tonset_date\tdiagnosis_date\tentry_date\n"
                         "A\tF\t1970-05-01\tNA\t1995-03-01\t1996-01-01\t2000-01-01\n"
                         "B\t1\tNA\t30\t2005-02-01\tNA\tNA\n";

static void expect_reject(const char *what, const char *pat, const char *vis, const char *where)
{
    visits_data_t *d = (visits_data_t *)1;
    const char *pp = pat ? write_file("p.tsv", pat) : NULL;
    const char *vp = write_file("v.tsv", vis);
    int ret = visits_load(pp, vp, &d);
    CHECK(ret == BCMS_EINPUT && d == NULL, "%s: expected rejection, got %d", what, ret);
    CHECK(strstr(bcms_err_detail(), where) != NULL, "%s: detail '%s' should name '%s'", what, bcms_err_detail(), where);
}

static void test_loader(void)
{
    visits_data_t *d = NULL;
    int32_t x;
    char buf[11];
    CHECK(!visits_parse_date("2000-02-29", &x) && x == 11016, "leap day 2000");
    visits_format_date(x, buf);
    CHECK(!strcmp(buf, "2000-02-29"), "date round trip");
    CHECK(visits_parse_date("1900-02-29", &x) && visits_parse_date("2001-13-01", &x) &&
              visits_parse_date("2001-1-01", &x) && visits_parse_date("2001-04-31", &x),
          "impossible dates rejected");
    CHECK(visits_edss_valid(0) && visits_edss_valid(1) && visits_edss_valid(9.5) && visits_edss_valid(10) &&
              !visits_edss_valid(0.5) && !visits_edss_valid(1.25) && !visits_edss_valid(10.5) && !visits_edss_valid(-1),
          "EDSS scale");

    const char *pp = write_file("p.tsv", PAT);
    const char *vp = write_file("v.tsv", "IID\tdate\tedss\trelapse\n"
                                         "A\t2001-06-01\t3.5\t0\n"
                                         "A\t2000-06-01\t2\t0\r\n"
                                         "B\t2006-01-01\tNA\t1\n"
                                         "B\t2006-02-01\t1.5\t0\n");
    int ret = visits_load(pp, vp, &d);
    CHECK(ret == 0 && d, "valid tables load (%s)", bcms_err_detail());
    if (d) {
        CHECK(d->n_patients == 2 && d->n_visits == 4, "counts");
        const visits_patient_t *a = &d->patients[0];
        CHECK(a->n_visits == 2 && d->visits[a->first_visit].edss == 2 && a->sex == 2, "sorted by date, sex F");
        CHECK(near(a->age_at_onset, (D("1995-03-01") - D("1970-05-01")) / 365.25), "age at onset from birth");
        clin_opts_t o;
        clin_result_t r;
        clin_opts_init(&o);
        clin_derive(&o, d, 0, &r);
        double dd = Y("1995-03-01", "2001-06-01");
        CHECK(r.sev_edss == 3.5 && near(r.sev_dd, dd) && near(r.sev_age, Y("1970-05-01", "2001-06-01")),
              "severity at the last EDSS");
        CHECK(near(r.msss_2005, clin_msss_2005(3.5, dd, CLIN_ROWS_LABEL)) && !isnan(r.msss_2017) && !isnan(r.armss),
              "severity scores");
        clin_derive(&o, d, 1, &r);
        CHECK(near(r.sev_age, 30 + Y("2005-02-01", "2006-02-01")), "age from age_at_onset");
        visits_free(d);
    }
    /* without a patients file, patients come from the visits; onset-based fields are NA */
    d = NULL;
    ret = visits_load(NULL, vp, &d);
    CHECK(ret == 0 && d && d->n_patients == 2, "visits alone load");
    visits_free(d);

    const char *H = "IID\tdate\tedss\trelapse\n";
    char v[1024];
#define VIS(rows) (snprintf(v, sizeof v, "%s%s", H, rows), v)
    expect_reject("EDSS 0.5", PAT, VIS("A\t2001-01-01\t2\t0\nA\t2001-06-01\t0.5\t0\n"), "v.tsv:3:");
    expect_reject("EDSS 10.5", PAT, VIS("A\t2001-01-01\t10.5\t0\n"), "v.tsv:2:");
    expect_reject("EDSS 2.25", PAT, VIS("A\t2001-01-01\t2.25\t0\n"), "EDSS scale");
    expect_reject("EDSS text", PAT, VIS("A\t2001-01-01\tfour\t0\n"), "v.tsv:2:");
    expect_reject("visit before onset", PAT, VIS("A\t1994-01-01\t2\t0\n"), "before the onset");
    expect_reject("unknown patient", PAT, VIS("A\t2001-01-01\t2\t0\nZ\t2001-01-01\t2\t0\n"), "v.tsv:3: patient 'Z'");
    expect_reject("bad date", PAT, VIS("A\t2001-02-30\t2\t0\n"), "v.tsv:2:");
    expect_reject("bad date format", PAT, VIS("A\t01/02/2001\t2\t0\n"), "not a date");
    expect_reject("bad relapse", PAT, VIS("A\t2001-01-01\t2\tyes\n"), "relapse");
    expect_reject("field count", PAT, VIS("A\t2001-01-01\t2\n"), "v.tsv:2:");
    expect_reject("no EDSS nor relapse", PAT, VIS("A\t2001-01-01\tNA\t0\n"), "v.tsv:2:");
    expect_reject("duplicated visit column", PAT, "IID\tdate\tedss\tedss\nA\t2001-01-01\t2\t2\n", "v.tsv:1: column 'edss'");
    expect_reject("duplicated #IID/IID", PAT, "#IID\tdate\tedss\tIID\nA\t2001-01-01\t2\tA\n", "appears twice");
    expect_reject("missing column", PAT, "IID\tdate\trelapse\nA\t2001-01-01\t0\n", "'edss'");
    expect_reject("duplicated patient column", "IID\tonset_date\tonset_date\nA\t1995-03-01\t1995-03-01\n",
                  VIS("A\t2001-01-01\t2\t0\n"), "p.tsv:1:");
    expect_reject("duplicate patient", "IID\tonset_date\nA\t1995-03-01\nA\t1995-03-01\n", VIS("A\t2001-01-01\t2\t0\n"),
                  "p.tsv:3:");
    expect_reject("bad patient date", "IID\tonset_date\nA\t1995-3-1\n", VIS("A\t2001-01-01\t2\t0\n"), "p.tsv:2:");
    expect_reject("onset before birth", "IID\tbirth_date\tonset_date\nA\t1995-03-01\t1990-01-01\n",
                  VIS("A\t2001-01-01\t2\t0\n"), "p.tsv:2:");
    expect_reject("bad sex", "IID\tsex\nA\tX\n", VIS("A\t2001-01-01\t2\t0\n"), "p.tsv:2:");
    /* courses no patient can have had */
    expect_reject("EDSS 10 then lower", PAT, VIS("A\t2001-01-01\t10\t0\nA\t2001-06-01\t3\t0\nA\t2001-09-01\t9.5\t0\n"),
                  "v.tsv:3: patient 'A' has a visit on 2001-06-01 after EDSS 10 (death due to MS) on 2001-01-01, line 2");
    CHECK(strstr(bcms_err_detail(), "2 impossible rows in all") != NULL, "every impossible row counted: %s",
          bcms_err_detail());
    expect_reject("relapse after EDSS 10", PAT, VIS("A\t2001-01-01\t10\t0\nA\t2002-01-01\tNA\t1\n"),
                  "v.tsv:3: patient 'A' has a relapse on 2002-01-01 after EDSS 10");
    expect_reject("two EDSS on one date", PAT, VIS("A\t2001-01-01\t2\t0\nA\t2001-03-01\t3\t0\nA\t2001-03-01\t4\t0\n"),
                  "v.tsv:4: patient 'A' has two EDSS on 2001-03-01: 4 here and 3 on line 3");
    {
        visits_data_t *ok = NULL;
        n_warn = 0;
        const char *vv = write_file("v.tsv", "IID\tdate\tedss\trelapse\nA\t2001-01-01\t10\t0\nA\t2001-02-01\t10\t0\n"
                                               "A\t2001-03-01\t2\t1\nA\t2001-03-01\t3\t0\n");
        int rr = visits_load(NULL, vv, &ok);
        CHECK(rr == BCMS_EINPUT, "a relapse record after death refused");
        n_warn = 0;
        vv = write_file("v.tsv", "IID\tdate\tedss\trelapse\nA\t2001-03-01\t3\t0\nA\t2001-03-01\t2\t1\n"
                                 "A\t2001-06-01\t10\t0\nA\t2001-07-01\t10\t0\nA\t2190-01-01\t10\t0\n");
        rr = visits_load(NULL, vv, &ok);
        CHECK(rr == 0 && ok, "relapse-day EDSS beside a routine one, repeated EDSS 10, a future date: accepted (%s)",
              bcms_err_detail());
        CHECK(n_warn == 2 && strstr(last_warn, "v.tsv:6: visit of 'A' on 2190-01-01 is in the future"),
              "warned twice, last about the future date (%d: %s)", n_warn, last_warn);
        if (ok) CHECK(ok->visits[0].relapse == 1 && ok->visits[1].edss == 3, "the relapse record first on its date");
        visits_free(ok);
    }
#undef VIS
}

/* ---- simulated courses: loadable, valid, deterministic, and the rate shift shows ---- */

static int same_visits(const visits_visit_t *x, const visits_visit_t *y, size_t n)
{
    for (size_t i = 0; i < n; i++) /* field by field: struct padding is unspecified */
        if (x[i].date != y[i].date || x[i].relapse != y[i].relapse || !near(x[i].edss, y[i].edss)) return 0;
    return 1;
}

static void test_simulate(void)
{
    enum { N = 400 };
    simvis_opts_t so;
    simvis_course_t course[N];
    char name[N][16];
    const char *ids[N];
    visits_data_t *a = NULL, *b = NULL, *small = NULL, *back = NULL;
    simvis_opts_init(&so);
    for (int i = 0; i < N; i++) {
        snprintf(name[i], sizeof name[i], "S%04d", i);
        ids[i] = name[i];
        simvis_course_draw(42, i, &course[i]);
        if (i % 2) course[i].rate *= 3; /* planted effect on odd patients */
    }
    CHECK(simvis_generate(&so, N, ids, course, 7, &a) == 0 && a, "simulate");
    CHECK(simvis_generate(&so, N, ids, course, 7, &b) == 0 && b, "simulate again");
    CHECK(simvis_generate(&so, 10, ids, course, 7, &small) == 0 && small, "simulate 10");
    if (!a || !b || !small) goto done;
    CHECK(a->n_visits == b->n_visits && same_visits(a->visits, b->visits, a->n_visits), "same seed, same visits");
    CHECK(same_visits(a->visits, small->visits, small->n_visits), "a patient's course does not depend on the "
          "cohort size");
    size_t bad = 0, relapses = 0, longgap = 0;
    for (size_t i = 0; i < a->n_patients; i++) {
        const visits_patient_t *p = &a->patients[i];
        for (size_t j = 0; j < p->n_visits; j++) {
            const visits_visit_t *v = &a->visits[p->first_visit + j];
            bad += !(isnan(v->edss) ? v->relapse : visits_edss_valid(v->edss)) || v->date < p->entry ||
                   (j && v->date < v[-1].date);
            relapses += v->relapse;
            longgap += j && !v->relapse && !v[-1].relapse && v->date - v[-1].date > 365;
        }
        /* a date after the cutoff (2024-12-31) is unknown to the registry: NA, and then no visits */
        int32_t cut;
        visits_parse_date("2024-12-31", &cut);
        bad += p->entry == VISITS_DATE_NA ? p->n_visits != 0 : p->entry < p->onset || p->entry > cut;
        bad += p->diagnosis != VISITS_DATE_NA && (p->diagnosis < p->onset || p->diagnosis > cut);
        bad += p->birth >= p->onset;
    }
    CHECK(bad == 0, "%zu invalid simulated records", bad);
    CHECK(relapses > N / 2 && longgap > 0, "relapses (%zu) and irregular gaps (%zu)", relapses, longgap);
    /* round trip through the TSV formats and the loader */
    char pp[4096], vp[4096];
    snprintf(pp, sizeof pp, "%s/sim_p.tsv", tmpdir);
    snprintf(vp, sizeof vp, "%s/sim_v.tsv", tmpdir);
    FILE *pf = fopen(pp, "w"), *vf = fopen(vp, "w");
    CHECK(pf && vf && visits_write(a, pf, vf) == 0, "write simulated tables");
    if (pf) fclose(pf);
    if (vf) fclose(vf);
    CHECK(visits_load(pp, vp, &back) == 0 && back && back->n_visits == a->n_visits, "simulated tables load (%s)",
          bcms_err_detail());
    /* the planted rate shift raises severity and EDSS 6 events */
    clin_opts_t o;
    clin_opts_init(&o);
    double msss[2] = {0, 0}, ev6[2] = {0, 0};
    int cnt[2] = {0, 0};
    for (size_t i = 0; back && i < back->n_patients; i++) {
        clin_result_t r;
        clin_derive(&o, back, i, &r);
        if (isnan(r.msss_2005)) continue;
        msss[i % 2] += r.msss_2005;
        ev6[i % 2] += r.milestone[2].event == 1;
        cnt[i % 2]++;
    }
    CHECK(cnt[0] > N / 3 && cnt[1] > N / 3, "scored patients %d %d", cnt[0], cnt[1]);
    CHECK(msss[1] / cnt[1] > msss[0] / cnt[0] + 1, "faster courses score higher MSSS (%g vs %g)", msss[1] / cnt[1],
          msss[0] / cnt[0]);
    CHECK(ev6[1] > ev6[0], "faster courses reach EDSS 6 more often (%g vs %g)", ev6[1], ev6[0]);
    fprintf(stderr, "simulate: %zu visits, %zu relapses; mean MSSS %.2f (rate) vs %.2f (3x rate); EDSS6 %g vs %g\n",
            a->n_visits, relapses, msss[0] / cnt[0], msss[1] / cnt[1], ev6[0], ev6[1]);
done:
    visits_free(a);
    visits_free(b);
    visits_free(small);
    visits_free(back);
}

static void test_opts(void)
{
    clin_opts_t o;
    clin_opts_init(&o);
    CHECK(clin_opts_check(&o) == 0, "defaults valid");
    o.milestones[1] = 0.5;
    CHECK(clin_opts_check(&o) == BCMS_EINVAL, "milestone 0.5 rejected");
    clin_opts_init(&o);
    o.cdp_confirm_days = -1;
    CHECK(clin_opts_check(&o) == BCMS_EINVAL, "negative window rejected");
}

int main(void)
{
    const char *peer = getenv("BCMS_PEER");
    tmpdir = getenv("BCMS_TMP");
    if (!peer || !tmpdir) {
        fprintf(stderr, "set BCMS_PEER and BCMS_TMP\n");
        return 1;
    }
    mkdir(tmpdir, 0777);
    bcms_log_set(count_warnings, NULL, BCMS_LOG_WARN);
    test_severity(peer);
    test_milestones();
    test_death();
    test_cdp();
    test_loader();
    test_opts();
    test_simulate();
    fprintf(stderr, "test_clinical: %d checks, %d failed\n", n_check, n_fail);
    return n_fail ? 1 : 0;
}

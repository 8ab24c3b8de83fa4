/* clinical.c: options, per-patient derivation and the phenotype-table writer (fields in clinical.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clinical.h"
#include "err.h"
#include "outfile.h"

void clin_opts_init(clin_opts_t *o)
{
    memset(o, 0, sizeof *o);
    o->msss_rows = CLIN_ROWS_LABEL;
    o->sev_pick = CLIN_PICK_LAST;
    o->n_milestones = 3;
    o->milestones[0] = 3;
    o->milestones[1] = 4;
    o->milestones[2] = 6;
    o->sustain_days = 180;
    o->sustain_to_end = 0;
    o->cdp_inc_zero = 1.5;
    o->cdp_inc_low = 1.0;
    o->cdp_inc_high = 0.5;
    o->cdp_cut = 5.5;
    o->cdp_confirm_days = 84;
    o->cdp_roving = 0;
    o->cdp_relapse_days = 30;
    o->cdp_origin = CLIN_ORIGIN_ONSET;
}

int clin_opts_check(const clin_opts_t *o)
{
    if (o->msss_rows != CLIN_ROWS_LABEL && o->msss_rows != CLIN_ROWS_MSSEV)
        return bcms_err(BCMS_EINVAL, "MSSS row rule must be 'label' or 'mssev'");
    if (o->sev_pick < CLIN_PICK_LAST || o->sev_pick > CLIN_PICK_MAX)
        return bcms_err(BCMS_EINVAL, "the severity EDSS must be 'last', 'first' or 'max'");
    if (o->n_milestones < 0 || o->n_milestones > CLIN_MAX_MILESTONES)
        return bcms_err(BCMS_EINVAL, "between 0 and %d EDSS milestones", CLIN_MAX_MILESTONES);
    for (int i = 0; i < o->n_milestones; i++) {
        if (!visits_edss_valid(o->milestones[i]) || o->milestones[i] == 0)
            return bcms_err(BCMS_EINVAL, "milestone %g is not an EDSS step above 0 (1, 1.5, ..., 10)",
                            o->milestones[i]);
        for (int j = 0; j < i; j++)
            if (o->milestones[j] == o->milestones[i])
                return bcms_err(BCMS_EINVAL, "milestone %g is given twice", o->milestones[i]);
    }
    if (o->sustain_days < 0) return bcms_err(BCMS_EINVAL, "the milestone confirmation window must be >= 0 days");
    if (o->cdp_confirm_days < 0) return bcms_err(BCMS_EINVAL, "the CDP confirmation window must be >= 0 days");
    if (!(o->cdp_inc_zero > 0 && o->cdp_inc_low > 0 && o->cdp_inc_high > 0) || o->cdp_inc_zero > 10 ||
        o->cdp_inc_low > 10 || o->cdp_inc_high > 10)
        return bcms_err(BCMS_EINVAL, "CDP increases must be in (0, 10]");
    if (!(o->cdp_cut >= 0 && o->cdp_cut <= 10)) return bcms_err(BCMS_EINVAL, "the CDP cut-point must be in 0..10");
    if (o->cdp_origin != CLIN_ORIGIN_ONSET && o->cdp_origin != CLIN_ORIGIN_BASELINE)
        return bcms_err(BCMS_EINVAL, "the CDP time origin must be 'onset' or 'baseline'");
    if (memchr(o->prefix, 0, sizeof o->prefix) == NULL || strlen(o->prefix) > 48)
        return bcms_err(BCMS_EINVAL, "the field name prefix is longer than 48 bytes");
    for (const char *c = o->prefix; *c; c++)
        if (*c == ',' || *c == '#' || (unsigned char)*c <= ' ')
            return bcms_err(BCMS_EINVAL, "the field name prefix '%s' contains '%c'; use letters, digits, '_' or '.'",
                            o->prefix, *c);
    return 0;
}

void clin_derive(const clin_opts_t *o, const visits_data_t *d, size_t k, clin_result_t *r)
{
    const visits_patient_t *p = &d->patients[k];
    const visits_visit_t *v = d->visits + p->first_visit;
    size_t n = p->n_visits, pick = n;

    r->sev_edss = r->sev_dd = r->sev_age = r->msss_2005 = r->msss_2017 = r->armss = NAN;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i].edss)) continue;
        if (pick == n || o->sev_pick == CLIN_PICK_LAST || (o->sev_pick == CLIN_PICK_MAX && v[i].edss >= v[pick].edss))
            pick = i;
    }
    if (pick < n) {
        r->sev_edss = v[pick].edss;
        if (p->onset != VISITS_DATE_NA) r->sev_dd = (v[pick].date - p->onset) / CLIN_DAYS_PER_YEAR;
        if (p->birth != VISITS_DATE_NA) r->sev_age = (v[pick].date - p->birth) / CLIN_DAYS_PER_YEAR;
        else if (!isnan(p->age_at_onset) && !isnan(r->sev_dd)) r->sev_age = p->age_at_onset + r->sev_dd;
        r->msss_2005 = clin_msss_2005(r->sev_edss, r->sev_dd, o->msss_rows);
        r->msss_2017 = clin_msss_2017(r->sev_edss, r->sev_dd, o->msss_rows);
        r->armss = clin_armss(r->sev_edss, r->sev_age, o->msss_rows);
    }
    for (int m = 0; m < o->n_milestones; m++)
        clin_milestone(o, v, n, o->milestones[m], p->onset, p->entry, &r->milestone[m]);
    clin_cdp(o, v, n, o->cdp_origin == CLIN_ORIGIN_ONSET ? p->onset : VISITS_DATE_NA, &r->cdp, &r->cdp_base);
    if (o->cdp_origin == CLIN_ORIGIN_ONSET && p->onset == VISITS_DATE_NA) /* no onset: no onset-scale times */
        r->cdp.time = r->cdp.event = r->cdp.entry = NAN;
}

static void put(FILE *fp, double x, const char *fmt)
{
    fputc('\t', fp);
    if (isnan(x)) fputs("NA", fp);
    else fprintf(fp, fmt, x);
}

static void put_tte(FILE *fp, const clin_tte_t *t)
{
    put(fp, t->time, "%.4f");
    put(fp, t->event, "%.0f");
    put(fp, t->entry, "%.4f");
}

int clin_write_table(const clin_opts_t *o, const visits_data_t *d, FILE *fp)
{
    static const char *sev[] = {"sev_edss", "sev_dd", "sev_age", "msss_2005", "msss_2017", "armss"};
    static const char *cdp[] = {"cdp_time", "cdp_event", "cdp_entry", "cdp_base"};
    const char *p = o->prefix;
    fputs("#IID", fp);
    for (int i = 0; i < 6; i++) fprintf(fp, "\t%s%s", p, sev[i]);
    for (int m = 0; m < o->n_milestones; m++) {
        double x = o->milestones[m];
        fprintf(fp, "\t%sedss%g_time\t%sedss%g_event\t%sedss%g_entry", p, x, p, x, p, x);
    }
    for (int i = 0; i < 4; i++) fprintf(fp, "\t%s%s", p, cdp[i]);
    fputc('\n', fp);
    for (size_t k = 0; k < d->n_patients; k++) {
        clin_result_t r;
        clin_derive(o, d, k, &r);
        fputs(d->patients[k].iid, fp);
        put(fp, r.sev_edss, "%g");
        put(fp, r.sev_dd, "%.4f");
        put(fp, r.sev_age, "%.4f");
        put(fp, r.msss_2005, "%.10g");
        put(fp, r.msss_2017, "%.10g");
        put(fp, r.armss, "%.10g");
        for (int m = 0; m < o->n_milestones; m++) put_tte(fp, &r.milestone[m]);
        put_tte(fp, &r.cdp);
        put(fp, r.cdp_base, "%g");
        fputc('\n', fp);
    }
    return ferror(fp) ? bcms_err(BCMS_EIO, "writing the clinical table failed") : 0;
}

/* The whole table in memory (a few hundred bytes per patient), so that a failure midway never
 * leaves half a table behind. */
static int table_bytes(const clin_opts_t *o, const visits_data_t *d, char **buf, size_t *len)
{
    int ret;
    FILE *mem = open_memstream(buf, len);
    if (!mem) return bcms_err(BCMS_ENOMEM, "out of memory");
    ret = clin_write_table(o, d, mem);
    if (fclose(mem) && !ret) ret = bcms_err(BCMS_ENOMEM, "out of memory building the clinical table");
    return ret;
}

int clin_write_fd(const clin_opts_t *o, const visits_data_t *d, int fd)
{
    size_t len = 0;
    char *buf = NULL;
    int ret = table_bytes(o, d, &buf, &len);
    for (size_t off = 0; off < len && !ret;) {
        ssize_t w = write(fd, buf + off, len - off);
        if (w < 0 && errno != EINTR) ret = bcms_err(BCMS_EIO, "writing the clinical table failed: %s", strerror(errno));
        else if (w > 0) off += (size_t)w;
    }
    free(buf);
    return ret;
}

int clin_write_out(const clin_opts_t *o, const visits_data_t *d, bcms_outfile_t *f)
{
    size_t len = 0;
    char *buf = NULL;
    int ret = table_bytes(o, d, &buf, &len);
    if (!ret) ret = bcms_outfile_write(f, buf, len);
    free(buf);
    return ret;
}

int clin_write_file(const clin_opts_t *o, const visits_data_t *d, const char *path)
{
    bcms_outfile_t *f;
    int ret = bcms_outfile_open(path, BCMS_OUT_PRIVATE, &f);
    if (ret) return ret;
    if ((ret = clin_write_out(o, d, f))) {
        bcms_outfile_abort(f);
        return ret;
    }
    return bcms_outfile_commit(f);
}

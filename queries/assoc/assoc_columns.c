/* assoc_columns.c: phenotype and covariate columns as a scan sees them: one value per reader sample.
 * Columns come from --pheno-file/--covar-file first, then from the store's pheno table; "cohort" is
 * the dataset of each sample unless a column of that name exists. Each column remembers where it
 * came from, so that errors name the file (and the line of a sample) the user has to fix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>

#include "assoc.h"
#include "err.h"
#include "pheno_src.h"

enum { SRC_PHENO_FILE = 0, SRC_COVAR_FILE = 1, SRC_STORE = 2, SRC_BUILTIN = 3 };

typedef struct {
    char *name;
    int src;          /* SRC_* */
    char *stored_from; /* SRC_STORE: the file the column was stored from */
} origin_t;

struct bcms_colsrc_t {
    bcms_store_t *st;
    const bcms_reader_t *rd;
    MDB_txn *txn;
    uint32_t nsamp;
    char **iids;                 /* IID of each reader sample */
    bcms_table_t *files[2];
    int logged[2];               /* the file's sample counts were logged */
    origin_t *origin;            /* one per column taken */
    size_t norigin;
};

static int colsrc_open(bcms_store_t *st, const bcms_reader_t *rd, const char *pheno_file, const char *covar_file,
                       int decimal_comma, bcms_colsrc_t **out)
{
    bcms_colsrc_t *cs = calloc(1, sizeof *cs);
    const uint32_t *ids = bcms_reader_sample_ids(rd);
    static const char *prefix[2] = {"PHENO", "COVAR"};
    int rc;
    *out = NULL;
    if (!cs) return BCMS_ENOMEM;
    cs->st = st;
    cs->rd = rd;
    cs->nsamp = bcms_reader_nsamples(rd);
    if ((rc = bcms_txn_begin(st, 1, &cs->txn))) goto fail;
    if ((rc = bcms_sample_names(st, cs->txn, ids, cs->nsamp, &cs->iids))) goto fail;
    const char *files[2] = {pheno_file, covar_file};
    for (int f = 0; f < 2; f++)
        if (files[f] && (rc = bcms_table_read(files[f], decimal_comma, prefix[f], &cs->files[f]))) goto fail;
    *out = cs;
    return 0;
fail:
    bcms_colsrc_close(cs);
    return rc;
}

int bcms_colsrc_open(bcms_store_t *st, const bcms_reader_t *rd, const char *pheno_file, const char *covar_file,
                     bcms_colsrc_t **out)
{
    return colsrc_open(st, rd, pheno_file, covar_file, 0, out);
}

int bcms_colsrc_open_opts(bcms_store_t *st, const bcms_reader_t *rd, const bcms_assoc_opts_t *o, bcms_colsrc_t **out)
{
    return colsrc_open(st, rd, o->pheno_file, o->covar_file, o->decimal_comma, out);
}

void bcms_colsrc_close(bcms_colsrc_t *cs)
{
    if (!cs) return;
    if (cs->txn) mdb_txn_abort(cs->txn);
    bcms_sample_names_free(cs->iids, cs->nsamp);
    for (int f = 0; f < 2; f++) bcms_table_free(cs->files[f]);
    for (size_t i = 0; i < cs->norigin; i++) free(cs->origin[i].name), free(cs->origin[i].stored_from);
    free(cs->origin);
    free(cs);
}

void bcms_col_free(bcms_col_t *c)
{
    free(c->name);
    free(c->v);
    for (int i = 0; i < c->nlevels; i++) free(c->levels[i]);
    free(c->levels);
    memset(c, 0, sizeof *c);
}

uint32_t bcms_col_count_present(const bcms_col_t *c, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) k += !isnan(c->v[i]);
    return k;
}

/* Remember where column name came from (stored_from is taken over). */
static int note_origin(bcms_colsrc_t *cs, const char *name, int src, char *stored_from)
{
    origin_t *o = realloc(cs->origin, sizeof *o * (cs->norigin + 1));
    if (!o) {
        free(stored_from);
        return BCMS_ENOMEM;
    }
    cs->origin = o;
    o[cs->norigin].src = src;
    o[cs->norigin].stored_from = stored_from;
    if (!(o[cs->norigin].name = strdup(name))) {
        free(stored_from);
        return BCMS_ENOMEM;
    }
    cs->norigin++;
    return 0;
}

static const origin_t *find_origin(const bcms_colsrc_t *cs, const char *name)
{
    for (size_t i = cs->norigin; i-- > 0;)
        if (!strcmp(cs->origin[i].name, name)) return &cs->origin[i];
    return NULL;
}

/* "FILE", "the store (stored from FILE)" or "the datasets" for messages (into buf). */
static const char *origin_str(const bcms_colsrc_t *cs, const char *name, char *buf, size_t cap)
{
    const origin_t *o = find_origin(cs, name);
    if (!o) snprintf(buf, cap, "?");
    else if (o->src <= SRC_COVAR_FILE) snprintf(buf, cap, "%s", bcms_table_path(cs->files[o->src]));
    else if (o->src == SRC_STORE)
        snprintf(buf, cap, "the store's pheno table (stored from %s)", o->stored_from && *o->stored_from
                                                                          ? o->stored_from : "an unnamed file");
    else snprintf(buf, cap, "the datasets of the store");
    return buf;
}

/* Once per file: how many scan samples it lacks, how many of its rows are not scan samples. */
static void log_file_coverage(bcms_colsrc_t *cs, int f)
{
    const bcms_table_t *t = cs->files[f];
    if (cs->logged[f]) return;
    cs->logged[f] = 1;
    uint32_t have = bcms_table_count_rows(t, (const char *const *)cs->iids, cs->nsamp);
    size_t extra = bcms_table_nrows(t) - have;
    if (have < cs->nsamp)
        bcms_log(BCMS_LOG_INFO, "%s: %u of the scan's %u samples are not in this file: removed from every model "
                 "that uses its columns", bcms_table_path(t), cs->nsamp - have, cs->nsamp);
    if (extra)
        bcms_log(BCMS_LOG_INFO, "%s: %zu of its %zu rows name samples that are not in the scan (not in the store, "
                 "or not in the selected cohorts)", bcms_table_path(t), extra, bcms_table_nrows(t));
}

static int cohort_column(bcms_colsrc_t *cs, bcms_col_t *col)
{
    int nd = bcms_reader_ndatasets(cs->rd);
    const uint32_t *sd = bcms_reader_sample_dataset(cs->rd);
    col->type = BCMS_COL_CATEG;
    if (!(col->levels = calloc(nd, sizeof *col->levels))) return BCMS_ENOMEM;
    /* levels in dataset order; the design sorts its own reference level */
    for (int d = 0; d < nd; d++)
        if (!(col->levels[d] = strdup(bcms_reader_dataset_name(cs->rd, d)))) return BCMS_ENOMEM;
    col->nlevels = nd;
    for (uint32_t i = 0; i < cs->nsamp; i++) col->v[i] = sd[i];
    return 0;
}

int bcms_colsrc_get(bcms_colsrc_t *cs, const char *name, bcms_col_t *col)
{
    char *stored_from = NULL;
    int rc;
    memset(col, 0, sizeof *col);
    if (!(col->name = strdup(name)) || !(col->v = malloc(sizeof *col->v * (cs->nsamp + 1)))) {
        bcms_col_free(col);
        return BCMS_ENOMEM;
    }
    for (int f = 0; f < 2; f++) {
        if (!cs->files[f]) continue;
        rc = bcms_table_column(cs->files[f], name, (const char *const *)cs->iids, cs->nsamp, col);
        if (rc != BCMS_ENOTFOUND) {
            if (!rc) {
                log_file_coverage(cs, f);
                rc = note_origin(cs, name, f, NULL);
            }
            if (rc) bcms_col_free(col);
            return rc;
        }
    }
    rc = bcms_store_column(cs->st, cs->txn, name, bcms_reader_sample_ids(cs->rd), cs->nsamp, col, &stored_from);
    if (rc != BCMS_ENOTFOUND) {
        if (!rc) rc = note_origin(cs, name, SRC_STORE, stored_from);
        else free(stored_from);
        if (rc) bcms_col_free(col);
        return rc;
    }
    if (!strcmp(name, "cohort")) {
        if ((rc = cohort_column(cs, col)) || (rc = note_origin(cs, name, SRC_BUILTIN, NULL))) bcms_col_free(col);
        return rc;
    }
    bcms_col_free(col);
    return bcms_err(BCMS_ENOTFOUND, "no phenotype or covariate column '%s' in %s%s%s%sthe store; check the name "
                    "(bcms pheno STORE --list shows the stored ones)", name,
                    cs->files[0] ? bcms_table_path(cs->files[0]) : "", cs->files[0] ? ", " : "",
                    cs->files[1] ? bcms_table_path(cs->files[1]) : "", cs->files[1] ? ", " : "");
}

int bcms_colsrc_get_as(bcms_colsrc_t *cs, const char *name, int role, bcms_col_t *col)
{
    static const char *what[] = {"column", "covariate", "linear outcome", "logistic outcome", "Cox time",
                                 "Cox event", "Cox entry time", "Cox strata"};
    char where[4200];
    int rc = bcms_colsrc_get(cs, name, col);
    if (rc || col->type != BCMS_COL_CATEG) return rc;
    if (role != BCMS_ROLE_LINEAR && role != BCMS_ROLE_LOGISTIC && role != BCMS_ROLE_TIME && role != BCMS_ROLE_EVENT &&
        role != BCMS_ROLE_ENTRY)
        return 0;
    kstring_t lv = {0, 0, NULL};
    for (int l = 0; l < col->nlevels && l < 4; l++) ksprintf(&lv, "%s'%.30s'", l ? ", " : "", col->levels[l]);
    if (col->nlevels > 4) ksprintf(&lv, ", ... (%d levels)", col->nlevels);
    rc = bcms_err(BCMS_EINPUT, "%s '%s' from %s is categorical (levels %s), so it cannot be the %s: %s", what[role],
                  name, origin_str(cs, name, where, sizeof where), lv.s ? lv.s : "none", what[role],
                  role == BCMS_ROLE_LOGISTIC || role == BCMS_ROLE_EVENT
                      ? "code it 1/2 or 0/1 (NA when missing)"
                      : "it must hold numbers; a number column reads as categorical when a value is not a number "
                        "(store it with bcms pheno --type NAME=quantitative to see the first one)");
    free(lv.s);
    bcms_col_free(col);
    return rc;
}

/* ---- Cox endpoint ---- */

/* Where sample s's value of column name is: "FILE:LINE" or the store's column. */
static const char *sample_where(const bcms_colsrc_t *cs, const char *name, uint32_t s, char *buf, size_t cap)
{
    const origin_t *o = find_origin(cs, name);
    if (o && o->src <= SRC_COVAR_FILE)
        snprintf(buf, cap, "%s:%ld", bcms_table_path(cs->files[o->src]), bcms_table_line(cs->files[o->src], cs->iids[s]));
    else origin_str(cs, name, buf, cap);
    return buf;
}

/* What is wrong with sample s, or NULL. */
static const char *cox_problem(const bcms_col_t cx[4], uint32_t s, const char **col)
{
    double t = cx[0].v[s], e = cx[1].v[s];
    *col = cx[0].name;
    if (t < 0) return "negative time";
    *col = cx[1].name;
    if (e != 0 && e != 1) return "event not 0/1";
    if (!cx[2].name) return NULL;
    *col = cx[2].name;
    if (cx[2].v[s] < 0) return "negative entry time";
    if (!(cx[2].v[s] < t)) return "entry time not before the time";
    return NULL;
}

int bcms_colsrc_check_cox(bcms_colsrc_t *cs, const bcms_col_t cx[4], const bcms_col_t *cov, int ncov)
{
    kstring_t msg = {0, 0, NULL};
    uint32_t nbad = 0;
    const uint32_t show = 5;
    int rc = 0;
    for (uint32_t s = 0; s < cs->nsamp; s++) {
        int use = !isnan(cx[0].v[s]) && !isnan(cx[1].v[s]) && (!cx[2].name || !isnan(cx[2].v[s])) &&
                  (!cx[3].name || !isnan(cx[3].v[s]));
        for (int c = 0; c < ncov && use; c++) use = !isnan(cov[c].v[s]);
        const char *col, *why = use ? cox_problem(cx, s, &col) : NULL;
        if (!why) continue;
        if (nbad++ < show) {
            char where[4200];
            ksprintf(&msg, "%s%.60s (%s: %s; time %g", nbad > 1 ? "; " : "", cs->iids[s],
                     sample_where(cs, col, s, where, sizeof where), why, cx[0].v[s]);
            if (cx[2].name) ksprintf(&msg, ", entry %g", cx[2].v[s]);
            if (strcmp(why, "event not 0/1") == 0) ksprintf(&msg, ", event %g", cx[1].v[s]);
            kputc(')', &msg);
        }
    }
    if (nbad)
        rc = bcms_err(BCMS_EINPUT, "Cox endpoint %s/%s%s%s: %u sample%s cannot be used: %s%s. Fix the values, or write "
                      "NA to leave a sample out", cx[0].name, cx[1].name, cx[2].name ? "/" : "",
                      cx[2].name ? cx[2].name : "", nbad, nbad == 1 ? "" : "s", msg.s ? msg.s : "",
                      nbad > show ? "; ..." : "");
    free(msg.s);
    return rc;
}

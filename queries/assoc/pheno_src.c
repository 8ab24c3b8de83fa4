/* pheno_src.c: phenotype tables (loaders/pheno_table.h) and stored columns (engine/pheno.h) as the
 * scans see them: one value per reader sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pheno.h"
#include "pheno_src.h"
#include "pheno_table.h"

struct bcms_table_t {
    bcms_pheno_table_t *t;
};

int bcms_table_read(const char *path, int decimal_comma, const char *unnamed_prefix, bcms_table_t **out)
{
    bcms_table_t *t = calloc(1, sizeof *t);
    bcms_pheno_opts_t o;
    int rc;
    *out = NULL;
    if (!t) return BCMS_ENOMEM;
    bcms_pheno_opts_init(&o);
    o.decimal_comma = decimal_comma;
    snprintf(o.unnamed_prefix, sizeof o.unnamed_prefix, "%s", unnamed_prefix ? unnamed_prefix : "");
    if ((rc = bcms_pheno_table_read(path, &o, &t->t))) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void bcms_table_free(bcms_table_t *t)
{
    if (!t) return;
    bcms_pheno_table_free(t->t);
    free(t);
}

const char *bcms_table_path(const bcms_table_t *t) { return t->t->path; }

long bcms_table_line(const bcms_table_t *t, const char *iid)
{
    long r = bcms_pheno_table_row(t->t, iid);
    return r >= 0 ? t->t->lineno[r] : 0;
}

uint32_t bcms_table_count_rows(const bcms_table_t *t, const char *const *iids, uint32_t n)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) k += bcms_pheno_table_row(t->t, iids[i]) >= 0;
    return k;
}

size_t bcms_table_nrows(const bcms_table_t *t) { return t->t->nrows; }

/* Type and levels of a pheno column onto a scan column. */
static int col_meta(const bcms_pheno_col_t *pc, bcms_col_t *col)
{
    col->type = pc->type == BCMS_PHENO_BINARY ? BCMS_COL_BINARY
                : pc->type == BCMS_PHENO_CATEGORICAL ? BCMS_COL_CATEG : BCMS_COL_QUANT;
    if (col->type != BCMS_COL_CATEG) return 0;
    if (!(col->levels = calloc(pc->nlevels + 1, sizeof *col->levels))) return BCMS_ENOMEM;
    for (uint32_t l = 0; l < pc->nlevels; l++)
        if (!(col->levels[l] = strdup(pc->levels[l]))) return BCMS_ENOMEM;
    col->nlevels = (int)pc->nlevels;
    return 0;
}

int bcms_table_column(bcms_table_t *t, const char *name, const char *const *iids, uint32_t n, bcms_col_t *col)
{
    long j = bcms_pheno_table_col(t->t, name);
    if (j < 0) return BCMS_ENOTFOUND;
    const bcms_pheno_col_t *pc = &t->t->cols[j];
    int rc = col_meta(pc, col);
    if (rc) return rc;
    for (uint32_t i = 0; i < n; i++) {
        long r = bcms_pheno_table_row(t->t, iids[i]);
        col->v[i] = r >= 0 ? pc->v[r] : NAN;
    }
    return 0;
}

int bcms_store_column(bcms_store_t *st, MDB_txn *txn, const char *name, const uint32_t *ids, uint32_t n,
                      bcms_col_t *col, char **source)
{
    bcms_pheno_col_t pc;
    int rc;
    memset(&pc, 0, sizeof pc);
    if ((rc = bcms_pheno_load(st, txn, name, &pc))) {
        bcms_pheno_col_clear(&pc);
        return rc == BCMS_ENOTFOUND ? BCMS_ENOTFOUND : rc;
    }
    if (!(rc = col_meta(&pc, col)))
        for (uint32_t i = 0; i < n; i++) col->v[i] = ids[i] < pc.n ? pc.v[ids[i]] : NAN;
    if (!rc && source && !(*source = strdup(pc.source ? pc.source : ""))) rc = BCMS_ENOMEM;
    bcms_pheno_col_clear(&pc);
    return rc;
}

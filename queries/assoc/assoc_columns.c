/* assoc_columns.c: phenotype and covariate columns as a scan sees them: one value per reader sample.
 * Columns come from --pheno-file/--covar-file first, then from the store's pheno table; "cohort" is
 * the dataset of each sample unless a column of that name exists. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/khash.h>

#include "assoc.h"
#include "err.h"
#include "pheno_src.h"

KHASH_MAP_INIT_STR(iid, uint32_t)

struct bcms_colsrc_t {
    bcms_store_t *st;
    const bcms_reader_t *rd;
    MDB_txn *txn;
    uint32_t nsamp;
    char **iids;                 /* IID of each reader sample */
    bcms_table_t *files[2];
};

int bcms_colsrc_open(bcms_store_t *st, const bcms_reader_t *rd, const char *pheno_file, const char *covar_file,
                     bcms_colsrc_t **out)
{
    bcms_colsrc_t *cs = calloc(1, sizeof *cs);
    const uint32_t *ids = bcms_reader_sample_ids(rd);
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
        if (files[f] && (rc = bcms_table_read(files[f], &cs->files[f]))) goto fail;
    *out = cs;
    return 0;
fail:
    bcms_colsrc_close(cs);
    return rc;
}

void bcms_colsrc_close(bcms_colsrc_t *cs)
{
    if (!cs) return;
    if (cs->txn) mdb_txn_abort(cs->txn);
    bcms_sample_names_free(cs->iids, cs->nsamp);
    for (int f = 0; f < 2; f++) bcms_table_free(cs->files[f]);
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

int bcms_colsrc_get(bcms_colsrc_t *cs, const char *name, bcms_col_t *col)
{
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
            if (rc) bcms_col_free(col);
            return rc;
        }
    }
    rc = bcms_store_column(cs->st, cs->txn, name, bcms_reader_sample_ids(cs->rd), cs->nsamp, col);
    if (rc != BCMS_ENOTFOUND) {
        if (rc) bcms_col_free(col);
        return rc;
    }
    if (!strcmp(name, "cohort")) {
        int nd = bcms_reader_ndatasets(cs->rd);
        const uint32_t *sd = bcms_reader_sample_dataset(cs->rd);
        col->type = BCMS_COL_CATEG;
        if (!(col->levels = calloc(nd, sizeof *col->levels))) {
            bcms_col_free(col);
            return BCMS_ENOMEM;
        }
        /* levels in dataset order; the design sorts its own reference level */
        for (int d = 0; d < nd; d++) col->levels[d] = strdup(bcms_reader_dataset_name(cs->rd, d));
        col->nlevels = nd;
        for (uint32_t i = 0; i < cs->nsamp; i++) col->v[i] = sd[i];
        return 0;
    }
    bcms_col_free(col);
    return bcms_err(BCMS_ENOTFOUND, "no phenotype or covariate column '%s' in %s%s%s%sthe store; check the name "
                    "(bcms pheno STORE --list shows the stored ones)", name,
                    cs->files[0] ? bcms_table_path(cs->files[0]) : "", cs->files[0] ? ", " : "",
                    cs->files[1] ? bcms_table_path(cs->files[1]) : "", cs->files[1] ? ", " : "");
}

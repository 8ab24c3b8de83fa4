/* pheno_src.h (internal to queries/): phenotype tables and stored phenotype columns, mapped onto a
 * scan's samples as bcms_col_t. */
#ifndef BCMS_PHENO_SRC_H
#define BCMS_PHENO_SRC_H

#include <stdint.h>
#include "assoc.h"

typedef struct bcms_table_t bcms_table_t;

int bcms_table_read(const char *path, bcms_table_t **out);
void bcms_table_free(bcms_table_t *t);
const char *bcms_table_path(const bcms_table_t *t);
/* Fill col (name and v allocated by the caller for n samples) with the column's value for each IID;
 * BCMS_ENOTFOUND when the table has no such column. */
int bcms_table_column(bcms_table_t *t, const char *name, const char *const *iids, uint32_t n, bcms_col_t *col);
/* The same from the store's pheno table, for global sample numbers ids. */
int bcms_store_column(bcms_store_t *st, MDB_txn *txn, const char *name, const uint32_t *ids, uint32_t n,
                      bcms_col_t *col);

#endif

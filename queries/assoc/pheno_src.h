/* pheno_src.h (internal to queries/): phenotype tables and stored phenotype columns, mapped onto a
 * scan's samples as bcms_col_t. */
#ifndef BCMS_PHENO_SRC_H
#define BCMS_PHENO_SRC_H

#include <stdint.h>
#include "assoc.h"

typedef struct bcms_table_t bcms_table_t;

/* Read a table (loaders/pheno_table.h); decimal_comma: numbers written 6,14; unnamed_prefix: the
 * names of a headerless file's columns (PHENO for --pheno-file, COVAR for --covar-file, as PLINK 2). */
int bcms_table_read(const char *path, int decimal_comma, const char *unnamed_prefix, bcms_table_t **out);
/* File line of an IID's row, or 0 when the table has none. */
long bcms_table_line(const bcms_table_t *t, const char *iid);
/* How many of the n IIDs have a row in the table. */
uint32_t bcms_table_count_rows(const bcms_table_t *t, const char *const *iids, uint32_t n);
/* Number of rows of the table. */
size_t bcms_table_nrows(const bcms_table_t *t);
void bcms_table_free(bcms_table_t *t);
const char *bcms_table_path(const bcms_table_t *t);
/* Fill col (name and v allocated by the caller for n samples) with the column's value for each IID;
 * BCMS_ENOTFOUND when the table has no such column. */
int bcms_table_column(bcms_table_t *t, const char *name, const char *const *iids, uint32_t n, bcms_col_t *col);
/* The same from the store's pheno table, for global sample numbers ids; *source (may be NULL)
 * receives the file the column was stored from (caller frees). */
int bcms_store_column(bcms_store_t *st, MDB_txn *txn, const char *name, const uint32_t *ids, uint32_t n,
                      bcms_col_t *col, char **source);

#endif

/* pheno.h: the `pheno` table of a store: typed phenotype/covariate columns over the global sample
 * registry, each with its provenance. Record layout in engine/FORMAT.md ("Table pheno").
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * VALUES IN MEMORY. Every column, whether read from the store or from a file
 * (loaders/pheno_table.h), is a dense array of doubles with NAN for a missing value:
 *   quantitative  the number as written;
 *   binary        0 = control, 1 = case, whatever the file's coding (1/2, 0/1); `coding` records
 *                 the file's coding so the column can be written back as it came;
 *   categorical   the level index 0..nlevels-1; levels are sorted by strcmp and level 0 is the
 *                 reference level of a scan's dummy coding.
 *
 * Columns are keyed by name; the IID is the sample key (a file's FID is ignored). Time-to-event
 * endpoints are two ordinary columns (a quantitative time and a binary event, with an optional
 * quantitative entry time) that a Cox scan names with --time/--event/--entry.
 *
 * Threads: the functions here are reentrant; LMDB's rules apply to the transactions passed in.
 */
#ifndef BCMS_PHENO_H
#define BCMS_PHENO_H

#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>

#include "store.h"

enum bcms_pheno_type {
    BCMS_PHENO_AUTO = 0,         /* only as a request: detect from the values */
    BCMS_PHENO_QUANTITATIVE = 1,
    BCMS_PHENO_BINARY = 2,
    BCMS_PHENO_CATEGORICAL = 3,
};

/* How a binary column was coded in its file. */
enum bcms_pheno_coding {
    BCMS_PHENO_CODING_NONE = 0,  /* not binary */
    BCMS_PHENO_CODING_12 = 1,    /* 1 control, 2 case (PLINK); 0 there means missing */
    BCMS_PHENO_CODING_01 = 2,    /* 0 control, 1 case */
};

/* Longest column name (bytes); an LMDB key is at most 511 bytes. */
#define BCMS_PHENO_NAME_MAX 255

typedef struct {
    char *name;
    int type;              /* enum bcms_pheno_type (never AUTO here) */
    int coding;            /* enum bcms_pheno_coding */
    uint32_t nlevels;      /* categorical: number of levels, else 0 */
    char **levels;         /* categorical: level names, strcmp order */
    size_t n;              /* length of v: file rows, or registered samples when loaded from a store */
    double *v;             /* values as described above; NULL in a listing (bcms_pheno_list) */
    size_t n_present;      /* values that are not missing */
    /* provenance: the file the column came from and the import that stored it */
    char *source;          /* path as given */
    uint64_t source_size;  /* bytes */
    int64_t source_mtime;  /* modification time, seconds since 1970 UTC */
    uint32_t source_rows;  /* data rows of the file (samples it named, with or without a value) */
    char *imported_at;     /* ISO 8601 UTC; NULL for a column read from a file */
    char *command;         /* command line of the import; NULL for a column read from a file */
    char *tool;            /* "bcms VERSION" that stored it; NULL for a column read from a file */
} bcms_pheno_col_t;

/* "quantitative", "binary", "categorical" ("auto" for BCMS_PHENO_AUTO). */
const char *bcms_pheno_type_name(int type);
/* Parse a type name: quantitative (q, quant), binary (b, cc), categorical (c, cat), auto.
 * Returns 0 or BCMS_EINVAL. */
int bcms_pheno_type_parse(const char *s, int *type);

/* Free everything a column owns and zero it (safe on a zeroed column). */
void bcms_pheno_col_clear(bcms_pheno_col_t *col);

/* Text of value v of col: the number ("%.15g", or "%.17g" when needed to round-trip), the
 * binary value in the file's coding, the level name, or "NA". buf needs 32 bytes; the result
 * points into buf or into col->levels. */
const char *bcms_pheno_value_str(const bcms_pheno_col_t *col, double v, char *buf);

/* Check a column name: 1..BCMS_PHENO_NAME_MAX bytes, no whitespace, no ',' (lists of names are
 * comma-separated on the command line). Returns 0 or BCMS_EINVAL with a detail message. */
int bcms_pheno_name_check(const char *name);

/* Is a column of this name stored? 1 yes, 0 no, or a negative BCMS code. */
int bcms_pheno_exists(bcms_store_t *st, MDB_txn *txn, const char *name);

/* Write col inside the caller's write transaction: col->v[i] is the value of global sample
 * sample[i] (i < col->n; sample numbers distinct; missing values are not stored). The provenance
 * fields of col are stored as they are (imported_at/command/tool may be NULL: stored empty).
 * A stored column of the same name is refused with BCMS_EEXIST unless replace, in which case it
 * is overwritten as a whole. Returns 0, BCMS_EEXIST, BCMS_EINVAL (bad name or type),
 * BCMS_ENOMEM, BCMS_ESTORE. */
int bcms_pheno_put(bcms_store_t *st, MDB_txn *txn, const bcms_pheno_col_t *col, const uint32_t *sample,
                   int replace);

/* Read a stored column as a dense array over the global sample registry: on success col->n is the
 * number of registered samples (in this txn's snapshot), col->v[k] the value of sample number k
 * (NAN if the column has none). col is overwritten (not cleared first); the caller owns it and
 * frees it with bcms_pheno_col_clear. Nothing in col points into the map. Returns 0,
 * BCMS_ENOTFOUND (no such column; the detail lists what is stored), BCMS_ECORRUPT, BCMS_ENOMEM,
 * BCMS_ESTORE. */
int bcms_pheno_load(bcms_store_t *st, MDB_txn *txn, const char *name, bcms_pheno_col_t *col);

/* All stored columns in name (byte) order, without their values (v NULL, n 0; n_present, levels
 * and provenance filled). *out is an array the caller frees with bcms_pheno_list_free. */
int bcms_pheno_list(bcms_store_t *st, MDB_txn *txn, bcms_pheno_col_t **out, size_t *n);
void bcms_pheno_list_free(bcms_pheno_col_t *cols, size_t n);

#endif

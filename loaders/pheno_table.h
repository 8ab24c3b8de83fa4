/* pheno_table.h: phenotype/covariate tables in PLINK 2 style (for `bcms pheno` and for scans'
 * --pheno-file/--covar-file), and their import into the `pheno` table of a store.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * INPUT FORMAT (PLINK 2 conventions).
 *  - Optional lines starting with "##" at the top are skipped; blank lines are skipped anywhere;
 *    a UTF-8 byte order mark and CRLF line ends are accepted; the file may be gzip-compressed.
 *  - Header: "#IID" or "#FID IID" (also "IID", "FID IID" without '#'), then one name per column.
 *    The IID is the sample key; the FID is read and ignored (two rows with one IID and different
 *    FIDs are duplicates). IIDs are at most BCMS_PHENO_IID_MAX bytes.
 *  - No header: a PLINK 1 ".fam" (name ending .fam or .fam.gz; 6 fields FID IID PAT MAT SEX PHENO)
 *    gives the columns sex and PHENO1, both PLINK 1/2 coded with 0 and -9 missing (PAT and MAT are
 *    not selected unless --columns names them); any other file whose first line does not start
 *    with IID/FID IID is read as FID IID v1 v2 ... when that line's values are numbers or missing
 *    (columns PREFIX1, PREFIX2 ..., opts.unnamed_prefix, default PHENO); a first line of words is
 *    the "header must start with #IID" error.
 *  - Separators: when the header line holds a tab the file is tab-separated (one tab between two
 *    fields, so an empty field is a missing value; spaces around a field are trimmed); otherwise
 *    fields are separated by runs of spaces.
 *  - Missing values: "NA", "-9", "." and the empty field, in every column; in a numeric column any
 *    number equal to -9 ("-9.0"). In a binary column coded 1/2, 0 is missing too (PLINK).
 *  - Type of a column, detected from its non-missing values unless forced (--type NAME=TYPE):
 *      all in {1,2}        binary, 1 control 2 case
 *      all in {0,1}        binary, 0 control 1 case
 *      all in {0,1,2}      binary 1/2 with 0 missing, as PLINK 2 reads it, with a warning
 *                          (force quantitative if 0/1/2 are counts)
 *      all numbers         quantitative
 *      anything else       categorical; levels sorted by strcmp, the first is the reference
 *    A column with no value at all is quantitative (with a warning); a column with one value only
 *    is typed as above, with a warning. Numbers are C decimal numbers (strtod) and finite; with
 *    opts.decimal_comma the decimal separator is ',' (6,14; thousands dots 1.234,5 accepted).
 *  - Numbers bcms cannot read faithfully are errors naming file, line and column, unless the column
 *    is forced categorical: in a column that is not forced, or forced numeric, and whose values are
 *    mostly (more than half) number-like: a decimal comma without decimal_comma, a decimal point
 *    with it, inf/nan/infinity or a number beyond the double range (1e999), and any word among the
 *    numbers. (Typed categorical, such a column would become one level per value.)
 *  - Errors (BCMS_EINPUT, detail "FILE:LINE: ..." naming the column and what to do): no IID in
 *    the header, a duplicated column name, a bad column name (see bcms_pheno_name_check), a row
 *    whose field count differs from the header's, a duplicated IID, a missing IID, a non-number in
 *    a column forced quantitative or binary, a binary value other than 0/1/2, a --type or --columns
 *    name that is not in the header (BCMS_EINVAL), no data row or no phenotype column.
 */
#ifndef BCMS_PHENO_TABLE_H
#define BCMS_PHENO_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "pheno.h"
#include "store.h"

/* What to read. Initialise with bcms_pheno_opts_init, fill with the _add_ functions (which copy
 * their arguments), release with bcms_pheno_opts_free. */
typedef struct {
    size_t n_types;
    char **type_names;  /* columns with a forced type ... */
    int *types;         /* ... and the type (enum bcms_pheno_type) */
    size_t n_columns;
    char **columns;     /* keep only these columns, in this order (none: all, in file order) */
    int decimal_comma;  /* numbers are written with a decimal comma (6,14): --decimal-comma */
    char unnamed_prefix[16]; /* names of the columns of a file without header: PREFIX1, PREFIX2 ...
                                (empty: "PHENO"; a scan's --covar-file uses "COVAR", as PLINK 2) */
} bcms_pheno_opts_t;

/* Longest sample ID (bytes): the registry keys samples by IID and an LMDB key is at most 511 bytes. */
#define BCMS_PHENO_IID_MAX 511

void bcms_pheno_opts_init(bcms_pheno_opts_t *o);
void bcms_pheno_opts_free(bcms_pheno_opts_t *o);
/* "NAME=TYPE[,NAME=TYPE...]" (TYPE as bcms_pheno_type_parse). 0, BCMS_EINVAL or BCMS_ENOMEM. */
int bcms_pheno_opts_add_types(bcms_pheno_opts_t *o, const char *spec);
/* "A[,B...]": columns to keep. 0, BCMS_EINVAL (empty or repeated name) or BCMS_ENOMEM. */
int bcms_pheno_opts_add_columns(bcms_pheno_opts_t *o, const char *list);

/* A table read from a file: rows are samples (IIDs, in file order), columns are typed as in
 * pheno.h with cols[j].n == nrows and cols[j].v[i] the value of row i. Provenance fields
 * source/source_size/source_mtime/source_rows of every column are set; imported_at, command and
 * tool are NULL. */
typedef struct {
    char *path;
    size_t nrows;
    char **iid;
    long *lineno;       /* file line of each row */
    size_t ncols;
    bcms_pheno_col_t *cols;
    /* internal: IID -> row hash (open addressing) */
    size_t hash_cap;
    size_t *hash;
} bcms_pheno_table_t;

/* Read path (opts NULL: all columns, auto types). On success *out is a new table the caller frees
 * with bcms_pheno_table_free. On failure *out is NULL and the return is BCMS_EINPUT (detail
 * "FILE:LINE: ..."), BCMS_EINVAL (an option names no column), BCMS_EIO or BCMS_ENOMEM. Warnings
 * (0/1/2 read as 1/2, constant or empty columns) go to bcms_log. */
int bcms_pheno_table_read(const char *path, const bcms_pheno_opts_t *opts, bcms_pheno_table_t **out);
/* The same from an open file descriptor, read from its start (fd stays the caller's; name is what
 * messages and the provenance call it). */
int bcms_pheno_table_read_fd(int fd, const char *name, const bcms_pheno_opts_t *opts, bcms_pheno_table_t **out);
void bcms_pheno_table_free(bcms_pheno_table_t *t);

/* Column index of a name, or -1. */
long bcms_pheno_table_col(const bcms_pheno_table_t *t, const char *name);
/* Row index of an IID, or -1 (hashed: O(1)). */
long bcms_pheno_table_row(const bcms_pheno_table_t *t, const char *iid);

/* Column j of t as a store-loaded column looks (bcms_pheno_load): dense over the global sample
 * registry of st in txn's snapshot (read-only is fine; nothing is interned), NAN for samples that
 * are not in the file. Rows whose IID is not registered are skipped; their number goes to
 * *n_unmatched (may be NULL). out is overwritten; free it with bcms_pheno_col_clear. */
int bcms_pheno_table_project(bcms_store_t *st, MDB_txn *txn, const bcms_pheno_table_t *t, size_t j,
                             bcms_pheno_col_t *out, size_t *n_unmatched);

/* Result of an import. */
typedef struct {
    size_t ncols;          /* columns stored */
    size_t replaced;       /* of which overwrote a stored column */
    size_t appended;       /* of which were merged into a stored column (BCMS_PHENO_APPEND) */
    size_t nrows;          /* rows (samples) of the file */
    size_t new_samples;    /* IIDs added to the sample registry */
} bcms_pheno_import_stats_t;

/* What an import does with a column name that is already stored. */
enum bcms_pheno_mode {
    BCMS_PHENO_REFUSE = 0,  /* BCMS_EEXIST naming every clash */
    BCMS_PHENO_REPLACE = 1, /* the stored column is overwritten as a whole */
    BCMS_PHENO_APPEND = 2,  /* this file's samples are added to it (another cohort's table): same type,
                               categorical levels merged, a sample with a value in both must have the
                               same one (BCMS_EINVAL naming the sample otherwise); the provenance
                               lists both files */
};

/* Store every column of t in ONE write transaction: IIDs missing from the registry are interned
 * (clinical data may come before genotypes), each column is written with provenance (command may
 * be NULL) and one history line is added to meta. mode: enum bcms_pheno_mode. All or nothing: if a
 * column clashes (refused, or an append conflict) or anything fails, nothing is written.
 * stats may be NULL. Returns 0 or a negative BCMS code. */
int bcms_pheno_import(bcms_store_t *st, const bcms_pheno_table_t *t, int mode, const char *command,
                      bcms_pheno_import_stats_t *stats);

#endif

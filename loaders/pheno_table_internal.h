/* pheno_table_internal.h: shared between the table reader (pheno_table.c) and the typing of its
 * columns (pheno_values.c); not part of the loader's contract.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef BCMS_PHENO_TABLE_INTERNAL_H
#define BCMS_PHENO_TABLE_INTERNAL_H

#include <stddef.h>
#include <htslib/kstring.h>

#include "pheno.h"

/* Cells of the selected columns: cell[i * nsel + c] is an offset into the arena `text`;
 * lineno[i] the file line of row i (owned by the table). */
typedef struct {
    kstring_t text;
    size_t *cell;
    size_t cap;
    long *lineno;
} pheno_cells_t;

#define PHENO_CELL(cs, i, c, nsel) ((cs)->text.s + (cs)->cell[(size_t)(i) * (nsel) + (c)])

/* What a non-missing cell holds. */
enum pheno_cell_kind {
    PHENO_CELL_NUMBER = 0,    /* a finite decimal number (with the decimal separator in use) */
    PHENO_CELL_COMMA = 1,     /* a number written with a decimal comma, read without --decimal-comma */
    PHENO_CELL_DOT = 2,       /* a number written with a decimal point, read with --decimal-comma */
    PHENO_CELL_NONFINITE = 3, /* inf, nan, or a number beyond the double range (1e999) */
    PHENO_CELL_TEXT = 4,      /* anything else */
};

/* "NA", "-9", "." or the empty string. */
int pheno_is_missing_token(const char *s);

/* Kind of cell s; *v is its value when PHENO_CELL_NUMBER. */
int pheno_cell_kind(const char *s, int decimal_comma, double *v);

/* How to type one column. */
typedef struct {
    int forced;         /* enum bcms_pheno_type (AUTO: detect) */
    int plink12;        /* a binary column is PLINK 1/2 coded with 0 missing, whatever its values (.fam) */
    int decimal_comma;
} pheno_col_rule_t;

/* Type and convert column c of the selected columns into col (name set). Errors are BCMS_EINPUT
 * naming path, line and column. */
int pheno_convert_column(const char *path, const pheno_cells_t *cs, size_t nrows, size_t nsel, size_t c,
                         const pheno_col_rule_t *rule, bcms_pheno_col_t *col);

#endif

/* pheno_values.c: the cells of a phenotype table column: what each holds, the column's type, and
 * its values (rules in pheno_table.h). A column that looks numeric but holds numbers bcms cannot
 * read faithfully (decimal commas, inf/nan, overflow, a stray word) is an error naming file, line
 * and column: typed as categorical it would silently become one level per value.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "pheno_table_internal.h"

int pheno_is_missing_token(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, "-9") || !strcmp(s, ".");
}

/* inf, infinity, nan, with an optional sign (any case): strtod takes them, they are no value. */
static int nonfinite_word(const char *s)
{
    if (*s == '+' || *s == '-') s++;
    return !strcasecmp(s, "inf") || !strcasecmp(s, "infinity") || !strcasecmp(s, "nan") ||
           !strncasecmp(s, "nan(", 4);
}

/* The whole of s as a number: 1 finite, 2 not finite, 0 not a number. */
static int whole_number(const char *s, double *v)
{
    char *end;
    if (!*s || strpbrk(s, "xX")) return 0; /* hex: strtod would take it */
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || *end) return 0;
    return isfinite(*v) ? 1 : 2;
}

int pheno_cell_kind(const char *s, int decimal_comma, double *v)
{
    const char *comma = strchr(s, ','), *dot = strchr(s, '.');
    char buf[64];
    int k;
    *v = NAN;
    if (nonfinite_word(s)) return PHENO_CELL_NONFINITE;
    if (!comma) {
        if (!(k = whole_number(s, v))) return PHENO_CELL_TEXT;
        if (k == 2) return PHENO_CELL_NONFINITE;
        return decimal_comma && dot ? PHENO_CELL_DOT : PHENO_CELL_NUMBER;
    }
    /* one comma: a decimal comma (6,14), perhaps after thousands dots (1.234,5) */
    size_t n = 0;
    if (strchr(comma + 1, ',') || strlen(s) >= sizeof buf) return PHENO_CELL_TEXT;
    for (const char *p = s; *p; p++)
        if (*p != '.') buf[n++] = *p == ',' ? '.' : *p;
    buf[n] = 0;
    if (!(k = whole_number(buf, v))) return PHENO_CELL_TEXT;
    if (k == 2) return PHENO_CELL_NONFINITE;
    if (dot && strchr(comma, '.')) return PHENO_CELL_TEXT; /* a dot after the comma: no number */
    /* dots before the comma are thousands separators (1.234,5) in the comma convention */
    return decimal_comma ? PHENO_CELL_NUMBER : PHENO_CELL_COMMA;
}

/* What a column holds, from a first pass over its cells. */
typedef struct {
    size_t n[5], first[5]; /* count and first row of each cell kind (non-missing cells) */
    size_t n_present;      /* non-missing cells (a numeric -9 is missing) */
    int has0, has1, has2, other;
    double vmin, vmax;
} survey_t;

static void survey(const pheno_cells_t *cs, size_t nrows, size_t nsel, size_t c, int dc, survey_t *s)
{
    memset(s, 0, sizeof *s);
    s->vmin = INFINITY, s->vmax = -INFINITY;
    for (int k = 0; k < 5; k++) s->first[k] = SIZE_MAX;
    for (size_t i = 0; i < nrows; i++) {
        const char *cell = PHENO_CELL(cs, i, c, nsel);
        double v;
        if (pheno_is_missing_token(cell)) continue;
        int k = pheno_cell_kind(cell, dc, &v);
        if (k == PHENO_CELL_NUMBER && v == -9.0) continue;
        s->n_present++;
        if (!s->n[k]++) s->first[k] = i;
        if (k != PHENO_CELL_NUMBER) continue;
        if (v < s->vmin) s->vmin = v;
        if (v > s->vmax) s->vmax = v;
        if (v == 0) s->has0 = 1;
        else if (v == 1) s->has1 = 1;
        else if (v == 2) s->has2 = 1;
        else s->other = 1;
    }
}

/* The error for a column that looks numeric (or is forced numeric) but holds cells of kind k. */
static int unreadable(const char *path, const pheno_cells_t *cs, size_t nsel, size_t c, const char *name,
                      const survey_t *s, int k, int forced)
{
    size_t i = s->first[k];
    const char *cell = PHENO_CELL(cs, i, c, nsel);
    long line = cs->lineno[i];
    switch (k) {
    case PHENO_CELL_NONFINITE:
        return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s': '%.40s' is not a finite number (%zu such value%s); write "
                        "NA for a missing value", path, line, name, cell, s->n[k], s->n[k] == 1 ? "" : "s");
    case PHENO_CELL_COMMA:
        return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' holds '%.40s', a number with a decimal comma (%zu of its "
                        "%zu values); add --decimal-comma to read ',' as the decimal separator, or store it with bcms pheno "
                        "--type %s=categorical if these are labels", path, line, name, cell, s->n[k], s->n_present, name);
    case PHENO_CELL_DOT:
        return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' holds '%.40s' with a decimal point, but --decimal-comma "
                        "reads ',' as the decimal separator (%zu such value%s); write the number with a comma, or read "
                        "the file without --decimal-comma", path, line, name, cell, s->n[k], s->n[k] == 1 ? "" : "s");
    default:
        if (forced)
            return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' is %s but '%.40s' is not a number; fix the value, "
                            "write NA for a missing one, or read the column as --type %s=categorical", path, line,
                            name, bcms_pheno_type_name(forced), cell, name);
        return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' holds numbers but also '%.40s' (%zu value%s that %s not "
                        "a number); write NA for a missing value, or store it with bcms pheno --type %s=categorical",
                        path, line, name, cell, s->n[k], s->n[k] == 1 ? "" : "s", s->n[k] == 1 ? "is" : "are", name);
    }
}

/* The type of a column from its survey, or an error (see the rules in pheno_table.h). */
static int decide_type(const char *path, const pheno_cells_t *cs, size_t nsel, size_t c, const char *name,
                       const survey_t *s, int forced, int *type)
{
    size_t numeric_like = s->n_present - s->n[PHENO_CELL_TEXT];
    static const int order[] = {PHENO_CELL_NONFINITE, PHENO_CELL_COMMA, PHENO_CELL_DOT};
    if (forced == BCMS_PHENO_CATEGORICAL) {
        *type = forced;
        return 0;
    }
    if (forced != BCMS_PHENO_AUTO || !s->n[PHENO_CELL_TEXT] || numeric_like > s->n[PHENO_CELL_TEXT]) {
        /* numeric (forced, or by its values): every cell must be a number bcms reads */
        for (int o = 0; o < 3; o++)
            if (s->n[order[o]]) return unreadable(path, cs, nsel, c, name, s, order[o], forced);
        if (s->n[PHENO_CELL_TEXT]) return unreadable(path, cs, nsel, c, name, s, PHENO_CELL_TEXT, forced);
    }
    if (forced != BCMS_PHENO_AUTO) *type = forced;
    else if (s->n[PHENO_CELL_TEXT]) *type = BCMS_PHENO_CATEGORICAL;
    else if (s->n_present && !s->other) *type = BCMS_PHENO_BINARY;
    else *type = BCMS_PHENO_QUANTITATIVE;
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Level names in strcmp order and each row's level index. */
static int convert_categorical(const char *path, const pheno_cells_t *cs, size_t nrows, size_t nsel, size_t c,
                               size_t n_present, bcms_pheno_col_t *col)
{
    char **lv = NULL;
    size_t nl = 0, u = 0;
    int rc = 0;
    /* room for every row: n_present leaves out numeric -9 cells ("\r-9", "-9.0"), which are not missing
     * tokens and are collected below (a fuzzer found the overflow) */
    (void)n_present;
    if (nrows && !(lv = malloc(nrows * sizeof *lv))) return BCMS_ENOMEM;
    for (size_t i = 0; i < nrows; i++) {
        char *s = PHENO_CELL(cs, i, c, nsel);
        if (!pheno_is_missing_token(s)) lv[nl++] = s;
    }
    if (nl) qsort(lv, nl, sizeof *lv, cmp_str);
    for (size_t i = 0; i < nl; i++)
        if (!u || strcmp(lv[u - 1], lv[i])) lv[u++] = lv[i];
    if (u > UINT32_MAX) {
        rc = bcms_err(BCMS_EINPUT, "%s: column '%s' has too many levels", path, col->name);
        goto done;
    }
    col->n_present = 0;
    for (size_t i = 0; i < nrows; i++) {
        char *s = PHENO_CELL(cs, i, c, nsel), **hit;
        if (pheno_is_missing_token(s)) {
            col->v[i] = NAN;
            continue;
        }
        hit = bsearch(&s, lv, u, sizeof *lv, cmp_str);
        col->v[i] = (double)(hit - lv);
        col->n_present++;
    }
    if (u && !(col->levels = calloc(u, sizeof *col->levels))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    col->nlevels = (uint32_t)u;
    for (size_t k = 0; k < u; k++)
        if (!(col->levels[k] = strdup(lv[k]))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
    if (u == 1)
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' has one level only ('%s'); it cannot be used as a covariate "
                 "on its own", path, col->name, col->levels[0]);
done:
    free(lv);
    return rc;
}

static void binary_warnings(const char *path, const char *name, const survey_t *s)
{
    if (s->has0 && s->has1 && s->has2)
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' holds 0, 1 and 2: read as binary 1 = control, 2 = case with 0 "
                 "missing (PLINK 2); if these are counts, add --type %s=quantitative", path, name, name);
    else if (s->has0 && s->has2)
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' holds 0 and 2: read as binary 2 = case with 0 missing (PLINK 2)",
                 path, name);
    else if (s->has1 && !s->has0 && !s->has2)
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' holds only 1: read as PLINK's 1/2 coding, every sample a control "
                 "(censored, for an event column); if 1 means case or event here, store it with `bcms pheno STORE %s "
                 "--type %s=quantitative` (values kept as written)", path, name, path, name);
}

int pheno_convert_column(const char *path, const pheno_cells_t *cs, size_t nrows, size_t nsel, size_t c,
                         const pheno_col_rule_t *rule, bcms_pheno_col_t *col)
{
    survey_t s;
    int type = BCMS_PHENO_QUANTITATIVE, rc;
    const char *name = col->name;

    survey(cs, nrows, nsel, c, rule->decimal_comma, &s);
    if ((rc = decide_type(path, cs, nsel, c, name, &s, rule->forced, &type))) return rc;
    if (type == BCMS_PHENO_BINARY && s.other) {
        size_t i = SIZE_MAX;
        double v;
        for (size_t r = 0; r < nrows && i == SIZE_MAX; r++) {
            const char *cell = PHENO_CELL(cs, r, c, nsel);
            if (!pheno_is_missing_token(cell) && pheno_cell_kind(cell, rule->decimal_comma, &v) == PHENO_CELL_NUMBER &&
                v != -9 && v != 0 && v != 1 && v != 2)
                i = r;
        }
        return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' is binary but holds '%s'; code it 1/2 (control/case) "
                        "or 0/1, or read it as --type %s=quantitative", path, cs->lineno[i], name,
                        PHENO_CELL(cs, i, c, nsel), name);
    }
    col->type = type;
    col->n = nrows;
    if (nrows && !(col->v = malloc(nrows * sizeof *col->v))) return BCMS_ENOMEM;
    if (type == BCMS_PHENO_CATEGORICAL) return convert_categorical(path, cs, nrows, nsel, c, s.n_present, col);

    if (type == BCMS_PHENO_BINARY) {
        /* 0/1 only: 0 control 1 case; otherwise PLINK's 1/2 with 0 missing */
        col->coding = s.has0 && !s.has2 && !rule->plink12 ? BCMS_PHENO_CODING_01 : BCMS_PHENO_CODING_12;
        if (!rule->plink12) binary_warnings(path, name, &s);
    }
    col->n_present = 0;
    for (size_t i = 0; i < nrows; i++) {
        const char *cell = PHENO_CELL(cs, i, c, nsel);
        double v;
        if (pheno_is_missing_token(cell) || pheno_cell_kind(cell, rule->decimal_comma, &v) != PHENO_CELL_NUMBER ||
            v == -9.0) {
            col->v[i] = NAN;
            continue;
        }
        if (type == BCMS_PHENO_BINARY && col->coding == BCMS_PHENO_CODING_12) v = v == 0 ? NAN : v - 1;
        col->v[i] = v;
        col->n_present += !isnan(v);
    }
    if (!col->n_present)
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' has no value (every row missing)", path, name);
    else if (type == BCMS_PHENO_QUANTITATIVE ? s.vmin == s.vmax : (s.has0 + s.has1 + s.has2 == 1))
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' has one value only", path, name);
    return 0;
}

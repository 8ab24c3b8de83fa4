/* pheno_src.c: a minimal PLINK 2 style table reader for scans (until the phenotype store's loader
 * is wired in): #IID or #FID IID header, tab/space separated, NA/-9/./empty missing. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/kstring.h>

#include "err.h"
#include "pheno_src.h"

struct bcms_table_t {
    char *path;
    int ncol, nrow, iid_col;
    char **names;
    char ***cells; /* nrow x ncol */
};

void bcms_table_free(bcms_table_t *t)
{
    if (!t) return;
    for (int r = 0; r < t->nrow; r++) {
        for (int c = 0; c < t->ncol; c++) free(t->cells[r][c]);
        free(t->cells[r]);
    }
    free(t->cells);
    for (int c = 0; c < t->ncol; c++) free(t->names[c]);
    free(t->names);
    free(t->path);
    free(t);
}

const char *bcms_table_path(const bcms_table_t *t) { return t->path; }

static int split_fields(char *s, char ***out)
{
    int n = 0, m = 0;
    char **v = NULL;
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        if (!*s) break;
        char *b = s;
        while (*s && *s != ' ' && *s != '\t') s++;
        if (*s) *s++ = 0;
        if (n == m) {
            m = m ? m * 2 : 16;
            char **nv = realloc(v, sizeof *v * m);
            if (!nv) break;
            v = nv;
        }
        v[n++] = strdup(b);
    }
    *out = v;
    return n;
}

int bcms_table_read(const char *path, bcms_table_t **out)
{
    FILE *fp = fopen(path, "r");
    bcms_table_t *t;
    kstring_t line = {0, 0, NULL};
    int lineno = 0, rc = 0, c;
    *out = NULL;
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open the phenotype/covariate table", path);
    if (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path))) {
        fclose(fp);
        free(t);
        return BCMS_ENOMEM;
    }
    while (line.l = 0, (c = kgetline(&line, (kgets_func *)fgets, fp)) >= 0) {
        char **f;
        int n;
        lineno++;
        if (line.l && line.s[line.l - 1] == '\r') line.s[--line.l] = 0;
        if (!line.l) continue;
        n = split_fields(line.s, &f);
        if (!t->names) {
            if (n && f[0][0] == '#') memmove(f[0], f[0] + 1, strlen(f[0]));
            t->iid_col = n > 1 && !strcmp(f[0], "FID") && !strcmp(f[1], "IID") ? 1 : 0;
            if (strcmp(f[t->iid_col], "IID")) {
                rc = bcms_err(BCMS_EINPUT, "%s: line %d: the header must start with #IID or #FID IID (PLINK 2)", path,
                              lineno);
                for (int k = 0; k < n; k++) free(f[k]);
                free(f);
                break;
            }
            t->names = f;
            t->ncol = n;
            continue;
        }
        if (n != t->ncol) {
            rc = bcms_err(BCMS_EINPUT, "%s: line %d: %d fields, the header has %d", path, lineno, n, t->ncol);
            for (int k = 0; k < n; k++) free(f[k]);
            free(f);
            break;
        }
        char ***nc = realloc(t->cells, sizeof *nc * (t->nrow + 1));
        if (!nc) {
            rc = BCMS_ENOMEM;
            break;
        }
        t->cells = nc;
        t->cells[t->nrow++] = f;
    }
    free(line.s);
    fclose(fp);
    if (!rc && !t->names) rc = bcms_err(BCMS_EINPUT, "%s: empty table", path);
    if (rc) {
        bcms_table_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int is_missing(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, "-9") || !strcmp(s, ".") || !strcmp(s, "nan");
}

int bcms_table_column(bcms_table_t *t, const char *name, const char *const *iids, uint32_t n, bcms_col_t *col)
{
    int c, numeric = 1, has0 = 0, has1 = 0, has2 = 0, other = 0;
    for (c = 0; c < t->ncol; c++)
        if (c != t->iid_col && !(t->iid_col == 1 && c == 0) && !strcmp(t->names[c], name)) break;
    if (c == t->ncol) return BCMS_ENOTFOUND;
    for (int r = 0; r < t->nrow; r++) {
        const char *s = t->cells[r][c];
        char *end;
        if (is_missing(s)) continue;
        double x = strtod(s, &end);
        if (*end) numeric = 0;
        else if (x == 0) has0 = 1;
        else if (x == 1) has1 = 1;
        else if (x == 2) has2 = 1;
        else other = 1;
    }
    /* PLINK 2: {1,2} is case/control (0 missing); {0,1} case/control coded 0/1 */
    col->type = !numeric ? BCMS_COL_CATEG : other || (!has2 && !has0) || (has0 && has1 && has2) ? BCMS_COL_QUANT
                                                                                                 : BCMS_COL_BINARY;
    if (numeric && !other && has0 && has1 && has2) col->type = BCMS_COL_BINARY;
    for (uint32_t i = 0; i < n; i++) col->v[i] = NAN;
    /* map IIDs: the table is small; a linear index by sorted search is enough here */
    for (int r = 0; r < t->nrow; r++) {
        const char *iid = t->cells[r][t->iid_col], *s = t->cells[r][c];
        for (uint32_t i = 0; i < n; i++) {
            if (strcmp(iids[i], iid)) continue;
            if (is_missing(s)) break;
            if (col->type == BCMS_COL_CATEG) {
                int l;
                for (l = 0; l < col->nlevels; l++)
                    if (!strcmp(col->levels[l], s)) break;
                if (l == col->nlevels) {
                    char **nl = realloc(col->levels, sizeof *nl * (l + 1));
                    if (!nl) return BCMS_ENOMEM;
                    col->levels = nl;
                    col->levels[col->nlevels++] = strdup(s);
                }
                col->v[i] = l;
            } else {
                double x = strtod(s, NULL);
                if (col->type == BCMS_COL_BINARY) {
                    if (has2) x = x == 2 ? 1 : x == 1 ? 0 : NAN;
                }
                col->v[i] = x;
            }
            break;
        }
    }
    return 0;
}

int bcms_store_column(bcms_store_t *st, MDB_txn *txn, const char *name, const uint32_t *ids, uint32_t n,
                      bcms_col_t *col)
{
    (void)st, (void)txn, (void)name, (void)ids, (void)n, (void)col;
    return BCMS_ENOTFOUND;
}

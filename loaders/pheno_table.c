/* pheno_table.c: read PLINK 2 style phenotype/covariate tables (format in pheno_table.h); storing
 * them is pheno_import.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>
#include <htslib/kstring.h>

#include "err.h"
#include "pheno_table.h"

/* ---- options ---- */

void bcms_pheno_opts_init(bcms_pheno_opts_t *o) { memset(o, 0, sizeof *o); }

void bcms_pheno_opts_free(bcms_pheno_opts_t *o)
{
    for (size_t i = 0; i < o->n_types; i++) free(o->type_names[i]);
    for (size_t i = 0; i < o->n_columns; i++) free(o->columns[i]);
    free(o->type_names);
    free(o->types);
    free(o->columns);
    memset(o, 0, sizeof *o);
}

/* Split a comma list into fresh strings; calls add(o, item) for each. */
static int split_list(bcms_pheno_opts_t *o, const char *list, const char *what,
                      int (*add)(bcms_pheno_opts_t *, const char *))
{
    const char *p = list;
    if (!*list) return bcms_err(BCMS_EINVAL, "empty %s list", what);
    for (;;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char *item = strndup(p, l);
        int rc;
        if (!item) return BCMS_ENOMEM;
        if (!l) {
            free(item);
            return bcms_err(BCMS_EINVAL, "empty name in the %s list '%s'", what, list);
        }
        rc = add(o, item);
        free(item);
        if (rc) return rc;
        if (!e) return 0;
        p = e + 1;
    }
}

static int add_type(bcms_pheno_opts_t *o, const char *item)
{
    const char *eq = strrchr(item, '=');
    int type, rc;
    char *name, **nn;
    int *nt;
    if (!eq || eq == item)
        return bcms_err(BCMS_EINVAL, "--type '%s': write NAME=TYPE (TYPE quantitative, binary or categorical)", item);
    if ((rc = bcms_pheno_type_parse(eq + 1, &type))) return rc;
    if (!(name = strndup(item, (size_t)(eq - item)))) return BCMS_ENOMEM;
    for (size_t i = 0; i < o->n_types; i++)
        if (!strcmp(o->type_names[i], name)) { /* the last one given wins */
            o->types[i] = type;
            free(name);
            return 0;
        }
    nn = realloc(o->type_names, (o->n_types + 1) * sizeof *nn);
    if (nn) o->type_names = nn;
    nt = realloc(o->types, (o->n_types + 1) * sizeof *nt);
    if (nt) o->types = nt;
    if (!nn || !nt) {
        free(name);
        return BCMS_ENOMEM;
    }
    o->type_names[o->n_types] = name;
    o->types[o->n_types++] = type;
    return 0;
}

static int add_column(bcms_pheno_opts_t *o, const char *item)
{
    char **nc;
    for (size_t i = 0; i < o->n_columns; i++)
        if (!strcmp(o->columns[i], item)) return bcms_err(BCMS_EINVAL, "--columns names '%s' twice", item);
    if (!(nc = realloc(o->columns, (o->n_columns + 1) * sizeof *nc))) return BCMS_ENOMEM;
    o->columns = nc;
    if (!(o->columns[o->n_columns] = strdup(item))) return BCMS_ENOMEM;
    o->n_columns++;
    return 0;
}

int bcms_pheno_opts_add_types(bcms_pheno_opts_t *o, const char *spec) { return split_list(o, spec, "--type", add_type); }
int bcms_pheno_opts_add_columns(bcms_pheno_opts_t *o, const char *list)
{
    return split_list(o, list, "--columns", add_column);
}

/* ---- the table object ---- */

void bcms_pheno_table_free(bcms_pheno_table_t *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->nrows; i++) free(t->iid[i]);
    for (size_t j = 0; j < t->ncols; j++) bcms_pheno_col_clear(&t->cols[j]);
    free(t->iid);
    free(t->cols);
    free(t->hash);
    free(t->path);
    free(t);
}

long bcms_pheno_table_col(const bcms_pheno_table_t *t, const char *name)
{
    for (size_t j = 0; j < t->ncols; j++)
        if (!strcmp(t->cols[j].name, name)) return (long)j;
    return -1;
}

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

long bcms_pheno_table_row(const bcms_pheno_table_t *t, const char *iid)
{
    if (!t->hash_cap) return -1;
    for (size_t i = str_hash(iid) & (t->hash_cap - 1);; i = (i + 1) & (t->hash_cap - 1)) {
        if (t->hash[i] == SIZE_MAX) return -1;
        if (!strcmp(t->iid[t->hash[i]], iid)) return (long)t->hash[i];
    }
}

/* Add row k (t->iid[k]) to the hash, growing it to keep the load <= 1/2. Returns the row that
 * already holds this IID, or -1 when added, or -2 on allocation failure. */
static long hash_add(bcms_pheno_table_t *t, size_t k)
{
    long prev = bcms_pheno_table_row(t, t->iid[k]);
    if (prev >= 0) return prev;
    if (2 * (k + 1) > t->hash_cap) {
        size_t cap = t->hash_cap ? t->hash_cap * 2 : 256;
        size_t *h = malloc(cap * sizeof *h);
        if (!h) return -2;
        for (size_t i = 0; i < cap; i++) h[i] = SIZE_MAX;
        for (size_t r = 0; r < k; r++) {
            size_t i = str_hash(t->iid[r]) & (cap - 1);
            while (h[i] != SIZE_MAX) i = (i + 1) & (cap - 1);
            h[i] = r;
        }
        free(t->hash);
        t->hash = h;
        t->hash_cap = cap;
    }
    size_t i = str_hash(t->iid[k]) & (t->hash_cap - 1);
    while (t->hash[i] != SIZE_MAX) i = (i + 1) & (t->hash_cap - 1);
    t->hash[i] = k;
    return -1;
}

/* ---- reading lines ---- */

typedef struct {
    gzFile gz;
    const char *path;
    kstring_t line;
    long lineno;
    int tabs;        /* tab-separated (else runs of spaces) */
    char **f;        /* fields of the current line (pointing into line) */
    size_t nf, fcap;
} reader_t;

/* Next line into r->line without its end of line. 1 with a line, 0 at end of file, <0 on error. */
static int read_line(reader_t *r)
{
    char buf[65536];
    r->line.l = 0;
    if (r->line.s) r->line.s[0] = 0;
    for (;;) {
        if (!gzgets(r->gz, buf, sizeof buf)) {
            int e;
            const char *m = gzerror(r->gz, &e);
            if (e != Z_OK && e != Z_BUF_ERROR)
                return bcms_err(BCMS_EIO, "%s:%ld: cannot read: %s", r->path, r->lineno + 1,
                                e == Z_ERRNO ? strerror(errno) : m);
            if (!r->line.l) return 0;
            break;
        }
        size_t l = strlen(buf);
        if (kputsn(buf, l, &r->line) < 0) return BCMS_ENOMEM;
        if (l && buf[l - 1] == '\n') break;
    }
    r->lineno++;
    while (r->line.l && (r->line.s[r->line.l - 1] == '\n' || r->line.s[r->line.l - 1] == '\r'))
        r->line.s[--r->line.l] = 0;
    if (!r->line.s && kputs("", &r->line) < 0) return BCMS_ENOMEM;
    return 1;
}

static int push_field(reader_t *r, char *p)
{
    if (r->nf == r->fcap) {
        size_t c = r->fcap ? r->fcap * 2 : 32;
        char **f = realloc(r->f, c * sizeof *f);
        if (!f) return BCMS_ENOMEM;
        r->f = f;
        r->fcap = c;
    }
    r->f[r->nf++] = p;
    return 0;
}

/* Split the current line in place (see the separator rule in pheno_table.h). */
static int split_line(reader_t *r)
{
    char *p = r->line.s;
    r->nf = 0;
    if (r->tabs) {
        for (;;) {
            char *t = strchr(p, '\t'), *e;
            if (t) *t = 0;
            while (*p == ' ') p++;
            for (e = p + strlen(p); e > p && e[-1] == ' '; e--) e[-1] = 0;
            if (push_field(r, p)) return BCMS_ENOMEM;
            if (!t) return 0;
            p = t + 1;
        }
    }
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) return 0;
        if (push_field(r, p)) return BCMS_ENOMEM;
        while (*p && *p != ' ' && *p != '\t') p++;
        if (*p) *p++ = 0;
    }
}

static int is_blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t') return 0;
    return 1;
}

/* ---- values ---- */

static int is_missing_token(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, "-9") || !strcmp(s, ".");
}

/* A finite decimal number (no hex, inf or nan). */
static int parse_number(const char *s, double *v)
{
    char *end;
    if (strpbrk(s, "xXnN")) return 0; /* hex, inf, nan: strtod would take them */
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && isfinite(*v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Cells of the selected columns: cell[i * nsel + c] is an offset into the arena `text`. */
typedef struct {
    kstring_t text;
    size_t *cell;
    size_t cap;
    long *lineno; /* file line of each row */
} cells_t;

#define CELL(cs, i, c, nsel) ((cs)->text.s + (cs)->cell[(size_t)(i) * (nsel) + (c)])

/* Type and convert column c (header index hcol) of the selected columns into col. */
static int convert_column(const char *path, const cells_t *cs, size_t nrows, size_t nsel, size_t c, int forced,
                          bcms_pheno_col_t *col)
{
    int all_numeric = 1, has0 = 0, has1 = 0, has2 = 0, other = 0, type = forced;
    size_t n_present = 0, first_bad = SIZE_MAX;
    double vmin = INFINITY, vmax = -INFINITY, v = 0;
    const char *name = col->name;

    for (size_t i = 0; i < nrows; i++) {
        const char *s = CELL(cs, i, c, nsel);
        if (is_missing_token(s)) continue;
        if (!parse_number(s, &v)) {
            all_numeric = 0;
            if (first_bad == SIZE_MAX) first_bad = i;
            n_present++;
            continue;
        }
        if (v == -9.0) continue;
        n_present++;
        if (v < vmin) vmin = v;
        if (v > vmax) vmax = v;
        if (v == 0) has0 = 1;
        else if (v == 1) has1 = 1;
        else if (v == 2) has2 = 1;
        else other = 1;
    }
    if (type == BCMS_PHENO_AUTO) {
        if (!all_numeric) type = BCMS_PHENO_CATEGORICAL;
        else if (n_present && !other) type = BCMS_PHENO_BINARY;
        else type = BCMS_PHENO_QUANTITATIVE;
    }
    if ((type == BCMS_PHENO_QUANTITATIVE || type == BCMS_PHENO_BINARY) && !all_numeric)
        return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' is %s but '%s' is not a number; fix the value, write NA "
                        "for a missing one, or read the column as --type %s=categorical",
                        path, cs->lineno[first_bad], name, bcms_pheno_type_name(type), CELL(cs, first_bad, c, nsel),
                        name);
    if (type == BCMS_PHENO_BINARY && other) {
        for (size_t i = 0; i < nrows; i++) {
            const char *s = CELL(cs, i, c, nsel);
            if (is_missing_token(s) || !parse_number(s, &v) || v == -9 || v == 0 || v == 1 || v == 2) continue;
            return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' is binary but holds '%s'; code it 1/2 (control/case) "
                            "or 0/1, or read it as --type %s=quantitative", path, cs->lineno[i], name, s, name);
        }
    }

    col->type = type;
    col->n = nrows;
    if (nrows && !(col->v = malloc(nrows * sizeof *col->v))) return BCMS_ENOMEM;
    if (type == BCMS_PHENO_CATEGORICAL) {
        char **lv = NULL;
        size_t nl = 0;
        /* room for every row: n_present leaves out numeric -9 cells ("\r-9", "-9.0"), which are not
         * missing tokens and are collected below */
        if (nrows && !(lv = malloc(nrows * sizeof *lv))) return BCMS_ENOMEM;
        for (size_t i = 0; i < nrows; i++) {
            char *s = CELL(cs, i, c, nsel);
            if (!is_missing_token(s)) lv[nl++] = s;
        }
        if (nl) qsort(lv, nl, sizeof *lv, cmp_str);
        size_t u = 0;
        for (size_t i = 0; i < nl; i++)
            if (!u || strcmp(lv[u - 1], lv[i])) lv[u++] = lv[i];
        if (u > UINT32_MAX) {
            free(lv);
            return bcms_err(BCMS_EINPUT, "%s: column '%s' has too many levels", path, name);
        }
        col->n_present = 0;
        for (size_t i = 0; i < nrows; i++) {
            char *s = CELL(cs, i, c, nsel), **hit;
            if (is_missing_token(s)) {
                col->v[i] = NAN;
                continue;
            }
            hit = bsearch(&s, lv, u, sizeof *lv, cmp_str);
            col->v[i] = (double)(hit - lv);
            col->n_present++;
        }
        if (u && !(col->levels = calloc(u, sizeof *col->levels))) {
            free(lv);
            return BCMS_ENOMEM;
        }
        col->nlevels = (uint32_t)u;
        for (size_t k = 0; k < u; k++)
            if (!(col->levels[k] = strdup(lv[k]))) {
                free(lv);
                return BCMS_ENOMEM;
            }
        free(lv);
        if (u == 1)
            bcms_log(BCMS_LOG_WARN, "%s: column '%s' has one level only ('%s'); it cannot be used as a covariate "
                     "on its own", path, name, col->levels[0]);
        return 0;
    }

    if (type == BCMS_PHENO_BINARY) {
        /* 0/1 only: 0 control 1 case; otherwise PLINK's 1/2 with 0 missing */
        col->coding = has0 && !has2 ? BCMS_PHENO_CODING_01 : BCMS_PHENO_CODING_12;
        if (has0 && has1 && has2)
            bcms_log(BCMS_LOG_WARN, "%s: column '%s' holds 0, 1 and 2: read as binary 1 = control, 2 = case with 0 "
                     "missing (PLINK 2); if these are counts, add --type %s=quantitative", path, name, name);
        else if (has0 && has2)
            bcms_log(BCMS_LOG_WARN, "%s: column '%s' holds 0 and 2: read as binary 2 = case with 0 missing (PLINK 2)",
                     path, name);
        else if (has1 && !has0 && !has2)
            bcms_log(BCMS_LOG_WARN, "%s: column '%s' holds only 1: read as PLINK's 1/2 coding, every sample a control "
                     "(censored, for an event column); if 1 means case or event here, store it with `bcms pheno STORE %s "
                     "--type %s=quantitative` (values kept as written)", path, name, path, name);
    }
    col->n_present = 0;
    for (size_t i = 0; i < nrows; i++) {
        const char *s = CELL(cs, i, c, nsel);
        if (is_missing_token(s) || (parse_number(s, &v), v == -9.0)) {
            col->v[i] = NAN;
            continue;
        }
        if (type == BCMS_PHENO_BINARY) {
            if (col->coding == BCMS_PHENO_CODING_12) v = v == 0 ? NAN : v - 1;
        }
        col->v[i] = v;
        col->n_present += !isnan(v);
    }
    if (!col->n_present)
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' has no value (every row missing)", path, name);
    else if (type == BCMS_PHENO_QUANTITATIVE ? vmin == vmax : (has0 + has1 + has2 == 1))
        bcms_log(BCMS_LOG_WARN, "%s: column '%s' has one value only", path, name);
    return 0;
}

int bcms_pheno_table_read(const char *path, const bcms_pheno_opts_t *opts, bcms_pheno_table_t **out)
{
    static const bcms_pheno_opts_t no_opts;
    reader_t r = {0};
    cells_t cs = {{0, 0, NULL}, NULL, 0, NULL};
    bcms_pheno_table_t *t = NULL;
    struct stat sb;
    size_t hnf = 0, first = 0, nsel = 0, *sel = NULL;
    int *forced = NULL, rc;
    char **hname = NULL;
    long header_line = 0;

    *out = NULL;
    if (!opts) opts = &no_opts;
    r.path = path;
    if (stat(path, &sb)) return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (S_ISDIR(sb.st_mode)) return bcms_err(BCMS_EIO, "%s is a directory, not a phenotype table", path);
    if (!(r.gz = gzopen(path, "rb"))) return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path))) goto nomem;

    /* header: skip blank lines and leading ## lines */
    for (;;) {
        if ((rc = read_line(&r)) < 0) goto fail;
        if (rc == 0) {
            rc = bcms_err(BCMS_EINPUT, "%s: empty file; a phenotype table starts with a header line #IID (or #FID "
                          "IID) and the column names", path);
            goto fail;
        }
        if (r.lineno == 1 && !strncmp(r.line.s, "\xef\xbb\xbf", 3)) {
            memmove(r.line.s, r.line.s + 3, r.line.l - 2);
            r.line.l -= 3;
        }
        if (is_blank(r.line.s) || !strncmp(r.line.s, "##", 2)) continue;
        break;
    }
    header_line = r.lineno;
    r.tabs = strchr(r.line.s, '\t') != NULL;
    if ((rc = split_line(&r))) goto fail;
    hnf = r.nf;
    if (!(hname = calloc(hnf, sizeof *hname))) goto nomem;
    for (size_t j = 0; j < hnf; j++)
        if (!(hname[j] = strdup(r.f[j] + (j == 0 && r.f[j][0] == '#')))) goto nomem;
    if (hnf >= 2 && !strcmp(hname[0], "FID") && !strcmp(hname[1], "IID")) first = 2;
    else if (hnf >= 1 && !strcmp(hname[0], "IID")) first = 1;
    else {
        rc = bcms_err(BCMS_EINPUT, "%s:%ld: the header must start with #IID or #FID IID (PLINK 2 style); it starts "
                      "with '%s'", path, header_line, hnf ? r.f[0] : "");
        goto fail;
    }
    if (hnf == first) {
        rc = bcms_err(BCMS_EINPUT, "%s:%ld: the header names no phenotype or covariate column after the IID", path,
                      header_line);
        goto fail;
    }
    for (size_t j = first; j < hnf; j++) {
        if (bcms_pheno_name_check(hname[j])) {
            char why[512];
            snprintf(why, sizeof why, "%s", bcms_err_detail());
            rc = bcms_err(BCMS_EINPUT, "%s:%ld: column %zu: %s", path, header_line, j + 1, why);
            goto fail;
        }
        for (size_t k = 0; k < j; k++)
            if (!strcmp(hname[k], hname[j])) {
                rc = bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' appears twice in the header (columns %zu and %zu); "
                              "rename or remove one", path, header_line, hname[j], k + 1, j + 1);
                goto fail;
            }
    }

    /* selected columns and their forced types */
    nsel = opts->n_columns ? opts->n_columns : hnf - first;
    if (!(sel = malloc(nsel * sizeof *sel)) || !(forced = calloc(nsel, sizeof *forced))) goto nomem;
    for (size_t c = 0; c < nsel; c++) {
        if (!opts->n_columns) {
            sel[c] = first + c;
            continue;
        }
        size_t j;
        for (j = first; j < hnf && strcmp(hname[j], opts->columns[c]); j++) {}
        if (j == hnf) {
            rc = bcms_err(BCMS_EINVAL, "%s: --columns names '%s', which is not a column of the file", path,
                          opts->columns[c]);
            goto fail;
        }
        sel[c] = j;
    }
    for (size_t k = 0; k < opts->n_types; k++) {
        size_t j;
        for (j = first; j < hnf && strcmp(hname[j], opts->type_names[k]); j++) {}
        if (j == hnf) {
            rc = bcms_err(BCMS_EINVAL, "%s: --type names '%s', which is not a column of the file", path,
                          opts->type_names[k]);
            goto fail;
        }
        for (size_t c = 0; c < nsel; c++)
            if (sel[c] == j) forced[c] = opts->types[k];
    }

    /* rows */
    while ((rc = read_line(&r)) == 1) {
        size_t i = t->nrows;
        if (is_blank(r.line.s)) continue;
        if ((rc = split_line(&r))) goto fail;
        if (r.nf != hnf) {
            rc = bcms_err(BCMS_EINPUT, "%s:%ld: %zu fields, but the header (line %ld) has %zu%s; every row needs "
                          "one value per column (NA when missing)", path, r.lineno, r.nf, header_line, hnf,
                          r.tabs ? "" : " (space-separated: a missing value must be written NA)");
            goto fail;
        }
        const char *iid = r.f[first - 1];
        if (is_missing_token(iid) && strcmp(iid, "-9")) {
            rc = bcms_err(BCMS_EINPUT, "%s:%ld: the IID is missing; every row needs a sample ID", path, r.lineno);
            goto fail;
        }
        if (i == cs.cap) {
            size_t cap = cs.cap ? cs.cap * 2 : 1024;
            size_t *cell;
            long *ln;
            char **ids;
            if (cap > SIZE_MAX / sizeof(size_t) / nsel) goto nomem;
            if (!(cell = realloc(cs.cell, cap * nsel * sizeof *cell))) goto nomem;
            cs.cell = cell;
            if (!(ln = realloc(cs.lineno, cap * sizeof *ln))) goto nomem;
            cs.lineno = ln;
            if (!(ids = realloc(t->iid, cap * sizeof *ids))) goto nomem;
            t->iid = ids;
            cs.cap = cap;
        }
        if (!(t->iid[i] = strdup(iid))) goto nomem;
        t->nrows++;
        long prev = hash_add(t, i);
        if (prev == -2) goto nomem;
        if (prev >= 0) {
            rc = bcms_err(BCMS_EINPUT, "%s:%ld: sample '%s' appears twice (also on line %ld)%s; keep one row per "
                          "sample", path, r.lineno, iid, cs.lineno[prev],
                          first == 2 ? " (the FID is ignored: the IID alone names a sample)" : "");
            goto fail;
        }
        cs.lineno[i] = r.lineno;
        for (size_t c = 0; c < nsel; c++) {
            cs.cell[i * nsel + c] = cs.text.l;
            if (kputsn(r.f[sel[c]], strlen(r.f[sel[c]]) + 1, &cs.text) < 0) goto nomem;
        }
    }
    if (rc < 0) goto fail;
    if (!t->nrows) {
        rc = bcms_err(BCMS_EINPUT, "%s: no data rows after the header (line %ld)", path, header_line);
        goto fail;
    }

    /* columns */
    if (!(t->cols = calloc(nsel, sizeof *t->cols))) goto nomem;
    t->ncols = nsel;
    for (size_t c = 0; c < nsel; c++) {
        bcms_pheno_col_t *col = &t->cols[c];
        if (!(col->name = strdup(hname[sel[c]])) || !(col->source = strdup(path))) goto nomem;
        col->source_size = (uint64_t)sb.st_size;
        col->source_mtime = (int64_t)sb.st_mtime;
        col->source_rows = t->nrows > UINT32_MAX ? UINT32_MAX : (uint32_t)t->nrows;
        if ((rc = convert_column(path, &cs, t->nrows, nsel, c, forced[c], col))) goto fail;
    }
    rc = 0;
    *out = t;
    t = NULL;
    goto done;
nomem:
    rc = bcms_err(BCMS_ENOMEM, "%s: out of memory reading the table", path);
fail:
    bcms_pheno_table_free(t);
done:
    if (hname)
        for (size_t j = 0; j < hnf; j++) free(hname[j]);
    free(hname);
    free(sel);
    free(forced);
    free(cs.text.s);
    free(cs.cell);
    free(cs.lineno);
    free(r.line.s);
    free(r.f);
    gzclose(r.gz);
    return rc;
}

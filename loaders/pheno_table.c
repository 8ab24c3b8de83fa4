/* pheno_table.c: read PLINK 2 style phenotype/covariate tables (format in pheno_table.h); storing
 * them is pheno_import.c.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <htslib/kstring.h>

#include "err.h"
#include "pheno_table.h"
#include "pheno_table_internal.h"

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
    free(t->lineno);
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

/* ---- the header ---- */

typedef struct {
    reader_t r;
    pheno_cells_t cs;
    bcms_pheno_table_t *t;
    const bcms_pheno_opts_t *opts;
    size_t hnf, first, nsel, *sel;
    char **hname;
    pheno_col_rule_t *rule;
    long header_line;
    int fam;      /* a PLINK 1 .fam file: FID IID PAT MAT SEX PHENO, no header */
    int pending;  /* the current line is the first data row (no header line) */
} parse_t;

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* First line that is not blank or "##", split, BOM removed. */
static int first_line(parse_t *p)
{
    reader_t *r = &p->r;
    int rc;
    for (;;) {
        if ((rc = read_line(r)) < 0) return rc;
        if (rc == 0)
            return bcms_err(BCMS_EINPUT, "%s: empty file; a phenotype table starts with a header line #IID (or #FID "
                            "IID) and the column names", r->path);
        if (r->lineno == 1 && !strncmp(r->line.s, "\xef\xbb\xbf", 3)) {
            memmove(r->line.s, r->line.s + 3, r->line.l - 2);
            r->line.l -= 3;
        }
        if (is_blank(r->line.s) || !strncmp(r->line.s, "##", 2)) continue;
        break;
    }
    p->header_line = r->lineno;
    r->tabs = strchr(r->line.s, '\t') != NULL;
    return split_line(r);
}

/* Column names for a file without a header: FID IID then PREFIX1, PREFIX2 ... (PLINK 2's names), or
 * the .fam layout. */
static int synth_names(parse_t *p)
{
    const char *prefix = p->opts->unnamed_prefix[0] ? p->opts->unnamed_prefix : "PHENO";
    static const char *fam[] = {"FID", "IID", "PAT", "MAT", "sex", "PHENO1"};
    p->hnf = p->r.nf;
    if (!(p->hname = calloc(p->hnf, sizeof *p->hname))) return BCMS_ENOMEM;
    for (size_t j = 0; j < p->hnf; j++) {
        char buf[64];
        if (p->fam) snprintf(buf, sizeof buf, "%s", fam[j]);
        else if (j < 2) snprintf(buf, sizeof buf, "%s", fam[j]);
        else snprintf(buf, sizeof buf, "%s%zu", prefix, j - 1);
        if (!(p->hname[j] = strdup(buf))) return BCMS_ENOMEM;
    }
    p->first = 2;
    p->pending = 1;
    return 0;
}

/* A first line without #IID/#FID IID: a PLINK 1 .fam, or a headerless FID IID v1 v2 ... file when its
 * values are numbers (a line of words is a bad header, not a sample). */
static int headerless(parse_t *p)
{
    reader_t *r = &p->r;
    if (p->fam) {
        if (r->nf != 6)
            return bcms_err(BCMS_EINPUT, "%s:%ld: a PLINK .fam line has 6 fields (FID IID PAT MAT SEX PHENO); this one "
                            "has %zu", r->path, r->lineno, r->nf);
        bcms_log(BCMS_LOG_INFO, "%s: PLINK 1 .fam file: storing its columns as sex (1 male, 2 female, 0 unknown) and "
                 "PHENO1", r->path);
        return synth_names(p);
    }
    int numeric = r->nf >= 3;
    for (size_t j = 2; j < r->nf && numeric; j++) {
        double v;
        numeric = pheno_is_missing_token(r->f[j]) ||
                  pheno_cell_kind(r->f[j], p->opts->decimal_comma, &v) != PHENO_CELL_TEXT;
    }
    if (!numeric)
        return bcms_err(BCMS_EINPUT, "%s:%ld: the header must start with #IID or #FID IID (PLINK 2 style); it starts "
                        "with '%.40s'. (A file without a header line is read as FID IID VALUE... when its values are "
                        "numbers; this line holds words)", r->path, r->lineno, r->nf ? r->f[0] : "");
    bcms_log(BCMS_LOG_INFO, "%s: no header line: read as FID IID and %zu column%s named %s1%s", r->path, r->nf - 2,
             r->nf == 3 ? "" : "s", p->opts->unnamed_prefix[0] ? p->opts->unnamed_prefix : "PHENO",
             r->nf == 3 ? "" : ", ...");
    return synth_names(p);
}

static int read_header(parse_t *p)
{
    reader_t *r = &p->r;
    int rc;
    if ((rc = first_line(p))) return rc;
    p->fam = ends_with(r->path, ".fam") || ends_with(r->path, ".fam.gz");
    const char *f0 = r->nf ? r->f[0] + (r->f[0][0] == '#') : "";
    int named = !p->fam && ((r->nf >= 2 && !strcmp(f0, "FID") && !strcmp(r->f[1], "IID")) || !strcmp(f0, "IID"));
    if (!named) {
        if ((rc = headerless(p))) return rc;
    } else {
        p->hnf = r->nf;
        if (!(p->hname = calloc(p->hnf, sizeof *p->hname))) return BCMS_ENOMEM;
        for (size_t j = 0; j < p->hnf; j++)
            if (!(p->hname[j] = strdup(r->f[j] + (j == 0 && r->f[j][0] == '#')))) return BCMS_ENOMEM;
        p->first = strcmp(p->hname[0], "FID") ? 1 : 2;
    }
    if (p->hnf == p->first)
        return bcms_err(BCMS_EINPUT, "%s:%ld: the header names no phenotype or covariate column after the IID", r->path,
                        p->header_line);
    for (size_t j = p->first; j < p->hnf; j++) {
        if (bcms_pheno_name_check(p->hname[j])) {
            char why[512];
            snprintf(why, sizeof why, "%s", bcms_err_detail());
            return bcms_err(BCMS_EINPUT, "%s:%ld: column %zu: %s", r->path, p->header_line, j + 1, why);
        }
        for (size_t k = 0; k < j; k++)
            if (!strcmp(p->hname[k], p->hname[j]))
                return bcms_err(BCMS_EINPUT, "%s:%ld: column '%s' appears twice in the header (columns %zu and %zu); "
                                "rename or remove one", r->path, p->header_line, p->hname[j], k + 1, j + 1);
    }
    return 0;
}

/* Header index of a column name, or hnf. */
static size_t header_col(const parse_t *p, const char *name)
{
    size_t j;
    for (j = p->first; j < p->hnf && strcmp(p->hname[j], name); j++) {}
    return j;
}

/* The selected columns (--columns, else all; a .fam's PAT and MAT are parents, not phenotypes) and
 * how each is typed. */
static int select_columns(parse_t *p)
{
    const bcms_pheno_opts_t *o = p->opts;
    size_t nall = p->hnf - p->first - (p->fam ? 2 : 0);
    p->nsel = o->n_columns ? o->n_columns : nall;
    if (!(p->sel = malloc(p->nsel * sizeof *p->sel)) || !(p->rule = calloc(p->nsel, sizeof *p->rule)))
        return BCMS_ENOMEM;
    for (size_t c = 0; c < p->nsel; c++) {
        size_t j = o->n_columns ? header_col(p, o->columns[c]) : p->first + c + (p->fam ? 2 : 0);
        if (j == p->hnf)
            return bcms_err(BCMS_EINVAL, "%s: --columns names '%s', which is not a column of the file", p->r.path,
                            o->columns[c]);
        p->sel[c] = j;
        p->rule[c].decimal_comma = o->decimal_comma;
        /* .fam: SEX and PHENO are PLINK 1/2 coded, 0 and -9 missing, whatever values a cohort has */
        p->rule[c].plink12 = p->fam && j >= 4;
        if (p->fam && j == 4) p->rule[c].forced = BCMS_PHENO_BINARY;
    }
    for (size_t k = 0; k < o->n_types; k++) {
        size_t j = header_col(p, o->type_names[k]);
        if (j == p->hnf)
            return bcms_err(BCMS_EINVAL, "%s: --type names '%s', which is not a column of the file", p->r.path,
                            o->type_names[k]);
        for (size_t c = 0; c < p->nsel; c++)
            if (p->sel[c] == j) p->rule[c].forced = o->types[k];
    }
    return 0;
}

/* ---- rows ---- */

static int grow_rows(parse_t *p)
{
    pheno_cells_t *cs = &p->cs;
    bcms_pheno_table_t *t = p->t;
    size_t cap = cs->cap ? cs->cap * 2 : 1024;
    size_t *cell;
    long *ln;
    char **ids;
    if (cap > SIZE_MAX / sizeof(size_t) / (p->nsel ? p->nsel : 1)) return BCMS_ENOMEM;
    if (!(cell = realloc(cs->cell, cap * p->nsel * sizeof *cell + 1))) return BCMS_ENOMEM;
    cs->cell = cell;
    if (!(ln = realloc(t->lineno, cap * sizeof *ln))) return BCMS_ENOMEM;
    t->lineno = cs->lineno = ln;
    if (!(ids = realloc(t->iid, cap * sizeof *ids))) return BCMS_ENOMEM;
    t->iid = ids;
    cs->cap = cap;
    return 0;
}

/* The current (split) line as a data row. */
static int add_row(parse_t *p)
{
    reader_t *r = &p->r;
    bcms_pheno_table_t *t = p->t;
    size_t i = t->nrows;
    int rc;
    if (r->nf != p->hnf) {
        if (p->pending || p->fam)
            return bcms_err(BCMS_EINPUT, "%s:%ld: %zu fields, but %s %zu; every row needs one value per column (NA "
                            "when missing)", r->path, r->lineno, r->nf,
                            p->fam ? "a .fam line has" : "the first line (no header) has", p->hnf);
        return bcms_err(BCMS_EINPUT, "%s:%ld: %zu fields, but the header (line %ld) has %zu%s; every row needs "
                        "one value per column (NA when missing)", r->path, r->lineno, r->nf, p->header_line, p->hnf,
                        r->tabs ? "" : " (space-separated: a missing value must be written NA)");
    }
    const char *iid = r->f[p->first - 1];
    size_t len = strlen(iid);
    if (pheno_is_missing_token(iid) && strcmp(iid, "-9"))
        return bcms_err(BCMS_EINPUT, "%s:%ld: the IID is missing; every row needs a sample ID", r->path, r->lineno);
    if (len > BCMS_PHENO_IID_MAX)
        return bcms_err(BCMS_EINPUT, "%s:%ld: sample ID '%.40s...' is %zu bytes long; a store keys samples by ID and "
                        "takes at most %d bytes: shorten the IDs (the same way in every file)", r->path, r->lineno,
                        iid, len, BCMS_PHENO_IID_MAX);
    if (i == p->cs.cap && (rc = grow_rows(p))) return rc;
    if (!(t->iid[i] = strdup(iid))) return BCMS_ENOMEM;
    t->nrows++;
    long prev = hash_add(t, i);
    if (prev == -2) return BCMS_ENOMEM;
    if (prev >= 0)
        return bcms_err(BCMS_EINPUT, "%s:%ld: sample '%.80s' appears twice (also on line %ld)%s; keep one row per "
                        "sample", r->path, r->lineno, iid, t->lineno[prev],
                        p->first == 2 ? " (the FID is ignored: the IID alone names a sample)" : "");
    t->lineno[i] = r->lineno;
    for (size_t c = 0; c < p->nsel; c++) {
        p->cs.cell[i * p->nsel + c] = p->cs.text.l;
        if (kputsn(r->f[p->sel[c]], strlen(r->f[p->sel[c]]) + 1, &p->cs.text) < 0) return BCMS_ENOMEM;
    }
    return 0;
}

static int read_rows(parse_t *p)
{
    int rc;
    if (p->pending && (rc = add_row(p))) return rc;
    p->pending = 0;
    while ((rc = read_line(&p->r)) == 1) {
        if (is_blank(p->r.line.s)) continue;
        if ((rc = split_line(&p->r)) || (rc = add_row(p))) return rc;
    }
    if (rc < 0) return rc;
    if (!p->t->nrows)
        return bcms_err(BCMS_EINPUT, "%s: no data rows after the header (line %ld)", p->r.path, p->header_line);
    return 0;
}

static int build_columns(parse_t *p, const struct stat *sb)
{
    bcms_pheno_table_t *t = p->t;
    int rc;
    if (!(t->cols = calloc(p->nsel, sizeof *t->cols))) return BCMS_ENOMEM;
    t->ncols = p->nsel;
    for (size_t c = 0; c < p->nsel; c++) {
        bcms_pheno_col_t *col = &t->cols[c];
        if (!(col->name = strdup(p->hname[p->sel[c]])) || !(col->source = strdup(p->r.path))) return BCMS_ENOMEM;
        col->source_size = (uint64_t)sb->st_size;
        col->source_mtime = (int64_t)sb->st_mtime;
        col->source_rows = t->nrows > UINT32_MAX ? UINT32_MAX : (uint32_t)t->nrows;
        if ((rc = pheno_convert_column(p->r.path, &p->cs, t->nrows, p->nsel, c, &p->rule[c], col))) return rc;
    }
    return 0;
}

/* Read from fd (>= 0; owned by the table reader, closed on return) or, with fd < 0, from path. */
static int table_read(const char *path, int fd, const bcms_pheno_opts_t *opts, bcms_pheno_table_t **out)
{
    static const bcms_pheno_opts_t no_opts;
    parse_t p;
    struct stat sb;
    int rc;

    *out = NULL;
    memset(&p, 0, sizeof p);
    p.opts = opts ? opts : &no_opts;
    p.r.path = path;
    if (fd >= 0 ? fstat(fd, &sb) : stat(path, &sb)) {
        rc = bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return rc;
    }
    if (S_ISDIR(sb.st_mode)) {
        if (fd >= 0) close(fd);
        return bcms_err(BCMS_EIO, "%s is a directory, not a phenotype table", path);
    }
    if (!(p.r.gz = fd >= 0 ? gzdopen(fd, "rb") : gzopen(path, "rb"))) {
        if (fd >= 0) close(fd);
        return bcms_err(BCMS_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    if (!(p.t = calloc(1, sizeof *p.t)) || !(p.t->path = strdup(path))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    if ((rc = read_header(&p)) || (rc = select_columns(&p)) || (rc = read_rows(&p)) || (rc = build_columns(&p, &sb)))
        goto fail;
    *out = p.t;
    p.t = NULL;
    goto done;
fail:
    if (rc == BCMS_ENOMEM) rc = bcms_err(BCMS_ENOMEM, "%s: out of memory reading the table", path);
    bcms_pheno_table_free(p.t);
done:
    if (p.hname)
        for (size_t j = 0; j < p.hnf; j++) free(p.hname[j]);
    free(p.hname);
    free(p.sel);
    free(p.rule);
    free(p.cs.text.s);
    free(p.cs.cell);
    free(p.r.line.s);
    free(p.r.f);
    gzclose(p.r.gz);
    return rc;
}

int bcms_pheno_table_read(const char *path, const bcms_pheno_opts_t *opts, bcms_pheno_table_t **out)
{
    return table_read(path, -1, opts, out);
}

int bcms_pheno_table_read_fd(int fd, const char *name, const bcms_pheno_opts_t *opts, bcms_pheno_table_t **out)
{
    int own = dup(fd);
    *out = NULL;
    if (own < 0) return bcms_err(BCMS_EIO, "%s: cannot read: %s", name, strerror(errno));
    if (lseek(own, 0, SEEK_SET) < 0) {
        close(own);
        return bcms_err(BCMS_EIO, "%s: cannot read: %s", name, strerror(errno));
    }
    return table_read(name, own, opts, out);
}

/* plot_read.c: stream a table of association results into the arrays the plots draw from
 * (plot_internal.h): format detection from the header, one pass over the rows, no copy per row. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <htslib/bgzf.h>
#include <htslib/kstring.h>

#include "contig.h"
#include "err.h"
#include "plot_internal.h"

/* Column indices of the header (-1: absent). */
typedef struct {
    int chrom, pos, id, id2, p, logp, test, pheno;
    int maxcol;
    int ws;              /* whitespace-separated (REGENIE) instead of tabs */
    int ssf;             /* GWAS-SSF: chromosome 25 is MT, not PLINK's XY */
} plot_cols_t;

typedef struct {
    const char *path;
    uint64_t line;
    const plot_cols_t *cols;
    char last_raw[64];   /* the previous row's chromosome as written, and its index */
    int last_chr;
    char pheno_seen[64];
} plot_reader_t;

static int col_of(char **names, int n, const char *const *alts)
{
    for (const char *const *a = alts; *a; a++)
        for (int i = 0; i < n; i++)
            if (!strcmp(names[i], *a)) return i;
    return -1;
}

/* Split s in place at tabs (or runs of blanks) into at most max fields; returns the count. */
static int split_fields(char *s, int ws, char **f, int max)
{
    int n = 0;
    if (ws) {
        while (n < max) {
            while (*s == ' ' || *s == '\t') s++;
            if (!*s) break;
            f[n++] = s;
            while (*s && *s != ' ' && *s != '\t') s++;
            if (!*s) break;
            *s++ = 0;
        }
        return n;
    }
    while (n < max) { /* a plain loop: fields are short, strchr's set-up cost dominated */
        f[n++] = s;
        while (*s && *s != '\t') s++;
        if (!*s) break;
        *s++ = 0;
    }
    return n;
}

static void chomp(kstring_t *ks)
{
    while (ks->l && (ks->s[ks->l - 1] == '\r' || ks->s[ks->l - 1] == '\n')) ks->s[--ks->l] = 0;
}

/* Find the columns and the format; a clear error naming what is missing otherwise. */
static int detect_columns(const char *path, kstring_t *hdr, plot_cols_t *c, bcms_plot_stats_t *st)
{
    static const char *const k_chrom[] = {"CHROM", "#CHROM", "chromosome", NULL};
    static const char *const k_pos[] = {"POS", "GENPOS", "base_pair_location", NULL};
    static const char *const k_id[] = {"ID", "rsid", NULL}, *const k_id2[] = {"variant_id", NULL};
    static const char *const k_p[] = {"P", "p_value", NULL};
    static const char *const k_logp[] = {"LOG10P", "LOG10_P", "neg_log_10_p_value", NULL};
    static const char *const k_test[] = {"TEST", NULL}, *const k_pheno[] = {"PHENO", NULL};
    char *names[512];
    int n;
    memset(c, 0, sizeof *c);
    c->ws = !strchr(hdr->s, '\t');
    n = split_fields(hdr->s, c->ws, names, 512);
    c->chrom = col_of(names, n, k_chrom);
    c->pos = col_of(names, n, k_pos);
    c->id = col_of(names, n, k_id);
    c->id2 = col_of(names, n, k_id2);
    c->p = col_of(names, n, k_p);
    c->logp = col_of(names, n, k_logp);
    c->test = col_of(names, n, k_test);
    c->pheno = col_of(names, n, k_pheno);
    if (c->chrom < 0 || c->pos < 0 || (c->p < 0 && c->logp < 0))
        return bcms_err(BCMS_EINPUT, "%s: the header has no %s column (%s): expected a bcms assoc table, a PLINK 2 "
                        ".glm.* file, a REGENIE .regenie file or a GWAS-SSF table", path,
                        c->chrom < 0 ? "chromosome" : c->pos < 0 ? "position" : "p-value",
                        c->chrom < 0 ? "CHROM, #CHROM or chromosome" : c->pos < 0 ? "POS, GENPOS or base_pair_location"
                        : "P, LOG10P, LOG10_P, p_value or neg_log_10_p_value");
    if (c->logp >= 0) c->p = -1; /* -log10 p is exact where P underflows */
    if (c->id < 0) c->id = c->id2;
    c->ssf = !strcmp(names[c->chrom], "chromosome");
    snprintf(st->format, sizeof st->format, "%s", c->ssf ? "gwas-ssf" : !strcmp(names[c->chrom], "#CHROM") ? "plink2"
             : !strcmp(names[c->pos], "GENPOS") ? "regenie" : "bcms");
    int cols[] = {c->chrom, c->pos, c->id, c->p, c->logp, c->test, c->pheno};
    c->maxcol = 0;
    for (size_t i = 0; i < sizeof cols / sizeof *cols; i++)
        if (cols[i] > c->maxcol) c->maxcol = cols[i];
    return 0;
}

static int is_missing(const char *s)
{
    if (*s && *s != '.' && *s != 'N' && *s != 'n' && *s != '#') return 0; /* the common case, cheaply */
    return !*s || !strcmp(s, ".") || !strcasecmp(s, "NA") || !strcasecmp(s, "#NA") || !strcasecmp(s, "nan");
}

/* -log10 of a P written as text: 1 ok, 0 missing, -1 not a p-value, -2 zero. A P below the double
 * range ("3.06e-930") is read from its mantissa and exponent instead of underflowing to 0. */
static int parse_p(char *s, double *y)
{
    char *end;
    double v;
    if (is_missing(s)) return 0;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end || !(v >= 0 && v <= 1)) return -1;
    if (v >= DBL_MIN) {
        *y = v == 1 ? 0 : -log10(v);
        return 1;
    }
    char *e = strpbrk(s, "eE");
    if (!e) return v > 0 ? (*y = -log10(v), 1) : -2;
    char save = *e;
    *e = 0;
    double m = strtod(s, &end);
    *e = save;
    long ex = strtol(e + 1, &end, 10);
    if (!(m > 0)) return -2;
    *y = -(log10(m) + (double)ex);
    return 1;
}

static int parse_logp(const char *s, double *y)
{
    char *end;
    if (is_missing(s)) return 0;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < 0 || v > 1e30) return -1;
    *y = v;
    return 1;
}

static int parse_pos(const char *s, uint32_t *pos)
{
    uint64_t v = 0;
    if (!*s) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > UINT32_MAX) return -1;
    }
    *pos = (uint32_t)v;
    return 0;
}

/* Index of the chromosome written as raw, adding it to d->chr when new. */
static int chrom_index(plot_reader_t *r, plot_data_t *d, const char *raw)
{
    char canon[48];
    if (r->last_chr >= 0 && !strcmp(raw, r->last_raw)) return r->last_chr;
    int rc = bcms_contig_canon(r->cols->ssf && !strcmp(raw, "25") ? "MT" : raw, -1, canon, sizeof canon);
    if (rc < 0) return bcms_err(BCMS_EINPUT, "%s:%llu: chromosome '%s': %s", r->path, (unsigned long long)r->line,
                                raw, bcms_err_detail());
    int i;
    for (i = 0; i < d->nchr; i++)
        if (!strcmp(d->chr[i].name, canon)) break;
    if (i == d->nchr) {
        if (d->nchr == 65536) return bcms_err(BCMS_EINPUT, "%s:%llu: more than 65536 contigs", r->path,
                                              (unsigned long long)r->line);
        if (d->nchr == d->chrcap) {
            int cap = d->chrcap ? 2 * d->chrcap : 32;
            plot_chrom_t *t = realloc(d->chr, sizeof *t * (size_t)cap);
            if (!t) return BCMS_ENOMEM;
            d->chr = t, d->chrcap = cap;
        }
        plot_chrom_t *c = &d->chr[d->nchr++];
        snprintf(c->name, sizeof c->name, "%s", canon);
        c->rank = bcms_contig_rank(canon);
        c->minpos = UINT32_MAX;
        c->maxpos = 0;
    }
    snprintf(r->last_raw, sizeof r->last_raw, "%s", raw);
    r->last_chr = strlen(raw) < sizeof r->last_raw ? i : -1;
    return i;
}

static int keep_row(plot_data_t *d, int chr, uint32_t pos, double y)
{
    if (d->n == d->cap) {
        uint64_t cap = d->cap ? 2 * d->cap : 1 << 16;
        float *ty = realloc(d->y, sizeof *ty * cap);
        if (!ty) return BCMS_ENOMEM;
        d->y = ty;
        if (d->keep_pos) {
            uint32_t *tp = realloc(d->pos, sizeof *tp * cap);
            if (!tp) return BCMS_ENOMEM;
            d->pos = tp;
        }
        d->cap = cap;
    }
    if (d->keep_pos && (!d->nruns || d->runs[d->nruns - 1].chrom != (uint32_t)chr)) {
        if (d->nruns == d->runcap) {
            size_t cap = d->runcap ? 2 * d->runcap : 64;
            plot_run_t *t = realloc(d->runs, sizeof *t * cap);
            if (!t) return BCMS_ENOMEM;
            d->runs = t, d->runcap = cap;
        }
        d->runs[d->nruns++] = (plot_run_t){(uint32_t)chr, d->n};
    }
    d->y[d->n] = y > 0 ? (float)y : 0.0f; /* no -0.0: the QQ sort orders the float bits */
    if (d->keep_pos) d->pos[d->n] = pos;
    d->n++;
    return 0;
}

static int keep_hit(plot_data_t *d, int chr, uint32_t pos, double y, const char *id)
{
    char buf[80];
    if (d->nhits == d->hitcap) {
        size_t cap = d->hitcap ? 2 * d->hitcap : 256;
        plot_hit_t *t = realloc(d->hits, sizeof *t * cap);
        if (!t) return BCMS_ENOMEM;
        d->hits = t, d->hitcap = cap;
    }
    if (!id || is_missing(id)) {
        snprintf(buf, sizeof buf, "%s:%u", d->chr[chr].name, pos);
        id = buf;
    }
    char *s = strdup(id);
    if (!s) return BCMS_ENOMEM;
    d->hits[d->nhits++] = (plot_hit_t){(float)y, pos, (uint32_t)chr, s};
    return 0;
}

/* A row of another phenotype than the one plotted: 1 skip, 0 keep, <0 error (several, none chosen). */
static int other_pheno(plot_reader_t *r, const bcms_plot_opts_t *o, const char *ph)
{
    if (o->pheno) return strcmp(ph, o->pheno) != 0;
    if (!r->pheno_seen[0]) {
        snprintf(r->pheno_seen, sizeof r->pheno_seen, "%s", ph);
        return 0;
    }
    if (!strncmp(ph, r->pheno_seen, sizeof r->pheno_seen - 1)) return 0;
    return bcms_err(BCMS_EINPUT, "%s:%llu: the table holds several phenotypes (PHENO %s, %s): choose one with --pheno",
                    r->path, (unsigned long long)r->line, r->pheno_seen, ph);
}

static int read_row(plot_reader_t *r, const bcms_plot_opts_t *o, plot_data_t *d, char *line, bcms_plot_stats_t *st)
{
    const plot_cols_t *c = r->cols;
    char *f[512];
    double y;
    uint32_t pos;
    int rc, chr, nf = split_fields(line, c->ws, f, c->maxcol + 1);
    if (nf <= c->maxcol)
        return bcms_err(BCMS_EINPUT, "%s:%llu: %d columns, the header needs at least %d", r->path,
                        (unsigned long long)r->line, nf, c->maxcol + 1);
    st->rows++;
    if (c->test >= 0 && strcmp(f[c->test], o->test)) return st->other++, 0;
    if (c->pheno >= 0 && (rc = other_pheno(r, o, f[c->pheno]))) return rc < 0 ? rc : (st->other++, 0);
    rc = c->logp >= 0 ? parse_logp(f[c->logp], &y) : parse_p(f[c->p], &y);
    if (rc == 0) return st->na++, 0;
    if (rc == -2)
        return bcms_err(BCMS_EINPUT, "%s:%llu: P is 0, which has no -log10: give a table with a -log10 p column "
                        "(LOG10P, LOG10_P or neg_log_10_p_value)", r->path, (unsigned long long)r->line);
    if (rc < 0)
        return bcms_err(BCMS_EINPUT, "%s:%llu: %s '%s' is not %s", r->path, (unsigned long long)r->line,
                        c->logp >= 0 ? "-log10 p" : "P", f[c->logp >= 0 ? c->logp : c->p],
                        c->logp >= 0 ? "a number >= 0" : "a p-value in [0, 1]");
    if (parse_pos(f[c->pos], &pos))
        return bcms_err(BCMS_EINPUT, "%s:%llu: position '%s' is not an integer in [0, 4294967295]", r->path,
                        (unsigned long long)r->line, f[c->pos]);
    if ((chr = chrom_index(r, d, f[c->chrom])) < 0) return chr;
    plot_chrom_t *ch = &d->chr[chr];
    if (pos < ch->minpos) ch->minpos = pos;
    if (pos > ch->maxpos) ch->maxpos = pos;
    if (y > st->max_log10p) st->max_log10p = y;
    if (y >= d->hit_min && (rc = keep_hit(d, chr, pos, y, c->id >= 0 ? f[c->id] : NULL))) return rc;
    return keep_row(d, chr, pos, y);
}

int plot_read(const bcms_plot_opts_t *o, plot_data_t *d, bcms_plot_stats_t *st)
{
    kstring_t ks = {0, 0, NULL};
    plot_cols_t cols;
    plot_reader_t r = {.path = o->in, .cols = &cols, .last_chr = -1};
    int rc = 0;
    BGZF *fp = strcmp(o->in, "-") ? bgzf_open(o->in, "r") : bgzf_dopen(STDIN_FILENO, "r");
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open: %s", o->in, strerror(errno));
    if (bgzf_getline(fp, '\n', &ks) < 0) {
        rc = bcms_err(BCMS_EINPUT, "%s: empty file (no header line)", o->in);
        goto done;
    }
    r.line = 1;
    chomp(&ks);
    if ((rc = detect_columns(o->in, &ks, &cols, st))) goto done;
    if (o->pheno && cols.pheno < 0) {
        rc = bcms_err(BCMS_EINVAL, "%s: --pheno %s, but the table has no PHENO column (one phenotype only)", o->in,
                      o->pheno);
        goto done;
    }
    int got;
    while ((got = bgzf_getline(fp, '\n', &ks)) >= 0) {
        r.line++;
        chomp(&ks);
        if (!ks.l) continue;
        if ((rc = read_row(&r, o, d, ks.s, st))) goto done;
    }
    if (got < -1) rc = bcms_err(BCMS_EIO, "%s: read failed after line %llu (truncated or corrupt gzip?)", o->in,
                                (unsigned long long)r.line);
    st->used = d->n;
    bcms_log(BCMS_LOG_INFO, "%s: %s table, %llu rows: %llu plotted, %llu with p missing (NA) skipped, %llu of "
             "another TEST/PHENO skipped", o->in, st->format, (unsigned long long)st->rows,
             (unsigned long long)st->used, (unsigned long long)st->na, (unsigned long long)st->other);
done:
    free(ks.s);
    if (bgzf_close(fp) < 0 && !rc) rc = bcms_err(BCMS_EIO, "%s: read failed", o->in);
    return rc;
}

void plot_data_free(plot_data_t *d)
{
    for (size_t i = 0; i < d->nhits; i++) free(d->hits[i].id);
    free(d->hits);
    free(d->y);
    free(d->pos);
    free(d->runs);
    free(d->chr);
    memset(d, 0, sizeof *d);
}

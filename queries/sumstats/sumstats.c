/* sumstats.c: summary-statistics reader (formats and contract in sumstats.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/bgzf.h>

#include "contig.h"
#include "err.h"
#include "sumstats.h"

/* column roles */
enum { C_CHR, C_POS, C_ID, C_REF, C_ALT, C_EA, C_OA, C_BETA, C_OR, C_HR, C_SE, C_P, C_MLOG10P, C_FREQ, C_N, C_TEST,
       C_PHENO, C_RSID, C_NROLES };

static const char *const role_words[C_NROLES] = {
    "chromosome", "position", "ID", "REF", "ALT", "effect allele", "other allele", "BETA", "odds ratio",
    "hazard ratio", "standard error", "p-value", "-log10 p", "allele frequency", "sample size", "TEST", "PHENO",
    "rsid"};

typedef struct {
    int role;
    const char *name;
} colname_t;

static const colname_t cols_bcms[] = {
    {C_CHR, "CHROM"}, {C_POS, "POS"}, {C_ID, "ID"},   {C_REF, "REF"},    {C_ALT, "ALT"},   {C_EA, "A1"},
    {C_FREQ, "A1_FREQ"}, {C_N, "N"},  {C_TEST, "TEST"}, {C_BETA, "BETA"}, {C_SE, "SE"}, {C_P, "P"},
    {C_PHENO, "PHENO"}, {-1, NULL}};
static const colname_t cols_plink2[] = {
    {C_CHR, "#CHROM"}, {C_POS, "POS"}, {C_ID, "ID"}, {C_REF, "REF"}, {C_ALT, "ALT"}, {C_EA, "A1"},
    {C_FREQ, "A1_FREQ"}, {C_N, "OBS_CT"}, {C_TEST, "TEST"}, {C_BETA, "BETA"}, {C_OR, "OR"}, {C_SE, "SE"},
    {C_SE, "LOG(OR)_SE"}, {C_P, "P"}, {C_MLOG10P, "LOG10_P"}, {-1, NULL}};
static const colname_t cols_regenie[] = {
    {C_CHR, "CHROM"}, {C_POS, "GENPOS"}, {C_ID, "ID"}, {C_OA, "ALLELE0"}, {C_EA, "ALLELE1"}, {C_FREQ, "A1FREQ"},
    {C_N, "N"}, {C_TEST, "TEST"}, {C_BETA, "BETA"}, {C_SE, "SE"}, {C_MLOG10P, "LOG10P"}, {-1, NULL}};
static const colname_t cols_ssf[] = {
    {C_CHR, "chromosome"}, {C_POS, "base_pair_location"}, {C_EA, "effect_allele"}, {C_OA, "other_allele"},
    {C_BETA, "beta"}, {C_OR, "odds_ratio"}, {C_HR, "hazard_ratio"}, {C_SE, "standard_error"},
    {C_FREQ, "effect_allele_frequency"}, {C_P, "p_value"}, {C_MLOG10P, "neg_log_10_p_value"},
    {C_ID, "variant_id"}, {C_RSID, "rsid"}, {C_N, "n"}, {-1, NULL}};

struct bcms_ss_reader_t {
    char *path;
    BGZF *fp;
    int format, ws;          /* ws: fields separated by runs of blanks (REGENIE) instead of tabs */
    int col[C_NROLES];       /* field index of each role, -1 absent */
    int nfields, need;
    kstring_t line;
    char **f;                /* field starts of the current line */
    uint64_t lineno;
    int prev_rank;
    char prev_chrom[64];
    int64_t prev_pos;
    int have_prev;
    bcms_ss_counts_t counts;
};

const char *bcms_ss_format_name(int format)
{
    switch (format) {
    case BCMS_SS_BCMS: return "bcms";
    case BCMS_SS_GWAS_SSF: return "gwas-ssf";
    case BCMS_SS_PLINK2: return "plink2";
    case BCMS_SS_REGENIE: return "regenie";
    default: return "?";
    }
}

int bcms_ss_format(const bcms_ss_reader_t *r) { return r->format; }
const char *bcms_ss_path(const bcms_ss_reader_t *r) { return r->path; }
const bcms_ss_counts_t *bcms_ss_counts(const bcms_ss_reader_t *r) { return &r->counts; }

/* Split r->line in place into r->f; returns the field count. */
static int split_line(bcms_ss_reader_t *r, int max)
{
    char *s = r->line.s;
    int n = 0;
    if (r->ws) {
        while (*s) {
            while (*s == ' ' || *s == '\t') s++;
            if (!*s) break;
            if (n < max) r->f[n] = s;
            n++;
            while (*s && *s != ' ' && *s != '\t') s++;
            if (*s) *s++ = 0;
        }
        return n;
    }
    for (;;) {
        char *t = strchr(s, '\t');
        if (n < max) r->f[n] = s;
        n++;
        if (!t) break;
        *t = 0;
        s = t + 1;
    }
    return n;
}

static int read_line(bcms_ss_reader_t *r)
{
    int l = bgzf_getline(r->fp, '\n', &r->line);
    if (l < -1) return bcms_err(BCMS_EIO, "%s: read error after line %llu (truncated or damaged gzip?)", r->path,
                                (unsigned long long)r->lineno);
    if (l == -1) return 0;
    r->lineno++;
    if (r->line.l && r->line.s[r->line.l - 1] == '\r') r->line.s[--r->line.l] = 0;
    return 1;
}

static int detect_format(const char *hdr, int *ws)
{
    *ws = 0;
    if (!strncmp(hdr, "CHROM\tPOS\tID\tREF\tALT\tA1\t", 24)) return BCMS_SS_BCMS;
    if (!strncmp(hdr, "#CHROM\tPOS\tID\tREF\tALT\t", 22)) return BCMS_SS_PLINK2;
    if (!strncmp(hdr, "chromosome\tbase_pair_location\t", 30)) return BCMS_SS_GWAS_SSF;
    if (!strncmp(hdr, "CHROM GENPOS ID ALLELE0 ALLELE1", 31) || !strncmp(hdr, "CHROM\tGENPOS\tID\tALLELE0\tALLELE1", 31)) {
        *ws = 1;
        return BCMS_SS_REGENIE;
    }
    return 0;
}

/* Map the header fields to roles; check that what `need` asks for is there. */
static int map_columns(bcms_ss_reader_t *r, int nf)
{
    const colname_t *t = r->format == BCMS_SS_BCMS      ? cols_bcms
                         : r->format == BCMS_SS_PLINK2  ? cols_plink2
                         : r->format == BCMS_SS_REGENIE ? cols_regenie
                                                        : cols_ssf;
    for (int i = 0; i < C_NROLES; i++) r->col[i] = -1;
    for (int j = 0; j < nf; j++)
        for (const colname_t *c = t; c->name; c++)
            if (!strcmp(r->f[j], c->name) && r->col[c->role] < 0) r->col[c->role] = j;
    if (r->col[C_ID] < 0) r->col[C_ID] = r->col[C_RSID];
    const char *fmt = bcms_ss_format_name(r->format);
    int need_cols[] = {C_CHR, C_POS, C_EA};
    for (int i = 0; i < 3; i++)
        if (r->col[need_cols[i]] < 0)
            return bcms_err(BCMS_EINPUT, "%s: %s header without a %s column", r->path, fmt, role_words[need_cols[i]]);
    if (r->col[C_OA] < 0 && (r->col[C_REF] < 0 || r->col[C_ALT] < 0))
        return bcms_err(BCMS_EINPUT, "%s: %s header without the other allele (REF and ALT, or other_allele)", r->path,
                        fmt);
    if (r->col[C_BETA] < 0 && r->col[C_OR] < 0 && r->col[C_HR] < 0)
        return bcms_err(BCMS_EINPUT, "%s: %s header without an effect column (BETA, OR, beta, odds_ratio or "
                        "hazard_ratio)", r->path, fmt);
    if ((r->need & BCMS_SS_NEED_SE) && r->col[C_SE] < 0)
        return bcms_err(BCMS_EINPUT, "%s: %s header without a standard error column (SE, LOG(OR)_SE or "
                        "standard_error), which the inverse-variance scheme needs; use --scheme samplesize",
                        r->path, fmt);
    if (r->col[C_P] < 0 && r->col[C_MLOG10P] < 0 && ((r->need & BCMS_SS_NEED_P) || r->col[C_SE] < 0))
        return bcms_err(BCMS_EINPUT, "%s: %s header without a p-value column (P, LOG10_P, LOG10P, p_value or "
                        "neg_log_10_p_value)", r->path, fmt);
    if ((r->need & BCMS_SS_NEED_N) && r->col[C_N] < 0)
        return bcms_err(BCMS_EINPUT, "%s: %s header without a sample size column (N, OBS_CT or n), which the "
                        "sample-size scheme needs; use --scheme ivw", r->path, fmt);
    if (r->col[C_PHENO] >= 0)
        return bcms_err(BCMS_EINPUT, "%s: a scan of several phenotypes (PHENO column); meta-analyse one phenotype "
                        "at a time (split the file by PHENO, keeping the header)", r->path);
    return 0;
}

int bcms_ss_open(const char *path, int need, bcms_ss_reader_t **out)
{
    bcms_ss_reader_t *r = calloc(1, sizeof *r);
    int rc, nf;
    *out = NULL;
    if (!r || !(r->path = strdup(path))) {
        free(r);
        return BCMS_ENOMEM;
    }
    r->need = need;
    if (!(r->fp = bgzf_open(path, "r"))) {
        rc = bcms_err(BCMS_EIO, "%s: cannot open (%s)", path, strerror(errno));
        goto fail;
    }
    if ((rc = read_line(r)) <= 0) {
        if (!rc) rc = bcms_err(BCMS_EINPUT, "%s: empty file (no header line)", path);
        goto fail;
    }
    if (!(r->format = detect_format(r->line.s, &r->ws))) {
        rc = bcms_err(BCMS_EINPUT, "%s: line 1: not a summary-statistics header bcms knows (bcms assoc: CHROM POS ID "
                      "REF ALT A1 ...; PLINK 2 --glm: #CHROM POS ID REF ALT ...; REGENIE: CHROM GENPOS ID ALLELE0 "
                      "ALLELE1 ...; GWAS-SSF: chromosome base_pair_location ...)", path);
        goto fail;
    }
    nf = 1;
    for (const char *s = r->line.s; *s; s++) nf += *s == '\t' || *s == ' ';
    if (!(r->f = malloc(sizeof *r->f * (nf + 1)))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    r->nfields = split_line(r, nf);
    if ((rc = map_columns(r, r->nfields))) goto fail;
    *out = r;
    return 0;
fail:
    bcms_ss_close(r);
    return rc;
}

void bcms_ss_close(bcms_ss_reader_t *r)
{
    if (!r) return;
    if (r->fp) bgzf_close(r->fp);
    free(r->line.s);
    free(r->f);
    free(r->path);
    free(r);
}

static int is_na(const char *s)
{
    return !*s || !strcmp(s, "NA") || !strcmp(s, ".") || !strcasecmp(s, "nan") || !strcmp(s, "#NA");
}

static double num(const char *s)
{
    char *end;
    double v;
    if (is_na(s)) return NAN;
    v = strtod(s, &end);
    return *end ? NAN : v;
}

double bcms_ss_parse_log10p(const char *s)
{
    char *end;
    double v;
    if (is_na(s)) return NAN;
    errno = 0;
    v = strtod(s, &end);
    if (*end || v < 0 || v > 1 || isnan(v)) return NAN;
    if (v > 0 && errno != ERANGE) return log10(v);
    /* zero or below the double range: mantissa and exponent separately */
    const char *e = strpbrk(s, "eE");
    if (!e) return v == 0 ? -INFINITY : log10(v);
    char mant[64];
    size_t ml = (size_t)(e - s);
    if (ml >= sizeof mant) return NAN;
    memcpy(mant, s, ml);
    mant[ml] = 0;
    double m = strtod(mant, &end), x = strtod(e + 1, NULL);
    if (*end || m <= 0) return -INFINITY;
    return log10(m) + x;
}

static const char *field(bcms_ss_reader_t *r, int role) { return r->col[role] >= 0 ? r->f[r->col[role]] : ""; }

static int check_order(bcms_ss_reader_t *r, const bcms_ss_row_t *row)
{
    if (r->have_prev &&
        bcms_ss_key_cmp(r->prev_rank, r->prev_chrom, r->prev_pos, row->rank, row->chrom, row->pos) > 0)
        return bcms_err(BCMS_EINPUT, "%s: line %llu: %s:%lld comes after %s:%lld: the input is not sorted in genomic "
                        "order (chromosomes 1..22, X, Y, MT, then by position); sort it first (e.g. sort -k1,1V "
                        "-k2,2n after the header)", r->path, (unsigned long long)r->lineno, row->chrom,
                        (long long)row->pos, r->prev_chrom, (long long)r->prev_pos);
    r->have_prev = 1;
    r->prev_rank = row->rank;
    memcpy(r->prev_chrom, row->chrom, sizeof r->prev_chrom);
    r->prev_pos = row->pos;
    return 0;
}

/* Alleles and IDs of the current line into row->str. Returns 0, or 1 when the row is skipped. */
static int put_strings(bcms_ss_reader_t *r, bcms_ss_row_t *row)
{
    const char *ea = field(r, C_EA), *ref = field(r, C_REF), *alt = field(r, C_ALT), *oa;
    if (r->col[C_OA] >= 0) {
        oa = field(r, C_OA);
        if (r->col[C_REF] < 0) ref = oa, alt = ea;
    } else {
        if (strchr(alt, ',')) return 1; /* PLINK 2 multi-allelic row: the other allele is not one allele */
        oa = !strcmp(ea, alt) ? ref : !strcmp(ea, ref) ? alt : NULL;
        if (!oa) return 1;
    }
    const char *s[5] = {field(r, C_ID), ref, alt, ea, oa};
    row->str.l = 0;
    for (int i = 0; i < 5; i++) {
        row->off[i] = (int)row->str.l;
        if (kputsn(s[i], strlen(s[i]), &row->str) < 0 || kputc(0, &row->str) < 0) return BCMS_ENOMEM;
    }
    for (int i = 1; i < 5; i++) /* alleles compare case-insensitively (soft-masked REF in some pipelines) */
        for (char *p = row->str.s + row->off[i]; *p; p++) *p = (char)toupper((unsigned char)*p);
    return 0;
}

/* Numbers of the current line into row. Returns 0, or 1 when the row lacks what is needed. */
static int put_numbers(bcms_ss_reader_t *r, bcms_ss_row_t *row)
{
    row->beta = r->col[C_BETA] >= 0 ? num(field(r, C_BETA)) : NAN;
    if (isnan(row->beta) && r->col[C_OR] >= 0) row->beta = log(num(field(r, C_OR)));
    if (isnan(row->beta) && r->col[C_HR] >= 0) row->beta = log(num(field(r, C_HR)));
    row->se = r->col[C_SE] >= 0 ? num(field(r, C_SE)) : NAN;
    row->log10p = r->col[C_P] >= 0 ? bcms_ss_parse_log10p(field(r, C_P)) : NAN;
    if (isnan(row->log10p) && r->col[C_MLOG10P] >= 0) {
        double m = num(field(r, C_MLOG10P));
        row->log10p = m >= 0 ? -m : NAN;
    }
    row->freq = r->col[C_FREQ] >= 0 ? num(field(r, C_FREQ)) : NAN;
    row->n = r->col[C_N] >= 0 ? num(field(r, C_N)) : NAN;
    if (!isfinite(row->beta)) return 1;
    if ((r->need & BCMS_SS_NEED_SE) && !(row->se > 0 && isfinite(row->se))) return 1;
    if ((r->need & BCMS_SS_NEED_P) && isnan(row->log10p)) return 1;
    if ((r->need & BCMS_SS_NEED_N) && !(row->n > 0)) return 1;
    return 0;
}

static int parse_row(bcms_ss_reader_t *r, bcms_ss_row_t *row)
{
    int nf = split_line(r, r->nfields), rc;
    char *end;
    if (nf != r->nfields)
        return bcms_err(BCMS_EINPUT, "%s: line %llu: %d fields where the header has %d", r->path,
                        (unsigned long long)r->lineno, nf, r->nfields);
    const char *chr = field(r, C_CHR), *pos = field(r, C_POS);
    if (bcms_contig_canon(chr, -1, row->chrom, sizeof row->chrom) < 0)
        return bcms_err(BCMS_EINPUT, "%s: line %llu: bad chromosome '%s'", r->path, (unsigned long long)r->lineno, chr);
    row->rank = bcms_contig_rank(row->chrom);
    row->pos = strtoll(pos, &end, 10);
    if (*end || end == pos || row->pos < 0)
        return bcms_err(BCMS_EINPUT, "%s: line %llu: bad position '%s'", r->path, (unsigned long long)r->lineno, pos);
    row->line = r->lineno;
    if ((rc = check_order(r, row))) return rc;
    if (r->col[C_TEST] >= 0 && strcmp(field(r, C_TEST), "ADD")) {
        r->counts.skipped_test++;
        return 1;
    }
    if ((rc = put_strings(r, row))) {
        if (rc > 0) r->counts.skipped_multi++;
        return rc;
    }
    if (put_numbers(r, row)) {
        r->counts.skipped_na++;
        return 1;
    }
    return 0;
}

int bcms_ss_next(bcms_ss_reader_t *r, bcms_ss_row_t *row)
{
    int rc;
    for (;;) {
        if ((rc = read_line(r)) <= 0) return rc;
        if (!r->line.l) continue;
        r->counts.rows++;
        if ((rc = parse_row(r, row)) < 0) return rc;
        if (rc == 0) {
            r->counts.used++;
            return 1;
        }
    }
}

int bcms_ss_key_cmp(int rank_a, const char *chrom_a, int64_t pos_a, int rank_b, const char *chrom_b, int64_t pos_b)
{
    if (rank_a != rank_b) return rank_a < rank_b ? -1 : 1;
    if (rank_a >= 1000) {
        int c = strcmp(chrom_a, chrom_b);
        if (c) return c;
    }
    return pos_a < pos_b ? -1 : pos_a > pos_b;
}

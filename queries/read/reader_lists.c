/* reader_lists.c: the sample selection of a reader (--keep/--remove files, sample sex from a file
 * or the stored `sex` column) and variant lists (--extract/--exclude). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "contig.h"
#include "err.h"
#include "pheno.h"
#include "reader_internal.h"

#define MAX_TOK 8

/* Split line (modified) into up to MAX_TOK whitespace-separated tokens; returns their count. */
static int split_ws(char *line, char **tok)
{
    int n = 0;
    char *p = line;
    while (*p && n < MAX_TOK) {
        while (*p && isspace((unsigned char)*p)) p++;
        if (!*p) break;
        tok[n++] = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (*p) *p++ = 0;
    }
    return n;
}

/* Column of the IID in a sample file: from a header (#IID, #FID IID, FID IID), else the first of a
 * one-column file and the second otherwise (FID IID, PLINK .fam). *header set when line is one. */
static int iid_column(char **tok, int n, int *header, int *sexcol)
{
    int first_hash = tok[0][0] == '#';
    const char *t0 = first_hash ? tok[0] + 1 : tok[0];
    *header = 0;
    if (sexcol) *sexcol = -1;
    if (first_hash || !strcmp(t0, "FID") || !strcmp(t0, "IID")) {
        int iid = -1;
        for (int k = 0; k < n; k++) {
            const char *t = k ? tok[k] : t0;
            if (!strcmp(t, "IID")) iid = k;
            if (sexcol && !strcasecmp(t, "SEX")) *sexcol = k;
        }
        if (iid >= 0 || first_hash) {
            *header = 1;
            return iid;
        }
    }
    if (sexcol) *sexcol = n == 6 ? 4 : n >= 3 ? 2 : 1; /* .fam: FID IID PAT MAT SEX PHENO */
    return n == 1 ? 0 : 1;
}

/* Global sample numbers of the IIDs of a sample file into set; IIDs the store does not know are
 * counted in *unknown (PLINK 2 ignores them too). */
int rd_iid_file_read(bcms_store_t *st, MDB_txn *txn, const char *path, khash_t(rdset) *set, uint32_t *unknown)
{
    FILE *fp = fopen(path, "r");
    char line[8192], *tok[MAX_TOK];
    int col = -1, lineno = 0, rc = 0;
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open the sample list: %s", path, strerror(errno));
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        int n = split_ws(line, tok), header;
        if (!n) continue;
        if (col < 0) {
            col = iid_column(tok, n, &header, NULL);
            if (header && col < 0) {
                rc = bcms_err(BCMS_EINPUT, "%s:%d: the header has no IID column", path, lineno);
                goto done;
            }
            if (header) continue;
        }
        if (col >= n) {
            rc = bcms_err(BCMS_EINPUT, "%s:%d: no IID in column %d; use one IID per line, FID IID, or a .fam file",
                          path, lineno, col + 1);
            goto done;
        }
        uint32_t num;
        int r = bcms_sample_lookup(st, txn, tok[col], &num), absent;
        if (r == BCMS_ENOTFOUND) {
            (*unknown)++;
            continue;
        }
        if (r) {
            rc = r;
            goto done;
        }
        kh_put(rdset, set, num, &absent);
        if (absent < 0) {
            rc = BCMS_ENOMEM;
            goto done;
        }
    }
    if (ferror(fp)) rc = bcms_err(BCMS_EIO, "%s: read error", path);
done:
    fclose(fp);
    return rc;
}

/* PLINK sex codes: 1 male, 2 female, 0 / NA / -9 unknown (M/F and male/female accepted). */
static int sex_parse(const char *s)
{
    if (!strcmp(s, "1") || !strcasecmp(s, "M") || !strcasecmp(s, "male")) return 1;
    if (!strcmp(s, "2") || !strcasecmp(s, "F") || !strcasecmp(s, "female")) return 2;
    if (!strcmp(s, "0") || !strcmp(s, "NA") || !strcmp(s, "-9") || !strcmp(s, ".")) return 0;
    return -1;
}

static int sex_file_read(bcms_reader_t *rd, const char *path)
{
    FILE *fp = fopen(path, "r");
    char line[8192], *tok[MAX_TOK];
    int col = -1, scol = -1, lineno = 0, rc = 0;
    uint32_t unknown = 0;
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open the sex file: %s", path, strerror(errno));
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        int n = split_ws(line, tok), header;
        if (!n) continue;
        if (col < 0) {
            col = iid_column(tok, n, &header, &scol);
            if (header && (col < 0 || scol < 0)) {
                rc = bcms_err(BCMS_EINPUT, "%s:%d: the header needs IID and SEX columns (#IID SEX)", path, lineno);
                goto done;
            }
            if (header) continue;
        }
        if (col >= n || scol >= n) {
            rc = bcms_err(BCMS_EINPUT, "%s:%d: expected IID and SEX columns", path, lineno);
            goto done;
        }
        int sx = sex_parse(tok[scol]);
        if (sx < 0) {
            rc = bcms_err(BCMS_EINPUT, "%s:%d: sex '%s' of %s: use 1 (male), 2 (female) or 0/NA (unknown)", path,
                          lineno, tok[scol], tok[col]);
            goto done;
        }
        uint32_t num;
        int r = bcms_sample_lookup(rd->st, rd->txn, tok[col], &num);
        if (r == BCMS_ENOTFOUND) {
            unknown++;
            continue;
        }
        if (r) {
            rc = r;
            goto done;
        }
        if (num < rd->n_num) rd->sex_by_num[num] = (uint8_t)sx;
    }
    if (unknown) bcms_log(BCMS_LOG_WARN, "%s: %u IIDs are not in the store (ignored)", path, unknown);
done:
    fclose(fp);
    return rc;
}

/* The stored column `sex`, when there is one: quantitative or binary 1/2, or levels M/F. */
static int sex_stored(bcms_reader_t *rd)
{
    bcms_pheno_col_t col = {0};
    int rc = bcms_pheno_exists(rd->st, rd->txn, "sex");
    if (rc <= 0) return rc;
    if ((rc = bcms_pheno_load(rd->st, rd->txn, "sex", &col))) return rc;
    for (size_t i = 0; i < col.n && i < rd->n_num && !rc; i++) {
        double v = col.v[i];
        int sx = 0;
        if (isnan(v)) continue;
        if (col.type == BCMS_PHENO_BINARY && col.coding == BCMS_PHENO_CODING_12) sx = v == 0 ? 1 : 2;
        else if (col.type == BCMS_PHENO_QUANTITATIVE) sx = v == 1 ? 1 : v == 2 ? 2 : v == 0 ? 0 : -1;
        else if (col.type == BCMS_PHENO_CATEGORICAL) sx = sex_parse(col.levels[(int)v]);
        else sx = -1;
        if (sx < 0)
            rc = bcms_err(BCMS_EINPUT, "the stored column 'sex' is not coded as PLINK sex (1 male, 2 female, 0/NA "
                          "unknown); store it again with that coding or give --sex-file");
        else rd->sex_by_num[i] = (uint8_t)sx;
    }
    bcms_pheno_col_clear(&col);
    return rc;
}

int rd_samples_load(bcms_reader_t *rd, const bcms_reader_opts_t *o)
{
    uint32_t unknown = 0;
    int rc;
    for (int d = 0; d < rd->nds; d++)
        for (uint32_t c = 0; c < rd->ds[d]->nsamples; c++)
            if (rd->ds[d]->samples[c] + 1 > rd->n_num) rd->n_num = rd->ds[d]->samples[c] + 1;
    if (!(rd->sex_by_num = calloc(rd->n_num + 1, 1)) || !(rd->remove = kh_init(rdset))) return BCMS_ENOMEM;
    if (o->keep) {
        if (!(rd->keep = kh_init(rdset))) return BCMS_ENOMEM;
        if ((rc = rd_iid_file_read(rd->st, rd->txn, o->keep, rd->keep, &unknown))) return rc;
    }
    if (o->remove && (rc = rd_iid_file_read(rd->st, rd->txn, o->remove, rd->remove, &unknown))) return rc;
    if (unknown) bcms_log(BCMS_LOG_WARN, "--keep/--remove: %u IIDs are not in the store (ignored)", unknown);
    return o->sex_file ? sex_file_read(rd, o->sex_file) : sex_stored(rd);
}

static int overlap_build(bcms_reader_t *rd)
{
    uint32_t *stamp = calloc(rd->nsamp + 1, sizeof *stamp);
    free(rd->overlap);
    if (!stamp || !(rd->overlap = calloc((size_t)rd->nds * rd->nds, 1))) {
        free(stamp);
        return BCMS_ENOMEM;
    }
    for (int d1 = 0; d1 < rd->nds; d1++) {
        for (uint32_t c = 0; c < rd->ds[d1]->nsamples; c++)
            if (rd->col_samp[d1][c] != RD_NONE) stamp[rd->col_samp[d1][c]] = (uint32_t)d1 + 1;
        for (int d2 = d1 + 1; d2 < rd->nds; d2++)
            for (uint32_t c = 0; c < rd->ds[d2]->nsamples; c++) {
                uint32_t s = rd->col_samp[d2][c];
                if (s != RD_NONE && stamp[s] == (uint32_t)d1 + 1) {
                    rd->overlap[d1 * rd->nds + d2] = rd->overlap[d2 * rd->nds + d1] = 1;
                    break;
                }
            }
    }
    free(stamp);
    return 0;
}

/* Cohorts for the per-cohort filters: datasets of one cohort name, and datasets that share samples
 * (one cohort imported per chromosome under several names), are one cohort. */
static int cohorts_unify(bcms_reader_t *rd)
{
    int *root = malloc(sizeof *root * (rd->nds + 1)), *idx = malloc(sizeof *idx * (rd->nds + 1));
    if (!root || !idx) {
        free(root), free(idx);
        return BCMS_ENOMEM;
    }
    for (int d = 0; d < rd->nds; d++) {
        root[d] = d;
        for (int e = 0; e < d; e++)
            if (!strcmp(rd->ds[e]->cohort, rd->ds[d]->cohort) || rd->overlap[e * rd->nds + d]) {
                int a = root[e], b = root[d], lo = a < b ? a : b, hi = a < b ? b : a;
                for (int f = 0; f <= d; f++)
                    if (root[f] == hi) root[f] = lo;
            }
    }
    rd->ncohort = 0;
    for (int d = 0; d < rd->nds; d++) idx[d] = -1;
    for (int d = 0; d < rd->nds; d++) {
        if (idx[root[d]] < 0) idx[root[d]] = rd->ncohort++;
        rd->ds_cohort[d] = idx[root[d]];
    }
    for (uint32_t s = 0; s < rd->nsamp; s++) rd->sample_cohort[s] = rd->ds_cohort[rd->sample_ds[s]];
    free(root), free(idx);
    return 0;
}

int rd_samples_build(bcms_reader_t *rd)
{
    khash_t(rdset) *seen = kh_init(rdset);
    int rc = 0;
    uint32_t total = 0;
    if (!seen) return BCMS_ENOMEM;
    if (!rd->col_samp && !(rd->col_samp = calloc(rd->nds, sizeof *rd->col_samp))) goto nomem;
    free(rd->ds_full);
    if (!(rd->ds_full = calloc(rd->nds, 1))) goto nomem;
    rd->nsamp = 0;
    size_t m = 1;
    for (int d = 0; d < rd->nds; d++) m += rd->ds[d]->nsamples;
    for (int d = 0; d < rd->nds; d++) {
        const bcms_dataset_t *ds = rd->ds[d];
        uint32_t *a = realloc(rd->sample_ids, sizeof *a * m);
        if (a) rd->sample_ids = a;
        uint32_t *b = a ? realloc(rd->sample_ds, sizeof *b * m) : NULL;
        if (b) rd->sample_ds = b;
        uint8_t *x = b ? realloc(rd->sample_sex, m) : NULL;
        if (x) rd->sample_sex = x;
        int *co = x ? realloc(rd->sample_cohort, sizeof *co * m) : NULL;
        if (co) rd->sample_cohort = co;
        free(rd->col_samp[d]);
        if (!co || !(rd->col_samp[d] = malloc(sizeof **rd->col_samp * (ds->nsamples + 1)))) goto nomem;
        rd->ds_full[d] = 1;
        for (uint32_t c = 0; c < ds->nsamples; c++) {
            uint32_t g = ds->samples[c];
            int absent;
            kh_put(rdset, seen, g, &absent);
            if (absent < 0) goto nomem;
            if (absent) total++;
            rd->col_samp[d][c] = RD_NONE;
            if ((rd->keep && kh_get(rdset, rd->keep, g) == kh_end(rd->keep)) ||
                kh_get(rdset, rd->remove, g) != kh_end(rd->remove)) {
                rd->ds_full[d] = 0;
                continue;
            }
            rd->col_samp[d][c] = g; /* the global number for now, mapped to an index below */
        }
    }
    {
        /* global number -> sample index, in order of first appearance */
        uint32_t *idx_of = malloc(sizeof *idx_of * (rd->n_num + 1));
        if (!idx_of) goto nomem;
        for (uint32_t g = 0; g <= rd->n_num; g++) idx_of[g] = RD_NONE;
        for (int d = 0; d < rd->nds; d++)
            for (uint32_t c = 0; c < rd->ds[d]->nsamples; c++) {
                uint32_t g = rd->col_samp[d][c];
                if (g == RD_NONE) continue;
                if (idx_of[g] == RD_NONE) {
                    idx_of[g] = rd->nsamp;
                    rd->sample_ids[rd->nsamp] = g;
                    rd->sample_ds[rd->nsamp] = (uint32_t)d;
                    rd->sample_sex[rd->nsamp] = rd->sex_by_num[g];
                    rd->sample_cohort[rd->nsamp] = rd->ds_cohort[d];
                    rd->nsamp++;
                }
                rd->col_samp[d][c] = idx_of[g];
            }
        free(idx_of);
    }
    rd->nremoved = total - rd->nsamp - rd->nmind;
    if (!(rc = overlap_build(rd))) rc = cohorts_unify(rd);
    kh_destroy(rdset, seen);
    return rc;
nomem:
    kh_destroy(rdset, seen);
    return BCMS_ENOMEM;
}

/* ---- variant lists ---- */

static int is_int(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

static int name_add(rd_varlist_t *vl, const char *s)
{
    int absent;
    char *k = strdup(s);
    if (!k) return BCMS_ENOMEM;
    kh_put(rdstr, vl->names, k, &absent);
    if (absent <= 0) free(k);
    return absent < 0 ? BCMS_ENOMEM : 0;
}

/* A line "CHR:POS:REF:ALT" is stored with its CHR canonical so that chr1:... matches 1:... */
static int key_canon(const char *s, kstring_t *out)
{
    const char *c = strchr(s, ':');
    char canon[256];
    out->l = 0;
    if (!c || bcms_contig_canon(s, c - s, canon, sizeof canon) < 0) return kputs(s, out) < 0 ? BCMS_ENOMEM : 0;
    return kputs(canon, out) < 0 || kputs(c, out) < 0 ? BCMS_ENOMEM : 0;
}

int rd_varlist_load(const char *path, rd_varlist_t *vl)
{
    FILE *fp = fopen(path, "r");
    char line[8192], *tok[MAX_TOK], canon[256];
    int lineno = 0, rc = 0, bed = -1;
    kstring_t ks = {0, 0, NULL};
    memset(vl, 0, sizeof *vl);
    if (!fp) return bcms_err(BCMS_EIO, "%s: cannot open the variant list: %s", path, strerror(errno));
    if (!(vl->names = kh_init(rdstr))) {
        rc = BCMS_ENOMEM;
        goto done;
    }
    while (fgets(line, sizeof line, fp)) {
        lineno++;
        int n = split_ws(line, tok);
        if (!n || tok[0][0] == '#' || !strcmp(tok[0], "track") || !strcmp(tok[0], "browser")) continue;
        /* the first data line decides: CHR BEG END (BED, 0-based half-open) or one name per line */
        if (bed < 0) bed = n >= 3 && is_int(tok[1]) && is_int(tok[2]);
        if (!bed) {
            if ((rc = name_add(vl, tok[0])) || (rc = key_canon(tok[0], &ks)) || (rc = name_add(vl, ks.s))) goto done;
            continue;
        }
        if (n < 3 || !is_int(tok[1]) || !is_int(tok[2]) || bcms_contig_canon(tok[0], -1, canon, sizeof canon) < 0) {
            rc = bcms_err(BCMS_EINPUT, "%s:%d: a BED line needs CHR BEG END (0-based, end exclusive)", path, lineno);
            goto done;
        }
        rd_range_t *nr = realloc(vl->r, sizeof *nr * (vl->nr + 1));
        if (!nr) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        vl->r = nr;
        nr[vl->nr].beg0 = strtoll(tok[1], NULL, 10);
        nr[vl->nr].end = strtoll(tok[2], NULL, 10);
        if (!(nr[vl->nr].chrom = strdup(canon))) {
            rc = BCMS_ENOMEM;
            goto done;
        }
        vl->nr++;
    }
    if (ferror(fp)) rc = bcms_err(BCMS_EIO, "%s: read error", path);
done:
    fclose(fp);
    free(ks.s);
    if (rc) rd_varlist_free(vl);
    return rc;
}

void rd_varlist_free(rd_varlist_t *vl)
{
    if (vl->names) {
        for (khint_t k = kh_begin(vl->names); k != kh_end(vl->names); k++)
            if (kh_exist(vl->names, k)) free((char *)kh_key(vl->names, k));
        kh_destroy(rdstr, vl->names);
    }
    for (int i = 0; i < vl->nr; i++) free(vl->r[i].chrom);
    free(vl->r);
    memset(vl, 0, sizeof *vl);
}

int rd_varlist_match(const rd_varlist_t *vl, const char *canon_chrom, int64_t pos, const char *id, const char *ref,
                     const char *alt)
{
    char key[1024];
    for (int i = 0; i < vl->nr; i++)
        if (!strcmp(vl->r[i].chrom, canon_chrom) && pos > vl->r[i].beg0 && pos <= vl->r[i].end) return 1;
    if (!kh_size(vl->names)) return 0;
    if (strcmp(id, ".") && kh_get(rdstr, vl->names, id) != kh_end(vl->names)) return 1;
    snprintf(key, sizeof key, "%s:%lld:%s:%s", canon_chrom, (long long)pos, ref, alt);
    if (kh_get(rdstr, vl->names, key) != kh_end(vl->names)) return 1;
    snprintf(key, sizeof key, "%s:%lld:%s:%s", canon_chrom, (long long)pos, alt, ref);
    return kh_get(rdstr, vl->names, key) != kh_end(vl->names);
}

/* pheno.c: the `pheno` table: column records (layout in engine/FORMAT.md, "Table pheno").
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "pheno.h"

/* Version 2 checksums the key (the column name) with the value: a damaged name is caught too,
 * not read as another column. Version 1 records (value only) are still read. */
#define PHENO_RECORD_VERSION 2

/* The record's CRC-32: version 2 over the name then the value's bytes, version 1 over the value. */
static uint32_t record_crc(int version, const char *name, const void *p, size_t n)
{
    uLong c = crc32(0L, Z_NULL, 0);
    if (version >= 2) c = crc32(c, (const Bytef *)name, (uInt)strlen(name));
    return (uint32_t)crc32(c, (const Bytef *)p, (uInt)n);
}

const char *bcms_pheno_type_name(int type)
{
    switch (type) {
    case BCMS_PHENO_AUTO: return "auto";
    case BCMS_PHENO_QUANTITATIVE: return "quantitative";
    case BCMS_PHENO_BINARY: return "binary";
    case BCMS_PHENO_CATEGORICAL: return "categorical";
    default: return "unknown";
    }
}

int bcms_pheno_type_parse(const char *s, int *type)
{
    static const struct { const char *name; int type; } names[] = {
        {"quantitative", BCMS_PHENO_QUANTITATIVE}, {"quant", BCMS_PHENO_QUANTITATIVE}, {"q", BCMS_PHENO_QUANTITATIVE},
        {"binary", BCMS_PHENO_BINARY},             {"cc", BCMS_PHENO_BINARY},          {"b", BCMS_PHENO_BINARY},
        {"categorical", BCMS_PHENO_CATEGORICAL},   {"cat", BCMS_PHENO_CATEGORICAL},    {"c", BCMS_PHENO_CATEGORICAL},
        {"auto", BCMS_PHENO_AUTO},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(s, names[i].name)) {
            *type = names[i].type;
            return 0;
        }
    return bcms_err(BCMS_EINVAL, "unknown column type '%s'; use quantitative, binary, categorical or auto", s);
}

void bcms_pheno_col_clear(bcms_pheno_col_t *c)
{
    if (!c) return;
    free(c->name);
    for (uint32_t i = 0; i < c->nlevels; i++) free(c->levels ? c->levels[i] : NULL);
    free(c->levels);
    free(c->v);
    free(c->source);
    free(c->imported_at);
    free(c->command);
    free(c->tool);
    memset(c, 0, sizeof *c);
}

const char *bcms_pheno_value_str(const bcms_pheno_col_t *col, double v, char *buf)
{
    if (isnan(v)) return "NA";
    switch (col->type) {
    case BCMS_PHENO_BINARY:
        snprintf(buf, 32, "%d", (int)v + (col->coding == BCMS_PHENO_CODING_01 ? 0 : 1));
        return buf;
    case BCMS_PHENO_CATEGORICAL:
        if (v >= 0 && v < col->nlevels) return col->levels[(uint32_t)v];
        return "NA";
    default:
        snprintf(buf, 32, "%.15g", v);
        if (strtod(buf, NULL) != v) snprintf(buf, 32, "%.17g", v);
        return buf;
    }
}

int bcms_pheno_name_check(const char *name)
{
    size_t l = strlen(name);
    if (l == 0) return bcms_err(BCMS_EINVAL, "a column has an empty name; name every column in the header");
    if (l > BCMS_PHENO_NAME_MAX)
        return bcms_err(BCMS_EINVAL, "column name '%.40s...' is %zu bytes long; the limit is %d", name, l,
                        BCMS_PHENO_NAME_MAX);
    for (const char *p = name; *p; p++)
        if (*p == ',' || isspace((unsigned char)*p))
            return bcms_err(BCMS_EINVAL, "column name '%s' contains '%s'; rename the column (names are listed "
                            "with commas on the command line)", name, *p == ',' ? "," : "white space");
    return 0;
}

/* ---- record encoding ---- */

static int buf_f64(kstring_t *b, double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return buf_u64(b, u);
}

static double rd_f64(rd_t *r)
{
    uint64_t u = rd_u64(r);
    double d;
    memcpy(&d, &u, 8);
    return d;
}

typedef struct {
    uint32_t sample;
    double v;
} pair_t;

static int pair_cmp(const void *a, const void *b)
{
    uint32_t x = ((const pair_t *)a)->sample, y = ((const pair_t *)b)->sample;
    return x < y ? -1 : x > y;
}

/* The record of col (FORMAT.md) into out (reset first). */
static int record_encode(const bcms_pheno_col_t *col, const uint32_t *sample, kstring_t *out)
{
    pair_t *pairs = NULL;
    size_t np = 0;
    int bad = 0;
    out->l = 0;
    if (col->n && !(pairs = malloc(col->n * sizeof *pairs))) return BCMS_ENOMEM;
    for (size_t i = 0; i < col->n; i++)
        if (!isnan(col->v[i])) pairs[np].sample = sample[i], pairs[np++].v = col->v[i];
    if (np) qsort(pairs, np, sizeof *pairs, pair_cmp);
    for (size_t i = 1; i < np; i++)
        if (pairs[i].sample == pairs[i - 1].sample) {
            uint32_t dup = pairs[i].sample;
            free(pairs);
            return bcms_err(BCMS_EINVAL, "column '%s': sample number %u given twice", col->name, dup);
        }
    if (np > UINT32_MAX) {
        free(pairs);
        return bcms_err(BCMS_ENOMEM, "column '%s' has too many values", col->name);
    }
    bad |= buf_u8(out, PHENO_RECORD_VERSION) | buf_u8(out, (uint8_t)col->type) | buf_u8(out, (uint8_t)col->coding) |
           buf_u8(out, 0);
    bad |= buf_str(out, col->source) | buf_u64(out, col->source_size) | buf_u64(out, (uint64_t)col->source_mtime) |
           buf_u32(out, col->source_rows);
    bad |= buf_str(out, col->imported_at) | buf_str(out, col->command) | buf_str(out, col->tool);
    bad |= buf_varint(out, col->nlevels);
    for (uint32_t i = 0; i < col->nlevels; i++) bad |= buf_str(out, col->levels[i]);
    bad |= buf_u32(out, (uint32_t)np);
    for (size_t i = 0; i < np; i++) bad |= buf_u32(out, pairs[i].sample) | buf_f64(out, pairs[i].v);
    free(pairs);
    if (bad) return BCMS_ENOMEM;
    return buf_u32(out, record_crc(PHENO_RECORD_VERSION, col->name, out->s, out->l)) ? BCMS_ENOMEM : 0;
}

/* Parse a record into col (name set by the caller). With nsamples > 0 the values are spread into
 * a dense array of that length; with nsamples == 0 only the header is read (listing). */
static int record_decode(const char *name, const void *p, size_t n, size_t nsamples, int want_values,
                         bcms_pheno_col_t *col)
{
    rd_t r;
    uint32_t np;
    int rc = BCMS_ECORRUPT;
    memset(col, 0, sizeof *col);
    int version = n ? ((const uint8_t *)p)[0] : 0;
    if (n >= 8 && version > PHENO_RECORD_VERSION)
        return bcms_err(BCMS_EVERSION, "pheno column '%s' has record version %d, newer than this bcms reads (%d), or the "
                        "record is damaged; use a matching bcms version", name, version, PHENO_RECORD_VERSION);
    if (n < 8 || version < 1 || be32_get((const uint8_t *)p + n - 4) != record_crc(version, name, p, n - 4))
        return bcms_err(BCMS_ECORRUPT, "the store is damaged: pheno column '%s' fails its checksum (its name or "
                        "values changed on disk); store the column again with bcms pheno --replace, or restore the "
                        "store from a backup", name);
    rd_init(&r, p, n - 4);
    rd_u8(&r);
    col->type = rd_u8(&r);
    col->coding = rd_u8(&r);
    rd_u8(&r);
    if (!(col->name = strdup(name))) return BCMS_ENOMEM;
    col->source = rd_strdup(&r);
    col->source_size = rd_u64(&r);
    col->source_mtime = (int64_t)rd_u64(&r);
    col->source_rows = rd_u32(&r);
    col->imported_at = rd_strdup(&r);
    col->command = rd_strdup(&r);
    col->tool = rd_strdup(&r);
    uint64_t nl = rd_varint(&r);
    if (r.err || nl > (uint64_t)(r.end - r.p)) goto fail;
    if (nl && !(col->levels = calloc(nl, sizeof *col->levels))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    col->nlevels = (uint32_t)nl;
    for (uint32_t i = 0; i < col->nlevels; i++)
        if (!(col->levels[i] = rd_strdup(&r))) goto fail;
    np = rd_u32(&r);
    if (r.err || (uint64_t)np * 12 != (uint64_t)(r.end - r.p)) goto fail;
    if (col->type < BCMS_PHENO_QUANTITATIVE || col->type > BCMS_PHENO_CATEGORICAL) goto fail;
    col->n_present = np;
    if (want_values) {
        col->n = nsamples;
        if (nsamples && !(col->v = malloc(nsamples * sizeof *col->v))) {
            rc = BCMS_ENOMEM;
            goto fail;
        }
        for (size_t k = 0; k < nsamples; k++) col->v[k] = NAN;
        for (uint32_t i = 0; i < np; i++) {
            uint32_t s = rd_u32(&r);
            double v = rd_f64(&r);
            if (s >= nsamples) goto fail;
            col->v[s] = v;
        }
    }
    return 0;
fail:
    bcms_pheno_col_clear(col);
    if (rc == BCMS_ECORRUPT)
        rc = bcms_err(BCMS_ECORRUPT, "the store is damaged: pheno column '%s' has a malformed record; store it "
                      "again with bcms pheno --replace or restore the store from a backup", name);
    return rc;
}

/* ---- store access ---- */

int bcms_pheno_exists(bcms_store_t *st, MDB_txn *txn, const char *name)
{
    MDB_val key = {strlen(name), (void *)name}, val;
    int rc;
    if (!key.mv_size || key.mv_size > BCMS_PHENO_NAME_MAX) return 0;
    rc = bcms_mdb_get(st, txn, DBI_PHENO, &key, &val);
    if (rc == MDB_NOTFOUND) return 0;
    return rc ? bcms_lmdb_err(rc, "reading the pheno table") : 1;
}

int bcms_pheno_put(bcms_store_t *st, MDB_txn *txn, const bcms_pheno_col_t *col, const uint32_t *sample, int replace)
{
    kstring_t rec = {0, 0, NULL};
    MDB_val key, val;
    int rc;
    if ((rc = bcms_pheno_name_check(col->name))) return rc;
    if (col->type < BCMS_PHENO_QUANTITATIVE || col->type > BCMS_PHENO_CATEGORICAL)
        return bcms_err(BCMS_EINVAL, "column '%s': type %d cannot be stored", col->name, col->type);
    if ((rc = bcms_pheno_exists(st, txn, col->name)) < 0) return rc;
    if (rc && !replace)
        return bcms_err(BCMS_EEXIST, "column '%s' is already stored; add --replace to overwrite it, or rename the "
                        "column in the file", col->name);
    if ((rc = record_encode(col, sample, &rec))) {
        free(rec.s);
        return rc;
    }
    key.mv_size = strlen(col->name), key.mv_data = col->name;
    val.mv_size = rec.l, val.mv_data = rec.s;
    rc = mdb_put(txn, bcms_store_dbi(st, DBI_PHENO), &key, &val, 0);
    free(rec.s);
    return rc ? bcms_lmdb_err(rc, "writing a pheno column") : 0;
}

/* Registered samples in this snapshot: numbers are dense 0..n-1 (bcms_sample_intern). */
static int sample_count(bcms_store_t *st, MDB_txn *txn, size_t *n)
{
    MDB_stat ms;
    int rc = mdb_stat(txn, bcms_store_dbi(st, DBI_SAMPLES), &ms);
    if (rc) return bcms_lmdb_err(rc, "reading the sample registry");
    *n = ms.ms_entries;
    return 0;
}

/* Names of the stored columns, comma-separated, for "not found" messages (caller frees). */
static char *stored_names(bcms_store_t *st, MDB_txn *txn)
{
    kstring_t s = {0, 0, NULL};
    MDB_cursor *cur;
    MDB_val k, v;
    int n = 0;
    if (mdb_cursor_open(txn, bcms_store_dbi(st, DBI_PHENO), &cur)) return NULL;
    for (int op = MDB_FIRST; !bcms_mdb_cursor_get(st, cur, &k, &v, op) && n < 50; op = MDB_NEXT, n++)
        ksprintf(&s, "%s%.*s", n ? ", " : "", (int)k.mv_size, (char *)k.mv_data);
    mdb_cursor_close(cur);
    return s.s;
}

int bcms_pheno_load(bcms_store_t *st, MDB_txn *txn, const char *name, bcms_pheno_col_t *col)
{
    MDB_val key = {strlen(name), (void *)name}, val;
    size_t ns = 0;
    int rc;
    memset(col, 0, sizeof *col);
    if (!key.mv_size || key.mv_size > BCMS_PHENO_NAME_MAX) rc = MDB_NOTFOUND;
    else rc = bcms_mdb_get(st, txn, DBI_PHENO, &key, &val);
    if (rc == MDB_NOTFOUND) {
        char *names = stored_names(st, txn);
        rc = bcms_err(BCMS_ENOTFOUND, "no phenotype column '%s' in %s (stored: %s); store it with bcms pheno STORE "
                      "FILE or give the file with --pheno-file/--covar-file", name, bcms_store_path(st),
                      names && *names ? names : "none");
        free(names);
        return rc;
    }
    if (rc) return bcms_lmdb_err(rc, "reading the pheno table");
    if ((rc = sample_count(st, txn, &ns))) return rc;
    return record_decode(name, val.mv_data, val.mv_size, ns, 1, col);
}

void bcms_pheno_list_free(bcms_pheno_col_t *cols, size_t n)
{
    if (!cols) return;
    for (size_t i = 0; i < n; i++) bcms_pheno_col_clear(&cols[i]);
    free(cols);
}

int bcms_pheno_list(bcms_store_t *st, MDB_txn *txn, bcms_pheno_col_t **out, size_t *nout)
{
    MDB_cursor *cur = NULL;
    MDB_stat ms;
    MDB_val k, v;
    bcms_pheno_col_t *cols = NULL;
    size_t n = 0;
    char name[BCMS_PHENO_NAME_MAX + 1];
    int rc;
    *out = NULL;
    *nout = 0;
    if ((rc = mdb_stat(txn, bcms_store_dbi(st, DBI_PHENO), &ms))) return bcms_lmdb_err(rc, "reading the pheno table");
    if (!ms.ms_entries) return 0;
    if (!(cols = calloc(ms.ms_entries, sizeof *cols))) return BCMS_ENOMEM;
    if ((rc = mdb_cursor_open(txn, bcms_store_dbi(st, DBI_PHENO), &cur))) {
        rc = bcms_lmdb_err(rc, "reading the pheno table");
        goto fail;
    }
    for (int op = MDB_FIRST; n < ms.ms_entries && !(rc = bcms_mdb_cursor_get(st, cur, &k, &v, op)); op = MDB_NEXT) {
        if (k.mv_size > BCMS_PHENO_NAME_MAX || memchr(k.mv_data, 0, k.mv_size)) {
            rc = bcms_err(BCMS_ECORRUPT, "pheno table: a column key is damaged; restore the store from a backup");
            goto fail;
        }
        memcpy(name, k.mv_data, k.mv_size);
        name[k.mv_size] = 0;
        if ((rc = record_decode(name, v.mv_data, v.mv_size, 0, 0, &cols[n]))) goto fail;
        n++;
    }
    if (rc && rc != MDB_NOTFOUND) {
        rc = bcms_lmdb_err(rc, "reading the pheno table");
        goto fail;
    }
    mdb_cursor_close(cur);
    *out = cols;
    *nout = n;
    return 0;
fail:
    if (cur) mdb_cursor_close(cur);
    bcms_pheno_list_free(cols, n);
    return rc;
}

/* dataset.c: the dataset record (see FORMAT.md, table "datasets"). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytes.h"
#include "contig.h"
#include "dataset.h"
#include "err.h"

#define DATASET_RECORD_VERSION 2

int bcms_dataset_put(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds)
{
    kstring_t b = {0, 0, NULL};
    uint8_t k[4];
    MDB_val key = {4, k}, val;
    int rc, e = 0;

    e |= buf_u32(&b, DATASET_RECORD_VERSION);
    e |= buf_str(&b, ds->cohort);
    e |= buf_u32(&b, ds->flags);
    e |= buf_u64(&b, ds->nrows);
    e |= buf_u64(&b, ds->nrecords);
    e |= buf_u32(&b, ds->nsamples);
    for (uint32_t i = 0; i < ds->nsamples; i++) e |= buf_u32(&b, ds->samples[i]);
    e |= buf_u32(&b, ds->ncontigs);
    for (uint32_t i = 0; i < ds->ncontigs; i++) {
        e |= buf_str(&b, ds->contigs[i].name);
        e |= buf_str(&b, ds->contigs[i].input_name ? ds->contigs[i].input_name : ds->contigs[i].name);
        e |= buf_u64(&b, (uint64_t)ds->contigs[i].length);
    }
    e |= buf_u32(&b, ds->nblocks);
    for (uint32_t i = 0; i < ds->nblocks; i++) {
        const bcms_block_info_t *bi = &ds->blocks[i];
        e |= buf_varint(&b, bi->contig);
        e |= buf_varint(&b, (uint64_t)bi->first_pos);
        e |= buf_varint(&b, (uint64_t)bi->last_pos);
        e |= buf_varint(&b, bi->nvar);
        e |= buf_varint(&b, bi->first_row);
        e |= buf_varint(&b, bi->gt_bytes);
    }
    e |= buf_u32(&b, ds->nsources);
    for (uint32_t i = 0; i < ds->nsources; i++) {
        e |= buf_str(&b, ds->sources[i].path);
        e |= buf_u64(&b, ds->sources[i].size);
        e |= buf_str(&b, ds->sources[i].fingerprint);
    }
    e |= buf_str(&b, ds->imported_at);
    e |= buf_str(&b, ds->command);
    e |= buf_str(&b, ds->tool);
    e |= buf_str(&b, ds->header_text);
    if (!e) e |= buf_u32(&b, (uint32_t)crc32(0L, (const Bytef *)b.s, (uInt)b.l));
    if (e) {
        free(b.s);
        return BCMS_ENOMEM;
    }
    be32_put(k, ds->id);
    val.mv_size = b.l, val.mv_data = b.s;
    rc = mdb_put(txn, bcms_store_dbi(st, DBI_DATASETS), &key, &val, 0);
    free(b.s);
    return rc ? bcms_lmdb_err(rc, "writing the dataset record") : 0;
}

void bcms_dataset_clear(bcms_dataset_t *ds)
{
    free(ds->cohort);
    free(ds->samples);
    for (uint32_t i = 0; i < ds->ncontigs && ds->contigs; i++) {
        free(ds->contigs[i].name);
        free(ds->contigs[i].input_name);
    }
    free(ds->contigs);
    free(ds->blocks);
    for (uint32_t i = 0; i < ds->nsources && ds->sources; i++) {
        free(ds->sources[i].path);
        free(ds->sources[i].fingerprint);
    }
    free(ds->sources);
    free(ds->imported_at);
    free(ds->command);
    free(ds->tool);
    free(ds->header_text);
    memset(ds, 0, sizeof *ds);
}

int bcms_dataset_parse(const void *p, size_t n, bcms_dataset_t *ds)
{
    rd_t r;
    memset(ds, 0, sizeof *ds);
    /* the checksum first: a damaged record must not be read field by field */
    if (n < 8 || be32_get((const uint8_t *)p + n - 4) != (uint32_t)crc32(0L, p, (uInt)(n - 4))) goto bad;
    rd_init(&r, p, n - 4);
    if (rd_u32(&r) != DATASET_RECORD_VERSION) goto bad;
    ds->cohort = rd_strdup(&r);
    ds->flags = rd_u32(&r);
    ds->nrows = rd_u64(&r);
    ds->nrecords = rd_u64(&r);
    ds->nsamples = rd_u32(&r);
    if (r.err || (uint64_t)ds->nsamples * 4 > (uint64_t)(r.end - r.p)) goto bad;
    if (!(ds->samples = malloc(sizeof *ds->samples * (ds->nsamples + 1)))) goto nomem;
    for (uint32_t i = 0; i < ds->nsamples; i++) ds->samples[i] = rd_u32(&r);
    ds->ncontigs = rd_u32(&r);
    if (r.err || ds->ncontigs > (uint64_t)(r.end - r.p)) goto bad;
    if (!(ds->contigs = calloc(ds->ncontigs + 1, sizeof *ds->contigs))) goto nomem;
    for (uint32_t i = 0; i < ds->ncontigs; i++) {
        ds->contigs[i].name = rd_strdup(&r);
        ds->contigs[i].input_name = rd_strdup(&r);
        ds->contigs[i].length = (int64_t)rd_u64(&r);
        if (r.err) goto bad;
    }
    ds->nblocks = rd_u32(&r);
    if (r.err || ds->nblocks > (uint64_t)(r.end - r.p)) goto bad;
    if (!(ds->blocks = calloc(ds->nblocks + 1, sizeof *ds->blocks))) goto nomem;
    for (uint32_t i = 0; i < ds->nblocks; i++) {
        bcms_block_info_t *bi = &ds->blocks[i];
        bi->contig = (uint32_t)rd_varint(&r);
        bi->first_pos = (int64_t)rd_varint(&r);
        bi->last_pos = (int64_t)rd_varint(&r);
        bi->nvar = (uint32_t)rd_varint(&r);
        bi->first_row = rd_varint(&r);
        bi->gt_bytes = rd_varint(&r);
        if (bi->contig >= ds->ncontigs) goto bad;
    }
    ds->nsources = rd_u32(&r);
    if (r.err || ds->nsources == 0 || ds->nsources > (uint64_t)(r.end - r.p)) goto bad;
    if (!(ds->sources = calloc(ds->nsources, sizeof *ds->sources))) goto nomem;
    for (uint32_t i = 0; i < ds->nsources; i++) {
        ds->sources[i].path = rd_strdup(&r);
        ds->sources[i].size = rd_u64(&r);
        ds->sources[i].fingerprint = rd_strdup(&r);
        if (r.err) goto bad;
    }
    ds->imported_at = rd_strdup(&r);
    ds->command = rd_strdup(&r);
    ds->tool = rd_strdup(&r);
    ds->header_text = rd_strdup(&r);
    if (r.err || r.p != r.end) goto bad;
    return 0;
bad:
    bcms_dataset_clear(ds);
    return bcms_err(BCMS_ECORRUPT, "a dataset record is damaged; restore the store from a backup");
nomem:
    bcms_dataset_clear(ds);
    return BCMS_ENOMEM;
}

int bcms_dataset_list(bcms_store_t *st, MDB_txn *txn, bcms_dataset_t **out, int *n)
{
    MDB_cursor *cur;
    MDB_val key, val;
    bcms_dataset_t *v = NULL;
    int m = 0, rc, op = MDB_FIRST;
    *out = NULL;
    *n = 0;
    if ((rc = mdb_cursor_open(txn, bcms_store_dbi(st, DBI_DATASETS), &cur))) return bcms_lmdb_err(rc, "datasets");
    while ((rc = bcms_mdb_cursor_get(st, cur, &key, &val, op)) == 0) {
        bcms_dataset_t *nv = realloc(v, sizeof *v * (m + 1));
        op = MDB_NEXT;
        if (!nv) { rc = BCMS_ENOMEM; goto fail; }
        v = nv;
        if (key.mv_size != 4) { rc = bcms_err(BCMS_ECORRUPT, "%s: a dataset key is damaged; restore the store "
                                              "from a backup", bcms_store_path(st)); goto fail; }
        if ((rc = bcms_dataset_parse(val.mv_data, val.mv_size, &v[m]))) {
            if (rc == BCMS_ECORRUPT)
                rc = bcms_err(BCMS_ECORRUPT, "%s: dataset record %u is damaged (checksum or layout); restore the "
                              "store from a backup", bcms_store_path(st), be32_get(key.mv_data));
            goto fail;
        }
        v[m++].id = be32_get(key.mv_data);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        bcms_dataset_list_free(v, m);
        return bcms_lmdb_err(rc, "datasets");
    }
    *out = v;
    *n = m;
    return 0;
fail:
    mdb_cursor_close(cur);
    bcms_dataset_list_free(v, m);
    return rc;
}

void bcms_dataset_list_free(bcms_dataset_t *ds, int n)
{
    for (int i = 0; i < n; i++) bcms_dataset_clear(&ds[i]);
    free(ds);
}

int bcms_dataset_contig(const bcms_dataset_t *ds, const char *name)
{
    /* whichever spelling the caller uses (chr1, 1, 23, chrM): the record holds canonical names */
    char canon[256];
    if (bcms_contig_canon(name, -1, canon, sizeof canon) < 0) {
        bcms_err_clear();
        return -1;
    }
    for (uint32_t i = 0; i < ds->ncontigs; i++)
        if (!strcmp(ds->contigs[i].name, canon)) return (int)i;
    return -1;
}

int bcms_dataset_pick(const bcms_dataset_t *list, int n, const char *spec)
{
    char names[1024] = "";
    size_t l = 0;
    for (int i = 0; i < n && l < sizeof names - 64; i++)
        l += snprintf(names + l, sizeof names - l, "%s%u (%s)", i ? ", " : "", list[i].id, list[i].cohort);
    if (n == 0) return bcms_err(BCMS_ENOTFOUND, "the store has no datasets yet; import a VCF first");
    if (!spec) {
        if (n == 1) return 0;
        return bcms_err(BCMS_EINVAL, "the store has %d datasets: choose one with --dataset (%s)", n, names);
    }
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].cohort, spec)) return i;
    char *end;
    long id = strtol(spec, &end, 10);
    if (!*end && end != spec)
        for (int i = 0; i < n; i++)
            if ((long)list[i].id == id) return i;
    return bcms_err(BCMS_ENOTFOUND, "no dataset '%s' in the store; it has: %s", spec, names);
}

/* blockio.c: fetch a block's frames from LMDB, check and decode them. */
#include <stdio.h>

#include "dataset.h"
#include "err.h"

static int block_fetch(bcms_store_t *st, MDB_txn *txn, int dbi, const bcms_dataset_t *ds, uint32_t block,
                       bcms_codec_t *codec, int kind, kstring_t *raw, char *what, size_t wlen)
{
    uint8_t key[8];
    MDB_val k = {8, key}, v;
    int rc;
    snprintf(what, wlen, "%s: dataset %u (%s) block %u (%s)", bcms_store_path(st), ds->id, ds->cohort, block,
             kind == BCMS_FRAME_GT ? "genotypes" : "sites");
    if (block >= ds->nblocks) return bcms_err(BCMS_EINVAL, "%s does not exist", what);
    bcms_block_key(key, ds->id, block);
    rc = bcms_mdb_get(st, txn, dbi, &k, &v);
    if (rc == MDB_NOTFOUND) return bcms_err(BCMS_ECORRUPT, "%s is missing; the store is damaged", what);
    if (rc) return bcms_lmdb_err(rc, what);
    return bcms_frame_unpack(codec, kind, v.mv_data, v.mv_size, raw, what);
}

int bcms_block_read_sites(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, uint32_t block,
                          bcms_codec_t *codec, kstring_t *raw, bcms_sites_t *out)
{
    char what[512];
    int rc = block_fetch(st, txn, DBI_SITES, ds, block, codec, BCMS_FRAME_SITES, raw, what, sizeof what);
    if (rc) return rc;
    if ((rc = bcms_sites_decode(raw->s, raw->l, out))) return bcms_err(rc, "%s: %s", what, bcms_err_detail());
    if (out->nvar != ds->blocks[block].nvar)
        return bcms_err(BCMS_ECORRUPT, "%s: holds %u variants, the index says %u; the store is damaged", what,
                        out->nvar, ds->blocks[block].nvar);
    return 0;
}

int bcms_block_read_gt(bcms_store_t *st, MDB_txn *txn, const bcms_dataset_t *ds, uint32_t block, bcms_codec_t *codec,
                       kstring_t *raw, int flags, bcms_gtblock_t *out)
{
    char what[512];
    int rc = block_fetch(st, txn, DBI_GT, ds, block, codec, BCMS_FRAME_GT, raw, what, sizeof what);
    if (rc) return rc;
    return bcms_gt_decode(raw->s, raw->l, ds->blocks[block].nvar, ds->nsamples, flags, out, what);
}

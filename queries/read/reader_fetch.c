/* reader_fetch.c: a block's frames read from the data file with pread, not through LMDB's map
 * (reader_internal.h).
 *
 * Why: the page cache may hold data.mdb in large folios (ext4 and xfs make them up to 2 MB), and
 * Linux maps a whole folio into a process on one fault. A reader that touched each frame through the
 * map would keep a few MB of the file resident however often it dropped the pages (a window's frames
 * are decoded together), more than a short store has at all: peak memory would grow with the store.
 * pread copies only the frame's bytes into the caller's buffer; the map is touched by LMDB's B-tree
 * lookups alone, and those pages are dropped right after each lookup (bcms_store_map_release). The bytes are
 * the same either way (the lookup already checked that the value lies inside the file);
 * BCMS_FETCH_MAP=1 in the environment reads them through the map instead, so that tests can show it
 * (tests/cli/test_memory.sh). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "reader_internal.h"

void rd_fetch_init(rd_fetch_t *f, bcms_store_t *st)
{
    size_t n;
    mdb_filehandle_t fd;
    f->map = bcms_store_map(st, &n);
    const char *e = getenv("BCMS_FETCH_MAP");
    f->fd = -1;
    if (e && !strcmp(e, "1")) return;
    if (f->map && !mdb_env_get_fd(bcms_store_env(st), &fd)) f->fd = fd;
}

int rd_fetch(const rd_fetch_t *f, const void *p, size_t n, kstring_t *buf, const void **out, const char *what)
{
    const char *c = p;
    *out = p;
    if (f->fd < 0 || !f->map || c < f->map) return 0; /* no map known (not Linux): read it in place */
    if (ks_resize(buf, n + 1) < 0) return BCMS_ENOMEM;
    off_t off = (off_t)(c - f->map);
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(f->fd, buf->s + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return bcms_err(BCMS_EIO, "%s: reading the data file failed: %s", what, strerror(errno));
        if (r == 0) return bcms_err(BCMS_ECORRUPT, "%s: reaches past the end of the data file; the store is damaged", what);
        got += (size_t)r;
    }
    buf->l = n;
    *out = buf->s;
    return 0;
}

static void frame_what(bcms_store_t *st, int kind, const bcms_dataset_t *ds, uint32_t b, char *what, size_t wlen)
{
    snprintf(what, wlen, "%s: dataset %u (%s) block %u (%s)", bcms_store_path(st), ds->id, ds->cohort, b,
             kind == BCMS_FRAME_GT ? "genotypes" : "sites");
}

int rd_frame_lookup(bcms_store_t *st, MDB_txn *txn, int kind, const bcms_dataset_t *ds, uint32_t b, const void **p,
                    size_t *n)
{
    char what[512];
    uint8_t key[8];
    MDB_val k = {8, key}, v;
    int rc;
    frame_what(st, kind, ds, b, what, sizeof what);
    if (b >= ds->nblocks) return bcms_err(BCMS_EINVAL, "%s does not exist", what);
    bcms_block_key(key, ds->id, b);
    rc = bcms_mdb_get(st, txn, kind == BCMS_FRAME_GT ? DBI_GT : DBI_SITES, &k, &v);
    bcms_store_map_release(st); /* the B-tree pages of the lookup */
    if (rc == MDB_NOTFOUND) return bcms_err(BCMS_ECORRUPT, "%s is missing; the store is damaged", what);
    if (rc) return bcms_lmdb_err(rc, what);
    *p = v.mv_data, *n = v.mv_size;
    return 0;
}

/* Frame (p, n) of block b read (rd_fetch) and unpacked into raw; what names it for the messages. */
static int frame_get(bcms_store_t *st, const rd_fetch_t *f, int kind, const bcms_dataset_t *ds, uint32_t b,
                     const void *p, size_t n, bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, char *what,
                     size_t wlen)
{
    const void *q;
    int rc;
    frame_what(st, kind, ds, b, what, wlen);
    if ((rc = rd_fetch(f, p, n, buf, &q, what))) return rc;
    return bcms_frame_unpack(codec, kind, q, n, raw, what);
}

int rd_sites_read(bcms_store_t *st, const rd_fetch_t *f, const bcms_dataset_t *ds, uint32_t b, const void *p, size_t n,
                  bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, bcms_sites_t *out)
{
    char what[512];
    int rc;
    if ((rc = frame_get(st, f, BCMS_FRAME_SITES, ds, b, p, n, codec, buf, raw, what, sizeof what))) return rc;
    if ((rc = bcms_sites_decode(raw->s, raw->l, out))) return bcms_err(rc, "%s: %s", what, bcms_err_detail());
    if (out->nvar != ds->blocks[b].nvar)
        return bcms_err(BCMS_ECORRUPT, "%s: holds %u variants, the index says %u; the store is damaged", what,
                        out->nvar, ds->blocks[b].nvar);
    return 0;
}

int rd_block_sites(bcms_store_t *st, MDB_txn *txn, const rd_fetch_t *f, const bcms_dataset_t *ds, uint32_t b,
                   bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, bcms_sites_t *out)
{
    const void *p = NULL;
    size_t n = 0;
    int rc = rd_frame_lookup(st, txn, BCMS_FRAME_SITES, ds, b, &p, &n);
    return rc ? rc : rd_sites_read(st, f, ds, b, p, n, codec, buf, raw, out);
}

int rd_gt_read(bcms_store_t *st, const rd_fetch_t *f, const bcms_dataset_t *ds, uint32_t b, const void *p, size_t n,
               bcms_codec_t *codec, kstring_t *buf, kstring_t *raw, int flags, bcms_gtblock_t *out)
{
    char what[512];
    int rc;
    if ((rc = frame_get(st, f, BCMS_FRAME_GT, ds, b, p, n, codec, buf, raw, what, sizeof what))) return rc;
    return bcms_gt_decode(raw->s, raw->l, ds->blocks[b].nvar, ds->nsamples, flags, out, what);
}

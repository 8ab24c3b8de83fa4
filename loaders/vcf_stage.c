/* vcf_stage.c: an import committed in steps (vcf_stage.h).
 *
 * LMDB holds every page a write transaction dirties in memory until it commits, and a genotype
 * frame larger than a page is one entry of its dirty list however big: a single transaction for a
 * whole import held the whole new dataset in memory (113 MB for 1,000 samples x 1M variants, the
 * dataset's size, and tens of GB for a large cohort). The import therefore commits its blocks every
 * VCF_STAGE_BYTES of frames. They stay invisible: a dataset exists only through its record in
 * `datasets`, written by the last transaction together with its samples and its history line.
 * Until then the store's meta table holds a marker `unfinished_import/ID`; a failed import deletes
 * its blocks, its marker and gives back the dataset number, and one that could not (kill -9, a
 * crash) is cleaned by the next import, which knows the marker is stale because it holds the
 * import lock: an flock on the store directory, which every import holds from start to end (so
 * imports into one store run one after another, as they did when each was one transaction), and
 * `bcms import` from before the store exists (so a failed first import removes only its own store). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "err.h"
#include "vcf_stage.h"

#define MARK_PREFIX "unfinished_import/"

int vcf_stage_lock_dir(const char *dir, int *fd)
{
    *fd = -1;
    int f = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (f < 0) return errno == ENOENT || errno == ENOTDIR ? 0 : bcms_err(BCMS_EIO, "%s: %s", dir, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) == 0) {
        *fd = f;
        return 0;
    }
    if (errno == EWOULDBLOCK) {
        int r;
        bcms_log(BCMS_LOG_INFO, "%s: another import into this store is running; waiting for it to finish", dir);
        while ((r = flock(f, LOCK_EX)) != 0 && errno == EINTR) {}
        if (r == 0) {
            *fd = f;
            return 0;
        }
    }
    /* a filesystem without locks: the import still runs, but cannot tell a stale marker from a live one */
    bcms_log(BCMS_LOG_WARN, "%s: cannot lock the store for the import (%s); unfinished imports of other "
             "processes are left as they are", dir, strerror(errno));
    close(f);
    return 0;
}

int vcf_stage_lock(bcms_store_t *st, int *fd) { return vcf_stage_lock_dir(bcms_store_path(st), fd); }

void vcf_stage_unlock(int fd)
{
    if (fd >= 0) close(fd); /* releases the flock */
}

static void mark_key(char *k, size_t n, uint32_t id) { snprintf(k, n, MARK_PREFIX "%010u", id); }

int vcf_stage_mark(bcms_store_t *st, MDB_txn *txn, uint32_t id, const char *what)
{
    char k[64], host[256] = "", when[32], *v;
    time_t now = time(NULL);
    int rc;
    mark_key(k, sizeof k, id);
    gethostname(host, sizeof host - 1);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    size_t n = strlen(what) + strlen(host) + 96;
    if (!(v = malloc(n))) return bcms_err(BCMS_ENOMEM, "out of memory");
    snprintf(v, n, "started=%s host=%s pid=%ld files=%s", when, host, (long)getpid(), what);
    MDB_val key = {strlen(k), k}, val = {strlen(v), v};
    rc = mdb_put(txn, bcms_store_dbi(st, DBI_META), &key, &val, 0);
    free(v);
    return rc ? bcms_lmdb_err(rc, "marking the import as unfinished") : 0;
}

int vcf_stage_unmark(bcms_store_t *st, MDB_txn *txn, uint32_t id)
{
    char k[64];
    mark_key(k, sizeof k, id);
    MDB_val key = {strlen(k), k};
    int rc = mdb_del(txn, bcms_store_dbi(st, DBI_META), &key, NULL);
    return rc && rc != MDB_NOTFOUND ? bcms_lmdb_err(rc, "removing the unfinished-import marker") : 0;
}

/* Delete the blocks of dataset id from one table. */
static int del_blocks(bcms_store_t *st, MDB_txn *txn, int which, uint32_t id)
{
    MDB_cursor *c;
    uint8_t first[8];
    MDB_val k = {8, first}, v;
    int rc = mdb_cursor_open(txn, bcms_store_dbi(st, which), &c);
    if (rc) return bcms_lmdb_err(rc, "removing an unfinished import");
    /* seek the dataset's first remaining block each time: the cursor's place after a delete is
     * LMDB's business */
    for (;;) {
        bcms_block_key(first, id, 0);
        k.mv_size = 8, k.mv_data = first;
        if ((rc = bcms_mdb_cursor_get(st, c, &k, &v, MDB_SET_RANGE))) break;
        if (k.mv_size != 8 || be32_get(k.mv_data) != id) { rc = MDB_NOTFOUND; break; }
        if ((rc = mdb_cursor_del(c, 0))) break;
    }
    mdb_cursor_close(c);
    return rc && rc != MDB_NOTFOUND ? bcms_lmdb_err(rc, "removing an unfinished import") : 0;
}

/* Inside txn: the blocks and the marker of import id go, and the dataset counter goes back to id
 * when nothing took a number after it. */
static int discard_in(bcms_store_t *st, MDB_txn *txn, uint32_t id)
{
    MDB_val key = {strlen("next_dataset"), "next_dataset"}, val;
    uint8_t b[4];
    int rc;
    if ((rc = del_blocks(st, txn, DBI_SITES, id)) || (rc = del_blocks(st, txn, DBI_GT, id)) ||
        (rc = vcf_stage_unmark(st, txn, id)))
        return rc;
    rc = bcms_mdb_get(st, txn, DBI_META, &key, &val);
    if (!rc && val.mv_size == 4 && be32_get(val.mv_data) == id + 1) {
        be32_put(b, id);
        val.mv_size = 4, val.mv_data = b;
        rc = mdb_put(txn, bcms_store_dbi(st, DBI_META), &key, &val, 0);
    } else if (rc == MDB_NOTFOUND) {
        rc = 0;
    }
    return rc ? bcms_lmdb_err(rc, "removing an unfinished import") : 0;
}

int vcf_stage_discard(bcms_store_t *st, uint32_t id)
{
    MDB_txn *txn;
    int rc = bcms_txn_begin(st, 0, &txn);
    if (rc) return rc;
    if ((rc = discard_in(st, txn, id))) {
        mdb_txn_abort(txn);
        return rc;
    }
    return bcms_txn_commit(txn);
}

int vcf_stage_each(bcms_store_t *st, MDB_txn *txn, vcf_stage_fn fn, void *ud)
{
    MDB_cursor *c;
    MDB_val k = {strlen(MARK_PREFIX), MARK_PREFIX}, v;
    const size_t pl = strlen(MARK_PREFIX);
    int rc = mdb_cursor_open(txn, bcms_store_dbi(st, DBI_META), &c);
    if (rc) return bcms_lmdb_err(rc, "looking for unfinished imports");
    for (rc = bcms_mdb_cursor_get(st, c, &k, &v, MDB_SET_RANGE); !rc; rc = bcms_mdb_cursor_get(st, c, &k, &v, MDB_NEXT)) {
        char id[16];
        if (k.mv_size <= pl || k.mv_size - pl >= sizeof id || memcmp(k.mv_data, MARK_PREFIX, pl)) break;
        memcpy(id, (char *)k.mv_data + pl, k.mv_size - pl);
        id[k.mv_size - pl] = 0;
        if ((rc = fn((uint32_t)strtoul(id, NULL, 10), v.mv_data, v.mv_size, ud))) break;
    }
    mdb_cursor_close(c);
    if (rc == MDB_NOTFOUND) return 0;
    return rc < 0 ? rc : bcms_lmdb_err(rc, "looking for unfinished imports");
}

typedef struct {
    bcms_store_t *st;
    uint32_t ids[64];
    int n;
} stale_t;

static int stale_add(uint32_t id, const char *what, size_t len, void *ud)
{
    stale_t *s = ud;
    bcms_log(BCMS_LOG_WARN, "%s: removing the blocks of an import that did not finish (dataset %u, %.*s)",
             bcms_store_path(s->st), id, (int)(len < 400 ? len : 400), what);
    s->ids[s->n++] = id;
    return s->n == 64 ? MDB_NOTFOUND : 0; /* the rest at the next import */
}

int vcf_stage_clean(bcms_store_t *st)
{
    MDB_txn *txn;
    stale_t s = {st, {0}, 0};
    int rc = bcms_txn_begin(st, 0, &txn);
    if (rc) return rc;
    if ((rc = vcf_stage_each(st, txn, stale_add, &s))) goto fail;
    /* newest first, so that each gives the dataset counter back in turn */
    for (int i = s.n - 1; i >= 0; i--)
        if ((rc = discard_in(st, txn, s.ids[i]))) goto fail;
    return bcms_txn_commit(txn);
fail:
    mdb_txn_abort(txn);
    return rc;
}

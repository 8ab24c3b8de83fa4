/* store.c: opening, creating and checking a bcms store (an LMDB environment directory). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bytes.h"
#include "err.h"
#include "guard.h"
#include "store.h"
#include "bcms_version.h"

#define STORE_MAGIC "bcms-genotype-store"
/* LMDB reserves address space, not disk: a large map lets a store grow to national scale. */
#define STORE_MAPSIZE ((size_t)1 << 40)

struct bcms_store_t {
    MDB_env *env;
    MDB_dbi dbi[DBI_N];
    char *path;
    int rdonly;
    const char *map;           /* LMDB's map of data.mdb */
    size_t map_size;
    size_t file_size;          /* data.mdb's size when the last transaction began (it only grows) */
    uint32_t major;            /* meta/format's major */
};

static const char *dbi_names[DBI_N] = {"meta", "samples", "sample_ids", "datasets", "sites", "gt", "pheno"};

int bcms_lmdb_err(int rc, const char *what)
{
    if (rc == MDB_MAP_FULL)
        return bcms_err(BCMS_ESTORE, "%s: the store map is full (%s)", what, mdb_strerror(rc));
    if (rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_INVALID)
        return bcms_err(BCMS_ECORRUPT, "%s: the store is damaged (%s); restore the store from a backup", what,
                        rc == MDB_CORRUPTED ? "a damaged page" : mdb_strerror(rc));
    if (rc == EACCES || rc == EROFS)
        return bcms_err(BCMS_ESTORE, "%s: permission denied (%s)", what, mdb_strerror(rc));
    /* every write of bcms is inside one transaction that is then aborted: nothing reached the store */
    if (rc == ENOSPC || rc == EDQUOT)
        return bcms_err(BCMS_ESTORE, "%s: no space left on device; the store is unchanged: free some space (or use "
                        "a store on a larger disk) and run the command again", what);
    return bcms_err(BCMS_ESTORE, "%s: %s", what, mdb_strerror(rc));
}


MDB_env *bcms_store_env(bcms_store_t *st) { return st->env; }
uint32_t bcms_store_format_major(const bcms_store_t *st) { return st->major; }
MDB_dbi bcms_store_dbi(bcms_store_t *st, int which) { return st->dbi[which]; }
const char *bcms_store_path(const bcms_store_t *st) { return st->path; }

/* The map and the file's size, for bcms_store_val_ok: a committed snapshot lies inside the file, so
 * a value reaching past its end comes from a damaged page. */
static void store_map_refresh(bcms_store_t *st)
{
    mdb_filehandle_t fd;
    struct stat sb;
    if (!mdb_env_get_fd(st->env, &fd) && !fstat(fd, &sb) && (size_t)sb.st_size > st->file_size)
        __atomic_store_n(&st->file_size, (size_t)sb.st_size, __ATOMIC_RELAXED);
}

/* Where LMDB mapped data.mdb: LMDB does not say (mdb_env_info's me_mapaddr is only the fixed-map
 * hint), so find the mapping of the file's inode in /proc/self/maps (Linux). Without it the value
 * range check is skipped; the fault guard still holds. */
static void store_map_find(bcms_store_t *st)
{
    mdb_filehandle_t fd;
    struct stat sb;
    char line[4352];
    FILE *fp;
    if (mdb_env_get_fd(st->env, &fd) || fstat(fd, &sb) || !(fp = fopen("/proc/self/maps", "r"))) return;
    while (fgets(line, sizeof line, fp)) {
        unsigned long lo, hi, off, ino;
        unsigned dmaj, dmin;
        if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &dmaj, &dmin, &ino) == 6 && off == 0 &&
            ino == (unsigned long)sb.st_ino && makedev(dmaj, dmin) == sb.st_dev) {
            st->map = (const char *)lo;
            st->map_size = hi - lo;
            break;
        }
    }
    fclose(fp);
    store_map_refresh(st);
}

const void *bcms_store_map(const bcms_store_t *st, size_t *file_size)
{
    *file_size = __atomic_load_n(&st->file_size, __ATOMIC_RELAXED);
    return st->map;
}

void bcms_store_map_release(const bcms_store_t *st)
{
    size_t n;
    const char *map = bcms_store_map(st, &n);
    long pg = sysconf(_SC_PAGESIZE);
    if (!map || pg <= 0) return;
    uintptr_t a = (uintptr_t)map, lo = (a + (uintptr_t)pg - 1) & ~((uintptr_t)pg - 1);
    uintptr_t hi = (a + n) & ~((uintptr_t)pg - 1);
    if (hi > lo) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

int bcms_store_val_ok(const bcms_store_t *st, const MDB_val *v)
{
    const char *p = v->mv_data;
    size_t lim = __atomic_load_n(&st->file_size, __ATOMIC_RELAXED);
    if (!st->map || !p || p < st->map || p >= st->map + st->map_size) return 1; /* not in the map (a write's dirty page) */
    return (size_t)(p - st->map) <= lim && v->mv_size <= lim - (size_t)(p - st->map);
}

int bcms_mdb_get(bcms_store_t *st, MDB_txn *txn, int which, MDB_val *key, MDB_val *val)
{
    int rc;
    BCMS_GUARD(rc, mdb_get(txn, st->dbi[which], key, val));
    if (!rc && !bcms_store_val_ok(st, val)) rc = MDB_CORRUPTED;
    return rc;
}

int bcms_mdb_cursor_get(bcms_store_t *st, MDB_cursor *cur, MDB_val *key, MDB_val *val, MDB_cursor_op op)
{
    int rc;
    BCMS_GUARD(rc, mdb_cursor_get(cur, key, val, op));
    if (!rc && (!bcms_store_val_ok(st, key) || !bcms_store_val_ok(st, val))) rc = MDB_CORRUPTED;
    return rc;
}

int bcms_txn_begin(bcms_store_t *st, int rdonly, MDB_txn **txn)
{
    int rc;
    rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
    store_map_refresh(st);
    return rc ? bcms_lmdb_err(rc, st->path) : 0;
}

int bcms_txn_commit(MDB_txn *txn)
{
    MDB_env *env = mdb_txn_env(txn);
    const char *dir = NULL;
    struct statvfs vs;
    int rc = mdb_txn_commit(txn);
    if (!rc) return 0;
    /* a failed write-back of the data file is reported as EIO: name the likely cause when the store's
     * filesystem is (nearly) full; the transaction is gone either way, so the store is unchanged */
    if (rc == EIO && !mdb_env_get_path(env, &dir) && dir && !statvfs(dir, &vs) &&
        (uint64_t)vs.f_bavail * vs.f_frsize < ((uint64_t)64 << 20))
        rc = ENOSPC;
    return bcms_lmdb_err(rc, "commit");
}

static int meta_put(bcms_store_t *st, MDB_txn *txn, const char *k, const void *v, size_t n)
{
    MDB_val key = {strlen(k), (void *)k}, val = {n, (void *)v};
    int rc = mdb_put(txn, st->dbi[DBI_META], &key, &val, 0);
    return rc ? bcms_lmdb_err(rc, "writing store metadata") : 0;
}

char *bcms_meta_get_str(bcms_store_t *st, MDB_txn *txn, const char *k)
{
    MDB_val key = {strlen(k), (void *)k}, val;
    char *s;
    if (bcms_mdb_get(st, txn, DBI_META, &key, &val)) return NULL;
    if (!(s = malloc(val.mv_size + 1))) return NULL;
    memcpy(s, val.mv_data, val.mv_size);
    s[val.mv_size] = 0;
    return s;
}

int bcms_meta_next_id(bcms_store_t *st, MDB_txn *txn, const char *counter, uint32_t *id)
{
    MDB_val key = {strlen(counter), (void *)counter}, val;
    uint8_t b[4];
    uint32_t v = 0;
    int rc = bcms_mdb_get(st, txn, DBI_META, &key, &val);
    if (rc && rc != MDB_NOTFOUND) return bcms_lmdb_err(rc, "reading a store counter");
    if (!rc && val.mv_size == 4) v = be32_get(val.mv_data);
    if ((!rc && val.mv_size != 4) || v == UINT32_MAX) /* a counter is never anything else */
        return bcms_err(BCMS_ECORRUPT, "%s: the store counter '%s' is damaged; restore the store from a backup",
                        st->path, counter);
    *id = v;
    be32_put(b, v + 1);
    return meta_put(st, txn, counter, b, 4);
}

int bcms_meta_add_history(bcms_store_t *st, MDB_txn *txn, const char *line)
{
    uint32_t n;
    char key[32];
    int rc = bcms_meta_next_id(st, txn, "history_n", &n);
    if (rc) return rc;
    snprintf(key, sizeof key, "history/%08u", n);
    return meta_put(st, txn, key, line, strlen(line));
}

/* CRC-32 of a registry entry: the IID bytes, then the sample number as a big-endian u32. Both
 * tables store it, so a changed byte in either the IID or the number is detected. */
static uint32_t sample_crc(const void *iid, size_t len, uint32_t num)
{
    uint8_t b[4];
    uLong c = crc32(0L, (const Bytef *)iid, (uInt)len);
    be32_put(b, num);
    return (uint32_t)crc32(c, b, 4);
}

static int iid_check(const char *iid)
{
    size_t n = strlen(iid);
    if (n == 0) return bcms_err(BCMS_EINPUT, "an empty sample name (IID); every sample needs a name");
    if (n > BCMS_IID_MAX)
        return bcms_err(BCMS_EINPUT, "sample name '%.40s...' is %zu bytes long; bcms keeps IIDs of at most %d bytes: "
                        "rename the sample (bcftools reheader -s)", iid, n, BCMS_IID_MAX);
    return 0;
}

int bcms_sample_lookup(bcms_store_t *st, MDB_txn *txn, const char *iid, uint32_t *num)
{
    MDB_val key = {strlen(iid), (void *)iid}, val;
    int rc;
    if (key.mv_size == 0 || key.mv_size > BCMS_IID_MAX) return BCMS_ENOTFOUND;
    rc = bcms_mdb_get(st, txn, DBI_SAMPLES, &key, &val);
    if (rc == MDB_NOTFOUND) return BCMS_ENOTFOUND;
    if (rc) return bcms_lmdb_err(rc, "reading the sample registry");
    if (val.mv_size != 8 ||
        be32_get((const uint8_t *)val.mv_data + 4) != sample_crc(iid, key.mv_size, be32_get(val.mv_data)))
        return bcms_err(BCMS_ECORRUPT, "%s: the sample registry entry of '%.40s' is damaged (checksum); restore the "
                        "store from a backup", st->path, iid);
    *num = be32_get(val.mv_data);
    return 0;
}

int bcms_sample_intern(bcms_store_t *st, MDB_txn *txn, const char *iid, uint32_t *num, int *added)
{
    uint8_t b[8], *named = NULL;
    MDB_val key, val;
    size_t len = strlen(iid);
    int rc;
    if (added) *added = 0;
    if ((rc = iid_check(iid))) return rc;
    rc = bcms_sample_lookup(st, txn, iid, num);
    if (rc != BCMS_ENOTFOUND) return rc;
    if ((rc = bcms_meta_next_id(st, txn, "next_sample", num))) return rc;
    be32_put(b, *num);
    be32_put(b + 4, sample_crc(iid, len, *num));
    if (!(named = malloc(len + 4))) return BCMS_ENOMEM;
    memcpy(named, iid, len);
    memcpy(named + len, b + 4, 4);
    key.mv_size = len, key.mv_data = (void *)iid;
    val.mv_size = 8, val.mv_data = b;
    if ((rc = mdb_put(txn, st->dbi[DBI_SAMPLES], &key, &val, 0))) goto lmdb;
    key.mv_size = 4, key.mv_data = b;
    val.mv_size = len + 4, val.mv_data = named;
    /* a number already taken means the counter went back (damage): never give one number two IIDs */
    if ((rc = mdb_put(txn, st->dbi[DBI_SAMPLE_IDS], &key, &val, MDB_NOOVERWRITE)) == MDB_KEYEXIST) {
        free(named);
        return bcms_err(BCMS_ECORRUPT, "%s: the store counter 'next_sample' is damaged (sample number %u is taken); "
                        "restore the store from a backup", st->path, *num);
    }
    if (rc) goto lmdb;
    free(named);
    if (added) *added = 1;
    return 0;
lmdb:
    free(named);
    return bcms_lmdb_err(rc, "adding a sample");
}

int bcms_sample_name(bcms_store_t *st, MDB_txn *txn, uint32_t num, const char **iid, size_t *len)
{
    uint8_t b[4];
    MDB_val key = {4, b}, val;
    int rc;
    be32_put(b, num);
    rc = bcms_mdb_get(st, txn, DBI_SAMPLE_IDS, &key, &val);
    if (rc == MDB_NOTFOUND) return bcms_err(BCMS_ECORRUPT, "sample number %u is not in the registry", num);
    if (rc) return bcms_lmdb_err(rc, "reading the sample registry");
    if (val.mv_size < 5 || val.mv_size - 4 > BCMS_IID_MAX ||
        be32_get((const uint8_t *)val.mv_data + val.mv_size - 4) != sample_crc(val.mv_data, val.mv_size - 4, num))
        return bcms_err(BCMS_ECORRUPT, "%s: the sample registry entry of sample number %u is damaged (checksum); "
                        "restore the store from a backup", st->path, num);
    *iid = val.mv_data;
    *len = val.mv_size - 4;
    return 0;
}

int bcms_sample_names(bcms_store_t *st, MDB_txn *txn, const uint32_t *nums, uint32_t n, char ***out)
{
    char **v = calloc((size_t)n + 1, sizeof *v);
    *out = NULL;
    if (!v) return BCMS_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        const char *s = NULL;
        size_t l = 0;
        int rc = bcms_sample_name(st, txn, nums[i], &s, &l);
        if (rc || !(v[i] = strndup(s, l))) {
            bcms_sample_names_free(v, i);
            return rc ? rc : BCMS_ENOMEM;
        }
    }
    *out = v;
    return 0;
}

void bcms_sample_names_free(char **names, uint32_t n)
{
    for (uint32_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

/* A new store: write magic, format version and creation provenance. */
static int store_init_meta(bcms_store_t *st, MDB_txn *txn)
{
    char buf[256];
    uint8_t v[8];
    time_t now = time(NULL);
    int rc;
    be32_put(v, BCMS_FORMAT_MAJOR);
    be32_put(v + 4, BCMS_FORMAT_MINOR);
    st->major = BCMS_FORMAT_MAJOR;
    if ((rc = meta_put(st, txn, "magic", STORE_MAGIC, strlen(STORE_MAGIC)))) return rc;
    if ((rc = meta_put(st, txn, "format", v, 8))) return rc;
    snprintf(buf, sizeof buf, "bcms %s", BCMS_VERSION);
    if ((rc = meta_put(st, txn, "created_by", buf, strlen(buf)))) return rc;
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    return meta_put(st, txn, "created_at", buf, strlen(buf));
}

/* Check magic and version of an existing store. */
static int store_check_meta(bcms_store_t *st, MDB_txn *txn)
{
    MDB_val key = {5, "magic"}, val;
    uint32_t major, minor;
    if (bcms_mdb_get(st, txn, DBI_META, &key, &val) || val.mv_size != strlen(STORE_MAGIC) ||
        memcmp(val.mv_data, STORE_MAGIC, val.mv_size))
        return bcms_err(BCMS_EFOREIGN, "%s is an LMDB environment but not a bcms store (no bcms magic)", st->path);
    key.mv_size = 6, key.mv_data = "format";
    if (bcms_mdb_get(st, txn, DBI_META, &key, &val) || val.mv_size != 8)
        return bcms_err(BCMS_ECORRUPT, "%s: format version record is missing or damaged", st->path);
    major = be32_get(val.mv_data);
    minor = be32_get((uint8_t *)val.mv_data + 4);
    if (major < BCMS_FORMAT_OLDEST)
        return bcms_err(BCMS_EVERSION, "%s has store format %u.%u: it was made by an older bcms; this bcms %s reads "
                        "formats %d.x to %d.x: re-import the VCF/BCF files into a new store (or use the older bcms)",
                        st->path, major, minor, BCMS_VERSION, BCMS_FORMAT_OLDEST, BCMS_FORMAT_MAJOR);
    if (major > BCMS_FORMAT_MAJOR)
        return bcms_err(BCMS_EVERSION, "%s has store format %u.%u; this bcms %s reads formats %d.x to %d.x: "
                        "use a matching bcms version", st->path, major, minor, BCMS_VERSION, BCMS_FORMAT_OLDEST,
                        BCMS_FORMAT_MAJOR);
    st->major = major;
    return 0;
}

static int default_nolock;

void bcms_store_default_nolock(int on) { default_nolock = on != 0; }

static int dbi_open_guarded(MDB_txn *txn, const char *name, unsigned flags, MDB_dbi *dbi)
{
    int r;
    BCMS_GUARD(r, mdb_dbi_open(txn, name, flags, dbi));
    return r;
}

static int store_open_tables(bcms_store_t *st, MDB_txn *txn, int creating)
{
    for (int i = 0; i < DBI_N; i++) {
        int r = dbi_open_guarded(txn, dbi_names[i], creating ? MDB_CREATE : 0, &st->dbi[i]);
        if (r == MDB_NOTFOUND && !creating)
            return bcms_err(BCMS_EFOREIGN, "%s is an LMDB environment but not a bcms store (no '%s' table)",
                            st->path, dbi_names[i]);
        if (r) return bcms_lmdb_err(r, st->path);
    }
    return 0;
}

int bcms_store_open(const char *path, int flags, bcms_store_t **out)
{
    bcms_store_t *st;
    struct stat sb;
    char datafile[4096];
    MDB_txn *txn = NULL;
    int rc, creating = 0, rdonly = (flags & BCMS_STORE_RDONLY) != 0;
    unsigned envflags = MDB_NOTLS | MDB_NORDAHEAD;

    *out = NULL;
    if (!path || !*path) return bcms_err(BCMS_EINVAL, "no store path given");
    if (default_nolock) {
        if (!rdonly)
            return bcms_err(BCMS_EINVAL, "--no-lock is for commands that only read a store; this one writes %s "
                            "(run it without --no-lock, on a store no other process writes)", path);
        flags |= BCMS_STORE_NOLOCK;
    }
    if (snprintf(datafile, sizeof datafile, "%s/data.mdb", path) >= (int)sizeof datafile)
        return bcms_err(BCMS_EINVAL, "store path is too long");
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT || !(flags & BCMS_STORE_CREATE) || rdonly)
            return bcms_err(BCMS_ENOTFOUND, "%s: no such store (%s)", path, strerror(errno));
        /* clinical data will live here: readable by the owner only */
        if (mkdir(path, 0700) != 0)
            return bcms_err(BCMS_EIO, "%s: cannot create store directory: %s", path, strerror(errno));
        creating = 1;
    } else if (!S_ISDIR(sb.st_mode)) {
        return bcms_err(BCMS_EFOREIGN, "%s is a file, not a bcms store (a store is a directory)", path);
    } else if (stat(datafile, &sb) != 0) {
        if (!(flags & BCMS_STORE_CREATE) || rdonly)
            return bcms_err(BCMS_EFOREIGN, "%s is a directory but not a bcms store (no data.mdb)", path);
        creating = 1;
    }

    if (!(st = calloc(1, sizeof *st)) || !(st->path = strdup(path))) {
        free(st);
        return BCMS_ENOMEM;
    }
    st->rdonly = rdonly;
    if (rdonly) envflags |= MDB_RDONLY;
    if (flags & BCMS_STORE_NOLOCK) envflags |= MDB_NOLOCK;
    if ((rc = mdb_env_create(&st->env)) || (rc = mdb_env_set_maxdbs(st->env, 16)) ||
        (rc = mdb_env_set_mapsize(st->env, STORE_MAPSIZE)) || (rc = mdb_env_set_maxreaders(st->env, 1022))) {
        rc = bcms_lmdb_err(rc, path);
        goto fail;
    }
    if ((rc = mdb_env_open(st->env, path, envflags, 0600))) {
        if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH)
            rc = bcms_err(BCMS_EFOREIGN, "%s: data.mdb is not a readable LMDB environment (%s); "
                          "it is not a bcms store or it is damaged", path, mdb_strerror(rc));
        else
            rc = bcms_lmdb_err(rc, path);
        goto fail;
    }
    store_map_find(st);
    if ((rc = bcms_txn_begin(st, rdonly, &txn))) goto fail;
    if ((rc = store_open_tables(st, txn, creating))) goto fail;
    if (creating) {
        if ((rc = store_init_meta(st, txn))) goto fail;
    } else if ((rc = store_check_meta(st, txn))) {
        goto fail;
    }
    if ((rc = bcms_txn_commit(txn))) {
        txn = NULL;
        goto fail;
    }
    *out = st;
    return 0;
fail:
    if (txn) mdb_txn_abort(txn);
    bcms_store_close(st);
    return rc;
}

void bcms_store_close(bcms_store_t *st)
{
    if (!st) return;
    if (st->env) mdb_env_close(st->env);
    free(st->path);
    free(st);
}

/* store.h: a bcms store: one LMDB environment directory (NAME.bcms/) holding the genotypes of
 * every imported dataset, the global sample registry and provenance. See engine/FORMAT.md.
 *
 * Concurrency is LMDB's: one writer at a time, any number of readers in any process, each reader
 * seeing the snapshot of its read transaction. A scan opened while an import runs sees the store as
 * it was before the import. Read-only opens may pass BCMS_STORE_NOLOCK for shared filesystems where
 * no writer runs. */
#ifndef BCMS_STORE_H
#define BCMS_STORE_H

#include <stdint.h>
#include <lmdb.h>

#define BCMS_FORMAT_MAJOR 3 /* new stores; 3.0: frames may be Zstandard (codec 2) */
#define BCMS_FORMAT_MINOR 0
#define BCMS_FORMAT_OLDEST 2 /* the oldest major read: 2.x (DEFLATE frames only; 2.1 the grm table, 2.2 its variant records) */

enum {
    BCMS_STORE_RDONLY = 1,  /* open read-only */
    BCMS_STORE_CREATE = 2,  /* create if absent (read-write) */
    BCMS_STORE_NOLOCK = 4,  /* read-only without the lock file (no concurrent writer!) */
};

typedef struct bcms_store_t bcms_store_t;

/* Open (or create) the store at path. *out owns the environment; close with bcms_store_close.
 * Returns 0, BCMS_ENOTFOUND (no store and no CREATE), BCMS_EFOREIGN (a directory or file that is
 * not a bcms store), BCMS_EVERSION (unknown major format version), BCMS_ESTORE. */
int bcms_store_open(const char *path, int flags, bcms_store_t **out);
void bcms_store_close(bcms_store_t *st);

/* Make every later read-only open use BCMS_STORE_NOLOCK, and refuse opens that would write (the
 * CLI's --no-lock, accepted by every command). Not thread-safe: call it once at start. */
void bcms_store_default_nolock(int on);

const char *bcms_store_path(const bcms_store_t *st);

/* The store's format major (2 or 3): an import into a 2.x store writes DEFLATE frames, so that every
 * bcms of that major still reads it. */
uint32_t bcms_store_format_major(const bcms_store_t *st);

/* The named databases (see FORMAT.md). */
enum bcms_dbi { DBI_META, DBI_SAMPLES, DBI_SAMPLE_IDS, DBI_DATASETS, DBI_SITES, DBI_GT, DBI_PHENO, DBI_N };

MDB_env *bcms_store_env(bcms_store_t *st);
MDB_dbi bcms_store_dbi(bcms_store_t *st, int which);

/* Transactions. A read transaction is a snapshot; everything read through it (mdb_get values)
 * points into the map and is valid only until it ends. Returns 0 or BCMS_ESTORE. */
int bcms_txn_begin(bcms_store_t *st, int rdonly, MDB_txn **txn);
int bcms_txn_commit(MDB_txn *txn);

/* Reads of the store under the memory-fault guard (guard.h), with the value (and, for cursors, the
 * key) checked to lie inside the data file: they return LMDB's codes, MDB_CORRUPTED for a damaged
 * page, so callers translate them with bcms_lmdb_err as before. */
int bcms_mdb_get(bcms_store_t *st, MDB_txn *txn, int which, MDB_val *key, MDB_val *val);
int bcms_mdb_cursor_get(bcms_store_t *st, MDB_cursor *cur, MDB_val *key, MDB_val *val, MDB_cursor_op op);
/* 1 when a value LMDB returned lies inside the data file (or outside the map: a write's own page). */
int bcms_store_val_ok(const bcms_store_t *st, const MDB_val *v);
/* Where data.mdb is mapped and the file's size (NULL when unknown): a streaming reader drops the
 * pages it has read from its resident set (madvise) so memory does not grow with the store. */
const void *bcms_store_map(const bcms_store_t *st, size_t *file_size);
/* Drop the map's pages from this process's resident set (MADV_DONTNEED; the page cache keeps them,
 * LMDB maps them again when it reads): the page cache holds data.mdb in large folios, so a few
 * B-tree lookups or an import's commits would otherwise make megabytes of the file resident. */
void bcms_store_map_release(const bcms_store_t *st);

/* Translate an LMDB return code into a BCMS code with a detail message naming what was done. */
int bcms_lmdb_err(int rc, const char *what);

/* Key of a block: dataset id and block number, big-endian so a cursor walks a dataset in order. */
static inline void bcms_block_key(uint8_t key[8], uint32_t dataset, uint32_t block)
{
    key[0] = dataset >> 24; key[1] = dataset >> 16; key[2] = dataset >> 8; key[3] = dataset;
    key[4] = block >> 24; key[5] = block >> 16; key[6] = block >> 8; key[7] = block;
}

/* Meta values: counters and history (all inside the caller's write transaction). */
int bcms_meta_next_id(bcms_store_t *st, MDB_txn *txn, const char *counter, uint32_t *id);
int bcms_meta_add_history(bcms_store_t *st, MDB_txn *txn, const char *line);
/* Meta text value (NULL if absent); copied, caller frees. */
char *bcms_meta_get_str(bcms_store_t *st, MDB_txn *txn, const char *key);

/* LMDB's key limit: an IID is a key of the sample registry. */
#define BCMS_IID_MAX 511

/* Sample registry: look up or add an IID; returns its global sample number in *num. Every entry of
 * `samples` and `sample_ids` carries a CRC-32 checked on read (BCMS_ECORRUPT "damaged" naming it).
 * An IID that is empty or longer than BCMS_IID_MAX bytes is BCMS_EINPUT. */
int bcms_sample_intern(bcms_store_t *st, MDB_txn *txn, const char *iid, uint32_t *num, int *added);
int bcms_sample_lookup(bcms_store_t *st, MDB_txn *txn, const char *iid, uint32_t *num);
/* IIDs of n sample numbers, copied: *out is an array of n strings the caller frees with
 * bcms_sample_names_free. */
int bcms_sample_names(bcms_store_t *st, MDB_txn *txn, const uint32_t *nums, uint32_t n, char ***out);
void bcms_sample_names_free(char **names, uint32_t n);

/* IID of a sample number; points into the map (valid while txn lives), not NUL-terminated; its
 * checksum is verified. */
int bcms_sample_name(bcms_store_t *st, MDB_txn *txn, uint32_t num, const char **iid, size_t *len);

#endif

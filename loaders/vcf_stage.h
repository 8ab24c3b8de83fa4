/* vcf_stage.h: an import committed in steps: blocks committed as they come, invisible until the
 * last transaction writes the dataset record; a marker `unfinished_import/ID` in the meta table
 * until then (vcf_stage.c). */
#ifndef BCMS_VCF_STAGE_H
#define BCMS_VCF_STAGE_H

#include <stdint.h>
#include "store.h"

/* Frames committed per transaction: what an import holds of LMDB's dirty pages at most. */
#define VCF_STAGE_BYTES ((uint64_t)2 << 20)

/* The import lock (an flock on the store directory), waited for with a message when another
 * import holds it; *fd is -1 when the filesystem has no locks (a warning says so) or, for
 * vcf_stage_lock_dir, when dir is absent or not a directory (the store's open says why). */
int vcf_stage_lock_dir(const char *dir, int *fd);
int vcf_stage_lock(bcms_store_t *st, int *fd);
void vcf_stage_unlock(int fd);
/* Under the lock: remove every unfinished import's blocks and marker (one transaction, warning
 * for each). */
int vcf_stage_clean(bcms_store_t *st);
/* fn(id, marker text, its length, ud) for every unfinished import's marker, in id order; a nonzero
 * return stops the walk (MDB_NOTFOUND: quietly). */
typedef int (*vcf_stage_fn)(uint32_t id, const char *what, size_t len, void *ud);
int vcf_stage_each(bcms_store_t *st, MDB_txn *txn, vcf_stage_fn fn, void *ud);
/* The marker of import id (what: its input files), inside txn; its removal. */
int vcf_stage_mark(bcms_store_t *st, MDB_txn *txn, uint32_t id, const char *what);
int vcf_stage_unmark(bcms_store_t *st, MDB_txn *txn, uint32_t id);
/* A failed import's blocks, marker and dataset number, in a transaction of its own. */
int vcf_stage_discard(bcms_store_t *st, uint32_t id);

#endif

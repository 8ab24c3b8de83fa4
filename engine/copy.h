/* copy.h: a consistent snapshot of a store into a new directory, for staging a store from a shared
 * filesystem to node-local scratch before a scan (LMDB advises against network filesystems for a
 * store that is written; a read-only snapshot on local disk is safe and fast). */
#ifndef BCMS_COPY_H
#define BCMS_COPY_H

#include "store.h"

/* Copy the store src (opened read-only; nolock: without the lock file, for a read-only shared copy)
 * to the new directory dest, which must not exist. compact: LMDB's compacting copy (free pages
 * dropped, pages renumbered), else a page-for-page copy. The copy is written into a private
 * sibling directory and renamed to dest only after it has been opened and checked as a bcms store,
 * so dest never appears half-written. Returns 0 or a BCMS code with a detail message. */
int bcms_store_copy(const char *src, const char *dest, int compact, int nolock);

#endif

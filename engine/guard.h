/* guard.h: a memory fault while reading the mapped store becomes "the store is damaged".
 *
 * LMDB 0.9 keeps no page checksums and trusts its file: a damaged page can send its B-tree walk
 * through a bad pointer (SIGSEGV) or past the end of the file (SIGBUS) before any bcms checksum is
 * reached. The read path therefore runs each LMDB lookup under a guard: a SIGSEGV or SIGBUS raised
 * inside it returns control to the guard, which reports BCMS_ECORRUPT instead of a crash. Values LMDB
 * returns are also checked to lie inside the data file (bcms_store_val_check in store.h), so the
 * decoders that read them never touch a page past its end.
 *
 * The guard is thread-local (a fault is delivered to the thread that caused it), so parallel scans
 * guard their own lookups. A fault outside any guarded call is not ours: the previous handler (the
 * default action, or a sanitizer's) is put back and the fault happens again, unchanged.
 *
 * Use it around one call whose outputs live in memory (not in the caller's registers):
 *     BCMS_GUARD(rc, mdb_get(txn, dbi, &key, &val));
 * rc receives the call's value, or BCMS_GUARD_FAULT after a fault. The guarded call must not
 * allocate memory it would leak if abandoned half-way (LMDB's read calls do not allocate). */
#ifndef BCMS_GUARD_H
#define BCMS_GUARD_H

#include <setjmp.h>

/* The value a guarded call yields after a memory fault (LMDB's own code for a damaged page, so the
 * usual translation, bcms_lmdb_err, names it as damage). */
#define BCMS_GUARD_FAULT (-30796) /* MDB_CORRUPTED */

typedef struct {
    sigjmp_buf jb;
    volatile int active;
} bcms_guard_t;

/* The calling thread's guard; installs the SIGSEGV/SIGBUS handler on first use. */
bcms_guard_t *bcms_guard_self(void);

#define BCMS_GUARD(rc, call)                                                                        \
    do {                                                                                            \
        bcms_guard_t *bcms_g_ = bcms_guard_self();                                                  \
        if (bcms_g_->active) {                                                                      \
            (rc) = (call); /* nested: the outer guard catches */                                    \
        } else if (sigsetjmp(bcms_g_->jb, 0)) {                                                     \
            bcms_g_->active = 0;                                                                    \
            (rc) = BCMS_GUARD_FAULT;                                                                \
        } else {                                                                                    \
            bcms_g_->active = 1;                                                                    \
            (rc) = (call);                                                                          \
            bcms_g_->active = 0;                                                                    \
        }                                                                                           \
    } while (0)

#endif

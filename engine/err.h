/* err.h: error codes and the one logging hook of libbcms.
 *
 * Library functions return 0 (BCMS_OK) or a negative BCMS_E* code. When they fail they also leave
 * a detail message (what was wrong, where: file, line, record; what to do) in a thread-local buffer
 * that bcms_err_detail() returns until the next bcms_err() on that thread. LMDB, htslib and zlib
 * codes are translated at the boundary; they never leak out.
 *
 * The library never prints and never exits: diagnostics go through bcms_log(), whose sink the
 * caller installs with bcms_log_set() (cli/ writes them to stderr). */
#ifndef BCMS_ERR_H
#define BCMS_ERR_H

#include <stdarg.h>

enum bcms_err {
    BCMS_OK = 0,
    BCMS_ENOMEM = -1,    /* allocation failed or a size overflowed */
    BCMS_EIO = -2,       /* reading or writing a file failed */
    BCMS_EINPUT = -3,    /* malformed input (VCF, phenotype table, visit table) */
    BCMS_EINVAL = -4,    /* bad argument or option */
    BCMS_ECORRUPT = -5,  /* the store is damaged (checksum, truncated block, bad layout) */
    BCMS_EVERSION = -6,  /* the store has a format version this build does not know */
    BCMS_ENOTFOUND = -7, /* a named thing (sample, phenotype, dataset, store) does not exist */
    BCMS_EEXIST = -8,    /* a thing already exists (store, dataset, same input file) */
    BCMS_ESTORE = -9,    /* LMDB failed (map full, locked, permissions) */
    BCMS_ENUMERIC = -10, /* a model could not be fitted (singular, no convergence) */
    BCMS_EFOREIGN = -11, /* the path is not a bcms store */
    BCMS_EINTERRUPTED = -12,
};

/* Words for a code; never NULL. */
const char *bcms_strerror(int code);

/* Record a detail message for the calling thread and return code, so that
 * `return bcms_err(BCMS_EINPUT, "%s:%d: ...", file, line);` reads naturally. The arguments may
 * include bcms_err_detail() to add context to the message of a lower layer. */
int bcms_err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last detail message of the calling thread ("" if none). Valid until the next bcms_err(). */
const char *bcms_err_detail(void);

/* Clear the detail message of the calling thread. */
void bcms_err_clear(void);

enum bcms_log_level { BCMS_LOG_ERROR = 0, BCMS_LOG_WARN = 1, BCMS_LOG_INFO = 2, BCMS_LOG_DEBUG = 3 };

typedef void (*bcms_log_fn)(int level, const char *msg, void *userdata);

/* Install the sink for library diagnostics (NULL: discard). Not thread-safe: call it once at start. */
void bcms_log_set(bcms_log_fn fn, void *userdata, int max_level);

void bcms_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* err.c: error codes, per-thread detail messages and the logging hook. */
#include <stdio.h>
#include <string.h>

#include "err.h"

static _Thread_local char err_detail[2048];

static bcms_log_fn log_fn;
static void *log_ud;
static int log_max = BCMS_LOG_INFO;

const char *bcms_strerror(int code)
{
    switch (code) {
    case BCMS_OK: return "success";
    case BCMS_ENOMEM: return "out of memory";
    case BCMS_EIO: return "input/output error";
    case BCMS_EINPUT: return "malformed input";
    case BCMS_EINVAL: return "invalid argument";
    case BCMS_ECORRUPT: return "store is corrupted";
    case BCMS_EVERSION: return "unsupported store format version";
    case BCMS_ENOTFOUND: return "not found";
    case BCMS_EEXIST: return "already exists";
    case BCMS_ESTORE: return "store (LMDB) error";
    case BCMS_ENUMERIC: return "numerical failure";
    case BCMS_EFOREIGN: return "not a bcms store";
    case BCMS_EINTERRUPTED: return "interrupted";
    default: return "unknown error";
    }
}

int bcms_err(int code, const char *fmt, ...)
{
    /* format into a scratch buffer first: callers may pass bcms_err_detail() itself to add context */
    char tmp[sizeof err_detail];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    memcpy(err_detail, tmp, sizeof tmp);
    return code;
}

const char *bcms_err_detail(void) { return err_detail; }

void bcms_err_clear(void) { err_detail[0] = 0; }

void bcms_log_set(bcms_log_fn fn, void *userdata, int max_level)
{
    log_fn = fn;
    log_ud = userdata;
    log_max = max_level;
}

void bcms_log(int level, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    if (!log_fn || level > log_max) return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_fn(level, buf, log_ud);
}

/* outfile.c: outputs written to an exclusive temporary file beside them, renamed on success,
 * removed on failure and on a terminating signal (see outfile.h). */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "outfile.h"

/* The writer is bcms's own (not htslib's BGZF handle, which leaks itself when closing fails on a
 * full disk, and crashes flushing a plain one): blocks of up to BLOCK_RAW bytes, each compressed
 * by htslib's bgzf_compress for ".gz", written with write(2); the first failure is kept in err. */
#define BLOCK_RAW 0xff00 /* htslib's BGZF_BLOCK_SIZE */
#define PLAIN_BUF (1 << 20)
/* The fsync before the rename makes the output durable; its wait, alone, was a sixth of a 1M-variant
 * freq (60 MB). The file's pages are handed to writeback every KICK bytes as they are written, so
 * the fsync waits for the last ones only. */
#define KICK (4 << 20)

struct bcms_outfile_t {
    char *path, *tmp;   /* tmp NULL: written in place (stdout, a device) */
    int fd;             /* our descriptor of the file */
    int slot;           /* in the signal registry, -1 none */
    int gz, raw, err;   /* BGZF; no writer (BCMS_OUT_RAW); the first errno of a failed write */
    uint8_t *buf, *zbuf;
    size_t len, cap;
    off_t written, kicked; /* bytes written to fd; of them, handed to writeback */
};

/* ---- temporary paths to remove on a terminating signal ---- */

#define REG_SLOTS 64
static char *volatile reg_path[REG_SLOTS];
static const int reg_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;

static void reg_on_signal(int sig)
{
    for (int i = 0; i < REG_SLOTS; i++) {
        char *p = __atomic_load_n(&reg_path[i], __ATOMIC_ACQUIRE);
        if (p) unlink(p);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void reg_install(void)
{
    for (size_t i = 0; i < sizeof reg_signals / sizeof *reg_signals; i++) {
        struct sigaction old, sa;
        /* a signal the user ignores (nohup) or a handler the program set stays as it is */
        if (sigaction(reg_signals[i], NULL, &old) || old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
            continue;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = reg_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(reg_signals[i], &sa, NULL);
    }
}

static int reg_add(char *path)
{
    int slot = -1;
    pthread_once(&reg_once, reg_install);
    pthread_mutex_lock(&reg_lock);
    for (int i = 0; i < REG_SLOTS && slot < 0; i++)
        if (!reg_path[i]) {
            __atomic_store_n(&reg_path[i], path, __ATOMIC_RELEASE);
            slot = i;
        }
    pthread_mutex_unlock(&reg_lock);
    return slot; /* -1: more than REG_SLOTS outputs at once; still removed on every other exit path */
}

static void reg_remove(int slot)
{
    if (slot < 0) return;
    pthread_mutex_lock(&reg_lock);
    __atomic_store_n(&reg_path[slot], NULL, __ATOMIC_RELEASE);
    pthread_mutex_unlock(&reg_lock);
}

/* ---- files ---- */

/* ".NAME.tmpXXXXXX" beside path, created exclusively; never follows a symlink. */
static int create_tmp(bcms_outfile_t *f, mode_t mode)
{
    const char *slash = strrchr(f->path, '/');
    size_t dl = slash ? (size_t)(slash - f->path) + 1 : 0, l = strlen(f->path) + 16;
    static unsigned counter;
    if (!(f->tmp = malloc(l))) return BCMS_ENOMEM;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^
                     __atomic_add_fetch(&counter, 0x9e3779b9u, __ATOMIC_RELAXED) ^ (unsigned)attempt * 40503u;
        char suf[7];
        for (int k = 0; k < 6; k++, r /= 36) suf[k] = "abcdefghijklmnopqrstuvwxyz0123456789"[r % 36];
        suf[6] = 0;
        snprintf(f->tmp, l, "%.*s.%s.tmp%s", (int)dl, f->path, f->path + dl, suf);
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (f->fd >= 0) return 0;
        if (errno != EEXIST) break;
    }
    return bcms_err(BCMS_EIO, "%s: cannot create a temporary file beside the output (%s): %s", f->path, f->tmp,
                    strerror(errno));
}

int bcms_outfile_open(const char *path, int flags, bcms_outfile_t **out)
{
    bcms_outfile_t *f = calloc(1, sizeof *f);
    struct stat sb;
    int rc;
    *out = NULL;
    if (!f || !(f->path = strdup(path && *path ? path : "-"))) {
        free(f);
        return BCMS_ENOMEM;
    }
    f->fd = -1;
    f->slot = -1;
    if (!strcmp(f->path, "-")) {
        if ((f->fd = dup(STDOUT_FILENO)) < 0) {
            rc = bcms_err(BCMS_EIO, "stdout: %s", strerror(errno));
            goto fail;
        }
    } else if (!lstat(f->path, &sb) && S_ISDIR(sb.st_mode)) {
        rc = bcms_err(BCMS_EIO, "%s is a directory; give a file name for the output", f->path);
        goto fail;
    } else if (!lstat(f->path, &sb) && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode))) {
        /* /dev/null, /dev/stdout, a pipe: cannot be replaced, written in place */
        if ((f->fd = open(f->path, O_WRONLY | O_CLOEXEC)) < 0) {
            rc = bcms_err(BCMS_EIO, "%s: cannot open for writing: %s", f->path, strerror(errno));
            goto fail;
        }
    } else {
        if ((rc = create_tmp(f, (flags & BCMS_OUT_PRIVATE) ? 0600 : 0666))) goto fail;
        f->slot = reg_add(f->tmp);
    }
    f->raw = (flags & BCMS_OUT_RAW) != 0;
    f->gz = !f->raw && bcms_out_is_gz(f->path);
    f->cap = f->gz ? BLOCK_RAW : PLAIN_BUF;
    if (!f->raw && (!(f->buf = malloc(f->cap)) || (f->gz && !(f->zbuf = malloc(BGZF_MAX_BLOCK_SIZE))))) {
        rc = BCMS_ENOMEM;
        goto fail;
    }
    *out = f;
    return 0;
fail:
    bcms_outfile_abort(f);
    return rc;
}

const char *bcms_outfile_path(const bcms_outfile_t *f) { return f->path; }
int bcms_outfile_dup_fd(bcms_outfile_t *f) { return fcntl(f->fd, F_DUPFD_CLOEXEC, 0); }

int bcms_outfile_err(const bcms_outfile_t *f, const char *doing)
{
    int e = f->err ? f->err : errno ? errno : EIO;
    return bcms_err(BCMS_EIO, "%s: %s failed: %s%s", f->path, doing, strerror(e),
                    e == ENOSPC ? "; free some space and run again (no output was left)" : "");
}

static int write_all(bcms_outfile_t *f, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(f->fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            f->err = w < 0 ? errno : EIO;
            return -1;
        }
        p += w;
        n -= (size_t)w;
        f->written += w;
    }
#ifdef SYNC_FILE_RANGE_WRITE
    if (f->tmp && f->written - f->kicked >= KICK) { /* a hint: a failure shows at the fsync */
        (void)sync_file_range(f->fd, f->kicked, f->written - f->kicked, SYNC_FILE_RANGE_WRITE);
        f->kicked = f->written;
    }
#endif
    return 0;
}

/* The buffered bytes out: as one BGZF block, or as they are. */
static int flush_buf(bcms_outfile_t *f)
{
    size_t zl = BGZF_MAX_BLOCK_SIZE;
    if (!f->len) return 0;
    if (f->gz) {
        if (bgzf_compress(f->zbuf, &zl, f->buf, f->len, 6) < 0) {
            f->err = ENOMEM;
            return -1;
        }
        if (write_all(f, f->zbuf, zl)) return -1;
    } else if (write_all(f, f->buf, f->len)) {
        return -1;
    }
    f->len = 0;
    return 0;
}

int bcms_outfile_write(bcms_outfile_t *f, const void *p, size_t n)
{
    const uint8_t *s = p;
    if (f->err || f->raw) return bcms_outfile_err(f, "writing");
    while (n) {
        size_t k = f->cap - f->len < n ? f->cap - f->len : n;
        memcpy(f->buf + f->len, s, k);
        f->len += k, s += k, n -= k;
        if (f->len == f->cap && flush_buf(f)) return bcms_outfile_err(f, "writing");
    }
    return 0;
}

static void outfile_free(bcms_outfile_t *f)
{
    reg_remove(f->slot);
    if (f->fd >= 0) close(f->fd);
    free(f->path);
    free(f->tmp);
    free(f->buf);
    free(f->zbuf);
    free(f);
}

int bcms_outfile_commit(bcms_outfile_t *f)
{
    /* the empty block that ends a BGZF file (the SAM/BAM specification's EOF marker) */
    static const uint8_t bgzf_eof[28] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43,
                                         2, 0, 0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    int rc = 0;
    errno = 0;
    if (!f->raw && (flush_buf(f) || (f->gz && write_all(f, bgzf_eof, sizeof bgzf_eof))))
        rc = bcms_outfile_err(f, "writing");
    if (!rc && f->tmp && fsync(f->fd)) rc = bcms_outfile_err(f, "writing");
    if (!rc && f->fd >= 0) {
        int fd = f->fd;
        f->fd = -1;
        if (close(fd) && f->tmp) rc = bcms_outfile_err(f, "closing");
    }
    if (!rc && f->tmp && rename(f->tmp, f->path))
        rc = bcms_err(BCMS_EIO, "%s: cannot move the finished output into place: %s", f->path, strerror(errno));
    if (rc) {
        bcms_outfile_abort(f);
        return rc;
    }
    outfile_free(f);
    return 0;
}

void bcms_outfile_abort(bcms_outfile_t *f)
{
    if (!f) return;
    if (f->tmp) unlink(f->tmp);
    outfile_free(f);
}

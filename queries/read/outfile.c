/* outfile.c: outputs written to an exclusive temporary file beside them, renamed on success,
 * removed on failure and on a terminating signal (see outfile.h). */
#include <errno.h>
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

struct bcms_outfile_t {
    char *path, *tmp;   /* tmp NULL: written in place (stdout, a device) */
    int fd;             /* our descriptor of the file */
    int slot;           /* in the signal registry, -1 none */
    BGZF *bgzf;
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
    if (!(flags & BCMS_OUT_RAW)) {
        int fd2 = dup(f->fd);
        if (fd2 < 0 || !(f->bgzf = bgzf_dopen(fd2, bcms_out_is_gz(f->path) ? "w6" : "wu"))) {
            if (fd2 >= 0) close(fd2);
            rc = bcms_err(BCMS_EIO, "%s: cannot start the writer: %s", f->path, strerror(errno));
            goto fail;
        }
    }
    *out = f;
    return 0;
fail:
    bcms_outfile_abort(f);
    return rc;
}

BGZF *bcms_outfile_bgzf(bcms_outfile_t *f) { return f->bgzf; }
const char *bcms_outfile_path(const bcms_outfile_t *f) { return f->path; }
int bcms_outfile_dup_fd(bcms_outfile_t *f) { return fcntl(f->fd, F_DUPFD_CLOEXEC, 0); }

int bcms_outfile_err(const bcms_outfile_t *f, const char *doing)
{
    int e = errno ? errno : EIO;
    return bcms_err(BCMS_EIO, "%s: %s failed: %s%s", f->path, doing, strerror(e),
                    e == ENOSPC ? "; free some space and run again (no output was left)" : "");
}

int bcms_outfile_write(bcms_outfile_t *f, const void *p, size_t n)
{
    errno = 0;
    if (!n) return 0;
    if (bgzf_write(f->bgzf, p, n) < 0) return bcms_outfile_err(f, "writing");
    return 0;
}

static void outfile_free(bcms_outfile_t *f)
{
    reg_remove(f->slot);
    if (f->fd >= 0) close(f->fd);
    free(f->path);
    free(f->tmp);
    free(f);
}

int bcms_outfile_commit(bcms_outfile_t *f)
{
    int rc = 0;
    errno = 0;
    if (f->bgzf) {
        BGZF *b = f->bgzf;
        f->bgzf = NULL;
        if (bgzf_close(b) < 0) rc = bcms_outfile_err(f, "writing");
    }
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
    if (f->bgzf) bgzf_close(f->bgzf);
    f->bgzf = NULL;
    if (f->tmp) unlink(f->tmp);
    outfile_free(f);
}

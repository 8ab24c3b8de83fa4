/* patient_file.c: owner-only output and scratch files (contract in patient_file.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "patient_file.h"

/* Temporary names the signal handler removes: a slot is in use when its first byte is not 0. The
 * handler only reads these bytes and calls unlink (async-signal-safe). */
static char reg_path[BCMS_PFILE_MAX][4096];
static volatile sig_atomic_t reg_used[BCMS_PFILE_MAX];

static int reg_add(const char *path)
{
    if (strlen(path) >= sizeof reg_path[0]) return -1;
    for (int i = 0; i < BCMS_PFILE_MAX; i++)
        if (!reg_used[i]) {
            memcpy(reg_path[i], path, strlen(path) + 1);
            reg_used[i] = 1;
            return i;
        }
    return -1;
}

static void reg_del(int slot)
{
    if (slot >= 0 && slot < BCMS_PFILE_MAX) reg_used[slot] = 0;
}

static void on_signal(int sig)
{
    for (int i = 0; i < BCMS_PFILE_MAX; i++)
        if (reg_used[i]) unlink(reg_path[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

void bcms_pfile_cleanup_on_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old;
        /* a signal the caller's parent ignores (nohup) stays ignored */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

/* Open a fresh name "base.tmp.XXXXXX" exclusively; *path receives it (caller frees). */
static int open_exclusive(const char *base, char **path, int *fd, int access)
{
    static unsigned counter;
    size_t l = strlen(base) + 32;
    char *p = malloc(l);
    if (!p) return BCMS_ENOMEM;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^ (++counter * 40503u) ^
                     (unsigned)attempt * 97u;
        snprintf(p, l, "%s.tmp.%06x", base, r & 0xffffff);
        *fd = open(p, access | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (*fd >= 0) {
            *path = p;
            return 0;
        }
        if (errno != EEXIST) break;
    }
    int rc = bcms_err(BCMS_EIO, "%s: cannot create a temporary file beside it: %s", base, strerror(errno));
    free(p);
    return rc;
}

int bcms_pfile_open(bcms_pfile_t *f, const char *target)
{
    int rc;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->slot = -1;
    if (!(f->target = strdup(target))) return BCMS_ENOMEM;
    if ((rc = open_exclusive(target, &f->tmp, &f->fd, O_WRONLY))) {
        free(f->target);
        f->target = NULL;
        return rc;
    }
    /* registered right after creation: a signal between the two leaves one file at worst */
    f->slot = reg_add(f->tmp);
    return 0;
}

void bcms_pfile_abort(bcms_pfile_t *f)
{
    if (f->fd >= 0) close(f->fd);
    if (f->tmp) unlink(f->tmp);
    reg_del(f->slot);
    free(f->tmp);
    free(f->target);
    f->fd = -1;
    f->slot = -1;
    f->tmp = f->target = NULL;
}

int bcms_pfile_commit(bcms_pfile_t *f)
{
    int rc = 0;
    if (f->fd >= 0 && (fsync(f->fd) || close(f->fd)))
        rc = bcms_err(BCMS_EIO, "%s: writing failed: %s", f->tmp, strerror(errno));
    f->fd = -1;
    if (!rc && rename(f->tmp, f->target))
        rc = bcms_err(BCMS_EIO, "%s: cannot rename the temporary output into place: %s", f->target, strerror(errno));
    if (rc) {
        bcms_pfile_abort(f);
        return rc;
    }
    reg_del(f->slot);
    free(f->tmp);
    free(f->target);
    f->tmp = f->target = NULL;
    f->slot = -1;
    return 0;
}

int bcms_pfile_scratch(const char *dir, int *fd)
{
    char *base = NULL, *path = NULL;
    int rc, slot;
    *fd = -1;
    if (asprintf(&base, "%s/.bcms-scratch", dir && *dir ? dir : ".") < 0) return BCMS_ENOMEM;
    rc = open_exclusive(base, &path, fd, O_RDWR);
    free(base);
    if (rc) return rc;
    slot = reg_add(path);
    unlink(path); /* the open descriptor keeps the data; no name is left behind */
    reg_del(slot);
    free(path);
    return 0;
}

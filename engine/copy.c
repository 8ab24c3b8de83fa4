/* copy.c: store snapshots through LMDB's mdb_env_copy2 (copy.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "copy.h"
#include "err.h"

static void remove_tree(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/data.mdb", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/lock.mdb", dir);
    unlink(p);
    rmdir(dir);
}

int bcms_store_copy(const char *src, const char *dest, int compact, int nolock)
{
    struct stat sb;
    bcms_store_t *st = NULL, *chk = NULL;
    char *tmp = NULL;
    int rc;
    if (!lstat(dest, &sb))
        return bcms_err(BCMS_EEXIST, "%s already exists: bcms copy writes a new directory; remove it or choose another", dest);
    if ((rc = bcms_store_open(src, BCMS_STORE_RDONLY | (nolock ? BCMS_STORE_NOLOCK : 0), &st))) return rc;
    size_t n = strlen(dest) + 32;
    if (!(tmp = malloc(n))) {
        rc = bcms_err(BCMS_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(tmp, n, "%s.copy-%ld", dest, (long)getpid());
    if (mkdir(tmp, 0700)) {
        rc = bcms_err(BCMS_EIO, "cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    /* The copy runs inside one read transaction of src: a consistent snapshot even while an import
     * commits meanwhile. */
    int mrc = mdb_env_copy2(bcms_store_env(st), tmp, compact ? MDB_CP_COMPACT : 0);
    if (mrc) {
        rc = mrc == ENOSPC ? bcms_err(BCMS_EIO, "copying %s to %s: no space left on device; nothing was written", src, dest)
                           : bcms_err(BCMS_EIO, "copying %s to %s: %s", src, dest, mdb_strerror(mrc));
        remove_tree(tmp);
        goto done;
    }
    if ((rc = bcms_store_open(tmp, BCMS_STORE_RDONLY | BCMS_STORE_NOLOCK, &chk))) {
        remove_tree(tmp);
        goto done;
    }
    bcms_store_close(chk);
    if (rename(tmp, dest)) {
        rc = bcms_err(BCMS_EIO, "renaming %s to %s: %s", tmp, dest, strerror(errno));
        remove_tree(tmp);
        goto done;
    }
    rc = 0;
done:
    free(tmp);
    bcms_store_close(st);
    return rc;
}

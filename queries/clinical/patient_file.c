/* patient_file.c: owner-only scratch files (contract in patient_file.h).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "patient_file.h"

int bcms_pfile_scratch(const char *dir, int *fd)
{
    static unsigned counter;
    char *p = NULL;
    *fd = -1;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned r = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL) ^ (++counter * 40503u) ^
                     (unsigned)attempt * 97u;
        free(p);
        if (asprintf(&p, "%s/.bcms-scratch.%06x", dir && *dir ? dir : ".", r & 0xffffff) < 0) return BCMS_ENOMEM;
        *fd = open(p, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (*fd >= 0) {
            unlink(p); /* the open descriptor keeps the data; no name is left behind */
            free(p);
            return 0;
        }
        if (errno != EEXIST) break;
    }
    int rc = bcms_err(BCMS_EIO, "%s: cannot create a scratch file there: %s", dir && *dir ? dir : ".", strerror(errno));
    free(p);
    return rc;
}

/* tmpfile.c: anonymous temporary files in $TMPDIR (tmpfile.h). GPL-3.0-or-later. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tmpfile.h"

const char *bcms_tmpdir(void)
{
    const char *d = getenv("TMPDIR");
    return d && *d ? d : "/tmp";
}

FILE *bcms_tmpfile(void)
{
    const char *d = bcms_tmpdir();
    size_t l = strlen(d);
    char *path = malloc(l + sizeof "/bcms.XXXXXX");
    if (!path) return NULL;
    memcpy(path, d, l);
    memcpy(path + l, "/bcms.XXXXXX", sizeof "/bcms.XXXXXX");
    int fd = mkstemp(path);
    FILE *f = NULL;
    if (fd >= 0) {
        unlink(path);
        if (!(f = fdopen(fd, "w+b"))) {
            int e = errno;
            close(fd);
            errno = e;
        }
    }
    free(path);
    return f;
}

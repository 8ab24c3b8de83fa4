/* tmpfile.h: anonymous temporary files in $TMPDIR. GPL-3.0-or-later. */
#ifndef BCMS_TMPFILE_H
#define BCMS_TMPFILE_H

#include <stdio.h>

/* A temporary file opened "w+b", already unlinked (gone when closed or at exit), in $TMPDIR when it is
 * set and not empty, else in /tmp: unlike glibc's tmpfile(), which ignores TMPDIR, so that a cluster
 * job's spills go to the node-local scratch its scheduler names. NULL with errno set on failure. */
FILE *bcms_tmpfile(void);
/* The directory bcms_tmpfile() uses, for messages. */
const char *bcms_tmpdir(void);

#endif

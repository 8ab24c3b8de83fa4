/* outfile.h: the output-file rule shared by the commands that write tables (assoc, merge, freq,
 * clinical): a path ending in ".gz" is written compressed. bcms, GPL-3.0-or-later. */
#ifndef BCMS_OUTFILE_H
#define BCMS_OUTFILE_H

#include <string.h>

static inline int bcms_out_is_gz(const char *path)
{
    size_t l = path ? strlen(path) : 0;
    return l > 3 && !strcmp(path + l - 3, ".gz");
}

#endif

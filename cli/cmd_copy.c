/* cmd_copy.c: bcms copy STORE DEST [--compact] [--no-lock]: a consistent snapshot of a store in a
 * new directory (staging to node-local scratch for cluster scans). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "copy.h"
#include "err.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms copy STORE DEST [--compact] [--no-lock]\n"
                "Write a consistent snapshot of STORE to the new directory DEST (it must not exist).\n"
                "  --compact   drop free pages and renumber (LMDB's compacting copy): smaller, a little slower\n"
                "  --no-lock   read STORE without its lock file (a read-only shared copy; no import may run)\n"
                "An import running meanwhile is not seen: the copy is the store as of its start. DEST appears only\n"
                "when the copy is complete and checked.\n");
}

int cmd_copy(int argc, char **argv)
{
    static const struct option lo[] = {{"compact", no_argument, 0, 'c'}, {"no-lock", no_argument, 0, 'L'},
                                       {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int compact = 0, nolock = 0, c, rc;
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'c': compact = 1; break;
        case 'L': nolock = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2) return cli_usage_error("copy", "expected STORE and DEST (run 'bcms copy' for usage)");
    if ((rc = bcms_store_copy(argv[optind], argv[optind + 1], compact, nolock))) return cli_fail("copy", rc);
    fprintf(stderr, "bcms copy: %s -> %s%s\n", argv[optind], argv[optind + 1], compact ? " (compacted)" : "");
    return 0;
}

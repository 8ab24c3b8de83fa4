/* cmd_view.c: bcms view STORE [-r REGION] [-s SAMPLES] [-O v|z|b|u] [-o OUT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <htslib/hts.h>

#include "cli.h"
#include "err.h"
#include "store.h"
#include "view.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms view STORE [options]\n"
                "Write a dataset back out as VCF/BCF (multi-allelic records come out split into biallelic rows).\n\n"
                "Options:\n"
                "  -d, --dataset ID|COHORT  dataset to write (required when the store has several sample sets); a\n"
                "                           cohort imported per chromosome is written as one VCF\n"
                "  -r, --regions LIST       CHR, CHR:POS, CHR:BEG-END, comma-separated\n"
                "  -s, --samples LIST       comma-separated IIDs; ^LIST excludes\n"
                "  -S, --samples-file FILE  one IID per line\n"
                "  --keep F --remove F      samples to keep / drop (IID per line, #IID header, .fam, FID IID)\n"
                "  --extract F --exclude F  variants to keep / drop (ID or CHR:POS:REF:ALT per line, or BED)\n"
                "  --minr2 X                drop rows imputed with INFO/R2 (DR2, INFO) below X (rows without one kept)\n"
                "  -O, --output-type v|z|b|u  VCF, bgzipped VCF, BCF, uncompressed BCF (default v)\n"
                "  -o, --output FILE        output file (default: stdout)\n"
                "  -h, --header-only        only the header\n"
                "      --threads N          compression threads\n");
}

int cmd_view(int argc, char **argv)
{
    static const struct option lo[] = {{"dataset", required_argument, 0, 'd'},  {"regions", required_argument, 0, 'r'},
                                       {"samples", required_argument, 0, 's'},  {"samples-file", required_argument, 0, 'S'},
                                       {"output-type", required_argument, 0, 'O'}, {"output", required_argument, 0, 'o'},
                                       {"header-only", no_argument, 0, 'h'},     {"threads", required_argument, 0, 't'},
                                       {"help", no_argument, 0, 1},
                                       {"keep", required_argument, 0, CLI_O_KEEP},
                                       {"remove", required_argument, 0, CLI_O_REMOVE},
                                       {"extract", required_argument, 0, CLI_O_EXTRACT},
                                       {"exclude", required_argument, 0, CLI_O_EXCLUDE},
                                       {"minr2", required_argument, 0, CLI_O_MINR2},
                                       {0, 0, 0, 0}};
    bcms_view_opts_t o;
    bcms_store_t *st;
    int c, rc;
    char *cmd;
    bcms_view_opts_init(&o);
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "d:r:s:S:O:o:ht:", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o.dataset = optarg; break;
        case 'r': o.regions = optarg; break;
        case 's': o.samples = optarg; break;
        case 'S': o.samples_file = optarg; break;
        case 'O':
            if (strlen(optarg) != 1 || !strchr("vzbu", optarg[0]))
                return cli_usage_error("view", "-O must be v, z, b or u");
            o.format = optarg[0];
            break;
        case 'o': o.out = optarg; break;
        case 'h': o.header_only = 1; break;
        case 't':
            if ((o.threads = cli_parse_threads(optarg)) < 1) return cli_usage_error("view", "bad --threads");
            break;
        case CLI_O_KEEP: o.keep = optarg; break;
        case CLI_O_REMOVE: o.remove = optarg; break;
        case CLI_O_EXTRACT: o.extract = optarg; break;
        case CLI_O_EXCLUDE: o.exclude = optarg; break;
        case CLI_O_MINR2: {
            char *end;
            o.minr2 = strtod(optarg, &end);
            if (*end || end == optarg || !(o.minr2 >= 0))
                return cli_usage_error("view", "--minr2 needs a number >= 0, not '%s'", optarg);
            break;
        }
        case 1: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error("view", "expected one STORE");
    hts_set_log_level(getenv("BCMS_DEBUG") ? HTS_LOG_WARNING : HTS_LOG_ERROR);
    if ((rc = bcms_store_open(argv[optind], BCMS_STORE_RDONLY, &st))) return cli_fail("view", rc);
    cmd = cli_command_line();
    o.command = cmd;
    rc = bcms_view(st, &o);
    free(cmd);
    bcms_store_close(st);
    return rc ? cli_fail("view", rc) : 0;
}

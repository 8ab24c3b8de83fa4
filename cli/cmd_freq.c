/* cmd_freq.c: bcms freq STORE [-d DATASETS] [-r REGION] [selection] [-o OUT] */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "err.h"
#include "freq.h"
#include "store.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms freq STORE [options]\n"
                "ALT frequency, allele counts and call rate (and with --hardy the HWE exact p) per variant over\n"
                "the selected samples (PLINK 2 --freq/--hardy/--missing conventions, haploid males on chrX/chrY,\n"
                "chrM haploid).\n\n"
                "Options:\n"
                "  -d, --dataset LIST       datasets or cohorts to pool (default: all)\n"
                "  -r, --regions LIST       CHR, CHR:POS, CHR:BEG-END, comma-separated\n"
                "  -o, --output FILE        output TSV (default stdout; BGZF, tabix-ready, when it ends in .gz)\n"
                "      --hardy              also HWE_P and FEMALE_HWE_P (PLINK 2 --hardy; chrX as .hardy.x)\n"
                "      --threads N          threads decoding genotypes and formatting lines (default 1)\n"
                "%s%s",
            cli_select_help, cli_filter_help);
}

int cmd_freq(int argc, char **argv)
{
    static const struct option lo[] = {{"dataset", required_argument, 0, 'd'}, {"cohorts", required_argument, 0, 'd'},
                                       {"regions", required_argument, 0, 'r'}, {"output", required_argument, 0, 'o'},
                                       {"help", no_argument, 0, 'h'},          {"threads", required_argument, 0, 't'},
                                       {"hardy", no_argument, 0, 'H'},          CLI_SELECT_LISTS,
                                       CLI_SELECT_FILTERS,                     {0, 0, 0, 0}};
    bcms_freq_opts_t o;
    bcms_store_t *st;
    int c, rc, so;
    bcms_freq_opts_init(&o);
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "d:r:o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': o.sel.cohorts = optarg; break;
        case 'r': o.sel.regions = optarg; break;
        case 'o': o.out = optarg; break;
        case 't':
            if ((o.sel.threads = cli_parse_threads(optarg)) < 1) return cli_usage_error("freq", "bad --threads");
            break;
        case 'H': o.hardy = 1; break;
        case 'h': usage(stdout); return 0;
        default:
            if ((so = cli_select_option("freq", c, optarg, &o.sel)) > 0) break;
            if (so == 0) usage(stderr);
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error("freq", "expected one STORE");
    if ((rc = bcms_store_open(argv[optind], BCMS_STORE_RDONLY, &st))) return cli_fail("freq", rc);
    rc = bcms_freq(st, &o);
    bcms_store_close(st);
    return rc ? cli_fail("freq", rc) : 0;
}

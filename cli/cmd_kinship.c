/* cmd_kinship.c: bcms kinship STORE -o OUT [--min-kinship X] [--degree] [--unrelated OUT.ids] */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_structure.h"
#include "err.h"
#include "store.h"
#include "structure.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms kinship STORE -o OUT [options]\n"
                "KING-robust kinship of every pair of samples (as plink2 --make-king-table counts):\n"
                "#IID1 IID2 NSNP HETHET IBS0 HET1_HOM2 HET2_HOM1 KINSHIP [DEGREE]\n\n"
                "Options:\n"
                "  -o, --out FILE        the pair table (gzip when it ends in .gz)\n"
                "  --min-kinship X       write only pairs with KINSHIP >= X\n"
                "  --degree              add DEGREE: dup (> 0.354), 1st (> 0.177), 2nd (> 0.0884), 3rd (> 0.0442), unrel\n"
                "  --unrelated FILE      write a maximal set of samples with no pair above --cutoff (#IID;\n"
                "                        the rule of plink2 --king-cutoff)\n"
                "  --cutoff X            kinship above which a pair is related, for --unrelated [0.0884]\n");
    cli_sel_usage(fp);
}

int cmd_kinship(int argc, char **argv)
{
    enum { O_MIN = 256, O_DEGREE, O_UNREL, O_CUTOFF, O_HELP };
    static const struct option own[] = {{"out", required_argument, 0, 'o'},       {"min-kinship", required_argument, 0, O_MIN},
                                        {"degree", no_argument, 0, O_DEGREE},     {"unrelated", required_argument, 0, O_UNREL},
                                        {"cutoff", required_argument, 0, O_CUTOFF}, {"help", no_argument, 0, O_HELP},
                                        {0, 0, 0, 0}};
    struct option lo[6 + CLI_SEL_NOPTS + 1];
    const char *cmd = "kinship";
    bcms_kinship_opts_t o;
    bcms_store_t *st;
    int c, rc, flags = BCMS_STORE_RDONLY;
    uint64_t stats[4];
    char *end;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    bcms_kinship_opts_init(&o);
    o.in.threads = cli_parse_threads(NULL);
    cli_sel_merge(own, lo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_MIN:
            o.min_kinship = strtod(optarg, &end);
            if (*end || end == optarg) return cli_usage_error(cmd, "--min-kinship: not a number: '%s'", optarg);
            break;
        case O_DEGREE: o.degree = 1; break;
        case O_UNREL: o.unrelated = optarg; break;
        case O_CUTOFF:
            o.cutoff = strtod(optarg, &end);
            if (*end || end == optarg) return cli_usage_error(cmd, "--cutoff: not a number: '%s'", optarg);
            break;
        case O_HELP: usage(stdout); return 0;
        case '?': return 2;
        default:
            if ((rc = cli_sel_option(cmd, c, optarg, &o.in, &flags)) == 1) break;
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error(cmd, "expected one STORE (run 'bcms kinship' for usage)");
    if (!o.out) return cli_usage_error(cmd, "no output file: give -o OUT");
    if ((rc = bcms_store_open(argv[optind], flags, &st))) return cli_fail(cmd, rc);
    rc = bcms_kinship_run(st, &o, stats);
    bcms_store_close(st);
    if (rc) return cli_fail(cmd, rc);
    fprintf(stderr, "bcms kinship: %" PRIu64 " samples, %" PRIu64 " variants: %" PRIu64 " pairs written to %s\n",
            stats[0], stats[1], stats[2], o.out);
    if (o.unrelated)
        fprintf(stderr, "bcms kinship: %" PRIu64 " unrelated samples (kinship <= %g) written to %s\n", stats[3],
                o.cutoff, o.unrelated);
    return 0;
}

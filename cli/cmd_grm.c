/* cmd_grm.c: bcms grm STORE [--centred|--standardised] [--name N] [-o TEXT] */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_structure.h"
#include "err.h"
#include "store.h"
#include "structure.h"

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms grm STORE [--centred|--standardised] [--name N] [-o FILE]\n"
                "Build the genetic relationship matrix and store it in the store (table grm) under a name, with\n"
                "its samples and provenance, for `bcms assoc --model lmm --grm N`.\n\n"
                "Options:\n"
                "  --centred             K = W W'/m, W the centred genotypes (GEMMA -gk 1) [default]\n"
                "  --standardised        K from variance-standardised genotypes (GCTA, plink2 --make-rel)\n"
                "  --name N              record name [default]\n"
                "  -o, --out FILE        also write the matrix as text (n lines of n values)\n"
                "GEMMA's default filters are --maf 0.01 --geno 0.05: give them to build the same matrix.\n");
    cli_sel_usage(fp);
}

int cmd_grm(int argc, char **argv)
{
    enum { O_CENTRED = 256, O_STD, O_NAME, O_HELP };
    static const struct option own[] = {{"out", required_argument, 0, 'o'},   {"centred", no_argument, 0, O_CENTRED},
                                        {"centered", no_argument, 0, O_CENTRED}, {"standardised", no_argument, 0, O_STD},
                                        {"standardized", no_argument, 0, O_STD}, {"name", required_argument, 0, O_NAME},
                                        {"help", no_argument, 0, O_HELP},       {0, 0, 0, 0}};
    struct option lo[7 + CLI_SEL_NOPTS + 1];
    const char *cmd = "grm";
    bcms_grm_opts_t o;
    bcms_store_t *st;
    int c, rc, flags = 0;
    uint64_t stats[2];
    char *cmdline;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    bcms_grm_opts_init(&o);
    o.in.threads = cli_parse_threads(NULL);
    cli_sel_merge(own, lo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_CENTRED: o.kind = BCMS_GRM_CENTRED; break;
        case O_STD: o.kind = BCMS_GRM_STANDARDISED; break;
        case O_NAME: o.name = optarg; break;
        case O_HELP: usage(stdout); return 0;
        case '?': return 2;
        default:
            if ((rc = cli_sel_option(cmd, c, optarg, &o.in, &flags)) == 1) break;
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error(cmd, "expected one STORE (run 'bcms grm' for usage)");
    if (flags & BCMS_STORE_NOLOCK) return cli_usage_error(cmd, "grm writes to the store: drop --no-lock");
    if ((rc = bcms_store_open(argv[optind], flags, &st))) return cli_fail(cmd, rc);
    o.command = cmdline = cli_command_line();
    rc = bcms_grm_run(st, &o, stats);
    bcms_store_close(st);
    free(cmdline);
    if (rc) return cli_fail(cmd, rc);
    fprintf(stderr, "bcms grm: %" PRIu64 " samples, %" PRIu64 " variants: stored as GRM '%s'\n", stats[0], stats[1],
            o.name);
    return 0;
}

/* cmd_pca.c: bcms pca STORE [--pcs K] [--approx] [--store] -o PREFIX */
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
    fprintf(fp, "Usage: bcms pca STORE [options] -o PREFIX\n"
                "Principal components of the variance-standardised GRM (missing calls at the mean), as\n"
                "plink2 --pca K meanimpute: PREFIX.eigenvec (#IID PC1..PCK, unit-length vectors) and\n"
                "PREFIX.eigenval.\n\n"
                "Options:\n"
                "  -o, --out PREFIX      output prefix\n"
                "  --pcs K               number of components [10]\n"
                "  --approx              randomized subspace iteration (no n x n matrix; for large cohorts)\n"
                "  --store               also store PC1..PCK as covariate columns of the store's pheno table\n"
                "                        (replacing columns of those names), for scans' --covar\n");
    cli_sel_usage(fp);
}

int cmd_pca(int argc, char **argv)
{
    enum { O_PCS = 256, O_APPROX, O_STORE, O_HELP };
    static const struct option own[] = {{"out", required_argument, 0, 'o'}, {"pcs", required_argument, 0, O_PCS},
                                        {"approx", no_argument, 0, O_APPROX}, {"store", no_argument, 0, O_STORE},
                                        {"help", no_argument, 0, O_HELP},    {0, 0, 0, 0}};
    struct option lo[5 + CLI_SEL_NOPTS + 1];
    const char *cmd = "pca";
    bcms_pca_opts_t o;
    bcms_store_t *st;
    int c, rc, flags = BCMS_STORE_RDONLY;
    uint64_t stats[3];
    char *end, *cmdline = NULL;
    long v;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    bcms_pca_opts_init(&o);
    o.in.threads = cli_parse_threads(NULL);
    cli_sel_merge(own, lo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_PCS:
            v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 1 || v > 10000)
                return cli_usage_error(cmd, "--pcs: expected a count from 1 to 10000, got '%s'", optarg);
            o.pcs = (uint32_t)v;
            break;
        case O_APPROX: o.approx = 1; break;
        case O_STORE: o.store = 1; break;
        case O_HELP: usage(stdout); return 0;
        case '?': return 2;
        default:
            if ((rc = cli_sel_option(cmd, c, optarg, &o.in, &flags)) == 1) break;
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error(cmd, "expected one STORE (run 'bcms pca' for usage)");
    if (!o.out) return cli_usage_error(cmd, "no output prefix: give -o PREFIX");
    if (o.store) {
        if (flags & BCMS_STORE_NOLOCK) return cli_usage_error(cmd, "--store writes to the store: drop --no-lock");
        flags &= ~BCMS_STORE_RDONLY;
        o.command = cmdline = cli_command_line();
    }
    if ((rc = bcms_store_open(argv[optind], flags, &st))) {
        free(cmdline);
        return cli_fail(cmd, rc);
    }
    rc = bcms_pca_run(st, &o, stats);
    bcms_store_close(st);
    free(cmdline);
    if (rc) return cli_fail(cmd, rc);
    fprintf(stderr, "bcms pca: %" PRIu64 " samples, %" PRIu64 " variants: %u PCs in %s.eigenvec and %s.eigenval%s\n",
            stats[0], stats[1], o.pcs, o.out, o.out, o.store ? "; stored as PC1.. columns" : "");
    return 0;
}

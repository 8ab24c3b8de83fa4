/* cmd_pca.c: bcms pca STORE [--pcs K] [--approx] [--project FILE] [--store] -o PREFIX */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_structure.h"
#include "cluster.h"
#include "err.h"
#include "structure.h"

enum { O_PCS = CLI_STRUCT_OWN, O_APPROX, O_STORE, O_PROJECT };

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms pca STORE [options] -o PREFIX\n"
                "Principal components of the variance-standardised GRM (missing calls at the mean), as\n"
                "plink2 --pca K meanimpute: PREFIX.eigenvec (#IID PC1..PCK, unit-length vectors) and\n"
                "PREFIX.eigenval.\n\n"
                "Options:\n"
                "  -o, --out PREFIX      output prefix\n"
                "  --pcs K               number of components [10]\n"
                "  --approx              randomized (plink2 --pca approx's method: k+1 passes over the\n"
                "                        genotypes, no n x n matrix; for large cohorts)\n"
                "  --project FILE        build the PCs on the samples listed in FILE (IID per line, e.g.\n"
                "                        kinship --unrelated's output) and project every other selected\n"
                "                        sample onto them (PC-AiR): same scale as the built ones\n"
                "  --store               also store PC1..PCK as covariate columns of the store's pheno table\n"
                "                        (replacing columns of those names), for scans' --covar\n");
}

static int option(void *ud, int c, const char *arg)
{
    bcms_pca_opts_t *o = ud;
    char *end;
    long v;
    switch (c) {
    case 'o': o->out = arg; return 1;
    case O_PCS:
        v = strtol(arg, &end, 10);
        if (*end || end == arg || v < 1 || v > 10000)
            return (cli_usage_error("pca", "--pcs: expected a count from 1 to 10000, got '%s'", arg), 2);
        o->pcs = (uint32_t)v;
        return 1;
    case O_APPROX: o->approx = 1; return 1;
    case O_STORE: o->store = 1; return 1;
    case O_PROJECT: o->project = arg; return 1;
    default: return 0;
    }
}

static int run(bcms_store_t *st, const void *o, uint64_t *stats) { return bcms_pca_run(st, o, stats); }

int cmd_pca(int argc, char **argv)
{
    static const struct option own[] = {{"out", required_argument, 0, 'o'},     {"pcs", required_argument, 0, O_PCS},
                                        {"approx", no_argument, 0, O_APPROX},    {"store", no_argument, 0, O_STORE},
                                        {"project", required_argument, 0, O_PROJECT}, {0, 0, 0, 0}};
    static const cli_struct_cmd_t cmd = {"pca", own, "o:", usage, option, 0};
    bcms_pca_opts_t opts, *o = &opts;
    uint64_t stats[4];
    const char *store;
    char *cmdline = NULL;
    int flags, rc;

    bcms_pca_opts_init(o);
    if ((rc = cli_struct_parse(&cmd, argc, argv, o, &o->in, &flags, &store)) != CLI_STRUCT_GO) return rc;
    if (!o->out) return cli_usage_error("pca", "no output prefix: give -o PREFIX");
    if (o->store && bcms_cluster_rank() == 0) { /* under MPI rank 0 writes the columns */
        flags &= ~BCMS_STORE_RDONLY;
        o->command = cmdline = cli_command_line();
    }
    rc = cli_struct_run("pca", store, flags, run, o, stats);
    free(cmdline);
    if (rc || bcms_cluster_rank() != 0) return rc;
    fprintf(stderr, "bcms pca: %" PRIu64 " samples, %" PRIu64 " variants: %u PCs in %s.eigenvec and %s.eigenval%s\n",
            stats[0], stats[1], o->pcs, o->out, o->out, o->store ? "; stored as PC1.. columns" : "");
    if (o->project)
        fprintf(stderr, "bcms pca: built on %" PRIu64 " samples of %s, %" PRIu64 " projected\n", stats[3], o->project,
                stats[0] - stats[3]);
    return 0;
}

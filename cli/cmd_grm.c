/* cmd_grm.c: bcms grm STORE [--centred|--standardised] [--name N] [-o TEXT] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_structure.h"
#include "cluster.h"
#include "err.h"
#include "structure.h"

enum { O_CENTRED = CLI_STRUCT_OWN, O_STD, O_NAME };

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
}

static int option(void *ud, int c, const char *arg)
{
    bcms_grm_opts_t *o = ud;
    switch (c) {
    case 'o': o->out = arg; return 1;
    case O_CENTRED: o->kind = BCMS_GRM_CENTRED; return 1;
    case O_STD: o->kind = BCMS_GRM_STANDARDISED; return 1;
    case O_NAME: o->name = arg; return 1;
    default: return 0;
    }
}

static int run(bcms_store_t *st, const void *o, uint64_t *stats) { return bcms_grm_run(st, o, stats); }

int cmd_grm(int argc, char **argv)
{
    static const struct option own[] = {{"out", required_argument, 0, 'o'},    {"centred", no_argument, 0, O_CENTRED},
                                        {"centered", no_argument, 0, O_CENTRED}, {"standardised", no_argument, 0, O_STD},
                                        {"standardized", no_argument, 0, O_STD}, {"name", required_argument, 0, O_NAME},
                                        {0, 0, 0, 0}};
    static const cli_struct_cmd_t cmd = {"grm", own, "o:", usage, option, 1};
    bcms_grm_opts_t o;
    uint64_t stats[2];
    const char *store;
    char *cmdline;
    int flags, rc;

    bcms_grm_opts_init(&o);
    if ((rc = cli_struct_parse(&cmd, argc, argv, &o, &o.in, &flags, &store)) != CLI_STRUCT_GO) return rc;
    o.command = cmdline = cli_command_line();
    if (bcms_cluster_rank() != 0) flags |= BCMS_STORE_RDONLY; /* under MPI rank 0 stores the matrix */
    rc = cli_struct_run("grm", store, flags, run, &o, stats);
    free(cmdline);
    if (rc || bcms_cluster_rank() != 0) return rc;
    fprintf(stderr, "bcms grm: %" PRIu64 " samples, %" PRIu64 " variants: stored as GRM '%s'\n", stats[0],
            stats[1], o.name);
    return 0;
}

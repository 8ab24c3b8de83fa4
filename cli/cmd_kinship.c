/* cmd_kinship.c: bcms kinship STORE -o OUT [--min-kinship X] [--degree] [--unrelated OUT.ids] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_structure.h"
#include "cluster.h"
#include "err.h"
#include "structure.h"

enum { O_MIN = CLI_STRUCT_OWN, O_DEGREE, O_UNREL, O_CUTOFF };

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
}

static int number(const char *name, const char *arg, double *v)
{
    char *end;
    *v = strtod(arg, &end);
    if (*end || end == arg) return (cli_usage_error("kinship", "%s: not a number: '%s'", name, arg), 2);
    return 1;
}

static int option(void *ud, int c, const char *arg)
{
    bcms_kinship_opts_t *o = ud;
    switch (c) {
    case 'o': o->out = arg; return 1;
    case O_MIN: return number("--min-kinship", arg, &o->min_kinship);
    case O_DEGREE: o->degree = 1; return 1;
    case O_UNREL: o->unrelated = arg; return 1;
    case O_CUTOFF: return number("--cutoff", arg, &o->cutoff);
    default: return 0;
    }
}

static int run(bcms_store_t *st, const void *o, uint64_t *stats) { return bcms_kinship_run(st, o, stats); }

int cmd_kinship(int argc, char **argv)
{
    static const struct option own[] = {{"out", required_argument, 0, 'o'},       {"min-kinship", required_argument, 0, O_MIN},
                                        {"degree", no_argument, 0, O_DEGREE},     {"unrelated", required_argument, 0, O_UNREL},
                                        {"cutoff", required_argument, 0, O_CUTOFF}, {0, 0, 0, 0}};
    static const cli_struct_cmd_t cmd = {"kinship", own, "o:", usage, option, 0};
    bcms_kinship_opts_t o;
    uint64_t stats[4];
    const char *store;
    int flags, rc;

    bcms_kinship_opts_init(&o);
    if ((rc = cli_struct_parse(&cmd, argc, argv, &o, &o.in, &flags, &store)) != CLI_STRUCT_GO) return rc;
    if (!o.out) return cli_usage_error("kinship", "no output file: give -o OUT");
    if ((rc = cli_struct_run("kinship", store, flags, run, &o, stats))) return rc;
    if (bcms_cluster_rank() != 0) return 0; /* rank 0 wrote the outputs and reports */
    fprintf(stderr, "bcms kinship: %" PRIu64 " samples, %" PRIu64 " variants: %" PRIu64 " pairs written to %s\n",
            stats[0], stats[1], stats[2], o.out);
    if (o.unrelated)
        fprintf(stderr, "bcms kinship: %" PRIu64 " unrelated samples (kinship <= %g) written to %s\n", stats[3],
                o.cutoff, o.unrelated);
    return 0;
}

/* cmd_prune.c: bcms prune STORE --window W --step S --r2 R -o OUT.prune.in */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_structure.h"
#include "err.h"
#include "structure.h"

enum { O_WINDOW = CLI_STRUCT_OWN, O_STEP, O_R2 };

static void usage(FILE *fp)
{
    fprintf(fp, "Usage: bcms prune STORE --window W --step S --r2 R -o OUT.prune.in\n"
                "LD pruning as plink2 --indep-pairwise W S R: the IDs of the variants kept go to OUT, the removed\n"
                "ones beside it (OUT.prune.out). Use the kept list with --extract in pca, kinship, grm.\n\n"
                "Options:\n"
                "  --window W            window size in variants [50]\n"
                "  --step S              variants the window moves by [5]\n"
                "  --r2 R                r^2 threshold [0.2]\n"
                "  -o, --out FILE        kept IDs\n"
                "Pairs are visited in PLINK 1's order, as plink2 <= 2.00a3 (newer plink2: add 'plink1-order').\n");
}

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (*end || end == s || x < 0 || x > 100000000) return -1;
    *v = (uint32_t)x;
    return 0;
}

static int option(void *ud, int c, const char *arg)
{
    bcms_prune_opts_t *o = ud;
    char *end;
    switch (c) {
    case 'o': o->out = arg; return 1;
    case O_WINDOW:
        if (parse_u32(arg, &o->window)) return (cli_usage_error("prune", "--window: expected a variant count, got '%s'", arg), 2);
        return 1;
    case O_STEP:
        if (parse_u32(arg, &o->step)) return (cli_usage_error("prune", "--step: expected a variant count, got '%s'", arg), 2);
        return 1;
    case O_R2:
        o->r2 = strtod(arg, &end);
        if (*end || end == arg) return (cli_usage_error("prune", "--r2: not a number: '%s'", arg), 2);
        return 1;
    default: return 0;
    }
}

static int run(bcms_store_t *st, const void *o, uint64_t *stats) { return bcms_prune_run(st, o, stats); }

int cmd_prune(int argc, char **argv)
{
    static const struct option own[] = {{"out", required_argument, 0, 'o'},    {"window", required_argument, 0, O_WINDOW},
                                        {"step", required_argument, 0, O_STEP}, {"r2", required_argument, 0, O_R2},
                                        {0, 0, 0, 0}};
    static const cli_struct_cmd_t cmd = {"prune", own, "o:", usage, option, 0};
    bcms_prune_opts_t o;
    uint64_t stats[2];
    const char *store;
    int flags, rc;

    bcms_prune_opts_init(&o);
    if ((rc = cli_struct_parse(&cmd, argc, argv, &o, &o.in, &flags, &store)) != CLI_STRUCT_GO) return rc;
    if (!o.out) return cli_usage_error("prune", "no output file: give -o OUT.prune.in");
    if ((rc = cli_struct_run("prune", store, flags, run, &o, stats))) return rc;
    fprintf(stderr, "bcms prune: %" PRIu64 " of %" PRIu64 " variants kept, written to %s\n", stats[1], stats[0],
            o.out);
    return 0;
}

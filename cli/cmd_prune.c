/* cmd_prune.c: bcms prune STORE --window W --step S --r2 R -o OUT.prune.in */
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
    fprintf(fp, "Usage: bcms prune STORE --window W --step S --r2 R -o OUT.prune.in\n"
                "LD pruning as plink2 --indep-pairwise W S R: the IDs of the variants kept go to OUT, the removed\n"
                "ones beside it (OUT.prune.out). Use the kept list with --extract in pca, kinship, grm.\n\n"
                "Options:\n"
                "  --window W            window size in variants [50]\n"
                "  --step S              variants the window moves by [5]\n"
                "  --r2 R                r^2 threshold [0.2]\n"

                "  -o, --out FILE        kept IDs\n"
                "Pairs are visited in PLINK 1's order, as plink2 <= 2.00a3 (newer plink2: add 'plink1-order').\n");
    cli_sel_usage(fp);
}

static int parse_u32(const char *s, uint32_t *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (*end || end == s || x < 0 || x > 100000000) return -1;
    *v = (uint32_t)x;
    return 0;
}

int cmd_prune(int argc, char **argv)
{
    enum { O_WINDOW = 256, O_STEP, O_R2, O_HELP };
    static const struct option own[] = {{"out", required_argument, 0, 'o'},    {"window", required_argument, 0, O_WINDOW},
                                        {"step", required_argument, 0, O_STEP}, {"r2", required_argument, 0, O_R2},
                                        {"help", no_argument, 0, O_HELP},      {0, 0, 0, 0}};
    struct option lo[5 + CLI_SEL_NOPTS + 1];
    const char *cmd = "prune";
    bcms_prune_opts_t o;
    bcms_store_t *st;
    int c, rc, flags = BCMS_STORE_RDONLY;
    uint64_t stats[2];
    char *end;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    bcms_prune_opts_init(&o);
    o.in.threads = cli_parse_threads(NULL);
    cli_sel_merge(own, lo);
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_WINDOW:
            if (parse_u32(optarg, &o.window)) return cli_usage_error(cmd, "--window: expected a variant count, got '%s'", optarg);
            break;
        case O_STEP:
            if (parse_u32(optarg, &o.step)) return cli_usage_error(cmd, "--step: expected a variant count, got '%s'", optarg);
            break;
        case O_R2:
            o.r2 = strtod(optarg, &end);
            if (*end || end == optarg) return cli_usage_error(cmd, "--r2: not a number: '%s'", optarg);
            break;
        case O_HELP: usage(stdout); return 0;
        case '?': return 2;
        default:
            if ((rc = cli_sel_option(cmd, c, optarg, &o.in, &flags)) == 1) break;
            return 2;
        }
    }
    if (argc - optind != 1) return cli_usage_error(cmd, "expected one STORE (run 'bcms prune' for usage)");
    if (!o.out) return cli_usage_error(cmd, "no output file: give -o OUT.prune.in");
    if ((rc = bcms_store_open(argv[optind], flags, &st))) return cli_fail(cmd, rc);
    rc = bcms_prune_run(st, &o, stats);
    bcms_store_close(st);
    if (rc) return cli_fail(cmd, rc);
    fprintf(stderr, "bcms prune: %" PRIu64 " of %" PRIu64 " variants kept, written to %s\n", stats[1], stats[0], o.out);
    return 0;
}

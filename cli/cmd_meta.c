/* cmd_meta.c: bcms meta -o OUT IN1 IN2 ... : meta-analysis of summary statistics (queries/meta). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "meta.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: bcms meta -o OUT [options] IN1 IN2 ...\n"
            "Meta-analyse per-cohort summary statistics: bcms assoc (any model, TSV or GWAS-SSF), PLINK 2\n"
            ".glm.linear/.glm.logistic(.hybrid), REGENIE .regenie; gzip or plain; each sorted in genomic order.\n\n"
            "Options:\n"
            "  -o, --out FILE          output TSV (gzip when it ends in .gz); summary in FILE.log\n"
            "  --scheme ivw|samplesize inverse-variance fixed effects (default) or METAL's sample-size z\n"
            "  --random dl|re2         DerSimonian-Laird columns (default); re2 adds Han-Eskin's P_RE2\n"
            "  --gc                    divide each input by its lambda GC first when lambda > 1 (METAL)\n"
            "  --min-studies K         write variants held by at least K inputs (default 1)\n"
            "  --palindromic keep|drop|freq   A/T, C/G variants: as written (default), left out, or strand\n"
            "                          inferred from the allele frequency (MAF < 0.4), else left out\n"
            "  --format tsv|gwas-ssf   output columns\n"
            "  --threads N             compression threads for a .gz output (output identical at any N)\n");
}

int cmd_meta(int argc, char **argv)
{
    enum { O_SCHEME = 256, O_RANDOM, O_GC, O_MINS, O_PALIN, O_FORMAT, O_THREADS, O_HELP };
    static const struct option lo[] = {
        {"out", required_argument, 0, 'o'},          {"scheme", required_argument, 0, O_SCHEME},
        {"random", required_argument, 0, O_RANDOM},  {"gc", no_argument, 0, O_GC},
        {"min-studies", required_argument, 0, O_MINS}, {"palindromic", required_argument, 0, O_PALIN},
        {"format", required_argument, 0, O_FORMAT},  {"threads", required_argument, 0, O_THREADS},
        {"help", no_argument, 0, O_HELP},            {0, 0, 0, 0}};
    bcms_meta_opts_t o;
    char *cmd, *end;
    int c, rc;
    bcms_meta_opts_init(&o);
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o.out = optarg; break;
        case O_SCHEME:
            if (!strcmp(optarg, "ivw")) o.scheme = BCMS_META_IVW;
            else if (!strcmp(optarg, "samplesize")) o.scheme = BCMS_META_SAMPLESIZE;
            else return cli_usage_error("meta", "--scheme must be ivw or samplesize");
            break;
        case O_RANDOM:
            if (!strcmp(optarg, "dl")) o.random = BCMS_META_RE_DL;
            else if (!strcmp(optarg, "re2")) o.random = BCMS_META_RE_RE2;
            else return cli_usage_error("meta", "--random must be dl or re2");
            break;
        case O_GC: o.gc = 1; break;
        case O_MINS:
            o.min_studies = (int)strtol(optarg, &end, 10);
            if (*end || o.min_studies < 1) return cli_usage_error("meta", "--min-studies must be a positive integer");
            break;
        case O_PALIN:
            if (!strcmp(optarg, "keep")) o.palindromic = BCMS_PALIN_KEEP;
            else if (!strcmp(optarg, "drop")) o.palindromic = BCMS_PALIN_DROP;
            else if (!strcmp(optarg, "freq")) o.palindromic = BCMS_PALIN_FREQ;
            else return cli_usage_error("meta", "--palindromic must be keep, drop or freq");
            break;
        case O_FORMAT:
            if (!strcmp(optarg, "tsv")) o.format = BCMS_META_TSV;
            else if (!strcmp(optarg, "gwas-ssf")) o.format = BCMS_META_GWAS_SSF;
            else return cli_usage_error("meta", "--format must be tsv or gwas-ssf");
            break;
        case O_THREADS:
            if ((o.threads = cli_parse_threads(optarg)) < 0) return cli_usage_error("meta", "bad --threads value");
            break;
        case 'h':
        case O_HELP: usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.out) return cli_usage_error("meta", "-o OUT is required");
    if (argc - optind < 1) return cli_usage_error("meta", "expected input files");
    o.inputs = (const char *const *)argv + optind;
    o.ninputs = argc - optind;
    if ((rc = bcms_meta_opts_check(&o))) return cli_fail("meta", rc);
    if (!(cmd = cli_command_line())) return cli_fail("meta", BCMS_ENOMEM);
    o.command = cmd;
    rc = bcms_meta_run(&o, NULL);
    free(cmd);
    return rc ? cli_fail("meta", rc) : 0;
}
